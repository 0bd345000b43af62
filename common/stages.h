/*
 * stages.h: staged and ramped load for `maasctl bench --stages`.
 *
 * A stage list is "SPEC[,SPEC...]" where SPEC is N@DURATION (hold the load
 * at N for DURATION) or A..B@DURATION (move it linearly from A to B over
 * DURATION), optionally after "c=" (closed loop: N requests in flight, the
 * default) or "rate=" (open loop: N requests per second); a list is one or
 * the other.  A closed loop becomes concurrency steps
 * for the engine; an open loop becomes one schedule of absolute deadlines
 * whose rate follows the stages (the arrival process runs on the
 * integrated rate, so constant, Poisson and gamma gaps keep their shape).
 */
#ifndef MAAS_STAGES_H
#define MAAS_STAGES_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "loadgen.h"

/* One stage. */
struct stage {
	char		*spec;		/* as given */
	double		 from, to;	/* load at the start and the end */
	double		 start, dur;	/* seconds: start since 0, length */
	uint64_t	 count;		/* open loop: requests scheduled */
};

/* Parse a stage list; *rate says whether the loads are rates ("rate="
 * before a stage) or concurrencies ("c=", the default).  -1 and e on bad
 * input. */
int	 stages_parse(const char *, struct stage **, size_t *n, int *rate,
	    struct err *);
/* Total length in seconds. */
double	 stages_duration(const struct stage *, size_t n);
/* Highest load of any stage. */
double	 stages_peak(const struct stage *, size_t n);
/* Closed loop: concurrency steps (steps[0].at == 0); caller frees. */
struct lg_step *stages_steps(const struct stage *, size_t n, size_t *nsteps);
/* Open loop: the deadlines (ns) of every request, seeded; sets each
 * stage's count.  NULL when the stages schedule more than max requests. */
int64_t	*stages_schedule(struct stage *, size_t n, enum lg_arrival,
	    double burstiness, uint64_t seed, size_t max, size_t *count);
void	 stages_free(struct stage *, size_t n);

#endif
