/*
 * usage.c: `maasctl usage`: tokens, calls and rate-limited calls by user,
 * subscription, model, organization or cost center, from the platform's
 * telemetry in Prometheus (reference/MAAS-RESOURCES.md §10.5, §12):
 *
 *	tokens   sum by (L) (increase(authorized_hits{F}[W]))
 *	calls    sum by (L) (increase(authorized_calls{F}[W]))
 *	         + sum by (L) (increase(limited_calls{F}[W]))
 *	limited  sum by (L) (increase(limited_calls{F}[W]))
 *	latency  histogram_quantile(0.5|0.99, sum by (subscription, le)
 *	         (increase(istio_request_duration_milliseconds_bucket{F}[W])))
 *
 * (topk(N, ...) on the tokens with --top; rate() over a minute for
 * --watch; /api/v1/query_range with [step] windows for --step).
 * Organization and cost center are joined from the MaaSSubscriptions'
 * spec.tokenMetadata.  Prometheus is the cluster's thanos-querier Route
 * in openshift-monitoring (the sandbox publishes one for its own query
 * API), or --prometheus URL, called with the kubeconfig user's bearer
 * token.  Before querying, the tenant's MaasTenantConfig tells whether
 * telemetry is on and which labels it keeps; when it is off the command
 * fails (exit 6) naming the setting to change.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "http.h"
#include "json.h"
#include "kube.h"
#include "kubectx.h"
#include "output.h"
#include "rfc3339.h"
#include "term.h"

#define TENANT_NS	"models-as-a-service"
#define TENANT_NAME	"default-tenant"
#define MON_NS		"openshift-monitoring"

enum by { BY_USER, BY_SUBSCRIPTION, BY_MODEL, BY_ORG, BY_COSTCENTER };
enum fmt { FMT_TABLE, FMT_JSON, FMT_CSV };

static struct {
	const char	*by;
	double		 since;
	const char	*from;
	const char	*to;
	long		 top;
	const char	*user;
	const char	*subscription;
	const char	*model;
	double		 step;
	const char	*prometheus;
	int		 watch;
	double		 interval;
	int		 no_headers;
} U = { NULL, 0, NULL, NULL, 0, NULL, NULL, NULL, 0, NULL, 0, 0, 0 };

static const struct opt usage_opts[] = {
	{ "by", 0, OPT_STR, &U.by, "DIM", "group by user, subscription "
	  "(default), model, organization or cost-center", 0, NULL,
	  "user|subscription|model|organization|cost-center", 0, 0 },
	{ "since", 0, OPT_DURATION, &U.since, "DURATION", "the window ending "
	  "now (default 24h)", 0, NULL, NULL, 0, 0 },
	{ "from", 0, OPT_STR, &U.from, "TIME", "window start (RFC 3339 or "
	  "unix seconds)", 0, NULL, NULL, 0, 0 },
	{ "to", 0, OPT_STR, &U.to, "TIME", "window end (default now)", 0,
	  NULL, NULL, 0, 0 },
	{ "top", 0, OPT_INT, &U.top, "N", "only the N rows with the most "
	  "tokens", 0, NULL, NULL, 1, 100000 },
	{ "user", 0, OPT_STR, &U.user, "USER", "only this user", 0, NULL,
	  NULL, 0, 0 },
	{ "subscription", 0, OPT_STR, &U.subscription, "NAME", "only this "
	  "subscription", 0, NULL, NULL, 0, 0 },
	{ "model", 0, OPT_STR, &U.model, "MODEL", "only this model", 0, NULL,
	  NULL, 0, 0 },
	{ "step", 0, OPT_DURATION, &U.step, "DURATION", "a time series: one "
	  "row per key and step", 0, NULL, NULL, 0, 0 },
	{ "prometheus", 0, OPT_STR, &U.prometheus, "URL", "Prometheus or "
	  "thanos-querier base URL (default: the thanos-querier Route)", 0,
	  NULL, NULL, 0, 0 },
	{ "watch", 'w', OPT_BOOL, &U.watch, NULL, "live view, sorted by "
	  "tokens per second", 0, NULL, NULL, 0, 0 },
	{ "interval", 0, OPT_DURATION, &U.interval, "DURATION", "--watch "
	  "refresh interval (default 5s)", 0, NULL, NULL, 0, 0 },
	{ "no-headers", 0, OPT_BOOL, &U.no_headers, NULL, "omit the table "
	  "and CSV header", 0, NULL, NULL, 0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

/* Where the queries go. */
struct prom {
	char			*url;		/* base, no trailing slash */
	char			*token;		/* bearer (secret) or NULL */
	struct http_client	 http;
};

/* One report row (one key, or one key at one step). */
struct row {
	char		*key;		/* the dimension's value */
	double		 t;		/* step end (unix s), 0 for a total */
	double		 tokens;
	double		 authorized;	/* authorized_calls */
	double		 limited;	/* limited_calls */
	int		 has_calls;	/* calls are labelled by this key */
	double		 p50, p99;	/* ms, NAN when unknown */
	const char	*org;		/* joined from the subscription */
	const char	*cc;
};

struct report {
	struct row	*r;
	size_t		 n;
};

/* A subscription's tokenMetadata. */
struct subinfo {
	char	*name;
	char	*org;
	char	*cc;
};

struct subs {
	struct subinfo	*v;
	size_t		 n;
};

static const char *const by_names[] = { "user", "subscription", "model",
	"organization", "cost-center" };

/* ---- Prometheus ---- */

static void
prom_free(struct prom *p)
{
	free(p->url);
	xfree_secret(p->token);
	memset(p, 0, sizeof *p);
}

static int
prom_error(const struct prom *p, const struct http_response *r,
    const char *query, struct err *e)
{
	cJSON		*d = NULL;
	const char	*msg = NULL;

	if (r->body.len > 0)
		d = cJSON_ParseWithLength(r->body.buf, r->body.len);
	if (d != NULL)
		msg = json_str(d, "error");
	switch (r->status) {
	case 401:
	case 403:
		err_set(e, EXIT_AUTH, "usage: Prometheus at %s answered %d: %s",
		    p->url, r->status, r->status == 401 ? "the bearer token "
		    "was not accepted" : "the user may not read metrics");
		err_hint(e, "thanos-querier takes the cluster user's token "
		    "(oc login, or --token) with the cluster-monitoring-view "
		    "role");
		break;
	case 400:
	case 422:
		err_set(e, EXIT_ERR, "usage: Prometheus at %s refused the query "
		    "%s: %s", p->url, query, msg ? msg : "bad request");
		break;
	case 404:
		err_set(e, EXIT_UNREACHABLE, "usage: %s/api/v1/query is not "
		    "there (HTTP 404): not a Prometheus query API", p->url);
		err_hint(e, "give the Prometheus or thanos-querier base URL "
		    "with --prometheus URL");
		break;
	default:
		err_set(e, err_code_for_http(r->status) == EXIT_ERR ?
		    EXIT_UNREACHABLE : err_code_for_http(r->status),
		    "usage: Prometheus at %s answered HTTP %d: %s", p->url,
		    r->status, msg ? msg : "unexpected answer");
		break;
	}
	cJSON_Delete(d);
	return -1;
}

/* GET <url>/api/v1/<path>?<params>; the "data" of a success answer. */
static cJSON *
prom_get(struct prom *p, const char *path, const char *params,
    const char *query, struct err *e)
{
	struct http_request	 rq;
	struct http_response	 r = HTTP_RESPONSE_INIT;
	const char		*hdr[3];
	char			*url, *auth = NULL;
	cJSON			*d = NULL, *data = NULL;
	int			 nh = 0;

	url = xasprintf("%s/api/v1/%s?%s", p->url, path, params);
	if (p->token != NULL) {
		auth = xasprintf("Authorization: Bearer %s", p->token);
		hdr[nh++] = auth;
	}
	hdr[nh++] = "Accept: application/json";
	hdr[nh] = NULL;
	memset(&rq, 0, sizeof rq);
	rq.method = "GET";
	rq.url = url;
	rq.headers = hdr;
	if (http_do(&p->http, &rq, &r, e) != 0) {
		err_wrap(e, "usage: cannot reach Prometheus at %s", p->url);
		goto out;
	}
	if (r.status < 200 || r.status > 299) {
		prom_error(p, &r, query, e);
		goto out;
	}
	if ((d = cJSON_ParseWithLength(r.body.buf, r.body.len)) == NULL ||
	    json_str(d, "status") == NULL ||
	    strcmp(json_str(d, "status"), "success") != 0) {
		err_set(e, EXIT_UNREACHABLE, "usage: Prometheus at %s: the "
		    "answer to %s is not a Prometheus success document",
		    p->url, query);
		goto out;
	}
	data = cJSON_DetachItemFromObject(d, "data");
out:
	cJSON_Delete(d);
	http_response_free(&r);
	xfree_secret(auth);
	free(url);
	return data;
}

static char *
fmt_time(double t)
{
	return xasprintf("%.3f", t);
}

/*
 * GET api/v1/<api>?params and take data.result, which must be an array
 * (a "vector" or "matrix", named in the error); caller deletes.
 */
static cJSON *
prom_result(struct prom *p, const char *api, const char *params,
    const char *q, const char *kind, struct err *e)
{
	cJSON	*data, *res = NULL;

	if ((data = prom_get(p, api, params, q, e)) != NULL) {
		res = cJSON_DetachItemFromObject(data, "result");
		if (!cJSON_IsArray(res)) {
			cJSON_Delete(res);
			res = NULL;
			err_set(e, EXIT_UNREACHABLE, "usage: Prometheus at %s: "
			    "no result %s for %s", p->url, kind, q);
		}
	}
	cJSON_Delete(data);
	return res;
}

/* An instant query at t: the result array (caller deletes). */
static cJSON *
prom_query(struct prom *p, const char *q, double t, struct err *e)
{
	char	*eq = http_escape(q), *ts = fmt_time(t), *params;
	cJSON	*res;

	params = xasprintf("query=%s&time=%s", eq, ts);
	term_log(2, "usage: query %s at %s", q, ts);
	res = prom_result(p, "query", params, q, "vector", e);
	free(params);
	free(eq);
	free(ts);
	return res;
}

/* A range query: the result matrix (caller deletes). */
static cJSON *
prom_range(struct prom *p, const char *q, double start, double end,
    double step, struct err *e)
{
	char	*eq = http_escape(q), *s = fmt_time(start), *en = fmt_time(end);
	char	*params;
	cJSON	*res;

	params = xasprintf("query=%s&start=%s&end=%s&step=%.3f", eq, s, en,
	    step);
	term_log(2, "usage: query_range %s [%s, %s] step %.3f", q, s, en, step);
	res = prom_result(p, "query_range", params, q, "matrix", e);
	free(params);
	free(eq);
	free(s);
	free(en);
	return res;
}

static double
sample_value(const cJSON *pair)
{
	const char	*v = cJSON_GetStringValue(cJSON_GetArrayItem(pair, 1));

	if (v == NULL)
		return NAN;
	return strtod(v, NULL);
}

/* ---- discovery and telemetry settings (Kubernetes API) ---- */

/* The thanos-querier Route's URL; NULL with an error naming the fix. */
static char *
discover(struct ctx *ctx, struct err *e)
{
	struct kube		*k;
	struct kube_resource	 r;
	struct err		 ke = ERR_INIT;
	cJSON			*o = NULL;
	const char		*host, *path;
	char			*url = NULL;

	if ((k = ctx_kube(ctx, e)) == NULL) {
		err_wrap(e, "usage: cannot find Prometheus without the cluster "
		    "(or give --prometheus URL)");
		return NULL;
	}
	kube_resource_set(&r, "route.openshift.io", "v1", "routes", "Route",
	    1);
	if (kube_get(k, &r, MON_NS, "thanos-querier", &o, &ke) != 0) {
		if (ke.code == EXIT_NOTFOUND) {
			err_set(e, EXIT_UNREACHABLE, "usage: cannot find the "
			    "cluster's Prometheus: no Route thanos-querier in "
			    "namespace %s (cluster monitoring is not installed "
			    "or not exposed)", MON_NS);
			err_hint(e, "pass the Prometheus or thanos-querier URL "
			    "with --prometheus URL");
		} else
			err_move(e, &ke);
		goto out;
	}
	if ((host = json_str(o, "spec.host")) == NULL || *host == '\0') {
		err_set(e, EXIT_UNREACHABLE, "usage: the Route thanos-querier "
		    "in %s has no spec.host yet", MON_NS);
		err_hint(e, "pass --prometheus URL");
		goto out;
	}
	path = json_str(o, "spec.path");
	(void)path;	/* the Route's /api is a prefix; the base is the host */
	url = xasprintf("%s://%s", json_path(o, "spec.tls") != NULL ?
	    "https" : "http", host);
out:
	err_clear(&ke);
	cJSON_Delete(o);
	kube_resource_free(&r);
	return url;
}

/*
 * The tenant's telemetry settings: -1 (an error naming the setting) when
 * what --by or a filter needs is not recorded; 0 when fine or unknown
 * (no cluster access: the queries' labels are checked later).
 */
static int
check_telemetry(struct ctx *ctx, enum by by, struct err *e)
{
	struct kube		*k;
	struct kube_resource	 r;
	cJSON			*o = NULL;
	const char		*what = NULL, *field = NULL;
	int			 rc = 0;

	if ((k = ctx_kube(ctx, NULL)) == NULL)
		return 0;
	kube_resource_set(&r, "maas.opendatahub.io", "v1alpha1",
	    "maastenantconfigs", "MaasTenantConfig", 1);
	if (kube_get(k, &r, TENANT_NS, TENANT_NAME, &o, NULL) != 0) {
		term_log(1, "usage: cannot read MaasTenantConfig %s/%s; "
		    "checking the metrics' labels instead", TENANT_NS,
		    TENANT_NAME);
		goto out;
	}
	if (!json_bool(o, "spec.telemetry.enabled", 1)) {
		err_set(e, EXIT_UNREACHABLE, "usage: MaaS telemetry is disabled: "
		    "MaasTenantConfig %s in %s has spec.telemetry.enabled: "
		    "false, so the gateway records no usage per user, "
		    "subscription or model", TENANT_NAME, TENANT_NS);
		err_hint(e, "turn it on: kubectl patch maastenantconfig %s -n %s "
		    "--type merge -p '{\"spec\":{\"telemetry\":{\"enabled\":"
		    "true}}}'", TENANT_NAME, TENANT_NS);
		rc = -1;
		goto out;
	}
	if ((by == BY_USER || U.user != NULL) &&
	    !json_bool(o, "spec.telemetry.metrics.captureUser", 0)) {
		what = "per-user usage";
		field = "captureUser";
	} else if ((by == BY_MODEL || U.model != NULL) &&
	    !json_bool(o, "spec.telemetry.metrics.captureModelUsage", 1)) {
		what = "per-model usage";
		field = "captureModelUsage";
	}
	if (field != NULL) {
		err_set(e, EXIT_UNREACHABLE, "usage: %s is not recorded: "
		    "MaasTenantConfig %s in %s has spec.telemetry.metrics.%s: "
		    "false", what, TENANT_NAME, TENANT_NS, field);
		err_hint(e, "turn it on: kubectl patch maastenantconfig %s -n %s "
		    "--type merge -p '{\"spec\":{\"telemetry\":{\"metrics\":"
		    "{\"%s\":true}}}}'", TENANT_NAME, TENANT_NS, field);
		rc = -1;
	}
out:
	cJSON_Delete(o);
	kube_resource_free(&r);
	return rc;
}

/* Is user workload monitoring off (cluster-monitoring-config)? */
static int
uwm_disabled(struct ctx *ctx)
{
	struct kube		*k;
	struct kube_resource	 r;
	cJSON			*o = NULL;
	const char		*cfg, *p;
	int			 off = 0;

	if ((k = ctx_kube(ctx, NULL)) == NULL)
		return 0;
	kube_resource_set(&r, "", "v1", "configmaps", "ConfigMap", 1);
	if (kube_get(k, &r, MON_NS, "cluster-monitoring-config", &o,
	    NULL) == 0) {
		cfg = json_str(o, "data.config\\.yaml");
		if (cfg == NULL)
			cfg = cJSON_GetStringValue(cJSON_GetObjectItem(
			    cJSON_GetObjectItem(o, "data"), "config.yaml"));
		p = cfg ? strstr(cfg, "enableUserWorkload:") : NULL;
		if (p == NULL)
			off = 1;
		else {
			p += strlen("enableUserWorkload:");
			while (*p == ' ' || *p == '\t')
				p++;
			off = strncmp(p, "true", 4) != 0;
		}
	} else
		off = 0;	/* unknown: say nothing */
	cJSON_Delete(o);
	kube_resource_free(&r);
	return off;
}

/* The MaaSSubscriptions' tokenMetadata, all namespaces (best effort). */
static int
load_subs(struct ctx *ctx, struct subs *s, struct err *e)
{
	struct kube		*k;
	struct kube_resource	 r;
	struct kube_list_opts	 lo;
	cJSON			*list = NULL;
	const cJSON		*it;
	const char		*name;
	struct subinfo		*si;
	int			 rc = -1;

	if ((k = ctx_kube(ctx, e)) == NULL) {
		err_wrap(e, "usage: organization and cost center come from "
		    "the MaaSSubscriptions");
		return -1;
	}
	memset(&lo, 0, sizeof lo);
	kube_resource_set(&r, "maas.opendatahub.io", "v1alpha1",
	    "maassubscriptions", "MaaSSubscription", 1);
	if (kube_list(k, &r, NULL, &lo, &list, e) != 0)
		goto out;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(list, "items")) {
		if ((name = json_str(it, "metadata.name")) == NULL)
			continue;
		s->v = xrealloc(s->v, (s->n + 1) * sizeof *s->v);
		si = &s->v[s->n++];
		si->name = xstrdup(name);
		si->org = json_str(it, "spec.tokenMetadata.organizationId") ?
		    xstrdup(json_str(it, "spec.tokenMetadata.organizationId")) :
		    NULL;
		si->cc = json_str(it, "spec.tokenMetadata.costCenter") ?
		    xstrdup(json_str(it, "spec.tokenMetadata.costCenter")) :
		    NULL;
	}
	rc = 0;
out:
	cJSON_Delete(list);
	kube_resource_free(&r);
	return rc;
}

static void
subs_free(struct subs *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].org);
		free(s->v[i].cc);
	}
	free(s->v);
}

/* The subscription named by a metric label ("name" or "ns/name"). */
static const struct subinfo *
sub_find(const struct subs *s, const char *label)
{
	const char	*slash = strrchr(label, '/');
	size_t		 i;

	if (slash != NULL)
		label = slash + 1;
	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, label) == 0)
			return &s->v[i];
	return NULL;
}

/* ---- building the report ---- */

/* A PromQL string literal. */
static void
add_quoted(struct strbuf *b, const char *v)
{
	sb_addc(b, '"');
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			sb_addc(b, '\\');
		if (*v == '\n')
			sb_adds(b, "\\n");
		else
			sb_addc(b, *v);
	}
	sb_addc(b, '"');
}

/* The label matchers; with_model 0 for the call counters (no model). */
static char *
matchers(int with_model)
{
	struct strbuf	b = STRBUF_INIT;
	char		*out;

	sb_init(&b);
	if (U.user != NULL) {
		sb_adds(&b, "user=");
		add_quoted(&b, U.user);
	}
	if (U.subscription != NULL) {
		sb_adds(&b, b.len ? ",subscription=" : "subscription=");
		add_quoted(&b, U.subscription);
	}
	if (with_model && U.model != NULL) {
		sb_adds(&b, b.len ? ",model=" : "model=");
		add_quoted(&b, U.model);
	}
	if (b.len == 0) {
		sb_free(&b);
		return xstrdup("");
	}
	out = xasprintf("{%s}", b.buf);
	sb_free(&b);
	return out;
}

static const char *
label_of(enum by by)
{
	switch (by) {
	case BY_USER:	return "user";
	case BY_MODEL:	return "model";
	default:	return "subscription";
	}
}

static struct row *
row_get(struct report *rep, const char *key, double t)
{
	size_t		 i;
	struct row	*r;

	for (i = 0; i < rep->n; i++)
		if (strcmp(rep->r[i].key, key) == 0 && rep->r[i].t == t)
			return &rep->r[i];
	rep->r = xrealloc(rep->r, (rep->n + 1) * sizeof *rep->r);
	r = &rep->r[rep->n++];
	memset(r, 0, sizeof *r);
	r->key = xstrdup(key);
	r->t = t;
	r->p50 = r->p99 = NAN;
	return r;
}

static void
report_free(struct report *rep)
{
	size_t	i;

	for (i = 0; i < rep->n; i++)
		free(rep->r[i].key);
	free(rep->r);
	rep->r = NULL;
	rep->n = 0;
}

enum col { C_TOKENS, C_AUTH, C_LIMITED, C_P50, C_P99 };

/* Add one metric's series (instant vector, or matrix with range) to the
 * report under label; *unlabelled counts series without it. */
static void
merge(struct report *rep, const cJSON *res, const char *label, enum col c,
    int range, size_t *unlabelled)
{
	const cJSON	*s, *pt, *vals;
	const char	*key;
	struct row	*r;
	double		 v, t;

	cJSON_ArrayForEach(s, res) {
		key = cJSON_GetStringValue(cJSON_GetObjectItem(
		    cJSON_GetObjectItem(s, "metric"), label));
		if (key == NULL || *key == '\0') {
			(*unlabelled)++;
			continue;
		}
		vals = range ? cJSON_GetObjectItem(s, "values") : NULL;
		cJSON_ArrayForEach(pt, vals) {
			t = cJSON_GetNumberValue(cJSON_GetArrayItem(pt, 0));
			v = sample_value(pt);
			r = row_get(rep, key, t);
			switch (c) {
			case C_TOKENS: r->tokens += v; break;
			case C_AUTH: r->authorized += v; r->has_calls = 1; break;
			case C_LIMITED: r->limited += v; r->has_calls = 1; break;
			case C_P50: r->p50 = v; break;
			case C_P99: r->p99 = v; break;
			}
		}
		if (range)
			continue;
		v = sample_value(cJSON_GetObjectItem(s, "value"));
		r = row_get(rep, key, 0);
		switch (c) {
		case C_TOKENS: r->tokens += v; break;
		case C_AUTH: r->authorized += v; r->has_calls = 1; break;
		case C_LIMITED: r->limited += v; r->has_calls = 1; break;
		case C_P50: r->p50 = v; break;
		case C_P99: r->p99 = v; break;
		}
	}
}

/* Run one query (instant at `to`, or range) and merge it. */
static int
run_query(struct prom *p, struct report *rep, const char *q,
    const char *label, enum col c, double from, double to, double step,
    size_t *unlabelled, struct err *e)
{
	cJSON	*res;

	if (step > 0)
		res = prom_range(p, q, from + step, to, step, e);
	else
		res = prom_query(p, q, to, e);
	if (res == NULL)
		return -1;
	merge(rep, res, label, c, step > 0, unlabelled);
	cJSON_Delete(res);
	return 0;
}

/* Window as PromQL wants it: whole seconds. */
static char *
window(double secs)
{
	return xasprintf("%.0fs", secs < 1 ? 1 : ceil(secs));
}

static int
row_cmp(const void *a, const void *b)
{
	const struct row	*x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->tokens != y->tokens)
		return x->tokens > y->tokens ? -1 : 1;
	return strcmp(x->key, y->key);
}

/*
 * Query everything the report needs for the window [from, to] (or the
 * steps of it) into rep.
 */
static int
build(struct ctx *ctx, struct prom *p, enum by by, double from, double to,
    double step, const struct subs *subs, struct report *rep, struct err *e)
{
	const char	*label = label_of(by);
	char		*w, *mt = matchers(1), *mc = matchers(0), *q = NULL;
	size_t		 unl = 0, ntok, i;
	int		 rc = -1, calls = U.model == NULL && by != BY_MODEL;
	int		 topk = U.top > 0 && step == 0 && (by == BY_USER ||
			    by == BY_SUBSCRIPTION || by == BY_MODEL);
	struct report	 agg = { NULL, 0 };
	const struct subinfo *si;
	const char	*key;
	struct row	*r;

	w = window(step > 0 ? step : to - from);
	if (topk)
		q = xasprintf("topk(%ld, sum by (%s) (increase("
		    "authorized_hits%s[%s])))", U.top, label, mt, w);
	else
		q = xasprintf("sum by (%s) (increase(authorized_hits%s[%s]))",
		    label, mt, w);
	if (run_query(p, rep, q, label, C_TOKENS, from, to, step, &unl,
	    e) != 0)
		goto out;
	ntok = rep->n;
	if (calls) {
		free(q);
		q = xasprintf("sum by (%s) (increase(authorized_calls%s[%s]))",
		    label, mc, w);
		if (run_query(p, rep, q, label, C_AUTH, from, to, step, &unl,
		    e) != 0)
			goto out;
		free(q);
		q = xasprintf("sum by (%s) (increase(limited_calls%s[%s]))",
		    label, mc, w);
		if (run_query(p, rep, q, label, C_LIMITED, from, to, step,
		    &unl, e) != 0)
			goto out;
	}
	if (by == BY_SUBSCRIPTION) {
		free(q);
		q = xasprintf("histogram_quantile(0.5, sum by (subscription, "
		    "le) (increase(istio_request_duration_milliseconds_bucket"
		    "%s[%s])))", U.subscription ? mc : "", w);
		if (U.user != NULL) {
			/* The histogram has no user label: subscription only. */
			free(q);
			q = NULL;
		}
		if (q != NULL && run_query(p, rep, q, label, C_P50, from, to,
		    step, &unl, e) != 0)
			goto out;
		if (q != NULL) {
			free(q);
			q = xasprintf("histogram_quantile(0.99, sum by "
			    "(subscription, le) (increase("
			    "istio_request_duration_milliseconds_bucket%s[%s])))",
			    U.subscription ? mc : "", w);
			if (run_query(p, rep, q, label, C_P99, from, to, step,
			    &unl, e) != 0)
				goto out;
		}
	}
	if (topk) {
		/* Keys outside the top N came from the other queries. */
		for (i = ntok; i < rep->n; i++)
			free(rep->r[i].key);
		rep->n = ntok;
	}
	if (rep->n == 0 && unl > 0) {
		err_set(e, EXIT_UNREACHABLE, "usage: the usage metrics in "
		    "Prometheus carry no %s label: MaaS telemetry is off or "
		    "does not capture it", label);
		err_hint(e, "check spec.telemetry in MaasTenantConfig %s (%s): "
		    "enabled%s", TENANT_NAME, TENANT_NS, by == BY_USER ?
		    ", metrics.captureUser" : by == BY_MODEL ?
		    ", metrics.captureModelUsage" : "");
		goto out;
	}
	if (rep->n == 0 && uwm_disabled(ctx)) {
		err_set(e, EXIT_UNREACHABLE, "usage: Prometheus has no MaaS "
		    "metrics: user workload monitoring is off, so Limitador "
		    "and the gateway are never scraped");
		err_hint(e, "set enableUserWorkload: true in ConfigMap "
		    "cluster-monitoring-config (namespace %s), key config.yaml",
		    MON_NS);
		goto out;
	}
	if (by == BY_ORG || by == BY_COSTCENTER) {
		for (i = 0; i < rep->n; i++) {
			si = sub_find(subs, rep->r[i].key);
			key = si == NULL ? NULL : by == BY_ORG ? si->org : si->cc;
			r = row_get(&agg, key ? key : "", rep->r[i].t);
			r->tokens += rep->r[i].tokens;
			r->authorized += rep->r[i].authorized;
			r->limited += rep->r[i].limited;
			r->has_calls |= rep->r[i].has_calls;
		}
		report_free(rep);
		*rep = agg;
	} else if (by == BY_SUBSCRIPTION)
		for (i = 0; i < rep->n; i++)
			if ((si = sub_find(subs, rep->r[i].key)) != NULL) {
				rep->r[i].org = si->org;
				rep->r[i].cc = si->cc;
			}
	if (rep->n > 0)
		qsort(rep->r, rep->n, sizeof *rep->r, row_cmp);
	if (U.top > 0 && !topk && step == 0 && rep->n > (size_t)U.top) {
		for (i = (size_t)U.top; i < rep->n; i++)
			free(rep->r[i].key);
		rep->n = (size_t)U.top;
	}
	rc = 0;
out:
	free(q);
	free(w);
	free(mt);
	free(mc);
	return rc;
}

/* ---- printing ---- */

static char *
rfc3339(double t)
{
	time_t		 s = (time_t)floor(t);
	struct tm	 tm;
	char		 buf[32];

	gmtime_r(&s, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

static double
share(const struct row *r)
{
	double	calls = r->authorized + r->limited;

	return calls > 0 ? r->limited / calls : 0;
}

/* A count as an integer when it is one (increase() of counters is). */
static void
add_num(struct strbuf *b, double v)
{
	if (isnan(v))
		return;
	if (v == floor(v) && fabs(v) < 1e15)
		sb_addf(b, "%.0f", v);
	else
		sb_addf(b, "%.6g", v);
}

static cJSON *
num_or_null(double v)
{
	return isnan(v) || isinf(v) ? cJSON_CreateNull() : cJSON_CreateNumber(v);
}

static const char *
key_field(enum by by)
{
	switch (by) {
	case BY_USER:		return "user";
	case BY_SUBSCRIPTION:	return "subscription";
	case BY_MODEL:		return "model";
	case BY_ORG:		return "organization";
	default:		return "costCenter";
	}
}

static cJSON *
row_json(const struct row *r, enum by by, int step)
{
	cJSON	*o = cJSON_CreateObject();
	char	*ts;

	if (step) {
		ts = rfc3339(r->t);
		cJSON_AddStringToObject(o, "time", ts);
		free(ts);
	}
	if (*r->key == '\0')
		cJSON_AddNullToObject(o, key_field(by));
	else
		cJSON_AddStringToObject(o, key_field(by), r->key);
	if (by == BY_SUBSCRIPTION) {
		if (r->org)
			cJSON_AddStringToObject(o, "organization", r->org);
		else
			cJSON_AddNullToObject(o, "organization");
		if (r->cc)
			cJSON_AddStringToObject(o, "costCenter", r->cc);
		else
			cJSON_AddNullToObject(o, "costCenter");
	}
	cJSON_AddNumberToObject(o, "tokens", r->tokens);
	if (r->has_calls) {
		cJSON_AddNumberToObject(o, "calls", r->authorized + r->limited);
		cJSON_AddNumberToObject(o, "rateLimitedCalls", r->limited);
		cJSON_AddNumberToObject(o, "rateLimitedShare",
		    round(share(r) * 1e6) / 1e6);
	} else {
		cJSON_AddNullToObject(o, "calls");
		cJSON_AddNullToObject(o, "rateLimitedCalls");
		cJSON_AddNullToObject(o, "rateLimitedShare");
	}
	if (by == BY_SUBSCRIPTION) {
		cJSON_AddItemToObject(o, "latencyP50Ms", num_or_null(r->p50));
		cJSON_AddItemToObject(o, "latencyP99Ms", num_or_null(r->p99));
	}
	return o;
}

static void
print_json(const struct report *rep, enum by by, double from, double to,
    double step, const char *url)
{
	cJSON		*d = cJSON_CreateObject(), *rows, *tot;
	struct row	 t;
	size_t		 i;
	char		*s;
	int		 calls = 0;

	cJSON_AddStringToObject(d, "kind", "UsageReport");
	cJSON_AddStringToObject(d, "by", by_names[by]);
	s = rfc3339(from);
	cJSON_AddStringToObject(d, "from", s);
	free(s);
	s = rfc3339(to);
	cJSON_AddStringToObject(d, "to", s);
	free(s);
	if (step > 0)
		cJSON_AddNumberToObject(d, "stepSeconds", step);
	cJSON_AddStringToObject(d, "prometheus", url);
	rows = cJSON_AddArrayToObject(d, "rows");
	memset(&t, 0, sizeof t);
	for (i = 0; i < rep->n; i++) {
		cJSON_AddItemToArray(rows, row_json(&rep->r[i], by, step > 0));
		t.tokens += rep->r[i].tokens;
		t.authorized += rep->r[i].authorized;
		t.limited += rep->r[i].limited;
		calls |= rep->r[i].has_calls;
	}
	tot = cJSON_AddObjectToObject(d, "totals");
	cJSON_AddNumberToObject(tot, "tokens", t.tokens);
	if (calls || rep->n == 0) {
		cJSON_AddNumberToObject(tot, "calls", t.authorized + t.limited);
		cJSON_AddNumberToObject(tot, "rateLimitedCalls", t.limited);
		cJSON_AddNumberToObject(tot, "rateLimitedShare",
		    round(share(&t) * 1e6) / 1e6);
	}
	s = json_print(d, 1);
	printf("%s\n", s);
	free(s);
	cJSON_Delete(d);
}

/* One RFC 4180 field: quoted when it holds a comma, quote, CR or LF. */
static void
csv_field(struct strbuf *b, const char *v, int first)
{
	if (!first)
		sb_addc(b, ',');
	if (v == NULL)
		return;
	if (strpbrk(v, ",\"\r\n") == NULL) {
		sb_adds(b, v);
		return;
	}
	sb_addc(b, '"');
	for (; *v != '\0'; v++) {
		if (*v == '"')
			sb_addc(b, '"');
		sb_addc(b, *v);
	}
	sb_addc(b, '"');
}

static void
csv_num(struct strbuf *b, double v)
{
	sb_addc(b, ',');
	add_num(b, v);
}

static void
print_csv(const struct report *rep, enum by by, double step)
{
	struct strbuf	 b = STRBUF_INIT;
	const struct row *r;
	char		*ts;
	size_t		 i;
	int		 first;

	sb_init(&b);
	if (!U.no_headers) {
		first = 1;
		if (step > 0) {
			csv_field(&b, "time", 1);
			first = 0;
		}
		csv_field(&b, by == BY_COSTCENTER ? "cost_center" :
		    by_names[by], first);
		if (by == BY_SUBSCRIPTION) {
			csv_field(&b, "organization", 0);
			csv_field(&b, "cost_center", 0);
		}
		sb_adds(&b, ",tokens,calls,rate_limited_calls,"
		    "rate_limited_share");
		if (by == BY_SUBSCRIPTION)
			sb_adds(&b, ",latency_p50_ms,latency_p99_ms");
		sb_adds(&b, "\r\n");
	}
	for (i = 0; i < rep->n; i++) {
		r = &rep->r[i];
		first = 1;
		if (step > 0) {
			ts = rfc3339(r->t);
			csv_field(&b, ts, 1);
			free(ts);
			first = 0;
		}
		csv_field(&b, r->key, first);
		if (by == BY_SUBSCRIPTION) {
			csv_field(&b, r->org, 0);
			csv_field(&b, r->cc, 0);
		}
		csv_num(&b, r->tokens);
		if (r->has_calls) {
			csv_num(&b, r->authorized + r->limited);
			csv_num(&b, r->limited);
			sb_addf(&b, ",%.4f", share(r));
		} else
			sb_adds(&b, ",,,");
		if (by == BY_SUBSCRIPTION) {
			csv_num(&b, isinf(r->p50) ? NAN : r->p50);
			csv_num(&b, isinf(r->p99) ? NAN : r->p99);
		}
		sb_adds(&b, "\r\n");
	}
	fwrite(b.buf, 1, b.len, stdout);
	sb_free(&b);
}

static char *
cell_num(double v)
{
	struct strbuf	b = STRBUF_INIT;

	sb_init(&b);
	if (isnan(v) || isinf(v))
		sb_adds(&b, "-");
	else if (v == floor(v) && fabs(v) < 1e15)
		sb_addf(&b, "%.0f", v);
	else
		sb_addf(&b, "%.1f", v);
	return sb_detach(&b);
}

static void
print_table(const struct report *rep, enum by by, double step)
{
	const char		*hdr[12];
	struct output		 out;
	struct output_table	*t;
	const struct row	*r;
	size_t			 n = 0, i;
	char			*c;

	memset(&out, 0, sizeof out);
	out.no_headers = U.no_headers;
	if (step > 0)
		hdr[n++] = "TIME";
	hdr[n++] = by == BY_COSTCENTER ? "COST CENTER" : by == BY_ORG ?
	    "ORGANIZATION" : by == BY_USER ? "USER" : by == BY_MODEL ?
	    "MODEL" : "SUBSCRIPTION";
	if (by == BY_SUBSCRIPTION) {
		hdr[n++] = "ORGANIZATION";
		hdr[n++] = "COST CENTER";
	}
	hdr[n++] = "TOKENS";
	hdr[n++] = "CALLS";
	hdr[n++] = "RATE LIMITED";
	hdr[n++] = "LIMITED %";
	if (by == BY_SUBSCRIPTION) {
		hdr[n++] = "P50 MS";
		hdr[n++] = "P99 MS";
	}
	t = output_table_new(hdr, n);
	for (i = 0; i < rep->n; i++) {
		r = &rep->r[i];
		if (step > 0) {
			c = rfc3339(r->t);
			output_table_add(t, c);
			free(c);
		}
		output_table_add(t, *r->key ? r->key : "<none>");
		if (by == BY_SUBSCRIPTION) {
			output_table_add(t, r->org);
			output_table_add(t, r->cc);
		}
		c = cell_num(r->tokens);
		output_table_add(t, c);
		free(c);
		if (r->has_calls) {
			c = cell_num(r->authorized + r->limited);
			output_table_add(t, c);
			free(c);
			c = cell_num(r->limited);
			output_table_add(t, c);
			free(c);
			output_table_addf(t, "%.1f%%", 100 * share(r));
		} else {
			output_table_add(t, "-");
			output_table_add(t, "-");
			output_table_add(t, "-");
		}
		if (by == BY_SUBSCRIPTION) {
			c = cell_num(r->p50);
			output_table_add(t, c);
			free(c);
			c = cell_num(r->p99);
			output_table_add(t, c);
			free(c);
		}
		output_table_end_row(t);
	}
	if (output_table_rows(t) == 0)
		fprintf(stderr, "No usage recorded in this window\n");
	else
		output_table_print(t, &out, stdout);
	output_table_free(t);
}

/* ---- the command ---- */

/* RFC 3339 or unix seconds. */
static int
parse_time(const char *flag, const char *s, double *out, struct err *e)
{
	char	*end;

	*out = strtod(s, &end);
	if (end != s && *end == '\0' && *out >= 0)
		return 0;
	if (rfc3339_parse(s, out) == 0)
		return 0;
	return err_set(e, EXIT_USAGE, "usage: --%s %s: want an RFC 3339 time "
	    "(2026-11-22T10:00:00Z) or unix seconds", flag, s);
}

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile sig_atomic_t interrupted;

static void
on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* --watch: a top-like view of the last minute's rates, sorted by
 * tokens per second, refreshed every --interval until interrupted. */
static int
watch(struct ctx *ctx, struct prom *p, enum by by, const struct subs *subs,
    struct err *e)
{
	struct sigaction	 sa, old;
	struct report		 rep = { NULL, 0 };
	struct output		 out;
	struct output_table	*t;
	const char		*hdr[5];
	double			 iv = U.interval > 0 ? U.interval : 5, now, left;
	int			 tty = isatty(STDOUT_FILENO), rc = 0;
	size_t			 i;
	char			*ts, *c;
	struct timespec		 nap;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, &old);
	interrupted = 0;
	hdr[0] = by == BY_COSTCENTER ? "COST CENTER" : by == BY_ORG ?
	    "ORGANIZATION" : by == BY_USER ? "USER" : by == BY_MODEL ?
	    "MODEL" : "SUBSCRIPTION";
	hdr[1] = "TOKENS/S";
	hdr[2] = "CALLS/S";
	hdr[3] = "LIMITED/S";
	hdr[4] = "TOKENS (1M)";
	while (!interrupted) {
		now = now_s();
		if (build(ctx, p, by, now - 60, now, 0, subs, &rep, e) != 0) {
			rc = -1;
			break;
		}
		if (tty)
			fputs("\033[H\033[2J", stdout);
		ts = rfc3339(now);
		printf("maasctl usage --watch  %s  by %s  every %gs  "
		    "(Prometheus %s)\n\n", ts, by_names[by], iv, p->url);
		free(ts);
		memset(&out, 0, sizeof out);
		t = output_table_new(hdr, 5);
		for (i = 0; i < rep.n; i++) {
			output_table_add(t, *rep.r[i].key ? rep.r[i].key :
			    "<none>");
			output_table_addf(t, "%.2f", rep.r[i].tokens / 60);
			if (rep.r[i].has_calls) {
				output_table_addf(t, "%.2f",
				    (rep.r[i].authorized + rep.r[i].limited) /
				    60);
				output_table_addf(t, "%.2f", rep.r[i].limited /
				    60);
			} else {
				output_table_add(t, "-");
				output_table_add(t, "-");
			}
			c = cell_num(rep.r[i].tokens);
			output_table_add(t, c);
			free(c);
			output_table_end_row(t);
		}
		if (output_table_rows(t) == 0)
			printf("no usage in the last minute\n");
		else
			output_table_print(t, &out, stdout);
		output_table_free(t);
		if (!tty)
			printf("\n");
		fflush(stdout);
		report_free(&rep);
		for (left = iv; left > 0 && !interrupted; left -= 0.1) {
			nap.tv_sec = 0;
			nap.tv_nsec = 100000000;
			nanosleep(&nap, NULL);
		}
	}
	sigaction(SIGINT, &old, NULL);
	report_free(&rep);
	return rc;
}

static int
usage_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct prom	 p;
	struct subs	 subs = { NULL, 0 };
	struct report	 rep = { NULL, 0 };
	enum by		 by = BY_SUBSCRIPTION;
	enum fmt	 fmt = FMT_TABLE;
	const char	*o = ctx->g.output;
	double		 from, to;
	size_t		 i;
	int		 rc = -1;

	(void)argc;
	(void)argv;
	memset(&p, 0, sizeof p);
	if (U.by != NULL) {
		for (i = 0; i < 5; i++)
			if (strcmp(U.by, by_names[i]) == 0)
				break;
		if (i == 5)
			return err_set(e, EXIT_USAGE, "usage: --by %s: want user, "
			    "subscription, model, organization or cost-center",
			    U.by);
		by = (enum by)i;
	}
	if (o == NULL || *o == '\0' || strcmp(o, "table") == 0)
		fmt = FMT_TABLE;
	else if (strcmp(o, "json") == 0)
		fmt = FMT_JSON;
	else if (strcmp(o, "csv") == 0)
		fmt = FMT_CSV;
	else
		return err_set(e, EXIT_USAGE, "usage: -o %s: want table, json "
		    "or csv", o);
	if (U.since > 0 && (U.from != NULL || U.to != NULL))
		return err_set(e, EXIT_USAGE, "usage: --since and --from/--to "
		    "are exclusive: give a window ending now, or both ends");
	if (U.since < 0 || U.step < 0)
		return err_set(e, EXIT_USAGE, "usage: --since and --step want a "
		    "positive duration");
	to = now_s();
	if (U.to != NULL && parse_time("to", U.to, &to, e) != 0)
		return -1;
	if (U.from != NULL) {
		if (parse_time("from", U.from, &from, e) != 0)
			return -1;
	} else if (U.to != NULL)
		return err_set(e, EXIT_USAGE, "usage: --to needs --from");
	else
		from = to - (U.since > 0 ? U.since : 86400);
	if (from >= to)
		return err_set(e, EXIT_USAGE, "usage: the window is empty: "
		    "--from must be before --to");
	if (U.step > 0 && (to - from) / U.step > 11000)
		return err_set(e, EXIT_USAGE, "usage: --step %gs makes more than "
		    "11000 points in the window: use a larger step", U.step);
	if (U.watch && (U.step > 0 || U.from != NULL || fmt != FMT_TABLE))
		return err_set(e, EXIT_USAGE, "usage: --watch shows a live "
		    "table: it takes no --step, --from/--to or -o");
	if (U.interval != 0 && !U.watch)
		return err_set(e, EXIT_USAGE, "usage: --interval goes with "
		    "--watch");
	if (U.interval < 0 || (U.watch && U.interval > 0 && U.interval < 0.5))
		return err_set(e, EXIT_USAGE, "usage: --interval wants at "
		    "least 0.5s");

	/* Where Prometheus is, and whether telemetry records what we need. */
	if (U.prometheus != NULL) {
		if (strncmp(U.prometheus, "http://", 7) != 0 &&
		    strncmp(U.prometheus, "https://", 8) != 0)
			return err_set(e, EXIT_USAGE, "usage: --prometheus %s: "
			    "want an http:// or https:// URL", U.prometheus);
		p.url = xstrdup(U.prometheus);
	} else if ((p.url = discover(ctx, e)) == NULL)
		goto out;
	while (strlen(p.url) > 8 && p.url[strlen(p.url) - 1] == '/')
		p.url[strlen(p.url) - 1] = '\0';
	if (check_telemetry(ctx, by, e) != 0)
		goto out;
	if (by == BY_ORG || by == BY_COSTCENTER || by == BY_SUBSCRIPTION) {
		if (load_subs(ctx, &subs, e) != 0) {
			if (by == BY_SUBSCRIPTION) {
				/* The join is optional for subscriptions. */
				term_log(1, "usage: no tokenMetadata: %s",
				    e->msg ? e->msg : "");
				err_clear(e);
			} else
				goto out;
		}
	}
	/* The cluster user's bearer token, as thanos-querier wants. */
	if ((p.token = ctx_bearer_token(ctx, NULL)) == NULL)
		term_log(1, "usage: no bearer token for Prometheus");
	p.http.timeout = ctx->g.timeout;
	p.http.max_attempts = 2;
	ctx_kube_tls(ctx, &p.http.tls);
	if (ctx->g.ca_file != NULL)
		p.http.tls.ca_file = ctx->g.ca_file;
	if (ctx->g.insecure)
		p.http.tls.insecure = 1;

	/* A window ending now ends when the queries start. */
	if (U.to == NULL && U.from == NULL) {
		to = now_s();
		from = to - (U.since > 0 ? U.since : 86400);
	}
	if (U.watch) {
		rc = watch(ctx, &p, by, &subs, e);
		if (rc == 0 && interrupted)
			rc = err_set(e, EXIT_INTERRUPTED, "usage: interrupted");
		goto out;
	}
	if (build(ctx, &p, by, from, to, U.step, &subs, &rep, e) != 0)
		goto out;
	switch (fmt) {
	case FMT_JSON:
		print_json(&rep, by, from, to, U.step, p.url);
		break;
	case FMT_CSV:
		print_csv(&rep, by, U.step);
		break;
	default:
		print_table(&rep, by, U.step);
		break;
	}
	rc = 0;
out:
	report_free(&rep);
	subs_free(&subs);
	prom_free(&p);
	return rc;
}

const struct command cmd_usage = {
	.name = "usage",
	.summary = "Tokens, calls and rate-limited calls from the platform's "
	    "telemetry",
	.usage = "[--by user|subscription|model|organization|cost-center] "
	    "[--since DURATION | --from TIME [--to TIME]] [--top N] "
	    "[--user USER] [--subscription NAME] [--model MODEL] "
	    "[--step DURATION] [-o table|json|csv] [--prometheus URL] "
	    "[--watch [--interval DURATION]]",
	.opts = usage_opts,
	.run = usage_run,
	.max_args = 0,
};
