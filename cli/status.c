/*
 * status.c: `maasctl status`: one screen of what MaaS governs (the A7
 * check of MAAS-ADMIN-TASKS.md §3.1 in one command): every MaaSModelRef
 * with its phase, endpoint and how many policies and subscriptions cover
 * it; every MaaSAuthPolicy and MaaSSubscription with its phase and the
 * models it covers; then warnings for models nobody may call or that no
 * subscription covers, and references to models that do not exist.
 * -o json|yaml gives the same as one document for scripts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "json.h"
#include "kube.h"
#include "kubectx.h"
#include "output.h"
#include "xalloc.h"
#include "yaml.h"

#define MAAS_GROUP	"maas.opendatahub.io"

static struct {
	int	 no_headers;
} S;

static const struct opt status_opts[] = {
	{ "no-headers", 0, OPT_BOOL, &S.no_headers, NULL,
	  "omit the table headers", 0, NULL, NULL, 0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

static const char *
str_or(const cJSON *o, const char *path, const char *def)
{
	const char	*s = json_str(o, path);

	return s != NULL && *s != '\0' ? s : def;
}

/* List a MaaS kind (ns NULL: all namespaces) into *out. */
static int
list_kind(struct kube *k, const char *kind, const char *ns, cJSON **out,
    struct err *e)
{
	struct kube_resource	 res;
	struct kube_list_opts	 lo;
	int			 ret;

	memset(&res, 0, sizeof res);
	if (kube_resolve(k, MAAS_GROUP, kind, &res, e) != 0) {
		if (e->code == EXIT_NOTFOUND)
			err_hint(e, "is MaaS installed on this cluster? "
			    "(maasctl sandbox up starts a local one)");
		return -1;
	}
	memset(&lo, 0, sizeof lo);
	ret = kube_list(k, &res, ns, &lo, out, e);
	kube_resource_free(&res);
	return ret;
}

/* "ns/name" of each spec.modelRefs entry of obj, comma-separated. */
static char *
models_of(const cJSON *obj, int limits)
{
	struct strbuf	 sb = STRBUF_INIT;
	const cJSON	*r, *l;
	int		 first;

	cJSON_ArrayForEach(r, json_path(obj, "spec.modelRefs")) {
		if (sb.len > 0)
			sb_addc(&sb, ',');
		sb_addf(&sb, "%s/%s", str_or(r, "namespace", "?"),
		    str_or(r, "name", "?"));
		if (!limits)
			continue;
		first = 1;
		cJSON_ArrayForEach(l, cJSON_GetObjectItem(r,
		    "tokenRateLimits")) {
			sb_addf(&sb, "%s%.0f/%s", first ? "(" : " ",
			    json_num(l, "limit", 0), str_or(l, "window", "?"));
			first = 0;
		}
		if (!first)
			sb_addc(&sb, ')');
	}
	return sb.len > 0 ? sb_detach(&sb) : xstrdup("<none>");
}

/* Does obj's spec.modelRefs name ns/name? */
static int
covers(const cJSON *obj, const char *ns, const char *name)
{
	const cJSON	*r;

	cJSON_ArrayForEach(r, json_path(obj, "spec.modelRefs"))
		if (json_str(r, "name") != NULL &&
		    json_str(r, "namespace") != NULL &&
		    strcmp(json_str(r, "name"), name) == 0 &&
		    strcmp(json_str(r, "namespace"), ns) == 0)
			return 1;
	return 0;
}

/*
 * Add to o an array `key` of the "NS/NAME" of every object in list that
 * covers model ns/name; how many there are.
 */
static int
add_covering(cJSON *o, const char *key, const cJSON *list, const char *ns,
    const char *name)
{
	cJSON		*names = cJSON_AddArrayToObject(o, key);
	const cJSON	*x;
	int		 n = 0;

	cJSON_ArrayForEach(x, cJSON_GetObjectItem(list, "items"))
		if (covers(x, ns, name)) {
			char *s = xasprintf("%s/%s", str_or(x,
			    "metadata.namespace", ""), str_or(x,
			    "metadata.name", ""));

			cJSON_AddItemToArray(names, cJSON_CreateString(s));
			free(s);
			n++;
		}
	return n;
}

static int
model_exists(const cJSON *models, const char *ns, const char *name)
{
	const cJSON	*m;

	cJSON_ArrayForEach(m, cJSON_GetObjectItem(models, "items"))
		if (strcmp(str_or(m, "metadata.namespace", ""), ns) == 0 &&
		    strcmp(str_or(m, "metadata.name", ""), name) == 0)
			return 1;
	return 0;
}

/* The whole picture as one JSON document (also what the tables print). */
static cJSON *
build(const cJSON *models, const cJSON *aps, const cJSON *subs)
{
	cJSON		*doc = cJSON_CreateObject(), *arr, *o, *names, *warn;
	const cJSON	*m, *x, *r;
	const char	*ns, *name, *phase;
	int		 nap, nsub;

	warn = cJSON_CreateArray();
	arr = cJSON_AddArrayToObject(doc, "models");
	cJSON_ArrayForEach(m, cJSON_GetObjectItem(models, "items")) {
		ns = str_or(m, "metadata.namespace", "");
		name = str_or(m, "metadata.name", "");
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "namespace", ns);
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddStringToObject(o, "phase", str_or(m, "status.phase",
		    ""));
		cJSON_AddStringToObject(o, "endpoint", str_or(m,
		    "status.endpoint", ""));
		cJSON_AddStringToObject(o, "backend", str_or(m,
		    "spec.modelRef.kind", ""));
		nap = add_covering(o, "authPolicies", aps, ns, name);
		nsub = add_covering(o, "subscriptions", subs, ns, name);
		cJSON_AddItemToArray(arr, o);
		if (nap == 0) {
			char *s = xasprintf("model %s/%s has no MaaSAuthPolicy:"
			    " nobody may call it", ns, name);
			cJSON_AddItemToArray(warn, cJSON_CreateString(s));
			free(s);
		}
		if (nsub == 0) {
			char *s = xasprintf("model %s/%s has no "
			    "MaaSSubscription: every call to it is refused",
			    ns, name);
			cJSON_AddItemToArray(warn, cJSON_CreateString(s));
			free(s);
		}
		phase = json_str(m, "status.phase");
		if (phase != NULL && (strcmp(phase, "Failed") == 0 ||
		    strcmp(phase, "Invalid") == 0 ||
		    strcmp(phase, "Unhealthy") == 0)) {
			const cJSON *c;
			const char *msg = NULL;

			cJSON_ArrayForEach(c, json_path(m, "status.conditions"))
				if (json_str(c, "type") != NULL &&
				    strcmp(json_str(c, "type"), "Ready") == 0)
					msg = json_str(c, "message");
			char *s = xasprintf("model %s/%s is %s%s%s", ns, name,
			    phase, msg ? ": " : "", msg ? msg : "");
			cJSON_AddItemToArray(warn, cJSON_CreateString(s));
			free(s);
		}
	}
	for (int kind = 0; kind < 2; kind++) {
		const cJSON *list = kind == 0 ? aps : subs;

		arr = cJSON_AddArrayToObject(doc, kind == 0 ? "authPolicies" :
		    "subscriptions");
		cJSON_ArrayForEach(x, cJSON_GetObjectItem(list, "items")) {
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "namespace", str_or(x,
			    "metadata.namespace", ""));
			cJSON_AddStringToObject(o, "name", str_or(x,
			    "metadata.name", ""));
			cJSON_AddStringToObject(o, "phase", str_or(x,
			    "status.phase", ""));
			if (kind == 1)
				cJSON_AddNumberToObject(o, "priority",
				    json_num(x, "spec.priority", 0));
			names = cJSON_AddArrayToObject(o, "models");
			cJSON_ArrayForEach(r, json_path(x, "spec.modelRefs")) {
				char *s = xasprintf("%s/%s", str_or(r,
				    "namespace", "?"), str_or(r, "name", "?"));

				cJSON_AddItemToArray(names,
				    cJSON_CreateString(s));
				if (!model_exists(models, str_or(r,
				    "namespace", ""), str_or(r, "name", ""))) {
					char *w = xasprintf("%s %s/%s references "
					    "%s, which has no MaaSModelRef",
					    kind == 0 ? "MaaSAuthPolicy" :
					    "MaaSSubscription", str_or(x,
					    "metadata.namespace", ""), str_or(x,
					    "metadata.name", ""), s);

					cJSON_AddItemToArray(warn,
					    cJSON_CreateString(w));
					free(w);
				}
				free(s);
			}
			cJSON_AddItemToArray(arr, o);
		}
	}
	cJSON_AddItemToObject(doc, "warnings", warn);
	return doc;
}

static void
section(const char *title, struct output_table *t, const struct output *o,
    int *first)
{
	if (!*first)
		fputc('\n', stdout);
	*first = 0;
	if (!o->no_headers)
		printf("%s\n", title);
	if (output_table_rows(t) == 0)
		printf("  none\n");
	else
		output_table_print(t, o, stdout);
}

static void
print_screen(const cJSON *doc, const cJSON *subs, const struct output *o)
{
	static const char *const mh[] = { "NAMESPACE", "NAME", "PHASE",
	    "ENDPOINT", "POLICIES", "SUBSCRIPTIONS" };
	static const char *const ah[] = { "NAMESPACE", "NAME", "PHASE",
	    "MODELS" };
	static const char *const sh[] = { "NAMESPACE", "NAME", "PHASE",
	    "PRIORITY", "MODELS" };
	struct output_table	*t;
	const cJSON		*x, *w;
	char			*models;
	int			 first = 1;

	t = output_table_new(mh, 6);
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(doc, "models")) {
		output_table_add(t, json_str(x, "namespace"));
		output_table_add(t, json_str(x, "name"));
		output_table_add(t, str_or(x, "phase", "<none>"));
		output_table_add(t, str_or(x, "endpoint", "<none>"));
		output_table_addf(t, "%d", cJSON_GetArraySize(
		    cJSON_GetObjectItem(x, "authPolicies")));
		output_table_addf(t, "%d", cJSON_GetArraySize(
		    cJSON_GetObjectItem(x, "subscriptions")));
		output_table_end_row(t);
	}
	section("MODELS", t, o, &first);
	output_table_free(t);
	t = output_table_new(ah, 4);
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(doc, "authPolicies")) {
		struct strbuf sb = STRBUF_INIT;
		const cJSON *m;

		output_table_add(t, json_str(x, "namespace"));
		output_table_add(t, json_str(x, "name"));
		output_table_add(t, str_or(x, "phase", "<none>"));
		cJSON_ArrayForEach(m, cJSON_GetObjectItem(x, "models"))
			sb_addf(&sb, "%s%s", sb.len ? "," : "",
			    m->valuestring);
		output_table_add(t, sb.len ? sb.buf : "<none>");
		sb_free(&sb);
		output_table_end_row(t);
	}
	section("AUTH POLICIES", t, o, &first);
	output_table_free(t);
	t = output_table_new(sh, 5);
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(subs, "items")) {
		output_table_add(t, str_or(x, "metadata.namespace", ""));
		output_table_add(t, str_or(x, "metadata.name", ""));
		output_table_add(t, str_or(x, "status.phase", "<none>"));
		output_table_addf(t, "%.0f", json_num(x, "spec.priority", 0));
		models = models_of(x, 1);
		output_table_add(t, models);
		free(models);
		output_table_end_row(t);
	}
	section("SUBSCRIPTIONS", t, o, &first);
	output_table_free(t);
	w = cJSON_GetObjectItem(doc, "warnings");
	if (cJSON_GetArraySize(w) > 0) {
		printf("\n%s", o->no_headers ? "" : "WARNINGS\n");
		cJSON_ArrayForEach(x, w)
			printf("  %s\n", x->valuestring);
	}
}

static int
status_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct output	 o;
	struct kube	*k;
	cJSON		*models = NULL, *aps = NULL, *subs = NULL, *doc = NULL;
	const char	*fmt = ctx->g.output, *mns = NULL;
	char		*s;
	int		 ret = -1;

	(void)argc;
	(void)argv;
	memset(&o, 0, sizeof o);
	if (fmt != NULL && strcmp(fmt, "json") != 0 &&
	    strcmp(fmt, "yaml") != 0 && strcmp(fmt, "wide") != 0)
		return err_set_raw(e, EXIT_USAGE, "error: unable to match a "
		    "printer suitable for the output format \"%s\", allowed "
		    "formats are: json,yaml,wide", fmt);
	if (output_parse(&o, fmt != NULL && strcmp(fmt, "wide") == 0 ? fmt :
	    NULL, e) != 0)
		return -1;
	o.no_headers = S.no_headers;
	if ((k = ctx_kube(ctx, e)) == NULL)
		goto out;
	/* -n narrows the models; policies and subscriptions are always
	 * read everywhere, since they live in the tenant namespace. */
	if (ctx->g.namespace != NULL && !ctx->g.all_namespaces)
		mns = ctx_namespace(ctx);
	if (list_kind(k, "MaaSModelRef", mns, &models, e) != 0 ||
	    list_kind(k, "MaaSAuthPolicy", NULL, &aps, e) != 0 ||
	    list_kind(k, "MaaSSubscription", NULL, &subs, e) != 0)
		goto out;
	doc = build(models, aps, subs);
	if (fmt != NULL && strcmp(fmt, "wide") != 0) {
		s = strcmp(fmt, "json") == 0 ? json_print(doc, 1) :
		    yaml_emit(doc);
		fputs(s, stdout);
		if (*s != '\0' && s[strlen(s) - 1] != '\n')
			fputc('\n', stdout);
		free(s);
	} else
		print_screen(doc, subs, &o);
	ret = 0;
out:
	cJSON_Delete(models);
	cJSON_Delete(aps);
	cJSON_Delete(subs);
	cJSON_Delete(doc);
	output_free(&o);
	return ret;
}

const struct command cmd_status = {
	.name = "status",
	.summary = "One screen of models, auth policies and subscriptions, "
	    "with warnings",
	.usage = "[-n NS] [-o json|yaml] [--no-headers]",
	.opts = status_opts,
	.run = status_run,
	.flags = CMD_NEEDS_KUBE,
	.max_args = 0,
};
