/*
 * chat.c: `maasctl chat`: one chat completion through the MaaS gateway or
 * any OpenAI-compatible endpoint, streamed or not.  The answer goes to
 * stdout; reasoning, usage and timing go to stderr.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "json.h"
#include "openai.h"
#include "sse.h"
#include "target.h"
#include "term.h"

static struct {
	const char	*model;
	const char	*file;
	const char	*system;
	const char	*endpoint;
	double		 temperature;
	double		 top_p;
	long		 max_tokens;
	long		 seed;
	struct strlist	 stop;
	struct strlist	 params;
	int		 stream;	/* -1: auto (a TTY streams) */
	int		 usage;
	int		 completions;
} A = { .temperature = -1, .top_p = -1, .max_tokens = -1, .seed = -1,
	.stream = -1 };

static const struct opt chat_opts[] = {
	{ "model", 'm', OPT_STR, &A.model, "MODEL",
	  "model id (default: the only ready model)", 0, NULL, "@model", 0, 0 },
	{ "file", 'f', OPT_STR, &A.file, "FILE",
	  "read the prompt from FILE", 0, NULL, "file", 0, 0 },
	{ "system", 0, OPT_STR, &A.system, "TEXT",
	  "system prompt", 0, NULL, NULL, 0, 0 },
	{ "temperature", 0, OPT_DOUBLE, &A.temperature, "T",
	  "sampling temperature", 0, NULL, NULL, 0, 0 },
	{ "top-p", 0, OPT_DOUBLE, &A.top_p, "P",
	  "nucleus sampling probability", 0, NULL, NULL, 0, 0 },
	{ "max-tokens", 0, OPT_INT, &A.max_tokens, "N",
	  "most tokens to generate", 0, NULL, NULL, 1, 100000000 },
	{ "seed", 0, OPT_INT, &A.seed, "N",
	  "sampling seed (same seed, same answer)", 0, NULL, NULL, 0,
	  2147483647 },
	{ "stop", 0, OPT_LIST, &A.stop, "TEXT",
	  "stop sequence (repeatable)", 0, NULL, NULL, 0, 0 },
	{ "param", 'p', OPT_LIST, &A.params, "KEY=VALUE",
	  "any other request field, JSON-typed (repeatable)", 0, NULL, NULL,
	  0, 0 },
	{ "stream", 0, OPT_BOOL, &A.stream, NULL,
	  "stream the answer (default when stdout is a terminal)", 0, NULL,
	  NULL, 0, 0 },
	{ "usage", 0, OPT_BOOL, &A.usage, NULL,
	  "print token usage and timing on stderr", 0, NULL, NULL, 0, 0 },
	{ "endpoint", 0, OPT_STR, &A.endpoint, "URL",
	  "any OpenAI-compatible base URL instead of the MaaS gateway "
	  "(default: $OPENAI_BASE_URL)", 0, NULL, NULL, 0, 0 },
	{ "completions", 0, OPT_BOOL, &A.completions, NULL,
	  "use /v1/completions (a bare prompt) instead of chat", 0, NULL,
	  NULL, 0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

static volatile sig_atomic_t interrupted;

static void
on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* State of one streamed answer. */
struct stream {
	struct oai_acc	 acc;
	struct sse	*sse;
	int		 print;		/* write deltas as they come */
	int		 dim;		/* colour reasoning on stderr */
	int		 failed;	/* malformed chunk */
	int		 last_nl;	/* last byte printed was '\n' */
	double		 t0, t_first, t_last;
	struct err	*e;
};

static int
on_event(const struct sse_event *ev, void *arg)
{
	struct stream	*s = arg;
	int		 rc;

	rc = oai_acc_chunk(&s->acc, ev->data, ev->data_len, s->e);
	if (rc < 0) {
		s->failed = 1;
		return 1;
	}
	if (rc == 2 || rc == 1)
		return 1;
	if (s->acc.delta_reasoning != NULL && s->print) {
		fprintf(stderr, "%s%s%s", s->dim ? "\033[2m" : "",
		    s->acc.delta_reasoning, s->dim ? "\033[0m" : "");
		fflush(stderr);
	}
	if (s->acc.delta_content != NULL) {
		if (s->t_first == 0)
			s->t_first = now();
		s->t_last = now();
		if (s->print) {
			fputs(s->acc.delta_content, stdout);
			fflush(stdout);
			s->last_nl = s->acc.delta_content[
			    strlen(s->acc.delta_content) - 1] == '\n';
		}
	}
	return 0;
}

static int
on_bytes(const char *buf, size_t len, void *arg)
{
	struct stream	*s = arg;

	if (interrupted)
		return 1;
	return sse_feed(s->sse, buf, len, s->e) != 0;
}

/* Build the prompt from arguments, -f FILE and piped standard input. */
static int
read_prompt(int argc, char **argv, struct strbuf *p, struct err *e)
{
	char	 buf[8192];
	size_t	 n;
	FILE	*f;
	int	 i;

	for (i = 0; i < argc; i++) {
		if (i > 0)
			sb_addc(p, ' ');
		sb_adds(p, argv[i]);
	}
	if (A.file != NULL) {
		if ((f = fopen(A.file, "r")) == NULL)
			return err_set(e, EXIT_USAGE, "chat: cannot read %s: "
			    "%m", A.file);
		if (p->len > 0)
			sb_addc(p, '\n');
		while ((n = fread(buf, 1, sizeof buf, f)) > 0)
			sb_add(p, buf, n);
		fclose(f);
	}
	if (!isatty(STDIN_FILENO)) {
		struct strbuf	 in = STRBUF_INIT;

		while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
			sb_add(&in, buf, n);
		if (in.len > 0) {
			if (p->len > 0)
				sb_addc(p, '\n');
			sb_add(p, in.buf, in.len);
		}
		sb_free(&in);
	}
	if (p->len == 0)
		return err_set(e, EXIT_USAGE, "chat: no prompt: give it as "
		    "arguments, with -f FILE, or on standard input");
	return 0;
}

static int
pick_model(struct target *t, char **model, struct err *e)
{
	struct strlist	 ids = STRLIST_INIT;
	struct strbuf	 sb = STRBUF_INIT;
	size_t		 i;

	if (A.model != NULL) {
		*model = xstrdup(A.model);
		return 0;
	}
	if (target_models(t, &ids, e) != 0) {
		err_hint(e, "name the model with -m MODEL");
		return -1;
	}
	if (ids.n == 1) {
		*model = xstrdup(ids.v[0]);
		sl_free(&ids);
		return 0;
	}
	if (ids.n == 0)
		err_set(e, EXIT_NOTFOUND, "chat: no ready model is available "
		    "to you at %s", t->base);
	else {
		for (i = 0; i < ids.n && i < 8; i++)
			sb_addf(&sb, "%s%s", i ? ", " : "", ids.v[i]);
		err_set(e, EXIT_USAGE, "chat: %zu models are available (%s%s); "
		    "choose one with -m", ids.n, sb.buf, ids.n > 8 ? ", ..." :
		    "");
	}
	sb_free(&sb);
	sl_free(&ids);
	return -1;
}

static void
print_usage(const struct oai_acc *a, double t0, double t_first,
    double t_last, double t_end)
{
	fprintf(stderr, "usage: prompt %ld, completion %ld, total %ld tokens",
	    a->prompt_tokens, a->completion_tokens, a->total_tokens);
	if (t_first > 0) {
		fprintf(stderr, "; TTFT %.0f ms", (t_first - t0) * 1e3);
		if (a->completion_tokens > 1 && t_last > t_first)
			fprintf(stderr, "; %.1f tokens/s",
			    (double)(a->completion_tokens - 1) /
			    (t_last - t_first));
	}
	fprintf(stderr, "; %.0f ms total\n", (t_end - t0) * 1e3);
}

static int
chat_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct target		 t;
	struct oai_params	 p;
	struct strbuf		 prompt = STRBUF_INIT;
	struct stream		 s;
	struct http_request	 req;
	struct http_response	 res = HTTP_RESPONSE_INIT;
	struct sigaction	 sa, old;
	cJSON			*extra = NULL, *msgs = NULL, *body = NULL, *out;
	const char		**h = NULL;
	const char		*fmt = ctx->g.output;
	char			*model = NULL, *url = NULL, *text = NULL, *js;
	size_t			 i;
	int			 rc = -1, stream, json_out;

	memset(&s, 0, sizeof s);
	oai_acc_init(&s.acc, !A.completions);
	if (fmt != NULL && strcmp(fmt, "json") != 0)
		return err_set(e, EXIT_USAGE, "chat: unsupported output format "
		    "\"%s\" (want json)", fmt);
	json_out = fmt != NULL;
	for (i = 0; i < A.params.n; i++)
		if (oai_param_kv(&extra, A.params.v[i], e) != 0)
			goto done;
	if (read_prompt(argc, argv, &prompt, e) != 0)
		goto done;
	if (target_resolve(ctx, A.endpoint, &t, e) != 0)
		goto done;
	if (pick_model(&t, &model, e) != 0)
		goto out;
	stream = A.stream == -1 ? isatty(STDOUT_FILENO) && !json_out :
	    A.stream;
	oai_params_init(&p);
	p.model = model;
	p.temperature = A.temperature;
	p.top_p = A.top_p;
	p.max_tokens = A.max_tokens;
	if (A.seed >= 0) {
		p.has_seed = 1;
		p.seed = A.seed;
	}
	p.stop = A.stop;
	p.extra = extra;
	p.stream = stream;
	p.include_usage = 1;
	if (A.completions)
		body = oai_completion_request(&p, prompt.buf);
	else {
		msgs = cJSON_CreateArray();
		if (A.system != NULL)
			oai_messages_add(msgs, "system", A.system);
		oai_messages_add(msgs, "user", prompt.buf);
		body = oai_chat_request(&p, msgs);
	}
	text = cJSON_PrintUnformatted(body);
	url = xasprintf("%s/%s", t.base, A.completions ? "completions" :
	    "chat/completions");
	h = target_headers(&t, 1);
	memset(&req, 0, sizeof req);
	req.method = "POST";
	req.url = url;
	req.headers = h;
	req.body = text;
	req.body_len = strlen(text);
	/* Nothing is generated until the server answers: 429/503 are safe
	 * to resend (the gateway rejected them before the model ran). */
	if (stream) {
		s.sse = sse_new(on_event, &s);
		s.print = !json_out;
		s.dim = term_color();
		s.last_nl = 1;
		s.e = e;
		req.stream = on_bytes;
		req.stream_arg = &s;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_sigint;
		sigaction(SIGINT, &sa, &old);
	}
	s.t0 = now();
	if (http_do(&t.http, &req, &res, e) != 0) {
		if (stream && s.acc.content_chunks > 0) {
			err_wrap(e, "chat: the stream broke after %zu chunks "
			    "(the answer above is incomplete)",
			    s.acc.content_chunks);
			e->code = EXIT_UNREACHABLE;
		}
		goto restore;
	}
	if (res.status / 100 != 2) {
		target_http_error(&t, "chat", &res, e);
		goto restore;
	}
	if (stream) {
		if (s.print && !s.last_nl)
			fputc('\n', stdout);
		if (interrupted) {
			err_set(e, EXIT_INTERRUPTED, "chat: interrupted; the "
			    "answer above is incomplete");
			goto restore;
		}
		if (s.failed)
			goto restore;
		if (s.acc.error != NULL) {
			err_set(e, EXIT_UNREACHABLE, "chat: the server sent an "
			    "error in the stream: %s", s.acc.error);
			goto restore;
		}
		if (!s.acc.done && s.acc.finish_reason == NULL) {
			err_set(e, EXIT_UNREACHABLE, "chat: the stream ended "
			    "before the answer was complete (%zu chunks, no "
			    "finish_reason, no [DONE])", s.acc.content_chunks);
			goto restore;
		}
	} else if (oai_acc_response(&s.acc, res.body.buf, res.body.len,
	    e) != 0) {
		err_wrap(e, "chat");
		goto restore;
	}
	if (json_out) {
		if (stream)
			out = oai_acc_json(&s.acc);
		else
			out = json_parse(res.body.buf, res.body.len, NULL);
		js = json_print(out, 1);
		printf("%s\n", js);
		free(js);
		cJSON_Delete(out);
	} else if (!stream) {
		if (s.acc.reasoning.len > 0)
			fprintf(stderr, "%s%s%s\n", term_color() ? "\033[2m" :
			    "", s.acc.reasoning.buf, term_color() ?
			    "\033[0m" : "");
		fputs(s.acc.content.buf ? s.acc.content.buf : "", stdout);
		if (s.acc.content.len == 0 ||
		    s.acc.content.buf[s.acc.content.len - 1] != '\n')
			fputc('\n', stdout);
	}
	if (A.usage || term_enabled(TERM_LOG_INFO))
		print_usage(&s.acc, s.t0, s.t_first, s.t_last, now());
	rc = 0;
restore:
	if (stream)
		sigaction(SIGINT, &old, NULL);
out:
	target_free(&t);
done:
	target_headers_free(h);
	http_response_free(&res);
	sse_free(s.sse);
	oai_acc_free(&s.acc);
	cJSON_Delete(body);
	cJSON_Delete(msgs);
	cJSON_Delete(extra);
	free(text);
	free(url);
	free(model);
	sb_free(&prompt);
	return rc;
}

const struct command cmd_chat = {
	.name = "chat",
	.summary = "Send one prompt to a model and print the answer",
	.usage = "[-m MODEL] [--system TEXT] [--stream] [-f FILE] [PROMPT...]",
	.opts = chat_opts,
	.run = chat_run,
	.max_args = -1,
};
