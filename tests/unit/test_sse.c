/* test_sse.c: the SSE parser at every chunk boundary. */
#include <stdlib.h>

#include "sse.h"
#include "tap.h"
#include "xalloc.h"

/* Events rendered as "event|data|id\n" for comparison. */
static int
collect(const struct sse_event *ev, void *arg)
{
	struct strbuf	*sb = arg;

	sb_addf(sb, "%s|%.*s|%s\n", ev->event, (int)ev->data_len, ev->data,
	    ev->id);
	return 0;
}

static char *
parse_chunked(const char *in, size_t len, size_t chunk)
{
	struct strbuf	 out = STRBUF_INIT;
	struct sse	*s = sse_new(collect, &out);
	size_t		 i, n;

	for (i = 0; i < len; i += n) {
		n = len - i < chunk ? len - i : chunk;
		sse_feed(s, in + i, n, NULL);
	}
	sse_finish(s);
	sse_free(s);
	return sb_detach(&out);
}

static const char stream[] =
    "\xef\xbb\xbf: keep-alive\r\n"
    "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\r\n\r\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\"h\xc3\xa9llo\"}}]}\n\n"
    "event: error\rdata: line one\rdata:line two\r\r"
    "id: 7\nretry: 1500\ndata\n\n"
    "data: x\n"
    ": only a comment\n\n"
    "data: [DONE]\n\n"
    "data: dangling without blank line";

static const char want[] =
    "message|{\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}|\n"
    "message|{\"choices\":[{\"delta\":{\"content\":\"h\xc3\xa9llo\"}}]}|\n"
    "error|line one\nline two|\n"
    "message||7\n"
    "message|x|7\n"
    "message|[DONE]|7\n";

TEST(every_chunk_size)
{
	size_t	 chunk, len = sizeof stream - 1;
	int	 all = 1;
	char	*got;

	for (chunk = 1; chunk <= len; chunk++) {
		got = parse_chunked(stream, len, chunk);
		if (strcmp(got, want) != 0) {
			all = 0;
			is_str(got, want, "chunk size %zu", chunk);
			free(got);
			break;
		}
		free(got);
	}
	ok(all, "same events for every chunk size 1..%zu", len);
}

TEST(every_split_point)
{
	size_t	 cut, len = sizeof stream - 1;
	int	 all = 1;

	for (cut = 0; cut <= len && all; cut++) {
		struct strbuf	 out = STRBUF_INIT;
		struct sse	*s = sse_new(collect, &out);

		sse_feed(s, stream, cut, NULL);
		sse_feed(s, stream + cut, len - cut, NULL);
		ok(sse_finish(s) == 1, "dangling event reported at cut %zu",
		    cut);
		if (strcmp(out.buf, want) != 0) {
			all = 0;
			is_str(out.buf, want, "split at %zu", cut);
		}
		sse_free(s);
		sb_free(&out);
	}
	ok(all, "same events for every two-way split");
}

static int
stop_at_first(const struct sse_event *ev, void *arg)
{
	(void)ev;
	(*(int *)arg)++;
	return 1;
}

TEST(callback_stops)
{
	int		 n = 0;
	struct sse	*s = sse_new(stop_at_first, &n);

	is_int(sse_feed(s, "data: a\n\ndata: b\n\n", 18, NULL), 1,
	    "feed returns 1 when the callback stops");
	is_int(n, 1, "one event delivered");
	sse_free(s);
}

TEST(long_lines)
{
	struct strbuf	 in = STRBUF_INIT, out = STRBUF_INIT;
	struct sse	*s = sse_new(collect, &out);
	struct err	 e = ERR_INIT;
	size_t		 i;

	sb_adds(&in, "data: ");
	for (i = 0; i < 1000000; i++)
		sb_addc(&in, 'a' + (int)(i % 26));
	sb_adds(&in, "\n\n");
	ok(sse_feed(s, in.buf, in.len, &e) == 0, "1 MB line accepted");
	is_int(out.len, 1000000 + strlen("message|") + strlen("|\n"),
	    "whole line delivered");
	sse_free(s);
	s = sse_new(collect, &out);
	sse_set_max_line(s, 1024);
	ok(sse_feed(s, in.buf, in.len, &e) == -1 && e.msg != NULL &&
	    strstr(e.msg, "longer than 1024 bytes"), "max_line enforced");
	err_clear(&e);
	sse_free(s);
	sb_free(&in);
	sb_free(&out);
}

TEST(counters)
{
	struct strbuf	 out = STRBUF_INIT;
	struct sse	*s = sse_new(collect, &out);

	sse_feed(s, ":a\n:b\ndata: 1\n\n", 15, NULL);
	is_int(sse_comments(s), 2, "two comments");
	is_int(sse_events(s), 1, "one event");
	ok(sse_finish(s) == 0, "nothing pending");
	sse_free(s);
	sb_free(&out);
}

TEST(reset)
{
	struct strbuf	 out = STRBUF_INIT;
	struct sse	*s = sse_new(collect, &out);

	sse_feed(s, "id: 7\nevent: x\ndata: half", 25, NULL);
	sse_reset(s);
	is_int(sse_events(s), 0, "reset: no events counted");
	sse_feed(s, "data: new\n\n", 11, NULL);
	is_str(out.buf, "message|new|\n",
	    "reset: the half event, its type and id are gone");
	sse_reset(s);
	sb_reset(&out);
	sse_feed(s, "\xef\xbb\xbf:c\ndata: b\n\n", 15, NULL);
	is_str(out.buf, "message|b|\n", "reset: a new stream may start with "
	    "a BOM");
	is_int(sse_comments(s), 1, "reset: comments counted afresh");
	sse_free(s);
	sb_free(&out);
}

int
main(void)
{
	RUN(every_chunk_size);
	RUN(every_split_point);
	RUN(callback_stops);
	RUN(long_lines);
	RUN(counters);
	RUN(reset);
	return tap_done();
}
