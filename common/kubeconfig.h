/*
 * kubeconfig.h: kubeconfig loading exactly as client-go does it
 * (tools/clientcmd): --kubeconfig, KUBECONFIG lists merged first-wins,
 * ~/.kube/config, relative paths against the defining file, command-line
 * overrides, token/tokenFile, client certificates, exec credential plugins
 * (client.authentication.k8s.io/v1 and v1beta1) and in-cluster config.
 *
 * Two layers: `struct kubeconfig` is the merged file content (what
 * `kubectl config view` prints); `struct kubeconfig_resolved` is one
 * context resolved with overrides into what a client connects with.
 */
#ifndef MAAS_KUBECONFIG_H
#define MAAS_KUBECONFIG_H

#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "xalloc.h"

/* The service-account directory; MAASCTL_SERVICEACCOUNT_DIR overrides it. */
#define KUBECONFIG_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

struct kubeconfig;

/* Command-line overrides, client-go precedence (NULL/0 = not given). */
struct kube_overrides {
	const char	*context;	/* --context */
	const char	*cluster;	/* --cluster */
	const char	*user;		/* --user */
	const char	*namespace;	/* -n */
	const char	*server;	/* --server */
	const char	*token;		/* --token (a secret) */
	const char	*ca_file;	/* --certificate-authority (cwd-relative) */
	const char	*tls_server_name; /* --tls-server-name */
	int		 insecure;	/* --insecure-skip-tls-verify */
	int		 stdin_in_use;	/* stdin is read by the command (-f -) */
};

/* Credentials for one request; pointers are owned by the resolved config
 * and stay valid until the next kubeconfig_credentials() call. */
struct kube_creds {
	const char	*token;		/* bearer token or NULL */
	const char	*cert_pem;	/* client certificate PEM or NULL */
	size_t		 cert_len;
	const char	*key_pem;	/* client key PEM or NULL */
	size_t		 key_len;
	const char	*username;	/* basic auth or NULL */
	const char	*password;
};

/* An exec credential plugin (user.exec) and its in-memory cache. */
struct kube_exec {
	char		*command;	/* resolved against the kubeconfig dir
					 * when it contains a slash */
	struct strlist	 args;		/* args[] */
	struct strlist	 env;		/* env[] as "NAME=value" */
	char		*api_version;	/* client.authentication.k8s.io/v1... */
	char		*install_hint;	/* shown when the command is missing */
	char		*interactive_mode; /* Never | IfAvailable | Always */
	int		 provide_cluster_info;
	char		*cluster_config;  /* extension client.authentication.
					   * k8s.io/exec as JSON, or NULL */
	/* cache */
	char		*token;		/* status.token */
	char		*cert_pem;	/* status.clientCertificateData */
	char		*key_pem;	/* status.clientKeyData */
	time_t		 expiry;	/* status.expirationTimestamp, 0 = none */
	int		 cached;	/* a credential is cached */
	unsigned	 runs;		/* times the plugin ran */
};

/* One context resolved with overrides: what a client connects with. */
struct kubeconfig_resolved {
	char		*context;	/* context name ("" when none) */
	char		*cluster_name;	/* cluster entry used */
	char		*user_name;	/* user entry used */
	char		*server;	/* https://host:port */
	char		*namespace;	/* never NULL; "default" at worst */
	int		 namespace_explicit; /* from -n or the context */
	int		 insecure;	/* insecure-skip-tls-verify */
	char		*ca_file;	/* absolute path or NULL */
	char		*ca_pem;	/* CA PEM (from -data) or NULL */
	size_t		 ca_len;
	char		*tls_server_name; /* or NULL */
	char		*proxy_url;	/* or NULL */
	int		 disable_compression;
	char		*token;		/* static token (token or --token) */
	char		*token_file;	/* absolute path; re-read every 60 s */
	time_t		 token_read;	/* when token_file was last read */
	char		*cert_file;	/* client certificate path or NULL */
	char		*cert_pem;	/* or PEM data */
	size_t		 cert_len;
	char		*key_file;	/* client key path or NULL */
	char		*key_pem;	/* or PEM data */
	size_t		 key_len;
	char		*username;	/* basic auth */
	char		*password;
	char		*as_user;	/* impersonation: as */
	char		*as_uid;	/* as-uid */
	struct strlist	 as_groups;	/* as-groups */
	struct kube_exec *exec;		/* exec plugin or NULL */
	int		 in_cluster;	/* came from the service account */
	int		 stdin_in_use;	/* for the exec interactive decision */
	char		*token_buf;	/* last token handed out (owned) */
};

/* Flags for kubeconfig_view(). */
#define KUBECONFIG_MINIFY	0x01	/* only the current context's entries */
#define KUBECONFIG_RAW		0x02	/* show secrets and -data */
#define KUBECONFIG_FLATTEN	0x04	/* inline referenced files as -data */

/* Load the merged kubeconfig: explicit path (must exist), else KUBECONFIG,
 * else ~/.kube/config.  Broken files fail with kubectl's message. */
struct kubeconfig *kubeconfig_load(const char *explicit_path, struct err *);
/* Load one kubeconfig from memory; origin names it in errors and is the
 * base for relative paths. */
struct kubeconfig *kubeconfig_load_buf(const char *buf, size_t len,
	    const char *origin, struct err *);
void	 kubeconfig_free(struct kubeconfig *);
/* The merged current-context ("" when unset). */
const char *kubeconfig_current_context(const struct kubeconfig *);
/* Does the merged config have a context with this name? */
int	 kubeconfig_has_context(const struct kubeconfig *, const char *);
/* Does it define nothing at all (no entries, no current-context)? */
int	 kubeconfig_is_empty(const struct kubeconfig *);
/* The files in loading precedence (missing ones included). */
const struct strlist *kubeconfig_files(const struct kubeconfig *);
/* The file `kubectl config use-context` writes to. */
const char *kubeconfig_default_file(const struct kubeconfig *);

/* The config as `kubectl config view` builds it, in Go field order;
 * context overrides the current context (for --minify). */
cJSON	*kubeconfig_view(const struct kubeconfig *, const char *context,
	    int flags, struct err *);
/* Set current-context in the file kubectl would write, atomically. */
int	 kubeconfig_use_context(const struct kubeconfig *, const char *name,
	    struct err *);

/* Resolve the chosen context with overrides (no in-cluster fallback). */
struct kubeconfig_resolved *kubeconfig_resolve(const struct kubeconfig *,
	    const struct kube_overrides *, struct err *);
/* Load and resolve, falling back to the in-cluster service account when
 * the kubeconfig is empty, as client-go's deferred loader does. */
struct kubeconfig_resolved *kubeconfig_client(const char *explicit_path,
	    const struct kube_overrides *, struct err *);
/* Resolve from the service account (KUBERNETES_SERVICE_HOST/PORT). */
struct kubeconfig_resolved *kubeconfig_in_cluster(
	    const struct kube_overrides *, struct err *);
void	 kubeconfig_resolved_free(struct kubeconfig_resolved *);

/* Current credentials: static token, token file (re-read after 60 s),
 * client certificate, or the exec plugin (run when nothing valid is
 * cached).  A static token wins over exec, as client-go's header does. */
int	 kubeconfig_credentials(struct kubeconfig_resolved *,
	    struct kube_creds *, struct err *);
/* Tell the config a request got 401: drop cached exec credentials (or a
 * cached token file) so the next kubeconfig_credentials() refreshes.
 * Returns 1 when something was dropped, 0 when a retry would not help. */
int	 kubeconfig_unauthorized(struct kubeconfig_resolved *);
/* Parse an ExecCredential from a plugin's stdout into the exec cache. */
int	 kubeconfig_exec_parse(struct kube_exec *, const char *user,
	    const char *buf, size_t len, struct err *);
/* The KUBERNETES_EXEC_INFO JSON for a resolved config; caller frees. */
char	*kubeconfig_exec_info(const struct kubeconfig_resolved *,
	    int interactive);

#endif
