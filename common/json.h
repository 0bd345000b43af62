/*
 * json.h: helpers over cJSON (the Debian libcjson package).
 */
#ifndef MAAS_JSON_H
#define MAAS_JSON_H

#include <cjson/cJSON.h>

#include "err.h"
#include "xalloc.h"

/* Parse a JSON document; NULL with an error naming line/column otherwise.
 * A key repeated in an object keeps its last value, as Go's encoding/json.
 * Integers beyond 2^53 that fit 64 bits become raw numbers with their exact
 * text (cJSON_IsRaw), as yaml_parse keeps them. */
cJSON	*json_parse(const char *buf, size_t len, struct err *);
/* Member by dotted path ("metadata.name"); NULL when absent.  A segment
 * indexes an array when numeric ("items.0.kind"); "\\." escapes a dot in a
 * key ("metadata.labels.app\\.kubernetes\\.io/name"). */
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
/* Print compactly / indented (4 spaces as kubectl -o json and Go's
 * json.MarshalIndent do, with Go's escaping of <, >, &); caller frees.
 * Raw items (cJSON_CreateRaw, e.g. integers beyond 2^53 kept exactly by
 * yaml_parse) are printed verbatim. */
char	*json_print(const cJSON *, int pretty);

/* Decode the UTF-8 sequence at s (Go's rules: no overlongs, surrogates or
 * values past U+10FFFF); the code point, or -1 with *len 1 if invalid. */
long	 json_utf8_rune(const unsigned char *s, size_t *len);
/* Whether s is valid UTF-8 (Go's utf8.ValidString). */
int	 json_utf8_valid(const char *s);

enum json_quote_style {
	QUOTE_JSON,	/* Go's encoding/json: <>& as \u00XX, bad UTF-8 as U+FFFD */
	QUOTE_GO	/* Go's %q (strconv.Quote): bad bytes as \xXX */
};
/* Append s as a double-quoted string literal in the given style. */
void	 json_quote(struct strbuf *sb, const char *s, enum json_quote_style);

/* Number styles for json_format_number. */
enum json_num_style {
	JSON_NUM_GO,	/* encoding/json: 'f' unless exponent < -6 or >= 21 */
	JSON_NUM_YAML,	/* yaml.v2: FormatFloat 'g' -1, .inf/.nan */
	JSON_NUM_YAML32	/* the same at float32 precision (sigs.k8s.io/yaml keys) */
};
/* Append d in the shortest form that reads back exactly, as Go prints it. */
void	 json_format_number(struct strbuf *, double, int style);

#endif
