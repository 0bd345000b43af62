/*
 * report_html.c: a bench report as one self-contained HTML page with
 * inline SVG charts (no script, no network): the latency distributions
 * (TTFT, TPOT, ITL, E2E as quantile curves from the report's histograms),
 * throughput and TTFT over time (from the per-second series), the verdict
 * and the summary figures.  It opens offline in any browser.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "json.h"
#include "report.h"
#include "xalloc.h"

#define W	560
#define H	260
#define ML	60
#define MR	20
#define MT	30
#define MB	40

static void
esc(struct strbuf *sb, const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		switch (*s) {
		case '<':
			sb_adds(sb, "&lt;");
			break;
		case '>':
			sb_adds(sb, "&gt;");
			break;
		case '&':
			sb_adds(sb, "&amp;");
			break;
		case '"':
			sb_adds(sb, "&quot;");
			break;
		default:
			sb_addc(sb, *s);
		}
}

/* A "nice" axis maximum at or above v. */
static double
nice_max(double v)
{
	double	 p, m;

	if (v <= 0)
		return 1;
	p = pow(10, floor(log10(v)));
	m = v / p;
	if (m <= 1)
		return p;
	if (m <= 2)
		return 2 * p;
	if (m <= 5)
		return 5 * p;
	return 10 * p;
}

struct series {
	const char	*name;
	const char	*color;
	const double	*x, *y;
	size_t		 n;
};

/* One line chart; x and y ranges from the data. */
static void
chart(struct strbuf *sb, const char *id, const char *title,
    const char *xlabel, const char *ylabel, const struct series *s,
    size_t ns, int xlog)
{
	double	 xmin = INFINITY, xmax = -INFINITY, ymax = 0, x, y, v;
	size_t	 i, j;
	int	 k;

	for (i = 0; i < ns; i++)
		for (j = 0; j < s[i].n; j++) {
			x = xlog ? -log10(1 - s[i].x[j] / 100) : s[i].x[j];
			if (x < xmin)
				xmin = x;
			if (x > xmax)
				xmax = x;
			if (s[i].y[j] > ymax)
				ymax = s[i].y[j];
		}
	if (!(xmax > xmin)) {
		xmin = 0;
		xmax = xmax > 0 ? xmax : 1;
	}
	ymax = nice_max(ymax);
	sb_addf(sb, "<figure><svg class=\"chart\" id=\"%s\" "
	    "xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	    "viewBox=\"0 0 %d %d\" role=\"img\"><title>", id, W, H, W, H);
	esc(sb, title);
	sb_addf(sb, "</title><rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" "
	    "fill=\"#fff\"/>", W, H);
	sb_addf(sb, "<text x=\"%d\" y=\"18\" font-size=\"14\" "
	    "font-weight=\"bold\">", ML);
	esc(sb, title);
	sb_adds(sb, "</text>");
	/* Axes and grid. */
	for (k = 0; k <= 4; k++) {
		y = MT + (H - MT - MB) * (1 - k / 4.0);
		sb_addf(sb, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
		    "stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\" font-size=\"10\" "
		    "text-anchor=\"end\">%g</text>", ML, y, W - MR, y, ML - 4,
		    y + 3, ymax * k / 4);
	}
	for (k = 0; k <= 4; k++) {
		/* Percentile axes tick at 1, 50, 90, 99, 99.9. */
		static const double pt[] = { 1, 50, 90, 99, 99.9 };

		v = xlog ? -log10(1 - pt[k] / 100) : xmin + (xmax - xmin) *
		    k / 4;
		x = ML + (W - ML - MR) * (v - xmin) / (xmax - xmin);
		sb_addf(sb, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" "
		    "text-anchor=\"middle\">%.4g</text>", x, H - MB + 14,
		    xlog ? pt[k] : v);
	}
	sb_addf(sb, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "stroke=\"#333\"/><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "stroke=\"#333\"/>", ML, H - MB, W - MR, H - MB, ML, MT, ML,
	    H - MB);
	sb_addf(sb, "<text x=\"%d\" y=\"%d\" font-size=\"11\" "
	    "text-anchor=\"middle\">", (W + ML) / 2, H - 6);
	esc(sb, xlabel);
	sb_addf(sb, "</text><text x=\"12\" y=\"%d\" font-size=\"11\" "
	    "transform=\"rotate(-90 12 %d)\" text-anchor=\"middle\">",
	    (H + MT - MB) / 2, (H + MT - MB) / 2);
	esc(sb, ylabel);
	sb_adds(sb, "</text>");
	for (i = 0; i < ns; i++) {
		if (s[i].n == 0)
			continue;
		sb_addf(sb, "<polyline class=\"series\" fill=\"none\" "
		    "stroke=\"%s\" stroke-width=\"2\" points=\"", s[i].color);
		for (j = 0; j < s[i].n; j++) {
			x = xlog ? -log10(1 - s[i].x[j] / 100) : s[i].x[j];
			sb_addf(sb, "%.1f,%.1f ", ML + (W - ML - MR) *
			    (x - xmin) / (xmax - xmin), MT + (H - MT - MB) *
			    (1 - s[i].y[j] / ymax));
		}
		sb_adds(sb, "\"/>");
		sb_addf(sb, "<text x=\"%d\" y=\"%zu\" font-size=\"11\" "
		    "fill=\"%s\" text-anchor=\"end\">", W - MR, MT + 12 + 13 * i,
		    s[i].color);
		esc(sb, s[i].name);
		sb_adds(sb, "</text>");
	}
	sb_adds(sb, "</svg></figure>\n");
}

static const double qs[] = {
	1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 97, 99, 99.5, 99.9
};
#define NQ	(sizeof qs / sizeof qs[0])

/* Quantile curve of a report histogram, in ms; 0 points when empty. */
static size_t
quantiles(const cJSON *r, const char *metric, double *y)
{
	struct hist	*h;
	const cJSON	*hj;
	size_t		 i;
	char		*path;

	path = xasprintf("state.all.histograms.%s", metric);
	hj = json_path(r, path);
	free(path);
	if ((h = hist_import(hj, NULL)) == NULL)
		return 0;
	if (hist_count(h) == 0) {
		hist_free(h);
		return 0;
	}
	for (i = 0; i < NQ; i++)
		y[i] = (double)hist_percentile(h, qs[i]) / 1e6;
	hist_free(h);
	return NQ;
}

static void
figure_row(struct strbuf *sb, const char *k, const char *v)
{
	sb_adds(sb, "<tr><th>");
	esc(sb, k);
	sb_adds(sb, "</th><td>");
	esc(sb, v);
	sb_adds(sb, "</td></tr>\n");
}

/* The client measuring itself: event-loop lag (percentiles and the
 * coarse histogram) and bytes parsed per second. */
static void
client_html(struct strbuf *sb, const cJSON *r)
{
	static const char *const kinds[] = { "timer", "read" };
	const cJSON	*l, *b, *edge;
	size_t		 i;
	char		 path[64];

	if (json_path(r, "client.loop_lag") == NULL)
		return;
	sb_adds(sb, "<h2>Client</h2>\n<table id=\"client-loop-lag\"><tr>"
	    "<th>event-loop lag</th><th>count</th><th>p50 ms</th>"
	    "<th>p99 ms</th><th>max ms</th>");
	cJSON_ArrayForEach(b, json_path(r, "client.loop_lag.timer.buckets")) {
		edge = cJSON_GetObjectItem(b, "below_ms");
		if (cJSON_IsNumber(edge))
			sb_addf(sb, "<th>&lt; %g ms</th>", edge->valuedouble);
		else
			sb_adds(sb, "<th>more</th>");
	}
	sb_adds(sb, "<th>definition</th></tr>\n");
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "client.loop_lag.%s", kinds[i]);
		if ((l = json_path(r, path)) == NULL)
			continue;
		sb_addf(sb, "<tr><td>%s</td><td>%.0f</td><td>%.3f</td>"
		    "<td>%.3f</td><td>%.3f</td>", kinds[i],
		    json_num(l, "count", 0), json_num(l, "p50_ms", 0),
		    json_num(l, "p99_ms", 0), json_num(l, "max_ms", 0));
		cJSON_ArrayForEach(b, cJSON_GetObjectItem(l, "buckets"))
			sb_addf(sb, "<td>%.0f</td>", json_num(b, "count", 0));
		sb_adds(sb, "<td>");
		esc(sb, json_str(l, "definition"));
		sb_adds(sb, "</td></tr>\n");
	}
	sb_addf(sb, "</table>\n<p>bytes parsed: %.0f (%.1f MB/s of run, "
	    "%.1f MB/s of client CPU)</p>\n", json_num(r,
	    "client.bytes_parsed", 0), json_num(r,
	    "client.bytes_parsed_per_s", 0) / 1e6, json_num(r,
	    "client.bytes_parsed_per_cpu_s", 0) / 1e6);
}

/* A row of a group table: name, load, counts, rates, latencies. */
static void
group_row(struct strbuf *sb, const char *name, const char *load,
    const cJSON *g)
{
	sb_adds(sb, "<tr><td>");
	esc(sb, name);
	sb_adds(sb, "</td><td>");
	esc(sb, load);
	sb_addf(sb, "</td><td>%.0f</td><td>%.0f</td><td>%.2f</td><td>%.1f</td>"
	    "<td>%.3f</td><td>%.3f</td><td>%.3f</td><td>", json_num(g,
	    "requests.sent", 0), json_num(g, "requests.ok", 0), json_num(g,
	    "throughput.requests", 0), json_num(g, "throughput.output_tokens",
	    0), json_num(g, "metrics.ttft.p50", 0), json_num(g,
	    "metrics.ttft.p99", 0), json_num(g, "metrics.tpot.p50", 0));
	if (cJSON_IsTrue(json_path(g, "tokens.prefix_cache.reported")))
		sb_addf(sb, "%.2f%%", json_num(g,
		    "tokens.prefix_cache.hit_rate", 0) * 100);
	sb_adds(sb, "</td><td>");
	if (cJSON_GetObjectItem(g, "slo") != NULL)
		sb_addf(sb, "%.0f good (%.2f%%), %.2f req/s: %s", json_num(g,
		    "slo.good", 0), json_num(g, "slo.good_fraction", 0) * 100,
		    json_num(g, "slo.goodput_requests", 0),
		    cJSON_IsTrue(json_path(g, "slo.met")) ? "met" : "MISSED");
	sb_adds(sb, "</td></tr>\n");
}

static const char group_head[] = "<table><tr><th>name</th><th>load</th>"
    "<th>sent</th><th>ok</th><th>req/s</th><th>output tok/s</th>"
    "<th>TTFT p50 ms</th><th>TTFT p99 ms</th><th>TPOT p50 ms</th>"
    "<th>prefix cache hit</th><th>SLO</th></tr>\n";

/* Classes, stages (with a latency-by-stage chart) and recorded headers. */
static void
groups_html(struct strbuf *sb, const cJSON *r)
{
	const cJSON	*g, *load, *v;
	struct series	 s[2];
	double		*x, *p50, *p99;
	size_t		 n, i;
	char		 l[160];
	int		 rate;

	if (cJSON_GetArraySize(cJSON_GetObjectItem(r, "classes")) > 0) {
		sb_addf(sb, "<h2>Classes</h2>\n%s", group_head);
		cJSON_ArrayForEach(g, cJSON_GetObjectItem(r, "classes"))
			group_row(sb, json_str(g, "name"), "", g);
		sb_adds(sb, "</table>\n");
	}
	n = (size_t)cJSON_GetArraySize(cJSON_GetObjectItem(r, "stages"));
	if (n > 0) {
		x = xcalloc(n, sizeof *x);
		p50 = xcalloc(n, sizeof *p50);
		p99 = xcalloc(n, sizeof *p99);
		sb_addf(sb, "<h2>Stages</h2>\n%s", group_head);
		i = 0;
		cJSON_ArrayForEach(g, cJSON_GetObjectItem(r, "stages")) {
			rate = (load = cJSON_GetObjectItem(g, "rate")) != NULL;
			if (!rate)
				load = cJSON_GetObjectItem(g, "concurrency");
			snprintf(l, sizeof l, "%s %g..%g, %g-%g s", rate ?
			    "rate" : "concurrency", json_num(load, "from", 0),
			    json_num(load, "to", 0), json_num(g, "start_s", 0),
			    json_num(g, "end_s", 0));
			if (cJSON_IsFalse(json_path(g, "verdict.valid")))
				strncat(l, " (INVALID)", sizeof l - strlen(l) -
				    1);
			group_row(sb, json_str(g, "spec"), l, g);
			x[i] = (double)(i + 1);
			p50[i] = json_num(g, "metrics.ttft.p50", 0);
			p99[i] = json_num(g, "metrics.ttft.p99", 0);
			i++;
		}
		sb_adds(sb, "</table>\n");
		s[0] = (struct series){ "TTFT p50", "#1f77b4", x, p50, n };
		s[1] = (struct series){ "TTFT p99", "#d62728", x, p99, n };
		chart(sb, "ttft-stages", "TTFT by stage", "stage", "ms", s, 2,
		    0);
		free(x);
		free(p50);
		free(p99);
	}
	if (cJSON_GetArraySize(cJSON_GetObjectItem(r, "turns")) > 0) {
		sb_addf(sb, "<h2>Turns</h2>\n%s", group_head);
		cJSON_ArrayForEach(g, cJSON_GetObjectItem(r, "turns")) {
			snprintf(l, sizeof l, "turn %g", json_num(g, "turn", 0));
			group_row(sb, l, "", g);
		}
		sb_adds(sb, "</table>\n");
	}
	if (cJSON_GetObjectItem(r, "response_headers") != NULL) {
		sb_adds(sb, "<h2>Response headers</h2>\n<table><tr><th>header"
		    "</th><th>value</th><th>requests</th></tr>\n");
		cJSON_ArrayForEach(g, cJSON_GetObjectItem(r,
		    "response_headers")) {
			cJSON_ArrayForEach(v, cJSON_GetObjectItem(g, "values")) {
				sb_adds(sb, "<tr><td>");
				esc(sb, g->string);
				sb_adds(sb, "</td><td>");
				esc(sb, v->string);
				sb_addf(sb, "</td><td>%.0f</td></tr>\n",
				    v->valuedouble);
			}
			sb_adds(sb, "<tr><td>");
			esc(sb, g->string);
			sb_addf(sb, "</td><td>(missing)</td><td>%.0f</td></tr>\n",
			    json_num(g, "missing", 0));
		}
		sb_adds(sb, "</table>\n");
	}
}

/* The mapping of metric names across tools (BENCH-ANCHORS 2.6) and the
 * definition each headline uses. */
static void
definitions_html(struct strbuf *sb, const cJSON *d)
{
	static const char *const k[] = { "quantity", "maasctl", "vllm",
	    "guidellm", "inference_perf", "aiperf", "llmperf" };
	const cJSON	*it, *w = cJSON_GetObjectItem(d, "weighting");
	size_t		 i;

	if (d == NULL)
		return;
	sb_adds(sb, "<h2>Definitions</h2>\n<table id=\"definitions\"><tr>"
	    "<th>headline</th><th>metric</th><th>weighting</th></tr>\n");
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(d, "headline")) {
		sb_adds(sb, "<tr><td>");
		esc(sb, it->string);
		sb_adds(sb, "</td><td>");
		esc(sb, it->valuestring);
		sb_adds(sb, "</td><td>");
		esc(sb, json_str(w, it->valuestring) ? json_str(w,
		    it->valuestring) : "");
		sb_adds(sb, "</td></tr>\n");
	}
	sb_adds(sb, "</table>\n<table id=\"mapping\"><tr><th>quantity</th>"
	    "<th>maasctl</th><th>vLLM</th><th>GuideLLM</th>"
	    "<th>inference-perf</th><th>AIPerf</th><th>LLMPerf</th></tr>\n");
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(d, "mapping")) {
		sb_adds(sb, "<tr>");
		for (i = 0; i < sizeof k / sizeof k[0]; i++) {
			sb_adds(sb, "<td>");
			esc(sb, json_str(it, k[i]) ? json_str(it, k[i]) : "");
			sb_adds(sb, "</td>");
		}
		sb_adds(sb, "</tr>\n");
	}
	sb_adds(sb, "</table>\n");
}

/* Series of a row field over the rows, skipping nulls. */
static size_t
field_series(const cJSON *ts, const double *tx, size_t nts, const char *k,
    double *x, double *y)
{
	const cJSON	*row, *v;
	size_t		 i, j;

	for (i = 0, j = 0, row = ts->child; row != NULL && i < nts;
	    row = row->next, i++)
		if (cJSON_IsNumber(v = cJSON_GetObjectItem(row, k))) {
			x[j] = tx[i];
			y[j++] = v->valuedouble;
		}
	return j;
}

/*
 * The per-class series (classes[].timeseries): output tokens/s and TTFT
 * p99 per second, one line per class (the first eight classes).
 */
static void
class_charts(struct strbuf *sb, const cJSON *r)
{
	static const char *const colors[] = { "#1f77b4", "#d62728",
	    "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
	    "#17becf" };
	static const char *const k[] = { "output_tokens_per_s",
	    "ttft_p99_ms" };
	static const char *const title[] = { "Output tokens per second by "
	    "class", "TTFT p99 per second by class" };
	static const char *const id[] = { "class-throughput-time",
	    "class-ttft-time" };
	static const char *const unit[] = { "tokens/s", "ms" };
	struct series	 s[8];
	double		*x[8], *y[8], *tx;
	const cJSON	*c, *ts, *row;
	size_t		 n = 0, i, j, nts;
	int		 m;

	memset(x, 0, sizeof x);
	memset(y, 0, sizeof y);
	for (m = 0; m < 2; m++) {
		n = 0;
		cJSON_ArrayForEach(c, cJSON_GetObjectItem(r, "classes")) {
			if (n == 8)
				break;
			ts = cJSON_GetObjectItem(c, "timeseries");
			if ((nts = (size_t)cJSON_GetArraySize(ts)) == 0)
				continue;
			free(x[n]);
			free(y[n]);
			x[n] = xcalloc(nts, sizeof *x[n]);
			y[n] = xcalloc(nts, sizeof *y[n]);
			tx = xcalloc(nts, sizeof *tx);
			i = 0;
			cJSON_ArrayForEach(row, ts)
				tx[i++] = json_num(row, "t", 0);
			j = field_series(ts, tx, nts, k[m], x[n], y[n]);
			free(tx);
			s[n] = (struct series){ json_str(c, "name") ?
			    json_str(c, "name") : "?", colors[n], x[n], y[n],
			    j };
			n++;
		}
		if (n == 0)
			break;
		chart(sb, id[m], title[m], "s", unit[m], s, n, 0);
	}
	for (i = 0; i < 8; i++) {
		free(x[i]);
		free(y[i]);
	}
}

/*
 * Completed, admitted and good requests per second; with rate-limit
 * headers, the quota remaining per second.
 */
static void
load_charts(struct strbuf *sb, const cJSON *ts, const double *tx,
    size_t nts, const char *const *colors, int quota)
{
	static const char *const lk[] = { "completed", "admitted", "good" };
	static const char *const qk[] = { "quota_remaining_requests",
	    "quota_remaining_tokens", "quota_remaining" };
	static const char *const qn[] = { "requests", "tokens",
	    "unit unspecified" };
	struct series	 s[3];
	double		*x[3], *y[3];
	size_t		 k, n;

	for (k = 0; k < 3; k++) {
		x[k] = xcalloc(nts, sizeof *x[k]);
		y[k] = xcalloc(nts, sizeof *y[k]);
	}
	for (k = 0; k < 3; k++)
		s[k] = (struct series){ lk[k], colors[k], x[k], y[k],
		    field_series(ts, tx, nts, lk[k], x[k], y[k]) };
	chart(sb, "load-time", "Completed, admitted and good requests per "
	    "second", "s", "requests", s, 3, 0);
	if (quota) {
		for (k = 0, n = 0; k < 3; k++) {
			s[n] = (struct series){ qn[k], colors[k], x[k], y[k],
			    field_series(ts, tx, nts, qk[k], x[k], y[k]) };
			if (s[n].n > 0)
				n++;
		}
		chart(sb, "quota-time", "Quota remaining (rate-limit headers, "
		    "least per second)", "s", "remaining", s, n, 0);
	}
	for (k = 0; k < 3; k++) {
		free(x[k]);
		free(y[k]);
	}
}

/*
 * The scraped server figures (--server-metrics) on the run's time axis:
 * requests running and waiting, and the server's mean queue, prefill and
 * decode times per second.  Seconds without a new scrape are left out.
 */
static void
server_charts(struct strbuf *sb, const cJSON *ts, const double *tx,
    size_t nts, const char *const *colors)
{
	static const char *const gk[] = { "server_running", "server_waiting" };
	static const char *const gn[] = { "running", "waiting" };
	static const char *const tk[] = { "server_queue_time_ms",
	    "server_prefill_time_ms", "server_decode_time_ms" };
	static const char *const tn[] = { "queue", "prefill", "decode" };
	struct series	 s[3];
	double		*x[3], *y[3];
	const cJSON	*row, *v;
	size_t		 i, j, k;

	for (k = 0; k < 3; k++) {
		x[k] = xcalloc(nts, sizeof *x[k]);
		y[k] = xcalloc(nts, sizeof *y[k]);
	}
	sb_adds(sb, "<h2>Server (scraped /metrics)</h2>\n");
	for (k = 0; k < 2; k++) {
		for (i = 0, j = 0, row = ts->child; row != NULL && i < nts;
		    row = row->next, i++)
			if (cJSON_IsNumber(v = cJSON_GetObjectItem(row, gk[k]))) {
				x[k][j] = tx[i];
				y[k][j++] = v->valuedouble;
			}
		s[k] = (struct series){ gn[k], colors[k * 2], x[k], y[k], j };
	}
	chart(sb, "server-requests-time", "Server requests running and "
	    "waiting", "s", "requests", s, 2, 0);
	for (k = 0; k < 3; k++) {
		for (i = 0, j = 0, row = ts->child; row != NULL && i < nts;
		    row = row->next, i++)
			if (cJSON_IsNumber(v = cJSON_GetObjectItem(row, tk[k]))) {
				x[k][j] = tx[i];
				y[k][j++] = v->valuedouble;
			}
		s[k] = (struct series){ tn[k], colors[k], x[k], y[k], j };
	}
	chart(sb, "server-phases-time", "Server queue, prefill and decode "
	    "time per second", "s", "ms", s, 3, 0);
	for (k = 0; k < 3; k++) {
		free(x[k]);
		free(y[k]);
	}
}

char *
report_html(const cJSON *r)
{
	struct strbuf	 sb = STRBUF_INIT;
	static const char *const colors[] = { "#1f77b4", "#d62728", "#2ca02c",
	    "#9467bd" };
	static const char *const dist[] = { "ttft", "tpot", "itl_chunk", "e2e" };
	struct series	 s[4];
	double		 y[4][NQ], *tx = NULL, *tps = NULL, *rps = NULL;
	double		 *p50 = NULL, *p99 = NULL;
	const cJSON	*ts, *row, *it, *m;
	size_t		 i, n, nts;
	char		*v;

	sb_adds(&sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
	    "charset=\"utf-8\"><title>maasctl bench report</title><style>"
	    "body{font-family:sans-serif;margin:24px;color:#222}"
	    "table{border-collapse:collapse;margin:12px 0}"
	    "th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;"
	    "font-size:13px}figure{display:inline-block;margin:8px}"
	    ".valid{color:#2a7a2a}.invalid{color:#b00020}"
	    "</style></head><body>\n<h1>maasctl bench report</h1>\n");
	if (cJSON_IsTrue(json_path(r, "verdict.valid")))
		sb_adds(&sb, "<p class=\"verdict valid\">verdict: VALID</p>\n");
	else {
		sb_adds(&sb, "<p class=\"verdict invalid\">verdict: INVALID");
		cJSON_ArrayForEach(it, json_path(r, "verdict.reasons")) {
			sb_adds(&sb, "<br>");
			esc(&sb, it->valuestring);
		}
		sb_adds(&sb, "</p>\n");
	}
	sb_adds(&sb, "<table>\n");
	figure_row(&sb, "target", json_str(r, "target.url"));
	figure_row(&sb, "model", json_str(r, "target.model"));
	figure_row(&sb, "started", json_str(r, "started_at"));
	figure_row(&sb, "command", json_str(r, "command"));
	v = xasprintf("%s loop; %.0f sent, %.0f ok, %.0f failed",
	    json_str(r, "load.mode"), json_num(r, "requests.sent", 0),
	    json_num(r, "requests.ok", 0), json_num(r, "requests.failed", 0));
	figure_row(&sb, "requests", v);
	free(v);
	v = xasprintf("%.2f req/s, %.1f output tok/s, %.1f total tok/s, "
	    "goodput %.2f req/s", json_num(r, "throughput.requests", 0),
	    json_num(r, "throughput.output_tokens", 0),
	    json_num(r, "throughput.total_tokens", 0),
	    json_num(r, "throughput.goodput_requests", 0));
	figure_row(&sb, "throughput", v);
	free(v);
	if (json_path(r, "load_accounting") != NULL) {
		v = xasprintf("offered %.0f (%.2f/s), admitted %.0f (%.2f/s), "
		    "good %.0f (%.2f/s); 429/503 answers %.0f",
		    json_num(r, "load_accounting.offered_requests", 0),
		    json_num(r, "load_accounting.offered_rate", 0),
		    json_num(r, "load_accounting.admitted_requests", 0),
		    json_num(r, "load_accounting.admitted_rate", 0),
		    json_num(r, "load_accounting.good_requests", 0),
		    json_num(r, "load_accounting.good_rate", 0),
		    json_num(r, "load_accounting.throttled_answers", 0));
		figure_row(&sb, "load accounting", v);
		free(v);
	}
	if (json_path(r, "offered_vs_achieved") != NULL) {
		v = xasprintf("offered %.2f/s, achieved %.2f/s, dispatch lag "
		    "p99 %.3f ms", json_num(r, "offered_vs_achieved."
		    "offered_rate", 0), json_num(r, "offered_vs_achieved."
		    "achieved_rate", 0), json_num(r, "offered_vs_achieved."
		    "dispatch_lag_p99_ms", 0));
		figure_row(&sb, "load", v);
		free(v);
	}
	if (cJSON_IsTrue(json_path(r, "tokens.prefix_cache.reported"))) {
		v = xasprintf("%.0f of %.0f prompt tokens cached (%.2f%%), "
		    "%.0f of %.0f requests hit", json_num(r,
		    "tokens.prefix_cache.cached_tokens", 0), json_num(r,
		    "tokens.prefix_cache.prompt_tokens", 0), json_num(r,
		    "tokens.prefix_cache.hit_rate", 0) * 100, json_num(r,
		    "tokens.prefix_cache.hit_requests", 0), json_num(r,
		    "tokens.prefix_cache.reporting_requests", 0));
		figure_row(&sb, "prefix cache", v);
		free(v);
	}
	if ((v = report_isl_line(r)) != NULL) {
		figure_row(&sb, "isl", v);
		free(v);
	}
	if ((v = report_deltas_line(r)) != NULL) {
		figure_row(&sb, "deltas", v);
		free(v);
	}
	sb_adds(&sb, "</table>\n<table><tr><th>metric</th><th>unit</th>"
	    "<th>count</th><th>mean</th><th>p50</th><th>p99</th><th>max</th>"
	    "<th>definition</th></tr>\n");
	cJSON_ArrayForEach(m, cJSON_GetObjectItem(r, "metrics")) {
		if (json_num(m, "count", 0) == 0)
			continue;
		sb_adds(&sb, "<tr><td>");
		esc(&sb, m->string);
		sb_addf(&sb, "</td><td>%s</td><td>%.0f</td><td>%.3f</td>"
		    "<td>%.3f</td><td>%.3f</td><td>%.3f</td><td>",
		    json_str(m, "unit"), json_num(m, "count", 0),
		    json_num(m, "mean", 0), cJSON_GetNumberValue(
		    cJSON_GetObjectItem(m, "p50")), cJSON_GetNumberValue(
		    cJSON_GetObjectItem(m, "p99")), json_num(m, "max", 0));
		esc(&sb, json_str(m, "definition"));
		sb_adds(&sb, "</td></tr>\n");
	}
	sb_adds(&sb, "</table>\n<h2>Latency distributions</h2>\n");
	for (i = 0, n = 0; i < 4; i++) {
		s[n].name = dist[i];
		s[n].color = colors[i];
		s[n].x = qs;
		s[n].y = y[i];
		if ((s[n].n = quantiles(r, dist[i], y[i])) > 0)
			n++;
	}
	chart(&sb, "latency-quantiles", "Latency by percentile",
	    "percentile", "ms", s, n > 3 ? 3 : n, 1);
	if (n == 4)
		chart(&sb, "e2e-quantiles", "End-to-end latency by percentile",
		    "percentile", "ms", &s[3], 1, 1);
	ts = cJSON_GetObjectItem(r, "timeseries");
	nts = (size_t)cJSON_GetArraySize(ts);
	if (nts > 0) {
		tx = xcalloc(nts, sizeof *tx);
		tps = xcalloc(nts, sizeof *tps);
		rps = xcalloc(nts, sizeof *rps);
		p50 = xcalloc(nts, sizeof *p50);
		p99 = xcalloc(nts, sizeof *p99);
		i = 0;
		cJSON_ArrayForEach(row, ts) {
			tx[i] = json_num(row, "t", 0);
			tps[i] = json_num(row, "output_tokens_per_s", 0);
			rps[i] = json_num(row, "completed", 0);
			p50[i] = json_num(row, "ttft_p50_ms", 0);
			p99[i] = json_num(row, "ttft_p99_ms", 0);
			i++;
		}
		sb_adds(&sb, "<h2>Over time</h2>\n");
		s[0] = (struct series){ "output tokens/s", colors[0], tx, tps,
		    nts };
		s[1] = (struct series){ "requests completed/s", colors[2], tx,
		    rps, nts };
		chart(&sb, "throughput-time", "Throughput per second", "s",
		    "per second", s, 1, 0);
		chart(&sb, "requests-time", "Requests completed per second",
		    "s", "requests", &s[1], 1, 0);
		s[0] = (struct series){ "TTFT p50", colors[0], tx, p50, nts };
		s[1] = (struct series){ "TTFT p99", colors[1], tx, p99, nts };
		chart(&sb, "ttft-time", "TTFT per second", "s", "ms", s, 2, 0);
		load_charts(&sb, ts, tx, nts, colors,
		    cJSON_GetObjectItem(r, "quota") != NULL);
		if (cJSON_GetObjectItem(r, "server_metrics") != NULL)
			server_charts(&sb, ts, tx, nts, colors);
		class_charts(&sb, r);
	}
	groups_html(&sb, r);
	client_html(&sb, r);
	definitions_html(&sb, cJSON_GetObjectItem(r, "definitions"));
	sb_adds(&sb, "</body></html>\n");
	free(tx);
	free(tps);
	free(rps);
	free(p50);
	free(p99);
	return sb_detach(&sb);
}
