#!/usr/bin/env bats
# wait.bats: `maasctl wait` and the wait-for-condition API behind every
# --wait option, against a real sandbox.  The objects are of a test CRD
# (Widget) that no sandbox controller reconciles, so each test sets the
# status itself through the /status subresource.
bats_require_minimum_version 1.5.0
load ../helpers/common
load ../helpers/sandbox
load ../helpers/responder

FIX=$BATS_TEST_DIRNAME/../fixtures/wait

setup_file() {
	sandbox_start
	MAASCTL_CONFIG=$SANDBOX_CONFIG KUBECONFIG=$SANDBOX_KUBECONFIG \
	    "$MAASCTL" apply -f "$FIX/widget-crd.yaml" >/dev/null
}
teardown_file() { sandbox_stop; }

setup() {
	common_setup
	sandbox_use
	NS=w$BATS_TEST_NUMBER
	api POST /api/v1/namespaces "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$NS\"}}"
}
teardown() {
	responder_stop 2>/dev/null || true
	common_teardown
}

# api METHOD PATH BODY [CONTENT-TYPE]: an admin request to the API server
# (curl, so that set-up costs no discovery round trips).
api() {
	sandbox_curl -f -o /dev/null -X "$1" \
	    -H "Authorization: Bearer $SANDBOX_ADMIN_TOKEN" \
	    -H "Content-Type: ${4:-application/json}" --data "$3" \
	    "$SANDBOX_API_URL$2"
}

W=/apis/test.maasctl.io/v1/namespaces

# widget NAME: create a Widget in $NS.
widget() {
	api POST "$W/$NS/widgets" "{\"apiVersion\":\"test.maasctl.io/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"$1\"},\"spec\":{\"size\":1}}"
}

# status NAME JSON: merge-patch the Widget's status subresource.
status() {
	api PATCH "$W/$NS/widgets/$1/status" "{\"status\":$2}" application/merge-patch+json
}

# bg_wait FILE ARGS...: run maasctl -v 1 ARGS in the background, stderr to
# FILE, and return once it has read the object (its first progress line).
bg_wait() {
	local f=$1 i
	shift
	"$MAASCTL" -v 1 "$@" >"$f.out" 2>"$f" &
	BG=$!
	for i in $(seq 1 200); do
		grep -q "$NS/" "$f" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

cond() { # TYPE STATUS REASON MESSAGE
	printf '{"type":"%s","status":"%s","reason":"%s","message":"%s","lastTransitionTime":"2026-11-22T00:00:00Z"}' "$@"
}

@test "an object already Active or Ready returns at once" {
	widget a
	status a '{"phase":"Active"}'
	run -0 --separate-stderr maasctl -n "$NS" wait widget/a
	[ "$output" = "widget.test.maasctl.io/a condition met" ]
	[ "$stderr" = "" ]
	widget b
	status b '{"phase":"Ready"}'
	run -0 maasctl -n "$NS" wait widgets/a Widget/b
	[ "$output" = $'widget.test.maasctl.io/a condition met\nwidget.test.maasctl.io/b condition met' ]
}

@test "a phase change seen through the watch ends the wait" {
	widget a
	status a '{"phase":"Pending"}'
	bg_wait "$BATS_TEST_TMPDIR/err" -n "$NS" wait widget.test.maasctl.io/a --timeout 20s
	status a '{"phase":"Degraded"}'
	status a '{"phase":"Active"}'
	rc=0
	wait $BG || rc=$?
	[ $rc -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/err.out")" = "widget.test.maasctl.io/a condition met" ]
	grep -qx "Widget $NS/a: phase Pending" "$BATS_TEST_TMPDIR/err"
	grep -qx "Widget $NS/a: phase Active" "$BATS_TEST_TMPDIR/err"
}

@test "kinds without a phase are ready when the Ready condition is True" {
	widget a
	status a "{\"conditions\":[$(cond Ready False Starting 'pulling image')]}"
	bg_wait "$BATS_TEST_TMPDIR/err" -n "$NS" wait widget.test.maasctl.io/a --timeout 20s
	status a "{\"conditions\":[$(cond Ready True Ready up)]}"
	wait $BG
	[ "$(cat "$BATS_TEST_TMPDIR/err.out")" = "widget.test.maasctl.io/a condition met" ]
}

@test "Failed ends the wait with exit 1 and the condition's message" {
	widget a
	status a '{"phase":"Pending"}'
	bg_wait "$BATS_TEST_TMPDIR/err" -n "$NS" wait widget.test.maasctl.io/a --timeout 20s
	status a "{\"phase\":\"Failed\",\"conditions\":[$(cond Ready False ReconcileFailed 'LLMInferenceService llm/x not found')]}"
	rc=0
	wait $BG || rc=$?
	[ $rc -eq 1 ]
	[ "$(cat "$BATS_TEST_TMPDIR/err.out")" = "" ]
	[ "$(tail -1 "$BATS_TEST_TMPDIR/err")" = "maasctl: Widget $NS/a failed: phase Failed (Ready=False ReconcileFailed: LLMInferenceService llm/x not found)" ]
	status a '{"phase":"Invalid"}'
	run -1 maasctl -n "$NS" wait widget/a
	[[ $output == "maasctl: Widget $NS/a failed: phase Invalid"* ]]
}

@test "timeout is exit 7 naming the object and its last phase and condition" {
	widget a
	status a "{\"phase\":\"Pending\",\"conditions\":[$(cond Ready False BackendNotReady 'backend not ready')]}"
	SECONDS=0
	run -7 --separate-stderr maasctl -n "$NS" wait widget/a --timeout 1s
	[ "$SECONDS" -lt 10 ]
	[ "$stderr" = "maasctl: timed out after 1s waiting for Widget $NS/a to become Ready: phase Pending (Ready=False BackendNotReady: backend not ready)" ]
	widget b
	run -7 maasctl -n "$NS" wait widget/b --timeout 500ms
	[ "$output" = "maasctl: timed out after 500ms waiting for Widget $NS/b to become Ready: no phase yet" ]
}

@test "a status the controller has not caught up with is not ready yet" {
	widget a
	status a '{"phase":"Active","observedGeneration":1}'
	api PATCH "$W/$NS/widgets/a" '{"spec":{"size":2}}' application/merge-patch+json
	gen=$(maasctl -n "$NS" get widget.test.maasctl.io a -o 'jsonpath={.metadata.generation}')
	[ "$gen" -gt 1 ]
	run -7 maasctl -n "$NS" wait widget.test.maasctl.io/a --timeout 500ms
	[[ $output == *"to become Ready: phase Active"* ]]
	status a "{\"observedGeneration\":$gen}"
	run -0 maasctl -n "$NS" wait widget.test.maasctl.io/a --timeout 5s
}

@test "--for phase= and --for condition= pick what counts as done" {
	widget a
	status a "{\"phase\":\"Degraded\",\"conditions\":[$(cond Synced True Ok ok)]}"
	run -0 maasctl -n "$NS" wait widget.test.maasctl.io/a --for phase=Active,Degraded
	run -0 maasctl -n "$NS" wait widget.test.maasctl.io/a --for condition=Synced
	run -0 maasctl -n "$NS" wait widget.test.maasctl.io/a --for condition=Synced=True
	run -7 maasctl -n "$NS" wait widget.test.maasctl.io/a --for phase=Active --timeout 300ms
	[[ $output == *"to reach the wanted phase: phase Degraded"* ]]
	run -7 maasctl -n "$NS" wait widget.test.maasctl.io/a --for condition=Ready --timeout 300ms
	[[ $output == *"to become Ready: phase Degraded"* ]]
}

@test "--for delete: gone already or deleted while waiting; deletion otherwise is exit 4" {
	run -0 maasctl -n "$NS" wait widget/none --for delete
	[ "$output" = "widget.test.maasctl.io/none condition met" ]
	widget a
	bg_wait "$BATS_TEST_TMPDIR/err" -n "$NS" wait widget.test.maasctl.io/a --for delete --timeout 20s
	api DELETE "$W/$NS/widgets/a" ""
	wait $BG
	widget b
	bg_wait "$BATS_TEST_TMPDIR/err" -n "$NS" wait widget.test.maasctl.io/b --timeout 20s
	api DELETE "$W/$NS/widgets/b" ""
	rc=0
	wait $BG || rc=$?
	[ $rc -eq 4 ]
	[ "$(tail -1 "$BATS_TEST_TMPDIR/err")" = "maasctl: Widget $NS/b was deleted while waiting for it" ]
}

@test "not found and unknown types are kubectl's errors, exit 4" {
	run -4 maasctl -n "$NS" wait widget/nope
	[ "$output" = 'Error from server (NotFound): widgets.test.maasctl.io "nope" not found' ]
	run -4 maasctl -n "$NS" wait gadget/x
	[ "$output" = 'error: the server doesn'"'"'t have a resource type "gadget"' ]
}

@test "bad flags and arguments are usage errors, exit 2" {
	run -2 maasctl wait widget
	[ "$output" = 'maasctl: invalid argument "widget": want TYPE/NAME' ]
	run -2 maasctl wait widget/
	[ "$output" = 'maasctl: invalid argument "widget/": want TYPE/NAME' ]
	run -2 maasctl wait widget.test.maasctl.io/a --for sideways
	[ "$output" = 'maasctl: invalid value "sideways" for --for: want ready, delete, phase=PHASE[,PHASE...] or condition=TYPE' ]
	run -2 maasctl wait widget.test.maasctl.io/a --for condition=Ready=False
	[[ $output == *"only condition=TYPE or condition=TYPE=True is supported" ]]
	run -2 maasctl wait widget/a --timeout soon
	[[ $output == 'maasctl: invalid value for --timeout: invalid duration "soon"'* ]]
	run -2 maasctl wait widget/a --timeout 0s
	[ "$output" = "maasctl: invalid value for --timeout: must be positive" ]
	run -2 maasctl wait widget/a --bogus
	[[ $output == *"unknown flag: --bogus"* ]]
	run -2 maasctl wait
	[ "$status" -eq 2 ]
}

@test "forbidden, unreachable and failing servers: exit 3, 6, 6" {
	widget a
	tok=$(sandbox_token mallory)
	run -3 maasctl --token bogus -n "$NS" wait widget/a
	[[ $output == "error: You must be logged in to the server"* ]]
	run -6 maasctl --server http://127.0.0.1:1 wait widget/a
	[[ $output == "The connection to the server 127.0.0.1:1 was refused"* ]]
	responder_start "status 503
header Content-Type: application/json
body {\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"etcd unavailable\",\"reason\":\"ServiceUnavailable\",\"code\":503}
times 50"
	run -6 maasctl --server "http://127.0.0.1:$RESPONDER_PORT" --timeout 5s wait widget/a
	[[ $output == *"etcd unavailable"* ]]
}

@test "Ctrl-C is exit 130 with one line naming the object and its phase" {
	widget a
	status a '{"phase":"Pending"}'
	bg_wait "$BATS_TEST_TMPDIR/err" -n "$NS" wait widget.test.maasctl.io/a --timeout 30s
	sleep 0.2
	kill -INT $BG
	rc=0
	wait $BG || rc=$?
	[ "$rc" -eq 130 ]
	[ "$(tail -1 "$BATS_TEST_TMPDIR/err")" = "maasctl: waiting for Widget $NS/a: interrupted (phase Pending)" ]
}

@test "--help is generated from the option table" {
	run -0 maasctl wait --help
	[ "${lines[0]}" = "Usage: maasctl wait TYPE/NAME... [--for CONDITION] [--timeout DURATION]" ]
	[[ $output == *"--for CONDITION"* ]]
	[[ $output == *"--timeout DURATION"* ]]
}

@test "completion offers MaaS types, then the names of a type's objects" {
	run -0 --separate-stderr maasctl __complete wait maasm
	[ "${lines[0]}" = "maasmodelref/" ]
	api POST "$W/default/widgets" '{"apiVersion":"test.maasctl.io/v1","kind":"Widget","metadata":{"name":"comp-me"},"spec":{}}'
	run -0 --separate-stderr maasctl __complete wait widget.test.maasctl.io/comp
	[[ $output == *"widget.test.maasctl.io/comp-me"* ]]
}
