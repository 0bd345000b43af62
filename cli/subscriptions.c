/*
 * subscriptions.c: `maasctl subscriptions [list]`: the subscriptions the
 * caller owns, as maas-api's GET /v1/subscriptions reports them (the
 * user's view; admins manage them with `maasctl subscription`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "json.h"
#include "output.h"
#include "target.h"

static struct {
	int	 no_headers;
} S;

static const struct opt subs_opts[] = {
	{ "no-headers", 0, OPT_BOOL, &S.no_headers, NULL,
	  "omit the table header", 0, NULL, NULL, 0, 0 },
	{ NULL, 0, OPT_END, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }
};

/* "model(limit/window,...)" for each model ref; caller frees. */
static char *
model_limits(const cJSON *sub)
{
	struct strbuf	 sb = STRBUF_INIT;
	const cJSON	*m, *l;
	int		 first;

	cJSON_ArrayForEach(m, cJSON_GetObjectItem(sub, "model_refs")) {
		if (sb.len > 0)
			sb_addc(&sb, ',');
		sb_adds(&sb, json_str(m, "name") ? json_str(m, "name") : "?");
		first = 1;
		cJSON_ArrayForEach(l, cJSON_GetObjectItem(m,
		    "token_rate_limits")) {
			sb_addf(&sb, "%s%.0f/%s", first ? "(" : " ",
			    json_num(l, "limit", 0), json_str(l, "window") ?
			    json_str(l, "window") : "?");
			first = 0;
		}
		if (!first)
			sb_addc(&sb, ')');
	}
	return sb.len ? sb_detach(&sb) : NULL;
}

static void
print_table(const cJSON *list, const struct output *out)
{
	static const char *const hdr[] = { "NAME", "PRIORITY", "MODELS",
	    "ORGANIZATION", "COST CENTER", "DISPLAY NAME" };
	struct output_table	*t;
	const cJSON		*s;
	char			*models;

	t = output_table_new(hdr, 6);
	output_table_wide(t, 3);
	output_table_wide(t, 4);
	output_table_wide(t, 5);
	cJSON_ArrayForEach(s, list) {
		models = model_limits(s);
		output_table_add(t, json_str(s, "subscription_id_header"));
		output_table_addf(t, "%.0f", json_num(s, "priority", 0));
		output_table_add(t, models);
		output_table_add(t, json_str(s, "organization_id"));
		output_table_add(t, json_str(s, "cost_center"));
		output_table_add(t, json_str(s, "display_name"));
		output_table_end_row(t);
		free(models);
	}
	if (output_table_rows(t) == 0)
		fprintf(stderr, "No subscriptions found\n");
	else
		output_table_print(t, out, stdout);
	output_table_free(t);
}

/* GET /v1/subscriptions: a JSON array. */
static cJSON *
fetch_subs(struct target *t, struct err *e)
{
	cJSON	*list;

	if ((list = target_get_json(t, "/subscriptions", NULL,
	    "subscriptions", e)) != NULL && !cJSON_IsArray(list)) {
		err_set(e, EXIT_ERR, "subscriptions: the answer from "
		    "%s/subscriptions is not a list", t->base);
		cJSON_Delete(list);
		list = NULL;
	}
	return list;
}

static int
subs_run(struct ctx *ctx, int argc, char **argv, struct err *e)
{
	struct target_listing	 l = { NULL, S.no_headers, fetch_subs, NULL,
	    "subscription_id_header", print_table };

	(void)argc;
	(void)argv;
	return target_list(ctx, &l, e);
}

static const struct command subs_list = {
	.name = "list",
	.aliases = (const char *const[]){ "ls", NULL },
	.summary = "List the subscriptions you own, with models and limits",
	.usage = "[-o FORMAT]",
	.opts = subs_opts,
	.run = subs_run,
	.max_args = 0,
};

static const struct command *const subs_sub[] = { &subs_list, NULL };

const struct command cmd_subscriptions = {
	.name = "subscriptions",
	.summary = "List the subscriptions you own (maas-api /v1/subscriptions)",
	.usage = "[list] [-o FORMAT]",
	.opts = subs_opts,
	.sub = subs_sub,
	.run = subs_run,
	.max_args = 0,
};
