/*
 * wait.c: waiting for objects to become Ready/Active (or Failed, or gone)
 * over the Kubernetes watch, the shared --wait[=TIMEOUT]/--no-wait
 * options, and the `maasctl wait` command built on them.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cmd.h"
#include "duration.h"
#include "json.h"
#include "kubectx.h"
#include "resource.h"
#include "term.h"
#include "wait.h"

static const char *const default_phases[] = { "Ready", "Active", NULL };
static const char *const default_failed[] = { "Failed", "Invalid", NULL };
static const struct wait_cond default_cond;

int
wait_opt_fn(const struct opt *o, const char *val, struct err *e)
{
	struct wait_opts	*w = o->dst;
	double			 d;

	w->given = 1;
	if (strcmp(o->lname, "no-wait") == 0) {
		w->enabled = 0;
		return 0;
	}
	if (val == NULL || strcmp(val, "true") == 0) {
		w->enabled = 1;
		return 0;
	}
	if (strcmp(val, "false") == 0) {
		w->enabled = 0;
		return 0;
	}
	if (duration_parse(val, &d, e) != 0) {
		err_wrap(e, "invalid value for --wait (want a timeout such as "
		    "90s or 5m, true or false)");
		return -1;
	}
	if (d <= 0)
		return err_set(e, EXIT_USAGE, "invalid value \"%s\" for --wait: "
		    "the timeout must be positive", val);
	w->enabled = 1;
	w->timeout = d;
	return 0;
}

static int
in_set(const char *s, const char *const *set)
{
	if (s == NULL)
		return 0;
	for (; *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

/* The condition of this type in status.conditions, or NULL. */
static const cJSON *
find_condition(const cJSON *obj, const char *type)
{
	const cJSON	*c;
	const char	*t;

	cJSON_ArrayForEach(c, json_path(obj, "status.conditions")) {
		t = json_str(c, "type");
		if (t != NULL && strcmp(t, type) == 0)
			return c;
	}
	return NULL;
}

const char *
wait_ready_message(const cJSON *obj)
{
	const cJSON	*c = find_condition(obj, "Ready");
	const char	*m;

	if (c != NULL && (m = json_str(c, "message")) != NULL && *m != '\0')
		return m;
	if ((m = json_str(obj, "status.message")) != NULL && *m != '\0')
		return m;
	return NULL;
}

/* "phase Pending (Ready=False Reason: message)" for messages. */
static char *
describe_state(const cJSON *obj, const char *ctype)
{
	struct strbuf	 sb = STRBUF_INIT;
	const cJSON	*c;
	const char	*phase, *st, *reason, *msg;

	phase = json_str(obj, "status.phase");
	if (phase != NULL && *phase != '\0')
		sb_addf(&sb, "phase %s", phase);
	else
		sb_adds(&sb, "no phase yet");
	c = find_condition(obj, ctype != NULL && *ctype != '\0' ? ctype :
	    "Ready");
	if (c != NULL) {
		st = json_str(c, "status");
		reason = json_str(c, "reason");
		msg = json_str(c, "message");
		sb_addf(&sb, " (%s=%s", json_str(c, "type"), st ? st : "Unknown");
		if (reason != NULL && *reason != '\0')
			sb_addf(&sb, " %s", reason);
		if (msg != NULL && *msg != '\0')
			sb_addf(&sb, ": %s", msg);
		sb_addc(&sb, ')');
	} else if ((msg = json_str(obj, "status.message")) != NULL &&
	    *msg != '\0')
		sb_addf(&sb, " (%s)", msg);
	return sb_detach(&sb);
}

/* Has the controller seen the object's current generation? */
static int
observed(const cJSON *obj, const cJSON *cond)
{
	double	 gen = json_num(obj, "metadata.generation", 0);
	double	 og;

	if (gen <= 0)
		return 1;
	og = json_num(obj, "status.observedGeneration", -1);
	if (og >= 0 && og < gen)
		return 0;
	if (cond != NULL) {
		og = json_num(cond, "observedGeneration", -1);
		if (og >= 0 && og < gen)
			return 0;
	}
	return 1;
}

int
wait_check(const cJSON *obj, const struct wait_cond *cond, char **why)
{
	const char *const	*phases, *const *failed;
	const char		*ctype, *phase, *st;
	const cJSON		*c = NULL;
	int			 ret = 0;

	if (cond == NULL)
		cond = &default_cond;
	phases = cond->phases ? cond->phases : default_phases;
	failed = cond->failed ? cond->failed : default_failed;
	ctype = cond->condition ? cond->condition : "Ready";
	if (why != NULL)
		*why = describe_state(obj, ctype);
	if (cond->deleted)
		return 0;
	if (*ctype != '\0')
		c = find_condition(obj, ctype);
	phase = json_str(obj, "status.phase");
	if (!observed(obj, c))
		return 0;
	if (in_set(phase, failed))
		ret = -1;
	else if (in_set(phase, phases))
		ret = 1;
	else if (c != NULL && (st = json_str(c, "status")) != NULL &&
	    strcmp(st, "True") == 0)
		ret = 1;
	return ret;
}

/* Ctrl-C while waiting: one line (formatted ahead), then exit 130. */

static char			 sigline[2][512];
static volatile sig_atomic_t	 sigcur;

static void
sigline_set(const char *what, const char *state)
{
	int	 next = !sigcur;

	snprintf(sigline[next], sizeof sigline[next],
	    "maasctl: waiting for %s: interrupted (%s)\n", what, state);
	sigcur = next;
}

static void
on_sigint(int sig)
{
	const char	*s = sigline[sigcur];
	ssize_t		 n;

	(void)sig;
	n = write(STDERR_FILENO, s, strlen(s));
	(void)n;
	_exit(EXIT_INTERRUPTED);
}

/* What one wait_for call has seen so far. */
struct waiter {
	const struct wait_cond	*cond;
	const char		*name;
	char			*what;		/* "MaaSModelRef ns/name" */
	cJSON			*last;		/* the object as last seen */
	char			*last_phase;	/* for progress lines */
	int			 state;		/* 1 done, -1 failed, 0 not */
	int			 deleted;
};

static void
waiter_see(struct waiter *w, const cJSON *obj)
{
	const char	*phase;
	char		*why = NULL;

	cJSON_Delete(w->last);
	w->last = cJSON_Duplicate(obj, 1);
	w->state = wait_check(obj, w->cond, &why);
	sigline_set(w->what, why);
	phase = json_str(obj, "status.phase");
	if (phase == NULL)
		phase = "";
	if (w->last_phase == NULL || strcmp(w->last_phase, phase) != 0) {
		term_log(TERM_LOG_INFO, "%s: %s", w->what, why);
		free(w->last_phase);
		w->last_phase = xstrdup(phase);
	}
	free(why);
}

static int
on_event(void *arg, const char *type, const cJSON *obj)
{
	struct waiter	*w = arg;
	const char	*name = json_str(obj, "metadata.name");

	if (name == NULL || strcmp(name, w->name) != 0)
		return 0;
	if (strcmp(type, "DELETED") == 0) {
		w->deleted = 1;
		return 1;
	}
	if (strcmp(type, "BOOKMARK") == 0)
		return 0;
	waiter_see(w, obj);
	return w->state != 0;
}

int
wait_for(struct kube *k, const struct wait_item *it, double timeout,
    cJSON **last, struct err *e)
{
	const struct wait_cond	*cond = it->cond ? it->cond : &default_cond;
	struct kube_watch_opts	 wo;
	struct sigaction	 sa, old;
	struct waiter		 w;
	struct err		 e2 = ERR_INIT;
	cJSON			*obj = NULL;
	char			*fs = NULL, *why = NULL, *tmo;
	const char		*goal;
	int			 ret = -1, rc;

	memset(&w, 0, sizeof w);
	w.cond = cond;
	w.name = it->name;
	w.what = it->ns != NULL && it->res->namespaced ?
	    xasprintf("%s %s/%s", it->res->kind, it->ns, it->name) :
	    xasprintf("%s %s", it->res->kind, it->name);
	if (last != NULL)
		*last = NULL;
	if (kube_get(k, it->res, it->res->namespaced ? it->ns : NULL,
	    it->name, &obj, &e2) != 0) {
		if (cond->deleted && e2.code == EXIT_NOTFOUND) {
			err_clear(&e2);
			ret = 0;
			goto out;
		}
		err_move(e, &e2);
		goto out;
	}
	waiter_see(&w, obj);
	if (w.state == 0) {
		memset(&wo, 0, sizeof wo);
		fs = xasprintf("metadata.name=%s", it->name);
		wo.field_selector = fs;
		wo.resource_version = json_str(obj, "metadata.resourceVersion");
		wo.until = timeout > 0 ? timeout : 0;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_sigint;
		sigemptyset(&sa.sa_mask);
		fflush(stdout);
		sigaction(SIGINT, &sa, &old);
		rc = kube_watch(k, it->res, it->res->namespaced ? it->ns : NULL,
		    &wo, on_event, &w, e);
		sigaction(SIGINT, &old, NULL);
		if (rc != 0)
			goto out;
	}
	if (w.deleted) {
		if (cond->deleted) {
			ret = 0;
			goto out;
		}
		err_set(e, EXIT_NOTFOUND, "%s was deleted while waiting for it",
		    w.what);
		goto out;
	}
	if (cond->deleted || w.state == 0) {
		goal = cond->deleted ? "be deleted" : "become Ready";
		if (cond->phases != NULL && cond->phases[0] != NULL)
			goal = "reach the wanted phase";
		else if (cond->condition != NULL && *cond->condition != '\0' &&
		    strcmp(cond->condition, "Ready") != 0)
			goal = "meet its condition";
		why = describe_state(w.last, cond->condition);
		tmo = duration_format(timeout);
		err_set(e, EXIT_TIMEOUT, "timed out after %s waiting for %s to "
		    "%s: %s", tmo, w.what, goal, why);
		free(tmo);
		goto out;
	}
	if (w.state < 0) {
		why = describe_state(w.last, cond->condition);
		err_set(e, EXIT_ERR, "%s failed: %s", w.what, why);
		goto out;
	}
	ret = 0;
out:
	if (ret == 0 && last != NULL && !w.deleted) {
		*last = w.last;
		w.last = NULL;
	}
	cJSON_Delete(obj);
	cJSON_Delete(w.last);
	free(w.last_phase);
	free(w.what);
	free(why);
	free(fs);
	return ret;
}

int
wait_ready(struct kube *k, const struct kube_resource *res, const char *ns,
    const char *name, const struct wait_opts *wo, cJSON **last,
    struct err *e)
{
	struct wait_item	 it;

	memset(&it, 0, sizeof it);
	it.res = res;
	it.ns = ns;
	it.name = name;
	return wait_for(k, &it, wo != NULL ? wo->timeout :
	    WAIT_DEFAULT_TIMEOUT, last, e);
}

int
wait_all(struct kube *k, const struct wait_item *items, int n,
    double timeout, struct err *e)
{
	double	 start = clock_mono_s(), left = 0;
	int	 i;

	for (i = 0; i < n; i++) {
		if (timeout > 0) {
			left = timeout - (clock_mono_s() - start);
			if (left < 0.001)
				left = 0.001;
		}
		if (wait_for(k, &items[i], left, NULL, e) != 0) {
			if (e != NULL && e->code == EXIT_TIMEOUT &&
			    timeout > 0) {
				/* Name the whole budget, not what was left. */
				char *t = duration_format(timeout), *p;

				if (e->msg != NULL &&
				    (p = strstr(e->msg, " waiting for ")) !=
				    NULL) {
					char *m = xasprintf("timed out after "
					    "%s%s", t, p);

					free(e->msg);
					e->msg = m;
				}
				free(t);
			}
			return -1;
		}
	}
	return 0;
}

/* maasctl wait */

static struct {
	const char	*forwhat;
	double		 timeout;
	int		 timeout_set;
} W = { NULL, 30, 0 };

static const struct opt wait_cmd_opts[] = {
	{ "for", 0, OPT_STR, &W.forwhat, "CONDITION",
	  "ready (default), delete, phase=PHASE[,PHASE...] or "
	  "condition=TYPE", 0, NULL, "ready|delete|phase=|condition=", 0,
	  0 },
	{ "timeout", 0, OPT_DURATION, &W.timeout, "DURATION",
	  "give up after this long (default 30s)", 0, NULL, NULL, 0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

/* Parse --for into cond; phase lists go to *phases (caller frees). */
static int
parse_for(const char *f, struct wait_cond *cond, char ***phases,
    struct err *e)
{
	char	*p, *s, *tok, *save = NULL;
	int	 n = 0;

	memset(cond, 0, sizeof *cond);
	*phases = NULL;
	if (f == NULL || strcmp(f, "ready") == 0)
		return 0;
	if (strcmp(f, "delete") == 0) {
		cond->deleted = 1;
		return 0;
	}
	if (strncmp(f, "condition=", 10) == 0 && f[10] != '\0') {
		p = strchr(f + 10, '=');
		if (p != NULL && strcmp(p + 1, "True") != 0 &&
		    strcmp(p + 1, "true") != 0)
			return err_set(e, EXIT_USAGE, "invalid value \"%s\" for "
			    "--for: only condition=TYPE or condition=TYPE=True "
			    "is supported", f);
		/* phases[0] keeps the condition type; phases[1..] is the
		 * empty set of phases that count as done. */
		*phases = xcalloc(3, sizeof **phases);
		(*phases)[0] = p != NULL ? xstrndup(f + 10,
		    (size_t)(p - (f + 10))) : xstrdup(f + 10);
		cond->condition = (*phases)[0];
		cond->phases = (const char *const *)&(*phases)[1];
		return 0;
	}
	if (strncmp(f, "phase=", 6) == 0 && f[6] != '\0') {
		s = xstrdup(f + 6);
		*phases = xcalloc(strlen(s) + 2, sizeof **phases);
		for (tok = strtok_r(s, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save))
			(*phases)[n++] = xstrdup(tok);
		free(s);
		cond->phases = (const char *const *)*phases;
		cond->condition = "";
		return 0;
	}
	return err_set(e, EXIT_USAGE, "invalid value \"%s\" for --for: want "
	    "ready, delete, phase=PHASE[,PHASE...] or condition=TYPE", f);
}

static int
wait_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct kube_resource	*res = NULL;
	struct wait_item	*items = NULL;
	struct wait_cond	 cond;
	struct kube		*k;
	char			**phases = NULL, **names = NULL, *slash, *tn;
	const char		*ns;
	int			 i, n = 0, ret = -1;

	if (parse_for(W.forwhat, &cond, &phases, e) != 0)
		return -1;
	if (W.timeout <= 0) {
		err_set(e, EXIT_USAGE, "invalid value for --timeout: must be "
		    "positive");
		goto out;
	}
	for (i = 0; i < argc; i++)
		if (strchr(argv[i], '/') == NULL || argv[i][0] == '/' ||
		    argv[i][strlen(argv[i]) - 1] == '/') {
			err_set(e, EXIT_USAGE, "invalid argument \"%s\": want "
			    "TYPE/NAME", argv[i]);
			goto out;
		}
	if ((k = ctx_kube(ctx, e)) == NULL)
		goto out;
	ns = ctx_namespace(ctx);
	res = xcalloc((size_t)argc, sizeof *res);
	items = xcalloc((size_t)argc, sizeof *items);
	names = xcalloc((size_t)argc, sizeof *names);
	for (i = 0; i < argc; i++) {
		slash = strchr(argv[i], '/');
		names[i] = xstrndup(argv[i], (size_t)(slash - argv[i]));
		if (resource_resolve(k, names[i], &res[i], e) != 0)
			goto out;
		n = i + 1;
		free(names[i]);
		names[i] = xstrdup(slash + 1);
		items[i].res = &res[i];
		items[i].ns = res[i].namespaced ? ns : NULL;
		items[i].name = names[i];
		items[i].cond = &cond;
	}
	for (i = 0; i < argc; i++) {
		if (wait_all(k, &items[i], 1, W.timeout, e) != 0)
			goto out;
		tn = resource_type_name(&res[i]);
		printf("%s/%s condition met\n", tn, names[i]);
		free(tn);
		fflush(stdout);
	}
	ret = 0;
out:
	for (i = 0; i < n; i++)
		kube_resource_free(&res[i]);
	if (names != NULL)
		for (i = 0; i < argc; i++)
			free(names[i]);
	if (phases != NULL)
		for (i = 0; phases[i] != NULL; i++)
			free(phases[i]);
	free(phases);
	free(names);
	free(items);
	free(res);
	return ret;
}

static int
wait_complete(struct ctx *ctx, int pos, const char *word,
    struct strlist *out)
{
	(void)pos;
	return resource_complete_typed(ctx, word, out);
}

const struct command cmd_wait = {
	"wait", NULL,
	"wait for objects to become Ready/Active, reach a phase, or be deleted",
	"TYPE/NAME... [--for CONDITION] [--timeout DURATION]",
	wait_cmd_opts, NULL, wait_run, CMD_NEEDS_KUBE, wait_complete, 1, -1
};
