/* test_base64.c: RFC 4648 vectors, Go's StdEncoding error offsets, and the
 * strict unpadded base64url of JWT segments. */
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "tap.h"

static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba",
    "foobar" };
static const char *const std[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==",
    "Zm9vYmE=", "Zm9vYmFy" };
static const char *const url[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg",
    "Zm9vYmE", "Zm9vYmFy" };

TEST(rfc4648_vectors)
{
	size_t	 i, n, bad;
	char	*s;

	for (i = 0; i < sizeof plain / sizeof plain[0]; i++) {
		struct strbuf sb = STRBUF_INIT;

		s = b64_encode(plain[i], strlen(plain[i]), B64_STD);
		is_str(s, std[i], "std encode \"%s\"", plain[i]);
		free(s);
		s = b64_encode(plain[i], strlen(plain[i]), B64_URL_RAW);
		is_str(s, url[i], "url encode \"%s\"", plain[i]);
		free(s);
		s = b64_decode_std(std[i], strlen(std[i]), &n, &bad);
		ok(s != NULL && n == strlen(plain[i]) &&
		    memcmp(s, plain[i], n) == 0, "std decode \"%s\"", std[i]);
		free(s);
		sb_init(&sb);
		ok(b64_decode_url_raw(url[i], strlen(url[i]), &sb) == 0 &&
		    sb.len == strlen(plain[i]) &&
		    memcmp(sb.buf, plain[i], sb.len) == 0,
		    "url decode \"%s\"", url[i]);
		sb_free(&sb);
	}
}

TEST(alphabets_differ)
{
	const unsigned char	 b[] = { 0xfb, 0xff, 0xbf };
	char			*s;

	s = b64_encode(b, sizeof b, B64_STD);
	is_str(s, "+/+/", "std uses + and /");
	free(s);
	s = b64_encode(b, sizeof b, B64_URL_RAW);
	is_str(s, "-_-_", "url uses - and _");
	free(s);
}

static void
std_bad(const char *in, size_t want)
{
	size_t	 n, bad = 999;
	char	*s = b64_decode_std(in, strlen(in), &n, &bad);

	ok(s == NULL && bad == want, "\"%s\" illegal at byte %zu (got %zu)",
	    in, want, bad);
	free(s);
}

TEST(std_errors_as_go)
{
	size_t	 n, bad;
	char	*s;

	std_bad("Zm9", 0);
	std_bad("Zm9v!", 4);
	std_bad("Z===", 1);
	std_bad("Zg=", 3);
	std_bad("Zg=x", 2);
	std_bad("Zm8=Zg==", 4);
	s = b64_decode_std("Zm9v\nYmFy\r\n", 11, &n, &bad);
	ok(s != NULL && n == 6 && strcmp(s, "foobar") == 0,
	    "newlines are skipped");
	free(s);
}

TEST(url_strict)
{
	struct strbuf	 sb = STRBUF_INIT;

	sb_init(&sb);
	ok(b64_decode_url_raw("Zg==", 4, &sb) == -1, "padding refused");
	ok(b64_decode_url_raw("Z", 1, &sb) == -1, "length 1 mod 4 refused");
	ok(b64_decode_url_raw("Zh", 2, &sb) == -1, "non-canonical bits refused");
	ok(b64_decode_url_raw("+/", 2, &sb) == -1, "std alphabet refused");
	sb_free(&sb);
}

int
main(void)
{
	RUN(rfc4648_vectors);
	RUN(alphabets_differ);
	RUN(std_errors_as_go);
	RUN(url_strict);
	return tap_done();
}
