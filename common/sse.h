/*
 * sse.h: an incremental parser for Server-Sent Events (the WHATWG event
 * stream format) as OpenAI-compatible servers stream chat completions.
 *
 * Bytes are fed in chunks of any size, split anywhere (inside a CRLF, a
 * field name or a multi-byte character); lines end in LF, CR or CRLF;
 * lines starting with ':' are comments; several data lines are joined with
 * LF; an event is dispatched at a blank line.  Lines have no fixed limit
 * (max_line bounds them only when set).
 */
#ifndef MAAS_SSE_H
#define MAAS_SSE_H

#include <stddef.h>

#include "err.h"

/* One dispatched event; the strings are valid during the callback only. */
struct sse_event {
	const char	*event;		/* "message" unless an event: field */
	const char	*data;		/* data lines joined with '\n' */
	size_t		 data_len;	/* bytes in data */
	const char	*id;		/* last event id seen, or "" */
	long		 retry;		/* retry: value, -1 if none */
};

/* Called per event; return non-zero to stop parsing (sse_feed returns 1). */
typedef int (*sse_cb)(const struct sse_event *, void *arg);

struct sse;

struct sse	*sse_new(sse_cb, void *arg);
void		 sse_free(struct sse *);
/* Forget everything fed so far (a new stream), keeping the buffers. */
void		 sse_reset(struct sse *);
/* Bound a single line (0 = unbounded); over it, sse_feed fails. */
void		 sse_set_max_line(struct sse *, size_t);
/* Feed bytes: 0 ok, 1 stopped by the callback, -1 error (line too long). */
int		 sse_feed(struct sse *, const char *buf, size_t len,
		    struct err *);
/* End of stream: 1 if an incomplete event was pending (and dropped, as the
 * spec says), else 0. */
int		 sse_finish(struct sse *);
/* Comment lines seen so far (keep-alives). */
size_t		 sse_comments(const struct sse *);
/* Events dispatched so far. */
size_t		 sse_events(const struct sse *);

#endif
