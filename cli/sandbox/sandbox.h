/*
 * sandbox.h: the seams between the parts of `maasctl sandbox`.
 *
 *  - cli/sandbox.c (lifecycle: up, down, status, env, reset, serve, token)
 *    prepares the state dir, certificates and secrets, then calls
 *    sbx_serve() in the daemon process.
 *  - certs.c makes the CA and server certificate with OpenSSL.
 *  - tokens.c mints and verifies the bearer tokens of sandbox identities.
 *  - server.c / store.c / apiserver.c (and later controller.c, maasapi.c,
 *    gateway.c, modelsim.c, metrics.c) run inside sbx_serve().
 *  - schema.c compiles CRD schemas and validates objects (schema.h).
 *
 * The daemon binds 127.0.0.1 only, never another address.
 */
#ifndef MAAS_SANDBOX_H
#define MAAS_SANDBOX_H

#include "err.h"
#include "xalloc.h"

/* Files under the state dir (sbx_path() joins them). */
#define SBX_DB_FILE		"state.db"	/* SQLite store */
#define SBX_PID_FILE		"sandbox.pid"	/* daemon pid */
#define SBX_INFO_FILE		"sandbox.json"	/* ports, scheme, pid, urls */
#define SBX_LOG_FILE		"sandbox.log"	/* daemon log */
#define SBX_CA_CERT		"ca.crt"
#define SBX_CA_KEY		"ca.key"	/* 0600 */
#define SBX_SERVER_CERT		"server.crt"
#define SBX_SERVER_KEY		"server.key"	/* 0600 */
#define SBX_TOKEN_SECRET	"token.secret"	/* 0600, HMAC key for tokens */
#define SBX_KUBECONFIG		"kubeconfig"	/* 0600, admin user */
#define SBX_ADMIN_TOKEN		"admin.token"	/* 0600, the kubeconfig's token */

/* How the daemon is to run; filled by cli/sandbox.c. */
struct sbx_config {
	const char	*state_dir;	/* absolute path */
	int		 api_port;	/* Kubernetes API listener, 127.0.0.1 */
	int		 gateway_port;	/* gateway listener (maas-api, models) */
	int		 plain;		/* 1: HTTP; 0: HTTPS with certs below */
	int		 no_controller;	/* 1: nothing reconciles MaaS kinds */
	int		 foreground;	/* logs to stderr instead of the log */
	const char	*admin_token;	/* the kubeconfig's admin bearer token */
};

/* Run the daemon until SIGTERM/SIGINT; returns 0 after a clean shutdown. */
int	 sbx_serve(const struct sbx_config *, struct err *);

/* certs.c: create ca.* and server.* in dir unless present and usable
 * (SANs 127.0.0.1, ::1, localhost); files holding keys are 0600. */
int	 sbx_certs_ensure(const char *dir, struct err *);

/* An authenticated sandbox identity. */
struct sbx_identity {
	char		*user;		/* "alice", or "admin" */
	struct strlist	 groups;	/* group names */
	int		 admin;		/* cluster-admin (the kubeconfig user) */
};

/* tokens.c: mint a token for user+groups valid for ttl seconds (0 = 24h),
 * signed with the secret in state_dir; caller frees. */
char	*sbx_token_mint(const char *state_dir, const char *user,
	    const struct strlist *groups, double ttl, struct err *);
/* Verify a bearer token; 0 and *id filled, or -1 (unknown/expired).
 * Tokens are HS256 JWTs; groups containing "system:masters" make admin. */
int	 sbx_token_verify(const char *state_dir, const char *token,
	    struct sbx_identity *id, struct err *);
void	 sbx_identity_free(struct sbx_identity *);

/* statedir.c: join the state dir and a file name; caller frees. */
char	*sbx_path(const char *state_dir, const char *file);
/* Create a directory and its parents (the last one 0700). */
int	 sbx_mkdirs(const char *dir, struct err *);
/* Read a whole file, NUL-terminated; NULL (errno kept) on error. */
char	*sbx_read_file(const char *path, size_t *len, struct err *);
/* Write a file atomically (temp file, fsync, rename) with mode. */
int	 sbx_write_file(const char *path, const void *, size_t, int mode,
	    struct err *);
/* Create a file atomically unless it exists (then -1, errno EEXIST). */
int	 sbx_create_file(const char *path, const void *, size_t, int mode,
	    struct err *);

#endif
