/*
 * bench_sweep.c: `maasctl bench sweep`: the highest open-loop rate that
 * meets the objectives.  Each probe is a whole `maasctl bench -r RATE`
 * run (this binary, with the bench arguments given after "--"), read back
 * as its JSON report.  Rates double from --start until a probe fails
 * (bracketing), then bisection narrows [pass, fail] to --precision.  A
 * probe passes only when all its --replicates runs are valid and meet the
 * SLOs; an INVALID probe (the client could not hold the rate) never counts
 * as a pass, so the search cannot report the client's limit as the
 * server's.  A probe whose share of good requests falls below half the
 * attainment stops the doubling at once (over-saturation).
 */
#include <sys/wait.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "json.h"

static struct {
	double		 start;
	double		 max_rate;
	double		 precision;
	long		 replicates;
	long		 max_probes;
	const char	*format;
} S = { .start = 1, .max_rate = 100000, .precision = 0.1, .replicates = 1,
	.max_probes = 20 };

static const struct opt sweep_opts[] = {
	{ "start", 0, OPT_DOUBLE, &S.start, "R",
	  "first rate probed, requests/s (default 1)", 0, NULL, NULL, 0, 0 },
	{ "max-rate", 0, OPT_DOUBLE, &S.max_rate, "R",
	  "highest rate probed (default 100000)", 0, NULL, NULL, 0, 0 },
	{ "precision", 0, OPT_DOUBLE, &S.precision, "F",
	  "stop when (fail - pass) / pass is below F (default 0.1)", 0, NULL,
	  NULL, 0, 0 },
	{ "replicates", 0, OPT_INT, &S.replicates, "N",
	  "runs per probe; all must pass (default 1)", 0, NULL, NULL, 1, 20 },
	{ "max-probes", 0, OPT_INT, &S.max_probes, "N",
	  "most probes in all (default 20)", 0, NULL, NULL, 1, 200 },
	{ "format", 0, OPT_STR, &S.format, "FMT",
	  "text (default) or json", 0, NULL, "text|json", 0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

/* Run `maasctl bench ARGS -r RATE --format json --no-progress`; its
 * report, or NULL with e set when it produced none. */
static cJSON *
probe_once(int argc, char **argv, double rate, struct err *e)
{
	struct strbuf	 out = STRBUF_INIT;
	char		**av, rbuf[32], buf[65536];
	ssize_t		 n;
	pid_t		 pid;
	int		 p[2], i, k = 0, status;
	cJSON		*r;

	snprintf(rbuf, sizeof rbuf, "%.6g", rate);
	av = xcalloc((size_t)argc + 9, sizeof *av);
	av[k++] = "maasctl";
	av[k++] = "bench";
	for (i = 0; i < argc; i++)
		av[k++] = argv[i];
	av[k++] = "--rate";
	av[k++] = rbuf;
	av[k++] = "--format";
	av[k++] = "json";
	av[k++] = "--no-progress";
	av[k] = NULL;
	if (pipe(p) == -1) {
		free(av);
		err_set(e, EXIT_ERR, "bench sweep: pipe: %s", strerror(errno));
		return NULL;
	}
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		free(av);
		err_set(e, EXIT_ERR, "bench sweep: fork: %s", strerror(errno));
		return NULL;
	}
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		execv("/proc/self/exe", av);
		_exit(127);
	}
	close(p[1]);
	free(av);
	while ((n = read(p[0], buf, sizeof buf)) > 0 || (n == -1 &&
	    errno == EINTR))
		if (n > 0)
			sb_add(&out, buf, (size_t)n);
	close(p[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	r = out.len > 0 ? cJSON_ParseWithLength(out.buf, out.len) : NULL;
	sb_free(&out);
	if (r == NULL || json_str(r, "schema") == NULL) {
		cJSON_Delete(r);
		err_set(e, WIFEXITED(status) && WEXITSTATUS(status) != 0 ?
		    WEXITSTATUS(status) : EXIT_ERR, "bench sweep: the probe at "
		    "%s requests/s gave no report (its error is above)", rbuf);
		return NULL;
	}
	return r;
}

/* One probe: 1 pass, 0 fail; -1 when a run gave no report. */
static int
probe(int argc, char **argv, double rate, cJSON *probes, int *invalid,
    double *good_min, struct err *e)
{
	cJSON	*r, *row;
	long	 i;
	int	 pass = 1, valid, met;
	double	 good;

	*invalid = 0;
	*good_min = 1;
	for (i = 0; i < S.replicates; i++) {
		if ((r = probe_once(argc, argv, rate, e)) == NULL)
			return -1;
		valid = cJSON_IsTrue(json_path(r, "verdict.valid"));
		met = cJSON_IsTrue(json_path(r, "slo.met")) ||
		    (json_path(r, "slo.ttft_ms") == NULL &&
		    json_path(r, "slo.tpot_ms") == NULL &&
		    json_path(r, "slo.itl_ms") == NULL &&
		    json_path(r, "slo.e2e_ms") == NULL);
		good = json_num(r, "slo.good_fraction", 0);
		if (good < *good_min)
			*good_min = good;
		row = cJSON_CreateObject();
		cJSON_AddNumberToObject(row, "rate", rate);
		cJSON_AddNumberToObject(row, "replicate", (double)i + 1);
		cJSON_AddBoolToObject(row, "valid", valid);
		cJSON_AddBoolToObject(row, "slo_met", met);
		cJSON_AddNumberToObject(row, "good_fraction", good);
		cJSON_AddNumberToObject(row, "achieved_rate", json_num(r,
		    "offered_vs_achieved.achieved_rate", 0));
		cJSON_AddNumberToObject(row, "ttft_p99_ms", json_num(r,
		    "metrics.ttft_from_schedule.p99", 0));
		cJSON_AddNumberToObject(row, "output_tokens_per_s", json_num(r,
		    "throughput.output_tokens", 0));
		cJSON_AddItemToObject(row, "reasons", cJSON_Duplicate(
		    json_path(r, "verdict.reasons"), 1));
		cJSON_AddItemToArray(probes, row);
		if (!S.format || strcmp(S.format, "json") != 0) {
			fprintf(stdout, "probe %8.6g req/s: %s, %s, good %.1f%%, "
			    "achieved %.2f/s, TTFT p99 (from schedule) %.1f ms\n",
			    rate, valid ? "valid" : "INVALID", met ? "SLO met" :
			    "SLO missed", good * 100, json_num(row,
			    "achieved_rate", 0), json_num(row, "ttft_p99_ms",
			    0));
			fflush(stdout);
		}
		if (!valid)
			*invalid = 1;
		if (!valid || !met)
			pass = 0;
		cJSON_Delete(r);
		if (!pass)
			break;
	}
	return pass;
}

static int
sweep_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	cJSON	*out, *probes;
	double	 lo = 0, hi = 0, rate, good;
	long	 n = 0;
	int	 rc = -1, p, invalid, client_limited = 0;
	char	*s;

	(void)ctx;
	if (S.format != NULL && strcmp(S.format, "text") != 0 &&
	    strcmp(S.format, "json") != 0)
		return err_set(e, EXIT_USAGE, "bench sweep: unknown format "
		    "\"%s\" (want text or json)", S.format);
	if (!(S.start > 0) || !(S.max_rate >= S.start) ||
	    !(S.precision > 0))
		return err_set(e, EXIT_USAGE, "bench sweep: want 0 < --start <= "
		    "--max-rate and --precision > 0");
	for (p = 0; p < argc; p++)
		if (strcmp(argv[p], "-r") == 0 || strncmp(argv[p], "--rate",
		    6) == 0 || strncmp(argv[p], "--format", 8) == 0)
			return err_set(e, EXIT_USAGE, "bench sweep: %s is the "
			    "sweep's to set; leave it out of the bench "
			    "arguments", argv[p]);
	out = cJSON_CreateObject();
	probes = cJSON_AddArrayToObject(out, "probes");
	/* Bracket: double until a probe fails. */
	for (rate = S.start; rate <= S.max_rate && n < S.max_probes;
	    rate *= 2) {
		n++;
		if ((p = probe(argc, argv, rate, probes, &invalid, &good,
		    e)) < 0)
			goto out;
		if (!p) {
			hi = rate;
			client_limited = invalid;
			break;
		}
		lo = rate;
	}
	if (lo == 0) {
		err_set(e, EXIT_ERR, "bench sweep: the first probe (%g "
		    "requests/s) already fails; lower --start", S.start);
		goto print;
	}
	/* Bisect [lo, hi] unless saturation was plain (good share fell
	 * under half the target: no need to look closer than the bracket)
	 * or nothing failed up to --max-rate. */
	while (hi > 0 && (hi - lo) / lo > S.precision && n < S.max_probes) {
		rate = (lo + hi) / 2;
		n++;
		if ((p = probe(argc, argv, rate, probes, &invalid, &good,
		    e)) < 0)
			goto out;
		if (p)
			lo = rate;
		else {
			hi = rate;
			client_limited = invalid;
		}
	}
	rc = 0;
print:
	cJSON_AddNumberToObject(out, "max_sustainable_rate", lo);
	if (hi > 0)
		cJSON_AddNumberToObject(out, "first_failing_rate", hi);
	else
		cJSON_AddNullToObject(out, "first_failing_rate");
	cJSON_AddBoolToObject(out, "client_limited", client_limited);
	cJSON_AddNumberToObject(out, "probes_run", (double)n);
	if (S.format != NULL && strcmp(S.format, "json") == 0) {
		s = json_print(out, 1);
		printf("%s\n", s);
		free(s);
	} else if (lo > 0) {
		printf("max sustainable rate: %.6g requests/s", lo);
		if (hi > 0)
			printf(" (fails at %.6g%s)\n", hi, client_limited ?
			    ", where the run was INVALID: the client's limit, "
			    "not the server's" : "");
		else
			printf(" (nothing failed up to --max-rate)\n");
	}
out:
	cJSON_Delete(out);
	return rc;
}

const struct command cmd_bench_sweep = {
	.name = "sweep",
	.summary = "Find the highest rate that meets the objectives",
	.usage = "[--start R] [--max-rate R] [--precision F] [--replicates N] "
	    "-- BENCH-ARGS...",
	.opts = sweep_opts,
	.run = sweep_run,
	.min_args = 1,
	.max_args = -1,
};
