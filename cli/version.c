/*
 * version.c: `maasctl version`: this build's version and commit, and the
 * versions of the libraries it runs with.  libcurl, SQLite and libedit
 * are loaded on first use (common/lazylib.h): the text form names their
 * versions only when they are loaded already, so a plain `maasctl
 * version` loads none of them; -o json and -o yaml load them to report
 * their versions ("not found: ..." when one cannot be loaded).
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
#include "sqlite_dl.h"
#include "json.h"
#include "yaml.h"

/* A lazily loaded library's version, or why it is not shown. */
static void
add_lazy(cJSON *libs, const char *name, int loaded, int load,
    int (*loader)(struct err *), const char *(*version)(void),
    const char *soname)
{
	struct err	 e = ERR_INIT;
	char		*s;

	if (loaded || (load && loader(&e) == 0)) {
		cJSON_AddStringToObject(libs, name, version());
		return;
	}
	if (load) {
		s = xasprintf("not found: %s", e.msg);
		err_clear(&e);
	} else
		s = xasprintf("not loaded (%s, loaded when needed)", soname);
	cJSON_AddStringToObject(libs, name, s);
	free(s);
}

static const char *
curl_ver(void)
{
	return curl_version_info(CURLVERSION_NOW)->version;
}

static cJSON *
version_object(int load)
{
	cJSON		*o, *libs;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "version", MAASCTL_VERSION);
	cJSON_AddStringToObject(o, "gitCommit", MAASCTL_COMMIT);
	libs = cJSON_AddObjectToObject(o, "libraries");
	add_lazy(libs, "libcurl", curl_dl_loaded(), load, curl_dl_load,
	    curl_ver, "libcurl.so.4");
	cJSON_AddStringToObject(libs, "openssl",
	    OpenSSL_version(OPENSSL_VERSION));
	cJSON_AddStringToObject(libs, "libyaml", yaml_get_version_string());
	cJSON_AddStringToObject(libs, "cjson", cJSON_Version());
	add_lazy(libs, "sqlite", sqlite_dl_loaded(), load, sqlite_dl_load,
	    sqlite3_libversion, "libsqlite3.so.0");
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
