/*
 * modelsim_int.h: the simulator's internals shared by modelsim.c (HTTP and
 * scheduling), modelsim_profile.c (settings, profiles, latency model) and
 * modelsim_text.c (tokenizer, random numbers, lorem text); the unit tests
 * use them too.
 */
#ifndef MAAS_MODELSIM_INT_H
#define MAAS_MODELSIM_INT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"

/* A jitter distribution around a mean. */
enum msim_dist {
	MSIM_DIST_NONE,		/* always the mean */
	MSIM_DIST_UNIFORM,	/* uniform in [mean - w, mean + w], w = spread */
	MSIM_DIST_NORMAL,	/* Gaussian(mean, spread), clamped to mean +- 70 % */
	MSIM_DIST_LOGNORMAL	/* lognormal with this mean and stddev = spread */
};

/* A random delay or count: a mean, a distribution and its spread. */
struct msim_var {
	double		 mean;		/* seconds (delays) or tokens (lengths) */
	double		 spread;	/* stddev, or half width for uniform */
	enum msim_dist	 dist;		/* shape of the jitter */
};

/* Output modes. */
enum msim_mode {
	MSIM_MODE_LOREM,	/* deterministic lorem ipsum from the seed */
	MSIM_MODE_ECHO,		/* the last user message, or the prompt */
	MSIM_MODE_FIXED		/* the configured text */
};

/* Every setting of one simulated model. */
struct msim_config {
	char		*profile;	/* built-in profile it started from */
	enum msim_mode	 mode;		/* output mode */
	char		*text;		/* the text of MSIM_MODE_FIXED */
	int		 reasoning;	/* emit reasoning_content first */
	int		 reasoning_tokens; /* length of the reasoning */
	struct msim_var	 ttft;		/* time to first token, seconds */
	double		 prefill_per_token; /* extra TTFT per prompt token, s */
	struct msim_var	 itl;		/* inter-token latency, seconds */
	double		 load_factor;	/* time-factor-under-load, >= 1 */
	int		 max_num_seqs;	/* sequences decoded at once */
	int		 max_waiting;	/* waiting queue length; full -> 429 */
	int		 max_model_len;	/* prompt + max_tokens limit; 0 none */
	struct msim_var	 output;	/* output length without max_tokens */
	double		 error_rate;	/* fraction of requests failing */
	int		 error_status;	/* status of those failures */
	double		 rate_limit_rate; /* fraction answered 429 */
	int		 rate_limit_first; /* first N requests answered 429 */
	double		 retry_after;	/* Retry-After of 429s, seconds */
	double		 drop_rate;	/* fraction of answers dropped */
	int		 drop_after;	/* tokens sent before a drop */
	double		 header_delay;	/* delay before the status line, s */
	double		 busy_poll;	/* poll the loop from this long before
					   a deadline, s; 0 never, HUGE_VAL
					   always (never sleep) */
	int		 kv_cache;	/* prefix cache on (enable-kvcache) */
	int		 kv_cache_size;	/* blocks it holds per model */
	int		 block_size;	/* tokens per block */
};

/* A small, fast, seedable PRNG (splitmix64 seeded xoshiro256**). */
struct msim_rng {
	uint64_t	 s[4];
};

/* One token: a slice of a text. */
struct msim_piece {
	size_t		 off;		/* byte offset in the text */
	size_t		 len;		/* byte length */
};

/* modelsim_profile.c */
void	 msim_config_init(struct msim_config *);
void	 msim_config_free(struct msim_config *);
/* Apply a settings object over *c (profile first, then the other keys). */
int	 msim_config_apply(struct msim_config *, const cJSON *, struct err *);
/* The built-in profile `name` as a JSON settings object, or NULL. */
const char *msim_profile_json(const char *name);
/* Draw a value of v (never negative). */
double	 msim_var_sample(const struct msim_var *, struct msim_rng *);
/* The load factor of vLLM/llm-d: 1 + (f - 1)(running - 1)/(seqs - 1). */
double	 msim_load_factor(const struct msim_config *, int running);
/* The time to first token for a prompt with `running` sequences active. */
double	 msim_ttft(const struct msim_config *, struct msim_rng *,
	    int prompt_tokens, int running);
/* One inter-token latency with `running` sequences active. */
double	 msim_itl(const struct msim_config *, struct msim_rng *, int running);

/* modelsim_cache.c: the prefix cache (an LRU of chained block hashes). */
struct msim_cache;
struct msim_cache *msim_cache_new(size_t blocks);
void	 msim_cache_free(struct msim_cache *);
size_t	 msim_cache_capacity(const struct msim_cache *);
/* Blocks resident now. */
size_t	 msim_cache_used(const struct msim_cache *);
void	 msim_cache_stats(const struct msim_cache *, uint64_t *queries,
	    uint64_t *hits);
/* How many lead blocks are resident; then store every block. */
size_t	 msim_cache_lookup(struct msim_cache *, const uint64_t *blocks,
	    size_t n);
/* The chained hashes of a body's cacheable prompt blocks (caller frees). */
size_t	 msim_prompt_blocks(const cJSON *body, int chat, int block_size,
	    uint64_t **out);

/* The cached tokens of a request; makes the model's cache *cp on demand. */
int	 msim_cache_request(struct msim_cache **cp, const struct msim_config *,
	    const cJSON *body, int chat);

/* Batched token sends through io_uring (modelsim_send.c). */
struct msim_ring;
struct msim_ring *msim_ring_new(void);
void	 msim_ring_free(struct msim_ring *);
unsigned msim_ring_queued(const struct msim_ring *);
int	 msim_ring_broken(const struct msim_ring *);
int	 msim_ring_send(struct msim_ring *, int, const void *, size_t,
	    void *);
unsigned msim_ring_flush(struct msim_ring *, void (*)(void *, int));

/* modelsim_arrival.c: requests' receive times from the kernel. */
struct event_base;
struct evhttp;
struct evhttp_request;
struct msim_arrivals;
/* Watch the arrivals of requests on http's connections (sets its
 * bufferevent callback; gives base two priorities). */
struct msim_arrivals *msim_arrivals_new(struct event_base *, struct evhttp *,
	    struct err *);
void	 msim_arrivals_free(struct msim_arrivals *);
/* The receive time (monotonic s) of req's first byte, once: 0, or -1. */
int	 msim_arrivals_take(struct msim_arrivals *, struct evhttp_request *,
	    double *at);

/* modelsim_text.c */
void	 msim_rng_seed(struct msim_rng *, uint64_t);
uint64_t msim_rng_next(struct msim_rng *);
/* A uniform double in [0, 1). */
double	 msim_rng_double(struct msim_rng *);
/* A standard normal deviate. */
double	 msim_rng_normal(struct msim_rng *);
/* Split text into tokens; returns the count, *out (may be NULL) owned. */
size_t	 msim_tokenize(const char *text, size_t len, struct msim_piece **out);
/* The number of tokens of a text. */
size_t	 msim_count_tokens(const char *text);
/* Append exactly n tokens of lorem text drawn from rng to a new string. */
char	*msim_lorem(struct msim_rng *, size_t n);

#endif
