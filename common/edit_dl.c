/*
 * edit_dl.c: the libedit functions the REPL calls, forwarded to
 * libedit.so.2 opened on first use (see lazylib.h), so no other command
 * maps libedit and the libraries it needs (ncurses' libtinfo, libbsd).
 *
 * el_set, el_wset, el_get and history are variadic: each op's arguments
 * are forwarded as histedit.h defines them.  EL_HIST hands libedit the
 * real history function, never this file's, so libedit's own calls to it
 * do not come back through here.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

#include <histedit.h>

#include "edit_dl.h"
#include "lazylib.h"

/* The functions forwarded: name, return type, parameters, arguments. */
#define EDIT_DL_FUNCS(X) \
	X(el_init, EditLine *, (const char *a, FILE *b, FILE *c, FILE *d), \
	    (a, b, c, d)) \
	X(el_end, void, (EditLine *a), (a)) \
	X(el_reset, void, (EditLine *a), (a)) \
	X(el_gets, const char *, (EditLine *a, int *b), (a, b)) \
	X(el_source, int, (EditLine *a, const char *b), (a, b)) \
	X(el_line, const LineInfo *, (EditLine *a), (a)) \
	X(el_insertstr, int, (EditLine *a, const char *b), (a, b)) \
	X(history_init, History *, (void), ()) \
	X(history_end, void, (History *a), (a))

/* The variadic ones. */
#define EDIT_DL_VFUNCS(X) \
	X(el_set, int, (EditLine *, int, ...)) \
	X(el_wset, int, (EditLine *, int, ...)) \
	X(el_get, int, (EditLine *, int, ...)) \
	X(history, int, (History *, HistEvent *, int, ...))

enum {
#define X(name, ret, params, args) I_##name,
	EDIT_DL_FUNCS(X)
#undef X
#define X(name, ret, params) I_##name,
	EDIT_DL_VFUNCS(X)
#undef X
	N_SYMS
};

static const char *const names[] = {
#define X(name, ret, params, args) #name,
	EDIT_DL_FUNCS(X)
#undef X
#define X(name, ret, params) #name,
	EDIT_DL_VFUNCS(X)
#undef X
	NULL
};

static void		*slots[N_SYMS];
static struct lazylib	 libedit = { "libedit.so.2", "libedit2",
    "line editing, for the REPL", names, slots, PTHREAD_ONCE_INIT, 0, "" };

#define REAL(name, ret, params)	((ret (*)params)slots[I_##name])

/* Function pointers travel through varargs as this type. */
typedef void (*edit_fn)(void);
typedef int (*hist_fn)(History *, HistEvent *, int, ...);

int
edit_dl_load(struct err *e)
{
	return lazylib_load(&libedit, e);
}

#define X(name, ret, params, args) \
ret \
name params \
{ \
	lazylib_need(&libedit); \
	return REAL(name, ret, params) args; \
}
EDIT_DL_FUNCS(X)
#undef X

/* An op this file does not forward: a programming error, said plainly. */
static void __attribute__((noreturn))
unforwarded(const char *fn, int op)
{
	fprintf(stderr, "maasctl: internal error: %s op %d is not forwarded "
	    "to libedit (common/edit_dl.c)\n", fn, op);
	abort();
}

/* el_set and el_wset share their ops' argument shapes. */
static int
set_op(int (*real)(EditLine *, int, ...), const char *fn, EditLine *el,
    int op, va_list ap)
{
	void		*p[8];
	edit_fn		 f;
	int		 n;

	switch (op) {
	case EL_PROMPT:
	case EL_RPROMPT:
	case EL_GETCFN:
		return real(el, op, va_arg(ap, edit_fn));
	case EL_TERMINAL:
	case EL_EDITOR:
	case EL_CLIENTDATA:
		return real(el, op, va_arg(ap, void *));
	case EL_SIGNAL:
	case EL_EDITMODE:
	case EL_UNBUFFERED:
	case EL_PREP_TERM:
	case EL_SAFEREAD:
		return real(el, op, va_arg(ap, int));
	case EL_REFRESH:
		return real(el, op);
	case EL_HIST:
		f = va_arg(ap, edit_fn);
		if (f == (edit_fn)history)
			f = (edit_fn)slots[I_history];
		return real(el, op, f, va_arg(ap, void *));
	case EL_ADDFN:
		p[0] = va_arg(ap, void *);
		p[1] = va_arg(ap, void *);
		return real(el, op, p[0], p[1], va_arg(ap, edit_fn));
	case EL_SETFP:
		n = va_arg(ap, int);
		return real(el, op, n, va_arg(ap, FILE *));
	case EL_BIND:
	case EL_TELLTC:
	case EL_SETTC:
	case EL_ECHOTC:
	case EL_SETTY:
		/* Strings up to a NULL: at most 7 here. */
		for (n = 0; n < 8; n++) {
			p[n] = va_arg(ap, void *);
			if (p[n] == NULL)
				break;
		}
		if (n == 8)
			unforwarded(fn, op);
		return real(el, op, p[0], p[1], p[2], p[3], p[4], p[5], p[6],
		    NULL);
	default:
		unforwarded(fn, op);
	}
}

int
el_set(EditLine *el, int op, ...)
{
	va_list	 ap;
	int	 r;

	lazylib_need(&libedit);
	va_start(ap, op);
	r = set_op(REAL(el_set, int, (EditLine *, int, ...)), "el_set", el,
	    op, ap);
	va_end(ap);
	return r;
}

int
el_wset(EditLine *el, int op, ...)
{
	va_list	 ap;
	int	 r;

	lazylib_need(&libedit);
	va_start(ap, op);
	r = set_op(REAL(el_wset, int, (EditLine *, int, ...)), "el_wset", el,
	    op, ap);
	va_end(ap);
	return r;
}

int
el_get(EditLine *el, int op, ...)
{
	va_list	 ap;
	int	 r, n;

	lazylib_need(&libedit);
	va_start(ap, op);
	switch (op) {
	case EL_GETFP:
		n = va_arg(ap, int);
		r = REAL(el_get, int, (EditLine *, int, ...))(el, op, n,
		    va_arg(ap, void *));
		break;
	case EL_GETTC:
		unforwarded("el_get", op);
	default:
		/* Every other get takes one pointer to the result. */
		r = REAL(el_get, int, (EditLine *, int, ...))(el, op,
		    va_arg(ap, void *));
		break;
	}
	va_end(ap);
	return r;
}

int
history(History *h, HistEvent *ev, int op, ...)
{
	hist_fn	 real;
	va_list	 ap;
	int	 r, n;

	lazylib_need(&libedit);
	real = (hist_fn)slots[I_history];
	va_start(ap, op);
	switch (op) {
	case H_GETSIZE:
	case H_FIRST:
	case H_LAST:
	case H_PREV:
	case H_NEXT:
	case H_END:
	case H_CLEAR:
	case H_GETUNIQUE:
		r = real(h, ev, op);
		break;
	case H_SETSIZE:
	case H_CURR:
	case H_SET:
	case H_NEXT_EVENT:
	case H_PREV_EVENT:
	case H_SETUNIQUE:
	case H_DEL:
		r = real(h, ev, op, va_arg(ap, int));
		break;
	case H_ADD:
	case H_ENTER:
	case H_APPEND:
	case H_NEXT_STR:
	case H_PREV_STR:
	case H_LOAD:
	case H_SAVE:
	case H_SAVE_FP:
		r = real(h, ev, op, va_arg(ap, void *));
		break;
	case H_NEXT_EVDATA:
	case H_DELDATA:
		n = va_arg(ap, int);
		r = real(h, ev, op, n, va_arg(ap, void *));
		break;
	case H_NSAVE_FP:
		{
			size_t	 sz = va_arg(ap, size_t);

			r = real(h, ev, op, sz, va_arg(ap, void *));
		}
		break;
	default:
		unforwarded("history", op);
	}
	va_end(ap);
	return r;
}
