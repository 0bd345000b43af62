/*
 * config.h: maasctl's own settings file and the secret files beside it.
 *
 * Where: $MAASCTL_CONFIG if set, else $XDG_CONFIG_HOME/maasctl/config.yaml
 * (when XDG_CONFIG_HOME is set and absolute), else
 * $HOME/.config/maasctl/config.yaml.  A missing file is an empty config.
 *
 * Format (YAML, written back with sorted keys as kubectl writes YAML):
 *
 *	current-profile: sandbox
 *	profiles:
 *	  sandbox:
 *	    maas-url: https://127.0.0.1:8443     # maas-api / gateway base URL
 *	    context: maasctl-sandbox             # kubeconfig context to use
 *	    ca-file: /path/to/ca.crt             # CA bundle for maas-url
 *	    insecure: false                      # skip TLS verification
 *	    default-model: granite-3b            # model when none is given
 *	    api-key-file: /path/to/sandbox.key   # file holding the API key
 *	    token-file: /path/to/sandbox.token   # bearer token (maasctl login)
 *	    namespace: models-as-a-service       # default namespace
 *
 * All profile fields are optional strings except `insecure` (a boolean).
 * Profile names are [A-Za-z0-9._-]+.  The API key itself never goes into
 * config.yaml: it lives in the file named by api-key-file, written 0600
 * with config_write_secret() (by default keys/<profile>.key beside the
 * config file, see config_key_path()).  Unknown top-level keys are kept
 * across load/save; unknown profile fields are an error.
 *
 * The profile in use: --profile, else $MAASCTL_PROFILE, else
 * current-profile (config_select()).  Saving writes a temporary file in
 * the same directory, fsyncs it and renames it over config.yaml (mode
 * 0600, directory created 0700).
 */
#ifndef MAAS_CONFIG_H
#define MAAS_CONFIG_H

#include "err.h"
#include "xalloc.h"

/* A loaded config file (opaque). */
struct config;

/* The config file path as described above; NULL (error set) if neither
 * MAASCTL_CONFIG, XDG_CONFIG_HOME nor HOME gives one.  Caller frees. */
char		*config_path(struct err *);
/* Load path (NULL: config_path()); a missing file gives an empty config,
 * a broken one an error naming the path and line. */
struct config	*config_load(const char *path, struct err *);
void		 config_free(struct config *);
/* The file this config loads from and saves to. */
const char	*config_file(const struct config *);
/* Write the config back atomically (mode 0600). */
int		 config_save(const struct config *, struct err *);

/* current-profile, or NULL when unset. */
const char	*config_current(const struct config *);
/* Set current-profile to an existing profile (NULL unsets it). */
int		 config_set_current(struct config *, const char *name,
		    struct err *);
/* The profile to use: flag (--profile) if non-NULL, else $MAASCTL_PROFILE
 * if set and non-empty, else current-profile; NULL if none.  *from (may be
 * NULL) says where it came from: "--profile", "MAASCTL_PROFILE" or
 * "current-profile". */
const char	*config_select(const struct config *, const char *flag,
		    const char **from);
/* config_select() that requires the profile to exist; NULL with an error
 * naming the profile, where it came from and the config file otherwise. */
const char	*config_resolve(const struct config *, const char *flag,
		    struct err *);

/* Whether a profile of that name exists. */
int		 config_has_profile(const struct config *, const char *name);
/* Append the profile names, sorted, to out; returns how many. */
size_t		 config_profiles(const struct config *, struct strlist *out);
/* Create an empty profile (no-op if it exists); -1 on a bad name. */
int		 config_add_profile(struct config *, const char *name,
		    struct err *);
/* Delete a profile (clearing current-profile if it named it). */
int		 config_delete_profile(struct config *, const char *name,
		    struct err *);
/* Whether field is one of the profile fields listed above. */
int		 config_field_valid(const char *field);

/* A string field of a profile, or NULL when unset ("insecure" reads as
 * "true"/"false").  The pointer is valid until the field changes. */
const char	*config_get(const struct config *, const char *profile,
		    const char *field);
/* The insecure field (or any boolean field) of a profile, or def. */
int		 config_get_bool(const struct config *, const char *profile,
		    const char *field, int def);
/* Set a profile field, creating the profile; value NULL removes the field.
 * "insecure" takes true/false (also yes/no, 1/0). */
int		 config_set(struct config *, const char *profile,
		    const char *field, const char *value, struct err *);

/* Default file for a profile's API key: keys/<profile>.key in the config
 * file's directory (maasctl login keeps the bearer token beside it, in
 * keys/<profile>.token).  Caller frees. */
char		*config_key_path(const struct config *, const char *profile);
/* Write data to path atomically with mode 0600 (parent directories made
 * 0700); the data never appears in errors. */
int		 config_write_secret(const char *path, const char *data,
		    struct err *);
/* Read a secret file (trailing newlines removed) into *out (wipe with
 * xfree_secret); refuses files readable by group or others. */
int		 config_read_secret(const char *path, char **out,
		    struct err *);

#endif
