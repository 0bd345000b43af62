/*
 * itemq.h: JSON items parsed on a second thread and handed, in the order
 * they were added, to a callback that runs on that thread.
 */
#ifndef MAAS_ITEMQ_H
#define MAAS_ITEMQ_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "err.h"

/* Called with each parsed item (freed after it returns: no part of it may
 * be kept, detached or freed); non-zero stops. */
typedef int (*itemq_fn)(void *arg, const cJSON *item);

struct itemq;

/* Start the thread; NULL when it cannot be started (do the work inline). */
struct itemq *itemq_start(itemq_fn, void *arg);
/*
 * Queue an item's JSON text (copied), item number index of the reply to
 * GET path (both for the error if it does not parse).  Waits while a few
 * hundred KiB are queued, so memory stays bounded.  0 queued, 1 fn has
 * asked to stop, -1 an earlier item did not parse (itemq_finish says
 * which): either way, add no more.
 */
int	 itemq_add(struct itemq *, const char *text, size_t len, size_t index,
	    const char *path);
/* Hand over what is queued so far without waiting for more: 0, 1 or -1
 * as itemq_add. */
int	 itemq_flush(struct itemq *);
/*
 * Let the thread finish what is queued (or, with discard, drop it), join
 * it and free q.  0 every item handed over, 1 fn stopped, -1 with e an
 * item that did not parse ("decoding the reply to GET P: item N: ...").
 */
int	 itemq_finish(struct itemq *, int discard, struct err *);

#endif
