/*
 * xalloc.h: allocation that never returns NULL, growable strings (strbuf)
 * and string lists (strlist).  Out of memory aborts with a message, so
 * callers never check for NULL (tmux, OpenBSD style).
 */
#ifndef MAAS_XALLOC_H
#define MAAS_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
char	*xvasprintf(const char *, va_list) __attribute__((format(printf, 1, 0)));
/* Wipe then free a secret string (token, key, PEM); NULL is a no-op. */
void	 xfree_secret(char *);

/* A growable NUL-terminated byte buffer. */
struct strbuf {
	char	*buf;	/* always NUL-terminated once initialised */
	size_t	 len;	/* bytes used, excluding the NUL */
	size_t	 cap;	/* bytes allocated */
};
#define STRBUF_INIT { NULL, 0, 0 }

void	 sb_init(struct strbuf *);
void	 sb_add(struct strbuf *, const void *, size_t);
void	 sb_adds(struct strbuf *, const char *);
void	 sb_addc(struct strbuf *, int);
void	 sb_addf(struct strbuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 sb_vaddf(struct strbuf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
void	 sb_reset(struct strbuf *);
/* Hand the buffer to the caller (never NULL) and reset the strbuf. */
char	*sb_detach(struct strbuf *);
void	 sb_free(struct strbuf *);
/* Like sb_free, but wipes the bytes first. */
void	 sb_free_secret(struct strbuf *);

/* A growable NULL-terminated array of owned strings. */
struct strlist {
	char	**v;	/* v[n] == NULL once anything was added */
	size_t	  n;	/* number of strings */
	size_t	  cap;	/* slots allocated */
};
#define STRLIST_INIT { NULL, 0, 0 }

void	 sl_add(struct strlist *, const char *);
void	 sl_addf(struct strlist *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Take ownership of an allocated string. */
void	 sl_take(struct strlist *, char *);
int	 sl_has(const struct strlist *, const char *);
void	 sl_sort(struct strlist *);
void	 sl_free(struct strlist *);

#endif
