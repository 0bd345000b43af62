/*
 * modelsim_tokenize.h: the model simulator's POST /tokenize
 * (modelsim_tokenize.c), in vLLM's request and response shape.
 */
#ifndef MAAS_MODELSIM_TOKENIZE_H
#define MAAS_MODELSIM_TOKENIZE_H

#include <cjson/cJSON.h>

/*
 * The answer to a /tokenize body {model, prompt | messages}: {count,
 * max_model_len, tokens, token_strs}, counted exactly as the simulator
 * counts a request's usage.prompt_tokens; NULL with *msg (caller frees)
 * and *param set when the body is malformed.  max_model_len 0: none.
 */
cJSON	*msim_tokenize_answer(const cJSON *body, int max_model_len,
	    char **msg, const char **param);

#endif
