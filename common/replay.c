/*
 * replay.c: read an earlier run's --raw NDJSON back as a schedule and send
 * its requests again (see replay.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "replay.h"
#include "xalloc.h"

static int
item_cmp(const void *a, const void *b)
{
	const struct rp_item *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* One --raw line into *it; 1 when it is a warm-up request (skipped). */
static int
item_parse(const cJSON *o, const char *path, size_t line,
    struct rp_item *it, struct rp *rp, struct err *e)
{
	const cJSON	*seq, *at, *cls, *v;

	seq = cJSON_GetObjectItem(o, "seq");
	at = cJSON_GetObjectItem(o, "intended_ms");
	if (!cJSON_IsNumber(seq) || seq->valuedouble < 0 ||
	    !cJSON_IsNumber(at) || at->valuedouble < 0)
		return err_set(e, EXIT_USAGE, "replay %s line %zu: not a "
		    "bench --raw record (want seq and intended_ms)", path,
		    line);
	if (cJSON_IsTrue(cJSON_GetObjectItem(o, "warmup")))
		return 1;
	memset(it, 0, sizeof *it);
	it->seq = (uint64_t)seq->valuedouble;
	it->at = (int64_t)(at->valuedouble * 1e6 + 0.5);
	cls = cJSON_GetObjectItem(o, "class");
	it->cls = xstrdup(cJSON_IsString(cls) && cls->valuestring[0] != '\0' ?
	    cls->valuestring : "default");
	v = cJSON_GetObjectItem(o, "prompt_tokens");
	it->prompt_tokens = cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
	it->ok = json_str(o, "outcome") != NULL &&
	    strcmp(json_str(o, "outcome"), "ok") == 0;
	it->session = it->turn = -1;
	if (cJSON_IsNumber(v = cJSON_GetObjectItem(o, "turn")) &&
	    v->valuedouble >= 1 && cJSON_IsNumber(cJSON_GetObjectItem(o,
	    "session"))) {
		it->turn = (long)v->valuedouble - 1;
		it->session = (long)json_num(o, "session", 0);
	}
	v = cJSON_GetObjectItem(o, "seed");
	if (cJSON_IsNumber(v) && v->valuedouble >= 0) {
		rp->seed = (uint64_t)v->valuedouble;
		rp->has_seed = 1;
	}
	return 0;
}

int
rp_load(struct rp *rp, const char *path, struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	struct err	 pe = ERR_INIT;
	char		 buf[65536];
	const char	*p, *nl;
	size_t		 n, cap = 0, line = 0;
	cJSON		*o;
	FILE		*f;
	int		 rc = -1, r;

	memset(rp, 0, sizeof *rp);
	if ((f = fopen(path, "r")) == NULL)
		return err_set(e, EXIT_USAGE, "bench: cannot read replay %s: "
		    "%s", path, strerror(errno));
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(&sb, buf, n);
	fclose(f);
	for (p = sb.buf ? sb.buf : ""; *p != '\0'; p = *nl ? nl + 1 : nl) {
		line++;
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		while (p < nl && isspace((unsigned char)*p))
			p++;
		if (p == nl)
			continue;
		if ((o = json_parse(p, (size_t)(nl - p), &pe)) == NULL ||
		    !cJSON_IsObject(o)) {
			err_set(e, EXIT_USAGE, "bench: replay %s line %zu: %s",
			    path, line, pe.msg ? pe.msg : "want a JSON object");
			err_clear(&pe);
			cJSON_Delete(o);
			goto out;
		}
		if (rp->n == cap) {
			cap = cap ? cap * 2 : 256;
			rp->v = xrealloc(rp->v, cap * sizeof *rp->v);
		}
		r = item_parse(o, path, line, &rp->v[rp->n], rp, e);
		cJSON_Delete(o);
		if (r < 0) {
			err_wrap(e, "bench");
			goto out;
		}
		if (r == 0)
			rp->n++;
	}
	if (rp->n == 0) {
		err_set(e, EXIT_USAGE, "bench: replay %s has no measured "
		    "request (a file written by bench --raw)", path);
		goto out;
	}
	qsort(rp->v, rp->n, sizeof *rp->v, item_cmp);
	for (n = rp->n; n-- > 0;)
		rp->v[n].at -= rp->v[0].at;
	rp->span = (double)rp->v[rp->n - 1].at / 1e9;
	rc = 0;
out:
	sb_free(&sb);
	if (rc != 0)
		rp_free(rp);
	return rc;
}

int
rp_bind(struct rp *rp, const struct wl_mix *mix, const char *path,
    struct err *e)
{
	size_t	 i, k;

	for (i = 0; i < rp->n; i++) {
		for (k = 0; k < mix->n; k++)
			if (strcmp(mix->names[k], rp->v[i].cls) == 0)
				break;
		if (k == mix->n)
			return err_set(e, EXIT_USAGE, "bench: replay %s: class "
			    "\"%s\" is not one of this run's classes (give "
			    "the same --class options)", path, rp->v[i].cls);
		rp->v[i].cls_index = k;
	}
	rp->mix = mix;
	return 0;
}

uint64_t *
rp_seqs(const struct rp *rp)
{
	uint64_t	*d = xcalloc(rp->n ? rp->n : 1, sizeof *d);
	size_t		 i;

	for (i = 0; i < rp->n; i++)
		d[i] = rp->v[i].seq;
	return d;
}

int64_t *
rp_schedule(const struct rp *rp)
{
	int64_t	*d = xcalloc(rp->n ? rp->n : 1, sizeof *d);
	size_t	 i;

	for (i = 0; i < rp->n; i++)
		d[i] = rp->v[i].at;
	return d;
}

int
rp_body(void *arg, uint64_t i, struct lg_body *b, struct err *e)
{
	struct rp		*rp = arg;
	const struct rp_item	*it = &rp->v[i % rp->n];
	size_t			 k = it->cls_index;

	/* A recorded conversation turn is rebuilt as such, whatever
	 * --sessions says now. */
	if (it->turn >= 0 && rp->mix->w[k].turns > 0) {
		if (wl_turn_body(&rp->mix->w[k], it->session, it->turn, b) != 0)
			return -1;
	} else if (wl_body(&rp->mix->w[k], it->seq, b, e) != 0)
		return -1;
	b->cls = (unsigned)k;
	b->url = rp->mix->urls[k];
	return 0;
}

void
rp_check(struct rp *rp, const struct lg_result *r)
{
	const struct rp_item	*it;

	if (r->warmup || r->seq >= rp->n)
		return;
	it = &rp->v[r->seq];
	if (!it->ok || r->klass != LG_OK || it->prompt_tokens < 0 ||
	    r->prompt_tokens < 0)
		return;
	rp->compared++;
	if (r->prompt_tokens != it->prompt_tokens)
		rp->differ++;
}

void
rp_free(struct rp *rp)
{
	size_t	 i;

	for (i = 0; i < rp->n; i++)
		free(rp->v[i].cls);
	free(rp->v);
	memset(rp, 0, sizeof *rp);
}
