/*
 * ask.h: one chat/completions exchange with an OpenAI-compatible target,
 * streamed or not, shared by `maasctl chat` and `maasctl repl`: the
 * request, the SSE stream fed into one accumulator, the clock (TTFT,
 * tokens/s), cancellation by a flag a signal handler sets, and the error
 * lines for broken, cut or refused answers.
 */
#ifndef MAAS_ASK_H
#define MAAS_ASK_H

#include <signal.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "http.h"
#include "openai.h"
#include "target.h"

/*
 * The sampling rows chat and repl share in their option tables: struct s
 * has temperature, top_p (double), max_tokens, seed (int), stop and
 * params (struct strlist); maxtok_help is --max-tokens' help text.
 */
#define ASK_SAMPLING_OPTS(s, maxtok_help)				\
	{ "temperature", 0, OPT_DOUBLE, &(s).temperature, "T",		\
	  "sampling temperature", 0, NULL, NULL, 0, 0 },		\
	{ "top-p", 0, OPT_DOUBLE, &(s).top_p, "P",			\
	  "nucleus sampling probability", 0, NULL, NULL, 0, 0 },	\
	{ "max-tokens", 0, OPT_INT, &(s).max_tokens, "N",		\
	  maxtok_help, 0, NULL, NULL, 1, 100000000 },			\
	{ "seed", 0, OPT_INT, &(s).seed, "N",				\
	  "sampling seed (same seed, same answer)", 0, NULL, NULL, 0,	\
	  2147483647 },							\
	{ "stop", 0, OPT_LIST, &(s).stop, "TEXT",			\
	  "stop sequence (repeatable)", 0, NULL, NULL, 0, 0 },		\
	{ "param", 'p', OPT_LIST, &(s).params, "KEY=VALUE",		\
	  "any other request field, JSON-typed (repeatable)", 0, NULL,	\
	  NULL, 0, 0 }

/* Called with each piece of the answer as it streams in. */
typedef void (*ask_delta_fn)(const char *text, void *arg);

/* One exchange: inputs set by the caller, results filled by ask_run. */
struct ask {
	struct target		*t;		/* where to send it */
	const char		*what;		/* error prefix: "chat" */
	const cJSON		*body;		/* request body (borrowed) */
	int			 completions;	/* /completions, not chat */
	int			 stream;	/* ask for SSE */
	ask_delta_fn		 on_content;	/* answer text, or NULL */
	ask_delta_fn		 on_reasoning;	/* reasoning text, or NULL */
	void			*arg;		/* passed to the two above */
	volatile sig_atomic_t	*cancel;	/* set: stop (Ctrl-C), or NULL */

	struct oai_acc		 acc;		/* the assembled answer */
	struct http_response	 res;		/* the HTTP exchange */
	double			 t0;		/* request sent (monotonic s) */
	double			 t_first;	/* first token, 0 if none */
	double			 t_last;	/* last token */
	double			 t_end;		/* exchange over */
	int			 cancelled;	/* stopped by *cancel */
};

/* Set up an exchange with target t; errors start with `what`. */
void	 ask_init(struct ask *, struct target *t, const char *what,
	    int completions);
/*
 * Send the request and assemble the answer.  0 when a complete answer
 * arrived; -1 with e set otherwise: HTTP errors as target_http_error says,
 * a broken or cut stream (exit 6), an error frame (6), or cancellation
 * (EXIT_INTERRUPTED, a->cancelled set, the partial answer kept in acc).
 */
int	 ask_run(struct ask *, struct err *);
/* Free what ask_run filled in. */
void	 ask_free(struct ask *);
/* Time to first token in seconds, or -1 when no token came. */
double	 ask_ttft(const struct ask *);
/* Decode rate after the first token (tokens/s), or -1 when unknown. */
double	 ask_rate(const struct ask *);
/* Print chat's usage line: "usage: prompt P, completion C, total T
 * tokens; TTFT N ms; R tokens/s; N ms total". */
void	 ask_print_usage(FILE *, const struct ask *);
/*
 * The model to use: `requested` if given, else the only ready model the
 * target lists; otherwise an error (prefixed `what`) naming the choices
 * and pointing at `how` ("-m", "/model NAME").
 */
int	 ask_pick_model(struct target *, const char *requested,
	    const char *what, const char *how, char **model, struct err *);
/* Completion provider "@model": the ids of the ready models at the target
 * the global flags, environment and profile name (errors: none). */
int	 ask_complete_models(struct ctx *, struct strlist *out);

#endif
