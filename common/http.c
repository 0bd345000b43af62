/*
 * http.c: requests over libcurl: TLS (CA file or data, client certificate
 * from file or data, insecure, tls-server-name), proxy, timeouts, the
 * retry policy, streaming bodies, error mapping and -v 6..9 traces.
 *
 * tls-server-name: libcurl 7.88 has no option to verify the peer against
 * a name other than the URL's host, so the URL's host is replaced by the
 * server name (which then drives SNI and verification) and CURLOPT_CONNECT_TO
 * sends the connection to the original host and port; the Host header keeps
 * the original authority, as client-go does.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "http.h"
#include "term.h"

#define HTTP_TRACE_TRUNC	1024


/* Per-attempt transfer state shared with the libcurl callbacks. */
struct xfer {
	CURL			*curl;
	const struct http_request *req;
	struct http_response	*resp;
	int			 streaming;	/* 2xx and a stream callback */
	int			 decided;	/* streaming decided for this attempt */
	int			 stopped;	/* stream callback asked to stop */
	size_t			 delivered;	/* bytes given to the callback */
	size_t			 traced;	/* body bytes traced (-v 8) */
	struct strbuf		 traceline;	/* partial streamed line (-v 8+) */
};

/*
 * One share for the process: connections (keep-alive across requests, e.g.
 * the pages of a list), DNS answers and TLS sessions, locked per data kind.
 */
static CURLSH		*http_share;
static pthread_mutex_t	 http_share_locks[CURL_LOCK_DATA_LAST];
static pthread_once_t	 http_once = PTHREAD_ONCE_INIT;

static void
share_lock(CURL *c, curl_lock_data d, curl_lock_access a, void *arg)
{
	(void)c;
	(void)a;
	(void)arg;
	pthread_mutex_lock(&http_share_locks[d]);
}

static void
share_unlock(CURL *c, curl_lock_data d, void *arg)
{
	(void)c;
	(void)arg;
	pthread_mutex_unlock(&http_share_locks[d]);
}

static void
http_init_once(void)
{
	int	 i;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&http_share_locks[i], NULL);
	http_share = curl_share_init();
	if (http_share == NULL)
		return;
	curl_share_setopt(http_share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(http_share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(http_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(http_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(http_share, CURLSHOPT_SHARE,
	    CURL_LOCK_DATA_SSL_SESSION);
}

void
http_global_init(void)
{
	pthread_once(&http_once, http_init_once);
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
	t = curl_getdate(ra, NULL);
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

static double
now_mono(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
	char	*e, *r;

	e = curl_easy_escape(NULL, s, (int)strlen(s));
	if (e == NULL)
		return xstrdup("");
	r = xstrdup(e);
	curl_free(e);
	return r;
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
trace_stream(struct xfer *x, const char *buf, size_t len)
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

static size_t
on_header(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer	*x = arg;
	size_t		 len = size * n, l = len;

	while (l > 0 && (buf[l - 1] == '\n' || buf[l - 1] == '\r'))
		l--;
	if (l >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
		/* A new response (after 100 Continue or a proxy CONNECT). */
		sl_free(&x->resp->headers);
		return len;
	}
	if (l > 0 && memchr(buf, ':', l) != NULL)
		sl_take(&x->resp->headers, xstrndup(buf, l));
	return len;
}

static size_t
on_write(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer	*x = arg;
	size_t		 len = size * n;
	long		 code = 0;

	if (!x->decided) {
		curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &code);
		x->streaming = x->req->stream != NULL && code >= 200 &&
		    code < 300;
		x->decided = 1;
	}
	if (!x->streaming) {
		sb_add(&x->resp->body, buf, len);
		return len;
	}
	trace_stream(x, buf, len);
	x->delivered += len;
	if (x->req->stream(buf, len, x->req->stream_arg) != 0) {
		x->stopped = 1;
		return 0;
	}
	return len;
}

/* Progress hook: stop the transfer once the caller's cancel flag is set. */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer	*x = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (*x->req->cancel) {
		x->stopped = 1;
		return 1;
	}
	return 0;
}

static int
on_debug(CURL *curl, curl_infotype type, char *data, size_t size, void *arg)
{
	size_t	 i, start = 0, l;
	const char *dir;

	(void)curl;
	(void)arg;
	switch (type) {
	case CURLINFO_HEADER_OUT:
		dir = ">";
		break;
	case CURLINFO_HEADER_IN:
		dir = "<";
		break;
	case CURLINFO_TEXT:
		if (!term_enabled(TERM_LOG_FULL))
			return 0;
		dir = "*";
		break;
	default:
		return 0;
	}
	for (i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		l = i - start;
		while (l > 0 && (data[start + l - 1] == '\r' ||
		    data[start + l - 1] == '\n'))
			l--;
		if (l > 0)
			term_log(TERM_LOG_HEADERS, "%s %.*s", dir, (int)l,
			    data + start);
		start = i + 1;
	}
	return 0;
}

/* Split a URL into what the request needs: host:port and, for a
 * tls-server-name, the rewritten URL, CONNECT_TO entry and Host header. */
static int
url_prepare(const char *url, const char *server_name, char **hostport,
    char **newurl, char **connect_to, char **host_hdr, struct err *e)
{
	CURLU		*u;
	CURLUcode	 rc;
	char		*host = NULL, *port = NULL, *eport = NULL, *out = NULL;
	char		*red = NULL;
	int		 ret = -1;

	*hostport = *newurl = *connect_to = *host_hdr = NULL;
	u = curl_url();
	if (u == NULL)
		abort();
	rc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (rc != CURLUE_OK) {
		red = term_redact(url);
		err_set(e, EXIT_USAGE, "invalid URL \"%s\": %s", red,
		    curl_url_strerror(rc));
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK) {
		red = term_redact(url);
		err_set(e, EXIT_USAGE, "invalid URL \"%s\": no host or port",
		    red);
		goto out;
	}
	*hostport = xasprintf("%s:%s", host, port);
	if (server_name != NULL && *server_name != '\0') {
		if (curl_url_get(u, CURLUPART_PORT, &eport, 0) != CURLUE_OK)
			eport = NULL;
		*host_hdr = eport != NULL ?
		    xasprintf("Host: %s:%s", host, eport) :
		    xasprintf("Host: %s", host);
		if (curl_url_set(u, CURLUPART_HOST, server_name, 0) !=
		    CURLUE_OK ||
		    curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK) {
			err_set(e, EXIT_USAGE, "invalid tls-server-name \"%s\"",
			    server_name);
			goto out;
		}
		*newurl = xstrdup(out);
		*connect_to = xasprintf("%s:%s:%s:%s", server_name, port,
		    host, port);
	}
	ret = 0;
out:
	curl_free(host);
	curl_free(port);
	curl_free(eport);
	curl_free(out);
	curl_url_cleanup(u);
	free(red);
	if (ret != 0) {
		free(*hostport);
		free(*newurl);
		free(*connect_to);
		free(*host_hdr);
		*hostport = *newurl = *connect_to = *host_hdr = NULL;
	}
	return ret;
}

static int
has_header(const char **hdrs, const char *name)
{
	size_t	 n = strlen(name);

	for (; hdrs != NULL && *hdrs != NULL; hdrs++) {
		if (strncasecmp(*hdrs, name, n) == 0 && (*hdrs)[n] == ':')
			return 1;
	}
	return 0;
}

static void
set_blob(CURL *c, CURLoption opt, const char *data, size_t len)
{
	struct curl_blob b;

	b.data = (void *)(uintptr_t)data;
	b.len = len ? len : strlen(data);
	b.flags = CURL_BLOB_COPY;
	curl_easy_setopt(c, opt, &b);
}

static enum http_fail
classify(CURLcode rc, long oserr)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return oserr == ECONNREFUSED ? HTTP_FAIL_REFUSED :
		    HTTP_FAIL_OTHER;
	case CURLE_COULDNT_RESOLVE_HOST:
		return HTTP_FAIL_DNS;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_FAIL_TIMEOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_USE_SSL_FAILED:
		return HTTP_FAIL_TLS;
	default:
		return HTTP_FAIL_OTHER;
	}
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
	struct curl_slist *hl = NULL, *ct = NULL;
	char		 errbuf[CURL_ERROR_SIZE];
	char		*hostport = NULL, *newurl = NULL, *connect_to = NULL;
	char		*host_hdr = NULL, *ua = NULL;
	struct xfer	 x;
	CURL		*c = NULL;
	CURLcode	 rc;
	double		 start, t0, waited = 0, delay, max_wait, ra;
	int		 max_attempts, attempt, ret = -1, sent, retry;
	long		 code, oserr;
	long		 reqsize;
	const char	**h;

	if (cl == NULL)
		cl = &defaults;
	http_global_init();
	memset(resp, 0, sizeof *resp);
	memset(&x, 0, sizeof x);
	if (url_prepare(req->url, cl->tls.server_name, &hostport, &newurl,
	    &connect_to, &host_hdr, e) != 0)
		return -1;
	resp->hostport = hostport;
	max_attempts = cl->max_attempts > 0 ? cl->max_attempts : 4;
	max_wait = dflt(cl->max_wait, 30);

	c = curl_easy_init();
	if (c == NULL) {
		err_set(e, EXIT_ERR, "cannot initialise libcurl");
		goto out;
	}
	if (http_share != NULL)
		curl_easy_setopt(c, CURLOPT_SHARE, http_share);
	curl_easy_setopt(c, CURLOPT_URL, newurl ? newurl : req->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	ua = cl->user_agent ? xstrdup(cl->user_agent) :
	    xasprintf("maasctl/%s", MAASCTL_VERSION);
	curl_easy_setopt(c, CURLOPT_USERAGENT, ua);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(dflt(cl->connect_timeout, 30) * 1000));
	if (cl->timeout > 0)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
		    (long)(cl->timeout * 1000));
	if (connect_to != NULL) {
		ct = curl_slist_append(NULL, connect_to);
		curl_easy_setopt(c, CURLOPT_CONNECT_TO, ct);
	}
	if (cl->proxy != NULL && *cl->proxy != '\0')
		curl_easy_setopt(c, CURLOPT_PROXY, cl->proxy);

	/* Method and body. */
	if (strcasecmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (strcasecmp(method, "GET") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (req->body != NULL || strcasecmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(req->body ? req->body_len : 0));
		curl_easy_setopt(c, CURLOPT_POSTFIELDS,
		    req->body ? req->body : "");
		if (strcasecmp(method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}

	/* Headers. */
	for (h = req->headers; h != NULL && *h != NULL; h++)
		hl = curl_slist_append(hl, *h);
	if (host_hdr != NULL && !has_header(req->headers, "Host"))
		hl = curl_slist_append(hl, host_hdr);
	if (!has_header(req->headers, "Expect"))
		hl = curl_slist_append(hl, "Expect:");
	if (req->body != NULL && !has_header(req->headers, "Content-Type"))
		hl = curl_slist_append(hl, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);

	/* TLS. */
	if (cl->tls.ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, cl->tls.ca_file);
	if (cl->tls.ca_data != NULL)
		set_blob(c, CURLOPT_CAINFO_BLOB, cl->tls.ca_data,
		    cl->tls.ca_data_len);
	if (cl->tls.cert_file != NULL)
		curl_easy_setopt(c, CURLOPT_SSLCERT, cl->tls.cert_file);
	if (cl->tls.cert_data != NULL)
		set_blob(c, CURLOPT_SSLCERT_BLOB, cl->tls.cert_data,
		    cl->tls.cert_data_len);
	if (cl->tls.cert_file != NULL || cl->tls.cert_data != NULL)
		curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
	if (cl->tls.key_file != NULL)
		curl_easy_setopt(c, CURLOPT_SSLKEY, cl->tls.key_file);
	if (cl->tls.key_data != NULL)
		set_blob(c, CURLOPT_SSLKEY_BLOB, cl->tls.key_data,
		    cl->tls.key_data_len);
	if (cl->tls.key_file != NULL || cl->tls.key_data != NULL)
		curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
	if (cl->tls.insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}

	x.curl = c;
	x.req = req;
	x.resp = resp;
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	if (req->cancel != NULL) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	if (term_enabled(TERM_LOG_HEADERS)) {
		curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
		curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	}

	start = now_mono();
	for (attempt = 1;; attempt++) {
		sl_free(&resp->headers);
		sb_reset(&resp->body);
		free(resp->fail_reason);
		resp->fail_reason = NULL;
		resp->fail = HTTP_FAIL_NONE;
		resp->status = 0;
		x.decided = x.streaming = x.stopped = 0;
		x.traced = 0;
		sb_reset(&x.traceline);
		errbuf[0] = '\0';
		resp->attempts = attempt;

		if (req->body != NULL) {
			size_t traced = 0;

			trace_body(">", req->body, req->body_len, &traced);
		}
		t0 = now_mono();
		rc = curl_easy_perform(c);
		code = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		resp->status = (int)code;
		sb_add(&resp->body, "", 0);	/* body.buf is never NULL */
		if (x.traceline.len > 0)
			trace_body("<", x.traceline.buf, x.traceline.len,
			    &x.traced);
		if ((rc == CURLE_WRITE_ERROR ||
		    rc == CURLE_ABORTED_BY_CALLBACK) && x.stopped)
			rc = CURLE_OK;
		if (rc == CURLE_OK && !x.streaming)
			trace_body("<", resp->body.buf, resp->body.len,
			    &x.traced);

		if (rc == CURLE_OK) {
			term_log(TERM_LOG_HTTP, "%s %s %d in %.0f ms (attempt "
			    "%d)", method, req->url, resp->status,
			    (now_mono() - t0) * 1000, attempt);
		} else {
			oserr = 0;
			curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &oserr);
			resp->fail = classify(rc, oserr);
			resp->fail_reason = xstrdup(errbuf[0] ? errbuf :
			    curl_easy_strerror(rc));
			term_log(TERM_LOG_HTTP, "%s %s failed in %.0f ms: %s",
			    method, req->url, (now_mono() - t0) * 1000,
			    resp->fail_reason);
		}

		/* Decide whether to try again, and after how long. */
		retry = 0;
		delay = -1;
		if (attempt >= max_attempts || x.delivered > 0 || x.stopped ||
		    (req->cancel != NULL && *req->cancel))
			retry = 0;
		else if (rc != CURLE_OK) {
			reqsize = 0;
			curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &reqsize);
			sent = reqsize > 0;
			if (resp->fail == HTTP_FAIL_REFUSED ||
			    resp->fail == HTTP_FAIL_OTHER)
				retry = !sent || http_idempotent(method) ||
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
	resp->elapsed = now_mono() - start;
	if (resp->fail != HTTP_FAIL_NONE) {
		fail_error(req, method, resp, cl, e);
		goto out;
	}
	ret = 0;
out:
	if (c != NULL)
		curl_easy_cleanup(c);
	curl_slist_free_all(hl);
	curl_slist_free_all(ct);
	sb_free(&x.traceline);
	free(newurl);
	free(connect_to);
	free(host_hdr);
	free(ua);
	return ret;
}
