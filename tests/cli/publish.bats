#!/usr/bin/env bats
# publish.bats: publish, unpublish and status against a real sandbox: the
# seed walkthrough gives the objects the reference samples describe,
# reruns change nothing, existing policies and subscriptions are extended,
# waits end on Ready, Failed or timeout, and bad input leaves the cluster
# as it was.  (Waits on phases a controller moves on from at once are in
# nocontroller.bats.)
bats_require_minimum_version 1.5.0
load ../helpers/common
load ../helpers/sandbox

SAMPLES=$BATS_TEST_DIRNAME/../../../shared/reference/samples
: "${BUILD:=build}"
JP=$MAASCTL_TEST_ROOT/$BUILD/tests/helpers/jsonpath-tool
T=models-as-a-service

setup_file() {
	sandbox_start
	api POST /api/v1/namespaces '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"llm"}}'
}
teardown_file() { sandbox_stop; }

setup() {
	common_setup
	sandbox_use
}
teardown() {
	common_teardown
}

# api METHOD PATH BODY [CONTENT-TYPE]: an admin request (no discovery cost).
api() {
	sandbox_curl -f -o /dev/null -X "$1" \
	    -H "Authorization: Bearer $SANDBOX_ADMIN_TOKEN" \
	    -H "Content-Type: ${4:-application/json}" --data "$3" \
	    "$SANDBOX_API_URL$2"
}

M=/apis/maas.opendatahub.io/v1alpha1/namespaces

# llmisvc NAME [ROUTER-JSON]: an LLMInferenceService in llm.
llmisvc() {
	api POST /apis/serving.kserve.io/v1alpha1/namespaces/llm/llminferenceservices \
	    "{\"apiVersion\":\"serving.kserve.io/v1alpha1\",\"kind\":\"LLMInferenceService\",\"metadata\":{\"name\":\"$1\"},\"spec\":{\"model\":{\"uri\":\"hf://x/y\",\"name\":\"facebook/opt-125m\"}${2:+,\"router\":$2}}}"
}

# spec_of KIND NS NAME: the object's spec, keys sorted.
spec_of() {
	maasctl -n "$2" get "$1" "$3" -o json | jq -S .spec
}
sample_spec() {
	"$JP" -j "$1" '{.spec}' | jq -S '.[0]'
}

@test "seed walkthrough: publish gives the objects the reference samples describe" {
	llmisvc facebook-opt-125m-simulated
	run -0 --separate-stderr maasctl -n llm publish facebook-opt-125m-simulated \
	    --group system:authenticated --limit 100/1m --priority 10 \
	    --policy simulator-access --subscription simulator-subscription --wait=60s
	[ "${lines[0]}" = "llminferenceservice.serving.kserve.io/facebook-opt-125m-simulated patched" ]
	[ "${lines[1]}" = "maasmodelref.maas.opendatahub.io/facebook-opt-125m-simulated created" ]
	[ "${lines[2]}" = "maasauthpolicy.maas.opendatahub.io/simulator-access created" ]
	[ "${lines[3]}" = "maassubscription.maas.opendatahub.io/simulator-subscription created" ]
	[[ ${lines[4]} == "model llm/facebook-opt-125m-simulated is Ready at "*"/llm/facebook-opt-125m-simulated" ]]
	[[ ${lines[6]} == "  curl -sS "*'/v1/chat/completions -H "Authorization: Bearer $MAAS_API_KEY"'*'"model":"facebook/opt-125m"'* ]]
	[[ $output != *sk-oai-* ]]
	# The same objects as the hand-written samples, metadata aside.
	F=$SAMPLES/maas-system/free/maas
	[ "$(spec_of maasmodelref llm facebook-opt-125m-simulated)" = "$(sample_spec "$F/maas-model.yaml")" ]
	[ "$(spec_of maasauthpolicy $T simulator-access)" = "$(sample_spec "$F/maas-auth-policy.yaml")" ]
	[ "$(spec_of maassubscription $T simulator-subscription)" = "$(sample_spec "$F/maas-subscription.yaml")" ]
	# The gateway ref, as the model sample carries it.
	run -0 maasctl -n llm get llminferenceservice facebook-opt-125m-simulated -o 'jsonpath={.spec.router.gateway.refs}'
	[ "$output" = "$("$JP" "$SAMPLES/models/simulator/model.yaml" '{.spec.router.gateway.refs}')" ]
	# Again: nothing changes.
	run -0 maasctl -n llm publish facebook-opt-125m-simulated --group system:authenticated \
	    --limit 100/1m --priority 10 --policy simulator-access --subscription simulator-subscription
	[ "${lines[0]}" = "llminferenceservice.serving.kserve.io/facebook-opt-125m-simulated unchanged" ]
	[ "${lines[3]}" = "maassubscription.maas.opendatahub.io/simulator-subscription unchanged" ]
}

@test "status: models, policies, subscriptions and warnings on one screen; -o json" {
	llmisvc lonely
	run -0 --separate-stderr maasctl -n llm publish lonely --no-wait
	[ "${lines[1]}" = "maasmodelref.maas.opendatahub.io/lonely created" ]
	[ "${stderr_lines[0]}" = "warning: no MaaSAuthPolicy grants access to llm/lonely yet: give --group/--user, or maasctl authpolicy create" ]
	run -0 maasctl status
	[ "${lines[0]}" = "MODELS" ]
	[[ $output == *$'\nAUTH POLICIES\n'* ]]
	[[ $output == *$'\nSUBSCRIPTIONS\n'* ]]
	[[ $output == *"  model llm/lonely has no MaaSAuthPolicy: nobody may call it"* ]]
	[[ $output == *"  model llm/lonely has no MaaSSubscription: every call to it is refused"* ]]
	run -0 maasctl status -o json
	[ "$(jq -r '.models[] | select(.name=="lonely") | .authPolicies | length' <<<"$output")" = 0 ]
	[ "$(jq -r '[.warnings[] | select(contains("llm/lonely"))] | length' <<<"$output")" = 2 ]
	run -2 maasctl status -o name
	[[ $output == 'error: unable to match a printer suitable for the output format "name"'* ]]
}

@test "publish extends an existing policy and subscription; limits replaced" {
	llmisvc ext-a '{"route":{},"gateway":{"refs":[{"name":"other","namespace":"x"}]}}'
	llmisvc ext-b
	run -0 maasctl -n llm publish ext-a --group team --limit 10/1m --subscription team-sub --policy team-ap --no-wait
	run -0 maasctl -n llm get llminferenceservice ext-a -o 'jsonpath={.spec.router.gateway.refs[*].name}'
	[ "$output" = "other maas-default-gateway" ]
	run -0 maasctl -n llm publish ext-b --user alice --limit 20/1h --limit 5/1m --subscription team-sub --policy team-ap --no-wait
	[ "${lines[2]}" = "maasauthpolicy.maas.opendatahub.io/team-ap configured" ]
	[ "${lines[3]}" = "maassubscription.maas.opendatahub.io/team-sub configured" ]
	run -0 maasctl -n $T get maassubscription team-sub -o 'jsonpath={range .spec.modelRefs[*]}{.name}={.tokenRateLimits[*].limit};{end}{.spec.owner.users}'
	[ "$output" = 'ext-a=10;ext-b=20 5;["alice"]' ]
	run -0 maasctl -n llm publish ext-a --limit 99/1m --subscription team-sub --no-wait
	run -0 maasctl -n $T get maassubscription team-sub -o 'jsonpath={.spec.modelRefs[0].tokenRateLimits[0].limit}'
	[ "$output" = 99 ]
	run -0 maasctl -n $T get maasauthpolicy team-ap -o 'jsonpath={.spec.modelRefs[*].name}'
	[ "$output" = "ext-a ext-b" ]
}

@test "unpublish reverses publish and names what still references the model" {
	llmisvc gone
	run -0 maasctl -n llm publish gone --group g1 --limit 10/1m --no-wait
	maasctl -n $T apply -f - >/dev/null <<-EOF2
	apiVersion: maas.opendatahub.io/v1alpha1
	kind: MaaSSubscription
	metadata: {name: keeper}
	spec:
	  owner: {groups: [{name: g2}]}
	  modelRefs: [{name: gone, namespace: llm, tokenRateLimits: [{limit: 1, window: 1s}]}]
	EOF2
	run -0 --separate-stderr maasctl -n llm unpublish gone --wait=30s
	[ "${lines[0]}" = "maasauthpolicy.maas.opendatahub.io/gone-access deleted" ]
	[ "${lines[1]}" = "maassubscription.maas.opendatahub.io/gone-subscription deleted" ]
	[ "${lines[2]}" = "maasmodelref.maas.opendatahub.io/gone deleted" ]
	[ "${lines[3]}" = "llminferenceservice.serving.kserve.io/gone patched" ]
	[ "$stderr" = "warning: MaaSSubscription $T/keeper still references llm/gone" ]
	run -0 maasctl -n llm get llminferenceservice gone -o 'jsonpath={.spec.router.gateway.refs}'
	[ "$output" = "[]" ]
	run -4 maasctl -n llm get maasmodelref gone
	run -4 maasctl -n llm unpublish gone
	[ "$output" = "maasctl: unpublish: llm/gone is not published (no MaaSModelRef, no gateway ref)" ]
}

@test "bad input: one clear line, the documented status, nothing changed" {
	llmisvc bad
	run -2 maasctl -n llm publish bad --group g --limit 0/1m
	[ "$output" = 'maasctl: invalid --limit "0/1m": the limit must be from 1 to 1000000000 tokens' ]
	run -2 maasctl -n llm publish bad --group g --limit 100/1d
	[[ $output == 'maasctl: invalid --limit "100/1d": invalid window "1d": want 1-9999 followed by s, m or h'* ]]
	run -2 maasctl -n llm publish bad --group g --limit 100
	[ "$output" = 'maasctl: invalid --limit "100": want LIMIT/WINDOW, e.g. 50000/1h' ]
	run -2 maasctl -n llm publish bad --group g --limit 1/1m --limit 2/1m
	[ "$output" = 'maasctl: invalid --limit "2/1m": window 1m is given twice' ]
	run -2 maasctl -n llm publish bad --group ''
	[ "$output" = 'maasctl: invalid --group "": a group name cannot be empty' ]
	run -2 maasctl -n llm publish bad --limit 1/1m
	[ "$output" = "maasctl: publish: MaaSSubscription $T/bad-subscription does not exist; give --group or --user (its owners) to create it" ]
	run -2 maasctl -n llm publish bad --tiers ,
	[ "$output" = 'maasctl: invalid --tiers ",": want TIER[,TIER...] or all' ]
	run -2 maasctl -n llm publish bad --dry-run=maybe
	[ "${lines[0]}" = 'error: Invalid dry-run value (maybe). Must be "none", "server", or "client".' ]
	run -2 maasctl -n llm publish
	run -4 maasctl -n llm publish nosuch --group g --limit 1/1m
	[ "${lines[0]}" = "maasctl: publish: LLMInferenceService llm/nosuch not found" ]
	run -4 maasctl -n llm get maasmodelref nosuch
	# A MaaSModelRef of that name pointing elsewhere is a conflict.
	maasctl -n llm apply -f - >/dev/null <<-EOF2
	apiVersion: maas.opendatahub.io/v1alpha1
	kind: MaaSModelRef
	metadata: {name: clash}
	spec: {modelRef: {kind: ExternalModel, name: elsewhere}}
	EOF2
	llmisvc clash
	run -5 maasctl -n llm publish clash --no-wait
	[ "$output" = "maasctl: publish: MaaSModelRef llm/clash already exists and points at ExternalModel elsewhere, not LLMInferenceService clash" ]
	run -0 maasctl -n llm get llminferenceservice clash -o 'jsonpath={.spec.router}'
	[ "$output" = "" ]
	run -3 maasctl --token "$(sandbox_token mallory)" -n llm publish bad --group g --limit 1/1m --no-wait
	[[ $output == *"Error from server (Forbidden): "* ]]
	run -6 maasctl --server http://127.0.0.1:1 -n llm publish bad
	[[ $output == "The connection to the server 127.0.0.1:1 was refused"* ]]
	# None of this created anything for "bad".
	run -4 maasctl -n llm get maasmodelref bad
	run -4 maasctl -n $T get maassubscription bad-subscription
}

@test "--dry-run=client changes nothing; --dry-run=server lets the server check" {
	llmisvc dry
	run -0 maasctl -n llm publish dry --group g --limit 5/1m --dry-run
	[ "${lines[1]}" = "maasmodelref.maas.opendatahub.io/dry created (dry run)" ]
	run -4 maasctl -n llm get maasmodelref dry
	run -0 maasctl -n llm publish dry --group g --limit 5/1m --dry-run=server
	[ "${lines[3]}" = "maassubscription.maas.opendatahub.io/dry-subscription created (server dry run)" ]
	run -4 maasctl -n $T get maassubscription dry-subscription
	run -0 maasctl -n llm get llminferenceservice dry -o 'jsonpath={.spec.router}'
	[ "$output" = "" ]
}

@test "--help, man synopsis and completion of model names" {
	run -0 maasctl publish --help
	[[ ${lines[0]} == "Usage: maasctl publish MODEL [-n NS] [--group G]..."* ]]
	[[ $output == *"--wait[=TIMEOUT]"* ]]
	run -0 maasctl unpublish --help
	[[ $output == *"--keep-gateway-ref"* ]]
	llmisvc compl-me
	run -0 maasctl __complete -n llm publish compl
	[[ $output == *"compl-me"* ]]
}
