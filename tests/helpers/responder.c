/*
 * responder.c: a scripted HTTP/1.1 (or HTTPS) server for tests.
 *
 *	responder --script FILE --port-file FILE --log FILE
 *	    [--cert PEM --key PEM [--client-ca PEM]] [--lifetime SECONDS]
 *
 * Binds 127.0.0.1 on a port the OS picks and writes the port to the port
 * file (atomically).  Each request received, on any connection, takes the
 * next reply of the script, in order.  The script is a list of replies
 * separated by lines "---"; within a reply:
 *
 *	status N [reason]	status line (default 200)
 *	header Name: value	a response header (repeatable)
 *	delay SECONDS		wait before replying
 *	body TEXT		append TEXT to the body
 *	line TEXT		append TEXT and a newline to the body
 *	bodyfile PATH		append a file's contents to the body
 *	chunk TEXT		stream TEXT+newline as one chunk (chunked reply)
 *	sleep SECONDS		pause between chunks
 *	hangup			after the chunks, close without ending the body
 *	close			close the connection without replying
 *	raw TEXT		send TEXT as the whole reply (\r, \n, \\ and
 *				\xHH escapes; repeatable), then close the
 *				connection: malformed or close-delimited replies
 *	times N			use this reply for the next N requests
 *	# comment
 *
 * Every request is appended to the log file as
 *	=== <n> <METHOD> <target> <version>
 *	<header lines as received>
 *	[client-cert: <subject>]
 *	connection: <k>		(k-th connection accepted: shows keep-alive)
 *	<empty line>
 *	<body>
 * so tests count attempts with grep -c '^=== '.  A failed TLS handshake is
 * logged as a "!!! tls: <reason>" line.  The server exits after --lifetime
 * seconds (default 120) so that a test that forgets it leaves nothing behind.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "xalloc.h"

enum step_type { STEP_CHUNK, STEP_SLEEP };

struct step {
	enum step_type	 type;
	char		*text;
	double		 secs;
};

struct reply {
	int		 status;
	char		*reason;
	struct strlist	 headers;
	struct strbuf	 body;
	double		 delay;
	int		 close;
	int		 hangup;
	int		 is_raw;	/* raw holds the whole reply */
	struct strbuf	 raw;
	int		 times;
	struct step	*steps;
	size_t		 nsteps;
};

static struct reply	*replies;
static size_t		 nreplies;
static size_t		 next_reply;	/* index into replies */
static int		 next_times;	/* uses left of replies[next_reply] */
static unsigned		 nrequests;
static unsigned		 nconns;		/* connections accepted */
static const char	*log_path;
static SSL_CTX		*ssl_ctx;
static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "responder: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void
log_append(const char *buf, size_t len)
{
	int	 fd;

	fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd == -1)
		die("%s: %s", log_path, strerror(errno));
	if (write(fd, buf, len) != (ssize_t)len)
		die("%s: short write", log_path);
	close(fd);
}

static char *
read_file(const char *path, size_t *lenp)
{
	struct strbuf	 sb = STRBUF_INIT;
	char		 buf[8192];
	FILE		*f;
	size_t		 n;

	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	sb_init(&sb);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(&sb, buf, n);
	fclose(f);
	if (lenp != NULL)
		*lenp = sb.len;
	return sb_detach(&sb);
}

static struct reply *
new_reply(void)
{
	struct reply	*r;

	replies = xrealloc(replies, (nreplies + 1) * sizeof *replies);
	r = &replies[nreplies++];
	memset(r, 0, sizeof *r);
	r->status = 200;
	r->times = 1;
	sb_init(&r->body);
	sb_init(&r->raw);
	return r;
}

static void
add_step(struct reply *r, enum step_type type, const char *text, double secs)
{
	r->steps = xrealloc(r->steps, (r->nsteps + 1) * sizeof *r->steps);
	r->steps[r->nsteps].type = type;
	r->steps[r->nsteps].text = text ? xstrdup(text) : NULL;
	r->steps[r->nsteps].secs = secs;
	r->nsteps++;
}

/* Append TEXT with \r, \n, \\ and \xHH escapes decoded. */
static void
unescape(struct strbuf *sb, const char *t)
{
	char	 hex[3];

	for (; *t != '\0'; t++) {
		if (*t != '\\' || t[1] == '\0') {
			sb_addc(sb, *t);
			continue;
		}
		t++;
		if (*t == 'r')
			sb_addc(sb, '\r');
		else if (*t == 'n')
			sb_addc(sb, '\n');
		else if (*t == 'x' && t[1] != '\0' && t[2] != '\0') {
			hex[0] = t[1];
			hex[1] = t[2];
			hex[2] = '\0';
			sb_addc(sb, (int)strtol(hex, NULL, 16));
			t += 2;
		} else
			sb_addc(sb, *t);
	}
}

static void
load_script(const char *path)
{
	char		*text, *line, *save = NULL, *arg, *content;
	struct reply	*r = NULL;
	size_t		 len;
	unsigned	 lineno = 0;

	text = read_file(path, NULL);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (strcmp(line, "---") == 0) {
			r = NULL;
			continue;
		}
		if (r == NULL)
			r = new_reply();
		arg = strchr(line, ' ');
		if (arg != NULL)
			*arg++ = '\0';
		if (strcmp(line, "status") == 0 && arg != NULL) {
			r->status = atoi(arg);
			if (strchr(arg, ' ') != NULL)
				r->reason = xstrdup(strchr(arg, ' ') + 1);
		} else if (strcmp(line, "header") == 0 && arg != NULL)
			sl_add(&r->headers, arg);
		else if (strcmp(line, "delay") == 0 && arg != NULL)
			r->delay = atof(arg);
		else if (strcmp(line, "body") == 0)
			sb_adds(&r->body, arg ? arg : "");
		else if (strcmp(line, "line") == 0) {
			sb_adds(&r->body, arg ? arg : "");
			sb_addc(&r->body, '\n');
		} else if (strcmp(line, "bodyfile") == 0 && arg != NULL) {
			content = read_file(arg, &len);
			sb_add(&r->body, content, len);
			free(content);
		} else if (strcmp(line, "chunk") == 0)
			add_step(r, STEP_CHUNK, arg ? arg : "", 0);
		else if (strcmp(line, "sleep") == 0 && arg != NULL)
			add_step(r, STEP_SLEEP, NULL, atof(arg));
		else if (strcmp(line, "hangup") == 0)
			r->hangup = 1;
		else if (strcmp(line, "close") == 0)
			r->close = 1;
		else if (strcmp(line, "raw") == 0) {
			r->is_raw = 1;
			unescape(&r->raw, arg ? arg : "");
		}
		else if (strcmp(line, "times") == 0 && arg != NULL)
			r->times = atoi(arg);
		else
			die("%s:%u: bad line \"%s%s%s\"", path, lineno, line,
			    arg ? " " : "", arg ? arg : "");
	}
	free(text);
	if (nreplies > 0)
		next_times = replies[0].times;
}

/* A connection: a socket, maybe TLS, and a read buffer. */
struct conn {
	int		 fd;
	unsigned	 id;		/* k-th connection accepted */
	SSL		*ssl;
	char		 buf[16384];
	size_t		 off, len;
};

static ssize_t
conn_read_raw(struct conn *c, void *buf, size_t len)
{
	int	 n;

	if (c->ssl == NULL)
		return read(c->fd, buf, len);
	n = SSL_read(c->ssl, buf, (int)len);
	return n <= 0 ? -1 : n;
}

static int
conn_write(struct conn *c, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if (c->ssl != NULL)
			n = SSL_write(c->ssl, p, (int)len);
		else
			n = write(c->fd, p, len);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read one byte; -1 on EOF or error. */
static int
conn_getc(struct conn *c)
{
	ssize_t	 n;

	if (c->off == c->len) {
		n = conn_read_raw(c, c->buf, sizeof c->buf);
		if (n <= 0)
			return -1;
		c->off = 0;
		c->len = (size_t)n;
	}
	return (unsigned char)c->buf[c->off++];
}

/* Read a CRLF- or LF-terminated line without the terminator. */
static int
conn_line(struct conn *c, struct strbuf *sb)
{
	int	 ch;

	sb_reset(sb);
	for (;;) {
		if ((ch = conn_getc(c)) == -1)
			return -1;
		if (ch == '\n')
			break;
		sb_addc(sb, ch);
		if (sb->len > 65536)
			return -1;
	}
	if (sb->len > 0 && sb->buf[sb->len - 1] == '\r')
		sb->buf[--sb->len] = '\0';
	return 0;
}

static int
conn_body(struct conn *c, struct strbuf *body, size_t n)
{
	int	 ch;

	while (n-- > 0) {
		if ((ch = conn_getc(c)) == -1)
			return -1;
		sb_addc(body, ch);
	}
	return 0;
}

static void
sleep_secs(double s)
{
	struct timespec	 ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

static const char *
reason_for(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Status";
	}
}

/* Send a reply; 0 to keep the connection, -1 to close it. */
static int
send_reply(struct conn *c, const struct reply *r, int keep)
{
	struct strbuf	 out = STRBUF_INIT;
	size_t		 i;
	int		 chunked = r->nsteps > 0, ret = -1;
	char		*text;

	sleep_secs(r->delay);
	if (r->close)
		return -1;
	if (r->is_raw) {
		conn_write(c, r->raw.buf, r->raw.len);
		return -1;
	}
	sb_init(&out);
	sb_addf(&out, "HTTP/1.1 %d %s\r\n", r->status,
	    r->reason ? r->reason : reason_for(r->status));
	for (i = 0; i < r->headers.n; i++)
		sb_addf(&out, "%s\r\n", r->headers.v[i]);
	if (chunked)
		sb_adds(&out, "Transfer-Encoding: chunked\r\n");
	else
		sb_addf(&out, "Content-Length: %zu\r\n", r->body.len);
	if (!keep)
		sb_adds(&out, "Connection: close\r\n");
	sb_adds(&out, "\r\n");
	if (!chunked)
		sb_add(&out, r->body.buf, r->body.len);
	if (conn_write(c, out.buf, out.len) != 0)
		goto out;
	for (i = 0; i < r->nsteps; i++) {
		if (r->steps[i].type == STEP_SLEEP) {
			sleep_secs(r->steps[i].secs);
			continue;
		}
		text = xasprintf("%zx\r\n%s\n\r\n", strlen(r->steps[i].text) + 1,
		    r->steps[i].text);
		if (conn_write(c, text, strlen(text)) != 0) {
			free(text);
			goto out;
		}
		free(text);
	}
	if (r->hangup)
		goto out;
	if (chunked && conn_write(c, "0\r\n\r\n", 5) != 0)
		goto out;
	ret = keep ? 0 : -1;
out:
	sb_free(&out);
	return ret;
}

/* Take the next scripted reply (NULL when the script is used up). */
static const struct reply *
take_reply(unsigned *n)
{
	const struct reply *r = NULL;

	pthread_mutex_lock(&lock);
	*n = ++nrequests;
	while (next_reply < nreplies && next_times <= 0) {
		next_reply++;
		if (next_reply < nreplies)
			next_times = replies[next_reply].times;
	}
	if (next_reply < nreplies) {
		r = &replies[next_reply];
		next_times--;
	}
	pthread_mutex_unlock(&lock);
	return r;
}

static void *
serve(void *arg)
{
	struct conn	*c = arg;
	struct strbuf	 line = STRBUF_INIT, req = STRBUF_INIT;
	struct strbuf	 body = STRBUF_INIT;
	const struct reply *r;
	struct reply	 missing;
	X509		*peer;
	char		 subject[512], *hdr, *p;
	size_t		 clen;
	unsigned	 n;
	int		 keep, chunked, expect;

	if (c->ssl != NULL) {
		if (SSL_accept(c->ssl) != 1) {
			p = xasprintf("!!! tls: %s\n", ERR_reason_error_string(
			    ERR_peek_last_error()) ? ERR_reason_error_string(
			    ERR_peek_last_error()) : "handshake failed");
			pthread_mutex_lock(&lock);
			log_append(p, strlen(p));
			pthread_mutex_unlock(&lock);
			free(p);
			goto out;
		}
	}
	sb_init(&line);
	for (;;) {
		if (conn_line(c, &line) != 0 || line.len == 0)
			break;
		sb_reset(&req);
		sb_reset(&body);
		keep = strstr(line.buf, "HTTP/1.0") == NULL;
		chunked = expect = 0;
		clen = 0;
		hdr = xstrdup(line.buf);
		for (;;) {
			if (conn_line(c, &line) != 0) {
				free(hdr);
				goto out;
			}
			if (line.len == 0)
				break;
			sb_addf(&req, "%s\n", line.buf);
			p = strchr(line.buf, ':');
			if (p == NULL)
				continue;
			*p++ = '\0';
			while (*p == ' ')
				p++;
			if (strcasecmp(line.buf, "Content-Length") == 0)
				clen = strtoul(p, NULL, 10);
			else if (strcasecmp(line.buf, "Transfer-Encoding") ==
			    0 && strcasecmp(p, "chunked") == 0)
				chunked = 1;
			else if (strcasecmp(line.buf, "Connection") == 0 &&
			    strcasecmp(p, "close") == 0)
				keep = 0;
			else if (strcasecmp(line.buf, "Expect") == 0)
				expect = 1;
		}
		if (expect)
			conn_write(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
		if (chunked) {
			for (;;) {
				if (conn_line(c, &line) != 0) {
					free(hdr);
					goto out;
				}
				clen = strtoul(line.buf, NULL, 16);
				if (clen == 0) {
					conn_line(c, &line);
					break;
				}
				if (conn_body(c, &body, clen) != 0 ||
				    conn_line(c, &line) != 0) {
					free(hdr);
					goto out;
				}
			}
		} else if (conn_body(c, &body, clen) != 0) {
			free(hdr);
			goto out;
		}
		if (c->ssl != NULL &&
		    (peer = SSL_get_peer_certificate(c->ssl)) != NULL) {
			X509_NAME_oneline(X509_get_subject_name(peer), subject,
			    sizeof subject);
			sb_addf(&req, "client-cert: %s\n", subject);
			X509_free(peer);
		}
		sb_addf(&req, "connection: %u\n", c->id);
		r = take_reply(&n);
		p = xasprintf("=== %u %s\n", n, hdr);
		free(hdr);
		pthread_mutex_lock(&lock);
		log_append(p, strlen(p));
		log_append(req.buf, req.len);
		log_append("\n", 1);
		log_append(body.buf, body.len);
		if (body.len > 0 && body.buf[body.len - 1] != '\n')
			log_append("\n", 1);
		pthread_mutex_unlock(&lock);
		free(p);
		if (r == NULL) {
			memset(&missing, 0, sizeof missing);
			missing.status = 500;
			missing.times = 1;
			sb_init(&missing.body);
			sb_addf(&missing.body, "responder: no scripted reply "
			    "left for request %u\n", n);
			send_reply(c, &missing, 0);
			sb_free(&missing.body);
			break;
		}
		if (send_reply(c, r, keep) != 0)
			break;
	}
out:
	sb_free(&line);
	sb_free(&req);
	sb_free(&body);
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	close(c->fd);
	free(c);
	return NULL;
}

static void
on_alarm(int sig)
{
	(void)sig;
	_exit(0);
}

int
main(int argc, char **argv)
{
	const char		*script = NULL, *port_file = NULL;
	const char		*cert = NULL, *key = NULL, *client_ca = NULL;
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof sin;
	pthread_attr_t		 attr;
	pthread_t		 tid;
	struct conn		*c;
	char			*tmp;
	FILE			*f;
	long			 lifetime = 120;
	int			 i, s, fd, one = 1;

	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			die("%s needs a value", argv[i]);
		if (strcmp(argv[i], "--script") == 0)
			script = argv[++i];
		else if (strcmp(argv[i], "--port-file") == 0)
			port_file = argv[++i];
		else if (strcmp(argv[i], "--log") == 0)
			log_path = argv[++i];
		else if (strcmp(argv[i], "--cert") == 0)
			cert = argv[++i];
		else if (strcmp(argv[i], "--key") == 0)
			key = argv[++i];
		else if (strcmp(argv[i], "--client-ca") == 0)
			client_ca = argv[++i];
		else if (strcmp(argv[i], "--lifetime") == 0)
			lifetime = atol(argv[++i]);
		else
			die("unknown option %s", argv[i]);
	}
	if (script == NULL || port_file == NULL || log_path == NULL)
		die("usage: responder --script F --port-file F --log F "
		    "[--cert F --key F [--client-ca F]] [--lifetime S]");
	load_script(script);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm((unsigned)lifetime);

	if (cert != NULL) {
		ssl_ctx = SSL_CTX_new(TLS_server_method());
		if (ssl_ctx == NULL ||
		    SSL_CTX_use_certificate_chain_file(ssl_ctx, cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ssl_ctx, key ? key : cert,
		    SSL_FILETYPE_PEM) != 1)
			die("cannot load %s / %s", cert, key ? key : cert);
		if (client_ca != NULL) {
			if (SSL_CTX_load_verify_locations(ssl_ctx, client_ca,
			    NULL) != 1)
				die("cannot load client CA %s", client_ca);
			SSL_CTX_set_client_CA_list(ssl_ctx,
			    SSL_load_client_CA_file(client_ca));
			SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_PEER |
			    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
		}
	}

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket: %s", strerror(errno));
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;
	if (bind(s, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(s, 64) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &slen) == -1)
		die("bind 127.0.0.1:0: %s", strerror(errno));
	/* Create the log before announcing the port. */
	log_append("", 0);
	tmp = xasprintf("%s.tmp", port_file);
	if ((f = fopen(tmp, "w")) == NULL)
		die("%s: %s", tmp, strerror(errno));
	fprintf(f, "%u\n", ntohs(sin.sin_port));
	fclose(f);
	if (rename(tmp, port_file) == -1)
		die("rename %s: %s", tmp, strerror(errno));
	free(tmp);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		fd = accept(s, NULL, NULL);
		if (fd == -1) {
			if (errno == EINTR)
				continue;
			die("accept: %s", strerror(errno));
		}
		c = xcalloc(1, sizeof *c);
		c->fd = fd;
		c->id = ++nconns;
		if (ssl_ctx != NULL) {
			c->ssl = SSL_new(ssl_ctx);
			SSL_set_fd(c->ssl, fd);
		}
		if (pthread_create(&tid, &attr, serve, c) != 0)
			die("pthread_create failed");
	}
}
