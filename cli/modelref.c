/*
 * modelref.c: `maasctl modelref list|get|create|update|delete` (alias
 * `mr`): MaaSModelRef objects, which register an LLMInferenceService or
 * an ExternalModel with MaaS, in the backend's namespace (-n, else the
 * context's).  Display name, description, use case, context window and
 * capabilities are the annotations maas-api shows in /v1/models; the
 * endpoint override replaces the discovered URL.  Every write is checked
 * by common/maasval.c first and supports --dry-run and --wait (Ready).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "kubectx.h"
#include "maasobj.h"
#include "maasval.h"

static struct {
	const char	*llmisvc;	/* --llmisvc */
	const char	*external;	/* --external */
	const char	*display_name;	/* --display-name */
	const char	*description;	/* --description */
	const char	*use_case;	/* --use-case */
	const char	*context_window; /* --context-window */
	struct strlist	 caps;		/* --capability */
	const char	*endpoint;	/* --endpoint-override */
	const char	*tenant;	/* --tenant */
	int		 no_backend_check; /* --no-backend-check */
} R;

#define MR_SPEC_ROWS							\
	{ "llmisvc", 0, OPT_STR, &R.llmisvc, "NAME",			\
	  "backend: the LLMInferenceService NAME (same namespace)", 0,	\
	  NULL, NULL, 0, 0 },						\
	{ "external", 0, OPT_STR, &R.external, "NAME",			\
	  "backend: the ExternalModel NAME (same namespace)", 0, NULL,	\
	  NULL, 0, 0 },							\
	{ "display-name", 0, OPT_STR, &R.display_name, "TEXT",		\
	  "openshift.io/display-name annotation", 0, NULL, NULL, 0, 0 },\
	{ "description", 0, OPT_STR, &R.description, "TEXT",		\
	  "openshift.io/description annotation", 0, NULL, NULL, 0, 0 },	\
	{ "use-case", 0, OPT_STR, &R.use_case, "TEXT",			\
	  "opendatahub.io/genai-use-case annotation", 0, NULL, NULL, 0, 0 },\
	{ "context-window", 0, OPT_STR, &R.context_window, "TOKENS",	\
	  "opendatahub.io/context-window annotation (a positive number)",\
	  0, NULL, NULL, 0, 0 },					\
	{ "capability", 0, OPT_LIST, &R.caps, "CAP",			\
	  "opendatahub.io/model-capabilities entry (repeatable)", 0,	\
	  NULL, NULL, 0, 0 },						\
	{ "endpoint-override", 0, OPT_STR, &R.endpoint, "URL",		\
	  "URL to publish instead of the discovered one (\"\" removes)",\
	  0, NULL, NULL, 0, 0 },					\
	{ "tenant", 0, OPT_STR, &R.tenant, "NAME",			\
	  "spec.tenantRef: route through this AITenant's gateway", 0,	\
	  NULL, NULL, 0, 0 },						\
	{ "no-backend-check", 0, OPT_BOOL, &R.no_backend_check, NULL,	\
	  "do not check that the backend object exists", 0, NULL, NULL,	\
	  0, 0 }

static const struct opt create_opts[] = {
	MR_SPEC_ROWS,
	MAASOBJ_WRITE_ROWS("wait until the model ref is Ready"),
	MAASOBJ_OPT_LAST
};

static const struct opt update_opts[] = {
	MR_SPEC_ROWS,
	MAASOBJ_RV_ROW,
	MAASOBJ_WRITE_ROWS("wait until the model ref is Ready"),
	MAASOBJ_OPT_LAST
};

static void
mr_row(struct output_table *tb, const cJSON *o, time_t now)
{
	const char	*s;
	char		*age;
	const cJSON	*a;

	s = json_str(o, "status.phase");
	output_table_add(tb, s && *s ? s : "<none>");
	output_table_addf(tb, "%s/%s", json_str(o, "spec.modelRef.kind") ?
	    json_str(o, "spec.modelRef.kind") : "?",
	    json_str(o, "spec.modelRef.name") ?
	    json_str(o, "spec.modelRef.name") : "?");
	s = json_str(o, "status.endpoint");
	output_table_add(tb, s && *s ? s : "<none>");
	age = output_age(json_str(o, "metadata.creationTimestamp"), now);
	output_table_add(tb, age);
	free(age);
	a = cJSON_GetObjectItemCaseSensitive(json_path(o,
	    "metadata.annotations"), "openshift.io/display-name");
	output_table_add(tb, cJSON_IsString(a) ? a->valuestring : "<none>");
	s = json_str(o, "status.httpRouteName");
	output_table_add(tb, s && *s ? s : "<none>");
}

static const char *const mr_hdr[] = { "NAME", "PHASE", "BACKEND",
    "ENDPOINT", "AGE", "DISPLAY NAME", "HTTPROUTE" };
static const char *const mr_fields[] = { "status.phase",
    "status.endpoint", "status.httpRouteName", "spec.modelRef",
    "metadata.annotations", NULL };
static const struct maasobj_table mr_table = { mr_hdr, 7,
    (1u << 5) | (1u << 6), mr_row, mr_fields };

MAASOBJ_READ_COMMANDS(mr, maasobj_modelref, mr_table,
    maasobj_complete_modelrefs, "MaaSModelRefs",
    "the context's namespace", "model ref", "model refs");

/* Does the backend exist?  ExternalModel: the canonical group first. */
static int
check_backend(struct ctx *ctx, const char *what, const char *ns,
    const char *kind, const char *name, struct err *e)
{
	static const struct {
		const char *kind, *group, *plural;
	} types[] = {
		{ "LLMInferenceService", "serving.kserve.io",
		  "llminferenceservices" },
		{ "ExternalModel", "inference.opendatahub.io",
		  "externalmodels" },
		{ "ExternalModel", "maas.opendatahub.io", "externalmodels" },
	};
	struct kube_resource	 res;
	struct err		 e2 = ERR_INIT;
	struct kube		*k;
	cJSON			*o = NULL;
	size_t			 i;
	int			 rc;

	if (R.no_backend_check || MO.dry_run == MAASOBJ_DRY_CLIENT ||
	    !maasval_is_subdomain(name))
		return 0;
	if ((k = ctx_kube(ctx, e)) == NULL)
		return -1;
	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		if (strcmp(types[i].kind, kind) != 0)
			continue;
		kube_resource_set(&res, types[i].group, "v1alpha1",
		    types[i].plural, kind, 1);
		rc = kube_get(k, &res, ns, name, &o, &e2);
		kube_resource_free(&res);
		cJSON_Delete(o);
		o = NULL;
		if (rc == 0)
			return 0;
		if (e2.http_status != 404) {
			err_move(e, &e2);
			return -1;
		}
		err_clear(&e2);
	}
	err_set(e, EXIT_NOTFOUND, "%s: unknown backend: no %s \"%s\" in "
	    "namespace \"%s\"", what, kind, name, ns);
	err_hint(e, "a MaaSModelRef lives in its backend's namespace (-n); "
	    "pass --no-backend-check to register one not yet created");
	return -1;
}

/* Apply the flags to obj; what names the command for messages. */
static int
apply_flags(cJSON *obj, const char *what, struct err *e)
{
	cJSON		*spec, *ref;
	struct strbuf	 sb = STRBUF_INIT;
	size_t		 i;

	if (R.llmisvc != NULL && R.external != NULL)
		return err_set(e, EXIT_USAGE, "%s: --llmisvc and --external "
		    "are mutually exclusive: a model ref has one backend",
		    what);
	if ((spec = cJSON_GetObjectItemCaseSensitive(obj, "spec")) == NULL)
		spec = cJSON_AddObjectToObject(obj, "spec");
	if (R.llmisvc != NULL || R.external != NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(spec, "modelRef");
		ref = cJSON_AddObjectToObject(spec, "modelRef");
		cJSON_AddStringToObject(ref, "kind", R.llmisvc ?
		    "LLMInferenceService" : "ExternalModel");
		cJSON_AddStringToObject(ref, "name", R.llmisvc ? R.llmisvc :
		    R.external);
	}
	if (R.endpoint != NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(spec,
		    "endpointOverride");
		if (*R.endpoint != '\0')
			cJSON_AddStringToObject(spec, "endpointOverride",
			    R.endpoint);
	}
	if (R.tenant != NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(spec, "tenantRef");
		if (*R.tenant != '\0')
			cJSON_AddStringToObject(spec, "tenantRef", R.tenant);
	}
	if (R.display_name != NULL)
		maasobj_annotate(obj, "openshift.io/display-name",
		    R.display_name);
	if (R.description != NULL)
		maasobj_annotate(obj, "openshift.io/description",
		    R.description);
	if (R.use_case != NULL)
		maasobj_annotate(obj, "opendatahub.io/genai-use-case",
		    R.use_case);
	if (R.context_window != NULL)
		maasobj_annotate(obj, "opendatahub.io/context-window",
		    R.context_window);
	if (R.caps.n > 0) {
		cJSON *arr = cJSON_CreateArray();
		char *s;

		for (i = 0; i < R.caps.n; i++)
			cJSON_AddItemToArray(arr,
			    cJSON_CreateString(R.caps.v[i]));
		s = cJSON_PrintUnformatted(arr);
		sb_adds(&sb, s);
		free(s);
		cJSON_Delete(arr);
		maasobj_annotate(obj, "opendatahub.io/model-capabilities",
		    sb.buf);
		sb_free(&sb);
	}
	return 0;
}

/* Validate, look the backend up when it changed, write. */
static int
check_and_write(struct ctx *ctx, cJSON *obj, int create, const char *what,
    struct err *e)
{
	if (maasval_modelref(obj, e) != 0)
		return -1;
	if ((R.llmisvc != NULL || R.external != NULL) &&
	    check_backend(ctx, what, json_str(obj, "metadata.namespace"),
	    json_str(obj, "spec.modelRef.kind"),
	    json_str(obj, "spec.modelRef.name"), e) != 0)
		return -1;
	return maasobj_write(ctx, &maasobj_modelref, obj, create, e);
}

static int
mr_create(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct kube_resource	 res;
	const char		*ns;
	cJSON			*obj = NULL;
	char			*what = xasprintf("modelref create %s",
				    argv[0]);
	int			 rc = -1;

	(void)argc;
	memset(&res, 0, sizeof res);
	if (R.llmisvc == NULL && R.external == NULL) {
		err_set(e, EXIT_USAGE, "%s: give the backend: --llmisvc NAME "
		    "or --external NAME", what);
		goto out;
	}
	if (MO.dry_run == MAASOBJ_DRY_CLIENT && ctx->g.namespace != NULL)
		ns = ctx->g.namespace;
	else if (maasobj_client(ctx, &maasobj_modelref, &res, &ns, e) == NULL)
		goto out;
	obj = maasobj_new(&maasobj_modelref, argv[0], ns);
	if (apply_flags(obj, what, e) == 0)
		rc = check_and_write(ctx, obj, 1, what, e);
out:
	cJSON_Delete(obj);
	kube_resource_free(&res);
	free(what);
	return rc;
}

static int
mr_update(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	cJSON	*obj = NULL;
	char	*what = xasprintf("modelref update %s", argv[0]);
	int	 rc = -1;

	(void)argc;
	if (R.llmisvc == NULL && R.external == NULL && R.display_name == NULL &&
	    R.description == NULL && R.use_case == NULL &&
	    R.context_window == NULL && R.caps.n == 0 && R.endpoint == NULL &&
	    R.tenant == NULL) {
		err_set(e, EXIT_USAGE, "%s: nothing to change (give --llmisvc, "
		    "--external, --display-name, --endpoint-override, ...)",
		    what);
		goto out;
	}
	if (R.llmisvc != NULL && R.external != NULL) {
		apply_flags(NULL, what, e);
		goto out;
	}
	if (maasobj_fetch(ctx, &maasobj_modelref, argv[0], &obj, e) != 0)
		goto out;
	if (apply_flags(obj, what, e) == 0)
		rc = check_and_write(ctx, obj, 0, what, e);
out:
	cJSON_Delete(obj);
	free(what);
	return rc;
}

#define MR_SPEC_USAGE							\
	"[--display-name TEXT] [--description TEXT] [--use-case TEXT] "	\
	"[--context-window TOKENS] [--capability CAP]... "		\
	"[--endpoint-override URL] [--tenant NAME] [--no-backend-check] "

static const struct command mr_create_cmd = {
	.name = "create",
	.summary = "Register an LLMInferenceService or ExternalModel with MaaS",
	.usage = "NAME (--llmisvc NAME | --external NAME) " MR_SPEC_USAGE
	    "[--dry-run[=MODE]] [--wait[=TIMEOUT]] [-o FORMAT]",
	.opts = create_opts,
	.run = mr_create,
	.flags = CMD_NEEDS_KUBE,
	.min_args = 1,
	.max_args = 1,
};

static const struct command mr_update_cmd = {
	.name = "update",
	.summary = "Change the backend, endpoint override or annotations",
	.usage = "NAME [--llmisvc NAME | --external NAME] " MR_SPEC_USAGE
	    "[--resource-version RV] [--dry-run[=MODE]] [--wait[=TIMEOUT]] "
	    "[-o FORMAT]",
	.opts = update_opts,
	.run = mr_update,
	.flags = CMD_NEEDS_KUBE,
	.complete = mr_complete_first,
	.min_args = 1,
	.max_args = 1,
};

static const struct command *const mr_sub[] = { &mr_list_cmd, &mr_get_cmd,
    &mr_create_cmd, &mr_update_cmd, &mr_delete_cmd, NULL };

const struct command cmd_modelref = {
	.name = "modelref",
	.aliases = (const char *const[]){ "mr", "modelrefs", NULL },
	.summary = "Manage MaaSModelRefs (admin: register model backends)",
	.usage = "list|get|create|update|delete ...",
	.sub = mr_sub,
};
