/*
 * workload.h: what `maasctl bench` sends: request bodies for the load
 * engine (loadgen.h) from synthetic length distributions or a dataset
 * (JSONL prompts or ShareGPT conversations), deterministic from one seed
 * and the request number.
 *
 * Synthetic prompts are words of a fixed vocabulary, one token each under
 * the sandbox simulator's counting rule (leading space + word); the server's
 * usage.prompt_tokens is what reports count.  Output length is asked with
 * max_tokens (and ignore_eos, vLLM's way to force it, unless turned off).
 */
#ifndef MAAS_WORKLOAD_H
#define MAAS_WORKLOAD_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "loadgen.h"

struct strbuf;

/* A length distribution. */
struct wl_dist {
	int		 kind;		/* WL_FIXED, WL_UNIFORM, WL_NORMAL */
	double		 a, b;		/* fixed: a; uniform: [a, b];
					 * normal: mean a, stddev b */
};
#define WL_FIXED	0
#define WL_UNIFORM	1
#define WL_NORMAL	2

/* One dataset entry. */
struct wl_item {
	char		*prompt;	/* prompt text, or NULL */
	cJSON		*messages;	/* chat messages, or NULL */
	long		 max_tokens;	/* output tokens, -1: from --output */
};

/* One request of a replayed trace (--trace). */
struct wl_trace_item {
	int64_t		 at;		/* intended time, ns from the first */
	long		 in;		/* input tokens (when no prompt) */
	long		 out;		/* output tokens, -1: from --output */
	uint64_t	*hash;		/* prefix block ids, or NULL */
	size_t		 nhash;
	char		*prompt;	/* literal prompt, or NULL */
	size_t		 ord;		/* line order in the file */
};

/* A trace: JSONL in the Mooncake format, one request a line:
 * {"timestamp": MS, "input_length": N, "output_length": M,
 *  "hash_ids": [..]} ("prompt" may replace input_length). */
struct wl_trace {
	struct wl_trace_item *v;	/* in timestamp order */
	size_t		 n;
	double		 span;		/* s from the first to the last */
};
#define WL_TRACE_BLOCK	512		/* tokens per hash id (Mooncake) */

struct workload {
	const char	*model;		/* model id */
	int		 chat;		/* /chat/completions or /completions */
	int		 stream;	/* stream: true */
	int		 ignore_eos;	/* send ignore_eos: true */
	int		 continuous_usage; /* stream_options.continuous_usage_stats */
	int		 shared_prompt;	/* one prompt for every request */
	long		 prefix_groups;	/* shared-prefix groups, 0: none */
	long		 prefix_tokens;	/* tokens of each group's prefix */
	int		 cache_bust;	/* a unique word opens every prompt */
	long		 turns;		/* multi-turn: turns per conversation
					 * (0: single requests) */
	long		 sessions;	/* conversations in progress at once,
					 * their turns interleaved */
	const struct wl_trace *trace;	/* replayed trace, or NULL */
	const cJSON	*extra;		/* further body fields, or NULL */
	struct wl_dist	 in, out;	/* synthetic lengths */
	struct wl_item	*items;		/* dataset, or NULL */
	size_t		 nitems;
	uint64_t	 seed;
	char		*model_owned;	/* model set by a class (owned) */
	int		 items_borrowed; /* items belong to another workload */
	char		*cached;	/* the shared body */
	size_t		 cached_len;
	/* Synthetic prompts calibrated against the server's /tokenize
	 * (bench --tokenize): a prompt meant to count T server tokens gets
	 * round((T - in_overhead) * in_words_per_token) words; 0: T words. */
	double		 in_words_per_token;
	double		 in_overhead;
	int		 token_ids;	/* completions: synthetic prompts as
					 * token-id arrays of the drawn length */
};

/* Parse "128", "uniform:64:256" or "normal:128:32". */
int	 wl_parse_dist(const char *, const char *what, struct wl_dist *,
	    struct err *);
/* Load a dataset: a JSON array of ShareGPT conversations or JSONL of
 * {"prompt"|"messages", "max_tokens"?}. */
int	 wl_load(struct workload *, const char *path, struct err *);
/* Load a trace; time_scale multiplies its offsets. */
int	 wl_trace_load(struct wl_trace *, const char *path,
	    double time_scale, struct err *);
/* The trace's schedule: n deadlines in ns (caller frees). */
int64_t	*wl_trace_schedule(const struct wl_trace *);
void	 wl_trace_free(struct wl_trace *);
/* Multi-turn: the conversation and turn of request seq. */
void	 wl_session_of(const struct workload *, uint64_t seq, long *session,
	    long *turn);
/* The body of turn `turn` (from 0) of conversation `session`. */
int	 wl_turn_body(struct workload *, long session, long turn,
	    struct lg_body *);
/* The body of request seq (an lg_body_fn). */
int	 wl_body(void *workload, uint64_t seq, struct lg_body *,
	    struct err *);
/* A description for the report. */
cJSON	*wl_describe(const struct workload *, const char *dataset);
void	 wl_free(struct workload *);
/* n words of the synthetic prompts' vocabulary drawn from *rng. */
void	 wl_words(struct strbuf *, long n, uint64_t *rng);
/* The words a synthetic prompt of `tokens` server tokens gets. */
long	 wl_words_for(const struct workload *, long tokens);
/* Tokens of a text under the simulator's documented rule. */
long	 wl_count_tokens(const char *);


/* A weighted mix of workload classes (--class): each request picks a
 * class by weight from the seed and its number. */
struct wl_mix {
	struct workload	*w;		/* one workload per class */
	char		**names;	/* class names */
	char		**urls;		/* request URL per class */
	double		*cum;		/* cumulative weights, last = total */
	size_t		 n;
	uint64_t	 seed;
};

/* Parse one --class "name=N,weight=W,model=M,endpoint=chat|completions,
 * stream=true|false,input=DIST,output=DIST,dataset=FILE,prefix-groups=N,
 * prefix-tokens=N" over the defaults in *w. */
int	 wl_parse_class(const char *spec, struct workload *w, char **name,
	    double *weight, struct err *);
/* The body of request seq from the mix (an lg_body_fn). */
int	 wl_mix_body(void *mix, uint64_t seq, struct lg_body *, struct err *);
#endif
