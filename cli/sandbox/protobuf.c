/*
 * protobuf.c: decode the protobuf request bodies kubectl 1.32+ sends for
 * typed creates (Namespace, ConfigMap, Secret, ServiceAccount, and the Job
 * of `kubectl create job --from=cronjob/...`) and the
 * authorization reviews (SelfSubjectAccessReview, SelfSubjectRulesReview,
 * SelfSubjectReview) into the JSON objects the API handlers work with.
 *
 * Wire format: "k8s\0" then a runtime.Unknown {1 TypeMeta {1 apiVersion,
 * 2 kind}, 2 raw (the object message), 3 contentEncoding, 4 contentType}.
 * Messages are described by tables below; unknown field numbers are
 * skipped, empty strings and zero numbers dropped (JSON omitempty).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "sandbox/schema.h"

enum pb_type {
	PB_STRING,		/* string */
	PB_BYTES,		/* bytes, base64 in JSON */
	PB_INT,			/* varint integer */
	PB_BOOL,		/* varint bool, kept when present */
	PB_MSG,			/* nested message */
	PB_MAP_STRING,		/* map<string,string> */
	PB_MAP_BYTES,		/* map<string,bytes>, values base64 */
	PB_TIME			/* metav1.Time {1 seconds, 2 nanos} */
};

struct pb_msg;

struct pb_field {
	int			 num;
	const char		*json;
	enum pb_type		 type;
	int			 repeated;
	const struct pb_msg	*msg;
};

struct pb_msg {
	const struct pb_field	*fields;
};

#define END { 0, NULL, PB_STRING, 0, NULL }

static const struct pb_field owner_ref_f[] = {
	{ 5, "apiVersion", PB_STRING, 0, NULL },
	{ 1, "kind", PB_STRING, 0, NULL },
	{ 3, "name", PB_STRING, 0, NULL },
	{ 4, "uid", PB_STRING, 0, NULL },
	{ 6, "controller", PB_BOOL, 0, NULL },
	{ 7, "blockOwnerDeletion", PB_BOOL, 0, NULL },
	END
};
static const struct pb_msg owner_ref = { owner_ref_f };

static const struct pb_field meta_f[] = {
	{ 1, "name", PB_STRING, 0, NULL },
	{ 2, "generateName", PB_STRING, 0, NULL },
	{ 3, "namespace", PB_STRING, 0, NULL },
	{ 5, "uid", PB_STRING, 0, NULL },
	{ 6, "resourceVersion", PB_STRING, 0, NULL },
	{ 7, "generation", PB_INT, 0, NULL },
	{ 8, "creationTimestamp", PB_TIME, 0, NULL },
	{ 11, "labels", PB_MAP_STRING, 0, NULL },
	{ 12, "annotations", PB_MAP_STRING, 0, NULL },
	{ 13, "ownerReferences", PB_MSG, 1, &owner_ref },
	{ 14, "finalizers", PB_STRING, 1, NULL },
	END
};
static const struct pb_msg meta = { meta_f };

static const struct pb_field configmap_f[] = {
	{ 1, "metadata", PB_MSG, 0, &meta },
	{ 2, "data", PB_MAP_STRING, 0, NULL },
	{ 3, "binaryData", PB_MAP_BYTES, 0, NULL },
	{ 4, "immutable", PB_BOOL, 0, NULL },
	END
};
static const struct pb_field secret_f[] = {
	{ 1, "metadata", PB_MSG, 0, &meta },
	{ 2, "data", PB_MAP_BYTES, 0, NULL },
	{ 3, "type", PB_STRING, 0, NULL },
	{ 4, "stringData", PB_MAP_STRING, 0, NULL },
	{ 5, "immutable", PB_BOOL, 0, NULL },
	END
};
static const struct pb_field ns_spec_f[] = {
	{ 1, "finalizers", PB_STRING, 1, NULL },
	END
};
static const struct pb_msg ns_spec = { ns_spec_f };
static const struct pb_field ns_status_f[] = {
	{ 1, "phase", PB_STRING, 0, NULL },
	END
};
static const struct pb_msg ns_status = { ns_status_f };
static const struct pb_field namespace_f[] = {
	{ 1, "metadata", PB_MSG, 0, &meta },
	{ 2, "spec", PB_MSG, 0, &ns_spec },
	{ 3, "status", PB_MSG, 0, &ns_status },
	END
};
static const struct pb_field obj_ref_f[] = {
	{ 1, "kind", PB_STRING, 0, NULL },
	{ 2, "namespace", PB_STRING, 0, NULL },
	{ 3, "name", PB_STRING, 0, NULL },
	{ 4, "uid", PB_STRING, 0, NULL },
	{ 5, "apiVersion", PB_STRING, 0, NULL },
	{ 6, "resourceVersion", PB_STRING, 0, NULL },
	{ 7, "fieldPath", PB_STRING, 0, NULL },
	END
};
static const struct pb_msg obj_ref = { obj_ref_f };
static const struct pb_field local_ref_f[] = {
	{ 1, "name", PB_STRING, 0, NULL },
	END
};
static const struct pb_msg local_ref = { local_ref_f };
static const struct pb_field serviceaccount_f[] = {
	{ 1, "metadata", PB_MSG, 0, &meta },
	{ 2, "secrets", PB_MSG, 1, &obj_ref },
	{ 3, "imagePullSecrets", PB_MSG, 1, &local_ref },
	{ 4, "automountServiceAccountToken", PB_BOOL, 0, NULL },
	END
};
static const struct pb_field res_attr_f[] = {
	{ 1, "namespace", PB_STRING, 0, NULL },
	{ 2, "verb", PB_STRING, 0, NULL },
	{ 3, "group", PB_STRING, 0, NULL },
	{ 4, "version", PB_STRING, 0, NULL },
	{ 5, "resource", PB_STRING, 0, NULL },
	{ 6, "subresource", PB_STRING, 0, NULL },
	{ 7, "name", PB_STRING, 0, NULL },
	END
};
static const struct pb_msg res_attr = { res_attr_f };
static const struct pb_field nonres_attr_f[] = {
	{ 1, "path", PB_STRING, 0, NULL },
	{ 2, "verb", PB_STRING, 0, NULL },
	END
};
static const struct pb_msg nonres_attr = { nonres_attr_f };
static const struct pb_field ssar_spec_f[] = {
	{ 1, "resourceAttributes", PB_MSG, 0, &res_attr },
	{ 2, "nonResourceAttributes", PB_MSG, 0, &nonres_attr },
	END
};
static const struct pb_msg ssar_spec = { ssar_spec_f };
/* The reviews' status (field 3) is the server's answer: not decoded. */
static const struct pb_field ssar_f[] = {
	{ 1, "metadata", PB_MSG, 0, &meta },
	{ 2, "spec", PB_MSG, 0, &ssar_spec },
	END
};
static const struct pb_field ssrr_spec_f[] = {
	{ 1, "namespace", PB_STRING, 0, NULL },
	END
};
static const struct pb_msg ssrr_spec = { ssrr_spec_f };
static const struct pb_field ssrr_f[] = {
	{ 1, "metadata", PB_MSG, 0, &meta },
	{ 2, "spec", PB_MSG, 0, &ssrr_spec },
	END
};
static const struct pb_field ssr_f[] = {
	{ 1, "metadata", PB_MSG, 0, &meta },
	END
};

/* batch/v1 Job, as `kubectl create job --from=cronjob/...` sends it: the
 * pod template's commonly used fields (others are skipped). */
static const struct pb_field sel_req_f[] = {
	{ 1, "key", PB_STRING, 0, NULL },
	{ 2, "operator", PB_STRING, 0, NULL },
	{ 3, "values", PB_STRING, 1, NULL },
	END
};
static const struct pb_msg sel_req = { sel_req_f };
static const struct pb_field label_sel_f[] = {
	{ 1, "matchLabels", PB_MAP_STRING, 0, NULL },
	{ 2, "matchExpressions", PB_MSG, 1, &sel_req },
	END
};
static const struct pb_msg label_sel = { label_sel_f };
static const struct pb_field env_var_f[] = {
	{ 1, "name", PB_STRING, 0, NULL },
	{ 2, "value", PB_STRING, 0, NULL },
	END
};
static const struct pb_msg env_var = { env_var_f };
static const struct pb_field cport_f[] = {
	{ 1, "name", PB_STRING, 0, NULL },
	{ 2, "hostPort", PB_INT, 0, NULL },
	{ 3, "containerPort", PB_INT, 0, NULL },
	{ 4, "protocol", PB_STRING, 0, NULL },
	{ 5, "hostIP", PB_STRING, 0, NULL },
	END
};
static const struct pb_msg cport = { cport_f };
static const struct pb_field container_f[] = {
	{ 1, "name", PB_STRING, 0, NULL },
	{ 2, "image", PB_STRING, 0, NULL },
	{ 3, "command", PB_STRING, 1, NULL },
	{ 4, "args", PB_STRING, 1, NULL },
	{ 5, "workingDir", PB_STRING, 0, NULL },
	{ 6, "ports", PB_MSG, 1, &cport },
	{ 7, "env", PB_MSG, 1, &env_var },
	{ 13, "terminationMessagePath", PB_STRING, 0, NULL },
	{ 14, "imagePullPolicy", PB_STRING, 0, NULL },
	{ 20, "terminationMessagePolicy", PB_STRING, 0, NULL },
	END
};
static const struct pb_msg container = { container_f };
static const struct pb_field pod_spec_f[] = {
	{ 2, "containers", PB_MSG, 1, &container },
	{ 3, "restartPolicy", PB_STRING, 0, NULL },
	{ 4, "terminationGracePeriodSeconds", PB_INT, 0, NULL },
	{ 5, "activeDeadlineSeconds", PB_INT, 0, NULL },
	{ 6, "dnsPolicy", PB_STRING, 0, NULL },
	{ 7, "nodeSelector", PB_MAP_STRING, 0, NULL },
	{ 8, "serviceAccountName", PB_STRING, 0, NULL },
	{ 20, "initContainers", PB_MSG, 1, &container },
	END
};
static const struct pb_msg pod_spec = { pod_spec_f };
static const struct pb_field pod_tmpl_f[] = {
	{ 1, "metadata", PB_MSG, 0, &meta },
	{ 2, "spec", PB_MSG, 0, &pod_spec },
	END
};
static const struct pb_msg pod_tmpl = { pod_tmpl_f };
static const struct pb_field job_spec_f[] = {
	{ 1, "parallelism", PB_INT, 0, NULL },
	{ 2, "completions", PB_INT, 0, NULL },
	{ 3, "activeDeadlineSeconds", PB_INT, 0, NULL },
	{ 4, "selector", PB_MSG, 0, &label_sel },
	{ 5, "manualSelector", PB_BOOL, 0, NULL },
	{ 6, "template", PB_MSG, 0, &pod_tmpl },
	{ 7, "backoffLimit", PB_INT, 0, NULL },
	{ 8, "ttlSecondsAfterFinished", PB_INT, 0, NULL },
	{ 9, "completionMode", PB_STRING, 0, NULL },
	{ 10, "suspend", PB_BOOL, 0, NULL },
	END
};
static const struct pb_msg job_spec = { job_spec_f };
/* A Job's status (field 3) is the server's: not decoded. */
static const struct pb_field job_f[] = {
	{ 1, "metadata", PB_MSG, 0, &meta },
	{ 2, "spec", PB_MSG, 0, &job_spec },
	END
};

/* The kinds decoded, with the apiVersions kubectl sends them as. */
static const struct {
	const char		*api_version;
	const char		*kind;
	struct pb_msg		 msg;
} pb_kinds[] = {
	{ "v1", "ConfigMap", { configmap_f } },
	{ "v1", "Secret", { secret_f } },
	{ "v1", "Namespace", { namespace_f } },
	{ "v1", "ServiceAccount", { serviceaccount_f } },
	{ "batch/v1", "Job", { job_f } },
	{ "authorization.k8s.io/v1", "SelfSubjectAccessReview", { ssar_f } },
	{ "authorization.k8s.io/v1", "SelfSubjectRulesReview", { ssrr_f } },
	{ "authentication.k8s.io/v1", "SelfSubjectReview", { ssr_f } },
	{ "authentication.k8s.io/v1beta1", "SelfSubjectReview", { ssr_f } },
	{ "authentication.k8s.io/v1alpha1", "SelfSubjectReview", { ssr_f } },
};

/* A read cursor over a byte range. */
struct pb_buf {
	const unsigned char	*p;
	const unsigned char	*end;
};

static int
pb_varint(struct pb_buf *b, uint64_t *v)
{
	int	 shift = 0;

	*v = 0;
	while (b->p < b->end && shift < 64) {
		*v |= (uint64_t)(*b->p & 0x7f) << shift;
		if ((*b->p++ & 0x80) == 0)
			return 0;
		shift += 7;
	}
	return -1;
}

/* Read one field's key and, for wire type 2, its payload into *sub. */
static int
pb_next(struct pb_buf *b, int *num, int *wt, uint64_t *v, struct pb_buf *sub)
{
	uint64_t	 key, len;

	if (pb_varint(b, &key) == -1)
		return -1;
	*num = (int)(key >> 3);
	*wt = (int)(key & 7);
	switch (*wt) {
	case 0:
		return pb_varint(b, v);
	case 1:
		if (b->end - b->p < 8)
			return -1;
		b->p += 8;
		return 0;
	case 5:
		if (b->end - b->p < 4)
			return -1;
		b->p += 4;
		return 0;
	case 2:
		if (pb_varint(b, &len) == -1 ||
		    len > (uint64_t)(b->end - b->p))
			return -1;
		sub->p = b->p;
		sub->end = b->p + len;
		b->p += len;
		return 0;
	default:
		return -1;	/* groups are not used by Kubernetes */
	}
}

static char *
pb_strdup(const struct pb_buf *s)
{
	return xstrndup((const char *)s->p, s->end - s->p);
}

static char *
pb_base64(const struct pb_buf *s)
{
	static const char	 tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct strbuf		 sb = STRBUF_INIT;
	const unsigned char	*p;
	size_t			 n = s->end - s->p, i;
	uint32_t		 w;

	sb_init(&sb);
	for (i = 0, p = s->p; i + 2 < n; i += 3, p += 3) {
		w = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
		sb_addc(&sb, tab[w >> 18]);
		sb_addc(&sb, tab[(w >> 12) & 63]);
		sb_addc(&sb, tab[(w >> 6) & 63]);
		sb_addc(&sb, tab[w & 63]);
	}
	if (n - i == 1) {
		w = (uint32_t)p[0] << 16;
		sb_addc(&sb, tab[w >> 18]);
		sb_addc(&sb, tab[(w >> 12) & 63]);
		sb_adds(&sb, "==");
	} else if (n - i == 2) {
		w = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8;
		sb_addc(&sb, tab[w >> 18]);
		sb_addc(&sb, tab[(w >> 12) & 63]);
		sb_addc(&sb, tab[(w >> 6) & 63]);
		sb_addc(&sb, '=');
	}
	return sb_detach(&sb);
}

static cJSON *pb_decode_msg(struct pb_buf *, const struct pb_msg *);

/* Decode a map entry {1 key, 2 value} into obj. */
static int
pb_map_entry(struct pb_buf *b, cJSON *obj, int bytes)
{
	struct pb_buf	 sub, key = { NULL, NULL }, val = { NULL, NULL };
	uint64_t	 v;
	int		 num, wt;
	char		*k, *s;

	while (b->p < b->end) {
		if (pb_next(b, &num, &wt, &v, &sub) == -1)
			return -1;
		if (num == 1 && wt == 2)
			key = sub;
		else if (num == 2 && wt == 2)
			val = sub;
	}
	if (key.p == NULL)
		return -1;
	k = pb_strdup(&key);
	if (val.p == NULL)
		s = xstrdup("");
	else
		s = bytes ? pb_base64(&val) : pb_strdup(&val);
	cJSON_DeleteItemFromObjectCaseSensitive(obj, k);
	cJSON_AddStringToObject(obj, k, s);
	free(k);
	free(s);
	return 0;
}

/* Format a metav1.Time message as RFC 3339 (UTC, seconds); NULL if zero. */
static char *
pb_time(struct pb_buf *b)
{
	struct pb_buf	 sub;
	uint64_t	 v, secs = 0;
	int		 num, wt;
	time_t		 t;
	struct tm	 tm;
	char		 buf[32];

	while (b->p < b->end) {
		if (pb_next(b, &num, &wt, &v, &sub) == -1)
			return NULL;
		if (num == 1 && wt == 0)
			secs = v;
	}
	if (secs == 0)
		return NULL;
	t = (time_t)(int64_t)secs;
	if (gmtime_r(&t, &tm) == NULL)
		return NULL;
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

static const struct pb_field *
pb_field_find(const struct pb_msg *m, int num)
{
	const struct pb_field	*f;

	for (f = m->fields; f->json != NULL; f++) {
		if (f->num == num)
			return f;
	}
	return NULL;
}

/* Add value v under f->json (appending when repeated). */
static void
pb_put(cJSON *obj, const struct pb_field *f, cJSON *v)
{
	cJSON	*arr;

	if (!f->repeated) {
		cJSON_DeleteItemFromObjectCaseSensitive(obj, f->json);
		cJSON_AddItemToObject(obj, f->json, v);
		return;
	}
	if ((arr = cJSON_GetObjectItemCaseSensitive(obj, f->json)) == NULL)
		arr = cJSON_AddArrayToObject(obj, f->json);
	cJSON_AddItemToArray(arr, v);
}

/* Decode one message described by m; NULL when malformed. */
static cJSON *
pb_decode_msg(struct pb_buf *b, const struct pb_msg *m)
{
	cJSON			*obj = cJSON_CreateObject(), *sub_obj, *map;
	const struct pb_field	*f;
	struct pb_buf		 sub;
	uint64_t		 v;
	int			 num, wt;
	char			*s;

	while (b->p < b->end) {
		if (pb_next(b, &num, &wt, &v, &sub) == -1)
			goto fail;
		if ((f = pb_field_find(m, num)) == NULL)
			continue;
		switch (f->type) {
		case PB_STRING:
		case PB_BYTES:
			if (wt != 2)
				goto fail;
			if (sub.p == sub.end && !f->repeated)
				break;
			s = f->type == PB_BYTES ? pb_base64(&sub) :
			    pb_strdup(&sub);
			pb_put(obj, f, cJSON_CreateString(s));
			free(s);
			break;
		case PB_INT:
			if (wt != 0)
				goto fail;
			if (v != 0)
				pb_put(obj, f, cJSON_CreateNumber(
				    (double)(int64_t)v));
			break;
		case PB_BOOL:
			if (wt != 0)
				goto fail;
			pb_put(obj, f, cJSON_CreateBool(v != 0));
			break;
		case PB_TIME:
			if (wt != 2)
				goto fail;
			if ((s = pb_time(&sub)) != NULL) {
				pb_put(obj, f, cJSON_CreateString(s));
				free(s);
			}
			break;
		case PB_MSG:
			if (wt != 2)
				goto fail;
			if ((sub_obj = pb_decode_msg(&sub, f->msg)) == NULL)
				goto fail;
			if (cJSON_GetArraySize(sub_obj) == 0 && !f->repeated &&
			    strcmp(f->json, "metadata") != 0) {
				cJSON_Delete(sub_obj);
				break;
			}
			pb_put(obj, f, sub_obj);
			break;
		case PB_MAP_STRING:
		case PB_MAP_BYTES:
			if (wt != 2)
				goto fail;
			if ((map = cJSON_GetObjectItemCaseSensitive(obj,
			    f->json)) == NULL)
				map = cJSON_AddObjectToObject(obj, f->json);
			if (pb_map_entry(&sub, map,
			    f->type == PB_MAP_BYTES) == -1)
				goto fail;
			break;
		}
	}
	return obj;
fail:
	cJSON_Delete(obj);
	return NULL;
}

cJSON *
sbx_protobuf_decode(const void *buf, size_t len, struct err *e)
{
	struct pb_buf	 b, sub, raw = { NULL, NULL }, tm = { NULL, NULL };
	uint64_t	 v;
	int		 num, wt;
	char		*api = NULL, *kind = NULL;
	cJSON		*obj = NULL, *out = NULL, *it;
	size_t		 i;

	if (len < 4 || memcmp(buf, "k8s\0", 4) != 0) {
		err_set(e, EXIT_USAGE, "protobuf body: missing the \"k8s\\0\" "
		    "envelope");
		return NULL;
	}
	b.p = (const unsigned char *)buf + 4;
	b.end = (const unsigned char *)buf + len;
	while (b.p < b.end) {
		if (pb_next(&b, &num, &wt, &v, &sub) == -1)
			goto malformed;
		if (num == 1 && wt == 2)
			tm = sub;
		else if (num == 2 && wt == 2)
			raw = sub;
	}
	while (tm.p != NULL && tm.p < tm.end) {
		if (pb_next(&tm, &num, &wt, &v, &sub) == -1)
			goto malformed;
		if (num == 1 && wt == 2) {
			free(api);
			api = pb_strdup(&sub);
		} else if (num == 2 && wt == 2) {
			free(kind);
			kind = pb_strdup(&sub);
		}
	}
	if (api == NULL || kind == NULL || raw.p == NULL)
		goto malformed;
	for (i = 0; i < sizeof pb_kinds / sizeof pb_kinds[0]; i++) {
		if (strcmp(pb_kinds[i].api_version, api) == 0 &&
		    strcmp(pb_kinds[i].kind, kind) == 0)
			break;
	}
	if (i == sizeof pb_kinds / sizeof pb_kinds[0]) {
		err_set(e, EXIT_USAGE, "protobuf body: %s %s is not supported "
		    "by the sandbox; send JSON", api, kind);
		goto out;
	}
	if ((obj = pb_decode_msg(&raw, &pb_kinds[i].msg)) == NULL)
		goto malformed;
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "apiVersion", api);
	cJSON_AddStringToObject(out, "kind", kind);
	while ((it = obj->child) != NULL) {
		cJSON_DetachItemViaPointer(obj, it);
		cJSON_AddItemToObject(out, it->string, it);
	}
	goto out;
malformed:
	err_set(e, EXIT_USAGE, "protobuf body: malformed %s message",
	    kind != NULL ? kind : "runtime.Unknown");
out:
	cJSON_Delete(obj);
	free(api);
	free(kind);
	return out;
}
