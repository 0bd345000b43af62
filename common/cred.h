/*
 * cred.h: reading secrets (API keys, tokens) without putting them in argv.
 *
 * A secret option takes "@FILE" (read from a file), "-" (read one line
 * from standard input), or "env:NAME" (read an environment variable).  A
 * literal value is refused, so a key never shows in `ps` or shell
 * history.  Trailing whitespace and newlines are removed.
 */
#ifndef MAAS_CRED_H
#define MAAS_CRED_H

#include "err.h"

/* Read the secret named by spec into *out (wipe with xfree_secret). */
int	 cred_read(const char *spec, const char *what, char **out,
	    struct err *);

#endif
