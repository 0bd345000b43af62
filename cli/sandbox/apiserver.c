/*
 * apiserver.c: the sandbox's Kubernetes API emulation.  Routes requests
 * (/version, health, discovery, OpenAPI, resources), authenticates bearer
 * tokens and authorises (admin writes, everyone reads), keeps the resource
 * registry (built-in kinds plus one entry per served version of every
 * stored CRD), and implements get/list/watch, create, update, /status,
 * merge/JSON/strategic-merge patch, server-side apply with managedFields,
 * delete (namespace deletion removes its contents), dryRun, Table output
 * and Status errors with the real apiserver's reasons and messages.
 */
#include <sys/random.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "apiserver.h"
#include "base64.h"
#include "schema.h"

/*
 * schema.c (validation, the sandbox's CRDs and seed objects, OpenAPI,
 * protobuf) is written in parallel; until it is linked these weak
 * references are NULL and objects are accepted unvalidated.
 */
#pragma weak sbx_crd_compile
#pragma weak sbx_crd_free
#pragma weak sbx_crd_validate
#pragma weak sbx_builtin_validate
#pragma weak sbx_invalid_status
#pragma weak sbx_invalid_free
#pragma weak sbx_builtin_crds
#pragma weak sbx_seed_objects
#pragma weak sbx_protobuf_decode

#define CRD_GROUP	"apiextensions.k8s.io"
#define CRD_RES		"customresourcedefinitions"
#define MAX_WATCH_SECS	1800

static const struct sbx_config	*cfg;
static struct sbx_store		*store;

/* ------------------------------------------------------------------ */
/* Small helpers */

static char *
now_rfc3339(void)
{
	time_t		 t = time(NULL);
	struct tm	 tm;
	char		 buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

static time_t
parse_rfc3339(const char *s, int *ok)
{
	struct tm	 tm;
	const char	*end;

	memset(&tm, 0, sizeof tm);
	*ok = 0;
	if (s == NULL || (end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return 0;
	if (*end == '.')
		while (*++end && isdigit((unsigned char)*end))
			;
	if (*end != 'Z' && *end != '+' && *end != '-')
		return 0;
	*ok = 1;
	return timegm(&tm);
}

static char *
new_uid(void)
{
	unsigned char	 b[16];
	size_t		 i;

	if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
		for (i = 0; i < sizeof b; i++)
			b[i] = (unsigned char)rand();
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	return xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static cJSON *
md_of(cJSON *obj)
{
	cJSON	*md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");

	if (!cJSON_IsObject(md)) {
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "metadata");
		md = cJSON_AddObjectToObject(obj, "metadata");
	}
	return md;
}

static const char *
md_str(const cJSON *obj, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(obj, "metadata"), key));
}

static void
set_str(cJSON *o, const char *key, const char *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddStringToObject(o, key, v);
}

static void
set_item(cJSON *o, const char *key, cJSON *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddItemToObject(o, key, v);
}

static const char *
api_version_of(const struct resdef *d, char *buf, size_t n)
{
	if (*d->group == '\0')
		snprintf(buf, n, "%s", d->version);
	else
		snprintf(buf, n, "%s/%s", d->group, d->version);
	return buf;
}

/* "configmaps" or "maassubscriptions.maas.opendatahub.io" */
static char *
qualified(const struct resdef *d)
{
	if (*d->group == '\0')
		return xstrdup(d->plural);
	return xasprintf("%s.%s", d->plural, d->group);
}

/* "ConfigMap" or "MaaSSubscription.maas.opendatahub.io" */
static char *
kind_qualified(const struct resdef *d)
{
	if (*d->group == '\0')
		return xstrdup(d->kind);
	return xasprintf("%s.%s", d->kind, d->group);
}

/*
 * In-process writes (api_obj_write(), api_obj_delete()) run the same code
 * as HTTP requests with this stand-in request: its replies are captured
 * here instead of being sent.
 */
static struct sbx_req	 internal_q = { .method = "", .content_type = "",
    .accept = "" };
static int		 internal_code;
static cJSON		*internal_reply;

void
api_reply_json(struct sbx_req *q, int code, cJSON *obj)
{
	char	*s;

	if (q == &internal_q) {
		internal_code = code;
		cJSON_Delete(internal_reply);
		internal_reply = obj;
		return;
	}
	s = cJSON_PrintUnformatted(obj);

	srv_reply(q, code, "application/json", s, strlen(s));
	cJSON_free(s);
	cJSON_Delete(obj);
}

void
api_status(struct sbx_req *q, int code, const char *reason,
    const char *message, cJSON *details)
{
	cJSON	*st = cJSON_CreateObject();

	cJSON_AddStringToObject(st, "kind", "Status");
	cJSON_AddStringToObject(st, "apiVersion", "v1");
	cJSON_AddObjectToObject(st, "metadata");
	cJSON_AddStringToObject(st, "status", "Failure");
	cJSON_AddStringToObject(st, "message", message);
	cJSON_AddStringToObject(st, "reason", reason);
	if (details != NULL)
		cJSON_AddItemToObject(st, "details", details);
	cJSON_AddNumberToObject(st, "code", code);
	api_reply_json(q, code, st);
}

static cJSON *
details(const char *name, const char *group, const char *kind)
{
	cJSON	*d = cJSON_CreateObject();

	if (name != NULL && *name != '\0')
		cJSON_AddStringToObject(d, "name", name);
	cJSON_AddStringToObject(d, "group", group);
	cJSON_AddStringToObject(d, "kind", kind);
	return d;
}

static void
not_found(struct sbx_req *q, const struct resdef *d, const char *name)
{
	char	*qr = qualified(d), *msg;

	msg = xasprintf("%s \"%s\" not found", qr, name);
	api_status(q, 404, "NotFound", msg, details(name, d->group, d->plural));
	free(msg);
	free(qr);
}

static void
ns_not_found(struct sbx_req *q, const char *ns)
{
	char	*msg = xasprintf("namespaces \"%s\" not found", ns);

	api_status(q, 404, "NotFound", msg, details(ns, "", "namespaces"));
	free(msg);
}

static void
conflict(struct sbx_req *q, const struct resdef *d, const char *name)
{
	char	*qr = qualified(d), *msg;

	msg = xasprintf("Operation cannot be fulfilled on %s \"%s\": the "
	    "object has been modified; please apply your changes to the latest "
	    "version and try again", qr, name);
	api_status(q, 409, "Conflict", msg, details(name, d->group, d->plural));
	free(msg);
	free(qr);
}

static void
bad_request(struct sbx_req *q, const char *msg)
{
	api_status(q, 400, "BadRequest", msg, NULL);
}

/* 422 Invalid with causes: message "<Kind>.<group> "<name>" is invalid: ..." */
static void
invalid(struct sbx_req *q, const struct resdef *d, const char *name,
    cJSON *causes)
{
	struct strbuf	 sb = STRBUF_INIT;
	cJSON		*c, *det;
	char		*kq = kind_qualified(d);
	int		 n = cJSON_GetArraySize(causes), i = 0;

	sb_init(&sb);
	sb_addf(&sb, "%s \"%s\" is invalid: %s", kq, name ? name : "",
	    n > 1 ? "[" : "");
	cJSON_ArrayForEach(c, causes) {
		sb_addf(&sb, "%s%s: %s", i++ ? ", " : "",
		    cJSON_GetStringValue(cJSON_GetObjectItem(c, "field")),
		    cJSON_GetStringValue(cJSON_GetObjectItem(c, "message")));
	}
	if (n > 1)
		sb_adds(&sb, "]");
	det = details(name, d->group, d->kind);
	cJSON_AddItemToObject(det, "causes", causes);
	api_status(q, 422, "Invalid", sb.buf, det);
	sb_free(&sb);
	free(kq);
}

static void
add_cause(cJSON *causes, const char *reason, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
add_cause(cJSON *causes, const char *reason, const char *field,
    const char *fmt, ...)
{
	cJSON	*c = cJSON_CreateObject();
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	cJSON_AddStringToObject(c, "reason", reason);
	cJSON_AddStringToObject(c, "message", msg);
	cJSON_AddStringToObject(c, "field", field);
	cJSON_AddItemToArray(causes, c);
	free(msg);
}

/* ------------------------------------------------------------------ */
/* The resource registry */

static const struct builtin {
	const char	*group, *version, *plural, *singular, *kind, *shorts;
	int		 namespaced;
	enum res_type	 type;
} builtins[] = {
	{ "", "v1", "namespaces", "namespace", "Namespace", "ns", 0, RT_STORED },
	{ "", "v1", "configmaps", "configmap", "ConfigMap", "cm", 1, RT_STORED },
	{ "", "v1", "secrets", "secret", "Secret", NULL, 1, RT_STORED },
	{ "", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", "sa",
	    1, RT_STORED },
	{ "", "v1", "events", "event", "Event", "ev", 1, RT_EMPTYLIST },
	{ "", "v1", "resourcequotas", "resourcequota", "ResourceQuota", "quota",
	    1, RT_EMPTYLIST },
	{ "", "v1", "limitranges", "limitrange", "LimitRange", "limits", 1,
	    RT_EMPTYLIST },
	{ "user.openshift.io", "v1", "groups", "group", "Group", NULL, 0,
	    RT_STORED },
	{ CRD_GROUP, "v1", CRD_RES, "customresourcedefinition",
	    "CustomResourceDefinition", "crd,crds", 0, RT_STORED },
	/* The install's maas-api-key-cleanup CronJob, its Jobs and its
	 * NetworkPolicy (keycleanup.c runs what the Jobs would). */
	{ "batch", "v1", "cronjobs", "cronjob", "CronJob", "cj", 1,
	    RT_STORED },
	{ "batch", "v1", "jobs", "job", "Job", NULL, 1, RT_STORED },
	{ "networking.k8s.io", "v1", "networkpolicies", "networkpolicy",
	    "NetworkPolicy", "netpol", 1, RT_STORED },
	{ "authorization.k8s.io", "v1", "selfsubjectaccessreviews",
	    "selfsubjectaccessreview", "SelfSubjectAccessReview", NULL, 0,
	    RT_SSAR },
	{ "authorization.k8s.io", "v1", "selfsubjectrulesreviews",
	    "selfsubjectrulesreview", "SelfSubjectRulesReview", NULL, 0,
	    RT_SSRR },
	{ "authentication.k8s.io", "v1", "selfsubjectreviews",
	    "selfsubjectreview", "SelfSubjectReview", NULL, 0, RT_SSR },
};

static struct resdef	**defs;
static size_t		  ndefs;
static cJSON		 *crd_docs;	/* array of stored CRDs */
static int		  defs_dirty = 1;

/* Compiled CRD validators, by CRD name (schema.c). */
struct crd_comp {
	char		*name;
	struct sbx_crd	*crd;
};
static struct crd_comp	*comps;
static size_t		 ncomps;

static void
def_free(struct resdef *d)
{
	free(d->group);
	free(d->version);
	free(d->plural);
	free(d->singular);
	free(d->kind);
	free(d->list_kind);
	sl_free(&d->shorts);
	sl_free(&d->cats);
	free(d);
}

static void
split_add(struct strlist *sl, const char *csv)
{
	char	*s, *p, *tok, *save = NULL;

	if (csv == NULL)
		return;
	s = xstrdup(csv);
	for (p = s; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL)
		sl_add(sl, tok);
	free(s);
}

static void
strings_add(struct strlist *sl, const cJSON *arr)
{
	const cJSON	*c;

	cJSON_ArrayForEach(c, arr)
		if (cJSON_IsString(c))
			sl_add(sl, c->valuestring);
}

static int
collect_crd(void *arg, const char *ns, const char *name, const char *json)
{
	cJSON	*o = cJSON_Parse(json);

	(void)arg;
	(void)ns;
	(void)name;
	if (o != NULL)
		cJSON_AddItemToArray(crd_docs, o);
	return 0;
}

static void
comps_free(void)
{
	size_t	 i;

	for (i = 0; i < ncomps; i++) {
		free(comps[i].name);
		if (sbx_crd_free != NULL)
			sbx_crd_free(comps[i].crd);
	}
	free(comps);
	comps = NULL;
	ncomps = 0;
}

static void
defs_free(void)
{
	size_t	 i;

	for (i = 0; i < ndefs; i++)
		def_free(defs[i]);
	free(defs);
	defs = NULL;
	ndefs = 0;
	cJSON_Delete(crd_docs);
	crd_docs = NULL;
	comps_free();
}

static void
defs_add(struct resdef *d)
{
	defs = xrealloc(defs, (ndefs + 1) * sizeof *defs);
	defs[ndefs++] = d;
}

static void
defs_build(void)
{
	const struct builtin	*b;
	const cJSON		*crd, *spec, *names, *v;
	struct resdef		*d;
	const char		*g, *scope;
	size_t			 i;

	defs_free();
	for (i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
		b = &builtins[i];
		d = xcalloc(1, sizeof *d);
		d->group = xstrdup(b->group);
		d->version = xstrdup(b->version);
		d->plural = xstrdup(b->plural);
		d->singular = xstrdup(b->singular);
		d->kind = xstrdup(b->kind);
		d->list_kind = xasprintf("%sList", b->kind);
		d->namespaced = b->namespaced;
		d->type = b->type;
		d->builtin = 1;
		d->storage = 1;
		d->status_sub = (strcmp(b->plural, "namespaces") == 0 ||
		    strcmp(b->plural, CRD_RES) == 0 ||
		    strcmp(b->plural, "cronjobs") == 0 ||
		    strcmp(b->plural, "jobs") == 0);
		split_add(&d->shorts, b->shorts);
		defs_add(d);
	}
	crd_docs = cJSON_CreateArray();
	store_list(store, CRD_GROUP, CRD_RES, NULL, NULL, collect_crd, NULL);
	cJSON_ArrayForEach(crd, crd_docs) {
		spec = cJSON_GetObjectItem(crd, "spec");
		names = cJSON_GetObjectItem(spec, "names");
		g = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "group"));
		scope = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "scope"));
		if (g == NULL || !cJSON_GetStringValue(cJSON_GetObjectItem(names,
		    "plural")) || !cJSON_GetStringValue(cJSON_GetObjectItem(
		    names, "kind")))
			continue;
		cJSON_ArrayForEach(v, cJSON_GetObjectItem(spec, "versions")) {
			const char *vn = cJSON_GetStringValue(
			    cJSON_GetObjectItem(v, "name"));
			const char *sing, *lk;

			if (vn == NULL || cJSON_IsFalse(cJSON_GetObjectItem(v,
			    "served")))
				continue;
			d = xcalloc(1, sizeof *d);
			d->group = xstrdup(g);
			d->version = xstrdup(vn);
			d->plural = xstrdup(cJSON_GetStringValue(
			    cJSON_GetObjectItem(names, "plural")));
			d->kind = xstrdup(cJSON_GetStringValue(
			    cJSON_GetObjectItem(names, "kind")));
			sing = cJSON_GetStringValue(cJSON_GetObjectItem(names,
			    "singular"));
			if (sing != NULL)
				d->singular = xstrdup(sing);
			else {
				char *p;
				d->singular = xstrdup(d->kind);
				for (p = d->singular; *p; p++)
					*p = (char)tolower((unsigned char)*p);
			}
			lk = cJSON_GetStringValue(cJSON_GetObjectItem(names,
			    "listKind"));
			d->list_kind = lk ? xstrdup(lk) :
			    xasprintf("%sList", d->kind);
			d->namespaced = scope == NULL ||
			    strcmp(scope, "Cluster") != 0;
			d->type = RT_STORED;
			d->storage = cJSON_IsTrue(cJSON_GetObjectItem(v,
			    "storage"));
			d->status_sub = cJSON_GetObjectItem(cJSON_GetObjectItem(
			    v, "subresources"), "status") != NULL;
			strings_add(&d->shorts, cJSON_GetObjectItem(names,
			    "shortNames"));
			strings_add(&d->cats, cJSON_GetObjectItem(names,
			    "categories"));
			d->columns = cJSON_GetObjectItem(v,
			    "additionalPrinterColumns");
			d->crd = crd;
			defs_add(d);
		}
	}
	defs_dirty = 0;
}

struct resdef *const *
api_defs(size_t *n)
{
	if (defs_dirty)
		defs_build();
	*n = ndefs;
	return defs;
}

const cJSON *
api_crds(void)
{
	if (defs_dirty)
		defs_build();
	return crd_docs;
}

static struct resdef *
find_def(const char *group, const char *version, const char *plural)
{
	size_t	 i, n;
	struct resdef *const *all = api_defs(&n);

	for (i = 0; i < n; i++)
		if (strcmp(all[i]->group, group) == 0 &&
		    strcmp(all[i]->version, version) == 0 &&
		    strcmp(all[i]->plural, plural) == 0)
			return all[i];
	return NULL;
}

/* The compiled validator of a CR's CRD (NULL when schema.c is absent). */
static struct sbx_crd *
crd_compiled(const struct resdef *d, struct err *e)
{
	const char	*name;
	struct sbx_crd	*c;
	size_t		 i;

	if (d->crd == NULL || sbx_crd_compile == NULL)
		return NULL;
	name = md_str(d->crd, "name");
	for (i = 0; i < ncomps; i++)
		if (strcmp(comps[i].name, name) == 0)
			return comps[i].crd;
	if ((c = sbx_crd_compile(d->crd, e)) == NULL)
		return NULL;
	comps = xrealloc(comps, (ncomps + 1) * sizeof *comps);
	comps[ncomps].name = xstrdup(name);
	comps[ncomps].crd = c;
	ncomps++;
	return c;
}

/* ------------------------------------------------------------------ */
/* Watches */

struct watcher {
	struct sbx_req	*q;
	char		*group, *version, *plural, *ns;
	struct selector	*ls, *fs;
	int		 table;
	int		 bookmarks;
	struct event	*timeout, *tick;
	struct watcher	*next;
};

static struct watcher	*watchers;

/* A change committed to the store, for the watchers. */
struct change {
	char		*type, *grp, *res, *ns, *json;
	long long	 rv;
};
static struct change	*pending;
static size_t		 npending;

static cJSON *table_of(const struct resdef *, cJSON **, size_t, long long);

static void
watcher_free(struct watcher *w)
{
	struct watcher	**pp;

	for (pp = &watchers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	if (w->timeout != NULL)
		event_free(w->timeout);
	if (w->tick != NULL)
		event_free(w->tick);
	free(w->group);
	free(w->version);
	free(w->plural);
	free(w->ns);
	sel_free(w->ls);
	sel_free(w->fs);
	free(w);
}

static void
watch_end(struct watcher *w)
{
	struct sbx_req	*q = w->q;

	q->on_close = NULL;
	watcher_free(w);
	srv_stream_end(q);
}

static void
watch_closed(struct sbx_req *q, void *arg)
{
	(void)q;
	watcher_free(arg);
}

static void
watch_send(struct watcher *w, const char *type, cJSON *obj /* borrowed */)
{
	struct resdef	*d;
	cJSON		*ev, *o, *one[1];
	char		*s;

	ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "type", type);
	if (w->table && strcmp(type, "ERROR") != 0 &&
	    strcmp(type, "BOOKMARK") != 0 &&
	    (d = find_def(w->group, w->version, w->plural)) != NULL) {
		one[0] = obj;
		o = table_of(d, one, 1, 0);
	} else
		o = cJSON_Duplicate(obj, 1);
	cJSON_AddItemToObject(ev, "object", o);
	s = cJSON_PrintUnformatted(ev);
	srv_stream_send(w->q, s, strlen(s));
	srv_stream_send(w->q, "\n", 1);
	cJSON_free(s);
	cJSON_Delete(ev);
}

static int
watch_wants(const struct watcher *w, const char *grp, const char *res,
    const char *ns, const cJSON *obj)
{
	if (strcmp(w->group, grp) != 0 || strcmp(w->plural, res) != 0)
		return 0;
	if (w->ns != NULL && strcmp(w->ns, ns) != 0)
		return 0;
	return sel_match(w->ls, obj) && sel_match(w->fs, obj);
}

/* Give an object the apiVersion and kind (first, as the real server
 * prints them) of the group/version it is read through. */
static void
set_gvk(cJSON *obj, const struct resdef *d)
{
	char	 av[256];
	cJSON	*rest, *f;

	cJSON_DeleteItemFromObjectCaseSensitive(obj, "apiVersion");
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "kind");
	rest = cJSON_CreateObject();
	while ((f = obj->child) != NULL) {
		cJSON_DetachItemViaPointer(obj, f);
		cJSON_AddItemToArray(rest, f);
	}
	cJSON_AddStringToObject(obj, "apiVersion",
	    api_version_of(d, av, sizeof av));
	cJSON_AddStringToObject(obj, "kind", d->kind);
	while ((f = rest->child) != NULL) {
		cJSON_DetachItemViaPointer(rest, f);
		cJSON_AddItemToArray(obj, f);
	}
	cJSON_Delete(rest);
}

/* In-process listeners (controller, gateway caches): api_on_change(). */
struct listener {
	api_change_fn	 fn;
	void		*arg;
};
static struct listener	*listeners;
static size_t		 nlisteners;

void
api_on_change(api_change_fn fn, void *arg)
{
	listeners = xrealloc(listeners, (nlisteners + 1) * sizeof *listeners);
	listeners[nlisteners].fn = fn;
	listeners[nlisteners].arg = arg;
	nlisteners++;
}

/* Validating admission (the controller's webhooks): api_on_admit(). */
struct admitter {
	api_admit_fn	 fn;
	void		*arg;
};
static struct admitter	*admitters;
static size_t		 nadmitters;

void
api_on_admit(api_admit_fn fn, void *arg)
{
	admitters = xrealloc(admitters, (nadmitters + 1) * sizeof *admitters);
	admitters[nadmitters].fn = fn;
	admitters[nadmitters].arg = arg;
	nadmitters++;
}

struct sbx_store *
api_store(void)
{
	return store;
}

static void
notify(void)
{
	size_t		 i, j;
	struct watcher	*w, *next;
	cJSON		*obj;
	struct resdef	*d;
	struct change	*batch;
	size_t		 nbatch;

	/* Listeners may write (a controller reacting to a change), which
	 * queues new changes: take this batch first. */
	batch = pending;
	nbatch = npending;
	pending = NULL;
	npending = 0;
	for (i = 0; i < nbatch; i++) {
		struct change *c = &batch[i];

		obj = cJSON_Parse(c->json);
		for (w = watchers; obj != NULL && w != NULL; w = next) {
			next = w->next;
			if (!watch_wants(w, c->grp, c->res, c->ns, obj))
				continue;
			if ((d = find_def(w->group, w->version,
			    w->plural)) != NULL)
				set_gvk(obj, d);
			watch_send(w, c->type, obj);
		}
		for (j = 0; obj != NULL && j < nlisteners; j++)
			listeners[j].fn(listeners[j].arg, c->type, c->grp,
			    c->res, c->ns, obj);
		cJSON_Delete(obj);
		free(c->type);
		free(c->grp);
		free(c->res);
		free(c->ns);
		free(c->json);
	}
	free(batch);
}

static void
pending_drop(void)
{
	size_t	 i;

	for (i = 0; i < npending; i++) {
		free(pending[i].type);
		free(pending[i].grp);
		free(pending[i].res);
		free(pending[i].ns);
		free(pending[i].json);
	}
	free(pending);
	pending = NULL;
	npending = 0;
}

/* Store an object (in a transaction) and queue the change for watchers. */
static long long
put_obj(const char *grp, const char *res, const char *ns, const char *name,
    cJSON *obj, const char *type, struct err *e)
{
	long long	 rv;
	struct change	*c;

	if ((rv = store_put(store, grp, res, ns, name, obj, type, e)) == -1)
		return -1;
	pending = xrealloc(pending, (npending + 1) * sizeof *pending);
	c = &pending[npending++];
	c->type = xstrdup(type);
	c->grp = xstrdup(grp);
	c->res = xstrdup(res);
	c->ns = xstrdup(ns ? ns : "");
	c->json = cJSON_PrintUnformatted(obj);
	c->rv = rv;
	if (strcmp(grp, CRD_GROUP) == 0 && strcmp(res, CRD_RES) == 0)
		defs_dirty = 1;
	return rv;
}

static long long
del_obj(const char *grp, const char *res, const char *ns, const char *name,
    cJSON *obj, struct err *e)
{
	long long	 rv;
	struct change	*c;

	if ((rv = store_del(store, grp, res, ns, name, obj, e)) == -1)
		return -1;
	pending = xrealloc(pending, (npending + 1) * sizeof *pending);
	c = &pending[npending++];
	c->type = xstrdup("DELETED");
	c->grp = xstrdup(grp);
	c->res = xstrdup(res);
	c->ns = xstrdup(ns ? ns : "");
	c->json = cJSON_PrintUnformatted(obj);
	c->rv = rv;
	if (strcmp(grp, CRD_GROUP) == 0 && strcmp(res, CRD_RES) == 0)
		defs_dirty = 1;
	return rv;
}

static int
txn_commit(struct err *e)
{
	if (store_commit(store, e) == -1) {
		pending_drop();
		defs_dirty = 1;
		return -1;
	}
	notify();
	return 0;
}

static void
txn_rollback(void)
{
	store_rollback(store);
	pending_drop();
	defs_dirty = 1;
}

static void
watch_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	watch_end(arg);
}

static void
watch_tick(evutil_socket_t fd, short what, void *arg)
{
	struct watcher	*w = arg;
	struct resdef	*d;
	cJSON		*bm;
	char		 rv[32], av[256];

	(void)fd;
	(void)what;
	if ((d = find_def(w->group, w->version, w->plural)) == NULL) {
		watch_end(w);
		return;
	}
	bm = cJSON_CreateObject();
	cJSON_AddStringToObject(bm, "kind", d->kind);
	cJSON_AddStringToObject(bm, "apiVersion",
	    api_version_of(d, av, sizeof av));
	snprintf(rv, sizeof rv, "%lld", store_rv(store));
	cJSON_AddStringToObject(cJSON_AddObjectToObject(bm, "metadata"),
	    "resourceVersion", rv);
	watch_send(w, "BOOKMARK", bm);
	cJSON_Delete(bm);
}

void
api_shutdown(void)
{
	while (watchers != NULL)
		watch_end(watchers);
	if (store != NULL) {
		store_close(store);
		store = NULL;
	}
	defs_free();
	defs_dirty = 1;
	free(listeners);
	listeners = NULL;
	nlisteners = 0;
	free(admitters);
	admitters = NULL;
	nadmitters = 0;
}

/* ------------------------------------------------------------------ */
/* Tables */

static cJSON *
coldef(const char *name, const char *type, const char *format,
    const char *desc, int priority)
{
	cJSON	*c = cJSON_CreateObject();

	cJSON_AddStringToObject(c, "name", name);
	cJSON_AddStringToObject(c, "type", type);
	cJSON_AddStringToObject(c, "format", format);
	cJSON_AddStringToObject(c, "description", desc);
	cJSON_AddNumberToObject(c, "priority", priority);
	return c;
}

static cJSON *
age_cell(const char *ts)
{
	int	 ok;
	time_t	 t = parse_rfc3339(ts, &ok);
	char	*a;
	cJSON	*c;

	if (!ok)
		return cJSON_CreateString("<invalid>");
	a = table_age(t, time(NULL));
	c = cJSON_CreateString(a);
	free(a);
	return c;
}

static int
count_members(const cJSON *o)
{
	return cJSON_IsObject(o) || cJSON_IsArray(o) ? cJSON_GetArraySize(o) :
	    0;
}

/* The cells before Age of a CronJob, Job or NetworkPolicy row, as
 * kubectl's printers make them. */
static void
batch_cells(cJSON *cells, const char *k, const cJSON *o)
{
	const cJSON	*spec = cJSON_GetObjectItem(o, "spec");
	const cJSON	*st = cJSON_GetObjectItem(o, "status"), *c, *v;
	const char	*s, *status = "Running";
	struct strbuf	 sb = STRBUF_INIT;
	time_t		 t0, t1;
	int		 ok0, ok1;
	char		*a;

	if (strcmp(k, "CronJob") == 0) {
		s = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "schedule"));
		cJSON_AddItemToArray(cells, cJSON_CreateString(s ? s : ""));
		s = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "timeZone"));
		cJSON_AddItemToArray(cells, cJSON_CreateString(s ? s :
		    "<none>"));
		cJSON_AddItemToArray(cells, cJSON_CreateBool(cJSON_IsTrue(
		    cJSON_GetObjectItem(spec, "suspend"))));
		cJSON_AddItemToArray(cells, cJSON_CreateNumber(count_members(
		    cJSON_GetObjectItem(st, "active"))));
		s = cJSON_GetStringValue(cJSON_GetObjectItem(st,
		    "lastScheduleTime"));
		cJSON_AddItemToArray(cells, s ? age_cell(s) :
		    cJSON_CreateString("<none>"));
	} else if (strcmp(k, "Job") == 0) {
		cJSON_ArrayForEach(c, cJSON_GetObjectItem(st, "conditions")) {
			s = cJSON_GetStringValue(cJSON_GetObjectItem(c,
			    "status"));
			v = cJSON_GetObjectItem(c, "type");
			if (s != NULL && strcmp(s, "True") == 0 &&
			    cJSON_IsString(v) && (strcmp(v->valuestring,
			    "Complete") == 0 || strcmp(v->valuestring,
			    "Failed") == 0))
				status = v->valuestring;
		}
		if (cJSON_IsTrue(cJSON_GetObjectItem(spec, "suspend")) &&
		    strcmp(status, "Running") == 0)
			status = "Suspended";
		cJSON_AddItemToArray(cells, cJSON_CreateString(status));
		v = cJSON_GetObjectItem(spec, "completions");
		sb_init(&sb);
		sb_addf(&sb, "%d/%d", cJSON_IsNumber(cJSON_GetObjectItem(st,
		    "succeeded")) ? cJSON_GetObjectItem(st, "succeeded")->
		    valueint : 0, cJSON_IsNumber(v) ? v->valueint : 1);
		cJSON_AddItemToArray(cells, cJSON_CreateString(sb.buf));
		sb_free(&sb);
		t0 = parse_rfc3339(cJSON_GetStringValue(cJSON_GetObjectItem(st,
		    "startTime")), &ok0);
		t1 = parse_rfc3339(cJSON_GetStringValue(cJSON_GetObjectItem(st,
		    "completionTime")), &ok1);
		if (!ok0)
			cJSON_AddItemToArray(cells, cJSON_CreateString(""));
		else {
			a = table_age(t0, ok1 ? t1 : time(NULL));
			cJSON_AddItemToArray(cells, cJSON_CreateString(a));
			free(a);
		}
	} else {
		sb_init(&sb);
		cJSON_ArrayForEach(c, cJSON_GetObjectItem(cJSON_GetObjectItem(
		    spec, "podSelector"), "matchLabels"))
			if (cJSON_IsString(c))
				sb_addf(&sb, "%s%s=%s", sb.len ? "," : "",
				    c->string, c->valuestring);
		cJSON_AddItemToArray(cells, cJSON_CreateString(sb.len ? sb.buf :
		    "<none>"));
		sb_free(&sb);
	}
}

/* A Table's columnDefinitions for a kind. */
static cJSON *
table_columns(const struct resdef *d)
{
	cJSON		*cols = cJSON_CreateArray();
	const cJSON	*c;
	const char	*k = d->kind;

	cJSON_AddItemToArray(cols, coldef("Name", "string", "name",
	    "Name must be unique within a namespace. Is required when creating "
	    "resources, although some resources may allow a client to request "
	    "the generation of an appropriate name automatically. Name is "
	    "primarily intended for creation idempotence and configuration "
	    "definition. Cannot be updated. More info: https://kubernetes.io/"
	    "docs/concepts/overview/working-with-objects/names#names", 0));
	if (!d->builtin) {
		if (cJSON_GetArraySize(d->columns) == 0)
			cJSON_AddItemToArray(cols, coldef("Age", "date", "",
			    "", 0));
		cJSON_ArrayForEach(c, d->columns) {
			const char *ty = cJSON_GetStringValue(
			    cJSON_GetObjectItem(c, "type"));
			const char *fo = cJSON_GetStringValue(
			    cJSON_GetObjectItem(c, "format"));
			const char *de = cJSON_GetStringValue(
			    cJSON_GetObjectItem(c, "description"));
			cJSON_AddItemToArray(cols, coldef(cJSON_GetStringValue(
			    cJSON_GetObjectItem(c, "name")), ty ? ty : "string",
			    fo ? fo : "", de ? de : "", (int)cJSON_GetNumberValue(
			    cJSON_GetObjectItem(c, "priority")) > 0 ? 1 : 0));
		}
	} else if (strcmp(k, "Namespace") == 0) {
		cJSON_AddItemToArray(cols, coldef("Status", "string", "",
		    "The status of the namespace", 0));
		cJSON_AddItemToArray(cols, coldef("Age", "string", "", "", 0));
	} else if (strcmp(k, "ConfigMap") == 0) {
		cJSON_AddItemToArray(cols, coldef("Data", "integer", "", "", 0));
		cJSON_AddItemToArray(cols, coldef("Age", "string", "", "", 0));
	} else if (strcmp(k, "Secret") == 0) {
		cJSON_AddItemToArray(cols, coldef("Type", "string", "", "", 0));
		cJSON_AddItemToArray(cols, coldef("Data", "integer", "", "", 0));
		cJSON_AddItemToArray(cols, coldef("Age", "string", "", "", 0));
	} else if (strcmp(k, "ServiceAccount") == 0) {
		cJSON_AddItemToArray(cols, coldef("Secrets", "integer", "", "",
		    0));
		cJSON_AddItemToArray(cols, coldef("Age", "string", "", "", 0));
	} else if (strcmp(k, "Group") == 0) {
		cJSON_AddItemToArray(cols, coldef("Users", "string", "", "", 0));
	} else if (strcmp(k, "CustomResourceDefinition") == 0) {
		cJSON_AddItemToArray(cols, coldef("Created At", "date", "", "",
		    0));
	} else if (strcmp(k, "CronJob") == 0) {
		cJSON_AddItemToArray(cols, coldef("Schedule", "string", "", "",
		    0));
		cJSON_AddItemToArray(cols, coldef("Timezone", "string", "", "",
		    0));
		cJSON_AddItemToArray(cols, coldef("Suspend", "boolean", "", "",
		    0));
		cJSON_AddItemToArray(cols, coldef("Active", "integer", "", "",
		    0));
		cJSON_AddItemToArray(cols, coldef("Last Schedule", "string", "",
		    "", 0));
		cJSON_AddItemToArray(cols, coldef("Age", "string", "", "", 0));
	} else if (strcmp(k, "Job") == 0) {
		cJSON_AddItemToArray(cols, coldef("Status", "string", "", "",
		    0));
		cJSON_AddItemToArray(cols, coldef("Completions", "string", "",
		    "", 0));
		cJSON_AddItemToArray(cols, coldef("Duration", "string", "", "",
		    0));
		cJSON_AddItemToArray(cols, coldef("Age", "string", "", "", 0));
	} else if (strcmp(k, "NetworkPolicy") == 0) {
		cJSON_AddItemToArray(cols, coldef("Pod-Selector", "string", "",
		    "", 0));
		cJSON_AddItemToArray(cols, coldef("Age", "string", "", "", 0));
	} else
		cJSON_AddItemToArray(cols, coldef("Age", "string", "", "", 0));
	return cols;
}

/*
 * One Table row for an object, which it takes apart (its metadata moves
 * into the row): cells by the kind's columns, then the object's metadata
 * as a PartialObjectMetadata.
 */
static cJSON *
table_row(const struct resdef *d, cJSON *o)
{
	cJSON		*row, *cells, *po, *md;
	const cJSON	*c, *v;
	const char	*k = d->kind;
	const char	*ts = md_str(o, "creationTimestamp");

	row = cJSON_CreateObject();
	cells = cJSON_AddArrayToObject(row, "cells");
	cJSON_AddItemToArray(cells, cJSON_CreateString(
	    md_str(o, "name") ? md_str(o, "name") : ""));
	if (!d->builtin) {
		if (cJSON_GetArraySize(d->columns) == 0)
			cJSON_AddItemToArray(cells, age_cell(ts));
		cJSON_ArrayForEach(c, d->columns) {
			const char *jp = cJSON_GetStringValue(
			    cJSON_GetObjectItem(c, "jsonPath"));
			const char *ty = cJSON_GetStringValue(
			    cJSON_GetObjectItem(c, "type"));
			cJSON *cell = NULL;

			v = jp ? table_jsonpath(o, jp) : NULL;
			if (ty == NULL)
				ty = "string";
			if (v == NULL)
				cell = cJSON_CreateNull();
			else if (strcmp(ty, "date") == 0)
				cell = cJSON_IsString(v) ?
				    age_cell(v->valuestring) :
				    cJSON_CreateString("<invalid>");
			else if (strcmp(ty, "integer") == 0 ||
			    strcmp(ty, "number") == 0)
				cell = cJSON_IsNumber(v) ?
				    cJSON_Duplicate(v, 1) :
				    cJSON_CreateNull();
			else if (strcmp(ty, "boolean") == 0)
				cell = cJSON_IsBool(v) ?
				    cJSON_Duplicate(v, 1) :
				    cJSON_CreateNull();
			else if (cJSON_IsString(v))
				cell = cJSON_CreateString(v->valuestring);
			else {
				char *s = cJSON_PrintUnformatted(v);
				cell = cJSON_CreateString(s);
				cJSON_free(s);
			}
			cJSON_AddItemToArray(cells, cell);
		}
	} else if (strcmp(k, "Namespace") == 0) {
		const char *ph = cJSON_GetStringValue(table_jsonpath(o,
		    ".status.phase"));
		cJSON_AddItemToArray(cells, cJSON_CreateString(ph ? ph :
		    ""));
		cJSON_AddItemToArray(cells, age_cell(ts));
	} else if (strcmp(k, "ConfigMap") == 0) {
		cJSON_AddItemToArray(cells, cJSON_CreateNumber(
		    count_members(cJSON_GetObjectItem(o, "data")) +
		    count_members(cJSON_GetObjectItem(o, "binaryData"))));
		cJSON_AddItemToArray(cells, age_cell(ts));
	} else if (strcmp(k, "Secret") == 0) {
		const char *ty = cJSON_GetStringValue(
		    cJSON_GetObjectItem(o, "type"));
		cJSON_AddItemToArray(cells, cJSON_CreateString(ty ? ty :
		    ""));
		cJSON_AddItemToArray(cells, cJSON_CreateNumber(
		    count_members(cJSON_GetObjectItem(o, "data"))));
		cJSON_AddItemToArray(cells, age_cell(ts));
	} else if (strcmp(k, "ServiceAccount") == 0) {
		cJSON_AddItemToArray(cells, cJSON_CreateNumber(
		    count_members(cJSON_GetObjectItem(o, "secrets"))));
		cJSON_AddItemToArray(cells, age_cell(ts));
	} else if (strcmp(k, "Group") == 0) {
		struct strbuf sb = STRBUF_INIT;
		const cJSON *u;
		sb_init(&sb);
		cJSON_ArrayForEach(u, cJSON_GetObjectItem(o, "users"))
			if (cJSON_IsString(u))
				sb_addf(&sb, "%s%s", sb.len ? ", " : "",
				    u->valuestring);
		cJSON_AddItemToArray(cells, cJSON_CreateString(sb.buf));
		sb_free(&sb);
	} else if (strcmp(k, "CustomResourceDefinition") == 0) {
		cJSON_AddItemToArray(cells, cJSON_CreateString(ts ? ts :
		    ""));
	} else if (strcmp(k, "CronJob") == 0 || strcmp(k, "Job") == 0 ||
	    strcmp(k, "NetworkPolicy") == 0) {
		batch_cells(cells, k, o);
		cJSON_AddItemToArray(cells, age_cell(ts));
	} else
		cJSON_AddItemToArray(cells, age_cell(ts));
	po = cJSON_AddObjectToObject(row, "object");
	cJSON_AddStringToObject(po, "kind", "PartialObjectMetadata");
	cJSON_AddStringToObject(po, "apiVersion", "meta.k8s.io/v1");
	md = cJSON_DetachItemFromObjectCaseSensitive(o, "metadata");
	if (md == NULL)
		md = cJSON_CreateObject();
	cJSON_DeleteItemFromObjectCaseSensitive(md, "managedFields");
	cJSON_AddItemToObject(po, "metadata", md);
	return row;
}

static cJSON *
table_of(const struct resdef *d, cJSON **objs, size_t n, long long rv)
{
	cJSON		*t = cJSON_CreateObject(), *rows, *md, *o;
	char		 buf[32];
	size_t		 i;

	cJSON_AddStringToObject(t, "kind", "Table");
	cJSON_AddStringToObject(t, "apiVersion", "meta.k8s.io/v1");
	md = cJSON_AddObjectToObject(t, "metadata");
	if (rv > 0) {
		snprintf(buf, sizeof buf, "%lld", rv);
		cJSON_AddStringToObject(md, "resourceVersion", buf);
	}
	cJSON_AddItemToObject(t, "columnDefinitions", table_columns(d));
	rows = cJSON_AddArrayToObject(t, "rows");
	for (i = 0; i < n; i++) {
		o = cJSON_Duplicate(objs[i], 1);
		cJSON_AddItemToArray(rows, table_row(d, o));
		cJSON_Delete(o);
	}
	return t;
}

static int
wants_table(const struct sbx_req *q)
{
	return strstr(q->accept, "as=Table") != NULL;
}

/* ------------------------------------------------------------------ */
/* Authentication and authorisation */

static int
ct_equal(const char *a, const char *b)
{
	size_t		 la = strlen(a), lb = strlen(b), i;
	unsigned char	 d = la != lb;

	for (i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static void
set_admin(struct sbx_req *q)
{
	q->id.user = xstrdup("admin");
	sl_add(&q->id.groups, "system:masters");
	q->id.admin = 1;
	q->authed = 1;
}

/* 0: authenticated (or anonymous on a public path); -1: 401 sent. */
static int
authenticate(struct sbx_req *q, int public)
{
	struct evkeyvalq	*in = evhttp_request_get_input_headers(q->r);
	const char		*h = evhttp_find_header(in, "Authorization");
	const char		*tok;

	if (h == NULL) {
		/* kubectl sends no credentials over plain HTTP: with --plain
		 * every unauthenticated request acts as the admin. */
		if (!q->tls && cfg->plain)
			set_admin(q);
		if (q->authed || public)
			return 0;
		goto unauthorized;
	}
	if (strncasecmp(h, "Bearer ", 7) != 0)
		goto unauthorized;
	tok = h + 7;
	while (*tok == ' ')
		tok++;
	if (cfg->admin_token != NULL && *cfg->admin_token != '\0' &&
	    ct_equal(tok, cfg->admin_token)) {
		set_admin(q);
		return 0;
	}
	if (sbx_token_verify(cfg->state_dir, tok, &q->id, NULL) == 0) {
		q->authed = 1;
		if (sl_has(&q->id.groups, "system:masters"))
			q->id.admin = 1;
		return 0;
	}
unauthorized:
	api_status(q, 401, "Unauthorized", "Unauthorized", NULL);
	return -1;
}

static int
read_verb(const char *verb)
{
	return strcmp(verb, "get") == 0 || strcmp(verb, "list") == 0 ||
	    strcmp(verb, "watch") == 0;
}

static int
allowed(const struct sbx_identity *id, const char *verb)
{
	return id->admin || read_verb(verb);
}

static void
forbidden(struct sbx_req *q, const struct resdef *d, const char *verb,
    const char *ns, const char *name, const char *sub)
{
	struct strbuf	 sb = STRBUF_INIT;
	char		*qr = qualified(d);

	sb_init(&sb);
	if (name != NULL)
		sb_addf(&sb, "%s \"%s\" is forbidden: ", qr, name);
	else
		sb_addf(&sb, "%s is forbidden: ", qr);
	sb_addf(&sb, "User \"%s\" cannot %s resource \"%s%s%s\" in API group "
	    "\"%s\"", q->id.user, verb, d->plural, sub ? "/" : "",
	    sub ? sub : "", d->group);
	if (ns != NULL && *ns != '\0')
		sb_addf(&sb, " in the namespace \"%s\"", ns);
	else
		sb_adds(&sb, " at the cluster scope");
	api_status(q, 403, "Forbidden", sb.buf, details(name, d->group,
	    d->plural));
	sb_free(&sb);
	free(qr);
}

/* ------------------------------------------------------------------ */
/* Requests on resources */

struct call {
	struct sbx_req	*q;
	struct resdef	*d;
	char		*ns, *name, *sub;
	const char	*verb;
	int		 dry;
	char		*manager;
	enum sbx_fv	 fv;
	struct strlist	 warnings;
};

static char *
qparam(const struct call *c, const char *k)
{
	return srv_query(c->q, k);
}

static int
qflag(const struct call *c, const char *k)
{
	char	*v = qparam(c, k);
	int	 on = v != NULL && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);

	free(v);
	return on;
}

/* RFC 7234 warn-text is a quoted-string: escape '"' and '\\' in it, as
 * the apiserver does, or kubectl drops the whole header. */
static void
add_warnings(struct call *c)
{
	struct strbuf	 sb = STRBUF_INIT;
	const char	*p;
	size_t		 i;

	if (c->q == &internal_q)
		return;
	for (i = 0; i < c->warnings.n; i++) {
		sb_reset(&sb);
		sb_adds(&sb, "299 - \"");
		for (p = c->warnings.v[i]; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				sb_addc(&sb, '\\');
			sb_addc(&sb, *p);
		}
		sb_addc(&sb, '"');
		srv_header(c->q, "Warning", sb.buf);
	}
	sb_free(&sb);
}

static void
reply_obj(struct call *c, int code, cJSON *obj)
{
	add_warnings(c);
	if (wants_table(c->q) && c->d->type == RT_STORED) {
		cJSON *one[1] = { obj };
		cJSON *t = table_of(c->d, one, 1, 0);
		cJSON_Delete(obj);
		api_reply_json(c->q, code, t);
		return;
	}
	api_reply_json(c->q, code, obj);
}

static cJSON *
load(const struct resdef *d, const char *ns, const char *name)
{
	char	*s = store_get(store, d->group, d->plural, d->namespaced ?
	    ns : "", name);
	cJSON	*o;

	if (s == NULL)
		return NULL;
	o = cJSON_Parse(s);
	free(s);
	if (o != NULL)
		set_gvk(o, d);
	return o;
}

static int
ns_exists(const char *ns)
{
	char	*s = store_get(store, "", "namespaces", "", ns);
	int	 ok = s != NULL;

	free(s);
	return ok;
}

/* Parse the request body as JSON (or a kubectl protobuf body). */
static cJSON *
parse_body(struct call *c)
{
	cJSON		*o;
	struct err	 e = ERR_INIT;
	char		*msg;

	if (strncmp(c->q->content_type, "application/vnd.kubernetes.protobuf",
	    35) == 0) {
		if (sbx_protobuf_decode == NULL) {
			api_status(c->q, 415, "UnsupportedMediaType",
			    "the body of the request was in an unknown format - "
			    "accepted media types include: application/json, "
			    "application/yaml", NULL);
			return NULL;
		}
		if ((o = sbx_protobuf_decode(c->q->body, c->q->body_len,
		    &e)) == NULL) {
			msg = xasprintf("the protobuf body could not be "
			    "decoded: %s", e.msg ? e.msg : "malformed");
			bad_request(c->q, msg);
			free(msg);
			err_clear(&e);
		}
		return o;
	}
	o = cJSON_ParseWithLength(c->q->body, c->q->body_len);
	if (o == NULL || !(cJSON_IsObject(o) || cJSON_IsArray(o))) {
		msg = xasprintf("%s in version \"%s\" cannot be handled as a "
		    "%s: the request body is not valid JSON", c->d->kind,
		    c->d->version, c->d->kind);
		bad_request(c->q, msg);
		free(msg);
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static const char *const meta_fields[] = {
	"name", "generateName", "namespace", "selfLink", "uid",
	"resourceVersion", "generation", "creationTimestamp",
	"deletionTimestamp", "deletionGracePeriodSeconds", "labels",
	"annotations", "ownerReferences", "finalizers", "managedFields", NULL
};

static const char *const *
builtin_fields(const char *kind)
{
	static const char *const ns[] = { "spec", "status", NULL };
	static const char *const cm[] = { "data", "binaryData", "immutable",
	    NULL };
	static const char *const sec[] = { "data", "stringData", "type",
	    "immutable", NULL };
	static const char *const sa[] = { "secrets", "imagePullSecrets",
	    "automountServiceAccountToken", NULL };
	static const char *const grp[] = { "users", NULL };
	static const char *const crd[] = { "spec", "status", NULL };
	static const char *const rev[] = { "spec", "status", NULL };

	if (strcmp(kind, "Namespace") == 0)
		return ns;
	if (strcmp(kind, "ConfigMap") == 0)
		return cm;
	if (strcmp(kind, "Secret") == 0)
		return sec;
	if (strcmp(kind, "ServiceAccount") == 0)
		return sa;
	if (strcmp(kind, "Group") == 0)
		return grp;
	if (strcmp(kind, "CustomResourceDefinition") == 0)
		return crd;
	return rev;
}

static int
in_list(const char *const *l, const char *s)
{
	for (; *l != NULL; l++)
		if (strcmp(*l, s) == 0)
			return 1;
	return 0;
}

/* Unknown top-level and metadata fields of a built-in kind: 400 under
 * Strict, a warning under Warn; pruned unless Strict. */
static int
builtin_strict(struct call *c, cJSON *obj)
{
	const char *const	*known = builtin_fields(c->d->kind);
	cJSON			*f, *next, *md;
	struct strlist		 unknown = STRLIST_INIT;
	struct strbuf		 sb = STRBUF_INIT;
	size_t			 i;

	for (f = obj->child; f != NULL; f = next) {
		next = f->next;
		if (strcmp(f->string, "apiVersion") == 0 ||
		    strcmp(f->string, "kind") == 0 ||
		    strcmp(f->string, "metadata") == 0 ||
		    in_list(known, f->string))
			continue;
		sl_add(&unknown, f->string);
		if (c->fv != SBX_FV_STRICT)
			cJSON_Delete(cJSON_DetachItemViaPointer(obj, f));
	}
	md = cJSON_GetObjectItem(obj, "metadata");
	for (f = md ? md->child : NULL; f != NULL; f = next) {
		next = f->next;
		if (in_list(meta_fields, f->string))
			continue;
		sl_addf(&unknown, "metadata.%s", f->string);
		if (c->fv != SBX_FV_STRICT)
			cJSON_Delete(cJSON_DetachItemViaPointer(md, f));
	}
	if (unknown.n == 0)
		return 0;
	if (c->fv == SBX_FV_WARN)
		for (i = 0; i < unknown.n; i++)
			sl_addf(&c->warnings, "unknown field \"%s\"",
			    unknown.v[i]);
	if (c->fv != SBX_FV_STRICT) {
		sl_free(&unknown);
		return 0;
	}
	sb_init(&sb);
	sb_addf(&sb, "%s in version \"%s\" cannot be handled as a %s: strict "
	    "decoding error: ", c->d->kind, c->d->version, c->d->kind);
	for (i = 0; i < unknown.n; i++)
		sb_addf(&sb, "%sunknown field \"%s\"", i ? ", " : "",
		    unknown.v[i]);
	bad_request(c->q, sb.buf);
	sb_free(&sb);
	sl_free(&unknown);
	return -1;
}

static int
dns_label(const char *s, size_t max)
{
	size_t	 n = strlen(s), i;

	if (n == 0 || n > max || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) ||
		    isdigit((unsigned char)s[i]) || s[i] == '-'))
			return 0;
	return 1;
}

static int
dns_subdomain(const char *s)
{
	char	*copy, *p, *tok, *save = NULL;
	int	 ok = 1;
	size_t	 n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.' ||
	    strstr(s, "..") != NULL)
		return 0;
	copy = xstrdup(s);
	for (p = copy; ok && (tok = strtok_r(p, ".", &save)) != NULL; p = NULL)
		ok = dns_label(tok, 253);
	free(copy);
	return ok;
}

static int
label_value_ok(const char *v)
{
	size_t	 n = strlen(v), i;

	if (n == 0)
		return 1;
	if (n > 63 || !isalnum((unsigned char)v[0]) ||
	    !isalnum((unsigned char)v[n - 1]))
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '-' &&
		    v[i] != '_' && v[i] != '.')
			return 0;
	return 1;
}

static int
label_key_ok(const char *k)
{
	const char	*slash = strrchr(k, '/'), *name = slash ? slash + 1 : k;
	char		*prefix;
	int		 ok;

	if (!label_value_ok(name) || *name == '\0')
		return 0;
	if (slash == NULL)
		return 1;
	prefix = xstrndup(k, (size_t)(slash - k));
	ok = dns_subdomain(prefix);
	free(prefix);
	return ok;
}

/* The apiserver's own metadata checks (names, labels). */
static void
check_meta(const struct resdef *d, const cJSON *obj, cJSON *causes)
{
	const char	*name = md_str(obj, "name");
	const cJSON	*l;

	if (name == NULL || *name == '\0')
		add_cause(causes, "FieldValueRequired", "metadata.name",
		    "Required value: name or generateName is required");
	else if (strcmp(d->kind, "Namespace") == 0) {
		if (strlen(name) > 63)
			add_cause(causes, "FieldValueInvalid", "metadata.name",
			    "Invalid value: \"%s\": must be no more than 63 "
			    "characters", name);
		else if (!dns_label(name, 63))
			add_cause(causes, "FieldValueInvalid", "metadata.name",
			    "Invalid value: \"%s\": a lowercase RFC 1123 label "
			    "must consist of lower case alphanumeric characters "
			    "or '-', and must start and end with an alphanumeric "
			    "character (e.g. 'my-name',  or '123-abc', regex "
			    "used for validation is '[a-z0-9]([-a-z0-9]*"
			    "[a-z0-9])?')", name);
	} else if (strcmp(d->kind, "Group") == 0) {
		if (strchr(name, '/') != NULL || strcmp(name, ".") == 0 ||
		    strcmp(name, "..") == 0 || strchr(name, '%') != NULL)
			add_cause(causes, "FieldValueInvalid", "metadata.name",
			    "Invalid value: \"%s\": may not contain '/'", name);
	} else if (strlen(name) > 253)
		add_cause(causes, "FieldValueInvalid", "metadata.name",
		    "Invalid value: \"%s\": must be no more than 253 characters",
		    name);
	else if (!dns_subdomain(name))
		add_cause(causes, "FieldValueInvalid", "metadata.name",
		    "Invalid value: \"%s\": a lowercase RFC 1123 subdomain must "
		    "consist of lower case alphanumeric characters, '-' or '.', "
		    "and must start and end with an alphanumeric character "
		    "(e.g. 'example.com', regex used for validation is "
		    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*"
		    "[a-z0-9])?)*')", name);
	cJSON_ArrayForEach(l, cJSON_GetObjectItem(cJSON_GetObjectItem(obj,
	    "metadata"), "labels")) {
		if (!cJSON_IsString(l))
			continue;
		if (!label_key_ok(l->string))
			add_cause(causes, "FieldValueInvalid", "metadata.labels",
			    "Invalid value: \"%s\": name part must consist of "
			    "alphanumeric characters, '-', '_' or '.', and must "
			    "start and end with an alphanumeric character (e.g. "
			    "'MyName',  or 'my.name',  or '123-abc', regex used "
			    "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?"
			    "[A-Za-z0-9]')", l->string);
		else if (!label_value_ok(l->valuestring))
			add_cause(causes, "FieldValueInvalid", "metadata.labels",
			    "Invalid value: \"%s\": a valid label must be an "
			    "empty string or consist of alphanumeric characters, "
			    "'-', '_' or '.', and must start and end with an "
			    "alphanumeric character (e.g. 'MyValue',  or "
			    "'my_value',  or '12345', regex used for validation "
			    "is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
			    l->valuestring);
	}
}

/* Checks of a CRD object the apiserver makes before serving it. */
static void
check_crd(const cJSON *obj, cJSON *causes)
{
	const cJSON	*spec = cJSON_GetObjectItem(obj, "spec");
	const cJSON	*names = cJSON_GetObjectItem(spec, "names");
	const char	*g = cJSON_GetStringValue(cJSON_GetObjectItem(spec,
	    "group"));
	const char	*pl = cJSON_GetStringValue(cJSON_GetObjectItem(names,
	    "plural"));
	const char	*name = md_str(obj, "name");
	const char	*scope = cJSON_GetStringValue(cJSON_GetObjectItem(spec,
	    "scope"));
	char		*want;

	if (g == NULL || *g == '\0')
		add_cause(causes, "FieldValueRequired", "spec.group",
		    "Required value");
	if (pl == NULL || *pl == '\0')
		add_cause(causes, "FieldValueRequired", "spec.names.plural",
		    "Required value");
	if (cJSON_GetStringValue(cJSON_GetObjectItem(names, "kind")) == NULL)
		add_cause(causes, "FieldValueRequired", "spec.names.kind",
		    "Required value");
	if (scope == NULL || (strcmp(scope, "Namespaced") != 0 &&
	    strcmp(scope, "Cluster") != 0))
		add_cause(causes, "FieldValueNotSupported", "spec.scope",
		    "Unsupported value: \"%s\": supported values: \"Cluster\", "
		    "\"Namespaced\"", scope ? scope : "");
	if (cJSON_GetArraySize(cJSON_GetObjectItem(spec, "versions")) == 0)
		add_cause(causes, "FieldValueRequired", "spec.versions",
		    "Required value: must have exactly one version marked as "
		    "storage version");
	if (g != NULL && pl != NULL && name != NULL) {
		want = xasprintf("%s.%s", pl, g);
		if (strcmp(want, name) != 0)
			add_cause(causes, "FieldValueInvalid", "metadata.name",
			    "Invalid value: \"%s\": must be spec.names.plural+"
			    "\".\"+spec.group", name);
		free(want);
	}
}

/* Validate an object about to be written; -1 when a reply was sent. */
static int
validate(struct call *c, cJSON *obj)
{
	cJSON			*causes = cJSON_CreateArray();
	struct sbx_invalid	 inv = SBX_INVALID_INIT;
	struct sbx_crd		*crd;
	struct err		 e = ERR_INIT;
	size_t			 i;
	char			*msg;

	if (c->d->builtin && builtin_strict(c, obj) == -1)
		goto fail_sent;
	check_meta(c->d, obj, causes);
	if (strcmp(c->d->kind, "CustomResourceDefinition") == 0 &&
	    c->d->builtin) {
		check_crd(obj, causes);
		if (cJSON_GetArraySize(causes) == 0 && sbx_crd_compile != NULL) {
			struct sbx_crd *tc = sbx_crd_compile(obj, &e);
			if (tc == NULL) {
				add_cause(causes, "FieldValueInvalid", "spec",
				    "Invalid value: %s", e.msg ? e.msg :
				    "cannot compile the schema");
				err_clear(&e);
			} else
				sbx_crd_free(tc);
		}
	}
	if (cJSON_GetArraySize(causes) > 0) {
		invalid(c->q, c->d, md_str(obj, "name"), causes);
		return -1;
	}
	cJSON_Delete(causes);
	causes = NULL;
	if (!c->d->builtin && sbx_crd_validate != NULL) {
		if ((crd = crd_compiled(c->d, &e)) == NULL) {
			msg = xasprintf("the CustomResourceDefinition of %s "
			    "cannot be compiled: %s", c->d->kind, e.msg ?
			    e.msg : "unknown error");
			api_status(c->q, 500, "InternalError", msg, NULL);
			free(msg);
			err_clear(&e);
			return -1;
		}
		if (sbx_crd_validate(crd, c->d->version, obj, c->fv,
		    &inv) == -1) {
			api_reply_json(c->q, inv.status ? inv.status : 422,
			    sbx_invalid_status(&inv));
			sbx_invalid_free(&inv);
			return -1;
		}
		for (i = 0; i < inv.warnings.n; i++)
			sl_add(&c->warnings, inv.warnings.v[i]);
		sbx_invalid_free(&inv);
	} else if (c->d->builtin && sbx_builtin_validate != NULL &&
	    c->d->type == RT_STORED) {
		if (sbx_builtin_validate(c->d->kind, c->d->group, obj,
		    &inv) == -1) {
			api_reply_json(c->q, inv.status ? inv.status : 422,
			    sbx_invalid_status(&inv));
			sbx_invalid_free(&inv);
			return -1;
		}
		sbx_invalid_free(&inv);
	}
	return 0;
fail_sent:
	cJSON_Delete(causes);
	return -1;
}

/* ---- managedFields (server-side apply) ---- */

/* Is this top-level/metadata path excluded from field ownership? */
static int
unowned(const char *parent, const char *key)
{
	static const char *const top[] = { "apiVersion", "kind", NULL };
	static const char *const md[] = { "name", "namespace", "uid",
	    "resourceVersion", "generation", "creationTimestamp",
	    "managedFields", "selfLink", "deletionTimestamp", NULL };

	if (parent == NULL)
		return in_list(top, key);
	if (strcmp(parent, "metadata") == 0)
		return in_list(md, key);
	return 0;
}

/* The FieldsV1 set of obj: {"f:spec":{"f:x":{}}}; objects recurse,
 * everything else (arrays included) is a leaf. */
static cJSON *
fields_of(const cJSON *obj, const char *parent, int skip_status)
{
	cJSON		*set = cJSON_CreateObject();
	const cJSON	*f;
	char		*k;

	cJSON_ArrayForEach(f, obj) {
		if (unowned(parent, f->string))
			continue;
		if (parent == NULL && skip_status &&
		    strcmp(f->string, "status") == 0)
			continue;
		k = xasprintf("f:%s", f->string);
		if (cJSON_IsObject(f) && f->child != NULL)
			cJSON_AddItemToObject(set, k, fields_of(f, parent ?
			    "" : f->string, 0));
		else
			cJSON_AddObjectToObject(set, k);
		free(k);
	}
	return set;
}

/* Field paths join their parts with SEP (keys such as annotation names
 * hold dots); dotted() gives the ".spec.x" form for messages. */
#define SEP	"\x1f"
#define SEPC	'\x1f'

static char *
dotted(const char *path)
{
	char	*s = xstrdup(path), *p;

	for (p = s; *p != '\0'; p++)
		if (*p == SEPC)
			*p = '.';
	return s;
}

/* Leaf paths of a field set, as SEP-separated strings. */
static void
leaves(const cJSON *set, const char *prefix, struct strlist *out)
{
	const cJSON	*f;
	char		*p;

	cJSON_ArrayForEach(f, set) {
		if (strncmp(f->string, "f:", 2) != 0)
			continue;
		p = xasprintf("%s" SEP "%s", prefix, f->string + 2);
		if (f->child == NULL)
			sl_add(out, p);
		else
			leaves(f, p, out);
		free(p);
	}
}

static const cJSON *
at_path(const cJSON *obj, const char *path)
{
	char		*copy = xstrdup(path), *p, *tok, *save = NULL;
	const cJSON	*c = obj;

	for (p = copy + 1; c != NULL && (tok = strtok_r(p, SEP, &save)) != NULL;
	    p = NULL)
		c = cJSON_GetObjectItemCaseSensitive(c, tok);
	free(copy);
	return c;
}

/* Remove a leaf path from a field set (pruning empty parents). */
static void
set_remove(cJSON *set, const char *path)
{
	char	*copy = xstrdup(path), *dot, *k;
	cJSON	*child;

	dot = strchr(copy + 1, SEPC);
	if (dot != NULL)
		*dot = '\0';
	k = xasprintf("f:%s", copy + 1);
	child = cJSON_GetObjectItemCaseSensitive(set, k);
	if (child != NULL) {
		if (dot == NULL)
			cJSON_DeleteItemFromObjectCaseSensitive(set, k);
		else {
			*dot = SEPC;
			set_remove(child, dot);
			if (child->child == NULL)
				cJSON_DeleteItemFromObjectCaseSensitive(set, k);
		}
	}
	free(k);
	free(copy);
}

static int
set_has(const cJSON *set, const char *path)
{
	struct strlist	 l = STRLIST_INIT;
	size_t		 i, n = strlen(path);
	int		 has = 0;

	leaves(set, "", &l);
	for (i = 0; i < l.n && !has; i++)
		/* the same leaf, or one containing / contained in it */
		has = strcmp(l.v[i], path) == 0 ||
		    (strncmp(l.v[i], path, n) == 0 && l.v[i][n] == SEPC) ||
		    (strncmp(path, l.v[i], strlen(l.v[i])) == 0 &&
		    path[strlen(l.v[i])] == SEPC);
	sl_free(&l);
	return has;
}

static cJSON *
mf_entry(const char *manager, const char *op, const char *av,
    const char *sub, cJSON *fields)
{
	cJSON	*e = cJSON_CreateObject();
	char	*ts = now_rfc3339();

	cJSON_AddStringToObject(e, "manager", manager);
	cJSON_AddStringToObject(e, "operation", op);
	cJSON_AddStringToObject(e, "apiVersion", av);
	cJSON_AddStringToObject(e, "time", ts);
	cJSON_AddStringToObject(e, "fieldsType", "FieldsV1");
	cJSON_AddItemToObject(e, "fieldsV1", fields);
	if (sub != NULL)
		cJSON_AddStringToObject(e, "subresource", sub);
	free(ts);
	return e;
}

static int
same_manager(const cJSON *e, const char *manager, const char *op,
    const char *sub)
{
	const char	*esub = cJSON_GetStringValue(cJSON_GetObjectItem(e,
	    "subresource"));

	return strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e, "manager")) ?
	    cJSON_GetStringValue(cJSON_GetObjectItem(e, "manager")) : "",
	    manager) == 0 &&
	    strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e, "operation")) ?
	    cJSON_GetStringValue(cJSON_GetObjectItem(e, "operation")) : "",
	    op) == 0 &&
	    ((sub == NULL && esub == NULL) || (sub != NULL && esub != NULL &&
	    strcmp(sub, esub) == 0));
}

/* Record an Update by manager: it owns every changed leaf, the others
 * lose them. */
static void
mf_update(cJSON *newobj, const cJSON *oldobj, const char *manager,
    const char *sub, int skip_status)
{
	cJSON		*md = md_of(newobj), *mf, *e, *next, *mine = NULL;
	cJSON		*nset = fields_of(newobj, NULL, skip_status), *fv;
	struct strlist	 nl = STRLIST_INIT, changed = STRLIST_INIT;
	char		 av[256];
	size_t		 i;

	leaves(nset, "", &nl);
	for (i = 0; i < nl.n; i++) {
		const cJSON *a = at_path(newobj, nl.v[i]);
		const cJSON *b = oldobj ? at_path(oldobj, nl.v[i]) : NULL;
		if (b == NULL || !cJSON_Compare(a, b, 1))
			sl_add(&changed, nl.v[i]);
	}
	snprintf(av, sizeof av, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(
	    newobj, "apiVersion")) ? cJSON_GetStringValue(cJSON_GetObjectItem(
	    newobj, "apiVersion")) : "v1");
	mf = cJSON_GetObjectItem(md, "managedFields");
	if (oldobj != NULL && mf == NULL) {
		const cJSON *omf = cJSON_GetObjectItem(cJSON_GetObjectItem(
		    oldobj, "metadata"), "managedFields");
		if (omf != NULL)
			cJSON_AddItemToObject(md, "managedFields",
			    mf = cJSON_Duplicate(omf, 1));
	}
	if (mf == NULL)
		mf = cJSON_AddArrayToObject(md, "managedFields");
	/* Fields no longer present are owned by nobody. */
	for (e = mf->child; e != NULL; e = e->next) {
		struct strlist ol = STRLIST_INIT;
		fv = cJSON_GetObjectItem(e, "fieldsV1");
		leaves(fv, "", &ol);
		for (i = 0; i < ol.n; i++)
			if (at_path(newobj, ol.v[i]) == NULL)
				set_remove(fv, ol.v[i]);
		sl_free(&ol);
	}
	if (changed.n > 0) {
		for (e = mf->child; e != NULL; e = e->next) {
			if (same_manager(e, manager, "Update", sub)) {
				mine = e;
				continue;
			}
			fv = cJSON_GetObjectItem(e, "fieldsV1");
			for (i = 0; i < changed.n; i++)
				set_remove(fv, changed.v[i]);
		}
		if (mine == NULL) {
			mine = mf_entry(manager, "Update", av, sub,
			    cJSON_CreateObject());
			cJSON_AddItemToArray(mf, mine);
		} else {
			char *ts = now_rfc3339();
			set_str(mine, "time", ts);
			free(ts);
		}
		fv = cJSON_GetObjectItem(mine, "fieldsV1");
		for (i = 0; i < changed.n; i++) {
			/* add the leaf path to the set */
			char *copy = xstrdup(changed.v[i]), *p, *tok, *save = NULL;
			cJSON *cur = fv, *nx;
			for (p = copy + 1; (tok = strtok_r(p, SEP, &save)) !=
			    NULL; p = NULL) {
				char *k = xasprintf("f:%s", tok);
				if ((nx = cJSON_GetObjectItemCaseSensitive(cur,
				    k)) == NULL)
					nx = cJSON_AddObjectToObject(cur, k);
				cur = nx;
				free(k);
			}
			free(copy);
		}
	}
	/* Drop entries that own nothing. */
	for (e = mf->child; e != NULL; e = next) {
		next = e->next;
		fv = cJSON_GetObjectItem(e, "fieldsV1");
		if (fv == NULL || fv->child == NULL)
			cJSON_Delete(cJSON_DetachItemViaPointer(mf, e));
	}
	if (mf->child == NULL)
		cJSON_DeleteItemFromObjectCaseSensitive(md, "managedFields");
	cJSON_Delete(nset);
	sl_free(&nl);
	sl_free(&changed);
}

/* Deep merge for apply: objects merge, everything else replaces. */
static void
apply_merge(cJSON *dst, const cJSON *src)
{
	const cJSON	*f;
	cJSON		*d;

	cJSON_ArrayForEach(f, src) {
		d = cJSON_GetObjectItemCaseSensitive(dst, f->string);
		if (cJSON_IsNull(f))
			continue;
		if (d != NULL && cJSON_IsObject(d) && cJSON_IsObject(f))
			apply_merge(d, f);
		else
			set_item(dst, f->string, cJSON_Duplicate(f, 1));
	}
}

/* Remove a leaf path from an object (pruning emptied maps). */
static void
obj_remove(cJSON *obj, const char *path)
{
	char	*copy = xstrdup(path), *dot;
	cJSON	*child;

	dot = strchr(copy + 1, SEPC);
	if (dot != NULL)
		*dot = '\0';
	child = cJSON_GetObjectItemCaseSensitive(obj, copy + 1);
	if (child != NULL) {
		if (dot == NULL)
			cJSON_DeleteItemFromObjectCaseSensitive(obj, copy + 1);
		else {
			*dot = SEPC;
			obj_remove(child, dot);
			if (cJSON_IsObject(child) && child->child == NULL)
				cJSON_DeleteItemFromObjectCaseSensitive(obj,
				    copy + 1);
		}
	}
	free(copy);
}

/*
 * Server-side apply of cfg onto live (NULL when creating) by manager.
 * Returns the new object, or NULL with *conflicts (a Status) filled.
 */
static cJSON *
ssa(const struct resdef *d, const cJSON *live, const cJSON *cfgobj,
    const char *manager, int force, const char *sub, cJSON **conflicts)
{
	cJSON		*out, *md, *mf, *e, *next, *aset, *fv, *mine = NULL;
	cJSON		*prev = NULL;
	struct strlist	 al = STRLIST_INIT, cpaths = STRLIST_INIT;
	struct strlist	 cmgrs = STRLIST_INIT, cavs = STRLIST_INIT;
	char		 av[256];
	size_t		 i, j;
	int		 skip_status = d->status_sub && sub == NULL;

	*conflicts = NULL;
	/* kubectl's second apply, which only carries the last-applied
	 * annotation, takes it over (as the apiserver's CSA/SSA upgrade). */
	if (strcmp(manager, "kubectl-last-applied") == 0)
		force = 1;
	api_version_of(d, av, sizeof av);
	aset = fields_of(cfgobj, NULL, skip_status);
	leaves(aset, "", &al);
	out = live ? cJSON_Duplicate(live, 1) : cJSON_CreateObject();
	md = md_of(out);
	mf = cJSON_GetObjectItem(md, "managedFields");
	if (mf == NULL)
		mf = cJSON_AddArrayToObject(md, "managedFields");
	/* Conflicts: another manager owns a leaf whose value would change. */
	for (e = mf->child; e != NULL; e = e->next) {
		const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(e,
		    "manager"));
		const char *op = cJSON_GetStringValue(cJSON_GetObjectItem(e,
		    "operation"));
		const char *eav = cJSON_GetStringValue(cJSON_GetObjectItem(e,
		    "apiVersion"));
		if (same_manager(e, manager, "Apply", sub)) {
			mine = e;
			continue;
		}
		fv = cJSON_GetObjectItem(e, "fieldsV1");
		for (i = 0; i < al.n; i++) {
			const cJSON *a = at_path(cfgobj, al.v[i]);
			const cJSON *b = at_path(out, al.v[i]);
			if (!set_has(fv, al.v[i]) || (b != NULL &&
			    cJSON_Compare(a, b, 1)))
				continue;
			if (force) {
				set_remove(fv, al.v[i]);
				continue;
			}
			if (op != NULL && strcmp(op, "Update") == 0)
				sl_addf(&cmgrs, "\"%s\" using %s", m ? m : "",
				    eav ? eav : "");
			else
				sl_addf(&cmgrs, "\"%s\"", m ? m : "");
			sl_take(&cpaths, dotted(al.v[i]));
			sl_add(&cavs, "");
		}
	}
	if (cpaths.n > 0) {
		struct strbuf	 sb = STRBUF_INIT;
		cJSON		*st, *det, *causes, *cz;
		struct strlist	 uniq = STRLIST_INIT;

		sb_init(&sb);
		if (cpaths.n == 1)
			sb_addf(&sb, "Apply failed with 1 conflict: conflict "
			    "with %s: %s", cmgrs.v[0], cpaths.v[0]);
		else {
			for (i = 0; i < cmgrs.n; i++)
				if (!sl_has(&uniq, cmgrs.v[i]))
					sl_add(&uniq, cmgrs.v[i]);
			sl_sort(&uniq);
			sb_addf(&sb, "Apply failed with %zu conflicts: ",
			    cpaths.n);
			for (i = 0; i < uniq.n; i++) {
				sb_addf(&sb, "%sconflicts with %s:", i ? "\n" :
				    "", uniq.v[i]);
				for (j = 0; j < cpaths.n; j++)
					if (strcmp(cmgrs.v[j], uniq.v[i]) == 0)
						sb_addf(&sb, "\n- %s",
						    cpaths.v[j]);
			}
		}
		st = cJSON_CreateObject();
		cJSON_AddStringToObject(st, "kind", "Status");
		cJSON_AddStringToObject(st, "apiVersion", "v1");
		cJSON_AddObjectToObject(st, "metadata");
		cJSON_AddStringToObject(st, "status", "Failure");
		cJSON_AddStringToObject(st, "message", sb.buf);
		cJSON_AddStringToObject(st, "reason", "Conflict");
		det = cJSON_AddObjectToObject(st, "details");
		causes = cJSON_AddArrayToObject(det, "causes");
		for (i = 0; i < cpaths.n; i++) {
			cz = cJSON_CreateObject();
			cJSON_AddStringToObject(cz, "reason",
			    "FieldManagerConflict");
			{
				char *m = xasprintf("conflict with %s",
				    cmgrs.v[i]);
				cJSON_AddStringToObject(cz, "message", m);
				free(m);
			}
			cJSON_AddStringToObject(cz, "field", cpaths.v[i]);
			cJSON_AddItemToArray(causes, cz);
		}
		cJSON_AddNumberToObject(st, "code", 409);
		*conflicts = st;
		sb_free(&sb);
		sl_free(&uniq);
		cJSON_Delete(out);
		out = NULL;
		cJSON_Delete(aset);
		goto done;
	}
	/* Fields this manager applied before and now omits are removed,
	 * unless another manager also owns them. */
	if (mine != NULL) {
		struct strlist pl = STRLIST_INIT;
		prev = cJSON_GetObjectItem(mine, "fieldsV1");
		leaves(prev, "", &pl);
		for (i = 0; i < pl.n; i++) {
			int shared = 0;
			if (set_has(aset, pl.v[i]))
				continue;
			for (e = mf->child; e != NULL && !shared; e = e->next)
				if (e != mine && set_has(cJSON_GetObjectItem(e,
				    "fieldsV1"), pl.v[i]))
					shared = 1;
			if (!shared)
				obj_remove(out, pl.v[i]);
		}
		sl_free(&pl);
		set_item(mine, "fieldsV1", aset);
		{
			char *ts = now_rfc3339();
			set_str(mine, "time", ts);
			free(ts);
		}
	} else
		cJSON_AddItemToArray(mf, mf_entry(manager, "Apply", av, sub,
		    aset));
	/* Merge the configuration (managedFields kept from out). */
	{
		cJSON *c2 = cJSON_Duplicate(cfgobj, 1);
		cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItem(c2,
		    "metadata"), "managedFields");
		if (skip_status)
			cJSON_DeleteItemFromObjectCaseSensitive(c2, "status");
		apply_merge(out, c2);
		cJSON_Delete(c2);
	}
	md = md_of(out);
	mf = cJSON_GetObjectItem(md, "managedFields");
	for (e = mf ? mf->child : NULL; e != NULL; e = next) {
		next = e->next;
		fv = cJSON_GetObjectItem(e, "fieldsV1");
		if (fv == NULL || fv->child == NULL)
			cJSON_Delete(cJSON_DetachItemViaPointer(mf, e));
	}
done:
	sl_free(&al);
	sl_free(&cpaths);
	sl_free(&cmgrs);
	sl_free(&cavs);
	return out;
}

/* ---- the write pipeline ---- */

/* Is anything outside metadata and status different? */
static int
spec_changed(const cJSON *a, const cJSON *b)
{
	const cJSON	*f;

	cJSON_ArrayForEach(f, a) {
		if (strcmp(f->string, "metadata") == 0 ||
		    strcmp(f->string, "status") == 0 ||
		    strcmp(f->string, "apiVersion") == 0 ||
		    strcmp(f->string, "kind") == 0)
			continue;
		if (!cJSON_Compare(f, cJSON_GetObjectItemCaseSensitive(b,
		    f->string), 1))
			return 1;
	}
	cJSON_ArrayForEach(f, b) {
		if (strcmp(f->string, "metadata") == 0 ||
		    strcmp(f->string, "status") == 0 ||
		    strcmp(f->string, "apiVersion") == 0 ||
		    strcmp(f->string, "kind") == 0)
			continue;
		if (cJSON_GetObjectItemCaseSensitive(a, f->string) == NULL)
			return 1;
	}
	return 0;
}

/* Equal apart from resourceVersion and managedFields timestamps? */
static int
same_object(const cJSON *a, const cJSON *b)
{
	cJSON	*x = cJSON_Duplicate(a, 1), *y = cJSON_Duplicate(b, 1);
	int	 eq;

	cJSON_DeleteItemFromObjectCaseSensitive(md_of(x), "resourceVersion");
	cJSON_DeleteItemFromObjectCaseSensitive(md_of(y), "resourceVersion");
	cJSON_DeleteItemFromObjectCaseSensitive(md_of(x), "managedFields");
	cJSON_DeleteItemFromObjectCaseSensitive(md_of(y), "managedFields");
	eq = cJSON_Compare(x, y, 1);
	cJSON_Delete(x);
	cJSON_Delete(y);
	return eq;
}

/* Kind-specific defaults and status the real apiserver sets. */
static void
prepare(struct call *c, cJSON *obj, const cJSON *old)
{
	const char	*k = c->d->kind;
	cJSON		*md = md_of(obj), *x, *data, *f;
	char		*ts;

	if (strcmp(k, "Namespace") == 0) {
		x = cJSON_GetObjectItem(md, "labels");
		if (!cJSON_IsObject(x)) {
			cJSON_DeleteItemFromObjectCaseSensitive(md, "labels");
			x = cJSON_AddObjectToObject(md, "labels");
		}
		set_str(x, "kubernetes.io/metadata.name", md_str(obj, "name"));
		if (old == NULL) {
			x = cJSON_CreateObject();
			cJSON_AddItemToObject(x, "finalizers", cJSON_CreateArray());
			cJSON_AddItemToArray(cJSON_GetObjectItem(x,
			    "finalizers"), cJSON_CreateString("kubernetes"));
			if (cJSON_GetObjectItem(obj, "spec") == NULL)
				cJSON_AddItemToObject(obj, "spec", x);
			else
				cJSON_Delete(x);
		}
		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "phase", "Active");
		set_item(obj, "status", x);
	} else if (strcmp(k, "Secret") == 0) {
		if (cJSON_GetObjectItem(obj, "type") == NULL)
			cJSON_AddStringToObject(obj, "type", "Opaque");
		x = cJSON_GetObjectItem(obj, "stringData");
		if (cJSON_IsObject(x)) {
			data = cJSON_GetObjectItem(obj, "data");
			if (!cJSON_IsObject(data)) {
				cJSON_DeleteItemFromObjectCaseSensitive(obj,
				    "data");
				data = cJSON_AddObjectToObject(obj, "data");
			}
			cJSON_ArrayForEach(f, x) {
				char *enc;
				if (!cJSON_IsString(f))
					continue;
				enc = b64_encode(f->valuestring,
				    strlen(f->valuestring), B64_STD);
				set_str(data, f->string, enc);
				free(enc);
			}
		}
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "stringData");
	} else if (strcmp(k, "CustomResourceDefinition") == 0 &&
	    c->d->builtin) {
		const cJSON *spec = cJSON_GetObjectItem(obj, "spec");
		const cJSON *v;
		cJSON *st = cJSON_CreateObject(), *conds, *cond, *sv;

		ts = now_rfc3339();
		conds = cJSON_AddArrayToObject(st, "conditions");
		cond = cJSON_CreateObject();
		cJSON_AddStringToObject(cond, "type", "NamesAccepted");
		cJSON_AddStringToObject(cond, "status", "True");
		cJSON_AddStringToObject(cond, "lastTransitionTime", ts);
		cJSON_AddStringToObject(cond, "reason", "NoConflicts");
		cJSON_AddStringToObject(cond, "message", "no conflicts found");
		cJSON_AddItemToArray(conds, cond);
		cond = cJSON_CreateObject();
		cJSON_AddStringToObject(cond, "type", "Established");
		cJSON_AddStringToObject(cond, "status", "True");
		cJSON_AddStringToObject(cond, "lastTransitionTime", ts);
		cJSON_AddStringToObject(cond, "reason", "InitialNamesAccepted");
		cJSON_AddStringToObject(cond, "message",
		    "the initial names have been accepted");
		cJSON_AddItemToArray(conds, cond);
		cJSON_AddItemToObject(st, "acceptedNames", cJSON_Duplicate(
		    cJSON_GetObjectItem(spec, "names"), 1));
		sv = cJSON_AddArrayToObject(st, "storedVersions");
		cJSON_ArrayForEach(v, cJSON_GetObjectItem(spec, "versions"))
			if (cJSON_IsTrue(cJSON_GetObjectItem(v, "storage")))
				cJSON_AddItemToArray(sv, cJSON_CreateString(
				    cJSON_GetStringValue(cJSON_GetObjectItem(v,
				    "name"))));
		if (old != NULL) {
			/* keep the original transition times */
			const cJSON *oc = cJSON_GetObjectItem(
			    cJSON_GetObjectItem(old, "status"), "conditions");
			if (oc != NULL)
				set_item(st, "conditions",
				    cJSON_Duplicate(oc, 1));
		}
		set_item(obj, "status", st);
		free(ts);
	}
}

/*
 * Write obj (new state; old is the stored state or NULL on create).
 * Fills server-owned metadata, validates, skips no-op updates, honours
 * dryRun, stores, notifies and replies.  Consumes obj.
 */
static void
write_obj(struct call *c, cJSON *obj, cJSON *old, int op_apply)
{
	struct err	 e = ERR_INIT;
	cJSON		*md = md_of(obj), *omd;
	const char	*name, *gen;
	char		*ts, *uid, *msg;
	int		 code = old ? 200 : 201, is_crd = 0;
	double		 g;
	int		 skip_status = c->d->status_sub && c->sub == NULL;

	set_gvk(obj, c->d);
	if (c->d->namespaced)
		set_str(md, "namespace", c->ns);
	else
		cJSON_DeleteItemFromObjectCaseSensitive(md, "namespace");
	if (old == NULL) {
		if (md_str(obj, "name") == NULL && (gen = md_str(obj,
		    "generateName")) != NULL && *gen != '\0') {
			unsigned char r[5];
			char n[6];
			size_t i;
			static const char al[] = "bcdfghjklmnpqrstvwxz2456789";
			if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
				memset(r, 7, sizeof r);
			for (i = 0; i < 5; i++)
				n[i] = al[r[i] % (sizeof al - 1)];
			n[5] = '\0';
			msg = xasprintf("%s%s", gen, n);
			set_str(md, "name", msg);
			free(msg);
		}
		/* a create never carries status when /status exists */
		if (c->d->status_sub && !c->d->builtin)
			cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
	}
	name = md_str(obj, "name");
	if (validate(c, obj) == -1)
		goto out;
	if (old == NULL && c->d->namespaced && !ns_exists(c->ns)) {
		ns_not_found(c->q, c->ns);
		goto out;
	}
	/* validating admission webhooks, on the main resource only */
	for (size_t i = 0; c->sub == NULL && i < nadmitters; i++) {
		msg = admitters[i].fn(admitters[i].arg, old ? "UPDATE" :
		    "CREATE", c->d->group, c->d->plural, c->d->namespaced ?
		    c->ns : "", obj);
		if (msg != NULL) {
			api_status(c->q, 403, "Forbidden", msg, NULL);
			free(msg);
			goto out;
		}
	}
	prepare(c, obj, old);
	md = md_of(obj);
	cJSON_DeleteItemFromObjectCaseSensitive(md, "selfLink");
	if (old == NULL) {
		uid = new_uid();
		set_str(md, "uid", uid);
		free(uid);
		ts = now_rfc3339();
		set_str(md, "creationTimestamp", ts);
		free(ts);
		cJSON_DeleteItemFromObjectCaseSensitive(md, "resourceVersion");
		cJSON_DeleteItemFromObjectCaseSensitive(md, "generation");
		cJSON_DeleteItemFromObjectCaseSensitive(md,
		    "deletionTimestamp");
		if (!c->d->builtin || strcmp(c->d->kind,
		    "CustomResourceDefinition") == 0)
			cJSON_AddNumberToObject(md, "generation", 1);
	} else {
		omd = cJSON_GetObjectItem(old, "metadata");
		set_str(md, "uid", md_str(old, "uid"));
		set_str(md, "creationTimestamp", md_str(old,
		    "creationTimestamp"));
		set_str(md, "resourceVersion", md_str(old, "resourceVersion"));
		cJSON_DeleteItemFromObjectCaseSensitive(md, "generation");
		g = cJSON_GetNumberValue(cJSON_GetObjectItem(omd, "generation"));
		if (cJSON_GetObjectItem(omd, "generation") != NULL)
			cJSON_AddNumberToObject(md, "generation",
			    spec_changed(obj, old) ? g + 1 : g);
	}
	if (!op_apply) {
		if (old == NULL)
			cJSON_DeleteItemFromObjectCaseSensitive(md,
			    "managedFields");
		mf_update(obj, old, c->manager, c->sub, skip_status);
	}
	if (old != NULL && same_object(obj, old)) {
		cJSON_Delete(obj);
		obj = cJSON_Duplicate(old, 1);
		reply_obj(c, 200, obj);
		obj = NULL;
		goto out;
	}
	is_crd = c->d->builtin && strcmp(c->d->plural, CRD_RES) == 0;
	if (c->dry) {
		if (old == NULL)
			cJSON_DeleteItemFromObjectCaseSensitive(md,
			    "resourceVersion");
		reply_obj(c, code, obj);
		obj = NULL;
		goto out;
	}
	if (store_begin(store, &e) == -1 ||
	    put_obj(c->d->group, c->d->plural, c->d->namespaced ? c->ns : "",
	    name, obj, old ? "MODIFIED" : "ADDED", &e) == -1) {
		txn_rollback();
		goto fail;
	}
	if (txn_commit(&e) == -1)
		goto fail;
	(void)is_crd;
	reply_obj(c, code, obj);
	obj = NULL;
	goto out;
fail:
	msg = xasprintf("%s", e.msg ? e.msg : "storage error");
	api_status(c->q, 500, "InternalError", msg, NULL);
	free(msg);
	err_clear(&e);
out:
	cJSON_Delete(obj);
}

static void
do_get(struct call *c)
{
	cJSON	*o = load(c->d, c->ns, c->name);

	if (o == NULL) {
		not_found(c->q, c->d, c->name);
		return;
	}
	reply_obj(c, 200, o);
}

/* List state shared by the store callback. */
struct listing {
	struct call		*c;
	struct selector		*ls, *fs;
	cJSON			**items;
	size_t			 n;
	long			 limit;
	char			*next;	/* continue key */
	char			*last;	/* "ns/name" of the last item */
	struct strbuf		*rows;	/* Table rows printed as they come
					 * ("row,row,..."), not items */
};

static int
list_cb(void *arg, const char *ns, const char *name, const char *json)
{
	struct listing	*l = arg;
	cJSON		*o, *row;
	char		*s;

	if (l->limit > 0 && (long)l->n >= l->limit) {
		if (l->next == NULL && l->n > 0) {
			l->next = l->last;
			l->last = NULL;
		}
		return 1;
	}
	if ((o = cJSON_Parse(json)) == NULL)
		return 0;
	if (!sel_match(l->ls, o) || !sel_match(l->fs, o)) {
		cJSON_Delete(o);
		return 0;
	}
	set_gvk(o, l->c->d);
	free(l->last);
	l->last = xasprintf("%s/%s", ns ? ns : "", name);
	if (l->rows != NULL) {
		/* One row at a time: no page of objects is ever held. */
		row = table_row(l->c->d, o);
		s = cJSON_PrintUnformatted(row);
		if (l->n > 0)
			sb_addc(l->rows, ',');
		sb_adds(l->rows, s);
		cJSON_free(s);
		cJSON_Delete(row);
		cJSON_Delete(o);
		l->n++;
		return 0;
	}
	l->items = xrealloc(l->items, (l->n + 1) * sizeof *l->items);
	l->items[l->n++] = o;
	return 0;
}

/* Parse selectors; -1 when a 400 was sent. */
static int
selectors(struct call *c, struct selector **ls, struct selector **fs)
{
	char		*lt = qparam(c, "labelSelector");
	char		*ft = qparam(c, "fieldSelector");
	char		*why = NULL, *msg;
	const char	*f;
	size_t		 i;
	int		 rc = -1;

	*ls = *fs = NULL;
	if (lt != NULL && (*ls = sel_parse_labels(lt, &why)) == NULL) {
		msg = xasprintf("unable to parse requirement: %s", why);
		bad_request(c->q, why);
		free(msg);
		goto out;
	}
	if (ft != NULL && (*fs = sel_parse_fields(ft, &why)) == NULL) {
		bad_request(c->q, why);
		goto out;
	}
	for (i = 0; *fs != NULL && (f = sel_field_at(*fs, i)) != NULL; i++) {
		if (c->d->type != RT_STORED)
			break;	/* events: involvedObject.* etc. */
		if (strcmp(f, "metadata.name") == 0 ||
		    (strcmp(f, "metadata.namespace") == 0 && c->d->namespaced))
			continue;
		if (c->d->builtin && ((strcmp(c->d->kind, "Namespace") == 0 &&
		    strcmp(f, "status.phase") == 0) ||
		    (strcmp(c->d->kind, "Secret") == 0 &&
		    strcmp(f, "type") == 0)))
			continue;
		msg = xasprintf("\"%s\" is not a known field selector: only "
		    "\"metadata.name\", \"metadata.namespace\"", f);
		bad_request(c->q, msg);
		free(msg);
		goto out;
	}
	rc = 0;
out:
	if (rc == -1) {
		sel_free(*ls);
		sel_free(*fs);
		*ls = *fs = NULL;
	}
	free(why);
	free(lt);
	free(ft);
	return rc;
}

static char *
cont_encode(const char *key)
{
	return b64_encode(key, strlen(key), B64_STD);
}

static char *
cont_decode(const char *tok)
{
	size_t	 n, bad;
	char	*key;

	if ((key = b64_decode_std(tok, strlen(tok), &n, &bad)) == NULL)
		return NULL;
	if (memchr(key, '\0', n) != NULL || strchr(key, '/') == NULL) {
		free(key);
		return NULL;
	}
	return key;
}

/*
 * A plain JSON list without selectors is the stored bodies joined: each
 * body is the object as cJSON printed it when it was written, so an
 * object whose apiVersion and kind already lead it, as set_gvk() would
 * put them, is copied as it is, not parsed and printed again.  Anything
 * else (a body written through another version) takes the parsed path.
 */
struct rawlist {
	struct call	*c;
	struct strbuf	 items;		/* "obj,obj,..." */
	char		*prefix;	/* {"apiVersion":"..","kind":".." */
	size_t		 plen;
	long		 n, limit;
	char		*next;		/* continue key */
	char		*last;		/* "ns/name" of the last item */
};

static int
rawlist_cb(void *arg, const char *ns, const char *name, const char *json)
{
	struct rawlist	*l = arg;
	cJSON		*o;
	char		*s;

	if (l->limit > 0 && l->n >= l->limit) {
		if (l->next == NULL && l->n > 0) {
			l->next = l->last;
			l->last = NULL;
		}
		return 1;
	}
	if (strncmp(json, l->prefix, l->plen) == 0 &&
	    (json[l->plen] == ',' || json[l->plen] == '}')) {
		if (l->n > 0)
			sb_addc(&l->items, ',');
		sb_adds(&l->items, json);
	} else {
		if ((o = cJSON_Parse(json)) == NULL)
			return 0;
		set_gvk(o, l->c->d);
		s = cJSON_PrintUnformatted(o);
		if (l->n > 0)
			sb_addc(&l->items, ',');
		sb_adds(&l->items, s);
		cJSON_free(s);
		cJSON_Delete(o);
	}
	l->n++;
	free(l->last);
	l->last = xasprintf("%s/%s", ns ? ns : "", name);
	return 0;
}

static void
list_raw(struct call *c, long limit, const char *after)
{
	struct rawlist	 l;
	struct strbuf	 out = STRBUF_INIT;
	char		 av[256], *tok;

	memset(&l, 0, sizeof l);
	l.c = c;
	l.limit = limit;
	sb_init(&l.items);
	api_version_of(c->d, av, sizeof av);
	l.prefix = xasprintf("{\"apiVersion\":\"%s\",\"kind\":\"%s\"", av,
	    c->d->kind);
	l.plen = strlen(l.prefix);
	store_list(store, c->d->group, c->d->plural, c->d->namespaced ?
	    c->ns : NULL, after, rawlist_cb, &l);
	add_warnings(c);
	sb_addf(&out, "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":"
	    "{\"resourceVersion\":\"%lld\"", c->d->list_kind, av,
	    store_rv(store));
	if (l.next != NULL) {
		tok = cont_encode(l.next);
		sb_addf(&out, ",\"continue\":\"%s\"", tok);
		free(tok);
	}
	sb_adds(&out, "},\"items\":[");
	sb_add(&out, l.items.buf, l.items.len);
	sb_adds(&out, "]}");
	sb_free(&l.items);
	srv_reply(c->q, 200, "application/json", out.buf, out.len);
	sb_free(&out);
	free(l.prefix);
	free(l.next);
	free(l.last);
}

/* Send a Table list whose rows list_cb() printed: the Table's head, then
 * the rows as they are, in the order the real server writes the fields. */
static void
list_table_reply(struct call *c, struct listing *l, struct strbuf *rows)
{
	struct strbuf	 out = STRBUF_INIT;
	cJSON		*t, *md;
	char		 buf[32], *tok, *head;

	t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "kind", "Table");
	cJSON_AddStringToObject(t, "apiVersion", "meta.k8s.io/v1");
	md = cJSON_AddObjectToObject(t, "metadata");
	if (store_rv(store) > 0) {
		snprintf(buf, sizeof buf, "%lld", store_rv(store));
		cJSON_AddStringToObject(md, "resourceVersion", buf);
	}
	if (l->next != NULL) {
		tok = cont_encode(l->next);
		cJSON_AddStringToObject(md, "continue", tok);
		free(tok);
	}
	cJSON_AddItemToObject(t, "columnDefinitions", table_columns(c->d));
	head = cJSON_PrintUnformatted(t);
	cJSON_Delete(t);
	sb_init(&out);
	sb_add(&out, head, strlen(head) - 1);	/* without its closing '}' */
	cJSON_free(head);
	sb_adds(&out, ",\"rows\":[");
	sb_add(&out, rows->buf, rows->len);
	sb_adds(&out, "]}");
	srv_reply(c->q, 200, "application/json", out.buf, out.len);
	sb_free(&out);
}

static void
do_list(struct call *c)
{
	struct strbuf	 rows = STRBUF_INIT;
	struct listing	 l;
	cJSON		*list, *md, *items;
	char		*lim = qparam(c, "limit"), *cont = qparam(c, "continue");
	char		*after = NULL, av[256], rv[32], *tok;
	size_t		 i;

	memset(&l, 0, sizeof l);
	l.c = c;
	if (selectors(c, &l.ls, &l.fs) == -1)
		goto out;
	l.limit = lim ? strtol(lim, NULL, 10) : 0;
	if (cont != NULL && *cont != '\0' &&
	    (after = cont_decode(cont)) == NULL) {
		bad_request(c->q, "continue key is not valid: illegal base64 "
		    "data");
		goto out;
	}
	if (c->d->type == RT_STORED && l.ls == NULL && l.fs == NULL &&
	    c->q != &internal_q && !wants_table(c->q)) {
		list_raw(c, l.limit, after);
		goto out;
	}
	if (c->q != &internal_q && wants_table(c->q)) {
		sb_init(&rows);
		l.rows = &rows;
	}
	if (c->d->type == RT_STORED)
		store_list(store, c->d->group, c->d->plural, c->d->namespaced ?
		    c->ns : NULL, after, list_cb, &l);
	snprintf(rv, sizeof rv, "%lld", store_rv(store));
	add_warnings(c);
	if (l.rows != NULL) {
		list_table_reply(c, &l, &rows);
		goto out;
	}
	if (wants_table(c->q)) {
		list = table_of(c->d, l.items, l.n, store_rv(store));
		md = cJSON_GetObjectItem(list, "metadata");
	} else {
		list = cJSON_CreateObject();
		cJSON_AddStringToObject(list, "kind", c->d->list_kind);
		cJSON_AddStringToObject(list, "apiVersion",
		    api_version_of(c->d, av, sizeof av));
		md = cJSON_AddObjectToObject(list, "metadata");
		cJSON_AddStringToObject(md, "resourceVersion", rv);
		items = cJSON_AddArrayToObject(list, "items");
		for (i = 0; i < l.n; i++) {
			cJSON_AddItemToArray(items, l.items[i]);
			l.items[i] = NULL;
		}
	}
	if (l.next != NULL) {
		tok = cont_encode(l.next);
		cJSON_AddStringToObject(md, "continue", tok);
		free(tok);
	}
	api_reply_json(c->q, 200, list);
out:
	for (i = 0; l.rows == NULL && i < l.n; i++)
		cJSON_Delete(l.items[i]);
	free(l.items);
	sb_free(&rows);
	free(l.next);
	free(l.last);
	sel_free(l.ls);
	sel_free(l.fs);
	free(lim);
	free(cont);
	free(after);
}

struct replay {
	struct watcher	*w;
	struct resdef	*d;
};

static int
replay_cb(void *arg, long long rv, const char *type, const char *grp,
    const char *res, const char *ns, const char *json)
{
	struct replay	*r = arg;
	cJSON		*o = cJSON_Parse(json);

	(void)rv;
	if (o != NULL && watch_wants(r->w, grp, res, ns, o)) {
		set_gvk(o, r->d);
		watch_send(r->w, type, o);
	}
	cJSON_Delete(o);
	return 0;
}

static int
initial_cb(void *arg, const char *ns, const char *name, const char *json)
{
	struct replay	*r = arg;
	cJSON		*o = cJSON_Parse(json);

	(void)name;
	if (o != NULL && watch_wants(r->w, r->d->group, r->d->plural, ns, o)) {
		set_gvk(o, r->d);
		watch_send(r->w, "ADDED", o);
	}
	cJSON_Delete(o);
	return 0;
}

static void
do_watch(struct call *c)
{
	struct watcher	*w;
	struct replay	 r;
	char		*rvs = qparam(c, "resourceVersion");
	char		*tos = qparam(c, "timeoutSeconds");
	char		*end, *msg;
	long long	 from = -1;
	long		 secs;
	struct timeval	 tv;
	cJSON		*st;

	w = xcalloc(1, sizeof *w);
	if (selectors(c, &w->ls, &w->fs) == -1) {
		free(w);
		goto out;
	}
	if (rvs != NULL && *rvs != '\0' && strcmp(rvs, "0") != 0) {
		from = strtoll(rvs, &end, 10);
		if (*end != '\0' || from < 0) {
			msg = xasprintf("resourceVersion: Invalid value: \"%s\": "
			    "must be a number", rvs);
			bad_request(c->q, msg);
			free(msg);
			sel_free(w->ls);
			sel_free(w->fs);
			free(w);
			goto out;
		}
	}
	w->q = c->q;
	w->group = xstrdup(c->d->group);
	w->version = xstrdup(c->d->version);
	w->plural = xstrdup(c->d->plural);
	w->ns = c->d->namespaced && c->ns ? xstrdup(c->ns) : NULL;
	w->table = wants_table(c->q);
	w->bookmarks = qflag(c, "allowWatchBookmarks");
	c->q->on_close = watch_closed;
	c->q->on_close_arg = w;
	srv_stream_start(c->q, "application/json");
	w->next = watchers;
	watchers = w;
	r.w = w;
	r.d = c->d;
	if (from >= 0 && from < store_oldest(store)) {
		st = cJSON_CreateObject();
		cJSON_AddStringToObject(st, "kind", "Status");
		cJSON_AddStringToObject(st, "apiVersion", "v1");
		cJSON_AddObjectToObject(st, "metadata");
		cJSON_AddStringToObject(st, "status", "Failure");
		msg = xasprintf("too old resource version: %lld (%lld)", from,
		    store_rv(store));
		cJSON_AddStringToObject(st, "message", msg);
		free(msg);
		cJSON_AddStringToObject(st, "reason", "Expired");
		cJSON_AddNumberToObject(st, "code", 410);
		watch_send(w, "ERROR", st);
		cJSON_Delete(st);
		watch_end(w);
		goto out;
	}
	if (c->d->type == RT_STORED) {
		if (from < 0)
			store_list(store, c->d->group, c->d->plural,
			    w->ns, NULL, initial_cb, &r);
		else
			store_events(store, from, replay_cb, &r);
	}
	secs = tos ? strtol(tos, NULL, 10) : MAX_WATCH_SECS;
	if (secs <= 0 || secs > MAX_WATCH_SECS)
		secs = MAX_WATCH_SECS;
	tv.tv_sec = secs;
	tv.tv_usec = 0;
	w->timeout = evtimer_new(srv_base(), watch_timeout, w);
	evtimer_add(w->timeout, &tv);
	if (w->bookmarks) {
		w->tick = event_new(srv_base(), -1, EV_PERSIST, watch_tick, w);
		tv.tv_sec = 15;
		event_add(w->tick, &tv);
	}
out:
	free(rvs);
	free(tos);
}

static void
do_create(struct call *c)
{
	cJSON		*obj = parse_body(c), *md;
	const char	*bns, *name;
	cJSON		*old;
	char		*msg;

	if (obj == NULL)
		return;
	if (!cJSON_IsObject(obj)) {
		bad_request(c->q, "the request body must be a JSON object");
		cJSON_Delete(obj);
		return;
	}
	md = md_of(obj);
	bns = md_str(obj, "namespace");
	if (c->d->namespaced && bns != NULL && *bns != '\0' &&
	    strcmp(bns, c->ns) != 0) {
		bad_request(c->q, "the namespace of the provided object does "
		    "not match the namespace sent on the request");
		cJSON_Delete(obj);
		return;
	}
	(void)md;
	name = md_str(obj, "name");
	if (name != NULL && *name != '\0' &&
	    (old = load(c->d, c->ns, name)) != NULL) {
		char *qr = qualified(c->d);
		cJSON_Delete(old);
		msg = xasprintf("%s \"%s\" already exists", qr, name);
		api_status(c->q, 409, "AlreadyExists", msg,
		    details(name, c->d->group, c->d->plural));
		free(msg);
		free(qr);
		cJSON_Delete(obj);
		return;
	}
	write_obj(c, obj, NULL, 0);
}

/* Keep the parts a write through this endpoint may not change: the status
 * on the main resource (when /status exists), everything but the status on
 * /status. */
static cJSON *
scope_write(struct call *c, cJSON *obj, const cJSON *old)
{
	cJSON	*out;

	if (c->sub != NULL && strcmp(c->sub, "status") == 0) {
		out = cJSON_Duplicate(old, 1);
		set_item(out, "status", cJSON_Duplicate(cJSON_GetObjectItem(obj,
		    "status"), 1) ?: cJSON_CreateObject());
		if (cJSON_GetObjectItem(obj, "status") == NULL)
			cJSON_DeleteItemFromObjectCaseSensitive(out, "status");
		/* a precondition travels in metadata */
		if (md_str(obj, "resourceVersion") != NULL)
			set_str(md_of(out), "resourceVersion",
			    md_str(obj, "resourceVersion"));
		cJSON_Delete(obj);
		return out;
	}
	if (c->d->status_sub && c->d->type == RT_STORED) {
		const cJSON *st = cJSON_GetObjectItem(old, "status");
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
		if (st != NULL)
			cJSON_AddItemToObject(obj, "status",
			    cJSON_Duplicate(st, 1));
	}
	return obj;
}

static void
do_update(struct call *c)
{
	cJSON		*obj = parse_body(c), *old;
	const char	*name, *rv;
	char		*msg;

	if (obj == NULL)
		return;
	if (!cJSON_IsObject(obj)) {
		bad_request(c->q, "the request body must be a JSON object");
		cJSON_Delete(obj);
		return;
	}
	name = md_str(obj, "name");
	if (name == NULL || strcmp(name, c->name) != 0) {
		msg = xasprintf("the name of the object (%s) does not match the "
		    "name on the URL (%s)", name ? name : "", c->name);
		bad_request(c->q, msg);
		free(msg);
		cJSON_Delete(obj);
		return;
	}
	if ((old = load(c->d, c->ns, c->name)) == NULL) {
		not_found(c->q, c->d, c->name);
		cJSON_Delete(obj);
		return;
	}
	rv = md_str(obj, "resourceVersion");
	if (rv != NULL && *rv != '\0' && strcmp(rv, md_str(old,
	    "resourceVersion")) != 0) {
		conflict(c->q, c->d, c->name);
		cJSON_Delete(obj);
		cJSON_Delete(old);
		return;
	}
	obj = scope_write(c, obj, old);
	write_obj(c, obj, old, 0);
	cJSON_Delete(old);
}

static void
do_patch(struct call *c)
{
	const char	*ct = c->q->content_type;
	cJSON		*patch = NULL, *old, *obj = NULL, *confl = NULL;
	char		*why = NULL, *msg, *force;
	const char	*rv;
	int		 smp = 0, apply = 0;

	if (strncmp(ct, "application/apply-patch+yaml", 28) == 0)
		apply = 1;
	else if (strncmp(ct, "application/strategic-merge-patch+json",
	    38) == 0) {
		if (!c->d->builtin) {
			api_status(c->q, 415, "UnsupportedMediaType",
			    "the body of the request was in an unknown format - "
			    "accepted media types include: application/json-"
			    "patch+json, application/merge-patch+json, "
			    "application/apply-patch+yaml", NULL);
			return;
		}
		smp = 1;
	} else if (strncmp(ct, "application/merge-patch+json", 28) != 0 &&
	    strncmp(ct, "application/json-patch+json", 27) != 0) {
		api_status(c->q, 415, "UnsupportedMediaType",
		    "the body of the request was in an unknown format - "
		    "accepted media types include: application/json-patch+json, "
		    "application/merge-patch+json, application/apply-patch+yaml",
		    NULL);
		return;
	}
	if ((patch = cJSON_ParseWithLength(c->q->body, c->q->body_len)) ==
	    NULL) {
		msg = xasprintf("error decoding patch: invalid character in "
		    "the request body (%s)", apply ? "apply patches must be "
		    "JSON here" : "not JSON");
		bad_request(c->q, msg);
		free(msg);
		return;
	}
	old = load(c->d, c->ns, c->name);
	if (apply) {
		if (c->manager == NULL || *c->manager == '\0' ||
		    strcmp(c->manager, "unknown") == 0) {
			cJSON *causes = cJSON_CreateArray();
			add_cause(causes, "FieldValueRequired", "fieldManager",
			    "Required value: is required for apply patch");
			api_status(c->q, 422, "Invalid", "PatchOptions.meta.k8s."
			    "io \"\" is invalid: fieldManager: Required value: "
			    "is required for apply patch", NULL);
			cJSON_Delete(causes);
			goto out;
		}
		if (!cJSON_IsObject(patch)) {
			bad_request(c->q, "the apply patch must be an object");
			goto out;
		}
		if (old == NULL && c->sub != NULL) {
			not_found(c->q, c->d, c->name);
			goto out;
		}
		if (md_str(patch, "name") != NULL && strcmp(md_str(patch,
		    "name"), c->name) != 0) {
			msg = xasprintf("the name of the object (%s) does not "
			    "match the name on the URL (%s)", md_str(patch,
			    "name"), c->name);
			bad_request(c->q, msg);
			free(msg);
			goto out;
		}
		force = qparam(c, "force");
		if (old == NULL) {
			cJSON *base = cJSON_CreateObject();
			set_str(md_of(base), "name", c->name);
			obj = ssa(c->d, base, patch, c->manager, 0, NULL,
			    &confl);
			cJSON_Delete(base);
		} else
			obj = ssa(c->d, old, patch, c->manager, force &&
			    strcmp(force, "true") == 0, c->sub, &confl);
		free(force);
		if (obj == NULL) {
			add_warnings(c);
			api_reply_json(c->q, 409, confl);
			goto out;
		}
		set_str(md_of(obj), "name", c->name);
		if (old != NULL)
			obj = scope_write(c, obj, old);
		write_obj(c, obj, old, 1);
		obj = NULL;
		goto out;
	}
	if (old == NULL) {
		not_found(c->q, c->d, c->name);
		goto out;
	}
	if (strncmp(ct, "application/json-patch+json", 27) == 0) {
		if ((obj = patch_json(old, patch, &why)) == NULL) {
			api_status(c->q, 422, "Invalid", why, NULL);
			goto out;
		}
	} else {
		if (!cJSON_IsObject(patch)) {
			bad_request(c->q, "error decoding patch: json: cannot "
			    "unmarshal into a merge patch (not an object)");
			goto out;
		}
		obj = patch_merge(cJSON_Duplicate(old, 1), patch, smp);
	}
	rv = md_str(obj, "resourceVersion");
	if (rv != NULL && strcmp(rv, md_str(old, "resourceVersion")) != 0) {
		conflict(c->q, c->d, c->name);
		goto out;
	}
	if (md_str(obj, "name") == NULL || strcmp(md_str(obj, "name"),
	    c->name) != 0 || (c->d->namespaced && md_str(obj, "namespace") &&
	    strcmp(md_str(obj, "namespace"), c->ns) != 0)) {
		bad_request(c->q, "the patch may not change the name or the "
		    "namespace of the object");
		goto out;
	}
	if (!c->d->builtin || c->sub != NULL || c->d->status_sub) {
		cJSON *tmp = obj;
		obj = scope_write(c, tmp, old);
	}
	write_obj(c, obj, old, 0);
	obj = NULL;
out:
	free(why);
	cJSON_Delete(obj);
	cJSON_Delete(patch);
	cJSON_Delete(old);
}

struct nsdel {
	struct strlist	 grp, res, name;
	cJSON		*objs;
};

static int
nsdel_cb(void *arg, const char *grp, const char *res, const char *name,
    const char *json)
{
	struct nsdel	*n = arg;
	cJSON		*o = cJSON_Parse(json);

	if (o == NULL)
		return 0;
	sl_add(&n->grp, grp);
	sl_add(&n->res, res);
	sl_add(&n->name, name);
	cJSON_AddItemToArray(n->objs, o);
	return 0;
}

static int
crdobj_cb(void *arg, const char *ns, const char *name, const char *json)
{
	struct nsdel	*n = arg;
	cJSON		*o = cJSON_Parse(json);

	if (o == NULL)
		return 0;
	sl_add(&n->grp, ns);	/* namespace, for CR deletion */
	sl_add(&n->name, name);
	cJSON_AddItemToArray(n->objs, o);
	return 0;
}

static void
do_delete(struct call *c)
{
	cJSON		*opts = NULL, *old, *o, *st;
	const cJSON	*dr, *pre;
	struct err	 e = ERR_INIT;
	struct nsdel	 n;
	const char	*prv, *puid, *g, *pl;
	size_t		 i;
	char		*msg;

	memset(&n, 0, sizeof n);
	if (c->q->body_len > 0 && (opts = cJSON_ParseWithLength(c->q->body,
	    c->q->body_len)) == NULL) {
		bad_request(c->q, "the DeleteOptions body is not valid JSON");
		return;
	}
	cJSON_ArrayForEach(dr, cJSON_GetObjectItem(opts, "dryRun"))
		if (cJSON_IsString(dr) && strcmp(dr->valuestring, "All") == 0)
			c->dry = 1;
	if ((old = load(c->d, c->ns, c->name)) == NULL) {
		not_found(c->q, c->d, c->name);
		goto out;
	}
	pre = cJSON_GetObjectItem(opts, "preconditions");
	prv = cJSON_GetStringValue(cJSON_GetObjectItem(pre, "resourceVersion"));
	puid = cJSON_GetStringValue(cJSON_GetObjectItem(pre, "uid"));
	if ((prv != NULL && strcmp(prv, md_str(old, "resourceVersion")) != 0) ||
	    (puid != NULL && strcmp(puid, md_str(old, "uid")) != 0)) {
		char *qr = qualified(c->d);
		msg = xasprintf("Operation cannot be fulfilled on %s \"%s\": "
		    "Precondition failed: %s in precondition: %s, %s in object "
		    "meta: %s", qr, c->name, prv ? "ResourceVersion" : "UID",
		    prv ? prv : puid, prv ? "ResourceVersion" : "UID",
		    prv ? md_str(old, "resourceVersion") : md_str(old, "uid"));
		api_status(c->q, 409, "Conflict", msg, details(c->name,
		    c->d->group, c->d->plural));
		free(msg);
		free(qr);
		cJSON_Delete(old);
		goto out;
	}
	if (c->dry)
		goto reply;
	n.objs = cJSON_CreateArray();
	if (store_begin(store, &e) == -1)
		goto fail;
	if (c->d->builtin && strcmp(c->d->plural, "namespaces") == 0) {
		store_list_ns(store, c->name, nsdel_cb, &n);
		i = 0;
		cJSON_ArrayForEach(o, n.objs) {
			if (del_obj(n.grp.v[i], n.res.v[i], c->name,
			    n.name.v[i], o, &e) == -1)
				goto fail_txn;
			i++;
		}
	} else if (c->d->builtin && strcmp(c->d->plural, CRD_RES) == 0) {
		const cJSON *spec = cJSON_GetObjectItem(old, "spec");
		g = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "group"));
		pl = cJSON_GetStringValue(cJSON_GetObjectItem(
		    cJSON_GetObjectItem(spec, "names"), "plural"));
		if (g != NULL && pl != NULL) {
			store_list(store, g, pl, NULL, NULL, crdobj_cb, &n);
			i = 0;
			cJSON_ArrayForEach(o, n.objs) {
				if (del_obj(g, pl, n.grp.v[i], n.name.v[i], o,
				    &e) == -1)
					goto fail_txn;
				i++;
			}
		}
	}
	if (del_obj(c->d->group, c->d->plural, c->d->namespaced ? c->ns : "",
	    c->name, old, &e) == -1)
		goto fail_txn;
	if (txn_commit(&e) == -1)
		goto fail;
reply:
	if (c->d->builtin && strcmp(c->d->plural, "namespaces") == 0) {
		set_item(old, "status", cJSON_CreateObject());
		cJSON_AddStringToObject(cJSON_GetObjectItem(old, "status"),
		    "phase", "Terminating");
		reply_obj(c, 200, old);
		goto out;
	}
	if (!c->d->builtin) {
		reply_obj(c, 200, old);
		goto out;
	}
	st = cJSON_CreateObject();
	cJSON_AddStringToObject(st, "kind", "Status");
	cJSON_AddStringToObject(st, "apiVersion", "v1");
	cJSON_AddObjectToObject(st, "metadata");
	cJSON_AddStringToObject(st, "status", "Success");
	o = details(c->name, c->d->group, c->d->plural);
	cJSON_AddStringToObject(o, "uid", md_str(old, "uid"));
	cJSON_AddItemToObject(st, "details", o);
	cJSON_Delete(old);
	add_warnings(c);
	api_reply_json(c->q, 200, st);
	goto out;
fail_txn:
	txn_rollback();
fail:
	cJSON_Delete(old);
	api_status(c->q, 500, "InternalError", e.msg ? e.msg : "storage error",
	    NULL);
	err_clear(&e);
out:
	sl_free(&n.grp);
	sl_free(&n.res);
	sl_free(&n.name);
	cJSON_Delete(n.objs);
	cJSON_Delete(opts);
}

static void
do_deletecollection(struct call *c)
{
	struct listing	 l;
	struct err	 e = ERR_INIT;
	cJSON		*list, *items;
	size_t		 i;
	char		 av[256];

	memset(&l, 0, sizeof l);
	l.c = c;
	if (selectors(c, &l.ls, &l.fs) == -1)
		return;
	store_list(store, c->d->group, c->d->plural, c->d->namespaced ? c->ns :
	    NULL, NULL, list_cb, &l);
	if (!c->dry) {
		if (store_begin(store, &e) == -1)
			goto fail;
		for (i = 0; i < l.n; i++) {
			const char *ns = md_str(l.items[i], "namespace");
			if (del_obj(c->d->group, c->d->plural, ns ? ns : "",
			    md_str(l.items[i], "name"), l.items[i], &e) == -1) {
				txn_rollback();
				goto fail;
			}
		}
		if (txn_commit(&e) == -1)
			goto fail;
	}
	list = cJSON_CreateObject();
	cJSON_AddStringToObject(list, "kind", c->d->list_kind);
	cJSON_AddStringToObject(list, "apiVersion", api_version_of(c->d, av,
	    sizeof av));
	cJSON_AddObjectToObject(list, "metadata");
	items = cJSON_AddArrayToObject(list, "items");
	for (i = 0; i < l.n; i++) {
		cJSON_AddItemToArray(items, l.items[i]);
		l.items[i] = NULL;
	}
	api_reply_json(c->q, 200, list);
	goto out;
fail:
	api_status(c->q, 500, "InternalError", e.msg ? e.msg : "storage error",
	    NULL);
	err_clear(&e);
out:
	for (i = 0; i < l.n; i++)
		cJSON_Delete(l.items[i]);
	free(l.items);
	sel_free(l.ls);
	sel_free(l.fs);
}

/* SelfSubjectAccessReview, SelfSubjectRulesReview, SelfSubjectReview. */
/* ------------------------------------------------------------------ */
/* In-process writers (the controller): the HTTP write path, minus HTTP */

/* The served resource grp/res in its storage version (or any version). */
static struct resdef *
find_res(const char *grp, const char *res)
{
	size_t			 i, n;
	struct resdef *const	*all = api_defs(&n);
	struct resdef		*any = NULL;

	for (i = 0; i < n; i++) {
		if (strcmp(all[i]->group, grp) != 0 ||
		    strcmp(all[i]->plural, res) != 0 ||
		    all[i]->type != RT_STORED)
			continue;
		if (all[i]->storage || all[i]->builtin)
			return all[i];
		if (any == NULL)
			any = all[i];
	}
	return any;
}

/* Take the captured reply: 0 for 2xx, else -1 with e filled from the
 * Status message (what names the object). */
static int
internal_result(const char *what, cJSON **out, struct err *e)
{
	cJSON		*r = internal_reply;
	int		 code = internal_code, ex;
	const char	*msg;

	internal_reply = NULL;
	internal_code = 0;
	if (code >= 200 && code < 300) {
		if (out != NULL)
			*out = r;
		else
			cJSON_Delete(r);
		return 0;
	}
	msg = cJSON_GetStringValue(cJSON_GetObjectItem(r, "message"));
	switch (code) {
	case 404:
		ex = EXIT_NOTFOUND;
		break;
	case 409:
		ex = EXIT_CONFLICT;
		break;
	case 400:
	case 422:
		ex = EXIT_USAGE;
		break;
	default:
		ex = EXIT_ERR;
		break;
	}
	err_set(e, ex, "%s: %s", what, msg ? msg : "no reply");
	cJSON_Delete(r);
	return -1;
}

cJSON *
api_obj_get(const char *grp, const char *res, const char *ns,
    const char *name)
{
	char	*s = store_get(store, grp, res, ns ? ns : "", name);
	cJSON	*o;

	if (s == NULL)
		return NULL;
	o = cJSON_Parse(s);
	free(s);
	return o;
}

cJSON *
api_obj_write(const char *grp, const char *res, const char *ns,
    const cJSON *in, int status_only, struct err *e)
{
	struct call	 c;
	cJSON		*obj, *old, *out = NULL;
	const char	*name = md_str(in, "name"), *rv;
	char		*what;

	what = xasprintf("%s %s/%s", res, ns ? ns : "", name ? name : "");
	memset(&c, 0, sizeof c);
	c.q = &internal_q;
	c.fv = SBX_FV_STRICT;
	c.manager = xstrdup("maas-controller");
	if ((c.d = find_res(grp, res)) == NULL) {
		err_set(e, EXIT_NOTFOUND, "%s: the server does not serve %s%s%s",
		    what, res, *grp ? "." : "", grp);
		goto out;
	}
	if (name == NULL || *name == '\0') {
		err_set(e, EXIT_USAGE, "%s: the object has no metadata.name",
		    what);
		goto out;
	}
	c.ns = c.d->namespaced ? (char *)(ns ? ns : "") : NULL;
	c.name = (char *)name;
	old = load(c.d, c.ns, name);
	if (status_only) {
		if (!c.d->status_sub) {
			err_set(e, EXIT_USAGE, "%s: %s has no status "
			    "subresource", what, res);
			cJSON_Delete(old);
			goto out;
		}
		if (old == NULL) {
			err_set(e, EXIT_NOTFOUND, "%s: not found", what);
			goto out;
		}
		c.sub = "status";
	}
	c.verb = old ? "update" : "create";
	rv = md_str(in, "resourceVersion");
	if (old != NULL && rv != NULL && *rv != '\0' &&
	    strcmp(rv, md_str(old, "resourceVersion")) != 0) {
		conflict(c.q, c.d, name);
		cJSON_Delete(old);
		internal_result(what, NULL, e);
		goto out;
	}
	obj = cJSON_Duplicate(in, 1);
	if (old != NULL)
		obj = scope_write(&c, obj, old);
	cJSON_Delete(internal_reply);
	internal_reply = NULL;
	write_obj(&c, obj, old, 0);
	cJSON_Delete(old);
	internal_result(what, &out, e);
out:
	free(c.manager);
	sl_free(&c.warnings);
	free(what);
	return out;
}

int
api_obj_delete(const char *grp, const char *res, const char *ns,
    const char *name, struct err *e)
{
	struct call	 c;
	char		*what;
	int		 rc = -1;

	what = xasprintf("%s %s/%s", res, ns ? ns : "", name);
	memset(&c, 0, sizeof c);
	c.q = &internal_q;
	c.verb = "delete";
	if ((c.d = find_res(grp, res)) == NULL) {
		err_set(e, EXIT_NOTFOUND, "%s: the server does not serve %s%s%s",
		    what, res, *grp ? "." : "", grp);
		goto out;
	}
	c.ns = c.d->namespaced ? (char *)(ns ? ns : "") : NULL;
	c.name = (char *)name;
	cJSON_Delete(internal_reply);
	internal_reply = NULL;
	do_delete(&c);
	rc = internal_result(what, NULL, e);
out:
	sl_free(&c.warnings);
	free(what);
	return rc;
}

static void
do_review(struct call *c)
{
	cJSON		*obj = parse_body(c), *st, *ui, *gr, *rr, *r, *arr;
	const cJSON	*ra;
	const char	*verb;
	size_t		 i;
	int		 ok;

	if (obj == NULL)
		return;
	if (!cJSON_IsObject(obj)) {
		bad_request(c->q, "the request body must be a JSON object");
		cJSON_Delete(obj);
		return;
	}
	set_gvk(obj, c->d);
	st = cJSON_CreateObject();
	if (c->d->type == RT_SSAR) {
		ra = cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "spec"),
		    "resourceAttributes");
		if (ra == NULL)
			ra = cJSON_GetObjectItem(cJSON_GetObjectItem(obj,
			    "spec"), "nonResourceAttributes");
		verb = cJSON_GetStringValue(cJSON_GetObjectItem(ra, "verb"));
		ok = allowed(&c->q->id, verb ? verb : "");
		cJSON_AddBoolToObject(st, "allowed", ok);
		if (ok)
			cJSON_AddStringToObject(st, "reason", c->q->id.admin ?
			    "the sandbox admin may do anything" :
			    "sandbox users may read every resource");
	} else if (c->d->type == RT_SSRR) {
		rr = cJSON_AddArrayToObject(st, "resourceRules");
		r = cJSON_CreateObject();
		arr = cJSON_AddArrayToObject(r, "verbs");
		if (c->q->id.admin)
			cJSON_AddItemToArray(arr, cJSON_CreateString("*"));
		else {
			cJSON_AddItemToArray(arr, cJSON_CreateString("get"));
			cJSON_AddItemToArray(arr, cJSON_CreateString("list"));
			cJSON_AddItemToArray(arr, cJSON_CreateString("watch"));
		}
		arr = cJSON_AddArrayToObject(r, "apiGroups");
		cJSON_AddItemToArray(arr, cJSON_CreateString("*"));
		arr = cJSON_AddArrayToObject(r, "resources");
		cJSON_AddItemToArray(arr, cJSON_CreateString("*"));
		cJSON_AddItemToArray(rr, r);
		cJSON_AddArrayToObject(st, "nonResourceRules");
		cJSON_AddBoolToObject(st, "incomplete", 0);
	} else {
		ui = cJSON_AddObjectToObject(st, "userInfo");
		cJSON_AddStringToObject(ui, "username", c->q->id.user);
		gr = cJSON_AddArrayToObject(ui, "groups");
		for (i = 0; i < c->q->id.groups.n; i++)
			cJSON_AddItemToArray(gr, cJSON_CreateString(
			    c->q->id.groups.v[i]));
		if (!sl_has(&c->q->id.groups, "system:authenticated"))
			cJSON_AddItemToArray(gr, cJSON_CreateString(
			    "system:authenticated"));
	}
	set_item(obj, "status", st);
	api_reply_json(c->q, 201, obj);
}

static char *
default_manager(const struct sbx_req *q)
{
	const char	*ua = evhttp_find_header(
	    evhttp_request_get_input_headers(q->r), "User-Agent");
	size_t		 n;

	if (ua == NULL || *ua == '\0')
		return xstrdup("unknown");
	n = strcspn(ua, "/ ");
	return xstrndup(ua, n);
}

static void
resource_request(struct sbx_req *q, const char *group, const char *version,
    char **seg, int nseg)
{
	struct call	 c;
	char		*fm = NULL, *fv = NULL, *dr = NULL;
	const char	*m = q->method;
	int		 i = 0;

	memset(&c, 0, sizeof c);
	c.q = q;
	if (nseg >= 3 && strcmp(seg[0], "namespaces") == 0 &&
	    !(nseg == 3 && *group == '\0' && (strcmp(seg[2], "status") == 0 ||
	    strcmp(seg[2], "finalize") == 0))) {
		c.ns = seg[1];
		i = 2;
	}
	c.d = find_def(group, version, seg[i]);
	c.name = i + 1 < nseg ? seg[i + 1] : NULL;
	c.sub = i + 2 < nseg ? seg[i + 2] : NULL;
	if (c.d == NULL || i + 3 < nseg || (c.ns != NULL && !c.d->namespaced) ||
	    (c.sub != NULL && !(strcmp(c.sub, "status") == 0 &&
	    c.d->status_sub))) {
		api_status(q, 404, "NotFound", "the server could not find the "
		    "requested resource", cJSON_CreateObject());
		return;
	}
	if (c.d->namespaced && c.ns == NULL && c.name != NULL) {
		api_status(q, 404, "NotFound", "the server could not find the "
		    "requested resource", cJSON_CreateObject());
		return;
	}
	/* the verb */
	if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) {
		if (c.name != NULL)
			c.verb = "get";
		else {
			char *w = srv_query(q, "watch");
			c.verb = w && (strcmp(w, "true") == 0 ||
			    strcmp(w, "1") == 0) ? "watch" : "list";
			free(w);
		}
	} else if (strcmp(m, "POST") == 0 && c.name == NULL)
		c.verb = "create";
	else if (strcmp(m, "PUT") == 0 && c.name != NULL)
		c.verb = "update";
	else if (strcmp(m, "PATCH") == 0 && c.name != NULL)
		c.verb = "patch";
	else if (strcmp(m, "DELETE") == 0)
		c.verb = c.name ? "delete" : "deletecollection";
	if (c.verb == NULL || (c.d->type >= RT_SSAR &&
	    strcmp(c.verb, "create") != 0) || (c.d->type == RT_EMPTYLIST &&
	    !read_verb(c.verb)) || (c.d->type == RT_STORED &&
	    c.d->namespaced && c.ns == NULL && !read_verb(c.verb))) {
		char *msg = xasprintf("the server does not allow this method on "
		    "the requested resource");
		api_status(q, 405, "MethodNotAllowed", msg,
		    cJSON_CreateObject());
		free(msg);
		return;
	}
	if (c.d->type < RT_SSAR && !allowed(&q->id, c.verb)) {
		forbidden(q, c.d, c.verb, c.ns, c.name, c.sub);
		return;
	}
	dr = srv_query(q, "dryRun");
	c.dry = dr != NULL && strcmp(dr, "All") == 0;
	fm = srv_query(q, "fieldManager");
	c.manager = fm && *fm ? xstrdup(fm) : strcmp(c.verb, "patch") == 0 &&
	    strncmp(q->content_type, "application/apply-patch", 23) == 0 ?
	    NULL : default_manager(q);
	fv = srv_query(q, "fieldValidation");
	c.fv = fv == NULL ? SBX_FV_WARN : strcmp(fv, "Strict") == 0 ?
	    SBX_FV_STRICT : strcmp(fv, "Ignore") == 0 ? SBX_FV_IGNORE :
	    SBX_FV_WARN;
	if (fv != NULL && strcmp(fv, "Strict") != 0 &&
	    strcmp(fv, "Warn") != 0 && strcmp(fv, "Ignore") != 0) {
		char *msg = xasprintf("fieldValidation: Unsupported value: \"%s\""
		    ": supported values: \"Ignore\", \"Strict\", \"Warn\"", fv);
		bad_request(q, msg);
		free(msg);
		goto out;
	}
	if (dr != NULL && strcmp(dr, "All") != 0) {
		char *msg = xasprintf("dryRun: Unsupported value: \"%s\": "
		    "supported values: \"All\"", dr);
		bad_request(q, msg);
		free(msg);
		goto out;
	}
	if (c.d->type == RT_EMPTYLIST && strcmp(c.verb, "get") == 0) {
		not_found(q, c.d, c.name);
		goto out;
	}
	if (c.d->type >= RT_SSAR)
		do_review(&c);
	else if (strcmp(c.verb, "get") == 0)
		do_get(&c);
	else if (strcmp(c.verb, "list") == 0)
		do_list(&c);
	else if (strcmp(c.verb, "watch") == 0)
		do_watch(&c);
	else if (strcmp(c.verb, "create") == 0)
		do_create(&c);
	else if (strcmp(c.verb, "update") == 0)
		do_update(&c);
	else if (strcmp(c.verb, "patch") == 0)
		do_patch(&c);
	else if (strcmp(c.verb, "delete") == 0)
		do_delete(&c);
	else
		do_deletecollection(&c);
out:
	sl_free(&c.warnings);
	free(c.manager);
	free(fm);
	free(fv);
	free(dr);
}

/* ------------------------------------------------------------------ */
/* Entry points */

static void
version(struct sbx_req *q)
{
	static const char body[] =
	    "{\"major\":\"1\",\"minor\":\"32\",\"gitVersion\":\"v1.32.0-maas\","
	    "\"gitCommit\":\"0000000000000000000000000000000000000000\","
	    "\"gitTreeState\":\"clean\",\"buildDate\":\"2026-01-01T00:00:00Z\","
	    "\"goVersion\":\"go1.23.4\",\"compiler\":\"gc\","
	    "\"platform\":\"linux/amd64\"}";

	srv_reply(q, 200, "application/json", body, sizeof body - 1);
}

void
api_handle(struct sbx_req *q)
{
	char	*segv[16], *copy = NULL, *p, *tok, *save = NULL;
	int	 nseg = 0, public;

	public = strcmp(q->path, "/version") == 0 ||
	    strcmp(q->path, "/healthz") == 0 ||
	    strcmp(q->path, "/readyz") == 0 || strcmp(q->path, "/livez") == 0;
	if (authenticate(q, public) == -1)
		return;
	if (strcmp(q->path, "/version") == 0 ||
	    strcmp(q->path, "/version/") == 0) {
		version(q);
		return;
	}
	if (public) {
		srv_reply(q, 200, "text/plain; charset=utf-8", "ok", 2);
		return;
	}
	if (strncmp(q->path, "/openapi/", 9) == 0) {
		disc_openapi(q, q->path);
		return;
	}
	if (disc_handle(q, q->path))
		return;
	copy = xstrdup(q->path);
	for (p = copy; nseg < 16 && (tok = strtok_r(p, "/", &save)) != NULL;
	    p = NULL)
		segv[nseg++] = tok;
	if (nseg >= 3 && strcmp(segv[0], "api") == 0 &&
	    strcmp(segv[1], "v1") == 0)
		resource_request(q, "", "v1", segv + 2, nseg - 2);
	else if (nseg >= 4 && strcmp(segv[0], "apis") == 0)
		resource_request(q, segv[1], segv[2], segv + 3, nseg - 3);
	else
		api_status(q, 404, "NotFound", "the server could not find the "
		    "requested resource", cJSON_CreateObject());
	free(copy);
}

/* Write one seed object unless present. */
static int
seed_one(cJSON *obj, struct err *e)
{
	const char	*av = cJSON_GetStringValue(cJSON_GetObjectItem(obj,
	    "apiVersion"));
	const char	*kind = cJSON_GetStringValue(cJSON_GetObjectItem(obj,
	    "kind"));
	const char	*name = md_str(obj, "name"), *ns = md_str(obj,
	    "namespace");
	const char	*slash;
	char		*grp, *ver, *s, *uid, *ts;
	struct resdef	*d = NULL;
	size_t		 i, n;
	struct resdef *const *all;
	cJSON		*md;
	int		 rc = 0;

	if (av == NULL || kind == NULL || name == NULL)
		return err_set(e, EXIT_ERR, "sandbox seed object without "
		    "apiVersion, kind or name");
	slash = strchr(av, '/');
	grp = slash ? xstrndup(av, (size_t)(slash - av)) : xstrdup("");
	ver = xstrdup(slash ? slash + 1 : av);
	all = api_defs(&n);
	for (i = 0; i < n; i++)
		if (strcmp(all[i]->group, grp) == 0 &&
		    strcmp(all[i]->version, ver) == 0 &&
		    strcmp(all[i]->kind, kind) == 0)
			d = all[i];
	if (d == NULL) {
		rc = err_set(e, EXIT_ERR, "sandbox seed object %s/%s: no "
		    "resource serves kind %s in %s", kind, name, kind, av);
		goto out;
	}
	if ((s = store_get(store, d->group, d->plural, d->namespaced && ns ?
	    ns : "", name)) != NULL) {
		free(s);
		goto out;
	}
	md = md_of(obj);
	uid = new_uid();
	ts = now_rfc3339();
	set_str(md, "uid", uid);
	set_str(md, "creationTimestamp", ts);
	if (!d->builtin || strcmp(d->plural, CRD_RES) == 0)
		cJSON_AddNumberToObject(md, "generation", 1);
	free(uid);
	free(ts);
	{
		struct call c;
		memset(&c, 0, sizeof c);
		c.d = d;
		prepare(&c, obj, NULL);
	}
	if (store_begin(store, e) == -1 || put_obj(d->group, d->plural,
	    d->namespaced && ns ? ns : "", name, obj, "ADDED", e) == -1 ||
	    txn_commit(e) == -1) {
		txn_rollback();
		rc = -1;
	}
out:
	free(grp);
	free(ver);
	return rc;
}

static int
seed(struct err *e)
{
	static const char *const nss[] = { "default", "kube-system",
	    "kube-public", NULL };
	cJSON		*arr, *o;
	size_t		 i;
	int		 rc = 0;

	for (i = 0; nss[i] != NULL; i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "apiVersion", "v1");
		cJSON_AddStringToObject(o, "kind", "Namespace");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "metadata"),
		    "name", nss[i]);
		rc = seed_one(o, e);
		cJSON_Delete(o);
		if (rc == -1)
			return -1;
	}
	if (sbx_builtin_crds != NULL) {
		if ((arr = sbx_builtin_crds(e)) == NULL)
			return -1;
		cJSON_ArrayForEach(o, arr)
			if ((rc = seed_one(o, e)) == -1)
				break;
		cJSON_Delete(arr);
		if (rc == -1)
			return -1;
	}
	if (sbx_seed_objects != NULL) {
		if ((arr = sbx_seed_objects(e)) == NULL)
			return -1;
		cJSON_ArrayForEach(o, arr)
			if ((rc = seed_one(o, e)) == -1)
				break;
		cJSON_Delete(arr);
	}
	return rc;
}

int
api_init(const struct sbx_config *c, struct err *e)
{
	char		*path;
	const char	*w = getenv("MAASCTL_SANDBOX_WATCH_WINDOW");

	cfg = c;
	path = xasprintf("%s/%s", c->state_dir, SBX_DB_FILE);
	store = store_open(path, w ? strtol(w, NULL, 10) : 0, e);
	free(path);
	if (store == NULL)
		return -1;
	defs_dirty = 1;
	if (seed(e) == -1) {
		store_close(store);
		store = NULL;
		return -1;
	}
	return 0;
}
