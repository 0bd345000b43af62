/*
 * test_term.c: unit tests for common/term.c: redaction of every kind of
 * secret it knows, verbosity gating, tty and colour decisions.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "term.h"

static void
red(const char *in, const char *want, const char *what)
{
	char	*got = term_redact(in);

	is_str(got, want, "%s", what);
	free(got);
}

TEST(headers)
{
	red("Authorization: Bearer abc.def", "Authorization: REDACTED",
	    "Authorization header");
	red("> authorization: Basic dXNlcjpwYXNz\r\n> Accept: */*",
	    "> authorization: REDACTED\r\n> Accept: */*",
	    "lower-case header, next line kept");
	red("x-api-key: sk-oai-abc", "x-api-key: REDACTED", "x-api-key");
	red("X-Api-Key:secret\nHost: h", "X-Api-Key:REDACTED\nHost: h",
	    "no space after colon");
	red("Proxy-Authorization: Basic Zm9v", "Proxy-Authorization: REDACTED",
	    "Proxy-Authorization");
	red("Authorization:", "Authorization:", "empty value stays empty");
	red("MyAuthorization: x", "MyAuthorization: x",
	    "only at a word boundary");
}

TEST(bearer_and_keys)
{
	red("Bearer sha256~AbC-123_x", "Bearer REDACTED", "bearer token");
	red("token is bearer  xyz, ok", "token is bearer  REDACTED, ok",
	    "lower-case bearer, comma ends it");
	red("\"Authorization\":\"Bearer abc\"",
	    "\"Authorization\":\"Bearer REDACTED\"", "bearer in JSON");
	red("Bearer", "Bearer", "Bearer alone");
	red("key sk-oai-AbCdEf0123_-x9 used",
	    "key REDACTED used", "sk-oai key");
	red("sk-oai-", "REDACTED", "bare prefix");
	red("risk-oai-thing", "risk-oai-thing", "sk-oai- inside a word");
}

TEST(jwt)
{
	red("id eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig-_nature end",
	    "id REDACTED end", "JWT");
	red("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "REDACTED",
	    "unsigned JWT");
	red("eyJhbGciOiJub25lIn0.only-two", "eyJhbGciOiJub25lIn0.only-two",
	    "two parts is not a JWT");
	red("maas.apps.example.com", "maas.apps.example.com",
	    "host names untouched");
}

TEST(json)
{
	red("{\"token\":\"abc\",\"name\":\"x\"}",
	    "{\"token\":\"REDACTED\",\"name\":\"x\"}", "token member");
	red("{\"access_token\" : \"abc\"}", "{\"access_token\" : \"REDACTED\"}",
	    "access_token with spaces");
	red("{\"status\":{\"token\":\"a\\\"b\"}}",
	    "{\"status\":{\"token\":\"REDACTED\"}}", "escaped quote in value");
	red("{\"key\":\"sk-abc\"}", "{\"key\":\"REDACTED\"}", "key sk-");
	red("{\"key\":\"app\"}", "{\"key\":\"app\"}", "other key values kept");
	red("{\"password\":\"hunter2\"}", "{\"password\":\"REDACTED\"}",
	    "password");
	red("{\"client-key-data\":\"LS0t\"}",
	    "{\"client-key-data\":\"REDACTED\"}", "client-key-data");
	red("{\"max_tokens\":12,\"token\":\"\"}",
	    "{\"max_tokens\":12,\"token\":\"\"}", "numbers and empty kept");
}

TEST(query_and_yaml)
{
	red("GET /x?access_token=abc123&limit=5 HTTP/1.1",
	    "GET /x?access_token=REDACTED&limit=5 HTTP/1.1", "query token");
	red("/cb?code=1&token=zz#frag", "/cb?code=1&token=REDACTED#frag",
	    "token after &");
	red("/x?tokens=5&limit=1", "/x?tokens=5&limit=1",
	    "other parameters kept");
	red("users:\n- name: a\n  user:\n    token: abc\n"
	    "    client-key-data: LS0tLS1\n",
	    "users:\n- name: a\n  user:\n    token: REDACTED\n"
	    "    client-key-data: REDACTED\n", "kubeconfig YAML");
	red("- password: hunter2", "- password: REDACTED", "list item");
	red("tokenFile: /var/run/token\nmax_tokens: 5",
	    "tokenFile: /var/run/token\nmax_tokens: 5",
	    "paths and counts kept");
}

TEST(pem)
{
	red("a\n-----BEGIN PRIVATE KEY-----\nMIIE\nAAA=\n-----END PRIVATE KEY-----\nb",
	    "a\nREDACTED\nb", "PKCS#8 key");
	red("-----BEGIN EC PRIVATE KEY-----\\nMHc\\n-----END EC PRIVATE KEY-----\"",
	    "REDACTED\"", "escaped newlines, EC key");
	red("-----BEGIN RSA PRIVATE KEY-----\nMIIE",
	    "REDACTED", "unterminated key hidden to the end");
	red("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
	    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
	    "certificates are public");
}

TEST(misc)
{
	char	*s = term_redact_n("Bearer abcdef", 9);

	is_str(s, "Bearer REDACTED", "byte range");
	free(s);
	s = term_redact(NULL);
	is_str(s, "", "NULL gives empty");
	free(s);
	red("plain text, nothing secret", "plain text, nothing secret",
	    "plain text");
}

TEST(levels)
{
	term_set_verbosity(6);
	ok(term_enabled(6) && term_enabled(0) && !term_enabled(7),
	    "level 6 shows 0..6");
	is_int(term_verbosity(), 6, "verbosity read back");
	term_set_verbosity(-3);
	is_int(term_verbosity(), 0, "negative clamps to 0");
}

TEST(tty_colour)
{
	setenv("MAASCTL_FORCE_TTY", "1", 1);
	unsetenv("NO_COLOR");
	term_init(0);
	ok(term_is_tty() && term_color(), "forced tty has colour");
	term_init(1);
	ok(term_is_tty() && !term_color(), "--no-color turns it off");
	setenv("NO_COLOR", "1", 1);
	term_init(0);
	ok(!term_color(), "NO_COLOR turns it off");
	unsetenv("NO_COLOR");
	setenv("MAASCTL_FORCE_TTY", "0", 1);
	term_init(0);
	/* The test runner's stderr is a file, not a tty. */
	ok(!term_color() || term_is_tty(), "no tty, no colour");
	unsetenv("MAASCTL_FORCE_TTY");
}

TEST(output)
{
	char	 path[] = "/tmp/test_term.XXXXXX", buf[4096];
	int	 fd, saved;
	ssize_t	 n;
	FILE	*f;

	fd = mkstemp(path);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	setenv("MAASCTL_FORCE_TTY", "0", 1);
	term_init(0);
	term_set_verbosity(6);
	term_log(6, "GET /x Authorization: %s", "Bearer abc");
	term_log(7, "not shown at -v 6");
	term_warn("careful %d", 1);
	term_progress("download", 0, 100);
	term_progress("download", 5, 100);
	term_progress("download", 12, 100);
	term_progress("download", 100, 100);
	term_progress_end();
	term_progress("items", 3, 0);
	term_progress_end();
	setenv("MAASCTL_FORCE_TTY", "1", 1);
	term_init(1);
	term_progress("x", 1, 2);
	term_log(0, "between");
	term_progress("x", 2, 2);
	term_progress_end();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	unsetenv("MAASCTL_FORCE_TTY");
	f = fdopen(fd, "r");
	rewind(f);
	n = (ssize_t)fread(buf, 1, sizeof buf - 1, f);
	buf[n < 0 ? 0 : n] = '\0';
	fclose(f);
	unlink(path);
	is_str(buf,
	    "GET /x Authorization: REDACTED\n"
	    "warning: careful 1\n"
	    "download: 0% (0/100)\n"
	    "download: 12% (12/100)\n"
	    "download: 100% (100/100)\n"
	    "items: 3\n"
	    "\r\033[Kx  [===============               ]  50%  (1/2)"
	    "\r\033[Kbetween\n"
	    "\r\033[Kx  [==============================] 100%  (2/2)\n",
	    "logger, warning and progress on stderr (plain, then tty)");
}

int
main(void)
{
	RUN(headers);
	RUN(bearer_and_keys);
	RUN(jwt);
	RUN(json);
	RUN(query_and_yaml);
	RUN(pem);
	RUN(misc);
	RUN(levels);
	RUN(tty_colour);
	RUN(output);
	return tap_done();
}
