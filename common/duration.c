/*
 * duration.c: durations in Go syntax plus days and bare seconds, and the
 * MaaS token-rate window syntax (^[1-9]\d{0,3}(s|m|h)$, at most 8784h).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "xalloc.h"

/* Seconds per unit; the longest unit names are tried first. */
static const struct {
	const char	*name;
	double		 secs;
} units[] = {
	{ "ns", 1e-9 }, { "us", 1e-6 }, { "\xc2\xb5s", 1e-6 },
	{ "\xce\xbcs", 1e-6 }, { "ms", 1e-3 }, { "s", 1 }, { "m", 60 },
	{ "h", 3600 }, { "d", 86400 }
};

static int
bad(struct err *e, const char *s, const char *why)
{
	return err_set(e, EXIT_USAGE, "invalid duration \"%s\": %s", s, why);
}

int
duration_parse(const char *s, double *secs, struct err *e)
{
	const char	*p = s;
	char		*end;
	double		 total = 0, v;
	size_t		 i, best, blen, n;

	if (s == NULL || *s == '\0')
		return bad(e, s ? s : "", "empty");
	if (*p == '+')
		p++;
	if (*p == '-')
		return bad(e, s, "must not be negative");
	errno = 0;
	v = strtod(p, &end);
	if (end != p && *end == '\0' && errno == 0 && isfinite(v)) {
		/* A bare number is seconds ("30", "1.5"). */
		*secs = v;
		return 0;
	}
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p) && *p != '.')
			return bad(e, s, "expected a number");
		errno = 0;
		v = strtod(p, &end);
		if (end == p || errno != 0 || !isfinite(v) ||
		    (*p == '.' && !isdigit((unsigned char)p[1])))
			return bad(e, s, "expected a number");
		for (const char *q = p; q < end; q++)
			if (*q == 'e' || *q == 'E' || *q == 'x' || *q == 'X')
				return bad(e, s, "expected a number");
		p = end;
		best = sizeof units / sizeof units[0];
		blen = 0;
		for (i = 0; i < sizeof units / sizeof units[0]; i++) {
			n = strlen(units[i].name);
			if (n > blen && strncmp(p, units[i].name, n) == 0) {
				best = i;
				blen = n;
			}
		}
		if (best == sizeof units / sizeof units[0])
			return bad(e, s, *p == '\0' ? "missing unit" :
			    "unknown unit (use ns, us, ms, s, m, h or d)");
		total += v * units[best].secs;
		p += blen;
	}
	if (total > 1e12)
		return bad(e, s, "too large");
	*secs = total;
	return 0;
}

/* Append a number with up to 9 decimals, trailing zeros removed. */
static void
add_fixed(struct strbuf *sb, double v)
{
	char	 buf[64];
	size_t	 n;

	snprintf(buf, sizeof buf, "%.9f", v);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
	sb_adds(sb, buf);
}

char *
duration_format(double secs)
{
	struct strbuf	 sb = STRBUF_INIT;
	long long	 h, m;
	double		 s;

	if (secs < 0) {
		sb_addc(&sb, '-');
		secs = -secs;
	}
	if (secs == 0)
		sb_adds(&sb, "0s");
	else if (secs < 1e-6) {
		add_fixed(&sb, round(secs * 1e9));
		sb_adds(&sb, "ns");
	} else if (secs < 1e-3) {
		add_fixed(&sb, round(secs * 1e9) / 1e3);
		sb_adds(&sb, "\xc2\xb5s");
	} else if (secs < 1) {
		add_fixed(&sb, round(secs * 1e9) / 1e6);
		sb_adds(&sb, "ms");
	} else {
		h = (long long)(secs / 3600);
		m = (long long)((secs - (double)h * 3600) / 60);
		s = secs - (double)h * 3600 - (double)m * 60;
		if (h > 0)
			sb_addf(&sb, "%lldh", h);
		if (h > 0 || m > 0)
			sb_addf(&sb, "%lldm", m);
		add_fixed(&sb, round(s * 1e9) / 1e9);
		sb_addc(&sb, 's');
	}
	return sb_detach(&sb);
}

long
duration_window_seconds(const char *s)
{
	size_t	 n, i;
	long	 mult;

	n = s ? strlen(s) : 0;
	if (n < 2 || n > 5 || s[0] < '1' || s[0] > '9')
		return -1;
	for (i = 1; i < n - 1; i++)
		if (!isdigit((unsigned char)s[i]))
			return -1;
	switch (s[n - 1]) {
	case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	default: return -1;
	}
	return strtol(s, NULL, 10) * mult;
}

int
duration_window(const char *s, double *secs, struct err *e)
{
	long	 v = duration_window_seconds(s);

	if (v < 0) {
		err_set(e, EXIT_USAGE, "invalid window \"%s\": want 1-9999 "
		    "followed by s, m or h, e.g. 1m, 1h, 24h (days are not "
		    "allowed)", s ? s : "");
		return -1;
	}
	if (v > 8784L * 3600)
		return err_set(e, EXIT_USAGE,
		    "invalid window \"%s\": longer than 8784h (366 days)", s);
	*secs = (double)v;
	return 0;
}
