/*
 * modelsim_profile.c: a simulated model's settings (parsed from a JSON
 * object of "maas.sandbox/<key>" annotation suffixes), the built-in
 * profiles, and the latency model.
 *
 * Latency model (llm-d-inference-sim's, reference/BENCH-ANCHORS.md 4.3):
 *	load   = 1 + (time-factor-under-load - 1) * (running - 1)
 *		     / (max-num-seqs - 1)		(1 when max-num-seqs <= 1)
 *	TTFT   = (ttft~jitter + (prompt_tokens - cached_tokens)
 *		     * prefill-per-token) * load
 *	ITL    = itl~jitter * load, before every token after the first
 * where `running` is the number of sequences holding a slot when the delay
 * is drawn, so the inter-token latency grows linearly with the batch, up
 * to time-factor-under-load times the unloaded one at a full batch.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "duration.h"
#include "json.h"
#include "xalloc.h"

#include "sandbox/modelsim.h"
#include "sandbox/modelsim_int.h"

/*
 * The built-in profiles, each a settings object like a model's own, with
 * the source of every figure.  reference/ holds no GPU measurements, so the
 * H100/H200 figures are estimates from first principles, and say so.
 */
static const struct {
	const char *name;
	const char *json;
} profiles[] = {
	{ "llm-d-default",
	  "{\"description\":\"llm-d-inference-sim v0.8 defaults\","
	  "\"source\":\"reference/BENCH-ANCHORS.md 4.2 (max-num-seqs 5, "
	  "max-waiting-queue-length 1000, max-model-len 1024, "
	  "time-to-first-token 0, inter-token-latency 0, "
	  "time-factor-under-load 1.0) and 4.4 (output length "
	  "Gaussian(40, 20) without max_tokens)\","
	  "\"max-num-seqs\":5,\"max-waiting\":1000,\"max-model-len\":1024,"
	  "\"ttft\":\"0s\",\"itl\":\"0s\",\"time-factor-under-load\":1.0,"
	  "\"output-tokens\":40,\"output-tokens-jitter\":\"normal\","
	  "\"output-tokens-stddev\":20}" },
	{ "h100-llama-3.1-8b",
	  "{\"description\":\"an 8B model (Llama 3.1 8B, bf16) served by "
	  "vLLM on one H100 SXM\","
	  "\"source\":\"ESTIMATE: reference/ has no H100 figures. itl: the "
	  "16.1 GB of bf16 weights read once per decode step at the H100 "
	  "SXM's 3.35 TB/s HBM3 bandwidth (NVIDIA datasheet figure, not in "
	  "reference/) is a 4.8 ms floor; 7 ms assumes ~70 % of peak "
	  "bandwidth. prefill-per-token: 2 x 8e9 FLOP per token at ~50 % of "
	  "989 dense bf16 TFLOPS = 0.032 ms. ttft: 20 ms of scheduling plus "
	  "one forward pass for a short prompt (estimate). "
	  "time-factor-under-load 2.5: KV-cache reads at a full batch of "
	  "256 (estimate). max-num-seqs 256: vLLM's default max_num_seqs "
	  "(not in reference/). max-model-len 131072: Llama 3.1's context "
	  "(model card, not in reference/). Jitter 10 % of the mean "
	  "(estimate).\","
	  "\"ttft\":\"20ms\",\"ttft-jitter\":\"normal\","
	  "\"ttft-stddev\":\"2ms\",\"prefill-per-token\":\"0.032ms\","
	  "\"itl\":\"7ms\",\"itl-jitter\":\"normal\",\"itl-stddev\":\"0.7ms\","
	  "\"time-factor-under-load\":2.5,\"max-num-seqs\":256,"
	  "\"max-waiting\":1000,\"max-model-len\":131072}" },
	{ "h200-llama-3.1-8b",
	  "{\"description\":\"an 8B model (Llama 3.1 8B, bf16) served by "
	  "vLLM on one H200\","
	  "\"source\":\"ESTIMATE: reference/ has no H200 figures. itl: "
	  "16.1 GB of weights per decode step at the H200's 4.8 TB/s HBM3e "
	  "bandwidth (NVIDIA datasheet figure, not in reference/) is a "
	  "3.4 ms floor; 5 ms assumes ~70 % of peak. The H200 has the "
	  "H100's compute, so prefill-per-token stays 0.032 ms; ttft 17 ms "
	  "(estimate). time-factor-under-load 2.2: the larger, faster "
	  "memory holds the batch's KV cache better (estimate). "
	  "max-num-seqs 256 and max-model-len 131072 as for the H100 "
	  "profile (not in reference/).\","
	  "\"ttft\":\"17ms\",\"ttft-jitter\":\"normal\","
	  "\"ttft-stddev\":\"1.7ms\",\"prefill-per-token\":\"0.032ms\","
	  "\"itl\":\"5ms\",\"itl-jitter\":\"normal\",\"itl-stddev\":\"0.5ms\","
	  "\"time-factor-under-load\":2.2,\"max-num-seqs\":256,"
	  "\"max-waiting\":1000,\"max-model-len\":131072}" },
	{ "h100-opt-125m",
	  "{\"description\":\"a small model (facebook/opt-125m, the model "
	  "of reference/samples/models/simulator) served by vLLM on one "
	  "H100 SXM\","
	  "\"source\":\"ESTIMATE: reference/ has no H100 figures. The "
	  "250 MB of fp16 weights read at 3.35 TB/s take 0.075 ms, so a "
	  "decode step is bound by vLLM's per-step CPU work (scheduling, "
	  "sampling, detokenising), estimated at 2 ms; ttft 8 ms, "
	  "prefill-per-token 0.001 ms (estimates). time-factor-under-load "
	  "1.5: a tiny model barely slows with the batch (estimate). "
	  "max-model-len 2048: OPT's position embeddings (model card, not "
	  "in reference/).\","
	  "\"ttft\":\"8ms\",\"ttft-jitter\":\"normal\",\"ttft-stddev\":\"1ms\","
	  "\"prefill-per-token\":\"0.001ms\",\"itl\":\"2ms\","
	  "\"itl-jitter\":\"normal\",\"itl-stddev\":\"0.2ms\","
	  "\"time-factor-under-load\":1.5,\"max-num-seqs\":256,"
	  "\"max-waiting\":1000,\"max-model-len\":2048}" },
	{ "h200-opt-125m",
	  "{\"description\":\"a small model (facebook/opt-125m) served by "
	  "vLLM on one H200\","
	  "\"source\":\"ESTIMATE: as h100-opt-125m; the faster memory "
	  "hardly matters for 250 MB of weights, so itl 1.9 ms and ttft "
	  "7.5 ms (estimates, not in reference/).\","
	  "\"ttft\":\"7.5ms\",\"ttft-jitter\":\"normal\","
	  "\"ttft-stddev\":\"0.9ms\",\"prefill-per-token\":\"0.001ms\","
	  "\"itl\":\"1.9ms\",\"itl-jitter\":\"normal\","
	  "\"itl-stddev\":\"0.19ms\",\"time-factor-under-load\":1.5,"
	  "\"max-num-seqs\":256,\"max-waiting\":1000,\"max-model-len\":2048}" },
};
#define NPROFILES (sizeof(profiles) / sizeof(profiles[0]))

static const char *profile_names[NPROFILES + 1];

/* The names of the built-in profiles, NULL terminated. */
const char *const *
modelsim_profile_names(void)
{
	size_t i;

	for (i = 0; i < NPROFILES; i++)
		profile_names[i] = profiles[i].name;
	profile_names[NPROFILES] = NULL;
	return profile_names;
}

/* The built-in profile `name` as a JSON settings object, or NULL. */
const char *
msim_profile_json(const char *name)
{
	size_t i;

	for (i = 0; i < NPROFILES; i++)
		if (strcmp(profiles[i].name, name) == 0)
			return profiles[i].json;
	return NULL;
}

/* Set *c to the defaults: lorem, no latency, 256 slots, 1000 waiting. */
void
msim_config_init(struct msim_config *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = MSIM_MODE_LOREM;
	c->reasoning_tokens = 16;
	c->load_factor = 1.0;
	c->max_num_seqs = 256;
	c->max_waiting = 1000;
	c->output.mean = 40;
	c->output.spread = 20;
	c->output.dist = MSIM_DIST_NORMAL;
	c->error_status = 503;
	c->retry_after = 1.0;
	c->drop_after = 2;
	c->kv_cache_size = 1024;
	c->block_size = 16;
}

/* Free what *c owns. */
void
msim_config_free(struct msim_config *c)
{
	free(c->profile);
	free(c->text);
	c->profile = c->text = NULL;
}

/* The text of a string or number value, into buf. */
static const char *
value_text(const cJSON *v, char *buf, size_t len)
{
	if (cJSON_IsString(v))
		return v->valuestring;
	if (cJSON_IsNumber(v)) {
		snprintf(buf, len, "%.17g", v->valuedouble);
		return buf;
	}
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v) ? "true" : "false";
	return NULL;
}

static int
get_number(const cJSON *v, const char *key, double min, double max,
    double *out, struct err *e)
{
	char buf[64], *end;
	const char *s;
	double d;
	int pct = 0;

	if ((s = value_text(v, buf, sizeof(buf))) == NULL || *s == '\0')
		goto bad;
	d = strtod(s, &end);
	if (end == s)
		goto bad;
	if (*end == '%') {
		pct = 1;
		end++;
	}
	if (*end != '\0' || !isfinite(d))
		goto bad;
	if (pct)
		d /= 100.0;
	if (d < min || d > max)
		return err_set(e, EXIT_USAGE, "setting %s: %s is out of range "
		    "[%g, %g]", key, s, min, max);
	*out = d;
	return 0;
bad:
	return err_set(e, EXIT_USAGE, "setting %s: want a number, not %s",
	    key, cJSON_IsString(v) ? v->valuestring : "that JSON value");
}

static int
get_int(const cJSON *v, const char *key, int min, int max, int *out,
    struct err *e)
{
	double d;

	if (get_number(v, key, min, max, &d, e) == -1)
		return -1;
	if (d != floor(d))
		return err_set(e, EXIT_USAGE, "setting %s: want a whole "
		    "number, not %g", key, d);
	*out = (int)d;
	return 0;
}

/* A duration: a Go duration string ("120ms") or a number of seconds. */
static int
get_duration(const cJSON *v, const char *key, double *out, struct err *e)
{
	struct err sub = ERR_INIT;
	char buf[64];
	const char *s;

	if ((s = value_text(v, buf, sizeof(buf))) == NULL || cJSON_IsBool(v))
		return err_set(e, EXIT_USAGE, "setting %s: want a duration "
		    "such as \"120ms\"", key);
	if (duration_parse(s, out, &sub) == -1 || *out < 0 || *out > 3600) {
		err_clear(&sub);
		return err_set(e, EXIT_USAGE, "setting %s: \"%s\" is not a "
		    "duration between 0s and 1h (e.g. \"120ms\")", key, s);
	}
	return 0;
}

static int
get_bool(const cJSON *v, const char *key, int *out, struct err *e)
{
	if (cJSON_IsBool(v)) {
		*out = cJSON_IsTrue(v);
		return 0;
	}
	if (cJSON_IsString(v) && strcasecmp(v->valuestring, "true") == 0) {
		*out = 1;
		return 0;
	}
	if (cJSON_IsString(v) && strcasecmp(v->valuestring, "false") == 0) {
		*out = 0;
		return 0;
	}
	return err_set(e, EXIT_USAGE, "setting %s: want true or false", key);
}

/*
 * busy-poll: false (sleep until each deadline), true (never sleep: poll
 * the loop every turn) or a duration (sleep until that long before the
 * earliest deadline, then poll).
 */
static int
get_busy_poll(const cJSON *v, const char *key, double *out, struct err *e)
{
	struct err sub = ERR_INIT;
	char buf[64];
	const char *s;
	double d;

	if ((s = value_text(v, buf, sizeof(buf))) == NULL)
		s = "that JSON value";
	else if (strcasecmp(s, "true") == 0) {
		*out = HUGE_VAL;
		return 0;
	} else if (strcasecmp(s, "false") == 0) {
		*out = 0;
		return 0;
	} else if (duration_parse(s, &d, &sub) == 0 &&
	    d >= 0 && d <= 3600) {
		*out = d;
		return 0;
	}
	err_clear(&sub);
	return err_set(e, EXIT_USAGE, "setting %s: want true, false or a "
	    "duration such as \"3ms\", not %s", key, s);
}

static int
get_dist(const cJSON *v, const char *key, enum msim_dist *out,
    struct err *e)
{
	const char *s = cJSON_IsString(v) ? v->valuestring : "";

	if (strcmp(s, "none") == 0)
		*out = MSIM_DIST_NONE;
	else if (strcmp(s, "uniform") == 0)
		*out = MSIM_DIST_UNIFORM;
	else if (strcmp(s, "normal") == 0)
		*out = MSIM_DIST_NORMAL;
	else if (strcmp(s, "lognormal") == 0)
		*out = MSIM_DIST_LOGNORMAL;
	else
		return err_set(e, EXIT_USAGE, "setting %s: want none, uniform, "
		    "normal or lognormal", key);
	return 0;
}

static int
apply_one(struct msim_config *c, const char *key, const cJSON *v,
    struct err *e)
{
	double d;
	int r = 0;

	if (strcmp(key, "description") == 0 || strcmp(key, "source") == 0)
		return 0;
	if (strcmp(key, "mode") == 0) {
		const char *s = cJSON_IsString(v) ? v->valuestring : "";

		if (strcmp(s, "lorem") == 0 || strcmp(s, "random") == 0)
			c->mode = MSIM_MODE_LOREM;
		else if (strcmp(s, "echo") == 0)
			c->mode = MSIM_MODE_ECHO;
		else if (strcmp(s, "fixed") == 0)
			c->mode = MSIM_MODE_FIXED;
		else
			return err_set(e, EXIT_USAGE, "setting mode: want "
			    "lorem, echo or fixed");
		return 0;
	}
	if (strcmp(key, "text") == 0) {
		if (!cJSON_IsString(v))
			return err_set(e, EXIT_USAGE, "setting text: want a "
			    "string");
		free(c->text);
		c->text = xstrdup(v->valuestring);
		return 0;
	}
	if (strcmp(key, "reasoning") == 0)
		return get_bool(v, key, &c->reasoning, e);
	if (strcmp(key, "reasoning-tokens") == 0)
		return get_int(v, key, 0, 1 << 20, &c->reasoning_tokens, e);
	if (strcmp(key, "ttft") == 0)
		return get_duration(v, key, &c->ttft.mean, e);
	if (strcmp(key, "ttft-jitter") == 0)
		return get_dist(v, key, &c->ttft.dist, e);
	if (strcmp(key, "ttft-stddev") == 0)
		return get_duration(v, key, &c->ttft.spread, e);
	if (strcmp(key, "prefill-per-token") == 0)
		return get_duration(v, key, &c->prefill_per_token, e);
	if (strcmp(key, "itl") == 0)
		return get_duration(v, key, &c->itl.mean, e);
	if (strcmp(key, "itl-jitter") == 0)
		return get_dist(v, key, &c->itl.dist, e);
	if (strcmp(key, "itl-stddev") == 0)
		return get_duration(v, key, &c->itl.spread, e);
	if (strcmp(key, "time-factor-under-load") == 0)
		return get_number(v, key, 1.0, 1000.0, &c->load_factor, e);
	if (strcmp(key, "max-num-seqs") == 0)
		return get_int(v, key, 1, 1 << 20, &c->max_num_seqs, e);
	if (strcmp(key, "max-waiting") == 0)
		return get_int(v, key, 0, 1 << 20, &c->max_waiting, e);
	if (strcmp(key, "max-model-len") == 0)
		return get_int(v, key, 0, 1 << 30, &c->max_model_len, e);
	if (strcmp(key, "output-tokens") == 0) {
		r = get_number(v, key, 0, 1 << 20, &d, e);
		if (r == 0)
			c->output.mean = d;
		return r;
	}
	if (strcmp(key, "output-tokens-jitter") == 0)
		return get_dist(v, key, &c->output.dist, e);
	if (strcmp(key, "output-tokens-stddev") == 0)
		return get_number(v, key, 0, 1 << 20, &c->output.spread, e);
	if (strcmp(key, "error-rate") == 0)
		return get_number(v, key, 0, 1, &c->error_rate, e);
	if (strcmp(key, "error-status") == 0)
		return get_int(v, key, 500, 599, &c->error_status, e);
	if (strcmp(key, "rate-limit-rate") == 0)
		return get_number(v, key, 0, 1, &c->rate_limit_rate, e);
	if (strcmp(key, "rate-limit-first") == 0)
		return get_int(v, key, 0, 1 << 30, &c->rate_limit_first, e);
	if (strcmp(key, "retry-after") == 0)
		return get_duration(v, key, &c->retry_after, e);
	if (strcmp(key, "drop-rate") == 0)
		return get_number(v, key, 0, 1, &c->drop_rate, e);
	if (strcmp(key, "drop-after") == 0)
		return get_int(v, key, 1, 1 << 30, &c->drop_after, e);
	if (strcmp(key, "header-delay") == 0)
		return get_duration(v, key, &c->header_delay, e);
	if (strcmp(key, "busy-poll") == 0)
		return get_busy_poll(v, key, &c->busy_poll, e);
	if (strcmp(key, "enable-kvcache") == 0)
		return get_bool(v, key, &c->kv_cache, e);
	if (strcmp(key, "kv-cache-size") == 0)
		return get_int(v, key, 1, 1 << 24, &c->kv_cache_size, e);
	if (strcmp(key, "block-size") == 0)
		return get_int(v, key, 1, 1 << 16, &c->block_size, e);
	return err_set(e, EXIT_USAGE, "unknown setting \"%s\"", key);
}

static const char *
strip_key(const char *k)
{
	if (strncmp(k, "maas.sandbox/", 13) == 0)
		return k + 13;
	return k;
}

/*
 * Apply a settings object over *c: "profile" first (the built-in profile
 * over the defaults), then every other key in order.
 */
int
msim_config_apply(struct msim_config *c, const cJSON *obj, struct err *e)
{
	const cJSON *v, *prof = NULL;
	const char *json;
	cJSON *pj;
	int r;

	if (obj == NULL)
		return 0;
	if (!cJSON_IsObject(obj))
		return err_set(e, EXIT_USAGE, "settings must be a JSON object");
	cJSON_ArrayForEach(v, obj)
		if (v->string != NULL && strcmp(strip_key(v->string),
		    "profile") == 0)
			prof = v;
	if (prof != NULL) {
		if (!cJSON_IsString(prof) ||
		    (json = msim_profile_json(prof->valuestring)) == NULL)
			return err_set(e, EXIT_USAGE, "setting profile: no "
			    "built-in profile \"%s\"", cJSON_IsString(prof) ?
			    prof->valuestring : "");
		msim_config_free(c);
		msim_config_init(c);
		if ((pj = cJSON_Parse(json)) == NULL)
			return err_set(e, EXIT_ERR, "profile %s: corrupt",
			    prof->valuestring);
		r = msim_config_apply(c, pj, e);
		cJSON_Delete(pj);
		if (r == -1)
			return -1;
		c->profile = xstrdup(prof->valuestring);
	}
	cJSON_ArrayForEach(v, obj) {
		if (v == prof || v->string == NULL)
			continue;
		if (apply_one(c, strip_key(v->string), v, e) == -1)
			return -1;
	}
	if (c->mode == MSIM_MODE_FIXED && c->text == NULL)
		return err_set(e, EXIT_USAGE, "setting mode: fixed needs a "
		    "text setting");
	return 0;
}

/* Draw a value of v (never negative). */
double
msim_var_sample(const struct msim_var *v, struct msim_rng *r)
{
	double x, s2, mu;

	switch (v->dist) {
	case MSIM_DIST_UNIFORM:
		x = v->mean + (2.0 * msim_rng_double(r) - 1.0) * v->spread;
		break;
	case MSIM_DIST_NORMAL:
		x = v->mean + v->spread * msim_rng_normal(r);
		if (x < 0.3 * v->mean)
			x = 0.3 * v->mean;
		if (x > 1.7 * v->mean)
			x = 1.7 * v->mean;
		break;
	case MSIM_DIST_LOGNORMAL:
		if (v->mean <= 0) {
			x = 0;
			break;
		}
		s2 = log(1.0 + (v->spread / v->mean) * (v->spread / v->mean));
		mu = log(v->mean) - s2 / 2.0;
		x = exp(mu + sqrt(s2) * msim_rng_normal(r));
		break;
	case MSIM_DIST_NONE:
	default:
		x = v->mean;
		break;
	}
	return x < 0 ? 0 : x;
}

/* The load factor of vLLM/llm-d: 1 + (f - 1)(running - 1)/(seqs - 1). */
double
msim_load_factor(const struct msim_config *c, int running)
{
	if (c->max_num_seqs <= 1)
		return 1.0;
	if (running < 1)
		running = 1;
	if (running > c->max_num_seqs)
		running = c->max_num_seqs;
	return 1.0 + (c->load_factor - 1.0) * (running - 1) /
	    (c->max_num_seqs - 1);
}

/* The time to first token for a prompt with `running` sequences active. */
double
msim_ttft(const struct msim_config *c, struct msim_rng *r,
    int prompt_tokens, int running)
{
	return (msim_var_sample(&c->ttft, r) + prompt_tokens *
	    c->prefill_per_token) * msim_load_factor(c, running);
}

/* One inter-token latency with `running` sequences active. */
double
msim_itl(const struct msim_config *c, struct msim_rng *r, int running)
{
	return msim_var_sample(&c->itl, r) * msim_load_factor(c, running);
}
