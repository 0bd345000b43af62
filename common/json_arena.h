/*
 * json_arena.h: cJSON trees allocated from one thread's arena and freed
 * all at once.  A list's items are parsed one after another on the item
 * queue's thread, and each tree is freed as soon as its row is made:
 * allocating its eighty-odd nodes and strings one by one, and freeing
 * them one by one, was a third of that thread's work.
 *
 * While an arena is in use on a thread, every cJSON allocation made on
 * that thread comes from it and cJSON's frees of it cost nothing; other
 * threads, and the thread once it stops using the arena, allocate as
 * ever.  Nothing allocated while the arena was in use may be kept past
 * json_arena_reset() (a tree's parts detached and kept included).
 */
#ifndef MAAS_JSON_ARENA_H
#define MAAS_JSON_ARENA_H

#include <stddef.h>

struct json_arena_block;

struct json_arena {
	struct json_arena_block	*blocks;	/* newest first */
	size_t			 used;		/* of the newest block */
};

#define JSON_ARENA_INIT	{ NULL, 0 }

/* Route cJSON's allocations through the arena hooks (once per process;
 * call while no other thread is inside cJSON). */
void	 json_arena_hooks(void);
/* From now on this thread's cJSON allocations come from a (NULL: from
 * malloc again). */
void	 json_arena_use(struct json_arena *a);
/* Free what a holds but its first block, for the next tree. */
void	 json_arena_reset(struct json_arena *a);
/* How many blocks a holds (for tests). */
size_t	 json_arena_blocks(const struct json_arena *a);
/* Free all of it. */
void	 json_arena_free(struct json_arena *a);

#endif
