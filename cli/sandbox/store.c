/*
 * store.c: the sandbox's object store, SQLite in WAL mode with
 * synchronous=FULL so that a committed write is on disk before the API
 * answers.  One global resourceVersion counter; an event log (bounded
 * window) that watches resume from, across restarts.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_dl.h"
#include "apiserver.h"

struct sbx_store {
	sqlite3		*db;
	long long	 rv;		/* last assigned resourceVersion */
	long long	 oldest;	/* oldest rv a watch may resume from */
	long		 window;	/* events kept */
	int		 in_txn;
	sqlite3_stmt	*st_get, *st_put, *st_del, *st_ev, *st_rv;
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS objects(grp TEXT NOT NULL, res TEXT NOT NULL,"
    " ns TEXT NOT NULL, name TEXT NOT NULL, rv INTEGER NOT NULL,"
    " body TEXT NOT NULL, PRIMARY KEY(grp, res, ns, name));"
    "CREATE INDEX IF NOT EXISTS objects_ns ON objects(ns);"
    "CREATE TABLE IF NOT EXISTS events(rv INTEGER PRIMARY KEY,"
    " type TEXT NOT NULL, grp TEXT NOT NULL, res TEXT NOT NULL,"
    " ns TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL);"
    "INSERT OR IGNORE INTO meta(k, v) VALUES('rv', 0);"
    "INSERT OR IGNORE INTO meta(k, v) VALUES('oldest', 0);";

/*
 * The page cache holds the whole store (up to 64 MiB, allocated only as
 * pages are read) and the database file is memory-mapped: one connection
 * does every read and write, so cached pages stay valid across
 * transactions and a list reads its rows from memory, as a real API
 * server serves lists from its watch cache, not with a pread per page.
 */
#define STORE_CACHE_PRAGMAS						\
	"PRAGMA cache_size=-65536;"					\
	"PRAGMA mmap_size=268435456;"

static int
dberr(struct sbx_store *s, struct err *e, const char *what)
{
	return err_set(e, EXIT_ERR, "sandbox store: %s: %s", what,
	    sqlite3_errmsg(s->db));
}

static long long
meta_get(struct sbx_store *s, const char *k)
{
	sqlite3_stmt	*st;
	long long	 v = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT v FROM meta WHERE k=?", -1, &st,
	    NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

struct sbx_store *
store_open(const char *path, long window, struct err *e)
{
	struct sbx_store	*s;
	char			*msg = NULL;

	if (sqlite_dl_load(e) != 0)	/* SQLite, loaded now */
		return NULL;
	s = xcalloc(1, sizeof *s);
	s->window = window > 0 ? window : STORE_EVENT_WINDOW;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		err_set(e, EXIT_ERR, "sandbox store: cannot open %s: %s", path,
		    s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=FULL;" STORE_CACHE_PRAGMAS, NULL, NULL,
	    &msg) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema_sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(e, EXIT_ERR, "sandbox store: cannot initialise %s: %s",
		    path, msg ? msg : "unknown error");
		sqlite3_free(msg);
		goto fail;
	}
	if (sqlite3_prepare_v2(s->db, "SELECT body FROM objects WHERE grp=? AND"
	    " res=? AND ns=? AND name=?", -1, &s->st_get, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO objects(grp, res,"
	    " ns, name, rv, body) VALUES(?,?,?,?,?,?)", -1, &s->st_put,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "DELETE FROM objects WHERE grp=? AND res=?"
	    " AND ns=? AND name=?", -1, &s->st_del, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT INTO events(rv, type, grp, res,"
	    " ns, name, body) VALUES(?,?,?,?,?,?,?)", -1, &s->st_ev,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "UPDATE meta SET v=? WHERE k=?", -1,
	    &s->st_rv, NULL) != SQLITE_OK) {
		dberr(s, e, "cannot prepare statements");
		goto fail;
	}
	s->rv = meta_get(s, "rv");
	s->oldest = meta_get(s, "oldest");
	return s;
fail:
	store_close(s);
	return NULL;
}

void
store_close(struct sbx_store *s)
{
	if (s == NULL)
		return;
	sqlite3_finalize(s->st_get);
	sqlite3_finalize(s->st_put);
	sqlite3_finalize(s->st_del);
	sqlite3_finalize(s->st_ev);
	sqlite3_finalize(s->st_rv);
	if (s->db != NULL)
		sqlite3_close(s->db);
	free(s);
}

long long
store_rv(struct sbx_store *s)
{
	return s->rv;
}

long long
store_oldest(struct sbx_store *s)
{
	return s->oldest;
}

void
store_lazy_sync(struct sbx_store *s, int lazy)
{
	/* Both are valid in WAL mode; outside a transaction, never fails. */
	sqlite3_exec(s->db, lazy ? "PRAGMA synchronous=NORMAL" :
	    "PRAGMA synchronous=FULL", NULL, NULL, NULL);
}

int
store_begin(struct sbx_store *s, struct err *e)
{
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return dberr(s, e, "cannot begin a transaction");
	s->in_txn = 1;
	return 0;
}

static int
set_meta(struct sbx_store *s, const char *k, long long v)
{
	int	 rc;

	sqlite3_reset(s->st_rv);
	sqlite3_bind_int64(s->st_rv, 1, v);
	sqlite3_bind_text(s->st_rv, 2, k, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->st_rv);
	sqlite3_reset(s->st_rv);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_commit(struct sbx_store *s, struct err *e)
{
	long long	 oldest;
	sqlite3_stmt	*st;

	/* Trim the event log to the window. */
	oldest = s->rv - s->window;
	if (oldest > s->oldest) {
		if (sqlite3_prepare_v2(s->db, "DELETE FROM events WHERE rv<=?",
		    -1, &st, NULL) != SQLITE_OK) {
			dberr(s, e, "cannot trim the event log");
			goto fail;
		}
		sqlite3_bind_int64(st, 1, oldest);
		sqlite3_step(st);
		sqlite3_finalize(st);
		if (set_meta(s, "oldest", oldest) == -1) {
			dberr(s, e, "cannot trim the event log");
			goto fail;
		}
	} else
		oldest = s->oldest;
	if (set_meta(s, "rv", s->rv) == -1) {
		dberr(s, e, "cannot record the resourceVersion");
		goto fail;
	}
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		dberr(s, e, "cannot commit");
		goto fail;
	}
	s->in_txn = 0;
	s->oldest = oldest;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

void
store_rollback(struct sbx_store *s)
{
	if (!s->in_txn)
		return;
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_txn = 0;
	s->rv = meta_get(s, "rv");
}

char *
store_get(struct sbx_store *s, const char *grp, const char *res,
    const char *ns, const char *name)
{
	char	*out = NULL;

	sqlite3_reset(s->st_get);
	sqlite3_bind_text(s->st_get, 1, grp, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->st_get, 2, res, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->st_get, 3, ns ? ns : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s->st_get, 4, name, -1, SQLITE_STATIC);
	if (sqlite3_step(s->st_get) == SQLITE_ROW)
		out = xstrdup((const char *)sqlite3_column_text(s->st_get, 0));
	sqlite3_reset(s->st_get);
	return out;
}

static void
set_rv(cJSON *obj, long long rv)
{
	cJSON	*md;
	char	 buf[32];

	if ((md = cJSON_GetObjectItemCaseSensitive(obj, "metadata")) == NULL)
		md = cJSON_AddObjectToObject(obj, "metadata");
	snprintf(buf, sizeof buf, "%lld", rv);
	cJSON_DeleteItemFromObjectCaseSensitive(md, "resourceVersion");
	cJSON_AddStringToObject(md, "resourceVersion", buf);
}

static int
log_event(struct sbx_store *s, long long rv, const char *type,
    const char *grp, const char *res, const char *ns, const char *name,
    const char *body)
{
	int	 rc;

	sqlite3_reset(s->st_ev);
	sqlite3_bind_int64(s->st_ev, 1, rv);
	sqlite3_bind_text(s->st_ev, 2, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->st_ev, 3, grp, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->st_ev, 4, res, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->st_ev, 5, ns ? ns : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s->st_ev, 6, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->st_ev, 7, body, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->st_ev);
	sqlite3_reset(s->st_ev);
	return rc == SQLITE_DONE ? 0 : -1;
}

long long
store_put(struct sbx_store *s, const char *grp, const char *res,
    const char *ns, const char *name, cJSON *obj, const char *type,
    struct err *e)
{
	long long	 rv = s->rv + 1;
	char		*body;
	int		 rc;

	set_rv(obj, rv);
	body = cJSON_PrintUnformatted(obj);
	sqlite3_reset(s->st_put);
	sqlite3_bind_text(s->st_put, 1, grp, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->st_put, 2, res, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->st_put, 3, ns ? ns : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s->st_put, 4, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->st_put, 5, rv);
	sqlite3_bind_text(s->st_put, 6, body, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->st_put);
	sqlite3_reset(s->st_put);
	if (rc != SQLITE_DONE ||
	    log_event(s, rv, type, grp, res, ns, name, body) == -1) {
		cJSON_free(body);
		return dberr(s, e, "cannot write an object");
	}
	cJSON_free(body);
	s->rv = rv;
	return rv;
}

long long
store_del(struct sbx_store *s, const char *grp, const char *res,
    const char *ns, const char *name, cJSON *obj, struct err *e)
{
	long long	 rv = s->rv + 1;
	char		*body;
	int		 rc;

	set_rv(obj, rv);
	body = cJSON_PrintUnformatted(obj);
	sqlite3_reset(s->st_del);
	sqlite3_bind_text(s->st_del, 1, grp, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->st_del, 2, res, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->st_del, 3, ns ? ns : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s->st_del, 4, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->st_del);
	sqlite3_reset(s->st_del);
	if (rc != SQLITE_DONE ||
	    log_event(s, rv, "DELETED", grp, res, ns, name, body) == -1) {
		cJSON_free(body);
		return dberr(s, e, "cannot delete an object");
	}
	cJSON_free(body);
	s->rv = rv;
	return rv;
}

/*
 * Objects in (namespace, name) order, after the key "NS/NAME" when given
 * (names never hold a '/'): the comparison is on the pair, so the index
 * serves it and a namespace that is a prefix of another ("llm", "llm-2")
 * cannot make a page skip or repeat objects.
 */
static int
list_query(struct sbx_store *s, const char *grp, const char *res,
    const char *ns, const char *after, store_obj_fn fn, store_objrv_fn fnrv,
    void *arg)
{
	sqlite3_stmt	*st;
	const char	*sql, *slash;
	char		*ans = NULL;
	const char	*aname = "";
	int		 n = 3, stop;

	if (ns != NULL)
		sql = "SELECT ns, name, body, rv FROM objects WHERE grp=?1 AND"
		    " res=?2 AND ns=?3 AND (ns, name)>(?4, ?5)"
		    " ORDER BY ns, name";
	else
		sql = "SELECT ns, name, body, rv FROM objects WHERE grp=?1 AND"
		    " res=?2 AND (ns, name)>(?4, ?5)"
		    " ORDER BY ns, name";
	if (after != NULL && (slash = strchr(after, '/')) != NULL) {
		ans = xstrndup(after, (size_t)(slash - after));
		aname = slash + 1;
	}
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		free(ans);
		return -1;
	}
	sqlite3_bind_text(st, 1, grp, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, res, -1, SQLITE_STATIC);
	if (ns != NULL)
		sqlite3_bind_text(st, n, ns, -1, SQLITE_STATIC);
	/* No key: ("", "") sorts before every object, cluster-scoped too. */
	sqlite3_bind_text(st, 4, ans ? ans : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, aname, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *rns = (const char *)sqlite3_column_text(st, 0);
		const char *rname = (const char *)sqlite3_column_text(st, 1);
		const char *body = (const char *)sqlite3_column_text(st, 2);
		if (fnrv != NULL)
			stop = fnrv(arg, rns, rname, sqlite3_column_int64(st,
			    3), body);
		else
			stop = fn(arg, rns, rname, body);
		if (stop != 0)
			break;
	}
	sqlite3_finalize(st);
	free(ans);
	return 0;
}

int
store_list(struct sbx_store *s, const char *grp, const char *res,
    const char *ns, const char *after, store_obj_fn fn, void *arg)
{
	return list_query(s, grp, res, ns, after, fn, NULL, arg);
}

int
store_list_rv(struct sbx_store *s, const char *grp, const char *res,
    const char *ns, store_objrv_fn fn, void *arg)
{
	return list_query(s, grp, res, ns, NULL, NULL, fn, arg);
}

int
store_list_ns(struct sbx_store *s, const char *ns, store_any_fn fn, void *arg)
{
	sqlite3_stmt	*st;

	if (sqlite3_prepare_v2(s->db, "SELECT grp, res, name, body FROM objects"
	    " WHERE ns=? ORDER BY grp, res, name", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, ns, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (fn(arg, (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2),
		    (const char *)sqlite3_column_text(st, 3)) != 0)
			break;
	}
	sqlite3_finalize(st);
	return 0;
}

int
store_events(struct sbx_store *s, long long after, store_event_fn fn,
    void *arg)
{
	sqlite3_stmt	*st;

	if (sqlite3_prepare_v2(s->db, "SELECT rv, type, grp, res, ns, body"
	    " FROM events WHERE rv>? ORDER BY rv", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, after);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (fn(arg, sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2),
		    (const char *)sqlite3_column_text(st, 3),
		    (const char *)sqlite3_column_text(st, 4),
		    (const char *)sqlite3_column_text(st, 5)) != 0)
			break;
	}
	sqlite3_finalize(st);
	return 0;
}

static int
collect_json(void *arg, const char *ns, const char *name, const char *json)
{
	cJSON	*o = cJSON_Parse(json);

	(void)ns;
	(void)name;
	if (o != NULL)
		cJSON_AddItemToArray(arg, o);
	return 0;
}

cJSON *
store_list_json(struct sbx_store *s, const char *grp, const char *res,
    const char *ns)
{
	cJSON	*a = cJSON_CreateArray();

	if (s != NULL)
		store_list(s, grp, res, ns, NULL, collect_json, a);
	return a;
}
