/*
 * yaml.c: YAML <-> cJSON the way kubectl does it.  Parsing follows
 * sigs.k8s.io/yaml (go-yaml v2 decoding into interface{}, then JSON):
 * libyaml events are turned into cJSON with yaml.v2's scalar resolution,
 * anchors/aliases (with an expansion budget), merge keys and key
 * stringification.  Emission drives libyaml's emitter (of which yaml.v2 is
 * a port) with the styles yaml.v2's encoder asks for.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>	/* libyaml: common/ is -iquote, so this is the system one */

#include "json.h"
#include "xalloc.h"
#include "yaml.h"

#define YAML_TAG_PREFIX	"tag:yaml.org,2002:"
#define YAML_MAX_DEPTH	1000
#define YAML_ALIAS_BASE	100000		/* alias-expanded nodes always allowed */
#define YAML_ALIAS_RATIO 20		/* ... plus this many per parsed node */
#define YAML_ALIAS_MAX	4000000		/* hard cap per document */

/* A named anchor of the current document. */
struct yanchor {
	char	*name;
	cJSON	*value;		/* NULL while the anchored node is being built */
	size_t	 size;		/* nodes in value, charged to each alias use */
};

/* The state of one parse. */
struct yparser {
	yaml_parser_t	 p;
	yaml_event_t	 ev;		/* the current event */
	int		 have_ev;	/* ev must be deleted */
	struct yanchor	*anchors;
	size_t		 nanchors;
	size_t		 nodes;		/* nodes built from events, this document */
	size_t		 aliased;	/* nodes copied through aliases */
	int		 depth;
	int		 flags;
	int		 syntax_error;	/* libyaml rejected the input */
	struct err	*e;
};

/* What a plain or tagged scalar resolves to. */
enum ykind { Y_STR, Y_NULL, Y_BOOL, Y_INT, Y_FLOAT, Y_TIMESTAMP };

struct yscalar {
	enum ykind	 kind;
	int		 b;		/* Y_BOOL */
	double		 d;		/* Y_FLOAT, and Y_INT as a double */
	char		 itext[24];	/* Y_INT in decimal */
	int		 exact;		/* Y_INT fits a double exactly */
};

/*
 * Set an error in kubectl's form "error converting YAML to JSON: yaml:
 * line N: what" (origin "yaml"; line 0 leaves the line out), or with
 * another origin's text as is ("json: unsupported value: NaN").  The hint
 * gives the exact position, which yaml.v2's line does not always match.
 */
static void
yaml_fail_v(struct yparser *yp, int yaml_origin, int line,
    const yaml_mark_t *at, const char *fmt, va_list ap)
{
	struct strbuf	 sb = STRBUF_INIT;

	if (yp->e == NULL || yp->e->code != 0)
		return;
	sb_init(&sb);
	if (!(yp->flags & YAML_BARE_ERRORS))
		sb_adds(&sb, "error converting YAML to JSON: ");
	if (yaml_origin)
		sb_adds(&sb, "yaml: ");
	if (yaml_origin && line > 0)
		sb_addf(&sb, "line %d: ", line);
	sb_vaddf(&sb, fmt, ap);
	err_set(yp->e, EXIT_ERR, "%s", sb.buf);
	sb_free(&sb);
	if (at != NULL)
		err_hint(yp->e, "the problem is at line %zu, column %zu",
		    at->line + 1, at->column + 1);
}

static void __attribute__((format(printf, 4, 5)))
yaml_fail(struct yparser *yp, int line, const yaml_mark_t *at,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	yaml_fail_v(yp, 1, line, at, fmt, ap);
	va_end(ap);
}

/* An error not from yaml.v2 itself (sigs.k8s.io/yaml, encoding/json). */
static void __attribute__((format(printf, 3, 4)))
yaml_fail_other(struct yparser *yp, const yaml_mark_t *at, const char *fmt,
    ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	yaml_fail_v(yp, 0, 0, at, fmt, ap);
	va_end(ap);
}

/* Report a libyaml error with the line yaml.v2 reports for it. */
static void
yaml_fail_libyaml(struct yparser *yp)
{
	yaml_parser_t	*p = &yp->p;
	int		 line = 0;

	yp->syntax_error = 1;
	if (p->problem_mark.line != 0) {
		line = (int)p->problem_mark.line;
		if (p->error == YAML_SCANNER_ERROR)
			line++;
	} else if (p->context_mark.line != 0)
		line = (int)p->context_mark.line;
	if (p->error == YAML_MEMORY_ERROR)
		yaml_fail(yp, 0, NULL, "out of memory");
	else
		yaml_fail(yp, line, p->error == YAML_READER_ERROR ? NULL :
		    &p->problem_mark, "%s", p->problem != NULL ? p->problem :
		    "unknown problem parsing YAML content");
}

/* Advance to the next event; -1 on a parse error. */
static int
yaml_next(struct yparser *yp)
{
	if (yp->have_ev)
		yaml_event_delete(&yp->ev);
	yp->have_ev = 0;
	if (!yaml_parser_parse(&yp->p, &yp->ev)) {
		yaml_fail_libyaml(yp);
		return -1;
	}
	yp->have_ev = 1;
	return 0;
}

static int
yaml_line(const yaml_event_t *ev)
{
	return (int)ev->start_mark.line + 1;
}

/* Go's ParseInt/ParseUint(s, 0, 64) on s without underscores. */
static int
yaml_parse_int(const char *s, struct yscalar *out)
{
	const char	*p = s;
	int		 neg = 0, sign = 0, base = 10, dig, n = 0;
	uint64_t	 v = 0;

	if (*p == '+' || *p == '-') {
		neg = *p == '-';
		sign = 1;
		p++;
	}
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16, p += 2;
	else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
		base = 2, p += 2;
	else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
		base = 8, p += 2;
	else if (p[0] == '0' && p[1] != '\0')
		base = 8, p += 1;
	for (; *p != '\0'; p++, n++) {
		if (*p >= '0' && *p <= '9')
			dig = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			dig = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			dig = *p - 'A' + 10;
		else
			return 0;
		if (dig >= base || v > (UINT64_MAX - (uint64_t)dig) / (uint64_t)base)
			return 0;
		v = v * (uint64_t)base + (uint64_t)dig;
	}
	if (n == 0)
		return 0;
	if (neg && v > (uint64_t)INT64_MAX + 1)
		return 0;
	if (!neg && v > (uint64_t)INT64_MAX && sign)
		return 0;	/* ParseUint takes no sign */
	out->kind = Y_INT;
	if (neg && v == (uint64_t)INT64_MAX + 1)
		snprintf(out->itext, sizeof out->itext, "%s", "-9223372036854775808");
	else
		snprintf(out->itext, sizeof out->itext, "%s%llu", neg ? "-" : "",
		    (unsigned long long)v);
	out->d = neg ? -(double)v : (double)v;
	out->exact = v <= (1ULL << 53);
	return 1;
}

/* yaml.v2's yamlStyleFloat: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int
yaml_style_float(const char *s)
{
	const char	*p = s;
	int		 n = 0;

	if (*p == '-' || *p == '+')
		p++;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++)
			n++;
		if (n == 0)
			return 0;
	} else {
		for (; isdigit((unsigned char)*p); p++)
			n++;
		if (n == 0)
			return 0;
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		for (n = 0; isdigit((unsigned char)*p); p++)
			n++;
		if (n == 0)
			return 0;
	}
	return *p == '\0';
}

/* Go's ParseFloat for the decimal forms above; fails on overflow. */
static int
yaml_parse_float(const char *s, struct yscalar *out)
{
	char	*end;
	double	 d;

	errno = 0;
	d = strtod(s, &end);
	if (*end != '\0' || isinf(d))
		return 0;
	out->kind = Y_FLOAT;
	out->d = d;
	return 1;
}

/* Digits from s: at least min and at most max of them; -1 if none. */
static int
yaml_ts_num(const char **s, int min, int max)
{
	int	 v = 0, n = 0;

	while (n < max && isdigit((unsigned char)**s)) {
		v = v * 10 + (**s - '0');
		(*s)++;
		n++;
	}
	return n >= min ? v : -1;
}

/* Whether s is the days-in-month valid date y-m-d. */
static int
yaml_ts_date_ok(int y, int m, int d)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int	 leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	return m != 2 || d <= 28 || leap;
}

/* The time part of a timestamp: 15:4:5[.frac][Z|±hh:mm] (zone if tz). */
static int
yaml_ts_time(const char *p, int tz)
{
	int	 h, mi, se;

	if ((h = yaml_ts_num(&p, 1, 2)) < 0 || h > 23 || *p++ != ':' ||
	    (mi = yaml_ts_num(&p, 1, 2)) < 0 || mi > 59 || *p++ != ':' ||
	    (se = yaml_ts_num(&p, 1, 2)) < 0 || se > 59)
		return 0;
	if (*p == '.' || *p == ',') {
		if (!isdigit((unsigned char)p[1]))
			return 0;
		for (p++; isdigit((unsigned char)*p); p++)
			;
	}
	if (!tz)
		return *p == '\0';
	if (*p == 'Z')
		return p[1] == '\0';
	if (*p != '+' && *p != '-')
		return 0;
	p++;
	if (yaml_ts_num(&p, 2, 2) < 0 || *p++ != ':' || yaml_ts_num(&p, 2, 2) < 0)
		return 0;
	return *p == '\0';
}

/* yaml.v2's parseTimestamp: the formats it accepts (Go time.Parse). */
static int
yaml_is_timestamp(const char *s)
{
	const char	*p = s;
	int		 y, m, d;

	if ((y = yaml_ts_num(&p, 4, 4)) < 0 || *p++ != '-' ||
	    (m = yaml_ts_num(&p, 1, 2)) < 0 || *p++ != '-' ||
	    (d = yaml_ts_num(&p, 1, 2)) < 0 || !yaml_ts_date_ok(y, m, d))
		return 0;
	if (*p == '\0')
		return 1;
	if (*p == 'T' || *p == 't')
		return yaml_ts_time(p + 1, 1);
	if (*p == ' ')
		return yaml_ts_time(p + 1, 0);
	return 0;
}

/* The fixed words yaml.v2 resolves (its resolveMap). */
static int
yaml_resolve_word(const char *s, struct yscalar *out)
{
	static const char *const trues[] = { "y", "Y", "yes", "Yes", "YES",
	    "true", "True", "TRUE", "on", "On", "ON", NULL };
	static const char *const falses[] = { "n", "N", "no", "No", "NO",
	    "false", "False", "FALSE", "off", "Off", "OFF", NULL };
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL",
	    NULL };
	static const char *const nans[] = { ".nan", ".NaN", ".NAN", NULL };
	static const char *const infs[] = { ".inf", ".Inf", ".INF", "+.inf",
	    "+.Inf", "+.INF", NULL };
	static const char *const ninfs[] = { "-.inf", "-.Inf", "-.INF", NULL };
	const char *const *w;

	for (w = trues; *w != NULL; w++)
		if (strcmp(s, *w) == 0)
			return out->kind = Y_BOOL, out->b = 1, 1;
	for (w = falses; *w != NULL; w++)
		if (strcmp(s, *w) == 0)
			return out->kind = Y_BOOL, out->b = 0, 1;
	for (w = nulls; *w != NULL; w++)
		if (strcmp(s, *w) == 0)
			return out->kind = Y_NULL, 1;
	for (w = nans; *w != NULL; w++)
		if (strcmp(s, *w) == 0)
			return out->kind = Y_FLOAT, out->d = NAN, 1;
	for (w = infs; *w != NULL; w++)
		if (strcmp(s, *w) == 0)
			return out->kind = Y_FLOAT, out->d = INFINITY, 1;
	for (w = ninfs; *w != NULL; w++)
		if (strcmp(s, *w) == 0)
			return out->kind = Y_FLOAT, out->d = -INFINITY, 1;
	return 0;
}

/* Resolve a number-looking scalar (first character a digit or sign). */
static void
yaml_resolve_number(const char *s, int allow_ts, struct yscalar *out)
{
	char	*plain;
	size_t	 i, j;

	if (allow_ts && yaml_is_timestamp(s)) {
		out->kind = Y_TIMESTAMP;
		return;
	}
	plain = xstrdup(s);
	for (i = j = 0; plain[i] != '\0'; i++)
		if (plain[i] != '_')
			plain[j++] = plain[i];
	plain[j] = '\0';
	if (!yaml_parse_int(plain, out) &&
	    !(yaml_style_float(plain) && yaml_parse_float(plain, out)))
		out->kind = Y_STR;
	free(plain);
}

/*
 * yaml.v2's resolve(tag, in) for tag "" (untagged plain scalars) or one of
 * the resolvable tags: what the text means without regard to the tag.
 */
static void
yaml_resolve_plain(const char *s, const char *stag, struct yscalar *out)
{
	unsigned char	 c = (unsigned char)s[0];

	memset(out, 0, sizeof *out);
	out->kind = Y_STR;
	if (stag != NULL && (strcmp(stag, "str") == 0 ||
	    strcmp(stag, "binary") == 0))
		return;
	if (c == '\0' || strchr("yYnNtTfFoO~", c) != NULL) {
		yaml_resolve_word(s, out);
		return;
	}
	if (c == '.') {
		if (!yaml_resolve_word(s, out) && s[1] != '\0' &&
		    yaml_style_float(s))
			yaml_parse_float(s, out);
		return;
	}
	if (c == '+' || c == '-' || isdigit(c)) {
		if (!yaml_resolve_word(s, out))
			yaml_resolve_number(s, stag == NULL ||
			    strcmp(stag, "timestamp") == 0, out);
	}
}

static const char *
yaml_kind_name(enum ykind k)
{
	switch (k) {
	case Y_NULL: return "null";
	case Y_BOOL: return "bool";
	case Y_INT: return "int";
	case Y_FLOAT: return "float";
	case Y_TIMESTAMP: return "timestamp";
	default: return "str";
	}
}

/* The short name of a yaml.org tag ("int" for tag:yaml.org,2002:int). */
static const char *
yaml_short_tag(const char *tag)
{
	if (tag != NULL && strncmp(tag, YAML_TAG_PREFIX,
	    sizeof YAML_TAG_PREFIX - 1) == 0)
		return tag + sizeof YAML_TAG_PREFIX - 1;
	return NULL;
}

static int
yaml_resolvable(const char *stag)
{
	static const char *const ok[] = { "str", "bool", "int", "float",
	    "null", "timestamp", NULL };
	const char *const *w;

	for (w = ok; *w != NULL; w++)
		if (strcmp(stag, *w) == 0)
			return 1;
	return 0;
}

/* Decode standard base64 (with padding) into a new string; NULL if bad. */
static char *
yaml_base64_decode(const char *s)
{
	static const char tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct strbuf	 sb = STRBUF_INIT;
	unsigned int	 acc = 0;
	int		 bits = 0, pad = 0, n = 0;
	const char	*q;

	sb_init(&sb);
	for (; *s != '\0'; s++) {
		if (*s == '\n' || *s == '\r' || *s == ' ')
			continue;	/* Go's decoder skips newlines */
		n++;
		if (*s == '=') {
			pad++;
			continue;
		}
		if (pad || (q = strchr(tbl, *s)) == NULL)
			goto bad;
		acc = (acc << 6) | (unsigned int)(q - tbl);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			sb_addc(&sb, (int)((acc >> bits) & 0xff));
		}
	}
	if (n % 4 != 0 || pad > 2)
		goto bad;
	return sb_detach(&sb);
bad:
	sb_free(&sb);
	return NULL;
}

/* Turn a resolved scalar into cJSON; NULL (error set) for NaN/Inf. */
static cJSON *
yaml_scalar_json(struct yparser *yp, const struct yscalar *r, const char *s)
{
	const char	*why;

	switch (r->kind) {
	case Y_NULL:
		return cJSON_CreateNull();
	case Y_BOOL:
		return cJSON_CreateBool(r->b);
	case Y_INT:
		if (r->exact)
			return cJSON_CreateNumber(r->d);
		return cJSON_CreateRaw(r->itext);
	case Y_FLOAT:
		if (!isnan(r->d) && !isinf(r->d))
			return cJSON_CreateNumber(r->d);
		why = isnan(r->d) ? "NaN" : r->d > 0 ? "+Inf" : "-Inf";
		yaml_fail_other(yp, &yp->ev.start_mark,
		    "json: unsupported value: %s", why);
		return NULL;
	default:
		return cJSON_CreateString(s);
	}
}

/*
 * Input text for an error message: one line (control characters escaped)
 * and at most 80 bytes (then cut at a character boundary and ended "...").
 */
static char *
yaml_msg_text(const char *s)
{
	struct strbuf	 sb = STRBUF_INIT;
	size_t		 n;

	sb_init(&sb);
	for (; *s != '\0'; s += n) {
		n = 1;
		if (sb.len >= 80) {
			sb_adds(&sb, "...");
			break;
		}
		if (*s == '\n')
			sb_adds(&sb, "\\n");
		else if (*s == '\t')
			sb_adds(&sb, "\\t");
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			sb_addf(&sb, "\\x%02x", (unsigned char)*s);
		else {
			if ((unsigned char)*s >= 0x80)
				json_utf8_rune((const unsigned char *)s, &n);
			sb_add(&sb, s, n);
		}
	}
	return sb_detach(&sb);
}

/*
 * Resolve the current scalar event as yaml.v2 decodes it into interface{}
 * (timestamps stay strings, !!binary is base64-decoded); -1 on error.
 */
static int
yaml_resolve_event(struct yparser *yp, struct yscalar *r, char **binary)
{
	const yaml_event_t	*ev = &yp->ev;
	const char		*s = (const char *)ev->data.scalar.value;
	const char		*tag = (const char *)ev->data.scalar.tag;
	const char		*stag = yaml_short_tag(tag);
	enum ykind		 want;
	char			*shown;

	*binary = NULL;
	memset(r, 0, sizeof *r);
	r->kind = Y_STR;
	if (tag == NULL && !ev->data.scalar.plain_implicit)
		return 0;	/* quoted, untagged: a string */
	if (tag != NULL && (stag == NULL || !yaml_resolvable(stag))) {
		if (stag == NULL || strcmp(stag, "binary") != 0)
			return 0;	/* custom tags keep the text */
		if ((*binary = yaml_base64_decode(s)) == NULL) {
			yaml_fail(yp, 0, &ev->start_mark,
			    "!!binary value contains invalid base64 data");
			return -1;
		}
		return 0;
	}
	yaml_resolve_plain(s, stag, r);
	if (stag == NULL || strcmp(stag, "str") == 0)
		return 0;
	want = strcmp(stag, "null") == 0 ? Y_NULL : strcmp(stag, "bool") == 0 ?
	    Y_BOOL : strcmp(stag, "int") == 0 ? Y_INT : strcmp(stag, "float") ==
	    0 ? Y_FLOAT : Y_TIMESTAMP;
	if (r->kind == want)
		return 0;
	if (want == Y_FLOAT && r->kind == Y_INT) {
		r->kind = Y_FLOAT;
		return 0;
	}
	shown = yaml_msg_text(s);
	yaml_fail(yp, 0, &ev->start_mark, "cannot decode !!%s `%s` as a !!%s",
	    yaml_kind_name(r->kind), shown, stag);
	free(shown);
	return -1;
}

/* Count the nodes of a value (charged to each alias of it). */
static size_t
yaml_count_nodes(const cJSON *v)
{
	const cJSON	*c;
	size_t		 n = 1;

	for (c = v->child; c != NULL; c = c->next)
		n += yaml_count_nodes(c);
	return n;
}

static struct yanchor *
yaml_find_anchor(struct yparser *yp, const char *name)
{
	size_t	 i;

	for (i = yp->nanchors; i > 0; i--)
		if (strcmp(yp->anchors[i - 1].name, name) == 0)
			return &yp->anchors[i - 1];
	return NULL;
}

/*
 * Start an anchor (value NULL until finished: aliases to it then fail);
 * returns its slot for yaml_end_anchor, or -1 without a name.
 */
static long
yaml_begin_anchor(struct yparser *yp, const yaml_char_t *name)
{
	struct yanchor	*a;

	if (name == NULL)
		return -1;
	yp->anchors = xrealloc(yp->anchors,
	    (yp->nanchors + 1) * sizeof *yp->anchors);
	a = &yp->anchors[yp->nanchors];
	a->name = xstrdup((const char *)name);
	a->value = NULL;
	a->size = 0;
	return (long)yp->nanchors++;
}

/* Finish the anchor in slot with its value (a copy). */
static void
yaml_end_anchor(struct yparser *yp, long slot, const cJSON *v)
{
	struct yanchor	*a;

	if (slot < 0 || (size_t)slot >= yp->nanchors)
		return;
	a = &yp->anchors[slot];
	cJSON_Delete(a->value);
	a->value = cJSON_Duplicate(v, 1);
	a->size = yaml_count_nodes(v);
}

static void
yaml_free_anchors(struct yparser *yp)
{
	size_t	 i;

	for (i = 0; i < yp->nanchors; i++) {
		free(yp->anchors[i].name);
		cJSON_Delete(yp->anchors[i].value);
	}
	free(yp->anchors);
	yp->anchors = NULL;
	yp->nanchors = 0;
	yp->nodes = yp->aliased = 0;
}

/* The value of an alias event: a copy of the anchored value, in budget. */
static cJSON *
yaml_alias(struct yparser *yp)
{
	const char	*name = (const char *)yp->ev.data.alias.anchor;
	struct yanchor	*a = yaml_find_anchor(yp, name);
	size_t		 allowed;

	if (a == NULL) {
		yaml_fail(yp, yaml_line(&yp->ev), &yp->ev.start_mark,
		    "unknown anchor '%s' referenced", name);
		return NULL;
	}
	if (a->value == NULL) {
		yaml_fail(yp, yaml_line(&yp->ev), &yp->ev.start_mark,
		    "anchor '%s' value contains itself", name);
		return NULL;
	}
	yp->aliased += a->size;
	allowed = YAML_ALIAS_BASE + YAML_ALIAS_RATIO * yp->nodes;
	if (yp->aliased > allowed || yp->aliased > YAML_ALIAS_MAX) {
		yaml_fail(yp, 0, &yp->ev.start_mark,
		    "document contains excessive aliasing");
		return NULL;
	}
	return cJSON_Duplicate(a->value, 1);
}

static cJSON *yaml_node(struct yparser *);

/* A scalar event as a value. */
static cJSON *
yaml_scalar(struct yparser *yp)
{
	struct yscalar	 r;
	char		*bin;
	cJSON		*v;

	if (yaml_resolve_event(yp, &r, &bin) == -1)
		return NULL;
	if (bin != NULL) {
		v = cJSON_CreateString(bin);
		free(bin);
		return v;
	}
	return yaml_scalar_json(yp, &r, (const char *)yp->ev.data.scalar.value);
}

/* A sequence: the events up to its end, as a cJSON array. */
static cJSON *
yaml_sequence(struct yparser *yp)
{
	cJSON	*arr = cJSON_CreateArray(), *item;

	for (;;) {
		if (yaml_next(yp) == -1)
			goto fail;
		if (yp->ev.type == YAML_SEQUENCE_END_EVENT)
			return arr;
		if ((item = yaml_node(yp)) == NULL)
			goto fail;
		cJSON_AddItemToArray(arr, item);
	}
fail:
	cJSON_Delete(arr);
	return NULL;
}

/* A float key as sigs.k8s.io/yaml writes it: FormatFloat(f, 'g', -1, 32). */
static char *
yaml_float_key(double d)
{
	struct strbuf	 sb = STRBUF_INIT;

	sb_init(&sb);
	json_format_number(&sb, d, JSON_NUM_YAML32);
	return sb_detach(&sb);
}

/*
 * A mapping key as sigs.k8s.io/yaml turns it into a JSON key: strings as
 * they are, ints in decimal, floats as FormatFloat(f, 'g', -1, 32), bools
 * as true/false; null and collection keys are errors.  NULL on error.
 */
static char *
yaml_key_string(struct yparser *yp, const cJSON *k, const yaml_mark_t *at)
{
	char	 buf[32];

	if (cJSON_IsString(k) || cJSON_IsRaw(k))
		return xstrdup(k->valuestring);
	if (cJSON_IsBool(k))
		return xstrdup(cJSON_IsTrue(k) ? "true" : "false");
	if (cJSON_IsNumber(k)) {
		if (floor(k->valuedouble) != k->valuedouble ||
		    fabs(k->valuedouble) >= 9007199254740992.0)
			return yaml_float_key(k->valuedouble);
		snprintf(buf, sizeof buf, "%.0f", k->valuedouble);
		return xstrdup(buf);
	}
	if (cJSON_IsNull(k))
		yaml_fail_other(yp, at,
		    "unsupported map key of type: <nil>, key: <nil>");
	else
		yaml_fail(yp, (int)at->line + 1, at, "invalid map key: a %s",
		    cJSON_IsArray(k) ? "sequence" : "mapping");
	return NULL;
}

/* A plain (unanchored) scalar key turned into its JSON key; NULL on error. */
static char *
yaml_scalar_key(struct yparser *yp, const yaml_mark_t *at)
{
	struct yscalar	 r;
	char		*bin;

	if (yaml_resolve_event(yp, &r, &bin) == -1)
		return NULL;
	if (bin != NULL)
		return bin;
	switch (r.kind) {
	case Y_INT:
		return xstrdup(r.itext);
	case Y_FLOAT:
		return yaml_float_key(r.d);
	case Y_BOOL:
		return xstrdup(r.b ? "true" : "false");
	case Y_NULL:
		yaml_fail_other(yp, at,
		    "unsupported map key of type: <nil>, key: <nil>");
		return NULL;
	default:
		return xstrdup((const char *)yp->ev.data.scalar.value);
	}
}

/* Whether the current event is a merge key ("<<" plain or !!merge). */
static int
yaml_is_merge_key(const yaml_event_t *ev)
{
	const char	*tag = (const char *)ev->data.scalar.tag;

	if (ev->type != YAML_SCALAR_EVENT ||
	    strcmp((const char *)ev->data.scalar.value, "<<") != 0)
		return 0;
	if (tag == NULL)
		return ev->data.scalar.plain_implicit;
	return strcmp(tag, YAML_TAG_PREFIX "merge") == 0;
}

/* One key of a mapping being built. */
struct ykey {
	cJSON		*item;		/* the member in the object; NULL: free */
	int		 explicit;	/* set by the mapping itself, not a merge */
	unsigned long	 merge;		/* the merge that last set it */
};

/* A mapping being built: its object and a hash index of its keys, so
 * large mappings stay linear (cJSON lookups are linear scans). */
struct ymap {
	cJSON		*obj;
	struct ykey	*slots;
	size_t		 cap;		/* a power of two */
	size_t		 n;
	unsigned long	 merges;	/* merges applied so far */
};

static size_t
yaml_hash(const char *s)
{
	size_t	 h = 1469598103934665603ULL & (size_t)-1;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * (1099511628211ULL & (size_t)-1);
	return h;
}

/* The slot for key: the one holding it, or the free one it would take. */
static struct ykey *
yaml_map_slot(struct ymap *m, const char *key)
{
	size_t	 i = yaml_hash(key) & (m->cap - 1);

	while (m->slots[i].item != NULL &&
	    strcmp(m->slots[i].item->string, key) != 0)
		i = (i + 1) & (m->cap - 1);
	return &m->slots[i];
}

/* Double the index when it is half full. */
static void
yaml_map_grow(struct ymap *m)
{
	struct ykey	*old = m->slots, *k;
	size_t		 oldcap = m->cap, i;

	if (m->cap != 0 && (m->n + 1) * 2 <= m->cap)
		return;
	m->cap = m->cap == 0 ? 16 : m->cap * 2;
	m->slots = xcalloc(m->cap, sizeof *m->slots);
	for (i = 0; i < oldcap; i++) {
		if (old[i].item == NULL)
			continue;
		k = yaml_map_slot(m, old[i].item->string);
		*k = old[i];
	}
	free(old);
}

/*
 * Set key to value (taken over) in the mapping, replacing an earlier
 * value in place; returns the key's slot.
 */
static struct ykey *
yaml_map_put(struct ymap *m, const char *key, cJSON *value)
{
	struct ykey	*k;

	yaml_map_grow(m);
	k = yaml_map_slot(m, key);
	if (k->item != NULL) {
		/* ReplaceItemViaPointer keeps no key: give value its own. */
		if (!(value->type & cJSON_StringIsConst))
			free(value->string);
		value->type &= ~cJSON_StringIsConst;
		value->string = xstrdup(key);
		cJSON_ReplaceItemViaPointer(m->obj, k->item, value);
		k->item = value;
		return k;
	}
	cJSON_AddItemToObject(m->obj, key, value);
	k->item = value;
	k->explicit = 0;
	k->merge = 0;
	m->n++;
	return k;
}

/*
 * Merge the members of src (a mapping) into the mapping, overwriting as
 * yaml.v2 does, except keys an earlier mapping of the same merge set
 * (earlier mappings of "<<: [*a, *b]" take precedence).
 */
static void
yaml_merge_one(struct ymap *m, const cJSON *src)
{
	const cJSON	*c;
	struct ykey	*k;

	cJSON_ArrayForEach(c, src) {
		yaml_map_grow(m);
		k = yaml_map_slot(m, c->string);
		if (k->item != NULL && k->merge == m->merges)
			continue;
		k = yaml_map_put(m, c->string, cJSON_Duplicate(c, 1));
		k->merge = m->merges;
	}
}

/* Apply a merge key's value: a mapping or a sequence of mappings. */
static int
yaml_merge(struct yparser *yp, struct ymap *m, const cJSON *v,
    const yaml_mark_t *at)
{
	const cJSON	*c;

	if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(c, v) {
			if (!cJSON_IsObject(c))
				goto bad;
		}
	} else if (!cJSON_IsObject(v))
		goto bad;
	m->merges++;
	if (cJSON_IsObject(v))
		yaml_merge_one(m, v);
	else {
		cJSON_ArrayForEach(c, v)
			yaml_merge_one(m, c);
	}
	return 0;
bad:
	yaml_fail(yp, (int)at->line + 1, at,
	    "map merge requires map or sequence of maps as the value");
	return -1;
}

/* Read one key (the current event) and turn it into its JSON string. */
static char *
yaml_mapping_key(struct yparser *yp, const yaml_mark_t *at)
{
	char	*key;
	cJSON	*k;

	if (yp->ev.type == YAML_SCALAR_EVENT &&
	    yp->ev.data.scalar.anchor == NULL)
		return yaml_scalar_key(yp, at);
	if ((k = yaml_node(yp)) == NULL)
		return NULL;
	key = yaml_key_string(yp, k, at);
	cJSON_Delete(k);
	return key;
}

/* Whether key was already set by this mapping itself (not by a merge). */
static int
yaml_map_has_explicit(struct ymap *m, const char *key)
{
	struct ykey	*k;

	if (m->cap == 0)
		return 0;
	k = yaml_map_slot(m, key);
	return k->item != NULL && k->explicit;
}

/* A mapping: key/value events up to its end, as a cJSON object. */
static cJSON *
yaml_mapping(struct yparser *yp)
{
	struct ymap	 m;
	cJSON		*v;
	yaml_mark_t	 at;
	char		*key, *shown;
	int		 merge;

	memset(&m, 0, sizeof m);
	m.obj = cJSON_CreateObject();
	for (;;) {
		if (yaml_next(yp) == -1)
			goto fail;
		if (yp->ev.type == YAML_MAPPING_END_EVENT)
			break;
		merge = yaml_is_merge_key(&yp->ev);
		key = NULL;
		at = yp->ev.start_mark;
		if (!merge && (key = yaml_mapping_key(yp, &at)) == NULL)
			goto fail;
		if (key != NULL && yaml_map_has_explicit(&m, key)) {
			shown = yaml_msg_text(key);
			yaml_fail(yp, (int)at.line + 1, &at,
			    "key \"%s\" already set in map", shown);
			free(shown);
			free(key);
			goto fail;
		}
		if (yaml_next(yp) == -1 || (v = yaml_node(yp)) == NULL) {
			free(key);
			goto fail;
		}
		if (merge) {
			if (yaml_merge(yp, &m, v, &at) == -1) {
				cJSON_Delete(v);
				goto fail;
			}
			cJSON_Delete(v);
			continue;
		}
		yaml_map_put(&m, key, v)->explicit = 1;
		free(key);
	}
	free(m.slots);
	return m.obj;
fail:
	free(m.slots);
	cJSON_Delete(m.obj);
	return NULL;
}

/* The node starting at the current event (scalar, alias or collection). */
static cJSON *
yaml_node(struct yparser *yp)
{
	const yaml_char_t	*anchor;
	cJSON			*v = NULL;
	long			 slot;

	if (yp->depth >= YAML_MAX_DEPTH) {
		yaml_fail(yp, yaml_line(&yp->ev), &yp->ev.start_mark,
		    "exceeded max depth of %d", YAML_MAX_DEPTH);
		return NULL;
	}
	yp->nodes++;
	switch (yp->ev.type) {
	case YAML_ALIAS_EVENT:
		return yaml_alias(yp);
	case YAML_SCALAR_EVENT:
		slot = yaml_begin_anchor(yp, yp->ev.data.scalar.anchor);
		v = yaml_scalar(yp);
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		anchor = yp->ev.type == YAML_SEQUENCE_START_EVENT ?
		    yp->ev.data.sequence_start.anchor :
		    yp->ev.data.mapping_start.anchor;
		slot = yaml_begin_anchor(yp, anchor);
		yp->depth++;
		v = yp->ev.type == YAML_SEQUENCE_START_EVENT ?
		    yaml_sequence(yp) : yaml_mapping(yp);
		yp->depth--;
		break;
	default:
		yaml_fail(yp, yaml_line(&yp->ev), &yp->ev.start_mark,
		    "unexpected event %d", (int)yp->ev.type);
		return NULL;
	}
	if (v != NULL)
		yaml_end_anchor(yp, slot, v);
	return v;
}

/*
 * One document (the current event is its DOCUMENT-START): its value, a
 * cJSON null for an empty document; NULL on error.
 */
static cJSON *
yaml_document(struct yparser *yp)
{
	cJSON	*v;

	if (yaml_next(yp) == -1)
		return NULL;
	if (yp->ev.type == YAML_DOCUMENT_END_EVENT)
		return cJSON_CreateNull();	/* not reached with libyaml */
	v = yaml_node(yp);
	yaml_free_anchors(yp);
	if (v == NULL)
		return NULL;
	if (yaml_next(yp) == -1) {
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}

/* Whether buf starts (after white space) with '{', '[' or '"'. */
static int
yaml_looks_like_json(const char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; i < len && isspace((unsigned char)buf[i]); i++)
		;
	return i < len && (buf[i] == '{' || buf[i] == '[' || buf[i] == '"');
}

/* Parse the stream: all documents into arr (stream) or the first one. */
static cJSON *
yaml_run(struct yparser *yp, const char *buf, size_t len)
{
	cJSON	*out = NULL, *doc;
	int	 stream = yp->flags & YAML_STREAM;

	yaml_parser_set_input_string(&yp->p, (const unsigned char *)buf, len);
	if (yaml_next(yp) == -1)	/* STREAM-START */
		return NULL;
	out = stream ? cJSON_CreateArray() : NULL;
	for (;;) {
		if (yaml_next(yp) == -1)
			goto fail;
		if (yp->ev.type == YAML_STREAM_END_EVENT)
			break;
		if ((doc = yaml_document(yp)) == NULL)
			goto fail;
		if (!stream)
			return doc;
		if (cJSON_IsNull(doc))
			cJSON_Delete(doc);
		else
			cJSON_AddItemToArray(out, doc);
	}
	return out != NULL ? out : cJSON_CreateNull();
fail:
	cJSON_Delete(out);
	return NULL;
}

cJSON *
yaml_to_json(const char *buf, size_t len, int flags, struct err *e)
{
	struct yparser	 yp;
	struct err	 e2 = ERR_INIT;
	cJSON		*v, *j;

	memset(&yp, 0, sizeof yp);
	yp.flags = flags;
	yp.e = &e2;
	if (!yaml_parser_initialize(&yp.p)) {
		err_set(e, EXIT_ERR, "cannot initialise the YAML parser");
		return NULL;
	}
	v = yaml_run(&yp, buf, len);
	if (yp.have_ev)
		yaml_event_delete(&yp.ev);
	yaml_free_anchors(&yp);
	yaml_parser_delete(&yp.p);
	if (v == NULL && yp.syntax_error && yaml_looks_like_json(buf, len) &&
	    (j = json_parse(buf, len, NULL)) != NULL) {
		/* Valid JSON that YAML 1.1 rejects (tabs, DEL, C1 controls). */
		if (!(flags & YAML_STREAM))
			v = j;
		else if (cJSON_IsNull(j))
			v = cJSON_CreateArray(), cJSON_Delete(j);
		else
			v = cJSON_CreateArray(), cJSON_AddItemToArray(v, j);
	}
	if (v == NULL)
		err_move(e, &e2);
	err_clear(&e2);
	return v;
}

cJSON *
yaml_parse(const char *buf, size_t len, struct err *e)
{
	return yaml_to_json(buf, len, 0, e);
}

cJSON *
yaml_parse_stream(const char *buf, size_t len, struct err *e)
{
	return yaml_to_json(buf, len, YAML_STREAM, e);
}

/*
 * Emission.  yaml.v2 marshals the JSON value (decoded as interface{}):
 * mapping keys in its natural order, strings plain unless they would read
 * back as something else, multi-line strings as literal blocks, and
 * libyaml's emitter (which yaml.v2 ports) settles the final style.
 */

/* Standard base64 with padding (yaml.v2 writes invalid UTF-8 as !!binary). */
static char *
yaml_base64_encode(const char *s)
{
	static const char tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = strlen(s), i;
	struct strbuf		 sb = STRBUF_INIT;
	unsigned long		 v;

	sb_init(&sb);
	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8 |
		    p[i + 2];
		sb_addc(&sb, tbl[(v >> 18) & 63]);
		sb_addc(&sb, tbl[(v >> 12) & 63]);
		sb_addc(&sb, tbl[(v >> 6) & 63]);
		sb_addc(&sb, tbl[v & 63]);
	}
	if (n - i == 1) {
		v = (unsigned long)p[i] << 16;
		sb_addc(&sb, tbl[(v >> 18) & 63]);
		sb_addc(&sb, tbl[(v >> 12) & 63]);
		sb_adds(&sb, "==");
	} else if (n - i == 2) {
		v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8;
		sb_addc(&sb, tbl[(v >> 18) & 63]);
		sb_addc(&sb, tbl[(v >> 12) & 63]);
		sb_addc(&sb, tbl[(v >> 6) & 63]);
		sb_addc(&sb, '=');
	}
	return sb_detach(&sb);
}

/* yaml.v2's isBase60Float: [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)? */
static int
yaml_is_base60_float(const char *s)
{
	const char	*p = s;
	int		 groups = 0, n;

	if (*p == '-' || *p == '+')
		p++;
	if (!isdigit((unsigned char)*p))
		return 0;
	for (p++; isdigit((unsigned char)*p) || *p == '_'; p++)
		;
	while (*p == ':') {
		p++;
		for (n = 0; isdigit((unsigned char)p[n]) && n < 2; n++)
			;
		if (n == 0 || (n == 2 && p[0] > '5'))
			return 0;
		p += n;
		groups++;
	}
	if (groups == 0)
		return 0;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p) || *p == '_'; p++)
			;
	return *p == '\0';
}

/* Whether yaml.v2 may write s as a plain scalar (it reads back as s). */
static int
yaml_plain_ok(const char *s)
{
	struct yscalar	 r;

	if (strcmp(s, "<<") == 0)
		return 0;	/* would read back as a merge key */
	yaml_resolve_plain(s, NULL, &r);
	return r.kind == Y_STR && !yaml_is_base60_float(s);
}

/* The emission state: libyaml's emitter writing into a strbuf. */
struct yemitter {
	yaml_emitter_t	 em;
	yaml_event_t	 ev;
	struct strbuf	 out;
	int		 failed;
};

static int
yaml_write_handler(void *data, unsigned char *buf, size_t size)
{
	struct strbuf	*sb = data;

	sb_add(sb, buf, size);
	return 1;
}

/* Hand the prepared event to the emitter (which takes it over). */
static void
yaml_put(struct yemitter *ye, int ok)
{
	if (!ok || !yaml_emitter_emit(&ye->em, &ye->ev))
		ye->failed = 1;
}

/* Emit a scalar with the given tag (NULL: implicit) and style. */
static void
yaml_put_scalar(struct yemitter *ye, const char *tag, const char *s,
    yaml_scalar_style_t style)
{
	int	 implicit = tag == NULL;

	yaml_put(ye, yaml_scalar_event_initialize(&ye->ev, NULL,
	    (yaml_char_t *)tag, (yaml_char_t *)s, (int)strlen(s), implicit,
	    implicit, style));
}

/* A string as yaml.v2's stringv writes it. */
static void
yaml_put_string(struct yemitter *ye, const char *s)
{
	char	*b64;

	if (!json_utf8_valid(s)) {
		b64 = yaml_base64_encode(s);
		yaml_put_scalar(ye, YAML_TAG_PREFIX "binary", b64,
		    YAML_PLAIN_SCALAR_STYLE);
		free(b64);
	} else if (strchr(s, '\n') != NULL)
		yaml_put_scalar(ye, NULL, s, YAML_LITERAL_SCALAR_STYLE);
	else if (yaml_plain_ok(s))
		yaml_put_scalar(ye, NULL, s, YAML_PLAIN_SCALAR_STYLE);
	else
		yaml_put_scalar(ye, NULL, s, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
}

/* A number: integral values as integers, others as yaml.v2 floats. */
static void
yaml_put_number(struct yemitter *ye, double d)
{
	struct strbuf	 sb = STRBUF_INIT;

	sb_init(&sb);
	if (floor(d) == d && fabs(d) < 9223372036854775808.0)
		sb_addf(&sb, "%.0f", d);
	else
		json_format_number(&sb, d, JSON_NUM_YAML);
	yaml_put_scalar(ye, NULL, sb.buf, YAML_PLAIN_SCALAR_STYLE);
	sb_free(&sb);
}

/* The first rune of s (advancing s); 0 at the end. */
static long
yaml_next_rune(const char **s)
{
	size_t	 n;
	long	 r;

	if (**s == '\0')
		return 0;
	if ((r = json_utf8_rune((const unsigned char *)*s, &n)) < 0) {
		n = 1;
		r = (unsigned char)**s;
	}
	*s += n;
	return r;
}

/* unicode.IsLetter, ASCII exactly and other scripts approximately. */
static int
yaml_is_letter(long r)
{
	if (r < 0x80)
		return isalpha((int)r);
	return r >= 0xaa && r != 0xd7 && r != 0xf7 && !(r >= 0x2000 &&
	    r <= 0x2bff) && !(r >= 0x3000 && r <= 0x303f);
}

/* Add the digit run at s to *v (wrapping like Go's int64); its length. */
static size_t
yaml_digit_run(const char *s, uint64_t *v)
{
	size_t	 i;

	for (i = 0; isdigit((unsigned char)s[i]); i++)
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	return i;
}

/*
 * yaml.v2's keyList.Less for two string keys, a "natural" order: at the
 * first difference letters sort after non-letters, letters by code point,
 * and digit runs by their numeric value.
 */
static int
yaml_key_less(const char *a, const char *b)
{
	const char	*pa = a, *pb = b, *sa, *sb, *q;
	long		 ra, rb;
	int		 al, bl;
	uint64_t	 an, bn;
	size_t		 ai, bi;

	for (;;) {
		sa = pa;
		sb = pb;
		ra = yaml_next_rune(&pa);
		rb = yaml_next_rune(&pb);
		if (ra == 0 || rb == 0)
			return ra == 0 && rb != 0;
		if (ra == rb)
			continue;
		al = yaml_is_letter(ra);
		bl = yaml_is_letter(rb);
		if (al && bl)
			return ra < rb;
		if (al || bl)
			return bl;
		an = bn = 0;
		if (ra == '0' || rb == '0') {
			for (q = sa; q > a && isdigit((unsigned char)q[-1]); q--)
				if (q[-1] != '0') {
					an = bn = 1;
					break;
				}
		}
		ai = yaml_digit_run(sa, &an);
		bi = yaml_digit_run(sb, &bn);
		if (an != bn)
			return (int64_t)an < (int64_t)bn;
		if (ai != bi)
			return ai < bi;
		return ra < rb;
	}
}

static int
yaml_bytes_cmp(const void *a, const void *b)
{
	return strcmp((*(const cJSON *const *)a)->string,
	    (*(const cJSON *const *)b)->string);
}

/* Merge sort v[0..n) by yaml_key_less, using tmp as scratch space. */
static void
yaml_merge_sort(const cJSON **v, const cJSON **tmp, size_t n)
{
	size_t	 h = n / 2, i = 0, j = h, k = 0;

	if (n < 2)
		return;
	yaml_merge_sort(v, tmp, h);
	yaml_merge_sort(v + h, tmp, n - h);
	while (i < h && j < n) {
		if (yaml_key_less(v[j]->string, v[i]->string))
			tmp[k++] = v[j++];
		else
			tmp[k++] = v[i++];
	}
	while (i < h)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof *v);
}

/*
 * Sort mapping members by key as yaml.v2 does.  Its natural order is not
 * transitive for some key sets ("a1b2" < "a01" < "a100" < "a1b2"), where
 * kubectl's output then varies from run to run (Go map order); starting
 * from byte order and merging keeps ours deterministic.
 */
static void
yaml_sort_keys(const cJSON **v, size_t n)
{
	const cJSON	**tmp;

	if (n < 2)
		return;
	qsort(v, n, sizeof *v, yaml_bytes_cmp);
	tmp = xcalloc(n, sizeof *tmp);
	yaml_merge_sort(v, tmp, n);
	free(tmp);
}

static void yaml_put_value(struct yemitter *, const cJSON *);

/* A mapping with its keys in yaml.v2's order. */
static void
yaml_put_mapping(struct yemitter *ye, const cJSON *v)
{
	const cJSON	**members, *m;
	size_t		  n = 0, i;

	for (m = v->child; m != NULL; m = m->next)
		n++;
	members = xcalloc(n ? n : 1, sizeof *members);
	for (i = 0, m = v->child; m != NULL; m = m->next)
		members[i++] = m;
	yaml_sort_keys(members, n);
	yaml_put(ye, yaml_mapping_start_event_initialize(&ye->ev, NULL, NULL,
	    1, YAML_BLOCK_MAPPING_STYLE));
	for (i = 0; i < n && !ye->failed; i++) {
		yaml_put_string(ye, members[i]->string != NULL ?
		    members[i]->string : "");
		yaml_put_value(ye, members[i]);
	}
	yaml_put(ye, yaml_mapping_end_event_initialize(&ye->ev));
	free(members);
}

static void
yaml_put_value(struct yemitter *ye, const cJSON *v)
{
	const cJSON	*m;

	if (ye->failed)
		return;
	if (cJSON_IsObject(v))
		yaml_put_mapping(ye, v);
	else if (cJSON_IsArray(v)) {
		yaml_put(ye, yaml_sequence_start_event_initialize(&ye->ev, NULL,
		    NULL, 1, YAML_BLOCK_SEQUENCE_STYLE));
		for (m = v->child; m != NULL && !ye->failed; m = m->next)
			yaml_put_value(ye, m);
		yaml_put(ye, yaml_sequence_end_event_initialize(&ye->ev));
	} else if (cJSON_IsString(v))
		yaml_put_string(ye, v->valuestring);
	else if (cJSON_IsNumber(v))
		yaml_put_number(ye, v->valuedouble);
	else if (cJSON_IsRaw(v) && v->valuestring != NULL)
		yaml_put_scalar(ye, NULL, v->valuestring,
		    YAML_PLAIN_SCALAR_STYLE);
	else if (cJSON_IsBool(v))
		yaml_put_scalar(ye, NULL, cJSON_IsTrue(v) ? "true" : "false",
		    YAML_PLAIN_SCALAR_STYLE);
	else
		yaml_put_scalar(ye, NULL, "null", YAML_PLAIN_SCALAR_STYLE);
}

char *
yaml_emit(const cJSON *v)
{
	struct yemitter	 ye;
	size_t		 n;

	memset(&ye, 0, sizeof ye);
	sb_init(&ye.out);
	if (!yaml_emitter_initialize(&ye.em))
		return sb_detach(&ye.out);
	yaml_emitter_set_output(&ye.em, yaml_write_handler, &ye.out);
	yaml_emitter_set_unicode(&ye.em, 1);
	yaml_put(&ye, yaml_stream_start_event_initialize(&ye.ev,
	    YAML_UTF8_ENCODING));
	yaml_put(&ye, yaml_document_start_event_initialize(&ye.ev, NULL, NULL,
	    NULL, 1));
	yaml_put_value(&ye, v);
	yaml_put(&ye, yaml_document_end_event_initialize(&ye.ev, 1));
	yaml_put(&ye, yaml_stream_end_event_initialize(&ye.ev));
	yaml_emitter_delete(&ye.em);
	/* yaml.v2 never closes an implicit document with "...". */
	n = ye.out.len;
	if (n >= 4 && strcmp(ye.out.buf + n - 4, "...\n") == 0 &&
	    (n == 4 || ye.out.buf[n - 5] == '\n')) {
		ye.out.len -= 4;
		ye.out.buf[ye.out.len] = '\0';
	}
	return sb_detach(&ye.out);
}
