/*
 * kubeconfig.c: load, merge, view and resolve kubeconfig files the way
 * client-go's tools/clientcmd does, run exec credential plugins and fall
 * back to the in-cluster service account.
 *
 * Each file is decoded against a table of the kubeconfig.v1 Go types, so
 * wrong types, bad base64 and duplicate names fail with the same text
 * client-go prints, unknown fields are dropped and the result is kept in
 * Go field order (which is what `kubectl config view` prints).
 */

#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "base64.h"
#include "kubeconfig.h"
#include "rfc3339.h"
#include "xalloc.h"
#include "yaml.h"

extern char **environ;

#define KC_SCHEME "k8s.io/client-go/tools/clientcmd/api/latest/latest.go:50"
#define KC_EXEC_EXT "client.authentication.k8s.io/exec"
#define KC_MAX_FILE (16 * 1024 * 1024)
#define KC_MAX_EXEC_OUT (4 * 1024 * 1024)
#define KC_TOKEN_FILE_TTL 60

/* ---- small helpers ----------------------------------------------------- */

/* Go's error text for an errno: strerror with a lower-case first letter. */
static char *
go_strerror(int errnum)
{
	char	*s = xstrdup(strerror(errnum));

	if (s[0] != '\0')
		s[0] = (char)tolower((unsigned char)s[0]);
	return s;
}

static int
read_whole(const char *path, char **out, size_t *len, int *errnum)
{
	struct strbuf	 sb = STRBUF_INIT;
	char		 buf[8192];
	ssize_t		 n;
	int		 fd;

	*out = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*errnum = errno;
		return -1;
	}
	sb_init(&sb);
	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*errnum = errno;
			close(fd);
			sb_free_secret(&sb);
			return -1;
		}
		if (n == 0)
			break;
		if (sb.len + (size_t)n > KC_MAX_FILE) {
			*errnum = EFBIG;
			close(fd);
			sb_free_secret(&sb);
			return -1;
		}
		sb_add(&sb, buf, (size_t)n);
	}
	close(fd);
	*len = sb.len;
	*out = sb_detach(&sb);
	return 0;
}

/* Go's filepath.Clean for absolute or relative slash paths. */
static char *
path_clean(const char *p)
{
	struct strlist	 parts = STRLIST_INIT;
	struct strbuf	 sb = STRBUF_INIT;
	const char	*s, *e;
	int		 abs = p[0] == '/';
	size_t		 i, n = 0;

	for (s = p; *s != '\0'; s = e) {
		while (*s == '/')
			s++;
		if (*s == '\0')
			break;
		for (e = s; *e != '\0' && *e != '/'; e++)
			;
		if ((size_t)(e - s) == 1 && s[0] == '.')
			continue;
		if ((size_t)(e - s) == 2 && s[0] == '.' && s[1] == '.') {
			if (n > 0 && strcmp(parts.v[n - 1], "..") != 0) {
				free(parts.v[--n]);
				parts.v[n] = NULL;
				parts.n = n;
				continue;
			}
			if (abs)
				continue;
		}
		sl_take(&parts, xstrndup(s, (size_t)(e - s)));
		n = parts.n;
	}
	sb_init(&sb);
	if (abs)
		sb_addc(&sb, '/');
	for (i = 0; i < parts.n; i++) {
		if (i > 0)
			sb_addc(&sb, '/');
		sb_adds(&sb, parts.v[i]);
	}
	if (sb.len == 0)
		sb_addc(&sb, '.');
	sl_free(&parts);
	return sb_detach(&sb);
}

/* Absolute form of a path, against the working directory. */
static char *
path_abs(const char *p)
{
	char	 cwd[PATH_MAX], *joined, *r;

	if (p[0] == '/')
		return path_clean(p);
	if (getcwd(cwd, sizeof cwd) == NULL)
		return path_clean(p);
	joined = xasprintf("%s/%s", cwd, p);
	r = path_clean(joined);
	free(joined);
	return r;
}

/* The absolute directory of a file. */
static char *
path_dir_abs(const char *file)
{
	const char	*slash = strrchr(file, '/');
	char		*dir, *r;

	if (slash == NULL)
		return path_abs(".");
	if (slash == file)
		return xstrdup("/");
	dir = xstrndup(file, (size_t)(slash - file));
	r = path_abs(dir);
	free(dir);
	return r;
}

/* Resolve p against the directory of origin, as ResolvePath does. */
static char *
path_resolve(const char *p, const char *origin)
{
	char	*dir, *joined, *r;

	if (p == NULL || p[0] == '\0')
		return p == NULL ? NULL : xstrdup(p);
	if (p[0] == '/' || origin == NULL)
		return xstrdup(p);
	dir = path_dir_abs(origin);
	joined = xasprintf("%s/%s", dir, p);
	r = path_clean(joined);
	free(dir);
	free(joined);
	return r;
}

/* ---- the kubeconfig.v1 schema ------------------------------------------ */

enum kc_type {
	KT_STR,		/* string */
	KT_BOOL,	/* bool */
	KT_BYTES,	/* []byte, base64 in JSON */
	KT_STRLIST,	/* []string */
	KT_MAPSTR,	/* map[string]string */
	KT_MAPSTRLIST,	/* map[string][]string */
	KT_STRUCT,	/* a nested struct (or pointer to one) */
	KT_LIST,	/* a slice of structs */
	KT_ANY		/* runtime.RawExtension */
};

#define KF_OMIT		0x01	/* omitempty */
#define KF_REDACT	0x02	/* REDACTED unless --raw */

struct kc_schema;

struct kc_field {
	const char		*name;	/* JSON name */
	enum kc_type		 type;
	const struct kc_schema	*sub;	/* KT_STRUCT / KT_LIST element */
	const char		*gotype; /* for decode errors */
	unsigned		 flags;
};

struct kc_schema {
	const char		*goname; /* Go struct name in errors */
	const struct kc_field	*fields;
};

static const struct kc_field f_ext[] = {
	{ "name", KT_STR, NULL, "string", 0 },
	{ "extension", KT_ANY, NULL, "runtime.RawExtension", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};
static const struct kc_schema s_ext = { "NamedExtension", f_ext };

static const struct kc_field f_prefs[] = {
	{ "colors", KT_BOOL, NULL, "bool", KF_OMIT },
	{ "extensions", KT_LIST, &s_ext, "[]v1.NamedExtension", KF_OMIT },
	{ NULL, 0, NULL, NULL, 0 }
};
static const struct kc_schema s_prefs = { "Preferences", f_prefs };

static const struct kc_field f_cluster[] = {
	{ "server", KT_STR, NULL, "string", 0 },
	{ "tls-server-name", KT_STR, NULL, "string", KF_OMIT },
	{ "insecure-skip-tls-verify", KT_BOOL, NULL, "bool", KF_OMIT },
	{ "certificate-authority", KT_STR, NULL, "string", KF_OMIT },
	{ "certificate-authority-data", KT_BYTES, NULL, "[]uint8", KF_OMIT },
	{ "proxy-url", KT_STR, NULL, "string", KF_OMIT },
	{ "disable-compression", KT_BOOL, NULL, "bool", KF_OMIT },
	{ "extensions", KT_LIST, &s_ext, "[]v1.NamedExtension", KF_OMIT },
	{ NULL, 0, NULL, NULL, 0 }
};
static const struct kc_schema s_cluster = { "Cluster", f_cluster };

static const struct kc_field f_envvar[] = {
	{ "name", KT_STR, NULL, "string", 0 },
	{ "value", KT_STR, NULL, "string", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};
static const struct kc_schema s_envvar = { "ExecEnvVar", f_envvar };

static const struct kc_field f_exec[] = {
	{ "command", KT_STR, NULL, "string", 0 },
	{ "args", KT_STRLIST, NULL, "[]string", 0 },
	{ "env", KT_LIST, &s_envvar, "[]v1.ExecEnvVar", 0 },
	{ "apiVersion", KT_STR, NULL, "string", KF_OMIT },
	{ "installHint", KT_STR, NULL, "string", KF_OMIT },
	{ "provideClusterInfo", KT_BOOL, NULL, "bool", 0 },
	{ "interactiveMode", KT_STR, NULL, "v1.ExecInteractiveMode", KF_OMIT },
	{ NULL, 0, NULL, NULL, 0 }
};
static const struct kc_schema s_exec = { "ExecConfig", f_exec };

static const struct kc_field f_authprov[] = {
	{ "name", KT_STR, NULL, "string", 0 },
	{ "config", KT_MAPSTR, NULL, "map[string]string", KF_OMIT },
	{ NULL, 0, NULL, NULL, 0 }
};
static const struct kc_schema s_authprov = { "AuthProviderConfig", f_authprov };

static const struct kc_field f_user[] = {
	{ "client-certificate", KT_STR, NULL, "string", KF_OMIT },
	{ "client-certificate-data", KT_BYTES, NULL, "[]uint8", KF_OMIT },
	{ "client-key", KT_STR, NULL, "string", KF_OMIT },
	{ "client-key-data", KT_BYTES, NULL, "[]uint8", KF_OMIT },
	{ "token", KT_STR, NULL, "string", KF_OMIT | KF_REDACT },
	{ "tokenFile", KT_STR, NULL, "string", KF_OMIT },
	{ "as", KT_STR, NULL, "string", KF_OMIT },
	{ "as-uid", KT_STR, NULL, "string", KF_OMIT },
	{ "as-groups", KT_STRLIST, NULL, "[]string", KF_OMIT },
	{ "as-user-extra", KT_MAPSTRLIST, NULL, "map[string][]string", KF_OMIT },
	{ "username", KT_STR, NULL, "string", KF_OMIT },
	{ "password", KT_STR, NULL, "string", KF_OMIT | KF_REDACT },
	{ "auth-provider", KT_STRUCT, &s_authprov, "v1.AuthProviderConfig",
	    KF_OMIT },
	{ "exec", KT_STRUCT, &s_exec, "v1.ExecConfig", KF_OMIT },
	{ "extensions", KT_LIST, &s_ext, "[]v1.NamedExtension", KF_OMIT },
	{ NULL, 0, NULL, NULL, 0 }
};
static const struct kc_schema s_user = { "AuthInfo", f_user };

static const struct kc_field f_context[] = {
	{ "cluster", KT_STR, NULL, "string", 0 },
	{ "user", KT_STR, NULL, "string", 0 },
	{ "namespace", KT_STR, NULL, "string", KF_OMIT },
	{ "extensions", KT_LIST, &s_ext, "[]v1.NamedExtension", KF_OMIT },
	{ NULL, 0, NULL, NULL, 0 }
};
static const struct kc_schema s_context = { "Context", f_context };

static const struct kc_field f_ncluster[] = {
	{ "name", KT_STR, NULL, "string", 0 },
	{ "cluster", KT_STRUCT, &s_cluster, "v1.Cluster", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};
static const struct kc_schema s_ncluster = { "NamedCluster", f_ncluster };

static const struct kc_field f_nuser[] = {
	{ "name", KT_STR, NULL, "string", 0 },
	{ "user", KT_STRUCT, &s_user, "v1.AuthInfo", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};
static const struct kc_schema s_nuser = { "NamedAuthInfo", f_nuser };

static const struct kc_field f_ncontext[] = {
	{ "name", KT_STR, NULL, "string", 0 },
	{ "context", KT_STRUCT, &s_context, "v1.Context", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};
static const struct kc_schema s_ncontext = { "NamedContext", f_ncontext };

static const struct kc_field f_config[] = {
	{ "kind", KT_STR, NULL, "string", KF_OMIT },
	{ "apiVersion", KT_STR, NULL, "string", KF_OMIT },
	{ "preferences", KT_STRUCT, &s_prefs, "v1.Preferences", 0 },
	{ "clusters", KT_LIST, &s_ncluster, "[]v1.NamedCluster", 0 },
	{ "users", KT_LIST, &s_nuser, "[]v1.NamedAuthInfo", 0 },
	{ "contexts", KT_LIST, &s_ncontext, "[]v1.NamedContext", 0 },
	{ "current-context", KT_STR, NULL, "string", 0 },
	{ "extensions", KT_LIST, &s_ext, "[]v1.NamedExtension", KF_OMIT },
	{ NULL, 0, NULL, NULL, 0 }
};
static const struct kc_schema s_config = { "Config", f_config };

static const char *
json_type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "string";
	if (cJSON_IsNumber(v) || cJSON_IsRaw(v))
		return "number";
	if (cJSON_IsBool(v))
		return "bool";
	if (cJSON_IsArray(v))
		return "array";
	return "object";
}

static void
type_error(struct strbuf *why, const cJSON *v, const char *goname,
    const char *path, const char *gotype)
{
	if (why->len != 0)
		return;
	sb_addf(why, "json: cannot unmarshal %s into Go struct field %s.%s "
	    "of type %s", json_type_name(v), goname, path, gotype);
}

static cJSON *decode_struct(const struct kc_schema *, const cJSON *,
    const char *, struct strbuf *);

/* Decode one field value; NULL (no error) means the zero value. */
static cJSON *
decode_value(const struct kc_schema *parent, const struct kc_field *f,
    const cJSON *v, const char *path, struct strbuf *why)
{
	const cJSON	*it, *s;
	cJSON		*out = NULL, *elem;
	char		*raw, *enc;
	size_t		 rawlen, bad;

	if (cJSON_IsNull(v))
		return NULL;
	switch (f->type) {
	case KT_STR:
		if (!cJSON_IsString(v)) {
			type_error(why, v, parent->goname, path, f->gotype);
			return NULL;
		}
		if (v->valuestring[0] == '\0')
			return NULL;
		return cJSON_CreateString(v->valuestring);
	case KT_BOOL:
		if (!cJSON_IsBool(v)) {
			type_error(why, v, parent->goname, path, f->gotype);
			return NULL;
		}
		return cJSON_IsTrue(v) ? cJSON_CreateTrue() : NULL;
	case KT_BYTES:
		if (!cJSON_IsString(v)) {
			type_error(why, v, parent->goname, path, f->gotype);
			return NULL;
		}
		raw = b64_decode_std(v->valuestring, strlen(v->valuestring),
		    &rawlen, &bad);
		if (raw == NULL) {
			if (why->len == 0)
				sb_addf(why, "illegal base64 data at input "
				    "byte %zu", bad);
			return NULL;
		}
		if (rawlen == 0) {
			free(raw);
			return NULL;
		}
		enc = b64_encode(raw, rawlen, B64_STD);
		explicit_bzero(raw, rawlen);
		free(raw);
		out = cJSON_CreateString(enc);
		xfree_secret(enc);
		return out;
	case KT_STRLIST:
		if (!cJSON_IsArray(v)) {
			type_error(why, v, parent->goname, path, f->gotype);
			return NULL;
		}
		out = cJSON_CreateArray();
		cJSON_ArrayForEach(it, v) {
			if (cJSON_IsNull(it)) {
				cJSON_AddItemToArray(out, cJSON_CreateString(""));
				continue;
			}
			if (!cJSON_IsString(it)) {
				type_error(why, it, parent->goname, path,
				    "string");
				continue;
			}
			cJSON_AddItemToArray(out,
			    cJSON_CreateString(it->valuestring));
		}
		break;
	case KT_MAPSTR:
	case KT_MAPSTRLIST:
		if (!cJSON_IsObject(v)) {
			type_error(why, v, parent->goname, path, f->gotype);
			return NULL;
		}
		out = cJSON_CreateObject();
		cJSON_ArrayForEach(it, v) {
			if (f->type == KT_MAPSTR) {
				if (cJSON_IsNull(it)) {
					cJSON_AddStringToObject(out, it->string,
					    "");
					continue;
				}
				if (!cJSON_IsString(it)) {
					type_error(why, it, parent->goname,
					    path, "string");
					continue;
				}
				cJSON_AddStringToObject(out, it->string,
				    it->valuestring);
				continue;
			}
			if (cJSON_IsNull(it)) {
				cJSON_AddItemToObject(out, it->string,
				    cJSON_CreateNull());
				continue;
			}
			if (!cJSON_IsArray(it)) {
				type_error(why, it, parent->goname, path,
				    "[]string");
				continue;
			}
			elem = cJSON_CreateArray();
			cJSON_ArrayForEach(s, it) {
				if (!cJSON_IsString(s)) {
					type_error(why, s, parent->goname,
					    path, "string");
					continue;
				}
				cJSON_AddItemToArray(elem,
				    cJSON_CreateString(s->valuestring));
			}
			cJSON_AddItemToObject(out, it->string, elem);
		}
		break;
	case KT_STRUCT:
		if (!cJSON_IsObject(v)) {
			type_error(why, v, parent->goname, path, f->gotype);
			return NULL;
		}
		return decode_struct(f->sub, v, path, why);
	case KT_LIST:
		if (!cJSON_IsArray(v)) {
			type_error(why, v, parent->goname, path, f->gotype);
			return NULL;
		}
		out = cJSON_CreateArray();
		cJSON_ArrayForEach(it, v) {
			if (cJSON_IsNull(it)) {
				cJSON_AddItemToArray(out, cJSON_CreateObject());
				continue;
			}
			if (!cJSON_IsObject(it)) {
				type_error(why, it, parent->goname, path,
				    f->gotype + 2);
				continue;
			}
			elem = decode_struct(f->sub, it, path, why);
			cJSON_AddItemToArray(out, elem);
		}
		break;
	case KT_ANY:
		return cJSON_Duplicate(v, 1);
	}
	if (out != NULL && cJSON_GetArraySize(out) == 0) {
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}

/* Decode an object against a schema: known fields only, Go order. */
static cJSON *
decode_struct(const struct kc_schema *s, const cJSON *in, const char *path,
    struct strbuf *why)
{
	const struct kc_field	*f;
	const cJSON		*it;
	cJSON			*out, *val, *vals[32];
	char			*sub;
	size_t			 i, n;

	for (n = 0; s->fields[n].name != NULL; n++)
		vals[n] = NULL;
	/* Walk the input in document order so the first error wins. */
	cJSON_ArrayForEach(it, in) {
		for (i = 0; i < n; i++)
			if (strcmp(s->fields[i].name, it->string) == 0)
				break;
		if (i == n)
			continue;
		f = &s->fields[i];
		sub = path[0] == '\0' ? xstrdup(f->name) :
		    xasprintf("%s.%s", path, f->name);
		val = decode_value(s, f, it, sub, why);
		free(sub);
		if (vals[i] != NULL)
			cJSON_Delete(vals[i]);
		vals[i] = val;
	}
	out = cJSON_CreateObject();
	for (i = 0; i < n; i++)
		if (vals[i] != NULL)
			cJSON_AddItemToObject(out, s->fields[i].name, vals[i]);
	return out;
}

/* ---- the merged config --------------------------------------------------- */

struct kc_entry {
	char	*name;		/* entry name */
	cJSON	*body;		/* decoded cluster/user/context object */
	char	*origin;	/* file that defined it */
};

struct kc_list {
	struct kc_entry	*v;
	size_t		 n, cap;
};

struct kubeconfig {
	struct kc_list	 clusters;	/* merged, first file wins */
	struct kc_list	 users;
	struct kc_list	 contexts;
	char		*current;	/* current-context or NULL */
	cJSON		*prefs;		/* decoded preferences */
	cJSON		*extensions;	/* config-level extensions or NULL */
	struct strlist	 files;		/* loading precedence */
	int		 explicit;	/* --kubeconfig was given */
	char		*default_file;	/* where use-context writes */
};

static struct kc_entry *
list_find(const struct kc_list *l, const char *name)
{
	size_t	 i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

static void
list_add(struct kc_list *l, const char *name, const cJSON *body,
    const char *origin)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n].name = xstrdup(name);
	l->v[l->n].body = body ? cJSON_Duplicate(body, 1) : cJSON_CreateObject();
	l->v[l->n].origin = origin ? xstrdup(origin) : NULL;
	l->n++;
}

/* Append copies of every entry of src to dst. */
static void
list_copy_all(struct kc_list *dst, const struct kc_list *src)
{
	size_t	 i;

	for (i = 0; i < src->n; i++)
		list_add(dst, src->v[i].name, src->v[i].body, src->v[i].origin);
}

/*
 * Append a copy of src's entry `name` (a context's "cluster" or "user",
 * named `kind` in the error) to dst; nothing when name is NULL; -1 with
 * kubectl's "cannot locate" error when src has no such entry.
 */
static int
list_copy_ref(struct kc_list *dst, const struct kc_list *src,
    const char *kind, const char *name, struct err *e)
{
	const struct kc_entry	*x;

	if (name == NULL)
		return 0;
	if ((x = list_find(src, name)) == NULL) {
		err_set_raw(e, EXIT_AUTH, "error: cannot locate %s %s", kind,
		    name);
		return -1;
	}
	list_add(dst, x->name, x->body, x->origin);
	return 0;
}

static void
list_free(struct kc_list *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		cJSON_Delete(l->v[i].body);
		free(l->v[i].origin);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kc_entry *)a)->name,
	    ((const struct kc_entry *)b)->name);
}

static void
list_sort(struct kc_list *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof *l->v, entry_cmp);
}

/* Go's %v of a v1.Cluster or v1.Context, for the duplicate-name error. */
static void
dump_struct(struct strbuf *sb, const struct kc_schema *s, const cJSON *body)
{
	const struct kc_field	*f;
	const cJSON		*v;
	char			*raw;
	size_t			 rawlen, bad, i;

	sb_addc(sb, '{');
	for (f = s->fields; f->name != NULL; f++) {
		if (f != s->fields)
			sb_addc(sb, ' ');
		v = body ? cJSON_GetObjectItemCaseSensitive(body, f->name) : NULL;
		switch (f->type) {
		case KT_STR:
			if (cJSON_IsString(v))
				sb_adds(sb, v->valuestring);
			break;
		case KT_BOOL:
			sb_adds(sb, cJSON_IsTrue(v) ? "true" : "false");
			break;
		case KT_BYTES:
			sb_addc(sb, '[');
			if (cJSON_IsString(v) && (raw = b64_decode_std(
			    v->valuestring, strlen(v->valuestring), &rawlen,
			    &bad)) != NULL) {
				for (i = 0; i < rawlen; i++)
					sb_addf(sb, "%s%u", i ? " " : "",
					    (unsigned char)raw[i]);
				free(raw);
			}
			sb_addc(sb, ']');
			break;
		default:
			sb_adds(sb, "[]");
			break;
		}
	}
	sb_addc(sb, '}');
}

/* Convert one file's named list into entries, failing on duplicates. */
static int
file_list(struct kc_list *into, const cJSON *arr, const char *inner,
    const char *gokind, const char *apikind, const struct kc_schema *sub,
    struct strbuf *why)
{
	struct kc_list	 local = { NULL, 0, 0 };
	const cJSON	*it;
	const char	*name;
	size_t		 i;

	cJSON_ArrayForEach(it, arr) {
		name = json_str(it, "name");
		if (name == NULL)
			name = "";
		if (list_find(&local, name) != NULL) {
			sb_addf(why, "error converting *[]Named%s into "
			    "*map[string]*api.%s: duplicate name \"%s\" in "
			    "list: [", gokind, apikind, name);
			cJSON_ArrayForEach(it, arr) {
				if (it != arr->child)
					sb_addc(why, ' ');
				sb_addf(why, "{%s ", json_str(it, "name") ?
				    json_str(it, "name") : "");
				if (sub != NULL)
					dump_struct(why, sub, json_path(it,
					    inner));
				else
					sb_adds(why, "{...}");
				sb_addc(why, '}');
			}
			sb_addc(why, ']');
			list_free(&local);
			return -1;
		}
		list_add(&local, name, json_path(it, inner), NULL);
	}
	for (i = 0; i < local.n; i++) {
		if (into->n == into->cap) {
			into->cap = into->cap ? into->cap * 2 : 8;
			into->v = xrealloc(into->v, into->cap * sizeof *into->v);
		}
		into->v[into->n++] = local.v[i];
	}
	free(local.v);
	return 0;
}

/* Apply client-go's load-time defaults (exec interactiveMode). */
static void
apply_defaults(struct kc_list *users)
{
	cJSON		*exec;
	const char	*ver;
	size_t		 i;

	for (i = 0; i < users->n; i++) {
		exec = cJSON_GetObjectItemCaseSensitive(users->v[i].body, "exec");
		if (exec == NULL || json_str(exec, "interactiveMode") != NULL)
			continue;
		ver = json_str(exec, "apiVersion");
		if (ver != NULL && (strcmp(ver,
		    "client.authentication.k8s.io/v1beta1") == 0 ||
		    strcmp(ver, "client.authentication.k8s.io/v1alpha1") == 0))
			cJSON_AddStringToObject(exec, "interactiveMode",
			    "IfAvailable");
	}
}

/* One file's content, decoded; *cfg is NULL-free on success. */
struct kc_file {
	struct kc_list	 clusters, users, contexts;
	char		*current;
	cJSON		*prefs;
	cJSON		*extensions;
};

static void
kc_file_free(struct kc_file *f)
{
	list_free(&f->clusters);
	list_free(&f->users);
	list_free(&f->contexts);
	free(f->current);
	cJSON_Delete(f->prefs);
	cJSON_Delete(f->extensions);
	memset(f, 0, sizeof *f);
}

/* Decode a buffer into a kc_file; the reason on failure goes to why. */
static int
decode_file(const char *buf, size_t len, struct kc_file *out,
    struct strbuf *why)
{
	struct err	 e = ERR_INIT;
	cJSON		*doc, *cfg = NULL;
	const cJSON	*v;
	const char	*kind, *ver, *cur;
	size_t		 i;
	int		 blank = 1, rc = -1;

	memset(out, 0, sizeof *out);
	for (i = 0; i < len; i++)
		if (!isspace((unsigned char)buf[i]))
			blank = 0;
	if (blank)
		return 0;
	doc = yaml_to_json(buf, len, YAML_BARE_ERRORS, &e);
	if (doc == NULL) {
		if (e.msg == NULL) {
			err_clear(&e);
			return 0;
		}
		sb_adds(why, e.msg);
		err_clear(&e);
		return -1;
	}
	if (cJSON_IsNull(doc)) {
		cJSON_Delete(doc);
		return 0;
	}
	if (!cJSON_IsObject(doc)) {
		sb_addf(why, "couldn't get version/kind; json parse error: "
		    "json: cannot unmarshal %s into Go value of type struct "
		    "{ APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; "
		    "Kind string \"json:\\\"kind,omitempty\\\"\" }",
		    json_type_name(doc));
		goto out;
	}
	for (i = 0; i < 2; i++) {
		v = cJSON_GetObjectItemCaseSensitive(doc,
		    i == 0 ? "apiVersion" : "kind");
		if (v != NULL && !cJSON_IsNull(v) && !cJSON_IsString(v)) {
			sb_addf(why, "couldn't get version/kind; json parse "
			    "error: json: cannot unmarshal %s into Go struct "
			    "field .%s of type string", json_type_name(v),
			    i == 0 ? "apiVersion" : "kind");
			goto out;
		}
	}
	ver = json_str(doc, "apiVersion");
	kind = json_str(doc, "kind");
	if ((ver != NULL && ver[0] != '\0' && strcmp(ver, "v1") != 0) ||
	    (kind != NULL && kind[0] != '\0' && strcmp(kind, "Config") != 0)) {
		sb_addf(why, "no kind \"%s\" is registered for version \"%s\" "
		    "in scheme \"%s\"", kind && *kind ? kind : "Config",
		    ver && *ver ? ver : "v1", KC_SCHEME);
		goto out;
	}
	cfg = decode_struct(&s_config, doc, "", why);
	if (why->len != 0)
		goto out;
	if (file_list(&out->clusters, json_path(cfg, "clusters"), "cluster",
	    "Cluster", "Cluster", &s_cluster, why) == -1 ||
	    file_list(&out->users, json_path(cfg, "users"), "user",
	    "AuthInfo", "AuthInfo", NULL, why) == -1 ||
	    file_list(&out->contexts, json_path(cfg, "contexts"), "context",
	    "Context", "Context", &s_context, why) == -1)
		goto out;
	apply_defaults(&out->users);
	if ((cur = json_str(cfg, "current-context")) != NULL)
		out->current = xstrdup(cur);
	if ((v = json_path(cfg, "preferences")) != NULL)
		out->prefs = cJSON_Duplicate(v, 1);
	if ((v = json_path(cfg, "extensions")) != NULL)
		out->extensions = cJSON_Duplicate(v, 1);
	rc = 0;
out:
	if (rc == -1)
		kc_file_free(out);
	cJSON_Delete(cfg);
	cJSON_Delete(doc);
	return rc;
}

/* Merge a decoded file in: whole named entries and values, first wins. */
static void
merge_file(struct kubeconfig *kc, struct kc_file *f, const char *origin)
{
	struct kc_list	*src[3] = { &f->clusters, &f->users, &f->contexts };
	struct kc_list	*dst[3] = { &kc->clusters, &kc->users, &kc->contexts };
	const cJSON	*it;
	size_t		 i, k;

	for (k = 0; k < 3; k++) {
		for (i = 0; i < src[k]->n; i++) {
			if (list_find(dst[k], src[k]->v[i].name) != NULL)
				continue;
			list_add(dst[k], src[k]->v[i].name, src[k]->v[i].body,
			    origin);
		}
	}
	if (kc->current == NULL && f->current != NULL)
		kc->current = xstrdup(f->current);
	if (f->prefs != NULL) {
		if (kc->prefs == NULL)
			kc->prefs = cJSON_CreateObject();
		cJSON_ArrayForEach(it, f->prefs)
			if (cJSON_GetObjectItemCaseSensitive(kc->prefs,
			    it->string) == NULL)
				cJSON_AddItemToObject(kc->prefs, it->string,
				    cJSON_Duplicate(it, 1));
	}
	if (kc->extensions == NULL && f->extensions != NULL)
		kc->extensions = cJSON_Duplicate(f->extensions, 1);
}

static int
load_error(struct err *e, const char *path, const char *why)
{
	return err_set_raw(e, EXIT_AUTH, "error: error loading config file "
	    "\"%s\": %s", path, why);
}

/* Read and decode one file; 1 when missing, 0 loaded, -1 error. */
static int
load_one(const char *path, struct kc_file *f, struct err *e)
{
	struct strbuf	 why = STRBUF_INIT;
	char		*buf, *es;
	size_t		 len;
	int		 errnum = 0, rc;

	memset(f, 0, sizeof *f);
	if (read_whole(path, &buf, &len, &errnum) == -1) {
		if (errnum == ENOENT)
			return 1;
		es = go_strerror(errnum);
		err_set_raw(e, EXIT_AUTH, "error: error loading config file "
		    "\"%s\": read %s: %s", path, path, es);
		free(es);
		return -1;
	}
	sb_init(&why);
	rc = decode_file(buf, len, f, &why);
	if (rc == -1)
		load_error(e, path, why.buf);
	sb_free(&why);
	xfree_secret(buf);
	return rc;
}

static void
kubeconfig_finish(struct kubeconfig *kc)
{
	list_sort(&kc->clusters);
	list_sort(&kc->users);
	list_sort(&kc->contexts);
}

struct kubeconfig *
kubeconfig_load(const char *explicit_path, struct err *e)
{
	struct kubeconfig	*kc;
	struct kc_file		 f;
	const char		*env, *home, *s, *p;
	char			*path, *es;
	struct stat		 st;
	size_t			 i;
	int			 rc;

	kc = xcalloc(1, sizeof *kc);
	env = getenv("KUBECONFIG");
	if (explicit_path != NULL && explicit_path[0] != '\0') {
		kc->explicit = 1;
		if (stat(explicit_path, &st) == -1) {
			es = go_strerror(errno);
			err_set_raw(e, EXIT_AUTH, "error: stat %s: %s",
			    explicit_path, es);
			free(es);
			kubeconfig_free(kc);
			return NULL;
		}
		sl_add(&kc->files, explicit_path);
	} else if (env != NULL && env[0] != '\0') {
		for (s = env; *s != '\0'; s = *p ? p + 1 : p) {
			for (p = s; *p != '\0' && *p != ':'; p++)
				;
			if (p == s)
				continue;
			path = xstrndup(s, (size_t)(p - s));
			if (sl_has(&kc->files, path))
				free(path);
			else
				sl_take(&kc->files, path);
		}
	} else {
		home = getenv("HOME");
		sl_take(&kc->files, xasprintf("%s/.kube/config",
		    home != NULL ? home : ""));
	}
	for (i = 0; i < kc->files.n; i++) {
		rc = load_one(kc->files.v[i], &f, e);
		if (rc == -1) {
			kubeconfig_free(kc);
			return NULL;
		}
		if (rc == 1) {
			if (kc->explicit) {
				err_set_raw(e, EXIT_AUTH, "error: stat %s: no "
				    "such file or directory", kc->files.v[i]);
				kubeconfig_free(kc);
				return NULL;
			}
			continue;
		}
		merge_file(kc, &f, kc->files.v[i]);
		kc_file_free(&f);
	}
	/* GetDefaultFilename: explicit, the one env file, the first that
	 * exists, else the last; ~/.kube/config without KUBECONFIG. */
	if (kc->files.n == 1)
		kc->default_file = xstrdup(kc->files.v[0]);
	else {
		for (i = 0; i < kc->files.n; i++)
			if (stat(kc->files.v[i], &st) == 0)
				break;
		kc->default_file = xstrdup(kc->files.v[i < kc->files.n ? i :
		    kc->files.n - 1]);
	}
	kubeconfig_finish(kc);
	return kc;
}

struct kubeconfig *
kubeconfig_load_buf(const char *buf, size_t len, const char *origin,
    struct err *e)
{
	struct kubeconfig	*kc;
	struct kc_file		 f;
	struct strbuf		 why = STRBUF_INIT;

	if (origin == NULL)
		origin = "<memory>";
	sb_init(&why);
	if (decode_file(buf, len, &f, &why) == -1) {
		load_error(e, origin, why.buf);
		sb_free(&why);
		return NULL;
	}
	sb_free(&why);
	kc = xcalloc(1, sizeof *kc);
	kc->explicit = 1;
	sl_add(&kc->files, origin);
	kc->default_file = xstrdup(origin);
	merge_file(kc, &f, origin);
	kc_file_free(&f);
	kubeconfig_finish(kc);
	return kc;
}

void
kubeconfig_free(struct kubeconfig *kc)
{
	if (kc == NULL)
		return;
	list_free(&kc->clusters);
	list_free(&kc->users);
	list_free(&kc->contexts);
	free(kc->current);
	cJSON_Delete(kc->prefs);
	cJSON_Delete(kc->extensions);
	sl_free(&kc->files);
	free(kc->default_file);
	free(kc);
}

const char *
kubeconfig_current_context(const struct kubeconfig *kc)
{
	return kc->current != NULL ? kc->current : "";
}

int
kubeconfig_has_context(const struct kubeconfig *kc, const char *name)
{
	return list_find(&kc->contexts, name) != NULL;
}

int
kubeconfig_is_empty(const struct kubeconfig *kc)
{
	return kc->clusters.n == 0 && kc->users.n == 0 &&
	    kc->contexts.n == 0 && kc->current == NULL;
}

const struct strlist *
kubeconfig_files(const struct kubeconfig *kc)
{
	return &kc->files;
}

const char *
kubeconfig_default_file(const struct kubeconfig *kc)
{
	return kc->default_file;
}

/* ---- view ------------------------------------------------------------- */

/* Encode a decoded struct for output: Go order, non-omitempty zero values
 * added, secrets shortened unless raw. */
static cJSON *
encode_struct(const struct kc_schema *s, const cJSON *in, int raw)
{
	const struct kc_field	*f;
	const cJSON		*v, *it;
	cJSON			*out, *arr;

	out = cJSON_CreateObject();
	for (f = s->fields; f->name != NULL; f++) {
		v = in ? cJSON_GetObjectItemCaseSensitive(in, f->name) : NULL;
		if (v == NULL) {
			if (f->flags & KF_OMIT)
				continue;
			switch (f->type) {
			case KT_STR:
				cJSON_AddStringToObject(out, f->name, "");
				break;
			case KT_BOOL:
				cJSON_AddFalseToObject(out, f->name);
				break;
			case KT_STRUCT:
				cJSON_AddItemToObject(out, f->name,
				    encode_struct(f->sub, NULL, raw));
				break;
			default:
				cJSON_AddNullToObject(out, f->name);
				break;
			}
			continue;
		}
		if (!raw && f->type == KT_BYTES) {
			cJSON_AddStringToObject(out, f->name, "DATA+OMITTED");
			continue;
		}
		if (!raw && (f->flags & KF_REDACT)) {
			cJSON_AddStringToObject(out, f->name, "REDACTED");
			continue;
		}
		switch (f->type) {
		case KT_STRUCT:
			cJSON_AddItemToObject(out, f->name,
			    encode_struct(f->sub, v, raw));
			break;
		case KT_LIST:
			arr = cJSON_CreateArray();
			cJSON_ArrayForEach(it, v)
				cJSON_AddItemToArray(arr,
				    encode_struct(f->sub, it, raw));
			cJSON_AddItemToObject(out, f->name, arr);
			break;
		default:
			cJSON_AddItemToObject(out, f->name,
			    cJSON_Duplicate(v, 1));
			break;
		}
	}
	return out;
}

static cJSON *
encode_list(const struct kc_list *l, const char *inner,
    const struct kc_schema *sub, int raw)
{
	cJSON	*arr, *o;
	size_t	 i;

	if (l->n == 0)
		return cJSON_CreateNull();
	arr = cJSON_CreateArray();
	for (i = 0; i < l->n; i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", l->v[i].name);
		cJSON_AddItemToObject(o, inner,
		    encode_struct(sub, l->v[i].body, raw));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* FlattenContent: read a referenced file into its -data field. */
static int
flatten_field(cJSON *body, const char *pathkey, const char *datakey,
    const char *origin, struct err *e)
{
	const char	*p;
	char		*abs, *buf, *enc, *es;
	size_t		 len;
	int		 errnum = 0;

	if ((p = json_str(body, pathkey)) == NULL)
		return 0;
	if (json_str(body, datakey) != NULL)
		return err_set_raw(e, EXIT_ERR, "error: cannot have values "
		    "for both path and contents");
	abs = path_resolve(p, origin);
	if (read_whole(abs, &buf, &len, &errnum) == -1) {
		es = go_strerror(errnum);
		err_set_raw(e, EXIT_ERR, "error: open %s: %s", abs, es);
		free(es);
		free(abs);
		return -1;
	}
	free(abs);
	cJSON_DeleteItemFromObjectCaseSensitive(body, pathkey);
	if (len > 0) {
		enc = b64_encode(buf, len, B64_STD);
		cJSON_AddStringToObject(body, datakey, enc);
		xfree_secret(enc);
	}
	xfree_secret(buf);
	return 0;
}

/* Re-insert a key so that fields stay in schema order after flattening. */
static void
reorder(cJSON *body, const struct kc_schema *s)
{
	const struct kc_field	*f;
	cJSON			*v;

	for (f = s->fields; f->name != NULL; f++) {
		v = cJSON_DetachItemFromObjectCaseSensitive(body, f->name);
		if (v != NULL)
			cJSON_AddItemToObject(body, f->name, v);
	}
}

cJSON *
kubeconfig_view(const struct kubeconfig *kc, const char *context, int flags,
    struct err *e)
{
	struct kc_list	 clusters = { NULL, 0, 0 }, users = { NULL, 0, 0 };
	struct kc_list	 contexts = { NULL, 0, 0 };
	struct kc_entry	*ctx;
	const char	*cur;
	cJSON		*out = NULL, *prefs;
	size_t		 i;
	int		 raw = (flags & (KUBECONFIG_RAW | KUBECONFIG_FLATTEN)) != 0;

	cur = kc->current;
	if (flags & KUBECONFIG_MINIFY) {
		if (context != NULL && context[0] != '\0')
			cur = context;
		if (cur == NULL || cur[0] == '\0') {
			err_set_raw(e, EXIT_AUTH, "error: current-context "
			    "must exist in order to minify");
			return NULL;
		}
		if ((ctx = list_find(&kc->contexts, cur)) == NULL) {
			err_set_raw(e, EXIT_AUTH, "error: cannot locate "
			    "context %s", cur);
			return NULL;
		}
		list_add(&contexts, ctx->name, ctx->body, ctx->origin);
		if (list_copy_ref(&clusters, &kc->clusters, "cluster",
		    json_str(ctx->body, "cluster"), e) == -1 ||
		    list_copy_ref(&users, &kc->users, "user",
		    json_str(ctx->body, "user"), e) == -1)
			goto out;
	} else {
		list_copy_all(&clusters, &kc->clusters);
		list_copy_all(&users, &kc->users);
		list_copy_all(&contexts, &kc->contexts);
	}
	if (flags & KUBECONFIG_FLATTEN) {
		for (i = 0; i < users.n; i++) {
			if (flatten_field(users.v[i].body, "client-certificate",
			    "client-certificate-data", users.v[i].origin,
			    e) == -1 ||
			    flatten_field(users.v[i].body, "client-key",
			    "client-key-data", users.v[i].origin, e) == -1)
				goto out;
			reorder(users.v[i].body, &s_user);
		}
		for (i = 0; i < clusters.n; i++) {
			if (flatten_field(clusters.v[i].body,
			    "certificate-authority",
			    "certificate-authority-data", clusters.v[i].origin,
			    e) == -1)
				goto out;
			reorder(clusters.v[i].body, &s_cluster);
		}
	}
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "kind", "Config");
	cJSON_AddStringToObject(out, "apiVersion", "v1");
	prefs = encode_struct(&s_prefs, kc->prefs, raw);
	cJSON_AddItemToObject(out, "preferences", prefs);
	cJSON_AddItemToObject(out, "clusters",
	    encode_list(&clusters, "cluster", &s_cluster, raw));
	cJSON_AddItemToObject(out, "users",
	    encode_list(&users, "user", &s_user, raw));
	cJSON_AddItemToObject(out, "contexts",
	    encode_list(&contexts, "context", &s_context, raw));
	cJSON_AddStringToObject(out, "current-context", cur ? cur : "");
	if (kc->extensions != NULL)
		cJSON_AddItemToObject(out, "extensions",
		    cJSON_Duplicate(kc->extensions, 1));
out:
	list_free(&clusters);
	list_free(&users);
	list_free(&contexts);
	return out;
}

/* ---- use-context ------------------------------------------------------ */

static int
write_atomic(const char *path, const char *data, size_t len, struct err *e)
{
	struct stat	 st;
	char		*tmp, *dir, *es;
	mode_t		 mode = 0600;
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd;

	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	else {
		dir = path_dir_abs(path);
		if (stat(dir, &st) == -1 && mkdir(dir, 0755) == -1 &&
		    errno != EEXIST) {
			es = go_strerror(errno);
			err_set(e, EXIT_ERR, "creating %s: %s", dir, es);
			free(es);
			free(dir);
			return -1;
		}
		free(dir);
	}
	tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1)
		goto fail;
	if (fchmod(fd, mode) == -1)
		goto fail_fd;
	while (off < len) {
		n = write(fd, data + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail_fd;
		off += (size_t)n;
	}
	if (fsync(fd) == -1)
		goto fail_fd;
	if (close(fd) == -1) {
		fd = -1;
		goto fail_unlink;
	}
	if (rename(tmp, path) == -1)
		goto fail_unlink;
	free(tmp);
	return 0;
fail_fd:
	es = go_strerror(errno);
	close(fd);
	unlink(tmp);
	errno = 0;
	err_set(e, EXIT_ERR, "writing %s: %s", path, es);
	free(es);
	free(tmp);
	return -1;
fail_unlink:
	unlink(tmp);
fail:
	es = go_strerror(errno);
	err_set(e, EXIT_ERR, "writing %s: %s", path, es);
	free(es);
	free(tmp);
	return -1;
}

int
kubeconfig_use_context(const struct kubeconfig *kc, const char *name,
    struct err *e)
{
	struct kubeconfig	*one = NULL;
	struct kc_file		 f;
	const char		*dest;
	cJSON			*doc = NULL;
	char			*yaml = NULL;
	int			 rc, ret = -1;

	if (list_find(&kc->contexts, name) == NULL)
		return err_set_raw(e, EXIT_NOTFOUND, "error: no context "
		    "exists with the name: \"%s\"", name);
	if (kc->current != NULL && strcmp(kc->current, name) == 0)
		return 0;
	dest = kc->default_file;
	one = xcalloc(1, sizeof *one);
	rc = load_one(dest, &f, e);
	if (rc == -1)
		goto out;
	if (rc == 0) {
		merge_file(one, &f, dest);
		kc_file_free(&f);
	}
	kubeconfig_finish(one);
	free(one->current);
	one->current = xstrdup(name);
	if ((doc = kubeconfig_view(one, NULL, KUBECONFIG_RAW, e)) == NULL)
		goto out;
	yaml = yaml_emit(doc);
	if (write_atomic(dest, yaml, strlen(yaml), e) == -1)
		goto out;
	ret = 0;
out:
	if (yaml != NULL)
		xfree_secret(yaml);
	cJSON_Delete(doc);
	kubeconfig_free(one);
	return ret;
}

/* ---- resolution ------------------------------------------------------- */

static char *
dupnz(const char *s)
{
	return s != NULL && s[0] != '\0' ? xstrdup(s) : NULL;
}

static char *
b64_field(const cJSON *body, const char *key, size_t *len)
{
	const char	*s = json_str(body, key);
	size_t		 bad;

	*len = 0;
	if (s == NULL)
		return NULL;
	return b64_decode_std(s, strlen(s), len, &bad);
}

static void
add_open_error(struct strlist *errs, const char *what, const char *path,
    const char *name)
{
	char	*es;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		close(fd);
		return;
	}
	es = go_strerror(errno);
	sl_addf(errs, "unable to read %s %s for %s due to open %s: %s", what,
	    path, name, path, es);
	free(es);
}

static struct kube_exec *
exec_from(const cJSON *ex, const char *origin)
{
	struct kube_exec	*x;
	const cJSON		*it;
	const char		*cmd, *n, *v;

	x = xcalloc(1, sizeof *x);
	cmd = json_str(ex, "command");
	if (cmd != NULL && strchr(cmd, '/') != NULL)
		x->command = path_resolve(cmd, origin);
	else
		x->command = dupnz(cmd);
	cJSON_ArrayForEach(it, json_path(ex, "args"))
		sl_add(&x->args, cJSON_IsString(it) ? it->valuestring : "");
	cJSON_ArrayForEach(it, json_path(ex, "env")) {
		n = json_str(it, "name");
		v = json_str(it, "value");
		sl_addf(&x->env, "%s=%s", n ? n : "", v ? v : "");
	}
	x->api_version = dupnz(json_str(ex, "apiVersion"));
	x->install_hint = dupnz(json_str(ex, "installHint"));
	x->interactive_mode = dupnz(json_str(ex, "interactiveMode"));
	x->provide_cluster_info = json_bool(ex, "provideClusterInfo", 0);
	return x;
}

static void
exec_free(struct kube_exec *x)
{
	if (x == NULL)
		return;
	free(x->command);
	sl_free(&x->args);
	sl_free(&x->env);
	free(x->api_version);
	free(x->install_hint);
	free(x->interactive_mode);
	free(x->cluster_config);
	xfree_secret(x->token);
	xfree_secret(x->cert_pem);
	xfree_secret(x->key_pem);
	free(x);
}

/* validateAuthInfo from client-go's clientcmd/validation.go. */
static void
validate_user(struct strlist *errs, const char *name, const cJSON *u,
    const struct kubeconfig_resolved *r)
{
	const cJSON	*ex, *it;
	const char	*mode;
	int		 basic, token;

	token = json_str(u, "token") != NULL || r->token != NULL;
	basic = json_str(u, "username") != NULL ||
	    json_str(u, "password") != NULL;
	if (json_str(u, "client-certificate") != NULL ||
	    json_str(u, "client-certificate-data") != NULL) {
		if (json_str(u, "client-certificate") != NULL &&
		    json_str(u, "client-certificate-data") != NULL)
			sl_addf(errs, "client-cert-data and client-cert are "
			    "both specified for %s. client-cert-data will "
			    "override.", name);
		if (json_str(u, "client-key") != NULL &&
		    json_str(u, "client-key-data") != NULL)
			sl_addf(errs, "client-key-data and client-key are both "
			    "specified for %s; client-key-data will override",
			    name);
		if (json_str(u, "client-key") == NULL &&
		    json_str(u, "client-key-data") == NULL)
			sl_addf(errs, "client-key-data or client-key must be "
			    "specified for %s to use the clientCert "
			    "authentication method.", name);
		if (r->cert_file != NULL)
			add_open_error(errs, "client-cert", r->cert_file, name);
		if (r->key_file != NULL)
			add_open_error(errs, "client-key", r->key_file, name);
	}
	if ((ex = json_path(u, "exec")) != NULL) {
		if (json_path(u, "auth-provider") != NULL)
			sl_addf(errs, "authProvider cannot be provided in "
			    "combination with an exec plugin for %s", name);
		if (json_str(ex, "command") == NULL)
			sl_addf(errs, "command must be specified for %s to use "
			    "exec authentication plugin", name);
		if (json_str(ex, "apiVersion") == NULL)
			sl_addf(errs, "apiVersion must be specified for %s to "
			    "use exec authentication plugin", name);
		cJSON_ArrayForEach(it, json_path(ex, "env"))
			if (json_str(it, "name") == NULL)
				sl_addf(errs, "env variable name must be "
				    "specified for %s to use exec "
				    "authentication plugin", name);
		mode = json_str(ex, "interactiveMode");
		if (mode == NULL)
			sl_addf(errs, "interactiveMode must be specified for "
			    "%s to use exec authentication plugin", name);
		else if (strcmp(mode, "Never") != 0 &&
		    strcmp(mode, "IfAvailable") != 0 &&
		    strcmp(mode, "Always") != 0)
			sl_addf(errs, "invalid interactiveMode for %s: \"%s\"",
			    name, mode);
	}
	if (token && basic)
		sl_addf(errs, "more than one authentication method found for "
		    "%s; found [token basicAuth], only one is allowed", name);
}

/* validateClusterInfo; returns 1 when the cluster is entirely empty. */
static int
validate_cluster(struct strlist *errs, const char *name,
    const struct kubeconfig_resolved *r, int has_ca_path, int has_ca_data)
{
	if (r->server == NULL && !r->insecure && !has_ca_path &&
	    !has_ca_data && r->tls_server_name == NULL &&
	    r->proxy_url == NULL && !r->disable_compression &&
	    (name == NULL || name[0] == '\0'))
		return 1;
	if (r->server == NULL) {
		if (name == NULL || name[0] == '\0')
			sl_add(errs, "default cluster has no server defined");
		else
			sl_addf(errs, "no server found for cluster \"%s\"",
			    name);
	}
	if (has_ca_path && has_ca_data)
		sl_addf(errs, "certificate-authority-data and "
		    "certificate-authority are both specified for %s. "
		    "certificate-authority-data will override.", name);
	if (has_ca_path && r->ca_file != NULL)
		add_open_error(errs, "certificate-authority", r->ca_file, name);
	return 0;
}

static void
set_config_errors(struct err *e, const struct strlist *errs)
{
	struct strbuf	 sb = STRBUF_INIT;
	size_t		 i;

	if (errs->n == 1) {
		err_set_raw(e, EXIT_AUTH, "error: %s", errs->v[0]);
		return;
	}
	sb_init(&sb);
	sb_adds(&sb, "Error in configuration: ");
	for (i = 0; i < errs->n; i++)
		sb_addf(&sb, "\n* %s", errs->v[i]);
	err_set_raw(e, EXIT_AUTH, "%s", sb.buf);
	sb_free(&sb);
}

#define KC_EMPTY_CONFIG "invalid configuration: no configuration has been " \
	"provided, try setting KUBERNETES_MASTER environment variable"

struct kubeconfig_resolved *
kubeconfig_resolve(const struct kubeconfig *kc, const struct kube_overrides *ov,
    struct err *e)
{
	static const struct kube_overrides none;
	struct kubeconfig_resolved	*r;
	struct strlist			 errs = STRLIST_INIT;
	const struct kc_entry		*ctx = NULL, *cl, *us;
	const cJSON			*c, *u, *it;
	const char			*cname, *ns, *s;
	int				 has_ca_path, has_ca_data, empty;

	if (ov == NULL)
		ov = &none;
	r = xcalloc(1, sizeof *r);
	r->stdin_in_use = ov->stdin_in_use;
	cname = ov->context != NULL && ov->context[0] != '\0' ? ov->context :
	    kubeconfig_current_context(kc);
	r->context = xstrdup(cname);
	if (cname[0] != '\0' && (ctx = list_find(&kc->contexts, cname)) == NULL) {
		err_set_raw(e, EXIT_AUTH, "Error in configuration: context was "
		    "not found for specified context: %s", cname);
		kubeconfig_resolved_free(r);
		return NULL;
	}
	s = ov->cluster != NULL && ov->cluster[0] != '\0' ? ov->cluster :
	    ctx ? json_str(ctx->body, "cluster") : NULL;
	r->cluster_name = xstrdup(s ? s : "");
	s = ov->user != NULL && ov->user[0] != '\0' ? ov->user :
	    ctx ? json_str(ctx->body, "user") : NULL;
	r->user_name = xstrdup(s ? s : "");
	cl = list_find(&kc->clusters, r->cluster_name);
	us = list_find(&kc->users, r->user_name);
	c = cl ? cl->body : NULL;
	u = us ? us->body : NULL;

	/* Cluster fields, with the override rules of getCluster(). */
	r->server = dupnz(ov->server ? ov->server : json_str(c, "server"));
	r->insecure = json_bool(c, "insecure-skip-tls-verify", 0);
	r->ca_file = path_resolve(json_str(c, "certificate-authority"),
	    cl ? cl->origin : NULL);
	r->ca_pem = b64_field(c, "certificate-authority-data", &r->ca_len);
	if (ov->insecure || (ov->ca_file != NULL && ov->ca_file[0] != '\0')) {
		r->insecure = ov->insecure;
		free(r->ca_file);
		xfree_secret(r->ca_pem);
		r->ca_pem = NULL;
		r->ca_len = 0;
		r->ca_file = ov->ca_file && ov->ca_file[0] ?
		    path_abs(ov->ca_file) : NULL;
	}
	r->tls_server_name = dupnz(json_str(c, "tls-server-name"));
	if ((ov->tls_server_name != NULL && ov->tls_server_name[0] != '\0') ||
	    (ov->server != NULL && ov->server[0] != '\0')) {
		free(r->tls_server_name);
		r->tls_server_name = dupnz(ov->tls_server_name);
	}
	r->proxy_url = dupnz(json_str(c, "proxy-url"));
	r->disable_compression = json_bool(c, "disable-compression", 0);

	/* Namespace. */
	ns = ov->namespace != NULL && ov->namespace[0] != '\0' ? ov->namespace :
	    ctx ? json_str(ctx->body, "namespace") : NULL;
	r->namespace_explicit = ns != NULL;
	r->namespace = xstrdup(ns ? ns : "default");

	/* User fields. */
	r->token = dupnz(ov->token ? ov->token : json_str(u, "token"));
	r->token_file = path_resolve(json_str(u, "tokenFile"),
	    us ? us->origin : NULL);
	r->cert_file = path_resolve(json_str(u, "client-certificate"),
	    us ? us->origin : NULL);
	r->cert_pem = b64_field(u, "client-certificate-data", &r->cert_len);
	r->key_file = path_resolve(json_str(u, "client-key"),
	    us ? us->origin : NULL);
	r->key_pem = b64_field(u, "client-key-data", &r->key_len);
	r->username = dupnz(json_str(u, "username"));
	r->password = dupnz(json_str(u, "password"));
	r->as_user = dupnz(json_str(u, "as"));
	r->as_uid = dupnz(json_str(u, "as-uid"));
	cJSON_ArrayForEach(it, json_path(u, "as-groups"))
		if (cJSON_IsString(it))
			sl_add(&r->as_groups, it->valuestring);
	if (json_path(u, "exec") != NULL) {
		r->exec = exec_from(json_path(u, "exec"), us->origin);
		cJSON_ArrayForEach(it, json_path(c, "extensions"))
			if (strcmp(json_str(it, "name") ? json_str(it, "name") :
			    "", KC_EXEC_EXT) == 0 &&
			    json_path(it, "extension") != NULL)
				r->exec->cluster_config = json_print(
				    json_path(it, "extension"), 0);
	}

	/* ConfirmUsable. */
	validate_user(&errs, r->user_name, u, r);
	has_ca_path = r->ca_file != NULL;
	has_ca_data = r->ca_pem != NULL;
	empty = validate_cluster(&errs, r->cluster_name, r, has_ca_path,
	    has_ca_data);
	if (empty && errs.n == 0) {
		err_set_raw(e, EXIT_AUTH, "error: " KC_EMPTY_CONFIG);
		goto fail;
	}
	if (empty)
		sl_add(&errs, "cluster has no server defined");
	if (errs.n > 0) {
		set_config_errors(e, &errs);
		goto fail;
	}
	if (r->ca_pem != NULL) {
		free(r->ca_file);
		r->ca_file = NULL;
	}
	sl_free(&errs);
	return r;
fail:
	sl_free(&errs);
	kubeconfig_resolved_free(r);
	return NULL;
}

void
kubeconfig_resolved_free(struct kubeconfig_resolved *r)
{
	if (r == NULL)
		return;
	free(r->context);
	free(r->cluster_name);
	free(r->user_name);
	free(r->server);
	free(r->namespace);
	free(r->ca_file);
	free(r->ca_pem);
	free(r->tls_server_name);
	free(r->proxy_url);
	xfree_secret(r->token);
	free(r->token_file);
	free(r->cert_file);
	free(r->cert_pem);
	free(r->key_file);
	xfree_secret(r->key_pem);
	free(r->username);
	xfree_secret(r->password);
	free(r->as_user);
	free(r->as_uid);
	sl_free(&r->as_groups);
	exec_free(r->exec);
	xfree_secret(r->token_buf);
	free(r);
}

/* ---- in-cluster -------------------------------------------------------- */

static const char *
sa_dir(void)
{
	const char	*d = getenv("MAASCTL_SERVICEACCOUNT_DIR");

	return d != NULL && d[0] != '\0' ? d : KUBECONFIG_SA_DIR;
}

static int
in_cluster_possible(void)
{
	const char	*h = getenv("KUBERNETES_SERVICE_HOST");
	const char	*p = getenv("KUBERNETES_SERVICE_PORT");
	struct stat	 st;
	char		*tok;
	int		 ok;

	if (h == NULL || h[0] == '\0' || p == NULL || p[0] == '\0')
		return 0;
	tok = xasprintf("%s/token", sa_dir());
	ok = stat(tok, &st) == 0;
	free(tok);
	return ok;
}

static char *
trim_dup(const char *s, size_t len)
{
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	return xstrndup(s, len);
}

struct kubeconfig_resolved *
kubeconfig_in_cluster(const struct kube_overrides *ov, struct err *e)
{
	static const struct kube_overrides none;
	struct kubeconfig_resolved	*r;
	const char			*h, *p, *dir, *pns;
	char				*path, *buf, *es;
	size_t				 len;
	int				 errnum = 0;

	if (ov == NULL)
		ov = &none;
	h = getenv("KUBERNETES_SERVICE_HOST");
	p = getenv("KUBERNETES_SERVICE_PORT");
	if (h == NULL || h[0] == '\0' || p == NULL || p[0] == '\0') {
		err_set(e, EXIT_AUTH, "unable to load in-cluster configuration,"
		    " KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must "
		    "be defined");
		return NULL;
	}
	dir = sa_dir();
	r = xcalloc(1, sizeof *r);
	r->stdin_in_use = ov->stdin_in_use;
	r->in_cluster = 1;
	r->context = xstrdup("");
	r->cluster_name = xstrdup("");
	r->user_name = xstrdup("");
	r->token_file = xasprintf("%s/token", dir);
	if (read_whole(r->token_file, &buf, &len, &errnum) == -1) {
		es = go_strerror(errnum);
		err_set(e, EXIT_AUTH, "in-cluster configuration: open %s: %s",
		    r->token_file, es);
		free(es);
		kubeconfig_resolved_free(r);
		return NULL;
	}
	r->token_buf = trim_dup(buf, len);
	r->token_read = time(NULL);
	xfree_secret(buf);
	if (strchr(h, ':') != NULL)
		r->server = xasprintf("https://[%s]:%s", h, p);
	else
		r->server = xasprintf("https://%s:%s", h, p);
	path = xasprintf("%s/ca.crt", dir);
	if (access(path, R_OK) == 0)
		r->ca_file = path;
	else
		free(path);
	if (ov->namespace != NULL && ov->namespace[0] != '\0') {
		r->namespace = xstrdup(ov->namespace);
		r->namespace_explicit = 1;
	} else if ((pns = getenv("POD_NAMESPACE")) != NULL && pns[0] != '\0') {
		r->namespace = xstrdup(pns);
		r->namespace_explicit = 1;
	} else {
		path = xasprintf("%s/namespace", dir);
		if (read_whole(path, &buf, &len, &errnum) == 0) {
			r->namespace = trim_dup(buf, len);
			free(buf);
			if (r->namespace[0] == '\0') {
				free(r->namespace);
				r->namespace = NULL;
			}
		}
		free(path);
		if (r->namespace == NULL)
			r->namespace = xstrdup("default");
	}
	/* inClusterClientConfig.ClientConfig applies these overrides. */
	if (ov->server != NULL && ov->server[0] != '\0') {
		free(r->server);
		r->server = xstrdup(ov->server);
	}
	if (ov->token != NULL && ov->token[0] != '\0') {
		r->token = xstrdup(ov->token);
		free(r->token_file);
		r->token_file = NULL;
	}
	if (ov->ca_file != NULL && ov->ca_file[0] != '\0') {
		free(r->ca_file);
		r->ca_file = path_abs(ov->ca_file);
	}
	r->insecure = ov->insecure;
	if (ov->tls_server_name != NULL && ov->tls_server_name[0] != '\0')
		r->tls_server_name = xstrdup(ov->tls_server_name);
	return r;
}

struct kubeconfig_resolved *
kubeconfig_client(const char *explicit_path, const struct kube_overrides *ov,
    struct err *e)
{
	struct kubeconfig		*kc;
	struct kubeconfig_resolved	*r;
	struct err			 e2 = ERR_INIT;
	int				 empty_err;

	if ((kc = kubeconfig_load(explicit_path, e)) == NULL)
		return NULL;
	r = kubeconfig_resolve(kc, ov, &e2);
	kubeconfig_free(kc);
	if (r != NULL)
		return r;
	empty_err = e2.msg != NULL && strstr(e2.msg, KC_EMPTY_CONFIG) != NULL;
	if (empty_err && in_cluster_possible()) {
		err_clear(&e2);
		return kubeconfig_in_cluster(ov, e);
	}
	err_move(e, &e2);
	return NULL;
}

/* ---- exec credential plugins ----------------------------------------- */

char *
kubeconfig_exec_info(const struct kubeconfig_resolved *r, int interactive)
{
	cJSON		*o, *spec, *cl, *cfg;
	char		*out, *ca = NULL, *enc;
	size_t		 calen = 0;
	int		 errnum;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kind", "ExecCredential");
	cJSON_AddStringToObject(o, "apiVersion", r->exec && r->exec->api_version ?
	    r->exec->api_version : "client.authentication.k8s.io/v1");
	spec = cJSON_AddObjectToObject(o, "spec");
	if (r->exec != NULL && r->exec->provide_cluster_info) {
		cl = cJSON_AddObjectToObject(spec, "cluster");
		cJSON_AddStringToObject(cl, "server", r->server ? r->server : "");
		if (r->tls_server_name != NULL)
			cJSON_AddStringToObject(cl, "tls-server-name",
			    r->tls_server_name);
		if (r->insecure)
			cJSON_AddTrueToObject(cl, "insecure-skip-tls-verify");
		if (r->ca_pem != NULL)
			enc = b64_encode(r->ca_pem, r->ca_len, B64_STD);
		else if (r->ca_file != NULL &&
		    read_whole(r->ca_file, &ca, &calen, &errnum) == 0) {
			enc = calen ? b64_encode(ca, calen, B64_STD) :
			    NULL;
			free(ca);
		} else
			enc = NULL;
		if (enc != NULL) {
			cJSON_AddStringToObject(cl,
			    "certificate-authority-data", enc);
			free(enc);
		}
		if (r->proxy_url != NULL)
			cJSON_AddStringToObject(cl, "proxy-url", r->proxy_url);
		if (r->disable_compression)
			cJSON_AddTrueToObject(cl, "disable-compression");
		if (r->exec->cluster_config != NULL &&
		    (cfg = cJSON_Parse(r->exec->cluster_config)) != NULL)
			cJSON_AddItemToObject(cl, "config", cfg);
	}
	cJSON_AddBoolToObject(spec, "interactive", interactive);
	out = json_print(o, 0);
	cJSON_Delete(o);
	return out;
}

static void
exec_drop(struct kube_exec *x)
{
	xfree_secret(x->token);
	xfree_secret(x->cert_pem);
	xfree_secret(x->key_pem);
	x->token = x->cert_pem = x->key_pem = NULL;
	x->expiry = 0;
	x->cached = 0;
}

int
kubeconfig_exec_parse(struct kube_exec *x, const char *user, const char *buf,
    size_t len, struct err *e)
{
	struct err	 pe = ERR_INIT;
	cJSON		*doc;
	const cJSON	*st;
	const char	*ver, *kind, *tok, *cert, *key, *exp;
	double		 expiry = 0;
	int		 rc = -1;

	(void)user;
	if ((doc = json_parse(buf, len, &pe)) == NULL) {
		err_set(e, EXIT_AUTH, "getting credentials: decoding stdout: %s",
		    pe.msg ? pe.msg : "invalid JSON");
		err_clear(&pe);
		return -1;
	}
	ver = json_str(doc, "apiVersion");
	kind = json_str(doc, "kind");
	if (!cJSON_IsObject(doc) || kind == NULL ||
	    strcmp(kind, "ExecCredential") != 0) {
		err_set(e, EXIT_AUTH, "getting credentials: decoding stdout: "
		    "no kind \"%s\" is registered for version \"%s\"",
		    kind ? kind : "", ver ? ver : "");
		goto out;
	}
	if (ver == NULL || x->api_version == NULL ||
	    strcmp(ver, x->api_version) != 0) {
		err_set(e, EXIT_AUTH, "getting credentials: exec plugin is "
		    "configured to use API version %s, plugin returned "
		    "version %s", x->api_version ? x->api_version : "",
		    ver ? ver : "");
		goto out;
	}
	st = json_path(doc, "status");
	if (!cJSON_IsObject(st)) {
		err_set(e, EXIT_AUTH, "getting credentials: exec plugin didn't "
		    "return a status field");
		goto out;
	}
	tok = json_str(st, "token");
	cert = json_str(st, "clientCertificateData");
	key = json_str(st, "clientKeyData");
	if (tok != NULL && tok[0] == '\0')
		tok = NULL;
	if (cert != NULL && cert[0] == '\0')
		cert = NULL;
	if (key != NULL && key[0] == '\0')
		key = NULL;
	if (tok == NULL && cert == NULL && key == NULL) {
		err_set(e, EXIT_AUTH, "getting credentials: exec plugin didn't "
		    "return a token or cert/key pair");
		goto out;
	}
	if ((cert == NULL) != (key == NULL)) {
		err_set(e, EXIT_AUTH, "getting credentials: exec plugin "
		    "returned only certificate or key, not both");
		goto out;
	}
	if ((exp = json_str(st, "expirationTimestamp")) != NULL &&
	    exp[0] != '\0' && rfc3339_parse(exp, &expiry) == -1) {
		err_set(e, EXIT_AUTH, "getting credentials: decoding stdout: "
		    "parsing time \"%s\" as RFC 3339", exp);
		goto out;
	}
	exec_drop(x);
	x->token = tok ? xstrdup(tok) : NULL;
	x->cert_pem = cert ? xstrdup(cert) : NULL;
	x->key_pem = key ? xstrdup(key) : NULL;
	x->expiry = (time_t)expiry;
	x->cached = 1;
	rc = 0;
out:
	cJSON_Delete(doc);
	return rc;
}

/* exec.LookPath: the executable for a bare command name, or NULL. */
static char *
look_path(const char *cmd)
{
	const char	*path = getenv("PATH"), *s, *p;
	char		*cand, *dir;
	struct stat	 st;

	if (path == NULL)
		return NULL;
	for (s = path;; s = p + 1) {
		for (p = s; *p != '\0' && *p != ':'; p++)
			;
		dir = p == s ? xstrdup(".") : xstrndup(s, (size_t)(p - s));
		cand = xasprintf("%s/%s", dir, cmd);
		free(dir);
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (*p == '\0')
			return NULL;
	}
}

static int
exec_interactive(const struct kubeconfig_resolved *r, int *interactive,
    struct err *e)
{
	const char	*mode = r->exec->interactive_mode;
	int		 tty = isatty(STDIN_FILENO);

	*interactive = 0;
	if (mode == NULL || strcmp(mode, "Never") == 0)
		return 0;
	if (strcmp(mode, "IfAvailable") == 0) {
		*interactive = tty && !r->stdin_in_use;
		return 0;
	}
	if (!tty)
		return err_set(e, EXIT_AUTH, "getting credentials: exec plugin "
		    "cannot support interactive mode: standard input is not a "
		    "terminal");
	if (r->stdin_in_use)
		return err_set(e, EXIT_AUTH, "getting credentials: exec plugin "
		    "cannot support interactive mode: standard input is used "
		    "by the command");
	*interactive = 1;
	return 0;
}

/* Run the plugin, capture stdout, parse it into the cache. */
static int
exec_run(struct kubeconfig_resolved *r, struct err *e)
{
	struct kube_exec	*x = r->exec;
	struct strbuf		 out = STRBUF_INIT;
	struct strlist		 envp = STRLIST_INIT, argv = STRLIST_INIT;
	char			*path = NULL, *info, *es, buf[4096];
	char			**ep;
	int			 outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int			 interactive, status, child_errno, devnull, rc = -1;
	ssize_t			 n;
	size_t			 i;
	pid_t			 pid;

	if (exec_interactive(r, &interactive, e) == -1)
		return -1;
	if (strchr(x->command, '/') != NULL)
		path = xstrdup(x->command);
	else if ((path = look_path(x->command)) == NULL) {
		err_set(e, EXIT_AUTH, "getting credentials: exec: executable "
		    "%s not found", x->command);
		if (x->install_hint != NULL)
			err_hint(e, "%s", x->install_hint);
		return -1;
	}
	for (ep = environ; *ep != NULL; ep++)
		if (strncmp(*ep, "KUBERNETES_EXEC_INFO=", 21) != 0)
			sl_add(&envp, *ep);
	for (i = 0; i < x->env.n; i++)
		sl_add(&envp, x->env.v[i]);
	info = kubeconfig_exec_info(r, interactive);
	sl_addf(&envp, "KUBERNETES_EXEC_INFO=%s", info);
	free(info);
	sl_add(&argv, x->command);
	for (i = 0; i < x->args.n; i++)
		sl_add(&argv, x->args.v[i]);

	if (pipe2(outp, O_CLOEXEC) == -1 || pipe2(errp, O_CLOEXEC) == -1) {
		es = go_strerror(errno);
		err_set(e, EXIT_AUTH, "getting credentials: exec: pipe: %s", es);
		free(es);
		goto out;
	}
	fflush(NULL);
	if ((pid = fork()) == -1) {
		es = go_strerror(errno);
		err_set(e, EXIT_AUTH, "getting credentials: exec: fork: %s", es);
		free(es);
		goto out;
	}
	if (pid == 0) {
		dup2(outp[1], STDOUT_FILENO);
		if (!interactive) {
			devnull = open("/dev/null", O_RDONLY);
			if (devnull != -1)
				dup2(devnull, STDIN_FILENO);
		}
		execve(path, argv.v, envp.v);
		child_errno = errno;
		if (write(errp[1], &child_errno, sizeof child_errno) < 0)
			_exit(127);
		_exit(127);
	}
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	sb_init(&out);
	for (;;) {
		n = read(outp[0], buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out.len + (size_t)n <= KC_MAX_EXEC_OUT)
			sb_add(&out, buf, (size_t)n);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	x->runs++;
	if (read(errp[0], &child_errno, sizeof child_errno) ==
	    (ssize_t)sizeof child_errno) {
		es = go_strerror(child_errno);
		err_set(e, EXIT_AUTH, "getting credentials: exec: fork/exec "
		    "%s: %s", path, es);
		free(es);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		err_set(e, EXIT_AUTH, "getting credentials: exec: executable %s "
		    "failed with exit code %d", x->command,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		goto out;
	}
	rc = kubeconfig_exec_parse(x, r->user_name, out.buf, out.len, e);
out:
	for (i = 0; i < 2; i++) {
		if (outp[i] != -1)
			close(outp[i]);
		if (errp[i] != -1)
			close(errp[i]);
	}
	sb_free_secret(&out);
	sl_free(&envp);
	sl_free(&argv);
	free(path);
	return rc;
}

/* Re-read a token file when its copy is older than a minute. */
static int
token_file_refresh(struct kubeconfig_resolved *r, struct err *e)
{
	char	*buf, *es;
	size_t	 len;
	time_t	 now = time(NULL);
	int	 errnum = 0;

	if (r->token_buf != NULL && r->token_read != 0 &&
	    now - r->token_read < KC_TOKEN_FILE_TTL)
		return 0;
	if (read_whole(r->token_file, &buf, &len, &errnum) == -1) {
		if (r->token_buf != NULL)
			return 0;	/* keep the cached token, as client-go */
		es = go_strerror(errnum);
		err_set(e, EXIT_AUTH, "reading token file %s: %s",
		    r->token_file, es);
		free(es);
		return -1;
	}
	xfree_secret(r->token_buf);
	r->token_buf = trim_dup(buf, len);
	xfree_secret(buf);
	r->token_read = now;
	return 0;
}

int
kubeconfig_credentials(struct kubeconfig_resolved *r, struct kube_creds *c,
    struct err *e)
{
	struct kube_exec	*x = r->exec;

	memset(c, 0, sizeof *c);
	if (r->cert_pem != NULL) {
		c->cert_pem = r->cert_pem;
		c->cert_len = r->cert_len;
	}
	if (r->key_pem != NULL) {
		c->key_pem = r->key_pem;
		c->key_len = r->key_len;
	}
	c->username = r->username;
	c->password = r->password;
	if (r->token != NULL) {
		c->token = r->token;
		return 0;
	}
	if (r->token_file != NULL) {
		if (token_file_refresh(r, e) == -1)
			return -1;
		c->token = r->token_buf;
		return 0;
	}
	if (x == NULL)
		return 0;
	if (!x->cached || (x->expiry != 0 && time(NULL) >= x->expiry)) {
		exec_drop(x);
		if (exec_run(r, e) == -1)
			return -1;
	}
	if (x->token != NULL)
		c->token = x->token;
	if (x->cert_pem != NULL) {
		c->cert_pem = x->cert_pem;
		c->cert_len = strlen(x->cert_pem);
		c->key_pem = x->key_pem;
		c->key_len = strlen(x->key_pem);
	}
	return 0;
}

int
kubeconfig_unauthorized(struct kubeconfig_resolved *r)
{
	if (r->token != NULL)
		return 0;
	if (r->token_file != NULL) {
		r->token_read = 0;	/* re-read before the next request */
		return 0;
	}
	if (r->exec != NULL && r->exec->cached) {
		exec_drop(r->exec);
		return 1;
	}
	return 0;
}
