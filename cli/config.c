/*
 * config.c: `maasctl config`: view the merged kubeconfig, list, show and
 * switch contexts, the way `kubectl config` does (same output, same
 * messages), plus completion of context, cluster and user names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "json.h"
#include "kubeconfig.h"
#include "output.h"
#include "yaml.h"

static int	 view_minify, view_raw, view_flatten;
static int	 gc_no_headers;

/* Print a config document in the -o format (yaml by default), with the
 * printers kubectl allows for `config view`. */
static int
config_print(const cJSON *doc, const char *fmt, struct err *e)
{
	struct output	 o;
	char		*s;
	int		 rc;

	if (fmt == NULL || fmt[0] == '\0' || strcmp(fmt, "yaml") == 0 ||
	    strcmp(fmt, "json") == 0) {
		/* Printed as is: Go field order, empty preferences kept. */
		s = fmt != NULL && strcmp(fmt, "json") == 0 ?
		    json_print(doc, 1) : yaml_emit(doc);
		fputs(s, stdout);
		if (s[0] != '\0' && s[strlen(s) - 1] != '\n')
			fputc('\n', stdout);
		free(s);
		return 0;
	}
	if (output_parse(&o, fmt, e) == -1)
		goto bad;
	switch (o.format) {
	case OUTPUT_JSON:
	case OUTPUT_YAML:
	case OUTPUT_JSONPATH:
		break;
	case OUTPUT_NAME:
		/* The Config object has no name: kubectl's "<unknown>". */
		output_free(&o);
		printf("config/<unknown>\n");
		return 0;
	default:
		output_free(&o);
		goto bad;
	}
	rc = output_print(&o, doc, NULL, stdout, stderr, e);
	output_free(&o);
	return rc;
bad:
	return err_set_raw(e, EXIT_USAGE, "error: unable to match a printer "
	    "suitable for the output format \"%s\", allowed formats are: "
	    "json,jsonpath,jsonpath-as-json,jsonpath-file,name,yaml", fmt);
}

static int
view_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct kubeconfig	*kc;
	cJSON			*doc;
	int			 flags = 0, rc;

	(void)argc;
	(void)argv;
	if ((kc = kubeconfig_load(ctx->g.kubeconfig, e)) == NULL)
		return -1;
	if (view_minify)
		flags |= KUBECONFIG_MINIFY;
	if (view_raw)
		flags |= KUBECONFIG_RAW;
	if (view_flatten)
		flags |= KUBECONFIG_FLATTEN;
	doc = kubeconfig_view(kc, ctx->g.context, flags, e);
	kubeconfig_free(kc);
	if (doc == NULL)
		return -1;
	rc = config_print(doc, ctx->g.output, e);
	cJSON_Delete(doc);
	return rc;
}

static int
current_context_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct kubeconfig	*kc;
	const char		*cur;
	int			 rc = 0;

	(void)argc;
	(void)argv;
	if ((kc = kubeconfig_load(ctx->g.kubeconfig, e)) == NULL)
		return -1;
	cur = kubeconfig_current_context(kc);
	if (cur[0] == '\0')
		rc = err_set_raw(e, EXIT_ERR, "error: current-context is not "
		    "set");
	else
		printf("%s\n", cur);
	kubeconfig_free(kc);
	return rc;
}

static int
use_context_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct kubeconfig	*kc;
	int			 rc;

	(void)argc;
	if ((kc = kubeconfig_load(ctx->g.kubeconfig, e)) == NULL)
		return -1;
	rc = kubeconfig_use_context(kc, argv[0], e);
	kubeconfig_free(kc);
	if (rc == 0)
		printf("Switched to context \"%s\".\n", argv[0]);
	return rc;
}

/* Print rows as Go's tabwriter does (minwidth 6, padding 3): every cell
 * but the last is padded to its column's width. */
static void
print_table(char *const *cells, size_t rows, size_t cols)
{
	size_t	 w[8] = { 0 }, r, c, n;

	for (r = 0; r < rows; r++)
		for (c = 0; c + 1 < cols; c++)
			if ((n = strlen(cells[r * cols + c]) + 3) > w[c])
				w[c] = n < 6 ? 6 : n;
	for (r = 0; r < rows; r++) {
		for (c = 0; c < cols; c++) {
			if (c + 1 < cols)
				printf("%-*s", (int)w[c], cells[r * cols + c]);
			else
				printf("%s", cells[r * cols + c]);
		}
		printf("\n");
	}
}

static const char *
strz(const char *s)
{
	return s != NULL ? s : "";
}

static int
get_contexts_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct kubeconfig	*kc;
	struct strlist		 cells = STRLIST_INIT, missing = STRLIST_INIT;
	struct strbuf		 sb = STRBUF_INIT;
	const char		*fmt = ctx->g.output, *cur;
	const cJSON		*it, *list, *c;
	cJSON			*doc;
	size_t			 rows = 0, i;
	int			 names, rc = 0, found;

	if (fmt != NULL && fmt[0] != '\0' && strcmp(fmt, "name") != 0)
		return err_set_raw(e, EXIT_USAGE, "error: output must be one "
		    "of '' or 'name'");
	names = fmt != NULL && strcmp(fmt, "name") == 0;
	if ((kc = kubeconfig_load(ctx->g.kubeconfig, e)) == NULL)
		return -1;
	doc = kubeconfig_view(kc, NULL, 0, e);
	cur = kubeconfig_current_context(kc);
	list = json_path(doc, "contexts");
	if (!names && !gc_no_headers) {
		sl_add(&cells, "CURRENT");
		sl_add(&cells, "NAME");
		sl_add(&cells, "CLUSTER");
		sl_add(&cells, "AUTHINFO");
		sl_add(&cells, "NAMESPACE");
		rows++;
	}
	for (i = 0; i < (size_t)(argc > 0 ? argc : 1); i++) {
		found = 0;
		cJSON_ArrayForEach(it, list) {
			if (argc > 0 && strcmp(json_str(it, "name"),
			    argv[i]) != 0)
				continue;
			found = 1;
			if (names) {
				printf("%s\n", json_str(it, "name"));
				continue;
			}
			c = json_path(it, "context");
			sl_add(&cells, strcmp(json_str(it, "name"), cur) == 0 ?
			    "*" : "");
			sl_add(&cells, json_str(it, "name"));
			sl_add(&cells, strz(json_str(c, "cluster")));
			sl_add(&cells, strz(json_str(c, "user")));
			sl_add(&cells, strz(json_str(c, "namespace")));
			rows++;
		}
		if (argc > 0 && !found)
			sl_addf(&missing, "context %s not found", argv[i]);
	}
	if (!names)
		print_table(cells.v, rows, 5);
	if (missing.n == 1)
		rc = err_set_raw(e, EXIT_NOTFOUND, "error: %s", missing.v[0]);
	else if (missing.n > 1) {
		/* kubectl prints an aggregate as one error a line. */
		sb_init(&sb);
		for (i = 0; i < missing.n; i++)
			sb_addf(&sb, "%s%s", i ? "\n" : "", missing.v[i]);
		rc = err_set_raw(e, EXIT_NOTFOUND, "%s", sb.buf);
		sb_free(&sb);
	}
	sl_free(&cells);
	sl_free(&missing);
	cJSON_Delete(doc);
	kubeconfig_free(kc);
	return rc;
}

/* Names of one kind of kubeconfig entry, for completion. */
static int
config_names(struct ctx *ctx, const char *list, struct strlist *out)
{
	struct kubeconfig	*kc;
	struct err		 e = ERR_INIT;
	const cJSON		*it;
	cJSON			*doc;

	if ((kc = kubeconfig_load(ctx->g.kubeconfig, &e)) == NULL) {
		err_clear(&e);
		return 0;
	}
	if ((doc = kubeconfig_view(kc, NULL, 0, &e)) != NULL) {
		cJSON_ArrayForEach(it, json_path(doc, list))
			sl_add(out, json_str(it, "name"));
		cJSON_Delete(doc);
	}
	err_clear(&e);
	kubeconfig_free(kc);
	return 0;
}

int
config_complete_contexts(struct ctx *ctx, struct strlist *out)
{
	return config_names(ctx, "contexts", out);
}

int
config_complete_clusters(struct ctx *ctx, struct strlist *out)
{
	return config_names(ctx, "clusters", out);
}

int
config_complete_users(struct ctx *ctx, struct strlist *out)
{
	return config_names(ctx, "users", out);
}

static int
context_arg_complete(struct ctx *ctx, int pos, const char *word,
    struct strlist *out)
{
	(void)pos;
	(void)word;
	return config_complete_contexts(ctx, out);
}

static const struct opt view_opts[] = {
	{ "minify", 0, OPT_BOOL, &view_minify, NULL,
	  "only the current context and what it uses", 0, NULL, NULL, 0, 0 },
	{ "raw", 0, OPT_BOOL, &view_raw, NULL,
	  "show tokens, passwords and certificate data", 0, NULL, NULL, 0, 0 },
	{ "flatten", 0, OPT_BOOL, &view_flatten, NULL,
	  "inline referenced certificate files as -data (implies --raw)", 0,
	  NULL, NULL, 0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

static const struct opt gc_opts[] = {
	{ "no-headers", 0, OPT_BOOL, &gc_no_headers, NULL,
	  "print rows without the header line", 0, NULL, NULL, 0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

static const struct command cmd_config_view = {
	.name = "view",
	.summary = "Print the merged kubeconfig (secrets redacted)",
	.usage = "[--minify] [--raw] [--flatten] [-o yaml|json|jsonpath=TEMPLATE]",
	.opts = view_opts,
	.run = view_run,
	.max_args = 0,
};

static const struct command cmd_config_get_contexts = {
	.name = "get-contexts",
	.summary = "List the kubeconfig contexts, marking the current one",
	.usage = "[--no-headers] [-o name] [NAME...]",
	.opts = gc_opts,
	.run = get_contexts_run,
	.complete = context_arg_complete,
	.max_args = -1,
};

static const struct command cmd_config_current_context = {
	.name = "current-context",
	.summary = "Print the current kubeconfig context",
	.usage = "",
	.run = current_context_run,
	.max_args = 0,
};

static const struct command cmd_config_use_context = {
	.name = "use-context",
	.summary = "Set the current context in the kubeconfig file",
	.usage = "NAME",
	.run = use_context_run,
	.complete = context_arg_complete,
	.min_args = 1,
	.max_args = 1,
};

static const struct command *const config_sub[] = {
	&cmd_config_view,
	&cmd_config_get_contexts,
	&cmd_config_current_context,
	&cmd_config_use_context,
	NULL
};

const struct command cmd_config = {
	.name = "config",
	.summary = "Show and switch kubeconfig contexts (as kubectl config)",
	.usage = "<command>",
	.sub = config_sub,
};
