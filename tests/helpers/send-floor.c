/*
 * send-floor.c: what one token write costs this machine's kernel, the
 * floor under how many tokens a second one simulator core can send
 * (tests/bench/modelsim.sh -F, bench-accuracy.sh).
 *
 *	send-floor [--sockets N] [--seconds S] [--batched]
 *	    [--sender-cpu C] [--reader-cpu C]
 *
 * Opens N (default 1000) TCP connections over 127.0.0.1, forks a reader
 * that drains them all from one epoll loop (as a benchmark client does),
 * and writes a 158-byte chunk -- the size of a simulator token chunk --
 * to each socket in turn, as fast as it can, for S seconds (default 2).
 * Each write is one writev() of three parts (head, token, tail), as the
 * simulator's one-writev-per-token path does, or with --batched one
 * non-blocking send each, N at a time in one io_uring submission, as its
 * batched path does.  It prints the sender's CPU time per chunk (user +
 * system: the system call, the TCP send path and, on loopback, the
 * receiver's TCP processing, which runs on the sender's CPU) and the
 * chunks per second that makes for one core:
 *
 *	writev sockets 1000 chunks 274000 in 2.00 s: 7.3 us cpu/chunk, 137k chunks/s/core
 *
 * --sender-cpu and --reader-cpu pin the two sides (default 0 and 1, when
 * the machine has two CPUs).  Any failure is one line on stderr and exit
 * status 1; a bad option exit status 2.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>

#include "clock.h"

#define CHUNK	158

static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void
fail(const char *what)
{
	fprintf(stderr, "send-floor: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) == -1)
		fail("sched_setaffinity");
}

/* The reader: drain every socket until all are closed. */
static void
reader(const int *fds, int n)
{
	struct epoll_event ev, evs[256];
	char buf[65536];
	int ep, i, k, open = n;
	ssize_t r;

	if ((ep = epoll_create1(0)) == -1)
		fail("epoll_create1");
	for (i = 0; i < n; i++) {
		ev.events = EPOLLIN;
		ev.data.fd = fds[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) == -1)
			fail("epoll_ctl");
	}
	while (open > 0) {
		if ((k = epoll_wait(ep, evs, 256, -1)) == -1) {
			if (errno == EINTR)
				continue;
			fail("epoll_wait");
		}
		for (i = 0; i < k; i++) {
			r = recv(evs[i].data.fd, buf, sizeof(buf), 0);
			if (r == 0 || (r == -1 && errno != EAGAIN)) {
				epoll_ctl(ep, EPOLL_CTL_DEL, evs[i].data.fd,
				    NULL);
				open--;
			}
		}
	}
	_exit(0);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct iovec iov[3];
	static char chunk[CHUNK];
	double secs = 2, t0, t1, c0, c1;
	long sent = 0;
	int *cli, *srv, n = 1000, batched = 0, scpu = -1, rcpu = -1;
	int i, lfd, one = 1, status, rc;
	unsigned head, seen;
	pid_t pid;

	if (sysconf(_SC_NPROCESSORS_ONLN) >= 2)
		scpu = 0, rcpu = 1;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--batched") == 0) {
			batched = 1;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "send-floor: %s needs a value\n",
			    argv[i]);
			return 2;
		}
		if (strcmp(argv[i], "--sockets") == 0)
			n = atoi(argv[++i]);
		else if (strcmp(argv[i], "--seconds") == 0)
			secs = atof(argv[++i]);
		else if (strcmp(argv[i], "--sender-cpu") == 0)
			scpu = atoi(argv[++i]);
		else if (strcmp(argv[i], "--reader-cpu") == 0)
			rcpu = atoi(argv[++i]);
		else {
			fprintf(stderr, "send-floor: unknown option %s\n",
			    argv[i]);
			return 2;
		}
	}
	if (n < 1 || n > 4096 || secs <= 0) {
		fprintf(stderr, "send-floor: want 1-4096 sockets and a "
		    "positive number of seconds\n");
		return 2;
	}
	memset(chunk, 'x', sizeof(chunk));
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		fail("socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 4096) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &slen) == -1)
		fail("listen on 127.0.0.1");
	cli = calloc((size_t)n, sizeof(*cli));
	srv = calloc((size_t)n, sizeof(*srv));
	if (cli == NULL || srv == NULL)
		fail("calloc");
	for (i = 0; i < n; i++) {
		if ((cli[i] = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
		    connect(cli[i], (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
		    (srv[i] = accept(lfd, NULL, NULL)) == -1)
			fail("connect over loopback");
		setsockopt(srv[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		fcntl(cli[i], F_SETFL, O_NONBLOCK);
	}
	close(lfd);
	if ((pid = fork()) == -1)
		fail("fork");
	if (pid == 0) {
		pin(rcpu);
		for (i = 0; i < n; i++)
			close(srv[i]);
		reader(cli, n);
	}
	pin(scpu);
	for (i = 0; i < n; i++)
		close(cli[i]);
	if (batched && (rc = io_uring_queue_init(4096, &ring, 0)) < 0) {
		errno = -rc;
		fail("io_uring_queue_init");
	}
	iov[0].iov_base = chunk;
	iov[0].iov_len = 4;
	iov[1].iov_base = chunk + 4;
	iov[1].iov_len = 140;
	iov[2].iov_base = chunk + 144;
	iov[2].iov_len = CHUNK - 144;
	t0 = clock_mono_s();
	c0 = cpu_seconds();
	while (clock_mono_s() - t0 < secs) {
		if (!batched) {
			for (i = 0; i < n; i++)
				if (writev(srv[i], iov, 3) > 0)
					sent++;
			continue;
		}
		for (i = 0; i < n; i++) {
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_send(sqe, srv[i], chunk, CHUNK,
			    MSG_DONTWAIT);
		}
		if ((rc = io_uring_submit_and_wait(&ring, (unsigned)n)) < 0) {
			errno = -rc;
			fail("io_uring_submit");
		}
		seen = 0;
		io_uring_for_each_cqe(&ring, head, cqe) {
			if (cqe->res > 0)
				sent++;
			seen++;
		}
		io_uring_cq_advance(&ring, seen);
	}
	c1 = cpu_seconds();
	t1 = clock_mono_s();
	for (i = 0; i < n; i++)
		close(srv[i]);
	free(cli);
	free(srv);
	if (batched)
		io_uring_queue_exit(&ring);
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "send-floor: the reader failed\n");
		return 1;
	}
	if (sent == 0) {
		fprintf(stderr, "send-floor: no chunk was sent\n");
		return 1;
	}
	printf("%s sockets %d chunks %ld in %.2f s: %.1f us cpu/chunk, "
	    "%.0fk chunks/s/core\n", batched ? "io_uring batch" : "writev",
	    n, sent, t1 - t0, (c1 - c0) / (double)sent * 1e6,
	    (double)sent / (c1 - c0) / 1e3);
	return 0;
}
