/*
 * repl_edit.c: line input for `maasctl repl`.  On a terminal, libedit's
 * native API (histedit.h): emacs key bindings, a history kept in a file
 * of the state directory (created 0600, lines holding secrets never
 * entered), tab completion through the session's callback, Ctrl-C that
 * clears the line.  Otherwise plain getline(), no prompt, no history.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <histedit.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edit_dl.h"
#include "repl.h"
#include "term.h"

struct repl_input {
	int		 tty;		/* libedit in use */
	EditLine	*el;		/* the line editor */
	History		*hist;		/* its history */
	char		*histfile;	/* where history is saved, or NULL */
	int		 remember;	/* add lines to the history */
	repl_complete_fn fn;		/* completion callback */
	void		*arg;		/* its argument */
	const char	*prompt;	/* shown by prompt_fn */
	char		*line;		/* getline() buffer / the line read */
	size_t		 cap;		/* getline() capacity */
};

int
repl_line_secret(const char *line)
{
	char	*r;
	int	 secret;

	if (strstr(line, "sk-oai-") != NULL)
		return 1;
	r = term_redact(line);
	secret = strcmp(r, line) != 0;
	free(r);
	return secret;
}

char *
repl_history_path(void)
{
	const char	*x;

	if ((x = getenv("XDG_STATE_HOME")) != NULL && x[0] == '/')
		return xasprintf("%s/maasctl/repl_history", x);
	if ((x = getenv("HOME")) != NULL && x[0] == '/')
		return xasprintf("%s/.local/state/maasctl/repl_history", x);
	return NULL;
}

static char *
prompt_fn(EditLine *el)
{
	struct repl_input	*in;

	el_get(el, EL_CLIENTDATA, &in);
	return (char *)(in->prompt ? in->prompt : "");
}

/* The longest common prefix length of the candidates. */
static size_t
common_prefix(const struct strlist *c)
{
	size_t	 n, i, j;

	if (c->n == 0)
		return 0;
	n = strlen(c->v[0]);
	for (i = 1; i < c->n; i++) {
		for (j = 0; j < n && c->v[i][j] == c->v[0][j]; j++)
			;
		n = j;
	}
	return n;
}

static unsigned char
complete_fn(EditLine *el, int ch)
{
	struct repl_input	*in;
	const LineInfo		*li;
	struct strlist		 all = STRLIST_INIT, c = STRLIST_INIT;
	char			*upto, *ins;
	size_t			 start, wlen, n, i;
	unsigned char		 rc = CC_ERROR;

	(void)ch;
	el_get(el, EL_CLIENTDATA, &in);
	li = el_line(el);
	upto = xstrndup(li->buffer, (size_t)(li->cursor - li->buffer));
	start = strlen(upto);
	while (start > 0 && upto[start - 1] != ' ')
		start--;
	wlen = strlen(upto) - start;
	in->fn(upto, start, &all, in->arg);
	for (i = 0; i < all.n; i++)
		if (strncmp(all.v[i], upto + start, wlen) == 0)
			sl_add(&c, all.v[i]);
	if (c.n == 1) {
		ins = xasprintf("%s%s", c.v[0] + wlen,
		    c.v[0][strlen(c.v[0]) - 1] == '/' ? "" : " ");
		el_insertstr(el, ins);
		free(ins);
		rc = CC_REFRESH;
	} else if (c.n > 1) {
		n = common_prefix(&c);
		if (n > wlen) {
			ins = xstrndup(c.v[0] + wlen, n - wlen);
			el_insertstr(el, ins);
			free(ins);
			rc = CC_REFRESH;
		} else {
			fputc('\n', stdout);
			for (i = 0; i < c.n; i++)
				fprintf(stdout, "%s%s", i ? "  " : "", c.v[i]);
			fputc('\n', stdout);
			fflush(stdout);
			rc = CC_REDISPLAY;
		}
	}
	sl_free(&all);
	sl_free(&c);
	free(upto);
	return rc;
}

/* Write the history file: created 0600 (and kept so), never following a
 * link, through a temporary file renamed over it. */
static void
history_save(struct repl_input *in)
{
	HistEvent	 ev;
	char		*tmp, *dir, *slash;
	FILE		*f;
	int		 fd;

	if (in->histfile == NULL)
		return;
	/* The directories up to the file, private to the user. */
	dir = xstrdup(in->histfile);
	for (slash = strchr(dir + 1, '/'); slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		(void)mkdir(dir, 0700);
		*slash = '/';
	}
	free(dir);
	tmp = xasprintf("%s.tmp.%ld", in->histfile, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		if (fd >= 0)
			close(fd);
		term_warn("repl: cannot write the history file %s: %s",
		    in->histfile, strerror(errno));
		free(tmp);
		free(in->histfile);
		in->histfile = NULL;
		return;
	}
	history(in->hist, &ev, H_SAVE_FP, f);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0 ||
	    rename(tmp, in->histfile) != 0) {
		term_warn("repl: cannot write the history file %s: %s",
		    in->histfile, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
}

struct repl_input *
repl_input_open(int tty, const char *histfile, repl_complete_fn fn,
    void *arg, struct err *e)
{
	struct repl_input	*in;
	HistEvent		 ev;
	struct stat		 st;

	if (tty && edit_dl_load(e) != 0)	/* libedit, loaded now */
		return NULL;
	in = xcalloc(1, sizeof *in);
	in->tty = tty;
	in->remember = 1;
	in->fn = fn;
	in->arg = arg;
	if (!tty)
		return in;
	in->hist = history_init();
	history(in->hist, &ev, H_SETSIZE, 1000);
	history(in->hist, &ev, H_SETUNIQUE, 1);
	if (histfile != NULL) {
		in->histfile = xstrdup(histfile);
		/* A history file others can read is not ours to trust. */
		if (stat(histfile, &st) == 0 && (st.st_mode & 077) != 0)
			chmod(histfile, st.st_mode & 0600);
		(void)history(in->hist, &ev, H_LOAD, histfile);
	}
	in->el = el_init("maasctl", stdin, stdout, stderr);
	el_set(in->el, EL_CLIENTDATA, in);
	el_set(in->el, EL_EDITOR, "emacs");
	el_set(in->el, EL_PROMPT, prompt_fn);
	el_set(in->el, EL_HIST, history, in->hist);
	/* The wide form keeps our strings; the narrow one copies them and
	 * never frees the copies. */
	el_wset(in->el, EL_ADDFN, L"maas-complete", L"complete a word",
	    complete_fn);
	el_set(in->el, EL_BIND, "^I", "maas-complete", NULL);
	el_source(in->el, NULL);	/* the user's ~/.editrc */
	return in;
}

const char *
repl_input_read(struct repl_input *in, const char *prompt, int *interrupted)
{
	const char	*s;
	ssize_t		 n;
	int		 count = 0;
	size_t		 len;

	*interrupted = 0;
	repl_cancel = 0;
	if (!in->tty) {
		if ((n = getline(&in->line, &in->cap, stdin)) < 0) {
			if (repl_cancel)
				*interrupted = 1;
			return NULL;
		}
		if (n > 0 && in->line[n - 1] == '\n')
			in->line[--n] = '\0';
		if (n > 0 && in->line[n - 1] == '\r')
			in->line[--n] = '\0';
		return in->line;
	}
	in->prompt = prompt;
	s = el_gets(in->el, &count);
	if (repl_cancel) {
		/* Ctrl-C: drop what was typed, start a fresh line. */
		repl_cancel = 0;
		*interrupted = 1;
		el_reset(in->el);
		fputc('\n', stdout);
		fflush(stdout);
		return "";
	}
	if (s == NULL || count <= 0)
		return NULL;
	free(in->line);
	len = strlen(s);
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	in->line = xstrndup(s, len);
	return in->line;
}

void
repl_input_remember(struct repl_input *in, const char *line)
{
	HistEvent	 ev;

	if (!in->tty || !in->remember || line[0] == '\0' ||
	    repl_line_secret(line))
		return;
	history(in->hist, &ev, H_ENTER, line);
	history_save(in);
}

void
repl_input_set_history(struct repl_input *in, int on)
{
	in->remember = on;
}

void
repl_input_close(struct repl_input *in)
{
	if (in == NULL)
		return;
	if (in->el != NULL)
		el_end(in->el);
	if (in->hist != NULL)
		history_end(in->hist);
	free(in->histfile);
	free(in->line);
	free(in);
}
