/*
 * chat.c: `maasctl chat`: one chat completion through the MaaS gateway or
 * any OpenAI-compatible endpoint, streamed or not.  The answer goes to
 * stdout; reasoning, usage and timing go to stderr.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ask.h"
#include "cmd.h"
#include "json.h"
#include "openai.h"
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
	ASK_SAMPLING_OPTS(A, "most tokens to generate"),
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

/* How a streamed answer is printed. */
struct show {
	int	 dim;		/* colour reasoning on stderr */
	int	 last_nl;	/* last byte printed was '\n' */
};

static void
show_reasoning(const char *text, void *arg)
{
	struct show	*sh = arg;

	fprintf(stderr, "%s%s%s", sh->dim ? "\033[2m" : "", text,
	    sh->dim ? "\033[0m" : "");
	fflush(stderr);
}

static void
show_content(const char *text, void *arg)
{
	struct show	*sh = arg;

	fputs(text, stdout);
	fflush(stdout);
	sh->last_nl = text[strlen(text) - 1] == '\n';
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
chat_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct target		 t;
	struct oai_params	 p;
	struct strbuf		 prompt = STRBUF_INIT;
	struct ask		 a;
	struct show		 sh = { 0, 1 };
	struct sigaction	 sa, old;
	cJSON			*extra = NULL, *msgs = NULL, *body = NULL, *out;
	const char		*fmt = ctx->g.output;
	char			*model = NULL, *js;
	size_t			 i;
	int			 rc = -1, stream, json_out, arun;

	memset(&t, 0, sizeof t);
	ask_init(&a, &t, "chat", A.completions);
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
	if (ask_pick_model(&t, A.model, "chat", "-m", &model, e) != 0)
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
	a.body = body;
	a.stream = stream;
	if (stream) {
		sh.dim = term_color();
		if (!json_out) {
			a.on_content = show_content;
			a.on_reasoning = show_reasoning;
			a.arg = &sh;
		}
		a.cancel = &interrupted;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_sigint;
		sigaction(SIGINT, &sa, &old);
	}
	arun = ask_run(&a, e);
	if (stream)
		sigaction(SIGINT, &old, NULL);
	if (stream && !json_out && !sh.last_nl && a.res.status / 100 == 2)
		fputc('\n', stdout);
	if (arun != 0)
		goto out;
	if (json_out) {
		if (stream)
			out = oai_acc_json(&a.acc);
		else
			out = json_parse(a.res.body.buf, a.res.body.len, NULL);
		js = json_print(out, 1);
		printf("%s\n", js);
		free(js);
		cJSON_Delete(out);
	} else if (!stream) {
		if (a.acc.reasoning.len > 0)
			fprintf(stderr, "%s%s%s\n", term_color() ? "\033[2m" :
			    "", a.acc.reasoning.buf, term_color() ?
			    "\033[0m" : "");
		fputs(a.acc.content.buf ? a.acc.content.buf : "", stdout);
		if (a.acc.content.len == 0 ||
		    a.acc.content.buf[a.acc.content.len - 1] != '\n')
			fputc('\n', stdout);
	}
	if (A.usage || term_enabled(TERM_LOG_INFO))
		ask_print_usage(stderr, &a);
	rc = 0;
out:
	target_free(&t);
done:
	ask_free(&a);
	cJSON_Delete(body);
	cJSON_Delete(msgs);
	cJSON_Delete(extra);
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
