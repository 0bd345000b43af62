/*
 * benchmetrics.c: per-request results into histograms and counters, the
 * per-second series, the raw NDJSON stream and the versioned JSON report
 * with its validity verdict (see benchmetrics.h).
 */
#include <sys/utsname.h>

#include <errno.h>
#include <stddef.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "benchmetrics.h"
#include "duration.h"
#include "hist.h"
#include "json.h"
#include "xalloc.h"

/* 2^-(10-1): reported values within 0.2 % (0.1 ms at 50 ms). */
#define BM_SIGBITS	10

static const struct {
	const char	*name;
	const char	*unit;
	const char	*def;
} metric_info[BM_NMETRIC] = {
	{ "ttfb", "ms", "time to first byte: status line received - request "
	  "sent (this attempt)" },
	{ "ttft", "ms", "time to first token: first chunk with content, "
	  "reasoning or a tool-call delta (role-only and usage-only chunks "
	  "excluded) - request sent; a whole (non-streamed) answer: its last "
	  "byte" },
	{ "ttfo", "ms", "time to first output token: first non-reasoning "
	  "chunk (content or a tool-call delta) - request sent" },
	{ "tpot", "ms", "time per output token, per request: (last token - "
	  "first token) / (output tokens - 1); vLLM TPOT, AIPerf ITL" },
	{ "ntpot", "ms", "normalized time per output token, per request: "
	  "e2e / output tokens (includes TTFT)" },
	{ "itl_chunk", "ms", "every gap between consecutive content chunks, "
	  "pooled; vLLM ITL, AIPerf ICL" },
	{ "itl_token", "ms", "every gap between consecutive tokens (0 inside a "
	  "multi-token chunk), from per-chunk usage or one token per chunk "
	  "when counts agree; inference-perf ITL" },
	{ "e2e", "ms", "end to end: response complete - request sent" },
	{ "ttft_from_schedule", "ms", "open loop: first token - intended "
	  "send time (corrects coordinated omission)" },
	{ "e2e_from_schedule", "ms", "open loop: response complete - "
	  "intended send time" },
	{ "dispatch_lag", "ms", "open loop: request handed to libcurl - "
	  "intended send time" },
	{ "connect", "ms", "TCP (+TLS) connect time of new connections "
	  "(libcurl)" },
	{ "input_tokens", "tokens", "prompt tokens per request (server "
	  "usage.prompt_tokens)" },
	{ "output_tokens", "tokens", "output tokens per request (server "
	  "usage.completion_tokens, else per-chunk usage, else content "
	  "chunks)" },
	{ "cached_tokens", "tokens", "prompt tokens served by the server's "
	  "prefix cache per request (usage.prompt_tokens_details."
	  "cached_tokens; only requests whose usage reports it)" },
	{ "ttft_cache_hit", "ms", "time to first token of requests with "
	  "cached prompt tokens (cached_tokens > 0)" },
	{ "ttft_cache_miss", "ms", "time to first token of requests whose "
	  "usage reported cached_tokens = 0" },
	{ "tpot_token_weighted", "ms", "tpot weighted per token: each "
	  "request's (last token - first token) / (output tokens - 1) "
	  "counted output tokens - 1 times; GuideLLM inter_token_latency" },
	{ "ntpot_token_weighted", "ms", "ntpot weighted per token: each "
	  "request's e2e / output tokens counted output tokens times; "
	  "GuideLLM time_per_output_token (which ends at the last token)" },
	{ "itl_chunk_request_mean", "ms", "itl_chunk weighted per request: "
	  "the mean gap between content chunks of each request" },
};

/*
 * The same word means different things (BENCH-ANCHORS 2.6): what each
 * tool calls a quantity, and the names this report gives it.
 */
static const struct {
	const char	*quantity, *maasctl, *vllm, *guidellm, *iperf, *aiperf,
			*llmperf;
} mapping[] = {
	{ "(last token - first token) / (tokens - 1)",
	  "tpot (per request), tpot_token_weighted (per token)", "TPOT",
	  "ITL (per token)", "TPOT", "ITL", "-" },
	{ "latency / tokens, TTFT included",
	  "ntpot (per request), ntpot_token_weighted (per token)", "-",
	  "TPOT (to the last token, per token)", "NTPOT",
	  "- (e2e output token throughput is its inverse)",
	  "about ITL (divided by chunks)" },
	{ "every gap between content chunks",
	  "itl_chunk (per chunk), itl_chunk_request_mean (per request)",
	  "ITL", "-", "-", "ICL", "-" },
	{ "every gap between tokens, 0 inside a chunk", "itl_token (per token)",
	  "-", "-", "ITL", "-", "-" },
	{ "TTFT stops on",
	  "ttft: first content, reasoning or tool-call delta (role-only and "
	  "usage-only chunks excluded); ttfo: first non-reasoning delta; "
	  "ttfb: first byte", "any choices chunk, role-only too",
	  "first text, reasoning or tool delta", "first content chunk",
	  "first non-empty content (TTFO: first non-reasoning)",
	  "first delta.content" },
	{ "aggregate weighting", "named with each metric (weighting below)",
	  "TPOT per request; ITL per chunk", "TPOT and ITL per token",
	  "TPOT per request; ITL per token", "ITL per request; ICL per chunk",
	  "per request" },
};

/* Which definition each headline figure uses, and every metric's
 * weighting. */
static cJSON *
definitions_json(void)
{
	static const char *const head[][2] = {
		{ "ttft", "ttft" }, { "tpot", "tpot" }, { "itl", "itl_chunk" },
		{ "e2e", "e2e" }, { "output_throughput",
		  "throughput.output_tokens (server usage tokens of ok "
		  "requests / measured window)" },
	};
	static const char *const weight[BM_NMETRIC] = {
		[BM_TTFB] = "per request", [BM_TTFT] = "per request",
		[BM_TTFO] = "per request", [BM_TPOT] = "per request",
		[BM_NTPOT] = "per request", [BM_ITL_CHUNK] = "per chunk gap",
		[BM_ITL_TOKEN] = "per token gap", [BM_E2E] = "per request",
		[BM_TTFT_SCHED] = "per request", [BM_E2E_SCHED] = "per request",
		[BM_LAG] = "per request", [BM_CONNECT] = "per connection",
		[BM_IN_TOK] = "per request", [BM_OUT_TOK] = "per request",
		[BM_CACHED_TOK] = "per request", [BM_TTFT_HIT] = "per request",
		[BM_TTFT_MISS] = "per request",
		[BM_TPOT_TOKW] = "per token (output tokens - 1 per request)",
		[BM_NTPOT_TOKW] = "per token (output tokens per request)",
		[BM_ITL_CHUNK_REQ] = "per request",
	};
	cJSON	*o = cJSON_CreateObject(), *x, *a;
	size_t	 i;

	x = cJSON_AddObjectToObject(o, "headline");
	for (i = 0; i < sizeof head / sizeof head[0]; i++)
		cJSON_AddStringToObject(x, head[i][0], head[i][1]);
	x = cJSON_AddObjectToObject(o, "weighting");
	for (i = 0; i < BM_NMETRIC; i++)
		cJSON_AddStringToObject(x, metric_info[i].name, weight[i]);
	a = cJSON_AddArrayToObject(o, "mapping");
	for (i = 0; i < sizeof mapping / sizeof mapping[0]; i++) {
		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "quantity", mapping[i].quantity);
		cJSON_AddStringToObject(x, "maasctl", mapping[i].maasctl);
		cJSON_AddStringToObject(x, "vllm", mapping[i].vllm);
		cJSON_AddStringToObject(x, "guidellm", mapping[i].guidellm);
		cJSON_AddStringToObject(x, "inference_perf", mapping[i].iperf);
		cJSON_AddStringToObject(x, "aiperf", mapping[i].aiperf);
		cJSON_AddStringToObject(x, "llmperf", mapping[i].llmperf);
		cJSON_AddItemToArray(a, x);
	}
	cJSON_AddStringToObject(o, "source", "BENCH-ANCHORS 2.6: vLLM bench "
	    "serve, GuideLLM, inference-perf, AIPerf and LLMPerf as read in "
	    "2026");
	return o;
}

const char *
bm_metric_name(enum bm_metric m)
{
	return (unsigned)m < BM_NMETRIC ? metric_info[m].name : "unknown";
}

void
bm_set_init(struct bm_set *s)
{
	int	 i;

	memset(s, 0, sizeof *s);
	for (i = 0; i < BM_NMETRIC; i++)
		s->h[i] = hist_new(BM_SIGBITS);
	s->t_first = -1;
	s->t_last = -1;
}

void
bm_set_free(struct bm_set *s)
{
	int	 i;

	for (i = 0; i < BM_NMETRIC; i++)
		hist_free(s->h[i]);
	memset(s, 0, sizeof *s);
}

void
bm_init(struct bm *b, const char *const *names, size_t n)
{
	size_t	 i;

	memset(b, 0, sizeof *b);
	bm_set_init(&b->all);
	b->ncls = n;
	b->cls = xcalloc(n ? n : 1, sizeof *b->cls);
	b->cls_names = xcalloc(n ? n : 1, sizeof *b->cls_names);
	for (i = 0; i < n; i++) {
		bm_set_init(&b->cls[i]);
		b->cls_names[i] = xstrdup(names[i]);
	}
	b->sec_ttft = hist_new(BM_SIGBITS);
	b->series = cJSON_CreateArray();
	if (n > 1) {
		b->csec = xcalloc(n, sizeof *b->csec);
		for (i = 0; i < n; i++) {
			b->csec[i].ttft = hist_new(BM_SIGBITS);
			b->csec[i].series = cJSON_CreateArray();
		}
	}
	for (i = 0; i < LG_RL_N; i++)
		b->sec_rl[i] = b->rl_min[i] = b->rl_last[i] = NAN;
}

void
bm_free(struct bm *b)
{
	size_t	 i, j;

	bm_set_free(&b->all);
	for (i = 0; i < b->ncls; i++) {
		bm_set_free(&b->cls[i]);
		free(b->cls_names[i]);
	}
	free(b->cls);
	free(b->cls_names);
	for (i = 0; i < b->nturn; i++)
		bm_set_free(&b->turn[i]);
	free(b->turn);
	hist_free(b->sec_ttft);
	cJSON_Delete(b->series);
	for (i = 0; b->csec != NULL && i < b->ncls; i++) {
		hist_free(b->csec[i].ttft);
		cJSON_Delete(b->csec[i].series);
	}
	free(b->csec);
	free(b->raw_err);
	for (i = 0; i < LG_NCLASS; i++)
		free(b->err_first[i]);
	free(b->cls_slo);
	for (i = 0; i < b->nhdr; i++) {
		for (j = 0; j < b->hdr[i].n; j++) {
			free(b->hdr[i].vals[j]);
			bm_set_free(&b->hdr[i].sets[j]);
		}
		free(b->hdr[i].sets);
		free(b->hdr[i].vals);
		free(b->hdr[i].counts);
		free(b->hdr[i].name);
	}
	free(b->hdr);
	for (i = 0; i < b->nstg; i++) {
		bm_set_free(&b->stg[i].set);
		free(b->stg[i].spec);
	}
	free(b->stg);
	memset(b, 0, sizeof *b);
}

void
bm_set_class_slo(struct bm *b, size_t cls, const struct bm_slo *slo)
{
	size_t	 i;

	if (cls >= b->ncls)
		return;
	if (b->cls_slo == NULL) {
		b->cls_slo = xcalloc(b->ncls, sizeof *b->cls_slo);
		for (i = 0; i < b->ncls; i++)
			b->cls_slo[i] = b->slo;
	}
	b->cls_slo[cls] = *slo;
}

void
bm_set_headers(struct bm *b, const char *const *names, size_t n)
{
	size_t	 i;

	b->hdr = xcalloc(n ? n : 1, sizeof *b->hdr);
	b->nhdr = n;
	for (i = 0; i < n; i++) {
		b->hdr[i].name = xstrdup(names[i]);
		b->hdr[i].vals = xcalloc(BM_HDR_MAX, sizeof *b->hdr[i].vals);
		b->hdr[i].counts = xcalloc(BM_HDR_MAX,
		    sizeof *b->hdr[i].counts);
		b->hdr[i].sets = xcalloc(BM_HDR_MAX, sizeof *b->hdr[i].sets);
	}
}

void
bm_add_stage(struct bm *b, const char *spec, double start, double end,
    double from, double to, int rate, uint64_t offered)
{
	struct bm_stage	*st;

	b->stg = xrealloc(b->stg, (b->nstg + 1) * sizeof *b->stg);
	st = &b->stg[b->nstg++];
	memset(st, 0, sizeof *st);
	st->spec = xstrdup(spec);
	st->start = start;
	st->end = end;
	st->from = from;
	st->to = to;
	st->offered = offered;
	bm_set_init(&st->set);
	b->stg_rate = rate;
}

/* The stage of intended time t (ns): the last one that started by then. */
static struct bm_stage *
stage_of(const struct bm *b, int64_t t)
{
	size_t	 i;

	if (b->nstg == 0)
		return NULL;
	for (i = b->nstg - 1; i > 0; i--)
		if ((double)t / 1e9 >= b->stg[i].start)
			break;
	return &b->stg[i];
}

static void	set_add(struct bm_set *, const struct lg_result *, int);

/* Count a value of a recorded header and measure the request under it. */
static void
hdr_add(struct bm_hdr *h, const char *v, const struct lg_result *r,
    int good)
{
	size_t	 i;

	if (v == NULL) {
		h->missing++;
		return;
	}
	for (i = 0; i < h->n; i++)
		if (strcmp(h->vals[i], v) == 0)
			break;
	if (i == h->n) {
		if (h->n == BM_HDR_MAX) {
			h->other++;
			return;
		}
		h->vals[h->n] = xstrdup(v);
		bm_set_init(&h->sets[h->n]);
		h->n++;
	}
	h->counts[i]++;
	set_add(&h->sets[i], r, good);
	if (good)
		h->sets[i].good++;
}

static long
out_tokens(const struct lg_result *r)
{
	if (r->usage_tokens >= 0)
		return r->usage_tokens;
	if (r->chunk_usage_tokens >= 0)
		return r->chunk_usage_tokens;
	return (long)r->content_chunks;
}

static int64_t
max_chunk_gap(const struct lg_result *r)
{
	int64_t	 g, m = 0;
	size_t	 i;

	for (i = 1; i < r->nchunk; i++)
		if ((g = r->chunk_t[i] - r->chunk_t[i - 1]) > m)
			m = g;
	return m;
}

int
bm_good(const struct bm_slo *slo, const struct lg_result *r)
{
	int64_t	 from = r->open_loop ? r->intended : r->sent;
	long	 n = out_tokens(r);

	if (r->klass != LG_OK)
		return 0;
	if (slo->ttft > 0 && (r->first_token < 0 ||
	    (double)(r->first_token - from) / 1e9 > slo->ttft))
		return 0;
	if (slo->tpot > 0 && r->stream && n > 1 && r->first_token >= 0 &&
	    (double)(r->last_token - r->first_token) / 1e9 / (double)(n - 1) >
	    slo->tpot)
		return 0;
	if (slo->itl > 0 && (double)max_chunk_gap(r) / 1e9 > slo->itl)
		return 0;
	if (slo->e2e > 0 && (double)(r->end - from) / 1e9 > slo->e2e)
		return 0;
	return 1;
}

static void
hadd(struct hist *h, int64_t v)
{
	hist_add(h, v < 0 ? 0 : (uint64_t)v);
}

static void
set_add(struct bm_set *s, const struct lg_result *r, int good)
{
	long	 n, k;
	size_t	 i;
	int64_t	 e2e;

	s->sent++;
	s->klass[r->klass]++;
	s->throttled += (uint64_t)r->throttled;
	s->retries += (uint64_t)(r->attempts > 1 ? r->attempts - 1 : 0);
	s->waited += (uint64_t)r->waited;
	s->reused += (uint64_t)r->reused;
	if (s->t_first < 0 || r->intended < s->t_first)
		s->t_first = r->intended;
	if (r->end > s->t_last)
		s->t_last = r->end;
	if (r->open_loop)
		hadd(s->h[BM_LAG], r->dispatched - r->intended);
	if (!r->reused && r->t_connect > 0)
		hadd(s->h[BM_CONNECT], r->t_tls > 0 ? r->t_tls : r->t_connect);
	if (r->klass != LG_OK)
		return;
	s->ok++;
	n = out_tokens(r);
	if (r->usage_tokens < 0)
		s->usage_missing++;
	if (r->chunk_usage) {
		s->chunk_usage_reqs++;
		if (r->usage_tokens >= 0 &&
		    r->chunk_usage_tokens != r->usage_tokens)
			s->chunk_usage_mismatch++;
	}
	s->text_chunks += r->text_chunks;
	s->reasoning_chunks += r->reasoning_chunks;
	s->tool_call_chunks += r->tool_call_chunks;
	s->reasoning_reqs += r->reasoning_chunks > 0;
	s->tool_call_reqs += r->tool_call_chunks > 0 || r->tool_calls > 0;
	s->tool_calls += r->tool_calls;
	if (r->stream && r->usage_tokens >= 0 && r->first_token >= 0) {
		if ((long)r->content_chunks > r->usage_tokens)
			s->chunks_exceed++;
		else if ((long)r->content_chunks < r->usage_tokens)
			s->multi_token_chunks++;
	}
	s->out_tokens += (uint64_t)n;
	if (good)
		s->good_out_tokens += (uint64_t)n;
	hadd(s->h[BM_OUT_TOK], n);
	if (r->prompt_tokens >= 0) {
		s->in_tokens += (uint64_t)r->prompt_tokens;
		hadd(s->h[BM_IN_TOK], r->prompt_tokens);
	}
	if (r->cached_tokens >= 0) {
		s->cache_reqs++;
		s->cached_tokens += (uint64_t)r->cached_tokens;
		if (r->prompt_tokens >= 0)
			s->cache_in_tokens += (uint64_t)r->prompt_tokens;
		if (r->cached_tokens > 0)
			s->cache_hit_reqs++;
		hadd(s->h[BM_CACHED_TOK], r->cached_tokens);
		if (r->first_token >= 0)
			hadd(s->h[r->cached_tokens > 0 ? BM_TTFT_HIT :
			    BM_TTFT_MISS], r->first_token - r->sent);
	}
	if (r->first_byte >= 0)
		hadd(s->h[BM_TTFB], r->first_byte - r->attempt_sent);
	e2e = r->end - r->sent;
	hadd(s->h[BM_E2E], e2e);
	if (n > 0) {
		hadd(s->h[BM_NTPOT], e2e / n);
		hist_add_n(s->h[BM_NTPOT_TOKW], (uint64_t)(e2e > 0 ? e2e / n :
		    0), (uint64_t)n);
	}
	if (r->open_loop)
		hadd(s->h[BM_E2E_SCHED], r->end - r->intended);
	if (r->first_token < 0)
		return;
	hadd(s->h[BM_TTFT], r->first_token - r->sent);
	if (r->first_output >= 0)
		hadd(s->h[BM_TTFO], r->first_output - r->sent);
	if (r->open_loop)
		hadd(s->h[BM_TTFT_SCHED], r->first_token - r->intended);
	/* A whole (non-streamed) answer has no per-token times. */
	if (r->stream && n > 1) {
		hadd(s->h[BM_TPOT], (r->last_token - r->first_token) /
		    (n - 1));
		hist_add_n(s->h[BM_TPOT_TOKW], (uint64_t)((r->last_token -
		    r->first_token) / (n - 1)), (uint64_t)(n - 1));
	}
	for (i = 1; i < r->nchunk; i++)
		hadd(s->h[BM_ITL_CHUNK], r->chunk_t[i] - r->chunk_t[i - 1]);
	if (r->nchunk > 1)
		hadd(s->h[BM_ITL_CHUNK_REQ], (r->chunk_t[r->nchunk - 1] -
		    r->chunk_t[0]) / (int64_t)(r->nchunk - 1));
	/* Token gaps only where the tokens of each chunk are known. */
	if (r->chunk_usage || (r->usage_tokens >= 0 &&
	    (long)r->nchunk == r->usage_tokens)) {
		for (i = 0; i < r->nchunk; i++) {
			if (i > 0 && r->chunk_tok[i] > 0)
				hadd(s->h[BM_ITL_TOKEN], r->chunk_t[i] -
				    r->chunk_t[i - 1]);
			for (k = 1; k < r->chunk_tok[i]; k++)
				hist_add(s->h[BM_ITL_TOKEN], 0);
		}
	}
}

static void
raw_time(FILE *f, const char *name, int64_t v)
{
	if (v >= 0)
		fprintf(f, ",\"%s\":%.6f", name, (double)v / 1e6);
	else
		fprintf(f, ",\"%s\":null", name);
}

static void
raw_write(struct bm *b, const struct lg_result *r)
{
	FILE		*f = b->raw;
	cJSON		*s;
	char		*t;
	long		 n = out_tokens(r);
	size_t		 i;
	struct bm_stage	*st;

	fprintf(f, "{\"seq\":%llu,\"warmup\":%s,\"class\":",
	    (unsigned long long)(r->seq < b->nseq_map ? b->seq_map[r->seq] :
	    r->seq), r->warmup ? "true" : "false");
	s = cJSON_CreateString(r->cls < b->ncls ? b->cls_names[r->cls] : "");
	t = cJSON_PrintUnformatted(s);
	fputs(t, f);
	free(t);
	cJSON_Delete(s);
	fprintf(f, ",\"stream\":%s", r->stream ? "true" : "false");
	fprintf(f, ",\"outcome\":\"%s\",\"status\":%d,\"attempts\":%d,"
	    "\"throttled\":%d,\"waited\":%s", lg_class_name(r->klass),
	    r->status, r->attempts, r->throttled, r->waited ? "true" :
	    "false");
	raw_time(f, "intended_ms", r->intended);
	raw_time(f, "dispatched_ms", r->dispatched);
	raw_time(f, "sent_ms", r->sent);
	raw_time(f, "first_byte_ms", r->first_byte);
	raw_time(f, "first_token_ms", r->first_token);
	raw_time(f, "first_output_ms", r->first_output);
	raw_time(f, "last_token_ms", r->last_token);
	raw_time(f, "end_ms", r->end);
	raw_time(f, "ttft_ms", r->first_token >= 0 ? r->first_token -
	    r->sent : -1);
	raw_time(f, "e2e_ms", r->end - r->sent);
	raw_time(f, "tpot_ms", r->stream && r->first_token >= 0 && n > 1 &&
	    r->klass == LG_OK ? (r->last_token - r->first_token) / (n - 1) :
	    -1);
	raw_time(f, "dns_ms", r->t_dns);
	raw_time(f, "connect_ms", r->t_connect);
	raw_time(f, "tls_ms", r->t_tls);
	raw_time(f, "ttfb_curl_ms", r->t_ttfb);
	if (r->cached_tokens >= 0)
		fprintf(f, ",\"cached_tokens\":%ld", r->cached_tokens);
	else
		fputs(",\"cached_tokens\":null", f);
	fprintf(f, ",\"reused\":%s,\"prompt_tokens\":%ld,\"usage_tokens\":%ld,"
	    "\"chunk_usage_tokens\":%ld,\"content_chunks\":%zu,\"chunks\":%zu,"
	    "\"bytes_in\":%zu,\"bytes_out\":%zu,\"request_id\":\"%s\"",
	    r->reused ? "true" : "false", r->prompt_tokens, r->usage_tokens,
	    r->chunk_usage_tokens, r->content_chunks, r->chunks, r->bytes_in,
	    r->bytes_out, r->request_id);
	fprintf(f, ",\"text_chunks\":%zu,\"reasoning_chunks\":%zu,"
	    "\"tool_call_chunks\":%zu", r->text_chunks, r->reasoning_chunks,
	    r->tool_call_chunks);
	fprintf(f, ",\"tool_calls\":%zu", r->tool_calls);
	fprintf(f, ",\"seed\":%llu", (unsigned long long)b->seed);
	if (r->turn >= 0)
		fprintf(f, ",\"session\":%ld,\"turn\":%ld", r->session,
		    r->turn + 1);
	if (r->http_version > 0)
		fprintf(f, ",\"http_version\":\"%s\"", r->http_version == 10 ?
		    "1.0" : r->http_version == 11 ? "1.1" :
		    r->http_version == 20 ? "2" : "3");
	if ((st = stage_of(b, r->intended)) != NULL) {
		s = cJSON_CreateString(st->spec);
		t = cJSON_PrintUnformatted(s);
		fprintf(f, ",\"stage\":%s", t);
		free(t);
		cJSON_Delete(s);
	}
	if (b->nhdr > 0) {
		s = cJSON_CreateObject();
		for (i = 0; i < b->nhdr; i++)
			if (r->header_values != NULL &&
			    r->header_values[i] != NULL)
				cJSON_AddStringToObject(s, b->hdr[i].name,
				    r->header_values[i]);
			else
				cJSON_AddNullToObject(s, b->hdr[i].name);
		t = cJSON_PrintUnformatted(s);
		fprintf(f, ",\"headers\":%s", t);
		free(t);
		cJSON_Delete(s);
	}
	if (r->ratelimit != NULL) {
		static const char *const rn[LG_RL_N] = {
			"limit_requests", "remaining_requests",
			"reset_requests_s", "limit_tokens", "remaining_tokens",
			"reset_tokens_s", "limit", "remaining", "reset_s"
		};
		int	 k, nv = 0;

		fputs(",\"ratelimit\":{", f);
		for (k = 0; k < LG_RL_N; k++)
			if (!isnan(r->ratelimit[k]))
				fprintf(f, "%s\"%s\":%.17g", nv++ ? "," : "",
				    rn[k], r->ratelimit[k]);
		fputc('}', f);
	}
	if (r->error != NULL) {
		s = cJSON_CreateString(r->error);
		t = cJSON_PrintUnformatted(s);
		fprintf(f, ",\"error\":%s", t);
		free(t);
		cJSON_Delete(s);
	}
	fputs("}\n", f);
}

/* The name of part k of the raw file: the file itself, then FILE.k. */
static char *
raw_part(const char *path, long k)
{
	return k == 0 ? xstrdup(path) : xasprintf("%s.%ld", path, k);
}

/*
 * --raw-rotate: the raw file reached its size.  Like logrotate, FILE.k
 * becomes FILE.k+1 (the oldest beyond --raw-keep is removed), FILE becomes
 * FILE.1, and a new FILE is started; a failure stops the raw stream and is
 * reported (common/ never prints).
 */
static void
raw_rotate(struct bm *b)
{
	char	*from, *to;
	long	 k;

	fclose(b->raw);
	b->raw = NULL;
	b->raw_parts++;
	k = b->raw_parts;
	if (b->raw_keep > 0 && k > b->raw_keep) {
		to = raw_part(b->raw_path, b->raw_keep);
		unlink(to);
		free(to);
		k = b->raw_keep;
		b->raw_dropped++;
	}
	for (; k > 0; k--) {
		from = raw_part(b->raw_path, k - 1);
		to = raw_part(b->raw_path, k);
		if (rename(from, to) != 0 && k == 1 && b->raw_err == NULL)
			b->raw_err = xasprintf("cannot rename %s to %s: %s",
			    from, to, strerror(errno));
		free(from);
		free(to);
	}
	if (b->raw_err == NULL && (b->raw = fopen(b->raw_path, "w")) == NULL)
		b->raw_err = xasprintf("cannot reopen %s: %s", b->raw_path,
		    strerror(errno));
}

/* Keep metrics per turn of n-turn conversations too. */
void
bm_set_turns(struct bm *b, size_t n)
{
	size_t	 i;

	b->turn = xcalloc(n ? n : 1, sizeof *b->turn);
	b->nturn = n;
	for (i = 0; i < n; i++)
		bm_set_init(&b->turn[i]);
}

static double
dmin(double a, double b)
{
	return isnan(a) || b < a ? b : a;
}

/* An answer's quota state: into the second's and the run's figures. */
static void
quota_add(struct bm *b, const double *rl)
{
	int	 k;

	b->rl_responses++;
	for (k = 0; k < LG_RL_N; k++) {
		if (isnan(rl[k]))
			continue;
		b->rl_last[k] = rl[k];
		b->rl_min[k] = dmin(b->rl_min[k], rl[k]);
		if (k == LG_RL_LIMIT_REQ || k == LG_RL_LIMIT_TOK ||
		    k == LG_RL_LIMIT)
			b->sec_rl[k] = isnan(b->sec_rl[k]) || rl[k] >
			    b->sec_rl[k] ? rl[k] : b->sec_rl[k];
		else
			b->sec_rl[k] = dmin(b->sec_rl[k], rl[k]);
	}
}

void
bm_add(struct bm *b, const struct lg_result *r)
{
	struct bm_stage	*st;
	size_t		 i;
	int		 good;

	if (b->raw != NULL) {
		raw_write(b, r);
		if (b->raw_rotate > 0 && ftell(b->raw) >= b->raw_rotate)
			raw_rotate(b);
	}
	if (r->warmup) {
		b->warmup++;
		return;
	}
	if (r->open_loop)
		b->open_loop = 1;
	good = bm_good(b->cls_slo != NULL && r->cls < b->ncls ?
	    &b->cls_slo[r->cls] : &b->slo, r);
	set_add(&b->all, r, good);
	if (good)
		b->all.good++;
	if ((st = stage_of(b, r->intended)) != NULL) {
		set_add(&st->set, r, good);
		if (good)
			st->set.good++;
	}
	for (i = 0; i < b->nhdr; i++)
		hdr_add(&b->hdr[i], r->header_values != NULL ?
		    r->header_values[i] : NULL, r, good);
	if (r->cls < b->ncls) {
		set_add(&b->cls[r->cls], r, good);
		if (good)
			b->cls[r->cls].good++;
	}
	if (r->turn >= 0 && (size_t)r->turn < b->nturn) {
		set_add(&b->turn[r->turn], r, good);
		if (good)
			b->turn[r->turn].good++;
	}
	b->sec_done++;
	if (r->klass != LG_RATE_LIMITED)
		b->sec_admitted++;
	if (good)
		b->sec_good++;
	if (r->ratelimit != NULL)
		quota_add(b, r->ratelimit);
	if (r->klass != LG_OK) {
		b->sec_err++;
		b->errors++;
		if (b->err_first[r->klass] == NULL && r->error != NULL)
			b->err_first[r->klass] = xstrdup(r->error);
	}
	if (r->klass == LG_RATE_LIMITED || r->throttled > 0)
		b->sec_throttled++;
	if (r->klass == LG_OK && r->first_token >= 0)
		hadd(b->sec_ttft, r->first_token - r->sent);
	if (b->csec != NULL && r->cls < b->ncls) {
		struct bm_csec	*cs = &b->csec[r->cls];

		if (r->klass != LG_RATE_LIMITED)
			cs->admitted++;
		if (good)
			cs->good++;
		if (r->klass != LG_OK)
			cs->err++;
		if (r->klass == LG_RATE_LIMITED || r->throttled > 0)
			cs->throttled++;
		if (r->klass == LG_OK && r->first_token >= 0)
			hadd(cs->ttft, r->first_token - r->sent);
	}
}

/* The quota columns of a per-second row. */
static const struct {
	const char	*name;
	int		 k;
} qcol[] = {
	{ "quota_remaining_requests", LG_RL_REMAIN_REQ },
	{ "quota_remaining_tokens", LG_RL_REMAIN_TOK },
	{ "quota_remaining", LG_RL_REMAIN },
	{ "quota_reset_s", LG_RL_RESET },
	{ "quota_reset_requests_s", LG_RL_RESET_REQ },
	{ "quota_reset_tokens_s", LG_RL_RESET_TOK },
};
#define NQCOL	((int)(sizeof qcol / sizeof qcol[0]))

static double	r3(double);

/* A CSV field: quoted when it holds a comma, quote or line break. */
static void
csv_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/*
 * Class i's row of this second: what the engine counted for it (requests
 * dispatched, completed, in flight, output tokens) and what its results
 * said (TTFT p50/p99, errors, 429s, admitted, good).  The run-wide
 * columns (offered, waiting, quota, server) stay empty in CSV.
 */
static void
class_tick(struct bm *b, size_t i, const struct lg_tick *t, double dt)
{
	struct bm_csec			*cs = &b->csec[i];
	const struct lg_cls_count	*now = &t->cls[i];
	double				 p50 = 0, p99 = 0, tps;
	cJSON				*row;
	int				 k;

	if (hist_count(cs->ttft) > 0) {
		p50 = (double)hist_percentile(cs->ttft, 50) / 1e6;
		p99 = (double)hist_percentile(cs->ttft, 99) / 1e6;
	}
	tps = (double)(now->tokens - cs->prev.tokens) / dt;
	row = cJSON_CreateObject();
	cJSON_AddNumberToObject(row, "t", round(t->elapsed * 1000) / 1000);
	cJSON_AddStringToObject(row, "class", b->cls_names[i]);
	cJSON_AddNumberToObject(row, "dispatched",
	    (double)(now->dispatched - cs->prev.dispatched));
	cJSON_AddNumberToObject(row, "completed",
	    (double)(now->done - cs->prev.done));
	cJSON_AddNumberToObject(row, "in_flight", (double)now->inflight);
	cJSON_AddNumberToObject(row, "output_tokens",
	    (double)(now->tokens - cs->prev.tokens));
	cJSON_AddNumberToObject(row, "output_tokens_per_s",
	    round(tps * 10) / 10);
	cJSON_AddNumberToObject(row, "ttft_p50_ms", round(p50 * 1000) / 1000);
	cJSON_AddNumberToObject(row, "ttft_p99_ms", round(p99 * 1000) / 1000);
	cJSON_AddNumberToObject(row, "errors", (double)cs->err);
	cJSON_AddNumberToObject(row, "rate_limited", (double)cs->throttled);
	cJSON_AddNumberToObject(row, "admitted", (double)cs->admitted);
	cJSON_AddNumberToObject(row, "good", (double)cs->good);
	if (b->ts != NULL && b->ts_csv) {
		fprintf(b->ts, "%.3f,,%llu,%llu,%ld,,%llu,%.1f,%.3f,%.3f,"
		    "%llu,%llu,%llu,%llu", t->elapsed,
		    (unsigned long long)(now->dispatched -
		    cs->prev.dispatched),
		    (unsigned long long)(now->done - cs->prev.done),
		    now->inflight,
		    (unsigned long long)(now->tokens - cs->prev.tokens),
		    tps, p50, p99, (unsigned long long)cs->err,
		    (unsigned long long)cs->throttled,
		    (unsigned long long)cs->admitted,
		    (unsigned long long)cs->good);
		for (k = 0; k < NQCOL; k++)
			fputc(',', b->ts);
		for (k = 0; b->srv_on && k < PSD_NDERIVED; k++)
			fputc(',', b->ts);
		fputc(',', b->ts);
		csv_field(b->ts, b->cls_names[i]);
		fputc('\n', b->ts);
	} else if (b->ts != NULL) {
		char *s = cJSON_PrintUnformatted(row);

		fprintf(b->ts, "%s\n", s);
		free(s);
	}
	cJSON_AddItemToArray(cs->series, row);
	hist_reset(cs->ttft);
	cs->err = cs->throttled = cs->admitted = cs->good = 0;
	cs->prev = *now;
}

void
bm_tick(struct bm *b, const struct lg_tick *t)
{
	double	 dt = t->elapsed - b->prev.elapsed;
	double	 p50 = 0, p99 = 0;
	cJSON	*row;
	size_t	 i;
	int	 k;

	if (dt <= 0)
		return;
	if (hist_count(b->sec_ttft) > 0) {
		p50 = (double)hist_percentile(b->sec_ttft, 50) / 1e6;
		p99 = (double)hist_percentile(b->sec_ttft, 99) / 1e6;
	}
	b->live_rps = (double)(t->done - b->prev.done) / dt;
	b->live_tps = (double)(t->tokens - b->prev.tokens) / dt;
	row = cJSON_CreateObject();
	cJSON_AddNumberToObject(row, "t", round(t->elapsed * 1000) / 1000);
	cJSON_AddNumberToObject(row, "offered", b->open_loop || t->scheduled ?
	    (double)(t->scheduled - b->prev.scheduled) : 0);
	cJSON_AddNumberToObject(row, "dispatched",
	    (double)(t->dispatched - b->prev.dispatched));
	cJSON_AddNumberToObject(row, "completed",
	    (double)(t->done - b->prev.done));
	cJSON_AddNumberToObject(row, "in_flight", (double)t->inflight);
	cJSON_AddNumberToObject(row, "waiting", (double)t->waiting);
	cJSON_AddNumberToObject(row, "output_tokens",
	    (double)(t->tokens - b->prev.tokens));
	cJSON_AddNumberToObject(row, "output_tokens_per_s",
	    round(b->live_tps * 10) / 10);
	cJSON_AddNumberToObject(row, "ttft_p50_ms", round(p50 * 1000) / 1000);
	cJSON_AddNumberToObject(row, "ttft_p99_ms", round(p99 * 1000) / 1000);
	cJSON_AddNumberToObject(row, "errors", (double)b->sec_err);
	cJSON_AddNumberToObject(row, "rate_limited", (double)b->sec_throttled);
	cJSON_AddNumberToObject(row, "admitted", (double)b->sec_admitted);
	cJSON_AddNumberToObject(row, "good", (double)b->sec_good);
	for (k = 0; k < NQCOL; k++)
		if (isnan(b->sec_rl[qcol[k].k]))
			cJSON_AddNullToObject(row, qcol[k].name);
		else
			cJSON_AddNumberToObject(row, qcol[k].name,
			    r3(b->sec_rl[qcol[k].k]));
	for (k = 0; b->srv_on && k < PSD_NDERIVED; k++)
		if (isnan(b->srv[k]))
			cJSON_AddNullToObject(row, ps_derived_name(k));
		else
			cJSON_AddNumberToObject(row, ps_derived_name(k),
			    round(b->srv[k] * 1e4) / 1e4);
	if (b->ts != NULL) {
		if (b->ts_csv) {
			if (b->prev.elapsed == 0)
				fputs("t,offered,dispatched,completed,in_flight,"
				    "waiting,output_tokens,output_tokens_per_s,"
				    "ttft_p50_ms,ttft_p99_ms,errors,"
				    "rate_limited,admitted,good", b->ts);
			if (b->prev.elapsed == 0)
				for (k = 0; k < NQCOL; k++)
					fprintf(b->ts, ",%s", qcol[k].name);
			if (b->prev.elapsed == 0) {
				for (k = 0; b->srv_on && k < PSD_NDERIVED; k++)
					fprintf(b->ts, ",%s",
					    ps_derived_name(k));
				if (b->csec != NULL)
					fputs(",class", b->ts);
				fputc('\n', b->ts);
			}
			fprintf(b->ts, "%.3f,%llu,%llu,%llu,%ld,%ld,%llu,%.1f,"
			    "%.3f,%.3f,%llu,%llu", t->elapsed,
			    (unsigned long long)(t->scheduled -
			    b->prev.scheduled),
			    (unsigned long long)(t->dispatched -
			    b->prev.dispatched),
			    (unsigned long long)(t->done - b->prev.done),
			    t->inflight, t->waiting,
			    (unsigned long long)(t->tokens - b->prev.tokens),
			    b->live_tps, p50, p99,
			    (unsigned long long)b->sec_err,
			    (unsigned long long)b->sec_throttled);
			fprintf(b->ts, ",%llu,%llu", (unsigned long long)
			    b->sec_admitted, (unsigned long long)b->sec_good);
			for (k = 0; k < NQCOL; k++)
				if (isnan(b->sec_rl[qcol[k].k]))
					fputc(',', b->ts);
				else
					fprintf(b->ts, ",%g",
					    b->sec_rl[qcol[k].k]);
			for (k = 0; b->srv_on && k < PSD_NDERIVED; k++)
				if (isnan(b->srv[k]))
					fputc(',', b->ts);
				else
					fprintf(b->ts, ",%.4f", b->srv[k]);
			/* The overall row's class is empty. */
			if (b->csec != NULL)
				fputc(',', b->ts);
			fputc('\n', b->ts);
		} else {
			char *s = cJSON_PrintUnformatted(row);

			fprintf(b->ts, "%s\n", s);
			free(s);
		}
	}
	for (i = 0; b->csec != NULL && t->cls != NULL && i < b->ncls &&
	    i < t->ncls; i++)
		class_tick(b, i, t, dt);
	if (b->ts != NULL)
		fflush(b->ts);
	cJSON_AddItemToArray(b->series, row);
	hist_reset(b->sec_ttft);
	b->sec_done = b->sec_err = b->sec_throttled = 0;
	b->sec_admitted = b->sec_good = 0;
	for (k = 0; k < LG_RL_N; k++)
		b->sec_rl[k] = NAN;
	b->prev = *t;
}

/* ---- the report ---- */

static double
r3(double v)
{
	return round(v * 1000) / 1000;
}

static cJSON *
dist_json(const struct hist *h, enum bm_metric m, const double *pc,
    size_t npc)
{
	cJSON		*o = cJSON_CreateObject();
	double		 div = strcmp(metric_info[m].unit, "ms") == 0 ? 1e6 : 1;
	char		 key[32];
	size_t		 i;

	cJSON_AddStringToObject(o, "unit", metric_info[m].unit);
	cJSON_AddNumberToObject(o, "count", (double)hist_count(h));
	if (hist_count(h) > 0) {
		cJSON_AddNumberToObject(o, "mean", r3(hist_mean(h) / div));
		cJSON_AddNumberToObject(o, "std", r3(hist_stddev(h) / div));
		cJSON_AddNumberToObject(o, "min", r3((double)hist_min(h) / div));
		cJSON_AddNumberToObject(o, "max", r3((double)hist_max(h) / div));
		for (i = 0; i < npc; i++) {
			snprintf(key, sizeof key, "p%g", pc[i]);
			cJSON_AddNumberToObject(o, key, r3((double)
			    hist_percentile(h, pc[i]) / div));
		}
	}
	cJSON_AddStringToObject(o, "definition", metric_info[m].def);
	return o;
}

static cJSON *
metrics_json(const struct bm_set *s, int open_loop, const double *pc,
    size_t npc)
{
	cJSON	*o = cJSON_CreateObject();
	int	 m;

	for (m = 0; m < BM_NMETRIC; m++) {
		if (!open_loop && (m == BM_TTFT_SCHED || m == BM_E2E_SCHED ||
		    m == BM_LAG))
			continue;
		/* Prefix-cache metrics only where the server reports it. */
		if (s->cache_reqs == 0 && m == BM_CACHED_TOK)
			continue;
		if ((m == BM_TTFT_HIT || m == BM_TTFT_MISS) &&
		    hist_count(s->h[m]) == 0)
			continue;
		cJSON_AddItemToObject(o, metric_info[m].name,
		    dist_json(s->h[m], (enum bm_metric)m, pc, npc));
	}
	return o;
}

static double
window(const struct bm_set *s)
{
	if (s->t_first < 0 || s->t_last <= s->t_first)
		return 0;
	return (double)(s->t_last - s->t_first) / 1e9;
}

static cJSON *
throughput_json(const struct bm_set *s)
{
	cJSON	*o = cJSON_CreateObject();
	double	 w = window(s);

	cJSON_AddStringToObject(o, "unit", "per second");
	cJSON_AddNumberToObject(o, "window_s", r3(w));
	if (w <= 0)
		w = 1e-9;
	cJSON_AddNumberToObject(o, "requests", r3((double)s->ok / w));
	cJSON_AddNumberToObject(o, "input_tokens",
	    r3((double)s->in_tokens / w));
	cJSON_AddNumberToObject(o, "output_tokens",
	    r3((double)s->out_tokens / w));
	cJSON_AddNumberToObject(o, "total_tokens",
	    r3((double)(s->in_tokens + s->out_tokens) / w));
	cJSON_AddNumberToObject(o, "goodput_requests",
	    r3((double)s->good / w));
	cJSON_AddNumberToObject(o, "goodput_output_tokens",
	    r3((double)s->good_out_tokens / w));
	return o;
}

static cJSON *
counts_json(const struct bm_set *s)
{
	cJSON	*o = cJSON_CreateObject(), *by;
	int	 k;

	cJSON_AddNumberToObject(o, "sent", (double)s->sent);
	cJSON_AddNumberToObject(o, "ok", (double)s->ok);
	cJSON_AddNumberToObject(o, "failed", (double)(s->sent - s->ok));
	cJSON_AddNumberToObject(o, "good", (double)s->good);
	by = cJSON_AddObjectToObject(o, "by_outcome");
	for (k = 0; k < LG_NCLASS; k++)
		cJSON_AddNumberToObject(by, lg_class_name((enum lg_class)k),
		    (double)s->klass[k]);
	cJSON_AddNumberToObject(o, "throttled_responses",
	    (double)s->throttled);
	cJSON_AddNumberToObject(o, "retries", (double)s->retries);
	cJSON_AddNumberToObject(o, "waited_for_cap", (double)s->waited);
	cJSON_AddNumberToObject(o, "reused_connections", (double)s->reused);
	return o;
}

/*
 * Offered, admitted and good load apart: behind a rate-limiting gateway
 * the offered load keeps coming while only part of it is admitted, and
 * only part of that is good.
 */
static cJSON *
load_json(const struct bm_set *s)
{
	cJSON		*o = cJSON_CreateObject();
	double		 w = window(s);
	uint64_t	 admitted = s->sent - s->klass[LG_RATE_LIMITED];

	if (w <= 0)
		w = 1e-9;
	cJSON_AddNumberToObject(o, "offered_requests", (double)s->sent);
	cJSON_AddNumberToObject(o, "offered_rate", r3((double)s->sent / w));
	cJSON_AddNumberToObject(o, "attempts", (double)(s->sent +
	    s->retries));
	cJSON_AddNumberToObject(o, "throttled_answers", (double)s->throttled);
	cJSON_AddNumberToObject(o, "admitted_requests", (double)admitted);
	cJSON_AddNumberToObject(o, "admitted_rate", r3((double)admitted / w));
	cJSON_AddNumberToObject(o, "admitted_share", s->sent ? round((double)
	    admitted / (double)s->sent * 1e4) / 1e4 : 0);
	cJSON_AddNumberToObject(o, "good_requests", (double)s->good);
	cJSON_AddNumberToObject(o, "good_rate", r3((double)s->good / w));
	cJSON_AddNumberToObject(o, "good_share", s->sent ? round((double)
	    s->good / (double)s->sent * 1e4) / 1e4 : 0);
	cJSON_AddStringToObject(o, "definition", "offered: measured requests "
	    "sent (attempts: with retries); admitted: those whose final "
	    "answer was not rate-limited (429, or 503 with Retry-After); "
	    "good: admitted, succeeded and within every SLO; rates over the "
	    "measured window");
	return o;
}

/* The quota state the answers' rate-limit headers told. */
static cJSON *
quota_json(const struct bm *b)
{
	static const char *const names[LG_RL_N] = {
		"limit_requests", "remaining_requests", "reset_requests_s",
		"limit_tokens", "remaining_tokens", "reset_tokens_s",
		"limit", "remaining", "reset_s"
	};
	cJSON	*o = cJSON_CreateObject(), *l, *m;
	int	 k;

	cJSON_AddNumberToObject(o, "responses", (double)b->rl_responses);
	l = cJSON_AddObjectToObject(o, "last");
	m = cJSON_AddObjectToObject(o, "least");
	for (k = 0; k < LG_RL_N; k++) {
		if (isnan(b->rl_last[k]))
			continue;
		cJSON_AddNumberToObject(l, names[k], r3(b->rl_last[k]));
		cJSON_AddNumberToObject(m, names[k], r3(b->rl_min[k]));
	}
	cJSON_AddStringToObject(o, "definition", "from the answers' "
	    "x-ratelimit-{limit,remaining,reset}-{requests,tokens} (OpenAI) "
	    "and x-ratelimit-* / ratelimit-* (Kuadrant, IETF draft; unit "
	    "unspecified) headers of the measured requests' last attempts; resets in seconds; "
	    "last: as last seen, least: the smallest over the run; the "
	    "timeseries rows carry the state per second (quota_*)");
	return o;
}

/* What the server's prefix cache did, from usage.prompt_tokens_details. */
static cJSON *
prefix_cache_json(const struct bm_set *s)
{
	cJSON	*o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "reported", s->cache_reqs > 0);
	cJSON_AddNumberToObject(o, "reporting_requests",
	    (double)s->cache_reqs);
	cJSON_AddNumberToObject(o, "hit_requests", (double)s->cache_hit_reqs);
	cJSON_AddNumberToObject(o, "cached_tokens", (double)s->cached_tokens);
	cJSON_AddNumberToObject(o, "prompt_tokens",
	    (double)s->cache_in_tokens);
	if (s->cache_in_tokens > 0)
		cJSON_AddNumberToObject(o, "hit_rate", round((double)
		    s->cached_tokens / (double)s->cache_in_tokens * 1e4) / 1e4);
	else
		cJSON_AddNullToObject(o, "hit_rate");
	if (s->cache_reqs > 0)
		cJSON_AddNumberToObject(o, "request_hit_rate", round((double)
		    s->cache_hit_reqs / (double)s->cache_reqs * 1e4) / 1e4);
	else
		cJSON_AddNullToObject(o, "request_hit_rate");
	cJSON_AddStringToObject(o, "definition", "hit_rate: cached prompt "
	    "tokens / prompt tokens of the requests whose usage reports "
	    "prompt_tokens_details.cached_tokens (vLLM's prefix_cache_hits / "
	    "prefix_cache_queries); request_hit_rate: share of them with "
	    "cached_tokens > 0");
	return o;
}

/*
 * A metric set's counters: the field, its name in a saved state (the
 * field's), whether a saved state may lack it (added later: 0 then), and
 * where the report's "tokens" object shows it (section and name, or
 * NULL).  Export, import, merge and tokens_json() all walk this one table.
 */
static const struct set_counter {
	const char	*state;		/* name in a saved state */
	size_t		 off;		/* offsetof(struct bm_set, ...) */
	int		 optional;	/* may be absent from a saved state */
	const char	*section;	/* tokens.<section>, or NULL */
	const char	*shown;		/* its name there */
} set_counters[] = {
#define C(f, opt, sec, name) { #f, offsetof(struct bm_set, f), opt, sec, name }
	C(sent, 0, NULL, NULL),
	C(ok, 0, NULL, NULL),
	C(good, 0, NULL, NULL),
	C(throttled, 0, NULL, NULL),
	C(retries, 0, NULL, NULL),
	C(waited, 0, NULL, NULL),
	C(in_tokens, 0, NULL, NULL),
	C(out_tokens, 0, NULL, NULL),
	C(good_out_tokens, 0, NULL, NULL),
	C(usage_missing, 0, "sources", "usage_missing"),
	C(chunk_usage_reqs, 0, "sources", "per_chunk_usage_requests"),
	C(chunk_usage_mismatch, 0, "sources", "per_chunk_usage_mismatch"),
	C(chunks_exceed, 0, "sources", "chunks_exceed_usage"),
	C(multi_token_chunks, 0, "sources", "multi_token_chunk_requests"),
	C(reused, 0, NULL, NULL),
	C(cache_reqs, 1, NULL, NULL),
	C(cache_hit_reqs, 1, NULL, NULL),
	C(cached_tokens, 1, NULL, NULL),
	C(cache_in_tokens, 1, NULL, NULL),
	C(text_chunks, 1, "deltas", "content_chunks"),
	C(reasoning_chunks, 1, "deltas", "reasoning_chunks"),
	C(tool_call_chunks, 1, "deltas", "tool_call_chunks"),
	C(reasoning_reqs, 1, "deltas", "requests_with_reasoning"),
	C(tool_call_reqs, 1, "deltas", "requests_with_tool_calls"),
	C(tool_calls, 1, "deltas", "tool_calls_non_streamed"),
#undef C
};
#define NCOUNTER (sizeof set_counters / sizeof set_counters[0])

/* Counter k of set s. */
static uint64_t *
set_counter(struct bm_set *s, size_t k)
{
	return (uint64_t *)(void *)((char *)s + set_counters[k].off);
}

static uint64_t
set_counter_get(const struct bm_set *s, size_t k)
{
	return *(const uint64_t *)(const void *)((const char *)s +
	    set_counters[k].off);
}

/* The counters the table shows in tokens.<section>, into o. */
static void
counters_json(cJSON *o, const struct bm_set *s, const char *section)
{
	size_t	 k;

	for (k = 0; k < NCOUNTER; k++)
		if (set_counters[k].section != NULL &&
		    strcmp(set_counters[k].section, section) == 0)
			cJSON_AddNumberToObject(o, set_counters[k].shown,
			    (double)set_counter_get(s, k));
}

static cJSON *
tokens_json(const struct bm_set *s)
{
	cJSON	*o = cJSON_CreateObject(), *src;

	cJSON_AddNumberToObject(o, "input_total", (double)s->in_tokens);
	cJSON_AddNumberToObject(o, "output_total", (double)s->out_tokens);
	counters_json(cJSON_AddObjectToObject(o, "sources"), s, "sources");
	cJSON_AddItemToObject(o, "prefix_cache", prefix_cache_json(s));
	src = cJSON_AddObjectToObject(o, "deltas");
	counters_json(src, s, "deltas");
	cJSON_AddStringToObject(src, "definition", "streamed chunks of ok "
	    "requests by what their delta carried, each counted apart: "
	    "content (delta.content or text), reasoning (reasoning_content "
	    "or reasoning) and tool calls (a non-empty delta.tool_calls); a "
	    "chunk with two kinds counts in both. tool_calls_non_streamed: "
	    "message.tool_calls of whole answers");
	cJSON_AddStringToObject(o, "output_source", s->usage_missing == 0 ?
	    "server usage" : s->usage_missing == s->ok ? "content chunks" :
	    "server usage where present, else content chunks");
	return o;
}

static void
add_reason(cJSON *reasons, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add_reason(cJSON *reasons, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	cJSON_AddItemToArray(reasons, cJSON_CreateString(s));
	free(s);
}

int
bm_slo_set(const struct bm_slo *slo)
{
	return slo->ttft > 0 || slo->tpot > 0 || slo->itl > 0 || slo->e2e > 0;
}

static int
slo_met(const struct bm_slo *slo, const struct bm_set *s)
{
	return s->sent > 0 && (double)s->good >= slo->attainment *
	    (double)s->sent - 1e-9;
}

/* The objectives of slo and how the requests of s did against them. */
static cJSON *
slo_json(const struct bm_slo *slo, const struct bm_set *s)
{
	cJSON	*x = cJSON_CreateObject();
	double	 w = window(s);

	if (slo->ttft > 0)
		cJSON_AddNumberToObject(x, "ttft_ms", r3(slo->ttft * 1e3));
	if (slo->tpot > 0)
		cJSON_AddNumberToObject(x, "tpot_ms", r3(slo->tpot * 1e3));
	if (slo->itl > 0)
		cJSON_AddNumberToObject(x, "itl_ms", r3(slo->itl * 1e3));
	if (slo->e2e > 0)
		cJSON_AddNumberToObject(x, "e2e_ms", r3(slo->e2e * 1e3));
	cJSON_AddNumberToObject(x, "attainment", slo->attainment);
	cJSON_AddNumberToObject(x, "good", (double)s->good);
	cJSON_AddNumberToObject(x, "good_fraction", s->sent ?
	    round((double)s->good / (double)s->sent * 10000) / 10000 : 0);
	cJSON_AddNumberToObject(x, "goodput_requests", r3((double)s->good /
	    (w > 0 ? w : 1e-9)));
	cJSON_AddBoolToObject(x, "met", slo_met(slo, s));
	return x;
}

/* One stage: its load, and every metric of the requests intended in it. */
/* A stage's own validity: what the run's verdict checks, on the requests
 * whose intended time fell in the stage. */
static cJSON *
stage_verdict(const struct bm *b, const struct bm_stage *st,
    const struct bm_limits *lim)
{
	cJSON			*x = cJSON_CreateObject(), *reasons;
	const struct bm_set	*s = &st->set;
	double			 ratio, lag99;

	reasons = cJSON_CreateArray();
	if (s->sent == 0)
		add_reason(reasons, "no request was measured");
	else if (s->ok == 0)
		add_reason(reasons, "every request failed");
	if (b->stg_rate && st->offered > 0) {
		ratio = (double)s->sent / (double)st->offered;
		if (ratio < lim->min_achieved)
			add_reason(reasons, "%llu of %llu scheduled requests "
			    "done (%.1f%%, limit %.0f%%)", (unsigned long long)
			    s->sent, (unsigned long long)st->offered,
			    ratio * 100, lim->min_achieved * 100);
		lag99 = (double)hist_percentile(s->h[BM_LAG], 99) / 1e9;
		if (hist_count(s->h[BM_LAG]) > 0 && lag99 > lim->max_lag)
			add_reason(reasons, "p99 dispatch lag %.3f ms is above "
			    "%.3f ms", lag99 * 1e3, lim->max_lag * 1e3);
		if (s->waited > 0)
			add_reason(reasons, "%llu requests waited for the "
			    "in-flight cap", (unsigned long long)s->waited);
	}
	if (s->ok > 0 && (double)(s->chunk_usage_mismatch + s->chunks_exceed) >
	    lim->max_token_mismatch * (double)s->ok)
		add_reason(reasons, "token sources disagree on %llu of %llu "
		    "requests", (unsigned long long)(s->chunk_usage_mismatch +
		    s->chunks_exceed), (unsigned long long)s->ok);
	cJSON_AddBoolToObject(x, "valid", cJSON_GetArraySize(reasons) == 0);
	cJSON_AddItemToObject(x, "reasons", reasons);
	return x;
}

static cJSON *
stage_json(const struct bm *b, const struct bm_stage *st,
    const struct bm_run *run, const struct bm_limits *lim)
{
	cJSON	*y = cJSON_CreateObject(), *x;
	double	 len = st->end - st->start;

	cJSON_AddStringToObject(y, "spec", st->spec);
	cJSON_AddNumberToObject(y, "start_s", r3(st->start));
	cJSON_AddNumberToObject(y, "end_s", r3(st->end));
	x = cJSON_AddObjectToObject(y, b->stg_rate ? "rate" : "concurrency");
	cJSON_AddNumberToObject(x, "from", st->from);
	cJSON_AddNumberToObject(x, "to", st->to);
	if (b->stg_rate) {
		cJSON_AddNumberToObject(y, "offered_requests",
		    (double)st->offered);
		cJSON_AddNumberToObject(y, "offered_rate", len > 0 ?
		    r3((double)st->offered / len) : 0);
	}
	cJSON_AddItemToObject(y, "requests", counts_json(&st->set));
	cJSON_AddItemToObject(y, "throughput", throughput_json(&st->set));
	cJSON_AddItemToObject(y, "tokens", tokens_json(&st->set));
	cJSON_AddItemToObject(y, "metrics", metrics_json(&st->set,
	    run->rate > 0, run->percentiles, run->npercentiles));
	cJSON_AddItemToObject(y, "verdict", stage_verdict(b, st, lim));
	return y;
}

/*
 * A recorded header: its values' counts, every metric per value (per
 * backend when the header names one, e.g. x-inference-pod) and how evenly
 * requests were spread over the values.
 */
static cJSON *
hdr_json(const struct bm_hdr *h, const struct bm_run *run)
{
	cJSON		*y = cJSON_CreateObject(), *v, *x;
	uint64_t	 tot = 0, hi = 0, lo = UINT64_MAX;
	size_t		 i;

	v = cJSON_AddObjectToObject(y, "values");
	for (i = 0; i < h->n; i++)
		cJSON_AddNumberToObject(v, h->vals[i], (double)h->counts[i]);
	cJSON_AddNumberToObject(y, "distinct", (double)h->n);
	cJSON_AddNumberToObject(y, "missing", (double)h->missing);
	cJSON_AddNumberToObject(y, "other", (double)h->other);
	v = cJSON_AddObjectToObject(y, "by_value");
	for (i = 0; i < h->n; i++) {
		x = cJSON_AddObjectToObject(v, h->vals[i]);
		cJSON_AddItemToObject(x, "requests", counts_json(&h->sets[i]));
		cJSON_AddItemToObject(x, "throughput",
		    throughput_json(&h->sets[i]));
		cJSON_AddItemToObject(x, "tokens", tokens_json(&h->sets[i]));
		cJSON_AddItemToObject(x, "metrics", metrics_json(&h->sets[i],
		    run->rate > 0, run->percentiles, run->npercentiles));
		tot += h->counts[i];
		if (h->counts[i] > hi)
			hi = h->counts[i];
		if (h->counts[i] < lo)
			lo = h->counts[i];
	}
	x = cJSON_AddObjectToObject(y, "balance");
	if (h->n > 0 && tot > 0) {
		cJSON_AddNumberToObject(x, "max_share", round((double)hi /
		    (double)tot * 1e4) / 1e4);
		cJSON_AddNumberToObject(x, "min_share", round((double)lo /
		    (double)tot * 1e4) / 1e4);
		cJSON_AddNumberToObject(x, "max_over_mean", round((double)hi *
		    (double)h->n / (double)tot * 1e4) / 1e4);
	} else {
		cJSON_AddNullToObject(x, "max_share");
		cJSON_AddNullToObject(x, "min_share");
		cJSON_AddNullToObject(x, "max_over_mean");
	}
	cJSON_AddStringToObject(x, "definition", "shares of the requests "
	    "carrying the header, per value; max_over_mean 1 is a perfect "
	    "spread, the number of values all on one");
	return y;
}

/* Upper edges of the event-loop lag histogram's coarse buckets, ns. */
static const uint64_t loop_edges[] = {
	10000, 100000, 1000000, 10000000, 100000000, 1000000000
};
#define NLOOP_EDGES	(sizeof loop_edges / sizeof loop_edges[0])

/* One event-loop lag distribution for the report: percentiles, coarse
 * buckets (counts below each edge, and at or above the last) and the
 * histogram's exact state, which bench merge adds up. */
static cJSON *
loop_lag_json(const struct hist *h, const char *definition)
{
	cJSON		*o = cJSON_CreateObject(), *a, *x;
	uint64_t	 below, prev = 0, n;
	size_t		 i;

	cJSON_AddStringToObject(o, "definition", definition);
	cJSON_AddStringToObject(o, "unit", "ms");
	n = h != NULL ? hist_count(h) : 0;
	cJSON_AddNumberToObject(o, "count", (double)n);
	if (n > 0) {
		cJSON_AddNumberToObject(o, "mean_ms", round(hist_mean(h) /
		    1e3) / 1e3);
		cJSON_AddNumberToObject(o, "p50_ms", round((double)
		    hist_percentile(h, 50) / 1e3) / 1e3);
		cJSON_AddNumberToObject(o, "p99_ms", round((double)
		    hist_percentile(h, 99) / 1e3) / 1e3);
		cJSON_AddNumberToObject(o, "max_ms", round((double)
		    hist_max(h) / 1e3) / 1e3);
	}
	a = cJSON_AddArrayToObject(o, "buckets");
	for (i = 0; i <= NLOOP_EDGES; i++) {
		below = i < NLOOP_EDGES ? (h != NULL ? hist_count_below(h,
		    loop_edges[i]) : 0) : n;
		x = cJSON_CreateObject();
		if (i < NLOOP_EDGES)
			cJSON_AddNumberToObject(x, "below_ms",
			    (double)loop_edges[i] / 1e6);
		else
			cJSON_AddStringToObject(x, "below_ms", "inf");
		cJSON_AddNumberToObject(x, "count", (double)(below - prev));
		cJSON_AddItemToArray(a, x);
		prev = below;
	}
	if (h != NULL)
		cJSON_AddItemToObject(o, "histogram", hist_export(h));
	return o;
}

cJSON *
bm_report(const struct bm *b, const struct lg_summary *sum,
    const struct bm_run *run, const struct bm_limits *lim)
{
	const struct bm_set	*s = &b->all;
	struct utsname		 un;
	cJSON			*o, *x, *y, *reasons, *cls, *st;
	double			 offered = 0, achieved = 0, ratio = 1, cpu;
	double			 lag99 = 0, n_sched, n_meas, span;
	double			 cpus, loop99;
	size_t			 i;
	int			 k, met, any;
	char			*d;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "schema", BM_SCHEMA);
	x = cJSON_AddObjectToObject(o, "tool");
	cJSON_AddStringToObject(x, "name", "maasctl bench");
	cJSON_AddStringToObject(x, "version", MAASCTL_VERSION);
	cJSON_AddStringToObject(x, "libcurl", curl_version());
	if (run->started_at != NULL)
		cJSON_AddStringToObject(o, "started_at", run->started_at);
	if (run->command != NULL)
		cJSON_AddStringToObject(o, "command", run->command);
	x = cJSON_AddObjectToObject(o, "target");
	cJSON_AddStringToObject(x, "url", run->target ? run->target : "");
	cJSON_AddStringToObject(x, "model", run->model ? run->model : "");

	x = cJSON_AddObjectToObject(o, "load");
	cJSON_AddStringToObject(x, "mode", run->mode);
	if (run->rate > 0) {
		cJSON_AddNumberToObject(x, "rate", run->rate);
		cJSON_AddStringToObject(x, "arrival", run->arrival);
		cJSON_AddNumberToObject(x, "burstiness", run->burstiness);
		cJSON_AddNumberToObject(x, "max_inflight",
		    (double)run->max_inflight);
	} else
		cJSON_AddNumberToObject(x, "concurrency",
		    (double)run->concurrency);
	if (run->stages != NULL)
		cJSON_AddStringToObject(x, "stages", run->stages);
	if (run->trace != NULL)
		cJSON_AddStringToObject(x, "trace", run->trace);
	cJSON_AddNumberToObject(x, "seed", (double)run->seed);
	cJSON_AddNumberToObject(x, "requests", (double)run->requests);
	cJSON_AddNumberToObject(x, "duration_s", run->duration);
	cJSON_AddNumberToObject(x, "warmup", (double)run->warmup);
	cJSON_AddBoolToObject(x, "stream", run->stream);
	if (run->workload != NULL)
		cJSON_AddItemToObject(o, "workload",
		    cJSON_Duplicate(run->workload, 1));

	x = counts_json(s);
	cJSON_AddNumberToObject(x, "warmup", (double)b->warmup);
	cJSON_AddNumberToObject(x, "dropped", (double)sum->dropped);
	cJSON_AddNumberToObject(x, "peak_in_flight",
	    (double)sum->peak_inflight);
	cJSON_AddNumberToObject(x, "connections_opened",
	    (double)sum->connections);
	cJSON_AddItemToObject(o, "requests", x);
	cJSON_AddItemToObject(o, "throughput", throughput_json(s));
	cJSON_AddItemToObject(o, "load_accounting", load_json(s));
	if (b->rl_responses > 0)
		cJSON_AddItemToObject(o, "quota", quota_json(b));

	if (run->rate > 0) {
		/* Offered: the schedule's own rate over the measured part;
		 * achieved: what left, over the same start. */
		n_sched = (double)sum->scheduled - (double)run->warmup;
		n_meas = (double)s->sent;
		span = sum->schedule_span - sum->first_measured;
		offered = n_sched > 1 && span > 0 ? (n_sched - 1) / span :
		    run->rate;
		span = sum->last_dispatch - sum->first_measured;
		achieved = n_meas > 1 && span > 0 ? (n_meas - 1) / span :
		    offered;
		ratio = offered > 0 ? achieved / offered : 1;
		lag99 = (double)hist_percentile(s->h[BM_LAG], 99) / 1e9;
		x = cJSON_AddObjectToObject(o, "offered_vs_achieved");
		cJSON_AddNumberToObject(x, "requested_rate", run->rate);
		cJSON_AddNumberToObject(x, "offered_rate", r3(offered));
		cJSON_AddNumberToObject(x, "achieved_rate", r3(achieved));
		cJSON_AddNumberToObject(x, "achieved_ratio",
		    round(ratio * 10000) / 10000);
		cJSON_AddNumberToObject(x, "dispatch_lag_p99_ms",
		    r3(lag99 * 1e3));
		cJSON_AddNumberToObject(x, "waited_for_cap", (double)s->waited);
		cJSON_AddNumberToObject(x, "dropped", (double)sum->dropped);
	}

	x = cJSON_AddObjectToObject(o, "errors");
	for (k = 1; k < LG_NCLASS; k++)
		if (b->err_first[k] != NULL)
			cJSON_AddStringToObject(x, lg_class_name(
			    (enum lg_class)k), b->err_first[k]);
	cJSON_AddItemToObject(o, "tokens", tokens_json(s));

	x = slo_json(&b->slo, s);
	/* Per-class objectives: the run meets its SLOs only when every
	 * class with objectives meets its own attainment too. */
	met = slo_met(&b->slo, s);
	any = bm_slo_set(&b->slo);
	for (i = 0; b->cls_slo != NULL && i < b->ncls; i++)
		if (bm_slo_set(&b->cls_slo[i])) {
			any = 1;
			met = met && slo_met(&b->cls_slo[i], &b->cls[i]);
		}
	cJSON_ReplaceItemInObject(x, "met", cJSON_CreateBool(met));
	cJSON_AddBoolToObject(x, "objectives_set", any);
	if (b->cls_slo != NULL)
		cJSON_AddBoolToObject(x, "per_class", 1);
	cJSON_AddStringToObject(x, "note", "good = succeeded and within "
	    "every SLO (its class's own when the class sets them); in open "
	    "loop TTFT and E2E are taken from the intended send time; "
	    "rate-limited and failed requests are never good");
	cJSON_AddItemToObject(o, "slo", x);

	cJSON_AddItemToObject(o, "metrics", metrics_json(s, run->rate > 0,
	    run->percentiles, run->npercentiles));
	cJSON_AddItemToObject(o, "definitions", definitions_json());

	x = cJSON_AddObjectToObject(o, "client");
	cpu = sum->wall > 0 ? (sum->cpu_user + sum->cpu_sys) / sum->wall : 0;
	cJSON_AddNumberToObject(x, "wall_s", r3(sum->wall));
	cJSON_AddNumberToObject(x, "cpu_user_s", r3(sum->cpu_user));
	cJSON_AddNumberToObject(x, "cpu_sys_s", r3(sum->cpu_sys));
	cJSON_AddNumberToObject(x, "cpu_share", round(cpu * 1000) / 1000);
	cJSON_AddNumberToObject(x, "max_rss_kib", (double)sum->max_rss_kib);
	cJSON_AddStringToObject(x, "transport", sum->curl_attempts == 0 ?
	    "native" : sum->native_attempts == 0 ? "libcurl" :
	    "native+libcurl");
	cJSON_AddNumberToObject(x, "kernel_rx_share", sum->rx_kernel +
	    sum->rx_user > 0 ? round((double)sum->rx_kernel / (double)
	    (sum->rx_kernel + sum->rx_user) * 1000) / 1000 : 0);
	cJSON_AddNumberToObject(x, "cores", (double)sysconf(
	    _SC_NPROCESSORS_ONLN));
	/* The client measuring itself: its event loop's lateness and how
	 * fast it reads and parses answers. */
	cpus = sum->cpu_user + sum->cpu_sys;
	cJSON_AddNumberToObject(x, "bytes_parsed", (double)sum->bytes_parsed);
	cJSON_AddNumberToObject(x, "bytes_parsed_per_s", sum->wall > 0 ?
	    round((double)sum->bytes_parsed / sum->wall) : 0);
	cJSON_AddNumberToObject(x, "bytes_parsed_per_cpu_s", cpus > 0 ?
	    round((double)sum->bytes_parsed / cpus) : 0);
	y = cJSON_AddObjectToObject(x, "loop_lag");
	cJSON_AddItemToObject(y, "timer", loop_lag_json(sum->loop_timer_lag,
	    "how late the event loop ran each timer callback (schedule, "
	    "libcurl, retry, stage and tick timers) against its deadline"));
	cJSON_AddItemToObject(y, "read", loop_lag_json(sum->loop_read_lag,
	    "how long response bytes waited between the kernel's receive "
	    "timestamp and the event loop's read of their socket (reads "
	    "without a kernel timestamp are not counted)"));
	loop99 = sum->loop_timer_lag != NULL ? (double)hist_percentile(
	    sum->loop_timer_lag, 99) / 1e9 : 0;
	if (uname(&un) == 0) {
		d = xasprintf("%s %s %s", un.sysname, un.release,
		    un.machine);
		cJSON_AddStringToObject(x, "host", d);
		free(d);
	}
	if (run->calibration != NULL)
		cJSON_AddItemToObject(o, "calibration",
		    cJSON_Duplicate(run->calibration, 1));

	x = cJSON_AddObjectToObject(o, "verdict");
	reasons = cJSON_CreateArray();
	if (sum->interrupted)
		add_reason(reasons, "interrupted before the end");
	if (s->sent == 0)
		add_reason(reasons, "no request was measured");
	else if (s->ok == 0)
		add_reason(reasons, "every request failed");
	if (run->rate > 0) {
		if (ratio < lim->min_achieved)
			add_reason(reasons, "achieved rate %.2f/s is %.1f%% of "
			    "the offered %.2f/s (limit %.0f%%)", achieved,
			    ratio * 100, offered, lim->min_achieved * 100);
		if (lag99 > lim->max_lag)
			add_reason(reasons, "p99 dispatch lag %.3f ms is above "
			    "%.3f ms", lag99 * 1e3, lim->max_lag * 1e3);
		if (s->waited > 0 || sum->dropped > 0)
			add_reason(reasons, "%llu requests waited for the "
			    "in-flight cap and %llu were never sent "
			    "(--max-inflight)", (unsigned long long)s->waited,
			    (unsigned long long)sum->dropped);
	}
	/* Too short a run says nothing about saturation. */
	if (cpu > lim->max_cpu && sum->wall >= 0.5)
		add_reason(reasons, "client CPU saturated: %.0f%% of a core "
		    "(limit %.0f%%)", cpu * 100, lim->max_cpu * 100);
	if (lim->max_loop_lag > 0 && loop99 > lim->max_loop_lag)
		add_reason(reasons, "the client's event loop ran its timers "
		    "%.3f ms late at p99 (limit %.3f ms): its own timings are "
		    "suspect", loop99 * 1e3, lim->max_loop_lag * 1e3);
	if (s->ok > 0 && (double)(s->chunk_usage_mismatch + s->chunks_exceed) >
	    lim->max_token_mismatch * (double)s->ok)
		add_reason(reasons, "token sources disagree on %llu of %llu "
		    "requests (per-chunk usage or chunk count vs server usage)",
		    (unsigned long long)(s->chunk_usage_mismatch +
		    s->chunks_exceed), (unsigned long long)s->ok);
	cJSON_AddBoolToObject(x, "valid", cJSON_GetArraySize(reasons) == 0);
	cJSON_AddItemToObject(x, "reasons", reasons);
	y = cJSON_AddObjectToObject(x, "limits");
	cJSON_AddNumberToObject(y, "min_achieved_ratio", lim->min_achieved);
	cJSON_AddNumberToObject(y, "max_dispatch_lag_p99_ms",
	    r3(lim->max_lag * 1e3));
	cJSON_AddNumberToObject(y, "max_cpu_share", lim->max_cpu);
	if (lim->max_loop_lag > 0)
		cJSON_AddNumberToObject(y, "max_loop_lag_p99_ms",
		    r3(lim->max_loop_lag * 1e3));
	cJSON_AddNumberToObject(y, "max_token_mismatch_share",
	    lim->max_token_mismatch);

	if (b->ncls > 1) {
		cls = cJSON_AddArrayToObject(o, "classes");
		for (i = 0; i < b->ncls; i++) {
			y = cJSON_CreateObject();
			cJSON_AddStringToObject(y, "name", b->cls_names[i]);
			cJSON_AddItemToObject(y, "requests",
			    counts_json(&b->cls[i]));
			cJSON_AddItemToObject(y, "throughput",
			    throughput_json(&b->cls[i]));
			cJSON_AddItemToObject(y, "load_accounting",
			    load_json(&b->cls[i]));
			cJSON_AddItemToObject(y, "tokens",
			    tokens_json(&b->cls[i]));
			cJSON_AddItemToObject(y, "metrics", metrics_json(
			    &b->cls[i], run->rate > 0, run->percentiles,
			    run->npercentiles));
			if (b->cls_slo != NULL)
				cJSON_AddItemToObject(y, "slo", slo_json(
				    &b->cls_slo[i], &b->cls[i]));
			if (b->csec != NULL)
				cJSON_AddItemToObject(y, "timeseries",
				    cJSON_Duplicate(b->csec[i].series, 1));
			cJSON_AddItemToArray(cls, y);
		}
	}
	if (b->nstg > 0) {
		cls = cJSON_AddArrayToObject(o, "stages");
		for (i = 0; i < b->nstg; i++)
			cJSON_AddItemToArray(cls, stage_json(b, &b->stg[i],
			    run, lim));
	}
	if (b->nturn > 0) {
		cls = cJSON_AddArrayToObject(o, "turns");
		for (i = 0; i < b->nturn; i++) {
			y = cJSON_CreateObject();
			cJSON_AddNumberToObject(y, "turn", (double)(i + 1));
			cJSON_AddItemToObject(y, "requests",
			    counts_json(&b->turn[i]));
			cJSON_AddItemToObject(y, "throughput",
			    throughput_json(&b->turn[i]));
			cJSON_AddItemToObject(y, "tokens",
			    tokens_json(&b->turn[i]));
			cJSON_AddItemToObject(y, "metrics", metrics_json(
			    &b->turn[i], run->rate > 0, run->percentiles,
			    run->npercentiles));
			cJSON_AddItemToArray(cls, y);
		}
	}
	if (b->nhdr > 0) {
		cls = cJSON_AddObjectToObject(o, "response_headers");
		for (i = 0; i < b->nhdr; i++)
			cJSON_AddItemToObject(cls, b->hdr[i].name,
			    hdr_json(&b->hdr[i], run));
	}
	if (b->raw_path != NULL) {
		x = cJSON_AddObjectToObject(o, "raw");
		cJSON_AddStringToObject(x, "file", b->raw_path);
		cJSON_AddNumberToObject(x, "rotate_bytes", (double)b->raw_rotate);
		cJSON_AddNumberToObject(x, "keep", (double)b->raw_keep);
		cJSON_AddNumberToObject(x, "rotations", (double)b->raw_parts);
		cJSON_AddNumberToObject(x, "parts_removed",
		    (double)b->raw_dropped);
		if (b->raw_err != NULL)
			cJSON_AddStringToObject(x, "error", b->raw_err);
		cJSON_AddStringToObject(x, "note", "parts: FILE (newest), "
		    "FILE.1, FILE.2 ... (older); bench exact reads them all for "
		    "exact percentiles");
	}
	cJSON_AddItemToObject(o, "timeseries", cJSON_Duplicate(b->series, 1));
	st = cJSON_AddObjectToObject(o, "state");
	cJSON_AddItemToObject(st, "all", bm_set_export(s));
	if (b->ncls > 1) {
		cls = cJSON_AddArrayToObject(st, "classes");
		for (i = 0; i < b->ncls; i++)
			cJSON_AddItemToArray(cls, bm_set_export(&b->cls[i]));
	}
	/* Stages, turns and recorded headers, for bench merge. */
	if (b->nstg > 0) {
		cls = cJSON_AddArrayToObject(st, "stages");
		for (i = 0; i < b->nstg; i++)
			cJSON_AddItemToArray(cls,
			    bm_set_export(&b->stg[i].set));
	}
	if (b->nturn > 0) {
		cls = cJSON_AddArrayToObject(st, "turns");
		for (i = 0; i < b->nturn; i++)
			cJSON_AddItemToArray(cls, bm_set_export(&b->turn[i]));
	}
	if (b->nhdr > 0) {
		cJSON	*hs = cJSON_AddObjectToObject(st, "headers"), *h, *v;
		size_t	 j;

		for (i = 0; i < b->nhdr; i++) {
			h = cJSON_AddObjectToObject(hs, b->hdr[i].name);
			cJSON_AddNumberToObject(h, "missing",
			    (double)b->hdr[i].missing);
			cJSON_AddNumberToObject(h, "other",
			    (double)b->hdr[i].other);
			v = cJSON_AddObjectToObject(h, "values");
			for (j = 0; j < b->hdr[i].n; j++)
				cJSON_AddItemToObject(v, b->hdr[i].vals[j],
				    bm_set_export(&b->hdr[i].sets[j]));
		}
	}
	return o;
}

int
bm_report_valid(const cJSON *r)
{
	const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "verdict"),
	    "valid");

	return cJSON_IsTrue(v);
}

int
bm_report_slo_met(const cJSON *r)
{
	const cJSON *slo = cJSON_GetObjectItem(r, "slo");

	if (cJSON_IsBool(cJSON_GetObjectItem(slo, "objectives_set")))
		return !cJSON_IsTrue(cJSON_GetObjectItem(slo,
		    "objectives_set")) ||
		    cJSON_IsTrue(cJSON_GetObjectItem(slo, "met"));
	if (cJSON_GetObjectItem(slo, "ttft_ms") == NULL &&
	    cJSON_GetObjectItem(slo, "tpot_ms") == NULL &&
	    cJSON_GetObjectItem(slo, "itl_ms") == NULL &&
	    cJSON_GetObjectItem(slo, "e2e_ms") == NULL)
		return 1;
	return cJSON_IsTrue(cJSON_GetObjectItem(slo, "met"));
}

/* ---- state export/import for merge ---- */

cJSON *
bm_set_export(const struct bm_set *s)
{
	cJSON	*o = cJSON_CreateObject(), *h, *k;
	size_t	 j;
	int	 i;

	for (j = 0; j < NCOUNTER; j++)
		cJSON_AddNumberToObject(o, set_counters[j].state,
		    (double)set_counter_get(s, j));
	cJSON_AddNumberToObject(o, "t_first_ns", (double)s->t_first);
	cJSON_AddNumberToObject(o, "t_last_ns", (double)s->t_last);
	k = cJSON_AddObjectToObject(o, "by_outcome");
	for (i = 0; i < LG_NCLASS; i++)
		cJSON_AddNumberToObject(k, lg_class_name((enum lg_class)i),
		    (double)s->klass[i]);
	h = cJSON_AddObjectToObject(o, "histograms");
	for (i = 0; i < BM_NMETRIC; i++)
		cJSON_AddItemToObject(h, metric_info[i].name,
		    hist_export(s->h[i]));
	return o;
}

int
bm_set_import(struct bm_set *s, const cJSON *o, struct err *e)
{
	const cJSON	*h, *k, *v;
	struct hist	*x;
	size_t		 j;
	int		 i;

	if (!cJSON_IsObject(o))
		return err_set(e, EXIT_USAGE, "no bench state (a report "
		    "written by maasctl bench --save)");
	for (j = 0; j < NCOUNTER; j++) {
		v = cJSON_GetObjectItem(o, set_counters[j].state);
		if (!cJSON_IsNumber(v) && !set_counters[j].optional)
			return err_set(e, EXIT_USAGE, "bench state: missing %s",
			    set_counters[j].state);
		*set_counter(s, j) = cJSON_IsNumber(v) ?
		    (uint64_t)v->valuedouble : 0;
	}
	s->t_first = (int64_t)json_num(o, "t_first_ns", -1);
	s->t_last = (int64_t)json_num(o, "t_last_ns", -1);
	k = cJSON_GetObjectItem(o, "by_outcome");
	for (i = 0; i < LG_NCLASS; i++)
		if (cJSON_IsNumber(v = cJSON_GetObjectItem(k,
		    lg_class_name((enum lg_class)i))))
			s->klass[i] = (uint64_t)v->valuedouble;
	h = cJSON_GetObjectItem(o, "histograms");
	for (i = 0; i < BM_NMETRIC; i++) {
		if ((v = cJSON_GetObjectItem(h, metric_info[i].name)) == NULL)
			continue;
		if ((x = hist_import(v, e)) == NULL) {
			err_wrap(e, "bench state: histogram %s",
			    metric_info[i].name);
			return -1;
		}
		hist_free(s->h[i]);
		s->h[i] = x;
	}
	return 0;
}

/* Import one saved set and add it into d. */
static int
merge_one(struct bm_set *d, const cJSON *state, const char *what,
    struct err *e)
{
	struct bm_set	 one;
	int		 rc;

	bm_set_init(&one);
	rc = bm_set_import(&one, state, e);
	if (rc == 0)
		rc = bm_set_merge(d, &one, e);
	bm_set_free(&one);
	if (rc != 0)
		err_wrap(e, "%s", what);
	return rc;
}

/* Add a report's saved state into b, set up with the same classes,
 * stages, turns and recorded headers. */
int
bm_merge_state(struct bm *b, const cJSON *st, struct err *e)
{
	const cJSON	*a, *h, *v;
	char		 what[96];
	size_t		 i, j;

	if (merge_one(&b->all, cJSON_GetObjectItem(st, "all"), "the run",
	    e) != 0)
		return -1;
	a = cJSON_GetObjectItem(st, "classes");
	if (b->ncls > 1 && (size_t)cJSON_GetArraySize(a) != b->ncls)
		return err_set(e, EXIT_USAGE, "the reports have different "
		    "classes");
	for (i = 0; b->ncls > 1 && i < b->ncls; i++) {
		snprintf(what, sizeof what, "class %s", b->cls_names[i]);
		if (merge_one(&b->cls[i], cJSON_GetArrayItem(a, (int)i), what,
		    e) != 0)
			return -1;
	}
	a = cJSON_GetObjectItem(st, "stages");
	if ((size_t)cJSON_GetArraySize(a) != b->nstg)
		return err_set(e, EXIT_USAGE, "the reports have different "
		    "stages");
	for (i = 0; i < b->nstg; i++) {
		snprintf(what, sizeof what, "stage %s", b->stg[i].spec);
		if (merge_one(&b->stg[i].set, cJSON_GetArrayItem(a, (int)i),
		    what, e) != 0)
			return -1;
	}
	a = cJSON_GetObjectItem(st, "turns");
	if ((size_t)cJSON_GetArraySize(a) != b->nturn)
		return err_set(e, EXIT_USAGE, "the reports have different "
		    "numbers of turns");
	for (i = 0; i < b->nturn; i++) {
		snprintf(what, sizeof what, "turn %zu", i + 1);
		if (merge_one(&b->turn[i], cJSON_GetArrayItem(a, (int)i), what,
		    e) != 0)
			return -1;
	}
	for (i = 0; i < b->nhdr; i++) {
		struct bm_hdr	*hd = &b->hdr[i];

		if ((h = cJSON_GetObjectItem(cJSON_GetObjectItem(st,
		    "headers"), hd->name)) == NULL)
			return err_set(e, EXIT_USAGE, "a report did not "
			    "record header %s", hd->name);
		hd->missing += (uint64_t)json_num(h, "missing", 0);
		hd->other += (uint64_t)json_num(h, "other", 0);
		cJSON_ArrayForEach(v, cJSON_GetObjectItem(h, "values")) {
			for (j = 0; j < hd->n; j++)
				if (strcmp(hd->vals[j], v->string) == 0)
					break;
			if (j == hd->n) {
				if (hd->n == BM_HDR_MAX) {
					hd->other += (uint64_t)json_num(v,
					    "sent", 0);
					continue;
				}
				hd->vals[hd->n] = xstrdup(v->string);
				bm_set_init(&hd->sets[hd->n]);
				hd->n++;
			}
			snprintf(what, sizeof what, "header %s", hd->name);
			if (merge_one(&hd->sets[j], v, what, e) != 0)
				return -1;
			hd->counts[j] = hd->sets[j].sent;
		}
	}
	return 0;
}

int
bm_set_merge(struct bm_set *d, const struct bm_set *s, struct err *e)
{
	size_t	 k;
	int	 i;

	for (k = 0; k < NCOUNTER; k++)
		*set_counter(d, k) += set_counter_get(s, k);
	for (i = 0; i < LG_NCLASS; i++)
		d->klass[i] += s->klass[i];
	for (i = 0; i < BM_NMETRIC; i++)
		if (hist_merge(d->h[i], s->h[i], e) != 0)
			return -1;
	if (s->t_first >= 0 && (d->t_first < 0 || s->t_first < d->t_first))
		d->t_first = s->t_first;
	if (s->t_last > d->t_last)
		d->t_last = s->t_last;
	return 0;
}

/* ---- option parsing helpers ---- */

int
bm_parse_percentiles(const char *s, double *out, size_t max, size_t *n,
    struct err *e)
{
	char	*copy = xstrdup(s), *tok, *save = NULL, *end;
	double	 v;

	*n = 0;
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		v = strtod(tok, &end);
		if (end == tok || *end != '\0' || !(v > 0 && v <= 100) ||
		    *n == max) {
			err_set(e, EXIT_USAGE, "invalid --percentiles \"%s\": "
			    "want up to %zu numbers in (0, 100] separated by "
			    "commas", s, max);
			free(copy);
			return -1;
		}
		out[(*n)++] = v;
	}
	free(copy);
	if (*n == 0)
		return err_set(e, EXIT_USAGE, "invalid --percentiles \"%s\": "
		    "empty", s);
	return 0;
}

int
bm_parse_slo(const char *s, struct bm_slo *slo, struct err *e)
{
	char	*copy = xstrdup(s), *tok, *save = NULL, *eq, *end;
	double	 v, *dst;
	int	 rc = -1;

	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((eq = strchr(tok, '=')) == NULL) {
			err_set(e, EXIT_USAGE, "invalid --slo \"%s\": want "
			    "NAME=VALUE pairs (ttft, tpot, itl, e2e, "
			    "attainment)", s);
			goto out;
		}
		*eq++ = '\0';
		if (strcmp(tok, "attainment") == 0) {
			v = strtod(eq, &end);
			if (end != eq && *end == '%') {
				v /= 100;
				end++;
			}
			if (end == eq || *end != '\0' || !(v > 0 && v <= 1)) {
				err_set(e, EXIT_USAGE, "invalid --slo "
				    "attainment \"%s\": want a fraction in "
				    "(0, 1] or a percentage", eq);
				goto out;
			}
			slo->attainment = v;
			continue;
		}
		if (strcmp(tok, "ttft") == 0)
			dst = &slo->ttft;
		else if (strcmp(tok, "tpot") == 0)
			dst = &slo->tpot;
		else if (strcmp(tok, "itl") == 0)
			dst = &slo->itl;
		else if (strcmp(tok, "e2e") == 0)
			dst = &slo->e2e;
		else {
			err_set(e, EXIT_USAGE, "invalid --slo: unknown "
			    "objective \"%s\" (want ttft, tpot, itl, e2e or "
			    "attainment)", tok);
			goto out;
		}
		if (duration_parse(eq, &v, e) != 0 || v <= 0) {
			err_set(e, EXIT_USAGE, "invalid --slo %s \"%s\": want "
			    "a positive duration such as 200ms", tok, eq);
			goto out;
		}
		*dst = v;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}
