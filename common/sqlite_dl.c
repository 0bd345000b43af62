/*
 * sqlite_dl.c: the sqlite3_* functions maasctl calls (the sandbox's store
 * and metrics), forwarded to libsqlite3.so.0 opened on first use (see
 * lazylib.h), so commands that never open the sandbox's database never
 * map SQLite.  sqlite3_mprintf goes through sqlite3_vmprintf.
 */
#include <pthread.h>
#include <stdarg.h>

#include <sqlite3.h>

#include "lazylib.h"
#include "sqlite_dl.h"

/* The functions forwarded: name, return type, parameters, arguments. */
#define SQLITE_DL_FUNCS(X) \
	X(sqlite3_bind_double, int, (sqlite3_stmt *a, int b, double c), \
	    (a, b, c)) \
	X(sqlite3_bind_int, int, (sqlite3_stmt *a, int b, int c), (a, b, c)) \
	X(sqlite3_bind_int64, int, (sqlite3_stmt *a, int b, sqlite3_int64 c), \
	    (a, b, c)) \
	X(sqlite3_bind_text, int, (sqlite3_stmt *a, int b, const char *c, \
	    int d, void (*f)(void *)), (a, b, c, d, f)) \
	X(sqlite3_busy_timeout, int, (sqlite3 *a, int b), (a, b)) \
	X(sqlite3_changes, int, (sqlite3 *a), (a)) \
	X(sqlite3_close, int, (sqlite3 *a), (a)) \
	X(sqlite3_column_double, double, (sqlite3_stmt *a, int b), (a, b)) \
	X(sqlite3_column_int, int, (sqlite3_stmt *a, int b), (a, b)) \
	X(sqlite3_column_int64, sqlite3_int64, (sqlite3_stmt *a, int b), \
	    (a, b)) \
	X(sqlite3_column_text, const unsigned char *, (sqlite3_stmt *a, \
	    int b), (a, b)) \
	X(sqlite3_column_type, int, (sqlite3_stmt *a, int b), (a, b)) \
	X(sqlite3_errmsg, const char *, (sqlite3 *a), (a)) \
	X(sqlite3_exec, int, (sqlite3 *a, const char *b, \
	    int (*c)(void *, int, char **, char **), void *d, char **f), \
	    (a, b, c, d, f)) \
	X(sqlite3_finalize, int, (sqlite3_stmt *a), (a)) \
	X(sqlite3_free, void, (void *a), (a)) \
	X(sqlite3_last_insert_rowid, sqlite3_int64, (sqlite3 *a), (a)) \
	X(sqlite3_libversion, const char *, (void), ()) \
	X(sqlite3_vmprintf, char *, (const char *a, va_list b), (a, b)) \
	X(sqlite3_open_v2, int, (const char *a, sqlite3 **b, int c, \
	    const char *d), (a, b, c, d)) \
	X(sqlite3_prepare_v2, int, (sqlite3 *a, const char *b, int c, \
	    sqlite3_stmt **d, const char **f), (a, b, c, d, f)) \
	X(sqlite3_reset, int, (sqlite3_stmt *a), (a)) \
	X(sqlite3_step, int, (sqlite3_stmt *a), (a))

enum {
#define X(name, ret, params, args) I_##name,
	SQLITE_DL_FUNCS(X)
#undef X
	N_SYMS
};

static const char *const names[] = {
#define X(name, ret, params, args) #name,
	SQLITE_DL_FUNCS(X)
#undef X
	NULL
};

static void		*slots[N_SYMS];
static struct lazylib	 libsqlite = { "libsqlite3.so.0", "libsqlite3-0",
    "SQLite, for the sandbox", names, slots, PTHREAD_ONCE_INIT, 0, "" };

#define REAL(name, ret, params)	((ret (*)params)slots[I_##name])

int
sqlite_dl_load(struct err *e)
{
	return lazylib_load(&libsqlite, e);
}

int
sqlite_dl_loaded(void)
{
	return libsqlite.ok;
}

#define X(name, ret, params, args) \
ret \
name params \
{ \
	lazylib_need(&libsqlite); \
	return REAL(name, ret, params) args; \
}
SQLITE_DL_FUNCS(X)
#undef X

char *
sqlite3_mprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	return s;
}
