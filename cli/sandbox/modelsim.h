/*
 * modelsim.h: the sandbox's OpenAI-compatible model simulator.
 *
 * A simulator answers /v1/chat/completions, /v1/completions and /v1/models
 * the way vLLM does, for any number of configured models, on the caller's
 * libevent event_base: one loop, one timer for all requests (a deadline
 * heap), no threads.  A model with the busy-poll setting makes the loop
 * poll (turns with a zero timeout) instead of sleeping until deadlines,
 * trading a core for the machine's wake-up latency.  Each model has its own latency model (time to first
 * token, inter-token latency, jitter, max-num-seqs slots with a FIFO
 * waiting queue, slowdown under load), output mode (lorem, echo, fixed
 * text) and failure injection.
 * The configuration of a model is a cJSON object whose keys are the
 * suffixes of the LLMInferenceService annotations "maas.sandbox/<key>"
 * (see maasctl-sandbox(1), MODEL SIMULATOR).
 */
#ifndef MAAS_MODELSIM_H
#define MAAS_MODELSIM_H

#include <cjson/cJSON.h>

#include "err.h"

struct event_base;
struct evhttp;
struct evhttp_request;
struct modelsim;

/* Counters of one simulator, for tests and metrics. */
struct modelsim_stats {
	unsigned long	 requests;	/* requests handled, any outcome */
	unsigned long	 running;	/* sequences holding a slot now */
	unsigned long	 waiting;	/* requests in waiting queues now */
	unsigned long	 completed;	/* answers finished normally */
	unsigned long	 failed;	/* errors sent (4xx/5xx), drops */
	unsigned long	 cancelled;	/* clients that went away */
	unsigned long	 tokens;	/* completion tokens sent */
	unsigned long	 late_p50_us;	/* how late token timers fired: */
	unsigned long	 late_p99_us;	/* median, p99 and max, in */
	unsigned long	 late_max_us;	/* microseconds */
	unsigned long	 polls;		/* loop turns taken to busy-poll
					   (busy-poll setting) */
	unsigned long	 stamped;	/* requests timed from the kernel's
					   receive time (watched arrivals) */
	unsigned long	 intake_p50_us;	/* of those, how long from arrival */
	unsigned long	 intake_p99_us;	/* to the handler: median, p99 */
	unsigned long	 intake_max_us;	/* and max, microseconds */
	unsigned long	 batched_sends;	/* 1: token writes batch through
					   io_uring; 0: a writev() each */
	unsigned long	 ring_sends;	/* chunks sent in those batches */
	unsigned long	 ring_flushes;	/* batches (one system call each) */
	unsigned long	 ring_short;	/* of the chunks, those the socket
					   did not take whole (the rest
					   queued behind in its buffer) */
	/* For /metrics (modelsim_metrics.c, vLLM's names): */
	unsigned long	 admitted;	/* requests given a slot */
	double		 queue_time;	/* their seconds in the waiting queue */
	unsigned long	 prompt_tokens;	/* prompt tokens of admitted requests */
	unsigned long	 timed;		/* answers finished normally ... */
	double		 prefill_time;	/* ... their slot-to-first-token s */
	double		 decode_time;	/* ... first-to-last-token s */
	unsigned long	 cache_queries;	/* prefix cache blocks looked up */
	unsigned long	 cache_hits;	/* of them resident */
	unsigned long	 cache_used;	/* blocks resident now */
	unsigned long	 cache_capacity; /* blocks the caches hold at most */
};

/* Create a simulator with no models on base. */
struct modelsim	*modelsim_new(struct event_base *, struct err *);
/* Free a simulator; in-flight requests are closed. */
void		 modelsim_free(struct modelsim *);
/*
 * Add or replace the model `name` with the settings in config (an object
 * of "maas.sandbox/" annotation suffixes to values, strings or numbers;
 * NULL for the defaults).  Requests in flight keep their old settings.
 */
int		 modelsim_set_model(struct modelsim *, const char *name,
		    const cJSON *config, struct err *);
/* Remove a model; its in-flight and queued requests are closed. */
int		 modelsim_remove_model(struct modelsim *, const char *name,
		    struct err *);
/*
 * Answer one HTTP request: POST .../chat/completions, POST .../completions
 * or GET .../models (any path prefix).  When model is not NULL the gateway
 * has already routed the request to that model; otherwise the body's
 * "model" picks it.  The reply is always sent (perhaps later, by timers).
 * TTFT counts from the request's arrival: the kernel's receive time of
 * its first byte when its connection came through an evhttp given to
 * modelsim_watch_arrivals(), else the start of the event loop's turn that
 * delivered it (its cached time: create the base with
 * EVENT_BASE_FLAG_PRECISE_TIMER for microseconds), never from the call.
 */
void		 modelsim_handle(struct modelsim *, struct evhttp_request *,
		    const char *model);
/*
 * How a request given to modelsim_handle_cb() ended: the HTTP status sent
 * (0 when the connection closed or was dropped before a status line) and
 * usage.total_tokens as the client received it (-1 when the answer
 * carried no usage: an error, a stream without its usage chunk, a drop).
 */
typedef void	(*modelsim_done_fn)(void *arg, int status, long total_tokens);
/* modelsim_handle() that calls done(arg, ...) exactly once when the
 * request is over, however it ends (also when the simulator is freed). */
void		 modelsim_handle_cb(struct modelsim *, struct evhttp_request *,
		    const char *model, modelsim_done_fn done, void *arg);
/*
 * Write token chunks in io_uring batches, one system call for the tokens
 * due in a wake-up (on, the default where the kernel allows it), or one
 * writev() each (off); -1 when io_uring is not available.
 */
int		 modelsim_set_batched_sends(struct modelsim *, int on,
		    struct err *);
/*
 * Count TTFT from the kernel's receive time (SO_TIMESTAMPNS) of the first
 * byte of each request coming through http, as a real server's arrival
 * time, instead of the loop turn that read it: a request that waits for a
 * busy loop is not given a longer TTFT.  Sets http's bufferevent callback
 * (plain HTTP only) and gives the base two event priorities, the peek at
 * new data running before the reads (the base must have no active events
 * yet).  Call once, before http accepts connections.
 */
int		 modelsim_watch_arrivals(struct modelsim *, struct evhttp *,
		    struct err *);
/* Answer GET .../metrics: the counters as Prometheus text with vLLM's
 * metric names (modelsim_metrics.c). */
void		 modelsim_metrics_reply(const struct modelsim *,
		    struct evhttp_request *);
/* Fill *st with the simulator's counters. */
void		 modelsim_get_stats(const struct modelsim *,
		    struct modelsim_stats *st);
/*
 * Check one model setting (an annotation suffix such as "busy-poll" and its
 * value as a string) the way modelsim_set_model() would: 0 when valid,
 * else -1 and "setting KEY: why" in e.
 */
int		 modelsim_check_setting(const char *key, const char *value,
		    struct err *);
/* The names of the built-in profiles, NULL terminated. */
const char	*const *modelsim_profile_names(void);

#endif
