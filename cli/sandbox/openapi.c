/*
 * openapi.c: the OpenAPI documents kubectl asks for, generated from the
 * stored CRDs plus the built-in kinds (KUBECTL-SURFACE.md section 2.5):
 *  - /openapi/v3: an index of group/versions with content-hash URLs;
 *  - /openapi/v3/apis/<group>/<version> (and api/v1): per kind a PATCH
 *    operation tagged with its GVK and the fieldValidation parameter (so
 *    kubectl leaves validation to the server), and components.schemas
 *    holding each kind's schema (so `kubectl explain` works);
 *  - /openapi/v2: the same schemas as Swagger 2.0 definitions (JSON).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "sandbox/schema.h"

#define OBJECTMETA	"io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

/* One kind served in a group/version. */
struct oa_kind {
	const char	*group;		/* "" for core */
	const char	*version;
	const char	*kind;
	const char	*plural;
	int		 namespaced;
	const cJSON	*schema;	/* openAPIV3Schema, or NULL */
	const char	*builtin;	/* JSON schema text for built-ins */
};

/* The built-in kinds' schemas (what explain shows for them). */
static const struct oa_kind oa_builtins[] = {
	{ "", "v1", "Namespace", "namespaces", 0, NULL,
	    "{\"type\":\"object\",\"description\":\"Namespace provides a scope "
	    "for Names.\",\"properties\":{\"spec\":{\"type\":\"object\","
	    "\"properties\":{\"finalizers\":{\"type\":\"array\",\"items\":"
	    "{\"type\":\"string\"}}}},\"status\":{\"type\":\"object\","
	    "\"properties\":{\"phase\":{\"type\":\"string\"}}}}}" },
	{ "", "v1", "ConfigMap", "configmaps", 1, NULL,
	    "{\"type\":\"object\",\"description\":\"ConfigMap holds "
	    "configuration data for pods to consume.\",\"properties\":{"
	    "\"data\":{\"type\":\"object\",\"additionalProperties\":{\"type\":"
	    "\"string\"}},\"binaryData\":{\"type\":\"object\","
	    "\"additionalProperties\":{\"type\":\"string\",\"format\":"
	    "\"byte\"}},\"immutable\":{\"type\":\"boolean\"}}}" },
	{ "", "v1", "Secret", "secrets", 1, NULL,
	    "{\"type\":\"object\",\"description\":\"Secret holds secret data "
	    "of a certain type.\",\"properties\":{\"data\":{\"type\":"
	    "\"object\",\"additionalProperties\":{\"type\":\"string\","
	    "\"format\":\"byte\"}},\"stringData\":{\"type\":\"object\","
	    "\"additionalProperties\":{\"type\":\"string\"}},\"type\":"
	    "{\"type\":\"string\"},\"immutable\":{\"type\":\"boolean\"}}}" },
	{ "", "v1", "ServiceAccount", "serviceaccounts", 1, NULL,
	    "{\"type\":\"object\",\"description\":\"ServiceAccount binds "
	    "together a name, a principal and a set of secrets.\","
	    "\"properties\":{\"automountServiceAccountToken\":{\"type\":"
	    "\"boolean\"},\"secrets\":{\"type\":\"array\",\"items\":{\"type\":"
	    "\"object\",\"x-kubernetes-preserve-unknown-fields\":true}},"
	    "\"imagePullSecrets\":{\"type\":\"array\",\"items\":{\"type\":"
	    "\"object\",\"properties\":{\"name\":{\"type\":\"string\"}}}}}}" },
	{ "user.openshift.io", "v1", "Group", "groups", 0, NULL,
	    "{\"type\":\"object\",\"description\":\"Group represents a "
	    "referenceable set of Users.\",\"required\":[\"users\"],"
	    "\"properties\":{\"users\":{\"type\":\"array\",\"items\":{\"type\":"
	    "\"string\"}}}}" },
	{ "apiextensions.k8s.io", "v1", "CustomResourceDefinition",
	    "customresourcedefinitions", 0, NULL,
	    "{\"type\":\"object\",\"description\":\"CustomResourceDefinition "
	    "represents a resource that should be exposed on the API "
	    "server.\",\"required\":[\"spec\"],\"properties\":{\"spec\":"
	    "{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":"
	    "true},\"status\":{\"type\":\"object\","
	    "\"x-kubernetes-preserve-unknown-fields\":true}}}" },
	{ "batch", "v1", "CronJob", "cronjobs", 1, NULL,
	    "{\"type\":\"object\",\"description\":\"CronJob represents "
	    "the configuration of a single cron job.\",\"properties\":{"
	    "\"spec\":{\"type\":\"object\","
	    "\"x-kubernetes-preserve-unknown-fields\":true},\"status\":"
	    "{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":"
	    "true}}}" },
	{ "batch", "v1", "Job", "jobs", 1, NULL,
	    "{\"type\":\"object\",\"description\":\"Job represents the "
	    "configuration of a single job.\",\"properties\":{\"spec\":"
	    "{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":"
	    "true},\"status\":{\"type\":\"object\","
	    "\"x-kubernetes-preserve-unknown-fields\":true}}}" },
	{ "networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", 1,
	    NULL,
	    "{\"type\":\"object\",\"description\":\"NetworkPolicy "
	    "describes what network traffic is allowed for a set of Pods.\","
	    "\"properties\":{\"spec\":{\"type\":\"object\","
	    "\"x-kubernetes-preserve-unknown-fields\":true}}}" },
};
#define NBUILTINS (sizeof oa_builtins / sizeof oa_builtins[0])

/* Collect the kinds of every served CRD version and the built-ins. */
static struct oa_kind *
oa_kinds(const cJSON *crds, size_t *n)
{
	struct oa_kind	*k;
	const cJSON	*crd, *v;
	size_t		 cap = NBUILTINS + 1, i;

	k = xcalloc(cap, sizeof *k);
	for (i = 0; i < NBUILTINS; i++)
		k[i] = oa_builtins[i];
	*n = NBUILTINS;
	cJSON_ArrayForEach(crd, crds) {
		cJSON_ArrayForEach(v, json_path(crd, "spec.versions")) {
			if (!json_bool(v, "served", 1) ||
			    json_str(v, "name") == NULL ||
			    json_str(crd, "spec.group") == NULL ||
			    json_str(crd, "spec.names.kind") == NULL ||
			    json_str(crd, "spec.names.plural") == NULL)
				continue;
			if (*n == cap) {
				cap *= 2;
				k = xrealloc(k, cap * sizeof *k);
			}
			k[*n].group = json_str(crd, "spec.group");
			k[*n].version = json_str(v, "name");
			k[*n].kind = json_str(crd, "spec.names.kind");
			k[*n].plural = json_str(crd, "spec.names.plural");
			k[*n].namespaced = json_str(crd, "spec.scope") != NULL &&
			    strcmp(json_str(crd, "spec.scope"), "Namespaced") ==
			    0;
			k[*n].schema = json_path(v, "schema.openAPIV3Schema");
			k[*n].builtin = NULL;
			(*n)++;
		}
	}
	return k;
}

/* The definition name: reversed group, version, kind
 * ("io.opendatahub.maas.v1alpha1.MaaSSubscription"). */
static char *
oa_def_name(const struct oa_kind *k)
{
	struct strbuf	 sb = STRBUF_INIT;
	const char	*g = k->group, *end, *dot;

	sb_init(&sb);
	if (*g == '\0')
		sb_adds(&sb, "io.k8s.api.core");
	else {
		end = g + strlen(g);
		while (end > g) {
			dot = end - 1;
			while (dot > g && *dot != '.')
				dot--;
			if (sb.len > 0)
				sb_addc(&sb, '.');
			if (*dot == '.')
				sb_add(&sb, dot + 1, end - dot - 1);
			else
				sb_add(&sb, dot, end - dot);
			end = dot;
		}
	}
	sb_addf(&sb, ".%s.%s", k->version, k->kind);
	return sb_detach(&sb);
}

static cJSON *
oa_gvk(const struct oa_kind *k)
{
	cJSON	*g = cJSON_CreateObject();

	cJSON_AddStringToObject(g, "group", k->group);
	cJSON_AddStringToObject(g, "version", k->version);
	cJSON_AddStringToObject(g, "kind", k->kind);
	return g;
}

/* Rewrite a schema for publication: "metadata" becomes a $ref to
 * ObjectMeta (refprefix: "#/components/schemas/" or "#/definitions/"). */
static cJSON *
oa_schema(const struct oa_kind *k, const char *refprefix)
{
	cJSON	*s, *props, *m;
	char	*ref;

	if (k->schema != NULL)
		s = cJSON_Duplicate(k->schema, 1);
	else if (k->builtin != NULL)
		s = cJSON_Parse(k->builtin);
	else
		s = NULL;
	if (s == NULL)
		s = cJSON_CreateObject();
	if ((props = cJSON_GetObjectItemCaseSensitive(s, "properties")) ==
	    NULL)
		props = cJSON_AddObjectToObject(s, "properties");
	cJSON_DeleteItemFromObjectCaseSensitive(props, "apiVersion");
	cJSON_DeleteItemFromObjectCaseSensitive(props, "kind");
	cJSON_DeleteItemFromObjectCaseSensitive(props, "metadata");
	m = cJSON_AddObjectToObject(props, "apiVersion");
	cJSON_AddStringToObject(m, "type", "string");
	cJSON_AddStringToObject(m, "description", "APIVersion defines the "
	    "versioned schema of this representation of an object.");
	m = cJSON_AddObjectToObject(props, "kind");
	cJSON_AddStringToObject(m, "type", "string");
	cJSON_AddStringToObject(m, "description", "Kind is a string value "
	    "representing the REST resource this object represents.");
	m = cJSON_AddObjectToObject(props, "metadata");
	ref = xasprintf("%s%s", refprefix, OBJECTMETA);
	cJSON_AddItemToObject(m, "allOf", cJSON_CreateArray());
	cJSON_AddItemToArray(cJSON_GetObjectItem(m, "allOf"),
	    cJSON_CreateObject());
	cJSON_AddStringToObject(cJSON_GetArrayItem(cJSON_GetObjectItem(m,
	    "allOf"), 0), "$ref", ref);
	cJSON_AddStringToObject(m, "description", "Standard object's "
	    "metadata.");
	free(ref);
	cJSON_DeleteItemFromObjectCaseSensitive(s, "x-kubernetes-group-"
	    "version-kind");
	m = cJSON_AddArrayToObject(s, "x-kubernetes-group-version-kind");
	cJSON_AddItemToArray(m, oa_gvk(k));
	return s;
}

/* A minimal ObjectMeta schema. */
static cJSON *
oa_objectmeta(void)
{
	static const char *strs[] = { "name", "generateName", "namespace",
	    "uid", "resourceVersion", "creationTimestamp",
	    "deletionTimestamp", NULL };
	cJSON	*s = cJSON_CreateObject(), *p, *f;
	size_t	 i;

	cJSON_AddStringToObject(s, "type", "object");
	cJSON_AddStringToObject(s, "description", "ObjectMeta is metadata "
	    "that all persisted resources must have.");
	p = cJSON_AddObjectToObject(s, "properties");
	for (i = 0; strs[i] != NULL; i++) {
		f = cJSON_AddObjectToObject(p, strs[i]);
		cJSON_AddStringToObject(f, "type", "string");
	}
	f = cJSON_AddObjectToObject(p, "generation");
	cJSON_AddStringToObject(f, "type", "integer");
	cJSON_AddStringToObject(f, "format", "int64");
	f = cJSON_AddObjectToObject(p, "labels");
	cJSON_AddStringToObject(f, "type", "object");
	cJSON_AddItemToObject(f, "additionalProperties",
	    cJSON_Parse("{\"type\":\"string\"}"));
	f = cJSON_AddObjectToObject(p, "annotations");
	cJSON_AddStringToObject(f, "type", "object");
	cJSON_AddItemToObject(f, "additionalProperties",
	    cJSON_Parse("{\"type\":\"string\"}"));
	f = cJSON_AddObjectToObject(p, "finalizers");
	cJSON_AddStringToObject(f, "type", "array");
	cJSON_AddItemToObject(f, "items", cJSON_Parse("{\"type\":\"string\"}"));
	f = cJSON_AddObjectToObject(p, "ownerReferences");
	cJSON_AddStringToObject(f, "type", "array");
	cJSON_AddItemToObject(f, "items", cJSON_Parse("{\"type\":\"object\","
	    "\"x-kubernetes-preserve-unknown-fields\":true}"));
	return s;
}

/* The operation object for one verb on a kind. */
static cJSON *
oa_operation(const struct oa_kind *k, const char *verb, int with_fv)
{
	cJSON	*op = cJSON_CreateObject(), *params, *p;
	char	*id;

	id = xasprintf("%s%s", verb, k->kind);
	cJSON_AddStringToObject(op, "operationId", id);
	free(id);
	cJSON_AddItemToObject(op, "x-kubernetes-group-version-kind",
	    oa_gvk(k));
	params = cJSON_AddArrayToObject(op, "parameters");
	if (with_fv) {
		p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "name", "fieldValidation");
		cJSON_AddStringToObject(p, "in", "query");
		cJSON_AddStringToObject(p, "description", "Ignore, Warn or "
		    "Strict: how the server treats unknown and duplicate "
		    "fields.");
		cJSON_AddItemToObject(p, "schema",
		    cJSON_Parse("{\"type\":\"string\"}"));
		cJSON_AddBoolToObject(p, "uniqueItems", 1);
		cJSON_AddItemToArray(params, p);
		p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "name", "dryRun");
		cJSON_AddStringToObject(p, "in", "query");
		cJSON_AddItemToObject(p, "schema",
		    cJSON_Parse("{\"type\":\"string\"}"));
		cJSON_AddItemToArray(params, p);
		p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "name", "fieldManager");
		cJSON_AddStringToObject(p, "in", "query");
		cJSON_AddItemToObject(p, "schema",
		    cJSON_Parse("{\"type\":\"string\"}"));
		cJSON_AddItemToArray(params, p);
	}
	return op;
}

static char *
oa_item_path(const struct oa_kind *k)
{
	if (*k->group == '\0')
		return xasprintf("/api/%s%s/%s/{name}", k->version,
		    k->namespaced ? "/namespaces/{namespace}" : "",
		    k->plural);
	return xasprintf("/apis/%s/%s%s/%s/{name}", k->group, k->version,
	    k->namespaced ? "/namespaces/{namespace}" : "", k->plural);
}

static char *
oa_coll_path(const struct oa_kind *k)
{
	if (*k->group == '\0')
		return xasprintf("/api/%s%s/%s", k->version,
		    k->namespaced ? "/namespaces/{namespace}" : "",
		    k->plural);
	return xasprintf("/apis/%s/%s%s/%s", k->group, k->version,
	    k->namespaced ? "/namespaces/{namespace}" : "", k->plural);
}

/* Add kind k's paths to paths (v3 when v3, else Swagger 2.0). */
static void
oa_add_paths(cJSON *paths, const struct oa_kind *k)
{
	cJSON	*item, *coll;
	char	*ip = oa_item_path(k), *cp = oa_coll_path(k);

	item = cJSON_CreateObject();
	cJSON_AddItemToObject(item, "get", oa_operation(k, "read", 0));
	cJSON_AddItemToObject(item, "put", oa_operation(k, "replace", 1));
	cJSON_AddItemToObject(item, "patch", oa_operation(k, "patch", 1));
	cJSON_AddItemToObject(item, "delete", oa_operation(k, "delete", 0));
	cJSON_AddItemToObject(paths, ip, item);
	coll = cJSON_CreateObject();
	cJSON_AddItemToObject(coll, "get", oa_operation(k, "list", 0));
	cJSON_AddItemToObject(coll, "post", oa_operation(k, "create", 1));
	cJSON_AddItemToObject(paths, cp, coll);
	free(ip);
	free(cp);
}

static int
oa_in_gv(const struct oa_kind *k, const char *group, const char *version)
{
	return strcmp(k->group, group) == 0 && strcmp(k->version, version) ==
	    0;
}

cJSON *
sbx_openapi_v3_gv(const cJSON *crds, const char *group, const char *version)
{
	struct oa_kind	*k;
	size_t		 n, i;
	cJSON		*doc = NULL, *paths, *schemas, *info;
	char		*name;
	int		 found = 0;

	k = oa_kinds(crds, &n);
	for (i = 0; i < n; i++)
		found |= oa_in_gv(&k[i], group, version);
	if (!found)
		goto out;
	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "openapi", "3.0.0");
	info = cJSON_AddObjectToObject(doc, "info");
	cJSON_AddStringToObject(info, "title", "Kubernetes");
	cJSON_AddStringToObject(info, "version", "v1.32.4");
	paths = cJSON_AddObjectToObject(doc, "paths");
	schemas = cJSON_AddObjectToObject(cJSON_AddObjectToObject(doc,
	    "components"), "schemas");
	for (i = 0; i < n; i++) {
		if (!oa_in_gv(&k[i], group, version))
			continue;
		oa_add_paths(paths, &k[i]);
		name = oa_def_name(&k[i]);
		if (cJSON_GetObjectItemCaseSensitive(schemas, name) == NULL)
			cJSON_AddItemToObject(schemas, name,
			    oa_schema(&k[i], "#/components/schemas/"));
		free(name);
	}
	cJSON_AddItemToObject(schemas, OBJECTMETA, oa_objectmeta());
out:
	free(k);
	return doc;
}

/* FNV-1a 64 of s, as 16 upper-case hex digits. */
static void
oa_hash(const char *s, char out[17])
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	snprintf(out, 17, "%016llX", (unsigned long long)h);
}

cJSON *
sbx_openapi_v3_index(const cJSON *crds)
{
	struct oa_kind	*k;
	size_t		 n, i;
	cJSON		*idx = cJSON_CreateObject(), *paths, *gv, *doc;
	char		*key, *url, *text, hash[17];

	paths = cJSON_AddObjectToObject(idx, "paths");
	k = oa_kinds(crds, &n);
	for (i = 0; i < n; i++) {
		if (*k[i].group == '\0')
			key = xasprintf("api/%s", k[i].version);
		else
			key = xasprintf("apis/%s/%s", k[i].group,
			    k[i].version);
		if (cJSON_GetObjectItemCaseSensitive(paths, key) != NULL) {
			free(key);
			continue;
		}
		doc = sbx_openapi_v3_gv(crds, k[i].group, k[i].version);
		text = json_print(doc, 0);
		oa_hash(text, hash);
		url = xasprintf("/openapi/v3/%s?hash=%s", key, hash);
		gv = cJSON_AddObjectToObject(paths, key);
		cJSON_AddStringToObject(gv, "serverRelativeURL", url);
		free(url);
		free(text);
		cJSON_Delete(doc);
		free(key);
	}
	free(k);
	return idx;
}

cJSON *
sbx_openapi_v2(const cJSON *crds)
{
	struct oa_kind	*k;
	size_t		 n, i;
	cJSON		*doc = cJSON_CreateObject(), *info, *paths, *defs;
	char		*name;

	cJSON_AddStringToObject(doc, "swagger", "2.0");
	info = cJSON_AddObjectToObject(doc, "info");
	cJSON_AddStringToObject(info, "title", "Kubernetes");
	cJSON_AddStringToObject(info, "version", "v1.32.4");
	paths = cJSON_AddObjectToObject(doc, "paths");
	defs = cJSON_AddObjectToObject(doc, "definitions");
	k = oa_kinds(crds, &n);
	for (i = 0; i < n; i++) {
		oa_add_paths(paths, &k[i]);
		name = oa_def_name(&k[i]);
		if (cJSON_GetObjectItemCaseSensitive(defs, name) == NULL)
			cJSON_AddItemToObject(defs, name,
			    oa_schema(&k[i], "#/definitions/"));
		free(name);
	}
	cJSON_AddItemToObject(defs, OBJECTMETA, oa_objectmeta());
	free(k);
	return doc;
}
