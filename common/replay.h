/*
 * replay.h: `maasctl bench --replay FILE`: the realised schedule of an
 * earlier run, read back from its --raw NDJSON, sent again exactly: every
 * measured request at its intended time (from the first), with its request
 * number (so the workload, from the seed, draws the same lengths, prefixes
 * and conversation turn) and its class.
 */
#ifndef MAAS_REPLAY_H
#define MAAS_REPLAY_H

#include <stdint.h>

#include "err.h"
#include "loadgen.h"
#include "workload.h"

/* One request of the earlier run. */
struct rp_item {
	int64_t		 at;		/* intended time, ns from the first */
	uint64_t	 seq;		/* its request number */
	char		*cls;		/* its class name */
	size_t		 cls_index;	/* the class in this run's mix */
	long		 prompt_tokens;	/* server usage then, -1 unknown */
	long		 session;	/* multi-turn conversation, or -1 */
	long		 turn;		/* its turn from 0, or -1 */
	int		 ok;		/* it succeeded then */
};

/* The earlier run's schedule. */
struct rp {
	struct rp_item	*v;		/* in intended-time order */
	size_t		 n;
	double		 span;		/* s from the first to the last */
	uint64_t	 seed;		/* the run's seed, when recorded */
	int		 has_seed;
	const struct wl_mix *mix;	/* this run's workload (rp_bind) */
	uint64_t	 compared;	/* ok both times, prompt tokens known */
	uint64_t	 differ;	/* of them with other prompt tokens */
};

/* Read a --raw file's measured requests; -1 with e set. */
int	 rp_load(struct rp *, const char *path, struct err *);
/* Tie every request's class to this run's mix; -1 when one is missing. */
int	 rp_bind(struct rp *, const struct wl_mix *, const char *path,
	    struct err *);
/* The original request numbers, in schedule order (caller frees). */
uint64_t *rp_seqs(const struct rp *);
/* The deadlines, ns from 0 (caller frees). */
int64_t	*rp_schedule(const struct rp *);
/* The body of replayed request i (an lg_body_fn over a bound rp). */
int	 rp_body(void *rp, uint64_t i, struct lg_body *, struct err *);
/* Compare a replayed result with the original request. */
void	 rp_check(struct rp *, const struct lg_result *);
void	 rp_free(struct rp *);

#endif
