/*
 * doctor.c: `maasctl doctor [MODEL]`: the checklist of MAAS-ADMIN-TASKS.md
 * section 4 that applies to what maasctl can see (the gateway and
 * maas-api over HTTP, the MaaS objects through the kubeconfig), each
 * check PASS, WARN, FAIL or SKIP with its cause and the fix to try.
 *
 * Order: the MaaS URL (D7) and /maas-api/health (reachability); the
 * Gateway (D5), gateway-default-deny (D10), the ephemeral-key cleanup
 * CronJob and its NetworkPolicy (D25), each model's MaaSModelRef and
 * backend (D19), its MaaSAuthPolicy and MaaSSubscription (D20) and the
 * subscriptions' phases (D21); the identity token (D11); a configured API
 * key; a temporary key minted as validate-deployment.sh does (D12, retried
 * while policies propagate: 401, 403 with an empty body, 500 AUTH_FAILURE);
 * /v1/models (D13); one chat completion (D15) with usage (D29); the same
 * request without credentials (D17).  The temporary key is revoked before
 * doctor exits (also after SIGINT/SIGTERM, which end the checks early).
 * Exit 0 when nothing FAILs, else 1.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "json.h"
#include "kubeconfig.h"
#include "kubectx.h"
#include "output.h"
#include "target.h"

#define TENANT_NS	"models-as-a-service"
#define GATEWAY_NS	"openshift-ingress"
#define GATEWAY_NAME	"maas-default-gateway"

static struct {
	long	 retries;
	double	 retry_interval;
	long	 max_tokens;
} D = { 12, 5, 20 };

static const struct opt doctor_opts[] = {
	{ "retries", 0, OPT_INT, &D.retries, "N",
	  "attempts while policies propagate (default 12)", 0, NULL, NULL,
	  1, 1000 },
	{ "retry-interval", 0, OPT_DURATION, &D.retry_interval, "D",
	  "pause between those attempts (default 5s)", 0, NULL, NULL, 0, 0 },
	{ "max-tokens", 0, OPT_INT, &D.max_tokens, "N",
	  "max_tokens of the test completion (default 20)", 0, NULL, NULL,
	  1, 100000 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

enum status { ST_PASS, ST_WARN, ST_FAIL, ST_SKIP };
static const char *const st_name[] = { "PASS", "WARN", "FAIL", "SKIP" };

/* The whole run. */
struct doc {
	struct ctx	*ctx;
	cJSON		*checks;	/* array of results */
	int		 count[4];
	int		 json;
	struct target	 api;		/* maas-api with the token */
	struct target	 inf;		/* /v1 with the configured key */
	int		 have_api, have_inf;
	char		*url;		/* gateway base URL */
	int		 gw_ok;		/* /maas-api/health answered */
	struct kube	*kube;		/* NULL: no cluster view */
	cJSON		*models;	/* MaaSModelRefs checked */
	char		*model_id;	/* id to call */
	char		*key;		/* key used for inference (secret) */
	char		*temp_id;	/* temporary key id to revoke */
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void __attribute__((format(printf, 5, 6)))
report(struct doc *d, const char *name, enum status st, const char *fix,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;
	cJSON	*o;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	d->count[st]++;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "check", name);
	cJSON_AddStringToObject(o, "status", st_name[st]);
	cJSON_AddStringToObject(o, "message", msg);
	if (fix != NULL && st != ST_PASS)
		cJSON_AddStringToObject(o, "fix", fix);
	cJSON_AddItemToArray(d->checks, o);
	if (!d->json) {
		printf("%-4s  %-16s %s\n", st_name[st], name, msg);
		if (fix != NULL && st != ST_PASS && st != ST_SKIP)
			printf("      %-16s fix: %s\n", "", fix);
		fflush(stdout);
	}
	free(msg);
}

static void
pause_retry(void)
{
	struct timespec	ts;

	ts.tv_sec = (time_t)D.retry_interval;
	ts.tv_nsec = (long)((D.retry_interval - (double)ts.tv_sec) * 1e9);
	while (!stop && nanosleep(&ts, &ts) == -1)
		;
}

/* One HTTP exchange without http.c's own retries; 0 when a response
 * arrived.  bearer NULL sends no Authorization. */
static int
call(struct doc *d, const char *method, const char *url, const char *bearer,
    const char *body, struct http_response *res)
{
	struct http_client	 hc = d->api.http;
	struct http_request	 rq;
	const char		*h[4];
	char			*auth = NULL;
	struct err		 e = ERR_INIT;
	size_t			 n = 0;
	int			 rc;

	hc.max_attempts = 1;
	if (hc.timeout <= 0)
		hc.timeout = 30;
	hc.connect_timeout = 10;
	if (bearer != NULL)
		h[n++] = auth = xasprintf("Authorization: Bearer %s", bearer);
	if (body != NULL)
		h[n++] = "Content-Type: application/json";
	h[n++] = "Accept: application/json";
	h[n] = NULL;
	memset(&rq, 0, sizeof rq);
	rq.method = method;
	rq.url = url;
	rq.headers = h;
	rq.body = body;
	rq.body_len = body ? strlen(body) : 0;
	memset(res, 0, sizeof *res);
	rc = http_do(&hc, &rq, res, &e);
	err_clear(&e);
	xfree_secret(auth);
	return rc;
}

/* "connection refused", "401 Authentication required", ... of a failed
 * exchange: the reason for a check line. */
static char *
why(const struct http_response *r)
{
	const char	*reason = http_header(r, "x-ext-auth-reason");
	cJSON		*o;
	const char	*m = NULL;
	char		*s;

	if (r->status == 0)
		return xasprintf("cannot connect to %s (%s)", r->hostport ?
		    r->hostport : "the gateway", r->fail_reason ?
		    r->fail_reason : "transport failure");
	o = json_parse(r->body.buf ? r->body.buf : "", r->body.len, NULL);
	if (o != NULL) {
		if (cJSON_IsString(cJSON_GetObjectItem(o, "error")))
			m = json_str(o, "error");
		else
			m = json_str(o, "error.message");
	} else if (r->body.len > 0 && r->body.len < 300)
		m = r->body.buf;
	s = xasprintf("HTTP %d%s%s%s%s%s", r->status, m ? ": " : "",
	    m ? m : "", reason ? " (x-ext-auth-reason: " : "",
	    reason ? reason : "", reason ? ")" : "");
	cJSON_Delete(o);
	if (s[strlen(s) - 1] == '\n')
		s[strlen(s) - 1] = '\0';
	return s;
}

/* Is this answer one the upstream scripts retry while policies settle? */
static int
propagating(const struct http_response *r)
{
	return r->status == 401 || (r->status == 403 && r->body.len == 0) ||
	    (r->status == 500 && r->body.buf != NULL &&
	    strstr(r->body.buf, "AUTH_FAILURE") != NULL);
}

/* ---- the cluster view ---- */

static cJSON *
kget(struct doc *d, const char *grp, const char *ver, const char *res,
    const char *kind, const char *ns, const char *name, struct err *e)
{
	struct kube_resource	 kr;
	cJSON			*o = NULL;

	memset(&kr, 0, sizeof kr);
	kube_resource_set(&kr, grp, ver, res, kind, ns != NULL);
	if (kube_get(d->kube, &kr, ns, name, &o, e) != 0)
		o = NULL;
	kube_resource_free(&kr);
	return o;
}

/* The items of a list, or NULL with e set. */
static cJSON *
klist(struct doc *d, const char *grp, const char *ver, const char *res,
    const char *kind, const char *ns, struct err *e)
{
	struct kube_resource	 kr;
	struct kube_list_opts	 lo;
	cJSON			*o = NULL, *items = NULL;

	memset(&kr, 0, sizeof kr);
	memset(&lo, 0, sizeof lo);
	kube_resource_set(&kr, grp, ver, res, kind, 1);
	if (kube_list(d->kube, &kr, ns, &lo, &o, e) == 0) {
		items = cJSON_DetachItemFromObject(o, "items");
		if (items == NULL)
			items = cJSON_CreateArray();
	}
	cJSON_Delete(o);
	kube_resource_free(&kr);
	return items;
}

static int
notfound(const struct err *e)
{
	return e->code == EXIT_NOTFOUND;
}

static const char *
cond(const cJSON *o, const char *type, const char *field)
{
	const cJSON	*c;

	cJSON_ArrayForEach(c, json_path(o, "status.conditions"))
		if (json_str(c, "type") != NULL &&
		    strcmp(json_str(c, "type"), type) == 0)
			return json_str(c, field);
	return NULL;
}

static void
check_gateway(struct doc *d)
{
	struct err	 e = ERR_INIT;
	cJSON		*gw, *dd;
	const char	*acc, *prog;

	gw = kget(d, "gateway.networking.k8s.io", "v1", "gateways", "Gateway",
	    GATEWAY_NS, GATEWAY_NAME, &e);
	if (gw == NULL) {
		report(d, "gateway", notfound(&e) ? ST_FAIL : ST_WARN,
		    "create the Gateway maas-default-gateway in "
		    "openshift-ingress (deployment/base/networking/maas)",
		    "Gateway %s/%s: %s", GATEWAY_NS, GATEWAY_NAME, e.msg);
		err_clear(&e);
	} else {
		acc = cond(gw, "Accepted", "status");
		prog = cond(gw, "Programmed", "status");
		if ((acc != NULL && strcmp(acc, "True") != 0))
			report(d, "gateway", ST_FAIL, "check the GatewayClass "
			    "and the gateway controller's logs",
			    "Gateway %s/%s is not Accepted: %s", GATEWAY_NS,
			    GATEWAY_NAME, cond(gw, "Accepted", "message") ?
			    cond(gw, "Accepted", "message") : "no message");
		else if (prog != NULL && strcmp(prog, "True") != 0)
			report(d, "gateway", ST_WARN, "wait for the gateway "
			    "to be programmed, or check its Service",
			    "Gateway %s/%s is Accepted but not Programmed",
			    GATEWAY_NS, GATEWAY_NAME);
		else
			report(d, "gateway", ST_PASS, NULL, "Gateway %s/%s "
			    "exists%s", GATEWAY_NS, GATEWAY_NAME, acc ?
			    ", Accepted and Programmed" : "");
		cJSON_Delete(gw);
	}
	dd = kget(d, "kuadrant.io", "v1alpha1", "tokenratelimitpolicies",
	    "TokenRateLimitPolicy", GATEWAY_NS, "gateway-default-deny", &e);
	if (dd == NULL) {
		report(d, "default-deny", ST_WARN, "restore the "
		    "TokenRateLimitPolicy gateway-default-deny (limit 0 on "
		    "the Gateway)", "TokenRateLimitPolicy %s/"
		    "gateway-default-deny: %s: models without a policy of "
		    "their own are not denied", GATEWAY_NS, e.msg);
		err_clear(&e);
	} else {
		if ((acc = cond(dd, "Accepted", "status")) != NULL &&
		    strcmp(acc, "True") != 0)
			report(d, "default-deny", ST_WARN, "restart the "
			    "Kuadrant operator", "TokenRateLimitPolicy %s/"
			    "gateway-default-deny is not Accepted",
			    GATEWAY_NS);
		else
			report(d, "default-deny", ST_PASS, NULL,
			    "TokenRateLimitPolicy %s/gateway-default-deny "
			    "denies models without a policy of their own",
			    GATEWAY_NS);
		cJSON_Delete(dd);
	}
}

/* The namespaces maas-api may live in (MAAS-RESOURCES.md §1, MAAS-API.md
 * §1): ODH, RHOAI, then the older and no-separation layouts. */
static const char *const infra_ns[] = { "odh-ai-gateway-infra",
    "redhat-ai-gateway-infra", "opendatahub", "redhat-ods-applications",
    "maas-api", NULL };

/* D25: the ephemeral-key cleanup CronJob, its schedule and last run, and
 * a NetworkPolicy restricting its Jobs. */
static void
check_key_cleanup(struct doc *d)
{
	struct err	 e = ERR_INIT;
	cJSON		*cj = NULL, *nps;
	const cJSON	*np;
	const char	*ns = NULL, *sched, *last, *ok, *app;
	int		 i, restricted = 0;

	for (i = 0; infra_ns[i] != NULL && cj == NULL; i++) {
		cj = kget(d, "batch", "v1", "cronjobs", "CronJob", infra_ns[i],
		    "maas-api-key-cleanup", &e);
		if (cj == NULL && !notfound(&e)) {
			report(d, "key-cleanup", ST_WARN, "run doctor as an "
			    "admin", "cannot read CronJob "
			    "maas-api-key-cleanup in %s: %s", infra_ns[i],
			    e.msg);
			err_clear(&e);
			return;
		}
		err_clear(&e);
		if (cj != NULL)
			ns = infra_ns[i];
	}
	if (cj == NULL) {
		report(d, "key-cleanup", ST_WARN, "restore the CronJob from "
		    "the install (it POSTs /internal/v1/api-keys/cleanup on "
		    "maas-api every 15 minutes)", "no CronJob "
		    "maas-api-key-cleanup in maas-api's namespace: expired "
		    "ephemeral keys are never deleted");
		return;
	}
	sched = json_str(cj, "spec.schedule");
	last = json_str(cj, "status.lastScheduleTime");
	ok = json_str(cj, "status.lastSuccessfulTime");
	if (cJSON_IsTrue(json_path(cj, "spec.suspend"))) {
		report(d, "key-cleanup", ST_WARN, "kubectl patch cronjob "
		    "maas-api-key-cleanup --type merge -p "
		    "'{\"spec\":{\"suspend\":false}}'", "CronJob %s/"
		    "maas-api-key-cleanup is suspended: expired ephemeral keys "
		    "are not deleted", ns);
		goto out;
	}
	if (last != NULL && (ok == NULL || strcmp(ok, last) < 0)) {
		report(d, "key-cleanup", ST_WARN, "look at the failed Jobs: "
		    "kubectl get jobs -l app=maas-api-cleanup", "CronJob %s/"
		    "maas-api-key-cleanup: the Job of %s did not succeed (last "
		    "success: %s)", ns, last, ok ? ok : "never");
		goto out;
	}
	if ((nps = klist(d, "networking.k8s.io", "v1", "networkpolicies",
	    "NetworkPolicy", ns, &e)) == NULL)
		err_clear(&e);
	cJSON_ArrayForEach(np, nps) {
		app = json_str(np, "spec.podSelector.matchLabels.app");
		if (app != NULL && strcmp(app, "maas-api-cleanup") == 0)
			restricted = 1;
	}
	cJSON_Delete(nps);
	if (!restricted)
		report(d, "key-cleanup", ST_WARN, "restore the install's "
		    "NetworkPolicy for the pods labelled app=maas-api-cleanup",
		    "no NetworkPolicy in %s restricts the cleanup Jobs (pods "
		    "labelled app=maas-api-cleanup)", ns);
	else
		report(d, "key-cleanup", ST_PASS, NULL, "CronJob %s/"
		    "maas-api-key-cleanup (%s), last success %s; its Jobs are "
		    "restricted by a NetworkPolicy", ns, sched ? sched :
		    "no schedule", ok ? ok : "not yet");
out:
	cJSON_Delete(cj);
}

/* publishers/<ns>/models/<spec.model.name>, the ExternalModel name, or
 * status.resolvedModelAlias of a MaaSModelRef; caller frees. */
static char *
model_id(struct doc *d, const cJSON *ref)
{
	const char	*alias = json_str(ref, "status.resolvedModelAlias");
	const char	*ns = json_str(ref, "metadata.namespace");
	const char	*kind = json_str(ref, "spec.modelRef.kind");
	const char	*bn = json_str(ref, "spec.modelRef.name");
	cJSON		*b;
	char		*id;
	struct err	 e = ERR_INIT;

	if (alias != NULL && *alias != '\0')
		return xstrdup(alias);
	if (kind != NULL && strcmp(kind, "ExternalModel") == 0 && bn != NULL)
		return xstrdup(bn);
	if (bn != NULL && ns != NULL && (b = kget(d, "serving.kserve.io",
	    "v1alpha1", "llminferenceservices", "LLMInferenceService", ns, bn,
	    &e)) != NULL) {
		id = xasprintf("publishers/%s/models/%s", ns,
		    json_str(b, "spec.model.name") ? json_str(b,
		    "spec.model.name") : bn);
		cJSON_Delete(b);
		return id;
	}
	err_clear(&e);
	return xstrdup(json_str(ref, "metadata.name"));
}

/* The backend of a MaaSModelRef: FAIL when missing or not Ready. */
static void
check_backend(struct doc *d, const cJSON *ref, const char *what)
{
	const char	*ns = json_str(ref, "metadata.namespace");
	const char	*kind = json_str(ref, "spec.modelRef.kind");
	const char	*bn = json_str(ref, "spec.modelRef.name");
	const char	*phase = json_str(ref, "status.phase");
	const char	*rs, *rm;
	struct err	 e = ERR_INIT;
	cJSON		*b;
	int		 llmis = kind != NULL &&
			    strcmp(kind, "LLMInferenceService") == 0;

	if (bn == NULL || kind == NULL) {
		report(d, "model", ST_FAIL, "set spec.modelRef.kind and "
		    ".name", "%s: the MaaSModelRef names no backend", what);
		return;
	}
	b = llmis ? kget(d, "serving.kserve.io", "v1alpha1",
	    "llminferenceservices", "LLMInferenceService", ns, bn, &e) :
	    kget(d, "maas.opendatahub.io", "v1alpha1", "externalmodels",
	    "ExternalModel", ns, bn, &e);
	if (b == NULL) {
		report(d, "model", notfound(&e) ? ST_FAIL : ST_WARN,
		    "deploy the backend in the MaaSModelRef's namespace, or "
		    "fix spec.modelRef", "%s: model not ready: %s %s/%s: %s",
		    what, kind, ns, bn, e.msg);
		err_clear(&e);
		return;
	}
	rs = cond(b, "Ready", "status");
	rm = cond(b, "Ready", "message");
	if (rs != NULL && strcmp(rs, "True") != 0)
		report(d, "model", ST_FAIL, "look at the model server's pods "
		    "and events; the gateway answers 503 until it is ready",
		    "%s: model not ready: %s %s/%s is Ready=%s%s%s", what,
		    kind, ns, bn, rs, rm ? ": " : "", rm ? rm : "");
	else if (phase == NULL || *phase == '\0')
		report(d, "model", ST_WARN, "check that maas-controller runs "
		    "(it sets the phase)", "%s: %s %s/%s exists but the "
		    "MaaSModelRef has no status.phase yet", what, kind, ns,
		    bn);
	else if (strcmp(phase, "Ready") != 0)
		report(d, "model", ST_FAIL, "see the MaaSModelRef's "
		    "conditions (GovernanceAttached, RuntimeReady)",
		    "%s: MaaSModelRef phase is %s%s%s", what, phase,
		    cond(ref, "Ready", "message") ? ": " : "",
		    cond(ref, "Ready", "message") ?
		    cond(ref, "Ready", "message") : "");
	else
		report(d, "model", ST_PASS, NULL, "%s: MaaSModelRef Ready, "
		    "%s %s/%s%s", what, kind, ns, bn, rs ? " Ready" : "");
	cJSON_Delete(b);
}

static int
lists(const cJSON *obj, const char *ns, const char *name)
{
	const cJSON	*r;

	cJSON_ArrayForEach(r, json_path(obj, "spec.modelRefs"))
		if (json_str(r, "name") != NULL && json_str(r, "namespace") &&
		    strcmp(json_str(r, "name"), name) == 0 &&
		    strcmp(json_str(r, "namespace"), ns) == 0)
			return 1;
	return 0;
}

/* D20 and D21 for one model. */
static void
check_governance(struct doc *d, const cJSON *ref, const char *what,
    const cJSON *pols, const cJSON *subs)
{
	const char	*ns = json_str(ref, "metadata.namespace");
	const char	*name = json_str(ref, "metadata.name");
	const cJSON	*p, *s;
	const char	*ph, *dup;
	struct strbuf	 pn = STRBUF_INIT, sn = STRBUF_INIT;
	int		 np = 0, nsub = 0;

	cJSON_ArrayForEach(p, pols)
		if (lists(p, ns, name))
			sb_addf(&pn, "%s%s", np++ ? ", " : "",
			    json_str(p, "metadata.name"));
	cJSON_ArrayForEach(s, subs)
		if (lists(s, ns, name))
			sb_addf(&sn, "%s%s", nsub++ ? ", " : "",
			    json_str(s, "metadata.name"));
	if (np == 0)
		report(d, "auth-policy", ST_FAIL, "create a MaaSAuthPolicy in "
		    TENANT_NS " listing the model under spec.modelRefs and "
		    "the groups or users under spec.subjects", "%s: no "
		    "MaaSAuthPolicy in %s grants access to it: every caller "
		    "gets 403", what, TENANT_NS);
	else
		report(d, "auth-policy", ST_PASS, NULL, "%s: granted by %s",
		    what, pn.buf);
	if (nsub == 0)
		report(d, "subscription", ST_FAIL, "create a MaaSSubscription "
		    "in " TENANT_NS " listing the model with tokenRateLimits "
		    "and an owner group of its users", "%s: no MaaSSubscription "
		    "in %s lists it: every caller gets 403 (no subscription)",
		    what, TENANT_NS);
	else {
		cJSON_ArrayForEach(s, subs) {
			if (!lists(s, ns, name))
				continue;
			ph = json_str(s, "status.phase");
			dup = cond(s, "SpecPriorityDuplicate", "status");
			if (ph != NULL && (strcmp(ph, "Failed") == 0 ||
			    strcmp(ph, "Invalid") == 0 ||
			    strcmp(ph, "Pending") == 0))
				report(d, "subscription", ST_FAIL, "see the "
				    "subscription's modelRefStatuses and "
				    "conditions", "%s: MaaSSubscription %s is "
				    "%s: inference through it is refused",
				    what, json_str(s, "metadata.name"), ph);
			else if (ph != NULL && strcmp(ph, "Degraded") == 0)
				report(d, "subscription", ST_WARN, "fix the "
				    "model refs it lists that do not exist",
				    "%s: MaaSSubscription %s is Degraded",
				    what, json_str(s, "metadata.name"));
			else if (dup != NULL && strcmp(dup, "True") == 0)
				report(d, "subscription", ST_WARN, "give each "
				    "subscription its own spec.priority",
				    "%s: MaaSSubscription %s shares its "
				    "priority: key binding is by name then",
				    what, json_str(s, "metadata.name"));
			else
				report(d, "subscription", ST_PASS, NULL, "%s: "
				    "MaaSSubscription %s%s%s", what,
				    json_str(s, "metadata.name"), ph ? " " :
				    "", ph ? ph : "");
		}
	}
	sb_free(&pn);
	sb_free(&sn);
}

/* Does ref match the MODEL argument (name, ns/name or model id)? */
static int
ref_matches(struct doc *d, const cJSON *ref, const char *want)
{
	const char	*ns = json_str(ref, "metadata.namespace");
	const char	*name = json_str(ref, "metadata.name");
	char		*id, *full;
	int		 hit;

	if (name != NULL && strcmp(name, want) == 0)
		return 1;
	full = xasprintf("%s/%s", ns ? ns : "", name ? name : "");
	hit = strcmp(full, want) == 0;
	free(full);
	if (hit)
		return 1;
	id = model_id(d, ref);
	hit = strcmp(id, want) == 0;
	free(id);
	return hit;
}

static void
check_cluster(struct doc *d, const char *want)
{
	struct err	 e = ERR_INIT;
	cJSON		*refs, *pols = NULL, *subs = NULL;
	const cJSON	*r;
	char		*what;
	int		 n = 0;

	if ((d->kube = ctx_kube(d->ctx, &e)) == NULL) {
		report(d, "cluster", ST_WARN, "point --kubeconfig/--context "
		    "at the cluster to check its MaaS objects", "cannot read "
		    "Kubernetes objects: %s", e.msg);
		err_clear(&e);
		return;
	}
	check_gateway(d);
	check_key_cleanup(d);
	if ((refs = klist(d, "maas.opendatahub.io", "v1alpha1",
	    "maasmodelrefs", "MaaSModelRef", NULL, &e)) == NULL) {
		report(d, "model", ST_WARN, "grant list on maasmodelrefs, or "
		    "run doctor as an admin", "cannot list MaaSModelRefs: %s",
		    e.msg);
		err_clear(&e);
		return;
	}
	pols = klist(d, "maas.opendatahub.io", "v1alpha1", "maasauthpolicies",
	    "MaaSAuthPolicy", TENANT_NS, &e);
	err_clear(&e);
	subs = klist(d, "maas.opendatahub.io", "v1alpha1",
	    "maassubscriptions", "MaaSSubscription", TENANT_NS, &e);
	err_clear(&e);
	d->models = cJSON_CreateArray();
	cJSON_ArrayForEach(r, refs) {
		if (want != NULL && !ref_matches(d, r, want))
			continue;
		n++;
		cJSON_AddItemToArray(d->models, cJSON_Duplicate(r, 1));
		what = xasprintf("%s/%s", json_str(r, "metadata.namespace"),
		    json_str(r, "metadata.name"));
		check_backend(d, r, what);
		if (pols == NULL || subs == NULL)
			report(d, "governance", ST_WARN, "run doctor as an "
			    "admin", "%s: cannot read MaaSAuthPolicies or "
			    "MaaSSubscriptions in %s", what, TENANT_NS);
		else
			check_governance(d, r, what, pols, subs);
		if (d->model_id == NULL)
			d->model_id = model_id(d, r);
		free(what);
	}
	if (n == 0)
		report(d, "model", want ? ST_FAIL : ST_WARN, "publish a model: "
		    "an LLMInferenceService and a MaaSModelRef in its "
		    "namespace", want ? "no MaaSModelRef named or serving "
		    "\"%s\"" : "no MaaSModelRef in any namespace%s", want ?
		    want : "");
	cJSON_Delete(refs);
	cJSON_Delete(pols);
	cJSON_Delete(subs);
}

/* ---- the gateway ---- */

static void
check_health(struct doc *d)
{
	struct http_response	 r;
	char			*url, *w;

	url = xasprintf("%s/maas-api/health", d->url);
	if (call(d, "GET", url, NULL, NULL, &r) != 0 || r.status != 200) {
		w = why(&r);
		report(d, "gateway-reach", ST_FAIL, r.status == 0 ?
		    "start the gateway (maasctl sandbox up), or check the "
		    "MaaS URL, its Route/Service and the network" :
		    r.status == 404 ? "check the HTTPRoute maas-api-route "
		    "(path prefix /maas-api) on the Gateway" :
		    "check the maas-api pods and Service",
		    "gateway unreachable: GET %s: %s", url, w);
		free(w);
	} else {
		d->gw_ok = 1;
		report(d, "gateway-reach", ST_PASS, NULL, "%s answers "
		    "maas-api health", d->url);
	}
	http_response_free(&r);
	free(url);
}

/* A configured key (--api-key, profile): does the gateway take it? */
static void
check_key(struct doc *d)
{
	struct http_response	 r;
	char			*url, *w;

	url = xasprintf("%s/v1/api-keys/config", d->url);
	if (call(d, "GET", url, d->inf.key, NULL, &r) == 0 &&
	    r.status == 200) {
		report(d, "api-key", ST_PASS, NULL, "the configured API key "
		    "is accepted");
		d->key = xstrdup(d->inf.key);
	} else {
		w = why(&r);
		report(d, "api-key", ST_FAIL, "mint a new key (maasctl key "
		    "create NAME) and configure it", "the configured API key "
		    "is refused%s: %s", r.status == 403 ? " (revoked, expired "
		    "or unknown)" : "", w);
		free(w);
	}
	http_response_free(&r);
	free(url);
}

static void
check_mint(struct doc *d)
{
	struct http_response	 r;
	char			*url, *body, *w;
	const char		*sub;
	cJSON			*o;
	long			 i;

	url = xasprintf("%s/maas-api/v1/api-keys", d->url);
	body = xasprintf("{\"name\":\"doctor-%ld\",\"expiresIn\":\"1h\","
	    "\"ephemeral\":true}", (long)time(NULL));
	for (i = 0; ; i++) {
		if (call(d, "POST", url, d->api.key, body, &r) == 0 &&
		    r.status == 201)
			break;
		if (stop || i + 1 >= D.retries || !propagating(&r))
			break;
		http_response_free(&r);
		pause_retry();
	}
	if (r.status == 201 && (o = json_parse(r.body.buf, r.body.len,
	    NULL)) != NULL && json_str(o, "key") != NULL &&
	    json_str(o, "id") != NULL) {
		d->temp_id = xstrdup(json_str(o, "id"));
		sub = json_str(o, "subscription");
		if (sub == NULL || *sub == '\0')
			report(d, "key-mint", ST_FAIL, "create a "
			    "MaaSSubscription in " TENANT_NS " whose "
			    "spec.owner lists you or one of your groups",
			    "no subscription: the minted key is bound to "
			    "none, and the gateway refuses unbound keys");
		else {
			if (d->key == NULL)
				d->key = xstrdup(json_str(o, "key"));
			report(d, "key-mint", ST_PASS, NULL, "minted a "
			    "temporary key bound to subscription %s", sub);
		}
		cJSON_Delete(o);
	} else {
		w = why(&r);
		if (r.body.buf != NULL && strstr(r.body.buf,
		    "invalid_subscription") != NULL)
			report(d, "key-mint", ST_FAIL, "create a "
			    "MaaSSubscription in " TENANT_NS " whose "
			    "spec.owner lists you or one of your groups",
			    "no subscription: you own no MaaSSubscription a "
			    "key could be bound to: %s", w);
		else
			report(d, "key-mint", ST_FAIL, propagating(&r) ?
			    "check the AuthPolicy maas-gateway-auth and "
			    "your token" : "check the maas-api logs",
			    "POST %s: %s", url, w);
		free(w);
	}
	http_response_free(&r);
	free(url);
	free(body);
}

static void
check_models(struct doc *d)
{
	struct http_response	 r;
	char			*url, *w;
	cJSON			*o = NULL;
	const cJSON		*m;
	int			 n = 0, found = 0;

	url = xasprintf("%s/maas-api/v1/models", d->url);
	if (call(d, "GET", url, d->key, NULL, &r) == 0 && r.status == 200 &&
	    (o = json_parse(r.body.buf, r.body.len, NULL)) != NULL) {
		cJSON_ArrayForEach(m, cJSON_GetObjectItem(o, "data")) {
			n++;
			if (d->model_id != NULL && json_str(m, "id") &&
			    strcmp(json_str(m, "id"), d->model_id) == 0)
				found = 1;
		}
		if (n == 0)
			report(d, "models", ST_WARN, "publish a model and "
			    "grant it to the key's subscription", "GET "
			    "/v1/models lists no model for this key");
		else if (d->model_id != NULL && !found)
			report(d, "models", ST_WARN, "check the key's "
			    "subscription lists the model and that the "
			    "MaaSModelRef is Ready", "GET /v1/models lists "
			    "%d model(s) but not %s", n, d->model_id);
		else
			report(d, "models", ST_PASS, NULL, "GET /v1/models "
			    "lists %d model(s)", n);
		if (d->model_id == NULL && n > 0)
			d->model_id = xstrdup(json_str(cJSON_GetArrayItem(
			    cJSON_GetObjectItem(o, "data"), 0), "id"));
	} else {
		w = why(&r);
		report(d, "models", ST_FAIL, r.status == 404 ? "check the "
		    "HTTPRoute maas-api-route" : r.status >= 500 ? "check "
		    "the maas-api pods and Service" : "check the key and its "
		    "subscription", "GET %s: %s", url, w);
		free(w);
	}
	cJSON_Delete(o);
	http_response_free(&r);
	free(url);
}

/* The cause of a refused inference, for the check line. */
static const char *
inference_fix(const struct http_response *r)
{
	const char	*reason = http_header(r, "x-ext-auth-reason");

	switch (r->status) {
	case 401:
		return "send a valid API key: Authorization: Bearer sk-oai-...";
	case 403:
		if (reason != NULL && strcmp(reason, "not_found") == 0)
			return "list the model in a MaaSSubscription owned by "
			    "the key's user or groups";
		if (reason != NULL && strcmp(reason,
		    "multiple_subscriptions") == 0)
			return "send X-MaaS-Subscription, or use an API key";
		if (reason != NULL && strcmp(reason, "model_unhealthy") == 0)
			return "inference needs the subscription Active (or "
			    "Degraded with the model's rate limit policy "
			    "ready): see its phase and tokenRateLimitStatuses";
		if (reason != NULL && strcmp(reason,
		    "model_not_in_subscription") == 0)
			return "add the model to the key's subscription, or "
			    "mint a key bound to one that lists it";
		return "grant the caller the model in a MaaSAuthPolicy "
		    "(spec.subjects groups or users)";
	case 404:
		return "check the model id (maasctl models) and its HTTPRoute";
	case 429:
		return "the token quota is spent: wait for the window, or "
		    "raise tokenRateLimits";
	case 502: case 503: case 504:
		return "the model server is not ready: check its pods";
	default:
		return "check the gateway and model server logs";
	}
}

static void
check_inference(struct doc *d)
{
	struct http_response	 r;
	char			*url, *body, *w;
	cJSON			*o;
	long			 i;
	double			 tot;

	url = xasprintf("%s/v1/chat/completions", d->url);
	body = xasprintf("{\"model\":\"%s\",\"messages\":[{\"role\":\"user\","
	    "\"content\":\"Hello\"}],\"max_tokens\":%ld}", d->model_id,
	    D.max_tokens);
	for (i = 0; ; i++) {
		if (call(d, "POST", url, d->key, body, &r) == 0 &&
		    r.status == 200)
			break;
		if (stop || i + 1 >= D.retries || !propagating(&r))
			break;
		http_response_free(&r);
		pause_retry();
	}
	if (r.status == 200) {
		report(d, "inference", ST_PASS, NULL, "POST "
		    "/v1/chat/completions for %s: 200", d->model_id);
		o = json_parse(r.body.buf, r.body.len, NULL);
		tot = json_num(o, "usage.total_tokens", -1);
		if (tot >= 0)
			report(d, "usage", ST_PASS, NULL, "the answer "
			    "carries usage.total_tokens (%.0f)", tot);
		else
			report(d, "usage", ST_WARN, "make the model server "
			    "return usage (vLLM --enable-force-include-usage)",
			    "the answer has no usage.total_tokens: token "
			    "quotas are never enforced");
		cJSON_Delete(o);
	} else {
		w = why(&r);
		report(d, "inference", r.status == 429 ? ST_WARN : ST_FAIL,
		    inference_fix(&r), "POST /v1/chat/completions for %s: %s",
		    d->model_id, w);
		free(w);
	}
	http_response_free(&r);
	if (call(d, "POST", url, NULL, body, &r) == 0 && (r.status == 401 ||
	    r.status == 403))
		report(d, "auth-enforced", ST_PASS, NULL, "the same request "
		    "without a key is refused (%d)", r.status);
	else {
		w = why(&r);
		report(d, "auth-enforced", ST_WARN, "check that the AuthPolicy "
		    "maas-gateway-auth targets the Gateway", "the same "
		    "request without a key was not refused: %s", w);
		free(w);
	}
	http_response_free(&r);
	free(url);
	free(body);
}

static void
cleanup(struct doc *d)
{
	struct http_response	 r;
	char			*url;

	if (d->temp_id == NULL)
		return;
	url = xasprintf("%s/maas-api/v1/api-keys/%s", d->url, d->temp_id);
	if (call(d, "DELETE", url, d->api.key, NULL, &r) == 0 &&
	    (r.status == 200 || r.status == 404))
		fprintf(stderr, "doctor: revoked the temporary key %s\n",
		    d->temp_id);
	else
		fprintf(stderr, "doctor: warning: could not revoke the "
		    "temporary key %s (it expires within 1h): HTTP %d\n",
		    d->temp_id, r.status);
	http_response_free(&r);
	free(url);
}

/* The identity for maas-api: --token/MAAS_TOKEN, else the kubeconfig's. */
static void
pick_token(struct doc *d)
{
	struct kube_overrides		 ov;
	struct kubeconfig_resolved	*rc;
	struct kube_creds		 cr;
	struct err			 e = ERR_INIT;

	if (d->api.key != NULL)
		return;
	memset(&ov, 0, sizeof ov);
	ov.context = d->ctx->g.context;
	ov.user = d->ctx->g.user;
	if ((rc = kubeconfig_client(d->ctx->g.kubeconfig, &ov, &e)) != NULL) {
		if (kubeconfig_credentials(rc, &cr, &e) == 0 &&
		    cr.token != NULL)
			d->api.key = xstrdup(cr.token);
		kubeconfig_resolved_free(rc);
	}
	err_clear(&e);
}

static int
doctor_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct doc		 d;
	struct sigaction	 sa, oint, oterm;
	const char		*want = argc > 0 ? argv[0] : NULL;
	const char		*fmt = ctx->g.output;
	cJSON			*out;
	char			*s;
	int			 rc = -1;

	memset(&d, 0, sizeof d);
	if (fmt != NULL && strcmp(fmt, "json") != 0)
		return err_set(e, EXIT_USAGE, "doctor: unsupported output "
		    "format \"%s\" (want json)", fmt);
	d.ctx = ctx;
	d.json = fmt != NULL;
	d.checks = cJSON_CreateArray();
	stop = 0;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, &oint);
	sigaction(SIGTERM, &sa, &oterm);

	/* D7: where the gateway is. */
	if (target_resolve_maasapi(ctx, &d.api, e) != 0) {
		report(&d, "maas-url", ST_FAIL, "give --maas-url or set "
		    "MAAS_URL (maasctl sandbox env does)", "%s", e->msg);
		err_clear(e);
	} else {
		d.have_api = 1;
		d.url = xstrndup(d.api.base, strlen(d.api.base) -
		    strlen("/maas-api"));
		report(&d, "maas-url", ST_PASS, NULL, "%s", d.url);
		check_health(&d);
	}
	check_cluster(&d, want);
	if (d.model_id == NULL && want != NULL)
		d.model_id = xstrdup(want);
	if (!d.gw_ok) {
		report(&d, "api", ST_SKIP, NULL, "key, models and inference "
		    "checks skipped: the gateway is not reachable");
		goto done;
	}
	if (target_resolve(ctx, NULL, &d.inf, e) == 0)
		d.have_inf = 1;
	err_clear(e);
	if (d.have_inf && d.inf.key != NULL && !stop)
		check_key(&d);
	pick_token(&d);
	if (d.api.key == NULL)
		report(&d, "identity", ST_WARN, "give --token @FILE or set "
		    "MAAS_TOKEN (maasctl sandbox token for the sandbox)",
		    "no identity token: a temporary key cannot be minted");
	else {
		report(&d, "identity", ST_PASS, NULL, "a bearer token is "
		    "available for maas-api");
		if (!stop)
			check_mint(&d);
	}
	if (d.key == NULL) {
		report(&d, "api", ST_SKIP, NULL, "models and inference checks "
		    "skipped: no working API key");
		goto done;
	}
	if (!stop)
		check_models(&d);
	if (d.model_id == NULL)
		report(&d, "inference", ST_SKIP, NULL, "no model to call");
	else if (!stop)
		check_inference(&d);
done:
	cleanup(&d);
	if (stop)
		report(&d, "interrupted", ST_FAIL, NULL, "doctor was "
		    "interrupted; the checks above are incomplete");
	if (d.json) {
		out = cJSON_CreateObject();
		cJSON_AddItemToObject(out, "checks", d.checks);
		d.checks = NULL;
		cJSON_AddNumberToObject(out, "passed", d.count[ST_PASS]);
		cJSON_AddNumberToObject(out, "warnings", d.count[ST_WARN]);
		cJSON_AddNumberToObject(out, "failed", d.count[ST_FAIL]);
		cJSON_AddNumberToObject(out, "skipped", d.count[ST_SKIP]);
		s = json_print(out, 1);
		printf("%s\n", s);
		free(s);
		cJSON_Delete(out);
	} else
		printf("\n%d passed, %d warnings, %d failed, %d skipped\n",
		    d.count[ST_PASS], d.count[ST_WARN], d.count[ST_FAIL],
		    d.count[ST_SKIP]);
	if (stop)
		err_set(e, EXIT_INTERRUPTED, "doctor: interrupted");
	else if (d.count[ST_FAIL] > 0)
		err_set(e, EXIT_ERR, "doctor: %d check%s failed",
		    d.count[ST_FAIL], d.count[ST_FAIL] == 1 ? "" : "s");
	else
		rc = 0;
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGTERM, &oterm, NULL);
	cJSON_Delete(d.checks);
	cJSON_Delete(d.models);
	if (d.have_api)
		target_free(&d.api);
	if (d.have_inf)
		target_free(&d.inf);
	free(d.url);
	free(d.model_id);
	xfree_secret(d.key);
	free(d.temp_id);
	return rc;
}

static int
doctor_complete(struct ctx *ctx, int pos, const char *word,
    struct strlist *out)
{
	struct err		 e = ERR_INIT;
	struct kube		*k;
	struct kube_resource	 kr;
	struct kube_list_opts	 lo;
	cJSON			*o = NULL;
	const cJSON		*it;
	const char		*n;

	if (pos != 0 || (k = ctx_kube(ctx, &e)) == NULL) {
		err_clear(&e);
		return 0;
	}
	memset(&kr, 0, sizeof kr);
	memset(&lo, 0, sizeof lo);
	kube_resource_set(&kr, "maas.opendatahub.io", "v1alpha1",
	    "maasmodelrefs", "MaaSModelRef", 1);
	if (kube_list(k, &kr, NULL, &lo, &o, &e) == 0)
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(o, "items"))
			if ((n = json_str(it, "metadata.name")) != NULL &&
			    strncmp(n, word, strlen(word)) == 0 &&
			    !sl_has(out, n))
				sl_add(out, n);
	cJSON_Delete(o);
	kube_resource_free(&kr);
	err_clear(&e);
	return 0;
}

const struct command cmd_doctor = {
	.name = "doctor",
	.summary = "Check a MaaS install end to end: gateway, policies, "
	    "keys, models, inference",
	.usage = "[MODEL] [--retries N] [--retry-interval D] [--max-tokens N] "
	    "[-o json]",
	.opts = doctor_opts,
	.run = doctor_run,
	.complete = doctor_complete,
	.max_args = 1,
};
