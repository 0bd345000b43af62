/*
 * modelsim_arrival.c: when each request reached the machine, from the
 * kernel's receive timestamp of its first byte.
 *
 * A real server's TTFT clock starts when the request arrives (vLLM sets a
 * request's arrival_time when it is received), not when a busy event loop
 * gets round to parsing it.  In one loop, requests that arrive together
 * are read and parsed one after another, and a request arriving while the
 * loop sends a batch of due tokens waits for the turn; counted from the
 * turn that read it, its TTFT would come out late by all of that.
 *
 * So every connection accepted through the evhttp given to
 * modelsim_watch_arrivals() gets SO_TIMESTAMPNS (the kernel stamps each
 * received segment) and joins an epoll set of our own, edge-triggered:
 * each arrival of data on any connection makes that set readable, and the
 * set's event runs at priority 0, before the connections' bufferevents
 * (priority 1) read the data.  It peeks one byte of each connection that
 * got data (recvmsg with MSG_PEEK: the data stays for evhttp) and keeps
 * the receive time of the oldest unread byte -- the first byte of the
 * request, when the request came in one piece -- moved from CLOCK_REALTIME
 * onto CLOCK_MONOTONIC by an offset read every second.  The handler takes
 * it (once) when the request is whole.  A closed connection leaves the
 * epoll set by itself (the kernel drops it on close), so nothing stale
 * stays registered with libevent.  Where there is no stamp (a request
 * pipelined behind another, a clock step), the caller falls back to the
 * loop turn's time.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "rxstamp.h"
#include "xalloc.h"

#include "sandbox/modelsim_int.h"

/* Connections peeked per epoll_wait of our set. */
#define ARR_BATCH	64

/* What we know of one connection, indexed by its fd. */
struct arr_conn {
	struct bufferevent	*bev;		/* the connection's, to match */
	double			 stamp;		/* oldest unread byte's receive
						   time, monotonic s; 0 none */
};

struct msim_arrivals {
	struct event_base	*base;
	int			 epfd;		/* our set of connections */
	struct event		*ready;		/* epfd readable, priority 0 */
	struct event		*setup;		/* watch new connections */
	struct bufferevent	**fresh;	/* connections not yet watched */
	size_t			 nfresh, freshcap;
	struct arr_conn		*conns;
	size_t			 nconns;
	struct rxclock		 clk;		/* REALTIME -> MONOTONIC */
};

/* The receive time (monotonic s) of the oldest unread byte on fd, or 0. */
static double
peek_stamp(struct msim_arrivals *a, int fd)
{
	int64_t t = rxstamp_peek(&a->clk, fd);

	return t < 0 ? 0 : (double)t / 1e9;
}

/* Peek every connection that got data since the last turn. */
static void
on_ready(evutil_socket_t fd, short what, void *arg)
{
	struct msim_arrivals *a = arg;
	struct epoll_event evs[ARR_BATCH];
	struct arr_conn *c;
	double t;
	int i, n;

	(void)fd;
	(void)what;
	rxclock_update(&a->clk);
	do {
		n = epoll_wait(a->epfd, evs, ARR_BATCH, 0);
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd < 0 ||
			    (size_t)evs[i].data.fd >= a->nconns)
				continue;
			c = &a->conns[evs[i].data.fd];
			if (c->bev != NULL &&
			    (t = peek_stamp(a, evs[i].data.fd)) > 0)
				c->stamp = t;
		}
	} while (n == ARR_BATCH);
}

/* Watch the connections accepted since the last turn. */
static void
on_setup(evutil_socket_t unused, short what, void *arg)
{
	struct msim_arrivals *a = arg;
	struct epoll_event ev;
	struct bufferevent *bev;
	struct arr_conn *c;
	size_t i, n;
	int fd;

	(void)unused;
	(void)what;
	rxclock_update(&a->clk);
	for (i = 0; i < a->nfresh; i++) {
		bev = a->fresh[i];
		fd = bufferevent_getfd(bev);
		if (fd >= 0) {
			if ((size_t)fd >= a->nconns) {
				n = a->nconns ? a->nconns : 256;
				while (n <= (size_t)fd)
					n *= 2;
				a->conns = xrealloc(a->conns,
				    n * sizeof(*a->conns));
				memset(a->conns + a->nconns, 0,
				    (n - a->nconns) * sizeof(*a->conns));
				a->nconns = n;
			}
			c = &a->conns[fd];
			c->bev = bev;
			c->stamp = 0;
			/* Normally inherited from the listener already. */
			(void)rxstamp_enable(fd);
			memset(&ev, 0, sizeof(ev));
			ev.events = EPOLLIN | EPOLLET;
			ev.data.fd = fd;
			if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev) == -1 &&
			    errno == EEXIST)
				(void)epoll_ctl(a->epfd, EPOLL_CTL_MOD, fd,
				    &ev);
			/* The request may be there already. */
			c->stamp = peek_stamp(a, fd);
		}
		/* Our reference: if evhttp dropped the connection meanwhile,
		 * this frees it (and closes the fd, which leaves the set). */
		if (bufferevent_decref(bev) == 1 && fd >= 0)
			a->conns[fd].bev = NULL;
	}
	a->nfresh = 0;
}

/*
 * evhttp's bufferevent callback: a plain socket bufferevent, noted to be
 * watched once evhttp has given it its fd (later in this turn).
 */
static struct bufferevent *
arrivals_bevcb(struct event_base *base, void *arg)
{
	struct msim_arrivals *a = arg;
	struct bufferevent *bev;

	if ((bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)) ==
	    NULL)
		return NULL;
	if (a->nfresh == a->freshcap) {
		a->freshcap = a->freshcap ? 2 * a->freshcap : 64;
		a->fresh = xrealloc(a->fresh, a->freshcap * sizeof(*a->fresh));
	}
	bufferevent_incref(bev);
	a->fresh[a->nfresh++] = bev;
	event_active(a->setup, EV_TIMEOUT, 1);
	return bev;
}

static void
set_listener_stamps(struct evhttp_bound_socket *bound, void *arg)
{
	(void)arg;
	(void)rxstamp_enable(evhttp_bound_socket_get_fd(bound));
}

/* Watch the arrivals of requests on http's connections. */
struct msim_arrivals *
msim_arrivals_new(struct event_base *base, struct evhttp *http,
    struct err *e)
{
	struct msim_arrivals *a;

	if (event_base_get_npriorities(base) < 2 &&
	    event_base_priority_init(base, 2) == -1) {
		err_set(e, EXIT_ERR, "model simulator: arrival times: cannot "
		    "give the event loop two priorities (events are active)");
		return NULL;
	}
	a = xcalloc(1, sizeof(*a));
	a->base = base;
	if ((a->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		err_set(e, EXIT_ERR, "model simulator: arrival times: "
		    "epoll_create1: %s", strerror(errno));
		free(a);
		return NULL;
	}
	a->ready = event_new(base, a->epfd, EV_READ | EV_PERSIST, on_ready, a);
	a->setup = event_new(base, -1, 0, on_setup, a);
	if (a->ready == NULL || a->setup == NULL ||
	    event_priority_set(a->ready, 0) == -1 ||
	    event_priority_set(a->setup, 0) == -1 ||
	    event_add(a->ready, NULL) == -1) {
		err_set(e, EXIT_ERR, "model simulator: arrival times: cannot "
		    "add the event");
		msim_arrivals_free(a);
		return NULL;
	}
	rxclock_update(&a->clk);
	/* Accepted sockets inherit the option: every segment of a new
	 * connection is stamped, also those that come before accept(). */
	evhttp_foreach_bound_socket(http, set_listener_stamps, NULL);
	evhttp_set_bevcb(http, arrivals_bevcb, a);
	return a;
}

/* Stop watching; http must not accept connections any more. */
void
msim_arrivals_free(struct msim_arrivals *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->nfresh; i++)
		bufferevent_decref(a->fresh[i]);
	if (a->ready != NULL)
		event_free(a->ready);
	if (a->setup != NULL)
		event_free(a->setup);
	close(a->epfd);
	free(a->fresh);
	free(a->conns);
	free(a);
}

/*
 * The receive time (monotonic s) of the request's first byte, taken once:
 * 0 and *at set, or -1 when there is none.
 */
int
msim_arrivals_take(struct msim_arrivals *a, struct evhttp_request *req,
    double *at)
{
	struct evhttp_connection *conn;
	struct bufferevent *bev;
	struct arr_conn *c;
	int fd;

	if (a == NULL || (conn = evhttp_request_get_connection(req)) == NULL ||
	    (bev = evhttp_connection_get_bufferevent(conn)) == NULL ||
	    (fd = bufferevent_getfd(bev)) < 0 || (size_t)fd >= a->nconns)
		return -1;
	c = &a->conns[fd];
	if (c->bev != bev || c->stamp <= 0)
		return -1;
	*at = c->stamp;
	c->stamp = 0;
	return 0;
}
