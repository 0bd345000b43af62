/*
 * output-tool: print a YAML or JSON file (a Table, a list or an object)
 * through common/output the way `kubectl get` prints what the server sent,
 * for tests comparing maasctl's printers with kubectl's.
 *
 *	output-tool [-o FORMAT] [-A] [-n NAMESPACE] [-L KEY]... [-l] [-k KIND]
 *	    [-g GROUP] [-K] [-H] [-m] [-t EPOCH] FILE
 *	-A all namespaces (NAMESPACE column)   -l --show-labels
 *	-K --show-kind    -H --no-headers       -m --show-managed-fields
 *	-k/-g the kind and group listed (for --show-kind, -o name)
 *	-t the current time for ages (seconds since the epoch)
 * Exit status and error text as maasctl would give them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "output.h"
#include "xalloc.h"
#include "yaml.h"

static void
usage(void)
{
	fprintf(stderr, "usage: output-tool [-o FORMAT] [-A] [-n NAMESPACE] "
	    "[-L KEY]... [-l] [-k KIND] [-g GROUP] [-K] [-H] [-m] [-t EPOCH] "
	    "FILE\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct err		 e = ERR_INIT;
	struct output		 o;
	struct output_ctx	 ctx = { NULL, NULL, NULL };
	struct strbuf		 in = STRBUF_INIT;
	struct strlist		 labels = STRLIST_INIT;
	const char		*fmt = NULL;
	char			 buf[8192], *msg;
	cJSON			*doc = NULL;
	FILE			*f;
	size_t			 n, i;
	long long		 now = 0;
	int			 c, all = 0, show_labels = 0, show_kind = 0;
	int			 no_headers = 0, managed = 0, rc = 0;

	while ((c = getopt(argc, argv, "o:An:L:lk:g:KHmt:")) != -1) {
		switch (c) {
		case 'o': fmt = optarg; break;
		case 'A': all = 1; break;
		case 'n': ctx.namespace = optarg; break;
		case 'L': sl_add(&labels, optarg); break;
		case 'l': show_labels = 1; break;
		case 'k': ctx.kind = optarg; break;
		case 'g': ctx.group = optarg; break;
		case 'K': show_kind = 1; break;
		case 'H': no_headers = 1; break;
		case 'm': managed = 1; break;
		case 't': now = strtoll(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (argc - optind != 1)
		usage();
	if (output_parse(&o, fmt, &e) == -1)
		goto fail;
	o.show_namespace = all;
	o.show_labels = show_labels;
	o.show_kind = show_kind;
	o.no_headers = no_headers;
	o.show_managed_fields = managed;
	o.now = (time_t)now;
	for (i = 0; i < labels.n; i++)
		sl_add(&o.label_columns, labels.v[i]);
	if (all)
		ctx.namespace = NULL;
	sb_init(&in);
	if ((f = fopen(argv[optind], "r")) == NULL) {
		err_set(&e, EXIT_ERR, "cannot read %s", argv[optind]);
		goto fail;
	}
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(&in, buf, n);
	fclose(f);
	if ((doc = yaml_parse(in.buf, in.len, &e)) == NULL)
		goto fail;
	if (output_print(&o, doc, &ctx, stdout, stderr, &e) == -1)
		goto fail;
	goto done;
fail:
	msg = err_format(&e);
	fputs(msg, stderr);
	free(msg);
	rc = e.code;
done:
	output_free(&o);
	cJSON_Delete(doc);
	sb_free(&in);
	sl_free(&labels);
	err_clear(&e);
	return rc;
}
