/*
 * opt.h: the one table-driven option parser (curl/git style).
 *
 * A command describes its options as an array of struct opt ending with
 * OPT_END.  opt_parse() takes several tables (the command's own, then the
 * global flags), so global flags are accepted before and after the verb.
 * Options may appear anywhere; "--" ends them.  --help is generated from
 * the same tables by opt_usage(), and __complete walks them too.
 */
#ifndef MAAS_OPT_H
#define MAAS_OPT_H

#include <stdio.h>

#include "err.h"
#include "xalloc.h"

enum opt_type {
	OPT_END = 0,	/* terminates a table */
	OPT_BOOL,	/* int *: 1 when given, 0 with --no-NAME */
	OPT_STR,	/* const char **: borrowed from argv */
	OPT_INT,	/* long *: decimal, range checked by min/max when set */
	OPT_DOUBLE,	/* double * */
	OPT_DURATION,	/* double * seconds: Go durations, 90d, bare seconds */
	OPT_LIST,	/* struct strlist *: repeatable, each value appended */
	OPT_FUNC	/* calls fn(opt, value-or-NULL, err) */
};

#define OPT_HIDDEN	0x01	/* not shown in --help or completion */
#define OPT_OPTARG	0x02	/* value optional, only as --name=value */
#define OPT_SECRET	0x04	/* value is a secret: never echoed in errors */

struct opt;
typedef int (*opt_fn)(const struct opt *, const char *, struct err *);

/* One option row. */
struct opt {
	const char	*lname;		/* long name without "--", or NULL */
	int		 sname;		/* short letter, or 0 */
	enum opt_type	 type;		/* value type */
	void		*dst;		/* where the value goes (see enum) */
	const char	*argname;	/* value placeholder in help: "FILE" */
	const char	*help;		/* one line of help text */
	unsigned	 flags;		/* OPT_HIDDEN, OPT_OPTARG, OPT_SECRET */
	opt_fn		 fn;		/* OPT_FUNC callback */
	const char	*complete;	/* value completion: "file", "dir",
					 * "a|b|c" fixed words, or a dynamic
					 * kind: "@context", "@namespace" */
	long		 min, max;	/* OPT_INT range when min < max */
};

/* The outcome of a parse. */
struct optres {
	int		 argc;		/* positional arguments, in order */
	char		**argv;		/* borrowed strings; array owned */
	int		 help;		/* -h/--help was given */
	const struct opt *seen[128];	/* options given, in order */
	int		 nseen;
};

/* Parse argv[0..argc) (no program name) against NULL-terminated tables. */
int	 opt_parse(const struct opt *const *tables, int argc, char **argv,
	    struct optres *, struct err *);
void	 optres_free(struct optres *);
/* Was the option with this long name given on the command line? */
int	 opt_given(const struct optres *, const char *lname);
/* Find an option by long name ("name") or short letter in the tables. */
const struct opt *opt_find_long(const struct opt *const *, const char *);
const struct opt *opt_find_short(const struct opt *const *, int);
/* Does this option take a value on the command line? */
int	 opt_takes_value(const struct opt *);
/* Print the generated OPTIONS section for the tables. */
void	 opt_usage(FILE *, const struct opt *const *tables, const char *heading);

#endif
