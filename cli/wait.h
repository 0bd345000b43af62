/*
 * wait.h: waiting for Kubernetes objects to reach a condition, over the
 * watch in common/kube.c, and the `--wait[=TIMEOUT]` / `--no-wait` options
 * every writing command shares.
 *
 * Typical use in a command that creates or updates an object:
 *
 *	static struct wait_opts W = WAIT_OPTS_INIT(0);   (1: on by default)
 *	static const struct opt my_opts[] = {
 *		...
 *		WAIT_OPT_ROWS(&W, "wait until the subscription is Active"),
 *		OPT_LAST
 *	};
 *	...
 *	kube_create(k, &res, ns, obj, NULL, &created, e) ...
 *	if (W.enabled && wait_ready(k, &res, ns, name, &W, NULL, e) != 0)
 *		return -1;     (e: exit 1 on Failed, 7 on timeout, kubectl's
 *			        error for 401/403/404/transport)
 *
 * "Ready" means: status.observedGeneration (where set) has caught up with
 * metadata.generation, and status.phase is Ready or Active, or (for kinds
 * without a phase, such as LLMInferenceService) the Ready condition is
 * True.  Failed or Invalid phases end the wait with exit 1 and the Ready
 * condition's message.  Ctrl-C ends it with exit 130 and a line naming the
 * object and its last phase.  Several objects share one deadline through
 * wait_all().
 */
#ifndef MAAS_WAIT_H
#define MAAS_WAIT_H

#include <cjson/cJSON.h>

#include "err.h"
#include "kube.h"
#include "opt.h"

/* The timeout when --wait is given without a value (seconds). */
#define WAIT_DEFAULT_TIMEOUT	300.0

/* What --wait / --no-wait asked for. */
struct wait_opts {
	int	 enabled;	/* 1: wait after the write */
	double	 timeout;	/* seconds, > 0 */
	int	 given;		/* --wait or --no-wait was on the command line */
};
#define WAIT_OPTS_INIT(on) { (on), WAIT_DEFAULT_TIMEOUT, 0 }

/*
 * The OPT_FUNC callback behind WAIT_OPT_ROWS (opt->dst is the struct
 * wait_opts): "--wait" turns waiting on with the default timeout,
 * "--wait=5m" (any duration.h form) sets the timeout, "--wait=true",
 * "--wait=false" and "--no-wait" switch it; anything else is a usage error.
 */
int	 wait_opt_fn(const struct opt *, const char *, struct err *);

/* Two option rows: --wait[=TIMEOUT] with the given help, and --no-wait. */
#define WAIT_OPT_ROWS(dstp, helptext)					\
	{ "wait", 0, OPT_FUNC, (dstp), "TIMEOUT", (helptext),		\
	  OPT_OPTARG, wait_opt_fn, NULL, 0, 0 },			\
	{ "no-wait", 0, OPT_FUNC, (dstp), NULL,				\
	  "return as soon as the server accepted the change", 0,	\
	  wait_opt_fn, NULL, 0, 0 }

/* When is a waited-for object done (all fields may be NULL: defaults). */
struct wait_cond {
	const char *const *phases;	/* done when status.phase is one of
					   these; NULL: Ready, Active */
	const char	*condition;	/* or when this condition is True;
					   NULL: "Ready"; "" : never */
	const char *const *failed;	/* fail when status.phase is one of
					   these; NULL: Failed, Invalid */
	int		 deleted;	/* wait for the object to be gone */
};

/* One object to wait for. */
struct wait_item {
	const struct kube_resource *res;	/* its type */
	const char	*ns;			/* namespace, NULL if cluster-
						   scoped */
	const char	*name;			/* metadata.name */
	const struct wait_cond *cond;		/* NULL: ready (see above) */
};

/*
 * Wait until the object is done per cond (NULL: ready), for at most
 * timeout seconds (<= 0: no limit).  *last (may be NULL) receives the
 * object as last seen (caller frees; NULL when it was deleted).  Errors:
 * kubectl's for the initial GET (401/403 exit 3, 404 exit 4, transport
 * exit 6), "timed out after 30s waiting for MaaSModelRef llm/granite to
 * become Ready: phase Pending (Ready=False BackendNotReady: ...)" exit 7,
 * "MaaSModelRef llm/granite failed: phase Failed (...)" exit 1, deleted
 * while waiting exit 4; Ctrl-C exits 130 after one line on stderr.
 */
int	 wait_for(struct kube *, const struct wait_item *, double timeout,
	    cJSON **last, struct err *);
/* wait_for with the default condition and the options' timeout. */
int	 wait_ready(struct kube *, const struct kube_resource *,
	    const char *ns, const char *name, const struct wait_opts *,
	    cJSON **last, struct err *);
/* Wait for each of n items in turn, all within one timeout. */
int	 wait_all(struct kube *, const struct wait_item *, int n,
	    double timeout, struct err *);
/*
 * Is obj done per cond?  1 done, 0 not yet, -1 failed; *why (may be
 * NULL) gets "phase Pending (Ready=False Reason: message)" (caller frees).
 */
int	 wait_check(const cJSON *obj, const struct wait_cond *, char **why);
/* The Ready condition's message of obj (borrowed), else status.message. */
const char *wait_ready_message(const cJSON *obj);

#endif
