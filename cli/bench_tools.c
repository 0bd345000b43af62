/*
 * bench_tools.c: the `maasctl bench` subcommands that work on saved
 * reports: `compare A.json B.json` (deltas of B against A) and `merge
 * FILE...` (one report from several runs' histograms, exactly).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "benchmetrics.h"
#include "hist.h"
#include "json.h"
#include "report.h"

cJSON *
bench_read_json(const char *path, const char *what, struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	char		 buf[65536];
	size_t		 n;
	cJSON		*r;
	FILE		*f;

	if ((f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r")) == NULL) {
		err_set(e, EXIT_USAGE, "bench: cannot read %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(&sb, buf, n);
	if (f != stdin)
		fclose(f);
	/* cJSON's own parser: histogram sums beyond 2^53 stay numbers
	 * (json_parse would keep them as raw text). */
	r = cJSON_ParseWithLength(sb.buf ? sb.buf : "", sb.len);
	if (r == NULL)
		json_parse(sb.buf ? sb.buf : "", sb.len, e);
	sb_free(&sb);
	if (r == NULL) {
		err_wrap(e, "bench: %s is not %s", path, what);
		e->code = EXIT_USAGE;
	}
	return r;
}

cJSON *
bench_read_report(const char *path, struct err *e)
{
	const char	*schema;
	cJSON		*r;

	if ((r = bench_read_json(path, "a bench report", e)) == NULL)
		return NULL;
	if ((schema = json_str(r, "schema")) == NULL ||
	    strcmp(schema, BM_SCHEMA) != 0) {
		err_set(e, EXIT_USAGE, "bench: %s is not a bench report "
		    "(schema \"%s\", want \"%s\"; write one with --save or "
		    "--format json)", path, schema ? schema : "none",
		    BM_SCHEMA);
		cJSON_Delete(r);
		return NULL;
	}
	return r;
}

static int
compare_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	cJSON	*a = NULL, *b = NULL;
	char	*s;
	int	 rc = -1;

	(void)ctx;
	(void)argc;
	if ((a = bench_read_report(argv[0], e)) == NULL ||
	    (b = bench_read_report(argv[1], e)) == NULL)
		goto out;
	s = report_compare(a, b, argv[0], argv[1]);
	fputs(s, stdout);
	free(s);
	rc = 0;
out:
	cJSON_Delete(a);
	cJSON_Delete(b);
	return rc;
}

const struct command cmd_bench_compare = {
	.name = "compare",
	.summary = "Print the deltas of report B against report A",
	.usage = "A.json B.json",
	.run = compare_run,
	.min_args = 2,
	.max_args = 2,
};

static struct {
	const char	*format;
	const char	*save;
} M;

static const struct opt merge_opts[] = {
	{ "format", 0, OPT_STR, &M.format, "FMT",
	  "report on stdout: text (default), json, vllm or csv", 0, NULL,
	  "text|json|vllm|csv", 0, 0 },
	{ "save", 0, OPT_STR, &M.save, "FILE",
	  "write the merged JSON report to FILE too", 0, NULL, "file", 0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

static double
rate_sum(cJSON *const *r, int n, const char *path)
{
	double	 s = 0;
	int	 i;

	for (i = 0; i < n; i++)
		s += json_num(r[i], path, 0);
	return s;
}

/* A class's objectives from its report entry (ms back to seconds). */
static void
class_slo(const cJSON *c, struct bm_slo *slo)
{
	memset(slo, 0, sizeof *slo);
	slo->ttft = json_num(c, "slo.ttft_ms", 0) / 1e3;
	slo->tpot = json_num(c, "slo.tpot_ms", 0) / 1e3;
	slo->itl = json_num(c, "slo.itl_ms", 0) / 1e3;
	slo->e2e = json_num(c, "slo.e2e_ms", 0) / 1e3;
	slo->attainment = json_num(c, "slo.attainment", 0.99);
}

/*
 * Set b up like the first report: its classes (with their objectives),
 * stages, turns and recorded headers, so every input's saved state merges
 * into each of them.
 */
static int
merge_setup(struct bm *b, const cJSON *r0, const char *path, struct err *e)
{
	struct strlist	 names = STRLIST_INIT;
	const cJSON	*it, *load, *st = cJSON_GetObjectItem(r0, "state");
	struct bm_slo	 slo;
	size_t		 i = 0;

	cJSON_ArrayForEach(it, cJSON_GetObjectItem(r0, "classes"))
		sl_add(&names, json_str(it, "name") ? json_str(it, "name") :
		    "?");
	if (names.n > 1 && cJSON_GetArraySize(cJSON_GetObjectItem(st,
	    "classes")) != (int)names.n) {
		sl_free(&names);
		return err_set(e, EXIT_USAGE, "bench merge: %s has classes but "
		    "no per-class state", path);
	}
	if (names.n <= 1) {
		sl_free(&names);
		sl_add(&names, "default");
	}
	bm_init(b, (const char *const *)names.v, names.n);
	sl_free(&names);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(r0, "classes")) {
		if (cJSON_GetObjectItem(it, "slo") != NULL) {
			class_slo(it, &slo);
			bm_set_class_slo(b, i, &slo);
		}
		i++;
	}
	if (cJSON_GetArraySize(cJSON_GetObjectItem(r0, "stages")) !=
	    cJSON_GetArraySize(cJSON_GetObjectItem(st, "stages")))
		return err_set(e, EXIT_USAGE, "bench merge: %s has stages but "
		    "no per-stage state (saved by an older maasctl)", path);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(r0, "stages")) {
		b->stg_rate = (load = cJSON_GetObjectItem(it, "rate")) != NULL;
		if (load == NULL)
			load = cJSON_GetObjectItem(it, "concurrency");
		bm_add_stage(b, json_str(it, "spec") ? json_str(it, "spec") :
		    "?", json_num(it, "start_s", 0), json_num(it, "end_s", 0),
		    json_num(load, "from", 0), json_num(load, "to", 0),
		    b->stg_rate, 0);
	}
	if (cJSON_GetArraySize(cJSON_GetObjectItem(st, "turns")) > 0)
		bm_set_turns(b, (size_t)cJSON_GetArraySize(
		    cJSON_GetObjectItem(st, "turns")));
	if (cJSON_GetObjectItem(st, "headers") != NULL) {
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(st, "headers"))
			sl_add(&names, it->string);
		bm_set_headers(b, (const char *const *)names.v, names.n);
		sl_free(&names);
	}
	return 0;
}

/*
 * Add the per-second rows of src into dst, second by second (row k with
 * row k): the counts and rates add up; TTFT p50/p99 take the highest
 * input's, an upper bound of the merged percentile (per-second histograms
 * are not saved); t the latest.  Quota and server columns are not
 * carried (they belong to one client).
 */
static void
merge_series(cJSON *dst, const cJSON *src)
{
	static const struct {
		const char	*key;
		int		 hi;	/* the highest, else the sum */
	} col[] = {
		{ "t", 1 }, { "offered", 0 }, { "dispatched", 0 },
		{ "completed", 0 }, { "in_flight", 0 }, { "waiting", 0 },
		{ "output_tokens", 0 }, { "output_tokens_per_s", 0 },
		{ "ttft_p50_ms", 1 }, { "ttft_p99_ms", 1 }, { "errors", 0 },
		{ "rate_limited", 0 }, { "admitted", 0 }, { "good", 0 },
	};
	const cJSON	*row, *v;
	cJSON		*d, *dv;
	size_t		 i;
	int		 k = 0;

	cJSON_ArrayForEach(row, src) {
		if ((d = cJSON_GetArrayItem(dst, k++)) == NULL) {
			d = cJSON_CreateObject();
			cJSON_AddItemToArray(dst, d);
			if (json_str(row, "class") != NULL)
				cJSON_AddStringToObject(d, "class",
				    json_str(row, "class"));
		}
		for (i = 0; i < sizeof col / sizeof col[0]; i++) {
			v = cJSON_GetObjectItem(row, col[i].key);
			if (!cJSON_IsNumber(v))
				continue;
			if ((dv = cJSON_GetObjectItem(d, col[i].key)) == NULL)
				cJSON_AddNumberToObject(d, col[i].key,
				    v->valuedouble);
			else
				cJSON_SetNumberValue(dv, col[i].hi ?
				    fmax(dv->valuedouble, v->valuedouble) :
				    round((dv->valuedouble + v->valuedouble) *
				    1000) / 1000);
		}
	}
}

/* Whether report r has the stages and classes of the first, in order. */
static int
merge_same(const cJSON *r0, const cJSON *r, const char *path, struct err *e)
{
	static const char *const what[] = { "classes", "stages" };
	static const char *const key[] = { "name", "spec" };
	const cJSON	*a, *b;
	int		 k, i;

	for (k = 0; k < 2; k++) {
		a = cJSON_GetObjectItem(r0, what[k]);
		b = cJSON_GetObjectItem(r, what[k]);
		if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
			goto differ;
		for (i = 0; i < cJSON_GetArraySize(a); i++)
			if (json_str(cJSON_GetArrayItem(a, i), key[k]) == NULL ||
			    json_str(cJSON_GetArrayItem(b, i), key[k]) == NULL ||
			    strcmp(json_str(cJSON_GetArrayItem(a, i), key[k]),
			    json_str(cJSON_GetArrayItem(b, i), key[k])) != 0)
				goto differ;
	}
	if (cJSON_GetArraySize(cJSON_GetObjectItem(r0, "turns")) !=
	    cJSON_GetArraySize(cJSON_GetObjectItem(r, "turns"))) {
		k = 2;
		goto differ;
	}
	return 0;
differ:
	return err_set(e, EXIT_USAGE, "bench merge: %s has other %s than the "
	    "first report", path, k < 2 ? what[k] : "turns");
}

/*
 * Add the event-loop lag histogram at path of report r into *h (made on
 * first use); a report from before loop lags were measured has none.
 */
static int
merge_loop_lag(struct hist **h, const cJSON *r, const char *path,
    const char *file, struct err *e)
{
	const cJSON	*j = json_path(r, path);
	struct hist	*x;
	int		 rc;

	if (j == NULL)
		return 0;
	if ((x = hist_import(j, e)) == NULL) {
		err_wrap(e, "bench merge: %s: %s", file, path);
		return -1;
	}
	if (*h == NULL) {
		*h = x;
		return 0;
	}
	rc = hist_merge(*h, x, e);
	hist_free(x);
	if (rc != 0)
		err_wrap(e, "bench merge: %s: %s", file, path);
	return rc;
}

/* A report's tokens.isl.prompts, or "". */
static const char *
isl_prompts_of(const cJSON *r)
{
	const char	*p = json_str(json_path(r, "tokens.isl"), "prompts");

	return p != NULL ? p : "";
}

/*
 * The inputs' tokens.isl, merged into out's: requested means weighted by
 * each input's requests, the server-counted mean taken again from the
 * merged input_tokens histogram, one prompts text when all agree (else
 * each distinct one), the calibration when all carry the same one.
 */
static void
merge_isl(cJSON *out, cJSON **r, int n)
{
	struct strbuf	 prompts = STRBUF_INIT;
	const cJSON	*isl, *cal = NULL, *isl0 = NULL;
	const char	*p;
	double		 w, req = 0, sum = 0;
	int		 i, j, same_cal = 1;

	for (i = 0; i < n; i++) {
		if ((isl = json_path(r[i], "tokens.isl")) == NULL)
			continue;
		w = json_num(isl, "requests", json_num(r[i], "requests.sent",
		    0));
		req += w;
		sum += w * json_num(isl, "requested_mean", 0);
		p = isl_prompts_of(r[i]);
		for (j = 0; j < i; j++)
			if (strcmp(isl_prompts_of(r[j]), p) == 0)
				break;
		if (j == i)
			sb_addf(&prompts, "%s%s", prompts.len ? "; " : "", p);
		if (isl0 == NULL)
			cal = cJSON_GetObjectItem(isl0 = isl, "calibration");
		else if (!cJSON_Compare(cal, cJSON_GetObjectItem(isl,
		    "calibration"), 1))
			same_cal = 0;
	}
	if (isl0 != NULL)
		bench_isl_json(out, req > 0 ? sum / req : 0, req,
		    prompts.buf != NULL ? prompts.buf : "",
		    same_cal ? cal : NULL);
	sb_free(&prompts);
}

static int
merge_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct bm		 b;
	struct lg_summary	 sum;
	struct bm_run		 info;
	struct bm_limits	 lim;
	const cJSON		*it;
	cJSON			**r, *out = NULL, *reasons, *x;
	double			 pcs[16];
	size_t			 npc = 0;
	char			*s, key[32];
	int			 i, rc = -1, valid = 1;
	size_t			 j;

	(void)ctx;
	r = xcalloc((size_t)argc, sizeof *r);
	memset(&b, 0, sizeof b);
	memset(&sum, 0, sizeof sum);
	memset(&info, 0, sizeof info);
	for (i = 0; i < argc; i++) {
		if ((r[i] = bench_read_report(argv[i], e)) == NULL)
			goto out;
		if (i == 0 && merge_setup(&b, r[0], argv[0], e) != 0)
			goto out;
		if (i > 0 && merge_same(r[0], r[i], argv[i], e) != 0)
			goto out;
		if (bm_merge_state(&b, cJSON_GetObjectItem(r[i], "state"),
		    e) != 0) {
			err_wrap(e, "bench merge: %s", argv[i]);
			goto out;
		}
		for (j = 0; j < b.nstg; j++)
			b.stg[j].offered += (uint64_t)json_num(cJSON_GetArrayItem(
			    cJSON_GetObjectItem(r[i], "stages"), (int)j),
			    "offered_requests", 0);
		b.warmup += (uint64_t)json_num(r[i], "requests.warmup", 0);
		if (!bm_report_valid(r[i]))
			valid = 0;
		if (json_num(r[i], "client.wall_s", 0) > sum.wall)
			sum.wall = json_num(r[i], "client.wall_s", 0);
		sum.cpu_user += json_num(r[i], "client.cpu_user_s", 0);
		sum.cpu_sys += json_num(r[i], "client.cpu_sys_s", 0);
		sum.bytes_parsed += (uint64_t)json_num(r[i],
		    "client.bytes_parsed", 0);
		if (merge_loop_lag(&sum.loop_timer_lag, r[i],
		    "client.loop_lag.timer.histogram", argv[i], e) != 0 ||
		    merge_loop_lag(&sum.loop_read_lag, r[i],
		    "client.loop_lag.read.histogram", argv[i], e) != 0)
			goto out;
	}
	/* The percentiles the first report shows. */
	cJSON_ArrayForEach(it, json_path(r[0], "metrics.ttft"))
		if (it->string[0] == 'p' && cJSON_IsNumber(it) && npc < 16)
			pcs[npc++] = strtod(it->string + 1, NULL);
	if (npc == 0) {
		pcs[0] = 50;
		pcs[1] = 99;
		npc = 2;
	}
	b.slo.ttft = json_num(r[0], "slo.ttft_ms", 0) / 1e3;
	b.slo.tpot = json_num(r[0], "slo.tpot_ms", 0) / 1e3;
	b.slo.itl = json_num(r[0], "slo.itl_ms", 0) / 1e3;
	b.slo.e2e = json_num(r[0], "slo.e2e_ms", 0) / 1e3;
	b.slo.attainment = json_num(r[0], "slo.attainment", 0.99);
	info.target = json_str(r[0], "target.url");
	info.model = json_str(r[0], "target.model");
	info.mode = json_str(r[0], "load.mode") ? json_str(r[0], "load.mode") :
	    "closed";
	info.concurrency = (long)rate_sum(r, argc, "load.concurrency");
	info.arrival = json_str(r[0], "load.arrival");
	info.burstiness = json_num(r[0], "load.burstiness", 1);
	info.max_inflight = (long)rate_sum(r, argc, "load.max_inflight");
	info.seed = (uint64_t)json_num(r[0], "load.seed", 0);
	info.requests = (long)rate_sum(r, argc, "load.requests");
	info.duration = json_num(r[0], "load.duration_s", 0);
	info.warmup = (long)rate_sum(r, argc, "load.warmup");
	info.stream = cJSON_IsTrue(json_path(r[0], "load.stream"));
	info.started_at = json_str(r[0], "started_at");
	info.command = "maasctl bench merge";
	info.percentiles = pcs;
	info.npercentiles = npc;
	info.workload = json_path(r[0], "workload");
	lim.min_achieved = 0;
	lim.max_lag = 1e9;
	lim.max_cpu = 1e9;
	lim.max_loop_lag = 0;
	lim.max_token_mismatch = json_num(r[0],
	    "verdict.limits.max_token_mismatch_share", 0.01);
	out = bm_report(&b, &sum, &info, &lim);
	/* Offered and achieved rates add up across workers; each input's
	 * own verdict decides the merged one. */
	if ((x = cJSON_GetObjectItem(out, "offered_vs_achieved")) != NULL) {
		cJSON_ReplaceItemInObject(x, "offered_rate",
		    cJSON_CreateNumber(rate_sum(r, argc,
		    "offered_vs_achieved.offered_rate")));
		cJSON_ReplaceItemInObject(x, "achieved_rate",
		    cJSON_CreateNumber(rate_sum(r, argc,
		    "offered_vs_achieved.achieved_rate")));
		cJSON_ReplaceItemInObject(x, "requested_rate",
		    cJSON_CreateNumber(rate_sum(r, argc, "load.rate")));
	}
	if (json_path(out, "load.rate") != NULL)
		cJSON_ReplaceItemInObject(cJSON_GetObjectItem(out, "load"),
		    "rate", cJSON_CreateNumber(rate_sum(r, argc,
		    "load.rate")));
	x = cJSON_GetObjectItem(out, "verdict");
	reasons = cJSON_GetObjectItem(x, "reasons");
	for (i = 0; i < argc; i++)
		cJSON_ArrayForEach(it, json_path(r[i], "verdict.reasons")) {
			snprintf(key, sizeof key, "input %d: ", i + 1);
			s = xasprintf("%s%s", key, it->valuestring);
			cJSON_AddItemToArray(reasons, cJSON_CreateString(s));
			free(s);
		}
	cJSON_ReplaceItemInObject(x, "valid", cJSON_CreateBool(valid &&
	    cJSON_GetArraySize(reasons) == 0));
	/* The per-second series, overall and per class, second by second. */
	if ((x = cJSON_GetObjectItem(out, "timeseries")) != NULL)
		for (i = 0; i < argc; i++)
			merge_series(x, cJSON_GetObjectItem(r[i], "timeseries"));
	j = 0;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(out, "classes")) {
		if ((x = cJSON_GetObjectItem(it, "timeseries")) != NULL)
			for (i = 0; i < argc; i++)
				merge_series(x, cJSON_GetObjectItem(
				    cJSON_GetArrayItem(cJSON_GetObjectItem(r[i],
				    "classes"), (int)j), "timeseries"));
		j++;
	}
	merge_isl(out, r, argc);
	cJSON_AddNumberToObject(out, "merged_from", argc);
	if (M.save != NULL) {
		s = json_print(out, 1);
		rc = bench_write_file(M.save, s, e);
		free(s);
		if (rc != 0)
			goto out;
		rc = -1;
	}
	if (bench_print(out, M.format, e) != 0)
		goto out;
	if (!bm_report_valid(out)) {
		err_set(e, EXIT_ERR, "bench merge: an input run is INVALID; "
		    "so is the merged report");
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < argc; i++)
		cJSON_Delete(r[i]);
	free(r);
	cJSON_Delete(out);
	bm_free(&b);
	lg_summary_free(&sum);
	return rc;
}

const struct command cmd_bench_merge = {
	.name = "merge",
	.summary = "Merge saved reports into one (histograms add exactly)",
	.usage = "[--format FMT] [--save FILE] FILE...",
	.opts = merge_opts,
	.run = merge_run,
	.min_args = 1,
	.max_args = -1,
};
