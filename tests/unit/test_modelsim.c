/*
 * test_modelsim.c: the model simulator's tokenizer, lorem text, random
 * numbers, latency model and settings.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "xalloc.h"

#include "sandbox/modelsim.h"
#include "sandbox/modelsim_int.h"

static char *
piece_str(const char *text, const struct msim_piece *p)
{
	return xstrndup(text + p->off, p->len);
}

static char *
joined(const char *text)
{
	struct msim_piece *p = NULL;
	struct strbuf sb;
	size_t n, i;

	sb_init(&sb);
	n = msim_tokenize(text, strlen(text), &p);
	for (i = 0; i < n; i++) {
		sb_add(&sb, text + p[i].off, p[i].len);
		if (i + 1 < n)
			sb_addc(&sb, '|');
	}
	free(p);
	return sb_detach(&sb);
}

TEST(tokenizer)
{
	struct msim_piece *p = NULL;
	const char *t = "Hello, world! It's 42.";
	char *s;
	size_t n;

	n = msim_tokenize(t, strlen(t), &p);
	is_int(n, 9, "words and punctuation are tokens");
	s = piece_str(t, &p[2]);
	is_str(s, " world", "whitespace leads the token after it");
	free(s);
	free(p);
	s = joined(t);
	is_str(s, "Hello|,| world|!| It|'|s| 42|.", "split of a sentence");
	free(s);
	s = joined("  two  spaces  ");
	is_str(s, "  two|  spaces|  ", "trailing whitespace is one token");
	free(s);
	s = joined("caf\xc3\xa9 na\xc3\xafve");
	is_str(s, "caf\xc3\xa9| na\xc3\xafve", "UTF-8 letters stay in words");
	free(s);
	is_int(msim_count_tokens(""), 0, "empty text has no tokens");
	is_int(msim_count_tokens(NULL), 0, "NULL has no tokens");
	is_int(msim_count_tokens("a\n\nb"), 2, "newlines are whitespace");
	is_int(msim_count_tokens("snake_case_name"), 1, "underscores join");
}

TEST(tokenizer_roundtrip)
{
	const char *texts[] = { "", " ", "x", "a  b\t\n c!!", "{\"k\": [1,2]}",
	    "\xe2\x80\x94" "dash" "\xe2\x80\x94", "end. " };
	struct msim_piece *p;
	struct strbuf sb;
	size_t i, j, n;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		p = NULL;
		sb_init(&sb);
		n = msim_tokenize(texts[i], strlen(texts[i]), &p);
		for (j = 0; j < n; j++)
			sb_add(&sb, texts[i] + p[j].off, p[j].len);
		is_str(sb.buf ? sb.buf : "", texts[i], "tokens rejoin to "
		    "the text (%zu)", i);
		sb_free(&sb);
		free(p);
	}
}

TEST(lorem)
{
	struct msim_rng a, b;
	char *x, *y;
	size_t n;
	int bad = 0;

	msim_rng_seed(&a, 42);
	msim_rng_seed(&b, 42);
	x = msim_lorem(&a, 50);
	y = msim_lorem(&b, 50);
	is_str(x, y, "the same seed gives the same text");
	ok(x[0] >= 'A' && x[0] <= 'Z', "text starts with a capital");
	free(y);
	msim_rng_seed(&b, 43);
	y = msim_lorem(&b, 50);
	ok(strcmp(x, y) != 0, "another seed gives another text");
	free(x);
	free(y);
	for (n = 0; n <= 300; n++) {
		msim_rng_seed(&a, n * 7919);
		x = msim_lorem(&a, n);
		if (msim_count_tokens(x) != n) {
			bad++;
			printf("# lorem(%zu) has %zu tokens: %s\n", n,
			    msim_count_tokens(x), x);
		}
		free(x);
	}
	is_int(bad, 0, "lorem(n) is exactly n tokens for n = 0..300");
	msim_rng_seed(&a, 1);
	x = msim_lorem(&a, 0);
	is_str(x, "", "zero tokens is the empty text");
	free(x);
}

TEST(rng)
{
	struct msim_rng r;
	double sum = 0, sq = 0, x;
	int i, out = 0;

	msim_rng_seed(&r, 9);
	for (i = 0; i < 100000; i++) {
		x = msim_rng_double(&r);
		if (x < 0 || x >= 1)
			out++;
		sum += x;
	}
	is_int(out, 0, "doubles are in [0, 1)");
	ok(fabs(sum / 100000 - 0.5) < 0.01, "uniform mean near 0.5");
	sum = 0;
	for (i = 0; i < 100000; i++) {
		x = msim_rng_normal(&r);
		sum += x;
		sq += x * x;
	}
	ok(fabs(sum / 100000) < 0.02, "normal mean near 0");
	ok(fabs(sq / 100000 - 1) < 0.03, "normal variance near 1");
}

static void
moments(const struct msim_var *v, int n, double *mean, double *sd,
    double *lo, double *hi)
{
	struct msim_rng r;
	double x, s = 0, q = 0;
	int i;

	msim_rng_seed(&r, 123);
	*lo = INFINITY;
	*hi = -INFINITY;
	for (i = 0; i < n; i++) {
		x = msim_var_sample(v, &r);
		s += x;
		q += x * x;
		if (x < *lo)
			*lo = x;
		if (x > *hi)
			*hi = x;
	}
	*mean = s / n;
	*sd = sqrt(q / n - *mean * *mean);
}

TEST(distributions)
{
	struct msim_var v = { 0.010, 0.002, MSIM_DIST_NONE };
	double m, sd, lo, hi;

	moments(&v, 1000, &m, &sd, &lo, &hi);
	ok(lo == 0.010 && hi == 0.010, "none is always the mean");
	v.dist = MSIM_DIST_UNIFORM;
	moments(&v, 100000, &m, &sd, &lo, &hi);
	ok(lo >= 0.008 && hi <= 0.012, "uniform stays in mean +- spread");
	ok(fabs(m - 0.010) < 0.0001, "uniform mean (%g)", m);
	v.dist = MSIM_DIST_NORMAL;
	moments(&v, 100000, &m, &sd, &lo, &hi);
	ok(fabs(m - 0.010) < 0.0001, "normal mean (%g)", m);
	ok(fabs(sd - 0.002) < 0.0002, "normal stddev (%g)", sd);
	v.spread = 0.02;
	moments(&v, 100000, &m, &sd, &lo, &hi);
	ok(lo >= 0.003 - 1e-12 && hi <= 0.017 + 1e-12,
	    "normal is clamped to mean +- 70 %% (%g..%g)", lo, hi);
	v.spread = 0.005;
	v.dist = MSIM_DIST_LOGNORMAL;
	moments(&v, 200000, &m, &sd, &lo, &hi);
	ok(fabs(m - 0.010) < 0.0002, "lognormal mean (%g)", m);
	ok(fabs(sd - 0.005) < 0.0004, "lognormal stddev (%g)", sd);
	ok(lo > 0, "lognormal is positive");
	v.mean = 1;
	v.spread = 5;
	v.dist = MSIM_DIST_UNIFORM;
	moments(&v, 10000, &m, &sd, &lo, &hi);
	ok(lo >= 0, "samples are never negative");
}

TEST(latency_model)
{
	struct msim_config c;
	struct msim_rng r;

	msim_config_init(&c);
	c.max_num_seqs = 5;
	c.load_factor = 2.0;
	ok(fabs(msim_load_factor(&c, 1) - 1.0) < 1e-12, "one sequence: 1");
	ok(fabs(msim_load_factor(&c, 3) - 1.5) < 1e-12, "half full: 1.5");
	ok(fabs(msim_load_factor(&c, 5) - 2.0) < 1e-12, "full batch: f");
	ok(fabs(msim_load_factor(&c, 50) - 2.0) < 1e-12, "capped at f");
	ok(fabs(msim_load_factor(&c, 0) - 1.0) < 1e-12, "idle: 1");
	c.max_num_seqs = 1;
	ok(fabs(msim_load_factor(&c, 1) - 1.0) < 1e-12, "one slot: 1");
	c.max_num_seqs = 5;
	c.ttft.mean = 0.100;
	c.prefill_per_token = 0.001;
	c.itl.mean = 0.010;
	msim_rng_seed(&r, 1);
	ok(fabs(msim_ttft(&c, &r, 50, 1) - 0.150) < 1e-9,
	    "TTFT = ttft + prompt * prefill-per-token");
	ok(fabs(msim_ttft(&c, &r, 50, 5) - 0.300) < 1e-9,
	    "TTFT scales with the load factor");
	ok(fabs(msim_itl(&c, &r, 3) - 0.015) < 1e-9,
	    "ITL scales with the load factor");
	msim_config_free(&c);
}

static int
apply(struct msim_config *c, const char *json, struct err *e)
{
	cJSON *o = cJSON_Parse(json);
	int r;

	r = msim_config_apply(c, o, e);
	cJSON_Delete(o);
	return r;
}

static int
json_has_source(const cJSON *o)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "source");

	return cJSON_IsString(s) && strlen(s->valuestring) > 20;
}

TEST(settings)
{
	struct msim_config c;
	struct err e = ERR_INIT;
	const char *const *names;
	int n = 0;

	msim_config_init(&c);
	ok(apply(&c, "{\"maas.sandbox/ttft\":\"120ms\",\"itl\":0.005,"
	    "\"itl-jitter\":\"lognormal\",\"error-rate\":\"5%\","
	    "\"reasoning\":\"true\",\"max-num-seqs\":\"8\"}", &e) == 0,
	    "annotation-style settings apply");
	ok(fabs(c.ttft.mean - 0.120) < 1e-12, "ttft from a duration string");
	ok(fabs(c.itl.mean - 0.005) < 1e-12, "itl from seconds");
	ok(c.itl.dist == MSIM_DIST_LOGNORMAL, "jitter distribution");
	ok(fabs(c.error_rate - 0.05) < 1e-12, "a percentage rate");
	ok(c.reasoning == 1 && c.max_num_seqs == 8, "bool and int strings");
	ok(apply(&c, "{\"itl\":\"5ms\",\"profile\":\"h100-llama-3.1-8b\"}",
	    &e) == 0, "a profile applies");
	ok(fabs(c.itl.mean - 0.005) < 1e-12 && c.max_num_seqs == 256,
	    "keys override the profile whatever their order");
	ok(fabs(c.ttft.mean - 0.020) < 1e-12, "profile ttft");
	is_str(c.profile, "h100-llama-3.1-8b", "profile name kept");
	ok(apply(&c, "{\"tttf\":\"1s\"}", &e) == -1, "a typo is an error");
	is_str(e.msg, "unknown setting \"tttf\"", "names the setting");
	ok(apply(&c, "{\"ttft\":\"soon\"}", &e) == -1, "bad duration");
	is_str(e.msg, "setting ttft: \"soon\" is not a duration between 0s "
	    "and 1h (e.g. \"120ms\")", "says what a duration is");
	ok(apply(&c, "{\"error-rate\":2}", &e) == -1, "rate above 1");
	is_str(e.msg, "setting error-rate: 2 is out of range [0, 1]",
	    "says the range");
	ok(apply(&c, "{\"mode\":\"fixed\"}", &e) == -1, "fixed needs text");
	ok(apply(&c, "{\"profile\":\"a100\"}", &e) == -1, "unknown profile");
	is_str(e.msg, "setting profile: no built-in profile \"a100\"",
	    "names the profile");
	ok(apply(&c, "{\"itl-jitter\":\"gamma\"}", &e) == -1, "bad dist");
	ok(apply(&c, "[1]", &e) == -1, "settings must be an object");
	err_clear(&e);
	msim_config_free(&c);

	for (names = modelsim_profile_names(); *names != NULL; names++) {
		cJSON *o = cJSON_Parse(msim_profile_json(*names));

		msim_config_init(&c);
		ok(o != NULL && msim_config_apply(&c, o, &e) == 0 &&
		    json_has_source(o), "profile %s parses and cites its "
		    "source", *names);
		cJSON_Delete(o);
		msim_config_free(&c);
		n++;
	}
	ok(n >= 5, "five profiles ship (%d)", n);
}

TEST(busy_poll_setting)
{
	struct msim_config c;
	struct err e = ERR_INIT;

	msim_config_init(&c);
	ok(c.busy_poll == 0, "busy-poll is off by default");
	ok(apply(&c, "{\"busy-poll\":true}", &e) == 0 &&
	    c.busy_poll == HUGE_VAL, "true: poll always");
	ok(apply(&c, "{\"maas.sandbox/busy-poll\":\"false\"}", &e) == 0 &&
	    c.busy_poll == 0, "\"false\" as an annotation string: off");
	ok(apply(&c, "{\"busy-poll\":\"TRUE\"}", &e) == 0 &&
	    c.busy_poll == HUGE_VAL, "\"TRUE\" as a string");
	ok(apply(&c, "{\"busy-poll\":\"3ms\"}", &e) == 0 &&
	    fabs(c.busy_poll - 0.003) < 1e-12, "a duration: the margin");
	ok(apply(&c, "{\"busy-poll\":0.002}", &e) == 0 &&
	    fabs(c.busy_poll - 0.002) < 1e-12, "a number: seconds");
	ok(apply(&c, "{\"busy-poll\":\"0s\"}", &e) == 0 &&
	    c.busy_poll == 0, "a zero margin is off");
	ok(apply(&c, "{\"busy-poll\":\"soon\"}", &e) == -1, "bad value");
	is_str(e.msg, "setting busy-poll: want true, false or a duration "
	    "such as \"3ms\", not soon", "says what it wants");
	ok(apply(&c, "{\"busy-poll\":{}}", &e) == -1 &&
	    strstr(e.msg, "not that JSON value") != NULL, "an object");
	ok(apply(&c, "{\"busy-poll\":\"2h\"}", &e) == -1, "above 1h");
	ok(modelsim_check_setting("busy-poll", "5ms", &e) == 0,
	    "modelsim_check_setting accepts a margin");
	ok(modelsim_check_setting("busy-poll", "-1ms", &e) == -1 &&
	    strncmp(e.msg, "setting busy-poll: ", 19) == 0,
	    "and refuses a negative one");
	ok(modelsim_check_setting("tttf", "1s", &e) == -1,
	    "an unknown key is refused");
	err_clear(&e);
	msim_config_free(&c);
}

/* The cached tokens of one chat request with these messages. */
static int
chat_cached(struct msim_cache **cp, const struct msim_config *c,
    const char *messages)
{
	char *j = xasprintf("{\"messages\":%s}", messages);
	cJSON *b = cJSON_Parse(j);
	int n;

	n = msim_cache_request(cp, c, b, 1);
	cJSON_Delete(b);
	free(j);
	return n;
}

TEST(prefix_cache)
{
	struct msim_config c;
	struct msim_cache *cache = NULL, *small;
	struct err e = ERR_INIT;
	uint64_t *h = NULL, *h2 = NULL, k[3];
	cJSON *b;
	size_t n, n2;
	/* 40 words: 40 tokens; with the role marker 41. */
	const char *p40 = "[{\"role\":\"user\",\"content\":\"a b c d e f g h "
	    "i j a b c d e f g h i j a b c d e f g h i j a b c d e f g h i "
	    "j\"}]";
	/* Word 26 changed: token 27, in the fourth block (tokens 25-32). */
	const char *p40x = "[{\"role\":\"user\",\"content\":\"a b c d e f g "
	    "h i j a b c d e f g h i j a b c d e XX g h i j a b c d e f g h "
	    "i j\"}]";
	const char *other = "[{\"role\":\"user\",\"content\":\"z b c d e f g "
	    "h i j a b c d e f g h i j a b c d e f g h i j a b c d e f g h "
	    "i j\"}]";

	msim_config_init(&c);
	ok(chat_cached(&cache, &c, p40) == 0 && cache == NULL,
	    "no cache unless enable-kvcache");
	ok(apply(&c, "{\"enable-kvcache\":true,\"block-size\":8,"
	    "\"kv-cache-size\":64}", &e) == 0, "kv-cache settings apply");
	ok(chat_cached(&cache, &c, p40) == 0, "a cold cache hits nothing");
	ok(chat_cached(&cache, &c, p40) == 40, "the same prompt: 5 blocks "
	    "of 8 (the last token is never cached)");
	ok(chat_cached(&cache, &c, p40x) == 24, "a word changed in the "
	    "fourth block keeps the 3 blocks before it");
	ok(chat_cached(&cache, &c, other) == 0, "a changed first word "
	    "changes every block");
	b = cJSON_Parse("{\"prompt\":\"one two three four five six seven "
	    "eight nine\"}");
	n = msim_prompt_blocks(b, 0, 4, &h);
	cJSON_Delete(b);
	b = cJSON_Parse("{\"prompt\":[\"one two three four five six seven "
	    "eight nine\"]}");
	n2 = msim_prompt_blocks(b, 0, 4, &h2);
	cJSON_Delete(b);
	ok(n == 2 && n2 == 2 && memcmp(h, h2, 2 * sizeof(*h)) == 0,
	    "completions prompts: a string and [string] hash alike");
	free(h);
	free(h2);
	msim_cache_free(cache);

	/* LRU: a cache of 2 blocks evicts the least recently used. */
	small = msim_cache_new(2);
	k[0] = 1; k[1] = 2; k[2] = 3;
	ok(msim_cache_lookup(small, k, 2) == 0, "cold");
	ok(msim_cache_lookup(small, k, 1) == 1, "block 1 resident");
	ok(msim_cache_lookup(small, k + 2, 1) == 0, "block 3 evicts 2");
	ok(msim_cache_lookup(small, k + 1, 1) == 0, "block 2 was evicted");
	ok(msim_cache_lookup(small, k + 2, 1) == 1, "block 3 resident");
	msim_cache_free(small);
	ok(apply(&c, "{\"block-size\":0}", &e) == -1 && e.msg != NULL &&
	    strstr(e.msg, "block-size") != NULL, "block-size 0 is refused");
	err_clear(&e);
	ok(apply(&c, "{\"enable-kvcache\":\"maybe\"}", &e) == -1,
	    "enable-kvcache wants a boolean");
	err_clear(&e);
	msim_config_free(&c);
}

int
main(void)
{
	RUN(tokenizer);
	RUN(tokenizer_roundtrip);
	RUN(lorem);
	RUN(rng);
	RUN(distributions);
	RUN(latency_model);
	RUN(settings);
	RUN(busy_poll_setting);
	RUN(prefix_cache);
	return tap_done();
}
