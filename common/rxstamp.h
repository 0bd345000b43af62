/*
 * rxstamp.h: when the kernel received TCP data (SO_TIMESTAMPNS), on the
 * monotonic clock.  The timestamps the kernel attaches are CLOCK_REALTIME;
 * an rxclock holds the REALTIME - MONOTONIC offset, read again at most
 * once a second, to move them onto CLOCK_MONOTONIC.  Used by the model
 * simulator (a request's arrival), the bench engines and stream-load (a
 * response's bytes), so that a busy event loop's lateness in reading does
 * not count as the server's or the network's.
 */
#ifndef MAAS_RXSTAMP_H
#define MAAS_RXSTAMP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct rxclock {
	int64_t	 off;		/* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
	int64_t	 at;		/* monotonic ns it was read; 0: never */
};

/* Read the offset now. */
void	 rxclock_read(struct rxclock *);
/* Read it if never read or read over a second ago. */
void	 rxclock_update(struct rxclock *);
/* Ask the kernel to timestamp what fd receives (0, or -1 with errno). */
int	 rxstamp_enable(int fd);
/*
 * A received CLOCK_REALTIME time in ns on the monotonic clock (ns), or -1
 * when it is implausible: over 1 ms later than now or over 10 s ago (the
 * realtime clock stepped between two offset readings); a time up to 1 ms
 * ahead (the offset's reading error) is taken as now.
 */
int64_t	 rxclock_mono(const struct rxclock *, int64_t rt_ns);
/*
 * recvmsg(2) into buf (flags as recv(2)); *rt_ns gets the kernel's
 * receive time of the data (CLOCK_REALTIME ns), -1 when none came.
 */
ssize_t	 rxstamp_recv(int fd, void *buf, size_t len, int flags,
	    int64_t *rt_ns);
/*
 * The receive time (monotonic ns) of the oldest unread byte on fd, or -1:
 * a 1-byte MSG_PEEK that leaves the data for whoever reads it next.
 */
int64_t	 rxstamp_peek(const struct rxclock *, int fd);

#endif
