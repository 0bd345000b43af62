/*
 * test_config.c: unit tests for common/config.c, each in a fresh
 * temporary HOME (XDG_CONFIG_HOME, MAASCTL_CONFIG and MAASCTL_PROFILE
 * cleared unless a test sets them).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"
#include "xalloc.h"

static char	*home;

/* Remove a directory tree (test scratch only). */
static void
rm_tree(const char *path)
{
	char	*cmd = xasprintf("rm -rf '%s'", path);

	if (system(cmd) != 0)
		printf("# could not remove %s\n", path);
	free(cmd);
}

/* A fresh temporary HOME with a clean environment. */
static void
fresh_home(void)
{
	char	 tmpl[] = "/tmp/maasctl-config-test.XXXXXX";

	if (home != NULL)
		rm_tree(home);
	free(home);
	home = xstrdup(mkdtemp(tmpl));
	setenv("HOME", home, 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("MAASCTL_CONFIG");
	unsetenv("MAASCTL_PROFILE");
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE	*f = fopen(path, "w");

	if (f == NULL) {
		printf("# cannot write %s\n", path);
		return;
	}
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static char *
read_file(const char *path)
{
	struct strbuf	 sb = STRBUF_INIT;
	FILE		*f = fopen(path, "r");
	char		 buf[4096];
	size_t		 n;

	if (f == NULL)
		return NULL;
	sb_init(&sb);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(&sb, buf, n);
	fclose(f);
	return sb_detach(&sb);
}

static int
file_mode(const char *path)
{
	struct stat	 st;

	if (stat(path, &st) == -1)
		return -1;
	return (int)(st.st_mode & 07777);
}

/* How many entries a directory has besides . and .. (-1 if unreadable). */
static int
dir_entries(const char *path)
{
	DIR		*d = opendir(path);
	struct dirent	*de;
	int		 n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

TEST(paths)
{
	char	*p, *want;

	fresh_home();
	p = config_path(NULL);
	want = xasprintf("%s/.config/maasctl/config.yaml", home);
	is_str(p, want, "default under HOME");
	free(p);
	free(want);
	setenv("XDG_CONFIG_HOME", "/xdg", 1);
	p = config_path(NULL);
	is_str(p, "/xdg/maasctl/config.yaml", "XDG_CONFIG_HOME");
	free(p);
	setenv("XDG_CONFIG_HOME", "relative", 1);
	p = config_path(NULL);
	ok(p != NULL && strncmp(p, home, strlen(home)) == 0,
	    "relative XDG_CONFIG_HOME ignored, as the XDG spec says");
	free(p);
	setenv("MAASCTL_CONFIG", "/elsewhere/c.yaml", 1);
	p = config_path(NULL);
	is_str(p, "/elsewhere/c.yaml", "MAASCTL_CONFIG wins");
	free(p);
	unsetenv("MAASCTL_CONFIG");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("HOME");
	{
		struct err	 e = ERR_INIT;

		ok(config_path(&e) == NULL, "no HOME: error");
		is_str(e.msg, "cannot locate the maasctl config file: HOME is "
		    "not set", "no HOME: message");
		err_clear(&e);
	}
	setenv("HOME", home, 1);
}

TEST(missing_and_empty)
{
	struct err	 e = ERR_INIT;
	struct config	*cfg;
	struct strlist	 names = STRLIST_INIT;
	char		*path;

	fresh_home();
	cfg = config_load(NULL, &e);
	ok(cfg != NULL, "missing file loads as empty");
	ok(cfg != NULL && config_current(cfg) == NULL, "no current profile");
	ok(cfg != NULL && config_profiles(cfg, &names) == 0, "no profiles");
	config_free(cfg);
	path = xasprintf("%s/empty.yaml", home);
	write_file(path, "# nothing yet\n", 0600);
	cfg = config_load(path, &e);
	ok(cfg != NULL && config_select(cfg, NULL, NULL) == NULL,
	    "comment-only file is empty");
	config_free(cfg);
	free(path);
	sl_free(&names);
}

TEST(set_save_load)
{
	struct err	 e = ERR_INIT;
	struct config	*cfg;
	struct strlist	 names = STRLIST_INIT;
	char		*path, *text, *dir;

	fresh_home();
	cfg = config_load(NULL, &e);
	ok(config_set(cfg, "sandbox", "maas-url", "https://127.0.0.1:8443",
	    &e) == 0, "set maas-url");
	ok(config_set(cfg, "sandbox", "insecure", "yes", &e) == 0,
	    "set insecure");
	ok(config_set(cfg, "sandbox", "default-model", "true", &e) == 0,
	    "set a string that looks like a bool");
	ok(config_set(cfg, "prod", "context", "prod-admin", &e) == 0,
	    "second profile");
	ok(config_set(cfg, "prod", "namespace", "models-as-a-service", &e) == 0,
	    "namespace");
	ok(config_set_current(cfg, "sandbox", &e) == 0, "set current");
	ok(config_save(cfg, &e) == 0, "save: %s", e.msg ? e.msg : "ok");
	path = xasprintf("%s/.config/maasctl/config.yaml", home);
	dir = xasprintf("%s/.config/maasctl", home);
	is_int(file_mode(path), 0600, "config file is 0600");
	is_int(file_mode(dir), 0700, "config directory made 0700");
	is_int(dir_entries(dir), 1, "no temporary file left behind");
	text = read_file(path);
	is_str(text, "current-profile: sandbox\n"
	    "profiles:\n"
	    "  prod:\n"
	    "    context: prod-admin\n"
	    "    namespace: models-as-a-service\n"
	    "  sandbox:\n"
	    "    default-model: \"true\"\n"
	    "    insecure: true\n"
	    "    maas-url: https://127.0.0.1:8443\n", "file content");
	free(text);
	config_free(cfg);

	cfg = config_load(NULL, &e);
	ok(cfg != NULL, "reload");
	is_str(config_current(cfg), "sandbox", "current-profile kept");
	is_str(config_get(cfg, "sandbox", "maas-url"), "https://127.0.0.1:8443",
	    "maas-url kept");
	is_str(config_get(cfg, "sandbox", "default-model"), "true",
	    "quoted string stays a string");
	is_int(config_get_bool(cfg, "sandbox", "insecure", 0), 1,
	    "insecure is a boolean");
	is_str(config_get(cfg, "sandbox", "insecure"), "true",
	    "insecure as text");
	is_int(config_get_bool(cfg, "prod", "insecure", 7), 7, "unset default");
	ok(config_get(cfg, "prod", "ca-file") == NULL, "unset field");
	ok(config_get(cfg, "nope", "ca-file") == NULL, "unknown profile");
	is_int(config_profiles(cfg, &names), 2, "two profiles");
	is_str(names.n == 2 ? names.v[0] : NULL, "prod", "sorted names");
	ok(config_set(cfg, "sandbox", "insecure", NULL, &e) == 0 &&
	    config_get(cfg, "sandbox", "insecure") == NULL, "unset a field");
	config_free(cfg);
	sl_free(&names);
	free(path);
	free(dir);
}

TEST(bad_values)
{
	struct err	 e = ERR_INIT;
	struct config	*cfg;

	fresh_home();
	cfg = config_load(NULL, &e);
	ok(config_set(cfg, "p", "colour", "x", &e) == -1, "unknown field");
	is_str(e.msg, "unknown profile field \"colour\"", "unknown field msg");
	is_int(e.code, EXIT_USAGE, "usage error");
	ok(config_set(cfg, "p", "insecure", "maybe", &e) == -1, "bad bool");
	is_str(e.msg, "insecure must be true or false, not \"maybe\"",
	    "bad bool msg");
	ok(config_set(cfg, "a/b", "context", "x", &e) == -1, "bad name");
	is_str(e.msg, "invalid profile name \"a/b\": use letters, digits, "
	    "'.', '_' and '-'", "bad name msg");
	ok(config_set(cfg, "..", "context", "x", &e) == -1, "dot-dot name");
	ok(config_set_current(cfg, "ghost", &e) == -1, "current must exist");
	ok(e.msg != NULL && strstr(e.msg, "profile \"ghost\" not found in ") !=
	    NULL, "current msg: %s", e.msg);
	ok(config_delete_profile(cfg, "ghost", &e) == -1, "delete missing");
	is_int(e.code, EXIT_NOTFOUND, "not found code");
	err_clear(&e);
	config_free(cfg);
}

/* Load text as a config file and expect the error message want. */
static void
load_fails(const char *text, const char *want_suffix, const char *what)
{
	struct err	 e = ERR_INIT;
	struct config	*cfg;
	char		*path = xasprintf("%s/c.yaml", home), *want;

	write_file(path, text, 0600);
	cfg = config_load(path, &e);
	want = xasprintf("maasctl config %s: %s", path, want_suffix);
	ok(cfg == NULL, "%s: fails", what);
	is_str(e.msg, want, "%s: message", what);
	config_free(cfg);
	err_clear(&e);
	free(want);
	free(path);
}

TEST(broken_files)
{
	struct err	 e = ERR_INIT;
	struct config	*cfg;
	char		*path;

	fresh_home();
	load_fails("current-profile: a\nprofiles:\n  a:\n    context: x\n"
	    "   bad: indentation\n", "yaml: line 4: did not find expected key",
	    "syntax error");
	load_fails("profiles:\n  a: {context: x}\n  a: {context: y}\n",
	    "yaml: line 3: key \"a\" already set in map", "duplicate profile");
	load_fails("- a\n- b\n", "expected a mapping at the top level", "list");
	load_fails("current-profile: [a]\n", "current-profile: must be a string",
	    "current-profile type");
	load_fails("profiles: [a]\n", "profiles: must be a mapping of profile "
	    "names", "profiles type");
	load_fails("profiles:\n  a: 3\n", "profiles.a: must be a mapping of "
	    "fields", "profile type");
	load_fails("profiles:\n  a:\n    colour: red\n", "profiles.a: unknown "
	    "field \"colour\"", "unknown field");
	load_fails("profiles:\n  a:\n    insecure: maybe\n", "profiles.a."
	    "insecure: must be true or false", "insecure type");
	load_fails("profiles:\n  a:\n    maas-url: 8443\n", "profiles.a."
	    "maas-url: must be a string", "number for a string");
	load_fails("profiles:\n  a b:\n    context: x\n", "invalid profile name "
	    "\"a b\"", "profile name");
	path = xasprintf("%s/dir.yaml", home);
	mkdir(path, 0700);
	cfg = config_load(path, &e);
	ok(cfg == NULL && e.msg != NULL && strstr(e.msg, "cannot read maasctl "
	    "config ") != NULL, "a directory is an error: %s", e.msg);
	config_free(cfg);
	err_clear(&e);
	free(path);
}

TEST(keeps_unknown_top_level)
{
	struct err	 e = ERR_INIT;
	struct config	*cfg;
	char		*path, *text;

	fresh_home();
	path = xasprintf("%s/c.yaml", home);
	write_file(path, "future-setting: {x: 1}\nprofiles:\n  a:\n", 0644);
	cfg = config_load(path, &e);
	ok(cfg != NULL && config_has_profile(cfg, "a"), "empty profile exists");
	ok(config_set(cfg, "a", "ca-file", "/ca.pem", &e) == 0, "set on it");
	ok(config_save(cfg, &e) == 0, "save");
	text = read_file(path);
	is_str(text, "future-setting:\n  x: 1\nprofiles:\n  a:\n    ca-file: "
	    "/ca.pem\n", "unknown key kept");
	is_int(file_mode(path), 0600, "saving tightens the mode to 0600");
	free(text);
	config_free(cfg);
	free(path);
}

TEST(select)
{
	struct err	 e = ERR_INIT;
	struct config	*cfg;
	const char	*from, *name;

	fresh_home();
	cfg = config_load(NULL, &e);
	config_set(cfg, "a", "context", "ca", &e);
	config_set(cfg, "b", "context", "cb", &e);
	config_set(cfg, "c", "context", "cc", &e);
	ok(config_select(cfg, NULL, &from) == NULL, "nothing selected");
	ok(config_resolve(cfg, NULL, &e) == NULL, "resolve: nothing");
	ok(e.msg != NULL && strncmp(e.msg, "no maasctl profile selected",
	    27) == 0, "resolve message: %s", e.msg);
	config_set_current(cfg, "a", &e);
	is_str(config_select(cfg, NULL, &from), "a", "current-profile");
	is_str(from, "current-profile", "from current-profile");
	setenv("MAASCTL_PROFILE", "b", 1);
	is_str(config_select(cfg, NULL, &from), "b", "env beats current");
	is_str(from, "MAASCTL_PROFILE", "from env");
	is_str(config_select(cfg, "c", &from), "c", "flag beats env");
	is_str(from, "--profile", "from flag");
	setenv("MAASCTL_PROFILE", "", 1);
	is_str(config_select(cfg, NULL, NULL), "a", "empty env ignored");
	name = config_resolve(cfg, "zz", &e);
	ok(name == NULL, "resolve unknown");
	ok(e.msg != NULL && strncmp(e.msg, "profile \"zz\" (from --profile) "
	    "not found in ", 41) == 0, "resolve names the source: %s", e.msg);
	is_int(e.code, EXIT_NOTFOUND, "not found");
	is_str(config_resolve(cfg, "b", &e), "b", "resolve known");
	ok(config_delete_profile(cfg, "a", &e) == 0, "delete current");
	ok(config_current(cfg) == NULL, "current-profile cleared");
	ok(!config_has_profile(cfg, "a"), "gone");
	err_clear(&e);
	config_free(cfg);
}

TEST(secrets)
{
	struct err	 e = ERR_INIT;
	struct config	*cfg;
	char		*key, *got, *path, *dir;

	fresh_home();
	cfg = config_load(NULL, &e);
	key = config_key_path(cfg, "sandbox");
	path = xasprintf("%s/.config/maasctl/keys/sandbox.key", home);
	is_str(key, path, "default key path beside the config");
	ok(config_write_secret(key, "sk-oai-SECRET\n", &e) == 0,
	    "write secret");
	is_int(file_mode(key), 0600, "secret is 0600");
	dir = xasprintf("%s/.config/maasctl/keys", home);
	is_int(file_mode(dir), 0700, "keys dir is 0700");
	is_int(dir_entries(dir), 1, "no temporary file left behind");
	ok(config_read_secret(key, &got, &e) == 0, "read back");
	is_str(got, "sk-oai-SECRET", "trailing newline removed");
	xfree_secret(got);
	ok(config_write_secret(key, "sk-oai-OTHER", &e) == 0, "overwrite");
	ok(config_read_secret(key, &got, &e) == 0, "read again");
	is_str(got, "sk-oai-OTHER", "replaced");
	xfree_secret(got);
	chmod(key, 0644);
	ok(config_read_secret(key, &got, &e) == -1, "group/world readable "
	    "refused");
	ok(e.msg != NULL && strstr(e.msg, "readable by others (mode 0644)") !=
	    NULL && strstr(e.msg, "OTHER") == NULL, "message: %s", e.msg);
	ok(e.hint != NULL && strncmp(e.hint, "run: chmod 600 ", 15) == 0,
	    "hint says how to fix it: %s", e.hint);
	ok(got == NULL, "nothing returned");
	free(key);
	key = xasprintf("%s/nope.key", home);
	ok(config_read_secret(key, &got, &e) == -1 && e.code == EXIT_NOTFOUND,
	    "missing secret file: not found");
	ok(config_write_secret("", "x", &e) == -1, "empty path refused");
	free(key);
	free(dir);
	dir = xasprintf("%s/plain-file", home);
	write_file(dir, "", 0600);
	key = xasprintf("%s/plain-file/x.key", home);
	ok(config_write_secret(key, "sk-oai-SECRET", &e) == -1,
	    "parent is a file: fails");
	ok(e.msg != NULL && strstr(e.msg, "cannot write secret file ") != NULL &&
	    strstr(e.msg, "SECRET") == NULL, "message without the secret: %s",
	    e.msg);
	err_clear(&e);
	free(key);
	free(path);
	free(dir);
	config_free(cfg);
}

int
main(void)
{
	RUN(paths);
	RUN(missing_and_empty);
	RUN(set_save_load);
	RUN(bad_values);
	RUN(broken_files);
	RUN(keeps_unknown_top_level);
	RUN(select);
	RUN(secrets);
	if (home != NULL)
		rm_tree(home);
	free(home);
	return tap_done();
}
