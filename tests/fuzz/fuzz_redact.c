/*
 * fuzz_redact.c: libFuzzer target for term_redact_n() (the scanner every
 * -v trace goes through) and the Retry-After parser.  Besides memory
 * safety it checks that redacting is stable: redacting the output again
 * changes nothing, so no half-hidden secret is left for a second pass.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "term.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s, *r1, *r2;

	r1 = term_redact_n((const char *)data, size);
	free(r1);
	s = xstrndup((const char *)data, size);	/* up to a NUL */
	r1 = term_redact(s);
	r2 = term_redact(r1);
	if (strcmp(r1, r2) != 0)
		abort();
	free(r1);
	free(r2);
	(void)http_retry_after(s, NULL, 0);
	(void)http_retry_after(NULL, s, 0);
	free(s);
	return 0;
}
