/*
 * patch.c: the patch formats the sandbox API accepts: RFC 7386 JSON merge
 * patch, strategic merge patch for the built-in kinds (a merge patch that
 * skips "$" directives: the built-ins served here have no merge-keyed
 * lists), and RFC 6902 JSON patch.
 */
#include <stdlib.h>
#include <string.h>

#include "apiserver.h"

cJSON *
patch_merge(cJSON *target, const cJSON *patch, int smp)
{
	const cJSON	*p;
	cJSON		*t;

	if (!cJSON_IsObject(patch)) {
		cJSON_Delete(target);
		return cJSON_Duplicate(patch, 1);
	}
	if (!cJSON_IsObject(target)) {
		cJSON_Delete(target);
		target = cJSON_CreateObject();
	}
	cJSON_ArrayForEach(p, patch) {
		if (smp && p->string[0] == '$')
			continue;
		if (cJSON_IsNull(p)) {
			cJSON_DeleteItemFromObjectCaseSensitive(target,
			    p->string);
			continue;
		}
		t = cJSON_DetachItemFromObjectCaseSensitive(target, p->string);
		t = patch_merge(t, p, smp);
		cJSON_AddItemToObject(target, p->string, t);
	}
	return target;
}

/* Unescape one JSON pointer token (~1 -> /, ~0 -> ~). */
static char *
ptr_token(const char **p)
{
	struct strbuf	 sb = STRBUF_INIT;

	sb_init(&sb);
	while (**p != '\0' && **p != '/') {
		if (**p == '~' && (*p)[1] == '1') {
			sb_addc(&sb, '/');
			(*p) += 2;
		} else if (**p == '~' && (*p)[1] == '0') {
			sb_addc(&sb, '~');
			(*p) += 2;
		} else
			sb_addc(&sb, *(*p)++);
	}
	return sb_detach(&sb);
}

static int
array_index(const char *tok, int size, int for_add)
{
	char	*end;
	long	 i;

	if (for_add && strcmp(tok, "-") == 0)
		return size;
	if (*tok == '\0' || (tok[0] == '0' && tok[1] != '\0'))
		return -1;
	i = strtol(tok, &end, 10);
	if (*end != '\0' || i < 0 || i > size - (for_add ? 0 : 1))
		return -1;
	return (int)i;
}

/* Resolve the parent of a pointer; *last gets the final token. */
static cJSON *
ptr_parent(cJSON *doc, const char *ptr, char **last)
{
	const char	*p = ptr;
	cJSON		*c = doc;
	char		*tok;
	int		 i;

	*last = NULL;
	if (*p != '/')
		return NULL;
	p++;
	for (;;) {
		tok = ptr_token(&p);
		if (*p == '\0') {
			*last = tok;
			return c;
		}
		p++;
		if (cJSON_IsArray(c)) {
			i = array_index(tok, cJSON_GetArraySize(c), 0);
			c = i < 0 ? NULL : cJSON_GetArrayItem(c, i);
		} else if (cJSON_IsObject(c))
			c = cJSON_GetObjectItemCaseSensitive(c, tok);
		else
			c = NULL;
		free(tok);
		if (c == NULL)
			return NULL;
	}
}

static cJSON *
ptr_get(cJSON *doc, const char *ptr)
{
	cJSON	*parent, *out = NULL;
	char	*last;
	int	 i;

	if (*ptr == '\0')
		return doc;
	if ((parent = ptr_parent(doc, ptr, &last)) == NULL)
		goto out;
	if (cJSON_IsArray(parent)) {
		i = array_index(last, cJSON_GetArraySize(parent), 0);
		out = i < 0 ? NULL : cJSON_GetArrayItem(parent, i);
	} else if (cJSON_IsObject(parent))
		out = cJSON_GetObjectItemCaseSensitive(parent, last);
out:
	free(last);
	return out;
}

static cJSON *
ptr_remove(cJSON *doc, const char *ptr, char **why)
{
	cJSON	*parent, *out = NULL;
	char	*last;
	int	 i;

	if ((parent = ptr_parent(doc, ptr, &last)) == NULL)
		goto out;
	if (cJSON_IsArray(parent)) {
		i = array_index(last, cJSON_GetArraySize(parent), 0);
		if (i >= 0)
			out = cJSON_DetachItemFromArray(parent, i);
	} else if (cJSON_IsObject(parent))
		out = cJSON_DetachItemFromObjectCaseSensitive(parent, last);
out:
	if (out == NULL && why != NULL)
		*why = xasprintf("unable to remove nonexistent key: %s: missing "
		    "value", last ? last : ptr);
	free(last);
	return out;
}

static int
ptr_add(cJSON *doc, const char *ptr, cJSON *val, int replace, char **why)
{
	cJSON	*parent;
	char	*last;
	int	 i, rc = -1;

	if ((parent = ptr_parent(doc, ptr, &last)) == NULL) {
		*why = xasprintf("add operation does not apply: doc is missing "
		    "path: \"%s\": missing value", ptr);
		goto out;
	}
	if (cJSON_IsArray(parent)) {
		i = array_index(last, cJSON_GetArraySize(parent), !replace);
		if (i < 0) {
			*why = xasprintf("add operation does not apply: doc is "
			    "missing path: \"%s\": missing value", ptr);
			goto out;
		}
		if (replace)
			cJSON_ReplaceItemInArray(parent, i, val);
		else if (i == cJSON_GetArraySize(parent))
			cJSON_AddItemToArray(parent, val);
		else
			cJSON_InsertItemInArray(parent, i, val);
	} else if (cJSON_IsObject(parent)) {
		if (replace && !cJSON_HasObjectItem(parent, last)) {
			*why = xasprintf("replace operation does not apply: doc "
			    "is missing key: %s: missing value", ptr);
			goto out;
		}
		cJSON_DeleteItemFromObjectCaseSensitive(parent, last);
		cJSON_AddItemToObject(parent, last, val);
	} else {
		*why = xasprintf("add operation does not apply: doc is missing "
		    "path: \"%s\": missing value", ptr);
		goto out;
	}
	val = NULL;
	rc = 0;
out:
	cJSON_Delete(val);
	free(last);
	return rc;
}

cJSON *
patch_json(const cJSON *orig, const cJSON *ops, char **why)
{
	cJSON		*doc = cJSON_Duplicate(orig, 1), *v, *from;
	const cJSON	*op;
	const char	*kind, *path, *fpath;

	*why = NULL;
	if (!cJSON_IsArray(ops)) {
		*why = xstrdup("json: cannot unmarshal object into Go value of "
		    "type jsonpatch.Patch");
		goto fail;
	}
	cJSON_ArrayForEach(op, ops) {
		kind = cJSON_GetStringValue(cJSON_GetObjectItem(op, "op"));
		path = cJSON_GetStringValue(cJSON_GetObjectItem(op, "path"));
		fpath = cJSON_GetStringValue(cJSON_GetObjectItem(op, "from"));
		v = cJSON_GetObjectItem(op, "value");
		if (kind == NULL || path == NULL) {
			*why = xstrdup("Unable to parse patch: operation "
			    "missing \"op\" or \"path\"");
			goto fail;
		}
		if (strcmp(kind, "add") == 0 || strcmp(kind, "replace") == 0) {
			if (v == NULL) {
				*why = xasprintf("%s operation has no value",
				    kind);
				goto fail;
			}
			if (*path == '\0') {
				cJSON_Delete(doc);
				doc = cJSON_Duplicate(v, 1);
				continue;
			}
			if (ptr_add(doc, path, cJSON_Duplicate(v, 1),
			    kind[0] == 'r', why) == -1)
				goto fail;
		} else if (strcmp(kind, "remove") == 0) {
			if ((from = ptr_remove(doc, path, why)) == NULL)
				goto fail;
			cJSON_Delete(from);
		} else if (strcmp(kind, "test") == 0) {
			from = ptr_get(doc, path);
			if (from == NULL || v == NULL ||
			    !cJSON_Compare(from, v, 1)) {
				*why = xasprintf("testing value %s failed: test "
				    "failed", path);
				goto fail;
			}
		} else if (strcmp(kind, "move") == 0 ||
		    strcmp(kind, "copy") == 0) {
			if (fpath == NULL) {
				*why = xasprintf("%s operation has no from",
				    kind);
				goto fail;
			}
			if (kind[0] == 'm')
				from = ptr_remove(doc, fpath, why);
			else {
				from = ptr_get(doc, fpath);
				from = from ? cJSON_Duplicate(from, 1) : NULL;
				if (from == NULL)
					*why = xasprintf("copy operation does "
					    "not apply: doc is missing from "
					    "path: %s", fpath);
			}
			if (from == NULL || ptr_add(doc, path, from, 0,
			    why) == -1)
				goto fail;
		} else {
			*why = xasprintf("Unexpected kind: %s", kind);
			goto fail;
		}
	}
	return doc;
fail:
	cJSON_Delete(doc);
	return NULL;
}
