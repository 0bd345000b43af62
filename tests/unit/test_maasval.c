/* test_maasval.c: client-side validation of MaaS objects and flag forms. */
#include <stdlib.h>

#include "json.h"
#include "duration.h"
#include "maasval.h"
#include "tap.h"

static const char good_sub[] = "{\"apiVersion\":\"maas.opendatahub.io/"
    "v1alpha1\",\"kind\":\"MaaSSubscription\",\"metadata\":{\"name\":\"s\","
    "\"namespace\":\"models-as-a-service\"},\"spec\":{\"owner\":{\"groups\":"
    "[{\"name\":\"g\"}],\"users\":[]},\"modelRefs\":[{\"name\":\"m\","
    "\"namespace\":\"llm\",\"tokenRateLimits\":[{\"limit\":100,\"window\":"
    "\"1m\"}]}],\"priority\":3}}";

/* Validate JSON text with fn: 0, or the error message (static copy). */
static const char *
check(int (*fn)(const cJSON *, struct err *), const char *text)
{
	static char	 buf[1024];
	struct err	 e = ERR_INIT;
	cJSON		*o = cJSON_Parse(text);
	int		 rc;

	if (o == NULL)
		return "unparsable test input";
	rc = fn(o, &e);
	cJSON_Delete(o);
	if (rc == 0) {
		err_clear(&e);
		return NULL;
	}
	snprintf(buf, sizeof buf, "%d %s", e.code, e.msg ? e.msg : "");
	err_clear(&e);
	return buf;
}

/* good_sub with one substring replaced. */
static char *
sub_with(const char *from, const char *to)
{
	const char	*p = strstr(good_sub, from);
	struct strbuf	 sb = STRBUF_INIT;

	if (p == NULL)
		return xstrdup("{}");
	sb_add(&sb, good_sub, (size_t)(p - good_sub));
	sb_adds(&sb, to);
	sb_adds(&sb, p + strlen(from));
	return sb_detach(&sb);
}

static void
sub_bad(const char *from, const char *to, const char *want)
{
	char		*t = sub_with(from, to);
	const char	*got = check(maasval_subscription, t);

	ok(got != NULL && strstr(got, want) != NULL, "subscription %s -> %s: "
	    "%s (got %s)", from, to, want, got ? got : "accepted");
	free(t);
}

TEST(windows)
{
	ok(duration_window_seconds("1m") == 60, "1m");
	ok(duration_window_seconds("9999h") == 9999L * 3600, "9999h");
	ok(duration_window_seconds("30s") == 30, "30s");
	ok(duration_window_seconds("1d") == -1, "1d");
	ok(duration_window_seconds("0m") == -1, "0m");
	ok(duration_window_seconds("m") == -1, "m");
	ok(duration_window_seconds("10000h") == -1, "10000h");
	ok(duration_window_seconds("1.5h") == -1, "1.5h");
	ok(duration_window_seconds("") == -1, "empty");
	is_int(duration_window_seconds("24h"), 86400, "24h");
	is_int(duration_window_seconds("90m"), 5400, "90m");
	is_int(duration_window_seconds("7s"), 7, "7s");
}

TEST(names)
{
	ok(maasval_is_subdomain("a.b-c.d"), "subdomain");
	ok(!maasval_is_subdomain("A"), "upper case");
	ok(!maasval_is_subdomain("a..b"), "empty label");
	ok(!maasval_is_subdomain("-a"), "leading dash");
	ok(maasval_is_label("team-a"), "label");
	ok(!maasval_is_label("a.b"), "dot in label");
}

TEST(parsers)
{
	struct err	 e = ERR_INIT;
	char		*ns, *name;
	cJSON		*l;
	char		*s;

	ok(maasval_parse_ref("llm/granite", "--model", &ns, &name, &e) == 0,
	    "NS/NAME");
	is_str(ns, "llm", "namespace");
	is_str(name, "granite", "name");
	free(ns);
	free(name);
	ok(maasval_parse_ref("granite", "--model", &ns, &name, &e) == -1 &&
	    e.code == EXIT_USAGE, "no slash");
	err_clear(&e);
	ok(maasval_parse_ref("a/b/c", "--model", &ns, &name, &e) == -1,
	    "two slashes");
	err_clear(&e);
	l = maasval_parse_limits("100/1m,5000/24h", "--model", &e);
	s = l ? cJSON_PrintUnformatted(l) : NULL;
	is_str(s, "[{\"limit\":100,\"window\":\"1m\"},{\"limit\":5000,"
	    "\"window\":\"24h\"}]", "two limits");
	free(s);
	cJSON_Delete(l);
	ok(maasval_parse_limits("100", "--model", &e) == NULL, "no window");
	err_clear(&e);
	ok(maasval_parse_limits("x/1m", "--model", &e) == NULL, "no number");
	err_clear(&e);
	ok(maasval_parse_limits("1/1m,", "--model", &e) == NULL,
	    "trailing comma");
	err_clear(&e);
}

TEST(split_rate)
{
	long long	 v = 0;
	const char	*w = NULL;

	is_int(maasval_split_rate("50000/1h", &v, &w), MAASVAL_RATE_OK, "ok");
	is_int(v, 50000, "limit");
	is_str(w, "1h", "window");
	is_int(maasval_split_rate("-5/1m", &v, &w), MAASVAL_RATE_OK,
	    "a sign is taken (ranges are the caller's)");
	is_int(v, -5, "negative limit");
	is_int(maasval_split_rate("5/", &v, &w), MAASVAL_RATE_OK,
	    "an empty window is the caller's to refuse");
	is_str(w, "", "empty window");
	is_int(maasval_split_rate("5/1m/2", &v, &w), MAASVAL_RATE_OK,
	    "split at the first slash");
	is_str(w, "1m/2", "window after the first slash");
	is_int(maasval_split_rate("100", &v, &w), MAASVAL_RATE_NO_SLASH,
	    "no slash");
	is_int(maasval_split_rate("/1m", &v, &w), MAASVAL_RATE_NO_LIMIT,
	    "nothing before the slash");
	is_int(maasval_split_rate("x/1m", &v, &w), MAASVAL_RATE_NOT_WHOLE,
	    "not a number");
	is_int(maasval_split_rate("5x/1m", &v, &w), MAASVAL_RATE_NOT_WHOLE,
	    "trailing junk");
	is_int(maasval_split_rate("99999999999999999999/1m", &v, &w),
	    MAASVAL_RATE_NOT_WHOLE, "overflow");
}

TEST(subscription)
{
	ok(check(maasval_subscription, good_sub) == NULL, "the sample shape "
	    "passes");
	sub_bad("\"1m\"", "\"1d\"", "2 The MaaSSubscription \"s\" is invalid: "
	    "spec.modelRefs[0].tokenRateLimits[0].window: Invalid value: \"1d\"");
	sub_bad("\"1m\"", "\"8785h\"", "must not exceed 8784h");
	sub_bad("100", "0", "should be greater than or equal to 1");
	sub_bad("100", "1000000001", "should be less than or equal to "
	    "1000000000");
	sub_bad("100", "1.5", "must be of type integer");
	sub_bad("[{\"name\":\"g\"}]", "[]", "spec.owner: Invalid value: "
	    "\"object\": at least one group or user must own");
	sub_bad("\"name\":\"s\"", "\"name\":\"S\"", "metadata.name: Invalid "
	    "value: \"S\": a lowercase RFC 1123 subdomain");
	sub_bad("\"tokenRateLimits\":[{\"limit\":100,\"window\":\"1m\"}]",
	    "\"tokenRateLimits\":[]", "tokenRateLimits in body should have at "
	    "least 1 items");
	sub_bad("\"namespace\":\"llm\"", "\"namespace\":\"\"",
	    "should be at least 1 chars long");
	sub_bad("\"priority\":3", "\"priority\":3000000000", "spec.priority");
	sub_bad("{\"name\":\"m\",\"namespace\":\"llm\",\"tokenRateLimits\":"
	    "[{\"limit\":100,\"window\":\"1m\"}]}", "{\"name\":\"m\","
	    "\"namespace\":\"llm\",\"tokenRateLimits\":[{\"limit\":1,\"window\":"
	    "\"1m\"}]},{\"name\":\"m\",\"namespace\":\"llm\",\"tokenRateLimits\":"
	    "[{\"limit\":2,\"window\":\"1h\"}]}", "spec.modelRefs[1]: Duplicate "
	    "value: \"llm/m\"");
	sub_bad("\"modelRefs\":[", "\"modelRefs\":[],\"x\":[", "spec.modelRefs: "
	    "Invalid value: 0");
}

TEST(authpolicy)
{
	ok(check(maasval_authpolicy, "{\"metadata\":{\"name\":\"p\"},\"spec\":"
	    "{\"modelRefs\":[{\"name\":\"m\",\"namespace\":\"llm\"}],"
	    "\"subjects\":{\"groups\":[],\"users\":[\"u\"]}}}") == NULL,
	    "users only");
	ok(strstr(check(maasval_authpolicy, "{\"metadata\":{\"name\":\"p\"},"
	    "\"spec\":{\"modelRefs\":[{\"name\":\"m\",\"namespace\":\"llm\"}],"
	    "\"subjects\":{\"groups\":[],\"users\":[]}}}"), "at least one group "
	    "or user must be specified in subjects") != NULL, "no subjects");
	ok(strstr(check(maasval_authpolicy, "{\"metadata\":{\"name\":\"p\"},"
	    "\"spec\":{\"subjects\":{\"users\":[\"u\"]}}}"), "spec.modelRefs: "
	    "Required value") != NULL, "no models");
}

TEST(modelref)
{
	ok(check(maasval_modelref, "{\"metadata\":{\"name\":\"m\"},\"spec\":"
	    "{\"modelRef\":{\"kind\":\"ExternalModel\",\"name\":\"gpt\"}}}") ==
	    NULL, "external model");
	ok(strstr(check(maasval_modelref, "{\"metadata\":{\"name\":\"m\"},"
	    "\"spec\":{\"modelRef\":{\"kind\":\"Pod\",\"name\":\"x\"}}}"),
	    "Unsupported value: \"Pod\"") != NULL, "bad kind");
	ok(strstr(check(maasval_modelref, "{\"metadata\":{\"name\":\"m\","
	    "\"annotations\":{\"opendatahub.io/model-capabilities\":\"chat\"}},"
	    "\"spec\":{\"modelRef\":{\"kind\":\"ExternalModel\",\"name\":"
	    "\"x\"}}}"), "must be a JSON array of strings") != NULL,
	    "capabilities not JSON");
	ok(strstr(check(maasval_modelref, "{\"metadata\":{\"name\":\"m\","
	    "\"annotations\":{\"opendatahub.io/context-window\":\"0\"}},"
	    "\"spec\":{\"modelRef\":{\"kind\":\"ExternalModel\",\"name\":"
	    "\"x\"}}}"), "positive number") != NULL, "context window 0");
}

int
main(void)
{
	RUN(windows);
	RUN(names);
	RUN(parsers);
	RUN(split_rate);
	RUN(subscription);
	RUN(authpolicy);
	RUN(modelref);
	return tap_done();
}
