/*
 * maasapi_sub.c: what the sandbox's maas-api reads from the MaaS custom
 * resources (reference MAAS-API.md §4.8-§4.10, §4.12, §6, §7):
 *
 *  - MaaSSubscriptions and MaaSAuthPolicies in the subscription namespace
 *    (MAAS_SUBSCRIPTION_NAMESPACE, models-as-a-service) and MaaSModelRefs
 *    in every namespace, read from the sandbox's store and cached until
 *    api_on_change() reports a change of the maas.opendatahub.io group;
 *  - subscription selection: the /internal/v1/subscriptions/select answer
 *    (maasapi_subscription_select(), which the gateway uses), explicit and
 *    automatic binding of a key at mint (§7.2, §7.3);
 *  - GET /v1/models, GET /v1/subscriptions and
 *    GET /v1/model/{id}/subscriptions with their bodies and family C
 *    errors;
 *  - the key lifetime limit from MaasTenantConfig default-tenant
 *    (spec.apiKeys.maxExpirationDays; the real controller copies it into
 *    maas-api's API_KEY_MAX_EXPIRATION_DAYS).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "maasapi_int.h"

#define DEFAULT_MAX_DAYS	90

static cJSON	*c_subs;	/* MaaSSubscriptions of MAAS_SUB_NS */
static cJSON	*c_pols;	/* MaaSAuthPolicies of MAAS_SUB_NS */
static cJSON	*c_models;	/* MaaSModelRefs, all namespaces */
static int	 c_max_days;	/* 0: not read yet */

static void
cache_drop(void)
{
	cJSON_Delete(c_subs);
	cJSON_Delete(c_pols);
	cJSON_Delete(c_models);
	c_subs = c_pols = c_models = NULL;
	c_max_days = 0;
}

static void
on_change(void *arg, const char *type, const char *grp, const char *res,
    const char *ns, const cJSON *obj)
{
	(void)arg;
	(void)type;
	(void)res;
	(void)ns;
	(void)obj;
	if (strcmp(grp, MAAS_GROUP) == 0)
		cache_drop();
}

void
mapi_sub_init(void)
{
	cache_drop();
	api_on_change(on_change, NULL);
}

void
mapi_sub_shutdown(void)
{
	cache_drop();
}

static const cJSON *
load(cJSON **slot, const char *res, const char *ns)
{
	if (*slot == NULL)
		*slot = store_list_json(api_store(), MAAS_GROUP, res, ns);
	return *slot;
}

static const cJSON *
subs(void)
{
	return load(&c_subs, "maassubscriptions", MAAS_SUB_NS);
}

static const cJSON *
policies(void)
{
	return load(&c_pols, "maasauthpolicies", MAAS_SUB_NS);
}

static const cJSON *
models(void)
{
	return load(&c_models, "maasmodelrefs", NULL);
}

int
mapi_max_expiration_days(void)
{
	struct sbx_store	*s = api_store();
	cJSON			*o;
	char			*json;
	double			 d;

	if (c_max_days > 0)
		return c_max_days;
	c_max_days = DEFAULT_MAX_DAYS;
	if (s != NULL && (json = store_get(s, MAAS_GROUP, "maastenantconfigs",
	    MAAS_SUB_NS, "default-tenant")) != NULL) {
		o = cJSON_Parse(json);
		free(json);
		d = json_num(o, "spec.apiKeys.maxExpirationDays", 0);
		if (d >= 1 && d <= 1e6)
			c_max_days = (int)d;
		cJSON_Delete(o);
	}
	return c_max_days;
}

void
maasapi_gateway_listening(int port, int tls)
{
	struct sbx_store	*s = api_store();
	struct err		 e = ERR_INIT;
	cJSON			*gw, *l, *st, *addrs, *a;
	char			*json, *before, *after;

	if (s == NULL || (json = store_get(s, "gateway.networking.k8s.io",
	    "gateways", "openshift-ingress", "maas-default-gateway")) == NULL)
		return;
	gw = cJSON_Parse(json);
	free(json);
	l = cJSON_GetArrayItem(json_path(gw, "spec.listeners"), 0);
	if (l == NULL) {
		cJSON_Delete(gw);
		return;
	}
	before = json_print(gw, 0);
	cJSON_ReplaceItemInObject(l, "port", cJSON_CreateNumber(port));
	cJSON_ReplaceItemInObject(l, "protocol", cJSON_CreateString(tls ?
	    "HTTPS" : "HTTP"));
	if (!tls)
		cJSON_DeleteItemFromObject(l, "tls");
	else if (cJSON_GetObjectItem(l, "tls") == NULL)
		json_set_str(l, "tls.mode", "Terminate");
	st = json_obj(gw, "status");
	addrs = cJSON_CreateArray();
	a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "type", "IPAddress");
	cJSON_AddStringToObject(a, "value", "127.0.0.1");
	cJSON_AddItemToArray(addrs, a);
	cJSON_DeleteItemFromObject(st, "addresses");
	cJSON_AddItemToObject(st, "addresses", addrs);
	after = json_print(gw, 0);
	if (strcmp(before, after) != 0) {
		if (store_begin(s, &e) == 0) {
			if (store_put(s, "gateway.networking.k8s.io",
			    "gateways", "openshift-ingress",
			    "maas-default-gateway", gw, "MODIFIED", &e) < 0 ||
			    store_commit(s, &e) != 0)
				store_rollback(s);
		}
		if (e.code != 0)
			srv_log("msg=\"maas-api: cannot record the gateway "
			    "port\" err=\"%s\"", e.msg);
	}
	err_clear(&e);
	free(before);
	free(after);
	cJSON_Delete(gw);
}

/* ---- predicates over the resources ---- */

static const char *
meta(const cJSON *o, const char *f)
{
	const char	*s = json_str(cJSON_GetObjectItem(o, "metadata"), f);

	return s != NULL ? s : "";
}

static const char *
annotation(const cJSON *o, const char *k)
{
	const cJSON	*a;

	a = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "metadata"),
	    "annotations");
	a = cJSON_GetObjectItemCaseSensitive(a, k);
	return cJSON_IsString(a) ? a->valuestring : NULL;
}

static const char *
phase(const cJSON *o)
{
	const char	*p = json_str(o, "status.phase");

	return p != NULL ? p : "";
}

static int
deleting(const cJSON *o)
{
	return json_str(o, "metadata.deletionTimestamp") != NULL;
}

static int
in_groups(const struct strlist *g, const char *name)
{
	return name != NULL && g != NULL && sl_has(g, name);
}

/* Does the caller own sub (a user in spec.owner.users or a group in
 * spec.owner.groups[].name)? */
static int
owns(const cJSON *sub, const char *user, const struct strlist *groups)
{
	const cJSON	*owner = json_path(sub, "spec.owner"), *it;

	cJSON_ArrayForEach(it, cJSON_GetObjectItem(owner, "users"))
		if (cJSON_IsString(it) && strcmp(it->valuestring, user) == 0)
			return 1;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(owner, "groups"))
		if (in_groups(groups, json_str(it, "name")))
			return 1;
	return 0;
}

/* Does a MaaSAuthPolicy grant user/groups the model ns/name? */
static int
allowed(const char *user, const struct strlist *groups, const char *ns,
    const char *name)
{
	const cJSON	*p, *m, *it, *subj;
	int		 lists;

	cJSON_ArrayForEach(p, policies()) {
		if (deleting(p))
			continue;
		lists = 0;
		cJSON_ArrayForEach(m, json_path(p, "spec.modelRefs"))
			if (json_str(m, "name") && json_str(m, "namespace") &&
			    strcmp(json_str(m, "name"), name) == 0 &&
			    strcmp(json_str(m, "namespace"), ns) == 0)
				lists = 1;
		if (!lists)
			continue;
		subj = json_path(p, "spec.subjects");
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(subj, "users"))
			if (cJSON_IsString(it) &&
			    strcmp(it->valuestring, user) == 0)
				return 1;
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(subj, "groups"))
			if (in_groups(groups, json_str(it, "name")))
				return 1;
	}
	return 0;
}

static const cJSON *
model_obj(const char *ns, const char *name)
{
	const cJSON	*m;

	if (ns == NULL || name == NULL)
		return NULL;
	cJSON_ArrayForEach(m, models())
		if (strcmp(meta(m, "namespace"), ns) == 0 &&
		    strcmp(meta(m, "name"), name) == 0)
			return m;
	return NULL;
}

/* The served id of a MaaSModelRef (§4.8). */
static const char *
model_id(const cJSON *m)
{
	const char	*kind = json_str(m, "spec.modelRef.kind"), *s;

	if (kind != NULL && strcmp(kind, "ExternalModel") == 0 &&
	    (s = json_str(m, "spec.modelRef.name")) != NULL)
		return s;
	if ((s = json_str(m, "status.resolvedModelAlias")) != NULL && *s)
		return s;
	return meta(m, "name");
}

/* The modelRefs entry of sub that names model: "ns/name", or a raw name
 * matched against the entry's name and the model's served id. */
static const cJSON *
sub_model(const cJSON *sub, const char *model)
{
	const cJSON	*e, *m;
	const char	*slash = strchr(model, '/'), *n, *ns;
	size_t		 nl;

	cJSON_ArrayForEach(e, json_path(sub, "spec.modelRefs")) {
		n = json_str(e, "name");
		ns = json_str(e, "namespace");
		if (n == NULL || ns == NULL)
			continue;
		nl = strlen(ns);
		if (slash != NULL && (size_t)(slash - model) == nl &&
		    strncmp(model, ns, nl) == 0 && strcmp(slash + 1, n) == 0)
			return e;
	}
	cJSON_ArrayForEach(e, json_path(sub, "spec.modelRefs")) {
		n = json_str(e, "name");
		ns = json_str(e, "namespace");
		if (n == NULL || ns == NULL)
			continue;
		if (strcmp(n, model) == 0)
			return e;
		if ((m = model_obj(ns, n)) != NULL &&
		    strcmp(model_id(m), model) == 0)
			return e;
	}
	return NULL;
}

/* The subscription a request names: "namespace/name" exactly, else a
 * bare name. */
static const cJSON *
find_sub(const char *req)
{
	const cJSON	*s;
	const char	*slash = strchr(req, '/');
	size_t		 nl;

	cJSON_ArrayForEach(s, subs()) {
		nl = strlen(meta(s, "namespace"));
		if (slash != NULL && (size_t)(slash - req) == nl &&
		    strncmp(req, meta(s, "namespace"), nl) == 0 &&
		    strcmp(slash + 1, meta(s, "name")) == 0)
			return s;
	}
	if (slash != NULL)
		return NULL;
	cJSON_ArrayForEach(s, subs())
		if (strcmp(meta(s, "name"), req) == 0)
			return s;
	return NULL;
}

/* Is the token rate limit of model (an entry of sub) reported ready? */
static int
trlp_ready(const cJSON *sub, const cJSON *entry)
{
	const cJSON	*t;
	const char	*name = json_str(entry, "name");

	cJSON_ArrayForEach(t, json_path(sub, "status.tokenRateLimitStatuses"))
		if (json_str(t, "model") != NULL && name != NULL &&
		    strcmp(json_str(t, "model"), name) == 0)
			return cJSON_IsTrue(cJSON_GetObjectItem(t, "ready"));
	return 0;
}

static int
active(const char *p)
{
	return strcmp(p, "Active") == 0 || strcmp(p, "Degraded") == 0;
}

/* ---- selection (/internal/v1/subscriptions/select) ---- */

static cJSON *
select_fail(const char *code, const char *msg, const char *ph)
{
	cJSON	*o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "error", code);
	cJSON_AddStringToObject(o, "message", msg);
	cJSON_AddFalseToObject(o, "accessAllowed");
	cJSON_AddStringToObject(o, "phase", ph);
	cJSON_AddFalseToObject(o, "ready");
	return o;
}

static void
add_meta_str(cJSON *o, const char *k, const char *v)
{
	if (v != NULL && *v)
		cJSON_AddStringToObject(o, k, v);
}

cJSON *
maasapi_subscription_select(const char *user, const struct strlist *groups,
    const char *requested, const char *model)
{
	const cJSON	*s, *sub = NULL, *entry = NULL, *tm;
	cJSON		*o;
	const char	*ph;
	char		*msg;
	int		 n = 0, ready;

	if (user == NULL || *user == '\0')
		return select_fail("bad_request", "invalid request body: "
		    "username is required", "");
	if (model != NULL && *model == '\0')
		model = NULL;
	if (requested != NULL && *requested != '\0') {
		if ((sub = find_sub(requested)) == NULL)
			return select_fail("not_found", "requested "
			    "subscription not found", "");
		if (!owns(sub, user, groups))
			return select_fail("access_denied", "access denied to "
			    "requested subscription", "");
		if (model != NULL && (entry = sub_model(sub, model)) == NULL) {
			msg = xasprintf("subscription %s does not include "
			    "model %s", meta(sub, "name"), model);
			o = select_fail("model_not_in_subscription", msg,
			    phase(sub));
			free(msg);
			return o;
		}
	} else {
		cJSON_ArrayForEach(s, subs()) {
			if (!owns(s, user, groups) ||
			    (model != NULL && sub_model(s, model) == NULL))
				continue;
			if (n++ == 0)
				sub = s;
		}
		if (n == 0)
			return select_fail("not_found", "no matching "
			    "subscription found for user", "");
		if (n > 1)
			return select_fail("multiple_subscriptions", "user has "
			    "access to multiple subscriptions, must specify "
			    "subscription using X-MaaS-Subscription header", "");
		if (model != NULL)
			entry = sub_model(sub, model);
	}
	ph = phase(sub);
	ready = active(ph) && !deleting(sub);
	if (model != NULL) {
		if (!active(ph)) {
			msg = xasprintf("subscription is in %s phase (allowed: "
			    "Active, Degraded)", ph);
			o = select_fail("model_unhealthy", msg, ph);
			free(msg);
			return o;
		}
		if (strcmp(ph, "Degraded") == 0 && !trlp_ready(sub, entry))
			return select_fail("model_unhealthy", "subscription "
			    "rate limiting policies are not ready", ph);
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", meta(sub, "name"));
	cJSON_AddStringToObject(o, "namespace", meta(sub, "namespace"));
	add_meta_str(o, "displayName", annotation(sub,
	    "openshift.io/display-name"));
	add_meta_str(o, "description", annotation(sub,
	    "openshift.io/description"));
	cJSON_AddNumberToObject(o, "priority", json_num(sub, "spec.priority",
	    0));
	if ((s = json_path(sub, "spec.modelRefs")) != NULL)
		cJSON_AddItemToObject(o, "modelRefs", cJSON_Duplicate(s, 1));
	tm = json_path(sub, "spec.tokenMetadata");
	add_meta_str(o, "organizationId", json_str(tm, "organizationId"));
	add_meta_str(o, "costCenter", json_str(tm, "costCenter"));
	if (cJSON_GetArraySize(cJSON_GetObjectItem(tm, "labels")) > 0)
		cJSON_AddItemToObject(o, "labels", cJSON_Duplicate(
		    cJSON_GetObjectItem(tm, "labels"), 1));
	if (entry != NULL) {
		msg = xasprintf("%s/%s", json_str(entry, "namespace"),
		    json_str(entry, "name"));
		cJSON_AddStringToObject(o, "resolvedModel", msg);
		free(msg);
	}
	cJSON_AddBoolToObject(o, "accessAllowed", entry == NULL ? 1 :
	    allowed(user, groups, json_str(entry, "namespace"),
	    json_str(entry, "name")));
	cJSON_AddStringToObject(o, "phase", ph);
	cJSON_AddBoolToObject(o, "ready", ready);
	if (deleting(sub))
		cJSON_AddStringToObject(o, "deletionTimestamp",
		    json_str(sub, "metadata.deletionTimestamp"));
	return o;
}

/* ---- binding at mint ---- */

/* The largest single tokenRateLimits[].limit of a subscription. */
static double
max_limit(const cJSON *sub)
{
	const cJSON	*e, *l;
	double		 best = 0, v;

	cJSON_ArrayForEach(e, json_path(sub, "spec.modelRefs"))
		cJSON_ArrayForEach(l, cJSON_GetObjectItem(e, "tokenRateLimits"))
			if ((v = json_num(l, "limit", 0)) > best)
				best = v;
	return best;
}

/* §7.2: does a rank before b? */
static int
ranks_before(const cJSON *a, const cJSON *b)
{
	double	pa = json_num(a, "spec.priority", 0);
	double	pb = json_num(b, "spec.priority", 0);

	if (pa != pb)
		return pa > pb;
	if (max_limit(a) != max_limit(b))
		return max_limit(a) > max_limit(b);
	return strcmp(meta(a, "name"), meta(b, "name")) < 0;
}

void
mapi_bind_subscription(const char *user, const struct strlist *groups,
    const char *requested, struct mapi_bind *b)
{
	const cJSON	*s, *best = NULL;
	cJSON		*sel;
	const char	*ph;
	char		*req = NULL;
	size_t		 n;

	memset(b, 0, sizeof *b);
	if (requested != NULL) {
		while (*requested == ' ' || *requested == '\t' ||
		    *requested == '\n' || *requested == '\r')
			requested++;
		n = strlen(requested);
		while (n > 0 && (requested[n - 1] == ' ' ||
		    requested[n - 1] == '\t' || requested[n - 1] == '\n' ||
		    requested[n - 1] == '\r'))
			n--;
		if (n > 0)
			req = xstrndup(requested, n);
	}
	if (req == NULL) {
		cJSON_ArrayForEach(s, subs())
			if (owns(s, user, groups) &&
			    (best == NULL || ranks_before(s, best)))
				best = s;
		if (best == NULL)
			goto invalid;
		b->name = xstrdup(meta(best, "name"));
		return;
	}
	sel = maasapi_subscription_select(user, groups, req, NULL);
	free(req);
	if (json_str(sel, "error") != NULL) {
		cJSON_Delete(sel);
		goto invalid;
	}
	ph = json_str(sel, "phase");
	if (ph == NULL || *ph == '\0') {
		b->status = 400;
		b->error = "subscription is unreconciled (no status.phase set)";
		b->code = "subscription_not_ready";
	} else if (strcmp(ph, "Active") != 0 && strcmp(ph, "Degraded") != 0 &&
	    strcmp(ph, "Pending") != 0) {
		b->status = 403;
		b->error = b->error_buf = xasprintf("subscription is in %s "
		    "phase (cannot create API keys)", ph);
		b->code = "subscription_not_ready";
	} else
		b->name = xstrdup(json_str(sel, "name"));
	cJSON_Delete(sel);
	return;
invalid:
	b->status = 400;
	b->error = "Unable to resolve a subscription for this API key";
	b->code = "invalid_subscription";
}

void
mapi_bind_free(struct mapi_bind *b)
{
	free(b->name);
	free(b->error_buf);
	memset(b, 0, sizeof *b);
}

/* ---- GET /v1/subscriptions, /v1/model/{id}/subscriptions ---- */

/* ModelRefInfo for one modelRefs entry (namespace not serialized). */
static cJSON *
model_ref_info(const cJSON *entry)
{
	const cJSON	*m, *l, *br;
	cJSON		*o = cJSON_CreateObject(), *arr, *r;
	const char	*kind;

	cJSON_AddStringToObject(o, "name", json_str(entry, "name"));
	m = model_obj(json_str(entry, "namespace"), json_str(entry, "name"));
	if (m != NULL) {
		add_meta_str(o, "model_name",
		    json_str(m, "status.resolvedModelAlias"));
		add_meta_str(o, "display_name", annotation(m,
		    "openshift.io/display-name"));
		add_meta_str(o, "description", annotation(m,
		    "openshift.io/description"));
		if ((kind = json_str(m, "spec.modelRef.kind")) != NULL)
			cJSON_AddStringToObject(o, "source",
			    strcmp(kind, "ExternalModel") == 0 ? "external" :
			    "internal");
	}
	if (cJSON_GetArraySize(cJSON_GetObjectItem(entry,
	    "tokenRateLimits")) > 0) {
		arr = cJSON_AddArrayToObject(o, "token_rate_limits");
		cJSON_ArrayForEach(l, cJSON_GetObjectItem(entry,
		    "tokenRateLimits")) {
			r = cJSON_CreateObject();
			cJSON_AddNumberToObject(r, "limit",
			    json_num(l, "limit", 0));
			cJSON_AddStringToObject(r, "window",
			    json_str(l, "window") ? json_str(l, "window") : "");
			cJSON_AddItemToArray(arr, r);
		}
	}
	br = cJSON_GetObjectItem(entry, "billingRate");
	if (json_str(br, "perToken") != NULL) {
		r = cJSON_AddObjectToObject(o, "billing_rate");
		cJSON_AddStringToObject(r, "per_token",
		    json_str(br, "perToken"));
	}
	return o;
}

/* SubscriptionListItem with the model_refs the caller may use; NULL
 * when none is left. */
static cJSON *
sub_item(const cJSON *sub, const char *user, const struct strlist *groups)
{
	const cJSON	*e, *tm;
	cJSON		*o, *refs;
	const char	*d;

	refs = cJSON_CreateArray();
	cJSON_ArrayForEach(e, json_path(sub, "spec.modelRefs"))
		if (json_str(e, "name") != NULL &&
		    json_str(e, "namespace") != NULL && allowed(user, groups,
		    json_str(e, "namespace"), json_str(e, "name")))
			cJSON_AddItemToArray(refs, model_ref_info(e));
	if (cJSON_GetArraySize(refs) == 0) {
		cJSON_Delete(refs);
		return NULL;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "subscription_id_header", meta(sub, "name"));
	d = annotation(sub, "openshift.io/description");
	cJSON_AddStringToObject(o, "subscription_description", d ? d : "");
	add_meta_str(o, "display_name", annotation(sub,
	    "openshift.io/display-name"));
	cJSON_AddNumberToObject(o, "priority", json_num(sub, "spec.priority",
	    0));
	cJSON_AddItemToObject(o, "model_refs", refs);
	tm = json_path(sub, "spec.tokenMetadata");
	add_meta_str(o, "organization_id", json_str(tm, "organizationId"));
	add_meta_str(o, "cost_center", json_str(tm, "costCenter"));
	if (cJSON_GetArraySize(cJSON_GetObjectItem(tm, "labels")) > 0)
		cJSON_AddItemToObject(o, "labels", cJSON_Duplicate(
		    cJSON_GetObjectItem(tm, "labels"), 1));
	return o;
}

static int
by_sub_name(const void *a, const void *b)
{
	const cJSON	*x = *(const cJSON *const *)a;
	const cJSON	*y = *(const cJSON *const *)b;

	return strcmp(meta(x, "name"), meta(y, "name"));
}

/* The owned subscriptions of subs() in name order (array of borrowed
 * pointers, NULL-terminated; caller frees the array). */
static const cJSON **
owned_sorted(const char *user, const struct strlist *groups, size_t *np)
{
	const cJSON	**v, *s;
	size_t		  n = 0;

	v = xcalloc((size_t)cJSON_GetArraySize(subs()) + 1, sizeof *v);
	cJSON_ArrayForEach(s, subs())
		if (owns(s, user, groups))
			v[n++] = s;
	qsort(v, n, sizeof *v, by_sub_name);
	*np = n;
	return v;
}

void
mapi_subscriptions(struct sbx_req *q, const struct maas_caller *c)
{
	const cJSON	**v;
	cJSON		 *arr = cJSON_CreateArray(), *it;
	size_t		  i, n;

	srv_header(q, "Cache-Control", "no-store");
	v = owned_sorted(c->user, c->groups, &n);
	for (i = 0; i < n; i++)
		if (active(phase(v[i])) && !deleting(v[i]) &&
		    (it = sub_item(v[i], c->user, c->groups)) != NULL)
			cJSON_AddItemToArray(arr, it);
	free(v);
	mapi_reply_json(q, 200, arr);
}

void
mapi_model_subscriptions(struct sbx_req *q, const char *id,
    const struct maas_caller *c)
{
	const cJSON	**v, *e;
	cJSON		 *arr, *it;
	size_t		  i, n;
	int		  has;

	srv_header(q, "Cache-Control", "no-store");
	if (id == NULL || *id == '\0') {
		mapi_reply_oai(q, 400, "model-id is required",
		    "invalid_request_error");
		return;
	}
	arr = cJSON_CreateArray();
	v = owned_sorted(c->user, c->groups, &n);
	for (i = 0; i < n; i++) {
		has = 0;
		cJSON_ArrayForEach(e, json_path(v[i], "spec.modelRefs"))
			if (json_str(e, "name") != NULL &&
			    json_str(e, "namespace") != NULL &&
			    strcmp(json_str(e, "name"), id) == 0 &&
			    allowed(c->user, c->groups,
			    json_str(e, "namespace"), id))
				has = 1;
		if (has && (it = sub_item(v[i], c->user, c->groups)) != NULL)
			cJSON_AddItemToArray(arr, it);
	}
	free(v);
	mapi_reply_json(q, 200, arr);
}

/* ---- GET /v1/models ---- */

static long long
created_unix(const cJSON *m)
{
	const char	*ts = json_str(m, "metadata.creationTimestamp");
	struct tm	 tm;

	memset(&tm, 0, sizeof tm);
	if (ts == NULL || strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return 0;
	return (long long)timegm(&tm);
}

static char *
model_url(const cJSON *m)
{
	const cJSON	*h = json_path(m, "status.httpRouteHostnames");
	const char	*ep;

	if (cJSON_IsArray(h) && cJSON_IsString(cJSON_GetArrayItem(h, 0)) &&
	    cJSON_GetArrayItem(h, 0)->valuestring[0] != '\0')
		return xasprintf("https://%s",
		    cJSON_GetArrayItem(h, 0)->valuestring);
	ep = json_str(m, "status.endpoint");
	return xstrdup(ep != NULL ? ep : "");
}

static cJSON *
model_details(const cJSON *m)
{
	static const struct { const char *ann, *field; } map[] = {
		{ "openshift.io/display-name", "displayName" },
		{ "openshift.io/description", "description" },
		{ "opendatahub.io/genai-use-case", "genaiUseCase" },
		{ "opendatahub.io/context-window", "contextWindow" },
	};
	cJSON		*d = NULL, *caps, *it, *c;
	const char	*v;
	size_t		 i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if ((v = annotation(m, map[i].ann)) != NULL) {
			if (d == NULL)
				d = cJSON_CreateObject();
			cJSON_AddStringToObject(d, map[i].field, v);
		}
	if ((v = annotation(m, "opendatahub.io/model-capabilities")) != NULL &&
	    (caps = cJSON_Parse(v)) != NULL) {
		if (cJSON_IsArray(caps)) {
			if (d == NULL)
				d = cJSON_CreateObject();
			it = cJSON_CreateArray();
			cJSON_ArrayForEach(c, caps)
				if (cJSON_IsString(c))
					cJSON_AddItemToArray(it,
					    cJSON_CreateString(c->valuestring));
			cJSON_AddItemToObject(d, "modelCapabilities", it);
		}
		cJSON_Delete(caps);
	}
	return d;
}

/* Add (or merge into) the model object of m for subscription sub. */
static void
add_model(cJSON *data, const cJSON *m, const cJSON *sub)
{
	cJSON		*o, *subsl, *s, *d;
	const char	*id = model_id(m), *v;
	char		*url = model_url(m), *owned;

	owned = xasprintf("%s/%s", meta(m, "namespace"), meta(m, "name"));
	cJSON_ArrayForEach(o, data)
		if (strcmp(json_str(o, "id"), id) == 0 &&
		    strcmp(json_str(o, "url"), url) == 0 &&
		    strcmp(json_str(o, "owned_by"), owned) == 0)
			break;
	if (o == NULL) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", id);
		cJSON_AddStringToObject(o, "object", "model");
		cJSON_AddNumberToObject(o, "created", (double)created_unix(m));
		cJSON_AddStringToObject(o, "owned_by", owned);
		v = json_str(m, "spec.modelRef.kind");
		cJSON_AddStringToObject(o, "kind", v ? v : "");
		cJSON_AddStringToObject(o, "url", url);
		cJSON_AddTrueToObject(o, "ready");
		if ((d = model_details(m)) != NULL)
			cJSON_AddItemToObject(o, "modelDetails", d);
		cJSON_AddArrayToObject(o, "subscriptions");
		cJSON_AddItemToArray(data, o);
	}
	subsl = cJSON_GetObjectItem(o, "subscriptions");
	cJSON_ArrayForEach(s, subsl)
		if (strcmp(json_str(s, "name"), meta(sub, "name")) == 0)
			goto out;
	s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "name", meta(sub, "name"));
	add_meta_str(s, "displayName", annotation(sub,
	    "openshift.io/display-name"));
	add_meta_str(s, "description", annotation(sub,
	    "openshift.io/description"));
	cJSON_AddItemToArray(subsl, s);
out:
	free(url);
	free(owned);
}

/* Every Ready model of sub the caller is granted, into data. */
static void
add_sub_models(cJSON *data, const cJSON *sub, const struct maas_caller *c)
{
	const cJSON	*e, *m;

	cJSON_ArrayForEach(e, json_path(sub, "spec.modelRefs")) {
		m = model_obj(json_str(e, "namespace"), json_str(e, "name"));
		if (m == NULL || strcmp(phase(m), "Ready") != 0 ||
		    !allowed(c->user, c->groups, json_str(e, "namespace"),
		    json_str(e, "name")))
			continue;
		add_model(data, m, sub);
	}
}

static int
by_model(const void *a, const void *b)
{
	const cJSON	*x = *(const cJSON *const *)a;
	const cJSON	*y = *(const cJSON *const *)b;
	int		 r;

	if ((r = strcmp(json_str(x, "id"), json_str(y, "id"))) != 0)
		return r;
	if ((r = strcmp(json_str(x, "url"), json_str(y, "url"))) != 0)
		return r;
	return strcmp(json_str(x, "owned_by"), json_str(y, "owned_by"));
}

void
mapi_models(struct sbx_req *q, const struct maas_caller *c)
{
	struct strlist	 kg = STRLIST_INIT;
	const cJSON	*s, *sel_sub = NULL;
	cJSON		*out, *data, *sel = NULL, *sorted, **v;
	const char	*auth, *tok, *hdr, *err;
	char		*kuser = NULL, *ksub = NULL, *t;
	int		 is_key, n, i;

	srv_header(q, "Cache-Control", "no-store");
	t = mapi_rfc3339(mapi_now_us() / 1000000);
	srv_header(q, "X-Access-Checked-At", t);
	free(t);
	auth = mapi_header_last(q, "Authorization");
	if (auth == NULL) {
		mapi_reply_oai(q, 401, "Authorization required",
		    "authentication_error");
		return;
	}
	tok = strncasecmp(auth, "Bearer ", 7) == 0 ? auth + 7 : auth;
	while (*tok == ' ')
		tok++;
	is_key = strncmp(tok, "sk-oai-", 7) == 0;
	if (is_key) {
		/* What the gateway injects: the key's bound subscription. */
		if (maasapi_key_check(tok, &kuser, &kg, &ksub) != NULL ||
		    ksub == NULL || *ksub == '\0') {
			mapi_reply_oai(q, 403, "API key has no subscription "
			    "bound", "permission_error");
			goto out;
		}
		hdr = ksub;
	} else
		hdr = mapi_header_last(q, "X-MaaS-Subscription");
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "object", "list");
	data = cJSON_AddArrayToObject(out, "data");
	if (hdr != NULL) {
		sel = maasapi_subscription_select(c->user, c->groups, hdr,
		    NULL);
		if ((err = json_str(sel, "error")) != NULL) {
			cJSON_Delete(out);
			if (strcmp(err, "not_found") == 0 ||
			    strcmp(err, "access_denied") == 0)
				mapi_reply_oai(q, 403, "access denied to "
				    "requested subscription",
				    "permission_error");
			else if (strcmp(err, "multiple_subscriptions") == 0)
				mapi_reply_oai(q, 403, "API key has no "
				    "subscription bound", "permission_error");
			else
				mapi_reply_oai(q, 403, json_str(sel, "message"),
				    "permission_error");
			goto out;
		}
		cJSON_ArrayForEach(s, subs())
			if (strcmp(meta(s, "name"), json_str(sel, "name")) == 0)
				sel_sub = s;
		if (sel_sub != NULL)
			add_sub_models(data, sel_sub, c);
	} else {
		cJSON_ArrayForEach(s, subs())
			if (owns(s, c->user, c->groups) &&
			    active(phase(s)) && !deleting(s))
				add_sub_models(data, s, c);
	}
	/* Sort by id, url, owned_by. */
	n = cJSON_GetArraySize(data);
	v = xcalloc((size_t)n + 1, sizeof *v);
	for (i = 0; i < n; i++)
		v[i] = cJSON_DetachItemFromArray(data, 0);
	qsort(v, (size_t)n, sizeof *v, by_model);
	sorted = data;
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(sorted, v[i]);
	free(v);
	mapi_reply_json(q, 200, out);
out:
	cJSON_Delete(sel);
	free(kuser);
	free(ksub);
	sl_free(&kg);
}
