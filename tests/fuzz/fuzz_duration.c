/* fuzz_duration.c: libFuzzer target for duration and window parsing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err	 e = ERR_INIT;
	char		*s, *f;
	double		 v;

	s = xstrndup((const char *)data, size);
	if (duration_parse(s, &v, &e) == 0) {
		f = duration_format(v);
		free(f);
	}
	err_clear(&e);
	(void)duration_window(s, &v, &e);
	err_clear(&e);
	free(s);
	return 0;
}
