/*
 * gateway.c: the sandbox's MaaS gateway listener (maas-default-gateway).
 *
 * Routes as the real HTTPRoutes do (MAAS-API.md §1): `/maas-api` and its
 * sub-paths go to maas-api with the prefix rewritten to `/`; the top-level
 * alias `/v1/api-keys` (and sub-paths) goes to maas-api unchanged.  Before
 * maas-api, the gateway AuthPolicy (maas-gateway-auth, §2) authenticates
 * the caller: a sandbox bearer token (tokens.c) or the admin token gives
 * user + groups; an sk-oai- key is validated against maas-api's key table;
 * no or an unknown credential is a 401 with an empty body and
 * x-ext-auth-reason; client-sent identity headers are refused (403).
 * `GET /maas-api/health` skips auth.  Every other path is a gateway 404
 * with an empty body, as Envoy answers a path no route matches.
 *
 * The aliases /v1/models and /v1/subscriptions route to maas-api handlers
 * that the sandbox does not serve yet; until they exist those paths stay
 * unrouted rather than reaching maas-api's 404.
 */
#include <string.h>

#include <event2/http.h>
#include <openssl/crypto.h>

#include "maasapi.h"

static const struct sbx_config	*gcfg;

int
gateway_init(const struct sbx_config *c, struct err *e)
{
	gcfg = c;
	return maasapi_init(c, e);
}

void
gateway_shutdown(void)
{
	maasapi_shutdown();
	gcfg = NULL;
}

static int
same_secret(const char *a, const char *b)
{
	size_t	n = strlen(a);

	return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

/* 401 as Authorino answers: empty body, the reason in a header. */
static void
deny_401(struct sbx_req *q)
{
	srv_header(q, "x-ext-auth-reason", "Authentication required");
	srv_header(q, "www-authenticate", "Bearer realm=\"maas-gateway\"");
	srv_reply(q, 401, "text/plain", "", 0);
}

static void
deny_403(struct sbx_req *q, const char *reason)
{
	static const char	body[] = "Access denied";

	srv_header(q, "x-ext-auth-reason", reason);
	srv_reply(q, 403, "text/plain", body, sizeof body - 1);
}

/* Authenticate and hand the request to maas-api at path. */
static void
to_maasapi(struct sbx_req *q, const char *path)
{
	struct evkeyvalq	*h = evhttp_request_get_input_headers(q->r);
	struct sbx_identity	 id;
	struct maas_caller	 c;
	struct strlist		 groups = STRLIST_INIT;
	const char		*auth, *tok;
	char			*user = NULL;
	size_t			 i;
	int			 admin = 0;

	memset(&id, 0, sizeof id);
	if (strcmp(path, "/health") == 0 && strcmp(q->method, "GET") == 0 &&
	    strncmp(q->path, "/maas-api", 9) == 0) {
		maasapi_handle(q, path, NULL);
		return;
	}
	if (evhttp_find_header(h, "X-MaaS-Username") != NULL ||
	    evhttp_find_header(h, "X-MaaS-Group") != NULL) {
		deny_403(q, "unauthorized");
		return;
	}
	auth = evhttp_find_header(h, "Authorization");
	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0) {
		deny_401(q);
		return;
	}
	tok = auth + 7;
	while (*tok == ' ')
		tok++;
	if (strncmp(tok, "sk-oai-", 7) == 0) {
		/* API key: owner and the groups stored at mint. */
		if (maasapi_key_check(tok, &user, &groups, NULL) != NULL) {
			deny_403(q, "unauthorized");
			return;
		}
	} else if (gcfg != NULL && gcfg->admin_token != NULL &&
	    gcfg->admin_token[0] != '\0' && same_secret(tok,
	    gcfg->admin_token)) {
		user = xstrdup("admin");
		sl_add(&groups, "system:authenticated");
		sl_add(&groups, "system:masters");
		admin = 1;
	} else if (gcfg != NULL &&
	    sbx_token_verify(gcfg->state_dir, tok, &id, NULL) == 0) {
		user = xstrdup(id.user);
		sl_add(&groups, "system:authenticated");
		for (i = 0; i < id.groups.n; i++)
			if (!sl_has(&groups, id.groups.v[i]))
				sl_add(&groups, id.groups.v[i]);
		admin = id.admin || sl_has(&id.groups, "system:masters");
		sbx_identity_free(&id);
	} else {
		deny_401(q);
		return;
	}
	/* Admin = may create maasauthpolicies (§2.3): cluster admins. */
	if (sl_has(&groups, "system:masters"))
		admin = 1;
	c.user = user;
	c.groups = &groups;
	c.admin = admin;
	maasapi_handle(q, path, &c);
	free(user);
	sl_free(&groups);
}

/* Does path equal prefix or continue it with '/'? (PathPrefix match) */
static int
path_prefix(const char *path, const char *prefix)
{
	size_t	n = strlen(prefix);

	return strncmp(path, prefix, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/');
}

void
gateway_handle(struct sbx_req *q)
{
	const char	*p = q->path;

	if (path_prefix(p, "/maas-api")) {
		/* maas-api-route: URLRewrite ReplacePrefixMatch "/". */
		to_maasapi(q, p[9] == '\0' ? "/" : p + 9);
		return;
	}
	if (path_prefix(p, "/v1/api-keys")) {
		to_maasapi(q, p);
		return;
	}
	/*
	 * Model routes (path-based /<ns>/<name>/v1/..., body-based
	 * /v1/chat/completions) attach here once the gateway serves models
	 * (modelsim.c behind subscription selection and token limits).
	 */
	srv_reply(q, 404, "text/plain", "", 0);
}
