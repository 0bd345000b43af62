/*
 * term.h: the terminal side of maasctl: tty detection, colour, the stderr
 * logger behind -v, a progress line, and redaction of secrets.
 *
 * term.c is one of the two common/ files allowed to print (output.c is
 * the other); everything it prints goes to stderr, and every log line is
 * passed through term_redact() first.
 */
#ifndef MAAS_TERM_H
#define MAAS_TERM_H

#include <stddef.h>

/* Log levels for term_log (kubectl's -v meaning where there is one). */
#define TERM_LOG_WARN	0	/* always shown */
#define TERM_LOG_INFO	1	/* -v 1 and up */
#define TERM_LOG_DEBUG	4	/* -v 4 and up */
#define TERM_LOG_HTTP	6	/* -v 6: method, URL, status, time */
#define TERM_LOG_HEADERS 7	/* -v 7: request and response headers */
#define TERM_LOG_BODY	8	/* -v 8: bodies truncated to 1 KiB */
#define TERM_LOG_FULL	9	/* -v 9: full bodies and TLS details */

/*
 * Decide tty and colour once: stderr is a tty (or MAASCTL_FORCE_TTY=1),
 * and colour is on only on a tty, without NO_COLOR and without no_color.
 */
void	 term_init(int no_color);
/* Whether stderr is treated as a terminal. */
int	 term_is_tty(void);
/* Whether colour escapes may be written. */
int	 term_color(void);
/* Set the -v level; term_log prints only levels <= this. */
void	 term_set_verbosity(int level);
/* The current -v level. */
int	 term_verbosity(void);
/* Whether a message at this level would be printed. */
int	 term_enabled(int level);
/* Print one redacted line on stderr when level <= the -v level. */
void	 term_log(int level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Print "warning: <msg>" on stderr (redacted), whatever the -v level. */
void	 term_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Show progress on stderr: "label  [=====     ]  45%  (done/total)".
 * On a tty the line is redrawn in place with \r; otherwise a plain line is
 * printed when the label changes or at each further 10%.  total <= 0 shows
 * only the count.
 */
void	 term_progress(const char *label, double done, double total);
/* Finish the progress line (newline on a tty); safe to call twice. */
void	 term_progress_end(void);

/*
 * Return a copy of s with secrets replaced by REDACTED: Authorization,
 * Proxy-Authorization and x-api-key header values, "Bearer <x>", sk-oai-
 * keys (also base64-encoded), JWTs, JSON "token"-like and password values, "key":"sk-..." and
 * private key PEM blocks.  Caller frees.
 */
char	*term_redact(const char *s);
/* Same for a byte range (need not be NUL-terminated). */
char	*term_redact_n(const char *s, size_t len);

#endif
