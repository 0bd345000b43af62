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

#include <pthread.h>
#include <stdarg.h>

#include <curl/curl.h>

#include "curl_dl.h"
#include "lazylib.h"

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

enum {
#define X(name, ret, params, args) I_##name,
	CURL_DL_FUNCS(X)
#undef X
#define X(name, ret, params) I_##name,
	CURL_DL_VFUNCS(X)
#undef X
	N_SYMS
};

static const char *const names[] = {
#define X(name, ret, params, args) #name,
	CURL_DL_FUNCS(X)
#undef X
#define X(name, ret, params) #name,
	CURL_DL_VFUNCS(X)
#undef X
	NULL
};

static void		*slots[N_SYMS];
static struct lazylib	 libcurl = { CURL_DL_SONAME, CURL_DL_PACKAGE,
    "libcurl with OpenSSL", names, slots, PTHREAD_ONCE_INIT, 0, "" };

/* The real function behind a name, as its own type. */
#define REAL(name, ret, params)	((ret (*)params)slots[I_##name])

/* Any function pointer travels through varargs as this type. */
typedef void (*curl_dl_fn)(void);

int
curl_dl_load(struct err *e)
{
	return lazylib_load(&libcurl, e);
}

int
curl_dl_loaded(void)
{
	return libcurl.ok;
}

#define X(name, ret, params, args) \
ret \
name params \
{ \
	lazylib_need(&libcurl); \
	return REAL(name, ret, params) args; \
}
CURL_DL_FUNCS(X)
#undef X

CURLcode
curl_easy_setopt(CURL *c, CURLoption opt, ...)
{
	CURLcode	(*f)(CURL *, CURLoption, ...);
	va_list		 ap;
	CURLcode	 rc;

	lazylib_need(&libcurl);
	f = (void *)slots[I_curl_easy_setopt];
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = f(c, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		rc = f(c, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = f(c, opt, va_arg(ap, curl_dl_fn));
	else if (opt < CURLOPTTYPE_BLOB)
		rc = f(c, opt, va_arg(ap, curl_off_t));
	else
		rc = f(c, opt, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLcode
curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	CURLcode	(*f)(CURL *, CURLINFO, ...);
	va_list		 ap;
	CURLcode	 rc;

	lazylib_need(&libcurl);
	f = (void *)slots[I_curl_easy_getinfo];
	va_start(ap, info);
	rc = f(c, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLMcode
curl_multi_setopt(CURLM *m, CURLMoption opt, ...)
{
	CURLMcode	(*f)(CURLM *, CURLMoption, ...);
	va_list		 ap;
	CURLMcode	 rc;

	lazylib_need(&libcurl);
	f = (void *)slots[I_curl_multi_setopt];
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = f(m, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		rc = f(m, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = f(m, opt, va_arg(ap, curl_dl_fn));
	else
		rc = f(m, opt, va_arg(ap, curl_off_t));
	va_end(ap);
	return rc;
}

CURLSHcode
curl_share_setopt(CURLSH *s, CURLSHoption opt, ...)
{
	CURLSHcode	(*f)(CURLSH *, CURLSHoption, ...);
	va_list		 ap;
	CURLSHcode	 rc;

	lazylib_need(&libcurl);
	f = (void *)slots[I_curl_share_setopt];
	va_start(ap, opt);
	switch (opt) {
	case CURLSHOPT_SHARE:
	case CURLSHOPT_UNSHARE:
		rc = f(s, opt, va_arg(ap, int));
		break;
	case CURLSHOPT_LOCKFUNC:
	case CURLSHOPT_UNLOCKFUNC:
		rc = f(s, opt, va_arg(ap, curl_dl_fn));
		break;
	default:
		rc = f(s, opt, va_arg(ap, void *));
		break;
	}
	va_end(ap);
	return rc;
}
