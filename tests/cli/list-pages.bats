#!/usr/bin/env bats
# list-pages.bats: `subscription list` over several pages of a scripted
# API server (the responder): maasctl asks in pages of 500 with the
# continue token, reads each page as a stream and makes its rows on a
# second thread while the next bytes arrive; the rows come out in the
# server's order, and a failure on a later page (a Status error, 410
# Expired, an item that is not JSON) gives the same one line and exit
# code as on the first, with nothing on stdout.
bats_require_minimum_version 1.5.0
load ../helpers/scripted

# page PREFIX N [CONTINUE [BAD]]: a MaaSSubscriptionList reply of N
# subscriptions PREFIX-000..., with a continue token, and item BAD (an
# index) not JSON.
page() {
	local pfx=$1 n=$2 cont=${3:-} bad=${4:--1} i sep=
	printf 'header Content-Type: application/json\nbody {"kind":"MaaSSubscriptionList","apiVersion":"maas.opendatahub.io/v1alpha1","metadata":{"resourceVersion":"9"%s},"items":[' \
	    "${cont:+,\"continue\":\"$cont\"}"
	for ((i = 0; i < n; i++)); do
		printf '%s' "$sep"
		sep=,
		[ "$i" -eq "$bad" ] && printf '{"metadata":{"name":}},'
		printf '{"metadata":{"name":"%s-%03d","namespace":"ns-%s","uid":"u%d","creationTimestamp":"2020-01-01T00:00:00Z","managedFields":[{"manager":"m","fieldsV1":{"f:spec":{}}}]},"spec":{"owner":{"groups":[{"name":"g%d"}]},"priority":%d,"modelRefs":[{"name":"m%d","namespace":"llm","tokenRateLimits":[{"limit":100,"window":"1m"}]}]},"status":{"phase":"Active","conditions":[{"type":"Ready","status":"True","reason":"Reconciled","message":"%0200d"}]}}' \
		    "$pfx" "$i" "$pfx" "$i" "$i" "$((i % 7))" "$i" 0
	done
	printf ']}\n---\n'
}

STATUS_403='status 403 Forbidden
header Content-Type: application/json
body {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"maassubscriptions.maas.opendatahub.io is forbidden: User \"t\" cannot list resource \"maassubscriptions\" in API group \"maas.opendatahub.io\" at the cluster scope","reason":"Forbidden","code":403}
---'
STATUS_410='status 410 Gone
header Content-Type: application/json
body {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"The provided continue parameter is too old to display a consistent list result.","reason":"Expired","code":410}
---'

# list ARGS...: maasctl against the responder.
list() { scripted_ctl "$@"; }

@test "three pages: every row once, in the server's order; each page asked with the last continue token" {
	{ page a 500 t1; page b 500 t2; page c 37; } >"$BATS_TEST_TMPDIR/script"
	responder_start "$BATS_TEST_TMPDIR/script"
	run -0 --separate-stderr list sub list -A
	[ "$stderr" = "" ]
	[ "${#lines[@]}" -eq 1038 ]
	[[ ${lines[0]} =~ ^NAMESPACE\ +NAME\ +PHASE\ +PRIORITY\ +OWNERS\ +MODELS\ +AGE$ ]]
	[[ ${lines[1]} =~ ^ns-a\ +a-000\ +Active\ +0\ +group:g0\ +llm/m0\ +[0-9]+y[0-9]+d$ ]]
	[[ ${lines[500]} =~ ^ns-a\ +a-499\ +Active\ +2\ +group:g499\ +llm/m499\  ]]
	[[ ${lines[501]} =~ ^ns-b\ +b-000\  ]]
	[[ ${lines[1037]} =~ ^ns-c\ +c-036\ +Active\ +1\ +group:g36\ +llm/m36\  ]]
	# the names in order, none twice
	[ "$(printf '%s\n' "${lines[@]:1}" | awk '{ print $2 }' | sort -c && echo sorted)" = sorted ]
	[ "$(printf '%s\n' "${lines[@]:1}" | awk '{ print $2 }' | sort -u | wc -l)" -eq 1037 ]
	[ "$(responder_count)" -eq 3 ]
	[[ $(responder_request 1 | head -1) =~ ^===\ 1\ GET\ /apis/maas.opendatahub.io/v1alpha1/maassubscriptions\?limit=500\ HTTP/1.1$ ]]
	[[ $(responder_request 2 | head -1) =~ \?limit=500\&continue=t1\ HTTP/1.1$ ]]
	[[ $(responder_request 3 | head -1) =~ \?limit=500\&continue=t2\ HTTP/1.1$ ]]
	# one connection, kept alive from page to page
	[ "$(grep -c '^connection: 1$' "$RESPONDER_LOG")" -eq 3 ]
}

@test "three pages with -o name and -o wide" {
	{ page a 500 t1; page b 500 t2; page c 2; page a 500 t1; page b 500 t2; page c 2; } >"$BATS_TEST_TMPDIR/script"
	responder_start "$BATS_TEST_TMPDIR/script"
	run -0 --separate-stderr list sub list -A -o name
	[ "${#lines[@]}" -eq 1002 ]
	[ "${lines[0]}" = "maassubscription.maas.opendatahub.io/a-000" ]
	[ "${lines[500]}" = "maassubscription.maas.opendatahub.io/b-000" ]
	[ "${lines[1001]}" = "maassubscription.maas.opendatahub.io/c-001" ]
	run -0 --separate-stderr list sub list -A -o wide --no-headers
	[ "${#lines[@]}" -eq 1002 ]
	[[ ${lines[1001]} =~ ^ns-c\ +c-001\ +Active\ +1\ +group:g1\ +llm/m1\ +[0-9]+y[0-9]+d\ +m1=100/1m\ +\<none\>$ ]]
}

@test "a Status error on page 2: kubectl's line and exit code, no rows" {
	{ page a 500 t1; printf '%s\n' "$STATUS_403"; } >"$BATS_TEST_TMPDIR/script"
	responder_start "$BATS_TEST_TMPDIR/script"
	run -3 --separate-stderr list sub list -A
	[ "$output" = "" ]
	[ "$stderr" = 'Error from server (Forbidden): maassubscriptions.maas.opendatahub.io is forbidden: User "t" cannot list resource "maassubscriptions" in API group "maas.opendatahub.io" at the cluster scope' ]
	[ "$(responder_count)" -eq 2 ]
}

@test "410 Expired on page 3: the continue token is too old, exit 4, no rows" {
	{ page a 500 t1; page b 500 t2; printf '%s\n' "$STATUS_410"; } >"$BATS_TEST_TMPDIR/script"
	responder_start "$BATS_TEST_TMPDIR/script"
	run -4 --separate-stderr list sub list -A
	[ "$output" = "" ]
	[ "$stderr" = "Error from server (Expired): The provided continue parameter is too old to display a consistent list result." ]
	[ "$(responder_count)" -eq 3 ]
}

@test "an item that is not JSON on page 2: which reply, which item, where; no rows" {
	{ page a 500 t1; page b 500 t2 123; page c 3; } >"$BATS_TEST_TMPDIR/script"
	responder_start "$BATS_TEST_TMPDIR/script"
	# exit 2, as for any reply that is not JSON
	run -2 --separate-stderr list sub list -A
	[ "$output" = "" ]
	[ "$stderr" = "maasctl: decoding the reply to GET /apis/maas.opendatahub.io/v1alpha1/maassubscriptions?limit=500&continue=t1: item 124: invalid JSON at line 1, column 21: invalid character '}'" ]
}
