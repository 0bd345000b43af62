/*
 * rfc3339.c: RFC 3339 date-times into seconds (see rfc3339.h).
 */
#include <string.h>
#include <time.h>

#include "rfc3339.h"

/* Exactly n digits at *p into *v, *p past them; -1 when they are not. */
static int
digits(const char **p, int n, int *v)
{
	*v = 0;
	for (; n > 0; n--, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		*v = *v * 10 + (**p - '0');
	}
	return 0;
}

/* digits(), then the byte sep. */
static int
field(const char **p, int n, int *v, char sep)
{
	if (digits(p, n, v) != 0 || **p != sep)
		return -1;
	(*p)++;
	return 0;
}

int
rfc3339_parse(const char *s, double *t)
{
	struct tm	 tm;
	const char	*p = s;
	double		 frac = 0, scale = 0.1;
	int		 y, mo, d, h, mi, sec, oh, om, off = 0;

	if (field(&p, 4, &y, '-') != 0 || field(&p, 2, &mo, '-') != 0 ||
	    digits(&p, 2, &d) != 0)
		return -1;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -1;
	p++;
	if (field(&p, 2, &h, ':') != 0 || field(&p, 2, &mi, ':') != 0 ||
	    digits(&p, 2, &sec) != 0)
		return -1;
	if (*p == '.') {
		if (*++p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		const char *q = p + 1;

		if (field(&q, 2, &oh, ':') != 0 || digits(&q, 2, &om) != 0)
			return -1;
		off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
		p = q;
	} else
		return -1;
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*t = (double)timegm(&tm) + frac - off;
	return 0;
}
