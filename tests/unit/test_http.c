/*
 * test_http.c: unit tests for the pure parts of common/http.c: Retry-After
 * parsing, backoff bounds, the retry classification, header lookup and
 * escaping.  The network side is tested in tests/cli/http.bats.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "tap.h"

TEST(retry_after_seconds)
{
	is_int((long)http_retry_after("120", NULL, 1000), 120, "delay-seconds");
	is_int((long)http_retry_after("0", NULL, 1000), 0, "zero seconds");
	is_int((long)http_retry_after(" 7 ", NULL, 1000), 7, "spaces around");
	ok(http_retry_after("-5", NULL, 1000) < 0, "negative is malformed");
	ok(http_retry_after("soon", NULL, 1000) < 0, "words are malformed");
	ok(http_retry_after("12abc", NULL, 1000) < 0, "trailing junk");
	ok(http_retry_after("", NULL, 1000) < 0, "empty");
	ok(http_retry_after(NULL, NULL, 1000) < 0, "absent");
}

TEST(retry_after_ms)
{
	ok(http_retry_after(NULL, "250", 0) == 0.25, "retry-after-ms 250");
	ok(http_retry_after("10", "1500", 0) == 1.5,
	    "retry-after-ms wins over Retry-After");
	is_int((long)http_retry_after("10", "bogus", 0), 10,
	    "a malformed retry-after-ms falls back to Retry-After");
	ok(http_retry_after(NULL, "-1", 0) < 0, "negative ms is malformed");
}

TEST(retry_after_date)
{
	long	 base = http_parse_date("Wed, 21 Oct 2015 07:28:00 GMT");

	is_int(base, 1445412480, "the IMF date in epoch seconds");
	is_int((long)http_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", NULL,
	    base), 30, "IMF-fixdate 30 s ahead");
	is_int((long)http_retry_after("Wednesday, 21-Oct-15 07:29:00 GMT",
	    NULL, base), 60, "RFC 850 date");
	is_int((long)http_retry_after("Wed Oct 21 07:28:10 2015", NULL, base),
	    10, "asctime date");
	is_int((long)http_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", NULL,
	    base), 0, "a date in the past means now");
	ok(http_retry_after("Wed, 99 Foo 2015 07:00:00 GMT", NULL, base) < 0,
	    "a broken date is malformed");
}

TEST(backoff_bounds)
{
	int	 a;
	double	 u, b, hi;

	for (a = 1; a <= 12; a++) {
		hi = 0.25 * (double)(1 << (a - 1));
		if (hi > 8)
			hi = 8;
		ok(http_backoff(a, 0.25, 8, 0) == 0,
		    "attempt %d: full jitter starts at 0", a);
		b = http_backoff(a, 0.25, 8, 0.999999);
		ok(b <= hi && b > hi * 0.99,
		    "attempt %d: ceiling %.2f (got %.4f)", a, hi, b);
	}
	for (u = 0; u < 1; u += 0.125)
		ok(http_backoff(3, 0.5, 10, u) == 2.0 * u,
		    "attempt 3 base 0.5: %.3f scales linearly", u);
	ok(http_backoff(1000, 0.25, 8, 0.5) == 4, "huge attempt stays capped");
	ok(http_backoff(0, 0.25, 8, 0.5) == 0.125, "attempt 0 treated as 1");
	ok(http_backoff(2, 1, 8, 7) < 2, "u above 1 is clamped");
}

TEST(classification)
{
	ok(http_idempotent("GET") && http_idempotent("head") &&
	    http_idempotent("PUT") && http_idempotent("DELETE") &&
	    http_idempotent("OPTIONS"), "GET HEAD PUT DELETE OPTIONS resend");
	ok(!http_idempotent("POST") && !http_idempotent("PATCH"),
	    "POST and PATCH do not");
	ok(http_idempotent(NULL), "no method is GET");
	ok(http_status_retryable(429) && http_status_retryable(502) &&
	    http_status_retryable(503) && http_status_retryable(504),
	    "429 502 503 504 are retried");
	ok(!http_status_retryable(500) && !http_status_retryable(404) &&
	    !http_status_retryable(200) && !http_status_retryable(501),
	    "500 404 200 501 are not");
}

TEST(header_lookup)
{
	struct http_response	 r = HTTP_RESPONSE_INIT;

	sl_add(&r.headers, "Content-Type: application/json");
	sl_add(&r.headers, "retry-after:   5");
	sl_add(&r.headers, "X-Empty:");
	sl_add(&r.headers, "Content-Type-Options: nosniff");
	is_str(http_header(&r, "content-type"), "application/json",
	    "case-insensitive name");
	is_str(http_header(&r, "Retry-After"), "5", "leading spaces skipped");
	is_str(http_header(&r, "x-empty"), "", "empty value");
	is_str(http_header(&r, "Content"), NULL, "a prefix is not a match");
	is_str(http_header(&r, "Missing"), NULL, "absent header");
	http_response_free(&r);
}

TEST(escape)
{
	char	*s = http_escape("app=a b,tier in (x)");

	is_str(s, "app%3Da%20b%2Ctier%20in%20%28x%29", "query escaping");
	free(s);
}

TEST(bad_url)
{
	struct http_request	 req;
	struct http_response	 resp = HTTP_RESPONSE_INIT;
	struct err		 e = ERR_INIT;

	memset(&req, 0, sizeof req);
	req.url = "not a url";
	is_int(http_do(NULL, &req, &resp, &e), -1, "malformed URL fails");
	is_int(e.code, EXIT_USAGE, "as a usage error");
	ok(e.msg != NULL && strstr(e.msg, "invalid URL \"not a url\"") != NULL,
	    "naming the URL: %s", e.msg ? e.msg : "");
	err_clear(&e);
	http_response_free(&resp);
}

int
main(void)
{
	RUN(retry_after_seconds);
	RUN(retry_after_ms);
	RUN(retry_after_date);
	RUN(backoff_bounds);
	RUN(classification);
	RUN(header_lookup);
	RUN(escape);
	RUN(bad_url);
	return tap_done();
}
