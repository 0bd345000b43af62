/*
 * describe.c: `maasctl describe`, kubectl's describe layout for every kind
 * the server serves (the generic describer: Name, Namespace, Labels,
 * Annotations, then the object's fields as "Title Case" labels, then
 * Events; ConfigMaps as kubectl's ConfigMap describer), laid out by a Go
 * text/tabwriter equivalent (minwidth 0, padding 2).  For the MaaS kinds,
 * LLMInferenceService and the tier ConfigMap it adds what kubectl cannot
 * know: which subscriptions and auth policies reference a model, the
 * models a policy or subscription covers with their phases, and the
 * policies the controller generated.
 */
#include <ctype.h>
#include <stdarg.h>
#include <strings.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "describe.h"
#include "json.h"
#include "kube.h"
#include "kubectx.h"
#include "output.h"
#include "resource.h"
#include "xalloc.h"
#include "yaml.h"

static struct {
	const char	*selector;	/* -l */
	int		 show_events;	/* --show-events (default true) */
} D = { NULL, 1 };

/* Go's text/tabwriter (minwidth 0, tabwidth 8, padding 2, spaces). */

struct twline {
	char	**cells;	/* tab-terminated cells, then the trailing one */
	size_t	  n;
};

struct tw {
	struct twline	*lines;
	size_t		 n;
	size_t		*widths;
	size_t		 nw;
	struct strbuf	*out;
};

static size_t
runes(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static void
tw_write_lines(struct tw *t, size_t l0, size_t l1)
{
	struct twline	*ln;
	size_t		 i, j, w;

	for (i = l0; i < l1; i++) {
		ln = &t->lines[i];
		for (j = 0; j < ln->n; j++) {
			sb_adds(t->out, ln->cells[j]);
			if (j < t->nw && j + 1 < ln->n)
				for (w = runes(ln->cells[j]); w < t->widths[j];
				    w++)
					sb_addc(t->out, ' ');
		}
		sb_addc(t->out, '\n');
	}
}

static size_t
tw_format(struct tw *t, size_t l0, size_t l1)
{
	size_t		 column = t->nw, this, width, w;
	struct twline	*ln;

	for (this = l0; this < l1; this++) {
		ln = &t->lines[this];
		if (column + 1 >= ln->n)
			continue;
		tw_write_lines(t, l0, this);
		l0 = this;
		width = 0;
		for (; this < l1; this++) {
			ln = &t->lines[this];
			if (column + 1 >= ln->n)
				break;
			if ((w = runes(ln->cells[column]) + 2) > width)
				width = w;
		}
		t->widths = xrealloc(t->widths, (t->nw + 1) *
		    sizeof *t->widths);
		t->widths[t->nw++] = width;
		tw_format(t, l0, this);
		t->nw--;
		l0 = this;
		this--;
	}
	tw_write_lines(t, l0, l1);
	return 0;
}

/* Lay out text with tab-separated cells as kubectl's describe does. */
static char *
tabwrite(const char *text)
{
	struct strbuf	 out = STRBUF_INIT;
	struct tw	 t;
	const char	*p = text, *nl, *tab;
	struct twline	*ln;
	size_t		 i, j;

	memset(&t, 0, sizeof t);
	t.out = &out;
	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		t.lines = xrealloc(t.lines, (t.n + 1) *
		    sizeof *t.lines);
		ln = &t.lines[t.n++];
		memset(ln, 0, sizeof *ln);
		for (;;) {
			tab = memchr(p, '\t', (size_t)(nl - p));
			ln->cells = xrealloc(ln->cells, (ln->n + 1) *
			    sizeof *ln->cells);
			if (tab == NULL) {
				ln->cells[ln->n++] = xstrndup(p,
				    (size_t)(nl - p));
				break;
			}
			ln->cells[ln->n++] = xstrndup(p, (size_t)(tab - p));
			p = tab + 1;
		}
		p = *nl == '\n' ? nl + 1 : nl;
	}
	tw_format(&t, 0, t.n);
	for (i = 0; i < t.n; i++) {
		for (j = 0; j < t.lines[i].n; j++)
			free(t.lines[i].cells[j]);
		free(t.lines[i].cells);
	}
	free(t.lines);
	free(t.widths);
	return sb_detach(&out);
}

/* kubectl's PrefixWriter: two spaces per level. */
static void
wr(struct strbuf *sb, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
wr(struct strbuf *sb, int level, const char *fmt, ...)
{
	va_list	 ap;
	int	 i;

	for (i = 0; i < level; i++)
		sb_adds(sb, "  ");
	va_start(ap, fmt);
	sb_vaddf(sb, fmt, ap);
	va_end(ap);
}

/*
 * kubectl's smartLabelFor: "modelRefs" -> "Model Refs", "apiVersion" ->
 * "API Version"; names with anything but letters and '-' stay as they are.
 */
static char *
smart_label(const char *field)
{
	static const char *const acronyms[] = { "API", "URL", "UID", "OSB",
	    "GUID", NULL };
	struct strbuf	 sb = STRBUF_INIT;
	const char	*p, *start;
	char		*part;
	size_t		 i, n;
	int		 k;

	for (p = field; *p != '\0'; p++)
		if (!isalpha((unsigned char)*p) && *p != '-' &&
		    ((unsigned char)*p < 0x80))
			return xstrdup(field);
	if (*field == '\0')
		return xstrdup(field);
	/* fatih/camelcase: split between lower->upper, and before the last
	 * upper of an upper run followed by a lower ("HTTPRoute"). */
	start = field;
	for (p = field; ; p++) {
		int brk = 0;

		if (*p == '\0')
			brk = 1;
		else if (p > start) {
			int pu = isupper((unsigned char)p[-1]) != 0;
			int cu = isupper((unsigned char)*p) != 0;
			int pl = islower((unsigned char)p[-1]) != 0;
			int nl = p[1] != '\0' && islower((unsigned char)p[1]);
			int pd = p[-1] == '-', cd = *p == '-';

			if ((pl && cu) || (pu && cu && nl) || pd != cd)
				brk = 1;
		}
		if (brk && p > start) {
			n = (size_t)(p - start);
			part = xstrndup(start, n);
			for (k = 0; acronyms[k] != NULL; k++)
				if (strlen(acronyms[k]) == n &&
				    strncasecmp(acronyms[k], part, n) == 0)
					break;
			if (sb.len > 0)
				sb_addc(&sb, ' ');
			if (acronyms[k] != NULL)
				sb_adds(&sb, acronyms[k]);
			else {
				for (i = 0; i < n; i++)
					if (i == 0)
						part[i] = (char)toupper(
						    (unsigned char)part[i]);
				sb_adds(&sb, part);
			}
			free(part);
			start = p;
		}
		if (*p == '\0')
			break;
	}
	return sb_detach(&sb);
}

/* A scalar as Go's %v prints an unstructured value. */
static void
add_scalar(struct strbuf *sb, const cJSON *v)
{
	double	 d;

	if (cJSON_IsString(v))
		sb_adds(sb, v->valuestring);
	else if (cJSON_IsBool(v))
		sb_adds(sb, cJSON_IsTrue(v) ? "true" : "false");
	else if (cJSON_IsNull(v))
		sb_adds(sb, "<nil>");
	else if (cJSON_IsRaw(v))
		sb_adds(sb, v->valuestring);
	else if (cJSON_IsNumber(v)) {
		d = v->valuedouble;
		if (d == floor(d) && fabs(d) < 9.2e18)
			sb_addf(sb, "%lld", (long long)d);
		else
			json_format_number(sb, d, JSON_NUM_GO);
	}
}

static int
key_cmp(const void *a, const void *b)
{
	const cJSON	*x = *(const cJSON *const *)a;
	const cJSON	*y = *(const cJSON *const *)b;

	return strcmp(x->string, y->string);
}

static int
skipped(const char *path, const char *const *skip)
{
	for (; skip != NULL && *skip != NULL; skip++)
		if (strcmp(path, *skip) == 0)
			return 1;
	return 0;
}

/* kubectl's printUnstructuredContent: fields sorted, maps and lists as
 * nested blocks, scalars as "Label:\tvalue". */
static void
print_content(struct strbuf *sb, int level, const cJSON *obj,
    const char *prefix, const char *const *skip)
{
	const cJSON	**f, *c, *child;
	size_t		 n = 0, i;
	char		*path, *label;

	cJSON_ArrayForEach(c, obj)
		n++;
	if (n == 0)
		return;
	f = xcalloc(n, sizeof *f);
	i = 0;
	cJSON_ArrayForEach(c, obj)
		f[i++] = c;
	qsort(f, n, sizeof *f, key_cmp);
	for (i = 0; i < n; i++) {
		c = f[i];
		path = xasprintf("%s.%s", prefix, c->string);
		if (skipped(path, skip)) {
			free(path);
			continue;
		}
		label = smart_label(c->string);
		if (cJSON_IsObject(c)) {
			wr(sb, level, "%s:\n", label);
			print_content(sb, level + 1, c, path, skip);
		} else if (cJSON_IsArray(c)) {
			wr(sb, level, "%s:\n", label);
			cJSON_ArrayForEach(child, c) {
				if (cJSON_IsObject(child))
					print_content(sb, level + 1, child,
					    path, skip);
				else {
					wr(sb, level + 1, "%s", "");
					add_scalar(sb, child);
					sb_addc(sb, '\n');
				}
			}
		} else {
			wr(sb, level, "%s:\t", label);
			add_scalar(sb, c);
			sb_addc(sb, '\n');
		}
		free(label);
		free(path);
	}
	free(f);
}

static const cJSON **
sorted_members(const cJSON *obj, size_t *np)
{
	const cJSON	**f, *c;
	size_t		 n = 0;

	cJSON_ArrayForEach(c, obj)
		n++;
	f = xcalloc(n + 1, sizeof *f);
	n = 0;
	cJSON_ArrayForEach(c, obj)
		f[n++] = c;
	qsort(f, n, sizeof *f, key_cmp);
	*np = n;
	return f;
}

static void
print_labels(struct strbuf *sb, const char *title, const cJSON *labels)
{
	const cJSON	**f;
	size_t		 n, i;

	wr(sb, 0, "%s:\t", title);
	f = sorted_members(labels, &n);
	if (n == 0)
		sb_adds(sb, "<none>\n");
	for (i = 0; i < n; i++) {
		if (i != 0)
			sb_addc(sb, '\t');
		sb_addf(sb, "%s=", f[i]->string);
		add_scalar(sb, f[i]);
		sb_addc(sb, '\n');
	}
	free(f);
}

#define MAX_ANNOTATION_LEN 140

static void
print_annotations(struct strbuf *sb, const char *title, const cJSON *ann)
{
	const cJSON	**f;
	const char	*v, *nl;
	size_t		 n, i, k = 0, len;
	char		*val;

	wr(sb, 0, "%s:\t", title);
	f = sorted_members(ann, &n);
	for (i = 0; i < n; i++) {
		if (strcmp(f[i]->string, "kubectl.kubernetes.io/"
		    "last-applied-configuration") == 0 ||
		    !cJSON_IsString(f[i]))
			continue;
		if (k++ != 0)
			sb_addc(sb, '\t');
		val = xstrdup(f[i]->valuestring);
		len = strlen(val);
		if (len > 0 && val[len - 1] == '\n')
			val[--len] = '\0';
		if (len + strlen(f[i]->string) + 2 > MAX_ANNOTATION_LEN ||
		    strchr(val, '\n') != NULL) {
			sb_addf(sb, "%s:\n", f[i]->string);
			for (v = val; ; v = nl + 1) {
				nl = strchr(v, '\n');
				len = nl ? (size_t)(nl - v) : strlen(v);
				if (len > MAX_ANNOTATION_LEN - 2)
					sb_addf(sb, "\t  %.*s...\n",
					    MAX_ANNOTATION_LEN - 2, v);
				else
					sb_addf(sb, "\t  %.*s\n", (int)len, v);
				if (nl == NULL)
					break;
			}
		} else
			sb_addf(sb, "%s: %s\n", f[i]->string, val);
		free(val);
	}
	if (k == 0)
		sb_adds(sb, "<none>\n");
	free(f);
}

/* Events: kubectl's DescribeEvents for the events about obj. */
static void
print_events(struct strbuf *sb, struct kube *k, const cJSON *obj)
{
	struct kube_resource	 res;
	struct kube_list_opts	 lo;
	const cJSON		*ev;
	cJSON			*list = NULL;
	const char		*uid = json_str(obj, "metadata.uid");
	const char		*name = json_str(obj, "metadata.name");
	const char		*kind = json_str(obj, "kind");
	const char		*ns = json_str(obj, "metadata.namespace");
	const char		*ts, *src, *msg, *iu;
	char			*age, *first;
	double			 count;
	int			 n = 0;

	kube_resource_set(&res, "", "v1", "events", "Event", 1);
	memset(&lo, 0, sizeof lo);
	if (kube_list(k, &res, ns != NULL ? ns : "default", &lo, &list,
	    NULL) != 0) {
		kube_resource_free(&res);
		return;
	}
	cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(list,
	    "items")) {
		iu = json_str(ev, "involvedObject.uid");
		if (iu != NULL && *iu != '\0' ? (uid == NULL ||
		    strcmp(iu, uid) != 0) :
		    (json_str(ev, "involvedObject.name") == NULL ||
		    name == NULL || strcmp(json_str(ev,
		    "involvedObject.name"), name) != 0 ||
		    json_str(ev, "involvedObject.kind") == NULL ||
		    kind == NULL || strcmp(json_str(ev, "involvedObject.kind"),
		    kind) != 0))
			continue;
		if (n++ == 0) {
			wr(sb, 0, "Events:\n  Type\tReason\tAge\tFrom\t"
			    "Message\n");
			wr(sb, 1, "----\t------\t----\t----\t-------\n");
		}
		ts = json_str(ev, "eventTime");
		if (ts == NULL || *ts == '\0')
			ts = json_str(ev, "firstTimestamp");
		first = output_age(ts, 0);
		count = json_num(ev, "count", 0);
		if (count > 1) {
			age = output_age(json_str(ev, "lastTimestamp"), 0);
			char *s = xasprintf("%s (x%.0f over %s)", age, count,
			    first);
			free(age);
			free(first);
			first = s;
		}
		src = json_str(ev, "source.component");
		if (src == NULL || *src == '\0')
			src = json_str(ev, "reportingComponent");
		msg = json_str(ev, "message");
		wr(sb, 1, "%s\t%s\t%s\t%s\t", json_str(ev, "type") ?
		    json_str(ev, "type") : "", json_str(ev, "reason") ?
		    json_str(ev, "reason") : "", first, src ? src : "");
		if (msg != NULL) {
			while (isspace((unsigned char)*msg))
				msg++;
			size_t ml = strlen(msg);
			while (ml > 0 && isspace((unsigned char)msg[ml - 1]))
				ml--;
			sb_add(sb, msg, ml);
		}
		sb_addc(sb, '\n');
		free(first);
	}
	if (n == 0)
		wr(sb, 0, "Events:\t<none>\n");
	cJSON_Delete(list);
	kube_resource_free(&res);
}

/* Related objects. */

#define MAAS_GROUP	"maas.opendatahub.io"

/* List a MaaS-side kind in all namespaces (NULL on any error). */
static cJSON *
list_all(struct kube *k, const char *group, const char *what,
    const char *selector)
{
	struct kube_resource	 res;
	struct kube_list_opts	 lo;
	cJSON			*list = NULL;

	memset(&res, 0, sizeof res);
	if (kube_resolve(k, group, what, &res, NULL) != 0)
		return NULL;
	memset(&lo, 0, sizeof lo);
	lo.label_selector = selector;
	if (kube_list(k, &res, NULL, &lo, &list, NULL) != 0)
		list = NULL;
	kube_resource_free(&res);
	return list;
}

static const char *
phase_of(const cJSON *o)
{
	const char	*p = json_str(o, "status.phase");

	return p != NULL && *p != '\0' ? p : "<none>";
}

/* Does obj's spec.modelRefs name the model ns/name? */
static int
refs_model(const cJSON *obj, const char *ns, const char *name)
{
	const cJSON	*r;
	const char	*rn, *rns;

	cJSON_ArrayForEach(r, json_path(obj, "spec.modelRefs")) {
		rn = json_str(r, "name");
		rns = json_str(r, "namespace");
		if (rn != NULL && strcmp(rn, name) == 0 &&
		    (rns == NULL || strcmp(rns, ns) == 0))
			return 1;
	}
	return 0;
}

/* "Referenced By:" the auth policies and subscriptions naming a model. */
static void
print_referrers(struct strbuf *sb, struct kube *k, const char *ns,
    const char *name)
{
	static const char *const kinds[] = { "MaaSAuthPolicy",
	    "MaaSSubscription", NULL };
	const cJSON	*it;
	cJSON		*list;
	int		 i, n = 0;

	for (i = 0; kinds[i] != NULL; i++) {
		list = list_all(k, MAAS_GROUP, kinds[i], NULL);
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(list,
		    "items")) {
			if (!refs_model(it, ns, name))
				continue;
			if (n++ == 0) {
				wr(sb, 0, "Referenced By:\n");
				wr(sb, 1, "Kind\tName\tPhase\n");
				wr(sb, 1, "----\t----\t-----\n");
			}
			wr(sb, 1, "%s\t%s/%s\t%s\n", kinds[i],
			    json_str(it, "metadata.namespace"),
			    json_str(it, "metadata.name"), phase_of(it));
		}
		cJSON_Delete(list);
	}
	if (n == 0)
		wr(sb, 0, "Referenced By:\t<none>\n");
}

/* "Generated Policies:" the TokenRateLimitPolicies (and per-model
 * AuthPolicies) the controller labelled for a model. */
static void
print_generated(struct strbuf *sb, struct kube *k, const char *ns,
    const char *name)
{
	static const struct { const char *group, *kind; } kinds[] = {
	    { "kuadrant.io", "TokenRateLimitPolicy" },
	    { "kuadrant.io", "AuthPolicy" }, { NULL, NULL } };
	const cJSON	*it, *c;
	const char	*mns, *st;
	cJSON		*list;
	char		*sel;
	int		 i, n = 0;

	sel = xasprintf("maas.opendatahub.io/model=%s", name);
	for (i = 0; kinds[i].kind != NULL; i++) {
		list = list_all(k, kinds[i].group, kinds[i].kind, sel);
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(list,
		    "items")) {
			mns = json_str(it, "metadata.labels."
			    "maas\\.opendatahub\\.io/model-namespace");
			if (mns != NULL && strcmp(mns, ns) != 0)
				continue;
			if (n++ == 0) {
				wr(sb, 0, "Generated Policies:\n");
				wr(sb, 1, "Kind\tName\tEnforced\n");
				wr(sb, 1, "----\t----\t--------\n");
			}
			st = "Unknown";
			cJSON_ArrayForEach(c, json_path(it,
			    "status.conditions"))
				if (json_str(c, "type") != NULL &&
				    strcmp(json_str(c, "type"), "Enforced") ==
				    0 && json_str(c, "status") != NULL)
					st = json_str(c, "status");
			wr(sb, 1, "%s\t%s/%s\t%s\n", kinds[i].kind,
			    json_str(it, "metadata.namespace"),
			    json_str(it, "metadata.name"), st);
		}
		cJSON_Delete(list);
	}
	free(sel);
	if (n == 0)
		wr(sb, 0, "Generated Policies:\t<none>\n");
}

/* "Models:" of an auth policy or subscription, each with its phase. */
static void
print_models(struct strbuf *sb, struct kube *k, const cJSON *obj, int sub)
{
	struct kube_resource	 res;
	const cJSON		*r, *l;
	cJSON			*mr;
	const char		*rn, *rns, *phase;
	struct strbuf		 lim = STRBUF_INIT;
	int			 n = 0, have;

	memset(&res, 0, sizeof res);
	have = kube_resolve(k, MAAS_GROUP, "MaaSModelRef", &res, NULL) == 0;
	cJSON_ArrayForEach(r, json_path(obj, "spec.modelRefs")) {
		rn = json_str(r, "name");
		rns = json_str(r, "namespace");
		if (rn == NULL)
			continue;
		if (rns == NULL)
			rns = json_str(obj, "metadata.namespace");
		if (n++ == 0) {
			wr(sb, 0, "Models:\n");
			wr(sb, 1, sub ? "Model\tPhase\tEndpoint\tLimits\n" :
			    "Model\tPhase\tEndpoint\n");
			wr(sb, 1, sub ? "-----\t-----\t--------\t------\n" :
			    "-----\t-----\t--------\n");
		}
		mr = NULL;
		phase = "<not found>";
		if (have && kube_get(k, &res, rns, rn, &mr, NULL) == 0)
			phase = phase_of(mr);
		wr(sb, 1, "%s/%s\t%s\t%s", rns, rn, phase,
		    mr != NULL && json_str(mr, "status.endpoint") != NULL &&
		    *json_str(mr, "status.endpoint") != '\0' ?
		    json_str(mr, "status.endpoint") : "<none>");
		if (sub) {
			sb_reset(&lim);
			cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(r,
			    "tokenRateLimits")) {
				if (lim.len > 0)
					sb_addc(&lim, ',');
				add_scalar(&lim, cJSON_GetObjectItem(l,
				    "limit"));
				sb_addf(&lim, "/%s", json_str(l, "window") ?
				    json_str(l, "window") : "?");
			}
			sb_addf(sb, "\t%s", lim.len ? lim.buf : "<none>");
		}
		sb_addc(sb, '\n');
		cJSON_Delete(mr);
	}
	if (n == 0)
		wr(sb, 0, "Models:\t<none>\n");
	sb_free(&lim);
	kube_resource_free(&res);
}

/* "MaaS Model Refs:" naming an LLMInferenceService or ExternalModel. */
static void
print_modelrefs_of(struct strbuf *sb, struct kube *k, const cJSON *obj)
{
	const cJSON	*it;
	cJSON		*list;
	const char	*ns = json_str(obj, "metadata.namespace");
	const char	*name = json_str(obj, "metadata.name");
	const char	*kind = json_str(obj, "kind");
	const char	*rk, *rn, *ins;
	int		 n = 0;

	list = list_all(k, MAAS_GROUP, "MaaSModelRef", NULL);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(list,
	    "items")) {
		rk = json_str(it, "spec.modelRef.kind");
		rn = json_str(it, "spec.modelRef.name");
		ins = json_str(it, "metadata.namespace");
		if (rk == NULL || rn == NULL || ins == NULL || ns == NULL ||
		    strcmp(rk, kind) != 0 || strcmp(rn, name) != 0 ||
		    strcmp(ins, ns) != 0)
			continue;
		if (n++ == 0) {
			wr(sb, 0, "MaaS Model Refs:\n");
			wr(sb, 1, "Name\tPhase\tEndpoint\n");
			wr(sb, 1, "----\t-----\t--------\n");
		}
		wr(sb, 1, "%s/%s\t%s\t%s\n", ins, json_str(it, "metadata.name"),
		    phase_of(it), json_str(it, "status.endpoint") != NULL &&
		    *json_str(it, "status.endpoint") != '\0' ?
		    json_str(it, "status.endpoint") : "<none>");
	}
	cJSON_Delete(list);
	if (n == 0)
		wr(sb, 0, "MaaS Model Refs:\t<none>\n");
}

/* "Tiers:" parsed from the tier-to-group-mapping ConfigMap. */
static void
print_tiers(struct strbuf *sb, const cJSON *cm)
{
	const char	*src = json_str(cm, "data.tiers");
	const cJSON	*t, *g;
	struct strbuf	 groups = STRBUF_INIT;
	struct err	 e = ERR_INIT;
	cJSON		*tiers;

	if (src == NULL)
		return;
	if ((tiers = yaml_parse(src, strlen(src), &e)) == NULL ||
	    !cJSON_IsArray(tiers)) {
		wr(sb, 0, "Tiers:\t<invalid: %s>\n", e.msg ? e.msg :
		    "not a list");
		err_clear(&e);
		cJSON_Delete(tiers);
		return;
	}
	wr(sb, 0, "Tiers:\n");
	wr(sb, 1, "Name\tLevel\tDisplay Name\tGroups\n");
	wr(sb, 1, "----\t-----\t------------\t------\n");
	cJSON_ArrayForEach(t, tiers) {
		sb_reset(&groups);
		cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(t,
		    "groups"))
			if (cJSON_IsString(g))
				sb_addf(&groups, "%s%s", groups.len ? "," : "",
				    g->valuestring);
		wr(sb, 1, "%s\t%.0f\t%s\t%s\n", json_str(t, "name") ?
		    json_str(t, "name") : "<none>", json_num(t, "level", 0),
		    json_str(t, "displayName") ? json_str(t, "displayName") :
		    "<none>", groups.len ? groups.buf : "<none>");
	}
	sb_free(&groups);
	cJSON_Delete(tiers);
}

/* The describers. */

static void
describe_configmap(struct strbuf *sb, struct kube *k, const cJSON *cm)
{
	const cJSON	**f, *bd;
	size_t		 n, i, len;
	char		*dec;

	wr(sb, 0, "Name:\t%s\n", json_str(cm, "metadata.name"));
	wr(sb, 0, "Namespace:\t%s\n", json_str(cm, "metadata.namespace") ?
	    json_str(cm, "metadata.namespace") : "");
	print_labels(sb, "Labels", json_path(cm, "metadata.labels"));
	print_annotations(sb, "Annotations", json_path(cm,
	    "metadata.annotations"));
	wr(sb, 0, "\nData\n====\n");
	f = sorted_members(json_path(cm, "data"), &n);
	for (i = 0; i < n; i++) {
		wr(sb, 0, "%s:\n----\n", f[i]->string);
		wr(sb, 0, "%s\n\n", cJSON_IsString(f[i]) ?
		    f[i]->valuestring : "");
	}
	free(f);
	wr(sb, 0, "\nBinaryData\n====\n");
	bd = json_path(cm, "binaryData");
	f = sorted_members(bd, &n);
	for (i = 0; i < n; i++) {
		/* base64: 4 characters per 3 bytes, minus the padding. */
		dec = cJSON_IsString(f[i]) ? f[i]->valuestring : "";
		len = strlen(dec) / 4 * 3;
		if (len > 0 && strlen(dec) >= 1 && dec[strlen(dec) - 1] == '=')
			len--;
		if (len > 0 && strlen(dec) >= 2 && dec[strlen(dec) - 2] == '=')
			len--;
		wr(sb, 0, "%s: %zu bytes\n", f[i]->string, len);
	}
	free(f);
	wr(sb, 0, "\n");
	if (json_str(cm, "data.tiers") != NULL &&
	    strcmp(json_str(cm, "metadata.name"), "tier-to-group-mapping") ==
	    0)
		print_tiers(sb, cm);
	if (D.show_events)
		print_events(sb, k, cm);
}

static void
describe_generic(struct strbuf *sb, struct kube *k,
    const struct kube_resource *res, const cJSON *obj)
{
	static const char *const skip[] = { ".metadata.managedFields",
	    ".metadata.name", ".metadata.namespace", ".metadata.labels",
	    ".metadata.annotations", NULL };
	const char	*kind = res->kind;
	const char	*ns = json_str(obj, "metadata.namespace");
	const char	*name = json_str(obj, "metadata.name");
	int		 maas = strcmp(res->group, MAAS_GROUP) == 0;

	wr(sb, 0, "Name:\t%s\n", name ? name : "");
	wr(sb, 0, "Namespace:\t%s\n", ns ? ns : "");
	print_labels(sb, "Labels", json_path(obj, "metadata.labels"));
	print_annotations(sb, "Annotations", json_path(obj,
	    "metadata.annotations"));
	print_content(sb, 0, obj, "", skip);
	if (maas && strcmp(kind, "MaaSModelRef") == 0 && ns && name) {
		print_referrers(sb, k, ns, name);
		print_generated(sb, k, ns, name);
	} else if (maas && strcmp(kind, "MaaSAuthPolicy") == 0)
		print_models(sb, k, obj, 0);
	else if (maas && strcmp(kind, "MaaSSubscription") == 0)
		print_models(sb, k, obj, 1);
	else if (strcmp(kind, "LLMInferenceService") == 0 ||
	    strcmp(kind, "ExternalModel") == 0)
		print_modelrefs_of(sb, k, obj);
	if (D.show_events)
		print_events(sb, k, obj);
}

char *
describe_object(struct kube *k, const struct kube_resource *res,
    const cJSON *obj)
{
	struct strbuf	 sb = STRBUF_INIT;
	char		*out;

	if (*res->group == '\0' && strcmp(res->kind, "ConfigMap") == 0)
		describe_configmap(&sb, k, obj);
	else
		describe_generic(&sb, k, res, obj);
	out = tabwrite(sb.buf != NULL ? sb.buf : "");
	sb_free(&sb);
	return out;
}

static const struct opt describe_opts[] = {
	{ "selector", 'l', OPT_STR, &D.selector, "SELECTOR",
	  "describe the objects whose labels match", 0, NULL, NULL, 0, 0 },
	{ "show-events", 0, OPT_BOOL, &D.show_events, NULL,
	  "list the events about each object (default true)", 0, NULL, NULL,
	  0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

/* Print one description, separated from the one before as kubectl does. */
static void
emit(struct kube *k, const struct kube_resource *res, const cJSON *obj,
    int *first)
{
	char	*s;

	s = describe_object(k, res, obj);
	if (!*first)
		fputs("\n\n", stdout);
	fputs(s, stdout);
	*first = 0;
	free(s);
}

static void
fill_kind(cJSON *it, const struct kube_resource *res)
{
	char	*av;

	if (json_str(it, "kind") == NULL)
		cJSON_AddStringToObject(it, "kind", res->kind);
	if (json_str(it, "apiVersion") == NULL) {
		av = *res->group ? xasprintf("%s/%s", res->group, res->version)
		    : xstrdup(res->version);
		cJSON_AddStringToObject(it, "apiVersion", av);
		free(av);
	}
}

static int
describe_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct kube_resource	 res;
	struct kube_list_opts	 lo;
	struct kube		*k;
	struct err		 e2 = ERR_INIT;
	const char		*ns, *slash;
	char			*type = NULL;
	cJSON			*list = NULL, *obj, *it;
	int			 i, first = 1, failed = 0, ret = -1, start = 1;

	memset(&res, 0, sizeof res);
	if ((k = ctx_kube(ctx, e)) == NULL)
		return -1;
	if ((slash = strchr(argv[0], '/')) != NULL) {
		type = xstrndup(argv[0], (size_t)(slash - argv[0]));
		start = 0;
		if (slash[1] == '\0') {
			err_set_raw(e, EXIT_USAGE, "error: arguments in "
			    "resource/name form must have a single resource and "
			    "name");
			goto out;
		}
	} else
		type = xstrdup(argv[0]);
	for (i = 1; start == 0 && i < argc; i++)
		if (strchr(argv[i], '/') == NULL) {
			err_set_raw(e, EXIT_USAGE, "error: there is no need to "
			    "specify a resource type as a separate argument "
			    "when passing arguments in resource/name form (e.g. "
			    "'maasctl get resource/<resource_name>' instead of "
			    "'maasctl get resource resource/<resource_name>'");
			goto out;
		}
	if (resource_resolve(k, type, &res, e) != 0)
		goto out;
	ns = !res.namespaced ? NULL : ctx->g.all_namespaces && argc == 1 ?
	    NULL : ctx_namespace(ctx);
	if (argc == 1 && start == 1) {
		memset(&lo, 0, sizeof lo);
		lo.label_selector = D.selector;
		if (kube_list(k, &res, ns, &lo, &list, e) != 0)
			goto out;
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(list,
		    "items")) {
			fill_kind(it, &res);
			emit(k, &res, it, &first);
		}
		if (first) {
			if (ns != NULL)
				fprintf(stderr, "No resources found in %s "
				    "namespace.\n", ns);
			else
				fprintf(stderr, "No resources found\n");
		}
		ret = 0;
		goto out;
	}
	for (i = start; i < argc; i++) {
		const char *name = argv[i];

		if (start == 0) {
			slash = strchr(argv[i], '/');
			if (i > 0) {
				char *t2 = xstrndup(argv[i],
				    (size_t)(slash - argv[i]));

				kube_resource_free(&res);
				memset(&res, 0, sizeof res);
				if (resource_resolve(k, t2, &res, e) != 0) {
					free(t2);
					goto out;
				}
				free(t2);
			}
			name = slash + 1;
		}
		obj = NULL;
		if (kube_get(k, &res, res.namespaced ? ctx_namespace(ctx) :
		    NULL, name, &obj, &e2) != 0) {
			if (e2.code == EXIT_AUTH || e2.code >= EXIT_UNREACHABLE) {
				err_move(e, &e2);
				goto out;
			}
			if (failed) {
				char *s = err_format(e);

				fputs(s, stderr);
				free(s);
			}
			err_move(e, &e2);
			failed = 1;
			continue;
		}
		fill_kind(obj, &res);
		emit(k, &res, obj, &first);
		cJSON_Delete(obj);
	}
	ret = failed ? -1 : 0;
out:
	fflush(stdout);
	cJSON_Delete(list);
	kube_resource_free(&res);
	free(type);
	return ret;
}

static int
describe_complete(struct ctx *ctx, int pos, const char *word,
    struct strlist *out)
{
	if (pos == 0)
		return resource_complete_typed(ctx, word, out);
	return 0;
}

const struct command cmd_describe = {
	.name = "describe",
	.summary = "Show an object's fields, conditions, related objects and "
	    "events",
	.usage = "KIND [NAME...] | KIND/NAME... [-l SELECTOR] [-A]",
	.opts = describe_opts,
	.run = describe_run,
	.flags = CMD_NEEDS_KUBE,
	.complete = describe_complete,
	.min_args = 1,
	.max_args = -1,
};
