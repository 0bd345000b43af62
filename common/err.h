/*
 * err.h: error values and the exit-code table.
 *
 * Fallible functions in common/ take a `struct err *` (which may be NULL)
 * and return -1 or NULL after filling it; only cli/main.c turns an error
 * into output and an exit status.  common/ never prints and never exits.
 */
#ifndef MAAS_ERR_H
#define MAAS_ERR_H

#include <stdarg.h>

/* Exit statuses, documented under EXIT STATUS in maasctl(1). */
enum maas_exit {
	EXIT_OK = 0,		/* success */
	EXIT_ERR = 1,		/* general or API error (kubectl compatible) */
	EXIT_USAGE = 2,		/* bad flag, argument or input */
	EXIT_AUTH = 3,		/* kubeconfig/auth error, 401 or 403 */
	EXIT_NOTFOUND = 4,	/* not found */
	EXIT_CONFLICT = 5,	/* conflict or already exists */
	EXIT_UNREACHABLE = 6,	/* unreachable, TLS failure, 5xx after retries */
	EXIT_TIMEOUT = 7,	/* timed out */
	EXIT_RATELIMITED = 8,	/* rate limited after retries */
	EXIT_INTERRUPTED = 130	/* SIGINT */
};

/* An error: what failed, an optional hint, and the exit status it maps to. */
struct err {
	int	 code;		/* enum maas_exit; 0 when no error is set */
	char	*msg;		/* one line, no trailing newline */
	char	*hint;		/* optional second line, NULL if none */
	int	 raw;		/* print msg as-is (kubectl-style), no prefix */
	int	 http_status;	/* HTTP status behind the error, 0 if none */
};
#define ERR_INIT { 0, NULL, NULL, 0, 0 }

/* Set (replacing any earlier) error; printed as "maasctl: <msg>". */
int	 err_set(struct err *, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	 err_vset(struct err *, int code, const char *fmt, va_list)
	    __attribute__((format(printf, 3, 0)));
/* Set an error printed exactly as given (kubectl's own message forms). */
int	 err_set_raw(struct err *, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Attach a hint line, printed as "hint: <text>". */
void	 err_hint(struct err *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Prefix the message with context: "<ctx>: <old msg>" (not for raw). */
void	 err_wrap(struct err *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 err_clear(struct err *);
/* Move src into dst (dst cleared first); src is left empty. */
void	 err_move(struct err *dst, struct err *src);
/*
 * For commands that go on after one object of several fails.  Keep the
 * first error: move src into dst when dst holds none, else print src to
 * stderr (as err_format) and clear it.  Keep the last: print what dst
 * holds, if anything, and move src into it.
 */
void	 err_keep_first(struct err *dst, struct err *src);
void	 err_keep_last(struct err *dst, struct err *src);
/* The exit status for an HTTP status code (401->3, 404->4, 409->5, ...). */
int	 err_code_for_http(int status);
/* The user-facing text: "maasctl: msg\nhint: ...\n" or the raw message. */
char	*err_format(const struct err *);
const char *err_exit_name(int code);

#endif
