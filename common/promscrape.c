/*
 * promscrape.c: the /metrics scraper of `maasctl bench --server-metrics`
 * (see promscrape.h): the Prometheus text parser, the scraping thread and
 * the per-interval figures.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "promscrape.h"
#include "xalloc.h"

/* A day of one-second samples at most; later ones replace the last. */
#define PS_MAX_SAMPLES	86400

static const char *const names[PS_NMETRIC] = {
	"vllm:num_requests_running",
	"vllm:num_requests_waiting",
	"vllm:kv_cache_usage_perc",
	"vllm:prefix_cache_queries_total",
	"vllm:prefix_cache_hits_total",
	"vllm:prompt_tokens_total",
	"vllm:generation_tokens_total",
	"vllm:request_success_total",
	"vllm:request_queue_time_seconds_sum",
	"vllm:request_queue_time_seconds_count",
	"vllm:request_prefill_time_seconds_sum",
	"vllm:request_prefill_time_seconds_count",
	"vllm:request_decode_time_seconds_sum",
	"vllm:request_decode_time_seconds_count",
	"vllm:time_to_first_token_seconds_sum",
	"vllm:time_to_first_token_seconds_count",
	"vllm:e2e_request_latency_seconds_sum",
	"vllm:e2e_request_latency_seconds_count",
};

static const struct {
	const char	*name;
	const char	*def;
} derived[PSD_NDERIVED] = {
	{ "server_running", "vllm:num_requests_running as last scraped" },
	{ "server_waiting", "vllm:num_requests_waiting as last scraped" },
	{ "server_kv_cache_usage", "vllm:kv_cache_usage_perc (0..1) as last "
	  "scraped" },
	{ "server_prefix_cache_hit_rate", "increase of "
	  "vllm:prefix_cache_hits_total / increase of "
	  "vllm:prefix_cache_queries_total over the interval" },
	{ "server_queue_time_ms", "mean vllm:request_queue_time_seconds of "
	  "the requests counted in the interval (increase of _sum / "
	  "increase of _count)" },
	{ "server_prefill_time_ms", "mean vllm:request_prefill_time_seconds "
	  "over the interval" },
	{ "server_decode_time_ms", "mean vllm:request_decode_time_seconds "
	  "over the interval" },
	{ "server_ttft_ms", "mean vllm:time_to_first_token_seconds over the "
	  "interval (the server's own TTFT)" },
	{ "server_generation_tokens_per_s", "increase of "
	  "vllm:generation_tokens_total / interval" },
};

struct ps_scraper {
	char		*url;
	struct http_client c;
	char		*ca_file;	/* owned copies of c's strings */
	double		 interval;
	pthread_t	 th;
	int		 running;	/* thread started */
	int		 stop;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct ps_sample *s;
	size_t		 n, cap;
	size_t		 errors;
	char		*first_error;
};

const char *
ps_metric_name(enum ps_metric m)
{
	return (unsigned)m < PS_NMETRIC ? names[m] : "unknown";
}

const char *
ps_derived_name(enum ps_derived d)
{
	return (unsigned)d < PSD_NDERIVED ? derived[d].name : "unknown";
}

const char *
ps_derived_def(enum ps_derived d)
{
	return (unsigned)d < PSD_NDERIVED ? derived[d].def : "";
}

/* The known series a name (up to its '{' or blank) is, or -1. */
static int
lookup(const char *p, size_t n)
{
	int	 i;

	for (i = 0; i < PS_NMETRIC; i++)
		if (strlen(names[i]) == n && memcmp(names[i], p, n) == 0)
			return i;
	return -1;
}

size_t
ps_parse(const char *text, size_t len, struct ps_sample *s)
{
	const char	*p = text, *end = text + len, *eol, *q, *name;
	size_t		 found = 0, nlen;
	char		 num[64], *e;
	double		 v;
	int		 k, depth;

	for (k = 0; k < PS_NMETRIC; k++)
		s->v[k] = NAN;
	for (; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if (p == eol || *p == '#')
			continue;
		name = p;
		while (p < eol && *p != '{' && *p != ' ' && *p != '\t')
			p++;
		nlen = (size_t)(p - name);
		/* Older vLLM named KV usage gpu_cache_usage_perc. */
		if (nlen == 25 && memcmp(name, "vllm:gpu_cache_usage_perc",
		    25) == 0)
			k = PS_KV_USAGE;
		else
			k = lookup(name, nlen);
		if (k < 0)
			continue;
		if (p < eol && *p == '{') {
			/* Skip the labels; values may hold '}' in quotes. */
			for (depth = 0; p < eol; p++) {
				if (*p == '"')
					depth = !depth;
				else if (*p == '\\' && depth && p + 1 < eol)
					p++;
				else if (*p == '}' && !depth)
					break;
			}
			if (p == eol)
				continue;
			p++;
		}
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		for (q = p; q < eol && *q != ' ' && *q != '\t'; q++)
			;
		if (q == p || (size_t)(q - p) >= sizeof num)
			continue;
		memcpy(num, p, (size_t)(q - p));
		num[q - p] = '\0';
		v = strtod(num, &e);
		if (*e != '\0' || isnan(v))
			continue;
		if (isnan(s->v[k])) {
			s->v[k] = 0;
			found++;
		}
		s->v[k] += v;
	}
	return found;
}

static double
rise(const struct ps_sample *a, const struct ps_sample *b, int k)
{
	double	 d;

	if (isnan(a->v[k]) || isnan(b->v[k]))
		return NAN;
	d = b->v[k] - a->v[k];
	/* A counter that went down: the server restarted. */
	return d < 0 ? b->v[k] : d;
}

static double
ratio(double num, double den, double scale)
{
	if (isnan(num) || isnan(den) || den <= 0)
		return NAN;
	return num / den * scale;
}

void
ps_derive(const struct ps_sample *a, const struct ps_sample *b,
    double out[PSD_NDERIVED])
{
	double	 dt = (double)(b->t - a->t) / 1e9;

	out[PSD_RUNNING] = b->v[PS_RUNNING];
	out[PSD_WAITING] = b->v[PS_WAITING];
	out[PSD_KV_USAGE] = b->v[PS_KV_USAGE];
	out[PSD_PREFIX_HIT_RATE] = ratio(rise(a, b, PS_PREFIX_HITS),
	    rise(a, b, PS_PREFIX_QUERIES), 1);
	out[PSD_QUEUE_MS] = ratio(rise(a, b, PS_QUEUE_SUM), rise(a, b,
	    PS_QUEUE_COUNT), 1e3);
	out[PSD_PREFILL_MS] = ratio(rise(a, b, PS_PREFILL_SUM), rise(a, b,
	    PS_PREFILL_COUNT), 1e3);
	out[PSD_DECODE_MS] = ratio(rise(a, b, PS_DECODE_SUM), rise(a, b,
	    PS_DECODE_COUNT), 1e3);
	out[PSD_TTFT_MS] = ratio(rise(a, b, PS_TTFT_SUM), rise(a, b,
	    PS_TTFT_COUNT), 1e3);
	out[PSD_GEN_TOKENS_PER_S] = dt > 0 ? ratio(rise(a, b, PS_GEN_TOKENS),
	    dt, 1) : NAN;
}

/* One scrape into *s; -1 with e set when it failed. */
static int
scrape(struct ps_scraper *ps, struct ps_sample *s, struct err *e)
{
	struct http_request	 rq;
	struct http_response	 rs = HTTP_RESPONSE_INIT;
	const char		*hdrs[] = { "Accept: text/plain", NULL };
	int			 rc = -1;

	memset(&rq, 0, sizeof rq);
	rq.url = ps->url;
	rq.headers = hdrs;
	if (http_do(&ps->c, &rq, &rs, e) != 0) {
		err_wrap(e, "scraping %s", ps->url);
		goto out;
	}
	s->t = clock_mono_ns();
	if (rs.status != 200) {
		err_set(e, err_code_for_http(rs.status), "scraping %s: HTTP %d",
		    ps->url, rs.status);
		goto out;
	}
	if (ps_parse(rs.body.buf ? rs.body.buf : "", rs.body.len, s) == 0) {
		err_set(e, EXIT_ERR, "scraping %s: no vLLM metric in the "
		    "answer (want vllm:num_requests_running and the like)",
		    ps->url);
		goto out;
	}
	rc = 0;
out:
	http_response_free(&rs);
	return rc;
}

static void
keep(struct ps_scraper *ps, const struct ps_sample *s)
{
	pthread_mutex_lock(&ps->mu);
	if (ps->n == PS_MAX_SAMPLES)
		ps->n--;
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 64;
		ps->s = xrealloc(ps->s, ps->cap * sizeof *ps->s);
	}
	ps->s[ps->n++] = *s;
	pthread_mutex_unlock(&ps->mu);
}

static void
failed(struct ps_scraper *ps, struct err *e)
{
	pthread_mutex_lock(&ps->mu);
	ps->errors++;
	if (ps->first_error == NULL && e->msg != NULL)
		ps->first_error = xstrdup(e->msg);
	pthread_mutex_unlock(&ps->mu);
	err_clear(e);
}

static void *
loop(void *arg)
{
	struct ps_scraper	*ps = arg;
	struct ps_sample	 s;
	struct err		 e = ERR_INIT;
	struct timespec		 next;
	int64_t			 t;

	t = clock_mono_ns();
	for (;;) {
		t += (int64_t)(ps->interval * 1e9);
		next.tv_sec = (time_t)(t / 1000000000);
		next.tv_nsec = (long)(t % 1000000000);
		pthread_mutex_lock(&ps->mu);
		while (!ps->stop && pthread_cond_timedwait(&ps->cv, &ps->mu,
		    &next) != ETIMEDOUT)
			;
		if (ps->stop) {
			pthread_mutex_unlock(&ps->mu);
			break;
		}
		pthread_mutex_unlock(&ps->mu);
		if (scrape(ps, &s, &e) == 0)
			keep(ps, &s);
		else
			failed(ps, &e);
	}
	return NULL;
}

struct ps_scraper *
ps_start(const char *url, const struct http_client *c, double interval,
    struct err *e)
{
	struct ps_scraper	*ps = xcalloc(1, sizeof *ps);
	struct ps_sample	 s;
	pthread_condattr_t	 ca;

	ps->url = xstrdup(url);
	if (c != NULL)
		ps->c = *c;
	if (ps->c.tls.ca_file != NULL)
		ps->c.tls.ca_file = ps->ca_file = xstrdup(ps->c.tls.ca_file);
	/* A scrape is one quick GET: no retries, a short timeout. */
	ps->c.max_attempts = 1;
	if (ps->c.timeout <= 0 || ps->c.timeout > 5)
		ps->c.timeout = 5;
	if (ps->c.connect_timeout <= 0 || ps->c.connect_timeout > 5)
		ps->c.connect_timeout = 5;
	ps->interval = interval > 0 ? interval : 1;
	pthread_mutex_init(&ps->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ps->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (scrape(ps, &s, e) != 0) {
		ps_free(ps);
		return NULL;
	}
	keep(ps, &s);
	if (pthread_create(&ps->th, NULL, loop, ps) != 0) {
		err_set(e, EXIT_ERR, "scraping %s: cannot start a thread: %s",
		    url, strerror(errno));
		ps_free(ps);
		return NULL;
	}
	ps->running = 1;
	return ps;
}

int
ps_latest(struct ps_scraper *ps, struct ps_sample *out)
{
	int	 rc = -1;

	pthread_mutex_lock(&ps->mu);
	if (ps->n > 0) {
		*out = ps->s[ps->n - 1];
		rc = 0;
	}
	pthread_mutex_unlock(&ps->mu);
	return rc;
}

void
ps_stop(struct ps_scraper *ps)
{
	struct ps_sample	 s;
	struct err		 e = ERR_INIT;

	if (ps == NULL || !ps->running)
		return;
	pthread_mutex_lock(&ps->mu);
	ps->stop = 1;
	pthread_cond_signal(&ps->cv);
	pthread_mutex_unlock(&ps->mu);
	pthread_join(ps->th, NULL);
	ps->running = 0;
	if (scrape(ps, &s, &e) == 0)
		keep(ps, &s);
	else
		failed(ps, &e);
}

const struct ps_sample *
ps_samples(const struct ps_scraper *ps, size_t *n)
{
	*n = ps->n;
	return ps->s;
}

size_t
ps_errors(const struct ps_scraper *ps, const char **first)
{
	if (first != NULL)
		*first = ps->first_error;
	return ps->errors;
}

void
ps_free(struct ps_scraper *ps)
{
	if (ps == NULL)
		return;
	if (ps->running)
		ps_stop(ps);
	pthread_mutex_destroy(&ps->mu);
	pthread_cond_destroy(&ps->cv);
	free(ps->s);
	free(ps->first_error);
	free(ps->ca_file);
	free(ps->url);
	free(ps);
}

static cJSON *
raw_json(const struct ps_sample *s)
{
	cJSON	*o = cJSON_CreateObject();
	int	 k;

	for (k = 0; k < PS_NMETRIC; k++)
		if (!isnan(s->v[k]))
			cJSON_AddNumberToObject(o, names[k], s->v[k]);
	return o;
}

cJSON *
ps_report(const struct ps_scraper *ps)
{
	cJSON	*o = cJSON_CreateObject(), *x;
	double	 d[PSD_NDERIVED];
	int	 k;

	cJSON_AddStringToObject(o, "url", ps->url);
	cJSON_AddNumberToObject(o, "interval_s", ps->interval);
	cJSON_AddNumberToObject(o, "scrapes", (double)ps->n);
	cJSON_AddNumberToObject(o, "scrape_errors", (double)ps->errors);
	if (ps->first_error != NULL)
		cJSON_AddStringToObject(o, "first_error", ps->first_error);
	else
		cJSON_AddNullToObject(o, "first_error");
	if (ps->n > 0) {
		cJSON_AddItemToObject(o, "before", raw_json(&ps->s[0]));
		cJSON_AddItemToObject(o, "after", raw_json(&ps->s[ps->n - 1]));
		x = cJSON_AddObjectToObject(o, "run");
		ps_derive(&ps->s[0], &ps->s[ps->n - 1], d);
		for (k = PSD_PREFIX_HIT_RATE; k < PSD_NDERIVED; k++)
			if (isnan(d[k]))
				cJSON_AddNullToObject(x, derived[k].name);
			else
				cJSON_AddNumberToObject(x, derived[k].name,
				    round(d[k] * 1e4) / 1e4);
	}
	x = cJSON_AddObjectToObject(o, "definitions");
	for (k = 0; k < PSD_NDERIVED; k++)
		cJSON_AddStringToObject(x, derived[k].name, derived[k].def);
	cJSON_AddStringToObject(o, "note", "scraped before the run, every "
	    "interval during it (from a thread of its own) and after it; "
	    "values are summed over label sets; timeseries rows carry the "
	    "per-second figures (null where no new scrape fell in the "
	    "second); run: from the scrape before to the one after");
	return o;
}
