/*
 * report.h: views of a `maasctl bench` report (the versioned JSON that
 * benchmetrics.c builds): the terminal summary, vLLM `bench serve` result
 * keys, a CSV summary, and the comparison of two reports.  Each returns
 * text (or JSON) for the caller to print; nothing here does I/O.
 */
#ifndef MAAS_REPORT_H
#define MAAS_REPORT_H

#include <cjson/cJSON.h>

/* The terminal summary table (report_text.c). */
char	*report_text(const cJSON *report);
/* The requested against the server-counted input length (tokens.isl) in
 * one line, or NULL when the report has none; the caller frees it. */
char	*report_isl_line(const cJSON *report);
/* The content, reasoning and tool-call delta counts (tokens.deltas) in
 * one line, or NULL when no reasoning or tool call was seen. */
char	*report_deltas_line(const cJSON *report);
/* The compact one-line progress text for a live run. */
char	*report_progress(double elapsed, long inflight, double rps,
	    double tps, double ttft_p50_ms, double ttft_p99_ms,
	    unsigned long long errors);
/* vLLM `bench serve` result keys (report_vllm.c). */
cJSON	*report_vllm(const cJSON *report);
/* One row per metric (report_csv.c). */
char	*report_csv(const cJSON *report);
/* A self-contained HTML page with inline SVG charts (report_html.c). */
char	*report_html(const cJSON *report);
/* Deltas of B against A, per headline figure (report_compare.c). */
char	*report_compare(const cJSON *a, const cJSON *b, const char *name_a,
	    const char *name_b);

#endif
