/*
 * test_output.c: the -o printers on fixture objects (a Table of
 * maasmodelrefs, a list of subscriptions), asserting kubectl's exact text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "json.h"
#include "output.h"
#include "yaml.h"
#include "xalloc.h"

static cJSON *table, *subs, *kubeconfig;

static char *
slurp(const char *name)
{
	const char	*root = getenv("MAASCTL_TEST_ROOT");
	struct strbuf	 sb = STRBUF_INIT;
	char		*path, buf[4096];
	size_t		 n;
	FILE		*f;

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
	free(path);
	return sb_detach(&sb);
}

static cJSON *
load(const char *name)
{
	char	*s = slurp(name);
	cJSON	*v = json_parse(s, strlen(s), NULL);

	if (v == NULL) {
		printf("Bail out! cannot parse %s\n", name);
		exit(1);
	}
	free(s);
	return v;
}

/* Captured stdout and stderr of one output_print call. */
static char *got_out, *got_err;
static struct err got_e;

static int
print(struct output *o, const cJSON *obj, const struct output_ctx *ctx)
{
	char	*ob = NULL, *eb = NULL;
	size_t	 on = 0, en = 0;
	FILE	*out = open_memstream(&ob, &on);
	FILE	*errfp = open_memstream(&eb, &en);
	int	 rc;

	err_clear(&got_e);
	rc = output_print(o, obj, ctx, out, errfp, &got_e);
	fclose(out);
	fclose(errfp);
	free(got_out);
	free(got_err);
	got_out = ob;
	got_err = eb;
	return rc;
}

static int
parse(struct output *o, const char *spec)
{
	err_clear(&got_e);
	return output_parse(o, spec, &got_e);
}

static const struct output_ctx models_ns = { "models", "MaaSModelRef",
    "maas.opendatahub.io" };

TEST(server_table)
{
	struct output	 o;

	ok(parse(&o, NULL) == 0 && o.format == OUTPUT_TABLE, "default table");
	ok(print(&o, table, &models_ns) == 0, "print table");
	is_str(got_out,
	    "NAME      PHASE     ENDPOINT                            HTTPROUTE     GATEWAY                AGE\n"
	    "llama     Ready     https://maas.example/llm/llama/v1   llama-route   maas-default-gateway   5d3h\n"
	    "granite   Pending                                                                            47m\n"
	    "ext       Failed    https://ext.example/v1...                                                3m20s\n",
	    "priority 0 columns, uppercased, 3-space padding, cut at newline");
	is_str(got_err, "", "nothing on stderr");
	output_free(&o);

	ok(parse(&o, "wide") == 0 && o.format == OUTPUT_WIDE, "-o wide");
	print(&o, table, &models_ns);
	is_str(got_out,
	    "NAME      PHASE     ENDPOINT                            HTTPROUTE     GATEWAY                REASON            AGE\n"
	    "llama     Ready     https://maas.example/llm/llama/v1   llama-route   maas-default-gateway                     5d3h\n"
	    "granite   Pending                                                                            BackendNotReady   47m\n"
	    "ext       Failed    https://ext.example/v1...                                                x^[y              3m20s\n",
	    "wide adds priority 1 columns; ESC escaped as ^[");
	output_free(&o);

	parse(&o, "table");
	o.show_namespace = 1;
	o.show_labels = 1;
	sl_add(&o.label_columns, "example.com/tier");
	print(&o, table, NULL);
	is_str(got_out,
	    "NAMESPACE   NAME      PHASE     ENDPOINT                            HTTPROUTE     GATEWAY                AGE     TIER   LABELS\n"
	    "models      llama     Ready     https://maas.example/llm/llama/v1   llama-route   maas-default-gateway   5d3h           app=llm,tier=gold\n"
	    "team-b      granite   Pending                                                                            47m            <none>\n"
	    "models      ext       Failed    https://ext.example/v1...                                                3m20s          app=proxy\n",
	    "-L example.com/tier: headed TIER, looked up by the whole key");
	output_free(&o);

	parse(&o, NULL);
	o.show_namespace = 1;
	o.show_labels = 1;
	sl_add(&o.label_columns, "tier");
	print(&o, table, NULL);
	is_str(got_out,
	    "NAMESPACE   NAME      PHASE     ENDPOINT                            HTTPROUTE     GATEWAY                AGE     TIER   LABELS\n"
	    "models      llama     Ready     https://maas.example/llm/llama/v1   llama-route   maas-default-gateway   5d3h    gold   app=llm,tier=gold\n"
	    "team-b      granite   Pending                                                                            47m            <none>\n"
	    "models      ext       Failed    https://ext.example/v1...                                                3m20s          app=proxy\n",
	    "-A NAMESPACE first, -L tier, --show-labels");
	output_free(&o);

	parse(&o, NULL);
	o.no_headers = 1;
	print(&o, table, &models_ns);
	is_str(got_out,
	    "llama     Ready     https://maas.example/llm/llama/v1   llama-route   maas-default-gateway   5d3h\n"
	    "granite   Pending                                                                            47m\n"
	    "ext       Failed    https://ext.example/v1...                                                3m20s\n",
	    "--no-headers");
	output_free(&o);

	parse(&o, NULL);
	o.show_kind = 1;
	print(&o, table, &models_ns);
	is_str(got_out,
	    "NAME                                       PHASE     ENDPOINT                            HTTPROUTE     GATEWAY                AGE\n"
	    "maasmodelref.maas.opendatahub.io/llama     Ready     https://maas.example/llm/llama/v1   llama-route   maas-default-gateway   5d3h\n"
	    "maasmodelref.maas.opendatahub.io/granite   Pending                                                                            47m\n"
	    "maasmodelref.maas.opendatahub.io/ext       Failed    https://ext.example/v1...                                                3m20s\n",
	    "--show-kind prefixes kind.group/ to the name column");
	output_free(&o);
}

TEST(label_column_header)
{
	struct output	 o;

	parse(&o, NULL);
	sl_add(&o.label_columns, "app.kubernetes.io/name");
	print(&o, table, &models_ns);
	ok(strncmp(got_out, "NAME      PHASE", 15) == 0 &&
	    strstr(got_out, "AGE     NAME\n") != NULL,
	    "-L app.kubernetes.io/name is headed NAME");
	output_free(&o);
}

TEST(empty)
{
	struct output	 o;
	cJSON		*t = cJSON_Duplicate(table, 1);
	struct output_ctx cluster = { NULL, "Namespace", "" };

	cJSON_ReplaceItemInObject(t, "rows", cJSON_CreateArray());
	parse(&o, NULL);
	print(&o, t, &models_ns);
	is_str(got_out, "", "no headers for an empty table");
	is_str(got_err, "No resources found in models namespace.\n",
	    "namespaced: message on stderr");
	print(&o, t, &cluster);
	is_str(got_err, "No resources found\n", "cluster-scoped or -A");
	output_free(&o);

	parse(&o, "json");
	cJSON_ReplaceItemInObject(t, "kind", cJSON_CreateString("FooList"));
	cJSON_DeleteItemFromObject(t, "columnDefinitions");
	cJSON_DeleteItemFromObject(t, "rows");
	cJSON_AddArrayToObject(t, "items");
	print(&o, t, &models_ns);
	is_str(got_out, "{\n    \"apiVersion\": \"v1\",\n    \"items\": [],\n"
	    "    \"kind\": \"List\",\n    \"metadata\": {\n"
	    "        \"resourceVersion\": \"\"\n    }\n}\n",
	    "an empty list in json");
	is_str(got_err, "", "json prints no message");
	output_free(&o);
	cJSON_Delete(t);
}

TEST(default_columns)
{
	struct output	 o;

	parse(&o, NULL);
	o.now = 1795867200;	/* 2026-11-28T12:00:00Z */
	print(&o, subs, &models_ns);
	is_str(got_out,
	    "NAME   AGE\n"
	    "gold   5d22h\n"
	    "free   5d22h\n", "a list without a Table: NAME and AGE");
	output_free(&o);

	parse(&o, NULL);
	o.now = 1795867200;
	o.show_namespace = 1;
	print(&o, cJSON_GetArrayItem(cJSON_GetObjectItem(subs, "items"), 0),
	    NULL);
	is_str(got_out,
	    "NAMESPACE   NAME   AGE\n"
	    "team-a      gold   5d22h\n", "one object, -A");
	output_free(&o);
}

TEST(durations)
{
	static const struct { double s; const char *want; } t[] = {
		{ -5, "<invalid>" }, { -1, "0s" }, { 0, "0s" }, { 5, "5s" },
		{ 119, "119s" }, { 120, "2m" }, { 200, "3m20s" },
		{ 599, "9m59s" }, { 600, "10m" }, { 10799, "179m" },
		{ 10800, "3h" }, { 5 * 3600 + 20 * 60, "5h20m" },
		{ 8 * 3600, "8h" }, { 10 * 3600, "10h" }, { 47 * 3600, "47h" },
		{ 48 * 3600, "2d" }, { 5 * 86400, "5d" },
		{ 3 * 86400 + 5 * 3600, "3d5h" }, { 8 * 86400, "8d" },
		{ 400 * 86400, "400d" }, { 730 * 86400, "2y" },
		{ (3 * 365 + 10) * 86400.0, "3y10d" },
		{ 9 * 365 * 86400.0, "9y" },
	};
	char	*s;
	size_t	 i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		s = output_human_duration(t[i].s);
		is_str(s, t[i].want, "HumanDuration(%gs)", t[i].s);
		free(s);
	}
	s = output_age("2026-11-28T11:59:55Z", 1795867200);
	is_str(s, "5s", "age of a timestamp");
	free(s);
	s = output_age("2026-11-28T13:00:00+01:00", 1795867200);
	is_str(s, "0s", "offset honoured");
	free(s);
	s = output_age("2026-11-28T11:56:39.5Z", 1795867200);
	is_str(s, "3m20s", "fraction");
	free(s);
	s = output_age("yesterday", 1795867200);
	is_str(s, "<invalid>", "unparsable");
	free(s);
	s = output_age(NULL, 1795867200);
	is_str(s, "<unknown>", "absent");
	free(s);
}

TEST(json_yaml)
{
	struct output	 o;
	const cJSON	*gold = cJSON_GetArrayItem(cJSON_GetObjectItem(subs,
			    "items"), 0);
	cJSON		*obj;
	char		*want;

	parse(&o, "json");
	obj = cJSON_Parse("{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\","
	    "\"metadata\":{\"name\":\"a\",\"managedFields\":[{\"manager\":"
	    "\"kubectl\"}]},\"data\":{\"z\":\"<1>\",\"b\":\"2\"}}");
	print(&o, obj, NULL);
	is_str(got_out, "{\n    \"apiVersion\": \"v1\",\n    \"data\": {\n"
	    "        \"b\": \"2\",\n        \"z\": \"\\u003c1\\u003e\"\n    },\n"
	    "    \"kind\": \"ConfigMap\",\n    \"metadata\": {\n"
	    "        \"name\": \"a\"\n    }\n}\n",
	    "one object: sorted keys, 4 spaces, Go escapes, no managedFields");
	o.show_managed_fields = 1;
	print(&o, obj, NULL);
	ok(strstr(got_out, "\"managedFields\"") != NULL,
	    "--show-managed-fields keeps them");
	output_free(&o);

	parse(&o, "yaml");
	print(&o, obj, NULL);
	is_str(got_out, "apiVersion: v1\ndata:\n  b: \"2\"\n  z: <1>\n"
	    "kind: ConfigMap\nmetadata:\n  name: a\n", "one object as yaml");
	print(&o, obj, NULL);
	is_str(got_out, "---\napiVersion: v1\ndata:\n  b: \"2\"\n  z: <1>\n"
	    "kind: ConfigMap\nmetadata:\n  name: a\n",
	    "a second document is preceded by ---");
	output_free(&o);
	cJSON_Delete(obj);

	parse(&o, "yaml");
	obj = cJSON_Parse("{\"kind\":\"MaaSSubscriptionList\",\"apiVersion\":"
	    "\"maas.opendatahub.io/v1alpha1\",\"metadata\":{\"resourceVersion\":"
	    "\"9\"},\"items\":[{\"metadata\":{\"name\":\"x\"}}]}");
	print(&o, obj, NULL);
	is_str(got_out, "apiVersion: v1\nitems:\n"
	    "- apiVersion: maas.opendatahub.io/v1alpha1\n"
	    "  kind: MaaSSubscription\n  metadata:\n    name: x\n"
	    "kind: List\nmetadata:\n  resourceVersion: \"\"\n",
	    "a list: kubectl's List wrapping, items get kind and apiVersion");
	output_free(&o);
	cJSON_Delete(obj);

	parse(&o, "json");
	print(&o, subs, NULL);
	ok(strncmp(got_out, "{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n"
	    "        {\n            \"apiVersion\": \"maas.opendatahub.io/"
	    "v1alpha1\",\n", 94) == 0, "list as json starts like kubectl's");
	want = "    ],\n    \"kind\": \"List\",\n    \"metadata\": {\n"
	    "        \"resourceVersion\": \"\"\n    }\n}\n";
	ok(strlen(got_out) > strlen(want) && strcmp(got_out + strlen(got_out) -
	    strlen(want), want) == 0, "and ends like kubectl's");
	ok(strstr(got_out, "\"limit\": 2500.5") != NULL &&
	    strstr(got_out, "\"limit\": 100000,") != NULL, "numbers as Go");
	output_free(&o);
	(void)gold;
}

TEST(name)
{
	struct output	 o;
	struct output_ctx core = { NULL, "ConfigMap", "" };
	cJSON		*obj;
	char		*ob = NULL;
	size_t		 on = 0;
	FILE		*f;

	parse(&o, "name");
	print(&o, subs, NULL);
	is_str(got_out, "maassubscription.maas.opendatahub.io/gold\n"
	    "maassubscription.maas.opendatahub.io/free\n", "a list");
	obj = cJSON_Parse("{\"metadata\":{\"name\":\"cfg\"}}");
	print(&o, obj, &core);
	is_str(got_out, "configmap/cfg\n", "core group, kind from context");
	ok(print(&o, obj, NULL) == -1, "no kind anywhere: error");
	is_str(got_e.msg, "cannot print cfg as -o name: the object has no "
	    "apiVersion or kind", "error text");
	output_free(&o);
	f = open_memstream(&ob, &on);
	output_name(f, cJSON_GetArrayItem(cJSON_GetObjectItem(subs, "items"), 1),
	    "created", NULL, NULL);
	fclose(f);
	is_str(ob, "maassubscription.maas.opendatahub.io/free created\n",
	    "mutation verb appended");
	free(ob);
	cJSON_Delete(obj);
}

TEST(jsonpath)
{
	struct output	 o;

	ok(parse(&o, "jsonpath={range .items[*]}{.metadata.name}{\"\\t\"}"
	    "{.status.phase}{\"\\n\"}{end}") == 0, "jsonpath=");
	print(&o, subs, NULL);
	is_str(got_out, "gold\tActive\nfree\tPending\n", "range over the list");
	output_free(&o);

	parse(&o, "jsonpath={.kind} {.metadata} {.items[0].metadata.name}");
	print(&o, subs, NULL);
	is_str(got_out, "List {\"resourceVersion\":\"\"} gold",
	    "the list is wrapped as kubectl's List first");
	output_free(&o);

	parse(&o, "jsonpath={.metadata.nothere}");
	ok(print(&o, subs, NULL) == 0 && strcmp(got_out, "") == 0,
	    "missing keys allowed");
	output_free(&o);

	parse(&o, "jsonpath={.items[9]}");
	ok(print(&o, subs, NULL) == -1, "execution error");
	is_str(got_e.msg, "error: error executing jsonpath \"{.items[9]}\": "
	    "Error executing template: array index out of bounds: index 9, "
	    "length 2", "kubectl's message");
	is_str(got_out, "", "nothing printed");
	output_free(&o);

	parse(&o, "jsonpath-as-json={.items[*].metadata.name}");
	print(&o, subs, NULL);
	is_str(got_out, "[\n    \"gold\",\n    \"free\"\n]\n", "jsonpath-as-json");
	output_free(&o);
}

TEST(jsonpath_file)
{
	struct output	 o;
	char		 path[] = "/tmp/maasctl-test-jp.XXXXXX";
	int		 fd = mkstemp(path);
	FILE		*f = fdopen(fd, "w");

	fputs("{range .items[*]}{.metadata.name}={.spec.priority}\n{end}", f);
	fclose(f);
	{
		char *spec = xasprintf("jsonpath-file=%s", path);

		ok(parse(&o, spec) == 0, "jsonpath-file=");
		free(spec);
	}
	print(&o, subs, NULL);
	is_str(got_out, "gold=10\nfree=0\n", "template from a file");
	output_free(&o);
	unlink(path);
	ok(parse(&o, "jsonpath-file=/nonexistent/t") == -1, "missing file");
	is_str(got_e.msg, "error: error reading --template /nonexistent/t, "
	    "open /nonexistent/t: no such file or directory", "its error");
	is_int(got_e.code, 2, "exit 2");
}

TEST(custom_columns)
{
	struct output	 o;
	char		 path[] = "/tmp/maasctl-test-cc.XXXXXX";
	int		 fd;
	FILE		*f;
	char		*spec;

	ok(parse(&o, "custom-columns=NAME:.metadata.name,RV:.metadata."
	    "resourceVersion,GROUPS:spec.owner.groups[*].name,NOTE:{.status."
	    "note},LABELS:{.metadata.labels},MISSING:.x.y") == 0,
	    "custom-columns=");
	print(&o, subs, NULL);
	is_str(got_out,
	    "NAME   RV    GROUPS                 NOTE     LABELS                                          MISSING\n"
	    "gold   108   premium-users,admins   <none>   map[app.kubernetes.io/part-of:maas tier:gold]   <none>\n"
	    "free   121   system:authenticated   <nil>    <none>                                          <none>\n",
	    "headers as given, values joined by commas, <none>, Go's %%v");
	output_free(&o);

	parse(&o, "custom-columns=NAME:.metadata.name");
	o.no_headers = 1;
	print(&o, cJSON_GetArrayItem(cJSON_GetObjectItem(subs, "items"), 1),
	    NULL);
	is_str(got_out, "free\n", "one object, --no-headers");
	output_free(&o);

	fd = mkstemp(path);
	f = fdopen(fd, "w");
	fputs("NAME    PHASE\n.metadata.name   {.status.phase}\n", f);
	fclose(f);
	spec = xasprintf("custom-columns-file=%s", path);
	ok(parse(&o, spec) == 0, "custom-columns-file=");
	free(spec);
	print(&o, subs, NULL);
	is_str(got_out, "NAME   PHASE\ngold   Active\nfree   Pending\n",
	    "columns from a file");
	output_free(&o);

	f = fopen(path, "w");
	fputs("NAME PHASE\n.metadata.name\n", f);
	fclose(f);
	spec = xasprintf("custom-columns-file=%s", path);
	ok(parse(&o, spec) == -1, "mismatched file");
	is_str(got_e.msg, "error: number of headers (2) and field "
	    "specifications (1) don't match", "its error");
	free(spec);
	unlink(path);

	ok(parse(&o, "custom-columns=NAME") == -1, "spec without a path");
	is_str(got_e.msg, "error: unexpected custom-columns spec: NAME, "
	    "expected <header>:<json-path-expr>", "its error");
	ok(parse(&o, "custom-columns=") == -1, "empty spec");
	is_str(got_e.msg, "error: custom-columns format specified but no "
	    "custom columns given", "its error");
	ok(parse(&o, "custom-columns=A:{{.x}}") == -1, "braces in a path");
	is_str(got_e.msg, "error: unexpected path string, expected a "
	    "'name1.name2' or '.name1.name2' or '{name1.name2}' or "
	    "'{.name1.name2}'", "its error");
	ok(parse(&o, "custom-columns=A:.x[") == -1, "bad path");
	is_str(got_e.msg, "error: error parsing jsonpath {.x[}, unterminated "
	    "array", "its error");
}

TEST(bad_formats)
{
	struct output	 o;

	ok(parse(&o, "xml") == -1, "unknown format");
	is_str(got_e.msg, "error: unable to match a printer suitable for the "
	    "output format \"xml\", allowed formats are: custom-columns,"
	    "custom-columns-file,json,jsonpath,jsonpath-as-json,jsonpath-file,"
	    "name,table,wide,yaml", "kubectl's wording");
	is_int(got_e.code, 2, "exit 2");
	ok(got_e.raw, "printed as is");
	ok(parse(&o, "go-template={{.x}}") == -1, "go templates are not "
	    "supported");
	ok(parse(&o, "jsonpath") == -1, "jsonpath without a template");
	is_str(got_e.msg, "error: template format specified but no template "
	    "given", "its error");
	ok(parse(&o, "jsonpath={.a") == -1, "a template that does not parse");
	is_str(got_e.msg, "error: error parsing jsonpath {.a, unclosed action",
	    "its error");
	is_int(got_e.code, 2, "exit 2");
}

TEST(client_table)
{
	static const char *const heads[] = { "Name", "Subscription",
	    "Expires", "Id" };
	struct output_table	*t = output_table_new(heads, 4);
	struct output		 o;
	char			*ob = NULL;
	size_t			 on = 0;
	FILE			*f;

	output_table_wide(t, 3);
	output_table_add(t, "ci-key");
	output_table_add(t, "gold");
	output_table_add(t, NULL);
	output_table_addf(t, "k-%d", 1);
	output_table_end_row(t);
	output_table_add(t, "laptop");
	output_table_add(t, "free-tier-long");
	output_table_add(t, "90d");
	output_table_add(t, "k-2");
	output_table_end_row(t);
	is_int(output_table_rows(t), 2, "two rows");
	parse(&o, NULL);
	f = open_memstream(&ob, &on);
	output_table_print(t, &o, f);
	fclose(f);
	is_str(ob,
	    "NAME     SUBSCRIPTION     EXPIRES\n"
	    "ci-key   gold             <none>\n"
	    "laptop   free-tier-long   90d\n", "client table");
	free(ob);
	output_free(&o);
	parse(&o, "wide");
	ob = NULL;
	f = open_memstream(&ob, &on);
	output_table_print(t, &o, f);
	fclose(f);
	is_str(ob,
	    "NAME     SUBSCRIPTION     EXPIRES   ID\n"
	    "ci-key   gold             <none>    k-1\n"
	    "laptop   free-tier-long   90d       k-2\n", "client table, wide");
	free(ob);
	output_free(&o);
	output_table_free(t);
}

TEST(client_table_numbers)
{
	static const char *const heads[] = { "N" };
	static const double v[] = { 0, 7, -3, 1e15, 2.5, 3.5, -0.4, 1e20,
	    12345678.0 };
	struct output_table	*t = output_table_new(heads, 1);
	struct output		 o;
	char			*ob = NULL, want[512];
	size_t			 on = 0, i, w = 0;
	FILE			*f;

	ok(output_table_shows_wide(t), "wide columns shown by default");
	output_table_narrow(t);
	ok(!output_table_shows_wide(t), "not after output_table_narrow");
	w += (size_t)snprintf(want + w, sizeof want - w, "N\n");
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		output_table_add_num(t, v[i]);
		output_table_end_row(t);
		w += (size_t)snprintf(want + w, sizeof want - w, "%.0f\n", v[i]);
	}
	parse(&o, NULL);
	f = open_memstream(&ob, &on);
	output_table_print(t, &o, f);
	fclose(f);
	is_str(ob, want, "numbers print as %%.0f does");
	free(ob);
	output_free(&o);
	output_table_free(t);
}

TEST(tabwriter)
{
	static char *l0[] = { "A", "BB", "C", NULL };
	static char *l1[] = { "aaaaaaa", "", "x", NULL };
	static char *l2[] = { "short", NULL };
	static char *l3[] = { "z", "q", "end", NULL };
	char		**lines[] = { l0, l1, l2, l3 };
	struct strbuf	 sb = STRBUF_INIT;

	sb_init(&sb);
	output_tabwrite(&sb, lines, 4);
	is_str(sb.buf,
	    "A         BB    C\n"
	    "aaaaaaa         x\n"
	    "short\n"
	    "z     q     end\n",
	    "column blocks end at a line with fewer cells, minwidth 6");
	sb_free(&sb);
}

TEST(kubeconfig_jsonpath)
{
	struct output	 o;

	parse(&o, "jsonpath={.contexts[?(@.name==\"dev\")].context.namespace}"
	    "/{.clusters[?(@.name==\"prod-cluster\")].cluster.server}");
	print(&o, kubeconfig, NULL);
	is_str(got_out, "team-a/https://127.0.0.1:2", "filters on a kubeconfig");
	output_free(&o);
}

int
main(void)
{
	char	*s;

	table = load("maasmodelrefs-table.json");
	subs = load("subscriptions-list.json");
	s = slurp("kubeconfig-jsonpath.yaml");
	if ((kubeconfig = yaml_parse(s, strlen(s), NULL)) == NULL) {
		printf("Bail out! cannot parse kubeconfig-jsonpath.yaml\n");
		return 1;
	}
	free(s);
	RUN(server_table);
	RUN(label_column_header);
	RUN(empty);
	RUN(default_columns);
	RUN(durations);
	RUN(json_yaml);
	RUN(name);
	RUN(jsonpath);
	RUN(jsonpath_file);
	RUN(custom_columns);
	RUN(bad_formats);
	RUN(client_table);
	RUN(client_table_numbers);
	RUN(tabwriter);
	RUN(kubeconfig_jsonpath);
	cJSON_Delete(table);
	cJSON_Delete(subs);
	cJSON_Delete(kubeconfig);
	free(got_out);
	free(got_err);
	err_clear(&got_e);
	return tap_done();
}
