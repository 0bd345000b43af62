/*
 * loadgen.h: the load engine behind `maasctl bench`.
 *
 * One event loop (libevent; no thread per request), a keep-alive
 * connection pool sized to the concurrency and a streaming SSE parser per
 * request slot.  Plain http:// URLs without a proxy go over the engine's
 * own non-blocking HTTP/1.1 client (lgh1.h: one system call per read,
 * the kernel's receive time with it, no copy of the body); HTTPS, HTTP/2
 * and proxies go over libcurl's multi socket API on the same loop, one
 * reusable easy handle per slot (--transport chooses).  Two load models:
 *
 *  - closed loop: `concurrency` requests in flight; each completion starts
 *    the next one;
 *  - open loop: a schedule precomputed from one seed (constant, Poisson or
 *    gamma gaps) as absolute CLOCK_MONOTONIC deadlines, dispatched by one
 *    precise timer.  When `max_inflight` requests are in flight a due request
 *    waits (and is counted as such): the schedule never turns into a closed
 *    loop silently, and its intended time stays the schedule's.
 *
 * Every request reports its intended, dispatched, sent, first-byte,
 * first-token, per-chunk, last-token and end times (ns since the run
 * started; a response's bytes are timed when they reached the host, from
 * the kernel's receive timestamp of the socket (SO_TIMESTAMPNS: taken with
 * the native client's read, or peeked before libcurl reads), else when
 * they reach the transport's callback, before any parsing; the sent time
 * is when the transport writes the request), the transport's
 * DNS/connect/TLS/TTFB timings (libcurl's CURLINFO_*_TIME_T, or the same
 * measured by the native client), and tokens from three sources
 * (server usage, per-chunk usage, content chunks).  429 and 503 are their own class and may
 * be retried (never, honouring Retry-After, or exponential backoff with
 * jitter), each retry linked to the original intended time.
 */
#ifndef MAAS_LOADGEN_H
#define MAAS_LOADGEN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct hist;

/* Arrival processes of the open loop. */
enum lg_arrival {
	LG_ARRIVAL_CONSTANT = 0,	/* gaps of exactly 1/rate */
	LG_ARRIVAL_POISSON,		/* exponential gaps */
	LG_ARRIVAL_GAMMA		/* gamma gaps, shape = burstiness */
};

/* What happens to a 429 or 503 answer. */
enum lg_retry {
	LG_RETRY_NEVER = 0,		/* count it and move on */
	LG_RETRY_AFTER,			/* wait Retry-After (else backoff) */
	LG_RETRY_BACKOFF		/* exponential backoff, full jitter */
};

/* Which HTTP client sends the requests. */
enum lg_transport {
	LG_TRANSPORT_AUTO = 0,		/* native where it can, else libcurl */
	LG_TRANSPORT_NATIVE,		/* native HTTP/1.1 only (lgh1.h) */
	LG_TRANSPORT_CURL		/* libcurl for everything */
};

/* How a request ended. */
enum lg_class {
	LG_OK = 0,			/* 2xx with a complete answer */
	LG_RATE_LIMITED,		/* 429, or 503 with Retry-After */
	LG_HTTP_4XX,			/* other 4xx */
	LG_HTTP_5XX,			/* other 5xx */
	LG_TRANSPORT,			/* refused, reset, DNS, TLS */
	LG_TIMEOUT,			/* --timeout expired */
	LG_STREAM,			/* error frame, malformed or cut stream */
	LG_NCLASS
};

/* Quota state from an answer's rate-limit headers: x-ratelimit-*-requests
 * and x-ratelimit-*-tokens (OpenAI), x-ratelimit-* and ratelimit-* (Kuadrant,
 * the IETF draft: unit unspecified).  Resets in seconds. */
enum lg_rl {
	LG_RL_LIMIT_REQ = 0,		/* x-ratelimit-limit-requests */
	LG_RL_REMAIN_REQ,		/* x-ratelimit-remaining-requests */
	LG_RL_RESET_REQ,		/* x-ratelimit-reset-requests */
	LG_RL_LIMIT_TOK,		/* x-ratelimit-limit-tokens */
	LG_RL_REMAIN_TOK,		/* x-ratelimit-remaining-tokens */
	LG_RL_RESET_TOK,		/* x-ratelimit-reset-tokens */
	LG_RL_LIMIT,			/* x-ratelimit-limit, ratelimit-limit */
	LG_RL_REMAIN,			/* ...-remaining */
	LG_RL_RESET,			/* ...-reset */
	LG_RL_N
};

/* The body of one request, made by the caller's workload. */
struct lg_body {
	char		*data;		/* JSON body (owned when owned != 0) */
	size_t		 len;		/* bytes of data */
	int		 owned;		/* free data when done */
	unsigned	 cls;		/* workload class index */
	long		 session;	/* multi-turn: conversation, or -1 */
	long		 turn;		/* multi-turn: turn from 0, or -1 */
	const char	*url;		/* URL, or NULL for the default */
	int		 chat;		/* chat (1) or completions (0) */
};

/* What a workload class sets for its own requests (--class url=, key=,
 * header=, stream=); the request URL comes with each body (lg_body.url). */
struct lg_class_cfg {
	char *const	*keys;		/* API keys, used in turn across the
					 * class's requests, or NULL: the
					 * run's keys */
	size_t		 nkeys;		/* number of keys (0: the run's) */
	const char *const *headers;	/* extra "Name: value" lines after the
					 * run's, NULL-ended, or NULL */
	int		 stream;	/* -1: the run's; else 0 or 1 */
};

/* Fill *b for request number seq; return -1 with e set to abort. */
typedef int (*lg_body_fn)(void *arg, uint64_t seq, struct lg_body *b,
    struct err *e);

/* The outcome of one request; pointers are valid during the callback. */
struct lg_result {
	uint64_t	 seq;		/* request number, from 0 */
	int		 warmup;	/* a warm-up request (not measured) */
	unsigned	 cls;		/* workload class index */
	long		 session;	/* multi-turn: conversation, or -1 */
	long		 turn;		/* multi-turn: turn from 0, or -1 */
	enum lg_class	 klass;		/* how it ended */
	int		 stream;	/* streamed (SSE); else the whole
					 * answer at once, whose time is its
					 * first_token = last_token */
	int		 status;	/* last HTTP status, 0 if none */
	int		 attempts;	/* attempts made (1 + retries) */
	int		 throttled;	/* 429/503 answers among the attempts */
	int		 waited;	/* waited for the in-flight cap */
	int		 open_loop;	/* intended comes from a schedule */
	/* Times in ns since the run started; -1 when it did not happen. */
	int64_t		 intended;	/* schedule time (= dispatched when
					 * closed loop) */
	int64_t		 dispatched;	/* first attempt handed to libcurl */
	int64_t		 sent;		/* first attempt's request written
					 * to its connection (libcurl's
					 * pre-request callback, after any
					 * connect); = dispatched if never */
	int64_t		 attempt_sent;	/* the same for the last attempt */
	int64_t		 first_byte;	/* status line of the last attempt */
	int64_t		 first_token;	/* first content, reasoning or
					 * tool-call delta */
	int64_t		 first_output;	/* first non-reasoning delta (content
					 * or tool call) */
	int64_t		 last_token;	/* last content, reasoning or
					 * tool-call delta */
	int64_t		 end;		/* transfer finished */
	/* libcurl's timings of the last attempt, ns from its start. */
	int64_t		 t_dns, t_connect, t_tls, t_ttfb;
	int		 reused;	/* connection reused */
	size_t		 bytes_in;	/* response bytes (body) */
	size_t		 bytes_out;	/* request body bytes */
	/* Tokens: -1 when a source gave nothing. */
	long		 prompt_tokens;	/* server usage.prompt_tokens */
	long		 cached_tokens;	/* usage.prompt_tokens_details.
					 * cached_tokens (prefix cache) */
	long		 usage_tokens;	/* server usage.completion_tokens */
	long		 chunk_usage_tokens; /* sum of per-chunk usage deltas */
	size_t		 content_chunks; /* chunks with a content, reasoning
					 * or tool-call delta */
	size_t		 chunks;	/* SSE data events */
	size_t		 text_chunks;	/* of them with content (text) */
	size_t		 reasoning_chunks; /* ... with reasoning */
	size_t		 tool_call_chunks; /* ... with delta.tool_calls */
	size_t		 tool_calls;	/* non-streamed: message.tool_calls */
	/* Content chunk arrival times and tokens per chunk (1 unless
	 * per-chunk usage said otherwise). */
	const int64_t	*chunk_t;
	const int32_t	*chunk_tok;
	size_t		 nchunk;
	int		 chunk_usage;	/* per-chunk usage was present */
	const char	*error;		/* why it failed, or NULL */
	const char	*request_id;	/* x-request-id sent */
	int		 http_version;	/* 10, 11, 20, 30; 0 unknown */
	char *const	*header_values;	/* one per lg_config.record_headers
					 * (NULL when absent), or NULL */
	const double	*ratelimit;	/* LG_RL_N values (NAN absent) of the
					 * last attempt's rate-limit headers,
					 * or NULL when it had none */
};

/* Called once per finished request (after retries). */
typedef void (*lg_done_fn)(void *arg, const struct lg_result *);

/* State of the run, handed to the per-second tick. */
/* One workload class's running counts (lg_tick.cls). */
struct lg_cls_count {
	uint64_t	 dispatched;	/* requests handed to a transport */
	uint64_t	 done;		/* requests finished */
	uint64_t	 tokens;	/* output tokens received */
	long		 inflight;	/* requests in flight now */
};

struct lg_tick {
	double		 elapsed;	/* seconds since start */
	uint64_t	 dispatched;	/* requests handed to libcurl so far */
	uint64_t	 done;		/* requests finished so far */
	uint64_t	 scheduled;	/* open loop: requests due so far */
	long		 inflight;	/* requests in flight now */
	long		 waiting;	/* open loop: due, waiting for the cap */
	uint64_t	 tokens;	/* output tokens received so far */
	uint64_t	 chunks;	/* content chunks received so far */
	const struct lg_cls_count *cls;	/* the same per workload class
					 * (lg_config.ncls > 1), or NULL */
	size_t		 ncls;
	int		 last;		/* the final tick */
};
typedef void (*lg_tick_fn)(void *arg, const struct lg_tick *);

/* A closed loop's concurrency from a point in time on (--stages). */
struct lg_step {
	int64_t		 at;		/* ns since the start */
	long		 concurrency;	/* requests in flight from then */
};

/* A run's settings. */
struct lg_config {
	const char	*url;		/* default request URL */
	const char	**headers;	/* extra "Name: value" lines, NULL-ended */
	const struct lg_class_cfg *cls;	/* per workload class (by lg_body.cls),
					 * or NULL */
	size_t		 ncls;		/* workload classes (cls has as many;
					 * over 1: counts per class) */
	char *const	*keys;		/* API keys (round robin), or NULL */
	size_t		 nkeys;		/* number of keys */
	int		 stream;	/* expect SSE (stream: true bodies) */
	long		 concurrency;	/* closed loop: requests in flight
					 * (with steps: the most of them) */
	const struct lg_step *steps;	/* closed loop: concurrency over time,
					 * steps[0].at == 0; or NULL */
	size_t		 nsteps;
	const int64_t	*schedule;	/* open loop: the caller's deadlines
					 * (ns from 0, ascending) instead of
					 * generated ones; rate is then their
					 * mean rate; or NULL */
	size_t		 nschedule;
	const char *const *record_headers; /* response headers to record */
	size_t		 nrecord;
	double		 rate;		/* open loop when > 0 (requests/s) */
	enum lg_arrival	 arrival;	/* gap distribution */
	double		 burstiness;	/* gamma shape (1 = Poisson) */
	long		 max_inflight;	/* open loop cap */
	uint64_t	 seed;		/* drives the schedule */
	long		 requests;	/* measured requests; 0: by duration */
	double		 duration;	/* seconds; 0: by requests */
	long		 warmup;	/* warm-up requests sent first */
	enum lg_retry	 retry;		/* 429/503 policy */
	int		 max_retries;	/* retries per request */
	double		 retry_cap;	/* longest wait before a retry, s */
	double		 timeout;	/* per attempt, s; 0: none */
	double		 connect_timeout; /* s; 0: 10 */
	const char	*ca_file;	/* TLS CA bundle or NULL */
	int		 insecure;	/* skip TLS verification */
	int		 http2;		/* HTTP/2 (multiplexed; libcurl) */
	enum lg_transport transport;	/* HTTP client */
	const char	*request_id_prefix; /* x-request-id prefix */
	long		 worker_index;	/* this worker sends requests seq with */
	long		 worker_count;	/* seq % count == index (count 0: all) */
	double		 start_at;	/* CLOCK_REALTIME to start at, or 0 */
	lg_body_fn	 body;		/* the workload */
	void		*body_arg;	/* for body */
	lg_done_fn	 done;		/* per request */
	lg_tick_fn	 tick;		/* per second, and once at the end */
	void		*arg;		/* for done and tick */
};

/* What the run as a whole measured about itself. */
struct lg_summary {
	int64_t		 start_ns;	/* CLOCK_MONOTONIC of time 0 */
	double		 wall;		/* seconds, start to last completion */
	double		 cpu_user;	/* client CPU seconds */
	double		 cpu_sys;
	long		 max_rss_kib;	/* peak resident set */
	uint64_t	 dispatched;	/* requests sent (incl. warm-up) */
	uint64_t	 done;		/* requests finished */
	uint64_t	 waited;	/* requests that waited for the cap */
	uint64_t	 dropped;	/* due but never sent (run ended) */
	uint64_t	 scheduled;	/* open loop: requests on the schedule */
	double		 schedule_span;	/* open loop: last deadline, s */
	double		 last_dispatch;	/* s since start */
	double		 first_measured; /* s: first measured intended time */
	long		 peak_inflight;	/* most requests in flight */
	uint64_t	 connections;	/* connections opened */
	uint64_t	 rx_kernel;	/* response reads timed by the kernel's
					 * receive timestamp */
	uint64_t	 rx_user;	/* ... by the clock at the callback */
	int		 interrupted;	/* stopped by SIGINT */
	uint64_t	 native_attempts; /* attempts over the native client */
	uint64_t	 curl_attempts;	/* ... over libcurl */
	/* The event loop's own lateness, ns (lg_summary_free frees them):
	 * how late timer callbacks ran against their deadlines (schedule,
	 * libcurl, retry, step and tick timers), and how long a socket's
	 * data waited between the kernel's receive timestamp and the
	 * loop's read of it (both transports). */
	struct hist	*loop_timer_lag;
	struct hist	*loop_read_lag;
	uint64_t	 bytes_parsed;	/* response bytes (status and header
					 * lines, body) handed to the parsers */
};

/* Gaps for an open loop: n absolute deadlines in ns from 0, seeded,
 * rescaled so the last lands at n/rate. Caller frees. */
int64_t	*lg_schedule(enum lg_arrival, double rate, double burstiness,
	    uint64_t seed, size_t n);
/* Run the load; 0 when it ran (whatever the requests did), -1 with e set
 * when it could not start. */
int	 lg_run(const struct lg_config *, struct lg_summary *, struct err *);
/* Free what lg_run allocated in a summary (NULL members are fine). */
void	 lg_summary_free(struct lg_summary *);
/* Request an orderly stop (from a signal handler). */
void	 lg_interrupt(void);
/* The class's name in reports ("ok", "rate_limited", ...). */
const char *lg_class_name(enum lg_class);
/* A rate-limit reset value ("20", "1.5", "6m0s", "250ms") in seconds, or
 * NAN when malformed. */
double	 lg_parse_reset(const char *);
/* A 64-bit PRNG step (splitmix64), shared with the workload. */
uint64_t lg_rand(uint64_t *state);
/* A uniform double in [0, 1). */
double	 lg_uniform(uint64_t *state);
/* A standard normal variate. */
double	 lg_normal(uint64_t *state);
/* A gamma(shape, 1) variate. */
double	 lg_gamma(uint64_t *state, double shape);

#endif
