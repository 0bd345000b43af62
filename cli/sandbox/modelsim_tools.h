/*
 * modelsim_tools.h: the model simulator's tool calls (modelsim_tools.c).
 *
 * A chat request that carries `tools` (and a tool_choice other than
 * "none") is answered with tool calls instead of text, as vLLM and
 * llm-d-inference-sim do: how many calls and which tools are drawn from
 * the request's seed, each call's arguments are generated from its
 * function's JSON-schema parameters, and a stream carries them as
 * `delta.tool_calls` chunks, one argument token per chunk (the first
 * chunk of a call with its id, type and name), finish_reason
 * "tool_calls".  Usage counts 3 tokens per call (id, type, name) plus
 * its argument tokens.  max_tokens cuts the calls where the budget ends
 * (msim_tools_limit), finish_reason "length" as in vLLM.
 */
#ifndef MAAS_MODELSIM_TOOLS_H
#define MAAS_MODELSIM_TOOLS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "xalloc.h"

struct msim_rng;
struct msim_tools;

/*
 * The tool calls that answer body (a chat request): 1 with *out set, 0
 * when the answer is text (no tools, tool_choice "none", or "auto" drew
 * no call), -1 when tools or tool_choice are malformed (*msg: why,
 * caller frees; *param: the member at fault).
 */
int	 msim_tools_make(const cJSON *body, struct msim_rng *,
	    struct msim_tools **out, char **msg, const char **param);
void	 msim_tools_free(struct msim_tools *);
/* Keep the calls within budget completion tokens: a call cut in its
 * arguments keeps the argument tokens that fit (its arguments then are
 * not whole JSON), one cut before its name and any later call are
 * dropped (usage still counts every token of the budget); 1 when cut. */
int	 msim_tools_limit(struct msim_tools *, size_t budget);
/* How many stream chunks the calls take. */
size_t	 msim_tools_chunks(const struct msim_tools *);
/* Completion tokens carried by the first n of those chunks. */
size_t	 msim_tools_tokens(const struct msim_tools *, size_t n);
/* Append chunk i's delta member: "tool_calls":[{...}]. */
void	 msim_tools_delta(const struct msim_tools *, size_t i,
	    struct strbuf *);
/* The calls as a whole answer's message.tool_calls array. */
cJSON	*msim_tools_json(const struct msim_tools *);

#endif
