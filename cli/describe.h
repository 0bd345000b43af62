/*
 * describe.h: kubectl's describe layout for one object, shared by
 * `maasctl describe` and the commands that show what they changed.
 */
#ifndef MAAS_DESCRIBE_H
#define MAAS_DESCRIBE_H

#include <cjson/cJSON.h>

#include "kube.h"

/*
 * The text `kubectl describe` prints for obj (of type res), plus, for the
 * MaaS kinds, LLMInferenceService/ExternalModel and the tier ConfigMap,
 * the related objects read through k.  Caller frees.
 */
char	*describe_object(struct kube *k, const struct kube_resource *res,
	    const cJSON *obj);

#endif
