/*
 * test_kubeconfig.c: kubeconfig merge rules, path resolution, overrides,
 * validation messages, in-cluster config and exec credential plugins
 * (parsing, caching until expiry, re-run after a 401).  Run from the
 * repository root (tests/run does): fixtures are tests/fixtures/kubeconfig.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "kubeconfig.h"
#include "tap.h"

#define FIX "tests/fixtures/kubeconfig/"

static char	 cwd[4096];
static char	 tmpdir[] = "/tmp/test_kubeconfig.XXXXXX";

static struct kubeconfig_resolved *
resolve_env(const char *kubeconfig_env, const struct kube_overrides *ov,
    struct err *e)
{
	setenv("KUBECONFIG", kubeconfig_env, 1);
	return kubeconfig_client(NULL, ov, e);
}

static char *
fix_abs(const char *rel)
{
	return xasprintf("%s/" FIX "%s", cwd, rel);
}

static char *
slurp(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*buf;
	long	 n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = xmalloc((size_t)n + 1);
	buf[fread(buf, 1, (size_t)n, f)] = '\0';
	fclose(f);
	return buf;
}

TEST(merge_first_wins)
{
	struct err			 e = ERR_INIT;
	struct kubeconfig_resolved	*r;
	struct kube_creds		 c;

	r = resolve_env(FIX "merge-conflict/a.yaml:" FIX "merge-conflict/b.yaml",
	    NULL, &e);
	ok(r != NULL, "merged a:b resolves (%s)", e.msg ? e.msg : "");
	if (r == NULL)
		return;
	is_str(r->context, "red", "current-context from the first file");
	is_str(r->server, "https://first.example.com",
	    "cluster 'shared' from the first file");
	ok(r->tls_server_name == NULL,
	    "no field of the second file's 'shared' leaks in");
	is_str(r->namespace, "red-ns", "namespace of the first file's context");
	ok(r->username == NULL && r->cert_file == NULL,
	    "user red-user is the first file's, whole");
	ok(kubeconfig_credentials(r, &c, &e) == 0, "credentials");
	is_str(c.token, "first-token", "token of the first red-user");
	kubeconfig_resolved_free(r);
}

TEST(merge_other_order)
{
	struct err			 e = ERR_INIT;
	struct kubeconfig_resolved	*r;
	char				*crt;

	r = resolve_env(FIX "merge-conflict/b.yaml:" FIX "merge-conflict/a.yaml",
	    NULL, &e);
	ok(r == NULL, "b:a fails: b's red-user has a cert and no key");
	crt = fix_abs("merge-conflict/b.crt");
	ok(e.msg != NULL && strstr(e.msg, "client-key-data or client-key must "
	    "be specified for red-user to use the clientCert authentication "
	    "method.") != NULL, "key missing: kubectl's message");
	ok(e.msg != NULL && strncmp(e.msg, "Error in configuration: \n* ",
	    27) == 0, "several errors as kubectl lists them");
	ok(e.msg != NULL && strstr(e.msg, crt) != NULL,
	    "cert path resolved against b.yaml's directory");
	is_int(e.code, EXIT_AUTH, "exit 3");
	free(crt);
	err_clear(&e);
}

TEST(overrides)
{
	struct err			 e = ERR_INIT;
	struct kubeconfig_resolved	*r;
	struct kube_overrides		 ov = { 0 };
	struct kube_creds		 c;
	const char			*env = FIX "merge-conflict/a.yaml:"
					    FIX "merge-conflict/b.yaml";

	ov.context = "blue";
	r = resolve_env(env, &ov, &e);
	ok(r != NULL, "--context blue");
	if (r != NULL) {
		is_str(r->server, "https://b.example.com", "blue's cluster");
		is_str(r->namespace, "blue-ns", "blue's namespace");
		is_str(r->user_name, "red-user", "blue's user");
		kubeconfig_resolved_free(r);
	}
	memset(&ov, 0, sizeof ov);
	ov.cluster = "only-b";
	ov.user = "blue-user";
	ov.namespace = "cli-ns";
	ov.server = "https://override.example.com:6443";
	r = resolve_env(env, &ov, &e);
	ok(r != NULL, "--cluster --user -n --server");
	if (r != NULL) {
		is_str(r->context, "red", "context unchanged");
		is_str(r->server, "https://override.example.com:6443",
		    "--server wins");
		is_str(r->namespace, "cli-ns", "-n wins");
		ok(kubeconfig_credentials(r, &c, &e) == 0 &&
		    c.token != NULL && strcmp(c.token, "blue-token") == 0,
		    "--user picks blue-user's token");
		kubeconfig_resolved_free(r);
	}
	memset(&ov, 0, sizeof ov);
	ov.token = "cli-token";
	ov.context = "nope";
	r = resolve_env(env, &ov, &e);
	ok(r == NULL, "--context to a missing context fails");
	is_str(e.msg, "Error in configuration: context was not found for "
	    "specified context: nope", "kubectl's message");
	is_int(e.code, EXIT_AUTH, "exit 3");
	err_clear(&e);
	ov.context = NULL;
	r = resolve_env(env, &ov, &e);
	ok(r != NULL && kubeconfig_credentials(r, &c, &e) == 0 &&
	    strcmp(c.token, "cli-token") == 0, "--token wins");
	kubeconfig_resolved_free(r);
	/* --insecure and --ca-file drop the kubeconfig's CA. */
	memset(&ov, 0, sizeof ov);
	ov.insecure = 1;
	r = resolve_env(FIX "data-fields/config", &ov, &e);
	ok(r != NULL && r->insecure && r->ca_pem == NULL && r->ca_file == NULL,
	    "--insecure clears certificate-authority-data");
	kubeconfig_resolved_free(r);
	memset(&ov, 0, sizeof ov);
	ov.ca_file = FIX "relative-paths/sub/certs/ca.crt";
	r = resolve_env(FIX "data-fields/config", &ov, &e);
	ok(r != NULL && r->ca_pem == NULL && r->ca_file != NULL &&
	    r->ca_file[0] == '/' && strstr(r->ca_file,
	    "relative-paths/sub/certs/ca.crt") != NULL,
	    "--ca-file replaces the data, made absolute against the cwd");
	kubeconfig_resolved_free(r);
	memset(&ov, 0, sizeof ov);
	ov.server = "https://other:1";
	r = resolve_env(FIX "extra-fields/config", &ov, &e);
	ok(r != NULL && r->tls_server_name == NULL,
	    "--server drops the kubeconfig's tls-server-name");
	kubeconfig_resolved_free(r);
	r = resolve_env(FIX "extra-fields/config", NULL, &e);
	ok(r != NULL, "extra-fields resolves");
	if (r != NULL) {
		is_str(r->tls_server_name, "api.internal", "tls-server-name");
		is_str(r->proxy_url, "socks5://proxy.example.com:1080",
		    "proxy-url");
		ok(r->disable_compression, "disable-compression");
		is_str(r->as_user, "jane", "as");
		is_int(r->as_groups.n, 2, "as-groups");
		kubeconfig_resolved_free(r);
	}
}

TEST(relative_paths)
{
	struct err			 e = ERR_INIT;
	struct kubeconfig_resolved	*r;
	struct kube_creds		 c;
	char				*want;

	r = resolve_env(FIX "relative-paths/sub/config", NULL, &e);
	ok(r != NULL, "relative-paths resolves (%s)", e.msg ? e.msg : "");
	if (r == NULL)
		return;
	want = fix_abs("relative-paths/sub/certs/ca.crt");
	is_str(r->ca_file, want, "certificate-authority against the file dir");
	free(want);
	want = fix_abs("relative-paths/sub/certs/client.crt");
	is_str(r->cert_file, want, "client-certificate");
	free(want);
	want = fix_abs("relative-paths/key.pem");
	is_str(r->key_file, want, "client-key with ../ cleaned");
	free(want);
	want = fix_abs("relative-paths/sub/token");
	is_str(r->token_file, want, "tokenFile");
	free(want);
	ok(kubeconfig_credentials(r, &c, &e) == 0, "credentials");
	is_str(c.token, "file-token", "token read from tokenFile, trimmed");
	kubeconfig_resolved_free(r);

	/* The second file's cluster resolves against its own directory. */
	r = resolve_env(FIX "relative-merge/other/config:"
	    FIX "relative-merge/sub/config", NULL, &e);
	ok(r != NULL, "relative-merge resolves");
	if (r != NULL) {
		want = fix_abs("relative-merge/sub/certs/ca.crt");
		is_str(r->ca_file, want, "ca of 'rel' from sub/");
		free(want);
		want = fix_abs("relative-merge/sub/certs/client.crt");
		is_str(r->cert_file, want, "user 'rel' from sub/");
		free(want);
		kubeconfig_resolved_free(r);
	}
}

TEST(data_fields)
{
	struct err			 e = ERR_INIT;
	struct kubeconfig_resolved	*r;
	struct kube_creds		 c;

	r = resolve_env(FIX "data-fields/config", NULL, &e);
	ok(r != NULL, "data-fields resolves");
	if (r == NULL)
		return;
	ok(r->ca_pem != NULL && strstr(r->ca_pem, "BEGIN CERTIFICATE") != NULL,
	    "certificate-authority-data decoded to PEM");
	ok(kubeconfig_credentials(r, &c, &e) == 0 && c.cert_pem != NULL &&
	    c.key_pem != NULL && strstr(c.key_pem, "PRIVATE KEY") != NULL &&
	    c.token == NULL, "client cert and multi-line key data decoded");
	is_str(r->namespace, "data-ns", "namespace");
	kubeconfig_resolved_free(r);

	r = resolve_env(FIX "data-and-path/config", NULL, &e);
	ok(r == NULL, "CA path and data together fail");
	ok(e.msg && strstr(e.msg, "certificate-authority-data and "
	    "certificate-authority are both specified for both. "
	    "certificate-authority-data will override.") != NULL,
	    "CA path and data: kubectl's message");
	ok(e.msg && strstr(e.msg, "more than one authentication method found "
	    "for both; found [token basicAuth], only one is allowed") != NULL,
	    "token and basic auth together fail");
	err_clear(&e);
}

TEST(empty_and_broken)
{
	struct err		 e = ERR_INIT;
	struct kubeconfig	*kc;
	const char		*bad = "clusters:\n- name: c\n  cluster:\n"
				    "    server: 5\n";

	setenv("KUBECONFIG", FIX "nope-1:" FIX "nope-2", 1);
	unsetenv("KUBERNETES_SERVICE_HOST");
	ok(kubeconfig_client(NULL, NULL, &e) == NULL, "no config fails");
	is_str(e.msg, "error: invalid configuration: no configuration has been "
	    "provided, try setting KUBERNETES_MASTER environment variable",
	    "kubectl's no-configuration message");
	is_int(e.code, EXIT_AUTH, "exit 3");
	err_clear(&e);

	kc = kubeconfig_load_buf(bad, strlen(bad), "mem.yaml", &e);
	ok(kc == NULL, "number for server fails");
	is_str(e.msg, "error: error loading config file \"mem.yaml\": json: "
	    "cannot unmarshal number into Go struct field Cluster.clusters."
	    "cluster.server of type string", "Go's decode message");
	err_clear(&e);
	kc = kubeconfig_load(FIX "broken-yaml/config", &e);
	ok(kc == NULL && e.code == EXIT_AUTH && e.msg != NULL &&
	    strncmp(e.msg, "error: error loading config file \""
	    FIX "broken-yaml/config\": yaml: line ", 60) == 0,
	    "broken yaml: %s", e.msg);
	err_clear(&e);
	kc = kubeconfig_load(FIX "nope.yaml", &e);
	is_str(e.msg, "error: stat " FIX "nope.yaml: no such file or directory",
	    "--kubeconfig must exist");
	err_clear(&e);
	setenv("KUBECONFIG", FIX "single/config:" FIX "broken-base64/config", 1);
	kc = kubeconfig_load(NULL, &e);
	is_str(e.msg, "error: error loading config file \"" FIX
	    "broken-base64/config\": illegal base64 data at input byte 4",
	    "a broken file in KUBECONFIG is named");
	err_clear(&e);
}

TEST(in_cluster)
{
	struct err			 e = ERR_INIT;
	struct kubeconfig_resolved	*r;
	struct kube_creds		 c;
	struct kube_overrides		 ov = { 0 };
	char				*sa = fix_abs("in-cluster/serviceaccount");
	char				*path;
	FILE				*f;

	setenv("KUBECONFIG", FIX "nope-1", 1);
	setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	setenv("MAASCTL_SERVICEACCOUNT_DIR", sa, 1);
	unsetenv("POD_NAMESPACE");
	r = kubeconfig_client(NULL, NULL, &e);
	ok(r != NULL, "in-cluster fallback (%s)", e.msg ? e.msg : "");
	if (r != NULL) {
		ok(r->in_cluster, "marked in-cluster");
		is_str(r->server, "https://10.0.0.1:443", "server");
		is_str(r->namespace, "pod-ns", "namespace file, trimmed");
		ok(r->ca_file != NULL && strstr(r->ca_file, "ca.crt"), "ca.crt");
		ok(kubeconfig_credentials(r, &c, &e) == 0 &&
		    strcmp(c.token, "sa-token-1") == 0, "service-account token");
		kubeconfig_resolved_free(r);
	}
	setenv("POD_NAMESPACE", "env-ns", 1);
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	ov.namespace = NULL;
	r = kubeconfig_client(NULL, &ov, &e);
	ok(r != NULL && strcmp(r->namespace, "env-ns") == 0, "POD_NAMESPACE");
	ok(r != NULL && strcmp(r->server, "https://[fd00::1]:443") == 0,
	    "IPv6 host bracketed");
	kubeconfig_resolved_free(r);
	ov.namespace = "flag-ns";
	r = kubeconfig_client(NULL, &ov, &e);
	ok(r != NULL && strcmp(r->namespace, "flag-ns") == 0, "-n wins");
	kubeconfig_resolved_free(r);
	unsetenv("POD_NAMESPACE");

	/* A rotated token is picked up once the cached copy is stale. */
	path = xasprintf("%s/token", tmpdir);
	f = fopen(path, "w");
	fputs("rot-1\n", f);
	fclose(f);
	free(path);
	setenv("MAASCTL_SERVICEACCOUNT_DIR", tmpdir, 1);
	setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
	r = kubeconfig_client(NULL, NULL, &e);
	ok(r != NULL && strcmp(r->namespace, "default") == 0,
	    "no namespace file: default");
	if (r != NULL) {
		path = xasprintf("%s/token", tmpdir);
		f = fopen(path, "w");
		fputs("rot-2\n", f);
		fclose(f);
		free(path);
		ok(kubeconfig_credentials(r, &c, &e) == 0 &&
		    strcmp(c.token, "rot-1") == 0, "fresh copy is reused");
		r->token_read -= 61;
		ok(kubeconfig_credentials(r, &c, &e) == 0 &&
		    strcmp(c.token, "rot-2") == 0, "re-read after a minute");
		kubeconfig_resolved_free(r);
	}
	/* A kubeconfig that defines something wins over in-cluster. */
	r = resolve_env(FIX "single/config", NULL, &e);
	ok(r != NULL && !r->in_cluster && strcmp(r->server,
	    "https://dev.example.com:6443") == 0, "kubeconfig first");
	kubeconfig_resolved_free(r);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	unsetenv("MAASCTL_SERVICEACCOUNT_DIR");
	free(sa);
}

TEST(exec_plugin)
{
	struct err			 e = ERR_INIT;
	struct kubeconfig_resolved	*r;
	struct kube_creds		 c;
	struct kube_exec		*x;
	char				*count, *info, *plugin, *s;

	count = xasprintf("%s/count", tmpdir);
	info = xasprintf("%s/info", tmpdir);
	unlink(count);
	setenv("PLUGIN_COUNT_FILE", count, 1);
	setenv("PLUGIN_INFO_FILE", info, 1);
	r = resolve_env(FIX "exec-v1/config", NULL, &e);
	ok(r != NULL && r->exec != NULL, "exec user resolves");
	if (r == NULL)
		return;
	x = r->exec;
	plugin = fix_abs("exec-v1/bin/plugin.sh");
	is_str(x->command, plugin, "command with a slash resolved");
	free(plugin);
	ok(kubeconfig_credentials(r, &c, &e) == 0, "plugin runs (%s)",
	    e.msg ? e.msg : "");
	is_str(c.token, "exec-token-1", "token from status, env passed");
	ok(x->expiry > time(NULL) + 3000, "expirationTimestamp parsed");
	ok(kubeconfig_credentials(r, &c, &e) == 0 &&
	    strcmp(c.token, "exec-token-1") == 0 && x->runs == 1,
	    "cached until expiry");
	s = slurp(info);
	ok(s != NULL && strstr(s, "\"kind\":\"ExecCredential\"") &&
	    strstr(s, "\"apiVersion\":\"client.authentication.k8s.io/v1\"") &&
	    strstr(s, "\"server\":\"https://exec.example.com\"") &&
	    strstr(s, "\"config\":{\"audience\":\"maas\"}") &&
	    strstr(s, "\"interactive\":false"), "KUBERNETES_EXEC_INFO: %s", s);
	free(s);
	is_int(kubeconfig_unauthorized(r), 1, "401 drops the credential");
	ok(kubeconfig_credentials(r, &c, &e) == 0 &&
	    strcmp(c.token, "exec-token-2") == 0 && x->runs == 2,
	    "plugin runs again after the 401");
	/* Expired credentials are refreshed on every use. */
	sl_free(&x->args);
	sl_add(&x->args, "--expiry");
	sl_add(&x->args, "-10");
	kubeconfig_unauthorized(r);
	ok(kubeconfig_credentials(r, &c, &e) == 0 &&
	    strcmp(c.token, "exec-token-3") == 0, "expired credential");
	ok(kubeconfig_credentials(r, &c, &e) == 0 &&
	    strcmp(c.token, "exec-token-4") == 0, "re-run when expired");
	/* Failures. */
	sl_free(&x->args);
	sl_add(&x->args, "--fail");
	sl_add(&x->args, "3");
	kubeconfig_unauthorized(r);
	ok(kubeconfig_credentials(r, &c, &e) == -1, "plugin exit 3 fails");
	ok(e.msg && strstr(e.msg, "exec: executable ") &&
	    strstr(e.msg, "plugin.sh failed with exit code 3"), "%s", e.msg);
	err_clear(&e);
	free(x->command);
	x->command = xstrdup("maasctl-no-such-plugin");
	ok(kubeconfig_credentials(r, &c, &e) == -1, "missing plugin fails");
	is_str(e.msg, "getting credentials: exec: executable "
	    "maasctl-no-such-plugin not found", "not-found message");
	is_str(e.hint, "install the test plugin", "installHint shown");
	err_clear(&e);
	free(x->interactive_mode);
	x->interactive_mode = xstrdup("Always");
	if (!isatty(0)) {
		ok(kubeconfig_credentials(r, &c, &e) == -1 && e.msg &&
		    strstr(e.msg, "standard input is not a terminal"),
		    "Always without a terminal fails");
		err_clear(&e);
	}
	kubeconfig_resolved_free(r);
	unsetenv("PLUGIN_COUNT_FILE");
	unsetenv("PLUGIN_INFO_FILE");
	free(count);
	free(info);
}

TEST(exec_parse)
{
	struct kube_exec	 x;
	struct err		 e = ERR_INIT;
	const char		*v1 = "client.authentication.k8s.io/v1";
#define P(s) kubeconfig_exec_parse(&x, "u", s, strlen(s), &e)

	memset(&x, 0, sizeof x);
	x.api_version = (char *)v1;
	ok(P("{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\","
	    "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"}}") == -1,
	    "version mismatch");
	is_str(e.msg, "getting credentials: exec plugin is configured to use "
	    "API version client.authentication.k8s.io/v1, plugin returned "
	    "version client.authentication.k8s.io/v1beta1", "message");
	err_clear(&e);
	ok(P("{\"apiVersion\":\"client.authentication.k8s.io/v1\","
	    "\"kind\":\"ExecCredential\"}") == -1, "no status");
	is_str(e.msg, "getting credentials: exec plugin didn't return a status "
	    "field", "message");
	err_clear(&e);
	ok(P("{\"apiVersion\":\"client.authentication.k8s.io/v1\","
	    "\"kind\":\"ExecCredential\",\"status\":{\"clientCertificateData\":"
	    "\"C\"}}") == -1, "cert without key");
	is_str(e.msg, "getting credentials: exec plugin returned only "
	    "certificate or key, not both", "message");
	err_clear(&e);
	ok(P("{\"apiVersion\":\"client.authentication.k8s.io/v1\","
	    "\"kind\":\"ExecCredential\",\"status\":{}}") == -1, "empty status");
	err_clear(&e);
	ok(P("not json") == -1 && e.msg && strstr(e.msg, "decoding stdout"),
	    "garbage: %s", e.msg);
	err_clear(&e);
	ok(P("{\"apiVersion\":\"client.authentication.k8s.io/v1\","
	    "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\","
	    "\"expirationTimestamp\":\"yesterday\"}}") == -1, "bad timestamp");
	err_clear(&e);
	ok(P("{\"apiVersion\":\"client.authentication.k8s.io/v1\","
	    "\"kind\":\"ExecCredential\",\"status\":{\"clientCertificateData\":"
	    "\"C\",\"clientKeyData\":\"K\",\"expirationTimestamp\":"
	    "\"2030-01-02T03:04:05.5+01:00\"}}") == 0, "cert and key");
	ok(x.cached && x.token == NULL && strcmp(x.cert_pem, "C") == 0 &&
	    strcmp(x.key_pem, "K") == 0, "cached cert and key");
	is_int(x.expiry, 1893549845, "RFC 3339 with fraction and offset");
	xfree_secret(x.cert_pem);
	xfree_secret(x.key_pem);
#undef P
}

TEST(view_and_use_context)
{
	struct err		 e = ERR_INIT;
	struct kubeconfig	*kc;
	cJSON			*doc;
	char			*path, *src, *s;
	struct stat		 st;
	FILE			*f;

	setenv("KUBECONFIG", FIX "merge-conflict/a.yaml:"
	    FIX "merge-conflict/b.yaml", 1);
	kc = kubeconfig_load(NULL, &e);
	ok(kc != NULL, "load");
	doc = kubeconfig_view(kc, "blue", KUBECONFIG_MINIFY, &e);
	ok(doc != NULL, "minify with a context override");
	is_str(json_str(doc, "current-context"), "blue", "current-context");
	is_int(cJSON_GetArraySize(json_path(doc, "contexts")), 1, "one context");
	is_str(json_str(doc, "clusters.0.cluster.server"),
	    "https://b.example.com", "its cluster");
	is_str(json_str(doc, "users.0.user.token"), "REDACTED", "redacted");
	cJSON_Delete(doc);
	is_str(kubeconfig_default_file(kc), FIX "merge-conflict/a.yaml",
	    "use-context writes the first existing file");
	kubeconfig_free(kc);

	path = xasprintf("%s/kc.yaml", tmpdir);
	src = slurp(FIX "merge-conflict/b.yaml");
	f = fopen(path, "w");
	fputs(src, f);
	fclose(f);
	free(src);
	chmod(path, 0604);
	kc = kubeconfig_load(path, &e);
	ok(kubeconfig_use_context(kc, "nope", &e) == -1 &&
	    e.code == EXIT_NOTFOUND, "unknown context");
	err_clear(&e);
	ok(kubeconfig_use_context(kc, "red", &e) == 0, "use-context red");
	kubeconfig_free(kc);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0604, "mode kept");
	kc = kubeconfig_load(path, &e);
	is_str(kubeconfig_current_context(kc), "red", "written");
	kubeconfig_free(kc);
	s = slurp(path);
	ok(s != NULL && strstr(s, "client-certificate: b.crt") != NULL,
	    "relative paths written as they were");
	free(s);
	unlink(path);
	free(path);
}

int
main(void)
{
	if (getcwd(cwd, sizeof cwd) == NULL || mkdtemp(tmpdir) == NULL)
		return 1;
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	RUN(merge_first_wins);
	RUN(merge_other_order);
	RUN(overrides);
	RUN(relative_paths);
	RUN(data_fields);
	RUN(empty_and_broken);
	RUN(in_cluster);
	RUN(exec_plugin);
	RUN(exec_parse);
	RUN(view_and_use_context);
	{
		char *cmd = xasprintf("rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			ok(0, "cleanup");
		free(cmd);
	}
	return tap_done();
}
