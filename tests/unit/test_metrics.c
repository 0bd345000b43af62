/*
 * test_metrics.c: the sandbox's telemetry (cli/sandbox/metrics.c and
 * promql.c): recording, the Prometheus text format, the tenant's
 * telemetry settings, and the query API's answers for the shapes maasctl
 * issues (sum by, increase, rate, topk, histogram_quantile, ranges) and
 * its errors.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "tap.h"
#include "json.h"
#include "sandbox/metrics.h"

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The value of the result element whose label `l` is `v`, as a string. */
static const char *
value_of(const cJSON *doc, const char *l, const char *v)
{
	const cJSON	*r, *e;

	r = json_path(doc, "data.result");
	cJSON_ArrayForEach(e, r) {
		const char *got = json_str(e, "metric");
		(void)got;
		got = cJSON_GetStringValue(cJSON_GetObjectItem(
		    cJSON_GetObjectItem(e, "metric"), l));
		if ((v == NULL && got == NULL) ||
		    (v != NULL && got != NULL && strcmp(got, v) == 0))
			return cJSON_GetStringValue(cJSON_GetArrayItem(
			    cJSON_GetObjectItem(e, "value"), 1));
	}
	return NULL;
}

static int
nresults(const cJSON *doc)
{
	return cJSON_GetArraySize(json_path(doc, "data.result"));
}

static cJSON *
q(const char *query, double t, int *status)
{
	return promql_query(query, t, status);
}

TEST(text_format)
{
	char	*body;
	size_t	 len;

	metrics_telemetry_set(1, 1, 1);
	metrics_record("alice", "gold", "llm/qwen", 30, 0, 12.5);
	metrics_record("alice", "gold", "llm/qwen", 0, 1, 0.3);
	metrics_record("bob \"b\"", "free", "llm/qwen", 7, 0, 700);
	body = metrics_render(&len);
	ok(strlen(body) == len, "length matches");
	ok(strstr(body, "# TYPE authorized_hits counter\n") != NULL,
	    "authorized_hits is a counter");
	ok(strstr(body, "# TYPE istio_request_duration_milliseconds "
	    "histogram\n") != NULL, "the latency family is a histogram");
	ok(strstr(body, "authorized_hits{limitador_namespace=\""
	    "openshift-ingress/maas-default-gateway\",model=\"llm/qwen\","
	    "subscription=\"gold\",user=\"alice\"} 30\n") != NULL,
	    "tokens with user, subscription and model labels");
	ok(strstr(body, "limited_calls{limitador_namespace=\"openshift-"
	    "ingress/maas-default-gateway\",subscription=\"gold\","
	    "user=\"alice\"} 1\n") != NULL, "the 429 is a limited call");
	ok(strstr(body, "user=\"bob \\\"b\\\"\"} 7\n") != NULL,
	    "label values are escaped");
	ok(strstr(body, "istio_request_duration_milliseconds_bucket{le=\"10\","
	    "response_code=\"200\",subscription=\"gold\"} 0\n") != NULL &&
	    strstr(body, "istio_request_duration_milliseconds_bucket{le=\"25\","
	    "response_code=\"200\",subscription=\"gold\"} 1\n") != NULL,
	    "12.5 ms falls in the le=25 bucket, not le=10");
	ok(strstr(body, "istio_request_duration_milliseconds_bucket{le=\"+Inf\","
	    "response_code=\"429\",subscription=\"gold\"} 1\n") != NULL,
	    "the +Inf bucket of the 429");
	ok(strstr(body, "istio_request_duration_milliseconds_sum{response_code="
	    "\"200\",subscription=\"free\"} 700\n") != NULL, "_sum");
	ok(strstr(body, "istio_request_duration_milliseconds_count{"
	    "response_code=\"200\",subscription=\"gold\"} 1\n") != NULL,
	    "_count");
	ok(strstr(body, "le=\"5\"") != NULL && strstr(body, "le=\"1e") == NULL,
	    "bucket bounds printed plainly");
	free(body);
	metrics_shutdown();
}

TEST(telemetry_settings)
{
	char	*body;
	size_t	 len;

	metrics_telemetry_set(1, 0, 1);
	metrics_record("carol", "gold", "m", 5, 0, 1);
	body = metrics_render(&len);
	ok(strstr(body, "authorized_hits{limitador_namespace=\"openshift-"
	    "ingress/maas-default-gateway\",model=\"m\",subscription=\"gold\"}"
	    " 5\n") != NULL, "captureUser false: no user label");
	ok(strstr(body, "carol") == NULL, "the user name is nowhere");
	free(body);
	metrics_shutdown();

	metrics_telemetry_set(0, 1, 1);
	metrics_record("carol", "gold", "m", 5, 0, 1);
	body = metrics_render(&len);
	ok(strstr(body, "authorized_hits{limitador_namespace=\"openshift-"
	    "ingress/maas-default-gateway\"} 5\n") != NULL,
	    "telemetry disabled: no user, subscription or model labels");
	ok(strstr(body, "subscription=") == NULL, "no subscription label");
	free(body);
	metrics_shutdown();

	metrics_telemetry_set(1, 1, 0);
	metrics_record("carol", "gold", "m", 5, 0, 1);
	body = metrics_render(&len);
	ok(strstr(body, "model=") == NULL && strstr(body, "user=\"carol\"")
	    != NULL, "captureModelUsage false: no model label");
	free(body);
	metrics_shutdown();
}

TEST(queries)
{
	cJSON	*d;
	int	 st;
	double	 t0;

	metrics_telemetry_set(1, 1, 1);
	metrics_record("alice", "gold", "llm/a", 100, 0, 40);
	metrics_record("alice", "gold", "llm/b", 20, 0, 60);
	metrics_record("bob", "gold", "llm/a", 5, 0, 200);
	metrics_record("bob", "gold", "llm/a", 0, 1, 1);
	metrics_record("carol", "free", "llm/a", 1, 0, 3000);
	t0 = now_s() + 0.5;

	d = q("sum by (user) (increase(authorized_hits[1h]))", t0, &st);
	is_int(st, 200, "sum by user: 200");
	is_str(json_str(d, "status"), "success", "status success");
	is_str(json_str(d, "data.resultType"), "vector", "a vector");
	is_int(nresults(d), 3, "three users");
	is_str(value_of(d, "user", "alice"), "120", "alice: 120 tokens");
	is_str(value_of(d, "user", "bob"), "5", "bob: 5 (the 429 adds none)");
	is_str(value_of(d, "user", "carol"), "1", "carol: 1");
	ok(json_path(d, "data.result.0.metric.__name__") == NULL,
	    "aggregations drop the metric name");
	cJSON_Delete(d);

	d = q("sum by (subscription) (increase(authorized_calls"
	    "{subscription=~\"go.*\"}[1h]))", t0, &st);
	is_int(nresults(d), 1, "regex matcher keeps gold only");
	is_str(value_of(d, "subscription", "gold"), "3", "gold: 3 calls");
	cJSON_Delete(d);

	d = q("sum(increase(limited_calls{user!=\"alice\"}[24h]))", t0, &st);
	is_str(value_of(d, "user", NULL), "1", "one limited call in total");
	cJSON_Delete(d);

	d = q("sum by (model) (rate(authorized_hits{user=\"alice\"}[100s]))",
	    t0, &st);
	is_str(value_of(d, "model", "llm/a"), "1", "rate: 100 tokens / 100 s");
	is_str(value_of(d, "model", "llm/b"), "0.2", "rate: 20 / 100 s");
	cJSON_Delete(d);

	d = q("topk(2, sum by (user) (increase(authorized_hits[1h])))", t0,
	    &st);
	is_int(nresults(d), 2, "topk 2");
	is_str(json_str(d, "data.result.0.metric.user"), "alice",
	    "topk sorted: alice first");
	is_str(json_str(d, "data.result.1.metric.user"), "bob", "then bob");
	cJSON_Delete(d);

	d = q("histogram_quantile(0.5, sum by (subscription, le) (increase("
	    "istio_request_duration_milliseconds_bucket[1h])))", t0, &st);
	is_int(st, 200, "histogram_quantile: 200");
	/* gold: 1 (the 429), 40, 60, 200: rank 2 of 4 is the top of the
	 * (25,50] bucket; free: 3000 alone, half way into (2500,5000]. */
	is_str(value_of(d, "subscription", "gold"), "50",
	    "gold p50 interpolated in the (25,50] bucket");
	is_str(value_of(d, "subscription", "free"), "3750",
	    "free p50 half way into (2500,5000]");
	cJSON_Delete(d);

	d = q("histogram_quantile(0.99, sum by (le) (increase("
	    "istio_request_duration_milliseconds_bucket{subscription=\"x\"}"
	    "[1h])))", t0, &st);
	is_int(nresults(d), 0, "no series, no quantile");
	cJSON_Delete(d);

	/* Windows: nothing happened between t0+3600 and t0+7200. */
	d = q("sum by (user) (increase(authorized_hits[1h]))", t0 + 7200, &st);
	is_str(value_of(d, "user", "alice"), "0",
	    "a window after the traffic increases by 0");
	cJSON_Delete(d);
	d = q("sum(increase(authorized_hits[1h]))", t0 - 3600, &st);
	is_int(nresults(d), 0, "before the series were born: nothing");
	cJSON_Delete(d);

	d = q("authorized_calls{user=\"bob\"}", t0, &st);
	is_str(json_str(d, "data.result.0.metric.__name__"),
	    "authorized_calls", "a plain selector keeps __name__");
	cJSON_Delete(d);

	d = q("42", t0, &st);
	is_str(json_str(d, "data.resultType"), "scalar", "a number: scalar");
	cJSON_Delete(d);

	d = promql_query_range("sum by (user) (increase(authorized_hits[1h]))",
	    t0 - 60, t0 + 60, 30, &st);
	is_int(st, 200, "range: 200");
	is_str(json_str(d, "data.resultType"), "matrix", "a matrix");
	is_int(cJSON_GetArraySize(json_path(d, "data.result.0.values")), 3,
	    "points from the series' birth on: t0, t0+30, t0+60");
	is_str(json_str(d, "data.result.0.metric.user"), "alice",
	    "sorted by labels");
	cJSON_Delete(d);
	metrics_shutdown();
}

TEST(errors)
{
	static const char *const bad[][2] = {
		{ "sum by (user) (increase(authorized_hits))", "range vector" },
		{ "increase(authorized_hits[5x])", "bad duration" },
		{ "foo(authorized_hits)", "unknown function with name \"foo\"" },
		{ "avg_over_time(authorized_hits[5m])",
		  "does not implement avg_over_time" },
		{ "authorized_hits / authorized_calls", "binary operators" },
		{ "sum without (user) (authorized_hits)", "by (...) only" },
		{ "authorized_hits{user=\"a\"", "expected \"}\"" },
		{ "authorized_hits{user=~\"(\"}", "invalid regular expression" },
		{ "", "end of input" },
	};
	cJSON	*d;
	size_t	 i;
	int	 st;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		d = q(bad[i][0], now_s(), &st);
		is_int(st, 400, "%s: 400", bad[i][0]);
		is_str(json_str(d, "status"), "error", "%s: status error",
		    bad[i][0]);
		is_str(json_str(d, "errorType"), "bad_data", "%s: bad_data",
		    bad[i][0]);
		ok(json_str(d, "error") != NULL && strstr(json_str(d, "error"),
		    bad[i][1]) != NULL, "%s: names '%s' (%s)", bad[i][0],
		    bad[i][1], json_str(d, "error"));
		cJSON_Delete(d);
	}
	d = promql_query_range("authorized_hits", 0, 1e6, 1, &st);
	is_int(st, 400, "too many points: 400");
	ok(strstr(json_str(d, "error"), "11,000 points") != NULL,
	    "names the resolution limit");
	cJSON_Delete(d);
	d = promql_query_range("authorized_hits", 10, 5, 1, &st);
	ok(st == 400 && strstr(json_str(d, "error"), "before start") != NULL,
	    "end before start");
	cJSON_Delete(d);
	d = promql_query_range("authorized_hits", 0, 5, 0, &st);
	ok(st == 400 && strstr(json_str(d, "error"), "step") != NULL,
	    "zero step");
	cJSON_Delete(d);
}

int
main(void)
{
	RUN(text_format);
	RUN(telemetry_settings);
	RUN(queries);
	RUN(errors);
	return tap_done();
}
