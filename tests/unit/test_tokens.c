/*
 * test_tokens.c: sandbox bearer tokens (cli/sandbox/tokens.c): mint and
 * verify, the secret file, tampering, forging, expiry, algorithm pinning,
 * malformed input, rotation of the secret and concurrent first use.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cjson/cJSON.h>

#include "tap.h"
#include "sandbox/sandbox.h"

static char	 tmpl[] = "/tmp/maasctl-test-tokens.XXXXXX";
static char	*root;

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(p);
}

static char *
newdir(const char *name)
{
	return xasprintf("%s/%s", root, name);
}

static void
b64url(struct strbuf *sb, const unsigned char *p, size_t len)
{
	static const char	 a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
	    "nopqrstuvwxyz0123456789-_";
	size_t			 i;
	unsigned long		 v;

	for (i = 0; i < len; i += 3) {
		v = (unsigned long)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned long)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		sb_addc(sb, a[(v >> 18) & 63]);
		sb_addc(sb, a[(v >> 12) & 63]);
		if (i + 1 < len)
			sb_addc(sb, a[(v >> 6) & 63]);
		if (i + 2 < len)
			sb_addc(sb, a[v & 63]);
	}
}

/* Build a token from raw header and claims, signed with the key in dir
 * (or a zero key when dir is NULL). */
static char *
craft(const char *dir, const char *header, const char *claims)
{
	struct strbuf	 sb = STRBUF_INIT;
	unsigned char	 key[32] = { 0 }, sig[32];
	unsigned int	 siglen = sizeof sig;
	char		*path, *buf;
	size_t		 len = 0;

	if (dir != NULL) {
		path = sbx_path(dir, SBX_TOKEN_SECRET);
		buf = sbx_read_file(path, &len, NULL);
		if (buf != NULL && len == 32)
			memcpy(key, buf, 32);
		free(buf);
		free(path);
	}
	b64url(&sb, (const unsigned char *)header, strlen(header));
	sb_addc(&sb, '.');
	b64url(&sb, (const unsigned char *)claims, strlen(claims));
	HMAC(EVP_sha256(), key, 32, (unsigned char *)sb.buf, sb.len, sig,
	    &siglen);
	sb_addc(&sb, '.');
	b64url(&sb, sig, siglen);
	return sb_detach(&sb);
}

static int
verifies(const char *dir, const char *tok, struct err *e)
{
	struct sbx_identity	 id;
	int			 rc;

	rc = sbx_token_verify(dir, tok, &id, e);
	sbx_identity_free(&id);
	return rc == 0;
}

TEST(roundtrip)
{
	struct strlist		 g = STRLIST_INIT;
	struct sbx_identity	 id;
	struct err		 e = ERR_INIT;
	struct stat		 st;
	char			*dir = newdir("a"), *tok, *tok2, *p;

	sl_add(&g, "premium-users");
	sl_add(&g, "team a");
	tok = sbx_token_mint(dir, "alice", &g, 3600, &e);
	ok(tok != NULL, "mint succeeds (%s)", e.msg ? e.msg : "");
	ok(tok != NULL && strchr(tok, '=') == NULL &&
	    strchr(tok, '+') == NULL && strchr(tok, '/') == NULL,
	    "token is unpadded base64url");
	ok(tok != NULL && strncmp(tok, "eyJ", 3) == 0, "token is a JWT");
	p = sbx_path(dir, SBX_TOKEN_SECRET);
	ok(stat(p, &st) == 0, "token.secret created on first use");
	is_int(st.st_mode & 0777, 0600, "token.secret is 0600");
	is_int(st.st_size, 32, "token.secret holds 32 bytes");
	free(p);

	ok(sbx_token_verify(dir, tok, &id, &e) == 0, "verify succeeds");
	is_str(id.user, "alice", "user round-trips");
	is_int(id.groups.n, 2, "two groups");
	is_str(id.groups.n > 0 ? id.groups.v[0] : NULL, "premium-users",
	    "first group");
	is_str(id.groups.n > 1 ? id.groups.v[1] : NULL, "team a",
	    "second group");
	is_int(id.admin, 0, "ordinary user is not admin");
	sbx_identity_free(&id);

	tok2 = sbx_token_mint(dir, "alice", &g, 3600, &e);
	ok(tok2 != NULL && strcmp(tok, tok2) != 0,
	    "two tokens for one identity differ");
	ok(verifies(dir, tok2, NULL), "second token verifies with same key");
	free(tok);
	free(tok2);

	tok = sbx_token_mint(dir, "bob", NULL, 0, &e);
	ok(sbx_token_verify(dir, tok, &id, &e) == 0, "no groups verifies");
	is_int(id.groups.n, 0, "no groups");
	sbx_identity_free(&id);
	free(tok);

	sl_free(&g);
	sl_add(&g, "system:masters");
	tok = sbx_token_mint(dir, "admin", &g, 0, &e);
	ok(sbx_token_verify(dir, tok, &id, &e) == 0, "admin verifies");
	is_int(id.admin, 1, "system:masters is admin");
	sbx_identity_free(&id);
	free(tok);
	sl_free(&g);
	err_clear(&e);
	free(dir);
}

/* The claims of a token, decoded (no verification). */
static cJSON *
claims_of(const char *tok)
{
	const char	*a, *b;
	unsigned char	 out[4096];
	char		 in[4096];
	size_t		 n, i;
	int		 len;

	if ((a = strchr(tok, '.')) == NULL || (b = strchr(a + 1, '.')) == NULL)
		return NULL;
	n = (size_t)(b - a - 1);
	if (n + 4 > sizeof in)
		return NULL;
	for (i = 0; i < n; i++)
		in[i] = a[1 + i] == '-' ? '+' : a[1 + i] == '_' ? '/' : a[1 + i];
	while (n % 4 != 0)
		in[n++] = '=';
	in[n] = '\0';
	if ((len = EVP_DecodeBlock(out, (unsigned char *)in, (int)n)) < 0)
		return NULL;
	while (len > 0 && out[len - 1] == '\0')
		len--;
	return cJSON_ParseWithLength((char *)out, (size_t)len);
}

TEST(claims_and_ttl)
{
	struct strlist	 g = STRLIST_INIT;
	struct err	 e = ERR_INIT;
	char		*dir = newdir("ttl"), *tok;
	cJSON		*c;
	double		 iat, exp;

	sl_add(&g, "premium-users");
	tok = sbx_token_mint(dir, "alice", &g, 0, &e);
	ok(tok != NULL, "mint with ttl 0");
	c = tok ? claims_of(tok) : NULL;
	ok(c != NULL, "claims decode as JSON");
	iat = cJSON_GetNumberValue(cJSON_GetObjectItem(c, "iat"));
	exp = cJSON_GetNumberValue(cJSON_GetObjectItem(c, "exp"));
	is_int((long long)(exp - iat), 86400, "ttl 0 means 24 hours");
	ok(iat <= (double)time(NULL) && iat > (double)time(NULL) - 10,
	    "iat is now");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(c, "sub")), "alice",
	    "sub claim");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(c, "iss")),
	    "maasctl-sandbox", "iss claim");
	is_str(cJSON_GetStringValue(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(c, "groups"), 0)), "premium-users",
	    "groups claim");
	ok(cJSON_IsString(cJSON_GetObjectItem(c, "jti")), "jti claim");
	cJSON_Delete(c);
	free(tok);

	tok = sbx_token_mint(dir, "alice", NULL, 90, &e);
	c = tok ? claims_of(tok) : NULL;
	iat = cJSON_GetNumberValue(cJSON_GetObjectItem(c, "iat"));
	exp = cJSON_GetNumberValue(cJSON_GetObjectItem(c, "exp"));
	is_int((long long)(exp - iat), 90, "ttl 90 s");
	cJSON_Delete(c);
	free(tok);

	ok(sbx_token_mint(dir, "alice", NULL, -5, &e) == NULL,
	    "negative ttl refused");
	is_int(e.code, EXIT_USAGE, "negative ttl is a usage error");
	ok(sbx_token_mint(dir, "alice", NULL, 1e12, &e) == NULL,
	    "absurd ttl refused");
	sl_free(&g);
	err_clear(&e);
	free(dir);
}

TEST(bad_names)
{
	struct strlist	 g = STRLIST_INIT;
	struct err	 e = ERR_INIT;
	char		*dir = newdir("names");

	ok(sbx_token_mint(dir, "", NULL, 0, &e) == NULL, "empty user refused");
	is_int(e.code, EXIT_USAGE, "empty user is a usage error");
	ok(sbx_token_mint(dir, NULL, NULL, 0, &e) == NULL, "NULL user refused");
	ok(sbx_token_mint(dir, "a\nb", NULL, 0, &e) == NULL,
	    "control character in user refused");
	sl_add(&g, "");
	ok(sbx_token_mint(dir, "alice", &g, 0, &e) == NULL,
	    "empty group refused");
	is_int(e.code, EXIT_USAGE, "empty group is a usage error");
	sl_free(&g);
	err_clear(&e);
	free(dir);
}

TEST(tamper_and_forge)
{
	struct err	 e = ERR_INIT;
	char		*dir = newdir("t"), *other = newdir("other");
	char		*tok, *copy, *dot, *forged;
	size_t		 i;

	tok = sbx_token_mint(dir, "alice", NULL, 3600, &e);
	ok(tok != NULL, "mint");

	/* Flip one character in each part. */
	for (i = 0; i < 3; i++) {
		copy = xstrdup(tok);
		dot = copy;
		for (size_t k = 0; k < i; k++)
			dot = strchr(dot, '.') + 1;
		dot[1] = dot[1] == 'A' ? 'B' : 'A';
		ok(!verifies(dir, copy, &e), "tampered part %zu rejected", i);
		is_int(e.code, EXIT_AUTH, "tampered is an auth error");
		ok(e.msg != NULL && strstr(e.msg, copy) == NULL,
		    "error does not contain the token");
		free(copy);
	}

	/* A different user in the claims, old signature. */
	copy = xstrdup(tok);
	dot = strrchr(copy, '.');
	forged = craft(NULL, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
	    "{\"sub\":\"admin\",\"groups\":[\"system:masters\"],"
	    "\"exp\":9999999999}");
	ok(!verifies(dir, forged, &e), "token signed with a guessed key "
	    "rejected");
	is_str(e.msg, "invalid bearer token: bad signature",
	    "forged: bad signature");
	free(forged);
	free(copy);

	/* Minted by another sandbox (another secret). */
	forged = sbx_token_mint(other, "alice", NULL, 3600, &e);
	ok(forged != NULL, "mint in another state dir");
	ok(!verifies(dir, forged, &e), "token of another sandbox rejected");
	ok(verifies(other, forged, NULL), "it verifies in its own sandbox");
	free(forged);

	free(tok);
	err_clear(&e);
	free(dir);
	free(other);
}

TEST(alg_pinned)
{
	struct err	 e = ERR_INIT;
	char		*dir = newdir("alg"), *tok, *t;

	tok = sbx_token_mint(dir, "alice", NULL, 3600, &e);
	t = craft(dir, "{\"alg\":\"none\",\"typ\":\"JWT\"}",
	    "{\"sub\":\"admin\",\"exp\":9999999999}");
	ok(!verifies(dir, t, &e), "alg none rejected even when signed");
	is_str(e.msg, "invalid bearer token: unsupported signing algorithm",
	    "alg none: message");
	free(t);
	t = craft(dir, "{\"typ\":\"JWT\"}",
	    "{\"sub\":\"admin\",\"exp\":9999999999}");
	ok(!verifies(dir, t, &e), "missing alg rejected");
	free(t);
	/* Unsigned "none" token: header.claims. (empty signature). */
	t = xstrdup("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiIsImV4cCI6OTk5OTk5"
	    "OTk5OX0.");
	ok(!verifies(dir, t, &e), "unsigned token rejected");
	free(t);
	free(tok);
	err_clear(&e);
	free(dir);
}

TEST(expiry)
{
	struct err	 e = ERR_INIT;
	char		*dir = newdir("exp"), *tok, *claims, *t;
	time_t		 now = time(NULL);

	tok = sbx_token_mint(dir, "alice", NULL, 3600, &e);
	claims = xasprintf("{\"sub\":\"alice\",\"exp\":%lld}",
	    (long long)now - 1);
	t = craft(dir, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", claims);
	ok(!verifies(dir, t, &e), "expired token rejected");
	is_str(e.msg, "invalid bearer token: token has expired",
	    "expired: message");
	is_int(e.code, EXIT_AUTH, "expired: auth error");
	free(t);
	free(claims);

	claims = xasprintf("{\"sub\":\"alice\",\"exp\":%lld}",
	    (long long)now + 60);
	t = craft(dir, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", claims);
	ok(verifies(dir, t, NULL), "unexpired crafted token accepted");
	free(t);
	free(claims);

	t = craft(dir, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
	    "{\"sub\":\"alice\"}");
	ok(!verifies(dir, t, &e), "token without exp rejected");
	free(t);
	t = craft(dir, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
	    "{\"sub\":\"alice\",\"exp\":\"9999999999\"}");
	ok(!verifies(dir, t, &e), "string exp rejected");
	free(t);
	t = craft(dir, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
	    "{\"exp\":9999999999}");
	ok(!verifies(dir, t, &e), "token without sub rejected");
	free(t);
	t = craft(dir, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
	    "{\"sub\":\"a\",\"exp\":9999999999,\"groups\":\"x\"}");
	ok(!verifies(dir, t, &e), "groups not a list rejected");
	free(t);
	t = craft(dir, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
	    "{\"sub\":\"a\",\"exp\":9999999999,\"groups\":[1]}");
	ok(!verifies(dir, t, &e), "non-string group rejected");
	free(t);
	t = craft(dir, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "[1,2]");
	ok(!verifies(dir, t, &e), "claims not an object rejected");
	free(t);

	/* A one-second token really expires (tolerant: waits 2.2 s). */
	free(tok);
	tok = sbx_token_mint(dir, "alice", NULL, 1, &e);
	ok(verifies(dir, tok, NULL), "1s token valid at once");
	usleep(2200 * 1000);
	ok(!verifies(dir, tok, &e), "1s token expired after 2.2s");
	free(tok);
	err_clear(&e);
	free(dir);
}

TEST(malformed)
{
	static const char *bad[] = {
		"", "abc", "a.b", "a.b.c.d", "..", "eyJ.eyJ.!!!", "a b.c.d",
		"eyJhbGciOiJIUzI1NiJ9.e.x", "=.=.=",
	};
	struct err	 e = ERR_INIT;
	struct strbuf	 big = STRBUF_INIT;
	char		*dir = newdir("mal"), *tok;
	size_t		 i;

	tok = sbx_token_mint(dir, "alice", NULL, 3600, &e);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ok(!verifies(dir, bad[i], &e), "malformed '%s' rejected",
		    bad[i]);
		is_int(e.code, EXIT_AUTH, "malformed '%s': auth error", bad[i]);
	}
	ok(!verifies(dir, NULL, &e), "NULL token rejected");
	for (i = 0; i < 20000; i++)
		sb_addc(&big, 'A');
	sb_adds(&big, ".A.A");
	ok(!verifies(dir, big.buf, &e), "oversized token rejected");
	sb_free(&big);
	free(tok);
	err_clear(&e);
	free(dir);
}

TEST(no_secret)
{
	struct err	 e = ERR_INIT;
	struct stat	 st;
	char		*dir = newdir("mint-here"), *none = newdir("none");
	char		*tok, *p;

	tok = sbx_token_mint(dir, "alice", NULL, 3600, &e);
	ok(!verifies(none, tok, &e), "verify without a secret fails");
	is_int(e.code, EXIT_AUTH, "missing secret: auth error");
	ok(stat(none, &st) == -1, "verify never creates the secret");
	free(tok);

	/* Rotating the secret invalidates earlier tokens at once. */
	tok = sbx_token_mint(dir, "alice", NULL, 3600, &e);
	ok(verifies(dir, tok, NULL), "verifies before rotation");
	p = sbx_path(dir, SBX_TOKEN_SECRET);
	unlink(p);
	free(sbx_token_mint(dir, "bob", NULL, 3600, &e));
	ok(!verifies(dir, tok, &e), "rejected after the secret is rotated");

	/* A corrupt secret is an error, not a silent new key. */
	ok(sbx_write_file(p, "short", 5, 0600, NULL) == 0, "corrupt secret");
	ok(sbx_token_mint(dir, "alice", NULL, 0, &e) == NULL,
	    "mint with a corrupt secret fails");
	ok(e.msg != NULL && strstr(e.msg, "corrupt") != NULL,
	    "message says corrupt");
	free(p);
	free(tok);
	err_clear(&e);
	free(dir);
	free(none);
}

TEST(concurrent_first_use)
{
	char		*dir = newdir("race"), path[4096];
	pid_t		 kids[8];
	int		 i, status, good = 0;
	FILE		*f;
	char		 buf[2048];

	for (i = 0; i < 8; i++) {
		if ((kids[i] = fork()) == 0) {
			char	*t = sbx_token_mint(dir, "alice", NULL, 60, NULL);

			snprintf(path, sizeof path, "%s/../race-%d", dir, i);
			if (t == NULL || (f = fopen(path, "w")) == NULL)
				_exit(1);
			fputs(t, f);
			fclose(f);
			_exit(0);
		}
	}
	for (i = 0; i < 8; i++) {
		waitpid(kids[i], &status, 0);
		snprintf(path, sizeof path, "%s/../race-%d", dir, i);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof buf, f) != NULL &&
		    verifies(dir, buf, NULL))
			good++;
		fclose(f);
	}
	is_int(good, 8, "8 concurrent first mints agree on one secret");
	free(dir);
}

int
main(void)
{
	if ((root = mkdtemp(tmpl)) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(roundtrip);
	RUN(claims_and_ttl);
	RUN(bad_names);
	RUN(tamper_and_forge);
	RUN(alg_pinned);
	RUN(expiry);
	RUN(malformed);
	RUN(no_secret);
	RUN(concurrent_first_use);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
