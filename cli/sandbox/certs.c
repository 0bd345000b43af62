/*
 * certs.c: the sandbox's own certificate authority and server certificate,
 * made with OpenSSL at first start.
 *
 * ca.crt/ca.key: a self-signed ECDSA P-256 CA (basicConstraints CA:TRUE,
 * keyCertSign), valid 10 years.  server.crt/server.key: an ECDSA P-256
 * certificate signed by that CA for the SANs 127.0.0.1, ::1 and localhost
 * (serverAuth), valid 2 years.  Keys are written 0600, certificates 0644,
 * each atomically.  sbx_certs_ensure() is idempotent: it keeps a usable
 * pair, remakes the server certificate when it is missing, unreadable,
 * expiring within a day or not signed by the CA, and remakes both when the
 * CA itself is missing or unusable.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "sandbox.h"

#define CA_DAYS		3650
#define SERVER_DAYS	730
#define RENEW_SECONDS	86400		/* remake when this close to expiry */
#define CA_NAME		"maasctl sandbox CA"
#define SERVER_NAME	"localhost"
#define SERVER_SANS	"IP:127.0.0.1,IP:::1,DNS:localhost"

/* The last OpenSSL error as text (static buffer), for error messages. */
static const char *
ssl_reason(void)
{
	static char	 buf[256];
	unsigned long	 code;

	if ((code = ERR_get_error()) == 0)
		return "unknown OpenSSL error";
	ERR_error_string_n(code, buf, sizeof buf);
	ERR_clear_error();
	return buf;
}

static EVP_PKEY *
read_key(const char *path)
{
	EVP_PKEY	*k = NULL;
	BIO		*b;

	if ((b = BIO_new_file(path, "r")) == NULL) {
		ERR_clear_error();
		return NULL;
	}
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	ERR_clear_error();
	return k;
}

static X509 *
read_cert(const char *path)
{
	X509	*x = NULL;
	BIO	*b;

	if ((b = BIO_new_file(path, "r")) == NULL) {
		ERR_clear_error();
		return NULL;
	}
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	ERR_clear_error();
	return x;
}

/* Is x valid now and for at least RENEW_SECONDS more? */
static int
cert_current(X509 *x)
{
	time_t	 soon = time(NULL) + RENEW_SECONDS;

	return X509_cmp_current_time(X509_get0_notBefore(x)) < 0 &&
	    X509_cmp_time(X509_get0_notAfter(x), &soon) > 0;
}

static EVP_PKEY *
new_key(struct err *e)
{
	EVP_PKEY	*k;

	if ((k = EVP_EC_gen("P-256")) == NULL)
		err_set(e, EXIT_ERR, "cannot generate a sandbox key: %s",
		    ssl_reason());
	return k;
}

static int
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 v3;
	X509_EXTENSION	*ext;
	int		 rc;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL)
		return -1;
	rc = X509_add_ext(x, ext, -1) == 1 ? 0 : -1;
	X509_EXTENSION_free(ext);
	return rc;
}

/* A certificate for key named cn, signed by (issuer, ikey), or self-signed
 * when issuer is NULL. */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey,
    int days, struct err *e)
{
	X509		*x;
	X509_NAME	*name;
	BIGNUM		*bn = NULL;
	int		 ca = issuer == NULL;

	if ((x = X509_new()) == NULL)
		goto fail;
	if (X509_set_version(x, 2) != 1)
		goto fail;
	/* A random positive 127-bit serial. */
	if ((bn = BN_new()) == NULL || BN_rand(bn, 127, BN_RAND_TOP_ANY,
	    BN_RAND_BOTTOM_ANY) != 1 ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto fail;
	if (X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400) ==
	    NULL)
		goto fail;
	if (X509_set_pubkey(x, key) != 1)
		goto fail;
	name = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	    (const unsigned char *)"maasctl", -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0) != 1)
		goto fail;
	if (X509_set_issuer_name(x, ca ? name :
	    X509_get_subject_name(issuer)) != 1)
		goto fail;
	if (ca) {
		if (add_ext(x, x, NID_basic_constraints,
		    "critical,CA:TRUE,pathlen:0") == -1 ||
		    add_ext(x, x, NID_key_usage,
		    "critical,keyCertSign,cRLSign,digitalSignature") == -1 ||
		    add_ext(x, x, NID_subject_key_identifier, "hash") == -1 ||
		    add_ext(x, x, NID_authority_key_identifier,
		    "keyid:always") == -1)
			goto fail;
	} else {
		if (add_ext(x, issuer, NID_basic_constraints,
		    "critical,CA:FALSE") == -1 ||
		    add_ext(x, issuer, NID_key_usage,
		    "critical,digitalSignature") == -1 ||
		    add_ext(x, issuer, NID_ext_key_usage, "serverAuth") == -1 ||
		    add_ext(x, issuer, NID_subject_alt_name, SERVER_SANS) ==
		    -1 ||
		    add_ext(x, issuer, NID_subject_key_identifier, "hash") ==
		    -1 ||
		    add_ext(x, issuer, NID_authority_key_identifier,
		    "keyid:always") == -1)
			goto fail;
	}
	if (X509_sign(x, ca ? key : ikey, EVP_sha256()) <= 0)
		goto fail;
	BN_free(bn);
	return x;
fail:
	err_set(e, EXIT_ERR, "cannot make the sandbox %s certificate: %s",
	    ca ? "CA" : "server", ssl_reason());
	BN_free(bn);
	X509_free(x);
	return NULL;
}

/* Encode a key (secret: wiped after use) or a certificate as PEM and
 * write it atomically with mode. */
static int
write_pem(const char *dir, const char *file, EVP_PKEY *key, X509 *x,
    int mode, struct err *e)
{
	BIO	*b;
	char	*data, *path;
	long	 len;
	int	 rc = -1, ok;

	if ((b = BIO_new(BIO_s_mem())) == NULL) {
		err_set(e, EXIT_ERR, "cannot encode %s: %s", file,
		    ssl_reason());
		return -1;
	}
	if (key != NULL)
		ok = PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL,
		    NULL) == 1;
	else
		ok = PEM_write_bio_X509(b, x) == 1;
	len = BIO_get_mem_data(b, &data);
	if (!ok || len <= 0) {
		err_set(e, EXIT_ERR, "cannot encode %s: %s", file,
		    ssl_reason());
	} else {
		path = sbx_path(dir, file);
		rc = sbx_write_file(path, data, (size_t)len, mode, e);
		free(path);
	}
	if (len > 0)
		explicit_bzero(data, (size_t)len);
	BIO_free(b);
	return rc;
}

/* Write key (0600) and certificate (0644); the key first, so a
 * certificate on disk always has its key beside it. */
static int
write_pair(const char *dir, const char *keyfile, EVP_PKEY *key,
    const char *certfile, X509 *x, struct err *e)
{
	if (write_pem(dir, keyfile, key, NULL, 0600, e) == -1)
		return -1;
	return write_pem(dir, certfile, NULL, x, 0644, e);
}

/* Does cert belong to key and, when issuer is set, is it signed by it? */
static int
pair_ok(X509 *x, EVP_PKEY *k, X509 *issuer, EVP_PKEY *ikey)
{
	int	 ok;

	if (x == NULL || k == NULL || !cert_current(x))
		return 0;
	ok = X509_check_private_key(x, k) == 1 &&
	    X509_verify(x, ikey) == 1 &&
	    (issuer == NULL || X509_check_issued(issuer, x) == X509_V_OK);
	ERR_clear_error();
	return ok;
}

/* Create ca.* and server.* in dir unless present and usable. */
int
sbx_certs_ensure(const char *dir, struct err *e)
{
	EVP_PKEY	*cakey = NULL, *skey = NULL;
	X509		*ca = NULL, *srv = NULL;
	char		*p;
	int		 rc = -1;

	if (sbx_mkdirs(dir, e) == -1)
		return -1;

	p = sbx_path(dir, SBX_CA_KEY);
	cakey = read_key(p);
	free(p);
	p = sbx_path(dir, SBX_CA_CERT);
	ca = read_cert(p);
	free(p);
	if (!pair_ok(ca, cakey, NULL, cakey) || X509_check_ca(ca) == 0) {
		EVP_PKEY_free(cakey);
		X509_free(ca);
		ca = NULL;
		if ((cakey = new_key(e)) == NULL)
			goto out;
		if ((ca = make_cert(cakey, CA_NAME, NULL, NULL, CA_DAYS,
		    e)) == NULL)
			goto out;
		if (write_pair(dir, SBX_CA_KEY, cakey, SBX_CA_CERT, ca, e) ==
		    -1)
			goto out;
	} else {
		p = sbx_path(dir, SBX_SERVER_KEY);
		skey = read_key(p);
		free(p);
		p = sbx_path(dir, SBX_SERVER_CERT);
		srv = read_cert(p);
		free(p);
		if (pair_ok(srv, skey, ca, cakey)) {
			rc = 0;
			goto out;
		}
		EVP_PKEY_free(skey);
		X509_free(srv);
		srv = NULL;
	}

	if ((skey = new_key(e)) == NULL)
		goto out;
	if ((srv = make_cert(skey, SERVER_NAME, ca, cakey, SERVER_DAYS, e)) ==
	    NULL)
		goto out;
	if (write_pair(dir, SBX_SERVER_KEY, skey, SBX_SERVER_CERT, srv, e) ==
	    -1)
		goto out;
	rc = 0;
out:
	ERR_clear_error();
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(skey);
	X509_free(ca);
	X509_free(srv);
	return rc;
}
