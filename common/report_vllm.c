/*
 * report_vllm.c: a bench report in vLLM `bench serve` result keys, so
 * dashboards that parse vLLM's JSON read maasctl's: ttft, tpot, itl
 * (vLLM's ITL is every chunk gap) and e2el in ms with mean, median, std and
 * the percentiles the report carries, from the report's histograms.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "json.h"
#include "report.h"
#include "xalloc.h"

static double
r3(double v)
{
	return round(v * 1000) / 1000;
}

static void
add_metric(cJSON *o, const cJSON *hists, const char *ours, const char *theirs,
    const struct strlist *pk)
{
	struct hist	*h;
	char		 key[64];
	size_t		 i;

	h = hist_import(cJSON_GetObjectItem(hists, ours), NULL);
	if (h == NULL)
		return;
	snprintf(key, sizeof key, "mean_%s_ms", theirs);
	cJSON_AddNumberToObject(o, key, r3(hist_mean(h) / 1e6));
	snprintf(key, sizeof key, "median_%s_ms", theirs);
	cJSON_AddNumberToObject(o, key, r3((double)hist_percentile(h, 50) /
	    1e6));
	snprintf(key, sizeof key, "std_%s_ms", theirs);
	cJSON_AddNumberToObject(o, key, r3(hist_stddev(h) / 1e6));
	for (i = 0; i < pk->n; i++) {
		snprintf(key, sizeof key, "%s_%s_ms", pk->v[i], theirs);
		cJSON_AddNumberToObject(o, key, r3((double)hist_percentile(h,
		    strtod(pk->v[i] + 1, NULL)) / 1e6));
	}
	hist_free(h);
}

cJSON *
report_vllm(const cJSON *r)
{
	const cJSON	*hists = json_path(r, "state.all.histograms"), *it;
	struct strlist	 pk = STRLIST_INIT;
	cJSON		*o = cJSON_CreateObject();
	double		 rate = json_num(r, "load.rate", 0);
	const char	*ep = json_str(r, "workload.endpoint");

	cJSON_ArrayForEach(it, json_path(r, "metrics.ttft"))
		if (it->string[0] == 'p' && cJSON_IsNumber(it))
			sl_add(&pk, it->string);
	if (json_str(r, "started_at") != NULL)
		cJSON_AddStringToObject(o, "date", json_str(r, "started_at"));
	cJSON_AddStringToObject(o, "endpoint_type", ep != NULL &&
	    strcmp(ep, "completions") == 0 ? "openai" : "openai-chat");
	cJSON_AddStringToObject(o, "backend", ep != NULL &&
	    strcmp(ep, "completions") == 0 ? "openai" : "openai-chat");
	cJSON_AddStringToObject(o, "label", "maasctl-bench");
	cJSON_AddStringToObject(o, "model_id", json_str(r, "target.model") ?
	    json_str(r, "target.model") : "");
	cJSON_AddNullToObject(o, "tokenizer_id");
	cJSON_AddNumberToObject(o, "num_prompts", json_num(r,
	    "requests.sent", 0));
	if (rate > 0)
		cJSON_AddNumberToObject(o, "request_rate", rate);
	else
		cJSON_AddStringToObject(o, "request_rate", "inf");
	cJSON_AddNumberToObject(o, "burstiness", json_num(r,
	    "load.burstiness", 1));
	if (rate > 0)
		cJSON_AddNumberToObject(o, "max_concurrency", json_num(r,
		    "load.max_inflight", 0));
	else
		cJSON_AddNumberToObject(o, "max_concurrency", json_num(r,
		    "load.concurrency", 0));
	cJSON_AddNumberToObject(o, "duration", json_num(r,
	    "throughput.window_s", 0));
	cJSON_AddNumberToObject(o, "completed", json_num(r, "requests.ok", 0));
	cJSON_AddNumberToObject(o, "failed", json_num(r, "requests.failed",
	    0));
	cJSON_AddNumberToObject(o, "total_input_tokens", json_num(r,
	    "tokens.input_total", 0));
	cJSON_AddNumberToObject(o, "total_output_tokens", json_num(r,
	    "tokens.output_total", 0));
	/* Prefix-cache figures (not in vLLM's own result) only where the
	 * server reported cached tokens. */
	if (cJSON_IsTrue(json_path(r, "tokens.prefix_cache.reported"))) {
		cJSON_AddNumberToObject(o, "total_cached_input_tokens",
		    json_num(r, "tokens.prefix_cache.cached_tokens", 0));
		cJSON_AddNumberToObject(o, "prefix_cache_hit_rate",
		    json_num(r, "tokens.prefix_cache.hit_rate", 0));
	}
	cJSON_AddNumberToObject(o, "request_throughput", json_num(r,
	    "throughput.requests", 0));
	if (json_path(r, "slo.ttft_ms") || json_path(r, "slo.tpot_ms") ||
	    json_path(r, "slo.e2e_ms") || json_path(r, "slo.itl_ms"))
		cJSON_AddNumberToObject(o, "request_goodput", json_num(r,
		    "throughput.goodput_requests", 0));
	else
		cJSON_AddNullToObject(o, "request_goodput");
	cJSON_AddNumberToObject(o, "output_throughput", json_num(r,
	    "throughput.output_tokens", 0));
	cJSON_AddNumberToObject(o, "total_token_throughput", json_num(r,
	    "throughput.total_tokens", 0));
	cJSON_AddNumberToObject(o, "max_concurrent_requests", json_num(r,
	    "requests.peak_in_flight", 0));
	add_metric(o, hists, "ttft", "ttft", &pk);
	add_metric(o, hists, "tpot", "tpot", &pk);
	add_metric(o, hists, "itl_chunk", "itl", &pk);
	add_metric(o, hists, "e2e", "e2el", &pk);
	sl_free(&pk);
	return o;
}
