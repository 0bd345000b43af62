/*
 * report_compare.c: B against A, for two bench reports: the headline
 * throughputs and the mean and percentiles of the latency metrics both
 * carry, as absolute and relative deltas (positive = B is higher), for the
 * run and then for each class both reports have.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "report.h"
#include "xalloc.h"

static void
row(struct strbuf *sb, const char *name, const char *unit, double a,
    double b)
{
	sb_addf(sb, "%-32s %-10s %12.3f %12.3f %+12.3f", name, unit, a, b,
	    b - a);
	if (a != 0)
		sb_addf(sb, " %+9.1f%%\n", (b - a) / fabs(a) * 100);
	else
		sb_addf(sb, " %10s\n", "-");
}

static const char *const metrics[] = {
	"ttft", "tpot", "itl_chunk", "e2e", "ttft_from_schedule",
	"e2e_from_schedule", "dispatch_lag", NULL
};

/* The highest value of field k over a per-second series, or -1. */
static double
series_peak(const cJSON *ts, const char *k)
{
	const cJSON	*row, *v;
	double		 m = -1;

	cJSON_ArrayForEach(row, ts)
		if (cJSON_IsNumber(v = cJSON_GetObjectItem(row, k)) &&
		    v->valuedouble > m)
			m = v->valuedouble;
	return m;
}

/* The rows of one section (the run, or a class: prefix "class NAME: "). */
static void
compare_section(struct strbuf *sb, const cJSON *a, const cJSON *b,
    const char *prefix)
{
	const cJSON	*ma, *mb, *it, *vb;
	static const struct {
		const char *path, *name, *unit;
	} heads[] = {
		{ "throughput.requests", "request throughput", "req/s" },
		{ "throughput.output_tokens", "output token throughput",
		  "tok/s" },
		{ "throughput.total_tokens", "total token throughput",
		  "tok/s" },
		{ "throughput.goodput_requests", "goodput", "req/s" },
		{ "requests.ok", "requests ok", "requests" },
		{ "requests.failed", "requests failed", "requests" },
		{ NULL, NULL, NULL }
	};
	char		*name;
	double		 pa, pb;
	size_t		 i;

	for (i = 0; heads[i].path != NULL; i++)
		if (json_path(a, heads[i].path) && json_path(b, heads[i].path)) {
			name = xasprintf("%s%s", prefix, heads[i].name);
			row(sb, name, heads[i].unit,
			    json_num(a, heads[i].path, 0),
			    json_num(b, heads[i].path, 0));
			free(name);
		}
	pa = series_peak(cJSON_GetObjectItem(a, "timeseries"),
	    "output_tokens_per_s");
	pb = series_peak(cJSON_GetObjectItem(b, "timeseries"),
	    "output_tokens_per_s");
	if (pa >= 0 && pb >= 0) {
		name = xasprintf("%speak output tokens/s (1 s)", prefix);
		row(sb, name, "tok/s", pa, pb);
		free(name);
	}
	for (i = 0; metrics[i] != NULL; i++) {
		ma = cJSON_GetObjectItem(json_path(a, "metrics"), metrics[i]);
		mb = cJSON_GetObjectItem(json_path(b, "metrics"), metrics[i]);
		if (ma == NULL || mb == NULL || json_num(ma, "count", 0) == 0 ||
		    json_num(mb, "count", 0) == 0)
			continue;
		cJSON_ArrayForEach(it, ma) {
			if (!cJSON_IsNumber(it) || (strcmp(it->string,
			    "mean") != 0 && it->string[0] != 'p'))
				continue;
			if (!cJSON_IsNumber(vb = cJSON_GetObjectItem(mb,
			    it->string)))
				continue;
			name = xasprintf("%s%s %s", prefix, metrics[i],
			    it->string);
			row(sb, name, json_str(ma, "unit"), it->valuedouble,
			    vb->valuedouble);
			free(name);
		}
	}
}

char *
report_compare(const cJSON *a, const cJSON *b, const char *na,
    const char *nb)
{
	struct strbuf	 sb = STRBUF_INIT;
	const cJSON	*ca, *cb;
	const char	*n;
	char		*prefix;

	sb_addf(&sb, "A: %s (%s)\nB: %s (%s)\n\n", na, cJSON_IsTrue(json_path(
	    a, "verdict.valid")) ? "valid" : "INVALID", nb,
	    cJSON_IsTrue(json_path(b, "verdict.valid")) ? "valid" : "INVALID");
	sb_addf(&sb, "%-32s %-10s %12s %12s %12s %10s\n", "figure", "unit",
	    "A", "B", "B-A", "change");
	compare_section(&sb, a, b, "");
	/* Each class both reports have (by name), after the run's rows. */
	cJSON_ArrayForEach(ca, cJSON_GetObjectItem(a, "classes")) {
		if ((n = json_str(ca, "name")) == NULL)
			continue;
		cJSON_ArrayForEach(cb, cJSON_GetObjectItem(b, "classes"))
			if (json_str(cb, "name") != NULL &&
			    strcmp(json_str(cb, "name"), n) == 0)
				break;
		if (cb == NULL)
			continue;
		prefix = xasprintf("class %s: ", n);
		compare_section(&sb, ca, cb, prefix);
		free(prefix);
	}
	return sb_detach(&sb);
}
