/*
 * maasval.h: client-side validation of MaaS objects (MaaSSubscription,
 * MaaSAuthPolicy, MaaSModelRef) and of the compact command-line forms
 * that build them ("NS/NAME", "LIMIT/WINDOW").
 *
 * Each object check reports the first problem in the words the API
 * server would use ("The MaaSSubscription \"x\" is invalid: <field>:
 * ..."), plus the rules the controller enforces after admission (windows
 * of at most 8784h, duplicate models, owners with no group and no user),
 * so that a bad write is refused before anything is sent.  Every error is
 * EXIT_USAGE and one line.
 */
#ifndef MAAS_MAASVAL_H
#define MAAS_MAASVAL_H

#include <cjson/cJSON.h>

#include "err.h"

#define MAASVAL_LIMIT_MAX	1000000000LL	/* tokenRateLimits[].limit */
#define MAASVAL_WINDOW_MAX_S	(8784L * 3600)	/* 366 days, controller */

/* Is s a DNS-1123 subdomain of at most 253 characters? */
int	 maasval_is_subdomain(const char *s);
/* Is s a DNS-1123 label of at most 63 characters? */
int	 maasval_is_label(const char *s);
/* Windows: duration_window_seconds() in duration.h. */

/*
 * Parse "NS/NAME" (a MaaSModelRef reference) into *ns and *name
 * (allocated).  what names the flag for the message ("--model").
 */
int	 maasval_parse_ref(const char *s, const char *what, char **ns,
	    char **name, struct err *);
/* What maasval_split_rate() found wrong with a "LIMIT/WINDOW" rate. */
enum maasval_rate {
	MAASVAL_RATE_OK,
	MAASVAL_RATE_NO_SLASH,		/* no '/' at all */
	MAASVAL_RATE_NO_LIMIT,		/* nothing before the '/' */
	MAASVAL_RATE_NOT_WHOLE		/* before the '/' is not a whole number
					 * (or does not fit a long long) */
};

/*
 * Split one "LIMIT/WINDOW" rate at its first '/': the limit (strtoll, so
 * a sign is taken) into *limit and the window, unchecked, as a pointer into
 * s after the slash.  The one parser behind every rate flag; each caller
 * checks ranges and words its own messages.
 */
enum maasval_rate maasval_split_rate(const char *s, long long *limit,
	    const char **window);

/*
 * Parse "LIMIT/WINDOW[,LIMIT/WINDOW]..." into a new tokenRateLimits
 * array ([{"limit":N,"window":"W"}]).  Only the shape is checked here
 * (numbers and slashes); ranges and patterns are left to
 * maasval_subscription so that their messages are the server's.
 */
cJSON	*maasval_parse_limits(const char *s, const char *what, struct err *);

/* Check a whole MaaSSubscription as the server and controller would. */
int	 maasval_subscription(const cJSON *obj, struct err *);
/* Check a whole MaaSAuthPolicy. */
int	 maasval_authpolicy(const cJSON *obj, struct err *);
/* Check a whole MaaSModelRef (spec and the annotations maas-api reads). */
int	 maasval_modelref(const cJSON *obj, struct err *);

#endif
