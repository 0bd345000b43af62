/*
 * sse.c: the incremental Server-Sent Events parser (see sse.h).
 */
#include <stdlib.h>
#include <string.h>

#include "sse.h"
#include "xalloc.h"

struct sse {
	sse_cb		 cb;		/* event callback */
	void		*arg;		/* its argument */
	struct strbuf	 line;		/* the line being assembled */
	struct strbuf	 data;		/* data lines of the pending event */
	struct strbuf	 event;		/* event type of the pending event */
	struct strbuf	 id;		/* last event id */
	long		 retry;		/* last retry value, -1 if none */
	int		 has_data;	/* a data: field was seen */
	int		 pending;	/* any field seen since last dispatch */
	int		 after_cr;	/* last byte was CR: skip a next LF */
	int		 bom_checked;	/* leading UTF-8 BOM handled */
	size_t		 max_line;	/* 0 = unbounded */
	size_t		 ncomments;	/* comment lines seen */
	size_t		 nevents;	/* events dispatched */
};

struct sse *
sse_new(sse_cb cb, void *arg)
{
	struct sse	*s;

	s = xcalloc(1, sizeof *s);
	s->cb = cb;
	s->arg = arg;
	s->retry = -1;
	sb_adds(&s->id, "");
	return s;
}

void
sse_free(struct sse *s)
{
	if (s == NULL)
		return;
	sb_free(&s->line);
	sb_free(&s->data);
	sb_free(&s->event);
	sb_free(&s->id);
	free(s);
}

void
sse_reset(struct sse *s)
{
	sb_reset(&s->line);
	sb_reset(&s->data);
	sb_reset(&s->event);
	sb_reset(&s->id);
	sb_adds(&s->id, "");
	s->retry = -1;
	s->has_data = s->pending = s->after_cr = s->bom_checked = 0;
	s->ncomments = s->nevents = 0;
}

void
sse_set_max_line(struct sse *s, size_t n)
{
	s->max_line = n;
}

size_t
sse_comments(const struct sse *s)
{
	return s->ncomments;
}

size_t
sse_events(const struct sse *s)
{
	return s->nevents;
}

/* Dispatch the pending event; returns the callback's verdict. */
static int
dispatch(struct sse *s)
{
	struct sse_event	 ev;
	int			 rc = 0;

	if (s->has_data) {
		/* The spec drops the last LF of the joined data. */
		if (s->data.len > 0 && s->data.buf[s->data.len - 1] == '\n')
			s->data.buf[--s->data.len] = '\0';
		ev.event = s->event.len ? s->event.buf : "message";
		ev.data = s->data.buf ? s->data.buf : "";
		ev.data_len = s->data.len;
		ev.id = s->id.buf;
		ev.retry = s->retry;
		s->nevents++;
		rc = s->cb != NULL ? s->cb(&ev, s->arg) : 0;
	}
	sb_reset(&s->data);
	sb_reset(&s->event);
	s->has_data = s->pending = 0;
	return rc;
}

/* Process one complete line (without its terminator). */
static int
process_line(struct sse *s, const char *l, size_t n)
{
	const char	*colon, *val;
	size_t		 flen, vlen;
	char		*end;
	long		 r;

	if (n == 0)
		return dispatch(s);
	if (l[0] == ':') {
		s->ncomments++;
		return 0;
	}
	colon = memchr(l, ':', n);
	if (colon != NULL) {
		flen = (size_t)(colon - l);
		val = colon + 1;
		vlen = n - flen - 1;
		if (vlen > 0 && *val == ' ') {
			val++;
			vlen--;
		}
	} else {
		flen = n;
		val = "";
		vlen = 0;
	}
	s->pending = 1;
	if (flen == 4 && memcmp(l, "data", 4) == 0) {
		sb_add(&s->data, val, vlen);
		sb_addc(&s->data, '\n');
		s->has_data = 1;
	} else if (flen == 5 && memcmp(l, "event", 5) == 0) {
		sb_reset(&s->event);
		sb_add(&s->event, val, vlen);
	} else if (flen == 2 && memcmp(l, "id", 2) == 0) {
		if (memchr(val, '\0', vlen) == NULL) {
			sb_reset(&s->id);
			sb_add(&s->id, val, vlen);
		}
	} else if (flen == 5 && memcmp(l, "retry", 5) == 0 && vlen > 0 &&
	    vlen < 19 && strspn(val, "0123456789") >= vlen) {
		char	 buf[20];

		memcpy(buf, val, vlen);
		buf[vlen] = '\0';
		r = strtol(buf, &end, 10);
		s->retry = r;
	}
	return 0;
}

int
sse_feed(struct sse *s, const char *buf, size_t len, struct err *e)
{
	size_t	 i = 0, start;
	int	 rc;

	if (!s->bom_checked && len > 0) {
		/* A UTF-8 BOM may start the stream; it may arrive split. */
		size_t have = s->line.len, k;
		const unsigned char bom[] = { 0xef, 0xbb, 0xbf };

		for (k = 0; k < len && have + k < 3; k++)
			if ((unsigned char)buf[k] != bom[have + k])
				break;
		if (have + k == 3) {
			sb_reset(&s->line);
			i = k;
			s->bom_checked = 1;
		} else if (k == len && have + k < 3) {
			sb_add(&s->line, buf, len);
			return 0;
		} else
			s->bom_checked = 1;
	}
	while (i < len) {
		if (s->after_cr) {
			s->after_cr = 0;
			if (buf[i] == '\n') {
				i++;
				continue;
			}
		}
		start = i;
		while (i < len && buf[i] != '\n' && buf[i] != '\r')
			i++;
		if (s->max_line != 0 && s->line.len + (i - start) >
		    s->max_line)
			return err_set(e, EXIT_ERR, "event stream line longer "
			    "than %zu bytes", s->max_line);
		if (i == len) {
			sb_add(&s->line, buf + start, i - start);
			break;
		}
		if (buf[i] == '\r')
			s->after_cr = 1;
		i++;
		if (s->line.len > 0) {
			sb_add(&s->line, buf + start, i - 1 - start);
			rc = process_line(s, s->line.buf, s->line.len);
			sb_reset(&s->line);
		} else
			rc = process_line(s, buf + start, i - 1 - start);
		if (rc != 0)
			return 1;
	}
	return 0;
}

int
sse_finish(struct sse *s)
{
	int	 had;

	had = s->pending || s->line.len > 0;
	sb_reset(&s->line);
	sb_reset(&s->data);
	sb_reset(&s->event);
	s->has_data = s->pending = 0;
	return had;
}
