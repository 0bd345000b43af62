/*
 * rxstamp.c: the kernel's receive timestamps of TCP data on the monotonic
 * clock (see rxstamp.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "clock.h"
#include "rxstamp.h"

#define NS	1000000000LL

void
rxclock_read(struct rxclock *c)
{
	struct timespec	 r;
	int64_t		 m1, m2;

	m1 = clock_mono_ns();
	clock_gettime(CLOCK_REALTIME, &r);
	m2 = clock_mono_ns();
	/* The realtime reading sits between the two monotonic ones. */
	c->off = (int64_t)r.tv_sec * NS + r.tv_nsec - (m1 + (m2 - m1) / 2);
	c->at = m2;
}

void
rxclock_update(struct rxclock *c)
{
	if (c->at <= 0 || clock_mono_ns() - c->at >= NS)
		rxclock_read(c);
}

int
rxstamp_enable(int fd)
{
	int	 one = 1;

	return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
}

int64_t
rxclock_mono(const struct rxclock *c, int64_t rt_ns)
{
	int64_t	 t, now;

	if (rt_ns <= 0)
		return -1;
	t = rt_ns - c->off;
	now = clock_mono_ns();
	if (t > now + NS / 1000 || t < now - 10 * NS)
		return -1;
	/* Within the offset's reading error of now. */
	return t < now ? t : now;
}

ssize_t
rxstamp_recv(int fd, void *buf, size_t len, int flags, int64_t *rt_ns)
{
	union {
		char		 buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr	 align;
	}		 u;
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	struct timespec	 ts;
	ssize_t		 n;

	*rt_ns = -1;
	memset(&mh, 0, sizeof mh);
	iov.iov_base = buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof u.buf;
	do
		n = recvmsg(fd, &mh, flags);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_TIMESTAMPNS) {
			memcpy(&ts, CMSG_DATA(cm), sizeof ts);
			if (ts.tv_sec != 0 || ts.tv_nsec != 0)
				*rt_ns = (int64_t)ts.tv_sec * NS + ts.tv_nsec;
		}
	return n;
}

int64_t
rxstamp_peek(const struct rxclock *c, int fd)
{
	int64_t	 rt;
	char	 b;

	if (rxstamp_recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT, &rt) <= 0)
		return -1;
	return rxclock_mono(c, rt);
}
