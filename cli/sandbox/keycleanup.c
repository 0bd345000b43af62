/*
 * keycleanup.c: the ephemeral-key cleanup of the sandbox's maas-api, run
 * the way the real install runs it.  There, CronJob maas-api-key-cleanup
 * (maas-api's namespace, every 15 minutes) starts a Job whose pod POSTs
 * maas-api's in-cluster /internal/v1/api-keys/cleanup, which hard-deletes
 * the ephemeral keys expired for more than 30 minutes (MAAS-API.md §4.12,
 * MAAS-ADMIN-TASKS.md §3.2 K7 and §5 item 9).
 *
 * The sandbox has no pods: a Job of that CronJob -- one scheduled here,
 * or one an admin creates from it by hand (an ownerReference to the
 * CronJob, as `kubectl create job --from=cronjob/...` sets, or the label
 * app=maas-api-cleanup its job template gives) -- is run in-process through
 * maasapi_cleanup() as soon as it is created, and gets the status of a
 * finished Job: startTime, completionTime, succeeded 1 and condition
 * Complete (or failed 1 and condition Failed with the reason).  The
 * CronJob's status gets lastScheduleTime and lastSuccessfulTime, and its
 * finished Jobs beyond successfulJobsHistoryLimit (default 3) and
 * failedJobsHistoryLimit (default 1) are deleted, as the CronJob
 * controller does.  A schedule that steps the minute field (every N
 * minutes, the other four fields "*") is honoured on wall-clock multiples
 * of N minutes; any other falls back to the real one, every 15 minutes.  A suspended or deleted CronJob schedules
 * nothing; Jobs left unfinished by a stop run at the next start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "maasapi_int.h"

#define KC_NS		"odh-ai-gateway-infra"	/* maas-api's namespace */
#define KC_CRONJOB	"maas-api-key-cleanup"
#define KC_LABEL	"maas-api-cleanup"	/* app= on its Jobs */
#define KC_MINUTES	15			/* the real schedule */

static struct event	*tick;		/* the next scheduled run */
static struct event	*runner;	/* runs the queued Jobs */
static struct strlist	 queued;	/* names of Jobs to run */

static const char *
str_at(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItem(o, a);

	if (b != NULL)
		v = cJSON_GetObjectItem(v, b);
	return cJSON_GetStringValue(v);
}

static char *
rfc3339_now(void)
{
	return mapi_rfc3339(mapi_now_us() / 1000000);
}

/* Does the Job belong to the cleanup CronJob? */
static int
is_cleanup_job(const cJSON *job)
{
	const cJSON	*md = cJSON_GetObjectItem(job, "metadata"), *r;
	const char	*app;

	cJSON_ArrayForEach(r, cJSON_GetObjectItem(md, "ownerReferences")) {
		const char *k = str_at(r, "kind", NULL);
		const char *n = str_at(r, "name", NULL);

		if (k != NULL && n != NULL && strcmp(k, "CronJob") == 0 &&
		    strcmp(n, KC_CRONJOB) == 0)
			return 1;
	}
	app = str_at(cJSON_GetObjectItem(md, "labels"), "app", NULL);
	return app != NULL && strcmp(app, KC_LABEL) == 0;
}

/* Owned by the CronJob (its history limits apply)? */
static int
owned(const cJSON *job)
{
	const cJSON	*r;

	cJSON_ArrayForEach(r, cJSON_GetObjectItem(cJSON_GetObjectItem(job,
	    "metadata"), "ownerReferences")) {
		const char *k = str_at(r, "kind", NULL);
		const char *n = str_at(r, "name", NULL);

		if (k != NULL && n != NULL && strcmp(k, "CronJob") == 0 &&
		    strcmp(n, KC_CRONJOB) == 0)
			return 1;
	}
	return 0;
}

static int
finished(const cJSON *job)
{
	const cJSON *st = cJSON_GetObjectItem(job, "status");

	return cJSON_GetObjectItem(st, "completionTime") != NULL ||
	    cJSON_GetNumberValue(cJSON_GetObjectItem(st, "succeeded")) > 0 ||
	    cJSON_GetNumberValue(cJSON_GetObjectItem(st, "failed")) > 0;
}

static int
succeeded(const cJSON *job)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    job, "status"), "succeeded")) > 0;
}

static void
queue_run(const char *name)
{
	struct timeval	 now = { 0, 0 };

	if (!sl_has(&queued, name))
		sl_add(&queued, name);
	if (runner != NULL)
		evtimer_add(runner, &now);
}

/* Merge fields into the CronJob's status. */
static void
cronjob_status(const char *field, const char *value)
{
	cJSON		*cj, *st;
	struct err	 e = ERR_INIT;

	if ((cj = api_obj_get("batch", "cronjobs", KC_NS, KC_CRONJOB)) ==
	    NULL)
		return;
	if ((st = cJSON_GetObjectItem(cj, "status")) == NULL)
		st = cJSON_AddObjectToObject(cj, "status");
	cJSON_DeleteItemFromObject(st, field);
	cJSON_AddStringToObject(st, field, value);
	cJSON_Delete(api_obj_write("batch", "cronjobs", KC_NS, cj, 1, &e));
	if (e.code != 0)
		srv_log("msg=\"key cleanup: cannot update CronJob %s status\" "
		    "error=\"%s\"", KC_CRONJOB, e.msg);
	err_clear(&e);
	cJSON_Delete(cj);
}

static int
by_creation(const void *a, const void *b)
{
	const cJSON	*x = *(const cJSON *const *)a;
	const cJSON	*y = *(const cJSON *const *)b;
	const char	*tx, *ty, *nx, *ny;
	int		 c;

	tx = str_at(x, "metadata", "creationTimestamp");
	ty = str_at(y, "metadata", "creationTimestamp");
	if ((c = strcmp(tx ? tx : "", ty ? ty : "")) != 0)
		return c;
	nx = str_at(x, "metadata", "name");
	ny = str_at(y, "metadata", "name");
	return strcmp(nx ? nx : "", ny ? ny : "");
}

/* Delete the oldest finished Jobs of the CronJob beyond its limits. */
static void
prune(void)
{
	cJSON		*cj, *jobs, *j, **v = NULL;
	const cJSON	*spec;
	struct err	 e = ERR_INIT;
	int		 keep[2], seen[2] = { 0, 0 }, ok;
	size_t		 n = 0, i;

	if ((cj = api_obj_get("batch", "cronjobs", KC_NS, KC_CRONJOB)) ==
	    NULL)
		return;
	spec = cJSON_GetObjectItem(cj, "spec");
	keep[1] = cJSON_IsNumber(cJSON_GetObjectItem(spec,
	    "successfulJobsHistoryLimit")) ? cJSON_GetObjectItem(spec,
	    "successfulJobsHistoryLimit")->valueint : 3;
	keep[0] = cJSON_IsNumber(cJSON_GetObjectItem(spec,
	    "failedJobsHistoryLimit")) ? cJSON_GetObjectItem(spec,
	    "failedJobsHistoryLimit")->valueint : 1;
	jobs = store_list_json(api_store(), "batch", "jobs", KC_NS);
	cJSON_ArrayForEach(j, jobs)
		if (owned(j) && finished(j)) {
			v = xrealloc(v, (n + 1) * sizeof *v);
			v[n++] = j;
		}
	if (n > 1)
		qsort(v, n, sizeof *v, by_creation);
	/* Newest first: keep the first keep[ok] of each kind. */
	for (i = n; i-- > 0;) {
		ok = succeeded(v[i]);
		if (++seen[ok] <= keep[ok])
			continue;
		if (api_obj_delete("batch", "jobs", KC_NS, str_at(v[i],
		    "metadata", "name"), &e) != 0) {
			srv_log("msg=\"key cleanup: cannot delete old Job\" "
			    "error=\"%s\"", e.msg);
			err_clear(&e);
		}
	}
	free(v);
	cJSON_Delete(jobs);
	cJSON_Delete(cj);
}

/* Run one Job: the cleanup, then its finished status. */
static void
run_job(const char *name)
{
	cJSON		*job, *st, *conds, *c;
	struct err	 e = ERR_INIT, we = ERR_INIT;
	char		*start, *end;
	int		 n;

	if ((job = api_obj_get("batch", "jobs", KC_NS, name)) == NULL)
		return;
	if (!is_cleanup_job(job) || finished(job)) {
		cJSON_Delete(job);
		return;
	}
	start = rfc3339_now();
	n = maasapi_cleanup(&e);
	end = rfc3339_now();
	cJSON_DeleteItemFromObject(job, "status");
	st = cJSON_AddObjectToObject(job, "status");
	cJSON_AddStringToObject(st, "startTime", start);
	conds = cJSON_AddArrayToObject(st, "conditions");
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "type", n >= 0 ? "Complete" : "Failed");
	cJSON_AddStringToObject(c, "status", "True");
	cJSON_AddStringToObject(c, "lastProbeTime", end);
	cJSON_AddStringToObject(c, "lastTransitionTime", end);
	if (n < 0) {
		cJSON_AddStringToObject(c, "reason", "BackoffLimitExceeded");
		cJSON_AddStringToObject(c, "message", e.msg);
	}
	cJSON_AddItemToArray(conds, c);
	if (n >= 0) {
		cJSON_AddStringToObject(st, "completionTime", end);
		cJSON_AddNumberToObject(st, "succeeded", 1);
	} else
		cJSON_AddNumberToObject(st, "failed", 1);
	cJSON_Delete(api_obj_write("batch", "jobs", KC_NS, job, 1, &we));
	if (we.code != 0)
		srv_log("msg=\"key cleanup: cannot write Job %s status\" "
		    "error=\"%s\"", name, we.msg);
	else if (n >= 0)
		srv_log("msg=\"key cleanup: Job %s complete: Successfully "
		    "deleted %d expired ephemeral key(s)\" deletedCount=%d",
		    name, n, n);
	else
		srv_log("msg=\"key cleanup: Job %s failed\" error=\"%s\"",
		    name, e.msg);
	if (n >= 0 && owned(job))
		cronjob_status("lastSuccessfulTime", end);
	err_clear(&e);
	err_clear(&we);
	free(start);
	free(end);
	cJSON_Delete(job);
	prune();
}

static void
run_queued(evutil_socket_t fd, short what, void *arg)
{
	struct strlist	 q = queued;
	size_t		 i;

	(void)fd;
	(void)what;
	(void)arg;
	memset(&queued, 0, sizeof queued);
	for (i = 0; i < q.n; i++)
		run_job(q.v[i]);
	sl_free(&q);
}

/* Minutes between runs: the minute step N of the schedule, else 15. */
static int
interval_minutes(const cJSON *cj)
{
	const char	*s = str_at(cJSON_GetObjectItem(cj, "spec"), "schedule",
			    NULL);
	char		 tail[16];
	int		 n;

	if (s != NULL && sscanf(s, "*/%d %15[* ]", &n, tail) == 2 &&
	    n >= 1 && n <= 59 && strcmp(tail, "* * * *") == 0)
		return n;
	return KC_MINUTES;
}

static void
arm_tick(int minutes)
{
	long long	 now = mapi_now_us() / 1000000, period = minutes * 60LL;
	struct timeval	 tv;

	tv.tv_sec = (time_t)(period - now % period);
	tv.tv_usec = 0;
	evtimer_add(tick, &tv);
}

/* The CronJob controller's part: start a Job from the template. */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	cJSON		*cj, *job, *md, *ref, *refs, *tmpl, *lb;
	struct err	 e = ERR_INIT;
	long long	 now = mapi_now_us() / 1000000;
	char		*name, *ts;
	int		 minutes = KC_MINUTES;

	(void)fd;
	(void)what;
	(void)arg;
	if ((cj = api_obj_get("batch", "cronjobs", KC_NS, KC_CRONJOB)) ==
	    NULL)
		goto rearm;
	minutes = interval_minutes(cj);
	if (cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(cj, "spec"),
	    "suspend")))
		goto rearm;
	tmpl = cJSON_GetObjectItem(cJSON_GetObjectItem(cj, "spec"),
	    "jobTemplate");
	name = xasprintf("%s-%lld", KC_CRONJOB, now / 60);
	job = cJSON_CreateObject();
	cJSON_AddStringToObject(job, "apiVersion", "batch/v1");
	cJSON_AddStringToObject(job, "kind", "Job");
	md = cJSON_AddObjectToObject(job, "metadata");
	cJSON_AddStringToObject(md, "name", name);
	cJSON_AddStringToObject(md, "namespace", KC_NS);
	lb = cJSON_GetObjectItem(cJSON_GetObjectItem(tmpl, "metadata"),
	    "labels");
	if (lb != NULL)
		cJSON_AddItemToObject(md, "labels", cJSON_Duplicate(lb, 1));
	refs = cJSON_AddArrayToObject(md, "ownerReferences");
	ref = cJSON_CreateObject();
	cJSON_AddStringToObject(ref, "apiVersion", "batch/v1");
	cJSON_AddStringToObject(ref, "kind", "CronJob");
	cJSON_AddStringToObject(ref, "name", KC_CRONJOB);
	cJSON_AddStringToObject(ref, "uid", str_at(cj, "metadata", "uid") ?
	    str_at(cj, "metadata", "uid") : "");
	cJSON_AddTrueToObject(ref, "controller");
	cJSON_AddTrueToObject(ref, "blockOwnerDeletion");
	cJSON_AddItemToArray(refs, ref);
	cJSON_AddItemToObject(job, "spec", cJSON_GetObjectItem(tmpl, "spec") ?
	    cJSON_Duplicate(cJSON_GetObjectItem(tmpl, "spec"), 1) :
	    cJSON_CreateObject());
	/* Created: the listener queues it to run. */
	cJSON_Delete(api_obj_write("batch", "jobs", KC_NS, job, 0, &e));
	if (e.code != 0)
		srv_log("msg=\"key cleanup: cannot create Job %s\" error=\"%s\"",
		    name, e.msg);
	else {
		ts = mapi_rfc3339(now);
		cronjob_status("lastScheduleTime", ts);
		free(ts);
	}
	err_clear(&e);
	free(name);
	cJSON_Delete(job);
rearm:
	cJSON_Delete(cj);
	arm_tick(minutes);
}

static void
on_change(void *arg, const char *type, const char *grp, const char *res,
    const char *ns, const cJSON *obj)
{
	(void)arg;
	if (strcmp(type, "ADDED") != 0 || strcmp(grp, "batch") != 0 ||
	    strcmp(res, "jobs") != 0 || strcmp(ns, KC_NS) != 0 ||
	    !is_cleanup_job(obj) || finished(obj))
		return;
	queue_run(str_at(obj, "metadata", "name"));
}

void
keycleanup_init(void)
{
	cJSON	*jobs, *j, *cj;
	int	 minutes = KC_MINUTES;

	runner = evtimer_new(srv_base(), run_queued, NULL);
	tick = evtimer_new(srv_base(), on_tick, NULL);
	api_on_change(on_change, NULL);
	/* Jobs a stop left unfinished. */
	jobs = store_list_json(api_store(), "batch", "jobs", KC_NS);
	cJSON_ArrayForEach(j, jobs)
		if (is_cleanup_job(j) && !finished(j))
			queue_run(str_at(j, "metadata", "name"));
	cJSON_Delete(jobs);
	if ((cj = api_obj_get("batch", "cronjobs", KC_NS, KC_CRONJOB)) !=
	    NULL)
		minutes = interval_minutes(cj);
	cJSON_Delete(cj);
	if (tick != NULL)
		arm_tick(minutes);
}

void
keycleanup_shutdown(void)
{
	if (tick != NULL)
		event_free(tick);
	if (runner != NULL)
		event_free(runner);
	tick = runner = NULL;
	sl_free(&queued);
}
