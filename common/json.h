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
/*
 * Split the elements of one array member of a top-level object ("items"
 * of a Kubernetes list) out of a byte stream as it arrives, so a large
 * list is never held whole: json_items_feed() hands each complete element
 * (its JSON text) to fn; everything else is kept as the envelope, with the
 * array left empty ("items":[]), for json_items_end() to parse.  Bytes
 * must be a JSON object; no element is larger than it needs to be.
 */
typedef int (*json_item_fn)(void *arg, const char *elem, size_t len);
struct json_items {
	const char	*member;	/* the array member's key: "items" */
	json_item_fn	 fn;		/* called with each element */
	void		*arg;		/* passed to fn */
	struct strbuf	 env;		/* the envelope, array emptied */
	struct strbuf	 elem;		/* the element being read */
	struct strbuf	 key;		/* the last key read at depth 1 */
	int		 depth;		/* nesting at the current byte */
	int		 in_str, esc;	/* inside a string, after a backslash */
	int		 in_key;	/* the string is a depth-1 key */
	int		 want_key;	/* a depth-1 key comes next */
	int		 in_items;	/* inside the member's array */
	int		 stopped;	/* fn returned non-zero */
	size_t		 count;		/* elements handed to fn */
	const char	*drop;		/* a member removed from each element
					 * before fn sees it (dotted path,
					 * "metadata.managedFields"), or NULL */
	const char *const *keep;	/* or: only these members of each
					 * element (json_keep_members()), an
					 * element it cannot cut handed over
					 * whole; NULL: all */
	struct strbuf	 kept;		/* an element cut to keep */
	struct strbuf	 prefix;	/* keep_object()'s path so far */
};
/* Start splitting the array member (e.g. "items"). */
void	 json_items_init(struct json_items *, const char *member,
	    json_item_fn, void *);
/* Feed bytes; -1 once fn asked to stop (the rest is ignored). */
int	 json_items_feed(struct json_items *, const char *, size_t);
/* The envelope parsed (json_parse), NULL with an error when the stream
 * ended inside the document or is not JSON; frees the splitter's buffers. */
cJSON	*json_items_end(struct json_items *, struct err *);
/* Free the splitter's buffers (after an error). */
void	 json_items_free(struct json_items *);
/*
 * Remove the member at a dotted path of plain keys ("metadata.managedFields")
 * from the JSON object text in buf, in place; returns the new length.  The
 * first member of that name at each level is taken.  Text is read only up
 * to that member: without one (or where what comes before it is not JSON)
 * it is left as it is, and what is wrong anywhere is the parse's to report.
 */
size_t	 json_drop_member(char *buf, size_t len, const char *dotted);
/*
 * Append to out the JSON object text in buf with only the members named by
 * paths (dotted paths of plain keys, NULL-terminated): "spec" keeps spec
 * whole, "status.phase" keeps status with only its phase (status itself
 * whole when it is not an object).  Members are copied as they are, in
 * their order, repeats included, without the whitespace between them; a
 * key with an escape in it is kept whole.  Returns 0, or -1 (out as it
 * was) when buf is not a JSON object this can split: the caller then
 * parses buf itself, and the parse says what is wrong.
 */
int	 json_keep_members(const char *buf, size_t len,
	    const char *const *paths, struct strbuf *out);

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
