/*
 * server.c: the sandbox daemon's HTTP transport.  libevent evhttp
 * HTTP/1.1 listeners bound to 127.0.0.1 only (HTTPS through
 * bufferevent_openssl, or plain HTTP with --plain), keep-alive, chunked
 * streaming for watches, request size limits and timeouts, graceful
 * shutdown on SIGTERM/SIGINT, and one structured access-log line per
 * request.  Everything runs on one event loop, no threads.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "apiserver.h"
#include "sandbox/chunked.h"
#include "clock.h"
#include "controller.h"
#include "maasapi.h"

#define MAX_BODY	(3 * 1024 * 1024)	/* the apiserver's own limit */
#define MAX_HEADERS	(64 * 1024)
#define IO_TIMEOUT	60			/* seconds, idle connections */


static struct event_base	*base;
static FILE			*logfp;
static SSL_CTX			*ssl_ctx;
static int			 stopping;

struct event_base *
srv_base(void)
{
	return base;
}

void
srv_log(const char *fmt, ...)
{
	va_list		 ap;
	char		 ts[32];
	time_t		 now = time(NULL);
	struct tm	 tm;

	if (logfp == NULL)
		return;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(logfp, "time=%s ", ts);
	va_start(ap, fmt);
	vfprintf(logfp, fmt, ap);
	va_end(ap);
	fputc('\n', logfp);
	fflush(logfp);
}

/* Quote a log value: printable ASCII only, no quotes or backslashes. */
static void
logval(char *dst, size_t n, const char *s)
{
	size_t	 i = 0;

	for (; s != NULL && *s != '\0' && i + 1 < n; s++)
		dst[i++] = (*s >= 0x20 && *s < 0x7f && *s != '"' &&
		    *s != '\\') ? *s : '?';
	dst[i] = '\0';
}

static void
access_log(struct sbx_req *q)
{
	double		 ms;
	char		 path[512], ua[160];
	const char	*h = NULL;
	struct evkeyvalq *hdr;

	ms = (clock_mono_s() - q->start) * 1e3;
	if (!q->closed && q->r != NULL) {
		hdr = evhttp_request_get_input_headers(q->r);
		h = evhttp_find_header(hdr, "User-Agent");
	}
	logval(path, sizeof path, q->path);
	logval(ua, sizeof ua, h);
	srv_log("peer=%s user=\"%s\" method=%s path=\"%s%s%.200s\" status=%d "
	    "bytes=%zu ms=%.1f%s ua=\"%s\"", q->peer,
	    q->authed ? q->id.user : "", q->method, path,
	    q->query ? "?" : "", q->query ? q->query : "", q->status, q->sent,
	    ms, q->streaming ? " stream=watch" : "", ua);
}

static void
req_free(struct sbx_req *q)
{
	free(q->path);
	free(q->query);
	free(q->body);
	free(q->id.user);
	sl_free(&q->id.groups);
	free(q);
}

void
srv_header(struct sbx_req *q, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(q->r), name, value);
}

void
srv_reply(struct sbx_req *q, int status, const char *ctype, const char *body,
    size_t len)
{
	struct evbuffer		*b;
	struct evkeyvalq	*out = evhttp_request_get_output_headers(q->r);

	evhttp_add_header(out, "Content-Type", ctype);
	evhttp_add_header(out, "Cache-Control", "no-cache, private");
	if (stopping)
		evhttp_add_header(out, "Connection", "close");
	b = evbuffer_new();
	evbuffer_add(b, body, len);
	q->status = status;
	q->sent = len;
	/* libevent's table lacks 429's phrase. */
	evhttp_send_reply(q->r, status, status == 429 ? "Too Many Requests" :
	    NULL, b);
	evbuffer_free(b);
	access_log(q);
	req_free(q);
}

static void
stream_closed(struct evhttp_connection *evcon, void *arg)
{
	struct sbx_req	*q = arg;

	(void)evcon;
	q->closed = 1;
	q->r = NULL;
	if (q->on_close != NULL)
		q->on_close(q, q->on_close_arg);
	access_log(q);
	req_free(q);
}

void
srv_stream_start(struct sbx_req *q, const char *ctype)
{
	struct evkeyvalq	*out = evhttp_request_get_output_headers(q->r);

	evhttp_add_header(out, "Content-Type", ctype);
	evhttp_add_header(out, "Cache-Control", "no-cache, private");
	q->streaming = 1;
	q->status = 200;
	evhttp_send_reply_start(q->r, 200, "OK");
	evhttp_connection_set_closecb(evhttp_request_get_connection(q->r),
	    stream_closed, q);
}

void
srv_stream_send(struct sbx_req *q, const char *data, size_t len)
{
	struct evbuffer	*b;

	if (q->closed)
		return;
	b = evbuffer_new();
	evbuffer_add(b, data, len);
	q->sent += len;
	evhttp_send_reply_chunk(q->r, b);
	evbuffer_free(b);
}

void
srv_stream_end(struct sbx_req *q)
{
	if (!q->closed) {
		evhttp_connection_set_closecb(
		    evhttp_request_get_connection(q->r), NULL, NULL);
		chunked_end(q->r);
	}
	access_log(q);
	req_free(q);
}

struct evhttp_request *
srv_handoff(struct sbx_req *q, const char *body, size_t len)
{
	struct evhttp_request	*r = q->r;

	evbuffer_add(evhttp_request_get_input_buffer(r), body, len);
	req_free(q);
	return r;
}

char *
srv_query(const struct sbx_req *q, const char *key)
{
	struct evkeyvalq	 kv;
	const char		*v;
	char			*out = NULL;

	if (q->query == NULL)
		return NULL;
	TAILQ_INIT(&kv);
	if (evhttp_parse_query_str(q->query, &kv) != 0) {
		evhttp_clear_headers(&kv);
		return NULL;
	}
	if ((v = evhttp_find_header(&kv, key)) != NULL)
		out = xstrdup(v);
	evhttp_clear_headers(&kv);
	return out;
}

static struct sbx_req *
req_new(struct evhttp_request *r, int tls)
{
	struct sbx_req		*q;
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(r);
	struct evkeyvalq	*in = evhttp_request_get_input_headers(r);
	struct evbuffer		*b = evhttp_request_get_input_buffer(r);
	struct evhttp_connection *evcon = evhttp_request_get_connection(r);
	const char		*p, *h;
	char			*addr = NULL;
	ev_uint16_t		 port = 0;
	size_t			 n;

	q = xcalloc(1, sizeof *q);
	q->r = r;
	q->tls = tls;
	q->start = clock_mono_s();
	switch (evhttp_request_get_command(r)) {
	case EVHTTP_REQ_GET:	q->method = "GET"; break;
	case EVHTTP_REQ_POST:	q->method = "POST"; break;
	case EVHTTP_REQ_PUT:	q->method = "PUT"; break;
	case EVHTTP_REQ_PATCH:	q->method = "PATCH"; break;
	case EVHTTP_REQ_DELETE:	q->method = "DELETE"; break;
	case EVHTTP_REQ_HEAD:	q->method = "HEAD"; break;
	case EVHTTP_REQ_OPTIONS: q->method = "OPTIONS"; break;
	default:		q->method = "OTHER"; break;
	}
	p = uri ? evhttp_uri_get_path(uri) : NULL;
	q->path = evhttp_uridecode(p && *p ? p : "/", 0, NULL);
	if (uri != NULL && (p = evhttp_uri_get_query(uri)) != NULL)
		q->query = xstrdup(p);
	n = evbuffer_get_length(b);
	q->body = xmalloc(n + 1);
	evbuffer_remove(b, q->body, n);
	q->body[n] = '\0';
	q->body_len = n;
	h = evhttp_find_header(in, "Content-Type");
	q->content_type = h ? h : "";
	h = evhttp_find_header(in, "Accept");
	q->accept = h ? h : "";
	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &addr, &port);
	snprintf(q->peer, sizeof q->peer, "%s:%u", addr ? addr : "?",
	    (unsigned)port);
	return q;
}

static void
on_api(struct evhttp_request *r, void *arg)
{
	struct sbx_req	*q = req_new(r, arg != NULL);

	api_handle(q);
}

static void
on_gateway(struct evhttp_request *r, void *arg)
{
	struct sbx_req	*q = req_new(r, arg != NULL);

	gateway_handle(q);
}

static struct bufferevent *
tls_bevcb(struct event_base *b, void *arg)
{
	SSL			*ssl = SSL_new(arg);
	struct bufferevent	*bev;

	bev = bufferevent_openssl_socket_new(b, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev != NULL)
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

static SSL_CTX *
tls_ctx(const char *dir, struct err *e)
{
	SSL_CTX		*ctx;
	char		*crt, *key;
	unsigned long	 code;
	char		 why[256] = "unknown error";

	crt = xasprintf("%s/%s", dir, SBX_SERVER_CERT);
	key = xasprintf("%s/%s", dir, SBX_SERVER_KEY);
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL)
		goto fail;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	if (SSL_CTX_use_certificate_chain_file(ctx, crt) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		goto fail;
	free(crt);
	free(key);
	return ctx;
fail:
	if ((code = ERR_get_error()) != 0)
		ERR_error_string_n(code, why, sizeof why);
	err_set(e, EXIT_ERR, "sandbox: cannot load the server certificate %s "
	    "and key %s: %s", crt, key, why);
	ERR_clear_error();
	SSL_CTX_free(ctx);
	free(crt);
	free(key);
	return NULL;
}

static struct evhttp *
listener(int *port, int tls, void (*cb)(struct evhttp_request *, void *),
    const char *what, struct err *e)
{
	struct evhttp			*h;
	struct evhttp_bound_socket	*bs;
	struct sockaddr_in		 sin;
	socklen_t			 slen = sizeof sin;
	int				 one = 1;

	h = evhttp_new(base);
	evhttp_set_max_body_size(h, MAX_BODY);
	evhttp_set_max_headers_size(h, MAX_HEADERS);
	evhttp_set_timeout(h, IO_TIMEOUT);
	evhttp_set_allowed_methods(h, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS);
	evhttp_set_gencb(h, cb, tls ? ssl_ctx : NULL);
	if (tls)
		evhttp_set_bevcb(h, tls_bevcb, ssl_ctx);
	/* Loopback only, never another address. */
	bs = evhttp_bind_socket_with_handle(h, "127.0.0.1", (ev_uint16_t)*port);
	if (bs == NULL) {
		err_set(e, EXIT_ERR, "sandbox: cannot listen on 127.0.0.1:%d "
		    "for the %s: %s", *port, what, errno == EADDRINUSE ?
		    "port already in use" : strerror(errno));
		evhttp_free(h);
		return NULL;
	}
	/*
	 * No Nagle: Linux hands TCP_NODELAY on to accepted sockets.  Without
	 * it a response written after the TLS session tickets waits for the
	 * client's delayed ACK, 40 ms on every new connection (a Go API
	 * server sets it on every connection too).
	 */
	(void)setsockopt(evhttp_bound_socket_get_fd(bs), IPPROTO_TCP,
	    TCP_NODELAY, &one, sizeof one);
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin,
	    &slen) == 0)
		*port = ntohs(sin.sin_port);
	return h;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct timeval	 tv = { 0, 200000 };

	(void)what;
	(void)arg;
	if (stopping)
		return;
	stopping = 1;
	srv_log("msg=\"shutting down\" signal=%d", (int)sig);
	api_shutdown();
	event_base_loopexit(base, &tv);
}

static int
write_info(const struct sbx_config *c, int api_port, int gw_port,
    struct err *e)
{
	char	*path, *tmp, *body;
	int	 fd, rc = -1;
	const char *scheme = c->plain ? "http" : "https";

	path = xasprintf("%s/%s", c->state_dir, SBX_INFO_FILE);
	tmp = xasprintf("%s.tmp", path);
	body = xasprintf("{\"pid\":%ld,\"scheme\":\"%s\",\"api_port\":%d,"
	    "\"gateway_port\":%d,\"api_url\":\"%s://127.0.0.1:%d\","
	    "\"gateway_url\":\"%s://127.0.0.1:%d\"}\n", (long)getpid(), scheme,
	    api_port, gw_port, scheme, api_port, scheme, gw_port);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1 ||
	    write(fd, body, strlen(body)) != (ssize_t)strlen(body) ||
	    fsync(fd) == -1 || close(fd) == -1 || rename(tmp, path) == -1) {
		err_set(e, EXIT_ERR, "sandbox: cannot write %s: %s", path,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(path);
	free(tmp);
	free(body);
	return rc;
}

int
sbx_serve(const struct sbx_config *c, struct err *e)
{
	struct evhttp	*api = NULL, *gw = NULL;
	struct event	*sigterm = NULL, *sigint = NULL;
	struct event_config *cfg;
	int		 api_port = c->api_port, gw_port = c->gateway_port;
	int		 rc = -1, own_log = 0;
	char		*lp;

	signal(SIGPIPE, SIG_IGN);
	/*
	 * A list reply of 500 objects is a buffer of a megabyte or more, built
	 * and freed per request.  glibc would map each one fresh and unmap it
	 * on free, so every list would page-fault its whole reply in again
	 * (about 8 ms a page of 500 MaaSSubscriptions, against 1 ms once
	 * reused): keep such buffers in the heap and the heap untrimmed.
	 */
	mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
	stopping = 0;
	if (c->foreground)
		logfp = stderr;
	else {
		lp = xasprintf("%s/%s", c->state_dir, SBX_LOG_FILE);
		logfp = fopen(lp, "a");
		if (logfp == NULL) {
			err_set(e, EXIT_ERR, "sandbox: cannot open the log %s: "
			    "%s", lp, strerror(errno));
			free(lp);
			return -1;
		}
		free(lp);
		own_log = 1;
	}
	/* Precise timers: the model simulator schedules tokens in ms. */
	if ((cfg = event_config_new()) != NULL) {
		event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
		base = event_base_new_with_config(cfg);
		event_config_free(cfg);
	}
	if (base == NULL) {
		err_set(e, EXIT_ERR, "sandbox: cannot create the event loop");
		goto out;
	}
	if (!c->plain && (ssl_ctx = tls_ctx(c->state_dir, e)) == NULL)
		goto out;
	if (api_init(c, e) == -1)
		goto out;
	if (gateway_init(c, e) == -1)
		goto out;
	if ((api = listener(&api_port, !c->plain, on_api, "Kubernetes API",
	    e)) == NULL)
		goto out;
	if (c->gateway_port >= 0 && (gw = listener(&gw_port, !c->plain,
	    on_gateway, "gateway", e)) == NULL)
		goto out;
	if (gw != NULL)
		maasapi_gateway_listening(gw_port, !c->plain);
	if (!c->no_controller && controller_init(c, gw ? gw_port : 0, e) == -1)
		goto out;
	sigterm = evsignal_new(base, SIGTERM, on_signal, NULL);
	sigint = evsignal_new(base, SIGINT, on_signal, NULL);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	if (write_info(c, api_port, gw ? gw_port : 0, e) == -1)
		goto out;
	srv_log("msg=\"serving\" api=%s://127.0.0.1:%d gateway_port=%d pid=%ld%s",
	    c->plain ? "http" : "https", api_port, gw ? gw_port : 0,
	    (long)getpid(), c->plain ? " auth=\"plain HTTP: unauthenticated "
	    "requests act as admin\"" : "");
	event_base_dispatch(base);
	srv_log("msg=\"stopped\"");
	rc = 0;
out:
	if (sigterm != NULL)
		event_free(sigterm);
	if (sigint != NULL)
		event_free(sigint);
	if (api != NULL)
		evhttp_free(api);
	if (gw != NULL)
		evhttp_free(gw);
	controller_shutdown();
	api_shutdown();
	gateway_shutdown();
	if (ssl_ctx != NULL) {
		SSL_CTX_free(ssl_ctx);
		ssl_ctx = NULL;
	}
	if (base != NULL) {
		event_base_free(base);
		base = NULL;
	}
	if (own_log && logfp != NULL)
		fclose(logfp);
	logfp = NULL;
	return rc;
}
