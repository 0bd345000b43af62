/*
 * gw.h: the seams between the parts of the sandbox gateway's data plane.
 *
 *  - gateway.c   routing on the listener: maas-api routes, model routes,
 *                the request's life from arrival to completion.
 *  - gw_auth.c   maas-gateway-auth's authentication: API keys (Bearer and
 *                x-api-key) through a validation cache with a TTL, sandbox
 *                user tokens, the admin token; the 401/403 answers.
 *  - gw_policy.c model resolution (body "model" or /<ns>/<name>/ path),
 *                MaaSAuthPolicy access, MaaSSubscription selection
 *                (MAAS-API.md section 7) and the token limits that apply.
 *  - gw_limit.c  token counters per (subscription, model, user) in fixed
 *                windows, as Limitador keeps them.
 *  - gw_upstream.c the backends: one model simulator per
 *                LLMInferenceService, kept current from the API's change
 *                notifications, and the proxy to an ExternalModel's URL.
 */
#ifndef MAAS_SBX_GW_H
#define MAAS_SBX_GW_H

#include <cjson/cJSON.h>

#include "apiserver.h"

/* The MaaS tenant namespace whose policies and subscriptions count. */
#define GW_TENANT_NS	"models-as-a-service"
#define GW_GATEWAY_NS	"openshift-ingress"

/* How the caller authenticated. */
enum gw_cred {
	GW_CRED_KEY,		/* sk-oai- API key */
	GW_CRED_TOKEN,		/* sandbox user token */
	GW_CRED_ADMIN		/* the kubeconfig's admin token */
};

/* Who is calling, as maas-gateway-auth's identity filters say. */
struct gw_ident {
	enum gw_cred	 cred;
	char		*user;		/* userid */
	struct strlist	 groups;	/* system:authenticated first */
	char		*key_sub;	/* an API key's bound subscription */
	int		 admin;		/* may create maasauthpolicies */
};

/* gw_auth.c */
/* Read the cache TTL from the environment (MAASCTL_SANDBOX_KEY_CACHE_TTL,
 * default 2 s); -1 on a malformed value. */
int	 gw_auth_init(const struct sbx_config *, struct err *);
void	 gw_auth_shutdown(void);
/* Authenticate q; 0 and *id filled, or -1 after the 401/403 answer was
 * sent (q is then finished). */
int	 gw_authenticate(struct sbx_req *q, struct gw_ident *id);
void	 gw_ident_free(struct gw_ident *);
/* The 401 of Authorino: empty body, x-ext-auth-reason. */
void	 gw_deny_401(struct sbx_req *);
/* The 403 of Authorino: text/plain body (message or "Access denied"),
 * x-ext-auth-reason reason (or "unauthorized"). */
void	 gw_deny_403(struct sbx_req *, const char *reason, const char *message);

/* gw_policy.c */

/* A model as the gateway routes it. */
struct gw_model {
	char	*ns;		/* MaaSModelRef (and backend) namespace */
	char	*name;		/* MaaSModelRef name, or the backend name when
				 * no MaaSModelRef refers to it */
	char	*kind;		/* "LLMInferenceService" or "ExternalModel" */
	char	*backend;	/* backend object name */
	int	 has_ref;	/* a MaaSModelRef refers to the backend */
};

/* One token rate of the selected subscription for the model. */
struct gw_rate {
	long long	 limit;
	double		 window;	/* seconds */
	char		*window_text;	/* as written, "1m" */
};

/* What subscription selection decided. */
struct gw_grant {
	char		*sub_ns;	/* selected subscription */
	char		*sub;
	struct gw_rate	*rates;		/* its limits for the model */
	size_t		 nrates;
	int		 default_deny;	/* no limit applies: deny-all (0) */
	const char	*error;		/* code for x-ext-auth-reason, or NULL */
	char		*message;	/* 403 body */
};

/* The model a path /<ns>/<name>/... routes to; 0 found, -1 no route. */
int	 gw_model_by_path(const char *ns, const char *name, struct gw_model *);
/* The model a body "model" names; 0 found, -1 unknown. */
int	 gw_model_by_id(const char *id, struct gw_model *);
void	 gw_model_free(struct gw_model *);
/* Decide access for id to model m with the requested subscription (the
 * key's binding, else the client's X-MaaS-Subscription, else NULL);
 * 0 allowed (g filled), -1 denied (g->error, g->message set). */
int	 gw_authorize(const struct gw_ident *, const struct gw_model *,
	    const char *requested, struct gw_grant *g);
void	 gw_grant_free(struct gw_grant *);
/* The object ns/name of grp/res from the store, parsed, or NULL. */
cJSON	*gw_get(const char *grp, const char *res, const char *ns,
	    const char *name);

/* gw_limit.c */
/* Would the user's next request exceed a rate of g? 1 when over (then
 * *reset is the seconds until the fullest window ends), else 0. */
int	 gw_limit_over(const struct gw_grant *, const struct gw_model *,
	    const char *user, double *reset);
/* Add tokens to every counter of g for the user. */
void	 gw_limit_add(const struct gw_grant *, const struct gw_model *,
	    const char *user, long tokens);
void	 gw_limit_shutdown(void);

/* gw_upstream.c */
/* Start the model simulators for the stored LLMInferenceServices and
 * follow their changes; -1 on error. */
int	 gw_upstream_init(struct err *);
void	 gw_upstream_shutdown(void);

/* How an upstream request ended, for accounting. */
typedef void (*gw_done_fn)(void *arg, int status, long total_tokens);
/* Send q with body to m's backend (path: the backend's own path, for an
 * ExternalModel); q is answered and done called exactly once. */
void	 gw_upstream_send(struct sbx_req *q, const struct gw_model *m,
	    const char *path, char *body, size_t len, gw_done_fn done,
	    void *arg);

#endif
