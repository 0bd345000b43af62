/*
 * config.c: maasctl's settings file (profiles, current-profile) and the
 * 0600 secret files beside it; the format is described in config.h.  The
 * file is held as the cJSON tree yaml_parse() gives, so keys this version
 * does not know at the top level survive a load/save.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "json.h"
#include "yaml.h"

#define CONFIG_MAX_SIZE	(4 * 1024 * 1024)	/* config and secret files */

struct config {
	char	*path;		/* the file loaded from and saved to */
	cJSON	*root;		/* the whole document, always an object */
};

/* The profile fields and whether each is a boolean. */
static const struct {
	const char	*name;
	int		 boolean;
} config_fields[] = {
	{ "maas-url", 0 },
	{ "context", 0 },
	{ "ca-file", 0 },
	{ "insecure", 1 },
	{ "default-model", 0 },
	{ "api-key-file", 0 },
	{ "token-file", 0 },
	{ "namespace", 0 },
};
#define CONFIG_NFIELDS (sizeof config_fields / sizeof config_fields[0])

/* The index of a field in config_fields, or -1. */
static int
config_field_index(const char *field)
{
	size_t	 i;

	for (i = 0; field != NULL && i < CONFIG_NFIELDS; i++)
		if (strcmp(config_fields[i].name, field) == 0)
			return (int)i;
	return -1;
}

int
config_field_valid(const char *field)
{
	return config_field_index(field) != -1;
}

/* Whether name is a usable profile name: [A-Za-z0-9._-]+, not "." or "..". */
static int
config_name_ok(const char *name)
{
	const char	*p;

	if (name == NULL || *name == '\0' || strlen(name) > 253 ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	for (p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-'))
			return 0;
	return 1;
}

static int
config_bad_name(struct err *e, const char *name)
{
	return err_set(e, EXIT_USAGE, "invalid profile name \"%s\": use "
	    "letters, digits, '.', '_' and '-'", name != NULL ? name : "");
}

char *
config_path(struct err *e)
{
	const char	*p;

	if ((p = getenv("MAASCTL_CONFIG")) != NULL && *p != '\0')
		return xstrdup(p);
	if ((p = getenv("XDG_CONFIG_HOME")) != NULL && *p == '/')
		return xasprintf("%s/maasctl/config.yaml", p);
	if ((p = getenv("HOME")) != NULL && *p != '\0')
		return xasprintf("%s/.config/maasctl/config.yaml", p);
	err_set(e, EXIT_USAGE, "cannot locate the maasctl config file: "
	    "HOME is not set");
	err_hint(e, "set MAASCTL_CONFIG to the file to use");
	return NULL;
}

/*
 * Read a whole file of at most CONFIG_MAX_SIZE bytes into sb; -1 with
 * errno set on failure (EFBIG when too large).
 */
static int
config_read_fd(int fd, struct strbuf *sb)
{
	char	 buf[8192];
	ssize_t	 n;

	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			return 0;
		if (sb->len + (size_t)n > CONFIG_MAX_SIZE) {
			explicit_bzero(buf, sizeof buf);
			errno = EFBIG;
			return -1;
		}
		sb_add(sb, buf, (size_t)n);
		explicit_bzero(buf, sizeof buf);
	}
}

/* Check one profile's fields; -1 with an error naming the bad one. */
static int
config_check_profile(const char *path, const cJSON *p, struct err *e)
{
	const cJSON	*f;
	int		 i;

	if (!config_name_ok(p->string))
		return err_set(e, EXIT_ERR, "maasctl config %s: invalid "
		    "profile name \"%s\"", path, p->string);
	if (cJSON_IsNull(p))
		return 0;
	if (!cJSON_IsObject(p))
		return err_set(e, EXIT_ERR, "maasctl config %s: profiles.%s: "
		    "must be a mapping of fields", path, p->string);
	cJSON_ArrayForEach(f, p) {
		if ((i = config_field_index(f->string)) == -1)
			return err_set(e, EXIT_ERR, "maasctl config %s: "
			    "profiles.%s: unknown field \"%s\"", path,
			    p->string, f->string);
		if (cJSON_IsNull(f))
			continue;
		if (config_fields[i].boolean && !cJSON_IsBool(f))
			return err_set(e, EXIT_ERR, "maasctl config %s: "
			    "profiles.%s.%s: must be true or false", path,
			    p->string, f->string);
		if (!config_fields[i].boolean && !cJSON_IsString(f))
			return err_set(e, EXIT_ERR, "maasctl config %s: "
			    "profiles.%s.%s: must be a string", path,
			    p->string, f->string);
	}
	return 0;
}

/* Check the document's shape; -1 with an error naming what is wrong. */
static int
config_check(const char *path, const cJSON *root, struct err *e)
{
	const cJSON	*cur, *profiles, *p;

	if (!cJSON_IsObject(root))
		return err_set(e, EXIT_ERR, "maasctl config %s: expected a "
		    "mapping at the top level", path);
	cur = cJSON_GetObjectItemCaseSensitive(root, "current-profile");
	if (cur != NULL && !cJSON_IsNull(cur) && !cJSON_IsString(cur))
		return err_set(e, EXIT_ERR, "maasctl config %s: "
		    "current-profile: must be a string", path);
	profiles = cJSON_GetObjectItemCaseSensitive(root, "profiles");
	if (profiles == NULL || cJSON_IsNull(profiles))
		return 0;
	if (!cJSON_IsObject(profiles))
		return err_set(e, EXIT_ERR, "maasctl config %s: profiles: must "
		    "be a mapping of profile names", path);
	cJSON_ArrayForEach(p, profiles) {
		if (config_check_profile(path, p, e) == -1)
			return -1;
	}
	return 0;
}

/* Parse the file's text into cfg->root (an empty object for no content). */
static int
config_parse(struct config *cfg, const char *buf, size_t len, struct err *e)
{
	struct err	 e2 = ERR_INIT;
	cJSON		*v;

	v = yaml_to_json(buf, len, YAML_BARE_ERRORS, &e2);
	if (v == NULL) {
		err_set(e, EXIT_ERR, "maasctl config %s: %s", cfg->path,
		    e2.msg != NULL ? e2.msg : "cannot parse");
		if (e2.hint != NULL)
			err_hint(e, "%s", e2.hint);
		err_clear(&e2);
		return -1;
	}
	if (cJSON_IsNull(v)) {
		cJSON_Delete(v);
		v = cJSON_CreateObject();
	}
	if (config_check(cfg->path, v, e) == -1) {
		cJSON_Delete(v);
		return -1;
	}
	cfg->root = v;
	return 0;
}

struct config *
config_load(const char *path, struct err *e)
{
	struct config	*cfg;
	struct strbuf	 sb = STRBUF_INIT;
	int		 fd;

	cfg = xcalloc(1, sizeof *cfg);
	cfg->path = path != NULL ? xstrdup(path) : config_path(e);
	if (cfg->path == NULL)
		goto fail;
	if ((fd = open(cfg->path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT) {
			err_set(e, EXIT_ERR, "cannot read maasctl config %s: "
			    "%s", cfg->path, strerror(errno));
			goto fail;
		}
		cfg->root = cJSON_CreateObject();
		return cfg;
	}
	sb_init(&sb);
	if (config_read_fd(fd, &sb) == -1) {
		err_set(e, EXIT_ERR, "cannot read maasctl config %s: %s",
		    cfg->path, errno == EFBIG ? "file too large" :
		    strerror(errno));
		close(fd);
		goto fail;
	}
	close(fd);
	if (config_parse(cfg, sb.buf, sb.len, e) == -1)
		goto fail;
	sb_free(&sb);
	return cfg;
fail:
	sb_free(&sb);
	config_free(cfg);
	return NULL;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	cJSON_Delete(cfg->root);
	free(cfg);
}

const char *
config_file(const struct config *cfg)
{
	return cfg->path;
}

/* Make dir and its missing parents with mode 0700; -1 with errno set. */
static int
config_mkdirs(const char *dir)
{
	char		*p = xstrdup(dir), *s;
	struct stat	 st;
	int		 rc = 0;

	for (s = p + 1; rc == 0; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		if (s[-1] != '/') {
			char	 c = *s;

			*s = '\0';
			if (mkdir(p, 0700) == -1 && errno != EEXIST)
				rc = -1;
			else if (stat(p, &st) == -1)
				rc = -1;
			else if (!S_ISDIR(st.st_mode)) {
				errno = ENOTDIR;
				rc = -1;
			}
			*s = c;
		}
		if (*s == '\0')
			break;
	}
	free(p);
	return rc;
}

/* Write all of data to fd; -1 with errno set. */
static int
config_write_all(int fd, const char *data, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = write(fd, data, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync a directory so a rename in it is durable (best effort). */
static void
config_sync_dir(const char *dir)
{
	int	 fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	(void)fsync(fd);
	close(fd);
}

/*
 * Replace path with data: write a 0600 temporary file in the same
 * directory, fsync, rename over path, fsync the directory.  what names the
 * file in errors ("maasctl config", "secret file"); data never appears.
 */
static int
config_write_atomic(const char *path, const char *data, size_t len,
    const char *what, struct err *e)
{
	char	*dir, *slash, *tmp = NULL;
	int	 fd = -1, saved;

	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash == NULL) {
		free(dir);
		dir = xstrdup(".");
	} else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (config_mkdirs(dir) == -1) {
		err_set(e, EXIT_ERR, "cannot write %s %s: cannot create %s: %s",
		    what, path, dir, strerror(errno));
		goto fail;
	}
	tmp = xasprintf("%s.tmp.XXXXXX", path);
	if ((fd = mkstemp(tmp)) == -1) {
		err_set(e, EXIT_ERR, "cannot write %s %s: %s", what, path,
		    strerror(errno));
		free(tmp);
		tmp = NULL;
		goto fail;
	}
	if (fchmod(fd, 0600) == -1 || config_write_all(fd, data, len) == -1 ||
	    fsync(fd) == -1 || close(fd) == -1) {
		saved = errno;
		fd = -1;
		err_set(e, EXIT_ERR, "cannot write %s %s: %s", what, path,
		    strerror(saved));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		err_set(e, EXIT_ERR, "cannot write %s %s: rename: %s", what,
		    path, strerror(errno));
		goto fail;
	}
	config_sync_dir(dir);
	free(tmp);
	free(dir);
	return 0;
fail:
	if (fd != -1)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(dir);
	return -1;
}

int
config_save(const struct config *cfg, struct err *e)
{
	char	*text;
	int	 rc;

	text = yaml_emit(cfg->root);
	rc = config_write_atomic(cfg->path, text, strlen(text),
	    "maasctl config", e);
	free(text);
	return rc;
}

int
config_write_secret(const char *path, const char *data, struct err *e)
{
	if (path == NULL || *path == '\0')
		return err_set(e, EXIT_USAGE, "cannot write secret file: "
		    "no path given");
	return config_write_atomic(path, data, strlen(data), "secret file", e);
}

int
config_read_secret(const char *path, char **out, struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	struct stat	 st;
	int		 fd;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return err_set(e, errno == ENOENT ? EXIT_NOTFOUND : EXIT_ERR,
		    "cannot read secret file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, EXIT_ERR, "cannot read secret file %s: not "
		    "a regular file", path);
	}
	if ((st.st_mode & 077) != 0) {
		close(fd);
		err_set(e, EXIT_AUTH, "refusing to use secret file %s: it is "
		    "readable by others (mode %04o)", path,
		    (unsigned int)(st.st_mode & 07777));
		err_hint(e, "run: chmod 600 %s", path);
		return -1;
	}
	sb_init(&sb);
	if (config_read_fd(fd, &sb) == -1) {
		err_set(e, EXIT_ERR, "cannot read secret file %s: %s", path,
		    errno == EFBIG ? "file too large" : strerror(errno));
		close(fd);
		sb_free_secret(&sb);
		return -1;
	}
	close(fd);
	while (sb.len > 0 && (sb.buf[sb.len - 1] == '\n' ||
	    sb.buf[sb.len - 1] == '\r' || sb.buf[sb.len - 1] == ' ' ||
	    sb.buf[sb.len - 1] == '\t'))
		sb.buf[--sb.len] = '\0';
	*out = sb_detach(&sb);
	return 0;
}

char *
config_key_path(const struct config *cfg, const char *profile)
{
	const char	*slash = strrchr(cfg->path, '/');

	if (slash == NULL)
		return xasprintf("keys/%s.key", profile);
	return xasprintf("%.*s/keys/%s.key", (int)(slash - cfg->path),
	    cfg->path, profile);
}

/* The profiles object, or NULL; create it when make is set. */
static cJSON *
config_profiles_obj(const struct config *cfg, int make)
{
	cJSON	*p = cJSON_GetObjectItemCaseSensitive(cfg->root, "profiles");

	if (cJSON_IsObject(p) || !make)
		return cJSON_IsObject(p) ? p : NULL;
	if (p != NULL)
		cJSON_DeleteItemFromObjectCaseSensitive(cfg->root, "profiles");
	return cJSON_AddObjectToObject(cfg->root, "profiles");
}

/* A profile's object (a null profile counts as empty), or NULL. */
static cJSON *
config_profile(const struct config *cfg, const char *name)
{
	cJSON	*profiles = config_profiles_obj(cfg, 0);

	if (profiles == NULL || name == NULL)
		return NULL;
	return cJSON_GetObjectItemCaseSensitive(profiles, name);
}

int
config_has_profile(const struct config *cfg, const char *name)
{
	return config_profile(cfg, name) != NULL;
}

size_t
config_profiles(const struct config *cfg, struct strlist *out)
{
	struct strlist	 names = STRLIST_INIT;
	cJSON		*p, *profiles = config_profiles_obj(cfg, 0);
	size_t		 i, n;

	if (profiles == NULL)
		return 0;
	cJSON_ArrayForEach(p, profiles)
		sl_add(&names, p->string);
	sl_sort(&names);
	for (i = 0; i < names.n; i++)
		sl_add(out, names.v[i]);
	n = names.n;
	sl_free(&names);
	return n;
}

int
config_add_profile(struct config *cfg, const char *name, struct err *e)
{
	cJSON	*profiles, *p;

	if (!config_name_ok(name))
		return config_bad_name(e, name);
	profiles = config_profiles_obj(cfg, 1);
	p = cJSON_GetObjectItemCaseSensitive(profiles, name);
	if (cJSON_IsObject(p))
		return 0;
	if (p != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(profiles, name,
		    cJSON_CreateObject());
	else
		cJSON_AddObjectToObject(profiles, name);
	return 0;
}

int
config_delete_profile(struct config *cfg, const char *name, struct err *e)
{
	cJSON		*profiles = config_profiles_obj(cfg, 0);
	const char	*cur = config_current(cfg);

	if (profiles == NULL || name == NULL ||
	    cJSON_GetObjectItemCaseSensitive(profiles, name) == NULL)
		return err_set(e, EXIT_NOTFOUND, "profile \"%s\" not found in "
		    "%s", name != NULL ? name : "", cfg->path);
	if (cur != NULL && strcmp(cur, name) == 0)
		cJSON_DeleteItemFromObjectCaseSensitive(cfg->root,
		    "current-profile");
	cJSON_DeleteItemFromObjectCaseSensitive(profiles, name);
	return 0;
}

const char *
config_current(const struct config *cfg)
{
	const cJSON	*c;

	c = cJSON_GetObjectItemCaseSensitive(cfg->root, "current-profile");
	if (!cJSON_IsString(c) || *c->valuestring == '\0')
		return NULL;
	return c->valuestring;
}

int
config_set_current(struct config *cfg, const char *name, struct err *e)
{
	if (name == NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(cfg->root,
		    "current-profile");
		return 0;
	}
	if (!config_has_profile(cfg, name))
		return err_set(e, EXIT_NOTFOUND, "profile \"%s\" not found in "
		    "%s", name, cfg->path);
	json_set_str(cfg->root, "current-profile", name);
	return 0;
}

const char *
config_select(const struct config *cfg, const char *flag, const char **from)
{
	const char	*env = getenv("MAASCTL_PROFILE"), *dummy;

	if (from == NULL)
		from = &dummy;
	if (flag != NULL) {
		*from = "--profile";
		return flag;
	}
	if (env != NULL && *env != '\0') {
		*from = "MAASCTL_PROFILE";
		return env;
	}
	*from = "current-profile";
	return config_current(cfg);
}

const char *
config_resolve(const struct config *cfg, const char *flag, struct err *e)
{
	const char	*from, *name = config_select(cfg, flag, &from);

	if (name == NULL) {
		err_set(e, EXIT_USAGE, "no maasctl profile selected and no "
		    "current-profile in %s", cfg->path);
		err_hint(e, "pass --profile NAME, set MAASCTL_PROFILE, or run "
		    "maasctl login");
		return NULL;
	}
	if (!config_has_profile(cfg, name)) {
		err_set(e, EXIT_NOTFOUND, "profile \"%s\" (from %s) not found "
		    "in %s", name, from, cfg->path);
		return NULL;
	}
	return name;
}

const char *
config_get(const struct config *cfg, const char *profile, const char *field)
{
	const cJSON	*f, *p = config_profile(cfg, profile);

	if (!cJSON_IsObject(p) || field == NULL)
		return NULL;
	f = cJSON_GetObjectItemCaseSensitive(p, field);
	if (cJSON_IsString(f))
		return f->valuestring;
	if (cJSON_IsBool(f))
		return cJSON_IsTrue(f) ? "true" : "false";
	return NULL;
}

int
config_get_bool(const struct config *cfg, const char *profile,
    const char *field, int def)
{
	const cJSON	*p = config_profile(cfg, profile), *f;

	if (!cJSON_IsObject(p) || field == NULL)
		return def;
	f = cJSON_GetObjectItemCaseSensitive(p, field);
	if (cJSON_IsBool(f))
		return cJSON_IsTrue(f);
	return def;
}

/* Parse a boolean as given on a command line; -1 if it is not one. */
static int
config_parse_bool(const char *s)
{
	static const char *const yes[] = { "true", "yes", "on", "1", NULL };
	static const char *const no[] = { "false", "no", "off", "0", NULL };
	size_t	 i;

	for (i = 0; yes[i] != NULL; i++)
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
	for (i = 0; no[i] != NULL; i++)
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	return -1;
}

int
config_set(struct config *cfg, const char *profile, const char *field,
    const char *value, struct err *e)
{
	cJSON	*p, *item;
	int	 i, b = 0;

	if ((i = config_field_index(field)) == -1)
		return err_set(e, EXIT_USAGE, "unknown profile field \"%s\"",
		    field != NULL ? field : "");
	if (value != NULL && config_fields[i].boolean &&
	    (b = config_parse_bool(value)) == -1)
		return err_set(e, EXIT_USAGE, "%s must be true or false, not "
		    "\"%s\"", field, value);
	if (config_add_profile(cfg, profile, e) == -1)
		return -1;
	p = config_profile(cfg, profile);
	if (value == NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(p, field);
		return 0;
	}
	item = config_fields[i].boolean ? cJSON_CreateBool(b) :
	    cJSON_CreateString(value);
	if (cJSON_GetObjectItemCaseSensitive(p, field) != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(p, field, item);
	else
		cJSON_AddItemToObject(p, field, item);
	return 0;
}
