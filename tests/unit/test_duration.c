/* test_duration.c: Go durations, days, bare seconds, token windows. */
#include <math.h>
#include <stdlib.h>

#include "duration.h"
#include "tap.h"

static void
dur_ok(const char *s, double want)
{
	struct err	 e = ERR_INIT;
	double		 got = -1;
	int		 rc;

	rc = duration_parse(s, &got, &e);
	ok(rc == 0 && fabs(got - want) < 1e-9, "duration \"%s\" = %g (got %g)",
	    s, want, got);
	err_clear(&e);
}

static void
dur_bad(const char *s, const char *why)
{
	struct err	 e = ERR_INIT;
	double		 got;

	ok(duration_parse(s, &got, &e) == -1 && e.code == EXIT_USAGE &&
	    e.msg != NULL && strstr(e.msg, why) != NULL,
	    "duration \"%s\" rejected: %s", s, e.msg ? e.msg : "(accepted)");
	err_clear(&e);
}

TEST(parse)
{
	dur_ok("30s", 30);
	dur_ok("1h30m", 5400);
	dur_ok("500ms", 0.5);
	dur_ok("1.5h", 5400);
	dur_ok("90d", 90 * 86400);
	dur_ok("30", 30);
	dur_ok("0", 0);
	dur_ok("2.5", 2.5);
	dur_ok("1h1m1s1ms", 3661.001);
	dur_ok("10us", 1e-5);
	dur_ok("10\xc2\xb5s", 1e-5);
	dur_ok("100ns", 1e-7);
	dur_ok(".5s", 0.5);
	dur_bad("", "empty");
	dur_bad("-5s", "negative");
}

TEST(parse_errors)
{
	dur_bad("abc", "expected a number");
	dur_bad("5x", "unknown unit");
	dur_bad("1h30", "missing unit");
	dur_bad("1e3s", "expected a number");
	dur_bad("s", "expected a number");
	dur_bad("99999999999999h", "too large");
}

TEST(format)
{
	char	*s;

	s = duration_format(5400); is_str(s, "1h30m0s", "1h30m"); free(s);
	s = duration_format(0.5); is_str(s, "500ms", "500ms"); free(s);
	s = duration_format(0); is_str(s, "0s", "zero"); free(s);
	s = duration_format(61.5); is_str(s, "1m1.5s", "61.5s"); free(s);
	s = duration_format(2e-6); is_str(s, "2\xc2\xb5s", "2us"); free(s);
	s = duration_format(3); is_str(s, "3s", "3s"); free(s);
}

TEST(window)
{
	struct err	 e = ERR_INIT;
	double		 v = 0;

	ok(duration_window("1m", &v, &e) == 0 && v == 60, "window 1m");
	ok(duration_window("24h", &v, &e) == 0 && v == 86400, "window 24h");
	ok(duration_window("9999s", &v, &e) == 0 && v == 9999, "window 9999s");
	ok(duration_window("8784h", &v, &e) == 0, "window 8784h");
	ok(duration_window("8785h", &v, &e) == -1 &&
	    strstr(e.msg, "8784h") != NULL, "window over 366 days");
	err_clear(&e);
	ok(duration_window("1d", &v, &e) == -1 &&
	    strstr(e.msg, "days are not allowed") != NULL, "window 1d");
	err_clear(&e);
	ok(duration_window("0m", &v, &e) == -1, "window 0m");
	err_clear(&e);
	ok(duration_window("10000s", &v, &e) == -1, "window 10000s");
	err_clear(&e);
	ok(duration_window("m", &v, &e) == -1, "window m");
	err_clear(&e);
	ok(duration_window("1.5h", &v, &e) == -1, "window 1.5h");
	err_clear(&e);
}

int
main(void)
{
	RUN(parse);
	RUN(parse_errors);
	RUN(format);
	RUN(window);
	return tap_done();
}
