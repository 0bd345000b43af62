/*
 * target.c: resolve the OpenAI-compatible target and its credentials, and
 * translate gateway/maas-api answers into actionable errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cred.h"
#include "json.h"
#include "openai.h"
#include "output.h"
#include "target.h"

static char *
join_v1(const char *url)
{
	size_t	 n = strlen(url);

	while (n > 0 && url[n - 1] == '/')
		n--;
	if (n >= 3 && strncmp(url + n - 3, "/v1", 3) == 0)
		return xstrndup(url, n);
	return xasprintf("%.*s/v1", (int)n, url);
}

static char *
trim_slash(const char *url)
{
	size_t	 n = strlen(url);

	while (n > 0 && url[n - 1] == '/')
		n--;
	return xstrndup(url, n);
}

/* The selected maasctl profile's settings (copies), or all NULL. */
struct profile_vals {
	char	*maas_url;	/* maas-url */
	char	*ca_file;	/* ca-file */
	char	*key_file;	/* api-key-file */
	char	*token_file;	/* token-file (maasctl login) */
	int	 insecure;	/* insecure */
};

static void
profile_vals_free(struct profile_vals *pv)
{
	free(pv->maas_url);
	free(pv->ca_file);
	free(pv->key_file);
	free(pv->token_file);
	memset(pv, 0, sizeof *pv);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* Read the profile named by --profile, $MAASCTL_PROFILE or current-profile.
 * A profile named by --profile must exist; a missing config file is none. */
static int
profile_load(struct ctx *ctx, struct profile_vals *pv, struct err *e)
{
	struct config	*cfg;
	const char	*name;
	char		*path;
	int		 rc = 0;

	memset(pv, 0, sizeof *pv);
	if ((path = config_path(e)) == NULL)
		return ctx->g.profile != NULL ? -1 : (err_clear(e), 0);
	cfg = config_load(path, e);
	free(path);
	if (cfg == NULL)
		return -1;
	if (ctx->g.profile != NULL)
		name = config_resolve(cfg, ctx->g.profile, e);
	else if ((name = config_select(cfg, NULL, NULL)) != NULL &&
	    !config_has_profile(cfg, name))
		name = NULL;
	if (name == NULL) {
		rc = ctx->g.profile != NULL ? -1 : 0;
		goto out;
	}
	pv->maas_url = dup_or_null(config_get(cfg, name, "maas-url"));
	pv->ca_file = dup_or_null(config_get(cfg, name, "ca-file"));
	pv->key_file = dup_or_null(config_get(cfg, name, "api-key-file"));
	pv->token_file = dup_or_null(config_get(cfg, name, "token-file"));
	pv->insecure = config_get_bool(cfg, name, "insecure", 0);
out:
	config_free(cfg);
	return rc;
}

/* TLS and timeouts from the flags, falling back to the profile. */
static void
target_http(struct ctx *ctx, const struct profile_vals *pv, struct target *t)
{
	t->http.tls.insecure = ctx->g.insecure || pv->insecure;
	if (ctx->g.ca_file != NULL)
		t->http.tls.ca_file = ctx->g.ca_file;
	else if (pv->ca_file != NULL)
		t->http.tls.ca_file = t->ca_file = xstrdup(pv->ca_file);
	t->http.timeout = ctx->g.timeout;
}

/* The MaaS URL from --maas-url, $MAAS_URL or the profile; NULL with e. */
static const char *
maas_url(struct ctx *ctx, const struct profile_vals *pv, struct err *e)
{
	const char	*url = ctx->g.maas_url ? ctx->g.maas_url :
	    getenv("MAAS_URL");

	if ((url == NULL || url[0] == '\0') && pv->maas_url != NULL)
		url = pv->maas_url;
	if (url == NULL || url[0] == '\0') {
		err_set(e, EXIT_USAGE, "no MaaS URL: give --maas-url, "
		    "set MAAS_URL, or use --endpoint URL for any "
		    "OpenAI-compatible server");
		err_hint(e, "with the local sandbox: eval \"$(maasctl "
		    "sandbox env)\"");
		return NULL;
	}
	if (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0) {
		err_set(e, EXIT_USAGE, "invalid MaaS URL \"%s\": "
		    "want an http:// or https:// URL", url);
		return NULL;
	}
	return url;
}

int
target_resolve_maasapi(struct ctx *ctx, struct target *t, struct err *e)
{
	struct profile_vals	 pv;
	const char		*url, *spec = ctx->g.token, *env;
	char			*base;
	int			 rc = -1;

	memset(t, 0, sizeof *t);
	if (profile_load(ctx, &pv, e) != 0)
		return -1;
	if ((url = maas_url(ctx, &pv, e)) == NULL)
		goto out;
	base = trim_slash(url);
	t->base = xasprintf("%s/maas-api", base);
	free(base);
	t->maas = 1;
	t->api = 1;
	if (spec == NULL && (env = getenv("MAAS_TOKEN")) != NULL &&
	    env[0] != '\0')
		spec = "env:MAAS_TOKEN";
	if (spec != NULL && cred_read(spec, "--token", &t->key, e) != 0) {
		target_free(t);
		goto out;
	}
	/* The token `maasctl login` stored in the profile. */
	if (spec == NULL && pv.token_file != NULL &&
	    config_read_secret(pv.token_file, &t->key, e) != 0) {
		err_hint(e, "log in again with 'maasctl login'");
		target_free(t);
		goto out;
	}
	target_http(ctx, &pv, t);
	rc = 0;
out:
	profile_vals_free(&pv);
	return rc;
}

int
target_resolve(struct ctx *ctx, const char *endpoint, struct target *t,
    struct err *e)
{
	struct profile_vals	 pv;
	const char		*url = NULL, *keyspec = ctx->g.api_key, *env;
	int			 rc = -1;

	memset(t, 0, sizeof *t);
	if (profile_load(ctx, &pv, e) != 0)
		return -1;
	if (endpoint == NULL && ctx->g.maas_url == NULL &&
	    getenv("MAAS_URL") == NULL && pv.maas_url == NULL &&
	    getenv("OPENAI_BASE_URL") != NULL)
		endpoint = getenv("OPENAI_BASE_URL");
	if (endpoint != NULL) {
		if (strncmp(endpoint, "http://", 7) != 0 &&
		    strncmp(endpoint, "https://", 8) != 0) {
			err_set(e, EXIT_USAGE, "invalid endpoint \"%s\": "
			    "want an http:// or https:// URL", endpoint);
			goto out;
		}
		t->base = trim_slash(endpoint);
		if (keyspec == NULL && (env = getenv("OPENAI_API_KEY")) !=
		    NULL && env[0] != '\0')
			keyspec = "env:OPENAI_API_KEY";
	} else {
		if ((url = maas_url(ctx, &pv, e)) == NULL)
			goto out;
		t->base = join_v1(url);
		t->maas = 1;
		if (keyspec == NULL && (env = getenv("MAAS_API_KEY")) !=
		    NULL && env[0] != '\0')
			keyspec = "env:MAAS_API_KEY";
	}
	if (keyspec != NULL) {
		if (cred_read(keyspec, "--api-key", &t->key, e) != 0)
			goto fail;
	} else if (t->maas && pv.key_file != NULL &&
	    config_read_secret(pv.key_file, &t->key, e) != 0)
		goto fail;
	target_http(ctx, &pv, t);
	rc = 0;
	goto out;
fail:
	target_free(t);
out:
	profile_vals_free(&pv);
	return rc;
}

void
target_free(struct target *t)
{
	free(t->base);
	free(t->ca_file);
	xfree_secret(t->key);
	memset(t, 0, sizeof *t);
}

const char **
target_headers(const struct target *t, int json_body)
{
	const char	**h;
	size_t		  n = 0;

	h = xcalloc(4, sizeof *h);
	if (t->key != NULL)
		h[n++] = xasprintf("Authorization: Bearer %s", t->key);
	if (json_body)
		h[n++] = xstrdup("Content-Type: application/json");
	h[n++] = xstrdup("Accept: application/json, text/event-stream");
	return h;
}

void
target_headers_free(const char **h)
{
	size_t	 i;

	if (h == NULL)
		return;
	for (i = 0; h[i] != NULL; i++)
		xfree_secret((char *)h[i]);
	free(h);
}

int
target_http_error(const struct target *t, const char *what,
    const struct http_response *r, struct err *e)
{
	const char	*reason;
	char		*msg;

	if (r->status == 0)
		return -1;	/* http_do already said why */
	msg = oai_error_message(r->body.buf, r->body.len);
	reason = http_header(r, "x-ext-auth-reason");
	switch (r->status) {
	case 401:
		err_set(e, EXIT_AUTH, "%s: 401 Unauthorized: %s", what,
		    reason ? reason : msg ? msg : "no valid credential");
		if (t->api && t->key == NULL)
			err_hint(e, "no token was sent: use --token @FILE, "
			    "--token env:NAME or set MAAS_TOKEN");
		else if (t->api)
			err_hint(e, "the token is unknown or expired: get a "
			    "new one (sandbox: 'maasctl sandbox token')");
		else if (t->key == NULL)
			err_hint(e, "no API key was sent: use --api-key @FILE "
			    "or set %s", t->maas ? "MAAS_API_KEY" :
			    "OPENAI_API_KEY");
		else
			err_hint(e, "the key is unknown, expired or revoked: "
			    "mint a new one with 'maasctl key create'");
		break;
	case 403:
		err_set(e, EXIT_AUTH, "%s: 403 Forbidden: %s", what,
		    msg ? msg : reason ? reason : "access denied");
		if (t->maas && !t->api)
			err_hint(e, "check that an auth policy grants your "
			    "group the model and a subscription covers it "
			    "('maasctl doctor MODEL')");
		break;
	case 404:
		err_set(e, EXIT_NOTFOUND, "%s: 404 Not Found: %s", what,
		    msg ? msg : "no such model or path");
		break;
	case 400:
		if (!t->api)
			goto other;
		err_set(e, EXIT_USAGE, "%s: 400 Bad Request: %s", what,
		    msg ? msg : "the request was refused");
		break;
	case 429:
		err_set(e, EXIT_RATELIMITED, "%s: 429 Too Many Requests after "
		    "%d attempts: %s", what, r->attempts, msg ? msg :
		    "rate limited");
		err_hint(e, "the token quota of your subscription is used "
		    "up for this window; wait or ask for a higher limit");
		break;
	default:
	other:
		err_set(e, err_code_for_http(r->status), "%s: HTTP %d: %s",
		    what, r->status, msg ? msg : "unexpected answer");
		break;
	}
	free(msg);
	return -1;
}

cJSON *
target_get_json(struct target *t, const char *path, const char *extra_header,
    const char *what, struct err *e)
{
	struct http_request	 req;
	struct http_response	 res = HTTP_RESPONSE_INIT;
	const char		**h;
	char			*url;
	cJSON			*o = NULL;
	size_t			 n;

	h = target_headers(t, 0);
	if (extra_header != NULL) {
		for (n = 0; h[n] != NULL; n++)
			;
		h = xrealloc(h, (n + 2) * sizeof *h);
		h[n] = xstrdup(extra_header);
		h[n + 1] = NULL;
	}
	url = xasprintf("%s%s", t->base, path);
	memset(&req, 0, sizeof req);
	req.method = "GET";
	req.url = url;
	req.headers = h;
	if (http_do(&t->http, &req, &res, e) == 0)
		o = target_answer_json(t, what, url, &res, e);
	target_headers_free(h);
	http_response_free(&res);
	free(url);
	return o;
}

cJSON *
target_answer_json(const struct target *t, const char *what, const char *url,
    const struct http_response *res, struct err *e)
{
	cJSON	*o;

	if (res->status / 100 != 2) {
		target_http_error(t, what, res, e);
		return NULL;
	}
	if ((o = json_parse(res->body.buf, res->body.len, e)) == NULL)
		err_wrap(e, "%s: the answer from %s is not JSON", what, url);
	return o;
}

int
target_post_json(struct target *t, const char *url, const char *json,
    const struct http_request *opts, struct http_response *res,
    struct err *e)
{
	struct http_request	 req;
	const char		**h;
	int			 rc;

	h = target_headers(t, 1);
	if (opts != NULL)
		req = *opts;
	else
		memset(&req, 0, sizeof req);
	req.method = "POST";
	req.url = url;
	req.headers = h;
	req.body = json;
	req.body_len = strlen(json);
	rc = http_do(&t->http, &req, res, e);
	target_headers_free(h);
	return rc;
}

int
target_models_refs(struct target *t, struct strlist *ids,
    struct strlist *refs, struct err *e)
{
	cJSON		*o, *m;
	const cJSON	*ready;
	const char	*owner, *slash;

	if ((o = target_get_json(t, "/models", NULL, "listing models",
	    e)) == NULL)
		return -1;
	cJSON_ArrayForEach(m, cJSON_GetObjectItem(o, "data")) {
		ready = cJSON_GetObjectItem(m, "ready");
		if (cJSON_IsFalse(ready))
			continue;
		if (json_str(m, "id") != NULL)
			sl_add(ids, json_str(m, "id"));
		/* maas-api's owned_by is the MaaSModelRef's "ns/name"; the
		 * gateway also routes by that name. */
		if (refs != NULL && (owner = json_str(m, "owned_by")) != NULL &&
		    (slash = strchr(owner, '/')) != NULL && slash[1] != '\0') {
			sl_add(refs, owner);
			sl_add(refs, slash + 1);
		}
	}
	cJSON_Delete(o);
	return 0;
}

int
target_models(struct target *t, struct strlist *ids, struct err *e)
{
	return target_models_refs(t, ids, NULL, e);
}

int
target_list(struct ctx *ctx, const struct target_listing *l, struct err *e)
{
	struct output	 out;
	struct target	 t;
	cJSON		*doc = NULL;
	const cJSON	*it, *items;
	int		 rc = -1;

	if (output_parse(&out, ctx->g.output, e) != 0)
		return -1;
	out.no_headers = l->no_headers;
	if (target_resolve(ctx, l->endpoint, &t, e) != 0)
		goto done;
	if ((doc = l->fetch(&t, e)) == NULL)
		goto out;
	items = l->items ? cJSON_GetObjectItem(doc, l->items) : doc;
	if (output_is_table(&out))
		l->table(doc, &out);
	else if (out.format == OUTPUT_NAME) {
		cJSON_ArrayForEach(it, items)
			if (json_str(it, l->name_key) != NULL)
				printf("%s\n", json_str(it, l->name_key));
	} else if (output_print(&out, doc, NULL, stdout, stderr, e) != 0)
		goto out;
	rc = 0;
out:
	cJSON_Delete(doc);
	target_free(&t);
done:
	output_free(&out);
	return rc;
}
