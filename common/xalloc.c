/*
 * xalloc.c: allocation wrappers, strbuf and strlist.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static void __attribute__((noreturn))
oom(size_t n)
{
	fprintf(stderr, "maasctl: out of memory allocating %zu bytes\n", n);
	abort();
}

void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n ? n : 1)) == NULL)
		oom(n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void	*p;

	if (size != 0 && nmemb > (size_t)-1 / size)
		oom((size_t)-1);
	if ((p = calloc(nmemb ? nmemb : 1, size ? size : 1)) == NULL)
		oom(nmemb * size);
	return p;
}

void *
xrealloc(void *old, size_t n)
{
	void	*p;

	if ((p = realloc(old, n ? n : 1)) == NULL)
		oom(n);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p;
	size_t	 len;

	len = strnlen(s, n);
	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	va_list	 ap2;
	int	 n;
	char	*p;
	char	 small[256];

	/* Most strings fit a stack buffer: formatted once, then copied. */
	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof small, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		oom(0);
	p = xmalloc((size_t)n + 1);
	if ((size_t)n < sizeof small)
		memcpy(p, small, (size_t)n + 1);
	else
		vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void
xfree_secret(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void
sb_init(struct strbuf *sb)
{
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

static void
sb_grow(struct strbuf *sb, size_t extra)
{
	size_t	 need;

	need = sb->len + extra + 1;
	if (need <= sb->cap)
		return;
	if (sb->cap == 0)
		sb->cap = 64;
	while (sb->cap < need)
		sb->cap *= 2;
	sb->buf = xrealloc(sb->buf, sb->cap);
}

void
sb_add(struct strbuf *sb, const void *p, size_t n)
{
	sb_grow(sb, n);
	if (n > 0)
		memcpy(sb->buf + sb->len, p, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void
sb_adds(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

void
sb_addc(struct strbuf *sb, int c)
{
	char	 ch = (char)c;

	sb_add(sb, &ch, 1);
}

void
sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list	 ap2;
	int	 n;

	/* Straight into the room left when there is some; again, after
	 * growing, only when the text did not fit. */
	va_copy(ap2, ap);
	if (sb->cap > sb->len)
		n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap2);
	else
		n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		if (sb->buf != NULL)
			sb->buf[sb->len] = '\0';
		return;
	}
	if (sb->len + (size_t)n >= sb->cap) {
		sb_grow(sb, (size_t)n);
		vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	}
	sb->len += (size_t)n;
}

void
sb_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	sb_vaddf(sb, fmt, ap);
	va_end(ap);
}

void
sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf != NULL)
		sb->buf[0] = '\0';
}

char *
sb_detach(struct strbuf *sb)
{
	char	*p;

	if (sb->buf == NULL)
		return xstrdup("");
	p = sb->buf;
	sb_init(sb);
	return p;
}

void
sb_free(struct strbuf *sb)
{
	free(sb->buf);
	sb_init(sb);
}

void
sb_free_secret(struct strbuf *sb)
{
	if (sb->buf != NULL)
		explicit_bzero(sb->buf, sb->cap);
	sb_free(sb);
}

void
sl_take(struct strlist *sl, char *s)
{
	if (sl->n + 2 > sl->cap) {
		sl->cap = sl->cap ? sl->cap * 2 : 8;
		sl->v = xrealloc(sl->v, sl->cap * sizeof *sl->v);
	}
	sl->v[sl->n++] = s;
	sl->v[sl->n] = NULL;
}

void
sl_add(struct strlist *sl, const char *s)
{
	sl_take(sl, xstrdup(s));
}

void
sl_addf(struct strlist *sl, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	sl_take(sl, xvasprintf(fmt, ap));
	va_end(ap);
}

int
sl_has(const struct strlist *sl, const char *s)
{
	size_t	 i;

	for (i = 0; i < sl->n; i++)
		if (strcmp(sl->v[i], s) == 0)
			return 1;
	return 0;
}

static int
sl_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
sl_sort(struct strlist *sl)
{
	if (sl->n > 1)
		qsort(sl->v, sl->n, sizeof *sl->v, sl_cmp);
}

void
sl_free(struct strlist *sl)
{
	size_t	 i;

	for (i = 0; i < sl->n; i++)
		free(sl->v[i]);
	free(sl->v);
	sl->v = NULL;
	sl->n = sl->cap = 0;
}
