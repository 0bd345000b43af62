/*
 * sandbox-serve.c: test helper that runs the sandbox daemon's server
 * (sbx_serve) in the foreground, so tests can start a sandbox on a free
 * port without the `maasctl sandbox` lifecycle commands.
 *
 *	sandbox-serve --state-dir D [--port N] [--gateway-port N] [--plain]
 *	    [--token-file F] [--traffic FILE]
 *
 * Port 0 (the default) lets the OS pick; the chosen ports are written to
 * D/sandbox.json by the server.  Without --plain, the CA and server
 * certificate are created in D if missing.  The admin token is read from
 * --token-file (or the MAASCTL_SANDBOX_ADMIN_TOKEN environment variable).
 *
 * --traffic records gateway traffic into the sandbox's telemetry before it
 * serves, so `maasctl usage` can be tested against the sandbox's real
 * /metrics and Prometheus API independently of model traffic through the
 * gateway.  FILE holds one request per line, recorded through
 * metrics_record() with every label kept:
 *	USER SUBSCRIPTION MODEL TOKENS LIMITED LATENCY_MS
 * ("-" for an empty field; LIMITED is 0 or 1; "#" starts a comment line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/sandbox.h"
#include "sandbox/metrics.h"

static void
usage(void)
{
	fprintf(stderr, "usage: sandbox-serve --state-dir D [--port N] "
	    "[--gateway-port N] [--plain] [--token-file F] [--traffic FILE]\n");
	exit(2);
}

static const char *
field(const char *s)
{
	return strcmp(s, "-") == 0 ? NULL : s;
}

/* Record each request of the traffic file at path into the telemetry. */
static int
feed(const char *path, struct err *e)
{
	FILE	*f = fopen(path, "r");
	char	 line[1024], u[256], s[256], m[256];
	long	 tokens;
	int	 limited, n = 0;
	double	 ms;

	if (f == NULL)
		return err_set(e, EXIT_ERR, "cannot open %s", path);
	metrics_telemetry_set(1, 1, 1);
	while (fgets(line, sizeof line, f) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%255s %255s %255s %ld %d %lf", u, s, m,
		    &tokens, &limited, &ms) != 6) {
			fclose(f);
			return err_set(e, EXIT_ERR, "%s: bad line %s", path,
			    line);
		}
		metrics_record(field(u), field(s), field(m), tokens, limited,
		    ms);
		n++;
	}
	fclose(f);
	return n;
}

int
main(int argc, char **argv)
{
	struct sbx_config	 c;
	struct err		 e = ERR_INIT;
	char			*tok = NULL, *nl;
	const char		*tf = NULL, *traffic = NULL;
	size_t			 len;
	int			 i;

	memset(&c, 0, sizeof c);
	c.foreground = 1;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--state-dir") == 0 && i + 1 < argc)
			c.state_dir = argv[++i];
		else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			c.api_port = atoi(argv[++i]);
		else if (strcmp(argv[i], "--gateway-port") == 0 && i + 1 < argc)
			c.gateway_port = atoi(argv[++i]);
		else if (strcmp(argv[i], "--plain") == 0)
			c.plain = 1;
		else if (strcmp(argv[i], "--token-file") == 0 && i + 1 < argc)
			tf = argv[++i];
		else if (strcmp(argv[i], "--traffic") == 0 && i + 1 < argc)
			traffic = argv[++i];
		else
			usage();
	}
	if (c.state_dir == NULL)
		usage();
	if (sbx_mkdirs(c.state_dir, &e) == -1)
		goto fail;
	if (traffic != NULL && feed(traffic, &e) == -1)
		goto fail;
	if (tf != NULL) {
		if ((tok = sbx_read_file(tf, &len, &e)) == NULL)
			goto fail;
		if ((nl = strchr(tok, '\n')) != NULL)
			*nl = '\0';
	} else if (getenv("MAASCTL_SANDBOX_ADMIN_TOKEN") != NULL)
		tok = xstrdup(getenv("MAASCTL_SANDBOX_ADMIN_TOKEN"));
	c.admin_token = tok;
	if (!c.plain && sbx_certs_ensure(c.state_dir, &e) == -1)
		goto fail;
	if (sbx_serve(&c, &e) == -1)
		goto fail;
	xfree_secret(tok);
	return 0;
fail:
	fprintf(stderr, "sandbox-serve: %s\n", e.msg ? e.msg : "failed");
	xfree_secret(tok);
	return 1;
}
