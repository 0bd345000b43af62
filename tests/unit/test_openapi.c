/*
 * test_openapi.c: openapi.c builds the documents kubectl needs: the v3
 * index (every group/version, content-hash URLs), per-GV documents with a
 * PATCH operation per kind tagged with its GVK and declaring the
 * fieldValidation parameter, component schemas for `kubectl explain`, and
 * the v2 document.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "sandbox/schema.h"
#include "tap.h"

/* The PATCH operation of the path for plural in doc, or NULL. */
static const cJSON *
patch_op(const cJSON *doc, const char *path)
{
	const cJSON	*p = cJSON_GetObjectItemCaseSensitive(
	    json_path(doc, "paths"), path);

	return p != NULL ? cJSON_GetObjectItemCaseSensitive(p, "patch") : NULL;
}

static int
has_param(const cJSON *op, const char *name)
{
	const cJSON	*p;

	cJSON_ArrayForEach(p, json_path(op, "parameters")) {
		if (json_str(p, "name") != NULL &&
		    strcmp(json_str(p, "name"), name) == 0)
			return 1;
	}
	return 0;
}

TEST(v3_index)
{
	struct err	 e = ERR_INIT;
	cJSON		*crds = sbx_builtin_crds(&e);
	cJSON		*idx = sbx_openapi_v3_index(crds);
	const char	*url;
	static const char *gvs[] = { "api/v1",
	    "apis/maas.opendatahub.io/v1alpha1",
	    "apis/serving.kserve.io/v1alpha1", "apis/kuadrant.io/v1",
	    "apis/kuadrant.io/v1alpha1", "apis/gateway.networking.k8s.io/v1",
	    "apis/user.openshift.io/v1", "apis/apiextensions.k8s.io/v1", NULL };
	size_t		 i;

	for (i = 0; gvs[i] != NULL; i++) {
		url = json_str(cJSON_GetObjectItemCaseSensitive(json_path(idx,
		    "paths"), gvs[i]), "serverRelativeURL");
		ok(url != NULL && strncmp(url, "/openapi/v3/", 12) == 0 &&
		    strstr(url, gvs[i]) != NULL && strstr(url, "?hash=") != NULL,
		    "index lists %s (%s)", gvs[i], url ? url : "none");
	}
	cJSON_Delete(idx);
	cJSON_Delete(crds);
}

TEST(hash_follows_content)
{
	struct err	 e = ERR_INIT;
	cJSON		*crds = sbx_builtin_crds(&e), *a, *b, *crd;
	const char	*key = "apis/maas.opendatahub.io/v1alpha1";
	char		*ua, *ub;

	a = sbx_openapi_v3_index(crds);
	b = sbx_openapi_v3_index(crds);
	ua = xstrdup(json_str(cJSON_GetObjectItemCaseSensitive(json_path(a,
	    "paths"), key), "serverRelativeURL"));
	ub = xstrdup(json_str(cJSON_GetObjectItemCaseSensitive(json_path(b,
	    "paths"), key), "serverRelativeURL"));
	is_str(ua, ub, "same CRDs, same URL");
	cJSON_Delete(b);
	free(ub);
	/* Drop one MaaS CRD: the MaaS group's hash changes. */
	cJSON_ArrayForEach(crd, crds) {
		if (strcmp(json_str(crd, "spec.names.kind"), "Tenant") == 0) {
			cJSON_Delete(cJSON_DetachItemViaPointer(crds, crd));
			break;
		}
	}
	b = sbx_openapi_v3_index(crds);
	ub = xstrdup(json_str(cJSON_GetObjectItemCaseSensitive(json_path(b,
	    "paths"), key), "serverRelativeURL"));
	ok(strcmp(ua, ub) != 0, "changed CRDs, changed hash (%s vs %s)", ua,
	    ub);
	free(ua);
	free(ub);
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(crds);
}

TEST(v3_group_version)
{
	struct err	 e = ERR_INIT;
	cJSON		*crds = sbx_builtin_crds(&e), *doc;
	const cJSON	*op, *s, *gvk;

	doc = sbx_openapi_v3_gv(crds, "maas.opendatahub.io", "v1alpha1");
	ok(doc != NULL, "MaaS GV document");
	op = patch_op(doc, "/apis/maas.opendatahub.io/v1alpha1/namespaces/"
	    "{namespace}/maassubscriptions/{name}");
	ok(op != NULL, "PATCH operation for maassubscriptions");
	is_str(json_str(op, "x-kubernetes-group-version-kind.kind"),
	    "MaaSSubscription", "tagged with its kind");
	is_str(json_str(op, "x-kubernetes-group-version-kind.group"),
	    "maas.opendatahub.io", "and group");
	ok(has_param(op, "fieldValidation"), "declares fieldValidation");
	s = cJSON_GetObjectItemCaseSensitive(json_path(doc,
	    "components.schemas"), "io.opendatahub.maas.v1alpha1."
	    "MaaSSubscription");
	ok(s != NULL, "component schema for explain");
	gvk = cJSON_GetArrayItem(json_path(s, "x-kubernetes-group-version-"
	    "kind"), 0);
	is_str(json_str(gvk, "kind"), "MaaSSubscription", "schema GVK kind");
	is_str(json_str(gvk, "version"), "v1alpha1", "schema GVK version");
	is_str(json_str(s, "properties.spec.properties.modelRefs.items."
	    "properties.tokenRateLimits.items.properties.window.pattern"),
	    "^[1-9]\\d{0,3}(s|m|h)$", "the CRD's schema is embedded");
	ok(cJSON_GetObjectItemCaseSensitive(json_path(doc,
	    "components.schemas"), "io.k8s.apimachinery.pkg.apis.meta.v1."
	    "ObjectMeta") != NULL, "ObjectMeta schema present");
	ok(patch_op(doc, "/apis/maas.opendatahub.io/v1alpha1/namespaces/"
	    "{namespace}/maasmodelrefs/{name}") != NULL, "all MaaS kinds");
	cJSON_Delete(doc);

	doc = sbx_openapi_v3_gv(crds, "", "v1");
	op = patch_op(doc, "/api/v1/namespaces/{name}");
	is_str(json_str(op, "x-kubernetes-group-version-kind.kind"),
	    "Namespace", "core v1 has a cluster-scoped Namespace PATCH");
	ok(has_param(op, "fieldValidation"), "with fieldValidation");
	ok(patch_op(doc, "/api/v1/namespaces/{namespace}/configmaps/{name}") !=
	    NULL, "and ConfigMap");
	cJSON_Delete(doc);

	ok(sbx_openapi_v3_gv(crds, "nosuch.example.com", "v1") == NULL,
	    "unknown group/version: NULL (404)");
	ok(sbx_openapi_v3_gv(crds, "maas.opendatahub.io", "v1") == NULL,
	    "unknown version of a known group: NULL");
	cJSON_Delete(crds);
}

TEST(v2)
{
	struct err	 e = ERR_INIT;
	cJSON		*crds = sbx_builtin_crds(&e), *doc = sbx_openapi_v2(crds);
	const cJSON	*d;

	is_str(json_str(doc, "swagger"), "2.0", "Swagger 2.0");
	d = cJSON_GetObjectItemCaseSensitive(json_path(doc, "definitions"),
	    "io.opendatahub.maas.v1alpha1.MaaSModelRef");
	ok(d != NULL, "MaaSModelRef definition");
	is_str(json_str(cJSON_GetArrayItem(json_path(d,
	    "x-kubernetes-group-version-kind"), 0), "kind"), "MaaSModelRef",
	    "with its GVK");
	is_str(json_str(cJSON_GetArrayItem(json_path(d,
	    "properties.metadata.allOf"), 0), "$ref"),
	    "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
	    "metadata refers to ObjectMeta");
	ok(cJSON_GetObjectItemCaseSensitive(json_path(doc, "definitions"),
	    "io.dev.kserve.serving.v1alpha1.LLMInferenceService") == NULL &&
	    cJSON_GetObjectItemCaseSensitive(json_path(doc, "definitions"),
	    "io.kserve.serving.v1alpha1.LLMInferenceService") != NULL,
	    "group reversed in definition names");
	cJSON_Delete(doc);
	cJSON_Delete(crds);
}

int
main(void)
{
	printf("TAP version 13\n");
	RUN(v3_index);
	RUN(hash_follows_content);
	RUN(v3_group_version);
	RUN(v2);
	return tap_done();
}
