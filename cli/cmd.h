/*
 * cmd.h: the command table (tmux/git style) and the context every command
 * runs with.  Each cli/<group>.c exports one `const struct command` for its
 * group; cli/commands.def lists them and main.c dispatches over that list.
 * Lookup is by exact name or alias, never by prefix.
 */
#ifndef MAAS_CMD_H
#define MAAS_CMD_H

#include "err.h"
#include "opt.h"
#include "xalloc.h"

/* Global flags, accepted before and after the verb. */
struct globals {
	const char	*kubeconfig;	/* --kubeconfig */
	const char	*context;	/* --context */
	const char	*cluster;	/* --cluster */
	const char	*user;		/* --user */
	const char	*server;	/* --server / -s */
	const char	*namespace;	/* -n / --namespace */
	int		 all_namespaces; /* -A */
	const char	*output;	/* -o / --output */
	const char	*maas_url;	/* --maas-url */
	const char	*api_key;	/* --api-key: value, @file or - */
	const char	*token;		/* --token */
	int		 insecure;	/* --insecure(-skip-tls-verify) */
	const char	*ca_file;	/* --ca-file / --certificate-authority */
	const char	*profile;	/* --profile */
	long		 verbose;	/* -v N */
	int		 no_color;	/* --no-color */
	double		 timeout;	/* --timeout / --request-timeout, s */
};

struct command;

/* What a command runs with: parsed globals and the chosen command. */
struct ctx {
	struct globals		 g;		/* global flag values */
	const struct command	*cmd;		/* the leaf being run */
	const char		*path;		/* "maasctl config view" */
	struct optres		 res;		/* parse result (positionals) */
	void			*kube;		/* lazily set up by ctx_kube() */
};

#define CMD_HIDDEN	0x01	/* not listed in help or completion */
#define CMD_NEEDS_KUBE	0x02	/* loads the kubeconfig before run */
#define CMD_NEEDS_MAAS	0x04	/* resolves the MaaS URL and key first */
#define CMD_RAW_ARGS	0x08	/* argv after the command word, unparsed */

typedef int (*cmd_run_fn)(struct ctx *, int argc, char **argv, struct err *);
/* Complete positional argument number `pos` given `word`; add to out. */
typedef int (*cmd_complete_fn)(struct ctx *, int pos, const char *word,
    struct strlist *out);

/* One command or command group. */
struct command {
	const char			*name;		/* "config" */
	const char *const		*aliases;	/* NULL-terminated or NULL */
	const char			*summary;	/* one line for help */
	const char			*usage;		/* synopsis after the path,
							 * same as the man page */
	const struct opt		*opts;		/* own options or NULL */
	const struct command *const	*sub;		/* subcommands or NULL */
	cmd_run_fn			 run;		/* leaf entry point */
	unsigned			 flags;		/* CMD_* */
	cmd_complete_fn			 complete;	/* positional completion */
	int				 min_args;	/* positional bounds, */
	int				 max_args;	/* max -1 = unlimited */
};

#define CMD(name) extern const struct command cmd_##name;
#include "commands.def"
#undef CMD

/* The root commands, in help order, NULL-terminated. */
extern const struct command *const root_commands[];
/* The global option table. */
extern const struct opt global_opts[];

/* Find a subcommand by exact name or alias in a NULL-terminated list. */
const struct command *cmd_lookup(const struct command *const *, const char *);
/* Find the command named by argv's leading words (global flags skipped),
 * removing them from argv; NULL when none, with e set for an unknown one. */
const struct command *cmd_resolve(int *argc, char **argv, char **path,
	    struct err *e);
/* Candidates for a dynamic option value kind ("context", "namespace"). */
int	 complete_dynamic(struct ctx *, const char *kind, struct strlist *out);
/* Completion providers for "@context", "@cluster", "@user" (config.c). */
int	 config_complete_contexts(struct ctx *, struct strlist *out);
int	 config_complete_clusters(struct ctx *, struct strlist *out);
int	 config_complete_users(struct ctx *, struct strlist *out);
/* Print `--help` for a command (generated from its tables). */
void	 cmd_print_help(FILE *, const char *path, const struct command *);

#endif
