/*
 * base64.c: RFC 4648 base64, standard and URL-safe (see base64.h).
 */
#include <string.h>

#include "base64.h"

static const char alpha_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char alpha_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void
b64_encode_to(struct strbuf *sb, const void *src, size_t n,
    enum b64_alphabet a)
{
	const unsigned char	*p = src;
	const char		*al = a == B64_STD ? alpha_std : alpha_url;
	unsigned long		 v;
	size_t			 i;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8 |
		    p[i + 2];
		sb_addc(sb, al[v >> 18 & 63]);
		sb_addc(sb, al[v >> 12 & 63]);
		sb_addc(sb, al[v >> 6 & 63]);
		sb_addc(sb, al[v & 63]);
	}
	if (n - i == 1) {
		v = (unsigned long)p[i] << 16;
		sb_addc(sb, al[v >> 18 & 63]);
		sb_addc(sb, al[v >> 12 & 63]);
		if (a == B64_STD)
			sb_adds(sb, "==");
	} else if (n - i == 2) {
		v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8;
		sb_addc(sb, al[v >> 18 & 63]);
		sb_addc(sb, al[v >> 12 & 63]);
		sb_addc(sb, al[v >> 6 & 63]);
		if (a == B64_STD)
			sb_addc(sb, '=');
	}
}

char *
b64_encode(const void *p, size_t n, enum b64_alphabet a)
{
	struct strbuf	 sb = STRBUF_INIT;

	sb_init(&sb);
	b64_encode_to(&sb, p, n, a);
	return sb_detach(&sb);
}

/* The value of c in the alphabet whose characters 62 and 63 are c62/c63. */
static int
b64_val(int c, int c62, int c63)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == c62)
		return 62;
	if (c == c63)
		return 63;
	return -1;
}

static size_t
skip_newlines(const char *src, size_t len, size_t si)
{
	while (si < len && (src[si] == '\n' || src[si] == '\r'))
		si++;
	return si;
}

char *
b64_decode_std(const char *src, size_t len, size_t *outlen, size_t *bad)
{
	struct strbuf	 sb = STRBUF_INIT;
	size_t		 si = 0;
	int		 d[4], j, dlen;

	sb_init(&sb);
	for (;;) {
		dlen = 4;
		for (j = 0; j < 4; j++) {
			si = skip_newlines(src, len, si);
			if (si == len) {
				if (j == 0)
					goto done;
				*bad = si - (size_t)j;
				goto fail;
			}
			if (src[si] == '=') {
				si++;
				if (j < 2) {
					*bad = si - 1;
					goto fail;
				}
				if (j == 2) {
					si = skip_newlines(src, len, si);
					if (si == len) {
						*bad = len;
						goto fail;
					}
					if (src[si] != '=') {
						*bad = si - 1;
						goto fail;
					}
					si++;
				}
				si = skip_newlines(src, len, si);
				if (si < len) {
					*bad = si;
					goto fail;
				}
				dlen = j;
				break;
			}
			if ((d[j] = b64_val((unsigned char)src[si], '+',
			    '/')) < 0) {
				*bad = si;
				goto fail;
			}
			si++;
		}
		if (dlen >= 2)
			sb_addc(&sb, (d[0] << 2) | (d[1] >> 4));
		if (dlen >= 3)
			sb_addc(&sb, ((d[1] & 0xf) << 4) | (d[2] >> 2));
		if (dlen == 4)
			sb_addc(&sb, ((d[2] & 0x3) << 6) | d[3]);
		if (dlen < 4)
			break;
	}
done:
	*outlen = sb.len;
	return sb_detach(&sb);
fail:
	sb_free_secret(&sb);
	return NULL;
}

int
b64_decode_url_raw(const char *s, size_t len, struct strbuf *out)
{
	unsigned long	 v = 0;
	size_t		 i;
	int		 bits = 0, d;

	if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		if ((d = b64_val((unsigned char)s[i], '-', '_')) == -1)
			return -1;
		v = (v << 6 | (unsigned long)d) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			sb_addc(out, (int)((v >> bits) & 0xff));
		}
	}
	if (bits > 0 && (v & ((1UL << bits) - 1)) != 0)
		return -1;
	return 0;
}
