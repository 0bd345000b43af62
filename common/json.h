/*
 * json.h: helpers over cJSON (the Debian libcjson package).
 */
#ifndef MAAS_JSON_H
#define MAAS_JSON_H

#include <cjson/cJSON.h>

#include "err.h"

/* Parse a JSON document; NULL with an error naming line/column otherwise. */
cJSON	*json_parse(const char *buf, size_t len, struct err *);
/* Member by dotted path ("metadata.name"); NULL when absent. */
cJSON	*json_path(const cJSON *, const char *dotted);
/* String member by dotted path, or NULL when absent or not a string. */
const char *json_str(const cJSON *, const char *dotted);
/* Number member by dotted path, or def. */
double	 json_num(const cJSON *, const char *dotted, double def);
/* Boolean member by dotted path, or def. */
int	 json_bool(const cJSON *, const char *dotted, int def);
/* Create (or replace) a string at a dotted path, making objects as needed. */
void	 json_set_str(cJSON *, const char *dotted, const char *value);
/* Get or create an object at a dotted path. */
cJSON	*json_obj(cJSON *, const char *dotted);
/* Deep equality (object key order ignored). */
int	 json_equal(const cJSON *, const cJSON *);
/* Print compactly / indented (2 spaces, kubectl -o json style); caller frees. */
char	*json_print(const cJSON *, int pretty);

#endif
