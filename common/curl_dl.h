/*
 * curl_dl.h: libcurl loaded on first use.  maasctl does not link libcurl:
 * curl_dl.c defines the curl_* functions the code calls and forwards them
 * to libcurl.so.4, opened with dlopen the first time one is needed, so the
 * commands that never need libcurl (everything but proxied requests,
 * bench and its helpers) never map its ~30 shared libraries.
 */
#ifndef MAAS_CURL_DL_H
#define MAAS_CURL_DL_H

#include "err.h"

/* The library file opened, and the Debian package that ships it. */
#define CURL_DL_SONAME	"libcurl.so.4"
#define CURL_DL_PACKAGE	"libcurl4"

/*
 * Load libcurl if it is not loaded yet: 0, or -1 with one error naming
 * the library and the package to install.  A curl_* call made without a
 * successful load prints that error and exits (status 1).
 */
int	 curl_dl_load(struct err *);
/* Whether libcurl is loaded (never loads it). */
int	 curl_dl_loaded(void);

#endif
