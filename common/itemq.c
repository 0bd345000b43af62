/*
 * itemq.c: a list's items parsed on a second thread.  The thread that
 * reads the reply splits it into items and queues their text in batches;
 * this one parses each (json_parse) and hands it to the callback, in
 * order, so reading and decrypting the next bytes and parsing the last
 * ones go on at once.  At most ITEMQ_MAX bytes wait in the queue: the
 * reader waits for room, and memory stays that of a few batches.  Each
 * tree is parsed into the thread's arena (json_arena.h) and dropped with
 * it once the callback has seen it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "itemq.h"
#include "json.h"
#include "json_arena.h"
#include "xalloc.h"

#define ITEMQ_BATCH	(32 * 1024)	/* bytes of items handed over at once */
#define ITEMQ_MAX	(256 * 1024)	/* bytes queued before add waits */

/* Items added together: each a size_t length, its index, then its text. */
struct batch {
	struct batch	*next;
	struct strbuf	 buf;
	char		*path;		/* the reply they came from */
};

struct itemq {
	pthread_t	 tid;
	pthread_mutex_t	 mu;
	pthread_cond_t	 work;		/* a batch queued, or done */
	pthread_cond_t	 room;		/* a batch taken off the queue */
	struct batch	*head, *tail;	/* queued */
	struct batch	*spare;		/* parsed, for reuse */
	struct batch	*cur;		/* being filled (adding thread only) */
	size_t		 queued;	/* bytes in queued batches */
	int		 done;		/* no more batches */
	int		 discard;	/* drop what is queued */
	int		 failed;	/* an item did not parse: err */
	int		 stopped;	/* fn returned non-zero */
	struct err	 err;
	itemq_fn	 fn;
	void		*arg;
	struct json_arena arena;	/* the tree being handed over */
};

static struct batch *
batch_get(struct itemq *q)
{
	struct batch	*b;

	if ((b = q->spare) != NULL) {
		q->spare = b->next;
		b->next = NULL;
		sb_reset(&b->buf);
		return b;
	}
	b = xcalloc(1, sizeof *b);
	sb_init(&b->buf);
	return b;
}

static void
batch_free(struct batch *b)
{
	sb_free(&b->buf);
	free(b->path);
	free(b);
}

/* Parse and hand over one batch's items (on the queue's thread). */
static void
batch_run(struct itemq *q, struct batch *b)
{
	struct err	 e = ERR_INIT;
	const char	*p = b->buf.buf, *end = b->buf.buf + b->buf.len;
	size_t		 len, index;
	cJSON		*it;
	int		 rc;

	while (p < end) {
		memcpy(&len, p, sizeof len);
		memcpy(&index, p + sizeof len, sizeof index);
		p += 2 * sizeof len;
		json_arena_use(&q->arena);
		it = json_parse(p, len, &e);
		json_arena_use(NULL);
		if (it == NULL) {
			json_arena_reset(&q->arena);
			err_wrap(&e, "item %zu", index);
			err_wrap(&e, "decoding the reply to GET %s", b->path);
			pthread_mutex_lock(&q->mu);
			q->failed = 1;
			err_move(&q->err, &e);
			pthread_mutex_unlock(&q->mu);
			return;
		}
		rc = q->fn(q->arg, it);
		json_arena_reset(&q->arena);	/* it, all at once */
		if (rc != 0) {
			pthread_mutex_lock(&q->mu);
			q->stopped = 1;
			pthread_mutex_unlock(&q->mu);
			return;
		}
		p += len;
	}
}

static void *
itemq_main(void *arg)
{
	struct itemq	*q = arg;
	struct batch	*b;
	int		 skip;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (q->head == NULL && !q->done)
			pthread_cond_wait(&q->work, &q->mu);
		if ((b = q->head) == NULL)
			break;
		q->head = b->next;
		if (q->head == NULL)
			q->tail = NULL;
		skip = q->failed || q->stopped || q->discard;
		pthread_mutex_unlock(&q->mu);
		if (!skip)
			batch_run(q, b);
		pthread_mutex_lock(&q->mu);
		q->queued -= b->buf.len;
		b->next = q->spare;
		q->spare = b;
		pthread_cond_signal(&q->room);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

struct itemq *
itemq_start(itemq_fn fn, void *arg)
{
	struct itemq	*q = xcalloc(1, sizeof *q);

	q->fn = fn;
	q->arg = arg;
	json_arena_hooks();	/* before the thread: none is inside cJSON */
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->work, NULL);
	pthread_cond_init(&q->room, NULL);
	if (pthread_create(&q->tid, NULL, itemq_main, q) != 0) {
		pthread_cond_destroy(&q->room);
		pthread_cond_destroy(&q->work);
		pthread_mutex_destroy(&q->mu);
		free(q);
		return NULL;
	}
	return q;
}

/* What the queue's thread has said so far: 0, 1 stopped, -1 failed. */
static int
itemq_state(const struct itemq *q)
{
	return q->failed ? -1 : q->stopped ? 1 : 0;
}

int
itemq_flush(struct itemq *q)
{
	struct batch	*b = q->cur;
	int		 rc;

	pthread_mutex_lock(&q->mu);
	if (b != NULL && b->buf.len > 0) {
		while (q->queued >= ITEMQ_MAX && itemq_state(q) == 0)
			pthread_cond_wait(&q->room, &q->mu);
		q->cur = NULL;
		b->next = NULL;
		if (q->tail != NULL)
			q->tail->next = b;
		else
			q->head = b;
		q->tail = b;
		q->queued += b->buf.len;
		pthread_cond_signal(&q->work);
	}
	rc = itemq_state(q);
	pthread_mutex_unlock(&q->mu);
	return rc;
}

int
itemq_add(struct itemq *q, const char *text, size_t len, size_t index,
    const char *path)
{
	struct batch	*b;
	int		 rc;

	if ((b = q->cur) == NULL) {
		pthread_mutex_lock(&q->mu);
		b = q->cur = batch_get(q);
		pthread_mutex_unlock(&q->mu);
	}
	/* A batch holds the items of one reply: the path names them all. */
	if (b->buf.len > 0 && strcmp(b->path, path) != 0) {
		if ((rc = itemq_flush(q)) != 0)
			return rc;
		return itemq_add(q, text, len, index, path);
	}
	if (b->buf.len == 0) {
		free(b->path);
		b->path = xstrdup(path);
	}
	sb_add(&b->buf, &len, sizeof len);
	sb_add(&b->buf, &index, sizeof index);
	sb_add(&b->buf, text, len);
	if (b->buf.len >= ITEMQ_BATCH)
		return itemq_flush(q);
	return 0;
}

int
itemq_finish(struct itemq *q, int discard, struct err *e)
{
	struct batch	*b;
	int		 rc;

	if (!discard)
		itemq_flush(q);
	pthread_mutex_lock(&q->mu);
	q->done = 1;
	q->discard = discard;
	pthread_cond_signal(&q->work);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->tid, NULL);
	rc = itemq_state(q);
	if (rc < 0)
		err_move(e, &q->err);
	err_clear(&q->err);
	if (q->cur != NULL)
		batch_free(q->cur);
	while ((b = q->spare) != NULL) {
		q->spare = b->next;
		batch_free(b);
	}
	json_arena_free(&q->arena);
	pthread_cond_destroy(&q->room);
	pthread_cond_destroy(&q->work);
	pthread_mutex_destroy(&q->mu);
	free(q);
	return rc;
}
