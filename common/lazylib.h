/*
 * lazylib.h: shared libraries opened with dlopen on first use.  maasctl
 * links only what every command needs; libcurl (proxied requests, bench),
 * SQLite (the sandbox's store) and libedit (the REPL) are loaded by the
 * commands that use them, through small files (curl_dl.c, sqlite_dl.c,
 * edit_dl.c) that define the functions the code calls and forward them.
 * A kube or maas-api command then maps none of them.
 */
#ifndef MAAS_LAZYLIB_H
#define MAAS_LAZYLIB_H

#include <pthread.h>

#include "err.h"

/* One library loaded on first use. */
struct lazylib {
	const char	*soname;	/* file to dlopen, e.g. "libcurl.so.4" */
	const char	*package;	/* Debian package shipping it */
	const char	*what;		/* what it is, for the hint */
	const char	*const *names;	/* symbols to resolve, NULL-ended */
	void		**slots;	/* where each goes (same order) */
	pthread_once_t	 once;		/* PTHREAD_ONCE_INIT */
	int		 ok;		/* loaded and resolved */
	char		 why[512];	/* why loading failed */
};

/* Load if not yet loaded: 0, or -1 with an error naming the library and
 * the package to install (exit status 1). */
int	 lazylib_load(struct lazylib *, struct err *);
/* Load, or print that error on stderr and exit 1 (a call that cannot go
 * on without the library). */
void	 lazylib_need(struct lazylib *);

#endif
