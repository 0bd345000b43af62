/*
 * publish.c: `maasctl publish MODEL` and `maasctl unpublish MODEL`: the
 * one-command onboarding of a model into MaaS (MAAS-ADMIN-TASKS.md §3.1,
 * A1-A5).  publish adds the maas-default-gateway ref to the
 * LLMInferenceService (a JSON patch guarded by a resourceVersion test, as
 * the seed scripts patch it), creates the MaaSModelRef, creates or extends
 * the MaaSAuthPolicy (who may call it) and the MaaSSubscription (token
 * limits), waits for the controller to report them Ready/Active, and
 * prints the callable endpoint and a curl line with no secret in it.
 * unpublish takes the model out of what publish made, deletes the
 * MaaSModelRef and the gateway ref, and reports who else referenced it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "duration.h"
#include "json.h"
#include "kube.h"
#include "kubectx.h"
#include "maasval.h"
#include "output.h"
#include "resource.h"
#include "target.h"
#include "term.h"
#include "wait.h"
#include "xalloc.h"
#include "yaml.h"

#define MAAS_GROUP	"maas.opendatahub.io"
#define TENANT_NS	"models-as-a-service"
#define GATEWAY_NAME	"maas-default-gateway"
#define GATEWAY_NS	"openshift-ingress"
#define TIERS_ANN	"alpha.maas.opendatahub.io/tiers"
#define MANAGED_LABEL	"app.kubernetes.io/managed-by"

enum dry { DRY_NONE, DRY_CLIENT, DRY_SERVER };

static struct {
	struct strlist	 groups;	/* --group */
	struct strlist	 users;		/* --user */
	struct strlist	 limits;	/* --limit LIMIT/WINDOW */
	const char	*subscription;	/* --subscription */
	const char	*policy;	/* --policy */
	const char	*tenant_ns;	/* --tenant-namespace */
	const char	*tiers;		/* --tiers a,b | all */
	const char	*display_name;
	const char	*description;
	long		 priority;
	int		 external;	/* --external: an ExternalModel */
	int		 keep_gateway;	/* unpublish --keep-gateway-ref */
	int		 dry;		/* enum dry */
	struct wait_opts wait;
} P = { .priority = -1, .wait = WAIT_OPTS_INIT(1) };

static int
dry_fn(const struct opt *o, const char *v, struct err *e)
{
	(void)o;
	if (v == NULL || strcmp(v, "client") == 0)
		P.dry = DRY_CLIENT;
	else if (strcmp(v, "server") == 0)
		P.dry = DRY_SERVER;
	else if (strcmp(v, "none") == 0)
		P.dry = DRY_NONE;
	else
		return err_set_raw(e, EXIT_USAGE, "error: Invalid dry-run value "
		    "(%s). Must be \"none\", \"server\", or \"client\".", v);
	return 0;
}

/* Everything one publish or unpublish run works with. */
struct pub {
	struct ctx		*ctx;
	struct kube		*k;
	struct kube_resource	 backend;	/* LLMIS or ExternalModel */
	struct kube_resource	 mref, ap, sub;
	const char		*ns;		/* the model's namespace */
	const char		*model;		/* its name */
	const char		*tns;		/* tenant namespace */
	char			*policy;	/* policy name */
	char			*subname;	/* subscription name */
	cJSON			*limits;	/* [{limit, window}] */
	struct kube_write_opts	 wo;
	int			 quiet;		/* -o json|yaml: lines to
						   stderr */
	cJSON			*summary;	/* -o json|yaml result */
	cJSON			*objects;	/* summary.objects */
	int			 changes;	/* objects written */
	cJSON			*read[3];	/* the MaaSModelRef, policy and
						   subscription as last read:
						   the bases of updates */
};

/* "created", "configured", "unchanged" line for an object. */
static void
report(struct pub *p, const struct kube_resource *res, const char *name,
    const char *what)
{
	char		*tn;
	const char	*sfx = P.dry == DRY_CLIENT ? " (dry run)" :
	    P.dry == DRY_SERVER ? " (server dry run)" : "";
	cJSON		*o;

	tn = *res->group ? xasprintf("%s.%s", res->kind, res->group) :
	    xstrdup(res->kind);
	for (char *c = tn; *c != '\0' && *c != '.'; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	fprintf(p->quiet ? stderr : stdout, "%s/%s %s%s\n", tn, name, what,
	    sfx);
	fflush(p->quiet ? stderr : stdout);
	if (strcmp(what, "unchanged") != 0)
		p->changes++;
	if (p->objects != NULL) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "kind", res->kind);
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddStringToObject(o, "result", what);
		cJSON_AddItemToArray(p->objects, o);
	}
	free(tn);
}

/* Parse every --limit into [{limit, window}]. */
static int
parse_limits(struct pub *p, struct err *e)
{
	const char	*s, *win = NULL;
	double		 secs;
	long long	 v = 0;
	size_t		 i;
	cJSON		*l;

	p->limits = cJSON_CreateArray();
	for (i = 0; i < P.limits.n; i++) {
		s = P.limits.v[i];
		switch (maasval_split_rate(s, &v, &win)) {
		case MAASVAL_RATE_NO_SLASH:
		case MAASVAL_RATE_NO_LIMIT:
			return err_set(e, EXIT_USAGE, "invalid --limit \"%s\": "
			    "want LIMIT/WINDOW, e.g. 50000/1h", s);
		case MAASVAL_RATE_NOT_WHOLE:
			return err_set(e, EXIT_USAGE, "invalid --limit \"%s\": "
			    "the limit must be a whole number of tokens", s);
		case MAASVAL_RATE_OK:
			break;
		}
		if (v < 1 || v > 1000000000)
			return err_set(e, EXIT_USAGE, "invalid --limit \"%s\": "
			    "the limit must be from 1 to 1000000000 tokens", s);
		if (duration_window(win, &secs, e) != 0) {
			err_wrap(e, "invalid --limit \"%s\"", s);
			return -1;
		}
		l = cJSON_CreateObject();
		cJSON_AddNumberToObject(l, "limit", (double)v);
		cJSON_AddStringToObject(l, "window", win);
		cJSON_AddItemToArray(p->limits, l);
	}
	for (i = 0; i < P.limits.n; i++)
		for (size_t j = i + 1; j < P.limits.n; j++)
			if (json_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(
			    p->limits, (int)i), "window"), cJSON_GetObjectItem(
			    cJSON_GetArrayItem(p->limits, (int)j), "window")))
				return err_set(e, EXIT_USAGE, "invalid --limit "
				    "\"%s\": window %s is given twice",
				    P.limits.v[j], json_str(cJSON_GetArrayItem(
				    p->limits, (int)j), "window"));
	return 0;
}

static int
check_subjects(struct err *e)
{
	size_t	 i;

	for (i = 0; i < P.groups.n; i++)
		if (P.groups.v[i][0] == '\0')
			return err_set(e, EXIT_USAGE, "invalid --group \"\": a "
			    "group name cannot be empty");
	for (i = 0; i < P.users.n; i++)
		if (P.users.v[i][0] == '\0')
			return err_set(e, EXIT_USAGE, "invalid --user \"\": a "
			    "user name cannot be empty");
	return 0;
}

/* The "'[\"a\",\"b\"]'" value of the tiers annotation. */
static char *
tiers_value(struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	char		*s, *tok, *save = NULL;
	cJSON		*arr;
	char		*out;

	if (strcmp(P.tiers, "all") == 0)
		return xstrdup("[]");
	arr = cJSON_CreateArray();
	s = xstrdup(P.tiers);
	for (tok = strtok_r(s, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (*tok == '\0')
			continue;
		cJSON_AddItemToArray(arr, cJSON_CreateString(tok));
	}
	free(s);
	if (cJSON_GetArraySize(arr) == 0) {
		cJSON_Delete(arr);
		err_set(e, EXIT_USAGE, "invalid --tiers \"%s\": want TIER[,TIER"
		    "...] or all", P.tiers);
		return NULL;
	}
	out = cJSON_PrintUnformatted(arr);
	sb_adds(&sb, out);
	cJSON_free(out);
	cJSON_Delete(arr);
	return sb_detach(&sb);
}

/* JSON-pointer escaping of one path segment. */
static void
ptr_seg(struct strbuf *sb, const char *s)
{
	sb_addc(sb, '/');
	for (; *s != '\0'; s++) {
		if (*s == '~')
			sb_adds(sb, "~0");
		else if (*s == '/')
			sb_adds(sb, "~1");
		else
			sb_addc(sb, *s);
	}
}

/* Index of the maas-default-gateway ref in spec.router.gateway.refs. */
static int
gateway_ref_index(const cJSON *isvc)
{
	const cJSON	*r;
	const char	*n, *ns;
	int		 i = 0;

	cJSON_ArrayForEach(r, json_path(isvc, "spec.router.gateway.refs")) {
		n = json_str(r, "name");
		ns = json_str(r, "namespace");
		if (n != NULL && strcmp(n, GATEWAY_NAME) == 0 &&
		    (ns == NULL || strcmp(ns, GATEWAY_NS) == 0))
			return i;
		i++;
	}
	return -1;
}

static int
do_patch(struct pub *p, const struct kube_resource *res, const char *ns,
    const char *name, const cJSON *ops, struct err *e)
{
	char	*body;
	int	 ret;

	if (P.dry == DRY_CLIENT)
		return 0;
	body = cJSON_PrintUnformatted(ops);
	ret = kube_patch(p->k, res, ns, name, KUBE_PATCH_JSON, body, &p->wo,
	    NULL, e);
	cJSON_free(body);
	return ret;
}

static void
add_op(cJSON *ops, const char *op, const char *path, cJSON *value)
{
	cJSON	*o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "op", op);
	cJSON_AddStringToObject(o, "path", path);
	if (value != NULL)
		cJSON_AddItemToObject(o, "value", value);
	cJSON_AddItemToArray(ops, o);
}

static cJSON *
gateway_ref(void)
{
	cJSON	*r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "name", GATEWAY_NAME);
	cJSON_AddStringToObject(r, "namespace", GATEWAY_NS);
	return r;
}

/* The ops that put the gateway ref (and tiers annotation) on isvc, after
 * its resourceVersion test; how many there are besides the test. */
static int
backend_ops(struct pub *p, const cJSON *isvc, cJSON *ops, struct err *e)
{
	cJSON		*v;
	char		*tv = NULL;
	const char	*cur;
	struct strbuf	 path = STRBUF_INIT;
	int		 n = 0;

	(void)p;
	if (gateway_ref_index(isvc) < 0) {
		if (json_path(isvc, "spec.router.gateway.refs") != NULL) {
			add_op(ops, "add", "/spec/router/gateway/refs/-",
			    gateway_ref());
		} else if (json_path(isvc, "spec.router.gateway") != NULL) {
			v = cJSON_CreateArray();
			cJSON_AddItemToArray(v, gateway_ref());
			add_op(ops, "add", "/spec/router/gateway/refs", v);
		} else if (json_path(isvc, "spec.router") != NULL) {
			v = cJSON_CreateObject();
			cJSON_AddItemToArray(cJSON_AddArrayToObject(v, "refs"),
			    gateway_ref());
			add_op(ops, "add", "/spec/router/gateway", v);
		} else {
			v = cJSON_CreateObject();
			cJSON_AddObjectToObject(v, "route");
			cJSON_AddItemToArray(cJSON_AddArrayToObject(
			    cJSON_AddObjectToObject(v, "gateway"), "refs"),
			    gateway_ref());
			add_op(ops, "add", "/spec/router", v);
		}
		n++;
	}
	if (P.tiers != NULL) {
		if ((tv = tiers_value(e)) == NULL)
			return -1;
		cur = json_str(isvc, "metadata.annotations."
		    "alpha\\.maas\\.opendatahub\\.io/tiers");
		if (cur == NULL || strcmp(cur, tv) != 0) {
			if (json_path(isvc, "metadata.annotations") == NULL)
				add_op(ops, "add", "/metadata/annotations",
				    cJSON_CreateObject());
			sb_adds(&path, "/metadata/annotations");
			ptr_seg(&path, TIERS_ANN);
			add_op(ops, cur != NULL ? "replace" : "add", path.buf,
			    cJSON_CreateString(tv));
			n++;
		}
	}
	sb_free(&path);
	free(tv);
	return n;
}

/* The ops that take the gateway ref off isvc; how many (0 or 1). */
static int
unref_ops(struct pub *p, const cJSON *isvc, cJSON *ops, struct err *e)
{
	char	*path;
	int	 idx = gateway_ref_index(isvc);

	(void)p;
	(void)e;
	if (idx < 0)
		return 0;
	path = xasprintf("/spec/router/gateway/refs/%d", idx);
	add_op(ops, "remove", path, NULL);
	free(path);
	return 1;
}

#define GUARD_TRIES	5

/*
 * Patch the backend with the ops build() makes from *isvc, behind a test
 * of its resourceVersion as the seed scripts do.  The controller writes
 * the object (its status) at any moment, so when the patch fails and the
 * object has moved on meanwhile, read it again into *isvc and build the
 * ops anew (client-go's RetryOnConflict), up to GUARD_TRIES times.
 * 1 when patched, 0 when nothing was to change, -1 when the patch
 * failed, -2 when build() did.
 */
static int
guarded_patch(struct pub *p, cJSON **isvc,
    int (*build)(struct pub *, const cJSON *, cJSON *, struct err *),
    struct err *e)
{
	struct err	 e2 = ERR_INIT;
	cJSON		*ops, *cur;
	const char	*rv, *nrv;
	int		 n, tries;

	for (tries = 1; ; tries++) {
		ops = cJSON_CreateArray();
		rv = json_str(*isvc, "metadata.resourceVersion");
		add_op(ops, "test", "/metadata/resourceVersion",
		    cJSON_CreateString(rv != NULL ? rv : ""));
		if ((n = build(p, *isvc, ops, e)) < 0)
			n = -2;
		else if (n > 0 && do_patch(p, &p->backend, p->ns, p->model,
		    ops, e) != 0)
			n = -1;
		cJSON_Delete(ops);
		if (n != -1)
			return n > 0 ? 1 : n;
		if (tries >= GUARD_TRIES || kube_get(p->k, &p->backend,
		    p->ns, p->model, &cur, &e2) != 0)
			break;
		nrv = json_str(cur, "metadata.resourceVersion");
		if (rv == NULL || nrv == NULL || strcmp(rv, nrv) == 0) {
			cJSON_Delete(cur);
			break;
		}
		term_log(TERM_LOG_INFO, "%s %s/%s changed (resourceVersion "
		    "%s, now %s): patching again", p->backend.kind, p->ns,
		    p->model, rv, nrv);
		err_clear(e);
		cJSON_Delete(*isvc);
		*isvc = cur;
	}
	err_clear(&e2);
	return -1;
}

/* Step 1: the gateway ref (and tiers annotation) on the LLMIS. */
static int
publish_backend(struct pub *p, cJSON **isvc, struct err *e)
{
	switch (guarded_patch(p, isvc, backend_ops, e)) {
	case 0:
		report(p, &p->backend, p->model, "unchanged");
		return 0;
	case 1:
		report(p, &p->backend, p->model, "patched");
		return 0;
	case -2:
		return -1;
	}
	err_wrap(e, "publish: adding the %s ref to %s %s/%s", GATEWAY_NAME,
	    p->backend.kind, p->ns, p->model);
	return -1;
}

/* Where the last read of res (one of mref, ap, sub) is kept, or NULL. */
static cJSON **
read_slot(struct pub *p, const struct kube_resource *res)
{
	if (res == &p->mref)
		return &p->read[0];
	if (res == &p->ap)
		return &p->read[1];
	if (res == &p->sub)
		return &p->read[2];
	return NULL;
}

/* Create obj, or (exists) replace it with the changes made to what
 * get_current() read of it. */
static int
write_obj(struct pub *p, const struct kube_resource *res, const char *ns,
    const char *name, cJSON *obj, int create, struct err *e)
{
	cJSON	**base = read_slot(p, res);

	if (P.dry == DRY_CLIENT) {
		report(p, res, name, create ? "created" : "configured");
		return 0;
	}
	if (create) {
		if (kube_create(p->k, res, ns, obj, &p->wo, NULL, e) != 0)
			return -1;
	} else if (kube_update(p->k, res, ns, obj, base != NULL ? *base :
	    NULL, NULL, &p->wo, NULL, e) != 0)
		return -1;
	report(p, res, name, create ? "created" : "configured");
	return 0;
}

static cJSON *
new_obj(const struct kube_resource *res, const char *ns, const char *name)
{
	cJSON	*o = cJSON_CreateObject(), *md;
	char	*av = xasprintf("%s/%s", res->group, res->version);

	cJSON_AddStringToObject(o, "apiVersion", av);
	cJSON_AddStringToObject(o, "kind", res->kind);
	md = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(md, "name", name);
	cJSON_AddStringToObject(md, "namespace", ns);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(md, "labels"),
	    MANAGED_LABEL, "maasctl");
	free(av);
	return o;
}

static int
set_annotation(cJSON *obj, const char *key, const char *value)
{
	cJSON		*ann = json_obj(obj, "metadata.annotations");
	const cJSON	*cur = cJSON_GetObjectItemCaseSensitive(ann, key);

	if (value == NULL || (cJSON_IsString(cur) &&
	    strcmp(cur->valuestring, value) == 0))
		return 0;
	cJSON_DeleteItemFromObjectCaseSensitive(ann, key);
	cJSON_AddStringToObject(ann, key, value);
	return 1;
}

/* GET ns/name of res into *cur, NULL when it does not exist. */
static int
get_current(struct pub *p, const struct kube_resource *res, const char *ns,
    const char *name, cJSON **cur, struct err *e)
{
	struct err	 e2 = ERR_INIT;
	cJSON		**base = read_slot(p, res);

	*cur = NULL;
	if (base != NULL) {
		cJSON_Delete(*base);
		*base = NULL;
	}
	if (kube_get(p->k, res, ns, name, cur, &e2) == 0) {
		if (base != NULL)
			*base = cJSON_Duplicate(*cur, 1);
		return 0;
	}
	if (e2.code != EXIT_NOTFOUND) {
		err_move(e, &e2);
		return -1;
	}
	err_clear(&e2);
	*cur = NULL;
	return 0;
}

/* Replace cur when changed, or report it unchanged. */
static int
write_changed(struct pub *p, const struct kube_resource *res,
    const char *ns, const char *name, cJSON *cur, int changed,
    struct err *e)
{
	if (!changed) {
		report(p, res, name, "unchanged");
		return 0;
	}
	cJSON_DeleteItemFromObject(cur, "status");
	return write_obj(p, res, ns, name, cur, 0, e);
}

/* An existing MaaSModelRef (cur, NULL when missing) must point at the
 * model being published. */
static int
check_modelref(const struct pub *p, const cJSON *cur, struct err *e)
{
	const char	*kind, *name;

	if (cur == NULL)
		return 0;
	kind = json_str(cur, "spec.modelRef.kind");
	name = json_str(cur, "spec.modelRef.name");
	if (kind == NULL || name == NULL || strcmp(kind, p->backend.kind) != 0
	    || strcmp(name, p->model) != 0)
		return err_set(e, EXIT_CONFLICT, "publish: MaaSModelRef %s/%s "
		    "already exists and points at %s %s, not %s %s", p->ns,
		    p->model, kind ? kind : "nothing", name ? name : "",
		    p->backend.kind, p->model);
	return 0;
}

/* Step 2: the MaaSModelRef. */
static int
publish_modelref(struct pub *p, struct err *e)
{
	cJSON		*cur = NULL, *obj, *mr;
	int		 ret = -1, changed;

	if (get_current(p, &p->mref, p->ns, p->model, &cur, e) != 0 ||
	    check_modelref(p, cur, e) != 0)
		goto out;
	if (cur == NULL) {
		obj = new_obj(&p->mref, p->ns, p->model);
		set_annotation(obj, "openshift.io/display-name",
		    P.display_name);
		set_annotation(obj, "openshift.io/description", P.description);
		if (cJSON_GetArraySize(json_path(obj,
		    "metadata.annotations")) == 0)
			cJSON_DeleteItemFromObject(json_path(obj, "metadata"),
			    "annotations");
		mr = cJSON_AddObjectToObject(cJSON_AddObjectToObject(obj,
		    "spec"), "modelRef");
		cJSON_AddStringToObject(mr, "kind", p->backend.kind);
		cJSON_AddStringToObject(mr, "name", p->model);
		ret = write_obj(p, &p->mref, p->ns, p->model, obj, 1, e);
		cJSON_Delete(obj);
		goto out;
	}
	changed = set_annotation(cur, "openshift.io/display-name",
	    P.display_name);
	changed |= set_annotation(cur, "openshift.io/description",
	    P.description);
	ret = write_changed(p, &p->mref, p->ns, p->model, cur, changed, e);
out:
	cJSON_Delete(cur);
	return ret;
}

/* Index of {name: p->model, namespace: p->ns} in spec.modelRefs. */
static int
model_index(const struct pub *p, const cJSON *obj)
{
	const cJSON	*r;
	const char	*n, *ns;
	int		 i = 0;

	cJSON_ArrayForEach(r, json_path(obj, "spec.modelRefs")) {
		n = json_str(r, "name");
		ns = json_str(r, "namespace");
		if (n != NULL && ns != NULL && strcmp(n, p->model) == 0 &&
		    strcmp(ns, p->ns) == 0)
			return i;
		i++;
	}
	return -1;
}

/* Add the --group/--user subjects missing from holder (groups of
 * {name}, users of strings); 1 when something was added. */
static int
add_subjects(cJSON *holder)
{
	cJSON		*groups, *users;
	const cJSON	*g;
	size_t		 i;
	int		 changed = 0, found;

	if ((groups = cJSON_GetObjectItem(holder, "groups")) == NULL)
		groups = cJSON_AddArrayToObject(holder, "groups");
	if ((users = cJSON_GetObjectItem(holder, "users")) == NULL)
		users = cJSON_AddArrayToObject(holder, "users");
	for (i = 0; i < P.groups.n; i++) {
		found = 0;
		cJSON_ArrayForEach(g, groups)
			if (json_str(g, "name") != NULL &&
			    strcmp(json_str(g, "name"), P.groups.v[i]) == 0)
				found = 1;
		if (!found) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "name", P.groups.v[i]);
			cJSON_AddItemToArray(groups, o);
			changed = 1;
		}
	}
	for (i = 0; i < P.users.n; i++) {
		found = 0;
		cJSON_ArrayForEach(g, users)
			if (cJSON_IsString(g) &&
			    strcmp(g->valuestring, P.users.v[i]) == 0)
				found = 1;
		if (!found) {
			cJSON_AddItemToArray(users, cJSON_CreateString(
			    P.users.v[i]));
			changed = 1;
		}
	}
	return changed;
}

static cJSON *
model_ref(const struct pub *p, int with_limits)
{
	cJSON	*r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "name", p->model);
	cJSON_AddStringToObject(r, "namespace", p->ns);
	if (with_limits)
		cJSON_AddItemToObject(r, "tokenRateLimits",
		    cJSON_Duplicate(p->limits, 1));
	return r;
}

/* A missing MaaSAuthPolicy (cur NULL) needs subjects to be created. */
static int
check_policy(const struct pub *p, const cJSON *cur, struct err *e)
{
	if (cur == NULL && P.groups.n == 0 && P.users.n == 0)
		return err_set(e, EXIT_USAGE, "publish: MaaSAuthPolicy %s/%s "
		    "does not exist; give --group or --user to create it",
		    p->tns, p->policy);
	return 0;
}

/* Step 3: the MaaSAuthPolicy. */
static int
publish_policy(struct pub *p, struct err *e)
{
	cJSON		*cur = NULL, *obj, *spec;
	int		 ret = -1, changed = 0;

	if (get_current(p, &p->ap, p->tns, p->policy, &cur, e) != 0 ||
	    check_policy(p, cur, e) != 0)
		goto out;
	if (cur == NULL) {
		obj = new_obj(&p->ap, p->tns, p->policy);
		spec = cJSON_AddObjectToObject(obj, "spec");
		cJSON_AddItemToArray(cJSON_AddArrayToObject(spec, "modelRefs"),
		    model_ref(p, 0));
		add_subjects(cJSON_AddObjectToObject(spec, "subjects"));
		ret = write_obj(p, &p->ap, p->tns, p->policy, obj, 1, e);
		cJSON_Delete(obj);
		goto out;
	}
	if (model_index(p, cur) < 0) {
		spec = json_obj(cur, "spec");
		if (cJSON_GetObjectItem(spec, "modelRefs") == NULL)
			cJSON_AddArrayToObject(spec, "modelRefs");
		cJSON_AddItemToArray(cJSON_GetObjectItem(spec, "modelRefs"),
		    model_ref(p, 0));
		changed = 1;
	}
	if (P.groups.n > 0 || P.users.n > 0)
		changed |= add_subjects(json_obj(cur, "spec.subjects"));
	ret = write_changed(p, &p->ap, p->tns, p->policy, cur, changed, e);
out:
	cJSON_Delete(cur);
	return ret;
}

/*
 * A missing MaaSSubscription (cur NULL) needs owners and limits to be
 * created; an existing one needs limits to take the model in.
 */
static int
check_subscription(const struct pub *p, const cJSON *cur, struct err *e)
{
	if (cur == NULL && P.groups.n == 0 && P.users.n == 0)
		return err_set(e, EXIT_USAGE, "publish: MaaSSubscription %s/%s "
		    "does not exist; give --group or --user (its owners) to "
		    "create it", p->tns, p->subname);
	if (cur == NULL && cJSON_GetArraySize(p->limits) == 0)
		return err_set(e, EXIT_USAGE, "publish: MaaSSubscription %s/%s "
		    "does not exist; give --limit LIMIT/WINDOW (e.g. 50000/1h) "
		    "to create it", p->tns, p->subname);
	if (cur != NULL && model_index(p, cur) < 0 &&
	    cJSON_GetArraySize(p->limits) == 0)
		return err_set(e, EXIT_USAGE, "publish: give --limit "
		    "LIMIT/WINDOW to add %s/%s to MaaSSubscription %s/%s",
		    p->ns, p->model, p->tns, p->subname);
	return 0;
}

/* Step 4: the MaaSSubscription. */
static int
publish_subscription(struct pub *p, struct err *e)
{
	cJSON		*cur = NULL, *obj, *spec, *ref, *old;
	int		 ret = -1, changed = 0, i;

	if (get_current(p, &p->sub, p->tns, p->subname, &cur, e) != 0 ||
	    check_subscription(p, cur, e) != 0)
		goto out;
	if (cur == NULL) {
		obj = new_obj(&p->sub, p->tns, p->subname);
		spec = cJSON_AddObjectToObject(obj, "spec");
		add_subjects(cJSON_AddObjectToObject(spec, "owner"));
		cJSON_AddItemToArray(cJSON_AddArrayToObject(spec, "modelRefs"),
		    model_ref(p, 1));
		if (P.priority >= 0)
			cJSON_AddNumberToObject(spec, "priority",
			    (double)P.priority);
		ret = write_obj(p, &p->sub, p->tns, p->subname, obj, 1, e);
		cJSON_Delete(obj);
		goto out;
	}
	spec = json_obj(cur, "spec");
	if ((i = model_index(p, cur)) < 0) {
		if (cJSON_GetObjectItem(spec, "modelRefs") == NULL)
			cJSON_AddArrayToObject(spec, "modelRefs");
		cJSON_AddItemToArray(cJSON_GetObjectItem(spec, "modelRefs"),
		    model_ref(p, 1));
		changed = 1;
	} else if (cJSON_GetArraySize(p->limits) > 0) {
		ref = cJSON_GetArrayItem(cJSON_GetObjectItem(spec, "modelRefs"),
		    i);
		old = cJSON_GetObjectItem(ref, "tokenRateLimits");
		if (!json_equal(old, p->limits)) {
			cJSON_DeleteItemFromObject(ref, "tokenRateLimits");
			cJSON_AddItemToObject(ref, "tokenRateLimits",
			    cJSON_Duplicate(p->limits, 1));
			changed = 1;
		}
	}
	if (P.groups.n > 0 || P.users.n > 0)
		changed |= add_subjects(json_obj(cur, "spec.owner"));
	if (P.priority >= 0 && json_num(cur, "spec.priority", -1) !=
	    (double)P.priority) {
		cJSON_DeleteItemFromObject(spec, "priority");
		cJSON_AddNumberToObject(spec, "priority", (double)P.priority);
		changed = 1;
	}
	ret = write_changed(p, &p->sub, p->tns, p->subname, cur, changed, e);
out:
	cJSON_Delete(cur);
	return ret;
}

/* Policies/subscriptions (other than ours) that name the model. */
static int
referrers(struct pub *p, const struct kube_resource *res, const char *ours,
    struct strlist *out, int *ours_refs, struct err *e)
{
	struct kube_list_opts	 lo;
	const cJSON		*it;
	cJSON			*list = NULL;
	const char		*n, *ns;

	memset(&lo, 0, sizeof lo);
	if (kube_list(p->k, res, NULL, &lo, &list, e) != 0)
		return -1;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(list,
	    "items")) {
		if (model_index(p, it) < 0)
			continue;
		n = json_str(it, "metadata.name");
		ns = json_str(it, "metadata.namespace");
		if (ours != NULL && n != NULL && ns != NULL &&
		    strcmp(n, ours) == 0 && strcmp(ns, p->tns) == 0) {
			if (ours_refs != NULL)
				*ours_refs = 1;
			continue;
		}
		sl_addf(out, "%s %s/%s", res->kind, ns ? ns : "", n ? n : "");
	}
	cJSON_Delete(list);
	return 0;
}

/* The curl line: the endpoint, the model id, the sandbox CA if any. */
static char *
curl_line(struct ctx *ctx, const char *endpoint, const char *model_id)
{
	struct target	 t;
	struct err	 e = ERR_INIT;
	struct strbuf	 sb = STRBUF_INIT;
	const char	*ca = ctx->g.ca_file;
	int		 insecure = ctx->g.insecure, have = 0;
	cJSON		*body;
	char		*b;

	if (target_resolve_maasapi(ctx, &t, &e) == 0) {
		have = 1;
		if (ca == NULL)
			ca = t.http.tls.ca_file;
		insecure |= t.http.tls.insecure;
	}
	err_clear(&e);
	sb_adds(&sb, "curl -sS ");
	if (ca != NULL && strncmp(endpoint, "https:", 6) == 0)
		sb_addf(&sb, "--cacert '%s' ", ca);
	else if (insecure && strncmp(endpoint, "https:", 6) == 0)
		sb_adds(&sb, "-k ");
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "model", model_id);
	{
		cJSON *m = cJSON_CreateObject();

		cJSON_AddStringToObject(m, "role", "user");
		cJSON_AddStringToObject(m, "content", "Hello");
		cJSON_AddItemToArray(cJSON_AddArrayToObject(body, "messages"),
		    m);
	}
	cJSON_AddNumberToObject(body, "max_tokens", 50);
	b = cJSON_PrintUnformatted(body);
	sb_addf(&sb, "%s%s/v1/chat/completions -H \"Authorization: Bearer "
	    "$MAAS_API_KEY\" -H 'Content-Type: application/json' -d '%s'",
	    endpoint, endpoint[strlen(endpoint) - 1] == '/' ? "" : "", b);
	cJSON_free(b);
	cJSON_Delete(body);
	if (have)
		target_free(&t);
	return sb_detach(&sb);
}

static int
pub_setup(struct ctx *ctx, struct pub *p, const char *arg, struct err *e)
{
	const char	*slash;

	memset(p, 0, sizeof *p);
	p->ctx = ctx;
	p->wo.field_manager = "maasctl";
	p->wo.dry_run = P.dry == DRY_SERVER;
	p->tns = P.tenant_ns != NULL ? P.tenant_ns : TENANT_NS;
	if ((p->k = ctx_kube(ctx, e)) == NULL)
		return -1;
	if ((slash = strchr(arg, '/')) != NULL) {
		/* NS/NAME, as --model takes it elsewhere */
		if (ctx->g.namespace != NULL && strncmp(ctx->g.namespace, arg,
		    (size_t)(slash - arg)) != 0)
			return err_set(e, EXIT_USAGE, "%s: model \"%s\" names a "
			    "namespace other than -n %s", ctx->cmd->name, arg,
			    ctx->g.namespace);
		p->ns = xstrndup(arg, (size_t)(slash - arg));
		p->model = slash + 1;
	} else {
		p->ns = xstrdup(ctx_namespace(ctx));
		p->model = arg;
	}
	if (*p->model == '\0' || *p->ns == '\0')
		return err_set(e, EXIT_USAGE, "%s: invalid model \"%s\": want "
		    "NAME or NAMESPACE/NAME", ctx->cmd->name, arg);
	p->policy = P.policy != NULL ? xstrdup(P.policy) :
	    xasprintf("%s-access", p->model);
	p->subname = P.subscription != NULL ? xstrdup(P.subscription) :
	    xasprintf("%s-subscription", p->model);
	if (kube_resolve(p->k, P.external ? MAAS_GROUP : "serving.kserve.io",
	    P.external ? "ExternalModel" : "LLMInferenceService", &p->backend,
	    e) != 0 ||
	    kube_resolve(p->k, MAAS_GROUP, "MaaSModelRef", &p->mref, e) != 0 ||
	    kube_resolve(p->k, MAAS_GROUP, "MaaSAuthPolicy", &p->ap, e) != 0 ||
	    kube_resolve(p->k, MAAS_GROUP, "MaaSSubscription", &p->sub,
	    e) != 0) {
		if (e->code == EXIT_NOTFOUND)
			err_hint(e, "is MaaS installed on this cluster? (maasctl "
			    "sandbox up starts a local one)");
		return -1;
	}
	return 0;
}

static void
pub_free(struct pub *p)
{
	kube_resource_free(&p->backend);
	kube_resource_free(&p->mref);
	kube_resource_free(&p->ap);
	kube_resource_free(&p->sub);
	cJSON_Delete(p->read[0]);
	cJSON_Delete(p->read[1]);
	cJSON_Delete(p->read[2]);
	free((char *)p->ns);
	free(p->policy);
	free(p->subname);
	cJSON_Delete(p->limits);
	cJSON_Delete(p->summary);
}

static int
print_summary(struct ctx *ctx, struct pub *p, struct err *e)
{
	char	*s;

	if (ctx->g.output == NULL)
		return 0;
	s = strcmp(ctx->g.output, "json") == 0 ? json_print(p->summary, 1) :
	    yaml_emit(p->summary);
	fputs(s, stdout);
	if (*s != '\0' && s[strlen(s) - 1] != '\n')
		fputc('\n', stdout);
	free(s);
	(void)e;
	return 0;
}

static int
check_output(struct ctx *ctx, struct pub *p, struct err *e)
{
	const char	*o = ctx->g.output;

	if (o == NULL)
		return 0;
	if (strcmp(o, "json") != 0 && strcmp(o, "yaml") != 0)
		return err_set_raw(e, EXIT_USAGE, "error: unable to match a "
		    "printer suitable for the output format \"%s\", allowed "
		    "formats are: json,yaml", o);
	p->quiet = 1;
	p->summary = cJSON_CreateObject();
	return 0;
}

/*
 * Before the first write: every object publish would create or extend can
 * be (the subjects and limits a new one needs are there, a MaaSModelRef of
 * that name points at this model), so bad input changes nothing.
 */
static int
preflight(struct pub *p, int ap, int sub, struct err *e)
{
	cJSON	*cur = NULL;
	int	 ret = -1;

	if (get_current(p, &p->mref, p->ns, p->model, &cur, e) != 0 ||
	    check_modelref(p, cur, e) != 0)
		goto out;
	cJSON_Delete(cur);
	cur = NULL;
	if (ap && (get_current(p, &p->ap, p->tns, p->policy, &cur, e) != 0 ||
	    check_policy(p, cur, e) != 0))
		goto out;
	cJSON_Delete(cur);
	cur = NULL;
	if (sub && (get_current(p, &p->sub, p->tns, p->subname, &cur,
	    e) != 0 || check_subscription(p, cur, e) != 0))
		goto out;
	ret = 0;
out:
	cJSON_Delete(cur);
	return ret;
}

static int
publish_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct pub		 p;
	struct wait_item	 items[3];
	struct wait_cond	 mcond;
	struct strlist		 others = STRLIST_INIT;
	struct err		 e2 = ERR_INIT;
	static const char *const registered[] = { "Pending", "Ready", NULL };
	cJSON			*isvc = NULL, *mr = NULL;
	const char		*endpoint, *model_id, *phase;
	char			*curl = NULL;
	int			 ret = -1, n = 0, gov_ap, gov_sub, ours = 0;
	FILE			*out;

	(void)argc;
	if (check_subjects(e) != 0)
		return -1;
	if (pub_setup(ctx, &p, argv[0], e) != 0)
		goto out;
	if (check_output(ctx, &p, e) != 0 || parse_limits(&p, e) != 0)
		goto out;
	out = p.quiet ? stderr : stdout;
	if (p.summary != NULL) {
		cJSON_AddStringToObject(p.summary, "model", p.model);
		cJSON_AddStringToObject(p.summary, "namespace", p.ns);
		p.objects = cJSON_AddArrayToObject(p.summary, "objects");
	}
	/* The backend must exist: MaaS only governs deployed models. */
	if (kube_get(p.k, &p.backend, p.ns, p.model, &isvc, &e2) != 0) {
		if (e2.code == EXIT_NOTFOUND) {
			err_clear(&e2);
			err_set(e, EXIT_NOTFOUND, "publish: %s %s/%s not found",
			    p.backend.kind, p.ns, p.model);
			err_hint(e, P.external ? "create the ExternalModel first"
			    : "deploy the model first, or give --external for an "
			    "ExternalModel");
		} else
			err_move(e, &e2);
		goto out;
	}
	gov_ap = P.groups.n > 0 || P.users.n > 0 || P.policy != NULL;
	gov_sub = P.limits.n > 0 || P.subscription != NULL;
	if (preflight(&p, gov_ap, gov_sub, e) != 0)
		goto out;
	if (!P.external && publish_backend(&p, &isvc, e) != 0)
		goto out;
	if (publish_modelref(&p, e) != 0)
		goto out;
	if (gov_ap && publish_policy(&p, e) != 0)
		goto out;
	if (gov_sub && publish_subscription(&p, e) != 0)
		goto out;
	/* Without our own, is the model governed by someone else's? */
	if (!gov_ap) {
		if (referrers(&p, &p.ap, NULL, &others, &ours, e) != 0)
			goto out;
		gov_ap = others.n > 0;
	}
	if (!gov_sub) {
		size_t before = others.n;

		if (referrers(&p, &p.sub, NULL, &others, &ours, e) != 0)
			goto out;
		gov_sub = others.n > before;
	}
	if (P.dry != DRY_NONE) {
		ret = print_summary(ctx, &p, e);
		goto out;
	}
	if (P.wait.enabled) {
		memset(items, 0, sizeof items);
		memset(&mcond, 0, sizeof mcond);
		if (!gov_ap || !gov_sub) {
			/* Not governed: Pending is as far as it gets. */
			mcond.phases = registered;
			mcond.condition = "";
		}
		items[n].res = &p.mref;
		items[n].ns = p.ns;
		items[n].name = p.model;
		items[n++].cond = &mcond;
		if (P.groups.n > 0 || P.users.n > 0 || P.policy != NULL) {
			items[n].res = &p.ap;
			items[n].ns = p.tns;
			items[n++].name = p.policy;
		}
		if (P.limits.n > 0 || P.subscription != NULL) {
			items[n].res = &p.sub;
			items[n].ns = p.tns;
			items[n++].name = p.subname;
		}
		if (wait_all(p.k, items, n, P.wait.timeout, e) != 0)
			goto out;
	}
	if (kube_get(p.k, &p.mref, p.ns, p.model, &mr, e) != 0)
		goto out;
	phase = json_str(mr, "status.phase");
	endpoint = json_str(mr, "status.endpoint");
	if (endpoint == NULL || *endpoint == '\0')
		endpoint = json_str(isvc, "status.url");
	model_id = json_str(isvc, "spec.model.name");
	if (model_id == NULL || *model_id == '\0')
		model_id = p.model;
	if (p.summary != NULL) {
		cJSON_AddStringToObject(p.summary, "phase", phase ? phase : "");
		cJSON_AddStringToObject(p.summary, "endpoint",
		    endpoint ? endpoint : "");
		cJSON_AddStringToObject(p.summary, "modelId", model_id);
	}
	if (!gov_ap)
		fprintf(stderr, "warning: no MaaSAuthPolicy grants access to "
		    "%s/%s yet: give --group/--user, or maasctl authpolicy "
		    "create\n", p.ns, p.model);
	if (!gov_sub)
		fprintf(stderr, "warning: no MaaSSubscription covers %s/%s yet: "
		    "give --limit, or maasctl subscription create\n", p.ns,
		    p.model);
	if (phase != NULL && strcmp(phase, "Ready") == 0 && endpoint != NULL &&
	    *endpoint != '\0') {
		curl = curl_line(ctx, endpoint, model_id);
		fprintf(out, "model %s/%s is Ready at %s\n", p.ns, p.model,
		    endpoint);
		fprintf(out, "try it (with a key from maasctl key create in "
		    "MAAS_API_KEY):\n  %s\n", curl);
		if (p.summary != NULL)
			cJSON_AddStringToObject(p.summary, "curl", curl);
	} else
		fprintf(out, "model %s/%s is %s%s\n", p.ns, p.model,
		    phase ? phase : "not reconciled yet",
		    P.wait.enabled ? "" : " (not waited for: --no-wait)");
	fflush(out);
	ret = print_summary(ctx, &p, e);
out:
	sl_free(&others);
	free(curl);
	cJSON_Delete(isvc);
	cJSON_Delete(mr);
	pub_free(&p);
	return ret;
}

/* unpublish: take the model out of a policy or subscription of ours. */
static int
unpublish_from(struct pub *p, const struct kube_resource *res,
    const char *name, int explicit, struct err *e)
{
	struct err	 e2 = ERR_INIT;
	cJSON		*cur = NULL, *refs;
	int		 i, ret = -1;

	if (kube_get(p->k, res, p->tns, name, &cur, &e2) != 0) {
		if (e2.code == EXIT_NOTFOUND && !explicit) {
			err_clear(&e2);
			return 0;
		}
		err_move(e, &e2);
		return -1;
	}
	if ((i = model_index(p, cur)) < 0) {
		ret = 0;
		if (explicit) {
			err_set(e, EXIT_NOTFOUND, "unpublish: %s %s/%s does not "
			    "reference %s/%s", res->kind, p->tns, name, p->ns,
			    p->model);
			ret = -1;
		}
		goto out;
	}
	refs = json_path(cur, "spec.modelRefs");
	if (cJSON_GetArraySize(refs) == 1) {
		/* The model was all it covered: it goes. */
		if (P.dry != DRY_CLIENT && kube_delete(p->k, res, p->tns, name,
		    &p->wo, NULL, e) != 0)
			goto out;
		report(p, res, name, "deleted");
		ret = 0;
		goto out;
	}
	cJSON_DeleteItemFromArray(refs, i);
	cJSON_DeleteItemFromObject(cur, "status");
	ret = write_obj(p, res, p->tns, name, cur, 0, e);
out:
	cJSON_Delete(cur);
	return ret;
}

static int
unpublish_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct pub		 p;
	struct strlist		 others = STRLIST_INIT;
	struct err		 e2 = ERR_INIT;
	struct wait_item	 it;
	struct wait_cond	 gone;
	cJSON			*isvc = NULL, *mr = NULL;
	int			 ret = -1, rc, had_mr = 0;
	size_t			 i;

	(void)argc;
	if (pub_setup(ctx, &p, argv[0], e) != 0)
		goto out;
	if (check_output(ctx, &p, e) != 0)
		goto out;
	if (p.summary != NULL) {
		cJSON_AddStringToObject(p.summary, "model", p.model);
		cJSON_AddStringToObject(p.summary, "namespace", p.ns);
		p.objects = cJSON_AddArrayToObject(p.summary, "objects");
	}
	if (unpublish_from(&p, &p.ap, p.policy, P.policy != NULL, e) != 0 ||
	    unpublish_from(&p, &p.sub, p.subname, P.subscription != NULL,
	    e) != 0)
		goto out;
	/* The MaaSModelRef. */
	if (kube_get(p.k, &p.mref, p.ns, p.model, &mr, &e2) == 0) {
		had_mr = 1;
		if (P.dry != DRY_CLIENT && kube_delete(p.k, &p.mref, p.ns,
		    p.model, &p.wo, NULL, e) != 0)
			goto out;
		report(&p, &p.mref, p.model, "deleted");
	} else if (e2.code != EXIT_NOTFOUND) {
		err_move(e, &e2);
		goto out;
	}
	err_clear(&e2);
	/* The gateway ref. */
	if (!P.external && !P.keep_gateway) {
		if (kube_get(p.k, &p.backend, p.ns, p.model, &isvc, &e2) == 0) {
			if ((rc = guarded_patch(&p, &isvc, unref_ops, e)) < 0)
				goto out;
			if (rc > 0)
				report(&p, &p.backend, p.model, "patched");
		} else if (e2.code != EXIT_NOTFOUND) {
			err_move(e, &e2);
			goto out;
		}
		err_clear(&e2);
	}
	if (p.changes == 0) {
		err_set(e, EXIT_NOTFOUND, "unpublish: %s/%s is not published "
		    "(no MaaSModelRef, no gateway ref)", p.ns, p.model);
		goto out;
	}
	/* What else still names the model. */
	if (referrers(&p, &p.ap, NULL, &others, NULL, e) != 0 ||
	    referrers(&p, &p.sub, NULL, &others, NULL, e) != 0)
		goto out;
	for (i = 0; i < others.n; i++)
		fprintf(stderr, "warning: %s still references %s/%s\n",
		    others.v[i], p.ns, p.model);
	if (p.summary != NULL) {
		cJSON *arr = cJSON_AddArrayToObject(p.summary,
		    "stillReferencedBy");

		for (i = 0; i < others.n; i++)
			cJSON_AddItemToArray(arr, cJSON_CreateString(
			    others.v[i]));
	}
	if (had_mr && P.dry == DRY_NONE && P.wait.enabled && P.wait.given) {
		memset(&it, 0, sizeof it);
		memset(&gone, 0, sizeof gone);
		gone.deleted = 1;
		it.res = &p.mref;
		it.ns = p.ns;
		it.name = p.model;
		it.cond = &gone;
		if (wait_for(p.k, &it, P.wait.timeout, NULL, e) != 0)
			goto out;
	}
	ret = print_summary(ctx, &p, e);
out:
	sl_free(&others);
	cJSON_Delete(isvc);
	cJSON_Delete(mr);
	pub_free(&p);
	return ret;
}

#define OPT_LAST { NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }

/* The --external and --dry-run rows publish and unpublish share. */
#define EXTERNAL_DRY_ROWS						\
	{ "external", 0, OPT_BOOL, &P.external, NULL,			\
	  "MODEL is an ExternalModel, not an LLMInferenceService", 0,	\
	  NULL, NULL, 0, 0 },						\
	{ "dry-run", 0, OPT_FUNC, NULL, "MODE",				\
	  "client: say what would change, change nothing; server: let "	\
	  "the server check every write, store nothing", OPT_OPTARG,	\
	  dry_fn, "client|server|none", 0, 0 }

static const struct opt publish_opts[] = {
	{ "group", 0, OPT_LIST, &P.groups, "GROUP",
	  "grant this group access and make it an owner of the subscription "
	  "(repeatable)", 0, NULL, NULL, 0, 0 },
	{ "user", 0, OPT_LIST, &P.users, "USER",
	  "the same for one user (repeatable)", 0, NULL, NULL, 0, 0 },
	{ "limit", 0, OPT_LIST, &P.limits, "LIMIT/WINDOW",
	  "token rate limit in the subscription, e.g. 50000/1h (repeatable)",
	  0, NULL, NULL, 0, 0 },
	{ "subscription", 0, OPT_STR, &P.subscription, "NAME",
	  "the MaaSSubscription to create or extend (default MODEL-"
	  "subscription)", 0, NULL, NULL, 0, 0 },
	{ "policy", 0, OPT_STR, &P.policy, "NAME",
	  "the MaaSAuthPolicy to create or extend (default MODEL-access)", 0,
	  NULL, NULL, 0, 0 },
	{ "tenant-namespace", 0, OPT_STR, &P.tenant_ns, "NS",
	  "where policies and subscriptions live (default "
	  "models-as-a-service)", 0, NULL, "@namespace", 0, 0 },
	{ "priority", 0, OPT_INT, &P.priority, "N",
	  "priority of a new subscription", 0, NULL, NULL, 0, 2147483647 },
	{ "tiers", 0, OPT_STR, &P.tiers, "TIER,...|all",
	  "legacy tier access: the alpha.maas.opendatahub.io/tiers annotation",
	  0, NULL, NULL, 0, 0 },
	{ "display-name", 0, OPT_STR, &P.display_name, "TEXT",
	  "the model's display name (annotation on the MaaSModelRef)", 0,
	  NULL, NULL, 0, 0 },
	{ "description", 0, OPT_STR, &P.description, "TEXT",
	  "the model's description (annotation on the MaaSModelRef)", 0,
	  NULL, NULL, 0, 0 },
	EXTERNAL_DRY_ROWS,
	WAIT_OPT_ROWS(&P.wait, "wait until the model is Ready and the policy "
	    "and subscription Active, at most TIMEOUT (default: on, 5m)"),
	OPT_LAST
};

static const struct opt unpublish_opts[] = {
	{ "subscription", 0, OPT_STR, &P.subscription, "NAME",
	  "the MaaSSubscription publish extended (default MODEL-subscription)",
	  0, NULL, NULL, 0, 0 },
	{ "policy", 0, OPT_STR, &P.policy, "NAME",
	  "the MaaSAuthPolicy publish extended (default MODEL-access)", 0,
	  NULL, NULL, 0, 0 },
	{ "tenant-namespace", 0, OPT_STR, &P.tenant_ns, "NS",
	  "where policies and subscriptions live (default "
	  "models-as-a-service)", 0, NULL, "@namespace", 0, 0 },
	{ "keep-gateway-ref", 0, OPT_BOOL, &P.keep_gateway, NULL,
	  "leave the maas-default-gateway ref on the LLMInferenceService", 0,
	  NULL, NULL, 0, 0 },
	EXTERNAL_DRY_ROWS,
	WAIT_OPT_ROWS(&P.wait, "wait until the MaaSModelRef is gone, at most "
	    "TIMEOUT (default: off)"),
	OPT_LAST
};

static int
complete_models(struct ctx *ctx, int pos, const char *word,
    struct strlist *out)
{
	(void)word;
	if (pos != 0)
		return 0;
	return resource_complete_names(ctx, "llminferenceservice", "", out);
}

const struct command cmd_publish = {
	.name = "publish",
	.summary = "Put a model under MaaS: gateway ref, model ref, access, "
	    "quota; wait for Ready",
	.usage = "MODEL [-n NS] [--group G]... [--user U]... "
	    "[--limit LIMIT/WINDOW]... [--subscription S] [--policy P] "
	    "[--tiers T,...] [--wait[=TIMEOUT] | --no-wait] "
	    "[--dry-run[=client|server]]",
	.opts = publish_opts,
	.run = publish_run,
	.flags = CMD_NEEDS_KUBE,
	.complete = complete_models,
	.min_args = 1,
	.max_args = 1,
};

const struct command cmd_unpublish = {
	.name = "unpublish",
	.summary = "Take a model out of MaaS and say what else referenced it",
	.usage = "MODEL [-n NS] [--subscription S] [--policy P] "
	    "[--keep-gateway-ref] [--wait[=TIMEOUT]] "
	    "[--dry-run[=client|server]]",
	.opts = unpublish_opts,
	.run = unpublish_run,
	.flags = CMD_NEEDS_KUBE,
	.complete = complete_models,
	.min_args = 1,
	.max_args = 1,
};
