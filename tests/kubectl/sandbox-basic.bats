#!/usr/bin/env bats
# Real kubectl against the sandbox API server over plain HTTP: version,
# health, discovery, and namespace/configmap CRUD through the store.
bats_require_minimum_version 1.5.0

setup_file() {
	load ../helpers/sbx-serve
	sbx_start --plain
	export SBX_DIR SBX_PID SBX_URL SBX_PORT SBX_SCHEME KUBECONFIG KUBECACHEDIR
}

teardown_file() {
	load ../helpers/sbx-serve
	sbx_stop
}

setup() {
	load ../helpers/sbx-serve
}

@test "/version reports 1.32 with major, minor and gitVersion" {
	run -0 curl -sf "$SBX_URL/version"
	[[ "$output" == *'"major":"1"'* ]]
	[[ "$output" == *'"minor":"32"'* ]]
	[[ "$output" == *'"gitVersion":"v1.32.0-maas"'* ]]
	run -0 --separate-stderr kubectl version -o json
	[[ "$output" == *'"gitVersion": "v1.32.0-maas"'* ]]
}

@test "/healthz and /readyz answer ok" {
	run -0 curl -sf "$SBX_URL/healthz"
	[ "$output" = ok ]
	run -0 curl -sf "$SBX_URL/readyz"
	[ "$output" = ok ]
}

@test "/api and /apis serve legacy and aggregated discovery" {
	run -0 curl -sf "$SBX_URL/api"
	[[ "$output" == *'"kind":"APIVersions"'* ]]
	run -0 curl -sf "$SBX_URL/apis"
	[[ "$output" == *'"kind":"APIGroupList"'* ]]
	[[ "$output" == *'"name":"apiextensions.k8s.io"'* ]]
	run -0 curl -sf -D - -o /dev/null -H 'Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' "$SBX_URL/api"
	[[ "$output" == *'Content-Type: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList'* ]]
	run -0 curl -sf "$SBX_URL/api/v1"
	[[ "$output" == *'"name":"configmaps"'*'"shortNames":["cm"]'* ]]
}

@test "a fresh sandbox has the default namespace" {
	run -0 --separate-stderr kubectl get ns default -o jsonpath='{.status.phase}'
	[ "$output" = Active ]
}

@test "namespace and configmap CRUD with kubectl" {
	cat >"$BATS_TEST_TMPDIR/ns.yaml" <<-'Y'
	apiVersion: v1
	kind: Namespace
	metadata: {name: team-a}
	Y
	run -0 --separate-stderr kubectl create -f "$BATS_TEST_TMPDIR/ns.yaml"
	[ "$output" = "namespace/team-a created" ]
	cat >"$BATS_TEST_TMPDIR/cm.yaml" <<-'Y'
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: cfg, namespace: team-a, labels: {tier: gold}}
	data: {a: "1", b: "2"}
	Y
	run -0 --separate-stderr kubectl apply -f "$BATS_TEST_TMPDIR/cm.yaml"
	[ "$output" = "configmap/cfg created" ]
	run -0 --separate-stderr kubectl apply -f "$BATS_TEST_TMPDIR/cm.yaml"
	[ "$output" = "configmap/cfg unchanged" ]
	run -0 --separate-stderr kubectl get cm -n team-a
	[[ "${lines[0]}" =~ ^NAME\ +DATA\ +AGE$ ]]
	[[ "${lines[1]}" =~ ^cfg\ +2\ + ]]
	run -0 --separate-stderr kubectl get cm cfg -n team-a -o jsonpath='{.data.b}'
	[ "$output" = 2 ]
	sed -i 's/b: "2"/b: "3"/' "$BATS_TEST_TMPDIR/cm.yaml"
	run -0 --separate-stderr kubectl apply -f "$BATS_TEST_TMPDIR/cm.yaml"
	[ "$output" = "configmap/cfg configured" ]
	run -0 --separate-stderr kubectl get cm cfg -n team-a -o jsonpath='{.data.b}'
	[ "$output" = 3 ]
	run -0 --separate-stderr kubectl delete cm cfg -n team-a
	[ "$output" = 'configmap "cfg" deleted' ]
	run -1 --separate-stderr kubectl get cm cfg -n team-a
	[ "$stderr" = 'Error from server (NotFound): configmaps "cfg" not found' ]
}

@test "objects survive a restart with their resourceVersion" {
	cat >"$BATS_TEST_TMPDIR/cm.yaml" <<-'Y'
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: keep, namespace: default}
	data: {k: v}
	Y
	run -0 --separate-stderr kubectl create -f "$BATS_TEST_TMPDIR/cm.yaml"
	rv=$(kubectl get cm keep -o jsonpath='{.metadata.resourceVersion}')
	uid=$(kubectl get cm keep -o jsonpath='{.metadata.uid}')
	sbx_restart
	export SBX_PID
	run -0 --separate-stderr kubectl get cm keep -o jsonpath='{.metadata.resourceVersion} {.metadata.uid}'
	[ "$output" = "$rv $uid" ]
}
