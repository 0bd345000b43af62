/*
 * report_text.c: the terminal summary of a bench report: the verdict,
 * load, throughput, errors by class and one row per latency metric with
 * the percentiles the report carries.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "report.h"
#include "xalloc.h"

static const char *const shown[] = {
	"ttfb", "ttft", "ttfo", "tpot", "ntpot", "itl_chunk", "itl_token",
	"e2e", "ttft_from_schedule", "e2e_from_schedule", "dispatch_lag",
	"connect", "input_tokens", "cached_tokens", "output_tokens", NULL
};

static void
num(struct strbuf *sb, double v)
{
	if (fabs(v) >= 1000)
		sb_addf(sb, " %10.0f", v);
	else if (fabs(v) >= 100)
		sb_addf(sb, " %10.1f", v);
	else
		sb_addf(sb, " %10.3f", v);
}

/* Which definition the headlines use, and the names other tools give
 * the same quantities (BENCH-ANCHORS 2.6). */
static void
definitions_text(struct strbuf *sb, const cJSON *d)
{
	static const char *const tools[][2] = {
		{ "maasctl", "maasctl" }, { "vllm", "vLLM" },
		{ "guidellm", "GuideLLM" }, { "inference_perf",
		"inference-perf" }, { "aiperf", "AIPerf" },
		{ "llmperf", "LLMPerf" },
	};
	const cJSON	*it;
	size_t		 i;
	int		 n = 0;

	if (d == NULL)
		return;
	sb_adds(sb, "\ndefinitions: headline");
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(d, "headline"))
		if (strchr(it->valuestring, ' ') == NULL)
			sb_addf(sb, "%s %s = %s (%s)", n++ ? "," : "",
			    it->string, it->valuestring, json_str(
			    cJSON_GetObjectItem(d, "weighting"),
			    it->valuestring) ? json_str(cJSON_GetObjectItem(d,
			    "weighting"), it->valuestring) : "?");
	sb_addc(sb, '\n');
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(d, "mapping")) {
		sb_addf(sb, "  %s:", json_str(it, "quantity"));
		for (i = 0; i < sizeof tools / sizeof tools[0]; i++)
			sb_addf(sb, "%s %s %s", i ? ";" : "", tools[i][1],
			    json_str(it, tools[i][0]));
		sb_addc(sb, '\n');
	}
}

/* The quota state of the answers' rate-limit headers. */
static void
quota_line(struct strbuf *sb, const cJSON *q)
{
	const cJSON	*it;
	int		 n = 0;

	sb_addf(sb, "quota (rate-limit headers on %.0f answers): least",
	    json_num(q, "responses", 0));
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(q, "least"))
		sb_addf(sb, "%s %s %g", n++ ? "," : "", it->string,
		    it->valuedouble);
	sb_addc(sb, '\n');
}

/* The scraped server figures of the run (--server-metrics). */
static void
server_line(struct strbuf *sb, const cJSON *x)
{
	static const char *const k[] = { "server_queue_time_ms",
	    "server_prefill_time_ms", "server_decode_time_ms",
	    "server_prefix_cache_hit_rate", "server_generation_tokens_per_s" };
	static const char *const label[] = { "queue %.3f ms", "prefill %.3f ms",
	    "decode %.3f ms", "prefix cache hits %.2f%%",
	    "%.1f generated tok/s" };
	const cJSON	*v;
	size_t		 i;
	int		 any = 0;

	sb_addf(sb, "server (%s, %.0f scrapes, %.0f failed):",
	    json_str(x, "url"), json_num(x, "scrapes", 0),
	    json_num(x, "scrape_errors", 0));
	for (i = 0; i < sizeof k / sizeof k[0]; i++) {
		v = json_path(cJSON_GetObjectItem(x, "run"), k[i]);
		if (!cJSON_IsNumber(v))
			continue;
		sb_addf(sb, "%s ", any++ ? "," : "");
		sb_addf(sb, label[i], v->valuedouble * (i == 3 ? 100 : 1));
	}
	if (!any)
		sb_adds(sb, " no vLLM timing series");
	sb_addc(sb, '\n');
}

static void
metrics_table(struct strbuf *sb, const cJSON *metrics)
{
	const cJSON	*m, *first = NULL, *it;
	struct strlist	 pk = STRLIST_INIT;
	size_t		 i, j;

	for (i = 0; shown[i] != NULL; i++)
		if ((m = cJSON_GetObjectItem(metrics, shown[i])) != NULL &&
		    json_num(m, "count", 0) > 0) {
			first = m;
			break;
		}
	if (first == NULL)
		return;
	cJSON_ArrayForEach(it, first)
		if (it->string[0] == 'p' && cJSON_IsNumber(it))
			sl_add(&pk, it->string);
	sb_addf(sb, "%-19s %-6s %10s %10s", "metric", "unit", "count",
	    "mean");
	for (j = 0; j < pk.n; j++)
		sb_addf(sb, " %10s", pk.v[j]);
	sb_addf(sb, " %10s\n", "max");
	for (i = 0; shown[i] != NULL; i++) {
		if ((m = cJSON_GetObjectItem(metrics, shown[i])) == NULL ||
		    json_num(m, "count", 0) == 0)
			continue;
		sb_addf(sb, "%-19s %-6s %10.0f", shown[i],
		    json_str(m, "unit") ? json_str(m, "unit") : "",
		    json_num(m, "count", 0));
		num(sb, json_num(m, "mean", 0));
		for (j = 0; j < pk.n; j++)
			num(sb, cJSON_GetNumberValue(cJSON_GetObjectItem(m, pk.v[j])));
		num(sb, json_num(m, "max", 0));
		sb_addc(sb, '\n');
	}
	sl_free(&pk);
}

/* The prefix-cache line of a report, class or stage, when its server
 * reported cached tokens. */
static void
cache_line(struct strbuf *sb, const char *indent, const cJSON *o)
{
	const cJSON	*pc = json_path(o, "tokens.prefix_cache");

	if (!cJSON_IsTrue(cJSON_GetObjectItem(pc, "reported")))
		return;
	sb_addf(sb, "%sprefix cache: %.0f of %.0f prompt tokens cached "
	    "(%.2f%%), %.0f of %.0f requests hit", indent,
	    json_num(pc, "cached_tokens", 0), json_num(pc, "prompt_tokens", 0),
	    json_num(pc, "hit_rate", 0) * 100, json_num(pc, "hit_requests", 0),
	    json_num(pc, "reporting_requests", 0));
	if (json_num(o, "metrics.ttft_cache_hit.count", 0) > 0)
		sb_addf(sb, "; ttft p50 %.3f ms on hits", json_num(o,
		    "metrics.ttft_cache_hit.p50", 0));
	if (json_num(o, "metrics.ttft_cache_miss.count", 0) > 0)
		sb_addf(sb, ", %.3f ms on misses", json_num(o,
		    "metrics.ttft_cache_miss.p50", 0));
	sb_addc(sb, '\n');
}

/* One line per stage: its load, what it did, its latencies. */
static void
stages_table(struct strbuf *sb, const cJSON *stages)
{
	const cJSON	*st, *load;
	int		 rate, cache = 0;

	if (cJSON_GetArraySize(stages) == 0)
		return;
	cJSON_ArrayForEach(st, stages)
		cache |= cJSON_IsTrue(json_path(st,
		    "tokens.prefix_cache.reported"));
	sb_addf(sb, "\n%-16s %-15s %7s %7s %9s %10s %10s %10s %10s%s\n",
	    "stage", "load", "sent", "ok", "req/s", "tok/s", "ttft p50",
	    "ttft p99", "tpot p50", cache ? "    cached" : "");
	cJSON_ArrayForEach(st, stages) {
		char	 l[96];

		rate = (load = cJSON_GetObjectItem(st, "rate")) != NULL;
		if (!rate)
			load = cJSON_GetObjectItem(st, "concurrency");
		if (json_num(load, "from", 0) == json_num(load, "to", 0))
			snprintf(l, sizeof l, "%s %g", rate ? "rate" : "c",
			    json_num(load, "from", 0));
		else
			snprintf(l, sizeof l, "%s %g..%g", rate ? "rate" : "c",
			    json_num(load, "from", 0), json_num(load, "to", 0));
		sb_addf(sb, "%-16.16s %-15.15s %7.0f %7.0f %9.2f %10.1f "
		    "%10.3f %10.3f %10.3f\n", json_str(st, "spec"), l,
		    json_num(st, "requests.sent", 0),
		    json_num(st, "requests.ok", 0),
		    json_num(st, "throughput.requests", 0),
		    json_num(st, "throughput.output_tokens", 0),
		    json_num(st, "metrics.ttft.p50", 0),
		    json_num(st, "metrics.ttft.p99", 0),
		    json_num(st, "metrics.tpot.p50", 0));
		if (cache) {
			sb->len--;
			sb->buf[sb->len] = '\0';
			sb_addf(sb, " %8.2f%%\n", json_num(st,
			    "tokens.prefix_cache.hit_rate", 0) * 100);
		}
	}
	/* Stages whose own verdict failed, with why. */
	cJSON_ArrayForEach(st, stages) {
		const cJSON	*why;
		int		 first = 1;

		if (!cJSON_IsFalse(json_path(st, "verdict.valid")))
			continue;
		sb_addf(sb, "stage %s INVALID:", json_str(st, "spec"));
		cJSON_ArrayForEach(why, json_path(st, "verdict.reasons")) {
			sb_addf(sb, "%s %s", first ? "" : ";", why->valuestring);
			first = 0;
		}
		sb_addc(sb, '\n');
	}
}

/* One line per turn of multi-turn conversations. */
static void
turns_table(struct strbuf *sb, const cJSON *turns)
{
	const cJSON	*t;
	int		 cache = 0;

	if (cJSON_GetArraySize(turns) == 0)
		return;
	cJSON_ArrayForEach(t, turns)
		cache |= cJSON_IsTrue(json_path(t,
		    "tokens.prefix_cache.reported"));
	sb_addf(sb, "\n%-6s %7s %7s %10s %10s %10s %10s %10s%s\n", "turn",
	    "sent", "ok", "input tok", "tok/s", "ttft p50", "ttft p99",
	    "tpot p50", cache ? "    cached" : "");
	cJSON_ArrayForEach(t, turns) {
		sb_addf(sb, "%-6.0f %7.0f %7.0f %10.1f %10.1f %10.3f %10.3f "
		    "%10.3f", json_num(t, "turn", 0),
		    json_num(t, "requests.sent", 0),
		    json_num(t, "requests.ok", 0),
		    json_num(t, "metrics.input_tokens.mean", 0),
		    json_num(t, "throughput.output_tokens", 0),
		    json_num(t, "metrics.ttft.p50", 0),
		    json_num(t, "metrics.ttft.p99", 0),
		    json_num(t, "metrics.tpot.p50", 0));
		if (cache)
			sb_addf(sb, " %8.2f%%", json_num(t,
			    "tokens.prefix_cache.hit_rate", 0) * 100);
		sb_addc(sb, '\n');
	}
}

/* The client's own event-loop lag and parse rate (two lines). */
static void
loop_lag_text(struct strbuf *sb, const cJSON *r)
{
	static const char *const kinds[] = { "timer", "read" };
	const cJSON	*l, *b;
	char		 path[64];
	size_t		 i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "client.loop_lag.%s", kinds[i]);
		if ((l = json_path(r, path)) == NULL)
			continue;
		if (json_num(l, "count", 0) == 0) {
			sb_addf(sb, "client loop lag (%s): none measured\n",
			    kinds[i]);
			continue;
		}
		sb_addf(sb, "client loop lag (%s): p50 %.3f ms, p99 %.3f ms, "
		    "max %.3f ms over %.0f; histogram", kinds[i],
		    json_num(l, "p50_ms", 0), json_num(l, "p99_ms", 0),
		    json_num(l, "max_ms", 0), json_num(l, "count", 0));
		cJSON_ArrayForEach(b, cJSON_GetObjectItem(l, "buckets")) {
			const cJSON *e = cJSON_GetObjectItem(b, "below_ms");

			if (cJSON_IsNumber(e))
				sb_addf(sb, " <%gms:%.0f", e->valuedouble,
				    json_num(b, "count", 0));
			else
				sb_addf(sb, " more:%.0f", json_num(b, "count",
				    0));
		}
		sb_adds(sb, "\n");
	}
	if (json_path(r, "client.bytes_parsed") != NULL)
		sb_addf(sb, "client parsing: %.0f bytes, %.1f MB/s of run, "
		    "%.1f MB/s of client CPU\n", json_num(r,
		    "client.bytes_parsed", 0), json_num(r,
		    "client.bytes_parsed_per_s", 0) / 1e6, json_num(r,
		    "client.bytes_parsed_per_cpu_s", 0) / 1e6);
}

/* The tokens.isl figures in one line (no name, no newline), or NULL
 * when the report has none. */
char *
report_isl_line(const cJSON *r)
{
	struct strbuf	 sb = STRBUF_INIT;

	if (json_path(r, "tokens.isl") == NULL)
		return NULL;
	sb_addf(&sb, "requested mean %.1f tokens, server-counted mean ",
	    json_num(r, "tokens.isl.requested_mean", 0));
	if (cJSON_IsNumber(json_path(r, "tokens.isl.server_mean")))
		sb_addf(&sb, "%.1f", json_num(r, "tokens.isl.server_mean", 0));
	else
		sb_adds(&sb, "unknown");
	if (json_path(r, "tokens.isl.calibration") != NULL)
		sb_addf(&sb, " (/tokenize: %.0f overhead, %.4f per word; %.0f "
		    "words counted %.0f)", json_num(r,
		    "tokens.isl.calibration.overhead_tokens", 0), json_num(r,
		    "tokens.isl.calibration.tokens_per_word", 0), json_num(r,
		    "tokens.isl.calibration.words", 0), json_num(r,
		    "tokens.isl.calibration.server_tokens", 0));
	sb_addf(&sb, "; prompts: %s", json_str(r, "tokens.isl.prompts") ?
	    json_str(r, "tokens.isl.prompts") : "");
	return sb_detach(&sb);
}

/* The tokens.deltas counts in one line, or NULL when no request had
 * reasoning or tool-call deltas (content alone says nothing new). */
char *
report_deltas_line(const cJSON *r)
{
	if (json_num(r, "tokens.deltas.reasoning_chunks", 0) <= 0 &&
	    json_num(r, "tokens.deltas.tool_call_chunks", 0) <= 0 &&
	    json_num(r, "tokens.deltas.tool_calls_non_streamed", 0) <= 0)
		return NULL;
	return xasprintf("%.0f content, %.0f reasoning, %.0f tool-call "
	    "chunks; %.0f requests with reasoning, %.0f with tool calls",
	    json_num(r, "tokens.deltas.content_chunks", 0),
	    json_num(r, "tokens.deltas.reasoning_chunks", 0),
	    json_num(r, "tokens.deltas.tool_call_chunks", 0),
	    json_num(r, "tokens.deltas.requests_with_reasoning", 0),
	    json_num(r, "tokens.deltas.requests_with_tool_calls", 0));
}

char *
report_text(const cJSON *r)
{
	struct strbuf	 sb = STRBUF_INIT;
	const cJSON	*v, *reasons, *it, *by, *errs, *cls;
	const char	*mode = json_str(r, "load.mode");
	char		*line;
	int		 first;

	sb_addf(&sb, "maasctl bench: %s loop", mode ? mode : "?");
	if (json_num(r, "load.rate", 0) > 0)
		sb_addf(&sb, ", %s arrivals at %g/s",
		    json_str(r, "load.arrival"), json_num(r, "load.rate", 0));
	else
		sb_addf(&sb, ", concurrency %.0f",
		    json_num(r, "load.concurrency", 0));
	sb_addf(&sb, ", model %s at %s\n", json_str(r, "target.model"),
	    json_str(r, "target.url"));
	v = json_path(r, "verdict.valid");
	if (cJSON_IsTrue(v))
		sb_adds(&sb, "verdict: VALID\n");
	else {
		sb_adds(&sb, "verdict: INVALID:");
		reasons = json_path(r, "verdict.reasons");
		first = 1;
		cJSON_ArrayForEach(it, reasons) {
			sb_addf(&sb, "%s %s", first ? "" : ";",
			    it->valuestring);
			first = 0;
		}
		sb_addc(&sb, '\n');
	}
	sb_addf(&sb, "requests: %.0f sent, %.0f ok, %.0f failed",
	    json_num(r, "requests.sent", 0), json_num(r, "requests.ok", 0),
	    json_num(r, "requests.failed", 0));
	by = json_path(r, "requests.by_outcome");
	cJSON_ArrayForEach(it, by)
		if (strcmp(it->string, "ok") != 0 && it->valuedouble > 0)
			sb_addf(&sb, ", %s %.0f", it->string, it->valuedouble);
	if (json_num(r, "requests.throttled_responses", 0) > 0)
		sb_addf(&sb, " (429/503 answers %.0f, retries %.0f)",
		    json_num(r, "requests.throttled_responses", 0),
		    json_num(r, "requests.retries", 0));
	if (json_num(r, "requests.warmup", 0) > 0)
		sb_addf(&sb, "; warm-up %.0f", json_num(r, "requests.warmup",
		    0));
	sb_addc(&sb, '\n');
	errs = cJSON_GetObjectItem(r, "errors");
	cJSON_ArrayForEach(it, errs)
		sb_addf(&sb, "  first %s error: %s\n", it->string,
		    it->valuestring);
	sb_addf(&sb, "throughput over %.3f s: %.2f req/s, %.1f output tok/s, "
	    "%.1f total tok/s, goodput %.2f req/s\n",
	    json_num(r, "throughput.window_s", 0),
	    json_num(r, "throughput.requests", 0),
	    json_num(r, "throughput.output_tokens", 0),
	    json_num(r, "throughput.total_tokens", 0),
	    json_num(r, "throughput.goodput_requests", 0));
	if (cJSON_GetObjectItem(r, "offered_vs_achieved") != NULL)
		sb_addf(&sb, "load: offered %.2f/s, achieved %.2f/s (%.2f%%), "
		    "dispatch lag p99 %.3f ms, waited %.0f, dropped %.0f\n",
		    json_num(r, "offered_vs_achieved.offered_rate", 0),
		    json_num(r, "offered_vs_achieved.achieved_rate", 0),
		    json_num(r, "offered_vs_achieved.achieved_ratio", 0) * 100,
		    json_num(r, "offered_vs_achieved.dispatch_lag_p99_ms", 0),
		    json_num(r, "offered_vs_achieved.waited_for_cap", 0),
		    json_num(r, "offered_vs_achieved.dropped", 0));
	if (cJSON_GetObjectItem(r, "replay") != NULL)
		sb_addf(&sb, "replay: %s, %.0f requests over %.3f s; prompt "
		    "lengths differ from the original in %.0f of %.0f\n",
		    json_str(r, "replay.file"), json_num(r, "replay.requests",
		    0), json_num(r, "replay.span_s", 0), json_num(r,
		    "replay.prompt_tokens_differ", 0), json_num(r,
		    "replay.compared", 0));
	sb_addf(&sb, "tokens: %.0f in, %.0f out (%s); usage missing %.0f, "
	    "source mismatches %.0f\n", json_num(r, "tokens.input_total", 0),
	    json_num(r, "tokens.output_total", 0),
	    json_str(r, "tokens.output_source"),
	    json_num(r, "tokens.sources.usage_missing", 0),
	    json_num(r, "tokens.sources.per_chunk_usage_mismatch", 0) +
	    json_num(r, "tokens.sources.chunks_exceed_usage", 0));
	cache_line(&sb, "", r);
	if ((line = report_isl_line(r)) != NULL) {
		sb_addf(&sb, "isl: %s\n", line);
		free(line);
	}
	if ((line = report_deltas_line(r)) != NULL) {
		sb_addf(&sb, "deltas: %s\n", line);
		free(line);
	}
	if (json_path(r, "slo.ttft_ms") || json_path(r, "slo.tpot_ms") ||
	    json_path(r, "slo.itl_ms") || json_path(r, "slo.e2e_ms"))
		sb_addf(&sb, "slo: %.0f good of %.0f (%.2f%%, need %.2f%%): "
		    "%s\n", json_num(r, "slo.good", 0),
		    json_num(r, "requests.sent", 0),
		    json_num(r, "slo.good_fraction", 0) * 100,
		    json_num(r, "slo.attainment", 0) * 100,
		    cJSON_IsTrue(json_path(r, "slo.met")) ? "met" : "MISSED");
	sb_addf(&sb, "client: %.0f%% CPU, %.0f KiB max RSS, %.0f connections%s"
	    "%s\n", json_num(r, "client.cpu_share", 0) * 100,
	    json_num(r, "client.max_rss_kib", 0),
	    json_num(r, "requests.connections_opened", 0),
	    json_str(r, "client.transport") ? ", transport " : "",
	    json_str(r, "client.transport") ? json_str(r, "client.transport") :
	    "");
	loop_lag_text(&sb, r);
	if ((v = cJSON_GetObjectItem(r, "load_accounting")) != NULL &&
	    (json_num(v, "throttled_answers", 0) > 0 ||
	    json_num(v, "admitted_requests", 0) < json_num(v,
	    "offered_requests", 0) || cJSON_GetObjectItem(r, "quota")))
		sb_addf(&sb, "load accounting: offered %.0f (%.2f/s), admitted "
		    "%.0f (%.2f/s, %.2f%%), good %.0f (%.2f/s); 429/503 answers "
		    "%.0f in %.0f attempts\n", json_num(v, "offered_requests", 0),
		    json_num(v, "offered_rate", 0),
		    json_num(v, "admitted_requests", 0),
		    json_num(v, "admitted_rate", 0),
		    json_num(v, "admitted_share", 0) * 100,
		    json_num(v, "good_requests", 0), json_num(v, "good_rate", 0),
		    json_num(v, "throttled_answers", 0),
		    json_num(v, "attempts", 0));
	if ((v = cJSON_GetObjectItem(r, "quota")) != NULL)
		quota_line(&sb, v);
	if ((v = cJSON_GetObjectItem(r, "server_metrics")) != NULL)
		server_line(&sb, v);
	sb_addc(&sb, '\n');
	metrics_table(&sb, cJSON_GetObjectItem(r, "metrics"));
	cls = cJSON_GetObjectItem(r, "classes");
	cJSON_ArrayForEach(it, cls) {
		sb_addf(&sb, "\nclass %s: %.0f sent, %.0f ok, %.2f req/s, "
		    "%.1f output tok/s\n", json_str(it, "name"),
		    json_num(it, "requests.sent", 0),
		    json_num(it, "requests.ok", 0),
		    json_num(it, "throughput.requests", 0),
		    json_num(it, "throughput.output_tokens", 0));
		if (cJSON_GetObjectItem(it, "slo") != NULL)
			sb_addf(&sb, "  slo: %.0f good (%.2f%%, need %.2f%%), "
			    "goodput %.2f req/s: %s\n",
			    json_num(it, "slo.good", 0),
			    json_num(it, "slo.good_fraction", 0) * 100,
			    json_num(it, "slo.attainment", 0) * 100,
			    json_num(it, "slo.goodput_requests", 0),
			    cJSON_IsTrue(json_path(it, "slo.met")) ? "met" :
			    "MISSED");
		cache_line(&sb, "  ", it);
		metrics_table(&sb, cJSON_GetObjectItem(it, "metrics"));
	}
	stages_table(&sb, cJSON_GetObjectItem(r, "stages"));
	turns_table(&sb, cJSON_GetObjectItem(r, "turns"));
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(r, "response_headers")) {
		const cJSON *hv;

		sb_addf(&sb, "\nheader %s:", it->string);
		cJSON_ArrayForEach(hv, cJSON_GetObjectItem(it, "values"))
			sb_addf(&sb, " %s %.0f,", hv->string, hv->valuedouble);
		sb_addf(&sb, " missing %.0f", json_num(it, "missing", 0));
		if (json_num(it, "other", 0) > 0)
			sb_addf(&sb, ", other values %.0f",
			    json_num(it, "other", 0));
		sb_addc(&sb, '\n');
		/* Per value (per backend): share and latency. */
		cJSON_ArrayForEach(hv, cJSON_GetObjectItem(it, "by_value")) {
			sb_addf(&sb, "  %s: %.0f ok of %.0f, ttft p50 %.3f ms "
			    "p99 %.3f ms, e2e p50 %.3f ms", hv->string,
			    json_num(hv, "requests.ok", 0),
			    json_num(hv, "requests.sent", 0),
			    json_num(hv, "metrics.ttft.p50", 0),
			    json_num(hv, "metrics.ttft.p99", 0),
			    json_num(hv, "metrics.e2e.p50", 0));
			if (cJSON_IsTrue(json_path(hv,
			    "tokens.prefix_cache.reported")))
				sb_addf(&sb, ", prefix cache %.2f%%",
				    json_num(hv, "tokens.prefix_cache.hit_rate",
				    0) * 100);
			sb_addc(&sb, '\n');
		}
		if (cJSON_IsNumber(json_path(it, "balance.max_over_mean")))
			sb_addf(&sb, "  balance: shares %.2f%% to %.2f%%, "
			    "busiest/mean %.2f\n", json_num(it,
			    "balance.min_share", 0) * 100, json_num(it,
			    "balance.max_share", 0) * 100, json_num(it,
			    "balance.max_over_mean", 0));
	}
	definitions_text(&sb, cJSON_GetObjectItem(r, "definitions"));
	return sb_detach(&sb);
}

char *
report_progress(double elapsed, long inflight, double rps, double tps,
    double p50, double p99, unsigned long long errors)
{
	return xasprintf("[%6.1fs] in-flight %ld  %.1f req/s  %.0f tok/s  "
	    "TTFT p50 %.1f ms p99 %.1f ms  errors %llu", elapsed, inflight,
	    rps, tps, p50, p99, errors);
}
