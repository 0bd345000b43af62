/*
 * maasobj.c: the machinery the typed admin commands share (subscription,
 * authpolicy, modelref): namespace defaults, list/get/delete printed as
 * maasctl tables or any -o, client-side validated writes with
 * --dry-run[=client|server] and --wait (cli/wait.c), the existence check
 * of MaaSModelRefs named by --model, and name completion from the server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "kubectx.h"
#include "maasobj.h"
#include "maasval.h"

#define GROUP	"maas.opendatahub.io"
#define VERSION	"v1alpha1"

struct maasobj_flags MO = { MAASOBJ_DRY_NONE, WAIT_OPTS_INIT(0), NULL, 0, 0,
    NULL, 0 };

const struct maasobj_kind maasobj_subscription = { "subscription",
    "MaaSSubscription", "maassubscriptions", "maassubscription", 1,
    maasval_subscription };
const struct maasobj_kind maasobj_authpolicy = { "authpolicy",
    "MaaSAuthPolicy", "maasauthpolicies", "maasauthpolicy", 1,
    maasval_authpolicy };
const struct maasobj_kind maasobj_modelref = { "modelref", "MaaSModelRef",
    "maasmodelrefs", "maasmodelref", 0, maasval_modelref };

const struct opt maasobj_get_opts[] = {
	MAASOBJ_NO_HEADERS_ROW,
	MAASOBJ_OPT_LAST
};

int
maasobj_dry_run_fn(const struct opt *o, const char *v, struct err *e)
{
	(void)o;
	if (v == NULL || strcmp(v, "client") == 0)
		MO.dry_run = MAASOBJ_DRY_CLIENT;
	else if (strcmp(v, "server") == 0)
		MO.dry_run = MAASOBJ_DRY_SERVER;
	else if (strcmp(v, "none") == 0)
		MO.dry_run = MAASOBJ_DRY_NONE;
	else
		return err_set(e, EXIT_USAGE, "invalid value \"%s\" for "
		    "--dry-run: want client, server or none", v);
	return 0;
}

struct kube *
maasobj_client(struct ctx *ctx, const struct maasobj_kind *k,
    struct kube_resource *res, const char **ns, struct err *e)
{
	struct kube	*kube;

	if ((kube = ctx_kube(ctx, e)) == NULL)
		return NULL;
	kube_resource_set(res, GROUP, VERSION, k->plural, k->kind, 1);
	if (ctx->g.namespace != NULL && *ctx->g.namespace != '\0')
		*ns = ctx->g.namespace;
	else
		*ns = k->tenant ? MAASOBJ_TENANT_NS : ctx_namespace(ctx);
	return kube;
}

cJSON *
maasobj_new(const struct maasobj_kind *k, const char *name, const char *ns)
{
	cJSON	*o = cJSON_CreateObject(), *m;

	cJSON_AddStringToObject(o, "apiVersion", GROUP "/" VERSION);
	cJSON_AddStringToObject(o, "kind", k->kind);
	m = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(m, "name", name);
	cJSON_AddStringToObject(m, "namespace", ns);
	return o;
}

void
maasobj_annotate(cJSON *obj, const char *key, const char *value)
{
	cJSON	*m = cJSON_GetObjectItemCaseSensitive(obj, "metadata"), *a;

	if (m == NULL)
		m = cJSON_AddObjectToObject(obj, "metadata");
	a = cJSON_GetObjectItemCaseSensitive(m, "annotations");
	if (value == NULL) {
		if (a != NULL)
			cJSON_DeleteItemFromObjectCaseSensitive(a, key);
		return;
	}
	if (!cJSON_IsObject(a)) {
		cJSON_DeleteItemFromObjectCaseSensitive(m, "annotations");
		a = cJSON_AddObjectToObject(m, "annotations");
	}
	cJSON_DeleteItemFromObjectCaseSensitive(a, key);
	cJSON_AddStringToObject(a, key, value);
}

int
maasobj_labels(cJSON *parent, const char *key, const struct strlist *l,
    const char *flag, struct err *e)
{
	cJSON		*o;
	const char	*eq;
	char		*k;
	size_t		 i;

	o = cJSON_CreateObject();
	for (i = 0; i < l->n; i++) {
		if ((eq = strchr(l->v[i], '=')) == NULL || eq == l->v[i]) {
			cJSON_Delete(o);
			return err_set(e, EXIT_USAGE, "invalid %s \"%s\": want "
			    "key=value", flag, l->v[i]);
		}
		k = xstrndup(l->v[i], (size_t)(eq - l->v[i]));
		cJSON_DeleteItemFromObjectCaseSensitive(o, k);
		cJSON_AddStringToObject(o, k, eq + 1);
		free(k);
	}
	cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
	cJSON_AddItemToObject(parent, key, o);
	return 0;
}

int
maasobj_ref_index(const cJSON *refs, const char *ns, const char *name)
{
	const cJSON	*r;
	const char	*a, *b;
	int		 i = 0;

	cJSON_ArrayForEach(r, refs) {
		a = json_str(r, "namespace");
		b = json_str(r, "name");
		if (a != NULL && b != NULL && strcmp(a, ns) == 0 &&
		    strcmp(b, name) == 0)
			return i;
		i++;
	}
	return -1;
}

int
maasobj_meta_given(const struct maasobj_meta *m)
{
	return m->org != NULL || m->cost_center != NULL || m->labels.n > 0 ||
	    m->display_name != NULL || m->description != NULL;
}

int
maasobj_meta_apply(cJSON *obj, cJSON *spec, const char *key,
    const struct maasobj_meta *m, struct err *e)
{
	cJSON	*md;

	if (m->org != NULL || m->cost_center != NULL || m->labels.n > 0) {
		md = cJSON_GetObjectItemCaseSensitive(spec, key);
		if (!cJSON_IsObject(md)) {
			cJSON_DeleteItemFromObjectCaseSensitive(spec, key);
			md = cJSON_AddObjectToObject(spec, key);
		}
		if (m->org != NULL) {
			cJSON_DeleteItemFromObjectCaseSensitive(md,
			    "organizationId");
			cJSON_AddStringToObject(md, "organizationId", m->org);
		}
		if (m->cost_center != NULL) {
			cJSON_DeleteItemFromObjectCaseSensitive(md,
			    "costCenter");
			cJSON_AddStringToObject(md, "costCenter",
			    m->cost_center);
		}
		if (m->labels.n > 0 && maasobj_labels(md, "labels",
		    &m->labels, "--meta-label", e) != 0)
			return -1;
	}
	if (m->display_name != NULL)
		maasobj_annotate(obj, "openshift.io/display-name",
		    m->display_name);
	if (m->description != NULL)
		maasobj_annotate(obj, "openshift.io/description",
		    m->description);
	return 0;
}

int
maasobj_check_models(struct ctx *ctx, const char *what,
    const struct strlist *models, struct err *e)
{
	char	*ref, *ns, *name;
	size_t	 i;
	int	 rc;

	for (i = 0; i < models->n; i++) {
		ref = xstrndup(models->v[i], strcspn(models->v[i], "="));
		rc = maasval_parse_ref(ref, "--model", &ns, &name, e);
		free(ref);
		if (rc != 0)
			return -1;
		rc = maasobj_check_model(ctx, what, ns, name, e);
		free(ns);
		free(name);
		if (rc != 0)
			return -1;
	}
	return 0;
}

int
maasobj_check_model(struct ctx *ctx, const char *what, const char *ns,
    const char *name, struct err *e)
{
	struct kube_resource	 res;
	struct err		 e2 = ERR_INIT;
	struct kube		*k;
	cJSON			*o = NULL;
	int			 rc;

	if (MO.no_model_check || MO.dry_run == MAASOBJ_DRY_CLIENT)
		return 0;
	/* A reference the server would refuse is reported by validation. */
	if (!maasval_is_subdomain(name) || !maasval_is_label(ns))
		return 0;
	if ((k = ctx_kube(ctx, e)) == NULL)
		return -1;
	kube_resource_set(&res, GROUP, VERSION, "maasmodelrefs",
	    "MaaSModelRef", 1);
	rc = kube_get(k, &res, ns, name, &o, &e2);
	kube_resource_free(&res);
	cJSON_Delete(o);
	if (rc == 0)
		return 0;
	if (e2.code == EXIT_NOTFOUND && e2.http_status == 404) {
		err_clear(&e2);
		err_set(e, EXIT_NOTFOUND, "%s: unknown model %s/%s: no "
		    "MaaSModelRef \"%s\" in namespace \"%s\"", what, ns, name,
		    name, ns);
		err_hint(e, "list the models with 'maasctl modelref list -A', "
		    "or pass --no-model-check to refer to one not yet created");
		return -1;
	}
	err_move(e, &e2);
	return -1;
}

/* A table with the kind's columns, NAMESPACE first with -A. */
static struct output_table *
table_new(const struct maasobj_table *t, int show_ns)
{
	struct output_table	*tb;
	const char		**hdr;
	size_t			 i, off = show_ns ? 1 : 0;

	hdr = xcalloc(t->n + 1, sizeof *hdr);
	if (show_ns)
		hdr[0] = "NAMESPACE";
	for (i = 0; i < t->n; i++)
		hdr[i + off] = t->hdr[i];
	tb = output_table_new(hdr, t->n + off);
	free(hdr);
	for (i = 0; i < t->n; i++)
		if (t->wide & (1u << i))
			output_table_wide(tb, i + off);
	return tb;
}

/* s, or "" for NULL. */
static const char *
nonnull(const char *s)
{
	return s != NULL ? s : "";
}

void
maasobj_cell_principals(struct output_table *tb, const cJSON *principals)
{
	struct strbuf	 sb = STRBUF_INIT;
	const cJSON	*it;

	cJSON_ArrayForEach(it, json_path(principals, "groups")) {
		sb_adds(&sb, sb.len ? ",group:" : "group:");
		sb_adds(&sb, nonnull(json_str(it, "name")));
	}
	cJSON_ArrayForEach(it, json_path(principals, "users"))
		if (cJSON_IsString(it)) {
			sb_adds(&sb, sb.len ? ",user:" : "user:");
			sb_adds(&sb, it->valuestring);
		}
	output_table_add(tb, sb.len ? sb.buf : "<none>");
	sb_free(&sb);
}

void
maasobj_cell_models(struct output_table *tb, const cJSON *obj)
{
	struct strbuf	 sb = STRBUF_INIT;
	const cJSON	*it;

	cJSON_ArrayForEach(it, json_path(obj, "spec.modelRefs")) {
		if (sb.len > 0)
			sb_addc(&sb, ',');
		sb_adds(&sb, nonnull(json_str(it, "namespace")));
		sb_addc(&sb, '/');
		sb_adds(&sb, nonnull(json_str(it, "name")));
	}
	output_table_add(tb, sb.len ? sb.buf : "<none>");
	sb_free(&sb);
}

/* One row per object of items. */
static void
table_rows(struct output_table *tb, const struct maasobj_table *t,
    const cJSON *items, int show_ns, time_t now)
{
	const cJSON	*it;

	cJSON_ArrayForEach(it, items) {
		if (show_ns)
			output_table_add(tb, json_str(it, "metadata.namespace"));
		output_table_add(tb, json_str(it, "metadata.name"));
		t->row(tb, it, now);
		output_table_end_row(tb);
	}
}

static void
print_table(const struct maasobj_table *t, const cJSON *items,
    const struct output *out, int show_ns)
{
	struct output_table	*tb = table_new(t, show_ns);

	table_rows(tb, t, items, show_ns, out->now ? out->now : time(NULL));
	output_table_print(tb, out, stdout);
	output_table_free(tb);
}

/* Most paths a list asks json_keep_members() for, NULL included. */
#define MAX_FIELDS	24

/* Where list_streamed() puts each object. */
struct lsink {
	struct output_table	*tb;	/* table rows, or NULL for -o name */
	const struct maasobj_table *t;
	const struct maasobj_kind *k;
	struct strbuf		 names;	/* -o name lines */
	int			 show_ns;
	time_t			 now;
	size_t			 n;
};

static int
lsink_item(void *arg, const cJSON *it)
{
	struct lsink	*s = arg;

	if (s->tb != NULL) {
		if (s->show_ns)
			output_table_add(s->tb, json_str(it,
			    "metadata.namespace"));
		output_table_add(s->tb, json_str(it, "metadata.name"));
		s->t->row(s->tb, it, s->now);
		output_table_end_row(s->tb);
	} else
		sb_addf(&s->names, "%s." GROUP "/%s\n", s->k->singular,
		    json_str(it, "metadata.name"));
	s->n++;
	return 0;
}

/*
 * Table and -o name listings read the list as a stream, page by page
 * (500 objects a page, as kubectl asks): each object becomes a row or a
 * line as soon as it has arrived and is freed, so memory holds the rows,
 * never a page of objects.
 */
static int
list_streamed(struct kube *kube, const struct kube_resource *res,
    const char *ns, const struct maasobj_kind *k,
    const struct maasobj_table *t, const struct output *out, int show_ns,
    struct err *e)
{
	static const char *const name_fields[] = { "metadata.name", NULL };
	static const char *const row_fields[] = { "metadata.namespace",
	    "metadata.name", "metadata.creationTimestamp", NULL };
	const char		*fields[MAX_FIELDS];
	struct kube_list_opts	 lo;
	struct lsink		 s;
	size_t			 i, nf = 0;
	int			 rc = -1;

	memset(&s, 0, sizeof s);
	s.t = t;
	s.k = k;
	s.show_ns = show_ns;
	s.now = out->now ? out->now : time(NULL);
	sb_init(&s.names);
	if (output_is_table(out)) {
		s.tb = table_new(t, show_ns);
		if (out->format != OUTPUT_WIDE)
			output_table_narrow(s.tb);
	}
	memset(&lo, 0, sizeof lo);
	lo.label_selector = MO.selector;
	lo.limit = 500;
	lo.no_managed_fields = 1;	/* no column shows them */
	/* Rows are made on a second thread while the next items are read;
	 * this thread looks at s again only once the listing is over. */
	lo.parallel = 1;
	/* Each object is parsed with only what its row or name reads. */
	if (s.tb == NULL)
		lo.fields = name_fields;
	else if (t->fields != NULL) {
		for (i = 0; row_fields[i] != NULL; i++)
			fields[nf++] = row_fields[i];
		for (i = 0; t->fields[i] != NULL && nf + 1 < MAX_FIELDS; i++)
			fields[nf++] = t->fields[i];
		if (t->fields[i] == NULL) {
			fields[nf] = NULL;
			lo.fields = fields;
		}
	}
	if (kube_list_each(kube, res, ns, &lo, lsink_item, &s, NULL, e) != 0)
		goto done;
	if (s.n == 0) {
		if (ns != NULL)
			fprintf(stderr, "No resources found in %s namespace.\n", ns);
		else
			fprintf(stderr, "No resources found\n");
	} else if (s.tb != NULL)
		output_table_print(s.tb, out, stdout);
	else
		fwrite(s.names.buf, 1, s.names.len, stdout);
	rc = 0;
done:
	sb_free(&s.names);
	if (s.tb != NULL)
		output_table_free(s.tb);
	return rc;
}

int
maasobj_list(struct ctx *ctx, const struct maasobj_kind *k,
    const struct maasobj_table *t, struct err *e)
{
	struct kube_resource	 res;
	struct kube_list_opts	 lo;
	struct output_ctx	 oc;
	struct output		 out;
	struct kube		*kube;
	const char		*ns;
	cJSON			*list = NULL;
	int			 rc = -1;

	memset(&res, 0, sizeof res);
	if (output_parse(&out, ctx->g.output, e) != 0)
		return -1;
	out.no_headers = MO.no_headers;
	if ((kube = maasobj_client(ctx, k, &res, &ns, e)) == NULL)
		goto done;
	if (ctx->g.all_namespaces)
		ns = NULL;
	if (output_is_table(&out) || out.format == OUTPUT_NAME) {
		rc = list_streamed(kube, &res, ns, k, t, &out,
		    ctx->g.all_namespaces, e);
		goto done;
	}
	memset(&lo, 0, sizeof lo);
	lo.label_selector = MO.selector;
	if (kube_list(kube, &res, ns, &lo, &list, e) != 0)
		goto done;
	memset(&oc, 0, sizeof oc);
	oc.namespace = ns;
	oc.kind = k->kind;
	oc.group = GROUP;
	if (output_print(&out, list, &oc, stdout, stderr, e) != 0)
		goto done;
	rc = 0;
done:
	cJSON_Delete(list);
	kube_resource_free(&res);
	output_free(&out);
	return rc;
}

int
maasobj_get(struct ctx *ctx, const struct maasobj_kind *k,
    const struct maasobj_table *t, int argc, char **argv, struct err *e)
{
	struct kube_resource	 res;
	struct output_ctx	 oc;
	struct output		 out;
	struct err		 one = ERR_INIT;
	struct kube		*kube;
	const char		*ns;
	cJSON			*list, *items, *o;
	int			 i, rc = -1;

	if (output_parse(&out, ctx->g.output, e) != 0)
		return -1;
	out.no_headers = MO.no_headers;
	list = cJSON_CreateObject();
	cJSON_AddStringToObject(list, "apiVersion", "v1");
	cJSON_AddStringToObject(list, "kind", "List");
	items = cJSON_AddArrayToObject(list, "items");
	if ((kube = maasobj_client(ctx, k, &res, &ns, e)) == NULL)
		goto done;
	/* kubectl prints what it found and reports each miss. */
	for (i = 0; i < argc; i++) {
		if (kube_get(kube, &res, ns, argv[i], &o, &one) == 0) {
			cJSON_AddItemToArray(items, o);
			continue;
		}
		err_keep_first(e, &one);
	}
	memset(&oc, 0, sizeof oc);
	oc.namespace = ns;
	oc.kind = k->kind;
	oc.group = GROUP;
	if (cJSON_GetArraySize(items) > 0) {
		if (output_is_table(&out))
			print_table(t, items, &out, 0);
		else if (argc == 1) {
			if (output_print(&out, cJSON_GetArrayItem(items, 0),
			    &oc, stdout, stderr, e) != 0)
				goto done;
		} else if (output_print(&out, list, &oc, stdout, stderr,
		    e) != 0)
			goto done;
	}
	rc = e->code == 0 ? 0 : -1;
done:
	cJSON_Delete(list);
	kube_resource_free(&res);
	output_free(&out);
	return rc;
}

/* What maasobj_fetch() last read, as it was: the base of the update
 * (kube_update()). */
static cJSON	*fetched;

int
maasobj_fetch(struct ctx *ctx, const struct maasobj_kind *k,
    const char *name, cJSON **out, struct err *e)
{
	struct kube_resource	 res;
	struct kube		*kube;
	const char		*ns;
	int			 rc;

	*out = NULL;
	cJSON_Delete(fetched);
	fetched = NULL;
	if ((kube = maasobj_client(ctx, k, &res, &ns, e)) == NULL)
		return -1;
	rc = kube_get(kube, &res, ns, name, out, e);
	if (rc == 0)
		fetched = cJSON_Duplicate(*out, 1);
	kube_resource_free(&res);
	return rc;
}

/* The operation line: "<singular>.<group>/<name> <op>[ (dry run)]". */
static void
print_done(const struct maasobj_kind *k, const char *name, const char *op)
{
	printf("%s." GROUP "/%s %s%s\n", k->singular, name, op,
	    MO.dry_run == MAASOBJ_DRY_CLIENT ? " (dry run)" :
	    MO.dry_run == MAASOBJ_DRY_SERVER ? " (server dry run)" : "");
}

int
maasobj_write(struct ctx *ctx, const struct maasobj_kind *k, cJSON *obj,
    int create, struct err *e)
{
	struct kube_write_opts	 wo = KUBE_WRITE_OPTS_INIT;
	struct kube_resource	 res;
	struct output_ctx	 oc;
	struct output		 out;
	struct kube		*kube = NULL;
	const char		*ns, *name;
	cJSON			*got = NULL;
	int			 rc = -1;

	memset(&res, 0, sizeof res);
	if (output_parse(&out, ctx->g.output, e) != 0)
		return -1;
	if (k->validate(obj, e) != 0)
		goto done;
	name = json_str(obj, "metadata.name");
	if (MO.dry_run == MAASOBJ_DRY_CLIENT && MO.wait.enabled &&
	    MO.wait.given) {
		err_set(e, EXIT_USAGE, "%s %s: --wait cannot be used with "
		    "--dry-run=client", k->cmd, create ? "create" : "update");
		goto done;
	}
	if (MO.dry_run != MAASOBJ_DRY_CLIENT) {
		if ((kube = maasobj_client(ctx, k, &res, &ns, e)) == NULL)
			goto done;
		ns = json_str(obj, "metadata.namespace");
		wo.field_manager = "maasctl";
		wo.dry_run = MO.dry_run == MAASOBJ_DRY_SERVER;
		if (create)
			rc = kube_create(kube, &res, ns, obj, &wo, &got, e);
		else
			rc = kube_update(kube, &res, ns, obj, fetched,
			    MO.resource_version, &wo, &got, e);
		if (rc != 0)
			goto done;
		rc = -1;
	}
	if (out.format == OUTPUT_TABLE || out.format == OUTPUT_WIDE)
		print_done(k, name, create ? "created" : "configured");
	else if (out.format == OUTPUT_NAME)
		printf("%s." GROUP "/%s\n", k->singular, name);
	else {
		memset(&oc, 0, sizeof oc);
		oc.kind = k->kind;
		oc.group = GROUP;
		if (output_print(&out, got ? got : obj, &oc, stdout, stderr,
		    e) != 0)
			goto done;
	}
	fflush(stdout);
	if (MO.wait.enabled && MO.dry_run == MAASOBJ_DRY_NONE) {
		cJSON *last = NULL;

		rc = wait_ready(kube, &res, ns, name, &MO.wait, &last, e);
		if (rc == 0)
			fprintf(stderr, "%s %s/%s is %s\n", k->kind, ns, name,
			    json_str(last, "status.phase") ?
			    json_str(last, "status.phase") : "ready");
		cJSON_Delete(last);
		if (rc != 0)
			goto done;
	}
	rc = 0;
done:
	cJSON_Delete(got);
	kube_resource_free(&res);
	output_free(&out);
	return rc;
}

int
maasobj_delete(struct ctx *ctx, const struct maasobj_kind *k, int argc,
    char **argv, struct err *e)
{
	static const struct wait_cond gone = { NULL, NULL, NULL, 1 };
	struct kube_write_opts	 wo = KUBE_WRITE_OPTS_INIT;
	struct kube_resource	 res;
	struct wait_item	 wi;
	struct err		 one = ERR_INIT;
	struct kube		*kube;
	const char		*ns;
	cJSON			*o;
	int			 i, rc;

	if ((kube = maasobj_client(ctx, k, &res, &ns, e)) == NULL)
		return -1;
	wo.dry_run = MO.dry_run == MAASOBJ_DRY_SERVER;
	for (i = 0; i < argc; i++) {
		o = NULL;
		if (MO.dry_run == MAASOBJ_DRY_CLIENT)
			rc = kube_get(kube, &res, ns, argv[i], &o, &one);
		else
			rc = kube_delete(kube, &res, ns, argv[i], &wo, &o, &one);
		cJSON_Delete(o);
		if (rc == 0) {
			printf("%s." GROUP " \"%s\" deleted%s\n", k->singular,
			    argv[i], MO.dry_run == MAASOBJ_DRY_CLIENT ?
			    " (dry run)" : MO.dry_run == MAASOBJ_DRY_SERVER ?
			    " (server dry run)" : "");
			fflush(stdout);
			if (MO.wait.enabled && MO.dry_run == MAASOBJ_DRY_NONE) {
				memset(&wi, 0, sizeof wi);
				wi.res = &res;
				wi.ns = ns;
				wi.name = argv[i];
				wi.cond = &gone;
				if (wait_for(kube, &wi, MO.wait.timeout, NULL,
				    &one) == 0)
					continue;
			} else
				continue;
		} else if (MO.ignore_not_found && one.http_status == 404) {
			err_clear(&one);
			continue;
		}
		/* Report each failure; the first decides the exit. */
		err_keep_first(e, &one);
	}
	kube_resource_free(&res);
	return e->code == 0 ? 0 : -1;
}

/* Names of a kind in its default namespace. */
static int
complete_kind(struct ctx *ctx, const struct maasobj_kind *k,
    struct strlist *out)
{
	struct kube_resource	 res;
	struct kube_list_opts	 lo;
	struct kube		*kube;
	const cJSON		*it;
	const char		*ns, *name;
	cJSON			*list = NULL;

	if ((kube = maasobj_client(ctx, k, &res, &ns, NULL)) == NULL)
		return 0;
	memset(&lo, 0, sizeof lo);
	if (kube_list(kube, &res, ns, &lo, &list, NULL) == 0)
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(list,
		    "items"))
			if ((name = json_str(it, "metadata.name")) != NULL)
				sl_add(out, name);
	cJSON_Delete(list);
	kube_resource_free(&res);
	return 0;
}

int
maasobj_complete_subscriptions(struct ctx *ctx, struct strlist *out)
{
	return complete_kind(ctx, &maasobj_subscription, out);
}

int
maasobj_complete_authpolicies(struct ctx *ctx, struct strlist *out)
{
	return complete_kind(ctx, &maasobj_authpolicy, out);
}

int
maasobj_complete_modelrefs(struct ctx *ctx, struct strlist *out)
{
	return complete_kind(ctx, &maasobj_modelref, out);
}

int
maasobj_complete_models(struct ctx *ctx, struct strlist *out)
{
	struct kube_resource	 res;
	struct kube_list_opts	 lo;
	struct kube		*kube;
	const cJSON		*it;
	const char		*ns, *name;
	cJSON			*list = NULL;

	if ((kube = ctx_kube(ctx, NULL)) == NULL)
		return 0;
	kube_resource_set(&res, GROUP, VERSION, "maasmodelrefs",
	    "MaaSModelRef", 1);
	memset(&lo, 0, sizeof lo);
	if (kube_list(kube, &res, NULL, &lo, &list, NULL) == 0)
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(list,
		    "items")) {
			ns = json_str(it, "metadata.namespace");
			name = json_str(it, "metadata.name");
			if (ns != NULL && name != NULL)
				sl_addf(out, "%s/%s", ns, name);
		}
	cJSON_Delete(list);
	kube_resource_free(&res);
	return 0;
}
