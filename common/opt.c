/*
 * opt.c: the table-driven option parser.  Options and positional
 * arguments may be interleaved (kubectl style); several tables are
 * searched in order, so a command's own options shadow global ones.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "opt.h"

const struct opt *
opt_find_long(const struct opt *const *tables, const char *name)
{
	const struct opt	*o;
	size_t			 i;

	for (i = 0; tables[i] != NULL; i++)
		for (o = tables[i]; o->type != OPT_END; o++)
			if (o->lname != NULL && strcmp(o->lname, name) == 0)
				return o;
	return NULL;
}

const struct opt *
opt_find_short(const struct opt *const *tables, int c)
{
	const struct opt	*o;
	size_t			 i;

	for (i = 0; tables[i] != NULL; i++)
		for (o = tables[i]; o->type != OPT_END; o++)
			if (o->sname != 0 && o->sname == c)
				return o;
	return NULL;
}

int
opt_takes_value(const struct opt *o)
{
	return o->type != OPT_BOOL && !(o->flags & OPT_OPTARG) &&
	    !(o->type == OPT_FUNC && o->argname == NULL);
}

/* The option's name as the user would write it, for messages. */
static char *
opt_name(const struct opt *o)
{
	if (o->lname != NULL)
		return xasprintf("--%s", o->lname);
	return xasprintf("-%c", o->sname);
}

static int
opt_set(const struct opt *o, const char *val, int negated, struct err *e)
{
	char		*end, *name;
	long		 l;
	double		 d;
	int		 rc = 0;

	name = opt_name(o);
	switch (o->type) {
	case OPT_BOOL:
		*(int *)o->dst = !negated;
		break;
	case OPT_STR:
		*(const char **)o->dst = val;
		break;
	case OPT_INT:
		errno = 0;
		l = strtol(val, &end, 10);
		if (*val == '\0' || *end != '\0' || errno != 0) {
			rc = err_set(e, EXIT_USAGE,
			    "invalid value \"%s\" for %s: not an integer",
			    val, name);
			break;
		}
		if (o->min < o->max && (l < o->min || l > o->max)) {
			rc = err_set(e, EXIT_USAGE,
			    "invalid value %ld for %s: must be from %ld to %ld",
			    l, name, o->min, o->max);
			break;
		}
		*(long *)o->dst = l;
		break;
	case OPT_DOUBLE:
		errno = 0;
		d = strtod(val, &end);
		if (*val == '\0' || *end != '\0' || errno != 0) {
			rc = err_set(e, EXIT_USAGE,
			    "invalid value \"%s\" for %s: not a number",
			    val, name);
			break;
		}
		*(double *)o->dst = d;
		break;
	case OPT_DURATION:
		if (duration_parse(val, &d, e) != 0) {
			err_wrap(e, "invalid value for %s", name);
			rc = -1;
			break;
		}
		*(double *)o->dst = d;
		break;
	case OPT_LIST:
		sl_add(o->dst, val);
		break;
	case OPT_FUNC:
		rc = o->fn(o, val, e);
		break;
	case OPT_END:
		break;
	}
	free(name);
	return rc;
}

static void
optres_note(struct optres *res, const struct opt *o)
{
	if (res->nseen < (int)(sizeof res->seen / sizeof res->seen[0]))
		res->seen[res->nseen++] = o;
}

/* Handle "--name", "--name=value", "--no-name"; may consume argv[*i+1]. */
static int
parse_long(const struct opt *const *tables, int argc, char **argv, int *i,
    struct optres *res, struct err *e)
{
	const struct opt	*o;
	char			*arg = argv[*i] + 2, *name, *eq;
	const char		*val = NULL;
	int			 negated = 0, rc;

	if ((eq = strchr(arg, '=')) != NULL) {
		name = xstrndup(arg, (size_t)(eq - arg));
		val = eq + 1;
	} else
		name = xstrdup(arg);
	if (strcmp(name, "help") == 0 && val == NULL) {
		res->help = 1;
		free(name);
		return 0;
	}
	o = opt_find_long(tables, name);
	if (o == NULL && strncmp(name, "no-", 3) == 0) {
		o = opt_find_long(tables, name + 3);
		if (o != NULL && o->type == OPT_BOOL)
			negated = 1;
		else
			o = NULL;
	}
	if (o == NULL) {
		err_set(e, EXIT_USAGE, "unknown flag: --%s", name);
		free(name);
		return -1;
	}
	free(name);
	if (o->type == OPT_BOOL && val != NULL) {
		if (strcmp(val, "true") == 0)
			val = NULL;
		else if (strcmp(val, "false") == 0) {
			val = NULL;
			negated = 1;
		} else
			return err_set(e, EXIT_USAGE,
			    "invalid value \"%s\" for --%s: want true or false",
			    val, o->lname);
	} else if (val == NULL && opt_takes_value(o)) {
		if (*i + 1 >= argc)
			return err_set(e, EXIT_USAGE,
			    "flag needs an argument: --%s", o->lname);
		val = argv[++*i];
	}
	rc = opt_set(o, val, negated, e);
	if (rc == 0)
		optres_note(res, o);
	return rc;
}

/* Handle "-abc", "-nNS", "-n NS", "-n=NS"; may consume argv[*i+1]. */
static int
parse_short(const struct opt *const *tables, int argc, char **argv, int *i,
    struct optres *res, struct err *e)
{
	const struct opt	*o;
	const char		*p = argv[*i] + 1, *val;

	for (; *p != '\0'; p++) {
		if (*p == 'h' && opt_find_short(tables, 'h') == NULL) {
			res->help = 1;
			continue;
		}
		if ((o = opt_find_short(tables, (unsigned char)*p)) == NULL)
			return err_set(e, EXIT_USAGE,
			    "unknown shorthand flag: '%c' in %s", *p, argv[*i]);
		if (!opt_takes_value(o)) {
			if (opt_set(o, NULL, 0, e) != 0)
				return -1;
			optres_note(res, o);
			continue;
		}
		if (p[1] != '\0')
			val = p[1] == '=' ? p + 2 : p + 1;
		else if (*i + 1 < argc)
			val = argv[++*i];
		else
			return err_set(e, EXIT_USAGE,
			    "flag needs an argument: '%c' in -%c", *p, *p);
		if (opt_set(o, val, 0, e) != 0)
			return -1;
		optres_note(res, o);
		return 0;
	}
	return 0;
}

int
opt_parse(const struct opt *const *tables, int argc, char **argv,
    struct optres *res, struct err *e)
{
	int	 i;

	memset(res, 0, sizeof *res);
	res->argv = xcalloc((size_t)argc + 1, sizeof *res->argv);
	for (i = 0; i < argc; i++) {
		char	*a = argv[i];

		if (strcmp(a, "--") == 0) {
			while (++i < argc)
				res->argv[res->argc++] = argv[i];
			break;
		}
		if (a[0] == '-' && a[1] == '-') {
			if (parse_long(tables, argc, argv, &i, res, e) != 0)
				goto fail;
		} else if (a[0] == '-' && a[1] != '\0') {
			if (parse_short(tables, argc, argv, &i, res, e) != 0)
				goto fail;
		} else
			res->argv[res->argc++] = a;
	}
	res->argv[res->argc] = NULL;
	return 0;
fail:
	optres_free(res);
	return -1;
}

void
optres_free(struct optres *res)
{
	free(res->argv);
	res->argv = NULL;
	res->argc = 0;
}

int
opt_given(const struct optres *res, const char *lname)
{
	int	 i;

	for (i = 0; i < res->nseen; i++)
		if (res->seen[i]->lname != NULL &&
		    strcmp(res->seen[i]->lname, lname) == 0)
			return 1;
	return 0;
}

/* The left column of one help row: "  -n, --namespace NS". */
static char *
opt_left(const struct opt *o)
{
	struct strbuf	 sb = STRBUF_INIT;

	sb_adds(&sb, "  ");
	if (o->sname != 0)
		sb_addf(&sb, "-%c%s", o->sname, o->lname ? ", " : "");
	else
		sb_adds(&sb, "    ");
	if (o->lname != NULL) {
		sb_addf(&sb, "--%s", o->lname);
		if (o->flags & OPT_OPTARG)
			sb_addf(&sb, "[=%s]", o->argname ? o->argname : "VALUE");
		else if (opt_takes_value(o))
			sb_addf(&sb, " %s", o->argname ? o->argname : "VALUE");
	} else if (opt_takes_value(o))
		sb_addf(&sb, " %s", o->argname ? o->argname : "VALUE");
	return sb_detach(&sb);
}

void
opt_usage(FILE *f, const struct opt *const *tables, const char *heading)
{
	const struct opt	*o;
	char			*left;
	size_t			 i, w = 0, n;

	for (i = 0; tables[i] != NULL; i++)
		for (o = tables[i]; o->type != OPT_END; o++) {
			if (o->flags & OPT_HIDDEN)
				continue;
			left = opt_left(o);
			if ((n = strlen(left)) > w)
				w = n;
			free(left);
		}
	if (w == 0)
		return;
	if (w > 34)
		w = 34;
	if (heading != NULL)
		fprintf(f, "%s\n", heading);
	for (i = 0; tables[i] != NULL; i++)
		for (o = tables[i]; o->type != OPT_END; o++) {
			if (o->flags & OPT_HIDDEN)
				continue;
			left = opt_left(o);
			if (strlen(left) > w)
				fprintf(f, "%s\n%*s  %s\n", left, (int)w, "",
				    o->help ? o->help : "");
			else
				fprintf(f, "%-*s  %s\n", (int)w, left,
				    o->help ? o->help : "");
			free(left);
		}
}
