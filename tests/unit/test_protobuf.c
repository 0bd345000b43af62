/*
 * test_protobuf.c: protobuf.c decodes the bodies real kubectl sends
 * (tests/fixtures/protobuf/<name>.hex, captured from kubectl 1.32.4 with a
 * listener that dumped them; <name>.json is the equivalent JSON object),
 * skips unknown fields, and rejects malformed or unsupported input.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "sandbox/schema.h"
#include "tap.h"

static const char *
root(void)
{
	const char	*r = getenv("MAASCTL_TEST_ROOT");

	return r != NULL ? r : ".";
}

static char *
slurp(const char *path)
{
	FILE		*f = fopen(path, "rb");
	struct strbuf	 sb = STRBUF_INIT;
	char		 buf[4096];
	size_t		 n;

	if (f == NULL)
		return NULL;
	sb_init(&sb);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(&sb, buf, n);
	fclose(f);
	return sb_detach(&sb);
}

/* Decode hex text (lines starting with '#' skipped) into bytes. */
static unsigned char *
unhex(const char *text, size_t *len)
{
	unsigned char	*out = xmalloc(strlen(text) / 2 + 1);
	const char	*p = text;
	unsigned int	 b;

	*len = 0;
	while (*p != '\0') {
		if (*p == '#') {
			while (*p != '\0' && *p != '\n')
				p++;
			continue;
		}
		if (*p == '\n' || *p == ' ') {
			p++;
			continue;
		}
		if (sscanf(p, "%2x", &b) != 1)
			break;
		out[(*len)++] = (unsigned char)b;
		p += 2;
	}
	return out;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

TEST(captured_bodies)
{
	char		*dir = xasprintf("%s/tests/fixtures/protobuf", root());
	char		*p, *hex, *js, *got;
	DIR		*d = opendir(dir);
	struct dirent	*de;
	struct strlist	 names = STRLIST_INIT;
	struct err	 e = ERR_INIT;
	unsigned char	*bytes;
	size_t		 i, len;
	cJSON		*obj, *want;

	ok(d != NULL, "fixture dir %s", dir);
	if (d == NULL) {
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if ((p = strstr(de->d_name, ".hex")) != NULL && p[4] == '\0')
			sl_take(&names, xstrndup(de->d_name, p - de->d_name));
	}
	closedir(d);
	qsort(names.v, names.n, sizeof *names.v, name_cmp);
	ok(names.n >= 10, "ten captured bodies (%zu)", names.n);
	for (i = 0; i < names.n; i++) {
		p = xasprintf("%s/%s.hex", dir, names.v[i]);
		hex = slurp(p);
		free(p);
		p = xasprintf("%s/%s.json", dir, names.v[i]);
		js = slurp(p);
		free(p);
		bytes = unhex(hex != NULL ? hex : "", &len);
		obj = sbx_protobuf_decode(bytes, len, &e);
		want = js != NULL ? cJSON_Parse(js) : NULL;
		got = json_print(obj, 0);
		ok(obj != NULL && want != NULL && json_equal(obj, want),
		    "%s decodes to its JSON (got %s)%s%s", names.v[i], got,
		    e.msg ? ": " : "", e.msg ? e.msg : "");
		err_clear(&e);
		free(got);
		cJSON_Delete(obj);
		cJSON_Delete(want);
		free(bytes);
		free(hex);
		free(js);
	}
	sl_free(&names);
	free(dir);
}

/* The fixtures printed in KUBECTL-SURFACE.md section 7 (namespace set). */
TEST(reference_vectors)
{
	static const char *cm = "6b3873000a0f0a0276311209436f6e6669674d617012"
	    "230a190a0370636d12001a067465616d2d6122002a003200380042001206"
	    "0a016b1201761a002200";
	static const char *ssar = "6b3873000a320a17617574686f72697a6174696f6e"
	    "2e6b38732e696f2f7631121753656c665375626a6563744163636573735265"
	    "76696577125c0a100a0012001a0022002a00320038004200123e0a3c0a0674"
	    "65616d2d6112046c6973741a136d6161732e6f70656e646174616875622e69"
	    "6f22002a116d616173737562736372697074696f6e7332003a001a08080012"
	    "001a0020001a002200";
	unsigned char	*b;
	size_t		 len;
	cJSON		*o;

	b = unhex(cm, &len);
	o = sbx_protobuf_decode(b, len, NULL);
	is_str(json_str(o, "metadata.namespace"), "team-a", "cm namespace");
	is_str(json_str(o, "data.k"), "v", "cm data");
	ok(json_path(o, "metadata.uid") == NULL, "empty strings dropped");
	ok(json_path(o, "metadata.generation") == NULL, "zero ints dropped");
	cJSON_Delete(o);
	free(b);
	b = unhex(ssar, &len);
	o = sbx_protobuf_decode(b, len, NULL);
	is_str(json_str(o, "spec.resourceAttributes.group"),
	    "maas.opendatahub.io", "ssar group");
	is_str(json_str(o, "spec.resourceAttributes.resource"),
	    "maassubscriptions", "ssar resource");
	is_str(json_str(o, "spec.resourceAttributes.verb"), "list",
	    "ssar verb");
	ok(json_path(o, "status") == NULL, "review status not decoded");
	cJSON_Delete(o);
	free(b);
}

TEST(unknown_fields_skipped)
{
	/* ConfigMap with extra fields 9 (varint), 10 (fixed64), 11 (fixed32)
	 * and 12 (bytes) in the object and 15 in ObjectMeta. */
	static const unsigned char body[] = {
	    'k', '8', 's', 0,
	    0x0a, 0x0f, 0x0a, 0x02, 'v', '1', 0x12, 0x09,
	    'C', 'o', 'n', 'f', 'i', 'g', 'M', 'a', 'p',
	    0x12, 0x26,
	    0x0a, 0x07, 0x0a, 0x01, 'x', 0x7a, 0x02, 'z', 'z',
	    0x48, 0x96, 0x01,
	    0x51, 1, 2, 3, 4, 5, 6, 7, 8,
	    0x5d, 1, 2, 3, 4,
	    0x62, 0x02, 'q', 'q',
	    0x12, 0x06, 0x0a, 0x01, 'k', 0x12, 0x01, 'v',
	};
	cJSON	*o = sbx_protobuf_decode(body, sizeof body, NULL);

	ok(o != NULL, "decodes with unknown fields");
	is_str(json_str(o, "metadata.name"), "x", "name");
	is_str(json_str(o, "data.k"), "v", "data after unknown fields");
	cJSON_Delete(o);
}

TEST(malformed_input)
{
	struct err	 e = ERR_INIT;
	unsigned char	*b;
	size_t		 len, i;
	cJSON		*o;
	int		 crashed = 0;
	static const char *pod = "6b3873000a090a027631120350"
	    "6f64120a0a080a0670702d706f64";

	ok(sbx_protobuf_decode("{\"a\":1}", 7, &e) == NULL, "JSON refused");
	is_str(e.msg, "protobuf body: missing the \"k8s\\0\" envelope",
	    "envelope error");
	err_clear(&e);
	b = unhex(pod, &len);
	ok(sbx_protobuf_decode(b, len, &e) == NULL, "Pod refused");
	is_str(e.msg, "protobuf body: v1 Pod is not supported by the sandbox; "
	    "send JSON", "unsupported kind error");
	err_clear(&e);
	free(b);
	b = unhex("6b3873000a0f0a0276311209436f6e6669674d6170121d0a130a0370636d"
	    "12001a0022002a0032003800420012060a016b1201761a002200", &len);
	for (i = 4; i < len; i++) {
		o = sbx_protobuf_decode(b, i, &e);
		if (o != NULL && json_str(o, "kind") == NULL)
			crashed = 1;
		cJSON_Delete(o);
		err_clear(&e);
	}
	ok(!crashed, "every truncation handled");
	b[5] = 0x7f;	/* TypeMeta length beyond the end */
	ok(sbx_protobuf_decode(b, len, &e) == NULL, "bad length refused");
	is_str(e.msg, "protobuf body: malformed runtime.Unknown message",
	    "malformed error");
	err_clear(&e);
	free(b);
}

int
main(void)
{
	printf("TAP version 13\n");
	RUN(captured_bodies);
	RUN(reference_vectors);
	RUN(unknown_fields_skipped);
	RUN(malformed_input);
	return tap_done();
}
