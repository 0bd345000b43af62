/*
 * bench.c: `maasctl bench`: load test of an OpenAI-compatible endpoint (a
 * MaaS model through the gateway, or any --endpoint) with token-rate
 * reports.  This file owns the flags, the target and workload set-up, the
 * live progress line, the output formats and the exit status; the engine
 * is common/loadgen.c, the measurements common/benchmetrics.c, the
 * workloads common/workload.c, the views common/report_*.c.  The
 * subcommands (compare, merge, calibrate) live in bench_tools.c.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "benchmetrics.h"
#include "cred.h"
#include "hist.h"
#include "json.h"
#include "loadgen.h"
#include "openai.h"
#include "promscrape.h"
#include "replay.h"
#include "report.h"
#include "stages.h"
#include "target.h"
#include "term.h"
#include "workload.h"

static struct {
	const char	*model;
	const char	*endpoint;
	long		 concurrency;
	double		 rate;
	const char	*arrival;
	double		 burstiness;
	long		 max_inflight;
	long		 requests;
	double		 duration;
	const char	*stages;
	const char	*trace;
	double		 trace_scale;
	const char	*replay;
	long		 warmup;
	long		 seed;
	const char	*input;
	const char	*output;
	const char	*dataset;
	int		 completions;
	int		 tokenize;
	int		 token_ids;
	int		 stream;
	int		 ignore_eos;
	int		 continuous_usage;
	int		 shared_prompt;
	long		 prefix_groups;
	long		 prefix_tokens;
	int		 cache_bust;
	long		 turns;
	long		 sessions;
	struct strlist	 params;
	char		*tools;
	struct strlist	 headers;
	struct strlist	 record;
	struct strlist	 classes;
	const char	*slo;
	const char	*percentiles;
	const char	*retry;
	long		 max_retries;
	double		 retry_cap;
	const char	*raw;
	const char	*timeseries;
	const char	*save;
	const char	*html;
	const char	*format;
	int		 progress;
	double		 max_lag;
	double		 max_loop_lag;
	double		 min_achieved;
	double		 max_cpu;
	double		 max_token_mismatch;
	int		 http2;
	const char	*transport;
	const char	*request_id_prefix;
	const char	*calibration;
	const char	*worker;
	double		 start_at;
	const char	*server_metrics;
	const char	*raw_rotate;
	long		 raw_keep;
	double		 server_metrics_interval;
} A = {
	.concurrency = -1, .arrival = "poisson", .burstiness = 1,
	.max_inflight = 10000, .seed = -1, .input = "32", .output = "16",
	.stream = 1, .ignore_eos = 1, .percentiles = "50,90,95,99,99.9",
	.retry = "never", .transport = "auto", .max_retries = 3, .retry_cap = 10, .progress = -1,
	.max_lag = 0.001, .max_loop_lag = -1, .min_achieved = 0.98, .max_cpu = 0.9,
	.max_token_mismatch = 0.01, .trace_scale = 1,
	.server_metrics_interval = 0.5,
};

static const struct opt bench_opts[] = {
	{ "model", 'm', OPT_STR, &A.model, "MODEL",
	  "model id (default: the only ready model)", 0, NULL, "@model", 0, 0 },
	{ "endpoint", 0, OPT_STR, &A.endpoint, "URL",
	  "any OpenAI-compatible base URL instead of the MaaS gateway "
	  "(default: $OPENAI_BASE_URL)", 0, NULL, NULL, 0, 0 },
	{ "concurrency", 'c', OPT_INT, &A.concurrency, "N",
	  "closed loop: N requests in flight (default 1); with --rate, the "
	  "in-flight cap", 0, NULL, NULL, 1, 1000000 },
	{ "rate", 'r', OPT_DOUBLE, &A.rate, "R",
	  "open loop: R requests per second on a precomputed schedule", 0,
	  NULL, NULL, 0, 0 },
	{ "arrival", 0, OPT_STR, &A.arrival, "KIND",
	  "open-loop gaps: constant, poisson (default) or gamma", 0, NULL,
	  "constant|poisson|gamma", 0, 0 },
	{ "burstiness", 0, OPT_DOUBLE, &A.burstiness, "K",
	  "gamma shape: < 1 burstier, > 1 smoother (default 1)", 0, NULL,
	  NULL, 0, 0 },
	{ "max-inflight", 0, OPT_INT, &A.max_inflight, "N",
	  "open loop: most requests in flight; later ones wait and are "
	  "counted (default 10000)", 0, NULL, NULL, 1, 1000000 },
	{ "requests", 'n', OPT_INT, &A.requests, "N",
	  "measured requests to send (default 100 unless --duration)", 0,
	  NULL, NULL, 1, 1000000000 },
	{ "duration", 'd', OPT_DURATION, &A.duration, "DURATION",
	  "stop sending after DURATION (with --requests: whichever first)",
	  0, NULL, NULL, 0, 0 },
	{ "stages", 0, OPT_STR, &A.stages, "SPEC",
	  "staged load, comma-separated: LOAD@DURATION holds, FROM..TO@DURATION "
	  "ramps; c= (concurrency, the default) or rate= (requests/s, open "
	  "loop) before the first; metrics per stage too", 0, NULL, NULL, 0,
	  0 },
	{ "trace", 0, OPT_STR, &A.trace, "FILE",
	  "replay a Mooncake JSONL trace (timestamp ms, input_length or "
	  "prompt, output_length, hash_ids) as an open-loop schedule", 0,
	  NULL, "file", 0, 0 },
	{ "trace-scale", 0, OPT_DOUBLE, &A.trace_scale, "F",
	  "multiply the trace's time offsets by F (default 1; 0.5 is twice "
	  "as fast)", 0, NULL, NULL, 0, 0 },
	{ "replay", 0, OPT_STR, &A.replay, "FILE",
	  "send again, at the same times, the measured requests of a run's "
	  "--raw FILE (request numbers, classes; its seed unless --seed)", 0,
	  NULL, "file", 0, 0 },
	{ "warmup", 0, OPT_INT, &A.warmup, "N",
	  "send N unmeasured requests first", 0, NULL, NULL, 0, 1000000 },
	{ "seed", 0, OPT_INT, &A.seed, "N",
	  "seed of the schedule and the workload (default 1; with --replay "
	  "the replayed run's)", 0, NULL, NULL,
	  0, 2147483647 },
	{ "input-tokens", 0, OPT_STR, &A.input, "DIST",
	  "prompt length: N, uniform:MIN:MAX or normal:MEAN:SD (default 32)",
	  0, NULL, NULL, 0, 0 },
	{ "output-tokens", 0, OPT_STR, &A.output, "DIST",
	  "output length (max_tokens): N, uniform:MIN:MAX or "
	  "normal:MEAN:SD (default 16)", 0, NULL, NULL, 0, 0 },
	{ "dataset", 0, OPT_STR, &A.dataset, "FILE",
	  "prompts from JSONL ({\"prompt\"|\"messages\", \"max_tokens\"}) or "
	  "a ShareGPT JSON file", 0, NULL, "file", 0, 0 },
	{ "completions", 0, OPT_BOOL, &A.completions, NULL,
	  "use /v1/completions instead of chat", 0, NULL, NULL, 0, 0 },
	{ "tokenize", 0, OPT_BOOL, &A.tokenize, NULL,
	  "calibrate synthetic prompt lengths against the server's /tokenize "
	  "(vLLM; --endpoint) so they count --input-tokens server tokens", 0,
	  NULL, NULL, 0, 0 },
	{ "token-ids", 0, OPT_BOOL, &A.token_ids, NULL,
	  "with --completions: send synthetic prompts as token-id arrays of "
	  "exactly --input-tokens ids (vLLM accepts them)", 0, NULL, NULL, 0,
	  0 },
	{ "stream", 0, OPT_BOOL, &A.stream, NULL,
	  "stream answers (default; --no-stream for whole answers)", 0, NULL,
	  NULL, 0, 0 },
	{ "ignore-eos", 0, OPT_BOOL, &A.ignore_eos, NULL,
	  "send ignore_eos so answers have exactly max_tokens (default; "
	  "--no-ignore-eos)", 0, NULL, NULL, 0, 0 },
	{ "continuous-usage", 0, OPT_BOOL, &A.continuous_usage, NULL,
	  "ask vLLM's continuous_usage_stats (per-chunk token counts)", 0,
	  NULL, NULL, 0, 0 },
	{ "shared-prompt", 0, OPT_BOOL, &A.shared_prompt, NULL,
	  "one prompt for every request (default: a distinct one each)", 0,
	  NULL, NULL, 0, 0 },
	{ "prefix-groups", 0, OPT_INT, &A.prefix_groups, "N",
	  "prompts open with one of N shared prefixes (request k gets group "
	  "k mod N)", 0, NULL, NULL, 1, 1000000 },
	{ "prefix-tokens", 0, OPT_INT, &A.prefix_tokens, "N",
	  "tokens of each shared prefix (default 128)", 0, NULL, NULL, 1,
	  1000000 },
	{ "cache-bust", 0, OPT_BOOL, &A.cache_bust, NULL,
	  "open every prompt with a word unique to the request, so no prefix "
	  "cache can serve it", 0, NULL, NULL, 0, 0 },
	{ "turns", 0, OPT_INT, &A.turns, "N",
	  "multi-turn: conversations of N turns, each turn's prompt carrying "
	  "every earlier prompt and answer; metrics per turn too", 0, NULL,
	  NULL, 1, 10000 },
	{ "sessions", 0, OPT_INT, &A.sessions, "N",
	  "multi-turn: N conversations in progress at once, their turns "
	  "interleaved (default: the concurrency)", 0, NULL, NULL, 1,
	  1000000 },
	{ "param", 'p', OPT_LIST, &A.params, "KEY=VALUE",
	  "any other request field, JSON-typed (repeatable)", 0, NULL, NULL,
	  0, 0 },
	{ "tools", 0, OPT_STR, &A.tools, "FILE",
	  "send the OpenAI tools array in FILE (JSON: [{\"type\": "
	  "\"function\", \"function\": {\"name\": ...}}, ...]) with every "
	  "chat request, as it is", 0, NULL, "file", 0, 0 },
	{ "class", 0, OPT_LIST, &A.classes, "SPEC",
	  "a workload class: name=N[,weight=W,model=M,endpoint=chat|"
	  "completions,input=DIST,output=DIST,dataset=FILE,prefix-groups=N,"
	  "prefix-tokens=N,stream=true|false,url=BASE,key=@FILE|env:NAME,"
	  "header=NAME: VALUE,ttft=D,tpot=D,itl=D,e2e=D,attainment=F] "
	  "(repeatable; every metric per class too; SLO keys override --slo "
	  "for the class)", 0, NULL, NULL, 0, 0 },
	{ "header", 'H', OPT_LIST, &A.headers, "NAME: VALUE",
	  "extra request header (repeatable)", 0, NULL, NULL, 0, 0 },
	{ "record-header", 0, OPT_LIST, &A.record, "NAME",
	  "record this response header per request (--raw) and count its "
	  "values in the report (repeatable)", 0, NULL, NULL, 0, 0 },
	{ "slo", 0, OPT_STR, &A.slo, "SPEC",
	  "goodput objectives: ttft=D,tpot=D,itl=D,e2e=D[,attainment=F] "
	  "(the run fails below attainment, default 0.99)", 0, NULL, NULL,
	  0, 0 },
	{ "percentiles", 0, OPT_STR, &A.percentiles, "LIST",
	  "percentiles to report (default 50,90,95,99,99.9)", 0, NULL, NULL,
	  0, 0 },
	{ "retry", 0, OPT_STR, &A.retry, "POLICY",
	  "429/503 answers: never (default), retry-after or backoff", 0, NULL,
	  "never|retry-after|backoff", 0, 0 },
	{ "max-retries", 0, OPT_INT, &A.max_retries, "N",
	  "retries per request (default 3)", 0, NULL, NULL, 0, 100 },
	{ "retry-cap", 0, OPT_DURATION, &A.retry_cap, "DURATION",
	  "longest wait before a retry (default 10s)", 0, NULL, NULL, 0, 0 },
	{ "raw", 0, OPT_STR, &A.raw, "FILE",
	  "write every request as NDJSON to FILE", 0, NULL, "file", 0, 0 },
	{ "raw-rotate", 0, OPT_STR, &A.raw_rotate, "SIZE",
	  "start a new --raw file when it reaches SIZE (bytes, or with k, M "
	  "or G: 1024-based); older parts become FILE.1, FILE.2, ...", 0,
	  NULL, NULL, 0, 0 },
	{ "raw-keep", 0, OPT_INT, &A.raw_keep, "N",
	  "with --raw-rotate, keep at most N older parts (default: all)", 0,
	  NULL, NULL, 1, 1000000 },
	{ "timeseries", 0, OPT_STR, &A.timeseries, "FILE",
	  "write per-second rows during the run (.csv: CSV, else NDJSON)", 0,
	  NULL, "file", 0, 0 },
	{ "save", 0, OPT_STR, &A.save, "FILE",
	  "write the JSON report to FILE too", 0, NULL, "file", 0, 0 },
	{ "html", 0, OPT_STR, &A.html, "FILE",
	  "write a self-contained HTML report with SVG charts to FILE", 0,
	  NULL, "file", 0, 0 },
	{ "format", 0, OPT_STR, &A.format, "FMT",
	  "report on stdout: text (default), json, vllm or csv", 0, NULL,
	  "text|json|vllm|csv", 0, 0 },
	{ "progress", 0, OPT_BOOL, &A.progress, NULL,
	  "live progress line on stderr (default on a terminal)", 0, NULL,
	  NULL, 0, 0 },
	{ "max-lag", 0, OPT_DURATION, &A.max_lag, "DURATION",
	  "open loop: INVALID above this p99 dispatch lag (default 1ms)", 0,
	  NULL, NULL, 0, 0 },
	{ "max-loop-lag", 0, OPT_DURATION, &A.max_loop_lag, "DURATION",
	  "INVALID when the client's event loop ran its timers later than "
	  "this at p99 (default 50ms, or --max-lag when larger)", 0, NULL,
	  NULL, 0, 0 },
	{ "min-achieved", 0, OPT_DOUBLE, &A.min_achieved, "F",
	  "open loop: INVALID below this achieved/offered rate (default "
	  "0.98)", 0, NULL, NULL, 0, 0 },
	{ "max-cpu", 0, OPT_DOUBLE, &A.max_cpu, "F",
	  "INVALID when the client used more of a core (default 0.9)", 0,
	  NULL, NULL, 0, 0 },
	{ "max-token-mismatch", 0, OPT_DOUBLE, &A.max_token_mismatch, "F",
	  "INVALID when token sources disagree on more requests (default "
	  "0.01)", 0, NULL, NULL, 0, 0 },
	{ "http2", 0, OPT_BOOL, &A.http2, NULL,
	  "HTTP/2 with multiplexing (default HTTP/1.1 keep-alive)", 0, NULL,
	  NULL, 0, 0 },
	{ "transport", 0, OPT_STR, &A.transport, "CLIENT",
	  "HTTP client: auto (default: the native HTTP/1.1 client for plain "
	  "http:// without a proxy, else libcurl), native or curl", 0, NULL,
	  "auto|native|curl", 0, 0 },
	{ "request-id-prefix", 0, OPT_STR, &A.request_id_prefix, "TEXT",
	  "x-request-id prefix (default bench-)", 0, NULL, NULL, 0, 0 },
	{ "worker", 0, OPT_STR, &A.worker, "I/N",
	  "distributed run: send only requests whose number is I modulo N "
	  "of the one global schedule (merge the reports with bench merge)",
	  0, NULL, NULL, 0, 0 },
	{ "start-at", 0, OPT_DOUBLE, &A.start_at, "UNIXTIME",
	  "wait until this wall-clock time to start (a barrier for workers)",
	  0, NULL, NULL, 0, 0 },
	{ "server-metrics", 0, OPT_STR, &A.server_metrics, "URL",
	  "scrape the server's Prometheus /metrics (vLLM names) before, "
	  "during and after the run: queue, prefill and decode time, KV "
	  "cache usage and prefix-cache hits per second in the time series "
	  "and the report (a path such as /metrics is taken on the target's "
	  "host)", 0, NULL, NULL, 0, 0 },
	{ "server-metrics-interval", 0, OPT_DURATION,
	  &A.server_metrics_interval, "DURATION",
	  "time between scrapes during the run (default 500ms)", 0, NULL,
	  NULL, 0, 0 },
	{ "calibration", 0, OPT_STR, &A.calibration, "FILE",
	  "a `bench calibrate` result to carry in the report", 0, NULL, "file",
	  0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

static void
on_sigint(int sig)
{
	(void)sig;
	lg_interrupt();
}

/* What the engine's callbacks share. */
struct run {
	struct bm	 bm;
	struct rp	*rp;		/* --replay, or NULL */
	struct ps_scraper *ps;		/* --server-metrics, or NULL */
	struct ps_sample ps_prev;	/* the scrape the last row used */
	int		 progress;
	int		 tty;
	int		 drawn;
};

static void
on_done(void *arg, const struct lg_result *r)
{
	struct run	*run = arg;

	if (run->rp != NULL)
		rp_check(run->rp, r);
	bm_add(&run->bm, r);
}

static void
on_tick(void *arg, const struct lg_tick *t)
{
	struct run	*run = arg;
	struct hist	*h = run->bm.all.h[BM_TTFT];
	char		*line;
	struct ps_sample cur;
	int		 k;

	if (run->ps != NULL) {
		/* The figures of the scrapes since the last row's, or null
		 * when no new scrape fell in this second. */
		if (ps_latest(run->ps, &cur) == 0 && cur.t != run->ps_prev.t) {
			ps_derive(&run->ps_prev, &cur, run->bm.srv);
			run->ps_prev = cur;
		} else
			for (k = 0; k < PSD_NDERIVED; k++)
				run->bm.srv[k] = NAN;
	}
	bm_tick(&run->bm, t);
	if (!run->progress)
		return;
	if (t->last) {
		if (run->drawn && run->tty)
			fputc('\n', stderr);
		return;
	}
	line = report_progress(t->elapsed, t->inflight, run->bm.live_rps,
	    run->bm.live_tps, (double)hist_percentile(h, 50) / 1e6,
	    (double)hist_percentile(h, 99) / 1e6,
	    (unsigned long long)run->bm.errors);
	if (run->tty)
		fprintf(stderr, "\r\033[K%s", line);
	else
		fprintf(stderr, "%s\n", line);
	fflush(stderr);
	run->drawn = 1;
	free(line);
}

static int
pick_model(struct target *t, char **model, struct err *e)
{
	struct strlist	 ids = STRLIST_INIT;

	if (A.model != NULL) {
		*model = xstrdup(A.model);
		return 0;
	}
	if (target_models(t, &ids, e) != 0) {
		err_wrap(e, "bench");
		err_hint(e, "name the model with -m MODEL");
		return -1;
	}
	if (ids.n == 1) {
		*model = xstrdup(ids.v[0]);
		sl_free(&ids);
		return 0;
	}
	if (ids.n == 0)
		err_set(e, EXIT_NOTFOUND, "bench: no ready model is available "
		    "to you at %s", t->base);
	else
		err_set(e, EXIT_USAGE, "bench: %zu models are available; "
		    "choose one with -m", ids.n);
	sl_free(&ids);
	return -1;
}

/* Split the key material into one key per line (--api-key @keys.txt). */
static void
split_keys(const char *key, struct strlist *keys)
{
	const char	*p = key, *nl;
	char		*k;
	size_t		 n;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ' ||
		    p[n - 1] == '\t'))
			n--;
		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		if (n > 0 && *p != '#') {
			k = xstrndup(p, n);
			sl_take(keys, k);
		}
		p = nl ? nl + 1 : NULL;
	}
}

static void
free_keys(struct strlist *keys)
{
	size_t	 i;

	for (i = 0; i < keys->n; i++) {
		explicit_bzero(keys->v[i], strlen(keys->v[i]));
	}
	sl_free(keys);
}

/* One argument of the command line, the values of a --class spec's
 * header= items replaced (they may be secrets; key= takes only @FILE or
 * env:NAME). */
static void
add_arg_redacted(struct strbuf *sb, const char *a)
{
	const char	*p = a, *h, *colon, *end;

	while ((h = strstr(p, "header=")) != NULL) {
		if (h != a && h[-1] != ',' && !(h - a == 8 &&
		    strncmp(a, "--class=", 8) == 0)) {
			sb_add(sb, p, (size_t)(h + 7 - p));
			p = h + 7;
			continue;
		}
		end = h + strcspn(h, ",");
		if ((colon = memchr(h, ':', (size_t)(end - h))) == NULL) {
			sb_add(sb, p, (size_t)(end - p));
		} else {
			sb_add(sb, p, (size_t)(colon + 1 - p));
			sb_adds(sb, " REDACTED");
		}
		p = end;
	}
	sb_adds(sb, p);
}

/* The command line as run (from /proc/self/cmdline), secrets redacted. */
static char *
command_line(const char *path)
{
	struct strbuf	 sb = STRBUF_INIT;
	char		 buf[8192], *r;
	size_t		 n, i;
	FILE		*f;

	if ((f = fopen("/proc/self/cmdline", "r")) != NULL) {
		n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = '\0';
		for (i = 0; i < n; i += strlen(buf + i) + 1) {
			if (i > 0)
				sb_addc(&sb, ' ');
			add_arg_redacted(&sb, buf + i);
		}
	} else
		sb_adds(&sb, path);
	r = term_redact(sb.buf);
	sb_free(&sb);
	return r;
}

static FILE *
open_out(const char *path, const char *what, struct err *e)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL)
		err_set(e, EXIT_USAGE, "bench: cannot write %s %s: %s", what,
		    path, strerror(errno));
	return f;
}

int
bench_write_file(const char *path, const char *text, struct err *e)
{
	FILE	*f;

	if ((f = open_out(path, "report", e)) == NULL)
		return -1;
	fputs(text, f);
	if (fclose(f) != 0)
		return err_set(e, EXIT_ERR, "bench: writing %s failed: %s",
		    path, strerror(errno));
	return 0;
}

int
bench_print(const cJSON *report, const char *fmt, struct err *e)
{
	char	*s;
	cJSON	*v;

	if (fmt == NULL || strcmp(fmt, "text") == 0)
		s = report_text(report);
	else if (strcmp(fmt, "json") == 0)
		s = json_print(report, 1);
	else if (strcmp(fmt, "vllm") == 0) {
		v = report_vllm(report);
		s = json_print(v, 1);
		cJSON_Delete(v);
	} else if (strcmp(fmt, "csv") == 0)
		s = report_csv(report);
	else
		return err_set(e, EXIT_USAGE, "bench: unknown format \"%s\" "
		    "(want text, json, vllm or csv)", fmt);
	fputs(s, stdout);
	if (s[0] != '\0' && s[strlen(s) - 1] != '\n')
		fputc('\n', stdout);
	fflush(stdout);
	free(s);
	return 0;
}

/* The error for a run where nothing succeeded, by the commonest class. */
static int
all_failed(const struct bm *b, struct err *e)
{
	static const int codes[LG_NCLASS] = {
		EXIT_OK, EXIT_RATELIMITED, EXIT_ERR, EXIT_UNREACHABLE,
		EXIT_UNREACHABLE, EXIT_TIMEOUT, EXIT_UNREACHABLE
	};
	uint64_t	 best = 0;
	int		 k, which = LG_TRANSPORT, code;
	const char	*msg;

	for (k = 1; k < LG_NCLASS; k++)
		if (b->all.klass[k] > best) {
			best = b->all.klass[k];
			which = k;
		}
	code = codes[which];
	msg = b->err_first[which] ? b->err_first[which] : "no detail";
	if (which == LG_HTTP_4XX) {
		if (strncmp(msg, "HTTP 401", 8) == 0 ||
		    strncmp(msg, "HTTP 403", 8) == 0)
			code = EXIT_AUTH;
		else if (strncmp(msg, "HTTP 404", 8) == 0)
			code = EXIT_NOTFOUND;
	}
	return err_set(e, code, "bench: all %llu requests failed (%s): %s",
	    (unsigned long long)b->all.sent, lg_class_name((enum lg_class)which),
	    msg);
}

/* Split a --class spec: its SLO keys (ttft, tpot, itl, e2e, attainment)
 * into *slo (NULL when none), the rest into *rest. */
static void
class_split(const char *spec, char **rest, char **slo)
{
	struct strbuf	 r = STRBUF_INIT, o = STRBUF_INIT;
	char		*copy = xstrdup(spec), *tok, *save = NULL;
	static const char *const keys[] = { "ttft=", "tpot=", "itl=", "e2e=",
	    "attainment=" };
	size_t		 i;

	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
			if (strncmp(tok, keys[i], strlen(keys[i])) == 0)
				break;
		if (i < sizeof keys / sizeof keys[0])
			sb_addf(&o, "%s%s", o.len ? "," : "", tok);
		else
			sb_addf(&r, "%s%s", r.len ? "," : "", tok);
	}
	free(copy);
	*rest = r.buf ? sb_detach(&r) : xstrdup("");
	*slo = o.buf ? sb_detach(&o) : NULL;
}

/*
 * Take a class's transport keys out of its spec: url=BASE (its own
 * OpenAI base URL), key=@FILE or key=env:NAME (its own API key, never on
 * the command line, where ps would show it) and header=NAME: VALUE
 * (repeatable).  What is left goes to wl_parse_class.
 */
static void
class_transport(char **rest, char **url, char **key, struct strlist *hdrs)
{
	struct strbuf	 r = STRBUF_INIT;
	char		*copy = *rest, *tok, *save = NULL;

	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "url=", 4) == 0) {
			free(*url);
			*url = xstrdup(tok + 4);
		} else if (strncmp(tok, "key=", 4) == 0) {
			free(*key);
			*key = xstrdup(tok + 4);
		} else if (strncmp(tok, "header=", 7) == 0)
			sl_add(hdrs, tok + 7);
		else
			sb_addf(&r, "%s%s", r.len ? "," : "", tok);
	}
	free(copy);
	*rest = r.buf ? sb_detach(&r) : xstrdup("");
}

/* A class's key=@FILE or key=env:NAME (read as the global --api-key
 * is: one key a line, blank lines and # comments skipped) into keys,
 * which the class's requests use in turn; -1 with e set.  A key never
 * enters an error: the class and the reference name it. */
static int
class_keys(const char *cls, const char *spec, struct strlist *keys,
    struct err *e)
{
	char		*raw = NULL, *what;
	int		 rc = -1;

	what = xasprintf("bench: class %s: key", cls);
	if (spec[0] != '@' && strncmp(spec, "env:", 4) != 0) {
		err_set(e, EXIT_USAGE, "%s: want @FILE or env:NAME (a key on "
		    "the command line would show in ps and shell history)",
		    what);
		goto out;
	}
	if (cred_read(spec, what, &raw, e) != 0)
		goto out;
	split_keys(raw, keys);
	if (keys->n == 0)
		err_set(e, EXIT_USAGE, "%s: %s holds no key", what, spec);
	else
		rc = 0;
out:
	if (raw != NULL)
		xfree_secret(raw);
	free(what);
	return rc;
}

/* A response header name: visible ASCII but ':' (RFC 9110 token chars). */
static int
header_name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s >= 127 || *s == ':')
			return 0;
	return 1;
}

/* Check a class's header=NAME: VALUE: a token name, no line breaks (the
 * value is never echoed: it may be a secret). */
static int
class_header_check(const char *cls, const char *h, struct err *e)
{
	const char	*colon = strchr(h, ':');
	char		*name;
	int		 ok;

	if (colon == NULL)
		return err_set(e, EXIT_USAGE, "bench: class %s: invalid "
		    "header (no ':'): want header=NAME: VALUE", cls);
	name = xstrndup(h, (size_t)(colon - h));
	ok = header_name_ok(name);
	if (!ok)
		err_set(e, EXIT_USAGE, "bench: class %s: invalid header "
		    "name \"%s\": want visible ASCII without spaces or ':'",
		    cls, name);
	else if (strpbrk(colon, "\r\n") != NULL) {
		ok = 0;
		err_set(e, EXIT_USAGE, "bench: class %s: header %s: its value "
		    "holds a line break", cls, name);
	}
	free(name);
	return ok ? 0 : -1;
}

/* "4096", "64k", "64M", "1G" (1024-based) in bytes, or -1. */
static long
parse_size(const char *s)
{
	char	*end;
	double	 v = strtod(s, &end);

	if (end == s || !(v >= 0))
		return -1;
	if (*end == 'k' || *end == 'K')
		v *= 1024;
	else if (*end == 'm' || *end == 'M')
		v *= 1024 * 1024;
	else if (*end == 'g' || *end == 'G')
		v *= 1024.0 * 1024 * 1024;
	else if (*end != '\0')
		return -1;
	if (*end != '\0' && end[1] != '\0' && strcmp(end + 1, "B") != 0 &&
	    strcmp(end + 1, "iB") != 0)
		return -1;
	return v > 1e15 ? -1 : (long)v;
}

/* --server-metrics as a URL: a path is taken on the target's origin. */
static char *
server_metrics_url(const char *v, const char *base)
{
	const char	*p;

	if (v[0] != '/')
		return xstrdup(v);
	p = strstr(base, "://");
	p = p != NULL ? strchr(p + 3, '/') : NULL;
	return xasprintf("%.*s%s", p != NULL ? (int)(p - base) :
	    (int)strlen(base), base, v);
}

/* How many of the request numbers 0 .. x-1 are this worker's. */
static uint64_t
worker_share(uint64_t x, const struct lg_config *c)
{
	uint64_t	 n = (uint64_t)c->worker_count, i = (uint64_t)
			    c->worker_index;

	return x > i ? (x - i - 1) / n + 1 : 0;
}

/* The mean of a length distribution. */
static double
dist_mean(const struct wl_dist *d)
{
	return d->kind == WL_UNIFORM ? (d->a + d->b) / 2 : d->a;
}

/* What the synthetic prompts are, for tokens.isl.prompts. */
static const char *
isl_prompts(const struct workload *w, const cJSON *cal)
{
	return w->token_ids && !w->chat ? "token ids (exact length)" :
	    cal != NULL ? "words calibrated against the server's /tokenize" :
	    "words, one token each under the simulator's rule (a real "
	    "tokenizer counts otherwise; see --tokenize)";
}

void
bench_isl_json(cJSON *report, double requested_mean, double requests,
    const char *prompts, const cJSON *cal)
{
	cJSON		*o, *tok = cJSON_GetObjectItem(report, "tokens");
	const cJSON	*m = json_path(report, "metrics.input_tokens");
	double		 srv, n = json_num(m, "count", 0);

	if (tok == NULL)
		return;
	cJSON_DeleteItemFromObject(tok, "isl");
	o = cJSON_AddObjectToObject(tok, "isl");
	cJSON_AddNumberToObject(o, "requested_mean", requested_mean);
	cJSON_AddNumberToObject(o, "requests", requests);
	cJSON_AddNumberToObject(o, "server_requests", n);
	if (n > 0) {
		srv = json_num(m, "mean", 0);
		cJSON_AddNumberToObject(o, "server_mean", srv);
		cJSON_AddNumberToObject(o, "server_to_requested",
		    requested_mean > 0 ? round(srv / requested_mean * 1e4) /
		    1e4 : 0);
	} else
		cJSON_AddNullToObject(o, "server_mean");
	cJSON_AddStringToObject(o, "prompts", prompts);
	if (cal != NULL)
		cJSON_AddItemToObject(o, "calibration", cJSON_Duplicate(cal,
		    1));
	cJSON_AddStringToObject(o, "definition", "requested_mean: the mean "
	    "of --input-tokens over the requests sent (requests); "
	    "server_mean: the mean usage.prompt_tokens of the ok requests "
	    "that reported it (server_requests; the ISL every metric uses)");
}

/*
 * --tools FILE: a JSON array of OpenAI function tools, each an object
 * with "type": "function" and a "function" object with a non-empty
 * string "name" (the rest is the server's to judge); NULL with e set,
 * naming the file and what is wrong.
 */
static cJSON *
tools_load(const char *path, struct err *e)
{
	const cJSON	*t, *f, *name;
	cJSON		*a;
	const char	*why = NULL;
	int		 i = 0;

	if ((a = bench_read_json(path, "a JSON tools array", e)) == NULL)
		return NULL;
	if (!cJSON_IsArray(a)) {
		err_set(e, EXIT_USAGE, "bench: --tools %s: want a JSON array "
		    "of tools, not %s", path, cJSON_IsObject(a) ? "an object" :
		    "a single value");
		goto bad;
	}
	if (cJSON_GetArraySize(a) == 0) {
		err_set(e, EXIT_USAGE, "bench: --tools %s: the array holds no "
		    "tool", path);
		goto bad;
	}
	cJSON_ArrayForEach(t, a) {
		i++;
		f = cJSON_GetObjectItemCaseSensitive(t, "function");
		name = cJSON_GetObjectItemCaseSensitive(f, "name");
		if (!cJSON_IsObject(t))
			why = "is not an object";
		else if (json_str(t, "type") == NULL ||
		    strcmp(json_str(t, "type"), "function") != 0)
			why = "needs \"type\": \"function\"";
		else if (!cJSON_IsObject(f))
			why = "needs a \"function\" object";
		else if (!cJSON_IsString(name) || name->valuestring[0] == '\0')
			why = "needs a non-empty string function.name";
		if (why != NULL) {
			err_set(e, EXIT_USAGE, "bench: --tools %s: tool %d %s",
			    path, i, why);
			goto bad;
		}
	}
	return a;
bad:
	cJSON_Delete(a);
	return NULL;
}

static int
bench_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct target		 t;
	struct workload		 w;
	struct wl_mix		 mix;
	struct lg_config	 c;
	struct lg_summary	 sum;
	struct bm_limits	 lim;
	struct bm_slo		 slo, *cls_slo = NULL;
	char			**cls_url = NULL, **cls_keyspec = NULL;
	struct strlist		*cls_keys = NULL;
	struct strlist		*cls_hdr = NULL;
	struct lg_class_cfg	*ccfg = NULL;
	const char		***ccfg_h = NULL;
	int			 cls_own = 0;
	int			 has_cls_slo = 0;
	struct bm_run		 info;
	struct run		 run;
	struct sigaction	 sa, old;
	struct strlist		 keys = STRLIST_INIT;
	struct wl_trace		 trace;
	struct rp		 rp;
	struct stage		*stg = NULL;
	struct lg_step		*steps = NULL;
	int64_t			*sched = NULL;
	uint64_t		*rp_seq = NULL;
	size_t			 nstg = 0, nsteps = 0, nsched = 0;
	int			 stg_rate = 0, open;
	const char		**hdrs = NULL;
	double			 pcs[16];
	size_t			 npc, i, j;
	cJSON			*extra = NULL, *report = NULL, *calib = NULL;
	cJSON			*tokcal = NULL;
	char			*model = NULL, *url = NULL, *cmdline = NULL;
	char			*smurl = NULL;
	long			 raw_rotate = 0;
	char			*s, started[32], *cpath = NULL;
	time_t			 now;
	int			 rc = -1, have_target = 0, ran = 0;

	(void)argc;
	(void)argv;
	memset(&w, 0, sizeof w);
	memset(&mix, 0, sizeof mix);
	memset(&c, 0, sizeof c);
	memset(&sum, 0, sizeof sum);
	memset(&run, 0, sizeof run);
	memset(&info, 0, sizeof info);
	memset(&slo, 0, sizeof slo);
	memset(&trace, 0, sizeof trace);
	memset(&rp, 0, sizeof rp);

	/* Flags first: every usage error before any network traffic. */
	if (A.replay != NULL) {
		if (A.rate > 0 || A.stages != NULL || A.trace != NULL ||
		    A.warmup > 0 || A.worker != NULL) {
			err_set(e, EXIT_USAGE, "bench: --replay sets the "
			    "schedule; it does not combine with %s", A.rate > 0 ?
			    "--rate" : A.stages ? "--stages" : A.trace ?
			    "--trace" : A.warmup > 0 ? "--warmup" : "--worker");
			goto out;
		}
		if (rp_load(&rp, A.replay, e) != 0)
			goto out;
		if (A.seed < 0 && rp.has_seed)
			A.seed = (long)rp.seed;
	}
	if (A.seed < 0)
		A.seed = 1;
	if (A.rate < 0 || (A.rate > 0 && A.rate > 1e7)) {
		err_set(e, EXIT_USAGE, "bench: invalid --rate %g: want a "
		    "positive number of requests per second", A.rate);
		goto out;
	}
	if (strcmp(A.arrival, "constant") == 0)
		c.arrival = LG_ARRIVAL_CONSTANT;
	else if (strcmp(A.arrival, "poisson") == 0)
		c.arrival = LG_ARRIVAL_POISSON;
	else if (strcmp(A.arrival, "gamma") == 0)
		c.arrival = LG_ARRIVAL_GAMMA;
	else {
		err_set(e, EXIT_USAGE, "bench: invalid --arrival \"%s\": want "
		    "constant, poisson or gamma", A.arrival);
		goto out;
	}
	if (!(A.burstiness > 0)) {
		err_set(e, EXIT_USAGE, "bench: invalid --burstiness %g: want a "
		    "number above 0", A.burstiness);
		goto out;
	}
	if (strcmp(A.retry, "never") == 0)
		c.retry = LG_RETRY_NEVER;
	else if (strcmp(A.retry, "retry-after") == 0)
		c.retry = LG_RETRY_AFTER;
	else if (strcmp(A.retry, "backoff") == 0)
		c.retry = LG_RETRY_BACKOFF;
	else {
		err_set(e, EXIT_USAGE, "bench: invalid --retry \"%s\": want "
		    "never, retry-after or backoff", A.retry);
		goto out;
	}
	if (A.format != NULL && strcmp(A.format, "text") != 0 &&
	    strcmp(A.format, "json") != 0 && strcmp(A.format, "vllm") != 0 &&
	    strcmp(A.format, "csv") != 0) {
		err_set(e, EXIT_USAGE, "bench: unknown format \"%s\" (want "
		    "text, json, vllm or csv)", A.format);
		goto out;
	}
	if (A.format == NULL && ctx->g.output != NULL) {
		if (strcmp(ctx->g.output, "json") != 0) {
			err_set(e, EXIT_USAGE, "bench: unsupported output "
			    "format \"%s\" (want json, or --format)",
			    ctx->g.output);
			goto out;
		}
		A.format = "json";
	}
	if (!(A.min_achieved > 0 && A.min_achieved <= 1) ||
	    !(A.max_cpu > 0) || A.max_token_mismatch < 0 || A.max_lag <= 0 ||
	    (A.max_loop_lag <= 0 && A.max_loop_lag != -1)) {
		err_set(e, EXIT_USAGE, "bench: invalid validity limit: "
		    "--min-achieved wants (0, 1], --max-cpu, --max-lag and "
		    "--max-loop-lag a positive value, --max-token-mismatch "
		    ">= 0");
		goto out;
	}
	if (A.worker != NULL) {
		char	*end;

		c.worker_index = strtol(A.worker, &end, 10);
		if (end == A.worker || *end != '/' ||
		    (c.worker_count = strtol(end + 1, &end, 10)) < 1 ||
		    *end != '\0' || c.worker_index < 0 ||
		    c.worker_index >= c.worker_count) {
			err_set(e, EXIT_USAGE, "bench: invalid --worker \"%s\": "
			    "want I/N with 0 <= I < N", A.worker);
			goto out;
		}
	}
	if (strcmp(A.transport, "auto") == 0)
		c.transport = LG_TRANSPORT_AUTO;
	else if (strcmp(A.transport, "native") == 0)
		c.transport = LG_TRANSPORT_NATIVE;
	else if (strcmp(A.transport, "curl") == 0)
		c.transport = LG_TRANSPORT_CURL;
	else {
		err_set(e, EXIT_USAGE, "bench: invalid --transport \"%s\": "
		    "want auto, native or curl", A.transport);
		goto out;
	}
	if (c.transport == LG_TRANSPORT_NATIVE && A.http2) {
		err_set(e, EXIT_USAGE, "bench: --transport native speaks "
		    "HTTP/1.1 only: drop --http2 or use --transport curl");
		goto out;
	}
	if ((A.raw_rotate != NULL || A.raw_keep > 0) && A.raw == NULL) {
		err_set(e, EXIT_USAGE, "bench: %s needs --raw FILE",
		    A.raw_rotate != NULL ? "--raw-rotate" : "--raw-keep");
		goto out;
	}
	if (A.raw_keep > 0 && A.raw_rotate == NULL) {
		err_set(e, EXIT_USAGE, "bench: --raw-keep needs --raw-rotate");
		goto out;
	}
	if (A.raw_rotate != NULL && (raw_rotate = parse_size(A.raw_rotate)) <
	    4096) {
		err_set(e, EXIT_USAGE, "bench: invalid --raw-rotate \"%s\": "
		    "want a size of at least 4096 bytes, such as 64M",
		    A.raw_rotate);
		goto out;
	}
	if (A.server_metrics != NULL && A.server_metrics[0] != '/' &&
	    strncmp(A.server_metrics, "http://", 7) != 0 &&
	    strncmp(A.server_metrics, "https://", 8) != 0) {
		err_set(e, EXIT_USAGE, "bench: invalid --server-metrics \"%s\": "
		    "want an http(s):// URL or a path such as /metrics",
		    A.server_metrics);
		goto out;
	}
	if (!(A.server_metrics_interval >= 0.05 &&
	    A.server_metrics_interval <= 3600)) {
		err_set(e, EXIT_USAGE, "bench: invalid --server-metrics-interval "
		    "%g s: want 50ms to 1h", A.server_metrics_interval);
		goto out;
	}
	if (A.start_at < 0 || (A.start_at > 0 && A.start_at >
	    (double)time(NULL) + 86400)) {
		err_set(e, EXIT_USAGE, "bench: invalid --start-at %.0f: want a "
		    "Unix time within the next day", A.start_at);
		goto out;
	}
	c.start_at = A.start_at;
	if (bm_parse_percentiles(A.percentiles, pcs, 16, &npc, e) != 0)
		goto out;
	slo.attainment = 0.99;
	if (A.slo != NULL && bm_parse_slo(A.slo, &slo, e) != 0)
		goto out;
	if (wl_parse_dist(A.input, "--input-tokens", &w.in, e) != 0 ||
	    wl_parse_dist(A.output, "--output-tokens", &w.out, e) != 0)
		goto out;
	for (i = 0; i < A.params.n; i++)
		if (oai_param_kv(&extra, A.params.v[i], e) != 0)
			goto out;
	if (A.tools != NULL) {
		cJSON	*tools;

		if (cJSON_GetObjectItemCaseSensitive(extra, "tools") != NULL) {
			err_set(e, EXIT_USAGE, "bench: --tools and -p tools=... "
			    "both set the tools; give one");
			goto out;
		}
		if (A.completions) {
			err_set(e, EXIT_USAGE, "bench: --tools needs chat "
			    "requests, not --completions");
			goto out;
		}
		if ((tools = tools_load(A.tools, e)) == NULL)
			goto out;
		if (extra == NULL)
			extra = cJSON_CreateObject();
		cJSON_AddItemToObject(extra, "tools", tools);
	}
	for (i = 0; i < A.headers.n; i++)
		if (strchr(A.headers.v[i], ':') == NULL) {
			err_set(e, EXIT_USAGE, "bench: invalid --header \"%s\": "
			    "want \"Name: value\"", A.headers.v[i]);
			goto out;
		}
	if (A.dataset != NULL && wl_load(&w, A.dataset, e) != 0)
		goto out;
	if (A.stages != NULL && A.trace != NULL) {
		err_set(e, EXIT_USAGE, "bench: --stages and --trace both set the "
		    "schedule; give one");
		goto out;
	}
	if (A.stages != NULL) {
		if (stages_parse(A.stages, &stg, &nstg, &stg_rate, e) != 0)
			goto out;
		if (A.rate > 0) {
			err_set(e, EXIT_USAGE, "bench: --rate and --stages: give "
			    "open-loop rates in the stages (rate=R@DURATION)");
			goto out;
		}
		if (!stg_rate && A.concurrency > 0) {
			err_set(e, EXIT_USAGE, "bench: -c and concurrency "
			    "--stages: the stages set the concurrency (-c caps "
			    "only rate= stages)");
			goto out;
		}
		if (stg_rate && (sched = stages_schedule(stg, nstg, c.arrival,
		    A.burstiness, (uint64_t)A.seed, 50000000, &nsched)) ==
		    NULL) {
			err_set(e, EXIT_USAGE, "bench: --stages \"%s\" "
			    "schedules more than 50 million requests",
			    A.stages);
			goto out;
		}
		if (stg_rate && nsched == 0) {
			err_set(e, EXIT_USAGE, "bench: --stages \"%s\" "
			    "schedules no request (rate x duration rounds to "
			    "0)", A.stages);
			goto out;
		}
	}
	if (A.trace != NULL) {
		if (A.rate > 0) {
			err_set(e, EXIT_USAGE, "bench: --rate and --trace: the "
			    "trace sets the schedule");
			goto out;
		}
		if (A.dataset != NULL || A.classes.n > 0 || A.shared_prompt ||
		    A.prefix_groups > 0) {
			err_set(e, EXIT_USAGE, "bench: --trace makes the prompts; "
			    "it does not combine with --dataset, --class, "
			    "--shared-prompt or --prefix-groups");
			goto out;
		}
		if (!(A.trace_scale > 0) || A.trace_scale > 1e6) {
			err_set(e, EXIT_USAGE, "bench: invalid --trace-scale %g: "
			    "want a number above 0", A.trace_scale);
			goto out;
		}
		if (wl_trace_load(&trace, A.trace, A.trace_scale, e) != 0)
			goto out;
		sched = wl_trace_schedule(&trace);
		nsched = trace.n;
	} else if (A.trace_scale != 1) {
		err_set(e, EXIT_USAGE, "bench: --trace-scale needs --trace");
		goto out;
	}
	if (A.prefix_tokens > 0 && A.prefix_groups == 0) {
		err_set(e, EXIT_USAGE, "bench: --prefix-tokens needs "
		    "--prefix-groups");
		goto out;
	}
	if (A.cache_bust && (A.prefix_groups > 0 || A.shared_prompt)) {
		err_set(e, EXIT_USAGE, "bench: --cache-bust gives every request "
		    "its own prompt start; it contradicts %s",
		    A.shared_prompt ? "--shared-prompt" : "--prefix-groups");
		goto out;
	}
	if (A.sessions > 0 && A.turns == 0) {
		err_set(e, EXIT_USAGE, "bench: --sessions needs --turns");
		goto out;
	}
	if (A.turns > 0 && (A.dataset != NULL || A.trace != NULL ||
	    A.shared_prompt || A.classes.n > 0 || A.completions)) {
		err_set(e, EXIT_USAGE, "bench: --turns builds chat "
		    "conversations from synthetic prompts; it does not combine "
		    "with %s", A.dataset ? "--dataset" : A.trace ? "--trace" :
		    A.shared_prompt ? "--shared-prompt" : A.classes.n > 0 ?
		    "--class" : "--completions");
		goto out;
	}
	if (A.token_ids && (!A.completions || A.dataset != NULL ||
	    A.trace != NULL || A.prefix_groups > 0 || A.cache_bust ||
	    A.classes.n > 0 || A.tokenize)) {
		err_set(e, EXIT_USAGE, "bench: --token-ids sends synthetic "
		    "prompts to /v1/completions; %s", !A.completions ? "it needs "
		    "--completions" : A.tokenize ? "--tokenize has nothing to "
		    "calibrate then" : "it does not combine with --dataset, "
		    "--trace, --prefix-groups, --cache-bust or --class");
		goto out;
	}
	if (A.tokenize && (A.dataset != NULL || A.trace != NULL ||
	    A.classes.n > 0 || A.turns > 0)) {
		err_set(e, EXIT_USAGE, "bench: --tokenize calibrates synthetic "
		    "prompts; it does not combine with %s", A.dataset ?
		    "--dataset" : A.trace ? "--trace" : A.classes.n > 0 ?
		    "--class" : "--turns");
		goto out;
	}
	if (A.prefix_groups > 0 && A.shared_prompt) {
		err_set(e, EXIT_USAGE, "bench: --prefix-groups and "
		    "--shared-prompt: one prompt for all has no groups");
		goto out;
	}
	for (i = 0; i < A.record.n; i++)
		if (!header_name_ok(A.record.v[i])) {
			err_set(e, EXIT_USAGE, "bench: invalid --record-header "
			    "\"%s\": want a header name such as "
			    "x-inference-pod", A.record.v[i]);
			goto out;
		}
	if (A.calibration == NULL && (cpath = bench_calibration_path()) !=
	    NULL && access(cpath, R_OK) == 0)
		A.calibration = cpath;
	if (A.calibration != NULL) {
		struct strbuf	 sb = STRBUF_INIT;
		char		 buf[4096];
		size_t		 n;
		FILE		*f;

		if ((f = fopen(A.calibration, "r")) == NULL) {
			err_set(e, EXIT_USAGE, "bench: cannot read calibration "
			    "%s: %s", A.calibration, strerror(errno));
			goto out;
		}
		while ((n = fread(buf, 1, sizeof buf, f)) > 0)
			sb_add(&sb, buf, n);
		fclose(f);
		calib = json_parse(sb.buf ? sb.buf : "", sb.len, e);
		sb_free(&sb);
		if (calib == NULL) {
			err_wrap(e, "bench: calibration %s", A.calibration);
			goto out;
		}
	}
	if (A.requests == 0 && A.duration <= 0 && nstg == 0 && trace.n == 0 &&
	    rp.n == 0)
		A.requests = 100;
	open = A.rate > 0 || (nstg > 0 && stg_rate) || trace.n > 0 || rp.n > 0;

	w.model = A.model;
	w.chat = !A.completions;
	w.stream = A.stream;
	w.ignore_eos = A.ignore_eos;
	w.continuous_usage = A.continuous_usage;
	w.shared_prompt = A.shared_prompt;
	w.prefix_groups = A.prefix_groups;
	w.prefix_tokens = A.prefix_groups > 0 ? (A.prefix_tokens > 0 ?
	    A.prefix_tokens : 128) : 0;
	w.cache_bust = A.cache_bust;
	w.token_ids = A.token_ids;
	w.turns = A.turns;
	w.sessions = A.sessions > 0 ? A.sessions : A.concurrency > 0 ?
	    A.concurrency : 1;
	w.trace = trace.n > 0 ? &trace : NULL;
	w.extra = extra;
	w.seed = (uint64_t)A.seed;
	mix.n = A.classes.n > 0 ? A.classes.n : 1;
	mix.w = xcalloc(mix.n, sizeof *mix.w);
	mix.names = xcalloc(mix.n, sizeof *mix.names);
	mix.urls = xcalloc(mix.n, sizeof *mix.urls);
	mix.cum = xcalloc(mix.n, sizeof *mix.cum);
	cls_slo = xcalloc(mix.n, sizeof *cls_slo);
	cls_url = xcalloc(mix.n, sizeof *cls_url);
	cls_keyspec = xcalloc(mix.n, sizeof *cls_keyspec);
	cls_keys = xcalloc(mix.n, sizeof *cls_keys);
	cls_hdr = xcalloc(mix.n, sizeof *cls_hdr);
	ccfg = xcalloc(mix.n, sizeof *ccfg);
	ccfg_h = xcalloc(mix.n, sizeof *ccfg_h);
	mix.seed = (uint64_t)A.seed;
	for (i = 0; i < mix.n; i++) {
		double	 weight = 1;
		char	*rest = NULL, *cslo = NULL;

		mix.w[i] = w;
		mix.w[i].items_borrowed = 1;
		if (A.classes.n > 0) {
			class_split(A.classes.v[i], &rest, &cslo);
			class_transport(&rest, &cls_url[i], &cls_keyspec[i],
			    &cls_hdr[i]);
			cls_slo[i] = slo;
			if (wl_parse_class(rest, &mix.w[i], &mix.names[i],
			    &weight, e) != 0 || (cslo != NULL &&
			    bm_parse_slo(cslo, &cls_slo[i], e) != 0)) {
				if (cslo != NULL && mix.names[i] != NULL)
					err_wrap(e, "bench: class %s",
					    mix.names[i]);
				free(rest);
				free(cslo);
				goto out;
			}
			has_cls_slo |= cslo != NULL;
			free(rest);
			free(cslo);
		}
		if (A.classes.n == 0)
			mix.names[i] = xstrdup("default");
		if (cls_url[i] != NULL) {
			size_t	 ul = strlen(cls_url[i]);

			if (strncmp(cls_url[i], "http://", 7) != 0 &&
			    strncmp(cls_url[i], "https://", 8) != 0) {
				err_set(e, EXIT_USAGE, "bench: class %s: invalid "
				    "url \"%s\": want an http(s):// base URL "
				    "such as http://host:8000/v1", mix.names[i],
				    cls_url[i]);
				goto out;
			}
			while (ul > 8 && cls_url[i][ul - 1] == '/')
				cls_url[i][--ul] = '\0';
		}
		for (j = 0; j < cls_hdr[i].n; j++)
			if (class_header_check(mix.names[i], cls_hdr[i].v[j],
			    e) != 0)
				goto out;
		if (cls_keyspec[i] != NULL && class_keys(mix.names[i],
		    cls_keyspec[i], &cls_keys[i], e) != 0)
			goto out;
		for (j = 0; j < i; j++)
			if (strcmp(mix.names[j], mix.names[i]) == 0) {
				err_set(e, EXIT_USAGE, "bench: two classes are "
				    "named \"%s\"", mix.names[i]);
				goto out;
			}
		mix.cum[i] = (i > 0 ? mix.cum[i - 1] : 0) + weight;
	}

	if (target_resolve(ctx, A.endpoint, &t, e) != 0)
		goto out;
	have_target = 1;
	for (i = 0; i < mix.n; i++)
		if (mix.w[i].model == NULL) {
			if (model == NULL && pick_model(&t, &model, e) != 0)
				goto out;
			mix.w[i].model = model;
		}
	if (A.tokenize && (tokcal = bench_tokenize_calibrate(&t, &mix.w[0],
	    lround(dist_mean(&mix.w[0].in)), e)) == NULL)
		goto out;
	if (t.key != NULL)
		split_keys(t.key, &keys);
	for (i = 0; i < mix.n; i++)
		mix.urls[i] = xasprintf("%s/%s", cls_url[i] != NULL ?
		    cls_url[i] : t.base, mix.w[i].chat ? "chat/completions" :
		    "completions");
	for (i = 0; i < mix.n; i++) {
		/* A class's own key, headers or stream flag. */
		ccfg[i].keys = cls_keys[i].v;
		ccfg[i].nkeys = cls_keys[i].n;
		ccfg[i].stream = mix.w[i].stream != A.stream ?
		    mix.w[i].stream : -1;
		if (cls_hdr[i].n > 0) {
			size_t	 k;

			ccfg_h[i] = xcalloc(cls_hdr[i].n + 1,
			    sizeof *ccfg_h[i]);
			for (k = 0; k < cls_hdr[i].n; k++)
				ccfg_h[i][k] = cls_hdr[i].v[k];
			ccfg[i].headers = ccfg_h[i];
		}
		if (ccfg[i].nkeys > 0 || ccfg[i].headers != NULL ||
		    ccfg[i].stream >= 0)
			cls_own = 1;
	}
	bm_init(&run.bm, (const char *const *)mix.names, mix.n);
	run.bm.slo = slo;
	run.bm.seed = (uint64_t)A.seed;
	if (A.turns > 0)
		bm_set_turns(&run.bm, (size_t)A.turns);
	for (i = 0; has_cls_slo && i < mix.n; i++)
		bm_set_class_slo(&run.bm, i, &cls_slo[i]);
	if (A.record.n > 0)
		bm_set_headers(&run.bm, (const char *const *)A.record.v,
		    A.record.n);

	url = xasprintf("%s/%s", t.base, A.completions ? "completions" :
	    "chat/completions");
	hdrs = xcalloc(A.headers.n + 1, sizeof *hdrs);
	for (i = 0; i < A.headers.n; i++)
		hdrs[i] = A.headers.v[i];
	c.url = url;
	c.headers = hdrs;
	c.keys = keys.v;
	c.nkeys = keys.n;
	c.stream = A.stream;
	c.rate = A.rate;
	c.burstiness = A.burstiness;
	c.concurrency = A.concurrency > 0 ? A.concurrency : 1;
	c.max_inflight = open && A.concurrency > 0 ? A.concurrency :
	    A.max_inflight;
	c.seed = (uint64_t)A.seed;
	c.requests = A.requests;
	c.duration = A.duration;
	c.warmup = A.warmup;
	c.max_retries = (int)A.max_retries;
	c.retry_cap = A.retry_cap;
	c.timeout = ctx->g.timeout;
	c.ca_file = t.http.tls.ca_file;
	c.insecure = t.http.tls.insecure;
	c.http2 = A.http2;
	c.request_id_prefix = A.request_id_prefix;
	c.body = wl_mix_body;
	c.body_arg = &mix;
	c.done = on_done;
	c.tick = on_tick;
	c.arg = &run;
	if (cls_own)
		c.cls = ccfg;
	c.ncls = mix.n;
	c.record_headers = (const char *const *)A.record.v;
	c.nrecord = A.record.n;
	if (nstg > 0 && !stg_rate) {
		/* Closed-loop stages: concurrency steps for the engine; the
		 * stages end the run unless -d or -n ends it first. */
		steps = stages_steps(stg, nstg, &nsteps);
		c.steps = steps;
		c.nsteps = nsteps;
		c.concurrency = (long)stages_peak(stg, nstg);
		if (c.duration <= 0 || c.duration > stages_duration(stg, nstg))
			c.duration = stages_duration(stg, nstg);
	} else if (rp.n > 0) {
		/* The replayed run's realised schedule. */
		if (rp_bind(&rp, &mix, A.replay, e) != 0)
			goto out;
		sched = rp_schedule(&rp);
		c.schedule = sched;
		c.nschedule = rp.n;
		c.rate = rp.span > 0 ? (double)(rp.n - 1) / rp.span :
		    (double)rp.n;
		c.body = rp_body;
		c.body_arg = &rp;
		run.rp = &rp;
		rp_seq = rp_seqs(&rp);
		run.bm.seq_map = rp_seq;
		run.bm.nseq_map = rp.n;
	} else if (nstg > 0 || trace.n > 0) {
		/* Open loop on the caller's deadlines. */
		c.schedule = sched;
		c.nschedule = nsched;
		/* The schedule's mean rate, for the report. */
		c.rate = nstg > 0 ? (double)nsched / stages_duration(stg,
		    nstg) : trace.span > 0 ? (double)(nsched - 1) / trace.span :
		    (double)nsched;
	}
	for (i = 0, j = 0; i < nstg; i++) {
		/* A worker is offered its share of each stage: the global
		 * request numbers in the stage that are I modulo N. */
		uint64_t offered = stg[i].count;

		if (c.worker_count > 1)
			offered = worker_share((uint64_t)j + stg[i].count,
			    &c) - worker_share((uint64_t)j, &c);
		j += (size_t)stg[i].count;
		bm_add_stage(&run.bm, stg[i].spec, stg[i].start, stg[i].start +
		    stg[i].dur, stg[i].from, stg[i].to, stg_rate, offered);
	}
	/* Open-loop runs need the whole schedule in memory: bound it. */
	if (A.rate > 0 && A.requests <= 0 && A.rate * A.duration > 5e7) {
		err_set(e, EXIT_USAGE, "bench: --rate %g for %g s is more than "
		    "50 million requests; give --requests", A.rate, A.duration);
		goto out;
	}

	if (A.raw != NULL && (run.bm.raw = open_out(A.raw, "raw file", e)) ==
	    NULL)
		goto out;
	run.bm.raw_path = A.raw;
	run.bm.raw_rotate = raw_rotate;
	run.bm.raw_keep = A.raw_keep;
	if (A.timeseries != NULL) {
		if ((run.bm.ts = open_out(A.timeseries, "time series", e)) ==
		    NULL)
			goto out;
		s = strrchr(A.timeseries, '.');
		run.bm.ts_csv = s != NULL && strcmp(s, ".csv") == 0;
	}
	run.tty = term_is_tty();
	run.progress = A.progress == -1 ? run.tty : A.progress;

	if (A.server_metrics != NULL) {
		/* The scrape before the run: a server that cannot be
		 * scraped fails the run before any load is sent. */
		smurl = server_metrics_url(A.server_metrics, t.base);
		if ((run.ps = ps_start(smurl, &t.http,
		    A.server_metrics_interval, e)) == NULL) {
			err_wrap(e, "bench: --server-metrics");
			goto out;
		}
		ps_latest(run.ps, &run.ps_prev);
		run.bm.srv_on = 1;
	}
	now = time(NULL);
	strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, &old);
	rc = lg_run(&c, &sum, e);
	sigaction(SIGINT, &old, NULL);
	ps_stop(run.ps);
	if (rc != 0)
		goto out;
	ran = 1;
	rc = -1;

	lim.min_achieved = A.min_achieved;
	lim.max_lag = A.max_lag;
	/* Timers late by as much as the dispatch lag accepted are
	 * accepted too: in open loop they are that lag. */
	lim.max_loop_lag = A.max_loop_lag > 0 ? A.max_loop_lag :
	    A.max_lag > 0.05 ? A.max_lag : 0.05;
	lim.max_cpu = A.max_cpu;
	lim.max_token_mismatch = A.max_token_mismatch;
	cmdline = command_line(ctx->path);
	info.command = cmdline;
	info.target = t.base;
	info.model = model != NULL ? model : mix.w[0].model;
	info.mode = open ? "open" : "closed";
	info.concurrency = c.concurrency;
	info.rate = c.rate;
	info.stages = A.stages;
	info.trace = A.trace;
	info.arrival = rp.n > 0 ? "replay" : A.arrival;
	info.burstiness = A.burstiness;
	info.max_inflight = c.max_inflight;
	info.seed = (uint64_t)A.seed;
	info.requests = A.requests;
	info.duration = c.duration;
	info.warmup = A.warmup;
	info.stream = A.stream;
	info.started_at = started;
	info.percentiles = pcs;
	info.npercentiles = npc;
	info.calibration = calib;
	if (mix.n == 1)
		info.workload = wl_describe(&mix.w[0], A.dataset);
	else {
		info.workload = cJSON_CreateObject();
		cJSON *arr = cJSON_AddArrayToObject(info.workload, "classes");
		for (i = 0; i < mix.n; i++) {
			cJSON *d = wl_describe(&mix.w[i], NULL);

			cJSON_AddStringToObject(d, "name", mix.names[i]);
			cJSON_AddStringToObject(d, "model", mix.w[i].model);
			cJSON_AddNumberToObject(d, "weight", mix.cum[i] -
			    (i > 0 ? mix.cum[i - 1] : 0));
			cJSON_AddStringToObject(d, "url", cls_url[i] != NULL ?
			    cls_url[i] : t.base);
			cJSON_AddBoolToObject(d, "own_key", cls_keys[i].n > 0);
			if (cls_keys[i].n > 0)
				cJSON_AddNumberToObject(d, "keys",
				    (double)cls_keys[i].n);
			if (cls_hdr[i].n > 0) {
				/* Names only: values may be secrets. */
				cJSON *hn = cJSON_AddArrayToObject(d,
				    "header_names");
				size_t k;

				for (k = 0; k < cls_hdr[i].n; k++) {
					char *nm = xstrndup(cls_hdr[i].v[k],
					    (size_t)(strchr(cls_hdr[i].v[k],
					    ':') - cls_hdr[i].v[k]));

					cJSON_AddItemToArray(hn,
					    cJSON_CreateString(nm));
					free(nm);
				}
			}
			cJSON_AddItemToArray(arr, d);
		}
	}
	report = bm_report(&run.bm, &sum, &info, &lim);
	if (mix.n == 1 && A.dataset == NULL && trace.n == 0 && rp.n == 0)
		bench_isl_json(report, dist_mean(&mix.w[0].in), json_num(
		    report, "requests.sent", 0), isl_prompts(&mix.w[0],
		    tokcal), tokcal);
	cJSON_Delete(info.workload);
	if (run.ps != NULL)
		cJSON_AddItemToObject(report, "server_metrics",
		    ps_report(run.ps));
	if (rp.n > 0) {
		cJSON *x = cJSON_AddObjectToObject(report, "replay");

		cJSON_AddStringToObject(x, "file", A.replay);
		cJSON_AddNumberToObject(x, "requests", (double)rp.n);
		cJSON_AddNumberToObject(x, "span_s", rp.span);
		cJSON_AddNumberToObject(x, "compared", (double)rp.compared);
		cJSON_AddNumberToObject(x, "prompt_tokens_differ",
		    (double)rp.differ);
		cJSON_AddStringToObject(x, "definition", "compared: requests "
		    "that succeeded in both runs with server prompt_tokens; "
		    "prompt_tokens_differ: of them, those whose prompt length "
		    "differs (other workload flags or seed)");
	}
	if (A.save != NULL) {
		s = json_print(report, 1);
		rc = bench_write_file(A.save, s, e);
		free(s);
		if (rc != 0)
			goto out;
		rc = -1;
	}
	if (A.html != NULL) {
		s = report_html(report);
		rc = bench_write_file(A.html, s, e);
		free(s);
		if (rc != 0)
			goto out;
		rc = -1;
	}
	if (bench_print(report, A.format, e) != 0)
		goto out;
	if (sum.interrupted) {
		err_set(e, EXIT_INTERRUPTED, "bench: interrupted; the report "
		    "above covers %llu requests", (unsigned long long)
		    run.bm.all.sent);
		goto out;
	}
	if (run.bm.all.sent > 0 && run.bm.all.ok == 0) {
		all_failed(&run.bm, e);
		goto out;
	}
	if (!bm_report_valid(report)) {
		struct strbuf	 sb = STRBUF_INIT;
		const cJSON	*it;

		cJSON_ArrayForEach(it, json_path(report, "verdict.reasons"))
			sb_addf(&sb, "%s%s", sb.len ? "; " : "",
			    it->valuestring);
		err_set(e, EXIT_ERR, "bench: the run is INVALID: %s", sb.buf);
		sb_free(&sb);
		goto out;
	}
	if (!bm_report_slo_met(report)) {
		const cJSON	*it;

		/* Name the first class that missed its own objectives. */
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(report, "classes"))
			if (cJSON_IsFalse(json_path(it, "slo.met"))) {
				err_set(e, EXIT_ERR, "bench: SLO missed by class "
				    "%s: %.2f%% of its requests were good, "
				    "%.2f%% required", json_str(it, "name"),
				    json_num(it, "slo.good_fraction", 0) * 100,
				    json_num(it, "slo.attainment", 0) * 100);
				goto out;
			}
		err_set(e, EXIT_ERR, "bench: SLO missed: %.2f%% of requests "
		    "were good, %.2f%% required", json_num(report,
		    "slo.good_fraction", 0) * 100, run.bm.slo.attainment * 100);
		goto out;
	}
	rc = 0;
out:
	(void)ran;
	if (run.bm.raw != NULL)
		fclose(run.bm.raw);
	if (run.bm.ts != NULL)
		fclose(run.bm.ts);
	if (run.bm.cls != NULL)
		bm_free(&run.bm);
	for (i = 0; i < mix.n; i++) {
		wl_free(&mix.w[i]);
		free(mix.names[i]);
		free(mix.urls[i]);
	}
	for (i = 0; cls_url != NULL && i < mix.n; i++) {
		free(cls_url[i]);
		free(cls_keyspec[i]);
		free_keys(&cls_keys[i]);
		for (j = 0; j < cls_hdr[i].n; j++)
			explicit_bzero(cls_hdr[i].v[j], strlen(cls_hdr[i].v[j]));
		sl_free(&cls_hdr[i]);
		free(ccfg_h[i]);
	}
	free(cls_url);
	free(cls_keyspec);
	free(cls_keys);
	free(cls_hdr);
	free(ccfg);
	free(ccfg_h);
	free(mix.w);
	free(mix.names);
	free(mix.urls);
	free(mix.cum);
	wl_free(&w);
	wl_trace_free(&trace);
	rp_free(&rp);
	free(rp_seq);
	stages_free(stg, nstg);
	free(steps);
	free(sched);
	free(cls_slo);
	free_keys(&keys);
	free(hdrs);
	free(url);
	ps_free(run.ps);
	free(smurl);
	free(model);
	free(cmdline);
	if (A.calibration == cpath)
		A.calibration = NULL;
	free(cpath);
	cJSON_Delete(report);
	cJSON_Delete(tokcal);
	cJSON_Delete(extra);
	cJSON_Delete(calib);
	lg_summary_free(&sum);
	if (have_target)
		target_free(&t);
	return rc;
}

static const struct command *const bench_sub[] = {
	&cmd_bench_compare,
	&cmd_bench_merge,
	&cmd_bench_calibrate,
	&cmd_bench_sweep,
	&cmd_bench_exact,
	NULL
};

const struct command cmd_bench = {
	.name = "bench",
	.summary = "Load-test a model endpoint and report token rates",
	.usage = "[-m MODEL] [--endpoint URL] [-c N | -r R] [-n N] "
	    "[-d DURATION] [options]",
	.opts = bench_opts,
	.sub = bench_sub,
	.run = bench_run,
	.max_args = 0,
};
