/*
 * promql.c: a small Prometheus HTTP API over the sandbox's retained
 * samples (metrics.c), so that `maasctl usage` takes the same code path
 * against the sandbox as against a cluster's thanos-querier.
 *
 * Served on the gateway listener: GET or POST (form-encoded)
 * /api/v1/query (query, time) and /api/v1/query_range (query, start, end,
 * step), answered in Prometheus' JSON format ({"status":"success","data":
 * {"resultType":"vector"|"matrix"|"scalar","result":[...]}} or
 * {"status":"error","errorType":"bad_data","error":"..."} with 400).
 *
 * The query language is the subset maasctl issues:
 *   expr     = agg | func | selector | number
 *   agg      = ("sum"|"count"|"min"|"max"|"avg") [by] "(" expr ")" [by]
 *            | ("topk"|"bottomk") [by] "(" number "," expr ")" [by]
 *   by       = "by" "(" [label {"," label}] ")"
 *   func     = ("increase"|"rate") "(" selector "[" duration "]" ")"
 *            | "histogram_quantile" "(" number "," expr ")"
 *   selector = metric ["{" [matcher {"," matcher}] "}"]
 *   matcher  = label ("="|"!="|"=~"|"!~") string
 * Anything else is refused with an error naming what is supported.
 * increase() is the counter's value at t minus its value at t - range
 * (series start at zero), without Prometheus' extrapolation, so totals are
 * exact; rate() is that over the range in seconds.
 */
#include <sys/queue.h>

#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>

#include "metrics.h"

#define MAX_POINTS	11000	/* per series in a range query, as Prometheus */
#define MAX_LABELS	16

enum ntype { N_NUM, N_SEL, N_FUNC, N_AGG };
enum mop { M_EQ, M_NE, M_RE, M_NRE };

struct matcher {
	char		*label;
	char		*value;
	enum mop	 op;
	regex_t		 re;		/* M_RE, M_NRE */
	int		 re_ok;
};

struct node {
	enum ntype	 type;
	double		 num;		/* N_NUM; topk k; quantile */
	char		*name;		/* metric, function or aggregation */
	struct matcher	*m;		/* N_SEL */
	size_t		 nm;
	double		 range;		/* N_SEL in a range function, seconds */
	struct strlist	 by;		/* N_AGG grouping labels */
	int		 has_by;
	struct node	*arg;		/* N_FUNC, N_AGG: the vector argument */
};

/* One element of an instant vector. */
struct elem {
	struct mlabel	 l[MAX_LABELS];	/* strings borrowed from the series
					 * or from the query's tree */
	size_t		 nl;
	const char	*metric;	/* __name__ or NULL (dropped) */
	double		 v;
};

struct vec {
	struct elem	*e;
	size_t		 n;
};

struct parser {
	const char	*s;
	const char	*p;
	char		*err;		/* first error */
};

/* ---- parsing ---- */

static void
perr(struct parser *ps, const char *fmt, const char *arg)
{
	if (ps->err == NULL)
		ps->err = xasprintf(fmt, arg);
}

static void
skip_ws(struct parser *ps)
{
	while (isspace((unsigned char)*ps->p))
		ps->p++;
}

static int
accept_ch(struct parser *ps, char c)
{
	skip_ws(ps);
	if (*ps->p == c) {
		ps->p++;
		return 1;
	}
	return 0;
}

static int
expect_ch(struct parser *ps, char c)
{
	char	what[2] = { c, '\0' };

	if (accept_ch(ps, c))
		return 1;
	if (*ps->p == '\0')
		perr(ps, "parse error: unexpected end of input, expected "
		    "\"%s\"", what);
	else {
		char	near[24];

		snprintf(near, sizeof near, "%.20s", ps->p);
		if (ps->err == NULL)
			ps->err = xasprintf("parse error: expected \"%s\" "
			    "at \"%s\"", what, near);
	}
	return 0;
}

static char *
ident(struct parser *ps, int metric)
{
	const char	*b;

	skip_ws(ps);
	b = ps->p;
	if (!(isalpha((unsigned char)*b) || *b == '_' || (metric && *b == ':')))
		return NULL;
	while (isalnum((unsigned char)*ps->p) || *ps->p == '_' ||
	    (metric && *ps->p == ':'))
		ps->p++;
	return xstrndup(b, (size_t)(ps->p - b));
}

static char *
string_lit(struct parser *ps)
{
	struct strbuf	 b = STRBUF_INIT;
	char		 q;

	skip_ws(ps);
	q = *ps->p;
	if (q != '"' && q != '\'' && q != '`') {
		perr(ps, "parse error: expected a quoted label value%s", "");
		return NULL;
	}
	sb_init(&b);
	for (ps->p++; *ps->p != q; ps->p++) {
		if (*ps->p == '\0') {
			perr(ps, "parse error: unterminated quoted string%s",
			    "");
			sb_free(&b);
			return NULL;
		}
		if (*ps->p == '\\' && q != '`' && ps->p[1] != '\0') {
			ps->p++;
			switch (*ps->p) {
			case 'n': sb_addc(&b, '\n'); break;
			case 't': sb_addc(&b, '\t'); break;
			default: sb_addc(&b, *ps->p); break;
			}
			continue;
		}
		sb_addc(&b, *ps->p);
	}
	ps->p++;
	return sb_detach(&b);
}

static int
number_lit(struct parser *ps, double *out)
{
	char	*end;

	skip_ws(ps);
	*out = strtod(ps->p, &end);
	if (end == ps->p)
		return 0;
	ps->p = end;
	return 1;
}

/* A Prometheus duration: 1h30m, 5m, 86400s, 500ms, 1d, 1w, 1y. */
static double
duration_lit(struct parser *ps)
{
	double		 total = 0, n, unit;
	const char	*b = ps->p;
	char		*end;

	skip_ws(ps);
	while (isdigit((unsigned char)*ps->p)) {
		n = strtod(ps->p, &end);
		ps->p = end;
		if (strncmp(ps->p, "ms", 2) == 0) {
			unit = 0.001;
			ps->p += 2;
		} else {
			switch (*ps->p) {
			case 's': unit = 1; break;
			case 'm': unit = 60; break;
			case 'h': unit = 3600; break;
			case 'd': unit = 86400; break;
			case 'w': unit = 7 * 86400; break;
			case 'y': unit = 365 * 86400; break;
			default:
				perr(ps, "parse error: bad duration: missing "
				    "unit in \"%s\"", b);
				return -1;
			}
			ps->p++;
		}
		total += n * unit;
	}
	if (total <= 0) {
		perr(ps, "parse error: bad duration at \"%.20s\"", b);
		return -1;
	}
	return total;
}

static void
node_free(struct node *n)
{
	size_t	i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nm; i++) {
		free(n->m[i].label);
		free(n->m[i].value);
		if (n->m[i].re_ok)
			regfree(&n->m[i].re);
	}
	free(n->m);
	free(n->name);
	sl_free(&n->by);
	node_free(n->arg);
	free(n);
}

static int
parse_by(struct parser *ps, struct node *n)
{
	char	*l;

	if (!expect_ch(ps, '('))
		return 0;
	n->has_by = 1;
	if (accept_ch(ps, ')'))
		return 1;
	do {
		if ((l = ident(ps, 0)) == NULL) {
			perr(ps, "parse error: expected a label name in "
			    "by (...)%s", "");
			return 0;
		}
		sl_take(&n->by, l);
	} while (accept_ch(ps, ','));
	return expect_ch(ps, ')');
}

static struct node *parse_expr(struct parser *);

static const char *const aggs[] = { "sum", "count", "min", "max", "avg",
	"topk", "bottomk", NULL };

static int
in_list(const char *const *l, const char *s)
{
	for (; *l != NULL; l++)
		if (strcmp(*l, s) == 0)
			return 1;
	return 0;
}

static const char *const known_unsupported[] = { "abs", "absent",
	"avg_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min",
	"count_over_time", "delta", "deriv", "exp", "floor", "idelta",
	"irate", "label_join", "label_replace", "last_over_time", "ln",
	"max_over_time", "min_over_time", "predict_linear", "quantile",
	"quantile_over_time", "resets", "round", "scalar", "sort",
	"sort_desc", "sqrt", "stddev", "stdvar", "sum_over_time", "time",
	"timestamp", "vector", "group", "count_values", "without", NULL };

static struct node *
parse_selector(struct parser *ps, char *name)
{
	struct node	*n = xcalloc(1, sizeof *n);
	struct matcher	*m;
	char		*pat;
	int		 rc;

	n->type = N_SEL;
	n->name = name;
	if (!accept_ch(ps, '{'))
		return n;
	if (accept_ch(ps, '}'))
		return n;
	do {
		n->m = xrealloc(n->m, (n->nm + 1) * sizeof *n->m);
		m = &n->m[n->nm];
		memset(m, 0, sizeof *m);
		if ((m->label = ident(ps, 0)) == NULL) {
			perr(ps, "parse error: expected a label name in "
			    "{...}%s", "");
			goto fail;
		}
		n->nm++;
		skip_ws(ps);
		if (strncmp(ps->p, "=~", 2) == 0) {
			m->op = M_RE;
			ps->p += 2;
		} else if (strncmp(ps->p, "!~", 2) == 0) {
			m->op = M_NRE;
			ps->p += 2;
		} else if (strncmp(ps->p, "!=", 2) == 0) {
			m->op = M_NE;
			ps->p += 2;
		} else if (*ps->p == '=') {
			m->op = M_EQ;
			ps->p++;
		} else {
			perr(ps, "parse error: expected =, !=, =~ or !~ after "
			    "label %s", m->label);
			goto fail;
		}
		if ((m->value = string_lit(ps)) == NULL)
			goto fail;
		if (m->op == M_RE || m->op == M_NRE) {
			/* Prometheus regexes are anchored at both ends. */
			pat = xasprintf("^(%s)$", m->value);
			rc = regcomp(&m->re, pat, REG_EXTENDED | REG_NOSUB);
			free(pat);
			if (rc != 0) {
				perr(ps, "parse error: invalid regular "
				    "expression \"%s\"", m->value);
				goto fail;
			}
			m->re_ok = 1;
		}
	} while (accept_ch(ps, ',') && (skip_ws(ps), *ps->p != '}'));
	if (!expect_ch(ps, '}'))
		goto fail;
	return n;
fail:
	node_free(n);
	return NULL;
}

static struct node *
parse_call(struct parser *ps, char *name)
{
	struct node	*n = xcalloc(1, sizeof *n);
	char		*mname;

	n->name = name;
	if (in_list(aggs, name)) {
		n->type = N_AGG;
		skip_ws(ps);
		if (strncmp(ps->p, "by", 2) == 0 &&
		    !isalnum((unsigned char)ps->p[2]) && ps->p[2] != '_') {
			ps->p += 2;
			if (!parse_by(ps, n))
				goto fail;
		} else if (strncmp(ps->p, "without", 7) == 0) {
			perr(ps, "unsupported query: the sandbox's Prometheus "
			    "API groups with by (...) only, not without%s", "");
			goto fail;
		}
		if (!expect_ch(ps, '('))
			goto fail;
		if (strcmp(name, "topk") == 0 || strcmp(name, "bottomk") == 0) {
			if (!number_lit(ps, &n->num)) {
				perr(ps, "parse error: %s wants a number "
				    "first", name);
				goto fail;
			}
			if (!expect_ch(ps, ','))
				goto fail;
		}
		if ((n->arg = parse_expr(ps)) == NULL || !expect_ch(ps, ')'))
			goto fail;
		skip_ws(ps);
		if (!n->has_by && strncmp(ps->p, "by", 2) == 0 &&
		    !isalnum((unsigned char)ps->p[2]) && ps->p[2] != '_') {
			ps->p += 2;
			if (!parse_by(ps, n))
				goto fail;
		}
		return n;
	}
	n->type = N_FUNC;
	if (strcmp(name, "increase") == 0 || strcmp(name, "rate") == 0) {
		if (!expect_ch(ps, '('))
			goto fail;
		if ((mname = ident(ps, 1)) == NULL) {
			perr(ps, "parse error: %s() wants a range vector "
			    "selector such as metric[5m]", name);
			goto fail;
		}
		if ((n->arg = parse_selector(ps, mname)) == NULL)
			goto fail;
		if (!accept_ch(ps, '[')) {
			perr(ps, "parse error: expected type range vector in "
			    "call to function \"%s\", got instant vector",
			    name);
			goto fail;
		}
		if ((n->arg->range = duration_lit(ps)) < 0 ||
		    !expect_ch(ps, ']') || !expect_ch(ps, ')'))
			goto fail;
		return n;
	}
	if (strcmp(name, "histogram_quantile") == 0) {
		if (!expect_ch(ps, '('))
			goto fail;
		if (!number_lit(ps, &n->num)) {
			perr(ps, "parse error: histogram_quantile wants the "
			    "quantile (a number) first%s", "");
			goto fail;
		}
		if (!expect_ch(ps, ',') || (n->arg = parse_expr(ps)) == NULL ||
		    !expect_ch(ps, ')'))
			goto fail;
		return n;
	}
	if (in_list(known_unsupported, name))
		perr(ps, "unsupported query: the sandbox's Prometheus API does "
		    "not implement %s (it answers sum/count/min/max/avg by, "
		    "topk, bottomk, increase, rate and histogram_quantile)",
		    name);
	else
		perr(ps, "parse error: unknown function with name \"%s\"",
		    name);
fail:
	node_free(n);
	return NULL;
}

static struct node *
parse_expr(struct parser *ps)
{
	struct node	*n;
	char		*name;
	double		 v;

	skip_ws(ps);
	if (*ps->p == '(') {
		ps->p++;
		if ((n = parse_expr(ps)) == NULL)
			return NULL;
		if (!expect_ch(ps, ')')) {
			node_free(n);
			return NULL;
		}
		return n;
	}
	if (isdigit((unsigned char)*ps->p) || *ps->p == '.' ||
	    *ps->p == '-' || *ps->p == '+') {
		if (!number_lit(ps, &v)) {
			perr(ps, "parse error: unexpected character \"%.1s\"",
			    ps->p);
			return NULL;
		}
		n = xcalloc(1, sizeof *n);
		n->type = N_NUM;
		n->num = v;
		return n;
	}
	if ((name = ident(ps, 1)) == NULL) {
		if (*ps->p == '\0')
			perr(ps, "parse error: unexpected end of input%s", "");
		else
			perr(ps, "parse error: unexpected character \"%.1s\"",
			    ps->p);
		return NULL;
	}
	skip_ws(ps);
	if (*ps->p == '(' || (in_list(aggs, name) &&
	    strncmp(ps->p, "by", 2) == 0) || (in_list(aggs, name) &&
	    strncmp(ps->p, "without", 7) == 0))
		return parse_call(ps, name);
	n = parse_selector(ps, name);
	if (n != NULL && accept_ch(ps, '[')) {
		perr(ps, "unsupported query: the sandbox's Prometheus API "
		    "answers range vectors only inside increase() or "
		    "rate()%s", "");
		node_free(n);
		return NULL;
	}
	return n;
}

/* Parse a whole query; NULL with *why (caller frees). */
static struct node *
parse(const char *q, char **why)
{
	struct parser	 ps = { q, q, NULL };
	struct node	*n;

	n = parse_expr(&ps);
	if (n != NULL) {
		skip_ws(&ps);
		if (*ps.p != '\0') {
			if (strchr("+-*/%^<>=!", *ps.p) != NULL ||
			    strncmp(ps.p, "and", 3) == 0 ||
			    strncmp(ps.p, "or", 2) == 0 ||
			    strncmp(ps.p, "unless", 6) == 0 ||
			    strncmp(ps.p, "offset", 6) == 0)
				ps.err = xasprintf("unsupported query: the "
				    "sandbox's Prometheus API does not "
				    "implement binary operators or offset "
				    "(at \"%.20s\")", ps.p);
			else
				ps.err = xasprintf("parse error: unexpected "
				    "\"%.20s\" after the expression", ps.p);
			node_free(n);
			n = NULL;
		}
	}
	if (n == NULL) {
		*why = ps.err ? ps.err : xstrdup("parse error");
		return NULL;
	}
	free(ps.err);
	return n;
}

/* ---- evaluation ---- */

/* Whether the telemetry series are scraped at all (user workload
 * monitoring), read once per query. */
static int	 uwm = 1;

static int
label_sort(const void *a, const void *b)
{
	return strcmp(((const struct mlabel *)a)->name,
	    ((const struct mlabel *)b)->name);
}

static void
vec_add(struct vec *v, const struct elem *e)
{
	v->e = xrealloc(v->e, (v->n + 1) * sizeof *v->e);
	v->e[v->n++] = *e;
}

static const char *
elem_label(const struct elem *e, const char *name)
{
	size_t	i;

	for (i = 0; i < e->nl; i++)
		if (strcmp(e->l[i].name, name) == 0)
			return e->l[i].value;
	return NULL;
}

static int
matches(const struct node *sel, const struct mseries *s)
{
	const char	*v;
	size_t		 i, j;
	int		 ok;

	if (strcmp(sel->name, s->name) != 0)
		return 0;
	for (i = 0; i < sel->nm; i++) {
		v = "";
		for (j = 0; j < s->nlabels; j++)
			if (strcmp(s->labels[j].name, sel->m[i].label) == 0)
				v = s->labels[j].value;
		switch (sel->m[i].op) {
		case M_EQ: ok = strcmp(v, sel->m[i].value) == 0; break;
		case M_NE: ok = strcmp(v, sel->m[i].value) != 0; break;
		case M_RE: ok = regexec(&sel->m[i].re, v, 0, NULL, 0) == 0;
			break;
		default: ok = regexec(&sel->m[i].re, v, 0, NULL, 0) != 0;
			break;
		}
		if (!ok)
			return 0;
	}
	return 1;
}

static void
elem_from(struct elem *e, const struct mseries *s)
{
	size_t	i;

	memset(e, 0, sizeof *e);
	for (i = 0; i < s->nlabels && i < MAX_LABELS; i++)
		e->l[i] = s->labels[i];
	e->nl = i;
}

/* Same labels (ignoring the metric name)? */
static int
same_labels(const struct elem *a, const struct elem *b)
{
	size_t	i;

	if (a->nl != b->nl)
		return 0;
	for (i = 0; i < a->nl; i++)
		if (strcmp(a->l[i].name, b->l[i].name) != 0 ||
		    strcmp(a->l[i].value, b->l[i].value) != 0)
			return 0;
	return 1;
}

static int
eval(const struct node *n, double t, struct vec *out, double *scalar,
    char **why);

/* Buckets of one histogram group, for histogram_quantile. */
struct bucket {
	double	le;
	double	count;
};

static int
bucket_cmp(const void *a, const void *b)
{
	double	x = ((const struct bucket *)a)->le;
	double	y = ((const struct bucket *)b)->le;

	return (x > y) - (x < y);
}

/* Prometheus' bucketQuantile: linear interpolation inside the bucket. */
static double
bucket_quantile(double q, struct bucket *b, size_t n)
{
	double	rank, lo, hi, cnt_lo, total;
	size_t	i;

	if (q < 0)
		return -INFINITY;
	if (q > 1)
		return INFINITY;
	qsort(b, n, sizeof *b, bucket_cmp);
	if (n < 2 || !isinf(b[n - 1].le))
		return NAN;
	for (i = 1; i < n; i++)		/* monotonic, as Prometheus fixes */
		if (b[i].count < b[i - 1].count)
			b[i].count = b[i - 1].count;
	total = b[n - 1].count;
	if (total == 0)
		return NAN;
	rank = q * total;
	for (i = 0; i < n - 1 && b[i].count < rank; i++)
		;
	if (i == n - 1)
		return b[n - 2].le;
	if (i == 0 && b[0].le <= 0)
		return b[0].le;
	lo = i == 0 ? 0 : b[i - 1].le;
	hi = b[i].le;
	cnt_lo = i == 0 ? 0 : b[i - 1].count;
	rank -= cnt_lo;
	return lo + (hi - lo) * (rank / (b[i].count - cnt_lo));
}

static int
eval_quantile(const struct node *n, double t, struct vec *out, char **why)
{
	struct vec	 in = { NULL, 0 };
	struct elem	 key, *g;
	struct bucket	*bk;
	size_t		 i, j, k, ng = 0, *nb, *gi;
	struct elem	*groups = NULL;
	struct bucket	**gb = NULL;
	const char	*le;
	double		 sc;

	if (eval(n->arg, t, &in, &sc, why) == -1)
		return -1;
	gi = xcalloc(in.n ? in.n : 1, sizeof *gi);
	nb = xcalloc(in.n ? in.n : 1, sizeof *nb);
	gb = xcalloc(in.n ? in.n : 1, sizeof *gb);
	groups = xcalloc(in.n ? in.n : 1, sizeof *groups);
	for (i = 0; i < in.n; i++) {
		if ((le = elem_label(&in.e[i], "le")) == NULL)
			continue;
		memset(&key, 0, sizeof key);
		for (j = 0; j < in.e[i].nl; j++)
			if (strcmp(in.e[i].l[j].name, "le") != 0)
				key.l[key.nl++] = in.e[i].l[j];
		for (k = 0; k < ng; k++)
			if (same_labels(&groups[k], &key))
				break;
		if (k == ng)
			groups[ng++] = key;
		gb[k] = xrealloc(gb[k], (nb[k] + 1) * sizeof **gb);
		bk = &gb[k][nb[k]++];
		bk->le = strcmp(le, "+Inf") == 0 ? INFINITY : strtod(le, NULL);
		bk->count = in.e[i].v;
	}
	for (k = 0; k < ng; k++) {
		g = &groups[k];
		g->v = bucket_quantile(n->num, gb[k], nb[k]);
		g->metric = NULL;
		vec_add(out, g);
		free(gb[k]);
	}
	free(gb);
	free(groups);
	free(nb);
	free(gi);
	free(in.e);
	return 0;
}

static int
value_desc(const void *a, const void *b)
{
	double	x = ((const struct elem *)a)->v, y = ((const struct elem *)b)->v;

	if (isnan(x))
		return isnan(y) ? 0 : 1;
	if (isnan(y))
		return -1;
	return (x < y) - (x > y);
}

static int
value_asc(const void *a, const void *b)
{
	return value_desc(b, a);
}

static int
eval_agg(const struct node *n, double t, struct vec *out, char **why)
{
	struct vec	 in = { NULL, 0 }, grp;
	struct elem	 key, *groups;
	double		*cnt, sc;
	size_t		 i, j, k, ng = 0, kk;
	const char	*v;
	int		 topk = strcmp(n->name, "topk") == 0;
	int		 bottomk = strcmp(n->name, "bottomk") == 0;

	if (eval(n->arg, t, &in, &sc, why) == -1)
		return -1;
	groups = xcalloc(in.n ? in.n : 1, sizeof *groups);
	cnt = xcalloc(in.n ? in.n : 1, sizeof *cnt);
	for (i = 0; i < in.n; i++) {
		memset(&key, 0, sizeof key);
		for (j = 0; j < n->by.n && key.nl < MAX_LABELS; j++)
			if ((v = elem_label(&in.e[i], n->by.v[j])) != NULL &&
			    *v != '\0') {
				key.l[key.nl].name = n->by.v[j];
				key.l[key.nl++].value = v;
			}
		qsort(key.l, key.nl, sizeof key.l[0], label_sort);
		for (k = 0; k < ng; k++)
			if (same_labels(&groups[k], &key))
				break;
		if (k == ng) {
			groups[ng] = key;
			groups[ng].v = in.e[i].v;
			cnt[ng] = 1;
			ng++;
			continue;
		}
		cnt[k] += 1;
		if (strcmp(n->name, "sum") == 0 || strcmp(n->name, "avg") == 0)
			groups[k].v += in.e[i].v;
		else if (strcmp(n->name, "min") == 0 && in.e[i].v < groups[k].v)
			groups[k].v = in.e[i].v;
		else if (strcmp(n->name, "max") == 0 && in.e[i].v > groups[k].v)
			groups[k].v = in.e[i].v;
	}
	if (topk || bottomk) {
		/* Per group, the k largest (smallest) elements as they are. */
		kk = n->num >= 1 ? (size_t)n->num : 0;
		for (k = 0; k < ng; k++) {
			grp.e = NULL;
			grp.n = 0;
			for (i = 0; i < in.n; i++) {
				memset(&key, 0, sizeof key);
				for (j = 0; j < n->by.n; j++)
					if ((v = elem_label(&in.e[i],
					    n->by.v[j])) != NULL && *v != '\0') {
						key.l[key.nl].name = n->by.v[j];
						key.l[key.nl++].value = v;
					}
				qsort(key.l, key.nl, sizeof key.l[0],
				    label_sort);
				if (same_labels(&groups[k], &key))
					vec_add(&grp, &in.e[i]);
			}
			if (grp.n > 0)
				qsort(grp.e, grp.n, sizeof *grp.e, topk ?
				    value_desc : value_asc);
			for (i = 0; i < grp.n && i < kk; i++)
				vec_add(out, &grp.e[i]);
			free(grp.e);
		}
	} else {
		for (k = 0; k < ng; k++) {
			if (strcmp(n->name, "count") == 0)
				groups[k].v = cnt[k];
			else if (strcmp(n->name, "avg") == 0)
				groups[k].v /= cnt[k];
			vec_add(out, &groups[k]);
		}
	}
	free(groups);
	free(cnt);
	free(in.e);
	return 0;
}

static int
eval(const struct node *n, double t, struct vec *out, double *scalar,
    char **why)
{
	struct mseries *const	*all;
	const struct node	*sel;
	struct elem		 e;
	size_t			 i, ns;
	double			 w;

	switch (n->type) {
	case N_NUM:
		*scalar = n->num;
		return 1;
	case N_SEL:
		all = metrics_series(&ns);
		for (i = 0; i < ns && uwm; i++) {
			if (!matches(n, all[i]) || all[i]->born > t)
				continue;
			elem_from(&e, all[i]);
			e.metric = all[i]->name;
			e.v = metrics_value_at(all[i], t);
			vec_add(out, &e);
		}
		return 0;
	case N_FUNC:
		if (strcmp(n->name, "histogram_quantile") == 0)
			return eval_quantile(n, t, out, why);
		sel = n->arg;
		w = sel->range;
		all = metrics_series(&ns);
		for (i = 0; i < ns && uwm; i++) {
			if (!matches(sel, all[i]) || all[i]->born > t)
				continue;
			elem_from(&e, all[i]);
			e.v = metrics_value_at(all[i], t) -
			    metrics_value_at(all[i], t - w);
			if (strcmp(n->name, "rate") == 0)
				e.v /= w;
			vec_add(out, &e);
		}
		return 0;
	case N_AGG:
		return eval_agg(n, t, out, why);
	}
	*why = xstrdup("internal error: unknown node");
	return -1;
}

/* ---- JSON answers ---- */

/* A sample value as Prometheus writes it (FormatFloat 'f', -1). */
static cJSON *
fmt_value(double v)
{
	char	buf[64];
	int	p;

	if (isnan(v))
		return cJSON_CreateString("NaN");
	if (isinf(v))
		return cJSON_CreateString(v > 0 ? "+Inf" : "-Inf");
	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(buf, sizeof buf, "%.0f", v);
		return cJSON_CreateString(buf);
	}
	for (p = 1; p <= 17; p++) {
		snprintf(buf, sizeof buf, "%.*g", p, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (strchr(buf, 'e') != NULL)
		snprintf(buf, sizeof buf, "%.17f", v);
	return cJSON_CreateString(buf);
}

static cJSON *
metric_obj(const struct elem *e)
{
	cJSON	*m = cJSON_CreateObject();
	size_t	 i;

	if (e->metric != NULL)
		cJSON_AddStringToObject(m, "__name__", e->metric);
	for (i = 0; i < e->nl; i++)
		cJSON_AddStringToObject(m, e->l[i].name, e->l[i].value);
	return m;
}

static cJSON *
sample(double t, double v)
{
	cJSON	*a = cJSON_CreateArray();

	cJSON_AddItemToArray(a, cJSON_CreateNumber(round(t * 1000) / 1000));
	cJSON_AddItemToArray(a, fmt_value(v));
	return a;
}

static cJSON *
error_doc(const char *type, const char *msg)
{
	cJSON	*d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "status", "error");
	cJSON_AddStringToObject(d, "errorType", type);
	cJSON_AddStringToObject(d, "error", msg);
	return d;
}

static cJSON *
success_doc(const char *type, cJSON *result)
{
	cJSON	*d = cJSON_CreateObject(), *data;

	cJSON_AddStringToObject(d, "status", "success");
	data = cJSON_AddObjectToObject(d, "data");
	cJSON_AddStringToObject(data, "resultType", type);
	cJSON_AddItemToObject(data, "result", result);
	return d;
}

static int
elem_cmp(const void *a, const void *b)
{
	const struct elem	*x = a, *y = b;
	size_t			 i;
	int			 c;

	for (i = 0; i < x->nl && i < y->nl; i++) {
		if ((c = strcmp(x->l[i].name, y->l[i].name)) != 0)
			return c;
		if ((c = strcmp(x->l[i].value, y->l[i].value)) != 0)
			return c;
	}
	return (x->nl > y->nl) - (x->nl < y->nl);
}

cJSON *
promql_query(const char *q, double t, int *status)
{
	struct node	*n;
	struct vec	 v = { NULL, 0 };
	cJSON		*res, *o;
	char		*why = NULL;
	double		 sc = 0;
	size_t		 i;
	int		 rc;

	*status = 400;
	if ((n = parse(q, &why)) == NULL) {
		o = error_doc("bad_data", why);
		free(why);
		return o;
	}
	metrics_scrape(t);
	uwm = metrics_user_workload();
	rc = eval(n, t, &v, &sc, &why);
	if (rc == -1) {
		o = error_doc("execution", why);
		*status = 422;
		goto out;
	}
	*status = 200;
	if (rc == 1) {
		o = success_doc("scalar", sample(t, sc));
		goto out;
	}
	if (n->type != N_AGG || (strcmp(n->name, "topk") != 0 &&
	    strcmp(n->name, "bottomk") != 0))
		if (v.n > 0)
			qsort(v.e, v.n, sizeof *v.e, elem_cmp);
	res = cJSON_CreateArray();
	for (i = 0; i < v.n; i++) {
		o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "metric", metric_obj(&v.e[i]));
		cJSON_AddItemToObject(o, "value", sample(t, v.e[i].v));
		cJSON_AddItemToArray(res, o);
	}
	o = success_doc("vector", res);
out:
	free(v.e);
	free(why);
	node_free(n);
	return o;
}

/* One series of a range answer, as it is built. */
struct rseries {
	struct elem	 key;
	cJSON		*values;
};

static int
rseries_cmp(const void *a, const void *b)
{
	return elem_cmp(&((const struct rseries *)a)->key,
	    &((const struct rseries *)b)->key);
}

cJSON *
promql_query_range(const char *q, double start, double end, double step,
    int *status)
{
	struct node	*n;
	struct vec	 v;
	struct rseries	*rs = NULL;
	cJSON		*res, *o;
	char		*why = NULL;
	double		 sc, t;
	size_t		 p, i, k, nrs = 0, npts;
	int		 rc;

	*status = 400;
	if (!(step > 0))
		return error_doc("bad_data", "invalid parameter \"step\": "
		    "zero or negative query resolution step widths are not "
		    "accepted. Try a positive integer");
	if (end < start)
		return error_doc("bad_data", "invalid parameter \"end\": end "
		    "timestamp must not be before start time");
	if ((end - start) / step >= MAX_POINTS)
		return error_doc("bad_data", "exceeded maximum resolution of "
		    "11,000 points per timeseries. Try decreasing the query "
		    "resolution (?step=XX)");
	npts = (size_t)((end - start) / step) + 1;
	if ((n = parse(q, &why)) == NULL) {
		o = error_doc("bad_data", why);
		free(why);
		return o;
	}
	metrics_scrape(end);
	uwm = metrics_user_workload();
	for (p = 0; p < npts; p++) {
		t = start + (double)p * step;
		v.e = NULL;
		v.n = 0;
		sc = 0;
		if ((rc = eval(n, t, &v, &sc, &why)) == -1) {
			free(v.e);
			o = error_doc("execution", why);
			*status = 422;
			goto out;
		}
		if (rc == 1) {
			/* A scalar becomes one series without labels. */
			memset(&v, 0, sizeof v);
			v.e = xcalloc(1, sizeof *v.e);
			v.e[0].v = sc;
			v.n = 1;
		}
		for (k = 0; k < v.n; k++) {
			for (i = 0; i < nrs; i++)
				if (same_labels(&rs[i].key, &v.e[k]) &&
				    (rs[i].key.metric == NULL) ==
				    (v.e[k].metric == NULL))
					break;
			if (i == nrs) {
				rs = xrealloc(rs, (nrs + 1) * sizeof *rs);
				rs[nrs].key = v.e[k];
				rs[nrs].values = cJSON_CreateArray();
				nrs++;
			}
			cJSON_AddItemToArray(rs[i].values, sample(t,
			    v.e[k].v));
		}
		free(v.e);
	}
	if (nrs > 0)
		qsort(rs, nrs, sizeof *rs, rseries_cmp);
	res = cJSON_CreateArray();
	for (i = 0; i < nrs; i++) {
		o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "metric", metric_obj(&rs[i].key));
		cJSON_AddItemToObject(o, "values", rs[i].values);
		rs[i].values = NULL;
		cJSON_AddItemToArray(res, o);
	}
	o = success_doc("matrix", res);
	*status = 200;
out:
	for (i = 0; i < nrs; i++)
		cJSON_Delete(rs[i].values);
	free(rs);
	free(why);
	node_free(n);
	return o;
}

/* ---- HTTP ---- */

/* A time parameter: unix seconds (fractional) or RFC 3339. */
static int
parse_time(const char *s, double *out)
{
	struct tm	 tm;
	const char	*p;
	char		*end;
	double		 frac = 0;
	long		 off = 0;

	*out = strtod(s, &end);
	if (end != s && *end == '\0')
		return 0;
	memset(&tm, 0, sizeof tm);
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	if (*p == '.') {
		frac = strtod(p, &end);
		p = end;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2]) && p[3] == ':' &&
	    isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5])) {
		off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600 +
		    ((p[4] - '0') * 10 + (p[5] - '0')) * 60;
		if (*p == '-')
			off = -off;
		p += 6;
	} else
		return -1;
	if (*p != '\0')
		return -1;
	*out = (double)timegm(&tm) - (double)off + frac;
	return 0;
}

/* A step or timeout: seconds (fractional) or a Prometheus duration. */
static int
parse_step(const char *s, double *out)
{
	struct parser	 ps = { s, s, NULL };
	char		*end;

	*out = strtod(s, &end);
	if (end != s && *end == '\0')
		return 0;
	*out = duration_lit(&ps);
	free(ps.err);
	return *out > 0 && *ps.p == '\0' ? 0 : -1;
}

static void
reply_doc(struct sbx_req *q, int status, cJSON *doc)
{
	char	*body = cJSON_PrintUnformatted(doc);

	srv_reply(q, status, "application/json", body, strlen(body));
	free(body);
	cJSON_Delete(doc);
}

static void
reply_err(struct sbx_req *q, int status, const char *type, const char *msg)
{
	reply_doc(q, status, error_doc(type, msg));
}

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* May the caller read metrics?  A sandbox bearer token or the admin
 * token, as thanos-querier's oauth-proxy wants an OpenShift token. */
static int
authorized(struct sbx_req *q)
{
	const struct sbx_config	*c = metrics_config();
	struct evkeyvalq	*h = evhttp_request_get_input_headers(q->r);
	struct sbx_identity	 id;
	const char		*auth, *tok;

	auth = evhttp_find_header(h, "Authorization");
	if (c == NULL || auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0)
		return 0;
	for (tok = auth + 7; *tok == ' '; tok++)
		;
	if (c->admin_token != NULL && c->admin_token[0] != '\0' &&
	    strlen(tok) == strlen(c->admin_token) &&
	    CRYPTO_memcmp(tok, c->admin_token, strlen(tok)) == 0)
		return 1;
	memset(&id, 0, sizeof id);
	if (sbx_token_verify(c->state_dir, tok, &id, NULL) == 0) {
		sbx_identity_free(&id);
		return 1;
	}
	return 0;
}

void
promql_handle(struct sbx_req *q, const char *path)
{
	struct evkeyvalq	 kv;
	const char		*src, *qs, *ts, *ss, *es, *st;
	cJSON			*doc;
	double			 t, start, end, step;
	int			 status, range;

	range = strcmp(path, "/api/v1/query_range") == 0;
	if (!range && strcmp(path, "/api/v1/query") != 0) {
		srv_reply(q, 404, "text/plain", "404 page not found\n", 19);
		return;
	}
	if (strcmp(q->method, "GET") != 0 && strcmp(q->method, "POST") != 0) {
		srv_header(q, "Allow", "GET, POST");
		reply_err(q, 405, "bad_data", "method not allowed");
		return;
	}
	if (!authorized(q)) {
		srv_header(q, "www-authenticate", "Bearer realm=\"thanos-querier\"");
		srv_reply(q, 401, "text/plain", "Unauthorized\n", 13);
		return;
	}
	TAILQ_INIT(&kv);
	src = strcmp(q->method, "POST") == 0 ? q->body : q->query;
	if (strcmp(q->method, "POST") == 0 &&
	    strncasecmp(q->content_type, "application/x-www-form-urlencoded",
	    33) != 0) {
		reply_err(q, 400, "bad_data", "POST wants an "
		    "application/x-www-form-urlencoded body");
		return;
	}
	if (src != NULL && evhttp_parse_query_str(src, &kv) != 0) {
		evhttp_clear_headers(&kv);
		reply_err(q, 400, "bad_data", "cannot parse the query "
		    "parameters");
		return;
	}
	qs = evhttp_find_header(&kv, "query");
	if (qs == NULL || *qs == '\0') {
		reply_err(q, 400, "bad_data", "invalid parameter \"query\": "
		    "unknown position: parse error: no expression found in "
		    "input");
		goto out;
	}
	if (!range) {
		ts = evhttp_find_header(&kv, "time");
		t = now_s();
		if (ts != NULL && parse_time(ts, &t) == -1) {
			reply_err(q, 400, "bad_data", "invalid parameter "
			    "\"time\": cannot parse it to a valid timestamp");
			goto out;
		}
		doc = promql_query(qs, t, &status);
		reply_doc(q, status, doc);
		goto out;
	}
	ss = evhttp_find_header(&kv, "start");
	es = evhttp_find_header(&kv, "end");
	st = evhttp_find_header(&kv, "step");
	if (ss == NULL || parse_time(ss, &start) == -1) {
		reply_err(q, 400, "bad_data", "invalid parameter \"start\": "
		    "cannot parse it to a valid timestamp");
		goto out;
	}
	if (es == NULL || parse_time(es, &end) == -1) {
		reply_err(q, 400, "bad_data", "invalid parameter \"end\": "
		    "cannot parse it to a valid timestamp");
		goto out;
	}
	if (st == NULL || parse_step(st, &step) == -1) {
		reply_err(q, 400, "bad_data", "invalid parameter \"step\": "
		    "cannot parse it to a valid duration");
		goto out;
	}
	doc = promql_query_range(qs, start, end, step, &status);
	reply_doc(q, status, doc);
out:
	evhttp_clear_headers(&kv);
}
