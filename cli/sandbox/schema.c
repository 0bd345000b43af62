/*
 * schema.c: compile a CRD's openAPIV3Schema into a validator and validate
 * custom resources the way kube-apiserver (apiextensions + kube-openapi)
 * does: null pruning, unknown-field pruning (Strict/Warn/Ignore), defaults,
 * then metadata.name, the structural schema and the CEL rules, with the
 * apiserver's error wording and Status causes.
 *
 * CEL: only the rules the MaaS CRDs use are implemented, recognised by
 * their text (see cel_parse()); any other rule fails sbx_crd_compile().
 */
#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "sandbox/schema.h"

/* Schema types, as a bit set (0 = any). */
#define T_OBJECT	0x01
#define T_ARRAY		0x02
#define T_STRING	0x04
#define T_INTEGER	0x08
#define T_NUMBER	0x10
#define T_BOOLEAN	0x20

/* The CEL rule forms implemented natively. */
enum cel_kind {
	CEL_NAME_EQ,		/* self.metadata.name == 'x' */
	CEL_NAME_SIZE,		/* self.metadata.name.size() <op> N */
	CEL_NAME_MATCHES,	/* self.metadata.name.matches('re') */
	CEL_SIZE_ANY		/* size(self.a) > 0 || size(self.b) > 0 ... */
};

enum cel_op { OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE };

struct cel_rule {
	enum cel_kind	 kind;
	char		*rule;		/* the rule text, as written */
	char		*message;	/* rule.message, or NULL */
	char		*reason;	/* FieldValueInvalid unless given */
	char		*lit;		/* CEL_NAME_EQ literal */
	enum cel_op	 op;		/* CEL_NAME_SIZE */
	long long	 n;		/* CEL_NAME_SIZE bound */
	regex_t		 re;		/* CEL_NAME_MATCHES */
	int		 has_re;
	struct strlist	 fields;	/* CEL_SIZE_ANY: field names */
};

struct snode;

struct sprop {
	char		*name;
	struct snode	*node;
};

/* One compiled schema node. */
struct snode {
	int		 types;		/* T_* bits; 0 = unconstrained */
	int		 nullable;
	int		 preserve;	/* x-kubernetes-preserve-unknown-fields */
	int		 int_or_string;	/* x-kubernetes-int-or-string */
	int		 embedded;	/* x-kubernetes-embedded-resource */
	struct sprop	*props;
	size_t		 nprops;
	struct snode	*items;
	struct snode	*addl;		/* additionalProperties schema */
	int		 addl_any;	/* additionalProperties: true */
	struct strlist	 required;
	cJSON		*enumv;		/* array, or NULL */
	char		*pattern;	/* as written (ECMA) */
	regex_t		 re;
	int		 has_re;
	int		 has_min, has_max, excl_min, excl_max;
	double		 min, max;
	long long	 min_len, max_len, min_items, max_items;
	long long	 min_props, max_props;
	char		*format;
	cJSON		*deflt;
	struct cel_rule	*rules;
	size_t		 nrules;
};

struct sversion {
	char		*name;
	int		 served;
	struct snode	*root;		/* NULL: no schema (preserve all) */
	int		 has_rules;	/* any x-kubernetes-validations */
};

struct sbx_crd {
	char		*name;
	char		*kind;
	char		*group;
	char		*plural;
	int		 namespaced;
	struct sversion	*versions;
	size_t		 nversions;
};

/* Validation state for one object. */
struct vctx {
	struct sbx_cause *causes;
	size_t		  n, cap;
	int		  blocking;	/* a type or enum error was found */
};

static void	snode_free(struct snode *);

/* ---- small helpers ---------------------------------------------------- */

/* Whether v is a JSON number (cJSON number or raw number); *d its value. */
static int
is_num(const cJSON *v, double *d)
{
	char	*end;

	if (cJSON_IsNumber(v)) {
		*d = v->valuedouble;
		return 1;
	}
	if (cJSON_IsRaw(v) && v->valuestring != NULL) {
		*d = strtod(v->valuestring, &end);
		return end != v->valuestring && *end == '\0';
	}
	return 0;
}

static int
is_integral(double d)
{
	return isfinite(d) && floor(d) == d;
}

/* The kube-openapi type name of a value. */
static const char *
type_name(const cJSON *v)
{
	double	 d;

	if (v == NULL || cJSON_IsNull(v))
		return "null";
	if (cJSON_IsBool(v))
		return "boolean";
	if (is_num(v, &d))
		return is_integral(d) ? "integer" : "number";
	if (cJSON_IsString(v))
		return "string";
	if (cJSON_IsArray(v))
		return "array";
	return "object";
}

/* Append a number as Go's %v prints an int64 or float64. */
static void
add_number(struct strbuf *sb, double d)
{
	char	 buf[64];
	int	 prec;

	if (is_integral(d) && fabs(d) < 1e18) {
		sb_addf(sb, "%lld", (long long)d);
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	sb_adds(sb, buf);
}

/* Append a bad value as field.Error prints it. */
static void
add_value(struct strbuf *sb, const cJSON *v)
{
	double	 d;
	char	*s;

	if (v == NULL || cJSON_IsNull(v))
		sb_adds(sb, "null");
	else if (cJSON_IsString(v))
		json_quote(sb, v->valuestring, QUOTE_GO);
	else if (cJSON_IsTrue(v))
		sb_adds(sb, "true");
	else if (cJSON_IsFalse(v))
		sb_adds(sb, "false");
	else if (cJSON_IsRaw(v) && v->valuestring != NULL)
		sb_adds(sb, v->valuestring);
	else if (is_num(v, &d))
		add_number(sb, d);
	else {
		s = json_print(v, 0);
		sb_adds(sb, s);
		free(s);
	}
}

static char *
path_child(const char *parent, const char *name)
{
	if (parent == NULL || *parent == '\0')
		return xstrdup(name);
	return xasprintf("%s.%s", parent, name);
}

static char *
path_index(const char *parent, size_t i)
{
	return xasprintf("%s[%zu]", parent != NULL ? parent : "", i);
}

/* Record one cause: reason, field, and the message body. */
static void
add_cause(struct vctx *c, const char *reason, const char *field,
    char *message)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->causes = xrealloc(c->causes, c->cap * sizeof *c->causes);
	}
	c->causes[c->n].reason = xstrdup(reason);
	c->causes[c->n].field = xstrdup(field != NULL && *field != '\0' ?
	    field : "<nil>");
	c->causes[c->n].message = message;
	c->n++;
}

/* field.Invalid(path, value, detail). */
static void
add_invalid(struct vctx *c, const char *field, const cJSON *v,
    const char *detail)
{
	struct strbuf	 sb = STRBUF_INIT;

	sb_init(&sb);
	sb_adds(&sb, "Invalid value: ");
	add_value(&sb, v);
	if (detail != NULL && *detail != '\0')
		sb_addf(&sb, ": %s", detail);
	add_cause(c, "FieldValueInvalid", field, sb_detach(&sb));
}

/* field.Invalid with a string bad value (e.g. "object" for CEL). */
static void
add_invalid_str(struct vctx *c, const char *reason, const char *field,
    const char *value, const char *detail)
{
	struct strbuf	 sb = STRBUF_INIT;

	sb_init(&sb);
	sb_adds(&sb, "Invalid value: ");
	if (value != NULL)
		json_quote(&sb, value, QUOTE_GO);
	else
		sb_adds(&sb, "null");
	if (detail != NULL && *detail != '\0')
		sb_addf(&sb, ": %s", detail);
	add_cause(c, reason, field, sb_detach(&sb));
}

static void
vctx_free(struct vctx *c)
{
	size_t	 i;

	for (i = 0; i < c->n; i++) {
		free(c->causes[i].reason);
		free(c->causes[i].field);
		free(c->causes[i].message);
	}
	free(c->causes);
	c->causes = NULL;
	c->n = c->cap = 0;
}

/* ---- ECMA regex -> POSIX ERE ------------------------------------------ */

/* Translate the contents of an ECMA bracket expression starting after '['
 * at *pp; appends a POSIX bracket expression.  -1 on unsupported syntax. */
static int
re_bracket(const char **pp, struct strbuf *out)
{
	const char	*p = *pp;
	struct strbuf	 body = STRBUF_INIT;
	int		 neg = 0, rbr = 0, dash = 0, rc = -1;

	sb_init(&body);
	if (*p == '^') {
		neg = 1;
		p++;
	}
	for (; *p != '\0' && *p != ']'; p++) {
		if (*p == '\\') {
			p++;
			switch (*p) {
			case 'd':
				sb_adds(&body, "0-9");
				break;
			case 'w':
				sb_adds(&body, "A-Za-z0-9_");
				break;
			case 's':
				sb_adds(&body, "[:space:]");
				break;
			case '-':
				dash = 1;
				break;
			case ']':
				rbr = 1;
				break;
			case 'n':
				sb_addc(&body, '\n');
				break;
			case 't':
				sb_addc(&body, '\t');
				break;
			case '\0':
				goto out;
			default:
				if (isalnum((unsigned char)*p))
					goto out;	/* \S, \D, \b ... */
				sb_addc(&body, *p);
			}
		} else if (*p == '-' && (p[1] == ']' ||
		    p == *pp + neg)) {
			dash = 1;
		} else if (*p == '[' && p[1] == ':') {
			goto out;
		} else
			sb_addc(&body, *p);
	}
	if (*p != ']')
		goto out;
	sb_addc(out, '[');
	if (neg)
		sb_addc(out, '^');
	if (rbr)
		sb_addc(out, ']');
	sb_add(out, body.buf, body.len);
	if (dash)
		sb_addc(out, '-');
	sb_addc(out, ']');
	*pp = p;
	rc = 0;
out:
	sb_free(&body);
	return rc;
}

/* Translate an ECMA-262 pattern (as used in CRDs) to POSIX ERE; NULL if
 * it uses syntax ERE cannot express. */
static char *
re_translate(const char *ecma)
{
	struct strbuf	 out = STRBUF_INIT;
	const char	*p;

	sb_init(&out);
	for (p = ecma; *p != '\0'; p++) {
		if (*p == '\\') {
			p++;
			switch (*p) {
			case 'd':
				sb_adds(&out, "[0-9]");
				break;
			case 'D':
				sb_adds(&out, "[^0-9]");
				break;
			case 'w':
				sb_adds(&out, "[A-Za-z0-9_]");
				break;
			case 'W':
				sb_adds(&out, "[^A-Za-z0-9_]");
				break;
			case 's':
				sb_adds(&out, "[[:space:]]");
				break;
			case 'S':
				sb_adds(&out, "[^[:space:]]");
				break;
			case 'n':
				sb_addc(&out, '\n');
				break;
			case 't':
				sb_addc(&out, '\t');
				break;
			case '\0':
				goto fail;
			default:
				if (isalnum((unsigned char)*p))
					goto fail;	/* \b, \B, \1, \u ... */
				if (strchr(".[]()*+?{}|^$\\", *p) != NULL)
					sb_addc(&out, '\\');
				sb_addc(&out, *p);
			}
		} else if (*p == '[') {
			p++;
			if (re_bracket(&p, &out) == -1)
				goto fail;
		} else if (*p == '(' && p[1] == '?') {
			if (p[2] != ':')
				goto fail;	/* lookaround, named groups */
			sb_addc(&out, '(');
			p += 2;
		} else if ((*p == '*' || *p == '+' || *p == '?' || *p == '}') &&
		    p[1] == '?') {
			goto fail;		/* lazy quantifiers */
		} else
			sb_addc(&out, *p);
	}
	return sb_detach(&out);
fail:
	sb_free(&out);
	return NULL;
}

/* Compile an ECMA pattern into re; -1 with an error naming where. */
static int
re_compile(regex_t *re, const char *ecma, const char *where, struct err *e)
{
	char	*ere;
	int	 rc;

	if ((ere = re_translate(ecma)) == NULL)
		return err_set(e, EXIT_USAGE, "%s: pattern '%s' uses regular "
		    "expression syntax the sandbox does not support", where,
		    ecma), -1;
	rc = regcomp(re, ere, REG_EXTENDED | REG_NOSUB);
	free(ere);
	if (rc != 0)
		return err_set(e, EXIT_USAGE, "%s: invalid pattern '%s'",
		    where, ecma), -1;
	return 0;
}

/* ---- CEL rules -------------------------------------------------------- */

/* Copy rule without whitespace outside quotes. */
static char *
cel_squeeze(const char *s)
{
	struct strbuf	 sb = STRBUF_INIT;
	char		 q = 0;

	sb_init(&sb);
	for (; *s != '\0'; s++) {
		if (q) {
			if (*s == '\\' && s[1] != '\0') {
				sb_addc(&sb, *s++);
			} else if (*s == q)
				q = 0;
			sb_addc(&sb, *s);
		} else if (*s == '\'' || *s == '"') {
			q = *s;
			sb_addc(&sb, *s);
		} else if (!isspace((unsigned char)*s))
			sb_addc(&sb, *s);
	}
	return sb_detach(&sb);
}

/* Parse a quoted CEL string literal at s (whole remainder up to the
 * closing quote); returns the text after it, or NULL. */
static const char *
cel_string(const char *s, char **lit)
{
	struct strbuf	 sb = STRBUF_INIT;
	char		 q;

	if (*s != '\'' && *s != '"')
		return NULL;
	q = *s++;
	sb_init(&sb);
	for (; *s != '\0' && *s != q; s++) {
		if (*s == '\\' && s[1] != '\0') {
			s++;
			if (*s == 'n')
				sb_addc(&sb, '\n');
			else
				sb_addc(&sb, *s);
		} else
			sb_addc(&sb, *s);
	}
	if (*s != q) {
		sb_free(&sb);
		return NULL;
	}
	*lit = sb_detach(&sb);
	return s + 1;
}

/* Parse "size(self.<f>)>0" or "self.<f>.size()>0" at s; the field name in
 * *name and the rest of the text, or NULL. */
static const char *
cel_size_term(const char *s, char **name)
{
	const char	*p, *start;

	if (strncmp(s, "size(self.", 10) == 0) {
		start = p = s + 10;
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		if (p == start || strncmp(p, ")>0", 3) != 0)
			return NULL;
		*name = xstrndup(start, p - start);
		return p + 3;
	}
	if (strncmp(s, "self.", 5) == 0) {
		start = p = s + 5;
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		if (p == start || strncmp(p, ".size()>0", 9) != 0)
			return NULL;
		*name = xstrndup(start, p - start);
		return p + 9;
	}
	return NULL;
}

/* Recognise one of the implemented rule forms; 0 or -1. */
static int
cel_parse(struct cel_rule *r, const char *where, struct err *e)
{
	char		*s = cel_squeeze(r->rule), *lit = NULL, *name;
	const char	*p;
	char		*end;
	int		 rc = -1;

	if (strncmp(s, "self.metadata.name==", 20) == 0) {
		p = cel_string(s + 20, &lit);
		if (p != NULL && *p == '\0') {
			r->kind = CEL_NAME_EQ;
			r->lit = lit;
			lit = NULL;
			rc = 0;
		}
	} else if (strncmp(s, "self.metadata.name.size()", 25) == 0) {
		p = s + 25;
		if (strncmp(p, "<=", 2) == 0)
			r->op = OP_LE, p += 2;
		else if (strncmp(p, ">=", 2) == 0)
			r->op = OP_GE, p += 2;
		else if (strncmp(p, "==", 2) == 0)
			r->op = OP_EQ, p += 2;
		else if (strncmp(p, "!=", 2) == 0)
			r->op = OP_NE, p += 2;
		else if (*p == '<')
			r->op = OP_LT, p++;
		else if (*p == '>')
			r->op = OP_GT, p++;
		else
			p = NULL;
		if (p != NULL && isdigit((unsigned char)*p)) {
			r->n = strtoll(p, &end, 10);
			if (*end == '\0') {
				r->kind = CEL_NAME_SIZE;
				rc = 0;
			}
		}
	} else if (strncmp(s, "self.metadata.name.matches(", 27) == 0) {
		p = cel_string(s + 27, &lit);
		if (p != NULL && strcmp(p, ")") == 0) {
			if (re_compile(&r->re, lit, where, e) == -1)
				goto out;
			r->has_re = 1;
			r->kind = CEL_NAME_MATCHES;
			rc = 0;
		}
	} else {
		p = s;
		while ((p = cel_size_term(p, &name)) != NULL) {
			sl_take(&r->fields, name);
			if (*p == '\0') {
				r->kind = CEL_SIZE_ANY;
				rc = 0;
				break;
			}
			if (strncmp(p, "||", 2) != 0)
				break;
			p += 2;
		}
	}
	if (rc == -1)
		err_set(e, EXIT_USAGE, "%s: CEL rule \"%s\" is not supported by "
		    "the sandbox (it implements only the rules the MaaS CRDs "
		    "use)", where, r->rule);
out:
	free(lit);
	free(s);
	return rc;
}

static void
cel_free(struct cel_rule *r)
{
	free(r->rule);
	free(r->message);
	free(r->reason);
	free(r->lit);
	if (r->has_re)
		regfree(&r->re);
	sl_free(&r->fields);
}

/* Count UTF-8 code points. */
static long long
utf8_len(const char *s)
{
	long long	 n = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return n;
}

/* Evaluate one rule on v (at path); adds a cause when it does not hold. */
static void
cel_eval(const struct cel_rule *r, const cJSON *v, const char *path,
    const char *tname, struct vctx *c)
{
	const char	*name = json_str(v, "metadata.name");
	const char	*msg = r->message != NULL ? r->message : NULL;
	const cJSON	*f;
	char		*detail;
	long long	 len;
	size_t		 i;
	int		 ok = 0, err = 0;
	char		*errtext = NULL;

	switch (r->kind) {
	case CEL_NAME_EQ:
		ok = name != NULL && strcmp(name, r->lit) == 0;
		break;
	case CEL_NAME_SIZE:
		len = name != NULL ? utf8_len(name) : 0;
		switch (r->op) {
		case OP_LT: ok = len < r->n; break;
		case OP_LE: ok = len <= r->n; break;
		case OP_GT: ok = len > r->n; break;
		case OP_GE: ok = len >= r->n; break;
		case OP_EQ: ok = len == r->n; break;
		case OP_NE: ok = len != r->n; break;
		}
		break;
	case CEL_NAME_MATCHES:
		ok = name != NULL && regexec(&r->re, name, 0, NULL, 0) == 0;
		break;
	case CEL_SIZE_ANY:
		/* CEL "||" absorbs errors when any side is true. */
		for (i = 0; i < r->fields.n; i++) {
			f = cJSON_GetObjectItemCaseSensitive(v, r->fields.v[i]);
			if (f == NULL) {
				if (errtext == NULL)
					errtext = xasprintf("no such key: %s",
					    r->fields.v[i]);
				err = 1;
				continue;
			}
			if ((cJSON_IsArray(f) || cJSON_IsObject(f)) &&
			    cJSON_GetArraySize(f) > 0)
				ok = 1;
			else if (cJSON_IsString(f) && *f->valuestring != '\0')
				ok = 1;
		}
		break;
	}
	if (ok) {
		free(errtext);
		return;
	}
	if (err) {
		detail = xasprintf("%s evaluating rule: %s", errtext,
		    msg != NULL ? msg : r->rule);
		add_invalid_str(c, "FieldValueInvalid", path, tname, detail);
		free(detail);
		free(errtext);
		return;
	}
	if (msg == NULL)
		detail = xasprintf("failed rule: %s", r->rule);
	else
		detail = xstrdup(msg);
	if (r->reason != NULL && strcmp(r->reason, "FieldValueForbidden") == 0)
		add_cause(c, r->reason, path, xasprintf("Forbidden: %s",
		    detail));
	else if (r->reason != NULL &&
	    strcmp(r->reason, "FieldValueRequired") == 0)
		add_cause(c, r->reason, path, xasprintf("Required value: %s",
		    detail));
	else
		add_invalid_str(c, r->reason != NULL ? r->reason :
		    "FieldValueInvalid", path, tname, detail);
	free(detail);
}

/* ---- compile ---------------------------------------------------------- */

static int
parse_type(const char *t)
{
	if (strcmp(t, "object") == 0)
		return T_OBJECT;
	if (strcmp(t, "array") == 0)
		return T_ARRAY;
	if (strcmp(t, "string") == 0)
		return T_STRING;
	if (strcmp(t, "integer") == 0)
		return T_INTEGER;
	if (strcmp(t, "number") == 0)
		return T_NUMBER;
	if (strcmp(t, "boolean") == 0)
		return T_BOOLEAN;
	return -1;
}

static long long
get_ll(const cJSON *s, const char *key)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(s, key);
	double		 d;

	if (v == NULL || !is_num(v, &d))
		return -1;
	return (long long)d;
}

static int
get_flag(const cJSON *s, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, key));
}

static struct snode *snode_compile(const cJSON *, const char *, struct err *);

/* Compile x-kubernetes-validations at where into n. */
static int
compile_rules(struct snode *n, const cJSON *list, const char *where,
    struct err *e)
{
	const cJSON	*r;
	char		*w;
	size_t		 i = 0;
	const char	*rule;

	if (!cJSON_IsArray(list))
		return err_set(e, EXIT_USAGE, "%s: must be a list", where), -1;
	n->rules = xcalloc(cJSON_GetArraySize(list) + 1, sizeof *n->rules);
	cJSON_ArrayForEach(r, list) {
		w = xasprintf("%s[%zu].rule", where, i++);
		rule = json_str(r, "rule");
		if (rule == NULL) {
			err_set(e, EXIT_USAGE, "%s: Required value", w);
			free(w);
			return -1;
		}
		if (json_path(r, "messageExpression") != NULL) {
			err_set(e, EXIT_USAGE, "%s: messageExpression is not "
			    "supported by the sandbox", w);
			free(w);
			return -1;
		}
		n->rules[n->nrules].rule = xstrdup(rule);
		if (json_str(r, "message") != NULL)
			n->rules[n->nrules].message =
			    xstrdup(json_str(r, "message"));
		if (json_str(r, "reason") != NULL)
			n->rules[n->nrules].reason =
			    xstrdup(json_str(r, "reason"));
		n->nrules++;
		if (cel_parse(&n->rules[n->nrules - 1], w, e) == -1) {
			free(w);
			return -1;
		}
		free(w);
	}
	return 0;
}

static int
prop_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sprop *)a)->name,
	    ((const struct sprop *)b)->name);
}

/* Compile one schema object found at where. */
static struct snode *
snode_compile(const cJSON *s, const char *where, struct err *e)
{
	struct snode	*n = xcalloc(1, sizeof *n);
	const cJSON	*v, *p;
	char		*w;
	const char	*t;
	double		 d;

	n->min_len = n->max_len = n->min_items = n->max_items = -1;
	n->min_props = n->max_props = -1;
	if (!cJSON_IsObject(s)) {
		err_set(e, EXIT_USAGE, "%s: must be an object", where);
		goto fail;
	}
	if ((t = json_str(s, "type")) != NULL && (n->types = parse_type(t)) ==
	    -1) {
		err_set(e, EXIT_USAGE, "%s.type: Unsupported value: \"%s\"",
		    where, t);
		goto fail;
	}
	n->nullable = get_flag(s, "nullable");
	n->preserve = get_flag(s, "x-kubernetes-preserve-unknown-fields");
	n->int_or_string = get_flag(s, "x-kubernetes-int-or-string");
	n->embedded = get_flag(s, "x-kubernetes-embedded-resource");
	if (n->embedded)
		n->types = T_OBJECT;
	if ((v = cJSON_GetObjectItemCaseSensitive(s, "properties")) != NULL) {
		n->props = xcalloc(cJSON_GetArraySize(v) + 1, sizeof *n->props);
		cJSON_ArrayForEach(p, v) {
			w = xasprintf("%s.properties[%s]", where, p->string);
			n->props[n->nprops].name = xstrdup(p->string);
			n->props[n->nprops].node = snode_compile(p, w, e);
			free(w);
			if (n->props[n->nprops++].node == NULL)
				goto fail;
		}
		qsort(n->props, n->nprops, sizeof *n->props, prop_cmp);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(s, "items")) != NULL) {
		w = xasprintf("%s.items", where);
		n->items = snode_compile(v, w, e);
		free(w);
		if (n->items == NULL)
			goto fail;
	}
	v = cJSON_GetObjectItemCaseSensitive(s, "additionalProperties");
	if (cJSON_IsTrue(v))
		n->addl_any = 1;
	else if (cJSON_IsObject(v)) {
		w = xasprintf("%s.additionalProperties", where);
		n->addl = snode_compile(v, w, e);
		free(w);
		if (n->addl == NULL)
			goto fail;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(s, "required")) != NULL) {
		cJSON_ArrayForEach(p, v) {
			if (cJSON_IsString(p))
				sl_add(&n->required, p->valuestring);
		}
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(s, "enum")) != NULL &&
	    cJSON_IsArray(v))
		n->enumv = cJSON_Duplicate(v, 1);
	if ((t = json_str(s, "pattern")) != NULL) {
		w = xasprintf("%s.pattern", where);
		n->pattern = xstrdup(t);
		if (re_compile(&n->re, t, w, e) == -1) {
			free(w);
			goto fail;
		}
		free(w);
		n->has_re = 1;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(s, "minimum")) != NULL &&
	    is_num(v, &d)) {
		n->has_min = 1;
		n->min = d;
		n->excl_min = get_flag(s, "exclusiveMinimum");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(s, "maximum")) != NULL &&
	    is_num(v, &d)) {
		n->has_max = 1;
		n->max = d;
		n->excl_max = get_flag(s, "exclusiveMaximum");
	}
	n->min_len = get_ll(s, "minLength");
	n->max_len = get_ll(s, "maxLength");
	n->min_items = get_ll(s, "minItems");
	n->max_items = get_ll(s, "maxItems");
	n->min_props = get_ll(s, "minProperties");
	n->max_props = get_ll(s, "maxProperties");
	if ((t = json_str(s, "format")) != NULL)
		n->format = xstrdup(t);
	if ((v = cJSON_GetObjectItemCaseSensitive(s, "default")) != NULL)
		n->deflt = cJSON_Duplicate(v, 1);
	if ((v = cJSON_GetObjectItemCaseSensitive(s,
	    "x-kubernetes-validations")) != NULL) {
		w = xasprintf("%s.x-kubernetes-validations", where);
		if (compile_rules(n, v, w, e) == -1) {
			free(w);
			goto fail;
		}
		free(w);
	}
	if (cJSON_GetObjectItemCaseSensitive(s, "allOf") != NULL ||
	    cJSON_GetObjectItemCaseSensitive(s, "anyOf") != NULL ||
	    cJSON_GetObjectItemCaseSensitive(s, "oneOf") != NULL ||
	    cJSON_GetObjectItemCaseSensitive(s, "not") != NULL) {
		/* Only the int-or-string idiom is understood. */
		if (!n->int_or_string) {
			err_set(e, EXIT_USAGE, "%s: allOf/anyOf/oneOf/not are "
			    "not supported by the sandbox", where);
			goto fail;
		}
	}
	return n;
fail:
	snode_free(n);
	return NULL;
}

static void
snode_free(struct snode *n)
{
	size_t	 i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nprops; i++) {
		free(n->props[i].name);
		snode_free(n->props[i].node);
	}
	free(n->props);
	snode_free(n->items);
	snode_free(n->addl);
	sl_free(&n->required);
	cJSON_Delete(n->enumv);
	free(n->pattern);
	if (n->has_re)
		regfree(&n->re);
	free(n->format);
	cJSON_Delete(n->deflt);
	for (i = 0; i < n->nrules; i++)
		cel_free(&n->rules[i]);
	free(n->rules);
	free(n);
}

/* Whether n or anything below it has CEL rules. */
static int
snode_has_rules(const struct snode *n)
{
	size_t	 i;

	if (n == NULL)
		return 0;
	if (n->nrules > 0 || snode_has_rules(n->items) ||
	    snode_has_rules(n->addl))
		return 1;
	for (i = 0; i < n->nprops; i++) {
		if (snode_has_rules(n->props[i].node))
			return 1;
	}
	return 0;
}

static struct snode *
snode_prop(const struct snode *n, const char *name)
{
	struct sprop	 key, *p;

	if (n == NULL || n->nprops == 0)
		return NULL;
	key.name = (char *)name;
	p = bsearch(&key, n->props, n->nprops, sizeof *n->props, prop_cmp);
	return p != NULL ? p->node : NULL;
}

struct sbx_crd *
sbx_crd_compile(const cJSON *crd, struct err *e)
{
	struct sbx_crd	*c = xcalloc(1, sizeof *c);
	const cJSON	*vers, *v, *s;
	const char	*name, *kind, *group, *plural, *scope, *vn;
	char		*w;
	size_t		 i = 0;

	name = json_str(crd, "metadata.name");
	kind = json_str(crd, "spec.names.kind");
	group = json_str(crd, "spec.group");
	plural = json_str(crd, "spec.names.plural");
	scope = json_str(crd, "spec.scope");
	vers = json_path(crd, "spec.versions");
	c->name = xstrdup(name != NULL ? name : "");
	if (kind == NULL || group == NULL || plural == NULL) {
		err_set(e, EXIT_USAGE, "CustomResourceDefinition \"%s\": "
		    "spec.group, spec.names.kind and spec.names.plural are "
		    "required", c->name);
		goto fail;
	}
	if (scope == NULL || (strcmp(scope, "Namespaced") != 0 &&
	    strcmp(scope, "Cluster") != 0)) {
		err_set(e, EXIT_USAGE, "CustomResourceDefinition \"%s\": "
		    "spec.scope: Unsupported value: \"%s\": supported values: "
		    "\"Cluster\", \"Namespaced\"", c->name,
		    scope != NULL ? scope : "");
		goto fail;
	}
	if (!cJSON_IsArray(vers) || cJSON_GetArraySize(vers) == 0) {
		err_set(e, EXIT_USAGE, "CustomResourceDefinition \"%s\": "
		    "spec.versions: Required value", c->name);
		goto fail;
	}
	c->kind = xstrdup(kind);
	c->group = xstrdup(group);
	c->plural = xstrdup(plural);
	c->namespaced = strcmp(scope, "Namespaced") == 0;
	c->versions = xcalloc(cJSON_GetArraySize(vers), sizeof *c->versions);
	cJSON_ArrayForEach(v, vers) {
		vn = json_str(v, "name");
		if (vn == NULL) {
			err_set(e, EXIT_USAGE, "CustomResourceDefinition \"%s\": "
			    "spec.versions[%zu].name: Required value", c->name,
			    i);
			goto fail;
		}
		c->versions[i].name = xstrdup(vn);
		c->versions[i].served = json_bool(v, "served", 1);
		c->nversions = i + 1;
		s = json_path(v, "schema.openAPIV3Schema");
		if (s != NULL) {
			w = xasprintf("CustomResourceDefinition \"%s\": "
			    "spec.versions[%zu].schema.openAPIV3Schema",
			    c->name, i);
			c->versions[i].root = snode_compile(s, w, e);
			free(w);
			if (c->versions[i].root == NULL)
				goto fail;
			c->versions[i].has_rules =
			    snode_has_rules(c->versions[i].root);
		}
		i++;
	}
	return c;
fail:
	sbx_crd_free(c);
	return NULL;
}

void
sbx_crd_free(struct sbx_crd *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nversions; i++) {
		free(c->versions[i].name);
		snode_free(c->versions[i].root);
	}
	free(c->versions);
	free(c->name);
	free(c->kind);
	free(c->group);
	free(c->plural);
	free(c);
}

const char *
sbx_crd_kind(const struct sbx_crd *c)
{
	return c->kind;
}

const char *
sbx_crd_group(const struct sbx_crd *c)
{
	return c->group;
}

const char *
sbx_crd_plural(const struct sbx_crd *c)
{
	return c->plural;
}

int
sbx_crd_namespaced(const struct sbx_crd *c)
{
	return c->namespaced;
}

static const struct sversion *
crd_version(const struct sbx_crd *c, const char *v)
{
	size_t	 i;

	for (i = 0; i < c->nversions; i++) {
		if (strcmp(c->versions[i].name, v) == 0)
			return &c->versions[i];
	}
	return NULL;
}

int
sbx_crd_has_version(const struct sbx_crd *c, const char *v)
{
	const struct sversion	*sv = crd_version(c, v);

	return sv != NULL && sv->served;
}

/* ---- pruning and defaulting ------------------------------------------ */

/* ObjectMeta's fields (everything else under metadata is unknown). */
static const char *meta_fields[] = {
	"name", "generateName", "namespace", "selfLink", "uid",
	"resourceVersion", "generation", "creationTimestamp",
	"deletionTimestamp", "deletionGracePeriodSeconds", "labels",
	"annotations", "ownerReferences", "finalizers", "managedFields", NULL
};

static int
is_meta_field(const char *k)
{
	size_t	 i;

	for (i = 0; meta_fields[i] != NULL; i++) {
		if (strcmp(meta_fields[i], k) == 0)
			return 1;
	}
	return 0;
}

/* Prune unknown fields of metadata at path, recording their paths. */
static void
prune_meta(cJSON *m, const char *path, struct strlist *unknown)
{
	cJSON	*k, *next;

	if (!cJSON_IsObject(m))
		return;
	for (k = m->child; k != NULL; k = next) {
		next = k->next;
		if (!is_meta_field(k->string)) {
			sl_take(unknown, path_child(path, k->string));
			cJSON_Delete(cJSON_DetachItemViaPointer(m, k));
		}
	}
}

static void prune(cJSON *, const struct snode *, const char *, int,
    struct strlist *);

/* Prune the members of object v against n. */
static void
prune_object(cJSON *v, const struct snode *n, const char *path, int root,
    struct strlist *unknown)
{
	cJSON		*k, *next;
	struct snode	*ps;
	char		*p;

	for (k = v->child; k != NULL; k = next) {
		next = k->next;
		p = path_child(path, k->string);
		ps = snode_prop(n, k->string);
		if ((root || n->embedded) && (strcmp(k->string, "apiVersion") ==
		    0 || strcmp(k->string, "kind") == 0)) {
			/* always kept */
		} else if ((root || n->embedded) &&
		    strcmp(k->string, "metadata") == 0) {
			prune_meta(k, p, unknown);
		} else if (ps != NULL) {
			if (cJSON_IsNull(k) && !ps->nullable) {
				cJSON_Delete(cJSON_DetachItemViaPointer(v, k));
			} else
				prune(k, ps, p, 0, unknown);
		} else if (n->addl != NULL) {
			if (cJSON_IsNull(k) && !n->addl->nullable)
				cJSON_Delete(cJSON_DetachItemViaPointer(v, k));
			else
				prune(k, n->addl, p, 0, unknown);
		} else if (!n->preserve && !n->addl_any) {
			sl_take(unknown, p);
			p = NULL;
			cJSON_Delete(cJSON_DetachItemViaPointer(v, k));
		}
		free(p);
	}
}

/* Drop nulls of non-nullable fields and unknown fields (paths recorded
 * in unknown) from v, described by n. */
static void
prune(cJSON *v, const struct snode *n, const char *path, int root,
    struct strlist *unknown)
{
	cJSON	*it;
	char	*p;
	size_t	 i = 0;

	if (n == NULL)
		return;
	if (cJSON_IsObject(v) && (n->types == 0 || n->types & T_OBJECT) &&
	    !n->int_or_string) {
		if (n->nprops > 0 || n->addl != NULL || root || n->embedded ||
		    (!n->preserve && !n->addl_any))
			prune_object(v, n, path, root, unknown);
	} else if (cJSON_IsArray(v) && n->items != NULL) {
		cJSON_ArrayForEach(it, v) {
			p = path_index(path, i++);
			prune(it, n->items, p, 0, unknown);
			free(p);
		}
	}
}

/* Apply defaults below v (described by n). */
static void
apply_defaults(cJSON *v, const struct snode *n)
{
	cJSON	*it;
	size_t	 i;

	if (n == NULL)
		return;
	if (cJSON_IsObject(v)) {
		for (i = 0; i < n->nprops; i++) {
			it = cJSON_GetObjectItemCaseSensitive(v,
			    n->props[i].name);
			if (it == NULL && n->props[i].node->deflt != NULL) {
				it = cJSON_Duplicate(n->props[i].node->deflt,
				    1);
				cJSON_AddItemToObject(v, n->props[i].name, it);
			}
			if (it != NULL)
				apply_defaults(it, n->props[i].node);
		}
		if (n->addl != NULL) {
			cJSON_ArrayForEach(it, v)
				apply_defaults(it, n->addl);
		}
	} else if (cJSON_IsArray(v) && n->items != NULL) {
		cJSON_ArrayForEach(it, v)
			apply_defaults(it, n->items);
	}
}

/* ---- validation ------------------------------------------------------- */

/* A kube-openapi error text "<path> in body <what>" as field.Invalid. */
static void
add_openapi(struct vctx *c, const char *path, const cJSON *v,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
add_openapi(struct vctx *c, const char *path, const cJSON *v,
    const char *fmt, ...)
{
	struct strbuf	 sb = STRBUF_INIT;
	va_list		 ap;

	sb_init(&sb);
	sb_addf(&sb, "%s in body ", path != NULL && *path != '\0' ? path :
	    "<nil>");
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	add_invalid(c, path, v, sb.buf);
	sb_free(&sb);
}

/* Whether v is a valid RFC 3339 date-time (Go's strfmt). */
static int
valid_datetime(const char *s)
{
	int	 i;

	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				return 0;
		} else if (!isdigit((unsigned char)s[i]))
			return 0;
	}
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
		return 0;
	s += 11;
	for (i = 0; i < 8; i++) {
		if (i == 2 || i == 5) {
			if (s[i] != ':')
				return 0;
		} else if (!isdigit((unsigned char)s[i]))
			return 0;
	}
	s += 8;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'Z' || *s == 'z')
		return s[1] == '\0';
	if ((*s == '+' || *s == '-') && isdigit((unsigned char)s[1]) &&
	    isdigit((unsigned char)s[2]) && s[3] == ':' &&
	    isdigit((unsigned char)s[4]) && isdigit((unsigned char)s[5]) &&
	    s[6] == '\0')
		return 1;
	return 0;
}

/* Whether s is valid for one of the string formats the apiserver checks;
 * unknown formats pass, as in kube-openapi's registry. */
static int
valid_format(const char *format, const char *s)
{
	size_t	 i, n;

	if (strcmp(format, "date-time") == 0)
		return valid_datetime(s);
	if (strcmp(format, "date") == 0) {
		if (strlen(s) != 10)
			return 0;
		for (i = 0; i < 10; i++) {
			if ((i == 4 || i == 7) ? s[i] != '-' :
			    !isdigit((unsigned char)s[i]))
				return 0;
		}
		return 1;
	}
	if (strcmp(format, "byte") == 0) {
		n = strlen(s);
		if (n % 4 != 0)
			return 0;
		for (i = 0; i < n; i++) {
			if (!isalnum((unsigned char)s[i]) && s[i] != '+' &&
			    s[i] != '/' && !(s[i] == '=' && i >= n - 2))
				return 0;
		}
		return 1;
	}
	if (strcmp(format, "uuid") == 0) {
		if (strlen(s) != 36)
			return 0;
		for (i = 0; i < 36; i++) {
			if ((i == 8 || i == 13 || i == 18 || i == 23) ?
			    s[i] != '-' : !isxdigit((unsigned char)s[i]))
				return 0;
		}
		return 1;
	}
	return 1;
}

/* Whether v matches the node's declared type(s). */
static int
type_ok(const struct snode *n, const cJSON *v)
{
	double	 d;

	if (n->int_or_string)
		return cJSON_IsString(v) || (is_num(v, &d) && is_integral(d));
	if (n->types == 0)
		return 1;
	if ((n->types & T_OBJECT) && cJSON_IsObject(v))
		return 1;
	if ((n->types & T_ARRAY) && cJSON_IsArray(v))
		return 1;
	if ((n->types & T_STRING) && cJSON_IsString(v))
		return 1;
	if ((n->types & T_BOOLEAN) && cJSON_IsBool(v))
		return 1;
	if ((n->types & T_NUMBER) && is_num(v, &d))
		return 1;
	if ((n->types & T_INTEGER) && is_num(v, &d) && is_integral(d))
		return 1;
	return 0;
}

static const char *
declared_type(const struct snode *n)
{
	if (n->types & T_OBJECT)
		return "object";
	if (n->types & T_ARRAY)
		return "array";
	if (n->types & T_STRING)
		return "string";
	if (n->types & T_INTEGER)
		return "integer";
	if (n->types & T_NUMBER)
		return "number";
	return "boolean";
}

static void validate(const cJSON *, const struct snode *, const char *,
    struct vctx *);

static void
validate_string(const cJSON *v, const struct snode *n, const char *path,
    struct vctx *c)
{
	const char	*s = v->valuestring;
	long long	 len = utf8_len(s);
	struct strbuf	 sb = STRBUF_INIT;

	if (n->max_len >= 0 && len > n->max_len) {
		add_cause(c, "FieldValueTooLong", path, xasprintf("Too long: "
		    "may not be more than %lld %s", n->max_len,
		    n->max_len == 1 ? "byte" : "bytes"));
	}
	if (n->min_len >= 0 && len < n->min_len)
		add_openapi(c, path, v, "should be at least %lld chars long",
		    n->min_len);
	if (n->has_re && regexec(&n->re, s, 0, NULL, 0) != 0)
		add_openapi(c, path, v, "should match '%s'", n->pattern);
	if (n->format != NULL && !valid_format(n->format, s)) {
		sb_init(&sb);
		sb_addf(&sb, "%s in body must be of type %s: ", path,
		    n->format);
		json_quote(&sb, s, QUOTE_GO);
		add_invalid_str(c, "FieldValueTypeInvalid", path, s, sb.buf);
		sb_free(&sb);
		c->blocking = 1;
	}
}

static void
validate_number(const cJSON *v, const struct snode *n, const char *path,
    struct vctx *c)
{
	struct strbuf	 lim = STRBUF_INIT;
	double		 d = 0;

	is_num(v, &d);
	sb_init(&lim);
	if (n->has_max && (n->excl_max ? d >= n->max : d > n->max)) {
		add_number(&lim, n->max);
		add_openapi(c, path, v, "should be less than %s%s",
		    n->excl_max ? "" : "or equal to ", lim.buf);
	}
	sb_reset(&lim);
	if (n->has_min && (n->excl_min ? d <= n->min : d < n->min)) {
		add_number(&lim, n->min);
		add_openapi(c, path, v, "should be greater than %s%s",
		    n->excl_min ? "" : "or equal to ", lim.buf);
	}
	sb_free(&lim);
}

static void
validate_enum(const cJSON *v, const struct snode *n, const char *path,
    struct vctx *c)
{
	const cJSON	*ev;
	struct strbuf	 sb = STRBUF_INIT;
	char		*s;
	int		 first = 1;

	cJSON_ArrayForEach(ev, n->enumv) {
		if (json_equal(ev, v))
			return;
	}
	sb_init(&sb);
	sb_adds(&sb, "Unsupported value: ");
	add_value(&sb, v);
	sb_adds(&sb, ": supported values: ");
	cJSON_ArrayForEach(ev, n->enumv) {
		if (!first)
			sb_adds(&sb, ", ");
		first = 0;
		if (cJSON_IsString(ev))
			json_quote(&sb, ev->valuestring, QUOTE_GO);
		else {
			s = json_print(ev, 0);
			json_quote(&sb, s, QUOTE_GO);
			free(s);
		}
	}
	add_cause(c, "FieldValueNotSupported", path, sb_detach(&sb));
	c->blocking = 1;
}

static void
validate_object(const cJSON *v, const struct snode *n, const char *path,
    struct vctx *c)
{
	const cJSON	*it;
	struct snode	*ps;
	char		*p;
	size_t		 i;
	long long	 np = cJSON_GetArraySize(v);

	for (i = 0; i < n->required.n; i++) {
		it = cJSON_GetObjectItemCaseSensitive(v, n->required.v[i]);
		if (it == NULL) {
			p = path_child(path, n->required.v[i]);
			add_cause(c, "FieldValueRequired", p,
			    xstrdup("Required value"));
			free(p);
		}
	}
	if (n->max_props >= 0 && np > n->max_props) {
		p = xasprintf("Too many: %lld: must have at most %lld %s", np,
		    n->max_props, n->max_props == 1 ? "item" : "items");
		add_cause(c, "FieldValueTooMany", path, p);
	}
	if (n->min_props >= 0 && np < n->min_props)
		add_openapi(c, path, v, "should have at least %lld properties",
		    n->min_props);
	if (n->embedded) {
		if (json_str(v, "kind") == NULL ||
		    *json_str(v, "kind") == '\0') {
			p = path_child(path, "kind");
			add_cause(c, "FieldValueRequired", p,
			    xstrdup("Required value: must not be empty"));
			free(p);
		}
		if (json_str(v, "apiVersion") == NULL ||
		    *json_str(v, "apiVersion") == '\0') {
			p = path_child(path, "apiVersion");
			add_cause(c, "FieldValueRequired", p,
			    xstrdup("Required value: must not be empty"));
			free(p);
		}
	}
	cJSON_ArrayForEach(it, v) {
		ps = snode_prop(n, it->string);
		if (ps == NULL)
			ps = n->addl;
		if (ps == NULL)
			continue;
		p = path_child(path, it->string);
		validate(it, ps, p, c);
		free(p);
	}
}

static void
validate_array(const cJSON *v, const struct snode *n, const char *path,
    struct vctx *c)
{
	const cJSON	*it;
	char		*p;
	size_t		 i = 0;
	long long	 size = cJSON_GetArraySize(v);

	if (n->items != NULL) {
		cJSON_ArrayForEach(it, v) {
			p = path_index(path, i++);
			validate(it, n->items, p, c);
			free(p);
		}
	}
	if (n->min_items >= 0 && size < n->min_items) {
		cJSON	*sz = cJSON_CreateNumber((double)size);

		add_openapi(c, path, sz, "should have at least %lld items",
		    n->min_items);
		cJSON_Delete(sz);
	}
	if (n->max_items >= 0 && size > n->max_items)
		add_cause(c, "FieldValueTooMany", path, xasprintf("Too many: "
		    "%lld: must have at most %lld %s", size, n->max_items,
		    n->max_items == 1 ? "item" : "items"));
}

/* Validate v against n (kube-openapi order: type, string, format,
 * number, items, enum, object). */
static void
validate(const cJSON *v, const struct snode *n, const char *path,
    struct vctx *c)
{
	struct strbuf	 sb = STRBUF_INIT;
	const char	*tn;
	double		 d;

	if (n == NULL)
		return;
	if (cJSON_IsNull(v)) {
		if (n->nullable || n->types == 0)
			return;
		sb_init(&sb);
		sb_addf(&sb, "%s in body must be of type %s: \"null\"", path,
		    declared_type(n));
		add_invalid_str(c, "FieldValueTypeInvalid", path, "null",
		    sb.buf);
		sb_free(&sb);
		c->blocking = 1;
		return;
	}
	if (!type_ok(n, v)) {
		tn = type_name(v);
		sb_init(&sb);
		sb_addf(&sb, "%s in body must be of type %s: \"%s\"", path,
		    n->int_or_string ? "integer,string" : declared_type(n), tn);
		add_invalid_str(c, "FieldValueTypeInvalid", path, tn, sb.buf);
		sb_free(&sb);
		c->blocking = 1;
		return;
	}
	if (cJSON_IsString(v))
		validate_string(v, n, path, c);
	else if (is_num(v, &d))
		validate_number(v, n, path, c);
	else if (cJSON_IsArray(v))
		validate_array(v, n, path, c);
	if (n->enumv != NULL)
		validate_enum(v, n, path, c);
	if (cJSON_IsObject(v))
		validate_object(v, n, path, c);
}

/* Run the CEL rules below v (only where the value is present). */
static void
validate_cel(const cJSON *v, const struct snode *n, const char *path,
    struct vctx *c)
{
	const cJSON	*it;
	struct snode	*ps;
	char		*p;
	size_t		 i = 0;

	if (n == NULL || v == NULL || cJSON_IsNull(v))
		return;
	for (i = 0; i < n->nrules; i++)
		cel_eval(&n->rules[i], v, path, type_name(v), c);
	if (cJSON_IsObject(v)) {
		cJSON_ArrayForEach(it, v) {
			ps = snode_prop(n, it->string);
			if (ps == NULL)
				ps = n->addl;
			if (ps == NULL)
				continue;
			p = path_child(path, it->string);
			validate_cel(it, ps, p, c);
			free(p);
		}
	} else if (cJSON_IsArray(v) && n->items != NULL) {
		i = 0;
		cJSON_ArrayForEach(it, v) {
			p = path_index(path, i++);
			validate_cel(it, n->items, p, c);
			free(p);
		}
	}
}

/* ---- metadata.name ---------------------------------------------------- */

static int
dns_label_ok(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (!(islower((unsigned char)s[i]) ||
		    isdigit((unsigned char)s[i]) || s[i] == '-'))
			return 0;
	}
	return isalnum((unsigned char)s[0]) &&
	    isalnum((unsigned char)s[len - 1]);
}

static int
dns_subdomain_ok(const char *s)
{
	const char	*dot;

	for (;;) {
		dot = strchr(s, '.');
		if (!dns_label_ok(s, dot != NULL ? (size_t)(dot - s) :
		    strlen(s)))
			return 0;
		if (dot == NULL)
			return 1;
		s = dot + 1;
	}
}

enum name_rule { NAME_SUBDOMAIN, NAME_LABEL, NAME_SEGMENT };

/* Check metadata.name of obj; causes added to c. */
static void
check_name(const cJSON *obj, enum name_rule rule, struct vctx *c)
{
	const cJSON	*nm = json_path(obj, "metadata.name");
	const char	*gen = json_str(obj, "metadata.generateName");
	const char	*s;

	if (nm == NULL || (cJSON_IsString(nm) && *nm->valuestring == '\0')) {
		if (gen == NULL || *gen == '\0')
			add_cause(c, "FieldValueRequired", "metadata.name",
			    xstrdup("Required value: name or generateName is "
			    "required"));
		return;
	}
	if (!cJSON_IsString(nm)) {
		add_invalid(c, "metadata.name", nm, "must be a string");
		return;
	}
	s = nm->valuestring;
	switch (rule) {
	case NAME_LABEL:
		if (strlen(s) > 63)
			add_invalid(c, "metadata.name", nm,
			    "must be no more than 63 characters");
		if (!dns_label_ok(s, strlen(s)))
			add_invalid(c, "metadata.name", nm, "a lowercase RFC "
			    "1123 label must consist of lower case alphanumeric "
			    "characters or '-', and must start and end with an "
			    "alphanumeric character (e.g. 'my-name',  or "
			    "'123-abc', regex used for validation is "
			    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
		break;
	case NAME_SUBDOMAIN:
		if (strlen(s) > 253)
			add_invalid(c, "metadata.name", nm,
			    "must be no more than 253 characters");
		if (!dns_subdomain_ok(s))
			add_invalid(c, "metadata.name", nm, "a lowercase RFC "
			    "1123 subdomain must consist of lower case "
			    "alphanumeric characters, '-' or '.', and must "
			    "start and end with an alphanumeric character (e.g. "
			    "'example.com', regex used for validation is "
			    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]"
			    "([-a-z0-9]*[a-z0-9])?)*')");
		break;
	case NAME_SEGMENT:
		if (strcmp(s, ".") == 0)
			add_invalid(c, "metadata.name", nm, "may not be '.'");
		else if (strcmp(s, "..") == 0)
			add_invalid(c, "metadata.name", nm, "may not be '..'");
		if (strchr(s, '/') != NULL)
			add_invalid(c, "metadata.name", nm,
			    "may not contain '/'");
		if (strchr(s, '%') != NULL)
			add_invalid(c, "metadata.name", nm,
			    "may not contain '%'");
		break;
	}
}

/* ---- results ---------------------------------------------------------- */

static void
invalid_fill(struct sbx_invalid *out, const char *kind, const char *group,
    const cJSON *obj)
{
	const char	*name = json_str(obj, "metadata.name");

	if (name == NULL)
		name = "";
	free(out->kind);
	free(out->group);
	free(out->name);
	out->kind = xstrdup(kind);
	out->group = xstrdup(group);
	out->name = xstrdup(name);
}

/* Turn the causes in c into a 422 Invalid result. */
static int
invalid_finish(struct sbx_invalid *out, struct vctx *c)
{
	struct strbuf	 sb = STRBUF_INIT;
	size_t		 i, j, n = 0;

	/* Aggregate drops duplicate messages, as the apiserver does. */
	for (i = 0; i < c->n; i++) {
		for (j = 0; j < n; j++) {
			if (strcmp(c->causes[j].field, c->causes[i].field) ==
			    0 && strcmp(c->causes[j].message,
			    c->causes[i].message) == 0)
				break;
		}
		if (j < n) {
			free(c->causes[i].reason);
			free(c->causes[i].field);
			free(c->causes[i].message);
			continue;
		}
		c->causes[n++] = c->causes[i];
	}
	c->n = n;
	sb_init(&sb);
	if (*out->group != '\0')
		sb_addf(&sb, "%s.%s \"%s\" is invalid: ", out->kind, out->group,
		    out->name);
	else
		sb_addf(&sb, "%s \"%s\" is invalid: ", out->kind, out->name);
	if (n > 1)
		sb_addc(&sb, '[');
	for (i = 0; i < n; i++) {
		if (i > 0)
			sb_adds(&sb, ", ");
		sb_addf(&sb, "%s: %s", c->causes[i].field,
		    c->causes[i].message);
	}
	if (n > 1)
		sb_addc(&sb, ']');
	out->status = 422;
	out->reason = xstrdup("Invalid");
	out->message = sb_detach(&sb);
	out->causes = c->causes;
	out->ncauses = n;
	c->causes = NULL;
	c->n = c->cap = 0;
	return -1;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
sbx_crd_validate(const struct sbx_crd *crd, const char *version, cJSON *obj,
    enum sbx_fv fv, struct sbx_invalid *out)
{
	const struct sversion	*sv = crd_version(crd, version);
	struct strlist		 unknown = STRLIST_INIT;
	struct strbuf		 sb = STRBUF_INIT;
	struct vctx		 c = { NULL, 0, 0, 0 };
	size_t			 i;
	int			 rc = 0;

	invalid_fill(out, crd->kind, crd->group, obj);
	if (!cJSON_IsObject(obj)) {
		add_cause(&c, "FieldValueTypeInvalid", "",
		    xstrdup("Invalid value: the object must be a JSON object"));
		return invalid_finish(out, &c);
	}
	if (sv != NULL && sv->root != NULL) {
		prune(obj, sv->root, "", 1, &unknown);
	} else
		prune_meta(json_path(obj, "metadata"), "metadata", &unknown);
	if (unknown.n > 0) {
		qsort(unknown.v, unknown.n, sizeof *unknown.v, str_cmp);
		if (fv == SBX_FV_STRICT) {
			sb_init(&sb);
			sb_addf(&sb, "%s in version \"%s\" cannot be handled as "
			    "a %s: strict decoding error: ", crd->kind, version,
			    crd->kind);
			for (i = 0; i < unknown.n; i++)
				sb_addf(&sb, "%sunknown field \"%s\"",
				    i > 0 ? ", " : "", unknown.v[i]);
			out->status = 400;
			out->reason = xstrdup("BadRequest");
			out->message = sb_detach(&sb);
			sl_free(&unknown);
			return -1;
		}
		if (fv == SBX_FV_WARN) {
			for (i = 0; i < unknown.n; i++)
				sl_addf(&out->warnings, "unknown field \"%s\"",
				    unknown.v[i]);
		}
	}
	sl_free(&unknown);
	if (sv != NULL && sv->root != NULL)
		apply_defaults(obj, sv->root);
	check_name(obj, NAME_SUBDOMAIN, &c);
	if (sv != NULL && sv->root != NULL) {
		validate(obj, sv->root, "", &c);
		/* The apiserver skips CEL after type or enum errors. */
		if (!sv->has_rules)
			;
		else if (c.blocking)
			add_invalid_str(&c, "FieldValueInvalid", "", NULL,
			    "some validation rules were not checked because "
			    "the object was invalid; correct the existing "
			    "errors to complete validation");
		else
			validate_cel(obj, sv->root, "", &c);
	}
	if (c.n > 0)
		rc = invalid_finish(out, &c);
	vctx_free(&c);
	return rc;
}

int
sbx_builtin_validate(const char *kind, const char *group, const cJSON *obj,
    struct sbx_invalid *out)
{
	struct vctx	 c = { NULL, 0, 0, 0 };
	enum name_rule	 rule = NAME_SUBDOMAIN;
	int		 rc = 0;

	invalid_fill(out, kind, group, obj);
	if (strcmp(kind, "Namespace") == 0)
		rule = NAME_LABEL;
	else if (strcmp(kind, "Group") == 0)
		rule = NAME_SEGMENT;
	check_name(obj, rule, &c);
	if (c.n > 0)
		rc = invalid_finish(out, &c);
	vctx_free(&c);
	return rc;
}

cJSON *
sbx_invalid_status(const struct sbx_invalid *inv)
{
	cJSON	*st = cJSON_CreateObject(), *d, *causes, *cs;
	size_t	 i;

	cJSON_AddStringToObject(st, "kind", "Status");
	cJSON_AddStringToObject(st, "apiVersion", "v1");
	cJSON_AddItemToObject(st, "metadata", cJSON_CreateObject());
	cJSON_AddStringToObject(st, "status", "Failure");
	cJSON_AddStringToObject(st, "message", inv->message != NULL ?
	    inv->message : "");
	cJSON_AddStringToObject(st, "reason", inv->reason != NULL ?
	    inv->reason : "Invalid");
	if (inv->status == 422) {
		d = cJSON_AddObjectToObject(st, "details");
		cJSON_AddStringToObject(d, "name", inv->name ? inv->name : "");
		cJSON_AddStringToObject(d, "group", inv->group ? inv->group :
		    "");
		cJSON_AddStringToObject(d, "kind", inv->kind ? inv->kind : "");
		causes = cJSON_AddArrayToObject(d, "causes");
		for (i = 0; i < inv->ncauses; i++) {
			cs = cJSON_CreateObject();
			cJSON_AddStringToObject(cs, "reason",
			    inv->causes[i].reason);
			cJSON_AddStringToObject(cs, "message",
			    inv->causes[i].message);
			cJSON_AddStringToObject(cs, "field",
			    inv->causes[i].field);
			cJSON_AddItemToArray(causes, cs);
		}
	}
	cJSON_AddNumberToObject(st, "code", inv->status ? inv->status : 422);
	return st;
}

void
sbx_invalid_free(struct sbx_invalid *inv)
{
	size_t	 i;

	for (i = 0; i < inv->ncauses; i++) {
		free(inv->causes[i].reason);
		free(inv->causes[i].field);
		free(inv->causes[i].message);
	}
	free(inv->causes);
	free(inv->reason);
	free(inv->message);
	free(inv->kind);
	free(inv->group);
	free(inv->name);
	sl_free(&inv->warnings);
	memset(inv, 0, sizeof *inv);
}
