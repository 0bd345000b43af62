/*
 * bench_exact.c: `maasctl bench exact RAW...`: exact percentiles from the
 * per-request NDJSON files a run wrote with --raw (every rotated part):
 * the values themselves sorted, not the report's log-linear histograms,
 * overall and per workload class.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "benchmetrics.h"
#include "json.h"

#define EXACT_SCHEMA	"maasctl.bench-exact/v1"

/* The metrics a raw line gives, and how. */
enum ex_metric {
	EX_TTFT = 0, EX_TTFO, EX_TPOT, EX_NTPOT, EX_E2E, EX_TTFT_SCHED,
	EX_E2E_SCHED, EX_LAG, EX_IN_TOK, EX_OUT_TOK, EX_NMETRIC
};

static const struct {
	const char	*name;
	const char	*unit;
	const char	*def;
} ex_info[EX_NMETRIC] = {
	{ "ttft", "ms", "first_token_ms - sent_ms (ok requests)" },
	{ "ttfo", "ms", "first_output_ms - sent_ms (ok requests)" },
	{ "tpot", "ms", "tpot_ms: (last token - first token) / (output "
	  "tokens - 1), per request (ok requests)" },
	{ "ntpot", "ms", "e2e_ms / output tokens, per request (ok requests)" },
	{ "e2e", "ms", "end_ms - sent_ms (ok requests)" },
	{ "ttft_from_schedule", "ms", "first_token_ms - intended_ms (ok "
	  "requests)" },
	{ "e2e_from_schedule", "ms", "end_ms - intended_ms (ok requests)" },
	{ "dispatch_lag", "ms", "dispatched_ms - intended_ms (every "
	  "request)" },
	{ "input_tokens", "tokens", "prompt_tokens (ok requests reporting "
	  "it)" },
	{ "output_tokens", "tokens", "usage_tokens, else chunk_usage_tokens, "
	  "else content_chunks (ok requests)" },
};

struct ex_vals {
	double		*v;
	size_t		 n, cap;
};

struct ex_set {
	char		*name;		/* class, or NULL for all */
	struct ex_vals	 m[EX_NMETRIC];
	uint64_t	 sent, ok;
};

static struct {
	const char	*format;
	const char	*percentiles;
} X = { .percentiles = "50,90,95,99,99.9,99.99" };

static const struct opt exact_opts[] = {
	{ "format", 0, OPT_STR, &X.format, "FMT",
	  "text (default) or json", 0, NULL, "text|json", 0, 0 },
	{ "percentiles", 0, OPT_STR, &X.percentiles, "LIST",
	  "percentiles to compute (default 50,90,95,99,99.9,99.99)", 0, NULL,
	  NULL, 0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

static void
push(struct ex_vals *x, double v)
{
	if (isnan(v) || v < 0)
		return;
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 1024;
		x->v = xrealloc(x->v, x->cap * sizeof *x->v);
	}
	x->v[x->n++] = v;
}

static double
num(const cJSON *o, const char *k)
{
	const cJSON	*v = cJSON_GetObjectItem(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void
set_add(struct ex_set *s, const cJSON *o)
{
	const char	*out = json_str(o, "outcome");
	double		 sent = num(o, "sent_ms"), n;

	s->sent++;
	push(&s->m[EX_LAG], num(o, "dispatched_ms") - num(o, "intended_ms"));
	if (out == NULL || strcmp(out, "ok") != 0)
		return;
	s->ok++;
	push(&s->m[EX_TTFT], num(o, "first_token_ms") - sent);
	push(&s->m[EX_TTFO], num(o, "first_output_ms") - sent);
	push(&s->m[EX_TPOT], num(o, "tpot_ms"));
	push(&s->m[EX_E2E], num(o, "end_ms") - sent);
	push(&s->m[EX_TTFT_SCHED], num(o, "first_token_ms") -
	    num(o, "intended_ms"));
	push(&s->m[EX_E2E_SCHED], num(o, "end_ms") - num(o, "intended_ms"));
	push(&s->m[EX_IN_TOK], num(o, "prompt_tokens"));
	if (!((n = num(o, "usage_tokens")) >= 0) &&
	    !((n = num(o, "chunk_usage_tokens")) >= 0))
		n = num(o, "content_chunks");
	push(&s->m[EX_OUT_TOK], n);
	if (n > 0)
		push(&s->m[EX_NTPOT], (num(o, "end_ms") - sent) / n);
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* numpy's default: linear interpolation between the closest ranks. */
static double
percentile(const double *v, size_t n, double p)
{
	double	 r = p / 100 * (double)(n - 1), lo = floor(r);
	size_t	 i = (size_t)lo;

	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (v[i + 1] - v[i]) * (r - lo);
}

static double
r4(double v)
{
	return round(v * 1e4) / 1e4;
}

static cJSON *
set_json(struct ex_set *s, const double *pc, size_t npc)
{
	cJSON	*o = cJSON_CreateObject(), *m, *x;
	double	 sum, sq, mean;
	size_t	 k, i;
	char	 key[32];

	cJSON_AddNumberToObject(o, "sent", (double)s->sent);
	cJSON_AddNumberToObject(o, "ok", (double)s->ok);
	m = cJSON_AddObjectToObject(o, "metrics");
	for (k = 0; k < EX_NMETRIC; k++) {
		struct ex_vals	*v = &s->m[k];

		x = cJSON_AddObjectToObject(m, ex_info[k].name);
		cJSON_AddStringToObject(x, "unit", ex_info[k].unit);
		cJSON_AddNumberToObject(x, "count", (double)v->n);
		if (v->n > 0) {
			qsort(v->v, v->n, sizeof *v->v, cmp_double);
			for (i = 0, sum = 0; i < v->n; i++)
				sum += v->v[i];
			mean = sum / (double)v->n;
			for (i = 0, sq = 0; i < v->n; i++)
				sq += (v->v[i] - mean) * (v->v[i] - mean);
			cJSON_AddNumberToObject(x, "mean", r4(mean));
			cJSON_AddNumberToObject(x, "std", r4(sqrt(sq /
			    (double)v->n)));
			cJSON_AddNumberToObject(x, "min", r4(v->v[0]));
			cJSON_AddNumberToObject(x, "max", r4(v->v[v->n - 1]));
			for (i = 0; i < npc; i++) {
				snprintf(key, sizeof key, "p%g", pc[i]);
				cJSON_AddNumberToObject(x, key, r4(percentile(
				    v->v, v->n, pc[i])));
			}
		}
		cJSON_AddStringToObject(x, "definition", ex_info[k].def);
	}
	return o;
}

static void
set_free(struct ex_set *s)
{
	size_t	 k;

	for (k = 0; k < EX_NMETRIC; k++)
		free(s->m[k].v);
	free(s->name);
}

static void
text_set(struct strbuf *sb, const cJSON *o, const double *pc, size_t npc)
{
	const cJSON	*m;
	char		 key[32];
	size_t		 i;

	sb_addf(sb, "%-20s %-8s %10s %10s", "metric", "unit", "count",
	    "mean");
	for (i = 0; i < npc; i++) {
		snprintf(key, sizeof key, "p%g", pc[i]);
		sb_addf(sb, " %10s", key);
	}
	sb_addf(sb, " %10s\n", "max");
	cJSON_ArrayForEach(m, cJSON_GetObjectItem(o, "metrics")) {
		if (json_num(m, "count", 0) == 0)
			continue;
		sb_addf(sb, "%-20s %-8s %10.0f %10.3f", m->string,
		    json_str(m, "unit"), json_num(m, "count", 0),
		    json_num(m, "mean", 0));
		for (i = 0; i < npc; i++) {
			snprintf(key, sizeof key, "p%g", pc[i]);
			sb_addf(sb, " %10.3f", cJSON_GetNumberValue(
			    cJSON_GetObjectItem(m, key)));
		}
		sb_addf(sb, " %10.3f\n", json_num(m, "max", 0));
	}
}

static int
exact_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct ex_set	 all, *cls = NULL;
	size_t		 ncls = 0, npc, i, k, lineno;
	double		 pc[16];
	cJSON		*o, *r = NULL, *a;
	const char	*cn;
	struct strbuf	 sb = STRBUF_INIT;
	char		*line = NULL, *s;
	size_t		 cap = 0;
	ssize_t		 len;
	uint64_t	 warm = 0;
	int		 rc = -1, f;
	FILE		*fp;

	memset(&all, 0, sizeof all);
	if (X.format == NULL && ctx->g.output != NULL &&
	    strcmp(ctx->g.output, "json") == 0)
		X.format = "json";
	if (X.format != NULL && strcmp(X.format, "text") != 0 &&
	    strcmp(X.format, "json") != 0) {
		err_set(e, EXIT_USAGE, "bench exact: unknown format \"%s\" "
		    "(want text or json)", X.format);
		goto out;
	}
	if (bm_parse_percentiles(X.percentiles, pc, 16, &npc, e) != 0) {
		err_wrap(e, "bench exact");
		goto out;
	}
	for (f = 0; f < argc; f++) {
		if ((fp = strcmp(argv[f], "-") == 0 ? stdin :
		    fopen(argv[f], "r")) == NULL) {
			err_set(e, EXIT_USAGE, "bench exact: cannot read %s: %s",
			    argv[f], strerror(errno));
			goto out;
		}
		for (lineno = 1; (len = getline(&line, &cap, fp)) != -1;
		    lineno++) {
			if (len <= 1)
				continue;
			if ((o = cJSON_ParseWithLength(line, (size_t)len)) ==
			    NULL || !cJSON_IsObject(o) ||
			    cJSON_GetObjectItem(o, "seq") == NULL ||
			    cJSON_GetObjectItem(o, "outcome") == NULL) {
				cJSON_Delete(o);
				err_set(e, EXIT_USAGE, "bench exact: %s line "
				    "%zu is not a --raw request record",
				    argv[f], lineno);
				if (fp != stdin)
					fclose(fp);
				goto out;
			}
			if (cJSON_IsTrue(cJSON_GetObjectItem(o, "warmup"))) {
				warm++;
				cJSON_Delete(o);
				continue;
			}
			set_add(&all, o);
			cn = json_str(o, "class");
			for (k = 0; cn != NULL && k < ncls; k++)
				if (strcmp(cls[k].name, cn) == 0)
					break;
			if (cn != NULL && k == ncls) {
				cls = xrealloc(cls, (ncls + 1) * sizeof *cls);
				memset(&cls[ncls], 0, sizeof *cls);
				cls[ncls++].name = xstrdup(cn);
			}
			if (cn != NULL)
				set_add(&cls[k], o);
			cJSON_Delete(o);
		}
		if (fp != stdin)
			fclose(fp);
	}
	if (all.sent == 0) {
		err_set(e, EXIT_USAGE, "bench exact: no measured request in %s%s",
		    argv[0], argc > 1 ? " and the other files" : "");
		goto out;
	}
	r = set_json(&all, pc, npc);
	cJSON_AddStringToObject(r, "schema", EXACT_SCHEMA);
	a = cJSON_AddArrayToObject(r, "files");
	for (f = 0; f < argc; f++)
		cJSON_AddItemToArray(a, cJSON_CreateString(argv[f]));
	cJSON_AddNumberToObject(r, "warmup_skipped", (double)warm);
	cJSON_AddStringToObject(r, "percentile_method", "exact: the values "
	    "sorted, linear interpolation between the closest ranks (numpy's "
	    "default), not the report's histograms");
	if (ncls > 1) {
		a = cJSON_AddArrayToObject(r, "classes");
		for (k = 0; k < ncls; k++) {
			o = set_json(&cls[k], pc, npc);
			cJSON_AddStringToObject(o, "name", cls[k].name);
			cJSON_AddItemToArray(a, o);
		}
	}
	if (X.format != NULL && strcmp(X.format, "json") == 0)
		s = json_print(r, 1);
	else {
		sb_addf(&sb, "maasctl bench exact: %.0f requests (%.0f ok) from "
		    "%d file%s; exact percentiles\n", json_num(r, "sent", 0),
		    json_num(r, "ok", 0), argc, argc == 1 ? "" : "s");
		text_set(&sb, r, pc, npc);
		cJSON_ArrayForEach(o, cJSON_GetObjectItem(r, "classes")) {
			sb_addf(&sb, "\nclass %s: %.0f requests (%.0f ok)\n",
			    json_str(o, "name"), json_num(o, "sent", 0),
			    json_num(o, "ok", 0));
			text_set(&sb, o, pc, npc);
		}
		s = sb_detach(&sb);
	}
	fputs(s, stdout);
	if (s[0] != '\0' && s[strlen(s) - 1] != '\n')
		fputc('\n', stdout);
	free(s);
	rc = 0;
out:
	for (i = 0; i < ncls; i++)
		set_free(&cls[i]);
	free(cls);
	set_free(&all);
	free(line);
	sb_free(&sb);
	cJSON_Delete(r);
	return rc;
}

const struct command cmd_bench_exact = {
	.name = "exact",
	.summary = "Exact percentiles from the --raw files of a run",
	.usage = "[--percentiles LIST] [--format FMT] RAW...",
	.opts = exact_opts,
	.run = exact_run,
	.min_args = 1,
	.max_args = -1,
};
