/*
 * http.h: HTTP(S) requests for the Kubernetes client, the maas-api
 * client, chat and bench.
 *
 * Transport: requests go over maasctl's own HTTP/1.1 client (h1.c: plain
 * sockets and OpenSSL, keep-alive reuse of a connection per host, port and
 * TLS settings within the process).  libcurl (loaded with dlopen on first
 * use, so commands that never need it never map it) carries a request
 * only when (a) a proxy applies: client.proxy is set, or the variable
 * libcurl would read for the URL's scheme is set and not empty --
 * http_proxy (lower case only) for http://, https_proxy or HTTPS_PROXY for
 * https://, else all_proxy or ALL_PROXY -- and NO_PROXY/no_proxy does not
 * exclude the host ("*", the host name, a domain suffix with or without a
 * leading dot, or the exact address; a CIDR entry leaves the decision to
 * libcurl); or (b) the URL carries user:password@ (the native client does
 * not send URL credentials).
 *
 * A request names a method, URL, headers and body; the client settings
 * (struct http_client) carry TLS material, proxy, timeouts and the retry
 * policy.  http_do() returns 0 whenever an HTTP response arrived, whatever
 * its status (the caller translates 4xx/5xx, see err_code_for_http), and
 * -1 with an error for transport failures (refused, DNS, TLS, timeout).
 * Retries (up to max_attempts, waiting at most max_wait in all): capped
 * exponential backoff with full jitter, or what Retry-After/retry-after-ms
 * ask for.  Retried: connection failures before the request was sent (any
 * method); connection failures after it was sent, and 502/504, only for
 * GET/HEAD/PUT/DELETE/OPTIONS or a request marked retry_safe, so a POST or
 * PATCH the server may have received is never resent blindly; 429 and 503
 * for every method, since they say the request was not processed.  DNS,
 * TLS and timeout failures are not retried.
 * Traces go through term_log at -v 6..9, always redacted.
 */
#ifndef MAAS_HTTP_H
#define MAAS_HTTP_H

#include <signal.h>
#include <stddef.h>

#include "err.h"
#include "xalloc.h"

/* TLS material and verification settings. */
struct http_tls {
	const char	*ca_file;	/* PEM bundle file, or NULL */
	const char	*ca_data;	/* PEM bundle in memory, or NULL */
	size_t		 ca_data_len;	/* 0: strlen(ca_data) */
	const char	*cert_file;	/* client certificate (PEM) file */
	const char	*key_file;	/* client key (PEM) file */
	const char	*cert_data;	/* client certificate PEM in memory */
	size_t		 cert_data_len;	/* 0: strlen(cert_data) */
	const char	*key_data;	/* client key PEM in memory (secret) */
	size_t		 key_data_len;	/* 0: strlen(key_data) */
	int		 insecure;	/* skip server certificate checks */
	const char	*server_name;	/* verify (and SNI) against this name */
};

/* Client-wide settings shared by every request made with it. */
struct http_client {
	struct http_tls	 tls;		/* TLS settings */
	const char	*proxy;		/* proxy URL; NULL: HTTPS_PROXY etc. */
	const char	*user_agent;	/* NULL: "maasctl/<version>" */
	double		 connect_timeout; /* seconds; 0: 30 */
	double		 timeout;	/* seconds per attempt; 0: none */
	int		 max_attempts;	/* 0: 4; 1 disables retries */
	double		 max_wait;	/* total backoff seconds; 0: 30 */
	double		 backoff_base;	/* first backoff ceiling; 0: 0.25 s */
	double		 backoff_cap;	/* backoff ceiling; 0: 8 s */
};

/*
 * Streaming: called with body bytes of a 2xx response as they arrive.
 * Return 0 to continue, non-zero to stop the transfer (not an error).
 */
typedef int (*http_stream_fn)(const char *buf, size_t len, void *arg);

/* One request. */
struct http_request {
	const char	*method;	/* "GET" when NULL */
	const char	*url;		/* absolute http:// or https:// URL */
	const char	**headers;	/* "Name: value" strings, NULL-ended */
	const char	*body;		/* request body or NULL */
	size_t		 body_len;	/* bytes of body */
	int		 retry_safe;	/* POST/PATCH that may be resent */
	http_stream_fn	 stream;	/* streaming callback, or NULL */
	void		*stream_arg;	/* passed to stream */
	volatile sig_atomic_t *cancel;	/* non-zero stops the transfer soon
					 * (a signal handler sets it); the
					 * exchange then ends as if stopped by
					 * the stream callback, never retried */
};

/* How a transport failure happened (HTTP_FAIL_NONE with a response). */
enum http_fail {
	HTTP_FAIL_NONE = 0,
	HTTP_FAIL_REFUSED,		/* connection refused */
	HTTP_FAIL_DNS,			/* host name did not resolve */
	HTTP_FAIL_TLS,			/* TLS handshake or verification */
	HTTP_FAIL_TIMEOUT,		/* connect or total timeout */
	HTTP_FAIL_OTHER			/* reset, empty reply, proxy, ... */
};

/* The response (the last attempt's). */
struct http_response {
	int		 status;	/* HTTP status, 0 on transport failure */
	struct strlist	 headers;	/* "Name: value", in arrival order */
	struct strbuf	 body;		/* body (non-2xx only when streaming) */
	int		 attempts;	/* attempts made */
	double		 elapsed;	/* seconds, all attempts */
	enum http_fail	 fail;		/* transport failure kind */
	char		*fail_reason;	/* its text (libcurl's wording), or NULL */
	char		*hostport;	/* "host:port" of the URL */
};
#define HTTP_RESPONSE_INIT { 0, STRLIST_INIT, STRBUF_INIT, 0, 0, 0, NULL, NULL }

/* Kept for callers; the transports initialise themselves on first use. */
void	 http_global_init(void);
/* Whether a request to url with this client goes through a proxy (and so
 * over libcurl), by the rule above. */
int	 http_uses_proxy(const struct http_client *, const char *url);
/* An HTTP date (IMF-fixdate, RFC 850 or asctime form) as seconds since
 * the epoch, or -1 when malformed. */
long	 http_parse_date(const char *);
/* Perform a request with retries; 0 when a response arrived, else -1. */
int	 http_do(const struct http_client *, const struct http_request *,
	    struct http_response *, struct err *);
/* A response header's value (case-insensitive name), or NULL. */
const char *http_header(const struct http_response *, const char *name);
/* Free a response's contents (the struct itself is the caller's). */
void	 http_response_free(struct http_response *);
/* Whether a method may be resent (GET, HEAD, PUT, DELETE, OPTIONS). */
int	 http_idempotent(const char *method);
/* Whether a status is retried (429, 502, 503, 504). */
int	 http_status_retryable(int status);
/*
 * Delay (seconds) the server asks for: retry-after-ms, else Retry-After as
 * seconds or an HTTP date (relative to now); -1 when absent or malformed.
 */
double	 http_retry_after(const char *retry_after, const char *retry_after_ms,
	    long now);
/*
 * Full-jitter backoff for retry number attempt (1 = first retry): a value
 * in [0, min(cap, base * 2^(attempt-1))], u a uniform number in [0, 1).
 */
double	 http_backoff(int attempt, double base, double cap, double u);
/* Percent-encode a string for use in a URL query or path. Caller frees. */
char	*http_escape(const char *);

#endif
