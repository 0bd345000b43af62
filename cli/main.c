/*
 * main.c: global flags, command lookup and dispatch, and the one place
 * where an error becomes stderr text and an exit status.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "kubectx.h"
#include "term.h"

static struct globals G = { .timeout = 0 };

const struct opt global_opts[] = {
	{ "kubeconfig", 0, OPT_STR, &G.kubeconfig, "FILE",
	  "kubeconfig file to use (default: $KUBECONFIG or ~/.kube/config)",
	  0, NULL, "file", 0, 0 },
	{ "context", 0, OPT_STR, &G.context, "NAME",
	  "kubeconfig context to use", 0, NULL, "@context", 0, 0 },
	{ "cluster", 0, OPT_STR, &G.cluster, "NAME",
	  "kubeconfig cluster to use", 0, NULL, "@cluster", 0, 0 },
	{ "user", 0, OPT_STR, &G.user, "NAME",
	  "kubeconfig user to use", 0, NULL, "@user", 0, 0 },
	{ "server", 's', OPT_STR, &G.server, "URL",
	  "Kubernetes API server URL", 0, NULL, NULL, 0, 0 },
	{ "namespace", 'n', OPT_STR, &G.namespace, "NS",
	  "namespace to use", 0, NULL, "@namespace", 0, 0 },
	{ "all-namespaces", 'A', OPT_BOOL, &G.all_namespaces, NULL,
	  "list across all namespaces", 0, NULL, NULL, 0, 0 },
	{ "output", 'o', OPT_STR, &G.output, "FORMAT",
	  "output format: table, wide, json, yaml, name, jsonpath=..., "
	  "custom-columns=...", 0, NULL,
	  "table|wide|json|yaml|name|jsonpath=|custom-columns=", 0, 0 },
	{ "maas-url", 0, OPT_STR, &G.maas_url, "URL",
	  "MaaS gateway URL (default: from the profile or $MAAS_URL)",
	  0, NULL, NULL, 0, 0 },
	{ "api-key", 0, OPT_STR, &G.api_key, "@FILE|-",
	  "MaaS API key: @FILE reads it from a file, - from stdin",
	  OPT_SECRET, NULL, "file", 0, 0 },
	{ "token", 0, OPT_STR, &G.token, "TOKEN",
	  "bearer token for the Kubernetes API and maas-api", OPT_SECRET,
	  NULL, NULL, 0, 0 },
	{ "insecure", 0, OPT_BOOL, &G.insecure, NULL,
	  "do not verify server TLS certificates", 0, NULL, NULL, 0, 0 },
	{ "insecure-skip-tls-verify", 0, OPT_BOOL, &G.insecure, NULL,
	  "same as --insecure (kubectl's name)", OPT_HIDDEN, NULL, NULL,
	  0, 0 },
	{ "ca-file", 0, OPT_STR, &G.ca_file, "FILE",
	  "CA certificate file to trust", 0, NULL, "file", 0, 0 },
	{ "certificate-authority", 0, OPT_STR, &G.ca_file, "FILE",
	  "same as --ca-file (kubectl's name)", OPT_HIDDEN, NULL, "file",
	  0, 0 },
	{ "profile", 0, OPT_STR, &G.profile, "NAME",
	  "maasctl profile to use (default: $MAASCTL_PROFILE or current)",
	  0, NULL, "@profile", 0, 0 },
	{ "verbose", 'v', OPT_INT, &G.verbose, "N",
	  "log level: 6 requests, 7 headers, 8-9 bodies (secrets redacted)",
	  0, NULL, "0|1|2|3|4|5|6|7|8|9", 0, 10 },
	{ "no-color", 0, OPT_BOOL, &G.no_color, NULL,
	  "never colour output (also: NO_COLOR)", 0, NULL, NULL, 0, 0 },
	{ "timeout", 0, OPT_DURATION, &G.timeout, "DURATION",
	  "give up on a request after this long (e.g. 30s, 2m)", 0, NULL,
	  NULL, 0, 0 },
	{ "request-timeout", 0, OPT_DURATION, &G.timeout, "DURATION",
	  "same as --timeout (kubectl's name)", OPT_HIDDEN, NULL, NULL,
	  0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

#define CMD(name) &cmd_##name,
const struct command *const root_commands[] = {
#include "commands.def"
	NULL
};
#undef CMD

const struct command *
cmd_lookup(const struct command *const *list, const char *name)
{
	size_t	 i, j;

	if (list == NULL)
		return NULL;
	for (i = 0; list[i] != NULL; i++) {
		if (strcmp(list[i]->name, name) == 0)
			return list[i];
		if (list[i]->aliases == NULL)
			continue;
		for (j = 0; list[i]->aliases[j] != NULL; j++)
			if (strcmp(list[i]->aliases[j], name) == 0)
				return list[i];
	}
	return NULL;
}

/* Print the command list of a group (or the root) with summaries. */
static void
help_commands(FILE *f, const struct command *const *list)
{
	size_t	 i, w = 0, n;

	for (i = 0; list[i] != NULL; i++)
		if (!(list[i]->flags & CMD_HIDDEN) &&
		    (n = strlen(list[i]->name)) > w)
			w = n;
	fprintf(f, "Commands:\n");
	for (i = 0; list[i] != NULL; i++)
		if (!(list[i]->flags & CMD_HIDDEN))
			fprintf(f, "  %-*s  %s\n", (int)w, list[i]->name,
			    list[i]->summary);
}

void
cmd_print_help(FILE *f, const char *path, const struct command *c)
{
	const struct opt *const own[] = { c ? c->opts : NULL, NULL };
	const struct opt *const glob[] = { global_opts, NULL };

	if (c == NULL) {
		fprintf(f, "Usage: maasctl [global options] <command> "
		    "[options] [args]\n\n"
		    "maasctl manages Models-as-a-Service on Kubernetes: "
		    "tiers, subscriptions,\nauth policies, model refs, API "
		    "keys, chat, benchmarks and a local sandbox.\n\n");
		help_commands(f, root_commands);
		fprintf(f, "\n");
		opt_usage(f, glob, "Global options:");
		fprintf(f, "\nRun 'maasctl <command> --help' for a command's "
		    "options; see maasctl(1).\n");
		return;
	}
	fprintf(f, "Usage: %s%s%s\n\n%s\n", path, c->usage[0] ? " " : "",
	    c->usage, c->summary);
	if (c->aliases != NULL && c->aliases[0] != NULL) {
		size_t	 i;

		fprintf(f, "\nAliases: %s", c->name);
		for (i = 0; c->aliases[i] != NULL; i++)
			fprintf(f, ", %s", c->aliases[i]);
		fprintf(f, "\n");
	}
	if (c->sub != NULL) {
		fprintf(f, "\n");
		help_commands(f, c->sub);
	}
	if (c->opts != NULL && c->opts[0].type != OPT_END) {
		fprintf(f, "\n");
		opt_usage(f, own, "Options:");
	}
	fprintf(f, "\nGlobal options are listed by 'maasctl --help'.\n");
}

/* Is argv[i] a flag (the command's own or global) that consumes the next
 * word as its value? */
static int
flag_takes_next(const struct command *cur, const char *a)
{
	const struct opt *const	 glob[] = { cur && cur->opts ? cur->opts :
				    global_opts, global_opts, NULL };
	const struct opt	*o;

	if (a[0] == '-' && a[1] == '-') {
		if (strchr(a, '=') != NULL)
			return 0;
		o = opt_find_long(glob, a + 2);
		return o != NULL && opt_takes_value(o);
	}
	if (a[0] == '-' && a[1] != '\0') {
		o = opt_find_short(glob, (unsigned char)a[strlen(a) - 1]);
		return o != NULL && opt_takes_value(o) && strlen(a) == 2;
	}
	return 0;
}

/*
 * Find the command named by the leading words of argv (skipping global
 * flags), removing those words from argv.  Returns the deepest command
 * found, or NULL for none; *path gets "maasctl a b".
 */
const struct command *
cmd_resolve(int *argcp, char **argv, char **path, struct err *e)
{
	const struct command	*cur = NULL, *c;
	struct strbuf		 sb = STRBUF_INIT;
	int			 i, j, argc = *argcp;

	sb_adds(&sb, "maasctl");
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			if (flag_takes_next(cur, argv[i]))
				i++;
			continue;
		}
		if (cur != NULL && cur->sub == NULL)
			break;
		c = cmd_lookup(cur ? cur->sub : root_commands, argv[i]);
		if (c == NULL) {
			if (cur == NULL)
				err_set_raw(e, EXIT_USAGE, "error: unknown "
				    "command \"%s\" for \"maasctl\"", argv[i]);
			else
				err_set_raw(e, EXIT_USAGE, "error: unknown "
				    "command \"%s\" for \"%s\"", argv[i], sb.buf);
			err_hint(e, "run '%s --help' for the list of "
			    "commands", sb.buf);
			sb_free(&sb);
			return NULL;
		}
		sb_addf(&sb, " %s", c->name);
		cur = c;
		for (j = i; j < argc - 1; j++)
			argv[j] = argv[j + 1];
		argc--;
		i--;
	}
	*argcp = argc;
	argv[argc] = NULL;
	*path = sb_detach(&sb);
	return cur;
}

static int
check_arity(const char *path, const struct command *c, int n, char **argv,
    struct err *e)
{
	if (n < c->min_args) {
		err_set(e, EXIT_USAGE, "%s: %s", path + strlen("maasctl "),
		    n == 0 ? "missing argument" : "too few arguments");
		err_hint(e, "usage: %s %s", path, c->usage);
		return -1;
	}
	if (c->max_args >= 0 && n > c->max_args) {
		err_set(e, EXIT_USAGE, "%s: unexpected argument \"%s\"",
		    path + strlen("maasctl "), argv[c->max_args]);
		err_hint(e, "usage: %s %s", path, c->usage);
		return -1;
	}
	return 0;
}

/* Print an error the way maasctl prints every error; return its status. */
static int
report(const struct err *e)
{
	char	*s;

	s = err_format(e);
	fputs(s, stderr);
	free(s);
	return e->code ? e->code : EXIT_ERR;
}

int
main(int argc, char **argv)
{
	const struct command	*c;
	struct ctx		 ctx;
	struct err		 e = ERR_INIT;
	char			*path = NULL;
	int			 n = argc - 1, rc;
	const struct opt	*tables[3];

	signal(SIGPIPE, SIG_IGN);
	memset(&ctx, 0, sizeof ctx);
	if (n == 0) {
		cmd_print_help(stdout, "maasctl", NULL);
		return EXIT_OK;
	}
	c = cmd_resolve(&n, argv + 1, &path, &e);
	if (c == NULL && e.msg != NULL) {
		rc = report(&e);
		err_clear(&e);
		return rc;
	}
	if (c != NULL && (c->flags & CMD_RAW_ARGS)) {
		ctx.g = G;
		ctx.cmd = c;
		ctx.path = path;
		rc = c->run(&ctx, n, argv + 1, &e);
		if (e.msg != NULL)
			rc = report(&e);
		goto out;
	}
	tables[0] = c && c->opts ? c->opts : global_opts;
	tables[1] = c && c->opts ? global_opts : NULL;
	tables[2] = NULL;
	if (opt_parse(tables, n, argv + 1, &ctx.res, &e) != 0) {
		if (e.hint == NULL)
			err_hint(&e, "see '%s --help'", path);
		rc = report(&e);
		goto out;
	}
	ctx.g = G;
	ctx.cmd = c;
	ctx.path = path;
	term_init(G.no_color);
	term_set_verbosity((int)G.verbose);
	if (c == NULL || ctx.res.help || c->run == NULL) {
		if (c != NULL && c->run == NULL && !ctx.res.help) {
			if (ctx.res.argc > 0)
				err_set_raw(&e, EXIT_USAGE, "error: unknown "
				    "command \"%s\" for \"%s\"",
				    ctx.res.argv[0], path);
			else
				err_set(&e, EXIT_USAGE, "%s: missing "
				    "subcommand", path + strlen("maasctl "));
			err_hint(&e, "run '%s --help' for the list of "
			    "commands", path);
			rc = report(&e);
			goto out;
		}
		if (c == NULL && !ctx.res.help) {
			err_set(&e, EXIT_USAGE, "missing command");
			err_hint(&e, "run 'maasctl --help' for the list of "
			    "commands");
			rc = report(&e);
			goto out;
		}
		cmd_print_help(stdout, path, c);
		rc = EXIT_OK;
		goto out;
	}
	if (check_arity(path, c, ctx.res.argc, ctx.res.argv, &e) != 0) {
		rc = report(&e);
		goto out;
	}
	rc = c->run(&ctx, ctx.res.argc, ctx.res.argv, &e);
	if (rc != 0 || e.msg != NULL) {
		if (e.msg != NULL)
			rc = report(&e);
		else if (rc < 0)
			rc = EXIT_ERR;
	}
	if (fflush(stdout) != 0 && rc == 0) {
		fprintf(stderr, "maasctl: writing output failed\n");
		rc = EXIT_ERR;
	}
out:
	ctx_kube_free(&ctx);
	optres_free(&ctx.res);
	err_clear(&e);
	free(path);
	return rc;
}
