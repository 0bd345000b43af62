/*
 * gw_upstream.c: the gateway's backends.
 *
 * LLMInferenceService: one model simulator (modelsim.c) per stored
 * LLMInferenceService, serving spec.model.name with the settings of its
 * maas.sandbox/<key> annotations, created at start and kept current from
 * the API's change notifications (a bad annotation is logged and the
 * model keeps its previous settings).  A service whose status has the
 * condition Ready=False gets Envoy's 503 "no healthy upstream".
 *
 * ExternalModel (maas.opendatahub.io, MAAS-RESOURCES.md section 7): the
 * request is proxied with libevent's HTTP client to spec.endpoint (HTTPS
 * on port 443 unless the annotations maas.opendatahub.io/tls: "false" and
 * maas.opendatahub.io/port say otherwise; certificates verified against
 * the system's CAs), with "model" replaced by spec.targetModel and the
 * provider key of the Secret spec.credentialRef.name (data key api-key)
 * as the bearer.  Event streams are passed through chunk by chunk; the
 * usage of a JSON answer or of a stream's usage chunk is what the token
 * limits count.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "gw.h"
#include "json.h"
#include "modelsim.h"

#define G_KSERVE	"serving.kserve.io"
#define R_LLMIS		"llminferenceservices"
#define ANN_PREFIX	"maas.sandbox/"
#define UPSTREAM_TIMEOUT 300	/* seconds, as a long generation may take */

struct sim {
	char		*ns, *name;	/* the LLMInferenceService */
	char		*model;		/* served model name */
	struct modelsim	*ms;
	int		 ready;		/* no Ready=False condition */
};

static struct sim	**sims;
static size_t		  nsims;
static int		  listening;
static SSL_CTX		 *client_ctx;

static struct sim *
sim_find(const char *ns, const char *name)
{
	size_t	i;

	for (i = 0; i < nsims; i++)
		if (strcmp(sims[i]->ns, ns) == 0 &&
		    strcmp(sims[i]->name, name) == 0)
			return sims[i];
	return NULL;
}

static void
sim_free(struct sim *s)
{
	modelsim_free(s->ms);
	free(s->ns);
	free(s->name);
	free(s->model);
	free(s);
}

static void
sim_remove(const char *ns, const char *name)
{
	size_t	i;

	for (i = 0; i < nsims; i++)
		if (strcmp(sims[i]->ns, ns) == 0 &&
		    strcmp(sims[i]->name, name) == 0) {
			sim_free(sims[i]);
			sims[i] = sims[--nsims];
			return;
		}
}

static int
is_ready(const cJSON *o)
{
	const cJSON	*c;

	cJSON_ArrayForEach(c, json_path(o, "status.conditions"))
		if (json_str(c, "type") != NULL &&
		    strcmp(json_str(c, "type"), "Ready") == 0 &&
		    json_str(c, "status") != NULL)
			return strcmp(json_str(c, "status"), "False") != 0;
	return 1;
}

/* Create or update the simulator of one LLMInferenceService. */
static void
sim_sync(const cJSON *o)
{
	const char	*ns = json_str(o, "metadata.namespace");
	const char	*name = json_str(o, "metadata.name");
	const char	*model = json_str(o, "spec.model.name");
	const cJSON	*a;
	struct sim	*s;
	struct err	 e = ERR_INIT;
	cJSON		*cfg;

	if (ns == NULL || name == NULL)
		return;
	if (model == NULL || *model == '\0')
		model = name;
	cfg = cJSON_CreateObject();
	cJSON_ArrayForEach(a, json_path(o, "metadata.annotations"))
		if (a->string != NULL && strncmp(a->string, ANN_PREFIX,
		    strlen(ANN_PREFIX)) == 0 && a->string[strlen(ANN_PREFIX)])
			cJSON_AddItemToObject(cfg, a->string +
			    strlen(ANN_PREFIX), cJSON_Duplicate(a, 1));
	if ((s = sim_find(ns, name)) == NULL) {
		s = xcalloc(1, sizeof *s);
		if ((s->ms = modelsim_new(srv_base(), &e)) == NULL) {
			srv_log("msg=\"gateway: cannot start the model "
			    "simulator\" model=%s/%s err=\"%s\"", ns, name,
			    e.msg ? e.msg : "");
			free(s);
			goto out;
		}
		s->ns = xstrdup(ns);
		s->name = xstrdup(name);
		sims = xrealloc(sims, (nsims + 1) * sizeof *sims);
		sims[nsims++] = s;
	} else if (strcmp(s->model, model) != 0) {
		modelsim_remove_model(s->ms, s->model, NULL);
		free(s->model);
		s->model = NULL;
	}
	s->ready = is_ready(o);
	if (modelsim_set_model(s->ms, model, cfg, &e) != 0) {
		srv_log("msg=\"gateway: bad maas.sandbox annotations, %s\" "
		    "model=%s/%s err=\"%s\"", s->model ? "settings kept" :
		    "defaults used", ns, name, e.msg ? e.msg : "");
		if (s->model == NULL)
			modelsim_set_model(s->ms, model, NULL, NULL);
	}
	if (s->model == NULL)
		s->model = xstrdup(model);
out:
	err_clear(&e);
	cJSON_Delete(cfg);
}

static void
on_change(void *arg, const char *type, const char *grp, const char *res,
    const char *ns, const cJSON *obj)
{
	const char	*name = json_str(obj, "metadata.name");

	(void)arg;
	if (strcmp(grp, G_KSERVE) != 0 || strcmp(res, R_LLMIS) != 0 ||
	    name == NULL)
		return;
	if (strcmp(type, "DELETED") == 0)
		sim_remove(ns, name);
	else
		sim_sync(obj);
}

static int
sync_one(void *arg, const char *ns, const char *name, const char *json)
{
	cJSON	*o = cJSON_Parse(json);

	(void)arg;
	(void)ns;
	(void)name;
	if (o != NULL)
		sim_sync(o);
	cJSON_Delete(o);
	return 0;
}

int
gw_upstream_init(struct err *e)
{
	(void)e;
	if (api_store() != NULL)
		store_list(api_store(), G_KSERVE, R_LLMIS, NULL, NULL,
		    sync_one, NULL);
	if (!listening) {
		/* The API has no unregister: one listener per process. */
		api_on_change(on_change, NULL);
		listening = 1;
	}
	return 0;
}

void
gw_upstream_shutdown(void)
{
	while (nsims > 0)
		sim_free(sims[--nsims]);
	free(sims);
	sims = NULL;
	if (client_ctx != NULL) {
		SSL_CTX_free(client_ctx);
		client_ctx = NULL;
	}
}

/* ---- ExternalModel proxy ---- */

struct proxy {
	struct sbx_req		*q;		/* NULL once the client left */
	struct evhttp_connection *in;		/* the client's connection */
	int			 status;
	int			 streaming;	/* passing an event stream */
	char			*ctype;
	struct strbuf		 body;		/* a whole (non-stream) answer */
	struct strbuf		 line;		/* partial SSE line */
	long			 tokens;	/* usage.total_tokens seen */
	gw_done_fn		 done;
	void			*arg;
};

static void
proxy_end(struct proxy *p)
{
	p->done(p->arg, p->status, p->tokens);
	free(p->ctype);
	sb_free(&p->body);
	sb_free(&p->line);
	free(p);
}

/* Read usage.total_tokens from one JSON document, if present. */
static void
scan_usage(struct proxy *p, const char *s, size_t n)
{
	cJSON	*o = json_parse(s, n, NULL);
	double	 t;

	if (o != NULL && (t = json_num(o, "usage.total_tokens", -1)) >= 0)
		p->tokens = (long)t;
	cJSON_Delete(o);
}

/* Scan complete SSE lines of a stream for a usage chunk. */
static void
scan_sse(struct proxy *p, const char *data, size_t n)
{
	char	*nl, *ln;
	size_t	 off = 0, len;

	sb_add(&p->line, data, n);
	while ((nl = memchr(p->line.buf + off, '\n', p->line.len - off))
	    != NULL) {
		ln = p->line.buf + off;
		len = (size_t)(nl - ln);
		if (len > 5 && strncmp(ln, "data:", 5) == 0 &&
		    memmem(ln, len, "\"total_tokens\"", 14) != NULL)
			scan_usage(p, ln + 5, len - 5);
		off += len + 1;
	}
	if (off > 0) {
		memmove(p->line.buf, p->line.buf + off, p->line.len - off);
		p->line.len -= off;
		p->line.buf[p->line.len] = '\0';
	}
}

static void
client_gone(struct sbx_req *q, void *arg)
{
	struct proxy	*p = arg;

	(void)q;
	p->q = NULL;	/* the server frees q; the upstream runs out */
}

static void
client_closed(struct evhttp_connection *c, void *arg)
{
	struct proxy		*p = arg;
	struct evhttp_request	*r;

	(void)c;
	if (p->q == NULL)
		return;
	r = srv_handoff(p->q, "", 0);
	p->q = NULL;
	if (evhttp_request_get_connection(r) == NULL)
		evhttp_request_free(r);
}

static void
on_headers_(struct proxy *p, struct evhttp_request *u)
{
	const char	*ct;

	p->status = evhttp_request_get_response_code(u);
	ct = evhttp_find_header(evhttp_request_get_input_headers(u),
	    "Content-Type");
	p->ctype = xstrdup(ct ? ct : "application/octet-stream");
	if (p->status == 200 && strncasecmp(p->ctype, "text/event-stream",
	    17) == 0 && p->q != NULL) {
		p->streaming = 1;
		evhttp_connection_set_closecb(p->in, NULL, NULL);
		srv_stream_start(p->q, p->ctype);
		p->q->on_close = client_gone;
		p->q->on_close_arg = p;
	}
}

static int
on_headers(struct evhttp_request *u, void *arg)
{
	on_headers_(arg, u);
	return 0;
}

static void
take_body(struct proxy *p, struct evhttp_request *u)
{
	struct evbuffer	*b = evhttp_request_get_input_buffer(u);
	size_t		 n = evbuffer_get_length(b);
	char		*tmp;

	if (n == 0)
		return;
	tmp = xmalloc(n);
	evbuffer_remove(b, tmp, n);
	if (p->streaming) {
		scan_sse(p, tmp, n);
		if (p->q != NULL)
			srv_stream_send(p->q, tmp, n);
	} else
		sb_add(&p->body, tmp, n);
	free(tmp);
}

static void
on_chunk(struct evhttp_request *u, void *arg)
{
	take_body(arg, u);
}

static void
on_done(struct evhttp_request *u, void *arg)
{
	struct proxy	*p = arg;
	static const char fail[] = "upstream connect error or disconnect/reset "
	    "before headers. reset reason: connection failure";

	if (u != NULL && p->status == 0 &&
	    evhttp_request_get_response_code(u) != 0)
		on_headers_(p, u);
	if (u != NULL)
		take_body(p, u);
	if (p->streaming) {
		if (p->q != NULL) {
			p->q->on_close = NULL;
			srv_stream_end(p->q);
		}
	} else if (p->q != NULL) {
		evhttp_connection_set_closecb(p->in, NULL, NULL);
		if (u == NULL || p->status == 0) {
			p->status = 503;
			srv_reply(p->q, 503, "text/plain", fail,
			    sizeof fail - 1);
		} else {
			if (p->status == 200)
				scan_usage(p, p->body.buf ? p->body.buf : "",
				    p->body.len);
			srv_reply(p->q, p->status, p->ctype, p->body.buf ?
			    p->body.buf : "", p->body.len);
		}
	}
	p->q = NULL;
	proxy_end(p);
}

static SSL_CTX *
tls_client(void)
{
	if (client_ctx == NULL && (client_ctx = SSL_CTX_new(
	    TLS_client_method())) != NULL) {
		SSL_CTX_set_min_proto_version(client_ctx, TLS1_2_VERSION);
		SSL_CTX_set_default_verify_paths(client_ctx);
		SSL_CTX_set_verify(client_ctx, SSL_VERIFY_PEER, NULL);
	}
	return client_ctx;
}

/* The provider key from the credential Secret (data key api-key). */
static char *
provider_key(const char *ns, const char *secret)
{
	cJSON		*s;
	const char	*d;
	unsigned char	*out;
	int		 n;
	size_t		 len;
	char		*key = NULL;

	if (secret == NULL || (s = gw_get("", "secrets", ns, secret)) == NULL)
		return NULL;
	if ((d = json_str(s, "data.api-key")) != NULL) {
		len = strlen(d);
		out = xmalloc(len + 1);
		n = EVP_DecodeBlock(out, (const unsigned char *)d, (int)len);
		if (n >= 0) {
			while (len > 0 && d[len - 1] == '=') {
				len--;
				n--;
			}
			out[n] = '\0';
			while (n > 0 && isspace(out[n - 1]))
				out[--n] = '\0';
			key = (char *)out;
		} else
			free(out);
	} else if ((d = json_str(s, "stringData.api-key")) != NULL)
		key = xstrdup(d);
	cJSON_Delete(s);
	return key;
}

static void
external_send(struct sbx_req *q, const struct gw_model *m, const char *path,
    char *body, size_t len, gw_done_fn done, void *arg)
{
	static const char nh[] = "no healthy upstream";
	cJSON			*em, *b = NULL;
	const cJSON		*ann;
	const char		*host, *tlsa, *porta, *target;
	struct proxy		*p;
	struct evhttp_connection *c;
	struct evhttp_request	*u;
	struct evkeyvalq	*h;
	struct bufferevent	*bev;
	SSL			*ssl = NULL;
	char			*key = NULL, *auth, *out;
	int			 tls, port;

	em = gw_get("maas.opendatahub.io", "externalmodels", m->ns,
	    m->backend);
	host = em ? json_str(em, "spec.endpoint") : NULL;
	if (host == NULL) {
		cJSON_Delete(em);
		srv_reply(q, 503, "text/plain", nh, sizeof nh - 1);
		done(arg, 503, -1);
		return;
	}
	ann = json_path(em, "metadata.annotations");
	tlsa = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ann,
	    "maas.opendatahub.io/tls"));
	porta = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ann,
	    "maas.opendatahub.io/port"));
	tls = tlsa == NULL || strcasecmp(tlsa, "false") != 0;
	port = porta ? atoi(porta) : tls ? 443 : 80;
	if (port <= 0 || port > 65535)
		port = tls ? 443 : 80;
	/* The provider's own model name. */
	if ((target = json_str(em, "spec.targetModel")) != NULL &&
	    (b = json_parse(body, len, NULL)) != NULL && cJSON_IsObject(b)) {
		json_set_str(b, "model", target);
		out = cJSON_PrintUnformatted(b);
		body = out;
		len = strlen(out);
	} else
		out = NULL;
	p = xcalloc(1, sizeof *p);
	p->q = q;
	p->in = evhttp_request_get_connection(q->r);
	p->done = done;
	p->arg = arg;
	p->tokens = -1;
	if (tls) {
		if (tls_client() == NULL || (ssl = SSL_new(client_ctx)) ==
		    NULL)
			goto fail;
		SSL_set_tlsext_host_name(ssl, host);
		SSL_set1_host(ssl, host);
		bev = bufferevent_openssl_socket_new(srv_base(), -1, ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE |
		    BEV_OPT_DEFER_CALLBACKS);
		if (bev == NULL) {
			SSL_free(ssl);
			goto fail;
		}
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
		c = evhttp_connection_base_bufferevent_new(srv_base(), NULL,
		    bev, host, (ev_uint16_t)port);
		if (c == NULL)
			bufferevent_free(bev);
	} else
		c = evhttp_connection_base_new(srv_base(), NULL, host,
		    (ev_uint16_t)port);
	if (c == NULL)
		goto fail;
	evhttp_connection_set_timeout(c, UPSTREAM_TIMEOUT);
	evhttp_connection_free_on_completion(c);
	u = evhttp_request_new(on_done, p);
	evhttp_request_set_header_cb(u, on_headers);
	evhttp_request_set_chunked_cb(u, on_chunk);
	h = evhttp_request_get_output_headers(u);
	evhttp_add_header(h, "Host", host);
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Accept", "application/json, text/event-stream");
	if ((key = provider_key(m->ns, json_str(em,
	    "spec.credentialRef.name"))) != NULL) {
		auth = xasprintf("Bearer %s", key);
		evhttp_add_header(h, "Authorization", auth);
		xfree_secret(auth);
		xfree_secret(key);
	}
	evbuffer_add(evhttp_request_get_output_buffer(u), body, len);
	evhttp_connection_set_closecb(p->in, client_closed, p);
	if (evhttp_make_request(c, u, strcmp(q->method, "GET") == 0 ?
	    EVHTTP_REQ_GET : EVHTTP_REQ_POST, path) != 0) {
		/* libevent freed u; the connection goes with it. */
		evhttp_connection_set_closecb(p->in, NULL, NULL);
		on_done(NULL, p);
	}
	free(out);
	cJSON_Delete(b);
	cJSON_Delete(em);
	return;
fail:
	srv_log("msg=\"gateway: cannot reach the external model\" "
	    "model=%s/%s host=%s", m->ns, m->backend, host);
	free(out);
	cJSON_Delete(b);
	cJSON_Delete(em);
	p->q = NULL;
	srv_reply(q, 503, "text/plain", nh, sizeof nh - 1);
	p->status = 503;
	proxy_end(p);
}

void
gw_upstream_send(struct sbx_req *q, const struct gw_model *m,
    const char *path, char *body, size_t len, gw_done_fn done, void *arg)
{
	static const char nh[] = "no healthy upstream";
	struct sim		*s;
	struct evhttp_request	*r;

	if (strcmp(m->kind, "ExternalModel") == 0) {
		external_send(q, m, path, body, len, done, arg);
		return;
	}
	if ((s = sim_find(m->ns, m->backend)) == NULL || !s->ready) {
		srv_reply(q, 503, "text/plain", nh, sizeof nh - 1);
		done(arg, 503, -1);
		return;
	}
	r = srv_handoff(q, body, len);
	modelsim_handle_cb(s->ms, r, s->model, done, arg);
}
