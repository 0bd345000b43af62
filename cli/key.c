/*
 * key.c: `maasctl key create|list|get|revoke|rotate|limits`: the caller's
 * MaaS API keys through maas-api (<MAAS_URL>/maas-api/v1/api-keys...),
 * authenticated with the user's bearer token (--token @FILE|-|env:NAME,
 * $MAAS_TOKEN, or the token `maasctl login` stored in the profile).
 * The plaintext key exists only in the create answer: it is printed once
 * on stdout, or written 0600 to --output-file, or into a Kubernetes Secret
 * (--secret, through the kubeconfig's identity), and wiped from memory.
 *
 * Rotation has no server endpoint (MAAS-API.md §5): rotate reads the old
 * key, mints a new one with the same name, description, subscription,
 * labels and lifetime, verifies it with GET /v1/models, stores it, waits
 * the grace period and only then revokes the old key.  A failure before
 * the revoke leaves the old key working (and revokes the new one unless it
 * was already stored somewhere).  For tests, MAASCTL_TEST_ROTATE_FAIL=STEP
 * (mint, verify, secret, file, grace) makes that step fail as if the
 * server or the disk had refused it.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cmd.h"
#include "duration.h"
#include "json.h"
#include "kubectx.h"
#include "login.h"
#include "output.h"
#include "target.h"

static struct {
	const char	*expires;
	const char	*description;
	struct strlist	 labels;
	int		 ephemeral;
	const char	*output_file;
	struct strlist	 status;
	const char	*subscription;
	const char	*user;
	const char	*sort;
	int		 asc;
	long		 limit;
	long		 offset;
	int		 all_pages;
	int		 no_headers;
	int		 all;
	int		 dry_run;
	const char	*secret;
	double		 grace;
} K;

static const struct opt create_opts[] = {
	{ "expires", 0, OPT_STR, &K.expires, "D",
	  "lifetime: 30d, 1.5d, 12h, 90m (default and maximum 90d; "
	  "ephemeral 1h)", 0, NULL, NULL, 0, 0 },
	{ "description", 0, OPT_STR, &K.description, "T",
	  "free-text description stored with the key", 0, NULL, NULL, 0, 0 },
	{ "label", 0, OPT_LIST, &K.labels, "k=v",
	  "label set at creation (repeatable; immutable)", 0, NULL, NULL,
	  0, 0 },
	{ "subscription", 0, OPT_STR, &K.subscription, "S",
	  "bind the key to MaaSSubscription S (default: your "
	  "highest-priority subscription)", 0, NULL, NULL, 0, 0 },
	{ "ephemeral", 0, OPT_BOOL, &K.ephemeral, NULL,
	  "short-lived key (at most 1h), hidden from list by default", 0,
	  NULL, NULL, 0, 0 },
	{ "output-file", 0, OPT_STR, &K.output_file, "F",
	  "write the key to F (mode 0600) instead of stdout", 0, NULL,
	  "file", 0, 0 },
	{ "secret", 0, OPT_STR, &K.secret, "NS/NAME[:KEY]",
	  "write the key into Kubernetes Secret NAME of namespace NS, data "
	  "key KEY (default api-key), instead of stdout", 0, NULL, NULL, 0,
	  0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

static const struct opt revoke_opts[] = {
	{ "all", 0, OPT_BOOL, &K.all, NULL,
	  "revoke every active key of yours", 0, NULL, NULL, 0, 0 },
	{ "user", 0, OPT_STR, &K.user, "U",
	  "revoke every active key of user U (another user: admins only)",
	  0, NULL, NULL, 0, 0 },
	{ "subscription", 0, OPT_STR, &K.subscription, "S",
	  "revoke every active key bound to subscription S (admins only)",
	  0, NULL, NULL, 0, 0 },
	{ "dry-run", 0, OPT_BOOL, &K.dry_run, NULL,
	  "only count the keys that would be revoked", 0, NULL, NULL, 0,
	  0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

static const struct opt rotate_opts[] = {
	{ "secret", 0, OPT_STR, &K.secret, "NS/NAME[:KEY]",
	  "store the new key in this Secret (created or updated; data key "
	  "default api-key)", 0, NULL, NULL, 0, 0 },
	{ "grace", 0, OPT_DURATION, &K.grace, "D",
	  "wait D between storing the new key and revoking the old one",
	  0, NULL, NULL, 0, 0 },
	{ "output-file", 0, OPT_STR, &K.output_file, "F",
	  "write the new key to F (mode 0600)", 0, NULL, "file", 0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

static const struct opt list_opts[] = {
	{ "status", 0, OPT_LIST, &K.status, "S",
	  "only keys in status S: active, revoked, expired (repeatable)", 0,
	  NULL, "active|revoked|expired", 0, 0 },
	{ "label", 'l', OPT_LIST, &K.labels, "k=v",
	  "only keys carrying this label (repeatable, all must match)", 0,
	  NULL, NULL, 0, 0 },
	{ "subscription", 0, OPT_STR, &K.subscription, "NAME",
	  "only keys bound to this subscription", 0, NULL, NULL, 0, 0 },
	{ "user", 0, OPT_STR, &K.user, "U",
	  "another user's keys (admins only)", 0, NULL, NULL, 0, 0 },
	{ "ephemeral", 0, OPT_BOOL, &K.ephemeral, NULL,
	  "include ephemeral keys", 0, NULL, NULL, 0, 0 },
	{ "sort", 0, OPT_STR, &K.sort, "FIELD",
	  "sort by created_at (default), expires_at, last_used_at or name",
	  0, NULL, "created_at|expires_at|last_used_at|name", 0, 0 },
	{ "asc", 0, OPT_BOOL, &K.asc, NULL,
	  "ascending order (default: descending)", 0, NULL, NULL, 0, 0 },
	{ "limit", 0, OPT_INT, &K.limit, "N",
	  "keys per page (1-100, default 50)", 0, NULL, NULL, 1, 100 },
	{ "offset", 0, OPT_INT, &K.offset, "N",
	  "skip the first N keys", 0, NULL, NULL, 0, 1000000000 },
	{ "all-pages", 0, OPT_BOOL, &K.all_pages, NULL,
	  "fetch every page, not only the first", 0, NULL, NULL, 0, 0 },
	{ "no-headers", 0, OPT_BOOL, &K.no_headers, NULL,
	  "omit the table header", 0, NULL, NULL, 0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

static const struct opt get_opts[] = {
	{ "no-headers", 0, OPT_BOOL, &K.no_headers, NULL,
	  "omit the table header", 0, NULL, NULL, 0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

/* One maas-api exchange: method path [body]; the parsed 2xx answer or
 * NULL with e set (what names the operation in the error). */
static cJSON *
api_call(struct target *t, const char *method, const char *path,
    const char *body, const char *what, struct err *e)
{
	struct http_request	 req;
	struct http_response	 res = HTTP_RESPONSE_INIT;
	const char		**h;
	char			*url;
	cJSON			*o = NULL;

	memset(&req, 0, sizeof req);
	url = xasprintf("%s%s", t->base, path);
	h = target_headers(t, body != NULL);
	req.method = method;
	req.url = url;
	req.headers = h;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.retry_safe = strcmp(method, "POST") != 0 ||
	    strstr(path, "/search") != NULL;
	if (http_do(&t->http, &req, &res, e) == 0)
		o = target_answer_json(t, what, url, &res, e);
	/* The create answer holds the plaintext key: wipe the buffer. */
	if (res.body.buf != NULL)
		memset(res.body.buf, 0, res.body.len);
	target_headers_free(h);
	http_response_free(&res);
	free(url);
	return o;
}

/* k=v strings into an object; -1 with e on a malformed one. */
static int
labels_obj(const struct strlist *l, cJSON **out, struct err *e)
{
	const char	*eq;
	char		*k;
	size_t		 i;

	*out = NULL;
	if (l->n == 0)
		return 0;
	*out = cJSON_CreateObject();
	for (i = 0; i < l->n; i++) {
		if ((eq = strchr(l->v[i], '=')) == NULL || eq == l->v[i]) {
			cJSON_Delete(*out);
			*out = NULL;
			return err_set(e, EXIT_USAGE, "invalid --label \"%s\": "
			    "want key=value", l->v[i]);
		}
		k = xstrndup(l->v[i], (size_t)(eq - l->v[i]));
		cJSON_DeleteItemFromObjectCaseSensitive(*out, k);
		cJSON_AddStringToObject(*out, k, eq + 1);
		free(k);
	}
	return 0;
}

/* Write the key to path, mode 0600 (an existing file is replaced). */
static int
write_key_file(const char *path, const char *key, const char *what,
    struct err *e)
{
	char	*tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	size_t	 n = strlen(key);
	int	 fd, ok;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		err_set(e, EXIT_ERR, "%s: cannot write %s: %s", what, path,
		    strerror(errno));
		free(tmp);
		return -1;
	}
	ok = fchmod(fd, 0600) == 0 && write(fd, key, n) == (ssize_t)n &&
	    write(fd, "\n", 1) == 1 && fsync(fd) == 0;
	if (close(fd) != 0)
		ok = 0;
	if (ok && rename(tmp, path) != 0)
		ok = 0;
	if (!ok) {
		err_set(e, EXIT_ERR, "%s: cannot write %s: %s", what, path,
		    strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return ok ? 0 : -1;
}

/* A Secret named on the command line: NS/NAME[:KEY]. */
struct secret_ref {
	char	*ns;
	char	*name;
	char	*key;		/* data key, default "api-key" */
};

static void
secret_ref_free(struct secret_ref *r)
{
	free(r->ns);
	free(r->name);
	free(r->key);
	memset(r, 0, sizeof *r);
}

/* DNS-1123 subdomain (dots allowed) or label. */
static int
dns_name(const char *s, size_t n, int dots)
{
	size_t	i;

	if (n == 0 || n > (dots ? 253u : 63u) || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
		    s[i] == '-' || (dots && s[i] == '.')))
			return 0;
	return 1;
}

static int
secret_ref_parse(const char *spec, struct secret_ref *r, struct err *e)
{
	const char	*slash = strchr(spec, '/'), *colon;
	size_t		 i;

	memset(r, 0, sizeof *r);
	colon = slash ? strchr(slash, ':') : NULL;
	if (slash == NULL || !dns_name(spec, (size_t)(slash - spec), 0) ||
	    !dns_name(slash + 1, colon ? (size_t)(colon - slash - 1) :
	    strlen(slash + 1), 1))
		goto bad;
	if (colon != NULL) {
		if (colon[1] == '\0' || strlen(colon + 1) > 253)
			goto bad;
		for (i = 1; colon[i] != '\0'; i++)
			if (!isalnum((unsigned char)colon[i]) &&
			    strchr("-._", colon[i]) == NULL)
				goto bad;
	}
	r->ns = xstrndup(spec, (size_t)(slash - spec));
	r->name = colon ? xstrndup(slash + 1, (size_t)(colon - slash - 1)) :
	    xstrdup(slash + 1);
	r->key = xstrdup(colon ? colon + 1 : "api-key");
	return 0;
bad:
	return err_set(e, EXIT_USAGE, "invalid --secret \"%s\": want "
	    "NAMESPACE/NAME[:KEY] (DNS names; KEY of letters, digits, '-', '_' "
	    "and '.')", spec);
}

/* Wipe every string value of data/stringData in a Secret object. */
static void
secret_wipe(cJSON *o)
{
	cJSON	*it;

	cJSON_ArrayForEach(it, cJSON_GetObjectItem(o, "data"))
		if (cJSON_IsString(it))
			memset(it->valuestring, 0, strlen(it->valuestring));
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(o, "stringData"))
		if (cJSON_IsString(it))
			memset(it->valuestring, 0, strlen(it->valuestring));
}

/* The shared kube client of the kubeconfig's own identity: --token is the
 * MaaS token here (@FILE, env:NAME), not a Kubernetes credential. */
static struct kube *
kube_as_kubeconfig(struct ctx *ctx, struct err *e)
{
	const char	*saved = ctx->g.token;
	struct kube	*k;

	ctx->g.token = NULL;
	k = ctx_kube(ctx, e);
	ctx->g.token = saved;
	return k;
}

/* Create or update the Secret so that data[key] holds value; *created
 * says which.  The value travels as stringData (never traced: the sk-oai-
 * form is redacted) and every copy is wiped. */
static int
secret_store(struct ctx *ctx, const struct secret_ref *r, const char *value,
    int *created, struct err *e)
{
	struct kube		*k;
	struct kube_resource	 res;
	struct kube_write_opts	 wo = KUBE_WRITE_OPTS_INIT;
	struct err		 e2 = ERR_INIT;
	cJSON			*cur = NULL, *obj = NULL, *out = NULL, *sd;
	int			 rc = -1;

	memset(&res, 0, sizeof res);
	*created = 0;
	if ((k = kube_as_kubeconfig(ctx, e)) == NULL)
		return -1;
	wo.field_manager = "maasctl";
	kube_resource_set(&res, "", "v1", "secrets", "Secret", 1);
	if (kube_get(k, &res, r->ns, r->name, &cur, &e2) == 0) {
		obj = cur;
		cur = NULL;
		cJSON_DeleteItemFromObjectCaseSensitive(json_obj(obj, "data"),
		    r->key);
		sd = json_obj(obj, "stringData");
		cJSON_DeleteItemFromObjectCaseSensitive(sd, r->key);
		cJSON_AddStringToObject(sd, r->key, value);
		rc = kube_replace(k, &res, r->ns, obj, NULL, &wo, &out, e);
	} else if (e2.http_status == 404) {
		obj = cJSON_CreateObject();
		cJSON_AddStringToObject(obj, "apiVersion", "v1");
		cJSON_AddStringToObject(obj, "kind", "Secret");
		json_set_str(obj, "metadata.name", r->name);
		json_set_str(obj, "metadata.namespace", r->ns);
		json_set_str(obj, "metadata.labels.app\\.kubernetes\\.io/"
		    "managed-by", "maasctl");
		cJSON_AddStringToObject(obj, "type", "Opaque");
		sd = cJSON_AddObjectToObject(obj, "stringData");
		cJSON_AddStringToObject(sd, r->key, value);
		rc = kube_create(k, &res, r->ns, obj, &wo, &out, e);
		*created = rc == 0;
	} else
		err_move(e, &e2);
	err_clear(&e2);
	secret_wipe(obj);
	secret_wipe(cur);
	secret_wipe(out);
	cJSON_Delete(obj);
	cJSON_Delete(cur);
	cJSON_Delete(out);
	kube_resource_free(&res);
	return rc;
}

/* Prefix context to any error, kubectl's raw forms included (err_wrap
 * leaves those alone); the hint is kept. */
static void
err_context(struct err *e, const char *prefix)
{
	char	*msg = xstrdup(e->msg ? e->msg : "failed");
	char	*hint = e->hint ? xstrdup(e->hint) : NULL;
	int	 code = e->code ? e->code : EXIT_ERR;

	err_set(e, code, "%s: %s", prefix, msg);
	if (hint != NULL)
		err_hint(e, "%s", hint);
	free(msg);
	free(hint);
}

static int
key_create(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct output	 out;
	struct target	 t;
	cJSON		*req, *labels, *res = NULL, *item;
	const char	*key;
	char		*body = NULL;
	int		 rc = -1;

	struct secret_ref sref;
	int		 created;

	memset(&sref, 0, sizeof sref);
	if (argc < 1 && !K.ephemeral)
		return err_set(e, EXIT_USAGE, "key create: a NAME is required "
		    "(only --ephemeral keys may omit it)");
	if (K.secret != NULL && secret_ref_parse(K.secret, &sref, e) != 0)
		return -1;
	if (output_parse(&out, ctx->g.output, e) != 0) {
		secret_ref_free(&sref);
		return -1;
	}
	if (labels_obj(&K.labels, &labels, e) != 0)
		goto done;
	req = cJSON_CreateObject();
	if (argc >= 1)
		cJSON_AddStringToObject(req, "name", argv[0]);
	if (K.description != NULL)
		cJSON_AddStringToObject(req, "description", K.description);
	if (K.expires != NULL)
		cJSON_AddStringToObject(req, "expiresIn", K.expires);
	if (K.ephemeral)
		cJSON_AddTrueToObject(req, "ephemeral");
	if (K.subscription != NULL)
		cJSON_AddStringToObject(req, "subscription", K.subscription);
	if (labels != NULL)
		cJSON_AddItemToObject(req, "labels", labels);
	body = json_print(req, 0);
	cJSON_Delete(req);
	if (target_resolve_maasapi(ctx, &t, e) != 0)
		goto done;
	res = api_call(&t, "POST", "/v1/api-keys", body, "key create", e);
	target_free(&t);
	if (res == NULL)
		goto done;
	item = cJSON_GetObjectItem(res, "key");
	if (!cJSON_IsString(item) || strncmp(item->valuestring, "sk-oai-",
	    7) != 0) {
		err_set(e, EXIT_ERR, "key create: maas-api answered without "
		    "a key");
		goto done;
	}
	key = item->valuestring;
	if (sref.ns != NULL) {
		if (secret_store(ctx, &sref, key, &created, e) != 0) {
			char *p = xasprintf("key create: the key (id %s) was "
			    "minted but not stored in secret %s/%s",
			    json_str(res, "id") ? json_str(res, "id") : "?",
			    sref.ns, sref.name);

			err_context(e, p);
			free(p);
			err_hint(e, "revoke it with 'maasctl key revoke %s'",
			    json_str(res, "id") ? json_str(res, "id") : "ID");
			goto done;
		}
		fprintf(stderr, "secret %s/%s %s (data key %s)\n", sref.ns,
		    sref.name, created ? "created" : "updated", sref.key);
	}
	if (K.output_file != NULL) {
		if (write_key_file(K.output_file, key, "key create", e) != 0)
			goto done;
	}
	if (K.output_file != NULL || sref.ns != NULL)
		cJSON_DeleteItemFromObject(res, "key");
	if (out.format == OUTPUT_NAME)
		printf("%s\n", json_str(res, "id"));
	else if (!output_is_table(&out)) {
		if (output_print(&out, res, NULL, stdout, stderr, e) != 0)
			goto done;
	} else {
		if (K.output_file == NULL && sref.ns == NULL)
			printf("%s\n", key);
		fprintf(stderr, "created API key \"%s\" (id %s) for "
		    "subscription %s, expires %s%s\n",
		    json_str(res, "name") ? json_str(res, "name") : "",
		    json_str(res, "id") ? json_str(res, "id") : "?",
		    json_str(res, "subscription") ? json_str(res,
		    "subscription") : "?",
		    json_str(res, "expiresAt") ? json_str(res, "expiresAt") :
		    "?", K.output_file || sref.ns ? "" :
		    "; it is shown only once");
		if (K.output_file != NULL)
			fprintf(stderr, "the key is in %s (mode 0600)\n",
			    K.output_file);
	}
	fflush(stdout);
	rc = 0;
done:
	if (res != NULL && (item = cJSON_GetObjectItem(res, "key")) != NULL &&
	    cJSON_IsString(item))
		memset(item->valuestring, 0, strlen(item->valuestring));
	cJSON_Delete(res);
	free(body);
	output_free(&out);
	secret_ref_free(&sref);
	return rc;
}

static void
print_keys(const cJSON *keys, const struct output *out)
{
	static const char *const hdr[] = { "ID", "NAME", "STATUS",
	    "SUBSCRIPTION", "EXPIRES", "USER", "LABELS" };
	struct output_table	*tb;
	const cJSON		*k, *l;
	struct strbuf		 sb = STRBUF_INIT;
	const char		*s;

	tb = output_table_new(hdr, 7);
	output_table_wide(tb, 5);
	output_table_wide(tb, 6);
	cJSON_ArrayForEach(k, keys) {
		output_table_add(tb, json_str(k, "id"));
		output_table_add(tb, json_str(k, "name"));
		output_table_add(tb, json_str(k, "status"));
		s = json_str(k, "subscription");
		output_table_add(tb, s && *s ? s : "<none>");
		output_table_add(tb, json_str(k, "expirationDate"));
		output_table_add(tb, json_str(k, "username"));
		sb_reset(&sb);
		cJSON_ArrayForEach(l, cJSON_GetObjectItem(k, "labels"))
			if (cJSON_IsString(l))
				sb_addf(&sb, "%s%s=%s", sb.len ? "," : "",
				    l->string, l->valuestring);
		output_table_add(tb, sb.len ? sb.buf : "<none>");
		output_table_end_row(tb);
	}
	sb_free(&sb);
	if (output_table_rows(tb) == 0)
		fprintf(stderr, "No API keys found\n");
	else
		output_table_print(tb, out, stdout);
	output_table_free(tb);
}

/* Print a list of ApiKey objects (or one, for get) in the -o format. */
static int
print_result(struct output *out, const cJSON *shown, const cJSON *keys,
    struct err *e)
{
	const cJSON	*k;

	if (output_is_table(out)) {
		print_keys(keys, out);
		return 0;
	}
	if (out->format == OUTPUT_NAME) {
		cJSON_ArrayForEach(k, keys)
			if (json_str(k, "id") != NULL)
				printf("%s\n", json_str(k, "id"));
		return 0;
	}
	return output_print(out, shown, NULL, stdout, stderr, e);
}

static int
key_list(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct output	 out;
	struct target	 t;
	cJSON		*req, *f, *arr, *labels, *page, *all = NULL, *data;
	char		*body;
	long		 offset = K.offset, limit = K.limit ? K.limit : 50;
	size_t		 i;
	int		 rc = -1, more;

	(void)argc;
	(void)argv;
	if (output_parse(&out, ctx->g.output, e) != 0)
		return -1;
	if (labels_obj(&K.labels, &labels, e) != 0)
		goto done;
	if (target_resolve_maasapi(ctx, &t, e) != 0) {
		cJSON_Delete(labels);
		goto done;
	}
	req = cJSON_CreateObject();
	f = cJSON_AddObjectToObject(req, "filters");
	if (K.user != NULL)
		cJSON_AddStringToObject(f, "username", K.user);
	if (K.status.n > 0) {
		arr = cJSON_AddArrayToObject(f, "status");
		for (i = 0; i < K.status.n; i++)
			cJSON_AddItemToArray(arr,
			    cJSON_CreateString(K.status.v[i]));
	}
	if (K.ephemeral)
		cJSON_AddTrueToObject(f, "includeEphemeral");
	if (K.subscription != NULL)
		cJSON_AddStringToObject(f, "subscription", K.subscription);
	if (labels != NULL)
		cJSON_AddItemToObject(f, "labelsContain", labels);
	if (K.sort != NULL || K.asc) {
		cJSON *s = cJSON_AddObjectToObject(req, "sort");

		cJSON_AddStringToObject(s, "by", K.sort ? K.sort :
		    "created_at");
		cJSON_AddStringToObject(s, "order", K.asc ? "asc" : "desc");
	}
	f = cJSON_AddObjectToObject(req, "pagination");
	cJSON_AddNumberToObject(f, "limit", (double)limit);
	cJSON_AddNumberToObject(f, "offset", 0);
	for (;;) {
		cJSON_ReplaceItemInObject(f, "offset",
		    cJSON_CreateNumber((double)offset));
		body = json_print(req, 0);
		page = api_call(&t, "POST", "/v1/api-keys/search", body,
		    "key list", e);
		free(body);
		if (page == NULL)
			break;
		data = cJSON_GetObjectItem(page, "data");
		if (!cJSON_IsArray(data)) {
			err_set(e, EXIT_ERR, "key list: the answer has no "
			    "\"data\" list");
			cJSON_Delete(page);
			break;
		}
		more = cJSON_IsTrue(cJSON_GetObjectItem(page, "has_more"));
		if (all == NULL)
			all = page;
		else {
			while (cJSON_GetArraySize(data) > 0)
				cJSON_AddItemToArray(cJSON_GetObjectItem(all,
				    "data"), cJSON_DetachItemFromArray(data, 0));
			cJSON_ReplaceItemInObject(all, "has_more",
			    cJSON_CreateBool(more));
			cJSON_Delete(page);
		}
		if (!K.all_pages || !more || cJSON_GetArraySize(
		    cJSON_GetObjectItem(all, "data")) == 0)
			break;
		offset += limit;
	}
	cJSON_Delete(req);
	target_free(&t);
	if (all == NULL || e->code != 0)
		goto done;
	if (print_result(&out, all, cJSON_GetObjectItem(all, "data"), e) != 0)
		goto done;
	rc = 0;
done:
	cJSON_Delete(all);
	output_free(&out);
	return rc;
}

/* An id is a path segment: refuse what would change the path. */
static int
check_id(const char *id, const char *what, struct err *e)
{
	if (id[0] == '\0' || strpbrk(id, "/?#% \t\r\n") != NULL ||
	    strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return err_set(e, EXIT_USAGE, "%s: invalid key id \"%s\"",
		    what, id);
	return 0;
}

static int
key_get(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct output	 out;
	struct target	 t;
	cJSON		*o = NULL, *one;
	char		*path, *what;
	int		 rc = -1;

	(void)argc;
	if (check_id(argv[0], "key get", e) != 0)
		return -1;
	if (output_parse(&out, ctx->g.output, e) != 0)
		return -1;
	if (target_resolve_maasapi(ctx, &t, e) != 0)
		goto done;
	path = xasprintf("/v1/api-keys/%s", argv[0]);
	what = xasprintf("key get %s", argv[0]);
	o = api_call(&t, "GET", path, NULL, what, e);
	free(path);
	free(what);
	target_free(&t);
	if (o == NULL)
		goto done;
	one = cJSON_CreateArray();
	cJSON_AddItemReferenceToArray(one, o);
	rc = print_result(&out, o, one, e);
	cJSON_Delete(one);
done:
	cJSON_Delete(o);
	output_free(&out);
	return rc;
}

/* POST /v1/api-keys/bulk-revoke for --all, --user, --subscription. */
static int
key_revoke_bulk(struct ctx *ctx, struct err *e)
{
	struct output	 out;
	struct target	 t;
	cJSON		*req, *o = NULL;
	char		*body, *me = NULL;
	int		 rc = -1;

	if (output_parse(&out, ctx->g.output, e) != 0)
		return -1;
	if (target_resolve_maasapi(ctx, &t, e) != 0)
		goto done;
	if (K.all && K.user == NULL && maas_whoami(ctx, &t, &me, NULL, e) != 0) {
		err_wrap(e, "key revoke --all: cannot tell who you are");
		err_hint(e, "name yourself with --user U");
		goto done_t;
	}
	req = cJSON_CreateObject();
	if (K.user != NULL || me != NULL)
		cJSON_AddStringToObject(req, "username", K.user ? K.user : me);
	if (K.subscription != NULL)
		cJSON_AddStringToObject(req, "subscription", K.subscription);
	if (K.dry_run)
		cJSON_AddTrueToObject(req, "dryRun");
	body = json_print(req, 0);
	cJSON_Delete(req);
	o = api_call(&t, "POST", "/v1/api-keys/bulk-revoke", body,
	    "key revoke", e);
	free(body);
	if (o == NULL)
		goto done_t;
	if (output_is_table(&out) || out.format == OUTPUT_NAME)
		printf("%s\n", json_str(o, "message") ? json_str(o, "message") :
		    "");
	else if (output_print(&out, o, NULL, stdout, stderr, e) != 0)
		goto done_t;
	rc = 0;
done_t:
	target_free(&t);
done:
	cJSON_Delete(o);
	free(me);
	output_free(&out);
	return rc;
}

static int
key_revoke(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct output	 out;
	struct target	 t;
	struct err	 one = ERR_INIT;
	cJSON		*o;
	char		*path, *what;
	int		 i, failed = 0, bulk;

	bulk = K.all || K.user != NULL || K.subscription != NULL;
	if (bulk && argc > 0)
		return err_set(e, EXIT_USAGE, "key revoke: give key ids or "
		    "--all/--user/--subscription, not both");
	if (!bulk && argc == 0)
		return err_set(e, EXIT_USAGE, "key revoke: give key ids, or "
		    "--all, --user U or --subscription S");
	if (K.dry_run && !bulk)
		return err_set(e, EXIT_USAGE, "key revoke: --dry-run needs "
		    "--all, --user or --subscription");
	if (K.all && K.user != NULL)
		return err_set(e, EXIT_USAGE, "key revoke: --all and --user "
		    "exclude each other");
	if (bulk)
		return key_revoke_bulk(ctx, e);
	for (i = 0; i < argc; i++)
		if (check_id(argv[i], "key revoke", e) != 0)
			return -1;
	if (output_parse(&out, ctx->g.output, e) != 0)
		return -1;
	if (target_resolve_maasapi(ctx, &t, e) != 0) {
		output_free(&out);
		return -1;
	}
	for (i = 0; i < argc; i++) {
		path = xasprintf("/v1/api-keys/%s", argv[i]);
		what = xasprintf("key revoke %s", argv[i]);
		o = api_call(&t, "DELETE", path, NULL, what, &one);
		free(path);
		free(what);
		if (o == NULL) {
			/* Report each failure; the first decides the exit. */
			err_keep_first(e, &one);
			failed = 1;
			continue;
		}
		if (out.format == OUTPUT_NAME || output_is_table(&out))
			printf("%s revoked\n", argv[i]);
		else
			output_print(&out, o, NULL, stdout, stderr, &one);
		cJSON_Delete(o);
	}
	target_free(&t);
	output_free(&out);
	return failed ? -1 : 0;
}

static int
key_limits(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct output	 out;
	struct target	 t;
	cJSON		*o = NULL;
	int		 rc = -1;

	(void)argc;
	(void)argv;
	if (output_parse(&out, ctx->g.output, e) != 0)
		return -1;
	if (target_resolve_maasapi(ctx, &t, e) != 0)
		goto done;
	o = api_call(&t, "GET", "/v1/api-keys/config", NULL, "key limits", e);
	target_free(&t);
	if (o == NULL)
		goto done;
	if (output_is_table(&out) || out.format == OUTPUT_NAME) {
		printf("maximum key lifetime:       %g days\n",
		    json_num(o, "max_expiration_days", 0));
		printf("maximum ephemeral lifetime: %s\n",
		    json_str(o, "ephemeral_max_expiration") ?
		    json_str(o, "ephemeral_max_expiration") : "?");
	} else if (output_print(&out, o, NULL, stdout, stderr, e) != 0)
		goto done;
	rc = 0;
done:
	cJSON_Delete(o);
	output_free(&out);
	return rc;
}

/* ---- rotate ---- */

/* Is s a UUID (a key id rather than a name)? */
static int
is_uuid(const char *s)
{
	size_t	i;

	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' :
		    !isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* The old key: by id (GET), or the only active key with that name. */
static cJSON *
rotate_find(struct target *t, const char *which, struct err *e)
{
	cJSON		*page = NULL, *found = NULL, *k;
	char		*path, *body;
	long		 offset = 0;
	int		 n = 0, more;

	if (is_uuid(which)) {
		path = xasprintf("/v1/api-keys/%s", which);
		found = api_call(t, "GET", path, NULL, "key rotate: reading "
		    "the old key", e);
		free(path);
		return found;
	}
	do {
		body = xasprintf("{\"filters\":{\"status\":[\"active\"],"
		    "\"includeEphemeral\":true},\"pagination\":{\"limit\":100,"
		    "\"offset\":%ld}}", offset);
		page = api_call(t, "POST", "/v1/api-keys/search", body,
		    "key rotate: finding the old key", e);
		free(body);
		if (page == NULL) {
			cJSON_Delete(found);
			return NULL;
		}
		cJSON_ArrayForEach(k, cJSON_GetObjectItem(page, "data"))
			if (json_str(k, "name") != NULL &&
			    strcmp(json_str(k, "name"), which) == 0) {
				if (n++ == 0)
					found = cJSON_Duplicate(k, 1);
			}
		more = cJSON_IsTrue(cJSON_GetObjectItem(page, "has_more"));
		cJSON_Delete(page);
		offset += 100;
	} while (more);
	if (n == 1)
		return found;
	cJSON_Delete(found);
	if (n == 0)
		err_set(e, EXIT_NOTFOUND, "key rotate: no active key named "
		    "\"%s\"", which);
	else {
		err_set(e, EXIT_USAGE, "key rotate: %d active keys are named "
		    "\"%s\"", n, which);
		err_hint(e, "give the id of the one to rotate ('maasctl key "
		    "list')");
	}
	return NULL;
}

/* The test hook: does MAASCTL_TEST_ROTATE_FAIL name this step? */
static int
fail_here(const char *step)
{
	const char	*v = getenv("MAASCTL_TEST_ROTATE_FAIL");

	return v != NULL && strcmp(v, step) == 0;
}

/* Verify the new key the way a client would use it: GET /v1/models.
 * The gateway may take a moment to accept a new key: retry 401/403. */
static int
rotate_verify(struct target *t, const char *key, struct err *e)
{
	struct target	 kt;
	cJSON		*o = NULL;
	int		 i;

	kt = *t;
	kt.key = (char *)key;
	for (i = 0; i < 5; i++) {
		err_clear(e);
		if (fail_here("verify")) {
			err_set(e, EXIT_AUTH, "GET /v1/models with the new key: "
			    "403 Forbidden: Access denied (injected by "
			    "MAASCTL_TEST_ROTATE_FAIL)");
			return -1;
		}
		if ((o = target_get_json(&kt, "/v1/models", NULL,
		    "GET /v1/models with the new key", e)) != NULL)
			break;
		if (e->code != EXIT_AUTH)
			return -1;
		sleep(1);
	}
	if (o == NULL)
		return -1;
	cJSON_Delete(o);
	return 0;
}

static long long
rfc3339_secs(const char *s)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof tm);
	if (s == NULL || strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return -1;
	return (long long)timegm(&tm);
}

static void
step_say(int n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
step_say(int n, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "[%d/5] ", n);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int
key_rotate(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct target	 t;
	struct secret_ref sref;
	struct err	 e2 = ERR_INIT;
	cJSON		*old = NULL, *req = NULL, *res = NULL, *l, *it;
	const char	*old_id, *new_id = NULL, *key;
	char		*body = NULL, *path, *dur;
	struct timespec	 ts;
	long long	 created, expires;
	int		 rc = -1, stored = 0, was_created, minted = 0;

	(void)argc;
	memset(&sref, 0, sizeof sref);
	memset(&t, 0, sizeof t);
	if (K.secret != NULL && secret_ref_parse(K.secret, &sref, e) != 0)
		return -1;
	if (K.grace < 0) {
		err_set(e, EXIT_USAGE, "key rotate: --grace must not be "
		    "negative");
		goto out;
	}
	if (target_resolve_maasapi(ctx, &t, e) != 0)
		goto out;
	/* 1: read the old key. */
	if ((old = rotate_find(&t, argv[0], e)) == NULL)
		goto out;
	old_id = json_str(old, "id");
	if (old_id == NULL || check_id(old_id, "key rotate", e) != 0)
		goto out;
	if (json_str(old, "status") == NULL ||
	    strcmp(json_str(old, "status"), "active") != 0) {
		err_set(e, EXIT_USAGE, "key rotate: key %s is %s; only an "
		    "active key can be rotated", old_id, json_str(old,
		    "status") ? json_str(old, "status") : "of unknown status");
		goto out;
	}
	created = rfc3339_secs(json_str(old, "creationDate"));
	expires = rfc3339_secs(json_str(old, "expirationDate"));
	step_say(1, "old key %s \"%s\" (subscription %s, expires %s)",
	    old_id, json_str(old, "name") ? json_str(old, "name") : "",
	    json_str(old, "subscription") ? json_str(old, "subscription") :
	    "<none>", json_str(old, "expirationDate") ?
	    json_str(old, "expirationDate") : "never");
	/* 2: mint the new key with the same attributes and lifetime. */
	req = cJSON_CreateObject();
	if (json_str(old, "name") != NULL)
		cJSON_AddStringToObject(req, "name", json_str(old, "name"));
	if (json_str(old, "description") != NULL)
		cJSON_AddStringToObject(req, "description",
		    json_str(old, "description"));
	if (json_str(old, "subscription") != NULL)
		cJSON_AddStringToObject(req, "subscription",
		    json_str(old, "subscription"));
	if (cJSON_IsTrue(cJSON_GetObjectItem(old, "ephemeral")))
		cJSON_AddTrueToObject(req, "ephemeral");
	if (created > 0 && expires > created)
		cJSON_AddNumberToObject(req, "expiresIn",
		    (double)(expires - created));
	if ((l = cJSON_GetObjectItem(old, "labels")) != NULL &&
	    cJSON_GetArraySize(l) > 0)
		cJSON_AddItemToObject(req, "labels", cJSON_Duplicate(l, 1));
	body = json_print(req, 0);
	if (fail_here("mint"))
		err_set(e, EXIT_UNREACHABLE, "key rotate: minting the new key: "
		    "HTTP 503: injected by MAASCTL_TEST_ROTATE_FAIL");
	else
		res = api_call(&t, "POST", "/v1/api-keys", body,
		    "key rotate: minting the new key", e);
	if (res == NULL)
		goto keep_old;
	it = cJSON_GetObjectItem(res, "key");
	new_id = json_str(res, "id");
	if (!cJSON_IsString(it) || strncmp(it->valuestring, "sk-oai-", 7) != 0
	    || new_id == NULL) {
		err_set(e, EXIT_ERR, "key rotate: maas-api answered the mint "
		    "without a key");
		goto keep_old;
	}
	minted = 1;
	key = it->valuestring;
	dur = duration_format((double)(expires - created));
	step_say(2, "minted new key %s (subscription %s, lifetime %s, "
	    "expires %s)", new_id, json_str(res, "subscription") ?
	    json_str(res, "subscription") : "?", created > 0 &&
	    expires > created ? dur : "default", json_str(res, "expiresAt") ?
	    json_str(res, "expiresAt") : "?");
	free(dur);
	/* 3: verify it. */
	if (rotate_verify(&t, key, e) != 0) {
		err_wrap(e, "key rotate: the new key does not work");
		goto keep_old;
	}
	step_say(3, "verified the new key: GET /v1/models answered 200");
	/* 4: store it. */
	if (sref.ns != NULL) {
		if (fail_here("secret"))
			err_set(e, EXIT_AUTH, "secrets \"%s\" is forbidden: "
			    "injected by MAASCTL_TEST_ROTATE_FAIL", sref.name);
		else if (secret_store(ctx, &sref, key, &was_created, e) == 0)
			stored = 1;
		if (!stored) {
			path = xasprintf("key rotate: storing the new key in "
			    "secret %s/%s", sref.ns, sref.name);
			err_context(e, path);
			free(path);
			goto keep_old;
		}
		step_say(4, "secret %s/%s %s with the new key (data key %s)",
		    sref.ns, sref.name, was_created ? "created" : "updated",
		    sref.key);
	}
	if (K.output_file != NULL) {
		if (fail_here("file")) {
			err_set(e, EXIT_ERR, "key rotate: cannot write %s: "
			    "injected by MAASCTL_TEST_ROTATE_FAIL",
			    K.output_file);
			goto keep_old;
		}
		if (write_key_file(K.output_file, key, "key rotate", e) != 0)
			goto keep_old;
		stored = 1;
		step_say(4, "wrote the new key to %s (mode 0600)",
		    K.output_file);
	}
	if (sref.ns == NULL && K.output_file == NULL) {
		printf("%s\n", key);
		fflush(stdout);
		stored = 1;
		step_say(4, "printed the new key on standard output; it is "
		    "shown only once");
	}
	/* 5: grace, then revoke the old key. */
	if (K.grace > 0) {
		dur = duration_format(K.grace);
		fprintf(stderr, "[5/5] waiting %s before revoking the old "
		    "key\n", dur);
		free(dur);
		if (fail_here("grace")) {
			err_set(e, EXIT_INTERRUPTED, "key rotate: interrupted "
			    "during the grace period (injected by "
			    "MAASCTL_TEST_ROTATE_FAIL)");
			goto keep_old;
		}
		ts.tv_sec = (time_t)K.grace;
		ts.tv_nsec = (long)((K.grace - floor(K.grace)) * 1e9);
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	}
	path = xasprintf("/v1/api-keys/%s", old_id);
	cJSON_Delete(req);
	req = api_call(&t, "DELETE", path, NULL, "key rotate: revoking the "
	    "old key", e);
	free(path);
	if (req == NULL) {
		err_hint(e, "the new key %s is in place; the old key %s still "
		    "works: revoke it with 'maasctl key revoke %s'", new_id,
		    old_id, old_id);
		goto out;
	}
	step_say(5, "revoked the old key %s", old_id);
	rc = 0;
	goto out;
keep_old:
	/* Nothing was revoked: say so, and take back an unused new key. */
	if (minted && !stored) {
		path = xasprintf("/v1/api-keys/%s", new_id);
		cJSON_Delete(api_call(&t, "DELETE", path, NULL,
		    "key rotate: revoking the unused new key", &e2));
		free(path);
		err_hint(e, "the old key %s still works; the new key %s %s",
		    old_id, new_id, e2.code == 0 ? "was revoked again" :
		    "could not be revoked: revoke it by hand");
	} else if (minted)
		err_hint(e, "the old key %s still works; the new key %s is "
		    "stored too: finish with 'maasctl key revoke %s'", old_id,
		    new_id, old_id);
	else
		err_hint(e, "the old key %s still works; nothing was changed",
		    old_id);
	err_clear(&e2);
out:
	if (res != NULL && (it = cJSON_GetObjectItem(res, "key")) != NULL &&
	    cJSON_IsString(it))
		memset(it->valuestring, 0, strlen(it->valuestring));
	cJSON_Delete(res);
	cJSON_Delete(req);
	cJSON_Delete(old);
	free(body);
	target_free(&t);
	secret_ref_free(&sref);
	return rc;
}

static const struct command key_create_cmd = {
	.name = "create",
	.summary = "Mint an API key; the key is shown only once",
	.usage = "NAME [--expires D] [--description T] [--subscription S] "
	    "[--label k=v]... [--ephemeral] [--output-file F] "
	    "[--secret NS/NAME[:KEY]]",
	.opts = create_opts,
	.run = key_create,
	.min_args = 0,
	.max_args = 1,
};

static const struct command key_list_cmd = {
	.name = "list",
	.aliases = (const char *const[]){ "ls", NULL },
	.summary = "List and search your API keys",
	.usage = "[--status S]... [--label k=v]... [--subscription NAME] "
	    "[--user U] [--ephemeral] [--sort FIELD] [--asc] [--limit N] [--offset N] "
	    "[--all-pages] [-o FORMAT]",
	.opts = list_opts,
	.run = key_list,
	.max_args = 0,
};

static const struct command key_get_cmd = {
	.name = "get",
	.summary = "Show one API key (never the key itself)",
	.usage = "ID [-o FORMAT]",
	.opts = get_opts,
	.run = key_get,
	.min_args = 1,
	.max_args = 1,
};

static const struct command key_revoke_cmd = {
	.name = "revoke",
	.aliases = (const char *const[]){ "delete", NULL },
	.summary = "Revoke API keys by id, or all of a user's or a "
	    "subscription's",
	.usage = "[ID...] [--all] [--user U] [--subscription S] [--dry-run]",
	.opts = revoke_opts,
	.run = key_revoke,
	.min_args = 0,
	.max_args = -1,
};

static const struct command key_rotate_cmd = {
	.name = "rotate",
	.summary = "Replace a key by a new one with the same settings, then "
	    "revoke it",
	.usage = "ID|NAME [--secret NS/NAME[:KEY]] [--grace D] "
	    "[--output-file F]",
	.opts = rotate_opts,
	.run = key_rotate,
	.min_args = 1,
	.max_args = 1,
};

static const struct command key_limits_cmd = {
	.name = "limits",
	.summary = "Show the key lifetime limits of maas-api",
	.usage = "[-o FORMAT]",
	.run = key_limits,
	.max_args = 0,
};

static const struct command *const key_sub[] = { &key_create_cmd,
    &key_list_cmd, &key_get_cmd, &key_revoke_cmd, &key_rotate_cmd,
    &key_limits_cmd, NULL };

const struct command cmd_key = {
	.name = "key",
	.aliases = (const char *const[]){ "keys", NULL },
	.summary = "Mint, list, show, rotate and revoke MaaS API keys "
	    "(maas-api)",
	.usage = "create|list|get|revoke|rotate|limits ...",
	.sub = key_sub,
};
