/*
 * authpolicy.c: `maasctl authpolicy list|get|create|update|delete|grant|
 * revoke` (alias `ap`): who may call which models, as MaaSAuthPolicy
 * objects in the MaaS namespace (models-as-a-service unless -n).  grant
 * adds groups, users and models to a policy (creating it when missing),
 * revoke takes them away.  Every write is checked by common/maasval.c
 * first and supports --dry-run and --wait.
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
	struct strlist	 models;	/* --model NS/NAME */
	struct maasobj_meta meta;	/* meteringMetadata, annotations */
} A;

#define AP_SUBJECT_ROWS(what)						\
	{ "group", 'g', OPT_LIST, &A.groups, "GROUP",			\
	  "group " what " (repeatable)", 0, NULL, NULL, 0, 0 },		\
	{ "user", 'u', OPT_LIST, &A.users, "USER",			\
	  "user " what " (repeatable)", 0, NULL, NULL, 0, 0 },		\
	{ "model", 'm', OPT_LIST, &A.models, "NS/NAME",			\
	  "MaaSModelRef " what " (repeatable)", 0, NULL, "@model-ref", 0, 0 }

#define AP_META_ROWS	MAASOBJ_META_ROWS(A.meta, "meteringMetadata")

static const struct opt create_opts[] = {
	AP_SUBJECT_ROWS("granted access"),
	AP_META_ROWS,
	MAASOBJ_NOCHECK_ROW,
	MAASOBJ_WRITE_ROWS("wait until the policy is Active"),
	MAASOBJ_OPT_LAST
};

static const struct opt update_opts[] = {
	AP_SUBJECT_ROWS("replacing the current ones"),
	AP_META_ROWS,
	MAASOBJ_NOCHECK_ROW,
	MAASOBJ_RV_ROW,
	MAASOBJ_WRITE_ROWS("wait until the policy is Active"),
	MAASOBJ_OPT_LAST
};

static const struct opt grant_opts[] = {
	AP_SUBJECT_ROWS("to add"),
	MAASOBJ_NOCHECK_ROW,
	MAASOBJ_RV_ROW,
	MAASOBJ_WRITE_ROWS("wait until the policy is Active"),
	MAASOBJ_OPT_LAST
};

static const struct opt revoke_opts[] = {
	AP_SUBJECT_ROWS("to remove"),
	MAASOBJ_RV_ROW,
	MAASOBJ_WRITE_ROWS("wait until the policy is Active"),
	MAASOBJ_OPT_LAST
};

static void
ap_row(struct output_table *tb, const cJSON *o, time_t now)
{
	struct strbuf	 sb = STRBUF_INIT;
	const cJSON	*it;
	const char	*s;
	char		*age;

	s = json_str(o, "status.phase");
	output_table_add(tb, s && *s ? s : "<none>");
	maasobj_cell_principals(tb, json_path(o, "spec.subjects"));
	maasobj_cell_models(tb, o);
	age = output_age(json_str(o, "metadata.creationTimestamp"), now);
	output_table_add(tb, age);
	free(age);
	cJSON_ArrayForEach(it, json_path(o, "status.authPolicies"))
		sb_addf(&sb, "%s%s", sb.len ? "," : "", json_str(it, "name") ?
		    json_str(it, "name") : "");
	output_table_add(tb, sb.len ? sb.buf : "<none>");
	s = json_str(o, "spec.meteringMetadata.organizationId");
	output_table_add(tb, s && *s ? s : "<none>");
	sb_free(&sb);
}

static const char *const ap_hdr[] = { "NAME", "PHASE", "SUBJECTS", "MODELS",
    "AGE", "AUTHPOLICIES", "ORGANIZATION" };
static const char *const ap_fields[] = { "status.phase",
    "status.authPolicies", "spec", NULL };
static const struct maasobj_table ap_table = { ap_hdr, 7,
    (1u << 5) | (1u << 6), ap_row, ap_fields };

MAASOBJ_READ_COMMANDS(ap, maasobj_authpolicy, ap_table,
    maasobj_complete_authpolicies, "MaaSAuthPolicies",
    "the MaaS namespace", "policy", "policies");

/* Index of group g in a groups array of {name}, or -1. */
static int
group_index(const cJSON *groups, const char *g)
{
	const cJSON	*it;
	int		 i = 0;

	cJSON_ArrayForEach(it, groups) {
		if (json_str(it, "name") && strcmp(json_str(it, "name"), g) == 0)
			return i;
		i++;
	}
	return -1;
}

static int
user_index(const cJSON *users, const char *u)
{
	const cJSON	*it;
	int		 i = 0;

	cJSON_ArrayForEach(it, users) {
		if (cJSON_IsString(it) && strcmp(it->valuestring, u) == 0)
			return i;
		i++;
	}
	return -1;
}

/* An array member of o named key, created (or emptied) as asked. */
static cJSON *
array_of(cJSON *o, const char *key, int reset)
{
	cJSON	*a = cJSON_GetObjectItemCaseSensitive(o, key);

	if (reset || !cJSON_IsArray(a)) {
		cJSON_DeleteItemFromObjectCaseSensitive(o, key);
		a = cJSON_AddArrayToObject(o, key);
	}
	return a;
}

static cJSON *
object_of(cJSON *o, const char *key)
{
	cJSON	*a = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsObject(a)) {
		cJSON_DeleteItemFromObjectCaseSensitive(o, key);
		a = cJSON_AddObjectToObject(o, key);
	}
	return a;
}

/*
 * Add the --group/--user/--model values to spec (the lists emptied first
 * when reset); *added counts the new ones.  Models are parsed here.
 */
static int
add_all(cJSON *spec, int reset, int *added, struct err *e)
{
	cJSON	*subj = object_of(spec, "subjects"), *groups, *users, *refs, *o;
	char	*ns, *name;
	size_t	 i;

	*added = 0;
	groups = array_of(subj, "groups", reset && A.groups.n > 0);
	users = array_of(subj, "users", reset && A.users.n > 0);
	refs = array_of(spec, "modelRefs", reset && A.models.n > 0);
	for (i = 0; i < A.groups.n; i++) {
		if (!reset && group_index(groups, A.groups.v[i]) >= 0)
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", A.groups.v[i]);
		cJSON_AddItemToArray(groups, o);
		(*added)++;
	}
	for (i = 0; i < A.users.n; i++) {
		if (!reset && user_index(users, A.users.v[i]) >= 0)
			continue;
		cJSON_AddItemToArray(users, cJSON_CreateString(A.users.v[i]));
		(*added)++;
	}
	for (i = 0; i < A.models.n; i++) {
		if (maasval_parse_ref(A.models.v[i], "--model", &ns, &name,
		    e) != 0)
			return -1;
		if (reset || maasobj_ref_index(refs, ns, name) < 0) {
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "name", name);
			cJSON_AddStringToObject(o, "namespace", ns);
			cJSON_AddItemToArray(refs, o);
			(*added)++;
		}
		free(ns);
		free(name);
	}
	return 0;
}

/* Validate, look the --model values up, write. */
static int
check_and_write(struct ctx *ctx, cJSON *obj, int create, const char *what,
    struct err *e)
{
	if (maasval_authpolicy(obj, e) != 0 ||
	    maasobj_check_models(ctx, what, &A.models, e) != 0)
		return -1;
	return maasobj_write(ctx, &maasobj_authpolicy, obj, create, e);
}

/* A new policy object from the flags (the namespace resolved). */
static cJSON *
new_policy(struct ctx *ctx, const char *name, struct err *e)
{
	struct kube_resource	 res;
	const char		*ns;
	cJSON			*obj, *spec;
	int			 n;

	memset(&res, 0, sizeof res);
	if (MO.dry_run == MAASOBJ_DRY_CLIENT && ctx->g.namespace == NULL)
		ns = MAASOBJ_TENANT_NS;
	else if (maasobj_client(ctx, &maasobj_authpolicy, &res, &ns, e) ==
	    NULL)
		return NULL;
	obj = maasobj_new(&maasobj_authpolicy, name, ns);
	kube_resource_free(&res);
	spec = cJSON_AddObjectToObject(obj, "spec");
	cJSON_AddArrayToObject(spec, "modelRefs");
	/* subjects as the reference samples write them: both lists; every
	 * value given, so that duplicates reach validation. */
	if (add_all(spec, 1, &n, e) != 0 || maasobj_meta_apply(obj, spec,
	    "meteringMetadata", &A.meta, e) != 0) {
		cJSON_Delete(obj);
		return NULL;
	}
	return obj;
}

static int
ap_create(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	cJSON	*obj;
	char	*what = xasprintf("authpolicy create %s", argv[0]);
	int	 rc = -1;

	(void)argc;
	if (A.models.n == 0)
		err_set(e, EXIT_USAGE, "%s: at least one --model NS/NAME is "
		    "required", what);
	else if (A.groups.n == 0 && A.users.n == 0)
		err_set(e, EXIT_USAGE, "%s: give a subject: at least one "
		    "--group or --user", what);
	else if ((obj = new_policy(ctx, argv[0], e)) != NULL) {
		rc = check_and_write(ctx, obj, 1, what, e);
		cJSON_Delete(obj);
	}
	free(what);
	return rc;
}

static int
ap_update(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	cJSON	*obj = NULL, *spec;
	char	*what = xasprintf("authpolicy update %s", argv[0]);
	int	 rc = -1, n;

	(void)argc;
	if (A.groups.n == 0 && A.users.n == 0 && A.models.n == 0 &&
	    !maasobj_meta_given(&A.meta)) {
		err_set(e, EXIT_USAGE, "%s: nothing to change (give --group, "
		    "--user, --model, --org, ...)", what);
		goto out;
	}
	if (maasobj_fetch(ctx, &maasobj_authpolicy, argv[0], &obj, e) != 0)
		goto out;
	spec = object_of(obj, "spec");
	if (add_all(spec, 1, &n, e) != 0 || maasobj_meta_apply(obj, spec,
	    "meteringMetadata", &A.meta, e) != 0)
		goto out;
	rc = check_and_write(ctx, obj, 0, what, e);
out:
	cJSON_Delete(obj);
	free(what);
	return rc;
}

static int
ap_grant(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct err	 e2 = ERR_INIT;
	cJSON		*obj = NULL;
	char		*what = xasprintf("authpolicy grant %s", argv[0]);
	int		 rc = -1, n;

	(void)argc;
	if (A.groups.n == 0 && A.users.n == 0 && A.models.n == 0) {
		err_set(e, EXIT_USAGE, "%s: nothing to grant (give --group, "
		    "--user or --model)", what);
		goto out;
	}
	if (maasobj_fetch(ctx, &maasobj_authpolicy, argv[0], &obj, &e2) != 0) {
		if (e2.http_status != 404) {
			err_move(e, &e2);
			goto out;
		}
		/* A policy that does not exist yet is created. */
		err_clear(&e2);
		if (A.models.n == 0 || (A.groups.n == 0 && A.users.n == 0)) {
			err_set(e, EXIT_NOTFOUND, "%s: no MaaSAuthPolicy \"%s\" "
			    "to add to, and creating it needs --model and "
			    "--group or --user", what, argv[0]);
			goto out;
		}
		if ((obj = new_policy(ctx, argv[0], e)) != NULL)
			rc = check_and_write(ctx, obj, 1, what, e);
		goto out;
	}
	if (add_all(object_of(obj, "spec"), 0, &n, e) != 0)
		goto out;
	if (n == 0 && MO.dry_run == MAASOBJ_DRY_NONE && !MO.wait.enabled) {
		/* Everything asked for is granted already. */
		if (maasval_authpolicy(obj, e) != 0)
			goto out;
		printf("maasauthpolicy.maas.opendatahub.io/%s unchanged\n",
		    argv[0]);
		rc = 0;
		goto out;
	}
	rc = check_and_write(ctx, obj, 0, what, e);
out:
	cJSON_Delete(obj);
	free(what);
	return rc;
}

static int
ap_revoke(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	cJSON	*obj = NULL, *spec, *subj, *arr;
	char	*what = xasprintf("authpolicy revoke %s", argv[0]);
	char	*ns, *name;
	size_t	 i;
	int	 rc = -1, at;

	(void)argc;
	if (A.groups.n == 0 && A.users.n == 0 && A.models.n == 0) {
		err_set(e, EXIT_USAGE, "%s: nothing to revoke (give --group, "
		    "--user or --model)", what);
		goto out;
	}
	if (maasobj_fetch(ctx, &maasobj_authpolicy, argv[0], &obj, e) != 0)
		goto out;
	spec = object_of(obj, "spec");
	subj = object_of(spec, "subjects");
	arr = array_of(subj, "groups", 0);
	for (i = 0; i < A.groups.n; i++) {
		if ((at = group_index(arr, A.groups.v[i])) < 0) {
			err_set(e, EXIT_NOTFOUND, "%s: group \"%s\" is not a "
			    "subject of the policy", what, A.groups.v[i]);
			goto out;
		}
		cJSON_DeleteItemFromArray(arr, at);
	}
	arr = array_of(subj, "users", 0);
	for (i = 0; i < A.users.n; i++) {
		if ((at = user_index(arr, A.users.v[i])) < 0) {
			err_set(e, EXIT_NOTFOUND, "%s: user \"%s\" is not a "
			    "subject of the policy", what, A.users.v[i]);
			goto out;
		}
		cJSON_DeleteItemFromArray(arr, at);
	}
	arr = array_of(spec, "modelRefs", 0);
	for (i = 0; i < A.models.n; i++) {
		if (maasval_parse_ref(A.models.v[i], "--model", &ns, &name,
		    e) != 0)
			goto out;
		at = maasobj_ref_index(arr, ns, name);
		if (at < 0)
			err_set(e, EXIT_NOTFOUND, "%s: model %s/%s is not "
			    "covered by the policy", what, ns, name);
		free(ns);
		free(name);
		if (at < 0)
			goto out;
		cJSON_DeleteItemFromArray(arr, at);
	}
	if (maasval_authpolicy(obj, e) != 0) {
		err_hint(e, "delete the policy with 'maasctl authpolicy "
		    "delete %s' instead", argv[0]);
		goto out;
	}
	rc = maasobj_write(ctx, &maasobj_authpolicy, obj, 0, e);
out:
	cJSON_Delete(obj);
	free(what);
	return rc;
}

static const struct command ap_create_cmd = {
	.name = "create",
	.summary = "Create a MaaSAuthPolicy granting groups and users models",
	.usage = "NAME (--group G | --user U)... --model NS/NAME... [--org ID] "
	    "[--cost-center C] [--meta-label k=v]... [--display-name TEXT] "
	    "[--description TEXT] [--no-model-check] [--dry-run[=MODE]] "
	    "[--wait[=TIMEOUT]] [-o FORMAT]",
	.opts = create_opts,
	.run = ap_create,
	.flags = CMD_NEEDS_KUBE,
	.min_args = 1,
	.max_args = 1,
};

static const struct command ap_update_cmd = {
	.name = "update",
	.summary = "Replace subjects, models or metadata of a policy",
	.usage = "NAME [--group G]... [--user U]... [--model NS/NAME]... "
	    "[--org ID] [--cost-center C] [--meta-label k=v]... "
	    "[--display-name TEXT] [--description TEXT] [--no-model-check] "
	    "[--resource-version RV] [--dry-run[=MODE]] [--wait[=TIMEOUT]] "
	    "[-o FORMAT]",
	.opts = update_opts,
	.run = ap_update,
	.flags = CMD_NEEDS_KUBE,
	.complete = ap_complete_first,
	.min_args = 1,
	.max_args = 1,
};

static const struct command ap_grant_cmd = {
	.name = "grant",
	.summary = "Add groups, users or models to a policy (created if "
	    "missing)",
	.usage = "NAME [--group G]... [--user U]... [--model NS/NAME]... "
	    "[--no-model-check] [--resource-version RV] [--dry-run[=MODE]] "
	    "[--wait[=TIMEOUT]]",
	.opts = grant_opts,
	.run = ap_grant,
	.flags = CMD_NEEDS_KUBE,
	.complete = ap_complete_first,
	.min_args = 1,
	.max_args = 1,
};

static const struct command ap_revoke_cmd = {
	.name = "revoke",
	.summary = "Remove groups, users or models from a policy",
	.usage = "NAME [--group G]... [--user U]... [--model NS/NAME]... "
	    "[--resource-version RV] [--dry-run[=MODE]] [--wait[=TIMEOUT]]",
	.opts = revoke_opts,
	.run = ap_revoke,
	.flags = CMD_NEEDS_KUBE,
	.complete = ap_complete_first,
	.min_args = 1,
	.max_args = 1,
};

static const struct command *const ap_sub[] = { &ap_list_cmd, &ap_get_cmd,
    &ap_create_cmd, &ap_update_cmd, &ap_delete_cmd, &ap_grant_cmd,
    &ap_revoke_cmd, NULL };

const struct command cmd_authpolicy = {
	.name = "authpolicy",
	.aliases = (const char *const[]){ "ap", "authpolicies", NULL },
	.summary = "Manage MaaSAuthPolicies (admin: who may call which models)",
	.usage = "list|get|create|update|delete|grant|revoke ...",
	.sub = ap_sub,
};
