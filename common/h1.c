/*
 * h1.c: the native HTTP/1.1 transport behind http_do(): URL parsing,
 * getaddrinfo and a non-blocking connect with a timeout, TLS over OpenSSL
 * (CA file or PEM data, default CA paths, SNI and verification against
 * the host or tls-server-name, --insecure, client certificate and key
 * from files or PEM data), the request with a Content-Length body, the
 * status line and headers, Content-Length, chunked and close-delimited
 * bodies handed over as they arrive, and keep-alive: a connection whose
 * response ended cleanly is kept (a few per process, keyed by host, port
 * and TLS settings) for the next request to the same place.
 *
 * Failure texts follow libcurl's, which callers and tests know: "Could
 * not resolve host: H", "SSL certificate problem: ...", "SSL: no
 * alternative certificate subject name matches target host name 'H'",
 * "Operation timed out after N milliseconds with N bytes received",
 * "Empty reply from server", "transfer closed with N bytes remaining to
 * read".  The -v 7 and -v 9 traces (request and response headers, TLS
 * details) go through term_log, which redacts them.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "clock.h"
#include "http_xfer.h"
#include "term.h"

#define H1_BUF		16384		/* first receive buffer */
#define H1_MAX_LINE	(100 * 1024)	/* longest header line (as libcurl) */
#define H1_MAX_HEADERS	(300 * 1024)	/* all header bytes of a response */
#define H1_POOL		4		/* idle connections kept */

/* One connection, plain or TLS, with its receive buffer. */
struct h1_conn {
	int		 fd;
	SSL_CTX		*ctx;
	SSL		*ssl;
	char		*key;		/* what it may be reused for */
	char		*buf;		/* received, not yet consumed */
	size_t		 cap, pos, len;
	int		 reused;	/* taken from the pool */
};

/* Per-attempt receive state. */
struct h1_io {
	struct http_xfer *x;
	struct h1_conn	*c;
	double		 deadline;	/* monotonic seconds, 0: none */
	double		 start;
	size_t		 received;	/* bytes read from the socket */
};

static pthread_mutex_t	 h1_lock = PTHREAD_MUTEX_INITIALIZER;
static struct h1_conn	*h1_pool[H1_POOL];
static pthread_once_t	 h1_ssl_once = PTHREAD_ONCE_INIT;
static pthread_once_t	 h1_strings_once = PTHREAD_ONCE_INIT;

/* --- URLs ------------------------------------------------------------- */

void
http_url_free(struct http_url *u)
{
	free(u->host);
	free(u->hostport);
	free(u->authority);
	free(u->target);
	memset(u, 0, sizeof *u);
}

/* Characters no host name may hold (libcurl's list, roughly). */
static int
bad_host_char(int ch)
{
	return ch <= ' ' || ch >= 0x7f || strchr("<>\"{}|\\^`%@/?#[]", ch)
	    != NULL;
}

int
http_url_parse(const char *url, struct http_url *u, const char **why)
{
	const char	*p, *auth, *end, *at, *h, *he, *pp;
	char		 v6[64];
	struct in6_addr	 a6;
	unsigned long	 port;
	char		*q;
	size_t		 i;

	memset(u, 0, sizeof *u);
	for (i = 0; url[i] != '\0'; i++) {
		if ((unsigned char)url[i] <= ' ' || url[i] == 0x7f) {
			*why = "Malformed input to a URL function";
			return -1;
		}
	}
	if (strncasecmp(url, "http://", 7) == 0) {
		p = url + 7;
	} else if (strncasecmp(url, "https://", 8) == 0) {
		p = url + 8;
		u->tls = 1;
	} else {
		*why = strstr(url, "://") != NULL ? "Unsupported URL scheme" :
		    "Bad scheme";
		return -1;
	}
	auth = p;
	end = auth + strcspn(auth, "/?#");
	at = NULL;
	for (h = auth; h < end; h++) {
		if (*h == '@')
			at = h;
	}
	if (at != NULL) {
		u->userinfo = 1;
		auth = at + 1;
	}
	pp = NULL;
	if (*auth == '[') {
		he = memchr(auth, ']', (size_t)(end - auth));
		if (he == NULL || (size_t)(he - auth - 1) >= sizeof v6) {
			*why = "Bad IPv6 address";
			return -1;
		}
		memcpy(v6, auth + 1, (size_t)(he - auth - 1));
		v6[he - auth - 1] = '\0';
		if (inet_pton(AF_INET6, v6, &a6) != 1) {
			*why = "Bad IPv6 address";
			return -1;
		}
		u->host = xstrdup(v6);
		if (he + 1 < end) {
			if (he[1] != ':') {
				*why = "Bad IPv6 address";
				goto fail;
			}
			pp = he + 2;
		}
	} else {
		he = memchr(auth, ':', (size_t)(end - auth));
		if (he == NULL)
			he = end;
		for (h = auth; h < he; h++) {
			if (bad_host_char((unsigned char)*h)) {
				*why = "Bad hostname";
				return -1;
			}
		}
		if (he == auth) {
			*why = "No host part in the URL";
			return -1;
		}
		u->host = xstrndup(auth, (size_t)(he - auth));
		if (he < end)
			pp = he + 1;
	}
	u->port = u->tls ? 443 : 80;
	if (pp != NULL && pp < end) {
		port = 0;
		for (h = pp; h < end; h++) {
			if (*h < '0' || *h > '9' || h - pp >= 5) {
				*why = "Port number was not a decimal number "
				    "between 0 and 65535";
				goto fail;
			}
			port = port * 10 + (unsigned long)(*h - '0');
		}
		if (port > 65535) {
			*why = "Port number was not a decimal number between 0 "
			    "and 65535";
			goto fail;
		}
		u->port = (int)port;
	}
	if (strchr(u->host, ':') != NULL) {
		u->hostport = xasprintf("[%s]:%d", u->host, u->port);
		u->authority = u->port == (u->tls ? 443 : 80) ?
		    xasprintf("[%s]", u->host) : xstrdup(u->hostport);
	} else {
		u->hostport = xasprintf("%s:%d", u->host, u->port);
		u->authority = u->port == (u->tls ? 443 : 80) ?
		    xstrdup(u->host) : xstrdup(u->hostport);
	}
	/* Path and query, without the fragment. */
	he = end + strcspn(end, "#");
	if (end == he || *end == '?')
		u->target = xasprintf("/%.*s", (int)(he - end), end);
	else
		u->target = xstrndup(end, (size_t)(he - end));
	for (q = u->target; *q != '\0'; q++) {
		if ((unsigned char)*q >= 0x80) {
			*why = "Malformed input to a URL function";
			goto fail;
		}
	}
	return 0;
fail:
	http_url_free(u);
	return -1;
}

/* --- connections and the pool ------------------------------------------ */

static void
conn_free(struct h1_conn *c)
{
	if (c == NULL)
		return;
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	if (c->ctx != NULL)
		SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	free(c->key);
	free(c->buf);
	free(c);
}

void
h1_close_idle(void)
{
	int	 i;

	pthread_mutex_lock(&h1_lock);
	for (i = 0; i < H1_POOL; i++) {
		conn_free(h1_pool[i]);
		h1_pool[i] = NULL;
	}
	pthread_mutex_unlock(&h1_lock);
}

static void
close_idle_at_exit(void)
{
	h1_close_idle();
}

/* A connection for key from the pool, still open, or NULL. */
static struct h1_conn *
pool_take(const char *key)
{
	struct h1_conn	*c = NULL;
	struct pollfd	 pfd;
	char		 b;
	int		 i;

	pthread_mutex_lock(&h1_lock);
	for (i = 0; i < H1_POOL; i++) {
		if (h1_pool[i] != NULL && strcmp(h1_pool[i]->key, key) == 0) {
			c = h1_pool[i];
			h1_pool[i] = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&h1_lock);
	if (c == NULL)
		return NULL;
	/* An idle connection that is readable was closed by the server. */
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) != 0 && (pfd.revents != 0 ||
	    recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) >= 0)) {
		conn_free(c);
		return NULL;
	}
	c->reused = 1;
	return c;
}

static void
pool_put(struct h1_conn *c)
{
	static int	 registered;
	int		 i, slot = -1;

	pthread_mutex_lock(&h1_lock);
	if (!registered) {
		atexit(close_idle_at_exit);
		registered = 1;
	}
	for (i = 0; i < H1_POOL && slot < 0; i++) {
		if (h1_pool[i] == NULL)
			slot = i;
	}
	if (slot < 0) {
		conn_free(h1_pool[0]);
		memmove(h1_pool, h1_pool + 1, (H1_POOL - 1) * sizeof *h1_pool);
		slot = H1_POOL - 1;
	}
	c->pos = c->len = 0;
	h1_pool[slot] = c;
	pthread_mutex_unlock(&h1_lock);
}

/* FNV-1a of a PEM blob, so keys name in-memory material without it. */
static unsigned long long
fnv(const char *s, size_t n)
{
	unsigned long long h = 1469598103934665603ULL;
	size_t		 i;

	if (s == NULL)
		return 0;
	if (n == 0)
		n = strlen(s);
	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static char *
conn_key(const struct http_xfer *x)
{
	const struct http_tls *t = &x->cl->tls;

	if (!x->url->tls)
		return xasprintf("http %s", x->url->hostport);
	return xasprintf("https %s|%s|%d|%s|%s|%s|%llx|%llx|%llx",
	    x->url->hostport, t->server_name ? t->server_name : "",
	    t->insecure, t->ca_file ? t->ca_file : "",
	    t->cert_file ? t->cert_file : "", t->key_file ? t->key_file : "",
	    fnv(t->ca_data, t->ca_data_len), fnv(t->cert_data, t->cert_data_len),
	    fnv(t->key_data, t->key_data_len));
}

/* --- waiting ---------------------------------------------------------- */

/*
 * Wait until fd is ready for events: 0 ready, -1 timed out, -2 cancelled
 * (the request's cancel flag), -3 poll failed.
 */
static int
wait_fd(struct h1_io *io, int fd, short events, double deadline)
{
	struct pollfd	 pfd;
	volatile sig_atomic_t *cancel = io->x->req->cancel;
	double		 left;
	int		 ms, n;

	for (;;) {
		if (cancel != NULL && *cancel)
			return -2;
		ms = -1;
		if (deadline > 0) {
			left = deadline - clock_mono_s();
			if (left <= 0)
				return -1;
			ms = (int)(left * 1000) + 1;
		}
		if (cancel != NULL && (ms < 0 || ms > 200))
			ms = 200;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, ms);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -3;
	}
}

static long
ms_since(double t)
{
	return (long)((clock_mono_s() - t) * 1000 + 0.5);
}

/* Fail for a timeout in the transfer phase (libcurl's wording). */
static int
fail_timeout(struct h1_io *io)
{
	http_xfer_fail(io->x, HTTP_FAIL_TIMEOUT, "Operation timed out after "
	    "%ld milliseconds with %zu bytes received", ms_since(io->start),
	    io->received);
	return -1;
}

static int
fail_wait(struct h1_io *io, int w)
{
	if (w == -1)
		return fail_timeout(io);
	if (w == -2) {
		io->x->stopped = 1;
		return -2;
	}
	http_xfer_fail(io->x, HTTP_FAIL_OTHER, "poll: %s", strerror(errno));
	return -1;
}

/* --- TLS ---------------------------------------------------------------- */

/*
 * OpenSSL without its configuration file (openssl.cnf), as kubectl and
 * client-go ignore it too: the TLS settings are the ones set here (TLS
 * 1.2 and up, security level 2 as Debian's configuration sets it).
 * Error strings are loaded only when an error is to be described.
 */
static void
ssl_init_once(void)
{
	OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG |
	    OPENSSL_INIT_NO_LOAD_SSL_STRINGS, NULL);
}

static void
ssl_strings_once(void)
{
	OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS |
	    OPENSSL_INIT_LOAD_CRYPTO_STRINGS, NULL);
}

/* The first queued OpenSSL error as text ("unknown" when none). */
static void
ssl_errtext(char *buf, size_t len)
{
	unsigned long	 e = ERR_peek_last_error();
	const char	*r;

	pthread_once(&h1_strings_once, ssl_strings_once);

	if (e == 0) {
		snprintf(buf, len, "unknown error");
		return;
	}
	r = ERR_reason_error_string(e);
	if (r != NULL)
		snprintf(buf, len, "%s", r);
	else
		ERR_error_string_n(e, buf, len);
}

/* Add every certificate of a PEM bundle in memory to the store. */
static int
store_add_pem(X509_STORE *st, const char *data, size_t len)
{
	STACK_OF(X509_INFO) *infos;
	X509_INFO	*inf;
	BIO		*bio;
	int		 i, n = 0;

	bio = BIO_new_mem_buf(data, (int)(len ? len : strlen(data)));
	if (bio == NULL)
		return -1;
	infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (infos == NULL)
		return -1;
	for (i = 0; i < sk_X509_INFO_num(infos); i++) {
		inf = sk_X509_INFO_value(infos, i);
		if (inf->x509 != NULL && X509_STORE_add_cert(st, inf->x509) == 1)
			n++;
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	return n > 0 ? 0 : -1;
}

/* The client certificate (and chain) from PEM in memory. */
static int
use_cert_data(SSL_CTX *ctx, const char *data, size_t len)
{
	BIO		*bio;
	X509		*x, *ca;
	int		 ok = 0;

	bio = BIO_new_mem_buf(data, (int)(len ? len : strlen(data)));
	if (bio == NULL)
		return -1;
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (x != NULL && SSL_CTX_use_certificate(ctx, x) == 1) {
		ok = 1;
		while ((ca = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
			if (SSL_CTX_add_extra_chain_cert(ctx, ca) != 1) {
				X509_free(ca);
				break;
			}
		}
		ERR_clear_error();	/* the end of the PEM stream */
	}
	X509_free(x);
	BIO_free(bio);
	return ok ? 0 : -1;
}

static int
use_key_data(SSL_CTX *ctx, const char *data, size_t len)
{
	BIO		*bio;
	EVP_PKEY	*k;
	int		 r = -1;

	bio = BIO_new_mem_buf(data, (int)(len ? len : strlen(data)));
	if (bio == NULL)
		return -1;
	k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (k != NULL && SSL_CTX_use_PrivateKey(ctx, k) == 1)
		r = 0;
	EVP_PKEY_free(k);
	BIO_free(bio);
	return r;
}

static int
is_ip(const char *h)
{
	unsigned char	 b[16];

	return inet_pton(AF_INET, h, b) == 1 || inet_pton(AF_INET6, h, b) == 1;
}

/* The TLS context for the client's settings; NULL with the reason set. */
static SSL_CTX *
tls_context(struct http_xfer *x)
{
	const struct http_tls *t = &x->cl->tls;
	SSL_CTX		*ctx;
	char		 why[256];

	pthread_once(&h1_ssl_once, ssl_init_once);
	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		ssl_errtext(why, sizeof why);
		http_xfer_fail(x, HTTP_FAIL_TLS, "cannot create a TLS context: "
		    "%s", why);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_security_level(ctx, 2);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (t->insecure) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		if (t->ca_file != NULL &&
		    SSL_CTX_load_verify_locations(ctx, t->ca_file, NULL) != 1) {
			ssl_errtext(why, sizeof why);
			http_xfer_fail(x, HTTP_FAIL_TLS, "error setting "
			    "certificate file: %s (%s)", t->ca_file, why);
			goto fail;
		}
		if (t->ca_data != NULL && store_add_pem(SSL_CTX_get_cert_store(
		    ctx), t->ca_data, t->ca_data_len) != 0) {
			http_xfer_fail(x, HTTP_FAIL_TLS, "error adding the CA "
			    "certificate data: no PEM certificate in it");
			goto fail;
		}
		if (t->ca_file == NULL && t->ca_data == NULL &&
		    SSL_CTX_set_default_verify_paths(ctx) != 1) {
			ssl_errtext(why, sizeof why);
			http_xfer_fail(x, HTTP_FAIL_TLS, "cannot load the "
			    "system CA certificates: %s", why);
			goto fail;
		}
	}
	if (t->cert_file != NULL &&
	    SSL_CTX_use_certificate_chain_file(ctx, t->cert_file) != 1) {
		ssl_errtext(why, sizeof why);
		http_xfer_fail(x, HTTP_FAIL_TLS, "could not load PEM client "
		    "certificate from %s, OpenSSL error %s, (no key found, "
		    "wrong pass phrase, or wrong file format?)", t->cert_file,
		    why);
		goto fail;
	}
	if (t->cert_data != NULL &&
	    use_cert_data(ctx, t->cert_data, t->cert_data_len) != 0) {
		ssl_errtext(why, sizeof why);
		http_xfer_fail(x, HTTP_FAIL_TLS, "could not load the PEM client "
		    "certificate data: %s", why);
		goto fail;
	}
	if (t->key_file != NULL && SSL_CTX_use_PrivateKey_file(ctx,
	    t->key_file, SSL_FILETYPE_PEM) != 1) {
		ssl_errtext(why, sizeof why);
		http_xfer_fail(x, HTTP_FAIL_TLS, "unable to set private key "
		    "file: '%s' type PEM (%s)", t->key_file, why);
		goto fail;
	}
	if (t->key_data != NULL &&
	    use_key_data(ctx, t->key_data, t->key_data_len) != 0) {
		ssl_errtext(why, sizeof why);
		http_xfer_fail(x, HTTP_FAIL_TLS, "unable to set the private "
		    "key from data: %s", why);
		goto fail;
	}
	if ((t->key_file != NULL || t->key_data != NULL) &&
	    (t->cert_file != NULL || t->cert_data != NULL) &&
	    SSL_CTX_check_private_key(ctx) != 1) {
		http_xfer_fail(x, HTTP_FAIL_TLS, "Private key does not match "
		    "the certificate public key");
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static void
trace_tls(SSL *ssl)
{
	X509		*peer;
	char		 name[256];

	if (!term_enabled(TERM_LOG_FULL))
		return;
	term_log(TERM_LOG_HEADERS, "* SSL connection using %s / %s",
	    SSL_get_version(ssl), SSL_get_cipher_name(ssl));
	peer = SSL_get1_peer_certificate(ssl);
	if (peer == NULL)
		return;
	X509_NAME_oneline(X509_get_subject_name(peer), name, sizeof name);
	term_log(TERM_LOG_HEADERS, "*  subject: %s", name);
	X509_NAME_oneline(X509_get_issuer_name(peer), name, sizeof name);
	term_log(TERM_LOG_HEADERS, "*  issuer: %s", name);
	X509_free(peer);
}

/* Handshake on a connected socket; deadline is the connect deadline. */
static int
tls_handshake(struct h1_io *io, double deadline)
{
	struct http_xfer *x = io->x;
	const struct http_tls *t = &x->cl->tls;
	struct h1_conn	*c = io->c;
	const char	*name;
	X509_VERIFY_PARAM *vp;
	long		 vr;
	char		 why[256];
	int		 r, err, w;

	c->ctx = tls_context(x);
	if (c->ctx == NULL)
		return -1;
	c->ssl = SSL_new(c->ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		http_xfer_fail(x, HTTP_FAIL_TLS, "cannot set up TLS");
		return -1;
	}
	/* One read(2) for a record's header and body, not one for each:
	 * SSL_read is always tried before waiting, so bytes OpenSSL holds
	 * are never waited for. */
	SSL_set_read_ahead(c->ssl, 1);
	name = t->server_name != NULL && *t->server_name != '\0' ?
	    t->server_name : x->url->host;
	if (!is_ip(name))
		SSL_set_tlsext_host_name(c->ssl, name);
	if (!t->insecure) {
		vp = SSL_get0_param(c->ssl);
		X509_VERIFY_PARAM_set_hostflags(vp,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (is_ip(name))
			X509_VERIFY_PARAM_set1_ip_asc(vp, name);
		else
			X509_VERIFY_PARAM_set1_host(vp, name, 0);
	}
	for (;;) {
		ERR_clear_error();
		r = SSL_connect(c->ssl);
		if (r == 1)
			break;
		err = SSL_get_error(c->ssl, r);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
			w = wait_fd(io, c->fd, err == SSL_ERROR_WANT_READ ?
			    POLLIN : POLLOUT, deadline);
			if (w == -1) {
				http_xfer_fail(x, HTTP_FAIL_TIMEOUT, "SSL "
				    "connection timeout");
				return -1;
			}
			if (w != 0)
				return fail_wait(io, w);
			continue;
		}
		vr = SSL_get_verify_result(c->ssl);
		if (vr == X509_V_ERR_HOSTNAME_MISMATCH ||
		    vr == X509_V_ERR_IP_ADDRESS_MISMATCH)
			http_xfer_fail(x, HTTP_FAIL_TLS, "SSL: no alternative "
			    "certificate subject name matches target host "
			    "name '%s'", name);
		else if (vr != X509_V_OK)
			http_xfer_fail(x, HTTP_FAIL_TLS, "SSL certificate "
			    "problem: %s", X509_verify_cert_error_string(vr));
		else if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
			http_xfer_fail(x, HTTP_FAIL_TLS, "OpenSSL SSL_connect: "
			    "%s in connection to %s", errno != 0 ?
			    strerror(errno) : "Connection reset by peer",
			    x->url->hostport);
		else {
			ssl_errtext(why, sizeof why);
			http_xfer_fail(x, HTTP_FAIL_TLS, "OpenSSL SSL_connect: "
			    "%s in connection to %s", why, x->url->hostport);
		}
		return -1;
	}
	trace_tls(c->ssl);
	return 0;
}

/* --- connecting ----------------------------------------------------------- */

static int
connect_one(struct h1_io *io, const struct addrinfo *ai, double deadline,
    int *oserr)
{
	int		 fd, one = 1, w;
	int		 so = 0;
	socklen_t	 sl = sizeof so;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0) {
		*oserr = errno;
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		*oserr = errno;
		close(fd);
		return -1;
	}
	w = wait_fd(io, fd, POLLOUT, deadline);
	if (w != 0) {
		close(fd);
		*oserr = w == -1 ? ETIMEDOUT : w == -2 ? ECANCELED : errno;
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) != 0 || so != 0) {
		*oserr = so ? so : errno;
		close(fd);
		return -1;
	}
	return fd;
}

/* A new connection (TCP, then TLS for https). */
static struct h1_conn *
conn_open(struct h1_io *io, const char *key)
{
	struct http_xfer *x = io->x;
	struct addrinfo	 hints, *res = NULL, *ai;
	struct h1_conn	*c;
	char		 port[8];
	double		 t0 = clock_mono_s(), deadline;
	int		 rc, oserr = 0;

	deadline = t0 + x->connect_timeout;
	if (io->deadline > 0 && io->deadline < deadline)
		deadline = io->deadline;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG | (is_ip(x->url->host) ?
	    AI_NUMERICHOST : 0);
	snprintf(port, sizeof port, "%d", x->url->port);
	rc = getaddrinfo(x->url->host, port, &hints, &res);
	if (rc != 0) {
		if (rc == EAI_SYSTEM)
			http_xfer_fail(x, HTTP_FAIL_DNS, "Could not resolve "
			    "host: %s (%s)", x->url->host, strerror(errno));
		else
			http_xfer_fail(x, HTTP_FAIL_DNS, "Could not resolve "
			    "host: %s", x->url->host);
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	c->fd = -1;
	c->key = xstrdup(key);
	c->cap = H1_BUF;
	c->buf = xmalloc(c->cap);
	io->c = c;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (term_enabled(TERM_LOG_FULL)) {
			char	 a[INET6_ADDRSTRLEN] = "?";

			if (ai->ai_family == AF_INET)
				inet_ntop(AF_INET, &((struct sockaddr_in *)
				    (void *)ai->ai_addr)->sin_addr, a, sizeof a);
			else if (ai->ai_family == AF_INET6)
				inet_ntop(AF_INET6, &((struct sockaddr_in6 *)
				    (void *)ai->ai_addr)->sin6_addr, a, sizeof a);
			term_log(TERM_LOG_HEADERS, "*   Trying %s:%d...", a,
			    x->url->port);
		}
		c->fd = connect_one(io, ai, deadline, &oserr);
		if (c->fd >= 0 || oserr == ETIMEDOUT || oserr == ECANCELED)
			break;
	}
	freeaddrinfo(res);
	if (c->fd < 0) {
		if (oserr == ECANCELED) {
			x->stopped = 1;
		} else if (oserr == ETIMEDOUT) {
			http_xfer_fail(x, HTTP_FAIL_TIMEOUT, "Connection timed "
			    "out after %ld milliseconds", ms_since(t0));
		} else {
			http_xfer_fail(x, oserr == ECONNREFUSED ?
			    HTTP_FAIL_REFUSED : HTTP_FAIL_OTHER, "Failed to "
			    "connect to %s port %d after %ld ms: %s",
			    x->url->host, x->url->port, ms_since(t0),
			    strerror(oserr));
		}
		goto fail;
	}
	term_log(TERM_LOG_FULL, "* Connected to %s port %d", x->url->host,
	    x->url->port);
	if (x->url->tls && tls_handshake(io, deadline) != 0)
		goto fail;
	return c;
fail:
	conn_free(c);
	io->c = NULL;
	return NULL;
}

/* --- reading and writing ----------------------------------------- */

/*
 * Send all of buf: 0, or -1 (failure recorded), -2 cancelled.
 */
static int
conn_send(struct h1_io *io, const char *buf, size_t len)
{
	struct h1_conn	*c = io->c;
	ssize_t		 n;
	size_t		 done = 0;
	int		 r, err, w;
	char		 why[256];

	while (done < len) {
		if (c->ssl != NULL) {
			ERR_clear_error();
			r = SSL_write(c->ssl, buf + done, (int)(len - done));
			if (r > 0) {
				done += (size_t)r;
				io->x->sent = 1;
				continue;
			}
			err = SSL_get_error(c->ssl, r);
			if (err == SSL_ERROR_WANT_WRITE ||
			    err == SSL_ERROR_WANT_READ) {
				w = wait_fd(io, c->fd, err == SSL_ERROR_WANT_READ
				    ? POLLIN : POLLOUT, io->deadline);
				if (w != 0)
					return fail_wait(io, w);
				continue;
			}
			if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
				snprintf(why, sizeof why, "%s", errno ?
				    strerror(errno) : "connection closed");
			else
				ssl_errtext(why, sizeof why);
			http_xfer_fail(io->x, HTTP_FAIL_OTHER, "Send failure: "
			    "%s", why);
			return -1;
		}
		n = send(c->fd, buf + done, len - done, MSG_NOSIGNAL);
		if (n > 0) {
			done += (size_t)n;
			io->x->sent = 1;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			w = wait_fd(io, c->fd, POLLOUT, io->deadline);
			if (w != 0)
				return fail_wait(io, w);
			continue;
		}
		http_xfer_fail(io->x, HTTP_FAIL_OTHER, "Send failure: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Read more bytes into the connection's buffer: >0 bytes read, 0 at the
 * end of the stream, -1 failure (recorded), -2 cancelled.
 */
static int
conn_fill(struct h1_io *io)
{
	struct h1_conn	*c = io->c;
	ssize_t		 n;
	int		 r, err, w;
	char		 why[256];

	if (c->pos > 0 && c->pos == c->len)
		c->pos = c->len = 0;
	if (c->len == c->cap) {
		if (c->pos > 0) {
			memmove(c->buf, c->buf + c->pos, c->len - c->pos);
			c->len -= c->pos;
			c->pos = 0;
		} else {
			c->cap *= 2;
			c->buf = xrealloc(c->buf, c->cap);
		}
	}
	for (;;) {
		if (c->ssl != NULL) {
			ERR_clear_error();
			r = SSL_read(c->ssl, c->buf + c->len,
			    (int)(c->cap - c->len));
			if (r > 0) {
				n = r;
				break;
			}
			err = SSL_get_error(c->ssl, r);
			if (err == SSL_ERROR_ZERO_RETURN)
				return 0;
			if (err == SSL_ERROR_WANT_READ ||
			    err == SSL_ERROR_WANT_WRITE) {
				w = wait_fd(io, c->fd, err == SSL_ERROR_WANT_READ
				    ? POLLIN : POLLOUT, io->deadline);
				if (w != 0)
					return fail_wait(io, w);
				continue;
			}
			if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
				/* A close without close_notify. */
				if (errno == 0)
					return 0;
				snprintf(why, sizeof why, "%s", strerror(errno));
			} else {
				ssl_errtext(why, sizeof why);
			}
			http_xfer_fail(io->x, HTTP_FAIL_OTHER, "OpenSSL "
			    "SSL_read: %s", why);
			return -1;
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n >= 0)
			break;
		if (errno == EAGAIN || errno == EINTR) {
			w = wait_fd(io, c->fd, POLLIN, io->deadline);
			if (w != 0)
				return fail_wait(io, w);
			continue;
		}
		http_xfer_fail(io->x, HTTP_FAIL_OTHER, "Recv failure: %s",
		    strerror(errno));
		return -1;
	}
	c->len += (size_t)n;
	io->received += (size_t)n;
	return (int)(n > 0 ? 1 : 0);
}

/*
 * One line (without CR LF) into line and len, pointing into the buffer
 * (valid until the next read): 1 a line, 0 end of stream first, -1 failure
 * (recorded), -2 cancelled.
 */
static int
read_line(struct h1_io *io, const char **line, size_t *len, size_t max)
{
	struct h1_conn	*c = io->c;
	const char	*nl;
	size_t		 scanned = 0, l;
	int		 r;

	for (;;) {
		nl = memchr(c->buf + c->pos + scanned, '\n',
		    c->len - c->pos - scanned);
		if (nl != NULL)
			break;
		scanned = c->len - c->pos;
		if (scanned > max) {
			http_xfer_fail(io->x, HTTP_FAIL_OTHER, "response "
			    "header line longer than %zu bytes", max);
			return -1;
		}
		r = conn_fill(io);
		if (r <= 0)
			return r;
	}
	l = (size_t)(nl - (c->buf + c->pos));
	*line = c->buf + c->pos;
	c->pos += l + 1;
	if (l > 0 && (*line)[l - 1] == '\r')
		l--;
	if (l > max) {
		http_xfer_fail(io->x, HTTP_FAIL_OTHER, "response header line "
		    "longer than %zu bytes", max);
		return -1;
	}
	*len = l;
	return 1;
}

/* --- the exchange ------------------------------------------------ */

static int
req_has_header(const char **hdrs, const char *name)
{
	size_t	 n = strlen(name);

	for (; hdrs != NULL && *hdrs != NULL; hdrs++) {
		if (strncasecmp(*hdrs, name, n) == 0 &&
		    ((*hdrs)[n] == ':' || (*hdrs)[n] == ';'))
			return 1;
	}
	return 0;
}

/* The request head and body, as libcurl would send them. */
static void
build_request(struct http_xfer *x, struct strbuf *sb)
{
	const struct http_request *req = x->req;
	const char	**h, *v;
	size_t		 n;
	int		 post = strcasecmp(x->method, "POST") == 0;

	sb_addf(sb, "%s %s HTTP/1.1\r\n", x->method, x->url->target);
	if (!req_has_header(req->headers, "Host"))
		sb_addf(sb, "Host: %s\r\n", x->url->authority);
	if (!req_has_header(req->headers, "User-Agent"))
		sb_addf(sb, "User-Agent: %s\r\n", x->user_agent);
	if (!req_has_header(req->headers, "Accept"))
		sb_adds(sb, "Accept: */*\r\n");
	for (h = req->headers; h != NULL && *h != NULL; h++) {
		v = strpbrk(*h, ":;");
		if (v == NULL)
			continue;
		n = (size_t)(v - *h);
		if (*v == ';') {
			/* "Name;" sends the header with no value. */
			if (v[1] == '\0')
				sb_addf(sb, "%.*s:\r\n", (int)n, *h);
			continue;
		}
		v++;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v == '\0')		/* "Name:" removes a header */
			continue;
		sb_addf(sb, "%.*s: %s\r\n", (int)n, *h, v);
	}
	if (req->body != NULL || post) {
		if (!req_has_header(req->headers, "Content-Length"))
			sb_addf(sb, "Content-Length: %zu\r\n",
			    req->body ? req->body_len : 0);
		if (post && req->body == NULL &&
		    !req_has_header(req->headers, "Content-Type"))
			sb_adds(sb, "Content-Type: "
			    "application/x-www-form-urlencoded\r\n");
	}
	sb_adds(sb, "\r\n");
}

static void
trace_head(const char *dir, const char *buf, size_t len)
{
	size_t	 i, start = 0, l;

	if (!term_enabled(TERM_LOG_HEADERS))
		return;
	for (i = 0; i <= len; i++) {
		if (i < len && buf[i] != '\n')
			continue;
		l = i - start;
		while (l > 0 && (buf[start + l - 1] == '\r' ||
		    buf[start + l - 1] == '\n'))
			l--;
		if (l > 0)
			term_log(TERM_LOG_HEADERS, "%s %.*s", dir, (int)l,
			    buf + start);
		start = i + 1;
	}
}

/* Hand n body bytes at the buffer's position over; consume them. */
static int
deliver(struct h1_io *io, int status, size_t n)
{
	struct h1_conn	*c = io->c;
	const char	*p = c->buf + c->pos;

	c->pos += n;
	if (n > 0 && http_xfer_body(io->x, status, p, n) != 0) {
		io->x->stopped = 1;
		return 1;
	}
	return 0;
}

/*
 * Read exactly want bytes of body (or to the end of the stream when
 * want is -1): 0 done, 1 stopped by the callback, -1 failure, -2
 * cancelled.
 */
static int
read_body(struct h1_io *io, int status, long long want)
{
	struct h1_conn	*c = io->c;
	size_t		 n;
	int		 r;

	for (;;) {
		n = c->len - c->pos;
		if (want >= 0 && (long long)n > want)
			n = (size_t)want;
		if (n > 0) {
			if (deliver(io, status, n))
				return 1;
			if (want >= 0)
				want -= (long long)n;
		}
		if (want == 0)
			return 0;
		r = conn_fill(io);
		if (r < 0)
			return r;
		if (r == 0) {
			if (want < 0)
				return 0;
			http_xfer_fail(io->x, HTTP_FAIL_OTHER, "transfer closed "
			    "with %lld bytes remaining to read", want);
			return -1;
		}
	}
}

/* A chunked body: 0 done, 1 stopped, -1 failure, -2 cancelled. */
static int
read_chunked(struct h1_io *io, int status)
{
	const char	*line;
	char		*end;
	char		 num[24];
	size_t		 len;
	unsigned long long size;
	int		 r;

	for (;;) {
		r = read_line(io, &line, &len, 1024);
		if (r == 0)
			goto closed;
		if (r < 0)
			return r;
		if (len == 0 || len >= sizeof num) {
			if (len == 0)
				continue;	/* tolerate a stray CRLF */
			goto bad;
		}
		memcpy(num, line, len);
		num[len] = '\0';
		errno = 0;
		size = strtoull(num, &end, 16);
		if (end == num || errno != 0 || (*end != '\0' && *end != ';' &&
		    *end != ' ' && *end != '\t') || size > (1ULL << 40))
			goto bad;
		if (size == 0)
			break;
		r = read_body(io, status, (long long)size);
		if (r != 0) {
			if (r == -1 && io->x->reason != NULL &&
			    strncmp(io->x->reason, "transfer closed", 15) == 0)
				goto closed;
			return r;
		}
		r = read_line(io, &line, &len, 1024);
		if (r == 0)
			goto closed;
		if (r < 0)
			return r;
		if (len != 0)
			goto bad;
	}
	/* Trailers up to the empty line. */
	for (;;) {
		r = read_line(io, &line, &len, H1_MAX_LINE);
		if (r == 0)
			goto closed;
		if (r < 0)
			return r;
		if (len == 0)
			return 0;
	}
bad:
	http_xfer_fail(io->x, HTTP_FAIL_OTHER, "invalid chunk in the "
	    "response body");
	return -1;
closed:
	free(io->x->reason);
	io->x->reason = NULL;
	http_xfer_fail(io->x, HTTP_FAIL_OTHER, "transfer closed with "
	    "outstanding read data remaining");
	return -1;
}

/*
 * Response head: status, headers, how the body is framed.  1 a head
 * arrived, 0 the stream ended before any byte, -1 failure, -2 cancelled.
 */
static int
read_head(struct h1_io *io, int *status, int *keepalive, int *chunked,
    long long *clen)
{
	const char	*line, *v;
	size_t		 len, nl, total = 0;
	int		 r, minor, code, first = 1;
	char		 st[4];

	for (;;) {
		r = read_line(io, &line, &len, H1_MAX_LINE);
		if (r <= 0) {
			if (r == 0 && !first) {
				http_xfer_fail(io->x, HTTP_FAIL_OTHER,
				    "connection closed in the response "
				    "headers");
				return -1;
			}
			return r;
		}
		first = 0;
		if (len < 12 || strncmp(line, "HTTP/1.", 7) != 0 ||
		    (line[7] != '0' && line[7] != '1') || line[8] != ' ' ||
		    line[9] < '1' || line[9] > '9' || line[10] < '0' ||
		    line[10] > '9' || line[11] < '0' || line[11] > '9' ||
		    (len > 12 && line[12] != ' ')) {
			http_xfer_fail(io->x, HTTP_FAIL_OTHER, "Unsupported "
			    "HTTP version or malformed status line in the "
			    "response");
			return -1;
		}
		minor = line[7] - '0';
		memcpy(st, line + 9, 3);
		st[3] = '\0';
		code = atoi(st);
		trace_head("<", line, len);
		http_xfer_reset_headers(io->x);
		*keepalive = minor == 1;
		*chunked = 0;
		*clen = -1;
		for (;;) {
			r = read_line(io, &line, &len, H1_MAX_LINE);
			if (r == 0) {
				http_xfer_fail(io->x, HTTP_FAIL_OTHER,
				    "connection closed in the response "
				    "headers");
				return -1;
			}
			if (r < 0)
				return r;
			total += len + 2;
			if (total > H1_MAX_HEADERS) {
				http_xfer_fail(io->x, HTTP_FAIL_OTHER, "response"
				    " headers larger than %d bytes",
				    H1_MAX_HEADERS);
				return -1;
			}
			if (len == 0)
				break;
			trace_head("<", line, len);
			v = memchr(line, ':', len);
			if (v == NULL)
				continue;
			http_xfer_header(io->x, line, len);
			nl = (size_t)(v - line);
			v++;
			while (v < line + len && (*v == ' ' || *v == '\t'))
				v++;
			if (nl == 14 &&
			    strncasecmp(line, "Content-Length", 14) == 0) {
				char	 num[24];
				size_t	 vl = (size_t)(line + len - v);
				char	*end;

				while (vl > 0 && (v[vl - 1] == ' ' ||
				    v[vl - 1] == '\t'))
					vl--;
				if (vl == 0 || vl >= sizeof num) {
bad_len:
					http_xfer_fail(io->x, HTTP_FAIL_OTHER,
					    "invalid Content-Length in the "
					    "response");
					return -1;
				}
				memcpy(num, v, vl);
				num[vl] = '\0';
				if (num[0] < '0' || num[0] > '9')
					goto bad_len;
				errno = 0;
				*clen = strtoll(num, &end, 10);
				if (errno != 0 || *end != '\0' || *clen < 0)
					goto bad_len;
			} else if (nl == 17 && strncasecmp(line,
			    "Transfer-Encoding", 17) == 0) {
				*chunked = memmem(v, (size_t)(line + len - v),
				    "chunked", 7) != NULL;
			} else if (nl == 10 &&
			    strncasecmp(line, "Connection", 10) == 0) {
				size_t	 vl = (size_t)(line + len - v);

				if (vl >= 5 && strncasecmp(v, "close", 5) == 0)
					*keepalive = 0;
				else if (vl >= 10 &&
				    strncasecmp(v, "keep-alive", 10) == 0)
					*keepalive = 1;
			}
		}
		if (code >= 200 || code == 101)
			break;
		/* 1xx interim responses: wait for the real one. */
	}
	*status = code;
	return 1;
}

/* One exchange on a connection: see h1_attempt for the results. */
static int
exchange(struct h1_io *io, const struct strbuf *head, int *status,
    int *reusable)
{
	const struct http_request *req = io->x->req;
	int		 r, keepalive, chunked, nobody;
	long long	 clen;

	*reusable = 0;
	trace_head(">", head->buf, head->len);
	r = conn_send(io, head->buf, head->len);
	if (r == 0 && req->body != NULL && req->body_len > 0)
		r = conn_send(io, req->body, req->body_len);
	if (r != 0)
		return r;
	r = read_head(io, status, &keepalive, &chunked, &clen);
	if (r == 0) {
		http_xfer_fail(io->x, HTTP_FAIL_OTHER, "Empty reply from "
		    "server");
		return -3;		/* nothing came back */
	}
	if (r < 0)
		return r;
	nobody = strcasecmp(io->x->method, "HEAD") == 0 || *status == 204 ||
	    *status == 304 || *status < 200;
	if (nobody)
		r = 0;
	else if (chunked)
		r = read_chunked(io, *status);
	else if (clen >= 0)
		r = read_body(io, *status, clen);
	else {
		keepalive = 0;
		r = read_body(io, *status, -1);
	}
	if (r == 1)
		return 0;		/* stopped: the connection is dropped */
	if (r != 0)
		return r;
	*reusable = keepalive && io->c->pos == io->c->len &&
	    (io->c->ssl == NULL || SSL_pending(io->c->ssl) == 0);
	return 0;
}

int
h1_attempt(struct http_xfer *x, int *status)
{
	struct h1_io	 io;
	struct strbuf	 head = STRBUF_INIT;
	char		*key;
	int		 r, reusable, tries;

	*status = 0;
	memset(&io, 0, sizeof io);
	io.x = x;
	io.start = clock_mono_s();
	if (x->cl->timeout > 0)
		io.deadline = io.start + x->cl->timeout;
	key = conn_key(x);
	build_request(x, &head);
	for (tries = 0;; tries++) {
		io.c = tries == 0 ? pool_take(key) : NULL;
		if (io.c == NULL && conn_open(&io, key) == NULL) {
			r = x->stopped ? 0 : -1;
			break;
		}
		io.received = 0;
		r = exchange(&io, &head, status, &reusable);
		/*
		 * A kept-alive connection the server closed meanwhile fails
		 * before any response byte: open a new one, once, as
		 * libcurl does.
		 */
		if (r != 0 && r != -2 && io.c->reused && io.received == 0 &&
		    tries == 0 && *status == 0) {
			term_log(TERM_LOG_FULL, "* Connection died, retrying "
			    "a fresh connect");
			conn_free(io.c);
			io.c = NULL;
			free(x->reason);
			x->reason = NULL;
			x->fail = HTTP_FAIL_NONE;
			x->sent = 0;
			http_xfer_reset_headers(x);
			continue;
		}
		if (r == -2) {		/* cancelled: as if stopped */
			x->stopped = 1;
			r = 0;
		} else if (r == -3) {
			r = -1;
		}
		if (r == 0 && reusable && !x->stopped) {
			pool_put(io.c);
			io.c = NULL;
		}
		conn_free(io.c);
		io.c = NULL;
		break;
	}
	sb_free(&head);
	free(key);
	return r == 0 ? 0 : -1;
}
