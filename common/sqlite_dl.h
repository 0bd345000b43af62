/*
 * sqlite_dl.h: SQLite loaded on first use (sqlite_dl.c, lazylib.h).
 */
#ifndef MAAS_SQLITE_DL_H
#define MAAS_SQLITE_DL_H

#include "err.h"

/* Load libsqlite3.so.0 now: 0, or -1 with an error naming it. */
int	 sqlite_dl_load(struct err *);
/* Whether SQLite is loaded (never loads it). */
int	 sqlite_dl_loaded(void);

#endif
