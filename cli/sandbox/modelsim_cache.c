/*
 * modelsim_cache.c: the simulator's prefix (KV) cache, after
 * llm-d-inference-sim's enable-kvcache (reference/BENCH-ANCHORS.md 4.8).
 *
 * A prompt is tokenised with the simulator's tokenizer (modelsim_text.c;
 * chat messages each open with a role marker token) and cut into blocks of
 * block-size tokens; each full block is named by a hash chained over every
 * token before it, so a block hash stands for the whole prefix up to its
 * end.  The last prompt token is never served from the cache (vLLM always
 * computes at least one token), so a prompt of n tokens has
 * (n - 1) / block-size cacheable blocks.  A request's cached tokens are
 * block-size times the number of leading blocks already resident; every
 * block of the prompt is then stored (or refreshed) at once, as
 * llm-d-inference-sim does when a request starts.  The cache holds at most
 * kv-cache-size blocks per model and evicts the least recently used.
 * Cached tokens take no prefill time (the per-token TTFT model's
 * (prompt - cached) * prefill-per-token) and appear in
 * usage.prompt_tokens_details.cached_tokens.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "xalloc.h"

#include "sandbox/modelsim_int.h"

#define NIL	((size_t)-1)

struct msim_node {
	uint64_t	 key;		/* chained block hash */
	size_t		 prev, next;	/* LRU list, most recent first */
	size_t		 hnext;		/* bucket chain */
};

struct msim_cache {
	struct msim_node *node;		/* cap nodes */
	size_t		 cap;		/* blocks it holds at most */
	size_t		 used;		/* nodes in use */
	size_t		*bucket;	/* heads of the hash chains */
	size_t		 nbucket;	/* a power of two */
	size_t		 head, tail;	/* LRU ends */
	uint64_t	 queries;	/* prompt blocks looked up */
	uint64_t	 hits;		/* of them resident */
};

#define FNV_OFF		0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* A new cache of at most `blocks` blocks. */
struct msim_cache *
msim_cache_new(size_t blocks)
{
	struct msim_cache *c = xcalloc(1, sizeof(*c));
	size_t i;

	c->cap = blocks > 0 ? blocks : 1;
	c->node = xcalloc(c->cap, sizeof(*c->node));
	for (c->nbucket = 16; c->nbucket < c->cap; c->nbucket *= 2)
		;
	c->bucket = xmalloc(c->nbucket * sizeof(*c->bucket));
	for (i = 0; i < c->nbucket; i++)
		c->bucket[i] = NIL;
	c->head = c->tail = NIL;
	return c;
}

/* Free a cache (NULL is fine). */
void
msim_cache_free(struct msim_cache *c)
{
	if (c == NULL)
		return;
	free(c->node);
	free(c->bucket);
	free(c);
}

/* The number of blocks a cache holds at most. */
size_t
msim_cache_capacity(const struct msim_cache *c)
{
	return c->cap;
}

/* Blocks resident now (for the simulator's /metrics). */
size_t
msim_cache_used(const struct msim_cache *c)
{
	return c->used;
}

/* Blocks looked up and found so far (for the model's counters). */
void
msim_cache_stats(const struct msim_cache *c, uint64_t *queries,
    uint64_t *hits)
{
	*queries = c->queries;
	*hits = c->hits;
}

static size_t
find(const struct msim_cache *c, uint64_t key)
{
	size_t i;

	for (i = c->bucket[key & (c->nbucket - 1)]; i != NIL;
	    i = c->node[i].hnext)
		if (c->node[i].key == key)
			return i;
	return NIL;
}

static void
lru_unlink(struct msim_cache *c, size_t i)
{
	struct msim_node *n = &c->node[i];

	if (n->prev != NIL)
		c->node[n->prev].next = n->next;
	else
		c->head = n->next;
	if (n->next != NIL)
		c->node[n->next].prev = n->prev;
	else
		c->tail = n->prev;
}

static void
lru_front(struct msim_cache *c, size_t i)
{
	c->node[i].prev = NIL;
	c->node[i].next = c->head;
	if (c->head != NIL)
		c->node[c->head].prev = i;
	c->head = i;
	if (c->tail == NIL)
		c->tail = i;
}

static void
bucket_remove(struct msim_cache *c, size_t i)
{
	size_t *p = &c->bucket[c->node[i].key & (c->nbucket - 1)];

	while (*p != NIL && *p != i)
		p = &c->node[*p].hnext;
	if (*p == i)
		*p = c->node[i].hnext;
}

static void
store(struct msim_cache *c, uint64_t key)
{
	size_t i, b;

	if ((i = find(c, key)) != NIL) {
		lru_unlink(c, i);
		lru_front(c, i);
		return;
	}
	if (c->used < c->cap)
		i = c->used++;
	else {
		/* Evict the least recently used block. */
		i = c->tail;
		lru_unlink(c, i);
		bucket_remove(c, i);
	}
	b = key & (c->nbucket - 1);
	c->node[i].key = key;
	c->node[i].hnext = c->bucket[b];
	c->bucket[b] = i;
	lru_front(c, i);
}

/*
 * Look the prompt's blocks up: return how many lead blocks are resident,
 * then store or refresh every one of them.
 */
size_t
msim_cache_lookup(struct msim_cache *c, const uint64_t *blocks, size_t n)
{
	size_t i, hit = 0;

	while (hit < n && find(c, blocks[hit]) != NIL)
		hit++;
	c->queries += n;
	c->hits += hit;
	for (i = 0; i < n; i++)
		store(c, blocks[i]);
	return hit;
}

/* What the block hashing walks over. */
struct hasher {
	uint64_t	 h;		/* hash of every token so far */
	size_t		 ntok;		/* tokens so far */
	size_t		 bs;		/* block size */
	uint64_t	*v;		/* hash at every block end */
	size_t		 n, cap;
};

static void
feed(struct hasher *x, const void *tok, size_t len)
{
	/* The length first, so token boundaries are part of the hash. */
	x->h = fnv(x->h, &len, sizeof(len));
	x->h = fnv(x->h, tok, len);
	if (++x->ntok % x->bs == 0) {
		if (x->n == x->cap) {
			x->cap = x->cap ? x->cap * 2 : 16;
			x->v = xrealloc(x->v, x->cap * sizeof(*x->v));
		}
		x->v[x->n++] = x->h;
	}
}

static void
feed_text(struct hasher *x, const char *text)
{
	struct msim_piece *p = NULL;
	size_t i, n;

	if (text == NULL)
		return;
	n = msim_tokenize(text, strlen(text), &p);
	for (i = 0; i < n; i++)
		feed(x, text + p[i].off, p[i].len);
	free(p);
}

static void
feed_content(struct hasher *x, const cJSON *content)
{
	const cJSON *part;
	const char *t;
	int first = 1;

	if (cJSON_IsString(content)) {
		feed_text(x, content->valuestring);
		return;
	}
	cJSON_ArrayForEach(part, content) {
		if ((t = json_str(part, "text")) == NULL)
			continue;
		if (!first)
			feed(x, "\n", 1);
		feed_text(x, t);
		first = 0;
	}
}

/*
 * The chained hashes of the cacheable blocks of a request body's prompt
 * (chat messages or a completions prompt: text or token ids) into *out
 * (caller frees); returns their number.
 */
size_t
msim_prompt_blocks(const cJSON *body, int chat, int block_size,
    uint64_t **out)
{
	struct hasher x;
	const cJSON *m, *prompt;
	char role[80];
	size_t keep;
	int len;

	memset(&x, 0, sizeof(x));
	x.h = FNV_OFF;
	x.bs = block_size > 0 ? (size_t)block_size : 16;
	if (chat) {
		cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(body,
		    "messages")) {
			len = snprintf(role, sizeof(role), "<|%s|>",
			    json_str(m, "role") ? json_str(m, "role") : "");
			feed(&x, role, len > 0 ? (size_t)len : 0);
			feed_content(&x, cJSON_GetObjectItemCaseSensitive(m,
			    "content"));
		}
	} else {
		prompt = cJSON_GetObjectItemCaseSensitive(body, "prompt");
		if (cJSON_IsArray(prompt) && cJSON_GetArraySize(prompt) == 1)
			prompt = cJSON_GetArrayItem(prompt, 0);
		if (cJSON_IsString(prompt))
			feed_text(&x, prompt->valuestring);
		else if (cJSON_IsArray(prompt)) {
			cJSON_ArrayForEach(m, prompt) {
				long id = cJSON_IsNumber(m) ?
				    (long)m->valuedouble : -1;

				feed(&x, &id, sizeof(id));
			}
		}
	}
	/* The last token is always computed: only blocks ending before it. */
	keep = x.ntok > 0 ? (x.ntok - 1) / x.bs : 0;
	if (keep < x.n)
		x.n = keep;
	*out = x.v;
	return x.n;
}

/*
 * The cached tokens of a request to a model whose settings turn the prefix
 * cache on: the model's cache (*cp) is made, or remade when kv-cache-size
 * changed, on first use; the prompt's blocks are looked up and stored.
 */
int
msim_cache_request(struct msim_cache **cp, const struct msim_config *c,
    const cJSON *body, int chat)
{
	uint64_t *blocks = NULL;
	size_t n, hit;

	if (!c->kv_cache)
		return 0;
	if (*cp != NULL && msim_cache_capacity(*cp) != (size_t)c->kv_cache_size) {
		msim_cache_free(*cp);
		*cp = NULL;
	}
	if (*cp == NULL)
		*cp = msim_cache_new((size_t)c->kv_cache_size);
	n = msim_prompt_blocks(body, chat, c->block_size, &blocks);
	hit = msim_cache_lookup(*cp, blocks, n);
	free(blocks);
	return (int)(hit * (size_t)c->block_size);
}
