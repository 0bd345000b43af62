/*
 * kubectx.c: ctx_kube(), the glue between the kubeconfig (kubeconfig.h)
 * and the REST client (kube.h) for every command that talks to the API.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "json.h"
#include "kube.h"
#include "kubeconfig.h"
#include "kubectx.h"
#include "xalloc.h"

/* What ctx->kube points at: the client and the config it came from. */
struct kubectx {
	struct kube			*kube;
	struct kubeconfig_resolved	*rc;
};

/*
 * kube_token_fn over kubeconfig_credentials(): the token file (re-read
 * when stale) or the exec plugin (run again after a 401).
 */
static char *
token_source(void *arg, int refresh, struct err *e)
{
	struct kubeconfig_resolved	*rc = arg;
	struct kube_creds		 cr;

	if (refresh)
		(void)kubeconfig_unauthorized(rc);
	memset(&cr, 0, sizeof cr);
	if (kubeconfig_credentials(rc, &cr, e) != 0)
		return NULL;
	if (cr.token == NULL) {
		err_set(e, EXIT_AUTH, "the kubeconfig's credentials gave no "
		    "bearer token to retry with");
		return NULL;
	}
	return xstrdup(cr.token);
}

struct kube *
ctx_kube(struct ctx *ctx, struct err *e)
{
	struct kubectx		*kc;
	struct kube_overrides	 ov;
	struct kube_config	 cfg;
	struct kube_creds	 cr;
	struct kubeconfig_resolved *rc;

	if (ctx->kube != NULL)
		return ((struct kubectx *)ctx->kube)->kube;
	memset(&ov, 0, sizeof ov);
	ov.context = ctx->g.context;
	ov.cluster = ctx->g.cluster;
	ov.user = ctx->g.user;
	ov.namespace = ctx->g.namespace;
	ov.server = ctx->g.server;
	ov.token = ctx->g.token;
	ov.ca_file = ctx->g.ca_file;
	ov.insecure = ctx->g.insecure;
	if ((rc = kubeconfig_client(ctx->g.kubeconfig, &ov, e)) == NULL)
		return NULL;
	memset(&cfg, 0, sizeof cfg);
	cfg.server = rc->server;
	cfg.http.tls.ca_file = rc->ca_file;
	cfg.http.tls.ca_data = rc->ca_pem;
	cfg.http.tls.ca_data_len = rc->ca_len;
	cfg.http.tls.insecure = rc->insecure;
	cfg.http.tls.server_name = rc->tls_server_name;
	cfg.http.tls.cert_file = rc->cert_file;
	cfg.http.tls.cert_data = rc->cert_pem;
	cfg.http.tls.cert_data_len = rc->cert_len;
	cfg.http.tls.key_file = rc->key_file;
	cfg.http.tls.key_data = rc->key_pem;
	cfg.http.tls.key_data_len = rc->key_len;
	cfg.http.proxy = rc->proxy_url;
	cfg.http.timeout = ctx->g.timeout;
	cfg.as_user = rc->as_user;
	cfg.as_uid = rc->as_uid;
	cfg.as_groups = rc->as_groups.n > 0 ?
	    (const char **)rc->as_groups.v : NULL;
	if (rc->token != NULL && *rc->token != '\0')
		cfg.token = rc->token;
	else if (rc->exec != NULL || rc->token_file != NULL) {
		/* Client certificates from the plugin go into TLS now. */
		memset(&cr, 0, sizeof cr);
		if (rc->exec != NULL && rc->token_file == NULL) {
			if (kubeconfig_credentials(rc, &cr, e) != 0) {
				kubeconfig_resolved_free(rc);
				return NULL;
			}
			if (cr.cert_pem != NULL && cr.key_pem != NULL) {
				cfg.http.tls.cert_data = cr.cert_pem;
				cfg.http.tls.cert_data_len = cr.cert_len;
				cfg.http.tls.key_data = cr.key_pem;
				cfg.http.tls.key_data_len = cr.key_len;
				cfg.http.tls.cert_file = NULL;
				cfg.http.tls.key_file = NULL;
			}
		}
		if (rc->token_file != NULL || cr.token != NULL) {
			cfg.token_fn = token_source;
			cfg.token_arg = rc;
		}
	}
	kc = xcalloc(1, sizeof *kc);
	kc->rc = rc;
	if ((kc->kube = kube_new(&cfg, e)) == NULL) {
		kubeconfig_resolved_free(rc);
		free(kc);
		return NULL;
	}
	ctx->kube = kc;
	return kc->kube;
}

const char *
ctx_namespace(struct ctx *ctx)
{
	struct kubectx	*kc = ctx->kube;

	if (ctx->g.namespace != NULL && *ctx->g.namespace != '\0')
		return ctx->g.namespace;
	if (kc != NULL && kc->rc->namespace != NULL &&
	    *kc->rc->namespace != '\0')
		return kc->rc->namespace;
	return "default";
}

char *
ctx_bearer_token(struct ctx *ctx, struct err *e)
{
	struct kubectx	*kc;
	struct kube_creds cr;

	if (ctx_kube(ctx, e) == NULL)
		return NULL;
	kc = ctx->kube;
	memset(&cr, 0, sizeof cr);
	if (kubeconfig_credentials(kc->rc, &cr, e) != 0)
		return NULL;
	if (cr.token == NULL || *cr.token == '\0') {
		err_set(e, EXIT_AUTH, "the kubeconfig user %s has no bearer "
		    "token (client certificates or basic auth only)",
		    kc->rc->user_name && *kc->rc->user_name ?
		    kc->rc->user_name : "(none)");
		err_hint(e, "log in with a token (oc login) or pass --token");
		return NULL;
	}
	return xstrdup(cr.token);
}

void
ctx_kube_tls(struct ctx *ctx, struct http_tls *tls)
{
	struct kubectx	*kc = ctx->kube;

	if (kc == NULL)
		return;
	tls->ca_file = kc->rc->ca_file;
	tls->ca_data = kc->rc->ca_pem;
	tls->ca_data_len = kc->rc->ca_len;
	tls->insecure = kc->rc->insecure;
}

void
ctx_kube_free(struct ctx *ctx)
{
	struct kubectx	*kc = ctx->kube;

	if (kc == NULL)
		return;
	kube_free(kc->kube);
	kubeconfig_resolved_free(kc->rc);
	free(kc);
	ctx->kube = NULL;
}

int
ctx_complete_namespaces(struct ctx *ctx, struct strlist *out)
{
	struct kube_resource	 r;
	struct kube_list_opts	 lo;
	struct kube		*k;
	const cJSON		*it;
	cJSON			*list = NULL;
	const char		*name;

	/* Completion stays quiet: no server, no candidates. */
	if ((k = ctx_kube(ctx, NULL)) == NULL)
		return 0;
	memset(&lo, 0, sizeof lo);
	kube_resource_set(&r, "", "v1", "namespaces", "Namespace", 0);
	if (kube_list(k, &r, NULL, &lo, &list, NULL) == 0)
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(list,
		    "items"))
			if ((name = json_str(it, "metadata.name")) != NULL)
				sl_add(out, name);
	cJSON_Delete(list);
	kube_resource_free(&r);
	return 0;
}
