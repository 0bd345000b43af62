#!/usr/bin/env bats
# resource.bats: kubectl's generic verbs (get, apply, delete) against a
# real sandbox: type resolution through discovery, server-side tables and
# -o printers, multi-document/directory/stdin apply, idempotence,
# server-side apply conflicts, and kubectl's error texts and exit codes.
# Where kubectl is installed, its output for the same objects is compared.
bats_require_minimum_version 1.5.0
load ../helpers/common
load ../helpers/sandbox

FIX=$BATS_TEST_DIRNAME/../fixtures/resource

setup_file() { sandbox_start; }
teardown_file() { sandbox_stop; }

setup() {
	common_setup
	sandbox_use
	# Every test works in a namespace of its own.
	NS=t$BATS_TEST_NUMBER
	kubectl_ok=0
	command -v kubectl >/dev/null && kubectl_ok=1
	# The MaasTenantConfig lets the tenant webhook admit MaaS CRs there.
	run -0 maasctl apply -f - <<-EOF2
	apiVersion: v1
	kind: Namespace
	metadata:
	  name: $NS
	---
	apiVersion: maas.opendatahub.io/v1alpha1
	kind: MaasTenantConfig
	metadata:
	  name: default-tenant
	  namespace: $NS
	spec: {}
	EOF2
}

teardown() { common_teardown; }

# sub NAME [LIMIT]: a MaaSSubscription manifest.
sub() {
	cat <<-EOF2
	apiVersion: maas.opendatahub.io/v1alpha1
	kind: MaaSSubscription
	metadata:
	  name: $1
	spec:
	  owner:
	    groups:
	    - name: users
	  modelRefs:
	  - name: llama
	    namespace: models
	    tokenRateLimits:
	    - limit: ${2:-100}
	      window: 1m
	EOF2
}

@test "apply -f of a multi-document file creates, then is unchanged" {
	run -0 maasctl -n "$NS" apply -f "$FIX/subs.yaml"
	[ "${lines[0]}" = "maassubscription.maas.opendatahub.io/gold created" ]
	[ "${lines[1]}" = "configmap/settings created" ]
	[ "${#lines[@]}" -eq 2 ]
	run -0 maasctl -n "$NS" apply -f "$FIX/subs.yaml"
	[ "${lines[0]}" = "maassubscription.maas.opendatahub.io/gold unchanged" ]
	[ "${lines[1]}" = "configmap/settings unchanged" ]
	# kubectl agrees that nothing changed (same last-applied annotation).
	if [ $kubectl_ok = 1 ]; then
		run -0 kubectl -n "$NS" apply -f "$FIX/subs.yaml"
		[ "${lines[0]}" = "maassubscription.maas.opendatahub.io/gold unchanged" ]
		[ "${lines[1]}" = "configmap/settings unchanged" ]
	fi
}

@test "apply -f changes are configured, dropped fields are removed" {
	sub s1 100 | maasctl -n "$NS" apply -f - >/dev/null
	run -0 maasctl -n "$NS" apply -f - < <(sub s1 200)
	[ "$output" = "maassubscription.maas.opendatahub.io/s1 configured" ]
	run -0 maasctl -n "$NS" get maassubscription s1 -o 'jsonpath={.spec.modelRefs[0].tokenRateLimits[0].limit}'
	[ "$output" = 200 ]
	# A label applied once and then dropped from the manifest goes away.
	sub s1 200 | sed 's/^  name: s1$/  name: s1\n  labels: {x: why}/' | maasctl -n "$NS" apply -f - >/dev/null
	run -0 maasctl -n "$NS" get maassubscriptions s1 -o 'jsonpath={.metadata.labels.x}'
	[ "$output" = why ]
	run -0 maasctl -n "$NS" apply -f - < <(sub s1 200)
	[ "$output" = "maassubscription.maas.opendatahub.io/s1 configured" ]
	run -0 maasctl -n "$NS" get MaaSSubscription s1 -o json
	[[ $output != *'"x"'* ]]
}

@test "apply -f of a directory, -R, and --dry-run" {
	d=$BATS_TEST_TMPDIR/m
	mkdir -p "$d/sub"
	sub a > "$d/1.yaml"
	sub b > "$d/2.yml"
	sub c > "$d/sub/3.yaml"
	echo "not a manifest" > "$d/README"
	run -0 maasctl -n "$NS" apply -f "$d" --dry-run=client
	[ "${lines[0]}" = "maassubscription.maas.opendatahub.io/a created (dry run)" ]
	[ "${#lines[@]}" -eq 2 ]
	run -0 maasctl -n "$NS" apply -f "$d" --dry-run=server
	[ "${lines[1]}" = "maassubscription.maas.opendatahub.io/b created (server dry run)" ]
	run -4 maasctl -n "$NS" get maassubscription a
	run -0 maasctl -n "$NS" apply -R -f "$d"
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[2]}" = "maassubscription.maas.opendatahub.io/c created" ]
	run -2 maasctl apply -f "$d/missing.yaml"
	[ "$output" = 'error: the path "'"$d"'/missing.yaml" does not exist' ]
	run -2 maasctl apply
	[ "$output" = "error: must specify one of -f and -k" ]
}

@test "get: tables from the server, -A, -l, --field-selector, names" {
	maasctl -n "$NS" apply -f "$FIX/subs.yaml" >/dev/null
	sub other | maasctl -n "$NS" apply -f - >/dev/null
	run -0 maasctl -n "$NS" get maassubscriptions
	[[ ${lines[0]} =~ ^NAME\ +PHASE\ +PRIORITY\ +AGE$ ]]
	[[ ${lines[1]} =~ ^gold\  ]]
	[[ ${lines[2]} =~ ^other\  ]]
	run -0 maasctl -n "$NS" get maassubscriptions -l tier=gold --no-headers
	[ "${#lines[@]}" -eq 1 ]
	[[ ${lines[0]} =~ ^gold\  ]]
	run -0 --separate-stderr maasctl -n "$NS" get maassubscriptions -l tier=none
	[ "$output" = "" ]
	[ "$stderr" = "No resources found in $NS namespace." ]
	run -0 maasctl -n "$NS" get maassubscriptions --field-selector metadata.name=other -o name
	[ "$output" = "maassubscription.maas.opendatahub.io/other" ]
	run -0 maasctl -A get maassubscription
	[[ ${lines[0]} =~ ^NAMESPACE\ +NAME\ +PHASE ]]
	[[ $output == *"$NS "*gold* ]]
	run -0 maasctl -n "$NS" get cm settings other-missing-ok --ignore-not-found -o name
	[ "$output" = "configmap/settings" ]
	run -0 maasctl -n "$NS" get maassubscriptions gold other -o name
	[ "$output" = $'maassubscription.maas.opendatahub.io/gold\nmaassubscription.maas.opendatahub.io/other' ]
	run -0 maasctl -n "$NS" get maassubscriptions gold -o 'jsonpath={.spec.owner.groups[0].name}'
	[ "$output" = gold-users ]
	run -0 maasctl -n "$NS" get configmap settings -o yaml
	[[ $output == *"  mode: fast"* ]]
	run -0 maasctl -n "$NS" get namespaces "$NS" -o name
	[ "$output" = "namespace/$NS" ]
}

@test "get output matches kubectl's for the same objects" {
	[ $kubectl_ok = 1 ] || skip "kubectl not installed"
	maasctl -n "$NS" apply -f "$FIX/subs.yaml" >/dev/null
	# Ages can tick between the two runs: compare tables without them.
	run -0 maasctl -n "$NS" get maassubscriptions -o wide
	mine=$(awk '{ $NF = ""; print }' <<<"$output")
	run -0 kubectl -n "$NS" get maassubscriptions -o wide
	[ "$mine" = "$(awk '{ $NF = ""; print }' <<<"$output")" ]
	for o in json yaml name 'jsonpath={.items[*].metadata.name}'; do
		run -0 maasctl -n "$NS" get maassubscriptions -o "$o"
		mine=$output
		run -0 kubectl -n "$NS" get maassubscriptions -o "$o"
		[ "$mine" = "$output" ] || { echo "-o $o differs:"; diff <(echo "$mine") <(echo "$output"); false; }
	done
	run -0 maasctl -n "$NS" get cm settings -o json
	mine=$output
	run -0 kubectl -n "$NS" get cm settings -o json
	[ "$mine" = "$output" ]
	run -0 maasctl -n "$NS" get maassubscriptions --no-headers -o custom-columns=N:.metadata.name
	[ "$output" = gold ]
}

@test "errors: unknown type, NotFound, Invalid, Forbidden" {
	run -4 maasctl -n "$NS" get widgets
	[ "$output" = 'error: the server doesn'"'"'t have a resource type "widgets"' ]
	run -4 maasctl -n "$NS" get maassubscription nope
	[ "$output" = 'Error from server (NotFound): maassubscriptions.maas.opendatahub.io "nope" not found' ]
	if [ $kubectl_ok = 1 ]; then
		run -1 kubectl -n "$NS" get maassubscription nope
		[ "$output" = 'Error from server (NotFound): maassubscriptions.maas.opendatahub.io "nope" not found' ]
	fi
	run -4 maasctl -n "$NS" delete maassubscription nope
	[ "$output" = 'Error from server (NotFound): maassubscriptions.maas.opendatahub.io "nope" not found' ]
	run -1 maasctl -n "$NS" apply -f - < <(sub bad 0)
	[[ $output == 'The MaaSSubscription "bad" is invalid: '*'spec.modelRefs[0].tokenRateLimits[0].limit'* ]]
	if [ $kubectl_ok = 1 ]; then
		mine=$output
		run -1 kubectl -n "$NS" apply -f - < <(sub bad 0)
		[ "$mine" = "$output" ]
	fi
	tok=$(sandbox_token alice)
	run -3 maasctl --token "$tok" -n "$NS" apply -f - < <(sub s2)
	[[ $output == 'Error from server (Forbidden): error when creating "STDIN": '* ]]
	run -0 maasctl -n "$NS" apply -f - < <(sub s2)
	run -3 maasctl --token "$tok" -n "$NS" delete maassubscription s2
	[[ $output == 'Error from server (Forbidden): '* ]]
	# Reads are open to everyone in the sandbox.
	run -0 maasctl --token "$tok" -n "$NS" get maassubscription s2 -o name
}

@test "server-side apply: field manager conflict is exit 5, --force-conflicts wins" {
	run -0 maasctl -n "$NS" apply --server-side -f - < <(sub ss 100)
	[ "$output" = "maassubscription.maas.opendatahub.io/ss serverside-applied" ]
	run -5 maasctl -n "$NS" apply --server-side --field-manager other -f - < <(sub ss 300)
	[[ ${lines[0]} == 'error: Apply failed with '*' conflicts with "kubectl":' ]]
	[[ $output == *"Please review the fields above--they currently have other managers. Here"* ]]
	if [ $kubectl_ok = 1 ]; then
		mine=$output
		run -1 kubectl -n "$NS" apply --server-side --field-manager other -f - < <(sub ss 300)
		[ "$mine" = "$output" ]
	fi
	run -0 maasctl -n "$NS" get maassubscription ss -o 'jsonpath={.spec.modelRefs[0].tokenRateLimits[0].limit}'
	[ "$output" = 100 ]
	run -0 maasctl -n "$NS" apply --server-side --field-manager other --force-conflicts -f - < <(sub ss 300)
	run -0 maasctl -n "$NS" get maassubscription ss -o 'jsonpath={.spec.modelRefs[0].tokenRateLimits[0].limit}'
	[ "$output" = 300 ]
	run -2 maasctl -n "$NS" apply --force-conflicts -f - < <(sub ss 300)
	[ "$output" = "error: --force-conflicts only works with --server-side" ]
}

@test "delete -f and delete KIND NAME print kubectl's lines" {
	maasctl -n "$NS" apply -f "$FIX/subs.yaml" >/dev/null
	run -0 maasctl -n "$NS" delete -f "$FIX/subs.yaml" --dry-run=server
	[ "${lines[0]}" = 'maassubscription.maas.opendatahub.io "gold" deleted (server dry run)' ]
	run -0 maasctl -n "$NS" delete -f "$FIX/subs.yaml"
	[ "${lines[0]}" = 'maassubscription.maas.opendatahub.io "gold" deleted' ]
	[ "${lines[1]}" = 'configmap "settings" deleted' ]
	run -4 maasctl -n "$NS" delete -f "$FIX/subs.yaml"
	[ "${lines[0]}" = 'Error from server (NotFound): error when deleting "'"$FIX"'/subs.yaml": maassubscriptions.maas.opendatahub.io "gold" not found' ]
	[ "${lines[1]}" = 'Error from server (NotFound): error when deleting "'"$FIX"'/subs.yaml": configmaps "settings" not found' ]
	run -0 maasctl -n "$NS" delete -f "$FIX/subs.yaml" --ignore-not-found
	[ "$output" = "" ]
	sub xa | maasctl -n "$NS" apply -f - >/dev/null
	sub ya | maasctl -n "$NS" apply -f - >/dev/null
	run -0 maasctl -n "$NS" delete maassubscriptions xa ya
	[ "$output" = $'maassubscription.maas.opendatahub.io "xa" deleted\nmaassubscription.maas.opendatahub.io "ya" deleted' ]
	run -2 maasctl -n "$NS" delete maassubscriptions
	[ "$output" = "error: resource(s) were provided, but no name was specified" ]
}

@test "unreachable server is exit 6, broken kubeconfig exit 3" {
	run -6 maasctl --server http://127.0.0.1:1 get configmaps
	[[ $output == "The connection to the server 127.0.0.1:1 was refused"* ]]
	printf 'apiVersion: v1\nkind: Config\nclusters: [\n' > "$BATS_TEST_TMPDIR/bad"
	run -3 maasctl --kubeconfig "$BATS_TEST_TMPDIR/bad" get configmaps
	[[ $output == *"$BATS_TEST_TMPDIR/bad"* ]]
}

@test "completion of -n offers the server's namespaces" {
	run -0 maasctl __complete -n ""
	[[ $output == *$'\n'"$NS"$'\n'* ]]
	[[ $output == *$'\n'"kube-system"$'\n'* || $output == "default"$'\n'* ]]
}
