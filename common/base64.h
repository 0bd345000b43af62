/*
 * base64.h: RFC 4648 base64 in the two alphabets maasctl meets: the
 * standard one (Kubernetes Secret data, kubeconfig *-data fields) and the
 * URL-safe one without padding (JWT segments).
 */
#ifndef MAAS_BASE64_H
#define MAAS_BASE64_H

#include <stddef.h>

#include "xalloc.h"

enum b64_alphabet {
	B64_STD,		/* A-Z a-z 0-9 + /, padded with '=' */
	B64_URL_RAW		/* A-Z a-z 0-9 - _, no padding */
};

/* Append the encoding of p[0..n) to sb. */
void	 b64_encode_to(struct strbuf *sb, const void *p, size_t n,
	    enum b64_alphabet);
/* The encoding of p[0..n) as a new string; caller frees. */
char	*b64_encode(const void *p, size_t n, enum b64_alphabet);
/*
 * Decode standard padded base64 as Go's StdEncoding does (CR and LF are
 * skipped); a NUL-terminated buffer of *outlen bytes, or NULL with *bad
 * set to the byte offset Go reports in "illegal base64 data at input byte
 * N". The buffer is wiped when freed on error.
 */
char	*b64_decode_std(const char *src, size_t len, size_t *outlen,
	    size_t *bad);
/* Decode unpadded base64url strictly (canonical: unused bits zero) onto
 * out; 0, or -1 on a bad character or length. */
int	 b64_decode_url_raw(const char *src, size_t len, struct strbuf *out);

#endif
