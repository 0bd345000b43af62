/*
 * login.h: who the caller is, shared by login/whoami (login.c) and
 * `key revoke --all` (key.c).
 */
#ifndef MAAS_LOGIN_H
#define MAAS_LOGIN_H

#include "cmd.h"
#include "target.h"

/* The user name (and groups, when groups is not NULL) that t's bearer
 * token stands for, from a SelfSubjectReview on the Kubernetes API of the
 * kubeconfig (what `oc whoami` asks); without a token, the kubeconfig's
 * own user.  *user is allocated. */
int	 maas_whoami(struct ctx *, const struct target *t, char **user,
	    struct strlist *groups, struct err *);

#endif
