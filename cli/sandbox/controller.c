/*
 * controller.c: the sandbox's reconcilers, standing in for maas-controller
 * and for the parts of KServe, the Gateway API controller and Kuadrant that
 * MaaS depends on (reference/MAAS-RESOURCES.md sections 3-10).
 *
 *  - LLMInferenceService (KServe): the HTTPRoute `<name>-kserve-route`
 *    on the LLMIS's gateway refs (path prefix /<ns>/<name>), then, after a
 *    start delay (annotation maas.sandbox/start-delay, default 0.2s; a
 *    libevent timer, never a sleep), Ready conditions, status.url and
 *    status.addresses (gateway-external, with the BBR alias
 *    publishers/<ns>/models/<spec.model.name>).  Annotation
 *    maas.sandbox/ready: "false" keeps or makes it not ready.
 *  - ExternalModel (either group): phase Ready (no probing, as MaaS) and
 *    the HTTPRoute `maas-<name>` for /<ns>/<name>.
 *  - MaaSModelRef: phase Pending/Ready/Unhealthy/Failed from the backend
 *    and governance (>= 1 MaaSAuthPolicy and >= 1 MaaSSubscription in a
 *    reconciled tenant namespace), status.endpoint only when Ready, route
 *    fields, resolvedModelAlias, conditions Ready, GovernanceAttached,
 *    RuntimeReady, ModelIdentityUnique (same alias in the namespace).
 *  - MaaSSubscription: modelRefStatuses, tokenRateLimitStatuses, phase
 *    Active/Degraded/Failed, conditions Ready and SpecPriorityDuplicate;
 *    one TokenRateLimitPolicy maas-trlp-<model> per model built from every
 *    subscription listing it (section 10.2), deleted when none does.
 *  - MaaSAuthPolicy: phase Active/Degraded/Failed/Pending, empty
 *    authPolicies (gateway-only mode), conditions Ready and
 *    ConflictingAuthPolicy; the fixed-size gateway AuthPolicy
 *    maas-gateway-auth (section 10.1); legacy maas-auth-<model> policies
 *    removed.
 *  - Kuadrant: TokenRateLimitPolicy and AuthPolicy get Accepted/Enforced
 *    conditions when their target exists.
 *  - Garbage collection of what the controllers own (ownerReferences on
 *    HTTPRoutes and TokenRateLimitPolicies).
 *
 * Driven by watches: an api_on_change() listener queues every change and
 * arms a short timer; the batch marks what is affected, reconciles it and
 * writes through api_obj_write() only what differs, so its own writes
 * settle in the next round without loops.  Status-only changes of the MaaS
 * CRs trigger nothing (controller-runtime's GenerationChangedPredicate), so
 * a hand-patched status stays until something else changes.
 *
 * Fidelity gaps (the real platform does more):
 *  - No finalizers or deletionTimestamp: deletes are immediate, cleanup
 *    follows from the DELETED event.
 *  - No pods, probes or replicas: readiness is the start delay.
 *  - Kuadrant status is Accepted/Enforced whenever the target exists; no
 *    wasm-shim/Limitador/Authorino state is modelled here (the sandbox
 *    gateway enforces from the same objects).
 *  - Tenants: only the default tenant (models-as-a-service) and
 *    namespaces labelled for tenant discovery are reconciled; AITenant
 *    gateways, per-tenant maas-api and telemetry objects are not made.
 *  - No Events (the ConflictingAuthPolicy Warning event is not emitted).
 *  - The ExternalModel HTTPRoute name maas-<name> follows the legacy
 *    reconciler's Service name; the real route name is not in the
 *    reference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "apiserver.h"
#include "clock.h"
#include "controller.h"
#include "duration.h"
#include "json.h"
#include "strmap.h"

#define G_MAAS		"maas.opendatahub.io"
#define G_KSERVE	"serving.kserve.io"
#define G_KUADRANT	"kuadrant.io"
#define G_GW		"gateway.networking.k8s.io"
#define G_INF		"inference.opendatahub.io"
#define R_LLMIS		"llminferenceservices"
#define R_MR		"maasmodelrefs"
#define R_SUB		"maassubscriptions"
#define R_AP		"maasauthpolicies"
#define R_EXT		"externalmodels"
#define R_ROUTE		"httproutes"
#define R_TRLP		"tokenratelimitpolicies"
#define R_AUTH		"authpolicies"
#define R_TENANTCFG	"maastenantconfigs"
#define TENANT_NS	"models-as-a-service"
#define GW_NS		"openshift-ingress"
#define GW_NAME		"maas-default-gateway"
#define GW_AUTH		"maas-gateway-auth"
#define ANN_DELAY	"maas.sandbox/start-delay"
#define ANN_READY	"maas.sandbox/ready"
#define ANN_MANAGED	"opendatahub.io/managed"
#define ANN_SUBS	"maas.opendatahub.io/subscriptions"
#define LBL_MODEL	"maas.opendatahub.io/model"
#define LBL_MODEL_NS	"maas.opendatahub.io/model-namespace"
#define LBL_MANAGED_BY	"app.kubernetes.io/managed-by"
#define LBL_PART_OF	"app.kubernetes.io/part-of"
#define DEFAULT_DELAY	0.2
#define BATCH_DELAY_US	5000		/* after a quiet spell */
#define BURST_DELAY_US	10000		/* while changes keep coming, */
#define BURST_SHARE	4		/* or this many times the last
					 * batch's cost, so that a bulk apply
					 * of thousands leaves the API most
					 * of the CPU */
#define BURST_MAX_US	500000
#define BURST_WINDOW	0.1		/* seconds since the last batch */
#define MAX_ROUNDS	8
#define MAX_WINDOW	(8784.0 * 3600.0)
#define PRIO_SHOWN	10

#define GET(o, k)	cJSON_GetObjectItemCaseSensitive((o), (k))

/* One queued change from the listener. */
struct change {
	char		*type;
	char		*grp, *res, *ns;
	cJSON		*obj;
};

/* What a MaaS CR looked like when last seen: its generation and the
 * models (ns/name) it listed, to know what a change affects. */
struct seen {				/* keyed grp/res/ns/name */
	double		 gen;
	long		 prio;
	struct strlist	 models;
};

/* A dirty set: keys in the order first added, indexed so that adding
 * one of thousands (a bulk apply) does not scan the others. */
struct dset {
	struct strlist	 l;
	struct strmap	 ix;
};

/* A pending LLMInferenceService start. */
struct starter {
	struct starter	*next;
	char		*ns, *name, *uid;
	double		 gen;
	struct event	*ev;
};

static struct {
	const struct sbx_config	*cfg;
	int			 gw_port;
	struct event		*batch;
	int			 in_batch;
	double			 last_batch;	/* when the last one ended */
	double			 last_cost;	/* how long it ran (s) */
	struct change		*q;
	size_t			 nq;
	struct strmap		 seen;		/* key -> struct seen * */
	struct starter		*starters;
	/* dirty sets */
	struct dset		 llmis, ext, models, subs, aps, backends;
	struct dset		 idns, prios, kuadrant, gc;
	int			 all, gwauth, aps_all;
	/* SpecPriorityDuplicate signatures: "ns\tprio" -> its names */
	struct strmap		 sigs;
	/* model "ns/name" -> what its subscriptions' statuses show of it */
	struct strmap		 msigs;
} ctl;

/* ------------------------------------------------------------------ */
/* Small helpers */

static void
set_add(struct strlist *sl, const char *s)
{
	size_t	 i;

	for (i = 0; i < sl->n; i++)
		if (strcmp(sl->v[i], s) == 0)
			return;
	sl_add(sl, s);
}

static int
set_has(const struct strlist *sl, const char *s)
{
	size_t	 i;

	for (i = 0; i < sl->n; i++)
		if (strcmp(sl->v[i], s) == 0)
			return 1;
	return 0;
}

static void
dset_add(struct dset *d, const char *s)
{
	if (strmap_put(&d->ix, s, NULL))
		sl_add(&d->l, s);
}

/* Move a set's keys out (so reconciling may dirty it again). */
static struct strlist
dset_take(struct dset *d)
{
	struct strlist	 out = d->l;

	memset(&d->l, 0, sizeof d->l);
	strmap_free(&d->ix);
	return out;
}

static void
dset_free(struct dset *d)
{
	sl_free(&d->l);
	strmap_free(&d->ix);
}

static const char *
md(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(GET(GET(o, "metadata"), k));
}

static const char *
ann(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(GET(GET(GET(o, "metadata"),
	    "annotations"), k));
}

static const char *
label(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(GET(GET(GET(o, "metadata"), "labels"),
	    k));
}

static double
generation(const cJSON *o)
{
	return json_num(o, "metadata.generation", 0);
}

static int
unmanaged(const cJSON *o)
{
	const char	*v = ann(o, ANN_MANAGED);

	return v != NULL && strcmp(v, "false") == 0;
}

static char *
now_rfc3339(void)
{
	char		 buf[32];
	time_t		 t = time(NULL);
	struct tm	 tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

static void
log_err(const char *what, struct err *e)
{
	srv_log("component=controller msg=\"%s failed\" error=\"%s\"", what,
	    e->msg ? e->msg : "unknown");
	err_clear(e);
}

/* The gateway's base URL as clients reach it (path-based routing). */
static char *
gw_base(void)
{
	return xasprintf("%s://127.0.0.1:%d", ctl.cfg->plain ? "http" :
	    "https", ctl.gw_port);
}

/* Schedule a batch: soon after a quiet spell, a little later during a
 * burst of changes (bulk applies), so that one batch absorbs many. */
static void
arm(void)
{
	struct timeval	 tv = { 0, BATCH_DELAY_US };
	double		 since;

	if (ctl.batch == NULL || ctl.in_batch ||
	    evtimer_pending(ctl.batch, NULL))
		return;
	since = clock_mono_s() - ctl.last_batch;
	if (since < BURST_WINDOW) {
		tv.tv_usec = (long)(BURST_SHARE * ctl.last_cost * 1e6);
		if (tv.tv_usec < BURST_DELAY_US)
			tv.tv_usec = BURST_DELAY_US;
		if (tv.tv_usec > BURST_MAX_US)
			tv.tv_usec = BURST_MAX_US;
	}
	evtimer_add(ctl.batch, &tv);
}

/* A condition as metav1.Condition; lastTransitionTime kept from old when
 * the status did not change. */
static cJSON *
cond(const cJSON *old_conds, const char *type, const char *status,
    const char *reason, const char *message, double gen)
{
	cJSON		*c = cJSON_CreateObject();
	const cJSON	*o;
	const char	*lt = NULL;
	char		*ts = NULL;

	cJSON_ArrayForEach(o, old_conds) {
		const char *t = cJSON_GetStringValue(GET(o, "type"));
		const char *s = cJSON_GetStringValue(GET(o, "status"));
		if (t != NULL && strcmp(t, type) == 0 && s != NULL &&
		    strcmp(s, status) == 0)
			lt = cJSON_GetStringValue(GET(o, "lastTransitionTime"));
	}
	if (lt == NULL)
		lt = ts = now_rfc3339();
	cJSON_AddStringToObject(c, "type", type);
	cJSON_AddStringToObject(c, "status", status);
	if (gen > 0)
		cJSON_AddNumberToObject(c, "observedGeneration", gen);
	cJSON_AddStringToObject(c, "lastTransitionTime", lt);
	cJSON_AddStringToObject(c, "reason", reason);
	cJSON_AddStringToObject(c, "message", message);
	free(ts);
	return c;
}

static int
cond_true(const cJSON *obj, const char *type)
{
	const cJSON	*c;

	cJSON_ArrayForEach(c, json_path(obj, "status.conditions")) {
		const char *t = cJSON_GetStringValue(GET(c, "type"));
		const char *s = cJSON_GetStringValue(GET(c, "status"));
		if (t != NULL && strcmp(t, type) == 0)
			return s != NULL && strcmp(s, "True") == 0;
	}
	return 0;
}

/*
 * Was the status last written by someone else (a hand patch, a test
 * fixture)?  Then the MaaS CR keeps it: fidelity gap, the real controller
 * would overwrite it on its next reconcile; here only a later write of
 * ours (after a spec change) takes it back.  Read from managedFields.
 */
static int
status_foreign(const char *grp, const cJSON *obj)
{
	const cJSON	*f;
	const char	*mine = NULL, *theirs = NULL, *m, *t, *sub;

	if (strcmp(grp, G_MAAS) != 0)
		return 0;
	cJSON_ArrayForEach(f, json_path(obj, "metadata.managedFields")) {
		sub = cJSON_GetStringValue(GET(f, "subresource"));
		m = cJSON_GetStringValue(GET(f, "manager"));
		t = cJSON_GetStringValue(GET(f, "time"));
		if (sub == NULL || strcmp(sub, "status") != 0 || m == NULL ||
		    t == NULL)
			continue;
		if (strcmp(m, "maas-controller") == 0) {
			if (mine == NULL || strcmp(t, mine) > 0)
				mine = t;
		} else if (theirs == NULL || strcmp(t, theirs) > 0)
			theirs = t;
	}
	return theirs != NULL && (mine == NULL || strcmp(theirs, mine) >= 0);
}

/* Write status st (consumed) onto obj unless it is already there. */
static void
put_status(const char *grp, const char *res, const cJSON *obj, cJSON *st)
{
	struct err	 e = ERR_INIT;
	cJSON		*w, *r;

	if (json_equal(GET(obj, "status"), st) || status_foreign(grp, obj)) {
		cJSON_Delete(st);
		return;
	}
	w = cJSON_Duplicate(obj, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(w, "status");
	cJSON_AddItemToObject(w, "status", st);
	cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItem(w,
	    "metadata"), "resourceVersion");
	if ((r = api_obj_write(grp, res, md(obj, "namespace"), w, 1,
	    &e)) == NULL)
		log_err("status update", &e);
	cJSON_Delete(r);
	cJSON_Delete(w);
}

/* Create or update a generated object: want carries the metadata and spec
 * the controller owns; labels and annotations are merged over the live
 * ones.  Returns the live object after the write (caller frees). */
static cJSON *
put_owned(const char *grp, const char *res, const char *ns, cJSON *want)
{
	struct err	 e = ERR_INIT;
	cJSON		*live, *w, *f, *m, *r = NULL;
	const char	*keys[] = { "labels", "annotations", NULL };
	size_t		 i;

	live = api_obj_get(grp, res, ns, md(want, "name"));
	if (live == NULL) {
		if ((r = api_obj_write(grp, res, ns, want, 0, &e)) == NULL)
			log_err("create", &e);
		return r;
	}
	w = cJSON_Duplicate(live, 1);
	m = cJSON_GetObjectItem(w, "metadata");
	for (i = 0; keys[i] != NULL; i++) {
		cJSON_ArrayForEach(f, GET(GET(want, "metadata"), keys[i])) {
			cJSON *dst = GET(m, keys[i]);
			if (!cJSON_IsObject(dst)) {
				cJSON_DeleteItemFromObjectCaseSensitive(m,
				    keys[i]);
				dst = cJSON_AddObjectToObject(m, keys[i]);
			}
			cJSON_DeleteItemFromObjectCaseSensitive(dst, f->string);
			cJSON_AddItemToObject(dst, f->string,
			    cJSON_Duplicate(f, 1));
		}
	}
	if ((f = GET(GET(want, "metadata"), "ownerReferences")) != NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(m, "ownerReferences");
		cJSON_AddItemToObject(m, "ownerReferences",
		    cJSON_Duplicate(f, 1));
	}
	cJSON_DeleteItemFromObjectCaseSensitive(w, "spec");
	cJSON_AddItemToObject(w, "spec", cJSON_Duplicate(GET(want, "spec"), 1));
	if (json_equal(w, live)) {
		cJSON_Delete(w);
		return live;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(m, "resourceVersion");
	if ((r = api_obj_write(grp, res, ns, w, 0, &e)) == NULL)
		log_err("update", &e);
	cJSON_Delete(w);
	cJSON_Delete(live);
	return r;
}

static void
del(const char *grp, const char *res, const char *ns, const char *name)
{
	struct err	 e = ERR_INIT;

	if (api_obj_delete(grp, res, ns, name, &e) == -1) {
		if (e.code == EXIT_NOTFOUND)
			err_clear(&e);
		else
			log_err("delete", &e);
	}
}

static cJSON *
meta(cJSON *o, const char *av, const char *kind, const char *ns,
    const char *name)
{
	cJSON	*m;

	cJSON_AddStringToObject(o, "apiVersion", av);
	cJSON_AddStringToObject(o, "kind", kind);
	m = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(m, "name", name);
	cJSON_AddStringToObject(m, "namespace", ns);
	return m;
}

static void
owner_ref(cJSON *m, const char *av, const char *kind, const cJSON *owner)
{
	cJSON	*refs = cJSON_AddArrayToObject(m, "ownerReferences");
	cJSON	*r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "apiVersion", av);
	cJSON_AddStringToObject(r, "kind", kind);
	cJSON_AddStringToObject(r, "name", md(owner, "name"));
	cJSON_AddStringToObject(r, "uid", md(owner, "uid"));
	cJSON_AddBoolToObject(r, "controller", 1);
	cJSON_AddBoolToObject(r, "blockOwnerDeletion", 1);
	cJSON_AddItemToArray(refs, r);
}

/* ------------------------------------------------------------------ */
/* What was seen of the MaaS CRs */

static struct seen *
seen_find(const char *key)
{
	return strmap_get(&ctl.seen, key);
}

static void
seen_free(void *p)
{
	struct seen	*s = p;

	sl_free(&s->models);
	free(s);
}

static void
seen_drop(const char *key)
{
	struct seen	*s = strmap_del(&ctl.seen, key);

	if (s != NULL)
		seen_free(s);
}

/* Forget every CR seen (start-up, shutdown). */
static void
seen_clear(void)
{
	strmap_clear(&ctl.seen, seen_free);
}

static void
models_of(const cJSON *obj, struct strlist *out)
{
	const cJSON	*r;
	char		*k;

	cJSON_ArrayForEach(r, json_path(obj, "spec.modelRefs")) {
		const char *n = cJSON_GetStringValue(GET(r, "name"));
		const char *ns = cJSON_GetStringValue(GET(r, "namespace"));
		if (n == NULL || ns == NULL)
			continue;
		k = xasprintf("%s/%s", ns, n);
		set_add(out, k);
		free(k);
	}
}

/* Record obj; returns 1 when its spec changed (or it is new). */
static int
seen_update(const char *key, const cJSON *obj, struct strlist *old_models,
    long *old_prio)
{
	struct seen	*s = seen_find(key);
	double		 g = generation(obj);

	if (s != NULL) {
		if (old_models != NULL)
			for (size_t i = 0; i < s->models.n; i++)
				set_add(old_models, s->models.v[i]);
		if (old_prio != NULL)
			*old_prio = s->prio;
		if (s->gen == g && g > 0)
			return 0;
		sl_free(&s->models);
	} else {
		s = xcalloc(1, sizeof *s);
		strmap_put(&ctl.seen, key, s);
	}
	s->gen = g;
	s->prio = (long)json_num(obj, "spec.priority", 0);
	models_of(obj, &s->models);
	return 1;
}

/* ------------------------------------------------------------------ */
/* Snapshot: the MaaS CRs, parsed once per round */

struct snap {
	cJSON		*subs, *aps, *mrs;	/* arrays of objects */
	/* "ns/name" -> its object in the arrays above */
	struct strmap	 subs_ix, aps_ix, mrs_ix;
	/* "ns\tpriority" -> struct strlist *, the names of the subscriptions
	 * with that priority in that namespace, sorted */
	struct strmap	 prio;
	/* model "ns/name" -> struct objv *, the subscriptions (auth
	 * policies) listing it, in snapshot order */
	struct strmap	 subs_by_model, aps_by_model;
	int		 built;
};

struct objv {
	const cJSON	**v;
	size_t		 n;
};
static struct snap	 snap;

/*
 * The MaaS CRs as last parsed, kept across rounds: a bulk apply of
 * thousands makes a round every few tens of milliseconds, and parsing
 * every object for each would cost time quadratic in their number.  An
 * object is parsed again only when its resourceVersion moved.  The
 * snapshot's arrays link these objects (unlinked again by snap_free).
 */
struct cached {
	long long	 rv;
	cJSON		*o;
	unsigned	 mark;		/* the last build that listed it */
};
static struct {
	struct strmap	 subs, aps, mrs;	/* "ns/name" -> struct cached */
	unsigned	 mark;
} cache;

struct fill {
	struct strmap	*cache;
	cJSON		**v;		/* listed objects, in store order */
	size_t		 n;
};

static int
fill_cb(void *arg, const char *ns, const char *name, long long rv,
    const char *json)
{
	struct fill	*f = arg;
	struct cached	*c;
	char		*k = xasprintf("%s/%s", ns, name);

	if ((c = strmap_get(f->cache, k)) == NULL) {
		c = xcalloc(1, sizeof *c);
		strmap_put(f->cache, k, c);
	}
	free(k);
	if (c->o == NULL || c->rv != rv) {
		cJSON_Delete(c->o);
		c->o = cJSON_Parse(json);
		c->rv = rv;
	}
	c->mark = cache.mark;
	if (c->o != NULL) {
		f->v = xrealloc(f->v, (f->n + 1) * sizeof *f->v);
		f->v[f->n++] = c->o;
	}
	return 0;
}

static void
cached_free(void *p)
{
	struct cached	*c = p;

	cJSON_Delete(c->o);
	free(c);
}

/* Forget what the last build did not list: deleted objects. */
static void
cache_sweep(struct strmap *m)
{
	struct strlist	 gone = { 0 };
	size_t		 i;

	for (i = 0; i < m->cap; i++)
		if (m->v[i].key != NULL &&
		    ((struct cached *)m->v[i].val)->mark != cache.mark)
			sl_add(&gone, m->v[i].key);
	for (i = 0; i < gone.n; i++)
		cached_free(strmap_del(m, gone.v[i]));
	sl_free(&gone);
}

static int tenant_ns(const char *);

/* A snapshot array of the objects of grp/res, in store order; tenant:
 * only those of reconciled tenant namespaces. */
static cJSON *
snap_list(const char *res, struct strmap *m, int tenant)
{
	struct fill	 f = { m, NULL, 0 };
	struct strlist	 yes = { 0 }, no = { 0 };
	cJSON		*out = cJSON_CreateArray();
	const char	*ns;
	size_t		 i;

	store_list_rv(api_store(), G_MAAS, res, NULL, fill_cb, &f);
	for (i = 0; i < f.n; i++) {
		ns = md(f.v[i], "namespace");
		if (tenant && (ns == NULL || set_has(&no, ns) ||
		    (!set_has(&yes, ns) && !tenant_ns(ns)))) {
			if (ns != NULL)
				set_add(&no, ns);
			continue;
		}
		if (tenant)
			set_add(&yes, ns);
		cJSON_AddItemToArray(out, f.v[i]);
	}
	free(f.v);
	sl_free(&yes);
	sl_free(&no);
	return out;
}

/* Free a snapshot array, leaving its objects to the cache. */
static void
snap_unlink(cJSON *arr)
{
	if (arr == NULL)
		return;
	while (arr->child != NULL)
		cJSON_DetachItemViaPointer(arr, arr->child);
	cJSON_Delete(arr);
}

/* Is ns a tenant namespace whose MaaS CRs the controllers reconcile? */
static int
tenant_ns(const char *ns)
{
	cJSON		*n;
	const char	*v;
	int		 ok;

	if (strcmp(ns, TENANT_NS) == 0)
		return 1;
	if ((n = api_obj_get("", "namespaces", "", ns)) == NULL)
		return 0;
	v = label(n, "maas.opendatahub.io/managed-by-aitenant");
	ok = (v != NULL && strcmp(v, "true") == 0) ||
	    label(n, "ai-gateway.opendatahub.io/tenant") != NULL;
	cJSON_Delete(n);
	return ok;
}

static void
strlist_free(void *p)
{
	sl_free(p);
	free(p);
}

static void
objv_free(void *p)
{
	struct objv	*ov = p;

	free(ov->v);
	free(ov);
}

static void
snap_free(void)
{
	snap_unlink(snap.subs);
	snap_unlink(snap.aps);
	snap_unlink(snap.mrs);
	strmap_free(&snap.subs_ix);
	strmap_free(&snap.aps_ix);
	strmap_free(&snap.mrs_ix);
	strmap_clear(&snap.prio, strlist_free);
	strmap_clear(&snap.subs_by_model, objv_free);
	strmap_clear(&snap.aps_by_model, objv_free);
	memset(&snap, 0, sizeof snap);
}

/* Index a snapshot array by "ns/name" (the first of a key wins). */
static void
snap_index(cJSON *arr, struct strmap *ix)
{
	cJSON		*o;
	const char	*ns, *name;
	char		*k;

	cJSON_ArrayForEach(o, arr) {
		ns = md(o, "namespace");
		if ((name = md(o, "name")) == NULL)
			continue;
		k = xasprintf("%s/%s", ns ? ns : "", name);
		if (!strmap_has(ix, k))
			strmap_put(ix, k, o);
		free(k);
	}
}

static char *
prio_key(const char *ns, long prio)
{
	return xasprintf("%s\t%ld", ns, prio);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Group the subscriptions by namespace and priority. */
static void
snap_prio_groups(void)
{
	const cJSON	*o;
	struct strlist	*g;
	char		*k;
	size_t		 i;

	cJSON_ArrayForEach(o, snap.subs) {
		k = prio_key(md(o, "namespace"),
		    (long)json_num(o, "spec.priority", 0));
		if ((g = strmap_get(&snap.prio, k)) == NULL) {
			g = xcalloc(1, sizeof *g);
			strmap_put(&snap.prio, k, g);
		}
		sl_add(g, md(o, "name"));
		free(k);
	}
	for (i = 0; i < snap.prio.cap; i++)
		if ((g = snap.prio.v[i].val) != NULL && g->n > 1)
			qsort(g->v, g->n, sizeof *g->v, cmp_str);
}

/* Index the CRs of arr by the models ("ns/name") they list. */
static void
snap_by_model(cJSON *arr, struct strmap *ix)
{
	const cJSON	*o, *r;
	struct objv	*ov;
	char		*k;

	cJSON_ArrayForEach(o, arr) {
		cJSON_ArrayForEach(r, json_path(o, "spec.modelRefs")) {
			const char *n = cJSON_GetStringValue(GET(r, "name"));
			const char *s = cJSON_GetStringValue(GET(r,
			    "namespace"));
			if (n == NULL || s == NULL)
				continue;
			k = xasprintf("%s/%s", s, n);
			if ((ov = strmap_get(ix, k)) == NULL) {
				ov = xcalloc(1, sizeof *ov);
				strmap_put(ix, k, ov);
			}
			free(k);
			if (ov->n > 0 && ov->v[ov->n - 1] == o)
				continue;	/* listed twice */
			ov->v = xrealloc(ov->v, (ov->n + 1) * sizeof *ov->v);
			ov->v[ov->n++] = o;
		}
	}
}

/* The CRs listing model "ns/name" (an empty list when none do). */
static struct objv
listing(const struct strmap *ix, const char *model)
{
	const struct objv	*ov = strmap_get(ix, model);
	struct objv		 none = { NULL, 0 };

	return ov != NULL ? *ov : none;
}

/* The names sharing priority "ns\tprio" (sorted), or NULL. */
static const struct strlist *
prio_group(const char *key)
{
	return strmap_get(&snap.prio, key);
}

static const cJSON *
snap_find(const struct strmap *ix, const char *key)
{
	return strmap_get(ix, key);
}

static void
snap_build(void)
{
	if (snap.built)
		return;
	cache.mark++;
	snap.subs = snap_list(R_SUB, &cache.subs, 1);
	snap.aps = snap_list(R_AP, &cache.aps, 1);
	snap.mrs = snap_list(R_MR, &cache.mrs, 0);
	cache_sweep(&cache.subs);
	cache_sweep(&cache.aps);
	cache_sweep(&cache.mrs);
	snap_index(snap.subs, &snap.subs_ix);
	snap_index(snap.aps, &snap.aps_ix);
	snap_index(snap.mrs, &snap.mrs_ix);
	snap_prio_groups();
	snap_by_model(snap.subs, &snap.subs_by_model);
	snap_by_model(snap.aps, &snap.aps_by_model);
	snap.built = 1;
}

static const cJSON *
snap_mr(const char *ns, const char *name)
{
	char		*k = xasprintf("%s/%s", ns, name);
	const cJSON	*o = snap_find(&snap.mrs_ix, k);

	free(k);
	return o;
}

/* ------------------------------------------------------------------ */
/* Backends: LLMInferenceService and ExternalModel */

/* A model's backend as MaaS discovers it. */
struct backend {
	int	 exists;	/* the backend object exists */
	int	 ready;		/* runtime ready */
	int	 failed;	/* cannot be served through MaaS */
	char	*why;		/* message when not ready / failed */
	char	*endpoint;	/* discovered URL */
	char	*alias;		/* resolved model alias */
	char	*route;		/* HTTPRoute name (namespace = model's) */
	int	 route_exists;
	cJSON	*hostnames;	/* the route's spec.hostnames */
};

static void
backend_free(struct backend *b)
{
	free(b->why);
	free(b->endpoint);
	free(b->alias);
	free(b->route);
	cJSON_Delete(b->hostnames);
	memset(b, 0, sizeof *b);
}

static int
on_maas_gateway(const cJSON *llmis)
{
	const cJSON	*r;

	cJSON_ArrayForEach(r, json_path(llmis, "spec.router.gateway.refs")) {
		const char *n = cJSON_GetStringValue(GET(r, "name"));
		const char *s = cJSON_GetStringValue(GET(r, "namespace"));
		if (n != NULL && strcmp(n, GW_NAME) == 0 && s != NULL &&
		    strcmp(s, GW_NS) == 0)
			return 1;
	}
	return 0;
}

/* The ExternalModel: the canonical group first, then the legacy one. */
static cJSON *
get_external(const char *ns, const char *name, int *canonical)
{
	cJSON	*o;

	if ((o = api_obj_get(G_INF, R_EXT, ns, name)) != NULL) {
		*canonical = 1;
		return o;
	}
	*canonical = 0;
	return api_obj_get(G_MAAS, R_EXT, ns, name);
}

static void
route_of(struct backend *b, const char *ns)
{
	cJSON	*r = api_obj_get(G_GW, R_ROUTE, ns, b->route);

	if (r == NULL)
		return;
	b->route_exists = 1;
	b->hostnames = cJSON_Duplicate(json_path(r, "spec.hostnames"), 1);
	cJSON_Delete(r);
}

static void
backend_resolve(const cJSON *mr, struct backend *b)
{
	const char	*ns = md(mr, "namespace");
	const char	*kind = json_str(mr, "spec.modelRef.kind");
	const char	*name = json_str(mr, "spec.modelRef.name");
	const cJSON	*a;
	cJSON		*o;
	int		 canonical;

	memset(b, 0, sizeof *b);
	if (kind == NULL || name == NULL) {
		b->failed = 1;
		b->why = xstrdup("spec.modelRef needs kind and name");
		return;
	}
	if (strcmp(kind, "LLMInferenceService") == 0) {
		b->route = xasprintf("%s-kserve-route", name);
		if ((o = api_obj_get(G_KSERVE, R_LLMIS, ns, name)) == NULL) {
			b->why = xasprintf("LLMInferenceService %s/%s not "
			    "found", ns, name);
			return;
		}
		b->exists = 1;
		if (!on_maas_gateway(o)) {
			b->failed = 1;
			b->why = xasprintf("LLMInferenceService %s/%s is not "
			    "attached to gateway %s/%s (spec.router.gateway."
			    "refs)", ns, name, GW_NS, GW_NAME);
			cJSON_Delete(o);
			return;
		}
		route_of(b, ns);
		b->ready = cond_true(o, "Ready");
		if (!b->ready)
			b->why = xasprintf("LLMInferenceService %s/%s is not "
			    "ready", ns, name);
		cJSON_ArrayForEach(a, json_path(o, "status.addresses")) {
			const char *an = cJSON_GetStringValue(GET(a, "name"));
			const char *u = cJSON_GetStringValue(GET(a, "url"));
			const char *m = json_str(a, "models.0.name");
			if (an == NULL || u == NULL)
				continue;
			if (strcmp(an, "gateway-external-model-routing") == 0 ||
			    (strcmp(an, "gateway-external") == 0 &&
			    b->endpoint == NULL)) {
				free(b->endpoint);
				b->endpoint = xstrdup(u);
			}
			if (m != NULL && b->alias == NULL)
				b->alias = xstrdup(m);
		}
		if (b->endpoint == NULL && json_str(o, "status.url") != NULL)
			b->endpoint = xstrdup(json_str(o, "status.url"));
		cJSON_Delete(o);
	} else if (strcmp(kind, "ExternalModel") == 0) {
		char *base;
		b->route = xasprintf("maas-%s", name);
		if ((o = get_external(ns, name, &canonical)) == NULL) {
			b->why = xasprintf("ExternalModel %s/%s not found", ns,
			    name);
			return;
		}
		b->exists = 1;
		b->ready = 1;
		route_of(b, ns);
		base = gw_base();
		b->endpoint = xasprintf("%s/%s/%s", base, ns, name);
		free(base);
		if (canonical)
			a = json_path(o, "spec.externalProviderRefs.0.targetModel");
		else
			a = json_path(o, "spec.targetModel");
		if (cJSON_GetStringValue(a) != NULL)
			b->alias = xstrdup(cJSON_GetStringValue(a));
		cJSON_Delete(o);
	} else {
		b->failed = 1;
		b->why = xasprintf("unsupported spec.modelRef.kind %s", kind);
	}
}

/* The HTTPRoute KServe (or the ExternalModel reconciler) makes. */
static void
route_ensure(const cJSON *owner, const char *owner_av,
    const char *owner_kind, const char *route, const cJSON *parents,
    const char *app)
{
	cJSON		*want = cJSON_CreateObject(), *m, *l, *spec, *rules;
	cJSON		*rule, *match, *p, *br, *pr, *f;
	const cJSON	*ref;
	const char	*ns = md(owner, "namespace"), *name = md(owner, "name");
	char		*prefix;

	m = meta(want, G_GW "/v1", "HTTPRoute", ns, route);
	l = cJSON_AddObjectToObject(m, "labels");
	cJSON_AddStringToObject(l, "app.kubernetes.io/name", name);
	cJSON_AddStringToObject(l, "app.kubernetes.io/component", app);
	cJSON_AddStringToObject(l, LBL_PART_OF, strcmp(owner_kind,
	    "LLMInferenceService") == 0 ? "llminferenceservice" : "maas");
	owner_ref(m, owner_av, owner_kind, owner);
	spec = cJSON_AddObjectToObject(want, "spec");
	pr = cJSON_AddArrayToObject(spec, "parentRefs");
	cJSON_ArrayForEach(ref, parents) {
		const char *n = cJSON_GetStringValue(GET(ref, "name"));
		const char *s = cJSON_GetStringValue(GET(ref, "namespace"));
		if (n == NULL)
			continue;
		p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "group", G_GW);
		cJSON_AddStringToObject(p, "kind", "Gateway");
		cJSON_AddStringToObject(p, "name", n);
		cJSON_AddStringToObject(p, "namespace", s ? s : ns);
		cJSON_AddItemToArray(pr, p);
	}
	rules = cJSON_AddArrayToObject(spec, "rules");
	rule = cJSON_CreateObject();
	cJSON_AddItemToArray(rules, rule);
	match = cJSON_CreateObject();
	p = cJSON_AddObjectToObject(match, "path");
	cJSON_AddStringToObject(p, "type", "PathPrefix");
	prefix = xasprintf("/%s/%s", ns, name);
	cJSON_AddStringToObject(p, "value", prefix);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(rule, "matches"), match);
	f = cJSON_CreateObject();
	cJSON_AddStringToObject(f, "type", "URLRewrite");
	p = cJSON_AddObjectToObject(cJSON_AddObjectToObject(f, "urlRewrite"),
	    "path");
	cJSON_AddStringToObject(p, "type", "ReplacePrefixMatch");
	cJSON_AddStringToObject(p, "replacePrefixMatch", "/");
	cJSON_AddItemToArray(cJSON_AddArrayToObject(rule, "filters"), f);
	br = cJSON_CreateObject();
	cJSON_AddStringToObject(br, "group", "");
	cJSON_AddStringToObject(br, "kind", "Service");
	if (strcmp(owner_kind, "LLMInferenceService") == 0) {
		char *svc = xasprintf("%s-kserve-workload-svc", name);
		cJSON_AddStringToObject(br, "name", svc);
		cJSON_AddNumberToObject(br, "port", 8000);
		free(svc);
	} else {
		char *svc = xasprintf("maas-%s", name);
		cJSON_AddStringToObject(br, "name", svc);
		cJSON_AddNumberToObject(br, "port", 443);
		free(svc);
	}
	cJSON_AddNumberToObject(br, "weight", 1);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(rule, "backendRefs"), br);
	free(prefix);
	cJSON_Delete(put_owned(G_GW, R_ROUTE, ns, want));
	cJSON_Delete(want);
}

/* Gateway API controller: an HTTPRoute's parents accept it when the
 * Gateway exists. */
static void
route_status(const char *ns, const char *name)
{
	cJSON		*r = api_obj_get(G_GW, R_ROUTE, ns, name), *st, *ps;
	cJSON		*one, *gw, *conds;
	const cJSON	*p, *oldp;
	double		 gen;

	if (r == NULL)
		return;
	gen = generation(r);
	st = cJSON_CreateObject();
	ps = cJSON_AddArrayToObject(st, "parents");
	cJSON_ArrayForEach(p, json_path(r, "spec.parentRefs")) {
		const char *gn = cJSON_GetStringValue(GET(p, "name"));
		const char *gs = cJSON_GetStringValue(GET(p, "namespace"));
		if (gn == NULL)
			continue;
		gw = api_obj_get(G_GW, "gateways", gs ? gs : ns, gn);
		oldp = NULL;
		cJSON_ArrayForEach(oldp, json_path(r, "status.parents"))
			if (json_equal(GET(oldp, "parentRef"), p))
				break;
		one = cJSON_CreateObject();
		cJSON_AddItemToObject(one, "parentRef", cJSON_Duplicate(p, 1));
		cJSON_AddStringToObject(one, "controllerName",
		    "openshift.io/gateway-controller/v1");
		conds = cJSON_AddArrayToObject(one, "conditions");
		if (gw != NULL) {
			cJSON_AddItemToArray(conds, cond(GET(oldp,
			    "conditions"), "Accepted", "True", "Accepted",
			    "Route was valid", gen));
			cJSON_AddItemToArray(conds, cond(GET(oldp,
			    "conditions"), "ResolvedRefs", "True",
			    "ResolvedRefs", "All references resolved", gen));
		} else
			cJSON_AddItemToArray(conds, cond(GET(oldp,
			    "conditions"), "Accepted", "False",
			    "NoMatchingParent", "the parent Gateway does not "
			    "exist", gen));
		cJSON_Delete(gw);
		cJSON_AddItemToArray(ps, one);
	}
	put_status(G_GW, R_ROUTE, r, st);
	cJSON_Delete(r);
}

static double
start_delay(const cJSON *o)
{
	const char	*v = ann(o, ANN_DELAY);
	struct err	 e = ERR_INIT;
	double		 secs;

	if (v == NULL)
		return DEFAULT_DELAY;
	if (duration_parse(v, &secs, &e) == -1 || secs < 0) {
		srv_log("component=controller msg=\"ignoring annotation %s\" "
		    "value=\"%s\"", ANN_DELAY, v);
		err_clear(&e);
		return DEFAULT_DELAY;
	}
	return secs;
}

static struct starter *
starter_find(const char *ns, const char *name)
{
	struct starter	*s;

	for (s = ctl.starters; s != NULL; s = s->next)
		if (strcmp(s->ns, ns) == 0 && strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static void
starter_free(struct starter *s)
{
	struct starter	**pp;

	for (pp = &ctl.starters; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	if (s->ev != NULL)
		event_free(s->ev);
	free(s->ns);
	free(s->name);
	free(s->uid);
	free(s);
}

/* KServe's LLMInferenceService status (ready or not). */
static cJSON *
llmis_status(const cJSON *o, int ready, const char *reason,
    const char *message)
{
	const cJSON	*oc = json_path(o, "status.conditions");
	const char	*ns = md(o, "namespace"), *name = md(o, "name");
	const char	*mname = json_str(o, "spec.model.name");
	double		 gen = generation(o);
	cJSON		*st = cJSON_CreateObject(), *conds, *addrs, *a, *m;
	const char	*s = ready ? "True" : "False";
	char		*base, *url, *alias;
	static const char *const types[] = { "HTTPRoutesReady",
	    "InferencePoolReady", "MainWorkloadReady", "PresetsCombined",
	    "RouterReady", "WorkloadsReady", NULL };
	size_t		 i;

	cJSON_AddNumberToObject(st, "observedGeneration", gen);
	conds = cJSON_AddArrayToObject(st, "conditions");
	for (i = 0; types[i] != NULL; i++) {
		int ok = ready || strcmp(types[i], "PresetsCombined") == 0 ||
		    strcmp(types[i], "HTTPRoutesReady") == 0;
		cJSON_AddItemToArray(conds, cond(oc, types[i], ok ? "True" :
		    "False", ok ? types[i] : reason, ok ? "" : message, 0));
	}
	cJSON_AddItemToArray(conds, cond(oc, "Ready", s, ready ? "Ready" :
	    reason, ready ? "" : message, 0));
	if (!ready)
		return st;
	base = gw_base();
	url = xasprintf("%s/%s/%s", base, ns, name);
	cJSON_AddStringToObject(st, "url", url);
	addrs = cJSON_AddArrayToObject(st, "addresses");
	a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "name", "gateway-external");
	cJSON_AddStringToObject(a, "url", url);
	if (mname != NULL) {
		alias = xasprintf("publishers/%s/models/%s", ns, mname);
		m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "name", alias);
		cJSON_AddItemToArray(cJSON_AddArrayToObject(a, "models"), m);
		free(alias);
	}
	cJSON_AddItemToArray(addrs, a);
	free(url);
	free(base);
	return st;
}

static void
llmis_started(evutil_socket_t fd, short what, void *arg)
{
	struct starter	*s = arg;
	cJSON		*o;
	const char	*uid;

	(void)fd;
	(void)what;
	o = api_obj_get(G_KSERVE, R_LLMIS, s->ns, s->name);
	uid = o ? md(o, "uid") : NULL;
	if (o != NULL && uid != NULL && strcmp(uid, s->uid) == 0 &&
	    generation(o) == s->gen) {
		put_status(G_KSERVE, R_LLMIS, o, llmis_status(o, 1, NULL,
		    NULL));
		srv_log("component=controller msg=\"LLMInferenceService "
		    "ready\" namespace=%s name=%s", s->ns, s->name);
	}
	cJSON_Delete(o);
	starter_free(s);
	arm();
}

static void
llmis_reconcile(const char *key)
{
	const char	*slash = strchr(key, '/');
	char		*ns = xstrndup(key, (size_t)(slash - key));
	const char	*name = slash + 1;
	cJSON		*o = api_obj_get(G_KSERVE, R_LLMIS, ns, name);
	struct starter	*s = starter_find(ns, name);
	const char	*rv;
	int		 want, is_ready;
	double		 gen, delay;
	char		*route, *msg;
	struct timeval	 tv;

	if (o == NULL) {
		if (s != NULL)
			starter_free(s);
		goto out;
	}
	gen = generation(o);
	route = xasprintf("%s-kserve-route", name);
	if (json_path(o, "spec.router.gateway.refs") != NULL ||
	    json_path(o, "spec.router.route") != NULL) {
		route_ensure(o, G_KSERVE "/v1alpha1", "LLMInferenceService",
		    route, json_path(o, "spec.router.gateway.refs"),
		    "llminferenceservice-router");
		route_status(ns, route);
	} else
		del(G_GW, R_ROUTE, ns, route);
	free(route);
	rv = ann(o, ANN_READY);
	want = !(rv != NULL && strcmp(rv, "false") == 0);
	is_ready = cond_true(o, "Ready") &&
	    json_num(o, "status.observedGeneration", -1) == gen;
	if (!want) {
		if (s != NULL)
			starter_free(s);
		put_status(G_KSERVE, R_LLMIS, o, llmis_status(o, 0,
		    "MinimumReplicasUnavailable", "the sandbox keeps this "
		    "model stopped (annotation " ANN_READY ": \"false\")"));
		goto out;
	}
	if (is_ready) {
		/* the gateway port may differ after a restart */
		put_status(G_KSERVE, R_LLMIS, o, llmis_status(o, 1, NULL,
		    NULL));
		goto out;
	}
	if (s != NULL && s->gen == gen && strcmp(s->uid, md(o, "uid")) == 0)
		goto out;
	if (s != NULL)
		starter_free(s);
	delay = start_delay(o);
	msg = xasprintf("the workload is starting (sandbox start delay %gs)",
	    delay);
	put_status(G_KSERVE, R_LLMIS, o, llmis_status(o, 0, "Deploying",
	    msg));
	free(msg);
	s = xcalloc(1, sizeof *s);
	s->ns = xstrdup(ns);
	s->name = xstrdup(name);
	s->uid = xstrdup(md(o, "uid"));
	s->gen = gen;
	s->ev = evtimer_new(srv_base(), llmis_started, s);
	s->next = ctl.starters;
	ctl.starters = s;
	tv.tv_sec = (time_t)delay;
	tv.tv_usec = (suseconds_t)((delay - (double)tv.tv_sec) * 1e6);
	evtimer_add(s->ev, &tv);
out:
	cJSON_Delete(o);
	free(ns);
}

static void
ext_reconcile(const char *key)
{
	/* key: grp/ns/name */
	char		*grp, *ns, *name, *route;
	const char	*p = strchr(key, '/'), *q;
	cJSON		*o, *st, *conds, *parents, *pr;

	q = strchr(p + 1, '/');
	grp = xstrndup(key, (size_t)(p - key));
	ns = xstrndup(p + 1, (size_t)(q - p - 1));
	name = xstrdup(q + 1);
	route = xasprintf("maas-%s", name);
	if ((o = api_obj_get(grp, R_EXT, ns, name)) == NULL)
		goto out;
	parents = cJSON_CreateArray();
	pr = cJSON_CreateObject();
	cJSON_AddStringToObject(pr, "name", GW_NAME);
	cJSON_AddStringToObject(pr, "namespace", GW_NS);
	cJSON_AddItemToArray(parents, pr);
	route_ensure(o, strcmp(grp, G_INF) == 0 ? G_INF "/v1alpha1" :
	    G_MAAS "/v1alpha1", "ExternalModel", route, parents,
	    "external-model-route");
	cJSON_Delete(parents);
	route_status(ns, route);
	st = cJSON_CreateObject();
	cJSON_AddStringToObject(st, "phase", "Ready");
	if (strcmp(grp, G_INF) == 0)
		cJSON_AddStringToObject(st, "httpRouteName", route);
	conds = cJSON_AddArrayToObject(st, "conditions");
	cJSON_AddItemToArray(conds, cond(json_path(o, "status.conditions"),
	    "Ready", "True", "Reconciled", "the route to the provider is "
	    "configured", generation(o)));
	put_status(grp, R_EXT, o, st);
	cJSON_Delete(o);
out:
	free(route);
	free(grp);
	free(ns);
	free(name);
}

/* ------------------------------------------------------------------ */
/* Kuadrant: policy status */

static void
kuadrant_status(const char *res, const char *ns, const char *name)
{
	cJSON		*p = api_obj_get(G_KUADRANT, res, ns, name), *st, *conds;
	cJSON		*t = NULL;
	const char	*tk, *tn, *kind;
	const cJSON	*oc;
	double		 gen;
	char		*msg;

	if (p == NULL)
		return;
	kind = strcmp(res, R_TRLP) == 0 ? "TokenRateLimitPolicy" :
	    "AuthPolicy";
	tk = json_str(p, "spec.targetRef.kind");
	tn = json_str(p, "spec.targetRef.name");
	if (tk != NULL && tn != NULL && strcmp(tk, "Gateway") == 0)
		t = api_obj_get(G_GW, "gateways", ns, tn);
	else if (tk != NULL && tn != NULL && strcmp(tk, "HTTPRoute") == 0)
		t = api_obj_get(G_GW, R_ROUTE, ns, tn);
	gen = generation(p);
	oc = json_path(p, "status.conditions");
	st = cJSON_CreateObject();
	cJSON_AddNumberToObject(st, "observedGeneration", gen);
	conds = cJSON_AddArrayToObject(st, "conditions");
	if (t != NULL) {
		msg = xasprintf("%s has been accepted", kind);
		cJSON_AddItemToArray(conds, cond(oc, "Accepted", "True",
		    "Accepted", msg, 0));
		free(msg);
		msg = xasprintf("%s has been successfully enforced", kind);
		cJSON_AddItemToArray(conds, cond(oc, "Enforced", "True",
		    "Enforced", msg, 0));
		free(msg);
	} else {
		msg = xasprintf("%s target %s was not found", kind,
		    tn ? tn : "");
		cJSON_AddItemToArray(conds, cond(oc, "Accepted", "False",
		    "TargetNotFound", msg, 0));
		free(msg);
	}
	cJSON_Delete(t);
	put_status(G_KUADRANT, res, p, st);
	cJSON_Delete(p);
}

static int
kq_cb(void *arg, const char *ns, const char *name, const char *json)
{
	char	*k = xasprintf("%s\t%s\t%s", (const char *)arg, ns, name);

	(void)json;
	dset_add(&ctl.kuadrant, k);
	free(k);
	return 0;
}

/* Re-check every policy of a namespace (a route or gateway changed). */
static void
kuadrant_ns(const char *ns)
{
	store_list(api_store(), G_KUADRANT, R_TRLP, ns, NULL, kq_cb,
	    (void *)R_TRLP);
	store_list(api_store(), G_KUADRANT, R_AUTH, ns, NULL, kq_cb,
	    (void *)R_AUTH);
}

/* The fixed-size gateway AuthPolicy (section 10.1). */
static void
gwauth_ensure(void)
{
	cJSON	*live = api_obj_get(G_KUADRANT, R_AUTH, GW_NS, GW_AUTH);
	cJSON	*want, *m, *l, *spec, *t, *d, *rules, *x, *y, *z;

	if (live != NULL && unmanaged(live)) {
		cJSON_Delete(live);
		return;
	}
	cJSON_Delete(live);
	want = cJSON_CreateObject();
	m = meta(want, G_KUADRANT "/v1", "AuthPolicy", GW_NS, GW_AUTH);
	l = cJSON_AddObjectToObject(m, "labels");
	cJSON_AddStringToObject(l, LBL_MANAGED_BY, "maas-controller");
	cJSON_AddStringToObject(l, LBL_PART_OF, "maas-auth-policy");
	spec = cJSON_AddObjectToObject(want, "spec");
	t = cJSON_AddObjectToObject(spec, "targetRef");
	cJSON_AddStringToObject(t, "group", G_GW);
	cJSON_AddStringToObject(t, "kind", "Gateway");
	cJSON_AddStringToObject(t, "name", GW_NAME);
	d = cJSON_AddObjectToObject(spec, "defaults");
	x = cJSON_CreateObject();
	cJSON_AddStringToObject(x, "predicate", "!(request.method == \"GET\" "
	    "&& request.path == \"/maas-api/health\")");
	cJSON_AddItemToArray(cJSON_AddArrayToObject(d, "when"), x);
	rules = cJSON_AddObjectToObject(d, "rules");
	x = cJSON_AddObjectToObject(rules, "authentication");
	y = cJSON_AddObjectToObject(x, "api-keys");
	cJSON_AddNumberToObject(y, "priority", 0);
	z = cJSON_CreateObject();
	cJSON_AddStringToObject(z, "predicate", "request.headers."
	    "authorization.startsWith(\"Bearer sk-oai-\")");
	cJSON_AddItemToArray(cJSON_AddArrayToObject(y, "when"), z);
	cJSON_AddObjectToObject(y, "plain");
	y = cJSON_AddObjectToObject(x, "openshift-identities");
	cJSON_AddNumberToObject(y, "priority", 2);
	cJSON_AddObjectToObject(y, "kubernetesTokenReview");
	x = cJSON_AddObjectToObject(rules, "metadata");
	y = cJSON_AddObjectToObject(x, "apiKeyValidation");
	z = cJSON_AddObjectToObject(y, "http");
	cJSON_AddStringToObject(z, "url", "https://maas-api.odh-ai-gateway-"
	    "infra.svc.cluster.local:8443/internal/v1/api-keys/validate");
	cJSON_AddStringToObject(z, "method", "POST");
	y = cJSON_AddObjectToObject(x, "subscription-info");
	z = cJSON_AddObjectToObject(y, "http");
	cJSON_AddStringToObject(z, "url", "https://maas-api.odh-ai-gateway-"
	    "infra.svc.cluster.local:8443/internal/v1/subscriptions/select");
	cJSON_AddStringToObject(z, "method", "POST");
	x = cJSON_AddObjectToObject(rules, "authorization");
	cJSON_AddObjectToObject(x, "deny-client-identity-headers");
	cJSON_AddObjectToObject(x, "auth-valid");
	cJSON_AddObjectToObject(x, "subscription-valid");
	cJSON_AddObjectToObject(x, "require-group-membership");
	x = cJSON_AddObjectToObject(rules, "response");
	y = cJSON_AddObjectToObject(x, "unauthenticated");
	cJSON_AddNumberToObject(y, "code", 401);
	y = cJSON_AddObjectToObject(x, "unauthorized");
	cJSON_AddNumberToObject(y, "code", 403);
	cJSON_Delete(put_owned(G_KUADRANT, R_AUTH, GW_NS, want));
	cJSON_Delete(want);
	kuadrant_status(R_AUTH, GW_NS, GW_AUTH);
}

struct legacy {
	struct strlist	 ns, name;
};

static int
legacy_cb(void *arg, const char *ns, const char *name, const char *json)
{
	struct legacy	*l = arg;
	cJSON		*o = cJSON_Parse(json);
	const char	*mb = label(o, LBL_MANAGED_BY);
	const char	*po = label(o, LBL_PART_OF);

	if (o != NULL && strncmp(name, "maas-auth-", 10) == 0 &&
	    mb != NULL && strcmp(mb, "maas-controller") == 0 && po != NULL &&
	    strcmp(po, "maas-auth-policy") == 0 && !unmanaged(o)) {
		sl_add(&l->ns, ns);
		sl_add(&l->name, name);
	}
	cJSON_Delete(o);
	return 0;
}

/* Legacy per-model AuthPolicies maas-auth-<model> are deleted. */
static void
legacy_cleanup(void)
{
	struct legacy	 l;
	size_t		 i;

	memset(&l, 0, sizeof l);
	store_list(api_store(), G_KUADRANT, R_AUTH, NULL, NULL, legacy_cb, &l);
	for (i = 0; i < l.ns.n; i++)
		del(G_KUADRANT, R_AUTH, l.ns.v[i], l.name.v[i]);
	sl_free(&l.ns);
	sl_free(&l.name);
}

/* ------------------------------------------------------------------ */
/* TokenRateLimitPolicy per model (section 10.2) */

static int
window_ok(const char *w)
{
	double		 secs;
	struct err	 e = ERR_INIT;

	if (w == NULL || duration_window(w, &secs, &e) == -1) {
		err_clear(&e);
		return 0;
	}
	return secs <= MAX_WINDOW;
}

/* The model entry of sub for ns/name, or NULL. */
static const cJSON *
sub_entry(const cJSON *sub, const char *ns, const char *name)
{
	const cJSON	*r;

	cJSON_ArrayForEach(r, json_path(sub, "spec.modelRefs")) {
		const char *n = cJSON_GetStringValue(GET(r, "name"));
		const char *s = cJSON_GetStringValue(GET(r, "namespace"));
		if (n != NULL && s != NULL && strcmp(n, name) == 0 &&
		    strcmp(s, ns) == 0)
			return r;
	}
	return NULL;
}

/* Are all of an entry's limits usable? NULL when so, else why. */
static char *
limits_invalid(const cJSON *entry)
{
	const cJSON	*l;

	cJSON_ArrayForEach(l, GET(entry, "tokenRateLimits")) {
		const char *w = cJSON_GetStringValue(GET(l, "window"));
		if (!window_ok(w))
			return xasprintf("token rate limit window %s exceeds "
			    "8784h (366 days)", w ? w : "(none)");
	}
	if (cJSON_GetArraySize(GET(entry, "tokenRateLimits")) == 0)
		return xstrdup("no token rate limits");
	return NULL;
}

static void
trlp_reconcile(const char *key)
{
	const char	*slash = strchr(key, '/');
	char		*ns = xstrndup(key, (size_t)(slash - key));
	const char	*name = slash + 1;
	char		*tname = xasprintf("maas-trlp-%s", name);
	const cJSON	*mr = snap_mr(ns, name), *sub, *entry;
	struct backend	 b;
	struct strlist	 subs = { 0 };
	cJSON		*live, *want = NULL, *m, *l, *spec, *t, *lim, *one, *x;
	cJSON		*route = NULL;
	struct strbuf	 sb = STRBUF_INIT;
	struct objv	 lister = listing(&snap.subs_by_model, key);
	size_t		 i, j;

	memset(&b, 0, sizeof b);
	live = api_obj_get(G_KUADRANT, R_TRLP, ns, tname);
	if (live != NULL && unmanaged(live))
		goto out;
	if (mr != NULL)
		backend_resolve(mr, &b);
	if (mr != NULL && b.route_exists)
		route = api_obj_get(G_GW, R_ROUTE, ns, b.route);
	want = cJSON_CreateObject();
	m = meta(want, G_KUADRANT "/v1alpha1", "TokenRateLimitPolicy", ns,
	    tname);
	spec = cJSON_AddObjectToObject(want, "spec");
	lim = cJSON_CreateObject();
	for (j = 0; j < lister.n; j++) {
		char *why, *lk, *pred, *sk;
		sub = lister.v[j];
		const char *sns = md(sub, "namespace"), *sn = md(sub, "name");
		if ((entry = sub_entry(sub, ns, name)) == NULL)
			continue;
		if ((why = limits_invalid(entry)) != NULL) {
			free(why);
			continue;
		}
		sk = xasprintf("%s/%s", sns, sn);
		sl_add(&subs, sk);
		free(sk);
		lk = xasprintf("%s-%s-%s-tokens", sns, sn, name);
		one = cJSON_CreateObject();
		x = cJSON_AddArrayToObject(one, "rates");
		cJSON_ArrayForEach(t, GET(entry, "tokenRateLimits")) {
			cJSON *r = cJSON_CreateObject();
			cJSON_AddItemToObject(r, "limit", cJSON_Duplicate(
			    GET(t, "limit"), 1));
			cJSON_AddStringToObject(r, "window",
			    cJSON_GetStringValue(GET(t, "window")));
			cJSON_AddItemToArray(x, r);
		}
		pred = xasprintf("auth.identity.selected_subscription_key == "
		    "\"%s/%s@%s/%s\" && !request.path.endsWith(\"/v1/models\")",
		    sns, sn, ns, name);
		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "predicate", pred);
		cJSON_AddItemToArray(cJSON_AddArrayToObject(one, "when"), x);
		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "expression", "auth.identity.userid");
		cJSON_AddItemToArray(cJSON_AddArrayToObject(one, "counters"), x);
		cJSON_DeleteItemFromObjectCaseSensitive(lim, lk);
		cJSON_AddItemToObject(lim, lk, one);
		free(pred);
		free(lk);
	}
	if (subs.n == 0 || mr == NULL || route == NULL) {
		/* no subscription lists the model, or nothing to target */
		cJSON_Delete(lim);
		if (live != NULL) {
			del(G_KUADRANT, R_TRLP, ns, tname);
			srv_log("component=controller msg=\"deleted "
			    "TokenRateLimitPolicy\" namespace=%s name=%s", ns,
			    tname);
		}
		goto out;
	}
	qsort(subs.v, subs.n, sizeof *subs.v, cmp_str);
	sb_init(&sb);
	for (i = 0; i < subs.n; i++)
		sb_addf(&sb, "%s%s", i ? "," : "", subs.v[i]);
	l = cJSON_AddObjectToObject(m, "labels");
	cJSON_AddStringToObject(l, LBL_MODEL, name);
	cJSON_AddStringToObject(l, LBL_MODEL_NS, ns);
	cJSON_AddStringToObject(l, LBL_MANAGED_BY, "maas-controller");
	cJSON_AddStringToObject(l, LBL_PART_OF, "maas-subscription");
	cJSON_AddStringToObject(l, "app.kubernetes.io/component",
	    "token-rate-limit-policy");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(m, "annotations"),
	    ANN_SUBS, sb.buf);
	owner_ref(m, G_GW "/v1", "HTTPRoute", route);
	t = cJSON_AddObjectToObject(spec, "targetRef");
	cJSON_AddStringToObject(t, "group", G_GW);
	cJSON_AddStringToObject(t, "kind", "HTTPRoute");
	cJSON_AddStringToObject(t, "name", b.route);
	cJSON_AddItemToObject(spec, "limits", lim);
	x = put_owned(G_KUADRANT, R_TRLP, ns, want);
	if (x != NULL && live == NULL)
		srv_log("component=controller msg=\"created "
		    "TokenRateLimitPolicy\" namespace=%s name=%s", ns, tname);
	cJSON_Delete(x);
	kuadrant_status(R_TRLP, ns, tname);
out:
	sb_free(&sb);
	sl_free(&subs);
	backend_free(&b);
	cJSON_Delete(route);
	cJSON_Delete(want);
	cJSON_Delete(live);
	free(tname);
	free(ns);
}

/* ------------------------------------------------------------------ */
/* MaaSSubscription status (section 5) */

/* The SpecPriorityDuplicate message for sub, or NULL when unique. */
static char *
prio_shared(const cJSON *sub)
{
	const char	*ns = md(sub, "namespace"), *name = md(sub, "name");
	long		 p = (long)json_num(sub, "spec.priority", 0);
	const struct strlist *g;
	struct strbuf	 sb = STRBUF_INIT;
	size_t		 i, shown = 0, others;
	char		*k = prio_key(ns, p);

	g = prio_group(k);
	free(k);
	others = g == NULL ? 0 : g->n;
	for (i = 0; g != NULL && i < g->n; i++)
		if (strcmp(g->v[i], name) == 0)
			others--;
	if (others == 0)
		return NULL;
	sb_init(&sb);
	sb_addf(&sb, "spec.priority %ld is shared with: ", p);
	for (i = 0; i < g->n && shown < PRIO_SHOWN; i++) {
		if (strcmp(g->v[i], name) == 0)
			continue;
		sb_addf(&sb, "%s%s", shown++ ? ", " : "", g->v[i]);
	}
	if (others > PRIO_SHOWN)
		sb_adds(&sb, ", ...");
	return sb_detach(&sb);
}

/*
 * What a subscription's status shows of model "ns/name" beyond its own
 * spec: whether the MaaSModelRef exists, whether its TokenRateLimitPolicy
 * exists and is accepted, and otherwise whether its route exists and why
 * not (sub_reconcile reads nothing else of a model).
 */
static char *
model_sig(const char *key)
{
	const char	*slash = strchr(key, '/');
	char		*ns = xstrndup(key, (size_t)(slash - key));
	char		*tname = xasprintf("maas-trlp-%s", slash + 1), *sig;
	const cJSON	*mr = snap_mr(ns, slash + 1);
	cJSON		*trlp = NULL;
	struct backend	 b;

	memset(&b, 0, sizeof b);
	if (mr == NULL)
		sig = xstrdup("absent");
	else if ((trlp = api_obj_get(G_KUADRANT, R_TRLP, ns, tname)) != NULL)
		sig = xstrdup(cond_true(trlp, "Accepted") ? "accepted" :
		    "not accepted");
	else {
		backend_resolve(mr, &b);
		sig = b.route_exists ? xstrdup("no policy") :
		    xasprintf("no route: %s", b.why ? b.why : "");
	}
	backend_free(&b);
	cJSON_Delete(trlp);
	free(tname);
	free(ns);
	return sig;
}

static void
sub_reconcile(const cJSON *sub)
{
	const char	*sns = md(sub, "namespace");
	const cJSON	*r, *oc = json_path(sub, "status.conditions");
	cJSON		*st, *mrs, *trs, *conds, *one, *trlp;
	int		 n = 0, valid = 0, trlp_ok = 0;
	double		 gen = generation(sub);
	const char	*phase;
	char		*msg, *why, *tname, *shared;
	struct strbuf	 bad = STRBUF_INIT;

	(void)sns;
	sb_init(&bad);
	st = cJSON_CreateObject();
	mrs = cJSON_CreateArray();
	trs = cJSON_CreateArray();
	cJSON_ArrayForEach(r, json_path(sub, "spec.modelRefs")) {
		const char *n_ = cJSON_GetStringValue(GET(r, "name"));
		const char *ns = cJSON_GetStringValue(GET(r, "namespace"));
		const cJSON *mr;
		struct backend b;
		if (n_ == NULL || ns == NULL)
			continue;
		n++;
		mr = snap_mr(ns, n_);
		one = cJSON_CreateObject();
		cJSON_AddStringToObject(one, "name", n_);
		cJSON_AddStringToObject(one, "namespace", ns);
		if (mr == NULL) {
			cJSON_AddBoolToObject(one, "ready", 0);
			cJSON_AddStringToObject(one, "reason", "NotFound");
			msg = xasprintf("MaaSModelRef %s/%s not found", ns, n_);
			cJSON_AddStringToObject(one, "message", msg);
			sb_addf(&bad, "%s%s", bad.len ? "; " : "", msg);
			free(msg);
			cJSON_AddItemToArray(mrs, one);
			continue;
		}
		valid++;
		cJSON_AddBoolToObject(one, "ready", 1);
		cJSON_AddStringToObject(one, "reason", "Valid");
		cJSON_AddItemToArray(mrs, one);
		tname = xasprintf("maas-trlp-%s", n_);
		one = cJSON_CreateObject();
		cJSON_AddStringToObject(one, "model", n_);
		cJSON_AddStringToObject(one, "name", tname);
		cJSON_AddStringToObject(one, "namespace", ns);
		why = limits_invalid(r);
		trlp = why ? NULL : api_obj_get(G_KUADRANT, R_TRLP, ns, tname);
		if (why != NULL) {
			cJSON_AddBoolToObject(one, "ready", 0);
			cJSON_AddStringToObject(one, "reason", "NotAccepted");
			cJSON_AddStringToObject(one, "message", why);
			sb_addf(&bad, "%s%s/%s: %s", bad.len ? "; " : "", ns,
			    n_, why);
		} else if (trlp != NULL && cond_true(trlp, "Accepted")) {
			cJSON_AddBoolToObject(one, "ready", 1);
			cJSON_AddStringToObject(one, "reason", "Accepted");
			trlp_ok++;
		} else {
			backend_resolve(mr, &b);
			cJSON_AddBoolToObject(one, "ready", 0);
			if (trlp != NULL) {
				cJSON_AddStringToObject(one, "reason",
				    "NotAccepted");
				msg = xasprintf("TokenRateLimitPolicy %s/%s is "
				    "not accepted", ns, tname);
			} else if (!b.route_exists) {
				cJSON_AddStringToObject(one, "reason",
				    "BackendNotReady");
				msg = xasprintf("the HTTPRoute of model %s/%s "
				    "does not exist yet%s%s", ns, n_, b.why ?
				    ": " : "", b.why ? b.why : "");
			} else {
				cJSON_AddStringToObject(one, "reason",
				    "NotFound");
				msg = xasprintf("TokenRateLimitPolicy %s/%s not "
				    "found", ns, tname);
			}
			cJSON_AddStringToObject(one, "message", msg);
			sb_addf(&bad, "%s%s", bad.len ? "; " : "", msg);
			free(msg);
			backend_free(&b);
		}
		free(why);
		cJSON_Delete(trlp);
		free(tname);
		cJSON_AddItemToArray(trs, one);
	}
	conds = cJSON_CreateArray();
	if (valid == 0) {
		phase = "Failed";
		msg = xasprintf("all %d model references are invalid or "
		    "missing: %s", n, bad.buf);
		cJSON_AddItemToArray(conds, cond(oc, "Ready", "False",
		    "ReconcileFailed", msg, gen));
	} else if (valid < n || trlp_ok < valid) {
		phase = "Degraded";
		msg = xasprintf("%s", bad.buf);
		cJSON_AddItemToArray(conds, cond(oc, "Ready", "False",
		    "PartialFailure", msg, gen));
	} else {
		phase = "Active";
		msg = xasprintf("all %d model references are valid and their "
		    "token rate limits are accepted", n);
		cJSON_AddItemToArray(conds, cond(oc, "Ready", "True",
		    "Reconciled", msg, gen));
	}
	free(msg);
	if ((shared = prio_shared(sub)) != NULL) {
		cJSON_AddItemToArray(conds, cond(oc, "SpecPriorityDuplicate",
		    "True", "DuplicatePriority", shared, gen));
		free(shared);
	}
	cJSON_AddStringToObject(st, "phase", phase);
	cJSON_AddItemToObject(st, "modelRefStatuses", mrs);
	cJSON_AddItemToObject(st, "tokenRateLimitStatuses", trs);
	cJSON_AddItemToObject(st, "conditions", conds);
	sb_free(&bad);
	put_status(G_MAAS, R_SUB, sub, st);
}

/* ------------------------------------------------------------------ */
/* MaaSAuthPolicy status (section 4) */

struct conflict_scan {
	const char	*ns, *route;
	int		 found;
	char		*name;
};

static int
conflict_cb(void *arg, const char *ns, const char *name, const char *json)
{
	struct conflict_scan	*c = arg;
	cJSON			*o = cJSON_Parse(json);
	const char		*tk = json_str(o, "spec.targetRef.kind");
	const char		*tn = json_str(o, "spec.targetRef.name");
	const char		*mb = label(o, LBL_MANAGED_BY);

	(void)ns;
	if (o != NULL && tk != NULL && tn != NULL &&
	    strcmp(tk, "HTTPRoute") == 0 && strcmp(tn, c->route) == 0 &&
	    (mb == NULL || strcmp(mb, "maas-controller") != 0) &&
	    !c->found) {
		c->found = 1;
		c->name = xstrdup(name);
	}
	cJSON_Delete(o);
	return c->found;
}

static void
ap_reconcile(const cJSON *ap)
{
	const cJSON	*r, *oc = json_path(ap, "status.conditions");
	cJSON		*st, *conds, *gw;
	int		 n = 0, missing = 0, gw_ok;
	double		 gen = generation(ap);
	struct strbuf	 miss = STRBUF_INIT, confl = STRBUF_INIT;
	const char	*phase;
	char		*msg;

	sb_init(&miss);
	sb_init(&confl);
	cJSON_ArrayForEach(r, json_path(ap, "spec.modelRefs")) {
		const char *nm = cJSON_GetStringValue(GET(r, "name"));
		const char *ns = cJSON_GetStringValue(GET(r, "namespace"));
		const cJSON *mr;
		struct backend b;
		struct conflict_scan cs;
		if (nm == NULL || ns == NULL)
			continue;
		n++;
		if ((mr = snap_mr(ns, nm)) == NULL) {
			missing++;
			sb_addf(&miss, "%s%s/%s", miss.len ? ", " : "", ns, nm);
			continue;
		}
		backend_resolve(mr, &b);
		memset(&cs, 0, sizeof cs);
		cs.ns = ns;
		cs.route = b.route;
		if (b.route != NULL)
			store_list(api_store(), G_KUADRANT, R_AUTH, ns, NULL,
			    conflict_cb, &cs);
		if (cs.found)
			sb_addf(&confl, "%sAuthPolicy %s/%s targets HTTPRoute "
			    "%s of model %s/%s", confl.len ? "; " : "", ns,
			    cs.name, b.route, ns, nm);
		free(cs.name);
		backend_free(&b);
	}
	gw = api_obj_get(G_KUADRANT, R_AUTH, GW_NS, GW_AUTH);
	gw_ok = gw != NULL && cond_true(gw, "Accepted") &&
	    cond_true(gw, "Enforced");
	cJSON_Delete(gw);
	st = cJSON_CreateObject();
	conds = cJSON_CreateArray();
	if (n > 0 && missing == n) {
		phase = "Failed";
		msg = xasprintf("all %d model references are invalid or "
		    "missing: %s", n, miss.buf);
		cJSON_AddItemToArray(conds, cond(oc, "Ready", "False",
		    "ReconcileFailed", msg, gen));
	} else if (missing > 0) {
		phase = "Degraded";
		msg = xasprintf("%d of %d model references are invalid or "
		    "missing: %s", missing, n, miss.buf);
		cJSON_AddItemToArray(conds, cond(oc, "Ready", "False",
		    "PartialFailure", msg, gen));
	} else if (!gw_ok) {
		phase = "Pending";
		msg = xasprintf("waiting for AuthPolicy %s/%s to be accepted "
		    "and enforced", GW_NS, GW_AUTH);
		cJSON_AddItemToArray(conds, cond(oc, "Ready", "False",
		    "NotEnforced", msg, gen));
	} else {
		phase = "Active";
		msg = xasprintf("all %d model references are valid; access is "
		    "enforced by AuthPolicy %s/%s", n, GW_NS, GW_AUTH);
		cJSON_AddItemToArray(conds, cond(oc, "Ready", "True",
		    "Reconciled", msg, gen));
	}
	free(msg);
	if (confl.len > 0)
		cJSON_AddItemToArray(conds, cond(oc, "ConflictingAuthPolicy",
		    "True", "ConflictingAuthPolicy", confl.buf, gen));
	else
		cJSON_AddItemToArray(conds, cond(oc, "ConflictingAuthPolicy",
		    "False", "NoConflict", "no other AuthPolicy targets the "
		    "models' HTTPRoutes", gen));
	cJSON_AddStringToObject(st, "phase", phase);
	cJSON_AddItemToObject(st, "authPolicies", cJSON_CreateArray());
	cJSON_AddItemToObject(st, "conditions", conds);
	sb_free(&miss);
	sb_free(&confl);
	put_status(G_MAAS, R_AP, ap, st);
}

/* ------------------------------------------------------------------ */
/* MaaSModelRef status (section 3) */

static void
mr_reconcile(const cJSON *mr)
{
	const char	*ns = md(mr, "namespace"), *name = md(mr, "name");
	const char	*ov = json_str(mr, "spec.endpointOverride");
	const char	*tenant = json_str(mr, "spec.tenantRef");
	const cJSON	*o, *oc = json_path(mr, "status.conditions");
	struct backend	 b;
	cJSON		*st, *conds;
	int		 nsub = 0, nap = 0, governed;
	double		 gen = generation(mr);
	const char	*phase;
	struct strlist	 clash = { 0 };
	struct strbuf	 sb = STRBUF_INIT;
	char		*msg;
	size_t		 i;

	backend_resolve(mr, &b);
	msg = xasprintf("%s/%s", ns, name);
	nsub = (int)listing(&snap.subs_by_model, msg).n;
	nap = (int)listing(&snap.aps_by_model, msg).n;
	free(msg);
	governed = nsub > 0 && nap > 0;
	if (b.alias != NULL)
		cJSON_ArrayForEach(o, snap.mrs) {
			struct backend ob;
			if (strcmp(md(o, "namespace"), ns) != 0 ||
			    strcmp(md(o, "name"), name) == 0)
				continue;
			backend_resolve(o, &ob);
			if (ob.alias != NULL && strcmp(ob.alias, b.alias) == 0)
				sl_add(&clash, md(o, "name"));
			backend_free(&ob);
		}
	if (b.failed)
		phase = "Failed";
	else if (governed && b.ready)
		phase = "Ready";
	else if (governed)
		phase = "Unhealthy";
	else
		phase = "Pending";
	st = cJSON_CreateObject();
	cJSON_AddStringToObject(st, "phase", phase);
	if (strcmp(phase, "Ready") == 0 && (ov != NULL || b.endpoint != NULL))
		cJSON_AddStringToObject(st, "endpoint", ov ? ov : b.endpoint);
	if (b.route_exists) {
		cJSON_AddStringToObject(st, "httpRouteName", b.route);
		cJSON_AddStringToObject(st, "httpRouteNamespace", ns);
		cJSON_AddStringToObject(st, "httpRouteGatewayName", GW_NAME);
		cJSON_AddStringToObject(st, "httpRouteGatewayNamespace", GW_NS);
		if (cJSON_GetArraySize(b.hostnames) > 0)
			cJSON_AddItemToObject(st, "httpRouteHostnames",
			    cJSON_Duplicate(b.hostnames, 1));
	}
	if (b.alias != NULL)
		cJSON_AddStringToObject(st, "resolvedModelAlias", b.alias);
	cJSON_AddStringToObject(st, "resolvedTenantRef", tenant && *tenant ?
	    tenant : TENANT_NS);
	conds = cJSON_AddArrayToObject(st, "conditions");
	if (strcmp(phase, "Ready") == 0)
		cJSON_AddItemToArray(conds, cond(oc, "Ready", "True",
		    "Reconciled", "the backend is ready and the model is "
		    "governed by an auth policy and a subscription", gen));
	else if (b.failed)
		cJSON_AddItemToArray(conds, cond(oc, "Ready", "False",
		    "ReconcileFailed", b.why, gen));
	else if (governed) {
		cJSON_AddItemToArray(conds, cond(oc, "Ready", "False",
		    "BackendNotReady", b.why ? b.why : "the backend is not "
		    "ready", gen));
	} else {
		msg = xasprintf("the model needs at least one MaaSAuthPolicy "
		    "and one MaaSSubscription (has %d and %d)", nap, nsub);
		cJSON_AddItemToArray(conds, cond(oc, "Ready", "False",
		    nap == 0 && nsub == 0 ? "NoPairingFound" : "GovernanceGap",
		    msg, gen));
		free(msg);
	}
	if (governed)
		msg = xasprintf("referenced by %d MaaSAuthPolicy and %d "
		    "MaaSSubscription", nap, nsub);
	else if (nap == 0 && nsub == 0)
		msg = xstrdup("no MaaSAuthPolicy and no MaaSSubscription "
		    "references this model");
	else
		msg = xasprintf("%s references this model but no %s does",
		    nap ? "a MaaSAuthPolicy" : "a MaaSSubscription",
		    nap ? "MaaSSubscription" : "MaaSAuthPolicy");
	cJSON_AddItemToArray(conds, cond(oc, "GovernanceAttached", governed ?
	    "True" : "False", governed ? "GovernancePaired" : nap == 0 &&
	    nsub == 0 ? "NoPairingFound" : "GovernanceGap", msg, gen));
	free(msg);
	if (b.ready)
		cJSON_AddItemToArray(conds, cond(oc, "RuntimeReady", "True",
		    "RuntimeHealthy", "the backend is ready", gen));
	else
		cJSON_AddItemToArray(conds, cond(oc, "RuntimeReady", "False",
		    "RuntimeHealthFailure", b.why ? b.why : "the backend is "
		    "not ready", gen));
	if (clash.n > 0) {
		qsort(clash.v, clash.n, sizeof *clash.v, cmp_str);
		sb_init(&sb);
		sb_addf(&sb, "resolved model alias %s is also used by "
		    "MaaSModelRef ", b.alias);
		for (i = 0; i < clash.n; i++)
			sb_addf(&sb, "%s%s/%s", i ? ", " : "", ns, clash.v[i]);
		cJSON_AddItemToArray(conds, cond(oc, "ModelIdentityUnique",
		    "False", "IdentityConflict", sb.buf, gen));
		sb_free(&sb);
	} else
		cJSON_AddItemToArray(conds, cond(oc, "ModelIdentityUnique",
		    "True", "Unique", b.alias ? "no other MaaSModelRef in "
		    "the namespace resolves to this alias" : "the alias is "
		    "not resolved yet", gen));
	sl_free(&clash);
	backend_free(&b);
	put_status(G_MAAS, R_MR, mr, st);
}

/* ------------------------------------------------------------------ */
/* Garbage collection of owned objects */

struct gc_scan {
	const char	*uid;
	struct strlist	 names;
};

static int
gc_cb(void *arg, const char *ns, const char *name, const char *json)
{
	struct gc_scan	*g = arg;
	cJSON		*o = cJSON_Parse(json);
	const cJSON	*r;

	(void)ns;
	cJSON_ArrayForEach(r, json_path(o, "metadata.ownerReferences")) {
		const char *u = cJSON_GetStringValue(GET(r, "uid"));
		if (u != NULL && strcmp(u, g->uid) == 0) {
			sl_add(&g->names, name);
			break;
		}
	}
	cJSON_Delete(o);
	return 0;
}

/* key: ns \t uid of a deleted owner. */
static void
gc_run(const char *key)
{
	const char	*tab = strchr(key, '\t');
	char		*ns = xstrndup(key, (size_t)(tab - key));
	struct gc_scan	 g;
	size_t		 i;

	memset(&g, 0, sizeof g);
	g.uid = tab + 1;
	store_list(api_store(), G_GW, R_ROUTE, ns, NULL, gc_cb, &g);
	for (i = 0; i < g.names.n; i++)
		del(G_GW, R_ROUTE, ns, g.names.v[i]);
	sl_free(&g.names);
	store_list(api_store(), G_KUADRANT, R_TRLP, ns, NULL, gc_cb, &g);
	for (i = 0; i < g.names.n; i++)
		del(G_KUADRANT, R_TRLP, ns, g.names.v[i]);
	sl_free(&g.names);
	free(ns);
}

/* ------------------------------------------------------------------ */
/* Change intake */

static char *
key2(const char *ns, const char *name)
{
	return xasprintf("%s/%s", ns, name);
}

static void
dirty_backend(const char *ns, const char *kind, const char *name)
{
	char	*k = xasprintf("%s\t%s\t%s", ns, kind, name);

	dset_add(&ctl.backends, k);
	free(k);
}

static void
dirty_prio(const char *ns, long p)
{
	char	*k = xasprintf("%s\t%ld", ns, p);

	dset_add(&ctl.prios, k);
	free(k);
}

static void
on_cr(const struct change *c, const char *name, const char *res)
{
	char		*key = xasprintf("%s/%s/%s/%s", G_MAAS, res, c->ns,
	    name);
	char		*k = key2(c->ns, name);
	struct strlist	 old = { 0 };
	long		 oprio = 0;
	int		 changed;
	size_t		 i;

	if (strcmp(c->type, "DELETED") == 0) {
		struct seen *s = seen_find(key);
		if (s != NULL) {
			for (i = 0; i < s->models.n; i++)
				set_add(&old, s->models.v[i]);
			oprio = s->prio;
		}
		models_of(c->obj, &old);
		seen_drop(key);
		changed = 1;
	} else
		changed = seen_update(key, c->obj, &old, &oprio);
	if (!changed)
		goto out;
	models_of(c->obj, &old);
	for (i = 0; i < old.n; i++)
		dset_add(&ctl.models, old.v[i]);
	if (strcmp(res, R_SUB) == 0) {
		if (strcmp(c->type, "DELETED") != 0)
			dset_add(&ctl.subs, k);
		dirty_prio(c->ns, oprio);
		dirty_prio(c->ns, (long)json_num(c->obj, "spec.priority", 0));
	} else if (strcmp(res, R_AP) == 0) {
		if (strcmp(c->type, "DELETED") != 0)
			dset_add(&ctl.aps, k);
	} else {
		dset_add(&ctl.models, k);
		dset_add(&ctl.idns, c->ns);
	}
out:
	sl_free(&old);
	free(k);
	free(key);
}

static void
intake(const struct change *c)
{
	const char	*name = md(c->obj, "name"), *uid = md(c->obj, "uid");
	const char	*g = c->grp, *r = c->res, *x;
	int		 deleted = strcmp(c->type, "DELETED") == 0;
	char		*k;

	if (name == NULL)
		return;
	if (deleted && uid != NULL && *c->ns != '\0') {
		k = xasprintf("%s\t%s", c->ns, uid);
		dset_add(&ctl.gc, k);
		free(k);
	}
	k = key2(c->ns, name);
	if (strcmp(g, G_KSERVE) == 0 && strcmp(r, R_LLMIS) == 0) {
		dset_add(&ctl.llmis, k);
		dirty_backend(c->ns, "LLMInferenceService", name);
	} else if ((strcmp(g, G_MAAS) == 0 || strcmp(g, G_INF) == 0) &&
	    strcmp(r, R_EXT) == 0) {
		char *ek = xasprintf("%s/%s", g, k);
		dset_add(&ctl.ext, ek);
		free(ek);
		dirty_backend(c->ns, "ExternalModel", name);
	} else if (strcmp(g, G_MAAS) == 0 && (strcmp(r, R_SUB) == 0 ||
	    strcmp(r, R_AP) == 0 || strcmp(r, R_MR) == 0)) {
		on_cr(c, name, r);
	} else if (strcmp(g, G_MAAS) == 0 && strcmp(r, R_TENANTCFG) == 0) {
		ctl.all = 1;
	} else if (strcmp(g, "") == 0 && strcmp(r, "namespaces") == 0) {
		if (label(c->obj, "maas.opendatahub.io/managed-by-aitenant") !=
		    NULL || label(c->obj, "ai-gateway.opendatahub.io/tenant") !=
		    NULL)
			ctl.all = 1;
	} else if (strcmp(g, G_GW) == 0 && strcmp(r, R_ROUTE) == 0) {
		size_t n = strlen(name);
		if (n > 13 && strcmp(name + n - 13, "-kserve-route") == 0) {
			char *b = xstrndup(name, n - 13);
			dirty_backend(c->ns, "LLMInferenceService", b);
			free(b);
		} else if (strncmp(name, "maas-", 5) == 0)
			dirty_backend(c->ns, "ExternalModel", name + 5);
		if (strcmp(c->type, "MODIFIED") != 0) {
			dset_add(&ctl.idns, c->ns);
			kuadrant_ns(c->ns);
		}
	} else if (strcmp(g, G_GW) == 0 && strcmp(r, "gateways") == 0) {
		kuadrant_ns(c->ns);
		ctl.all = 1;
	} else if (strcmp(g, G_KUADRANT) == 0 && (strcmp(r, R_TRLP) == 0 ||
	    strcmp(r, R_AUTH) == 0)) {
		char *pk = xasprintf("%s\t%s\t%s", r, c->ns, name);
		if (!deleted)
			dset_add(&ctl.kuadrant, pk);
		free(pk);
		if (strcmp(r, R_TRLP) == 0 && (x = label(c->obj, LBL_MODEL)) !=
		    NULL && label(c->obj, LBL_MODEL_NS) != NULL) {
			char *mk = key2(label(c->obj, LBL_MODEL_NS), x);
			dset_add(&ctl.models, mk);
			free(mk);
		}
		if (strcmp(r, R_AUTH) == 0) {
			if (strcmp(c->ns, GW_NS) == 0 &&
			    strcmp(name, GW_AUTH) == 0)
				ctl.gwauth = 1;
			ctl.aps_all = 1;
			if (strncmp(name, "maas-auth-", 10) == 0)
				ctl.gwauth = 1;
		}
	}
	free(k);
}

static void
listener(void *arg, const char *type, const char *grp, const char *res,
    const char *ns, const cJSON *obj)
{
	struct change	*c;

	(void)arg;
	if (strcmp(grp, G_MAAS) != 0 && strcmp(grp, G_KSERVE) != 0 &&
	    strcmp(grp, G_KUADRANT) != 0 && strcmp(grp, G_GW) != 0 &&
	    strcmp(grp, G_INF) != 0 && !(*grp == '\0' &&
	    strcmp(res, "namespaces") == 0))
		return;
	ctl.q = xrealloc(ctl.q, (ctl.nq + 1) * sizeof *ctl.q);
	c = &ctl.q[ctl.nq++];
	c->type = xstrdup(type);
	c->grp = xstrdup(grp);
	c->res = xstrdup(res);
	c->ns = xstrdup(ns);
	c->obj = cJSON_Duplicate(obj, 1);
	arm();
}

static void
drain(void)
{
	struct change	*q = ctl.q;
	size_t		 n = ctl.nq, i;

	ctl.q = NULL;
	ctl.nq = 0;
	for (i = 0; i < n; i++) {
		intake(&q[i]);
		free(q[i].type);
		free(q[i].grp);
		free(q[i].res);
		free(q[i].ns);
		cJSON_Delete(q[i].obj);
	}
	free(q);
}

static int
all_cb(void *arg, const char *ns, const char *name, const char *json)
{
	struct change	 c;
	const char	**gr = arg;

	memset(&c, 0, sizeof c);
	c.type = "ADDED";
	c.grp = (char *)gr[0];
	c.res = (char *)gr[1];
	c.ns = (char *)ns;
	if ((c.obj = cJSON_Parse(json)) == NULL)
		return 0;
	(void)name;
	intake(&c);
	cJSON_Delete(c.obj);
	return 0;
}

/* Treat every relevant object as just added (start-up, tenant change). */
static void
everything(void)
{
	static const char *const grs[][2] = {
		{ G_KSERVE, R_LLMIS }, { G_MAAS, R_EXT }, { G_INF, R_EXT },
		{ G_MAAS, R_MR }, { G_MAAS, R_SUB }, { G_MAAS, R_AP },
		{ G_KUADRANT, R_TRLP }, { G_KUADRANT, R_AUTH },
		{ G_GW, R_ROUTE }
	};
	size_t		 i;

	/* forget generations so every CR counts as changed */
	seen_clear();
	for (i = 0; i < sizeof grs / sizeof grs[0]; i++)
		store_list(api_store(), grs[i][0], grs[i][1], NULL, NULL,
		    all_cb, (void *)grs[i]);
	ctl.gwauth = 1;
	ctl.aps_all = 1;
}

/* ------------------------------------------------------------------ */
/* The batch */

/* The names sharing priority "ns\tprio", first PRIO_SHOWN+2 sorted. */
static char *
prio_signature(const char *key)
{
	const struct strlist *g = prio_group(key);
	struct strbuf	 sb = STRBUF_INIT;
	size_t		 i;

	sb_init(&sb);
	for (i = 0; g != NULL && i < g->n && i < PRIO_SHOWN + 2; i++)
		sb_addf(&sb, "%s,", g->v[i]);
	return sb_detach(&sb);
}

static void
expand(void)
{
	struct strlist	 l;
	const cJSON	*o;
	size_t		 i, j;
	char		*k, *sig;

	snap_build();
	/* backends -> the models they serve */
	l = dset_take(&ctl.backends);
	for (i = 0; i < l.n; i++) {
		char *ns = xstrndup(l.v[i], strcspn(l.v[i], "\t"));
		const char *kind = l.v[i] + strlen(ns) + 1;
		size_t kl = strcspn(kind, "\t");
		const char *bn = kind + kl + 1;
		cJSON_ArrayForEach(o, snap.mrs) {
			const char *mk = json_str(o, "spec.modelRef.kind");
			const char *mn = json_str(o, "spec.modelRef.name");
			if (strcmp(md(o, "namespace"), ns) != 0 || mk == NULL ||
			    mn == NULL || strlen(mk) != kl ||
			    strncmp(mk, kind, kl) != 0 || strcmp(mn, bn) != 0)
				continue;
			k = key2(ns, md(o, "name"));
			dset_add(&ctl.models, k);
			free(k);
			dset_add(&ctl.idns, ns);
		}
		free(ns);
	}
	sl_free(&l);
	/* identity is per namespace */
	l = dset_take(&ctl.idns);
	for (i = 0; i < l.n; i++)
		cJSON_ArrayForEach(o, snap.mrs)
			if (strcmp(md(o, "namespace"), l.v[i]) == 0) {
				k = key2(l.v[i], md(o, "name"));
				dset_add(&ctl.models, k);
				free(k);
			}
	sl_free(&l);
	/* priority groups whose visible membership changed */
	l = dset_take(&ctl.prios);
	for (i = 0; i < l.n; i++) {
		const struct strlist *g = prio_group(l.v[i]);
		char *old = strmap_get(&ctl.sigs, l.v[i]), *ns;

		sig = prio_signature(l.v[i]);
		if (old != NULL && strcmp(old, sig) == 0) {
			free(sig);
			continue;
		}
		free(old);
		strmap_put(&ctl.sigs, l.v[i], sig);
		ns = xstrndup(l.v[i], strcspn(l.v[i], "\t"));
		for (j = 0; g != NULL && j < g->n; j++) {
			k = key2(ns, g->v[j]);
			dset_add(&ctl.subs, k);
			free(k);
		}
		free(ns);
	}
	sl_free(&l);
	/*
	 * A model's change reaches the CRs listing it: every auth policy,
	 * and the subscriptions when what their statuses show of the model
	 * moved (a bulk apply dirties a few models thousands of times, each
	 * time for one new subscription, which is reconciled anyway).
	 */
	for (i = 0; i < ctl.models.l.n; i++) {
		const char *mkey = ctl.models.l.v[i];
		char *msig = model_sig(mkey), *old = strmap_get(&ctl.msigs,
		    mkey);
		struct objv lister;

		if (old == NULL || strcmp(old, msig) != 0) {
			free(old);
			strmap_put(&ctl.msigs, mkey, msig);
			lister = listing(&snap.subs_by_model, mkey);
			for (j = 0; j < lister.n; j++) {
				o = lister.v[j];
				k = key2(md(o, "namespace"), md(o, "name"));
				dset_add(&ctl.subs, k);
				free(k);
			}
		} else
			free(msig);
		lister = listing(&snap.aps_by_model, mkey);
		for (j = 0; j < lister.n; j++) {
			o = lister.v[j];
			k = key2(md(o, "namespace"), md(o, "name"));
			dset_add(&ctl.aps, k);
			free(k);
		}
	}
	if (ctl.aps_all) {
		ctl.aps_all = 0;
		cJSON_ArrayForEach(o, snap.aps) {
			k = key2(md(o, "namespace"), md(o, "name"));
			dset_add(&ctl.aps, k);
			free(k);
		}
	}
}

static void
round_once(void)
{
	struct strlist	 l;
	const cJSON	*o;
	size_t		 i;

	if (ctl.all) {
		ctl.all = 0;
		everything();
	}
	l = dset_take(&ctl.gc);
	for (i = 0; i < l.n; i++)
		gc_run(l.v[i]);
	sl_free(&l);
	l = dset_take(&ctl.llmis);
	for (i = 0; i < l.n; i++)
		llmis_reconcile(l.v[i]);
	sl_free(&l);
	l = dset_take(&ctl.ext);
	for (i = 0; i < l.n; i++)
		ext_reconcile(l.v[i]);
	sl_free(&l);
	if (ctl.gwauth) {
		ctl.gwauth = 0;
		gwauth_ensure();
		legacy_cleanup();
	}
	l = dset_take(&ctl.kuadrant);
	for (i = 0; i < l.n; i++) {
		char *res = xstrndup(l.v[i], strcspn(l.v[i], "\t"));
		const char *rest = l.v[i] + strlen(res) + 1;
		char *ns = xstrndup(rest, strcspn(rest, "\t"));
		kuadrant_status(res, ns, rest + strlen(ns) + 1);
		free(res);
		free(ns);
	}
	sl_free(&l);
	expand();
	l = dset_take(&ctl.models);
	for (i = 0; i < l.n; i++)
		trlp_reconcile(l.v[i]);
	/* TRLP writes change what subscriptions report */
	drain();
	for (i = 0; i < l.n; i++)
		if ((o = snap_find(&snap.mrs_ix, l.v[i])) != NULL)
			mr_reconcile(o);
	sl_free(&l);
	l = dset_take(&ctl.subs);
	for (i = 0; i < l.n; i++)
		if ((o = snap_find(&snap.subs_ix, l.v[i])) != NULL)
			sub_reconcile(o);
	sl_free(&l);
	l = dset_take(&ctl.aps);
	for (i = 0; i < l.n; i++)
		if ((o = snap_find(&snap.aps_ix, l.v[i])) != NULL)
			ap_reconcile(o);
	sl_free(&l);
	snap_free();
}

static int
pending_work(void)
{
	return ctl.nq > 0 || ctl.all || ctl.gwauth || ctl.aps_all ||
	    ctl.gc.l.n || ctl.llmis.l.n || ctl.ext.l.n || ctl.models.l.n ||
	    ctl.subs.l.n || ctl.aps.l.n || ctl.backends.l.n || ctl.idns.l.n ||
	    ctl.prios.l.n || ctl.kuadrant.l.n;
}

static void
run_batch(evutil_socket_t fd, short what, void *arg)
{
	double		 t0 = clock_mono_s();
	int		 i;

	(void)fd;
	(void)what;
	(void)arg;
	ctl.in_batch = 1;
	/* What a batch writes (statuses, generated policies) is derived from
	 * the stored specs, and derived again at start-up: one fsync per
	 * write would make a bulk apply of thousands wait on the disk. */
	store_lazy_sync(api_store(), 1);
	for (i = 0; i < MAX_ROUNDS; i++) {
		drain();
		if (!pending_work())
			break;
		round_once();
	}
	store_lazy_sync(api_store(), 0);
	ctl.in_batch = 0;
	ctl.last_batch = clock_mono_s();
	ctl.last_cost = ctl.last_batch - t0;
	if (pending_work()) {
		srv_log("component=controller msg=\"still reconciling after "
		    "%d rounds; continuing\"", MAX_ROUNDS);
		arm();
	}
}

/* ------------------------------------------------------------------ */
/* Validating webhooks (section 1): maas-controller-webhook-service */

static int
any_cb(void *arg, const char *ns, const char *name, const char *json)
{
	(void)ns;
	(void)name;
	(void)json;
	*(int *)arg = 1;
	return 1;
}

/*
 * The webhook names follow kubebuilder's v<kind>-<version>.kb.io
 * convention; the real names are not in the reference.
 */
static char *
admit(void *arg, const char *op, const char *grp, const char *res,
    const char *ns, const cJSON *obj)
{
	const char	*t;
	cJSON		*ait;
	int		 found = 0;

	(void)arg;
	if (strcmp(grp, G_MAAS) != 0)
		return NULL;
	if ((strcmp(res, R_SUB) == 0 || strcmp(res, R_AP) == 0) &&
	    strcmp(op, "CREATE") == 0) {
		store_list(api_store(), G_MAAS, R_TENANTCFG, ns, NULL, any_cb,
		    &found);
		if (!found)
			store_list(api_store(), G_MAAS, "tenants", ns, NULL,
			    any_cb, &found);
		if (found)
			return NULL;
		return xasprintf("admission webhook \"v%s-v1alpha1.kb.io\" "
		    "denied the request: namespace \"%s\" is not enabled for "
		    "MaaS tenant resources. Create a MaasTenantConfig CR in "
		    "this namespace to enable it.", strcmp(res, R_SUB) == 0 ?
		    "maassubscription" : "maasauthpolicy", ns);
	}
	if (strcmp(res, R_MR) == 0 && (t = json_str(obj, "spec.tenantRef")) !=
	    NULL && *t != '\0') {
		if ((ait = api_obj_get(G_MAAS, "aitenants", "ai-tenants",
		    t)) != NULL) {
			cJSON_Delete(ait);
			return NULL;
		}
		return xasprintf("admission webhook \"vmaasmodelref-v1alpha1."
		    "kb.io\" denied the request: spec.tenantRef \"%s\" "
		    "references AITenant that does not exist in namespace "
		    "ai-tenants", t);
	}
	return NULL;
}

/* ------------------------------------------------------------------ */

int
controller_init(const struct sbx_config *c, int gw_port, struct err *e)
{
	(void)e;
	ctl.cfg = c;
	ctl.gw_port = gw_port;
	ctl.batch = evtimer_new(srv_base(), run_batch, NULL);
	api_on_change(listener, NULL);
	api_on_admit(admit, NULL);
	ctl.all = 1;
	arm();
	return 0;
}

void
controller_shutdown(void)
{
	size_t	 i;

	while (ctl.starters != NULL)
		starter_free(ctl.starters);
	if (ctl.batch != NULL)
		event_free(ctl.batch);
	for (i = 0; i < ctl.nq; i++) {
		free(ctl.q[i].type);
		free(ctl.q[i].grp);
		free(ctl.q[i].res);
		free(ctl.q[i].ns);
		cJSON_Delete(ctl.q[i].obj);
	}
	free(ctl.q);
	seen_clear();
	dset_free(&ctl.llmis);
	dset_free(&ctl.ext);
	dset_free(&ctl.models);
	dset_free(&ctl.subs);
	dset_free(&ctl.aps);
	dset_free(&ctl.backends);
	dset_free(&ctl.idns);
	dset_free(&ctl.prios);
	dset_free(&ctl.kuadrant);
	dset_free(&ctl.gc);
	strmap_clear(&ctl.sigs, free);
	snap_free();
	strmap_clear(&cache.subs, cached_free);
	strmap_clear(&cache.aps, cached_free);
	strmap_clear(&cache.mrs, cached_free);
	strmap_clear(&ctl.msigs, free);
	memset(&ctl, 0, sizeof ctl);
}
