/*
 * discovery.c: API discovery for the sandbox: /api, /apis (legacy
 * APIVersions/APIGroupList, or aggregated APIGroupDiscoveryList v2 and
 * v2beta1 when the Accept header asks for it), /api/v1 and
 * /apis/<group>[/<version>], all derived from the resource registry (so a
 * new CRD is served at once), and the /openapi routes.  The OpenAPI
 * documents come from schema.c when it is linked; until then a minimal v3
 * document (a PATCH operation with fieldValidation per kind, and each CRD
 * schema under components for explain) is generated here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver.h"
#include "schema.h"

#pragma weak sbx_openapi_v3_index
#pragma weak sbx_openapi_v3_gv
#pragma weak sbx_openapi_v2

#define AGG_CT	"application/json;g=apidiscovery.k8s.io;v=%s;as=APIGroupDiscoveryList"

static cJSON *
verbs(enum res_type t)
{
	static const char *const stored[] = { "create", "delete",
	    "deletecollection", "get", "list", "patch", "update", "watch", NULL };
	static const char *const ro[] = { "get", "list", "watch", NULL };
	static const char *const cr[] = { "create", NULL };
	const char *const *v = t == RT_STORED ? stored : t == RT_EMPTYLIST ?
	    ro : cr;
	cJSON	*a = cJSON_CreateArray();

	for (; *v != NULL; v++)
		cJSON_AddItemToArray(a, cJSON_CreateString(*v));
	return a;
}

static cJSON *
strarr(const struct strlist *sl)
{
	cJSON	*a = cJSON_CreateArray();
	size_t	 i;

	for (i = 0; i < sl->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(sl->v[i]));
	return a;
}

static cJSON *
gvk(const struct resdef *d)
{
	cJSON	*k = cJSON_CreateObject();

	cJSON_AddStringToObject(k, "group", d->group);
	cJSON_AddStringToObject(k, "version", d->version);
	cJSON_AddStringToObject(k, "kind", d->kind);
	return k;
}

/* The versions of a group, in registry order, without repeats. */
static void
group_versions(const char *group, struct strlist *out, char **preferred)
{
	size_t			 i, n;
	struct resdef *const	*all = api_defs(&n);

	*preferred = NULL;
	for (i = 0; i < n; i++) {
		if (strcmp(all[i]->group, group) != 0)
			continue;
		if (!sl_has(out, all[i]->version))
			sl_add(out, all[i]->version);
		if (*preferred == NULL && all[i]->storage)
			*preferred = xstrdup(all[i]->version);
	}
	if (*preferred == NULL && out->n > 0)
		*preferred = xstrdup(out->v[0]);
}

static void
groups(struct strlist *out)
{
	size_t			 i, n;
	struct resdef *const	*all = api_defs(&n);

	for (i = 0; i < n; i++)
		if (*all[i]->group != '\0' && !sl_has(out, all[i]->group))
			sl_add(out, all[i]->group);
}

static cJSON *
resource_list(const char *group, const char *version)
{
	cJSON			*l = cJSON_CreateObject(), *arr, *r;
	size_t			 i, n;
	struct resdef *const	*all = api_defs(&n);
	char			*gv;

	cJSON_AddStringToObject(l, "kind", "APIResourceList");
	cJSON_AddStringToObject(l, "apiVersion", "v1");
	gv = *group ? xasprintf("%s/%s", group, version) : xstrdup(version);
	cJSON_AddStringToObject(l, "groupVersion", gv);
	free(gv);
	arr = cJSON_AddArrayToObject(l, "resources");
	for (i = 0; i < n; i++) {
		const struct resdef *d = all[i];
		if (strcmp(d->group, group) != 0 ||
		    strcmp(d->version, version) != 0)
			continue;
		r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "name", d->plural);
		cJSON_AddStringToObject(r, "singularName", d->singular);
		cJSON_AddBoolToObject(r, "namespaced", d->namespaced);
		cJSON_AddStringToObject(r, "kind", d->kind);
		cJSON_AddItemToObject(r, "verbs", verbs(d->type));
		if (d->shorts.n > 0)
			cJSON_AddItemToObject(r, "shortNames",
			    strarr(&d->shorts));
		if (d->cats.n > 0)
			cJSON_AddItemToObject(r, "categories", strarr(&d->cats));
		cJSON_AddItemToArray(arr, r);
		if (d->status_sub) {
			char *s = xasprintf("%s/status", d->plural);
			r = cJSON_CreateObject();
			cJSON_AddStringToObject(r, "name", s);
			cJSON_AddStringToObject(r, "singularName", "");
			cJSON_AddBoolToObject(r, "namespaced", d->namespaced);
			cJSON_AddStringToObject(r, "kind", d->kind);
			r = (cJSON_AddItemToObject(r, "verbs",
			    cJSON_CreateStringArray((const char *[]){ "get",
			    "patch", "update" }, 3)), r);
			cJSON_AddItemToArray(arr, r);
			free(s);
		}
	}
	return l;
}

static cJSON *
group_obj(const char *group)
{
	cJSON		*g = cJSON_CreateObject(), *vs, *v, *pv;
	struct strlist	 vl = STRLIST_INIT;
	char		*pref, *gv;
	size_t		 i;

	group_versions(group, &vl, &pref);
	cJSON_AddStringToObject(g, "name", group);
	vs = cJSON_AddArrayToObject(g, "versions");
	for (i = 0; i < vl.n; i++) {
		v = cJSON_CreateObject();
		gv = xasprintf("%s/%s", group, vl.v[i]);
		cJSON_AddStringToObject(v, "groupVersion", gv);
		cJSON_AddStringToObject(v, "version", vl.v[i]);
		cJSON_AddItemToArray(vs, v);
		free(gv);
	}
	if (pref != NULL) {
		pv = cJSON_AddObjectToObject(g, "preferredVersion");
		gv = xasprintf("%s/%s", group, pref);
		cJSON_AddStringToObject(pv, "groupVersion", gv);
		cJSON_AddStringToObject(pv, "version", pref);
		free(gv);
	}
	free(pref);
	sl_free(&vl);
	return g;
}

/* One aggregated-discovery group entry (group "" is the core group). */
static cJSON *
agg_group(const char *group)
{
	cJSON			*g = cJSON_CreateObject(), *vs, *v, *rs, *r;
	cJSON			*subs, *sr;
	struct strlist		 vl = STRLIST_INIT;
	char			*pref;
	size_t			 i, j, n;
	struct resdef *const	*all = api_defs(&n);

	group_versions(group, &vl, &pref);
	if (*group != '\0')
		cJSON_AddStringToObject(cJSON_AddObjectToObject(g, "metadata"),
		    "name", group);
	else
		cJSON_AddObjectToObject(g, "metadata");
	vs = cJSON_AddArrayToObject(g, "versions");
	/* the preferred version first */
	if (pref != NULL) {
		for (i = 0; i < vl.n; i++)
			if (strcmp(vl.v[i], pref) == 0 && i > 0) {
				char *t = vl.v[0];
				vl.v[0] = vl.v[i];
				vl.v[i] = t;
			}
	}
	for (i = 0; i < vl.n; i++) {
		v = cJSON_CreateObject();
		cJSON_AddStringToObject(v, "version", vl.v[i]);
		rs = cJSON_AddArrayToObject(v, "resources");
		for (j = 0; j < n; j++) {
			const struct resdef *d = all[j];
			if (strcmp(d->group, group) != 0 ||
			    strcmp(d->version, vl.v[i]) != 0)
				continue;
			r = cJSON_CreateObject();
			cJSON_AddStringToObject(r, "resource", d->plural);
			cJSON_AddItemToObject(r, "responseKind", gvk(d));
			cJSON_AddStringToObject(r, "scope", d->namespaced ?
			    "Namespaced" : "Cluster");
			cJSON_AddStringToObject(r, "singularResource",
			    d->singular);
			cJSON_AddItemToObject(r, "verbs", verbs(d->type));
			if (d->shorts.n > 0)
				cJSON_AddItemToObject(r, "shortNames",
				    strarr(&d->shorts));
			if (d->cats.n > 0)
				cJSON_AddItemToObject(r, "categories",
				    strarr(&d->cats));
			if (d->status_sub) {
				subs = cJSON_AddArrayToObject(r, "subresources");
				sr = cJSON_CreateObject();
				cJSON_AddStringToObject(sr, "subresource",
				    "status");
				cJSON_AddItemToObject(sr, "responseKind",
				    gvk(d));
				cJSON_AddItemToObject(sr, "verbs",
				    cJSON_CreateStringArray((const char *[]){
				    "get", "patch", "update" }, 3));
				cJSON_AddItemToArray(subs, sr);
			}
			cJSON_AddItemToArray(rs, r);
		}
		cJSON_AddStringToObject(v, "freshness", "Current");
		cJSON_AddItemToArray(vs, v);
	}
	free(pref);
	sl_free(&vl);
	return g;
}

static void
reply_agg(struct sbx_req *q, const char *ver, int core)
{
	cJSON		*l = cJSON_CreateObject(), *items;
	struct strlist	 gl = STRLIST_INIT;
	char		*ct, *av, *s;
	size_t		 i;

	av = xasprintf("apidiscovery.k8s.io/%s", ver);
	cJSON_AddStringToObject(l, "kind", "APIGroupDiscoveryList");
	cJSON_AddStringToObject(l, "apiVersion", av);
	cJSON_AddObjectToObject(l, "metadata");
	items = cJSON_AddArrayToObject(l, "items");
	if (core)
		cJSON_AddItemToArray(items, agg_group(""));
	else {
		groups(&gl);
		for (i = 0; i < gl.n; i++)
			cJSON_AddItemToArray(items, agg_group(gl.v[i]));
	}
	ct = xasprintf(AGG_CT, ver);
	srv_header(q, "Vary", "Accept");
	s = cJSON_PrintUnformatted(l);
	srv_reply(q, 200, ct, s, strlen(s));
	cJSON_free(s);
	cJSON_Delete(l);
	sl_free(&gl);
	free(ct);
	free(av);
}

/* Which aggregated version the Accept header asks for, or NULL. */
static const char *
agg_version(const struct sbx_req *q)
{
	if (strstr(q->accept, "v=v2;as=APIGroupDiscoveryList") != NULL)
		return "v2";
	if (strstr(q->accept, "v=v2beta1;as=APIGroupDiscoveryList") != NULL)
		return "v2beta1";
	return NULL;
}

int
disc_handle(struct sbx_req *q, const char *path)
{
	char		*copy, *seg[4], *p, *tok, *save = NULL;
	int		 n = 0, rc = 1;
	const char	*agg = agg_version(q);
	cJSON		*o, *arr;
	struct strlist	 gl = STRLIST_INIT;
	size_t		 i;

	copy = xstrdup(path);
	for (p = copy; (tok = strtok_r(p, "/", &save)) != NULL; p = NULL) {
		if (n == 4) {
			n++;
			break;
		}
		seg[n++] = tok;
	}
	if (n == 1 && strcmp(seg[0], "api") == 0) {
		if (agg != NULL)
			reply_agg(q, agg, 1);
		else {
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "kind", "APIVersions");
			arr = cJSON_AddArrayToObject(o, "versions");
			cJSON_AddItemToArray(arr, cJSON_CreateString("v1"));
			arr = cJSON_AddArrayToObject(o,
			    "serverAddressByClientCIDRs");
			api_reply_json(q, 200, o);
		}
	} else if (n == 1 && strcmp(seg[0], "apis") == 0) {
		if (agg != NULL)
			reply_agg(q, agg, 0);
		else {
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "kind", "APIGroupList");
			cJSON_AddStringToObject(o, "apiVersion", "v1");
			arr = cJSON_AddArrayToObject(o, "groups");
			groups(&gl);
			for (i = 0; i < gl.n; i++)
				cJSON_AddItemToArray(arr, group_obj(gl.v[i]));
			api_reply_json(q, 200, o);
		}
	} else if (n == 2 && strcmp(seg[0], "api") == 0 &&
	    strcmp(seg[1], "v1") == 0)
		api_reply_json(q, 200, resource_list("", "v1"));
	else if (n == 2 && strcmp(seg[0], "apis") == 0) {
		groups(&gl);
		if (!sl_has(&gl, seg[1]))
			api_status(q, 404, "NotFound", "the server could not "
			    "find the requested resource", cJSON_CreateObject());
		else {
			o = group_obj(seg[1]);
			cJSON_AddStringToObject(o, "kind", "APIGroup");
			cJSON_AddStringToObject(o, "apiVersion", "v1");
			api_reply_json(q, 200, o);
		}
	} else if (n == 3 && strcmp(seg[0], "apis") == 0) {
		o = resource_list(seg[1], seg[2]);
		if (cJSON_GetArraySize(cJSON_GetObjectItem(o, "resources")) ==
		    0) {
			cJSON_Delete(o);
			api_status(q, 404, "NotFound", "the server could not "
			    "find the requested resource", cJSON_CreateObject());
		} else
			api_reply_json(q, 200, o);
	} else
		rc = 0;
	sl_free(&gl);
	free(copy);
	return rc;
}

/* ---- OpenAPI ---- */

static unsigned long long
fnv(const char *s)
{
	unsigned long long	 h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* "maas.opendatahub.io" -> "io.opendatahub.maas" */
static char *
reverse_group(const char *g)
{
	struct strbuf	 sb = STRBUF_INIT;
	const char	*end = g + strlen(g), *p;

	sb_init(&sb);
	if (*g == '\0') {
		sb_adds(&sb, "io.k8s.api.core");
		return sb_detach(&sb);
	}
	while (end > g) {
		for (p = end; p > g && p[-1] != '.'; p--)
			;
		if (sb.len > 0)
			sb_addc(&sb, '.');
		sb_add(&sb, p, (size_t)(end - p));
		end = p > g ? p - 1 : g;
	}
	return sb_detach(&sb);
}

static cJSON *
gv_doc(const char *group, const char *version)
{
	cJSON			*doc, *paths, *schemas, *pi, *op, *params, *prm;
	cJSON			*sch, *ks, *info;
	size_t			 i, n, found = 0;
	struct resdef *const	*all = api_defs(&n);
	char			*path, *key, *rg;

	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "openapi", "3.0.0");
	info = cJSON_AddObjectToObject(doc, "info");
	cJSON_AddStringToObject(info, "title", "Kubernetes");
	cJSON_AddStringToObject(info, "version", "v1.32.0");
	paths = cJSON_AddObjectToObject(doc, "paths");
	schemas = cJSON_AddObjectToObject(cJSON_AddObjectToObject(doc,
	    "components"), "schemas");
	for (i = 0; i < n; i++) {
		const struct resdef *d = all[i];
		if (strcmp(d->group, group) != 0 ||
		    strcmp(d->version, version) != 0 || d->type != RT_STORED)
			continue;
		found++;
		path = xasprintf("/%s%s/%s%s/%s/{name}", *group ? "apis/" :
		    "api", group, version, d->namespaced ?
		    "/namespaces/{namespace}" : "", d->plural);
		pi = cJSON_AddObjectToObject(paths, path);
		op = cJSON_AddObjectToObject(pi, "patch");
		cJSON_AddItemToObject(op, "x-kubernetes-group-version-kind",
		    gvk(d));
		cJSON_AddStringToObject(op, "x-kubernetes-action", "patch");
		params = cJSON_AddArrayToObject(op, "parameters");
		prm = cJSON_CreateObject();
		cJSON_AddStringToObject(prm, "name", "fieldValidation");
		cJSON_AddStringToObject(prm, "in", "query");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(prm, "schema"),
		    "type", "string");
		cJSON_AddItemToArray(params, prm);
		free(path);
		rg = reverse_group(group);
		key = xasprintf("%s.%s.%s", rg, version, d->kind);
		free(rg);
		sch = NULL;
		if (d->crd != NULL) {
			const cJSON *v;
			cJSON_ArrayForEach(v, cJSON_GetObjectItem(
			    cJSON_GetObjectItem(d->crd, "spec"), "versions")) {
				const char *vn = cJSON_GetStringValue(
				    cJSON_GetObjectItem(v, "name"));
				if (vn != NULL && strcmp(vn, version) == 0)
					sch = cJSON_Duplicate(
					    cJSON_GetObjectItem(
					    cJSON_GetObjectItem(v, "schema"),
					    "openAPIV3Schema"), 1);
			}
		}
		if (sch == NULL) {
			sch = cJSON_CreateObject();
			cJSON_AddStringToObject(sch, "type", "object");
			cJSON_AddStringToObject(sch, "description", d->kind);
		}
		ks = cJSON_CreateArray();
		cJSON_AddItemToArray(ks, gvk(d));
		cJSON_DeleteItemFromObjectCaseSensitive(sch,
		    "x-kubernetes-group-version-kind");
		cJSON_AddItemToObject(sch, "x-kubernetes-group-version-kind",
		    ks);
		cJSON_AddItemToObject(schemas, key, sch);
		free(key);
	}
	if (found == 0) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

static cJSON *
v3_index(void)
{
	cJSON			*idx = cJSON_CreateObject(), *paths, *e, *doc;
	size_t			 i, n;
	struct resdef *const	*all = api_defs(&n);
	struct strlist		 seen = STRLIST_INIT;
	char			*key, *url, *s;

	paths = cJSON_AddObjectToObject(idx, "paths");
	for (i = 0; i < n; i++) {
		const struct resdef *d = all[i];
		key = *d->group ? xasprintf("apis/%s/%s", d->group, d->version) :
		    xasprintf("api/%s", d->version);
		if (sl_has(&seen, key)) {
			free(key);
			continue;
		}
		sl_add(&seen, key);
		if ((doc = sbx_openapi_v3_gv != NULL ? sbx_openapi_v3_gv(
		    api_crds(), d->group, d->version) : gv_doc(d->group,
		    d->version)) == NULL) {
			free(key);
			continue;
		}
		s = cJSON_PrintUnformatted(doc);
		url = xasprintf("/openapi/v3/%s?hash=%016llX", key, fnv(s));
		e = cJSON_AddObjectToObject(paths, key);
		cJSON_AddStringToObject(e, "serverRelativeURL", url);
		cJSON_free(s);
		cJSON_Delete(doc);
		free(url);
		free(key);
	}
	sl_free(&seen);
	return idx;
}

void
disc_openapi(struct sbx_req *q, const char *path)
{
	cJSON		*doc = NULL;
	char		*copy, *seg[8], *p, *tok, *save = NULL;
	int		 n = 0;

	if (strcmp(path, "/openapi/v2") == 0) {
		if (sbx_openapi_v2 == NULL || strstr(q->accept,
		    "protobuf") != NULL) {
			api_status(q, 404, "NotFound", "the server could not "
			    "find the requested resource", cJSON_CreateObject());
			return;
		}
		api_reply_json(q, 200, sbx_openapi_v2(api_crds()));
		return;
	}
	if (strcmp(path, "/openapi/v3") == 0 ||
	    strcmp(path, "/openapi/v3/") == 0) {
		api_reply_json(q, 200, v3_index());
		return;
	}
	copy = xstrdup(path);
	for (p = copy; n < 8 && (tok = strtok_r(p, "/", &save)) != NULL;
	    p = NULL)
		seg[n++] = tok;
	if (n == 4 && strcmp(seg[2], "api") == 0)
		doc = sbx_openapi_v3_gv != NULL ? sbx_openapi_v3_gv(api_crds(),
		    "", seg[3]) : gv_doc("", seg[3]);
	else if (n == 5 && strcmp(seg[2], "apis") == 0)
		doc = sbx_openapi_v3_gv != NULL ? sbx_openapi_v3_gv(api_crds(),
		    seg[3], seg[4]) : gv_doc(seg[3], seg[4]);
	free(copy);
	if (doc == NULL) {
		api_status(q, 404, "NotFound", "the server could not find the "
		    "requested resource", cJSON_CreateObject());
		return;
	}
	api_reply_json(q, 200, doc);
}
