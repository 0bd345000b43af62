/*
 * fuzz_yaml.c: libFuzzer target for YAML -> JSON and back: parse the input
 * (first document and whole stream), emit every value as YAML, parse that
 * again and require the same JSON; also print the JSON and re-read it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "xalloc.h"
#include "yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

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

/* Emit v, parse the result back, and abort if it does not match. */
static void
check_round_trip(const cJSON *v)
{
	struct err	 e = ERR_INIT;
	char		*y = yaml_emit(v), *j;
	cJSON		*back = yaml_parse(y, strlen(y), &e);

	if (back == NULL || !json_equal(v, back)) {
		j = json_print(v, 0);
		fprintf(stderr, "round trip failed: %s\njson: %s\nyaml:\n%s\n",
		    e.msg != NULL ? e.msg : "values differ", j, y);
		abort();
	}
	cJSON_Delete(back);
	err_clear(&e);
	free(y);
	/* JSON printing must read back with the JSON parser (raw numbers
	 * included; YAML would fold U+0085 and friends in strings). */
	j = json_print(v, 1);
	back = json_parse(j, strlen(j), NULL);
	if (back == NULL || (all_utf8(v) && !json_equal(v, back))) {
		fprintf(stderr, "JSON re-read failed:\n%s\n", j);
		abort();
	}
	cJSON_Delete(back);
	free(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err	 e = ERR_INIT;
	const char	*buf = (const char *)data;
	cJSON		*v, *docs, *d;

	v = yaml_parse(buf, size, &e);
	if (v != NULL)
		check_round_trip(v);
	cJSON_Delete(v);
	err_clear(&e);
	docs = yaml_to_json(buf, size, YAML_STREAM | YAML_BARE_ERRORS, &e);
	if (docs != NULL) {
		cJSON_ArrayForEach(d, docs)
			check_round_trip(d);
	} else if (e.msg == NULL || strchr(e.msg, '\n') != NULL) {
		fprintf(stderr, "error message missing or not one line\n");
		abort();
	}
	cJSON_Delete(docs);
	err_clear(&e);
	return 0;
}
