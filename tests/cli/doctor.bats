#!/usr/bin/env bats
# doctor.bats: `maasctl doctor` on a healthy sandbox (every check PASS, the
# temporary key revoked) and on sandboxes broken on purpose -- no auth
# policy, no subscription, a revoked key, a model not ready, the gateway
# unreachable -- where it names the cause each time and exits 1; the
# ephemeral-key cleanup CronJob suspended, failing, unrestricted or gone
# (warnings, exit 0).
load ../helpers/common
load ../helpers/sandbox

FIX=$BATS_TEST_DIRNAME/../fixtures/doctor

setup_file() {
	# No key cache: a revoked key is refused at once.
	export MAASCTL_SANDBOX_KEY_CACHE_TTL=0
	sandbox_start
	unset MAASCTL_SANDBOX_KEY_CACHE_TTL
	maasctl apply -f "$BATS_TEST_DIRNAME/../fixtures/doctor/healthy.yaml" >/dev/null
}
teardown_file() { sandbox_stop; }
# Each test starts on a healthy sandbox: the controller has reconciled
# what setup_file or the test before applied again (it paces its batches,
# and a model re-created starts after a delay), not while it still works.
setup() {
	common_setup
	sandbox_use
	sandbox_models_ready llm
	maasctl -n llm wait maasmodelref/sim --timeout 30s >/dev/null
	maasctl -n models-as-a-service wait maasauthpolicy/sim-access \
	    maassubscription/sim-sub --timeout 30s >/dev/null
}
teardown() { common_teardown; }

# check NAME: "STATUS message" of the first check NAME in $output (JSON).
check() {
	jq -r --arg n "$1" '[.checks[] | select(.check == $n)][0] | "\(.status) \(.message)"' <<<"$output"
}

@test "doctor on a healthy sandbox: every check passes, exit 0, the temporary key is revoked" {
	# Without a controller nothing sets the MaaSModelRef's phase, which
	# doctor must then report (and /v1/models lists only Ready models).
	phase=$(maasctl get maasmodelref sim -n llm -o 'jsonpath={.status.phase}')
	run -0 --separate-stderr maasctl doctor --retries 2 --retry-interval 100ms -o json
	[ "$(jq -r '.failed' <<<"$output")" = 0 ]
	for c in maas-url gateway-reach gateway default-deny key-cleanup model auth-policy subscription identity key-mint models inference usage auth-enforced; do
		if [ -z "$phase" ] && [ "$c" = model ]; then
			[ "$(check "$c")" = "WARN llm/sim: LLMInferenceService llm/sim exists but the MaaSModelRef has no status.phase yet" ]
		elif [ -z "$phase" ] && [ "$c" = models ]; then
			[ "$(check "$c")" = "WARN GET /v1/models lists no model for this key" ]
		else
			[[ $(check "$c") == PASS* ]] || { echo "$c: $(check "$c")"; return 1; }
		fi
	done
	[ -z "$phase" ] || [ "$(jq -r '[.checks[] | select(.status != "PASS")] | length' <<<"$output")" = 0 ]
	[[ $stderr == *"doctor: revoked the temporary key "* ]]
	id=${stderr##*temporary key }
	[ "$(sqlite3 "$SANDBOX_DIR/state.db" "SELECT status FROM api_keys WHERE id = '$id'")" = revoked ]
	# The human form: one line per check, then the totals.
	run -0 maasctl doctor sim --retries 1
	[[ ${lines[0]} == "PASS  maas-url "* ]]
	[[ $output =~ PASS\ +inference\ +POST\ /v1/chat/completions\ for\ publishers/llm/models/doc/sim:\ 200 ]]
	[[ ${lines[-1]} =~ ^[0-9]+\ passed,\ [0-9]+\ warnings,\ 0\ failed,\ 0\ skipped$ ]]
	[ -z "$phase" ] || [[ ${lines[-1]} == *" 0 warnings,"* ]]
}

@test "no auth policy: doctor names the missing MaaSAuthPolicy and the 403, exit 1" {
	maasctl delete -f "$FIX/policy.yaml" >/dev/null
	run -1 --separate-stderr maasctl doctor sim --retries 1 -o json
	maasctl apply -f "$FIX/policy.yaml" >/dev/null
	[[ $(check auth-policy) == "FAIL llm/sim: no MaaSAuthPolicy in models-as-a-service grants access to it"* ]]
	[[ $(check inference) == "FAIL POST /v1/chat/completions for publishers/llm/models/doc/sim: HTTP 403: Access denied"* ]]
	[ "$(jq -r '.checks[] | select(.check == "auth-policy") | .fix' <<<"$output")" != null ]
	[[ $stderr =~ maasctl:\ doctor:\ [0-9]+\ checks\ failed ]]
}

@test "no subscription: doctor names the missing MaaSSubscription, exit 1" {
	maasctl delete -f "$FIX/subscription.yaml" >/dev/null
	run -1 --separate-stderr maasctl doctor sim --retries 1 -o json
	maasctl apply -f "$FIX/subscription.yaml" >/dev/null
	[[ $(check subscription) == "FAIL llm/sim: no MaaSSubscription in models-as-a-service lists it"* ]]
	# Either no key can be bound at all, or the model is refused.
	[[ $(check key-mint) == "FAIL no subscription:"* ]] || [[ $(check inference) == "FAIL "*"403"* ]]
}

@test "a revoked API key: doctor says the configured key is refused, exit 1" {
	tok=$(sandbox_token alice)
	key=$(TOK=$tok maasctl key create doc-revoked --token env:TOK)
	printf '%s\n' "$key" >"$TEST_HOME/key"
	id=$(TOK=$tok maasctl key list -o json --token env:TOK | jq -r '.data[] | select(.name == "doc-revoked") | .id')
	TOK=$tok maasctl key revoke "$id" --token env:TOK >/dev/null
	run -1 --separate-stderr maasctl doctor sim --retries 1 --api-key "@$TEST_HOME/key" -o json
	[[ $(check api-key) == "FAIL the configured API key is refused (revoked, expired or unknown): HTTP 403"* ]]
	[[ $output != *"$key"* && $stderr != *"$key"* ]]
}

@test "model not ready: doctor names the missing LLMInferenceService and the 503, exit 1" {
	kubeconfig=$SANDBOX_KUBECONFIG
	maasctl get llminferenceservice sim -n llm -o json >"$TEST_HOME/sim.json"
	maasctl delete llminferenceservice sim -n llm >/dev/null
	run -1 --separate-stderr maasctl doctor sim --retries 1 -o json
	jq 'del(.metadata.resourceVersion, .metadata.uid, .metadata.creationTimestamp, .metadata.generation, .metadata.managedFields, .status)' "$TEST_HOME/sim.json" >"$TEST_HOME/sim2.json"
	maasctl apply -f "$TEST_HOME/sim2.json" >/dev/null
	[[ $(check model) == "FAIL llm/sim: model not ready: LLMInferenceService llm/sim: "*"not found"* ]]
	# No healthy upstream, or (once the controller degrades the
	# subscription) its rate limit policy not ready: refused either way.
	[[ $(check inference) == "FAIL "*"HTTP 503"* ]] || [[ $(check inference) == "FAIL "*"HTTP 403: subscription rate limiting policies are not ready"* ]]
}

# infra_patch RESOURCE[/status] NAME JSON: merge-patch a batch or
# networking object in maas-api's namespace as the cluster admin.
infra_patch() {
	local grp=batch
	[[ $1 == networkpolicies* ]] && grp=networking.k8s.io
	sandbox_curl -sf -o /dev/null -X PATCH -H "Authorization: Bearer $SANDBOX_ADMIN_TOKEN" \
	    -H 'Content-Type: application/merge-patch+json' --data "$3" \
	    "$SANDBOX_API_URL/apis/$grp/v1/namespaces/odh-ai-gateway-infra/${1%%/*}/$2${1#"${1%%/*}"}"
}

@test "ephemeral-key cleanup (D25): suspended, a failed run, no NetworkPolicy, no CronJob each WARN with the cause" {
	ns=odh-ai-gateway-infra
	run -0 --separate-stderr maasctl doctor sim --retries 1 -o json
	[[ $(check key-cleanup) == "PASS CronJob $ns/maas-api-key-cleanup (*/15 * * * *), last success "*"; its Jobs are restricted by a NetworkPolicy" ]]
	infra_patch cronjobs maas-api-key-cleanup '{"spec":{"suspend":true}}'
	run -0 --separate-stderr maasctl doctor sim --retries 1 -o json
	infra_patch cronjobs maas-api-key-cleanup '{"spec":{"suspend":false}}'
	[ "$(check key-cleanup)" = "WARN CronJob $ns/maas-api-key-cleanup is suspended: expired ephemeral keys are not deleted" ]
	# A run that did not succeed, as a cluster records it.
	infra_patch cronjobs/status maas-api-key-cleanup '{"status":{"lastScheduleTime":"2030-01-01T00:15:00Z","lastSuccessfulTime":"2030-01-01T00:00:00Z"}}'
	run -0 --separate-stderr maasctl doctor sim --retries 1 -o json
	infra_patch cronjobs/status maas-api-key-cleanup '{"status":{"lastScheduleTime":null,"lastSuccessfulTime":null}}'
	[ "$(check key-cleanup)" = "WARN CronJob $ns/maas-api-key-cleanup: the Job of 2030-01-01T00:15:00Z did not succeed (last success: 2030-01-01T00:00:00Z)" ]
	[ "$(jq -r '.checks[] | select(.check == "key-cleanup") | .fix' <<<"$output")" = "look at the failed Jobs: kubectl get jobs -l app=maas-api-cleanup" ]
	maasctl get networkpolicy maas-api-cleanup-restrict -n "$ns" -o json | jq 'del(.metadata.resourceVersion, .metadata.uid, .metadata.creationTimestamp, .metadata.generation, .metadata.managedFields)' >"$TEST_HOME/np.json"
	maasctl delete networkpolicy maas-api-cleanup-restrict -n "$ns" >/dev/null
	run -0 --separate-stderr maasctl doctor sim --retries 1 -o json
	maasctl apply -f "$TEST_HOME/np.json" >/dev/null
	[ "$(check key-cleanup)" = "WARN no NetworkPolicy in $ns restricts the cleanup Jobs (pods labelled app=maas-api-cleanup)" ]
	maasctl get cronjob maas-api-key-cleanup -n "$ns" -o json | jq 'del(.metadata.resourceVersion, .metadata.uid, .metadata.creationTimestamp, .metadata.generation, .metadata.managedFields, .status)' >"$TEST_HOME/cj.json"
	maasctl delete cronjob maas-api-key-cleanup -n "$ns" >/dev/null
	run -0 --separate-stderr maasctl doctor sim --retries 1
	maasctl apply -f "$TEST_HOME/cj.json" >/dev/null
	[[ $output == *"WARN  key-cleanup      no CronJob maas-api-key-cleanup in maas-api's namespace: expired ephemeral keys are never deleted"* ]]
	[[ $output == *"fix: restore the CronJob from the install (it POSTs /internal/v1/api-keys/cleanup on maas-api every 15 minutes)"* ]]
	run -0 --separate-stderr maasctl doctor sim --retries 1 -o json
	[[ $(check key-cleanup) == PASS* ]]
}

@test "gateway unreachable: doctor says so and skips what needs it, exit 1" {
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	run -1 --separate-stderr maasctl doctor --maas-url "http://127.0.0.1:$port" --retries 1
	[[ $output == *"FAIL  gateway-reach    gateway unreachable: GET http://127.0.0.1:$port/maas-api/health: cannot connect to 127.0.0.1:$port"* ]]
	[[ $output == *"fix: start the gateway (maasctl sandbox up)"* ]]
	[[ $output == *"SKIP  api              key, models and inference checks skipped: the gateway is not reachable"* ]]
	[ "${stderr}" = "maasctl: doctor: 1 check failed" ]
}

@test "doctor: an unknown MODEL fails; bad flags exit 2" {
	run -1 --separate-stderr maasctl doctor nothing-here --retries 1 -o json
	[[ $(check model) == 'FAIL no MaaSModelRef named or serving "nothing-here"' ]]
	run -2 --separate-stderr maasctl doctor -o yaml
	[ "$stderr" = 'maasctl: doctor: unsupported output format "yaml" (want json)' ]
	run -2 --separate-stderr maasctl doctor --retries 0
	run -2 --separate-stderr maasctl doctor a b
	run -0 maasctl doctor --help
	[[ ${lines[0]} == "Usage: maasctl doctor [MODEL] "* ]]
}
