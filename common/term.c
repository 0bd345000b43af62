/*
 * term.c: tty detection, colour, the -v logger, the progress line and the
 * redaction of secrets in anything logged.  All output goes to stderr.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "term.h"
#include "xalloc.h"

static int	 term_tty = -1;		/* -1: not decided yet */
static int	 term_colour;
static int	 term_level;

static struct {
	char	*label;
	int	 active;	/* a \r line is on screen */
	int	 last_pct;	/* last printed step (non-tty) */
} progress = { NULL, 0, -1 };

void
term_init(int no_color)
{
	const char	*force = getenv("MAASCTL_FORCE_TTY");
	const char	*nc = getenv("NO_COLOR");

	if (force != NULL && strcmp(force, "1") == 0)
		term_tty = 1;
	else
		term_tty = isatty(STDERR_FILENO) ? 1 : 0;
	term_colour = term_tty && !no_color && (nc == NULL || *nc == '\0');
}

int
term_is_tty(void)
{
	if (term_tty == -1)
		term_init(0);
	return term_tty;
}

int
term_color(void)
{
	if (term_tty == -1)
		term_init(0);
	return term_colour;
}

void
term_set_verbosity(int level)
{
	term_level = level < 0 ? 0 : level;
}

int
term_verbosity(void)
{
	return term_level;
}

int
term_enabled(int level)
{
	return level <= term_level;
}

/* Clear a \r progress line before a log line is printed over it. */
static void
term_progress_clear(void)
{
	if (progress.active && term_is_tty()) {
		fputs("\r\033[K", stderr);
		progress.active = 0;
	}
}

static void
term_vlog(const char *prefix, const char *fmt, va_list ap)
{
	char	*msg, *red;

	msg = xvasprintf(fmt, ap);
	red = term_redact(msg);
	term_progress_clear();
	fprintf(stderr, "%s%s\n", prefix, red);
	fflush(stderr);
	free(red);
	xfree_secret(msg);
}

void
term_log(int level, const char *fmt, ...)
{
	va_list	 ap;

	if (!term_enabled(level))
		return;
	va_start(ap, fmt);
	term_vlog("", fmt, ap);
	va_end(ap);
}

void
term_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	term_vlog(term_color() ? "\033[33mwarning:\033[0m " : "warning: ",
	    fmt, ap);
	va_end(ap);
}

void
term_progress(const char *label, double done, double total)
{
	char	 bar[31];
	int	 pct = -1, i, fill;

	if (label == NULL)
		label = "";
	if (total > 0) {
		if (done < 0)
			done = 0;
		if (done > total)
			done = total;
		pct = (int)(done * 100.0 / total);
	}
	if (term_is_tty()) {
		fprintf(stderr, "\r\033[K%s", label);
		if (pct >= 0) {
			fill = pct * 30 / 100;
			for (i = 0; i < 30; i++)
				bar[i] = i < fill ? '=' : ' ';
			bar[30] = '\0';
			fprintf(stderr, "  [%s] %3d%%  (%.0f/%.0f)", bar, pct,
			    done, total);
		} else
			fprintf(stderr, "  %.0f", done);
		fflush(stderr);
		progress.active = 1;
		return;
	}
	/* Plain lines: one per label change and per 10% step. */
	if (progress.label == NULL || strcmp(progress.label, label) != 0) {
		free(progress.label);
		progress.label = xstrdup(label);
		progress.last_pct = -1;
	} else if (pct < 0 || pct / 10 == progress.last_pct / 10)
		return;
	progress.last_pct = pct;
	if (pct >= 0)
		fprintf(stderr, "%s: %d%% (%.0f/%.0f)\n", label, pct, done,
		    total);
	else
		fprintf(stderr, "%s: %.0f\n", label, done);
	fflush(stderr);
}

void
term_progress_end(void)
{
	if (progress.active && term_is_tty()) {
		fputc('\n', stderr);
		fflush(stderr);
	}
	progress.active = 0;
	free(progress.label);
	progress.label = NULL;
	progress.last_pct = -1;
}

/* Redaction. */

static int
is_b64url(int c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_';
}

static int
is_word(int c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_';
}

/* Case-insensitive prefix test within the remaining length. */
static int
has_prefix(const char *s, size_t left, const char *p)
{
	size_t	 n = strlen(p);

	return left >= n && strncasecmp(s, p, n) == 0;
}

/* A private key PEM block starting at s: its length, or 0. */
static size_t
match_pem(const char *s, size_t left)
{
	const char	*end, *label_end, *tail;
	size_t		 i;

	if (!has_prefix(s, left, "-----BEGIN "))
		return 0;
	label_end = NULL;
	for (i = 11; i + 5 <= left; i++) {
		if (s[i] == '\n' || s[i] == '\\')
			return 0;
		if (strncmp(s + i, "-----", 5) == 0) {
			label_end = s + i;
			break;
		}
	}
	if (label_end == NULL ||
	    memmem(s, (size_t)(label_end - s), "PRIVATE KEY", 11) == NULL)
		return 0;
	end = memmem(label_end + 5, left - (size_t)(label_end + 5 - s),
	    "-----END ", 9);
	if (end == NULL)
		return left;	/* unterminated: hide everything after */
	tail = memmem(end + 9, left - (size_t)(end + 9 - s), "-----", 5);
	if (tail == NULL)
		return left;
	return (size_t)(tail + 5 - s);
}

/* Length of a value up to the end of the line. */
static size_t
line_value(const char *s, size_t left)
{
	size_t	 i = 0;

	while (i < left && s[i] != '\r' && s[i] != '\n')
		i++;
	return i;
}

/* Is the JSON key (without quotes) one whose string value is a secret? */
static int
secret_key(const char *k, size_t n)
{
	static const char *exact[] = { "password", "secret", "client-key-data",
	    "clientKeyData", "apiKey", "api_key", "api-key", NULL };
	int	 i;

	for (i = 0; exact[i] != NULL; i++) {
		if (strlen(exact[i]) == n && strncasecmp(k, exact[i], n) == 0)
			return 1;
	}
	/* token, bearerToken, access_token, id-token and the like. */
	return n >= 5 && strncasecmp(k + n - 5, "token", 5) == 0;
}

/*
 * At a '"': a JSON member "key" : "value" whose value is secret.  Sets
 * vstart and vlen to the value bytes inside the quotes.
 */
static int
match_json(const char *s, size_t left, size_t *vstart, size_t *vlen)
{
	size_t	 i, klen, v;

	i = 1;
	while (i < left && s[i] != '"' && s[i] != '\\' && s[i] != '\n')
		i++;
	if (i >= left || s[i] != '"')
		return 0;
	klen = i - 1;
	i++;
	while (i < left && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i >= left || s[i] != ':')
		return 0;
	i++;
	while (i < left && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i >= left || s[i] != '"')
		return 0;
	v = ++i;
	while (i < left && s[i] != '"' && s[i] != '\n') {
		if (s[i] == '\\' && i + 1 < left)
			i++;
		i++;
	}
	if (klen == 3 && strncasecmp(s + 1, "key", 3) == 0) {
		if (!has_prefix(s + v, left - v, "sk-"))
			return 0;
	} else if (!secret_key(s + 1, klen))
		return 0;
	if (i == v)
		return 0;	/* empty: nothing to hide */
	*vstart = v;
	*vlen = i - v;
	return 1;
}

/* At '?' or '&': a query parameter whose value is secret (?access_token=). */
static int
match_query(const char *s, size_t left, size_t *vstart, size_t *vlen)
{
	size_t	 i = 1, k;

	while (i < left && is_word(s[i]))
		i++;
	k = i - 1;
	if (k == 0 || i >= left || s[i] != '=' || !secret_key(s + 1, k))
		return 0;
	*vstart = ++i;
	while (i < left && s[i] != '&' && s[i] != '#' && s[i] != '"' &&
	    !isspace((unsigned char)s[i]))
		i++;
	*vlen = i - *vstart;
	return *vlen > 0;
}

/* At a line start: a YAML "key: value" (or "- key: value") that is secret. */
static int
match_yaml(const char *s, size_t left, size_t *vstart, size_t *vlen)
{
	size_t	 i = 0, k0;

	while (i < left && s[i] == ' ')
		i++;
	if (i + 1 < left && s[i] == '-' && s[i + 1] == ' ')
		i += 2;
	k0 = i;
	while (i < left && is_word(s[i]))
		i++;
	if (i == k0 || i + 1 >= left || s[i] != ':' || s[i + 1] != ' ' ||
	    !secret_key(s + k0, i - k0))
		return 0;
	i++;
	while (i < left && s[i] == ' ')
		i++;
	*vstart = i;
	*vlen = line_value(s + i, left - i);
	return *vlen > 0;
}

/* A JWT (eyJ... three base64url parts) at s: its length, or 0. */
static size_t
match_jwt(const char *s, size_t left)
{
	size_t	 i = 0, parts = 1, partlen = 0;

	if (!(left >= 3 && strncmp(s, "eyJ", 3) == 0))
		return 0;
	while (i < left) {
		if (is_b64url(s[i]))
			partlen++;
		else if (s[i] == '.' && partlen > 0 && parts < 3) {
			parts++;
			partlen = 0;
		} else
			break;
		i++;
	}
	if (parts < 3)
		return 0;
	return i;
}

char *
term_redact_n(const char *s, size_t len)
{
	static const char *hdrs[] = { "authorization:", "proxy-authorization:",
	    "x-api-key:", NULL };
	struct strbuf	 sb = STRBUF_INIT;
	size_t		 i = 0, n, left, v, vl;
	int		 k, boundary, done;

	sb_init(&sb);
	if (s == NULL)
		return sb_detach(&sb);
	while (i < len) {
		left = len - i;
		boundary = i == 0 || !is_word(s[i - 1]);
		done = 0;

		if (s[i] == '-' && (n = match_pem(s + i, left)) > 0) {
			sb_adds(&sb, "REDACTED");
			i += n;
			continue;
		}
		for (k = 0; boundary && hdrs[k] != NULL; k++) {
			if (!has_prefix(s + i, left, hdrs[k]))
				continue;
			n = strlen(hdrs[k]);
			sb_add(&sb, s + i, n);
			i += n;
			while (i < len && (s[i] == ' ' || s[i] == '\t'))
				sb_addc(&sb, s[i++]);
			if (line_value(s + i, len - i) > 0) {
				sb_adds(&sb, "REDACTED");
				i += line_value(s + i, len - i);
			}
			done = 1;
			break;
		}
		if (done)
			continue;
		if (boundary && has_prefix(s + i, left, "bearer") &&
		    left > 6 && (s[i + 6] == ' ' || s[i + 6] == '\t')) {
			n = 6;
			while (n < left && (s[i + n] == ' ' || s[i + n] == '\t'))
				n++;
			v = n;
			while (n < left && !isspace((unsigned char)s[i + n]) &&
			    s[i + n] != '"' && s[i + n] != '\'' &&
			    s[i + n] != ',' && s[i + n] != '\\')
				n++;
			if (n > v) {
				sb_add(&sb, s + i, v);
				sb_adds(&sb, "REDACTED");
				i += n;
				continue;
			}
		}
		if (boundary && has_prefix(s + i, left, "sk-oai-")) {
			n = 7;
			while (n < left && is_b64url(s[i + n]))
				n++;
			sb_adds(&sb, "REDACTED");
			i += n;
			continue;
		}
		/* An sk-oai- key in base64 (a Secret's data). */
		if (boundary && has_prefix(s + i, left, "c2stb2Fp")) {
			n = 8;
			while (n < left && (isalnum((unsigned char)s[i + n]) ||
			    s[i + n] == '+' || s[i + n] == '/' ||
			    s[i + n] == '='))
				n++;
			sb_adds(&sb, "REDACTED");
			i += n;
			continue;
		}
		if (boundary && s[i] == 'e' && (n = match_jwt(s + i, left)) > 0) {
			sb_adds(&sb, "REDACTED");
			i += n;
			continue;
		}
		if ((s[i] == '?' || s[i] == '&') &&
		    match_query(s + i, left, &v, &vl)) {
			sb_add(&sb, s + i, v);
			sb_adds(&sb, "REDACTED");
			i += v + vl;
			continue;
		}
		if ((i == 0 || s[i - 1] == '\n') &&
		    match_yaml(s + i, left, &v, &vl)) {
			sb_add(&sb, s + i, v);
			sb_adds(&sb, "REDACTED");
			i += v + vl;
			continue;
		}
		if (s[i] == '"' && match_json(s + i, left, &v, &vl)) {
			sb_add(&sb, s + i, v);
			sb_adds(&sb, "REDACTED");
			i += v + vl;
			continue;
		}
		sb_addc(&sb, s[i]);
		i++;
	}
	return sb_detach(&sb);
}

char *
term_redact(const char *s)
{
	return term_redact_n(s, s == NULL ? 0 : strlen(s));
}
