/*
 * test_json.c: unit tests for common/json.c.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tap.h"

static cJSON *
parse(const char *s)
{
	return json_parse(s, strlen(s), NULL);
}

/* Parse s and print it back (compact or pretty). */
static char *
reprint(const char *s, int pretty)
{
	cJSON	*v = parse(s);
	char	*out;

	out = v != NULL ? json_print(v, pretty) : xstrdup("(parse failed)");
	cJSON_Delete(v);
	return out;
}

static void
is_error(const char *in, const char *want, const char *what)
{
	struct err	 e = ERR_INIT;
	cJSON		*v = json_parse(in, strlen(in), &e);

	ok(v == NULL, "%s: fails", what);
	is_str(e.msg, want, "%s: message", what);
	is_int(e.code, EXIT_USAGE, "%s: exit code", what);
	cJSON_Delete(v);
	err_clear(&e);
}

TEST(parse_ok)
{
	cJSON	*v = parse(" {\"a\": [1, \"x\", true, null]}\n");

	ok(cJSON_IsObject(v), "object parsed");
	ok(cJSON_GetArraySize(json_path(v, "a")) == 4, "array of 4");
	cJSON_Delete(v);
	v = json_parse("[1]garbage", 3, NULL);
	ok(cJSON_IsArray(v), "length bounds the input");
	cJSON_Delete(v);
}

TEST(parse_errors)
{
	is_error("", "invalid JSON: empty document", "empty");
	is_error("  \n ", "invalid JSON: empty document", "blank");
	is_error("{\"a\": 1,\n  \"b\" x}",
	    "invalid JSON at line 2, column 7: invalid character 'x'",
	    "bad character");
	is_error("{\"a\": [1, 2",
	    "invalid JSON at line 1, column 12: unexpected end of input",
	    "truncated");
	is_error("{} {}",
	    "invalid JSON at line 1, column 4: unexpected data after the "
	    "top-level value", "trailing data");
}

TEST(big_integers)
{
	char	*s;
	cJSON	*v;

	s = reprint("{\"a\": 9007199254740993, \"b\": [-9223372036854775808, "
	    "18446744073709551615, 9007199254740992, 18446744073709551616, "
	    "1.5, \"12345678901234567890\", 12345678901234567890.0], "
	    "\"c\": 90071992547409930}", 0);
	is_str(s, "{\"a\":9007199254740993,\"b\":[-9223372036854775808,"
	    "18446744073709551615,9007199254740992,18446744073709552000,1.5,"
	    "\"12345678901234567890\",12345678901234567000],"
	    "\"c\":90071992547409930}", "64-bit integers kept exactly");
	free(s);
	v = parse("{\"n\": 12345678901234567891, \"m\": \"x\\\"1\"}");
	ok(cJSON_IsRaw(json_path(v, "n")), "kept as a raw number");
	ok(json_num(v, "n", 0) > 1.2e19, "json_num reads it");
	cJSON_Delete(v);
}

TEST(paths)
{
	cJSON	*v = parse("{\"metadata\": {\"name\": \"m\", \"labels\": "
	    "{\"app.kubernetes.io/name\": \"x\"}, \"generation\": 3},"
	    " \"items\": [{\"kind\": \"K\"}], \"spec\": {\"on\": false}}");

	is_str(json_str(v, "metadata.name"), "m", "dotted string");
	is_str(json_str(v, "metadata.labels.app\\.kubernetes\\.io/name"), "x",
	    "escaped dots");
	is_str(json_str(v, "items.0.kind"), "K", "array index");
	ok(json_path(v, "items.1") == NULL, "index out of range");
	ok(json_path(v, "items.x") == NULL, "non-numeric index");
	ok(json_str(v, "metadata.generation") == NULL, "number is not a string");
	ok(json_str(v, "metadata.nope") == NULL, "absent");
	ok(json_num(v, "metadata.generation", -1) == 3, "number");
	ok(json_num(v, "metadata.name", -1) == -1, "number default");
	is_int(json_bool(v, "spec.on", 7), 0, "bool false");
	is_int(json_bool(v, "spec.off", 7), 7, "bool default");
	ok(json_path(v, "") == v, "empty path is the value itself");
	cJSON_Delete(v);
}

TEST(set_and_obj)
{
	cJSON	*v = cJSON_CreateObject();
	char	*s;

	json_set_str(v, "metadata.name", "a");
	json_set_str(v, "metadata.name", "b");
	json_set_str(v, "metadata.labels.app\\.io/x", "y");
	json_set_str(v, "top", "t");
	s = json_print(v, 0);
	is_str(s, "{\"metadata\":{\"name\":\"b\",\"labels\":{\"app.io/x\":\"y\"}},"
	    "\"top\":\"t\"}", "set creates and replaces");
	free(s);
	ok(json_obj(v, "metadata") == json_path(v, "metadata"), "obj existing");
	json_set_str(v, "top.inner", "z");
	is_str(json_str(v, "top.inner"), "z", "non-object replaced by object");
	cJSON_Delete(v);
}

TEST(equal)
{
	cJSON	*a = parse("{\"a\":1,\"b\":[1,2,{\"c\":null}],\"d\":\"x\"}");
	cJSON	*b = parse("{\"d\":\"x\",\"b\":[1,2,{\"c\":null}],\"a\":1.0}");
	cJSON	*c = parse("{\"d\":\"x\",\"b\":[2,1,{\"c\":null}],\"a\":1}");
	cJSON	*d = parse("{\"d\":\"x\",\"b\":[1,2,{\"c\":null}]}");
	cJSON	*r1 = cJSON_CreateRaw("123456789012345678901");
	cJSON	*r2 = cJSON_CreateRaw("123456789012345678901");
	cJSON	*r3 = cJSON_CreateRaw("123456789012345678902");
	cJSON	*n = cJSON_CreateNumber(5), *r5 = cJSON_CreateRaw("5");

	ok(json_equal(a, b), "key order ignored, 1 == 1.0");
	ok(!json_equal(a, c), "array order matters");
	ok(!json_equal(a, d), "missing key");
	ok(!json_equal(d, a), "extra key");
	ok(json_equal(r1, r2), "raw numbers equal");
	ok(!json_equal(r1, r3), "raw numbers differ");
	ok(json_equal(n, r5), "raw vs number");
	ok(json_equal(NULL, NULL) && !json_equal(a, NULL), "NULL");
	cJSON_Delete(a); cJSON_Delete(b); cJSON_Delete(c); cJSON_Delete(d);
	cJSON_Delete(r1); cJSON_Delete(r2); cJSON_Delete(r3);
	cJSON_Delete(n); cJSON_Delete(r5);
}

TEST(print)
{
	char	*s;
	cJSON	*v;

	s = reprint("{\"kind\":\"ConfigMap\",\"data\":{\"a\":\"<b>&\","
	    "\"m\":\"l1\\nl2\\t\\u0001\"},\"e\":{},\"l\":[],\"n\":[1,null]}", 1);
	is_str(s, "{\n"
	    "    \"kind\": \"ConfigMap\",\n"
	    "    \"data\": {\n"
	    "        \"a\": \"\\u003cb\\u003e\\u0026\",\n"
	    "        \"m\": \"l1\\nl2\\t\\u0001\"\n"
	    "    },\n"
	    "    \"e\": {},\n"
	    "    \"l\": [],\n"
	    "    \"n\": [\n"
	    "        1,\n"
	    "        null\n"
	    "    ]\n"
	    "}", "pretty like kubectl -o json");
	free(s);
	s = reprint("{\"a\": [1, 2.5, -0.000001, 1e21, 1e20, 0.1, 1e-7, "
	    "123456789, 3.0e2]}", 0);
	is_str(s, "{\"a\":[1,2.5,-0.000001,1e+21,100000000000000000000,0.1,"
	    "1e-7,123456789,300]}", "numbers as encoding/json prints them");
	free(s);
	s = reprint("\"\xe2\x80\xa8 \\\" \\\\ \xc3\xa9\"", 0);
	is_str(s, "\"\\u2028 \\\" \\\\ \xc3\xa9\"", "string escapes");
	free(s);
	v = cJSON_CreateString("a\xff\xe2\x80" "b\xf0\x9f\x98\x80");
	s = json_print(v, 0);
	is_str(s, "\"a\\ufffd\\ufffd\\ufffdb\xf0\x9f\x98\x80\"",
	    "invalid UTF-8 bytes become U+FFFD as Go writes them");
	free(s);
	cJSON_Delete(v);
	s = reprint("{\"a\": 1, \"b\": 2, \"a\": {\"c\": 3, \"c\": 4}, "
	    "\"a\": 5}", 0);
	is_str(s, "{\"b\":2,\"a\":5}", "repeated keys keep the last value");
	free(s);
}

TEST(number_styles)
{
	struct strbuf	 sb = STRBUF_INIT;
	static const struct { double d; const char *go, *yaml; } t[] = {
		{ 1, "1", "1" },
		{ 1.5, "1.5", "1.5" },
		{ 1e6, "1000000", "1e+06" },
		{ 123456.5, "123456.5", "123456.5" },
		{ 0.0001, "0.0001", "0.0001" },
		{ 0.00001, "0.00001", "1e-05" },
		{ -2.5e-8, "-2.5e-8", "-2.5e-08" },
		{ 1e100, "1e+100", "1e+100" },
		{ 0.1 + 0.2, "0.30000000000000004", "0.30000000000000004" },
	};
	size_t	 i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		sb_reset(&sb);
		json_format_number(&sb, t[i].d, JSON_NUM_GO);
		is_str(sb.buf, t[i].go, "go style #%zu", i);
		sb_reset(&sb);
		json_format_number(&sb, t[i].d, JSON_NUM_YAML);
		is_str(sb.buf, t[i].yaml, "yaml style #%zu", i);
	}
	sb_reset(&sb);
	json_format_number(&sb, 1.0 / 0.0, JSON_NUM_YAML);
	is_str(sb.buf, ".inf", "yaml inf");
	sb_free(&sb);
}

static void
quote_is(const char *in, enum json_quote_style st, const char *want)
{
	struct strbuf	 sb = STRBUF_INIT;

	sb_init(&sb);
	json_quote(&sb, in, st);
	is_str(sb.buf, want, "quote %s", st == QUOTE_GO ? "%q" : "json");
	sb_free(&sb);
}

TEST(quote_styles)
{
	quote_is("a<b>&\"c\\", QUOTE_JSON, "\"a\\u003cb\\u003e\\u0026\\\"c\\\\\"");
	quote_is("a<b>&\"c\\", QUOTE_GO, "\"a<b>&\\\"c\\\\\"");
	quote_is("\x01\a\x7f\n", QUOTE_JSON, "\"\\u0001\\u0007\x7f\\n\"");
	quote_is("\x01\a\x7f\n", QUOTE_GO, "\"\\x01\\a\\x7f\\n\"");
	quote_is("\xff\xc3\xa9", QUOTE_JSON, "\"\\ufffd\xc3\xa9\"");
	quote_is("\xff\xc3\xa9", QUOTE_GO, "\"\\xff\xc3\xa9\"");
}

/* Collects what a json_items splitter hands over. */
struct got_items {
	struct strlist	 elems;
	size_t		 stop_after;	/* 0: never stop */
};

static int
got_item(void *arg, const char *elem, size_t len)
{
	struct got_items *g = arg;
	char		 *s = xstrndup(elem, len);

	sl_add(&g->elems, s);
	free(s);
	return g->stop_after > 0 && g->elems.n >= g->stop_after;
}

/* Feed doc in chunks of n bytes, each element cut to keep (or NULL); the
 * envelope printed, or NULL on error. */
static char *
split_keep(const char *doc, size_t n, const char *drop,
    const char *const *keep, struct got_items *g, struct err *e)
{
	struct json_items	 it;
	size_t			 off, len = strlen(doc), k;
	cJSON			*env;
	char			*out;

	json_items_init(&it, "items", got_item, g);
	it.drop = drop;
	it.keep = keep;
	for (off = 0; off < len; off += k) {
		k = len - off < n ? len - off : n;
		if (json_items_feed(&it, doc + off, k) != 0) {
			json_items_free(&it);
			return xstrdup("(stopped)");
		}
	}
	if ((env = json_items_end(&it, e)) == NULL)
		return NULL;
	out = json_print(env, 0);
	cJSON_Delete(env);
	return out;
}

static char *
split_drop(const char *doc, size_t n, const char *drop, struct got_items *g,
    struct err *e)
{
	return split_keep(doc, n, drop, NULL, g, e);
}

static char *
split_in(const char *doc, size_t n, struct got_items *g, struct err *e)
{
	return split_drop(doc, n, NULL, g, e);
}

TEST(items_split)
{
	static const char doc[] = "{\"kind\":\"List\",\"metadata\":{\"items\":"
	    "[1],\"continue\":\"c]{\\\"\"},\"items\": [ {\"a\":\"x,]}\\\"[\"},"
	    "{\"b\":[1,{\"c\":2}]} ,\n7, \"s,\" ],\"tail\":[3]}";
	struct got_items	 g;
	struct err		 e = ERR_INIT;
	size_t			 n;
	char			*s;

	for (n = 1; n <= sizeof doc; n += (n < 8 ? 1 : 13)) {
		memset(&g, 0, sizeof g);
		s = split_in(doc, n, &g, &e);
		is_str(s, "{\"kind\":\"List\",\"metadata\":{\"items\":[1],"
		    "\"continue\":\"c]{\\\"\"},\"items\":[],\"tail\":[3]}",
		    "envelope, chunks of %zu", n);
		is_int((int)g.elems.n, 4, "four items, chunks of %zu", n);
		if (g.elems.n == 4) {
			is_str(g.elems.v[0], " {\"a\":\"x,]}\\\"[\"}", "item 1");
			is_str(g.elems.v[1], "{\"b\":[1,{\"c\":2}]}", "item 2");
			is_str(g.elems.v[2], "\n7", "item 3");
			is_str(g.elems.v[3], " \"s,\"", "item 4");
		}
		free(s);
		sl_free(&g.elems);
	}
	memset(&g, 0, sizeof g);
	s = split_in("{\"items\":[]}", 4, &g, &e);
	is_str(s, "{\"items\":[]}", "empty array");
	is_int((int)g.elems.n, 0, "no items");
	free(s);
	memset(&g, 0, sizeof g);
	g.stop_after = 2;
	s = split_in(doc, 5, &g, &e);
	is_str(s, "(stopped)", "the callback stops the split");
	is_int((int)g.elems.n, 2, "after two items");
	free(s);
	sl_free(&g.elems);
	memset(&g, 0, sizeof g);
	s = split_in("{\"items\":[{\"a\":1},{\"b\"", 3, &g, &e);
	ok(s == NULL, "a stream that ends inside the document fails");
	is_str(e.msg, "invalid JSON: the document ends early", "and says so");
	err_clear(&e);
	sl_free(&g.elems);
	s = split_in("{\"kind\":\"Status\"}", 7, &g, &e);
	is_str(s, "{\"kind\":\"Status\"}", "no items member: all envelope");
	free(s);
	s = split_in("", 7, &g, &e);
	ok(s == NULL, "nothing at all fails");
	err_clear(&e);
	sl_free(&g.elems);
}

TEST(items_drop)
{
	static const char doc[] = "{\"kind\":\"List\",\"items\":["
	    "{\"kind\":\"A\",\"metadata\":{\"name\":\"a\",\"managedFields\":"
	    "[{\"manager\":\"x]}\\\"{\",\"f:spec\":{\"f:a\":{}}}],\"uid\":\"u\"}},"
	    "{\"metadata\":{ \"managedFields\" : [] , \"name\":\"b\"}},"
	    "{\"metadata\":{\"name\":\"c\",\"managedFields\":[1,2]},\"spec\":1},"
	    "{\"metadata\":{\"name\":\"managedFields\"},\"managedFields\":[]},"
	    "{\"spec\":{\"metadata\":{\"managedFields\":[]}}},"
	    "7]}";
	struct got_items	 g;
	struct err		 e = ERR_INIT;
	size_t			 n;
	char			*s;

	for (n = 1; n <= sizeof doc; n += (n < 8 ? 1 : 11)) {
		memset(&g, 0, sizeof g);
		s = split_drop(doc, n, "metadata.managedFields", &g, &e);
		is_str(s, "{\"kind\":\"List\",\"items\":[]}",
		    "envelope, chunks of %zu", n);
		is_int((int)g.elems.n, 6, "six items, chunks of %zu", n);
		if (g.elems.n == 6) {
			is_str(g.elems.v[0], "{\"kind\":\"A\",\"metadata\":"
			    "{\"name\":\"a\",\"uid\":\"u\"}}",
			    "a middle member goes with the comma before it");
			is_str(g.elems.v[1], "{\"metadata\":{ \"name\":\"b\"}}",
			    "the first member goes with the comma after it");
			is_str(g.elems.v[2], "{\"metadata\":{\"name\":\"c\"},"
			    "\"spec\":1}", "the last member");
			is_str(g.elems.v[3], "{\"metadata\":{\"name\":"
			    "\"managedFields\"},\"managedFields\":[]}",
			    "a value or a top-level key of that name stays");
			is_str(g.elems.v[4], "{\"spec\":{\"metadata\":"
			    "{\"managedFields\":[]}}}", "only at the path");
			is_str(g.elems.v[5], "7", "not an object: as it is");
		}
		free(s);
		sl_free(&g.elems);
	}
}

TEST(items_keep)
{
	/* Whole objects are cut as they are found; one split by a chunk's
	 * end, one that is not an object and one that cannot be cut go
	 * through the byte-by-byte splitter. */
	static const char doc[] = "{\"kind\":\"List\",\"items\": [ "
	    "{\"metadata\":{\"name\":\"a\",\"managedFields\":[{\"f:x\":"
	    "\"]},\\\"{\"}],\"uid\":\"u\"},\"status\":{\"phase\":\"A\\\"\"}},"
	    "{\"metadata\":{\"name\":\"a-very-long-name-that-memchr-looks-at"
	    "-past-the-short-string-loop\\\\\"},\"spec\":{\"m\":[1,{\"}\":2}]}} ,"
	    "\n 7,"
	    "{\"metadata\":{\"name\":}},"
	    "{\"status\":{\"phase\":\"Z\"}}\n],\"metadata\":{\"continue\":\"c\"}}";
	static const char *const keep[] = { "metadata.name", "status.phase",
	    "spec", NULL };
	struct got_items	 g;
	struct err		 e = ERR_INIT;
	size_t			 n;
	char			*s;

	for (n = 1; n <= sizeof doc; n += (n < 8 ? 1 : 7)) {
		memset(&g, 0, sizeof g);
		s = split_keep(doc, n, NULL, keep, &g, &e);
		is_str(s, "{\"kind\":\"List\",\"items\":[],\"metadata\":"
		    "{\"continue\":\"c\"}}", "envelope, chunks of %zu", n);
		is_int((int)g.elems.n, 5, "five items, chunks of %zu", n);
		if (g.elems.n == 5) {
			is_str(g.elems.v[0], "{\"metadata\":{\"name\":\"a\"},"
			    "\"status\":{\"phase\":\"A\\\"\"}}",
			    "cut, chunks of %zu", n);
			is_str(g.elems.v[1], "{\"metadata\":{\"name\":"
			    "\"a-very-long-name-that-memchr-looks-at-past-"
			    "the-short-string-loop\\\\\"},\"spec\":{\"m\":"
			    "[1,{\"}\":2}]}}", "a long string, chunks of %zu",
			    n);
			is_str(g.elems.v[2], "\n 7", "not an object: as it is");
			is_str(g.elems.v[3], "{\"metadata\":{\"name\":}}",
			    "not JSON: whole, for the parse to judge");
			is_str(g.elems.v[4], "{\"status\":{\"phase\":\"Z\"}}",
			    "the last one, chunks of %zu", n);
		}
		free(s);
		sl_free(&g.elems);
	}
	/* The callback stops the split on the fast path, too. */
	memset(&g, 0, sizeof g);
	g.stop_after = 1;
	s = split_keep(doc, sizeof doc, NULL, keep, &g, &e);
	is_str(s, "(stopped)", "the callback stops a cut split");
	is_int((int)g.elems.n, 1, "after one item");
	free(s);
	sl_free(&g.elems);
	/* An array that does not end. */
	memset(&g, 0, sizeof g);
	s = split_keep("{\"items\":[{\"spec\":1},{\"spec\":{", 64, NULL,
	    keep, &g, &e);
	ok(s == NULL, "a cut stream that ends inside an item fails");
	is_int((int)g.elems.n, 1, "after the whole item");
	err_clear(&e);
	sl_free(&g.elems);
}

TEST(string_ends)
{
	/* A string's end and escapes at every offset, across the word-at-a-
	 * time part and the memchr part. */
	struct strbuf	 sb = STRBUF_INIT;
	size_t		 len, at, n, bad = 0;

	for (len = 0; len < 80; len++) {
		for (at = 0; at <= len; at++) {
			sb_reset(&sb);
			sb_adds(&sb, "{\"a\":\"");
			for (n = 0; n < len; n++)
				sb_adds(&sb, n == at ? "\\\"" : "x");
			sb_adds(&sb, "\",\"b\":1}");
			n = json_drop_member(sb.buf, sb.len, "a");
			sb.buf[n] = '\0';
			if (strcmp(sb.buf, "{\"b\":1}") != 0)
				bad++;
		}
	}
	is_int((int)bad, 0, "strings of 0-79 bytes, an escaped quote anywhere");
	sb_free(&sb);
}

/* json_drop_member on a copy of in; the text left. */
static char *
drop(const char *in, const char *path)
{
	char	*b = xstrdup(in);
	size_t	 n = json_drop_member(b, strlen(b), path);

	b[n] = '\0';
	return b;
}

TEST(drop_member)
{
	static const struct {
		const char	*in, *path, *want, *what;
	} c[] = {
		{ "{\"a\":1}", "a", "{}", "the only member" },
		{ "{\"a\":1,\"b\":{\"c\":{\"d\":[\"}\"],\"e\":true}}}",
		  "b.c.d", "{\"a\":1,\"b\":{\"c\":{\"e\":true}}}",
		  "three levels down" },
		{ "{\"a\":1,\"a\":2}", "a", "{\"a\":2}", "the first of two" },
		{ "{\"a\\u0062\":1,\"x\":2}", "ab", "{\"a\\u0062\":1,\"x\":2}",
		  "an escaped key is not matched" },
		{ "{\"a\":{\"b\":[1}", "a.b", "{\"a\":{\"b\":[1}",
		  "a value that does not end: unchanged" },
		{ "{\"a\":{\"b\":1}", "a.b", "{\"a\":{}",
		  "the rest is the parse's to judge" },
		{ "{\"a\":\"x", "a", "{\"a\":\"x", "a string that does not "
		  "end: unchanged" },
		{ "{\"a\" 1}", "a", "{\"a\" 1}", "no colon: unchanged" },
		{ "[{\"a\":1}]", "a", "[{\"a\":1}]", "an array: unchanged" },
		{ "{\"a\":[1,2],\"b\":null}", "a.b", "{\"a\":[1,2],\"b\":null}",
		  "not an object on the way: unchanged" },
		{ "\t{ \"x\" :-1.5e3 ,\n\"y\":false }", "x",
		  "\t{ \"y\":false }", "numbers and whitespace" },
	};
	size_t	 i;
	char	*s;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		s = drop(c[i].in, c[i].path);
		is_str(s, c[i].want, "%s", c[i].what);
		free(s);
	}
}

/* json_keep_members on in with the paths; the text kept, or "-1". */
static char *
keep(const char *in, const char *const *paths)
{
	struct strbuf	 sb = STRBUF_INIT;

	sb_adds(&sb, "<");
	if (json_keep_members(in, strlen(in), paths, &sb) != 0) {
		is_str(sb.buf, "<", "a failed split leaves out as it was");
		sb_free(&sb);
		return xstrdup("-1");
	}
	return sb_detach(&sb);
}

TEST(keep_members)
{
	static const char *const row[] = { "metadata.name", "status.phase",
	    "spec", NULL };
	static const char *const deep[] = { "a.b.c", "a.x", NULL };
	static const struct {
		const char		*in;
		const char *const	*paths;
		const char		*want, *what;
	} c[] = {
		{ "{\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"n\","
		  "\"managedFields\":[{\"f:spec\":{}}],\"uid\":\"u\"},"
		  "\"spec\":{\"a\":[1,{\"b\":\"}\"}]},\"status\":{\"conditions\":"
		  "[{\"type\":\"Ready\"}],\"phase\":\"Active\"}}", row,
		  "<{\"metadata\":{\"name\":\"n\"},\"spec\":{\"a\":[1,{\"b\":"
		  "\"}\"}]},\"status\":{\"phase\":\"Active\"}}",
		  "a row's members: whole, and one of an object's" },
		{ " { \"spec\" : 7 , \"kind\" : \"X\" }\n", row,
		  "<{\"spec\":7}", "whitespace between members dropped" },
		{ "{\"status\":\"odd\"}", row, "<{\"status\":\"odd\"}",
		  "not an object where a path goes on: kept whole" },
		{ "{\"spec\":1,\"spec\":2}", row, "<{\"spec\":1,\"spec\":2}",
		  "repeats kept, for the parse to keep the last" },
		{ "{\"sp\\u0065c\":1,\"x\":2}", row, "<{\"sp\\u0065c\":1}",
		  "a key with an escape: kept whole" },
		{ "{\"specs\":1,\"spe\":2,\"metadata\":{}}", row,
		  "<{\"metadata\":{}}", "a key is matched whole, not as a "
		  "prefix" },
		{ "{}", row, "<{}", "an empty object" },
		{ "{\"kind\":\"X\"}", row, "<{}", "nothing wanted" },
		{ "{\"a\":{\"b\":{\"c\":\"\\\"}\",\"d\":1},\"x\":[],\"y\":2}}",
		  deep, "<{\"a\":{\"b\":{\"c\":\"\\\"}\"},\"x\":[]}}",
		  "three levels, a string with an escaped quote" },
		{ "{\"spec\":{\"a\":1}", row, "-1", "an object that does not "
		  "end" },
		{ "{\"spec\":1} x", row, "-1", "data after the object" },
		{ "[{\"spec\":1}]", row, "-1", "an array" },
		{ "{\"spec\" 1}", row, "-1", "no colon" },
		{ "{\"spec\":\"x}", row, "-1", "a string that does not end" },
		{ "{\"spec\":1,}", row, "-1", "a trailing comma" },
		{ "", row, "-1", "nothing at all" },
	};
	size_t	 i;
	char	*s;
	cJSON	*v;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		s = keep(c[i].in, c[i].paths);
		is_str(s, c[i].want, "%s", c[i].what);
		if (*s == '<') {
			v = json_parse(s + 1, strlen(s + 1), NULL);
			ok(v != NULL, "%s: what is kept parses", c[i].what);
			cJSON_Delete(v);
		}
		free(s);
	}
}

TEST(long_digit_runs)
{
	struct strbuf	 sb = STRBUF_INIT;
	cJSON		*v;
	int		 pad;

	/* A 20-digit integer at every alignment, after runs of digits in
	 * strings that are too short to matter. */
	for (pad = 0; pad < 40; pad++) {
		sb_reset(&sb);
		sb_addf(&sb, "{\"s\":\"%.*s\",\"t\":\"123456789012345\","
		    "\"n\":12345678901234567891}", pad,
		    "x1x22x333x4444x55555x666666x7777777x88888888");
		v = parse(sb.buf);
		ok(cJSON_IsRaw(json_path(v, "n")), "big integer found after "
		    "%d bytes", pad);
		cJSON_Delete(v);
	}
	sb_free(&sb);
}

int
main(void)
{
	RUN(parse_ok);
	RUN(parse_errors);
	RUN(big_integers);
	RUN(paths);
	RUN(set_and_obj);
	RUN(equal);
	RUN(print);
	RUN(number_styles);
	RUN(quote_styles);
	RUN(items_split);
	RUN(items_drop);
	RUN(items_keep);
	RUN(string_ends);
	RUN(drop_member);
	RUN(keep_members);
	RUN(long_digit_runs);
	return tap_done();
}
