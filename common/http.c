/*
 * http.c: http_do(): the retry policy (backoff, Retry-After), the choice
 * of transport (native HTTP/1.1 in h1.c; libcurl in http_curl.c when a
 * proxy applies), streaming bodies, error mapping and -v 6..9 traces of
 * bodies; and the small pure helpers of http.h (escaping, HTTP dates).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "curl_dl.h"
#include "http.h"
#include "http_xfer.h"
#include "term.h"

#define HTTP_TRACE_TRUNC	1024


void
http_global_init(void)
{
}

int
http_idempotent(const char *method)
{
	static const char *m[] = { "GET", "HEAD", "PUT", "DELETE", "OPTIONS",
	    "TRACE", NULL };
	int	 i;

	if (method == NULL)
		return 1;
	for (i = 0; m[i] != NULL; i++) {
		if (strcasecmp(method, m[i]) == 0)
			return 1;
	}
	return 0;
}

int
http_status_retryable(int status)
{
	return status == 429 || status == 502 || status == 503 ||
	    status == 504;
}

/* Parse a non-negative decimal number filling the whole string. */
static int
parse_number(const char *s, double *out)
{
	char	*end;
	double	 d;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || end == s || !isfinite(d) || d < 0)
		return -1;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end != '\0')
		return -1;
	*out = d;
	return 0;
}

double
http_retry_after(const char *ra, const char *ra_ms, long now)
{
	double	 d;
	time_t	 t;
	size_t	 i;

	if (ra_ms != NULL && parse_number(ra_ms, &d) == 0)
		return d / 1000.0;
	if (ra == NULL)
		return -1;
	while (*ra == ' ' || *ra == '\t')
		ra++;
	/* Delay-seconds is digits only; anything else must be a date. */
	for (i = 0; ra[i] >= '0' && ra[i] <= '9'; i++)
		;
	if (i > 0 && (ra[i] == '\0' || ra[i] == ' ' || ra[i] == '\t'))
		return parse_number(ra, &d) == 0 ? d : -1;
	if (strchr(ra, ',') == NULL && strchr(ra, ':') == NULL)
		return -1;
	t = (time_t)http_parse_date(ra);
	if (t == (time_t)-1)
		return -1;
	if ((long)t <= now)
		return 0;
	return (double)((long)t - now);
}

double
http_backoff(int attempt, double base, double cap, double u)
{
	double	 ceiling;

	if (attempt < 1)
		attempt = 1;
	if (attempt > 60)
		attempt = 60;
	ceiling = base * ldexp(1.0, attempt - 1);
	if (ceiling > cap)
		ceiling = cap;
	if (u < 0)
		u = 0;
	if (u >= 1)
		u = 0.999999;
	return ceiling * u;
}

/* A uniform number in [0, 1) for jitter (xorshift64*, seeded once). */
static double
http_uniform(void)
{
	static uint64_t	 s;
	struct timespec	 ts;

	if (s == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
		    ((uint64_t)getpid() << 40) ^ 0x9e3779b97f4a7c15ULL;
	}
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	return (double)((s * 0x2545f4914f6cdd1dULL) >> 11) / 9007199254740992.0;
}

static void
sleep_for(double secs, volatile sig_atomic_t *cancel)
{
	struct timespec	 ts;

	if (secs <= 0)
		return;
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR &&
	    (cancel == NULL || !*cancel))
		;
}

const char *
http_header(const struct http_response *resp, const char *name)
{
	size_t	 i, n = strlen(name);
	const char *h, *v;

	for (i = 0; i < resp->headers.n; i++) {
		h = resp->headers.v[i];
		if (strncasecmp(h, name, n) != 0 || h[n] != ':')
			continue;
		v = h + n + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		return v;
	}
	return NULL;
}

void
http_response_free(struct http_response *resp)
{
	if (resp == NULL)
		return;
	sl_free(&resp->headers);
	sb_free(&resp->body);
	free(resp->fail_reason);
	free(resp->hostport);
	memset(resp, 0, sizeof *resp);
}

char *
http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct strbuf	 sb = STRBUF_INIT;
	unsigned char	 c;

	sb_add(&sb, "", 0);
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			sb_addc(&sb, c);
		} else {
			sb_addc(&sb, '%');
			sb_addc(&sb, hex[c >> 4]);
			sb_addc(&sb, hex[c & 15]);
		}
	}
	return sb_detach(&sb);
}

/* Whether tok names the month at s ("Jan".."Dec"), as 0..11, else -1. */
static int
month_of(const char *s, size_t n)
{
	static const char *m[] = { "jan", "feb", "mar", "apr", "may", "jun",
	    "jul", "aug", "sep", "oct", "nov", "dec" };
	int	 i;

	if (n < 3)
		return -1;
	for (i = 0; i < 12; i++) {
		if (strncasecmp(s, m[i], 3) == 0)
			return i;
	}
	return -1;
}

long
http_parse_date(const char *s)
{
	struct tm	 tm;
	const char	*p = s, *t;
	size_t		 n;
	int		 day = -1, mon = -1, year = -1, hh = -1, mi = -1, ss = -1;
	int		 v;
	time_t		 r;

	while (*p != '\0') {
		while (*p == ' ' || *p == ',' || *p == '-' || *p == '\t')
			p++;
		t = p;
		while (*p != '\0' && *p != ' ' && *p != ',' && *p != '-' &&
		    *p != '\t')
			p++;
		n = (size_t)(p - t);
		if (n == 0)
			break;
		if (n == 8 && t[2] == ':' && t[5] == ':') {
			if (sscanf(t, "%2d:%2d:%2d", &hh, &mi, &ss) != 3)
				return -1;
		} else if (t[0] >= '0' && t[0] <= '9') {
			if (strspn(t, "0123456789") != n || n > 4)
				return -1;
			v = atoi(t);
			if (n <= 2 && day < 0)
				day = v;
			else if (year < 0)
				year = n == 2 ? (v < 70 ? 2000 + v : 1900 + v) :
				    v;
			else
				return -1;
		} else if (month_of(t, n) >= 0 && n == 3 && mon < 0) {
			mon = month_of(t, n);
		} else if (n == 3 && strncasecmp(t, "GMT", 3) == 0) {
			continue;
		} else if (n >= 3) {
			continue;	/* the weekday */
		} else {
			return -1;
		}
	}
	if (day < 1 || day > 31 || mon < 0 || year < 1970 || hh < 0 ||
	    hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 60)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_mday = day;
	tm.tm_mon = mon;
	tm.tm_year = year - 1900;
	tm.tm_hour = hh;
	tm.tm_min = mi;
	tm.tm_sec = ss;
	r = timegm(&tm);
	return r == (time_t)-1 ? -1 : (long)r;
}

/* Trace one chunk of body bytes at -v 8 (truncated) or -v 9 (in full). */
static void
trace_body(const char *dir, const char *buf, size_t len, size_t *traced)
{
	size_t	 n = len;

	if (len == 0 || !term_enabled(TERM_LOG_BODY))
		return;
	if (!term_enabled(TERM_LOG_FULL)) {
		if (*traced >= HTTP_TRACE_TRUNC)
			return;
		if (n > HTTP_TRACE_TRUNC - *traced)
			n = HTTP_TRACE_TRUNC - *traced;
	}
	*traced += n;
	while (n == len && n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--, len--;
	term_log(TERM_LOG_BODY, "%s %.*s%s", dir, (int)n, buf,
	    n < len ? " ... (truncated, -v 9 shows all)" : "");
}

/* Streamed bodies are traced a line at a time so redaction sees whole lines. */
static void
trace_stream(struct http_xfer *x, const char *buf, size_t len)
{
	size_t	 i, start = 0;

	if (!term_enabled(TERM_LOG_BODY))
		return;
	for (i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		sb_add(&x->traceline, buf + start, i - start);
		trace_body("<", x->traceline.buf, x->traceline.len, &x->traced);
		sb_reset(&x->traceline);
		start = i + 1;
	}
	sb_add(&x->traceline, buf + start, len - start);
	if (x->traceline.len > 64 * 1024) {
		trace_body("<", x->traceline.buf, x->traceline.len, &x->traced);
		sb_reset(&x->traceline);
	}
}

void
http_xfer_header(struct http_xfer *x, const char *line, size_t len)
{
	sl_take(&x->resp->headers, xstrndup(line, len));
}

void
http_xfer_reset_headers(struct http_xfer *x)
{
	sl_free(&x->resp->headers);
}

int
http_xfer_body(struct http_xfer *x, int status, const char *buf, size_t len)
{
	if (!x->decided) {
		x->streaming = x->req->stream != NULL && status >= 200 &&
		    status < 300;
		x->decided = 1;
	}
	if (!x->streaming) {
		sb_add(&x->resp->body, buf, len);
		return 0;
	}
	trace_stream(x, buf, len);
	x->delivered += len;
	if (x->req->stream(buf, len, x->req->stream_arg) != 0) {
		x->stopped = 1;
		return 1;
	}
	return 0;
}

void
http_xfer_fail(struct http_xfer *x, enum http_fail kind, const char *fmt,
    ...)
{
	va_list	 ap;

	free(x->reason);
	va_start(ap, fmt);
	x->reason = xvasprintf(fmt, ap);
	va_end(ap);
	x->fail = kind;
}

/* Whether host matches a NO_PROXY list the way libcurl reads it (names
 * and domain suffixes, exact addresses, "*"); CIDR entries never match
 * here, which leaves such hosts to libcurl, which knows them. */
static int
no_proxy_match(const char *list, const char *host)
{
	const char	*p = list, *t;
	size_t		 hl = strlen(host), tl;

	if (list == NULL)
		return 0;
	if (strcmp(list, "*") == 0)
		return 1;
	while (hl > 0 && host[hl - 1] == '.')
		hl--;
	while (*p != '\0') {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		t = p;
		while (*p != '\0' && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		tl = (size_t)(p - t);
		if (tl > 0 && *t == '.') {
			t++;
			tl--;
		}
		while (tl > 0 && t[tl - 1] == '.')
			tl--;
		if (tl == 0 || memchr(t, '/', tl) != NULL)
			continue;
		if (tl == hl && strncasecmp(t, host, hl) == 0)
			return 1;
		if (hl > tl && host[hl - tl - 1] == '.' &&
		    strncasecmp(t, host + hl - tl, tl) == 0)
			return 1;
	}
	return 0;
}

static const char *
env(const char *name)
{
	const char	*v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

int
http_uses_proxy(const struct http_client *cl, const char *url)
{
	struct http_url	 u;
	const char	*why, *p, *np;
	int		 r;

	if (cl != NULL && cl->proxy != NULL && *cl->proxy != '\0')
		return 1;
	if (http_url_parse(url, &u, &why) != 0)
		return 0;
	if (u.tls)
		p = env("https_proxy") ? env("https_proxy") :
		    env("HTTPS_PROXY");
	else
		p = env("http_proxy");
	if (p == NULL)
		p = env("all_proxy") ? env("all_proxy") : env("ALL_PROXY");
	np = env("no_proxy") ? env("no_proxy") : env("NO_PROXY");
	r = p != NULL && !no_proxy_match(np, u.host);
	http_url_free(&u);
	return r;
}

/* Turn a transport failure into the caller's error. */
static void
fail_error(const struct http_request *req, const char *method,
    const struct http_response *resp, const struct http_client *cl,
    struct err *e)
{
	const char	*why = resp->fail_reason ? resp->fail_reason : "unknown";
	char		*url = term_redact(req->url);	/* errors carry no secrets */

	switch (resp->fail) {
	case HTTP_FAIL_REFUSED:
		err_set(e, EXIT_UNREACHABLE,
		    "cannot connect to %s: connection refused (%s %s)",
		    resp->hostport, method, url);
		err_hint(e, "is the server running, and are the host and "
		    "port right?");
		break;
	case HTTP_FAIL_DNS:
		err_set(e, EXIT_UNREACHABLE, "cannot resolve the host of %s: "
		    "%s", url, why);
		break;
	case HTTP_FAIL_TLS:
		err_set(e, EXIT_UNREACHABLE, "TLS connection to %s failed: %s",
		    url, why);
		if (strstr(why, "certificate") != NULL && !cl->tls.insecure)
			err_hint(e, "pass the server's CA with --ca-file, or "
			    "--insecure to skip verification (unsafe)");
		break;
	case HTTP_FAIL_TIMEOUT:
		err_set(e, EXIT_TIMEOUT, "%s %s timed out: %s", method,
		    url, why);
		break;
	default:
		err_set(e, EXIT_UNREACHABLE, "%s %s failed: %s", method,
		    url, why);
		/*
		 * With TLS 1.3 a server that rejects (or misses) the client
		 * certificate closes the connection after the handshake, so
		 * libcurl only sees a failed send or receive.
		 */
		if (strncasecmp(url, "https:", 6) == 0 &&
		    resp->status == 0)
			err_hint(e, "the server closed the TLS connection; if it "
			    "requires a client certificate, check that one is "
			    "given (--cert/--key) and signed by a CA it trusts");
		break;
	}
	free(url);
}

/* Pick the configured value or its default. */
static double
dflt(double v, double d)
{
	return v > 0 ? v : d;
}

int
http_do(const struct http_client *cl, const struct http_request *req,
    struct http_response *resp, struct err *e)
{
	static const struct http_client defaults;
	const char	*method = req->method ? req->method : "GET";
	const char	*why;
	char		*ua = NULL, *red;
	struct http_url	 url;
	struct http_xfer x;
	double		 start, t0, waited = 0, delay, max_wait, ra;
	int		 max_attempts, attempt, ret = -1, retry, rc, status;
	int		 use_curl;

	if (cl == NULL)
		cl = &defaults;
	memset(resp, 0, sizeof *resp);
	memset(&x, 0, sizeof x);
	if (http_url_parse(req->url, &url, &why) != 0) {
		red = term_redact(req->url);
		err_set(e, EXIT_USAGE, "invalid URL \"%s\": %s", red, why);
		free(red);
		return -1;
	}
	resp->hostport = xstrdup(url.hostport);
	max_attempts = cl->max_attempts > 0 ? cl->max_attempts : 4;
	max_wait = dflt(cl->max_wait, 30);
	use_curl = url.userinfo || http_uses_proxy(cl, req->url);
	if (use_curl && curl_dl_load(e) != 0)
		goto out;
	ua = cl->user_agent ? xstrdup(cl->user_agent) :
	    xasprintf("maasctl/%s", MAASCTL_VERSION);
	x.cl = cl;
	x.req = req;
	x.method = method;
	x.url = &url;
	x.user_agent = ua;
	x.resp = resp;
	x.connect_timeout = dflt(cl->connect_timeout, 30);

	start = clock_mono_s();
	for (attempt = 1;; attempt++) {
		sl_free(&resp->headers);
		sb_reset(&resp->body);
		free(resp->fail_reason);
		resp->fail_reason = NULL;
		resp->fail = HTTP_FAIL_NONE;
		resp->status = 0;
		x.decided = x.streaming = x.stopped = x.sent = 0;
		x.fail = HTTP_FAIL_NONE;
		free(x.reason);
		x.reason = NULL;
		x.traced = 0;
		sb_reset(&x.traceline);
		resp->attempts = attempt;

		if (req->body != NULL) {
			size_t traced = 0;

			trace_body(">", req->body, req->body_len, &traced);
		}
		t0 = clock_mono_s();
		rc = use_curl ? http_curl_attempt(&x, &status) :
		    h1_attempt(&x, &status);
		resp->status = status;
		sb_add(&resp->body, "", 0);	/* body.buf is never NULL */
		if (x.traceline.len > 0)
			trace_body("<", x.traceline.buf, x.traceline.len,
			    &x.traced);
		if (rc == 0 && !x.streaming)
			trace_body("<", resp->body.buf, resp->body.len,
			    &x.traced);

		if (rc == 0) {
			term_log(TERM_LOG_HTTP, "%s %s %d in %.0f ms (attempt "
			    "%d)", method, req->url, resp->status,
			    (clock_mono_s() - t0) * 1000, attempt);
		} else {
			resp->fail = x.fail != HTTP_FAIL_NONE ? x.fail :
			    HTTP_FAIL_OTHER;
			resp->fail_reason = x.reason ? x.reason :
			    xstrdup("unknown error");
			x.reason = NULL;
			term_log(TERM_LOG_HTTP, "%s %s failed in %.0f ms: %s",
			    method, req->url, (clock_mono_s() - t0) * 1000,
			    resp->fail_reason);
		}

		/* Decide whether to try again, and after how long. */
		retry = 0;
		delay = -1;
		if (attempt >= max_attempts || x.delivered > 0 || x.stopped ||
		    (req->cancel != NULL && *req->cancel))
			retry = 0;
		else if (rc != 0) {
			if (resp->fail == HTTP_FAIL_REFUSED ||
			    resp->fail == HTTP_FAIL_OTHER)
				retry = !x.sent || http_idempotent(method) ||
				    req->retry_safe;
		} else if (http_status_retryable(resp->status)) {
			/*
			 * 429 and 503 say the request was not processed;
			 * 502/504 may come after the upstream got it.
			 */
			retry = resp->status == 429 || resp->status == 503 ||
			    http_idempotent(method) || req->retry_safe;
			ra = http_retry_after(http_header(resp, "Retry-After"),
			    http_header(resp, "retry-after-ms"),
			    (long)time(NULL));
			if (ra >= 0)
				delay = ra;
		}
		if (retry) {
			if (delay < 0)
				delay = http_backoff(attempt,
				    dflt(cl->backoff_base, 0.25),
				    dflt(cl->backoff_cap, 8), http_uniform());
			if (waited + delay > max_wait) {
				term_log(TERM_LOG_HTTP, "not retrying %s %s: "
				    "waiting %.1f s more would exceed the "
				    "%.1f s retry budget", method, req->url,
				    delay, max_wait);
				retry = 0;
			}
		}
		if (!retry)
			break;
		term_log(TERM_LOG_INFO, "retrying %s %s in %.2f s (attempt %d "
		    "of %d)", method, req->url, delay, attempt + 1,
		    max_attempts);
		sleep_for(delay, req->cancel);
		waited += delay;
	}
	resp->elapsed = clock_mono_s() - start;
	if (resp->fail != HTTP_FAIL_NONE) {
		fail_error(req, method, resp, cl, e);
		goto out;
	}
	ret = 0;
out:
	http_curl_done(&x);
	sb_free(&x.traceline);
	free(x.reason);
	http_url_free(&url);
	free(ua);
	return ret;
}
