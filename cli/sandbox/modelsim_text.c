/*
 * modelsim_text.c: the simulator's tokenizer, random numbers and lorem
 * ipsum text.
 *
 * Tokenizer (used for prompt_tokens and completion_tokens alike): a token
 * is a run of whitespace (possibly empty) followed by either a word -- a
 * maximal run of ASCII letters, digits, '_' and bytes >= 0x80 (so UTF-8
 * characters are never split) -- or one other character.  Whitespace at
 * the very end of a text is a token of its own.  Concatenating the tokens
 * gives the text back, byte for byte, so a stream of one token per chunk
 * reassembles to exactly the non-streamed answer.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#include "sandbox/modelsim_int.h"

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z;

	z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Seed the generator; the same seed always gives the same sequence. */
void
msim_rng_seed(struct msim_rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* The next 64 random bits (xoshiro256**). */
uint64_t
msim_rng_next(struct msim_rng *r)
{
	uint64_t result, t;

	result = rotl(r->s[1] * 5, 7) * 9;
	t = r->s[1] << 17;
	r->s[2] ^= r->s[0];
	r->s[3] ^= r->s[1];
	r->s[1] ^= r->s[2];
	r->s[0] ^= r->s[3];
	r->s[2] ^= t;
	r->s[3] = rotl(r->s[3], 45);
	return result;
}

/* A uniform double in [0, 1) with 53 random bits. */
double
msim_rng_double(struct msim_rng *r)
{
	return (double)(msim_rng_next(r) >> 11) * 0x1.0p-53;
}

/* A standard normal deviate (Box-Muller, one of the pair). */
double
msim_rng_normal(struct msim_rng *r)
{
	double u1, u2;

	do
		u1 = msim_rng_double(r);
	while (u1 <= 0.0);
	u2 = msim_rng_double(r);
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

static int
is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

/* Split text into tokens (see the top of this file); *out may be NULL. */
size_t
msim_tokenize(const char *text, size_t len, struct msim_piece **out)
{
	const unsigned char *s = (const unsigned char *)text;
	struct msim_piece *v = NULL;
	size_t n = 0, cap = 0, i = 0, start;

	while (i < len) {
		start = i;
		while (i < len && is_space(s[i]))
			i++;
		if (i < len) {
			if (is_word(s[i])) {
				while (i < len && is_word(s[i]))
					i++;
			} else
				i++;
		}
		if (out != NULL) {
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				v = xrealloc(v, cap * sizeof(*v));
			}
			v[n].off = start;
			v[n].len = i - start;
		}
		n++;
	}
	if (out != NULL)
		*out = v;
	return n;
}

/* The number of tokens of a NUL-terminated text. */
size_t
msim_count_tokens(const char *text)
{
	if (text == NULL)
		return 0;
	return msim_tokenize(text, strlen(text), NULL);
}

static const char *const lorem_words[] = {
	"lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing",
	"elit", "sed", "do", "eiusmod", "tempor", "incididunt", "ut", "labore",
	"et", "dolore", "magna", "aliqua", "enim", "ad", "minim", "veniam",
	"quis", "nostrud", "exercitation", "ullamco", "laboris", "nisi",
	"aliquip", "ex", "ea", "commodo", "consequat", "duis", "aute", "irure",
	"in", "reprehenderit", "voluptate", "velit", "esse", "cillum", "eu",
	"fugiat", "nulla", "pariatur", "excepteur", "sint", "occaecat",
	"cupidatat", "non", "proident", "sunt", "culpa", "qui", "officia",
	"deserunt", "mollit", "anim", "id", "est", "laborum"
};
#define NWORDS (sizeof(lorem_words) / sizeof(lorem_words[0]))

/*
 * Exactly n tokens of lorem ipsum: sentences of 5 to 14 words, a comma
 * after a word now and then, each sentence capitalised and ending in '.'.
 */
char *
msim_lorem(struct msim_rng *r, size_t n)
{
	struct strbuf sb;
	size_t emitted = 0, left_in_sentence = 0, words = 0;
	const char *w;

	sb_init(&sb);
	while (emitted < n) {
		if (left_in_sentence == 0 && words > 0) {
			sb_addc(&sb, '.');
			emitted++;
			words = 0;
			continue;
		}
		if (words == 0)
			left_in_sentence = 5 + msim_rng_next(r) % 10;
		w = lorem_words[msim_rng_next(r) % NWORDS];
		if (emitted > 0)
			sb_addc(&sb, ' ');
		if (words == 0) {
			sb_addc(&sb, w[0] - 'a' + 'A');
			sb_adds(&sb, w + 1);
		} else
			sb_adds(&sb, w);
		emitted++;
		words++;
		left_in_sentence--;
		if (left_in_sentence > 1 && emitted < n &&
		    msim_rng_next(r) % 8 == 0) {
			sb_addc(&sb, ',');
			emitted++;
		}
	}
	return sb_detach(&sb);
}
