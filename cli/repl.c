/*
 * repl.c: `maasctl repl`, the interactive prompt tester: the session
 * (model, system prompt, parameters, conversation, totals), the line loop
 * (prompts, `"""` blocks, multi-line mode, Ctrl-C, Ctrl-D) and sending a
 * prompt with its streamed answer.  The /commands are in repl_cmds.c and
 * line input in repl_edit.c; the exchange itself is ask.c's, as chat's.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ask.h"
#include "json.h"
#include "openai.h"
#include "repl.h"
#include "term.h"

volatile sig_atomic_t repl_cancel;

static struct {
	const char	*model;
	const char	*system;
	const char	*endpoint;
	const char	*load;
	const char	*history;
	double		 temperature;
	double		 top_p;
	long		 max_tokens;
	long		 seed;
	struct strlist	 stop;
	struct strlist	 params;
	int		 stream;
	int		 no_history;
} A = { .temperature = -1, .top_p = -1, .max_tokens = -1, .seed = -1,
	.stream = 1 };

static const struct opt repl_opts[] = {
	{ "model", 'm', OPT_STR, &A.model, "MODEL",
	  "model id (default: the only ready model)", 0, NULL, "@model", 0, 0 },
	{ "system", 0, OPT_STR, &A.system, "TEXT",
	  "system prompt", 0, NULL, NULL, 0, 0 },
	{ "load", 0, OPT_STR, &A.load, "FILE",
	  "start from a conversation saved with /save", 0, NULL, "file", 0,
	  0 },
	ASK_SAMPLING_OPTS(A, "most tokens to generate per answer"),
	{ "stream", 0, OPT_BOOL, &A.stream, NULL,
	  "stream answers as they are generated (default; --no-stream waits)",
	  0, NULL, NULL, 0, 0 },
	{ "history", 0, OPT_STR, &A.history, "FILE",
	  "history file (default: $XDG_STATE_HOME/maasctl/repl_history)", 0,
	  NULL, "file", 0, 0 },
	{ "no-history", 0, OPT_BOOL, &A.no_history, NULL,
	  "keep no history file", 0, NULL, NULL, 0, 0 },
	{ "endpoint", 0, OPT_STR, &A.endpoint, "URL",
	  "any OpenAI-compatible base URL instead of the MaaS gateway "
	  "(default: $OPENAI_BASE_URL)", 0, NULL, NULL, 0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

static void
on_sigint(int sig)
{
	(void)sig;
	repl_cancel = 1;
}

void
repl_note(const struct repl *r, const char *fmt, ...)
{
	va_list	 ap;

	if (r->color)
		fputs("\033[2m", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (r->color)
		fputs("\033[0m", stderr);
	fputc('\n', stderr);
	fflush(stderr);
}

void
repl_error(struct repl *r, struct err *e)
{
	char	*s;

	if (e->code == 0)
		return;
	/* A script's exit status says whether any line failed. */
	if (!r->tty) {
		if (r->status == 0)
			r->status = e->code;
		r->n_errors++;
	}
	fflush(stdout);
	s = err_format(e);
	fputs(s, stderr);
	fflush(stderr);
	free(s);
	err_clear(e);
}

cJSON *
repl_body(const struct repl *r, const char *model, const char *prompt,
    int stream)
{
	struct oai_params	 p;
	cJSON			*msgs, *body, *m;

	msgs = cJSON_CreateArray();
	if (r->system != NULL)
		oai_messages_add(msgs, "system", r->system);
	cJSON_ArrayForEach(m, r->msgs)
		cJSON_AddItemToArray(msgs, cJSON_Duplicate(m, 1));
	if (prompt != NULL)
		oai_messages_add(msgs, "user", prompt);
	oai_params_init(&p);
	p.model = model != NULL ? model : r->model;
	p.temperature = r->temperature;
	p.top_p = r->top_p;
	p.max_tokens = r->max_tokens;
	p.has_seed = r->has_seed;
	p.seed = r->seed;
	p.stop = r->stop;
	p.extra = r->extra;
	p.stream = stream;
	p.include_usage = 1;
	body = oai_chat_request(&p, msgs);
	cJSON_Delete(msgs);
	return body;
}

/* How an answer is shown as it streams. */
struct show {
	const struct repl	*r;
	int			 last_nl;	/* last byte out was '\n' */
	int			 any;		/* printed something */
	int			 in_reasoning;	/* reasoning is on screen */
};

static void
show_reasoning(const char *text, void *arg)
{
	struct show	*sh = arg;

	fprintf(stderr, "%s%s%s", sh->r->color ? "\033[2m" : "", text,
	    sh->r->color ? "\033[0m" : "");
	fflush(stderr);
	sh->in_reasoning = text[strlen(text) - 1] != '\n';
}

static void
show_content(const char *text, void *arg)
{
	struct show	*sh = arg;

	if (sh->in_reasoning) {
		fputc('\n', stderr);
		sh->in_reasoning = 0;
	}
	fputs(text, stdout);
	fflush(stdout);
	sh->any = 1;
	sh->last_nl = text[strlen(text) - 1] == '\n';
}

/* Add an exchange to the session totals. */
void
repl_tally(struct repl *r, const struct ask *a)
{
	if (a->acc.prompt_tokens > 0)
		r->prompt_tokens += a->acc.prompt_tokens;
	if (a->acc.completion_tokens > 0)
		r->completion_tokens += a->acc.completion_tokens;
	if (a->t_first > 0) {
		r->ttft_sum += ask_ttft(a);
		r->n_ttft++;
	}
	if (ask_rate(a) > 0 && a->acc.completion_tokens > 1) {
		r->gen_time += a->t_last - a->t_first;
		r->gen_tokens += a->acc.completion_tokens - 1;
	}
}

int
repl_send(struct repl *r, const char *prompt, struct err *e)
{
	struct ask	 a;
	struct show	 sh;
	cJSON		*body;
	int		 rc = -1;

	if (r->model == NULL)
		return err_set(e, EXIT_USAGE, "repl: no model chosen: use "
		    "/model NAME (see /models)");
	free(r->last_prompt);
	r->last_prompt = xstrdup(prompt);
	body = repl_body(r, NULL, prompt, r->stream);
	memset(&sh, 0, sizeof sh);
	sh.r = r;
	sh.last_nl = 1;
	ask_init(&a, &r->t, "repl", 0);
	a.body = body;
	a.stream = r->stream;
	a.on_content = show_content;
	a.on_reasoning = show_reasoning;
	a.arg = &sh;
	a.cancel = &repl_cancel;
	repl_cancel = 0;
	r->n_requests++;
	if (ask_run(&a, e) != 0) {
		if (sh.in_reasoning)
			fputc('\n', stderr);
		if (!sh.last_nl)
			fputc('\n', stdout);
		fflush(stdout);
		repl_tally(r, &a);
		if (a.cancelled) {
			r->n_cancelled++;
			err_clear(e);
			repl_note(r, "answer cancelled (/retry asks again)");
			rc = 0;
			if (!r->tty) {
				/* A script interrupted stops here. */
				err_set(e, EXIT_INTERRUPTED, "repl: "
				    "interrupted");
				rc = -1;
			}
		} else
			r->n_failed++;
		goto out;
	}
	if (!r->stream) {
		if (a.acc.reasoning.len > 0)
			show_reasoning(a.acc.reasoning.buf, &sh);
		if (a.acc.content.len > 0)
			show_content(a.acc.content.buf, &sh);
	}
	if (sh.in_reasoning)
		fputc('\n', stderr);
	if (!sh.last_nl)
		fputc('\n', stdout);
	fflush(stdout);
	oai_messages_add(r->msgs, "user", prompt);
	oai_messages_add(r->msgs, "assistant", a.acc.content.buf ?
	    a.acc.content.buf : "");
	repl_tally(r, &a);
	if (r->color)
		fputs("\033[2m", stderr);
	ask_print_usage(stderr, &a);
	if (r->color)
		fputs("\033[0m", stderr);
	fflush(stderr);
	rc = 0;
out:
	repl_cancel = 0;
	ask_free(&a);
	cJSON_Delete(body);
	return rc;
}

int
repl_load_models(struct repl *r, int refresh, struct err *e)
{
	if (r->models_known && !refresh)
		return 0;
	sl_free(&r->models);
	r->models_known = 0;
	if (target_models(&r->t, &r->models, e) != 0)
		return -1;
	sl_sort(&r->models);
	r->models_known = 1;
	return 0;
}

int
repl_read_block(struct repl *r, struct strbuf *sb)
{
	const char	*line;
	size_t		 n;
	int		 intr;

	for (;;) {
		if ((line = repl_input_read(r->in, "... ", &intr)) == NULL ||
		    intr)
			return -1;
		repl_input_remember(r->in, line);
		n = strlen(line);
		if (n >= 3 && strcmp(line + n - 3, "\"\"\"") == 0) {
			sb_add(sb, line, n - 3);
			return 0;
		}
		sb_adds(sb, line);
		sb_addc(sb, '\n');
	}
}

/* Strip trailing newlines a block leaves. */
static void
chomp(struct strbuf *sb)
{
	while (sb->len > 0 && sb->buf[sb->len - 1] == '\n')
		sb->buf[--sb->len] = '\0';
}

/* Read one prompt or command; 1 got one in *out, 0 end of input. */
static int
read_input(struct repl *r, struct strbuf *out, struct err *e)
{
	const char	*line;
	int		 intr;
	size_t		 n;

	sb_reset(out);
	for (;;) {
		line = repl_input_read(r->in, out->len > 0 ? "... " :
		    r->multiline ? ">>| " : ">>> ", &intr);
		if (line == NULL) {
			if (intr)
				err_set(e, EXIT_INTERRUPTED, "repl: "
				    "interrupted");
			if (out->len > 0 && r->multiline) {
				chomp(out);
				return 1;
			}
			return 0;
		}
		if (intr) {
			sb_reset(out);
			continue;
		}
		repl_input_remember(r->in, line);
		n = strlen(line);
		if (out->len == 0 && strncmp(line, "\"\"\"", 3) == 0) {
			/* A block: """text ... text""" */
			if (n >= 6 && strcmp(line + n - 3, "\"\"\"") == 0) {
				sb_add(out, line + 3, n - 6);
				return 1;
			}
			sb_adds(out, line + 3);
			if (n > 3)
				sb_addc(out, '\n');
			if (repl_read_block(r, out) != 0) {
				sb_reset(out);
				if (!r->tty)
					return 0;
				continue;
			}
			chomp(out);
			return 1;
		}
		if (!r->multiline || (out->len == 0 && line[0] == '/' &&
		    line[1] != '/')) {
			sb_adds(out, line);
			return 1;
		}
		/* Multi-line mode: an empty line sends. */
		if (line[0] == '\0') {
			if (out->len == 0)
				continue;
			chomp(out);
			return 1;
		}
		sb_adds(out, line);
		sb_addc(out, '\n');
	}
}

/* The session's starting state from the flags. */
static int
repl_setup(struct repl *r, struct ctx *ctx, struct err *e)
{
	size_t	 i;

	memset(r, 0, sizeof *r);
	r->ctx = ctx;
	r->tty = isatty(STDIN_FILENO);
	r->color = r->tty && term_color();
	r->msgs = cJSON_CreateArray();
	r->temperature = A.temperature;
	r->top_p = A.top_p;
	r->max_tokens = A.max_tokens;
	if (A.seed >= 0) {
		r->has_seed = 1;
		r->seed = A.seed;
	}
	for (i = 0; i < A.stop.n; i++)
		sl_add(&r->stop, A.stop.v[i]);
	for (i = 0; i < A.params.n; i++)
		if (oai_param_kv(&r->extra, A.params.v[i], e) != 0)
			return -1;
	r->stream = A.stream;
	r->history = !A.no_history;
	if (A.system != NULL)
		r->system = xstrdup(A.system);
	return target_resolve(ctx, A.endpoint, &r->t, e);
}

static void
repl_teardown(struct repl *r)
{
	repl_input_close(r->in);
	target_free(&r->t);
	free(r->model);
	free(r->system);
	free(r->last_prompt);
	cJSON_Delete(r->msgs);
	cJSON_Delete(r->extra);
	sl_free(&r->stop);
	sl_free(&r->models);
}

static int
repl_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct repl		 r;
	struct sigaction	 sa, old;
	struct strbuf		 in = STRBUF_INIT;
	struct err		 le = ERR_INIT;
	char			*hist = NULL, *cmd;
	int			 rc = -1, got;

	(void)argc;
	(void)argv;
	if (ctx->g.output != NULL)
		return err_set(e, EXIT_USAGE, "repl: -o is not supported "
		    "(use /save FILE for JSON)");
	if (repl_setup(&r, ctx, e) != 0)
		goto out;
	if (r.tty && r.history)
		hist = A.history ? xstrdup(A.history) : repl_history_path();
	if ((r.in = repl_input_open(r.tty, hist, repl_complete, &r, e)) ==
	    NULL)
		goto out;
	if (A.load != NULL) {
		cmd = xasprintf("/load %s", A.load);
		got = repl_command(&r, cmd, e);
		free(cmd);
		if (got != 0)
			goto out;
	}
	if (r.model == NULL && ask_pick_model(&r.t, A.model, "repl",
	    "/model NAME", &r.model, &le) != 0) {
		if (le.code == EXIT_AUTH || le.code == EXIT_UNREACHABLE ||
		    le.code == EXIT_NOTFOUND) {
			err_move(e, &le);
			goto out;
		}
		/* Several models: the user picks one in the session. */
		repl_error(&r, &le);
		r.status = 0;
		r.n_errors = 0;
	} else if (A.model != NULL && r.model != NULL &&
	    strcmp(r.model, A.model) != 0) {
		free(r.model);
		r.model = xstrdup(A.model);
	}
	if (r.tty)
		repl_note(&r, "maasctl repl: %s at %s; /help for commands, "
		    "Ctrl-D to leave", r.model ? r.model : "no model",
		    r.t.base);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;	/* no SA_RESTART: reads return */
	sigaction(SIGINT, &sa, &old);
	while (!r.quit) {
		if ((got = read_input(&r, &in, &le)) <= 0) {
			if (le.code != 0) {
				err_move(e, &le);
				sigaction(SIGINT, &old, NULL);
				goto out;
			}
			if (r.tty)
				fputc('\n', stdout);
			break;
		}
		if (in.buf[0] == '/' && in.buf[1] != '/')
			got = repl_command(&r, in.buf, &le);
		else if (in.len == 0)
			continue;
		else
			got = repl_send(&r, in.buf + (in.buf[0] == '/'), &le);
		if (got != 0 && le.code == EXIT_INTERRUPTED && !r.tty) {
			err_move(e, &le);
			sigaction(SIGINT, &old, NULL);
			goto out;
		}
		repl_error(&r, &le);
	}
	sigaction(SIGINT, &old, NULL);
	if (r.status != 0) {
		/* A script saw failures: they were reported one by one. */
		err_set(e, r.status, "repl: %lu line%s failed (see above); "
		    "the exit status is the first failure's", r.n_errors,
		    r.n_errors == 1 ? "" : "s");
		goto out;
	}
	rc = 0;
out:
	repl_teardown(&r);
	sb_free(&in);
	free(hist);
	return rc;
}

const struct command cmd_repl = {
	.name = "repl",
	.summary = "Test prompts interactively: streaming, history, "
	    "/commands",
	.usage = "[-m MODEL] [--system TEXT] [--load FILE] [--endpoint URL]",
	.opts = repl_opts,
	.run = repl_run,
	.max_args = 0,
};
