/*
 * openai.h: OpenAI-compatible chat/completions requests and responses.
 *
 * Builds request bodies for /v1/chat/completions and /v1/completions and
 * assembles a response, streamed (SSE data payloads fed one by one) or
 * not, into one accumulator, so a streamed answer can be printed as it
 * arrives and still be reported exactly like a non-streamed one.  Usage
 * is taken from the server's `usage` and counted from content chunks too,
 * so callers can report discrepancies.  No I/O here.
 */
#ifndef MAAS_OPENAI_H
#define MAAS_OPENAI_H

#include <cjson/cJSON.h>

#include "err.h"
#include "xalloc.h"

/* Sampling and request parameters; unset fields are left out. */
struct oai_params {
	const char	*model;		/* required */
	double		 temperature;	/* < 0: unset */
	double		 top_p;		/* < 0: unset */
	long		 max_tokens;	/* < 0: unset */
	long		 seed;		/* used when has_seed */
	int		 has_seed;
	struct strlist	 stop;		/* stop sequences */
	const cJSON	*extra;		/* further fields (object), or NULL */
	int		 stream;	/* ask for SSE */
	int		 include_usage;	/* stream_options.include_usage */
};

/* Initialise params with everything unset. */
void	 oai_params_init(struct oai_params *);
/* Parse "key=value" into params->extra-style JSON: numbers, true/false,
 * null and JSON values typed, anything else a string; adds to *obj. */
int	 oai_param_kv(cJSON **obj, const char *kv, struct err *);

/* A chat request body for the messages array (borrowed, copied in). */
cJSON	*oai_chat_request(const struct oai_params *, const cJSON *messages);
/* A legacy completions request body. */
cJSON	*oai_completion_request(const struct oai_params *, const char *prompt);
/* Append {"role":role,"content":content} to a messages array. */
void	 oai_messages_add(cJSON *messages, const char *role,
	    const char *content);

/* An answer being assembled. */
struct oai_acc {
	int		 chat;		 /* chat (message/delta) or completions */
	char		*id;		 /* response id */
	char		*model;		 /* model that answered */
	char		*role;		 /* role of the message ("assistant") */
	char		*finish_reason;	 /* stop, length, ... or NULL */
	double		 created;	 /* unix seconds */
	struct strbuf	 content;	 /* the answer text */
	struct strbuf	 reasoning;	 /* reasoning_content, if any */
	long		 prompt_tokens;	 /* from usage; -1 when none */
	long		 completion_tokens;
	long		 total_tokens;
	long		 cached_tokens;	 /* usage.prompt_tokens_details.
					  * cached_tokens; -1 when none */
	size_t		 content_chunks; /* stream chunks carrying content */
	size_t		 reasoning_chunks; /* chunks carrying reasoning */
	size_t		 tool_chunks;	 /* chunks carrying tool-call deltas
					  * (delta.tool_calls non-empty) */
	size_t		 tool_calls;	 /* a whole answer's message.tool_calls
					  * (non-streamed) */
	size_t		 chunks;	 /* stream chunks seen */
	int		 done;		 /* [DONE] seen */
	char		*error;		 /* an error frame's message, or NULL */
	/* Pieces of the latest chunk, valid until the next feed. */
	const char	*delta_content;
	const char	*delta_reasoning;
	int		 delta_tool;	 /* it carried a tool-call delta */
	/* Lean (load generation): content and reasoning hold only the
	 * latest delta, id/model/created are not kept, and JSON is parsed
	 * as it is (no exact big integers, no duplicate-key pass). */
	int		 lean;
	/* A lean accumulator scans the common chunk shapes in place without
	 * cJSON; tree_only turns that off (tests compare the two). */
	int		 tree_only;
	size_t		 fast_chunks;	 /* chunks the scan took */
};

void	 oai_acc_init(struct oai_acc *, int chat);
void	 oai_acc_free(struct oai_acc *);
/* Empty it for the next answer, keeping chat, lean and the buffers. */
void	 oai_acc_reset(struct oai_acc *);
/* Feed one SSE data payload: 0 ok, 1 on [DONE], 2 on an error frame
 * (acc->error set), -1 on malformed JSON. */
int	 oai_acc_chunk(struct oai_acc *, const char *data, size_t len,
	    struct err *);
/* Take a whole non-streamed response body. */
int	 oai_acc_response(struct oai_acc *, const char *body, size_t len,
	    struct err *);
/* The assembled answer in the non-streamed response shape. */
cJSON	*oai_acc_json(const struct oai_acc *);
/* The message of an error body ({"error":{"message"}} , {"message"},
 * {"error":"..."}, or the raw text), or NULL; caller frees. */
char	*oai_error_message(const char *body, size_t len);

#endif
