/*
 * json.c: helpers over cJSON: parsing with line/column errors, dotted-path
 * access, deep equality, and printing the way Go's encoding/json does
 * (kubectl -o json: 4-space indent, HTML-safe escapes, shortest numbers).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "json.h"
#include "xalloc.h"

/* Count the line and column (1-based, bytes) of offset off in buf. */
static void
json_position(const char *buf, size_t off, int *line, int *col)
{
	size_t	 i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

/*
 * Whether buf ends inside an unclosed string, object or array: cJSON then
 * points at the start of the value it gave up on, not at the end.
 */
static int
json_truncated(const char *buf, size_t len)
{
	size_t	 i;
	int	 depth = 0, instr = 0;

	for (i = 0; i < len && buf[i] != '\0'; i++) {
		if (instr) {
			if (buf[i] == '\\' && i + 1 < len)
				i++;
			else if (buf[i] == '"')
				instr = 0;
		} else if (buf[i] == '"')
			instr = 1;
		else if (buf[i] == '{' || buf[i] == '[')
			depth++;
		else if (buf[i] == '}' || buf[i] == ']')
			depth--;
	}
	return instr || depth > 0;
}

/* Describe the byte at the error position for a message. */
static char *
json_describe_at(const char *buf, size_t len, size_t off)
{
	unsigned char	 c;

	if (off >= len || buf[off] == '\0')
		return xstrdup("unexpected end of input");
	c = (unsigned char)buf[off];
	if (c >= 0x20 && c < 0x7f)
		return xasprintf("invalid character '%c'", c);
	return xasprintf("invalid byte 0x%02x", c);
}

/* The state of json_exact_ints: the next number token of the source. */
struct json_numscan {
	const char	*p, *end;
};

/* The next number token in the source (outside strings); 0 at the end. */
static int
json_next_number(struct json_numscan *ns, const char **tok, size_t *len)
{
	const char	*p = ns->p;

	while (p < ns->end) {
		if (*p == '"') {
			for (p++; p < ns->end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			p++;
			continue;
		}
		if (*p == '-' || (*p >= '0' && *p <= '9')) {
			*tok = p;
			while (p < ns->end && strchr("0123456789+-.eE", *p) != NULL)
				p++;
			*len = (size_t)(p - *tok);
			ns->p = p;
			return 1;
		}
		p++;
	}
	ns->p = p;
	return 0;
}

/* Whether tok is an integer that a double cannot hold exactly but 64 bits
 * can (|n| > 2^53, fits int64 or uint64). */
static int
json_big_integer(const char *tok, size_t len)
{
	const char	*d = tok[0] == '-' ? tok + 1 : tok;
	size_t		 n = len - (size_t)(d - tok), i;

	if (n < 16 || n > 20 || (n > 1 && d[0] == '0'))
		return 0;
	for (i = 0; i < n; i++)
		if (d[i] < '0' || d[i] > '9')
			return 0;
	if (n == 20 && (tok[0] == '-' || strncmp(d, "18446744073709551615", 20)
	    > 0))
		return 0;
	if (n == 19 && tok[0] == '-' && strncmp(d, "9223372036854775808", 19) > 0)
		return 0;
	return n > 16 || strncmp(d, "9007199254740992", 16) > 0;
}

/*
 * Walk v in document order beside the source's number tokens and turn
 * integers beyond 2^53 into raw numbers holding their exact text (as Go
 * keeps int64 values), so printing them loses nothing.
 */
static void
json_exact_ints(cJSON *v, struct json_numscan *ns)
{
	const char	*tok;
	size_t		 len;
	cJSON		*c, *raw;
	char		*text;

	if (cJSON_IsNumber(v)) {
		if (!json_next_number(ns, &tok, &len) ||
		    !json_big_integer(tok, len))
			return;
		text = xstrndup(tok, len);
		raw = cJSON_CreateRaw(text);
		free(text);
		/* Swap the contents in place, keeping the node and its key. */
		v->type = raw->type;
		v->valuestring = raw->valuestring;
		raw->valuestring = NULL;
		cJSON_Delete(raw);
		return;
	}
	for (c = v->child; c != NULL; c = c->next)
		json_exact_ints(c, ns);
}

/* Whether the text holds a run of 16 or more digits: no number in it can
 * be an integer beyond 2^53 otherwise (json_exact_ints has nothing to do).
 * A run of 16 that starts in [i, i+16) holds byte i+15, so a non-digit
 * there moves the search 16 bytes on. */
static int
json_long_digits(const char *p, size_t len)
{
	size_t	 i = 0, j;

	while (i + 16 <= len) {
		if (p[i + 15] < '0' || p[i + 15] > '9') {
			i += 16;
			continue;
		}
		/* Digits back from i+15: the run may start before it. */
		for (j = i + 15; j > i && p[j - 1] >= '0' && p[j - 1] <= '9';
		    j--)
			;
		if (j == i)
			return 1;	/* p[i..i+15] are all digits */
		i = j;
		/* The run starts at j: count it forward. */
		while (i < len && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i - j >= 16)
			return 1;
	}
	return 0;
}

/* A member and its position, for finding repeated keys. */
struct json_member {
	cJSON	*item;
	size_t	 pos;
};

/* Order members by name, then by position (so the last comes last). */
static int
json_member_cmp(const void *a, const void *b)
{
	const struct json_member	*x = a, *y = b;
	int				 c = strcmp(x->item->string, y->item->string);

	if (c != 0)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Drop all but the last of repeated keys, as Go's encoding/json keeps. */
static void
json_dedupe_object(cJSON *obj)
{
	struct json_member	*m;
	cJSON			*c, *d;
	size_t			 n = 0, i;
	int			 dup = 0;

	for (c = obj->child; c != NULL; c = c->next)
		n++;
	if (n < 2)
		return;
	/* Most objects are small and have no repeats: look before sorting. */
	if (n <= 16) {
		for (c = obj->child; c != NULL && !dup; c = c->next)
			for (d = c->next; d != NULL && !dup; d = d->next)
				dup = c->string[0] == d->string[0] &&
				    strcmp(c->string, d->string) == 0;
		if (!dup)
			return;
	}
	m = xcalloc(n, sizeof *m);
	for (i = 0, c = obj->child; c != NULL; c = c->next, i++) {
		m[i].item = c;
		m[i].pos = i;
	}
	qsort(m, n, sizeof *m, json_member_cmp);
	for (i = 0; i + 1 < n; i++) {
		if (strcmp(m[i].item->string, m[i + 1].item->string) == 0)
			cJSON_Delete(cJSON_DetachItemViaPointer(obj, m[i].item));
	}
	free(m);
}

/* Apply json_dedupe_object to every object in v. */
static void
json_dedupe(cJSON *v)
{
	cJSON	*c;

	if (cJSON_IsObject(v))
		json_dedupe_object(v);
	for (c = v->child; c != NULL; c = c->next)
		json_dedupe(c);
}

cJSON *
json_parse(const char *buf, size_t len, struct err *e)
{
	const char	*end = NULL;
	cJSON		*v;
	size_t		 off, i;
	int		 line, col;
	char		*what;
	struct json_numscan ns;

	for (i = 0; i < len && strchr(" \t\r\n", buf[i]) != NULL; i++)
		;
	if (i == len) {
		err_set(e, EXIT_USAGE, "invalid JSON: empty document");
		return NULL;
	}
	v = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (v != NULL) {
		off = (size_t)(end - buf);
		while (off < len && strchr(" \t\r\n", buf[off]) != NULL)
			off++;
		if (off == len || buf[off] == '\0') {
			ns.p = buf;
			ns.end = buf + off;
			if (json_long_digits(buf, off))
				json_exact_ints(v, &ns);
			json_dedupe(v);
			return v;
		}
		cJSON_Delete(v);
		json_position(buf, off, &line, &col);
		err_set(e, EXIT_USAGE, "invalid JSON at line %d, column %d: "
		    "unexpected data after the top-level value", line, col);
		return NULL;
	}
	off = end != NULL && end >= buf ? (size_t)(end - buf) : 0;
	if (off > len || json_truncated(buf, len))
		off = len;
	json_position(buf, off, &line, &col);
	what = json_describe_at(buf, len, off);
	err_set(e, EXIT_USAGE, "invalid JSON at line %d, column %d: %s",
	    line, col, what);
	free(what);
	return NULL;
}

void
json_items_init(struct json_items *it, const char *member, json_item_fn fn,
    void *arg)
{
	memset(it, 0, sizeof *it);
	it->member = member;
	it->fn = fn;
	it->arg = arg;
	sb_init(&it->env);
	sb_init(&it->elem);
	sb_init(&it->key);
	sb_init(&it->kept);
	sb_init(&it->prefix);
}

/* JSON whitespace. */
static int
json_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

#ifdef __SSE2__
/*
 * The first '"' or '\\' of the n bytes at p, or NULL: the end of a string's
 * body or an escape in it.  Strings are most of a Kubernetes object's
 * bytes, and most are short (keys, names, "f:spec"): sixteen bytes are
 * compared with both at once (SSE2, which every x86-64 has), with no
 * call per string; the last few one by one, never reading past p + n.
 */
static const char *
json_str_stop(const char *p, size_t n)
{
	const __m128i	 quote = _mm_set1_epi8('"');
	const __m128i	 slash = _mm_set1_epi8('\\');
	__m128i		 v;
	unsigned	 m;
	size_t		 k;

	for (k = 0; n - k >= 16; k += 16) {
		v = _mm_loadu_si128((const void *)(p + k));
		m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, slash)));
		if (m != 0)
			return p + k + __builtin_ctz(m);
	}
	for (; k < n; k++)
		if (p[k] == '"' || p[k] == '\\')
			return p + k;
	return NULL;
}
#else
/* As above, where there is no SSE2: memchr looks at many bytes a step. */
static const char *
json_str_stop(const char *p, size_t n)
{
	const char	*q, *b;

	if ((q = memchr(p, '"', n)) != NULL)
		n = (size_t)(q - p);
	if ((b = memchr(p, '\\', n)) != NULL)
		return b;
	return q;
}
#endif

/* Past the string that starts at p (its opening quote); NULL when it does
 * not end before end. */
static const char *
json_skip_string(const char *p, const char *end)
{
	const char	*q;

	for (p++; p < end; p = q + 1) {
		q = json_str_stop(p, (size_t)(end - p));
		if (q == NULL)
			return NULL;
		if (*q == '"')
			return q + 1;
		q++;		/* the escaped byte */
	}
	return NULL;
}

/* Past the value that starts at p; NULL when it does not end before end
 * (a number or literal ends at the first byte that cannot continue it). */
static const char *
json_skip_value(const char *p, const char *end)
{
	int	 depth = 0;

	if (p >= end)
		return NULL;
	if (*p == '"')
		return json_skip_string(p, end);
	if (*p != '{' && *p != '[') {
		while (p < end && !json_ws(*p) && *p != ',' && *p != '}' &&
		    *p != ']')
			p++;
		return p;
	}
	while (p < end) {
		if (*p == '"') {
			if ((p = json_skip_string(p, end)) == NULL)
				return NULL;
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if ((*p == '}' || *p == ']') && --depth == 0)
			return p + 1;
		p++;
	}
	return NULL;
}

static const char *
json_skip_ws(const char *p, const char *end)
{
	while (p < end && json_ws(*p))
		p++;
	return p;
}

size_t
json_drop_member(char *buf, size_t len, const char *dotted)
{
	const char	*end = buf + len, *seg = dotted, *dot, *p, *k, *ke;
	const char	*prev = NULL, *vs, *ve, *cs, *ce;
	size_t		 seglen, sub, nsub;

	dot = strchr(seg, '.');
	seglen = dot != NULL ? (size_t)(dot - seg) : strlen(seg);
	p = json_skip_ws(buf, end);
	if (p == end || *p != '{')
		return len;
	for (p++;;) {
		p = json_skip_ws(p, end);
		if (p == end || *p != '"')
			return len;	/* "}" (not there) or not JSON */
		k = p;
		if ((ke = json_skip_string(k, end)) == NULL)
			return len;
		p = json_skip_ws(ke, end);
		if (p == end || *p != ':')
			return len;
		vs = json_skip_ws(p + 1, end);
		if ((ve = json_skip_value(vs, end)) == NULL || ve == vs)
			return len;
		if ((size_t)(ke - k) == seglen + 2 &&
		    memcmp(k + 1, seg, seglen) == 0 &&
		    memchr(k + 1, '\\', seglen) == NULL)
			break;
		prev = ve;
		p = json_skip_ws(ve, end);
		if (p == end || *p != ',')
			return len;
		p++;
	}
	if (dot != NULL) {
		/* Into the member's object, then close the gap after it. */
		if (*vs != '{')
			return len;
		sub = (size_t)(ve - vs);
		nsub = json_drop_member((char *)vs, sub, dot + 1);
		memmove((char *)vs + nsub, ve, (size_t)(end - ve));
		return len - (sub - nsub);
	}
	/* The member with the comma before it, or (the first) after it. */
	if (prev != NULL) {
		cs = prev;
		ce = ve;
	} else {
		cs = k;
		ce = json_skip_ws(ve, end);
		if (ce < end && *ce == ',')
			ce = json_skip_ws(ce + 1, end);
		else
			ce = ve;
	}
	memmove((char *)cs, ce, (size_t)(end - ce));
	return len - (size_t)(ce - cs);
}

/*
 * How a key (the raw text between its quotes) at the level below the
 * dotted prefix (plen bytes, "" or "status.") is wanted: 0 not at all, 1
 * whole, 2 only some of its members (recurse with prefix "<prefix><key>.").
 */
static int
keep_how(const char *const *paths, const char *prefix, size_t plen,
    const char *key, size_t klen)
{
	const char	*const *p;
	int		 how = 0;

	if (memchr(key, '\\', klen) != NULL)
		return 1;
	for (p = paths; *p != NULL; p++) {
		if (strncmp(*p, prefix, plen) != 0 ||
		    strncmp(*p + plen, key, klen) != 0)
			continue;
		if ((*p)[plen + klen] == '\0')
			return 1;
		if ((*p)[plen + klen] == '.')
			how = 2;
	}
	return how;
}

/* json_keep_members() below a prefix: the object at p (up to end), its
 * kept members appended to out; past the object, or NULL when not JSON. */
static const char *
keep_object(const char *p, const char *end, const char *const *paths,
    struct strbuf *prefix, struct strbuf *out)
{
	const char	*k, *ke, *vs, *ve;
	size_t		 plen = prefix->len;
	int		 n = 0, how;

	if (p == end || *p != '{')
		return NULL;
	sb_addc(out, '{');
	p = json_skip_ws(p + 1, end);
	if (p < end && *p == '}') {
		sb_addc(out, '}');
		return p + 1;
	}
	for (;;) {
		if (p == end || *p != '"')
			return NULL;
		k = p;
		if ((ke = json_skip_string(k, end)) == NULL)
			return NULL;
		p = json_skip_ws(ke, end);
		if (p == end || *p != ':')
			return NULL;
		vs = json_skip_ws(p + 1, end);
		how = keep_how(paths, prefix->len ? prefix->buf : "", plen,
		    k + 1, (size_t)(ke - k) - 2);
		if (how == 2 && (vs == end || *vs != '{'))
			how = 1;
		if (how != 0) {
			if (n++ > 0)
				sb_addc(out, ',');
			sb_add(out, k, (size_t)(ke - k));
			sb_addc(out, ':');
		}
		if (how == 2) {
			/* Into the object: its end is where the cut of it
			 * ends, with no scan of it before. */
			sb_add(prefix, k + 1, (size_t)(ke - k) - 2);
			sb_addc(prefix, '.');
			if ((ve = keep_object(vs, end, paths, prefix,
			    out)) == NULL)
				return NULL;
			prefix->len = plen;
			prefix->buf[plen] = '\0';
		} else {
			if ((ve = json_skip_value(vs, end)) == NULL ||
			    ve == vs)
				return NULL;
			if (how == 1)
				sb_add(out, vs, (size_t)(ve - vs));
		}
		p = json_skip_ws(ve, end);
		if (p < end && *p == '}') {
			sb_addc(out, '}');
			return p + 1;
		}
		if (p == end || *p != ',')
			return NULL;
		p = json_skip_ws(p + 1, end);
	}
}

int
json_keep_members(const char *buf, size_t len, const char *const *paths,
    struct strbuf *out)
{
	struct strbuf	 prefix = STRBUF_INIT;
	const char	*end = buf + len, *p;
	size_t		 olen = out->len;

	p = keep_object(json_skip_ws(buf, end), end, paths, &prefix, out);
	sb_free(&prefix);
	if (p == NULL || json_skip_ws(p, end) != end) {
		out->len = olen;
		if (out->buf != NULL)
			out->buf[olen] = '\0';
		return -1;
	}
	return 0;
}

/* The element in it->elem is complete: hand it over. */
static int
items_emit(struct json_items *it)
{
	const char	*p = it->elem.buf;
	size_t		 n = it->elem.len;

	while (n > 0 && json_ws(p[n - 1]))
		n--;
	if (n == 0)
		return 0;
	if (it->drop != NULL)
		n = json_drop_member(it->elem.buf, n, it->drop);
	if (it->keep != NULL) {
		/* What cannot be cut goes whole, for its parse to say
		 * what is wrong with it. */
		sb_reset(&it->kept);
		if (json_keep_members(p, n, it->keep, &it->kept) == 0) {
			p = it->kept.buf;
			n = it->kept.len;
		}
	}
	it->count++;
	if (it->fn(it->arg, p, n) != 0) {
		it->stopped = 1;
		return -1;
	}
	sb_reset(&it->elem);
	return 0;
}

/*
 * At an element's start (offset i of buf, just past "[" or ","), with keep
 * set: cut and hand over each whole object element that buf holds, in one
 * pass (keep_object() finds the element's end as it cuts), instead of
 * splitting it byte by byte first and cutting it after.  Returns where the
 * byte-by-byte splitter goes on: the start of an element not whole in buf
 * (or not an object, or not JSON: the splitter and items_emit() deal with
 * it as ever), the "]" ending the array, or len; (size_t)-1 when fn asked
 * to stop.
 */
static size_t
items_fast(struct json_items *it, const char *buf, size_t i, size_t len)
{
	const char	*end = buf + len, *p, *q;

	for (;;) {
		p = json_skip_ws(buf + i, end);
		if (p == end || *p != '{')
			return i;
		sb_reset(&it->kept);
		sb_reset(&it->prefix);
		if ((q = keep_object(p, end, it->keep, &it->prefix,
		    &it->kept)) == NULL)
			return i;
		it->count++;
		if (it->fn(it->arg, it->kept.buf, it->kept.len) != 0) {
			it->stopped = 1;
			return (size_t)-1;
		}
		q = json_skip_ws(q, end);
		if (q == end || *q != ',')
			return (size_t)(q - buf);
		i = (size_t)(q + 1 - buf);
	}
}

/* The bytes that change the splitter's state outside strings. */
static const unsigned char json_structural[256] = {
	['"'] = 1, ['{'] = 1, ['}'] = 1, ['['] = 1, [']'] = 1, [','] = 1
};

int
json_items_feed(struct json_items *it, const char *buf, size_t len)
{
	const char	*stop;
	size_t		 i, start = 0;
	char		 c;

	if (it->stopped)
		return -1;
	for (i = 0; i < len; i++) {
		if (it->in_str) {
			if (!it->esc && !it->in_key) {
				/* The body of a string: to its end or an
				 * escape, nothing to keep but the bytes. */
				stop = json_str_stop(buf + i, len - i);
				if (stop == NULL)
					break;
				i = (size_t)(stop - buf);
			}
			c = buf[i];
			if (it->esc)
				it->esc = 0;
			else if (c == '\\')
				it->esc = 1;
			else if (c == '"') {
				it->in_str = 0;
				it->in_key = 0;
				continue;
			}
			if (it->in_key)
				sb_addc(&it->key, c);
			continue;
		}
		while (i < len && !json_structural[(unsigned char)buf[i]])
			i++;
		if (i == len)
			break;
		c = buf[i];
		switch (c) {
		case '"':
			it->in_str = 1;
			if (it->depth == 1 && it->want_key && !it->in_items) {
				it->in_key = 1;
				it->want_key = 0;
				sb_reset(&it->key);
			}
			break;
		case '{':
		case '[':
			if (it->depth == 1 && c == '[' && !it->in_items &&
			    strcmp(it->key.buf, it->member) == 0) {
				/* The member's array: keep "[" in the
				 * envelope, route what follows to elem. */
				sb_add(&it->env, buf + start, i + 1 - start);
				start = i + 1;
				it->in_items = 1;
				sb_reset(&it->elem);
				it->depth++;
				goto element;
			}
			it->depth++;
			if (it->depth == 1 && c == '{')
				it->want_key = 1;
			break;
		case '}':
		case ']':
			if (it->in_items && it->depth == 2) {
				/* The member's array ends. */
				sb_add(&it->elem, buf + start, i - start);
				start = i;
				if (items_emit(it) != 0)
					return -1;
				it->in_items = 0;
				sb_reset(&it->key);
			}
			it->depth--;
			break;
		case ',':
			if (it->in_items && it->depth == 2) {
				sb_add(&it->elem, buf + start, i - start);
				start = i + 1;
				if (items_emit(it) != 0)
					return -1;
				goto element;
			}
			if (it->depth == 1)
				it->want_key = 1;
			break;
		default:
			break;
		}
		continue;
element:
		/* start == i + 1: the next element starts here. */
		if (it->keep != NULL && it->drop == NULL) {
			if ((start = items_fast(it, buf, i + 1, len)) ==
			    (size_t)-1)
				return -1;
			i = start - 1;
		}
	}
	if (it->in_items)
		sb_add(&it->elem, buf + start, len - start);
	else
		sb_add(&it->env, buf + start, len - start);
	return 0;
}

void
json_items_free(struct json_items *it)
{
	sb_free(&it->env);
	sb_free(&it->elem);
	sb_free(&it->key);
	sb_free(&it->kept);
	sb_free(&it->prefix);
}

cJSON *
json_items_end(struct json_items *it, struct err *e)
{
	cJSON	*v = NULL;

	if (it->depth != 0 || it->in_str || it->in_items)
		err_set(e, EXIT_ERR, "invalid JSON: the document ends early");
	else
		v = json_parse(it->env.buf, it->env.len, e);
	json_items_free(it);
	return v;
}

/*
 * Split the next segment off a dotted path into seg (a backslash escapes a
 * dot, so "labels.app\.kubernetes\.io/name" names one key); returns a
 * pointer past the segment, or NULL at the end of the path.
 */
static const char *
json_next_segment(const char *p, struct strbuf *seg)
{
	sb_reset(seg);
	if (p == NULL)
		return NULL;
	for (; *p != '\0' && *p != '.'; p++) {
		if (*p == '\\' && (p[1] == '.' || p[1] == '\\'))
			p++;
		sb_addc(seg, *p);
	}
	return *p == '.' ? p + 1 : p;
}

/* The child of v named by one path segment (an index for arrays). */
static cJSON *
json_child(const cJSON *v, const char *seg)
{
	char	*end;
	long	 idx;

	if (cJSON_IsObject(v))
		return cJSON_GetObjectItemCaseSensitive(v, seg);
	if (cJSON_IsArray(v) && *seg != '\0') {
		idx = strtol(seg, &end, 10);
		if (*end == '\0' && idx >= 0 && idx <= 0x7fffffffL)
			return cJSON_GetArrayItem(v, (int)idx);
	}
	return NULL;
}

cJSON *
json_path(const cJSON *v, const char *dotted)
{
	struct strbuf	 seg = STRBUF_INIT;
	const char	*p = dotted;
	cJSON		*cur = (cJSON *)v;
	char		 small[128];
	size_t		 n;

	if (v == NULL || dotted == NULL)
		return NULL;
	if (*dotted == '\0')
		return cur;
	while (cur != NULL && *p != '\0') {
		/* A plain segment (no escape) is copied as it is. */
		n = strcspn(p, ".\\");
		if (p[n] != '\\' && n < sizeof small) {
			memcpy(small, p, n);
			small[n] = '\0';
			p += n;
			if (*p == '.')
				p++;
			cur = json_child(cur, small);
			continue;
		}
		p = json_next_segment(p, &seg);
		cur = json_child(cur, seg.buf);
	}
	sb_free(&seg);
	return cur;
}

const char *
json_str(const cJSON *v, const char *dotted)
{
	cJSON	*m = json_path(v, dotted);

	return cJSON_IsString(m) ? m->valuestring : NULL;
}

double
json_num(const cJSON *v, const char *dotted, double def)
{
	cJSON	*m = json_path(v, dotted);
	char	*end;
	double	 d;

	if (cJSON_IsNumber(m))
		return m->valuedouble;
	if (cJSON_IsRaw(m) && m->valuestring != NULL) {
		d = strtod(m->valuestring, &end);
		if (end != m->valuestring && *end == '\0')
			return d;
	}
	return def;
}

int
json_bool(const cJSON *v, const char *dotted, int def)
{
	cJSON	*m = json_path(v, dotted);

	if (cJSON_IsTrue(m))
		return 1;
	if (cJSON_IsFalse(m))
		return 0;
	return def;
}

/* Get or create the object member named key of obj (replacing non-objects). */
static cJSON *
json_obj_member(cJSON *obj, const char *key)
{
	cJSON	*m;

	m = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (cJSON_IsObject(m))
		return m;
	if (m != NULL)
		cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
	return cJSON_AddObjectToObject(obj, key);
}

cJSON *
json_obj(cJSON *v, const char *dotted)
{
	struct strbuf	 seg = STRBUF_INIT;
	const char	*p = dotted;
	cJSON		*cur = v;

	if (!cJSON_IsObject(v) || dotted == NULL)
		return NULL;
	while (cur != NULL && *p != '\0') {
		p = json_next_segment(p, &seg);
		cur = json_obj_member(cur, seg.buf);
	}
	sb_free(&seg);
	return cur;
}

void
json_set_str(cJSON *v, const char *dotted, const char *value)
{
	const char	*last, *p;
	char		*parent;
	cJSON		*obj, *item;
	struct strbuf	 seg = STRBUF_INIT;

	if (!cJSON_IsObject(v) || dotted == NULL || *dotted == '\0')
		return;
	/* Find the start of the last unescaped segment. */
	last = dotted;
	for (p = dotted; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '.')
			last = p + 1;
	}
	parent = xstrndup(dotted, last > dotted ? (size_t)(last - dotted - 1) : 0);
	obj = *parent == '\0' ? v : json_obj(v, parent);
	free(parent);
	json_next_segment(last, &seg);
	item = value != NULL ? cJSON_CreateString(value) : cJSON_CreateNull();
	if (cJSON_GetObjectItemCaseSensitive(obj, seg.buf) != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(obj, seg.buf, item);
	else
		cJSON_AddItemToObject(obj, seg.buf, item);
	sb_free(&seg);
}

/* The numeric value of a number or raw number item; 0 when neither. */
static int
json_numeric(const cJSON *v, double *d, const char **text)
{
	char	*end;

	*text = NULL;
	if (cJSON_IsNumber(v)) {
		*d = v->valuedouble;
		return 1;
	}
	if (cJSON_IsRaw(v) && v->valuestring != NULL) {
		*d = strtod(v->valuestring, &end);
		*text = v->valuestring;
		return end != v->valuestring && *end == '\0';
	}
	return 0;
}

/* Whether s is an optionally signed run of decimal digits. */
static int
json_is_integer_text(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return 0;
	}
	return 1;
}

/* Compare two numbers, raw (exact text, e.g. integers beyond 2^53) or not. */
static int
json_equal_numbers(const cJSON *a, const cJSON *b)
{
	double		 da, db;
	const char	*ta, *tb;

	if (!json_numeric(a, &da, &ta) || !json_numeric(b, &db, &tb))
		return 0;
	if (ta != NULL && tb != NULL) {
		if (strcmp(ta, tb) == 0)
			return 1;
		if (json_is_integer_text(ta) && json_is_integer_text(tb))
			return 0;	/* beyond 2^53: doubles would collide */
	}
	return da == db;
}

/* Objects are equal when they have the same keys with equal values. */
static int
json_equal_objects(const cJSON *a, const cJSON *b)
{
	const cJSON	*m, *o;

	if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
		return 0;
	cJSON_ArrayForEach(m, a) {
		o = cJSON_GetObjectItemCaseSensitive(b, m->string);
		if (o == NULL || !json_equal(m, o))
			return 0;
	}
	return 1;
}

int
json_equal(const cJSON *a, const cJSON *b)
{
	const cJSON	*x, *y;
	double		 d;
	const char	*t;

	if (a == NULL || b == NULL)
		return a == b;
	if (json_numeric(a, &d, &t) && json_numeric(b, &d, &t))
		return json_equal_numbers(a, b);
	if ((a->type & 0xff) != (b->type & 0xff))
		return 0;
	if (cJSON_IsString(a))
		return strcmp(a->valuestring, b->valuestring) == 0;
	if (cJSON_IsObject(a))
		return json_equal_objects(a, b);
	if (cJSON_IsArray(a)) {
		if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
			return 0;
		for (x = a->child, y = b->child; x != NULL && y != NULL;
		    x = x->next, y = y->next) {
			if (!json_equal(x, y))
				return 0;
		}
		return x == NULL && y == NULL;
	}
	return 1;	/* null, true, false: the type says it all */
}

/*
 * The shortest decimal digits that read back as d (d finite, positive):
 * digits without a point in buf, and the decimal exponent dp such that
 * d = 0.DIGITS * 10^dp.  Returns the number of digits.
 */
static int
json_shortest_digits(double d, int f32, char *digits, int *dp)
{
	char	 tmp[40], *p, *e;
	int	 prec, n, exp10;

	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
		if (f32 ? strtof(tmp, NULL) == (float)d : strtod(tmp, NULL) == d)
			break;
	}
	e = strchr(tmp, 'e');
	exp10 = atoi(e + 1);
	n = 0;
	for (p = tmp; p < e; p++) {
		if (*p >= '0' && *p <= '9')
			digits[n++] = *p;
	}
	while (n > 1 && digits[n - 1] == '0')
		n--;
	digits[n] = '\0';
	*dp = exp10 + 1;
	return n;
}

/* Append digits in %f style for d = 0.DIGITS * 10^dp. */
static void
json_fmt_fixed(struct strbuf *sb, const char *digits, int n, int dp)
{
	int	 i;

	if (dp <= 0) {
		sb_adds(sb, "0.");
		for (i = 0; i < -dp; i++)
			sb_addc(sb, '0');
		sb_add(sb, digits, (size_t)n);
		return;
	}
	for (i = 0; i < dp; i++)
		sb_addc(sb, i < n ? digits[i] : '0');
	if (n > dp) {
		sb_addc(sb, '.');
		sb_add(sb, digits + dp, (size_t)(n - dp));
	}
}

/* Append digits in %e style; mindigits is the exponent's minimum width. */
static void
json_fmt_exp(struct strbuf *sb, const char *digits, int n, int dp,
    int mindigits)
{
	int	 x = dp - 1;

	sb_addc(sb, digits[0]);
	if (n > 1) {
		sb_addc(sb, '.');
		sb_add(sb, digits + 1, (size_t)(n - 1));
	}
	sb_addf(sb, "e%c%0*d", x < 0 ? '-' : '+', mindigits, x < 0 ? -x : x);
}

void
json_format_number(struct strbuf *sb, double d, int style)
{
	char	 digits[40];
	int	 n, dp, x;

	if (style == JSON_NUM_YAML32 && !isnan(d))
		d = fabs(d) > FLT_MAX ? (d > 0 ? INFINITY : -INFINITY) : (float)d;
	if (isnan(d) || isinf(d)) {
		if (style != JSON_NUM_GO)
			sb_adds(sb, isnan(d) ? ".nan" : d < 0 ? "-.inf" : ".inf");
		else
			sb_adds(sb, "null");
		return;
	}
	if (d == 0) {
		sb_adds(sb, signbit(d) && style != JSON_NUM_GO ? "-0" : "0");
		return;
	}
	if (d < 0) {
		sb_addc(sb, '-');
		d = -d;
	}
	n = json_shortest_digits(d, style == JSON_NUM_YAML32, digits, &dp);
	x = dp - 1;
	if (style != JSON_NUM_GO) {
		/* strconv.FormatFloat(f, 'g', -1, 64) */
		if (x < -4 || x >= 6)
			json_fmt_exp(sb, digits, n, dp, 2);
		else
			json_fmt_fixed(sb, digits, n, dp);
		return;
	}
	/* encoding/json: 'f' unless the exponent is < -6 or >= 21. */
	if (x < -6 || x >= 21)
		json_fmt_exp(sb, digits, n, dp, 1);
	else
		json_fmt_fixed(sb, digits, n, dp);
}

long
json_utf8_rune(const unsigned char *s, size_t *len)
{
	long	 r;
	size_t	 n, i;

	*len = 1;
	if (s[0] < 0x80)
		return s[0];
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, r = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, r = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, r = s[0] & 0x07;
	else
		return -1;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		r = (r << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && r < 0x800) || (n == 4 && (r < 0x10000 ||
	    r > 0x10ffff)) || (r >= 0xd800 && r <= 0xdfff))
		return -1;
	*len = n;
	return r;
}

int
json_utf8_valid(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n;

	while (*p != '\0') {
		if (json_utf8_rune(p, &n) < 0)
			return 0;
		p += n;
	}
	return 1;
}

void
json_quote(struct strbuf *sb, const char *s, enum json_quote_style st)
{
	static const char	 named[] = "\a\b\t\n\v\f\r";
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n;
	long			 r;

	sb_addc(sb, '"');
	for (; *p != '\0'; p++) {
		if (*p >= 0x80) {
			r = json_utf8_rune(p, &n);
			if (r < 0 && st == QUOTE_GO)
				sb_addf(sb, "\\x%02x", *p);
			else if (r < 0)
				sb_adds(sb, "\\ufffd");
			else if (r == 0x2028 || r == 0x2029)
				sb_addf(sb, "\\u%04lx", r);
			else
				sb_add(sb, p, n);
			if (r >= 0)
				p += n - 1;
			continue;
		}
		if (*p == '"' || *p == '\\') {
			sb_addc(sb, '\\');
			sb_addc(sb, *p);
		} else if (*p == '\n')
			sb_adds(sb, "\\n");
		else if (*p == '\r')
			sb_adds(sb, "\\r");
		else if (*p == '\t')
			sb_adds(sb, "\\t");
		else if (st == QUOTE_JSON && (*p == '<' || *p == '>' ||
		    *p == '&' || *p < 0x20))
			sb_addf(sb, "\\u%04x", *p);
		else if (st == QUOTE_GO && *p != 0 && *p < 0x20 &&
		    strchr(named, *p) != NULL)
			sb_addf(sb, "\\%c", "abtnvfr"[strchr(named, *p) -
			    named]);
		else if (st == QUOTE_GO && (*p < 0x20 || *p == 0x7f))
			sb_addf(sb, "\\x%02x", *p);
		else
			sb_addc(sb, *p);
	}
	sb_addc(sb, '"');
}

static void json_print_value(struct strbuf *, const cJSON *, int, int);

/* Start a new line at the given depth (pretty mode only). */
static void
json_newline(struct strbuf *sb, int pretty, int depth)
{
	int	 i;

	if (!pretty)
		return;
	sb_addc(sb, '\n');
	for (i = 0; i < depth; i++)
		sb_adds(sb, "    ");
}

/* Print an object or array with its members. */
static void
json_print_container(struct strbuf *sb, const cJSON *v, int pretty, int depth)
{
	const cJSON	*m;
	int		 obj = cJSON_IsObject(v);

	if (v->child == NULL) {
		sb_adds(sb, obj ? "{}" : "[]");
		return;
	}
	sb_addc(sb, obj ? '{' : '[');
	for (m = v->child; m != NULL; m = m->next) {
		json_newline(sb, pretty, depth + 1);
		if (obj) {
			json_quote(sb, m->string != NULL ? m->string : "", QUOTE_JSON);
			sb_adds(sb, pretty ? ": " : ":");
		}
		json_print_value(sb, m, pretty, depth + 1);
		if (m->next != NULL)
			sb_addc(sb, ',');
	}
	json_newline(sb, pretty, depth);
	sb_addc(sb, obj ? '}' : ']');
}

static void
json_print_value(struct strbuf *sb, const cJSON *v, int pretty, int depth)
{
	if (cJSON_IsNull(v) || cJSON_IsInvalid(v))
		sb_adds(sb, "null");
	else if (cJSON_IsTrue(v))
		sb_adds(sb, "true");
	else if (cJSON_IsFalse(v))
		sb_adds(sb, "false");
	else if (cJSON_IsNumber(v))
		json_format_number(sb, v->valuedouble, JSON_NUM_GO);
	else if (cJSON_IsRaw(v))
		sb_adds(sb, v->valuestring != NULL ? v->valuestring : "null");
	else if (cJSON_IsString(v))
		json_quote(sb, v->valuestring, QUOTE_JSON);
	else
		json_print_container(sb, v, pretty, depth);
}

char *
json_print(const cJSON *v, int pretty)
{
	struct strbuf	 sb = STRBUF_INIT;

	sb_init(&sb);
	if (v == NULL)
		sb_adds(&sb, "null");
	else
		json_print_value(&sb, v, pretty, 0);
	return sb_detach(&sb);
}
