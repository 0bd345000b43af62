/*
 * gw_policy.c: which model a request is for, whether the caller may use
 * it and under which subscription's token limits, read straight from the
 * stored objects on every request (no controller needed, no staleness).
 *
 * Model identity (MAAS-RESOURCES.md section 9): a path /<ns>/<name>/...
 * names the backend (the HTTPRoute KServe makes for an
 * LLMInferenceService, or the legacy ExternalModel's route); a body
 * "model" names a MaaSModelRef by its status.resolvedModelAlias, by the
 * alias publishers/<ns>/models/<spec.model.name> of its
 * LLMInferenceService, by its ExternalModel's name, or by its own name.
 *
 * Subscription selection is maas-api's /internal/v1/subscriptions/select
 * (MAAS-API.md section 7.3, 7.4) with its error codes and messages, and
 * access is MaaSAuthPolicy's subjects (section 7.1); both only in the
 * tenant namespace models-as-a-service.  A subscription's phase is its
 * status.phase; before the controller has written one, it is derived from
 * the spec as the controller would (all model refs exist: Active; some:
 * Degraded; none: Failed).  The limits are the subscription's
 * tokenRateLimits for the model (what maas-trlp-<model> carries); a model
 * without a MaaSModelRef, or without a valid limit, gets no per-route
 * TokenRateLimitPolicy, so gateway-default-deny (limit 0) applies while it
 * exists.
 */
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "gw.h"
#include "json.h"

#define G_MAAS		"maas.opendatahub.io"
#define G_KSERVE	"serving.kserve.io"
#define G_KUADRANT	"kuadrant.io"

cJSON *
gw_get(const char *grp, const char *res, const char *ns, const char *name)
{
	char	*s;
	cJSON	*o;

	if (api_store() == NULL)
		return NULL;
	if ((s = store_get(api_store(), grp, res, ns, name)) == NULL)
		return NULL;
	o = cJSON_Parse(s);
	free(s);
	return o;
}

/* Every stored object of grp/res in ns (NULL: all), as an array. */
static cJSON *
gw_list(const char *grp, const char *res, const char *ns)
{
	return store_list_json(api_store(), grp, res, ns);
}

static int
streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

void
gw_model_free(struct gw_model *m)
{
	free(m->ns);
	free(m->name);
	free(m->kind);
	free(m->backend);
	memset(m, 0, sizeof *m);
}

static void
model_set(struct gw_model *m, const char *ns, const char *name,
    const char *kind, const char *backend, int has_ref)
{
	m->ns = xstrdup(ns);
	m->name = xstrdup(name);
	m->kind = xstrdup(kind);
	m->backend = xstrdup(backend);
	m->has_ref = has_ref;
}

/* The MaaSModelRef in ns whose backend is kind/name, or NULL. */
static const cJSON *
ref_for(const cJSON *refs, const char *ns, const char *kind, const char *name)
{
	const cJSON	*r;

	cJSON_ArrayForEach(r, refs)
		if (streq(json_str(r, "metadata.namespace"), ns) &&
		    streq(json_str(r, "spec.modelRef.kind"), kind) &&
		    streq(json_str(r, "spec.modelRef.name"), name))
			return r;
	return NULL;
}

int
gw_model_by_path(const char *ns, const char *name, struct gw_model *m)
{
	cJSON		*b, *refs;
	const cJSON	*r;
	const char	*kind = "LLMInferenceService";

	memset(m, 0, sizeof *m);
	if ((b = gw_get(G_KSERVE, "llminferenceservices", ns, name)) == NULL) {
		if ((b = gw_get(G_MAAS, "externalmodels", ns, name)) == NULL)
			return -1;
		kind = "ExternalModel";
	}
	cJSON_Delete(b);
	refs = gw_list(G_MAAS, "maasmodelrefs", ns);
	if ((r = ref_for(refs, ns, kind, name)) != NULL)
		model_set(m, ns, json_str(r, "metadata.name"), kind, name, 1);
	else
		model_set(m, ns, name, kind, name, 0);
	cJSON_Delete(refs);
	return 0;
}

/* publishers/<ns>/models/<spec.model.name> of an LLMInferenceService. */
static char *
llmis_alias(const cJSON *is)
{
	const char	*ns = json_str(is, "metadata.namespace");
	const char	*mn = json_str(is, "spec.model.name");

	if (ns == NULL)
		return NULL;
	return xasprintf("publishers/%s/models/%s", ns, mn ? mn :
	    json_str(is, "metadata.name"));
}

int
gw_model_by_id(const char *id, struct gw_model *m)
{
	cJSON		*refs, *is = NULL, *ems = NULL;
	const cJSON	*r, *b;
	const char	*ns, *kind, *bname, *alias;
	char		*a;
	int		 rc = -1, hit;

	memset(m, 0, sizeof *m);
	refs = gw_list(G_MAAS, "maasmodelrefs", NULL);
	cJSON_ArrayForEach(r, refs) {
		ns = json_str(r, "metadata.namespace");
		kind = json_str(r, "spec.modelRef.kind");
		bname = json_str(r, "spec.modelRef.name");
		if (ns == NULL || kind == NULL || bname == NULL)
			continue;
		alias = json_str(r, "status.resolvedModelAlias");
		hit = streq(alias, id) || streq(json_str(r, "metadata.name"),
		    id);
		if (!hit && strcmp(kind, "ExternalModel") == 0)
			hit = streq(bname, id);
		if (!hit && strcmp(kind, "LLMInferenceService") == 0 &&
		    (b = gw_get(G_KSERVE, "llminferenceservices", ns,
		    bname)) != NULL) {
			a = llmis_alias(b);
			hit = streq(a, id);
			free(a);
			cJSON_Delete((cJSON *)b);
		}
		if (hit) {
			model_set(m, ns, json_str(r, "metadata.name"), kind,
			    bname, 1);
			rc = 0;
			goto out;
		}
	}
	/* A backend no MaaSModelRef governs: routable, never authorized. */
	is = gw_list(G_KSERVE, "llminferenceservices", NULL);
	cJSON_ArrayForEach(b, is) {
		a = llmis_alias(b);
		hit = streq(a, id);
		free(a);
		if (hit) {
			model_set(m, json_str(b, "metadata.namespace"),
			    json_str(b, "metadata.name"),
			    "LLMInferenceService", json_str(b,
			    "metadata.name"), 0);
			rc = 0;
			goto out;
		}
	}
	ems = gw_list(G_MAAS, "externalmodels", NULL);
	cJSON_ArrayForEach(b, ems)
		if (streq(json_str(b, "metadata.name"), id)) {
			model_set(m, json_str(b, "metadata.namespace"), id,
			    "ExternalModel", id, 0);
			rc = 0;
			goto out;
		}
out:
	cJSON_Delete(refs);
	cJSON_Delete(is);
	cJSON_Delete(ems);
	return rc;
}

void
gw_grant_free(struct gw_grant *g)
{
	size_t	i;

	free(g->sub_ns);
	free(g->sub);
	for (i = 0; i < g->nrates; i++)
		free(g->rates[i].window_text);
	free(g->rates);
	free(g->message);
	memset(g, 0, sizeof *g);
}

static int
in_groups(const cJSON *arr, const struct strlist *groups)
{
	const cJSON	*it;
	const char	*n;

	cJSON_ArrayForEach(it, arr) {
		n = cJSON_IsString(it) ? it->valuestring :
		    json_str(it, "name");
		if (n != NULL && sl_has(groups, n))
			return 1;
	}
	return 0;
}

static int
in_users(const cJSON *arr, const char *user)
{
	const cJSON	*it;

	cJSON_ArrayForEach(it, arr)
		if (cJSON_IsString(it) && strcmp(it->valuestring, user) == 0)
			return 1;
	return 0;
}

/* Does the caller own the subscription (section 7.1)? */
static int
owns(const cJSON *sub, const struct gw_ident *id)
{
	return in_users(json_path(sub, "spec.owner.users"), id->user) ||
	    in_groups(json_path(sub, "spec.owner.groups"), &id->groups);
}

/* The subscription's modelRefs entry for m, or NULL. */
static const cJSON *
sub_entry(const cJSON *sub, const struct gw_model *m)
{
	const cJSON	*e;

	cJSON_ArrayForEach(e, json_path(sub, "spec.modelRefs"))
		if (streq(json_str(e, "name"), m->name) &&
		    streq(json_str(e, "namespace"), m->ns))
			return e;
	return NULL;
}

/* status.phase, or what the controller would derive from the spec. */
static const char *
sub_phase(const cJSON *sub)
{
	const char	*p = json_str(sub, "status.phase");
	const cJSON	*e;
	cJSON		*r;
	int		 n = 0, found = 0;

	if (p != NULL && *p != '\0')
		return p;
	cJSON_ArrayForEach(e, json_path(sub, "spec.modelRefs")) {
		n++;
		if (json_str(e, "name") == NULL ||
		    json_str(e, "namespace") == NULL)
			continue;
		if ((r = gw_get(G_MAAS, "maasmodelrefs", json_str(e,
		    "namespace"), json_str(e, "name"))) != NULL) {
			found++;
			cJSON_Delete(r);
		}
	}
	return found == 0 ? "Failed" : found < n ? "Degraded" : "Active";
}

/* Is the model's TokenRateLimitPolicy ready, as the subscription's status
 * reports it (no status entry: nothing says otherwise)? */
static int
trlp_ready(const cJSON *sub, const struct gw_model *m)
{
	const cJSON	*s;

	if (!m->has_ref)
		return 0;
	cJSON_ArrayForEach(s, json_path(sub, "status.tokenRateLimitStatuses")) {
		if (!streq(json_str(s, "model"), m->name))
			continue;
		if (json_str(s, "namespace") != NULL &&
		    !streq(json_str(s, "namespace"), m->ns))
			continue;
		return json_bool(s, "ready", 0);
	}
	return 1;
}

/* Does a MaaSAuthPolicy grant the caller model m (require-group-membership)? */
static int
access_allowed(const struct gw_ident *id, const struct gw_model *m)
{
	cJSON		*pols = gw_list(G_MAAS, "maasauthpolicies", GW_TENANT_NS);
	const cJSON	*p, *r;
	int		 ok = 0, lists;

	cJSON_ArrayForEach(p, pols) {
		lists = 0;
		cJSON_ArrayForEach(r, json_path(p, "spec.modelRefs"))
			if (streq(json_str(r, "name"), m->name) &&
			    streq(json_str(r, "namespace"), m->ns))
				lists = 1;
		if (lists && (in_users(json_path(p, "spec.subjects.users"),
		    id->user) || in_groups(json_path(p,
		    "spec.subjects.groups"), &id->groups))) {
			ok = 1;
			break;
		}
	}
	cJSON_Delete(pols);
	return ok;
}

static int
deny(struct gw_grant *g, const char *code, char *message)
{
	g->error = code;
	g->message = message;
	return -1;
}

/* Fill g's rates from the subscription's entry for the model. */
static void
grant_rates(struct gw_grant *g, const cJSON *entry, const struct gw_model *m)
{
	const cJSON	*r;
	const char	*w;
	double		 secs, lim;
	int		 n;
	cJSON		*dd;

	n = cJSON_GetArraySize(json_path(entry, "tokenRateLimits"));
	g->rates = xcalloc((size_t)n + 1, sizeof *g->rates);
	cJSON_ArrayForEach(r, json_path(entry, "tokenRateLimits")) {
		w = json_str(r, "window");
		lim = json_num(r, "limit", -1);
		/* The controller skips limits it cannot translate. */
		if (w == NULL || lim < 1 || duration_window(w, &secs,
		    NULL) != 0 || secs <= 0 || secs > 8784 * 3600.0)
			continue;
		g->rates[g->nrates].limit = (long long)lim;
		g->rates[g->nrates].window = secs;
		g->rates[g->nrates].window_text = xstrdup(w);
		g->nrates++;
	}
	if (g->nrates > 0 && m->has_ref)
		return;
	/* No per-route TokenRateLimitPolicy: gateway-default-deny. */
	for (n = 0; (size_t)n < g->nrates; n++)
		free(g->rates[n].window_text);
	g->nrates = 0;
	if ((dd = gw_get(G_KUADRANT, "tokenratelimitpolicies", GW_GATEWAY_NS,
	    "gateway-default-deny")) != NULL) {
		g->default_deny = 1;
		cJSON_Delete(dd);
	}
}

int
gw_authorize(const struct gw_ident *id, const struct gw_model *m,
    const char *requested, struct gw_grant *g)
{
	cJSON		*subs;
	const cJSON	*s, *pick = NULL, *entry;
	const char	*slash, *want_ns = NULL, *phase;
	char		*want = NULL, *ns = NULL;
	int		 n = 0, rc = -1;

	memset(g, 0, sizeof *g);
	subs = gw_list(G_MAAS, "maassubscriptions", GW_TENANT_NS);
	if (requested != NULL && *requested != '\0') {
		if ((slash = strchr(requested, '/')) != NULL) {
			ns = xstrndup(requested, (size_t)(slash - requested));
			want_ns = ns;
			want = xstrdup(slash + 1);
		} else
			want = xstrdup(requested);
		cJSON_ArrayForEach(s, subs)
			if (streq(json_str(s, "metadata.name"), want) &&
			    (want_ns == NULL || streq(json_str(s,
			    "metadata.namespace"), want_ns))) {
				pick = s;
				break;
			}
		if (pick == NULL) {
			deny(g, "not_found",
			    xstrdup("requested subscription not found"));
			goto out;
		}
		if (!owns(pick, id)) {
			deny(g, "access_denied",
			    xstrdup("access denied to requested subscription"));
			goto out;
		}
		if (sub_entry(pick, m) == NULL) {
			deny(g, "model_not_in_subscription", xasprintf(
			    "subscription %s does not include model %s/%s",
			    want, m->ns, m->name));
			goto out;
		}
	} else {
		cJSON_ArrayForEach(s, subs)
			if (owns(s, id) && sub_entry(s, m) != NULL &&
			    json_str(s, "metadata.deletionTimestamp") == NULL) {
				if (n++ == 0)
					pick = s;
			}
		if (n == 0) {
			deny(g, "not_found",
			    xstrdup("no matching subscription found for user"));
			goto out;
		}
		if (n > 1) {
			deny(g, "multiple_subscriptions", xstrdup("user has "
			    "access to multiple subscriptions, must specify "
			    "subscription using X-MaaS-Subscription header"));
			goto out;
		}
	}
	phase = sub_phase(pick);
	if (json_str(pick, "metadata.deletionTimestamp") != NULL ||
	    (strcmp(phase, "Active") != 0 && strcmp(phase, "Degraded") != 0)) {
		deny(g, "model_unhealthy", xasprintf("subscription is in %s "
		    "phase (allowed: Active, Degraded)", phase));
		goto out;
	}
	if (strcmp(phase, "Degraded") == 0 && !trlp_ready(pick, m)) {
		deny(g, "model_unhealthy", xstrdup("subscription rate limiting "
		    "policies are not ready"));
		goto out;
	}
	if (!access_allowed(id, m)) {
		/* require-group-membership: no subscription-info error. */
		deny(g, NULL, NULL);
		goto out;
	}
	g->sub_ns = xstrdup(json_str(pick, "metadata.namespace"));
	g->sub = xstrdup(json_str(pick, "metadata.name"));
	entry = sub_entry(pick, m);
	grant_rates(g, entry, m);
	rc = 0;
out:
	free(want);
	free(ns);
	cJSON_Delete(subs);
	return rc;
}
