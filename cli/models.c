/*
 * models.c: `maasctl models [list]`: the models the caller may use, as
 * maas-api's GET /v1/models reports them (readiness, kind, owner,
 * subscriptions, URL), optionally scoped to one subscription.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "json.h"
#include "output.h"
#include "target.h"

static struct {
	const char	*subscription;
	const char	*endpoint;
	int		 no_headers;
} M;

static const struct opt models_opts[] = {
	{ "subscription", 0, OPT_STR, &M.subscription, "NAME",
	  "only the models of this subscription (X-MaaS-Subscription)", 0,
	  NULL, NULL, 0, 0 },
	{ "endpoint", 0, OPT_STR, &M.endpoint, "URL",
	  "any OpenAI-compatible base URL instead of the MaaS gateway", 0,
	  NULL, NULL, 0, 0 },
	{ "no-headers", 0, OPT_BOOL, &M.no_headers, NULL,
	  "omit the table header", 0, NULL, NULL, 0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

/* GET <base>/models; the parsed list object on success. */
static cJSON *
fetch_models(struct target *t, struct err *e)
{
	char	*sub = NULL;
	cJSON	*o;

	if (M.subscription != NULL)
		sub = xasprintf("X-MaaS-Subscription: %s", M.subscription);
	o = target_get_json(t, "/models", sub, "models", e);
	free(sub);
	if (o != NULL && !cJSON_IsArray(cJSON_GetObjectItem(o, "data"))) {
		err_set(e, EXIT_ERR, "models: the answer from %s/models has "
		    "no \"data\" list", t->base);
		cJSON_Delete(o);
		o = NULL;
	}
	return o;
}

/* "sub-a,sub-b" from the subscriptions array; caller frees. */
static char *
sub_names(const cJSON *m)
{
	struct strbuf	 sb = STRBUF_INIT;
	const cJSON	*s;
	const char	*n;

	cJSON_ArrayForEach(s, cJSON_GetObjectItem(m, "subscriptions")) {
		if ((n = json_str(s, "name")) == NULL)
			continue;
		if (sb.len > 0)
			sb_addc(&sb, ',');
		sb_adds(&sb, n);
	}
	return sb.len ? sb_detach(&sb) : NULL;
}

static void
print_table(const cJSON *list, const struct output *out)
{
	static const char *const hdr[] = { "ID", "READY", "KIND", "OWNER",
	    "SUBSCRIPTIONS", "URL" };
	struct output_table	*t;
	const cJSON		*m, *ready;
	char			*subs;

	t = output_table_new(hdr, 6);
	output_table_wide(t, 5);
	cJSON_ArrayForEach(m, cJSON_GetObjectItem(list, "data")) {
		ready = cJSON_GetObjectItem(m, "ready");
		subs = sub_names(m);
		output_table_add(t, json_str(m, "id"));
		output_table_add(t, ready == NULL ? "<unknown>" :
		    cJSON_IsTrue(ready) ? "True" : "False");
		output_table_add(t, json_str(m, "kind"));
		output_table_add(t, json_str(m, "owned_by"));
		output_table_add(t, subs);
		output_table_add(t, json_str(m, "url"));
		output_table_end_row(t);
		free(subs);
	}
	if (output_table_rows(t) == 0)
		fprintf(stderr, "No models found\n");
	else
		output_table_print(t, out, stdout);
	output_table_free(t);
}

static int
models_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct target_listing	 l = { M.endpoint, M.no_headers, fetch_models,
	    "data", "id", print_table };

	(void)argc;
	(void)argv;
	return target_list(ctx, &l, e);
}

static const struct command models_list = {
	.name = "list",
	.aliases = (const char *const[]){ "ls", NULL },
	.summary = "List the models you may call, with readiness and "
	    "subscriptions",
	.usage = "[--subscription NAME] [-o FORMAT]",
	.opts = models_opts,
	.run = models_run,
	.max_args = 0,
};

static const struct command *const models_sub[] = { &models_list, NULL };

const struct command cmd_models = {
	.name = "models",
	.aliases = (const char *const[]){ "model", NULL },
	.summary = "List the models you may call (maas-api /v1/models)",
	.usage = "[list] [--subscription NAME] [-o FORMAT]",
	.opts = models_opts,
	.sub = models_sub,
	.run = models_run,
	.max_args = 0,
};
