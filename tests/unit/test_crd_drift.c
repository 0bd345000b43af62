/*
 * test_crd_drift.c: the sandbox's own MaaS CRDs (cli/sandbox/crds/) must
 * not drift from the real ones in ../shared/reference/crds: same field
 * names, types, required lists, enums, patterns, bounds, lengths, item
 * counts, formats, defaults, CEL rules, names, scope and printer columns.
 * Skips (with a message) when the reference dir is not beside the checkout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json.h"
#include "yaml.h"
#include "sandbox/schema.h"
#include "tap.h"

/* Schema keywords compared at every node (descriptions are not). */
static const char *keys[] = { "type", "enum", "pattern", "minimum",
    "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
    "maxLength", "minItems", "maxItems", "minProperties", "maxProperties",
    "format", "default", "nullable", "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-int-or-string", "x-kubernetes-embedded-resource",
    "x-kubernetes-list-type", "x-kubernetes-map-type", NULL };

static const char *
root(void)
{
	const char	*r = getenv("MAASCTL_TEST_ROOT");

	return r != NULL ? r : ".";
}

static char *
reference_dir(void)
{
	static const char *cands[] = { "../shared/reference",
	    "../../shared/reference", NULL };
	struct stat	 st;
	char		*p;
	size_t		 i;

	if (getenv("MAAS_REFERENCE") != NULL)
		return xstrdup(getenv("MAAS_REFERENCE"));
	for (i = 0; cands[i] != NULL; i++) {
		p = xasprintf("%s/%s/crds", root(), cands[i]);
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			free(p);
			return xasprintf("%s/%s", root(), cands[i]);
		}
		free(p);
	}
	return NULL;
}

static cJSON *
load_yaml(const char *path)
{
	FILE		*f = fopen(path, "rb");
	struct strbuf	 sb = STRBUF_INIT;
	char		 buf[4096];
	size_t		 n;
	cJSON		*o;

	if (f == NULL)
		return NULL;
	sb_init(&sb);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(&sb, buf, n);
	fclose(f);
	o = yaml_parse(sb.buf, sb.len, NULL);
	sb_free(&sb);
	return o;
}

/* A JSON value as text for messages and order-insensitive comparisons. */
static char *
text(const cJSON *v)
{
	return v != NULL ? json_print(v, 0) : xstrdup("(absent)");
}

/* A sorted copy of a string array (for required lists). */
static cJSON *
sorted_strings(const cJSON *a)
{
	struct strlist	 sl = STRLIST_INIT;
	const cJSON	*it;
	cJSON		*out;
	size_t		 i;

	if (a == NULL)
		return NULL;
	cJSON_ArrayForEach(it, a) {
		if (cJSON_IsString(it))
			sl_add(&sl, it->valuestring);
	}
	sl_sort(&sl);
	out = cJSON_CreateArray();
	for (i = 0; i < sl.n; i++)
		cJSON_AddItemToArray(out, cJSON_CreateString(sl.v[i]));
	sl_free(&sl);
	return out;
}

/* CEL rules as a comparable array of {rule, message, reason}. */
static cJSON *
rules(const cJSON *a)
{
	const cJSON	*it;
	cJSON		*out, *r;

	if (a == NULL)
		return NULL;
	out = cJSON_CreateArray();
	cJSON_ArrayForEach(it, a) {
		r = cJSON_CreateObject();
		if (json_str(it, "rule") != NULL)
			cJSON_AddStringToObject(r, "rule", json_str(it, "rule"));
		if (json_str(it, "message") != NULL)
			cJSON_AddStringToObject(r, "message",
			    json_str(it, "message"));
		if (json_str(it, "reason") != NULL)
			cJSON_AddStringToObject(r, "reason",
			    json_str(it, "reason"));
		cJSON_AddItemToArray(out, r);
	}
	return out;
}

static void
differ(struct strlist *diffs, const char *path, const char *what,
    const cJSON *mine, const cJSON *real)
{
	char	*a = text(mine), *b = text(real);

	sl_addf(diffs, "%s %s: sandbox %s, real %s", *path ? path : "<root>",
	    what, a, b);
	free(a);
	free(b);
}

/* Compare two schema nodes at path, recording differences. */
static void
compare(const cJSON *mine, const cJSON *real, const char *path,
    struct strlist *diffs)
{
	const cJSON	*a, *b, *it;
	cJSON		*sa, *sb;
	char		*p;
	size_t		 i;

	for (i = 0; keys[i] != NULL; i++) {
		a = cJSON_GetObjectItemCaseSensitive(mine, keys[i]);
		b = cJSON_GetObjectItemCaseSensitive(real, keys[i]);
		if ((a != NULL || b != NULL) && (a == NULL || b == NULL ||
		    !json_equal(a, b)))
			differ(diffs, path, keys[i], a, b);
	}
	sa = sorted_strings(json_path(mine, "required"));
	sb = sorted_strings(json_path(real, "required"));
	if ((sa != NULL || sb != NULL) && (sa == NULL || sb == NULL ||
	    !json_equal(sa, sb)))
		differ(diffs, path, "required", sa, sb);
	cJSON_Delete(sa);
	cJSON_Delete(sb);
	sa = rules(json_path(mine, "x-kubernetes-validations"));
	sb = rules(json_path(real, "x-kubernetes-validations"));
	if ((sa != NULL || sb != NULL) && (sa == NULL || sb == NULL ||
	    !json_equal(sa, sb)))
		differ(diffs, path, "x-kubernetes-validations", sa, sb);
	cJSON_Delete(sa);
	cJSON_Delete(sb);

	cJSON_ArrayForEach(it, json_path(mine, "properties")) {
		p = *path ? xasprintf("%s.%s", path, it->string) :
		    xstrdup(it->string);
		b = json_path(real, "properties");
		b = b != NULL ? cJSON_GetObjectItemCaseSensitive(b,
		    it->string) : NULL;
		if (b == NULL)
			sl_addf(diffs, "%s: only in the sandbox's CRD", p);
		else
			compare(it, b, p, diffs);
		free(p);
	}
	cJSON_ArrayForEach(it, json_path(real, "properties")) {
		a = json_path(mine, "properties");
		if (a == NULL || cJSON_GetObjectItemCaseSensitive(a,
		    it->string) == NULL)
			sl_addf(diffs, "%s%s%s: missing from the sandbox's CRD",
			    path, *path ? "." : "", it->string);
	}
	a = json_path(mine, "items");
	b = json_path(real, "items");
	if (a != NULL || b != NULL) {
		p = xasprintf("%s[]", path);
		if (a == NULL || b == NULL)
			differ(diffs, p, "items", a, b);
		else
			compare(a, b, p, diffs);
		free(p);
	}
	a = json_path(mine, "additionalProperties");
	b = json_path(real, "additionalProperties");
	if (a != NULL || b != NULL) {
		p = xasprintf("%s{}", path);
		if (a == NULL || b == NULL || cJSON_IsBool(a) || cJSON_IsBool(b)) {
			if (a == NULL || b == NULL || !json_equal(a, b))
				differ(diffs, p, "additionalProperties", a, b);
		} else
			compare(a, b, p, diffs);
		free(p);
	}
}

/*
 * The one documented addition to the real CRDs: short names kubectl users
 * expect (issue 4, "Short kind names"), which the real CRDs lack.  The
 * sandbox may serve exactly these on top of the real short names.
 */
static const char *const added_shorts[][3] = {
	{ "maassubscriptions", "sub", "subs" },
	{ "maasauthpolicies", "ap", NULL },
	{ "maasmodelrefs", "mr", NULL },
};

/* The sandbox's short names without the documented additions (NULL when
 * none are left); caller frees. */
static cJSON *
shorts_without_additions(const cJSON *crd)
{
	const char	*plural = json_str(crd, "spec.names.plural");
	const cJSON	*sn = json_path(crd, "spec.names.shortNames"), *it;
	cJSON		*out = cJSON_CreateArray();
	size_t		 i, j;
	int		 added;

	cJSON_ArrayForEach(it, sn) {
		added = 0;
		for (i = 0; plural != NULL && i < sizeof added_shorts /
		    sizeof added_shorts[0]; i++)
			for (j = 1; j < 3 && strcmp(added_shorts[i][0],
			    plural) == 0; j++)
				if (added_shorts[i][j] != NULL &&
				    cJSON_IsString(it) && strcmp(it->valuestring,
				    added_shorts[i][j]) == 0)
					added = 1;
		if (!added)
			cJSON_AddItemToArray(out, cJSON_Duplicate(it, 1));
	}
	if (sn == NULL || (cJSON_GetArraySize(out) == 0 &&
	    cJSON_GetArraySize(sn) > 0)) {
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}

/* Compare whole CRDs: names, scope, versions, columns, schemas. */
static void
compare_crd(const cJSON *mine, const cJSON *real, struct strlist *diffs)
{
	static const char *top[] = { "spec.group", "spec.scope",
	    "spec.names.kind", "spec.names.listKind", "spec.names.plural",
	    "spec.names.singular", "spec.names.shortNames",
	    "spec.names.categories", NULL };
	const cJSON	*va, *vb, *a, *b;
	cJSON		*shorts = NULL;
	size_t		 i;
	char		*p;

	for (i = 0; top[i] != NULL; i++) {
		a = json_path(mine, top[i]);
		b = json_path(real, top[i]);
		if (strcmp(top[i], "spec.names.shortNames") == 0)
			a = shorts = shorts_without_additions(mine);
		if ((a != NULL || b != NULL) && (a == NULL || b == NULL ||
		    !json_equal(a, b)))
			differ(diffs, top[i], "value", a, b);
	}
	cJSON_Delete(shorts);
	if (cJSON_GetArraySize(json_path(mine, "spec.versions")) !=
	    cJSON_GetArraySize(json_path(real, "spec.versions"))) {
		sl_add(diffs, "spec.versions: different number of versions");
		return;
	}
	for (i = 0; i < (size_t)cJSON_GetArraySize(json_path(real,
	    "spec.versions")); i++) {
		va = cJSON_GetArrayItem(json_path(mine, "spec.versions"), i);
		vb = cJSON_GetArrayItem(json_path(real, "spec.versions"), i);
		p = xasprintf("spec.versions[%zu]", i);
		if (!json_equal(json_path(va, "name"), json_path(vb, "name")))
			differ(diffs, p, "name", json_path(va, "name"),
			    json_path(vb, "name"));
		if (json_bool(va, "served", 0) != json_bool(vb, "served", 0) ||
		    json_bool(va, "storage", 0) != json_bool(vb, "storage", 0))
			sl_addf(diffs, "%s: served/storage differ", p);
		a = json_path(va, "subresources");
		b = json_path(vb, "subresources");
		if ((a != NULL || b != NULL) && (a == NULL || b == NULL ||
		    !json_equal(a, b)))
			differ(diffs, p, "subresources", a, b);
		a = json_path(va, "additionalPrinterColumns");
		b = json_path(vb, "additionalPrinterColumns");
		if ((a != NULL || b != NULL) && (a == NULL || b == NULL ||
		    !json_equal(a, b)))
			differ(diffs, p, "additionalPrinterColumns", a, b);
		compare(json_path(va, "schema.openAPIV3Schema"),
		    json_path(vb, "schema.openAPIV3Schema"), "", diffs);
		free(p);
	}
}

TEST(maas_crds_match_reference)
{
	char		*ref = reference_dir(), *path;
	struct err	 e = ERR_INIT;
	cJSON		*mine = sbx_builtin_crds(&e), *crd, *real;
	struct strlist	 diffs = STRLIST_INIT;
	const char	*name;
	size_t		 i;
	int		 compared = 0;

	if (ref == NULL) {
		printf("ok %d # skip ../shared/reference/crds not found beside "
		    "the checkout (set MAAS_REFERENCE to point at it)\n",
		    ++tap_n);
		cJSON_Delete(mine);
		return;
	}
	ok(mine != NULL, "built-in CRDs load");
	cJSON_ArrayForEach(crd, mine) {
		name = json_str(crd, "metadata.name");
		if (name == NULL || strstr(name, ".maas.opendatahub.io") == NULL)
			continue;
		/* reference file: <group>_<plural>.yaml */
		path = xasprintf("%s/crds/%s_%s.yaml", ref,
		    json_str(crd, "spec.group"),
		    json_str(crd, "spec.names.plural"));
		real = load_yaml(path);
		ok(real != NULL, "reference CRD for %s exists (%s)", name, path);
		free(path);
		if (real == NULL)
			continue;
		compare_crd(crd, real, &diffs);
		for (i = 0; i < diffs.n; i++)
			printf("# drift in %s: %s\n", name, diffs.v[i]);
		is_int(diffs.n, 0, "%s matches the real CRD", name);
		sl_free(&diffs);
		cJSON_Delete(real);
		compared++;
	}
	is_int(compared, 6, "six MaaS CRDs compared");
	cJSON_Delete(mine);
	free(ref);
}

/* The comparison must notice drift: mutate a copy and compare. */
TEST(drift_is_detected)
{
	struct err	 e = ERR_INIT;
	cJSON		*mine = sbx_builtin_crds(&e), *crd, *copy, *node;
	struct strlist	 diffs = STRLIST_INIT;

	crd = NULL;
	cJSON_ArrayForEach(copy, mine) {
		if (strcmp(json_str(copy, "metadata.name"),
		    "maassubscriptions.maas.opendatahub.io") == 0)
			crd = copy;
	}
	ok(crd != NULL, "MaaSSubscription CRD found");
	if (crd == NULL) {
		cJSON_Delete(mine);
		return;
	}
	/* stand in for the real CRD, which has no short names */
	cJSON_DeleteItemFromObjectCaseSensitive(json_path(crd, "spec.names"),
	    "shortNames");
	copy = cJSON_Duplicate(crd, 1);
	compare_crd(copy, crd, &diffs);
	is_int(diffs.n, 0, "identical CRDs: no drift");
	sl_free(&diffs);

	node = json_path(cJSON_GetArrayItem(json_path(copy, "spec.versions"),
	    0), "schema.openAPIV3Schema.properties.spec.properties.modelRefs."
	    "items.properties.tokenRateLimits.items.properties.window");
	cJSON_ReplaceItemInObject(node, "pattern",
	    cJSON_CreateString("^[1-9]\\d{0,3}(s|m|h|d)$"));
	node = json_path(cJSON_GetArrayItem(json_path(copy, "spec.versions"),
	    0), "schema.openAPIV3Schema.properties.spec");
	cJSON_ReplaceItemInObject(node, "required",
	    cJSON_CreateStringArray((const char *[]){ "modelRefs" }, 1));
	cJSON_AddItemToObject(json_path(node, "properties"), "extra",
	    cJSON_Parse("{\"type\":\"string\"}"));
	compare_crd(copy, crd, &diffs);
	is_int(diffs.n, 3, "pattern, required and an extra field detected");
	is_str(diffs.n > 0 ? diffs.v[0] : NULL, "spec required: sandbox "
	    "[\"modelRefs\"], real [\"modelRefs\",\"owner\"]",
	    "required difference reported");
	is_str(diffs.n > 1 ? diffs.v[1] : NULL, "spec.modelRefs[]."
	    "tokenRateLimits[].window pattern: sandbox \"^[1-9]\\\\d{0,3}"
	    "(s|m|h|d)$\", real \"^[1-9]\\\\d{0,3}(s|m|h)$\"",
	    "pattern difference reported");
	is_str(diffs.n > 2 ? diffs.v[2] : NULL, "spec.extra: only in the "
	    "sandbox's CRD", "extra field reported");
	sl_free(&diffs);
	cJSON_Delete(copy);

	/* short names: the documented additions pass, anything else not */
	copy = cJSON_Duplicate(crd, 1);
	node = json_path(copy, "spec.names");
	cJSON_DeleteItemFromObjectCaseSensitive(node, "shortNames");
	cJSON_AddItemToObject(node, "shortNames", cJSON_CreateStringArray(
	    (const char *[]){ "sub", "subs" }, 2));
	compare_crd(copy, crd, &diffs);
	is_int(diffs.n, 0, "documented short names sub, subs are allowed");
	sl_free(&diffs);
	cJSON_DeleteItemFromObjectCaseSensitive(node, "shortNames");
	cJSON_AddItemToObject(node, "shortNames", cJSON_CreateStringArray(
	    (const char *[]){ "sub", "msub" }, 2));
	compare_crd(copy, crd, &diffs);
	is_int(diffs.n, 1, "an undocumented short name is drift");
	sl_free(&diffs);
	cJSON_Delete(copy);
	cJSON_Delete(mine);
}

int
main(void)
{
	printf("TAP version 13\n");
	RUN(maas_crds_match_reference);
	RUN(drift_is_detected);
	return tap_done();
}
