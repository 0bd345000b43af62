/*
 * bench_tokenize.c: `maasctl bench --tokenize`: calibrate the synthetic
 * prompts' length against the server's own tokenizer.  A C client has no
 * Hugging Face tokenizer; vLLM (and llm-d-inference-sim, and the sandbox's
 * model simulator) serve POST /tokenize {model, prompt | messages} ->
 * {count, max_model_len, tokens}.  Two probes -- an empty prompt (the chat
 * template's own tokens) and one of many words -- give the server's
 * tokens per word and its overhead; the workload then sends as many words
 * as make the asked --input-tokens, and a third probe checks the result.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "http.h"
#include "json.h"
#include "target.h"
#include "workload.h"
#include "xalloc.h"

#define PROBE_WORDS	512

/* The /tokenize URL beside an OpenAI base URL (vLLM serves it at the
 * server's root, not under /v1). */
static char *
tokenize_url(const char *base)
{
	size_t	 n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	if (n >= 3 && strncmp(base + n - 3, "/v1", 3) == 0)
		n -= 3;
	return xasprintf("%.*s/tokenize", (int)n, base);
}

/* The server's token count of a prompt of `words` synthetic words: 0,
 * or -1 with e set. */
static int
probe(struct target *t, const char *url, const struct workload *w,
    long words, long *count, struct err *e)
{
	struct http_request	 opts;
	struct http_response	 res = HTTP_RESPONSE_INIT;
	struct strbuf		 text = STRBUF_INIT;
	cJSON			*body, *msgs, *m, *o = NULL;
	const cJSON		*c;
	char			*s;
	uint64_t		 rng = w->seed ^ 0x746f6b656e697a65ULL;
	int			 rc = -1;

	lg_rand(&rng);
	wl_words(&text, words, &rng);
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "model", w->model);
	if (w->chat) {
		msgs = cJSON_AddArrayToObject(body, "messages");
		m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "role", "user");
		cJSON_AddStringToObject(m, "content", text.buf ? text.buf : "");
		cJSON_AddItemToArray(msgs, m);
	} else
		cJSON_AddStringToObject(body, "prompt", text.buf ? text.buf :
		    "");
	s = cJSON_PrintUnformatted(body);
	memset(&opts, 0, sizeof opts);
	opts.retry_safe = 1;
	if (target_post_json(t, url, s, &opts, &res, e) != 0) {
		err_wrap(e, "bench: --tokenize: POST %s", url);
		goto out;
	}
	if (res.status == 404 || res.status == 405) {
		err_set(e, EXIT_NOTFOUND, "bench: --tokenize: POST %s answered "
		    "%d: this server has no /tokenize endpoint", url,
		    res.status);
		err_hint(e, "vLLM serves /tokenize but the MaaS gateway does not "
		    "route it: use --endpoint with the model server's own URL, "
		    "or drop --tokenize (--completions --token-ids gives exact "
		    "lengths without a tokenizer)");
		goto out;
	}
	if ((o = target_answer_json(t, "bench: --tokenize", url, &res,
	    e)) == NULL)
		goto out;
	c = cJSON_GetObjectItem(o, "count");
	if (!cJSON_IsNumber(c) || c->valuedouble < 0) {
		err_set(e, EXIT_UNREACHABLE, "bench: --tokenize: the answer "
		    "from %s has no \"count\"", url);
		goto out;
	}
	*count = (long)c->valuedouble;
	rc = 0;
out:
	cJSON_Delete(o);
	cJSON_Delete(body);
	http_response_free(&res);
	sb_free(&text);
	free(s);
	return rc;
}

/* Calibrate w against t's /tokenize for prompts of `target` tokens (the
 * mean asked); the calibration's facts for the report, or NULL with e
 * set. */
cJSON *
bench_tokenize_calibrate(struct target *t, struct workload *w, long target,
    struct err *e)
{
	cJSON	*o = NULL;
	char	*url = tokenize_url(t->base);
	long	 c0, c1, cv, words;
	double	 per_word;

	if (probe(t, url, w, 0, &c0, e) != 0 ||
	    probe(t, url, w, PROBE_WORDS, &c1, e) != 0)
		goto out;
	if (c1 <= c0) {
		err_set(e, EXIT_ERR, "bench: --tokenize: %s counts %ld tokens "
		    "for %d words and %ld for none: cannot calibrate", url, c1,
		    PROBE_WORDS, c0);
		goto out;
	}
	per_word = (double)(c1 - c0) / PROBE_WORDS;
	w->in_words_per_token = 1 / per_word;
	w->in_overhead = (double)c0;
	words = wl_words_for(w, target);
	if (probe(t, url, w, words, &cv, e) != 0)
		goto out;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "url", url);
	cJSON_AddNumberToObject(o, "overhead_tokens", (double)c0);
	cJSON_AddNumberToObject(o, "tokens_per_word",
	    round(per_word * 1e4) / 1e4);
	cJSON_AddNumberToObject(o, "requested_tokens", (double)target);
	cJSON_AddNumberToObject(o, "words", (double)words);
	cJSON_AddNumberToObject(o, "server_tokens", (double)cv);
	cJSON_AddStringToObject(o, "definition", "the server's /tokenize "
	    "counted overhead_tokens for an empty prompt (the chat template) "
	    "and tokens_per_word over a long synthetic one; prompts of T "
	    "tokens get round((T - overhead) / tokens_per_word) words; a "
	    "probe of `words` words counted server_tokens");
out:
	free(url);
	return o;
}
