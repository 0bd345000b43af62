/*
 * chunked.c: the end of a chunked reply, delayed until the reply's bytes
 * have left the connection's output buffer.
 *
 * libevent 2.1's evhttp finishes a request (evhttp_send_done: free it,
 * disable writing, start reading the next request) from the connection's
 * bufferevent write callback without checking that the output buffer is
 * empty.  bufferevent_openssl runs that callback deferred, in the next
 * turn of the loop after a write drained the buffer.  So when a stream's
 * last chunks and evhttp_send_reply_end come in the same turn as the
 * drain of the chunk before (a fast stream: a model with no inter-token
 * latency, a proxied upstream's burst), the stale callback finishes the
 * request with the tail still queued, writing stops, and the client waits
 * for the rest until the idle timeout cuts the connection.  Plain HTTP
 * runs the callback at once, when the buffer really is empty.
 *
 * chunked_end() therefore waits for the output buffer to drain (an
 * evbuffer callback, called inside the write that drains it), then for a
 * zero timer: libevent makes deferred callbacks active before it polls
 * and timers after, so the timer runs after the write callback that drain
 * queued.  Only then is evhttp_send_reply_end called, with nothing in
 * flight that could finish the request early.
 */
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "xalloc.h"

#include "sandbox/chunked.h"

struct chunked {
	struct evhttp_request	 *r;
	struct evhttp_connection *conn;
	struct evbuffer		 *out;		/* the connection's output */
	struct evbuffer_cb_entry *watch;	/* notices the drain */
	struct event		 *tick;		/* the turn after the drain */
};

static void
chunked_free(struct chunked *c)
{
	if (c->watch != NULL)
		evbuffer_remove_cb_entry(c->out, c->watch);
	if (c->tick != NULL)
		event_free(c->tick);
	free(c);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct chunked		*c = arg;
	struct evhttp_request	*r = c->r;

	(void)fd;
	(void)what;
	if (evbuffer_get_length(c->out) != 0)
		return;		/* more was queued: on_drain comes again */
	evhttp_connection_set_closecb(c->conn, NULL, NULL);
	chunked_free(c);
	evhttp_send_reply_end(r);
}

static void
on_drain(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
	struct chunked		*c = arg;
	struct timeval		 now = { 0, 0 };

	if (info->n_deleted > 0 && evbuffer_get_length(b) == 0)
		evtimer_add(c->tick, &now);
}

static void
on_close(struct evhttp_connection *conn, void *arg)
{
	struct chunked		*c = arg;
	struct evhttp_request	*r = c->r;

	(void)conn;
	chunked_free(c);
	/*
	 * After a network error evhttp detaches a request its user has not
	 * finished and leaves it to the user to free; otherwise the
	 * connection frees it.
	 */
	if (evhttp_request_get_connection(r) == NULL)
		evhttp_request_free(r);
}

void
chunked_end(struct evhttp_request *r)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(r);
	struct bufferevent	*bev;
	struct chunked		*c;
	struct timeval		 now = { 0, 0 };

	if (conn == NULL ||
	    (bev = evhttp_connection_get_bufferevent(conn)) == NULL) {
		evhttp_send_reply_end(r);	/* frees a detached r */
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->r = r;
	c->conn = conn;
	c->out = bufferevent_get_output(bev);
	c->tick = evtimer_new(evhttp_connection_get_base(conn), on_tick, c);
	c->watch = evbuffer_add_cb(c->out, on_drain, c);
	if (c->tick == NULL || c->watch == NULL) {
		chunked_free(c);
		evhttp_send_reply_end(r);
		return;
	}
	evhttp_connection_set_closecb(conn, on_close, c);
	/* Empty already: a drain may have happened this turn all the same. */
	if (evbuffer_get_length(c->out) == 0)
		evtimer_add(c->tick, &now);
}
