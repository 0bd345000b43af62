/*
 * lazylib.c: open a shared library on first use and resolve the symbols a
 * forwarding file needs (see lazylib.h); one clear error when it cannot.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lazylib.h"

/* pthread_once takes no argument: the library being loaded. */
static __thread struct lazylib *loading;

static void
open_once(void)
{
	struct lazylib	*l = loading;
	const char	*e;
	void		*h;
	size_t		 i;

	h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		e = dlerror();
		snprintf(l->why, sizeof l->why, "%s", e != NULL ? e :
		    "not found");
		return;
	}
	for (i = 0; l->names[i] != NULL; i++) {
		/* POSIX: a function pointer's bits travel through void *. */
		l->slots[i] = dlsym(h, l->names[i]);
		if (l->slots[i] == NULL) {
			snprintf(l->why, sizeof l->why, "it has no %s (too old?)",
			    l->names[i]);
			return;
		}
	}
	l->ok = 1;
}

int
lazylib_load(struct lazylib *l, struct err *e)
{
	if (!l->ok) {
		loading = l;
		pthread_once(&l->once, open_once);
		loading = NULL;
	}
	if (l->ok)
		return 0;
	err_set(e, EXIT_ERR, "cannot load %s: %s", l->soname, l->why);
	err_hint(e, "install the %s package (%s)", l->package, l->what);
	return -1;
}

void
lazylib_need(struct lazylib *l)
{
	if (l->ok || lazylib_load(l, NULL) == 0)
		return;
	fprintf(stderr, "maasctl: cannot load %s: %s\nhint: install the %s "
	    "package (%s)\n", l->soname, l->why, l->package, l->what);
	exit(EXIT_ERR);
}
