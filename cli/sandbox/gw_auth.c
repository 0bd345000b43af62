/*
 * gw_auth.c: authentication at the sandbox gateway, as the AuthPolicy
 * maas-gateway-auth does it (MAAS-RESOURCES.md section 10.1, MAAS-API.md
 * section 2.2).
 *
 * Credentials, in Authorino's priority order: `Authorization: Bearer
 * sk-oai-...` (an API key), `x-api-key: sk-oai-...` (the Anthropic-style
 * key header; the sandbox always enables it), then any other bearer: the
 * kubeconfig's admin token or a sandbox user token (the TokenReview of
 * the real gateway).  No credential, or a bearer nobody recognises, is a
 * 401 with an empty body and `x-ext-auth-reason: Authentication
 * required`; an sk-oai- key that is malformed, unknown, revoked or expired
 * is a 403 (auth-valid).  Client-sent X-MaaS-Username or X-MaaS-Group is a
 * 403 (deny-client-identity-headers) once the caller is authenticated.
 *
 * API-key validation results (valid or not) are cached per key for a TTL,
 * as Authorino caches maas-api's validate answer: a revoked key keeps
 * working until its entry expires.  The real default is 60 s; the
 * sandbox's is 2 s, set by MAASCTL_SANDBOX_KEY_CACHE_TTL (a duration, 0
 * disables the cache).  Entries are keyed by the SHA-256 of the key, so
 * no plaintext key is kept in memory past the request.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/http.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "clock.h"
#include "duration.h"
#include "gw.h"
#include "maasapi.h"

#define CACHE_MAX	4096
#define DEFAULT_TTL	2.0

struct kcache {
	unsigned char	 hash[32];
	double		 expires;	/* monotonic seconds */
	const char	*reason;	/* NULL: valid */
	char		*user;
	struct strlist	 groups;
	char		*sub;
};

static const struct sbx_config	*acfg;
static struct kcache		*cache;
static size_t			 ncache;
static double			 ttl = DEFAULT_TTL;

int
gw_auth_init(const struct sbx_config *c, struct err *e)
{
	const char	*v = getenv("MAASCTL_SANDBOX_KEY_CACHE_TTL");
	double		 secs;

	acfg = c;
	ttl = DEFAULT_TTL;
	if (v != NULL && *v != '\0') {
		if (duration_parse(v, &secs, NULL) != 0 || secs < 0)
			return err_set(e, EXIT_USAGE, "sandbox: "
			    "MAASCTL_SANDBOX_KEY_CACHE_TTL=%s is not a "
			    "duration (want e.g. 2s, 500ms, 0)", v);
		ttl = secs;
	}
	srv_log("msg=\"gateway: API key cache\" ttl=%.3fs", ttl);
	return 0;
}

static void
kcache_clear(struct kcache *k)
{
	free(k->user);
	free(k->sub);
	sl_free(&k->groups);
	memset(k, 0, sizeof *k);
}

void
gw_auth_shutdown(void)
{
	size_t	i;

	for (i = 0; i < ncache; i++)
		kcache_clear(&cache[i]);
	free(cache);
	cache = NULL;
	ncache = 0;
	acfg = NULL;
}

void
gw_ident_free(struct gw_ident *id)
{
	free(id->user);
	free(id->key_sub);
	sl_free(&id->groups);
	memset(id, 0, sizeof *id);
}

void
gw_deny_401(struct sbx_req *q)
{
	srv_header(q, "x-ext-auth-reason", "Authentication required");
	srv_header(q, "www-authenticate", "Bearer realm=\"maas-gateway\"");
	srv_reply(q, 401, "text/plain", "", 0);
}

void
gw_deny_403(struct sbx_req *q, const char *reason, const char *message)
{
	if (message == NULL || *message == '\0')
		message = "Access denied";
	srv_header(q, "x-ext-auth-reason", reason ? reason : "unauthorized");
	srv_reply(q, 403, "text/plain", message, strlen(message));
}

static void
key_digest(const char *raw, unsigned char out[32])
{
	unsigned int	n = 32;

	EVP_Digest(raw, strlen(raw), out, &n, EVP_sha256(), NULL);
}

/* Validate a key through the cache; NULL when valid (id filled). */
static const char *
key_validate(const char *raw, struct gw_ident *id)
{
	unsigned char	 h[32];
	double		 now = clock_mono_s();
	struct kcache	*k = NULL, tmp;
	const char	*why;
	size_t		 i;

	key_digest(raw, h);
	for (i = 0; i < ncache; i++)
		if (CRYPTO_memcmp(cache[i].hash, h, 32) == 0) {
			if (cache[i].expires > now) {
				k = &cache[i];
				break;
			}
			kcache_clear(&cache[i]);
			cache[i] = cache[--ncache];
			break;
		}
	if (k == NULL) {
		if (ttl > 0 && ncache == CACHE_MAX) {
			/* Drop the expired, else the oldest half. */
			for (i = 0; i < ncache;)
				if (cache[i].expires <= now) {
					kcache_clear(&cache[i]);
					cache[i] = cache[--ncache];
				} else
					i++;
			while (ncache > CACHE_MAX / 2)
				kcache_clear(&cache[--ncache]);
		}
		if (ttl > 0) {
			if (cache == NULL)
				cache = xcalloc(CACHE_MAX, sizeof *cache);
			k = &cache[ncache++];
		} else
			k = &tmp;
		memset(k, 0, sizeof *k);
		memcpy(k->hash, h, 32);
		k->expires = now + ttl;
		k->reason = maasapi_key_check(raw, &k->user, &k->groups,
		    &k->sub);
	}
	if ((why = k->reason) == NULL) {
		id->user = xstrdup(k->user);
		id->key_sub = k->sub ? xstrdup(k->sub) : NULL;
		sl_add(&id->groups, "system:authenticated");
		for (i = 0; i < k->groups.n; i++)
			if (!sl_has(&id->groups, k->groups.v[i]))
				sl_add(&id->groups, k->groups.v[i]);
	}
	if (k == &tmp)
		kcache_clear(k);	/* why is maas-api's static text */
	return why;
}

static int
same_secret(const char *a, const char *b)
{
	size_t	n = strlen(a);

	return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

int
gw_authenticate(struct sbx_req *q, struct gw_ident *id)
{
	struct evkeyvalq	*h = evhttp_request_get_input_headers(q->r);
	struct sbx_identity	 sid;
	const char		*auth, *xkey, *tok = NULL, *why;
	size_t			 i;

	memset(id, 0, sizeof *id);
	memset(&sid, 0, sizeof sid);
	auth = evhttp_find_header(h, "Authorization");
	xkey = evhttp_find_header(h, "x-api-key");
	if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0) {
		tok = auth + 7;
		while (*tok == ' ')
			tok++;
		if (*tok == '\0')
			tok = NULL;
	}
	if (tok != NULL && strncmp(tok, "sk-oai-", 7) == 0)
		;	/* api-keys, priority 0 */
	else if (xkey != NULL && strncmp(xkey, "sk-oai-", 7) == 0)
		tok = xkey;	/* api-keys-x-api-key, priority 1 */
	if (tok == NULL) {
		gw_deny_401(q);
		return -1;
	}
	if (strncmp(tok, "sk-oai-", 7) == 0) {
		id->cred = GW_CRED_KEY;
		if ((why = key_validate(tok, id)) != NULL) {
			gw_ident_free(id);
			gw_deny_403(q, "unauthorized", NULL);
			return -1;
		}
	} else if (acfg != NULL && acfg->admin_token != NULL &&
	    acfg->admin_token[0] != '\0' && same_secret(tok,
	    acfg->admin_token)) {
		id->cred = GW_CRED_ADMIN;
		id->user = xstrdup("admin");
		sl_add(&id->groups, "system:authenticated");
		sl_add(&id->groups, "system:masters");
	} else if (acfg != NULL &&
	    sbx_token_verify(acfg->state_dir, tok, &sid, NULL) == 0) {
		id->cred = GW_CRED_TOKEN;
		id->user = xstrdup(sid.user);
		sl_add(&id->groups, "system:authenticated");
		for (i = 0; i < sid.groups.n; i++)
			if (!sl_has(&id->groups, sid.groups.v[i]))
				sl_add(&id->groups, sid.groups.v[i]);
		id->admin = sid.admin;
		sbx_identity_free(&sid);
	} else {
		gw_deny_401(q);
		return -1;
	}
	/* Admin = may create maasauthpolicies (MAAS-API.md 2.3). */
	if (sl_has(&id->groups, "system:masters"))
		id->admin = 1;
	/* deny-client-identity-headers */
	if (evhttp_find_header(h, "X-MaaS-Username") != NULL ||
	    evhttp_find_header(h, "X-MaaS-Group") != NULL) {
		gw_ident_free(id);
		gw_deny_403(q, "unauthorized", NULL);
		return -1;
	}
	return 0;
}
