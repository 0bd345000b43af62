/* test_opt.c: the table-driven option parser. */
#include <stdlib.h>

#include "opt.h"
#include "tap.h"

static int		 b_flag, g_all;
static const char	*s_ns, *s_out;
static long		 i_num;
static double		 d_dur;
static struct strlist	 l_lab;

static const struct opt own[] = {
	{ "flag", 'f', OPT_BOOL, &b_flag, NULL, "a flag", 0, NULL, NULL, 0, 0 },
	{ "num", 'N', OPT_INT, &i_num, "N", "a number", 0, NULL, NULL, 1, 10 },
	{ "wait", 0, OPT_DURATION, &d_dur, "D", "a duration", 0, NULL, NULL,
	  0, 0 },
	{ "label", 'l', OPT_LIST, &l_lab, "K=V", "labels", 0, NULL, NULL, 0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};
static const struct opt glob[] = {
	{ "namespace", 'n', OPT_STR, &s_ns, "NS", "ns", 0, NULL, NULL, 0, 0 },
	{ "output", 'o', OPT_STR, &s_out, "F", "out", 0, NULL, NULL, 0, 0 },
	{ "all-namespaces", 'A', OPT_BOOL, &g_all, NULL, "all", 0, NULL, NULL,
	  0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};
static const struct opt *const tables[] = { own, glob, NULL };

static void
reset(void)
{
	b_flag = g_all = 0;
	s_ns = s_out = NULL;
	i_num = 0;
	d_dur = 0;
	sl_free(&l_lab);
}

static int
parse(int argc, char **argv, struct optres *res, struct err *e)
{
	reset();
	return opt_parse(tables, argc, argv, res, e);
}

TEST(mixed)
{
	char		*argv[] = { "a", "--flag", "-n", "ns1", "b", "--num=5",
			    "--wait", "1m", "-l", "x=1", "--label=y=2", "--",
			    "-c", NULL };
	struct optres	 r;
	struct err	 e = ERR_INIT;

	ok(parse(13, argv, &r, &e) == 0, "parses");
	is_int(r.argc, 3, "three positionals");
	is_str(r.argv[0], "a", "first");
	is_str(r.argv[1], "b", "second");
	is_str(r.argv[2], "-c", "after --");
	ok(b_flag == 1, "bool set");
	is_str(s_ns, "ns1", "-n NS");
	is_int(i_num, 5, "--num=5");
	ok(d_dur == 60, "duration 1m");
	is_int(l_lab.n, 2, "list twice");
	is_str(l_lab.v[1], "y=2", "list keeps '='");
	ok(opt_given(&r, "num") && !opt_given(&r, "output"), "opt_given");
	optres_free(&r);
}

TEST(short_forms)
{
	char		*argv[] = { "-fA", "-nfoo", "-o=json", "-N", "3", NULL };
	struct optres	 r;
	struct err	 e = ERR_INIT;

	ok(parse(5, argv, &r, &e) == 0, "parses clusters");
	ok(b_flag && g_all, "clustered bools");
	is_str(s_ns, "foo", "-nfoo");
	is_str(s_out, "json", "-o=json");
	is_int(i_num, 3, "-N 3");
	optres_free(&r);
}

TEST(negation_and_help)
{
	char		*argv[] = { "--flag", "--no-flag", "--help", NULL };
	char		*argv2[] = { "--flag=false", "-h", NULL };
	struct optres	 r;
	struct err	 e = ERR_INIT;

	ok(parse(3, argv, &r, &e) == 0 && b_flag == 0 && r.help,
	    "--no-flag and --help");
	optres_free(&r);
	ok(parse(2, argv2, &r, &e) == 0 && b_flag == 0 && r.help,
	    "--flag=false and -h");
	optres_free(&r);
}

static void
bad(int argc, char **argv, const char *want)
{
	struct optres	 r;
	struct err	 e = ERR_INIT;

	ok(parse(argc, argv, &r, &e) == -1 && e.code == EXIT_USAGE &&
	    e.msg != NULL && strstr(e.msg, want) != NULL, "rejects %s: %s",
	    argv[0], e.msg ? e.msg : "(accepted)");
	err_clear(&e);
}

TEST(errors)
{
	char	*a1[] = { "--bogus", NULL };
	char	*a2[] = { "-z", NULL };
	char	*a3[] = { "--num", NULL };
	char	*a4[] = { "--num=x", NULL };
	char	*a5[] = { "--num=11", NULL };
	char	*a6[] = { "--wait=5q", NULL };
	char	*a7[] = { "--flag=maybe", NULL };
	char	*a8[] = { "-n", NULL };
	char	*a9[] = { "--no-namespace", NULL };

	bad(1, a1, "unknown flag: --bogus");
	bad(1, a2, "unknown shorthand flag: 'z'");
	bad(1, a3, "flag needs an argument: --num");
	bad(1, a4, "not an integer");
	bad(1, a5, "must be from 1 to 10");
	bad(1, a6, "unknown unit");
	bad(1, a7, "want true or false");
	bad(1, a8, "flag needs an argument");
	bad(1, a9, "unknown flag: --no-namespace");
}

int
main(void)
{
	RUN(mixed);
	RUN(short_forms);
	RUN(negation_and_help);
	RUN(errors);
	reset();
	return tap_done();
}
