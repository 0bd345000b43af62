/*
 * duration.h: Go-style durations ("1h30m", "500ms", "1.5h"), day suffix
 * ("90d"), bare seconds ("30"), and MaaS token-rate windows ("1m", "24h").
 */
#ifndef MAAS_DURATION_H
#define MAAS_DURATION_H

#include "err.h"

/* Parse a duration into seconds; -1 with an EXIT_USAGE error if malformed. */
int	 duration_parse(const char *, double *secs, struct err *);
/* Format seconds the way Go does: "1h30m0s", "500ms", "0s". Caller frees. */
char	*duration_format(double secs);
/* Parse a token window ("1m", "24h"; digits then one of s m h d). */
int	 duration_window(const char *, double *secs, struct err *);
/* The seconds of a window matching the CRD pattern ^[1-9]\d{0,3}(s|m|h)$
 * (no upper bound checked), or -1 when it does not match. */
long	 duration_window_seconds(const char *);

#endif
