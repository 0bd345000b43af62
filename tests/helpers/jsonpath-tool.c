/*
 * jsonpath-tool: evaluate a kubectl JSONPath template over a YAML or JSON
 * file (YAML is read as kubectl reads it, converted to JSON first), the
 * way `kubectl get -o jsonpath=...` does, for tests comparing against kubectl.
 *
 *	jsonpath-tool [-s] [-j] FILE TEMPLATE
 *	-s  strict: missing keys are errors (--allow-missing-template-keys=false)
 *	-j  print as JSON (-o jsonpath-as-json)
 * FILE "-" reads stdin.  Exit 0 with the text on stdout, or kubectl's error
 * on stderr with its exit status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "jsonpath.h"
#include "xalloc.h"
#include "yaml.h"

static int
slurp(const char *path, struct strbuf *sb)
{
	FILE	*f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char	 buf[8192];
	size_t	 n;

	if (f == NULL)
		return -1;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(sb, buf, n);
	if (f != stdin)
		fclose(f);
	return 0;
}

int
main(int argc, char **argv)
{
	struct err	 e = ERR_INIT;
	struct strbuf	 in = STRBUF_INIT, out = STRBUF_INIT;
	struct jsonpath	*jp = NULL;
	cJSON		*doc = NULL;
	char		*msg;
	int		 c, strict = 0, asjson = 0, rc = 0;

	while ((c = getopt(argc, argv, "sj")) != -1) {
		switch (c) {
		case 's':
			strict = 1;
			break;
		case 'j':
			asjson = 1;
			break;
		default:
			fprintf(stderr, "usage: jsonpath-tool [-s] [-j] FILE "
			    "TEMPLATE\n");
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: jsonpath-tool [-s] [-j] FILE TEMPLATE\n");
		return 2;
	}
	sb_init(&in);
	sb_init(&out);
	if (slurp(argv[optind], &in) == -1) {
		fprintf(stderr, "jsonpath-tool: cannot read %s\n", argv[optind]);
		return 1;
	}
	if ((doc = yaml_parse(in.buf, in.len, &e)) == NULL)
		goto fail;
	if ((jp = jsonpath_parse(argv[optind + 1], &e)) == NULL)
		goto fail;
	jsonpath_allow_missing_keys(jp, !strict);
	jsonpath_output_json(jp, asjson);
	if (jsonpath_execute(jp, doc, &out, &e) == -1)
		goto fail;
	fwrite(out.buf, 1, out.len, stdout);
	goto done;
fail:
	msg = err_format(&e);
	fputs(msg, stderr);
	free(msg);
	rc = e.code;
done:
	jsonpath_free(jp);
	cJSON_Delete(doc);
	sb_free(&in);
	sb_free(&out);
	err_clear(&e);
	return rc;
}
