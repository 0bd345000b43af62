#!/usr/bin/env bats
# key-cleanup.bats: ephemeral keys and their cleanup, MAAS-ADMIN-TASKS.md
# §5 item 9 and §3.2 K7: ephemeral keys are visible in search only with
# includeEphemeral; the install's CronJob maas-api-key-cleanup (with its
# NetworkPolicy) starts Jobs that make maas-api delete the ephemeral keys
# expired for more than 30 minutes, and nothing else.  The sandbox runs
# each Job of that CronJob through its maas-api (cli/sandbox/keycleanup.c).
bats_require_minimum_version 1.5.0
load ../helpers/common
load ../helpers/sandbox
load ../helpers/maas

NS=odh-ai-gateway-infra

setup_file() {
	sandbox_start --plain
	# No scheduled Job may land in the middle of a test (the sandbox
	# schedules on wall-clock quarter hours); Jobs made by hand still run,
	# as with a real suspended CronJob.
	sandbox_curl -sf -o /dev/null -X PATCH -H 'Content-Type: application/merge-patch+json' \
	    -H "Authorization: Bearer $SANDBOX_ADMIN_TOKEN" --data '{"spec":{"suspend":true}}' \
	    "$SANDBOX_API_URL/apis/batch/v1/namespaces/$NS/cronjobs/maas-api-key-cleanup"
	maas_subscription free 0 system:authenticated llm/m1=100/1m
	sandbox_token alice devs >"$SANDBOX_DIR/alice.token"
	export ALICE=$SANDBOX_DIR/alice.token
}
teardown_file() { sandbox_stop; }
setup() { common_setup; sandbox_use; }
teardown() { common_teardown; }

# api METHOD PATH [CURL ARGS...]: alice's maas-api call; body, a space,
# the status.
api() {
	local m=$1 p=$2
	shift 2
	sandbox_curl -s -w ' %{http_code}' -X "$m" -H "Authorization: Bearer $(cat "$ALICE")" "$@" "$MAAS_URL/maas-api$p"
}

# ephemeral [ARGS...]: the id of a new ephemeral key of alice.
ephemeral() {
	maasctl key create --ephemeral -o json --token "@$ALICE" "$@" | jq -r .id
}

# age ID SECONDS: make key ID expired SECONDS ago, in the state database
# (the sandbox cannot wait the 30-minute grace period).
age() {
	sqlite3 "$SANDBOX_DIR/state.db" "UPDATE api_keys SET expires_at = CAST(strftime('%s','now') AS INTEGER) - $2 WHERE id = '$1'"
}

# job_from_cronjob NAME: create Job NAME from the CronJob, as `kubectl
# create job NAME --from=cronjob/maas-api-key-cleanup` does.
job_from_cronjob() {
	maasctl get cronjob maas-api-key-cleanup -n "$NS" -o json | jq --arg n "$1" '{
	    apiVersion: "batch/v1", kind: "Job",
	    metadata: {name: $n, namespace: .metadata.namespace,
	        annotations: {"cronjob.kubernetes.io/instantiate": "manual"},
	        labels: .spec.jobTemplate.metadata.labels,
	        ownerReferences: [{apiVersion: "batch/v1", kind: "CronJob",
	            name: .metadata.name, uid: .metadata.uid,
	            controller: true, blockOwnerDeletion: true}]},
	    spec: .spec.jobTemplate.spec}' | maasctl apply -f -
}

# job_done NAME: wait (up to 5 s) until Job NAME has finished; print
# "<succeeded> <condition type>".
job_done() {
	local out
	for _ in $(seq 1 25); do
		out=$(maasctl get job "$1" -n "$NS" -o jsonpath='{.status.succeeded} {.status.conditions[0].type}')
		[ "$out" != " " ] && break
		sleep 0.2
	done
	printf '%s\n' "$out"
}

@test "the install's CronJob maas-api-key-cleanup and its NetworkPolicy exist (§5.9)" {
	run -0 --separate-stderr maasctl get cronjob maas-api-key-cleanup -n "$NS" -o jsonpath='{.spec.schedule}|{.spec.jobTemplate.metadata.labels.app}|{.spec.jobTemplate.spec.template.spec.containers[0].command}'
	[ "$output" = '*/15 * * * *|maas-api-cleanup|["curl","-sf","-X","POST","https://maas-api.odh-ai-gateway-infra.svc:8443/internal/v1/api-keys/cleanup"]' ]
	run -0 --separate-stderr maasctl get networkpolicy -n "$NS" -o name
	[ "$output" = networkpolicy.networking.k8s.io/maas-api-cleanup-restrict ]
	run -0 --separate-stderr maasctl get netpol maas-api-cleanup-restrict -n "$NS" -o jsonpath='{.spec.podSelector.matchLabels.app}'
	[ "$output" = maas-api-cleanup ]
	# Internal endpoints are in-cluster only: not on the gateway.
	run -0 api POST /internal/v1/api-keys/cleanup
	[ "$output" = "404 page not found 404" ]
}

@test "ephemeral keys are in search only with includeEphemeral (§5.9)" {
	id=$(ephemeral)
	run -0 api POST /v1/api-keys/search -d '{}'
	[[ $output == *' 200' && $output != *"$id"* ]]
	run -0 api POST /v1/api-keys/search -d '{"filters":{"includeEphemeral":false}}'
	[[ $output == *' 200' && $output != *"$id"* ]]
	run -0 api POST /v1/api-keys/search -d '{"filters":{"includeEphemeral":true}}'
	[[ $output == *' 200' ]]
	[ "$(jq -r --arg id "$id" '.data[] | select(.id == $id) | .ephemeral' <<<"${output% 200}")" = true ]
}

@test "a Job from the CronJob deletes only ephemeral keys expired over 30 min (§5.9, K7)" {
	live=$(ephemeral --expires 30m)
	recent=$(ephemeral)
	old=$(ephemeral)
	regular=$(maasctl key create reg-old -o name --token "@$ALICE")
	age "$recent" 600
	age "$old" 1801
	age "$regular" 86400
	run -0 --separate-stderr job_from_cronjob cleanup-manual
	[ "$output" = "job.batch/cleanup-manual created" ]
	run -0 job_done cleanup-manual
	[ "$output" = "1 Complete" ]
	run -0 grep -c 'key cleanup: Job cleanup-manual complete: Successfully deleted 1 expired ephemeral key(s)' "$SANDBOX_DIR/sandbox.log"
	[ "$output" = 1 ]
	# Gone for good: not even in an audit search.
	run -0 api GET "/v1/api-keys/$old"
	[ "$output" = '{"error":"API key not found"} 404' ]
	run -0 api POST /v1/api-keys/search -d '{"filters":{"includeEphemeral":true}}'
	[[ $output != *"$old"* && $output == *"$recent"* && $output == *"$live"* ]]
	# Not yet past the grace period, still valid, or not ephemeral: kept.
	for id_status in "$recent:expired" "$live:active" "$regular:expired"; do
		run -0 api GET "/v1/api-keys/${id_status%%:*}"
		[[ $output == *' 200' ]]
		[ "$(jq -r .status <<<"${output% 200}")" = "${id_status#*:}" ]
	done
	run -0 maasctl get cronjob maas-api-key-cleanup -n "$NS" -o jsonpath='{.status.lastSuccessfulTime}'
	[[ $output =~ ^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T ]]
}

@test "only the CronJob's Jobs run; its finished Jobs beyond successfulJobsHistoryLimit (3) are deleted" {
	# A Job that is not the CronJob's is left to its (absent) pods.
	maasctl apply -f - >/dev/null <<EOF
apiVersion: batch/v1
kind: Job
metadata: {name: unrelated, namespace: $NS}
spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}
EOF
	gone=$(ephemeral)
	age "$gone" 3600
	# Labelled as the CronJob's template labels its Jobs: it runs too.
	maasctl apply -f - >/dev/null <<EOF
apiVersion: batch/v1
kind: Job
metadata: {name: by-label, namespace: $NS, labels: {app: maas-api-cleanup}}
spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}
EOF
	run -0 job_done by-label
	[ "$output" = "1 Complete" ]
	run -0 api GET "/v1/api-keys/$gone"
	[ "$output" = '{"error":"API key not found"} 404' ]
	run -0 maasctl get job unrelated -n "$NS" -o json
	[ "$(jq -c '.status // {}' <<<"$output")" = '{}' ]
	for n in h1 h2 h3 h4; do
		job_from_cronjob "$n" >/dev/null
		run -0 job_done "$n"
		[ "$output" = "1 Complete" ]
		sleep 1 # distinct creation times
	done
	# cleanup-manual (earlier test), h1..h4 are owned: the newest 3 stay.
	run -0 --separate-stderr maasctl get job -n "$NS" -o name
	[ "$output" = "$(printf 'job.batch/by-label\njob.batch/h2\njob.batch/h3\njob.batch/h4\njob.batch/unrelated')" ]
}

@test "kubectl create job --from=cronjob/maas-api-key-cleanup runs the cleanup (K7)" {
	command -v kubectl >/dev/null || skip "kubectl is not installed"
	gone=$(ephemeral)
	age "$gone" 7200
	run -0 --separate-stderr kubectl create job cleanup-kubectl --from=cronjob/maas-api-key-cleanup -n "$NS"
	[ "$output" = "job.batch/cleanup-kubectl created" ]
	run -0 job_done cleanup-kubectl
	[ "$output" = "1 Complete" ]
	run -0 api GET "/v1/api-keys/$gone"
	[ "$output" = '{"error":"API key not found"} 404' ]
	# The Job is the CronJob's template, owned by it, as kubectl made it.
	run -0 --separate-stderr kubectl get job cleanup-kubectl -n "$NS" -o json
	[ "$(jq -c '.spec.template.spec.containers[0] | [.name, .image, .command[-1]]' <<<"$output")" = '["cleanup","registry.access.redhat.com/ubi9/ubi-minimal","https://maas-api.odh-ai-gateway-infra.svc:8443/internal/v1/api-keys/cleanup"]' ]
	[ "$(jq -r '.spec.template.spec.restartPolicy + " " + (.spec.backoffLimit|tostring) + " " + .spec.template.metadata.labels.app' <<<"$output")" = "Never 1 maas-api-cleanup" ]
	[ "$(jq -r '.metadata.ownerReferences[0] | .kind + "/" + .name' <<<"$output")" = CronJob/maas-api-key-cleanup ]
	[ "$(jq -r '.metadata.annotations["cronjob.kubernetes.io/instantiate"]' <<<"$output")" = manual ]
	run -0 --separate-stderr kubectl get cronjob,networkpolicy -n "$NS" -o name
	[ "$output" = "$(printf 'cronjob.batch/maas-api-key-cleanup\nnetworkpolicy.networking.k8s.io/maas-api-cleanup-restrict')" ]
}
