/*
 * test_schema.c: schema.c and crds.c: the built-in CRDs compile, seed
 * objects and the reference samples validate, defaults and pruning work
 * per fieldValidation, unsupported CEL is refused at compile time, and
 * every manifest in tests/fixtures/invalid/ is rejected with the message
 * its "# expect:" line gives.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json.h"
#include "yaml.h"
#include "sandbox/schema.h"
#include "tap.h"

static struct sbx_crd	*crds[64];
static size_t		 ncrds;

static char *
slurp(const char *path, size_t *len)
{
	FILE		*f = fopen(path, "rb");
	struct strbuf	 sb = STRBUF_INIT;
	char		 buf[4096];
	size_t		 n;

	if (f == NULL)
		return NULL;
	sb_init(&sb);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(&sb, buf, n);
	fclose(f);
	*len = sb.len;
	return sb_detach(&sb);
}

static const char *
root(void)
{
	const char	*r = getenv("MAASCTL_TEST_ROOT");

	return r != NULL ? r : ".";
}

/* The reference dir next to the checkout, or NULL. */
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
		p = xasprintf("%s/%s", root(), cands[i]);
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			return p;
		free(p);
	}
	return NULL;
}

static struct sbx_crd *
find_crd(const char *api_version, const char *kind, const char **version)
{
	const char	*slash = strrchr(api_version, '/');
	size_t		 i, glen;

	if (slash == NULL)
		return NULL;
	glen = slash - api_version;
	*version = slash + 1;
	for (i = 0; i < ncrds; i++) {
		if (strcmp(sbx_crd_kind(crds[i]), kind) == 0 &&
		    strlen(sbx_crd_group(crds[i])) == glen &&
		    strncmp(sbx_crd_group(crds[i]), api_version, glen) == 0)
			return crds[i];
	}
	return NULL;
}

/* Validate obj as the apiserver would on create; -1 when rejected. */
static int
check(cJSON *obj, enum sbx_fv fv, struct sbx_invalid *inv)
{
	const char	*av = json_str(obj, "apiVersion");
	const char	*kind = json_str(obj, "kind");
	const char	*version, *slash;
	struct sbx_crd	*c;
	char		*group;
	int		 rc;

	if (av == NULL || kind == NULL)
		return -2;
	if ((c = find_crd(av, kind, &version)) != NULL)
		return sbx_crd_validate(c, version, obj, fv, inv);
	slash = strrchr(av, '/');
	group = slash != NULL ? xstrndup(av, slash - av) : xstrdup("");
	rc = sbx_builtin_validate(kind, group, obj, inv);
	free(group);
	return rc;
}

TEST(builtin_crds_compile)
{
	struct err	 e = ERR_INIT;
	cJSON		*list = sbx_builtin_crds(&e), *crd;
	static const char *want[] = { "MaaSModelRef", "MaaSAuthPolicy",
	    "MaaSSubscription", "MaasTenantConfig", "Tenant", "ExternalModel",
	    "LLMInferenceService", "AuthPolicy", "TokenRateLimitPolicy",
	    "RateLimitPolicy", "Gateway", "HTTPRoute", NULL };
	size_t		 i, j;

	ok(list != NULL, "built-in CRDs parse: %s", e.msg ? e.msg : "");
	if (list == NULL)
		return;
	is_int(cJSON_GetArraySize(list), 13, "thirteen built-in CRDs");
	cJSON_ArrayForEach(crd, list) {
		crds[ncrds] = sbx_crd_compile(crd, &e);
		ok(crds[ncrds] != NULL, "compile %s: %s",
		    json_str(crd, "metadata.name"), e.msg ? e.msg : "");
		if (crds[ncrds] != NULL)
			ncrds++;
		err_clear(&e);
	}
	for (i = 0; want[i] != NULL; i++) {
		for (j = 0; j < ncrds; j++) {
			if (strcmp(sbx_crd_kind(crds[j]), want[i]) == 0)
				break;
		}
		ok(j < ncrds, "built-in CRD for %s", want[i]);
	}
	cJSON_Delete(list);
}

TEST(seed_objects_validate)
{
	struct err		 e = ERR_INIT;
	cJSON			*seeds = sbx_seed_objects(&e), *o;
	struct sbx_invalid	 inv = SBX_INVALID_INIT;
	int			 nns = 0;

	ok(seeds != NULL, "seed objects parse");
	if (seeds == NULL)
		return;
	cJSON_ArrayForEach(o, seeds) {
		if (strcmp(json_str(o, "kind"), "Namespace") == 0)
			nns++;
		ok(check(o, SBX_FV_STRICT, &inv) == 0, "seed %s/%s valid: %s",
		    json_str(o, "kind"), json_str(o, "metadata.name"),
		    inv.message ? inv.message : "");
		sbx_invalid_free(&inv);
	}
	ok(nns >= 4, "seeds include the platform namespaces");
	is_str(json_str(cJSON_GetArrayItem(seeds, 0), "metadata.name"),
	    "default", "namespace default comes first");
	o = cJSON_GetArrayItem(seeds, cJSON_GetArraySize(seeds) - 1);
	is_str(json_str(o, "kind"), "MaasTenantConfig", "tenant config seeded");
	is_str(json_str(o, "metadata.name"), "default-tenant", "its name");
	cJSON_Delete(seeds);
}

TEST(defaults_and_pruning)
{
	struct sbx_invalid	 inv = SBX_INVALID_INIT;
	cJSON			*o;
	const char		*sub = "{\"apiVersion\":\"maas.opendatahub.io/"
	    "v1alpha1\",\"kind\":\"MaaSSubscription\",\"metadata\":{\"name\":"
	    "\"s\",\"namespace\":\"models-as-a-service\"},\"spec\":{\"owner\":"
	    "{\"users\":[\"alice\"],\"x\":1},\"tokenMetadata\":null,"
	    "\"modelRefs\":[{\"name\":\"m\",\"namespace\":\"llm\","
	    "\"tokenRateLimits\":[{\"limit\":100,\"window\":\"24h\"}]}]},"
	    "\"status\":{\"phase\":\"Active\"}}";

	o = cJSON_Parse(sub);
	ok(check(o, SBX_FV_WARN, &inv) == 0, "Warn accepts unknown fields");
	is_int(inv.warnings.n, 1, "one warning");
	is_str(inv.warnings.n ? inv.warnings.v[0] : NULL,
	    "unknown field \"spec.owner.x\"", "warning text");
	ok(json_path(o, "spec.owner.x") == NULL, "unknown field pruned");
	ok(json_path(o, "spec.tokenMetadata") == NULL, "null field pruned");
	is_int(json_num(o, "spec.priority", -1), 0, "priority defaulted");
	is_str(json_str(o, "status.phase"), "Active", "status kept");
	sbx_invalid_free(&inv);
	cJSON_Delete(o);

	o = cJSON_Parse(sub);
	ok(check(o, SBX_FV_IGNORE, &inv) == 0, "Ignore accepts");
	is_int(inv.warnings.n, 0, "no warnings under Ignore");
	ok(json_path(o, "spec.owner.x") == NULL, "pruned under Ignore");
	sbx_invalid_free(&inv);
	cJSON_Delete(o);

	o = cJSON_Parse(sub);
	ok(check(o, SBX_FV_STRICT, &inv) == -1, "Strict rejects");
	is_int(inv.status, 400, "as BadRequest");
	sbx_invalid_free(&inv);
	cJSON_Delete(o);

	o = cJSON_Parse("{\"apiVersion\":\"maas.opendatahub.io/v1alpha1\","
	    "\"kind\":\"MaasTenantConfig\",\"metadata\":{\"name\":"
	    "\"default-tenant\"},\"spec\":{\"telemetry\":{\"metrics\":{}},"
	    "\"payloadProcessing\":{\"autoscaling\":{}}}}");
	ok(check(o, SBX_FV_STRICT, &inv) == 0, "tenant config valid");
	ok(json_bool(o, "spec.telemetry.enabled", 0) == 1,
	    "telemetry.enabled defaults to true");
	ok(json_bool(o, "spec.telemetry.metrics.captureUser", 1) == 0,
	    "captureUser defaults to false");
	is_int(json_num(o, "spec.payloadProcessing.autoscaling.maxReplicas",
	    0), 10, "maxReplicas defaults to 10");
	is_int(json_num(o,
	    "spec.payloadProcessing.autoscaling.targetMemoryUtilization", 0),
	    80, "targetMemoryUtilization defaults to 80");
	ok(json_path(o, "spec.apiKeys") == NULL, "absent objects not created");
	sbx_invalid_free(&inv);
	cJSON_Delete(o);
}

TEST(invalid_status_object)
{
	struct sbx_invalid	 inv = SBX_INVALID_INIT;
	cJSON			*o, *st;

	o = cJSON_Parse("{\"apiVersion\":\"maas.opendatahub.io/v1alpha1\","
	    "\"kind\":\"MaaSSubscription\",\"metadata\":{\"name\":\"bad\"},"
	    "\"spec\":{\"priority\":\"x\",\"owner\":{}}}");
	ok(check(o, SBX_FV_STRICT, &inv) == -1, "rejected");
	st = sbx_invalid_status(&inv);
	is_str(json_str(st, "kind"), "Status", "Status kind");
	is_str(json_str(st, "reason"), "Invalid", "reason Invalid");
	is_int(json_num(st, "code", 0), 422, "code 422");
	is_str(json_str(st, "details.kind"), "MaaSSubscription", "details.kind");
	is_str(json_str(st, "details.group"), "maas.opendatahub.io", "group");
	is_str(json_str(st, "details.name"), "bad", "details.name");
	is_int(cJSON_GetArraySize(json_path(st, "details.causes")), 2,
	    "two causes");
	is_str(json_str(cJSON_GetArrayItem(json_path(st, "details.causes"), 0),
	    "reason"), "FieldValueRequired", "first cause reason");
	is_str(json_str(cJSON_GetArrayItem(json_path(st, "details.causes"), 0),
	    "field"), "spec.modelRefs", "first cause field");
	is_str(json_str(cJSON_GetArrayItem(json_path(st, "details.causes"), 1),
	    "reason"), "FieldValueTypeInvalid", "second cause reason");
	is_str(inv.message, "MaaSSubscription.maas.opendatahub.io \"bad\" is "
	    "invalid: [spec.modelRefs: Required value, spec.priority: Invalid "
	    "value: \"string\": spec.priority in body must be of type integer: "
	    "\"string\"]", "message");
	cJSON_Delete(st);
	sbx_invalid_free(&inv);
	cJSON_Delete(o);

	o = cJSON_Parse("{\"apiVersion\":\"maas.opendatahub.io/v1alpha1\","
	    "\"kind\":\"MaaSModelRef\",\"metadata\":{\"generateName\":\"m-\"},"
	    "\"spec\":{\"modelRef\":{\"kind\":\"ExternalModel\",\"name\":"
	    "\"x\"}}}");
	ok(check(o, SBX_FV_STRICT, &inv) == 0, "generateName is enough");
	sbx_invalid_free(&inv);
	cJSON_Delete(o);
	o = cJSON_Parse("{\"apiVersion\":\"maas.opendatahub.io/v1alpha1\","
	    "\"kind\":\"MaaSModelRef\",\"metadata\":{},"
	    "\"spec\":{\"modelRef\":{\"kind\":\"ExternalModel\",\"name\":"
	    "\"x\"}}}");
	ok(check(o, SBX_FV_STRICT, &inv) == -1, "name required");
	is_str(inv.ncauses ? inv.causes[0].message : NULL,
	    "Required value: name or generateName is required", "its cause");
	sbx_invalid_free(&inv);
	cJSON_Delete(o);
}

/* A CRD with the given x-kubernetes-validations rule on spec. */
static cJSON *
crd_with_rule(const char *rule)
{
	cJSON	*c = cJSON_Parse("{\"apiVersion\":\"apiextensions.k8s.io/v1\","
	    "\"kind\":\"CustomResourceDefinition\",\"metadata\":{\"name\":"
	    "\"widgets.example.com\"},\"spec\":{\"group\":\"example.com\","
	    "\"names\":{\"kind\":\"Widget\",\"plural\":\"widgets\"},\"scope\":"
	    "\"Namespaced\",\"versions\":[{\"name\":\"v1\",\"served\":true,"
	    "\"storage\":true,\"schema\":{\"openAPIV3Schema\":{\"type\":"
	    "\"object\",\"properties\":{\"spec\":{\"type\":\"object\","
	    "\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":{\"type\":"
	    "\"integer\"}}}}}}}]}}");
	cJSON	*spec = json_path(c, "spec");

	spec = json_path(cJSON_GetArrayItem(json_path(spec, "versions"), 0),
	    "schema.openAPIV3Schema.properties.spec");
	cJSON_AddItemToObject(spec, "x-kubernetes-validations",
	    cJSON_CreateArray());
	cJSON_AddItemToArray(cJSON_GetObjectItem(spec,
	    "x-kubernetes-validations"), cJSON_CreateObject());
	cJSON_AddStringToObject(cJSON_GetArrayItem(cJSON_GetObjectItem(spec,
	    "x-kubernetes-validations"), 0), "rule", rule);
	return c;
}

TEST(unsupported_cel_refused)
{
	struct err	 e = ERR_INIT;
	cJSON		*c = crd_with_rule("self.a < self.b");
	struct sbx_crd	*crd = sbx_crd_compile(c, &e);

	ok(crd == NULL, "unsupported rule refused");
	is_str(e.msg, "CustomResourceDefinition \"widgets.example.com\": "
	    "spec.versions[0].schema.openAPIV3Schema.properties[spec]."
	    "x-kubernetes-validations[0].rule: CEL rule \"self.a < self.b\" is "
	    "not supported by the sandbox (it implements only the rules the "
	    "MaaS CRDs use)", "error names the rule and where");
	err_clear(&e);
	sbx_crd_free(crd);
	cJSON_Delete(c);

	c = crd_with_rule("self.metadata.name == 'x'");
	crd = sbx_crd_compile(c, &e);
	ok(crd != NULL, "supported rule compiles");
	sbx_crd_free(crd);
	cJSON_Delete(c);
}

TEST(reference_crds_and_samples)
{
	char			*ref = reference_dir(), *p, *buf;
	DIR			*d;
	struct dirent		*de;
	struct err		 e = ERR_INIT;
	struct sbx_crd		*c;
	struct sbx_invalid	 inv = SBX_INVALID_INIT;
	cJSON			*o, *docs, *it;
	size_t			 len;
	int			 n = 0;
	static const char *samples[] = {
	    "samples/maas-system/free/maas/maas-model.yaml",
	    "samples/maas-system/free/maas/maas-auth-policy.yaml",
	    "samples/maas-system/free/maas/maas-subscription.yaml",
	    "samples/maas-system/premium/maas/maas-model.yaml",
	    "samples/maas-system/premium/maas/maas-auth-policy.yaml",
	    "samples/maas-system/premium/maas/maas-subscription.yaml",
	    "samples/models/simulator/model.yaml",
	    "samples/models/facebook-opt-125m-cpu/model.yaml",
	    "samples/deployment/base/networking/maas/maas-gateway-api.yaml",
	    "samples/deployment/base/maas-controller/policies/"
	    "gateway-default-deny.yaml",
	    "samples/gateway-patterns/clusterip-route-reencrypt/gateway.yaml",
	    "samples/gateway-patterns/clusterip-route-reencrypt/httproute.yaml",
	    NULL };
	size_t			 i;

	if (ref == NULL) {
		printf("ok %d # skip ../shared/reference not found\n", ++tap_n);
		return;
	}
	p = xasprintf("%s/crds", ref);
	if ((d = opendir(p)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strstr(de->d_name, ".yaml") == NULL)
				continue;
			free(p);
			p = xasprintf("%s/crds/%s", ref, de->d_name);
			buf = slurp(p, &len);
			o = buf ? yaml_parse(buf, len, &e) : NULL;
			c = o ? sbx_crd_compile(o, &e) : NULL;
			ok(c != NULL, "real CRD %s compiles: %s", de->d_name,
			    e.msg ? e.msg : "");
			n++;
			err_clear(&e);
			sbx_crd_free(c);
			cJSON_Delete(o);
			free(buf);
		}
		closedir(d);
	}
	ok(n == 10, "all ten real CRDs seen");
	for (i = 0; samples[i] != NULL; i++) {
		free(p);
		p = xasprintf("%s/%s", ref, samples[i]);
		buf = slurp(p, &len);
		docs = buf ? yaml_parse_stream(buf, len, &e) : NULL;
		ok(docs != NULL, "sample %s parses", samples[i]);
		cJSON_ArrayForEach(it, docs) {
			if (json_path(it, "metadata.namespace") != NULL &&
			    strchr(json_str(it, "metadata.namespace"), '<'))
				cJSON_DeleteItemFromObject(
				    json_path(it, "metadata"), "namespace");
			ok(check(it, SBX_FV_STRICT, &inv) == 0,
			    "sample %s valid: %s", samples[i],
			    inv.message ? inv.message : "");
			sbx_invalid_free(&inv);
		}
		cJSON_Delete(docs);
		free(buf);
	}
	free(p);
	free(ref);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read "# <key>: <value>" from the header comments of buf. */
static char *
header(const char *buf, const char *key)
{
	char		*pat = xasprintf("# %s: ", key);
	const char	*p = buf, *nl;
	char		*v = NULL;

	while (*p == '#') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (strncmp(p, pat, strlen(pat)) == 0) {
			v = xstrndup(p + strlen(pat), nl - p - strlen(pat));
			break;
		}
		p = *nl ? nl + 1 : nl;
	}
	free(pat);
	return v;
}

TEST(invalid_fixtures)
{
	char			*dir = xasprintf("%s/tests/fixtures/invalid",
	    root()), *p, *buf, *want, *status;
	DIR			*d = opendir(dir);
	struct dirent		*de;
	struct strlist		 names = STRLIST_INIT;
	struct sbx_invalid	 inv = SBX_INVALID_INIT;
	struct err		 e = ERR_INIT;
	cJSON			*o;
	size_t			 i, len;

	ok(d != NULL, "fixtures dir %s", dir);
	if (d == NULL) {
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ".yaml") != NULL)
			sl_add(&names, de->d_name);
	}
	closedir(d);
	qsort(names.v, names.n, sizeof *names.v, name_cmp);
	ok(names.n >= 30, "at least 30 invalid manifests (%zu)", names.n);
	for (i = 0; i < names.n; i++) {
		p = xasprintf("%s/%s", dir, names.v[i]);
		buf = slurp(p, &len);
		want = buf ? header(buf, "expect") : NULL;
		status = buf ? header(buf, "status") : NULL;
		o = buf ? yaml_parse(buf, len, &e) : NULL;
		ok(o != NULL && want != NULL && status != NULL,
		    "%s: parses, has expect and status", names.v[i]);
		if (o != NULL && want != NULL && status != NULL) {
			ok(check(o, SBX_FV_STRICT, &inv) == -1,
			    "%s: rejected", names.v[i]);
			is_int(inv.status, atoi(status), "%s: status",
			    names.v[i]);
			is_str(inv.message, want, "%s: message", names.v[i]);
			ok(inv.status == 400 || inv.ncauses > 0,
			    "%s: causes given", names.v[i]);
		}
		sbx_invalid_free(&inv);
		err_clear(&e);
		cJSON_Delete(o);
		free(want);
		free(status);
		free(buf);
		free(p);
	}
	sl_free(&names);
	free(dir);
}

TEST(regex_translation)
{
	struct sbx_invalid	 inv = SBX_INVALID_INIT;
	static const char *good[] = { "1m", "24h", "9999s", "60s", NULL };
	static const char *bad[] = { "1d", "0m", "1", "m", "1.5h", "1h ",
	    "a1m", NULL };
	char			*doc;
	cJSON			*o;
	size_t			 i;

	for (i = 0; good[i] != NULL; i++) {
		doc = xasprintf("{\"apiVersion\":\"maas.opendatahub.io/"
		    "v1alpha1\",\"kind\":\"MaaSSubscription\",\"metadata\":"
		    "{\"name\":\"s\"},\"spec\":{\"owner\":{},\"modelRefs\":[{"
		    "\"name\":\"m\",\"namespace\":\"n\",\"tokenRateLimits\":[{"
		    "\"limit\":1,\"window\":\"%s\"}]}]}}", good[i]);
		o = cJSON_Parse(doc);
		ok(check(o, SBX_FV_STRICT, &inv) == 0, "window %s accepted",
		    good[i]);
		sbx_invalid_free(&inv);
		cJSON_Delete(o);
		free(doc);
	}
	for (i = 0; bad[i] != NULL; i++) {
		doc = xasprintf("{\"apiVersion\":\"maas.opendatahub.io/"
		    "v1alpha1\",\"kind\":\"MaaSSubscription\",\"metadata\":"
		    "{\"name\":\"s\"},\"spec\":{\"owner\":{},\"modelRefs\":[{"
		    "\"name\":\"m\",\"namespace\":\"n\",\"tokenRateLimits\":[{"
		    "\"limit\":1,\"window\":\"%s\"}]}]}}", bad[i]);
		o = cJSON_Parse(doc);
		ok(check(o, SBX_FV_STRICT, &inv) == -1, "window '%s' rejected",
		    bad[i]);
		sbx_invalid_free(&inv);
		cJSON_Delete(o);
		free(doc);
	}
}

int
main(void)
{
	size_t	 i;

	printf("TAP version 13\n");
	RUN(builtin_crds_compile);
	RUN(seed_objects_validate);
	RUN(defaults_and_pruning);
	RUN(invalid_status_object);
	RUN(unsupported_cel_refused);
	RUN(regex_translation);
	RUN(invalid_fixtures);
	RUN(reference_crds_and_samples);
	for (i = 0; i < ncrds; i++)
		sbx_crd_free(crds[i]);
	return tap_done();
}
