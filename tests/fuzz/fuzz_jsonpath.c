/*
 * fuzz_jsonpath: libFuzzer target for the JSONPath parser and evaluator.
 * The input is a template (its first byte picks the options), executed
 * against a fixed object covering every JSON type; every entry point
 * must return cleanly and free everything (ASan/LSan check).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jsonpath.h"
#include "xalloc.h"

static const char object[] =
    "{\"kind\":\"List\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":"
    "\"\"},\"items\":[{\"metadata\":{\"name\":\"a\",\"labels\":{\"app.k8s.io/"
    "name\":\"x\",\"tier\":\"gold\"}},\"spec\":{\"n\":3,\"f\":2.5,\"b\":true,"
    "\"z\":null,\"l\":[1,\"two\",[3],{\"k\":\"v\"}],\"e\":{},\"ea\":[]},"
    "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}},"
    "{\"metadata\":{\"name\":\"b\"},\"spec\":{\"n\":-7,\"big\":"
    "12345678901234567890},\"status\":{\"conditions\":[]}}]}";

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cJSON	*obj;
	struct err	 e = ERR_INIT;
	struct strbuf	 out = STRBUF_INIT;
	struct strlist	 sl = STRLIST_INIT;
	struct jsonpath	*jp;
	cJSON		*found;
	char		*tmpl;
	uint8_t		 flags;

	if (obj == NULL && (obj = json_parse(object, strlen(object),
	    NULL)) == NULL)
		abort();
	if (size < 1 || size > 4096)
		return 0;
	flags = data[0];
	tmpl = xstrndup((const char *)data + 1, size - 1);
	if ((jp = jsonpath_parse(tmpl, &e)) == NULL) {
		if (e.msg == NULL)
			abort();
		goto done;
	}
	jsonpath_allow_missing_keys(jp, flags & 1);
	jsonpath_output_json(jp, flags & 2);
	jsonpath_set_max_steps(jp, 100000);
	sb_init(&out);
	if (jsonpath_execute(jp, obj, &out, &e) == -1 && e.msg == NULL)
		abort();
	err_clear(&e);
	if ((found = jsonpath_find(jp, obj, &e)) != NULL)
		cJSON_Delete(found);
	err_clear(&e);
	jsonpath_find_strings(jp, obj, &sl, &e);
	sl_free(&sl);
	sb_free(&out);
	jsonpath_free(jp);
done:
	err_clear(&e);
	free(tmpl);
	return 0;
}
