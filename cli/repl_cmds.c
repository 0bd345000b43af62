/*
 * repl_cmds.c: the /commands of `maasctl repl` (one table: name,
 * arguments, help, handler), their tab completion, /save and /load of a
 * conversation as an OpenAI request body, and /compare's side-by-side
 * layout of several models' answers.
 */
#include <sys/ioctl.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ask.h"
#include "config.h"
#include "json.h"
#include "openai.h"
#include "repl.h"

typedef int (*rcmd_fn)(struct repl *, const char *arg, struct err *);

/* One /command. */
struct rcmd {
	const char	*name;		/* "model" */
	const char	*args;		/* "[NAME]" for /help */
	const char	*help;		/* one line */
	rcmd_fn		 fn;		/* handler; arg is "" when none */
};

static const struct rcmd *rcmd_find(const char *);

/* Skip blanks. */
static const char *
skip(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int
c_help(struct repl *r, const char *arg, struct err *e);

static int
c_exit(struct repl *r, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	r->quit = 1;
	return 0;
}

static int
c_models(struct repl *r, const char *arg, struct err *e)
{
	size_t	 i;

	(void)arg;
	if (repl_load_models(r, 1, e) != 0) {
		err_wrap(e, "repl: /models");
		return -1;
	}
	for (i = 0; i < r->models.n; i++)
		printf("%s %s\n", r->model && strcmp(r->model,
		    r->models.v[i]) == 0 ? "*" : " ", r->models.v[i]);
	if (r->models.n == 0)
		printf("(no ready model)\n");
	fflush(stdout);
	return 0;
}

/* Check that a model is one the target lists (when it lists any). */
static int
check_model(struct repl *r, const char *name, struct err *e)
{
	struct err	 le = ERR_INIT;
	struct strlist	 ids = STRLIST_INIT, refs = STRLIST_INIT;

	if (repl_load_models(r, 0, &le) != 0 || r->models.n == 0) {
		/* Endpoints without /models, or listing none: trust the
		 * user; the request will say if the name is wrong. */
		err_clear(&le);
		return 0;
	}
	if (sl_has(&r->models, name))
		return 0;
	if (repl_load_models(r, 1, &le) == 0 && sl_has(&r->models, name))
		return 0;
	err_clear(&le);
	if (target_models_refs(&r->t, &ids, &refs, &le) == 0 &&
	    sl_has(&refs, name)) {
		/* A MaaS model's ref name: the gateway routes by it too. */
		sl_free(&ids);
		sl_free(&refs);
		return 0;
	}
	sl_free(&ids);
	sl_free(&refs);
	err_clear(&le);
	return err_set(e, EXIT_NOTFOUND, "repl: no model \"%s\" at %s (see "
	    "/models)", name, r->t.base);
}

static int
c_model(struct repl *r, const char *arg, struct err *e)
{
	if (*arg == '\0') {
		printf("%s\n", r->model ? r->model : "(no model chosen)");
		fflush(stdout);
		return 0;
	}
	if (strchr(arg, ' ') != NULL)
		return err_set(e, EXIT_USAGE, "repl: /model takes one name");
	if (check_model(r, arg, e) != 0)
		return -1;
	free(r->model);
	r->model = xstrdup(arg);
	repl_note(r, "model: %s", r->model);
	return 0;
}

static int
c_system(struct repl *r, const char *arg, struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;

	(void)e;
	if (*arg == '\0') {
		printf("%s\n", r->system ? r->system : "(no system prompt)");
		fflush(stdout);
		return 0;
	}
	if (strcmp(arg, "--clear") == 0) {
		free(r->system);
		r->system = NULL;
		repl_note(r, "system prompt cleared");
		return 0;
	}
	if (strncmp(arg, "\"\"\"", 3) == 0) {
		size_t	 n = strlen(arg);

		if (n >= 6 && strcmp(arg + n - 3, "\"\"\"") == 0)
			sb_add(&sb, arg + 3, n - 6);
		else {
			sb_adds(&sb, arg + 3);
			if (n > 3)
				sb_addc(&sb, '\n');
			if (repl_read_block(r, &sb) != 0) {
				sb_free(&sb);
				return err_set(e, EXIT_USAGE, "repl: /system: "
				    "the \"\"\" block was not closed");
			}
		}
		while (sb.len > 0 && sb.buf[sb.len - 1] == '\n')
			sb.buf[--sb.len] = '\0';
		free(r->system);
		r->system = sb_detach(&sb);
	} else {
		free(r->system);
		r->system = xstrdup(arg);
	}
	repl_note(r, "system prompt set (%zu characters)", strlen(r->system));
	return 0;
}

/* Parse a number for /set; usage error naming the key otherwise. */
static int
set_number(const char *key, const char *v, double lo, double hi, double *out,
    struct err *e)
{
	char	*end;
	double	 d;

	errno = 0;
	d = strtod(v, &end);
	if (errno != 0 || end == v || *skip(end) != '\0' || !isfinite(d) ||
	    d < lo || d > hi)
		return err_set(e, EXIT_USAGE, "repl: /set %s: \"%s\" is not a "
		    "number from %g to %g", key, v, lo, hi);
	*out = d;
	return 0;
}

/* on/off, true/false, yes/no, 1/0. */
static int
set_bool(const char *key, const char *v, int *out, struct err *e)
{
	if (strcmp(v, "on") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "yes") == 0 || strcmp(v, "1") == 0)
		*out = 1;
	else if (strcmp(v, "off") == 0 || strcmp(v, "false") == 0 ||
	    strcmp(v, "no") == 0 || strcmp(v, "0") == 0)
		*out = 0;
	else
		return err_set(e, EXIT_USAGE, "repl: /set %s: want on or off, "
		    "not \"%s\"", key, v);
	return 0;
}

/* /set stop: one sequence, or a JSON array of them; empty clears. */
static int
set_stop(struct repl *r, const char *v, struct err *e)
{
	cJSON	*a, *it;

	sl_free(&r->stop);
	if (*v == '\0')
		return 0;
	if (v[0] == '[') {
		if ((a = cJSON_Parse(v)) == NULL || !cJSON_IsArray(a)) {
			cJSON_Delete(a);
			return err_set(e, EXIT_USAGE, "repl: /set stop: %s is "
			    "not a JSON array of strings", v);
		}
		cJSON_ArrayForEach(it, a) {
			if (!cJSON_IsString(it)) {
				cJSON_Delete(a);
				sl_free(&r->stop);
				return err_set(e, EXIT_USAGE, "repl: /set "
				    "stop: %s is not a JSON array of strings",
				    v);
			}
			sl_add(&r->stop, it->valuestring);
		}
		cJSON_Delete(a);
		return 0;
	}
	sl_add(&r->stop, v);
	return 0;
}

static int
c_set(struct repl *r, const char *arg, struct err *e)
{
	char		*key, *kv;
	const char	*v;
	size_t		 n;
	double		 d;
	int		 b, rc = -1;

	n = strcspn(arg, " \t");
	if (n == 0)
		return err_set(e, EXIT_USAGE, "repl: /set KEY VALUE: which "
		    "key? (see /params; /set KEY alone unsets it)");
	key = xstrndup(arg, n);
	for (kv = key; *kv != '\0'; kv++)
		if (*kv == '-')
			*kv = '_';
	v = skip(arg + n);
	if (strcmp(key, "temperature") == 0) {
		if (*v == '\0')
			r->temperature = -1;
		else if (set_number(key, v, 0, 2, &r->temperature, e) != 0)
			goto out;
	} else if (strcmp(key, "top_p") == 0) {
		if (*v == '\0')
			r->top_p = -1;
		else if (set_number(key, v, 0, 1, &r->top_p, e) != 0)
			goto out;
	} else if (strcmp(key, "max_tokens") == 0) {
		if (*v == '\0')
			r->max_tokens = -1;
		else if (set_number(key, v, 1, 100000000, &d, e) != 0)
			goto out;
		else
			r->max_tokens = (long)d;
	} else if (strcmp(key, "seed") == 0) {
		if (*v == '\0')
			r->has_seed = 0;
		else if (set_number(key, v, 0, 2147483647, &d, e) != 0)
			goto out;
		else {
			r->seed = (long)d;
			r->has_seed = 1;
		}
	} else if (strcmp(key, "stop") == 0) {
		if (set_stop(r, v, e) != 0)
			goto out;
	} else if (strcmp(key, "stream") == 0 || strcmp(key, "history") ==
	    0 || strcmp(key, "multiline") == 0) {
		if (set_bool(key, *v ? v : "on", &b, e) != 0)
			goto out;
		if (key[0] == 's')
			r->stream = b;
		else if (key[0] == 'h') {
			r->history = b;
			repl_input_set_history(r->in, b);
		} else
			r->multiline = b;
	} else if (strcmp(key, "system") == 0) {
		rc = c_system(r, *v ? v : "--clear", e);
		goto out;
	} else if (strcmp(key, "model") == 0) {
		rc = c_model(r, v, e);
		goto out;
	} else if (strcmp(key, "messages") == 0 || strcmp(key, "model") ==
	    0) {
		err_set(e, EXIT_USAGE, "repl: /set %s: not a parameter", key);
		goto out;
	} else if (*v == '\0') {
		if (r->extra != NULL)
			cJSON_DeleteItemFromObjectCaseSensitive(r->extra, key);
	} else {
		kv = xasprintf("%s=%s", key, v);
		rc = oai_param_kv(&r->extra, kv, e);
		free(kv);
		if (rc != 0)
			goto out;
	}
	rc = 0;
out:
	free(key);
	return rc;
}

static int
c_params(struct repl *r, const char *arg, struct err *e)
{
	const cJSON	*it;
	char		*js;
	size_t		 i;

	(void)arg;
	(void)e;
	printf("model %s\n", r->model ? r->model : "(none)");
	printf("stream %s\n", r->stream ? "on" : "off");
	printf("multiline %s\n", r->multiline ? "on" : "off");
	printf("history %s\n", r->history && r->tty ? "on" : "off");
	if (r->temperature >= 0)
		printf("temperature %g\n", r->temperature);
	if (r->top_p >= 0)
		printf("top_p %g\n", r->top_p);
	if (r->max_tokens >= 0)
		printf("max_tokens %ld\n", r->max_tokens);
	if (r->has_seed)
		printf("seed %ld\n", r->seed);
	if (r->stop.n == 1 && r->stop.v[0][0] != '[')
		printf("stop %s\n", r->stop.v[0]);
	else if (r->stop.n > 0) {
		cJSON	*a = cJSON_CreateArray();

		for (i = 0; i < r->stop.n; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(
			    r->stop.v[i]));
		js = cJSON_PrintUnformatted(a);
		printf("stop %s\n", js);
		free(js);
		cJSON_Delete(a);
	}
	cJSON_ArrayForEach(it, r->extra) {
		js = cJSON_PrintUnformatted(it);
		printf("%s %s\n", it->string, cJSON_IsString(it) ?
		    it->valuestring : js);
		free(js);
	}
	if (r->system != NULL)
		printf("system %s\n", r->system);
	fflush(stdout);
	return 0;
}

static int
c_reset(struct repl *r, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	cJSON_Delete(r->msgs);
	r->msgs = cJSON_CreateArray();
	repl_note(r, "conversation cleared (model, system prompt and "
	    "parameters kept)");
	return 0;
}

static int
c_retry(struct repl *r, const char *arg, struct err *e)
{
	int	 n;
	char	*p;
	cJSON	*last;

	(void)arg;
	if (r->last_prompt == NULL)
		return err_set(e, EXIT_USAGE, "repl: /retry: nothing to retry "
		    "yet");
	/* Drop the answered turn, if it was answered. */
	n = cJSON_GetArraySize(r->msgs);
	last = cJSON_GetArrayItem(r->msgs, n - 2);
	if (n >= 2 && json_str(last, "content") != NULL &&
	    strcmp(json_str(last, "content"), r->last_prompt) == 0) {
		cJSON_DeleteItemFromArray(r->msgs, n - 1);
		cJSON_DeleteItemFromArray(r->msgs, n - 2);
	}
	p = xstrdup(r->last_prompt);
	n = repl_send(r, p, e);
	free(p);
	return n;
}

static int
c_usage(struct repl *r, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	printf("requests %lu (%lu failed, %lu cancelled); prompt %ld, "
	    "completion %ld, total %ld tokens", r->n_requests, r->n_failed,
	    r->n_cancelled, r->prompt_tokens, r->completion_tokens,
	    r->prompt_tokens + r->completion_tokens);
	if (r->n_ttft > 0)
		printf("; mean TTFT %.0f ms", r->ttft_sum / (double)r->n_ttft *
		    1e3);
	if (r->gen_time > 0)
		printf("; %.1f tokens/s", (double)r->gen_tokens / r->gen_time);
	printf("\n");
	fflush(stdout);
	return 0;
}

static int
c_save(struct repl *r, const char *arg, struct err *e)
{
	cJSON	*body;
	char	*js;
	int	 rc;

	if (*arg == '\0')
		return err_set(e, EXIT_USAGE, "repl: /save FILE: name the "
		    "file");
	body = repl_body(r, r->model ? r->model : "", NULL, 0);
	js = json_print(body, 1);
	rc = config_write_secret(arg, js, e);
	if (rc == 0)
		repl_note(r, "saved %d messages to %s",
		    cJSON_GetArraySize(cJSON_GetObjectItem(body, "messages")),
		    arg);
	else
		err_wrap(e, "repl: /save");
	free(js);
	cJSON_Delete(body);
	return rc;
}

/* The text of a message's content: a string, or the text parts. */
static char *
content_text(const cJSON *c)
{
	struct strbuf	 sb = STRBUF_INIT;
	const cJSON	*p;

	if (cJSON_IsString(c))
		return xstrdup(c->valuestring);
	if (!cJSON_IsArray(c))
		return NULL;
	cJSON_ArrayForEach(p, c)
		if (json_str(p, "text") != NULL)
			sb_adds(&sb, json_str(p, "text"));
	sb_add(&sb, "", 0);
	return sb_detach(&sb);
}

static int
c_load(struct repl *r, const char *arg, struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	cJSON		*o = NULL, *msgs, *m, *conv = NULL, *extra = NULL, *it;
	const char	*role, *model = NULL;
	char		*text, *system = NULL, *last = NULL, buf[8192], *kv;
	size_t		 n;
	FILE		*f;
	int		 rc = -1, i = 0;

	if (*arg == '\0')
		return err_set(e, EXIT_USAGE, "repl: /load FILE: name the "
		    "file");
	if ((f = fopen(arg, "r")) == NULL)
		return err_set(e, errno == ENOENT ? EXIT_NOTFOUND : EXIT_ERR,
		    "repl: /load: cannot read %s: %s", arg, strerror(errno));
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(&sb, buf, n);
	fclose(f);
	if ((o = json_parse(sb.buf ? sb.buf : "", sb.len, e)) == NULL) {
		err_wrap(e, "repl: /load: %s is not JSON", arg);
		goto out;
	}
	msgs = cJSON_IsArray(o) ? o : cJSON_GetObjectItem(o, "messages");
	if (!cJSON_IsArray(msgs)) {
		err_set(e, EXIT_USAGE, "repl: /load: %s holds no \"messages\" "
		    "array (want what /save writes)", arg);
		goto out;
	}
	conv = cJSON_CreateArray();
	cJSON_ArrayForEach(m, msgs) {
		i++;
		role = json_str(m, "role");
		text = content_text(cJSON_GetObjectItem(m, "content"));
		if (role == NULL || text == NULL) {
			free(text);
			err_set(e, EXIT_USAGE, "repl: /load: %s: message %d "
			    "has no role or no text content", arg, i);
			goto out;
		}
		if (strcmp(role, "system") == 0 && system == NULL &&
		    cJSON_GetArraySize(conv) == 0)
			system = text;
		else {
			if (strcmp(role, "user") == 0) {
				free(last);
				last = xstrdup(text);
			}
			oai_messages_add(conv, role, text);
			free(text);
		}
	}
	if (cJSON_IsObject(o)) {
		model = json_str(o, "model");
		cJSON_ArrayForEach(it, o) {
			if (strcmp(it->string, "messages") == 0 ||
			    strcmp(it->string, "model") == 0 ||
			    strcmp(it->string, "stream") == 0 ||
			    strcmp(it->string, "stream_options") == 0)
				continue;
			if (extra == NULL)
				extra = cJSON_CreateObject();
			cJSON_AddItemToObject(extra, it->string,
			    cJSON_Duplicate(it, 1));
		}
	}
	/* Known parameters go through /set, so they are checked. */
	cJSON_Delete(r->extra);
	r->extra = NULL;
	r->temperature = r->top_p = -1;
	r->max_tokens = -1;
	r->has_seed = 0;
	sl_free(&r->stop);
	cJSON_ArrayForEach(it, extra) {
		char	*v = cJSON_IsString(it) ? xstrdup(it->valuestring) :
		    cJSON_PrintUnformatted(it);

		kv = xasprintf("%s %s", it->string, v);
		free(v);
		if (c_set(r, kv, e) != 0) {
			free(kv);
			err_wrap(e, "repl: /load: %s", arg);
			goto out;
		}
		free(kv);
	}
	cJSON_Delete(r->msgs);
	r->msgs = conv;
	conv = NULL;
	free(r->system);
	r->system = system;
	system = NULL;
	if (last != NULL) {
		free(r->last_prompt);
		r->last_prompt = last;
		last = NULL;
	}
	if (model != NULL && model[0] != '\0') {
		free(r->model);
		r->model = xstrdup(model);
	}
	repl_note(r, "loaded %d messages from %s%s%s", i, arg, r->model ?
	    "; model " : "", r->model ? r->model : "");
	rc = 0;
out:
	cJSON_Delete(o);
	cJSON_Delete(conv);
	cJSON_Delete(extra);
	free(system);
	free(last);
	sb_free(&sb);
	return rc;
}

static int
c_multiline(struct repl *r, const char *arg, struct err *e)
{
	if (*arg != '\0' && set_bool("multiline", arg, &r->multiline, e) != 0)
		return -1;
	if (*arg == '\0')
		r->multiline = !r->multiline;
	repl_note(r, "multi-line mode %s", r->multiline ? "on: Enter adds a "
	    "line, an empty line sends" : "off: Enter sends");
	return 0;
}

/* Terminal width for /compare, else $COLUMNS, else 100. */
static int
width(void)
{
	struct winsize	 ws;
	const char	*c;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) ==
	    0 && ws.ws_col >= 20)
		return ws.ws_col;
	if ((c = getenv("COLUMNS")) != NULL && atoi(c) >= 20)
		return atoi(c);
	return 100;
}

/* Display width of a UTF-8 byte range (code points). */
static size_t
cols(const char *s, size_t n)
{
	size_t	 i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

/* Wrap text into lines of at most w columns, breaking at spaces. */
static void
wrap(const char *text, size_t w, struct strlist *out)
{
	const char	*p = text, *nl, *end, *brk;
	size_t		 n, i, c;

	for (;;) {
		nl = strchr(p, '\n');
		end = nl ? nl : p + strlen(p);
		while (cols(p, (size_t)(end - p)) > w) {
			/* The byte where column w ends. */
			for (i = 0, c = 0; p + i < end; i++) {
				if (((unsigned char)p[i] & 0xc0) != 0x80 &&
				    ++c > w)
					break;
			}
			brk = NULL;
			for (n = i; n > 0; n--)
				if (p[n] == ' ') {
					brk = p + n;
					break;
				}
			if (brk == NULL) {
				sl_take(out, xstrndup(p, i));
				p += i;
			} else {
				sl_take(out, xstrndup(p, (size_t)(brk - p)));
				p = brk + 1;
			}
		}
		sl_take(out, xstrndup(p, (size_t)(end - p)));
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/* One model's answer in a comparison. */
struct cmp {
	const char	*model;
	struct strlist	 lines;		/* wrapped answer */
	char		*stats[3];	/* TTFT, rate, tokens lines */
};

static void
cell(const char *s, size_t w, int last)
{
	size_t	 c = cols(s, strlen(s));

	fputs(s, stdout);
	if (!last)
		printf("%*s | ", (int)(w > c ? w - c : 0), "");
}

static int
c_compare(struct repl *r, const char *arg, struct err *e)
{
	struct strlist	 models = STRLIST_INIT;
	struct cmp	*c = NULL;
	struct ask	 a;
	struct err	 le = ERR_INIT;
	const char	*p = arg, *prompt = NULL;
	char		*err;
	cJSON		*body;
	size_t		 i, n, row, rows = 0, w;
	int		 rc = -1;

	while (*(p = skip(p)) != '\0') {
		if (strncmp(p, "--", 2) == 0 && (p[2] == ' ' || p[2] == '\0')) {
			prompt = skip(p + 2);
			break;
		}
		n = strcspn(p, " \t");
		sl_take(&models, xstrndup(p, n));
		p += n;
	}
	if (models.n == 0) {
		err_set(e, EXIT_USAGE, "repl: /compare MODEL... [-- PROMPT]: "
		    "name the models");
		goto out;
	}
	if (prompt == NULL || *prompt == '\0')
		prompt = r->last_prompt;
	if (prompt == NULL) {
		err_set(e, EXIT_USAGE, "repl: /compare: no prompt yet: ask "
		    "something first or give one after --");
		goto out;
	}
	for (i = 0; i < models.n; i++)
		if (check_model(r, models.v[i], e) != 0)
			goto out;
	c = xcalloc(models.n, sizeof *c);
	repl_cancel = 0;
	for (i = 0; i < models.n && !repl_cancel; i++) {
		c[i].model = models.v[i];
		body = repl_body(r, models.v[i], prompt, r->stream);
		ask_init(&a, &r->t, "repl", 0);
		a.body = body;
		a.stream = r->stream;
		a.cancel = &repl_cancel;
		r->n_requests++;
		if (r->tty)
			repl_note(r, "asking %s ...", models.v[i]);
		if (ask_run(&a, &le) != 0) {
			if (a.cancelled)
				r->n_cancelled++;
			else
				r->n_failed++;
			err = err_format(&le);
			err[strcspn(err, "\n")] = '\0';
			sl_take(&c[i].lines, err);
			err_clear(&le);
		} else {
			wrap(a.acc.content.buf ? a.acc.content.buf : "", 1000,
			    &c[i].lines);
			if (a.t_first > 0 && a.stream)
				c[i].stats[0] = xasprintf("TTFT %.0f ms",
				    ask_ttft(&a) * 1e3);
			else
				c[i].stats[0] = xasprintf("%.0f ms total",
				    (a.t_end - a.t0) * 1e3);
			c[i].stats[1] = ask_rate(&a) > 0 ? xasprintf(
			    "%.1f tokens/s", ask_rate(&a)) : xstrdup("");
			c[i].stats[2] = xasprintf("%ld tokens",
			    a.acc.completion_tokens);
		}
		repl_tally(r, &a);
		ask_free(&a);
		cJSON_Delete(body);
	}
	if (repl_cancel) {
		repl_cancel = 0;
		repl_note(r, "comparison cancelled");
		rc = 0;
		goto out;
	}
	/* Re-wrap every answer to its column. */
	w = ((size_t)width() - 3 * (models.n - 1)) / models.n;
	if (w < 12)
		w = 12;
	for (i = 0; i < models.n; i++) {
		struct strlist	 l = STRLIST_INIT;

		for (n = 0; n < c[i].lines.n; n++)
			wrap(c[i].lines.v[n], w, &l);
		sl_free(&c[i].lines);
		c[i].lines = l;
		if (l.n > rows)
			rows = l.n;
	}
	for (i = 0; i < models.n; i++)
		cell(models.v[i], w, i + 1 == models.n);
	putchar('\n');
	for (i = 0; i < models.n; i++) {
		for (n = 0; n < w && n < 200; n++)
			putchar('-');
		if (i + 1 < models.n)
			fputs("-+-", stdout);
	}
	putchar('\n');
	for (row = 0; row < rows; row++) {
		for (i = 0; i < models.n; i++)
			cell(row < c[i].lines.n ? c[i].lines.v[row] : "", w,
			    i + 1 == models.n);
		putchar('\n');
	}
	for (row = 0; row < 3; row++) {
		int	 any = 0;

		for (i = 0; i < models.n; i++)
			any |= c[i].stats[row] != NULL &&
			    c[i].stats[row][0] != '\0';
		if (!any)
			continue;
		for (i = 0; i < models.n; i++)
			cell(c[i].stats[row] ? c[i].stats[row] : "", w,
			    i + 1 == models.n);
		putchar('\n');
	}
	fflush(stdout);
	rc = 0;
out:
	for (i = 0; c != NULL && i < models.n; i++) {
		sl_free(&c[i].lines);
		for (n = 0; n < 3; n++)
			free(c[i].stats[n]);
	}
	free(c);
	sl_free(&models);
	return rc;
}

static const struct rcmd rcmds[] = {
	{ "help", "", "list the commands", c_help },
	{ "model", "[NAME]", "show or switch the model (Tab completes)",
	  c_model },
	{ "models", "", "list the ready models (* marks the current one)",
	  c_models },
	{ "system", "[TEXT|\"\"\"|--clear]", "show, set or clear the system "
	  "prompt", c_system },
	{ "set", "KEY [VALUE]", "set a parameter (temperature, top_p, "
	  "max_tokens, seed, stop, stream, history, any request field); no "
	  "VALUE unsets it", c_set },
	{ "params", "", "show the model, settings and parameters", c_params },
	{ "reset", "", "forget the conversation (settings stay)", c_reset },
	{ "retry", "", "ask the last prompt again", c_retry },
	{ "save", "FILE", "save the conversation as JSON (an OpenAI request "
	  "body)", c_save },
	{ "load", "FILE", "load a conversation saved with /save", c_load },
	{ "usage", "", "session totals: requests, tokens, TTFT, tokens/s",
	  c_usage },
	{ "compare", "MODEL... [-- PROMPT]", "the last (or given) prompt to "
	  "several models, answers and timings side by side", c_compare },
	{ "multiline", "[on|off]", "toggle multi-line input (an empty line "
	  "sends)", c_multiline },
	{ "exit", "", "leave (also /quit, /bye, Ctrl-D)", c_exit },
	{ "quit", NULL, NULL, c_exit },
	{ "bye", NULL, NULL, c_exit },
	{ "clear", NULL, NULL, c_reset },
	{ "?", NULL, NULL, c_help },
	{ NULL, NULL, NULL, NULL }
};

static const struct rcmd *
rcmd_find(const char *name)
{
	size_t	 i;

	for (i = 0; rcmds[i].name != NULL; i++)
		if (strcmp(rcmds[i].name, name) == 0)
			return &rcmds[i];
	return NULL;
}

static int
c_help(struct repl *r, const char *arg, struct err *e)
{
	size_t	 i;
	char	*u;

	(void)r;
	(void)arg;
	(void)e;
	for (i = 0; rcmds[i].name != NULL; i++) {
		if (rcmds[i].help == NULL)
			continue;
		u = xasprintf("/%s%s%s", rcmds[i].name, rcmds[i].args[0] ?
		    " " : "", rcmds[i].args);
		printf("  %-30s %s\n", u, rcmds[i].help);
		free(u);
	}
	printf("  %-30s %s\n", "\"\"\" ... \"\"\"", "a multi-line prompt");
	printf("  %-30s %s\n", "//TEXT", "a prompt that starts with /");
	printf("Ctrl-C cancels an answer (or clears the line); Ctrl-D "
	    "leaves.\n");
	fflush(stdout);
	return 0;
}

int
repl_command(struct repl *r, const char *line, struct err *e)
{
	const struct rcmd	*c;
	char			*name, *arg;
	size_t			 n;
	int			 rc;

	line++;
	n = strcspn(line, " \t");
	name = xstrndup(line, n);
	arg = xstrdup(skip(line + n));
	n = strlen(arg);
	while (n > 0 && (arg[n - 1] == ' ' || arg[n - 1] == '\t'))
		arg[--n] = '\0';
	if ((c = rcmd_find(name)) == NULL)
		rc = err_set(e, EXIT_USAGE, "repl: unknown command /%s (see "
		    "/help)", name);
	else
		rc = c->fn(r, arg, e);
	free(name);
	free(arg);
	return rc;
}

/* Files in the directory of a partial path, for /save and /load. */
static void
complete_files(const char *word, struct strlist *out)
{
	const char	*slash = strrchr(word, '/');
	char		*dir;
	struct dirent	*d;
	DIR		*dp;

	dir = slash ? xstrndup(word, (size_t)(slash - word + 1)) :
	    xstrdup("");
	if ((dp = opendir(dir[0] ? dir : ".")) != NULL) {
		while ((d = readdir(dp)) != NULL) {
			if (d->d_name[0] == '.')
				continue;
			sl_addf(out, "%s%s%s", dir, d->d_name,
			    d->d_type == DT_DIR ? "/" : "");
		}
		closedir(dp);
	}
	sl_sort(out);
	free(dir);
}

void
repl_complete(const char *line, size_t start, struct strlist *out,
    void *arg)
{
	static const char *const keys[] = { "temperature", "top_p",
	    "max_tokens", "seed", "stop", "stream", "history", "multiline",
	    "system", NULL };
	struct repl	*r = arg;
	struct err	 e = ERR_INIT;
	size_t		 i, n;

	if (line[0] != '/')
		return;
	if (start == 0) {
		for (i = 0; rcmds[i].name != NULL; i++)
			if (rcmds[i].help != NULL)
				sl_addf(out, "/%s", rcmds[i].name);
		return;
	}
	n = strcspn(line, " ");
	if ((n == 6 && strncmp(line, "/model", 6) == 0 && start == 7) ||
	    (n == 8 && strncmp(line, "/compare", 8) == 0)) {
		if (repl_load_models(r, 0, &e) != 0)
			err_clear(&e);
		for (i = 0; i < r->models.n; i++)
			sl_add(out, r->models.v[i]);
	} else if (n == 4 && strncmp(line, "/set", 4) == 0 && start == 5) {
		for (i = 0; keys[i] != NULL; i++)
			sl_add(out, keys[i]);
	} else if ((n == 5 && (strncmp(line, "/save", 5) == 0 ||
	    strncmp(line, "/load", 5) == 0)) && start == 6)
		complete_files(line + start, out);
}
