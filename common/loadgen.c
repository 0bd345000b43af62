/*
 * loadgen.c: the load engine of `maasctl bench` (see loadgen.h): libcurl's
 * multi socket API on a libevent loop, closed and open loops, per-request
 * timings and token accounting, 429/503 retry policies.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "clock.h"
#include "curl_dl.h"
#include "hist.h"
#include "http.h"
#include "lgh1.h"
#include "loadgen.h"
#include "openai.h"
#include "rxstamp.h"
#include "sse.h"
#include "xalloc.h"

#define ERRBODY_MAX	512

static volatile sig_atomic_t lg_stop_flag;

struct lg;

/* A class's libcurl header list, whose request id (and key, when the
 * run's keys rotate) lines are rewritten in place per request. */
struct hset {
	struct curl_slist *l;
	char		*reqid_hdr;
	size_t		 reqid_cap;
	char		*auth_hdr;
	size_t		 auth_cap;
};

/* One request in flight (reused for the next one). */
struct slot {
	struct lg	*lg;
	CURL		*easy;		/* set up once, never reset; NULL
					 * until a request needs libcurl */
	int		 native;	/* this attempt: native HTTP/1.1 */
	int		 in_native;	/* an attempt is with lgh1 */
	struct lgh1_req	 nr;		/* its native request */
	struct strbuf	 nhdr;		/* its header lines (secret) */
	int64_t		 nrt;		/* kernel time of the bytes being
					 * parsed (native), or -1 */
	size_t		 keyi;		/* its API key (several keys: of
					 * its class's when it has its own) */
	const char	*url;		/* the URL the handle has */
	struct sse	*sse;
	struct oai_acc	 acc;
	struct curl_slist *hdrs;	/* built once per slot */
	struct hset	*chdrs;		/* per class with its own key or
					 * headers (lg_config.cls), built on
					 * first use, or NULL */
	long		 cur_h;		/* the class whose list the handle has,
					 * -1: hdrs */
	int		 stream;	/* this request streams */
	char		*reqid_hdr;	/* its X-Request-Id line, rewritten */
	size_t		 reqid_cap;	/* in place per request */
	char		*auth_hdr;	/* its Authorization line (several */
	size_t		 auth_cap;	/* keys: rewritten per request) */
	struct event	*retry_ev;
	int64_t		 retry_due;	/* its deadline, ns since t0 */
	struct slot	*next_free;
	struct lg_body	 body;
	uint64_t	 seq;
	int		 warmup;
	int		 attempts;
	int		 throttled;
	int		 waited;
	int		 in_multi;
	int64_t		 intended, dispatched, sent, attempt_sent, first_byte;
	int64_t		 first_token, first_output, last_token, end;
	int64_t		 rx;		/* when the bytes being parsed came */
	curl_socket_t	 fd;		/* the socket libcurl last watched
					 * for this request */
	int		 status;
	double		 retry_after;	/* seconds from the header, -1 */
	double		 rl[LG_RL_N];	/* rate-limit headers, NAN absent */
	int		 rl_seen;	/* this attempt had one */
	int64_t		*ct;		/* content chunk times */
	int32_t		*ctok;		/* tokens per content chunk */
	size_t		 nc, capc;
	int		 chunk_mode;	/* -1 unknown, 0 no, 1 per-chunk usage */
	long		 chunk_usage;
	size_t		 bytes_in;
	int		 stream_bad;	/* malformed/too long stream */
	struct strbuf	 errbody;	/* start of a non-2xx body */
	struct strbuf	 body_all;	/* non-streamed 2xx body */
	char		*errmsg;
	char		**hval;		/* recorded header values */
	char		 reqid[64];
	char		 curl_err[CURL_ERROR_SIZE];
};

/*
 * A socket libcurl opened.  Its libevent registration is changed only when
 * libcurl wants something else: a keep-alive connection that libcurl stops
 * watching between two requests stays registered (no epoll_ctl() pair per
 * request), and a wake-up for it while libcurl does not watch it unregisters
 * it then.  Sockets are unregistered for good when libcurl closes them.
 */
struct sockw {
	struct lg	*lg;
	struct event	*ev;		/* NULL until first watched */
	curl_socket_t	 fd;
	short		 reg;		/* EV_READ|EV_WRITE registered, or 0 */
	short		 want;		/* what libcurl watches, or 0 */
};

struct lg {
	const struct lg_config *c;
	struct event_base *base;
	CURLM		*multi;		/* NULL until a request needs it */
	struct lgh1	*h1;		/* native HTTP/1.1 transport */
	char		*h1_hdrs;	/* its constant request headers */
	size_t		 h1_hdrs_len;
	char		**h1_chdrs;	/* the same per class with its own
					 * key, headers or stream flag
					 * (lg_config.cls; NULL: h1_hdrs) */
	size_t		*h1_chdrs_len;
	const char	*url_seen[8];	/* URLs checked for the native */
	int		 url_native[8];	/* transport, and the verdicts */
	size_t		 nurl_seen;
	uint64_t	 native_attempts, curl_attempts;
	long		 maxconn;
	struct event	*curl_timer;
	struct event	*sched_timer;
	struct event	*tick_timer;
	struct event	*stop_timer;
	struct event	*step_timer;	/* closed loop: next concurrency step */
	struct err	*e;
	int		 failed;	/* body callback failed */
	int64_t		 t0;		/* CLOCK_MONOTONIC ns of time 0 */
	int64_t		*sched;		/* open loop deadlines */
	size_t		 nsched;
	size_t		 next_sched;	/* next schedule index to dispatch */
	uint64_t	*waitq;		/* due requests waiting for the cap */
	size_t		 wq_head, wq_len, wq_cap;
	uint64_t	 total;		/* requests to send, UINT64_MAX: by time */
	uint64_t	 next_seq;	/* closed loop: next request number */
	long		 conc;		/* closed loop: concurrency now */
	long		 h2_version;	/* CURLOPT_HTTP_VERSION for --http2 */
	size_t		 next_step;	/* closed loop: next step to apply */
	uint64_t	 dispatched, done, waited, dropped;
	uint64_t	 tokens, chunks;	/* received so far, all requests */
	struct lg_cls_count *ccount;	/* per class (ncls > 1), or NULL */
	long		 inflight, peak;
	int		 stopping;	/* no new requests */
	struct slot	*free_slots;
	struct slot	**all_slots;
	size_t		 nslots, capslots;
	struct sockw	**socks;	/* by descriptor */
	size_t		 nsocks;
	long		 bufsize;	/* libcurl receive buffer per handle */
	struct rxclock	 clk;		/* kernel receive times -> MONOTONIC */
	curl_socket_t	 rx_fd;		/* the socket being read now, or -1 */
	int64_t		 rx_at;		/* kernel arrival time of its oldest
					 * unread byte (ns since t0), or -1 */
	uint64_t	 rx_kernel;	/* writes stamped by the kernel */
	uint64_t	 rx_user;	/* writes stamped at the callback */
	uint64_t	 rng;
	size_t		 key_next;
	size_t		*cls_key_next;	/* per class with several keys */
	uint64_t	 connections;
	double		 last_dispatch;
	double		 first_measured;
	double		 last_end;
	/* The loop measuring itself (lg_summary.loop_*). */
	struct hist	*timer_lag;	/* timer callbacks vs deadlines */
	struct hist	*read_lag;	/* kernel receive time to the read */
	int64_t		 curl_due;	/* the libcurl timer's deadline */
	int64_t		 step_due;	/* the step timer's deadline */
	int64_t		 tick_due;	/* the next per-second tick's */
	uint64_t	 bytes_parsed;	/* response bytes to the parsers */
};

static int64_t
rel_ns(const struct lg *lg)
{
	return clock_mono_ns() - lg->t0;
}

/*
 * A timer callback runs at now for a deadline due (both ns since t0):
 * count how late the loop ran it.  A clock reading per timer, never per
 * chunk.
 */
static void
loop_timer_late(struct lg *lg, int64_t due, int64_t now)
{
	hist_add(lg->timer_lag, (uint64_t)(now > due ? now - due : 0));
}

/* Data the kernel received at t (ns since t0) is read at now. */
static void
loop_read_late(struct lg *lg, int64_t t, int64_t now)
{
	hist_add(lg->read_lag, (uint64_t)(now > t ? now - t : 0));
}

uint64_t
lg_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

double
lg_uniform(uint64_t *s)
{
	return (double)(lg_rand(s) >> 11) * (1.0 / 9007199254740992.0);
}

double
lg_normal(uint64_t *s)
{
	double u1, u2;

	do
		u1 = lg_uniform(s);
	while (u1 <= 0);
	u2 = lg_uniform(s);
	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

double
lg_gamma(uint64_t *s, double k)
{
	double d, c, x, v, u;

	if (k < 1) {
		/* Boost: gamma(k) = gamma(k+1) * U^(1/k). */
		do
			u = lg_uniform(s);
		while (u <= 0);
		return lg_gamma(s, k + 1) * pow(u, 1 / k);
	}
	/* Marsaglia and Tsang. */
	d = k - 1.0 / 3;
	c = 1 / sqrt(9 * d);
	for (;;) {
		do {
			x = lg_normal(s);
			v = 1 + c * x;
		} while (v <= 0);
		v = v * v * v;
		u = lg_uniform(s);
		if (u < 1 - 0.0331 * x * x * x * x)
			return d * v;
		if (u > 0 && log(u) < 0.5 * x * x + d * (1 - v + log(v)))
			return d * v;
	}
}

int64_t *
lg_schedule(enum lg_arrival arr, double rate, double k, uint64_t seed,
    size_t n)
{
	int64_t		*d;
	double		*t, acc = 0, scale, gap;
	uint64_t	 s = seed;
	size_t		 i;

	d = xcalloc(n ? n : 1, sizeof *d);
	t = xcalloc(n ? n : 1, sizeof *t);
	for (i = 0; i < n; i++) {
		switch (arr) {
		case LG_ARRIVAL_CONSTANT:
			gap = 1 / rate;
			break;
		case LG_ARRIVAL_POISSON:
			gap = -log(1 - lg_uniform(&s)) / rate;
			break;
		default:
			gap = lg_gamma(&s, k) / (rate * k);
			break;
		}
		/* The first request leaves at time 0. */
		if (i > 0)
			acc += gap;
		t[i] = acc;
	}
	/* Rescale so the n requests span exactly (n - 1)/rate: the offered
	 * rate is the asked one, whatever the draw. */
	scale = (n > 1 && acc > 0) ? ((double)(n - 1) / rate) / acc : 1;
	for (i = 0; i < n; i++)
		d[i] = (int64_t)llround(t[i] * scale * 1e9);
	free(t);
	return d;
}

void
lg_interrupt(void)
{
	lg_stop_flag = 1;
}

const char *
lg_class_name(enum lg_class k)
{
	static const char *const names[LG_NCLASS] = {
		"ok", "rate_limited", "http_4xx", "http_5xx", "transport",
		"timeout", "stream"
	};

	return (unsigned)k < LG_NCLASS ? names[k] : "unknown";
}

/* ---- SSE and body handling ---- */

/* Output tokens of s's request received now: the run's and its class's. */
static void
count_tokens(struct lg *lg, const struct slot *s, uint64_t n)
{
	lg->tokens += n;
	if (lg->ccount != NULL && s->body.cls < lg->c->ncls)
		lg->ccount[s->body.cls].tokens += n;
}

static void
slot_chunk_time(struct slot *s, int64_t t, int32_t tok)
{
	if (s->nc == s->capc) {
		s->capc = s->capc ? s->capc * 2 : 16;
		s->ct = xrealloc(s->ct, s->capc * sizeof *s->ct);
		s->ctok = xrealloc(s->ctok, s->capc * sizeof *s->ctok);
	}
	s->ct[s->nc] = t;
	s->ctok[s->nc] = tok;
	s->nc++;
}

static int
on_sse(const struct sse_event *ev, void *arg)
{
	struct slot	*s = arg;
	long		 before = s->acc.completion_tokens, delta;
	int64_t		 now;
	int		 rc, content;

	rc = oai_acc_chunk(&s->acc, ev->data, ev->data_len, NULL);
	if (rc < 0) {
		s->stream_bad = 1;
		if (s->errmsg == NULL)
			s->errmsg = xstrdup("malformed JSON in the stream");
		return 1;
	}
	if (rc != 0)
		return rc == 2;	/* error frame stops; [DONE] ends */
	content = s->acc.delta_content != NULL ||
	    s->acc.delta_reasoning != NULL || s->acc.delta_tool;
	if (!content)
		return 0;
	/* When the bytes came, not when their parse is done. */
	now = s->rx;
	if (s->chunk_mode == -1)
		s->chunk_mode = s->acc.completion_tokens != before;
	delta = 1;
	if (s->chunk_mode == 1) {
		delta = s->acc.completion_tokens - (before > 0 ? before : 0);
		if (delta < 0)
			delta = 0;
		s->chunk_usage += delta;
	}
	if (s->first_token < 0)
		s->first_token = now;
	if (s->first_output < 0 && (s->acc.delta_content != NULL ||
	    s->acc.delta_tool))
		s->first_output = now;
	s->last_token = now;
	slot_chunk_time(s, now, (int32_t)delta);
	count_tokens(s->lg, s, (uint64_t)delta);
	s->lg->chunks++;
	return 0;
}

/*
 * When the bytes libcurl hands over now reached this host: the kernel's
 * receive time of the oldest unread byte of the socket being read (taken
 * by on_sock_event before libcurl reads it), so a busy loop that reads a
 * socket late does not make its tokens late; else now.
 */
static int64_t
rx_time(struct slot *s)
{
	struct lg	*lg = s->lg;

	if (lg->rx_at >= 0 && s->fd == lg->rx_fd) {
		lg->rx_kernel++;
		return lg->rx_at;
	}
	lg->rx_user++;
	return rel_ns(lg);
}

/*
 * The kernel's receive time rt (CLOCK_REALTIME ns, from the native
 * transport's read) in ns since t0, else now.
 */
static int64_t
native_time(struct lg *lg, int64_t rt)
{
	int64_t		 t, now = rel_ns(lg);

	if ((t = rxclock_mono(&lg->clk, rt)) >= 0) {
		lg->rx_kernel++;
		return t - lg->t0;
	}
	lg->rx_user++;
	return now;
}

/* When the bytes being handled reached the host (see rx_time). */
static int64_t
slot_rx(struct slot *s)
{
	return s->native ? native_time(s->lg, s->nrt) : rx_time(s);
}

/* Response body bytes, their arrival time in s->rx: 0, or -1 to stop. */
static int
slot_body(struct slot *s, const char *p, size_t len)
{
	s->bytes_in += len;
	s->lg->bytes_parsed += len;
	if (s->status / 100 != 2) {
		if (s->errbody.len < ERRBODY_MAX)
			sb_add(&s->errbody, p, len < ERRBODY_MAX ? len :
			    ERRBODY_MAX);
		return 0;
	}
	if (!s->stream) {
		/* The whole answer is its one "token" event: TTFT of a
		 * non-streamed request is the time of its last byte. */
		sb_add(&s->body_all, p, len);
		s->last_token = s->rx;
		return 0;
	}
	if (sse_feed(s->sse, p, len, NULL) < 0) {
		s->stream_bad = 1;
		if (s->errmsg == NULL)
			s->errmsg = xstrdup("unparseable event stream");
		return -1;
	}
	return 0;
}

static size_t
on_write(char *p, size_t sz, size_t n, void *arg)
{
	struct slot	*s = arg;
	size_t		 len = sz * n;
	long		 code = 0;

	/* The arrival time of every event in these bytes: taken first, so
	 * that parsing them (and the events before them) adds nothing. */
	s->rx = rx_time(s);
	if (s->status == 0) {
		curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
		s->status = (int)code;
	}
	return slot_body(s, p, len) == 0 ? len : 0;
}

/* Keep header line p if it is the k-th recorded header. */
static void
record_header(struct slot *s, size_t k, const char *p, size_t len)
{
	const char	*name = s->lg->c->record_headers[k];
	size_t		 nl = strlen(name);

	if (len <= nl || p[nl] != ':' || strncasecmp(p, name, nl) != 0)
		return;
	p += nl + 1;
	len -= nl + 1;
	while (len > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n' ||
	    p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	free(s->hval[k]);
	s->hval[k] = xstrndup(p, len > 1024 ? 1024 : len);
}

double
lg_parse_reset(const char *v)
{
	double	 t = 0, x;
	char	*end;
	int	 any = 0;

	while (*v == ' ' || *v == '\t')
		v++;
	while (*v != '\0' && *v != ',' && *v != ';' && *v != ' ') {
		x = strtod(v, &end);
		if (end == v || !(x >= 0))
			return NAN;
		v = end;
		if (strncmp(v, "ms", 2) == 0) {
			x /= 1e3;
			v += 2;
		} else if (*v == 's')
			v++;
		else if (*v == 'm') {
			x *= 60;
			v++;
		} else if (*v == 'h') {
			x *= 3600;
			v++;
		} else if (any)
			return NAN;
		t += x;
		any = 1;
	}
	return any ? t : NAN;
}

/* A header line's value (after the "Name:" the caller skipped): leading
 * blanks dropped, up to the line end, cut to fit v (vsz bytes). */
static void
header_value(const char *p, size_t len, char *v, size_t vsz)
{
	size_t	 k;

	while (len > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	for (k = 0; k < len && k < vsz - 1 && p[k] != '\r' && p[k] != '\n';
	    k++)
		v[k] = p[k];
	v[k] = '\0';
}

/*
 * Quota state from x-ratelimit-* / ratelimit-* header line p (header
 * callback only, never per chunk).  The value's first number counts
 * ("100, 100;w=60" is 100); resets may be durations ("6m0s").
 */
static void
ratelimit_header(struct slot *s, const char *p, size_t len)
{
	static const struct {
		const char	*name;
		int		 k;
	} f[] = {
		{ "limit-requests:", LG_RL_LIMIT_REQ },
		{ "remaining-requests:", LG_RL_REMAIN_REQ },
		{ "reset-requests:", LG_RL_RESET_REQ },
		{ "limit-tokens:", LG_RL_LIMIT_TOK },
		{ "remaining-tokens:", LG_RL_REMAIN_TOK },
		{ "reset-tokens:", LG_RL_RESET_TOK },
		{ "limit:", LG_RL_LIMIT },
		{ "remaining:", LG_RL_REMAIN },
		{ "reset:", LG_RL_RESET },
	};
	char	 v[48], *end;
	size_t	 i, k, nl;
	double	 x;

	for (i = 0; i < sizeof f / sizeof f[0]; i++) {
		nl = strlen(f[i].name);
		if (len > nl && strncasecmp(p, f[i].name, nl) == 0)
			break;
	}
	if (i == sizeof f / sizeof f[0])
		return;
	header_value(p + nl, len - nl, v, sizeof v);
	if (f[i].k == LG_RL_RESET_REQ || f[i].k == LG_RL_RESET_TOK ||
	    f[i].k == LG_RL_RESET)
		x = lg_parse_reset(v);
	else {
		x = strtod(v, &end);
		if (end == v)
			x = NAN;
	}
	if (isnan(x))
		return;
	if (!s->rl_seen) {
		for (k = 0; k < LG_RL_N; k++)
			s->rl[k] = NAN;
		s->rl_seen = 1;
	}
	s->rl[f[i].k] = x;
}

/* A response header line (either transport). */
static void
slot_header(struct slot *s, const char *p, size_t len)
{
	size_t		 k;
	char		 v[32];

	s->lg->bytes_parsed += len;
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* A new status line (also after 100 Continue). */
		s->first_byte = slot_rx(s);
		s->status = 0;
		for (k = 5; k < len && p[k] != ' '; k++)
			;
		if (k + 3 < len && p[k + 1] >= '1' && p[k + 1] <= '5' &&
		    p[k + 2] >= '0' && p[k + 2] <= '9' && p[k + 3] >= '0' &&
		    p[k + 3] <= '9')
			s->status = (p[k + 1] - '0') * 100 + (p[k + 2] - '0') *
			    10 + (p[k + 3] - '0');
		return;
	}
	if (len > 12 && strncasecmp(p, "retry-after:", 12) == 0) {
		header_value(p + 12, len - 12, v, sizeof v);
		s->retry_after = http_retry_after(v, NULL, (long)time(NULL));
	}
	if (len > 12 && strncasecmp(p, "x-ratelimit-", 12) == 0)
		ratelimit_header(s, p + 12, len - 12);
	else if (len > 10 && strncasecmp(p, "ratelimit-", 10) == 0)
		ratelimit_header(s, p + 10, len - 10);
	for (k = 0; k < s->lg->c->nrecord; k++)
		record_header(s, k, p, len);
}

static size_t
on_header(char *p, size_t sz, size_t n, void *arg)
{
	slot_header(arg, p, sz * n);
	return sz * n;
}

static int
on_socket_opened(void *arg, curl_socket_t fd, curlsocktype purpose)
{
	struct lg *lg = arg;

	if (purpose == CURLSOCKTYPE_IPCXN) {
		lg->connections++;
		/* Receive times from the kernel (see peek_arrival); without
		 * them the write callback's clock is used. */
		(void)rxstamp_enable(fd);
	}
	return CURL_SOCKOPT_OK;
}

/* ---- libcurl <-> libevent glue ---- */

static void check_multi(struct lg *);

/*
 * The kernel's receive time of the oldest unread byte on fd, in ns since
 * t0, or -1: a 1-byte MSG_PEEK that leaves the data to libcurl and brings
 * the SO_TIMESTAMPNS control message (CLOCK_REALTIME, moved onto the
 * monotonic clock by the offset taken at start and every second).
 */
static int64_t
peek_arrival(struct lg *lg, curl_socket_t fd)
{
	int64_t		 t = rxstamp_peek(&lg->clk, fd);

	return t < 0 ? -1 : t - lg->t0;
}

static void
on_sock_event(evutil_socket_t fd, short what, void *arg)
{
	struct sockw	*w = arg;
	struct lg	*lg = w->lg;
	int		 action = 0, running;

	if (w->want == 0) {
		/* An idle keep-alive connection woke (closed by the server,
		 * most likely): libcurl finds out when it next uses it. */
		event_del(w->ev);
		w->reg = 0;
		return;
	}
	if (what & EV_READ) {
		action |= CURL_CSELECT_IN;
		lg->rx_fd = fd;
		lg->rx_at = peek_arrival(lg, fd);
		if (lg->rx_at >= 0)
			loop_read_late(lg, lg->rx_at, rel_ns(lg));
	}
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(lg->multi, fd, action, &running);
	lg->rx_fd = CURL_SOCKET_BAD;
	lg->rx_at = -1;
	check_multi(lg);
}

/* The watch record of descriptor fd (created on first use). */
static struct sockw *
sock_get(struct lg *lg, curl_socket_t fd)
{
	size_t	 n;

	if ((size_t)fd >= lg->nsocks) {
		n = lg->nsocks ? lg->nsocks : 64;
		while (n <= (size_t)fd)
			n *= 2;
		lg->socks = xrealloc(lg->socks, n * sizeof *lg->socks);
		memset(lg->socks + lg->nsocks, 0, (n - lg->nsocks) *
		    sizeof *lg->socks);
		lg->nsocks = n;
	}
	if (lg->socks[fd] == NULL) {
		lg->socks[fd] = xcalloc(1, sizeof **lg->socks);
		lg->socks[fd]->lg = lg;
		lg->socks[fd]->fd = fd;
	}
	return lg->socks[fd];
}

static void
sock_unregister(struct sockw *w)
{
	if (w->reg != 0)
		event_del(w->ev);
	w->reg = w->want = 0;
}

static int
sock_cb(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct lg	*lg = arg;
	struct sockw	*w;
	struct slot	*s = NULL;
	short		 kind;

	(void)sockp;
	if (fd < 0)
		return 0;
	w = sock_get(lg, fd);
	if (what == CURL_POLL_REMOVE) {
		/* Left registered: see struct sockw. */
		w->want = 0;
		return 0;
	}
	/* Which request reads this socket, for rx_time(). */
	if (easy != NULL && curl_easy_getinfo(easy, CURLINFO_PRIVATE,
	    (char **)&s) == CURLE_OK && s != NULL)
		s->fd = fd;
	kind = ((what & CURL_POLL_IN) ? EV_READ : 0) |
	    ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
	w->want = kind;
	if (w->reg == kind)
		return 0;
	if (w->reg != 0)
		event_del(w->ev);
	if (w->ev == NULL)
		w->ev = event_new(lg->base, fd, kind | EV_PERSIST,
		    on_sock_event, w);
	else
		event_assign(w->ev, lg->base, fd, kind | EV_PERSIST,
		    on_sock_event, w);
	event_add(w->ev, NULL);
	w->reg = kind;
	return 0;
}

/* libcurl closes a socket: unregister it first (its number is reused). */
static int
on_socket_close(void *arg, curl_socket_t fd)
{
	struct lg	*lg = arg;

	if (fd >= 0 && (size_t)fd < lg->nsocks && lg->socks[fd] != NULL)
		sock_unregister(lg->socks[fd]);
	return close(fd);
}

/* libcurl is about to write the request: the sent time. */
static int
on_prereq(void *arg, char *conn_primary_ip, char *conn_local_ip,
    int conn_primary_port, int conn_local_port)
{
	struct slot	*s = arg;

	(void)conn_primary_ip;
	(void)conn_local_ip;
	(void)conn_primary_port;
	(void)conn_local_port;
	s->attempt_sent = rel_ns(s->lg);
	if (s->attempts == 1)
		s->sent = s->attempt_sent;
	return CURL_PREREQFUNC_OK;
}

static void
on_curl_timer(evutil_socket_t fd, short what, void *arg)
{
	struct lg	*lg = arg;
	int		 running;

	(void)fd;
	(void)what;
	loop_timer_late(lg, lg->curl_due, rel_ns(lg));
	curl_multi_socket_action(lg->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_multi(lg);
}

static int
timer_cb(CURLM *multi, long ms, void *arg)
{
	struct lg	*lg = arg;
	struct timeval	 tv;

	(void)multi;
	if (ms < 0) {
		evtimer_del(lg->curl_timer);
		return 0;
	}
	if (ms == 0) {
		/* Due now: run it in this loop iteration, not through the
		 * timer machinery (one poll round trip less per request). */
		evtimer_del(lg->curl_timer);
		lg->curl_due = rel_ns(lg);
		event_active(lg->curl_timer, EV_TIMEOUT, 0);
		return 0;
	}
	lg->curl_due = rel_ns(lg) + (int64_t)ms * 1000000;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(lg->curl_timer, &tv);
	return 0;
}

/* ---- slots ---- */

static void on_retry(evutil_socket_t, short, void *);

/* A header line whose value is rewritten in place per request: appended
 * at its longest, so any value up to cap bytes fits the node's string. */
static struct curl_slist *
hdr_slot(struct curl_slist *l, const char *name, size_t cap, char **line)
{
	struct curl_slist	*n, *last;
	char			*buf;

	buf = xmalloc(strlen(name) + cap + 1);
	memset(buf, 'x', strlen(name) + cap);
	memcpy(buf, name, strlen(name));
	buf[strlen(name) + cap] = '\0';
	n = curl_slist_append(l, buf);
	free(buf);
	if (n == NULL)
		return l;
	for (last = n; last->next != NULL; last = last->next)
		;
	*line = last->data;
	return n;
}

/* Whether the "Name: value" lines (NULL-ended, or NULL) set a header
 * named as the first n bytes of name. */
static int
lines_set(const char *const *lines, const char *name, size_t n)
{
	size_t	 i;

	for (i = 0; lines != NULL && lines[i] != NULL; i++)
		if (strncasecmp(lines[i], name, n) == 0 &&
		    lines[i][n] == ':')
			return 1;
	return 0;
}

/* Whether the --header lines or those of class cc (or NULL) set name
 * (libcurl: a custom header replaces the one it would add). */
static int
user_sets(const struct lg_config *c, const struct lg_class_cfg *cc,
    const char *name)
{
	size_t	 n = strlen(name);

	return lines_set((const char *const *)c->headers, name, n) ||
	    (cc != NULL && lines_set(cc->headers, name, n));
}

/* Whether a --header line is replaced by one of class cc (or NULL) with
 * the same name. */
static int
class_replaces(const struct lg_class_cfg *cc, const char *line)
{
	const char	*colon = strchr(line, ':');

	return cc != NULL && colon != NULL && lines_set(cc->headers, line,
	    (size_t)(colon - line));
}

/* A header list: constant lines, then lines whose values change per
 * request (request id; the key when there are many); a class (cc, or
 * NULL) may bring its own key, stream flag and extra lines. */
static struct curl_slist *
make_headers(struct lg *lg, const struct lg_class_cfg *cc, struct hset *h)
{
	const struct lg_config	*c = lg->c;
	struct curl_slist	*l = NULL;
	char			*auth;
	size_t			 i, k;
	int			 stream = cc != NULL && cc->stream >= 0 ?
				    cc->stream : c->stream;
	int			 own = cc != NULL && cc->nkeys > 0;
	char *const		*keys = own ? cc->keys : c->keys;
	size_t			 nkeys = own ? cc->nkeys : c->nkeys;

	if (!user_sets(c, cc, "content-type"))
		l = curl_slist_append(l, "Content-Type: application/json");
	if (!user_sets(c, cc, "accept"))
		l = curl_slist_append(l, stream ? "Accept: text/event-stream" :
		    "Accept: application/json");
	/* No 100-continue round trip for large bodies. */
	l = curl_slist_append(l, "Expect:");
	h->reqid_cap = strlen(c->request_id_prefix ? c->request_id_prefix :
	    "bench-") + 20;
	l = hdr_slot(l, "X-Request-Id: ", h->reqid_cap, &h->reqid_hdr);
	if (nkeys == 1) {
		auth = xasprintf("Authorization: Bearer %s", keys[0]);
		l = curl_slist_append(l, auth);
		xfree_secret(auth);
	} else if (nkeys > 1) {
		for (k = 0; k < nkeys; k++)
			if (strlen(keys[k]) > h->auth_cap)
				h->auth_cap = strlen(keys[k]);
		l = hdr_slot(l, "Authorization: Bearer ", h->auth_cap,
		    &h->auth_hdr);
	}
	for (i = 0; c->headers != NULL && c->headers[i] != NULL; i++)
		if (!class_replaces(cc, c->headers[i]))
			l = curl_slist_append(l, c->headers[i]);
	for (i = 0; cc != NULL && cc->headers != NULL &&
	    cc->headers[i] != NULL; i++)
		l = curl_slist_append(l, cc->headers[i]);
	return l;
}

/* Free a header list, wiping every line (keys, class headers). */
static void
free_headers(struct curl_slist *l)
{
	struct curl_slist	*n;

	for (n = l; n != NULL; n = n->next)
		explicit_bzero(n->data, strlen(n->data));
	curl_slist_free_all(l);
}

/* Set the options every request of the slot shares, once. */
static void
slot_setup(struct lg *lg, struct slot *s)
{
	const struct lg_config	*c = lg->c;
	CURL			*h = s->easy;

	struct hset		 hs;

	memset(&hs, 0, sizeof hs);
	s->hdrs = make_headers(lg, NULL, &hs);
	s->reqid_hdr = hs.reqid_hdr;
	s->reqid_cap = hs.reqid_cap;
	s->auth_hdr = hs.auth_hdr;
	s->auth_cap = hs.auth_cap;
	s->cur_h = -1;
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, s->hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_prereq);
	curl_easy_setopt(h, CURLOPT_PREREQDATA, s);
	curl_easy_setopt(h, CURLOPT_PRIVATE, s);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, s->curl_err);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "maasctl-bench/"
	    MAASCTL_VERSION);
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, lg->bufsize);
	curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, on_socket_opened);
	curl_easy_setopt(h, CURLOPT_SOCKOPTDATA, lg);
	curl_easy_setopt(h, CURLOPT_CLOSESOCKETFUNCTION, on_socket_close);
	curl_easy_setopt(h, CURLOPT_CLOSESOCKETDATA, lg);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)((
	    c->connect_timeout > 0 ? c->connect_timeout : 10) * 1000));
	if (c->timeout > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
		    (long)(c->timeout * 1000));
	if (c->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	if (c->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->http2) {
		curl_easy_setopt(h, CURLOPT_HTTP_VERSION, lg->h2_version);
		/* Wait for a connection being set up rather than open one
		 * more: the streams share it once it speaks HTTP/2. */
		curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L);
	} else
		curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
		    (long)CURL_HTTP_VERSION_1_1);
}

static struct slot *
slot_get(struct lg *lg)
{
	struct slot	*s;

	if ((s = lg->free_slots) != NULL) {
		lg->free_slots = s->next_free;
		return s;
	}
	s = xcalloc(1, sizeof *s);
	s->lg = lg;
	s->sse = sse_new(on_sse, s);
	oai_acc_init(&s->acc, 1);
	s->acc.lean = 1;
	s->retry_ev = evtimer_new(lg->base, on_retry, s);
	s->nr.arg = s;
	if (lg->nslots == lg->capslots) {
		lg->capslots = lg->capslots ? lg->capslots * 2 : 64;
		lg->all_slots = xrealloc(lg->all_slots, lg->capslots *
		    sizeof *lg->all_slots);
	}
	lg->all_slots[lg->nslots++] = s;
	return s;
}

static void
slot_clear_attempt(struct slot *s)
{
	size_t	 k;

	s->acc.chat = s->body.chat;
	oai_acc_reset(&s->acc);
	sse_reset(s->sse);
	s->fd = CURL_SOCKET_BAD;
	s->first_byte = s->first_token = s->first_output = s->last_token = -1;
	s->end = -1;
	s->status = 0;
	s->retry_after = -1;
	if (s->rl_seen) {
		for (k = 0; k < LG_RL_N; k++)
			s->rl[k] = NAN;
		s->rl_seen = 0;
	}
	s->nc = 0;
	s->chunk_mode = -1;
	s->chunk_usage = 0;
	s->bytes_in = 0;
	s->stream_bad = 0;
	sb_reset(&s->errbody);
	sb_reset(&s->body_all);
	free(s->errmsg);
	s->errmsg = NULL;
	s->curl_err[0] = '\0';
	for (k = 0; k < s->lg->c->nrecord; k++) {
		if (s->hval == NULL)
			s->hval = xcalloc(s->lg->c->nrecord, sizeof *s->hval);
		free(s->hval[k]);
		s->hval[k] = NULL;
	}
}

static void
slot_put(struct lg *lg, struct slot *s)
{
	if (s->body.owned)
		free(s->body.data);
	memset(&s->body, 0, sizeof s->body);
	s->next_free = lg->free_slots;
	lg->free_slots = s;
}

static void
slot_destroy(struct slot *s)
{
	size_t	 k;

	if (s->easy != NULL)
		curl_easy_cleanup(s->easy);
	lgh1_req_free(&s->nr);
	sb_free_secret(&s->nhdr);
	sse_free(s->sse);
	oai_acc_free(&s->acc);
	free_headers(s->hdrs);
	for (k = 0; s->chdrs != NULL && k < s->lg->c->ncls; k++)
		free_headers(s->chdrs[k].l);
	free(s->chdrs);
	if (s->body.owned)
		free(s->body.data);
	event_free(s->retry_ev);
	free(s->ct);
	free(s->ctok);
	sb_free(&s->errbody);
	sb_free(&s->body_all);
	free(s->errmsg);
	for (k = 0; s->hval != NULL && k < s->lg->c->nrecord; k++)
		free(s->hval[k]);
	free(s->hval);
	free(s);
}

/* libcurl's multi handle, set up on first use. */
static CURLM *
lg_multi(struct lg *lg)
{
	const struct lg_config	*c = lg->c;

	if (lg->multi != NULL)
		return lg->multi;
	if (curl_dl_load(lg->e) != 0)
		return NULL;
	http_global_init();
	if ((lg->multi = curl_multi_init()) == NULL) {
		err_set(lg->e, EXIT_ERR, "bench: cannot set up libcurl");
		return NULL;
	}
	/* HTTP/2: HTTPS negotiates it by ALPN.  On plain HTTP, libcurl
	 * before 8.0.0 fails every request on a reused prior-knowledge h2c
	 * connection ("Error in the HTTP2 framing layer", curl #10634, fixed
	 * in 8.0.0), so there the first request of a connection upgrades
	 * (Upgrade: h2c) and the rest are multiplexed on it. */
	lg->h2_version = curl_version_info(CURLVERSION_NOW)->version_num >=
	    0x080000 ? (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE :
	    (long)CURL_HTTP_VERSION_2_0;
	curl_multi_setopt(lg->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(lg->multi, CURLMOPT_SOCKETDATA, lg);
	curl_multi_setopt(lg->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(lg->multi, CURLMOPT_TIMERDATA, lg);
	/* The keep-alive pool holds one connection per concurrent request. */
	curl_multi_setopt(lg->multi, CURLMOPT_MAXCONNECTS, lg->maxconn);
	if (c->http2)
		curl_multi_setopt(lg->multi, CURLMOPT_PIPELINING,
		    (long)CURLPIPE_MULTIPLEX);
	else
		curl_multi_setopt(lg->multi, CURLMOPT_PIPELINING,
		    (long)CURLPIPE_NOTHING);
	return lg->multi;
}

/* The class settings of s's request when its class has its own key,
 * headers or stream flag, else NULL. */
static const struct lg_class_cfg *
slot_class(const struct lg *lg, const struct slot *s)
{
	const struct lg_class_cfg	*cc;

	if (lg->c->cls == NULL || s->body.cls >= lg->c->ncls)
		return NULL;
	cc = &lg->c->cls[s->body.cls];
	if (cc->nkeys == 0 && cc->headers == NULL && cc->stream < 0)
		return NULL;
	return cc;
}

/* The API key of s's request (its class's, else the run's), or NULL. */
static const char *
slot_key(const struct lg *lg, const struct slot *s)
{
	const struct lg_class_cfg	*cc = slot_class(lg, s);

	if (cc != NULL && cc->nkeys > 0)
		return cc->keys[s->keyi];
	return lg->c->nkeys > 0 ? lg->c->keys[s->keyi] : NULL;
}

/* Point s's libcurl handle at the header list of its request's class
 * (built on first use) and write the request id and key into it. */
static void
curl_class_headers(struct lg *lg, struct slot *s)
{
	const struct lg_config		*c = lg->c;
	const struct lg_class_cfg	*cc = slot_class(lg, s);
	struct hset			 def, *h = &def;
	long				 want = -1;

	if (cc != NULL) {
		want = (long)s->body.cls;
		if (s->chdrs == NULL)
			s->chdrs = xcalloc(c->ncls, sizeof *s->chdrs);
		h = &s->chdrs[want];
		if (h->l == NULL)
			h->l = make_headers(lg, cc, h);
	} else {
		def.l = s->hdrs;
		def.reqid_hdr = s->reqid_hdr;
		def.reqid_cap = s->reqid_cap;
		def.auth_hdr = s->auth_hdr;
		def.auth_cap = s->auth_cap;
	}
	if (want != s->cur_h) {
		curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, h->l);
		s->cur_h = want;
	}
	if (h->reqid_hdr != NULL)
		snprintf(h->reqid_hdr, strlen("X-Request-Id: ") +
		    h->reqid_cap + 1, "X-Request-Id: %s", s->reqid);
	if (h->auth_hdr != NULL)
		snprintf(h->auth_hdr, strlen("Authorization: Bearer ") +
		    h->auth_cap + 1, "Authorization: Bearer %s",
		    slot_key(lg, s));
}

/* Whether url goes over the native HTTP/1.1 transport (lgh1.h): plain
 * http:// without user info or a proxy, unless --transport or --http2
 * says libcurl. */
static int
url_native(struct lg *lg, const char *url)
{
	const struct lg_config	*c = lg->c;
	size_t			 i;
	int			 ok;

	if (c->transport == LG_TRANSPORT_CURL || c->http2)
		return 0;
	for (i = 0; i < lg->nurl_seen; i++)
		if (lg->url_seen[i] == url)
			return lg->url_native[i];
	ok = lgh1_url_ok(url) && !http_uses_proxy(NULL, url);
	if (lg->nurl_seen < sizeof lg->url_seen / sizeof lg->url_seen[0]) {
		lg->url_seen[lg->nurl_seen] = url;
		lg->url_native[lg->nurl_seen++] = ok;
	}
	return ok;
}

/* The native transport's header lines for s's request: the constant ones
 * (built once), its request id and its key. */
static void
native_headers(struct lg *lg, struct slot *s, const char *url)
{
	const struct lg_class_cfg	*cc = slot_class(lg, s);
	const char			*key;

	sb_reset(&s->nhdr);
	if (cc != NULL && lg->h1_chdrs[s->body.cls] != NULL)
		sb_add(&s->nhdr, lg->h1_chdrs[s->body.cls],
		    lg->h1_chdrs_len[s->body.cls]);
	else
		sb_add(&s->nhdr, lg->h1_hdrs, lg->h1_hdrs_len);
	sb_addf(&s->nhdr, "X-Request-Id: %s\r\n", s->reqid);
	if ((key = slot_key(lg, s)) != NULL)
		sb_addf(&s->nhdr, "Authorization: Bearer %s\r\n", key);
	s->nr.url = url;
	s->nr.headers = s->nhdr.buf;
	s->nr.headers_len = s->nhdr.len;
	s->nr.body = s->body.data;
	s->nr.body_len = s->body.len;
}

/* Hand an attempt of s to its transport: the native one, or libcurl
 * (only what changes per request is set: the handle keeps its options;
 * no curl_easy_reset()). */
static int
slot_start(struct lg *lg, struct slot *s)
{
	const char	*url = s->body.url ? s->body.url : lg->c->url;
	CURL		*h;

	slot_clear_attempt(s);
	s->attempts++;
	s->native = url_native(lg, url);
	if (s->native) {
		native_headers(lg, s, url);
		s->attempt_sent = rel_ns(lg);
		if (s->attempts == 1)
			s->dispatched = s->sent = s->attempt_sent;
		s->in_native = 1;
		lg->native_attempts++;
		lgh1_start(lg->h1, &s->nr);
		return 0;
	}
	if (lg->c->transport == LG_TRANSPORT_NATIVE) {
		err_set(lg->e, EXIT_USAGE, "bench: --transport native needs "
		    "a plain http:// URL without a proxy, not %s", url);
		return -2;
	}
	if (lg_multi(lg) == NULL)
		return -2;
	if (s->easy == NULL) {
		if ((s->easy = curl_easy_init()) == NULL)
			return -1;
		slot_setup(lg, s);
		s->url = NULL;
	}
	h = s->easy;
	lg->curl_attempts++;
	curl_class_headers(lg, s);
	if (s->url != url) {
		curl_easy_setopt(h, CURLOPT_URL, url);
		s->url = url;
	}
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, s->body.data);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)s->body.len);
	s->attempt_sent = rel_ns(lg);
	if (s->attempts == 1)
		s->dispatched = s->sent = s->attempt_sent;
	if (curl_multi_add_handle(lg->multi, h) != CURLM_OK)
		return -1;
	s->in_multi = 1;
	return 0;
}

/* This request's id, key (when there are several) and stream flag. */
static void
set_request_headers(struct lg *lg, struct slot *s)
{
	const struct lg_config		*c = lg->c;
	const struct lg_class_cfg	*cc = slot_class(lg, s);

	s->stream = cc != NULL && cc->stream >= 0 ? cc->stream : c->stream;

	snprintf(s->reqid, sizeof s->reqid, "%s%llu",
	    c->request_id_prefix ? c->request_id_prefix : "bench-",
	    (unsigned long long)s->seq);
	if (cc != NULL && cc->nkeys > 0)
		s->keyi = cc->nkeys > 1 ? lg->cls_key_next[s->body.cls]++ %
		    cc->nkeys : 0;
	else
		s->keyi = c->nkeys > 1 ? lg->key_next++ % c->nkeys : 0;
}

/* Begin request seq (intended at `intended` ns, -1: now). */
static int
start_request(struct lg *lg, uint64_t seq, int64_t intended, int waited)
{
	struct slot	*s;
	int		 rc;

	if ((s = slot_get(lg)) == NULL) {
		err_set(lg->e, EXIT_ERR, "bench: cannot create a libcurl "
		    "handle");
		lg->failed = 1;
		return -1;
	}
	memset(&s->body, 0, sizeof s->body);
	s->body.chat = 1;
	s->body.session = s->body.turn = -1;
	if (lg->c->body(lg->c->body_arg, seq, &s->body, lg->e) != 0) {
		lg->failed = 1;
		slot_put(lg, s);
		return -1;
	}
	s->seq = seq;
	s->warmup = seq < (uint64_t)lg->c->warmup;
	s->attempts = 0;
	s->throttled = 0;
	s->waited = waited;
	set_request_headers(lg, s);
	if ((rc = slot_start(lg, s)) != 0) {
		if (rc == -1)
			err_set(lg->e, EXIT_ERR, "bench: libcurl refused a "
			    "request");
		lg->failed = 1;
		slot_put(lg, s);
		return -1;
	}
	s->intended = intended >= 0 ? intended : s->dispatched;
	if (!s->warmup && (lg->first_measured < 0 ||
	    (double)s->intended / 1e9 < lg->first_measured))
		lg->first_measured = (double)s->intended / 1e9;
	lg->dispatched++;
	lg->last_dispatch = (double)s->dispatched / 1e9;
	lg->inflight++;
	if (lg->ccount != NULL && s->body.cls < lg->c->ncls) {
		lg->ccount[s->body.cls].dispatched++;
		lg->ccount[s->body.cls].inflight++;
	}
	if (lg->inflight > lg->peak)
		lg->peak = lg->inflight;
	return 0;
}

/* The global request number of local number i (distributed workers each
 * take every worker_count-th request of the one schedule). */
static uint64_t
gseq(const struct lg *lg, uint64_t i)
{
	if (lg->c->worker_count <= 1)
		return i;
	return i * (uint64_t)lg->c->worker_count +
	    (uint64_t)lg->c->worker_index;
}

static int
duration_over(struct lg *lg)
{
	return lg->c->duration > 0 &&
	    (double)rel_ns(lg) / 1e9 >= lg->c->duration;
}

/* Closed loop: keep `concurrency` requests in flight. */
static void
fill_closed(struct lg *lg)
{
	while (!lg->stopping && !lg->failed &&
	    lg->inflight < lg->conc && lg->next_seq < lg->total) {
		if (duration_over(lg)) {
			lg->stopping = 1;
			break;
		}
		if (start_request(lg, gseq(lg, lg->next_seq), -1, 0) != 0)
			break;
		lg->next_seq++;
	}
}

/* Closed loop with steps: apply the steps due, arm for the next one. */
static void
on_step(evutil_socket_t fd, short what, void *arg)
{
	struct lg	*lg = arg;
	const struct lg_config *c = lg->c;
	struct timeval	 tv;
	int64_t		 d;

	(void)fd;
	(void)what;
	if (what != 0)
		loop_timer_late(lg, lg->step_due, rel_ns(lg));
	while (lg->next_step < c->nsteps &&
	    c->steps[lg->next_step].at <= rel_ns(lg))
		lg->conc = c->steps[lg->next_step++].concurrency;
	fill_closed(lg);
	if (lg->next_step >= c->nsteps || lg->stopping)
		return;
	d = c->steps[lg->next_step].at - rel_ns(lg);
	if (d < 0)
		d = 0;
	lg->step_due = c->steps[lg->next_step].at;
	tv.tv_sec = d / 1000000000LL;
	tv.tv_usec = (d % 1000000000LL) / 1000;
	evtimer_add(lg->step_timer, &tv);
}

/* Open loop: start waiting requests while the cap allows. */
static void
drain_waiting(struct lg *lg)
{
	uint64_t	 seq;

	while (lg->wq_len > 0 && !lg->failed && !lg->stopping &&
	    lg->inflight < lg->c->max_inflight) {
		seq = lg->waitq[lg->wq_head];
		lg->wq_head = (lg->wq_head + 1) % lg->wq_cap;
		lg->wq_len--;
		start_request(lg, gseq(lg, seq), lg->sched[seq], 1);
	}
}

static void
wait_push(struct lg *lg, uint64_t seq)
{
	size_t	 i, n;
	uint64_t *q;

	if (lg->wq_len == lg->wq_cap) {
		n = lg->wq_cap ? lg->wq_cap * 2 : 1024;
		q = xcalloc(n, sizeof *q);
		for (i = 0; i < lg->wq_len; i++)
			q[i] = lg->waitq[(lg->wq_head + i) % lg->wq_cap];
		free(lg->waitq);
		lg->waitq = q;
		lg->wq_cap = n;
		lg->wq_head = 0;
	}
	lg->waitq[(lg->wq_head + lg->wq_len) % lg->wq_cap] = seq;
	lg->wq_len++;
	lg->waited++;
}

static void
arm_sched(struct lg *lg)
{
	struct timeval	 tv;
	int64_t		 d;

	if (lg->next_sched >= lg->nsched || lg->stopping)
		return;
	d = lg->sched[lg->next_sched] - rel_ns(lg);
	if (d < 0)
		d = 0;
	tv.tv_sec = d / 1000000000LL;
	tv.tv_usec = (d % 1000000000LL) / 1000;
	evtimer_add(lg->sched_timer, &tv);
}

static void
on_sched(evutil_socket_t fd, short what, void *arg)
{
	struct lg	*lg = arg;
	int64_t		 now = rel_ns(lg);
	uint64_t	 seq;

	(void)fd;
	(void)what;
	if (what != 0 && lg->next_sched < lg->nsched)
		loop_timer_late(lg, lg->sched[lg->next_sched], now);
	/* Everything due by now leaves now, in order: a late wake-up makes
	 * lag (reported), never a shifted schedule. */
	while (lg->next_sched < lg->nsched && !lg->stopping &&
	    lg->sched[lg->next_sched] <= now) {
		if (lg->c->duration > 0 &&
		    (double)lg->sched[lg->next_sched] / 1e9 >=
		    lg->c->duration) {
			lg->stopping = 1;
			break;
		}
		seq = lg->next_sched++;
		if (lg->wq_len > 0 || lg->inflight >= lg->c->max_inflight)
			wait_push(lg, seq);
		else if (start_request(lg, gseq(lg, seq), lg->sched[seq], 0) !=
		    0)
			break;
		now = rel_ns(lg);
	}
	if (lg->next_sched >= lg->nsched)
		lg->stopping = lg->wq_len == 0 ? 1 : lg->stopping;
	arm_sched(lg);
}

/* libcurl's timings, connection reuse and HTTP version of s's attempt. */
static void
curl_getinfo_times(struct slot *s, struct lg_result *r)
{
	curl_off_t	 v;
	long		 n = 0;

	if (curl_easy_getinfo(s->easy, CURLINFO_NAMELOOKUP_TIME_T, &v) ==
	    CURLE_OK)
		r->t_dns = (int64_t)v * 1000;
	if (curl_easy_getinfo(s->easy, CURLINFO_CONNECT_TIME_T, &v) ==
	    CURLE_OK)
		r->t_connect = (int64_t)v * 1000;
	if (curl_easy_getinfo(s->easy, CURLINFO_APPCONNECT_TIME_T, &v) ==
	    CURLE_OK)
		r->t_tls = (int64_t)v * 1000;
	if (curl_easy_getinfo(s->easy, CURLINFO_STARTTRANSFER_TIME_T, &v) ==
	    CURLE_OK)
		r->t_ttfb = (int64_t)v * 1000;
	if (curl_easy_getinfo(s->easy, CURLINFO_NUM_CONNECTS, &n) ==
	    CURLE_OK)
		r->reused = n == 0;
	if (curl_easy_getinfo(s->easy, CURLINFO_HTTP_VERSION, &n) ==
	    CURLE_OK)
		r->http_version = n == CURL_HTTP_VERSION_1_0 ? 10 :
		    n == CURL_HTTP_VERSION_1_1 ? 11 :
		    n == CURL_HTTP_VERSION_2_0 ? 20 :
		    n == CURL_HTTP_VERSION_3 ? 30 : 0;
}

static void
fill_result(struct slot *s, struct lg_result *r, enum lg_class k)
{
	memset(r, 0, sizeof *r);
	r->seq = s->seq;
	r->warmup = s->warmup;
	r->cls = s->body.cls;
	r->session = s->body.session;
	r->turn = s->body.turn;
	r->klass = k;
	r->stream = s->stream;
	r->status = s->status;
	r->attempts = s->attempts;
	r->throttled = s->throttled;
	r->waited = s->waited;
	r->open_loop = s->lg->c->rate > 0;
	r->intended = s->intended;
	r->dispatched = s->dispatched;
	r->sent = s->sent;
	r->attempt_sent = s->attempt_sent;
	r->first_byte = s->first_byte;
	r->first_token = s->first_token;
	r->first_output = s->first_output;
	r->last_token = s->last_token;
	r->end = s->end;
	r->t_dns = r->t_connect = r->t_tls = r->t_ttfb = -1;
	if (s->native) {
		/* As libcurl's: no TLS is 0. */
		r->t_dns = s->nr.t_dns;
		r->t_connect = s->nr.t_connect;
		r->t_tls = s->nr.t_connect >= 0 ? 0 : -1;
		r->t_ttfb = s->nr.t_ttfb;
		r->reused = s->nr.reused;
		r->http_version = s->nr.http_version;
	} else if (s->easy != NULL)
		curl_getinfo_times(s, r);
	r->bytes_in = s->bytes_in;
	r->bytes_out = s->body.len;
	r->prompt_tokens = s->acc.prompt_tokens;
	r->cached_tokens = s->acc.cached_tokens;
	r->usage_tokens = s->acc.completion_tokens;
	r->chunk_usage = s->chunk_mode == 1;
	r->chunk_usage_tokens = r->chunk_usage ? s->chunk_usage : -1;
	r->content_chunks = s->nc;
	r->text_chunks = s->acc.content_chunks;
	r->reasoning_chunks = s->acc.reasoning_chunks;
	r->tool_call_chunks = s->acc.tool_chunks;
	r->tool_calls = s->acc.tool_calls;
	r->chunks = s->acc.chunks;
	r->chunk_t = s->ct;
	r->chunk_tok = s->ctok;
	r->nchunk = s->nc;
	r->error = s->errmsg;
	r->request_id = s->reqid;
	r->header_values = s->hval;
	r->ratelimit = s->rl_seen ? s->rl : NULL;
}

static void
finish_slot(struct lg *lg, struct slot *s, enum lg_class k)
{
	struct lg_result	 r;
	double			 t;

	fill_result(s, &r, k);
	lg->inflight--;
	lg->done++;
	if (lg->ccount != NULL && s->body.cls < lg->c->ncls) {
		lg->ccount[s->body.cls].inflight--;
		lg->ccount[s->body.cls].done++;
	}
	t = (double)s->end / 1e9;
	if (t > lg->last_end)
		lg->last_end = t;
	if (lg->c->done != NULL)
		lg->c->done(lg->c->arg, &r);
	slot_put(lg, s);
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct slot	*s = arg;
	struct lg	*lg = s->lg;

	(void)fd;
	(void)what;
	loop_timer_late(lg, s->retry_due, rel_ns(lg));
	if (lg->stopping && lg_stop_flag) {
		finish_slot(lg, s, LG_RATE_LIMITED);
		return;
	}
	if (slot_start(lg, s) != 0) {
		if (s->errmsg == NULL)
			s->errmsg = xstrdup("libcurl refused the retry");
		finish_slot(lg, s, LG_TRANSPORT);
	}
}

/* Whether to retry a throttled answer, and after how long (s). */
static int
want_retry(struct lg *lg, struct slot *s, double *wait)
{
	const struct lg_config	*c = lg->c;
	double			 base = 0.1, cap, w;

	if (c->retry == LG_RETRY_NEVER || s->attempts > c->max_retries ||
	    lg_stop_flag)
		return 0;
	cap = c->retry_cap > 0 ? c->retry_cap : 10;
	if (c->retry == LG_RETRY_AFTER && s->retry_after >= 0)
		w = s->retry_after;
	else
		w = http_backoff(s->attempts, base, cap,
		    lg_uniform(&lg->rng));
	if (w > cap)
		w = cap;
	*wait = w;
	return 1;
}

static char *
status_message(struct slot *s)
{
	char	*m, *msg;

	msg = oai_error_message(s->errbody.buf ? s->errbody.buf : "",
	    s->errbody.len);
	if (msg != NULL && msg[0] != '\0') {
		m = xasprintf("HTTP %d: %.200s", s->status, msg);
		free(msg);
		return m;
	}
	free(msg);
	return xasprintf("HTTP %d", s->status);
}

/*
 * An attempt ended: tk is what the transport says (LG_OK, or LG_TIMEOUT
 * or LG_TRANSPORT with tmsg), the rest comes from the answer.  s->end is
 * set.
 */
static void
complete(struct lg *lg, struct slot *s, enum lg_class tk, const char *tmsg)
{
	enum lg_class	 k = LG_OK;
	struct timeval	 tv;
	double		 w;

	if (tk != LG_OK) {
		k = tk;
		if (s->errmsg == NULL)
			s->errmsg = xstrdup(tmsg);
		if (s->status / 100 == 2 && s->nc > 0 && k == LG_TRANSPORT)
			k = LG_STREAM;
	} else if (s->status == 429 || (s->status == 503 &&
	    s->retry_after >= 0)) {
		s->throttled++;
		if (want_retry(lg, s, &w)) {
			tv.tv_sec = (time_t)w;
			tv.tv_usec = (suseconds_t)((w - (double)tv.tv_sec) *
			    1e6);
			s->retry_due = rel_ns(lg) + (int64_t)tv.tv_sec *
			    1000000000LL + (int64_t)tv.tv_usec * 1000;
			evtimer_add(s->retry_ev, &tv);
			return;
		}
		k = LG_RATE_LIMITED;
		free(s->errmsg);
		s->errmsg = status_message(s);
	} else if (s->status >= 500) {
		k = LG_HTTP_5XX;
		free(s->errmsg);
		s->errmsg = status_message(s);
	} else if (s->status >= 400 || s->status < 200) {
		k = LG_HTTP_4XX;
		free(s->errmsg);
		s->errmsg = status_message(s);
	} else if (s->stream_bad) {
		k = LG_STREAM;
	} else if (!s->stream) {
		if (oai_acc_response(&s->acc, s->body_all.buf ?
		    s->body_all.buf : "", s->body_all.len, NULL) != 0) {
			k = LG_STREAM;
			s->errmsg = xstrdup("malformed JSON answer");
		} else {
			if (s->acc.error != NULL) {
				k = LG_STREAM;
				s->errmsg = xasprintf("error in the answer: "
				    "%.200s", s->acc.error);
			} else if (s->last_token >= 0) {
				s->first_token = s->last_token;
				if (s->acc.content.len > 0)
					s->first_output = s->last_token;
				/* The answer's tokens arrive now, at once. */
				if (s->acc.completion_tokens > 0)
					count_tokens(lg, s, (uint64_t)
					    s->acc.completion_tokens);
			}
		}
	} else if (s->acc.error != NULL) {
		k = LG_STREAM;
		s->errmsg = xasprintf("error frame in the stream: %.200s",
		    s->acc.error);
	} else if (!s->acc.done && s->acc.finish_reason == NULL) {
		k = LG_STREAM;
		s->errmsg = xstrdup("the stream ended without finish_reason "
		    "or [DONE]");
	} else if (s->nc == 0 && s->acc.completion_tokens != 0) {
		k = LG_STREAM;
		s->errmsg = xstrdup("the stream carried no content");
	}
	finish_slot(lg, s, k);
}

/* libcurl finished s's attempt with cc. */
static void
complete_curl(struct lg *lg, struct slot *s, CURLcode cc)
{
	long		 code = 0;

	s->end = rel_ns(lg);
	curl_multi_remove_handle(lg->multi, s->easy);
	s->in_multi = 0;
	if (s->status == 0) {
		curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
		s->status = (int)code;
	}
	if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && s->stream_bad))
		complete(lg, s, cc == CURLE_OPERATION_TIMEDOUT ? LG_TIMEOUT :
		    LG_TRANSPORT, s->curl_err[0] ? s->curl_err :
		    curl_easy_strerror(cc));
	else
		complete(lg, s, LG_OK, NULL);
}

/* After completions: start what may start now, or end the loop. */
static void
after_done(struct lg *lg)
{
	if (lg->c->rate > 0)
		drain_waiting(lg);
	else
		fill_closed(lg);
	if (lg->inflight == 0 && (lg->stopping || (lg->c->rate <= 0 &&
	    lg->next_seq >= lg->total)))
		event_base_loopbreak(lg->base);
	else if (lg->c->rate > 0 && lg->inflight == 0 && lg->wq_len == 0 &&
	    lg->next_sched >= lg->nsched)
		event_base_loopbreak(lg->base);
	else if (lg->failed)
		event_base_loopbreak(lg->base);
}

static void
check_multi(struct lg *lg)
{
	CURLMsg		*m;
	struct slot	*s;
	int		 left;

	while ((m = curl_multi_info_read(lg->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
		    (char **)&s);
		complete_curl(lg, s, m->data.result);
	}
	after_done(lg);
}

/* ---- the native transport's callbacks (lgh1.h) ---- */

/*
 * The request headers every native request (of class cc, or NULL: of the
 * run) carries, as libcurl would send them from the same settings:
 * User-Agent, Content-Type and Accept unless a --header or a class header
 * sets them, then the --header lines, then the class's ("Name:" with no
 * value removes a header and sends nothing; a class line replaces a
 * --header line of the same name).
 */
static char *
native_const_headers(const struct lg_config *c, const struct lg_class_cfg *cc,
    size_t *len)
{
	struct strbuf	 sb = STRBUF_INIT;
	const char	*h, *colon, *v;
	size_t		 i, pass;
	int		 stream = cc != NULL && cc->stream >= 0 ? cc->stream :
			    c->stream;

	if (!user_sets(c, cc, "user-agent"))
		sb_adds(&sb, "User-Agent: maasctl-bench/" MAASCTL_VERSION
		    "\r\n");
	if (!user_sets(c, cc, "content-type"))
		sb_adds(&sb, "Content-Type: application/json\r\n");
	if (!user_sets(c, cc, "accept"))
		sb_adds(&sb, stream ? "Accept: text/event-stream\r\n" :
		    "Accept: application/json\r\n");
	for (pass = 0; pass < 2; pass++) {
		const char *const *lines = pass == 0 ?
		    (const char *const *)c->headers :
		    (cc != NULL ? cc->headers : NULL);

		for (i = 0; lines != NULL && lines[i] != NULL; i++) {
			h = lines[i];
			if (pass == 0 && class_replaces(cc, h))
				continue;
			if ((colon = strchr(h, ':')) == NULL)
				continue;
			for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
				;
			if (*v == '\0')
				continue;
			sb_adds(&sb, h);
			sb_adds(&sb, "\r\n");
		}
	}
	*len = sb.len;
	return sb.buf != NULL ? sb_detach(&sb) : xstrdup("");
}

static void
nat_sent(void *arg)
{
	struct slot	*s = arg;

	s->attempt_sent = rel_ns(s->lg);
	if (s->attempts == 1)
		s->sent = s->attempt_sent;
}

static void
nat_connected(void *arg)
{
	struct slot	*s = arg;

	s->lg->connections++;
}

static void
nat_header(void *arg, const char *line, size_t len, int64_t rt)
{
	struct slot	*s = arg;

	s->nrt = rt;
	slot_header(s, line, len);
}

static int
nat_body(void *arg, const char *p, size_t len, int64_t rt)
{
	struct slot	*s = arg;

	/* As on_write: the arrival time first. */
	s->rx = native_time(s->lg, rt);
	return slot_body(s, p, len);
}

/* A native read: how long its bytes waited for the loop. */
static void
nat_read(void *arg, int64_t rt, size_t n)
{
	struct slot	*s = arg;
	struct lg	*lg = s->lg;
	int64_t		 t;

	(void)n;
	if ((t = rxclock_mono(&lg->clk, rt)) >= 0)
		loop_read_late(lg, t - lg->t0, rel_ns(lg));
}

static void nat_done(void *, enum lgh1_end, const char *);

static const struct lgh1_cbs nat_cbs = {
	nat_sent, nat_connected, nat_header, nat_body, nat_done, nat_read
};

static void
nat_done(void *arg, enum lgh1_end end, const char *msg)
{
	struct slot	*s = arg;
	struct lg	*lg = s->lg;

	s->end = rel_ns(lg);
	s->in_native = 0;
	if (end == LGH1_TIMEOUT)
		complete(lg, s, LG_TIMEOUT, msg);
	else if (end == LGH1_TRANSPORT)
		complete(lg, s, LG_TRANSPORT, msg);
	else
		complete(lg, s, LG_OK, NULL);
	after_done(lg);
}

static void
do_tick(struct lg *lg, int last)
{
	struct lg_tick	 t;
	int64_t		 now = rel_ns(lg);
	size_t		 i;

	if (lg->c->tick == NULL)
		return;
	memset(&t, 0, sizeof t);
	t.elapsed = (double)now / 1e9;
	t.dispatched = lg->dispatched;
	t.done = lg->done;
	t.inflight = lg->inflight;
	t.waiting = (long)lg->wq_len;
	t.tokens = lg->tokens;
	t.chunks = lg->chunks;
	t.cls = lg->ccount;
	t.ncls = lg->ccount != NULL ? lg->c->ncls : 0;
	t.last = last;
	if (lg->c->rate > 0) {
		for (i = lg->next_sched; i < lg->nsched && lg->sched[i] <= now;
		    i++)
			;
		t.scheduled = i;
	}
	lg->c->tick(lg->c->arg, &t);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct lg	*lg = arg;
	struct slot	*s;
	size_t		 i;

	(void)fd;
	if (what != 0) {
		/* A persistent timer: libevent re-arms it a second after
		 * its last deadline, or after now when that has passed. */
		int64_t	 now = rel_ns(lg);

		loop_timer_late(lg, lg->tick_due, now);
		lg->tick_due += 1000000000LL;
		if (lg->tick_due < now)
			lg->tick_due = now + 1000000000LL;
	}
	if (lg_stop_flag && !lg->stopping) {
		/* Interrupted: stop sending, cut what is in flight. */
		lg->stopping = 1;
		evtimer_del(lg->sched_timer);
		lg->dropped += lg->wq_len;
		lg->wq_len = 0;
	}
	if (lg_stop_flag) {
		for (i = 0; i < lg->nslots; i++) {
			s = lg->all_slots[i];
			if (s->in_multi || s->in_native) {
				if (s->in_multi)
					curl_multi_remove_handle(lg->multi,
					    s->easy);
				else
					lgh1_cancel(lg->h1, &s->nr);
				s->in_multi = s->in_native = 0;
				s->end = rel_ns(lg);
				if (s->errmsg == NULL)
					s->errmsg = xstrdup("interrupted");
				finish_slot(lg, s, LG_TRANSPORT);
			} else if (evtimer_pending(s->retry_ev, NULL)) {
				evtimer_del(s->retry_ev);
				s->end = rel_ns(lg);
				finish_slot(lg, s, LG_RATE_LIMITED);
			}
		}
		event_base_loopbreak(lg->base);
		return;
	}
	if (!lg->stopping && duration_over(lg)) {
		lg->stopping = 1;
		lg->dropped += lg->wq_len;
		lg->wq_len = 0;
		if (lg->inflight == 0)
			event_base_loopbreak(lg->base);
	}
	rxclock_read(&lg->clk);
	do_tick(lg, 0);
}

static void
on_stop_poll(evutil_socket_t fd, short what, void *arg)
{
	struct lg	*lg = arg;

	(void)fd;
	(void)what;
	if (lg_stop_flag)
		on_tick(-1, 0, lg);
}

int
lg_run(const struct lg_config *c, struct lg_summary *sum, struct err *e)
{
	struct lg		 lg;
	struct event_config	*ec;
	struct timeval		 one = { 1, 0 }, poll = { 0, 100000 };
	struct rusage		 ru0, ru1;
	size_t			 i, n = 0;
	int			 rc = -1;

	memset(&lg, 0, sizeof lg);
	memset(sum, 0, sizeof *sum);
	lg.timer_lag = hist_new(10);
	lg.read_lag = hist_new(10);
	lg.c = c;
	lg.e = e;
	lg.rng = c->seed ^ 0x5bd1e995ULL;
	lg.first_measured = -1;
	lg.rx_fd = CURL_SOCKET_BAD;
	lg.rx_at = -1;
	lg_stop_flag = 0;
	if ((ec = event_config_new()) == NULL)
		return err_set(e, EXIT_ERR, "bench: cannot set up libevent");
	event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
	lg.base = event_base_new_with_config(ec);
	event_config_free(ec);
	if (lg.base == NULL)
		return err_set(e, EXIT_ERR, "bench: cannot set up libevent");
	lg.curl_timer = evtimer_new(lg.base, on_curl_timer, &lg);
	lg.sched_timer = evtimer_new(lg.base, on_sched, &lg);
	lg.tick_timer = event_new(lg.base, -1, EV_PERSIST, on_tick, &lg);
	lg.stop_timer = event_new(lg.base, -1, EV_PERSIST, on_stop_poll, &lg);
	lg.step_timer = evtimer_new(lg.base, on_step, &lg);
	lg.conc = c->concurrency;
	lg.maxconn = c->rate > 0 ? c->max_inflight : c->concurrency;
	/* Each transport keeps a receive buffer per request (libcurl: per
	 * handle; native: per connection): 16 KiB each while they take at
	 * most 32 MiB together, then smaller (a power of two, at least
	 * 2 KiB: still several SSE events per read), so that 10,000 streams
	 * fit in well under 200 MiB. */
	for (lg.bufsize = 16384; lg.bufsize > 2048 &&
	    lg.bufsize * lg.maxconn > 32L * 1024 * 1024; lg.bufsize /= 2)
		;
	if (c->transport == LG_TRANSPORT_NATIVE && c->http2) {
		err_set(e, EXIT_USAGE, "bench: --transport native speaks "
		    "HTTP/1.1 only: drop --http2 or use --transport curl");
		goto out;
	}
	if (c->transport == LG_TRANSPORT_NATIVE && !url_native(&lg, c->url)) {
		err_set(e, EXIT_USAGE, "bench: --transport native needs a plain "
		    "http:// URL without a proxy, not %s", c->url);
		goto out;
	}
	lg.h1 = lgh1_new(lg.base, &nat_cbs, c->connect_timeout, c->timeout,
	    (size_t)lg.bufsize, (size_t)lg.maxconn);
	lg.h1_hdrs = native_const_headers(c, NULL, &lg.h1_hdrs_len);
	if (c->ncls > 1)
		lg.ccount = xcalloc(c->ncls, sizeof *lg.ccount);
	if (c->cls != NULL) {
		lg.h1_chdrs = xcalloc(c->ncls, sizeof *lg.h1_chdrs);
		lg.h1_chdrs_len = xcalloc(c->ncls, sizeof *lg.h1_chdrs_len);
		lg.cls_key_next = xcalloc(c->ncls, sizeof *lg.cls_key_next);
		for (i = 0; i < c->ncls; i++)
			if (c->cls[i].nkeys > 0 || c->cls[i].headers !=
			    NULL || c->cls[i].stream >= 0)
				lg.h1_chdrs[i] = native_const_headers(c,
				    &c->cls[i], &lg.h1_chdrs_len[i]);
	}
	lg.total = c->requests > 0 ? (uint64_t)c->requests +
	    (uint64_t)c->warmup : UINT64_MAX;
	if (c->worker_count > 1 && lg.total != UINT64_MAX)
		lg.total = (lg.total - (uint64_t)c->worker_index +
		    (uint64_t)c->worker_count - 1) / (uint64_t)c->worker_count;
	if (c->rate > 0 && c->schedule != NULL) {
		/* The caller's deadlines (stages, a trace). */
		n = c->nschedule;
		if (c->requests > 0 && (size_t)(c->requests + c->warmup) < n)
			n = (size_t)(c->requests + c->warmup);
		lg.sched = xcalloc(n ? n : 1, sizeof *lg.sched);
		memcpy(lg.sched, c->schedule, n * sizeof *lg.sched);
		lg.nsched = n;
	} else if (c->rate > 0) {
		if (c->requests > 0)
			n = (size_t)(c->requests + c->warmup);
		else
			n = (size_t)ceil(c->rate * c->duration) +
			    (size_t)c->warmup;
		lg.sched = lg_schedule(c->arrival, c->rate, c->burstiness,
		    c->seed, n);
		lg.nsched = n;
	}
	if (c->rate > 0) {
		if (c->worker_count > 1) {
			/* This worker's share of the one global schedule. */
			for (i = 0; gseq(&lg, i) < n; i++)
				lg.sched[i] = lg.sched[gseq(&lg, i)];
			lg.nsched = i;
		}
	}
	if (c->start_at > 0) {
		struct timespec	 ts;

		ts.tv_sec = (time_t)c->start_at;
		ts.tv_nsec = (long)((c->start_at - (double)ts.tv_sec) * 1e9);
		while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts,
		    NULL) == EINTR && !lg_stop_flag)
			;
	}
	/* This thread only: an in-process server is not the client. */
	getrusage(RUSAGE_THREAD, &ru0);
	lg.t0 = clock_mono_ns();
	rxclock_read(&lg.clk);
	lg.tick_due = rel_ns(&lg) + 1000000000LL;
	evtimer_add(lg.tick_timer, &one);
	evtimer_add(lg.stop_timer, &poll);
	if (c->rate > 0)
		on_sched(-1, 0, &lg);
	else if (c->nsteps > 0)
		on_step(-1, 0, &lg);
	else
		fill_closed(&lg);
	if (!lg.failed && (lg.inflight > 0 || lg.wq_len > 0 ||
	    lg.next_sched < lg.nsched || lg.next_step < c->nsteps))
		event_base_dispatch(lg.base);
	do_tick(&lg, 1);
	getrusage(RUSAGE_THREAD, &ru1);
	sum->start_ns = lg.t0;
	sum->wall = (double)rel_ns(&lg) / 1e9;
	sum->cpu_user = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
	    (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6;
	sum->cpu_sys = (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
	    (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
	getrusage(RUSAGE_SELF, &ru0);
	sum->max_rss_kib = ru0.ru_maxrss;
	sum->dispatched = lg.dispatched;
	sum->done = lg.done;
	sum->waited = lg.waited;
	sum->dropped = lg.dropped;
	sum->scheduled = lg.next_sched;
	sum->schedule_span = lg.nsched > 0 && lg.next_sched > 0 ?
	    (double)lg.sched[lg.next_sched - 1] / 1e9 : 0;
	sum->last_dispatch = lg.last_dispatch;
	sum->first_measured = lg.first_measured < 0 ? 0 : lg.first_measured;
	sum->peak_inflight = lg.peak;
	sum->connections = lg.connections;
	sum->rx_kernel = lg.rx_kernel;
	sum->rx_user = lg.rx_user;
	sum->interrupted = lg_stop_flag != 0;
	sum->native_attempts = lg.native_attempts;
	sum->curl_attempts = lg.curl_attempts;
	sum->loop_timer_lag = lg.timer_lag;
	sum->loop_read_lag = lg.read_lag;
	lg.timer_lag = lg.read_lag = NULL;
	sum->bytes_parsed = lg.bytes_parsed;
	rc = lg.failed ? -1 : 0;
out:
	for (i = 0; i < lg.nslots; i++) {
		if (lg.all_slots[i]->in_multi)
			curl_multi_remove_handle(lg.multi,
			    lg.all_slots[i]->easy);
		if (lg.all_slots[i]->in_native)
			lgh1_cancel(lg.h1, &lg.all_slots[i]->nr);
		slot_destroy(lg.all_slots[i]);
	}
	free(lg.all_slots);
	lgh1_free(lg.h1);
	free(lg.h1_hdrs);
	for (i = 0; lg.h1_chdrs != NULL && i < c->ncls; i++)
		if (lg.h1_chdrs[i] != NULL) {
			explicit_bzero(lg.h1_chdrs[i], lg.h1_chdrs_len[i]);
			free(lg.h1_chdrs[i]);
		}
	free(lg.h1_chdrs);
	free(lg.h1_chdrs_len);
	free(lg.cls_key_next);
	free(lg.ccount);
	/* Closes the pooled connections (on_socket_close needs the table). */
	if (lg.multi != NULL)
		curl_multi_cleanup(lg.multi);
	for (i = 0; i < lg.nsocks; i++) {
		if (lg.socks[i] == NULL)
			continue;
		if (lg.socks[i]->ev != NULL)
			event_free(lg.socks[i]->ev);
		free(lg.socks[i]);
	}
	free(lg.socks);
	if (lg.curl_timer != NULL)
		event_free(lg.curl_timer);
	if (lg.sched_timer != NULL)
		event_free(lg.sched_timer);
	if (lg.tick_timer != NULL)
		event_free(lg.tick_timer);
	if (lg.stop_timer != NULL)
		event_free(lg.stop_timer);
	if (lg.step_timer != NULL)
		event_free(lg.step_timer);
	event_base_free(lg.base);
	free(lg.sched);
	free(lg.waitq);
	hist_free(lg.timer_lag);
	hist_free(lg.read_lag);
	return rc;
}

void
lg_summary_free(struct lg_summary *sum)
{
	hist_free(sum->loop_timer_lag);
	hist_free(sum->loop_read_lag);
	sum->loop_timer_lag = sum->loop_read_lag = NULL;
}
