#!/usr/bin/env bats
# samples.bats: every YAML of the reference samples applies with real
# kubectl and reads back equal (every field of the file is in the stored
# object with the same value), and every real CRD of the reference applies
# and is served at once.  Skips when ../shared/reference is not beside the
# checkout.  Two samples are templates with "<placeholder>" values: they are
# applied with each placeholder replaced by "ph-<placeholder>".
bats_require_minimum_version 1.5.0

REF="${MAASCTL_TEST_ROOT:-$BATS_TEST_DIRNAME/../..}/../shared/reference"

setup_file() {
	[ -d "$REF/samples" ] || return 0
	load ../helpers/sbx-serve
	sbx_start
	export SBX_DIR SBX_PID SBX_URL SBX_PORT SBX_SCHEME SBX_TOKEN KUBECONFIG KUBECACHEDIR
}

teardown_file() {
	[ -d "$REF/samples" ] || return 0
	load ../helpers/sbx-serve
	sbx_stop
}

setup() {
	[ -d "$REF/samples" ] || skip "no ../shared/reference beside the checkout"
	command -v jq >/dev/null || skip "jq not installed"
}

# subset A B: every field of A is in B with the same value.
SUBSET='def sub($a; $b):
  if ($a|type) == "object" then ($b|type) == "object" and
      all($a|to_entries[]; . as $e | ($b|has($e.key)) and sub($e.value; $b[$e.key]))
  elif ($a|type) == "array" then ($b|type) == "array" and ($a|length) == ($b|length) and
      all(range(0; $a|length); . as $i | sub($a[$i]; $b[$i]))
  else $a == $b end;'

sample_files() {
	find "$REF/samples" -name '*.yaml' ! -name kustomization.yaml | sort
}

# The sample with its <placeholders> filled in, as a file to apply.
instantiate() {
	local out="$BATS_TEST_TMPDIR/$(echo "$1" | tr '/' '_')"
	sed 's/<\([a-z0-9-]*\)>/ph-\1/g' "$1" >"$out"
	echo "$out"
}

@test "every reference sample applies with kubectl and reads back equal" {
	local f n=0 want got ns src
	while read -r src; do
		f=$(instantiate "$src")
		for ns in $(sed -n 's/^  namespace: *\([a-z0-9-]*\).*/\1/p' "$f" | sort -u); do
			kubectl get namespace "$ns" >/dev/null 2>&1 ||
			    kubectl create namespace "$ns" >/dev/null
		done
		run kubectl apply -f "$f"
		[ "$status" -eq 0 ] || { echo "apply $f: $output"; return 1; }
		want=$(kubectl create --dry-run=client -o json -f "$f" |
		    jq -c 'if .kind == "List" then .items else [.] end |
		        map({kind, metadata: (.metadata | {name, namespace, labels, annotations}
		            | with_entries(select(.value != null))), spec} | with_entries(select(.value != null)))')
		got=$(kubectl get -o json -f "$f" |
		    jq -c 'if .kind == "List" then .items else [.] end')
		run jq -n --argjson a "$want" --argjson b "$got" "$SUBSET"' sub($a; $b)'
		[ "$output" = true ] || { echo "$f reads back different:"; echo "want $want"; echo "got  $got"; return 1; }
		n=$((n + 1))
	done < <(sample_files)
	[ "$n" -ge 12 ]
}

@test "every real CRD of the reference applies and its kind is served at once" {
	local f name kind n=0
	for f in "$REF"/crds/*.yaml; do
		run kubectl apply -f "$f"
		[ "$status" -eq 0 ] || { echo "apply $f: $output"; return 1; }
		name=$(kubectl create --dry-run=client -o jsonpath='{.metadata.name}' -f "$f")
		kind=$(kubectl get crd "$name" -o jsonpath='{.spec.names.plural}.{.spec.group}')
		run kubectl get "$kind" -A
		[ "$status" -eq 0 ] || { echo "get $kind: $output"; return 1; }
		n=$((n + 1))
	done
	[ "$n" -ge 10 ]
}
