/*
 * lgh1.c: the bench engine's native HTTP/1.1 transport (see lgh1.h):
 * origins (host and port, resolved once) with their idle keep-alive
 * connections, non-blocking connects, the request written with one
 * sendmsg(), and the response read with one recvmsg() per wake-up (the
 * kernel's receive timestamp rides along) and parsed in place.
 *
 * Failure texts follow libcurl's, which the engine's reports and tests
 * know: "Could not resolve host: H", "Failed to connect to H port P after
 * N ms: why", "Connection timed out after N milliseconds", "Operation
 * timed out after N milliseconds with N bytes received", "Empty reply
 * from server", "Recv failure: why", "Send failure: why", "transfer
 * closed with N bytes remaining to read", "transfer closed with
 * outstanding read data remaining".
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "http_xfer.h"
#include "lgh1.h"
#include "rxstamp.h"
#include "xalloc.h"

#define LGH1_MAX_HEAD	(300 * 1024)	/* header bytes of a response */
#define LGH1_MAX_LINE	4096		/* a chunk-size line */

enum cstate {
	C_CONNECTING = 0,	/* connect() in progress */
	C_SENDING,		/* request being written */
	C_HEAD,			/* status line and headers */
	C_BODY_LEN,		/* Content-Length body */
	C_CHUNK_SIZE,		/* chunked: size line */
	C_CHUNK_DATA,		/* chunked: data */
	C_CHUNK_CRLF,		/* chunked: CRLF after data */
	C_TRAILER,		/* chunked: trailer lines */
	C_BODY_CLOSE,		/* body up to the connection's end */
	C_IDLE			/* kept alive in the pool */
};

/* A host and port: its addresses and idle connections. */
struct origin {
	char		*host;
	int		 port;
	char		*authority;	/* Host header value */
	struct addrinfo	*ai;		/* resolved once, or NULL */
	struct lgh1_conn *idle;		/* idle connections, newest first */
	struct origin	*next;
};

/* A URL the engine sends to (looked up by its text). */
struct target {
	char		*url;
	char		*path;		/* request target */
	struct origin	*o;
	struct target	*next;
};

struct lgh1_conn {
	struct lgh1	*t;
	struct origin	*o;
	struct target	*tg;		/* the request's URL */
	struct lgh1_req	*r;		/* the request, or NULL when idle */
	int		 fd;
	struct event	*ev;
	short		 reg;		/* EV_READ or EV_WRITE registered */
	enum cstate	 state;
	const struct addrinfo *ai;	/* address being tried */
	int		 served;	/* responses completed on it */
	struct lgh1_conn *idle_prev, *idle_next;
	struct lgh1_conn *all_prev, *all_next;
	char		*buf;		/* received, not yet parsed */
	size_t		 cap, len;
	struct strbuf	 out;		/* request head */
	size_t		 woff;		/* bytes of head + body written */
	size_t		 received;	/* bytes read for this request */
	size_t		 head_bytes;	/* header bytes of this response */
	long long	 remain;	/* body or chunk bytes left */
	int		 status;	/* 0 until the status line */
	int		 version;	/* 10 or 11 */
	int		 keepalive;
	int		 chunked;
	long long	 clen;		/* Content-Length, -1 if none */
};

struct lgh1 {
	struct event_base *base;
	struct lgh1_cbs	 cbs;
	double		 cto, to;
	size_t		 bufsize, max_idle, nidle;
	struct origin	*origins;
	struct target	*targets;
	struct lgh1_conn *all;
	int		 starting;	/* in lgh1_start: defer callbacks */
	char		 msg[512];
};

static long
ms_since(const struct lgh1_req *r)
{
	return (long)((clock_mono_ns() - r->start + 500000) / 1000000);
}

struct lgh1 *
lgh1_new(struct event_base *base, const struct lgh1_cbs *cbs,
    double connect_timeout, double timeout, size_t bufsize, size_t max_idle)
{
	struct lgh1	*t;

	t = xcalloc(1, sizeof *t);
	t->base = base;
	t->cbs = *cbs;
	t->cto = connect_timeout > 0 ? connect_timeout : 10;
	t->to = timeout;
	t->bufsize = bufsize < 1024 ? 1024 : bufsize;
	t->max_idle = max_idle;
	return t;
}

static void
idle_unlink(struct lgh1_conn *c)
{
	if (c->idle_prev != NULL)
		c->idle_prev->idle_next = c->idle_next;
	else if (c->o->idle == c)
		c->o->idle = c->idle_next;
	else
		return;
	if (c->idle_next != NULL)
		c->idle_next->idle_prev = c->idle_prev;
	c->idle_prev = c->idle_next = NULL;
	c->t->nidle--;
}

static void
conn_close(struct lgh1_conn *c)
{
	struct lgh1	*t = c->t;

	if (c->state == C_IDLE)
		idle_unlink(c);
	if (c->ev != NULL)
		event_free(c->ev);
	if (c->fd >= 0)
		close(c->fd);
	if (c->all_prev != NULL)
		c->all_prev->all_next = c->all_next;
	else
		t->all = c->all_next;
	if (c->all_next != NULL)
		c->all_next->all_prev = c->all_prev;
	free(c->buf);
	sb_free_secret(&c->out);
	free(c);
}

void
lgh1_free(struct lgh1 *t)
{
	struct origin	*o, *on;
	struct target	*g, *gn;

	if (t == NULL)
		return;
	while (t->all != NULL)
		conn_close(t->all);
	for (o = t->origins; o != NULL; o = on) {
		on = o->next;
		free(o->host);
		free(o->authority);
		if (o->ai != NULL)
			freeaddrinfo(o->ai);
		free(o);
	}
	for (g = t->targets; g != NULL; g = gn) {
		gn = g->next;
		free(g->url);
		free(g->path);
		free(g);
	}
	free(t);
}

int
lgh1_url_ok(const char *url)
{
	struct http_url	 u;
	const char	*why;
	int		 ok;

	if (url == NULL || http_url_parse(url, &u, &why) != 0)
		return 0;
	ok = !u.tls && !u.userinfo;
	http_url_free(&u);
	return ok;
}

/* The target of url (parsed on first use), or NULL. */
static struct target *
target_get(struct lgh1 *t, const char *url)
{
	struct target	*g;
	struct origin	*o;
	struct http_url	 u;
	const char	*why;

	for (g = t->targets; g != NULL; g = g->next)
		if (strcmp(g->url, url) == 0)
			return g;
	if (http_url_parse(url, &u, &why) != 0) {
		snprintf(t->msg, sizeof t->msg, "URL rejected: %s", why);
		return NULL;
	}
	for (o = t->origins; o != NULL; o = o->next)
		if (o->port == u.port && strcmp(o->host, u.host) == 0)
			break;
	if (o == NULL) {
		o = xcalloc(1, sizeof *o);
		o->host = xstrdup(u.host);
		o->port = u.port;
		o->authority = xstrdup(u.authority);
		o->next = t->origins;
		t->origins = o;
	}
	g = xcalloc(1, sizeof *g);
	g->url = xstrdup(url);
	g->path = xstrdup(u.target);
	g->o = o;
	g->next = t->targets;
	t->targets = g;
	http_url_free(&u);
	return g;
}

static void on_conn(evutil_socket_t, short, void *);

static void
watch(struct lgh1_conn *c, short what)
{
	if (c->reg == what)
		return;
	if (c->ev == NULL)
		c->ev = event_new(c->t->base, c->fd, what | EV_PERSIST,
		    on_conn, c);
	else {
		event_del(c->ev);
		event_assign(c->ev, c->t->base, c->fd, what | EV_PERSIST,
		    on_conn, c);
	}
	event_add(c->ev, NULL);
	c->reg = what;
}

/* Arm r's timer for its deadline (connect: the connect one too). */
static void
arm_timer(struct lgh1 *t, struct lgh1_req *r, int connecting)
{
	int64_t		 dl = 0, d;
	struct timeval	 tv;

	if (t->to > 0)
		dl = r->start + (int64_t)(t->to * 1e9);
	if (connecting && (dl == 0 || r->start + (int64_t)(t->cto * 1e9) <
	    dl))
		dl = r->start + (int64_t)(t->cto * 1e9);
	if (dl == 0) {
		evtimer_del(r->timer);
		return;
	}
	d = dl - clock_mono_ns();
	if (d < 0)
		d = 0;
	tv.tv_sec = (time_t)(d / 1000000000LL);
	tv.tv_usec = (suseconds_t)((d % 1000000000LL) / 1000);
	evtimer_add(r->timer, &tv);
}

/*
 * End r's attempt: its connection goes back to the pool (a clean end of
 * a keep-alive response) or is closed; then the done callback.  Nothing
 * may touch r's connection after this (the callback may reuse it).
 */
static void
finish(struct lgh1 *t, struct lgh1_req *r, enum lgh1_end end)
{
	struct lgh1_conn *c = r->conn;

	r->conn = NULL;
	r->active = 0;
	evtimer_del(r->timer);
	if (t->starting) {
		/* Never from inside lgh1_start: the caller is still setting
		 * the request up.  on_timer delivers it. */
		r->pend = 1;
		r->pend_end = (int)end;
		r->pend_msg = end == LGH1_OK ? NULL : xstrdup(t->msg);
		if (c != NULL) {
			c->r = NULL;
			conn_close(c);
		}
		event_active(r->timer, EV_TIMEOUT, 1);
		return;
	}
	if (c != NULL) {
		c->r = NULL;
		if (end == LGH1_OK && c->keepalive && t->nidle < t->max_idle) {
			c->state = C_IDLE;
			c->len = 0;
			c->served++;
			watch(c, EV_READ);
			c->idle_next = c->o->idle;
			c->idle_prev = NULL;
			if (c->o->idle != NULL)
				c->o->idle->idle_prev = c;
			c->o->idle = c;
			t->nidle++;
		} else
			conn_close(c);
	}
	t->cbs.done(r->arg, end, end == LGH1_OK ? NULL : t->msg);
}

static void fail(struct lgh1_conn *, enum lgh1_end, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(struct lgh1_conn *c, enum lgh1_end end, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(c->t->msg, sizeof c->t->msg, fmt, ap);
	va_end(ap);
	c->keepalive = 0;
	finish(c->t, c->r, end);
}

static void conn_try(struct lgh1_conn *, int);
static void send_request(struct lgh1_conn *);

/* Take an idle connection of r's origin, else open one. */
static void
attempt(struct lgh1 *t, struct lgh1_req *r, struct target *g, int pooled)
{
	struct origin	*o = g->o;
	struct lgh1_conn *c;
	struct addrinfo	 hints;
	char		 port[8];
	int		 rc;

	if (pooled && (c = o->idle) != NULL) {
		idle_unlink(c);
		c->r = r;
		c->tg = g;
		r->conn = c;
		r->reused = 1;
		r->t_dns = r->t_connect = clock_mono_ns() - r->start;
		arm_timer(t, r, 0);
		send_request(c);
		return;
	}
	if (o->ai == NULL) {
		memset(&hints, 0, sizeof hints);
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_ADDRCONFIG;
		snprintf(port, sizeof port, "%d", o->port);
		rc = getaddrinfo(o->host, port, &hints, &o->ai);
		if (rc != 0) {
			o->ai = NULL;
			snprintf(t->msg, sizeof t->msg, "Could not resolve "
			    "host: %s", o->host);
			finish(t, r, LGH1_TRANSPORT);
			return;
		}
	}
	r->t_dns = clock_mono_ns() - r->start;
	c = xcalloc(1, sizeof *c);
	c->t = t;
	c->o = o;
	c->tg = g;
	c->r = r;
	c->fd = -1;
	c->all_next = t->all;
	if (t->all != NULL)
		t->all->all_prev = c;
	t->all = c;
	r->conn = c;
	c->ai = o->ai;
	arm_timer(t, r, 1);
	conn_try(c, 0);
}

/* Connect to c->ai or the addresses after it; err: the last failure. */
static void
conn_try(struct lgh1_conn *c, int err)
{
	struct lgh1	*t = c->t;
	int		 one = 1;

	for (; c->ai != NULL; c->ai = c->ai->ai_next) {
		c->fd = socket(c->ai->ai_family, c->ai->ai_socktype |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, c->ai->ai_protocol);
		if (c->fd < 0) {
			err = errno;
			continue;
		}
		(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof one);
		/* Receive times from the kernel (lgh1.h). */
		(void)rxstamp_enable(c->fd);
		if (t->cbs.connected != NULL)
			t->cbs.connected(c->r->arg);
		if (connect(c->fd, c->ai->ai_addr, c->ai->ai_addrlen) == 0) {
			c->r->t_connect = clock_mono_ns() - c->r->start;
			arm_timer(t, c->r, 0);
			send_request(c);
			return;
		}
		if (errno == EINPROGRESS) {
			c->state = C_CONNECTING;
			watch(c, EV_WRITE);
			return;
		}
		err = errno;
		close(c->fd);
		c->fd = -1;
	}
	fail(c, LGH1_TRANSPORT, "Failed to connect to %s port %d after %ld "
	    "ms: %s", c->o->host, c->o->port, ms_since(c->r),
	    strerror(err ? err : ECONNREFUSED));
}

static void
on_connected(struct lgh1_conn *c)
{
	int		 so = 0;
	socklen_t	 sl = sizeof so;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &so, &sl) != 0)
		so = errno;
	if (so == EINPROGRESS || so == EALREADY)
		return;
	if (so != 0) {
		/* The next address, on a new socket. */
		if (c->ev != NULL) {
			event_free(c->ev);
			c->ev = NULL;
			c->reg = 0;
		}
		close(c->fd);
		c->fd = -1;
		c->ai = c->ai->ai_next;
		conn_try(c, so);
		return;
	}
	c->r->t_connect = clock_mono_ns() - c->r->start;
	arm_timer(c->t, c->r, 0);
	send_request(c);
}

/* Whether header lines hold a line named name (case-insensitive). */
static int
has_header(const char *h, size_t len, const char *name)
{
	size_t	 nl = strlen(name);
	const char *p = h, *end = h + len, *e;

	while (p < end) {
		if ((size_t)(end - p) > nl && p[nl] == ':' &&
		    strncasecmp(p, name, nl) == 0)
			return 1;
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		p = e + 1;
	}
	return 0;
}

static void try_write(struct lgh1_conn *);

static void
send_request(struct lgh1_conn *c)
{
	struct lgh1_req	*r = c->r;

	if (c->t->cbs.sent != NULL)
		c->t->cbs.sent(r->arg);
	sb_reset(&c->out);
	sb_addf(&c->out, "POST %s HTTP/1.1\r\n", c->tg->path);
	if (!has_header(r->headers, r->headers_len, "host"))
		sb_addf(&c->out, "Host: %s\r\n", c->o->authority);
	sb_add(&c->out, r->headers, r->headers_len);
	sb_addf(&c->out, "Content-Length: %zu\r\n\r\n", r->body_len);
	c->woff = 0;
	c->received = 0;
	c->state = C_SENDING;
	try_write(c);
}

/* A reused connection the server had closed: the request again, once,
 * on a new connection (no response byte came, so nothing is lost). */
static int
stale_retry(struct lgh1_conn *c)
{
	struct lgh1	*t = c->t;
	struct lgh1_req	*r = c->r;
	struct target	*g = c->tg;

	if (c->served == 0 || c->received > 0 || r->fresh_retry)
		return 0;
	r->fresh_retry = 1;
	r->conn = NULL;
	r->reused = 0;
	conn_close(c);
	attempt(t, r, g, 0);
	return 1;
}

static void
try_write(struct lgh1_conn *c)
{
	struct lgh1_req	*r = c->r;
	struct msghdr	 mh;
	struct iovec	 iov[2];
	size_t		 total = c->out.len + r->body_len;
	ssize_t		 n;
	int		 k;

	while (c->woff < total) {
		k = 0;
		if (c->woff < c->out.len) {
			iov[k].iov_base = c->out.buf + c->woff;
			iov[k++].iov_len = c->out.len - c->woff;
			iov[k].iov_base = (void *)(uintptr_t)r->body;
			iov[k++].iov_len = r->body_len;
		} else {
			iov[k].iov_base = (void *)(uintptr_t)(r->body +
			    (c->woff - c->out.len));
			iov[k++].iov_len = total - c->woff;
		}
		memset(&mh, 0, sizeof mh);
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)k;
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				watch(c, EV_WRITE);
				return;
			}
			if (stale_retry(c))
				return;
			fail(c, LGH1_TRANSPORT, "Send failure: %s",
			    strerror(errno));
			return;
		}
		c->woff += (size_t)n;
	}
	c->state = C_HEAD;
	c->status = 0;
	c->head_bytes = 0;
	c->clen = -1;
	c->chunked = 0;
	c->keepalive = 0;
	watch(c, EV_READ);
}

/* A status line: "HTTP/1.x NNN ...". */
static int
status_line(struct lgh1_conn *c, const char *l, size_t n)
{
	if (n < 12 || strncmp(l, "HTTP/1.", 7) != 0 || (l[7] != '0' &&
	    l[7] != '1') || l[8] != ' ' || l[9] < '1' || l[9] > '5' ||
	    l[10] < '0' || l[10] > '9' || l[11] < '0' || l[11] > '9' ||
	    (n > 12 && l[12] != ' '))
		return -1;
	c->version = l[7] == '1' ? 11 : 10;
	c->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	c->keepalive = c->version == 11;
	c->r->http_version = c->version;
	return 0;
}

/* The value of header line l if it is named name, else NULL. */
static const char *
hval(const char *l, size_t n, const char *name, size_t *vlen)
{
	size_t	 nl = strlen(name);
	const char *v, *e = l + n;

	if (n <= nl || l[nl] != ':' || strncasecmp(l, name, nl) != 0)
		return NULL;
	for (v = l + nl + 1; v < e && (*v == ' ' || *v == '\t'); v++)
		;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*vlen = (size_t)(e - v);
	return v;
}

/* Whether the comma-separated list v holds token tok. */
static int
has_token(const char *v, size_t n, const char *tok)
{
	size_t	 tl = strlen(tok), i = 0, s, e;

	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == tl && strncasecmp(v + s, tok, tl) == 0)
			return 1;
	}
	return 0;
}

static int
header_line(struct lgh1_conn *c, const char *l, size_t n)
{
	const char	*v;
	size_t		 vl, i;
	long long	 x;

	if ((v = hval(l, n, "content-length", &vl)) != NULL) {
		if (vl == 0 || vl > 18)
			return -1;
		for (x = 0, i = 0; i < vl; i++) {
			if (v[i] < '0' || v[i] > '9')
				return -1;
			x = x * 10 + (v[i] - '0');
		}
		if (c->clen >= 0 && c->clen != x)
			return -1;
		c->clen = x;
	} else if ((v = hval(l, n, "transfer-encoding", &vl)) != NULL) {
		c->chunked = has_token(v, vl, "chunked");
	} else if ((v = hval(l, n, "connection", &vl)) != NULL) {
		if (has_token(v, vl, "close"))
			c->keepalive = 0;
		else if (has_token(v, vl, "keep-alive"))
			c->keepalive = 1;
	}
	return 0;
}

/* The response is complete: leftover bytes mean the connection cannot
 * be trusted for another request. */
static void
response_done(struct lgh1_conn *c, size_t p)
{
	if (p < c->len)
		c->keepalive = 0;
	finish(c->t, c->r, LGH1_OK);
}

/* Deliver body bytes; 0, or -1 when the callback stopped the attempt. */
static int
deliver(struct lgh1_conn *c, const char *p, size_t n, int64_t rt)
{
	if (n == 0)
		return 0;
	if (c->t->cbs.body(c->r->arg, p, n, rt) != 0) {
		fail(c, LGH1_STOPPED, "the body callback stopped the transfer");
		return -1;
	}
	return 0;
}

/*
 * Parse what the buffer holds.  Returns 1 when the attempt ended (c may be
 * gone), else 0 with the unparsed rest moved to the buffer's start.
 */
static int
parse(struct lgh1_conn *c, int64_t rt)
{
	struct lgh1	*t = c->t;
	char		*b = c->buf, *nl;
	size_t		 p = 0, n, k;
	long long	 x;
	int		 d;

	while (p < c->len) {
		n = c->len - p;
		switch (c->state) {
		case C_HEAD:
		case C_TRAILER:
			if ((nl = memchr(b + p, '\n', n)) == NULL) {
				if (c->head_bytes + n > LGH1_MAX_HEAD) {
					fail(c, LGH1_TRANSPORT, "Too large "
					    "response headers: %zu > %d",
					    c->head_bytes + n, LGH1_MAX_HEAD);
					return 1;
				}
				goto more;
			}
			k = (size_t)(nl - (b + p));
			c->head_bytes += k + 1;
			if (k > 0 && b[p + k - 1] == '\r')
				k--;
			if (c->state == C_TRAILER) {
				p = (size_t)(nl - b) + 1;
				if (k == 0) {
					response_done(c, p);
					return 1;
				}
				break;
			}
			if (c->status == 0) {
				if (status_line(c, b + p, k) != 0) {
					fail(c, LGH1_TRANSPORT, "Unsupported "
					    "HTTP version or malformed status "
					    "line in response");
					return 1;
				}
			} else if (k > 0 && header_line(c, b + p, k) != 0) {
				fail(c, LGH1_TRANSPORT, "Invalid "
				    "Content-Length in the response");
				return 1;
			}
			if (k > 0)
				t->cbs.header(c->r->arg, b + p, k, rt);
			p = (size_t)(nl - b) + 1;
			if (k > 0)
				break;
			/* The end of the headers. */
			if (c->status < 200) {
				/* 1xx: the real response follows. */
				c->status = 0;
				c->clen = -1;
				c->chunked = 0;
				break;
			}
			if (c->status == 204 || c->status == 304) {
				response_done(c, p);
				return 1;
			}
			if (c->chunked) {
				c->state = C_CHUNK_SIZE;
			} else if (c->clen >= 0) {
				c->remain = c->clen;
				c->state = C_BODY_LEN;
				if (c->remain == 0) {
					response_done(c, p);
					return 1;
				}
			} else {
				c->keepalive = 0;
				c->state = C_BODY_CLOSE;
			}
			break;
		case C_BODY_LEN:
			k = (long long)n < c->remain ? n : (size_t)c->remain;
			if (deliver(c, b + p, k, rt) != 0)
				return 1;
			p += k;
			c->remain -= (long long)k;
			if (c->remain == 0) {
				response_done(c, p);
				return 1;
			}
			break;
		case C_CHUNK_SIZE:
			if ((nl = memchr(b + p, '\n', n)) == NULL) {
				if (n > LGH1_MAX_LINE)
					goto badchunk;
				goto more;
			}
			for (x = 0, k = p, d = 0; b + k < nl; k++, d++) {
				char	 ch = b[k];

				if (ch >= '0' && ch <= '9')
					ch -= '0';
				else if (ch >= 'a' && ch <= 'f')
					ch -= 'a' - 10;
				else if (ch >= 'A' && ch <= 'F')
					ch -= 'A' - 10;
				else
					break;
				if (d >= 15)
					goto badchunk;
				x = x * 16 + ch;
			}
			if (d == 0 || (b + k < nl && b[k] != ';' && b[k] != ' ' &&
			    b[k] != '\t' && b[k] != '\r'))
				goto badchunk;
			p = (size_t)(nl - b) + 1;
			c->remain = x;
			c->state = x == 0 ? C_TRAILER : C_CHUNK_DATA;
			break;
		case C_CHUNK_DATA:
			k = (long long)n < c->remain ? n : (size_t)c->remain;
			if (deliver(c, b + p, k, rt) != 0)
				return 1;
			p += k;
			c->remain -= (long long)k;
			if (c->remain == 0)
				c->state = C_CHUNK_CRLF;
			break;
		case C_CHUNK_CRLF:
			if (b[p] == '\n') {
				p++;
			} else if (b[p] == '\r') {
				if (n < 2)
					goto more;
				if (b[p + 1] != '\n')
					goto badchunk;
				p += 2;
			} else
				goto badchunk;
			c->state = C_CHUNK_SIZE;
			break;
		case C_BODY_CLOSE:
			if (deliver(c, b + p, n, rt) != 0)
				return 1;
			p += n;
			break;
		default:
			goto more;
		}
	}
more:
	if (p > 0) {
		memmove(b, b + p, c->len - p);
		c->len -= p;
	}
	return 0;
badchunk:
	fail(c, LGH1_TRANSPORT, "invalid chunked encoding in the response");
	return 1;
}

/* The connection ended (EOF, or err != 0) while r was waiting. */
static void
conn_ended(struct lgh1_conn *c, int err)
{
	if (c->state == C_BODY_CLOSE && err == 0) {
		finish(c->t, c->r, LGH1_OK);
		return;
	}
	if (c->state == C_HEAD && c->received == 0 && stale_retry(c))
		return;
	if (err != 0)
		fail(c, LGH1_TRANSPORT, "Recv failure: %s", strerror(err));
	else if (c->state == C_HEAD && c->received == 0)
		fail(c, LGH1_TRANSPORT, "Empty reply from server");
	else if (c->state == C_BODY_LEN)
		fail(c, LGH1_TRANSPORT, "transfer closed with %lld bytes "
		    "remaining to read", c->remain);
	else
		fail(c, LGH1_TRANSPORT, "transfer closed with outstanding "
		    "read data remaining");
}

/* One read (with the kernel's receive time) and its parse. */
static void
do_read(struct lgh1_conn *c)
{
	struct lgh1_req	*r = c->r;
	int64_t		 rt;
	ssize_t		 n;

	if (c->buf == NULL) {
		c->cap = c->t->bufsize;
		c->buf = xmalloc(c->cap);
	} else if (c->len == c->cap) {
		c->cap *= 2;
		c->buf = xrealloc(c->buf, c->cap);
	}
	n = rxstamp_recv(c->fd, c->buf + c->len, c->cap - c->len,
	    MSG_DONTWAIT, &rt);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		conn_ended(c, errno);
		return;
	}
	if (n == 0) {
		conn_ended(c, 0);
		return;
	}
	if (c->received == 0)
		r->t_ttfb = clock_mono_ns() - r->start;
	c->received += (size_t)n;
	c->len += (size_t)n;
	if (c->t->cbs.read != NULL)
		c->t->cbs.read(r->arg, rt, (size_t)n);
	parse(c, rt);
}

static void
on_conn(evutil_socket_t fd, short what, void *arg)
{
	struct lgh1_conn *c = arg;
	char		 b;
	ssize_t		 n;

	(void)fd;
	switch (c->state) {
	case C_CONNECTING:
		on_connected(c);
		break;
	case C_SENDING:
		if (what & EV_WRITE)
			try_write(c);
		break;
	case C_IDLE:
		/* The server closed a kept connection (or sent what no
		 * request asked for): it is of no more use. */
		n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		conn_close(c);
		break;
	default:
		do_read(c);
		break;
	}
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct lgh1_req	*r = arg;
	struct lgh1_conn *c = r->conn;
	struct lgh1	*t;
	char		*m;

	(void)fd;
	(void)what;
	if (r->pend) {
		/* An end deferred by lgh1_start. */
		t = r->pend_t;
		m = r->pend_msg;
		r->pend = 0;
		r->pend_msg = NULL;
		t->cbs.done(r->arg, (enum lgh1_end)r->pend_end, m);
		free(m);
		return;
	}
	if (c == NULL)
		return;
	if (c->state == C_CONNECTING)
		fail(c, LGH1_TIMEOUT, "Connection timed out after %ld "
		    "milliseconds", ms_since(r));
	else
		fail(c, LGH1_TIMEOUT, "Operation timed out after %ld "
		    "milliseconds with %zu bytes received", ms_since(r),
		    c->received);
}

void
lgh1_start(struct lgh1 *t, struct lgh1_req *r)
{
	struct target	*g;

	r->start = clock_mono_ns();
	r->t_dns = r->t_connect = r->t_ttfb = -1;
	r->reused = 0;
	r->http_version = 0;
	r->fresh_retry = 0;
	r->conn = NULL;
	r->active = 1;
	r->pend = 0;
	r->pend_t = t;
	if (r->timer == NULL)
		r->timer = evtimer_new(t->base, on_timer, r);
	t->starting++;
	if ((g = target_get(t, r->url)) == NULL)
		finish(t, r, LGH1_TRANSPORT);
	else
		attempt(t, r, g, 1);
	t->starting--;
}

void
lgh1_cancel(struct lgh1 *t, struct lgh1_req *r)
{
	(void)t;
	if (r->pend) {
		r->pend = 0;
		free(r->pend_msg);
		r->pend_msg = NULL;
		evtimer_del(r->timer);
	}
	if (!r->active)
		return;
	r->active = 0;
	evtimer_del(r->timer);
	if (r->conn != NULL) {
		r->conn->r = NULL;
		conn_close(r->conn);
		r->conn = NULL;
	}
}

void
lgh1_req_free(struct lgh1_req *r)
{
	if (r->timer != NULL)
		event_free(r->timer);
	r->timer = NULL;
	free(r->pend_msg);
	r->pend_msg = NULL;
}
