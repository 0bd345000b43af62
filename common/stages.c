/*
 * stages.c: stage lists (hold and ramp) into concurrency steps or an
 * open-loop schedule (see stages.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "stages.h"
#include "xalloc.h"

/* A load value: a non-negative number (an integer unless rate). */
static int
parse_load(const char *s, const char *end, int rate, double *v)
{
	char	 buf[32], *e;

	/* A copy: strtod would read the "1." of "1..4" otherwise. */
	if (s == end || (size_t)(end - s) >= sizeof buf)
		return -1;
	memcpy(buf, s, (size_t)(end - s));
	buf[end - s] = '\0';
	errno = 0;
	*v = strtod(buf, &e);
	if (*e != '\0' || errno != 0 || !(*v >= 0) || *v > (rate ? 1e7 : 1e6))
		return -1;
	if (!rate && *v != floor(*v))
		return -1;
	return 0;
}

int
stages_parse(const char *spec, struct stage **out, size_t *n, int *ratep,
    struct err *e)
{
	struct stage	*v = NULL, *st;
	char		*copy = xstrdup(spec), *tok, *save = NULL, *at, *dots;
	struct err	 de = ERR_INIT;
	double		 t = 0, peak = 0;
	size_t		 k = 0;
	int		 rate = -1, r;

	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		/* "rate=" or "c=" says what the load is; later stages may
		 * leave it out, never change it. */
		r = -1;
		if (strncmp(tok, "rate=", 5) == 0) {
			r = 1;
			tok += 5;
		} else if (strncmp(tok, "c=", 2) == 0) {
			r = 0;
			tok += 2;
		}
		if (r >= 0 && rate >= 0 && r != rate) {
			err_set(e, EXIT_USAGE, "invalid --stages \"%s\": stages "
			    "mix rate= and c= (a run is open or closed loop)",
			    spec);
			goto bad;
		}
		if (rate < 0)
			rate = r < 0 ? 0 : r;

		v = xrealloc(v, (k + 1) * sizeof *v);
		st = &v[k];
		memset(st, 0, sizeof *st);
		if ((at = strchr(tok, '@')) == NULL) {
			err_set(e, EXIT_USAGE, "invalid --stages \"%s\": stage "
			    "\"%s\" wants LOAD@DURATION or FROM..TO@DURATION",
			    spec, tok);
			goto bad;
		}
		if ((dots = strstr(tok, "..")) != NULL && dots < at) {
			if (parse_load(tok, dots, rate, &st->from) != 0 ||
			    parse_load(dots + 2, at, rate, &st->to) != 0)
				goto badload;
		} else {
			if (parse_load(tok, at, rate, &st->from) != 0)
				goto badload;
			st->to = st->from;
		}
		if (duration_parse(at + 1, &st->dur, &de) != 0 ||
		    !(st->dur > 0) || st->dur > 86400 * 7) {
			err_clear(&de);
			err_set(e, EXIT_USAGE, "invalid --stages \"%s\": stage "
			    "\"%s\" wants a duration such as 30s or 2m after "
			    "@", spec, tok);
			goto bad;
		}
		st->spec = xstrdup(tok);
		st->start = t;
		t += st->dur;
		if (st->from > peak)
			peak = st->from;
		if (st->to > peak)
			peak = st->to;
		k++;
	}
	if (k == 0) {
		err_set(e, EXIT_USAGE, "invalid --stages \"%s\": no stage",
		    spec);
		goto bad;
	}
	if (!(peak > 0)) {
		err_set(e, EXIT_USAGE, "invalid --stages \"%s\": every stage "
		    "has a load of 0", spec);
		goto bad;
	}
	free(copy);
	*out = v;
	*n = k;
	*ratep = rate;
	return 0;
badload:
	err_set(e, EXIT_USAGE, "invalid --stages \"%s\": stage \"%s\" wants "
	    "%s before @, or FROM..TO for a ramp", spec, tok, rate ?
	    "a rate (requests/s)" : "a concurrency (an integer)");
bad:
	stages_free(v, k);
	free(copy);
	*out = NULL;
	*n = 0;
	return -1;
}

double
stages_duration(const struct stage *v, size_t n)
{
	return n > 0 ? v[n - 1].start + v[n - 1].dur : 0;
}

double
stages_peak(const struct stage *v, size_t n)
{
	double	 p = 0;
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (v[i].from > p)
			p = v[i].from;
		if (v[i].to > p)
			p = v[i].to;
	}
	return p;
}

static void
step_add(struct lg_step **s, size_t *n, size_t *cap, double at, long c)
{
	if (*n > 0 && (*s)[*n - 1].concurrency == c)
		return;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*s = xrealloc(*s, *cap * sizeof **s);
	}
	(*s)[*n].at = (int64_t)llround(at * 1e9);
	(*s)[*n].concurrency = c;
	(*n)++;
}

struct lg_step *
stages_steps(const struct stage *v, size_t n, size_t *nsteps)
{
	struct lg_step	*s = NULL;
	size_t		 k = 0, cap = 0, i;
	long		 a, b, c;

	for (i = 0; i < n; i++) {
		a = (long)v[i].from;
		b = (long)v[i].to;
		step_add(&s, &k, &cap, v[i].start, a);
		/* A ramp: one more (or one fewer) request in flight at each
		 * of |b - a| evenly spaced moments, b reached at the end. */
		for (c = a; c != b;) {
			c += b > a ? 1 : -1;
			step_add(&s, &k, &cap, v[i].start + v[i].dur *
			    (double)labs(c - a) / (double)labs(b - a), c);
		}
	}
	if (k == 0)
		step_add(&s, &k, &cap, 0, 0);
	*nsteps = k;
	return s;
}

/* Seconds into a stage at which the integrated rate reaches m requests:
 * the rate goes linearly from a to b over d, so m = a x + (b - a) x^2/2d. */
static double
invert(double a, double b, double d, double m)
{
	double	 q;

	if (fabs(b - a) < 1e-12)
		return a > 0 ? m / a : 0;
	q = a * a + 2 * (b - a) * m / d;
	if (q < 0)
		q = 0;
	return a + sqrt(q) > 0 ? 2 * m / (a + sqrt(q)) : 0;
}

int64_t *
stages_schedule(struct stage *v, size_t n, enum lg_arrival arr, double k,
    uint64_t seed, size_t max, size_t *count)
{
	int64_t		*d = NULL;
	double		*g = NULL, mass, sum, acc, x;
	uint64_t	 rng = seed;
	size_t		 i, j, total = 0, m;

	for (i = 0; i < n; i++) {
		mass = (v[i].from + v[i].to) / 2 * v[i].dur;
		v[i].count = (uint64_t)llround(mass);
		total += (size_t)v[i].count;
		if (total > max)
			return NULL;
	}
	d = xcalloc(total ? total : 1, sizeof *d);
	for (i = 0, m = 0; i < n; i++) {
		if (v[i].count == 0)
			continue;
		mass = (v[i].from + v[i].to) / 2 * v[i].dur;
		/* Unit-mean gaps of the chosen process, rescaled so the
		 * stage's requests spread over exactly its mass (the offered
		 * count is the asked one, whatever the draw). */
		g = xrealloc(g, (size_t)v[i].count * sizeof *g);
		for (j = 0, sum = 0; j < v[i].count; j++) {
			switch (arr) {
			case LG_ARRIVAL_CONSTANT:
				g[j] = 1;
				break;
			case LG_ARRIVAL_POISSON:
				g[j] = -log(1 - lg_uniform(&rng));
				break;
			default:
				g[j] = lg_gamma(&rng, k) / k;
				break;
			}
			sum += g[j];
		}
		for (j = 0, acc = 0; j < v[i].count; j++) {
			x = invert(v[i].from, v[i].to, v[i].dur,
			    sum > 0 ? mass * acc / sum : 0);
			if (x > v[i].dur)
				x = v[i].dur;
			d[m++] = (int64_t)llround((v[i].start + x) * 1e9);
			acc += g[j];
		}
	}
	free(g);
	*count = m;
	return d;
}

void
stages_free(struct stage *v, size_t n)
{
	size_t	 i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i].spec);
	free(v);
}
