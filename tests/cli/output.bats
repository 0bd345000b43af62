#!/usr/bin/env bats
# maasctl's -o printers (common/output) against real kubectl: kubectl gets
# a fixture from the scripted responder (aggregated discovery, then the
# Table or list), and tests/helpers/output-tool prints the same fixture
# through common/output; stdout, stderr and status must be identical.
bats_require_minimum_version 1.5.0

load ../helpers/responder

setup() {
	command -v kubectl >/dev/null 2>&1 ||
	    skip "kubectl is not installed: fidelity against kubectl not checked"
	root=${MAASCTL_TEST_ROOT:-$BATS_TEST_DIRNAME/../..}
	case ${BUILD:-build} in
	/*) bdir=$BUILD ;;
	*) bdir=$root/${BUILD:-build} ;;
	esac
	TOOL=$bdir/tests/helpers/output-tool
	RESPONDER_BIN=$bdir/tests/helpers/responder
	[ -x "$TOOL" ] && [ -x "$RESPONDER_BIN" ] ||
	    skip "test helpers not built (make tests-build)"
	FIX=$root/tests/fixtures/objects
	DISC=$root/tests/fixtures/discovery
	# The versioned binary beside the gcloud dispatcher skips its
	# GET /version; a plain kubectl gets a /version reply first.
	KUBECTL=$(dirname "$(readlink -f "$(command -v kubectl)")")/kubectl.1.32
	[ -x "$KUBECTL" ] || KUBECTL=$(command -v kubectl)
}

teardown() {
	responder_stop
}

# kget REPLY_FILE kubectl-args...: kubectl get against a responder that
# serves discovery and then REPLY_FILE; sets kout, kerr, kstatus.
kget() {
	local reply=$1 dir=$BATS_TEST_TMPDIR/k.$RANDOM
	shift
	mkdir -p "$dir"
	{
		case $KUBECTL in
		*kubectl.1.*) ;;
		*) printf 'header Content-Type: application/json\n'
		   printf 'body {"major":"1","minor":"32","gitVersion":"v1.32.0"}\n---\n' ;;
		esac
		printf 'header Content-Type: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList\n'
		printf 'bodyfile %s\n---\n' "$DISC/api-aggregated.json"
		printf 'header Content-Type: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList\n'
		printf 'bodyfile %s\n---\n' "$DISC/apis-maas-aggregated.json"
		printf 'header Content-Type: application/json\nbodyfile %s\n' "$reply"
	} >"$dir/script"
	responder_start "$dir/script"
	cat >"$dir/kubeconfig" <<-EOF
	apiVersion: v1
	kind: Config
	clusters: [{name: c, cluster: {server: "http://127.0.0.1:$RESPONDER_PORT"}}]
	users: [{name: u, user: {}}]
	contexts: [{name: x, context: {cluster: c, user: u, namespace: models}}]
	current-context: x
	EOF
	run --separate-stderr "$KUBECTL" --kubeconfig "$dir/kubeconfig" \
	    --cache-dir "$dir/cache" get "$@"
	kout=$output kerr=$stderr kstatus=$status
	responder_stop
}

# same_as_kubectl: the last output-tool run matches the last kget.
same_as_kubectl() {
	if [ "$output" != "$kout" ] || [ "$stderr" != "$kerr" ] ||
	    [ "$status" -ne "$kstatus" ]; then
		printf 'kubectl (%s):\n%s\n%s\nmaasctl (%s):\n%s\n%s\n' \
		    "$kstatus" "$kout" "$kerr" "$status" "$output" "$stderr"
		return 1
	fi
}

@test "table: priority-0 columns, upper-cased, padded, cut at a newline" {
	kget "$FIX/maasmodelrefs-table.json" maasmodelrefs
	run -0 --separate-stderr "$TOOL" -n models "$FIX/maasmodelrefs-table.json"
	same_as_kubectl
	[ "${lines[0]}" = "NAME      PHASE     ENDPOINT                            HTTPROUTE     GATEWAY                AGE" ]
}

@test "wide: priority-1 columns too" {
	kget "$FIX/maasmodelrefs-table.json" maasmodelrefs -o wide
	run -0 --separate-stderr "$TOOL" -o wide -n models "$FIX/maasmodelrefs-table.json"
	same_as_kubectl
	[[ "${lines[0]}" == *"GATEWAY                REASON            AGE" ]]
}

@test "-A, --show-labels and -L" {
	kget "$FIX/maasmodelrefs-table.json" maasmodelrefs -A --show-labels -L tier -L example.com/app
	run -0 --separate-stderr "$TOOL" -A -l -L tier -L example.com/app "$FIX/maasmodelrefs-table.json"
	same_as_kubectl
	[[ "${lines[0]}" == "NAMESPACE   NAME "* ]]
}

@test "--no-headers and --show-kind" {
	kget "$FIX/maasmodelrefs-table.json" maasmodelrefs --no-headers --show-kind
	run -0 --separate-stderr "$TOOL" -H -K -k MaaSModelRef -g maas.opendatahub.io \
	    -n models "$FIX/maasmodelrefs-table.json"
	same_as_kubectl
	[[ "${lines[0]}" == "maasmodelref.maas.opendatahub.io/llama "* ]]
}

@test "an empty table: No resources found on stderr" {
	sed 's/"rows": \[/"rows": [], "unused": [/' "$FIX/maasmodelrefs-table.json" \
	    >"$BATS_TEST_TMPDIR/empty.json"
	kget "$BATS_TEST_TMPDIR/empty.json" maasmodelrefs
	run -0 --separate-stderr "$TOOL" -n models "$BATS_TEST_TMPDIR/empty.json"
	same_as_kubectl
	[ "$stderr" = "No resources found in models namespace." ]
	kget "$BATS_TEST_TMPDIR/empty.json" maasmodelrefs -A
	run -0 --separate-stderr "$TOOL" -A "$BATS_TEST_TMPDIR/empty.json"
	same_as_kubectl
	[ "$stderr" = "No resources found" ]
}

@test "a list without printer columns: NAME and AGE" {
	sed 's/2026-11-22T1/2020-01-05T1/' "$FIX/subscriptions-list.json" \
	    >"$BATS_TEST_TMPDIR/old.json"
	kget "$BATS_TEST_TMPDIR/old.json" maassubscriptions
	run -0 --separate-stderr "$TOOL" -n models "$BATS_TEST_TMPDIR/old.json"
	same_as_kubectl
	[ "${lines[0]}" = "NAME   AGE" ]
}

@test "-o json wraps the list as kubectl's List" {
	kget "$FIX/subscriptions-list.json" maassubscriptions -o json
	run -0 --separate-stderr "$TOOL" -o json "$FIX/subscriptions-list.json"
	same_as_kubectl
}

@test "-o yaml" {
	kget "$FIX/subscriptions-list.json" maassubscriptions -o yaml
	run -0 --separate-stderr "$TOOL" -o yaml "$FIX/subscriptions-list.json"
	same_as_kubectl
}

@test "-o name" {
	kget "$FIX/subscriptions-list.json" maassubscriptions -o name
	run -0 --separate-stderr "$TOOL" -o name "$FIX/subscriptions-list.json"
	same_as_kubectl
	[ "${lines[0]}" = "maassubscription.maas.opendatahub.io/gold" ]
}

@test "-o custom-columns: <none>, joined values, Go's formatting of maps" {
	local spec='NAME:.metadata.name,RV:metadata.resourceVersion,GROUPS:{.spec.owner.groups[*].name},NOTE:.status.note,LIMITS:.spec.modelRefs[*].tokenRateLimits[0].limit,LABELS:.metadata.labels,X:.x'
	kget "$FIX/subscriptions-list.json" maassubscriptions -o "custom-columns=$spec"
	run -0 --separate-stderr "$TOOL" -o "custom-columns=$spec" "$FIX/subscriptions-list.json"
	same_as_kubectl
}

@test "-o custom-columns-file" {
	printf 'NAME  PHASE   READY\n.metadata.name {.status.phase} .status.conditions[?(@.type=="Ready")].status\n' \
	    >"$BATS_TEST_TMPDIR/cols"
	kget "$FIX/subscriptions-list.json" maassubscriptions -o "custom-columns-file=$BATS_TEST_TMPDIR/cols"
	run -0 --separate-stderr "$TOOL" -o "custom-columns-file=$BATS_TEST_TMPDIR/cols" "$FIX/subscriptions-list.json"
	same_as_kubectl
}

@test "-o jsonpath= and jsonpath-as-json= over the wrapped list" {
	local t='{.kind}/{.metadata}: {range .items[*]}{.metadata.name}={.spec.priority} {end}'
	kget "$FIX/subscriptions-list.json" maassubscriptions -o "jsonpath=$t"
	run -0 --separate-stderr "$TOOL" -o "jsonpath=$t" "$FIX/subscriptions-list.json"
	same_as_kubectl
	kget "$FIX/subscriptions-list.json" maassubscriptions -o 'jsonpath-as-json={.items[*].spec.modelRefs[*].tokenRateLimits}'
	run -0 --separate-stderr "$TOOL" -o 'jsonpath-as-json={.items[*].spec.modelRefs[*].tokenRateLimits}' "$FIX/subscriptions-list.json"
	same_as_kubectl
}

@test "an unknown -o: kubectl's wording, exit 2" {
	run -2 --separate-stderr "$TOOL" -o xml "$FIX/subscriptions-list.json"
	[ "$output" = "" ]
	[ "$stderr" = 'error: unable to match a printer suitable for the output format "xml", allowed formats are: custom-columns,custom-columns-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,table,wide,yaml' ]
	run -2 --separate-stderr "$TOOL" -o jsonpath "$FIX/subscriptions-list.json"
	[ "$stderr" = "error: template format specified but no template given" ]
}

# jp_get TEMPLATE: kubectl get -o jsonpath on the subscriptions list (numbers
# decoded as kubectl get decodes them: int64 or float64) against maasctl.
jp_get() {
	kget "$FIX/subscriptions-list.json" maassubscriptions -o "jsonpath=$1"
	run --separate-stderr "$TOOL" -o "jsonpath=$1" "$FIX/subscriptions-list.json"
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

@test "jsonpath numbers as kubectl get decodes them (int64, float64)" {
	jp_get '{.items[*].spec.modelRefs[*].tokenRateLimits[*].limit}'
	[ "$output" = "100000 2500.5 1000" ]
	jp_get '{.items[?(@.spec.priority>5)].metadata.name}'
	[ "$output" = "gold" ]
	jp_get '{.items[?(@.spec.priority<=0)].metadata.name}'
	jp_get '{.items[?(@.spec.priority==10)].spec.priority}'
	jp_get '{.items[0].spec.modelRefs[1].tokenRateLimits[?(@.limit>2000.0)].window}'
	[ "$output" = "24h" ]
}

@test "jsonpath comparison errors as kubectl get reports them" {
	jp_get '{.items[0].spec.modelRefs[*].tokenRateLimits[?(@.limit>2000.0)].window}'
	[ "$status" -eq 1 ]
	jp_get '{.items[?(@.status.note=="x")]}'
	[ "$status" -eq 1 ]
	jp_get '{.items[?(@.status.suspended==false)].metadata.name}'
	[ "$output" = "free" ]
	jp_get '{.items[?(@.spec.owner.groups[*].name=="admins")]}'
	[ "$status" -eq 1 ]
}
