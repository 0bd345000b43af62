/*
 * edit_dl.h: libedit loaded on first use (edit_dl.c, lazylib.h).
 */
#ifndef MAAS_EDIT_DL_H
#define MAAS_EDIT_DL_H

#include "err.h"

/* Load libedit.so.2 now: 0, or -1 with an error naming it. */
int	 edit_dl_load(struct err *);

#endif
