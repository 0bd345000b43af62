/*
 * benchmetrics.h: what `maasctl bench` measures, from per-request results
 * of the load engine (loadgen.h) to the versioned JSON report.
 *
 * Every latency and length is kept in a log-linear histogram (hist.h):
 * bounded memory, exact merge, any percentile.  A metric set holds the
 * histograms and counters of the whole run and of each workload class;
 * its state exports to JSON and imports back, so `bench merge` combines
 * runs exactly.  The report (bm_report) carries the definitions and units
 * of every metric, throughput, goodput against SLOs, the load achieved
 * against the load offered, token accounting from three sources and the
 * run's validity verdict.  Per-request NDJSON (--raw) and the per-second
 * time series are written here too, as results arrive.
 */
#ifndef MAAS_BENCHMETRICS_H
#define MAAS_BENCHMETRICS_H

#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "loadgen.h"
#include "promscrape.h"

#define BM_SCHEMA	"maasctl.bench/v1"

/* The measured distributions. */
enum bm_metric {
	BM_TTFB = 0,	/* first byte (status line), from send */
	BM_TTFT,	/* first content or reasoning delta, from send */
	BM_TTFO,	/* first non-reasoning content, from send */
	BM_TPOT,	/* (last - first token) / (tokens - 1), per request */
	BM_NTPOT,	/* e2e / tokens, per request */
	BM_ITL_CHUNK,	/* every gap between content chunks */
	BM_ITL_TOKEN,	/* every gap between tokens (0 inside a chunk) */
	BM_E2E,		/* request end, from send */
	BM_TTFT_SCHED,	/* first token, from the intended time */
	BM_E2E_SCHED,	/* request end, from the intended time */
	BM_LAG,		/* dispatch lag: dispatched - intended */
	BM_CONNECT,	/* libcurl connect time (new connections) */
	BM_IN_TOK,	/* prompt tokens per request */
	BM_OUT_TOK,	/* output tokens per request */
	BM_CACHED_TOK,	/* prompt tokens served by a prefix cache */
	BM_TTFT_HIT,	/* TTFT of requests with cached tokens */
	BM_TTFT_MISS,	/* TTFT of requests without (cache reported) */
	BM_TPOT_TOKW,	/* TPOT, each request counted tokens - 1 times */
	BM_NTPOT_TOKW,	/* NTPOT, each request counted tokens times */
	BM_ITL_CHUNK_REQ, /* mean chunk gap per request */
	BM_NMETRIC
};

/* Service level objectives; 0 = not set.  Seconds. */
struct bm_slo {
	double		 ttft;
	double		 tpot;
	double		 itl;		/* worst chunk gap of the request */
	double		 e2e;
	double		 attainment;	/* share of good requests required */
};

/* Validity thresholds. */
struct bm_limits {
	double		 min_achieved;	/* achieved/offered, default 0.98 */
	double		 max_lag;	/* p99 dispatch lag, s (default 1 ms) */
	double		 max_cpu;	/* client CPU share, default 0.9 */
	double		 max_token_mismatch; /* share of requests, 0.01 */
	double		 max_loop_lag;	/* p99 event-loop timer lag, s;
					 * 0: not checked */
};

/* Counters and histograms of a set of requests. */
struct bm_set {
	struct hist	*h[BM_NMETRIC];
	uint64_t	 sent;		/* measured requests finished */
	uint64_t	 ok;		/* of them succeeded */
	uint64_t	 good;		/* succeeded within every SLO */
	uint64_t	 klass[LG_NCLASS]; /* by outcome */
	uint64_t	 throttled;	/* 429/503 answers, retries included */
	uint64_t	 retries;	/* attempts beyond the first */
	uint64_t	 waited;	/* waited for the in-flight cap */
	uint64_t	 in_tokens;	/* prompt tokens of ok requests */
	uint64_t	 out_tokens;	/* output tokens of ok requests */
	uint64_t	 good_out_tokens; /* output tokens of good requests */
	uint64_t	 usage_missing;	/* ok requests without server usage */
	uint64_t	 chunk_usage_reqs; /* requests with per-chunk usage */
	uint64_t	 chunk_usage_mismatch; /* per-chunk sum != usage */
	uint64_t	 chunks_exceed;	/* more content chunks than tokens */
	uint64_t	 multi_token_chunks; /* fewer chunks than tokens */
	uint64_t	 reused;	/* requests on a reused connection */
	uint64_t	 cache_reqs;	/* ok requests whose usage reported
					 * prompt_tokens_details.cached_tokens */
	uint64_t	 cache_hit_reqs; /* of them with cached tokens > 0 */
	uint64_t	 cached_tokens;	/* their cached prompt tokens */
	uint64_t	 cache_in_tokens; /* their prompt tokens */
	uint64_t	 text_chunks;	/* streamed chunks with content */
	uint64_t	 reasoning_chunks; /* ... with reasoning */
	uint64_t	 tool_call_chunks; /* ... with tool-call deltas */
	uint64_t	 reasoning_reqs; /* ok requests with reasoning */
	uint64_t	 tool_call_reqs; /* ... with tool calls */
	uint64_t	 tool_calls;	/* message.tool_calls, non-streamed */
	int64_t		 t_first;	/* first measured intended time, ns */
	int64_t		 t_last;	/* last measured end, ns */
};

/* The values one recorded response header took (--record-header). */
struct bm_hdr {
	char		*name;		/* header name as given */
	char		**vals;		/* distinct values seen */
	uint64_t	*counts;	/* measured requests per value */
	struct bm_set	*sets;		/* every metric per value */
	size_t		 n;
	uint64_t	 missing;	/* measured requests without it */
	uint64_t	 other;		/* requests beyond BM_HDR_MAX values */
};
#define BM_HDR_MAX	64

/* One stage of a staged run (--stages): requests belong to the stage of
 * their intended time. */
struct bm_stage {
	char		*spec;		/* as given, e.g. "10@30s" */
	double		 start, end;	/* seconds since the start */
	double		 from, to;	/* concurrency or rate at both ends */
	uint64_t	 offered;	/* open loop: requests scheduled */
	struct bm_set	 set;
};

/* One workload class's current second, for the per-class series (its
 * memory is bounded: one histogram per class, reset every second). */
struct bm_csec {
	struct hist	*ttft;		/* TTFT of this second's requests */
	uint64_t	 err, throttled, admitted, good; /* this second's */
	struct lg_cls_count prev;	/* the engine's counts at the last
					 * tick */
	cJSON		*series;	/* the class's rows for the report */
};

/* The accumulated measurements of a run. */
struct bm {
	struct bm_set	 all;		/* every measured request */
	struct bm_set	*cls;		/* per workload class */
	char		**cls_names;	/* class names (owned) */
	size_t		 ncls;
	uint64_t	 warmup;	/* warm-up requests finished */
	struct bm_slo	 slo;
	struct bm_slo	*cls_slo;	/* per class (--class ttft=...), or
					 * NULL: slo for every class */
	struct bm_hdr	*hdr;		/* recorded response headers */
	size_t		 nhdr;
	struct bm_set	*turn;		/* multi-turn: per turn, or NULL */
	size_t		 nturn;
	struct bm_stage	*stg;		/* stages, or NULL */
	size_t		 nstg;
	int		 stg_rate;	/* stages are rates (else concurrency) */
	int		 open_loop;
	uint64_t	 seed;		/* the run's seed (in --raw) */
	const uint64_t	*seq_map;	/* --raw seq of engine request i (a
					 * replay's original numbers), or NULL */
	size_t		 nseq_map;
	FILE		*raw;		/* per-request NDJSON, or NULL */
	const char	*raw_path;	/* its name (for rotation) */
	long		 raw_rotate;	/* rotate at this size, bytes; 0 never */
	long		 raw_keep;	/* rotated parts kept; 0 all */
	long		 raw_parts;	/* rotations done */
	long		 raw_dropped;	/* oldest parts removed */
	char		*raw_err;	/* why the raw stream stopped, or NULL */
	FILE		*ts;		/* per-second series, or NULL */
	int		 ts_csv;	/* series as CSV (else NDJSON) */
	struct hist	*sec_ttft;	/* TTFT of the current second */
	uint64_t	 sec_done, sec_err, sec_throttled;
	uint64_t	 sec_admitted, sec_good; /* this second's */
	double		 sec_rl[LG_RL_N]; /* quota: least remaining and reset,
					 * largest limit this second (NAN) */
	uint64_t	 rl_responses;	/* answers with rate-limit headers */
	double		 rl_min[LG_RL_N]; /* least of each over the run */
	double		 rl_last[LG_RL_N]; /* as last seen */
	struct lg_tick	 prev;		/* the previous tick */
	cJSON		*series;	/* per-second rows for the report */
	struct bm_csec	*csec;		/* per class (ncls > 1), or NULL */
	char		*err_first[LG_NCLASS]; /* first message per class */
	int		 srv_on;	/* rows carry the scraped server
					 * figures (--server-metrics) */
	double		 srv[PSD_NDERIVED]; /* this second's, NAN unknown */
	/* Live figures for the progress line. */
	double		 live_rps, live_tps;
	uint64_t	 errors;	/* failed requests so far */
};

/* Set up (ncls >= 1 class names, copied). */
void	 bm_init(struct bm *, const char *const *cls_names, size_t ncls);
void	 bm_free(struct bm *);
/* Give class cls its own objectives (a copy). */
void	 bm_set_class_slo(struct bm *, size_t cls, const struct bm_slo *);
/* Record these response headers (names copied, in lg_config order). */
void	 bm_set_headers(struct bm *, const char *const *names, size_t n);
/* Append a stage [start, end) seconds, its load going from `from` to `to`
 * (rates when rate is set, else concurrency), offered requests scheduled. */
void	 bm_add_stage(struct bm *, const char *spec, double start,
	    double end, double from, double to, int rate, uint64_t offered);
/* Keep metrics per turn of n-turn conversations too. */
void	 bm_set_turns(struct bm *, size_t n);
/* Account one finished request. */
void	 bm_add(struct bm *, const struct lg_result *);
/* The per-second tick: write a series row. */
void	 bm_tick(struct bm *, const struct lg_tick *);
/* Whether a result met every SLO (successful requests only). */
int	 bm_good(const struct bm_slo *, const struct lg_result *);

/* Run facts the report carries beside the measurements. */
struct bm_run {
	const char	*command;	/* redacted command line */
	const char	*target;	/* base URL */
	const char	*model;
	const char	*mode;		/* "closed" or "open" */
	const char	*stages;	/* --stages as given, or NULL */
	const char	*trace;		/* --trace file, or NULL */
	long		 concurrency;
	double		 rate;		/* offered, requests/s; 0 closed */
	const char	*arrival;
	double		 burstiness;
	long		 max_inflight;
	uint64_t	 seed;
	long		 requests;
	double		 duration;
	long		 warmup;
	int		 stream;
	const char	*started_at;	/* UTC ISO 8601 */
	const double	*percentiles;	/* to report */
	size_t		 npercentiles;
	cJSON		*calibration;	/* ceiling of this machine, or NULL */
	cJSON		*workload;	/* workload description, or NULL */
};

/* The versioned JSON report. */
cJSON	*bm_report(const struct bm *, const struct lg_summary *,
	    const struct bm_run *, const struct bm_limits *);
/* The validity verdict of a report: 1 valid, 0 INVALID. */
int	 bm_report_valid(const cJSON *report);
/* Whether the report's SLOs were met (1 when none were set). */
int	 bm_report_slo_met(const cJSON *report);
/* Rebuild a set's state from a report's "state" member (for merge). */
int	 bm_set_import(struct bm_set *, const cJSON *state, struct err *);
cJSON	*bm_set_export(const struct bm_set *);
/* Add a report's saved "state" into b, whose classes, stages, turns and
 * recorded headers are set up like the report's. */
int	 bm_merge_state(struct bm *, const cJSON *state, struct err *);
/* Add src into dst. */
int	 bm_set_merge(struct bm_set *dst, const struct bm_set *src,
	    struct err *);
void	 bm_set_init(struct bm_set *);
void	 bm_set_free(struct bm_set *);
/* The metric's report name ("ttft", "itl_chunk", ...). */
const char *bm_metric_name(enum bm_metric);
/* Parse "50,90,99.9" into at most max percentiles. */
int	 bm_parse_percentiles(const char *, double *out, size_t max,
	    size_t *n, struct err *);
/* Parse "ttft=200ms,tpot=50ms,e2e=2s,attainment=0.99". */
int	 bm_parse_slo(const char *, struct bm_slo *, struct err *);
/* Whether any objective (ttft, tpot, itl, e2e) is set. */
int	 bm_slo_set(const struct bm_slo *);

#endif
