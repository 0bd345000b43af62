/* fuzz_sse.c: libFuzzer target: the SSE parser on arbitrary bytes, fed in
 * two pieces split at a point taken from the input. */
#include <stddef.h>
#include <stdint.h>

#include "sse.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
count(const struct sse_event *ev, void *arg)
{
	(*(size_t *)arg) += ev->data_len;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sse	*s;
	size_t		 total = 0, cut;

	if (size == 0)
		return 0;
	cut = data[0] % size;
	s = sse_new(count, &total);
	sse_set_max_line(s, 1 << 16);
	(void)sse_feed(s, (const char *)data + 1, cut, NULL);
	(void)sse_feed(s, (const char *)data + 1 + cut, size - 1 - cut, NULL);
	(void)sse_finish(s);
	sse_free(s);
	return 0;
}
