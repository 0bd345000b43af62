/*
 * test_jsonpath.c: kubectl's JSONPath templates over fixture objects: the
 * examples of kubectl's JSONPath documentation, filters with numbers as
 * `kubectl get` decodes them, range/end, output rules and error texts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "json.h"
#include "jsonpath.h"
#include "xalloc.h"

static cJSON *doc, *subs;

static cJSON *
load(const char *name)
{
	const char	*root = getenv("MAASCTL_TEST_ROOT");
	char		*path;
	struct strbuf	 sb = STRBUF_INIT;
	char		 buf[4096];
	size_t		 n;
	FILE		*f;
	cJSON		*v;

	path = xasprintf("%s/tests/fixtures/objects/%s", root ? root : ".",
	    name);
	if ((f = fopen(path, "r")) == NULL) {
		printf("Bail out! cannot open %s\n", path);
		exit(1);
	}
	sb_init(&sb);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(&sb, buf, n);
	fclose(f);
	v = json_parse(sb.buf, sb.len, NULL);
	if (v == NULL) {
		printf("Bail out! cannot parse %s\n", path);
		exit(1);
	}
	sb_free(&sb);
	free(path);
	return v;
}

/* The output of a template, or "ERR:<message>" (static buffer). */
static const char *
jp_run(const cJSON *data, const char *tmpl, int allow_missing, int asjson)
{
	static char	*last;
	struct err	 e = ERR_INIT;
	struct strbuf	 out = STRBUF_INIT;
	struct jsonpath	*jp;

	free(last);
	sb_init(&out);
	if ((jp = jsonpath_parse(tmpl, &e)) == NULL) {
		last = xasprintf("ERR%d:%s", e.code, e.msg);
		goto done;
	}
	jsonpath_allow_missing_keys(jp, allow_missing);
	jsonpath_output_json(jp, asjson);
	if (jsonpath_execute(jp, data, &out, &e) == -1)
		last = xasprintf("ERR%d:%s", e.code, e.msg);
	else
		last = xstrdup(out.buf);
done:
	jsonpath_free(jp);
	sb_free(&out);
	err_clear(&e);
	return last;
}

#define JP(data, t, want) is_str(jp_run(data, t, 1, 0), want, "%s", t)
#define JPS(data, t, want) is_str(jp_run(data, t, 0, 0), want, "strict %s", t)

TEST(documentation)
{
	/* https://kubernetes.io/docs/reference/kubectl/jsonpath/, with maps
	 * printed as JSON as current kubectl does */
	JP(doc, "kind is {.kind}", "kind is List");
	JP(doc, "{.kind}", "List");
	JP(doc, "{['kind']}", "List");
	JP(doc, "{['name\\.type']}", "");
	JP(doc, "{..name}", "127.0.0.1 127.0.0.2 myself e2e");
	JP(doc, "{.items[*].metadata.name}", "127.0.0.1 127.0.0.2");
	JP(doc, "{.users[0].name}", "myself");
	JP(doc, "{.items[*]['metadata.name', 'status.capacity']}",
	    "127.0.0.1 127.0.0.2 {\"cpu\":\"4\"} {\"cpu\":\"8\"}");
	JP(doc, "{.users[?(@.name==\"e2e\")].user.password}", "secret");
	JP(doc, "{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}",
	    "[127.0.0.1, {\"cpu\":\"4\"}] [127.0.0.2, {\"cpu\":\"8\"}] ");
	JP(doc, "{range .items[*]}{.metadata.name}{'\\t'}{end}",
	    "127.0.0.1\t127.0.0.2\t");
	JP(doc, "{.items[0].metadata.labels.kubernetes\\.io/hostname}",
	    "127.0.0.1");
	JP(doc, "{.items[0].metadata.name}", "127.0.0.1");
	JP(doc, "{range .items[*]}{.metadata.name}{\"\\t\"}"
	    "{.status.startTime}{\"\\n\"}{end}", "127.0.0.1\t\n127.0.0.2\t\n");
	JP(doc, "{.items[*].status.addresses[?(@.type==\"LegacyHostIP\")]"
	    ".address}", "127.0.0.1 127.0.0.2");
	JP(doc, "{.users[].name}", "myself");
	JP(doc, "{.users[*].name}", "myself e2e");
	JP(doc, "{.users[?(@.name == \"e2e\")].user.password}", "secret");
}

TEST(roots_and_printing)
{
	JP(doc, "{.users[0]}", "{\"name\":\"myself\",\"user\":{}}");
	JP(doc, "{$.kind}", "List");
	JP(doc, "{@.kind}", "List");
	JP(doc, "{.users[1].user}",
	    "{\"password\":\"secret\",\"username\":\"admin\"}");
	JP(doc, "plain text only", "plain text only");
	JP(doc, "", "");
	JP(doc, "{.kind}{\"\\n\"}", "List\n");
	JP(doc, "{\"\\x41\\u00e9\\101\"}", "A\xc3\xa9" "A");
	JP(subs, "{.items[1].status.conditions[0].message}",
	    "model <llama> & co");
	JP(subs, "{.items[1].status.conditions[0]}",
	    "{\"message\":\"model \\u003cllama\\u003e \\u0026 co\","
	    "\"reason\":\"ModelNotReady\",\"status\":\"False\",\"type\":\"Ready\"}");
	JP(subs, "{.items[1].status.note}", "null");
	JP(subs, "{.items[1].status.suspended}", "false");
	JP(subs, "{.items[0].spec.modelRefs[*].tokenRateLimits[*].limit}",
	    "100000 2500.5");
	JP(subs, "{.items[*].spec.priority}", "10 0");
	JP(doc, "{.kind.*}", "76 105 115 116");
	JP(doc, "{5} {-2} {1.5} {true}", "5 -2 1.5 true");
}

TEST(indexes_and_slices)
{
	JP(subs, "{.items[-1].metadata.name}", "free");
	JP(subs, "{.items[-2].metadata.name}", "gold");
	JP(subs, "{.items[0:2].metadata.name}", "gold free");
	JP(subs, "{.items[1:].metadata.name}", "free");
	JP(subs, "{.items[:1].metadata.name}", "gold");
	JP(subs, "{.items[::2].metadata.name}", "gold");
	JP(subs, "{.items[0,1,0].metadata.name}", "gold free gold");
	JP(subs, "{.items[1:1].metadata.name}", "");
	JP(subs, "{.items[*].spec.owner.groups[0].name}",
	    "premium-users system:authenticated");
	JP(subs, "{.items[2]}", "ERR1:error: error executing jsonpath "
	    "\"{.items[2]}\": Error executing template: array index out of "
	    "bounds: index 2, length 2");
	JP(subs, "{.items[-3]}", "ERR1:error: error executing jsonpath "
	    "\"{.items[-3]}\": Error executing template: array index out of "
	    "bounds: index -1, length 2");
	JP(subs, "{.items[1:0]}", "ERR1:error: error executing jsonpath "
	    "\"{.items[1:0]}\": Error executing template: starting index 1 is "
	    "greater than ending index 0");
	JP(subs, "{.items[::-1]}", "ERR1:error: error executing jsonpath "
	    "\"{.items[::-1]}\": Error executing template: step must be > 0");
	JP(subs, "{.kind[0]}", "ERR1:error: error executing jsonpath "
	    "\"{.kind[0]}\": Error executing template: string is not array or "
	    "slice");
	JP(subs, "{.metadata[0]}", "ERR1:error: error executing jsonpath "
	    "\"{.metadata[0]}\": Error executing template: map[string]interface "
	    "{} is not array or slice");
}

TEST(filters)
{
	JP(subs, "{.items[?(@.status.phase==\"Active\")].metadata.name}",
	    "gold");
	JP(subs, "{.items[?(@.status.phase!=\"Active\")].metadata.name}",
	    "free");
	JP(subs, "{.items[?(@.spec.priority>5)].metadata.name}", "gold");
	JP(subs, "{.items[?(@.spec.priority>=0)].metadata.name}", "gold free");
	JP(subs, "{.items[?(@.spec.priority<10)].metadata.name}", "free");
	JP(subs, "{.items[?(@.spec.priority<=10)].metadata.name}", "gold free");
	JP(subs, "{.items[?(@.spec.priority==10)].metadata.name}", "gold");
	JP(subs, "{.items[?(@.status.suspended==false)].metadata.name}",
	    "free");
	JP(subs, "{.items[?(@.metadata.labels)].metadata.name}", "gold");
	JP(subs, "{.items[?(@.metadata.labels.tier)].metadata.name}", "gold");
	JP(subs, "{.items[?(@.status.conditions[?(@.type==\"Ready\")])]}",
	    "ERR2:error: error parsing jsonpath {.items[?(@.status.conditions"
	    "[?(@.type==\"Ready\")])]}, unterminated filter");
	JP(subs, "{.items[*].status.conditions[?(@.type==\"Ready\")].reason}",
	    "Reconciled ModelNotReady");
	JP(subs, "{.items[0].spec.modelRefs[?(@.tokenRateLimits[0].limit>"
	    "2000.0)].name}", "ERR1:error: error executing jsonpath \"{.items"
	    "[0].spec.modelRefs[?(@.tokenRateLimits[0].limit>2000.0)].name}\": "
	    "Error executing template: incompatible types for comparison");
	JP(subs, "{.items[0].spec.modelRefs[1].tokenRateLimits[?(@.limit>"
	    "2000.0)].window}", "24h");
	JP(subs, "{.items[?(@.status.note==\"x\")]}", "ERR1:error: error "
	    "executing jsonpath \"{.items[?(@.status.note==\\\"x\\\")]}\": Error "
	    "executing template: invalid type for comparison");
	JP(subs, "{.items[?(@.spec.owner.groups[*].name==\"admins\")]}",
	    "ERR1:error: error executing jsonpath \"{.items[?(@.spec.owner."
	    "groups[*].name==\\\"admins\\\")]}\": Error executing template: can "
	    "only compare one element at a time");
	JP(subs, "{.items[?(@.spec.priority=<1)]}", "ERR1:error: error "
	    "executing jsonpath \"{.items[?(@.spec.priority=<1)]}\": Error "
	    "executing template: unrecognized filter operator =<");
	JP(subs, "{.metadata[?(@.x)]}", "ERR1:error: error executing jsonpath "
	    "\"{.metadata[?(@.x)]}\": Error executing template: "
	    "map[resourceVersion:187] is not array or slice and cannot be "
	    "filtered");
	/* missing keys inside a filter: no match, or an error when strict */
	JP(subs, "{.items[?(@.status.nope==\"x\")].metadata.name}", "");
	JPS(subs, "{.items[?(@.status.nope==\"x\")].metadata.name}",
	    "ERR1:error: error executing jsonpath \"{.items[?(@.status.nope=="
	    "\\\"x\\\")].metadata.name}\": Error executing template: nope is not "
	    "found");
}

TEST(range_end)
{
	JP(subs, "{range .items[*]}{.metadata.name}:{range "
	    ".spec.modelRefs[*]}{.name}={.tokenRateLimits[0].limit}/"
	    "{.tokenRateLimits[0].window};{end}{\"\\n\"}{end}",
	    "gold:llama=100000/1m;granite=2500.5/24h;\nfree:llama=1000/1m;\n");
	JP(subs, "{range .items[*]}{range .spec.owner.groups[*]}{.name} "
	    "{end}|{end}", "premium-users admins |system:authenticated |");
	JP(subs, "{range .nothing[*]}x{end}after", "after");
	JP(subs, "[{range .items[*]}{.metadata.name}{end}]", "[goldfree]");
	JP(subs, "{range .items[*]}{.metadata.name}", "goldfree");
	JP(subs, "{end}", "ERR1:error: error executing jsonpath \"{end}\": "
	    "Error executing template: not in range, nothing to end");
	/* range over an empty list still walks its body: strict mode fails */
	JPS(subs, "{range .items[5:5]}{.metadata.name}{end}", "ERR1:error: "
	    "error executing jsonpath \"{range .items[5:5]}{.metadata.name}"
	    "{end}\": Error executing template: metadata is not found");
	JP(subs, "{range .items[0].status.conditions[*]}{.type}{end}",
	    "Ready");
}

TEST(recursive_and_wildcard)
{
	JP(subs, "{.items[0].metadata.labels.*}", "maas gold");
	JP(subs, "{.items[0].spec..name}", "llama granite premium-users admins");
	JP(subs, "{..reason}", "Reconciled ModelNotReady");
	JP(subs, "{.items[*].status.conditions[*].type}", "Ready Ready");
	JP(doc, "{.users..}", "[{\"name\":\"myself\",\"user\":{}},{\"name\":"
	    "\"e2e\",\"user\":{\"password\":\"secret\",\"username\":\"admin\"}}]"
	    " {\"name\":\"myself\",\"user\":{}} myself {\"name\":\"e2e\",\"user\":"
	    "{\"password\":\"secret\",\"username\":\"admin\"}} e2e {\"password\":"
	    "\"secret\",\"username\":\"admin\"} secret admin");
	JP(doc, "{...kind}", "List None None");
	JP(doc, "{....kind}", "ERR2:error: error parsing jsonpath {....kind}, "
	    "invalid multiple recursive descent");
}

TEST(missing_keys)
{
	JP(subs, "{.nope}", "");
	JP(subs, "{.items[*].nope.deeper}", "");
	JPS(subs, "{.nope}", "ERR1:error: error executing jsonpath \"{.nope}\": "
	    "Error executing template: nope is not found");
	JPS(subs, "{.items[1].status.note.x}", "ERR1:error: error executing "
	    "jsonpath \"{.items[1].status.note.x}\": Error executing template: "
	    "x is not found");
	JPS(subs, "{.metadata.resourceVersion}", "187");
	JP(subs, "{.}", "");
}

TEST(parse_errors)
{
	JP(doc, "{.kind", "ERR2:error: error parsing jsonpath {.kind, unclosed "
	    "action");
	JP(doc, "{.items[0}", "ERR2:error: error parsing jsonpath {.items[0}, "
	    "unterminated array");
	JP(doc, "{.items[a]}", "ERR2:error: error parsing jsonpath {.items[a]}, "
	    "invalid array index a");
	JP(doc, "{.items[-]}", "ERR2:error: error parsing jsonpath {.items[-]}, "
	    "array index - is not a number");
	JP(doc, "{.items[?(@.a==1]}", "ERR2:error: error parsing jsonpath "
	    "{.items[?(@.a==1]}, unterminated filter");
	JP(doc, "{.items[?(@.a==1)x}", "ERR2:error: error parsing jsonpath "
	    "{.items[?(@.a==1)x}, unclosed array expect ]");
	JP(doc, "{\"abc}", "ERR2:error: error parsing jsonpath {\"abc}, "
	    "unterminated quoted string");
	JP(doc, "{\"\\q\"}", "ERR2:error: error parsing jsonpath {\"\\q\"}, "
	    "unquote string \"\\q\" error invalid syntax");
	JP(doc, "{#}", "ERR2:error: error parsing jsonpath {#}, unrecognized "
	    "character in action: U+0023 '#'");
	JP(doc, "{\t}", "ERR2:error: error parsing jsonpath {\t}, unrecognized "
	    "character in action: U+0009");
	JP(doc, "{1.2.3}", "ERR2:error: error parsing jsonpath {1.2.3}, cannot "
	    "parse number 1.2.3");
	JP(doc, "{.a\n}", "ERR2:error: error parsing jsonpath {.a\n}, unclosed "
	    "action");
	JP(doc, "{foo}", "ERR1:error: error executing jsonpath \"{foo}\": Error "
	    "executing template: unrecognized identifier foo");
}

TEST(error_quoting)
{
	/* the template in execution errors is quoted as Go's %q does */
	JP(doc, "{.kind[0]}\t\"\\\x01\xc3\xa9", "ERR1:error: error executing "
	    "jsonpath \"{.kind[0]}\\t\\\"\\\\\\x01\xc3\xa9\": Error executing "
	    "template: string is not array or slice");
	JP(doc, "{.kind[0]}\xff", "ERR1:error: error executing jsonpath "
	    "\"{.kind[0]}\\xff\": Error executing template: string is not array "
	    "or slice");
}

TEST(as_json)
{
	is_str(jp_run(doc, "{.users[*].name}{.kind}", 1, 1),
	    "[\n    \"myself\",\n    \"e2e\"\n]\n[\n    \"List\"\n]\n",
	    "jsonpath-as-json groups");
	is_str(jp_run(doc, "{.nope}", 1, 1), "[]\n", "empty group");
}

TEST(find_and_strings)
{
	struct err	 e = ERR_INIT;
	struct strlist	 sl = STRLIST_INIT;
	struct jsonpath	*jp;
	cJSON		*r;
	char		*s;

	jp = jsonpath_parse("{.items[*].metadata.name}{\"x\"}{7}", &e);
	ok(jp != NULL, "parse");
	r = jsonpath_find(jp, subs, &e);
	s = json_print(r, 0);
	is_str(s, "[\"gold\",\"free\",\"x\",7]", "jsonpath_find flattens");
	free(s);
	cJSON_Delete(r);
	jsonpath_free(jp);

	jp = jsonpath_parse("{.items[0].metadata.labels}{.items[0].spec."
	    "owner.groups}{.items[1].status.note}{.items[0].spec.modelRefs[1]."
	    "tokenRateLimits[0].limit}", &e);
	ok(jsonpath_find_strings(jp, subs, &sl, &e) == 0, "find strings");
	is_int(sl.n, 4, "four values");
	if (sl.n == 4) {
		is_str(sl.v[0], "map[app.kubernetes.io/part-of:maas tier:gold]",
		    "map as fmt.Sprint");
		is_str(sl.v[1], "[map[name:premium-users] map[name:admins]]",
		    "list as fmt.Sprint");
		is_str(sl.v[2], "<nil>", "null as fmt.Sprint");
		is_str(sl.v[3], "2500.5", "float");
	}
	sl_free(&sl);
	jsonpath_free(jp);

	jp = jsonpath_parse_bare("{.a", &e);
	ok(jp == NULL && e.raw == 0, "bare parse error is not raw");
	is_str(e.msg, "unclosed action", "bare parse error text");
	err_clear(&e);
}

TEST(step_limit)
{
	struct err	 e = ERR_INIT;
	struct strbuf	 sb = STRBUF_INIT;
	struct jsonpath	*jp;

	jp = jsonpath_parse("{range ..}{range ..}{range ..}{..}{end}{end}{end}",
	    &e);
	jsonpath_set_max_steps(jp, 1000);
	sb_init(&sb);
	ok(jsonpath_execute(jp, subs, &sb, &e) == -1, "budget exceeded");
	ok(e.msg != NULL && strstr(e.msg, "evaluation exceeds 1000 steps"),
	    "budget error names the limit");
	is_int(sb.len, 0, "nothing printed on error");
	err_clear(&e);
	sb_free(&sb);
	jsonpath_free(jp);
}

int
main(void)
{
	doc = load("jsonpath-doc.json");
	subs = load("subscriptions-list.json");
	RUN(documentation);
	RUN(roots_and_printing);
	RUN(indexes_and_slices);
	RUN(filters);
	RUN(range_end);
	RUN(recursive_and_wildcard);
	RUN(missing_keys);
	RUN(parse_errors);
	RUN(error_quoting);
	RUN(as_json);
	RUN(find_and_strings);
	RUN(step_limit);
	cJSON_Delete(doc);
	cJSON_Delete(subs);
	return tap_done();
}
