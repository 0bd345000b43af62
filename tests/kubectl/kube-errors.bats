#!/usr/bin/env bats
# kube-errors.bats: common/kube.c's error texts held against real kubectl.
# The same canned reply is served to `kubectl get --raw` and to
# `http-tool --kube` (kube_request) by two scripted responders; both must
# print the same message.  Skips where kubectl is absent.
bats_require_minimum_version 1.5.0

setup() {
	load ../helpers/responder
	TOOL="$MAASCTL_TEST_ROOT/$BUILD/tests/helpers/http-tool"
	command -v kubectl >/dev/null 2>&1 || skip "kubectl is not installed"
	export HOME="$BATS_TEST_TMPDIR/home" KUBECACHEDIR="$BATS_TEST_TMPDIR/cache"
	mkdir -p "$HOME"
	unset KUBECONFIG
	KPID=
}

teardown() {
	if [ -n "${KPID:-}" ]; then
		kill "$KPID" 2>/dev/null || true
		wait "$KPID" 2>/dev/null || true
		KPID=
	fi
	responder_stop
}

VERSION='line {"major":"1","minor":"32","gitVersion":"v1.32.4","platform":"linux/amd64"}'

kubeconfig() {
	cat >"$BATS_TEST_TMPDIR/kc" <<EOK
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:$1"}}]
users: [{name: u, user: {}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
EOK
}

# same REPLY: kubectl and kube.c answer a GET of /apis/x with the same text.
same() {
	local reply=$1 kport
	# kubectl asks /version first (the gcloud dispatcher does).
	responder_start "$VERSION
---
$reply
---
$VERSION
---
$reply"
	KPID=$RESPONDER_PID kport=$RESPONDER_PORT RESPONDER_PID=
	responder_start "$reply"
	kubeconfig "$kport"
	run --separate-stderr timeout 60 kubectl --kubeconfig "$BATS_TEST_TMPDIR/kc" \
		get --raw /apis/x
	[ "$status" -ne 0 ] || { echo "kubectl succeeded: $output"; return 1; }
	want=$stderr
	[ -n "$want" ]
	run --separate-stderr "$TOOL" --kube --retries 1 \
		"http://127.0.0.1:$RESPONDER_PORT/apis/x"
	[ "$status" -ne 0 ]
	if [ "$stderr" != "$want" ]; then
		printf 'kubectl: %s\nkube.c:  %s\n' "$want" "$stderr" >&2
		return 1
	fi
}

@test "422 with several causes" {
	same 'status 422
header Content-Type: application/json
line {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"ignored","reason":"Invalid","details":{"name":"bad","group":"maas.opendatahub.io","kind":"MaaSSubscription","causes":[{"reason":"FieldValueTypeInvalid","message":"Invalid value: \"string\": spec.priority in body must be of type integer: \"string\"","field":"spec.priority"},{"reason":"FieldValueRequired","message":"Required value","field":"spec.modelRefs"}]},"code":422}'
}

@test "422 with one cause" {
	same 'status 422
header Content-Type: application/json
line {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"x","reason":"Invalid","details":{"name":"bad","kind":"MaaSSubscription","causes":[{"message":"Required value","field":"spec.modelRefs"}]},"code":422}'
}

@test "422 without causes" {
	same 'status 422
header Content-Type: application/json
line {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"x","reason":"Invalid","details":{"name":"bad","kind":"MaaSSubscription"},"code":422}'
}

@test "404 Status" {
	same 'status 404
header Content-Type: application/json
line {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"maassubscriptions.maas.opendatahub.io \"x\" not found","reason":"NotFound","details":{"name":"x","group":"maas.opendatahub.io","kind":"maassubscriptions"},"code":404}'
}

@test "404 plain text" {
	same 'status 404
header Content-Type: text/plain
line 404 page not found'
}

@test "403 Status" {
	same 'status 403
header Content-Type: application/json
line {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"x is forbidden: User \"bob\" cannot get resource","reason":"Forbidden","code":403}'
}

@test "409 Status without a reason" {
	same 'status 409
header Content-Type: application/json
line {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"conflict here","code":409}'
}

@test "401 Status and 401 without a body" {
	same 'status 401
header Content-Type: application/json
line {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}'
	teardown
	same 'status 401'
}

@test "500 plain text and 410 without a body" {
	same 'status 500
header Content-Type: text/plain
line boom'
	teardown
	same 'status 410'
}

@test "connection refused" {
	responder_start "line x"
	port=$RESPONDER_PORT
	responder_stop
	kubeconfig "$port"
	run --separate-stderr timeout 60 kubectl --kubeconfig "$BATS_TEST_TMPDIR/kc" \
		get --raw /apis/x
	[ "$status" -ne 0 ]
	want=$stderr
	run -6 --separate-stderr "$TOOL" --kube --retries 1 "http://127.0.0.1:$port/apis/x"
	[ "$stderr" = "$want" ]
}
