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
	void		*user[RING_ENTRIES];	/* theirs, by slot */
	int		 done[RING_ENTRIES];	/* slot's result is in */
	int		 broken;	/* the kernel refused a submission */
};

/* A ring for batched sends, or NULL (errno set) when io_uring is out. */
struct msim_ring *
msim_ring_new(void)
{
	struct io_uring_params p;
	struct msim_ring *g;
	int rc;

	g = xcalloc(1, sizeof(*g));
	/* Not SINGLE_ISSUER: the ring may be made in one thread and used
	 * by the loop's (bench calibrate runs the simulator in a thread). */
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SUBMIT_ALL;
	rc = io_uring_queue_init_params(RING_ENTRIES, &g->ring, &p);
	if (rc == -EINVAL) {
		/* A kernel before 5.18: the plain ring does the same. */
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

/* Whether the kernel refused a submission (the ring is then of no use:
 * free it and write directly). */
int
msim_ring_broken(const struct msim_ring *g)
{
	return g->broken;
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

	if (g->broken || g->queued == RING_ENTRIES ||
	    (sqe = io_uring_get_sqe(&g->ring)) == NULL)
		return -1;
	io_uring_prep_send(sqe, fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	g->user[g->queued] = user;
	g->done[g->queued] = 0;
	io_uring_sqe_set_data64(sqe, g->queued);
	g->queued++;
	return 0;
}

/*
 * Submit what is queued and hand each send's result (bytes sent, or
 * -errno) to done, in submission order for each socket; returns the
 * number of sends.  Should the kernel refuse the submission, every send
 * not reported yet is handed 0 bytes sent (the caller queues the chunk
 * for its ordinary write) and the ring is marked broken.
 */
unsigned
msim_ring_flush(struct msim_ring *g, void (*done)(void *, int))
{
	struct io_uring_cqe *cqe;
	unsigned n = 0, left = g->queued, i;
	__u64 slot;
	int rc;

	while (left > 0 && !g->broken) {
		if (io_uring_sq_ready(&g->ring) > 0) {
			rc = io_uring_submit(&g->ring);
			if (rc < 0 && rc != -EINTR && rc != -EAGAIN &&
			    rc != -EBUSY)
				g->broken = 1;
		}
		while (io_uring_peek_cqe(&g->ring, &cqe) == 0) {
			slot = io_uring_cqe_get_data64(cqe);
			if (slot < g->queued && !g->done[slot]) {
				g->done[slot] = 1;
				done(g->user[slot], cqe->res);
				left--;
				n++;
			}
			io_uring_cqe_seen(&g->ring, cqe);
		}
		/* Non-blocking sends complete during the submission; this
		 * waits only for one posted late. */
		if (left > 0 && !g->broken &&
		    io_uring_sq_ready(&g->ring) == 0) {
			rc = io_uring_wait_cqe(&g->ring, &cqe);
			if (rc < 0 && rc != -EINTR && rc != -EAGAIN)
				g->broken = 1;
		}
	}
	for (i = 0; i < g->queued && left > 0; i++)
		if (!g->done[i]) {
			done(g->user[i], 0);
			left--;
		}
	g->queued = 0;
	return n;
}
