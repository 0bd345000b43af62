/* test_stages.c: --stages parsing, concurrency steps, staged schedules. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stages.h"
#include "tap.h"

static void
bad(const char *s, const char *why)
{
	struct err	 e = ERR_INIT;
	struct stage	*v = NULL;
	size_t		 n = 0;
	int		 rate;

	ok(stages_parse(s, &v, &n, &rate, &e) == -1 && e.code == EXIT_USAGE &&
	    e.msg != NULL && strstr(e.msg, why) != NULL && v == NULL,
	    "stages \"%s\" rejected: %s", s, e.msg ? e.msg : "(accepted)");
	err_clear(&e);
}

TEST(parse)
{
	struct err	 e = ERR_INIT;
	struct stage	*v;
	size_t		 n;
	int		 rate = -1;

	ok(stages_parse("10@30s,1..50@1m", &v, &n, &rate, &e) == 0 &&
	    n == 2 && rate == 0, "two concurrency stages");
	ok(v[0].from == 10 && v[0].to == 10 && v[0].dur == 30 &&
	    v[0].start == 0, "a hold");
	ok(v[1].from == 1 && v[1].to == 50 && v[1].dur == 60 &&
	    v[1].start == 30, "a ramp starting where the hold ends");
	ok(stages_duration(v, n) == 90 && stages_peak(v, n) == 50,
	    "duration 90 s, peak 50");
	stages_free(v, n);
	ok(stages_parse("rate=0.5..2.5@10s,rate=3@1s", &v, &n, &rate, &e) ==
	    0 && n == 2 && rate == 1 && v[0].to == 2.5, "rate stages");
	stages_free(v, n);
	bad("", "no stage");
	bad("10", "wants LOAD@DURATION");
	bad("c=1.5@1s", "a concurrency (an integer)");
	bad("rate=x@1s", "a rate (requests/s)");
	bad("1..@1s", "FROM..TO");
	bad("5@-1s", "wants a duration");
	bad("rate=1@1s,c=1@1s", "mix rate= and c=");
	bad("0@1s,0..0@1s", "load of 0");
}

TEST(steps)
{
	struct err	 e = ERR_INIT;
	struct stage	*v;
	struct lg_step	*s;
	size_t		 n, ns;
	int		 rate;

	stages_parse("1..4@3s,4@1s,2@1s", &v, &n, &rate, &e);
	s = stages_steps(v, n, &ns);
	ok(ns == 5, "5 steps (1, 2, 3, 4, then 2): %zu", ns);
	ok(s[0].at == 0 && s[0].concurrency == 1, "1 at 0 s");
	ok(s[1].at == 1000000000LL && s[1].concurrency == 2, "2 at 1 s");
	ok(s[3].at == 3000000000LL && s[3].concurrency == 4,
	    "4 reached at the ramp's end");
	ok(s[4].at == 4000000000LL && s[4].concurrency == 2,
	    "the hold at 4 needs no step; 2 at 4 s");
	free(s);
	stages_free(v, n);
}

TEST(schedule)
{
	struct err	 e = ERR_INIT;
	struct stage	*v;
	int64_t		*d, *d2;
	size_t		 n, m, m2, i;
	int		 rate, sorted = 1;

	stages_parse("rate=10@2s,10..30@2s", &v, &n, &rate, &e);
	d = stages_schedule(v, n, LG_ARRIVAL_CONSTANT, 1, 1, 1000, &m);
	ok(m == 60 && v[0].count == 20 && v[1].count == 40,
	    "20 then 40 requests: %zu", m);
	ok(d[0] == 0 && d[1] == 100000000LL && d[19] == 1900000000LL,
	    "constant gaps of 100 ms in the hold");
	/* k-th of the ramp: 10x + 5x^2 = k. */
	ok(llabs(d[20] - 2000000000LL) < 1000 &&
	    fabs((double)d[40] / 1e9 - (2 + (-10 + sqrt(100 + 400)) / 10)) <
	    1e-6, "ramp deadlines from the integrated rate");
	for (i = 1; i < m; i++)
		sorted &= d[i] >= d[i - 1];
	ok(sorted && d[m - 1] < 4000000000LL, "ascending, inside the stages");
	free(d);
	d = stages_schedule(v, n, LG_ARRIVAL_POISSON, 1, 7, 1000, &m);
	d2 = stages_schedule(v, n, LG_ARRIVAL_POISSON, 1, 7, 1000, &m2);
	ok(m == 60 && m2 == 60 && memcmp(d, d2, m * sizeof *d) == 0,
	    "poisson: the same seed gives the same schedule");
	free(d2);
	d2 = stages_schedule(v, n, LG_ARRIVAL_POISSON, 1, 8, 1000, &m2);
	ok(memcmp(d, d2, m * sizeof *d) != 0, "another seed, another one");
	free(d2);
	free(d);
	ok(stages_schedule(v, n, LG_ARRIVAL_CONSTANT, 1, 1, 59, &m) == NULL,
	    "over the request limit: NULL");
	stages_free(v, n);
}

int
main(void)
{
	RUN(parse);
	RUN(steps);
	RUN(schedule);
	return tap_done();
}
