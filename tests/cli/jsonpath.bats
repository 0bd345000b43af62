#!/usr/bin/env bats
# maasctl's JSONPath engine against real kubectl.  kubectl evaluates
# templates offline with `kubectl config view --raw -o jsonpath=...`; the
# helper tests/helpers/jsonpath-tool runs maasctl's engine over the same
# JSON (kubectl's own `config view -o json` of the fixture), so both see
# identical data.  Templates wrapped by doc()/pods() run with the "doc"
# (kubectl's JSONPath documentation input) or "pods" extension as root.
bats_require_minimum_version 1.5.0

setup() {
	command -v kubectl >/dev/null 2>&1 ||
	    skip "kubectl is not installed: fidelity against kubectl not checked"
	root=${MAASCTL_TEST_ROOT:-$BATS_TEST_DIRNAME/../..}
	case ${BUILD:-build} in
	/*) TOOL=${BUILD}/tests/helpers/jsonpath-tool ;;
	*) TOOL=$root/${BUILD:-build}/tests/helpers/jsonpath-tool ;;
	esac
	[ -x "$TOOL" ] || skip "$TOOL not built (make tests-build)"
	FIX=$root/tests/fixtures/objects/kubeconfig-jsonpath.yaml
	JSON=$BATS_TEST_TMPDIR/view.json
	kubectl config view --raw --kubeconfig "$FIX" -o json >"$JSON"
}

doc() { printf '{range .preferences.extensions[0].extension}%s{end}' "$1"; }
pods() { printf '{range .preferences.extensions[1].extension}%s{end}' "$1"; }

# kubectl_jp TEMPLATE [-o format]: kubectl's result in kout/kerr/kstatus.
kubectl_jp() {
	local fmt=${2:-jsonpath}
	run --separate-stderr kubectl config view --raw --kubeconfig "$FIX" \
	    -o "$fmt=$1"
	kout=$output kerr=$stderr kstatus=$status
}

# same TEMPLATE [expected]: both succeed with identical output, which is
# also the expected text when given.
same() {
	kubectl_jp "$1"
	[ "$kstatus" -eq 0 ] || { echo "kubectl failed: $kerr"; return 1; }
	run -0 --separate-stderr "$TOOL" "$JSON" "$1"
	if [ "$output" != "$kout" ]; then
		printf 'template: %s\nkubectl: [%s]\nmaasctl: [%s]\n' "$1" \
		    "$kout" "$output"
		return 1
	fi
	if [ $# -ge 2 ] && [ "$output" != "$2" ]; then
		printf 'template: %s\nexpected: [%s]\ngot:      [%s]\n' "$1" \
		    "$2" "$output"
		return 1
	fi
}

# same_set TEMPLATE: identical words in any order (Go visits map members
# in random order, so kubectl's order varies from run to run).
same_set() {
	kubectl_jp "$1"
	[ "$kstatus" -eq 0 ] || { echo "kubectl failed: $kerr"; return 1; }
	run -0 --separate-stderr "$TOOL" "$JSON" "$1"
	local a b
	a=$(printf '%s' "$kout" | tr ' ' '\n' | sort)
	b=$(printf '%s' "$output" | tr ' ' '\n' | sort)
	if [ "$a" != "$b" ]; then
		printf 'template: %s\nkubectl: [%s]\nmaasctl: [%s]\n' "$1" \
		    "$kout" "$output"
		return 1
	fi
	[ -n "$output" ]
}

# same_error TEMPLATE STATUS: both fail with the same first line of error
# (kubectl continues with a Go dump of the object, left out by maasctl);
# maasctl exits with STATUS (2 for a template that does not parse).
same_error() {
	kubectl_jp "$1"
	[ "$kstatus" -eq 1 ] || { echo "kubectl did not fail: $kout"; return 1; }
	run -"$2" --separate-stderr "$TOOL" "$JSON" "$1"
	[ -z "$output" ]
	local want
	want=$(printf '%s\n' "$kerr" | head -1 |
	    sed 's/\. Printing more information for debugging the template:$//')
	if [ "$stderr" != "$want" ]; then
		printf 'template: %s\nkubectl: [%s]\nmaasctl: [%s]\n' "$1" \
		    "$want" "$stderr"
		return 1
	fi
}

# --- kubectl's JSONPath documentation (kubectl/jsonpath reference) ---

@test "doc: text outside actions: kind is {.kind}" {
	same "$(doc 'kind is {.kind}')" "kind is List"
}

@test "doc: {@} is the current object" {
	same "$(doc '{@}')"
}

@test "doc: child operator {['kind']} and {.kind}" {
	same "$(doc "{['kind']}")" "List"
	same "$(doc '{.kind}')" "List"
}

@test "doc: escaped dot in a bracket key {['name\\.type']} (absent here)" {
	same "$(doc "{['name\\.type']}")" ""
}

@test "doc: recursive descent {..name}" {
	same_set "$(doc '{..name}')"
	run -0 "$TOOL" "$JSON" "$(doc '{..name}')"
	[ "$output" = "127.0.0.1 127.0.0.2 myself e2e" ]
}

@test "doc: wildcard {.items[*].metadata.name}" {
	same "$(doc '{.items[*].metadata.name}')" "127.0.0.1 127.0.0.2"
}

@test "doc: subscript {.users[0].name}" {
	same "$(doc '{.users[0].name}')" "myself"
}

@test "doc: union of quoted paths {.items[*]['metadata.name', 'status.capacity']}" {
	same "$(doc "{.items[*]['metadata.name', 'status.capacity']}")" \
	    '127.0.0.1 127.0.0.2 {"cpu":"4"} {"cpu":"8"}'
}

@test "doc: filter {.users[?(@.name==\"e2e\")].user.password}" {
	same "$(doc '{.users[?(@.name=="e2e")].user.password}')" "secret"
}

@test "doc: range/end {range .items[*]}[{.metadata.name}, {.status.capacity}] {end}" {
	same "$(doc '{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}')" \
	    '[127.0.0.1, {"cpu":"4"}] [127.0.0.2, {"cpu":"8"}] '
}

@test "doc: quoted tab {range .items[*]}{.metadata.name}{'\\t'}{end}" {
	same "$(doc "{range .items[*]}{.metadata.name}{'\\t'}{end}")" \
	    "$(printf '127.0.0.1\t127.0.0.2\t')"
}

@test "doc: escaped termination character {.items[0].metadata.labels.kubernetes\\.io/hostname}" {
	same "$(doc '{.items[0].metadata.labels.kubernetes\.io/hostname}')" \
	    "127.0.0.1"
}

@test "doc: kubectl get examples {.items[0]} and {.items[0].metadata.name}" {
	same "$(doc '{.items[0]}')"
	same "$(doc '{.items[0].metadata.name}')" "127.0.0.1"
}

@test "doc: range with \"\\t\" and \"\\n\" literals, missing key allowed" {
	same "$(doc '{range .items[*]}{.metadata.name}{"\t"}{.status.startTime}{"\n"}{end}')" \
	    "$(printf '127.0.0.1\t\n127.0.0.2\t\n')"
}

@test "doc: filter inside a path {.items[*].status.addresses[?(@.type==\"LegacyHostIP\")].address}" {
	same "$(doc '{.items[*].status.addresses[?(@.type=="LegacyHostIP")].address}')" \
	    "127.0.0.1 127.0.0.2"
}

@test "doc: cheat sheet on the kubeconfig itself" {
	same '{.users[?(@.name == "e2e")].user.password}' "secret"
	# config view keeps users in a map: they come out sorted by name
	same '{.users[].name}' "e2e"
	same '{.users[*].name}' "e2e myself"
	same '{.contexts[?(@.context.namespace)].name}' "dev"
	same '{.current-context}' "dev"
	same '{$.clusters[1].cluster.tls-server-name}' "api.prod.example"
}

# --- more of the language ---

@test "nested range/end with text between" {
	same "$(pods '{range .items[*]}{@.metadata.name}:{range @.status.conditions[*]}{@.type}={@.status};{end}{"\n"}{end}')" \
	    "$(printf 'api-0:Ready=True;Initialized=True;\napi-1:Ready=False;\ndb-0:\n')"
}

@test "filter in a range, per-row Ready status" {
	same "$(pods '{range .items[*]}{.metadata.name}{"\t"}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}')"
}

@test "filters with != < <= > >= on strings" {
	same "$(pods '{.items[?(@.status.phase!="Running")].metadata.name}')" "api-1"
	same "$(pods '{.items[?(@.metadata.namespace<"team-b")].metadata.name}')" "api-0 api-1"
	same "$(pods '{.items[?(@.metadata.name<="api-1")].metadata.name}')" "api-0 api-1"
	same "$(pods '{.items[?(@.metadata.name>"api-1")].metadata.name}')" "db-0"
	same "$(pods '{.items[?(@.metadata.name>="api-1")].metadata.name}')" "api-1 db-0"
}

@test "existence filter [?(@.x)] and comparison between two fields" {
	same "$(pods '{.items[?(@.metadata.labels)].metadata.name}')" "api-0 api-1"
	# kubectl's quirk: [0] on the empty list of db-0 fails, and a failing
	# existence test keeps the element
	same "$(pods '{.items[?(@.status.conditions[0].reason)].metadata.name}')" "api-1 db-0"
	same "$(pods '{.items[?(@.metadata.name==@.metadata.name)].metadata.name}')" "api-0 api-1 db-0"
}

@test "negative index, slices with step, union of indexes" {
	same "$(pods '{.items[-1].metadata.name}')" "db-0"
	same "$(pods '{.items[1:3].metadata.name}')" "api-1 db-0"
	same "$(pods '{.items[0:3:2].metadata.name}')" "api-0 db-0"
	same "$(pods '{.items[:-1].metadata.name}')" "api-0 api-1"
	same "$(pods '{.items[-2:].metadata.name}')" "api-1 db-0"
	same "$(pods '{.items[0,2].metadata.name}')" "api-0 db-0"
	same "$(pods '{.items[1:1].metadata.name}')" ""
}

@test "escaped dots in a label key; quoted key path" {
	same "$(pods '{.items[*].metadata.labels.app\.kubernetes\.io/name}')" "api"
	same "$(pods "{.items[*].metadata['name']}")" "api-0 api-1 db-0"
	same "$(pods "{.items[0]['metadata.labels']}")"
}

@test "wildcards over maps and lists" {
	same_set "$(pods '{.items[0].metadata.labels.*}')"
	same "$(pods '{.items[*].spec.containers[*].image}')"
	same "$(pods '{.items[0].spec.containers.*.name}')" "server sidecar"
}

@test "recursive descent below a path" {
	same_set "$(pods '{.items[0]..name}')"
	same_set "$(doc '{..address}')"
	same "$(doc '{.users..password}')" "secret"
}

@test "root references {\$} and {\$.kind}, the whole kubeconfig" {
	same '{$.kind}' "Config"
	same '{$}'
	same '{.contexts}'
}

@test "missing keys print nothing (kubectl get's default)" {
	same "$(pods '{.items[*].metadata.missing}')" ""
	same '{.nope[0].x}' ""
	same "$(pods '{range .items[2].status.conditions[*]}x{end}done')" "done"
}

@test "maps and lists print as JSON, values joined by a space" {
	same "$(pods '{.items[0].status}')"
	same "$(pods '{.items[0].spec.containers}')"
	same "$(pods '{.items[0].metadata.name} {.items[1].metadata.name}')" "api-0 api-1"
}

@test "string wildcard yields bytes, as kubectl does" {
	same '{.kind.*}' "67 111 110 102 105 103"
}

@test "jsonpath-as-json" {
	kubectl_jp "$(pods '{.items[*].metadata.name}')" jsonpath-as-json
	[ "$kstatus" -eq 0 ]
	run -0 --separate-stderr "$TOOL" -j "$JSON" "$(pods '{.items[*].metadata.name}')"
	[ "$output" = "$kout" ]
}

@test "errors while executing: index out of range, not a list, end without range" {
	same_error "$(pods '{.items[5]}')" 1
	same_error '{.kind[0]}' 1
	same_error '{end}' 1
	same_error '{.users[::0]}' 1
	same_error '{foo}' 1
	same_error "$(pods '{.items[?(@.metadata.name>1)]}')" 1
}

@test "parse errors read as kubectl's, exit 2" {
	same_error '{.items[}' 2
	same_error '{.kind' 2
	same_error '{.users[?(@.name=="x"]}' 2
	same_error '{..*}' 2
	same_error '{.users[x]}' 2
	same_error '{"\q"}' 2
}

# strict TEMPLATE: with --allow-missing-template-keys=false (maasctl: -s)
# both give the same output, or the same error and exit 1.
strict() {
	run --separate-stderr kubectl config view --raw --kubeconfig "$FIX" \
	    --allow-missing-template-keys=false -o "jsonpath=$1"
	kout=$output kerr=$stderr kstatus=$status
	run --separate-stderr "$TOOL" -s "$JSON" "$1"
	local want
	want=$(printf '%s\n' "$kerr" | head -1 |
	    sed 's/\. Printing more information for debugging the template:$//')
	if [ "$status" -ne "$kstatus" ] || [ "$output" != "$kout" ] ||
	    [ "$stderr" != "$want" ]; then
		printf 'template: %s\nkubectl (%s): [%s] [%s]\nmaasctl (%s): [%s] [%s]\n' \
		    "$1" "$kstatus" "$kout" "$want" "$status" "$output" "$stderr"
		return 1
	fi
}

@test "strict mode (--allow-missing-template-keys=false) against kubectl" {
	strict '{.nope}'
	strict '{.users[?(@.user.username=="admin")].name}'
	strict '{.users[?(@.user.password)].name}'
	strict "$(pods '{range .items[*]}{.metadata.labels.app}{end}')"
	strict "$(pods '{range .items[2].status.conditions[*]}{.type}{end}')"
	strict "$(pods '{.items[*].metadata.name}')"
	strict '{.contexts[0].context.namespace} {.contexts[1].context.namespace}'
}

@test "strict mode: a missing key is an error naming the key" {
	run -1 --separate-stderr "$TOOL" -s "$JSON" '{.users[0].nope}'
	[ "$stderr" = 'error: error executing jsonpath "{.users[0].nope}": Error executing template: nope is not found' ]
}
