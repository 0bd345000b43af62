/*
 * maasval.c: client-side validation of MaaSSubscription, MaaSAuthPolicy
 * and MaaSModelRef objects, and the parsers of the compact flag forms
 * ("NS/NAME", "LIMIT/WINDOW,...").  Field rules come from the CRDs
 * (reference/crds) and read as the API server words them; the rules the
 * controller applies after admission (window at most 8784h, no duplicate
 * model, an owner or subject to grant to) are checked here too, so that a
 * write that would only fail later is refused before it is sent.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "duration.h"
#include "maasval.h"
#include "xalloc.h"

#define RE_SUBDOMAIN "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*" \
	"[a-z0-9])?)*"
#define RE_WINDOW "^[1-9]\\d{0,3}(s|m|h)$"

/* "The <Kind> "<name>" is invalid: <field>: <detail>" (EXIT_USAGE). */
static int __attribute__((format(printf, 5, 6)))
invalid(struct err *e, const char *kind, const char *name, const char *field,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*detail;

	va_start(ap, fmt);
	detail = xvasprintf(fmt, ap);
	va_end(ap);
	err_set_raw(e, EXIT_USAGE, "The %s \"%s\" is invalid: %s: %s", kind,
	    name ? name : "", field, detail);
	free(detail);
	return -1;
}

static int
is_label_run(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) ||
		    isdigit((unsigned char)s[i]) || s[i] == '-'))
			return 0;
	return 1;
}

int
maasval_is_label(const char *s)
{
	return s != NULL && is_label_run(s, strlen(s));
}

int
maasval_is_subdomain(const char *s)
{
	const char	*p, *dot;

	if (s == NULL || *s == '\0' || strlen(s) > 253)
		return 0;
	for (p = s;; p = dot + 1) {
		dot = strchr(p, '.');
		if (!is_label_run(p, dot ? (size_t)(dot - p) : strlen(p)))
			return 0;
		if (dot == NULL)
			return 1;
	}
}

int
maasval_parse_ref(const char *s, const char *what, char **ns, char **name,
    struct err *e)
{
	const char	*slash = strchr(s, '/');

	*ns = *name = NULL;
	if (slash == NULL || slash == s || slash[1] == '\0' ||
	    strchr(slash + 1, '/') != NULL)
		return err_set(e, EXIT_USAGE, "invalid %s \"%s\": want "
		    "NAMESPACE/NAME of a MaaSModelRef", what, s);
	*ns = xstrndup(s, (size_t)(slash - s));
	*name = xstrdup(slash + 1);
	return 0;
}

enum maasval_rate
maasval_split_rate(const char *s, long long *limit, const char **window)
{
	const char	*slash = strchr(s, '/');
	char		*end;

	if (slash == NULL)
		return MAASVAL_RATE_NO_SLASH;
	if (slash == s)
		return MAASVAL_RATE_NO_LIMIT;
	errno = 0;
	*limit = strtoll(s, &end, 10);
	if (end != slash || errno != 0)
		return MAASVAL_RATE_NOT_WHOLE;
	*window = slash + 1;
	return MAASVAL_RATE_OK;
}

cJSON *
maasval_parse_limits(const char *s, const char *what, struct err *e)
{
	cJSON		*arr = cJSON_CreateArray(), *o;
	const char	*p = s, *comma, *win = NULL;
	char		*one;
	long long	 v = 0;

	for (;;) {
		comma = strchr(p, ',');
		one = comma ? xstrndup(p, (size_t)(comma - p)) : xstrdup(p);
		if (maasval_split_rate(one, &v, &win) != MAASVAL_RATE_OK ||
		    win[0] == '\0' || !isdigit((unsigned char)one[0]) ||
		    strchr(win, '/') != NULL) {
			err_set(e, EXIT_USAGE, "invalid %s limit \"%s\" in "
			    "\"%s\": want LIMIT/WINDOW such as 50000/1h", what,
			    one, s);
			free(one);
			cJSON_Delete(arr);
			return NULL;
		}
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "limit", (double)v);
		cJSON_AddStringToObject(o, "window", win);
		cJSON_AddItemToArray(arr, o);
		free(one);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return arr;
}

/* metadata.name as the API server checks it. */
static int
check_name(const cJSON *obj, const char *kind, struct err *e)
{
	const char	*name = json_str(obj, "metadata.name");

	if (name == NULL || *name == '\0')
		return invalid(e, kind, "", "metadata.name", "Required value: "
		    "name or generateName is required");
	if (strlen(name) > 253)
		return invalid(e, kind, name, "metadata.name", "Invalid value: "
		    "\"%s\": must be no more than 253 characters", name);
	if (!maasval_is_subdomain(name))
		return invalid(e, kind, name, "metadata.name", "Invalid value: "
		    "\"%s\": a lowercase RFC 1123 subdomain must consist of "
		    "lower case alphanumeric characters, '-' or '.', and must "
		    "start and end with an alphanumeric character (e.g. "
		    "'example.com', regex used for validation is '"
		    RE_SUBDOMAIN "')", name);
	return 0;
}

/* A required string of minLength 1, maxLength max (0: none). */
static int
check_str(const cJSON *parent, const char *key, const char *field,
    size_t max, const char *kind, const char *name, struct err *e)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(parent, key);

	if (v == NULL || cJSON_IsNull(v))
		return invalid(e, kind, name, field, "Required value");
	if (!cJSON_IsString(v))
		return invalid(e, kind, name, field, "Invalid value: \"%s\": "
		    "%s in body must be of type string: \"%s\"",
		    cJSON_IsNumber(v) ? "number" : cJSON_IsBool(v) ? "boolean" :
		    cJSON_IsArray(v) ? "array" : "object", field,
		    cJSON_IsNumber(v) ? "number" : cJSON_IsBool(v) ? "boolean" :
		    cJSON_IsArray(v) ? "array" : "object");
	if (*v->valuestring == '\0')
		return invalid(e, kind, name, field, "Invalid value: \"\": %s "
		    "in body should be at least 1 chars long", field);
	if (max > 0 && strlen(v->valuestring) > max)
		return invalid(e, kind, name, field, "Too long: may not be more "
		    "than %zu bytes", max);
	return 0;
}

/* A required array with at least one item. */
static int
check_items(const cJSON *parent, const char *key, const char *field,
    const char *kind, const char *name, struct err *e)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(parent, key);

	if (v == NULL || cJSON_IsNull(v))
		return invalid(e, kind, name, field, "Required value");
	if (!cJSON_IsArray(v))
		return invalid(e, kind, name, field, "Invalid value: \"%s\": "
		    "%s in body must be of type array: \"%s\"", cJSON_IsString(v)
		    ? "string" : "object", field, cJSON_IsString(v) ? "string" :
		    "object");
	if (cJSON_GetArraySize(v) == 0)
		return invalid(e, kind, name, field, "Invalid value: 0: %s in "
		    "body should have at least 1 items", field);
	return 0;
}

/*
 * The opening MaaSSubscription and MaaSAuthPolicy share: metadata.name, a
 * spec, a non-empty spec.modelRefs whose items each have a name and a
 * namespace, and no model twice.  Sets *name and *spec (on success, and on
 * failure as far as they were reached).
 */
static int
check_spec_refs(const cJSON *obj, const char *kind, const char **name,
    const cJSON **spec, struct err *e)
{
	struct strlist	 seen = STRLIST_INIT;
	const cJSON	*r;
	char		*f, *key;
	int		 i = 0, rc = -1, bad;

	if (check_name(obj, kind, e) != 0)
		return -1;
	*name = json_str(obj, "metadata.name");
	if ((*spec = cJSON_GetObjectItemCaseSensitive(obj, "spec")) == NULL)
		return invalid(e, kind, *name, "spec", "Required value");
	if (check_items(*spec, "modelRefs", "spec.modelRefs", kind, *name, e))
		return -1;
	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(*spec,
	    "modelRefs")) {
		if (!cJSON_IsObject(r)) {
			f = xasprintf("spec.modelRefs[%d]", i);
			invalid(e, kind, *name, f, "Invalid value: \"%s\": "
			    "%s in body must be of type object", "string", f);
			free(f);
			goto out;
		}
		f = xasprintf("spec.modelRefs[%d].name", i);
		bad = check_str(r, "name", f, 63, kind, *name, e);
		free(f);
		if (bad)
			goto out;
		f = xasprintf("spec.modelRefs[%d].namespace", i);
		bad = check_str(r, "namespace", f, 63, kind, *name, e);
		free(f);
		if (bad)
			goto out;
		key = xasprintf("%s/%s", json_str(r, "namespace"),
		    json_str(r, "name"));
		if (sl_has(&seen, key)) {
			f = xasprintf("spec.modelRefs[%d]", i);
			invalid(e, kind, *name, f, "Duplicate value: \"%s\"",
			    key);
			free(f);
			free(key);
			goto out;
		}
		sl_take(&seen, key);
		i++;
	}
	rc = 0;
out:
	sl_free(&seen);
	return rc;
}

/* groups[].name and users[] of an owner or subjects object. */
static int
check_principals(const cJSON *o, const char *field, const char *kind,
    const char *name, int *count, struct err *e)
{
	struct strlist	 seen = STRLIST_INIT;
	const cJSON	*g;
	char		*f, *key;
	int		 i, rc = 0;

	*count = 0;
	i = 0;
	cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(o, "groups")) {
		f = xasprintf("%s.groups[%d].name", field, i++);
		if ((rc = check_str(g, "name", f, 0, kind, name, e)) == 0) {
			key = xasprintf("g:%s", json_str(g, "name"));
			if (sl_has(&seen, key))
				rc = invalid(e, kind, name, f, "Duplicate value: "
				    "\"%s\"", key + 2);
			sl_take(&seen, key);
		}
		free(f);
		if (rc != 0)
			goto out;
		(*count)++;
	}
	i = 0;
	cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(o, "users")) {
		f = xasprintf("%s.users[%d]", field, i++);
		if (!cJSON_IsString(g) || *g->valuestring == '\0')
			rc = invalid(e, kind, name, f, "Invalid value: \"\": "
			    "must be a non-empty user name");
		else {
			key = xasprintf("u:%s", g->valuestring);
			if (sl_has(&seen, key))
				rc = invalid(e, kind, name, f, "Duplicate value: "
				    "\"%s\"", key + 2);
			sl_take(&seen, key);
		}
		free(f);
		if (rc != 0)
			goto out;
		(*count)++;
	}
out:
	sl_free(&seen);
	return rc;
}

/* One tokenRateLimits entry. */
static int
check_rate(const cJSON *l, const char *field, const char *kind,
    const char *name, struct err *e)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(l, "limit");
	const char	*w;
	char		*f;
	int		 rc = 0;

	f = xasprintf("%s.limit", field);
	if (v == NULL)
		rc = invalid(e, kind, name, f, "Required value");
	else if (!cJSON_IsNumber(v) || v->valuedouble != (double)(long long)
	    v->valuedouble)
		rc = invalid(e, kind, name, f, "Invalid value: \"%s\": %s in "
		    "body must be of type integer: \"%s\"", cJSON_IsNumber(v) ?
		    "number" : "string", f, cJSON_IsNumber(v) ? "number" :
		    "string");
	else if (v->valuedouble < 1)
		rc = invalid(e, kind, name, f, "Invalid value: %lld: %s in "
		    "body should be greater than or equal to 1",
		    (long long)v->valuedouble, f);
	else if (v->valuedouble > (double)MAASVAL_LIMIT_MAX)
		rc = invalid(e, kind, name, f, "Invalid value: %lld: %s in "
		    "body should be less than or equal to %lld",
		    (long long)v->valuedouble, f, MAASVAL_LIMIT_MAX);
	free(f);
	if (rc != 0)
		return rc;
	f = xasprintf("%s.window", field);
	if ((rc = check_str(l, "window", f, 5, kind, name, e)) != 0)
		goto out;
	w = json_str(l, "window");
	if (strlen(w) < 2)
		rc = invalid(e, kind, name, f, "Invalid value: \"%s\": %s in "
		    "body should be at least 2 chars long", w, f);
	else if (duration_window_seconds(w) < 0)
		rc = invalid(e, kind, name, f, "Invalid value: \"%s\": %s in "
		    "body should match '" RE_WINDOW "'", w, f);
	else if (duration_window_seconds(w) > MAASVAL_WINDOW_MAX_S)
		rc = invalid(e, kind, name, f, "Invalid value: \"%s\": must "
		    "not exceed 8784h (366 days)", w);
out:
	free(f);
	return rc;
}

/* An optional object of string values (tokenMetadata, meteringMetadata). */
static int
check_meta(const cJSON *spec, const char *key, const char *kind,
    const char *name, struct err *e)
{
	const cJSON	*m = cJSON_GetObjectItemCaseSensitive(spec, key), *v;
	char		*f;
	int		 rc = 0;

	if (m == NULL)
		return 0;
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(m, "labels")) {
		if (cJSON_IsString(v) && *v->string != '\0')
			continue;
		f = xasprintf("spec.%s.labels", key);
		rc = invalid(e, kind, name, f, "Invalid value: \"%s\": label "
		    "keys must be non-empty and values strings", v->string);
		free(f);
		return rc;
	}
	return 0;
}

int
maasval_subscription(const cJSON *obj, struct err *e)
{
	static const char kind[] = "MaaSSubscription";
	const cJSON	*spec, *r, *l, *owner, *p;
	const char	*name;
	char		*f;
	int		 i, j, n;

	if (check_spec_refs(obj, kind, &name, &spec, e) != 0)
		return -1;
	i = 0;
	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(spec,
	    "modelRefs")) {
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(r,
		    "billingRate");

		if (b != NULL && (json_str(b, "perToken") == NULL ||
		    *json_str(b, "perToken") == '\0')) {
			f = xasprintf("spec.modelRefs[%d].billingRate.perToken",
			    i);
			invalid(e, kind, name, f, "Required value");
			free(f);
			return -1;
		}
		if (b != NULL) {
			char *end;

			errno = 0;
			if (strtod(json_str(b, "perToken"), &end) < 0 ||
			    *end != '\0' || errno != 0) {
				f = xasprintf("spec.modelRefs[%d].billingRate."
				    "perToken", i);
				invalid(e, kind, name, f, "Invalid value: \"%s\":"
				    " must be a non-negative decimal number",
				    json_str(b, "perToken"));
				free(f);
				return -1;
			}
		}
		f = xasprintf("spec.modelRefs[%d].tokenRateLimits", i);
		n = check_items(r, "tokenRateLimits", f, kind, name, e);
		free(f);
		if (n != 0)
			return -1;
		j = 0;
		cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(r,
		    "tokenRateLimits")) {
			f = xasprintf("spec.modelRefs[%d].tokenRateLimits[%d]",
			    i, j++);
			n = check_rate(l, f, kind, name, e);
			free(f);
			if (n != 0)
				return -1;
		}
		i++;
	}
	if ((owner = cJSON_GetObjectItemCaseSensitive(spec, "owner")) == NULL)
		return invalid(e, kind, name, "spec.owner", "Required value");
	if (check_principals(owner, "spec.owner", kind, name, &n, e) != 0)
		return -1;
	if (n == 0)
		return invalid(e, kind, name, "spec.owner", "Invalid value: "
		    "\"object\": at least one group or user must own the "
		    "subscription");
	p = cJSON_GetObjectItemCaseSensitive(spec, "priority");
	if (p != NULL && (!cJSON_IsNumber(p) || p->valuedouble !=
	    (double)(long long)p->valuedouble || p->valuedouble < INT_MIN ||
	    p->valuedouble > INT_MAX))
		return invalid(e, kind, name, "spec.priority", "Invalid value: "
		    "%s: must be a 32-bit integer", cJSON_IsNumber(p) ?
		    "number" : "\"string\"");
	return check_meta(spec, "tokenMetadata", kind, name, e) != 0 ? -1 : 0;
}

int
maasval_authpolicy(const cJSON *obj, struct err *e)
{
	static const char kind[] = "MaaSAuthPolicy";
	const cJSON	*spec, *subj;
	const char	*name;
	int		 n;

	if (check_spec_refs(obj, kind, &name, &spec, e) != 0)
		return -1;
	if ((subj = cJSON_GetObjectItemCaseSensitive(spec, "subjects")) ==
	    NULL)
		return invalid(e, kind, name, "spec.subjects", "Required value");
	if (check_principals(subj, "spec.subjects", kind, name, &n, e) != 0)
		return -1;
	if (n == 0)
		return invalid(e, kind, name, "spec.subjects", "Invalid value: "
		    "\"object\": at least one group or user must be specified "
		    "in subjects");
	return check_meta(spec, "meteringMetadata", kind, name, e) != 0 ? -1 :
	    0;
}

int
maasval_modelref(const cJSON *obj, struct err *e)
{
	static const char kind[] = "MaaSModelRef";
	const cJSON	*spec, *ref, *v, *it;
	const char	*name, *s;
	char		*end;
	long long	 n;

	if (check_name(obj, kind, e) != 0)
		return -1;
	name = json_str(obj, "metadata.name");
	if ((spec = cJSON_GetObjectItemCaseSensitive(obj, "spec")) == NULL)
		return invalid(e, kind, name, "spec", "Required value");
	if ((ref = cJSON_GetObjectItemCaseSensitive(spec, "modelRef")) == NULL)
		return invalid(e, kind, name, "spec.modelRef", "Required value");
	if ((s = json_str(ref, "kind")) == NULL)
		return invalid(e, kind, name, "spec.modelRef.kind",
		    "Required value");
	if (strcmp(s, "LLMInferenceService") != 0 &&
	    strcmp(s, "ExternalModel") != 0)
		return invalid(e, kind, name, "spec.modelRef.kind", "Unsupported "
		    "value: \"%s\": supported values: \"LLMInferenceService\", "
		    "\"ExternalModel\"", s);
	if (check_str(ref, "name", "spec.modelRef.name", 253, kind, name, e))
		return -1;
	if (!maasval_is_subdomain(json_str(ref, "name")))
		return invalid(e, kind, name, "spec.modelRef.name", "Invalid "
		    "value: \"%s\": must name a %s in the same namespace (a "
		    "lowercase RFC 1123 subdomain)", json_str(ref, "name"), s);
	if ((s = json_str(spec, "tenantRef")) != NULL && *s != '\0' &&
	    (strlen(s) > 253 || !maasval_is_label(s)))
		return invalid(e, kind, name, "spec.tenantRef", "Invalid value: "
		    "\"%s\": spec.tenantRef in body should match "
		    "'^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'", s);
	if ((s = json_str(spec, "endpointOverride")) != NULL &&
	    strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)
		return invalid(e, kind, name, "spec.endpointOverride", "Invalid "
		    "value: \"%s\": must be an absolute http:// or https:// URL",
		    s);
	v = json_path(obj, "metadata.annotations");
	it = cJSON_GetObjectItemCaseSensitive(v, "opendatahub.io/context-window");
	s = cJSON_IsString(it) ? it->valuestring : NULL;
	if (s != NULL) {
		errno = 0;
		n = strtoll(s, &end, 10);
		if (*s == '\0' || *end != '\0' || errno != 0 || n < 1)
			return invalid(e, kind, name, "metadata.annotations["
			    "opendatahub.io/context-window]", "Invalid value: "
			    "\"%s\": must be a positive number of tokens", s);
	}
	it = cJSON_GetObjectItemCaseSensitive(v,
	    "opendatahub.io/model-capabilities");
	if (cJSON_IsString(it)) {
		cJSON	*caps = cJSON_Parse(it->valuestring), *c;
		int	 ok = cJSON_IsArray(caps);

		cJSON_ArrayForEach(c, caps)
			if (!cJSON_IsString(c) || *c->valuestring == '\0')
				ok = 0;
		cJSON_Delete(caps);
		if (!ok)
			return invalid(e, kind, name, "metadata.annotations["
			    "opendatahub.io/model-capabilities]", "Invalid "
			    "value: \"%s\": must be a JSON array of strings",
			    it->valuestring);
	}
	return 0;
}
