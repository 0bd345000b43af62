/*
 * sandbox.c: `maasctl sandbox`, the lifecycle of the local emulated
 * platform: up, down, status, env, reset, serve and token.
 *
 * The state dir (--state-dir, else $MAASCTL_SANDBOX_DIR, else
 * $XDG_STATE_HOME/maasctl/sandbox, else ~/.local/state/maasctl/sandbox)
 * holds everything: the CA and server certificate, token.secret, the admin
 * token, the kubeconfig, the daemon's pidfile, info file and log, and the
 * store.  `serve` is the daemon: it takes an exclusive flock on
 * sandbox.pid for its whole life (so "running" never depends on a stale pid
 * or on a zombie), makes sure certificates, secret, admin token and
 * kubeconfig exist, then runs sbx_serve().  `up` starts `maasctl sandbox
 * serve` in a new session with its output appended to sandbox.log, waits
 * until it answers /healthz and prints where everything is.  `down` sends
 * SIGTERM, waits, then SIGKILL.  The daemon binds 127.0.0.1 only.
 */
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "clock.h"
#include "cmd.h"
#include "config.h"
#include "duration.h"
#include "json.h"
#include "sandbox/sandbox.h"

#define DEFAULT_API_PORT	18443
#define DEFAULT_GATEWAY_PORT	18444
#define DEFAULT_UP_TIMEOUT	30.0	/* s to wait for /healthz */
#define DEFAULT_DOWN_TIMEOUT	10.0	/* s between SIGTERM and SIGKILL */
#define ADMIN_USER		"admin"
#define ADMIN_GROUP		"system:masters"
#define ADMIN_TTL		(10.0 * 365 * 86400)
#define CONTEXT_NAME		"maasctl-sandbox"
#define PROFILE_NAME		"sandbox"
#define LOG_TAIL_LINES		20

/* Option values; only one verb runs per process. */
static long		 o_port = -1, o_gateway_port = -1;
static int		 o_plain, o_foreground, o_yes, o_daemon, o_no_controller;
static const char	*o_state_dir;
static const char	*o_user;
static struct strlist	 o_groups;
static double		 o_ttl;

#define OPT_STATE_DIR { "state-dir", 0, OPT_STR, &o_state_dir, "D",	\
	"state directory (default $MAASCTL_SANDBOX_DIR, else "		\
	"$XDG_STATE_HOME/maasctl/sandbox)", 0, NULL, "dir", 0, 0 }
#define OPT_PORT { "port", 0, OPT_INT, &o_port, "N",			\
	"Kubernetes API port on 127.0.0.1 (default 18443; 0 = a free "	\
	"port)", 0, NULL, NULL, 0, 65535 }
#define OPT_GATEWAY_PORT { "gateway-port", 0, OPT_INT, &o_gateway_port,	\
	"N", "gateway port on 127.0.0.1 (default 18444; 0 = a free port)",	\
	0, NULL, NULL, 0, 65535 }
#define OPT_PLAIN { "plain", 0, OPT_BOOL, &o_plain, NULL,		\
	"serve plain HTTP instead of HTTPS", 0, NULL, NULL, 0, 0 }
#define OPT_NO_CONTROLLER { "no-controller", 0, OPT_BOOL,		\
	&o_no_controller, NULL, "run without the controller: MaaS objects "	\
	"keep the status clients write, as before maas-controller is "	\
	"installed", 0, NULL, NULL, 0, 0 }

static const struct opt up_opts[] = {
	OPT_PORT,
	OPT_GATEWAY_PORT,
	OPT_PLAIN,
	OPT_NO_CONTROLLER,
	OPT_STATE_DIR,
	{ "foreground", 0, OPT_BOOL, &o_foreground, NULL,
	  "run in this process, logging to stderr, instead of as a daemon",
	  0, NULL, NULL, 0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

static const struct opt serve_opts[] = {
	OPT_PORT,
	OPT_GATEWAY_PORT,
	OPT_PLAIN,
	OPT_NO_CONTROLLER,
	OPT_STATE_DIR,
	{ "daemon", 0, OPT_BOOL, &o_daemon, NULL,
	  "started by `sandbox up`: log to sandbox.log", OPT_HIDDEN, NULL,
	  NULL, 0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

static const struct opt dir_opts[] = {
	OPT_STATE_DIR,
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

static const struct opt reset_opts[] = {
	{ "yes", 'y', OPT_BOOL, &o_yes, NULL,
	  "do not ask for confirmation", 0, NULL, NULL, 0, 0 },
	OPT_STATE_DIR,
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

static const struct opt token_opts[] = {
	{ "user", 0, OPT_STR, &o_user, "U", "user name of the identity",
	  0, NULL, NULL, 0, 0 },
	{ "group", 0, OPT_LIST, &o_groups, "G",
	  "group of the identity (repeatable; system:masters = admin)",
	  0, NULL, NULL, 0, 0 },
	{ "ttl", 0, OPT_DURATION, &o_ttl, "D",
	  "lifetime of the token (default 24h)", 0, NULL, NULL, 0, 0 },
	OPT_STATE_DIR,
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

/* What a running (or last run) sandbox looks like, from its files. */
struct sbx_info {
	pid_t	 pid;		/* daemon pid, 0 when not running */
	int	 have;		/* sandbox.json was read */
	int	 api_port;
	int	 gateway_port;
	char	*scheme;	/* "https" or "http" */
	char	*api_url;
	char	*gateway_url;
	time_t	 started;	/* pidfile mtime, 0 if unknown */
};

static void
info_free(struct sbx_info *in)
{
	free(in->scheme);
	free(in->api_url);
	free(in->gateway_url);
	memset(in, 0, sizeof *in);
}

/* The state directory, absolute; caller frees. */
static char *
state_dir(struct err *e)
{
	const char	*d = o_state_dir, *x;
	char		 cwd[PATH_MAX];

	if (d == NULL || *d == '\0')
		d = getenv("MAASCTL_SANDBOX_DIR");
	if (d != NULL && *d != '\0') {
		if (d[0] == '/')
			return sbx_path(d, NULL);
		if (getcwd(cwd, sizeof cwd) == NULL) {
			err_set(e, EXIT_ERR, "cannot resolve the state "
			    "directory %s: %s", d, strerror(errno));
			return NULL;
		}
		return xasprintf("%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd,
		    d);
	}
	/* XDG: a relative $XDG_STATE_HOME is invalid and ignored. */
	if ((x = getenv("XDG_STATE_HOME")) != NULL && x[0] == '/')
		return xasprintf("%s/maasctl/sandbox", x);
	if ((x = getenv("HOME")) != NULL && x[0] == '/')
		return xasprintf("%s/.local/state/maasctl/sandbox", x);
	err_set(e, EXIT_ERR, "cannot find the sandbox state directory: "
	    "neither XDG_STATE_HOME nor HOME is an absolute path");
	err_hint(e, "give one with --state-dir D or MAASCTL_SANDBOX_DIR");
	return NULL;
}

/* Is pid a live process (not gone, not a zombie awaiting its reaper)? */
static int
proc_alive(pid_t pid)
{
	char	 path[64], buf[512], *p;
	FILE	*f;
	int	 alive = 1;

	if (pid <= 0 || (kill(pid, 0) == -1 && errno == ESRCH))
		return 0;
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return errno != ENOENT;
	if (fgets(buf, sizeof buf, f) != NULL &&
	    (p = strrchr(buf, ')')) != NULL && p[1] == ' ' &&
	    (p[2] == 'Z' || p[2] == 'X'))
		alive = 0;
	fclose(f);
	return alive;
}

/*
 * The pid of the daemon serving dir: >0 while sandbox.pid is locked, 0 when
 * no daemon holds it.  *started gets the pidfile's mtime when given.
 */
static pid_t
running_pid(const char *dir, time_t *started)
{
	struct stat	 st;
	char		*path, buf[32];
	ssize_t		 n;
	long		 v;
	pid_t		 pid = 0;
	int		 fd, tries;

	path = sbx_path(dir, SBX_PID_FILE);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd == -1)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		close(fd);
		return 0;
	}
	/* Locked: the daemon may not have written its pid yet. */
	for (tries = 0; tries < 100; tries++) {
		n = pread(fd, buf, sizeof buf - 1, 0);
		if (n > 0) {
			buf[n] = '\0';
			v = strtol(buf, NULL, 10);
			if (v > 0 && v < INT_MAX) {
				pid = (pid_t)v;
				break;
			}
		}
		usleep(10000);
	}
	if (started != NULL)
		*started = fstat(fd, &st) == 0 ? st.st_mtim.tv_sec : 0;
	close(fd);
	return pid;
}

/* Read sandbox.json (written by the daemon once it listens). */
static int
info_read(const char *dir, struct sbx_info *in, struct err *e)
{
	cJSON		*o;
	char		*path, *buf;
	const char	*s;
	size_t		 len;

	path = sbx_path(dir, SBX_INFO_FILE);
	buf = sbx_read_file(path, &len, e);
	free(path);
	if (buf == NULL)
		return -1;
	o = json_parse(buf, len, e);
	free(buf);
	if (o == NULL) {
		err_wrap(e, "%s/%s", dir, SBX_INFO_FILE);
		return -1;
	}
	free(in->scheme);
	free(in->api_url);
	free(in->gateway_url);
	in->api_port = (int)json_num(o, "api_port", 0);
	in->gateway_port = (int)json_num(o, "gateway_port", 0);
	s = json_str(o, "scheme");
	in->scheme = xstrdup(s != NULL ? s : "https");
	in->api_url = (s = json_str(o, "api_url")) != NULL ? xstrdup(s) :
	    xasprintf("%s://127.0.0.1:%d", in->scheme, in->api_port);
	in->gateway_url = (s = json_str(o, "gateway_url")) != NULL ?
	    xstrdup(s) : xasprintf("%s://127.0.0.1:%d", in->scheme,
	    in->gateway_port);
	in->have = 1;
	in->pid = (pid_t)json_num(o, "pid", 0);
	cJSON_Delete(o);
	return 0;
}

/* The state of the sandbox in dir: running pid (0 if not) and info. */
static void
info_load(const char *dir, struct sbx_info *in)
{
	time_t	 started = 0;
	pid_t	 pid;

	memset(in, 0, sizeof *in);
	pid = running_pid(dir, &started);
	if (info_read(dir, in, NULL) == -1)
		in->have = 0;
	/* A running daemon that has not written its own info yet. */
	if (pid > 0 && in->have && in->pid != pid)
		in->have = 0;
	in->pid = pid;
	in->started = pid > 0 ? started : 0;
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* GET base/healthz; the HTTP status, or 0 when nothing answered. */
static long
probe_health(const char *dir, const char *base, const char *token,
    long timeout_ms)
{
	static int		 inited;
	CURL			*c;
	struct curl_slist	*h = NULL;
	char			*url, *ca, *auth = NULL;
	long			 status = 0;

	if (!inited) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		inited = 1;
	}
	if ((c = curl_easy_init()) == NULL)
		return 0;
	url = xasprintf("%s/healthz", base);
	ca = sbx_path(dir, SBX_CA_CERT);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	if (strncmp(base, "https:", 6) == 0)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	if (token != NULL) {
		auth = xasprintf("Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	}
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	xfree_secret(auth);
	free(url);
	free(ca);
	return status;
}

/* The admin token the kubeconfig carries, if one was made; caller frees
 * with xfree_secret. */
static char *
admin_token_read(const char *dir)
{
	char	*path, *tok;
	size_t	 len;

	path = sbx_path(dir, SBX_ADMIN_TOKEN);
	tok = sbx_read_file(path, &len, NULL);
	free(path);
	if (tok != NULL)
		tok[strcspn(tok, "\r\n")] = '\0';
	return tok;
}

/* The admin token: kept while it verifies as admin, else minted anew. */
static char *
admin_token_ensure(const char *dir, struct err *e)
{
	struct sbx_identity	 id;
	struct strlist		 g = STRLIST_INIT;
	char			*tok, *path, *line;
	int			 good = 0;

	if ((tok = admin_token_read(dir)) != NULL) {
		if (sbx_token_verify(dir, tok, &id, NULL) == 0) {
			good = id.admin && strcmp(id.user, ADMIN_USER) == 0;
			sbx_identity_free(&id);
		}
		if (good)
			return tok;
		xfree_secret(tok);
	}
	sl_add(&g, ADMIN_GROUP);
	tok = sbx_token_mint(dir, ADMIN_USER, &g, ADMIN_TTL, e);
	sl_free(&g);
	if (tok == NULL)
		return NULL;
	path = sbx_path(dir, SBX_ADMIN_TOKEN);
	line = xasprintf("%s\n", tok);
	if (sbx_write_file(path, line, strlen(line), 0600, e) == -1) {
		xfree_secret(tok);
		tok = NULL;
	}
	xfree_secret(line);
	free(path);
	return tok;
}

/* Write the kubeconfig (0600): one cluster, context and admin user. */
static int
kubeconfig_write(const char *dir, int plain, int api_port,
    const char *token, struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	unsigned char	*b64 = NULL;
	char		*ca = NULL, *path;
	size_t		 calen = 0;
	int		 rc = -1;

	if (!plain) {
		path = sbx_path(dir, SBX_CA_CERT);
		ca = sbx_read_file(path, &calen, e);
		free(path);
		if (ca == NULL)
			return -1;
		b64 = xmalloc(4 * ((calen + 2) / 3) + 1);
		EVP_EncodeBlock(b64, (unsigned char *)ca, (int)calen);
	}
	sb_adds(&sb, "apiVersion: v1\nkind: Config\nclusters:\n");
	sb_addf(&sb, "- name: %s\n  cluster:\n    server: %s://127.0.0.1:%d\n",
	    CONTEXT_NAME, plain ? "http" : "https", api_port);
	if (!plain)
		sb_addf(&sb, "    certificate-authority-data: %s\n", b64);
	sb_addf(&sb, "contexts:\n- name: %s\n  context:\n    cluster: %s\n"
	    "    user: %s-admin\n    namespace: default\n"
	    "current-context: %s\npreferences: {}\n", CONTEXT_NAME,
	    CONTEXT_NAME, CONTEXT_NAME, CONTEXT_NAME);
	sb_addf(&sb, "users:\n- name: %s-admin\n  user:\n    token: %s\n",
	    CONTEXT_NAME, token);
	path = sbx_path(dir, SBX_KUBECONFIG);
	rc = sbx_write_file(path, sb.buf, sb.len, 0600, e);
	free(path);
	sb_free_secret(&sb);
	free(ca);
	free(b64);
	return rc;
}

/* Can 127.0.0.1:port be bound?  0, or -1 with errno. */
static int
port_bindable(int port)
{
	struct sockaddr_in	 sin;
	int			 fd, one = 1, rc, saved;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = bind(fd, (struct sockaddr *)&sin, sizeof sin);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* A port the OS picks on 127.0.0.1; the socket stays open in *fd so two
 * picks differ. */
static int
port_pick(int *fd, struct err *e)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(*fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    getsockname(*fd, (struct sockaddr *)&sin, &len) == -1) {
		err_set(e, EXIT_ERR, "cannot find a free port on 127.0.0.1: "
		    "%s", strerror(errno));
		if (*fd != -1)
			close(*fd);
		*fd = -1;
		return -1;
	}
	return ntohs(sin.sin_port);
}

/* Turn the --port/--gateway-port values into two usable ports. */
static int
ports_resolve(int *api, int *gw, struct err *e)
{
	int	 fa = -1, fg = -1, rc = -1;

	*api = o_port >= 0 ? (int)o_port : DEFAULT_API_PORT;
	*gw = o_gateway_port >= 0 ? (int)o_gateway_port : DEFAULT_GATEWAY_PORT;
	if (*api != 0 && *api == *gw) {
		err_set(e, EXIT_USAGE, "--port and --gateway-port are both "
		    "%d: the two listeners need different ports", *api);
		return -1;
	}
	if (*api != 0 && port_bindable(*api) == -1) {
		err_set(e, EXIT_UNREACHABLE, "cannot listen on 127.0.0.1:%d "
		    "for the Kubernetes API: %s", *api, errno == EADDRINUSE ?
		    "port already in use" : strerror(errno));
		err_hint(e, "choose another with --port N, or --port 0 for "
		    "a free one");
		return -1;
	}
	if (*gw != 0 && port_bindable(*gw) == -1) {
		err_set(e, EXIT_UNREACHABLE, "cannot listen on 127.0.0.1:%d "
		    "for the gateway: %s", *gw, errno == EADDRINUSE ?
		    "port already in use" : strerror(errno));
		err_hint(e, "choose another with --gateway-port N, or "
		    "--gateway-port 0 for a free one");
		return -1;
	}
	if (*api == 0 && (*api = port_pick(&fa, e)) == -1)
		goto out;
	if (*gw == 0 && (*gw = port_pick(&fg, e)) == -1)
		goto out;
	rc = 0;
out:
	if (fa != -1)
		close(fa);
	if (fg != -1)
		close(fg);
	return rc;
}

/* Take the daemon's lock on sandbox.pid and write our pid; the fd. */
static int
pidfile_acquire(const char *dir, struct err *e)
{
	char	*path, buf[32];
	pid_t	 other;
	int	 fd, n;

	path = sbx_path(dir, SBX_PID_FILE);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1) {
		err_set(e, EXIT_ERR, "cannot open %s: %s", path,
		    strerror(errno));
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		other = running_pid(dir, NULL);
		err_set(e, EXIT_CONFLICT, "a sandbox is already running in %s "
		    "(pid %ld)", dir, (long)other);
		err_hint(e, "stop it with maasctl sandbox down");
		free(path);
		return -1;
	}
	n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)n, 0) != n) {
		err_set(e, EXIT_ERR, "cannot write %s: %s", path,
		    strerror(errno));
		close(fd);
		free(path);
		return -1;
	}
	free(path);
	return fd;
}

/*
 * Write (or update) the maasctl profile "sandbox": maas-url = the gateway,
 * the kubeconfig context, and the CA file (none with --plain).  Other
 * fields of the profile and current-profile are left alone.  The path of
 * the config file, or NULL with a warning printed: the sandbox runs anyway.
 */
static char *
profile_write(const char *dir, const struct sbx_info *in)
{
	struct err	 e = ERR_INIT;
	struct config	*cfg;
	char		*ca, *path = NULL;
	int		 https = strcmp(in->scheme, "https") == 0;

	if ((cfg = config_load(NULL, &e)) == NULL)
		goto fail;
	ca = https ? sbx_path(dir, SBX_CA_CERT) : NULL;
	if (config_set(cfg, PROFILE_NAME, "maas-url", in->gateway_url,
	    &e) == -1 ||
	    config_set(cfg, PROFILE_NAME, "context", CONTEXT_NAME, &e) == -1 ||
	    config_set(cfg, PROFILE_NAME, "ca-file", ca, &e) == -1 ||
	    config_save(cfg, &e) == -1) {
		free(ca);
		config_free(cfg);
		goto fail;
	}
	free(ca);
	path = xstrdup(config_file(cfg));
	config_free(cfg);
	return path;
fail:
	fprintf(stderr, "maasctl: warning: cannot write the maasctl profile "
	    "\"%s\": %s\n", PROFILE_NAME, e.msg != NULL ? e.msg : "unknown "
	    "error");
	err_clear(&e);
	return NULL;
}

/* Print where things are (stdout: this is the result of up). */
static void
print_where(const char *dir, const struct sbx_info *in, const char *verb)
{
	char	*profile;

	printf("sandbox %s (pid %ld)\n", verb, (long)in->pid);
	printf("  Kubernetes API:  %s\n", in->api_url);
	printf("  gateway:         %s  (MAAS_URL)\n", in->gateway_url);
	printf("  kubeconfig:      %s/%s\n", dir, SBX_KUBECONFIG);
	if (strcmp(in->scheme, "https") == 0)
		printf("  CA certificate:  %s/%s\n", dir, SBX_CA_CERT);
	if ((profile = profile_write(dir, in)) != NULL)
		printf("  maasctl profile: %s (in %s)\n", PROFILE_NAME, profile);
	printf("  state dir:       %s\n", dir);
	printf("  log:             %s/%s\n", dir, SBX_LOG_FILE);
	free(profile);
	printf("use it with:       eval \"$(maasctl sandbox env%s%s)\"\n",
	    o_state_dir != NULL ? " --state-dir " : "",
	    o_state_dir != NULL ? dir : "");
}

/*
 * The daemon's body, shared by `serve` and `up --foreground`: lock the
 * pidfile, prepare certificates, secret, admin token and kubeconfig, then
 * run sbx_serve() until SIGTERM/SIGINT.
 */
static int
serve_main(const char *dir, int foreground, int announce, struct err *e)
{
	struct sbx_config	 cfg;
	struct sbx_info		 in;
	char			*token = NULL, *path;
	int			 api, gw, fd = -1, rc = -1;

	if (sbx_mkdirs(dir, e) == -1)
		return -1;
	if ((fd = pidfile_acquire(dir, e)) == -1)
		return -1;
	if (ports_resolve(&api, &gw, e) == -1)
		goto out;
	if (sbx_certs_ensure(dir, e) == -1)
		goto out;
	if ((token = admin_token_ensure(dir, e)) == NULL)
		goto out;
	if (kubeconfig_write(dir, o_plain, api, token, e) == -1)
		goto out;
	memset(&cfg, 0, sizeof cfg);
	cfg.state_dir = dir;
	cfg.api_port = api;
	cfg.gateway_port = gw;
	cfg.plain = o_plain;
	cfg.no_controller = o_no_controller;
	cfg.foreground = foreground;
	cfg.admin_token = token;
	if (announce) {
		memset(&in, 0, sizeof in);
		in.pid = getpid();
		in.scheme = xstrdup(o_plain ? "http" : "https");
		in.api_url = xasprintf("%s://127.0.0.1:%d", in.scheme, api);
		in.gateway_url = xasprintf("%s://127.0.0.1:%d", in.scheme, gw);
		print_where(dir, &in, "serving in the foreground");
		fflush(stdout);
		info_free(&in);
	}
	rc = sbx_serve(&cfg, e);
out:
	path = sbx_path(dir, SBX_PID_FILE);
	unlink(path);
	free(path);
	close(fd);
	xfree_secret(token);
	return rc;
}

static int
serve_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	char	*dir;
	int	 rc;

	(void)ctx;
	(void)argc;
	(void)argv;
	if ((dir = state_dir(e)) == NULL)
		return -1;
	rc = serve_main(dir, !o_daemon, 0, e);
	free(dir);
	return rc;
}

/* Print the lines the daemon appended to its log since offset. */
static void
log_tail(const char *dir, off_t offset)
{
	char		*path, *buf, *p, *start;
	size_t		 len;
	int		 lines = 0;

	path = sbx_path(dir, SBX_LOG_FILE);
	buf = sbx_read_file(path, &len, NULL);
	if (buf == NULL || (off_t)len <= offset) {
		fprintf(stderr, "(the daemon wrote nothing to %s)\n", path);
		goto out;
	}
	start = buf + offset;
	p = buf + len;
	if (p > start && p[-1] == '\n')
		p--;
	while (p > start && lines < LOG_TAIL_LINES) {
		p--;
		if (*p == '\n')
			lines++;
	}
	if (*p == '\n')
		p++;
	fprintf(stderr, "last lines of %s:\n", path);
	for (; *p != '\0'; p++) {
		if (p == start || p[-1] == '\n')
			fputs("  | ", stderr);
		fputc(*p, stderr);
	}
	if (len > 0 && buf[len - 1] != '\n')
		fputc('\n', stderr);
out:
	free(buf);
	free(path);
}

/* Start `maasctl sandbox serve --daemon` in a new session; its pid. */
static pid_t
spawn_daemon(const char *dir, int api, int gw, struct err *e)
{
	char		 self[PATH_MAX], aport[16], gport[16];
	char		*logpath, *argv[16];
	ssize_t		 n;
	pid_t		 pid;
	int		 fd, i = 0;

	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) == -1) {
		err_set(e, EXIT_ERR, "cannot find the maasctl binary: %s",
		    strerror(errno));
		return -1;
	}
	self[n] = '\0';
	snprintf(aport, sizeof aport, "%d", api);
	snprintf(gport, sizeof gport, "%d", gw);
	argv[i++] = self;
	argv[i++] = (char *)"sandbox";
	argv[i++] = (char *)"serve";
	argv[i++] = (char *)"--daemon";
	argv[i++] = (char *)"--state-dir";
	argv[i++] = (char *)dir;
	argv[i++] = (char *)"--port";
	argv[i++] = aport;
	argv[i++] = (char *)"--gateway-port";
	argv[i++] = gport;
	if (o_plain)
		argv[i++] = (char *)"--plain";
	if (o_no_controller)
		argv[i++] = (char *)"--no-controller";
	argv[i] = NULL;

	logpath = sbx_path(dir, SBX_LOG_FILE);
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		err_set(e, EXIT_ERR, "cannot start the sandbox daemon: %s",
		    strerror(errno));
		free(logpath);
		return -1;
	}
	if (pid == 0) {
		setsid();
		if ((fd = open("/dev/null", O_RDONLY)) != -1) {
			dup2(fd, 0);
			if (fd > 2)
				close(fd);
		}
		if ((fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND,
		    0600)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
		closefrom(3);
		if (chdir("/") == -1)
			_exit(EXIT_ERR);
		execv(self, argv);
		fprintf(stderr, "maasctl: cannot run %s: %s\n", self,
		    strerror(errno));
		_exit(EXIT_ERR);
	}
	free(logpath);
	return pid;
}

/* Stop the daemon pid: SIGTERM, wait, then SIGKILL.  0 once it is gone. */
static int
stop_daemon(const char *dir, pid_t pid, double timeout, struct err *e)
{
	double	 deadline;
	char	*path;
	int	 killed = 0;

	if (kill(pid, SIGTERM) == -1 && errno != ESRCH) {
		err_set(e, EXIT_ERR, "cannot stop the sandbox (pid %ld): %s",
		    (long)pid, strerror(errno));
		return -1;
	}
	deadline = clock_mono_s() + timeout;
	for (;;) {
		if (!proc_alive(pid) && running_pid(dir, NULL) == 0)
			break;
		if (clock_mono_s() >= deadline) {
			if (killed) {
				err_set(e, EXIT_TIMEOUT, "the sandbox (pid %ld) "
				    "did not exit after SIGKILL", (long)pid);
				return -1;
			}
			fprintf(stderr, "maasctl: the sandbox (pid %ld) did not "
			    "exit within %.0fs of SIGTERM; sending SIGKILL\n",
			    (long)pid, timeout);
			/* The daemon leads its own session: end it all. */
			if (getsid(pid) == pid)
				kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			killed = 1;
			deadline = clock_mono_s() + 5;
		}
		usleep(20000);
	}
	path = sbx_path(dir, SBX_PID_FILE);
	unlink(path);
	free(path);
	return 0;
}

static double
timeout_or(const struct ctx *ctx, double def)
{
	return ctx->g.timeout > 0 ? ctx->g.timeout : def;
}

/* Hold the state dir's up.lock so two `up`s do not race. */
static int
up_lock(const char *dir, struct err *e)
{
	char	*path;
	int	 fd;

	path = sbx_path(dir, "up.lock");
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1 ||
	    flock(fd, LOCK_EX) == -1) {
		err_set(e, EXIT_ERR, "cannot lock %s: %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	free(path);
	return fd;
}

static int
up_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct sbx_info	 in;
	struct stat	 st;
	char		*dir, *logpath, *token = NULL;
	double		 deadline, timeout;
	off_t		 logoff = 0;
	pid_t		 pid, w;
	long		 status;
	int		 api, gw, lockfd = -1, rc = -1, ws, code;

	(void)argc;
	(void)argv;
	memset(&in, 0, sizeof in);
	if ((dir = state_dir(e)) == NULL)
		return -1;
	if (o_foreground) {
		rc = serve_main(dir, 1, 1, e);
		free(dir);
		return rc;
	}
	if (o_port > 0 && o_port == o_gateway_port) {
		err_set(e, EXIT_USAGE, "--port and --gateway-port are both "
		    "%ld: the two listeners need different ports", o_port);
		goto out;
	}
	if (sbx_mkdirs(dir, e) == -1 || (lockfd = up_lock(dir, e)) == -1)
		goto out;

	info_load(dir, &in);
	/* One that is starting gets the time up gives a new one. */
	deadline = clock_mono_s() + timeout_or(ctx, DEFAULT_UP_TIMEOUT);
	while (in.pid > 0 && !in.have && clock_mono_s() < deadline) {
		usleep(50000);
		info_free(&in);
		info_load(dir, &in);
	}
	if (in.pid > 0) {
		if (!in.have) {
			err_set(e, EXIT_TIMEOUT, "a sandbox is running in %s "
			    "(pid %ld) but has not written %s", dir,
			    (long)in.pid, SBX_INFO_FILE);
			goto out;
		}
		if ((o_port > 0 && o_port != in.api_port) ||
		    (o_gateway_port > 0 && o_gateway_port != in.gateway_port))
			fprintf(stderr, "maasctl: warning: the running sandbox "
			    "keeps its ports; run maasctl sandbox down first "
			    "to change them\n");
		print_where(dir, &in, "already running");
		rc = 0;
		goto out;
	}
	info_free(&in);

	if (ports_resolve(&api, &gw, e) == -1)
		goto out;
	logpath = sbx_path(dir, SBX_LOG_FILE);
	if (stat(logpath, &st) == 0)
		logoff = st.st_size;
	free(logpath);
	if ((pid = spawn_daemon(dir, api, gw, e)) == -1)
		goto out;

	timeout = timeout_or(ctx, DEFAULT_UP_TIMEOUT);
	deadline = clock_mono_s() + timeout;
	for (;;) {
		if ((w = waitpid(pid, &ws, WNOHANG)) == pid) {
			code = WIFEXITED(ws) ? WEXITSTATUS(ws) : EXIT_ERR;
			log_tail(dir, logoff);
			if (WIFSIGNALED(ws))
				err_set(e, EXIT_ERR, "the sandbox daemon was "
				    "killed by signal %d before it answered",
				    WTERMSIG(ws));
			else
				err_set(e, code > 0 && code < 10 ? code :
				    EXIT_ERR, "the sandbox daemon exited with "
				    "status %d before it answered", code);
			goto out;
		}
		if (token == NULL)
			token = admin_token_read(dir);
		if (info_read(dir, &in, NULL) == 0 && in.pid == pid) {
			status = probe_health(dir, in.api_url, token, 1000);
			if (status == 200)
				break;
		}
		if (clock_mono_s() >= deadline) {
			log_tail(dir, logoff);
			stop_daemon(dir, pid, 5, NULL);
			waitpid(pid, &ws, WNOHANG);
			err_set(e, EXIT_TIMEOUT, "the sandbox did not answer "
			    "%s://127.0.0.1:%d/healthz within %.0fs", o_plain ?
			    "http" : "https", api, timeout);
			err_hint(e, "it was stopped; see %s/%s", dir,
			    SBX_LOG_FILE);
			goto out;
		}
		usleep(50000);
	}
	in.pid = pid;
	print_where(dir, &in, "running");
	rc = 0;
out:
	if (lockfd != -1)
		close(lockfd);
	xfree_secret(token);
	info_free(&in);
	free(dir);
	return rc;
}

static int
down_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	char	*dir;
	pid_t	 pid;
	int	 rc = -1;

	(void)argc;
	(void)argv;
	if ((dir = state_dir(e)) == NULL)
		return -1;
	if ((pid = running_pid(dir, NULL)) == 0) {
		fprintf(stderr, "maasctl: no sandbox is running in %s\n", dir);
		rc = 0;
		goto out;
	}
	if (stop_daemon(dir, pid, timeout_or(ctx, DEFAULT_DOWN_TIMEOUT),
	    e) == -1)
		goto out;
	printf("sandbox stopped (pid %ld)\n", (long)pid);
	rc = 0;
out:
	free(dir);
	return rc;
}

static int
status_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct sbx_info	 in;
	cJSON		*o;
	char		*dir, *s, *up = NULL, *token;
	const char	*fmt = ctx->g.output;
	long		 health = 0;
	int		 running;
	time_t		 now = time(NULL);
	double		 uptime = 0;

	(void)argc;
	(void)argv;
	if (fmt != NULL && strcmp(fmt, "json") != 0)
		return err_set(e, EXIT_USAGE, "sandbox status: unsupported "
		    "output format \"%s\" (want json)", fmt);
	if ((dir = state_dir(e)) == NULL)
		return -1;
	info_load(dir, &in);
	if (in.pid > 0 && in.have) {
		token = admin_token_read(dir);
		health = probe_health(dir, in.api_url, token, 2000);
		xfree_secret(token);
	}
	if (in.pid > 0 && in.started > 0 && now >= in.started) {
		uptime = (double)(now - in.started);
		up = duration_format(uptime);
	}
	if (fmt != NULL) {
		o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "running", in.pid > 0);
		if (in.pid > 0) {
			cJSON_AddBoolToObject(o, "healthy", health == 200);
			cJSON_AddNumberToObject(o, "pid", in.pid);
			if (in.have) {
				cJSON_AddStringToObject(o, "scheme", in.scheme);
				cJSON_AddNumberToObject(o, "apiPort",
				    in.api_port);
				cJSON_AddNumberToObject(o, "gatewayPort",
				    in.gateway_port);
				cJSON_AddStringToObject(o, "apiURL",
				    in.api_url);
				cJSON_AddStringToObject(o, "gatewayURL",
				    in.gateway_url);
			}
			cJSON_AddNumberToObject(o, "uptimeSeconds", uptime);
		}
		cJSON_AddStringToObject(o, "stateDir", dir);
		s = sbx_path(dir, SBX_KUBECONFIG);
		cJSON_AddStringToObject(o, "kubeconfig", s);
		free(s);
		s = sbx_path(dir, SBX_LOG_FILE);
		cJSON_AddStringToObject(o, "logFile", s);
		free(s);
		s = json_print(o, 1);
		fputs(s, stdout);
		if (s[0] != '\0' && s[strlen(s) - 1] != '\n')
			fputc('\n', stdout);
		cJSON_free(s);
		cJSON_Delete(o);
	} else if (in.pid > 0) {
		printf("sandbox:         running%s\n", health == 200 ? "" :
		    " (not answering /healthz)");
		printf("pid:             %ld\n", (long)in.pid);
		if (up != NULL)
			printf("uptime:          %s\n", up);
		if (in.have) {
			printf("Kubernetes API:  %s\n", in.api_url);
			printf("gateway:         %s\n", in.gateway_url);
		}
		printf("kubeconfig:      %s/%s\n", dir, SBX_KUBECONFIG);
		printf("state dir:       %s\n", dir);
		printf("log:             %s/%s\n", dir, SBX_LOG_FILE);
	} else {
		printf("sandbox:         not running\n");
		printf("state dir:       %s\n", dir);
	}
	running = in.pid > 0;
	free(up);
	free(dir);
	info_free(&in);
	/* Not running is a result, not an error: exit 1, no message. */
	return running ? 0 : EXIT_ERR;
}

/* Quote s for a POSIX shell ('...'). */
static void
shell_quote(struct strbuf *sb, const char *s)
{
	sb_addc(sb, '\'');
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			sb_adds(sb, "'\\''");
		else
			sb_addc(sb, *s);
	}
	sb_addc(sb, '\'');
}

static int
env_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct sbx_info	 in;
	struct strbuf	 sb = STRBUF_INIT;
	char		*dir, *kc;

	(void)ctx;
	(void)argc;
	(void)argv;
	if ((dir = state_dir(e)) == NULL)
		return -1;
	info_load(dir, &in);
	if (!in.have) {
		err_set(e, EXIT_ERR, "no sandbox has run in %s", dir);
		err_hint(e, "start one with maasctl sandbox up");
		free(dir);
		return -1;
	}
	if (in.pid == 0)
		fprintf(stderr, "maasctl: warning: the sandbox in %s is not "
		    "running; start it with maasctl sandbox up\n", dir);
	kc = sbx_path(dir, SBX_KUBECONFIG);
	sb_adds(&sb, "export KUBECONFIG=");
	shell_quote(&sb, kc);
	sb_adds(&sb, "\nexport MAAS_URL=");
	shell_quote(&sb, in.gateway_url);
	sb_adds(&sb, "\nexport MAASCTL_PROFILE=" PROFILE_NAME "\n");
	fputs(sb.buf, stdout);
	sb_free(&sb);
	free(kc);
	free(dir);
	info_free(&in);
	return 0;
}

/* Files only a sandbox state dir has: reset wipes nothing else. */
static int
looks_like_state_dir(const char *dir)
{
	static const char *const marks[] = {
		SBX_TOKEN_SECRET, SBX_CA_CERT, SBX_DB_FILE, SBX_INFO_FILE,
		SBX_PID_FILE, SBX_KUBECONFIG, SBX_ADMIN_TOKEN, SBX_LOG_FILE,
		NULL
	};
	struct stat	 st;
	char		*p;
	int		 i, found = 0;

	for (i = 0; marks[i] != NULL && !found; i++) {
		p = sbx_path(dir, marks[i]);
		found = lstat(p, &st) == 0;
		free(p);
	}
	return found;
}

static int
rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		return rmdir(p) == -1 ? -1 : 0;
	return unlink(p) == -1 && errno != ENOENT ? -1 : 0;
}

static int
reset_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct stat	 st;
	char		*dir, line[64];
	pid_t		 pid;
	int		 rc = -1;

	(void)argc;
	(void)argv;
	if ((dir = state_dir(e)) == NULL)
		return -1;
	if (lstat(dir, &st) == -1 && errno == ENOENT) {
		printf("nothing to reset: %s does not exist\n", dir);
		rc = 0;
		goto out;
	}
	if (!S_ISDIR(st.st_mode) || !looks_like_state_dir(dir)) {
		err_set(e, EXIT_ERR, "refusing to reset %s: it is not a "
		    "sandbox state directory", dir);
		goto out;
	}
	if (!o_yes) {
		if (!isatty(STDIN_FILENO)) {
			err_set(e, EXIT_USAGE, "sandbox reset: refusing to "
			    "delete %s without --yes (stdin is not a "
			    "terminal)", dir);
			goto out;
		}
		fprintf(stderr, "Delete the sandbox in %s (objects, keys, "
		    "certificates, kubeconfig)%s? [y/N] ", dir,
		    running_pid(dir, NULL) > 0 ? ", stopping it first" : "");
		fflush(stderr);
		if (fgets(line, sizeof line, stdin) == NULL ||
		    (strcmp(line, "y\n") != 0 && strcmp(line, "yes\n") != 0 &&
		    strcmp(line, "Y\n") != 0)) {
			fprintf(stderr, "maasctl: reset cancelled\n");
			rc = EXIT_ERR;
			goto out;
		}
	}
	if ((pid = running_pid(dir, NULL)) > 0) {
		if (stop_daemon(dir, pid, timeout_or(ctx,
		    DEFAULT_DOWN_TIMEOUT), e) == -1)
			goto out;
		printf("sandbox stopped (pid %ld)\n", (long)pid);
	}
	if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == -1) {
		err_set(e, EXIT_ERR, "cannot delete %s: %s", dir,
		    strerror(errno));
		goto out;
	}
	printf("sandbox state deleted: %s\n", dir);
	rc = 0;
out:
	free(dir);
	return rc;
}

static int
token_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	char	*dir, *tok;

	(void)ctx;
	(void)argc;
	(void)argv;
	if (o_user == NULL) {
		err_set(e, EXIT_USAGE, "sandbox token: --user is required");
		err_hint(e, "usage: maasctl sandbox token %s",
		    "--user U [--group G]... [--ttl D] [--state-dir D]");
		return -1;
	}
	if (o_ttl < 0)
		return err_set(e, EXIT_USAGE, "sandbox token: --ttl must not "
		    "be negative");
	if ((dir = state_dir(e)) == NULL)
		return -1;
	tok = sbx_token_mint(dir, o_user, &o_groups, o_ttl, e);
	free(dir);
	sl_free(&o_groups);
	if (tok == NULL)
		return -1;
	printf("%s\n", tok);
	xfree_secret(tok);
	return 0;
}

static const struct command sandbox_up = {
	.name = "up",
	.summary = "Start the local sandbox (daemon on 127.0.0.1)",
	.usage = "[--port N] [--gateway-port N] [--plain] [--no-controller] "
	    "[--state-dir D] [--foreground]",
	.opts = up_opts,
	.run = up_run,
	.max_args = 0,
};

static const struct command sandbox_down = {
	.name = "down",
	.summary = "Stop the sandbox and wait until it has exited",
	.usage = "[--state-dir D]",
	.opts = dir_opts,
	.run = down_run,
	.max_args = 0,
};

static const struct command sandbox_status = {
	.name = "status",
	.summary = "Show whether the sandbox runs, its pid, ports and URLs",
	.usage = "[--state-dir D] [-o json]",
	.opts = dir_opts,
	.run = status_run,
	.max_args = 0,
};

static const struct command sandbox_env = {
	.name = "env",
	.summary = "Print shell exports for using the sandbox",
	.usage = "[--state-dir D]",
	.opts = dir_opts,
	.run = env_run,
	.max_args = 0,
};

static const struct command sandbox_reset = {
	.name = "reset",
	.summary = "Stop the sandbox and delete all of its state",
	.usage = "[--yes] [--state-dir D]",
	.opts = reset_opts,
	.run = reset_run,
	.max_args = 0,
};

static const struct command sandbox_serve = {
	.name = "serve",
	.summary = "Run the sandbox in the foreground, logging to stderr",
	.usage = "[--port N] [--gateway-port N] [--plain] [--no-controller] "
	    "[--state-dir D]",
	.opts = serve_opts,
	.run = serve_run,
	.max_args = 0,
};

static const struct command sandbox_token = {
	.name = "token",
	.summary = "Print a bearer token for a sandbox user",
	.usage = "--user U [--group G]... [--ttl D] [--state-dir D]",
	.opts = token_opts,
	.run = token_run,
	.max_args = 0,
};

static const struct command *const sandbox_sub[] = {
	&sandbox_up, &sandbox_down, &sandbox_status, &sandbox_env,
	&sandbox_reset, &sandbox_serve, &sandbox_token, NULL
};

const struct command cmd_sandbox = {
	.name = "sandbox",
	.summary = "Run the local emulated MaaS platform",
	.usage = "up|down|status|env|reset|serve|token",
	.sub = sandbox_sub,
};
