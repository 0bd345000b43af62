/*
 * schema.h: CRD schemas for the sandbox's Kubernetes API.
 *
 *  - schema.c compiles a CustomResourceDefinition's openAPIV3Schema (per
 *    version) into a validator and validates objects the way the real
 *    apiserver does: defaults applied, unknown fields pruned (errors under
 *    fieldValidation=Strict, warnings under Warn), types, required, enum,
 *    pattern, bounds, lengths, items, formats, metadata.name rules and the
 *    x-kubernetes-validations (CEL) rules the MaaS CRDs use.  Any other CEL
 *    rule makes sbx_crd_compile() fail: it is never silently ignored.
 *  - crds.c holds the sandbox's own CRD definitions (cli/sandbox/crds/,
 *    embedded at build time) and the seed objects of a fresh sandbox.
 *  - openapi.c builds the /openapi/v2 and /openapi/v3 documents.
 *  - protobuf.c decodes the few protobuf request bodies kubectl 1.32+ sends.
 *
 * Typical use by the apiserver on create/update/patch/apply of a CR:
 *
 *	struct sbx_invalid inv = SBX_INVALID_INIT;
 *	if (sbx_crd_validate(crd, "v1alpha1", obj, SBX_FV_STRICT, &inv) == -1)
 *		reply(inv.status, sbx_invalid_status(&inv));	// 422 or 400
 *	else
 *		add a "Warning: 299 - \"<w>\"" header per inv.warnings entry;
 *	sbx_invalid_free(&inv);
 */
#ifndef MAAS_SCHEMA_H
#define MAAS_SCHEMA_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "xalloc.h"

/* The fieldValidation query parameter (default Strict for kubectl). */
enum sbx_fv {
	SBX_FV_STRICT,		/* unknown fields: 400 BadRequest */
	SBX_FV_WARN,		/* unknown fields: pruned, one warning each */
	SBX_FV_IGNORE		/* unknown fields: pruned silently */
};

/* One Status cause, as in details.causes[] of a 422 Invalid. */
struct sbx_cause {
	char	*reason;	/* "FieldValueInvalid", "FieldValueRequired", ... */
	char	*field;		/* "spec.modelRefs[0].name", or "<nil>" for root */
	char	*message;	/* "Invalid value: ...", "Required value", ... */
};

/* Why an object was rejected (or the warnings it was accepted with). */
struct sbx_invalid {
	int		  status;	/* 0 accepted; 422 Invalid; 400 BadRequest */
	char		 *reason;	/* "Invalid" or "BadRequest" (NULL if 0) */
	char		 *message;	/* the Status message, apiserver wording */
	char		 *kind;		/* details.kind: the Kind */
	char		 *group;	/* details.group */
	char		 *name;		/* details.name */
	struct sbx_cause *causes;	/* one per violation (422 only) */
	size_t		  ncauses;
	struct strlist	  warnings;	/* 'unknown field "spec.foo"' (Warn) */
};
#define SBX_INVALID_INIT { 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, STRLIST_INIT }

/* A compiled CustomResourceDefinition (all its versions). */
struct sbx_crd;

/* Compile a CRD object (apiextensions.k8s.io/v1, as JSON); NULL and an
 * error naming the offending field when the CRD is malformed or uses a
 * CEL rule the sandbox does not implement. */
struct sbx_crd	*sbx_crd_compile(const cJSON *crd, struct err *);
void		 sbx_crd_free(struct sbx_crd *);
/* The CRD's names: kind ("MaaSSubscription"), group, plural, and whether
 * it is namespaced (1) or cluster-scoped (0). */
const char	*sbx_crd_kind(const struct sbx_crd *);
const char	*sbx_crd_group(const struct sbx_crd *);
const char	*sbx_crd_plural(const struct sbx_crd *);
int		 sbx_crd_namespaced(const struct sbx_crd *);
/* Whether the CRD has (and serves) version v. */
int		 sbx_crd_has_version(const struct sbx_crd *, const char *v);

/* Validate obj (a full CR of version v) in place: prune unknown fields and
 * apply defaults, then check metadata.name, the schema and the CEL rules.
 * 0 when accepted (out->warnings may hold Warn-mode warnings); -1 when
 * rejected, with out filled (status 422 Invalid or 400 BadRequest). */
int	 sbx_crd_validate(const struct sbx_crd *, const char *v, cJSON *obj,
	    enum sbx_fv, struct sbx_invalid *out);
/* Validate metadata of a built-in kind ("Namespace" needs a DNS-1123
 * label, "ConfigMap", "Secret", "ServiceAccount" a subdomain, "Group" a
 * path segment); group is "" for core.  0 or -1 with out filled (422). */
int	 sbx_builtin_validate(const char *kind, const char *group,
	    const cJSON *obj, struct sbx_invalid *out);
/* The Status object (kind Status, apiVersion v1) for a rejection. */
cJSON	*sbx_invalid_status(const struct sbx_invalid *);
void	 sbx_invalid_free(struct sbx_invalid *);

/* crds.c: the sandbox's own CRDs (a new cJSON array of CRD objects) and
 * the objects of a fresh sandbox (namespaces first, then the rest, in
 * creation order).  NULL only if the embedded data is corrupt. */
cJSON	*sbx_builtin_crds(struct err *);
cJSON	*sbx_seed_objects(struct err *);

/* openapi.c: documents generated from the CRDs in crds (an array of CRD
 * objects, as stored) plus the built-in kinds.  The v3 index maps
 * "api/v1", "apis/<group>/<version>" to URLs carrying a content hash;
 * sbx_openapi_v3_gv() returns NULL for an unknown group/version (group ""
 * means the core "api/v1"). */
cJSON	*sbx_openapi_v3_index(const cJSON *crds);
cJSON	*sbx_openapi_v3_gv(const cJSON *crds, const char *group,
	    const char *version);
/* Swagger 2.0 as JSON: kubectl asks /openapi/v2 for protobuf, which this
 * is not, so serve it only to clients that Accept application/json and
 * answer 404 otherwise (kubectl 1.29+ tolerates that and uses v3). */
cJSON	*sbx_openapi_v2(const cJSON *crds);

/* protobuf.c: decode a kubectl protobuf body ("k8s\0" + runtime.Unknown)
 * for Namespace, ConfigMap, Secret, ServiceAccount, SelfSubjectReview,
 * SelfSubjectAccessReview or SelfSubjectRulesReview into the equivalent
 * JSON object; NULL and an error for anything else or malformed input. */
cJSON	*sbx_protobuf_decode(const void *buf, size_t len, struct err *);

#endif
