/*
 * repl.h: the parts of `maasctl repl` shared by repl.c (the session, its
 * requests and the line loop), repl_cmds.c (the /commands) and repl_edit.c
 * (line input: libedit on a terminal, plain lines otherwise, the history
 * file and tab completion).
 */
#ifndef MAAS_REPL_H
#define MAAS_REPL_H

#include <signal.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "target.h"

/* Line input: libedit on a terminal, getline() otherwise. */
struct repl_input;

/* Candidates for the word that starts at line[start] (the cursor is at
 * the end of line); add them to out. */
typedef void (*repl_complete_fn)(const char *line, size_t start,
    struct strlist *out, void *arg);

/*
 * Open input on standard input: with tty, libedit with history loaded
 * from histfile (NULL: no history file) and completion through fn.
 */
struct repl_input *repl_input_open(int tty, const char *histfile,
	    repl_complete_fn fn, void *arg, struct err *);
/*
 * Read one line (without its newline) showing prompt on a terminal.
 * NULL at end of input (Ctrl-D); *interrupted is set and "" returned when
 * Ctrl-C cleared the line.  The line is valid until the next call.
 */
const char	*repl_input_read(struct repl_input *, const char *prompt,
		    int *interrupted);
/* Remember a line in the history and the history file, unless it holds
 * a secret (an sk-oai- key, a bearer token, a JWT, a password value). */
void		 repl_input_remember(struct repl_input *, const char *line);
/* Whether lines are remembered (/set history on|off). */
void		 repl_input_set_history(struct repl_input *, int on);
void		 repl_input_close(struct repl_input *);
/* Whether a line holds something that must never be written down. */
int		 repl_line_secret(const char *line);
/* The default history file: $XDG_STATE_HOME/maasctl/repl_history, else
 * ~/.local/state/maasctl/repl_history; NULL when neither is absolute. */
char		*repl_history_path(void);

/* One interactive session. */
struct repl {
	struct ctx		*ctx;		/* globals */
	struct target		 t;		/* where prompts go */
	struct repl_input	*in;		/* line input */
	int			 tty;		/* stdin is a terminal */
	int			 color;		/* colour on stderr */
	char			*model;		/* current model or NULL */
	char			*system;	/* system prompt or NULL */
	cJSON			*msgs;		/* conversation turns */
	char			*last_prompt;	/* for /retry and /compare */
	double			 temperature;	/* < 0: unset */
	double			 top_p;		/* < 0: unset */
	long			 max_tokens;	/* < 0: unset */
	long			 seed;		/* used when has_seed */
	int			 has_seed;
	struct strlist		 stop;		/* stop sequences */
	cJSON			*extra;		/* other request fields */
	int			 stream;	/* stream answers */
	int			 multiline;	/* Enter adds a line */
	int			 history;	/* remember lines */
	struct strlist		 models;	/* model ids for completion */
	int			 models_known;	/* models holds the list */
	int			 quit;		/* /exit seen */
	int			 status;	/* first failure's exit code */
	unsigned long		 n_errors;	/* errors reported */
	/* Session totals for /usage. */
	unsigned long		 n_requests;	/* answers asked for */
	unsigned long		 n_failed;	/* ... that failed */
	unsigned long		 n_cancelled;	/* ... cancelled by Ctrl-C */
	long			 prompt_tokens;	/* server-reported usage */
	long			 completion_tokens;
	double			 ttft_sum;	/* seconds, over n_ttft */
	unsigned long		 n_ttft;
	double			 gen_time;	/* decode seconds, over gen_tokens */
	long			 gen_tokens;
};

/* Set by the SIGINT handler while an answer is being received. */
extern volatile sig_atomic_t repl_cancel;

/* Send prompt to the current model as the next user turn and show the
 * answer; the conversation grows only when an answer completes. */
int	 repl_send(struct repl *, const char *prompt, struct err *);
struct ask;
/* Add an exchange's usage and timing to the session totals. */
void	 repl_tally(struct repl *, const struct ask *);
/* Run one line starting with '/'; -1 with e for a failed command. */
int	 repl_command(struct repl *, const char *line, struct err *);
/* Read lines until a line that ends in `"""` (the text before it kept),
 * appending them to sb; -1 at end of input or on Ctrl-C. */
int	 repl_read_block(struct repl *, struct strbuf *sb);
/* Fetch the target's model ids into r->models (cached). */
int	 repl_load_models(struct repl *, int refresh, struct err *);
/* Build the request body for the conversation plus a user prompt (NULL:
 * the conversation as it is) for model (NULL: the current model). */
cJSON	*repl_body(const struct repl *, const char *model,
	    const char *prompt, int stream);
/* Print a line on stderr, dimmed when colour is on (not for errors). */
void	 repl_note(const struct repl *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Print an error as maasctl does, and clear it. */
void	 repl_error(struct repl *, struct err *);
/* Tab completion: /commands, model names after /model and /compare, keys
 * after /set, files after /save and /load. */
void	 repl_complete(const char *line, size_t start, struct strlist *out,
	    void *arg);

#endif
