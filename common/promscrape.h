/*
 * promscrape.h: scrape a model server's Prometheus /metrics (vLLM metric
 * names) before, during and after a `maasctl bench` run.
 *
 * A scraper takes one sample before the run (synchronously: a server
 * that cannot be scraped is an error before any load is sent), then one
 * per interval from its own thread (the load engine's event loop never
 * waits on it), then one after the run.  A sample holds the values of the
 * metrics below summed over their label sets (every model, every
 * engine), with its CLOCK_MONOTONIC time.  ps_derive() turns two samples
 * into per-interval figures: the gauges as last read, counters and
 * histogram sums as rates and means over the interval.
 */
#ifndef MAAS_PROMSCRAPE_H
#define MAAS_PROMSCRAPE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "http.h"

/* The raw series read from /metrics. */
enum ps_metric {
	PS_RUNNING = 0,		/* vllm:num_requests_running (gauge) */
	PS_WAITING,		/* vllm:num_requests_waiting (gauge) */
	PS_KV_USAGE,		/* vllm:kv_cache_usage_perc, 0..1 (gauge) */
	PS_PREFIX_QUERIES,	/* vllm:prefix_cache_queries_total */
	PS_PREFIX_HITS,		/* vllm:prefix_cache_hits_total */
	PS_PROMPT_TOKENS,	/* vllm:prompt_tokens_total */
	PS_GEN_TOKENS,		/* vllm:generation_tokens_total */
	PS_SUCCESS,		/* vllm:request_success_total */
	PS_QUEUE_SUM,		/* vllm:request_queue_time_seconds_sum */
	PS_QUEUE_COUNT,		/* ..._count */
	PS_PREFILL_SUM,		/* vllm:request_prefill_time_seconds_sum */
	PS_PREFILL_COUNT,
	PS_DECODE_SUM,		/* vllm:request_decode_time_seconds_sum */
	PS_DECODE_COUNT,
	PS_TTFT_SUM,		/* vllm:time_to_first_token_seconds_sum */
	PS_TTFT_COUNT,
	PS_E2E_SUM,		/* vllm:e2e_request_latency_seconds_sum */
	PS_E2E_COUNT,
	PS_NMETRIC
};

/* Per-interval figures derived from two samples. */
enum ps_derived {
	PSD_RUNNING = 0,	/* requests running (last read) */
	PSD_WAITING,		/* requests waiting (last read) */
	PSD_KV_USAGE,		/* KV cache usage, 0..1 (last read) */
	PSD_PREFIX_HIT_RATE,	/* prefix cache hits / queries */
	PSD_QUEUE_MS,		/* mean queue time of requests, ms */
	PSD_PREFILL_MS,		/* mean prefill time, ms */
	PSD_DECODE_MS,		/* mean decode time, ms */
	PSD_TTFT_MS,		/* mean server-side TTFT, ms */
	PSD_GEN_TOKENS_PER_S,	/* generation tokens per second */
	PSD_NDERIVED
};

/* One scrape: values (NAN when absent) and when it was taken. */
struct ps_sample {
	int64_t		 t;		/* CLOCK_MONOTONIC, ns */
	double		 v[PS_NMETRIC];
};

struct ps_scraper;

/* The Prometheus name of a raw series (without _sum/_count for the
 * histograms' pairs: "vllm:request_queue_time_seconds_sum"). */
const char	*ps_metric_name(enum ps_metric);
/* The report name of a derived figure ("server_queue_time_ms", ...). */
const char	*ps_derived_name(enum ps_derived);
/* Its definition, one sentence. */
const char	*ps_derived_def(enum ps_derived);
/* Parse Prometheus text exposition into *s (t untouched); the number of
 * known series found. */
size_t		 ps_parse(const char *text, size_t len, struct ps_sample *);
/* Per-interval figures from a to b (NAN where undefined). */
void		 ps_derive(const struct ps_sample *a, const struct ps_sample *b,
		    double out[PSD_NDERIVED]);
/* Take the "before" sample of url with client c (copied) and start
 * scraping every interval seconds; NULL with e set when the first scrape
 * fails or finds none of the vLLM series. */
struct ps_scraper *ps_start(const char *url, const struct http_client *c,
		    double interval, struct err *e);
/* The newest sample so far (0), or -1 when none. */
int		 ps_latest(struct ps_scraper *, struct ps_sample *);
/* Stop the thread and take the "after" sample (a failure is counted). */
void		 ps_stop(struct ps_scraper *);
/* Samples taken (before, during, after), in order, and their count. */
const struct ps_sample *ps_samples(const struct ps_scraper *, size_t *n);
/* Scrapes that failed, and the first failure's message (or NULL). */
size_t		 ps_errors(const struct ps_scraper *, const char **first);
void		 ps_free(struct ps_scraper *);
/* The report's "server_metrics" member: the URL, scrapes and failures,
 * the raw values before and after the run, the run's figures (before to
 * after) and the definitions of the per-second columns. */
cJSON		*ps_report(const struct ps_scraper *);

#endif
