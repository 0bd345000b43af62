/*
 * err.c: error values and their mapping to exit statuses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "xalloc.h"

int
err_vset(struct err *e, int code, const char *fmt, va_list ap)
{
	if (e == NULL)
		return -1;
	err_clear(e);
	e->code = code ? code : EXIT_ERR;
	e->msg = xvasprintf(fmt, ap);
	return -1;
}

int
err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	err_vset(e, code, fmt, ap);
	va_end(ap);
	return -1;
}

int
err_set_raw(struct err *e, int code, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	err_vset(e, code, fmt, ap);
	va_end(ap);
	if (e != NULL)
		e->raw = 1;
	return -1;
}

void
err_hint(struct err *e, const char *fmt, ...)
{
	va_list	 ap;

	if (e == NULL)
		return;
	free(e->hint);
	va_start(ap, fmt);
	e->hint = xvasprintf(fmt, ap);
	va_end(ap);
}

void
err_wrap(struct err *e, const char *fmt, ...)
{
	va_list	 ap;
	char	*ctx, *n;

	if (e == NULL || e->msg == NULL || e->raw)
		return;
	va_start(ap, fmt);
	ctx = xvasprintf(fmt, ap);
	va_end(ap);
	n = xasprintf("%s: %s", ctx, e->msg);
	free(ctx);
	free(e->msg);
	e->msg = n;
}

void
err_clear(struct err *e)
{
	if (e == NULL)
		return;
	free(e->msg);
	free(e->hint);
	memset(e, 0, sizeof *e);
}

void
err_move(struct err *dst, struct err *src)
{
	if (dst == NULL) {
		err_clear(src);
		return;
	}
	err_clear(dst);
	*dst = *src;
	memset(src, 0, sizeof *src);
}

static void
err_print(struct err *e)
{
	char	*m = err_format(e);

	fputs(m, stderr);
	free(m);
	err_clear(e);
}

void
err_keep_first(struct err *dst, struct err *src)
{
	if (dst->code == 0)
		err_move(dst, src);
	else
		err_print(src);
}

void
err_keep_last(struct err *dst, struct err *src)
{
	if (dst->code != 0)
		err_print(dst);
	err_move(dst, src);
}

int
err_code_for_http(int status)
{
	switch (status) {
	case 400:
	case 422:
		return EXIT_ERR;
	case 401:
	case 403:
		return EXIT_AUTH;
	case 404:
	case 410:
		return EXIT_NOTFOUND;
	case 409:
		return EXIT_CONFLICT;
	case 408:
	case 504:
		return EXIT_TIMEOUT;
	case 429:
		return EXIT_RATELIMITED;
	default:
		if (status >= 500)
			return EXIT_UNREACHABLE;
		return EXIT_ERR;
	}
}

char *
err_format(const struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;

	if (e == NULL || e->msg == NULL)
		return xstrdup("");
	if (e->raw)
		sb_adds(&sb, e->msg);
	else
		sb_addf(&sb, "maasctl: %s", e->msg);
	if (sb.len == 0 || sb.buf[sb.len - 1] != '\n')
		sb_addc(&sb, '\n');
	if (e->hint != NULL)
		sb_addf(&sb, "hint: %s\n", e->hint);
	return sb_detach(&sb);
}

const char *
err_exit_name(int code)
{
	switch (code) {
	case EXIT_OK:		return "success";
	case EXIT_ERR:		return "error";
	case EXIT_USAGE:	return "usage error";
	case EXIT_AUTH:		return "unauthenticated or forbidden";
	case EXIT_NOTFOUND:	return "not found";
	case EXIT_CONFLICT:	return "conflict or already exists";
	case EXIT_UNREACHABLE:	return "unreachable or server error";
	case EXIT_TIMEOUT:	return "timeout";
	case EXIT_RATELIMITED:	return "rate limited after retries";
	case EXIT_INTERRUPTED:	return "interrupted";
	default:		return "unknown";
	}
}
