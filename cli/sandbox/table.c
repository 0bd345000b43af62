/*
 * table.c: pieces of the meta.k8s.io/v1 Table responses: ages (through
 * common/output.c's HumanDuration) and the JSONPath subset that CRD printer columns use
 * (.a.b, .a[*].b, .a[0].b, .a[?(@.k=="v")].b; first match only).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver.h"
#include "output.h"

/* A Table cell's age: apimachinery's HumanDuration, shared with output.c. */
char *
table_age(time_t then, time_t now)
{
	return output_human_duration(now > then ? (double)(now - then) : 0);
}

/* Evaluate the rest of path p against node c; first match or NULL. */
static const cJSON *
eval(const cJSON *c, const char *p)
{
	char		 name[256], key[256], val[256];
	const char	*s;
	const cJSON	*item, *got;
	size_t		 n;
	int		 idx;

	if (c == NULL)
		return NULL;
	if (*p == '\0')
		return c;
	if (*p == '.') {
		p++;
		s = p;
		while (*p != '\0' && *p != '.' && *p != '[')
			p++;
		n = (size_t)(p - s);
		if (n == 0 || n >= sizeof name)
			return NULL;
		memcpy(name, s, n);
		name[n] = '\0';
		return eval(cJSON_GetObjectItemCaseSensitive(c, name), p);
	}
	if (*p != '[')
		return NULL;
	p++;
	if (p[0] == '*' && p[1] == ']') {
		p += 2;
		if (!cJSON_IsArray(c) && !cJSON_IsObject(c))
			return NULL;
		cJSON_ArrayForEach(item, c)
			if ((got = eval(item, p)) != NULL)
				return got;
		return NULL;
	}
	if (p[0] == '?') {
		/* [?(@.key=="value")] or [?(@.key=='value')] */
		if (sscanf(p, "?(@.%255[^=!]==\"%255[^\"]\")]", key, val) != 2 &&
		    sscanf(p, "?(@.%255[^=!]=='%255[^']')]", key, val) != 2)
			return NULL;
		if ((s = strstr(p, ")]")) == NULL)
			return NULL;
		p = s + 2;
		if (!cJSON_IsArray(c))
			return NULL;
		cJSON_ArrayForEach(item, c) {
			const cJSON *k = cJSON_GetObjectItemCaseSensitive(item,
			    key);
			if (cJSON_IsString(k) && strcmp(k->valuestring,
			    val) == 0 && (got = eval(item, p)) != NULL)
				return got;
		}
		return NULL;
	}
	if (sscanf(p, "%d]", &idx) != 1 || (s = strchr(p, ']')) == NULL)
		return NULL;
	p = s + 1;
	if (!cJSON_IsArray(c))
		return NULL;
	if (idx < 0)
		idx += cJSON_GetArraySize(c);
	return eval(cJSON_GetArrayItem(c, idx), p);
}

const cJSON *
table_jsonpath(const cJSON *obj, const char *path)
{
	const char	*p = path;
	char		*tmp = NULL;
	const cJSON	*out;
	size_t		 n;

	/* Accept "{.a.b}" as well as ".a.b". */
	if (p[0] == '{') {
		n = strlen(p);
		tmp = xstrndup(p + 1, n > 1 && p[n - 1] == '}' ? n - 2 : n - 1);
		p = tmp;
	}
	if (p[0] != '.') {
		free(tmp);
		return NULL;
	}
	out = eval(obj, p);
	free(tmp);
	return out;
}
