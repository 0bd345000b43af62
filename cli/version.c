/*
 * version.c: `maasctl version`: this build's version and commit, and the
 * versions of the libraries it runs with.  libcurl is loaded on first use
 * (common/curl_dl.c): the text form names its version only when it is
 * loaded already, so a plain `maasctl version` does not load it; -o json
 * and -o yaml load it to report its version ("not found: ..." without it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <yaml.h>

#include "cmd.h"
#include "curl_dl.h"
#include "json.h"
#include "yaml.h"

static cJSON *
version_object(int load_curl)
{
	cJSON		*o, *libs;
	struct err	 e = ERR_INIT;
	char		*s;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "version", MAASCTL_VERSION);
	cJSON_AddStringToObject(o, "gitCommit", MAASCTL_COMMIT);
	libs = cJSON_AddObjectToObject(o, "libraries");
	if (curl_dl_loaded() || (load_curl && curl_dl_load(&e) == 0)) {
		cJSON_AddStringToObject(libs, "libcurl", curl_version_info(
		    CURLVERSION_NOW)->version);
	} else if (load_curl) {
		s = xasprintf("not found: %s", e.msg);
		cJSON_AddStringToObject(libs, "libcurl", s);
		free(s);
		err_clear(&e);
	} else {
		cJSON_AddStringToObject(libs, "libcurl", "not loaded (" 
		    CURL_DL_SONAME ", loaded for proxies and bench)");
	}
	cJSON_AddStringToObject(libs, "openssl",
	    OpenSSL_version(OPENSSL_VERSION));
	cJSON_AddStringToObject(libs, "libyaml", yaml_get_version_string());
	cJSON_AddStringToObject(libs, "cjson", cJSON_Version());
	cJSON_AddStringToObject(libs, "sqlite", sqlite3_libversion());
	cJSON_AddStringToObject(libs, "libevent", event_get_version());
	return o;
}

static int
version_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	const char	*fmt = ctx->g.output;
	cJSON		*o, *lib;
	char		*s;

	(void)argc;
	(void)argv;
	if (fmt != NULL && strcmp(fmt, "json") != 0 &&
	    strcmp(fmt, "yaml") != 0)
		return err_set(e, EXIT_USAGE, "version: unsupported output "
		    "format \"%s\" (want json or yaml)", fmt);
	o = version_object(fmt != NULL);
	if (fmt == NULL) {
		printf("maasctl %s (commit %s)\n", MAASCTL_VERSION,
		    MAASCTL_COMMIT);
		cJSON_ArrayForEach(lib, cJSON_GetObjectItem(o, "libraries"))
			printf("  %-9s %s\n", lib->string, lib->valuestring);
	} else {
		s = strcmp(fmt, "json") == 0 ? json_print(o, 1) : yaml_emit(o);
		fputs(s, stdout);
		if (s[0] != '\0' && s[strlen(s) - 1] != '\n')
			fputc('\n', stdout);
		cJSON_free(s);
	}
	cJSON_Delete(o);
	return 0;
}

const struct command cmd_version = {
	.name = "version",
	.summary = "Show the version of maasctl and its libraries",
	.usage = "[-o json|yaml]",
	.run = version_run,
	.max_args = 0,
};
