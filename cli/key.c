/*
 * key.c: `maasctl key create|list|get|revoke`: the caller's MaaS API keys
 * through maas-api (<MAAS_URL>/maas-api/v1/api-keys...), authenticated
 * with the user's bearer token (--token @FILE|-|env:NAME or $MAAS_TOKEN).
 * The plaintext key exists only in the create answer: it is printed once
 * on stdout (or written 0600 to --output-file) and wiped from memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "json.h"
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
	if (http_do(&t->http, &req, &res, e) != 0)
		goto out;
	if (res.status / 100 != 2) {
		target_http_error(t, what, &res, e);
		goto out;
	}
	if ((o = json_parse(res.body.buf, res.body.len, e)) == NULL)
		err_wrap(e, "%s: the answer from %s is not JSON", what, url);
out:
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
write_key_file(const char *path, const char *key, struct err *e)
{
	char	*tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	size_t	 n = strlen(key);
	int	 fd, ok;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		err_set(e, EXIT_ERR, "key create: cannot write %s: %s", path,
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
		err_set(e, EXIT_ERR, "key create: cannot write %s: %s", path,
		    strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return ok ? 0 : -1;
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

	if (argc < 1 && !K.ephemeral)
		return err_set(e, EXIT_USAGE, "key create: a NAME is required "
		    "(only --ephemeral keys may omit it)");
	if (output_parse(&out, ctx->g.output, e) != 0)
		return -1;
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
	if (K.output_file != NULL) {
		if (write_key_file(K.output_file, key, e) != 0)
			goto done;
		cJSON_DeleteItemFromObject(res, "key");
	}
	if (out.format == OUTPUT_NAME)
		printf("%s\n", json_str(res, "id"));
	else if (!output_is_table(&out)) {
		if (output_print(&out, res, NULL, stdout, stderr, e) != 0)
			goto done;
	} else {
		if (K.output_file == NULL)
			printf("%s\n", key);
		fprintf(stderr, "created API key \"%s\" (id %s) for "
		    "subscription %s, expires %s%s\n",
		    json_str(res, "name") ? json_str(res, "name") : "",
		    json_str(res, "id") ? json_str(res, "id") : "?",
		    json_str(res, "subscription") ? json_str(res,
		    "subscription") : "?",
		    json_str(res, "expiresAt") ? json_str(res, "expiresAt") :
		    "?", K.output_file ? "" : "; it is shown only once");
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

static int
key_revoke(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct output	 out;
	struct target	 t;
	struct err	 one = ERR_INIT;
	cJSON		*o;
	char		*path, *what;
	int		 i, failed = 0;

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
			if (!failed)
				err_move(e, &one);
			else {
				char *m = err_format(&one);

				fputs(m, stderr);
				free(m);
				err_clear(&one);
			}
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

static const struct command key_create_cmd = {
	.name = "create",
	.summary = "Mint an API key; the key is shown only once",
	.usage = "NAME [--expires D] [--description T] [--subscription S] "
	    "[--label k=v]... [--ephemeral] [--output-file F]",
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
	.summary = "Revoke API keys by id",
	.usage = "ID...",
	.run = key_revoke,
	.min_args = 1,
	.max_args = -1,
};

static const struct command *const key_sub[] = { &key_create_cmd,
    &key_list_cmd, &key_get_cmd, &key_revoke_cmd, NULL };

const struct command cmd_key = {
	.name = "key",
	.aliases = (const char *const[]){ "keys", NULL },
	.summary = "Mint, list, show and revoke MaaS API keys (maas-api)",
	.usage = "create|list|get|revoke ...",
	.sub = key_sub,
};
