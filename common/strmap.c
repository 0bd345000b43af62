/*
 * strmap.c: string-keyed hash table (see strmap.h).  FNV-1a hashes,
 * linear probing, at most half full; deletion shifts the following run
 * back so no tombstones are left.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "xalloc.h"

static uint64_t
hash(const char *s)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t
slot(const struct strmap *m, const char *key)
{
	size_t	 i = (size_t)hash(key) & (m->cap - 1);

	while (m->v[i].key != NULL && strcmp(m->v[i].key, key) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void
grow(struct strmap *m)
{
	struct strmap_ent	*old = m->v;
	size_t			 ocap = m->cap, i, j;

	m->cap = ocap ? ocap * 2 : 16;
	m->v = xcalloc(m->cap, sizeof *m->v);
	for (i = 0; i < ocap; i++) {
		if (old[i].key == NULL)
			continue;
		j = slot(m, old[i].key);
		m->v[j] = old[i];
	}
	free(old);
}

void *
strmap_get(const struct strmap *m, const char *key)
{
	size_t	 i;

	if (m->n == 0)
		return NULL;
	i = slot(m, key);
	return m->v[i].key != NULL ? m->v[i].val : NULL;
}

int
strmap_has(const struct strmap *m, const char *key)
{
	return m->n > 0 && m->v[slot(m, key)].key != NULL;
}

int
strmap_put(struct strmap *m, const char *key, void *val)
{
	size_t	 i;

	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	i = slot(m, key);
	if (m->v[i].key != NULL) {
		m->v[i].val = val;
		return 0;
	}
	m->v[i].key = xstrdup(key);
	m->v[i].val = val;
	m->n++;
	return 1;
}

void *
strmap_del(struct strmap *m, const char *key)
{
	size_t	 i, j, k, mask;
	void	*val;

	if (m->n == 0)
		return NULL;
	mask = m->cap - 1;
	i = slot(m, key);
	if (m->v[i].key == NULL)
		return NULL;
	val = m->v[i].val;
	free(m->v[i].key);
	m->v[i].key = NULL;
	m->n--;
	/* Move back each following entry whose home slot is not in (i, j]. */
	for (j = (i + 1) & mask; m->v[j].key != NULL; j = (j + 1) & mask) {
		k = (size_t)hash(m->v[j].key) & mask;
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			m->v[i] = m->v[j];
			m->v[j].key = NULL;
			i = j;
		}
	}
	return val;
}

void
strmap_free(struct strmap *m)
{
	strmap_clear(m, NULL);
}

void
strmap_clear(struct strmap *m, void (*free_val)(void *))
{
	size_t	 i;

	for (i = 0; i < m->cap; i++) {
		if (m->v[i].key != NULL && free_val != NULL)
			free_val(m->v[i].val);
		free(m->v[i].key);
	}
	free(m->v);
	m->v = NULL;
	m->cap = m->n = 0;
}
