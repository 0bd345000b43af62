/*
 * maasapi.h: the sandbox's maas-api (API keys, models, subscriptions),
 * reached through the gateway (gateway.c), which authenticates the caller
 * first, and the subscription selection the gateway asks it for (as
 * Authorino asks /internal/v1/subscriptions/select).
 */
#ifndef MAAS_SBX_MAASAPI_H
#define MAAS_SBX_MAASAPI_H

#include "apiserver.h"

/* Who calls maas-api: what the gateway would inject as X-MaaS-Username
 * and X-MaaS-Group (groups already start with system:authenticated). */
struct maas_caller {
	const char		*user;
	const struct strlist	*groups;
	int			 admin;		/* may manage every key */
};

/* Open the key table (in the state dir's SQLite file); -1 on error. */
int	 maasapi_init(const struct sbx_config *, struct err *);
void	 maasapi_shutdown(void);
/* Answer one maas-api request for path (maas-api's own path, after the
 * gateway's /maas-api rewrite); caller is NULL only for /health. */
void	 maasapi_handle(struct sbx_req *, const char *path,
	    const struct maas_caller *);
/* Validate a raw sk-oai- key as /internal/v1/api-keys/validate does:
 * NULL when valid (with the owner and the groups stored at mint added to
 * *user and groups, and the bound subscription's name to *subscription
 * when that is not NULL; caller frees), else the reason ("invalid key
 * format", "key not found", "key revoked or expired", "key has no
 * subscription bound"). */
const char *maasapi_key_check(const char *raw, char **user,
	    struct strlist *groups, char **subscription);

/* What POST /internal/v1/api-keys/cleanup does (run by the CronJob
 * maas-api-key-cleanup; keycleanup.c): hard-delete the tenant's ephemeral
 * keys expired for more than 30 minutes.  Returns how many were deleted,
 * or -1 with e set. */
int	 maasapi_cleanup(struct err *);

/* The ephemeral-key cleanup CronJob (keycleanup.c): run its Jobs, and
 * schedule them as the CronJob says.  Called by maasapi_init/shutdown. */
void	 keycleanup_init(void);
void	 keycleanup_shutdown(void);

/*
 * Tell maas-api where the gateway listens (server.c, once bound): the
 * Gateway openshift-ingress/maas-default-gateway's first listener gets
 * this port and protocol (HTTPS, or HTTP for a plain sandbox) and its
 * status.addresses 127.0.0.1, so clients find the sandbox as they find a
 * cluster's MaaS (listener hostname and port; MAAS-API.md §4.11).
 */
void	 maasapi_gateway_listening(int port, int tls);

/*
 * Subscription selection exactly as POST /internal/v1/subscriptions/select
 * answers it (MAAS-API.md §4.12, §7.3, §7.4), over the MaaSSubscriptions
 * and MaaSAuthPolicies of models-as-a-service and every MaaSModelRef:
 * user and groups are the caller's (for an API key: its owner and the
 * groups stored at mint), requested is the key's bound subscription or
 * the client's X-MaaS-Subscription (NULL/"": choose), model is "ns/name"
 * or a served model id (NULL/"": no model).  Returns a new object (caller
 * frees): on success {name, namespace, displayName?, description?,
 * priority, modelRefs, organizationId?, costCenter?, labels?,
 * resolvedModel? ("ns/name"), accessAllowed (a MaaSAuthPolicy grants the
 * model), phase, ready, deletionTimestamp?}; on failure {error, message,
 * accessAllowed: false, phase, ready: false} with error one of
 * bad_request, not_found, access_denied, multiple_subscriptions,
 * model_not_in_subscription, model_unhealthy.  The gateway answers 403
 * with body = message and x-ext-auth-reason = error on failure, and also
 * when accessAllowed is false (reason "unauthorized", body "Access
 * denied").
 */
cJSON	*maasapi_subscription_select(const char *user,
	    const struct strlist *groups, const char *requested,
	    const char *model);

#endif
