/*
 * login.c: `maasctl login`, `logout` and `whoami`.
 *
 * login takes the user's bearer token (--token @FILE|-|env:NAME,
 * $MAAS_TOKEN, or the kubeconfig user's token), finds the MaaS URL as the
 * upstream scripts do (MAAS-ADMIN-TASKS.md §1: --maas-url or $MAAS_URL,
 * else the Gateway maas-default-gateway in openshift-ingress: its HTTPS
 * listener's hostname, then its first listener's hostname; an OpenShift
 * Route to the gateway; maas.<cluster ingress domain>; the Gateway's
 * status address), checks <url>/maas-api/health and that the gateway
 * takes the token, and stores a profile (common/config.c): maas-url,
 * ca-file, context and token-file, the token itself in a 0600 file beside
 * the config.  When the gateway's certificate is not trusted and no
 * --ca-file is given, it offers the cluster's CA (the router-certs-default
 * Secret, the service-ca-bundle ConfigMap, the kubeconfig's cluster CA)
 * and uses it only after confirmation (a y on the terminal, or
 * --trust-cluster-ca).
 *
 * logout removes the stored token; whoami shows the user and groups (a
 * SelfSubjectReview with the token), whether the user is a MaaS admin (a
 * SelfSubjectAccessReview: may create maasauthpolicies in
 * models-as-a-service, as maas-api decides), the subscriptions maas-api
 * lists and the default model.
 */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base64.h"
#include "config.h"
#include "cred.h"
#include "json.h"
#include "kubeconfig.h"
#include "kubectx.h"
#include "login.h"
#include "output.h"
#include "term.h"

#define MAAS_NS		"models-as-a-service"
#define GW_NS		"openshift-ingress"
#define GW_NAME		"maas-default-gateway"

static struct {
	int	trust_cluster_ca;
} L;

static const struct opt login_opts[] = {
	{ "trust-cluster-ca", 0, OPT_BOOL, &L.trust_cluster_ca, NULL,
	  "trust the CA found in the cluster without asking", 0, NULL, NULL,
	  0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

/* ---- the Kubernetes side ---- */

/* A kube client as the kubeconfig's user, or with bearer token tok
 * (never cached for other commands: ctx->kube is released first). */
static struct kube *
kube_with(struct ctx *ctx, const char *tok, struct err *e)
{
	const char	*saved = ctx->g.token;
	struct kube	*k;

	ctx_kube_free(ctx);
	ctx->g.token = tok;
	k = ctx_kube(ctx, e);
	ctx->g.token = saved;
	return k;
}

int
maas_whoami(struct ctx *ctx, const struct target *t, char **user,
    struct strlist *groups, struct err *e)
{
	struct kube	*k;
	cJSON		*out = NULL, *it;
	const char	*u;
	int		 rc = -1;

	*user = NULL;
	if ((k = kube_with(ctx, t->key, e)) == NULL)
		return -1;
	if (kube_request(k, "POST", "/apis/authentication.k8s.io/v1/"
	    "selfsubjectreviews", "application/json", "application/json",
	    "{\"apiVersion\":\"authentication.k8s.io/v1\","
	    "\"kind\":\"SelfSubjectReview\"}", &out, e) != 0)
		goto out;
	if ((u = json_str(out, "status.userInfo.username")) == NULL) {
		err_set(e, EXIT_ERR, "the SelfSubjectReview answer names no "
		    "user");
		goto out;
	}
	*user = xstrdup(u);
	if (groups != NULL)
		cJSON_ArrayForEach(it, json_path(out,
		    "status.userInfo.groups"))
			if (cJSON_IsString(it))
				sl_add(groups, it->valuestring);
	rc = 0;
out:
	cJSON_Delete(out);
	ctx_kube_free(ctx);
	return rc;
}

/* May the token's user create maasauthpolicies in the MaaS namespace? */
static int
maas_admin(struct ctx *ctx, const struct target *t, int *admin,
    struct err *e)
{
	struct kube	*k;
	cJSON		*out = NULL;
	int		 rc = -1;

	if ((k = kube_with(ctx, t->key, e)) == NULL)
		return -1;
	if (kube_request(k, "POST", "/apis/authorization.k8s.io/v1/"
	    "selfsubjectaccessreviews", "application/json", "application/json",
	    "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":"
	    "\"SelfSubjectAccessReview\",\"spec\":{\"resourceAttributes\":{"
	    "\"namespace\":\"" MAAS_NS "\",\"verb\":\"create\",\"group\":"
	    "\"maas.opendatahub.io\",\"resource\":\"maasauthpolicies\"}}}",
	    &out, e) == 0) {
		*admin = cJSON_IsTrue(json_path(out, "status.allowed"));
		rc = 0;
	}
	cJSON_Delete(out);
	ctx_kube_free(ctx);
	return rc;
}

/* GET a path of the API server into *out; 0, or -1 with e (404 too). */
static int
kget(struct kube *k, const char *path, cJSON **out, struct err *e)
{
	*out = NULL;
	return kube_request(k, "GET", path, NULL, "application/json", NULL,
	    out, e);
}

/* scheme://host[:port], the port only when it is not the scheme's. */
static char *
make_url(const char *scheme, const char *host, long port)
{
	int	https = strcmp(scheme, "https") == 0;

	if (port <= 0 || (https && port == 443) || (!https && port == 80))
		return xasprintf("%s://%s", scheme, host);
	return xasprintf("%s://%s:%ld", scheme, host, port);
}

/* Candidate URLs in the order of MAAS-ADMIN-TASKS.md §1, each with where
 * it came from. */
static void
discover(struct ctx *ctx, struct strlist *urls, struct strlist *whence,
    struct err *why)
{
	struct kube	*k;
	struct err	 e2 = ERR_INIT;
	cJSON		*gw = NULL, *routes = NULL, *ing = NULL, *it, *first;
	const char	*h, *proto, *addr = NULL, *to;
	long		 port = 0, aport = 0;
	int		 n = 0;

	if ((k = kube_with(ctx, NULL, why)) == NULL)
		return;
	if (kget(k, "/apis/gateway.networking.k8s.io/v1/namespaces/" GW_NS
	    "/gateways/" GW_NAME, &gw, &e2) == 0) {
		cJSON_ArrayForEach(it, json_path(gw, "spec.listeners")) {
			proto = json_str(it, "protocol");
			if (proto == NULL || strcmp(proto, "HTTPS") != 0 ||
			    (h = json_str(it, "hostname")) == NULL)
				continue;
			sl_take(urls, make_url("https", h,
			    (long)json_num(it, "port", 443)));
			sl_add(whence, "Gateway " GW_NS "/" GW_NAME
			    " HTTPS listener hostname");
			break;
		}
		first = cJSON_GetArrayItem(json_path(gw, "spec.listeners"), 0);
		proto = json_str(first, "protocol");
		aport = (long)json_num(first, "port", 0);
		if ((h = json_str(first, "hostname")) != NULL) {
			sl_take(urls, make_url(proto && strcmp(proto, "HTTP")
			    == 0 ? "http" : "https", h, aport));
			sl_add(whence, "Gateway " GW_NS "/" GW_NAME
			    " listener hostname");
		}
		addr = json_str(gw, "status.addresses.0.value");
	} else {
		err_move(why, &e2);
	}
	err_clear(&e2);
	if (kget(k, "/apis/route.openshift.io/v1/namespaces/" GW_NS
	    "/routes", &routes, &e2) == 0) {
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(routes, "items")) {
			to = json_str(it, "spec.to.name");
			if (to == NULL || strncmp(to, GW_NAME,
			    strlen(GW_NAME)) != 0)
				continue;
			h = json_str(it, "status.ingress.0.host");
			if (h == NULL)
				h = json_str(it, "spec.host");
			if (h == NULL)
				continue;
			sl_take(urls, make_url(json_path(it, "spec.tls") ?
			    "https" : "http", h, 0));
			sl_addf(whence, "Route %s/%s", GW_NS,
			    json_str(it, "metadata.name"));
			n++;
		}
	}
	err_clear(&e2);
	if (kget(k, "/apis/config.openshift.io/v1/ingresses/cluster", &ing,
	    &e2) == 0 && (h = json_str(ing, "spec.domain")) != NULL) {
		sl_addf(urls, "https://maas.%s", h);
		sl_add(whence, "cluster ingress domain");
	}
	err_clear(&e2);
	if (addr != NULL) {
		port = aport;
		proto = json_str(cJSON_GetArrayItem(json_path(gw,
		    "spec.listeners"), 0), "protocol");
		sl_take(urls, make_url(proto && strcmp(proto, "HTTP") == 0 ?
		    "http" : "https", addr, port));
		sl_add(whence, "Gateway " GW_NS "/" GW_NAME " status address");
	}
	(void)n;
	cJSON_Delete(gw);
	cJSON_Delete(routes);
	cJSON_Delete(ing);
	ctx_kube_free(ctx);
}

/* ---- health and CA trust ---- */

/* GET <url>/maas-api/health; 0 when healthy, else -1 with e. */
static int
health(const char *url, const char *ca_file, const char *ca_pem,
    int insecure, double timeout, int *tls_failed, struct err *e)
{
	struct http_client	 c;
	struct http_request	 req;
	struct http_response	 res = HTTP_RESPONSE_INIT;
	char			*u = xasprintf("%s/maas-api/health", url);
	int			 rc = -1;

	memset(&c, 0, sizeof c);
	memset(&req, 0, sizeof req);
	c.tls.ca_file = ca_file;
	c.tls.ca_data = ca_pem;
	c.tls.insecure = insecure;
	c.timeout = timeout > 0 ? timeout : 10;
	c.connect_timeout = 5;
	c.max_attempts = 1;
	req.method = "GET";
	req.url = u;
	*tls_failed = 0;
	if (http_do(&c, &req, &res, e) != 0) {
		*tls_failed = res.fail == HTTP_FAIL_TLS;
		goto out;
	}
	if (res.status != 200 || res.body.buf == NULL ||
	    strstr(res.body.buf, "\"healthy\"") == NULL) {
		err_set(e, err_code_for_http(res.status), "%s answered HTTP %d, "
		    "not {\"status\":\"healthy\"}", u, res.status);
		goto out;
	}
	rc = 0;
out:
	http_response_free(&res);
	free(u);
	return rc;
}

/* The SHA-256 fingerprint of the first certificate in pem, or NULL. */
static char *
fingerprint(const char *pem)
{
	BIO		*b = BIO_new_mem_buf(pem, -1);
	X509		*x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0, i;
	struct strbuf	 sb = STRBUF_INIT;
	char		*out = NULL;

	if (x != NULL && X509_digest(x, EVP_sha256(), md, &n) == 1) {
		for (i = 0; i < n; i++)
			sb_addf(&sb, "%s%02X", i ? ":" : "", md[i]);
		out = sb_detach(&sb);
	}
	sb_free(&sb);
	X509_free(x);
	BIO_free(b);
	return out;
}

/* CA bundles the cluster offers, with where each came from. */
static void
cluster_cas(struct ctx *ctx, struct strlist *pems, struct strlist *whence)
{
	struct kube			*k;
	struct err			 e2 = ERR_INIT;
	struct kube_overrides		 ov;
	struct kubeconfig_resolved	*rc;
	cJSON				*o = NULL;
	const char			*v;
	char				*dec;
	struct strbuf			 sb = STRBUF_INIT;
	char				 chunk[4096];
	FILE				*f;
	size_t				 n, bad;

	if ((k = kube_with(ctx, NULL, &e2)) != NULL) {
		if (kget(k, "/api/v1/namespaces/" GW_NS
		    "/secrets/router-certs-default", &o, &e2) == 0 &&
		    (v = json_str(o, "data.tls\\.crt")) != NULL &&
		    (dec = b64_decode_std(v, strlen(v), &n, &bad)) != NULL) {
			if (n > 0) {
				sl_add(pems, dec);
				sl_add(whence, "Secret " GW_NS
				    "/router-certs-default (tls.crt)");
			}
			free(dec);
		}
		cJSON_Delete(o);
		o = NULL;
		err_clear(&e2);
		if (kget(k, "/api/v1/namespaces/openshift-config-managed/"
		    "configmaps/service-ca-bundle", &o, &e2) == 0 &&
		    (v = json_str(o, "data.service-ca\\.crt")) != NULL) {
			sl_add(pems, v);
			sl_add(whence, "ConfigMap openshift-config-managed/"
			    "service-ca-bundle (service-ca.crt)");
		}
		cJSON_Delete(o);
		ctx_kube_free(ctx);
	}
	err_clear(&e2);
	memset(&ov, 0, sizeof ov);
	ov.context = ctx->g.context;
	ov.cluster = ctx->g.cluster;
	if ((rc = kubeconfig_client(ctx->g.kubeconfig, &ov, &e2)) != NULL) {
		if (rc->ca_pem != NULL) {
			sl_add(pems, rc->ca_pem);
			sl_addf(whence, "kubeconfig cluster %s "
			    "(certificate-authority-data)", rc->cluster_name);
		} else if (rc->ca_file != NULL &&
		    (f = fopen(rc->ca_file, "r")) != NULL) {
			while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
				sb_add(&sb, chunk, n);
			fclose(f);
			if (sb.len > 0) {
				sl_add(pems, sb.buf);
				sl_addf(whence, "kubeconfig cluster %s (%s)",
				    rc->cluster_name, rc->ca_file);
			}
			sb_free(&sb);
		}
		kubeconfig_resolved_free(rc);
	}
	err_clear(&e2);
}

/* Ask on the terminal; 1 for yes. */
static int
confirm(const char *question)
{
	char	line[16];

	if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
		return 0;
	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (fgets(line, sizeof line, stdin) == NULL)
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

/* ---- login ---- */

/* The token: --token spec, $MAAS_TOKEN, else the kubeconfig user's. */
static int
login_token(struct ctx *ctx, char **tok, const char **from, struct err *e)
{
	struct kube_overrides		 ov;
	struct kubeconfig_resolved	*rc;
	struct kube_creds		 cr;
	const char			*spec = ctx->g.token, *env;

	*tok = NULL;
	if (spec == NULL && (env = getenv("MAAS_TOKEN")) != NULL && *env)
		spec = "env:MAAS_TOKEN";
	if (spec != NULL) {
		*from = strcmp(spec, "env:MAAS_TOKEN") == 0 && ctx->g.token ==
		    NULL ? "$MAAS_TOKEN" : "--token";
		return cred_read(spec, "--token", tok, e);
	}
	memset(&ov, 0, sizeof ov);
	ov.context = ctx->g.context;
	ov.cluster = ctx->g.cluster;
	ov.user = ctx->g.user;
	if ((rc = kubeconfig_client(ctx->g.kubeconfig, &ov, e)) == NULL) {
		err_wrap(e, "login: no --token given and no kubeconfig user "
		    "to take one from");
		return -1;
	}
	memset(&cr, 0, sizeof cr);
	if (kubeconfig_credentials(rc, &cr, e) != 0) {
		kubeconfig_resolved_free(rc);
		return -1;
	}
	if (cr.token == NULL || *cr.token == '\0') {
		err_set(e, EXIT_AUTH, "login: the kubeconfig user \"%s\" has no "
		    "bearer token (client certificates do not work with the "
		    "MaaS gateway)", rc->user_name ? rc->user_name : "");
		err_hint(e, "give one with --token @FILE, --token - or "
		    "--token env:NAME");
		kubeconfig_resolved_free(rc);
		return -1;
	}
	*tok = xstrdup(cr.token);
	*from = "the kubeconfig user";
	kubeconfig_resolved_free(rc);
	return 0;
}

/* The profile login writes: --profile, $MAASCTL_PROFILE, current-profile,
 * else "default". */
static const char *
login_profile(struct ctx *ctx, const struct config *cfg)
{
	const char	*p = config_select(cfg, ctx->g.profile, NULL);

	return p != NULL ? p : "default";
}

static char *
sibling_path(const struct config *cfg, const char *profile, const char *dir,
    const char *ext)
{
	char	*f = xstrdup(config_file(cfg)), *d, *out;

	d = dirname(f);
	out = xasprintf("%s/%s/%s.%s", d, dir, profile, ext);
	free(f);
	return out;
}

static int
login_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct config	*cfg = NULL;
	struct strlist	 urls = STRLIST_INIT, whence = STRLIST_INIT;
	struct strlist	 pems = STRLIST_INIT, pwhence = STRLIST_INIT;
	struct strlist	 tried = STRLIST_INIT;
	struct err	 e2 = ERR_INIT, disc = ERR_INIT;
	struct target	 t;
	const char	*profile, *from = NULL, *url = NULL, *ca_file;
	const char	*ca_pem = NULL, *given;
	char		*tok = NULL, *path = NULL, *tokpath = NULL, *capath = NULL;
	char		*user = NULL, *fp, *q, *cfgpath;
	size_t		 i, j;
	int		 rc = -1, tlsf, ok = 0, insecure = ctx->g.insecure;

	(void)argc;
	(void)argv;
	memset(&t, 0, sizeof t);
	if ((cfgpath = config_path(e)) == NULL)
		return -1;
	cfg = config_load(cfgpath, e);
	free(cfgpath);
	if (cfg == NULL)
		return -1;
	profile = login_profile(ctx, cfg);
	if (login_token(ctx, &tok, &from, e) != 0)
		goto out;
	ca_file = ctx->g.ca_file;
	if (ca_file == NULL && config_has_profile(cfg, profile))
		ca_file = config_get(cfg, profile, "ca-file");
	/* Where: the flag or environment, else discovery. */
	given = ctx->g.maas_url ? ctx->g.maas_url : getenv("MAAS_URL");
	if (given != NULL && *given != '\0') {
		if (strncmp(given, "http://", 7) != 0 &&
		    strncmp(given, "https://", 8) != 0) {
			err_set(e, EXIT_USAGE, "login: invalid MaaS URL \"%s\": "
			    "want an http:// or https:// URL", given);
			goto out;
		}
		q = xstrdup(given);
		for (j = strlen(q); j > 0 && q[j - 1] == '/'; j--)
			q[j - 1] = '\0';
		sl_take(&urls, q);
		sl_add(&whence, ctx->g.maas_url ? "--maas-url" : "$MAAS_URL");
	} else
		discover(ctx, &urls, &whence, &disc);
	if (urls.n == 0) {
		err_set(e, EXIT_NOTFOUND, "login: cannot find the MaaS URL: no "
		    "Gateway " GW_NS "/" GW_NAME " with a hostname, no Route "
		    "to it, no cluster ingress domain%s%s",
		    disc.code ? ": " : "", disc.code ? disc.msg : "");
		err_hint(e, "give it with --maas-url https://maas.<cluster "
		    "domain>");
		goto out;
	}
	for (i = 0; i < urls.n && !ok; i++) {
		err_clear(&e2);
		fprintf(stderr, "checking %s/maas-api/health (from %s)\n",
		    urls.v[i], whence.v[i]);
		if (health(urls.v[i], ca_file, NULL, insecure, ctx->g.timeout,
		    &tlsf, &e2) == 0) {
			url = urls.v[i];
			ok = 1;
			break;
		}
		if (tlsf && ctx->g.ca_file == NULL) {
			/* Offer the cluster's CA. */
			if (pems.n == 0)
				cluster_cas(ctx, &pems, &pwhence);
			for (j = 0; j < pems.n; j++) {
				struct err e3 = ERR_INIT;

				if (health(urls.v[i], NULL, pems.v[j], 0,
				    ctx->g.timeout, &tlsf, &e3) != 0) {
					err_clear(&e3);
					continue;
				}
				fp = fingerprint(pems.v[j]);
				fprintf(stderr, "%s is served with a certificate "
				    "signed by the CA in %s\n  SHA-256 "
				    "fingerprint %s\n", urls.v[i], pwhence.v[j],
				    fp ? fp : "(unreadable)");
				free(fp);
				if (!L.trust_cluster_ca &&
				    !confirm("Trust this CA for MaaS?")) {
					err_set(e, EXIT_AUTH, "login: the "
					    "certificate of %s is not trusted",
					    urls.v[i]);
					err_hint(e, "trust the CA above with "
					    "--trust-cluster-ca, or give one "
					    "with --ca-file F");
					goto out;
				}
				ca_pem = pems.v[j];
				url = urls.v[i];
				ok = 1;
				break;
			}
		}
		if (!ok) {
			q = err_format(&e2);
			q[strcspn(q, "\n")] = '\0';
			sl_addf(&tried, "%s (%s): %s", urls.v[i], whence.v[i],
			    strncmp(q, "maasctl: ", 9) == 0 ? q + 9 : q);
			free(q);
		}
	}
	if (!ok) {
		if (tried.n == 1 && e2.code != 0) {
			err_move(e, &e2);
			err_wrap(e, "login: MaaS at %s is not healthy", urls.v[0]);
		} else {
			struct strbuf sb = STRBUF_INIT;

			for (i = 0; i < tried.n; i++)
				sb_addf(&sb, "%s%s", i ? "; " : "", tried.v[i]);
			err_set(e, EXIT_UNREACHABLE, "login: no healthy MaaS "
			    "gateway: %s", sb.buf);
			sb_free(&sb);
		}
		if (ctx->g.ca_file == NULL && tlsf)
			err_hint(e, "pass the gateway's CA with --ca-file F");
		goto out;
	}
	if (ca_pem != NULL) {
		capath = sibling_path(cfg, profile, "ca", "crt");
		if (config_write_secret(capath, ca_pem, e) != 0)
			goto out;
		ca_file = capath;
	}
	/* Does the gateway take the token? (a strict maas-api route) */
	t.base = xasprintf("%s/maas-api", url);
	t.key = tok;
	t.api = 1;
	t.maas = 1;
	t.http.tls.ca_file = ca_file;
	t.http.tls.insecure = insecure;
	t.http.timeout = ctx->g.timeout;
	{
		cJSON *o = target_get_json(&t, "/v1/api-keys/config", NULL,
		    "login: checking the token", e);

		if (o == NULL) {
			err_hint(e, "the token from %s was refused; get a "
			    "fresh one (OpenShift: oc whoami -t; sandbox: "
			    "maasctl sandbox token)", from);
			goto out;
		}
		cJSON_Delete(o);
	}
	/* Store the profile. */
	tokpath = sibling_path(cfg, profile, "keys", "token");
	if (config_write_secret(tokpath, tok, e) != 0)
		goto out;
	if (config_set(cfg, profile, "maas-url", url, e) != 0 ||
	    config_set(cfg, profile, "token-file", tokpath, e) != 0 ||
	    (ca_file != NULL && config_set(cfg, profile, "ca-file", ca_file,
	    e) != 0) || (insecure && config_set(cfg, profile, "insecure",
	    "true", e) != 0) || (ctx->g.context != NULL && config_set(cfg,
	    profile, "context", ctx->g.context, e) != 0) ||
	    config_set_current(cfg, profile, e) != 0 ||
	    config_save(cfg, e) != 0)
		goto out;
	if (maas_whoami(ctx, &t, &user, NULL, &e2) != 0)
		err_clear(&e2);
	printf("Logged in to %s%s%s (profile \"%s\", token from %s)\n", url,
	    user ? " as " : "", user ? user : "", profile, from);
	rc = 0;
out:
	t.key = NULL;
	free(t.base);
	xfree_secret(tok);
	free(path);
	free(tokpath);
	free(capath);
	free(user);
	sl_free(&urls);
	sl_free(&whence);
	for (i = 0; i < pems.n; i++)
		pems.v[i][0] = '\0';
	sl_free(&pems);
	sl_free(&pwhence);
	sl_free(&tried);
	err_clear(&e2);
	err_clear(&disc);
	config_free(cfg);
	return rc;
}

static int
logout_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct config	*cfg;
	const char	*profile, *tf;
	char		*path;
	int		 rc = -1;

	(void)argc;
	(void)argv;
	if ((path = config_path(e)) == NULL)
		return -1;
	cfg = config_load(path, e);
	free(path);
	if (cfg == NULL)
		return -1;
	if (ctx->g.profile != NULL)
		profile = config_resolve(cfg, ctx->g.profile, e);
	else if ((profile = config_select(cfg, NULL, NULL)) == NULL)
		err_set(e, EXIT_USAGE, "logout: no profile is in use (no "
		    "--profile, MAASCTL_PROFILE or current-profile)");
	else if (!config_has_profile(cfg, profile)) {
		err_set(e, EXIT_NOTFOUND, "logout: profile \"%s\" does not "
		    "exist in %s", profile, config_file(cfg));
		profile = NULL;
	}
	if (profile == NULL)
		goto out;
	if ((tf = config_get(cfg, profile, "token-file")) == NULL) {
		printf("Profile \"%s\" holds no token; nothing to do\n",
		    profile);
		rc = 0;
		goto out;
	}
	if (unlink(tf) != 0 && errno != ENOENT) {
		err_set(e, EXIT_ERR, "logout: cannot remove %s: %s", tf,
		    strerror(errno));
		goto out;
	}
	if (config_set(cfg, profile, "token-file", NULL, e) != 0 ||
	    config_save(cfg, e) != 0)
		goto out;
	printf("Logged out of profile \"%s\": the stored token is removed\n",
	    profile);
	rc = 0;
out:
	config_free(cfg);
	return rc;
}

/* The profile's default-model, if the profile sets one. */
static char *
profile_default_model(struct ctx *ctx)
{
	struct config	*cfg;
	struct err	 e2 = ERR_INIT;
	const char	*p, *m;
	char		*path, *out = NULL;

	if ((path = config_path(&e2)) == NULL)
		goto out;
	cfg = config_load(path, &e2);
	free(path);
	if (cfg == NULL)
		goto out;
	p = config_select(cfg, ctx->g.profile, NULL);
	if (p != NULL && config_has_profile(cfg, p) &&
	    (m = config_get(cfg, p, "default-model")) != NULL)
		out = xstrdup(m);
	config_free(cfg);
out:
	err_clear(&e2);
	return out;
}

static int
whoami_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct output	 out;
	struct target	 t;
	struct strlist	 groups = STRLIST_INIT;
	cJSON		*o = NULL, *subs = NULL, *models = NULL, *arr, *it;
	char		*user = NULL, *model = NULL;
	const char	*mfrom = "profile";
	size_t		 i;
	int		 admin = 0, rc = -1;

	(void)argc;
	(void)argv;
	if (output_parse(&out, ctx->g.output, e) != 0)
		return -1;
	if (target_resolve_maasapi(ctx, &t, e) != 0)
		goto done;
	if (maas_whoami(ctx, &t, &user, &groups, e) != 0) {
		err_wrap(e, "whoami");
		goto done_t;
	}
	if (maas_admin(ctx, &t, &admin, e) != 0) {
		err_wrap(e, "whoami: checking admin rights");
		goto done_t;
	}
	if ((subs = target_get_json(&t, "/v1/subscriptions", NULL,
	    "whoami: listing subscriptions", e)) == NULL)
		goto done_t;
	if ((model = profile_default_model(ctx)) == NULL) {
		mfrom = "first model of GET /v1/models";
		if ((models = target_get_json(&t, "/v1/models", NULL,
		    "whoami: listing models", e)) == NULL)
			goto done_t;
		it = cJSON_GetArrayItem(cJSON_GetObjectItem(models, "data"), 0);
		if (json_str(it, "id") != NULL)
			model = xstrdup(json_str(it, "id"));
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "user", user);
	arr = cJSON_AddArrayToObject(o, "groups");
	for (i = 0; i < groups.n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(groups.v[i]));
	cJSON_AddBoolToObject(o, "admin", admin);
	arr = cJSON_AddArrayToObject(o, "subscriptions");
	cJSON_ArrayForEach(it, subs)
		if (json_str(it, "subscription_id_header") != NULL)
			cJSON_AddItemToArray(arr, cJSON_CreateString(
			    json_str(it, "subscription_id_header")));
	if (model != NULL)
		cJSON_AddStringToObject(o, "defaultModel", model);
	else
		cJSON_AddNullToObject(o, "defaultModel");
	t.base[strlen(t.base) - strlen("/maas-api")] = '\0';
	cJSON_AddStringToObject(o, "maasUrl", t.base);
	if (output_is_table(&out) || out.format == OUTPUT_NAME) {
		printf("User:          %s\n", user);
		printf("Groups:        ");
		for (i = 0; i < groups.n; i++)
			printf("%s%s", i ? ", " : "", groups.v[i]);
		printf("%s\n", groups.n ? "" : "<none>");
		printf("MaaS admin:    %s\n", admin ? "yes (may create "
		    "maasauthpolicies in " MAAS_NS ")" : "no");
		printf("Subscriptions: ");
		i = 0;
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(o, "subscriptions"))
			printf("%s%s", i++ ? ", " : "", it->valuestring);
		printf("%s\n", i ? "" : "<none>");
		printf("Default model: %s%s%s%s\n", model ? model : "<none>",
		    model ? " (" : "", model ? mfrom : "", model ? ")" : "");
		printf("MaaS URL:      %s\n", t.base);
	} else if (output_print(&out, o, NULL, stdout, stderr, e) != 0)
		goto done_t;
	rc = 0;
done_t:
	target_free(&t);
done:
	cJSON_Delete(o);
	cJSON_Delete(subs);
	cJSON_Delete(models);
	free(user);
	free(model);
	sl_free(&groups);
	output_free(&out);
	return rc;
}

const struct command cmd_login = {
	.name = "login",
	.summary = "Log in to MaaS: find the gateway, check it, store a "
	    "profile",
	.usage = "[--token @FILE|-|env:NAME] [--maas-url U] [--ca-file F] "
	    "[--trust-cluster-ca] [--profile P]",
	.opts = login_opts,
	.run = login_run,
	.max_args = 0,
};

const struct command cmd_logout = {
	.name = "logout",
	.summary = "Remove the token stored by login",
	.usage = "[--profile P]",
	.run = logout_run,
	.max_args = 0,
};

const struct command cmd_whoami = {
	.name = "whoami",
	.summary = "Show your user, groups, admin rights, subscriptions and "
	    "default model",
	.usage = "[-o FORMAT]",
	.run = whoami_run,
	.max_args = 0,
};
