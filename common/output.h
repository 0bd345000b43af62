/*
 * output.h: the printers behind -o, as kubectl prints: server-side Table
 * objects and maasctl's own tables (Go tabwriter padding: minwidth 6,
 * padding 3), wide, json, yaml, name, jsonpath=, jsonpath-file=,
 * jsonpath-as-json=, custom-columns= and custom-columns-file=.
 *
 *	struct output o;
 *	if (output_parse(&o, G.output, &e) == -1) ...	(exit 2 on a bad -o)
 *	o.show_namespace = all_namespaces;
 *	output_print(&o, list_or_table_or_object, &ctx, stdout, stderr, &e);
 *	output_free(&o);
 */
#ifndef MAAS_OUTPUT_H
#define MAAS_OUTPUT_H

#include <stdio.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "xalloc.h"

/* The printer an -o value selects. */
enum output_format {
	OUTPUT_TABLE,		/* default (no -o, or -o table) */
	OUTPUT_WIDE,		/* table plus priority > 0 columns */
	OUTPUT_JSON,
	OUTPUT_YAML,
	OUTPUT_NAME,
	OUTPUT_JSONPATH,	/* jsonpath=, jsonpath-file=, jsonpath-as-json= */
	OUTPUT_CUSTOM_COLUMNS	/* custom-columns=, custom-columns-file= */
};

struct jsonpath;

/* One custom column: its header and its compiled JSONPath. */
struct output_column {
	char		*header;	/* as given (not upper-cased) */
	char		*spec;		/* the template, "{.metadata.name}" */
	struct jsonpath	*jp;		/* compiled, missing keys allowed */
};

/* A chosen printer and the flags that shape tables and documents. */
struct output {
	enum output_format	 format;
	struct jsonpath		*jp;		/* OUTPUT_JSONPATH */
	struct output_column	*cols;		/* OUTPUT_CUSTOM_COLUMNS */
	size_t			 ncols;
	int			 no_headers;	/* --no-headers */
	int			 show_namespace;/* -A: NAMESPACE column first */
	int			 show_labels;	/* --show-labels: LABELS last */
	int			 show_kind;	/* --show-kind: "kind/name" */
	int			 show_managed_fields; /* keep managedFields */
	struct strlist		 label_columns;	/* -L key (one column each) */
	time_t			 now;		/* for ages; 0: time(NULL) */
	int			 printed;	/* documents printed (yaml "---") */
};

/* What was listed: for "No resources found" and -o name fallbacks. */
struct output_ctx {
	const char	*namespace;	/* the namespace listed; NULL when
					 * cluster-scoped or all namespaces */
	const char	*kind;		/* Kind when objects carry none */
	const char	*group;		/* API group when objects carry none
					 * ("" for the core group) */
};

/* Choose a printer from an -o value (NULL or "" is the table).  On error -1
 * with kubectl's message and EXIT_USAGE, e.g. `error: unable to match a
 * printer suitable for the output format "x", allowed formats are: ...`. */
int	 output_parse(struct output *, const char *spec, struct err *);
void	 output_free(struct output *);
/* Whether the printer is a human-readable table (table or wide). */
int	 output_is_table(const struct output *);

/*
 * Print obj, which is a meta.k8s.io Table, a list (an "items" array) or a
 * single object.  Tables print as kubectl prints them (a list or object
 * without a Table prints NAME and AGE); an empty result prints "No
 * resources found in <ns> namespace." (or "No resources found") on errfp.
 * json and yaml wrap a list as kubectl's {"apiVersion":"v1","items":[...],
 * "kind":"List","metadata":{"resourceVersion":""}}.  -1 on error (a failing
 * jsonpath, an object without kind for -o name), nothing half printed by
 * that object.
 */
int	 output_print(struct output *, const cJSON *obj,
	    const struct output_ctx *, FILE *out, FILE *errfp, struct err *);
/* "<kind>.<group>/<name>[ <operation>]\n" as kubectl's -o name prints it
 * (operation: "created", "configured", ... or NULL). */
int	 output_name(FILE *out, const cJSON *obj, const char *operation,
	    const struct output_ctx *, struct err *);
/* kubectl's -o json/-o yaml wrapping of a list; a new object. */
cJSON	*output_wrap_list(const cJSON *list);

/* apimachinery's HumanDuration: 5s, 3m20s, 10h, 5d3h, 400d, 3y10d, ... */
char	*output_human_duration(double seconds);
/* The age of an RFC 3339 timestamp at now, as kubectl shows it; "<unknown>"
 * for NULL, "<invalid>" when it does not parse. */
char	*output_age(const char *timestamp, time_t now);

/* A client-side table for maasctl's own listings, printed with the same
 * padding as kubectl's tables. */
struct output_table;

/* A table with these column headers (printed upper-cased). */
struct output_table *output_table_new(const char *const *headers, size_t n);
/* Show column col only with -o wide (a printer column of priority 1). */
void	 output_table_wide(struct output_table *, size_t col);
/* Say that the wide columns will not be printed (the output is not -o
 * wide), so rows may leave them empty instead of working them out. */
void	 output_table_narrow(struct output_table *);
/* Whether the wide columns will be printed (output_table_narrow not called). */
int	 output_table_shows_wide(const struct output_table *);
/* Append a number as "%.0f" prints it (integers without the slow path). */
void	 output_table_add_num(struct output_table *, double);
/* Append a cell to the current row; NULL shows as "<none>". */
void	 output_table_add(struct output_table *, const char *cell);
void	 output_table_addf(struct output_table *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Finish the current row. */
void	 output_table_end_row(struct output_table *);
size_t	 output_table_rows(const struct output_table *);
/* Print (headers unless --no-headers; wide columns only with -o wide);
 * nothing at all when there are no rows (say "No resources found" yourself). */
void	 output_table_print(const struct output_table *, const struct output *,
	    FILE *out);
void	 output_table_free(struct output_table *);

/* Lay out lines of cells as Go's text/tabwriter does for kubectl
 * (minwidth 6, padding 3, spaces; the last cell of a line is not padded);
 * lines[i] is NULL-terminated. */
void	 output_tabwrite(struct strbuf *, char ***lines, size_t nlines);

#endif
