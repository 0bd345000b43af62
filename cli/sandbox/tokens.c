/*
 * tokens.c: the bearer tokens of sandbox identities.
 *
 * A token is a JWT (RFC 7519) signed with HMAC-SHA256 (HS256):
 *
 *	base64url(header) "." base64url(claims) "." base64url(signature)
 *
 * header {"alg":"HS256","typ":"JWT"}; claims {"iss":"maasctl-sandbox",
 * "sub":user,"groups":[...],"iat":t,"exp":t+ttl,"jti":random}.  The key is
 * token.secret in the state dir: 32 bytes from RAND_bytes, 0600, created on
 * first use (atomically, so concurrent first uses agree on one key).  The
 * signature is compared in constant time; the algorithm is fixed (a token
 * naming another "alg", "none" included, is rejected), and expiry is
 * enforced.  An identity whose groups include "system:masters" is admin,
 * as in Kubernetes.  Errors never contain the token or the key.
 */
#include <sys/stat.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "base64.h"
#include "sandbox.h"

#define SECRET_LEN	32
#define SIG_LEN		32		/* SHA-256 */
#define DEFAULT_TTL	(24.0 * 3600)
#define MAX_TTL		(100.0 * 365 * 24 * 3600)
#define MAX_TOKEN_LEN	16384
#define TOKEN_ISSUER	"maasctl-sandbox"

/* The JWT header every token carries: {"alg":"HS256","typ":"JWT"}. */
static const char jwt_header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

/* One cached key, so verifying a request costs a stat(), not a read. */
static struct {
	pthread_mutex_t	 lock;
	char		*path;
	dev_t		 dev;
	ino_t		 ino;
	struct timespec	 mtime;
	unsigned char	 key[SECRET_LEN];
	int		 valid;
} cache = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, { 0, 0 }, { 0 }, 0 };

static double
now_seconds(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Load the HMAC key of state_dir into key, creating it if create is set.
 * The key file must be a regular file of exactly SECRET_LEN bytes.
 */
static int
load_secret(const char *state_dir, int create, unsigned char *key,
    struct err *e)
{
	struct stat	 st;
	unsigned char	 fresh[SECRET_LEN];
	char		*path, *buf = NULL;
	size_t		 len = 0;
	int		 rc = -1, tries, saved;

	path = sbx_path(state_dir, SBX_TOKEN_SECRET);
	pthread_mutex_lock(&cache.lock);
	for (tries = 0; tries < 2; tries++) {
		if (stat(path, &st) == 0)
			break;
		if ((saved = errno) != ENOENT || !create) {
			err_set(e, EXIT_AUTH, "cannot read the sandbox token "
			    "secret %s: %s", path, strerror(saved));
			if (saved == ENOENT)
				err_hint(e, "start the sandbox (maasctl sandbox "
				    "up) or mint a token with maasctl sandbox "
				    "token");
			goto out;
		}
		if (sbx_mkdirs(state_dir, e) == -1)
			goto out;
		if (RAND_bytes(fresh, sizeof fresh) != 1) {
			err_set(e, EXIT_ERR, "cannot create the sandbox token "
			    "secret: no randomness from OpenSSL");
			goto out;
		}
		if (sbx_create_file(path, fresh, sizeof fresh, 0600, e) ==
		    -1 && errno != EEXIST)
			goto out;
		/* Created here or by a concurrent first use: stat again. */
	}
	if (tries == 2) {
		err_set(e, EXIT_ERR, "cannot create the sandbox token secret "
		    "%s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(e, EXIT_AUTH, "sandbox token secret %s is not a "
		    "regular file", path);
		goto out;
	}
	if (cache.valid && cache.path != NULL && strcmp(cache.path, path) ==
	    0 && cache.dev == st.st_dev && cache.ino == st.st_ino &&
	    cache.mtime.tv_sec == st.st_mtim.tv_sec &&
	    cache.mtime.tv_nsec == st.st_mtim.tv_nsec) {
		memcpy(key, cache.key, SECRET_LEN);
		rc = 0;
		goto out;
	}
	if ((buf = sbx_read_file(path, &len, e)) == NULL)
		goto out;
	if (len != SECRET_LEN) {
		err_set(e, EXIT_AUTH, "sandbox token secret %s is corrupt: "
		    "%zu bytes, want %d", path, len, SECRET_LEN);
		goto out;
	}
	memcpy(key, buf, SECRET_LEN);
	memcpy(cache.key, buf, SECRET_LEN);
	free(cache.path);
	cache.path = xstrdup(path);
	cache.dev = st.st_dev;
	cache.ino = st.st_ino;
	cache.mtime = st.st_mtim;
	cache.valid = 1;
	rc = 0;
out:
	pthread_mutex_unlock(&cache.lock);
	explicit_bzero(fresh, sizeof fresh);
	if (buf != NULL) {
		explicit_bzero(buf, len);
		free(buf);
	}
	free(path);
	return rc;
}

static int
sign(const unsigned char *key, const char *msg, size_t len,
    unsigned char *sig)
{
	unsigned int	 siglen = SIG_LEN;

	if (HMAC(EVP_sha256(), key, SECRET_LEN, (const unsigned char *)msg,
	    len, sig, &siglen) == NULL || siglen != SIG_LEN)
		return -1;
	return 0;
}

/* Is the name acceptable as a user or group: non-empty, printable? */
static int
name_ok(const char *s)
{
	const unsigned char	*p;

	if (s == NULL || *s == '\0' || strlen(s) > 253)
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	}
	return 1;
}

/* Mint a token for user+groups valid for ttl seconds (0 = 24h). */
char *
sbx_token_mint(const char *state_dir, const char *user,
    const struct strlist *groups, double ttl, struct err *e)
{
	unsigned char	 key[SECRET_LEN], sig[SIG_LEN], jti[12];
	struct strbuf	 tok = STRBUF_INIT, jtis = STRBUF_INIT;
	cJSON		*claims = NULL, *arr;
	char		*body = NULL, *ret = NULL;
	double		 now;
	size_t		 i;

	sb_init(&tok);
	if (!name_ok(user)) {
		err_set(e, EXIT_USAGE, "invalid sandbox user name: it must be "
		    "1 to 253 printable characters");
		goto out;
	}
	for (i = 0; groups != NULL && i < groups->n; i++) {
		if (!name_ok(groups->v[i])) {
			err_set(e, EXIT_USAGE, "invalid sandbox group name: "
			    "it must be 1 to 253 printable characters");
			goto out;
		}
	}
	if (ttl == 0)
		ttl = DEFAULT_TTL;
	if (!(ttl > 0) || ttl > MAX_TTL) {
		err_set(e, EXIT_USAGE, "invalid token lifetime: it must be "
		    "positive and at most 100 years");
		goto out;
	}
	if (load_secret(state_dir, 1, key, e) == -1)
		goto out;
	if (RAND_bytes(jti, sizeof jti) != 1) {
		err_set(e, EXIT_ERR, "cannot mint a token: no randomness from "
		    "OpenSSL");
		goto out;
	}
	b64_encode_to(&jtis, jti, sizeof jti, B64_URL_RAW);

	now = floor(now_seconds());
	claims = cJSON_CreateObject();
	cJSON_AddStringToObject(claims, "iss", TOKEN_ISSUER);
	cJSON_AddStringToObject(claims, "sub", user);
	arr = cJSON_AddArrayToObject(claims, "groups");
	for (i = 0; groups != NULL && i < groups->n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(groups->v[i]));
	cJSON_AddNumberToObject(claims, "iat", now);
	cJSON_AddNumberToObject(claims, "exp", now + ceil(ttl));
	cJSON_AddStringToObject(claims, "jti", jtis.buf);
	if ((body = cJSON_PrintUnformatted(claims)) == NULL) {
		err_set(e, EXIT_ERR, "cannot mint a token: out of memory");
		goto out;
	}

	b64_encode_to(&tok, jwt_header, strlen(jwt_header), B64_URL_RAW);
	sb_addc(&tok, '.');
	b64_encode_to(&tok, body, strlen(body), B64_URL_RAW);
	if (sign(key, tok.buf, tok.len, sig) == -1) {
		err_set(e, EXIT_ERR, "cannot mint a token: HMAC-SHA256 failed");
		goto out;
	}
	sb_addc(&tok, '.');
	b64_encode_to(&tok, sig, sizeof sig, B64_URL_RAW);
	ret = sb_detach(&tok);
out:
	explicit_bzero(key, sizeof key);
	explicit_bzero(sig, sizeof sig);
	sb_free_secret(&tok);
	sb_free(&jtis);
	cJSON_Delete(claims);
	if (body != NULL)
		cJSON_free(body);
	return ret;
}

/* Parse the claims of a token whose signature checked out into id. */
static int
parse_claims(const char *json, size_t len, struct sbx_identity *id,
    struct err *e)
{
	cJSON		*c, *sub, *exp, *groups, *g;
	int		 rc = -1;

	if ((c = cJSON_ParseWithLength(json, len)) == NULL ||
	    !cJSON_IsObject(c)) {
		err_set(e, EXIT_AUTH, "invalid bearer token: malformed claims");
		goto out;
	}
	sub = cJSON_GetObjectItemCaseSensitive(c, "sub");
	exp = cJSON_GetObjectItemCaseSensitive(c, "exp");
	groups = cJSON_GetObjectItemCaseSensitive(c, "groups");
	if (!cJSON_IsString(sub) || !name_ok(sub->valuestring)) {
		err_set(e, EXIT_AUTH, "invalid bearer token: no subject");
		goto out;
	}
	if (!cJSON_IsNumber(exp)) {
		err_set(e, EXIT_AUTH, "invalid bearer token: no expiry");
		goto out;
	}
	if (now_seconds() >= exp->valuedouble) {
		err_set(e, EXIT_AUTH, "invalid bearer token: token has "
		    "expired");
		goto out;
	}
	if (groups != NULL && !cJSON_IsArray(groups)) {
		err_set(e, EXIT_AUTH, "invalid bearer token: groups is not a "
		    "list");
		goto out;
	}
	id->user = xstrdup(sub->valuestring);
	cJSON_ArrayForEach(g, groups) {
		if (!cJSON_IsString(g) || !name_ok(g->valuestring)) {
			err_set(e, EXIT_AUTH, "invalid bearer token: bad group");
			sbx_identity_free(id);
			goto out;
		}
		sl_add(&id->groups, g->valuestring);
		if (strcmp(g->valuestring, "system:masters") == 0)
			id->admin = 1;
	}
	rc = 0;
out:
	cJSON_Delete(c);
	return rc;
}

/* Verify a bearer token; 0 and *id filled, or -1 (unknown/expired). */
int
sbx_token_verify(const char *state_dir, const char *token,
    struct sbx_identity *id, struct err *e)
{
	static const char	 malformed[] = "invalid bearer token: malformed";
	unsigned char		 key[SECRET_LEN], want[SIG_LEN];
	struct strbuf		 hdr = STRBUF_INIT, body = STRBUF_INIT;
	struct strbuf		 sig = STRBUF_INIT;
	const char		*dot1, *dot2;
	cJSON			*h = NULL, *alg;
	size_t			 len;
	int			 rc = -1;

	memset(id, 0, sizeof *id);
	sb_init(&hdr);
	sb_init(&body);
	sb_init(&sig);
	if (token == NULL || (len = strlen(token)) == 0) {
		err_set(e, EXIT_AUTH, "no bearer token");
		goto out;
	}
	if (len > MAX_TOKEN_LEN ||
	    (dot1 = strchr(token, '.')) == NULL ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL ||
	    strchr(dot2 + 1, '.') != NULL) {
		err_set(e, EXIT_AUTH, "%s", malformed);
		goto out;
	}
	if (b64_decode_url_raw(token, (size_t)(dot1 - token), &hdr) == -1 ||
	    b64_decode_url_raw(dot1 + 1, (size_t)(dot2 - dot1 - 1),
	    &body) == -1 ||
	    b64_decode_url_raw(dot2 + 1, strlen(dot2 + 1), &sig) == -1) {
		err_set(e, EXIT_AUTH, "%s", malformed);
		goto out;
	}
	if ((h = cJSON_ParseWithLength(hdr.buf, hdr.len)) == NULL ||
	    !cJSON_IsObject(h)) {
		err_set(e, EXIT_AUTH, "%s", malformed);
		goto out;
	}
	alg = cJSON_GetObjectItemCaseSensitive(h, "alg");
	if (!cJSON_IsString(alg) || strcmp(alg->valuestring, "HS256") != 0) {
		err_set(e, EXIT_AUTH, "invalid bearer token: unsupported "
		    "signing algorithm");
		goto out;
	}
	if (load_secret(state_dir, 0, key, e) == -1)
		goto out;
	if (sign(key, token, (size_t)(dot2 - token), want) == -1) {
		err_set(e, EXIT_ERR, "cannot verify a token: HMAC-SHA256 "
		    "failed");
		goto out;
	}
	if (sig.len != SIG_LEN || CRYPTO_memcmp(sig.buf, want, SIG_LEN) != 0) {
		err_set(e, EXIT_AUTH, "invalid bearer token: bad signature");
		goto out;
	}
	rc = parse_claims(body.buf, body.len, id, e);
out:
	explicit_bzero(key, sizeof key);
	explicit_bzero(want, sizeof want);
	cJSON_Delete(h);
	sb_free(&hdr);
	sb_free(&body);
	sb_free(&sig);
	return rc;
}

/* Free what sbx_token_verify() filled in. */
void
sbx_identity_free(struct sbx_identity *id)
{
	if (id == NULL)
		return;
	free(id->user);
	id->user = NULL;
	sl_free(&id->groups);
	id->admin = 0;
}
