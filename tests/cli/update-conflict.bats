#!/usr/bin/env bats
# update-conflict.bats: the read-modify-write verbs (subscription
# add-model/set-limit/update, authpolicy grant/revoke/update, modelref
# update) PUT what they read with its resourceVersion.  The controller
# writes the object's status at any moment, which moves that version: when
# the PUT conflicts and the object read again differs only in status,
# maasctl makes the same update on the newer version; when its spec moved
# too, or --resource-version was given, the conflict is the user's, exit
# 5.  A scripted API server (the responder) plays the race exactly.
bats_require_minimum_version 1.5.0
load ../helpers/scripted

T=models-as-a-service

# sub RV PHASE [MODEL]: the MaaSSubscription s1 at resourceVersion RV.
sub() {
	printf '%s\nbody {"apiVersion":"maas.opendatahub.io/v1alpha1","kind":"MaaSSubscription","metadata":{"name":"s1","namespace":"%s","resourceVersion":"%s","generation":1,"managedFields":[{"manager":"m%s"}]},"spec":{"owner":{"groups":[{"name":"g"}],"users":[]},"modelRefs":[{"name":"%s","namespace":"llm","tokenRateLimits":[{"limit":5,"window":"1m"}]}],"priority":0},"status":{"phase":"%s"}}\n---\n' \
	    "$J" "$T" "$1" "$1" "${3:-m}" "$2"
}
CONFLICT="status 409 Conflict
$J
body {\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"Operation cannot be fulfilled on maassubscriptions.maas.opendatahub.io \\\"s1\\\": the object has been modified; please apply your changes to the latest version and try again\",\"reason\":\"Conflict\",\"details\":{\"name\":\"s1\",\"group\":\"maas.opendatahub.io\",\"kind\":\"maassubscriptions\"},\"code\":409}
---"

ctl() { scripted_ctl "$@"; }
# puts: the resourceVersion each PUT carried, one per line.
puts() {
	awk '/^=== [0-9]+ PUT /{p=1; next} /^=== /{p=0} p && /^\{/' "$RESPONDER_LOG" |
	    jq -r '.metadata.resourceVersion'
}

@test "add-model: a conflict with a status write is retried on the newer version" {
	{ sub 1 Pending; printf '%s\n' "$CONFLICT"; sub 2 Failed; sub 3 Failed; } >"$BATS_TEST_TMPDIR/script"
	responder_start "$BATS_TEST_TMPDIR/script"
	run -0 --separate-stderr ctl sub add-model s1 --model llm/m2=5/1m --no-model-check -v=4
	[ "$output" = "maassubscription.maas.opendatahub.io/s1 configured" ]
	[[ $stderr == *"MaaSSubscription $T/s1: only its status changed since it was read (resourceVersion now 2): updating again"* ]]
	run -0 puts
	[ "$output" = $'1\n2' ]
	# The second PUT carries the same change.
	run -0 jq -r '[.spec.modelRefs[].name] | join(",")' < <(awk '/^=== [0-9]+ PUT /{p=1; next} /^=== /{p=0} p && /^\{/' "$RESPONDER_LOG" | tail -1)
	[ "$output" = "m,m2" ]
}

@test "add-model: the spec moved on meanwhile: the conflict is the user's, exit 5" {
	{ sub 1 Pending; printf '%s\n' "$CONFLICT"; sub 2 Pending other; } >"$BATS_TEST_TMPDIR/script"
	responder_start "$BATS_TEST_TMPDIR/script"
	run -5 --separate-stderr ctl sub add-model s1 --model llm/m2=5/1m --no-model-check
	[ "$output" = "" ]
	[ "$stderr" = "Error from server (Conflict): Operation cannot be fulfilled on maassubscriptions.maas.opendatahub.io \"s1\": the object has been modified; please apply your changes to the latest version and try again" ]
	[ "$(grep -c '^=== [0-9]* PUT ' "$RESPONDER_LOG")" -eq 1 ]
}

@test "--resource-version: a precondition the user gave is never retried, exit 5" {
	{ sub 1 Pending; printf '%s\n' "$CONFLICT"; sub 2 Failed; } >"$BATS_TEST_TMPDIR/script"
	responder_start "$BATS_TEST_TMPDIR/script"
	run -5 --separate-stderr ctl sub add-model s1 --model llm/m2=5/1m --no-model-check --resource-version 1
	[[ $stderr == "Error from server (Conflict): "* ]]
	[ "$(grep -c '^=== [0-9]* PUT ' "$RESPONDER_LOG")" -eq 1 ]
}

@test "a status that keeps moving is given up after 5 tries, exit 5" {
	{
		sub 1 Pending
		for rv in 2 3 4 5; do printf '%s\n' "$CONFLICT"; sub "$rv" Failed; done
		printf '%s\n' "$CONFLICT"
	} >"$BATS_TEST_TMPDIR/script"
	responder_start "$BATS_TEST_TMPDIR/script"
	run -5 --separate-stderr ctl sub set-limit s1 --model llm/m=9/1m
	[[ $stderr == "Error from server (Conflict): "* ]]
	run -0 puts
	[ "$output" = $'1\n2\n3\n4\n5' ]
}
