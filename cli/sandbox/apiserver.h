/*
 * apiserver.h: internal seams of the sandbox's Kubernetes API emulation
 * (server.c: HTTP transport; store.c: SQLite store; apiserver.c and its
 * helpers: discovery, tables, patches, selectors, watches).
 */
#ifndef MAAS_SBX_APISERVER_H
#define MAAS_SBX_APISERVER_H

#include <cjson/cJSON.h>
#include <sys/types.h>
#include <time.h>

#include "sandbox.h"

struct evhttp_request;
struct event_base;

/* ---- store.c ---- */

struct sbx_store;

/* Default number of change events kept for watch resume. */
#define STORE_EVENT_WINDOW	10000

/* Open (creating) the store at path in WAL mode, synchronous=FULL. */
struct sbx_store *store_open(const char *path, long window, struct err *);
void	 store_close(struct sbx_store *);
/* The current (last assigned) global resourceVersion. */
long long store_rv(struct sbx_store *);
/* The oldest resourceVersion a watch may resume from. */
long long store_oldest(struct sbx_store *);
/* Transactions around writes; every committed write is on disk, except
 * between store_lazy_sync(s, 1) and store_lazy_sync(s, 0), where commits
 * reach the disk with the next synced commit or WAL checkpoint (for
 * writes that can be derived again, such as the controller's status
 * updates: a power loss may lose them, never corrupt the store). */
void	 store_lazy_sync(struct sbx_store *, int lazy);
int	 store_begin(struct sbx_store *, struct err *);
int	 store_commit(struct sbx_store *, struct err *);
void	 store_rollback(struct sbx_store *);
/* Read one object's JSON (caller frees) or NULL when absent. */
char	*store_get(struct sbx_store *, const char *grp, const char *res,
	    const char *ns, const char *name);
/* Inside a transaction: assign the next resourceVersion to obj, store it
 * and log an event of type ("ADDED", "MODIFIED"); returns the rv or -1. */
long long store_put(struct sbx_store *, const char *grp, const char *res,
	    const char *ns, const char *name, cJSON *obj, const char *type,
	    struct err *);
/* Inside a transaction: remove the object, logging DELETED with obj (its
 * last state, given the new resourceVersion); returns the rv or -1. */
long long store_del(struct sbx_store *, const char *grp, const char *res,
	    const char *ns, const char *name, cJSON *obj, struct err *);
/* Call fn for each object of grp/res (ns NULL: all namespaces) whose
 * "ns/name" key sorts after `after` (NULL: from the start), in key order;
 * fn returns nonzero to stop. */
typedef int (*store_obj_fn)(void *arg, const char *ns, const char *name,
	    const char *json);
int	 store_list(struct sbx_store *, const char *grp, const char *res,
	    const char *ns, const char *after, store_obj_fn, void *);
/* The same objects (no continue key) with each one's resourceVersion, for
 * callers that keep parsed objects and parse again only what changed. */
typedef int (*store_objrv_fn)(void *arg, const char *ns, const char *name,
	    long long rv, const char *json);
int	 store_list_rv(struct sbx_store *, const char *grp, const char *res,
	    const char *ns, store_objrv_fn, void *);
/* Every object of grp/res in ns (NULL: all namespaces) as a new JSON
 * array, in key order (an empty array when s is NULL). */
cJSON	*store_list_json(struct sbx_store *, const char *grp, const char *res,
	    const char *ns);
/* Call fn for each object in namespace ns, of any resource. */
typedef int (*store_any_fn)(void *arg, const char *grp, const char *res,
	    const char *name, const char *json);
int	 store_list_ns(struct sbx_store *, const char *ns, store_any_fn, void *);
/* Call fn for each logged event with rv > after, oldest first. */
typedef int (*store_event_fn)(void *arg, long long rv, const char *type,
	    const char *grp, const char *res, const char *ns, const char *json);
int	 store_events(struct sbx_store *, long long after, store_event_fn,
	    void *);

/* ---- server.c ---- */

/* One request as the API layer sees it. */
struct sbx_req {
	struct evhttp_request	*r;		/* libevent request */
	const char		*method;	/* "GET", ... */
	char			*path;		/* decoded path, no query */
	char			*query;		/* raw query string or NULL */
	char			*body;		/* NUL-terminated request body */
	size_t			 body_len;
	const char		*content_type;	/* header or "" */
	const char		*accept;	/* header or "" */
	struct sbx_identity	 id;		/* who is asking */
	int			 authed;	/* id is filled */
	int			 tls;		/* came over HTTPS */
	double			 start;		/* when it came (mono s) */
	char			 peer[64];	/* "127.0.0.1:port" */
	int			 streaming;	/* a chunked reply is open */
	int			 status;	/* status sent */
	size_t			 sent;		/* body bytes sent */
	void			(*on_close)(struct sbx_req *, void *);
	void			*on_close_arg;
	int			 closed;	/* the peer went away */
};

/* Reply and finish the request (logs one access line, frees req). */
void	 srv_reply(struct sbx_req *, int status, const char *ctype,
	    const char *body, size_t len);
/* Add a response header before replying. */
void	 srv_header(struct sbx_req *, const char *name, const char *value);
/* Start a chunked streaming reply (watch). */
void	 srv_stream_start(struct sbx_req *, const char *ctype);
/* Send one chunk on a streaming reply. */
void	 srv_stream_send(struct sbx_req *, const char *data, size_t len);
/* End a streaming reply (logs, frees req). */
void	 srv_stream_end(struct sbx_req *);
/* Hand the request to another responder (the model simulator): put body
 * back as its input, free req without replying or logging, and return
 * the libevent request, which the new responder must answer. */
struct evhttp_request *srv_handoff(struct sbx_req *, const char *body,
	    size_t len);
/* Query parameter value (decoded; caller frees) or NULL. */
char	*srv_query(const struct sbx_req *, const char *key);
/* The event loop. */
struct event_base *srv_base(void);
/* Write one line to the daemon log (stderr or sandbox.log). */
void	 srv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- gateway.c ---- */

/* Open what the gateway and maas-api keep (the key table); -1 on error. */
int	 gateway_init(const struct sbx_config *, struct err *);
/* Route one request on the gateway listener (always ends it). */
void	 gateway_handle(struct sbx_req *);
void	 gateway_shutdown(void);

/* ---- apiserver.c ---- */

/* Open the store and install seed state; -1 on error. */
int	 api_init(const struct sbx_config *, struct err *);
/* Handle one Kubernetes API request (always ends it). */
void	 api_handle(struct sbx_req *);
/* End every open watch (shutdown) and close the store. */
void	 api_shutdown(void);

/* In-process access for the other sandbox parts (controller, gateway,
 * maas-api). Read objects with store_get()/store_list() on api_store(). */
struct sbx_store *api_store(void);
/* Called once per committed change, after the watchers got it, with the
 * object as stored (no apiVersion rewriting); type is "ADDED", "MODIFIED"
 * or "DELETED"; ns is "" for cluster-scoped objects. A listener may
 * write; those changes are delivered by a nested notification, so a
 * listener must not write when nothing changed (no loops). */
typedef void (*api_change_fn)(void *arg, const char *type, const char *grp,
	    const char *res, const char *ns, const cJSON *obj);
void	 api_on_change(api_change_fn, void *arg);

/* A validating admission webhook (the controller's): called for every
 * create ("CREATE") and update ("UPDATE") of a main resource (not
 * /status), after schema validation, before storing; returns NULL to
 * admit, or the whole denial message (caller frees), e.g. `admission
 * webhook "x" denied the request: why`, answered as 403 Forbidden. */
typedef char *(*api_admit_fn)(void *arg, const char *op, const char *grp,
	    const char *res, const char *ns, const cJSON *obj);
void	 api_on_admit(api_admit_fn, void *arg);

/*
 * In-process writes (the controller), through the same path as HTTP
 * writes: validation against the CRD schema (strict), server-owned
 * metadata (uid, creationTimestamp, generation bumped on spec changes,
 * resourceVersion, managedFields under manager "maas-controller"), one
 * transaction, watchers and api_on_change() listeners notified.  A write
 * that changes nothing stores nothing and notifies nobody.  ns is ignored
 * for cluster-scoped resources.  Never call them from inside an
 * api_change_fn without a guard against loops: defer the work to the
 * event loop instead (the controller does).
 */
/* The stored object grp/res ns/name, parsed (caller frees), or NULL. */
cJSON	*api_obj_get(const char *grp, const char *res, const char *ns,
	    const char *name);
/* Create obj (absent) or replace it (present); with status_only, replace
 * only the status of an existing object (its /status subresource).  A
 * resourceVersion in obj's metadata is a precondition (409 on mismatch);
 * status is dropped on create and kept on a main-resource update, as over
 * HTTP.  Returns the stored object (caller frees) or NULL with e set:
 * EXIT_NOTFOUND, EXIT_CONFLICT, EXIT_USAGE (invalid), EXIT_ERR. */
cJSON	*api_obj_write(const char *grp, const char *res, const char *ns,
	    const cJSON *obj, int status_only, struct err *);
/* Delete grp/res ns/name; -1 with e set (EXIT_NOTFOUND when absent). */
int	 api_obj_delete(const char *grp, const char *res, const char *ns,
	    const char *name, struct err *);

/* ---- apiserver.c: the resource registry ---- */

enum res_type {
	RT_STORED,		/* objects in the store */
	RT_EMPTYLIST,		/* list/watch answer empty (events, quotas) */
	RT_SSAR,		/* SelfSubjectAccessReview (create only) */
	RT_SSRR,		/* SelfSubjectRulesReview (create only) */
	RT_SSR			/* SelfSubjectReview (create only) */
};

/* One served resource of one group/version. */
struct resdef {
	char		*group;		/* "" for core */
	char		*version;
	char		*plural;
	char		*singular;
	char		*kind;
	char		*list_kind;
	int		 namespaced;
	enum res_type	 type;
	int		 builtin;	/* not from a CRD */
	int		 status_sub;	/* has a /status subresource */
	int		 storage;	/* the CRD's storage version */
	struct strlist	 shorts;	/* short names */
	struct strlist	 cats;		/* categories */
	const cJSON	*columns;	/* additionalPrinterColumns or NULL */
	const cJSON	*crd;		/* the CRD object (CRs only) */
};

/* Every served resource (the registry is rebuilt when CRDs change). */
struct resdef *const *api_defs(size_t *n);
/* The stored CRD objects, as an array (for OpenAPI). */
const cJSON *api_crds(void);

/* ---- discovery.c ---- */

/* Answer /api, /apis, /api/v1, /apis/<g>, /apis/<g>/<v> (legacy or
 * aggregated per the Accept header); 0 when path was not discovery. */
int	 disc_handle(struct sbx_req *, const char *path);
/* Answer /openapi/v2, /openapi/v3 and /openapi/v3/<gv>. */
void	 disc_openapi(struct sbx_req *, const char *path);
/* Reply with a Status error. */
void	 api_status(struct sbx_req *, int code, const char *reason,
	    const char *message, cJSON *details);
/* Reply with a JSON object (consumed). */
void	 api_reply_json(struct sbx_req *, int code, cJSON *);

/* ---- patch.c ---- */

/* RFC 7386 merge patch: apply patch onto target (modified in place);
 * with smp, keys starting with '$' are directives and skipped. */
cJSON	*patch_merge(cJSON *target, const cJSON *patch, int smp);
/* RFC 6902 JSON patch; returns the new document or NULL with *why set. */
cJSON	*patch_json(const cJSON *doc, const cJSON *ops, char **why);

/* ---- selector.c ---- */

struct selector;
/* Parse a label selector; NULL with *why on a syntax error. "" matches
 * everything. */
struct selector *sel_parse_labels(const char *, char **why);
/* Parse a field selector (metadata.name, metadata.namespace, plus
 * extra allowed keys); NULL with *why. */
struct selector *sel_parse_fields(const char *, char **why);
/* Does obj match? Label selectors read metadata.labels, field selectors
 * the dotted paths. */
int	 sel_match(const struct selector *, const cJSON *obj);
/* The field names a field selector uses (to check they are supported). */
const char *sel_field_at(const struct selector *, size_t i);
void	 sel_free(struct selector *);

/* ---- table.c ---- */

/* Human age as apimachinery's HumanDuration prints it; caller frees. */
char	*table_age(time_t then, time_t now);
/* Evaluate a printer-column JSONPath (first match) or NULL. */
const cJSON *table_jsonpath(const cJSON *obj, const char *path);

#endif
