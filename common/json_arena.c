/*
 * json_arena.c: a bump allocator for cJSON trees (see json_arena.h).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "json_arena.h"
#include "xalloc.h"

#define ARENA_BLOCK	(64 * 1024)	/* a tree of a few KiB fits */
#define ARENA_ALIGN	16

struct json_arena_block {
	struct json_arena_block	*next;
	size_t			 size;		/* bytes of data */
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

/* The arena cJSON allocates from on this thread, or NULL. */
static _Thread_local struct json_arena *arena_cur;
static pthread_once_t	 hooks_once = PTHREAD_ONCE_INIT;

static void *
arena_alloc(struct json_arena *a, size_t n)
{
	struct json_arena_block	*b = a->blocks;
	size_t			 size;

	n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (b == NULL || b->size - a->used < n) {
		size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		b = xmalloc(sizeof *b + size);
		b->size = size;
		b->next = a->blocks;
		a->blocks = b;
		a->used = 0;
	}
	a->used += n;
	return b->data + a->used - n;
}

static int
arena_owns(const struct json_arena *a, const void *p)
{
	const struct json_arena_block	*b;
	uintptr_t			 u = (uintptr_t)p, s;

	for (b = a->blocks; b != NULL; b = b->next) {
		s = (uintptr_t)b->data;
		if (u >= s && u < s + b->size)
			return 1;
	}
	return 0;
}

static void *
hook_malloc(size_t n)
{
	return arena_cur != NULL ? arena_alloc(arena_cur, n) : malloc(n);
}

static void
hook_free(void *p)
{
	/* The arena's memory goes back all at once, at its reset. */
	if (arena_cur != NULL && arena_owns(arena_cur, p))
		return;
	free(p);
}

static void
install_hooks(void)
{
	cJSON_Hooks	 h = { hook_malloc, hook_free };

	cJSON_InitHooks(&h);
}

void
json_arena_hooks(void)
{
	pthread_once(&hooks_once, install_hooks);
}

void
json_arena_use(struct json_arena *a)
{
	arena_cur = a;
}

void
json_arena_reset(struct json_arena *a)
{
	struct json_arena_block	*b, *next;

	if (a->blocks == NULL)
		return;
	/* Keep the oldest block (ARENA_BLOCK bytes or more): the next
	 * tree fits. */
	for (b = a->blocks; b->next != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->blocks = b;
	a->used = 0;
}

size_t
json_arena_blocks(const struct json_arena *a)
{
	const struct json_arena_block	*b;
	size_t				 n = 0;

	for (b = a->blocks; b != NULL; b = b->next)
		n++;
	return n;
}

void
json_arena_free(struct json_arena *a)
{
	struct json_arena_block	*b, *next;

	for (b = a->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->blocks = NULL;
	a->used = 0;
}
