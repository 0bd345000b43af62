/*
 * gateway.c: the sandbox's MaaS gateway listener (maas-default-gateway):
 * routing, and the life of a model request from arrival to completion.
 *
 * Routes as the real HTTPRoutes do (MAAS-API.md section 1, MAAS-RESOURCES.md
 * section 9):
 *  - `/maas-api` and its sub-paths go to maas-api with the prefix
 *    rewritten to `/`; the top-level aliases `/v1/api-keys`, `/v1/models`
 *    and `/v1/subscriptions` (and sub-paths) go to maas-api unchanged;
 *    `GET /maas-api/health` skips auth.
 *  - `POST /v1/chat/completions` and `/v1/completions` are routed by the
 *    body's "model" (body-based routing); `/<ns>/<name>/v1/...` by path to
 *    the LLMInferenceService or ExternalModel <ns>/<name>.
 *  - Anything else is Envoy's 404 with an empty body.
 *
 * A model request is authenticated (gw_auth.c: 401/403), its model
 * resolved, access and subscription decided (gw_policy.c: 403 with the
 * subscription-info message), its token budget checked (gw_limit.c: 429
 * "Too Many Requests"), then sent upstream (gw_upstream.c).  As the
 * payload-processing pipeline does, a streamed request always gets
 * stream_options.include_usage, so its usage chunk can be counted.  When
 * the answer is complete, gw_complete() adds usage.total_tokens to the
 * user's counters and writes one log line; a model server's /v1/models is
 * never counted or limited.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>

#include "clock.h"
#include "gw.h"
#include "json.h"
#include "maasapi.h"
#include "metrics.h"

/* One model request in flight. */
struct gw_call {
	struct gw_model	 m;
	struct gw_grant	 g;
	char		*user;
	int		 metered;	/* counts against token limits */
	double		 start;
};

int
gateway_init(const struct sbx_config *c, struct err *e)
{
	if (metrics_init(c, e) == -1)
		return -1;
	if (gw_auth_init(c, e) != 0)
		return -1;
	if (maasapi_init(c, e) != 0)
		return -1;
	return gw_upstream_init(e);
}

void
gateway_shutdown(void)
{
	gw_upstream_shutdown();
	gw_limit_shutdown();
	maasapi_shutdown();
	gw_auth_shutdown();
	metrics_shutdown();
}

/* Authenticate and hand the request to maas-api at path. */
static void
to_maasapi(struct sbx_req *q, const char *path)
{
	struct gw_ident		id;
	struct maas_caller	c;

	if (strcmp(path, "/health") == 0 && strcmp(q->method, "GET") == 0 &&
	    strncmp(q->path, "/maas-api", 9) == 0) {
		maasapi_handle(q, path, NULL);
		return;
	}
	if (gw_authenticate(q, &id) != 0)
		return;
	c.user = id.user;
	c.groups = &id.groups;
	c.admin = id.admin;
	maasapi_handle(q, path, &c);
	gw_ident_free(&id);
}

/* Does path equal prefix or continue it with '/'? (PathPrefix match) */
static int
path_prefix(const char *path, const char *prefix)
{
	size_t	n = strlen(prefix);

	return strncmp(path, prefix, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/');
}

static int
path_ends(const char *path, const char *suffix)
{
	size_t	n = strlen(path), m = strlen(suffix);

	return n >= m && strcmp(path + n - m, suffix) == 0;
}

/* An OpenAI-shaped error, as the payload-processing pipeline answers. */
static void
reply_oai(struct sbx_req *q, int status, const char *type, const char *msg)
{
	cJSON	*o = cJSON_CreateObject(), *e;
	char	*s;

	e = cJSON_AddObjectToObject(o, "error");
	cJSON_AddStringToObject(e, "message", msg);
	cJSON_AddStringToObject(e, "type", type);
	cJSON_AddNumberToObject(e, "code", status);
	s = cJSON_PrintUnformatted(o);
	srv_reply(q, status, "application/json", s, strlen(s));
	free(s);
	cJSON_Delete(o);
}

/* The request is over: count its tokens, log it. */
static void
gw_complete(void *arg, int status, long tokens)
{
	struct gw_call	*call = arg;
	double		 ms;
	char		*model;

	if (call->metered && status == 200 && tokens > 0)
		gw_limit_add(&call->g, &call->m, call->user, tokens);
	ms = (clock_mono_s() - call->start) * 1e3;
	if (call->metered) {
		/* Telemetry (metrics.h): the limiter's own 429 has no tokens. */
		model = xasprintf("%s/%s", call->m.ns, call->m.name);
		metrics_record(call->user, call->g.sub, model, status == 200 &&
		    tokens > 0 ? tokens : 0, status == 429 && tokens < 0, ms);
		free(model);
	}
	srv_log("msg=\"gateway: model request\" user=\"%s\" model=%s/%s "
	    "subscription=%s/%s status=%d tokens=%ld ms=%.1f", call->user,
	    call->m.ns, call->m.name, call->g.sub_ns ? call->g.sub_ns : "",
	    call->g.sub ? call->g.sub : "", status, tokens, ms);
	gw_model_free(&call->m);
	gw_grant_free(&call->g);
	free(call->user);
	free(call);
}

/*
 * A model request: body-based when ns is NULL, else path-based with rest
 * the backend's own path ("/v1/chat/completions").
 */
static void
to_model(struct sbx_req *q, const char *ns, const char *name,
    const char *rest)
{
	struct evkeyvalq	*h = evhttp_request_get_input_headers(q->r);
	struct gw_ident		 id;
	struct gw_call		*call = NULL;
	const char		*model, *requested;
	cJSON			*body = NULL, *so;
	char			*text = NULL, *msg, reset[32];
	double			 left;
	size_t			 len;

	if (gw_authenticate(q, &id) != 0)
		return;
	call = xcalloc(1, sizeof *call);
	call->start = clock_mono_s();
	body = json_parse(q->body, q->body_len, NULL);
	if (ns == NULL) {
		if (!cJSON_IsObject(body) || (model = json_str(body,
		    "model")) == NULL || *model == '\0') {
			reply_oai(q, 400, "invalid_request_error", "the "
			    "request body must be a JSON object with a "
			    "\"model\"");
			goto out;
		}
		if (gw_model_by_id(model, &call->m) != 0) {
			msg = xasprintf("The model `%s` does not exist.",
			    model);
			reply_oai(q, 404, "invalid_request_error", msg);
			free(msg);
			goto out;
		}
	} else if (gw_model_by_path(ns, name, &call->m) != 0) {
		srv_reply(q, 404, "text/plain", "", 0);
		goto out;
	}
	/* API keys use their bound subscription; the client header is
	 * ignored for them (section 7.4). */
	requested = id.cred == GW_CRED_KEY ? id.key_sub :
	    evhttp_find_header(h, "X-MaaS-Subscription");
	if (gw_authorize(&id, &call->m, requested, &call->g) != 0) {
		gw_deny_403(q, call->g.error, call->g.message);
		goto out;
	}
	call->user = xstrdup(id.user);
	call->metered = !path_ends(rest, "/v1/models");
	if (call->metered && gw_limit_over(&call->g, &call->m, id.user,
	    &left)) {
		static const char tmr[] = "Too Many Requests\n";

		snprintf(reset, sizeof reset, "%.0f", left < 1 ? 1 : left);
		srv_log("msg=\"gateway: token limit\" user=\"%s\" model=%s/%s "
		    "subscription=%s/%s reset=%ss%s", id.user, call->m.ns,
		    call->m.name, call->g.sub_ns ? call->g.sub_ns : "",
		    call->g.sub ? call->g.sub : "", reset,
		    call->g.default_deny ? " policy=gateway-default-deny" : "");
		srv_reply(q, 429, "text/plain", tmr, sizeof tmr - 1);
		gw_complete(call, 429, -1);
		call = NULL;
		goto out;
	}
	/* Payload processing: streams always carry their usage. */
	if (cJSON_IsObject(body) && json_bool(body, "stream", 0)) {
		so = json_obj(body, "stream_options");
		cJSON_DeleteItemFromObjectCaseSensitive(so, "include_usage");
		cJSON_AddTrueToObject(so, "include_usage");
		text = cJSON_PrintUnformatted(body);
		len = strlen(text);
	} else {
		text = xmalloc(q->body_len + 1);
		memcpy(text, q->body, q->body_len + 1);
		len = q->body_len;
	}
	gw_ident_free(&id);
	cJSON_Delete(body);
	gw_upstream_send(q, &call->m, rest, text, len, gw_complete, call);
	free(text);
	return;
out:
	if (call != NULL) {
		gw_model_free(&call->m);
		gw_grant_free(&call->g);
		free(call->user);
		free(call);
	}
	gw_ident_free(&id);
	cJSON_Delete(body);
}

/* Split /<ns>/<name>/v1/... ; 0 on a match. */
static int
model_path(const char *p, char **ns, char **name, const char **rest)
{
	const char	*a, *b;

	if (p[0] != '/' || (a = strchr(p + 1, '/')) == NULL || a == p + 1 ||
	    (b = strchr(a + 1, '/')) == NULL || b == a + 1 ||
	    !path_prefix(b, "/v1"))
		return -1;
	*ns = xstrndup(p + 1, (size_t)(a - p - 1));
	*name = xstrndup(a + 1, (size_t)(b - a - 1));
	*rest = b;
	/* The policy's model identity skips these first segments. */
	if (strcmp(*ns, "v1") == 0 || strcmp(*ns, "maas-api") == 0) {
		free(*ns);
		free(*name);
		return -1;
	}
	return 0;
}

void
gateway_handle(struct sbx_req *q)
{
	const char	*p = q->path, *rest;
	char		*ns, *name;

	if (path_prefix(p, "/maas-api")) {
		/* maas-api-route: URLRewrite ReplacePrefixMatch "/". */
		to_maasapi(q, p[9] == '\0' ? "/" : p + 9);
		return;
	}
	if (path_prefix(p, "/v1/api-keys") || path_prefix(p, "/v1/models") ||
	    path_prefix(p, "/v1/subscriptions")) {
		to_maasapi(q, p);
		return;
	}
	/* Telemetry (metrics.h): Limitador/Istio metrics, Prometheus API. */
	if (strcmp(p, "/metrics") == 0) {
		metrics_handle(q);
		return;
	}
	if (path_prefix(p, "/api/v1")) {
		promql_handle(q, p);
		return;
	}
	if (strcmp(p, "/v1/chat/completions") == 0 ||
	    strcmp(p, "/v1/completions") == 0) {
		to_model(q, NULL, NULL, p);
		return;
	}
	if (model_path(p, &ns, &name, &rest) == 0) {
		to_model(q, ns, name, rest);
		free(ns);
		free(name);
		return;
	}
	srv_reply(q, 404, "text/plain", "", 0);
}
