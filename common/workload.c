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

/* n words of the vocabulary drawn from rng, appended to sb. */
static void
add_words(struct strbuf *sb, long n, uint64_t *rng)
{
	long	 i;

	for (i = 0; i < n; i++)
		sb_addf(sb, "%s%s", sb->len ? " " : "",
		    vocab[lg_rand(rng) % NVOCAB]);
}

void
wl_words(struct strbuf *sb, long n, uint64_t *rng)
{
	add_words(sb, n, rng);
}

long
wl_words_for(const struct workload *w, long tokens)
{
	long	 n;

	if (!(w->in_words_per_token > 0))
		return tokens;
	n = lround(((double)tokens - w->in_overhead) * w->in_words_per_token);
	return n < 1 ? 1 : n;
}

/* The text every request of prefix group g starts with. */
static void
group_prefix(const struct workload *w, uint64_t g, struct strbuf *sb)
{
	uint64_t	 rng = w->seed ^ ((g + 1) * 0xbf58476d1ce4e5b9ULL) ^
			    0x7a11c0de5eedULL;

	lg_rand(&rng);
	add_words(sb, w->prefix_tokens, &rng);
}

/* A trace entry's prompt: one fixed block of words per hash id (so entries
 * sharing ids share a prefix), then words of this request alone, in all
 * `in` words. */
static void
trace_prompt(const struct workload *w, const struct wl_trace_item *t,
    uint64_t *rng, struct strbuf *sb)
{
	uint64_t	 hr;
	long		 left = t->in, k;
	size_t		 i;

	for (i = 0; i < t->nhash && left > 0; i++) {
		hr = w->seed ^ (t->hash[i] * 0x94d049bb133111ebULL) ^
		    0x3c6ef372fe94f82aULL;
		lg_rand(&hr);
		k = left < WL_TRACE_BLOCK ? left : WL_TRACE_BLOCK;
		add_words(sb, k, &hr);
		left -= k;
	}
	add_words(sb, left, rng);
}

/* Put text (and a separator) before the first string content of msgs. */
static void
prepend_message(cJSON *msgs, const char *text)
{
	cJSON	*m, *c;
	char	*v;

	cJSON_ArrayForEach(m, msgs) {
		c = cJSON_GetObjectItem(m, "content");
		if (!cJSON_IsString(c))
			continue;
		v = xasprintf("%s\n%s", text, c->valuestring);
		cJSON_ReplaceItemInObject(m, "content", cJSON_CreateString(v));
		free(v);
		return;
	}
}

/*
 * Multi-turn: sessions conversations are in progress at once and their
 * turns interleave, so request seq is turn (seq / S) mod N of conversation
 * (seq / (S N)) S + seq mod S, S = sessions, N = turns.
 */
void
wl_session_of(const struct workload *w, uint64_t seq, long *session,
    long *turn)
{
	uint64_t	 s = w->sessions > 0 ? (uint64_t)w->sessions : 1;
	uint64_t	 n = w->turns > 0 ? (uint64_t)w->turns : 1;

	*turn = (long)((seq % (s * n)) / s);
	*session = (long)((seq / (s * n)) * s + seq % s);
}

/* The user prompt, the answer length and (when answer is set) the
 * synthetic answer of turn t of conversation c: the same every time. */
static long
turn_text(const struct workload *w, long c, long t, struct strbuf *user,
    struct strbuf *answer)
{
	uint64_t	 rng = w->seed ^ ((uint64_t)(c + 1) *
			    0x9e3779b97f4a7c15ULL) ^ ((uint64_t)(t + 1) *
			    0xc2b2ae3d27d4eb4fULL) ^ 0x5e551075eedULL;
	uint64_t	 arng;
	long		 in, out;

	lg_rand(&rng);
	in = draw(&w->in, &rng);
	out = draw(&w->out, &rng);
	arng = rng ^ 0xa5a5a5a5a5a5a5a5ULL;
	if (t == 0 && w->cache_bust) {
		/* The conversation's own first word: no other conversation
		 * of this seed shares its prefix, its turns still do. */
		uint64_t nr = w->seed ^ ((uint64_t)c * 0xd6e8feb86659fd93ULL) ^
		    0xcb5e0b1a5eedULL;

		sb_addf(user, "%016llx", (unsigned long long)lg_rand(&nr));
		in--;
	} else if (t == 0 && w->prefix_groups > 0) {
		group_prefix(w, (uint64_t)c % (uint64_t)w->prefix_groups, user);
	}
	add_words(user, in, &rng);
	if (answer != NULL)
		add_words(answer, out, &arng);
	return out;
}

/*
 * The workload's own fields on a request body (ignore_eos, and
 * continuous_usage_stats when streaming), printed; body is freed.
 */
static char *
body_finish(const struct workload *w, cJSON *body)
{
	cJSON	*so;
	char	*s;

	if (w->ignore_eos && cJSON_GetObjectItem(body, "ignore_eos") == NULL)
		cJSON_AddBoolToObject(body, "ignore_eos", 1);
	if (w->stream && w->continuous_usage &&
	    (so = cJSON_GetObjectItem(body, "stream_options")) != NULL)
		cJSON_AddBoolToObject(so, "continuous_usage_stats", 1);
	s = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	return s;
}

/* A multi-turn request: every earlier turn of its conversation, each user
 * prompt followed by its (synthetic) answer, then this turn's prompt. */
static char *
session_body(struct workload *w, long c, long t)
{
	struct oai_params	 p;
	struct strbuf		 u = STRBUF_INIT, a = STRBUF_INIT;
	cJSON			*body, *msgs;
	long			 i;
	char			*s;

	oai_params_init(&p);
	p.model = w->model;
	p.stream = w->stream;
	p.include_usage = 1;
	p.extra = w->extra;
	msgs = cJSON_CreateArray();
	for (i = 0; i <= t; i++) {
		sb_reset(&u);
		sb_reset(&a);
		p.max_tokens = turn_text(w, c, i, &u, i < t ? &a : NULL);
		oai_messages_add(msgs, "user", u.buf ? u.buf : "");
		if (i < t)
			oai_messages_add(msgs, "assistant", a.buf ? a.buf : "");
	}
	body = oai_chat_request(&p, msgs);
	s = body_finish(w, body);
	cJSON_Delete(msgs);
	sb_free(&u);
	sb_free(&a);
	return s;
}

static char *
make_body(struct workload *w, uint64_t seq)
{
	struct oai_params	 p;
	struct strbuf		 text = STRBUF_INIT, pre = STRBUF_INIT;
	const struct wl_item	*it = NULL;
	const struct wl_trace_item *tr = NULL;
	cJSON			*body, *msgs = NULL;
	uint64_t		 rng = w->seed ^ (seq * 0x9e3779b97f4a7c15ULL);
	uint64_t		 nr;
	const char		*prompt;
	char			*joined = NULL, *s;
	long			 in, ids = -1, k;

	lg_rand(&rng);
	oai_params_init(&p);
	p.model = w->model;
	p.stream = w->stream;
	p.include_usage = 1;
	p.extra = w->extra;
	if (w->cache_bust) {
		/* One word (one token under the simulator's rule) no other
		 * request of this seed starts with. */
		nr = w->seed ^ (seq * 0xd6e8feb86659fd93ULL) ^
		    0xcb5e0b1a5eedULL;
		sb_addf(&pre, "%016llx", (unsigned long long)lg_rand(&nr));
	} else if (w->prefix_groups > 0)
		group_prefix(w, seq % (uint64_t)w->prefix_groups, &pre);
	if (w->trace != NULL && w->trace->n > 0) {
		tr = &w->trace->v[seq % w->trace->n];
		p.max_tokens = tr->out >= 0 ? tr->out : draw(&w->out, &rng);
		if (tr->prompt != NULL)
			sb_adds(&text, tr->prompt);
		else
			trace_prompt(w, tr, &rng, &text);
	} else if (w->nitems > 0) {
		it = &w->items[seq % w->nitems];
		p.max_tokens = it->max_tokens >= 0 ? it->max_tokens :
		    draw(&w->out, &rng);
	} else if (w->token_ids && !w->chat) {
		/* vLLM takes a prompt of token ids: its length is exact
		 * without a tokenizer. */
		ids = draw(&w->in, &rng);
		p.max_tokens = draw(&w->out, &rng);
	} else {
		in = wl_words_for(w, draw(&w->in, &rng));
		p.max_tokens = draw(&w->out, &rng);
		/* A cache-busting word takes the place of the first word, so
		 * the length stays the one drawn. */
		if (w->cache_bust) {
			sb_adds(&text, pre.buf);
			sb_reset(&pre);
			in--;
		}
		add_words(&text, in, &rng);
	}
	prompt = it != NULL ? it->prompt : text.buf ? text.buf : "";
	if (pre.len > 0 && prompt != NULL) {
		joined = xasprintf("%s%s%s", pre.buf, it != NULL ? "\n" : " ",
		    prompt);
		prompt = joined;
	}
	if (w->chat) {
		if (it != NULL && it->messages != NULL) {
			msgs = cJSON_Duplicate(it->messages, 1);
			if (pre.len > 0)
				prepend_message(msgs, pre.buf);
		} else {
			msgs = cJSON_CreateArray();
			oai_messages_add(msgs, "user", prompt);
		}
		body = oai_chat_request(&p, msgs);
	} else if (it != NULL && it->prompt == NULL) {
		/* Messages for completions: their contents joined. */
		const cJSON *m;

		if (pre.len > 0)
			sb_adds(&text, pre.buf);
		cJSON_ArrayForEach(m, it->messages) {
			const char *c = json_str(m, "content");

			if (c != NULL)
				sb_addf(&text, "%s%s", text.len ? "\n" : "", c);
		}
		body = oai_completion_request(&p, text.buf ? text.buf : "");
	} else if (ids >= 0) {
		cJSON	*arr = cJSON_CreateArray();

		body = oai_completion_request(&p, "");
		/* Ids of ordinary tokens: clear of the special ones at the
		 * start of every vocabulary, inside the smallest common one
		 * (32,000). */
		for (k = 0; k < (ids > 0 ? ids : 1); k++)
			cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)
			    (1000 + lg_rand(&rng) % 30000)));
		cJSON_ReplaceItemInObject(body, "prompt", arr);
	} else
		body = oai_completion_request(&p, prompt);
	s = body_finish(w, body);
	cJSON_Delete(msgs);
	sb_free(&text);
	sb_free(&pre);
	free(joined);
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
	if (w->turns > 0) {
		wl_session_of(w, seq, &b->session, &b->turn);
		return wl_turn_body(w, b->session, b->turn, b);
	}
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

int
wl_turn_body(struct workload *w, long session, long turn, struct lg_body *b)
{
	b->chat = 1;
	b->session = session;
	b->turn = turn;
	b->data = session_body(w, session, turn);
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
	} else if (w->trace == NULL)
		cJSON_AddItemToObject(o, "input_tokens", dist_json(&w->in));
	cJSON_AddItemToObject(o, "output_tokens", dist_json(&w->out));
	cJSON_AddBoolToObject(o, "stream", w->stream);
	if (w->token_ids && !w->chat && w->nitems == 0 && w->trace == NULL)
		cJSON_AddStringToObject(o, "prompt_format", "token_ids");
	if (w->in_words_per_token > 0) {
		cJSON_AddNumberToObject(o, "words_per_server_token",
		    round(w->in_words_per_token * 1e4) / 1e4);
		cJSON_AddNumberToObject(o, "server_token_overhead",
		    w->in_overhead);
	}
	cJSON_AddBoolToObject(o, "ignore_eos", w->ignore_eos);
	cJSON_AddBoolToObject(o, "continuous_usage_stats",
	    w->continuous_usage);
	cJSON_AddBoolToObject(o, "shared_prompt", w->shared_prompt);
	if (w->prefix_groups > 0) {
		cJSON_AddNumberToObject(o, "prefix_groups",
		    (double)w->prefix_groups);
		cJSON_AddNumberToObject(o, "prefix_tokens",
		    (double)w->prefix_tokens);
	}
	cJSON_AddBoolToObject(o, "cache_bust", w->cache_bust);
	if (w->turns > 0) {
		cJSON_AddNumberToObject(o, "turns", (double)w->turns);
		cJSON_AddNumberToObject(o, "sessions", (double)w->sessions);
	}
	if (w->trace != NULL) {
		cJSON_AddNumberToObject(o, "trace_entries", (double)w->trace->n);
		cJSON_AddNumberToObject(o, "trace_span_s", w->trace->span);
		cJSON_AddNumberToObject(o, "trace_block_tokens",
		    WL_TRACE_BLOCK);
	}
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
			    "url, key, header, stream, input, output, dataset, "
			    "prefix-groups, prefix-tokens)", spec);
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
		} else if (strcmp(tok, "stream") == 0) {
			if (strcmp(eq, "true") != 0 && strcmp(eq, "false") !=
			    0) {
				err_set(e, EXIT_USAGE, "invalid --class stream "
				    "\"%s\": want true or false", eq);
				goto out;
			}
			w->stream = strcmp(eq, "true") == 0;
		} else if (strcmp(tok, "prefix-groups") == 0 ||
		    strcmp(tok, "prefix-tokens") == 0) {
			long	 v = strtol(eq, &end, 10);

			if (end == eq || *end != '\0' || v < 1 || v > 1000000) {
				err_set(e, EXIT_USAGE, "invalid --class %s "
				    "\"%s\": want a number from 1 to 1000000",
				    tok, eq);
				goto out;
			}
			if (tok[7] == 'g') {
				w->prefix_groups = v;
				if (w->prefix_tokens == 0)
					w->prefix_tokens = 128;
			} else
				w->prefix_tokens = v;
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

/* Sort trace entries by time, keeping the file's order on ties. */
static int
trace_cmp(const void *a, const void *b)
{
	const struct wl_trace_item *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->ord < y->ord ? -1 : x->ord > y->ord;
}

/* One trace line into *t; -1 with e set when it is not a trace entry. */
static int
trace_item(const cJSON *o, const char *path, size_t line, double scale,
    struct wl_trace_item *t, struct err *e)
{
	const cJSON	*ts, *v, *h;
	size_t		 i;

	memset(t, 0, sizeof *t);
	t->out = -1;
	ts = cJSON_GetObjectItem(o, "timestamp");
	if (!cJSON_IsNumber(ts) || !(ts->valuedouble >= 0) ||
	    ts->valuedouble > 1e12)
		return err_set(e, EXIT_USAGE, "trace %s line %zu: want "
		    "\"timestamp\" (milliseconds, a number >= 0)", path, line);
	t->at = (int64_t)llround(ts->valuedouble * scale * 1e6);
	if (cJSON_IsString(v = cJSON_GetObjectItem(o, "prompt"))) {
		t->prompt = xstrdup(v->valuestring);
		t->in = wl_count_tokens(v->valuestring);
	} else if (cJSON_IsNumber(v = cJSON_GetObjectItem(o,
	    "input_length")) && v->valuedouble >= 1 && v->valuedouble <= 1e7)
		t->in = (long)v->valuedouble;
	else
		return err_set(e, EXIT_USAGE, "trace %s line %zu: want "
		    "\"input_length\" (tokens, 1 to 10000000) or \"prompt\" "
		    "(a string)", path, line);
	if ((v = cJSON_GetObjectItem(o, "output_length")) != NULL) {
		if (!cJSON_IsNumber(v) || v->valuedouble < 1 ||
		    v->valuedouble > 1e7) {
			free(t->prompt);
			return err_set(e, EXIT_USAGE, "trace %s line %zu: "
			    "\"output_length\" wants tokens, 1 to 10000000",
			    path, line);
		}
		t->out = (long)v->valuedouble;
	}
	if ((h = cJSON_GetObjectItem(o, "hash_ids")) != NULL) {
		if (!cJSON_IsArray(h)) {
			free(t->prompt);
			return err_set(e, EXIT_USAGE, "trace %s line %zu: "
			    "\"hash_ids\" wants an array of integers", path,
			    line);
		}
		t->nhash = (size_t)cJSON_GetArraySize(h);
		t->hash = xcalloc(t->nhash ? t->nhash : 1, sizeof *t->hash);
		i = 0;
		cJSON_ArrayForEach(v, h) {
			if (!cJSON_IsNumber(v) || v->valuedouble < 0) {
				free(t->prompt);
				free(t->hash);
				return err_set(e, EXIT_USAGE, "trace %s line "
				    "%zu: \"hash_ids\" wants an array of "
				    "integers >= 0", path, line);
			}
			t->hash[i++] = (uint64_t)v->valuedouble;
		}
	}
	return 0;
}

int
wl_trace_load(struct wl_trace *tr, const char *path, double scale,
    struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	struct err	 pe = ERR_INIT;
	char		 buf[65536];
	const char	*p, *nl;
	size_t		 n, cap = 0, line = 0;
	cJSON		*o;
	FILE		*f;
	int		 rc = -1;

	memset(tr, 0, sizeof *tr);
	if ((f = fopen(path, "r")) == NULL)
		return err_set(e, EXIT_USAGE, "cannot read trace %s: %s", path,
		    strerror(errno));
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(&sb, buf, n);
	fclose(f);
	for (p = sb.buf ? sb.buf : ""; *p != '\0'; p = *nl ? nl + 1 : nl) {
		line++;
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		while (p < nl && isspace((unsigned char)*p))
			p++;
		if (p == nl)
			continue;
		if ((o = json_parse(p, (size_t)(nl - p), &pe)) == NULL) {
			err_set(e, EXIT_USAGE, "trace %s line %zu: %s", path,
			    line, pe.msg ? pe.msg : "malformed JSON");
			err_clear(&pe);
			goto out;
		}
		if (tr->n == cap) {
			cap = cap ? cap * 2 : 256;
			tr->v = xrealloc(tr->v, cap * sizeof *tr->v);
		}
		if (!cJSON_IsObject(o) || trace_item(o, path, line, scale,
		    &tr->v[tr->n], e) != 0) {
			if (!cJSON_IsObject(o))
				err_set(e, EXIT_USAGE, "trace %s line %zu: want "
				    "a JSON object", path, line);
			cJSON_Delete(o);
			goto out;
		}
		tr->v[tr->n].ord = tr->n;
		tr->n++;
		cJSON_Delete(o);
	}
	if (tr->n == 0) {
		err_set(e, EXIT_USAGE, "trace %s has no entries", path);
		goto out;
	}
	qsort(tr->v, tr->n, sizeof *tr->v, trace_cmp);
	for (n = tr->n; n-- > 0;)
		tr->v[n].at -= tr->v[0].at;
	tr->span = (double)tr->v[tr->n - 1].at / 1e9;
	rc = 0;
out:
	sb_free(&sb);
	if (rc != 0)
		wl_trace_free(tr);
	return rc;
}

int64_t *
wl_trace_schedule(const struct wl_trace *tr)
{
	int64_t	*d = xcalloc(tr->n ? tr->n : 1, sizeof *d);
	size_t	 i;

	for (i = 0; i < tr->n; i++)
		d[i] = tr->v[i].at;
	return d;
}

void
wl_trace_free(struct wl_trace *tr)
{
	size_t	 i;

	for (i = 0; i < tr->n; i++) {
		free(tr->v[i].prompt);
		free(tr->v[i].hash);
	}
	free(tr->v);
	memset(tr, 0, sizeof *tr);
}
