/*
 * selector.c: Kubernetes label selectors (k=v, k==v, k!=v, k in (a,b),
 * k notin (a,b), k, !k; comma means AND) and field selectors (k=v, k==v,
 * k!=v over dotted paths such as metadata.name).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver.h"

enum sel_op { OP_EQ, OP_NE, OP_IN, OP_NOTIN, OP_EXISTS, OP_NOTEXISTS };

struct sel_req {
	char		*key;
	enum sel_op	 op;
	struct strlist	 values;
};

struct selector {
	int		 fields;	/* field selector: keys are paths */
	struct sel_req	*reqs;
	size_t		 n;
};

static void
skip_ws(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

static int
keychar(int c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '/';
}

static char *
word(const char **p)
{
	const char	*s = *p;

	while (**p != '\0' && keychar((unsigned char)**p))
		(*p)++;
	return xstrndup(s, (size_t)(*p - s));
}

/* A field selector value may hold anything but ',' (escaped as \,). */
static char *
fvalue(const char **p)
{
	struct strbuf	 sb = STRBUF_INIT;

	sb_init(&sb);
	while (**p != '\0' && **p != ',') {
		if (**p == '\\' && (*p)[1] != '\0')
			(*p)++;
		sb_addc(&sb, **p);
		(*p)++;
	}
	return sb_detach(&sb);
}

static struct sel_req *
add_req(struct selector *s)
{
	s->reqs = xrealloc(s->reqs, (s->n + 1) * sizeof *s->reqs);
	memset(&s->reqs[s->n], 0, sizeof s->reqs[0]);
	return &s->reqs[s->n++];
}

static struct selector *
parse(const char *text, int fields, char **why)
{
	struct selector	*s = xcalloc(1, sizeof *s);
	struct sel_req	*r;
	const char	*p = text ? text : "";
	char		*w;

	s->fields = fields;
	skip_ws(&p);
	while (*p != '\0') {
		r = add_req(s);
		if (!fields && *p == '!') {
			p++;
			skip_ws(&p);
			r->op = OP_NOTEXISTS;
			r->key = word(&p);
			if (*r->key == '\0')
				goto bad;
			goto next;
		}
		r->key = word(&p);
		if (*r->key == '\0')
			goto bad;
		skip_ws(&p);
		if (p[0] == '=' && p[1] == '=') {
			r->op = OP_EQ;
			p += 2;
		} else if (p[0] == '=') {
			r->op = OP_EQ;
			p++;
		} else if (p[0] == '!' && p[1] == '=') {
			r->op = OP_NE;
			p += 2;
		} else if (!fields && (strncmp(p, "in", 2) == 0 ||
		    strncmp(p, "notin", 5) == 0) && (p[2] == ' ' ||
		    p[2] == '(' || p[5] == ' ' || p[5] == '(')) {
			r->op = p[0] == 'i' ? OP_IN : OP_NOTIN;
			p += r->op == OP_IN ? 2 : 5;
			skip_ws(&p);
			if (*p++ != '(')
				goto bad;
			for (;;) {
				skip_ws(&p);
				w = word(&p);
				sl_take(&r->values, w);
				skip_ws(&p);
				if (*p == ',') {
					p++;
					continue;
				}
				if (*p == ')') {
					p++;
					break;
				}
				goto bad;
			}
			goto next;
		} else if (!fields && (*p == ',' || *p == '\0')) {
			r->op = OP_EXISTS;
			goto next;
		} else
			goto bad;
		skip_ws(&p);
		w = fields ? fvalue(&p) : word(&p);
		if (fields) {
			/* trim trailing blanks */
			size_t n = strlen(w);
			while (n > 0 && (w[n - 1] == ' ' || w[n - 1] == '\t'))
				w[--n] = '\0';
		}
		sl_take(&r->values, w);
next:
		skip_ws(&p);
		if (*p == ',') {
			p++;
			skip_ws(&p);
			if (*p == '\0')
				goto bad;
			continue;
		}
		if (*p != '\0')
			goto bad;
	}
	return s;
bad:
	*why = xasprintf("unable to parse requirement: found '%s', expected: "
	    "%s", *p ? p : "", fields ? "'=', '==' or '!='" :
	    "',', '!=', '==', '=', 'in', 'notin'");
	sel_free(s);
	return NULL;
}

struct selector *
sel_parse_labels(const char *text, char **why)
{
	return parse(text, 0, why);
}

struct selector *
sel_parse_fields(const char *text, char **why)
{
	struct selector	*s = parse(text, 1, why);

	if (s == NULL) {
		free(*why);
		*why = xasprintf("invalid field selector: '%s'", text);
	}
	return s;
}

const char *
sel_field_at(const struct selector *s, size_t i)
{
	return i < s->n ? s->reqs[i].key : NULL;
}

/* The string value at a dotted path (numbers and bools as text). */
static const char *
field_value(const cJSON *obj, const char *path, char *buf, size_t n)
{
	const cJSON	*c = obj;
	const char	*p = path, *dot;
	char		 part[256];

	while (c != NULL && *p != '\0') {
		dot = strchr(p, '.');
		snprintf(part, sizeof part, "%.*s", dot ? (int)(dot - p) :
		    (int)strlen(p), p);
		c = cJSON_GetObjectItemCaseSensitive(c, part);
		p = dot ? dot + 1 : p + strlen(p);
	}
	if (c == NULL)
		return "";
	if (cJSON_IsString(c))
		return c->valuestring;
	if (cJSON_IsBool(c))
		return cJSON_IsTrue(c) ? "true" : "false";
	if (cJSON_IsNumber(c)) {
		snprintf(buf, n, "%g", c->valuedouble);
		return buf;
	}
	return "";
}

int
sel_match(const struct selector *s, const cJSON *obj)
{
	const cJSON	*labels, *l;
	const char	*v;
	char		 buf[64];
	size_t		 i;

	if (s == NULL)
		return 1;
	labels = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "labels");
	for (i = 0; i < s->n; i++) {
		const struct sel_req *r = &s->reqs[i];

		if (s->fields) {
			v = field_value(obj, r->key, buf, sizeof buf);
			if ((r->op == OP_EQ) != (strcmp(v, r->values.v[0]) == 0))
				return 0;
			continue;
		}
		l = cJSON_GetObjectItemCaseSensitive(labels, r->key);
		v = cJSON_IsString(l) ? l->valuestring : NULL;
		switch (r->op) {
		case OP_EQ:
			if (v == NULL || strcmp(v, r->values.v[0]) != 0)
				return 0;
			break;
		case OP_NE:
			if (v != NULL && strcmp(v, r->values.v[0]) == 0)
				return 0;
			break;
		case OP_IN:
			if (v == NULL || !sl_has(&r->values, v))
				return 0;
			break;
		case OP_NOTIN:
			if (v != NULL && sl_has(&r->values, v))
				return 0;
			break;
		case OP_EXISTS:
			if (v == NULL)
				return 0;
			break;
		case OP_NOTEXISTS:
			if (v != NULL)
				return 0;
			break;
		}
	}
	return 1;
}

void
sel_free(struct selector *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->reqs[i].key);
		sl_free(&s->reqs[i].values);
	}
	free(s->reqs);
	free(s);
}
