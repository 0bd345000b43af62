/*
 * yaml.h: YAML <-> cJSON with libyaml, the way kubectl treats YAML
 * (sigs.k8s.io/yaml: YAML is converted to JSON before use).
 */
#ifndef MAAS_YAML_H
#define MAAS_YAML_H

#include <cjson/cJSON.h>

#include "err.h"

/* Parse a single-document YAML (or JSON) buffer into cJSON. */
cJSON	*yaml_parse(const char *buf, size_t len, struct err *);
/* Parse a multi-document stream; returns a cJSON array of the non-empty
 * documents (a "kind: List" is not expanded here). */
cJSON	*yaml_parse_stream(const char *buf, size_t len, struct err *);
/* Emit one value as YAML in kubectl's style (sorted keys, 2-space indent,
 * "- " sequences at the parent's indent, quoting as yaml.v2 does). */
char	*yaml_emit(const cJSON *);

#endif
