/*
 * modelsim_tokenize.c: POST /tokenize of the model simulator, as vLLM
 * serves it ({model, prompt} or {model, messages} -> {count,
 * max_model_len, tokens, token_strs}) and llm-d-inference-sim emulates
 * it: the simulator's own tokenizer (modelsim_text.c), each token's id the
 * FNV-1a 32-bit hash of its bytes (llm-d-inference-sim's dummy
 * tokenizer hashes the same way).  Chat messages get the template the
 * simulator charges in usage.prompt_tokens: 4 tokens around each message
 * (start, role, separator, end) and 2 for the assistant's turn, so that
 * count equals the prompt_tokens of the same messages sent to
 * /v1/chat/completions.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "xalloc.h"

#include "sandbox/modelsim_int.h"
#include "sandbox/modelsim_tokenize.h"

#define TOK_START	1	/* template token ids (below every hash) */
#define TOK_SEP		2
#define TOK_END		3

static uint32_t
fnv1a(const char *s, size_t n)
{
	uint32_t	 h = 2166136261u;
	size_t		 i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	/* Clear of the template ids. */
	return h < 16 ? h + 16 : h;
}

static void
add_id(cJSON *a, uint32_t id)
{
	cJSON_AddItemToArray(a, cJSON_CreateNumber((double)id));
}

static void
add_text(cJSON *a, const char *text)
{
	struct msim_piece	*p = NULL;
	size_t			 n, i;

	n = msim_tokenize(text, strlen(text), &p);
	for (i = 0; i < n; i++)
		add_id(a, fnv1a(text + p[i].off, p[i].len));
	free(p);
}

/* A message's content as the simulator reads it: a string, or the text
 * parts of an array joined by newlines. */
static char *
content_of(const cJSON *c)
{
	struct strbuf	 sb = STRBUF_INIT;
	const cJSON	*part;
	const char	*t;

	if (cJSON_IsString(c))
		return xstrdup(c->valuestring);
	if (!cJSON_IsArray(c))
		return xstrdup("");
	cJSON_ArrayForEach(part, c) {
		if ((t = json_str(part, "text")) == NULL)
			continue;
		if (sb.len > 0)
			sb_addc(&sb, '\n');
		sb_adds(&sb, t);
	}
	return sb.buf != NULL ? sb_detach(&sb) : xstrdup("");
}

cJSON *
msim_tokenize_answer(const cJSON *body, int max_model_len, char **msg,
    const char **param)
{
	const cJSON	*prompt, *msgs, *m;
	cJSON		*o, *toks;
	const char	*role;
	char		*t;

	*msg = NULL;
	prompt = cJSON_GetObjectItemCaseSensitive(body, "prompt");
	msgs = cJSON_GetObjectItemCaseSensitive(body, "messages");
	if ((prompt == NULL) == (msgs == NULL)) {
		*param = prompt != NULL ? "messages" : "prompt";
		*msg = xstrdup("give either \"prompt\" or \"messages\"");
		return NULL;
	}
	toks = cJSON_CreateArray();
	if (prompt != NULL) {
		if (!cJSON_IsString(prompt)) {
			cJSON_Delete(toks);
			*param = "prompt";
			*msg = xstrdup("\"prompt\" must be a string");
			return NULL;
		}
		add_text(toks, prompt->valuestring);
	} else {
		if (!cJSON_IsArray(msgs) || cJSON_GetArraySize(msgs) == 0) {
			cJSON_Delete(toks);
			*param = "messages";
			*msg = xstrdup("\"messages\" must be a non-empty array");
			return NULL;
		}
		cJSON_ArrayForEach(m, msgs) {
			if ((role = json_str(m, "role")) == NULL) {
				cJSON_Delete(toks);
				*param = "messages";
				*msg = xstrdup("every message needs a \"role\"");
				return NULL;
			}
			add_id(toks, TOK_START);
			add_id(toks, fnv1a(role, strlen(role)));
			add_id(toks, TOK_SEP);
			t = content_of(cJSON_GetObjectItemCaseSensitive(m,
			    "content"));
			add_text(toks, t);
			free(t);
			add_id(toks, TOK_END);
		}
		/* The assistant's turn, as add_generation_prompt does. */
		add_id(toks, TOK_START);
		add_id(toks, fnv1a("assistant", 9));
	}
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "count", cJSON_GetArraySize(toks));
	if (max_model_len > 0)
		cJSON_AddNumberToObject(o, "max_model_len", max_model_len);
	else
		cJSON_AddNullToObject(o, "max_model_len");
	cJSON_AddItemToObject(o, "tokens", toks);
	cJSON_AddNullToObject(o, "token_strs");
	return o;
}
