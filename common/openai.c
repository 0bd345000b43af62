/*
 * openai.c: OpenAI-compatible request bodies and response assembly.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
	int		 chat = a->chat, lean = a->lean;

	free(a->id);
	free(a->model);
	free(a->role);
	free(a->finish_reason);
	free(a->error);
	sb_reset(&content);
	sb_reset(&reasoning);
	oai_acc_init(a, chat);
	a->lean = lean;
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

int
oai_acc_chunk(struct oai_acc *a, const char *data, size_t len, struct err *e)
{
	const cJSON	*choices, *ch, *d, *v;
	cJSON		*o;
	int		 rc = 0;

	a->delta_content = a->delta_reasoning = NULL;
	if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
		a->done = 1;
		return 1;
	}
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
