/*
 * gw_limit.c: token counters as Limitador keeps them for the generated
 * TokenRateLimitPolicy maas-trlp-<model> (MAAS-RESOURCES.md sections
 * 10.2 and 12): one counter per (subscription, model, user) and rate,
 * a fixed window that starts with the counter's first hit, tokens added
 * after each response from usage.total_tokens.  A request is refused
 * (429) when a counter has already reached its limit, so the request
 * that crosses the limit still succeeds.  All of a user's keys on one
 * subscription share the budget.  Counters live in memory: a restart
 * starts every window afresh.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "gw.h"

struct counter {
	char		*key;		/* sub@model|user|rate index */
	double		 start;		/* window start, monotonic seconds */
	double		 window;
	long long	 used;		/* tokens in this window */
};

static struct counter	*ctrs;
static size_t		 nctrs, cctrs;

/* The counter for rate i of g, created (or its window restarted) as
 * needed when create is set; NULL when absent. */
static struct counter *
counter(const struct gw_grant *g, const struct gw_model *m, const char *user,
    size_t i, double now, int create)
{
	char		*key;
	struct counter	*c = NULL;
	size_t		 j;

	key = xasprintf("%s/%s@%s/%s|%s|%s|%zu", g->sub_ns, g->sub, m->ns,
	    m->name, user, g->rates[i].window_text, i);
	for (j = 0; j < nctrs; j++)
		if (strcmp(ctrs[j].key, key) == 0) {
			c = &ctrs[j];
			break;
		}
	if (c != NULL && now >= c->start + c->window) {
		c->start = now;
		c->used = 0;
	}
	if (c == NULL && create) {
		/* Reuse a finished window's slot before growing. */
		for (j = 0; j < nctrs; j++)
			if (now >= ctrs[j].start + ctrs[j].window)
				break;
		if (j == nctrs) {
			if (nctrs == cctrs) {
				cctrs = cctrs ? cctrs * 2 : 64;
				ctrs = xrealloc(ctrs, cctrs * sizeof *ctrs);
			}
			nctrs++;
		} else
			free(ctrs[j].key);
		c = &ctrs[j];
		c->key = key;
		key = NULL;
		c->start = now;
		c->window = g->rates[i].window;
		c->used = 0;
	}
	free(key);
	return c;
}

int
gw_limit_over(const struct gw_grant *g, const struct gw_model *m,
    const char *user, double *reset)
{
	struct counter	*c;
	double		 now = clock_mono_s(), left;
	size_t		 i;
	int		 over = 0;

	*reset = 0;
	if (g->default_deny) {
		*reset = 60;
		return 1;
	}
	for (i = 0; i < g->nrates; i++) {
		if ((c = counter(g, m, user, i, now, 0)) == NULL ||
		    c->used < g->rates[i].limit)
			continue;
		over = 1;
		left = c->start + c->window - now;
		if (left > *reset)
			*reset = left;
	}
	return over;
}

void
gw_limit_add(const struct gw_grant *g, const struct gw_model *m,
    const char *user, long tokens)
{
	struct counter	*c;
	double		 now = clock_mono_s();
	size_t		 i;

	if (tokens <= 0)
		return;
	for (i = 0; i < g->nrates; i++)
		if ((c = counter(g, m, user, i, now, 1)) != NULL)
			c->used += tokens;
}

void
gw_limit_shutdown(void)
{
	size_t	i;

	for (i = 0; i < nctrs; i++)
		free(ctrs[i].key);
	free(ctrs);
	ctrs = NULL;
	nctrs = cctrs = 0;
}
