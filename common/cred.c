/*
 * cred.c: secrets from files, standard input or the environment.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cred.h"
#include "xalloc.h"

/* Read a whole stream into a secret buffer. */
static int
slurp(FILE *f, struct strbuf *sb)
{
	char	 buf[4096];
	size_t	 n;

	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(sb, buf, n);
	explicit_bzero(buf, sizeof buf);
	return ferror(f) ? -1 : 0;
}

static char *
trimmed(struct strbuf *sb)
{
	while (sb->len > 0 && (sb->buf[sb->len - 1] == '\n' ||
	    sb->buf[sb->len - 1] == '\r' || sb->buf[sb->len - 1] == ' ' ||
	    sb->buf[sb->len - 1] == '\t'))
		sb->buf[--sb->len] = '\0';
	return sb->buf;
}

int
cred_read(const char *spec, const char *what, char **out, struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	const char	*v;
	FILE		*f;

	*out = NULL;
	if (spec == NULL || spec[0] == '\0')
		return err_set(e, EXIT_USAGE, "%s: empty value", what);
	if (strcmp(spec, "-") == 0) {
		/* Only the first line: the rest of stdin may be a prompt. */
		char	*line = NULL;
		size_t	 cap = 0;
		ssize_t	 n;

		n = getline(&line, &cap, stdin);
		if (n > 0)
			sb_add(&sb, line, (size_t)n);
		if (line != NULL) {
			explicit_bzero(line, cap);
			free(line);
		}
		if (n < 0 && ferror(stdin)) {
			sb_free_secret(&sb);
			return err_set(e, EXIT_ERR, "%s: reading standard "
			    "input failed", what);
		}
	} else if (spec[0] == '@') {
		if ((f = fopen(spec + 1, "r")) == NULL)
			return err_set(e, EXIT_USAGE, "%s: cannot read %s: %s",
			    what, spec + 1, strerror(errno));
		if (slurp(f, &sb) != 0) {
			fclose(f);
			sb_free_secret(&sb);
			return err_set(e, EXIT_ERR, "%s: reading %s failed",
			    what, spec + 1);
		}
		fclose(f);
	} else if (strncmp(spec, "env:", 4) == 0) {
		if ((v = getenv(spec + 4)) == NULL || v[0] == '\0')
			return err_set(e, EXIT_USAGE, "%s: environment "
			    "variable %s is not set", what, spec + 4);
		sb_adds(&sb, v);
	} else {
		err_set(e, EXIT_USAGE, "%s: refusing a secret on the command "
		    "line (it would show in ps and shell history)", what);
		err_hint(e, "pass @FILE, - (standard input) or env:NAME");
		return -1;
	}
	if (sb.len == 0 || trimmed(&sb)[0] == '\0') {
		sb_free_secret(&sb);
		return err_set(e, EXIT_USAGE, "%s: the value read from %s is "
		    "empty", what, spec);
	}
	*out = sb_detach(&sb);
	return 0;
}
