#!/usr/bin/env bats
# nocontroller.bats: a sandbox started with --no-controller, the window
# before maas-controller reconciles an object (or a cluster without it).
# Nothing sets phases here but the tests, through the /status
# subresource, so the clients' and maas-api's handling of Pending,
# Failed and unreconciled objects is tested on phases a running
# controller would move on from at once.
bats_require_minimum_version 1.5.0
load ../helpers/common
load ../helpers/sandbox
load ../helpers/maas

T=models-as-a-service
M=/apis/maas.opendatahub.io/v1alpha1/namespaces

setup_file() {
	sandbox_start --plain --no-controller
	maas_model llm free-m Ready
	maas_policy free-access phasers llm/free-m,llm/missing
	maas_subscription ph-pending 0 phasers llm/missing=10/1m Pending
	maas_subscription ph-none 0 phasers llm/missing=10/1m
	sandbox_token frank phasers >"$SANDBOX_DIR/frank.token"
}
teardown_file() { sandbox_stop; }
setup() {
	common_setup
	sandbox_use
	FRANK=$SANDBOX_DIR/frank.token
}
teardown() {
	[ -n "${FAKER:-}" ] && kill "$FAKER" 2>/dev/null
	common_teardown
}

# kapi METHOD PATH BODY [CONTENT-TYPE]: an admin Kubernetes API request.
kapi() {
	sandbox_curl -f -o /dev/null -X "$1" \
	    -H "Authorization: Bearer $SANDBOX_ADMIN_TOKEN" \
	    -H "Content-Type: ${4:-application/json}" --data "$3" \
	    "$SANDBOX_API_URL$2"
}
# mapi TOKENFILE METHOD PATH [CURL ARGS...]: maas-api body, a space, the status.
mapi() {
	local t=$1 m=$2 p=$3
	shift 3
	sandbox_curl -s -w ' %{http_code}' -X "$m" -H "Authorization: Bearer $(cat "$t")" "$@" "$MAAS_URL/maas-api$p"
}
llmisvc() {
	kapi POST /apis/serving.kserve.io/v1alpha1/namespaces/llm/llminferenceservices \
	    "{\"apiVersion\":\"serving.kserve.io/v1alpha1\",\"kind\":\"LLMInferenceService\",\"metadata\":{\"name\":\"$1\"},\"spec\":{\"model\":{\"uri\":\"hf://x/y\",\"name\":\"facebook/opt-125m\"}}}"
}
# set_phase_when_created MODEL PHASE: in the background, play the
# controller: once publish has created the MaaSModelRef, set its phase.
set_phase_when_created() {
	(
		for _ in $(seq 1 100); do
			kapi PATCH "$M/llm/maasmodelrefs/$1/status" \
			    "{\"status\":{\"phase\":\"$2\",\"endpoint\":\"$SANDBOX_MAAS_URL/llm/$1\"}}" \
			    application/merge-patch+json 2>/dev/null && break
			sleep 0.1
		done
	) >/dev/null 2>&1 &
	FAKER=$!
}

@test "sandbox up --no-controller: objects keep the status clients write" {
	run -0 maasctl -n llm get maasmodelref free-m -o 'jsonpath={.status.phase}'
	[ "$output" = Ready ]
	run -0 maasctl -n "$T" get maassubscription ph-none -o 'jsonpath={.status}'
	[ -z "$output" ]
	# No generated TokenRateLimitPolicy: nothing reconciled the subscriptions.
	run -4 maasctl -n llm get tokenratelimitpolicy maas-trlp-free-m
	[ "$output" = 'Error from server (NotFound): tokenratelimitpolicies.kuadrant.io "maas-trlp-free-m" not found' ]
	run -0 maasctl sandbox serve --help
	[[ $output == *"--no-controller"* ]]
}

@test "mint against subscription phases: Pending ok, unreconciled 400 (§5.10)" {
	run -0 mapi "$FRANK" POST /v1/api-keys -d '{"name":"f-pend","subscription":"ph-pending"}'
	[[ $output == *'"subscription":"ph-pending"'*' 201' ]]
	run -0 mapi "$FRANK" POST /v1/api-keys -d '{"name":"x","subscription":"ph-none"}'
	[ "$output" = '{"error":"subscription is unreconciled (no status.phase set)","code":"subscription_not_ready"} 400' ]
	run -2 maasctl key create x --subscription ph-none --token "@$FRANK"
	[ "$output" = "maasctl: key create: 400 Bad Request: subscription is unreconciled (no status.phase set)" ]
}

@test "publish waits: Failed is exit 1, a model nobody governs stops at Pending, timeout is 7" {
	llmisvc fails
	set_phase_when_created fails Failed
	run -1 --separate-stderr maasctl -n llm publish fails --wait=20s
	[ "$stderr" = "maasctl: MaaSModelRef llm/fails failed: phase Failed" ]
	llmisvc pend
	set_phase_when_created pend Pending
	run -0 --separate-stderr maasctl -n llm publish pend --wait=20s
	[ "${lines[2]}" = "model llm/pend is Pending" ]
	[[ $stderr == *"warning: no MaaSAuthPolicy grants access to llm/pend yet"* ]]
	llmisvc slow
	run -7 --separate-stderr maasctl -n llm publish slow --group g --limit 1/1m --wait=1s
	[ "$stderr" = "maasctl: timed out after 1s waiting for MaaSModelRef llm/slow to become Ready: no phase yet" ]
}

@test "/v1/subscriptions lists only Active/Degraded; per model lists every phase (§5.10)" {
	run -0 mapi "$FRANK" GET /v1/subscriptions
	[ "$output" = '[] 200' ]
	run -0 mapi "$FRANK" GET /v1/model/missing/subscriptions
	[ "$(printf '%s' "${output% 200}" | jq -r '[.[].subscription_id_header] | join(",")')" = "ph-none,ph-pending" ]
}
