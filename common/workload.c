/*
 * workload.c: request bodies for `maasctl bench` from length distributions
 * or datasets (see workload.h).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "openai.h"
#include "workload.h"
#include "xalloc.h"

static const char *const vocab[] = {
	"time", "model", "token", "river", "stone", "light", "cloud", "paper",
	"green", "quick", "table", "north", "music", "voice", "apple", "plant",
	"bread", "metal", "glass", "sugar", "water", "night", "field", "house",
	"smile", "train", "ocean", "story", "price", "mouse", "chair", "dream"
};
#define NVOCAB	(sizeof vocab / sizeof vocab[0])

int
wl_parse_dist(const char *s, const char *what, struct wl_dist *d,
    struct err *e)
{
	char	*end;
	double	 a, b;

	memset(d, 0, sizeof *d);
	if (strncmp(s, "uniform:", 8) == 0 || strncmp(s, "normal:", 7) == 0) {
		d->kind = s[0] == 'u' ? WL_UNIFORM : WL_NORMAL;
		s = strchr(s, ':') + 1;
		errno = 0;
		a = strtod(s, &end);
		if (end == s || *end != ':')
			goto bad;
		s = end + 1;
		b = strtod(s, &end);
		if (end == s || *end != '\0' || errno != 0 || a < 0 || b < 0 ||
		    (d->kind == WL_UNIFORM && (b < a || b < 1)) ||
		    (d->kind == WL_NORMAL && a < 1))
			goto bad;
		d->a = a;
		d->b = b;
		return 0;
	}
	errno = 0;
	a = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || a < 1 || a > 1e7 ||
	    a != floor(a))
		goto bad;
	d->kind = WL_FIXED;
	d->a = a;
	return 0;
bad:
	return err_set(e, EXIT_USAGE, "invalid %s \"%s\": want N, "
	    "uniform:MIN:MAX or normal:MEAN:STDDEV (token counts >= 1)", what,
	    s);
}

static long
draw(const struct wl_dist *d, uint64_t *rng)
{
	double	 v;

	switch (d->kind) {
	case WL_UNIFORM:
		v = d->a + floor(lg_uniform(rng) * (d->b - d->a + 1));
		break;
	case WL_NORMAL:
		v = round(d->a + d->b * lg_normal(rng));
		break;
	default:
		v = d->a;
		break;
	}
	return v < 1 ? 1 : (long)v;
}

long
wl_count_tokens(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	long			 n = 0;

#define WORDC(c) (isalnum(c) || (c) == '_' || (c) >= 0x80)
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == '\0')
			break;
		n++;
		if (WORDC(*p))
			while (*p != '\0' && WORDC(*p))
				p++;
		else
			p++;
	}
#undef WORDC
	return n;
}

static void wl_free_items(struct workload *);

static void
item_free(struct wl_item *it)
{
	free(it->prompt);
	cJSON_Delete(it->messages);
}

static int
add_item(struct workload *w, size_t *cap, char *prompt, cJSON *messages,
    long max_tokens)
{
	if (w->nitems == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		w->items = xrealloc(w->items, *cap * sizeof *w->items);
	}
	w->items[w->nitems].prompt = prompt;
	w->items[w->nitems].messages = messages;
	w->items[w->nitems].max_tokens = max_tokens;
	w->nitems++;
	return 0;
}

/* ShareGPT: [{"conversations": [{"from": "human", "value"}, {"from":
 * "gpt", "value"}, ...]}, ...]; the first human turn is the prompt and the
 * length of the answer after it the output length (vLLM's reading). */
static int
load_sharegpt(struct workload *w, const cJSON *arr, const char *path,
    struct err *e)
{
	const cJSON	*conv, *c, *turn, *from, *val;
	const char	*q;
	size_t		 cap = 0;
	long		 out;

	cJSON_ArrayForEach(conv, arr) {
		c = cJSON_GetObjectItem(conv, "conversations");
		if (c == NULL)
			c = cJSON_GetObjectItem(conv, "conversation");
		q = NULL;
		out = -1;
		cJSON_ArrayForEach(turn, c) {
			from = cJSON_GetObjectItem(turn, "from");
			val = cJSON_GetObjectItem(turn, "value");
			if (!cJSON_IsString(from) || !cJSON_IsString(val))
				continue;
			if (q == NULL && (strcmp(from->valuestring, "human") ==
			    0 || strcmp(from->valuestring, "user") == 0))
				q = val->valuestring;
			else if (q != NULL && (strcmp(from->valuestring,
			    "gpt") == 0 || strcmp(from->valuestring,
			    "assistant") == 0)) {
				out = wl_count_tokens(val->valuestring);
				break;
			}
		}
		/* vLLM drops pairs under 4 tokens either way. */
		if (q == NULL || out < 4 || wl_count_tokens(q) < 4)
			continue;
		add_item(w, &cap, xstrdup(q), NULL, out);
	}
	if (w->nitems == 0)
		return err_set(e, EXIT_USAGE, "dataset %s: no usable ShareGPT "
		    "conversation (want a human turn and a gpt answer of at "
		    "least 4 tokens each)", path);
	return 0;
}

static int
load_jsonl(struct workload *w, const char *buf, const char *path,
    struct err *e)
{
	const char	*p = buf, *nl;
	struct err	 pe = ERR_INIT;
	cJSON		*o, *v, *mt;
	size_t		 cap = 0, line = 0;
	long		 max;

	while (*p != '\0') {
		line++;
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		while (p < nl && isspace((unsigned char)*p))
			p++;
		if (p == nl) {
			p = *nl ? nl + 1 : nl;
			continue;
		}
		if ((o = json_parse(p, (size_t)(nl - p), &pe)) == NULL) {
			err_set(e, EXIT_USAGE, "dataset %s line %zu: %s", path,
			    line, pe.msg ? pe.msg : "malformed JSON");
			err_clear(&pe);
			return -1;
		}
		mt = cJSON_GetObjectItem(o, "max_tokens");
		if (mt == NULL)
			mt = cJSON_GetObjectItem(o, "output_tokens");
		max = cJSON_IsNumber(mt) && mt->valuedouble >= 1 ?
		    (long)mt->valuedouble : -1;
		if (cJSON_IsString(v = cJSON_GetObjectItem(o, "prompt")))
			add_item(w, &cap, xstrdup(v->valuestring), NULL, max);
		else if (cJSON_IsArray(v = cJSON_GetObjectItem(o,
		    "messages")) && cJSON_GetArraySize(v) > 0)
			add_item(w, &cap, NULL, cJSON_Duplicate(v, 1), max);
		else {
			cJSON_Delete(o);
			return err_set(e, EXIT_USAGE, "dataset %s line %zu: "
			    "want an object with \"prompt\" (a string) or "
			    "\"messages\" (an array)", path, line);
		}
		cJSON_Delete(o);
		p = *nl ? nl + 1 : nl;
	}
	if (w->nitems == 0)
		return err_set(e, EXIT_USAGE, "dataset %s: no prompts", path);
	return 0;
}

int
wl_load(struct workload *w, const char *path, struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	char		 buf[65536];
	size_t		 n;
	const char	*p;
	cJSON		*arr;
	FILE		*f;
	int		 rc = -1;

	if ((f = fopen(path, "r")) == NULL)
		return err_set(e, EXIT_USAGE, "cannot read dataset %s: %s",
		    path, strerror(errno));
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(&sb, buf, n);
	fclose(f);
	if (sb.len == 0) {
		err_set(e, EXIT_USAGE, "dataset %s is empty", path);
		goto out;
	}
	for (p = sb.buf; isspace((unsigned char)*p); p++)
		;
	if (*p == '[') {
		if ((arr = json_parse(sb.buf, sb.len, e)) == NULL) {
			err_wrap(e, "dataset %s", path);
			goto out;
		}
		rc = load_sharegpt(w, arr, path, e);
		cJSON_Delete(arr);
	} else
		rc = load_jsonl(w, sb.buf, path, e);
out:
	sb_free(&sb);
	return rc;
}

static char *
make_body(struct workload *w, uint64_t seq)
{
	struct oai_params	 p;
	struct strbuf		 text = STRBUF_INIT;
	const struct wl_item	*it = NULL;
	cJSON			*body, *msgs = NULL, *so;
	uint64_t		 rng = w->seed ^ (seq * 0x9e3779b97f4a7c15ULL);
	long			 in, i;
	char			*s;

	lg_rand(&rng);
	oai_params_init(&p);
	p.model = w->model;
	p.stream = w->stream;
	p.include_usage = 1;
	p.extra = w->extra;
	if (w->nitems > 0) {
		it = &w->items[seq % w->nitems];
		p.max_tokens = it->max_tokens >= 0 ? it->max_tokens :
		    draw(&w->out, &rng);
	} else {
		in = draw(&w->in, &rng);
		p.max_tokens = draw(&w->out, &rng);
		for (i = 0; i < in; i++)
			sb_addf(&text, "%s%s", i ? " " : "",
			    vocab[lg_rand(&rng) % NVOCAB]);
	}
	if (w->chat) {
		if (it != NULL && it->messages != NULL)
			msgs = cJSON_Duplicate(it->messages, 1);
		else {
			msgs = cJSON_CreateArray();
			oai_messages_add(msgs, "user", it != NULL ?
			    it->prompt : text.buf);
		}
		body = oai_chat_request(&p, msgs);
	} else if (it != NULL && it->prompt == NULL) {
		/* Messages for completions: their contents joined. */
		const cJSON *m;

		cJSON_ArrayForEach(m, it->messages) {
			const char *c = json_str(m, "content");

			if (c != NULL)
				sb_addf(&text, "%s%s", text.len ? "\n" : "", c);
		}
		body = oai_completion_request(&p, text.buf ? text.buf : "");
	} else
		body = oai_completion_request(&p, it != NULL ? it->prompt :
		    text.buf);
	if (w->ignore_eos && cJSON_GetObjectItem(body, "ignore_eos") == NULL)
		cJSON_AddBoolToObject(body, "ignore_eos", 1);
	if (w->stream && w->continuous_usage &&
	    (so = cJSON_GetObjectItem(body, "stream_options")) != NULL)
		cJSON_AddBoolToObject(so, "continuous_usage_stats", 1);
	s = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	cJSON_Delete(msgs);
	sb_free(&text);
	return s;
}

int
wl_body(void *arg, uint64_t seq, struct lg_body *b, struct err *e)
{
	struct workload	*w = arg;

	(void)e;
	b->chat = w->chat;
	b->cls = 0;
	b->url = NULL;
	if (w->shared_prompt) {
		if (w->cached == NULL) {
			w->cached = make_body(w, 0);
			w->cached_len = strlen(w->cached);
		}
		b->data = w->cached;
		b->len = w->cached_len;
		b->owned = 0;
		return 0;
	}
	b->data = make_body(w, seq);
	b->len = strlen(b->data);
	b->owned = 1;
	return 0;
}

static cJSON *
dist_json(const struct wl_dist *d)
{
	cJSON	*o = cJSON_CreateObject();

	switch (d->kind) {
	case WL_UNIFORM:
		cJSON_AddStringToObject(o, "distribution", "uniform");
		cJSON_AddNumberToObject(o, "min", d->a);
		cJSON_AddNumberToObject(o, "max", d->b);
		break;
	case WL_NORMAL:
		cJSON_AddStringToObject(o, "distribution", "normal");
		cJSON_AddNumberToObject(o, "mean", d->a);
		cJSON_AddNumberToObject(o, "stddev", d->b);
		break;
	default:
		cJSON_AddStringToObject(o, "distribution", "fixed");
		cJSON_AddNumberToObject(o, "value", d->a);
		break;
	}
	return o;
}

cJSON *
wl_describe(const struct workload *w, const char *dataset)
{
	cJSON	*o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "endpoint", w->chat ? "chat/completions" :
	    "completions");
	if (dataset != NULL) {
		cJSON_AddStringToObject(o, "dataset", dataset);
		cJSON_AddNumberToObject(o, "dataset_entries",
		    (double)w->nitems);
	} else
		cJSON_AddItemToObject(o, "input_tokens", dist_json(&w->in));
	cJSON_AddItemToObject(o, "output_tokens", dist_json(&w->out));
	cJSON_AddBoolToObject(o, "ignore_eos", w->ignore_eos);
	cJSON_AddBoolToObject(o, "continuous_usage_stats",
	    w->continuous_usage);
	cJSON_AddBoolToObject(o, "shared_prompt", w->shared_prompt);
	return o;
}

static void
wl_free_items(struct workload *w)
{
	size_t	 i;

	for (i = 0; i < w->nitems; i++)
		item_free(&w->items[i]);
	free(w->items);
	w->items = NULL;
	w->nitems = 0;
}

void
wl_free(struct workload *w)
{
	if (!w->items_borrowed)
		wl_free_items(w);
	free(w->cached);
	free(w->model_owned);
	w->items = NULL;
	w->nitems = 0;
	w->cached = NULL;
	w->model_owned = NULL;
}

int
wl_parse_class(const char *spec, struct workload *w, char **name,
    double *weight, struct err *e)
{
	char	*copy = xstrdup(spec), *tok, *save = NULL, *eq, *end;
	int	 rc = -1;

	*name = NULL;
	*weight = 1;
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((eq = strchr(tok, '=')) == NULL) {
			err_set(e, EXIT_USAGE, "invalid --class \"%s\": want "
			    "KEY=VALUE pairs (name, weight, model, endpoint, "
			    "input, output, dataset)", spec);
			goto out;
		}
		*eq++ = '\0';
		if (strcmp(tok, "name") == 0 && *eq != '\0') {
			free(*name);
			*name = xstrdup(eq);
		} else if (strcmp(tok, "weight") == 0) {
			*weight = strtod(eq, &end);
			if (end == eq || *end != '\0' || !(*weight > 0)) {
				err_set(e, EXIT_USAGE, "invalid --class weight "
				    "\"%s\": want a positive number", eq);
				goto out;
			}
		} else if (strcmp(tok, "model") == 0 && *eq != '\0') {
			free(w->model_owned);
			w->model = w->model_owned = xstrdup(eq);
		}
		else if (strcmp(tok, "endpoint") == 0 &&
		    (strcmp(eq, "chat") == 0 || strcmp(eq, "completions") == 0))
			w->chat = strcmp(eq, "chat") == 0;
		else if (strcmp(tok, "input") == 0) {
			if (wl_parse_dist(eq, "--class input", &w->in, e) != 0)
				goto out;
		} else if (strcmp(tok, "output") == 0) {
			if (wl_parse_dist(eq, "--class output", &w->out, e) !=
			    0)
				goto out;
		} else if (strcmp(tok, "dataset") == 0) {
			if (!w->items_borrowed)
				wl_free_items(w);
			w->items = NULL;
			w->nitems = 0;
			w->items_borrowed = 0;
			if (wl_load(w, eq, e) != 0)
				goto out;
		} else {
			err_set(e, EXIT_USAGE, "invalid --class \"%s\": unknown "
			    "or empty key \"%s\"", spec, tok);
			goto out;
		}
	}
	if (*name == NULL) {
		err_set(e, EXIT_USAGE, "invalid --class \"%s\": name=NAME is "
		    "required", spec);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		free(*name);
		*name = NULL;
	}
	free(copy);
	return rc;
}

int
wl_mix_body(void *arg, uint64_t seq, struct lg_body *b, struct err *e)
{
	struct wl_mix	*m = arg;
	uint64_t	 rng = m->seed ^ (seq * 0xd1b54a32d192ed03ULL) ^
			    0x2545f4914f6cdd1dULL;
	double		 u;
	size_t		 k;

	lg_rand(&rng);
	u = lg_uniform(&rng) * m->cum[m->n - 1];
	for (k = 0; k + 1 < m->n && u >= m->cum[k]; k++)
		;
	if (wl_body(&m->w[k], seq, b, e) != 0)
		return -1;
	b->cls = (unsigned)k;
	b->url = m->urls[k];
	return 0;
}
