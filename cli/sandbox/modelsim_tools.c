/*
 * modelsim_tools.c: tool calls of the model simulator (see
 * modelsim_tools.h), following llm-d-inference-sim: tool_choice "auto"
 * makes between 0 and len(tools) calls, "required" between 1 and
 * len(tools), a named function exactly one call of it; each call picks a
 * tool at random (the same one may come twice) and gets arguments built
 * from its parameters schema: required properties always, others with
 * probability 1/2; strings from a small word list, integers in [0, 100],
 * numbers in [0, 100), booleans, enum members, arrays of 1 to 5 items
 * (minItems/maxItems when given) and nested objects.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "xalloc.h"

#include "sandbox/modelsim_int.h"
#include "sandbox/modelsim_tools.h"

#define TOOLS_MAX_DEPTH	16
#define TOOLS_MAX_CALLS	64

/* One generated call. */
struct tcall {
	int		 tool;		/* index in the request's tools */
	char		*name;		/* function name */
	char		 id[32];	/* "chatcmpl-tool-<hex>" */
	char		*args;		/* arguments, JSON text */
	struct msim_piece *pieces;	/* their tokens */
	size_t		 nargs;		/* number of argument tokens */
	size_t		 first;		/* its first chunk index */
	size_t		 nchunks;	/* chunks it takes (>= 1) */
};

struct msim_tools {
	struct tcall	*calls;
	size_t		 n;
	size_t		 nchunks;
	size_t		 hidden;	/* tokens of a call max_tokens cut
					 * before its name: generated, never
					 * streamed (usage counts them) */
};

static const char *const words[] = {
	"testing", "hello", "Boston", "sunny", "temperature", "cloudy",
	"question", "Yorick", "silence", "lifetime"
};

static long
rnd_int(struct msim_rng *rng, long lo, long hi)
{
	if (hi <= lo)
		return lo;
	return lo + (long)(msim_rng_double(rng) * (double)(hi - lo + 1));
}

static int
set_err(char **msg, const char *fmt, const char *arg)
{
	*msg = xasprintf(fmt, arg);
	return -1;
}

/* An argument value for schema prop; NULL with *msg set when the schema
 * cannot be served. */
static cJSON *
make_arg(const cJSON *prop, struct msim_rng *rng, int depth, char **msg)
{
	const cJSON	*type, *en, *props, *p, *v;
	cJSON		*o, *x;
	const char	*t;
	long		 lo, hi, k, i;

	if (depth > TOOLS_MAX_DEPTH) {
		set_err(msg, "tool parameters nest deeper than %s levels",
		    "16");
		return NULL;
	}
	if (!cJSON_IsObject(prop)) {
		set_err(msg, "every tool parameter needs a schema %s",
		    "object");
		return NULL;
	}
	en = cJSON_GetObjectItemCaseSensitive(prop, "enum");
	if (cJSON_IsArray(en) && cJSON_GetArraySize(en) > 0)
		return cJSON_Duplicate(cJSON_GetArrayItem(en, (int)rnd_int(rng,
		    0, cJSON_GetArraySize(en) - 1)), 1);
	type = cJSON_GetObjectItemCaseSensitive(prop, "type");
	t = cJSON_IsString(type) ? type->valuestring : "";
	if (strcmp(t, "string") == 0)
		return cJSON_CreateString(words[rnd_int(rng, 0,
		    sizeof words / sizeof words[0] - 1)]);
	if (strcmp(t, "integer") == 0)
		return cJSON_CreateNumber((double)rnd_int(rng, 0, 100));
	if (strcmp(t, "number") == 0)
		return cJSON_CreateNumber(floor(msim_rng_double(rng) * 10000) /
		    100);
	if (strcmp(t, "boolean") == 0)
		return cJSON_CreateBool(msim_rng_double(rng) < 0.5);
	if (strcmp(t, "null") == 0)
		return cJSON_CreateNull();
	if (strcmp(t, "array") == 0) {
		lo = 1;
		hi = 5;
		if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(prop,
		    "minItems")))
			lo = (long)v->valuedouble;
		if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(prop,
		    "maxItems")))
			hi = (long)v->valuedouble;
		if (lo < 0 || hi > 1000 || lo > hi) {
			set_err(msg, "tool parameter array bounds are invalid "
			    "(minItems > maxItems, or out of %s)", "0..1000");
			return NULL;
		}
		o = cJSON_CreateArray();
		k = rnd_int(rng, lo, hi);
		for (i = 0; i < k; i++) {
			if ((x = make_arg(cJSON_GetObjectItemCaseSensitive(prop,
			    "items"), rng, depth + 1, msg)) == NULL) {
				cJSON_Delete(o);
				return NULL;
			}
			cJSON_AddItemToArray(o, x);
		}
		return o;
	}
	if (strcmp(t, "object") == 0) {
		const cJSON *req = cJSON_GetObjectItemCaseSensitive(prop,
		    "required");

		o = cJSON_CreateObject();
		props = cJSON_GetObjectItemCaseSensitive(prop, "properties");
		cJSON_ArrayForEach(p, props) {
			int required = 0;

			cJSON_ArrayForEach(v, req)
				if (cJSON_IsString(v) &&
				    strcmp(v->valuestring, p->string) == 0)
					required = 1;
			if (!required && msim_rng_double(rng) >= 0.5)
				continue;
			if ((x = make_arg(p, rng, depth + 1, msg)) == NULL) {
				cJSON_Delete(o);
				return NULL;
			}
			cJSON_AddItemToObject(o, p->string, x);
		}
		return o;
	}
	set_err(msg, "tool parameters of type \"%s\" are not supported", t);
	return NULL;
}

void
msim_tools_free(struct msim_tools *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->calls[i].name);
		free(t->calls[i].args);
		free(t->calls[i].pieces);
	}
	free(t->calls);
	free(t);
}

/* The function name of tool object t, or NULL. */
static const char *
tool_name(const cJSON *t)
{
	const cJSON	*f = cJSON_GetObjectItemCaseSensitive(t, "function");

	return json_str(f, "name");
}

int
msim_tools_make(const cJSON *body, struct msim_rng *rng,
    struct msim_tools **out, char **msg, const char **param)
{
	const cJSON	*tools, *choice, *t, *params;
	struct msim_tools *mt = NULL;
	struct tcall	*c;
	const char	*forced = NULL, *mode = "auto";
	cJSON		*args;
	long		 ntools, ncalls, i, k = 0;

	*out = NULL;
	*msg = NULL;
	*param = "tools";
	tools = cJSON_GetObjectItemCaseSensitive(body, "tools");
	if (tools == NULL || cJSON_IsNull(tools))
		return 0;
	if (!cJSON_IsArray(tools))
		return set_err(msg, "\"tools\" must be an array of %s",
		    "function tools");
	ntools = cJSON_GetArraySize(tools);
	cJSON_ArrayForEach(t, tools) {
		if (!cJSON_IsObject(t) || json_str(t, "type") == NULL ||
		    strcmp(json_str(t, "type"), "function") != 0)
			return set_err(msg, "every tool needs \"type\": %s",
			    "\"function\"");
		if (tool_name(t) == NULL || tool_name(t)[0] == '\0')
			return set_err(msg, "every tool needs a %s",
			    "function.name");
		params = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(t, "function"),
		    "parameters");
		if (params != NULL && !cJSON_IsNull(params) &&
		    !cJSON_IsObject(params))
			return set_err(msg, "function.parameters of tool "
			    "\"%s\" must be a JSON schema object",
			    tool_name(t));
	}
	*param = "tool_choice";
	choice = cJSON_GetObjectItemCaseSensitive(body, "tool_choice");
	if (cJSON_IsString(choice)) {
		mode = choice->valuestring;
		if (strcmp(mode, "none") != 0 && strcmp(mode, "auto") != 0 &&
		    strcmp(mode, "required") != 0)
			return set_err(msg, "\"tool_choice\" must be none, "
			    "auto, required or a function, not \"%s\"", mode);
	} else if (cJSON_IsObject(choice)) {
		forced = tool_name(choice);
		if (forced == NULL)
			return set_err(msg, "\"tool_choice\" names no %s",
			    "function.name");
		mode = "function";
	} else if (choice != NULL && !cJSON_IsNull(choice))
		return set_err(msg, "\"tool_choice\" must be a string or an "
		    "%s", "object");
	if (strcmp(mode, "none") == 0 || ntools == 0) {
		if (strcmp(mode, "required") == 0 || forced != NULL)
			return set_err(msg, "\"tool_choice\" asks for a tool "
			    "call but \"tools\" is %s", "empty");
		return 0;
	}
	if (forced != NULL) {
		for (k = 0; k < ntools; k++)
			if (strcmp(tool_name(cJSON_GetArrayItem(tools,
			    (int)k)), forced) == 0)
				break;
		if (k == ntools)
			return set_err(msg, "tool with name '%s' requested in "
			    "tool_choice but not found in the tools list",
			    forced);
		ncalls = 1;
	} else
		ncalls = rnd_int(rng, strcmp(mode, "required") == 0 ? 1 : 0,
		    ntools);
	if (ncalls > TOOLS_MAX_CALLS)
		ncalls = TOOLS_MAX_CALLS;
	if (ncalls == 0)
		return 0;
	*param = "tools";
	mt = xcalloc(1, sizeof *mt);
	mt->calls = xcalloc((size_t)ncalls, sizeof *mt->calls);
	for (i = 0; i < ncalls; i++) {
		c = &mt->calls[mt->n];
		c->tool = forced != NULL ? (int)k : (int)rnd_int(rng, 0,
		    ntools - 1);
		t = cJSON_GetArrayItem(tools, c->tool);
		params = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(t, "function"),
		    "parameters");
		if (params == NULL || cJSON_IsNull(params))
			args = cJSON_CreateObject();
		else {
			cJSON	*obj = cJSON_Duplicate(params, 1);

			/* The top level is an object whatever it says. */
			cJSON_ReplaceItemInObject(obj, "type",
			    cJSON_CreateString("object"));
			if (cJSON_GetObjectItemCaseSensitive(obj, "type") ==
			    NULL)
				cJSON_AddStringToObject(obj, "type", "object");
			args = make_arg(obj, rng, 0, msg);
			cJSON_Delete(obj);
			if (args == NULL) {
				msim_tools_free(mt);
				return -1;
			}
		}
		c->name = xstrdup(tool_name(t));
		c->args = cJSON_PrintUnformatted(args);
		cJSON_Delete(args);
		snprintf(c->id, sizeof c->id, "chatcmpl-tool-%016llx",
		    (unsigned long long)msim_rng_next(rng));
		c->nargs = msim_tokenize(c->args, strlen(c->args),
		    &c->pieces);
		c->first = mt->nchunks;
		c->nchunks = c->nargs > 0 ? c->nargs : 1;
		mt->nchunks += c->nchunks;
		mt->n++;
	}
	*out = mt;
	return 1;
}

/* Tokens a whole call costs: id, type and name, then its arguments. */
#define CALL_HEAD	3

int
msim_tools_limit(struct msim_tools *t, size_t budget)
{
	struct tcall	*c;
	size_t		 k, i, m;

	for (k = 0; k < t->n; k++) {
		c = &t->calls[k];
		if (budget >= CALL_HEAD + c->nargs) {
			budget -= CALL_HEAD + c->nargs;
			continue;
		}
		/* Cut in this call: its head when it fits, as many argument
		 * tokens as are left; the calls after it are never made. */
		if (budget < CALL_HEAD) {
			t->hidden = budget;
			i = k;
		} else {
			m = budget - CALL_HEAD;
			c->args[m > 0 ? c->pieces[m - 1].off +
			    c->pieces[m - 1].len : 0] = '\0';
			c->nargs = m;
			c->nchunks = m > 0 ? m : 1;
			i = k + 1;
		}
		for (k = i; k < t->n; k++) {
			free(t->calls[k].name);
			free(t->calls[k].args);
			free(t->calls[k].pieces);
		}
		t->n = i;
		t->nchunks = 0;
		for (k = 0; k < t->n; k++)
			t->nchunks += t->calls[k].nchunks;
		return 1;
	}
	return 0;
}

size_t
msim_tools_chunks(const struct msim_tools *t)
{
	return t != NULL ? t->nchunks : 0;
}

/* The call chunk i belongs to. */
static const struct tcall *
call_of(const struct msim_tools *t, size_t i)
{
	size_t	 k;

	for (k = 0; k + 1 < t->n; k++)
		if (i < t->calls[k + 1].first)
			break;
	return &t->calls[k];
}

size_t
msim_tools_tokens(const struct msim_tools *t, size_t n)
{
	size_t	 k, tok = 0, m;

	if (t == NULL)
		return 0;
	for (k = 0; k < t->n && t->calls[k].first < n; k++) {
		m = n - t->calls[k].first;
		if (m > t->calls[k].nchunks)
			m = t->calls[k].nchunks;
		/* id, type and name, then one argument token a chunk. */
		tok += CALL_HEAD + (m < t->calls[k].nargs ? m :
		    t->calls[k].nargs);
	}
	return n >= t->nchunks ? tok + t->hidden : tok;
}

static void
esc(struct strbuf *sb, const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\') {
			sb_addc(sb, '\\');
			sb_addc(sb, (char)ch);
		} else if (ch < 0x20)
			sb_addf(sb, "\\u%04x", ch);
		else
			sb_addc(sb, (char)ch);
	}
}

void
msim_tools_delta(const struct msim_tools *t, size_t i, struct strbuf *sb)
{
	const struct tcall	*c = call_of(t, i);
	size_t			 j = i - c->first;

	sb_addf(sb, "\"tool_calls\":[{\"index\":%zu,", (size_t)(c - t->calls));
	if (j == 0) {
		sb_addf(sb, "\"id\":\"%s\",\"type\":\"function\","
		    "\"function\":{\"name\":\"", c->id);
		esc(sb, c->name, strlen(c->name));
		sb_adds(sb, "\",\"arguments\":\"");
	} else
		sb_adds(sb, "\"function\":{\"arguments\":\"");
	if (j < c->nargs)
		esc(sb, c->args + c->pieces[j].off, c->pieces[j].len);
	sb_adds(sb, "\"}}]");
}

cJSON *
msim_tools_json(const struct msim_tools *t)
{
	cJSON	*a = cJSON_CreateArray(), *o, *f;
	size_t	 k;

	for (k = 0; t != NULL && k < t->n; k++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", t->calls[k].id);
		cJSON_AddStringToObject(o, "type", "function");
		f = cJSON_AddObjectToObject(o, "function");
		cJSON_AddStringToObject(f, "name", t->calls[k].name);
		cJSON_AddStringToObject(f, "arguments", t->calls[k].args);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}
