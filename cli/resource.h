/*
 * resource.h: type resolution shared by the generic verbs (resource.c)
 * and the commands built on them (wait, describe, publish, status).
 */
#ifndef MAAS_RESOURCE_H
#define MAAS_RESOURCE_H

#include "cmd.h"
#include "kube.h"

/*
 * Resolve a type the way kubectl does: Kind, plural, singular or short
 * name, optionally followed by ".group", in the core group first, then in
 * every group of /apis; kubectl's "the server doesn't have a resource
 * type" error (exit 4) when none serves it.
 */
int	 resource_resolve(struct kube *, const char *what,
	    struct kube_resource *, struct err *);
/* "kind.group" as kubectl names a type in messages (caller frees). */
char	*resource_type_name(const struct kube_resource *);
/* Completion: names of TYPE's objects in the namespace, each after prefix. */
int	 resource_complete_names(struct ctx *, const char *type,
	    const char *prefix, struct strlist *out);
/* Completion of a TYPE/NAME word: MaaS types first, then names. */
int	 resource_complete_typed(struct ctx *, const char *word,
	    struct strlist *out);

#endif
