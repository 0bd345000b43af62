/*
 * kubectx.h: the kube client every Kubernetes-facing command shares.
 *
 * ctx_kube() resolves the kubeconfig as client-go does (common/kubeconfig.h)
 * with the global overrides (--kubeconfig, --context, --cluster, --user,
 * -n, --server, --token, --insecure, --ca-file), builds a struct kube once
 * and caches it in ctx->kube; ctx_kube_free() releases it (main does at
 * exit).  ctx_namespace() is the namespace commands default to.
 */
#ifndef MAAS_KUBECTX_H
#define MAAS_KUBECTX_H

#include "cmd.h"
#include "kube.h"

/* The shared client, set up on first use; NULL with kubectl's error. */
struct kube	*ctx_kube(struct ctx *, struct err *);
/* The namespace to use: -n, else the context's, else "default"
 * (valid after a successful ctx_kube()). */
const char	*ctx_namespace(struct ctx *);
/* Completion provider for "@namespace": the server's namespaces. */
int		 ctx_complete_namespaces(struct ctx *, struct strlist *out);
/* The kubeconfig user's bearer token (static, token file or exec plugin;
 * --token wins), for services that take the cluster identity such as
 * thanos-querier; NULL with an error when the user has none.  Caller
 * frees with xfree_secret(). */
char		*ctx_bearer_token(struct ctx *, struct err *);
/* The kubeconfig cluster's CA and TLS settings, borrowed into tls (valid
 * until ctx_kube_free()); leaves tls alone before ctx_kube(). */
void		 ctx_kube_tls(struct ctx *, struct http_tls *);
/* Release what ctx_kube() set up (safe when nothing was). */
void		 ctx_kube_free(struct ctx *);

#endif
