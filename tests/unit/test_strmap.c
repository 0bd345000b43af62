/* test_strmap.c: the string hash table against a plain array model, through
 * growth, replacement and deletions that wrap around the table's end. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "strmap.h"
#include "xalloc.h"
#include "tap.h"

#define NKEYS	3000

TEST(basics)
{
	struct strmap	 m = STRMAP_INIT;
	int		 a = 1, b = 2;

	ok(strmap_get(&m, "x") == NULL && !strmap_has(&m, "x"),
	    "an empty map holds nothing");
	ok(strmap_del(&m, "x") == NULL, "deleting from an empty map");
	is_int(strmap_put(&m, "x", &a), 1, "a new key");
	is_int(strmap_put(&m, "x", &b), 0, "a replaced key");
	ok(strmap_get(&m, "x") == &b, "the replaced value");
	is_int(strmap_put(&m, "", NULL), 1, "the empty key, a NULL value");
	ok(strmap_has(&m, "") && strmap_get(&m, "") == NULL,
	    "has tells a NULL value from absence");
	is_int(m.n, 2, "two keys");
	ok(strmap_del(&m, "x") == &b && !strmap_has(&m, "x") && m.n == 1,
	    "delete returns the value");
	strmap_free(&m);
	is_int(m.n + m.cap, 0, "freed");
	strmap_put(&m, "a", xstrdup("1"));
	strmap_put(&m, "b", xstrdup("2"));
	strmap_clear(&m, free);	/* ASan: nothing leaks */
	is_int(m.n + m.cap, 0, "cleared with its values");
}

/* Random puts and deletes, checked against a flag array after each step
 * group: every present key maps to its value, every absent one is absent. */
TEST(model)
{
	struct strmap	 m = STRMAP_INIT;
	static int	 vals[NKEYS];
	static char	 in[NKEYS];
	char		 k[32];
	uint32_t	 x = 12345;
	size_t		 i, step, n = 0, bad = 0;

	for (step = 0; step < 40000; step++) {
		x = x * 1103515245u + 12345u;
		i = (x >> 8) % NKEYS;
		snprintf(k, sizeof k, "ns-%zu/name-%zu", i % 7, i);
		if ((x >> 4) % 3 == 0) {
			void *v = strmap_del(&m, k);
			if (v != (in[i] ? &vals[i] : NULL))
				bad++;
			n -= in[i];
			in[i] = 0;
		} else {
			if (strmap_put(&m, k, &vals[i]) != !in[i])
				bad++;
			n += !in[i];
			in[i] = 1;
		}
		if (step % 5000 == 4999)
			for (i = 0; i < NKEYS; i++) {
				snprintf(k, sizeof k, "ns-%zu/name-%zu", i % 7,
				    i);
				if (strmap_has(&m, k) != in[i] ||
				    strmap_get(&m, k) != (in[i] ? &vals[i] :
				    NULL))
					bad++;
			}
	}
	is_int(bad, 0, "40000 random puts and deletes agree with the model");
	is_int(m.n, n, "the count agrees");
	strmap_free(&m);
}

int
main(void)
{
	RUN(basics);
	RUN(model);
	return tap_done();
}
