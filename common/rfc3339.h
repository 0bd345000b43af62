/*
 * rfc3339.h: RFC 3339 date-times ("2026-11-22T13:13:42Z", "...42.5+01:00")
 * read into seconds since the epoch.
 */
#ifndef MAAS_RFC3339_H
#define MAAS_RFC3339_H

/*
 * Parse s, the whole of it: YYYY-MM-DD, then T (or t, or a space, as RFC
 * 3339 allows), hh:mm:ss, an optional fraction (a dot and digits), then Z
 * (or z) or an offset +hh:mm / -hh:mm.  0 with *t set, or -1 when s is
 * not such a time.  By hand, not sscanf or strptime: a listing parses one
 * per row.
 */
int	 rfc3339_parse(const char *s, double *t);

#endif
