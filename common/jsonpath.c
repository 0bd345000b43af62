/*
 * jsonpath.c: kubectl's JSONPath templates, a port of the parser and the
 * evaluator of k8s.io/client-go/util/jsonpath (parser.go, jsonpath.go)
 * with their quirks, over cJSON values decoded as kubectl decodes
 * unstructured objects (integers are int64, other numbers float64).
 *
 * Maps have no order in Go; where kubectl would visit map members in
 * random order (wildcards, recursive descent) this visits them sorted by
 * key, which is also the order kubectl prints them in.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jsonpath.h"
#include "xalloc.h"

#define JP_EOF		(-1)
#define JP_DEFAULT_STEPS 20000000UL

enum jp_ntype {
	N_LIST, N_TEXT, N_FIELD, N_ARRAY, N_FILTER, N_INT, N_FLOAT, N_BOOL,
	N_WILDCARD, N_RECURSIVE, N_UNION, N_IDENT
};

struct jp_param {
	int		 known;
	long long	 value;
	int		 derived;
};

struct jp_node {
	enum jp_ntype	  type;
	char		 *text;		/* TEXT, FIELD, IDENT; FILTER operator */
	long long	  ival;		/* INT, BOOL */
	double		  fval;		/* FLOAT */
	struct jp_param	  params[3];	/* ARRAY */
	struct jp_node	**nodes;	/* LIST, UNION members; FILTER left, right */
	size_t		  n;
	size_t		  cap;
};

struct jsonpath {
	char		*tmpl;
	struct jp_node	*root;
	int		 allow_missing;
	int		 output_json;
	unsigned long	 max_steps;
};

struct jp_parser {
	const char	*in;
	size_t		 len;
	size_t		 pos;
	size_t		 start;
	size_t		 width;
	struct jp_node	*root;
	char		*err;
};

/* ---- nodes ---- */

static struct jp_node *
node_new(enum jp_ntype type)
{
	struct jp_node	*n = xcalloc(1, sizeof *n);

	n->type = type;
	return n;
}

static void
node_free(struct jp_node *n)
{
	size_t	 i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++)
		node_free(n->nodes[i]);
	free(n->nodes);
	free(n->text);
	free(n);
}

static void
node_append(struct jp_node *list, struct jp_node *child)
{
	if (list->n == list->cap) {
		list->cap = list->cap ? list->cap * 2 : 4;
		list->nodes = xrealloc(list->nodes,
		    list->cap * sizeof *list->nodes);
	}
	list->nodes[list->n++] = child;
}

static struct jp_node *
node_text(enum jp_ntype type, const char *s, size_t len)
{
	struct jp_node	*n = node_new(type);

	n->text = xstrndup(s, len);
	return n;
}

/* ---- runes ---- */

/* Decode one UTF-8 rune as Go does (invalid input: U+FFFD, width 1). */
static long
utf8_decode(const unsigned char *s, size_t len, size_t *width)
{
	unsigned char	 c = s[0];
	long		 r, min;
	size_t		 n, i;

	*width = 1;
	if (c < 0x80)
		return c;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2; r = c & 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3; r = c & 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4; r = c & 0x07; min = 0x10000;
	} else
		return 0xfffd;
	if (len < n)
		return 0xfffd;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0xfffd;
		r = (r << 6) | (s[i] & 0x3f);
	}
	if (r < min || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
		return 0xfffd;
	*width = n;
	return r;
}

static void
utf8_encode(struct strbuf *sb, long r)
{
	if (r < 0 || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
		r = 0xfffd;
	if (r < 0x80)
		sb_addc(sb, (int)r);
	else if (r < 0x800) {
		sb_addc(sb, (int)(0xc0 | (r >> 6)));
		sb_addc(sb, (int)(0x80 | (r & 0x3f)));
	} else if (r < 0x10000) {
		sb_addc(sb, (int)(0xe0 | (r >> 12)));
		sb_addc(sb, (int)(0x80 | ((r >> 6) & 0x3f)));
		sb_addc(sb, (int)(0x80 | (r & 0x3f)));
	} else {
		sb_addc(sb, (int)(0xf0 | (r >> 18)));
		sb_addc(sb, (int)(0x80 | ((r >> 12) & 0x3f)));
		sb_addc(sb, (int)(0x80 | ((r >> 6) & 0x3f)));
		sb_addc(sb, (int)(0x80 | (r & 0x3f)));
	}
}

static long
p_next(struct jp_parser *p)
{
	long	 r;

	if (p->pos >= p->len) {
		p->width = 0;
		return JP_EOF;
	}
	r = utf8_decode((const unsigned char *)p->in + p->pos,
	    p->len - p->pos, &p->width);
	p->pos += p->width;
	return r;
}

static void
p_backup(struct jp_parser *p)
{
	p->pos -= p->width;
}

static long
p_peek(struct jp_parser *p)
{
	long	 r = p_next(p);

	p_backup(p);
	return r;
}

/* The text from start to pos; start moves to pos. */
static char *
p_consume(struct jp_parser *p, size_t *len)
{
	char	*s = xstrndup(p->in + p->start, p->pos - p->start);

	if (len != NULL)
		*len = p->pos - p->start;
	p->start = p->pos;
	return s;
}

static void
p_skip(struct jp_parser *p)
{
	p->start = p->pos;
}

static int
p_prefix(struct jp_parser *p, const char *s)
{
	size_t	 n = strlen(s);

	return p->len - p->pos >= n && memcmp(p->in + p->pos, s, n) == 0;
}

static int
p_fail(struct jp_parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
p_fail(struct jp_parser *p, const char *fmt, ...)
{
	va_list	 ap;

	if (p->err == NULL) {
		va_start(ap, fmt);
		p->err = xvasprintf(fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
is_space(long r)
{
	return r == ' ' || r == '\t';
}

static int
is_eol(long r)
{
	return r == '\r' || r == '\n';
}

static int
is_digit(long r)
{
	return r >= '0' && r <= '9';
}

/* unicode.IsLetter/IsDigit, approximated: every non-ASCII rune counts. */
static int
is_alnum(long r)
{
	return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') ||
	    is_digit(r) || (r >= 0x80 && r != 0xfffd);
}

static int
is_terminator(long r)
{
	if (is_space(r) || is_eol(r))
		return 1;
	switch (r) {
	case JP_EOF: case '.': case ',': case '[': case ']': case '$':
	case '@': case '{': case '}':
		return 1;
	}
	return 0;
}

/* Go's %#U. */
static char *
fmt_rune(long r)
{
	struct strbuf	 sb = STRBUF_INIT;

	sb_init(&sb);
	sb_addf(&sb, "U+%04lX", (unsigned long)r);
	if ((r >= 0x20 && r < 0x7f) || (r >= 0xa1 && r != 0xad &&
	    r != 0xfffd)) {
		sb_adds(&sb, " '");
		utf8_encode(&sb, r);
		sb_addc(&sb, '\'');
	}
	return sb_detach(&sb);
}

/* ---- parser ---- */

static int parse_template(struct jp_parser *);

/* parseAction: parse "{text}" and return its first action list. */
static struct jp_node *
parse_action(struct jp_parser *outer, const char *text, size_t len)
{
	struct jp_parser	 sub;
	struct jp_node		*list = NULL;
	char			*wrapped;
	size_t			 i;

	wrapped = xmalloc(len + 3);
	wrapped[0] = '{';
	memcpy(wrapped + 1, text, len);
	wrapped[len + 1] = '}';
	wrapped[len + 2] = '\0';
	memset(&sub, 0, sizeof sub);
	sub.in = wrapped;
	sub.len = len + 2;
	sub.root = node_new(N_LIST);
	if (parse_template(&sub) == -1) {
		p_fail(outer, "%s", sub.err);
		goto out;
	}
	list = sub.root->nodes[0];
	for (i = 1; i < sub.root->n; i++)
		node_free(sub.root->nodes[i]);
	sub.root->n = 0;
out:
	node_free(sub.root);
	free(sub.err);
	free(wrapped);
	return list;
}

static int
parse_field(struct jp_parser *p, struct jp_node *cur)
{
	struct jp_node	*n;
	char		*value, *s, *d;
	long		 r;

	p_skip(p);
	for (;;) {
		r = p_next(p);
		if (r == '\\')
			p_next(p);
		else if (is_terminator(r)) {
			p_backup(p);
			break;
		}
	}
	value = p_consume(p, NULL);
	if (strcmp(value, "*") == 0) {
		node_append(cur, node_new(N_WILDCARD));
		free(value);
		return 0;
	}
	for (s = d = value; *s != '\0'; s++) {
		if (*s != '\\')
			*d++ = *s;
	}
	*d = '\0';
	n = node_new(N_FIELD);
	n->text = value;
	node_append(cur, n);
	return 0;
}

static int
parse_recursive(struct jp_parser *p, struct jp_node *cur)
{
	if (cur->n > 0 && cur->nodes[cur->n - 1]->type == N_RECURSIVE)
		return p_fail(p, "invalid multiple recursive descent");
	p->pos += 2;
	p_skip(p);
	node_append(cur, node_new(N_RECURSIVE));
	if (is_alnum(p_peek(p)))
		return parse_field(p, cur);
	return 0;
}

static int
parse_identifier(struct jp_parser *p, struct jp_node *cur)
{
	struct jp_node	*n;
	char		*value;

	while (!is_terminator(p_next(p)))
		;
	p_backup(p);
	value = p_consume(p, NULL);
	if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0) {
		n = node_new(N_BOOL);
		n->ival = value[0] == 't';
		free(value);
	} else {
		n = node_new(N_IDENT);
		n->text = value;
	}
	node_append(cur, n);
	return 0;
}

/* strconv.Atoi: optional sign, decimal digits, no overflow. */
static int
go_atoi(const char *s, long long *v)
{
	const char	*q = s;
	char		*end;

	if (*q == '+' || *q == '-')
		q++;
	if (*q == '\0')
		return -1;
	for (; *q != '\0'; q++) {
		if (!is_digit(*q))
			return -1;
	}
	errno = 0;
	*v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return 0;
}

static int
parse_number(struct jp_parser *p, struct jp_node *cur)
{
	struct jp_node	*n;
	char		*value, *end;
	long long	 iv;
	double		 dv;
	long		 r;
	int		 digits = 0;
	const char	*s;

	r = p_peek(p);
	if (r == '+' || r == '-')
		p_next(p);
	for (;;) {
		r = p_next(p);
		if (r != '.' && !is_digit(r)) {
			p_backup(p);
			break;
		}
	}
	value = p_consume(p, NULL);
	if (go_atoi(value, &iv) == 0) {
		n = node_new(N_INT);
		n->ival = iv;
		node_append(cur, n);
		free(value);
		return 0;
	}
	for (s = value; *s != '\0'; s++)
		digits += is_digit(*s);
	if (digits > 0) {
		errno = 0;
		dv = strtod(value, &end);
		if (*end == '\0' && end != value) {
			n = node_new(N_FLOAT);
			n->fval = dv;
			node_append(cur, n);
			free(value);
			return 0;
		}
	}
	p_fail(p, "cannot parse number %s", value);
	free(value);
	return -1;
}

/* Match ^(-?\d*)(:-?\d*)?(:-?\d*)?$ into three groups. */
static int
slice_match(const char *t, char *g[3])
{
	const char	*s = t, *b;
	int		 i;

	g[0] = g[1] = g[2] = NULL;
	for (i = 0; i < 3; i++) {
		b = s;
		if (i > 0) {
			if (*s != ':')
				break;
			s++;
		}
		if (*s == '-')
			s++;
		while (is_digit(*s))
			s++;
		g[i] = xstrndup(b, (size_t)(s - b));
	}
	for (; i < 3; i++)
		g[i] = xstrdup("");
	if (*s != '\0') {
		for (i = 0; i < 3; i++)
			free(g[i]);
		return -1;
	}
	return 0;
}

static int
parse_array(struct jp_parser *p, struct jp_node *cur)
{
	struct jp_node	*n, *u, *sub;
	char		*raw, *text, *g[3], *part, *v, *key;
	const char	*b, *c, *e;
	size_t		 len, tl, i;
	long		 r;
	int		 rc = -1, commas = 0;

	for (;;) {
		r = p_next(p);
		if (r == JP_EOF || r == '\n')
			return p_fail(p, "unterminated array");
		if (r == ']')
			break;
	}
	raw = p_consume(p, &len);
	text = xstrndup(raw + 1, len - 2);
	free(raw);
	if (strcmp(text, "*") == 0) {
		free(text);
		text = xstrdup(":");
	}
	tl = strlen(text);
	for (i = 0; i < tl; i++)
		commas += text[i] == ',';

	if (commas > 0) {
		/* union: each part is parsed as "[part]" */
		u = node_new(N_UNION);
		node_append(cur, u);
		for (b = text;; b = c + 1) {
			c = strchr(b, ',');
			e = c != NULL ? c : b + strlen(b);
			while (b < e && *b == ' ')
				b++;
			while (e > b && e[-1] == ' ')
				e--;
			part = xasprintf("[%.*s]", (int)(e - b), b);
			sub = parse_action(p, part, strlen(part));
			free(part);
			if (sub == NULL)
				goto out;
			node_append(u, sub);
			if (c == NULL)
				break;
		}
		rc = 0;
		goto out;
	}

	if (tl >= 2 && text[0] == '\'' && text[tl - 1] == '\'' &&
	    memchr(text + 1, '\'', tl - 2) == NULL) {
		/* dict key: parsed as ".key", its nodes appended here */
		key = xasprintf(".%.*s", (int)(tl - 2), text + 1);
		sub = parse_action(p, key, strlen(key));
		free(key);
		if (sub == NULL)
			goto out;
		for (i = 0; i < sub->n; i++)
			node_append(cur, sub->nodes[i]);
		sub->n = 0;
		node_free(sub);
		rc = 0;
		goto out;
	}

	if (slice_match(text, g) == -1) {
		p_fail(p, "invalid array index %s", text);
		goto out;
	}
	n = node_new(N_ARRAY);
	for (i = 0; i < 3; i++) {
		v = g[i];
		if (*v != '\0') {
			if (i > 0)
				v++;
			if (i > 0 && *v == '\0')
				n->params[i].known = 0;
			else {
				n->params[i].known = 1;
				if (go_atoi(v, &n->params[i].value) == -1) {
					p_fail(p, "array index %s is not a number",
					    v);
					break;
				}
			}
		} else if (i == 1) {
			n->params[i].known = 1;
			n->params[i].value = (long long)
			    ((unsigned long long)n->params[0].value + 1);
			n->params[i].derived = 1;
		}
	}
	for (i = 0; i < 3; i++)
		free(g[i]);
	if (p->err != NULL) {
		node_free(n);
		goto out;
	}
	node_append(cur, n);
	rc = 0;
out:
	free(text);
	return rc;
}

static int
is_op(char c)
{
	return c == '!' || c == '<' || c == '>' || c == '=';
}

static int
parse_filter(struct jp_parser *p, struct jp_node *cur)
{
	struct jp_node	*n, *left = NULL, *right = NULL;
	char		*text, *op;
	size_t		 len, a, b;
	long		 r, pair = 0;
	int		 begin = 0, end = 0, rc = -1;

	p->pos += 3;
	p_skip(p);
	for (;;) {
		r = p_next(p);
		if (r == JP_EOF || r == '\n')
			return p_fail(p, "unterminated filter");
		if (r == '"' || r == '\'') {
			if (!begin) {
				begin = 1;
				pair = r;
				continue;
			}
			if (p->in[p->pos - 2] != '\\' && r == pair)
				end = 1;
		} else if (r == ')') {
			if (begin == end)
				break;
		}
	}
	if (p_next(p) != ']')
		return p_fail(p, "unclosed array expect ]");
	text = p_consume(p, &len);
	len -= 2;
	text[len] = '\0';

	/* ^([^!<>=]+)([!<>=]+)(.+?)$ */
	for (a = 0; a < len && !is_op(text[a]); a++)
		;
	for (b = a; b < len && is_op(text[b]); b++)
		;
	if (a > 0 && a < len && b == len && b - a >= 2)
		b--;
	if (a == 0 || a == len || b == len) {
		left = parse_action(p, text, len);
		if (left == NULL)
			goto out;
		n = node_new(N_FILTER);
		n->text = xstrdup("exists");
		node_append(n, left);
		node_append(n, node_new(N_LIST));
	} else {
		left = parse_action(p, text, a);
		if (left == NULL)
			goto out;
		right = parse_action(p, text + b, len - b);
		if (right == NULL) {
			node_free(left);
			goto out;
		}
		op = xstrndup(text + a, b - a);
		n = node_new(N_FILTER);
		n->text = op;
		node_append(n, left);
		node_append(n, right);
	}
	node_append(cur, n);
	rc = 0;
out:
	free(text);
	return rc;
}

static int
unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* UnquoteExtend: strconv.Unquote for "..." and '...'.  -1 on bad syntax. */
static int
unquote(const char *s, size_t n, struct strbuf *out)
{
	const unsigned char	*q, *e;
	char			 quote;
	size_t			 w;
	long			 v;
	int			 c, k, len, x;

	if (n < 2 || s[0] != s[n - 1] || (s[0] != '"' && s[0] != '\''))
		return -1;
	quote = s[0];
	q = (const unsigned char *)s + 1;
	e = (const unsigned char *)s + n - 1;
	if (memchr(q, '\\', (size_t)(e - q)) == NULL &&
	    memchr(q, quote, (size_t)(e - q)) == NULL) {
		sb_add(out, q, (size_t)(e - q));
		return 0;
	}
	while (q < e) {
		c = *q;
		if (c == quote)
			return -1;
		if (c >= 0x80) {
			v = utf8_decode(q, (size_t)(e - q), &w);
			utf8_encode(out, v);
			q += w;
			continue;
		}
		if (c != '\\') {
			sb_addc(out, c);
			q++;
			continue;
		}
		if (e - q <= 1)
			return -1;
		c = q[1];
		q += 2;
		switch (c) {
		case 'a': sb_addc(out, '\a'); break;
		case 'b': sb_addc(out, '\b'); break;
		case 'f': sb_addc(out, '\f'); break;
		case 'n': sb_addc(out, '\n'); break;
		case 'r': sb_addc(out, '\r'); break;
		case 't': sb_addc(out, '\t'); break;
		case 'v': sb_addc(out, '\v'); break;
		case 'x': case 'u': case 'U':
			len = c == 'x' ? 2 : c == 'u' ? 4 : 8;
			if (e - q < len)
				return -1;
			v = 0;
			for (k = 0; k < len; k++) {
				if ((x = unhex(q[k])) == -1)
					return -1;
				v = (v << 4) | x;
			}
			q += len;
			if (c == 'x') {
				sb_addc(out, (int)v);
				break;
			}
			if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
				return -1;
			utf8_encode(out, v);
			break;
		case '0': case '1': case '2': case '3':
		case '4': case '5': case '6': case '7':
			v = c - '0';
			if (e - q < 2)
				return -1;
			for (k = 0; k < 2; k++) {
				x = q[k] - '0';
				if (x < 0 || x > 7)
					return -1;
				v = (v << 3) | x;
			}
			q += 2;
			if (v > 255)
				return -1;
			sb_addc(out, (int)v);
			break;
		case '\\':
			sb_addc(out, '\\');
			break;
		case '\'': case '"':
			if (c != quote)
				return -1;
			sb_addc(out, c);
			break;
		default:
			return -1;
		}
	}
	return 0;
}

static int
parse_quote(struct jp_parser *p, struct jp_node *cur, long end)
{
	struct strbuf	 sb = STRBUF_INIT;
	struct jp_node	*n;
	char		*value;
	size_t		 len;
	long		 r;

	for (;;) {
		r = p_next(p);
		if (r == JP_EOF || r == '\n')
			return p_fail(p, "unterminated quoted string");
		if (r == '\\') {
			r = p_next(p);
			if (r != JP_EOF && r != '\n')
				continue;
			break;
		}
		if (r == end)
			break;
	}
	value = p_consume(p, &len);
	sb_init(&sb);
	if (unquote(value, len, &sb) == -1) {
		p_fail(p, "unquote string %s error invalid syntax", value);
		free(value);
		sb_free(&sb);
		return -1;
	}
	free(value);
	n = node_text(N_TEXT, sb.buf, sb.len);
	sb_free(&sb);
	node_append(cur, n);
	return 0;
}

/* The whole parser: text outside actions, then each action's tokens. */
static int
parse_template(struct jp_parser *p)
{
	struct jp_node	*cur = NULL;
	char		*s, *rs;
	size_t		 len;
	long		 r;

	for (;;) {
		if (cur == NULL) {
			/* parseText */
			for (;;) {
				if (p_prefix(p, "{")) {
					if (p->pos > p->start) {
						s = p_consume(p, &len);
						node_append(p->root,
						    node_text(N_TEXT, s, len));
						free(s);
					}
					p->pos++;
					p_skip(p);
					cur = node_new(N_LIST);
					node_append(p->root, cur);
					break;
				}
				if (p_next(p) == JP_EOF) {
					if (p->pos > p->start) {
						s = p_consume(p, &len);
						node_append(p->root,
						    node_text(N_TEXT, s, len));
						free(s);
					}
					return 0;
				}
			}
			continue;
		}
		/* parseInsideAction */
		if (p_prefix(p, "}")) {
			p->pos++;
			p_skip(p);
			cur = NULL;
			continue;
		}
		if (p_prefix(p, "[?(")) {
			if (parse_filter(p, cur) == -1)
				return -1;
			continue;
		}
		if (p_prefix(p, "..")) {
			if (parse_recursive(p, cur) == -1)
				return -1;
			continue;
		}
		r = p_next(p);
		if (r == JP_EOF || is_eol(r))
			return p_fail(p, "unclosed action");
		if (r == ' ' || r == '@' || r == '$') {
			p_skip(p);
			continue;
		}
		if (r == '[') {
			if (parse_array(p, cur) == -1)
				return -1;
		} else if (r == '"' || r == '\'') {
			if (parse_quote(p, cur, r) == -1)
				return -1;
		} else if (r == '.') {
			if (parse_field(p, cur) == -1)
				return -1;
		} else if (r == '+' || r == '-' || is_digit(r)) {
			p_backup(p);
			if (parse_number(p, cur) == -1)
				return -1;
		} else if (is_alnum(r)) {
			p_backup(p);
			if (parse_identifier(p, cur) == -1)
				return -1;
		} else {
			rs = fmt_rune(r);
			p_fail(p, "unrecognized character in action: %s", rs);
			free(rs);
			return -1;
		}
	}
}

static struct jsonpath *
jp_parse(const char *tmpl, char **why)
{
	struct jp_parser	 p;
	struct jsonpath		*jp;

	memset(&p, 0, sizeof p);
	p.in = tmpl;
	p.len = strlen(tmpl);
	p.root = node_new(N_LIST);
	if (parse_template(&p) == -1) {
		node_free(p.root);
		*why = p.err;
		return NULL;
	}
	jp = xcalloc(1, sizeof *jp);
	jp->tmpl = xstrdup(tmpl);
	jp->root = p.root;
	jp->max_steps = JP_DEFAULT_STEPS;
	return jp;
}

struct jsonpath *
jsonpath_parse(const char *tmpl, struct err *e)
{
	struct jsonpath	*jp;
	char		*why = NULL;

	if ((jp = jp_parse(tmpl, &why)) == NULL) {
		err_set_raw(e, EXIT_USAGE, "error: error parsing jsonpath %s, %s",
		    tmpl, why);
		free(why);
	}
	return jp;
}

struct jsonpath *
jsonpath_parse_bare(const char *tmpl, struct err *e)
{
	struct jsonpath	*jp;
	char		*why = NULL;

	if ((jp = jp_parse(tmpl, &why)) == NULL) {
		err_set(e, EXIT_USAGE, "%s", why);
		free(why);
	}
	return jp;
}

void
jsonpath_free(struct jsonpath *jp)
{
	if (jp == NULL)
		return;
	node_free(jp->root);
	free(jp->tmpl);
	free(jp);
}

void
jsonpath_allow_missing_keys(struct jsonpath *jp, int allow)
{
	jp->allow_missing = allow;
}

void
jsonpath_output_json(struct jsonpath *jp, int on)
{
	jp->output_json = on;
}

void
jsonpath_set_max_steps(struct jsonpath *jp, unsigned long n)
{
	jp->max_steps = n ? n : JP_DEFAULT_STEPS;
}

/* ---- values ---- */

enum jv_kind { JV_JSON, JV_STR, JV_INT, JV_FLOAT, JV_BOOL, JV_BYTE };

/* One result: a JSON value (NULL: Go's invalid value) or a literal. */
struct jv {
	enum jv_kind	 kind;
	const cJSON	*j;
	const char	*s;
	long long	 i;
	double		 d;
};

struct jvlist {
	struct jv	*v;
	size_t		 n;
	size_t		 cap;
};

/* Go kinds, as reflect and text/template's comparisons see them. */
enum gk {
	GK_INVALID, GK_NIL, GK_BOOL, GK_INT, GK_UINT, GK_FLOAT, GK_STRING,
	GK_MAP, GK_SLICE
};

static void
jl_add(struct jvlist *l, struct jv v)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = v;
}

static void
jl_add_json(struct jvlist *l, const cJSON *j)
{
	struct jv	 v;

	memset(&v, 0, sizeof v);
	v.kind = JV_JSON;
	v.j = j;
	jl_add(l, v);
}

static void
jl_copy(struct jvlist *dst, const struct jvlist *src)
{
	size_t	 i;

	dst->n = 0;
	for (i = 0; i < src->n; i++)
		jl_add(dst, src->v[i]);
}

static void
jl_free(struct jvlist *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Whether a raw (unparsed) number is an int64 as Go decodes it. */
static int
raw_int(const char *s, long long *iv)
{
	return s != NULL && go_atoi(s, iv) == 0;
}

static enum gk
jv_kind(const struct jv *v, long long *iv, double *dv)
{
	const cJSON	*j = v->j;
	double		 d;

	switch (v->kind) {
	case JV_STR:
		return GK_STRING;
	case JV_INT:
		*iv = v->i;
		return GK_INT;
	case JV_BYTE:
		*iv = v->i;
		return GK_UINT;
	case JV_FLOAT:
		*dv = v->d;
		return GK_FLOAT;
	case JV_BOOL:
		*iv = v->i;
		return GK_BOOL;
	case JV_JSON:
		break;
	}
	if (j == NULL)
		return GK_INVALID;
	if (cJSON_IsNull(j) || cJSON_IsInvalid(j))
		return GK_NIL;
	if (cJSON_IsBool(j)) {
		*iv = cJSON_IsTrue(j);
		return GK_BOOL;
	}
	if (cJSON_IsString(j))
		return GK_STRING;
	if (cJSON_IsObject(j))
		return GK_MAP;
	if (cJSON_IsArray(j))
		return GK_SLICE;
	if (cJSON_IsRaw(j)) {
		if (raw_int(j->valuestring, iv))
			return GK_INT;
		*dv = j->valuestring != NULL ? strtod(j->valuestring, NULL) : 0;
		return GK_FLOAT;
	}
	d = j->valuedouble;
	if (isfinite(d) && d == floor(d) && d >= -9223372036854775808.0 &&
	    d < 9223372036854775808.0) {
		*iv = (long long)d;
		return GK_INT;
	}
	*dv = d;
	return GK_FLOAT;
}

static const char *
jv_string(const struct jv *v)
{
	if (v->kind == JV_STR)
		return v->s;
	return v->j->valuestring != NULL ? v->j->valuestring : "";
}

/* The Go type name kubectl's messages show (reflect.Type.String()). */
static const char *
jv_typename(const struct jv *v)
{
	long long	 iv;
	double		 dv;

	switch (jv_kind(v, &iv, &dv)) {
	case GK_INVALID: return "<nil>";
	case GK_NIL: return "interface {}";
	case GK_BOOL: return "bool";
	case GK_INT: return v->kind == JV_INT ? "int" : "int64";
	case GK_UINT: return "uint8";
	case GK_FLOAT: return "float64";
	case GK_STRING: return "string";
	case GK_MAP: return "map[string]interface {}";
	case GK_SLICE: return "[]interface {}";
	}
	return "";
}

struct keyed {
	const cJSON	*item;
	size_t		 idx;
};

static int
keyed_cmp(const void *a, const void *b)
{
	const struct keyed	*ka = a, *kb = b;
	int			 c;

	c = strcmp(ka->item->string != NULL ? ka->item->string : "",
	    kb->item->string != NULL ? kb->item->string : "");
	if (c != 0)
		return c;
	return ka->idx < kb->idx ? -1 : ka->idx > kb->idx;
}

/* The members of an object sorted by key (stable); caller frees. */
static struct keyed *
sorted_members(const cJSON *obj, size_t *np)
{
	struct keyed	*k;
	const cJSON	*c;
	size_t		 n = 0;

	for (c = obj->child; c != NULL; c = c->next)
		n++;
	*np = n;
	if (n == 0)
		return NULL;
	k = xcalloc(n, sizeof *k);
	for (c = obj->child, n = 0; c != NULL; c = c->next, n++) {
		k[n].item = c;
		k[n].idx = n;
	}
	qsort(k, n, sizeof *k, keyed_cmp);
	return k;
}

/* Sort every object's members by key, in place. */
static void
sort_tree(cJSON *d)
{
	struct keyed	*k;
	cJSON		*c;
	size_t		 n, i;

	for (c = d->child; c != NULL; c = c->next)
		sort_tree(c);
	if (!cJSON_IsObject(d) || (k = sorted_members(d, &n)) == NULL)
		return;
	d->child = (cJSON *)k[0].item;
	for (i = 0; i < n; i++) {
		c = (cJSON *)k[i].item;
		c->prev = (cJSON *)k[i > 0 ? i - 1 : n - 1].item;
		c->next = i + 1 < n ? (cJSON *)k[i + 1].item : NULL;
	}
	free(k);
}

/* A copy of v with object members sorted by key (Go map order). */
static cJSON *
sorted_dup(const cJSON *v)
{
	cJSON	*d = cJSON_Duplicate(v, 1);

	if (d == NULL)
		abort();
	sort_tree(d);
	return d;
}

void
jsonpath_marshal(struct strbuf *sb, const cJSON *v, int indent)
{
	cJSON	*d;
	char	*s;

	if (v == NULL) {
		sb_adds(sb, "null");
		return;
	}
	d = sorted_dup(v);
	s = json_print(d, indent);
	sb_adds(sb, s);
	free(s);
	cJSON_Delete(d);
}

/* Go's %v for a float64. */
static void
go_float(struct strbuf *sb, double d)
{
	if (isnan(d))
		sb_adds(sb, "NaN");
	else if (isinf(d))
		sb_adds(sb, d < 0 ? "-Inf" : "+Inf");
	else
		json_format_number(sb, d, JSON_NUM_YAML);
}

static void
go_sprint_json(struct strbuf *sb, const cJSON *j)
{
	struct jv	 v;
	const cJSON	*c;
	cJSON		*d;
	long long	 iv;
	double		 dv;

	memset(&v, 0, sizeof v);
	v.kind = JV_JSON;
	v.j = j;
	switch (jv_kind(&v, &iv, &dv)) {
	case GK_INVALID:
		sb_adds(sb, "<invalid reflect.Value>");
		break;
	case GK_NIL:
		sb_adds(sb, "<nil>");
		break;
	case GK_BOOL:
		sb_adds(sb, iv ? "true" : "false");
		break;
	case GK_INT:
	case GK_UINT:
		sb_addf(sb, "%lld", iv);
		break;
	case GK_FLOAT:
		go_float(sb, dv);
		break;
	case GK_STRING:
		sb_adds(sb, jv_string(&v));
		break;
	case GK_MAP:
		d = sorted_dup(j);
		sb_adds(sb, "map[");
		for (c = d->child; c != NULL; c = c->next) {
			if (c != d->child)
				sb_addc(sb, ' ');
			sb_adds(sb, c->string ? c->string : "");
			sb_addc(sb, ':');
			go_sprint_json(sb, c);
		}
		sb_addc(sb, ']');
		cJSON_Delete(d);
		break;
	case GK_SLICE:
		sb_addc(sb, '[');
		for (c = j->child; c != NULL; c = c->next) {
			if (c != j->child)
				sb_addc(sb, ' ');
			go_sprint_json(sb, c);
		}
		sb_addc(sb, ']');
		break;
	}
}

void
jsonpath_sprint(struct strbuf *sb, const cJSON *v)
{
	go_sprint_json(sb, v);
}

static void
jv_sprint(struct strbuf *sb, const struct jv *v)
{
	long long	 iv;
	double		 dv;

	if (v->kind == JV_JSON) {
		go_sprint_json(sb, v->j);
		return;
	}
	switch (jv_kind(v, &iv, &dv)) {
	case GK_STRING:
		sb_adds(sb, v->s);
		break;
	case GK_FLOAT:
		go_float(sb, dv);
		break;
	case GK_BOOL:
		sb_adds(sb, iv ? "true" : "false");
		break;
	default:
		sb_addf(sb, "%lld", iv);
		break;
	}
}

/* A value as JSON (a new cJSON item). */
static cJSON *
jv_to_json(const struct jv *v)
{
	cJSON	*c;

	switch (v->kind) {
	case JV_JSON:
		if (v->j == NULL)
			return cJSON_CreateNull();
		c = cJSON_Duplicate(v->j, 1);
		if (c == NULL)
			abort();
		return c;
	case JV_STR:
		return cJSON_CreateString(v->s);
	case JV_INT:
	case JV_BYTE:
		return cJSON_CreateNumber((double)v->i);
	case JV_FLOAT:
		return cJSON_CreateNumber(v->d);
	case JV_BOOL:
		return cJSON_CreateBool((int)v->i);
	}
	return cJSON_CreateNull();
}

/* evalToText, or JSON for maps and lists (PrintResults). */
static void
jv_print(struct strbuf *sb, const struct jv *v)
{
	long long	 iv;
	double		 dv;

	switch (jv_kind(v, &iv, &dv)) {
	case GK_INVALID:
		sb_adds(sb, "<no value>");
		break;
	case GK_NIL:
		sb_adds(sb, "null");
		break;
	case GK_MAP:
	case GK_SLICE:
		jsonpath_marshal(sb, v->j, 0);
		break;
	default:
		jv_sprint(sb, v);
		break;
	}
}

/* ---- evaluation ---- */

struct jp_exec {
	struct jsonpath		*jp;
	int			 begin_range;
	int			 in_range;
	int			 end_range;
	const struct jp_node	*last_end;
	unsigned long		 steps;
	char			*err;
	/* where result groups go: text, or collected values */
	struct strbuf		*out;
	struct jvlist		*collect;
};

static int
x_fail(struct jp_exec *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
x_fail(struct jp_exec *x, const char *fmt, ...)
{
	va_list	 ap;

	free(x->err);
	va_start(ap, fmt);
	x->err = xvasprintf(fmt, ap);
	va_end(ap);
	return -1;
}

static int walk(struct jp_exec *, const struct jvlist *,
    const struct jp_node *, struct jvlist *);

/* Go's template indirect(): JSON null is a nil interface. */
static int
jv_isnil(const struct jv *v)
{
	return v->kind == JV_JSON && v->j != NULL &&
	    (cJSON_IsNull(v->j) || cJSON_IsInvalid(v->j));
}

static int
eval_list(struct jp_exec *x, const struct jvlist *in,
    const struct jp_node *list, struct jvlist *out)
{
	struct jvlist	 cur = { NULL, 0, 0 }, next = { NULL, 0, 0 };
	size_t		 i;
	int		 rc = 0;

	jl_copy(&cur, in);
	for (i = 0; i < list->n; i++) {
		next.n = 0;
		rc = walk(x, &cur, list->nodes[i], &next);
		jl_free(&cur);
		cur = next;
		memset(&next, 0, sizeof next);
		if (rc == -1)
			break;
	}
	jl_copy(out, &cur);
	jl_free(&cur);
	return rc;
}

static int
eval_field(struct jp_exec *x, const struct jvlist *in,
    const struct jp_node *n, struct jvlist *out)
{
	const cJSON	*m;
	size_t		 i;

	if (in->n == 0)
		return 0;
	for (i = 0; i < in->n; i++) {
		if (jv_isnil(&in->v[i]) || in->v[i].kind != JV_JSON ||
		    in->v[i].j == NULL || !cJSON_IsObject(in->v[i].j))
			continue;
		m = cJSON_GetObjectItemCaseSensitive(in->v[i].j, n->text);
		if (m != NULL)
			jl_add_json(out, m);
	}
	if (out->n == 0 && !x->jp->allow_missing)
		return x_fail(x, "%s is not found", n->text);
	return 0;
}

static long long
wadd(long long a, long long b)
{
	return (long long)((unsigned long long)a + (unsigned long long)b);
}

static int
eval_array(struct jp_exec *x, const struct jvlist *in,
    const struct jp_node *n, struct jvlist *out)
{
	struct jp_param	 p[3];
	const cJSON	*c;
	long long	 len, k, step;
	size_t		 i;

	for (i = 0; i < in->n; i++) {
		const struct jv	*v = &in->v[i];

		if (jv_isnil(v))
			continue;
		if (v->kind != JV_JSON || v->j == NULL ||
		    !cJSON_IsArray(v->j)) {
			x_fail(x, "%s is not array or slice", jv_typename(v));
			jl_copy(out, in);
			return -1;
		}
		memcpy(p, n->params, sizeof p);
		len = cJSON_GetArraySize(v->j);
		if (!p[0].known)
			p[0].value = 0;
		if (p[0].value < 0)
			p[0].value = wadd(p[0].value, len);
		if (!p[1].known)
			p[1].value = len;
		if (p[1].value < 0 || (p[1].value == 0 && p[1].derived))
			p[1].value = wadd(p[1].value, len);
		if (p[1].value == p[0].value)
			return 0;
		if (p[0].value >= len || p[0].value < 0) {
			x_fail(x, "array index out of bounds: index %lld, "
			    "length %lld", p[0].value, len);
			jl_copy(out, in);
			return -1;
		}
		if (p[1].value > len || p[1].value < 0) {
			x_fail(x, "array index out of bounds: index %lld, "
			    "length %lld", wadd(p[1].value, -1), len);
			jl_copy(out, in);
			return -1;
		}
		if (p[0].value > p[1].value) {
			x_fail(x, "starting index %lld is greater than ending "
			    "index %lld", p[0].value, p[1].value);
			jl_copy(out, in);
			return -1;
		}
		step = 1;
		if (p[2].known) {
			if (p[2].value <= 0) {
				x_fail(x, "step must be > 0");
				jl_copy(out, in);
				return -1;
			}
			step = p[2].value;
		}
		for (c = v->j->child, k = 0; c != NULL && k < p[0].value; k++)
			c = c->next;
		for (k = 0; c != NULL && k < p[1].value - p[0].value; k++) {
			if (k % step == 0)
				jl_add_json(out, c);
			c = c->next;
		}
	}
	return 0;
}

/* text/template's basicKind: comparison kinds; -1 when not comparable. */
static int
cmp_kind(const struct jv *v, long long *iv, double *dv)
{
	switch (jv_kind(v, iv, dv)) {
	case GK_BOOL: return GK_BOOL;
	case GK_INT: return GK_INT;
	case GK_UINT: return GK_UINT;
	case GK_FLOAT: return GK_FLOAT;
	case GK_STRING: return GK_STRING;
	default: return -1;
	}
}

/* template.Equal / template.Less.  -1 with x->err on error. */
static int
t_compare(struct jp_exec *x, const struct jv *a, const struct jv *b, int less)
{
	long long	 ia = 0, ib = 0;
	double		 da = 0, db = 0;
	int		 ka, kb;

	if ((ka = cmp_kind(a, &ia, &da)) == -1 ||
	    (kb = cmp_kind(b, &ib, &db)) == -1)
		return x_fail(x, "invalid type for comparison");
	if (ka != kb) {
		if (ka == GK_INT && kb == GK_UINT)
			return less ? (ia < 0 || (unsigned long long)ia <
			    (unsigned long long)ib) : (ia >= 0 && ia == ib);
		if (ka == GK_UINT && kb == GK_INT)
			return less ? (ib >= 0 && (unsigned long long)ia <
			    (unsigned long long)ib) : (ib >= 0 && ia == ib);
		return x_fail(x, "incompatible types for comparison");
	}
	switch (ka) {
	case GK_BOOL:
		if (less)
			return x_fail(x, "invalid type for comparison");
		return ia == ib;
	case GK_INT:
		return less ? ia < ib : ia == ib;
	case GK_UINT:
		return less ? (unsigned long long)ia < (unsigned long long)ib :
		    ia == ib;
	case GK_FLOAT:
		return less ? da < db : da == db;
	default:
		if (less)
			return strcmp(jv_string(a), jv_string(b)) < 0;
		return strcmp(jv_string(a), jv_string(b)) == 0;
	}
}

static int
t_op(struct jp_exec *x, const char *op, const struct jv *a, const struct jv *b)
{
	int	 r;

	if (strcmp(op, "<") == 0)
		return t_compare(x, a, b, 1);
	if (strcmp(op, "==") == 0)
		return t_compare(x, a, b, 0);
	if (strcmp(op, "!=") == 0) {
		if ((r = t_compare(x, a, b, 0)) == -1)
			return -1;
		return !r;
	}
	if (strcmp(op, "<=") == 0 || strcmp(op, ">") == 0) {
		if ((r = t_compare(x, a, b, 1)) == -1)
			return -1;
		if (!r && (r = t_compare(x, a, b, 0)) == -1)
			return -1;
		return op[0] == '<' ? r : !r;
	}
	if (strcmp(op, ">=") == 0) {
		if ((r = t_compare(x, a, b, 1)) == -1)
			return -1;
		return !r;
	}
	return x_fail(x, "unrecognized filter operator %s", op);
}

/*
 * A filter comparison's operand: the result of evaluating it (rc, vals).
 * 1 with exactly one value, 0 with none (the element does not match),
 * -1 on an evaluation error or more than one value (x's error set).
 */
static int
one_operand(struct jp_exec *x, int rc, const struct jvlist *vals)
{
	if (rc == -1)
		return -1;
	if (vals->n == 0)
		return 0;
	if (vals->n > 1) {
		x_fail(x, "can only compare one element at a time");
		return -1;
	}
	return 1;
}

static int
eval_filter(struct jp_exec *x, const struct jvlist *in,
    const struct jp_node *n, struct jvlist *out)
{
	struct jvlist	 tmp = { NULL, 0, 0 }, lefts = { NULL, 0, 0 };
	struct jvlist	 rights = { NULL, 0, 0 };
	struct strbuf	 sb = STRBUF_INIT;
	const cJSON	*c;
	const char	*op = n->text;
	size_t		 i;
	int		 rc = 0, lrc, pass, one;

	for (i = 0; i < in->n && rc == 0; i++) {
		const struct jv	*v = &in->v[i];

		if (v->kind != JV_JSON || v->j == NULL ||
		    !cJSON_IsArray(v->j)) {
			sb_init(&sb);
			if (v->kind == JV_JSON && v->j == NULL)
				sb_adds(&sb, "<invalid reflect.Value>");
			else
				jv_sprint(&sb, v);
			x_fail(x, "%s is not array or slice and cannot be "
			    "filtered", sb.buf);
			sb_free(&sb);
			jl_copy(out, in);
			rc = -1;
			break;
		}
		for (c = v->j->child; c != NULL; c = c->next) {
			tmp.n = lefts.n = rights.n = 0;
			jl_add_json(&tmp, c);
			lrc = eval_list(x, &tmp, n->nodes[0], &lefts);
			if (strcmp(op, "exists") == 0) {
				if (lefts.n > 0)
					jl_add_json(out, c);
				free(x->err);
				x->err = NULL;
				continue;
			}
			if ((one = one_operand(x, lrc, &lefts)) == 1)
				one = one_operand(x, eval_list(x, &tmp,
				    n->nodes[1], &rights), &rights);
			if (one == -1) {
				jl_copy(out, in);
				rc = -1;
				break;
			}
			if (one == 0)
				continue;
			if ((pass = t_op(x, op, &lefts.v[0], &rights.v[0])) ==
			    -1) {
				rc = -1;
				break;
			}
			if (pass)
				jl_add_json(out, c);
		}
	}
	jl_free(&tmp);
	jl_free(&lefts);
	jl_free(&rights);
	return rc;
}

/* The members of a map (sorted by key), list or string (its bytes). */
static void
children(struct jp_exec *x, const struct jv *v, struct jvlist *out)
{
	const cJSON		*c;
	const unsigned char	*s;
	struct keyed		*kids;
	struct jv		 b;
	size_t			 n, i;

	if (v->kind == JV_STR || (v->kind == JV_JSON && v->j != NULL &&
	    cJSON_IsString(v->j))) {
		memset(&b, 0, sizeof b);
		b.kind = JV_BYTE;
		for (s = (const unsigned char *)jv_string(v); *s != '\0'; s++) {
			b.i = *s;
			jl_add(out, b);
			x->steps++;
		}
		return;
	}
	if (v->kind != JV_JSON || v->j == NULL)
		return;
	if (cJSON_IsArray(v->j)) {
		for (c = v->j->child; c != NULL; c = c->next) {
			jl_add_json(out, c);
			x->steps++;
		}
		return;
	}
	if (!cJSON_IsObject(v->j) || (kids = sorted_members(v->j, &n)) == NULL)
		return;
	for (i = 0; i < n; i++)
		jl_add_json(out, kids[i].item);
	x->steps += n;
	free(kids);
}

static int
eval_wildcard(struct jp_exec *x, const struct jvlist *in, struct jvlist *out)
{
	size_t	 i;

	for (i = 0; i < in->n; i++) {
		if (!jv_isnil(&in->v[i]))
			children(x, &in->v[i], out);
	}
	return 0;
}

static int
eval_recursive(struct jp_exec *x, const struct jvlist *in, struct jvlist *out)
{
	struct jvlist	 kids = { NULL, 0, 0 };
	size_t		 i;
	int		 rc = 0;

	for (i = 0; i < in->n; i++) {
		if (jv_isnil(&in->v[i]))
			continue;
		kids.n = 0;
		children(x, &in->v[i], &kids);
		if (kids.n == 0)
			continue;
		if (++x->steps > x->jp->max_steps) {
			rc = x_fail(x, "evaluation exceeds %lu steps",
			    x->jp->max_steps);
			break;
		}
		jl_add(out, in->v[i]);
		if ((rc = eval_recursive(x, &kids, out)) == -1)
			break;
	}
	jl_free(&kids);
	return rc;
}

static int
eval_union(struct jp_exec *x, const struct jvlist *in,
    const struct jp_node *n, struct jvlist *out)
{
	struct jvlist	 tmp = { NULL, 0, 0 };
	size_t		 i, k;

	for (i = 0; i < n->n; i++) {
		tmp.n = 0;
		if (eval_list(x, in, n->nodes[i], &tmp) == -1) {
			jl_free(&tmp);
			out->n = 0;
			jl_copy(out, in);
			return -1;
		}
		for (k = 0; k < tmp.n; k++)
			jl_add(out, tmp.v[k]);
	}
	jl_free(&tmp);
	return 0;
}

static int
eval_ident(struct jp_exec *x, const struct jvlist *in,
    const struct jp_node *n, struct jvlist *out)
{
	if (strcmp(n->text, "range") == 0) {
		x->begin_range++;
		jl_copy(out, in);
		return 0;
	}
	if (strcmp(n->text, "end") == 0) {
		if (x->in_range > 0) {
			x->end_range++;
			return 0;
		}
		return x_fail(x, "not in range, nothing to end");
	}
	jl_copy(out, in);
	return x_fail(x, "unrecognized identifier %s", n->text);
}

static int
walk(struct jp_exec *x, const struct jvlist *in, const struct jp_node *n,
    struct jvlist *out)
{
	struct jv	 v;
	size_t		 i;

	if (++x->steps > x->jp->max_steps)
		return x_fail(x, "evaluation exceeds %lu steps",
		    x->jp->max_steps);
	memset(&v, 0, sizeof v);
	switch (n->type) {
	case N_LIST:
		return eval_list(x, in, n, out);
	case N_TEXT:
		v.kind = JV_STR;
		v.s = n->text;
		jl_add(out, v);
		return 0;
	case N_FIELD:
		return eval_field(x, in, n, out);
	case N_ARRAY:
		return eval_array(x, in, n, out);
	case N_FILTER:
		return eval_filter(x, in, n, out);
	case N_INT:
	case N_FLOAT:
	case N_BOOL:
		v.kind = n->type == N_INT ? JV_INT : n->type == N_FLOAT ?
		    JV_FLOAT : JV_BOOL;
		v.i = n->ival;
		v.d = n->fval;
		for (i = 0; i < in->n; i++)
			jl_add(out, v);
		return 0;
	case N_WILDCARD:
		return eval_wildcard(x, in, out);
	case N_RECURSIVE:
		return eval_recursive(x, in, out);
	case N_UNION:
		return eval_union(x, in, n, out);
	case N_IDENT:
		return eval_ident(x, in, n, out);
	}
	return x_fail(x, "unexpected Node");
}

/* PrintResults for one group. */
static void
print_group(struct jp_exec *x, const struct jvlist *r)
{
	cJSON	*arr;
	size_t	 i;

	if (x->collect != NULL) {
		for (i = 0; i < r->n; i++)
			jl_add(x->collect, r->v[i]);
		return;
	}
	if (x->out == NULL)
		return;
	if (x->jp->output_json) {
		if ((arr = cJSON_CreateArray()) == NULL)
			abort();
		for (i = 0; i < r->n; i++)
			cJSON_AddItemToArray(arr, jv_to_json(&r->v[i]));
		jsonpath_marshal(x->out, arr, 1);
		sb_addc(x->out, '\n');
		cJSON_Delete(arr);
		return;
	}
	for (i = 0; i < r->n; i++) {
		jv_print(x->out, &r->v[i]);
		if (i + 1 < r->n)
			sb_addc(x->out, ' ');
	}
}

/* FindResults over nodes[0..n) with data as the current object. */
static int
find_results(struct jp_exec *x, struct jp_node **nodes, size_t n,
    const struct jv *data)
{
	struct jvlist	 cur = { NULL, 0, 0 }, res = { NULL, 0, 0 };
	struct jv	 nil;
	struct strbuf	*saved_out;
	struct jvlist	*saved_collect;
	size_t		 i, k;
	int		 rc = 0;

	jl_add(&cur, *data);
	for (i = 0; i < n; i++) {
		res.n = 0;
		if (walk(x, &cur, nodes[i], &res) == -1) {
			rc = -1;
			break;
		}
		if (x->end_range > 0 && x->end_range <= x->in_range) {
			x->end_range--;
			x->last_end = nodes[i];
			break;
		}
		if (x->begin_range > 0) {
			x->begin_range--;
			x->in_range++;
			if (res.n > 0) {
				for (k = 0; k < res.n && rc == 0; k++)
					rc = find_results(x, nodes + i + 1,
					    n - i - 1, &res.v[k]);
			} else {
				/* walk the body once to reach its end */
				memset(&nil, 0, sizeof nil);
				nil.kind = JV_JSON;
				saved_out = x->out;
				saved_collect = x->collect;
				x->out = NULL;
				x->collect = NULL;
				rc = find_results(x, nodes + i + 1, n - i - 1,
				    &nil);
				x->out = saved_out;
				x->collect = saved_collect;
			}
			if (rc == -1)
				break;
			x->in_range--;
			for (k = i + 1; k < n; k++) {
				if (nodes[k] == x->last_end) {
					i = k;
					break;
				}
			}
			continue;
		}
		print_group(x, &res);
	}
	jl_free(&cur);
	jl_free(&res);
	return rc;
}

/* Go's %q (strconv.Quote) of s. */
static void
go_quote(struct strbuf *sb, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 w, len = strlen(s);
	long			 r;

	sb_addc(sb, '"');
	while (*p != '\0') {
		r = utf8_decode(p, len - (size_t)(p - (const unsigned char *)s),
		    &w);
		if (r == 0xfffd && w == 1) {
			sb_addf(sb, "\\x%02x", *p);
			p++;
			continue;
		}
		switch (r) {
		case '"': sb_adds(sb, "\\\""); break;
		case '\\': sb_adds(sb, "\\\\"); break;
		case '\a': sb_adds(sb, "\\a"); break;
		case '\b': sb_adds(sb, "\\b"); break;
		case '\f': sb_adds(sb, "\\f"); break;
		case '\n': sb_adds(sb, "\\n"); break;
		case '\r': sb_adds(sb, "\\r"); break;
		case '\t': sb_adds(sb, "\\t"); break;
		case '\v': sb_adds(sb, "\\v"); break;
		default:
			if (r < 0x20 || r == 0x7f)
				sb_addf(sb, "\\x%02lx", r);
			else if ((r >= 0x80 && r < 0xa0) || r == 0xad ||
			    r == 0x2028 || r == 0x2029 || r == 0xfeff)
				sb_addf(sb, "\\u%04lx", r);
			else
				sb_add(sb, p, w);
			break;
		}
		p += w;
	}
	sb_addc(sb, '"');
}

static int
run(struct jsonpath *jp, const cJSON *data, struct strbuf *out,
    struct jvlist *collect, struct err *e)
{
	struct jp_exec	 x;
	struct jv	 root;
	struct strbuf	 q = STRBUF_INIT;
	int		 rc;

	memset(&x, 0, sizeof x);
	x.jp = jp;
	x.out = out;
	x.collect = collect;
	memset(&root, 0, sizeof root);
	root.kind = JV_JSON;
	root.j = data;
	rc = find_results(&x, jp->root->nodes, jp->root->n, &root);
	if (rc == -1) {
		sb_init(&q);
		go_quote(&q, jp->tmpl);
		err_set_raw(e, EXIT_ERR, "error: error executing jsonpath %s: "
		    "Error executing template: %s", q.buf,
		    x.err != NULL ? x.err : "unknown error");
		sb_free(&q);
	}
	free(x.err);
	return rc;
}

int
jsonpath_execute(struct jsonpath *jp, const cJSON *data, struct strbuf *out,
    struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;

	sb_init(&sb);
	if (run(jp, data, &sb, NULL, e) == -1) {
		sb_free(&sb);
		return -1;
	}
	sb_add(out, sb.buf, sb.len);
	sb_free(&sb);
	return 0;
}

cJSON *
jsonpath_find(struct jsonpath *jp, const cJSON *data, struct err *e)
{
	struct jvlist	 all = { NULL, 0, 0 };
	cJSON		*arr;
	size_t		 i;

	if (run(jp, data, NULL, &all, e) == -1) {
		jl_free(&all);
		return NULL;
	}
	if ((arr = cJSON_CreateArray()) == NULL)
		abort();
	for (i = 0; i < all.n; i++)
		cJSON_AddItemToArray(arr, jv_to_json(&all.v[i]));
	jl_free(&all);
	return arr;
}

int
jsonpath_find_strings(struct jsonpath *jp, const cJSON *data,
    struct strlist *out, struct err *e)
{
	struct jvlist	 all = { NULL, 0, 0 };
	struct strbuf	 sb = STRBUF_INIT;
	size_t		 i;

	if (run(jp, data, NULL, &all, e) == -1) {
		jl_free(&all);
		return -1;
	}
	for (i = 0; i < all.n; i++) {
		sb_init(&sb);
		jv_sprint(&sb, &all.v[i]);
		sl_take(out, sb_detach(&sb));
	}
	jl_free(&all);
	return 0;
}
