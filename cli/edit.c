/*
 * edit.c: `maasctl edit`, as kubectl edit: the object goes to a temporary
 * file (YAML, or JSON with -o json) under kubectl's header comment, opens
 * in $KUBE_EDITOR, $EDITOR or vi, and what was saved is sent back as a
 * JSON merge patch (RFC 7386) with the object's resourceVersion as the
 * precondition.  A file that does not parse, or that the server refuses,
 * reopens with the error as a comment at the top; an empty file or no
 * change ends with "Edit cancelled, no changes made.".
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "json.h"
#include "kube.h"
#include "kubectx.h"
#include "output.h"
#include "resource.h"
#include "xalloc.h"
#include "yaml.h"

static struct {
	int	 output_patch;	/* --output-patch */
} E;

#define EDIT_HEADER \
	"# Please edit the object below. Lines beginning with a '#' will be " \
	"ignored,\n# and an empty file will abort the edit. If an error " \
	"occurs while saving this file will be\n# reopened with the relevant " \
	"failures.\n#\n"

/* RFC 7386: the merge patch that turns a into b (NULL when equal). */
static cJSON *
merge_diff(const cJSON *a, const cJSON *b)
{
	cJSON		*patch = NULL, *sub;
	const cJSON	*c, *o;

	if (!cJSON_IsObject(a) || !cJSON_IsObject(b))
		return json_equal(a, b) ? NULL : cJSON_Duplicate(b, 1);
	cJSON_ArrayForEach(c, a) {
		o = cJSON_GetObjectItemCaseSensitive(b, c->string);
		if (o == NULL) {
			if (patch == NULL)
				patch = cJSON_CreateObject();
			cJSON_AddNullToObject(patch, c->string);
		} else if ((sub = merge_diff(c, o)) != NULL) {
			if (patch == NULL)
				patch = cJSON_CreateObject();
			if (cJSON_IsObject(sub) && !cJSON_IsObject(o)) {
				cJSON_Delete(sub);
				sub = cJSON_Duplicate(o, 1);
			}
			cJSON_AddItemToObject(patch, c->string, sub);
		}
	}
	cJSON_ArrayForEach(o, b) {
		if (cJSON_GetObjectItemCaseSensitive(a, o->string) != NULL)
			continue;
		if (patch == NULL)
			patch = cJSON_CreateObject();
		cJSON_AddItemToObject(patch, o->string, cJSON_Duplicate(o, 1));
	}
	return patch;
}

/* The file's text without comment lines (kubectl drops '#' lines). */
static char *
strip_comments(const char *text)
{
	struct strbuf	 sb = STRBUF_INIT;
	const char	*p = text, *nl, *q;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		for (q = p; q < nl && (*q == ' ' || *q == '\t'); q++)
			;
		if (q == nl || *q != '#')
			sb_add(&sb, p, (size_t)(nl - p) + (*nl == '\n'));
		p = *nl == '\n' ? nl + 1 : nl;
	}
	if (sb.buf == NULL)
		sb_adds(&sb, "");
	return sb_detach(&sb);
}

static int
only_space(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

static int
write_file(const char *path, const char *text, struct err *e)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL)
		return err_set(e, EXIT_ERR, "edit: cannot write %s: %s", path,
		    strerror(errno));
	fputs(text, f);
	if (fclose(f) != 0)
		return err_set(e, EXIT_ERR, "edit: cannot write %s: %s", path,
		    strerror(errno));
	return 0;
}

static char *
read_file(const char *path, struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	char		 buf[8192];
	size_t		 n;
	FILE		*f;

	if ((f = fopen(path, "r")) == NULL) {
		err_set(e, EXIT_ERR, "edit: cannot read %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(&sb, buf, n);
	fclose(f);
	if (sb.buf == NULL)
		sb_adds(&sb, "");
	return sb_detach(&sb);
}

/* Run the editor on path: $KUBE_EDITOR, $EDITOR, else vi, through sh. */
static int
run_editor(const char *path, struct err *e)
{
	const char	*ed = getenv("KUBE_EDITOR");
	pid_t		 pid;
	int		 st;

	if (ed == NULL || *ed == '\0')
		ed = getenv("EDITOR");
	if (ed == NULL || *ed == '\0')
		ed = "vi";
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1)
		return err_set(e, EXIT_ERR, "edit: cannot start the editor: %s",
		    strerror(errno));
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exec $MAASCTL_EDITOR \"$1\"",
		    "sh", path, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return err_set(e, EXIT_ERR, "edit: waiting for the "
			    "editor: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return err_set(e, EXIT_ERR, "edit: there was a problem with the "
		    "editor \"%s\" (%s %d)", ed, WIFEXITED(st) ? "exit status" :
		    "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	return 0;
}

/* "# line\n" for each line of msg. */
static void
add_comment(struct strbuf *sb, const char *msg)
{
	const char	*p = msg, *nl;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		sb_addf(sb, "# %.*s\n", (int)(nl - p), p);
		p = *nl == '\n' ? nl + 1 : nl;
	}
}

/* "plural.group" as kubectl edit names a type. */
static char *
plural_name(const struct kube_resource *res)
{
	return *res->group ? xasprintf("%s.%s", res->name, res->group) :
	    xstrdup(res->name);
}

/* The server's refusal (or a syntax error) as kubectl's edit comment. */
static char *
refusal_comment(const struct kube_resource *res, const char *name,
    const char *msg, int syntax)
{
	struct strbuf	 sb = STRBUF_INIT;
	const char	*inv;
	char		*pn = plural_name(res);

	sb_addf(&sb, "# %s \"%s\" was not valid:\n", pn, name);
	if (syntax)
		sb_addf(&sb, "# * <nil>: Invalid value: \"The edited file "
		    "failed validation\": %s\n", msg);
	else if ((inv = strstr(msg, " is invalid: ")) != NULL) {
		inv += strlen(" is invalid: ");
		if (strchr(inv, '\n') != NULL)
			add_comment(&sb, strchr(inv, '\n') + 1);
		else
			sb_addf(&sb, "# * %s\n", inv);
	} else
		add_comment(&sb, msg);
	sb_adds(&sb, "#\n");
	free(pn);
	return sb_detach(&sb);
}

static int
edit_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct kube_resource	 res;
	struct kube_write_opts	 wo = KUBE_WRITE_OPTS_INIT;
	struct err		 pe = ERR_INIT;
	struct kube		*k;
	const char		*name, *slash, *ns, *fmt = ctx->g.output;
	char			*type = NULL, *text = NULL, *saved = NULL;
	char			*body = NULL, *edited_text = NULL;
	char			*comment = NULL, *ptxt, *tn = NULL;
	char			 path[512] = "";
	cJSON			*orig = NULL, *edited = NULL, *patch = NULL;
	cJSON			*out = NULL;
	struct strbuf		 sb = STRBUF_INIT;
	int			 json, fd, ret = -1, tries = 0;

	memset(&res, 0, sizeof res);
	json = fmt != NULL && strcmp(fmt, "json") == 0;
	if (fmt != NULL && !json && strcmp(fmt, "yaml") != 0) {
		err_set_raw(e, EXIT_USAGE, "error: the flag 'output' must be "
		    "one of yaml|json");
		goto out;
	}
	if ((slash = strchr(argv[0], '/')) != NULL) {
		if (argc != 1 || slash[1] == '\0') {
			err_set_raw(e, EXIT_USAGE, "error: edit takes one "
			    "object: TYPE NAME or TYPE/NAME");
			goto out;
		}
		type = xstrndup(argv[0], (size_t)(slash - argv[0]));
		name = slash + 1;
	} else {
		if (argc != 2) {
			err_set_raw(e, EXIT_USAGE, "error: edit takes one "
			    "object: TYPE NAME or TYPE/NAME");
			goto out;
		}
		type = xstrdup(argv[0]);
		name = argv[1];
	}
	if ((k = ctx_kube(ctx, e)) == NULL ||
	    resource_resolve(k, type, &res, e) != 0)
		goto out;
	ns = res.namespaced ? ctx_namespace(ctx) : NULL;
	if (kube_get(k, &res, ns, name, &orig, e) != 0)
		goto out;
	cJSON_DeleteItemFromObjectCaseSensitive(json_path(orig, "metadata"),
	    "managedFields");
	text = json ? json_print(orig, 1) : yaml_emit(orig);
	{
		const char *td = getenv("TMPDIR");

		snprintf(path, sizeof path, "%s/maasctl-edit-XXXXXX%s",
		    td != NULL && *td != '\0' && strlen(td) < 400 ? td :
		    "/tmp", json ? ".json" : ".yaml");
	}
	if ((fd = mkstemps(path, 5)) == -1) {
		err_set(e, EXIT_ERR, "edit: cannot create a temporary file: %s",
		    strerror(errno));
		path[0] = '\0';
		goto out;
	}
	close(fd);
	{
		const char *ed = getenv("KUBE_EDITOR");

		if (ed == NULL || *ed == '\0')
			ed = getenv("EDITOR");
		setenv("MAASCTL_EDITOR", ed != NULL && *ed != '\0' ? ed : "vi",
		    1);
	}
	tn = resource_type_name(&res);
	for (;;) {
		sb_reset(&sb);
		sb_adds(&sb, EDIT_HEADER);
		if (comment != NULL)
			sb_adds(&sb, comment);
		sb_adds(&sb, saved != NULL ? saved : text);
		if (write_file(path, sb.buf, e) != 0 ||
		    run_editor(path, e) != 0)
			goto out;
		free(edited_text);
		if ((edited_text = read_file(path, e)) == NULL)
			goto out;
		free(body);
		body = strip_comments(edited_text);
		if (only_space(body)) {
			fprintf(stderr, "Edit cancelled, no changes made.\n");
			ret = 0;
			goto out;
		}
		if (saved != NULL && strcmp(body, saved) == 0 &&
		    comment != NULL) {
			/* Reopened after an error and saved unchanged. */
			char *pn = plural_name(&res);

			err_set_raw(e, EXIT_ERR, "error: %s \"%s\" is invalid\n"
			    "A copy of your changes has been stored to \"%s\"\n"
			    "error: Edit cancelled, no valid changes were saved.",
			    pn, name, path);
			free(pn);
			path[0] = '\0';		/* keep the file */
			goto out;
		}
		free(saved);
		saved = xstrdup(body);
		free(comment);
		comment = NULL;
		cJSON_Delete(edited);
		edited = yaml_to_json(body, strlen(body), YAML_BARE_ERRORS,
		    &pe);
		if (edited == NULL || !cJSON_IsObject(edited)) {
			comment = refusal_comment(&res, name, pe.msg ? pe.msg :
			    "the file does not hold one object", 1);
			err_clear(&pe);
			tries++;
			continue;
		}
		if (json_equal(orig, edited)) {
			fprintf(stderr, "Edit cancelled, no changes made.\n");
			ret = 0;
			goto out;
		}
		if (!json_equal(cJSON_GetObjectItem(orig, "apiVersion"),
		    cJSON_GetObjectItem(edited, "apiVersion")) ||
		    !json_equal(cJSON_GetObjectItem(orig, "kind"),
		    cJSON_GetObjectItem(edited, "kind")) ||
		    !json_equal(json_path(orig, "metadata.name"),
		    json_path(edited, "metadata.name"))) {
			comment = xstrdup("# error: At least one of apiVersion, "
			    "kind and name was changed\n#\n");
			tries++;
			continue;
		}
		cJSON_Delete(patch);
		patch = merge_diff(orig, edited);
		if (patch == NULL) {
			fprintf(stderr, "Edit cancelled, no changes made.\n");
			ret = 0;
			goto out;
		}
		/* The version read is the precondition (409 if it moved). */
		if (json_str(orig, "metadata.resourceVersion") != NULL)
			json_set_str(patch, "metadata.resourceVersion",
			    json_str(orig, "metadata.resourceVersion"));
		ptxt = cJSON_PrintUnformatted(patch);
		if (E.output_patch)
			fprintf(stdout, "Patch: %s\n", ptxt);
		cJSON_Delete(out);
		out = NULL;
		if (kube_patch(k, &res, ns, name, KUBE_PATCH_MERGE, ptxt, &wo,
		    &out, &pe) != 0) {
			cJSON_free(ptxt);
			if (pe.http_status != 422 && pe.http_status != 400) {
				/* Not the content: auth, gone, conflict,
				 * unreachable. */
				err_move(e, &pe);
				err_hint(e, "your changes are in \"%s\"",
				    path);
				path[0] = '\0';
				goto out;
			}
			comment = refusal_comment(&res, name, pe.msg ?
			    pe.msg : "unknown error", 0);
			err_clear(&pe);
			tries++;
			continue;
		}
		cJSON_free(ptxt);
		break;
	}
	printf("%s/%s edited\n", tn, name);
	ret = 0;
out:
	if (path[0] != '\0')
		unlink(path);
	cJSON_Delete(orig);
	cJSON_Delete(edited);
	cJSON_Delete(patch);
	cJSON_Delete(out);
	err_clear(&pe);
	sb_free(&sb);
	kube_resource_free(&res);
	free(type);
	free(tn);
	free(text);
	free(saved);
	free(body);
	free(edited_text);
	free(comment);
	(void)tries;
	return ret;
}

static const struct opt edit_opts[] = {
	{ "output-patch", 0, OPT_BOOL, &E.output_patch, NULL,
	  "print the merge patch sent to the server", 0, NULL, NULL, 0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

static int
edit_complete(struct ctx *ctx, int pos, const char *word,
    struct strlist *out)
{
	if (pos == 0)
		return resource_complete_typed(ctx, word, out);
	return 0;
}

const struct command cmd_edit = {
	.name = "edit",
	.summary = "Edit an object in $KUBE_EDITOR or $EDITOR, as kubectl edit",
	.usage = "KIND NAME | KIND/NAME [-o yaml|json] [--output-patch]",
	.opts = edit_opts,
	.run = edit_run,
	.flags = CMD_NEEDS_KUBE,
	.complete = edit_complete,
	.min_args = 1,
	.max_args = 2,
};
