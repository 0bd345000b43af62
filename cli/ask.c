/*
 * ask.c: one chat/completions exchange (see ask.h): request, SSE stream,
 * clock and the errors of a broken, cut or cancelled answer.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ask.h"
#include "clock.h"
#include "sse.h"

void
ask_init(struct ask *a, struct target *t, const char *what, int completions)
{
	struct http_response	 r = HTTP_RESPONSE_INIT;

	memset(a, 0, sizeof *a);
	a->t = t;
	a->what = what;
	a->completions = completions;
	a->res = r;
	oai_acc_init(&a->acc, !completions);
}

void
ask_free(struct ask *a)
{
	oai_acc_free(&a->acc);
	http_response_free(&a->res);
}

/* Streaming state: the parser and the first error of a bad chunk. */
struct ask_stream {
	struct ask	*a;
	struct sse	*sse;
	int		 failed;	/* a malformed chunk */
	struct err	*e;
};

static int
on_event(const struct sse_event *ev, void *arg)
{
	struct ask_stream	*s = arg;
	struct ask		*a = s->a;
	int			 rc;

	rc = oai_acc_chunk(&a->acc, ev->data, ev->data_len, s->e);
	if (rc < 0) {
		s->failed = 1;
		return 1;
	}
	if (rc != 0)
		return 1;
	if (a->acc.delta_reasoning != NULL || a->acc.delta_content != NULL) {
		if (a->t_first == 0)
			a->t_first = clock_mono_s();
		a->t_last = clock_mono_s();
	}
	if (a->acc.delta_reasoning != NULL && a->on_reasoning != NULL)
		a->on_reasoning(a->acc.delta_reasoning, a->arg);
	if (a->acc.delta_content != NULL && a->on_content != NULL)
		a->on_content(a->acc.delta_content, a->arg);
	return 0;
}

static int
on_bytes(const char *buf, size_t len, void *arg)
{
	struct ask_stream	*s = arg;

	if (s->a->cancel != NULL && *s->a->cancel)
		return 1;
	return sse_feed(s->sse, buf, len, s->e) != 0;
}

int
ask_run(struct ask *a, struct err *e)
{
	struct http_request	 opts;
	struct ask_stream	 s;
	char			*url, *text;
	int			 rc = -1, got;

	memset(&s, 0, sizeof s);
	text = cJSON_PrintUnformatted(a->body);
	url = xasprintf("%s/%s", a->t->base, a->completions ? "completions" :
	    "chat/completions");
	memset(&opts, 0, sizeof opts);
	opts.cancel = a->cancel;
	/* Nothing is generated until the server answers: 429/503 are safe
	 * to resend (the gateway rejected them before the model ran). */
	if (a->stream) {
		s.a = a;
		s.sse = sse_new(on_event, &s);
		s.e = e;
		opts.stream = on_bytes;
		opts.stream_arg = &s;
	}
	a->t0 = clock_mono_s();
	got = target_post_json(a->t, url, text, &opts, &a->res, e);
	a->t_end = clock_mono_s();
	a->cancelled = a->cancel != NULL && *a->cancel;
	if (a->cancelled) {
		err_set(e, EXIT_INTERRUPTED, "%s: interrupted; the answer "
		    "above is incomplete", a->what);
		goto out;
	}
	if (got != 0) {
		if (a->stream && a->acc.content_chunks +
		    a->acc.reasoning_chunks > 0) {
			err_wrap(e, "%s: the stream broke after %zu chunks "
			    "(the answer above is incomplete)", a->what,
			    a->acc.content_chunks);
			e->code = EXIT_UNREACHABLE;
		}
		goto out;
	}
	if (a->res.status / 100 != 2) {
		target_http_error(a->t, a->what, &a->res, e);
		goto out;
	}
	if (a->stream) {
		if (s.failed)
			goto out;
		if (a->acc.error != NULL) {
			err_set(e, EXIT_UNREACHABLE, "%s: the server sent an "
			    "error in the stream: %s", a->what, a->acc.error);
			goto out;
		}
		if (!a->acc.done && a->acc.finish_reason == NULL) {
			err_set(e, EXIT_UNREACHABLE, "%s: the stream ended "
			    "before the answer was complete (%zu chunks, no "
			    "finish_reason, no [DONE])", a->what,
			    a->acc.content_chunks);
			goto out;
		}
	} else {
		if (oai_acc_response(&a->acc, a->res.body.buf,
		    a->res.body.len, e) != 0) {
			err_wrap(e, "%s", a->what);
			goto out;
		}
		/* Without a stream the whole answer comes at once. */
		a->t_first = a->t_last = a->t_end;
	}
	rc = 0;
out:
	sse_free(s.sse);
	free(text);
	free(url);
	return rc;
}

double
ask_ttft(const struct ask *a)
{
	return a->t_first > 0 ? a->t_first - a->t0 : -1;
}

double
ask_rate(const struct ask *a)
{
	long	 n = a->acc.completion_tokens;

	if (n < 0)
		n = (long)(a->acc.content_chunks + a->acc.reasoning_chunks);
	if (!a->stream || n < 2 || a->t_last <= a->t_first)
		return -1;
	return (double)(n - 1) / (a->t_last - a->t_first);
}

void
ask_print_usage(FILE *f, const struct ask *a)
{
	const struct oai_acc	*acc = &a->acc;

	fprintf(f, "usage: prompt %ld, completion %ld, total %ld tokens",
	    acc->prompt_tokens, acc->completion_tokens, acc->total_tokens);
	if (a->t_first > 0) {
		fprintf(f, "; TTFT %.0f ms", ask_ttft(a) * 1e3);
		if (ask_rate(a) > 0)
			fprintf(f, "; %.1f tokens/s", ask_rate(a));
	}
	fprintf(f, "; %.0f ms total\n", (a->t_end - a->t0) * 1e3);
}

int
ask_pick_model(struct target *t, const char *requested, const char *what,
    const char *how, char **model, struct err *e)
{
	struct strlist	 ids = STRLIST_INIT;
	struct strbuf	 sb = STRBUF_INIT;
	size_t		 i;

	if (requested != NULL) {
		*model = xstrdup(requested);
		return 0;
	}
	if (target_models(t, &ids, e) != 0) {
		err_hint(e, "name the model with %s", how);
		return -1;
	}
	if (ids.n == 1) {
		*model = xstrdup(ids.v[0]);
		sl_free(&ids);
		return 0;
	}
	if (ids.n == 0)
		err_set(e, EXIT_NOTFOUND, "%s: no ready model is available "
		    "to you at %s", what, t->base);
	else {
		for (i = 0; i < ids.n && i < 8; i++)
			sb_addf(&sb, "%s%s", i ? ", " : "", ids.v[i]);
		err_set(e, EXIT_USAGE, "%s: %zu models are available (%s%s); "
		    "choose one with %s", what, ids.n, sb.buf, ids.n > 8 ?
		    ", ..." : "", how);
	}
	sb_free(&sb);
	sl_free(&ids);
	return -1;
}

int
ask_complete_models(struct ctx *ctx, struct strlist *out)
{
	struct target	 t;
	struct err	 e = ERR_INIT;
	int		 rc = 0;

	if (target_resolve(ctx, NULL, &t, &e) != 0) {
		err_clear(&e);
		return 0;
	}
	t.http.max_attempts = 1;
	if (t.http.timeout == 0)
		t.http.timeout = 5;
	if (target_models(&t, out, &e) != 0) {
		err_clear(&e);
		rc = 0;
	}
	target_free(&t);
	return rc;
}
