/*
 * completion.c: `maasctl completion bash|zsh|fish` prints a small shell
 * shim, and the hidden `__complete` answers it with cobra's protocol:
 * one candidate per line (optionally TAB and a description), then a
 * final ":<directive>" line.  Candidates come from the same command and
 * option tables the parser uses, so completion cannot drift from them.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ask.h"
#include "cmd.h"
#include "kubectx.h"
#include "maasobj.h"

/* Cobra's directives. */
#define DIR_ERROR	1
#define DIR_NOSPACE	2
#define DIR_NOFILE	4
#define DIR_FILEEXT	8
#define DIR_DIRS	16
#define DIR_KEEPORDER	32

/* A candidate and its description, kept in two parallel lists. */
struct cands {
	struct strlist	 words;
	struct strlist	 descs;
	const char	*prefix;	/* what the user typed so far */
};

static void
cand_add(struct cands *cs, const char *word, const char *desc)
{
	if (strncmp(word, cs->prefix, strlen(cs->prefix)) != 0)
		return;
	if (sl_has(&cs->words, word))
		return;
	sl_add(&cs->words, word);
	sl_add(&cs->descs, desc ? desc : "");
}

static const char *
directive_name(int d)
{
	switch (d) {
	case 0:		return "ShellCompDirectiveDefault";
	case DIR_ERROR:	return "ShellCompDirectiveError";
	case DIR_NOFILE: return "ShellCompDirectiveNoFileComp";
	case DIR_DIRS:	return "ShellCompDirectiveFilterDirs";
	case DIR_NOSPACE | DIR_NOFILE:
		return "ShellCompDirectiveNoSpace, ShellCompDirectiveNoFileComp";
	default:	return "ShellCompDirective";
	}
}

/* Complete the value of an option from its `complete` hint. */
static int
complete_value(struct ctx *ctx, const struct opt *o, const char *lead,
    struct cands *cs)
{
	const char	*h = o->complete, *p, *bar;
	char		*w, *full;
	struct strlist	 dyn = STRLIST_INIT;
	size_t		 i;
	int		 d = DIR_NOFILE, all_eq = 1, any = 0;

	if (h == NULL)
		return DIR_NOFILE;
	if (strcmp(h, "file") == 0)
		return 0;
	if (strcmp(h, "dir") == 0)
		return DIR_DIRS;
	if (h[0] == '@') {
		if (complete_dynamic(ctx, h + 1, &dyn) != 0)
			return DIR_ERROR;
		for (i = 0; i < dyn.n; i++) {
			full = xasprintf("%s%s", lead, dyn.v[i]);
			cand_add(cs, full, NULL);
			free(full);
		}
		sl_free(&dyn);
		return DIR_NOFILE;
	}
	for (p = h; *p != '\0'; p = *bar ? bar + 1 : bar) {
		if ((bar = strchr(p, '|')) == NULL)
			bar = p + strlen(p);
		w = xstrndup(p, (size_t)(bar - p));
		full = xasprintf("%s%s", lead, w);
		cand_add(cs, full, NULL);
		if (strncmp(full, cs->prefix, strlen(cs->prefix)) == 0) {
			any = 1;
			if (w[0] == '\0' || w[strlen(w) - 1] != '=')
				all_eq = 0;
		}
		free(full);
		free(w);
	}
	/* No space after "jsonpath=" so the user can go on typing. */
	if (any && all_eq)
		d |= DIR_NOSPACE;
	return d;
}

static void
complete_flags(const struct opt *const *tables, struct cands *cs)
{
	const struct opt	*o;
	char			*w;
	size_t			 i;

	for (i = 0; tables[i] != NULL; i++)
		for (o = tables[i]; o->type != OPT_END; o++) {
			if (o->flags & OPT_HIDDEN)
				continue;
			if (o->lname != NULL) {
				w = xasprintf("--%s", o->lname);
				cand_add(cs, w, o->help);
				free(w);
			}
			if (o->sname != 0 && strcmp(cs->prefix, "-") == 0) {
				w = xasprintf("-%c", o->sname);
				cand_add(cs, w, o->help);
				free(w);
			}
		}
	cand_add(cs, "--help", "show help for this command");
}

static void
complete_commands(const struct command *const *list, struct cands *cs)
{
	size_t	 i;

	for (i = 0; list[i] != NULL; i++)
		if (!(list[i]->flags & CMD_HIDDEN))
			cand_add(cs, list[i]->name, list[i]->summary);
}

/*
 * Take the global flags that choose the cluster and namespace from the
 * words typed so far, so that dynamic candidates (model names, tiers,
 * namespaces) come from where the command line will run.
 */
static void
complete_global(struct ctx *ctx, const struct opt *o, const char *v)
{
	static const struct {
		const char	*lname;
		size_t		 off;
	} takes[] = {
		{ "namespace", offsetof(struct globals, namespace) },
		{ "context", offsetof(struct globals, context) },
		{ "kubeconfig", offsetof(struct globals, kubeconfig) },
		{ "cluster", offsetof(struct globals, cluster) },
		{ "user", offsetof(struct globals, user) },
		{ "server", offsetof(struct globals, server) },
	};
	size_t	 i;

	if (o->lname == NULL)
		return;
	for (i = 0; i < sizeof takes / sizeof takes[0]; i++)
		if (strcmp(o->lname, takes[i].lname) == 0 &&
		    opt_find_long((const struct opt *const[]){ global_opts,
		    NULL }, o->lname) == o)
			*(const char **)(void *)((char *)&ctx->g +
			    takes[i].off) = v;
}

/* The heart of __complete: words typed so far, and the current word. */
static int
complete_words(struct ctx *ctx, int n, char **words, const char *cur,
    struct cands *cs)
{
	const struct command	*cmd = NULL, *c;
	const struct opt	*tables[3], *o, *want = NULL;
	const char		*eq;
	char			*name;
	int			 i, pos = 0, dashdash = 0;

	tables[0] = global_opts;
	tables[1] = tables[2] = NULL;
	for (i = 0; i < n; i++) {
		const char *w = words[i];

		if (want != NULL) {
			complete_global(ctx, want, w);
			want = NULL;
			continue;
		}
		if (!dashdash && strcmp(w, "--") == 0) {
			dashdash = 1;
			continue;
		}
		if (!dashdash && w[0] == '-' && w[1] != '\0') {
			if (w[1] == '-' && (eq = strchr(w, '=')) != NULL) {
				name = xstrndup(w + 2, (size_t)(eq - w - 2));
				if ((o = opt_find_long(tables, name)) != NULL)
					complete_global(ctx, o, eq + 1);
				free(name);
				continue;
			}
			if (w[1] == '-')
				o = opt_find_long(tables, w + 2);
			else if (w[1] != '-' && w[2] == '\0')
				o = opt_find_short(tables, (unsigned char)w[1]);
			else
				o = NULL;
			if (o != NULL && opt_takes_value(o))
				want = o;
			continue;
		}
		if (cmd == NULL || cmd->sub != NULL) {
			c = cmd_lookup(cmd ? cmd->sub : root_commands, w);
			if (c == NULL)
				return DIR_ERROR;
			cmd = c;
			if (c->opts != NULL) {
				tables[0] = c->opts;
				tables[1] = global_opts;
			}
			continue;
		}
		pos++;
	}
	if (want != NULL)
		return complete_value(ctx, want, "", cs);
	if (!dashdash && cur[0] == '-' && cur[1] == '-' &&
	    (eq = strchr(cur, '=')) != NULL) {
		name = xstrndup(cur + 2, (size_t)(eq - cur - 2));
		o = opt_find_long(tables, name);
		if (o != NULL && o->type != OPT_BOOL) {
			char *lead = xstrndup(cur, (size_t)(eq - cur + 1));
			int d = complete_value(ctx, o, lead, cs);

			free(lead);
			free(name);
			return d;
		}
		free(name);
		return DIR_NOFILE;
	}
	if (!dashdash && cur[0] == '-') {
		complete_flags(tables, cs);
		return DIR_NOFILE;
	}
	if (cmd == NULL || cmd->sub != NULL) {
		complete_commands(cmd ? cmd->sub : root_commands, cs);
		return DIR_NOFILE;
	}
	if (cmd->complete != NULL) {
		struct strlist	 out = STRLIST_INIT;
		size_t		 k;

		if (cmd->complete(ctx, pos, cur, &out) != 0) {
			sl_free(&out);
			return DIR_ERROR;
		}
		for (k = 0; k < out.n; k++)
			cand_add(cs, out.v[k], NULL);
		sl_free(&out);
	}
	return DIR_NOFILE;
}

static int
complete_main(struct ctx *ctx, int argc, char **argv, int descs)
{
	struct cands	 cs;
	const char	*cur = argc > 0 ? argv[argc - 1] : "";
	size_t		 i;
	int		 d;

	memset(&cs, 0, sizeof cs);
	cs.prefix = cur;
	d = complete_words(ctx, argc > 0 ? argc - 1 : 0, argv, cur, &cs);
	if (!(d & DIR_ERROR))
		for (i = 0; i < cs.words.n; i++) {
			if (descs && cs.descs.v[i][0] != '\0')
				printf("%s\t%s\n", cs.words.v[i],
				    cs.descs.v[i]);
			else
				printf("%s\n", cs.words.v[i]);
		}
	printf(":%d\n", d);
	fprintf(stderr, "Completion ended with directive: %s\n",
	    directive_name(d));
	sl_free(&cs.words);
	sl_free(&cs.descs);
	return 0;
}

static int
complete_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	const char	*env = getenv("MAASCTL_COMPLETION_DESCRIPTIONS");

	(void)e;
	return complete_main(ctx, argc, argv, !(env != NULL &&
	    strcmp(env, "false") == 0));
}

static int
complete_nodesc_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	(void)e;
	return complete_main(ctx, argc, argv, 0);
}

/*
 * Dynamic candidates for option values ("@context", "@namespace", ...).
 * Each provider lives with the module that owns the data.
 */
static const struct {
	const char	*kind;
	int		(*fn)(struct ctx *, struct strlist *);
} providers[] = {
	{ "context", config_complete_contexts },
	{ "cluster", config_complete_clusters },
	{ "user", config_complete_users },
	{ "namespace", ctx_complete_namespaces },
	{ "model", ask_complete_models },
	{ "subscription", maasobj_complete_subscriptions },
	{ "authpolicy", maasobj_complete_authpolicies },
	{ "modelref", maasobj_complete_modelrefs },
	{ "model-ref", maasobj_complete_models },
	{ NULL, NULL }
};

int
complete_dynamic(struct ctx *ctx, const char *kind, struct strlist *out)
{
	size_t	 i;

	for (i = 0; providers[i].kind != NULL; i++)
		if (strcmp(providers[i].kind, kind) == 0)
			return providers[i].fn(ctx, out);
	return 0;
}

static const char bash_shim[] =
"# bash completion for maasctl; load with: source <(maasctl completion bash)\n"
"_maasctl_complete() {\n"
"\tlocal line=${COMP_LINE:0:COMP_POINT} cur out directive cand prefix=\n"
"\tlocal -a words\n"
"\tread -r -a words <<<\"$line\"\n"
"\tif [[ $line == *[[:space:]] ]]; then words+=(\"\"); fi\n"
"\tcur=${words[${#words[@]}-1]}\n"
"\tout=$(\"${words[0]}\" __complete \"${words[@]:1}\" 2>/dev/null) || return\n"
"\tdirective=${out##*:}\n"
"\tout=${out%:*}\n"
"\t[[ -n ${BASH_COMP_DEBUG_FILE:-} ]] && printf '%s\\n' \"cur=$cur directive=$directive\" \"$out\" >>\"$BASH_COMP_DEBUG_FILE\"\n"
"\t(( directive & 1 )) && return\n"
"\t(( directive & 2 )) && compopt -o nospace 2>/dev/null\n"
"\tif [[ $cur == *=* && $COMP_WORDBREAKS == *=* ]]; then prefix=${cur%%=*}=; fi\n"
"\tCOMPREPLY=()\n"
"\tif (( directive & 16 )); then\n"
"\t\tmapfile -t COMPREPLY < <(compgen -d -- \"${cur#\"$prefix\"}\")\n"
"\t\treturn\n"
"\tfi\n"
"\twhile IFS= read -r cand; do\n"
"\t\t[[ -z $cand ]] && continue\n"
"\t\tcand=${cand%%$'\\t'*}\n"
"\t\tCOMPREPLY+=(\"${cand#\"$prefix\"}\")\n"
"\tdone <<<\"$out\"\n"
"\tif (( ${#COMPREPLY[@]} == 0 && !(directive & 4) )); then\n"
"\t\tmapfile -t COMPREPLY < <(compgen -f -- \"${cur#\"$prefix\"}\")\n"
"\tfi\n"
"}\n"
"complete -o default -F _maasctl_complete maasctl\n";

static const char zsh_shim[] =
"#compdef maasctl\n"
"# zsh completion for maasctl; load with: source <(maasctl completion zsh)\n"
"_maasctl() {\n"
"\tlocal -a words_typed cands descs\n"
"\tlocal out directive line\n"
"\twords_typed=(\"${(@)words[2,CURRENT]}\")\n"
"\tout=$(maasctl __complete \"${(@)words_typed}\" 2>/dev/null) || return 1\n"
"\tdirective=${${(f)out}[-1]#:}\n"
"\t(( directive & 1 )) && return 1\n"
"\tfor line in \"${(@)${(f)out}[1,-2]}\"; do\n"
"\t\tcands+=(\"${line%%$'\\t'*}\")\n"
"\t\tif [[ $line == *$'\\t'* ]]; then descs+=(\"${line%%$'\\t'*}:${line#*$'\\t'}\")\n"
"\t\telse descs+=(\"$line\"); fi\n"
"\tdone\n"
"\tif (( directive & 16 )); then _path_files -/; return; fi\n"
"\tif (( ${#cands} == 0 )); then\n"
"\t\t(( directive & 4 )) || _files\n"
"\t\treturn\n"
"\tfi\n"
"\tif (( directive & 2 )); then _describe -t maasctl 'maasctl' descs -S ''\n"
"\telse _describe -t maasctl 'maasctl' descs; fi\n"
"}\n"
"compdef _maasctl maasctl\n";

static const char fish_shim[] =
"# fish completion for maasctl; load with: maasctl completion fish | source\n"
"function __maasctl_complete\n"
"\tset -l args (commandline -opc)[2..-1] (commandline -ct)\n"
"\tset -l out (maasctl __complete $args 2>/dev/null)\n"
"\tor return\n"
"\tset -l directive (string replace ':' '' -- $out[-1])\n"
"\tif test (math \"$directive % 2\") -eq 1\n"
"\t\treturn\n"
"\tend\n"
"\tfor line in $out[1..-2]\n"
"\t\techo $line\n"
"\tend\n"
"end\n"
"complete -c maasctl -f -a '(__maasctl_complete)'\n";

static int
completion_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	(void)ctx;
	(void)argc;
	if (strcmp(argv[0], "bash") == 0)
		fputs(bash_shim, stdout);
	else if (strcmp(argv[0], "zsh") == 0)
		fputs(zsh_shim, stdout);
	else if (strcmp(argv[0], "fish") == 0)
		fputs(fish_shim, stdout);
	else
		return err_set(e, EXIT_USAGE, "completion: unsupported shell "
		    "\"%s\" (want bash, zsh or fish)", argv[0]);
	return 0;
}

static int
completion_complete(struct ctx *ctx, int pos, const char *word,
    struct strlist *out)
{
	(void)ctx;
	(void)word;
	if (pos == 0) {
		sl_add(out, "bash");
		sl_add(out, "zsh");
		sl_add(out, "fish");
	}
	return 0;
}

/* Hidden: every command's usage line, for the docs test. */
static void
commands_walk(const char *path, const struct command *const *list)
{
	char	*p;
	size_t	 i;

	for (i = 0; list[i] != NULL; i++) {
		if (list[i]->flags & CMD_HIDDEN)
			continue;
		p = xasprintf("%s %s", path, list[i]->name);
		if (list[i]->sub != NULL)
			commands_walk(p, list[i]->sub);
		else
			printf("%s\t%s\n", p, list[i]->usage);
		free(p);
	}
}

static int
commands_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	(void)e;
	commands_walk("maasctl", root_commands);
	return 0;
}

const struct command cmd_completion = {
	.name = "completion",
	.summary = "Print a shell completion script (bash, zsh or fish)",
	.usage = "bash|zsh|fish",
	.run = completion_run,
	.complete = completion_complete,
	.min_args = 1,
	.max_args = 1,
};

const struct command cmd___complete = {
	.name = "__complete",
	.summary = "Answer a completion request (cobra protocol)",
	.usage = "[WORD...]",
	.run = complete_run,
	.flags = CMD_HIDDEN | CMD_RAW_ARGS,
	.max_args = -1,
};

const struct command cmd___completeNoDesc = {
	.name = "__completeNoDesc",
	.summary = "Answer a completion request without descriptions",
	.usage = "[WORD...]",
	.run = complete_nodesc_run,
	.flags = CMD_HIDDEN | CMD_RAW_ARGS,
	.max_args = -1,
};

const struct command cmd___commands = {
	.name = "__commands",
	.summary = "List every command with its usage line",
	.usage = "",
	.run = commands_run,
	.flags = CMD_HIDDEN,
	.max_args = 0,
};
