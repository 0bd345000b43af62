/*
 * test_kube.c: common/kube.c against the scripted responder
 * (tests/helpers/responder): discovery, get, paged lists and Tables,
 * writes with their content types and query parameters, watch with
 * bookmarks and relist on 410, token refresh after 401, impersonation,
 * and every kubectl error form (Status errors, made-up messages for
 * non-Status bodies, 422 causes, refused connections, TLS failures).
 */
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "kube.h"
#include "tap.h"
#include "xalloc.h"

static char	 responder_bin[PATH_MAX];
static char	 tmpdir[] = "/tmp/test_kube.XXXXXX";
static pid_t	 rpid = -1;
static int	 rport;
static char	*rlog;
static int	 nstarted;

static char *
slurp(const char *path)
{
	struct strbuf	 sb = STRBUF_INIT;
	char		 buf[4096];
	FILE		*f;
	size_t		 n;

	sb_add(&sb, "", 0);
	if ((f = fopen(path, "r")) == NULL)
		return sb_detach(&sb);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(&sb, buf, n);
	fclose(f);
	return sb_detach(&sb);
}

static void
stop(void)
{
	int	 st;

	if (rpid > 0) {
		kill(rpid, SIGTERM);
		waitpid(rpid, &st, 0);
	}
	rpid = -1;
}

/* Start the responder with a script and extra flags (NULL-ended, may be
 * NULL); returns its base URL (static). */
static const char *
start_with(const char *script, const char *const *extra)
{
	const char	*argv[32];
	int		 argc = 0;

	static char	 url[64];
	char		*spath, *ppath, *p;
	FILE		*f;
	int		 i;

	stop();
	nstarted++;
	spath = xasprintf("%s/script%d", tmpdir, nstarted);
	ppath = xasprintf("%s/port%d", tmpdir, nstarted);
	free(rlog);
	rlog = xasprintf("%s/log%d", tmpdir, nstarted);
	f = fopen(spath, "w");
	fputs(script, f);
	fclose(f);
	argv[argc++] = "responder";
	argv[argc++] = "--script";
	argv[argc++] = spath;
	argv[argc++] = "--port-file";
	argv[argc++] = ppath;
	argv[argc++] = "--log";
	argv[argc++] = rlog;
	argv[argc++] = "--lifetime";
	argv[argc++] = "60";
	while (extra != NULL && *extra != NULL && argc < 30)
		argv[argc++] = *extra++;
	argv[argc] = NULL;
	rpid = fork();
	if (rpid == 0) {
		execv(responder_bin, (char *const *)argv);
		_exit(127);
	}
	for (i = 0; i < 500; i++) {
		p = slurp(ppath);
		rport = atoi(p);
		free(p);
		if (rport > 0)
			break;
		usleep(10000);
	}
	free(spath);
	free(ppath);
	snprintf(url, sizeof url, "%s://127.0.0.1:%d",
	    extra != NULL ? "https" : "http", rport);
	return url;
}

static const char *
start(const char *script)
{
	return start_with(script, NULL);
}

static int
count_requests(void)
{
	char	*l = slurp(rlog), *p;
	int	 n = 0;

	for (p = l; (p = strstr(p, "=== ")) != NULL; p += 4)
		if (p == l || p[-1] == '\n')
			n++;
	free(l);
	return n;
}

/* The Nth logged request (1-based), from its "=== " line to the next. */
static char *
request(int n)
{
	char	*l = slurp(rlog), *p = l, *end, *r;
	int	 i = 0;

	while ((p = strstr(p, "=== ")) != NULL) {
		if (p == l || p[-1] == '\n') {
			if (++i == n)
				break;
		}
		p += 4;
	}
	if (p == NULL) {
		free(l);
		return xstrdup("");
	}
	end = strstr(p + 4, "\n=== ");
	r = end ? xstrndup(p, (size_t)(end - p + 1)) : xstrdup(p);
	free(l);
	return r;
}

/* The request line of the Nth request, without "=== N ". */
static char *
reqline(int n)
{
	char	*r = request(n), *sp, *nl, *out;

	sp = strchr(r + 4, ' ');
	nl = strchr(r, '\n');
	out = (sp && nl) ? xstrndup(sp + 1, (size_t)(nl - sp - 1)) :
	    xstrdup("");
	free(r);
	return out;
}

static int
req_has(int n, const char *s)
{
	char	*r = request(n);
	int	 ok = strstr(r, s) != NULL;

	free(r);
	return ok;
}

static struct kube *
client(const char *url)
{
	struct kube_config	 cfg;
	struct err		 e = ERR_INIT;
	struct kube		*k;

	memset(&cfg, 0, sizeof cfg);
	cfg.server = url;
	cfg.token = "static-token";
	cfg.http.backoff_base = 0.01;
	k = kube_new(&cfg, &e);
	err_clear(&e);
	return k;
}

#define SUB_GROUP "maas.opendatahub.io"

static void
sub_resource(struct kube_resource *r)
{
	kube_resource_set(r, SUB_GROUP, "v1alpha1", "maassubscriptions",
	    "MaaSSubscription", 1);
}

#define STATUS(code, reason, msg)					\
	"status " #code "\nheader Content-Type: application/json\n"	\
	"line {\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"	\
	"\"status\":\"Failure\",\"message\":\"" msg "\",\"reason\":\""	\
	reason "\",\"code\":" #code "}\n"

TEST(discovery)
{
	struct kube		*k;
	struct kube_resource	 r;
	struct err		 e = ERR_INIT;
	char			*s, *v;

	k = client(start(
	    "line {\"kind\":\"APIGroup\",\"name\":\"" SUB_GROUP "\","
	    "\"versions\":[{\"groupVersion\":\"" SUB_GROUP "/v1alpha1\","
	    "\"version\":\"v1alpha1\"},{\"groupVersion\":\"" SUB_GROUP "/v1\","
	    "\"version\":\"v1\"}],\"preferredVersion\":{\"groupVersion\":\""
	    SUB_GROUP "/v1alpha1\",\"version\":\"v1alpha1\"}}\n"
	    "---\n"
	    "line {\"kind\":\"APIResourceList\",\"groupVersion\":\"" SUB_GROUP
	    "/v1alpha1\",\"resources\":[{\"name\":\"maassubscriptions/status\","
	    "\"namespaced\":true,\"kind\":\"MaaSSubscription\"},"
	    "{\"name\":\"maassubscriptions\",\"singularName\":"
	    "\"maassubscription\",\"namespaced\":true,\"kind\":"
	    "\"MaaSSubscription\",\"shortNames\":[\"msub\"]},"
	    "{\"name\":\"tenants\",\"singularName\":\"tenant\",\"namespaced\":"
	    "false,\"kind\":\"Tenant\"}]}\n"
	    "---\n"
	    "line {\"kind\":\"APIResourceList\",\"groupVersion\":\"" SUB_GROUP
	    "/v1\",\"resources\":[{\"name\":\"widgets\",\"namespaced\":true,"
	    "\"kind\":\"Widget\"}]}\n"
	    "---\n"
	    "line {\"kind\":\"APIVersions\",\"versions\":[\"v1\"]}\n"
	    "---\n"
	    "line {\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\","
	    "\"resources\":[{\"name\":\"configmaps\",\"singularName\":"
	    "\"configmap\",\"namespaced\":true,\"kind\":\"ConfigMap\","
	    "\"shortNames\":[\"cm\"]}]}\n"));
	ok(kube_resolve(k, SUB_GROUP, "MaaSSubscription", &r, &e) == 0,
	    "resolve by Kind");
	is_str(r.name, "maassubscriptions", "plural, not the status subresource");
	is_str(r.version, "v1alpha1", "preferred version");
	is_str(r.singular, "maassubscription", "singular name");
	ok(r.namespaced, "namespaced");
	s = reqline(1);
	is_str(s, "GET /apis/" SUB_GROUP " HTTP/1.1", "group document first");
	free(s);
	s = reqline(2);
	is_str(s, "GET /apis/" SUB_GROUP "/v1alpha1 HTTP/1.1",
	    "then the version's resources");
	free(s);
	kube_resource_free(&r);
	ok(kube_resolve(k, SUB_GROUP, "msub", &r, &e) == 0 &&
	    strcmp(r.kind, "MaaSSubscription") == 0, "short name, cached");
	kube_resource_free(&r);
	ok(kube_resolve(k, SUB_GROUP, "tenant", &r, &e) == 0 && !r.namespaced,
	    "singular name of a cluster-scoped type");
	kube_resource_free(&r);
	is_int(count_requests(), 2, "discovery is cached");
	ok(kube_resolve(k, SUB_GROUP, "Widget", &r, &e) == 0 &&
	    strcmp(r.version, "v1") == 0, "a kind only in another version");
	kube_resource_free(&r);
	ok(kube_resolve(k, "", "cm", &r, &e) == 0 &&
	    strcmp(r.name, "configmaps") == 0 && strcmp(r.group, "") == 0,
	    "core group through /api and /api/v1");
	s = reqline(4);
	is_str(s, "GET /api HTTP/1.1", "core discovery asks /api");
	free(s);
	s = kube_path(&r, "team-a", "my cm", NULL);
	is_str(s, "/api/v1/namespaces/team-a/configmaps/my%20cm",
	    "core object path, name escaped");
	free(s);
	kube_resource_free(&r);
	ok(kube_resolve(k, SUB_GROUP, "nosuch", &r, &e) == -1, "unknown kind");
	is_str(e.msg, "error: the server doesn't have a resource type "
	    "\"nosuch\" in the API group \"" SUB_GROUP "\"", "its message");
	is_int(e.code, EXIT_NOTFOUND, "exit 4");
	err_clear(&e);
	v = kube_preferred_version(k, SUB_GROUP, &e);
	is_str(v, "v1alpha1", "preferred version from the cache");
	free(v);
	kube_free(k);
}

TEST(discovery_missing_group)
{
	struct kube		*k;
	struct kube_resource	 r;
	struct err		 e = ERR_INIT;

	k = client(start(STATUS(404, "NotFound", "the server could not find "
	    "the requested resource") "---\n"
	    "line {\"kind\":\"APIGroupList\",\"groups\":[{\"name\":\"apps\","
	    "\"versions\":[{\"version\":\"v1\"}]}]}\n"));
	ok(kube_resolve(k, SUB_GROUP, "MaaSSubscription", &r, &e) == -1,
	    "group not served");
	is_str(e.msg, "the server does not serve the API group \"" SUB_GROUP
	    "\"", "message names the group");
	is_str(e.hint, "ensure CRDs are installed first", "hint");
	is_int(e.code, EXIT_NOTFOUND, "exit 4");
	err_clear(&e);
	kube_free(k);
}

TEST(get_and_errors)
{
	struct kube		*k;
	struct kube_resource	 r;
	struct err		 e = ERR_INIT;
	cJSON			*o = NULL;
	char			*s;

	sub_resource(&r);
	k = client(start(
	    "line {\"kind\":\"MaaSSubscription\",\"metadata\":{\"name\":\"gold\"}}\n"
	    "---\n"
	    STATUS(404, "NotFound", "maassubscriptions.maas.opendatahub.io "
	    "\\\"x\\\" not found")
	    "---\n"
	    "status 404\nline 404 page not found\n"
	    "---\n"
	    STATUS(403, "Forbidden", "maassubscriptions.maas.opendatahub.io "
	    "\\\"x\\\" is forbidden: User \\\"bob\\\" cannot get resource")
	    "---\n"
	    "status 500\nheader Content-Type: application/json\n"
	    "line {\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":"
	    "\"Failure\",\"message\":\"no reason here\",\"code\":500}\n"
	    "---\n"
	    "status 500\nline boom\n"
	    "---\n"
	    STATUS(401, "Unauthorized", "Unauthorized")
	    "---\n"
	    "status 401\n"
	    "---\n"
	    "status 418\n"));
	ok(kube_get(k, &r, "team-a", "gold", &o, &e) == 0, "get");
	is_str(json_str(o, "metadata.name"), "gold", "object decoded");
	cJSON_Delete(o);
	s = reqline(1);
	is_str(s, "GET /apis/" SUB_GROUP "/v1alpha1/namespaces/team-a/"
	    "maassubscriptions/gold HTTP/1.1", "object path");
	free(s);
	ok(req_has(1, "Authorization: Bearer static-token\n"), "bearer token");
	ok(req_has(1, "Accept: application/json\n"), "JSON accept");

	ok(kube_get(k, &r, "team-a", "x", &o, &e) == -1 && o == NULL,
	    "404 fails");
	is_str(e.msg, "Error from server (NotFound): maassubscriptions."
	    "maas.opendatahub.io \"x\" not found", "NotFound text");
	is_int(e.code, EXIT_NOTFOUND, "exit 4");
	ok(e.raw, "printed as is");
	is_int(e.http_status, 404, "status kept");

	kube_get(k, &r, "team-a", "x", &o, &e);
	is_str(e.msg, "Error from server (NotFound): the server could not "
	    "find the requested resource (get maassubscriptions."
	    "maas.opendatahub.io x)", "plain-text 404 as client-go words it");

	kube_get(k, &r, "team-a", "x", &o, &e);
	is_str(e.msg, "Error from server (Forbidden): maassubscriptions."
	    "maas.opendatahub.io \"x\" is forbidden: User \"bob\" cannot get "
	    "resource", "Forbidden text");
	is_int(e.code, EXIT_AUTH, "403 exits 3");

	kube_get(k, &r, "team-a", "x", &o, &e);
	is_str(e.msg, "Error from server: no reason here",
	    "a Status without a reason");
	kube_err_insert(&e, "error when replacing \"%s\"", "f");
	is_str(e.msg, "Error from server: error when replacing \"f\": no "
	    "reason here", "context after a reasonless prefix");
	is_int(e.code, EXIT_UNREACHABLE, "500 exits 6");

	kube_get(k, &r, "team-a", "x", &o, &e);
	is_str(e.msg, "Error from server (InternalError): an error on the "
	    "server (\"boom\") has prevented the request from succeeding "
	    "(get maassubscriptions.maas.opendatahub.io x)",
	    "plain-text 500");

	kube_get(k, &r, "team-a", "x", &o, &e);
	is_str(e.msg, "error: You must be logged in to the server "
	    "(Unauthorized)", "401 Status");
	is_int(e.code, EXIT_AUTH, "401 exits 3");

	kube_get(k, &r, "team-a", "x", &o, &e);
	is_str(e.msg, "error: You must be logged in to the server (the "
	    "server has asked for the client to provide credentials)",
	    "401 without a body");

	kube_get(k, &r, "team-a", "x", &o, &e);
	is_str(e.msg, "Error from server: the server responded "
	    "with the status code 418 but did not return more information "
	    "(get maassubscriptions.maas.opendatahub.io x)", "odd status");
	err_clear(&e);
	kube_resource_free(&r);
	kube_free(k);
}

TEST(invalid)
{
	struct kube		*k;
	struct kube_resource	 r;
	struct err		 e = ERR_INIT;
	cJSON			*obj, *o = NULL;

#define INVALID(causes)							\
	"status 422\nheader Content-Type: application/json\n"		\
	"line {\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"	\
	"\"status\":\"Failure\",\"message\":\"ignored\",\"reason\":"	\
	"\"Invalid\",\"details\":{\"name\":\"bad\",\"group\":\"" SUB_GROUP \
	"\",\"kind\":\"MaaSSubscription\"" causes "},\"code\":422}\n"
	sub_resource(&r);
	k = client(start(
	    INVALID(",\"causes\":[{\"reason\":\"FieldValueTypeInvalid\","
	    "\"message\":\"Invalid value: \\\"string\\\": spec.priority in "
	    "body must be of type integer: \\\"string\\\"\",\"field\":"
	    "\"spec.priority\"},{\"reason\":\"FieldValueRequired\",\"message\":"
	    "\"Required value\",\"field\":\"spec.modelRefs\"},{\"reason\":"
	    "\"FieldValueRequired\",\"message\":\"Required value\",\"field\":"
	    "\"spec.modelRefs\"}]")
	    "---\n"
	    INVALID(",\"causes\":[{\"message\":\"Required value\",\"field\":"
	    "\"spec.modelRefs\"}]")
	    "---\n"
	    INVALID("")
	    "---\n"
	    STATUS(409, "AlreadyExists", "maassubscriptions.maas.opendatahub.io "
	    "\\\"bad\\\" already exists")));
	obj = cJSON_Parse("{\"apiVersion\":\"" SUB_GROUP "/v1alpha1\","
	    "\"kind\":\"MaaSSubscription\",\"metadata\":{\"name\":\"bad\"}}");
	ok(kube_create(k, &r, "team-a", obj, NULL, &o, &e) == -1, "422");
	kube_err_insert(&e, "error when creating \"%s\"", "f.yaml");
	is_str(e.msg, "The MaaSSubscription \"bad\" is invalid: \n"
	    "* spec.priority: Invalid value: \"string\": spec.priority in body "
	    "must be of type integer: \"string\"\n"
	    "* spec.modelRefs: Required value",
	    "several causes, one line each, duplicates dropped");
	is_int(e.code, EXIT_ERR, "422 exits 1");
	kube_create(k, &r, "team-a", obj, NULL, &o, &e);
	is_str(e.msg, "The MaaSSubscription \"bad\" is invalid: "
	    "spec.modelRefs: Required value", "one cause, one line");
	kube_create(k, &r, "team-a", obj, NULL, &o, &e);
	is_str(e.msg, "The MaaSSubscription \"bad\" is invalid",
	    "no causes: the message is lost, as in kubectl");
	kube_create(k, &r, "team-a", obj, NULL, &o, &e);
	is_str(e.msg, "Error from server (AlreadyExists): maassubscriptions."
	    "maas.opendatahub.io \"bad\" already exists", "AlreadyExists");
	kube_err_insert(&e, "error when creating \"%s\"", "sub1.yaml");
	is_str(e.msg, "Error from server (AlreadyExists): error when creating "
	    "\"sub1.yaml\": maassubscriptions.maas.opendatahub.io \"bad\" "
	    "already exists", "-f context inserted as kubectl does");
	is_int(e.code, EXIT_CONFLICT, "409 exits 5");
	is_int(count_requests(), 4, "a failed POST is never resent");
	err_clear(&e);
	cJSON_Delete(obj);
	kube_resource_free(&r);
	kube_free(k);
}

TEST(paged_list)
{
	struct kube		*k;
	struct kube_resource	 r;
	struct kube_list_opts	 lo;
	struct err		 e = ERR_INIT;
	cJSON			*l = NULL;
	char			*s;

	sub_resource(&r);
	k = client(start(
	    "line {\"kind\":\"MaaSSubscriptionList\",\"metadata\":"
	    "{\"resourceVersion\":\"41\",\"continue\":\"tok/1\","
	    "\"remainingItemCount\":1},\"items\":[{\"metadata\":{\"name\":\"a\"}},"
	    "{\"metadata\":{\"name\":\"b\"}}]}\n"
	    "---\n"
	    "line {\"kind\":\"MaaSSubscriptionList\",\"metadata\":"
	    "{\"resourceVersion\":\"41\"},\"items\":[{\"metadata\":"
	    "{\"name\":\"c\"}}]}\n"
	    "---\n"
	    "line {\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\","
	    "\"metadata\":{\"continue\":\"t2\"},\"columnDefinitions\":"
	    "[{\"name\":\"Name\"}],\"rows\":[{\"cells\":[\"a\"]}]}\n"
	    "---\n"
	    "line {\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\","
	    "\"metadata\":{},\"columnDefinitions\":[{\"name\":\"Name\"}],"
	    "\"rows\":[{\"cells\":[\"b\"]}]}\n"
	    "---\n"
	    "status 410\nheader Content-Type: application/json\n"
	    "line {\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
	    "\"status\":\"Failure\",\"message\":\"The provided continue "
	    "parameter is too old to display a consistent list result.\","
	    "\"reason\":\"Expired\",\"code\":410}\n"));
	memset(&lo, 0, sizeof lo);
	lo.limit = 2;
	lo.label_selector = "tier in (gold,silver),app!=x";
	lo.field_selector = "metadata.name!=z";
	ok(kube_list(k, &r, "team-a", &lo, &l, &e) == 0, "list");
	is_int(cJSON_GetArraySize(cJSON_GetObjectItem(l, "items")), 3,
	    "items of both pages");
	is_str(json_str(cJSON_GetArrayItem(cJSON_GetObjectItem(l, "items"), 2),
	    "metadata.name"), "c", "second page's item last");
	ok(json_path(l, "metadata.continue") == NULL &&
	    json_path(l, "metadata.remainingItemCount") == NULL,
	    "no continue token left over");
	is_str(json_str(l, "metadata.resourceVersion"), "41", "list RV kept");
	cJSON_Delete(l);
	s = reqline(1);
	is_str(s, "GET /apis/" SUB_GROUP "/v1alpha1/namespaces/team-a/"
	    "maassubscriptions?labelSelector=tier%20in%20%28gold%2Csilver%29"
	    "%2Capp%21%3Dx&fieldSelector=metadata.name%21%3Dz&limit=2 HTTP/1.1",
	    "first page: selectors escaped, limit");
	free(s);
	s = reqline(2);
	ok(strstr(s, "&limit=2&continue=tok%2F1 HTTP/1.1") != NULL,
	    "second page asks with the continue token: %s", s);
	free(s);
	ok(req_has(2, "connection: 1\n"),
	    "the second page reuses the connection");

	memset(&lo, 0, sizeof lo);
	lo.table = 1;
	ok(kube_list(k, &r, NULL, &lo, &l, &e) == 0, "Table list");
	is_int(cJSON_GetArraySize(cJSON_GetObjectItem(l, "rows")), 2,
	    "rows of both pages");
	is_int(cJSON_GetArraySize(cJSON_GetObjectItem(l, "columnDefinitions")),
	    1, "columns once");
	cJSON_Delete(l);
	ok(req_has(3, "Accept: application/json;as=Table;v=v1;g=meta.k8s.io,"
	    "application/json\n"), "Table accept header");
	s = reqline(3);
	is_str(s, "GET /apis/" SUB_GROUP "/v1alpha1/maassubscriptions?"
	    "limit=500 HTTP/1.1", "all namespaces: no namespace segment");
	free(s);

	memset(&lo, 0, sizeof lo);
	lo.continue_token = "old";
	ok(kube_list(k, &r, "team-a", &lo, &l, &e) == -1, "expired continue");
	is_str(e.msg, "Error from server (Expired): The provided continue "
	    "parameter is too old to display a consistent list result.",
	    "Expired text");
	is_int(e.code, EXIT_NOTFOUND, "410 exits 4");
	err_clear(&e);
	kube_resource_free(&r);
	kube_free(k);
}

/* Names kube_list_each() handed over, in order. */
static int
each_name(void *arg, const cJSON *it)
{
	struct strbuf	*sb = arg;

	sb_addf(sb, "%s;", json_str(it, "metadata.name"));
	return strcmp(json_str(it, "metadata.name"), "stop") == 0;
}

TEST(list_each)
{
	struct kube		*k;
	struct kube_resource	 r;
	struct kube_list_opts	 lo;
	struct strbuf		 names = STRBUF_INIT;
	struct err		 e = ERR_INIT;
	char			*rv = NULL, *s;

	sub_resource(&r);
	sb_init(&names);
	k = client(start(
	    "line {\"kind\":\"MaaSSubscriptionList\",\"metadata\":"
	    "{\"resourceVersion\":\"41\",\"continue\":\"tok/1\"},\"items\":"
	    "[{\"metadata\":{\"name\":\"a\"}},{\"metadata\":{\"name\":\"b\","
	    "\"x\":\"],\\\"\"}}]}\n"
	    "---\n"
	    "line {\"kind\":\"MaaSSubscriptionList\",\"metadata\":"
	    "{\"resourceVersion\":\"42\"},\"items\":[{\"metadata\":"
	    "{\"name\":\"c\"}}]}\n"
	    "---\n"
	    "line {\"kind\":\"MaaSSubscriptionList\",\"metadata\":"
	    "{\"continue\":\"more\"},\"items\":[{\"metadata\":{\"name\":"
	    "\"stop\"}},{\"metadata\":{\"name\":\"never\"}}]}\n"
	    "---\n"
	    "line {\"kind\":\"MaaSSubscriptionList\",\"items\":[{\"metadata\":"
	    "{\"name\":\"d\"}},{\"metadata\":{\"name\":}}]}\n"
	    "---\n"
	    "status 410\nheader Content-Type: application/json\n"
	    "line {\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
	    "\"status\":\"Failure\",\"message\":\"The provided continue "
	    "parameter is too old to display a consistent list result.\","
	    "\"reason\":\"Expired\",\"code\":410}\n"));
	memset(&lo, 0, sizeof lo);
	lo.limit = 2;
	lo.label_selector = "app=x";
	ok(kube_list_each(k, &r, "team-a", &lo, each_name, &names, &rv,
	    &e) == 0, "list each");
	is_str(names.buf, "a;b;c;", "every item of both pages, in order");
	is_str(rv, "41", "the first page's resourceVersion");
	free(rv);
	s = reqline(1);
	is_str(s, "GET /apis/" SUB_GROUP "/v1alpha1/namespaces/team-a/"
	    "maassubscriptions?labelSelector=app%3Dx&limit=2 HTTP/1.1",
	    "first page: selector, limit");
	free(s);
	s = reqline(2);
	ok(strstr(s, "&limit=2&continue=tok%2F1 HTTP/1.1") != NULL,
	    "second page asks with the continue token: %s", s);
	free(s);

	sb_reset(&names);
	ok(kube_list_each(k, &r, NULL, NULL, each_name, &names, NULL,
	    &e) == 0, "a callback that stops is no error");
	is_str(names.buf, "stop;", "nothing after the stop, no next page");

	sb_reset(&names);
	ok(kube_list_each(k, &r, NULL, NULL, each_name, &names, NULL,
	    &e) == -1, "an item that is not JSON fails");
	is_str(names.buf, "d;", "the items before it were handed over");
	is_str(e.msg, "decoding the reply to GET /apis/" SUB_GROUP
	    "/v1alpha1/maassubscriptions?limit=500: item 2: invalid JSON at "
	    "line 1, column 21: invalid character '}'",
	    "says which reply, which item and where");
	err_clear(&e);

	memset(&lo, 0, sizeof lo);
	lo.continue_token = "old";
	ok(kube_list_each(k, &r, "team-a", &lo, each_name, &names, NULL,
	    &e) == -1, "expired continue");
	is_str(e.msg, "Error from server (Expired): The provided continue "
	    "parameter is too old to display a consistent list result.",
	    "Expired text");
	is_int(e.code, EXIT_NOTFOUND, "410 exits 4");
	err_clear(&e);
	sb_free(&names);
	kube_resource_free(&r);
	kube_free(k);
}

/* Names and whether managedFields came with each item. */
static int
each_mf(void *arg, const cJSON *it)
{
	struct strbuf	*sb = arg;

	sb_addf(sb, "%s%s;", json_str(it, "metadata.name"),
	    json_path(it, "metadata.managedFields") ? "+mf" : "");
	return 0;
}

TEST(list_each_no_managed_fields)
{
	static const char page[] =
	    "line {\"kind\":\"MaaSSubscriptionList\",\"metadata\":"
	    "{\"resourceVersion\":\"7\"},\"items\":[{\"metadata\":"
	    "{\"name\":\"a\",\"managedFields\":[{\"manager\":\"k\","
	    "\"fieldsV1\":{\"f:spec\":{}}}],\"uid\":\"u\"},\"spec\":"
	    "{\"priority\":3}},{\"metadata\":{\"name\":\"b\"}}]}\n";
	struct kube		*k;
	struct kube_resource	 r;
	struct kube_list_opts	 lo;
	struct strbuf		 names = STRBUF_INIT;
	struct err		 e = ERR_INIT;
	char			*rv = NULL, *script;

	sub_resource(&r);
	script = xasprintf("%s---\n%s", page, page);
	k = client(start(script));
	free(script);
	memset(&lo, 0, sizeof lo);
	ok(kube_list_each(k, &r, NULL, &lo, each_mf, &names, &rv, &e) == 0,
	    "list each");
	is_str(names.buf, "a+mf;b;", "managedFields come by default");
	free(rv);
	sb_reset(&names);
	lo.no_managed_fields = 1;
	ok(kube_list_each(k, &r, NULL, &lo, each_mf, &names, &rv, &e) == 0,
	    "list each without managedFields");
	is_str(names.buf, "a;b;", "no item has them");
	is_str(rv, "7", "the envelope is read as before");
	free(rv);
	sb_free(&names);
	kube_resource_free(&r);
	kube_free(k);
}

/* A list reply of items "<pfx>-<i>" for i in [0, n), each with a 300-byte
 * string (so a page spans several of the parsing thread's batches), a
 * continue token (or none), and item bad (or none, -1) not JSON. */
static void
page_reply(struct strbuf *sb, const char *pfx, int n, const char *cont,
    int bad)
{
	char	pad[301];
	int	i;

	memset(pad, 'x', 300);
	pad[300] = '\0';
	sb_addf(sb, "line {\"kind\":\"MaaSSubscriptionList\",\"metadata\":"
	    "{\"resourceVersion\":\"9\"%s%s%s},\"items\":[",
	    cont ? ",\"continue\":\"" : "", cont ? cont : "", cont ? "\"" : "");
	for (i = 0; i < n; i++) {
		if (i > 0)
			sb_addc(sb, ',');
		if (i == bad)
			sb_adds(sb, "{\"metadata\":{\"name\":}},");
		sb_addf(sb, "{\"metadata\":{\"name\":\"%s-%03d\",\"uid\":"
		    "\"u-%d\"},\"spec\":{\"pad\":\"%s\",\"n\":%d},\"status\":"
		    "{\"phase\":\"Active\"}}", pfx, i, i, pad, i);
	}
	sb_adds(sb, "]}\n---\n");
}

/* Names handed over, "+spec" where the item came with its spec. */
static int
each_spec(void *arg, const cJSON *it)
{
	struct strbuf	*sb = arg;

	sb_addf(sb, "%s%s;", json_str(it, "metadata.name"),
	    json_path(it, "spec") ? "+spec" : "");
	return 0;
}

/* One listing of script: its return, error and the names handed over. */
struct lrun {
	int	 rc, code;
	char	*msg, *names;
};

static void
list_run(const char *script, int parallel, const char *const *fields,
    struct lrun *out)
{
	struct kube		*k;
	struct kube_resource	 r;
	struct kube_list_opts	 lo;
	struct strbuf		 names = STRBUF_INIT;
	struct err		 e = ERR_INIT;

	sub_resource(&r);
	sb_init(&names);
	k = client(start(script));
	memset(&lo, 0, sizeof lo);
	lo.parallel = parallel;
	lo.fields = fields;
	out->rc = kube_list_each(k, &r, NULL, &lo, each_spec, &names, NULL,
	    &e);
	out->code = e.code;
	out->msg = xstrdup(e.msg ? e.msg : "");
	out->names = sb_detach(&names);
	err_clear(&e);
	kube_resource_free(&r);
	kube_free(k);
}

static void
lrun_free(struct lrun *l)
{
	free(l->msg);
	free(l->names);
}

TEST(list_each_parallel)
{
	static const char *const name_only[] = { "metadata.name", NULL };
	static const char forbidden[] = "status 403\n"
	    "header Content-Type: application/json\n"
	    "line {\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
	    "\"status\":\"Failure\",\"message\":\"maassubscriptions is "
	    "forbidden: no\",\"reason\":\"Forbidden\",\"code\":403}\n---\n";
	static const char expired[] = "status 410\n"
	    "header Content-Type: application/json\n"
	    "line {\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
	    "\"status\":\"Failure\",\"message\":\"The provided continue "
	    "parameter is too old to display a consistent list result.\","
	    "\"reason\":\"Expired\",\"code\":410}\n---\n";
	static const struct {
		const char	*what;
		int		 p1, p2, p3, bad2, bad3, rc;
		const char	*after;	/* a reply after two pages */
		int		 same_names; /* handed over as inline */
	} c[] = {
		{ "three pages", 200, 200, 7, -1, -1, 0, NULL, 1 },
		{ "an item that is not JSON on page 2", 200, 50, 7, 5, -1, -1,
		  NULL, 1 },
		{ "an item that is not JSON on page 3", 200, 200, 30, -1, 29,
		  -1, NULL, 1 },
		{ "403 on page 3", 200, 200, 0, -1, -1, -1, forbidden, 0 },
		{ "410 on page 3", 200, 200, 0, -1, -1, -1, expired, 0 },
	};
	struct strbuf	 sb = STRBUF_INIT;
	struct lrun	 seq, par;
	size_t		 i;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		sb_reset(&sb);
		page_reply(&sb, "p1", c[i].p1, "t1", -1);
		page_reply(&sb, "p2", c[i].p2, "t2", c[i].bad2);
		if (c[i].after != NULL)
			sb_adds(&sb, c[i].after);
		else
			page_reply(&sb, "p3", c[i].p3, NULL, c[i].bad3);
		list_run(sb.buf, 0, NULL, &seq);
		list_run(sb.buf, 1, NULL, &par);
		is_int(seq.rc, c[i].rc, "%s: inline", c[i].what);
		is_int(par.rc, c[i].rc, "%s: on a second thread", c[i].what);
		is_str(par.msg, seq.msg, "%s: the same error", c[i].what);
		is_int(par.code, seq.code, "%s: the same exit code",
		    c[i].what);
		if (c[i].same_names)
			is_str(par.names, seq.names, "%s: the same items, in "
			    "order", c[i].what);
		if (i == 0) {
			ok(strncmp(par.names, "p1-000+spec;p1-001+spec;", 24)
			    == 0 && strstr(par.names, "p1-199+spec;p2-000+spec;")
			    != NULL && strstr(par.names, ";p3-006+spec;") != NULL
			    && strlen(par.names) == 407 * 12, "every item, in "
			    "order: %.60s", par.names);
		}
		if (i == 1)
			is_str(par.msg, "decoding the reply to GET /apis/"
			    SUB_GROUP "/v1alpha1/maassubscriptions?limit=500&"
			    "continue=t1: item 6: invalid JSON at line 1, "
			    "column 21: invalid character '}'", "which page, "
			    "which item");
		if (i == 4) {
			is_str(par.msg, "Error from server (Expired): The "
			    "provided continue parameter is too old to display "
			    "a consistent list result.", "410 as inline");
			is_int(par.code, EXIT_NOTFOUND, "410 exits 4");
		}
		lrun_free(&seq);
		lrun_free(&par);
	}

	/* Only the members asked for, on either thread. */
	sb_reset(&sb);
	page_reply(&sb, "p1", 3, "t1", -1);
	page_reply(&sb, "p2", 2, NULL, -1);
	list_run(sb.buf, 1, name_only, &par);
	is_int(par.rc, 0, "fields on a second thread");
	is_str(par.names, "p1-000;p1-001;p1-002;p2-000;p2-001;",
	    "items with only the name");
	lrun_free(&par);
	list_run(sb.buf, 0, name_only, &seq);
	is_str(seq.names, "p1-000;p1-001;p1-002;p2-000;p2-001;",
	    "and inline");
	lrun_free(&seq);
	sb_free(&sb);
}

TEST(writes)
{
	struct kube		*k;
	struct kube_resource	 r;
	struct kube_write_opts	 wo = KUBE_WRITE_OPTS_INIT;
	struct err		 e = ERR_INIT;
	cJSON			*obj, *o = NULL;
	char			*s;

	sub_resource(&r);
	k = client(start(
	    "status 201\nline {\"metadata\":{\"name\":\"gold\","
	    "\"resourceVersion\":\"5\"}}\n---\n"
	    "line {\"metadata\":{\"name\":\"gold\",\"resourceVersion\":\"6\"}}\n"
	    "---\n"
	    STATUS(409, "Conflict", "Operation cannot be fulfilled on "
	    "maassubscriptions.maas.opendatahub.io \\\"gold\\\": the object "
	    "has been modified; please apply your changes to the latest "
	    "version and try again")
	    "---\nline {}\n---\nline {}\n---\nline {}\n---\n"
	    "line {\"kind\":\"Status\",\"status\":\"Success\"}\n"));
	obj = cJSON_Parse("{\"apiVersion\":\"" SUB_GROUP "/v1alpha1\","
	    "\"kind\":\"MaaSSubscription\",\"metadata\":{\"name\":\"gold\"},"
	    "\"spec\":{\"priority\":1}}");
	wo.field_manager = "maasctl";
	ok(kube_create(k, &r, "team-a", obj, &wo, &o, &e) == 0, "create");
	is_str(json_str(o, "metadata.resourceVersion"), "5", "reply decoded");
	cJSON_Delete(o);
	s = reqline(1);
	is_str(s, "POST /apis/" SUB_GROUP "/v1alpha1/namespaces/team-a/"
	    "maassubscriptions?fieldManager=maasctl HTTP/1.1", "create path");
	free(s);
	ok(req_has(1, "Content-Type: application/json\n") &&
	    req_has(1, "\"spec\":{\"priority\":1}"), "JSON body");

	ok(kube_replace(k, &r, "team-a", obj, "5", NULL, &o, &e) == 0,
	    "replace");
	cJSON_Delete(o);
	s = reqline(2);
	is_str(s, "PUT /apis/" SUB_GROUP "/v1alpha1/namespaces/team-a/"
	    "maassubscriptions/gold HTTP/1.1", "replace path");
	free(s);
	ok(req_has(2, "\"resourceVersion\":\"5\""),
	    "resourceVersion precondition in the body");
	ok(kube_replace(k, &r, "team-a", obj, "4", NULL, &o, &e) == -1,
	    "stale replace");
	is_str(e.msg, "Error from server (Conflict): Operation cannot be "
	    "fulfilled on maassubscriptions.maas.opendatahub.io \"gold\": the "
	    "object has been modified; please apply your changes to the latest "
	    "version and try again", "Conflict text");
	is_int(e.code, EXIT_CONFLICT, "exit 5");
	err_clear(&e);
	ok(kube_replace(k, &r, "team-a", obj, NULL, NULL, &o, &e) == -1 &&
	    e.code == EXIT_USAGE, "replace without a resourceVersion refused");
	err_clear(&e);

	ok(kube_patch(k, &r, "team-a", "gold", KUBE_PATCH_MERGE,
	    "{\"spec\":{\"priority\":2}}", NULL, NULL, &e) == 0, "merge patch");
	ok(req_has(4, "Content-Type: application/merge-patch+json\n"),
	    "merge patch type");
	wo.dry_run = 1;
	ok(kube_patch(k, &r, "team-a", "gold", KUBE_PATCH_JSON,
	    "[{\"op\":\"replace\",\"path\":\"/spec/priority\",\"value\":3}]",
	    &wo, NULL, &e) == 0, "JSON patch");
	ok(req_has(5, "Content-Type: application/json-patch+json\n"),
	    "JSON patch type");
	s = reqline(5);
	ok(strstr(s, "/gold?dryRun=All&fieldManager=maasctl HTTP") != NULL,
	    "dry run: %s", s);
	free(s);
	wo.dry_run = 0;
	wo.force = 1;
	wo.field_manager = NULL;
	ok(kube_apply(k, &r, "team-a", obj, &wo, NULL, &e) == 0, "apply");
	ok(req_has(6, "Content-Type: application/apply-patch+yaml\n"),
	    "apply patch type");
	s = reqline(6);
	is_str(s, "PATCH /apis/" SUB_GROUP "/v1alpha1/namespaces/team-a/"
	    "maassubscriptions/gold?fieldManager=maasctl&force=true HTTP/1.1",
	    "apply: fieldManager and force");
	free(s);
	wo.force = 0;
	wo.propagation = "Foreground";
	wo.dry_run = 1;
	ok(kube_delete(k, &r, "team-a", "gold", &wo, &o, &e) == 0, "delete");
	is_str(json_str(o, "status"), "Success", "delete reply");
	cJSON_Delete(o);
	s = reqline(7);
	is_str(s, "DELETE /apis/" SUB_GROUP "/v1alpha1/namespaces/team-a/"
	    "maassubscriptions/gold?dryRun=All HTTP/1.1", "delete path");
	free(s);
	ok(req_has(7, "\"propagationPolicy\":\"Foreground\"") &&
	    req_has(7, "\"kind\":\"DeleteOptions\""),
	    "DeleteOptions with the propagation policy");
	cJSON_Delete(obj);
	kube_resource_free(&r);
	kube_free(k);
}

TEST(single_page)
{
	struct kube		*k;
	struct kube_resource	 r;
	struct kube_list_opts	 lo;
	struct err		 e = ERR_INIT;
	cJSON			*l = NULL;

	sub_resource(&r);
	k = client(start(
	    "line {\"kind\":\"MaaSSubscriptionList\",\"metadata\":"
	    "{\"continue\":\"next\"},\"items\":[{\"metadata\":"
	    "{\"name\":\"a\"}}]}\n"));
	memset(&lo, 0, sizeof lo);
	lo.limit = 1;
	lo.single_page = 1;
	ok(kube_list(k, &r, "ns", &lo, &l, &e) == 0, "one page");
	is_str(json_str(l, "metadata.continue"), "next",
	    "the continue token is handed back");
	is_int(count_requests(), 1, "no second request");
	cJSON_Delete(l);
	kube_resource_free(&r);
	kube_free(k);
}

struct seen {
	struct strlist	 ev;
	int		 stop_after;
};

static int
on_event(void *arg, const char *type, const cJSON *obj)
{
	struct seen	*s = arg;
	const char	*name = json_str(obj, "metadata.name");

	sl_addf(&s->ev, "%s %s %s", type, name ? name : "-",
	    json_str(obj, "kind") ? json_str(obj, "kind") : "-");
	return (int)s->ev.n >= s->stop_after;
}

#define EV(type, name, rv)						\
	"chunk {\"type\":\"" type "\",\"object\":{\"kind\":"		\
	"\"MaaSSubscription\",\"metadata\":{\"name\":\"" name "\","	\
	"\"resourceVersion\":\"" rv "\"}}}\n"

TEST(watch)
{
	struct kube		*k;
	struct kube_resource	 r;
	struct kube_watch_opts	 wo;
	struct seen		 s;
	struct err		 e = ERR_INIT;
	char			*l;

	sub_resource(&r);
	k = client(start(
	    /* 1: the initial list */
	    "line {\"kind\":\"MaaSSubscriptionList\",\"metadata\":"
	    "{\"resourceVersion\":\"10\"},\"items\":[{\"metadata\":"
	    "{\"name\":\"a\",\"resourceVersion\":\"9\"}}]}\n---\n"
	    /* 2: a watch stream that ends */
	    EV("ADDED", "b", "11")
	    "sleep 0.05\n"
	    "chunk {\"type\":\"BOOKMARK\",\"object\":{\"kind\":"
	    "\"MaaSSubscription\",\"metadata\":{\"resourceVersion\":\"20\"}}}\n"
	    "---\n"
	    /* 3: resumed from 20, then 410 */
	    EV("MODIFIED", "b", "21")
	    "chunk {\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\","
	    "\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
	    "\"reason\":\"Expired\",\"code\":410,\"message\":\"too old "
	    "resource version: 21 (30)\"}}\n---\n"
	    /* 4: the relist */
	    "line {\"kind\":\"MaaSSubscriptionList\",\"metadata\":"
	    "{\"resourceVersion\":\"30\"},\"items\":[{\"metadata\":"
	    "{\"name\":\"b\",\"resourceVersion\":\"29\"}}]}\n---\n"
	    /* 5: watch from 30 answered with HTTP 410 */
	    "status 410\n---\n"
	    /* 6: relist again */
	    "line {\"kind\":\"MaaSSubscriptionList\",\"metadata\":"
	    "{\"resourceVersion\":\"31\"},\"items\":[]}\n---\n"
	    /* 7: watch from 31 */
	    EV("DELETED", "b", "32")
	    "sleep 2\n"
	    EV("ADDED", "late", "33")));
	memset(&s, 0, sizeof s);
	s.stop_after = 5;
	memset(&wo, 0, sizeof wo);
	wo.label_selector = "app=x";
	ok(kube_watch(k, &r, "team-a", &wo, on_event, &s, &e) == 0,
	    "watch ends when the callback says so");
	is_int(s.ev.n, 5, "five events");
	if (s.ev.n == 5) {
		is_str(s.ev.v[0], "ADDED a MaaSSubscription",
		    "listed items come as ADDED, with their kind filled in");
		is_str(s.ev.v[1], "ADDED b MaaSSubscription", "stream event");
		is_str(s.ev.v[2], "MODIFIED b MaaSSubscription",
		    "bookmark not passed on");
		is_str(s.ev.v[3], "SYNC b MaaSSubscription",
		    "relist after the 410 ERROR event");
		is_str(s.ev.v[4], "DELETED b MaaSSubscription",
		    "after the HTTP 410 relist");
	}
	l = reqline(2);
	is_str(l, "GET /apis/" SUB_GROUP "/v1alpha1/namespaces/team-a/"
	    "maassubscriptions?watch=1&resourceVersion=10&allowWatchBookmarks="
	    "true&labelSelector=app%3Dx HTTP/1.1", "watch from the list RV");
	free(l);
	l = reqline(3);
	ok(strstr(l, "watch=1&resourceVersion=20&") != NULL,
	    "resumed from the bookmark's RV: %s", l);
	free(l);
	l = reqline(4);
	ok(strstr(l, "?labelSelector=app%3Dx&limit=500 ") != NULL &&
	    strstr(l, "watch") == NULL, "relist: %s", l);
	free(l);
	l = reqline(5);
	ok(strstr(l, "resourceVersion=30&") != NULL, "watch from the relist RV");
	free(l);
	l = reqline(7);
	ok(strstr(l, "resourceVersion=31&") != NULL, "and again: %s", l);
	free(l);
	sl_free(&s.ev);
	err_clear(&e);

	/* A watch from a given RV with bookmarks, ended by until. */
	k = (kube_free(k), client(start(
	    EV("ADDED", "x", "51")
	    "chunk {\"type\":\"BOOKMARK\",\"object\":{\"kind\":"
	    "\"MaaSSubscription\",\"metadata\":{\"resourceVersion\":\"60\"}}}\n"
	    "sleep 5\n")));
	memset(&s, 0, sizeof s);
	s.stop_after = 100;
	memset(&wo, 0, sizeof wo);
	wo.resource_version = "50";
	wo.bookmarks = 1;
	wo.until = 1.0;
	ok(kube_watch(k, &r, NULL, &wo, on_event, &s, &e) == 0,
	    "watch stops at until");
	is_int(s.ev.n, 2, "event and bookmark");
	if (s.ev.n == 2)
		is_str(s.ev.v[1], "BOOKMARK - MaaSSubscription",
		    "bookmark passed on when asked");
	is_int(count_requests(), 1, "no list when a resourceVersion is given");
	sl_free(&s.ev);

	/* An ERROR event other than 410 ends the watch with its Status. */
	k = (kube_free(k), client(start(
	    "chunk {\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\","
	    "\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":"
	    "\"InternalError\",\"code\":500,\"message\":\"etcd down\"}}\n")));
	memset(&s, 0, sizeof s);
	s.stop_after = 100;
	memset(&wo, 0, sizeof wo);
	wo.resource_version = "1";
	ok(kube_watch(k, &r, NULL, &wo, on_event, &s, &e) == -1,
	    "ERROR event fails the watch");
	is_str(e.msg, "Error from server (InternalError): etcd down",
	    "with the Status text");
	err_clear(&e);
	sl_free(&s.ev);
	kube_resource_free(&r);
	kube_free(k);
}

static int	 token_calls;

static char *
token_source(void *arg, int refresh, struct err *e)
{
	(void)arg;
	(void)e;
	token_calls++;
	return xasprintf("tok-%d-%s", token_calls, refresh ? "fresh" : "first");
}

TEST(token_refresh_and_impersonation)
{
	struct kube_config	 cfg;
	struct kube		*k;
	struct kube_resource	 r;
	struct err		 e = ERR_INIT;
	const char		*groups[] = { "admins", "devs", NULL };
	cJSON			*o = NULL;
	const char		*url;

	sub_resource(&r);
	url = start(STATUS(401, "Unauthorized", "Unauthorized")
	    "---\nline {\"metadata\":{\"name\":\"gold\"}}\n---\n"
	    STATUS(401, "Unauthorized", "Unauthorized") "---\n"
	    STATUS(401, "Unauthorized", "Unauthorized"));
	memset(&cfg, 0, sizeof cfg);
	cfg.server = url;
	cfg.token_fn = token_source;
	cfg.as_user = "alice";
	cfg.as_groups = groups;
	cfg.user_agent = "maasctl-test/1";
	k = kube_new(&cfg, &e);
	ok(kube_get(k, &r, "team-a", "gold", &o, &e) == 0,
	    "401, new token, success");
	cJSON_Delete(o);
	is_int(token_calls, 2, "token source asked twice");
	ok(req_has(1, "Authorization: Bearer tok-1-first\n"), "first token");
	ok(req_has(2, "Authorization: Bearer tok-2-fresh\n"),
	    "refreshed token on the retry");
	ok(req_has(1, "Impersonate-User: alice\n") &&
	    req_has(1, "Impersonate-Group: admins\n") &&
	    req_has(1, "Impersonate-Group: devs\n"), "impersonation headers");
	ok(req_has(1, "User-Agent: maasctl-test/1\n"), "user agent");
	ok(kube_get(k, &r, "team-a", "gold", &o, &e) == -1,
	    "a second 401 after the refresh fails");
	is_str(e.msg, "error: You must be logged in to the server "
	    "(Unauthorized)", "login message");
	is_int(count_requests(), 4, "only one refresh per request");
	err_clear(&e);
	kube_free(k);
	kube_resource_free(&r);
}

TEST(transport_errors)
{
	struct kube		*k;
	struct kube_resource	 r;
	struct err		 e = ERR_INIT;
	struct kube_config	 cfg;
	cJSON			*o = NULL;
	char			*url, *want;

	sub_resource(&r);
	url = xstrdup(start("line {}\n"));
	stop();
	k = client(url);
	ok(kube_get(k, &r, "ns", "x", &o, &e) == -1, "refused");
	want = xasprintf("The connection to the server 127.0.0.1:%d was "
	    "refused - did you specify the right host or port?", rport);
	is_str(e.msg, want, "kubectl's refused text");
	is_int(e.code, EXIT_UNREACHABLE, "exit 6");
	ok(e.raw, "raw");
	free(want);
	err_clear(&e);
	kube_free(k);
	free(url);

	memset(&cfg, 0, sizeof cfg);
	cfg.server = "http://no-such-host.invalid:6443";
	cfg.http.max_attempts = 1;
	k = kube_new(&cfg, &e);
	ok(kube_get(k, &r, "ns", "x", &o, &e) == -1, "DNS failure");
	want = xstrdup("Unable to connect to the server: cannot resolve the "
	    "host of http://no-such-host.invalid:6443/apis/");
	ok(e.msg != NULL && strncmp(e.msg, want, strlen(want)) == 0,
	    "Unable to connect: %s", e.msg ? e.msg : "");
	free(want);
	is_int(e.code, EXIT_UNREACHABLE, "exit 6");
	err_clear(&e);
	kube_free(k);

	memset(&cfg, 0, sizeof cfg);
	cfg.server = "ftp://x";
	ok(kube_new(&cfg, &e) == NULL && e.code == EXIT_USAGE,
	    "non-HTTP server URL refused: %s", e.msg ? e.msg : "");
	err_clear(&e);
	kube_resource_free(&r);
}

TEST(tls)
{
	struct kube_config	 cfg;
	struct kube		*k;
	struct kube_resource	 r;
	struct err		 e = ERR_INIT;
	cJSON			*o = NULL;
	const char		*root = getenv("MAASCTL_TEST_ROOT"), *url;
	char			*certs, *cmd, *p, *ca, *cert, *key, *want;
	char			*named, *namedkey, *ccakey;
	const char		*extra[7];

	if (root == NULL) {
		ok(1, "# SKIP MAASCTL_TEST_ROOT not set (run through tests/run)");
		return;
	}
	certs = xasprintf("%s/certs", tmpdir);
	cmd = xasprintf("bash -c '. \"%s/tests/helpers/certs.bash\" && "
	    "certs_make \"%s\"'", root, certs);
	if (!ok(system(cmd) == 0, "test certificates made")) {
		free(cmd);
		free(certs);
		return;
	}
	free(cmd);
	p = xasprintf("%s/ca.pem", certs);
	ca = slurp(p);
	free(p);
	p = xasprintf("%s/client.pem", certs);
	cert = slurp(p);
	free(p);
	p = xasprintf("%s/client.key", certs);
	key = slurp(p);
	free(p);
	named = xasprintf("%s/named.pem", certs);
	namedkey = xasprintf("%s/named.key", certs);
	ccakey = xasprintf("%s/ca.pem", certs);
	extra[0] = "--cert";
	extra[1] = named;
	extra[2] = "--key";
	extra[3] = namedkey;
	extra[4] = "--client-ca";
	extra[5] = ccakey;
	extra[6] = NULL;
	url = start_with("line {\"metadata\":{\"name\":\"gold\"}}\n"
	    "---\nline {}\n", extra);
	sub_resource(&r);

	/* CA, client certificate and key as data; tls-server-name. */
	memset(&cfg, 0, sizeof cfg);
	cfg.server = url;
	cfg.http.tls.ca_data = ca;
	cfg.http.tls.cert_data = cert;
	cfg.http.tls.key_data = key;
	cfg.http.tls.server_name = "kube.test.internal";
	k = kube_new(&cfg, &e);
	ok(kube_get(k, &r, "ns", "gold", &o, &e) == 0,
	    "https with CA/cert/key data and a server name: %s",
	    e.msg ? e.msg : "ok");
	cJSON_Delete(o);
	o = NULL;
	ok(req_has(1, "client-cert: /O=test-group/CN=test-user\n"),
	    "client certificate presented");
	kube_free(k);

	/* Without the CA. */
	memset(&cfg, 0, sizeof cfg);
	cfg.server = url;
	cfg.http.tls.cert_data = cert;
	cfg.http.tls.key_data = key;
	cfg.http.tls.server_name = "kube.test.internal";
	k = kube_new(&cfg, &e);
	ok(kube_get(k, &r, "ns", "gold", &o, &e) == -1, "unknown CA fails");
	want = xasprintf("Unable to connect to the server: TLS connection to "
	    "%s/apis/" SUB_GROUP "/v1alpha1/namespaces/ns/maassubscriptions/"
	    "gold failed: SSL certificate problem: ", url);
	ok(e.msg != NULL && strncmp(e.msg, want, strlen(want)) == 0,
	    "kubectl's form with the TLS reason: %s", e.msg ? e.msg : "");
	is_str(e.hint, "pass the server's CA with --ca-file, or --insecure to "
	    "skip verification (unsafe)", "hint kept");
	is_int(e.code, EXIT_UNREACHABLE, "exit 6");
	free(want);
	err_clear(&e);
	kube_free(k);
	kube_resource_free(&r);
	free(ca);
	free(cert);
	xfree_secret(key);
	free(named);
	free(namedkey);
	free(ccakey);
	free(certs);
}

int
main(int argc, char **argv)
{
	char	*self, *dir;

	(void)argc;
	self = xstrdup(argv[0]);
	dir = dirname(self);
	snprintf(responder_bin, sizeof responder_bin,
	    "%s/../helpers/responder", dir);
	free(self);
	if (access(responder_bin, X_OK) != 0) {
		printf("1..0 # SKIP %s not built\n", responder_bin);
		return 0;
	}
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	RUN(discovery);
	RUN(discovery_missing_group);
	RUN(get_and_errors);
	RUN(invalid);
	RUN(paged_list);
	RUN(list_each);
	RUN(list_each_no_managed_fields);
	RUN(list_each_parallel);
	RUN(single_page);
	RUN(writes);
	RUN(watch);
	RUN(token_refresh_and_impersonation);
	RUN(transport_errors);
	RUN(tls);
	stop();
	free(rlog);
	{
		char *cmd = xasprintf("rm -rf %s", tmpdir);

		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmpdir);
		free(cmd);
	}
	return tap_done();
}
