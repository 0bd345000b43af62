/*
 * openai.c: OpenAI-compatible request bodies and response assembly.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "openai.h"

void
oai_params_init(struct oai_params *p)
{
	memset(p, 0, sizeof *p);
	p->temperature = -1;
	p->top_p = -1;
	p->max_tokens = -1;
}

int
oai_param_kv(cJSON **obj, const char *kv, struct err *e)
{
	const char	*eq = strchr(kv, '=');
	char		*key;
	cJSON		*v;

	if (eq == NULL || eq == kv)
		return err_set(e, EXIT_USAGE, "invalid parameter \"%s\": "
		    "want key=value", kv);
	key = xstrndup(kv, (size_t)(eq - kv));
	/* JSON values keep their type; anything else is a string. */
	if ((v = cJSON_Parse(eq + 1)) == NULL)
		v = cJSON_CreateString(eq + 1);
	if (*obj == NULL)
		*obj = cJSON_CreateObject();
	cJSON_DeleteItemFromObjectCaseSensitive(*obj, key);
	cJSON_AddItemToObject(*obj, key, v);
	free(key);
	return 0;
}

static void
add_common(cJSON *o, const struct oai_params *p)
{
	cJSON		*stop, *it;
	size_t		 i;

	cJSON_AddStringToObject(o, "model", p->model ? p->model : "");
	if (p->temperature >= 0)
		cJSON_AddNumberToObject(o, "temperature", p->temperature);
	if (p->top_p >= 0)
		cJSON_AddNumberToObject(o, "top_p", p->top_p);
	if (p->max_tokens >= 0)
		cJSON_AddNumberToObject(o, "max_tokens",
		    (double)p->max_tokens);
	if (p->has_seed)
		cJSON_AddNumberToObject(o, "seed", (double)p->seed);
	if (p->stop.n > 0) {
		stop = cJSON_AddArrayToObject(o, "stop");
		for (i = 0; i < p->stop.n; i++)
			cJSON_AddItemToArray(stop,
			    cJSON_CreateString(p->stop.v[i]));
	}
	if (p->stream) {
		cJSON_AddBoolToObject(o, "stream", 1);
		if (p->include_usage)
			cJSON_AddBoolToObject(cJSON_AddObjectToObject(o,
			    "stream_options"), "include_usage", 1);
	}
	if (p->extra != NULL)
		cJSON_ArrayForEach(it, p->extra) {
			cJSON_DeleteItemFromObjectCaseSensitive(o, it->string);
			cJSON_AddItemToObject(o, it->string,
			    cJSON_Duplicate(it, 1));
		}
}

cJSON *
oai_chat_request(const struct oai_params *p, const cJSON *messages)
{
	cJSON	*o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "messages", messages ?
	    cJSON_Duplicate(messages, 1) : cJSON_CreateArray());
	add_common(o, p);
	return o;
}

cJSON *
oai_completion_request(const struct oai_params *p, const char *prompt)
{
	cJSON	*o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "prompt", prompt ? prompt : "");
	add_common(o, p);
	return o;
}

void
oai_messages_add(cJSON *messages, const char *role, const char *content)
{
	cJSON	*m = cJSON_CreateObject();

	cJSON_AddStringToObject(m, "role", role);
	cJSON_AddStringToObject(m, "content", content);
	cJSON_AddItemToArray(messages, m);
}

void
oai_acc_init(struct oai_acc *a, int chat)
{
	memset(a, 0, sizeof *a);
	a->chat = chat;
	a->prompt_tokens = a->completion_tokens = a->total_tokens = -1;
	a->cached_tokens = -1;
}

void
oai_acc_free(struct oai_acc *a)
{
	free(a->id);
	free(a->model);
	free(a->role);
	free(a->finish_reason);
	free(a->error);
	sb_free(&a->content);
	sb_free(&a->reasoning);
	memset(a, 0, sizeof *a);
}

void
oai_acc_reset(struct oai_acc *a)
{
	struct strbuf	 content = a->content, reasoning = a->reasoning;
	int		 chat = a->chat, lean = a->lean, tree = a->tree_only;

	free(a->id);
	free(a->model);
	free(a->role);
	free(a->finish_reason);
	free(a->error);
	sb_reset(&content);
	sb_reset(&reasoning);
	oai_acc_init(a, chat);
	a->lean = lean;
	a->tree_only = tree;
	a->content = content;
	a->reasoning = reasoning;
}

/*
 * Parse one document.  Lean accumulators take cJSON's tree as it is (the
 * exact-integer and duplicate-key passes of json_parse cost more than the
 * parse itself on a stream chunk); a document cJSON rejects goes through
 * json_parse for its precise error.
 */
static cJSON *
acc_parse(const struct oai_acc *a, const char *buf, size_t len,
    struct err *e)
{
	const char	*end = NULL;
	cJSON		*o;

	if (!a->lean || len == 0)
		return json_parse(buf, len, e);
	if ((o = cJSON_ParseWithLengthOpts(buf, len, &end, 0)) != NULL) {
		while (end < buf + len && (*end == ' ' || *end == '\t' ||
		    *end == '\r' || *end == '\n'))
			end++;
		if (end == buf + len || *end == '\0')
			return o;
		cJSON_Delete(o);
	}
	return json_parse(buf, len, e);
}

/* Append a delta (a lean accumulator keeps only the latest one) and
 * return where it starts. */
static const char *
acc_delta(const struct oai_acc *a, struct strbuf *sb, const char *v)
{
	size_t	 at;

	if (a->lean)
		sb_reset(sb);
	at = sb->len;
	sb_adds(sb, v);
	return sb->buf + at;
}

static void
set_once(char **dst, const cJSON *v)
{
	if (*dst == NULL && cJSON_IsString(v) && v->valuestring[0] != '\0')
		*dst = xstrdup(v->valuestring);
}

static void
take_usage(struct oai_acc *a, const cJSON *u)
{
	const cJSON	*n;

	if (!cJSON_IsObject(u))
		return;
	if (cJSON_IsNumber(n = cJSON_GetObjectItem(u, "prompt_tokens")))
		a->prompt_tokens = (long)n->valuedouble;
	if (cJSON_IsNumber(n = cJSON_GetObjectItem(u, "completion_tokens")))
		a->completion_tokens = (long)n->valuedouble;
	if (cJSON_IsNumber(n = cJSON_GetObjectItem(u, "total_tokens")))
		a->total_tokens = (long)n->valuedouble;
	if (cJSON_IsNumber(n = cJSON_GetObjectItem(cJSON_GetObjectItem(u,
	    "prompt_tokens_details"), "cached_tokens")))
		a->cached_tokens = (long)n->valuedouble;
}

/* Common top-level fields of a response or chunk. */
static void
take_header(struct oai_acc *a, const cJSON *o)
{
	const cJSON	*c;

	if (a->lean) {
		take_usage(a, cJSON_GetObjectItem(o, "usage"));
		return;
	}
	set_once(&a->id, cJSON_GetObjectItem(o, "id"));
	set_once(&a->model, cJSON_GetObjectItem(o, "model"));
	if (a->created == 0 && cJSON_IsNumber(c = cJSON_GetObjectItem(o,
	    "created")))
		a->created = c->valuedouble;
	take_usage(a, cJSON_GetObjectItem(o, "usage"));
}

static int
take_error(struct oai_acc *a, const cJSON *o)
{
	const cJSON	*er = cJSON_GetObjectItem(o, "error"), *m;

	if (er == NULL || cJSON_IsNull(er))
		return 0;
	free(a->error);
	if (cJSON_IsString(er))
		a->error = xstrdup(er->valuestring);
	else if (cJSON_IsString(m = cJSON_GetObjectItem(er, "message")))
		a->error = xstrdup(m->valuestring);
	else
		a->error = xstrdup("the server sent an error without a "
		    "message");
	return 2;
}

/*
 * The fast path of a lean accumulator: the chunk scanned in place, without
 * a tree or an allocation.  It takes only strictly valid JSON whose every
 * piece it understands (an object; "choices" an array; numbers in "usage"
 * plain integers; strings without \u escapes or raw control characters;
 * interesting keys spelt exactly; no "error") and otherwise declines
 * (returns 0, nothing changed), leaving the chunk to cJSON, so both paths
 * give the same answer.  Returns 1 when it took the chunk.
 */

/* A string [p, e): its first byte is '"'. */
struct fstr {
	const char	*s;	/* contents, escapes undecoded */
	size_t		 n;
	int		 esc;	/* holds backslash escapes */
	int		 uesc;	/* ... among them \uXXXX */
};

/* What one chunk says, before it is applied. */
struct fchunk {
	struct fstr	 content, reasoning_content, reasoning, text, finish;
	int		 has_content, has_rc, has_reasoning, has_text, has_finish;
	int		 has_tools;	/* delta.tool_calls seen (first wins) */
	int		 tools;		/* ... a non-empty array */
	long		 usage[4];	/* prompt, completion, total, cached */
	int		 has_usage[4];
};

#define FAST_DEPTH	64

static const char *
f_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* The value of \uXXXX at p (p[0] == '\\'), or -1. */
static long
f_hex4(const char *p, const char *e)
{
	long	 v = 0;
	int	 i;

	if (e - p < 6 || p[1] != 'u')
		return -1;
	for (i = 2; i < 6; i++) {
		v <<= 4;
		if (p[i] >= '0' && p[i] <= '9')
			v |= p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			v |= p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			v |= p[i] - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static const char *
f_string(const char *p, const char *e, struct fstr *out)
{
	const char	*st;
	long		 u, lo;

	if (p >= e || *p != '"')
		return NULL;
	st = ++p;
	out->esc = out->uesc = 0;
	for (;;) {
		while (p < e && *p != '"' && *p != '\\' &&
		    (unsigned char)*p >= 0x20)
			p++;
		if (p >= e || (unsigned char)*p < 0x20)
			return NULL;
		if (*p == '"')
			break;
		out->esc = 1;
		if (p + 1 < e && p[1] == 'u') {
			/* Surrogates as cJSON wants them: a high one and
			 * then a low one, never a low one alone. */
			if ((u = f_hex4(p, e)) < 0 || (u >= 0xDC00 &&
			    u <= 0xDFFF))
				return NULL;
			p += 6;
			if (u >= 0xD800 && u <= 0xDBFF) {
				if ((lo = f_hex4(p, e)) < 0xDC00 ||
				    lo > 0xDFFF)
					return NULL;
				p += 6;
			}
			out->uesc = 1;
			continue;
		}
		if (p + 1 >= e || p[1] == '\0' ||
		    strchr("\"\\/bfnrt", p[1]) == NULL)
			return NULL;
		p += 2;
	}
	out->s = st;
	out->n = (size_t)(p - st);
	return p + 1;
}

static const char *
f_number(const char *p, const char *e, long *v, int *plain)
{
	long		 x = 0;
	int		 digits = 0, neg = 0;

	*plain = 1;
	if (p < e && *p == '-') {
		neg = 1;
		p++;
	}
	if (p >= e || *p < '0' || *p > '9')
		return NULL;
	if (*p == '0')
		p++, digits = 1;
	else
		for (; p < e && *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 15)
				x = x * 10 + (*p - '0');
	if (digits > 15)
		*plain = 0;
	if (p < e && *p == '.') {
		*plain = 0;
		if (++p >= e || *p < '0' || *p > '9')
			return NULL;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		*plain = 0;
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || *p < '0' || *p > '9')
			return NULL;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	*v = neg ? -x : x;
	return p;
}

static const char *f_skip(const char *, const char *, int);

static const char *
f_lit(const char *p, const char *e, const char *lit)
{
	size_t	 n = strlen(lit);

	if ((size_t)(e - p) < n || memcmp(p, lit, n) != 0)
		return NULL;
	return p + n;
}

/* Skip one value, validating it. */
static const char *
f_skip(const char *p, const char *e, int depth)
{
	struct fstr	 k;
	long		 v;
	int		 plain;

	if (p >= e || depth > FAST_DEPTH)
		return NULL;
	switch (*p) {
	case '"':
		return f_string(p, e, &k);
	case '{':
		p = f_ws(p + 1, e);
		if (p < e && *p == '}')
			return p + 1;
		for (;;) {
			if ((p = f_string(p, e, &k)) == NULL)
				return NULL;
			p = f_ws(p, e);
			if (p >= e || *p != ':')
				return NULL;
			if ((p = f_skip(f_ws(p + 1, e), e, depth + 1)) == NULL)
				return NULL;
			p = f_ws(p, e);
			if (p < e && *p == '}')
				return p + 1;
			if (p >= e || *p != ',')
				return NULL;
			p = f_ws(p + 1, e);
		}
	case '[':
		p = f_ws(p + 1, e);
		if (p < e && *p == ']')
			return p + 1;
		for (;;) {
			if ((p = f_skip(p, e, depth + 1)) == NULL)
				return NULL;
			p = f_ws(p, e);
			if (p < e && *p == ']')
				return p + 1;
			if (p >= e || *p != ',')
				return NULL;
			p = f_ws(p + 1, e);
		}
	case 't':
		return f_lit(p, e, "true");
	case 'f':
		return f_lit(p, e, "false");
	case 'n':
		return f_lit(p, e, "null");
	default:
		return f_number(p, e, &v, &plain);
	}
}

/*
 * Walk an object at p, calling fn for each member (key, value start);
 * fn returns the value's end, or NULL to decline.  Returns the object's
 * end, or NULL.
 */
typedef const char *(*f_member_fn)(const struct fstr *, const char *,
    const char *, int, void *);

static const char *
f_object(const char *p, const char *e, int depth, f_member_fn fn, void *arg)
{
	struct fstr	 k;

	if (p >= e || *p != '{' || depth > FAST_DEPTH)
		return NULL;
	p = f_ws(p + 1, e);
	if (p < e && *p == '}')
		return p + 1;
	for (;;) {
		if ((p = f_string(p, e, &k)) == NULL || k.esc)
			return NULL;
		p = f_ws(p, e);
		if (p >= e || *p != ':')
			return NULL;
		if ((p = fn(&k, f_ws(p + 1, e), e, depth + 1, arg)) == NULL)
			return NULL;
		p = f_ws(p, e);
		if (p < e && *p == '}')
			return p + 1;
		if (p >= e || *p != ',')
			return NULL;
		p = f_ws(p + 1, e);
	}
}

/*
 * Which of names key is: its index, -1 for none, -2 when it matches one
 * only without regard to case (cJSON would take it: decline).
 */
static int
f_key(const struct fstr *k, const char *const *names)
{
	int	 i;

	for (i = 0; names[i] != NULL; i++) {
		if (strlen(names[i]) != k->n)
			continue;
		if (memcmp(names[i], k->s, k->n) == 0)
			return i;
		if (strncasecmp(names[i], k->s, k->n) == 0)
			return -2;
	}
	return -1;
}

/* A string value into *dst once (first member wins, as in cJSON); a
 * value of another type is skipped. */
static const char *
f_take_str(const char *p, const char *e, int depth, struct fstr *dst,
    int *seen)
{
	struct fstr	 v;
	const char	*q;

	if (*seen)
		return f_skip(p, e, depth);
	*seen = 1;
	if (p < e && *p == '"') {
		/* \u escapes are left to cJSON's decoder. */
		if ((q = f_string(p, e, &v)) == NULL || v.uesc)
			return NULL;
		*dst = v;
		return q;
	}
	dst->s = NULL;
	return f_skip(p, e, depth);
}

static const char *
f_delta(const struct fstr *k, const char *p, const char *e, int depth,
    void *arg)
{
	static const char *const names[] = { "content", "reasoning_content",
	    "reasoning", "tool_calls", NULL };
	struct fchunk	*c = arg;

	switch (f_key(k, names)) {
	case 3:
		/* Only whether it is a non-empty array: the calls
		 * themselves are skipped (validated), never decoded. */
		if (!c->has_tools) {
			c->has_tools = 1;
			if (p < e && *p == '[' && f_ws(p + 1, e) < e &&
			    *f_ws(p + 1, e) != ']')
				c->tools = 1;
		}
		return f_skip(p, e, depth);
	case 0:
		return f_take_str(p, e, depth, &c->content, &c->has_content);
	case 1:
		return f_take_str(p, e, depth, &c->reasoning_content,
		    &c->has_rc);
	case 2:
		return f_take_str(p, e, depth, &c->reasoning,
		    &c->has_reasoning);
	case -2:
		return NULL;
	default:
		return f_skip(p, e, depth);
	}
}

struct fchoice {
	struct fchunk	*c;
	int		 chat;
	int		 seen_delta;
};

static const char *
f_choice(const struct fstr *k, const char *p, const char *e, int depth,
    void *arg)
{
	static const char *const names[] = { "finish_reason", "delta", "text",
	    NULL };
	struct fchoice	*fc = arg;

	switch (f_key(k, names)) {
	case 0:
		return f_take_str(p, e, depth, &fc->c->finish,
		    &fc->c->has_finish);
	case 1:
		if (!fc->chat || fc->seen_delta || p >= e || *p != '{') {
			fc->seen_delta = 1;
			return f_skip(p, e, depth);
		}
		fc->seen_delta = 1;
		return f_object(p, e, depth, f_delta, fc->c);
	case 2:
		if (fc->chat)
			return f_skip(p, e, depth);
		return f_take_str(p, e, depth, &fc->c->text, &fc->c->has_text);
	case -2:
		return NULL;
	default:
		return f_skip(p, e, depth);
	}
}

struct fusage {
	struct fchunk	*c;
	int		 seen[5];
};

static const char *
f_usage_num(const char *p, const char *e, int depth, struct fchunk *c,
    int i, int *seen)
{
	long	 v;
	int	 plain;

	if (*seen)
		return f_skip(p, e, depth);
	*seen = 1;
	if (p < e && (*p == '-' || (*p >= '0' && *p <= '9'))) {
		if ((p = f_number(p, e, &v, &plain)) == NULL || !plain)
			return NULL;
		c->usage[i] = v;
		c->has_usage[i] = 1;
		return p;
	}
	return f_skip(p, e, depth);
}

static const char *
f_details(const struct fstr *k, const char *p, const char *e, int depth,
    void *arg)
{
	static const char *const names[] = { "cached_tokens", NULL };
	struct fusage	*fu = arg;

	switch (f_key(k, names)) {
	case 0:
		return f_usage_num(p, e, depth, fu->c, 3, &fu->seen[4]);
	case -2:
		return NULL;
	default:
		return f_skip(p, e, depth);
	}
}

static const char *
f_usage(const struct fstr *k, const char *p, const char *e, int depth,
    void *arg)
{
	static const char *const names[] = { "prompt_tokens",
	    "completion_tokens", "total_tokens", "prompt_tokens_details",
	    NULL };
	struct fusage	*fu = arg;
	int		 i = f_key(k, names);

	if (i == -2)
		return NULL;
	if (i >= 0 && i < 3)
		return f_usage_num(p, e, depth, fu->c, i, &fu->seen[i]);
	if (i == 3) {
		if (fu->seen[3] || p >= e || *p != '{') {
			fu->seen[3] = 1;
			return f_skip(p, e, depth);
		}
		fu->seen[3] = 1;
		return f_object(p, e, depth, f_details, fu);
	}
	return f_skip(p, e, depth);
}

struct ftop {
	struct fchunk	*c;
	int		 chat;
	int		 seen_choices, seen_usage;
};

static const char *
f_top(const struct fstr *k, const char *p, const char *e, int depth,
    void *arg)
{
	static const char *const names[] = { "choices", "usage", "error",
	    NULL };
	struct ftop	*t = arg;
	struct fchoice	 fc;
	struct fusage	 fu;

	switch (f_key(k, names)) {
	case 0:
		if (t->seen_choices)
			return f_skip(p, e, depth);
		t->seen_choices = 1;
		if (p < e && *p == 'n')
			return f_lit(p, e, "null");
		if (p >= e || *p != '[')
			return NULL;
		p = f_ws(p + 1, e);
		if (p < e && *p == ']')
			return p + 1;
		/* The first choice; the rest skipped. */
		if (p < e && *p == '{') {
			memset(&fc, 0, sizeof fc);
			fc.c = t->c;
			fc.chat = t->chat;
			p = f_object(p, e, depth + 1, f_choice, &fc);
		} else
			p = f_skip(p, e, depth + 1);
		for (;;) {
			if (p == NULL)
				return NULL;
			p = f_ws(p, e);
			if (p < e && *p == ']')
				return p + 1;
			if (p >= e || *p != ',')
				return NULL;
			p = f_skip(f_ws(p + 1, e), e, depth + 1);
		}
	case 1:
		if (t->seen_usage || p >= e || *p != '{') {
			t->seen_usage = 1;
			return f_skip(p, e, depth);
		}
		t->seen_usage = 1;
		memset(&fu, 0, sizeof fu);
		fu.c = t->c;
		return f_object(p, e, depth, f_usage, &fu);
	case 2:
		/* null is no error; anything else takes the cJSON path. */
		return f_lit(p, e, "null");
	case -2:
		return NULL;
	default:
		return f_skip(p, e, depth);
	}
}

/* Copy a scanned string, decoding its simple escapes. */
static void
f_copy(struct strbuf *sb, const struct fstr *v)
{
	size_t	 i;
	char	 ch;

	if (!v->esc) {
		sb_add(sb, v->s, v->n);
		return;
	}
	for (i = 0; i < v->n; i++) {
		ch = v->s[i];
		if (ch == '\\') {
			switch (v->s[++i]) {
			case 'b': ch = '\b'; break;
			case 'f': ch = '\f'; break;
			case 'n': ch = '\n'; break;
			case 'r': ch = '\r'; break;
			case 't': ch = '\t'; break;
			default: ch = v->s[i]; break;
			}
		}
		sb_addc(sb, ch);
	}
}

static const char *
f_delta_set(struct strbuf *sb, const struct fstr *v)
{
	sb_reset(sb);
	f_copy(sb, v);
	if (sb->buf == NULL)
		sb_adds(sb, "");
	return sb->buf;
}

static int
fast_chunk(struct oai_acc *a, const char *data, size_t len)
{
	struct fchunk	 c;
	struct ftop	 t;
	const char	*p, *e = data + len, *rs = NULL;
	const struct fstr *r = NULL;
	int		 i;

	memset(&c, 0, sizeof c);
	memset(&t, 0, sizeof t);
	t.c = &c;
	t.chat = a->chat;
	p = f_ws(data, e);
	if ((p = f_object(p, e, 0, f_top, &t)) == NULL)
		return 0;
	if (f_ws(p, e) != e)
		return 0;
	/* Taken: apply it as oai_acc_chunk's tree walk would. */
	a->chunks++;
	a->fast_chunks++;
	for (i = 0; i < 4; i++) {
		if (!c.has_usage[i])
			continue;
		if (i == 0)
			a->prompt_tokens = c.usage[i];
		else if (i == 1)
			a->completion_tokens = c.usage[i];
		else if (i == 2)
			a->total_tokens = c.usage[i];
		else
			a->cached_tokens = c.usage[i];
	}
	if (c.has_finish && c.finish.s != NULL) {
		free(a->finish_reason);
		a->finish_reason = xstrndup(c.finish.s, c.finish.n);
		if (c.finish.esc) {
			struct strbuf	 sb = STRBUF_INIT;

			f_copy(&sb, &c.finish);
			free(a->finish_reason);
			a->finish_reason = sb.buf ? sb_detach(&sb) :
			    xstrdup("");
		}
	}
	if (a->chat) {
		if (c.has_rc && c.reasoning_content.s != NULL)
			r = &c.reasoning_content;
		else if (c.has_reasoning && c.reasoning.s != NULL)
			r = &c.reasoning;
		if (r != NULL && r->n > 0) {
			rs = f_delta_set(&a->reasoning, r);
			if (rs[0] != '\0') {
				a->delta_reasoning = rs;
				a->reasoning_chunks++;
			}
		}
		if (c.has_content && c.content.s != NULL && c.content.n > 0) {
			f_delta_set(&a->content, &c.content);
			a->delta_content = a->content.buf;
			a->content_chunks++;
		}
		if (c.tools) {
			a->delta_tool = 1;
			a->tool_chunks++;
		}
	} else if (c.has_text && c.text.s != NULL && c.text.n > 0) {
		f_delta_set(&a->content, &c.text);
		a->delta_content = a->content.buf;
		a->content_chunks++;
	}
	return 1;
}

int
oai_acc_chunk(struct oai_acc *a, const char *data, size_t len, struct err *e)
{
	const cJSON	*choices, *ch, *d, *v;
	cJSON		*o;
	int		 rc = 0;

	a->delta_content = a->delta_reasoning = NULL;
	a->delta_tool = 0;
	if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
		a->done = 1;
		return 1;
	}
	if (a->lean && !a->tree_only && fast_chunk(a, data, len))
		return 0;
	if ((o = acc_parse(a, data, len, e)) == NULL) {
		err_wrap(e, "malformed stream chunk");
		return -1;
	}
	a->chunks++;
	if ((rc = take_error(a, o)) != 0)
		goto out;
	take_header(a, o);
	choices = cJSON_GetObjectItem(o, "choices");
	ch = cJSON_GetArrayItem(choices, 0);
	if (ch == NULL)
		goto out;
	if (cJSON_IsString(v = cJSON_GetObjectItem(ch, "finish_reason"))) {
		free(a->finish_reason);
		a->finish_reason = xstrdup(v->valuestring);
	}
	if (a->chat) {
		d = cJSON_GetObjectItem(ch, "delta");
		if (!a->lean)
			set_once(&a->role, cJSON_GetObjectItem(d, "role"));
		v = cJSON_GetObjectItem(d, "reasoning_content");
		if (!cJSON_IsString(v))
			v = cJSON_GetObjectItem(d, "reasoning");
		if (cJSON_IsString(v) && v->valuestring[0] != '\0') {
			a->delta_reasoning = acc_delta(a, &a->reasoning,
			    v->valuestring);
			a->reasoning_chunks++;
		}
		v = cJSON_GetObjectItem(d, "tool_calls");
		if (cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0) {
			a->delta_tool = 1;
			a->tool_chunks++;
		}
		v = cJSON_GetObjectItem(d, "content");
	} else
		v = cJSON_GetObjectItem(ch, "text");
	if (cJSON_IsString(v) && v->valuestring[0] != '\0') {
		a->delta_content = acc_delta(a, &a->content, v->valuestring);
		a->content_chunks++;
	}
out:
	cJSON_Delete(o);
	return rc;
}

int
oai_acc_response(struct oai_acc *a, const char *body, size_t len,
    struct err *e)
{
	const cJSON	*ch, *m, *v;
	cJSON		*o;
	int		 rc = 0;

	if ((o = acc_parse(a, body, len, e)) == NULL) {
		err_wrap(e, "malformed response");
		return -1;
	}
	if (take_error(a, o) != 0) {
		rc = err_set(e, EXIT_ERR, "the server answered with an "
		    "error: %s", a->error);
		goto out;
	}
	take_header(a, o);
	ch = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "choices"), 0);
	if (ch == NULL) {
		rc = err_set(e, EXIT_ERR, "the response has no choices");
		goto out;
	}
	if (cJSON_IsString(v = cJSON_GetObjectItem(ch, "finish_reason")))
		a->finish_reason = xstrdup(v->valuestring);
	if (a->chat) {
		m = cJSON_GetObjectItem(ch, "message");
		if (!a->lean)
			set_once(&a->role, cJSON_GetObjectItem(m, "role"));
		v = cJSON_GetObjectItem(m, "reasoning_content");
		if (!cJSON_IsString(v))
			v = cJSON_GetObjectItem(m, "reasoning");
		if (cJSON_IsString(v))
			sb_adds(&a->reasoning, v->valuestring);
		v = cJSON_GetObjectItem(m, "tool_calls");
		if (cJSON_IsArray(v))
			a->tool_calls = (size_t)cJSON_GetArraySize(v);
		v = cJSON_GetObjectItem(m, "content");
	} else
		v = cJSON_GetObjectItem(ch, "text");
	if (cJSON_IsString(v))
		sb_adds(&a->content, v->valuestring);
out:
	cJSON_Delete(o);
	return rc;
}

cJSON *
oai_acc_json(const struct oai_acc *a)
{
	cJSON	*o, *choices, *ch, *m, *u;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", a->id ? a->id : "");
	cJSON_AddStringToObject(o, "object", a->chat ? "chat.completion" :
	    "text_completion");
	cJSON_AddNumberToObject(o, "created", a->created);
	cJSON_AddStringToObject(o, "model", a->model ? a->model : "");
	choices = cJSON_AddArrayToObject(o, "choices");
	ch = cJSON_CreateObject();
	cJSON_AddNumberToObject(ch, "index", 0);
	if (a->chat) {
		m = cJSON_AddObjectToObject(ch, "message");
		cJSON_AddStringToObject(m, "role", a->role ? a->role :
		    "assistant");
		cJSON_AddStringToObject(m, "content", a->content.buf ?
		    a->content.buf : "");
		if (a->reasoning.len > 0)
			cJSON_AddStringToObject(m, "reasoning_content",
			    a->reasoning.buf);
	} else
		cJSON_AddStringToObject(ch, "text", a->content.buf ?
		    a->content.buf : "");
	if (a->finish_reason != NULL)
		cJSON_AddStringToObject(ch, "finish_reason", a->finish_reason);
	else
		cJSON_AddNullToObject(ch, "finish_reason");
	cJSON_AddItemToArray(choices, ch);
	if (a->total_tokens >= 0 || a->prompt_tokens >= 0) {
		u = cJSON_AddObjectToObject(o, "usage");
		cJSON_AddNumberToObject(u, "prompt_tokens",
		    (double)(a->prompt_tokens > 0 ? a->prompt_tokens : 0));
		cJSON_AddNumberToObject(u, "completion_tokens",
		    (double)(a->completion_tokens > 0 ?
		    a->completion_tokens : 0));
		cJSON_AddNumberToObject(u, "total_tokens",
		    (double)(a->total_tokens > 0 ? a->total_tokens : 0));
	}
	return o;
}

char *
oai_error_message(const char *body, size_t len)
{
	cJSON		*o;
	const cJSON	*er, *m;
	char		*msg = NULL;

	if (body == NULL || len == 0)
		return NULL;
	o = cJSON_ParseWithLength(body, len);
	if (o == NULL) {
		/* Not JSON: the first line of the text, trimmed. */
		size_t	 n = strcspn(body, "\r\n");

		if (n > len)
			n = len;
		while (n > 0 && (body[n - 1] == ' ' || body[n - 1] == '\t'))
			n--;
		return n ? xstrndup(body, n) : NULL;
	}
	er = cJSON_GetObjectItem(o, "error");
	if (cJSON_IsString(er))
		msg = xstrdup(er->valuestring);
	else if (cJSON_IsString(m = cJSON_GetObjectItem(er, "message")))
		msg = xstrdup(m->valuestring);
	else if (cJSON_IsString(m = cJSON_GetObjectItem(o, "message")))
		msg = xstrdup(m->valuestring);
	cJSON_Delete(o);
	return msg;
}
