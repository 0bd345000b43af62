/*
 * bench.h: what cli/bench.c and cli/bench_tools.c share: the subcommands
 * of `maasctl bench` and the report output helpers.
 */
#ifndef MAAS_BENCH_H
#define MAAS_BENCH_H

#include <cjson/cJSON.h>

#include "cmd.h"

extern const struct command cmd_bench_compare;
extern const struct command cmd_bench_merge;
extern const struct command cmd_bench_calibrate;
extern const struct command cmd_bench_sweep;
extern const struct command cmd_bench_exact;

/* Print a report on stdout as text, json, vllm or csv (NULL: text). */
int	 bench_print(const cJSON *report, const char *fmt, struct err *);
/* Write text to a file, replacing it. */
int	 bench_write_file(const char *path, const char *text, struct err *);
/* Where `bench calibrate` keeps its result (caller frees), or NULL. */
char	*bench_calibration_path(void);
struct target;
struct workload;
/* Calibrate w's synthetic prompts against target t's /tokenize so that
 * they count `tokens` server tokens; the facts for the report, or NULL
 * with e set (a clear line and hint when there is no /tokenize). */
cJSON	*bench_tokenize_calibrate(struct target *t, struct workload *w,
	    long tokens, struct err *);
/* Set report's tokens.isl: requested_mean tokens asked over `requests`
 * requests against the server-counted mean of metrics.input_tokens, what
 * the prompts are and their /tokenize calibration (cal, or NULL). */
void	 bench_isl_json(cJSON *report, double requested_mean,
	    double requests, const char *prompts, const cJSON *cal);
/* Read and parse a JSON file (what: "a bench report", ... for the error
 * line when it is not JSON); NULL with e set (exit 2). */
cJSON	*bench_read_json(const char *path, const char *what, struct err *);
/* Read and parse a bench report (JSON), checking its schema. */
cJSON	*bench_read_report(const char *path, struct err *);

#endif
