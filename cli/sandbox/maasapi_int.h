/*
 * maasapi_int.h: what the sandbox's maas-api files share (maasapi.c: keys,
 * routing; maasapi_sub.c: the MaaS custom resources maas-api reads,
 * subscription selection, /v1/models and /v1/subscriptions).
 */
#ifndef MAAS_SBX_MAASAPI_INT_H
#define MAAS_SBX_MAASAPI_INT_H

#include "json.h"
#include "maasapi.h"

#define MAAS_TENANT		"models-as-a-service"	/* TENANT_NAME */
#define MAAS_SUB_NS		"models-as-a-service"	/* MAAS_SUBSCRIPTION_NAMESPACE */
#define MAAS_GROUP		"maas.opendatahub.io"

/* Reply with a JSON value (consumed). */
void	 mapi_reply_json(struct sbx_req *, int code, cJSON *);
/* Family A: {"error": msg} (+ "code" when ecode is not NULL). */
void	 mapi_reply_err(struct sbx_req *, int code, const char *msg,
	    const char *ecode);
/* Family C (OpenAI style): {"error": {"message": msg, "type": type}}. */
void	 mapi_reply_oai(struct sbx_req *, int code, const char *msg,
	    const char *type);
/* Unix time in microseconds. */
long long mapi_now_us(void);
/* RFC 3339 UTC without fraction (Go's time.RFC3339); caller frees. */
char	*mapi_rfc3339(long long secs);
/* The last non-empty value of a request header, or NULL. */
const char *mapi_header_last(struct sbx_req *, const char *name);

/* ---- maasapi_sub.c ---- */

/* Watch the store so the cached views below follow every change. */
void	 mapi_sub_init(void);
void	 mapi_sub_shutdown(void);
/* MaasTenantConfig default-tenant's spec.apiKeys.maxExpirationDays, else
 * API_KEY_MAX_EXPIRATION_DAYS' default (90). */
int	 mapi_max_expiration_days(void);

/* The outcome of choosing a subscription for a key at mint. */
struct mapi_bind {
	char		*name;		/* bound subscription name, or NULL */
	int		 status;	/* HTTP status of the refusal (0: ok) */
	const char	*error;		/* refusal text (static) */
	const char	*code;		/* invalid_subscription, ... */
	char		*error_buf;	/* owned text when error is built */
};
/* Choose the subscription a key minted by user/groups binds to: the
 * requested one (§7.3, phase rules of §4.2) or, when requested is NULL or
 * blank, the owned one of §7.2.  Free with mapi_bind_free. */
void	 mapi_bind_subscription(const char *user, const struct strlist *,
	    const char *requested, struct mapi_bind *);
void	 mapi_bind_free(struct mapi_bind *);

/* GET /v1/models, /v1/subscriptions, /v1/model/{id}/subscriptions. */
void	 mapi_models(struct sbx_req *, const struct maas_caller *);
void	 mapi_subscriptions(struct sbx_req *, const struct maas_caller *);
void	 mapi_model_subscriptions(struct sbx_req *, const char *model_id,
	    const struct maas_caller *);

#endif
