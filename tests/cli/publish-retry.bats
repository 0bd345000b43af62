#!/usr/bin/env bats
# publish-retry.bats: publish and unpublish patch the LLMInferenceService
# behind a test of its resourceVersion.  The controller writes the object
# (its status) at any moment, so when the test fails because the object
# moved on, maasctl reads it again and patches anew; when it did not move
# on, or keeps moving, the server's reason comes out in one line, exit 1.
# A scripted API server (the responder) plays the race exactly.
bats_require_minimum_version 1.5.0
load ../helpers/scripted

DISCOVERY="$J
body {\"kind\":\"APIGroup\",\"apiVersion\":\"v1\",\"name\":\"serving.kserve.io\",\"versions\":[{\"groupVersion\":\"serving.kserve.io/v1alpha1\",\"version\":\"v1alpha1\"}],\"preferredVersion\":{\"groupVersion\":\"serving.kserve.io/v1alpha1\",\"version\":\"v1alpha1\"}}
---
$J
body {\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"serving.kserve.io/v1alpha1\",\"resources\":[{\"name\":\"llminferenceservices\",\"singularName\":\"llminferenceservice\",\"namespaced\":true,\"kind\":\"LLMInferenceService\",\"verbs\":[\"create\",\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"],\"shortNames\":[\"llmisvc\"]}]}
---
$J
body {\"kind\":\"APIGroup\",\"apiVersion\":\"v1\",\"name\":\"maas.opendatahub.io\",\"versions\":[{\"groupVersion\":\"maas.opendatahub.io/v1alpha1\",\"version\":\"v1alpha1\"}],\"preferredVersion\":{\"groupVersion\":\"maas.opendatahub.io/v1alpha1\",\"version\":\"v1alpha1\"}}
---
$J
body {\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"maas.opendatahub.io/v1alpha1\",\"resources\":[{\"name\":\"maasauthpolicies\",\"singularName\":\"maasauthpolicy\",\"namespaced\":true,\"kind\":\"MaaSAuthPolicy\",\"verbs\":[\"create\",\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"],\"shortNames\":[\"ap\"]},{\"name\":\"maasmodelrefs\",\"singularName\":\"maasmodelref\",\"namespaced\":true,\"kind\":\"MaaSModelRef\",\"verbs\":[\"create\",\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"],\"shortNames\":[\"mr\"]},{\"name\":\"maassubscriptions\",\"singularName\":\"maassubscription\",\"namespaced\":true,\"kind\":\"MaaSSubscription\",\"verbs\":[\"create\",\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"],\"shortNames\":[\"sub\",\"subs\"]}]}
---"

# isvc RV [REFS]: the LLMInferenceService llm/m at resourceVersion RV.
isvc() {
	local router=
	[ -z "${2:-}" ] || router=',"router":{"route":{},"gateway":{"refs":'$2'}}'
	printf '%s\nbody {"apiVersion":"serving.kserve.io/v1alpha1","kind":"LLMInferenceService","metadata":{"name":"m","namespace":"llm","resourceVersion":"%s"},"spec":{"model":{"uri":"hf://x/y","name":"facebook/opt-125m"}%s}}\n---\n' \
	    "$J" "$1" "$router"
}
# test_failed RV: the server's answer to a patch whose test failed.
test_failed() {
	printf 'status 422 Unprocessable Entity\n%s\nbody {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"testing value /metadata/resourceVersion failed: test failed","reason":"Invalid","code":422}\n---\n' "$J"
}
NOTFOUND="status 404 Not Found
$J
body {\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"not found\",\"reason\":\"NotFound\",\"code\":404}
---"
MR_CREATED="status 201 Created
$J
body {\"apiVersion\":\"maas.opendatahub.io/v1alpha1\",\"kind\":\"MaaSModelRef\",\"metadata\":{\"name\":\"m\",\"namespace\":\"llm\",\"resourceVersion\":\"9\"},\"spec\":{\"modelRef\":{\"kind\":\"LLMInferenceService\",\"name\":\"m\"}}}
---"
EMPTY_LISTS="$J
body {\"kind\":\"List\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"9\"},\"items\":[]}
times 2
---"
GW='[{"name":"maas-default-gateway","namespace":"openshift-ingress"}]'

ctl() { scripted_ctl -n llm "$@"; }
# patches: the test values the PATCH requests carried, one per line.
patches() {
	awk '/^=== [0-9]+ PATCH /{p=1; next} /^=== /{p=0} p && /^\[/' "$RESPONDER_LOG" |
	    jq -r '.[0] | "\(.op) \(.value)"'
}

@test "publish: the object moved on between read and patch: read again, patch again" {
	{
		printf '%s\n' "$DISCOVERY"
		isvc 1; printf '%s\n' "$NOTFOUND"
		test_failed; isvc 2
		printf '%s\n' "$J" 'body {}' ---
		printf '%s\n' "$NOTFOUND" "$MR_CREATED" "$EMPTY_LISTS"
		printf '%s\n' "${MR_CREATED#*$'\n'}"
	} >"$BATS_TEST_TMPDIR/script"
	responder_start "$BATS_TEST_TMPDIR/script"
	run -0 --separate-stderr ctl publish m --no-wait -v=4
	[ "${lines[0]}" = "llminferenceservice.serving.kserve.io/m patched" ]
	[ "${lines[1]}" = "maasmodelref.maas.opendatahub.io/m created" ]
	[[ $stderr == *"LLMInferenceService llm/m changed (resourceVersion 1, now 2): patching again"* ]]
	run -0 patches
	[ "$output" = $'test 1\ntest 2' ]
}

@test "publish: a failed test on an object that did not move on is the server's reason (as kubectl words it), exit 1" {
	{
		printf '%s\n' "$DISCOVERY"
		isvc 1; printf '%s\n' "$NOTFOUND"
		test_failed; isvc 1
	} >"$BATS_TEST_TMPDIR/script"
	responder_start "$BATS_TEST_TMPDIR/script"
	run -1 --separate-stderr ctl publish m --no-wait
	[ "$output" = "" ]
		[ "$stderr" = "The request is invalid: testing value /metadata/resourceVersion failed: test failed" ]
	[ "$(grep -c '^=== [0-9]* PATCH ' "$RESPONDER_LOG")" -eq 1 ]
	[ "$(grep -c '^=== [0-9]* POST ' "$RESPONDER_LOG")" -eq 0 ]
}

@test "publish: an object that keeps moving is given up after 5 tries, nothing created" {
	{
		printf '%s\n' "$DISCOVERY"
		isvc 1; printf '%s\n' "$NOTFOUND"
		for rv in 2 3 4 5 6; do test_failed; isvc "$rv"; done
	} >"$BATS_TEST_TMPDIR/script"
	responder_start "$BATS_TEST_TMPDIR/script"
	run -1 --separate-stderr ctl publish m --no-wait
	[[ $stderr == "The request is invalid: testing value /metadata/resourceVersion failed: test failed" ]]
	run -0 patches
	[ "$output" = $'test 1\ntest 2\ntest 3\ntest 4\ntest 5' ]
	[ "$(grep -c '^=== [0-9]* POST ' "$RESPONDER_LOG")" -eq 0 ]
}

@test "unpublish: the object moved on: read again; the ref already gone means nothing to patch" {
	NOAP="${NOTFOUND}"
	{
		printf '%s\n' "$DISCOVERY"
		printf '%s\n' "$NOAP" "$NOAP"
		printf '%s\nbody {"apiVersion":"maas.opendatahub.io/v1alpha1","kind":"MaaSModelRef","metadata":{"name":"m","namespace":"llm"}}\n---\n' "$J"
		printf '%s\nbody {"kind":"Status","apiVersion":"v1","status":"Success"}\n---\n' "$J"
		isvc 1 "$GW"; test_failed; isvc 2 "$GW"
		printf '%s\n' "$J" 'body {}' ---
		printf '%s\n' "$EMPTY_LISTS"
	} >"$BATS_TEST_TMPDIR/script"
	responder_start "$BATS_TEST_TMPDIR/script"
	run -0 --separate-stderr ctl unpublish m
	[ "${lines[0]}" = "maasmodelref.maas.opendatahub.io/m deleted" ]
	[ "${lines[1]}" = "llminferenceservice.serving.kserve.io/m patched" ]
	run -0 patches
	[ "$output" = $'test 1\ntest 2' ]
	# Someone else took the ref off meanwhile: no second patch.
	responder_stop
	{
		printf '%s\n' "$DISCOVERY"
		printf '%s\n' "$NOAP" "$NOAP"
		printf '%s\nbody {"apiVersion":"maas.opendatahub.io/v1alpha1","kind":"MaaSModelRef","metadata":{"name":"m","namespace":"llm"}}\n---\n' "$J"
		printf '%s\nbody {"kind":"Status","apiVersion":"v1","status":"Success"}\n---\n' "$J"
		isvc 1 "$GW"; test_failed; isvc 2 '[]'
		printf '%s\n' "$EMPTY_LISTS"
	} >"$BATS_TEST_TMPDIR/script2"
	responder_start "$BATS_TEST_TMPDIR/script2"
	run -0 --separate-stderr ctl unpublish m
	[ "${lines[0]}" = "maasmodelref.maas.opendatahub.io/m deleted" ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(grep -c '^=== [0-9]* PATCH ' "$RESPONDER_LOG")" -eq 1 ]
}
