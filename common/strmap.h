/*
 * strmap.h: a hash table from NUL-terminated strings to pointers, for
 * lookups that would otherwise scan a list (the sandbox controller's
 * dirty sets and snapshot indexes hold thousands of keys).  Open
 * addressing with linear probing; keys are copied, values are not owned.
 */
#ifndef MAAS_STRMAP_H
#define MAAS_STRMAP_H

#include <stddef.h>

struct strmap_ent {
	char	*key;	/* NULL: empty slot */
	void	*val;
};

struct strmap {
	struct strmap_ent	*v;
	size_t			 cap;	/* 0 or a power of two */
	size_t			 n;	/* keys held */
};
#define STRMAP_INIT { NULL, 0, 0 }

/* The value of key, or NULL when it is absent (or was stored as NULL:
 * use strmap_has to tell the two apart). */
void	*strmap_get(const struct strmap *, const char *key);
int	 strmap_has(const struct strmap *, const char *key);
/* Set key to val; returns 1 when key was new, 0 when it was replaced. */
int	 strmap_put(struct strmap *, const char *key, void *val);
/* Remove key; returns its value (NULL when it was absent). */
void	*strmap_del(struct strmap *, const char *key);
/* Empty the map (values untouched) and free its storage. */
void	 strmap_free(struct strmap *);
/* The same, calling free_val (when not NULL) on each value first. */
void	 strmap_clear(struct strmap *, void (*free_val)(void *));

#endif
