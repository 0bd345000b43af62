/*
 * clock-floor.c: how late this machine lets a process see a deadline, the
 * floor under any timing a simulator or client can keep here
 * (tests/bench/modelsim.sh, bench-accuracy.sh).
 *
 *	clock-floor [--poll] [--period-ms MS] [--count N]
 *
 * Every MS milliseconds (default 20) a deadline falls due, N times
 * (default 500), on absolute CLOCK_MONOTONIC deadlines.  Without --poll
 * the process sleeps to each one (clock_nanosleep TIMER_ABSTIME), as a
 * sleeping event loop does; with --poll it never sleeps and reads the
 * clock in a loop, as a busy-polling one does.  Either way it prints how
 * late it saw each deadline, in milliseconds:
 *
 *	sleep period 20 ms n 500 late p50 0.186 p99 1.942 max 2.110 ms
 *
 * Nothing else runs in the process (no I/O), so what it shows is the
 * scheduler's, the timer interrupt's and the hypervisor's share alone:
 * wake-up latency for a sleeper, preemption and stolen time for a poller.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

static double
ts_sec(const struct timespec *ts)
{
	return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
usage(const char *why)
{
	fprintf(stderr, "clock-floor: %s\nusage: clock-floor [--poll] "
	    "[--period-ms MS] [--count N]\n", why);
	exit(2);
}

int
main(int argc, char **argv)
{
	struct timespec dl;
	double period = 0.020, *late, t, now;
	char *end;
	long count = 500, i;
	int poll = 0, a;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--poll") == 0)
			poll = 1;
		else if (strcmp(argv[a], "--period-ms") == 0 && a + 1 < argc) {
			period = strtod(argv[++a], &end) / 1e3;
			if (*end != '\0' || !(period > 0 && period <= 10))
				usage("--period-ms: want milliseconds in "
				    "(0, 10000]");
		} else if (strcmp(argv[a], "--count") == 0 && a + 1 < argc) {
			count = strtol(argv[++a], &end, 10);
			if (*end != '\0' || count < 1 || count > 10000000)
				usage("--count: want a whole number from 1 to "
				    "10000000");
		} else
			usage("unknown option or missing value");
	}
	if ((late = calloc((size_t)count, sizeof(*late))) == NULL)
		usage("out of memory");
	clock_gettime(CLOCK_MONOTONIC, &dl);
	for (i = 0; i < count; i++) {
		dl.tv_nsec += (long)(period * 1e9);
		while (dl.tv_nsec >= 1000000000L) {
			dl.tv_nsec -= 1000000000L;
			dl.tv_sec++;
		}
		t = ts_sec(&dl);
		if (poll)
			do
				now = clock_mono_s();
			while (now < t);
		else {
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
			    &dl, NULL) == EINTR)
				;
			now = clock_mono_s();
		}
		late[i] = now - t;
	}
	qsort(late, (size_t)count, sizeof(*late), cmp_double);
	printf("%s period %g ms n %ld late p50 %.3f p99 %.3f max %.3f ms\n",
	    poll ? "poll" : "sleep", period * 1e3, count,
	    late[(size_t)(0.50 * (double)(count - 1) + 0.5)] * 1e3,
	    late[(size_t)(0.99 * (double)(count - 1) + 0.5)] * 1e3,
	    late[count - 1] * 1e3);
	free(late);
	return 0;
}
