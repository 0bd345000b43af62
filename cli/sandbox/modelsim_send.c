/*
 * modelsim_send.c: the simulator's token chunks written in batches through
 * io_uring, one system call for all the tokens due in a wake-up.
 *
 * At thousands of streams the simulator's core goes into sending tokens:
 * one small write per token, each a system call that runs the kernel's
 * TCP send path (and, on loopback, the receiver's too).  On a virtual
 * machine a system call's entry and exit cost as much again as the send
 * itself (on this project's 2-vCPU benchmark VM: ~10 us per writev() of
 * a token against ~4.5 us per send in an io_uring batch, both over
 * loopback TCP).  So a tick queues each due token as one non-blocking
 * IORING_OP_SEND of a copy of its chunk, and the queue is submitted when
 * the tick ends (or fills): the kernel runs the sends in order, in that
 * one call, and every completion is in by the time it returns.
 *
 * A send is MSG_DONTWAIT, so a full socket answers at once with what it
 * took (or -EAGAIN) instead of being retried later by the kernel: the
 * caller puts the rest in the connection's output buffer, where later
 * bytes queue behind it, as it does after a short writev().  Where
 * io_uring is missing or refused (old kernel, seccomp,
 * kernel.io_uring_disabled), msim_ring_new() says so and the simulator
 * writes each token with writev() as before.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <liburing.h>

#include "xalloc.h"

#include "sandbox/modelsim_int.h"

/* Sends queued, not yet submitted, at most. */
#define RING_ENTRIES	256

struct msim_ring {
	struct io_uring	 ring;
	unsigned	 queued;	/* sends in the ring since the flush */
};

/* A ring for batched sends, or NULL (errno set) when io_uring is out. */
struct msim_ring *
msim_ring_new(void)
{
	struct io_uring_params p;
	struct msim_ring *g;
	int rc;

	g = xcalloc(1, sizeof(*g));
	/* One thread submits; completions are reaped in the same call. */
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER |
	    IORING_SETUP_DEFER_TASKRUN;
	rc = io_uring_queue_init_params(RING_ENTRIES, &g->ring, &p);
	if (rc == -EINVAL) {
		/* A kernel before 6.1: the plain ring does the same. */
		memset(&p, 0, sizeof(p));
		rc = io_uring_queue_init_params(RING_ENTRIES, &g->ring, &p);
	}
	if (rc < 0) {
		free(g);
		errno = -rc;
		return NULL;
	}
	return g;
}

/* Free a ring (flushed first by the caller). */
void
msim_ring_free(struct msim_ring *g)
{
	if (g == NULL)
		return;
	io_uring_queue_exit(&g->ring);
	free(g);
}

/* Sends waiting for msim_ring_flush(). */
unsigned
msim_ring_queued(const struct msim_ring *g)
{
	return g->queued;
}

/*
 * Queue one non-blocking send of len bytes at buf (kept unchanged until
 * the flush) on fd, user handed back to the flush's callback: 0, or -1
 * when the ring is full (flush, then queue again).
 */
int
msim_ring_send(struct msim_ring *g, int fd, const void *buf, size_t len,
    void *user)
{
	struct io_uring_sqe *sqe;

	if ((sqe = io_uring_get_sqe(&g->ring)) == NULL)
		return -1;
	io_uring_prep_send(sqe, fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	io_uring_sqe_set_data(sqe, user);
	g->queued++;
	return 0;
}

/*
 * Submit what is queued and hand each send's result (bytes sent, or
 * -errno) to done, in submission order for each socket; returns the
 * number of sends.
 */
unsigned
msim_ring_flush(struct msim_ring *g, void (*done)(void *, int))
{
	struct io_uring_cqe *cqe;
	unsigned n = 0;
	int rc;

	while (g->queued > 0) {
		if (io_uring_sq_ready(&g->ring) > 0) {
			rc = io_uring_submit_and_get_events(&g->ring);
			if (rc < 0 && rc != -EINTR && rc != -EAGAIN &&
			    rc != -EBUSY)
				abort();	/* sends whose fate is unknown */
		}
		while (io_uring_peek_cqe(&g->ring, &cqe) == 0) {
			done(io_uring_cqe_get_data(cqe), cqe->res);
			io_uring_cqe_seen(&g->ring, cqe);
			g->queued--;
			n++;
		}
		/* Non-blocking sends complete during the submission; this
		 * waits only for one posted late. */
		if (g->queued > 0 && io_uring_sq_ready(&g->ring) == 0) {
			rc = io_uring_wait_cqe(&g->ring, &cqe);
			if (rc < 0 && rc != -EINTR && rc != -EAGAIN)
				abort();
		}
	}
	return n;
}
