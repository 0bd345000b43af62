/*
 * lgh1.h: the bench engine's native HTTP/1.1 transport (lgh1.c).
 *
 * `maasctl bench` sends plain-HTTP requests without a proxy over its own
 * non-blocking HTTP/1.1 client on the engine's libevent loop instead of
 * libcurl's multi interface: one recvmsg() per socket wake-up that also
 * carries the kernel's receive timestamp (SO_TIMESTAMPNS), the response
 * parsed in place (status line, headers, Content-Length, chunked or
 * close-delimited bodies) and its body bytes handed over without a copy.
 * libcurl needs three system calls per read (a poll, the read, and the
 * engine's timestamp peek) and its own bookkeeping per handle: at 1,000
 * streams of 100 tokens/s each that was nearly a whole core.  HTTPS,
 * HTTP/2 and proxies stay with libcurl (loadgen.c decides per URL).
 *
 * Keep-alive: a connection whose response ended cleanly goes back to its
 * origin's idle pool (at most `max_idle` kept); an idle connection that
 * becomes readable (the server closed it) is closed; a request on a
 * reused connection that dies before any response byte is sent again on
 * a fresh one, as libcurl does.
 */
#ifndef MAAS_LGH1_H
#define MAAS_LGH1_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct lgh1;
struct lgh1_conn;
struct event;

/* How an attempt ended. */
enum lgh1_end {
	LGH1_OK = 0,		/* a complete response */
	LGH1_STOPPED,		/* the body callback stopped it */
	LGH1_TRANSPORT,		/* refused, reset, DNS, protocol error */
	LGH1_TIMEOUT		/* the connect or total timeout expired */
};

/* Callbacks; `rt` is the kernel's CLOCK_REALTIME receive time (ns) of the
 * bytes, or -1 when the socket gave none. */
struct lgh1_cbs {
	/* The request is about to be written (after any connect). */
	void	(*sent)(void *arg);
	/* A new connection was opened. */
	void	(*connected)(void *arg);
	/* A response header line (the status line first), CRLF trimmed. */
	void	(*header)(void *arg, const char *line, size_t len, int64_t rt);
	/* Body bytes (chunked framing removed); non-zero stops the
	 * attempt with LGH1_STOPPED. */
	int	(*body)(void *arg, const char *p, size_t len, int64_t rt);
	/* The attempt ended; msg is a libcurl-style reason or NULL. */
	void	(*done)(void *arg, enum lgh1_end, const char *msg);
	/* n bytes were read, the kernel received them at rt; called once
	 * per read, before they are parsed (may be NULL). */
	void	(*read)(void *arg, int64_t rt, size_t n);
};

/* One request's state, owned by the caller (one per engine slot). */
struct lgh1_req {
	/* Set by the caller before lgh1_start. */
	const char	*url;		/* http:// URL (kept while in use) */
	const char	*headers;	/* "Name: value\r\n" lines to send */
	size_t		 headers_len;
	const char	*body;		/* request body (kept while in use) */
	size_t		 body_len;
	void		*arg;		/* for the callbacks */
	/* Set per attempt: ns from the attempt's start, -1 if not
	 * reached (as libcurl's CURLINFO_*_TIME_T). */
	int64_t		 t_dns;		/* name resolved */
	int64_t		 t_connect;	/* TCP connected */
	int64_t		 t_ttfb;	/* first response byte */
	int		 reused;	/* on a kept-alive connection */
	int		 http_version;	/* 10 or 11 from the status line */
	/* Private to lgh1.c. */
	struct lgh1_conn *conn;
	struct event	*timer;
	int64_t		 start;		/* CLOCK_MONOTONIC ns */
	int		 active;
	int		 fresh_retry;	/* re-sent after a stale keep-alive */
	int		 pend;		/* an end deferred by lgh1_start */
	int		 pend_end;
	char		*pend_msg;
	struct lgh1	*pend_t;
};

/* A transport on base: connect_timeout and timeout in seconds (timeout 0:
 * none), each socket's receive buffer bufsize bytes, max_idle
 * connections kept. */
struct lgh1 *lgh1_new(struct event_base *base, const struct lgh1_cbs *cbs,
	    double connect_timeout, double timeout, size_t bufsize,
	    size_t max_idle);
/* Close every connection and free the transport (no request active). */
void	 lgh1_free(struct lgh1 *);
/* Whether URL is http:// (no user info) and so the transport's. */
int	 lgh1_url_ok(const char *url);
/* Start an attempt of r; the done callback always follows (perhaps
 * before this returns, for a name that does not resolve). */
void	 lgh1_start(struct lgh1 *, struct lgh1_req *r);
/* Abandon r's attempt without calling back (its connection is closed). */
void	 lgh1_cancel(struct lgh1 *, struct lgh1_req *r);
/* Release r's private resources (not active). */
void	 lgh1_req_free(struct lgh1_req *r);

#endif
