/*
 * maasobj.h: what the typed admin commands (subscription, authpolicy,
 * modelref) share: the kinds they manage, namespace defaults, list/get/
 * delete with maasctl's tables and every -o printer, validated writes with
 * --dry-run[=client|server] and --wait[=TIMEOUT], the existence check of
 * referenced MaaSModelRefs, and the completion providers of their names.
 */
#ifndef MAAS_MAASOBJ_H
#define MAAS_MAASOBJ_H

#include <time.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "kube.h"
#include "output.h"
#include "wait.h"

/* The MaaS namespace subscriptions and auth policies default to. */
#define MAASOBJ_TENANT_NS	"models-as-a-service"

/* One managed kind. */
struct maasobj_kind {
	const char	*cmd;		/* command group: "subscription" */
	const char	*kind;		/* "MaaSSubscription" */
	const char	*plural;	/* "maassubscriptions" */
	const char	*singular;	/* "maassubscription" */
	int		 tenant;	/* defaults to MAASOBJ_TENANT_NS, not the
					 * context's namespace */
	int		(*validate)(const cJSON *, struct err *);
};

extern const struct maasobj_kind maasobj_subscription;
extern const struct maasobj_kind maasobj_authpolicy;
extern const struct maasobj_kind maasobj_modelref;

/* The metadata flags of subscription and authpolicy. */
struct maasobj_meta {
	const char	*org;		/* --org */
	const char	*cost_center;	/* --cost-center */
	struct strlist	 labels;	/* --meta-label k=v */
	const char	*display_name;	/* --display-name */
	const char	*description;	/* --description */
};

/* --dry-run values. */
enum maasobj_dry { MAASOBJ_DRY_NONE, MAASOBJ_DRY_CLIENT, MAASOBJ_DRY_SERVER };

/* Flags every admin command shares (one command runs per process). */
struct maasobj_flags {
	int		 dry_run;	/* enum maasobj_dry */
	struct wait_opts wait;		/* --wait[=TIMEOUT] / --no-wait */
	const char	*selector;	/* list -l */
	int		 no_headers;	/* --no-headers */
	int		 ignore_not_found; /* delete --ignore-not-found */
	const char	*resource_version; /* update precondition */
	int		 no_model_check; /* skip the MaaSModelRef lookups */
};
extern struct maasobj_flags MO;

/* The OPT_FUNC behind --dry-run[=none|client|server]. */
int	 maasobj_dry_run_fn(const struct opt *, const char *, struct err *);

#define MAASOBJ_OPT_LAST \
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
/* --no-headers for the table printers. */
#define MAASOBJ_NO_HEADERS_ROW						\
	{ "no-headers", 0, OPT_BOOL, &MO.no_headers, NULL,		\
	  "omit the table header", 0, NULL, NULL, 0, 0 }
/* The options of every kind's `get`. */
extern const struct opt maasobj_get_opts[];
/* --dry-run, --wait, --no-wait rows for a writing command. */
#define MAASOBJ_WRITE_ROWS(waithelp)					\
	{ "dry-run", 0, OPT_FUNC, &MO.dry_run, "MODE",			\
	  "client (the default): print what would be sent, send nothing;"\
	  " server: let the server validate it, store nothing",		\
	  OPT_OPTARG, maasobj_dry_run_fn, "client|server|none", 0, 0 },	\
	WAIT_OPT_ROWS(&MO.wait, waithelp)
/* --resource-version for update-like commands. */
#define MAASOBJ_RV_ROW							\
	{ "resource-version", 0, OPT_STR, &MO.resource_version, "RV",	\
	  "only change the object while it is at this resourceVersion", \
	  0, NULL, NULL, 0, 0 }
/* --org, --cost-center, --meta-label (into spec.KEY, a string literal
 * such as "tokenMetadata"), --display-name and --description rows. */
#define MAASOBJ_META_ROWS(m, KEY)					\
	{ "org", 0, OPT_STR, &(m).org, "ID",				\
	  KEY ".organizationId", 0, NULL, NULL, 0, 0 },			\
	{ "cost-center", 0, OPT_STR, &(m).cost_center, "C",		\
	  KEY ".costCenter", 0, NULL, NULL, 0, 0 },			\
	{ "meta-label", 0, OPT_LIST, &(m).labels, "k=v",		\
	  KEY ".labels entry (repeatable)", 0, NULL, NULL, 0, 0 },	\
	{ "display-name", 0, OPT_STR, &(m).display_name, "TEXT",	\
	  "openshift.io/display-name annotation", 0, NULL, NULL, 0, 0 },\
	{ "description", 0, OPT_STR, &(m).description, "TEXT",		\
	  "openshift.io/description annotation", 0, NULL, NULL, 0, 0 }
/* --no-model-check. */
#define MAASOBJ_NOCHECK_ROW						\
	{ "no-model-check", 0, OPT_BOOL, &MO.no_model_check, NULL,	\
	  "do not check that each --model names an existing MaaSModelRef",\
	  0, NULL, NULL, 0, 0 }

/* A kind's own table: headers, which are -o wide only, and a row filler. */
struct maasobj_table {
	const char *const *hdr;		/* column headers, NAME first */
	size_t		 n;		/* number of headers */
	unsigned	 wide;		/* bit i: column i only with -o wide */
	void		(*row)(struct output_table *, const cJSON *obj,
			    time_t now);	/* all columns but NAME */
	const char *const *fields;	/* what row reads besides
					   metadata.creationTimestamp
					   (json_keep_members() paths,
					   NULL-terminated); a list parses
					   only these and NAME's; NULL: all */
};

/* A table cell of the groups and users of a principals object (spec.owner,
 * spec.subjects): "group:g,user:u", or "<none>". */
void	 maasobj_cell_principals(struct output_table *, const cJSON *);
/* A table cell of an object's spec.modelRefs: "ns/name,...", or "<none>". */
void	 maasobj_cell_models(struct output_table *, const cJSON *obj);

/* The client, the resource of the kind and the namespace to use. */
struct kube *maasobj_client(struct ctx *, const struct maasobj_kind *,
	    struct kube_resource *, const char **ns, struct err *);
/* `<cmd> list`: -A, -l, --no-headers, every -o. */
int	 maasobj_list(struct ctx *, const struct maasobj_kind *,
	    const struct maasobj_table *, struct err *);
/* `<cmd> get NAME...`. */
int	 maasobj_get(struct ctx *, const struct maasobj_kind *,
	    const struct maasobj_table *, int argc, char **argv, struct err *);
/* `<cmd> delete NAME...` (with --dry-run, --ignore-not-found, --wait). */
int	 maasobj_delete(struct ctx *, const struct maasobj_kind *, int argc,
	    char **argv, struct err *);
/* GET one object of the kind for a read-modify-write (what: "subscription
 * update"). */
int	 maasobj_fetch(struct ctx *, const struct maasobj_kind *,
	    const char *name, cJSON **out, struct err *);
/*
 * Validate obj and create it (create 1) or replace it (create 0, with its
 * metadata.resourceVersion or --resource-version as the precondition),
 * honouring --dry-run and --wait; prints kubectl's "<kind>.<group>/<name>
 * created" line or the object for -o.  obj is borrowed.
 */
int	 maasobj_write(struct ctx *, const struct maasobj_kind *, cJSON *obj,
	    int create, struct err *);
/* A new object of the kind named name in ns (apiVersion, kind, metadata). */
cJSON	*maasobj_new(const struct maasobj_kind *, const char *name,
	    const char *ns);
/* Fail with exit 4 unless the MaaSModelRef ns/name exists (no-op with
 * --no-model-check or a client dry run).  what: "subscription create". */
int	 maasobj_check_model(struct ctx *, const char *what, const char *ns,
	    const char *name, struct err *);
/* Whether any metadata flag was given. */
int	 maasobj_meta_given(const struct maasobj_meta *);
/*
 * Apply the metadata flags that were given to obj: organizationId,
 * costCenter and labels in spec.key (made an object if it is not), the
 * display-name and description annotations.  -1 with e on a bad label.
 */
int	 maasobj_meta_apply(cJSON *obj, cJSON *spec, const char *key,
	    const struct maasobj_meta *, struct err *);
/*
 * Fail with exit 4 unless the MaaSModelRef of every "NS/NAME" in models
 * exists (anything from a '=' on, such as a subscription's limits, is not
 * part of the name); what: "subscription create".
 */
int	 maasobj_check_models(struct ctx *, const char *what,
	    const struct strlist *models, struct err *);
/* Set or (value NULL) remove an annotation. */
void	 maasobj_annotate(cJSON *obj, const char *key, const char *value);
/* "k=v" strings into the labels object at parent.key (replaced); -1 with
 * e on a malformed one (flag names the option for the message). */
int	 maasobj_labels(cJSON *parent, const char *key,
	    const struct strlist *, const char *flag, struct err *);
/* Find {name, namespace} in a modelRefs array; its index or -1. */
int	 maasobj_ref_index(const cJSON *refs, const char *ns, const char *name);

/* Completion providers ("@subscription", "@authpolicy", "@modelref",
 * "@model-ref"): names in the kind's default namespace, or NS/NAME of every
 * MaaSModelRef.  Quiet on any error. */
int	 maasobj_complete_subscriptions(struct ctx *, struct strlist *);
int	 maasobj_complete_authpolicies(struct ctx *, struct strlist *);
int	 maasobj_complete_modelrefs(struct ctx *, struct strlist *);
int	 maasobj_complete_models(struct ctx *, struct strlist *);

/*
 * The read and delete side of a kind's command group, generated from one
 * descriptor (in the manner of RB_GENERATE): defines the static commands
 * PFX_list_cmd, PFX_get_cmd and PFX_delete_cmd with their option tables and
 * run functions, and PFX_complete_first, the positional completion of a
 * command whose first argument names an object of the kind.
 *	PFX	prefix of the generated names (sub, ap, mr)
 *	KIND	the struct maasobj_kind (maasobj_subscription)
 *	TABLE	its struct maasobj_table
 *	NAMES	its completion provider (maasobj_complete_subscriptions)
 *	KINDS	the kind's plural in summaries ("MaaSSubscriptions")
 *	WHERE	list's default namespace in its summary ("the MaaS namespace")
 *	NOUN, NOUNS	the object in option help ("subscription", "subscriptions")
 */
#define MAASOBJ_READ_COMMANDS(PFX, KIND, TABLE, NAMES, KINDS, WHERE, NOUN,	\
    NOUNS)									\
static int									\
PFX##_list(struct ctx *ctx, int argc, char **argv, struct err *e)		\
{										\
	(void)argc;								\
	(void)argv;								\
	return maasobj_list(ctx, &KIND, &TABLE, e);				\
}										\
static int									\
PFX##_get(struct ctx *ctx, int argc, char **argv, struct err *e)		\
{										\
	return maasobj_get(ctx, &KIND, &TABLE, argc, argv, e);			\
}										\
static int									\
PFX##_delete(struct ctx *ctx, int argc, char **argv, struct err *e)		\
{										\
	return maasobj_delete(ctx, &KIND, argc, argv, e);			\
}										\
static int									\
PFX##_complete(struct ctx *ctx, int pos, const char *word,			\
    struct strlist *out)							\
{										\
	(void)pos;								\
	(void)word;								\
	return NAMES(ctx, out);							\
}										\
static int __attribute__((unused))						\
PFX##_complete_first(struct ctx *ctx, int pos, const char *word,		\
    struct strlist *out)							\
{										\
	return pos == 0 ? PFX##_complete(ctx, pos, word, out) : 0;		\
}										\
static const struct opt PFX##_list_opts[] = {					\
	{ "selector", 'l', OPT_STR, &MO.selector, "SELECTOR",			\
	  "only " NOUNS " whose labels match", 0, NULL, NULL, 0, 0 },		\
	MAASOBJ_NO_HEADERS_ROW,							\
	MAASOBJ_OPT_LAST							\
};										\
static const struct opt PFX##_delete_opts[] = {				\
	{ "ignore-not-found", 0, OPT_BOOL, &MO.ignore_not_found, NULL,		\
	  "treat a missing " NOUN " as deleted", 0, NULL, NULL, 0, 0 },		\
	MAASOBJ_WRITE_ROWS("wait until the " NOUN " is gone"),			\
	MAASOBJ_OPT_LAST							\
};										\
static const struct command PFX##_list_cmd = {					\
	.name = "list",								\
	.aliases = (const char *const[]){ "ls", NULL },				\
	.summary = "List " KINDS " (" WHERE ", -n NS, or -A)",			\
	.usage = "[-A] [-l SELECTOR] [--no-headers] [-o FORMAT]",		\
	.opts = PFX##_list_opts,						\
	.run = PFX##_list,							\
	.flags = CMD_NEEDS_KUBE,						\
	.max_args = 0,								\
};										\
static const struct command PFX##_get_cmd = {					\
	.name = "get",								\
	.summary = "Show " KINDS " by name",					\
	.usage = "NAME... [--no-headers] [-o FORMAT]",				\
	.opts = maasobj_get_opts,						\
	.run = PFX##_get,							\
	.flags = CMD_NEEDS_KUBE,						\
	.complete = PFX##_complete,						\
	.min_args = 1,								\
	.max_args = -1,								\
};										\
static const struct command PFX##_delete_cmd = {				\
	.name = "delete",							\
	.summary = "Delete " KINDS,						\
	.usage = "NAME... [--ignore-not-found] [--dry-run[=MODE]] "		\
	    "[--wait[=TIMEOUT]]",						\
	.opts = PFX##_delete_opts,						\
	.run = PFX##_delete,							\
	.flags = CMD_NEEDS_KUBE,						\
	.complete = PFX##_complete,						\
	.min_args = 1,								\
	.max_args = -1,								\
}

#endif
