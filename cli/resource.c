/*
 * resource.c: kubectl's generic verbs over every kind the server serves:
 * `maasctl get`, `maasctl apply -f`, `maasctl delete`.  Types resolve by
 * Kind, plural, singular or short name through discovery (core group
 * first, then the groups in /apis order, or KIND.GROUP); tables are the
 * server's (as=Table) and every message is kubectl's.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "json.h"
#include "kube.h"
#include "kubectx.h"
#include "output.h"
#include "resource.h"
#include "xalloc.h"
#include "yaml.h"

static struct {
	const char	*selector;	/* -l */
	const char	*field_selector;
	int		 no_headers;
	int		 show_labels;
	struct strlist	 files;		/* -f */
	int		 recursive;	/* -R */
	int		 server_side;
	int		 force_conflicts;
	const char	*dry_run;	/* none|client|server */
	const char	*field_manager;
	int		 ignore_not_found;
	int		 watch;		/* -w */
	int		 watch_only;
	int		 watch_events;	/* --output-watch-events */
} R;

#define OPT_LAST { NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }

#define TABLE_ACCEPT "application/json;as=Table;v=v1;g=meta.k8s.io," \
	"application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"

/* Type resolution. */

/* Resolve "what" (kind, plural, singular, short name, or any of them
 * followed by ".group") in the core group, then every group of /apis. */
int
resource_resolve(struct kube *k, const char *what, struct kube_resource *res,
    struct err *e)
{
	struct err	 e2 = ERR_INIT;
	const cJSON	*g;
	cJSON		*apis = NULL;
	const char	*dot, *name;
	char		*base;
	int		 ret;

	if ((dot = strchr(what, '.')) != NULL) {
		base = xstrndup(what, (size_t)(dot - what));
		ret = kube_resolve(k, dot + 1, base, res, &e2);
		free(base);
		if (ret == 0)
			return 0;
		if (e2.code != EXIT_NOTFOUND) {
			err_move(e, &e2);
			return -1;
		}
		err_clear(&e2);
		goto notfound;
	}
	if (kube_resolve(k, "", what, res, &e2) == 0)
		return 0;
	if (e2.code != EXIT_NOTFOUND) {
		err_move(e, &e2);
		return -1;
	}
	err_clear(&e2);
	if (kube_request(k, "GET", "/apis", NULL, NULL, NULL, &apis, e) != 0)
		return -1;
	cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(apis,
	    "groups")) {
		if ((name = json_str(g, "name")) == NULL)
			continue;
		if (kube_resolve(k, name, what, res, &e2) == 0) {
			cJSON_Delete(apis);
			return 0;
		}
		if (e2.code != EXIT_NOTFOUND) {
			err_move(e, &e2);
			cJSON_Delete(apis);
			return -1;
		}
		err_clear(&e2);
	}
	cJSON_Delete(apis);
notfound:
	err_set_raw(e, EXIT_NOTFOUND, "error: the server doesn't have a "
	    "resource type \"%s\"", what);
	return -1;
}

/* The type of a manifest from its apiVersion and kind, in its version. */
static int
resolve_manifest(struct kube *k, const cJSON *obj, const char *source,
    struct kube_resource *res, struct err *e)
{
	const char	*av = json_str(obj, "apiVersion");
	const char	*kind = json_str(obj, "kind");
	const char	*slash;
	char		*group, *version;
	int		 ret;

	if (av == NULL || *av == '\0' || kind == NULL || *kind == '\0') {
		err_set_raw(e, EXIT_USAGE, "error: error validating \"%s\": "
		    "error validating data: %s not set", source,
		    av == NULL || *av == '\0' ? "apiVersion" : "kind");
		return -1;
	}
	if ((slash = strchr(av, '/')) != NULL) {
		group = xstrndup(av, (size_t)(slash - av));
		version = xstrdup(slash + 1);
	} else {
		group = xstrdup("");
		version = xstrdup(av);
	}
	ret = kube_resolve(k, group, kind, res, e);
	if (ret == 0 && strcmp(res->version, version) != 0) {
		free(res->version);
		res->version = version;
		version = NULL;
	}
	if (ret != 0 && e->code == EXIT_NOTFOUND) {
		err_set_raw(e, EXIT_NOTFOUND, "error: resource mapping not "
		    "found for name: \"%s\" namespace: \"%s\" from \"%s\": no "
		    "matches for kind \"%s\" in version \"%s\"",
		    json_str(obj, "metadata.name") ?
		    json_str(obj, "metadata.name") : "",
		    json_str(obj, "metadata.namespace") ?
		    json_str(obj, "metadata.namespace") : "",
		    source, kind, av);
		err_hint(e, "ensure CRDs are installed first");
	}
	free(group);
	free(version);
	return ret;
}

/* "kind.group" as kubectl names a type in messages (lower-case kind). */
char *
resource_type_name(const struct kube_resource *res)
{
	char	*s, *p;

	s = *res->group ? xasprintf("%s.%s", res->kind, res->group) :
	    xstrdup(res->kind);
	for (p = s; *p != '\0' && *p != '.'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return s;
}

/* get */

static const struct opt get_opts[] = {
	{ "selector", 'l', OPT_STR, &R.selector, "SELECTOR",
	  "label selector (e.g. -l key1=value1,key2=value2)", 0, NULL, NULL,
	  0, 0 },
	{ "field-selector", 0, OPT_STR, &R.field_selector, "SELECTOR",
	  "field selector (e.g. --field-selector metadata.name=x)", 0, NULL,
	  NULL, 0, 0 },
	{ "no-headers", 0, OPT_BOOL, &R.no_headers, NULL,
	  "omit the table header", 0, NULL, NULL, 0, 0 },
	{ "show-labels", 0, OPT_BOOL, &R.show_labels, NULL,
	  "show all labels as the last column", 0, NULL, NULL, 0, 0 },
	{ "ignore-not-found", 0, OPT_BOOL, &R.ignore_not_found, NULL,
	  "print nothing for objects that do not exist", 0, NULL, NULL, 0,
	  0 },
	{ "watch", 'w', OPT_BOOL, &R.watch, NULL,
	  "after listing, watch for changes and print each", 0, NULL, NULL,
	  0, 0 },
	{ "watch-only", 0, OPT_BOOL, &R.watch_only, NULL,
	  "watch for changes without listing first", 0, NULL, NULL, 0, 0 },
	{ "output-watch-events", 0, OPT_BOOL, &R.watch_events, NULL,
	  "with --watch: the event type (ADDED, MODIFIED, DELETED) too", 0,
	  NULL, NULL, 0, 0 },
	OPT_LAST
};

/* get --watch */

/* State of one `get --watch`. */
struct gwatch {
	struct kube			*k;
	const struct kube_resource	*res;
	const char			*ns;
	struct output			*o;
	struct output_ctx		*oc;
	int				 table;
	int				 header_done;	/* table header printed */
	cJSON				*seen;		/* the rows printed, for
							   their widths */
	struct err			 err;		/* a printing error */
};

/* The object (or Table row object) name of a watch event. */
static const char *
event_name(const cJSON *obj)
{
	const char	*n = json_str(obj, "metadata.name");

	if (n == NULL || strcmp(json_str(obj, "kind") ? json_str(obj,
	    "kind") : "", "Table") == 0)
		n = json_str(obj, "rows.0.object.metadata.name");
	return n;
}

/*
 * Print the rows of a Table event (EVENT column first when asked) the way
 * kubectl's watch does: its tabwriter remembers column widths, so a row is
 * laid out together with every row printed before it (and the header), and
 * only the new lines are written.
 */
static int
print_table_event(struct gwatch *g, const char *type, const cJSON *table)
{
	struct output	 o = *g->o;
	cJSON		*t, *col, *row, *rows, *dst;
	char		*buf = NULL, *p;
	size_t		 len = 0, nl;
	FILE		*mem;
	int		 ret = -1, k, skip, total;

	t = cJSON_Duplicate(table, 1);
	rows = cJSON_GetObjectItemCaseSensitive(t, "rows");
	if (R.watch_events) {
		col = cJSON_CreateObject();
		cJSON_AddStringToObject(col, "name", "Event");
		cJSON_AddStringToObject(col, "type", "string");
		cJSON_AddStringToObject(col, "format", "");
		cJSON_AddStringToObject(col, "description", "");
		cJSON_AddNumberToObject(col, "priority", 0);
		cJSON_InsertItemInArray(cJSON_GetObjectItemCaseSensitive(t,
		    "columnDefinitions"), 0, col);
		cJSON_ArrayForEach(row, rows)
			cJSON_InsertItemInArray(cJSON_GetObjectItemCaseSensitive(
			    row, "cells"), 0, cJSON_CreateString(type));
	}
	k = cJSON_GetArraySize(rows);
	if (k == 0) {
		cJSON_Delete(t);
		return 0;
	}
	if (g->seen == NULL)
		g->seen = t;
	else {
		dst = cJSON_GetObjectItemCaseSensitive(g->seen, "rows");
		while ((row = cJSON_DetachItemFromArray(rows, 0)) != NULL)
			cJSON_AddItemToArray(dst, row);
		/* Bound the memory of long watches. */
		while (cJSON_GetArraySize(dst) > 2000)
			cJSON_DeleteItemFromArray(dst, 0);
		cJSON_Delete(t);
	}
	if ((mem = open_memstream(&buf, &len)) == NULL) {
		err_set(&g->err, EXIT_ERR, "watch: %s", strerror(errno));
		return -1;
	}
	ret = output_print(&o, g->seen, g->oc, mem, stderr, &g->err);
	fclose(mem);
	if (ret == 0) {
		total = 0;
		for (p = buf; p < buf + len; p++)
			if (*p == '\n')
				total++;
		skip = total - k;
		if (!g->header_done)
			skip = 0;
		for (p = buf, nl = 0; skip > 0 && p < buf + len; p++)
			if (*p == '\n' && ++nl == (size_t)skip) {
				p++;
				break;
			}
		if (skip <= 0)
			p = buf;
		fwrite(p, 1, len - (size_t)(p - buf), stdout);
		g->header_done = 1;
	}
	free(buf);
	return ret;
}

static int
on_watch_event(void *arg, const char *type, const cJSON *obj)
{
	struct gwatch	*g = arg;
	const char	*name;
	char		*path;
	cJSON		*one = NULL, *ev;
	int		 ret = 0;

	if (strcmp(type, "BOOKMARK") == 0)
		return 0;
	if (strcmp(type, "SYNC") == 0)
		type = "MODIFIED";
	if (g->table) {
		/* A relist after 410 hands plain objects: fetch their rows. */
		if (strcmp(json_str(obj, "kind") ? json_str(obj, "kind") : "",
		    "Table") != 0) {
			if ((name = event_name(obj)) == NULL)
				return 0;
			path = kube_path(g->res, g->ns != NULL ? g->ns :
			    json_str(obj, "metadata.namespace"), name, NULL);
			if (kube_request(g->k, "GET", path, NULL,
			    TABLE_ACCEPT, NULL, &one, NULL) != 0) {
				free(path);
				return 0;
			}
			free(path);
			obj = one;
		}
		ret = print_table_event(g, type, obj) != 0;
	} else if (R.watch_events && (g->o->format == OUTPUT_JSON ||
	    g->o->format == OUTPUT_YAML)) {
		/* kubectl's metav1.WatchEvent. */
		ev = cJSON_CreateObject();
		cJSON_AddStringToObject(ev, "type", type);
		cJSON_AddItemToObject(ev, "object", cJSON_Duplicate(obj, 1));
		ret = output_print(g->o, ev, g->oc, stdout, stderr,
		    &g->err) != 0;
		cJSON_Delete(ev);
	} else {
		if (R.watch_events && g->o->format == OUTPUT_NAME)
			printf("%s ", type);
		ret = output_print(g->o, obj, g->oc, stdout, stderr,
		    &g->err) != 0;
	}
	fflush(stdout);
	cJSON_Delete(one);
	return ret;
}

/* get -w / --watch-only: list (unless watch-only), then follow the watch
 * from the list's resourceVersion, printing every change. */
static int
get_watch(struct ctx *ctx, struct kube *k, const struct kube_resource *res,
    const char *ns, const char *name, struct output *o,
    struct output_ctx *oc, struct err *e)
{
	struct kube_list_opts	 lo;
	struct kube_watch_opts	 wo;
	struct gwatch		 g;
	const cJSON		*it;
	cJSON			*list = NULL, *row;
	char			*fs = NULL;
	const char		*rv;
	int			 ret = -1, n;

	memset(&g, 0, sizeof g);
	g.k = k;
	g.res = res;
	g.ns = ns;
	g.o = o;
	g.oc = oc;
	g.table = output_is_table(o);
	if (name != NULL) {
		if (R.field_selector != NULL && *R.field_selector != '\0')
			fs = xasprintf("metadata.name=%s,%s", name,
			    R.field_selector);
		else
			fs = xasprintf("metadata.name=%s", name);
	} else if (R.field_selector != NULL)
		fs = xstrdup(R.field_selector);
	memset(&lo, 0, sizeof lo);
	lo.label_selector = R.selector;
	lo.field_selector = fs;
	lo.table = g.table;
	if (kube_list(k, res, ns, &lo, &list, e) != 0)
		goto out;
	if (name != NULL && !R.watch_only &&
	    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(list,
	    g.table ? "rows" : "items")) == 0) {
		err_set_raw(e, EXIT_NOTFOUND, "Error from server (NotFound): "
		    "%s.%s \"%s\" not found", res->name, res->group, name);
		if (*res->group == '\0')
			err_set_raw(e, EXIT_NOTFOUND, "Error from server "
			    "(NotFound): %s \"%s\" not found", res->name, name);
		goto out;
	}
	if (!R.watch_only) {
		n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(list,
		    g.table ? "rows" : "items"));
		if (g.table) {
			if (n == 0)
				output_print(o, list, oc, stdout, stderr, NULL);
			else if (print_table_event(&g, "ADDED", list) != 0) {
				err_move(e, &g.err);
				goto out;
			}
		} else if (n == 0) {
			if (oc->namespace != NULL)
				fprintf(stderr, "No resources found in %s "
				    "namespace.\n", oc->namespace);
			else
				fprintf(stderr, "No resources found\n");
		} else {
			cJSON_ArrayForEach(it,
			    cJSON_GetObjectItemCaseSensitive(list, "items")) {
				row = cJSON_Duplicate(it, 1);
				if (json_str(row, "kind") == NULL)
					cJSON_AddStringToObject(row, "kind",
					    res->kind);
				if (json_str(row, "apiVersion") == NULL) {
					char *av = *res->group ? xasprintf(
					    "%s/%s", res->group, res->version) :
					    xstrdup(res->version);

					cJSON_AddStringToObject(row,
					    "apiVersion", av);
					free(av);
				}
				if (on_watch_event(&g, "ADDED", row) != 0) {
					cJSON_Delete(row);
					err_move(e, &g.err);
					goto out;
				}
				cJSON_Delete(row);
			}
		}
		fflush(stdout);
	}
	rv = json_str(list, "metadata.resourceVersion");
	memset(&wo, 0, sizeof wo);
	wo.label_selector = R.selector;
	wo.field_selector = fs;
	wo.resource_version = rv != NULL && *rv != '\0' ? rv : "0";
	wo.accept = g.table ? TABLE_ACCEPT : NULL;
	wo.until = ctx->g.timeout > 0 ? ctx->g.timeout : 0;
	if (kube_watch(k, res, ns, &wo, on_watch_event, &g, e) != 0)
		goto out;
	if (g.err.code != 0) {
		err_move(e, &g.err);
		goto out;
	}
	ret = 0;
out:
	err_clear(&g.err);
	cJSON_Delete(g.seen);
	cJSON_Delete(list);
	free(fs);
	return ret;
}

/* Append the rows (Table) or the object/items of src to dst. */
static void
merge_into(cJSON **dst, cJSON *src, int table)
{
	cJSON	*arr, *it;

	if (*dst == NULL) {
		if (table) {
			*dst = src;
			return;
		}
		*dst = cJSON_CreateObject();
		cJSON_AddStringToObject(*dst, "kind", "List");
		cJSON_AddStringToObject(*dst, "apiVersion", "v1");
		cJSON_AddItemToObject(*dst, "items", cJSON_CreateArray());
	}
	if (table) {
		arr = cJSON_GetObjectItemCaseSensitive(*dst, "rows");
		while ((it = cJSON_DetachItemFromArray(
		    cJSON_GetObjectItemCaseSensitive(src, "rows"), 0)) != NULL)
			cJSON_AddItemToArray(arr, it);
		cJSON_Delete(src);
		return;
	}
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(*dst, "items"),
	    src);
}

static int
get_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct kube_resource	 res;
	struct kube_list_opts	 lo;
	struct output		 o;
	struct output_ctx	 oc;
	struct kube		*k;
	struct err		 e2 = ERR_INIT;
	const char		*ns;
	cJSON			*out = NULL, *one;
	char			*path;
	int			 i, table, ret = -1, single, failed = 0;

	memset(&res, 0, sizeof res);
	if (output_parse(&o, ctx->g.output, e) != 0)
		return -1;
	o.no_headers = R.no_headers;
	o.show_labels = R.show_labels;
	if ((k = ctx_kube(ctx, e)) == NULL ||
	    resource_resolve(k, argv[0], &res, e) != 0)
		goto out;
	ns = !res.namespaced || ctx->g.all_namespaces ? NULL :
	    ctx_namespace(ctx);
	o.show_namespace = res.namespaced && ctx->g.all_namespaces &&
	    argc == 1;
	table = output_is_table(&o);
	memset(&oc, 0, sizeof oc);
	oc.namespace = ns;
	oc.kind = res.kind;
	oc.group = res.group;
	if (R.watch || R.watch_only) {
		if (argc > 2) {
			err_set_raw(e, EXIT_USAGE, "error: you may only specify "
			    "a single resource type");
			err_set_raw(e, EXIT_USAGE, "error: watch is only "
			    "supported on individual resources and resource "
			    "collections, but %d resources were found",
			    argc - 1);
			goto out;
		}
		if (argc == 2 && ctx->g.all_namespaces && res.namespaced)
			oc.namespace = ns = ctx_namespace(ctx);
		ret = get_watch(ctx, k, &res, ns, argc == 2 ? argv[1] : NULL,
		    &o, &oc, e);
		goto out;
	}
	if (argc == 1) {
		memset(&lo, 0, sizeof lo);
		lo.label_selector = R.selector;
		lo.field_selector = R.field_selector;
		lo.table = table;
		if (kube_list(k, &res, ns, &lo, &out, e) != 0)
			goto out;
		ret = output_print(&o, out, &oc, stdout, stderr, e);
		goto out;
	}
	if (ctx->g.all_namespaces && res.namespaced)
		ns = ctx_namespace(ctx);
	oc.namespace = ns;
	single = argc == 2 && !table;
	for (i = 1; i < argc; i++) {
		path = kube_path(&res, ns, argv[i], NULL);
		one = NULL;
		if (kube_request(k, "GET", path, NULL, table ? TABLE_ACCEPT :
		    "application/json", NULL, &one, &e2) != 0) {
			free(path);
			if (e2.code == EXIT_NOTFOUND && R.ignore_not_found) {
				err_clear(&e2);
				continue;
			}
			if (e2.code >= EXIT_UNREACHABLE || e2.code == EXIT_AUTH) {
				err_move(e, &e2);
				goto out;
			}
			/* kubectl prints what it found, then the errors. */
			if (failed) {
				char *s = err_format(e);

				fputs(s, stderr);
				free(s);
			}
			err_move(e, &e2);
			failed = 1;
			continue;
		}
		free(path);
		if (single) {
			out = one;
			break;
		}
		merge_into(&out, one, table);
	}
	if (out != NULL) {
		struct err e3 = ERR_INIT;

		if (output_print(&o, out, &oc, stdout, stderr, &e3) != 0) {
			err_move(e, &e3);
			goto out;
		}
	}
	ret = failed ? -1 : 0;
out:
	cJSON_Delete(out);
	kube_resource_free(&res);
	output_free(&o);
	return ret;
}

/* Reading manifests (-f FILE|DIR|-, -R). */

struct manifest {
	cJSON	*obj;		/* one object */
	char	*source;	/* the file it came from ("STDIN" for -) */
};

struct manifests {
	struct manifest	*v;
	size_t		 n;
};

static void
manifests_free(struct manifests *m)
{
	size_t	i;

	for (i = 0; i < m->n; i++) {
		cJSON_Delete(m->v[i].obj);
		free(m->v[i].source);
	}
	free(m->v);
	memset(m, 0, sizeof *m);
}

static void
manifests_add(struct manifests *m, cJSON *obj, const char *source)
{
	cJSON	*it;

	/* A kind: List (v1 List or an XList) expands into its items. */
	if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(obj, "items")) &&
	    json_str(obj, "kind") != NULL &&
	    strlen(json_str(obj, "kind")) >= 4 &&
	    strcmp(json_str(obj, "kind") + strlen(json_str(obj, "kind")) - 4,
	    "List") == 0) {
		while ((it = cJSON_DetachItemFromArray(
		    cJSON_GetObjectItemCaseSensitive(obj, "items"), 0)) != NULL)
			manifests_add(m, it, source);
		cJSON_Delete(obj);
		return;
	}
	m->v = xrealloc(m->v, (m->n + 1) * sizeof *m->v);
	m->v[m->n].obj = obj;
	m->v[m->n].source = xstrdup(source);
	m->n++;
}

static char *
slurp(FILE *f, size_t *len)
{
	struct strbuf	 sb = STRBUF_INIT;
	char		 buf[8192];
	size_t		 n;

	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(&sb, buf, n);
	*len = sb.len;
	return sb_detach(&sb);
}

static int
read_stream(struct manifests *m, const char *source, FILE *f, struct err *e)
{
	cJSON	*docs, *d;
	char	*buf;
	size_t	 len;

	buf = slurp(f, &len);
	docs = yaml_parse_stream(buf, len, e);
	free(buf);
	if (docs == NULL) {
		err_wrap(e, "error parsing %s", source);
		return -1;
	}
	while ((d = cJSON_DetachItemFromArray(docs, 0)) != NULL) {
		if (!cJSON_IsObject(d)) {
			cJSON_Delete(d);
			cJSON_Delete(docs);
			err_set_raw(e, EXIT_USAGE, "error: error parsing %s: "
			    "a document is not an object", source);
			return -1;
		}
		manifests_add(m, d, source);
	}
	cJSON_Delete(docs);
	return 0;
}

static int
has_manifest_ext(const char *name)
{
	const char	*dot = strrchr(name, '.');

	return dot != NULL && (strcmp(dot, ".yaml") == 0 ||
	    strcmp(dot, ".yml") == 0 || strcmp(dot, ".json") == 0);
}

static int
namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_path(struct manifests *, const char *, int top,
	    struct err *);

static int
read_dir(struct manifests *m, const char *dir, struct err *e)
{
	struct strlist	 names = STRLIST_INIT;
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		*p;
	size_t		 i;
	int		 ret = 0;

	if ((d = opendir(dir)) == NULL) {
		err_set_raw(e, EXIT_USAGE, "error: the path \"%s\" cannot be "
		    "read: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			sl_add(&names, de->d_name);
	closedir(d);
	if (names.n > 0)
		qsort(names.v, names.n, sizeof *names.v, namecmp);
	for (i = 0; i < names.n && ret == 0; i++) {
		p = xasprintf("%s/%s", dir, names.v[i]);
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (R.recursive)
				ret = read_dir(m, p, e);
		} else if (has_manifest_ext(names.v[i]))
			ret = read_path(m, p, 0, e);
		free(p);
	}
	sl_free(&names);
	return ret;
}

static int
read_path(struct manifests *m, const char *path, int top, struct err *e)
{
	struct stat	 st;
	FILE		*f;
	int		 ret;

	if (strcmp(path, "-") == 0)
		return read_stream(m, "STDIN", stdin, e);
	if (stat(path, &st) != 0) {
		err_set_raw(e, EXIT_USAGE, "error: the path \"%s\" does not "
		    "exist", path);
		return -1;
	}
	if (top && S_ISDIR(st.st_mode))
		return read_dir(m, path, e);
	if ((f = fopen(path, "r")) == NULL) {
		err_set_raw(e, EXIT_USAGE, "error: the path \"%s\" cannot be "
		    "read: %s", path, strerror(errno));
		return -1;
	}
	ret = read_stream(m, path, f, e);
	fclose(f);
	return ret;
}

static int
read_manifests(struct manifests *m, struct err *e)
{
	size_t	i;

	if (R.files.n == 0) {
		err_set_raw(e, EXIT_USAGE, "error: must specify one of -f and "
		    "-k");
		return -1;
	}
	for (i = 0; i < R.files.n; i++)
		if (read_path(m, R.files.v[i], 1, e) != 0)
			return -1;
	if (m->n == 0) {
		err_set_raw(e, EXIT_USAGE, "error: no objects passed to %s",
		    "apply");
		return -1;
	}
	return 0;
}

/* The namespace of a manifest: its own, else the command's (and -n must
 * agree with the manifest's, as kubectl insists). */
static const char *
manifest_ns(struct ctx *ctx, const struct kube_resource *res,
    const cJSON *obj, struct err *e)
{
	const char	*own = json_str(obj, "metadata.namespace");

	if (!res->namespaced)
		return NULL;
	if (own != NULL && *own != '\0') {
		if (ctx->g.namespace != NULL && *ctx->g.namespace != '\0' &&
		    strcmp(ctx->g.namespace, own) != 0) {
			err_set_raw(e, EXIT_USAGE, "error: the namespace from "
			    "the provided object \"%s\" does not match the "
			    "namespace \"%s\". You must pass '--namespace=%s' "
			    "to perform this operation.", own,
			    ctx->g.namespace, own);
			return NULL;
		}
		return own;
	}
	return ctx_namespace(ctx);
}

static int
dry_run_mode(struct err *e)
{
	if (R.dry_run == NULL || strcmp(R.dry_run, "none") == 0)
		return 0;
	if (strcmp(R.dry_run, "client") == 0)
		return 1;
	if (strcmp(R.dry_run, "server") == 0)
		return 2;
	err_set_raw(e, EXIT_USAGE, "error: Invalid dry-run value (%s). Must "
	    "be \"none\", \"server\", or \"client\".", R.dry_run);
	return -1;
}

static const char *
dry_suffix(int mode)
{
	return mode == 1 ? " (dry run)" : mode == 2 ? " (server dry run)" : "";
}

/* apply */

#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

static const struct opt apply_opts[] = {
	{ "filename", 'f', OPT_LIST, &R.files, "FILE",
	  "manifest file, directory or - for stdin (repeatable)", 0, NULL,
	  "file", 0, 0 },
	{ "recursive", 'R', OPT_BOOL, &R.recursive, NULL,
	  "process directories recursively", 0, NULL, NULL, 0, 0 },
	{ "server-side", 0, OPT_BOOL, &R.server_side, NULL,
	  "server-side apply (field manager \"kubectl\")", 0, NULL, NULL, 0,
	  0 },
	{ "force-conflicts", 0, OPT_BOOL, &R.force_conflicts, NULL,
	  "server-side apply: take over conflicting fields", 0, NULL, NULL,
	  0, 0 },
	{ "field-manager", 0, OPT_STR, &R.field_manager, "NAME",
	  "field manager name (default: kubectl for server-side, "
	  "kubectl-client-side-apply otherwise)", 0, NULL, NULL, 0, 0 },
	{ "dry-run", 0, OPT_STR, &R.dry_run, "MODE",
	  "none, client or server: show what would happen", 0, NULL,
	  "none|client|server", 0, 0 },
	OPT_LAST
};

/* Sort an object's keys recursively (Go marshals maps sorted). */
static cJSON *
sorted_copy(const cJSON *v)
{
	struct strlist	 keys = STRLIST_INIT;
	const cJSON	*c;
	cJSON		*out;
	size_t		 i;

	if (cJSON_IsArray(v)) {
		out = cJSON_CreateArray();
		cJSON_ArrayForEach(c, v)
			cJSON_AddItemToArray(out, sorted_copy(c));
		return out;
	}
	if (!cJSON_IsObject(v))
		return cJSON_Duplicate(v, 1);
	cJSON_ArrayForEach(c, v)
		sl_add(&keys, c->string);
	if (keys.n > 0)
		qsort(keys.v, keys.n, sizeof *keys.v, namecmp);
	out = cJSON_CreateObject();
	for (i = 0; i < keys.n; i++)
		cJSON_AddItemToObject(out, keys.v[i], sorted_copy(
		    cJSON_GetObjectItemCaseSensitive(v, keys.v[i])));
	sl_free(&keys);
	return out;
}

/* The manifest with kubectl's last-applied annotation set to itself. */
static cJSON *
with_last_applied(const cJSON *obj, const char *ns)
{
	cJSON	*copy, *ann, *sorted;
	char	*js, *val;

	/* As kubectl: the namespace filled in, annotations present. */
	copy = cJSON_Duplicate(obj, 1);
	if (ns != NULL)
		json_set_str(copy, "metadata.namespace", ns);
	ann = json_obj(copy, "metadata.annotations");
	cJSON_DeleteItemFromObjectCaseSensitive(ann, LAST_APPLIED);
	sorted = sorted_copy(copy);
	js = json_print(sorted, 0);
	cJSON_Delete(sorted);
	val = xasprintf("%s\n", js);
	free(js);
	ann = json_obj(copy, "metadata.annotations");
	cJSON_AddStringToObject(ann, LAST_APPLIED, val);
	free(val);
	return copy;
}

/*
 * A three-way JSON merge patch: what changes cur into mod, with fields
 * that orig (the last applied configuration) had and mod dropped set to
 * null.  NULL when nothing changes.
 */
static cJSON *
three_way(const cJSON *orig, const cJSON *mod, const cJSON *cur)
{
	const cJSON	*m, *o, *c;
	cJSON		*p = NULL, *sub;

	cJSON_ArrayForEach(m, mod) {
		c = cJSON_GetObjectItemCaseSensitive(cur, m->string);
		o = cJSON_GetObjectItemCaseSensitive(orig, m->string);
		if (cJSON_IsObject(m) && cJSON_IsObject(c)) {
			if ((sub = three_way(cJSON_IsObject(o) ? o : NULL, m,
			    c)) == NULL)
				continue;
		} else if (c != NULL && json_equal(m, c))
			continue;
		else
			sub = cJSON_Duplicate(m, 1);
		if (p == NULL)
			p = cJSON_CreateObject();
		cJSON_AddItemToObject(p, m->string, sub);
	}
	cJSON_ArrayForEach(o, orig) {
		if (cJSON_GetObjectItemCaseSensitive(mod, o->string) != NULL ||
		    cJSON_GetObjectItemCaseSensitive(cur, o->string) == NULL)
			continue;
		if (p == NULL)
			p = cJSON_CreateObject();
		cJSON_AddNullToObject(p, o->string);
	}
	return p;
}

/* kubectl's advice after a server-side apply conflict (exit 5 kept). */
static void
apply_conflict_text(struct err *e)
{
	const char	*p = "Error from server (Conflict): Apply failed";
	char		*msg;

	if (e->http_status != 409 || e->msg == NULL ||
	    strncmp(e->msg, p, strlen(p)) != 0)
		return;
	msg = xasprintf("error: %s\n"
	    "Please review the fields above--they currently have other "
	    "managers. Here\n"
	    "are the ways you can resolve this warning:\n"
	    "* If you intend to manage all of these fields, please re-run "
	    "the apply\n"
	    "  command with the `--force-conflicts` flag.\n"
	    "* If you do not intend to manage all of the fields, please edit "
	    "your\n"
	    "  manifest to remove references to the fields that should keep "
	    "their\n"
	    "  current managers.\n"
	    "* You may co-own fields by updating your manifest to match the "
	    "existing\n"
	    "  value; in this case, you'll become the manager if the other "
	    "manager(s)\n"
	    "  stop managing the field (remove it from their configuration).\n"
	    "See https://kubernetes.io/docs/reference/using-api/"
	    "server-side-apply/#conflicts",
	    e->msg + strlen("Error from server (Conflict): "));
	err_set_raw(e, EXIT_CONFLICT, "%s", msg);
	e->http_status = 409;
	free(msg);
}

static int
apply_one(struct ctx *ctx, struct kube *k, const struct manifest *mf,
    int mode, struct err *e)
{
	struct kube_write_opts	 wo = KUBE_WRITE_OPTS_INIT;
	struct kube_resource	 res;
	struct output_ctx	 oc;
	struct err		 e2 = ERR_INIT;
	const char		*ns, *name, *op, *la;
	cJSON			*mod = NULL, *cur = NULL, *orig = NULL;
	cJSON			*patch = NULL, *got = NULL;
	char			*body;
	int			 ret = -1;

	if (resolve_manifest(k, mf->obj, mf->source, &res, e) != 0)
		return -1;
	name = json_str(mf->obj, "metadata.name");
	if (name == NULL || *name == '\0') {
		err_set_raw(e, EXIT_USAGE, "error: error when retrieving "
		    "current configuration of:\nResource: \"%s\", "
		    "GroupVersionKind: \"%s, Kind=%s\"\nName: \"\", Namespace: "
		    "\"\"\nfrom server for: \"%s\": resource name may not be "
		    "empty", res.name, json_str(mf->obj, "apiVersion"),
		    res.kind, mf->source);
		goto out;
	}
	ns = manifest_ns(ctx, &res, mf->obj, e);
	if (res.namespaced && ns == NULL)
		goto out;
	memset(&oc, 0, sizeof oc);
	oc.kind = res.kind;
	oc.group = res.group;
	wo.dry_run = mode == 2;
	if (R.server_side) {
		wo.field_manager = R.field_manager ? R.field_manager :
		    "kubectl";
		wo.force = R.force_conflicts;
		if (mode == 1) {
			ret = output_name(stdout, mf->obj, "serverside-applied "
			    "(dry run)", &oc, e);
			goto out;
		}
		if (kube_apply(k, &res, ns, mf->obj, &wo, NULL, e) != 0) {
			apply_conflict_text(e);
			goto out;
		}
		op = "serverside-applied";
		goto print;
	}
	wo.field_manager = R.field_manager ? R.field_manager :
	    "kubectl-client-side-apply";
	mod = with_last_applied(mf->obj, ns);
	if (kube_get(k, &res, ns, name, &cur, &e2) != 0) {
		if (e2.code != EXIT_NOTFOUND) {
			err_move(e, &e2);
			kube_err_insert(e, "error when retrieving current "
			    "configuration of:\nResource: \"%s/%s, Resource=%s\", "
			    "GroupVersionKind: \"%s/%s, Kind=%s\"\nName: "
			    "\"%s\", Namespace: \"%s\"\nfrom server for: \"%s\"",
			    res.group, res.version, res.name, res.group,
			    res.version, res.kind, name, ns ? ns : "",
			    mf->source);
			goto out;
		}
		err_clear(&e2);
		if (mode != 1 && kube_create(k, &res, ns, mod, &wo, NULL,
		    e) != 0) {
			kube_err_insert(e, "error when creating \"%s\"",
			    mf->source);
			goto out;
		}
		op = "created";
		goto print;
	}
	{
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(
		    json_path(cur, "metadata.annotations"), LAST_APPLIED);

		la = cJSON_IsString(a) ? a->valuestring : NULL;
	}
	if (la != NULL)
		orig = json_parse(la, strlen(la), NULL);
	if ((patch = three_way(orig, mod, cur)) == NULL) {
		op = "unchanged";
		goto print;
	}
	if (mode != 1) {
		body = json_print(patch, 0);
		ret = kube_patch(k, &res, ns, name, KUBE_PATCH_MERGE, body, &wo,
		    &got, e);
		if (ret != 0)
			kube_err_insert(e, "error when applying patch:\n%s\n"
			    "to:\nResource: \"%s/%s, Resource=%s\", "
			    "GroupVersionKind: \"%s/%s, Kind=%s\"\nName: \"%s\", "
			    "Namespace: \"%s\"\nfor: \"%s\"", body, res.group,
			    res.version, res.name, res.group, res.version,
			    res.kind, name, ns ? ns : "", mf->source);
		free(body);
		if (ret != 0) {
			ret = -1;
			goto out;
		}
	}
	op = "configured";
print:
	{
		char *what = xasprintf("%s%s", op, strcmp(op, "unchanged") ?
		    dry_suffix(mode) : "");

		ret = output_name(stdout, mf->obj, what, &oc, e);
		free(what);
	}
out:
	cJSON_Delete(mod);
	cJSON_Delete(cur);
	cJSON_Delete(orig);
	cJSON_Delete(patch);
	cJSON_Delete(got);
	kube_resource_free(&res);
	return ret;
}

/*
 * One object of several failed with e2: kubectl goes on to the next, so
 * print the error held from an earlier failure, keep this one in e (the
 * last error sets the exit status) and mark *failed; -1 when the failure
 * is the server being unreachable or timing out, which ends the run.
 */
static int
one_failed(struct err *e, struct err *e2, int *failed)
{
	int	 fatal = e2->code == EXIT_UNREACHABLE ||
		    e2->code == EXIT_TIMEOUT;

	if (fatal)
		err_move(e, e2);
	else
		err_keep_last(e, e2);
	*failed = 1;
	return fatal ? -1 : 0;
}

/* Read the -f manifests and run fn over every one; kubectl goes on after
 * a failure, prints every error and exits with the last one's status. */
static int
for_each_manifest(struct ctx *ctx, int (*fn)(struct ctx *, struct kube *,
    const struct manifest *, int, struct err *), int mode, struct err *e)
{
	struct manifests m = { NULL, 0 };
	struct err	 e2 = ERR_INIT;
	struct kube	*k;
	size_t		 i;
	int		 failed = 0;

	if (read_manifests(&m, e) != 0 || (k = ctx_kube(ctx, e)) == NULL) {
		manifests_free(&m);
		return -1;
	}
	for (i = 0; i < m.n; i++) {
		if (fn(ctx, k, &m.v[i], mode, &e2) != 0 &&
		    one_failed(e, &e2, &failed) == -1)
			break;
	}
	manifests_free(&m);
	return failed ? -1 : 0;
}

static int
apply_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	int	 mode;

	(void)argc;
	(void)argv;
	if ((mode = dry_run_mode(e)) < 0)
		return -1;
	if (R.force_conflicts && !R.server_side) {
		err_set_raw(e, EXIT_USAGE, "error: --force-conflicts only "
		    "works with --server-side");
		return -1;
	}
	return for_each_manifest(ctx, apply_one, mode, e);
}

/* delete */

static const struct opt delete_opts[] = {
	{ "filename", 'f', OPT_LIST, &R.files, "FILE",
	  "delete what these manifests name (file, directory or -)", 0, NULL,
	  "file", 0, 0 },
	{ "recursive", 'R', OPT_BOOL, &R.recursive, NULL,
	  "process directories recursively", 0, NULL, NULL, 0, 0 },
	{ "ignore-not-found", 0, OPT_BOOL, &R.ignore_not_found, NULL,
	  "treat a missing object as deleted (no error)", 0, NULL, NULL, 0,
	  0 },
	{ "dry-run", 0, OPT_STR, &R.dry_run, "MODE",
	  "none, client or server: show what would be deleted", 0, NULL,
	  "none|client|server", 0, 0 },
	OPT_LAST
};

/* Delete one object and print kubectl's `<kind>.<group> "name" deleted`. */
static int
delete_named(struct kube *k, const struct kube_resource *res,
    const char *ns, const char *name, const char *source, int mode,
    struct err *e)
{
	struct kube_write_opts	 wo = KUBE_WRITE_OPTS_INIT;
	struct err		 e2 = ERR_INIT;
	cJSON			*got = NULL;
	char			*tn;

	wo.dry_run = mode == 2;
	if (mode != 1 && kube_delete(k, res, ns, name, &wo, NULL, &e2) != 0) {
		if (e2.code == EXIT_NOTFOUND && R.ignore_not_found) {
			err_clear(&e2);
			return 0;
		}
		err_move(e, &e2);
		if (source != NULL)
			kube_err_insert(e, "error when deleting \"%s\"",
			    source);
		return -1;
	}
	if (mode == 1 && kube_get(k, res, ns, name, &got, &e2) != 0) {
		err_move(e, &e2);
		return -1;
	}
	cJSON_Delete(got);
	tn = resource_type_name(res);
	printf("%s \"%s\" deleted%s\n", tn, name, dry_suffix(mode));
	free(tn);
	return 0;
}

static int
delete_manifest(struct ctx *ctx, struct kube *k, const struct manifest *mf,
    int mode, struct err *e)
{
	struct kube_resource	 res;
	const char		*ns, *name;
	int			 ret = -1;

	if (resolve_manifest(k, mf->obj, mf->source, &res, e) != 0)
		return -1;
	name = json_str(mf->obj, "metadata.name");
	ns = manifest_ns(ctx, &res, mf->obj, e);
	if (name == NULL || *name == '\0')
		err_set_raw(e, EXIT_USAGE, "error: resource name may not be "
		    "empty");
	else if (!res.namespaced || ns != NULL)
		ret = delete_named(k, &res, ns, name, mf->source, mode, e);
	kube_resource_free(&res);
	return ret;
}

static int
delete_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct kube_resource	 res;
	struct kube		*k;
	struct err		 e2 = ERR_INIT;
	const char		*ns;
	int			 mode, i, failed = 0;

	if ((mode = dry_run_mode(e)) < 0)
		return -1;
	if (R.files.n > 0) {
		if (argc > 0) {
			err_set_raw(e, EXIT_USAGE, "error: there is no need to "
			    "specify a resource type as a separate argument "
			    "when passing arguments in resource/name form "
			    "(e.g. 'maasctl get resource/<resource_name>' "
			    "instead of 'maasctl get resource "
			    "resource/<resource_name>'");
			return -1;
		}
		return for_each_manifest(ctx, delete_manifest, mode, e);
	}
	if (argc < 2) {
		err_set_raw(e, EXIT_USAGE, argc == 0 ? "error: You must "
		    "provide one or more resources by argument or filename." :
		    "error: resource(s) were provided, but no name was "
		    "specified");
		return -1;
	}
	if ((k = ctx_kube(ctx, e)) == NULL ||
	    resource_resolve(k, argv[0], &res, e) != 0)
		return -1;
	ns = res.namespaced ? ctx_namespace(ctx) : NULL;
	for (i = 1; i < argc; i++) {
		if (delete_named(k, &res, ns, argv[i], NULL, mode, &e2) != 0 &&
		    one_failed(e, &e2, &failed) == -1)
			break;
	}
	kube_resource_free(&res);
	return failed ? -1 : 0;
}

const struct command cmd_get = {
	.name = "get",
	.summary = "Display objects of any kind the API server serves",
	.usage = "KIND [NAME...] [-l SELECTOR] [--field-selector SELECTOR] "
	    "[-A] [-o FORMAT] [-w | --watch-only]",
	.opts = get_opts,
	.run = get_run,
	.flags = CMD_NEEDS_KUBE,
	.min_args = 1,
	.max_args = -1,
};

const struct command cmd_apply = {
	.name = "apply",
	.summary = "Create or update objects from manifests, as kubectl apply",
	.usage = "-f FILE|DIR|- [-R] [--server-side] [--force-conflicts] "
	    "[--dry-run=client|server]",
	.opts = apply_opts,
	.run = apply_run,
	.flags = CMD_NEEDS_KUBE,
	.max_args = 0,
};

const struct command cmd_delete = {
	.name = "delete",
	.summary = "Delete objects by kind and name or from manifests",
	.usage = "KIND NAME... | -f FILE|DIR|- [-R] [--ignore-not-found] "
	    "[--dry-run=client|server]",
	.opts = delete_opts,
	.run = delete_run,
	.flags = CMD_NEEDS_KUBE,
	.max_args = -1,
};

/* Completion of object names. */

int
resource_complete_names(struct ctx *ctx, const char *type, const char *prefix,
    struct strlist *out)
{
	struct kube_resource	 res;
	struct kube_list_opts	 lo;
	struct kube		*k;
	const cJSON		*it;
	const char		*name;
	cJSON			*list = NULL;
	char			*s;

	memset(&res, 0, sizeof res);
	if ((k = ctx_kube(ctx, NULL)) == NULL ||
	    resource_resolve(k, type, &res, NULL) != 0)
		goto out;
	memset(&lo, 0, sizeof lo);
	if (kube_list(k, &res, res.namespaced ? ctx_namespace(ctx) : NULL,
	    &lo, &list, NULL) != 0)
		goto out;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(list,
	    "items")) {
		if ((name = json_str(it, "metadata.name")) == NULL)
			continue;
		s = xasprintf("%s%s", prefix ? prefix : "", name);
		sl_add(out, s);
		free(s);
	}
out:
	cJSON_Delete(list);
	kube_resource_free(&res);
	return 0;
}

int
resource_complete_typed(struct ctx *ctx, const char *word,
    struct strlist *out)
{
	static const char *const kinds[] = { "maasmodelref/",
	    "maasauthpolicy/", "maassubscription/", "llminferenceservice/",
	    "externalmodel/", "tokenratelimitpolicy/", "authpolicy/",
	    "configmap/", NULL };
	const char	*slash = strchr(word, '/');
	char		*type, *prefix;
	int		 i;

	if (slash == NULL) {
		for (i = 0; kinds[i] != NULL; i++)
			sl_add(out, kinds[i]);
		return 0;
	}
	type = xstrndup(word, (size_t)(slash - word));
	prefix = xstrndup(word, (size_t)(slash - word) + 1);
	resource_complete_names(ctx, type, prefix, out);
	free(type);
	free(prefix);
	return 0;
}
