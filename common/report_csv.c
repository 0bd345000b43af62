/*
 * report_csv.c: a bench report as CSV: one row per metric (distributions
 * with their percentiles, in the metric's unit) and one row per headline
 * figure (throughputs, counts, the verdict) with only "value" filled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "report.h"
#include "xalloc.h"

static void
scalar(struct strbuf *sb, const char *name, const char *unit, double v,
    size_t npk)
{
	size_t	 i;

	sb_addf(sb, "%s,%s,,%.6g", name, unit, v);
	for (i = 0; i < npk + 4; i++)
		sb_addc(sb, ',');
	sb_addc(sb, '\n');
}

char *
report_csv(const cJSON *r)
{
	struct strbuf	 sb = STRBUF_INIT;
	struct strlist	 pk = STRLIST_INIT;
	const cJSON	*m, *it;
	size_t		 i;

	cJSON_ArrayForEach(it, json_path(r, "metrics.ttft"))
		if (it->string[0] == 'p' && cJSON_IsNumber(it))
			sl_add(&pk, it->string);
	sb_adds(&sb, "metric,unit,count,value,mean,std,min,max");
	for (i = 0; i < pk.n; i++)
		sb_addf(&sb, ",%s", pk.v[i]);
	sb_addc(&sb, '\n');
	cJSON_ArrayForEach(m, cJSON_GetObjectItem(r, "metrics")) {
		sb_addf(&sb, "%s,%s,%.0f,,%.6g,%.6g,%.6g,%.6g", m->string,
		    json_str(m, "unit"), json_num(m, "count", 0),
		    json_num(m, "mean", 0), json_num(m, "std", 0),
		    json_num(m, "min", 0), json_num(m, "max", 0));
		for (i = 0; i < pk.n; i++)
			sb_addf(&sb, ",%.6g", cJSON_GetNumberValue(
			    cJSON_GetObjectItem(m, pk.v[i])));
		sb_addc(&sb, '\n');
	}
	scalar(&sb, "requests_sent", "requests", json_num(r, "requests.sent",
	    0), pk.n);
	scalar(&sb, "requests_ok", "requests", json_num(r, "requests.ok", 0),
	    pk.n);
	scalar(&sb, "requests_failed", "requests", json_num(r,
	    "requests.failed", 0), pk.n);
	cJSON_ArrayForEach(it, json_path(r, "requests.by_outcome"))
		if (strcmp(it->string, "ok") != 0) {
			char *n = xasprintf("failed_%s", it->string);

			scalar(&sb, n, "requests", it->valuedouble, pk.n);
			free(n);
		}
	scalar(&sb, "request_throughput", "requests/s", json_num(r,
	    "throughput.requests", 0), pk.n);
	scalar(&sb, "output_token_throughput", "tokens/s", json_num(r,
	    "throughput.output_tokens", 0), pk.n);
	scalar(&sb, "total_token_throughput", "tokens/s", json_num(r,
	    "throughput.total_tokens", 0), pk.n);
	scalar(&sb, "goodput", "requests/s", json_num(r,
	    "throughput.goodput_requests", 0), pk.n);
	if (json_path(r, "offered_vs_achieved") != NULL) {
		scalar(&sb, "offered_rate", "requests/s", json_num(r,
		    "offered_vs_achieved.offered_rate", 0), pk.n);
		scalar(&sb, "achieved_rate", "requests/s", json_num(r,
		    "offered_vs_achieved.achieved_rate", 0), pk.n);
	}
	if (cJSON_IsTrue(json_path(r, "tokens.prefix_cache.reported"))) {
		scalar(&sb, "cached_input_tokens", "tokens", json_num(r,
		    "tokens.prefix_cache.cached_tokens", 0), pk.n);
		scalar(&sb, "prefix_cache_hit_rate", "fraction", json_num(r,
		    "tokens.prefix_cache.hit_rate", 0), pk.n);
		scalar(&sb, "prefix_cache_request_hit_rate", "fraction",
		    json_num(r, "tokens.prefix_cache.request_hit_rate", 0),
		    pk.n);
	}
	scalar(&sb, "valid", "bool", cJSON_IsTrue(json_path(r,
	    "verdict.valid")), pk.n);
	sl_free(&pk);
	return sb_detach(&sb);
}
