/* test_json_arena.c: cJSON trees parsed into a thread's arena and dropped
 * all at once, while trees made outside it (before, after, on another
 * thread) are allocated and freed as ever (ASan checks both). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "json_arena.h"
#include "xalloc.h"
#include "tap.h"

static const char doc[] = "{\"metadata\":{\"name\":\"a\",\"labels\":{\"x\":"
    "\"y\"}},\"spec\":{\"n\":[1,2,3,{\"k\":\"v\"}],\"s\":\"text\"},\"d\":1,"
    "\"d\":2}";

/* A tree parsed outside any arena: malloc'd, freed node by node. */
static int
plain_tree(void)
{
	struct err	 e = ERR_INIT;
	cJSON		*t = json_parse(doc, strlen(doc), &e);
	int		 ok_ = t != NULL && json_num(t, "d", 0) == 2;

	cJSON_Delete(t);
	return ok_;
}

static void *
other_thread(void *arg)
{
	int	*good = arg, i;

	for (i = 0; i < 200; i++)
		*good += plain_tree();
	return NULL;
}

TEST(arena)
{
	struct json_arena	 a = JSON_ARENA_INIT;
	struct err		 e = ERR_INIT;
	struct strbuf		 big = STRBUF_INIT;
	pthread_t		 tid;
	cJSON			*t, *before;
	char			*s;
	int			 i, good = 0, other = 0;

	json_arena_hooks();
	json_arena_hooks();	/* once is enough; twice is harmless */
	before = json_parse(doc, strlen(doc), &e);
	ok(pthread_create(&tid, NULL, other_thread, &other) == 0,
	    "another thread parses meanwhile");
	for (i = 0; i < 500; i++) {
		json_arena_use(&a);
		t = json_parse(doc, strlen(doc), &e);
		json_arena_use(NULL);
		good += t != NULL && strcmp(json_str(t, "metadata.name"),
		    "a") == 0 && json_num(t, "d", 0) == 2 &&
		    strcmp(json_str(t, "spec.s"), "text") == 0;
		json_arena_reset(&a);
	}
	is_int(good, 500, "500 trees parsed into the arena, each dropped");
	ok(json_arena_blocks(&a) == 1 && a.used == 0,
	    "reset keeps a block, empty");
	pthread_join(tid, NULL);
	is_int(other, 200, "the other thread's trees were its own");
	/* A tree larger than a block, and one made by hand. */
	sb_adds(&big, "[");
	for (i = 0; i < 20000; i++)
		sb_addf(&big, "%s\"item-%d\"", i ? "," : "", i);
	sb_adds(&big, "]");
	json_arena_use(&a);
	t = json_parse(big.buf, big.len, &e);
	is_int(cJSON_GetArraySize(t), 20000, "a tree over several blocks");
	ok(json_arena_blocks(&a) > 1, "it took %zu blocks",
	    json_arena_blocks(&a));
	cJSON_AddItemToArray(t, cJSON_CreateString("made"));
	s = cJSON_PrintUnformatted(cJSON_GetArrayItem(t, 20000));
	is_str(s, "\"made\"", "printed while the arena is in use");
	cJSON_free(s);
	cJSON_Delete(t);	/* a no-op for the arena's nodes */
	json_arena_use(NULL);
	json_arena_reset(&a);
	is_int((int)json_arena_blocks(&a), 1, "reset: one block again");
	/* Outside the arena again: malloc and free, as ever. */
	ok(plain_tree(), "a tree after the arena");
	ok(json_num(before, "d", 0) == 2, "a tree from before the arena");
	cJSON_Delete(before);
	t = cJSON_CreateNull();
	s = cJSON_PrintUnformatted(t);
	is_str(s, "null", "printing outside it");
	cJSON_free(s);
	cJSON_Delete(t);
	json_arena_free(&a);
	is_int((int)json_arena_blocks(&a), 0, "freed");
	sb_free(&big);
}

int
main(void)
{
	RUN(arena);
	return tap_done();
}
