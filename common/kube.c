/*
 * kube.c: the Kubernetes REST client: credentials and impersonation on each
 * request, discovery, get/list/create/replace/patch/apply/delete/watch, and
 * Status errors turned into kubectl's exact messages.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "itemq.h"
#include "json.h"
#include "kube.h"
#include "term.h"
#include "xalloc.h"

struct kube {
	char		*server;	/* without a trailing slash */
	struct http_client http;	/* strings point into the fields below */
	char		*ca_file, *ca_data, *cert_file, *cert_data;
	char		*key_file, *key_data, *server_name, *proxy, *ua;
	char		*token;		/* current bearer token (secret) */
	int		 token_static;	/* token came from the config */
	kube_token_fn	 token_fn;
	void		*token_arg;
	char		*as_user, *as_uid;
	struct strlist	 as_groups;
	cJSON		*disco;		/* cache: path -> discovery document */
};

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static char *
dup_len(const char *s, size_t len)
{
	if (s == NULL)
		return NULL;
	return xstrndup(s, len ? len : strlen(s));
}

struct kube *
kube_new(const struct kube_config *cfg, struct err *e)
{
	struct kube	*k;
	const char	**g;
	size_t		 n;

	if (cfg->server == NULL || *cfg->server == '\0') {
		err_set(e, EXIT_USAGE, "no Kubernetes API server URL given");
		return NULL;
	}
	if (strncasecmp(cfg->server, "https://", 8) != 0 &&
	    strncasecmp(cfg->server, "http://", 7) != 0) {
		err_set(e, EXIT_USAGE, "invalid API server URL \"%s\": it must "
		    "start with https:// or http://", cfg->server);
		return NULL;
	}
	k = xcalloc(1, sizeof *k);
	k->server = xstrdup(cfg->server);
	n = strlen(k->server);
	while (n > 0 && k->server[n - 1] == '/')
		k->server[--n] = '\0';
	k->http = cfg->http;
	k->ca_file = dup_or_null(cfg->http.tls.ca_file);
	k->ca_data = dup_len(cfg->http.tls.ca_data, cfg->http.tls.ca_data_len);
	k->cert_file = dup_or_null(cfg->http.tls.cert_file);
	k->cert_data = dup_len(cfg->http.tls.cert_data,
	    cfg->http.tls.cert_data_len);
	k->key_file = dup_or_null(cfg->http.tls.key_file);
	k->key_data = dup_len(cfg->http.tls.key_data,
	    cfg->http.tls.key_data_len);
	k->server_name = dup_or_null(cfg->http.tls.server_name);
	k->proxy = dup_or_null(cfg->http.proxy);
	k->ua = dup_or_null(cfg->user_agent ? cfg->user_agent :
	    cfg->http.user_agent);
	k->http.tls.ca_file = k->ca_file;
	k->http.tls.ca_data = k->ca_data;
	k->http.tls.ca_data_len = k->ca_data ? strlen(k->ca_data) : 0;
	k->http.tls.cert_file = k->cert_file;
	k->http.tls.cert_data = k->cert_data;
	k->http.tls.cert_data_len = k->cert_data ? strlen(k->cert_data) : 0;
	k->http.tls.key_file = k->key_file;
	k->http.tls.key_data = k->key_data;
	k->http.tls.key_data_len = k->key_data ? strlen(k->key_data) : 0;
	k->http.tls.server_name = k->server_name;
	k->http.proxy = k->proxy;
	k->http.user_agent = k->ua;
	if (cfg->token != NULL && *cfg->token != '\0') {
		k->token = xstrdup(cfg->token);
		k->token_static = 1;
	}
	k->token_fn = cfg->token_fn;
	k->token_arg = cfg->token_arg;
	k->as_user = dup_or_null(cfg->as_user);
	k->as_uid = dup_or_null(cfg->as_uid);
	for (g = cfg->as_groups; g != NULL && *g != NULL; g++)
		sl_add(&k->as_groups, *g);
	k->disco = cJSON_CreateObject();
	return k;
}

void
kube_free(struct kube *k)
{
	if (k == NULL)
		return;
	free(k->server);
	free(k->ca_file);
	free(k->ca_data);
	free(k->cert_file);
	free(k->cert_data);
	free(k->key_file);
	xfree_secret(k->key_data);
	free(k->server_name);
	free(k->proxy);
	free(k->ua);
	xfree_secret(k->token);
	free(k->as_user);
	free(k->as_uid);
	sl_free(&k->as_groups);
	cJSON_Delete(k->disco);
	free(k);
}

void
kube_resource_set(struct kube_resource *r, const char *group,
    const char *version, const char *name, const char *kind, int namespaced)
{
	memset(r, 0, sizeof *r);
	r->group = xstrdup(group ? group : "");
	r->version = xstrdup(version ? version : "v1");
	r->name = xstrdup(name ? name : "");
	r->singular = xstrdup("");
	r->kind = xstrdup(kind ? kind : "");
	r->namespaced = namespaced;
}

void
kube_resource_free(struct kube_resource *r)
{
	if (r == NULL)
		return;
	free(r->group);
	free(r->version);
	free(r->name);
	free(r->singular);
	free(r->kind);
	memset(r, 0, sizeof *r);
}

/* "/api/v1" or "/apis/<group>/<version>". */
static char *
gv_path(const char *group, const char *version)
{
	if (group == NULL || *group == '\0')
		return xasprintf("/api/%s", version);
	return xasprintf("/apis/%s/%s", group, version);
}

char *
kube_path(const struct kube_resource *r, const char *ns, const char *name,
    const char *sub)
{
	struct strbuf	 sb = STRBUF_INIT;
	char		*gv, *esc;

	gv = gv_path(r->group, r->version);
	sb_adds(&sb, gv);
	free(gv);
	if (r->namespaced && ns != NULL && *ns != '\0') {
		esc = http_escape(ns);
		sb_addf(&sb, "/namespaces/%s", esc);
		free(esc);
	}
	sb_addf(&sb, "/%s", r->name);
	if (name != NULL) {
		esc = http_escape(name);
		sb_addf(&sb, "/%s", esc);
		free(esc);
		if (sub != NULL)
			sb_addf(&sb, "/%s", sub);
	}
	return sb_detach(&sb);
}

/* Append "&name=value" (or "?name=value" first) with the value escaped. */
static void
query_add(struct strbuf *sb, const char *name, const char *value)
{
	char	*esc = http_escape(value);

	sb_addf(sb, "%c%s=%s", strchr(sb->buf ? sb->buf : "", '?') ? '&' :
	    '?', name, esc);
	free(esc);
}

/* Errors. */

static const char *
generic_message(int status, const char *method, const char **reason,
    const char *server_msg, char **owned)
{
	*owned = NULL;
	switch (status) {
	case 409:
		*reason = strcasecmp(method, "POST") == 0 ? "AlreadyExists" :
		    "Conflict";
		return "the server reported a conflict";
	case 404:
		*reason = "NotFound";
		return "the server could not find the requested resource";
	case 400:
		*reason = "BadRequest";
		return "the server rejected our request for an unknown reason";
	case 401:
		*reason = "Unauthorized";
		return "the server has asked for the client to provide "
		    "credentials";
	case 403:
		*reason = "Forbidden";
		return server_msg;
	case 405:
		*reason = "MethodNotAllowed";
		return "the server does not allow this method on the requested "
		    "resource";
	case 406:
		*reason = "NotAcceptable";
		if (strcmp(server_msg, "unknown") == 0)
			return "the server was unable to respond with a content "
			    "type that the client supports";
		return server_msg;
	case 415:
		*reason = "UnsupportedMediaType";
		return server_msg;
	case 422:
		*reason = "Invalid";
		return "the server rejected our request due to an error in our "
		    "request";
	case 429:
		*reason = "TooManyRequests";
		return "the server has received too many requests and has asked "
		    "us to try again later";
	case 503:
		*reason = "ServiceUnavailable";
		return "the server is currently unable to handle the request";
	case 504:
		*reason = "Timeout";
		return "the server was unable to return a response in the time "
		    "allotted, but may still be processing the request";
	default:
		if (status >= 500) {
			*reason = "InternalError";
			*owned = xasprintf("an error on the server (\"%s\") has "
			    "prevented the request from succeeding", server_msg);
			return *owned;
		}
		*reason = "";	/* kubectl: "Error from server: ..." */
		*owned = xasprintf("the server responded with the status code "
		    "%d but did not return more information", status);
		return *owned;
	}
}

/* kubectl's text for a 422 Invalid Status. */
static int
invalid_error(int status, const cJSON *st, struct err *e)
{
	const cJSON	*details, *causes, *c;
	struct strbuf	 sb = STRBUF_INIT;
	struct strlist	 seen = STRLIST_INIT;
	const char	*kind, *name, *field, *msg;
	char		*line;
	int		 n;

	details = cJSON_GetObjectItemCaseSensitive(st, "details");
	if (!cJSON_IsObject(details)) {
		/* kubectl: the server's message, when there is one. */
		msg = json_str(st, "message");
		if (msg != NULL && *msg != '\0')
			return err_set_raw(e, err_code_for_http(status),
			    "The request is invalid: %s", msg);
		return err_set_raw(e, err_code_for_http(status),
		    "The request is invalid");
	}
	kind = json_str(details, "kind");
	name = json_str(details, "name");
	if ((kind != NULL && *kind != '\0') || (name != NULL && *name != '\0'))
		sb_addf(&sb, "The %s \"%s\" is invalid", kind ? kind : "",
		    name ? name : "");
	else
		sb_adds(&sb, "The request is invalid");
	causes = cJSON_GetObjectItemCaseSensitive(details, "causes");
	cJSON_ArrayForEach(c, causes) {
		field = json_str(c, "field");
		msg = json_str(c, "message");
		line = xasprintf("%s: %s", field ? field : "", msg ? msg : "");
		if (sl_has(&seen, line))
			free(line);
		else
			sl_take(&seen, line);
	}
	n = (int)seen.n;
	if (n == 1)
		sb_addf(&sb, ": %s", seen.v[0]);
	else if (n > 1) {
		sb_adds(&sb, ": ");
		for (n = 0; n < (int)seen.n; n++)
			sb_addf(&sb, "\n* %s", seen.v[n]);
	}
	err_set_raw(e, err_code_for_http(status), "%s", sb.buf);
	sb_free(&sb);
	sl_free(&seen);
	return -1;
}

int
kube_error_from_response(int status, const char *body, size_t len,
    const char *method, const struct kube_resource *res, const char *name,
    struct err *e)
{
	cJSON		*st = NULL;
	const char	*kind, *reason = NULL, *msg, *gmsg;
	char		*server_msg = NULL, *owned = NULL, *qr = NULL, *verb;
	char		*full;
	size_t		 i;
	int		 code = err_code_for_http(status);

	if (method == NULL)
		method = "GET";
	if (body != NULL && len > 0 && (body[0] == '{' || body[0] == ' ' ||
	    body[0] == '\n'))
		st = cJSON_ParseWithLength(body, len);
	kind = st ? json_str(st, "kind") : NULL;
	if (kind != NULL && strcmp(kind, "Status") == 0) {
		reason = json_str(st, "reason");
		msg = json_str(st, "message");
		if (msg == NULL)
			msg = "";
		if ((reason != NULL && strcmp(reason, "Invalid") == 0) ||
		    ((reason == NULL || *reason == '\0') && status == 422))
			invalid_error(status, st, e);
		else if ((reason != NULL &&
		    strcmp(reason, "Unauthorized") == 0) ||
		    ((reason == NULL || *reason == '\0') && status == 401))
			err_set_raw(e, EXIT_AUTH, "error: You must be logged "
			    "in to the server (%s)", msg);
		else if (reason != NULL && *reason != '\0')
			err_set_raw(e, code, "Error from server (%s): %s",
			    reason, msg);
		else
			err_set_raw(e, code, "Error from server: %s", msg);
		goto out;
	}

	/* No Status: make the message up the way client-go does. */
	if (body != NULL && len > 0 && len < 1024) {
		server_msg = xstrndup(body, len);
		for (i = strlen(server_msg); i > 0 &&
		    strchr(" \t\r\n", server_msg[i - 1]) != NULL; i--)
			server_msg[i - 1] = '\0';
		i = strspn(server_msg, " \t\r\n");
		memmove(server_msg, server_msg + i, strlen(server_msg + i) + 1);
	}
	if (server_msg == NULL || *server_msg == '\0') {
		free(server_msg);
		server_msg = xstrdup("unknown");
	}
	gmsg = generic_message(status, method, &reason, server_msg, &owned);
	if (res != NULL && res->name != NULL && *res->name != '\0')
		qr = res->group && *res->group ?
		    xasprintf("%s.%s", res->name, res->group) :
		    xstrdup(res->name);
	verb = xstrdup(method);
	for (i = 0; verb[i] != '\0'; i++)
		verb[i] = (char)(verb[i] >= 'A' && verb[i] <= 'Z' ?
		    verb[i] - 'A' + 'a' : verb[i]);
	if (qr != NULL && name != NULL && *name != '\0')
		full = xasprintf("%s (%s %s %s)", gmsg, verb, qr, name);
	else if (qr != NULL)
		full = xasprintf("%s (%s %s)", gmsg, verb, qr);
	else
		full = xstrdup(gmsg);
	if (status == 401)
		err_set_raw(e, EXIT_AUTH, "error: You must be logged in to the "
		    "server (%s)", gmsg);
	else if (*reason != '\0')
		err_set_raw(e, code, "Error from server (%s): %s", reason, full);
	else
		err_set_raw(e, code, "Error from server: %s", full);
	free(full);
	free(verb);
out:
	if (e != NULL)
		e->http_status = status;
	cJSON_Delete(st);
	free(server_msg);
	free(owned);
	free(qr);
	return -1;
}

void
kube_err_insert(struct err *e, const char *fmt, ...)
{
	va_list		 ap;
	const char	*p = NULL;
	char		*ctx, *n;

	if (e == NULL || e->msg == NULL || !e->raw)
		return;
	if (strncmp(e->msg, "Error from server (", 19) == 0)
		p = strstr(e->msg, "): ");
	if (p != NULL)
		p += 3;
	else if (strncmp(e->msg, "Error from server: ", 19) == 0)
		p = e->msg + 19;
	if (p == NULL)
		return;
	va_start(ap, fmt);
	ctx = xvasprintf(fmt, ap);
	va_end(ap);
	n = xasprintf("%.*s%s: %s", (int)(p - e->msg), e->msg, ctx, p);
	free(ctx);
	free(e->msg);
	e->msg = n;
}

/* Requests. */

/* One API request as the internal helpers describe it. */
struct kreq {
	const char	*method;
	const char	*path;		/* with query */
	const char	*content_type;
	const char	*accept;
	const char	*body;
	int		 retry_safe;
	http_stream_fn	 stream;
	void		*stream_arg;
	double		 timeout;	/* >0: override the client's */
	int		 no_retry;	/* one attempt only */
};

static int
kube_token(struct kube *k, int refresh, struct err *e)
{
	char	*t;

	if (k->token_fn == NULL || (k->token != NULL && !refresh))
		return 0;
	t = k->token_fn(k->token_arg, refresh, e);
	if (t == NULL)
		return -1;
	xfree_secret(k->token);
	k->token = t;
	return 0;
}

/* Transport failures in kubectl's words. */
static void
transport_error(const struct http_response *resp, struct err *he,
    struct err *e)
{
	char	*msg, *hint;

	if (he->code == EXIT_USAGE) {
		err_move(e, he);
		return;
	}
	if (resp->fail == HTTP_FAIL_REFUSED) {
		err_set_raw(e, EXIT_UNREACHABLE, "The connection to the server "
		    "%s was refused - did you specify the right host or port?",
		    resp->hostport);
		err_clear(he);
		return;
	}
	msg = he->msg ? xstrdup(he->msg) : xstrdup("unknown error");
	hint = he->hint ? xstrdup(he->hint) : NULL;
	err_set_raw(e, he->code ? he->code : EXIT_UNREACHABLE,
	    "Unable to connect to the server: %s", msg);
	if (hint != NULL)
		err_hint(e, "%s", hint);
	err_clear(he);
	free(msg);
	free(hint);
}

/*
 * Send one request with credentials, re-fetching the token once after a
 * 401 when a token source is configured.  0 when a response arrived.
 */
static int
kube_send(struct kube *k, const struct kreq *r, struct http_response *resp,
    struct err *e)
{
	struct http_client	 hc = k->http;
	struct http_request	 req;
	struct strlist		 hdrs = STRLIST_INIT;
	struct err		 he = ERR_INIT;
	char			*url;
	size_t			 i;
	int			 refreshed = 0, ret = -1;

	url = xasprintf("%s%s", k->server, r->path);
	if (r->timeout > 0)
		hc.timeout = r->timeout;
	if (r->stream != NULL && r->timeout <= 0)
		hc.timeout = 0;
	if (r->no_retry)
		hc.max_attempts = 1;
	if (kube_token(k, 0, e) != 0)
		goto out;
again:
	sl_free(&hdrs);
	sl_addf(&hdrs, "Accept: %s", r->accept ? r->accept :
	    "application/json");
	if (r->content_type != NULL)
		sl_addf(&hdrs, "Content-Type: %s", r->content_type);
	if (k->token != NULL)
		sl_addf(&hdrs, "Authorization: Bearer %s", k->token);
	if (k->as_user != NULL)
		sl_addf(&hdrs, "Impersonate-User: %s", k->as_user);
	if (k->as_uid != NULL)
		sl_addf(&hdrs, "Impersonate-Uid: %s", k->as_uid);
	for (i = 0; i < k->as_groups.n; i++)
		sl_addf(&hdrs, "Impersonate-Group: %s", k->as_groups.v[i]);
	memset(&req, 0, sizeof req);
	req.method = r->method;
	req.url = url;
	req.headers = (const char **)hdrs.v;
	req.body = r->body;
	req.body_len = r->body ? strlen(r->body) : 0;
	req.retry_safe = r->retry_safe;
	req.stream = r->stream;
	req.stream_arg = r->stream_arg;
	if (http_do(&hc, &req, resp, &he) != 0) {
		transport_error(resp, &he, e);
		goto out;
	}
	if (resp->status == 401 && k->token_fn != NULL && !refreshed) {
		term_log(TERM_LOG_DEBUG, "%s %s: 401, fetching a new token",
		    r->method, url);
		refreshed = 1;
		if (kube_token(k, 1, e) != 0)
			goto out;
		http_response_free(resp);
		goto again;
	}
	ret = 0;
out:
	for (i = 0; i < hdrs.n; i++) {
		if (strncmp(hdrs.v[i], "Authorization:", 14) == 0)
			explicit_bzero(hdrs.v[i], strlen(hdrs.v[i]));
	}
	sl_free(&hdrs);
	free(url);
	err_clear(&he);
	return ret;
}

/* Send, turn non-2xx into kubectl's error, parse a JSON body into *out. */
static int
kube_call(struct kube *k, const struct kreq *r, const struct kube_resource *res,
    const char *name, cJSON **out, struct err *e)
{
	struct http_response	 resp = HTTP_RESPONSE_INIT;
	cJSON			*j = NULL;
	int			 ret = -1;

	if (out != NULL)
		*out = NULL;
	if (kube_send(k, r, &resp, e) != 0)
		goto out;
	if (resp.status < 200 || resp.status > 299) {
		kube_error_from_response(resp.status, resp.body.buf,
		    resp.body.len, r->method, res, name, e);
		goto out;
	}
	if (out != NULL && resp.body.len > 0) {
		j = json_parse(resp.body.buf, resp.body.len, e);
		if (j == NULL) {
			err_wrap(e, "decoding the reply to %s %s", r->method,
			    r->path);
			goto out;
		}
		*out = j;
	} else if (out != NULL)
		*out = cJSON_CreateObject();
	ret = 0;
out:
	http_response_free(&resp);
	return ret;
}

int
kube_request(struct kube *k, const char *method, const char *path,
    const char *content_type, const char *accept, const char *body,
    cJSON **out, struct err *e)
{
	struct kreq	 r;

	memset(&r, 0, sizeof r);
	r.method = method ? method : "GET";
	r.path = path;
	r.content_type = content_type;
	r.accept = accept;
	r.body = body;
	return kube_call(k, &r, NULL, NULL, out, e);
}

/* Discovery. */

/* GET a discovery document, cached per client; borrowed result. */
static const cJSON *
disco_get(struct kube *k, const char *path, int *status, struct err *e)
{
	struct http_response	 resp = HTTP_RESPONSE_INIT;
	struct kreq		 r;
	cJSON			*j, *c;

	*status = 0;
	c = cJSON_GetObjectItemCaseSensitive(k->disco, path);
	if (c != NULL) {
		*status = 200;
		return c;
	}
	memset(&r, 0, sizeof r);
	r.method = "GET";
	r.path = path;
	if (kube_send(k, &r, &resp, e) != 0) {
		http_response_free(&resp);
		return NULL;
	}
	*status = resp.status;
	if (resp.status < 200 || resp.status > 299) {
		kube_error_from_response(resp.status, resp.body.buf,
		    resp.body.len, "GET", NULL, NULL, e);
		http_response_free(&resp);
		return NULL;
	}
	j = json_parse(resp.body.buf, resp.body.len, e);
	http_response_free(&resp);
	if (j == NULL) {
		err_wrap(e, "decoding the discovery document %s", path);
		return NULL;
	}
	cJSON_AddItemToObject(k->disco, path, j);
	return j;
}

/* The versions a group serves, preferred first. */
static int
group_versions(struct kube *k, const char *group, struct strlist *out,
    struct err *e)
{
	const cJSON	*doc, *v, *g, *found = NULL;
	const char	*pref, *s;
	char		*path;
	int		 status;
	struct err	 e2 = ERR_INIT;

	if (group == NULL || *group == '\0') {
		if ((doc = disco_get(k, "/api", &status, e)) == NULL)
			return -1;
		cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(doc,
		    "versions")) {
			if (cJSON_IsString(v))
				sl_add(out, v->valuestring);
		}
		if (out->n == 0)
			sl_add(out, "v1");
		return 0;
	}
	path = xasprintf("/apis/%s", group);
	doc = disco_get(k, path, &status, &e2);
	free(path);
	if (doc == NULL && status != 404) {
		err_move(e, &e2);
		return -1;
	}
	err_clear(&e2);
	if (doc == NULL) {
		/* Some servers only answer the group list. */
		if ((doc = disco_get(k, "/apis", &status, e)) == NULL)
			return -1;
		cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(doc,
		    "groups")) {
			s = json_str(g, "name");
			if (s != NULL && strcmp(s, group) == 0)
				found = g;
		}
		if (found == NULL) {
			err_set(e, EXIT_NOTFOUND, "the server does not serve "
			    "the API group \"%s\"", group);
			err_hint(e, "ensure CRDs are installed first");
			return -1;
		}
		doc = found;
	}
	pref = json_str(doc, "preferredVersion.version");
	if (pref != NULL)
		sl_add(out, pref);
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(doc,
	    "versions")) {
		s = json_str(v, "version");
		if (s != NULL && !sl_has(out, s))
			sl_add(out, s);
	}
	if (out->n == 0) {
		err_set(e, EXIT_NOTFOUND, "the API group \"%s\" serves no "
		    "versions", group);
		return -1;
	}
	return 0;
}

char *
kube_preferred_version(struct kube *k, const char *group, struct err *e)
{
	struct strlist	 v = STRLIST_INIT;
	char		*r = NULL;

	if (group_versions(k, group, &v, e) == 0)
		r = xstrdup(v.v[0]);
	sl_free(&v);
	return r;
}

static int
matches(const cJSON *res, const char *what)
{
	const cJSON	*s;
	const char	*f[] = { "kind", "name", "singularName", NULL };
	const char	*v;
	int		 i;

	for (i = 0; f[i] != NULL; i++) {
		v = json_str(res, f[i]);
		if (v != NULL && *v != '\0' && strcasecmp(v, what) == 0)
			return 1;
	}
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(res,
	    "shortNames")) {
		if (cJSON_IsString(s) && strcasecmp(s->valuestring, what) == 0)
			return 1;
	}
	return 0;
}

int
kube_resolve(struct kube *k, const char *group, const char *what,
    struct kube_resource *out, struct err *e)
{
	struct strlist	 versions = STRLIST_INIT;
	const cJSON	*doc, *r;
	const char	*name;
	char		*path;
	size_t		 i;
	int		 status, ret = -1;

	memset(out, 0, sizeof *out);
	if (group == NULL)
		group = "";
	if (group_versions(k, group, &versions, e) != 0)
		goto out;
	for (i = 0; i < versions.n; i++) {
		path = gv_path(group, versions.v[i]);
		doc = disco_get(k, path, &status, e);
		free(path);
		if (doc == NULL)
			goto out;
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(doc,
		    "resources")) {
			name = json_str(r, "name");
			if (name == NULL || strchr(name, '/') != NULL ||
			    !matches(r, what))
				continue;
			out->group = xstrdup(group);
			out->version = xstrdup(versions.v[i]);
			out->name = xstrdup(name);
			out->singular = xstrdup(json_str(r, "singularName") ?
			    json_str(r, "singularName") : "");
			out->kind = xstrdup(json_str(r, "kind") ?
			    json_str(r, "kind") : "");
			out->namespaced = json_bool(r, "namespaced", 0);
			ret = 0;
			goto out;
		}
	}
	if (*group == '\0')
		err_set_raw(e, EXIT_NOTFOUND, "error: the server doesn't have "
		    "a resource type \"%s\"", what);
	else {
		err_set_raw(e, EXIT_NOTFOUND, "error: the server doesn't have "
		    "a resource type \"%s\" in the API group \"%s\"", what,
		    group);
		err_hint(e, "ensure CRDs are installed first");
	}
out:
	sl_free(&versions);
	return ret;
}

/* Reads. */

int
kube_get(struct kube *k, const struct kube_resource *res, const char *ns,
    const char *name, cJSON **out, struct err *e)
{
	struct kreq	 r;
	char		*path;
	int		 ret;

	memset(&r, 0, sizeof r);
	path = kube_path(res, ns, name, NULL);
	r.method = "GET";
	r.path = path;
	ret = kube_call(k, &r, res, name, out, e);
	free(path);
	return ret;
}

#define TABLE_ACCEPT "application/json;as=Table;v=v1;g=meta.k8s.io,"	\
	"application/json"

/* One page's path: selectors, limit and the continue token. */
static void
list_query(struct strbuf *sb, const char *base, const struct kube_list_opts *o,
    const char *limit, const char *cont)
{
	sb_reset(sb);
	sb_adds(sb, base);
	if (o->label_selector != NULL && *o->label_selector != '\0')
		query_add(sb, "labelSelector", o->label_selector);
	if (o->field_selector != NULL && *o->field_selector != '\0')
		query_add(sb, "fieldSelector", o->field_selector);
	query_add(sb, "limit", limit);
	if (cont != NULL)
		query_add(sb, "continue", cont);
}

/*
 * One page of a list: GET path, set *cont to the next page's continue
 * token (NULL on the last page); 0 go on, 1 stop here, -1 error.
 */
typedef int (*page_fn)(struct kube *, const struct kube_resource *,
    const char *path, void *arg, char **cont, struct err *);

/*
 * The paging loop of kube_list() and kube_list_each(): pages of o->limit
 * (500 by default) following "continue" from o->continue_token, until the
 * last page, o->single_page or fn says stop.  *last (may be NULL) is the
 * continue token after the last page fetched, or NULL.
 */
static int
list_pages(struct kube *k, const struct kube_resource *res, const char *ns,
    const struct kube_list_opts *o, page_fn fn, void *arg, char **last,
    struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	char		*base, *cont = NULL, *limit;
	int		 ret = -1, rc;

	if (last != NULL)
		*last = NULL;
	base = kube_path(res, ns, NULL, NULL);
	limit = xasprintf("%ld", o->limit > 0 ? o->limit : 500);
	if (o->continue_token != NULL)
		cont = xstrdup(o->continue_token);
	for (;;) {
		list_query(&sb, base, o, limit, cont);
		free(cont);
		cont = NULL;
		if ((rc = fn(k, res, sb.buf, arg, &cont, e)) < 0)
			goto out;
		if (rc > 0 || cont == NULL || o->single_page)
			break;
	}
	if (last != NULL) {
		*last = cont;
		cont = NULL;
	}
	ret = 0;
out:
	sb_free(&sb);
	free(base);
	free(limit);
	free(cont);
	return ret;
}

/* Continue token of a list reply, or NULL. */
static char *
next_token(const cJSON *page)
{
	const char	*c = json_str(page, "metadata.continue");

	return c != NULL && *c != '\0' ? xstrdup(c) : NULL;
}

/* kube_list()'s pages, merged into one list. */
struct lall {
	const struct kube_list_opts *o;
	const char	*arr;		/* "items" or "rows" */
	cJSON		*all;		/* the first page, growing */
};

static int
la_page(struct kube *k, const struct kube_resource *res, const char *path,
    void *arg, char **cont, struct err *e)
{
	struct lall	*la = arg;
	struct kreq	 r;
	cJSON		*page = NULL, *dst, *src, *it;

	memset(&r, 0, sizeof r);
	r.method = "GET";
	r.path = path;
	r.accept = la->o->table ? TABLE_ACCEPT : "application/json";
	if (kube_call(k, &r, res, NULL, &page, e) != 0)
		return -1;
	*cont = next_token(page);
	if (la->all == NULL) {
		la->all = page;
		if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(la->all,
		    la->arr)))
			cJSON_AddItemToObject(la->all, la->arr,
			    cJSON_CreateArray());
		return 0;
	}
	dst = cJSON_GetObjectItemCaseSensitive(la->all, la->arr);
	src = cJSON_GetObjectItemCaseSensitive(page, la->arr);
	while (src != NULL && (it = cJSON_DetachItemFromArray(src, 0)) != NULL)
		cJSON_AddItemToArray(dst, it);
	cJSON_Delete(page);
	return 0;
}

int
kube_list(struct kube *k, const struct kube_resource *res, const char *ns,
    const struct kube_list_opts *o, cJSON **out, struct err *e)
{
	static const struct kube_list_opts none;
	struct lall	 la;
	cJSON		*meta;
	char		*cont = NULL;

	*out = NULL;
	if (o == NULL)
		o = &none;
	memset(&la, 0, sizeof la);
	la.o = o;
	la.arr = o->table ? "rows" : "items";
	if (list_pages(k, res, ns, o, la_page, &la, &cont, e) != 0) {
		cJSON_Delete(la.all);
		return -1;
	}
	meta = cJSON_GetObjectItemCaseSensitive(la.all, "metadata");
	if (cJSON_IsObject(meta)) {
		cJSON_DeleteItemFromObjectCaseSensitive(meta, "continue");
		cJSON_DeleteItemFromObjectCaseSensitive(meta,
		    "remainingItemCount");
		if (cont != NULL)
			cJSON_AddStringToObject(meta, "continue", cont);
	}
	free(cont);
	*out = la.all;
	return 0;
}

/* State of kube_list_each() while a page streams in. */
struct lstream {
	kube_item_fn	 fn;
	void		*arg;
	char		**rv;		/* the first page's resourceVersion */
	struct json_items split;
	struct err	 err;		/* an item that did not parse */
	int		 stopped;	/* fn asked to stop */
	int		 no_managed_fields; /* drop them before parsing */
	const char *const *fields;	/* parse only these members */
	struct itemq	*q;		/* items parsed on a second thread */
	const char	*path;		/* the page being read */
	int		 qrc;		/* what q said: 1 stop, -1 failed */
};

static int
ls_item(void *arg, const char *elem, size_t len)
{
	struct lstream	*ls = arg;
	cJSON		*it;
	int		 rc;

	if (ls->q != NULL) {
		ls->qrc = itemq_add(ls->q, elem, len, ls->split.count,
		    ls->path);
		return ls->qrc != 0;
	}
	if ((it = json_parse(elem, len, &ls->err)) == NULL) {
		err_wrap(&ls->err, "item %zu", ls->split.count);
		return 1;
	}
	rc = ls->fn(ls->arg, it);
	cJSON_Delete(it);
	if (rc != 0)
		ls->stopped = 1;
	return rc;
}

static int
ls_stream(const char *buf, size_t len, void *arg)
{
	struct lstream	*ls = arg;

	return json_items_feed(&ls->split, buf, len) != 0;
}

/* kube_list_each()'s pages: each read as a stream of items. */
static int
ls_page(struct kube *k, const struct kube_resource *res, const char *path,
    void *arg, char **cont, struct err *e)
{
	struct lstream		*ls = arg;
	struct http_response	 resp = HTTP_RESPONSE_INIT;
	struct kreq		 r;
	cJSON			*env = NULL;
	const char		*c;
	int			 ret = -1, split;

	memset(&r, 0, sizeof r);
	r.method = "GET";
	r.path = path;
	r.accept = "application/json";
	r.stream = ls_stream;
	r.stream_arg = ls;
	r.timeout = k->http.timeout;
	json_items_init(&ls->split, "items", ls_item, ls);
	/* What no column reads is skipped over, never parsed. */
	ls->split.keep = ls->fields;
	if (ls->no_managed_fields && ls->fields == NULL)
		ls->split.drop = "metadata.managedFields";
	ls->path = path;
	split = 1;
	if (kube_send(k, &r, &resp, e) != 0)
		goto out;
	/* The page's last items go to the parsing thread now, and an item
	 * that did not parse there stops the listing as it would here. */
	if (ls->q != NULL && ls->qrc == 0)
		ls->qrc = itemq_flush(ls->q);
	if (ls->qrc < 0)
		goto out;		/* kube_list_each() says what */
	if (ls->qrc > 0)
		ls->stopped = 1;
	if (resp.status < 200 || resp.status > 299) {
		kube_error_from_response(resp.status, resp.body.buf,
		    resp.body.len, r.method, res, NULL, e);
		goto out;
	}
	if (ls->err.code != 0) {
		err_move(e, &ls->err);
		err_wrap(e, "decoding the reply to GET %s", path);
		goto out;
	}
	if (ls->stopped) {
		ret = 1;
		goto out;
	}
	split = 0;
	if ((env = json_items_end(&ls->split, e)) == NULL) {
		err_wrap(e, "decoding the reply to GET %s", path);
		goto out;
	}
	if (ls->rv != NULL && *ls->rv == NULL && (c = json_str(env,
	    "metadata.resourceVersion")) != NULL)
		*ls->rv = xstrdup(c);
	*cont = next_token(env);
	cJSON_Delete(env);
	ret = 0;
out:
	if (split)
		json_items_free(&ls->split);
	http_response_free(&resp);
	return ret;
}

int
kube_list_each(struct kube *k, const struct kube_resource *res,
    const char *ns, const struct kube_list_opts *o, kube_item_fn fn,
    void *arg, char **rv, struct err *e)
{
	static const struct kube_list_opts none;
	struct lstream	 ls;
	struct err	 qe = ERR_INIT;
	int		 ret, rc;

	if (rv != NULL)
		*rv = NULL;
	if (o == NULL)
		o = &none;
	memset(&ls, 0, sizeof ls);
	ls.fn = fn;
	ls.arg = arg;
	ls.rv = rv;
	ls.no_managed_fields = o->no_managed_fields;
	ls.fields = o->fields;
	if (o->parallel)
		ls.q = itemq_start(fn, arg);
	ret = list_pages(k, res, ns, o, ls_page, &ls, NULL, e);
	if (ls.q != NULL) {
		/* Items read before an error elsewhere are not shown; one
		 * that did not parse is what stopped the listing. */
		rc = itemq_finish(ls.q, ret < 0 && ls.qrc >= 0, &qe);
		if (rc < 0) {
			err_move(e, &qe);
			ret = -1;
		}
	}
	err_clear(&ls.err);
	return ret;
}

/* Writes. */

static void
write_query(struct strbuf *sb, const struct kube_write_opts *o, int apply)
{
	if (o != NULL && o->dry_run)
		query_add(sb, "dryRun", "All");
	if (o != NULL && o->field_manager != NULL)
		query_add(sb, "fieldManager", o->field_manager);
	else if (apply)
		query_add(sb, "fieldManager", "maasctl");
	if (apply && o != NULL && o->force)
		query_add(sb, "force", "true");
}

/* method path (with its query) with obj as the JSON body, through
 * kube_call. */
static int
call_json(struct kube *k, const char *method, const char *path,
    const cJSON *obj, const struct kube_resource *res, const char *name,
    cJSON **out, struct err *e)
{
	struct kreq	 r;
	char		*body;
	int		 ret;

	body = cJSON_PrintUnformatted(obj);
	memset(&r, 0, sizeof r);
	r.method = method;
	r.path = path;
	r.content_type = "application/json";
	r.body = body;
	ret = kube_call(k, &r, res, name, out, e);
	cJSON_free(body);
	return ret;
}

int
kube_create(struct kube *k, const struct kube_resource *res, const char *ns,
    const cJSON *obj, const struct kube_write_opts *o, cJSON **out,
    struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	char		*path;
	int		 ret;

	path = kube_path(res, ns, NULL, NULL);
	sb_adds(&sb, path);
	free(path);
	write_query(&sb, o, 0);
	ret = call_json(k, "POST", sb.buf, obj, res,
	    json_str(obj, "metadata.name"), out, e);
	sb_free(&sb);
	return ret;
}

int
kube_replace(struct kube *k, const struct kube_resource *res, const char *ns,
    const cJSON *obj, const char *rv, const struct kube_write_opts *o,
    cJSON **out, struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	cJSON		*copy;
	char		*path;
	const char	*name;
	int		 ret;

	name = json_str(obj, "metadata.name");
	if (name == NULL || *name == '\0')
		return err_set(e, EXIT_USAGE, "cannot replace an object "
		    "without metadata.name");
	copy = cJSON_Duplicate(obj, 1);
	if (rv != NULL)
		json_set_str(copy, "metadata.resourceVersion", rv);
	if (json_str(copy, "metadata.resourceVersion") == NULL) {
		cJSON_Delete(copy);
		return err_set(e, EXIT_USAGE, "cannot replace %s \"%s\" "
		    "without a resourceVersion", res->kind, name);
	}
	path = kube_path(res, ns, name, NULL);
	sb_adds(&sb, path);
	free(path);
	write_query(&sb, o, 0);
	ret = call_json(k, "PUT", sb.buf, copy, res, name, out, e);
	cJSON_Delete(copy);
	sb_free(&sb);
	return ret;
}

/* a and b but for what a status write changes (status, resourceVersion,
 * managedFields). */
static int
same_but_status(const cJSON *a, const cJSON *b)
{
	cJSON	*x = cJSON_Duplicate(a, 1), *y = cJSON_Duplicate(b, 1);
	cJSON	*o;
	int	 same;

	for (o = x; o != NULL; o = o == x ? y : NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(o, "status");
		cJSON_DeleteItemFromObjectCaseSensitive(json_obj(o,
		    "metadata"), "resourceVersion");
		cJSON_DeleteItemFromObjectCaseSensitive(json_obj(o,
		    "metadata"), "managedFields");
	}
	same = json_equal(x, y);
	cJSON_Delete(x);
	cJSON_Delete(y);
	return same;
}

#define UPDATE_TRIES	5

int
kube_update(struct kube *k, const struct kube_resource *res, const char *ns,
    cJSON *obj, const cJSON *base, const char *rv,
    const struct kube_write_opts *o, cJSON **out, struct err *e)
{
	struct err	 e2 = ERR_INIT;
	cJSON		*cur;
	const char	*name = json_str(obj, "metadata.name"), *nrv;
	int		 tries, same;

	for (tries = 1; ; tries++) {
		if (kube_replace(k, res, ns, obj, rv, o, out, e) == 0)
			return 0;
		if (e->code != EXIT_CONFLICT || rv != NULL || base == NULL ||
		    tries >= UPDATE_TRIES ||
		    kube_get(k, res, ns, name, &cur, &e2) != 0)
			break;
		same = same_but_status(cur, base);
		nrv = json_str(cur, "metadata.resourceVersion");
		if (same && nrv != NULL) {
			term_log(TERM_LOG_INFO, "%s %s/%s: only its status "
			    "changed since it was read (resourceVersion now "
			    "%s): updating again", res->kind, ns, name, nrv);
			json_set_str(obj, "metadata.resourceVersion", nrv);
			err_clear(e);
		}
		cJSON_Delete(cur);
		if (!same || nrv == NULL)
			break;
	}
	err_clear(&e2);
	return -1;
}

int
kube_patch(struct kube *k, const struct kube_resource *res, const char *ns,
    const char *name, enum kube_patch_type type, const char *body,
    const struct kube_write_opts *o, cJSON **out, struct err *e)
{
	static const char *ctypes[] = { "application/merge-patch+json",
	    "application/json-patch+json", "application/apply-patch+yaml",
	    "application/strategic-merge-patch+json" };
	struct strbuf	 sb = STRBUF_INIT;
	struct kreq	 r;
	char		*path;
	int		 ret;

	path = kube_path(res, ns, name, NULL);
	sb_adds(&sb, path);
	free(path);
	write_query(&sb, o, type == KUBE_PATCH_APPLY);
	memset(&r, 0, sizeof r);
	r.method = "PATCH";
	r.path = sb.buf;
	r.content_type = ctypes[type];
	r.body = body;
	/* Applying the same configuration twice is harmless. */
	r.retry_safe = type == KUBE_PATCH_APPLY;
	ret = kube_call(k, &r, res, name, out, e);
	sb_free(&sb);
	return ret;
}

int
kube_apply(struct kube *k, const struct kube_resource *res, const char *ns,
    const cJSON *obj, const struct kube_write_opts *o, cJSON **out,
    struct err *e)
{
	const char	*name = json_str(obj, "metadata.name");
	char		*body;
	int		 ret;

	if (name == NULL || *name == '\0')
		return err_set(e, EXIT_USAGE, "cannot apply an object without "
		    "metadata.name");
	body = cJSON_PrintUnformatted(obj);	/* JSON is YAML */
	ret = kube_patch(k, res, ns, name, KUBE_PATCH_APPLY, body, o, out, e);
	cJSON_free(body);
	return ret;
}

int
kube_delete(struct kube *k, const struct kube_resource *res, const char *ns,
    const char *name, const struct kube_write_opts *o, cJSON **out,
    struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	cJSON		*opts;
	char		*path;
	int		 ret;

	path = kube_path(res, ns, name, NULL);
	sb_adds(&sb, path);
	free(path);
	if (o != NULL && o->dry_run)
		query_add(&sb, "dryRun", "All");
	opts = cJSON_CreateObject();
	cJSON_AddStringToObject(opts, "kind", "DeleteOptions");
	cJSON_AddStringToObject(opts, "apiVersion", "v1");
	if (o != NULL && o->propagation != NULL)
		cJSON_AddStringToObject(opts, "propagationPolicy",
		    o->propagation);
	if (o != NULL && o->grace_period >= 0)
		cJSON_AddNumberToObject(opts, "gracePeriodSeconds",
		    (double)o->grace_period);
	if (o != NULL && o->dry_run) {
		cJSON_AddItemToObject(opts, "dryRun", cJSON_CreateArray());
		cJSON_AddItemToArray(cJSON_GetObjectItem(opts, "dryRun"),
		    cJSON_CreateString("All"));
	}
	ret = call_json(k, "DELETE", sb.buf, opts, res, name, out, e);
	cJSON_Delete(opts);
	sb_free(&sb);
	return ret;
}

/* Watch. */

struct wstate {
	const struct kube_resource *res;
	kube_watch_fn	 cb;
	void		*arg;
	int		 bookmarks;
	struct strbuf	 line;
	char		*rv;		/* last resourceVersion seen */
	int		 stopped;	/* the callback asked to stop */
	int		 gone;		/* 410: relist */
	int		 events;	/* events in this stream */
	struct err	 err;		/* an ERROR event other than 410 */
};

static void
ws_set_rv(struct wstate *w, const char *rv)
{
	if (rv == NULL || *rv == '\0')
		return;
	free(w->rv);
	w->rv = xstrdup(rv);
}

/* Give list items the kind and apiVersion lists leave out. */
static void
fill_type(const struct kube_resource *res, cJSON *item)
{
	char	*av;

	if (json_str(item, "kind") == NULL && *res->kind != '\0')
		cJSON_AddStringToObject(item, "kind", res->kind);
	if (json_str(item, "apiVersion") == NULL) {
		av = *res->group ? xasprintf("%s/%s", res->group, res->version)
		    : xstrdup(res->version);
		cJSON_AddStringToObject(item, "apiVersion", av);
		free(av);
	}
}

/* Handle one watch event line; non-zero stops the stream. */
static int
ws_event(struct wstate *w, const char *buf, size_t len)
{
	cJSON		*ev;
	const cJSON	*obj;
	const char	*type;
	char		*sbody;
	int		 code, stop = 0;

	while (len > 0 && (buf[len - 1] == '\r' || buf[len - 1] == ' '))
		len--;
	if (len == 0)
		return 0;
	ev = cJSON_ParseWithLength(buf, len);
	type = ev ? json_str(ev, "type") : NULL;
	obj = ev ? cJSON_GetObjectItemCaseSensitive(ev, "object") : NULL;
	if (type == NULL || !cJSON_IsObject(obj)) {
		err_set(&w->err, EXIT_ERR, "unable to decode watch event: %.*s",
		    (int)(len > 200 ? 200 : len), buf);
		cJSON_Delete(ev);
		return 1;
	}
	if (strcmp(type, "ERROR") == 0) {
		code = (int)json_num(obj, "code", 0);
		if (code == 410 || (json_str(obj, "reason") != NULL &&
		    (strcmp(json_str(obj, "reason"), "Expired") == 0 ||
		    strcmp(json_str(obj, "reason"), "Gone") == 0))) {
			term_log(TERM_LOG_DEBUG, "watch: %s; relisting",
			    json_str(obj, "message") ? json_str(obj,
			    "message") : "resource version too old");
			w->gone = 1;
		} else {
			sbody = cJSON_PrintUnformatted(obj);
			kube_error_from_response(code ? code : 500, sbody,
			    strlen(sbody), "GET", w->res, NULL, &w->err);
			cJSON_free(sbody);
		}
		cJSON_Delete(ev);
		return 1;
	}
	/* A Table event (as=Table) carries the version on its row. */
	ws_set_rv(w, json_str(obj, "metadata.resourceVersion") ?
	    json_str(obj, "metadata.resourceVersion") :
	    json_str(obj, "rows.0.object.metadata.resourceVersion"));
	w->events++;
	if (strcmp(type, "BOOKMARK") != 0 || w->bookmarks)
		stop = w->cb(w->arg, type, obj) != 0;
	if (stop)
		w->stopped = 1;
	cJSON_Delete(ev);
	return stop;
}

static int
ws_stream(const char *buf, size_t len, void *arg)
{
	struct wstate	*w = arg;
	const char	*nl;
	size_t		 n;

	while (len > 0) {
		nl = memchr(buf, '\n', len);
		if (nl == NULL) {
			sb_add(&w->line, buf, len);
			break;
		}
		n = (size_t)(nl - buf);
		sb_add(&w->line, buf, n);
		if (ws_event(w, w->line.buf, w->line.len) != 0)
			return 1;
		sb_reset(&w->line);
		buf += n + 1;
		len -= n + 1;
	}
	return 0;
}

/* List, hand each item to the callback as type, remember the list's RV. */
static int
ws_list(struct kube *k, const struct kube_resource *res, const char *ns,
    const struct kube_watch_opts *o, struct wstate *w, const char *type,
    struct err *e)
{
	struct kube_list_opts	 lo;
	cJSON			*list = NULL, *it;
	int			 ret = -1;

	memset(&lo, 0, sizeof lo);
	lo.label_selector = o->label_selector;
	lo.field_selector = o->field_selector;
	if (kube_list(k, res, ns, &lo, &list, e) != 0)
		return -1;
	ws_set_rv(w, json_str(list, "metadata.resourceVersion"));
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(list,
	    "items")) {
		fill_type(res, it);
		if (w->cb(w->arg, type, it) != 0) {
			w->stopped = 1;
			break;
		}
	}
	ret = 0;
	cJSON_Delete(list);
	return ret;
}

int
kube_watch(struct kube *k, const struct kube_resource *res, const char *ns,
    const struct kube_watch_opts *o, kube_watch_fn cb, void *arg,
    struct err *e)
{
	static const struct kube_watch_opts none;
	struct http_response	 resp = HTTP_RESPONSE_INIT;
	struct wstate		 w;
	struct strbuf		 sb = STRBUF_INIT;
	struct kreq		 r;
	struct err		 se = ERR_INIT;
	struct timespec		 ts;
	char			*base, *tmo;
	double			 start = clock_mono_s(), left, pause;
	int			 ret = -1, idle = 0, rc;

	if (o == NULL)
		o = &none;
	memset(&w, 0, sizeof w);
	w.res = res;
	w.cb = cb;
	w.arg = arg;
	w.bookmarks = o->bookmarks;
	base = kube_path(res, ns, NULL, NULL);
	if (o->resource_version != NULL && *o->resource_version != '\0')
		w.rv = xstrdup(o->resource_version);
	else if (ws_list(k, res, ns, o, &w, "ADDED", e) != 0)
		goto out;
	while (!w.stopped) {
		left = 0;
		if (o->until > 0) {
			left = o->until - (clock_mono_s() - start);
			if (left <= 0)
				break;
		}
		sb_reset(&sb);
		sb_adds(&sb, base);
		query_add(&sb, "watch", "1");
		if (w.rv != NULL)
			query_add(&sb, "resourceVersion", w.rv);
		query_add(&sb, "allowWatchBookmarks", "true");
		if (o->label_selector != NULL && *o->label_selector != '\0')
			query_add(&sb, "labelSelector", o->label_selector);
		if (o->field_selector != NULL && *o->field_selector != '\0')
			query_add(&sb, "fieldSelector", o->field_selector);
		if (o->timeout_seconds > 0) {
			tmo = xasprintf("%ld", o->timeout_seconds);
			query_add(&sb, "timeoutSeconds", tmo);
			free(tmo);
		}
		memset(&r, 0, sizeof r);
		r.method = "GET";
		r.path = sb.buf;
		r.accept = o->accept;
		r.stream = ws_stream;
		r.stream_arg = &w;
		r.timeout = left;
		w.events = 0;
		w.gone = 0;
		sb_reset(&w.line);
		http_response_free(&resp);
		rc = kube_send(k, &r, &resp, &se);
		if (w.line.len > 0 && !w.stopped && !w.gone && w.err.code == 0)
			ws_event(&w, w.line.buf, w.line.len);
		if (w.err.code != 0) {
			err_move(e, &w.err);
			goto out;
		}
		if (rc != 0) {
			/* The until deadline ends a stream as a timeout. */
			if (o->until > 0 &&
			    clock_mono_s() - start >= o->until - 0.05) {
				err_clear(&se);
				break;
			}
			if (w.events == 0 || ++idle > 5) {
				err_move(e, &se);
				goto out;
			}
			err_clear(&se);
			continue;
		}
		if (resp.status == 410) {
			w.gone = 1;
		} else if (resp.status < 200 || resp.status > 299) {
			kube_error_from_response(resp.status, resp.body.buf,
			    resp.body.len, "GET", res, NULL, e);
			goto out;
		}
		if (w.stopped)
			break;
		if (w.gone) {
			if (ws_list(k, res, ns, o, &w, "SYNC", e) != 0)
				goto out;
			idle = 0;
			continue;
		}
		/* The stream ended: resume, backing off if it was empty. */
		if (w.events > 0)
			idle = 0;
		else {
			pause = http_backoff(++idle, 0.2, 5, 0.5);
			ts.tv_sec = (time_t)pause;
			ts.tv_nsec = (long)((pause - (double)ts.tv_sec) * 1e9);
			nanosleep(&ts, NULL);
		}
	}
	ret = 0;
out:
	http_response_free(&resp);
	err_clear(&se);
	err_clear(&w.err);
	sb_free(&w.line);
	sb_free(&sb);
	free(w.rv);
	free(base);
	return ret;
}
