/*
 * fuzz_kubeconfig.c: libFuzzer target for kubeconfig loading: decode the
 * input as a kubeconfig file, print every `config view` variant, resolve
 * the current context with and without overrides, and parse the input as
 * an exec plugin's ExecCredential.  Plugins are never run and no file is
 * written; nothing may crash or leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "kubeconfig.h"
#include "xalloc.h"
#include "yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
view_all(const struct kubeconfig *kc)
{
	static const int	 flags[] = { 0, KUBECONFIG_RAW, KUBECONFIG_MINIFY,
				    KUBECONFIG_MINIFY | KUBECONFIG_RAW };
	struct err		 e = ERR_INIT;
	cJSON			*doc;
	char			*s;
	size_t			 i;

	for (i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		doc = kubeconfig_view(kc, NULL, flags[i], &e);
		if (doc == NULL) {
			if (e.msg == NULL)
				abort();	/* failures always say why */
			err_clear(&e);
			continue;
		}
		s = json_print(doc, 1);
		free(s);
		s = yaml_emit(doc);
		free(s);
		cJSON_Delete(doc);
	}
}

static void
resolve_all(const struct kubeconfig *kc)
{
	struct kube_overrides		 ov;
	struct kubeconfig_resolved	*r;
	struct err			 e = ERR_INIT;
	int				 i;

	for (i = 0; i < 3; i++) {
		memset(&ov, 0, sizeof ov);
		if (i == 1) {
			ov.server = "https://127.0.0.1:6443";
			ov.namespace = "ns";
			ov.insecure = 1;
		} else if (i == 2) {
			ov.context = "a";
			ov.cluster = "a";
			ov.user = "a";
			ov.token = "t";
			ov.tls_server_name = "n";
		}
		r = kubeconfig_resolve(kc, &ov, &e);
		if (r == NULL) {
			if (e.msg == NULL)
				abort();
			err_clear(&e);
			continue;
		}
		if (r->namespace == NULL || r->server == NULL)
			abort();	/* a resolved config always has both */
		if (r->exec != NULL) {
			char *info = kubeconfig_exec_info(r, 0);
			free(info);
		}
		kubeconfig_resolved_free(r);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kubeconfig	*kc;
	struct kube_exec	 x;
	struct err		 e = ERR_INIT;

	kc = kubeconfig_load_buf((const char *)data, size, "fuzz.yaml", &e);
	if (kc == NULL) {
		if (e.msg == NULL || e.code != EXIT_AUTH)
			abort();
		err_clear(&e);
	} else {
		view_all(kc);
		resolve_all(kc);
		kubeconfig_free(kc);
	}

	memset(&x, 0, sizeof x);
	x.api_version = (char *)"client.authentication.k8s.io/v1";
	if (kubeconfig_exec_parse(&x, "u", (const char *)data, size, &e) == 0) {
		xfree_secret(x.token);
		xfree_secret(x.cert_pem);
		xfree_secret(x.key_pem);
	}
	err_clear(&e);
	return 0;
}
