/*
 * help.c: `maasctl help [COMMAND...]`, the same text as `--help`.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"

static int
help_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	const struct command	*c;
	char			*path = NULL;
	int			 n = argc;

	(void)ctx;
	if (argc == 0) {
		cmd_print_help(stdout, "maasctl", NULL);
		return 0;
	}
	c = cmd_resolve(&n, argv, &path, e);
	if (c == NULL)
		return -1;
	if (n > 0) {
		err_set_raw(e, EXIT_USAGE, "error: unknown command \"%s\" "
		    "for \"%s\"", argv[0], path);
		free(path);
		return -1;
	}
	cmd_print_help(stdout, path, c);
	free(path);
	return 0;
}

static int
help_complete(struct ctx *ctx, int pos, const char *word,
    struct strlist *out)
{
	size_t	 i;

	(void)ctx;
	(void)word;
	if (pos != 0)
		return 0;
	for (i = 0; root_commands[i] != NULL; i++)
		if (!(root_commands[i]->flags & CMD_HIDDEN))
			sl_add(out, root_commands[i]->name);
	return 0;
}

const struct command cmd_help = {
	.name = "help",
	.summary = "Show help for maasctl or one of its commands",
	.usage = "[COMMAND...]",
	.run = help_run,
	.complete = help_complete,
	.max_args = -1,
};
