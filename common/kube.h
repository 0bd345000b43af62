/*
 * kube.h: a typed Kubernetes REST client over http.c.
 *
 * Independent of kubeconfig parsing: the caller fills a struct kube_config
 * (server, TLS, credentials) and gets a struct kube.  Resources are named
 * by a struct kube_resource found through discovery (kube_resolve) or
 * filled in by hand for well-known types.  Every operation returns 0 or
 * -1 with an error whose text is exactly what kubectl prints
 * ("Error from server (NotFound): ...", "error: You must be logged in to
 * the server (...)", "The <Kind> \"<name>\" is invalid: ...",
 * "The connection to the server <host:port> was refused - ...",
 * "Unable to connect to the server: ...") and whose exit code comes from
 * err_code_for_http (transport failures: 6, or 7 for timeouts).
 */
#ifndef MAAS_KUBE_H
#define MAAS_KUBE_H

#include <cjson/cJSON.h>

#include "err.h"
#include "http.h"

/*
 * Returns a bearer token (allocated; kube wipes and frees it), or NULL
 * with an error.  refresh is 1 when the last token was refused with 401
 * (exec credential plugins run again then).
 */
typedef char *(*kube_token_fn)(void *arg, int refresh, struct err *);

/* How to reach and authenticate to an API server. */
struct kube_config {
	const char	*server;	/* https://host:port[/prefix] */
	struct http_client http;	/* TLS (CA, client cert/key, insecure,
					   server name), proxy, timeouts */
	const char	*token;		/* bearer token, or NULL (secret) */
	kube_token_fn	 token_fn;	/* or a source of fresh tokens */
	void		*token_arg;	/* passed to token_fn */
	const char	*as_user;	/* Impersonate-User, or NULL */
	const char	**as_groups;	/* Impersonate-Group values, NULL-ended */
	const char	*as_uid;	/* Impersonate-Uid, or NULL */
	const char	*user_agent;	/* NULL: maasctl/<version> */
};

/* A resource type as discovery describes it. */
struct kube_resource {
	char	*group;		/* "" for the core group */
	char	*version;	/* "v1alpha1" */
	char	*name;		/* plural: "maassubscriptions" */
	char	*singular;	/* "maassubscription" (may be empty) */
	char	*kind;		/* "MaaSSubscription" */
	int	 namespaced;	/* 1 when objects live in namespaces */
};

struct kube;

/* A client for one server; NULL with an error if the config is unusable. */
struct kube *kube_new(const struct kube_config *, struct err *);
void	 kube_free(struct kube *);

/*
 * Find a resource type of a group by Kind, plural, singular or short name
 * (case-insensitive), in the group's preferred served version first
 * (GET /apis/<group> or /api, then /apis/<group>/<version>; results are
 * cached per client).  group "" is the core group.
 */
int	 kube_resolve(struct kube *, const char *group, const char *what,
	    struct kube_resource *, struct err *);
/* The preferred served version of a group (caller frees), or NULL. */
char	*kube_preferred_version(struct kube *, const char *group,
	    struct err *);
/* Fill a resource by hand (no discovery); strings are copied. */
void	 kube_resource_set(struct kube_resource *, const char *group,
	    const char *version, const char *name, const char *kind,
	    int namespaced);
void	 kube_resource_free(struct kube_resource *);
/*
 * The URL path of a collection (name NULL) or an object, with an optional
 * subresource: /apis/<g>/<v>[/namespaces/<ns>]/<plural>[/<name>[/<sub>]].
 * ns NULL for a namespaced type means all namespaces.  Caller frees.
 */
char	*kube_path(const struct kube_resource *, const char *ns,
	    const char *name, const char *subresource);

/* Options for kube_list. */
struct kube_list_opts {
	const char	*label_selector;	/* labelSelector, or NULL */
	const char	*field_selector;	/* fieldSelector, or NULL */
	long		 limit;			/* page size; 0: 500 */
	int		 table;			/* ask for a meta.k8s.io Table */
	int		 single_page;		/* stop after the first page */
	const char	*continue_token;	/* start from this page */
	int		 no_managed_fields;	/* kube_list_each(): items come
						   without metadata.managedFields
						   (as kubectl shows them) */
	const char *const *fields;		/* kube_list_each(): items come
						   with only these members
						   (json_keep_members() paths,
						   NULL-terminated), or NULL */
	int		 parallel;		/* kube_list_each(): items are
						   parsed and fn runs on a
						   second thread, while the
						   next ones are read; fn
						   must touch nothing the
						   caller's thread does */
};

/* Options for writes. */
struct kube_write_opts {
	const char	*field_manager;		/* fieldManager, or NULL */
	int		 dry_run;		/* dryRun=All */
	int		 force;			/* apply: force=true */
	const char	*propagation;		/* delete: Orphan|Background|
						   Foreground, or NULL */
	long		 grace_period;		/* delete: seconds, -1 unset */
};
#define KUBE_WRITE_OPTS_INIT { NULL, 0, 0, NULL, -1 }

enum kube_patch_type {
	KUBE_PATCH_MERGE,	/* application/merge-patch+json */
	KUBE_PATCH_JSON,	/* application/json-patch+json */
	KUBE_PATCH_APPLY,	/* application/apply-patch+yaml (server-side) */
	KUBE_PATCH_STRATEGIC	/* application/strategic-merge-patch+json */
};

/* GET one object into *out (caller frees with cJSON_Delete). */
int	 kube_get(struct kube *, const struct kube_resource *, const char *ns,
	    const char *name, cJSON **out, struct err *);
/*
 * List objects, following "continue" until the last page (unless
 * single_page): *out is the first page's list (or Table) with the items
 * (or rows) of every page; metadata.continue holds the token that is left.
 */
int	 kube_list(struct kube *, const struct kube_resource *, const char *ns,
	    const struct kube_list_opts *, cJSON **out, struct err *);
/*
 * List objects page by page (following "continue", as kubectl does), each
 * page read as a stream: fn sees every item as soon as it has arrived
 * (the item is freed after fn returns; non-zero stops the listing, not an
 * error), so no page is ever held whole.  *rv (may be NULL; caller frees)
 * is the first page's resourceVersion, as kube_list() reports it.
 * o->table is ignored.
 */
typedef int (*kube_item_fn)(void *arg, const cJSON *item);
int	 kube_list_each(struct kube *, const struct kube_resource *,
	    const char *ns, const struct kube_list_opts *, kube_item_fn,
	    void *, char **rv, struct err *);
/* POST a new object; *out (may be NULL) is what the server returned. */
int	 kube_create(struct kube *, const struct kube_resource *, const char *ns,
	    const cJSON *obj, const struct kube_write_opts *, cJSON **out,
	    struct err *);
/*
 * PUT an object over the existing one.  resource_version (or, when NULL,
 * the object's metadata.resourceVersion) is sent as the precondition.
 */
int	 kube_replace(struct kube *, const struct kube_resource *,
	    const char *ns, const cJSON *obj, const char *resource_version,
	    const struct kube_write_opts *, cJSON **out, struct err *);
/*
 * kube_replace() of obj, an update of base (the object as it was read, or
 * NULL).  The controller writes an object's status at any moment, which
 * moves its resourceVersion: when the PUT conflicts and the object read
 * again differs from base only in what a status write changes (status,
 * resourceVersion, managedFields), the same update is made on the newer
 * version (client-go's RetryOnConflict), up to five times; obj's
 * resourceVersion follows.  A resource_version the caller gave is a
 * precondition of theirs and never retried.
 */
int	 kube_update(struct kube *, const struct kube_resource *,
	    const char *ns, cJSON *obj, const cJSON *base,
	    const char *resource_version, const struct kube_write_opts *,
	    cJSON **out, struct err *);
/* PATCH an object; body is JSON, or YAML/JSON for server-side apply. */
int	 kube_patch(struct kube *, const struct kube_resource *, const char *ns,
	    const char *name, enum kube_patch_type, const char *body,
	    const struct kube_write_opts *, cJSON **out, struct err *);
/* Server-side apply of obj (fieldManager required: "maasctl" if NULL). */
int	 kube_apply(struct kube *, const struct kube_resource *, const char *ns,
	    const cJSON *obj, const struct kube_write_opts *, cJSON **out,
	    struct err *);
/* DELETE an object (DeleteOptions body with propagationPolicy). */
int	 kube_delete(struct kube *, const struct kube_resource *, const char *ns,
	    const char *name, const struct kube_write_opts *, cJSON **out,
	    struct err *);

/*
 * Watch events: type is ADDED, MODIFIED, DELETED, BOOKMARK (only when
 * bookmarks was asked for) or SYNC (an object from a relist after 410
 * Gone: treat as added-or-updated).  object is borrowed.  Return 0 to go
 * on, non-zero to stop watching (kube_watch then returns 0).
 */
typedef int (*kube_watch_fn)(void *arg, const char *type, const cJSON *object);

/* Options for kube_watch. */
struct kube_watch_opts {
	const char	*label_selector;	/* labelSelector, or NULL */
	const char	*field_selector;	/* fieldSelector, or NULL */
	const char	*resource_version;	/* start after this; NULL: list
						   first, items sent as ADDED */
	int		 bookmarks;		/* pass BOOKMARK events on */
	long		 timeout_seconds;	/* per watch request; 0: server's */
	double		 until;			/* stop after this many seconds
						   in all; 0: never */
	const char	*accept;		/* Accept of the watch requests
						   (e.g. as=Table); NULL: JSON */
};

/*
 * Watch a collection: GET ...?watch=1&resourceVersion=RV; when a stream
 * ends it resumes from the last resourceVersion seen (bookmarks included);
 * on 410 Gone (an ERROR event or the HTTP status) it relists and resumes.
 */
int	 kube_watch(struct kube *, const struct kube_resource *, const char *ns,
	    const struct kube_watch_opts *, kube_watch_fn, void *arg,
	    struct err *);

/*
 * Turn a non-2xx API response into kubectl's error text and exit code.
 * method is the HTTP method, res and name describe the target (either may
 * be NULL) for the message kubectl makes up when the body is no Status.
 */
int	 kube_error_from_response(int status, const char *body, size_t len,
	    const char *method, const struct kube_resource *res,
	    const char *name, struct err *);
/*
 * Insert context into a server error the way kubectl does for -f:
 * "Error from server (NotFound): " + "error when creating \"f.yaml\": " +
 * message.  Errors of other forms (Invalid, not logged in, transport) are
 * left as they are, as kubectl leaves them.
 */
void	 kube_err_insert(struct err *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Raw request against the server (path with query), JSON in and out. */
int	 kube_request(struct kube *, const char *method, const char *path,
	    const char *content_type, const char *accept, const char *body,
	    cJSON **out, struct err *);

#endif
