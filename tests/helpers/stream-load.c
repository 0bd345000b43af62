/*
 * stream-load.c: a load generator for streaming chat completions, one
 * process and one libevent loop driving libcurl's multi socket interface,
 * so thousands of concurrent streams cost one epoll set rather than
 * thousands of curl processes (tests/bench/modelsim.sh).
 *
 *	stream-load --url URL --body JSON -n N [--ramp SECONDS]
 *	    [--timeout SECONDS] [--busy-poll] [--lag] [--cpu-file FILE]
 *
 * Starts N POST requests, all at once or spread evenly over --ramp
 * seconds (so connection set-up does not all land in one instant), and
 * waits for all of them.  With a ramp, request i starts at a point drawn
 * uniformly (fixed seed) in its own slot [i, i + 1) * RAMP / N rather
 * than at the slot's edge: with starts exactly RAMP / N apart, a spacing
 * that divides the inter-token latency would make every stream's tokens
 * fall due at the same few instants, a burst no real arrival process
 * makes.  For each it
 * prints what `curl --write-out '%{http_code} %{time_starttransfer}
 * %{time_total} %{time_pretransfer}'` prints -- the same libcurl timers
 * (CURLINFO_*_TIME_T), so the figures are curl's clock, not the server's
 * -- followed by the largest and the 99th-percentile gap in seconds
 * between two token-bearing reads of that stream, measured on the client's
 * CLOCK_MONOTONIC:
 *
 *	200 0.100512 0.480990 0.000210 0.020811 0.020433
 *
 * With --busy-poll the loop never sleeps (libevent turns with a zero
 * timeout, EVLOOP_NONBLOCK), so the client's own wake-up latency -- up to
 * ~2 ms at p99 on a VM -- does not add to the times libcurl records: a
 * byte is read, and timed, within one turn of its arrival.  It costs the
 * client's whole core.
 *
 * --lag (a diagnosis, it costs a recvmsg per read) says how late the
 * client itself is: before libcurl reads a socket, a 1-byte MSG_PEEK takes
 * the kernel's receive time of the oldest unread byte (SO_TIMESTAMPNS),
 * and each write callback of that read measures now minus that time.  Two
 * more columns: the first read's lag (the status line and first token:
 * what the client adds to TTFT) and the 99th percentile of the lag of the
 * token-bearing reads, in seconds.
 *
 * --cpu-file FILE gets "cpu SECONDS" (user + system time of the process)
 * and "wall SECONDS" (from the first start to the last stream's end): how
 * busy the client's core was, for telling a slow client from a late
 * server.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "clock.h"
#include "rxstamp.h"

/* One stream. */
struct xfer {
	CURL		*easy;
	double		 last;		/* last token-bearing read, s */
	double		*gaps;		/* gaps between them, s */
	size_t		 ngaps, cap;
	char		 tail[4];	/* last bytes, for a match across reads */
	curl_socket_t	 fd;		/* its socket (--lag) */
	double		 lag_first;	/* first read's lag, s; -1 none */
	double		*lags;		/* token reads' lags, s (--lag) */
	size_t		 nlags, lcap;
	int		 begun;		/* response bytes seen */
	struct sock	*sk;		/* its watched socket, or NULL */
};

/* One socket curl asked us to watch. */
struct sock {
	struct event	*ev;
	struct xfer	*x;		/* the stream on it, or NULL */
};

static struct event_base	*base;
static CURLM			*multi;
static struct event		*timer;
static struct event		*starter;	/* adds handles during a ramp */
static struct xfer		*xs;
static int			 running, started, total, finished;
static double			 ramp, t_start;
static double			*starts;	/* start offsets, s */
static int			 lag;		/* --lag */
static struct rxclock		 rxclk;		/* REALTIME -> MONOTONIC */
static curl_socket_t		 cur_fd = -1;	/* being read (--lag) */
static double			 cur_rx;	/* its receive time, 0 none */

/* The kernel's receive time (monotonic s) of the oldest unread byte on
 * fd, or 0. */
static double
peek_rx(curl_socket_t fd)
{
	int64_t t = rxstamp_peek(&rxclk, fd);

	return t < 0 ? 0 : (double)t / 1e9;
}

static int
on_sockopt(void *arg, curl_socket_t fd, curlsocktype purpose)
{
	(void)arg;
	if (purpose == CURLSOCKTYPE_IPCXN)
		(void)rxstamp_enable(fd);
	return CURL_SOCKOPT_OK;
}

static void
check_done(void)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(multi, &left)) != NULL)
		if (m->msg == CURLMSG_DONE)
			running--;
	if (running <= 0 && started == total) {
		finished = 1;
		event_base_loopbreak(base);
	}
}

static void
on_timeout(evutil_socket_t, short, void *);

/* Add every handle whose start time has come; re-arm for the next. */
static void
on_start(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv;
	double due, next;

	(void)fd;
	(void)what;
	(void)arg;
	due = clock_mono_s() - t_start;
	while (started < total && (ramp <= 0 || starts[started] <= due))
		curl_multi_add_handle(multi, xs[started++].easy);
	if (started < total) {
		next = starts[started] - due;
		if (next < 0)
			next = 0;
		tv.tv_sec = (time_t)next;
		tv.tv_usec = (suseconds_t)((next - (double)tv.tv_sec) * 1e6);
		evtimer_add(starter, &tv);
	}
	on_timeout(-1, 0, NULL);
}

static void
on_event(evutil_socket_t fd, short what, void *arg)
{
	int flags = 0, still;

	(void)arg;
	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	if (lag && (what & EV_READ)) {
		rxclock_update(&rxclk);
		cur_fd = fd;
		cur_rx = peek_rx(fd);
	}
	curl_multi_socket_action(multi, fd, flags, &still);
	cur_fd = -1;
	cur_rx = 0;
	check_done();
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	int still;

	(void)fd;
	(void)what;
	(void)arg;
	curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &still);
	check_done();
}

static int
timer_cb(CURLM *m, long ms, void *arg)
{
	struct timeval tv;

	(void)m;
	(void)arg;
	if (ms < 0) {
		evtimer_del(timer);
		return 0;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(timer, &tv);
	return 0;
}

static int
socket_cb(CURL *e, curl_socket_t s, int what, void *arg, void *sockp)
{
	struct sock *k = sockp;
	short kind;

	struct xfer *x = NULL;

	(void)arg;
	if (e != NULL) {
		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
		if (x != NULL)
			x->fd = s;
	}
	if (what == CURL_POLL_REMOVE) {
		if (k != NULL) {
			if (k->x != NULL && k->x->sk == k)
				k->x->sk = NULL;
			event_free(k->ev);
			free(k);
			curl_multi_assign(multi, s, NULL);
		}
		return 0;
	}
	kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
	    ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
	if (k == NULL) {
		if ((k = calloc(1, sizeof(*k))) == NULL)
			abort();
		curl_multi_assign(multi, s, k);
	} else
		event_free(k->ev);
	k->ev = event_new(base, s, kind, on_event, NULL);
	if (x != NULL) {
		k->x = x;
		x->sk = k;
	}
	/* Streams still waiting for their first response bytes first. */
	event_priority_set(k->ev, k->x != NULL && k->x->begun ? 1 : 0);
	event_add(k->ev, NULL);
	return 0;
}

/* Whether buf (after the last 4 bytes of the previous read, kept in
 * tail) holds a "content" or "text" delta: the role chunk and [DONE] are
 * reads too, but only token-bearing reads make gaps.  memmem, not a byte
 * loop: the client must cost less per token than the server it measures. */
static int
has_token(struct xfer *x, const char *buf, size_t len)
{
	char edge[8];
	size_t k = len < 4 ? len : 4;
	int found = 0;

	memcpy(edge, x->tail, 4);
	memcpy(edge + 4, buf, k);
	if (memmem(edge, 4 + k, "tent\"", 5) != NULL ||
	    memmem(edge, 4 + k, "text\"", 5) != NULL ||
	    memmem(buf, len, "tent\"", 5) != NULL ||
	    memmem(buf, len, "text\"", 5) != NULL)
		found = 1;
	if (len >= 4)
		memcpy(x->tail, buf + len - 4, 4);
	else {
		memmove(x->tail, x->tail + len, 4 - len);
		memcpy(x->tail + 4 - len, buf, len);
	}
	return found;
}

/* Append v to a growing array. */
static void
push(double **a, size_t *n, size_t *cap, double v)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		if ((*a = realloc(*a, *cap * sizeof(**a))) == NULL)
			abort();
	}
	(*a)[(*n)++] = v;
}

static size_t
on_write(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	double t, l = -1;

	if (!x->begun) {
		/* Its first bytes are in: its later reads wait behind the
		 * first reads of others (the event runs now, so it is not
		 * active and its priority can change). */
		x->begun = 1;
		if (x->sk != NULL)
			event_priority_set(x->sk->ev, 1);
	}
	if (lag && cur_rx > 0 && cur_fd == x->fd) {
		l = clock_mono_s() - cur_rx;
		if (x->lag_first < 0)
			x->lag_first = l;
	}
	if (has_token(x, buf, len)) {
		t = clock_mono_s();
		if (l >= 0)
			push(&x->lags, &x->nlags, &x->lcap, l);
		if (x->last > 0)
			push(&x->gaps, &x->ngaps, &x->cap, t - x->last);
		x->last = t;
	}
	return len;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	const char *url = NULL, *body = NULL, *cpu_file = NULL;
	struct rusage ru;
	double wall;
	FILE *cf;
	struct curl_slist *h = NULL;
	long timeout = 600, code;
	curl_off_t st, tt, pt;
	double p99, mx, l99;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	int i, n = 0, poll = 0;

	for (i = 1; i < argc; i += 2) {
		if (strcmp(argv[i], "--busy-poll") == 0) {
			poll = 1;
			i--;
			continue;
		}
		if (strcmp(argv[i], "--lag") == 0) {
			lag = 1;
			i--;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "stream-load: %s needs a value\n",
			    argv[i]);
			return 2;
		}
		if (strcmp(argv[i], "--url") == 0)
			url = argv[i + 1];
		else if (strcmp(argv[i], "--body") == 0)
			body = argv[i + 1];
		else if (strcmp(argv[i], "-n") == 0)
			n = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--ramp") == 0)
			ramp = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--cpu-file") == 0)
			cpu_file = argv[i + 1];
		else if (strcmp(argv[i], "--timeout") == 0)
			timeout = atol(argv[i + 1]);
		else {
			fprintf(stderr, "stream-load: unknown option %s\n",
			    argv[i]);
			return 2;
		}
	}
	if (url == NULL || body == NULL || n <= 0) {
		fprintf(stderr, "usage: stream-load --url URL --body JSON -n N "
		    "[--ramp SECONDS] [--timeout SECONDS] [--busy-poll] [--lag] "
		    "[--cpu-file FILE]\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	base = event_base_new();
	event_base_priority_init(base, 2);
	timer = evtimer_new(base, on_timeout, NULL);
	multi = curl_multi_init();
	curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
	h = curl_slist_append(h, "Content-Type: application/json");
	if ((xs = calloc((size_t)n, sizeof(*xs))) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		CURL *e = curl_easy_init();

		xs[i].easy = e;
		xs[i].fd = -1;
		xs[i].lag_first = -1;
		curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)&xs[i]);
		if (lag)
			curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, on_sockopt);
		curl_easy_setopt(e, CURLOPT_URL, url);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, &xs[i]);
		curl_easy_setopt(e, CURLOPT_TIMEOUT, timeout);
		curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
		curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	}
	if ((starts = calloc((size_t)n, sizeof(*starts))) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		/* xorshift64: the same starts every run. */
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		starts[i] = ((double)i + (double)(seed >> 11) / 9007199254740992.0)
		    * ramp / n;
	}
	running = total = n;
	starter = evtimer_new(base, on_start, NULL);
	t_start = clock_mono_s();
	on_start(-1, 0, NULL);
	if (poll)
		while (!finished &&
		    event_base_loop(base, EVLOOP_NONBLOCK) != -1)
			;
	else
		event_base_dispatch(base);
	wall = clock_mono_s() - t_start;
	if (cpu_file != NULL && getrusage(RUSAGE_SELF, &ru) == 0 &&
	    (cf = fopen(cpu_file, "w")) != NULL) {
		fprintf(cf, "cpu %.3f\nwall %.3f\n",
		    (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
		    wall);
		fclose(cf);
	}
	for (i = 0; i < n; i++) {
		code = 0;
		st = tt = pt = 0;
		curl_easy_getinfo(xs[i].easy, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_getinfo(xs[i].easy, CURLINFO_STARTTRANSFER_TIME_T,
		    &st);
		curl_easy_getinfo(xs[i].easy, CURLINFO_TOTAL_TIME_T, &tt);
		curl_easy_getinfo(xs[i].easy, CURLINFO_PRETRANSFER_TIME_T, &pt);
		p99 = mx = 0;
		if (xs[i].ngaps > 0) {
			qsort(xs[i].gaps, xs[i].ngaps, sizeof(double),
			    cmp_double);
			p99 = xs[i].gaps[(size_t)(0.99 * (double)(xs[i].ngaps -
			    1) + 0.5)];
			mx = xs[i].gaps[xs[i].ngaps - 1];
		}
		printf("%03ld %.6f %.6f %.6f %.6f %.6f", code,
		    (double)st / 1e6, (double)tt / 1e6, (double)pt / 1e6, mx,
		    p99);
		if (lag) {
			l99 = 0;
			if (xs[i].nlags > 0) {
				qsort(xs[i].lags, xs[i].nlags, sizeof(double),
				    cmp_double);
				l99 = xs[i].lags[(size_t)(0.99 *
				    (double)(xs[i].nlags - 1) + 0.5)];
			}
			printf(" %.6f %.6f", xs[i].lag_first < 0 ? 0 :
			    xs[i].lag_first, l99);
		}
		putchar('\n');
		curl_multi_remove_handle(multi, xs[i].easy);
		curl_easy_cleanup(xs[i].easy);
		free(xs[i].gaps);
		free(xs[i].lags);
	}
	free(xs);
	free(starts);
	curl_slist_free_all(h);
	curl_multi_cleanup(multi);
	event_free(timer);
	event_free(starter);
	event_base_free(base);
	curl_global_cleanup();
	return 0;
}
