/*
 * http_xfer.h: the interface between http.c (retry policy, streaming
 * decision, body traces, error text) and its two transports: the native
 * HTTP/1.1 client (h1.c) and libcurl (http_curl.c).  Internal to
 * common/http*.c and h1.c; callers use http.h.
 *
 * One struct http_xfer lives for one http_do() call; a transport performs
 * one attempt at a time on it and reports a transport failure in fail,
 * reason and sent.
 */
#ifndef MAAS_HTTP_XFER_H
#define MAAS_HTTP_XFER_H

#include "http.h"

/* A parsed absolute http:// or https:// URL. */
struct http_url {
	int		 tls;		/* https */
	char		*host;		/* host name or address, no brackets */
	int		 port;		/* explicit or the scheme's default */
	int		 userinfo;	/* the URL carries user:password@ */
	char		*hostport;	/* "host:port" ("[v6]:port") */
	char		*authority;	/* Host header value: host[:port],
					 * the port only when not the default */
	char		*target;	/* path and query ("/" at least) */
};

/* State of one http_do() call shared with the transports. */
struct http_xfer {
	const struct http_client *cl;	/* client settings */
	const struct http_request *req;	/* the request */
	const char	*method;	/* req->method or "GET" */
	const struct http_url *url;	/* req->url, parsed */
	const char	*user_agent;	/* User-Agent to send */
	struct http_response *resp;	/* headers and body land here */
	double		 connect_timeout; /* seconds */
	int		 streaming;	/* 2xx and a stream callback */
	int		 decided;	/* streaming decided for this attempt */
	int		 stopped;	/* stream callback or cancel stopped it */
	size_t		 delivered;	/* bytes given to the stream callback */
	size_t		 traced;	/* body bytes traced (-v 8) */
	struct strbuf	 traceline;	/* partial streamed line (-v 8+) */
	/* Set by the transport for each attempt. */
	int		 sent;		/* request bytes went out */
	enum http_fail	 fail;		/* failure kind, HTTP_FAIL_NONE */
	char		*reason;	/* failure text (allocated) */
	void		*curl;		/* libcurl transport's state */
};

/* Parse an absolute URL; -1 with a libcurl-style reason when malformed. */
int	 http_url_parse(const char *, struct http_url *, const char **why);
/* Free a parsed URL's strings. */
void	 http_url_free(struct http_url *);

/* A response header line arrived (CR/LF trimmed); a new response
 * (after 1xx or a proxy's CONNECT answer) starts with http_xfer_reset. */
void	 http_xfer_header(struct http_xfer *, const char *line, size_t len);
/* Forget the headers of an interim response. */
void	 http_xfer_reset_headers(struct http_xfer *);
/* Body bytes of a response with this status; non-zero: stop the transfer. */
int	 http_xfer_body(struct http_xfer *, int status, const char *buf,
	    size_t len);
/* Record a transport failure of this attempt (printf-style reason). */
void	 http_xfer_fail(struct http_xfer *, enum http_fail, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));

/* Native HTTP/1.1: one attempt; 0 when a response arrived (or the stream
 * was stopped), -1 on a transport failure (fail, reason, sent set). */
int	 h1_attempt(struct http_xfer *, int *status);
/* Close the connections kept alive for reuse. */
void	 h1_close_idle(void);

/* libcurl: one attempt (the handle is set up on the first). */
int	 http_curl_attempt(struct http_xfer *, int *status);
/* Free the libcurl handle of a transfer. */
void	 http_curl_done(struct http_xfer *);

#endif
