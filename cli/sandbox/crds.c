/*
 * crds.c: the sandbox's own CRD definitions (cli/sandbox/crds/) and
 * the seed objects of a fresh sandbox (cli/sandbox/seed/seed.yaml), both
 * embedded in the binary at build time by scripts/embed-files.
 */
#include <string.h>

#include "yaml.h"
#include "sandbox/schema.h"

/* Written by scripts/embed-files into $(BUILD)/gen/sbx_embedded.c. */
struct sbx_embed {
	const char		*name;	/* source path, e.g. cli/sandbox/crds/x.yaml */
	const unsigned char	*data;	/* contents, NUL-terminated */
	size_t			 len;	/* bytes, without the NUL */
};
extern const struct sbx_embed sbx_embedded[];
extern const size_t sbx_nembedded;

/* Parse every embedded file under prefix into one array of documents. */
static cJSON *
embedded_docs(const char *prefix, struct err *e)
{
	cJSON		*all = cJSON_CreateArray(), *docs, *d;
	size_t		 i, plen = strlen(prefix);

	for (i = 0; i < sbx_nembedded; i++) {
		if (strncmp(sbx_embedded[i].name, prefix, plen) != 0)
			continue;
		docs = yaml_parse_stream((const char *)sbx_embedded[i].data,
		    sbx_embedded[i].len, e);
		if (docs == NULL) {
			err_wrap(e, "built-in %s", sbx_embedded[i].name);
			cJSON_Delete(all);
			return NULL;
		}
		while ((d = cJSON_DetachItemFromArray(docs, 0)) != NULL)
			cJSON_AddItemToArray(all, d);
		cJSON_Delete(docs);
	}
	return all;
}

cJSON *
sbx_builtin_crds(struct err *e)
{
	return embedded_docs("cli/sandbox/crds/", e);
}

cJSON *
sbx_seed_objects(struct err *e)
{
	return embedded_docs("cli/sandbox/seed/", e);
}
