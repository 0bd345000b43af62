/*
 * curl_dl.c: the curl_* functions maasctl calls, forwarded to libcurl.so.4
 * opened with dlopen on first use (see curl_dl.h for why).  Every function
 * here has libcurl's own prototype (from <curl/curl.h>); the variadic
 * setopt/getinfo functions forward their one argument by its type, which
 * the option number says (curl.h: LONG below 10000, OBJECTPOINT from
 * 10000, FUNCTIONPOINT from 20000, OFF_T from 30000, BLOB from 40000;
 * getinfo always takes a pointer).
 */
#define CURL_DISABLE_TYPECHECK 1

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>

#include "curl_dl.h"

/* The functions forwarded: name, return type, parameters, arguments. */
#define CURL_DL_FUNCS(X) \
	X(curl_easy_init, CURL *, (void), ()) \
	X(curl_easy_cleanup, void, (CURL *a), (a)) \
	X(curl_easy_perform, CURLcode, (CURL *a), (a)) \
	X(curl_easy_reset, void, (CURL *a), (a)) \
	X(curl_easy_strerror, const char *, (CURLcode a), (a)) \
	X(curl_easy_escape, char *, (CURL *a, const char *b, int c), (a, b, c)) \
	X(curl_free, void, (void *a), (a)) \
	X(curl_getdate, time_t, (const char *a, const time_t *b), (a, b)) \
	X(curl_global_init, CURLcode, (long a), (a)) \
	X(curl_global_cleanup, void, (void), ()) \
	X(curl_multi_init, CURLM *, (void), ()) \
	X(curl_multi_add_handle, CURLMcode, (CURLM *a, CURL *b), (a, b)) \
	X(curl_multi_remove_handle, CURLMcode, (CURLM *a, CURL *b), (a, b)) \
	X(curl_multi_assign, CURLMcode, (CURLM *a, curl_socket_t b, void *c), \
	    (a, b, c)) \
	X(curl_multi_cleanup, CURLMcode, (CURLM *a), (a)) \
	X(curl_multi_info_read, CURLMsg *, (CURLM *a, int *b), (a, b)) \
	X(curl_multi_socket_action, CURLMcode, (CURLM *a, curl_socket_t b, \
	    int c, int *d), (a, b, c, d)) \
	X(curl_share_init, CURLSH *, (void), ()) \
	X(curl_share_cleanup, CURLSHcode, (CURLSH *a), (a)) \
	X(curl_slist_append, struct curl_slist *, (struct curl_slist *a, \
	    const char *b), (a, b)) \
	X(curl_slist_free_all, void, (struct curl_slist *a), (a)) \
	X(curl_url, CURLU *, (void), ()) \
	X(curl_url_cleanup, void, (CURLU *a), (a)) \
	X(curl_url_get, CURLUcode, (CURLU *a, CURLUPart b, char **c, \
	    unsigned int d), (a, b, c, d)) \
	X(curl_url_set, CURLUcode, (CURLU *a, CURLUPart b, const char *c, \
	    unsigned int d), (a, b, c, d)) \
	X(curl_url_strerror, const char *, (CURLUcode a), (a)) \
	X(curl_version, char *, (void), ()) \
	X(curl_version_info, curl_version_info_data *, (CURLversion a), (a))

/* The variadic ones, called with exactly one argument. */
#define CURL_DL_VFUNCS(X) \
	X(curl_easy_setopt, CURLcode, (CURL *, CURLoption, ...)) \
	X(curl_easy_getinfo, CURLcode, (CURL *, CURLINFO, ...)) \
	X(curl_multi_setopt, CURLMcode, (CURLM *, CURLMoption, ...)) \
	X(curl_share_setopt, CURLSHcode, (CURLSH *, CURLSHoption, ...))

/* Pointers to the real functions. */
static struct {
#define X(name, ret, params, args) ret (*name) params;
	CURL_DL_FUNCS(X)
#undef X
#define X(name, ret, params) ret (*name) params;
	CURL_DL_VFUNCS(X)
#undef X
} real;

static pthread_once_t	 curl_dl_once = PTHREAD_ONCE_INIT;
static int		 curl_dl_ok;
static char		 curl_dl_why[512];

/* Any function pointer travels through varargs as this type. */
typedef void (*curl_dl_fn)(void);

static void
curl_dl_open(void)
{
	void		*h;
	const char	*missing = NULL;
	const char	*e;

	h = dlopen(CURL_DL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		e = dlerror();
		snprintf(curl_dl_why, sizeof curl_dl_why, "%s",
		    e != NULL ? e : "not found");
		return;
	}
#define X(name, ret, params, args) \
	if ((*(void **)&real.name = dlsym(h, #name)) == NULL && \
	    missing == NULL) \
		missing = #name;
	CURL_DL_FUNCS(X)
#undef X
#define X(name, ret, params) \
	if ((*(void **)&real.name = dlsym(h, #name)) == NULL && \
	    missing == NULL) \
		missing = #name;
	CURL_DL_VFUNCS(X)
#undef X
	if (missing != NULL) {
		snprintf(curl_dl_why, sizeof curl_dl_why, "it has no %s (too "
		    "old)", missing);
		return;
	}
	curl_dl_ok = 1;
}

int
curl_dl_load(struct err *e)
{
	pthread_once(&curl_dl_once, curl_dl_open);
	if (curl_dl_ok)
		return 0;
	err_set(e, EXIT_ERR, "cannot load %s: %s", CURL_DL_SONAME,
	    curl_dl_why);
	err_hint(e, "install the %s package (libcurl with OpenSSL)",
	    CURL_DL_PACKAGE);
	return -1;
}

int
curl_dl_loaded(void)
{
	return curl_dl_ok;
}

/*
 * The fallback for a curl_* call made without curl_dl_load() first: the
 * same error, printed, and exit status 1 (nothing else can go on).
 */
static void
need(void)
{
	pthread_once(&curl_dl_once, curl_dl_open);
	if (curl_dl_ok)
		return;
	fprintf(stderr, "maasctl: cannot load %s: %s\nhint: install the %s "
	    "package (libcurl with OpenSSL)\n", CURL_DL_SONAME, curl_dl_why,
	    CURL_DL_PACKAGE);
	exit(EXIT_ERR);
}

#define X(name, ret, params, args) \
ret \
name params \
{ \
	need(); \
	return real.name args; \
}
CURL_DL_FUNCS(X)
#undef X

CURLcode
curl_easy_setopt(CURL *c, CURLoption opt, ...)
{
	va_list		 ap;
	CURLcode	 rc;

	need();
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = real.curl_easy_setopt(c, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		rc = real.curl_easy_setopt(c, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = real.curl_easy_setopt(c, opt, va_arg(ap, curl_dl_fn));
	else if (opt < CURLOPTTYPE_BLOB)
		rc = real.curl_easy_setopt(c, opt, va_arg(ap, curl_off_t));
	else
		rc = real.curl_easy_setopt(c, opt, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLcode
curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	va_list		 ap;
	CURLcode	 rc;

	need();
	va_start(ap, info);
	rc = real.curl_easy_getinfo(c, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLMcode
curl_multi_setopt(CURLM *m, CURLMoption opt, ...)
{
	va_list		 ap;
	CURLMcode	 rc;

	need();
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = real.curl_multi_setopt(m, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		rc = real.curl_multi_setopt(m, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = real.curl_multi_setopt(m, opt, va_arg(ap, curl_dl_fn));
	else
		rc = real.curl_multi_setopt(m, opt, va_arg(ap, curl_off_t));
	va_end(ap);
	return rc;
}

CURLSHcode
curl_share_setopt(CURLSH *s, CURLSHoption opt, ...)
{
	va_list		 ap;
	CURLSHcode	 rc;

	need();
	va_start(ap, opt);
	switch (opt) {
	case CURLSHOPT_SHARE:
	case CURLSHOPT_UNSHARE:
		rc = real.curl_share_setopt(s, opt, va_arg(ap, int));
		break;
	case CURLSHOPT_LOCKFUNC:
	case CURLSHOPT_UNLOCKFUNC:
		rc = real.curl_share_setopt(s, opt, va_arg(ap, curl_dl_fn));
		break;
	default:
		rc = real.curl_share_setopt(s, opt, va_arg(ap, void *));
		break;
	}
	va_end(ap);
	return rc;
}
