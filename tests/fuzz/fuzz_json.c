/*
 * fuzz_json.c: libFuzzer target for JSON parsing and printing: parse the
 * input, print it compact and indented, re-parse both and require the same
 * value; write it as YAML and require that to read back the same too.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "xalloc.h"
#include "yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Whether v holds a number JSON cannot print (cJSON reads 1e999 as inf). */
static int
has_nonfinite(const cJSON *v)
{
	const cJSON	*c;

	if (cJSON_IsNumber(v) && !isfinite(v->valuedouble))
		return 1;
	for (c = v->child; c != NULL; c = c->next)
		if (has_nonfinite(c))
			return 1;
	return 0;
}

/* Whether every key and string in v is valid UTF-8 (JSON output replaces
 * invalid bytes with U+FFFD as Go does, so only those read back equal). */
static int
all_utf8(const cJSON *v)
{
	const cJSON	*c;

	if (v->string != NULL && !json_utf8_valid(v->string))
		return 0;
	if (cJSON_IsString(v) && !json_utf8_valid(v->valuestring))
		return 0;
	for (c = v->child; c != NULL; c = c->next)
		if (!all_utf8(c))
			return 0;
	return 1;
}

/* Re-read text with parse and abort unless it gives v again. */
static void
expect_same(const cJSON *v, const char *text, int yaml, const char *what)
{
	struct err	 e = ERR_INIT;
	cJSON		*back;

	back = yaml ? yaml_parse(text, strlen(text), &e) :
	    json_parse(text, strlen(text), &e);
	if (back == NULL || (all_utf8(v) && !json_equal(v, back))) {
		fprintf(stderr, "%s round trip failed: %s\n%s\n", what,
		    e.msg != NULL ? e.msg : "values differ", text);
		abort();
	}
	cJSON_Delete(back);
	err_clear(&e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err	 e = ERR_INIT;
	cJSON		*v;
	char		*s;

	v = json_parse((const char *)data, size, &e);
	if (v == NULL) {
		if (e.msg == NULL || strchr(e.msg, '\n') != NULL)
			abort();
		err_clear(&e);
		return 0;
	}
	(void)json_path(v, "metadata.name");
	(void)json_str(v, "items.0.kind");
	(void)json_num(v, "spec.replicas", 0);
	if (!has_nonfinite(v)) {
		s = json_print(v, 0);
		expect_same(v, s, 0, "compact JSON");
		free(s);
		s = json_print(v, 1);
		expect_same(v, s, 0, "indented JSON");
		free(s);
		s = yaml_emit(v);
		expect_same(v, s, 1, "YAML");
		free(s);
	}
	cJSON_Delete(v);
	return 0;
}
