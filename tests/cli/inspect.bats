#!/usr/bin/env bats
# inspect.bats: get --watch/--watch-only, describe and edit against a real
# sandbox, with kubectl's output compared where kubectl is installed.
bats_require_minimum_version 1.5.0
load ../helpers/common
load ../helpers/sandbox

SAMPLES=$BATS_TEST_DIRNAME/../../../shared/reference/samples

setup_file() {
	sandbox_start
	MAASCTL_CONFIG=$SANDBOX_CONFIG KUBECONFIG=$SANDBOX_KUBECONFIG \
	    "$MAASCTL" apply -f "$BATS_TEST_DIRNAME/../fixtures/wait/widget-crd.yaml" >/dev/null
}
teardown_file() { sandbox_stop; }

setup() {
	common_setup
	sandbox_use
	NS=i$BATS_TEST_NUMBER
	api POST /api/v1/namespaces "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$NS\"}}"
	kubectl_ok=0
	command -v kubectl >/dev/null && kubectl_ok=1
}
teardown() { common_teardown; }

# api METHOD PATH BODY [CONTENT-TYPE]: an admin request (no discovery cost).
api() {
	sandbox_curl -f -o /dev/null -X "$1" \
	    -H "Authorization: Bearer $SANDBOX_ADMIN_TOKEN" \
	    -H "Content-Type: ${4:-application/json}" --data "$3" \
	    "$SANDBOX_API_URL$2"
}

W=/apis/test.maasctl.io/v1/namespaces

widget() {
	api POST "$W/$NS/widgets" "{\"apiVersion\":\"test.maasctl.io/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"$1\"},\"spec\":{\"size\":${2:-1}}}"
}

# watch_bg FILE ARGS...: maasctl ARGS in the background (stdout to FILE),
# returning once FILE has at least $WANT lines (default 1).
watch_bg() {
	local f=$1 i
	shift
	"$MAASCTL" "$@" >"$f" 2>"$f.err" &
	BG=$!
	for i in $(seq 1 200); do
		[ "$(wc -l <"$f")" -ge "${WANT:-1}" ] && return 0
		sleep 0.05
	done
	return 1
}

# lines_wait FILE N: wait until FILE has N lines.
lines_wait() {
	local i
	for i in $(seq 1 200); do
		[ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

@test "get -w: the listing, then one row per change, widths remembered" {
	widget a
	watch_bg "$BATS_TEST_TMPDIR/out" -n "$NS" get widget.test.maasctl.io -w
	WANT=2 lines_wait "$BATS_TEST_TMPDIR/out" 2
	api PATCH "$W/$NS/widgets/a" '{"spec":{"size":2}}' application/merge-patch+json
	widget a-much-longer-name
	api DELETE "$W/$NS/widgets/a" ""
	lines_wait "$BATS_TEST_TMPDIR/out" 5
	kill $BG; wait $BG || true
	run cat "$BATS_TEST_TMPDIR/out"
	[ "${lines[0]}" = "NAME   AGE" ]
	[[ ${lines[1]} =~ ^a\ \ \ \ \ \ [0-9]+s$ ]]
	[[ ${lines[2]} =~ ^a\ \ \ \ \ \ [0-9]+s$ ]]
	[[ ${lines[3]} =~ ^a-much-longer-name\ \ \ [0-9]+s$ ]]
	[[ ${lines[4]} =~ ^a\ \ \ \ \ \ \ \ \ \ \ \ \ \ \ \ \ \ \ \ [0-9]+s$ ]]
}

@test "get --watch-only -o name and --output-watch-events" {
	widget a
	"$MAASCTL" -n "$NS" get widget.test.maasctl.io --watch-only -o name --output-watch-events >"$BATS_TEST_TMPDIR/out" &
	BG=$!
	sleep 1.5
	api PATCH "$W/$NS/widgets/a" '{"spec":{"size":3}}' application/merge-patch+json
	lines_wait "$BATS_TEST_TMPDIR/out" 1
	kill $BG; wait $BG || true
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = "MODIFIED widget.test.maasctl.io/a" ]
}

@test "get -w of one name follows only that object; --timeout ends it with 0" {
	widget a
	widget b
	( sleep 1.5; api PATCH "$W/$NS/widgets/b" '{"spec":{"size":5}}' application/merge-patch+json
	  api PATCH "$W/$NS/widgets/a" '{"spec":{"size":5}}' application/merge-patch+json ) &
	run -0 --separate-stderr maasctl --timeout 4s -n "$NS" get widget.test.maasctl.io a -w -o jsonpath='{.spec.size}{"\n"}'
	wait
	[ "$output" = $'1\n5' ]
}

@test "get -w errors: several names, unknown name, bad output" {
	run -2 maasctl -n "$NS" get widget.test.maasctl.io a b -w
	[ "$output" = "error: watch is only supported on individual resources and resource collections, but 2 resources were found" ]
	run -4 maasctl -n "$NS" get widget.test.maasctl.io nope -w
	[ "$output" = 'Error from server (NotFound): widgets.test.maasctl.io "nope" not found' ]
	run -2 maasctl -n "$NS" get widget.test.maasctl.io -w -o bogus
	[[ $output == 'error: unable to match a printer suitable for the output format "bogus"'* ]]
	run -6 maasctl --server http://127.0.0.1:1 get configmaps -w
	[[ $output == "The connection to the server 127.0.0.1:1 was refused"* ]]
}

@test "describe of the MaaS samples is kubectl's layout plus related objects" {
	api POST /api/v1/namespaces '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"llm"}}' || true
	maasctl apply -f "$SAMPLES/maas-system/free/maas/" >/dev/null
	run -0 maasctl describe maasmodelref facebook-opt-125m-simulated -n llm
	[ "${lines[0]}" = "Name:         facebook-opt-125m-simulated" ]
	[ "${lines[1]}" = "Namespace:    llm" ]
	[[ $output == *$'\nSpec:\n  Model Ref:\n    Kind:  LLMInferenceService\n    Name:  facebook-opt-125m-simulated\n'* ]]
	[[ $output == *$'Referenced By:\n  Kind '*'MaaSAuthPolicy     models-as-a-service/simulator-access'*'MaaSSubscription   models-as-a-service/simulator-subscription'* ]]
	[[ $output == *"Generated Policies:"* ]]
	[[ $output == *"Events:"*"<none>" ]]
	mine=$output
	run -0 maasctl describe maassubscription/simulator-subscription -n models-as-a-service
	[[ $output == *$'  Model Refs:\n    Name:       facebook-opt-125m-simulated\n    Namespace:  llm\n    Token Rate Limits:\n      Limit:   100\n      Window:  1m\n'* ]]
	[[ $output == *$'Models:\n  Model '*'llm/facebook-opt-125m-simulated  '*'100/1m'* ]]
	if [ $kubectl_ok = 1 ]; then
		# Up to the sections kubectl cannot know, the text is kubectl's.
		k=$(kubectl describe maasmodelref facebook-opt-125m-simulated -n llm)
		[ "${k%%Events:*}" = "${mine%%Referenced By:*}" ]
	fi
}

@test "describe ConfigMap and the tier mapping, as kubectl's ConfigMap describer" {
	maasctl -n "$NS" apply -f - >/dev/null <<-EOF2
	apiVersion: v1
	kind: ConfigMap
	metadata:
	  name: tier-to-group-mapping
	  labels: {app: maas-api}
	data:
	  tiers: |
	    - name: free
	      level: 0
	      groups: [tier-free-users, system:authenticated]
	    - name: premium
	      displayName: Premium
	      level: 1
	      groups: [premium-group]
	EOF2
	run -0 maasctl -n "$NS" describe cm tier-to-group-mapping
	[ "${lines[2]}" = "Labels:       app=maas-api" ]
	[[ $output == *$'\nData\n====\ntiers:\n----\n- name: free\n'* ]]
	[[ $output == *$'BinaryData\n====\n\nTiers:\n'* ]]
	[[ $output == *"premium  1      Premium       premium-group"* ]]
	if [ $kubectl_ok = 1 ]; then
		k=$(kubectl -n "$NS" describe cm tier-to-group-mapping)
		[ "${k%%BinaryData*}" = "${output%%BinaryData*}" ]
	fi
}

@test "describe: every object of a kind, not found, no resources, unknown kind" {
	widget a
	widget b
	run -0 maasctl -n "$NS" describe widget.test.maasctl.io
	[ "$(grep -c '^Name:' <<<"$output")" -eq 2 ]
	[[ $output == *$'<none>\n\n\nName:         b'* ]]
	run -4 maasctl -n "$NS" describe widget.test.maasctl.io nope
	[ "$output" = 'Error from server (NotFound): widgets.test.maasctl.io "nope" not found' ]
	run -0 --separate-stderr maasctl -n "$NS" describe configmaps
	[ "$stderr" = "No resources found in $NS namespace." ]
	run -4 maasctl describe gizmo x
	[ "$output" = 'error: the server doesn'"'"'t have a resource type "gizmo"' ]
	run -2 maasctl describe widget/
	[ "$output" = "error: arguments in resource/name form must have a single resource and name" ]
}

# editor SCRIPT: an editor that runs the sed script on the file.
editor() {
	printf '#!/bin/sh\ncp "$1" "%s/seen.$$"\nsed -i %s "$1"\n' "$BATS_TEST_TMPDIR" "'$1'" >"$BATS_TEST_TMPDIR/ed"
	chmod +x "$BATS_TEST_TMPDIR/ed"
	export KUBE_EDITOR=$BATS_TEST_TMPDIR/ed
}

@test "edit: saved changes go back as a merge patch; no change cancels" {
	widget a 7
	editor 's/size: 7/size: 8/'
	run -0 maasctl -n "$NS" edit widget.test.maasctl.io a
	[ "$output" = "widget.test.maasctl.io/a edited" ]
	run -0 maasctl -n "$NS" get widget.test.maasctl.io a -o 'jsonpath={.spec.size}'
	[ "$output" = 8 ]
	head -4 "$BATS_TEST_TMPDIR"/seen.* | grep -q "^# Please edit the object below. Lines beginning with a '#' will be ignored,"
	editor 's/size: 8/size: 8/'
	run -0 --separate-stderr maasctl -n "$NS" edit widget.test.maasctl.io/a
	[ "$stderr" = "Edit cancelled, no changes made." ]
	editor '/./d'
	run -0 --separate-stderr maasctl -n "$NS" edit widget.test.maasctl.io/a
	[ "$stderr" = "Edit cancelled, no changes made." ]
	EDITOR=false KUBE_EDITOR= run -1 maasctl -n "$NS" edit widget.test.maasctl.io/a
	[[ $output == 'maasctl: edit: there was a problem with the editor "false"'* ]]
}

@test "edit: an invalid change reopens with the server's error, unchanged again gives up" {
	sub=$(mktemp "$BATS_TEST_TMPDIR/sub.XXXX")
	maasctl -n "$NS" apply -f - >/dev/null <<-EOF2
	apiVersion: v1
	kind: Namespace
	metadata: {name: ${NS}x}
	EOF2
	maasctl -n models-as-a-service apply -f - >/dev/null <<-EOF2
	apiVersion: maas.opendatahub.io/v1alpha1
	kind: MaaSSubscription
	metadata: {name: edit-$NS}
	spec:
	  owner: {groups: [{name: g}]}
	  modelRefs: [{name: m, namespace: llm, tokenRateLimits: [{limit: 100, window: 1m}]}]
	EOF2
	# First save: limit 0 (invalid); second: unchanged, so it gives up.
	printf '#!/bin/sh\nn=$(cat %s/n 2>/dev/null || echo 0); n=$((n+1)); echo $n >%s/n\ncp "$1" %s/seen.$n\n[ $n = 1 ] && sed -i "s/limit: 100/limit: 0/" "$1"\nexit 0\n' \
	    "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR" >"$BATS_TEST_TMPDIR/ed"
	chmod +x "$BATS_TEST_TMPDIR/ed"
	KUBE_EDITOR=$BATS_TEST_TMPDIR/ed TMPDIR=$BATS_TEST_TMPDIR run -1 --separate-stderr \
	    maasctl -n models-as-a-service edit maassubscription edit-$NS
	[ "${stderr_lines[0]}" = "error: maassubscriptions.maas.opendatahub.io \"edit-$NS\" is invalid" ]
	[[ ${stderr_lines[1]} == "A copy of your changes has been stored to \"$BATS_TEST_TMPDIR/maasctl-edit-"*".yaml\"" ]]
	[ "${stderr_lines[2]}" = "error: Edit cancelled, no valid changes were saved." ]
	[ "$(sed -n 5p "$BATS_TEST_TMPDIR/seen.2")" = "# maassubscriptions.maas.opendatahub.io \"edit-$NS\" was not valid:" ]
	[[ $(sed -n 6p "$BATS_TEST_TMPDIR/seen.2") == "# * spec.modelRefs[0].tokenRateLimits[0].limit: Invalid value: 0: "* ]]
	run -0 maasctl -n models-as-a-service get maassubscription edit-$NS -o 'jsonpath={.spec.modelRefs[0].tokenRateLimits[0].limit}'
	[ "$output" = 100 ]
}

@test "edit: a syntax error reopens; fixing it saves; not found and forbidden" {
	widget a 1
	printf '#!/bin/sh\nn=$(cat %s/n 2>/dev/null || echo 0); n=$((n+1)); echo $n >%s/n\ncp "$1" %s/seen.$n\ncase $n in 1) sed -i "s/^spec:/spec: [/" "$1";; 2) sed -i "s/^spec: \\[/spec:/; s/size: 1/size: 4/" "$1";; esac\n' \
	    "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR" >"$BATS_TEST_TMPDIR/ed"
	chmod +x "$BATS_TEST_TMPDIR/ed"
	KUBE_EDITOR=$BATS_TEST_TMPDIR/ed run -0 maasctl -n "$NS" edit widget.test.maasctl.io a
	[ "$output" = "widget.test.maasctl.io/a edited" ]
	[[ $(sed -n 6p "$BATS_TEST_TMPDIR/seen.2") == '# * <nil>: Invalid value: "The edited file failed validation": yaml: line '* ]]
	run -0 maasctl -n "$NS" get widget.test.maasctl.io a -o 'jsonpath={.spec.size}'
	[ "$output" = 4 ]
	KUBE_EDITOR=true run -4 maasctl -n "$NS" edit widget.test.maasctl.io nope
	[ "$output" = 'Error from server (NotFound): widgets.test.maasctl.io "nope" not found' ]
	editor 's/size: 4/size: 9/'
	run -3 maasctl --token "$(sandbox_token mallory)" -n "$NS" edit widget.test.maasctl.io a
	[[ $output == "Error from server (Forbidden): "* ]]
	run -2 maasctl edit widget.test.maasctl.io
	[ "$output" = "error: edit takes one object: TYPE NAME or TYPE/NAME" ]
	run -2 maasctl -o wide edit widget.test.maasctl.io a
	[ "$output" = "error: the flag 'output' must be one of yaml|json" ]
}
