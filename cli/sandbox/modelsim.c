/*
 * modelsim.c: the OpenAI-compatible model simulator -- request parsing,
 * answers in vLLM's wire format, slots and waiting queues, timers.
 *
 * Every accepted request becomes a `struct msim_req`.  A request waits in
 * its model's FIFO queue until one of the model's max-num-seqs slots is
 * free, then its tokens become due at absolute deadlines: first at
 * admission + header-delay + TTFT, then each at the previous deadline +
 * ITL (modelsim_profile.c), so a late wake-up never pushes later tokens
 * back.  The deadlines of all requests live in one binary min-heap under
 * one libevent timer: a wake-up sends every token that is due, in
 * deadline order, and yields to the event loop after a bounded batch so
 * that new connections are read while thousands of streams are running.
 *
 * Busy-poll (precision mode): a sleeping loop wakes up late by the
 * machine's wake-up latency (scheduler, timer interrupt, hypervisor: on a
 * VM up to ~2 ms at p99), for timers and for new requests alike.  While a
 * model with the busy-poll setting exists, the tick is armed with a zero
 * timeout instead -- always (true), or from that margin before the
 * earliest deadline -- so the loop turns without sleeping (epoll_wait with
 * a zero timeout, the clock read every turn) and every deadline and
 * request is seen within one turn, at the cost of a busy core.
 *
 * Streams are evhttp chunked replies:
 * the status line, the role chunk and the first token leave together
 * (llm-d-inference-sim peeks the first token before committing to 200, so
 * a client's time to first byte is the TTFT), then one token per SSE
 * chunk; the last token's chunk carries finish_reason, then an optional
 * usage chunk and "data: [DONE]".  Non-streamed answers run the same
 * schedule and are sent whole when the last token is due.
 *
 * Prompt tokens: a completions prompt counts its tokens (modelsim_text.c);
 * a chat counts, per message, its content's tokens plus 4 for the role and
 * the chat template's delimiters, plus 2 for the assistant's turn.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>

#include <math.h>
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

#include "clock.h"
#include "hist.h"
#include "json.h"
#include "xalloc.h"

#include "sandbox/chunked.h"
#include "sandbox/modelsim.h"
#include "sandbox/modelsim_int.h"
#include "sandbox/modelsim_tokenize.h"
#include "sandbox/modelsim_tools.h"

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

/* A configuration shared by a model and its requests in flight. */
struct msim_cfgref {
	int			 refs;
	struct msim_config	 c;
};

struct msim_req;
TAILQ_HEAD(msim_reqq, msim_req);

/* An entry of the deadline heap: the key beside the request, so sifting
 * touches only the heap's own array. */
struct msim_slot {
	double			 deadline;
	struct msim_req		*r;
};

struct msim_model {
	TAILQ_ENTRY(msim_model)	 entry;
	char			*name;
	struct msim_cfgref	*cfg;
	int			 running;	/* requests holding a slot */
	int			 nwaiting;
	struct msim_reqq	 waiting;	/* FIFO of queued requests */
	long			 seen;		/* requests, for rate-limit-first */
	struct msim_cache	*cache;		/* prefix cache, or NULL */
};

struct modelsim {
	struct event_base	*base;
	TAILQ_HEAD(, msim_model) models;
	struct msim_reqq	 all;		/* every request in flight */
	struct msim_rng		 rng;		/* ids, failures, jitter seeds */
	struct modelsim_stats	 stats;
	time_t			 created;
	struct strbuf		 sb;		/* chunk scratch */
	struct evbuffer		*out;		/* chunk scratch */
	int			 last_status;	/* of the last error sent */
	struct hist		*late;		/* token timer lateness, ns */
	struct msim_slot	*heap;		/* deadline min-heap */
	size_t			 nheap, heapcap;
	struct event		*tick;		/* fires at the heap's top */
	double			 armed;		/* deadline tick is set for */
	double			 poll;		/* busy-poll margin, s: 0 off,
						   HUGE_VAL always */
	struct msim_arrivals	*arr;		/* kernel receive times, or NULL */
	struct hist		*intake;	/* arrival to handler, ns */
	struct msim_ring	*ring;		/* batched sends, or NULL */
	int			 in_tick;	/* in on_tick: sends may batch */
};

enum msim_state { RQ_WAITING, RQ_HEADERS, RQ_TOKENS, RQ_DROPPING };

struct msim_req {
	TAILQ_ENTRY(msim_req)	 all;
	TAILQ_ENTRY(msim_req)	 q;
	struct modelsim		*ms;
	struct msim_model	*model;
	struct msim_cfgref	*cfg;
	struct evhttp_request	*req;
	struct evhttp_connection *conn;
	size_t			 hidx;		/* heap index, or NOT_QUEUED */
	struct event		*timer;		/* deferred drop, or NULL */
	struct event		*watch;		/* notices a client hang-up */
	evutil_socket_t		 fd;		/* the connection's socket */
	struct evbuffer		*sockout;	/* its bufferevent's output */
	int			 chunked;	/* chunked transfer encoding */
	int			 plain;		/* no TLS: direct writes allowed */
	enum msim_state		 state;
	int			 chat;		/* chat.completions, else completions */
	int			 stream;
	int			 include_usage;
	int			 continuous_usage;
	int			 headers_sent;
	char			 id[48];
	char			*prefix;	/* "data: {...,\"choices\":[" */
	char			*head[2];	/* prefix + a content / reasoning
						   delta up to its opening quote */
	size_t			 headlen[2];
	char			*etext[2];	/* content / reasoning, escaped */
	struct msim_piece	*epieces[2];	/* their tokens in etext */
	time_t			 created;
	int			 prompt_tokens;
	int			 cached_tokens;	/* of them from the prefix cache */
	char			*reasoning;	/* reasoning text, or NULL */
	struct msim_piece	*rpieces;
	size_t			 nr;
	char			*text;		/* content text */
	struct msim_piece	*pieces;
	size_t			 n;
	struct msim_tools	*tools;		/* tool calls answering instead
						   of text, or NULL */
	size_t			 sent;		/* chunks due so far, of steps() */
	const char		*finish;	/* "stop" or "length" */
	char			*stop_reason;	/* the stop string matched */
	long			 drop_at;	/* drop after this many; -1 never */
	double			 deadline;	/* monotonic seconds of next step */
	double			 first_at;	/* when the first token is due */
	double			 arrived;	/* when it came, or got a slot */
	struct msim_rng		 rng;		/* latency jitter */
	modelsim_done_fn	 done;		/* told how the request ended */
	void			*done_arg;
	int			 done_status;	/* status sent, 0 none */
	long			 done_tokens;	/* usage.total_tokens sent, -1 */
	char			*tx;		/* chunk in the send ring */
	size_t			 txlen, txcap;
	int			 txpending;	/* tx queued, not yet flushed */
};

#define NOT_QUEUED	((size_t)-1)
/* Tokens sent in one wake-up before the loop reads new requests; when
 * busy-polling, fewer, so that a request arriving during a burst of due
 * tokens waits a shorter turn (a turn costs one epoll_wait, ~3 us). */
#define TICK_BATCH	256
#define POLL_BATCH	32

static void	req_step(struct msim_req *);
static void	ring_flush(struct modelsim *);

static void
heap_set(struct modelsim *ms, size_t i, struct msim_slot v)
{
	ms->heap[i] = v;
	v.r->hidx = i;
}

static void
heap_up(struct modelsim *ms, size_t i)
{
	struct msim_slot v = ms->heap[i];
	size_t parent;

	while (i > 0) {
		parent = (i - 1) / 2;
		if (ms->heap[parent].deadline <= v.deadline)
			break;
		heap_set(ms, i, ms->heap[parent]);
		i = parent;
	}
	heap_set(ms, i, v);
}

static void
heap_down(struct modelsim *ms, size_t i)
{
	struct msim_slot v = ms->heap[i];
	size_t child;

	for (;;) {
		child = 2 * i + 1;
		if (child >= ms->nheap)
			break;
		if (child + 1 < ms->nheap &&
		    ms->heap[child + 1].deadline < ms->heap[child].deadline)
			child++;
		if (v.deadline <= ms->heap[child].deadline)
			break;
		heap_set(ms, i, ms->heap[child]);
		i = child;
	}
	heap_set(ms, i, v);
}

/* Take r off the deadline heap, if it is on it. */
static void
unschedule(struct msim_req *r)
{
	struct modelsim *ms = r->ms;
	struct msim_slot last;
	size_t i = r->hidx;

	if (i == NOT_QUEUED)
		return;
	r->hidx = NOT_QUEUED;
	last = ms->heap[--ms->nheap];
	if (i == ms->nheap)
		return;
	heap_set(ms, i, last);
	heap_up(ms, i);
	heap_down(ms, last.r->hidx);
}

/*
 * Set the tick timer for the heap's earliest deadline, if it moved up; when
 * busy-polling, for the deadline less the margin (a time already past
 * means a zero timeout: the loop polls and the tick comes back next turn).
 */
static void
tick_arm(struct modelsim *ms)
{
	struct timeval tv;
	double at, d, now;

	if (ms->poll == HUGE_VAL)
		at = -HUGE_VAL;
	else if (ms->nheap == 0)
		return;
	else
		at = ms->heap[0].deadline - ms->poll;
	if (at >= ms->armed)
		return;
	ms->armed = at;
	now = clock_mono_s();
	d = at - now;
	if (d <= 0) {
		d = 0;
		if (ms->poll > 0 && (ms->nheap == 0 ||
		    ms->heap[0].deadline > now))
			ms->stats.polls++;
	}
	tv.tv_sec = (time_t)d;
	tv.tv_usec = (suseconds_t)((d - (double)tv.tv_sec) * 1e6);
	evtimer_add(ms->tick, &tv);
}

/* The loop polls for the largest busy-poll setting of the models. */
static void
poll_update(struct modelsim *ms)
{
	struct msim_model *m;
	double p = 0;

	TAILQ_FOREACH(m, &ms->models, entry)
		if (m->cfg->c.busy_poll > p)
			p = m->cfg->c.busy_poll;
	ms->poll = p;
	tick_arm(ms);
}

/* Make r's next step due at `when` (monotonic seconds). */
static void
schedule_at(struct msim_req *r, double when)
{
	struct modelsim *ms = r->ms;

	unschedule(r);
	r->deadline = when;
	if (ms->nheap == ms->heapcap) {
		ms->heapcap = ms->heapcap ? 2 * ms->heapcap : 256;
		ms->heap = xrealloc(ms->heap, ms->heapcap * sizeof(*ms->heap));
	}
	heap_set(ms, ms->nheap++, (struct msim_slot){ when, r });
	heap_up(ms, r->hidx);
	tick_arm(ms);
}

/*
 * The tick: step every request whose deadline has come, earliest first.
 * After TICK_BATCH (POLL_BATCH when polling) of them the loop gets a turn
 * (to accept and read new requests) and the tick comes straight back for
 * the rest.
 */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct modelsim *ms = arg;
	struct timeval zero = { 0, 0 };
	struct msim_req *r;
	double now;
	int n = 0, batch = ms->poll > 0 ? POLL_BATCH : TICK_BATCH;

	(void)fd;
	(void)what;
	ms->armed = HUGE_VAL;
	ms->in_tick = 1;
	now = clock_mono_s();
	while (ms->nheap > 0 && ms->heap[0].deadline <= now) {
		if (n++ == batch) {
			ms->armed = -HUGE_VAL;
			evtimer_add(ms->tick, &zero);
			break;
		}
		r = ms->heap[0].r;
		unschedule(r);
		req_step(r);
		if ((n & 31) == 0)
			now = clock_mono_s();
	}
	/* The batched token writes leave before the loop turns. */
	ring_flush(ms);
	ms->in_tick = 0;
	if (ms->armed != -HUGE_VAL)
		tick_arm(ms);
}

static void
json_escape(struct strbuf *sb, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		switch (c) {
		case '"':  sb_add(sb, "\\\"", 2); break;
		case '\\': sb_add(sb, "\\\\", 2); break;
		case '\n': sb_add(sb, "\\n", 2); break;
		case '\r': sb_add(sb, "\\r", 2); break;
		case '\t': sb_add(sb, "\\t", 2); break;
		default:
			if (c < 0x20) {
				sb_add(sb, "\\u00", 4);
				sb_addc(sb, hex[c >> 4]);
				sb_addc(sb, hex[c & 15]);
			} else
				sb_addc(sb, c);
		}
	}
}

static const char *
error_type(int status)
{
	switch (status) {
	case 400: return "BadRequestError";
	case 401: return "AuthenticationError";
	case 403: return "PermissionDeniedError";
	case 404: return "NotFoundError";
	case 405: return "MethodNotAllowedError";
	case 422: return "UnprocessableEntityError";
	case 429: return "RateLimitError";
	default: return status >= 500 ? "InternalServerError" : "BadRequestError";
	}
}

static const char *
reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return status >= 500 ? "Server Error" : "Error";
	}
}

static char *
error_json(int status, const char *param, const char *msg)
{
	cJSON *o, *er;
	char *s;

	o = cJSON_CreateObject();
	er = cJSON_AddObjectToObject(o, "error");
	cJSON_AddStringToObject(er, "message", msg);
	cJSON_AddStringToObject(er, "type", error_type(status));
	if (param != NULL)
		cJSON_AddStringToObject(er, "param", param);
	else
		cJSON_AddNullToObject(er, "param");
	cJSON_AddNumberToObject(er, "code", status);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static void
send_json(struct evhttp_request *req, int status, const char *body)
{
	struct evbuffer *b;

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	b = evbuffer_new();
	evbuffer_add(b, body, strlen(body));
	evhttp_send_reply(req, status, reason_phrase(status), b);
	evbuffer_free(b);
}

static void __attribute__((format(printf, 5, 6)))
send_error(struct modelsim *ms, struct evhttp_request *req, int status,
    const char *param, const char *fmt, ...)
{
	va_list ap;
	char *msg, *body;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	body = error_json(status, param, msg);
	send_json(req, status, body);
	free(body);
	free(msg);
	ms->stats.failed++;
	ms->last_status = status;
}

static void
send_429(struct modelsim *ms, struct evhttp_request *req,
    const struct msim_config *c, const char *msg)
{
	char ra[32];

	snprintf(ra, sizeof(ra), "%.0f", ceil(c->retry_after));
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Retry-After", ra);
	send_error(ms, req, 429, NULL, "%s", msg);
}

static struct msim_model *
find_model(struct modelsim *ms, const char *name)
{
	struct msim_model *m;

	TAILQ_FOREACH(m, &ms->models, entry)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

static void
cfg_unref(struct msim_cfgref *cr)
{
	if (cr != NULL && --cr->refs == 0) {
		msim_config_free(&cr->c);
		free(cr);
	}
}

/* Create a simulator with no models on base. */
struct modelsim *
modelsim_new(struct event_base *base, struct err *e)
{
	struct modelsim *ms;
	uint64_t seed;
	FILE *f;

	if (base == NULL) {
		err_set(e, EXIT_ERR, "model simulator: no event loop");
		return NULL;
	}
	ms = xcalloc(1, sizeof(*ms));
	ms->base = base;
	TAILQ_INIT(&ms->models);
	TAILQ_INIT(&ms->all);
	seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if ((f = fopen("/dev/urandom", "rb")) != NULL) {
		if (fread(&seed, sizeof(seed), 1, f) != 1)
			seed ^= (uint64_t)clock();
		fclose(f);
	}
	msim_rng_seed(&ms->rng, seed);
	ms->created = time(NULL);
	sb_init(&ms->sb);
	ms->late = hist_new(7);
	ms->intake = hist_new(7);
	ms->armed = HUGE_VAL;
	/* Token writes batch through io_uring where the kernel lets us. */
	ms->ring = msim_ring_new();
	if ((ms->out = evbuffer_new()) == NULL ||
	    (ms->tick = evtimer_new(base, on_tick, ms)) == NULL) {
		if (ms->out != NULL)
			evbuffer_free(ms->out);
		hist_free(ms->late);
		hist_free(ms->intake);
		msim_ring_free(ms->ring);
		sb_free(&ms->sb);
		free(ms);
		err_set(e, EXIT_ERR, "model simulator: out of memory");
		return NULL;
	}
	return ms;
}

/* Add or replace the model `name` with the settings in config. */
int
modelsim_set_model(struct modelsim *ms, const char *name,
    const cJSON *config, struct err *e)
{
	struct msim_cfgref *cr;
	struct msim_model *m;

	if (name == NULL || *name == '\0')
		return err_set(e, EXIT_USAGE, "model simulator: a model needs "
		    "a name");
	cr = xcalloc(1, sizeof(*cr));
	cr->refs = 1;
	msim_config_init(&cr->c);
	if (msim_config_apply(&cr->c, config, e) == -1) {
		err_wrap(e, "model simulator: model %s", name);
		cfg_unref(cr);
		return -1;
	}
	if ((m = find_model(ms, name)) != NULL) {
		cfg_unref(m->cfg);
		m->cfg = cr;
		poll_update(ms);
		return 0;
	}
	m = xcalloc(1, sizeof(*m));
	m->name = xstrdup(name);
	m->cfg = cr;
	TAILQ_INIT(&m->waiting);
	TAILQ_INSERT_TAIL(&ms->models, m, entry);
	poll_update(ms);
	return 0;
}

/* Check one model setting the way modelsim_set_model() would. */
int
modelsim_check_setting(const char *key, const char *value, struct err *e)
{
	struct msim_config c;
	cJSON *o;
	int r;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, key, value);
	msim_config_init(&c);
	r = msim_config_apply(&c, o, e);
	msim_config_free(&c);
	cJSON_Delete(o);
	return r;
}

static void
req_free(struct msim_req *r)
{
	struct modelsim *ms = r->ms;

	if (r->txpending)
		ring_flush(ms);
	TAILQ_REMOVE(&ms->all, r, all);
	unschedule(r);
	if (r->timer != NULL)
		event_free(r->timer);
	if (r->watch != NULL)
		event_free(r->watch);
	cfg_unref(r->cfg);
	free(r->prefix);
	free(r->head[0]);
	free(r->head[1]);
	free(r->etext[0]);
	free(r->etext[1]);
	free(r->epieces[0]);
	free(r->epieces[1]);
	free(r->reasoning);
	free(r->rpieces);
	free(r->text);
	free(r->pieces);
	free(r->stop_reason);
	msim_tools_free(r->tools);
	free(r->tx);
	free(r);
}

/* Token chunks of the answer: reasoning, text, then tool-call chunks. */
static size_t
steps(const struct msim_req *r)
{
	return r->nr + r->n + msim_tools_chunks(r->tools);
}

/* Completion tokens carried by the first k chunks. */
static size_t
completion_of(const struct msim_req *r, size_t k)
{
	if (r->tools == NULL || k < r->nr + r->n)
		return k;
	return r->nr + r->n + msim_tools_tokens(r->tools, k - r->nr - r->n);
}

static void admit(struct msim_req *);

/* Give up r's slot or queue place, admit the next waiting request. */
static void
req_release(struct msim_req *r)
{
	struct msim_model *m = r->model;
	struct msim_req *next;
	double now;

	if (r->state == RQ_WAITING) {
		TAILQ_REMOVE(&m->waiting, r, q);
		m->nwaiting--;
		r->ms->stats.waiting--;
		return;
	}
	m->running--;
	r->ms->stats.running--;
	while (m->running < m->cfg->c.max_num_seqs &&
	    (next = TAILQ_FIRST(&m->waiting)) != NULL) {
		TAILQ_REMOVE(&m->waiting, next, q);
		m->nwaiting--;
		r->ms->stats.waiting--;
		/* Its TTFT counts from the moment it got a slot. */
		now = clock_mono_s();
		r->ms->stats.queue_time += now - next->arrived;
		next->arrived = now;
		admit(next);
	}
}

/* The request is over: release, detach from the connection, free. */
static void
req_done(struct msim_req *r)
{
	if (r->txpending)
		ring_flush(r->ms);
	unschedule(r);
	if (r->timer != NULL)
		evtimer_del(r->timer);
	if (r->watch != NULL)
		event_del(r->watch);
	req_release(r);
	if (r->conn != NULL)
		evhttp_connection_set_closecb(r->conn, NULL, NULL);
	if (r->done != NULL)
		r->done(r->done_arg, r->done_status, r->done_tokens);
	req_free(r);
}

static void
on_close(struct evhttp_connection *conn, void *arg)
{
	struct msim_req *r = arg;
	struct evhttp_request *req = r->req;

	(void)conn;
	r->ms->stats.cancelled++;
	r->conn = NULL;
	req_done(r);
	/*
	 * After a network error libevent detaches a request its user has
	 * not finished (evhttp_connection_incoming_fail) and leaves it to
	 * the user to free; otherwise the connection frees it.
	 */
	if (evhttp_request_get_connection(req) == NULL)
		evhttp_request_free(req);
}

/*
 * libevent reads nothing from a connection while its request is being
 * answered, so a client that hangs up would only be noticed at the next
 * write (never, for a queued request).  Peek at the socket to notice it at
 * once and give the slot or queue place back.
 */
static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct msim_req *r = arg;
	struct evhttp_connection *conn = r->conn;
	char c;
	ssize_t n;

	(void)what;
	n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n > 0 || (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))) {
		/* A pipelined request, or nothing: stop watching. */
		if (n > 0)
			event_del(r->watch);
		return;
	}
	r->ms->stats.cancelled++;
	r->conn = NULL;
	if (conn != NULL)
		evhttp_connection_set_closecb(conn, NULL, NULL);
	req_done(r);
	if (conn != NULL)
		evhttp_connection_free(conn);
}

static void
watch_start(struct msim_req *r)
{
	struct bufferevent *bev;
	evutil_socket_t fd;
	int one = 1;

	if ((bev = evhttp_connection_get_bufferevent(r->conn)) == NULL ||
	    (fd = bufferevent_getfd(bev)) < 0)
		return;
	/* One token per write: do not let Nagle hold tokens back. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Direct writes only on plain sockets: on HTTPS (the sandbox
	 * gateway's default) bytes must go through OpenSSL. */
	r->plain = bufferevent_openssl_get_ssl(bev) == NULL;
	r->fd = fd;
	r->sockout = bufferevent_get_output(bev);
	r->watch = event_new(r->ms->base, fd, EV_READ | EV_PERSIST,
	    on_readable, r);
	if (r->watch != NULL)
		event_add(r->watch, NULL);
}

/*
 * When the request being handled arrived, as the event loop saw it: the
 * time the loop woke up (libevent caches it for the callbacks of one turn;
 * with EVENT_BASE_FLAG_PRECISE_TIMER to the microsecond) rather than now.
 * Connections that became readable together are read one after the
 * other, and the time spent reading and parsing those ahead of a request
 * is the server's, not part of the configured TTFT.
 */
static double
arrival_time(struct modelsim *ms)
{
	struct timeval cached, wall;
	double now = clock_mono_s(), lag;

	if (event_base_gettimeofday_cached(ms->base, &cached) == -1 ||
	    gettimeofday(&wall, NULL) == -1)
		return now;
	lag = (double)(wall.tv_sec - cached.tv_sec) +
	    (double)(wall.tv_usec - cached.tv_usec) / 1e6;
	/* A turn takes milliseconds; anything else is a clock step. */
	if (lag > 0 && lag < 1.0)
		now -= lag;
	return now;
}

static void
admit(struct msim_req *r)
{
	struct msim_model *m = r->model;
	const struct msim_config *c = &r->cfg->c;
	double t0;

	m->running++;
	r->ms->stats.running++;
	r->ms->stats.admitted++;
	r->ms->stats.prompt_tokens += (unsigned long)r->prompt_tokens;
	t0 = r->arrived;
	r->first_at = t0 + c->header_delay +
	    msim_ttft(c, &r->rng, r->prompt_tokens - r->cached_tokens,
	    m->running);
	if (c->header_delay > 0 && r->stream) {
		r->state = RQ_HEADERS;
		schedule_at(r, t0 + c->header_delay);
	} else {
		r->state = RQ_TOKENS;
		schedule_at(r, r->first_at);
	}
}

static void
add_usage(struct strbuf *sb, const struct msim_req *r, size_t completion)
{
	sb_addf(sb, "\"usage\":{\"prompt_tokens\":%d,\"total_tokens\":%zu,"
	    "\"completion_tokens\":%zu", r->prompt_tokens,
	    (size_t)r->prompt_tokens + completion, completion);
	if (r->cfg->c.kv_cache)
		sb_addf(sb, ",\"prompt_tokens_details\":{\"cached_tokens\":"
		    "%d}", r->cached_tokens);
	sb_addc(sb, '}');
}

static void
send_chunk(struct msim_req *r, int drop_after_write);

static void
start_stream(struct msim_req *r)
{
	struct evkeyvalq *h;

	if (r->headers_sent)
		return;
	h = evhttp_request_get_output_headers(r->req);
	evhttp_add_header(h, "Content-Type",
	    "text/event-stream; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-cache");
	evhttp_send_reply_start(r->req, 200, "OK");
	r->headers_sent = 1;
	r->done_status = 200;
	r->chunked = evhttp_find_header(h, "Transfer-Encoding") != NULL;
	if (r->chat) {
		/* The role-only chunk comes first, as vLLM sends it. */
		sb_reset(&r->ms->sb);
		sb_adds(&r->ms->sb, r->prefix);
		sb_adds(&r->ms->sb, "{\"index\":0,\"delta\":{\"role\":"
		    "\"assistant\",\"content\":\"\"},\"logprobs\":null,"
		    "\"finish_reason\":null}]");
		if (r->continuous_usage) {
			sb_addc(&r->ms->sb, ',');
			add_usage(&r->ms->sb, r, 0);
		}
		sb_adds(&r->ms->sb, "}\n\n");
		send_chunk(r, 0);
	}
}

static void
drop_now(evutil_socket_t fd, short what, void *arg)
{
	struct msim_req *r = arg;
	struct evhttp_connection *conn = r->conn;

	(void)fd;
	(void)what;
	r->ms->stats.failed++;
	req_done(r);
	if (conn != NULL)
		evhttp_connection_free(conn);
}

static void
on_written(struct evhttp_connection *conn, void *arg)
{
	struct msim_req *r = arg;
	struct bufferevent *bev;
	struct timeval tv = { 0, 0 };

	/* A write callback queued before this chunk (bufferevent_openssl
	 * defers them, see chunked.c) comes early: wait for the chunk's. */
	if ((bev = evhttp_connection_get_bufferevent(conn)) != NULL &&
	    evbuffer_get_length(bufferevent_get_output(bev)) != 0)
		return;
	/* Out of libevent's write callback before freeing the connection. */
	unschedule(r);
	if (r->timer == NULL)
		r->timer = evtimer_new(r->ms->base, drop_now, r);
	evtimer_add(r->timer, &tv);
}

/* A batched send's result: what the socket did not take goes first in
 * the connection's output buffer (anything there came after it). */
static void
ring_done(void *arg, int res)
{
	struct msim_req *r = arg;
	size_t off = res > 0 ? (size_t)res : 0;

	r->txpending = 0;
	if (off < r->txlen)
		r->ms->stats.ring_short++;
	if (off < r->txlen && r->sockout != NULL)
		evbuffer_prepend(r->sockout, r->tx + off, r->txlen - off);
}

/* Send what the ring holds (the tick's token writes), in one call. */
static void
ring_flush(struct modelsim *ms)
{
	if (ms->ring != NULL && msim_ring_queued(ms->ring) > 0) {
		ms->stats.ring_sends += msim_ring_flush(ms->ring, ring_done);
		ms->stats.ring_flushes++;
		if (msim_ring_broken(ms->ring)) {
			/* What it did not send is queued in the buffers. */
			msim_ring_free(ms->ring);
			ms->ring = NULL;
		}
	}
}

/*
 * Queue the framed chunk (iov, total bytes) in the send ring, copied, when
 * a tick is running: 0, or -1 to write it now.  A request has one send in
 * the ring at most (write_direct() flushes the ring before a second).
 */
static int
ring_queue(struct msim_req *r, const struct iovec *iov, int n, size_t total)
{
	struct modelsim *ms = r->ms;
	size_t off = 0;
	int i;

	if (ms->ring == NULL || !ms->in_tick || r->txpending)
		return -1;
	if (r->txcap < total) {
		r->txcap = total < 256 ? 256 : total;
		r->tx = xrealloc(r->tx, r->txcap);
	}
	for (i = 0; i < n; i++) {
		memcpy(r->tx + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	r->txlen = total;
	if (msim_ring_send(ms->ring, r->fd, r->tx, total, r) == -1) {
		ring_flush(ms);
		if (msim_ring_send(ms->ring, r->fd, r->tx, total, r) == -1)
			return -1;
	}
	r->txpending = 1;
	return 0;
}

/*
 * Write a chunk (the n parts of its payload, len bytes in all) straight to
 * the socket when nothing is queued before it: one writev() with the chunk
 * framing around the parts, instead of queueing it in the bufferevent,
 * which costs an epoll_ctl() to watch for writability, a loop turn, the
 * write, and an epoll_ctl() to stop watching.  What the socket does not
 * take goes to the bufferevent, already framed, so the order of bytes
 * never changes.  0 when the chunk went (or is queued) this way, -1 to use
 * evhttp.
 */
static int
write_direct(struct msim_req *r, const struct iovec *parts, int n,
    size_t len)
{
	static const char hex[] = "0123456789abcdef";
	struct bufferevent *bev;
	struct iovec iov[8];
	char head[24], *h;
	size_t total, off, v;
	ssize_t w;
	int i;

	if (r->txpending)
		ring_flush(r->ms);	/* its last chunk goes first */
	if (!r->chunked || !r->plain || r->fd < 0 || len == 0 ||
	    r->conn == NULL || n > 6 || r->sockout == NULL ||
	    evbuffer_get_length(r->sockout) != 0)
		return -1;
	h = head + sizeof(head);
	*--h = '\n';
	*--h = '\r';
	v = len;
	do
		*--h = hex[v & 15];
	while ((v >>= 4) != 0);
	iov[0].iov_base = h;
	iov[0].iov_len = (size_t)(head + sizeof(head) - h);
	memcpy(iov + 1, parts, (size_t)n * sizeof(*iov));
	iov[n + 1].iov_base = (void *)"\r\n";
	iov[n + 1].iov_len = 2;
	n += 2;
	total = iov[0].iov_len + len + 2;
	if (ring_queue(r, iov, n, total) == 0)
		return 0;
	do
		w = writev(r->fd, iov, n);
	while (w == -1 && errno == EINTR);
	if (w == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;	/* let evhttp see the error */
		w = 0;
	}
	if ((size_t)w == total)
		return 0;
	/* The rest, in order, behind what the socket took. */
	bev = evhttp_connection_get_bufferevent(r->conn);
	for (i = 0, off = (size_t)w; i < n; i++) {
		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		bufferevent_write(bev, (char *)iov[i].iov_base + off,
		    iov[i].iov_len - off);
		off = 0;
	}
	return 0;
}

static void
send_chunk(struct msim_req *r, int drop_after_write)
{
	struct iovec iov;

	iov.iov_base = r->ms->sb.buf;
	iov.iov_len = r->ms->sb.len;
	if (!drop_after_write && write_direct(r, &iov, 1, iov.iov_len) == 0)
		return;
	evbuffer_add(r->ms->out, r->ms->sb.buf, r->ms->sb.len);
	if (drop_after_write)
		evhttp_send_reply_chunk_with_cb(r->req, r->ms->out,
		    on_written, r);
	else
		evhttp_send_reply_chunk(r->req, r->ms->out);
}

/* The token chunk of token index i (reasoning first, then content). */
static void
build_token_chunk(struct msim_req *r, size_t i, int last)
{
	struct strbuf *sb = &r->ms->sb;
	const struct msim_piece *p = NULL;
	const char *src = NULL;

	if (i < r->nr) {
		p = &r->rpieces[i];
		src = r->reasoning;
	} else if (i - r->nr < r->n) {
		p = &r->pieces[i - r->nr];
		src = r->text;
	}
	sb_reset(sb);
	sb_adds(sb, r->prefix);
	if (r->chat) {
		sb_adds(sb, "{\"index\":0,\"delta\":{");
		if (p == NULL && r->tools != NULL && i < steps(r))
			msim_tools_delta(r->tools, i - r->nr - r->n, sb);
		if (p != NULL) {
			sb_adds(sb, src == r->reasoning ?
			    "\"reasoning_content\":\"" : "\"content\":\"");
			json_escape(sb, src + p->off, p->len);
			sb_addc(sb, '"');
		}
		sb_adds(sb, "},\"logprobs\":null,\"finish_reason\":");
	} else {
		sb_adds(sb, "{\"index\":0,\"text\":\"");
		if (p != NULL)
			json_escape(sb, src + p->off, p->len);
		sb_adds(sb, "\",\"logprobs\":null,\"finish_reason\":");
	}
	if (last) {
		sb_addf(sb, "\"%s\",\"stop_reason\":", r->finish);
		if (r->stop_reason != NULL) {
			sb_addc(sb, '"');
			json_escape(sb, r->stop_reason,
			    strlen(r->stop_reason));
			sb_addc(sb, '"');
		} else
			sb_adds(sb, "null");
		sb_adds(sb, "}]");
	} else
		sb_adds(sb, "null,\"stop_reason\":null}]");
	if (r->continuous_usage) {
		sb_addc(sb, ',');
		add_usage(sb, r, completion_of(r, i < steps(r) ? i + 1 : i));
	}
	sb_adds(sb, "}\n\n");
}

/*
 * Write what evhttp queued on a plain socket (the status line, headers,
 * role chunk and first token) now rather than on the loop's next turn,
 * which under load comes milliseconds later: the first token leaves at
 * its deadline.  Whatever the socket does not take stays queued, and the
 * bufferevent writes it as before.
 */
static void
flush_direct(struct msim_req *r)
{
	if (r->txpending)
		ring_flush(r->ms);
	if (r->plain && r->fd >= 0 && r->conn != NULL && r->sockout != NULL &&
	    evbuffer_get_length(r->sockout) > 0)
		(void)evbuffer_write(r->sockout, r->fd);
}

/*
 * The common token chunk -- not the last, no continuous usage -- from the
 * parts rendered when the request came: the head up to the delta's
 * opening quote, the token already escaped, and a constant tail.  No
 * copying, no formatting; -1 when the chunk cannot go this way.
 */
static int
send_token_fast(struct msim_req *r, size_t i)
{
	static const char chat_tail[] = "\"},\"logprobs\":null,"
	    "\"finish_reason\":null,\"stop_reason\":null}]}\n\n";
	static const char text_tail[] = "\",\"logprobs\":null,"
	    "\"finish_reason\":null,\"stop_reason\":null}]}\n\n";
	const struct msim_piece *p;
	struct iovec iov[3];
	int k;

	if (r->continuous_usage || r->head[0] == NULL || r->tools != NULL)
		return -1;
	if (i < r->nr)
		k = 1;
	else if ((i -= r->nr) < r->n)
		k = 0;
	else
		return -1;
	p = &r->epieces[k][i];
	iov[0].iov_base = r->head[k];
	iov[0].iov_len = r->headlen[k];
	iov[1].iov_base = r->etext[k] + p->off;
	iov[1].iov_len = p->len;
	if (r->chat) {
		iov[2].iov_base = (void *)chat_tail;
		iov[2].iov_len = sizeof(chat_tail) - 1;
	} else {
		iov[2].iov_base = (void *)text_tail;
		iov[2].iov_len = sizeof(text_tail) - 1;
	}
	return write_direct(r, iov, 3, iov[0].iov_len + iov[1].iov_len +
	    iov[2].iov_len);
}

static void
finish_stream(struct msim_req *r)
{
	struct strbuf *sb = &r->ms->sb;

	sb_reset(sb);
	if (r->include_usage) {
		sb_adds(sb, r->prefix);
		sb_adds(sb, "]");
		sb_addc(sb, ',');
		add_usage(sb, r, completion_of(r, steps(r)));
		sb_adds(sb, "}\n\n");
		r->done_tokens = (long)(r->prompt_tokens +
		    completion_of(r, steps(r)));
	}
	sb_adds(sb, "data: [DONE]\n\n");
	send_chunk(r, 0);
	evhttp_connection_set_closecb(r->conn, NULL, NULL);
	chunked_end(r->req);
	r->conn = NULL;
}

static char *
whole_answer(struct msim_req *r)
{
	cJSON *o, *ch, *c, *msg, *u;
	char *s;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", r->id);
	cJSON_AddStringToObject(o, "object", r->chat ? "chat.completion" :
	    "text_completion");
	cJSON_AddNumberToObject(o, "created", (double)r->created);
	cJSON_AddStringToObject(o, "model", r->model->name);
	ch = cJSON_AddArrayToObject(o, "choices");
	c = cJSON_CreateObject();
	cJSON_AddItemToArray(ch, c);
	cJSON_AddNumberToObject(c, "index", 0);
	if (r->chat) {
		msg = cJSON_AddObjectToObject(c, "message");
		cJSON_AddStringToObject(msg, "role", "assistant");
		if (r->reasoning != NULL)
			cJSON_AddStringToObject(msg, "reasoning_content",
			    r->reasoning);
		else
			cJSON_AddNullToObject(msg, "reasoning_content");
		if (r->tools != NULL) {
			cJSON_AddNullToObject(msg, "content");
			cJSON_AddItemToObject(msg, "tool_calls",
			    msim_tools_json(r->tools));
		} else {
			cJSON_AddStringToObject(msg, "content", r->text);
			cJSON_AddArrayToObject(msg, "tool_calls");
		}
	} else
		cJSON_AddStringToObject(c, "text", r->text);
	cJSON_AddNullToObject(c, "logprobs");
	cJSON_AddStringToObject(c, "finish_reason", r->finish);
	if (r->stop_reason != NULL)
		cJSON_AddStringToObject(c, "stop_reason", r->stop_reason);
	else
		cJSON_AddNullToObject(c, "stop_reason");
	u = cJSON_AddObjectToObject(o, "usage");
	cJSON_AddNumberToObject(u, "prompt_tokens", r->prompt_tokens);
	cJSON_AddNumberToObject(u, "total_tokens",
	    (double)(r->prompt_tokens + completion_of(r, steps(r))));
	cJSON_AddNumberToObject(u, "completion_tokens",
	    (double)completion_of(r, steps(r)));
	if (r->cfg->c.kv_cache)
		cJSON_AddNumberToObject(cJSON_AddObjectToObject(u,
		    "prompt_tokens_details"), "cached_tokens", r->cached_tokens);
	else
		cJSON_AddNullToObject(u, "prompt_tokens_details");
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* /metrics: a finished answer's prefill (slot to first token) and decode
 * (first to last token) times, on the schedule's own deadlines. */
static void
timed_done(struct msim_req *r)
{
	r->ms->stats.timed++;
	r->ms->stats.prefill_time += r->first_at - r->arrived;
	r->ms->stats.decode_time += r->deadline - r->first_at;
}

static void
req_step(struct msim_req *r)
{
	struct modelsim *ms = r->ms;
	size_t total = steps(r), i;
	int last, drop, fresh;
	char *body;
	double late;

	late = clock_mono_s() - r->deadline;
	hist_add(ms->late, late > 0 ? (uint64_t)(late * 1e9) : 0);
	if (r->state == RQ_HEADERS) {
		/* Slow headers: the status line goes out now, tokens later. */
		start_stream(r);
		flush_direct(r);
		r->state = RQ_TOKENS;
		schedule_at(r, r->first_at);
		return;
	}
	if (!r->stream) {
		/* Walk the same schedule as a stream, silently. */
		if (r->sent < total)
			r->sent++;
		if (r->sent < total) {
			schedule_at(r, r->deadline +
			    msim_itl(&r->cfg->c, &r->rng, r->model->running));
			return;
		}
		if (r->drop_at >= 0) {
			drop_now(-1, 0, r);
			return;
		}
		body = whole_answer(r);
		evhttp_connection_set_closecb(r->conn, NULL, NULL);
		send_json(r->req, 200, body);
		r->done_status = 200;
		r->done_tokens = (long)(r->prompt_tokens +
		    completion_of(r, total));
		free(body);
		r->conn = NULL;
		ms->stats.completed++;
		ms->stats.tokens += total;
		timed_done(r);
		req_done(r);
		return;
	}
	fresh = !r->headers_sent;
	start_stream(r);
	last = r->sent + 1 >= total;
	i = r->sent;
	if (r->sent < total) {
		r->sent++;
		ms->stats.tokens++;
	}
	drop = r->drop_at >= 0 && (long)r->sent >= r->drop_at && !last;
	if (last || drop || send_token_fast(r, i) == -1) {
		build_token_chunk(r, i, last);
		send_chunk(r, drop);
	}
	if (drop) {
		r->state = RQ_DROPPING;
		return;
	}
	if (fresh && !last)
		flush_direct(r);
	if (!last) {
		schedule_at(r, r->deadline +
		    msim_itl(&r->cfg->c, &r->rng, r->model->running));
		return;
	}
	finish_stream(r);
	ms->stats.completed++;
	timed_done(r);
	req_done(r);
}

/* The text of a message content: a string or an array of text parts. */
static char *
content_text(const cJSON *content)
{
	struct strbuf sb;
	const cJSON *part;
	const char *t;

	if (cJSON_IsString(content))
		return xstrdup(content->valuestring);
	sb_init(&sb);
	if (cJSON_IsArray(content))
		cJSON_ArrayForEach(part, content) {
			if ((t = json_str(part, "text")) == NULL)
				continue;
			if (sb.len > 0)
				sb_addc(&sb, '\n');
			sb_adds(&sb, t);
		}
	return sb_detach(&sb);
}

static void
models_list(struct modelsim *ms, struct evhttp_request *req,
    const char *only)
{
	struct msim_model *m;
	cJSON *o, *data, *d;
	char *s;

	if (only != NULL && find_model(ms, only) == NULL) {
		send_error(ms, req, 404, "model", "The model `%s` does not "
		    "exist.", only);
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "list");
	data = cJSON_AddArrayToObject(o, "data");
	TAILQ_FOREACH(m, &ms->models, entry) {
		if (only != NULL && strcmp(m->name, only) != 0)
			continue;
		d = cJSON_CreateObject();
		cJSON_AddItemToArray(data, d);
		cJSON_AddStringToObject(d, "id", m->name);
		cJSON_AddStringToObject(d, "object", "model");
		cJSON_AddNumberToObject(d, "created", (double)ms->created);
		cJSON_AddStringToObject(d, "owned_by", "vllm");
		cJSON_AddStringToObject(d, "root", m->name);
		cJSON_AddNullToObject(d, "parent");
		if (m->cfg->c.max_model_len > 0)
			cJSON_AddNumberToObject(d, "max_model_len",
			    m->cfg->c.max_model_len);
	}
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	send_json(req, 200, s);
	free(s);
}

/* POST /tokenize: the simulator's token count of a prompt or messages. */
static void
tokenize_reply(struct modelsim *ms, struct evhttp_request *req,
    const char *model)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct msim_model *mod;
	struct err e = ERR_INIT;
	cJSON *body, *o;
	const char *name, *param = NULL;
	char *msg = NULL, *s;

	if ((body = json_parse((const char *)evbuffer_pullup(in, -1),
	    evbuffer_get_length(in), &e)) == NULL || !cJSON_IsObject(body)) {
		send_error(ms, req, 400, NULL, "the request body is not a "
		    "JSON object%s%s", e.msg ? ": " : "", e.msg ? e.msg : "");
		goto out;
	}
	name = model != NULL ? model : json_str(body, "model");
	if (name == NULL || (mod = find_model(ms, name)) == NULL) {
		send_error(ms, req, 404, "model", "The model `%s` does not "
		    "exist.", name != NULL ? name : "");
		goto out;
	}
	if ((o = msim_tokenize_answer(body, mod->cfg->c.max_model_len, &msg,
	    &param)) == NULL) {
		send_error(ms, req, 400, param, "%s", msg);
		goto out;
	}
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	send_json(req, 200, s);
	free(s);
out:
	free(msg);
	cJSON_Delete(body);
	err_clear(&e);
}

static int
path_is(const char *path, const char *suffix)
{
	size_t pl = strlen(path), sl = strlen(suffix);

	return pl >= sl && strcmp(path + pl - sl, suffix) == 0 &&
	    (pl == sl || path[pl - sl - 1] == '/');
}

/* Cut text at the earliest stop string; returns the match or NULL. */
static const char *
apply_stop(char *text, const cJSON *stop)
{
	const cJSON *s;
	const char *best = NULL;
	char *hit, *at = NULL;

	if (cJSON_IsString(stop)) {
		if (*stop->valuestring != '\0' &&
		    (at = strstr(text, stop->valuestring)) != NULL)
			best = stop->valuestring;
	} else if (cJSON_IsArray(stop)) {
		cJSON_ArrayForEach(s, stop) {
			if (!cJSON_IsString(s) || *s->valuestring == '\0')
				continue;
			hit = strstr(text, s->valuestring);
			if (hit != NULL && (at == NULL || hit < at)) {
				at = hit;
				best = s->valuestring;
			}
		}
	}
	if (at != NULL)
		*at = '\0';
	return best;
}

/* Keep the first max tokens of *text; 1 if it was cut. */
static int
cut_tokens(char **text, long max)
{
	struct msim_piece *p = NULL;
	size_t n;
	int cut = 0;

	n = msim_tokenize(*text, strlen(*text), &p);
	if (max >= 0 && n > (size_t)max) {
		(*text)[max == 0 ? 0 : p[max - 1].off + p[max - 1].len] = '\0';
		cut = 1;
	}
	free(p);
	return cut;
}

/* The tokens of src, JSON-escaped into *out, their slices into *pout. */
static void
escape_pieces(const char *src, const struct msim_piece *p, size_t n,
    char **out, struct msim_piece **pout)
{
	struct strbuf sb;
	size_t i;

	sb_init(&sb);
	*pout = xcalloc(n ? n : 1, sizeof(**pout));
	for (i = 0; i < n; i++) {
		(*pout)[i].off = sb.len;
		json_escape(&sb, src + p[i].off, p[i].len);
		(*pout)[i].len = sb.len - (*pout)[i].off;
	}
	*out = sb_detach(&sb);
}

/* Render what send_token_fast() writes of each token chunk. */
static void
render_parts(struct msim_req *r)
{
	r->head[0] = xasprintf("%s%s", r->prefix, r->chat ?
	    "{\"index\":0,\"delta\":{\"content\":\"" : "{\"index\":0,\"text\":\"");
	r->headlen[0] = strlen(r->head[0]);
	escape_pieces(r->text, r->pieces, r->n, &r->etext[0], &r->epieces[0]);
	if (r->reasoning != NULL) {
		r->head[1] = xasprintf("%s{\"index\":0,\"delta\":"
		    "{\"reasoning_content\":\"", r->prefix);
		r->headlen[1] = strlen(r->head[1]);
		escape_pieces(r->reasoning, r->rpieces, r->nr, &r->etext[1],
		    &r->epieces[1]);
	}
}

/* Parse, validate, generate the answer; NULL after an error reply. */
static struct msim_req *
req_new(struct modelsim *ms, struct evhttp_request *req, const char *model,
    int chat)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const cJSON *v, *msgs, *m, *prompt, *stop;
	struct msim_model *mod;
	struct msim_req *r = NULL;
	const struct msim_config *c;
	struct msim_rng trng, tool_rng;
	struct msim_tools *tools = NULL;
	char *tmsg = NULL;
	const char *tparam = NULL;
	struct err e = ERR_INIT;
	cJSON *body = NULL;
	char *echo = NULL, *t;
	const char *s, *hit, *xe;
	size_t len, rlen;
	long maxtok = -1, n;
	int pt = 0, ignore_eos, length_cut = 0, st;

	len = evbuffer_get_length(in);
	if ((body = json_parse((const char *)evbuffer_pullup(in, -1), len,
	    &e)) == NULL || !cJSON_IsObject(body)) {
		send_error(ms, req, 400, NULL, "the request body is not a "
		    "JSON object%s%s", e.msg ? ": " : "", e.msg ? e.msg : "");
		goto out;
	}
	if (model == NULL) {
		if ((s = json_str(body, "model")) == NULL || *s == '\0') {
			send_error(ms, req, 400, "model", "the request has no "
			    "\"model\"");
			goto out;
		}
		model = s;
	}
	if ((mod = find_model(ms, model)) == NULL) {
		send_error(ms, req, 404, "model", "The model `%s` does not "
		    "exist.", model);
		goto out;
	}
	c = &mod->cfg->c;
	if (chat) {
		msgs = cJSON_GetObjectItemCaseSensitive(body, "messages");
		if (!cJSON_IsArray(msgs) || cJSON_GetArraySize(msgs) == 0) {
			send_error(ms, req, 400, "messages", "\"messages\" "
			    "must be a non-empty array");
			goto out;
		}
		cJSON_ArrayForEach(m, msgs) {
			if (!cJSON_IsObject(m) || json_str(m, "role") == NULL) {
				send_error(ms, req, 400, "messages", "every "
				    "message needs a \"role\"");
				goto out;
			}
			t = content_text(cJSON_GetObjectItemCaseSensitive(m,
			    "content"));
			pt += 4 + (int)msim_count_tokens(t);
			if (strcmp(json_str(m, "role"), "user") == 0) {
				free(echo);
				echo = t;
			} else
				free(t);
		}
		pt += 2;
	} else {
		prompt = cJSON_GetObjectItemCaseSensitive(body, "prompt");
		if (cJSON_IsString(prompt)) {
			echo = xstrdup(prompt->valuestring);
			pt = (int)msim_count_tokens(echo);
		} else if (cJSON_IsArray(prompt) &&
		    cJSON_GetArraySize(prompt) == 1 &&
		    cJSON_IsString(cJSON_GetArrayItem(prompt, 0))) {
			echo = xstrdup(cJSON_GetArrayItem(prompt,
			    0)->valuestring);
			pt = (int)msim_count_tokens(echo);
		} else if (cJSON_IsArray(prompt) &&
		    cJSON_GetArraySize(prompt) > 0 &&
		    cJSON_IsNumber(cJSON_GetArrayItem(prompt, 0))) {
			pt = cJSON_GetArraySize(prompt);
			echo = xstrdup("");
		} else {
			send_error(ms, req, 400, "prompt", "\"prompt\" must "
			    "be a string (or one string, or token ids)");
			goto out;
		}
	}
	if (echo == NULL)
		echo = xstrdup("");
	v = cJSON_GetObjectItemCaseSensitive(body, "max_completion_tokens");
	if (v == NULL || cJSON_IsNull(v))
		v = cJSON_GetObjectItemCaseSensitive(body, "max_tokens");
	if (v != NULL && !cJSON_IsNull(v)) {
		if (!cJSON_IsNumber(v) || v->valuedouble < 1 ||
		    v->valuedouble != floor(v->valuedouble) ||
		    v->valuedouble > 1e9) {
			send_error(ms, req, 400, "max_tokens", "max_tokens "
			    "must be a whole number of at least 1");
			goto out;
		}
		maxtok = (long)v->valuedouble;
	}
	v = cJSON_GetObjectItemCaseSensitive(body, "n");
	if (v != NULL && !cJSON_IsNull(v) && (!cJSON_IsNumber(v) ||
	    v->valuedouble != 1)) {
		send_error(ms, req, 400, "n", "the simulator answers n = 1 "
		    "only");
		goto out;
	}
	stop = cJSON_GetObjectItemCaseSensitive(body, "stop");
	if (stop != NULL && !cJSON_IsNull(stop) && !cJSON_IsString(stop) &&
	    !cJSON_IsArray(stop)) {
		send_error(ms, req, 400, "stop", "\"stop\" must be a string "
		    "or an array of strings");
		goto out;
	}
	if (chat && cJSON_GetObjectItemCaseSensitive(body, "tools") != NULL) {
		/* Tool calls, drawn from the request's seed like its text
		 * (the server's generator only when it has none). */
		v = cJSON_GetObjectItemCaseSensitive(body, "seed");
		msim_rng_seed(&tool_rng, cJSON_IsNumber(v) ?
		    (uint64_t)(int64_t)v->valuedouble ^ 0x746f6f6c73ULL :
		    msim_rng_next(&ms->rng));
		if (msim_tools_make(body, &tool_rng, &tools, &tmsg,
		    &tparam) < 0) {
			send_error(ms, req, 400, tparam, "%s", tmsg);
			goto out;
		}
	}
	if (c->max_model_len > 0 &&
	    pt + (maxtok > 0 ? maxtok : 0) > c->max_model_len) {
		send_error(ms, req, 400, chat ? "messages" : "prompt",
		    "This model's maximum context length is %d tokens. "
		    "However, you requested %ld tokens (%d in the messages, "
		    "%ld in the completion). Please reduce the length of the "
		    "messages or completion.", c->max_model_len,
		    pt + (maxtok > 0 ? maxtok : 0), pt, maxtok > 0 ? maxtok : 0);
		goto out;
	}

	/* Failure injection, before queueing as llm-d-inference-sim does. */
	mod->seen++;
	xe = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "X-Return-Error");
	if (xe != NULL && (st = atoi(xe)) >= 400 && st <= 599) {
		if (st == 429)
			send_429(ms, req, c, "Rate limit reached (requested "
			    "by X-Return-Error)");
		else
			send_error(ms, req, st, NULL, "error %d requested by "
			    "X-Return-Error", st);
		goto out;
	}
	if (mod->seen <= c->rate_limit_first ||
	    (c->rate_limit_rate > 0 &&
	    msim_rng_double(&ms->rng) < c->rate_limit_rate)) {
		send_429(ms, req, c, "Rate limit reached for requests to the "
		    "simulated model");
		goto out;
	}
	if (c->error_rate > 0 && msim_rng_double(&ms->rng) < c->error_rate) {
		send_error(ms, req, c->error_status, NULL, c->error_status ==
		    503 ? "The server is overloaded or not ready yet." :
		    "Injected server error.");
		goto out;
	}
	if (mod->running >= c->max_num_seqs &&
	    mod->nwaiting >= c->max_waiting) {
		send_429(ms, req, c, "Failed to enqueue request, waiting "
		    "requests queue is full");
		goto out;
	}

	r = xcalloc(1, sizeof(*r));
	r->ms = ms;
	r->model = mod;
	r->cfg = mod->cfg;
	r->cfg->refs++;
	r->req = req;
	r->conn = evhttp_request_get_connection(req);
	r->chat = chat;
	r->drop_at = -1;
	r->fd = -1;
	r->prompt_tokens = pt;
	r->cached_tokens = msim_cache_request(&mod->cache, c, body, chat);
	r->created = time(NULL);
	TAILQ_INSERT_TAIL(&ms->all, r, all);
	r->hidx = NOT_QUEUED;
	msim_rng_seed(&r->rng, msim_rng_next(&ms->rng));
	snprintf(r->id, sizeof(r->id), "%s%016llx%016llx",
	    chat ? "chatcmpl-" : "cmpl-",
	    (unsigned long long)msim_rng_next(&ms->rng),
	    (unsigned long long)msim_rng_next(&ms->rng));
	r->stream = json_bool(body, "stream", 0);
	r->include_usage = json_bool(body, "stream_options.include_usage", 0);
	r->continuous_usage = json_bool(body,
	    "stream_options.continuous_usage_stats", 0);
	ignore_eos = json_bool(body, "ignore_eos", 0);

	/* The text depends on the seed only, never on timing. */
	v = cJSON_GetObjectItemCaseSensitive(body, "seed");
	if (cJSON_IsNumber(v))
		msim_rng_seed(&trng, (uint64_t)(int64_t)v->valuedouble);
	else
		msim_rng_seed(&trng, msim_rng_next(&ms->rng));
	rlen = 0;
	if (c->reasoning) {
		rlen = (size_t)c->reasoning_tokens;
		if (maxtok >= 0 && (long)rlen >= maxtok) {
			rlen = (size_t)maxtok;
			length_cut = 1;
		}
		r->reasoning = msim_lorem(&trng, rlen);
	}
	if (maxtok >= 0)
		maxtok -= (long)rlen;
	switch (c->mode) {
	case MSIM_MODE_ECHO:
		r->text = echo;
		echo = NULL;
		break;
	case MSIM_MODE_FIXED:
		r->text = xstrdup(c->text);
		break;
	case MSIM_MODE_LOREM:
	default:
		if (ignore_eos && maxtok >= 0)
			n = maxtok;
		else {
			n = lround(msim_var_sample(&c->output, &trng));
			if (n < 1)
				n = 1;
			if (maxtok >= 0 && n > maxtok)
				n = maxtok;
		}
		r->text = msim_lorem(&trng, length_cut ? 0 : (size_t)n);
		break;
	}
	if (length_cut)
		r->text[0] = '\0';
	else if (maxtok >= 0 && cut_tokens(&r->text, maxtok))
		length_cut = 1;
	if (!length_cut && maxtok >= 0 && c->mode == MSIM_MODE_LOREM &&
	    (long)msim_count_tokens(r->text) == maxtok)
		length_cut = 1;
	r->finish = length_cut ? "length" : "stop";
	if (stop != NULL && (hit = apply_stop(r->text, stop)) != NULL) {
		r->stop_reason = xstrdup(hit);
		r->finish = "stop";
	}
	if (r->reasoning != NULL)
		r->nr = msim_tokenize(r->reasoning, strlen(r->reasoning),
		    &r->rpieces);
	if (tools != NULL) {
		/* Tool calls answer instead of text, as in vLLM. */
		r->text[0] = '\0';
		free(r->stop_reason);
		r->stop_reason = NULL;
		r->finish = "tool_calls";
		/* max_tokens bounds the calls as it bounds text: what is
		 * left of it after the reasoning. */
		if (maxtok >= 0 && msim_tools_limit(tools, (size_t)maxtok))
			r->finish = "length";
		r->tools = tools;
		tools = NULL;
	}
	r->n = msim_tokenize(r->text, strlen(r->text), &r->pieces);
	if (c->drop_rate > 0 && msim_rng_double(&ms->rng) < c->drop_rate)
		r->drop_at = c->drop_after;

	sb_reset(&ms->sb);
	sb_addf(&ms->sb, "data: {\"id\":\"%s\",\"object\":\"%s\","
	    "\"created\":%lld,\"model\":\"", r->id, chat ?
	    "chat.completion.chunk" : "text_completion",
	    (long long)r->created);
	json_escape(&ms->sb, mod->name, strlen(mod->name));
	sb_adds(&ms->sb, "\",\"choices\":[");
	r->prefix = xstrdup(ms->sb.buf);
	if (r->stream)
		render_parts(r);
out:
	free(echo);
	free(tmsg);
	msim_tools_free(tools);
	cJSON_Delete(body);
	err_clear(&e);
	return r;
}

/* Answer one HTTP request routed to the simulator. */
void
modelsim_handle(struct modelsim *ms, struct evhttp_request *req,
    const char *model)
{
	modelsim_handle_cb(ms, req, model, NULL, NULL);
}

/* Answer one request and report how it ended to done(arg, ...). */
void
modelsim_handle_cb(struct modelsim *ms, struct evhttp_request *req,
    const char *model, modelsim_done_fn done, void *arg)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	double arrived = arrival_time(ms), now = clock_mono_s(), stamp;
	struct msim_req *r;
	struct msim_model *m;
	int chat;

	ms->stats.requests++;
	ms->last_status = 0;
	if (msim_arrivals_take(ms->arr, req, &stamp) == 0 && stamp <= now) {
		/* The kernel's receive time: the request's real arrival. */
		arrived = stamp;
		ms->stats.stamped++;
		hist_add(ms->intake, (uint64_t)((now - stamp) * 1e9));
	}
	if (path == NULL)
		path = "/";
	if (path_is(path, "models")) {
		if (cmd != EVHTTP_REQ_GET) {
			send_error(ms, req, 405, NULL, "use GET for %s", path);
			goto failed;
		}
		models_list(ms, req, model);
		if (done != NULL)
			done(arg, 200, -1);
		return;
	}
	if (path_is(path, "metrics") && cmd == EVHTTP_REQ_GET) {
		modelsim_metrics_reply(ms, req);
		if (done != NULL)
			done(arg, 200, -1);
		return;
	}
	if (path_is(path, "tokenize")) {
		if (cmd != EVHTTP_REQ_POST) {
			send_error(ms, req, 405, NULL, "use POST for %s", path);
			goto failed;
		}
		tokenize_reply(ms, req, model);
		if (done != NULL)
			done(arg, ms->last_status ? ms->last_status : 200, -1);
		return;
	}
	if (path_is(path, "chat/completions"))
		chat = 1;
	else if (path_is(path, "completions"))
		chat = 0;
	else {
		send_error(ms, req, 404, NULL, "no route for %s", path);
		goto failed;
	}
	if (cmd != EVHTTP_REQ_POST) {
		send_error(ms, req, 405, NULL, "use POST for %s", path);
		goto failed;
	}
	if ((r = req_new(ms, req, model, chat)) == NULL)
		goto failed;
	r->arrived = arrived;
	r->done = done;
	r->done_arg = arg;
	r->done_tokens = -1;
	evhttp_connection_set_closecb(r->conn, on_close, r);
	watch_start(r);
	m = r->model;
	if (m->running < r->cfg->c.max_num_seqs)
		admit(r);
	else {
		r->state = RQ_WAITING;
		TAILQ_INSERT_TAIL(&m->waiting, r, q);
		m->nwaiting++;
		ms->stats.waiting++;
	}
	return;
failed:
	/* An error answer was sent at once (send_error noted its status). */
	if (done != NULL)
		done(arg, ms->last_status, -1);
}

/* End r with an error: a status if nothing was sent, else an error frame. */
static void
req_abort(struct msim_req *r, const char *msg)
{
	struct modelsim *ms = r->ms;
	char *body;

	if (r->conn == NULL || r->state == RQ_DROPPING) {
		drop_now(-1, 0, r);
		return;
	}
	body = error_json(503, NULL, msg);
	evhttp_connection_set_closecb(r->conn, NULL, NULL);
	if (!r->headers_sent) {
		send_json(r->req, 503, body);
		r->done_status = 503;
	}
	else {
		sb_reset(&ms->sb);
		sb_addf(&ms->sb, "data: %s\n\ndata: [DONE]\n\n", body);
		send_chunk(r, 0);
		chunked_end(r->req);
	}
	free(body);
	r->conn = NULL;
	ms->stats.failed++;
	req_done(r);
}

static void
model_free(struct modelsim *ms, struct msim_model *m)
{
	struct msim_req *r, *tmp;
	char *msg;

	msg = xasprintf("the model `%s` was removed", m->name);
	TAILQ_FOREACH_SAFE(r, &ms->all, all, tmp)
		if (r->model == m && r->state == RQ_WAITING)
			req_abort(r, msg);
	TAILQ_FOREACH_SAFE(r, &ms->all, all, tmp)
		if (r->model == m)
			req_abort(r, msg);
	free(msg);
	TAILQ_REMOVE(&ms->models, m, entry);
	cfg_unref(m->cfg);
	msim_cache_free(m->cache);
	free(m->name);
	free(m);
}

/* Remove a model; its in-flight and queued requests are closed. */
int
modelsim_remove_model(struct modelsim *ms, const char *name, struct err *e)
{
	struct msim_model *m;

	if ((m = find_model(ms, name)) == NULL)
		return err_set(e, EXIT_NOTFOUND, "model simulator: no model "
		    "%s", name);
	model_free(ms, m);
	poll_update(ms);
	return 0;
}

/* Free a simulator; in-flight requests are closed. */
void
modelsim_free(struct modelsim *ms)
{
	struct msim_model *m;

	if (ms == NULL)
		return;
	while ((m = TAILQ_FIRST(&ms->models)) != NULL)
		model_free(ms, m);
	evbuffer_free(ms->out);
	event_free(ms->tick);
	free(ms->heap);
	hist_free(ms->late);
	hist_free(ms->intake);
	msim_arrivals_free(ms->arr);
	msim_ring_free(ms->ring);
	sb_free(&ms->sb);
	free(ms);
}

/* Write token chunks in io_uring batches (on) or one writev() each. */
int
modelsim_set_batched_sends(struct modelsim *ms, int on, struct err *e)
{
	if (!on) {
		msim_ring_free(ms->ring);
		ms->ring = NULL;
		return 0;
	}
	if (ms->ring == NULL && (ms->ring = msim_ring_new()) == NULL)
		return err_set(e, EXIT_ERR, "model simulator: io_uring: %s",
		    strerror(errno));
	return 0;
}

/* Count TTFT from the kernel's receive time of requests coming via http. */
int
modelsim_watch_arrivals(struct modelsim *ms, struct evhttp *http,
    struct err *e)
{
	if (ms->arr != NULL)
		return err_set(e, EXIT_ERR, "model simulator: arrival times "
		    "are watched already");
	if ((ms->arr = msim_arrivals_new(ms->base, http, e)) == NULL)
		return -1;
	/* Made before the base had priorities: back to the reads' level,
	 * below the peek (a tick armed every turn at priority 0 would starve
	 * the reads while busy-polling). */
	event_priority_set(ms->tick, event_base_get_npriorities(ms->base) / 2);
	return 0;
}

/* Fill *st with the simulator's counters. */
void
modelsim_get_stats(const struct modelsim *ms, struct modelsim_stats *st)
{
	const struct msim_model *m;
	uint64_t q, h;

	*st = ms->stats;
	TAILQ_FOREACH(m, &ms->models, entry)
		if (m->cache != NULL) {
			msim_cache_stats(m->cache, &q, &h);
			st->cache_queries += q;
			st->cache_hits += h;
			st->cache_used += msim_cache_used(m->cache);
			st->cache_capacity += msim_cache_capacity(m->cache);
		}
	st->late_p50_us = hist_percentile(ms->late, 50) / 1000;
	st->late_p99_us = hist_percentile(ms->late, 99) / 1000;
	st->late_max_us = hist_max(ms->late) / 1000;
	st->intake_p50_us = hist_percentile(ms->intake, 50) / 1000;
	st->intake_p99_us = hist_percentile(ms->intake, 99) / 1000;
	st->intake_max_us = hist_max(ms->intake) / 1000;
	st->batched_sends = ms->ring != NULL;
}
