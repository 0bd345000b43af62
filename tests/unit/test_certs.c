/*
 * test_certs.c: the sandbox CA and server certificate (cli/sandbox/certs.c):
 * files and modes, the chain, SANs, extensions, idempotence and repair.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tap.h"
#include "sandbox/sandbox.h"

static char	 tmpl[] = "/tmp/maasctl-test-certs.XXXXXX";
static char	*root;

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(p);
}

static char *
slurp(const char *dir, const char *file)
{
	char	*p = sbx_path(dir, file), *s;

	s = sbx_read_file(p, NULL, NULL);
	free(p);
	return s;
}

static X509 *
load_cert(const char *dir, const char *file)
{
	char	*p = sbx_path(dir, file);
	FILE	*f = fopen(p, "r");
	X509	*x = NULL;

	free(p);
	if (f == NULL)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

static int
mode_of(const char *dir, const char *file)
{
	struct stat	 st;
	char		*p = sbx_path(dir, file);
	int		 m = -1;

	if (stat(p, &st) == 0)
		m = (int)(st.st_mode & 0777);
	free(p);
	return m;
}

static int
chain_ok(X509 *ca, X509 *srv)
{
	X509_STORE	*st = X509_STORE_new();
	X509_STORE_CTX	*ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *vp;
	int		 ok;

	X509_STORE_add_cert(st, ca);
	X509_STORE_CTX_init(ctx, st, srv, NULL);
	vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_purpose(vp, X509_PURPOSE_SSL_SERVER);
	X509_VERIFY_PARAM_set1_host(vp, "localhost", 0);
	ok = X509_verify_cert(ctx) == 1;
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return ok;
}

static int
tmp_files_left(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*de;
	int		 n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, ".tmp.") != NULL)
			n++;
	closedir(d);
	return n;
}

TEST(create)
{
	struct err	 e = ERR_INIT;
	char		*dir = xasprintf("%s/deep/state", root);
	X509		*ca, *srv;
	EVP_PKEY	*pk;

	ok(sbx_certs_ensure(dir, &e) == 0, "ensure succeeds (%s)",
	    e.msg ? e.msg : "");
	is_int(mode_of(dir, NULL), 0700, "state dir is 0700");
	is_int(mode_of(dir, SBX_CA_KEY), 0600, "ca.key is 0600");
	is_int(mode_of(dir, SBX_SERVER_KEY), 0600, "server.key is 0600");
	is_int(mode_of(dir, SBX_CA_CERT), 0644, "ca.crt is 0644");
	is_int(mode_of(dir, SBX_SERVER_CERT), 0644, "server.crt is 0644");
	is_int(tmp_files_left(dir), 0, "no temporary files left");

	ca = load_cert(dir, SBX_CA_CERT);
	srv = load_cert(dir, SBX_SERVER_CERT);
	ok(ca != NULL && srv != NULL, "certificates parse");
	ok(ca != NULL && X509_check_ca(ca) >= 1, "CA is a CA");
	ok(srv != NULL && X509_check_ca(srv) == 0, "server is not a CA");
	ok(ca && srv && chain_ok(ca, srv),
	    "server chains to the CA for localhost (serverAuth)");
	ok(srv && X509_check_host(srv, "localhost", 0, 0, NULL) == 1,
	    "SAN localhost");
	ok(srv && X509_check_ip_asc(srv, "127.0.0.1", 0) == 1,
	    "SAN 127.0.0.1");
	ok(srv && X509_check_ip_asc(srv, "::1", 0) == 1, "SAN ::1");
	ok(srv && X509_check_ip_asc(srv, "10.0.0.1", 0) != 1,
	    "no other IP");
	ok(srv && X509_check_host(srv, "example.com", 0, 0, NULL) != 1,
	    "no other host");
	pk = srv ? X509_get0_pubkey(srv) : NULL;
	ok(pk != NULL && EVP_PKEY_is_a(pk, "EC"), "server key is EC");
	ok(srv && X509_cmp_timeframe(NULL, X509_get0_notBefore(srv),
	    X509_get0_notAfter(srv)) == 0, "server certificate is current");
	X509_free(ca);
	X509_free(srv);
	err_clear(&e);
	free(dir);
}

TEST(idempotent)
{
	struct err	 e = ERR_INIT;
	char		*dir = xasprintf("%s/idem", root);
	char		*ca1, *srv1, *key1, *ca2, *srv2, *key2;

	ok(sbx_certs_ensure(dir, &e) == 0, "first ensure");
	ca1 = slurp(dir, SBX_CA_CERT);
	srv1 = slurp(dir, SBX_SERVER_CERT);
	key1 = slurp(dir, SBX_SERVER_KEY);
	ok(sbx_certs_ensure(dir, &e) == 0, "second ensure");
	ca2 = slurp(dir, SBX_CA_CERT);
	srv2 = slurp(dir, SBX_SERVER_CERT);
	key2 = slurp(dir, SBX_SERVER_KEY);
	ok(ca1 && ca2 && strcmp(ca1, ca2) == 0, "CA unchanged");
	ok(srv1 && srv2 && strcmp(srv1, srv2) == 0,
	    "server certificate unchanged");
	ok(key1 && key2 && strcmp(key1, key2) == 0, "server key unchanged");
	free(srv2);
	free(key2);
	key2 = NULL;

	/* Server certificate lost: remade under the same CA. */
	{
		char	*p = sbx_path(dir, SBX_SERVER_CERT);

		unlink(p);
		free(p);
	}
	ok(sbx_certs_ensure(dir, &e) == 0, "ensure after losing server.crt");
	free(ca2);
	ca2 = slurp(dir, SBX_CA_CERT);
	srv2 = slurp(dir, SBX_SERVER_CERT);
	ok(ca2 && strcmp(ca1, ca2) == 0, "CA kept");
	ok(srv2 && strcmp(srv1, srv2) != 0, "server certificate remade");
	{
		X509	*ca = load_cert(dir, SBX_CA_CERT);
		X509	*srv = load_cert(dir, SBX_SERVER_CERT);

		ok(ca && srv && chain_ok(ca, srv), "new one chains to the CA");
		X509_free(ca);
		X509_free(srv);
	}
	free(srv2);

	/* Server key replaced by garbage: remade. */
	{
		char	*p = sbx_path(dir, SBX_SERVER_KEY);

		ok(sbx_write_file(p, "junk\n", 5, 0600, NULL) == 0, "junk key");
		free(p);
	}
	ok(sbx_certs_ensure(dir, &e) == 0, "ensure after a corrupt key");
	free(key2);
	key2 = slurp(dir, SBX_SERVER_KEY);
	ok(key2 && strstr(key2, "PRIVATE KEY") != NULL, "key remade");

	/* CA key lost: both remade. */
	{
		char	*p = sbx_path(dir, SBX_CA_KEY);

		unlink(p);
		free(p);
	}
	ok(sbx_certs_ensure(dir, &e) == 0, "ensure after losing ca.key");
	free(ca2);
	ca2 = slurp(dir, SBX_CA_CERT);
	ok(ca2 && strcmp(ca1, ca2) != 0, "CA remade");
	{
		X509	*ca = load_cert(dir, SBX_CA_CERT);
		X509	*srv = load_cert(dir, SBX_SERVER_CERT);

		ok(ca && srv && chain_ok(ca, srv),
		    "server certificate reissued by the new CA");
		X509_free(ca);
		X509_free(srv);
	}
	is_int(mode_of(dir, SBX_CA_KEY), 0600, "new ca.key is 0600");
	is_int(tmp_files_left(dir), 0, "no temporary files left");
	free(ca1);
	free(srv1);
	free(key1);
	free(ca2);
	free(key2);
	err_clear(&e);
	free(dir);
}

TEST(errors)
{
	struct err	 e = ERR_INIT;
	char		*file = xasprintf("%s/plainfile", root), *dir;

	ok(sbx_write_file(file, "x", 1, 0644, NULL) == 0, "make a file");
	ok(sbx_certs_ensure(file, &e) == -1, "a file as state dir fails");
	ok(e.msg != NULL && strstr(e.msg, file) != NULL,
	    "error names the path");
	dir = xasprintf("%s/sub", file);
	ok(sbx_certs_ensure(dir, &e) == -1, "a dir under a file fails");
	ok(e.msg != NULL && strstr(e.msg, "Not a directory") != NULL,
	    "error says why (%s)", e.msg ? e.msg : "");
	free(dir);
	free(file);
	err_clear(&e);
}

int
main(void)
{
	if ((root = mkdtemp(tmpl)) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(create);
	RUN(idempotent);
	RUN(errors);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
