/*
 * hist.h: log-linear latency histograms with a fixed relative error.
 *
 * Values are unsigned integers in a unit the caller picks (nanoseconds for
 * latencies, tokens for lengths).  Values below 2^sigbits are counted
 * exactly; above that each power of two is split into 2^(sigbits-1)
 * buckets, so a reported percentile is within 2^-(sigbits-1) of the true
 * value (relative).  Memory is fixed per histogram, merging is exact (the
 * counts add), and histograms export to and import from JSON, so workers
 * can be merged by a coordinator.
 */
#ifndef MAAS_HIST_H
#define MAAS_HIST_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"

#define HIST_SIGBITS_MIN	2
#define HIST_SIGBITS_MAX	14

struct hist;

/* A histogram with the given precision (2..14 significant bits). */
struct hist	*hist_new(int sigbits);
void		 hist_free(struct hist *);
void		 hist_reset(struct hist *);
/* Count one value / n equal values. */
void		 hist_add(struct hist *, uint64_t);
void		 hist_add_n(struct hist *, uint64_t, uint64_t n);
uint64_t	 hist_count(const struct hist *);
uint64_t	 hist_min(const struct hist *);	/* 0 when empty */
uint64_t	 hist_max(const struct hist *);	/* 0 when empty */
double		 hist_mean(const struct hist *);	/* 0 when empty */
double		 hist_stddev(const struct hist *);	/* 0 when < 2 values */
/* The p-th percentile (0 <= p <= 100), nearest-rank, bucket midpoint
 * clamped to [min, max]; 0 when empty. */
uint64_t	 hist_percentile(const struct hist *, double p);
/* How many values lie below v, within the histogram's precision (a
 * bucket counts whole when its lowest value is below v). */
uint64_t	 hist_count_below(const struct hist *, uint64_t v);
/* Largest relative error of a reported value for this precision. */
double		 hist_precision(const struct hist *);
/* Add src's counts into dst; both must have the same sigbits. */
int		 hist_merge(struct hist *dst, const struct hist *src,
		    struct err *);
/* Export as JSON {"sigbits","count","min","max","sum","sumsq",
 * "buckets":[[index,count],...]} (sparse); import validates it. */
cJSON		*hist_export(const struct hist *);
struct hist	*hist_import(const cJSON *, struct err *);

#endif
