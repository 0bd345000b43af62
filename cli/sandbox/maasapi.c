/*
 * maasapi.c: the sandbox's maas-api, API keys (reference MAAS-API.md §4.1-
 * §4.7, §5): mint (POST /v1/api-keys), search (POST /v1/api-keys/search),
 * get and revoke (GET/DELETE /v1/api-keys/{id}), config and health, with
 * maas-api's bodies and error shapes (family A: {"error": "..."}).
 *
 * Keys are sk-oai-<key_id>_<secret>: key_id 12 and secret 32 bytes from
 * RAND_bytes, base62 (0-9A-Za-z, big-endian, no padding).  Only the
 * lowercase hex SHA-256 of key_id "\0" secret is stored, in table api_keys
 * of the state dir's SQLite file (a connection of our own; WAL mode).
 *
 * Every key is bound at mint to one MaaSSubscription (maasapi_sub.c: the
 * requested one with the phase rules of §4.2, else the owned one of
 * §7.2), and stores the caller's groups as they were then.  The lifetime
 * limit follows MaasTenantConfig default-tenant (spec.apiKeys.
 * maxExpirationDays, default 90 days); ephemeral keys live at most 1 h.
 *
 * Admin (§2.3) is decided by the gateway: whoever the sandbox's authorizer
 * lets create maasauthpolicies in models-as-a-service, which in the
 * sandbox is exactly the system:masters identities (the kubeconfig admin
 * and tokens minted with --group system:masters).  Admins search, get and
 * revoke every key of the tenant and bulk-revoke by user or subscription
 * (POST /v1/api-keys/bulk-revoke).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <event2/http.h>
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "maasapi_int.h"

#define TENANT		MAAS_TENANT
#define EPHEMERAL_NS	(3600LL * 1000000000LL)
#define MAX_BODY	(1024 * 1024)	/* maas-api's request body limit */
#define NS_PER_S	1000000000LL

static sqlite3	*db;

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS api_keys ("
    " id TEXT PRIMARY KEY, username TEXT NOT NULL, name TEXT NOT NULL,"
    " description TEXT, key_hash TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'active'"
    "  CHECK (status IN ('active','revoked','expired')),"
    " user_groups TEXT NOT NULL,"		/* JSON array */
    " created_at INTEGER NOT NULL,"		/* unix microseconds */
    " expires_at INTEGER,"			/* unix seconds */
    " last_used_at INTEGER,"			/* unix seconds */
    " ephemeral INTEGER NOT NULL DEFAULT 0,"
    " subscription TEXT NOT NULL,"
    " tenant TEXT NOT NULL DEFAULT '" TENANT "',"
    " labels TEXT);"				/* JSON object or NULL */
    "CREATE UNIQUE INDEX IF NOT EXISTS idx_api_keys_key_hash_tenant"
    " ON api_keys (key_hash, tenant);"
    "CREATE INDEX IF NOT EXISTS idx_api_keys_username_created"
    " ON api_keys (username, created_at DESC);";

int
maasapi_init(const struct sbx_config *c, struct err *e)
{
	char	*path, *msg = NULL;

	path = sbx_path(c->state_dir, SBX_DB_FILE);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		err_set(e, EXIT_ERR, "maas-api: cannot open %s: %s", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(db, 5000);
	mapi_sub_init();
	if (sqlite3_exec(db, "PRAGMA synchronous=FULL;", NULL, NULL,
	    &msg) != SQLITE_OK || sqlite3_exec(db, schema, NULL, NULL,
	    &msg) != SQLITE_OK) {
		err_set(e, EXIT_ERR, "maas-api: cannot create the api_keys "
		    "table in %s: %s", path, msg ? msg : "unknown error");
		sqlite3_free(msg);
		goto fail;
	}
	free(path);
	keycleanup_init();
	return 0;
fail:
	free(path);
	sqlite3_close(db);
	db = NULL;
	return -1;
}

void
maasapi_shutdown(void)
{
	keycleanup_shutdown();
	sqlite3_close(db);
	db = NULL;
	mapi_sub_shutdown();
}

/* ---- small helpers ---- */

void
mapi_reply_json(struct sbx_req *q, int code, cJSON *o)
{
	char	*s = json_print(o, 0);

	cJSON_Delete(o);
	srv_reply(q, code, "application/json; charset=utf-8", s, strlen(s));
	free(s);
}

void
mapi_reply_err(struct sbx_req *q, int code, const char *msg,
    const char *ecode)
{
	cJSON	*o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "error", msg);
	if (ecode != NULL)
		cJSON_AddStringToObject(o, "code", ecode);
	mapi_reply_json(q, code, o);
}

void
mapi_reply_oai(struct sbx_req *q, int code, const char *msg,
    const char *type)
{
	cJSON	*o = cJSON_CreateObject(), *e;

	e = cJSON_AddObjectToObject(o, "error");
	cJSON_AddStringToObject(e, "message", msg);
	cJSON_AddStringToObject(e, "type", type);
	mapi_reply_json(q, code, o);
}

const char *
mapi_header_last(struct sbx_req *q, const char *name)
{
	struct evkeyvalq	*h = evhttp_request_get_input_headers(q->r);
	struct evkeyval		*kv;
	const char		*v = NULL;

	TAILQ_FOREACH(kv, h, next)
		if (strcasecmp(kv->key, name) == 0 && kv->value[0] != '\0')
			v = kv->value;
	return v;
}

static void
reply_errf(struct sbx_req *q, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
reply_errf(struct sbx_req *q, int code, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	mapi_reply_err(q, code, s, NULL);
	free(s);
}

long long
mapi_now_us(void)
{
	struct timeval	tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000000 + tv.tv_usec;
}

char *
mapi_rfc3339(long long secs)
{
	time_t		t = (time_t)secs;
	struct tm	tm;
	char		buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

/* Go's time.Duration.String() for ns >= 0. */
static char *
go_duration(long long ns)
{
	struct strbuf	 sb = STRBUF_INIT;
	long long	 h, m, s, frac;
	char		 fbuf[16];
	int		 i;

	if (ns == 0)
		return xstrdup("0s");
	if (ns < NS_PER_S) {
		if (ns < 1000)
			sb_addf(&sb, "%lldns", ns);
		else if (ns < 1000000)
			sb_addf(&sb, "%g\xc2\xb5s", (double)ns / 1e3);
		else
			sb_addf(&sb, "%gms", (double)ns / 1e6);
		return sb_detach(&sb);
	}
	h = ns / (3600 * NS_PER_S);
	m = ns / (60 * NS_PER_S) % 60;
	s = ns / NS_PER_S % 60;
	frac = ns % NS_PER_S;
	if (h > 0)
		sb_addf(&sb, "%lldh", h);
	if (h > 0 || m > 0)
		sb_addf(&sb, "%lldm", m);
	sb_addf(&sb, "%lld", s);
	if (frac > 0) {
		snprintf(fbuf, sizeof fbuf, "%09lld", frac);
		for (i = 8; i > 0 && fbuf[i] == '0'; i--)
			fbuf[i] = '\0';
		sb_addf(&sb, ".%s", fbuf);
	}
	sb_addc(&sb, 's');
	return sb_detach(&sb);
}

/* Go's strconv.Quote for the ASCII cases error texts need. */
static char *
go_quote(const char *s)
{
	struct strbuf	sb = STRBUF_INIT;

	sb_addc(&sb, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			sb_addf(&sb, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			sb_addf(&sb, "\\x%02x", (unsigned char)*s);
		else
			sb_addc(&sb, *s);
	}
	sb_addc(&sb, '"');
	return sb_detach(&sb);
}

/* time.ParseDuration: 0 and *ns, or -1 with *why (caller frees). */
static int
parse_go_duration(const char *orig, long long *ns, char **why)
{
	static const struct { const char *u; double mult; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "\xc2\xb5s", 1e3 },
		{ "\xce\xbcs", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
		{ "m", 60e9 }, { "h", 3600e9 }
	};
	const char	*s = orig, *p;
	double		 total = 0, v;
	char		*q, *unit;
	int		 neg = 0, found;
	size_t		 i, ul;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return 0;
	}
	if (*s == '\0')
		goto invalid;
	while (*s != '\0') {
		if (!isdigit((unsigned char)*s) && *s != '.')
			goto invalid;
		v = strtod(s, &q);
		if (q == s)
			goto invalid;
		for (p = s; p < q; p++)
			if (!isdigit((unsigned char)*p) && *p != '.')
				goto invalid;
		s = q;
		for (p = s; *p != '\0' && *p != '.' &&
		    !isdigit((unsigned char)*p); p++)
			;
		ul = (size_t)(p - s);
		if (ul == 0) {
			q = go_quote(orig);
			*why = xasprintf("time: missing unit in duration %s", q);
			free(q);
			return -1;
		}
		found = 0;
		for (i = 0; i < sizeof units / sizeof units[0]; i++)
			if (strlen(units[i].u) == ul &&
			    strncmp(units[i].u, s, ul) == 0) {
				total += v * units[i].mult;
				found = 1;
				break;
			}
		if (!found) {
			unit = xstrndup(s, ul);
			q = go_quote(orig);
			p = go_quote(unit);
			*why = xasprintf("time: unknown unit %s in duration %s",
			    p, q);
			free(q);
			free((char *)p);
			free(unit);
			return -1;
		}
		s += ul;
	}
	if (total > 9.2e18)
		goto invalid;
	*ns = (long long)llround(neg ? -total : total);
	return 0;
invalid:
	q = go_quote(orig);
	*why = xasprintf("time: invalid duration %s", q);
	free(q);
	return -1;
}

/* expiresIn: string (Go duration or float days "30d") or number
 * (seconds); 0 with *ns, -1 with *why. */
static int
parse_expires(const cJSON *v, long long *ns, char **why)
{
	const char	*s;
	char		*end;
	double		 d;
	size_t		 n;

	if (cJSON_IsNumber(v)) {
		*ns = (long long)llround(v->valuedouble * 1e9);
		return 0;
	}
	if (!cJSON_IsString(v)) {
		*why = xstrdup("json: cannot unmarshal expiresIn: want a "
		    "duration string or a number of seconds");
		return -1;
	}
	s = v->valuestring;
	n = strlen(s);
	if (n == 0) {
		*ns = 0;
		return 0;
	}
	if (s[n - 1] == 'd') {
		errno = 0;
		d = strtod(s, &end);
		if (end == s + n - 1 && errno == 0 && isfinite(d) &&
		    fabs(d) < 1e5) {
			*ns = (long long)llround(d * 86400e9);
			return 0;
		}
	}
	return parse_go_duration(s, ns, why);
}

/* Control characters \x00-\x1F, \x7F? */
static int
has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Number of UTF-8 runes. */
static size_t
runes(const char *s)
{
	size_t	n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* [a-zA-Z0-9]([<mid>]*[a-zA-Z0-9])? over s[0..n). */
static int
label_part(const char *s, size_t n, const char *mid)
{
	size_t	i;

	if (n == 0 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr(mid, s[i]) == NULL)
			return 0;
	return 1;
}

static int
label_key_ok(const char *k)
{
	const char	*slash = strchr(k, '/');

	if (slash == NULL)
		return label_part(k, strlen(k), "._-");
	return label_part(k, (size_t)(slash - k), ".-") &&
	    label_part(slash + 1, strlen(slash + 1), "._-");
}

/* Validate labels (an object of strings); NULL or the message. */
static char *
labels_check(const cJSON *labels)
{
	const cJSON	*l;
	int		 n = 0;

	if (labels == NULL || cJSON_IsNull(labels))
		return NULL;
	if (!cJSON_IsObject(labels))
		return xstrdup("json: cannot unmarshal labels: want an "
		    "object of strings");
	cJSON_ArrayForEach(l, labels)
		n++;
	if (n > 50)
		return xstrdup("labels cannot exceed 50 key-value pairs");
	cJSON_ArrayForEach(l, labels) {
		if (!cJSON_IsString(l))
			return xasprintf("json: cannot unmarshal label '%s': "
			    "want a string", l->string);
		if (l->string[0] == '\0')
			return xstrdup("label keys cannot be empty");
		if (strlen(l->string) > 128)
			return xasprintf("label key '%s' exceeds 128 "
			    "characters", l->string);
		if (!label_key_ok(l->string))
			return xasprintf("label key '%s' contains invalid "
			    "characters (must be alphanumeric with '-', '_' "
			    "or '.', optionally prefixed by a DNS name and "
			    "'/')", l->string);
		if (l->valuestring[0] == '\0')
			return xasprintf("label value for key '%s' cannot be "
			    "empty", l->string);
		if (strlen(l->valuestring) > 1024)
			return xasprintf("label value for key '%s' exceeds "
			    "1024 characters", l->string);
		if (has_ctl(l->valuestring))
			return xasprintf("label value for key '%s' contains "
			    "invalid control characters", l->string);
	}
	return NULL;
}

/* Big-endian bytes to base62 (0-9A-Za-z), no padding. */
static char *
base62(const unsigned char *in, size_t n)
{
	static const char	 alpha[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz";
	unsigned char		 num[64];
	char			 out[96];
	size_t			 len = 0, i, start = 0;
	unsigned		 rem;

	memcpy(num, in, n);
	while (start < n && num[start] == 0)
		start++;
	while (start < n) {
		rem = 0;
		for (i = start; i < n; i++) {
			unsigned cur = rem * 256 + num[i];

			num[i] = (unsigned char)(cur / 62);
			rem = cur % 62;
		}
		out[len++] = alpha[rem];
		while (start < n && num[start] == 0)
			start++;
	}
	if (len == 0)
		out[len++] = '0';
	for (i = 0; i < len / 2; i++) {
		char c = out[i];

		out[i] = out[len - 1 - i];
		out[len - 1 - i] = c;
	}
	OPENSSL_cleanse(num, sizeof num);
	return xstrndup(out, len);
}

/* Lowercase hex SHA-256 of key_id "\0" secret. */
static void
key_hash(const char *id, size_t idlen, const char *secret, char hex[65])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, i;
	EVP_MD_CTX	*c = EVP_MD_CTX_new();

	hex[0] = '\0';
	if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(c, id, idlen) != 1 ||
	    EVP_DigestUpdate(c, "", 1) != 1 ||
	    EVP_DigestUpdate(c, secret, strlen(secret)) != 1 ||
	    EVP_DigestFinal_ex(c, md, &mdlen) != 1)
		abort();	/* SHA-256 is always there */
	EVP_MD_CTX_free(c);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static int
uuid4(char out[37])
{
	unsigned char	b[16];

	if (RAND_bytes(b, sizeof b) != 1)
		return -1;
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

/* Parse the JSON request body as Go's binder would; NULL after replying
 * 400 with a Go-like error text. */
static cJSON *
bind_json(struct sbx_req *q)
{
	const char	*p = q->body, *ep;
	cJSON		*o;

	if (q->body_len > MAX_BODY) {
		mapi_reply_err(q, 400, "http: request body too large", NULL);
		return NULL;
	}
	while (p && isspace((unsigned char)*p))
		p++;
	if (p == NULL || *p == '\0') {
		mapi_reply_err(q, 400, "EOF", NULL);
		return NULL;
	}
	o = cJSON_ParseWithLengthOpts(q->body, q->body_len, &ep, 0);
	if (o == NULL) {
		if (ep == NULL || *ep == '\0' || ep >= q->body + q->body_len)
			mapi_reply_err(q, 400, "unexpected EOF", NULL);
		else
			reply_errf(q, 400, "invalid character '%c' looking "
			    "for beginning of value", *ep);
		return NULL;
	}
	if (!cJSON_IsObject(o)) {
		reply_errf(q, 400, "json: cannot unmarshal %s into Go value "
		    "of type object", cJSON_IsArray(o) ? "array" :
		    cJSON_IsString(o) ? "string" : cJSON_IsNumber(o) ?
		    "number" : "bool");
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* A string field or NULL; *bad set when present with another type. */
static const char *
opt_str(const cJSON *o, const char *k, int *bad)
{
	const cJSON	*v = cJSON_GetObjectItem(o, k);

	if (v == NULL || cJSON_IsNull(v))
		return NULL;
	if (!cJSON_IsString(v)) {
		*bad = 1;
		return NULL;
	}
	return v->valuestring;
}

static void
reply_type_error(struct sbx_req *q, const char *field, const char *want)
{
	reply_errf(q, 400, "json: cannot unmarshal field %s: want %s", field,
	    want);
}

/* ---- rows ---- */

static const char row_cols[] =
    "id, username, name, description, status, subscription, tenant,"
    " created_at, expires_at, last_used_at, ephemeral, labels";

/* The effective status: active past its expiry is expired. */
static const char *
eff_status(const char *status, long long expires, int has_exp)
{
	if (strcmp(status, "active") == 0 && has_exp &&
	    expires < mapi_now_us() / 1000000)
		return "expired";
	return status;
}

/* The ApiKey object of the current row of st (selected with row_cols). */
static cJSON *
row_obj(sqlite3_stmt *st)
{
	cJSON		*o = cJSON_CreateObject(), *l;
	const char	*s;
	char		*t;
	int		 has_exp = sqlite3_column_type(st, 8) != SQLITE_NULL;

#define COL(i) ((const char *)sqlite3_column_text(st, (i)))
	cJSON_AddStringToObject(o, "id", COL(0));
	cJSON_AddStringToObject(o, "name", COL(2));
	if ((s = COL(3)) != NULL && *s)
		cJSON_AddStringToObject(o, "description", s);
	if ((s = COL(1)) != NULL && *s)
		cJSON_AddStringToObject(o, "username", s);
	if ((s = COL(5)) != NULL && *s)
		cJSON_AddStringToObject(o, "subscription", s);
	if ((s = COL(6)) != NULL && *s)
		cJSON_AddStringToObject(o, "tenant", s);
	t = mapi_rfc3339(sqlite3_column_int64(st, 7) / 1000000);
	cJSON_AddStringToObject(o, "creationDate", t);
	free(t);
	if (has_exp) {
		t = mapi_rfc3339(sqlite3_column_int64(st, 8));
		cJSON_AddStringToObject(o, "expirationDate", t);
		free(t);
	}
	cJSON_AddStringToObject(o, "status", eff_status(COL(4),
	    sqlite3_column_int64(st, 8), has_exp));
	if (sqlite3_column_type(st, 9) != SQLITE_NULL) {
		t = mapi_rfc3339(sqlite3_column_int64(st, 9));
		cJSON_AddStringToObject(o, "lastUsedAt", t);
		free(t);
	}
	cJSON_AddBoolToObject(o, "ephemeral", sqlite3_column_int(st, 10));
	if ((s = COL(11)) != NULL && (l = cJSON_Parse(s)) != NULL) {
		if (cJSON_GetArraySize(l) > 0)
			cJSON_AddItemToObject(o, "labels", l);
		else
			cJSON_Delete(l);
	}
#undef COL
	return o;
}

/* The key with id, if the caller may see it (owner or admin); NULL
 * otherwise (IDOR: no difference between absent and not yours). */
static cJSON *
load_key(const char *id, const struct maas_caller *c, int *dberr)
{
	sqlite3_stmt	*st = NULL;
	char		*sql;
	cJSON		*o = NULL;
	int		 rc;

	*dberr = 0;
	sql = xasprintf("SELECT %s FROM api_keys WHERE id = ?1 AND "
	    "tenant = '" TENANT "' AND (?2 OR username = ?3)", row_cols);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		*dberr = 1;
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, c->admin);
	sqlite3_bind_text(st, 3, c->user, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		o = row_obj(st);
	else if (rc != SQLITE_DONE)
		*dberr = 1;
out:
	sqlite3_finalize(st);
	free(sql);
	return o;
}

/* ---- POST /v1/api-keys ---- */

static void
key_create(struct sbx_req *q, const struct maas_caller *c)
{
	cJSON		*in, *out = NULL, *labels, *groups;
	const cJSON	*ev, *lv;
	const char	*name_in, *desc, *sub;
	char		*name = NULL, *why = NULL, *d1, *kid = NULL;
	char		*secret = NULL, *key = NULL, *lbl = NULL, *grp;
	char		*t, hex[65], id[37];
	unsigned char	 rid[12], rsec[32];
	long long	 ns, created, expires;
	int		 bad = 0, ephemeral = 0;
	int		 max_days = mapi_max_expiration_days();
	size_t		 i, n;
	sqlite3_stmt	*st = NULL;
	struct mapi_bind bind;

	memset(&bind, 0, sizeof bind);
	if ((in = bind_json(q)) == NULL)
		return;
	name_in = opt_str(in, "name", &bad);
	if (bad) {
		reply_type_error(q, "name", "a string");
		goto out;
	}
	desc = opt_str(in, "description", &bad);
	sub = opt_str(in, "subscription", &bad);
	if (bad) {
		reply_type_error(q, "description/subscription", "a string");
		goto out;
	}
	ev = cJSON_GetObjectItem(in, "ephemeral");
	if (ev != NULL && !cJSON_IsNull(ev)) {
		if (!cJSON_IsBool(ev)) {
			reply_type_error(q, "ephemeral", "a boolean");
			goto out;
		}
		ephemeral = cJSON_IsTrue(ev);
	}
	/* Name. */
	if (name_in != NULL) {
		const char *b = name_in, *e2 = name_in + strlen(name_in);

		while (*b && isspace((unsigned char)*b))
			b++;
		while (e2 > b && isspace((unsigned char)e2[-1]))
			e2--;
		name = xstrndup(b, (size_t)(e2 - b));
	}
	if (name == NULL || (name[0] == '\0' && (name_in == NULL ||
	    name_in[0] == '\0'))) {
		if (!ephemeral) {
			mapi_reply_err(q, 400, "name is required for non-ephemeral "
			    "keys", NULL);
			goto out;
		}
		free(name);
		name = xasprintf("ephemeral-%lld", mapi_now_us() * 1000);
	} else if (name[0] == '\0') {
		mapi_reply_err(q, 400, "key name cannot be whitespace only", NULL);
		goto out;
	} else if (runes(name) > 128) {
		mapi_reply_err(q, 400, "key name cannot exceed 128 characters",
		    NULL);
		goto out;
	} else if (has_ctl(name)) {
		mapi_reply_err(q, 400, "key name contains invalid control "
		    "characters", NULL);
		goto out;
	}
	/* Expiration. */
	ev = cJSON_GetObjectItem(in, "expiresIn");
	if (ev == NULL || cJSON_IsNull(ev))
		ns = ephemeral ? EPHEMERAL_NS : max_days * 86400LL * NS_PER_S;
	else if (parse_expires(ev, &ns, &why) != 0) {
		mapi_reply_err(q, 400, why, NULL);
		goto out;
	}
	if (ns <= 0) {
		mapi_reply_err(q, 400, "expiration must be positive", NULL);
		goto out;
	}
	if (ephemeral && ns > EPHEMERAL_NS) {
		d1 = go_duration(ns);
		reply_errf(q, 400, "ephemeral key expiration (%s) cannot "
		    "exceed 1h0m0s: expiration exceeds maximum allowed", d1);
		free(d1);
		goto out;
	}
	if (!ephemeral && ns > max_days * 86400LL * NS_PER_S) {
		d1 = go_duration(ns);
		reply_errf(q, 400, "requested expiration (%s) exceeds maximum "
		    "allowed (%d days): expiration exceeds maximum allowed",
		    d1, max_days);
		free(d1);
		goto out;
	}
	/* Labels. */
	labels = cJSON_GetObjectItem(in, "labels");
	if ((why = labels_check(labels)) != NULL) {
		mapi_reply_err(q, 400, why, NULL);
		goto out;
	}
	/* Subscription (§7.2, §7.3). */
	mapi_bind_subscription(c->user, c->groups, sub, &bind);
	if (bind.status != 0) {
		mapi_reply_err(q, bind.status, bind.error, bind.code);
		goto out;
	}
	/* Groups must be what maas-api can store. */
	for (i = 0; i < c->groups->n; i++)
		for (grp = c->groups->v[i]; *grp; grp++)
			if (!isalnum((unsigned char)*grp) &&
			    strchr(":._-", *grp) == NULL) {
				mapi_reply_err(q, 500, "Failed to create API key",
				    NULL);
				goto out;
			}
	/* Mint. */
	if (RAND_bytes(rid, sizeof rid) != 1 ||
	    RAND_bytes(rsec, sizeof rsec) != 1 || uuid4(id) != 0) {
		mapi_reply_err(q, 500, "Failed to create API key", NULL);
		goto out;
	}
	kid = base62(rid, sizeof rid);
	secret = base62(rsec, sizeof rsec);
	OPENSSL_cleanse(rsec, sizeof rsec);
	key_hash(kid, strlen(kid), secret, hex);
	key = xasprintf("sk-oai-%s_%s", kid, secret);
	created = mapi_now_us();
	expires = created / 1000000 + (ns + NS_PER_S - 1) / NS_PER_S;
	groups = cJSON_CreateArray();
	for (i = 0; i < c->groups->n; i++)
		cJSON_AddItemToArray(groups,
		    cJSON_CreateString(c->groups->v[i]));
	grp = json_print(groups, 0);
	cJSON_Delete(groups);
	lv = labels;
	if (lv != NULL && cJSON_IsObject(lv) && cJSON_GetArraySize(lv) > 0)
		lbl = json_print(lv, 0);
	if (sqlite3_prepare_v2(db, "INSERT INTO api_keys (id, username, "
	    "name, description, key_hash, status, user_groups, created_at, "
	    "expires_at, ephemeral, subscription, tenant, labels) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, 'active', ?6, ?7, ?8, ?9, ?11, '" TENANT
	    "', ?10)", -1, &st, NULL) != SQLITE_OK) {
		free(grp);
		mapi_reply_err(q, 500, "Failed to create API key", NULL);
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	if (desc != NULL)
		sqlite3_bind_text(st, 4, desc, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, hex, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, grp, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, created);
	sqlite3_bind_int64(st, 8, expires);
	sqlite3_bind_int(st, 9, ephemeral);
	if (lbl != NULL)
		sqlite3_bind_text(st, 10, lbl, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, bind.name, -1, SQLITE_STATIC);
	n = sqlite3_step(st) == SQLITE_DONE;
	free(grp);
	if (!n) {
		srv_log("msg=\"maas-api: storing a key failed\" err=\"%s\"",
		    sqlite3_errmsg(db));
		mapi_reply_err(q, 500, "Failed to create API key", NULL);
		goto out;
	}
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "key", key);
	t = xasprintf("sk-oai-%.12s...", kid);
	cJSON_AddStringToObject(out, "keyPrefix", t);
	free(t);
	cJSON_AddStringToObject(out, "id", id);
	cJSON_AddStringToObject(out, "name", name);
	cJSON_AddStringToObject(out, "subscription", bind.name);
	t = mapi_rfc3339(created / 1000000);
	cJSON_AddStringToObject(out, "createdAt", t);
	free(t);
	t = mapi_rfc3339(expires);
	cJSON_AddStringToObject(out, "expiresAt", t);
	free(t);
	cJSON_AddBoolToObject(out, "ephemeral", ephemeral);
	if (lbl != NULL)
		cJSON_AddItemToObject(out, "labels",
		    cJSON_Duplicate(labels, 1));
	srv_log("msg=\"maas-api: key minted\" id=%s user=\"%s\" "
	    "subscription=\"%s\"", id, c->user, bind.name);
	t = json_print(out, 0);
	cJSON_Delete(out);
	srv_reply(q, 201, "application/json; charset=utf-8", t, strlen(t));
	xfree_secret(t);
out:
	sqlite3_finalize(st);
	cJSON_Delete(in);
	free(name);
	free(why);
	free(kid);
	xfree_secret(secret);
	xfree_secret(key);
	free(lbl);
	mapi_bind_free(&bind);
}

/* ---- POST /v1/api-keys/search ---- */

/* Does the stored labels JSON contain every pair of want? */
static int
labels_contain(const char *stored, const cJSON *want)
{
	cJSON		*have;
	const cJSON	*w, *h;
	int		 ok = 1;

	if (want == NULL || cJSON_GetArraySize(want) == 0)
		return 1;
	if (stored == NULL || (have = cJSON_Parse(stored)) == NULL)
		return 0;
	cJSON_ArrayForEach(w, want) {
		h = cJSON_GetObjectItemCaseSensitive(have, w->string);
		if (!cJSON_IsString(h) ||
		    strcmp(h->valuestring, w->valuestring) != 0) {
			ok = 0;
			break;
		}
	}
	cJSON_Delete(have);
	return ok;
}

static void
key_search(struct sbx_req *q, const struct maas_caller *c)
{
	cJSON		*in, *out, *data;
	const cJSON	*f, *v, *sort, *pg, *lc = NULL;
	const char	*user = c->user, *sub = NULL, *by = "created_at";
	const char	*order = "DESC";
	struct strbuf	 sql = STRBUF_INIT;
	struct strlist	 statuses = STRLIST_INIT;
	sqlite3_stmt	*st = NULL;
	char		*why, *trim;
	long		 limit = 50, offset = 0, seen = 0;
	int		 eph = 0, bad = 0, rc, more = 0;
	size_t		 i;

	srv_header(q, "Cache-Control", "no-store");
	if ((in = bind_json(q)) == NULL)
		return;
	f = cJSON_GetObjectItem(in, "filters");
	if (f != NULL && !cJSON_IsNull(f)) {
		if (!cJSON_IsObject(f)) {
			reply_type_error(q, "filters", "an object");
			goto out;
		}
		v = cJSON_GetObjectItem(f, "status");
		if (v != NULL && !cJSON_IsNull(v)) {
			if (!cJSON_IsArray(v)) {
				reply_type_error(q, "filters.status",
				    "an array of strings");
				goto out;
			}
			cJSON_ArrayForEach(pg, v) {
				const char *b, *e2;

				if (!cJSON_IsString(pg)) {
					reply_type_error(q, "filters.status",
					    "an array of strings");
					goto out;
				}
				b = pg->valuestring;
				while (isspace((unsigned char)*b))
					b++;
				e2 = b + strlen(b);
				while (e2 > b && isspace((unsigned char)e2[-1]))
					e2--;
				trim = xstrndup(b, (size_t)(e2 - b));
				if (strcmp(trim, "active") != 0 &&
				    strcmp(trim, "revoked") != 0 &&
				    strcmp(trim, "expired") != 0) {
					reply_errf(q, 400, "invalid status "
					    "'%s': must be active, revoked, or "
					    "expired", trim);
					free(trim);
					goto out;
				}
				sl_take(&statuses, trim);
			}
		}
		v = cJSON_GetObjectItem(f, "username");
		if (cJSON_IsString(v) && v->valuestring[0] != '\0') {
			if (!c->admin && strcmp(v->valuestring, c->user) != 0) {
				mapi_reply_err(q, 403, "non-admin users can only "
				    "search their own API keys", NULL);
				goto out;
			}
			user = v->valuestring;
		} else if (c->admin)
			user = NULL;	/* every user of the tenant */
		eph = json_bool(f, "includeEphemeral", 0);
		sub = opt_str(f, "subscription", &bad);
		if (bad) {
			reply_type_error(q, "filters.subscription", "a string");
			goto out;
		}
		lc = cJSON_GetObjectItem(f, "labelsContain");
		if ((why = labels_check(lc)) != NULL) {
			mapi_reply_err(q, 400, why, NULL);
			free(why);
			goto out;
		}
	} else if (c->admin)
		user = NULL;
	sort = cJSON_GetObjectItem(in, "sort");
	if (cJSON_IsObject(sort)) {
		const char *sb_ = json_str(sort, "by"), *so = json_str(sort,
		    "order");

		if (sb_ != NULL && *sb_ != '\0') {
			if (strcmp(sb_, "created_at") != 0 &&
			    strcmp(sb_, "expires_at") != 0 &&
			    strcmp(sb_, "last_used_at") != 0 &&
			    strcmp(sb_, "name") != 0) {
				mapi_reply_err(q, 400, "invalid sort.by: must be one "
				    "of: created_at, expires_at, last_used_at, "
				    "name", NULL);
				goto out;
			}
			by = sb_;
		}
		if (so != NULL && *so != '\0') {
			if (strcasecmp(so, "asc") == 0)
				order = "ASC";
			else if (strcasecmp(so, "desc") != 0) {
				mapi_reply_err(q, 400, "invalid sort.order: must be "
				    "asc or desc", NULL);
				goto out;
			}
		}
	}
	pg = cJSON_GetObjectItem(in, "pagination");
	if (pg != NULL && !cJSON_IsNull(pg)) {
		limit = (long)json_num(pg, "limit", 0);
		offset = (long)json_num(pg, "offset", 0);
		if (limit < 1) {
			mapi_reply_err(q, 400, "pagination.limit must be at least 1",
			    NULL);
			goto out;
		}
		if (offset < 0) {
			mapi_reply_err(q, 400, "pagination.offset must be "
			    "non-negative", NULL);
			goto out;
		}
		if (limit > 100)
			limit = 100;
	}
	sb_addf(&sql, "SELECT %s, labels FROM (SELECT *, rowid AS rid, CASE WHEN status = "
	    "'active' AND expires_at IS NOT NULL AND expires_at < ?1 THEN "
	    "'expired' ELSE status END AS eff FROM api_keys) WHERE tenant = '"
	    TENANT "'", row_cols);
	if (user != NULL)
		sb_adds(&sql, " AND username = ?2");
	if (sub != NULL)
		sb_adds(&sql, " AND subscription = trim(?3)");
	if (!eph)
		sb_adds(&sql, " AND ephemeral = 0");
	for (i = 0; i < statuses.n; i++)
		sb_addf(&sql, "%s eff = '%s'", i ? " OR" : " AND (",
		    statuses.v[i]);
	if (statuses.n > 0)
		sb_adds(&sql, ")");
	sb_addf(&sql, " ORDER BY %s %s%s, rid %s", by, order,
	    strcmp(by, "expires_at") == 0 || strcmp(by, "last_used_at") == 0
	    ? " NULLS LAST" : "", order);
	if (sqlite3_prepare_v2(db, sql.buf, -1, &st, NULL) != SQLITE_OK) {
		srv_log("msg=\"maas-api: search failed\" err=\"%s\"",
		    sqlite3_errmsg(db));
		mapi_reply_err(q, 500, "Failed to search API keys", NULL);
		goto out;
	}
	sqlite3_bind_int64(st, 1, mapi_now_us() / 1000000);
	if (user != NULL)
		sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
	if (sub != NULL)
		sqlite3_bind_text(st, 3, sub, -1, SQLITE_STATIC);
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "object", "list");
	data = cJSON_AddArrayToObject(out, "data");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!labels_contain((const char *)sqlite3_column_text(st, 12),
		    lc))
			continue;
		if (seen++ < offset)
			continue;
		if (cJSON_GetArraySize(data) >= limit) {
			more = 1;
			break;
		}
		cJSON_AddItemToArray(data, row_obj(st));
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		cJSON_Delete(out);
		mapi_reply_err(q, 500, "Failed to search API keys", NULL);
		goto out;
	}
	cJSON_AddBoolToObject(out, "has_more", more);
	mapi_reply_json(q, 200, out);
out:
	sqlite3_finalize(st);
	sb_free(&sql);
	sl_free(&statuses);
	cJSON_Delete(in);
}

/* ---- GET / DELETE /v1/api-keys/{id} ---- */

static void
key_get(struct sbx_req *q, const char *id, const struct maas_caller *c)
{
	cJSON	*o;
	int	 dberr;

	if ((o = load_key(id, c, &dberr)) != NULL)
		mapi_reply_json(q, 200, o);
	else if (dberr)
		mapi_reply_err(q, 500, "Failed to retrieve API key", NULL);
	else
		mapi_reply_err(q, 404, "API key not found", NULL);
}

static void
key_revoke(struct sbx_req *q, const char *id, const struct maas_caller *c)
{
	sqlite3_stmt	*st = NULL;
	cJSON		*o;
	int		 dberr;

	if (sqlite3_prepare_v2(db, "UPDATE api_keys SET status = 'revoked' "
	    "WHERE id = ?1 AND tenant = '" TENANT "' AND status = 'active' "
	    "AND (?2 OR username = ?3)", -1, &st, NULL) != SQLITE_OK) {
		mapi_reply_err(q, 500, "Failed to revoke API key", NULL);
		return;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, c->admin);
	sqlite3_bind_text(st, 3, c->user, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		mapi_reply_err(q, 500, "Failed to revoke API key", NULL);
		return;
	}
	sqlite3_finalize(st);
	if (sqlite3_changes(db) == 0) {
		mapi_reply_err(q, 404, "API key not found", NULL);
		return;
	}
	srv_log("msg=\"maas-api: key revoked\" id=%s user=\"%s\"", id,
	    c->user);
	if ((o = load_key(id, c, &dberr)) == NULL)
		mapi_reply_err(q, 500, "Key revoked but failed to retrieve metadata",
		    NULL);
	else
		mapi_reply_json(q, 200, o);
}

/* ---- POST /v1/api-keys/bulk-revoke ---- */

static char *
trimmed(const char *s)
{
	const char	*e;

	if (s == NULL)
		return NULL;
	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	return e > s ? xstrndup(s, (size_t)(e - s)) : NULL;
}

static void
key_bulk_revoke(struct sbx_req *q, const struct maas_caller *c)
{
	cJSON		*in, *out;
	const cJSON	*dv;
	const char	*u_in, *s_in;
	char		*user = NULL, *sub = NULL, *scope = NULL, *msg;
	sqlite3_stmt	*st = NULL;
	int		 bad = 0, dry = 0, n;

	if ((in = bind_json(q)) == NULL)
		return;
	u_in = opt_str(in, "username", &bad);
	s_in = opt_str(in, "subscription", &bad);
	dv = cJSON_GetObjectItem(in, "dryRun");
	if (dv != NULL && !cJSON_IsNull(dv) && !cJSON_IsBool(dv))
		bad = 1;
	if (bad) {
		reply_type_error(q, "username/subscription/dryRun",
		    "strings and a boolean");
		goto out;
	}
	dry = cJSON_IsTrue(dv);
	user = trimmed(u_in);
	sub = trimmed(s_in);
	if (user == NULL && sub == NULL) {
		mapi_reply_err(q, 400, "at least one of username or subscription "
		    "is required", NULL);
		goto out;
	}
	if (!c->admin && (sub != NULL || strcmp(user, c->user) != 0)) {
		mapi_reply_err(q, 403, "Access denied: admin privileges required "
		    "for this bulk revoke operation", NULL);
		goto out;
	}
	if (user != NULL && sub != NULL)
		scope = xasprintf("user %s in subscription %s", user, sub);
	else if (user != NULL)
		scope = xasprintf("user %s", user);
	else
		scope = xasprintf("subscription %s", sub);
	if (sqlite3_prepare_v2(db, dry ? "SELECT count(*) FROM api_keys WHERE "
	    "tenant = '" TENANT "' AND status = 'active' AND (expires_at IS "
	    "NULL OR expires_at > ?1) AND (?2 IS NULL OR username = ?2) AND "
	    "(?3 IS NULL OR subscription = ?3)" : "UPDATE api_keys SET status "
	    "= 'revoked' WHERE tenant = '" TENANT "' AND status = 'active' AND "
	    "(expires_at IS NULL OR expires_at > ?1) AND (?2 IS NULL OR "
	    "username = ?2) AND (?3 IS NULL OR subscription = ?3)", -1, &st,
	    NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_int64(st, 1, mapi_now_us() / 1000000);
	if (user != NULL)
		sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
	if (sub != NULL)
		sqlite3_bind_text(st, 3, sub, -1, SQLITE_STATIC);
	if (dry) {
		if (sqlite3_step(st) != SQLITE_ROW)
			goto dberr;
		n = sqlite3_column_int(st, 0);
	} else {
		if (sqlite3_step(st) != SQLITE_DONE)
			goto dberr;
		n = sqlite3_changes(db);
		srv_log("msg=\"AUDIT bulk-revoke\" actor=\"%s\" scope=\"%s\" "
		    "revoked=%d", c->user, scope, n);
	}
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "revokedCount", n);
	if (dry)
		msg = xasprintf("Dry run: %d active key(s) would be revoked "
		    "for %s", n, scope);
	else
		msg = xasprintf("Successfully revoked %d active API key(s) for "
		    "%s", n, scope);
	cJSON_AddStringToObject(out, "message", msg);
	free(msg);
	if (dry)
		cJSON_AddTrueToObject(out, "dryRun");
	mapi_reply_json(q, 200, out);
	goto out;
dberr:
	srv_log("msg=\"maas-api: bulk revoke failed\" err=\"%s\"",
	    sqlite3_errmsg(db));
	mapi_reply_err(q, 500, dry ? "Failed to perform dry-run" :
	    "Failed to revoke API keys", NULL);
out:
	sqlite3_finalize(st);
	cJSON_Delete(in);
	free(user);
	free(sub);
	free(scope);
}

const char *
maasapi_key_check(const char *raw, char **user, struct strlist *groups,
    char **subscription)
{
	cJSON		*g, *it;
	const char	*p, *us;
	sqlite3_stmt	*st = NULL;
	const char	*why = "key not found";
	char		 hex[65];
	char		*kid;
	int		 active, lazy = 0;

	if (strncmp(raw, "sk-oai-", 7) != 0 ||
	    (us = strchr(raw + 7, '_')) == NULL || us == raw + 7 ||
	    us[1] == '\0')
		return "invalid key format";
	for (p = raw + 7; *p; p++)
		if (!isalnum((unsigned char)*p) && p != us)
			return "invalid key format";
	kid = xstrndup(raw + 7, (size_t)(us - raw - 7));
	key_hash(kid, strlen(kid), us + 1, hex);
	free(kid);
	if (db == NULL || sqlite3_prepare_v2(db, "SELECT status, expires_at, "
	    "subscription, username, user_groups FROM api_keys WHERE key_hash = ?1 AND tenant = '"
	    TENANT "'", -1, &st, NULL) != SQLITE_OK)
		return "validation failed";
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		active = strcmp((const char *)sqlite3_column_text(st, 0),
		    "active") == 0;
		if (!active || (sqlite3_column_type(st, 1) != SQLITE_NULL &&
		    sqlite3_column_int64(st, 1) < mapi_now_us() / 1000000)) {
			why = "key revoked or expired";
			lazy = active;
		} else if (sqlite3_column_text(st, 2) == NULL ||
		    sqlite3_column_text(st, 2)[0] == '\0')
			why = "key has no subscription bound";
		else {
			why = NULL;
			*user = xstrdup((const char *)
			    sqlite3_column_text(st, 3));
			if (subscription != NULL)
				*subscription = xstrdup((const char *)
				    sqlite3_column_text(st, 2));
			g = cJSON_Parse((const char *)
			    sqlite3_column_text(st, 4));
			cJSON_ArrayForEach(it, g)
				if (cJSON_IsString(it))
					sl_add(groups, it->valuestring);
			cJSON_Delete(g);
		}
	}
	sqlite3_finalize(st);
	/* Like the real validate handler: a time-expired active key is
	 * marked expired now (it can then no longer be revoked). */
	if (lazy && sqlite3_prepare_v2(db, "UPDATE api_keys SET status = "
	    "'expired' WHERE key_hash = ?1 AND tenant = '" TENANT "' AND "
	    "status = 'active'", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(db) > 0)
			srv_log("msg=\"maas-api: key marked expired\"");
		sqlite3_finalize(st);
	}
	return why;
}

/* ---- POST /internal/v1/api-keys/cleanup ---- */

#define CLEANUP_GRACE_S	(30 * 60)	/* keys expired longer ago go */

int
maasapi_cleanup(struct err *e)
{
	sqlite3_stmt	*st = NULL;

	if (db == NULL || sqlite3_prepare_v2(db, "DELETE FROM api_keys WHERE "
	    "tenant = '" TENANT "' AND ephemeral = 1 AND expires_at IS NOT "
	    "NULL AND expires_at < ?1", -1, &st, NULL) != SQLITE_OK)
		return err_set(e, EXIT_ERR, "maas-api: key cleanup: %s",
		    db ? sqlite3_errmsg(db) : "no database");
	sqlite3_bind_int64(st, 1, mapi_now_us() / 1000000 - CLEANUP_GRACE_S);
	if (sqlite3_step(st) != SQLITE_DONE) {
		err_set(e, EXIT_ERR, "maas-api: key cleanup: %s",
		    sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return sqlite3_changes(db);
}

/* ---- routing ---- */

void
maasapi_handle(struct sbx_req *q, const char *path,
    const struct maas_caller *c)
{
	static const char	 nf[] = "404 page not found";
	const char		*rid, *id;
	char			 fresh[37];
	cJSON			*o;
	size_t			 n;

	rid = evhttp_find_header(evhttp_request_get_input_headers(q->r),
	    "X-Request-ID");
	n = rid ? strlen(rid) : 0;
	if (n == 0 || n > 128 || strspn(rid, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n) {
		if (uuid4(fresh) != 0)
			snprintf(fresh, sizeof fresh, "%lld", mapi_now_us());
		rid = fresh;
	}
	srv_header(q, "X-Request-ID", rid);
	if (strcmp(q->method, "OPTIONS") == 0) {
		srv_reply(q, 204, "text/plain", "", 0);
		return;
	}
	if (strcmp(path, "/health") == 0 && strcmp(q->method, "GET") == 0) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "status", "healthy");
		mapi_reply_json(q, 200, o);
		return;
	}
	if (c == NULL)
		goto notfound;
	if (strcmp(path, "/v1/api-keys") == 0 &&
	    strcmp(q->method, "POST") == 0)
		key_create(q, c);
	else if (strcmp(path, "/v1/api-keys/search") == 0 &&
	    strcmp(q->method, "POST") == 0)
		key_search(q, c);
	else if (strcmp(path, "/v1/api-keys/bulk-revoke") == 0 &&
	    strcmp(q->method, "POST") == 0)
		key_bulk_revoke(q, c);
	else if (strcmp(path, "/v1/models") == 0 &&
	    strcmp(q->method, "GET") == 0)
		mapi_models(q, c);
	else if (strcmp(path, "/v1/subscriptions") == 0 &&
	    strcmp(q->method, "GET") == 0)
		mapi_subscriptions(q, c);
	else if (strncmp(path, "/v1/model/", 10) == 0 &&
	    strcmp(q->method, "GET") == 0 && (id = strchr(path + 10, '/')) !=
	    NULL && strcmp(id, "/subscriptions") == 0) {
		char *mid = xstrndup(path + 10, (size_t)(id - path - 10));

		mapi_model_subscriptions(q, mid, c);
		free(mid);
	}
	else if (strcmp(path, "/v1/api-keys/config") == 0 &&
	    strcmp(q->method, "GET") == 0) {
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "max_expiration_days",
		    mapi_max_expiration_days());
		cJSON_AddStringToObject(o, "ephemeral_max_expiration",
		    "1h0m0s");
		mapi_reply_json(q, 200, o);
	} else if (strncmp(path, "/v1/api-keys/", 13) == 0 &&
	    path[13] != '\0' && strchr(path + 13, '/') == NULL) {
		id = path + 13;
		if (strcmp(q->method, "GET") == 0)
			key_get(q, id, c);
		else if (strcmp(q->method, "DELETE") == 0)
			key_revoke(q, id, c);
		else
			goto notfound;
	} else
		goto notfound;
	return;
notfound:
	srv_reply(q, 404, "text/plain", nf, sizeof nf - 1);
}
