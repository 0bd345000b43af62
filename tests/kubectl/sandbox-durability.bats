#!/usr/bin/env bats
# Durability of the sandbox's watch log: watches resume from a
# resourceVersion across a restart and get 410 Expired once it has left
# the event window; kubectl get -w streams.
bats_require_minimum_version 1.5.0

setup() {
	load ../helpers/sbx-serve
	SBX_DIR=$(mktemp -d "$BATS_TEST_TMPDIR/sbx.XXXXXX")
}

teardown() {
	sbx_stop
}

# watch_events RV: the events of a 1 s watch on default's configmaps.
watch_events() {
	curl -s -m 5 "$SBX_URL/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=$1&timeoutSeconds=1"
}

mkcm() {
	curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	    -X POST "$SBX_URL/api/v1/namespaces/default/configmaps" \
	    -d "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"$1\"}}"
}

@test "a watch resumes from a resourceVersion across a restart, 410 when too old" {
	MAASCTL_SANDBOX_WATCH_WINDOW=20 sbx_start --plain
	run -0 mkcm before
	[ "$output" = 201 ]
	rv0=$(curl -s "$SBX_URL/api/v1/namespaces/default/configmaps" |
	    sed -n 's/.*"metadata":{"resourceVersion":"\([0-9]*\)".*/\1/p')
	[ -n "$rv0" ]
	run -0 mkcm w1
	run -0 mkcm w2
	run -0 curl -s -X DELETE "$SBX_URL/api/v1/namespaces/default/configmaps/w1"
	sbx_stop
	MAASCTL_SANDBOX_WATCH_WINDOW=20 sbx_start --plain
	run -0 watch_events "$rv0"
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == '{"type":"ADDED","object":{"apiVersion":"v1","kind":"ConfigMap"'*'"name":"w1"'* ]]
	[[ "${lines[1]}" == '{"type":"ADDED"'*'"name":"w2"'* ]]
	[[ "${lines[2]}" == '{"type":"DELETED"'*'"name":"w1"'* ]]
	[[ "$output" != *'"name":"before"'* ]]
	# events are in resourceVersion order, all after rv0
	rvs=$(echo "$output" | sed -n 's/.*"resourceVersion":"\([0-9]*\)".*/\1/p')
	[ "$(echo "$rvs" | sort -n | tr '\n' ' ')" = "$(echo "$rvs" | tr '\n' ' ')" ]
	for r in $rvs; do [ "$r" -gt "$rv0" ]; done
	# push rv0 out of the 20-event window
	for i in $(seq 1 25); do mkcm "fill-$i" >/dev/null; done
	cur=$(curl -s "$SBX_URL/api/v1/namespaces/default/configmaps?limit=1" |
	    sed -n 's/.*"metadata":{"resourceVersion":"\([0-9]*\)".*/\1/p')
	run -0 watch_events "$rv0"
	[ "$output" = "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old resource version: $rv0 ($cur)\",\"reason\":\"Expired\",\"code\":410}}" ]
	# a recent resourceVersion still resumes
	run -0 watch_events "$((cur - 1))"
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == *'"name":"fill-25"'* ]]
}

@test "kubectl get -w streams changes" {
	sbx_start --plain
	( sleep 1; mkcm streamed >/dev/null ) 3>&- &
	maker=$!
	run -124 --separate-stderr timeout 4 kubectl get cm -n default -w
	wait "$maker"
	[[ "$output" == *streamed* ]]
}
