/*
 * tier.c: `maasctl tier ...`: the legacy tier system (MAAS-RESOURCES.md
 * §13) and its migration to MaaSSubscription + MaaSAuthPolicy pairs.
 *
 *  - Tiers live in the ConfigMap tier-to-group-mapping (namespace maas-api
 *    by default) under the data key "tiers": a YAML list of {name,
 *    displayName, description, level, groups}.
 *  - Their limits live where the legacy gateway policies kept them: token
 *    limits in TokenRateLimitPolicy gateway-token-rate-limits and request
 *    limits in RateLimitPolicy gateway-rate-limits (gateway namespace), one
 *    limit per tier keyed by its name with the predicate
 *    auth.identity.tier == "<tier>" and the counter auth.identity.userid.
 *  - A model's tiers are the JSON array annotation
 *    alpha.maas.opendatahub.io/tiers on its LLMInferenceService; "[]"
 *    means every tier, no annotation means none.
 *  - resolve: tiers sorted by level (stable, descending); the first one
 *    holding one of the groups wins; every tier also holds
 *    system:serviceaccounts:maas-default-gateway-tier-<tier>.
 *  - migrate: per tier, MaaSModelRefs for its models, MaaSAuthPolicy
 *    <tier>-models-access and MaaSSubscription <tier>-models-subscription
 *    with the tier's groups and token limits, labelled as the upstream
 *    script labels them (migration.maas.opendatahub.io/...).
 * Comments in the ConfigMap's YAML are not kept when maasctl rewrites it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "duration.h"
#include "json.h"
#include "kubectx.h"
#include "maasval.h"
#include "output.h"
#include "yaml.h"

#define TIER_CM		"tier-to-group-mapping"
#define TIER_ANN	"alpha.maas.opendatahub.io/tiers"
#define TIER_GATEWAY	"maas-default-gateway"
#define TOKEN_POLICY	"gateway-token-rate-limits"
#define REQUEST_POLICY	"gateway-rate-limits"
#define MIG_PREFIX	"migration.maas.opendatahub.io/"

static struct {
	const char	*tiers_ns;
	const char	*gateway_ns;
	const char	*sub_ns;
	const char	*display;
	const char	*description;
	long		 level;
	int		 level_set;
	struct strlist	 groups;
	struct strlist	 add_groups;
	struct strlist	 rm_groups;
	struct strlist	 token_limits;
	struct strlist	 request_limits;
	struct strlist	 only;
	int		 all_tiers;
	int		 none;
	int		 dry_run;
	int		 no_headers;
} T = { .tiers_ns = "maas-api", .gateway_ns = "openshift-ingress",
    .sub_ns = "models-as-a-service" };

/* ---- the tier list ---- */

struct tier {
	char		*name;
	char		*display;	/* NULL: not set */
	char		*desc;
	long		 level;
	struct strlist	 groups;
	size_t		 order;		/* position in the ConfigMap */
};

struct tiers {
	struct tier	*v;
	size_t		 n;
	cJSON		*cm;		/* the ConfigMap; NULL when absent */
};

static void
tiers_free(struct tiers *ts)
{
	size_t	i;

	for (i = 0; i < ts->n; i++) {
		free(ts->v[i].name);
		free(ts->v[i].display);
		free(ts->v[i].desc);
		sl_free(&ts->v[i].groups);
	}
	free(ts->v);
	cJSON_Delete(ts->cm);
	memset(ts, 0, sizeof *ts);
}

static struct tier *
tier_find(struct tiers *ts, const char *name)
{
	size_t	i;

	for (i = 0; i < ts->n; i++)
		if (strcmp(ts->v[i].name, name) == 0)
			return &ts->v[i];
	return NULL;
}

static int
blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

/* Parse data.tiers as maas-api does; -1 with a message naming the entry. */
static int
tiers_parse(struct tiers *ts, const char *yaml, struct err *e)
{
	cJSON		*doc;
	const cJSON	*it, *g, *lv;
	struct err	 ye = ERR_INIT;
	struct tier	*t;
	const char	*name, *dn;

	if ((doc = yaml_parse(yaml, strlen(yaml), &ye)) == NULL) {
		err_set(e, EXIT_ERR, "ConfigMap %s/%s: data.tiers is not "
		    "valid YAML: %s", T.tiers_ns, TIER_CM, ye.msg ? ye.msg :
		    "parse error");
		err_clear(&ye);
		return -1;
	}
	if (cJSON_IsNull(doc)) {
		cJSON_Delete(doc);
		return 0;
	}
	if (!cJSON_IsArray(doc)) {
		cJSON_Delete(doc);
		return err_set(e, EXIT_ERR, "ConfigMap %s/%s: data.tiers must "
		    "be a YAML list of tiers", T.tiers_ns, TIER_CM);
	}
	cJSON_ArrayForEach(it, doc) {
		name = json_str(it, "name");
		if (name == NULL || *name == '\0') {
			cJSON_Delete(doc);
			return err_set(e, EXIT_ERR, "ConfigMap %s/%s: tier %zu "
			    "has no name", T.tiers_ns, TIER_CM, ts->n + 1);
		}
		if (tier_find(ts, name) != NULL) {
			cJSON_Delete(doc);
			return err_set(e, EXIT_ERR, "ConfigMap %s/%s: tier "
			    "\"%s\" is listed twice", T.tiers_ns, TIER_CM,
			    name);
		}
		dn = json_str(it, "displayName");
		if (dn != NULL && blank(dn)) {
			cJSON_Delete(doc);
			return err_set(e, EXIT_ERR, "ConfigMap %s/%s: tier "
			    "\"%s\" has a blank displayName", T.tiers_ns,
			    TIER_CM, name);
		}
		lv = cJSON_GetObjectItemCaseSensitive(it, "level");
		if (lv != NULL && !cJSON_IsNull(lv) && (!cJSON_IsNumber(lv) ||
		    lv->valuedouble != (double)(long)lv->valuedouble)) {
			cJSON_Delete(doc);
			return err_set(e, EXIT_ERR, "ConfigMap %s/%s: tier "
			    "\"%s\" has a level that is not an integer",
			    T.tiers_ns, TIER_CM, name);
		}
		ts->v = xrealloc(ts->v, (ts->n + 1) * sizeof *ts->v);
		t = &ts->v[ts->n];
		memset(t, 0, sizeof *t);
		t->name = xstrdup(name);
		t->display = dn ? xstrdup(dn) : NULL;
		t->desc = json_str(it, "description") ?
		    xstrdup(json_str(it, "description")) : NULL;
		t->level = cJSON_IsNumber(lv) ? (long)lv->valuedouble : 0;
		t->order = ts->n++;
		cJSON_ArrayForEach(g, cJSON_GetObjectItem(it, "groups"))
			if (cJSON_IsString(g) && !sl_has(&t->groups,
			    g->valuestring))
				sl_add(&t->groups, g->valuestring);
	}
	cJSON_Delete(doc);
	return 0;
}

static void
res_configmaps(struct kube_resource *r)
{
	kube_resource_set(r, "", "v1", "configmaps", "ConfigMap", 1);
}

/* Load the tiers; a missing ConfigMap is an empty list unless required. */
static int
tiers_load(struct kube *k, struct tiers *ts, int required, struct err *e)
{
	struct kube_resource	 r;
	struct err		 ge = ERR_INIT;
	const char		*y;
	int			 rc;

	memset(ts, 0, sizeof *ts);
	res_configmaps(&r);
	rc = kube_get(k, &r, T.tiers_ns, TIER_CM, &ts->cm, &ge);
	kube_resource_free(&r);
	if (rc != 0) {
		if (ge.code != EXIT_NOTFOUND) {
			err_move(e, &ge);
			return -1;
		}
		err_clear(&ge);
		ts->cm = NULL;
		if (!required)
			return 0;
		err_set(e, EXIT_NOTFOUND, "tier mapping not found, provide "
		    "configuration in %s (namespace %s)", TIER_CM,
		    T.tiers_ns);
		err_hint(e, "create a tier with `maasctl tier create NAME "
		    "--group G`, or name the namespace with --tiers-namespace");
		return -1;
	}
	if ((y = json_str(ts->cm, "data.tiers")) == NULL)
		return 0;
	if (tiers_parse(ts, y, e) != 0) {
		tiers_free(ts);
		return -1;
	}
	return 0;
}

static cJSON *
tier_json(const struct tier *t)
{
	cJSON	*o = cJSON_CreateObject(), *g;
	size_t	 i;

	cJSON_AddStringToObject(o, "name", t->name);
	if (t->display)
		cJSON_AddStringToObject(o, "displayName", t->display);
	if (t->desc)
		cJSON_AddStringToObject(o, "description", t->desc);
	cJSON_AddNumberToObject(o, "level", (double)t->level);
	g = cJSON_AddArrayToObject(o, "groups");
	for (i = 0; i < t->groups.n; i++)
		cJSON_AddItemToArray(g, cJSON_CreateString(t->groups.v[i]));
	return o;
}

/* One scalar as YAML (quoted where YAML needs it), without newline. */
static void
yaml_scalar(struct strbuf *sb, const char *s)
{
	cJSON	*v = cJSON_CreateString(s);
	char	*y = yaml_emit(v);
	size_t	 n = strlen(y);

	while (n > 0 && y[n - 1] == '\n')
		n--;
	sb_add(sb, y, n);
	free(y);
	cJSON_Delete(v);
}

/* The tiers list in the field order of the platform's sample (name
 * first), which yaml_emit's sorted keys would not keep. */
static char *
tiers_yaml(const struct tiers *ts)
{
	struct strbuf		 sb = STRBUF_INIT;
	const struct tier	*t;
	size_t			 i, j;

	sb_init(&sb);
	if (ts->n == 0)
		sb_adds(&sb, "[]\n");
	for (i = 0; i < ts->n; i++) {
		t = &ts->v[i];
		sb_adds(&sb, "- name: ");
		yaml_scalar(&sb, t->name);
		if (t->display) {
			sb_adds(&sb, "\n  displayName: ");
			yaml_scalar(&sb, t->display);
		}
		if (t->desc) {
			sb_adds(&sb, "\n  description: ");
			yaml_scalar(&sb, t->desc);
		}
		sb_addf(&sb, "\n  level: %ld\n  groups:\n", t->level);
		for (j = 0; j < t->groups.n; j++) {
			sb_adds(&sb, "    - ");
			yaml_scalar(&sb, t->groups.v[j]);
			sb_addc(&sb, '\n');
		}
	}
	return sb_detach(&sb);
}

/* Write the tiers back (create the ConfigMap when absent), with the
 * resourceVersion read as the precondition: a concurrent edit is 409. */
static int
tiers_save(struct kube *k, struct tiers *ts, struct err *e)
{
	struct kube_resource	 r;
	struct kube_write_opts	 wo = KUBE_WRITE_OPTS_INIT;
	cJSON			*cm, *md, *data;
	char			*y;
	int			 rc;

	y = tiers_yaml(ts);
	wo.dry_run = T.dry_run;
	wo.field_manager = "maasctl";
	res_configmaps(&r);
	if (ts->cm == NULL) {
		cm = cJSON_CreateObject();
		cJSON_AddStringToObject(cm, "apiVersion", "v1");
		cJSON_AddStringToObject(cm, "kind", "ConfigMap");
		md = cJSON_AddObjectToObject(cm, "metadata");
		cJSON_AddStringToObject(md, "name", TIER_CM);
		cJSON_AddStringToObject(md, "namespace", T.tiers_ns);
		json_set_str(md, "labels.app", "maas-api");
		json_set_str(md, "labels.component", "tier-mapping");
		cJSON_AddStringToObject(json_obj(md, "annotations"),
		    "opendatahub.io/managed", "false");
		data = cJSON_AddObjectToObject(cm, "data");
		cJSON_AddStringToObject(data, "tiers", y);
		rc = kube_create(k, &r, T.tiers_ns, cm, &wo, NULL, e);
		cJSON_Delete(cm);
	} else {
		data = json_obj(ts->cm, "data");
		cJSON_DeleteItemFromObjectCaseSensitive(data, "tiers");
		cJSON_AddStringToObject(data, "tiers", y);
		rc = kube_replace(k, &r, T.tiers_ns, ts->cm, NULL, &wo, NULL,
		    e);
	}
	kube_resource_free(&r);
	free(y);
	return rc;
}

/* ---- limits (legacy gateway policies) ---- */

enum limit_kind { LIM_TOKENS, LIM_REQUESTS };

static void
res_policy(struct kube_resource *r, enum limit_kind lk)
{
	if (lk == LIM_TOKENS)
		kube_resource_set(r, "kuadrant.io", "v1alpha1",
		    "tokenratelimitpolicies", "TokenRateLimitPolicy", 1);
	else
		kube_resource_set(r, "kuadrant.io", "v1", "ratelimitpolicies",
		    "RateLimitPolicy", 1);
}

/* The policy object, or NULL when absent (not an error). */
static int
policy_load(struct kube *k, enum limit_kind lk, cJSON **out, struct err *e)
{
	struct kube_resource	 r;
	struct err		 ge = ERR_INIT;
	int			 rc;

	*out = NULL;
	res_policy(&r, lk);
	rc = kube_get(k, &r, T.gateway_ns, lk == LIM_TOKENS ? TOKEN_POLICY :
	    REQUEST_POLICY, out, &ge);
	kube_resource_free(&r);
	if (rc == 0)
		return 0;
	if (ge.code == EXIT_NOTFOUND) {
		err_clear(&ge);
		*out = NULL;
		return 0;
	}
	err_move(e, &ge);
	return -1;
}

/* "50000/1m, 500/1h" for a tier's rates in a loaded policy, or NULL. */
static const cJSON *
policy_rates(const cJSON *pol, const char *tier)
{
	const cJSON	*lim;

	if (pol == NULL)
		return NULL;
	lim = cJSON_GetObjectItemCaseSensitive(json_path(pol, "spec.limits"),
	    tier);
	return cJSON_GetObjectItemCaseSensitive(lim, "rates");
}

static char *
rates_text(const cJSON *rates)
{
	struct strbuf	 sb = STRBUF_INIT;
	const cJSON	*r;

	sb_init(&sb);
	cJSON_ArrayForEach(r, rates) {
		if (sb.len)
			sb_addc(&sb, ',');
		sb_addf(&sb, "%.0f/%s", json_num(r, "limit", 0),
		    json_str(r, "window") ? json_str(r, "window") : "?");
	}
	if (sb.len == 0) {
		sb_free(&sb);
		return NULL;
	}
	return sb_detach(&sb);
}

/* Parse LIMIT/WINDOW values into a rates array; -1 naming the bad one. */
static cJSON *
rates_parse(const struct strlist *in, const char *flag, struct err *e)
{
	cJSON		*rates = cJSON_CreateArray(), *r;
	const char	*s, *win = NULL;
	double		 secs;
	long long	 lim = 0;
	size_t		 i;
	struct err	 we = ERR_INIT;
	enum maasval_rate bad;

	for (i = 0; i < in->n; i++) {
		s = in->v[i];
		if ((bad = maasval_split_rate(s, &lim, &win)) ==
		    MAASVAL_RATE_NO_SLASH) {
			cJSON_Delete(rates);
			err_set(e, EXIT_USAGE, "invalid %s \"%s\": want "
			    "LIMIT/WINDOW, e.g. 50000/1m", flag, s);
			return NULL;
		}
		if (bad != MAASVAL_RATE_OK || lim < 1 || lim > 1000000000LL) {
			cJSON_Delete(rates);
			err_set(e, EXIT_USAGE, "invalid %s \"%s\": the limit "
			    "must be an integer from 1 to 1000000000", flag, s);
			return NULL;
		}
		if (duration_window(win, &secs, &we) != 0) {
			err_set(e, EXIT_USAGE, "invalid %s \"%s\": %s", flag, s,
			    we.msg ? we.msg : "bad window");
			err_clear(&we);
			cJSON_Delete(rates);
			return NULL;
		}
		r = cJSON_CreateObject();
		cJSON_AddNumberToObject(r, "limit", (double)lim);
		cJSON_AddStringToObject(r, "window", win);
		cJSON_AddItemToArray(rates, r);
	}
	return rates;
}

static cJSON *
policy_new(enum limit_kind lk)
{
	cJSON	*p = cJSON_CreateObject(), *md, *tr;

	cJSON_AddStringToObject(p, "apiVersion", lk == LIM_TOKENS ?
	    "kuadrant.io/v1alpha1" : "kuadrant.io/v1");
	cJSON_AddStringToObject(p, "kind", lk == LIM_TOKENS ?
	    "TokenRateLimitPolicy" : "RateLimitPolicy");
	md = cJSON_AddObjectToObject(p, "metadata");
	cJSON_AddStringToObject(md, "name", lk == LIM_TOKENS ? TOKEN_POLICY :
	    REQUEST_POLICY);
	cJSON_AddStringToObject(md, "namespace", T.gateway_ns);
	tr = json_obj(p, "spec.targetRef");
	cJSON_AddStringToObject(tr, "group", "gateway.networking.k8s.io");
	cJSON_AddStringToObject(tr, "kind", "Gateway");
	cJSON_AddStringToObject(tr, "name", TIER_GATEWAY);
	cJSON_AddObjectToObject(json_obj(p, "spec"), "limits");
	return p;
}

/*
 * Set (rates non-NULL and non-empty) or remove (rates NULL or empty) a
 * tier's limit in a gateway policy, creating the policy when needed and
 * deleting it when its last limit goes.
 */
static int
policy_set(struct kube *k, enum limit_kind lk, const char *tier,
    cJSON *rates, struct err *e)
{
	struct kube_resource	 r;
	struct kube_write_opts	 wo = KUBE_WRITE_OPTS_INIT;
	cJSON			*pol, *limits, *lim, *w, *c;
	char			*pred;
	int			 rc, created = 0;

	if (policy_load(k, lk, &pol, e) != 0)
		return -1;
	if (pol == NULL) {
		if (rates == NULL || cJSON_GetArraySize(rates) == 0)
			return 0;
		pol = policy_new(lk);
		created = 1;
	}
	limits = json_obj(pol, "spec.limits");
	cJSON_DeleteItemFromObjectCaseSensitive(limits, tier);
	if (rates != NULL && cJSON_GetArraySize(rates) > 0) {
		lim = cJSON_AddObjectToObject(limits, tier);
		cJSON_AddItemToObject(lim, "rates",
		    cJSON_Duplicate(rates, 1));
		w = cJSON_AddArrayToObject(lim, "when");
		pred = xasprintf("auth.identity.tier == \"%s\"", tier);
		c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "predicate", pred);
		cJSON_AddItemToArray(w, c);
		free(pred);
		w = cJSON_AddArrayToObject(lim, "counters");
		c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "expression",
		    "auth.identity.userid");
		cJSON_AddItemToArray(w, c);
	}
	wo.dry_run = T.dry_run;
	wo.field_manager = "maasctl";
	res_policy(&r, lk);
	if (created)
		rc = kube_create(k, &r, T.gateway_ns, pol, &wo, NULL, e);
	else if (limits->child == NULL)
		rc = kube_delete(k, &r, T.gateway_ns, json_str(pol,
		    "metadata.name"), &wo, NULL, e);
	else
		rc = kube_replace(k, &r, T.gateway_ns, pol, NULL, &wo, NULL,
		    e);
	kube_resource_free(&r);
	cJSON_Delete(pol);
	return rc;
}

/* ---- models (LLMInferenceService annotations) ---- */

static void
res_llmisvc(struct kube_resource *r)
{
	kube_resource_set(r, "serving.kserve.io", "v1alpha1",
	    "llminferenceservices", "LLMInferenceService", 1);
}

/* Does the model's annotation admit tier? (-1: no annotation or bad). */
static int
model_allows(const cJSON *m, const char *tier)
{
	const cJSON	*ann, *it;
	cJSON		*arr;
	int		 yes = 0;

	ann = cJSON_GetObjectItemCaseSensitive(json_path(m,
	    "metadata.annotations"), TIER_ANN);
	if (!cJSON_IsString(ann) ||
	    (arr = cJSON_Parse(ann->valuestring)) == NULL)
		return 0;
	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		return 0;
	}
	if (cJSON_GetArraySize(arr) == 0)
		yes = 1;
	cJSON_ArrayForEach(it, arr)
		if (cJSON_IsString(it) && strcmp(it->valuestring, tier) == 0)
			yes = 1;
	cJSON_Delete(arr);
	return yes;
}

static int
models_load(struct kube *k, cJSON **list, struct err *e)
{
	struct kube_resource	 r;
	struct kube_list_opts	 lo;
	int			 rc;

	memset(&lo, 0, sizeof lo);
	res_llmisvc(&r);
	rc = kube_list(k, &r, NULL, &lo, list, e);
	kube_resource_free(&r);
	return rc;
}

/* "ns/name" of every model that admits tier, appended to out. */
static void
models_of(const cJSON *list, const char *tier, struct strlist *out)
{
	const cJSON	*m;
	char		*id;

	cJSON_ArrayForEach(m, cJSON_GetObjectItem(list, "items")) {
		if (!model_allows(m, tier))
			continue;
		id = xasprintf("%s/%s", json_str(m, "metadata.namespace"),
		    json_str(m, "metadata.name"));
		sl_add(out, id);
		free(id);
	}
}

/* ---- list / get ---- */

static cJSON *
tier_view(const struct tier *t, const cJSON *tok, const cJSON *req,
    const cJSON *models)
{
	cJSON		*o = tier_json(t), *arr;
	const cJSON	*rates;
	struct strlist	 ms = STRLIST_INIT;
	size_t		 i;

	if ((rates = policy_rates(tok, t->name)) != NULL)
		cJSON_AddItemToObject(o, "tokenLimits",
		    cJSON_Duplicate(rates, 1));
	if ((rates = policy_rates(req, t->name)) != NULL)
		cJSON_AddItemToObject(o, "requestLimits",
		    cJSON_Duplicate(rates, 1));
	models_of(models, t->name, &ms);
	arr = cJSON_AddArrayToObject(o, "models");
	for (i = 0; i < ms.n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(ms.v[i]));
	sl_free(&ms);
	return o;
}

static char *
join(const struct strlist *l, const char *sep)
{
	struct strbuf	 sb = STRBUF_INIT;
	size_t		 i;

	sb_init(&sb);
	for (i = 0; i < l->n; i++) {
		if (i)
			sb_adds(&sb, sep);
		sb_adds(&sb, l->v[i]);
	}
	return sb_detach(&sb);
}

static void
print_tiers(const cJSON *views, const struct output *out)
{
	static const char *const hdr[] = { "NAME", "DISPLAY NAME", "LEVEL",
	    "GROUPS", "TOKEN LIMIT", "REQUEST LIMIT", "MODELS" };
	struct output_table	*t = output_table_new(hdr, 7);
	const cJSON		*v, *g;
	struct strlist		 gl = STRLIST_INIT;
	char			*s;

	output_table_wide(t, 5);
	cJSON_ArrayForEach(v, views) {
		output_table_add(t, json_str(v, "name"));
		output_table_add(t, json_str(v, "displayName") ?
		    json_str(v, "displayName") : json_str(v, "name"));
		output_table_addf(t, "%.0f", json_num(v, "level", 0));
		cJSON_ArrayForEach(g, cJSON_GetObjectItem(v, "groups"))
			sl_add(&gl, g->valuestring);
		s = join(&gl, ",");
		output_table_add(t, gl.n ? s : NULL);
		free(s);
		sl_free(&gl);
		s = rates_text(cJSON_GetObjectItem(v, "tokenLimits"));
		output_table_add(t, s);
		free(s);
		s = rates_text(cJSON_GetObjectItem(v, "requestLimits"));
		output_table_add(t, s);
		free(s);
		output_table_addf(t, "%d", cJSON_GetArraySize(
		    cJSON_GetObjectItem(v, "models")));
		output_table_end_row(t);
	}
	output_table_print(t, out, stdout);
	output_table_free(t);
}

static int
tier_show(struct ctx *ctx, int argc, char **argv, int one, struct err *e)
{
	struct output	 out;
	struct kube	*k;
	struct tiers	 ts;
	cJSON		*tok = NULL, *req = NULL, *models = NULL, *views, *doc;
	struct tier	*t;
	size_t		 i;
	int		 rc = -1;

	if (output_parse(&out, ctx->g.output, e) != 0)
		return -1;
	out.no_headers = T.no_headers;
	if ((k = ctx_kube(ctx, e)) == NULL ||
	    tiers_load(k, &ts, 1, e) != 0) {
		output_free(&out);
		return -1;
	}
	views = cJSON_CreateArray();
	if (policy_load(k, LIM_TOKENS, &tok, e) != 0 ||
	    policy_load(k, LIM_REQUESTS, &req, e) != 0 ||
	    models_load(k, &models, e) != 0)
		goto out;
	for (i = 0; i < (size_t)argc; i++)
		if (tier_find(&ts, argv[i]) == NULL) {
			err_set(e, EXIT_NOTFOUND, "tier \"%s\" not found in "
			    "%s/%s", argv[i], T.tiers_ns, TIER_CM);
			err_hint(e, "`maasctl tier list` shows the tiers");
			goto out;
		}
	for (i = 0; i < ts.n; i++) {
		t = &ts.v[i];
		if (argc > 0) {
			int	 j, want = 0;

			for (j = 0; j < argc; j++)
				want |= strcmp(argv[j], t->name) == 0;
			if (!want)
				continue;
		}
		cJSON_AddItemToArray(views, tier_view(t, tok, req, models));
	}
	if (output_is_table(&out)) {
		if (cJSON_GetArraySize(views) == 0)
			fprintf(stderr, "No tiers found in %s/%s\n",
			    T.tiers_ns, TIER_CM);
		else
			print_tiers(views, &out);
	} else if (out.format == OUTPUT_NAME) {
		const cJSON *v;

		cJSON_ArrayForEach(v, views)
			printf("tier/%s\n", json_str(v, "name"));
	} else {
		if (one && cJSON_GetArraySize(views) == 1)
			doc = cJSON_Duplicate(cJSON_GetArrayItem(views, 0), 1);
		else {
			doc = cJSON_CreateObject();
			cJSON_AddItemToObject(doc, "tiers",
			    cJSON_Duplicate(views, 1));
		}
		rc = output_print(&out, doc, NULL, stdout, stderr, e);
		cJSON_Delete(doc);
		if (rc != 0)
			goto out;
	}
	rc = 0;
out:
	cJSON_Delete(views);
	cJSON_Delete(tok);
	cJSON_Delete(req);
	cJSON_Delete(models);
	tiers_free(&ts);
	output_free(&out);
	return rc;
}

static int
tier_list(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	return tier_show(ctx, argc, argv, 0, e);
}

static int
tier_get(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	return tier_show(ctx, argc, argv, 1, e);
}

/* ---- create / update / delete ---- */

static int
check_name(const char *name, struct err *e)
{
	const char	*p;

	if (*name == '\0' || strlen(name) > 63)
		goto bad;
	for (p = name; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
		    *p == '-'))
			goto bad;
	if (name[0] == '-' || name[strlen(name) - 1] == '-')
		goto bad;
	return 0;
bad:
	return err_set(e, EXIT_USAGE, "invalid tier name \"%s\": use 1-63 "
	    "lower-case letters, digits and '-', starting and ending with a "
	    "letter or digit (it names generated subscriptions)", name);
}

static int
check_display(struct err *e)
{
	if (T.display != NULL && blank(T.display))
		return err_set(e, EXIT_USAGE, "--display-name must not be "
		    "blank");
	return 0;
}

/* Apply --token-limit/--request-limit ("none" removes). */
static int
apply_limits(struct kube *k, const char *tier, int creating, struct err *e)
{
	const struct strlist	*in[2] = { &T.token_limits,
	    &T.request_limits };
	const char		*flag[2] = { "--token-limit",
	    "--request-limit" };
	cJSON			*rates;
	int			 i, rc;

	for (i = 0; i < 2; i++) {
		if (in[i]->n == 0)
			continue;
		if (in[i]->n == 1 && strcmp(in[i]->v[0], "none") == 0) {
			if (creating)
				continue;
			rates = NULL;
		} else if ((rates = rates_parse(in[i], flag[i], e)) == NULL)
			return -1;
		rc = policy_set(k, i == 0 ? LIM_TOKENS : LIM_REQUESTS, tier,
		    rates, e);
		cJSON_Delete(rates);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* Validate limit flags before anything is written. */
static int
precheck_limits(struct err *e)
{
	cJSON	*r;

	if (!(T.token_limits.n == 1 && strcmp(T.token_limits.v[0],
	    "none") == 0)) {
		if ((r = rates_parse(&T.token_limits, "--token-limit",
		    e)) == NULL)
			return -1;
		cJSON_Delete(r);
	}
	if (!(T.request_limits.n == 1 && strcmp(T.request_limits.v[0],
	    "none") == 0)) {
		if ((r = rates_parse(&T.request_limits, "--request-limit",
		    e)) == NULL)
			return -1;
		cJSON_Delete(r);
	}
	return 0;
}

static const char *
dry(void)
{
	return T.dry_run ? " (server dry run)" : "";
}

static int
tier_create(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct kube	*k;
	struct tiers	 ts;
	struct tier	*t;
	size_t		 i;
	int		 rc = -1;

	(void)argc;
	if (check_name(argv[0], e) != 0 || check_display(e) != 0 ||
	    precheck_limits(e) != 0)
		return -1;
	if (T.groups.n == 0)
		return err_set(e, EXIT_USAGE, "tier \"%s\" needs at least one "
		    "--group", argv[0]);
	if ((k = ctx_kube(ctx, e)) == NULL || tiers_load(k, &ts, 0, e) != 0)
		return -1;
	if (tier_find(&ts, argv[0]) != NULL) {
		err_set(e, EXIT_CONFLICT, "tier \"%s\" already exists in "
		    "%s/%s", argv[0], T.tiers_ns, TIER_CM);
		err_hint(e, "change it with `maasctl tier update %s`",
		    argv[0]);
		goto out;
	}
	ts.v = xrealloc(ts.v, (ts.n + 1) * sizeof *ts.v);
	t = &ts.v[ts.n];
	memset(t, 0, sizeof *t);
	t->name = xstrdup(argv[0]);
	t->display = T.display ? xstrdup(T.display) : NULL;
	t->desc = T.description ? xstrdup(T.description) : NULL;
	t->level = T.level_set ? T.level : 0;
	t->order = ts.n++;
	for (i = 0; i < T.groups.n; i++)
		if (!sl_has(&t->groups, T.groups.v[i]))
			sl_add(&t->groups, T.groups.v[i]);
	if (tiers_save(k, &ts, e) != 0 || apply_limits(k, argv[0], 1, e) != 0)
		goto out;
	printf("tier/%s created%s\n", argv[0], dry());
	rc = 0;
out:
	tiers_free(&ts);
	return rc;
}

static void
groups_remove(struct strlist *l, const char *g)
{
	struct strlist	 keep = STRLIST_INIT;
	size_t		 i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], g) != 0)
			sl_add(&keep, l->v[i]);
	sl_free(l);
	*l = keep;
}

static int
tier_update(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct kube	*k;
	struct tiers	 ts;
	struct tier	*t;
	size_t		 i;
	int		 rc = -1;

	(void)argc;
	if (check_display(e) != 0 || precheck_limits(e) != 0)
		return -1;
	if (!T.display && !T.description && !T.level_set && !T.groups.n &&
	    !T.add_groups.n && !T.rm_groups.n && !T.token_limits.n &&
	    !T.request_limits.n)
		return err_set(e, EXIT_USAGE, "nothing to update: give "
		    "--display-name, --description, --level, --group, "
		    "--add-group, --remove-group, --token-limit or "
		    "--request-limit");
	if ((k = ctx_kube(ctx, e)) == NULL || tiers_load(k, &ts, 1, e) != 0)
		return -1;
	if ((t = tier_find(&ts, argv[0])) == NULL) {
		err_set(e, EXIT_NOTFOUND, "tier \"%s\" not found in %s/%s",
		    argv[0], T.tiers_ns, TIER_CM);
		goto out;
	}
	if (T.display) {
		free(t->display);
		t->display = xstrdup(T.display);
	}
	if (T.description) {
		free(t->desc);
		t->desc = xstrdup(T.description);
	}
	if (T.level_set)
		t->level = T.level;
	if (T.groups.n) {
		sl_free(&t->groups);
		for (i = 0; i < T.groups.n; i++)
			if (!sl_has(&t->groups, T.groups.v[i]))
				sl_add(&t->groups, T.groups.v[i]);
	}
	for (i = 0; i < T.add_groups.n; i++)
		if (!sl_has(&t->groups, T.add_groups.v[i]))
			sl_add(&t->groups, T.add_groups.v[i]);
	for (i = 0; i < T.rm_groups.n; i++) {
		if (!sl_has(&t->groups, T.rm_groups.v[i])) {
			err_set(e, EXIT_USAGE, "tier \"%s\" has no group "
			    "\"%s\"", t->name, T.rm_groups.v[i]);
			goto out;
		}
		groups_remove(&t->groups, T.rm_groups.v[i]);
	}
	if (t->groups.n == 0) {
		err_set(e, EXIT_USAGE, "tier \"%s\" would have no groups left",
		    t->name);
		goto out;
	}
	if (tiers_save(k, &ts, e) != 0 || apply_limits(k, argv[0], 0, e) != 0)
		goto out;
	printf("tier/%s updated%s\n", argv[0], dry());
	rc = 0;
out:
	tiers_free(&ts);
	return rc;
}

static int
tier_delete(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct kube	*k;
	struct tiers	 ts;
	struct tier	*t;
	int		 i, rc = -1;

	if ((k = ctx_kube(ctx, e)) == NULL || tiers_load(k, &ts, 1, e) != 0)
		return -1;
	for (i = 0; i < argc; i++)
		if (tier_find(&ts, argv[i]) == NULL) {
			err_set(e, EXIT_NOTFOUND, "tier \"%s\" not found in "
			    "%s/%s", argv[i], T.tiers_ns, TIER_CM);
			goto out;
		}
	for (i = 0; i < argc; i++) {
		t = tier_find(&ts, argv[i]);
		free(t->name);
		free(t->display);
		free(t->desc);
		sl_free(&t->groups);
		memmove(t, t + 1, (size_t)(ts.v + ts.n - t - 1) * sizeof *t);
		ts.n--;
	}
	if (tiers_save(k, &ts, e) != 0)
		goto out;
	for (i = 0; i < argc; i++) {
		if (policy_set(k, LIM_TOKENS, argv[i], NULL, e) != 0 ||
		    policy_set(k, LIM_REQUESTS, argv[i], NULL, e) != 0)
			goto out;
		printf("tier/%s deleted%s\n", argv[i], dry());
	}
	rc = 0;
out:
	tiers_free(&ts);
	return rc;
}

/* ---- allow ---- */

static int
tier_allow(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct kube		*k;
	struct kube_resource	 r;
	struct kube_write_opts	 wo = KUBE_WRITE_OPTS_INIT;
	struct tiers		 ts;
	cJSON			*patch, *arr, *m = NULL;
	char			*body, *val;
	const char		*ns;
	int			 i, rc = -1;

	if ((T.all_tiers || T.none) && argc > 1)
		return err_set(e, EXIT_USAGE, "give tier names or %s, not "
		    "both", T.all_tiers ? "--all-tiers" : "--none");
	if (T.all_tiers && T.none)
		return err_set(e, EXIT_USAGE, "--all-tiers and --none "
		    "contradict each other");
	if (!T.all_tiers && !T.none && argc < 2)
		return err_set(e, EXIT_USAGE, "name the tiers that may use "
		    "%s, or give --all-tiers or --none", argv[0]);
	if ((k = ctx_kube(ctx, e)) == NULL)
		return -1;
	ns = ctx_namespace(ctx);
	if (argc > 1) {
		if (tiers_load(k, &ts, 1, e) != 0)
			return -1;
		for (i = 1; i < argc; i++)
			if (tier_find(&ts, argv[i]) == NULL) {
				err_set(e, EXIT_NOTFOUND, "tier \"%s\" not "
				    "found in %s/%s", argv[i], T.tiers_ns,
				    TIER_CM);
				tiers_free(&ts);
				return -1;
			}
		tiers_free(&ts);
	}
	res_llmisvc(&r);
	if (kube_get(k, &r, ns, argv[0], &m, e) != 0)
		goto out;
	arr = cJSON_CreateArray();
	for (i = 1; i < argc; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(argv[i]));
	val = cJSON_PrintUnformatted(arr);
	cJSON_Delete(arr);
	patch = cJSON_CreateObject();
	if (T.none)
		cJSON_AddNullToObject(json_obj(patch, "metadata.annotations"),
		    TIER_ANN);
	else
		cJSON_AddStringToObject(json_obj(patch,
		    "metadata.annotations"), TIER_ANN, val);
	body = cJSON_PrintUnformatted(patch);
	cJSON_Delete(patch);
	wo.dry_run = T.dry_run;
	rc = kube_patch(k, &r, ns, argv[0], KUBE_PATCH_MERGE, body, &wo, NULL,
	    e);
	free(body);
	if (rc == 0) {
		if (T.none)
			printf("llminferenceservice/%s: no tier may use it%s\n",
			    argv[0], dry());
		else
			printf("llminferenceservice/%s: tiers %s%s\n", argv[0],
			    T.all_tiers ? "[] (all tiers)" : val, dry());
	}
	free(val);
out:
	cJSON_Delete(m);
	kube_resource_free(&r);
	return rc;
}

/* ---- resolve ---- */

static int
by_level(const void *a, const void *b)
{
	const struct tier *x = *(struct tier *const *)a;
	const struct tier *y = *(struct tier *const *)b;

	if (x->level != y->level)
		return x->level > y->level ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int
tier_resolve(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct output	 out;
	struct kube	*k;
	struct tiers	 ts;
	struct tier	**sorted = NULL, *win = NULL;
	const char	*matched = NULL;
	char		*sa, *gl;
	size_t		 i, j;
	int		 rc = -1;
	cJSON		*o;

	(void)argc;
	(void)argv;
	if (T.groups.n == 0)
		return err_set(e, EXIT_USAGE, "give the caller's groups with "
		    "--group G (repeatable)");
	if (output_parse(&out, ctx->g.output, e) != 0)
		return -1;
	if ((k = ctx_kube(ctx, e)) == NULL || tiers_load(k, &ts, 1, e) != 0) {
		output_free(&out);
		return -1;
	}
	sorted = xcalloc(ts.n ? ts.n : 1, sizeof *sorted);
	for (i = 0; i < ts.n; i++)
		sorted[i] = &ts.v[i];
	qsort(sorted, ts.n, sizeof *sorted, by_level);
	for (i = 0; i < ts.n && win == NULL; i++) {
		sa = xasprintf("system:serviceaccounts:%s-tier-%s",
		    TIER_GATEWAY, sorted[i]->name);
		for (j = 0; j < T.groups.n && win == NULL; j++)
			if (sl_has(&sorted[i]->groups, T.groups.v[j]) ||
			    strcmp(T.groups.v[j], sa) == 0) {
				win = sorted[i];
				matched = T.groups.v[j];
			}
		free(sa);
	}
	if (win == NULL) {
		gl = join(&T.groups, " ");
		err_set(e, EXIT_NOTFOUND, "group groups [%s] not found in any "
		    "tier", gl);
		err_hint(e, "`maasctl tier list` shows each tier's groups");
		free(gl);
		goto out;
	}
	if (output_is_table(&out)) {
		static const char *const hdr[] = { "TIER", "LEVEL",
		    "MATCHED GROUP" };
		struct output_table *t = output_table_new(hdr, 3);

		out.no_headers = T.no_headers;
		output_table_add(t, win->name);
		output_table_addf(t, "%ld", win->level);
		output_table_add(t, matched);
		output_table_end_row(t);
		output_table_print(t, &out, stdout);
		output_table_free(t);
	} else if (out.format == OUTPUT_NAME)
		printf("tier/%s\n", win->name);
	else {
		o = tier_json(win);
		cJSON_AddStringToObject(o, "matchedGroup", matched);
		rc = output_print(&out, o, NULL, stdout, stderr, e);
		cJSON_Delete(o);
		if (rc != 0)
			goto out;
	}
	rc = 0;
out:
	free(sorted);
	tiers_free(&ts);
	output_free(&out);
	return rc;
}

/* ---- migrate ---- */

static void
mig_meta(cJSON *obj, const char *name, const char *ns, const char *tier,
    const char *stamp)
{
	cJSON	*md = json_obj(obj, "metadata");

	cJSON_AddStringToObject(md, "name", name);
	cJSON_AddStringToObject(md, "namespace", ns);
	cJSON_AddStringToObject(json_obj(md, "labels"), MIG_PREFIX
	    "generated", "true");
	cJSON_AddStringToObject(json_obj(md, "labels"), MIG_PREFIX
	    "from-tier", tier);
	cJSON_AddStringToObject(json_obj(md, "annotations"), MIG_PREFIX
	    "timestamp", stamp);
	cJSON_AddStringToObject(json_obj(md, "annotations"), MIG_PREFIX
	    "original-tier", tier);
}

static cJSON *
model_ref_list(const struct strlist *models, const cJSON *rates)
{
	cJSON	*arr = cJSON_CreateArray(), *m;
	char	*ns;
	size_t	 i;

	for (i = 0; i < models->n; i++) {
		ns = xstrdup(models->v[i]);
		*strchr(ns, '/') = '\0';
		m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "name", ns + strlen(ns) + 1);
		cJSON_AddStringToObject(m, "namespace", ns);
		if (rates != NULL)
			cJSON_AddItemToObject(m, "tokenRateLimits",
			    cJSON_Duplicate(rates, 1));
		cJSON_AddItemToArray(arr, m);
		free(ns);
	}
	return arr;
}

static cJSON *
subjects_groups(const struct tier *t)
{
	cJSON	*arr = cJSON_CreateArray(), *g;
	size_t	 i;

	for (i = 0; i < t->groups.n; i++) {
		g = cJSON_CreateObject();
		cJSON_AddStringToObject(g, "name", t->groups.v[i]);
		cJSON_AddItemToArray(arr, g);
	}
	return arr;
}

/* The objects one tier becomes, appended to objs. */
static void
migrate_tier(const struct tier *t, const struct strlist *models,
    const cJSON *rates, const char *stamp, struct strlist *refs, cJSON *objs)
{
	cJSON	*o, *spec;
	char	*name, *ns;
	size_t	 i;

	for (i = 0; i < models->n; i++) {
		/* One MaaSModelRef per model, labelled with the first tier
		 * that brings it. */
		if (sl_has(refs, models->v[i]))
			continue;
		sl_add(refs, models->v[i]);
		ns = xstrdup(models->v[i]);
		*strchr(ns, '/') = '\0';
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "apiVersion",
		    "maas.opendatahub.io/v1alpha1");
		cJSON_AddStringToObject(o, "kind", "MaaSModelRef");
		mig_meta(o, ns + strlen(ns) + 1, ns, t->name, stamp);
		spec = json_obj(o, "spec.modelRef");
		cJSON_AddStringToObject(spec, "kind", "LLMInferenceService");
		cJSON_AddStringToObject(spec, "name", ns + strlen(ns) + 1);
		cJSON_AddItemToArray(objs, o);
		free(ns);
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "apiVersion",
	    "maas.opendatahub.io/v1alpha1");
	cJSON_AddStringToObject(o, "kind", "MaaSAuthPolicy");
	name = xasprintf("%s-models-access", t->name);
	mig_meta(o, name, T.sub_ns, t->name, stamp);
	free(name);
	spec = json_obj(o, "spec");
	cJSON_AddItemToObject(spec, "modelRefs", model_ref_list(models, NULL));
	cJSON_AddItemToObject(json_obj(spec, "subjects"), "groups",
	    subjects_groups(t));
	cJSON_AddItemToArray(objs, o);

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "apiVersion",
	    "maas.opendatahub.io/v1alpha1");
	cJSON_AddStringToObject(o, "kind", "MaaSSubscription");
	name = xasprintf("%s-models-subscription", t->name);
	mig_meta(o, name, T.sub_ns, t->name, stamp);
	free(name);
	spec = json_obj(o, "spec");
	cJSON_AddItemToObject(json_obj(spec, "owner"), "groups",
	    subjects_groups(t));
	cJSON_AddItemToObject(spec, "modelRefs", model_ref_list(models,
	    rates));
	/* maasctl's choice: a higher tier wins API-key auto-binding. */
	cJSON_AddNumberToObject(spec, "priority", (double)t->level);
	cJSON_AddItemToArray(objs, o);
}

static int
migrate_apply(struct kube *k, const cJSON *obj, struct err *e)
{
	struct kube_resource	 r;
	struct kube_write_opts	 wo = KUBE_WRITE_OPTS_INIT;
	const char		*kind = json_str(obj, "kind");
	const char		*ns = json_str(obj, "metadata.namespace");
	const char		*name = json_str(obj, "metadata.name");
	cJSON			*old = NULL;
	struct err		 ge = ERR_INIT;
	int			 exists, rc;
	char			*lower, *p;

	if (kube_resolve(k, "maas.opendatahub.io", kind, &r, e) != 0)
		return -1;
	exists = kube_get(k, &r, ns, name, &old, &ge) == 0;
	if (!exists && ge.code != EXIT_NOTFOUND) {
		err_move(e, &ge);
		kube_resource_free(&r);
		return -1;
	}
	err_clear(&ge);
	cJSON_Delete(old);
	if (exists && strcmp(kind, "MaaSModelRef") == 0) {
		/* A model already registered stays as its owner made it. */
		printf("maasmodelref.maas.opendatahub.io/%s unchanged "
		    "(already registered)\n", name);
		kube_resource_free(&r);
		return 0;
	}
	wo.field_manager = "maasctl-tier-migrate";
	wo.dry_run = T.dry_run;
	wo.force = 1;
	rc = kube_apply(k, &r, ns, obj, &wo, NULL, e);
	if (rc == 0) {
		lower = xstrdup(kind);
		for (p = lower; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		printf("%s.maas.opendatahub.io/%s %s%s\n", lower, name,
		    exists ? "configured" : "created", dry());
		free(lower);
	}
	kube_resource_free(&r);
	return rc;
}

static int
tier_migrate(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct output	 out;
	struct kube	*k;
	struct tiers	 ts;
	struct strlist	 models = STRLIST_INIT, refs = STRLIST_INIT;
	cJSON		*tok = NULL, *mlist = NULL, *objs, *given = NULL;
	const cJSON	*rates, *o;
	char		 stamp[32];
	time_t		 now = time(NULL);
	struct tm	 tm;
	size_t		 i;
	int		 rc = -1, print = 0, done = 0;

	(void)argc;
	(void)argv;
	if (output_parse(&out, ctx->g.output, e) != 0)
		return -1;
	if (ctx->g.output != NULL && ctx->g.output[0] != '\0') {
		if (out.format == OUTPUT_NAME || output_is_table(&out)) {
			output_free(&out);
			return err_set(e, EXIT_USAGE, "tier migrate prints "
			    "manifests with -o yaml or -o json only");
		}
		print = 1;
	}
	if (T.token_limits.n > 0 && (given = rates_parse(&T.token_limits,
	    "--limit", e)) == NULL) {
		output_free(&out);
		return -1;
	}
	objs = cJSON_CreateArray();
	if ((k = ctx_kube(ctx, e)) == NULL || tiers_load(k, &ts, 1, e) != 0)
		goto nots;
	for (i = 0; i < T.only.n; i++)
		if (tier_find(&ts, T.only.v[i]) == NULL) {
			err_set(e, EXIT_NOTFOUND, "tier \"%s\" not found in "
			    "%s/%s", T.only.v[i], T.tiers_ns, TIER_CM);
			goto out;
		}
	if (policy_load(k, LIM_TOKENS, &tok, e) != 0 ||
	    models_load(k, &mlist, e) != 0)
		goto out;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (i = 0; i < ts.n; i++) {
		const struct tier *t = &ts.v[i];

		if (T.only.n && !sl_has(&T.only, t->name))
			continue;
		sl_free(&models);
		models_of(mlist, t->name, &models);
		if (models.n == 0) {
			fprintf(stderr, "tier %s: no model allows it (annotation "
			    "%s); nothing to migrate\n", t->name, TIER_ANN);
			continue;
		}
		rates = given ? given : policy_rates(tok, t->name);
		if (rates == NULL || cJSON_GetArraySize(rates) == 0) {
			err_set(e, EXIT_USAGE, "tier %s has no token limit in "
			    "%s/%s", t->name, T.gateway_ns, TOKEN_POLICY);
			err_hint(e, "give the limit for the subscription with "
			    "--limit LIMIT/WINDOW (e.g. --limit 50000/1m)");
			goto out;
		}
		migrate_tier(t, &models, rates, stamp, &refs, objs);
		done++;
	}
	if (print) {
		cJSON *list = cJSON_CreateObject();

		cJSON_AddStringToObject(list, "apiVersion", "v1");
		cJSON_AddStringToObject(list, "kind", "List");
		cJSON_AddItemToObject(list, "items",
		    cJSON_Duplicate(objs, 1));
		rc = output_print(&out, list, NULL, stdout, stderr, e);
		cJSON_Delete(list);
		if (rc != 0)
			goto out;
		rc = -1;
	} else {
		cJSON_ArrayForEach(o, objs)
			if (migrate_apply(k, o, e) != 0)
				goto out;
		if (done == 0)
			fprintf(stderr, "no tier had models to migrate\n");
	}
	rc = 0;
out:
	tiers_free(&ts);
nots:
	sl_free(&models);
	sl_free(&refs);
	cJSON_Delete(objs);
	cJSON_Delete(tok);
	cJSON_Delete(mlist);
	cJSON_Delete(given);
	output_free(&out);
	return rc;
}

/* ---- completion ---- */

static int
complete_tiers(struct ctx *ctx, int pos, const char *word,
    struct strlist *out)
{
	struct kube	*k;
	struct tiers	 ts;
	struct err	 e = ERR_INIT;
	size_t		 i;

	(void)pos;
	if ((k = ctx_kube(ctx, &e)) == NULL || tiers_load(k, &ts, 0,
	    &e) != 0) {
		err_clear(&e);
		return 0;
	}
	for (i = 0; i < ts.n; i++)
		if (strncmp(ts.v[i].name, word, strlen(word)) == 0)
			sl_add(out, ts.v[i].name);
	tiers_free(&ts);
	return 0;
}

static int
complete_allow(struct ctx *ctx, int pos, const char *word,
    struct strlist *out)
{
	struct kube		*k;
	struct kube_resource	 r;
	struct kube_list_opts	 lo;
	struct err		 e = ERR_INIT;
	cJSON			*list = NULL;
	const cJSON		*m;
	const char		*n;

	if (pos > 0)
		return complete_tiers(ctx, pos, word, out);
	if ((k = ctx_kube(ctx, &e)) == NULL) {
		err_clear(&e);
		return 0;
	}
	memset(&lo, 0, sizeof lo);
	res_llmisvc(&r);
	if (kube_list(k, &r, ctx_namespace(ctx), &lo, &list, &e) == 0)
		cJSON_ArrayForEach(m, cJSON_GetObjectItem(list, "items"))
			if ((n = json_str(m, "metadata.name")) != NULL &&
			    strncmp(n, word, strlen(word)) == 0)
				sl_add(out, n);
	err_clear(&e);
	cJSON_Delete(list);
	kube_resource_free(&r);
	return 0;
}

/* ---- option tables and commands ---- */

static int
opt_level(const struct opt *o, const char *v, struct err *e)
{
	char	*end;
	long	 l;

	(void)o;
	errno = 0;
	l = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || l < -1000000 ||
	    l > 1000000)
		return err_set(e, EXIT_USAGE, "invalid --level \"%s\": want "
		    "an integer (higher wins)", v);
	T.level = l;
	T.level_set = 1;
	return 0;
}

#define OPT_TIERS_NS \
	{ "tiers-namespace", 0, OPT_STR, &T.tiers_ns, "NS", \
	  "namespace of the tier-to-group-mapping ConfigMap (default " \
	  "maas-api)", 0, NULL, "@namespace", 0, 0 }
#define OPT_GATEWAY_NS \
	{ "gateway-namespace", 0, OPT_STR, &T.gateway_ns, "NS", \
	  "namespace of the gateway and its limit policies (default " \
	  "openshift-ingress)", 0, NULL, "@namespace", 0, 0 }
#define OPT_DRY \
	{ "dry-run", 0, OPT_BOOL, &T.dry_run, NULL, \
	  "let the server validate the change without storing it", 0, \
	  NULL, NULL, 0, 0 }
#define OPT_NOHDR \
	{ "no-headers", 0, OPT_BOOL, &T.no_headers, NULL, \
	  "print tables without their header row", 0, NULL, NULL, 0, 0 }
#define OPT_LAST { NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
#define OPT_TIER_FIELDS \
	{ "display-name", 0, OPT_STR, &T.display, "T", \
	  "human-readable name (not blank)", 0, NULL, NULL, 0, 0 }, \
	{ "description", 0, OPT_STR, &T.description, "T", \
	  "free-text description", 0, NULL, NULL, 0, 0 }, \
	{ "level", 0, OPT_FUNC, NULL, "N", \
	  "precedence: the highest level holding a caller's group wins", \
	  0, opt_level, NULL, 0, 0 }, \
	{ "token-limit", 0, OPT_LIST, &T.token_limits, "N/W", \
	  "tokens per user per window, e.g. 50000/1m (repeatable; " \
	  "\"none\" removes)", 0, NULL, NULL, 0, 0 }, \
	{ "request-limit", 0, OPT_LIST, &T.request_limits, "N/W", \
	  "requests per user per window, e.g. 20/2m (repeatable; " \
	  "\"none\" removes)", 0, NULL, NULL, 0, 0 }

static const struct opt show_opts[] = {
	OPT_TIERS_NS, OPT_GATEWAY_NS, OPT_NOHDR, OPT_LAST
};

static const struct opt create_opts[] = {
	{ "group", 0, OPT_LIST, &T.groups, "G",
	  "a group whose members are in the tier (repeatable)", 0, NULL,
	  NULL, 0, 0 },
	OPT_TIER_FIELDS, OPT_TIERS_NS, OPT_GATEWAY_NS, OPT_DRY, OPT_LAST
};

static const struct opt update_opts[] = {
	{ "group", 0, OPT_LIST, &T.groups, "G",
	  "replace the tier's groups with these (repeatable)", 0, NULL,
	  NULL, 0, 0 },
	{ "add-group", 0, OPT_LIST, &T.add_groups, "G",
	  "add a group (repeatable)", 0, NULL, NULL, 0, 0 },
	{ "remove-group", 0, OPT_LIST, &T.rm_groups, "G",
	  "remove a group (repeatable)", 0, NULL, NULL, 0, 0 },
	OPT_TIER_FIELDS, OPT_TIERS_NS, OPT_GATEWAY_NS, OPT_DRY, OPT_LAST
};

static const struct opt delete_opts[] = {
	OPT_TIERS_NS, OPT_GATEWAY_NS, OPT_DRY, OPT_LAST
};

static const struct opt allow_opts[] = {
	{ "all-tiers", 0, OPT_BOOL, &T.all_tiers, NULL,
	  "every tier may use the model (annotation [])", 0, NULL, NULL,
	  0, 0 },
	{ "none", 0, OPT_BOOL, &T.none, NULL,
	  "no tier may use the model (annotation removed)", 0, NULL, NULL,
	  0, 0 },
	OPT_TIERS_NS, OPT_DRY, OPT_LAST
};

static const struct opt resolve_opts[] = {
	{ "group", 0, OPT_LIST, &T.groups, "G",
	  "one of the caller's groups (repeatable)", 0, NULL, NULL, 0, 0 },
	OPT_TIERS_NS, OPT_NOHDR, OPT_LAST
};

static const struct opt migrate_opts[] = {
	{ "tier", 0, OPT_LIST, &T.only, "T",
	  "migrate only this tier (repeatable; default: every tier)", 0,
	  NULL, NULL, 0, 0 },
	{ "limit", 0, OPT_LIST, &T.token_limits, "N/W",
	  "token limit for every model instead of the tier's own "
	  "(repeatable)", 0, NULL, NULL, 0, 0 },
	{ "subscription-namespace", 0, OPT_STR, &T.sub_ns, "NS",
	  "where subscriptions and auth policies go (default "
	  "models-as-a-service)", 0, NULL, "@namespace", 0, 0 },
	OPT_TIERS_NS, OPT_GATEWAY_NS, OPT_DRY, OPT_LAST
};

static const struct command tier_list_cmd = {
	.name = "list",
	.aliases = (const char *const[]){ "ls", NULL },
	.summary = "List tiers with their groups, limits and models",
	.usage = "[--tiers-namespace NS] [--no-headers] [-o FORMAT]",
	.opts = show_opts,
	.run = tier_list,
	.flags = CMD_NEEDS_KUBE,
	.max_args = 0,
};

static const struct command tier_get_cmd = {
	.name = "get",
	.summary = "Show tiers by name",
	.usage = "NAME... [--tiers-namespace NS] [-o FORMAT]",
	.opts = show_opts,
	.run = tier_get,
	.flags = CMD_NEEDS_KUBE,
	.complete = complete_tiers,
	.min_args = 1,
	.max_args = -1,
};

static const struct command tier_create_cmd = {
	.name = "create",
	.summary = "Add a tier to the tier-to-group mapping",
	.usage = "NAME --group G... [--display-name T] [--description T] "
	    "[--level N] [--token-limit N/W]... [--request-limit N/W]... "
	    "[--dry-run]",
	.opts = create_opts,
	.run = tier_create,
	.flags = CMD_NEEDS_KUBE,
	.min_args = 1,
	.max_args = 1,
};

static const struct command tier_update_cmd = {
	.name = "update",
	.summary = "Change a tier's fields, groups or limits",
	.usage = "NAME [--group G]... [--add-group G]... [--remove-group G]... "
	    "[--display-name T] [--description T] [--level N] "
	    "[--token-limit N/W|none]... [--request-limit N/W|none]... "
	    "[--dry-run]",
	.opts = update_opts,
	.run = tier_update,
	.flags = CMD_NEEDS_KUBE,
	.complete = complete_tiers,
	.min_args = 1,
	.max_args = 1,
};

static const struct command tier_delete_cmd = {
	.name = "delete",
	.summary = "Remove tiers and their limits",
	.usage = "NAME... [--dry-run]",
	.opts = delete_opts,
	.run = tier_delete,
	.flags = CMD_NEEDS_KUBE,
	.complete = complete_tiers,
	.min_args = 1,
	.max_args = -1,
};

static const struct command tier_allow_cmd = {
	.name = "allow",
	.summary = "Set which tiers may use a model (LLMInferenceService "
	    "annotation)",
	.usage = "MODEL [TIER...] [--all-tiers|--none] [-n NS] [--dry-run]",
	.opts = allow_opts,
	.run = tier_allow,
	.flags = CMD_NEEDS_KUBE,
	.complete = complete_allow,
	.min_args = 1,
	.max_args = -1,
};

static const struct command tier_resolve_cmd = {
	.name = "resolve",
	.aliases = (const char *const[]){ "lookup", NULL },
	.summary = "Show the tier a caller with these groups gets",
	.usage = "--group G... [-o FORMAT]",
	.opts = resolve_opts,
	.run = tier_resolve,
	.flags = CMD_NEEDS_KUBE,
	.max_args = 0,
};

static const struct command tier_migrate_cmd = {
	.name = "migrate",
	.summary = "Turn tiers into MaaSSubscription and MaaSAuthPolicy pairs",
	.usage = "[--tier T]... [--limit N/W]... [--subscription-namespace NS] "
	    "[--dry-run] [-o yaml|json]",
	.opts = migrate_opts,
	.run = tier_migrate,
	.flags = CMD_NEEDS_KUBE,
	.max_args = 0,
};

static const struct command *const tier_sub[] = { &tier_list_cmd,
    &tier_get_cmd, &tier_create_cmd, &tier_update_cmd, &tier_delete_cmd,
    &tier_allow_cmd, &tier_resolve_cmd, &tier_migrate_cmd, NULL };

const struct command cmd_tier = {
	.name = "tier",
	.aliases = (const char *const[]){ "tiers", NULL },
	.summary = "Legacy tiers: groups, limits, model access, migration to "
	    "subscriptions",
	.usage = "list|get|create|update|delete|allow|resolve|migrate ...",
	.sub = tier_sub,
};
