/*
 * target.h: where OpenAI-compatible requests go and with which key: the
 * MaaS gateway (--maas-url, MAAS_URL, the profile) or any endpoint
 * (--endpoint, OPENAI_BASE_URL), shared by chat, repl, models and bench.
 */
#ifndef MAAS_TARGET_H
#define MAAS_TARGET_H

#include "cmd.h"
#include "http.h"

struct target {
	char			*base;		/* OpenAI base URL, ends in /v1 */
	char			*key;		/* API key or NULL (secret) */
	int			 maas;		/* the MaaS gateway */
	int			 api;		/* maas-api: key is the user's
						 * bearer token */
	struct http_client	 http;		/* TLS, timeouts, retries */
	char			*ca_file;	/* the profile's CA file (owned) */
};

/* Resolve the target from flags, environment and profile. */
int	 target_resolve(struct ctx *, const char *endpoint, struct target *,
	    struct err *);
/* maas-api through the gateway: base <MAAS_URL>/maas-api, the bearer is
 * the user's token (--token @FILE|-|env:NAME, else $MAAS_TOKEN, else the
 * profile's token-file written by `maasctl login`). */
int	 target_resolve_maasapi(struct ctx *, struct target *, struct err *);
void	 target_free(struct target *);
/* Headers for a JSON request: a NULL-terminated array; the caller frees
 * it with target_headers_free (the Authorization value is wiped). */
const char **target_headers(const struct target *, int json_body);
void	 target_headers_free(const char **);
/* Turn a failed or non-2xx exchange into an error line naming what. */
int	 target_http_error(const struct target *, const char *what,
	    const struct http_response *, struct err *);
/* GET <base><path> with the key (and an optional extra header line);
 * the parsed JSON body of a 2xx answer, or NULL with an error naming what. */
cJSON	*target_get_json(struct target *, const char *path,
	    const char *extra_header, const char *what, struct err *);
/* The parsed JSON body of a 2xx answer from url, or NULL with an error
 * naming what (target_http_error, or "the answer ... is not JSON"). */
cJSON	*target_answer_json(const struct target *, const char *what,
	    const char *url, const struct http_response *, struct err *);
/* POST the JSON text json to url (<base>/..., or the server's own root
 * for /tokenize) with the key and JSON headers; opts, when not NULL,
 * gives retry_safe, stream and cancel (its method, url, headers and body
 * are replaced).  0 with *res filled whatever its status, or -1 with
 * http_do's error when the exchange failed. */
int	 target_post_json(struct target *, const char *url, const char *json,
	    const struct http_request *opts, struct http_response *,
	    struct err *);
/* The ids of the ready models the target lists (GET <base>/models). */
/* The same, also adding to refs each model's MaaSModelRef as "ns/name"
 * and "name" (maas-api's owned_by), names the MaaS gateway routes by. */
int	 target_models_refs(struct target *, struct strlist *ids,
	    struct strlist *refs, struct err *);
int	 target_models(struct target *, struct strlist *ids, struct err *);

/*
 * A maas-api listing command (models, subscriptions): fetch the document,
 * then print it as the table, one name per item for -o name, or through
 * output_print for every other -o.
 */
struct output;
struct target_listing {
	const char	*endpoint;	/* --endpoint, or NULL */
	int		 no_headers;	/* --no-headers */
	/* The document, checked; NULL with an error. */
	cJSON		*(*fetch)(struct target *, struct err *);
	const char	*items;		/* member holding the items; NULL:
					 * the document is the array */
	const char	*name_key;	/* what -o name prints per item */
	void		 (*table)(const cJSON *doc, const struct output *);
};
int	 target_list(struct ctx *, const struct target_listing *,
	    struct err *);

#endif
