/*
 * maasapi.h: the sandbox's maas-api (API keys), reached through the
 * gateway (gateway.c), which authenticates the caller first.
 */
#ifndef MAAS_SBX_MAASAPI_H
#define MAAS_SBX_MAASAPI_H

#include "apiserver.h"

/* Who calls maas-api: what the gateway would inject as X-MaaS-Username
 * and X-MaaS-Group (groups already start with system:authenticated). */
struct maas_caller {
	const char		*user;
	const struct strlist	*groups;
	int			 admin;		/* may manage every key */
};

/* Open the key table (in the state dir's SQLite file); -1 on error. */
int	 maasapi_init(const struct sbx_config *, struct err *);
void	 maasapi_shutdown(void);
/* Answer one maas-api request for path (maas-api's own path, after the
 * gateway's /maas-api rewrite); caller is NULL only for /health. */
void	 maasapi_handle(struct sbx_req *, const char *path,
	    const struct maas_caller *);
/* Validate a raw sk-oai- key as /internal/v1/api-keys/validate does:
 * NULL when valid (with the owner and the groups stored at mint added to
 * *user and groups, and the bound subscription's name to *subscription
 * when that is not NULL; caller frees), else the reason ("invalid key
 * format", "key not found", "key revoked or expired", "key has no
 * subscription bound"). */
const char *maasapi_key_check(const char *raw, char **user,
	    struct strlist *groups, char **subscription);

#endif
