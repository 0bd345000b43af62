/*
 * subscription.c: `maasctl subscription list|get|create|update|delete|
 * add-model|remove-model|set-limit` (aliases `sub`, `subs`): the admin's
 * CRUD over MaaSSubscription objects (token quotas) through the Kubernetes
 * API, in the MaaS namespace (models-as-a-service) unless -n says
 * otherwise.  The user's own view, from maas-api, stays `maasctl
 * subscriptions` (cli/subscriptions.c).  Every write is checked by
 * common/maasval.c first and supports --dry-run and --wait.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "maasobj.h"
#include "maasval.h"

static struct {
	struct strlist	 groups;	/* --group */
	struct strlist	 users;		/* --user */
	struct strlist	 models;	/* --model */
	struct strlist	 billing;	/* --billing-rate NS/NAME=PRICE */
	long		 priority;	/* --priority */
	struct maasobj_meta meta;	/* tokenMetadata, annotations */
} S;

#define SUB_SPEC_ROWS(modelhelp)					\
	{ "group", 'g', OPT_LIST, &S.groups, "GROUP",			\
	  "owner group (repeatable)", 0, NULL, NULL, 0, 0 },		\
	{ "user", 'u', OPT_LIST, &S.users, "USER",			\
	  "owner user (repeatable)", 0, NULL, NULL, 0, 0 },		\
	{ "model", 'm', OPT_LIST, &S.models, "NS/NAME=LIMIT/WINDOW",	\
	  modelhelp, 0, NULL, "@model-ref", 0, 0 },				\
	{ "priority", 0, OPT_INT, &S.priority, "N",			\
	  "priority when a user has several subscriptions (higher wins)",\
	  0, NULL, NULL, -2147483647L - 1, 2147483647L },		\
	{ "billing-rate", 0, OPT_LIST, &S.billing, "NS/NAME=PRICE",	\
	  "cost per token of a model of the subscription (repeatable)",	\
	  0, NULL, NULL, 0, 0 },					\
	MAASOBJ_META_ROWS(S.meta, "tokenMetadata")

static const struct opt create_opts[] = {
	SUB_SPEC_ROWS("model and its token limits (repeatable, at least one)"),
	MAASOBJ_NOCHECK_ROW,
	MAASOBJ_WRITE_ROWS("wait until the subscription is Active"),
	MAASOBJ_OPT_LAST
};

static const struct opt update_opts[] = {
	SUB_SPEC_ROWS("replace the models and limits (repeatable)"),
	MAASOBJ_NOCHECK_ROW,
	MAASOBJ_RV_ROW,
	MAASOBJ_WRITE_ROWS("wait until the subscription is Active"),
	MAASOBJ_OPT_LAST
};

static const struct opt addmodel_opts[] = {
	{ "model", 'm', OPT_LIST, &S.models, "NS/NAME=LIMIT/WINDOW",
	  "model to add with its token limits (repeatable)", 0, NULL,
	  "@model-ref", 0, 0 },
	{ "billing-rate", 0, OPT_LIST, &S.billing, "NS/NAME=PRICE",
	  "cost per token of an added model", 0, NULL, NULL, 0, 0 },
	MAASOBJ_NOCHECK_ROW,
	MAASOBJ_RV_ROW,
	MAASOBJ_WRITE_ROWS("wait until the subscription is Active"),
	MAASOBJ_OPT_LAST
};

static const struct opt rmmodel_opts[] = {
	{ "model", 'm', OPT_LIST, &S.models, "NS/NAME",
	  "model to remove (repeatable)", 0, NULL, "@model-ref", 0, 0 },
	MAASOBJ_RV_ROW,
	MAASOBJ_WRITE_ROWS("wait until the subscription is Active"),
	MAASOBJ_OPT_LAST
};

static const struct opt setlimit_opts[] = {
	{ "model", 'm', OPT_LIST, &S.models, "NS/NAME=LIMIT/WINDOW",
	  "model of the subscription and its new limits (repeatable)", 0,
	  NULL, "@model-ref", 0, 0 },
	MAASOBJ_RV_ROW,
	MAASOBJ_WRITE_ROWS("wait until the subscription is Active"),
	MAASOBJ_OPT_LAST
};

/* Table columns after NAME. */
static void
sub_row(struct output_table *tb, const cJSON *o, time_t now)
{
	struct strbuf	 sb = STRBUF_INIT;
	const cJSON	*it, *l;
	char		*age;
	const char	*s;

	s = json_str(o, "status.phase");
	output_table_add(tb, s && *s ? s : "<none>");
	output_table_add_num(tb, json_num(o, "spec.priority", 0));
	maasobj_cell_principals(tb, json_path(o, "spec.owner"));
	maasobj_cell_models(tb, o);
	age = output_age(json_str(o, "metadata.creationTimestamp"), now);
	output_table_add(tb, age);
	free(age);
	if (!output_table_shows_wide(tb)) {
		/* LIMITS and ORGANIZATION are -o wide's only. */
		output_table_add(tb, "");
		output_table_add(tb, "");
		return;
	}
	cJSON_ArrayForEach(it, json_path(o, "spec.modelRefs")) {
		int n = 0;

		sb_addf(&sb, "%s%s=", sb.len ? ";" : "", json_str(it, "name"));
		cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(it,
		    "tokenRateLimits"))
			sb_addf(&sb, "%s%.0f/%s", n++ ? "," : "",
			    json_num(l, "limit", 0), json_str(l, "window") ?
			    json_str(l, "window") : "");
	}
	output_table_add(tb, sb.len ? sb.buf : "<none>");
	s = json_str(o, "spec.tokenMetadata.organizationId");
	output_table_add(tb, s && *s ? s : "<none>");
	sb_free(&sb);
}

static const char *const sub_hdr[] = { "NAME", "PHASE", "PRIORITY",
    "OWNERS", "MODELS", "AGE", "LIMITS", "ORGANIZATION" };
static const char *const sub_fields[] = { "status.phase", "spec", NULL };
static const struct maasobj_table sub_table = { sub_hdr, 8,
    (1u << 6) | (1u << 7), sub_row, sub_fields };

MAASOBJ_READ_COMMANDS(sub, maasobj_subscription, sub_table,
    maasobj_complete_subscriptions, "MaaSSubscriptions",
    "the MaaS namespace", "subscription", "subscriptions");

/* A modelRefs entry from "NS/NAME=LIMIT/WINDOW[,...]"; NULL with e. */
static cJSON *
model_entry(const char *spec, struct err *e)
{
	const char	*eq = strchr(spec, '=');
	char		*ref, *ns, *name;
	cJSON		*o, *lim;

	if (eq == NULL)
		return err_set(e, EXIT_USAGE, "invalid --model \"%s\": want "
		    "NS/NAME=LIMIT/WINDOW[,LIMIT/WINDOW] such as "
		    "llm/granite=50000/1h", spec), NULL;
	ref = xstrndup(spec, (size_t)(eq - spec));
	if (maasval_parse_ref(ref, "--model", &ns, &name, e) != 0) {
		free(ref);
		return NULL;
	}
	free(ref);
	if ((lim = maasval_parse_limits(eq + 1, "--model", e)) == NULL) {
		free(ns);
		free(name);
		return NULL;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "namespace", ns);
	cJSON_AddItemToObject(o, "tokenRateLimits", lim);
	free(ns);
	free(name);
	return o;
}

/* Append the --model entries to refs (duplicates are left to validation). */
static int
add_models(cJSON *refs, struct err *e)
{
	cJSON	*o;
	size_t	 i;

	for (i = 0; i < S.models.n; i++) {
		if ((o = model_entry(S.models.v[i], e)) == NULL)
			return -1;
		cJSON_AddItemToArray(refs, o);
	}
	return 0;
}

/* Apply --billing-rate NS/NAME=PRICE to the models of the spec. */
static int
apply_billing(cJSON *spec, const char *what, struct err *e)
{
	cJSON		*refs = cJSON_GetObjectItemCaseSensitive(spec,
			    "modelRefs"), *r, *b;
	const char	*eq;
	char		*ref, *ns = NULL, *name = NULL;
	size_t		 i;
	int		 at;

	for (i = 0; i < S.billing.n; i++) {
		if ((eq = strchr(S.billing.v[i], '=')) == NULL ||
		    eq[1] == '\0')
			return err_set(e, EXIT_USAGE, "invalid --billing-rate "
			    "\"%s\": want NS/NAME=PRICE such as llm/granite="
			    "0.000002", S.billing.v[i]);
		ref = xstrndup(S.billing.v[i], (size_t)(eq - S.billing.v[i]));
		at = maasval_parse_ref(ref, "--billing-rate", &ns, &name, e);
		free(ref);
		if (at != 0)
			return -1;
		at = maasobj_ref_index(refs, ns, name);
		if (at < 0) {
			err_set(e, EXIT_USAGE, "%s: --billing-rate names %s/%s, "
			    "which is not a model of the subscription", what,
			    ns, name);
			free(ns);
			free(name);
			return -1;
		}
		free(ns);
		free(name);
		r = cJSON_GetArrayItem(refs, at);
		cJSON_DeleteItemFromObjectCaseSensitive(r, "billingRate");
		b = cJSON_AddObjectToObject(r, "billingRate");
		cJSON_AddStringToObject(b, "perToken", eq + 1);
	}
	return 0;
}

/* owner.groups / owner.users from --group / --user (replaced when given). */
static void
set_principals(cJSON *parent, int groups_too, int users_too)
{
	cJSON	*arr, *g;
	size_t	 i;

	if (groups_too) {
		cJSON_DeleteItemFromObjectCaseSensitive(parent, "groups");
		arr = cJSON_AddArrayToObject(parent, "groups");
		for (i = 0; i < S.groups.n; i++) {
			g = cJSON_CreateObject();
			cJSON_AddStringToObject(g, "name", S.groups.v[i]);
			cJSON_AddItemToArray(arr, g);
		}
	}
	if (users_too) {
		cJSON_DeleteItemFromObjectCaseSensitive(parent, "users");
		arr = cJSON_AddArrayToObject(parent, "users");
		for (i = 0; i < S.users.n; i++)
			cJSON_AddItemToArray(arr,
			    cJSON_CreateString(S.users.v[i]));
	}
}

/* tokenMetadata and annotations from the flags that were given. */
static int
set_metadata(struct ctx *ctx, cJSON *obj, cJSON *spec, struct err *e)
{
	if (maasobj_meta_apply(obj, spec, "tokenMetadata", &S.meta, e) != 0)
		return -1;
	if (opt_given(&ctx->res, "priority")) {
		cJSON_DeleteItemFromObjectCaseSensitive(spec, "priority");
		cJSON_AddNumberToObject(spec, "priority", (double)S.priority);
	}
	return 0;
}

/* Validate, then check that every model of the spec exists. */
static int
check_and_write(struct ctx *ctx, cJSON *obj, int create, const char *what,
    struct err *e)
{
	/* Only the models named on the command line are looked up. */
	if (maasval_subscription(obj, e) != 0 ||
	    maasobj_check_models(ctx, what, &S.models, e) != 0)
		return -1;
	return maasobj_write(ctx, &maasobj_subscription, obj, create, e);
}

static int
sub_create(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct kube_resource	 res;
	const char		*ns;
	cJSON			*obj, *spec, *owner, *refs;
	char			*what = xasprintf("subscription create %s",
				    argv[0]);
	int			 rc = -1;

	(void)argc;
	memset(&res, 0, sizeof res);
	if (S.models.n == 0) {
		err_set(e, EXIT_USAGE, "%s: at least one --model "
		    "NS/NAME=LIMIT/WINDOW is required", what);
		goto out;
	}
	if (S.groups.n == 0 && S.users.n == 0) {
		err_set(e, EXIT_USAGE, "%s: give an owner: at least one --group "
		    "or --user", what);
		goto out;
	}
	if (MO.dry_run == MAASOBJ_DRY_CLIENT && ctx->g.namespace == NULL)
		ns = MAASOBJ_TENANT_NS;
	else if (maasobj_client(ctx, &maasobj_subscription, &res, &ns, e) ==
	    NULL)
		goto out;
	obj = maasobj_new(&maasobj_subscription, argv[0], ns);
	spec = cJSON_AddObjectToObject(obj, "spec");
	owner = cJSON_AddObjectToObject(spec, "owner");
	set_principals(owner, 1, 1);
	refs = cJSON_AddArrayToObject(spec, "modelRefs");
	if (add_models(refs, e) == 0 && apply_billing(spec, what, e) == 0 &&
	    set_metadata(ctx, obj, spec, e) == 0)
		rc = check_and_write(ctx, obj, 1, what, e);
	cJSON_Delete(obj);
out:
	kube_resource_free(&res);
	free(what);
	return rc;
}

/* GET the subscription, let edit change it, write it back. */
static int
sub_modify(struct ctx *ctx, const char *name, const char *verb,
    int (*edit)(struct ctx *, cJSON *, cJSON *, const char *, struct err *),
    struct err *e)
{
	cJSON	*obj = NULL, *spec;
	char	*what = xasprintf("subscription %s %s", verb, name);
	int	 rc = -1;

	if (maasobj_fetch(ctx, &maasobj_subscription, name, &obj, e) != 0)
		goto out;
	if ((spec = cJSON_GetObjectItemCaseSensitive(obj, "spec")) == NULL)
		spec = cJSON_AddObjectToObject(obj, "spec");
	if (edit(ctx, obj, spec, what, e) != 0)
		goto out;
	rc = check_and_write(ctx, obj, 0, what, e);
out:
	cJSON_Delete(obj);
	free(what);
	return rc;
}

static int
edit_update(struct ctx *ctx, cJSON *obj, cJSON *spec, const char *what,
    struct err *e)
{
	cJSON	*owner, *refs;

	if (S.groups.n > 0 || S.users.n > 0) {
		if ((owner = cJSON_GetObjectItemCaseSensitive(spec, "owner")) ==
		    NULL)
			owner = cJSON_AddObjectToObject(spec, "owner");
		set_principals(owner, S.groups.n > 0, S.users.n > 0);
	}
	if (S.models.n > 0) {
		cJSON_DeleteItemFromObjectCaseSensitive(spec, "modelRefs");
		refs = cJSON_AddArrayToObject(spec, "modelRefs");
		if (add_models(refs, e) != 0)
			return -1;
	}
	if (apply_billing(spec, what, e) != 0)
		return -1;
	return set_metadata(ctx, obj, spec, e);
}

static int
sub_update(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	(void)argc;
	if (S.groups.n == 0 && S.users.n == 0 && S.models.n == 0 &&
	    S.billing.n == 0 && !maasobj_meta_given(&S.meta) &&
	    !opt_given(&ctx->res, "priority"))
		return err_set(e, EXIT_USAGE, "subscription update %s: nothing "
		    "to change (give --group, --user, --model, --priority, ...)",
		    argv[0]);
	return sub_modify(ctx, argv[0], "update", edit_update, e);
}

static int
edit_add_model(struct ctx *ctx, cJSON *obj, cJSON *spec, const char *what,
    struct err *e)
{
	cJSON	*refs = cJSON_GetObjectItemCaseSensitive(spec, "modelRefs"), *o;
	size_t	 i;

	(void)ctx;
	(void)obj;
	if (!cJSON_IsArray(refs)) {
		cJSON_DeleteItemFromObjectCaseSensitive(spec, "modelRefs");
		refs = cJSON_AddArrayToObject(spec, "modelRefs");
	}
	for (i = 0; i < S.models.n; i++) {
		if ((o = model_entry(S.models.v[i], e)) == NULL)
			return -1;
		if (maasobj_ref_index(refs, json_str(o, "namespace"),
		    json_str(o, "name")) >= 0) {
			err_set(e, EXIT_CONFLICT, "%s: model %s/%s is already "
			    "in the subscription", what, json_str(o,
			    "namespace"), json_str(o, "name"));
			err_hint(e, "change its limits with 'maasctl "
			    "subscription set-limit'");
			cJSON_Delete(o);
			return -1;
		}
		cJSON_AddItemToArray(refs, o);
	}
	return apply_billing(spec, what, e);
}

static int
sub_add_model(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	(void)argc;
	if (S.models.n == 0)
		return err_set(e, EXIT_USAGE, "subscription add-model %s: "
		    "at least one --model NS/NAME=LIMIT/WINDOW is required",
		    argv[0]);
	return sub_modify(ctx, argv[0], "add-model", edit_add_model, e);
}

static int
edit_remove_model(struct ctx *ctx, cJSON *obj, cJSON *spec, const char *what,
    struct err *e)
{
	cJSON	*refs = cJSON_GetObjectItemCaseSensitive(spec, "modelRefs");
	char	*ns, *name;
	size_t	 i;
	int	 at;

	(void)ctx;
	(void)obj;
	for (i = 0; i < S.models.n; i++) {
		if (maasval_parse_ref(S.models.v[i], "--model", &ns, &name,
		    e) != 0)
			return -1;
		if ((at = maasobj_ref_index(refs, ns, name)) < 0) {
			err_set(e, EXIT_NOTFOUND, "%s: model %s/%s is not in "
			    "the subscription", what, ns, name);
			free(ns);
			free(name);
			return -1;
		}
		free(ns);
		free(name);
		cJSON_DeleteItemFromArray(refs, at);
	}
	if (cJSON_GetArraySize(refs) == 0) {
		err_set(e, EXIT_USAGE, "%s: a subscription needs at least one "
		    "model; delete it with 'maasctl subscription delete' "
		    "instead", what);
		return -1;
	}
	return 0;
}

static int
sub_remove_model(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	(void)argc;
	if (S.models.n == 0)
		return err_set(e, EXIT_USAGE, "subscription remove-model %s: "
		    "at least one --model NS/NAME is required", argv[0]);
	return sub_modify(ctx, argv[0], "remove-model", edit_remove_model, e);
}

static int
edit_set_limit(struct ctx *ctx, cJSON *obj, cJSON *spec, const char *what,
    struct err *e)
{
	cJSON	*refs = cJSON_GetObjectItemCaseSensitive(spec, "modelRefs");
	cJSON	*o, *r;
	size_t	 i;
	int	 at;

	(void)ctx;
	(void)obj;
	for (i = 0; i < S.models.n; i++) {
		if ((o = model_entry(S.models.v[i], e)) == NULL)
			return -1;
		at = maasobj_ref_index(refs, json_str(o, "namespace"),
		    json_str(o, "name"));
		if (at < 0) {
			err_set(e, EXIT_NOTFOUND, "%s: model %s/%s is not in "
			    "the subscription", what, json_str(o, "namespace"),
			    json_str(o, "name"));
			err_hint(e, "add it with 'maasctl subscription "
			    "add-model'");
			cJSON_Delete(o);
			return -1;
		}
		r = cJSON_GetArrayItem(refs, at);
		cJSON_ReplaceItemInObjectCaseSensitive(r, "tokenRateLimits",
		    cJSON_DetachItemFromObjectCaseSensitive(o,
		    "tokenRateLimits"));
		cJSON_Delete(o);
	}
	return 0;
}

static int
sub_set_limit(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	(void)argc;
	if (S.models.n == 0)
		return err_set(e, EXIT_USAGE, "subscription set-limit %s: at "
		    "least one --model NS/NAME=LIMIT/WINDOW is required",
		    argv[0]);
	/* The limits change, not the model list: no model lookups. */
	MO.no_model_check = 1;
	return sub_modify(ctx, argv[0], "set-limit", edit_set_limit, e);
}

static const struct command sub_create_cmd = {
	.name = "create",
	.summary = "Create a MaaSSubscription: owners, models and token limits",
	.usage = "NAME (--group G | --user U)... --model NS/NAME=LIMIT/WINDOW"
	    "[,LIMIT/WINDOW]... [--priority N] [--billing-rate NS/NAME=PRICE]"
	    "... [--org ID] [--cost-center C] [--meta-label k=v]... "
	    "[--display-name TEXT] [--description TEXT] [--no-model-check] "
	    "[--dry-run[=MODE]] [--wait[=TIMEOUT]] [-o FORMAT]",
	.opts = create_opts,
	.run = sub_create,
	.flags = CMD_NEEDS_KUBE,
	.min_args = 1,
	.max_args = 1,
};

static const struct command sub_update_cmd = {
	.name = "update",
	.summary = "Change owners, models, priority or metadata of a "
	    "subscription",
	.usage = "NAME [--group G]... [--user U]... "
	    "[--model NS/NAME=LIMIT/WINDOW[,LIMIT/WINDOW]]... [--priority N] "
	    "[--billing-rate NS/NAME=PRICE]... [--org ID] [--cost-center C] "
	    "[--meta-label k=v]... [--display-name TEXT] [--description TEXT] "
	    "[--no-model-check] [--resource-version RV] [--dry-run[=MODE]] "
	    "[--wait[=TIMEOUT]] [-o FORMAT]",
	.opts = update_opts,
	.run = sub_update,
	.flags = CMD_NEEDS_KUBE,
	.complete = sub_complete_first,
	.min_args = 1,
	.max_args = 1,
};

static const struct command sub_add_model_cmd = {
	.name = "add-model",
	.summary = "Add models with their token limits to a subscription",
	.usage = "NAME --model NS/NAME=LIMIT/WINDOW[,LIMIT/WINDOW]... "
	    "[--billing-rate NS/NAME=PRICE]... [--no-model-check] "
	    "[--resource-version RV] [--dry-run[=MODE]] [--wait[=TIMEOUT]]",
	.opts = addmodel_opts,
	.run = sub_add_model,
	.flags = CMD_NEEDS_KUBE,
	.complete = sub_complete_first,
	.min_args = 1,
	.max_args = 1,
};

static const struct command sub_remove_model_cmd = {
	.name = "remove-model",
	.summary = "Remove models from a subscription",
	.usage = "NAME --model NS/NAME... [--resource-version RV] "
	    "[--dry-run[=MODE]] [--wait[=TIMEOUT]]",
	.opts = rmmodel_opts,
	.run = sub_remove_model,
	.flags = CMD_NEEDS_KUBE,
	.complete = sub_complete_first,
	.min_args = 1,
	.max_args = 1,
};

static const struct command sub_set_limit_cmd = {
	.name = "set-limit",
	.summary = "Replace the token limits of models of a subscription",
	.usage = "NAME --model NS/NAME=LIMIT/WINDOW[,LIMIT/WINDOW]... "
	    "[--resource-version RV] [--dry-run[=MODE]] [--wait[=TIMEOUT]]",
	.opts = setlimit_opts,
	.run = sub_set_limit,
	.flags = CMD_NEEDS_KUBE,
	.complete = sub_complete_first,
	.min_args = 1,
	.max_args = 1,
};

static const struct command *const sub_sub[] = { &sub_list_cmd,
    &sub_get_cmd, &sub_create_cmd, &sub_update_cmd, &sub_delete_cmd,
    &sub_add_model_cmd, &sub_remove_model_cmd, &sub_set_limit_cmd, NULL };

const struct command cmd_subscription = {
	.name = "subscription",
	.aliases = (const char *const[]){ "sub", "subs", NULL },
	.summary = "Manage MaaSSubscriptions (admin: owners, models, token "
	    "limits)",
	.usage = "list|get|create|update|delete|add-model|remove-model|"
	    "set-limit ...",
	.sub = sub_sub,
};
