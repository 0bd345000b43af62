/*
 * http-tool.c: drive common/http.c from tests (until maasctl has a command
 * that makes raw requests).
 *
 *	http-tool [-X METHOD] [-H 'Name: value']... [--data STR|--data-file F]
 *	    [--ca-file F] [--ca-data-file F] [--cert F --key F]
 *	    [--cert-data-file F --key-data-file F] [--insecure]
 *	    [--tls-server-name NAME] [--proxy URL] [-v N] [--retries N]
 *	    [--max-wait S] [--backoff-base S] [--timeout S] [--connect-timeout S]
 *	    [--retry-safe] [--stream] [-i] [--kube] [--repeat N] URL
 *
 * Prints the body on stdout (with -i, first "HTTP <status>" and the
 * response headers, then an empty line).  Exits 0 on 1xx-3xx; on a
 * 4xx/5xx prints "http-tool: HTTP <status>" on stderr and exits with
 * err_code_for_http(); on a transport failure prints the error the way
 * maasctl does and exits with its code.  The *-data-file flags read the
 * file into memory and hand http.c PEM data instead of a path.
 *
 * --repeat N makes the same request N times in the process (each body is
 * printed), so tests see connections kept alive across requests.
 *
 * --kube sends the request through common/kube.c instead (kube_request on
 * a client for the URL's origin, with --token as the bearer token): the
 * JSON reply goes to stdout, and failures print kubectl's error text, so
 * tests can hold it against real kubectl.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json.h"
#include "http.h"
#include "kube.h"
#include "term.h"
#include "xalloc.h"

static void __attribute__((noreturn))
usage(const char *why)
{
	fprintf(stderr, "http-tool: %s\n", why);
	exit(EXIT_USAGE);
}

static char *
slurp(const char *path, size_t *lenp)
{
	struct strbuf	 sb = STRBUF_INIT;
	char		 buf[4096];
	FILE		*f;
	size_t		 n;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "http-tool: %s: %s\n", path, strerror(errno));
		exit(EXIT_USAGE);
	}
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(&sb, buf, n);
	fclose(f);
	sb_add(&sb, "", 0);
	*lenp = sb.len;
	return sb_detach(&sb);
}

static int
on_chunk(const char *buf, size_t len, void *arg)
{
	(void)arg;
	fwrite(buf, 1, len, stdout);
	fflush(stdout);
	return 0;
}

/* --kube: the request through kube_request. */
static int
via_kube(const struct http_client *cl, const struct http_request *req,
    const char *token)
{
	struct kube_config	 cfg;
	struct kube		*k;
	struct err		 e = ERR_INIT;
	const char		*p;
	char			*origin, *msg, *out;
	cJSON			*j = NULL;
	int			 rc;

	p = strstr(req->url, "://");
	p = p ? strchr(p + 3, '/') : NULL;
	if (p == NULL)
		p = req->url + strlen(req->url);
	origin = xstrndup(req->url, (size_t)(p - req->url));
	memset(&cfg, 0, sizeof cfg);
	cfg.server = origin;
	cfg.http = *cl;
	cfg.token = token;
	k = kube_new(&cfg, &e);
	rc = k ? kube_request(k, req->method, *p ? p : "/",
	    req->body ? "application/json" : NULL, NULL, req->body, &j, &e) :
	    -1;
	if (rc != 0) {
		msg = err_format(&e);
		fputs(msg, stderr);
		free(msg);
		rc = e.code;
	} else {
		out = json_print(j, 1);
		printf("%s\n", out);
		free(out);
	}
	cJSON_Delete(j);
	err_clear(&e);
	kube_free(k);
	free(origin);
	return rc;
}

int
main(int argc, char **argv)
{
	struct http_client	 cl;
	struct http_request	 req;
	struct http_response	 resp = HTTP_RESPONSE_INIT;
	struct err		 e = ERR_INIT;
	struct strlist		 hdrs = STRLIST_INIT;
	char			*ca = NULL, *cert = NULL, *key = NULL;
	char			*body = NULL, *msg;
	size_t			 len, i;
	int			 show = 0, stream = 0, kube = 0, rc;
	int			 repeat = 1, n;
	const char		*token = NULL;
	const char		*a;

	memset(&cl, 0, sizeof cl);
	memset(&req, 0, sizeof req);
	for (i = 1; i < (size_t)argc; i++) {
		a = argv[i];
#define NEXT() (i + 1 < (size_t)argc ? argv[++i] : (usage("missing value"), ""))
		if (strcmp(a, "-X") == 0)
			req.method = NEXT();
		else if (strcmp(a, "-H") == 0)
			sl_add(&hdrs, NEXT());
		else if (strcmp(a, "--data") == 0) {
			body = xstrdup(NEXT());
			req.body = body;
			req.body_len = strlen(body);
		} else if (strcmp(a, "--data-file") == 0) {
			body = slurp(NEXT(), &len);
			req.body = body;
			req.body_len = len;
		} else if (strcmp(a, "--ca-file") == 0)
			cl.tls.ca_file = NEXT();
		else if (strcmp(a, "--ca-data-file") == 0) {
			ca = slurp(NEXT(), &len);
			cl.tls.ca_data = ca;
			cl.tls.ca_data_len = len;
		} else if (strcmp(a, "--cert") == 0)
			cl.tls.cert_file = NEXT();
		else if (strcmp(a, "--key") == 0)
			cl.tls.key_file = NEXT();
		else if (strcmp(a, "--cert-data-file") == 0) {
			cert = slurp(NEXT(), &len);
			cl.tls.cert_data = cert;
			cl.tls.cert_data_len = len;
		} else if (strcmp(a, "--key-data-file") == 0) {
			key = slurp(NEXT(), &len);
			cl.tls.key_data = key;
			cl.tls.key_data_len = len;
		} else if (strcmp(a, "--insecure") == 0)
			cl.tls.insecure = 1;
		else if (strcmp(a, "--tls-server-name") == 0)
			cl.tls.server_name = NEXT();
		else if (strcmp(a, "--proxy") == 0)
			cl.proxy = NEXT();
		else if (strcmp(a, "-v") == 0)
			term_set_verbosity(atoi(NEXT()));
		else if (strcmp(a, "--retries") == 0)
			cl.max_attempts = atoi(NEXT());
		else if (strcmp(a, "--max-wait") == 0)
			cl.max_wait = atof(NEXT());
		else if (strcmp(a, "--backoff-base") == 0)
			cl.backoff_base = atof(NEXT());
		else if (strcmp(a, "--timeout") == 0)
			cl.timeout = atof(NEXT());
		else if (strcmp(a, "--connect-timeout") == 0)
			cl.connect_timeout = atof(NEXT());
		else if (strcmp(a, "--retry-safe") == 0)
			req.retry_safe = 1;
		else if (strcmp(a, "--stream") == 0)
			stream = 1;
		else if (strcmp(a, "-i") == 0)
			show = 1;
		else if (strcmp(a, "--repeat") == 0)
			repeat = atoi(NEXT());
		else if (strcmp(a, "--kube") == 0)
			kube = 1;
		else if (strcmp(a, "--token") == 0)
			token = NEXT();
		else if (a[0] == '-')
			usage("unknown flag");
		else if (req.url == NULL)
			req.url = a;
		else
			usage("more than one URL");
#undef NEXT
	}
	if (req.url == NULL)
		usage("no URL");
	term_init(0);
	req.headers = (const char **)hdrs.v;
	if (stream) {
		req.stream = on_chunk;
		req.stream_arg = NULL;
	}
	if (kube) {
		rc = via_kube(&cl, &req, token);
		goto out;
	}
	for (n = 1; n < repeat; n++) {
		if (http_do(&cl, &req, &resp, &e) != 0)
			break;
		fwrite(resp.body.buf, 1, resp.body.len, stdout);
		http_response_free(&resp);
	}
	rc = e.code != 0 ? -1 : http_do(&cl, &req, &resp, &e);
	if (rc != 0) {
		msg = err_format(&e);
		fputs(msg, stderr);
		free(msg);
		rc = e.code;
		goto out;
	}
	if (show) {
		printf("HTTP %d\n", resp.status);
		for (i = 0; i < resp.headers.n; i++)
			printf("%s\n", resp.headers.v[i]);
		printf("\n");
	}
	fwrite(resp.body.buf, 1, resp.body.len, stdout);
	rc = 0;
	if (resp.status >= 400) {
		fprintf(stderr, "http-tool: HTTP %d\n", resp.status);
		rc = err_code_for_http(resp.status);
	}
out:
	http_response_free(&resp);
	err_clear(&e);
	sl_free(&hdrs);
	free(ca);
	free(cert);
	xfree_secret(key);
	free(body);
	return rc;
}
