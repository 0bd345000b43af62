/*
 * yaml.h: YAML <-> cJSON with libyaml, the way kubectl treats YAML
 * (sigs.k8s.io/yaml: YAML is converted to JSON before use).
 *
 * Parsing follows go-yaml v2 decoding into interface{}:
 * - plain scalars: null/~/empty -> null; true/false, yes/no, on/off, y/n
 *   (lower, Capitalised and UPPER case) -> booleans; integers in decimal,
 *   0x hex, 0o and leading-0 octal, 0b binary, '_' separators ignored;
 *   floats incl. .inf/.nan (which JSON cannot hold: an error, as kubectl);
 *   dates and everything else -> strings.  Quoted scalars are strings.
 *   Explicit tags (!!str, !!int, !!float, !!bool, !!null, !!binary, ...)
 *   force the type or fail ("cannot decode !!str `x` as a !!int").
 * - Integers with |n| > 2^53 that fit 64 bits are kept exactly as cJSON
 *   raw numbers (cJSON_IsRaw, decimal text); json_print prints them
 *   verbatim, json_num/json_equal read them.  Larger ones become doubles,
 *   as in yaml.v2.
 * - anchors/aliases are expanded (aliases may copy at most 100000 nodes
 *   plus 20 per node parsed, so "billion laughs" fails with "document
 *   contains excessive aliasing"); merge keys "<<" as yaml.v2 applies them;
 *   non-string keys become strings (ints in decimal, floats as float32
 *   'g', bools as true/false; null keys are an error); a key repeated in
 *   one mapping is an error; nesting deeper than 1000 is an error.
 * - JSON input is accepted (also JSON that YAML 1.1 rejects, e.g. tabs).
 * - merge keys follow yaml.v2: a "<<" overwrites keys set before it in the
 *   same mapping; in "<<: [*a, *b]" earlier mappings win.
 * Errors read as kubectl's: "error converting YAML to JSON: yaml: line N:
 * <reason>" (N as yaml.v2 counts it), with a hint giving the exact line
 * and column.
 *
 * Emission drives libyaml's emitter (yaml.v2 is a port of it) as yaml.v2
 * marshals the JSON value; tests/fixtures/yaml holds kubectl's own output
 * it is checked against.  Known differences, all deliberate: integral
 * numbers are written as integers (cJSON does not say whether 1e6 was a
 * float, which yaml.v2 would write as 1e+06); the string "<<" is quoted
 * (yaml.v2 writes it plain, which reads back as a merge key); a string
 * starting with U+FEFF is escaped only where needed (yaml.v2 escapes every
 * character after it); and where yaml.v2's key order is not transitive
 * ("a1b2" < "a01" < "a100" < "a1b2") kubectl's order varies run to run
 * while ours is fixed.
 */
#ifndef MAAS_YAML_H
#define MAAS_YAML_H

#include <cjson/cJSON.h>

#include "err.h"

/* Flags for yaml_to_json. */
#define YAML_STREAM		0x1	/* all documents, as an array */
#define YAML_BARE_ERRORS	0x2	/* no "error converting YAML to JSON: " */

/* Parse a single-document YAML (or JSON) buffer into cJSON: the first
 * document, as yaml.Unmarshal reads it (null for an empty input). */
cJSON	*yaml_parse(const char *buf, size_t len, struct err *);
/* Parse a multi-document stream; returns a cJSON array of the non-empty
 * documents ("---", "..." separated; empty and null documents skipped;
 * a "kind: List" is not expanded here). */
cJSON	*yaml_parse_stream(const char *buf, size_t len, struct err *);
/* yaml_parse or yaml_parse_stream with YAML_* flags (client-go reports
 * kubeconfig errors bare: `error loading config file "f": yaml: line 2: ...`). */
cJSON	*yaml_to_json(const char *buf, size_t len, int flags, struct err *);
/* Emit one value as YAML in kubectl's style (sorted keys, 2-space indent,
 * "- " sequences at the parent's indent, quoting as yaml.v2 does). */
char	*yaml_emit(const cJSON *);

#endif
