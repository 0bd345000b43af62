/*
 * test_yaml.c: unit tests for common/yaml.c: YAML -> JSON as kubectl
 * (sigs.k8s.io/yaml, go-yaml v2) converts it, and kubectl-style emission.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tap.h"
#include "xalloc.h"
#include "yaml.h"

/* Parse in (stream or not) and return compact JSON, or "ERR: <msg>". */
static char *
to_json(const char *in, int flags)
{
	struct err	 e = ERR_INIT;
	cJSON		*v;
	char		*s;

	v = yaml_to_json(in, strlen(in), flags, &e);
	if (v == NULL) {
		s = xasprintf("ERR: %s", e.msg != NULL ? e.msg : "(no message)");
		err_clear(&e);
		return s;
	}
	s = json_print(v, 0);
	cJSON_Delete(v);
	return s;
}

/* A one-line test name for an input (newlines and tabs shown escaped). */
static char *
label(const char *in)
{
	struct strbuf	 sb = STRBUF_INIT;

	sb_init(&sb);
	for (; *in != '\0'; in++) {
		if (*in == '\n')
			sb_adds(&sb, "\\n");
		else if (*in == '\t')
			sb_adds(&sb, "\\t");
		else
			sb_addc(&sb, *in);
	}
	return sb_detach(&sb);
}

static void
parses(const char *in, const char *want)
{
	char	*got = to_json(in, 0), *name = label(in);

	is_str(got, want, "parse %s", name);
	free(got);
	free(name);
}

static void
streams(const char *in, const char *want)
{
	char	*got = to_json(in, YAML_STREAM), *name = label(in);

	is_str(got, want, "stream %s", name);
	free(got);
	free(name);
}

TEST(scalars)
{
	parses("a: 1", "{\"a\":1}");
	parses("a: [~, null, Null, NULL, '', \"\", nul]",
	    "{\"a\":[null,null,null,null,\"\",\"\",\"nul\"]}");
	parses("a:", "{\"a\":null}");
	parses("[true, True, TRUE, tRUE, false, False, FALSE]",
	    "[true,true,true,\"tRUE\",false,false,false]");
	parses("[yes, Yes, YES, no, No, NO, on, On, ON, off, Off, OFF]",
	    "[true,true,true,false,false,false,true,true,true,false,false,"
	    "false]");
	parses("[y, Y, n, N, yES, oN]", "[true,true,false,false,\"yES\","
	    "\"oN\"]");
	parses("['yes', \"no\", 'true', \"1\", '~']",
	    "[\"yes\",\"no\",\"true\",\"1\",\"~\"]");
	parses("[0, -0, +12, -12, 0x1F, 0X1f, -0x10, 0o17, 0O17, 017, 0b101, "
	    "-0b11, 1_000, 1__0_0]",
	    "[0,0,12,-12,31,31,-16,15,15,15,5,-3,1000,100]");
	parses("[08, 09.5, 0x, 0b2, 0o8, _1, 1_, 0x_1F]",
	    "[8,9.5,\"0x\",\"0b2\",\"0o8\",\"_1\",1,31]");
	parses("[1.5, -1.5, +1.5, 1., .5, -.5, 1e3, 1E-3, 1.5e+2, 6.02e23, "
	    "1_0.5]", "[1.5,-1.5,1.5,1,0.5,-0.5,1000,0.001,150,"
	    "6.02e+23,10.5]");
	parses("[., .e3, 1e, e3, 1.2.3, 1e999, -, +, 1:20, 0x1p3]",
	    "[\".\",\".e3\",\"1e\",\"e3\",\"1.2.3\",\"1e999\",\"-\",\"+\","
	    "\"1:20\",\"0x1p3\"]");
	parses("[2024-01-02, 2001-12-14t21:59:43.10-05:00, 2024-13-01]",
	    "[\"2024-01-02\",\"2001-12-14t21:59:43.10-05:00\",\"2024-13-01\"]");
	parses("a: hello world  # comment", "{\"a\":\"hello world\"}");
	parses("a: 'it''s'", "{\"a\":\"it's\"}");
	parses("a: \"tab\\there \\u00e9\"", "{\"a\":\"tab\\there \xc3\xa9\"}");
	parses("plain", "\"plain\"");
	parses("42", "42");
	parses("", "null");
	parses("# only a comment\n", "null");
}

TEST(big_numbers)
{
	parses("a: 9007199254740993", "{\"a\":9007199254740993}");
	parses("a: 9223372036854775807", "{\"a\":9223372036854775807}");
	parses("a: -9223372036854775808", "{\"a\":-9223372036854775808}");
	parses("a: 18446744073709551615", "{\"a\":18446744073709551615}");
	parses("a: 0xFFFFFFFFFFFFFFFF", "{\"a\":18446744073709551615}");
	parses("a: 9007199254740992", "{\"a\":9007199254740992}");
	/* Beyond 64 bits yaml.v2 falls back to a float. */
	parses("a: 18446744073709551616", "{\"a\":18446744073709552000}");
	parses("a: +9223372036854775808", "{\"a\":9223372036854776000}");
	parses("a: 123456789012345678901234567890",
	    "{\"a\":1.2345678901234568e+29}");
}

TEST(blocks)
{
	parses("k: |\n  line1\n  line2\n", "{\"k\":\"line1\\nline2\\n\"}");
	parses("k: |-\n  line1\n  line2\n", "{\"k\":\"line1\\nline2\"}");
	parses("k: |+\n  a\n\n", "{\"k\":\"a\\n\\n\"}");
	parses("k: >\n  folded\n  text\n", "{\"k\":\"folded text\\n\"}");
	parses("k: |2\n   indented\n", "{\"k\":\" indented\\n\"}");
	parses("a:\n- 1\n- b: 2\n  c: [3]\n",
	    "{\"a\":[1,{\"b\":2,\"c\":[3]}]}");
	parses("a: {}\nb: []\nc: {x: [ ]}", "{\"a\":{},\"b\":[],\"c\":{\"x\":[]}}");
}

TEST(tags)
{
	parses("[!!str 12, !!str true, !!int '12', !!float 1, !!float '2.5', "
	    "!!null '', !!bool 'yes', !!str, !custom x, ! 12]",
	    "[\"12\",\"true\",12,1,2.5,null,true,\"\",\"x\",\"12\"]");
	parses("a: !!binary aGVsbG8=", "{\"a\":\"hello\"}");
	parses("a: !!binary |\n  aGVs\n  bG8=\n", "{\"a\":\"hello\"}");
	parses("a: !!timestamp 2001-12-14", "{\"a\":\"2001-12-14\"}");
	parses("a: !!int abc", "ERR: error converting YAML to JSON: yaml: "
	    "cannot decode !!str `abc` as a !!int");
	parses("a: !!bool 1", "ERR: error converting YAML to JSON: yaml: "
	    "cannot decode !!int `1` as a !!bool");
	parses("a: !!null x", "ERR: error converting YAML to JSON: yaml: "
	    "cannot decode !!str `x` as a !!null");
	parses("a: !!binary '%%%'", "ERR: error converting YAML to JSON: yaml: "
	    "!!binary value contains invalid base64 data");
	parses("a: .inf", "ERR: error converting YAML to JSON: json: "
	    "unsupported value: +Inf");
	parses("a: [-.Inf]", "ERR: error converting YAML to JSON: json: "
	    "unsupported value: -Inf");
	parses("a: .NaN", "ERR: error converting YAML to JSON: json: "
	    "unsupported value: NaN");
}

TEST(keys)
{
	parses("true: e\ny: g\n", "ERR: error converting YAML to JSON: yaml: "
	    "line 2: key \"true\" already set in map");
	parses("1: a\n0x10: b\n1.5: c\n3.14159265358979: d\ntrue: e\nno: f\n"
	    ".inf: h\n2024-01-02: i\n'2': j\n1e3: k\n12345678901234567890: l\n",
	    "{\"1\":\"a\",\"16\":\"b\",\"1.5\":\"c\",\"3.1415927\":\"d\","
	    "\"true\":\"e\",\"false\":\"f\",\".inf\":\"h\","
	    "\"2024-01-02\":\"i\",\"2\":\"j\",\"1000\":\"k\","
	    "\"12345678901234567890\":\"l\"}");
	parses("~: a", "ERR: error converting YAML to JSON: unsupported map "
	    "key of type: <nil>, key: <nil>");
	parses("null: a", "ERR: error converting YAML to JSON: unsupported map "
	    "key of type: <nil>, key: <nil>");
	parses("? [1]\n: x", "ERR: error converting YAML to JSON: yaml: line 1: "
	    "invalid map key: a sequence");
	parses("? {a: 1}\n: x", "ERR: error converting YAML to JSON: yaml: "
	    "line 1: invalid map key: a mapping");
	parses("a: 1\nb: 2\na: 3", "ERR: error converting YAML to JSON: yaml: "
	    "line 3: key \"a\" already set in map");
	parses("1: a\n'1': b", "ERR: error converting YAML to JSON: yaml: "
	    "line 2: key \"1\" already set in map");
	parses("{\"a\": 1, \"a\": 2}", "ERR: error converting YAML to JSON: "
	    "yaml: line 1: key \"a\" already set in map");
	parses("x: &k key\n*k : v", "{\"x\":\"key\",\"key\":\"v\"}");
}

TEST(anchors)
{
	parses("a: &x {p: 1, q: [2]}\nb: *x\nc: *x",
	    "{\"a\":{\"p\":1,\"q\":[2]},\"b\":{\"p\":1,\"q\":[2]},"
	    "\"c\":{\"p\":1,\"q\":[2]}}");
	parses("a: &s str\nb: *s\na2: &s other\nb2: *s",
	    "{\"a\":\"str\",\"b\":\"str\",\"a2\":\"other\",\"b2\":\"other\"}");
	parses("a: *nope", "ERR: error converting YAML to JSON: yaml: line 1: "
	    "unknown anchor 'nope' referenced");
	parses("&a [*a]", "ERR: error converting YAML to JSON: yaml: line 1: "
	    "anchor 'a' value contains itself");
	parses("a: &a\n  b: *a", "ERR: error converting YAML to JSON: yaml: "
	    "line 2: anchor 'a' value contains itself");
}

TEST(billion_laughs)
{
	const char	*lol =
	    "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
	char		*got = to_json(lol, 0);

	is_str(got, "ERR: error converting YAML to JSON: yaml: document "
	    "contains excessive aliasing", "billion laughs is refused");
	free(got);
	got = to_json("a: &a [1, 2, 3]\nb: [*a, *a, *a, *a]\nc: *a", 0);
	is_str(got, "{\"a\":[1,2,3],\"b\":[[1,2,3],[1,2,3],[1,2,3],[1,2,3]],"
	    "\"c\":[1,2,3]}", "modest aliasing is fine");
	free(got);
}

TEST(merge)
{
	parses("b: &x {p: 1, q: 2}\nc:\n  <<: *x\n  q: 3",
	    "{\"b\":{\"p\":1,\"q\":2},\"c\":{\"p\":1,\"q\":3}}");
	parses("<<: [{a: 1}, {a: 2, b: 2}]\nc: 3", "{\"a\":1,\"b\":2,\"c\":3}");
	parses("- &a {x: 1}\n- &b {y: 2}\n- <<: [*a, *b]\n  z: 3",
	    "[{\"x\":1},{\"true\":2},{\"x\":1,\"true\":2,\"z\":3}]");
	/* yaml.v2 lets a merge overwrite keys set before it. */
	parses("a: 1\n<<: {a: 2, b: 3}", "{\"a\":2,\"b\":3}");
	parses("'<<': {a: 1}", "{\"\\u003c\\u003c\":{\"a\":1}}");
	parses("!!merge <<: {a: 1}", "{\"a\":1}");
	parses("<<: 5", "ERR: error converting YAML to JSON: yaml: line 1: "
	    "map merge requires map or sequence of maps as the value");
	parses("<<: [{a: 1}, 2]", "ERR: error converting YAML to JSON: yaml: "
	    "line 1: map merge requires map or sequence of maps as the value");
}

TEST(syntax_errors)
{
	struct err	 e = ERR_INIT;
	cJSON		*v;
	const char	*in = "a: 1\nb:\n  c: d\n e: f\n";

	parses("a: b: c", "ERR: error converting YAML to JSON: yaml: mapping "
	    "values are not allowed in this context");
	parses("a: 1\nb: c: d", "ERR: error converting YAML to JSON: yaml: "
	    "line 2: mapping values are not allowed in this context");
	parses("a:\n  - b\n c: d", "ERR: error converting YAML to JSON: yaml: "
	    "line 2: did not find expected key");
	parses("a:\n\tb: 1", "ERR: error converting YAML to JSON: yaml: line 2: "
	    "found character that cannot start any token");
	parses("x: [1, 2", "ERR: error converting YAML to JSON: yaml: line 1: "
	    "did not find expected ',' or ']'");
	parses("a: \"open", "ERR: error converting YAML to JSON: yaml: found "
	    "unexpected end of stream");
	parses("a: \xff", "ERR: error converting YAML to JSON: yaml: invalid "
	    "leading UTF-8 octet");
	v = yaml_to_json(in, strlen(in), YAML_BARE_ERRORS, &e);
	ok(v == NULL, "bad indentation fails");
	is_str(e.msg, "yaml: line 3: did not find expected key",
	    "bare message for kubeconfig-style wrapping");
	is_str(e.hint, "the problem is at line 4, column 2", "hint has column");
	is_int(e.code, EXIT_ERR, "exit code 1 as kubectl");
	err_clear(&e);
}

TEST(json_input)
{
	parses("{\"a\": 1, \"b\": [true, null, \"x\"], \"c\": {\"d\": 1.5}}",
	    "{\"a\":1,\"b\":[true,null,\"x\"],\"c\":{\"d\":1.5}}");
	parses("{\n\t\"a\": 1,\n\t\"b\": {\n\t\t\"c\": \"d\"\n\t}\n}",
	    "{\"a\":1,\"b\":{\"c\":\"d\"}}");
	parses("[1, 2.0, \"3\", 12345678901234567890]",
	    "[1,2,\"3\",12345678901234567890]");
	streams("{\"kind\": \"A\"}", "[{\"kind\":\"A\"}]");
}

TEST(streams)
{
	streams("---\na: 1\n---\n---\n# c\n...\n---\nb: 2\n...\n",
	    "[{\"a\":1},{\"b\":2}]");
	streams("a: 1\n---\nb: 2\n", "[{\"a\":1},{\"b\":2}]");
	streams("", "[]");
	streams("---\n", "[]");
	streams("--- ~\n--- null\n--- 3\n", "[3]");
	streams("a: &x 1\n---\nb: *x\n", "ERR: error converting YAML to JSON: "
	    "yaml: line 3: unknown anchor 'x' referenced");
	streams("a: 1\n---\nb: [\n", "ERR: error converting YAML to JSON: "
	    "yaml: line 3: did not find expected node content");
	parses("a: 1\n---\nb: 2\n", "{\"a\":1}");
	parses("a: 1\n---\nb: [\n", "{\"a\":1}");
}

TEST(depth)
{
	struct strbuf	 sb = STRBUF_INIT;
	char		*got;
	int		 i;

	sb_init(&sb);
	for (i = 0; i < 2000; i++)
		sb_addc(&sb, '[');
	got = to_json(sb.buf, 0);
	is_str(got, "ERR: error converting YAML to JSON: yaml: line 1: "
	    "exceeded max depth of 1000", "deep nesting refused");
	free(got);
	sb_free(&sb);
}

/* Parse in and emit it. */
static char *
to_yaml(const char *in)
{
	cJSON	*v = yaml_parse(in, strlen(in), NULL);
	char	*y = v != NULL ? yaml_emit(v) : xstrdup("(parse failed)");

	cJSON_Delete(v);
	return y;
}

/* Parse in, emit it, and compare with want. */
static void
emits(const char *in, const char *want)
{
	struct err	 e = ERR_INIT;
	cJSON		*v = yaml_parse(in, strlen(in), &e);
	char		*got, *name = label(in);

	got = v != NULL ? yaml_emit(v) : xasprintf("ERR: %s", e.msg);
	is_str(got, want, "emit %s", name);
	free(got);
	free(name);
	cJSON_Delete(v);
	err_clear(&e);
}

/* Emit v, parse the YAML back and expect the same JSON. */
static void
round_trips_value(const cJSON *v, const char *what)
{
	struct err	 e = ERR_INIT;
	char		*y = yaml_emit(v), *a, *b;
	cJSON		*back = yaml_parse(y, strlen(y), &e);

	if (!ok(back != NULL && json_equal(v, back), "round trip %s", what)) {
		a = json_print(v, 0);
		b = back != NULL ? json_print(back, 0) : xstrdup(e.msg);
		printf("#   yaml: %s\n#   in:   %s\n#   back: %s\n", y, a, b);
		free(a);
		free(b);
	}
	free(y);
	cJSON_Delete(back);
	err_clear(&e);
}

static void
round_trips(const char *in)
{
	cJSON	*v = yaml_parse(in, strlen(in), NULL);
	char	*name = label(in);

	if (v == NULL)
		ok(0, "round trip input parses: %s", name);
	else
		round_trips_value(v, name);
	cJSON_Delete(v);
	free(name);
}

TEST(emit_scalars)
{
	emits("a: 1", "a: 1\n");
	emits("a: 1.5", "a: 1.5\n");
	emits("a: [1.0, 1e6, 0.1, -2.5e-7, 6.02e23, 1e-5]",
	    "a:\n- 1\n- 1000000\n- 0.1\n- -2.5e-07\n- 6.02e+23\n- 1e-05\n");
	emits("a: 12345678901234567890", "a: 12345678901234567890\n");
	emits("a: [true, false, null]", "a:\n- true\n- false\n- null\n");
	emits("a: ['true', 'yes', 'n', '1', '1.5', '', 'null', '~', '0x1F', "
	    "'1:20', '2024-01-02', '.inf', '-', '.']",
	    "a:\n- \"true\"\n- \"yes\"\n- \"n\"\n- \"1\"\n- \"1.5\"\n- \"\"\n"
	    "- \"null\"\n- \"~\"\n- \"0x1F\"\n- \"1:20\"\n- \"2024-01-02\"\n"
	    "- \".inf\"\n- '-'\n- .\n");
	emits("a: [' lead', 'trail ', 'a: b', 'a #b', '#c', '- x', '[x]', "
	    "'it''s', '\"q\"', 'x:']",
	    "a:\n- ' lead'\n- 'trail '\n- 'a: b'\n- 'a #b'\n- '#c'\n- '- x'\n"
	    "- '[x]'\n- it's\n- '\"q\"'\n- 'x:'\n");
	emits("a: \"tab\\there\\u0001\"", "a: \"tab\\there\\x01\"\n");
	emits("'<<': x", "\"<<\": x\n");
	emits("plain", "plain\n");
	emits("", "null\n");
	emits("{}", "{}\n");
	emits("[]", "[]\n");
	emits("a: {}\nb: []", "a: {}\nb: []\n");
}

TEST(emit_blocks)
{
	emits("a: \"l1\\nl2\"", "a: |-\n  l1\n  l2\n");
	emits("a: \"l1\\nl2\\n\"", "a: |\n  l1\n  l2\n");
	emits("a: \"l1\\n\\n\"", "a: |+\n  l1\n\n");
	emits("a: \" l1\\nl2\"", "a: |2-\n   l1\n  l2\n");
	emits("a: \"trail \\nx\"", "a: \"trail \\nx\"\n");
	emits("- \"l1\\nl2\"", "- |-\n  l1\n  l2\n");
	emits("a:\n  b:\n  - c: \"x\\ny\"\n    d: 1",
	    "a:\n  b:\n  - c: |-\n      x\n      y\n    d: 1\n");
}

TEST(emit_layout)
{
	emits("b: 1\na: {d: [1, {f: 2, e: 3}], c: x}",
	    "a:\n  c: x\n  d:\n  - 1\n  - e: 3\n    f: 2\nb: 1\n");
	emits("- [1, 2]\n- []\n- - a", "- - 1\n  - 2\n- []\n- - a\n");
	emits("{a10: 1, a2: 2, a1: 3, B: 4, _x: 5, b: 6}",
	    "_x: 5\nB: 4\na1: 3\na2: 2\na10: 1\nb: 6\n");
	emits("long: lorem ipsum dolor sit amet, consectetur adipiscing elit, "
	    "sed do eiusmod tempor incididunt",
	    "long: lorem ipsum dolor sit amet, consectetur adipiscing elit, "
	    "sed do eiusmod tempor\n  incididunt\n");
}

/* Keys whose natural order is cyclic still come out in one fixed order. */
TEST(emit_cyclic_keys)
{
	char	*a, *b;

	a = to_yaml("{a1b2: 1, a01: 2, a100: 3, a1b10: 4, a001: 5, x: 6}");
	b = to_yaml("{x: 6, a001: 5, a1b10: 4, a100: 3, a01: 2, a1b2: 1}");
	is_str(a, b, "insertion order does not change the output");
	free(a);
	free(b);
}

TEST(emit_binary)
{
	cJSON	*v = cJSON_CreateObject();
	char	*y;

	cJSON_AddStringToObject(v, "bad", "\xff\xfe ok");
	cJSON_AddStringToObject(v, "surrogate", "\xed\xa0\x80");
	y = yaml_emit(v);
	is_str(y, "bad: !!binary //4gb2s=\nsurrogate: !!binary 7aCA\n",
	    "invalid UTF-8 written as !!binary");
	round_trips_value(v, "binary strings");
	free(y);
	cJSON_Delete(v);
}

/* Read a whole file into a new string; NULL if it cannot be read. */
static char *
slurp(const char *path)
{
	struct strbuf	 sb = STRBUF_INIT;
	FILE		*f = fopen(path, "r");
	char		 buf[4096];
	size_t		 n;

	if (f == NULL)
		return NULL;
	sb_init(&sb);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(&sb, buf, n);
	fclose(f);
	return sb_detach(&sb);
}

/* One kubectl golden pair: emitting NAME.json must give NAME.yaml. */
static void
golden_pair(const char *dir, const char *name)
{
	char	*jpath = xasprintf("%s/%s.json", dir, name);
	char	*ypath = xasprintf("%s/%s.yaml", dir, name);
	char	*json = slurp(jpath), *want = slurp(ypath), *got = NULL;
	cJSON	*v = NULL, *back;

	if (json != NULL)
		v = yaml_parse(json, strlen(json), NULL);
	if (v != NULL)
		got = yaml_emit(v);
	is_str(got, want, "kubectl -o yaml for %s", name);
	back = want != NULL ? yaml_parse(want, strlen(want), NULL) : NULL;
	ok(back != NULL && json_equal(v, back), "kubectl's %s.yaml parses "
	    "to its -o json", name);
	cJSON_Delete(back);
	cJSON_Delete(v);
	free(json);
	free(want);
	free(got);
	free(jpath);
	free(ypath);
}

TEST(kubectl_golden)
{
	const char	*root = getenv("MAASCTL_TEST_ROOT");
	char		*dir;
	struct strlist	 names = STRLIST_INIT;
	struct dirent	*de;
	DIR		*d;
	size_t		 i, n;

	dir = xasprintf("%s/tests/fixtures/yaml", root != NULL ? root : ".");
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			n = strlen(de->d_name);
			if (n > 5 && strcmp(de->d_name + n - 5, ".json") == 0)
				sl_take(&names, xstrndup(de->d_name, n - 5));
		}
		closedir(d);
	}
	sl_sort(&names);
	ok(names.n >= 8, "found %zu kubectl golden pairs in %s", names.n, dir);
	for (i = 0; i < names.n; i++)
		golden_pair(dir, names.v[i]);
	sl_free(&names);
	free(dir);
}

TEST(round_trip)
{
	static const char *const docs[] = {
		"a: 1", "a: [yes, No, on, OFF, y, n, ~, null, '', 0x1F, 0o17]",
		"a: [1_000, 1e3, .5, -0b101, +12, 1:20, '12', tRUE, 0.1]",
		"a: 9007199254740993\nb: -9223372036854775808\n"
		    "c: 18446744073709551615",
		"k: |\n  line1\n  line2\n", "k: |+\n  a\n\n\n", "k: >\n  a\n  b\n",
		"k: \"\\n\\nx\\n\\n\"", "k: \" \\n \"", "k: \"\\t\\n\\t\"",
		"k: \"a\\r\\nb\"", "k: \"\\u00e9\\u2028\\u0085x\"",
		"k: \"\\ufeffbom\"", "k: \"\\x7f del\"",
		"b: &x {p: 1, q: 2}\nc:\n  <<: *x\n  q: 3",
		"'<<': {a: 1}", "'': empty key", "' ': space key",
		"'a: b': 1\n'- c': 2\n'#d': 3\n'[e]': 4\n'{f}': 5\n'?g': 6",
		"'1': a\n'true': b\n'null': c\n'~': d\n'1.5': e\n'0x1': f",
		"\"l1\\nl2\": multi-line key",
		"x: ['', ' ', '  ', '-', '- ', '--', '---', '...', '?', ':', "
		    "'::', 'a:', ':a', '@', '`', '%', '!', '&', '*', '|', '>']",
		"x: ['a\\b', '\"', \"'\", 'a''b', '# x', 'x #', 'x#y', "
		    "'http://h:1/p?q#f', 'C:\\dir', \"a\\tb\"]",
		"x: [2024-01-02, '2024-01-02', '2024-1-2 3:4:5', "
		    "'2001-12-14t21:59:43.10-05:00', '12:30', '1:2:3.5']",
		"x: ['.inf', '-.Inf', '.NaN', '+.inf', '.5', '-.5e3', '+1']",
		"nested: [[1, [2, []]], {a: {b: {c: [d, {}]}}}]",
		"lorem: lorem ipsum dolor sit amet, consectetur adipiscing "
		    "elit, sed do eiusmod tempor incididunt ut labore et dolore "
		    "magna aliqua lorem ipsum dolor sit amet, consectetur",
		"w: 'word  word   word    word     word      word       word "
		    "       word         word          word           word'",
		"{\"kind\": \"List\", \"items\": [{\"a\": 1.25}, {\"b\": null}]}",
		"- - - - deep\n    - x",
		"\"\": \"\"", "top level string", "12", "-1.5", "true", "null",
	};
	size_t	 i;

	for (i = 0; i < sizeof docs / sizeof docs[0]; i++)
		round_trips(docs[i]);
}

/* Every string of the alphabet up to length 3 round-trips as value and key. */
TEST(round_trip_exhaustive)
{
	static const char alphabet[] =
	    " -:#'\"?,[]{}!&*|>%@`.0aeflnorstuy~\n\t\\";
	size_t		 n = sizeof alphabet - 1, i, j, k, bad = 0, total = 0;
	char		 s[4], *y;
	cJSON		*v, *back;

	for (i = 0; i < n; i++)
	for (j = 0; j <= n; j++)
	for (k = 0; k <= (j < n ? n : 0); k++) {
		s[0] = alphabet[i];
		s[1] = j < n ? alphabet[j] : '\0';
		s[2] = j < n && k < n ? alphabet[k] : '\0';
		s[3] = '\0';
		v = cJSON_CreateObject();
		cJSON_AddStringToObject(v, "k", s);
		cJSON_AddStringToObject(v, s, "v");
		y = yaml_emit(v);
		back = yaml_parse(y, strlen(y), NULL);
		total++;
		if ((back == NULL || !json_equal(v, back)) && bad++ < 5)
			printf("#   '%s' -> %s", s, y);
		free(y);
		cJSON_Delete(v);
		cJSON_Delete(back);
	}
	is_int(bad, 0, "all %zu short strings round-trip", total);
}

int
main(void)
{
	RUN(scalars);
	RUN(big_numbers);
	RUN(blocks);
	RUN(tags);
	RUN(keys);
	RUN(anchors);
	RUN(billion_laughs);
	RUN(merge);
	RUN(syntax_errors);
	RUN(json_input);
	RUN(streams);
	RUN(depth);
	RUN(emit_scalars);
	RUN(emit_blocks);
	RUN(emit_layout);
	RUN(emit_cyclic_keys);
	RUN(emit_binary);
	RUN(kubectl_golden);
	RUN(round_trip);
	RUN(round_trip_exhaustive);
	return tap_done();
}
