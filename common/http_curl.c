/*
 * http_curl.c: the libcurl transport behind http_do(), used only where
 * the native one (h1.c) does not go: through a proxy (--proxy or the
 * proxy environment variables) or to a URL with user:password@.  TLS (CA
 * file or data, client certificate from file or data, insecure,
 * tls-server-name), timeouts, streaming and -v 7..9 traces; the retry
 * policy and error text stay in http.c.  libcurl itself is loaded on
 * first use (curl_dl.c).
 *
 * tls-server-name: libcurl 7.88 has no option to verify the peer against
 * a name other than the URL's host, so the URL's host is replaced by the
 * server name (which then drives SNI and verification) and CURLOPT_CONNECT_TO
 * sends the connection to the original host and port; the Host header keeps
 * the original authority, as client-go does.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "http_xfer.h"
#include "term.h"

/* The libcurl side of one http_do() call. */
struct curl_state {
	CURL		*c;
	struct curl_slist *hl;		/* request headers */
	struct curl_slist *ct;		/* CONNECT_TO entry */
	char		*newurl;	/* URL with the tls-server-name */
	char		*connect_to;
	char		*host_hdr;
	char		 errbuf[CURL_ERROR_SIZE];
};

/*
 * One share for the process: connections (keep-alive across requests),
 * DNS answers and TLS sessions, locked per data kind.
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

static size_t
on_header(char *buf, size_t size, size_t n, void *arg)
{
	struct http_xfer *x = arg;
	size_t		 len = size * n, l = len;

	while (l > 0 && (buf[l - 1] == '\n' || buf[l - 1] == '\r'))
		l--;
	if (l >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
		/* A new response (after 100 Continue or a proxy CONNECT). */
		http_xfer_reset_headers(x);
		return len;
	}
	if (l > 0 && memchr(buf, ':', l) != NULL)
		http_xfer_header(x, buf, l);
	return len;
}

static size_t
on_write(char *buf, size_t size, size_t n, void *arg)
{
	struct http_xfer *x = arg;
	struct curl_state *cs = x->curl;
	size_t		 len = size * n;
	long		 code = 0;

	curl_easy_getinfo(cs->c, CURLINFO_RESPONSE_CODE, &code);
	return http_xfer_body(x, (int)code, buf, len) != 0 ? 0 : len;
}

/* Progress hook: stop the transfer once the caller's cancel flag is set. */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct http_xfer *x = arg;

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
	size_t		 i, start = 0, l;
	const char	*dir;

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

/* For a tls-server-name: the rewritten URL, CONNECT_TO entry and Host. */
static int
server_name_prepare(struct http_xfer *x, struct curl_state *cs)
{
	const char	*sn = x->cl->tls.server_name;
	CURLU		*u;
	char		*out = NULL;
	char		 port[8];
	int		 ret = -1;

	if (sn == NULL || *sn == '\0')
		return 0;
	u = curl_url();
	if (u == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, x->req->url, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_HOST, sn, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK) {
		snprintf(port, sizeof port, "%d", x->url->port);
		cs->newurl = xstrdup(out);
		cs->connect_to = xasprintf("%s:%s:%s:%s", sn, port,
		    x->url->host, port);
		cs->host_hdr = xasprintf("Host: %s", x->url->authority);
		ret = 0;
	} else {
		http_xfer_fail(x, HTTP_FAIL_OTHER, "invalid tls-server-name "
		    "\"%s\"", sn);
	}
	curl_free(out);
	curl_url_cleanup(u);
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

/* The easy handle for this transfer, set up once. */
static int
setup(struct http_xfer *x, struct curl_state *cs)
{
	const struct http_client *cl = x->cl;
	const struct http_request *req = x->req;
	const char	*method = x->method, **h;
	CURL		*c;

	pthread_once(&http_once, http_init_once);
	if (server_name_prepare(x, cs) != 0)
		return -1;
	c = cs->c = curl_easy_init();
	if (c == NULL) {
		http_xfer_fail(x, HTTP_FAIL_OTHER, "cannot initialise libcurl");
		return -1;
	}
	if (http_share != NULL)
		curl_easy_setopt(c, CURLOPT_SHARE, http_share);
	curl_easy_setopt(c, CURLOPT_URL, cs->newurl ? cs->newurl : req->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cs->errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, x->user_agent);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(x->connect_timeout * 1000));
	if (cl->timeout > 0)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
		    (long)(cl->timeout * 1000));
	if (cs->connect_to != NULL) {
		cs->ct = curl_slist_append(NULL, cs->connect_to);
		curl_easy_setopt(c, CURLOPT_CONNECT_TO, cs->ct);
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
		cs->hl = curl_slist_append(cs->hl, *h);
	if (cs->host_hdr != NULL && !has_header(req->headers, "Host"))
		cs->hl = curl_slist_append(cs->hl, cs->host_hdr);
	if (!has_header(req->headers, "Expect"))
		cs->hl = curl_slist_append(cs->hl, "Expect:");
	if (req->body != NULL && !has_header(req->headers, "Content-Type"))
		cs->hl = curl_slist_append(cs->hl,
		    "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, cs->hl);

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

	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	if (req->cancel != NULL) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	if (term_enabled(TERM_LOG_HEADERS)) {
		curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
		curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	}
	return 0;
}

int
http_curl_attempt(struct http_xfer *x, int *status)
{
	struct curl_state *cs = x->curl;
	CURLcode	 rc;
	long		 code = 0, oserr = 0, reqsize = 0;

	*status = 0;
	if (cs == NULL) {
		cs = x->curl = xcalloc(1, sizeof *cs);
		if (setup(x, cs) != 0)
			return -1;
	}
	cs->errbuf[0] = '\0';
	rc = curl_easy_perform(cs->c);
	curl_easy_getinfo(cs->c, CURLINFO_RESPONSE_CODE, &code);
	*status = (int)code;
	if ((rc == CURLE_WRITE_ERROR || rc == CURLE_ABORTED_BY_CALLBACK) &&
	    x->stopped)
		rc = CURLE_OK;
	if (rc == CURLE_OK)
		return 0;
	curl_easy_getinfo(cs->c, CURLINFO_OS_ERRNO, &oserr);
	curl_easy_getinfo(cs->c, CURLINFO_REQUEST_SIZE, &reqsize);
	x->sent = reqsize > 0;
	http_xfer_fail(x, classify(rc, oserr), "%s", cs->errbuf[0] ?
	    cs->errbuf : curl_easy_strerror(rc));
	return -1;
}

void
http_curl_done(struct http_xfer *x)
{
	struct curl_state *cs = x->curl;

	if (cs == NULL)
		return;
	if (cs->c != NULL)
		curl_easy_cleanup(cs->c);
	curl_slist_free_all(cs->hl);
	curl_slist_free_all(cs->ct);
	free(cs->newurl);
	free(cs->connect_to);
	free(cs->host_hdr);
	free(cs);
	x->curl = NULL;
}
