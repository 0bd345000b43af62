/*
 * output.c: the -o printers, ported from kubectl's cli-runtime printers
 * (tableprinter.go, tabwriter.go, json.go, yaml.go, name.go, jsonpath.go,
 * customcolumn.go) and kubectl get's list wrapping, writing to the FILE
 * the caller gives.  The table layout is Go's text/tabwriter as kubectl
 * configures it: minwidth 6, padding 3, padded with spaces.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "jsonpath.h"
#include "output.h"
#include "rfc3339.h"
#include "xalloc.h"
#include "yaml.h"

#define TW_MINWIDTH	6
#define TW_PADDING	3

static const char *allowed_formats =
    "custom-columns,custom-columns-file,json,jsonpath,jsonpath-as-json,"
    "jsonpath-file,name,table,wide,yaml";

/* ---- tabwriter ---- */

struct tw {
	char		***lines;
	size_t		  n;
	size_t		 *widths;
	size_t		  nw;
	struct strbuf	 *sb;
};

static size_t
ncells(char **line)
{
	size_t	 k = 0;

	while (line[k] != NULL)
		k++;
	return k;
}

/* Width in runes (utf8.RuneCount). */
static size_t
runewidth(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return n;
}

static void
tw_write_lines(struct tw *t, size_t l0, size_t l1)
{
	size_t	 i, j, k, w;

	for (i = l0; i < l1; i++) {
		k = ncells(t->lines[i]);
		for (j = 0; j < k; j++) {
			sb_adds(t->sb, t->lines[i][j]);
			if (j < t->nw) {
				w = runewidth(t->lines[i][j]);
				for (; w < t->widths[j]; w++)
					sb_addc(t->sb, ' ');
			}
		}
		sb_addc(t->sb, '\n');
	}
}

/* text/tabwriter's format(): column blocks, widths pushed per column. */
static void
tw_format(struct tw *t, size_t line0, size_t line1)
{
	size_t	 column = t->nw, this, width, w;

	for (this = line0; this < line1; this++) {
		if (column + 1 >= ncells(t->lines[this]))
			continue;
		tw_write_lines(t, line0, this);
		line0 = this;
		width = TW_MINWIDTH;
		for (; this < line1; this++) {
			if (column + 1 >= ncells(t->lines[this]))
				break;
			w = runewidth(t->lines[this][column]) + TW_PADDING;
			if (w > width)
				width = w;
		}
		t->widths = xrealloc(t->widths, (t->nw + 1) * sizeof *t->widths);
		t->widths[t->nw++] = width;
		tw_format(t, line0, this);
		t->nw--;
		line0 = this;
	}
	tw_write_lines(t, line0, line1);
}

void
output_tabwrite(struct strbuf *sb, char ***lines, size_t nlines)
{
	struct tw	 t;

	memset(&t, 0, sizeof t);
	t.lines = lines;
	t.n = nlines;
	t.sb = sb;
	tw_format(&t, 0, nlines);
	free(t.widths);
}

/* Lines of owned cells, for building a table before laying it out. */
struct lines {
	char	***v;
	size_t	   n;
	size_t	   cap;
};

static void
lines_add(struct lines *l, struct strlist *cells)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	if (cells->v == NULL)
		cells->v = xcalloc(1, sizeof *cells->v);
	l->v[l->n++] = cells->v;
	memset(cells, 0, sizeof *cells);
}

static void
lines_write(struct lines *l, FILE *out)
{
	struct strbuf	 sb = STRBUF_INIT;

	sb_init(&sb);
	output_tabwrite(&sb, l->v, l->n);
	fwrite(sb.buf, 1, sb.len, out);
	sb_free(&sb);
}

static void
lines_free(struct lines *l)
{
	struct strlist	 sl;
	size_t		 i;

	for (i = 0; i < l->n; i++) {
		sl.v = l->v[i];
		sl.n = ncells(l->v[i]);
		sl.cap = sl.n + 1;
		sl_free(&sl);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* ---- durations and ages ---- */

char *
output_human_duration(double secs)
{
	long long	 s = (long long)secs, m, h, d;

	if (s < -1)
		return xstrdup("<invalid>");
	if (s < 0)
		return xstrdup("0s");
	if (s < 120)
		return xasprintf("%llds", s);
	m = s / 60;
	if (m < 10) {
		if (s % 60 == 0)
			return xasprintf("%lldm", m);
		return xasprintf("%lldm%llds", m, s % 60);
	}
	if (m < 60 * 3)
		return xasprintf("%lldm", m);
	h = s / 3600;
	if (h < 8) {
		if (m % 60 == 0)
			return xasprintf("%lldh", h);
		return xasprintf("%lldh%lldm", h, m % 60);
	}
	if (h < 48)
		return xasprintf("%lldh", h);
	if (h < 24 * 8) {
		if (h % 24 == 0)
			return xasprintf("%lldd", h / 24);
		return xasprintf("%lldd%lldh", h / 24, h % 24);
	}
	if (h < 24 * 365 * 2)
		return xasprintf("%lldd", h / 24);
	if (h < 24 * 365 * 8) {
		d = (h / 24) % 365;
		if (d == 0)
			return xasprintf("%lldy", h / 24 / 365);
		return xasprintf("%lldy%lldd", h / 24 / 365, d);
	}
	return xasprintf("%lldy", h / 24 / 365);
}

char *
output_age(const char *ts, time_t now)
{
	double	 t;

	if (ts == NULL || *ts == '\0')
		return xstrdup("<unknown>");
	if (rfc3339_parse(ts, &t) == -1)
		return xstrdup("<invalid>");
	if (now == 0)
		now = time(NULL);
	return output_human_duration((double)now - t);
}

/* ---- parsing -o ---- */

static void
columns_free(struct output *o)
{
	size_t	 i;

	for (i = 0; i < o->ncols; i++) {
		free(o->cols[i].header);
		free(o->cols[i].spec);
		jsonpath_free(o->cols[i].jp);
	}
	free(o->cols);
	o->cols = NULL;
	o->ncols = 0;
}

static int
read_file(const char *path, struct strbuf *sb, struct err *e, const char *what)
{
	FILE	*f;
	char	 buf[4096], *why;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL) {
		why = xstrdup(strerror(errno));
		why[0] = (char)tolower((unsigned char)why[0]);
		err_set_raw(e, EXIT_USAGE, "error: error reading %s %s, open "
		    "%s: %s", what, path, path, why);
		free(why);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(sb, buf, n);
	fclose(f);
	return 0;
}

/* RelaxedJSONPathExpression: "a.b", ".a.b", "{a.b}", "{.a.b}" -> "{.a.b}". */
static char *
relaxed_path(const char *s, struct err *e)
{
	size_t	 n = strlen(s);
	const char *b = s;

	if (n == 0)
		return xstrdup("");
	if (s[0] == '{' && n >= 2 && s[n - 1] == '}') {
		b = s + 1;
		n -= 2;
		if (n > 0 && *b == '.') {
			b++;
			n--;
		}
	} else if (*b == '.') {
		b++;
		n--;
	}
	if (n == 0 || memchr(b, '{', n) != NULL || memchr(b, '}', n) != NULL) {
		err_set_raw(e, EXIT_USAGE, "error: unexpected path string, "
		    "expected a 'name1.name2' or '.name1.name2' or "
		    "'{name1.name2}' or '{.name1.name2}'");
		return NULL;
	}
	return xasprintf("{.%.*s}", (int)n, b);
}

static int
add_column(struct output *o, const char *header, size_t hlen,
    const char *path, struct err *e)
{
	struct output_column	*c;
	char			*spec;

	if ((spec = relaxed_path(path, e)) == NULL)
		return -1;
	o->cols = xrealloc(o->cols, (o->ncols + 1) * sizeof *o->cols);
	c = &o->cols[o->ncols];
	c->header = xstrndup(header, hlen);
	c->spec = spec;
	if ((c->jp = jsonpath_parse(spec, e)) == NULL) {
		free(c->header);
		free(c->spec);
		return -1;
	}
	jsonpath_allow_missing_keys(c->jp, 1);
	o->ncols++;
	return 0;
}

static int
parse_columns_spec(struct output *o, const char *spec, struct err *e)
{
	const char	*p, *comma, *colon, *end;

	if (*spec == '\0')
		return err_set_raw(e, EXIT_USAGE, "error: custom-columns format "
		    "specified but no custom columns given");
	for (p = spec;; p = comma + 1) {
		comma = strchr(p, ',');
		end = comma != NULL ? comma : p + strlen(p);
		colon = memchr(p, ':', (size_t)(end - p));
		if (colon == NULL)
			return err_set_raw(e, EXIT_USAGE, "error: unexpected "
			    "custom-columns spec: %.*s, expected <header>:"
			    "<json-path-expr>", (int)(end - p), p);
		{
			char	*path = xstrndup(colon + 1,
			    (size_t)(end - colon - 1));
			int	 rc = add_column(o, p, (size_t)(colon - p), path,
			    e);

			free(path);
			if (rc == -1)
				return -1;
		}
		if (comma == NULL)
			break;
	}
	return 0;
}

/* Split on runs of whitespace (strings.Fields). */
static void
fields(const char *s, size_t len, struct strlist *out)
{
	size_t	 i = 0, b;

	while (i < len) {
		while (i < len && isspace((unsigned char)s[i]))
			i++;
		b = i;
		while (i < len && !isspace((unsigned char)s[i]))
			i++;
		if (i > b)
			sl_take(out, xstrndup(s + b, i - b));
	}
}

static int
parse_columns_file(struct output *o, const char *path, struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	struct strlist	 heads = STRLIST_INIT, specs = STRLIST_INIT;
	const char	*l1, *l2, *nl;
	size_t		 i;
	int		 rc = -1;

	sb_init(&sb);
	if (read_file(path, &sb, e, "template") == -1)
		goto out;
	l1 = sb.buf;
	if (sb.len == 0) {
		err_set_raw(e, EXIT_USAGE, "error: invalid template, missing "
		    "header line. Expected format is one line of space separated "
		    "headers, one line of space separated column specs.");
		goto out;
	}
	nl = strchr(l1, '\n');
	fields(l1, nl != NULL ? (size_t)(nl - l1) : strlen(l1), &heads);
	if (nl == NULL || nl[1] == '\0') {
		err_set_raw(e, EXIT_USAGE, "error: invalid template, missing "
		    "spec line. Expected format is one line of space separated "
		    "headers, one line of space separated column specs.");
		goto out;
	}
	l2 = nl + 1;
	nl = strchr(l2, '\n');
	fields(l2, nl != NULL ? (size_t)(nl - l2) : strlen(l2), &specs);
	if (heads.n != specs.n) {
		err_set_raw(e, EXIT_USAGE, "error: number of headers (%zu) and "
		    "field specifications (%zu) don't match", heads.n, specs.n);
		goto out;
	}
	for (i = 0; i < heads.n; i++) {
		if (add_column(o, heads.v[i], strlen(heads.v[i]), specs.v[i],
		    e) == -1)
			goto out;
	}
	rc = 0;
out:
	sl_free(&heads);
	sl_free(&specs);
	sb_free(&sb);
	return rc;
}

static int
parse_jsonpath(struct output *o, const char *fmt, const char *value,
    struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;

	if (*value == '\0')
		return err_set_raw(e, EXIT_USAGE, "error: template format "
		    "specified but no template given");
	sb_init(&sb);
	if (strcmp(fmt, "jsonpath-file") == 0) {
		if (read_file(value, &sb, e, "--template") == -1) {
			sb_free(&sb);
			return -1;
		}
	} else
		sb_adds(&sb, value);
	o->jp = jsonpath_parse(sb.buf, e);
	sb_free(&sb);
	if (o->jp == NULL)
		return -1;
	jsonpath_allow_missing_keys(o->jp, 1);
	jsonpath_output_json(o->jp, strcmp(fmt, "jsonpath-as-json") == 0);
	o->format = OUTPUT_JSONPATH;
	return 0;
}

int
output_parse(struct output *o, const char *spec, struct err *e)
{
	const char	*eq;
	char		*fmt;
	int		 rc = 0;

	memset(o, 0, sizeof *o);
	o->format = OUTPUT_TABLE;
	if (spec == NULL || *spec == '\0' || strcmp(spec, "table") == 0)
		return 0;
	if (strcmp(spec, "wide") == 0) {
		o->format = OUTPUT_WIDE;
		return 0;
	}
	if (strcmp(spec, "json") == 0) {
		o->format = OUTPUT_JSON;
		return 0;
	}
	if (strcmp(spec, "yaml") == 0) {
		o->format = OUTPUT_YAML;
		return 0;
	}
	if (strcmp(spec, "name") == 0) {
		o->format = OUTPUT_NAME;
		return 0;
	}
	eq = strchr(spec, '=');
	fmt = eq != NULL ? xstrndup(spec, (size_t)(eq - spec)) : xstrdup(spec);
	eq = eq != NULL ? eq + 1 : "";
	if (strcmp(fmt, "jsonpath") == 0 || strcmp(fmt, "jsonpath-file") == 0 ||
	    strcmp(fmt, "jsonpath-as-json") == 0)
		rc = parse_jsonpath(o, fmt, eq, e);
	else if (strcmp(fmt, "custom-columns") == 0) {
		o->format = OUTPUT_CUSTOM_COLUMNS;
		rc = parse_columns_spec(o, eq, e);
	} else if (strcmp(fmt, "custom-columns-file") == 0) {
		o->format = OUTPUT_CUSTOM_COLUMNS;
		if (*eq == '\0')
			rc = err_set_raw(e, EXIT_USAGE, "error: custom-columns "
			    "format specified but no custom columns given");
		else
			rc = parse_columns_file(o, eq, e);
	} else
		rc = err_set_raw(e, EXIT_USAGE, "error: unable to match a "
		    "printer suitable for the output format \"%s\", allowed "
		    "formats are: %s", spec, allowed_formats);
	free(fmt);
	if (rc == -1)
		output_free(o);
	return rc;
}

void
output_free(struct output *o)
{
	jsonpath_free(o->jp);
	o->jp = NULL;
	columns_free(o);
	sl_free(&o->label_columns);
}

int
output_is_table(const struct output *o)
{
	return o->format == OUTPUT_TABLE || o->format == OUTPUT_WIDE;
}

/* ---- object helpers ---- */

static const char *
str_member(const cJSON *o, const char *k)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const cJSON *
metadata(const cJSON *obj)
{
	const cJSON	*m = cJSON_GetObjectItemCaseSensitive(obj, "metadata");

	return cJSON_IsObject(m) ? m : NULL;
}

static int
is_table(const cJSON *obj)
{
	const char	*k = str_member(obj, "kind");

	return k != NULL && strcmp(k, "Table") == 0 &&
	    cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(obj,
	    "columnDefinitions"));
}

static int
is_list(const cJSON *obj)
{
	const char	*k = str_member(obj, "kind");
	size_t		 n;

	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(obj, "items")))
		return 0;
	if (k == NULL)
		return 1;
	n = strlen(k);
	return n >= 4 && strcmp(k + n - 4, "List") == 0;
}

cJSON *
output_wrap_list(const cJSON *list)
{
	const cJSON	*it;
	cJSON		*w, *items, *c, *meta;
	const char	*lk = str_member(list, "kind");
	const char	*lv = str_member(list, "apiVersion");
	char		*ik = NULL;

	if (lk != NULL && strlen(lk) > 4 && strcmp(lk + strlen(lk) - 4,
	    "List") == 0 && strcmp(lk, "List") != 0)
		ik = xstrndup(lk, strlen(lk) - 4);
	if ((w = cJSON_CreateObject()) == NULL ||
	    (items = cJSON_CreateArray()) == NULL ||
	    (meta = cJSON_CreateObject()) == NULL)
		abort();
	cJSON_AddStringToObject(w, "apiVersion", "v1");
	cJSON_AddItemToObject(w, "items", items);
	cJSON_AddStringToObject(w, "kind", "List");
	cJSON_AddStringToObject(meta, "resourceVersion", "");
	cJSON_AddItemToObject(w, "metadata", meta);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(list, "items")) {
		if ((c = cJSON_Duplicate(it, 1)) == NULL)
			abort();
		if (cJSON_IsObject(c) && ik != NULL &&
		    cJSON_GetObjectItemCaseSensitive(c, "kind") == NULL)
			cJSON_AddStringToObject(c, "kind", ik);
		if (cJSON_IsObject(c) && lv != NULL &&
		    cJSON_GetObjectItemCaseSensitive(c, "apiVersion") == NULL)
			cJSON_AddStringToObject(c, "apiVersion", lv);
		cJSON_AddItemToArray(items, c);
	}
	free(ik);
	return w;
}

/* A copy without metadata.managedFields (kubectl hides them by default). */
static void
strip_managed(cJSON *obj)
{
	cJSON	*m, *it;

	if (!cJSON_IsObject(obj))
		return;
	if ((m = cJSON_GetObjectItemCaseSensitive(obj, "metadata")) != NULL &&
	    cJSON_IsObject(m))
		cJSON_DeleteItemFromObjectCaseSensitive(m, "managedFields");
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(obj, "items"))
		strip_managed(it);
}

/* The object the generic printers see: lists wrapped, a copy. */
static cJSON *
generic_object(const struct output *o, const cJSON *obj)
{
	cJSON	*c;

	if (is_list(obj))
		c = output_wrap_list(obj);
	else if ((c = cJSON_Duplicate(obj, 1)) == NULL)
		abort();
	if (!o->show_managed_fields)
		strip_managed(c);
	return c;
}

/* ---- -o name ---- */

static void
group_of(const char *api_version, struct strbuf *sb)
{
	const char	*slash;

	if (api_version == NULL)
		return;
	if ((slash = strchr(api_version, '/')) != NULL)
		sb_add(sb, api_version, (size_t)(slash - api_version));
}

static int
name_line(struct strbuf *sb, const cJSON *obj, const char *operation,
    const struct output_ctx *ctx, struct err *e)
{
	struct strbuf	 group = STRBUF_INIT;
	const char	*kind = str_member(obj, "kind"), *name = NULL;
	const char	*p;

	if (metadata(obj) != NULL)
		name = str_member(metadata(obj), "name");
	if (name == NULL || *name == '\0')
		name = "<unknown>";
	sb_init(&group);
	if (kind != NULL && *kind != '\0')
		group_of(str_member(obj, "apiVersion"), &group);
	else if (ctx != NULL && ctx->kind != NULL) {
		kind = ctx->kind;
		if (ctx->group != NULL)
			sb_adds(&group, ctx->group);
	} else {
		sb_free(&group);
		return err_set(e, EXIT_ERR, "cannot print %s as -o name: the "
		    "object has no apiVersion or kind", name);
	}
	for (p = kind; *p != '\0'; p++)
		sb_addc(sb, tolower((unsigned char)*p));
	if (group.len > 0)
		sb_addf(sb, ".%s", group.buf);
	sb_addf(sb, "/%s", name);
	if (operation != NULL)
		sb_addf(sb, " %s", operation);
	sb_addc(sb, '\n');
	sb_free(&group);
	return 0;
}

int
output_name(FILE *out, const cJSON *obj, const char *operation,
    const struct output_ctx *ctx, struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	const cJSON	*it;

	sb_init(&sb);
	if (is_list(obj)) {
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(obj,
		    "items")) {
			if (name_line(&sb, it, operation, ctx, e) == -1)
				goto fail;
		}
	} else if (name_line(&sb, obj, operation, ctx, e) == -1)
		goto fail;
	fwrite(sb.buf, 1, sb.len, out);
	sb_free(&sb);
	return 0;
fail:
	sb_free(&sb);
	return -1;
}

/* ---- tables ---- */

static const char *
ns_phrase(const struct output_ctx *ctx)
{
	return ctx != NULL && ctx->namespace != NULL && *ctx->namespace != '\0' ?
	    ctx->namespace : NULL;
}

static void
no_resources(const struct output_ctx *ctx, FILE *errfp)
{
	const char	*ns = ns_phrase(ctx);

	if (errfp == NULL)
		errfp = stderr;
	if (ns != NULL)
		fprintf(errfp, "No resources found in %s namespace.\n", ns);
	else
		fprintf(errfp, "No resources found\n");
}

/* printers.EscapeTerminal */
static void
add_escaped(struct strbuf *sb, const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\x1b')
			sb_adds(sb, "^[");
		else if (s[i] == '\r')
			sb_adds(sb, "\\r");
		else
			sb_addc(sb, s[i]);
	}
}

/* A Table cell as printTable writes it. */
static char *
cell_text(const cJSON *c)
{
	struct strbuf	 sb = STRBUF_INIT, raw = STRBUF_INIT;
	size_t		 n;

	sb_init(&sb);
	if (c == NULL || cJSON_IsNull(c))
		return sb_detach(&sb);
	if (cJSON_IsString(c)) {
		n = strcspn(c->valuestring, "\f\n\r");
		add_escaped(&sb, c->valuestring, n);
		if (c->valuestring[n] != '\0')
			sb_adds(&sb, "...");
		return sb_detach(&sb);
	}
	sb_init(&raw);
	jsonpath_sprint(&raw, c);
	add_escaped(&sb, raw.buf, raw.len);
	sb_free(&raw);
	return sb_detach(&sb);
}

/* labels.FormatLabels: sorted k=v joined by ",", or "<none>". */
static char *
format_labels(const cJSON *labels)
{
	struct strlist	 kv = STRLIST_INIT;
	struct strbuf	 sb = STRBUF_INIT;
	const cJSON	*l;
	size_t		 i;

	cJSON_ArrayForEach(l, labels) {
		if (l->string != NULL)
			sl_addf(&kv, "%s=%s", l->string,
			    cJSON_IsString(l) ? l->valuestring : "");
	}
	if (kv.n == 0) {
		sl_free(&kv);
		return xstrdup("<none>");
	}
	sl_sort(&kv);
	sb_init(&sb);
	for (i = 0; i < kv.n; i++) {
		if (i > 0)
			sb_addc(&sb, ',');
		sb_adds(&sb, kv.v[i]);
	}
	sl_free(&kv);
	return sb_detach(&sb);
}

/* One column of a Table after decoration. */
struct tcol {
	char	*name;		/* upper-cased header */
	int	 hidden;	/* priority != 0 and not wide */
	int	 is_name;	/* format "name", type "string" */
};

/* Print a meta.k8s.io Table as kubectl's decorateTable + printTable do. */
static int
print_table(struct output *o, const cJSON *table, const struct output_ctx *ctx,
    FILE *out, FILE *errfp)
{
	struct lines	 lines = { NULL, 0, 0 };
	struct strlist	 cells = STRLIST_INIT;
	struct tcol	*cols = NULL;
	const cJSON	*defs, *rows, *row, *c, *obj, *meta, *labels;
	const char	*p, *slash;
	char		*s, *kindpfx = NULL;
	size_t		 ncols = 0, ndefs, i, k, nrows, width;
	int		 wide = o->format == OUTPUT_WIDE, name_col = -1;
	struct strbuf	 sb = STRBUF_INIT;

	defs = cJSON_GetObjectItemCaseSensitive(table, "columnDefinitions");
	rows = cJSON_GetObjectItemCaseSensitive(table, "rows");
	nrows = cJSON_IsArray(rows) ? (size_t)cJSON_GetArraySize(rows) : 0;
	if (nrows == 0) {
		no_resources(ctx, errfp);
		return 0;
	}
	ndefs = (size_t)cJSON_GetArraySize(defs);
	width = ndefs + o->label_columns.n + (o->show_namespace ? 1 : 0) +
	    (o->show_labels ? 1 : 0);
	cols = xcalloc(width, sizeof *cols);
	if (o->show_namespace)
		cols[ncols++].name = xstrdup("NAMESPACE");
	cJSON_ArrayForEach(c, defs) {
		const char	*n = str_member(c, "name");
		const char	*fmtv = str_member(c, "format");
		const char	*type = str_member(c, "type");
		const cJSON	*pr = cJSON_GetObjectItemCaseSensitive(c,
				    "priority");

		sb_init(&sb);
		for (p = n != NULL ? n : ""; *p != '\0'; p++)
			sb_addc(&sb, toupper((unsigned char)*p));
		cols[ncols].name = sb_detach(&sb);
		cols[ncols].hidden = !wide && cJSON_IsNumber(pr) &&
		    pr->valuedouble != 0;
		if (o->show_kind && name_col == -1 && fmtv != NULL &&
		    strcmp(fmtv, "name") == 0 && type != NULL &&
		    strcmp(type, "string") == 0)
			name_col = (int)(ncols - (o->show_namespace ? 1 : 0));
		ncols++;
	}
	for (i = 0; i < o->label_columns.n; i++) {
		slash = strrchr(o->label_columns.v[i], '/');
		p = slash != NULL ? slash + 1 : o->label_columns.v[i];
		sb_init(&sb);
		for (; *p != '\0'; p++)
			sb_addc(&sb, toupper((unsigned char)*p));
		cols[ncols++].name = sb_detach(&sb);
	}
	if (o->show_labels)
		cols[ncols++].name = xstrdup("LABELS");
	if (name_col != -1 && ctx != NULL && ctx->kind != NULL) {
		sb_init(&sb);
		for (p = ctx->kind; *p != '\0'; p++)
			sb_addc(&sb, tolower((unsigned char)*p));
		if (ctx->group != NULL && *ctx->group != '\0')
			sb_addf(&sb, ".%s", ctx->group);
		kindpfx = sb_detach(&sb);
	} else
		name_col = -1;

	if (!o->no_headers) {
		for (i = 0; i < ncols; i++) {
			if (!cols[i].hidden)
				sl_add(&cells, cols[i].name);
		}
		lines_add(&lines, &cells);
	}

	cJSON_ArrayForEach(row, rows) {
		struct strlist	 dec = STRLIST_INIT;
		const cJSON	*rc = cJSON_GetObjectItemCaseSensitive(row,
				    "cells");
		size_t		 nnil;

		obj = cJSON_GetObjectItemCaseSensitive(row, "object");
		meta = cJSON_IsObject(obj) ? metadata(obj) : NULL;
		if (o->show_namespace)
			sl_add(&dec, meta != NULL && str_member(meta,
			    "namespace") != NULL ? str_member(meta,
			    "namespace") : "");
		k = 0;
		cJSON_ArrayForEach(c, rc) {
			s = cell_text(c);
			if ((int)k == name_col && kindpfx != NULL) {
				sl_addf(&dec, "%s/%s", kindpfx, s);
				free(s);
			} else
				sl_take(&dec, s);
			k++;
		}
		if (meta == NULL && (o->show_namespace || name_col != -1 ||
		    o->label_columns.n > 0 || o->show_labels)) {
			/* kubectl's loop re-reads the growing length */
			for (nnil = 0; nnil + dec.n < width; nnil++)
				sl_add(&dec, "");
		} else if (meta != NULL && (o->label_columns.n > 0 ||
		    o->show_labels)) {
			labels = cJSON_GetObjectItemCaseSensitive(meta,
			    "labels");
			for (i = 0; i < o->label_columns.n; i++) {
				const char *lv = str_member(labels,
				    o->label_columns.v[i]);

				sl_add(&dec, lv != NULL ? lv : "");
			}
			if (o->show_labels)
				sl_take(&dec, format_labels(labels));
		}
		for (i = 0; i < dec.n && i < ncols; i++) {
			if (!cols[i].hidden)
				sl_add(&cells, dec.v[i]);
		}
		sl_free(&dec);
		lines_add(&lines, &cells);
	}
	lines_write(&lines, out);
	lines_free(&lines);
	for (i = 0; i < ncols; i++)
		free(cols[i].name);
	free(cols);
	free(kindpfx);
	return 0;
}

/* A Table of NAME and AGE for a list or object the server sent without
 * printer columns (kubectl computes AGE itself). */
static cJSON *
default_table(const struct output *o, const cJSON *obj)
{
	cJSON		*t, *defs, *rows, *row, *cells, *d;
	const cJSON	*it, *meta;
	char		*age;
	int		 list = is_list(obj);

	if ((t = cJSON_CreateObject()) == NULL)
		abort();
	cJSON_AddStringToObject(t, "kind", "Table");
	cJSON_AddStringToObject(t, "apiVersion", "meta.k8s.io/v1");
	defs = cJSON_AddArrayToObject(t, "columnDefinitions");
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "name", "Name");
	cJSON_AddStringToObject(d, "type", "string");
	cJSON_AddStringToObject(d, "format", "name");
	cJSON_AddItemToArray(defs, d);
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "name", "Age");
	cJSON_AddStringToObject(d, "type", "date");
	cJSON_AddItemToArray(defs, d);
	rows = cJSON_AddArrayToObject(t, "rows");
	for (it = list ? cJSON_GetObjectItemCaseSensitive(obj, "items")->child :
	    obj; it != NULL; it = list ? it->next : NULL) {
		meta = metadata(it);
		row = cJSON_CreateObject();
		cells = cJSON_AddArrayToObject(row, "cells");
		cJSON_AddItemToArray(cells, cJSON_CreateString(meta != NULL &&
		    str_member(meta, "name") != NULL ? str_member(meta, "name") :
		    ""));
		age = output_age(meta != NULL ? str_member(meta,
		    "creationTimestamp") : NULL, o->now);
		cJSON_AddItemToArray(cells, cJSON_CreateString(age));
		free(age);
		cJSON_AddItemToObject(row, "object", cJSON_Duplicate(it, 1));
		cJSON_AddItemToArray(rows, row);
	}
	return t;
}

/* ---- custom columns ---- */

static int
columns_row(const struct output *o, const cJSON *obj, struct lines *lines,
    struct err *e)
{
	struct strlist	 cells = STRLIST_INIT, vals = STRLIST_INIT;
	struct strbuf	 sb = STRBUF_INIT;
	size_t		 i, k;

	for (i = 0; i < o->ncols; i++) {
		vals.n = 0;
		if (jsonpath_find_strings(o->cols[i].jp, obj, &vals, e) == -1) {
			sl_free(&vals);
			sl_free(&cells);
			return -1;
		}
		sb_init(&sb);
		if (vals.n == 0)
			sb_adds(&sb, "<none>");
		for (k = 0; k < vals.n; k++) {
			if (k > 0)
				sb_addc(&sb, ',');
			add_escaped(&sb, vals.v[k], strlen(vals.v[k]));
		}
		sl_take(&cells, sb_detach(&sb));
		sl_free(&vals);
	}
	lines_add(lines, &cells);
	return 0;
}

static int
print_columns(struct output *o, const cJSON *obj, FILE *out, struct err *e)
{
	struct lines	 lines = { NULL, 0, 0 };
	struct strlist	 cells = STRLIST_INIT;
	const cJSON	*it;
	size_t		 i;
	int		 rc = 0;

	if (!o->no_headers && o->printed == 0) {
		for (i = 0; i < o->ncols; i++)
			sl_add(&cells, o->cols[i].header);
		lines_add(&lines, &cells);
	}
	if (is_list(obj)) {
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(obj,
		    "items")) {
			if ((rc = columns_row(o, it, &lines, e)) == -1)
				break;
		}
	} else
		rc = columns_row(o, obj, &lines, e);
	if (rc == 0) {
		lines_write(&lines, out);
		o->printed++;
	}
	lines_free(&lines);
	return rc;
}

/* ---- entry point ---- */

int
output_print(struct output *o, const cJSON *obj, const struct output_ctx *ctx,
    FILE *out, FILE *errfp, struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	cJSON		*g = NULL, *t;
	char		*y;
	int		 rc = 0;

	switch (o->format) {
	case OUTPUT_TABLE:
	case OUTPUT_WIDE:
		if (is_table(obj))
			return print_table(o, obj, ctx, out, errfp);
		t = default_table(o, obj);
		rc = print_table(o, t, ctx, out, errfp);
		cJSON_Delete(t);
		return rc;
	case OUTPUT_NAME:
		return output_name(out, obj, NULL, ctx, e);
	case OUTPUT_CUSTOM_COLUMNS:
		g = generic_object(o, obj);
		rc = print_columns(o, g, out, e);
		break;
	case OUTPUT_JSON:
		g = generic_object(o, obj);
		sb_init(&sb);
		jsonpath_marshal(&sb, g, 1);
		sb_addc(&sb, '\n');
		fwrite(sb.buf, 1, sb.len, out);
		o->printed++;
		break;
	case OUTPUT_YAML:
		g = generic_object(o, obj);
		y = yaml_emit(g);
		if (o->printed > 0)
			fputs("---\n", out);
		fputs(y, out);
		free(y);
		o->printed++;
		break;
	case OUTPUT_JSONPATH:
		g = generic_object(o, obj);
		sb_init(&sb);
		if ((rc = jsonpath_execute(o->jp, g, &sb, e)) == 0) {
			fwrite(sb.buf, 1, sb.len, out);
			o->printed++;
		}
		break;
	}
	sb_free(&sb);
	cJSON_Delete(g);
	return rc;
}

/* ---- maasctl's own tables ---- */

struct output_table {
	struct strlist	  headers;
	int		 *wide;
	int		  narrow;	/* wide columns will not be printed */
	struct strlist	 *rows;
	size_t		  nrows;
	size_t		  cap;
	struct strlist	  cur;
};

struct output_table *
output_table_new(const char *const *headers, size_t n)
{
	struct output_table	*t = xcalloc(1, sizeof *t);
	size_t			 i;

	for (i = 0; i < n; i++)
		sl_add(&t->headers, headers[i]);
	t->wide = xcalloc(n + 1, sizeof *t->wide);
	return t;
}

void
output_table_wide(struct output_table *t, size_t col)
{
	if (col < t->headers.n)
		t->wide[col] = 1;
}

void
output_table_narrow(struct output_table *t)
{
	t->narrow = 1;
}

int
output_table_shows_wide(const struct output_table *t)
{
	return !t->narrow;
}

void
output_table_add_num(struct output_table *t, double v)
{
	char	 buf[32];

	/* "%.0f" without printf's multi-precision digits for the integers
	 * that fields like priority and limit hold. */
	if (v == floor(v) && fabs(v) < 9e15 && !(v == 0 && signbit(v)))
		snprintf(buf, sizeof buf, "%lld", (long long)v);
	else
		snprintf(buf, sizeof buf, "%.0f", v);
	sl_add(&t->cur, buf);
}

void
output_table_add(struct output_table *t, const char *cell)
{
	sl_add(&t->cur, cell != NULL ? cell : "<none>");
}

void
output_table_addf(struct output_table *t, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	sl_take(&t->cur, xvasprintf(fmt, ap));
	va_end(ap);
}

void
output_table_end_row(struct output_table *t)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->rows = xrealloc(t->rows, t->cap * sizeof *t->rows);
	}
	t->rows[t->nrows++] = t->cur;
	memset(&t->cur, 0, sizeof t->cur);
}

size_t
output_table_rows(const struct output_table *t)
{
	return t->nrows;
}

/* Lay the table out; the lines point at the table's own cells (no copy of
 * them is made, however many rows there are). */
void
output_table_print(const struct output_table *t, const struct output *o,
    FILE *out)
{
	struct strlist	 hdr = STRLIST_INIT;
	struct strbuf	 sb = STRBUF_INIT;
	char		***lines, **cells;
	const char	*p;
	size_t		 i, r, n = 0, k;
	int		 wide = o != NULL && o->format == OUTPUT_WIDE;

	if (t->nrows == 0)
		return;
	lines = xcalloc(t->nrows + 1, sizeof *lines);
	if (o == NULL || !o->no_headers) {
		for (i = 0; i < t->headers.n; i++) {
			if (t->wide[i] && !wide)
				continue;
			sb_init(&sb);
			for (p = t->headers.v[i]; *p != '\0'; p++)
				sb_addc(&sb, toupper((unsigned char)*p));
			sl_take(&hdr, sb_detach(&sb));
		}
		if (hdr.v == NULL)
			hdr.v = xcalloc(1, sizeof *hdr.v);
		lines[n++] = hdr.v;
	}
	for (r = 0; r < t->nrows; r++) {
		cells = xcalloc(t->rows[r].n + 1, sizeof *cells);
		for (i = k = 0; i < t->rows[r].n; i++) {
			if (i < t->headers.n && t->wide[i] && !wide)
				continue;
			cells[k++] = t->rows[r].v[i];
		}
		lines[n++] = cells;
	}
	sb_init(&sb);
	output_tabwrite(&sb, lines, n);
	fwrite(sb.buf, 1, sb.len, out);
	sb_free(&sb);
	for (i = hdr.v != NULL ? 1 : 0; i < n; i++)
		free(lines[i]);
	free(lines);
	sl_free(&hdr);
}

void
output_table_free(struct output_table *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	sl_free(&t->headers);
	free(t->wide);
	for (i = 0; i < t->nrows; i++)
		sl_free(&t->rows[i]);
	free(t->rows);
	sl_free(&t->cur);
	free(t);
}
