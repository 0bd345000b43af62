/*
 * jsonpath.h: kubectl's JSONPath template language (k8s.io/client-go
 * util/jsonpath), evaluated over cJSON values with the same results,
 * output rules and error texts as kubectl.
 *
 *	struct jsonpath *jp = jsonpath_parse("{.items[*].metadata.name}", &e);
 *	jsonpath_execute(jp, obj, &sb, &e);	(appends "a b c")
 *	jsonpath_free(jp);
 */
#ifndef MAAS_JSONPATH_H
#define MAAS_JSONPATH_H

#include <cjson/cJSON.h>

#include "err.h"
#include "xalloc.h"

struct jsonpath;

/* Parse a template.  On error NULL with a raw EXIT_USAGE error reading as
 * kubectl's "error: error parsing jsonpath <tmpl>, <reason>". */
struct jsonpath	*jsonpath_parse(const char *tmpl, struct err *);
/* Parse a template; on error NULL with only the parser's reason as the
 * (non-raw) message, e.g. "unclosed action" (custom-columns uses this). */
struct jsonpath	*jsonpath_parse_bare(const char *tmpl, struct err *);
void		 jsonpath_free(struct jsonpath *);
/* Missing map keys give no result instead of "<key> is not found"
 * (kubectl get's default, --allow-missing-template-keys=true).  Off by
 * default, as in the library. */
void		 jsonpath_allow_missing_keys(struct jsonpath *, int);
/* Print each result group as an indented JSON array (-o jsonpath-as-json). */
void		 jsonpath_output_json(struct jsonpath *, int);
/* Cap the evaluation work (0 restores the default of 20 million steps). */
void		 jsonpath_set_max_steps(struct jsonpath *, unsigned long);

/* Execute against data, appending the text to out.  On error -1 with a raw
 * EXIT_ERR error "error: error executing jsonpath "<tmpl>": Error executing
 * template: <reason>" and nothing appended. */
int	 jsonpath_execute(struct jsonpath *, const cJSON *data,
	    struct strbuf *out, struct err *);
/* Every result, flattened in output order, as a new cJSON array (literal
 * text and numbers in the template become strings and numbers).  NULL on
 * error, with the same error as jsonpath_execute. */
cJSON	*jsonpath_find(struct jsonpath *, const cJSON *data, struct err *);
/* Every result formatted as Go's fmt.Sprint does (maps "map[k:v]", lists
 * "[a b]", null "<nil>"), as kubectl's custom-columns printer shows them. */
int	 jsonpath_find_strings(struct jsonpath *, const cJSON *data,
	    struct strlist *out, struct err *);

/* Append v formatted as Go's fmt.Sprint formats the decoded JSON value. */
void	 jsonpath_sprint(struct strbuf *, const cJSON *v);
/* Append v as Go's encoding/json marshals decoded JSON (sorted keys, Go
 * escapes); indent 0 is compact, otherwise 4-space indentation. */
void	 jsonpath_marshal(struct strbuf *, const cJSON *v, int indent);

#endif
