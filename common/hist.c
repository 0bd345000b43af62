/*
 * hist.c: log-linear histograms (see hist.h for the bucket scheme).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "xalloc.h"

struct hist {
	int		 sigbits;	/* significant bits kept */
	uint64_t	 sub;		/* 2^sigbits: exact values below this */
	uint64_t	 half;		/* buckets per power of two above sub */
	size_t		 nbuckets;	/* total bucket count */
	uint64_t	*counts;	/* nbuckets counters */
	uint64_t	 count;		/* values counted */
	uint64_t	 min, max;	/* extremes, valid when count > 0 */
	double		 sum;		/* sum of values, for the mean */
	double		 sumsq;		/* sum of squares, for stddev */
};

static int
msb(uint64_t v)
{
	return 63 - __builtin_clzll(v);
}

static size_t
bucket_of(const struct hist *h, uint64_t v)
{
	int	 m, shift;

	if (v < h->sub)
		return (size_t)v;
	m = msb(v);
	shift = m - h->sigbits + 1;
	return (size_t)(h->sub + (uint64_t)(m - h->sigbits) * h->half +
	    ((v >> shift) - h->half));
}

/* The lowest value of bucket i, and its width. */
static void
bucket_range(const struct hist *h, size_t i, uint64_t *lo, uint64_t *width)
{
	uint64_t	 k, j;
	int		 shift;

	if (i < h->sub) {
		*lo = i;
		*width = 1;
		return;
	}
	k = (i - h->sub) / h->half;	/* which power of two above sub */
	j = (i - h->sub) % h->half;
	shift = (int)k + 1;
	*lo = (h->half + j) << shift;
	*width = (uint64_t)1 << shift;
}

struct hist *
hist_new(int sigbits)
{
	struct hist	*h;

	if (sigbits < HIST_SIGBITS_MIN)
		sigbits = HIST_SIGBITS_MIN;
	if (sigbits > HIST_SIGBITS_MAX)
		sigbits = HIST_SIGBITS_MAX;
	h = xcalloc(1, sizeof *h);
	h->sigbits = sigbits;
	h->sub = (uint64_t)1 << sigbits;
	h->half = h->sub / 2;
	h->nbuckets = (size_t)(h->sub + (uint64_t)(64 - sigbits) * h->half);
	h->counts = xcalloc(h->nbuckets, sizeof *h->counts);
	return h;
}

void
hist_free(struct hist *h)
{
	if (h == NULL)
		return;
	free(h->counts);
	free(h);
}

void
hist_reset(struct hist *h)
{
	memset(h->counts, 0, h->nbuckets * sizeof *h->counts);
	h->count = h->min = h->max = 0;
	h->sum = h->sumsq = 0;
}

void
hist_add_n(struct hist *h, uint64_t v, uint64_t n)
{
	if (n == 0)
		return;
	h->counts[bucket_of(h, v)] += n;
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (h->count == 0 || v > h->max)
		h->max = v;
	h->count += n;
	h->sum += (double)v * (double)n;
	h->sumsq += (double)v * (double)v * (double)n;
}

void
hist_add(struct hist *h, uint64_t v)
{
	hist_add_n(h, v, 1);
}

uint64_t
hist_count(const struct hist *h)
{
	return h->count;
}

uint64_t
hist_min(const struct hist *h)
{
	return h->count ? h->min : 0;
}

uint64_t
hist_max(const struct hist *h)
{
	return h->count ? h->max : 0;
}

double
hist_mean(const struct hist *h)
{
	return h->count ? h->sum / (double)h->count : 0;
}

double
hist_stddev(const struct hist *h)
{
	double	 mean, var;

	if (h->count < 2)
		return 0;
	mean = h->sum / (double)h->count;
	var = h->sumsq / (double)h->count - mean * mean;
	return var > 0 ? sqrt(var) : 0;
}

double
hist_precision(const struct hist *h)
{
	return 1.0 / (double)h->half;
}

uint64_t
hist_percentile(const struct hist *h, double p)
{
	uint64_t	 rank, seen = 0, lo, width, v;
	size_t		 i;

	if (h->count == 0)
		return 0;
	if (p <= 0)
		return h->min;
	if (p >= 100)
		return h->max;
	rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
	if (rank == 0)
		rank = 1;
	for (i = 0; i < h->nbuckets; i++) {
		seen += h->counts[i];
		if (seen >= rank)
			break;
	}
	if (i == h->nbuckets)
		return h->max;
	bucket_range(h, i, &lo, &width);
	v = lo + (width - 1) / 2;
	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
	return v;
}

uint64_t
hist_count_below(const struct hist *h, uint64_t v)
{
	uint64_t	 n = 0, lo, width;
	size_t		 i;

	for (i = 0; i < h->nbuckets; i++) {
		if (h->counts[i] == 0)
			continue;
		bucket_range(h, i, &lo, &width);
		if (lo >= v)
			break;
		n += h->counts[i];
	}
	return n;
}

int
hist_merge(struct hist *dst, const struct hist *src, struct err *e)
{
	size_t	 i;

	if (dst->sigbits != src->sigbits)
		return err_set(e, EXIT_ERR, "cannot merge histograms of "
		    "different precision (%d and %d significant bits)",
		    dst->sigbits, src->sigbits);
	if (src->count == 0)
		return 0;
	for (i = 0; i < dst->nbuckets; i++)
		dst->counts[i] += src->counts[i];
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (dst->count == 0 || src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
	dst->sumsq += src->sumsq;
	return 0;
}

cJSON *
hist_export(const struct hist *h)
{
	cJSON	*o, *b, *pair;
	size_t	 i;

	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "sigbits", h->sigbits);
	cJSON_AddNumberToObject(o, "count", (double)h->count);
	cJSON_AddNumberToObject(o, "min", (double)hist_min(h));
	cJSON_AddNumberToObject(o, "max", (double)hist_max(h));
	cJSON_AddNumberToObject(o, "sum", h->sum);
	cJSON_AddNumberToObject(o, "sumsq", h->sumsq);
	b = cJSON_AddArrayToObject(o, "buckets");
	for (i = 0; i < h->nbuckets; i++) {
		if (h->counts[i] == 0)
			continue;
		pair = cJSON_CreateArray();
		cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)i));
		cJSON_AddItemToArray(pair,
		    cJSON_CreateNumber((double)h->counts[i]));
		cJSON_AddItemToArray(b, pair);
	}
	return o;
}

static int
get_num(const cJSON *o, const char *k, double *v, struct err *e)
{
	const cJSON	*n = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!cJSON_IsNumber(n) || n->valuedouble < 0)
		return err_set(e, EXIT_USAGE, "histogram: \"%s\" missing or "
		    "not a non-negative number", k);
	*v = n->valuedouble;
	return 0;
}

struct hist *
hist_import(const cJSON *o, struct err *e)
{
	struct hist	*h;
	const cJSON	*b, *pair, *idx, *cnt;
	double		 sig = 0, count = 0, mn = 0, mx = 0, sum = 0, sumsq = 0;
	uint64_t	 total = 0;

	if (!cJSON_IsObject(o)) {
		err_set(e, EXIT_USAGE, "histogram: not a JSON object");
		return NULL;
	}
	if (get_num(o, "sigbits", &sig, e) || get_num(o, "count", &count, e) ||
	    get_num(o, "min", &mn, e) || get_num(o, "max", &mx, e) ||
	    get_num(o, "sum", &sum, e) || get_num(o, "sumsq", &sumsq, e))
		return NULL;
	if (sig < HIST_SIGBITS_MIN || sig > HIST_SIGBITS_MAX ||
	    sig != floor(sig)) {
		err_set(e, EXIT_USAGE, "histogram: sigbits %g out of range "
		    "%d..%d", sig, HIST_SIGBITS_MIN, HIST_SIGBITS_MAX);
		return NULL;
	}
	b = cJSON_GetObjectItemCaseSensitive(o, "buckets");
	if (!cJSON_IsArray(b)) {
		err_set(e, EXIT_USAGE, "histogram: \"buckets\" is not an "
		    "array");
		return NULL;
	}
	h = hist_new((int)sig);
	cJSON_ArrayForEach(pair, b) {
		idx = cJSON_GetArrayItem(pair, 0);
		cnt = cJSON_GetArrayItem(pair, 1);
		if (cJSON_GetArraySize(pair) != 2 || !cJSON_IsNumber(idx) ||
		    !cJSON_IsNumber(cnt) || idx->valuedouble < 0 ||
		    idx->valuedouble >= (double)h->nbuckets ||
		    cnt->valuedouble < 0) {
			err_set(e, EXIT_USAGE, "histogram: bad bucket entry");
			hist_free(h);
			return NULL;
		}
		h->counts[(size_t)idx->valuedouble] +=
		    (uint64_t)cnt->valuedouble;
		total += (uint64_t)cnt->valuedouble;
	}
	if ((double)total != count || (count > 0 && mn > mx)) {
		err_set(e, EXIT_USAGE, "histogram: bucket counts (%llu) do "
		    "not add up to count (%.0f)", (unsigned long long)total,
		    count);
		hist_free(h);
		return NULL;
	}
	h->count = total;
	h->min = (uint64_t)mn;
	h->max = (uint64_t)mx;
	h->sum = sum;
	h->sumsq = sumsq;
	return h;
}
