/* test_openai.c: request bodies, stream assembly, usage, errors. */
#include <stdlib.h>

#include "json.h"
#include "openai.h"
#include "tap.h"

TEST(chat_request)
{
	struct oai_params	 p;
	struct err		 e = ERR_INIT;
	cJSON			*msgs, *req, *extra = NULL;
	char			*s;

	oai_params_init(&p);
	p.model = "granite";
	p.temperature = 0;
	p.max_tokens = 16;
	p.has_seed = 1;
	p.seed = 42;
	sl_add(&p.stop, "\n\n");
	p.stream = p.include_usage = 1;
	ok(oai_param_kv(&extra, "top_k=5", &e) == 0, "kv number");
	ok(oai_param_kv(&extra, "logprobs=true", &e) == 0, "kv bool");
	ok(oai_param_kv(&extra, "user=alice", &e) == 0, "kv string");
	ok(oai_param_kv(&extra, "noequals", &e) == -1 && e.code == EXIT_USAGE,
	    "kv without = rejected");
	err_clear(&e);
	p.extra = extra;
	msgs = cJSON_CreateArray();
	oai_messages_add(msgs, "system", "be brief");
	oai_messages_add(msgs, "user", "hi");
	req = oai_chat_request(&p, msgs);
	s = cJSON_PrintUnformatted(req);
	is_str(s, "{\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
	    "{\"role\":\"user\",\"content\":\"hi\"}],\"model\":\"granite\","
	    "\"temperature\":0,\"max_tokens\":16,\"seed\":42,\"stop\":[\"\\n\\n\"],"
	    "\"stream\":true,\"stream_options\":{\"include_usage\":true},"
	    "\"top_k\":5,\"logprobs\":true,\"user\":\"alice\"}", "chat body");
	free(s);
	cJSON_Delete(req);
	cJSON_Delete(msgs);
	cJSON_Delete(extra);
	sl_free(&p.stop);
}

static const char *chunks[] = {
	"{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":17,"
	"\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
	"\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}",
	"{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{"
	"\"reasoning_content\":\"think\"}}]}",
	"{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
	"\"Hel\"}}]}",
	"{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
	"\"lo\"},\"finish_reason\":\"stop\"}]}",
	"{\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,"
	"\"completion_tokens\":2,\"total_tokens\":7}}",
	"[DONE]",
};

static const char full[] =
	"{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":17,"
	"\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
	"\"assistant\",\"content\":\"Hello\",\"reasoning_content\":\"think\"},"
	"\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,"
	"\"completion_tokens\":2,\"total_tokens\":7}}";

TEST(stream_equals_whole)
{
	struct oai_acc	 a, b;
	struct err	 e = ERR_INIT;
	cJSON		*ja, *jb;
	size_t		 i;
	int		 rc = 0;

	oai_acc_init(&a, 1);
	for (i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		rc = oai_acc_chunk(&a, chunks[i], strlen(chunks[i]), &e);
		if (i == 2)
			is_str(a.delta_content, "Hel", "delta of chunk 3");
		if (i == 1)
			is_str(a.delta_reasoning, "think", "reasoning delta");
	}
	is_int(rc, 1, "[DONE] returns 1");
	is_str(a.content.buf, "Hello", "content assembled");
	is_int(a.content_chunks, 2, "two content chunks");
	is_int(a.total_tokens, 7, "usage taken from the usage chunk");
	oai_acc_init(&b, 1);
	ok(oai_acc_response(&b, full, strlen(full), &e) == 0, "whole parsed");
	ja = oai_acc_json(&a);
	jb = oai_acc_json(&b);
	ok(json_equal(ja, jb), "streamed and whole answers are identical");
	cJSON_Delete(ja);
	cJSON_Delete(jb);
	oai_acc_free(&a);
	oai_acc_free(&b);
}

TEST(lean)
{
	const char	*blanks = "{\"choices\":[{\"delta\":{\"content\":"
	    "\"x\"}}]}  \r\n";
	struct oai_acc	 a, b;
	struct err	 e = ERR_INIT;
	size_t		 i;
	int		 rc = 0;

	oai_acc_init(&a, 1);
	a.lean = 1;
	oai_acc_init(&b, 1);
	for (i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		rc = oai_acc_chunk(&a, chunks[i], strlen(chunks[i]), &e);
		oai_acc_chunk(&b, chunks[i], strlen(chunks[i]), &e);
		is_str(a.delta_content, b.delta_content, "chunk %zu: same delta",
		    i);
		is_str(a.delta_reasoning, b.delta_reasoning,
		    "chunk %zu: same reasoning delta", i);
		if (i == 3)
			is_str(a.content.buf, "lo", "lean: only the latest delta");
	}
	is_int(rc, 1, "lean: [DONE] returns 1");
	is_int(a.content_chunks, b.content_chunks, "lean: content chunks");
	is_int(a.reasoning_chunks, b.reasoning_chunks, "lean: reasoning chunks");
	is_int(a.chunks, b.chunks, "lean: chunks");
	is_int(a.completion_tokens, 2, "lean: usage taken");
	is_int(a.prompt_tokens, 5, "lean: prompt tokens taken");
	is_str(a.finish_reason, "stop", "lean: finish reason kept");
	ok(a.id == NULL && a.model == NULL, "lean: id and model not kept");
	ok(a.done, "lean: [DONE] seen");
	/* Reset: empty for the next answer, still lean and chat. */
	oai_acc_reset(&a);
	ok(a.lean == 1 && a.chat == 1, "reset keeps lean and chat");
	ok(a.finish_reason == NULL && !a.done && a.chunks == 0 &&
	    a.completion_tokens == -1 && a.content.len == 0,
	    "reset empties the answer");
	is_int(oai_acc_chunk(&a, blanks, strlen(blanks), &e), 0,
	    "lean: trailing blanks accepted");
	is_str(a.delta_content, "x", "lean: delta after reset");
	is_int(oai_acc_chunk(&a, "{\"a\":1} x", 10, &e), -1,
	    "lean: trailing garbage refused");
	ok(e.msg && strstr(e.msg, "malformed stream chunk"),
	    "lean: same error text as a full accumulator");
	err_clear(&e);
	oai_acc_reset(&a);
	ok(oai_acc_response(&a, full, strlen(full), &e) == 0, "lean response");
	is_str(a.content.buf, "Hello", "lean response content");
	is_int(a.total_tokens, 7, "lean response usage");
	oai_acc_free(&a);
	oai_acc_free(&b);
}

TEST(errors)
{
	struct oai_acc	 a;
	struct err	 e = ERR_INIT;
	char		*m;
	const char	*frame = "{\"error\":{\"message\":\"overloaded\","
	    "\"type\":\"server_error\"}}";

	oai_acc_init(&a, 1);
	is_int(oai_acc_chunk(&a, frame, strlen(frame), &e), 2,
	    "error frame inside a 200 stream");
	is_str(a.error, "overloaded", "error frame message");
	is_int(oai_acc_chunk(&a, "{nope", 5, &e), -1, "malformed chunk");
	ok(e.msg && strstr(e.msg, "malformed stream chunk"), "chunk error text");
	err_clear(&e);
	ok(oai_acc_response(&a, "{\"choices\":[]}", 14, &e) == -1 &&
	    strstr(e.msg, "no choices"), "response without choices");
	err_clear(&e);
	oai_acc_free(&a);
	m = oai_error_message(frame, strlen(frame));
	is_str(m, "overloaded", "error object message");
	free(m);
	m = oai_error_message("{\"message\":\"Unauthorized\"}", 26);
	is_str(m, "Unauthorized", "top-level message");
	free(m);
	m = oai_error_message("upstream connect error  \r\nmore", 31);
	is_str(m, "upstream connect error", "plain text first line");
	free(m);
	ok(oai_error_message("", 0) == NULL, "empty body");
}

TEST(completions)
{
	struct oai_acc		 a;
	struct oai_params	 p;
	struct err		 e = ERR_INIT;
	const char		*c = "{\"id\":\"x\",\"choices\":[{\"text\":\"ab\","
	    "\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":1,"
	    "\"completion_tokens\":1,\"total_tokens\":2}}";
	cJSON			*req;

	oai_params_init(&p);
	p.model = "m";
	req = oai_completion_request(&p, "say");
	is_str(json_str(req, "prompt"), "say", "prompt field");
	ok(cJSON_GetObjectItem(req, "temperature") == NULL,
	    "unset params left out");
	cJSON_Delete(req);
	oai_acc_init(&a, 0);
	ok(oai_acc_chunk(&a, c, strlen(c), &e) == 0, "completion chunk");
	is_str(a.content.buf, "ab", "text assembled");
	is_str(a.finish_reason, "length", "finish reason");
	oai_acc_free(&a);
}

/*
 * The lean accumulator's in-place scan against cJSON's tree on chunks of
 * every shape: the same return code and the same state after each, and
 * the scan takes the common shapes itself.
 */
static const struct {
	int		 chat;
	int		 fast;		/* the scan takes it (1), declines (0) */
	const char	*data;
} fast_cases[] = {
	/* The simulator's and vLLM's shapes. */
	{ 1, 1, "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\","
	  "\"created\":1795418834,\"model\":\"m\",\"choices\":[{\"index\":0,"
	  "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":"
	  "null,\"finish_reason\":null}]}" },
	{ 1, 1, "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
	  "\"Veniam\"},\"logprobs\":null,\"finish_reason\":null,"
	  "\"stop_reason\":null}]}" },
	{ 1, 1, "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
	  "\" id\"},\"finish_reason\":\"length\",\"stop_reason\":null}]}" },
	{ 1, 1, "{\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":7,"
	  "\"total_tokens\":10,\"completion_tokens\":3,"
	  "\"prompt_tokens_details\":{\"cached_tokens\":4}}}" },
	{ 1, 1, "{\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":"
	  "{\"prompt_tokens\":7,\"completion_tokens\":1,\"total_tokens\":8}}" },
	{ 1, 1, "{\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":null}" },
	{ 1, 1, " {\"choices\" : [ {\"delta\" : {\"content\" : \"sp\" } } ] }\r\n" },
	/* Reasoning, both spellings, and which one wins. */
	{ 1, 1, "{\"choices\":[{\"delta\":{\"reasoning_content\":\"hm\"}}]}" },
	{ 1, 1, "{\"choices\":[{\"delta\":{\"reasoning\":\"hm2\"}}]}" },
	{ 1, 1, "{\"choices\":[{\"delta\":{\"reasoning_content\":null,"
	  "\"reasoning\":\"r\",\"content\":\"c\"}}]}" },
	{ 1, 1, "{\"choices\":[{\"delta\":{\"reasoning_content\":\"\","
	  "\"reasoning\":\"r\"}}]}" },
	/* Escapes, types, duplicates, extra choices, nesting. */
	{ 1, 1, "{\"choices\":[{\"delta\":{\"content\":\"a\\nb\\\"c\\\\d\\/e"
	  "\\tf\"}}]}" },
	{ 1, 1, "{\"choices\":[{\"delta\":{\"content\":42}}]}" },
	{ 1, 1, "{\"choices\":[{\"delta\":{\"content\":\"x\",\"content\":\"y\"}}]}" },
	{ 1, 1, "{\"choices\":[{\"delta\":{\"content\":\"1\"}},{\"delta\":"
	  "{\"content\":\"2\"}}]}" },
	{ 1, 1, "{\"choices\":[7,{\"delta\":{\"content\":\"2\"}}]}" },
	{ 1, 1, "{\"choices\":null}" },
	{ 1, 1, "{\"choices\":[{\"delta\":\"no\"}],\"x\":{\"y\":[1,2.5e3,-0.1,"
	  "true,false,null,{\"z\":\"\\u00e9\\ud83d\\ude00\"}]}}" },
	{ 1, 1, "{\"error\":null,\"choices\":[{\"delta\":{\"content\":\"e\"}}]}" },
	{ 1, 1, "{\"choices\":[{\"delta\":{\"content\":\"a\"},\"finish_reason\":"
	  "7}]}" },
	{ 1, 1, "{\"choices\":[{\"text\":\"ignored in chat\"}]}" },
	{ 0, 1, "{\"id\":\"x\",\"choices\":[{\"text\":\"ab\",\"finish_reason\":"
	  "\"length\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,"
	  "\"total_tokens\":2}}" },
	{ 0, 1, "{\"choices\":[{\"delta\":{\"content\":\"ignored\"},\"text\":"
	  "\"t\"}]}" },
	/* Declined: left to cJSON, which must give the same answer. */
	{ 1, 0, "{\"choices\":[{\"delta\":{\"content\":\"caf\\u00e9\"}}]}" },
	{ 1, 0, "{\"choices\":[{\"delta\":{\"Content\":\"case\"}}]}" },
	{ 1, 0, "{\"Choices\":[{\"delta\":{\"content\":\"case\"}}]}" },
	{ 1, 0, "{\"choices\":{\"a\":{\"delta\":{\"content\":\"obj\"}}}}" },
	{ 1, 0, "{\"choices\":[],\"usage\":{\"completion_tokens\":2.0}}" },
	{ 1, 0, "{\"choices\":[],\"usage\":{\"completion_tokens\":"
	  "12345678901234567}}" },
	{ 1, 0, "{\"error\":{\"message\":\"boom\"}}" },
	{ 1, 0, "{\"error\":\"flat\"}" },
	{ 1, 0, "{\"choices\":[{\"delta\":{\"content\":\"a\"}}]} trailing" },
	{ 1, 0, "{\"choices\":[{\"delta\":{\"content\":\"a\"}}],}" },
	{ 1, 0, "{\"choices\":[{\"delta\":{\"content\":\"a}}]}" },
	{ 1, 0, "{\"choices\":[{\"delta\":{\"content\":\"bad\\q\"}}]}" },
	{ 1, 0, "{\"x\":\"\\udc00\"}" },
	{ 1, 0, "{\"x\":\"\\ud800x\"}" },
	{ 1, 0, "{\"x\":01}" },
	{ 1, 0, "{\"x\":tru}" },
	{ 1, 0, "[1,2]" },
	{ 1, 0, "" },
	{ 1, 0, "{\"x\":\"\x01\"}" },
	{ 1, 0, "{\"choices\":[{\"delta\":{\"con\\tent\":\"k\"}}]}" },
	/* Tool-call deltas: counted, never decoded. */
	{ 1, 1, "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{"
	  "\"index\":0,\"id\":\"chatcmpl-tool-1\",\"type\":\"function\","
	  "\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"\"}}]},"
	  "\"finish_reason\":null}]}" },
	{ 1, 1, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":1,"
	  "\"function\":{\"arguments\":\"x\"}}]},\"finish_reason\":"
	  "\"tool_calls\"}]}" },
	{ 1, 1, "{\"choices\":[{\"delta\":{\"tool_calls\":[ ],\"content\":"
	  "\"c\"}}]}" },
	{ 1, 1, "{\"choices\":[{\"delta\":{\"tool_calls\":null}}]}" },
	{ 1, 1, "{\"choices\":[{\"delta\":{\"reasoning_content\":\"r\","
	  "\"tool_calls\":[{\"index\":0}]}}]}" },
	{ 1, 0, "{\"choices\":[{\"delta\":{\"Tool_Calls\":[{}]}}]}" },
	{ 1, 0, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"a\":}]}}]}" },
	{ 0, 1, "{\"choices\":[{\"delta\":{\"tool_calls\":[{}]}}]}" },
};

TEST(fast_scan)
{
	struct oai_acc	 a, b;
	struct err	 e = ERR_INIT;
	size_t		 i, n;
	int		 ra, rb;

	for (i = 0; i < sizeof fast_cases / sizeof fast_cases[0]; i++) {
		oai_acc_init(&a, fast_cases[i].chat);
		a.lean = 1;
		oai_acc_init(&b, fast_cases[i].chat);
		b.lean = b.tree_only = 1;
		n = strlen(fast_cases[i].data);
		ra = oai_acc_chunk(&a, fast_cases[i].data, n, NULL);
		rb = oai_acc_chunk(&b, fast_cases[i].data, n, &e);
		err_clear(&e);
		is_int(ra, rb, "case %zu: same return", i);
		is_int(a.fast_chunks, fast_cases[i].fast, "case %zu: scan %s",
		    i, fast_cases[i].fast ? "takes it" : "declines");
		is_int(b.fast_chunks, 0, "case %zu: tree_only never scans", i);
		is_int(a.chunks, b.chunks, "case %zu: chunks", i);
		is_int(a.content_chunks, b.content_chunks,
		    "case %zu: content chunks", i);
		is_int(a.reasoning_chunks, b.reasoning_chunks,
		    "case %zu: reasoning chunks", i);
		is_int(a.tool_chunks, b.tool_chunks,
		    "case %zu: tool-call chunks", i);
		is_int(a.delta_tool, b.delta_tool, "case %zu: tool delta", i);
		is_str(a.delta_content, b.delta_content, "case %zu: content",
		    i);
		is_str(a.delta_reasoning, b.delta_reasoning,
		    "case %zu: reasoning", i);
		is_str(a.finish_reason, b.finish_reason,
		    "case %zu: finish_reason", i);
		ok(a.prompt_tokens == b.prompt_tokens &&
		    a.completion_tokens == b.completion_tokens &&
		    a.total_tokens == b.total_tokens &&
		    a.cached_tokens == b.cached_tokens, "case %zu: usage", i);
		is_str(a.error, b.error, "case %zu: error", i);
		oai_acc_free(&a);
		oai_acc_free(&b);
	}
	/* State carries over chunks and resets keep the choice. */
	oai_acc_init(&a, 1);
	a.lean = 1;
	oai_acc_chunk(&a, fast_cases[1].data, strlen(fast_cases[1].data), NULL);
	oai_acc_chunk(&a, fast_cases[2].data, strlen(fast_cases[2].data), NULL);
	is_str(a.content.buf, " id", "scan: a lean buffer keeps the latest delta");
	is_str(a.finish_reason, "length", "scan: finish_reason kept");
	is_int(a.fast_chunks, 2, "scan: both taken");
	a.tree_only = 1;
	oai_acc_reset(&a);
	ok(a.tree_only && a.lean && a.fast_chunks == 0,
	    "reset keeps lean and tree_only, clears the counts");
	oai_acc_free(&a);
}

int
main(void)
{
	RUN(chat_request);
	RUN(stream_equals_whole);
	RUN(lean);
	RUN(errors);
	RUN(completions);
	RUN(fast_scan);
	return tap_done();
}
