#!/usr/bin/env bats
# authpolicy.bats: maasctl authpolicy (ap) and maasctl modelref (mr)
# against a sandbox: create/list/get/update/grant/revoke/delete, metering
# metadata, model ref backends and annotations, every -o, --dry-run,
# --wait on Active/Ready phases written through /status, and completion.
# Failures are in admin-errors.bats.
bats_require_minimum_version 1.5.0
load ../helpers/common
load ../helpers/sandbox
load ../helpers/admin

setup_file() {
	sandbox_start
	admin_seed
}
teardown_file() { sandbox_stop; }

setup() { admin_setup; }
teardown() { admin_teardown; }

@test "authpolicy create, list, get; ap is the same group" {
	run -0 maasctl authpolicy create p-basic --group team-a --user system:serviceaccount:ci:bot \
	    --model llm/granite --org acme --cost-center cc-1 --meta-label tier=gold \
	    --display-name "Team A" --description "team a access"
	[ "$output" = "maasauthpolicy.maas.opendatahub.io/p-basic created" ]
	run -0 maasctl ap get p-basic -o 'jsonpath={.spec.subjects.groups[0].name} {.spec.subjects.users[0]} {.spec.modelRefs[0].namespace}/{.spec.modelRefs[0].name} {.spec.meteringMetadata.organizationId} {.spec.meteringMetadata.costCenter} {.spec.meteringMetadata.labels.tier} {.metadata.annotations.openshift\.io/description}'
	[ "$output" = "team-a system:serviceaccount:ci:bot llm/granite acme cc-1 gold team a access" ]
	run -0 maasctl ap list
	[[ ${lines[0]} =~ ^NAME\ +PHASE\ +SUBJECTS\ +MODELS\ +AGE$ ]]
	[[ ${lines[1]} =~ ^p-basic\ +[^\ ]+\ +group:team-a,user:system:serviceaccount:ci:bot\ +llm/granite\ +[0-9][0-9smhd]*$ ]]
	run -0 maasctl ap list -o wide
	[[ ${lines[0]} == *"AUTHPOLICIES   ORGANIZATION" ]]
	[[ ${lines[1]} =~ \ acme$ ]]
	run -0 maasctl ap list -o name -A
	[ "$output" = "maasauthpolicy.maas.opendatahub.io/p-basic" ]
}

@test "grant adds, leaves what is there, and says unchanged when nothing is new" {
	maasctl ap create p-grant --group g1 --model llm/granite >/dev/null
	run -0 maasctl ap grant p-grant --group g2 --user bob --model llm/mistral
	[ "$output" = "maasauthpolicy.maas.opendatahub.io/p-grant configured" ]
	run -0 maasctl ap get p-grant -o 'jsonpath={.spec.subjects.groups[*].name}|{.spec.subjects.users[*]}|{.spec.modelRefs[*].name}'
	[ "$output" = "g1 g2|bob|granite mistral" ]
	run -0 maasctl ap grant p-grant --group g1 --model llm/granite
	[ "$output" = "maasauthpolicy.maas.opendatahub.io/p-grant unchanged" ]
}

@test "grant creates a missing policy" {
	run -0 maasctl ap grant p-new --group g --model llm/granite
	[ "$output" = "maasauthpolicy.maas.opendatahub.io/p-new created" ]
	run -0 maasctl ap get p-new -o 'jsonpath={.spec.subjects.groups[0].name}'
	[ "$output" = g ]
}

@test "revoke removes groups, users and models" {
	maasctl ap create p-rev --group g1 --group g2 --user bob --model llm/granite --model llm/mistral >/dev/null
	run -0 maasctl ap revoke p-rev --group g1 --user bob --model llm/mistral
	[ "$output" = "maasauthpolicy.maas.opendatahub.io/p-rev configured" ]
	run -0 maasctl ap get p-rev -o 'jsonpath={.spec.subjects.groups[*].name}|{.spec.subjects.users[*]}|{.spec.modelRefs[*].name}'
	[ "$output" = "g2||granite" ]
}

@test "update replaces the lists named and keeps the others" {
	maasctl ap create p-upd --group g1 --user bob --model llm/granite >/dev/null
	run -0 maasctl ap update p-upd --group g9 --org neworg
	run -0 maasctl ap get p-upd -o 'jsonpath={.spec.subjects.groups[*].name}|{.spec.subjects.users[*]}|{.spec.meteringMetadata.organizationId}'
	[ "$output" = "g9|bob|neworg" ]
}

@test "authpolicy --dry-run and delete" {
	run -0 maasctl ap create p-dry --group g --model llm/granite --dry-run=server
	[ "$output" = "maasauthpolicy.maas.opendatahub.io/p-dry created (server dry run)" ]
	run -0 maasctl ap create p-dry --group g --model llm/granite --dry-run -o json
	[[ $output == *'"kind": "MaaSAuthPolicy"'* ]]
	run -4 maasctl ap get p-dry
	maasctl ap create p-dry --group g --model llm/granite >/dev/null
	run -0 maasctl ap delete p-dry
	[ "$output" = 'maasauthpolicy.maas.opendatahub.io "p-dry" deleted' ]
	run -4 maasctl ap get p-dry
}

@test "authpolicy --wait returns once Active" {
	phase_when_created maasauthpolicies "$WAIT_NS" p-wait Active
	run -0 --separate-stderr maasctl -n "$WAIT_NS" ap create p-wait --group g --model llm/granite --wait=20s
	[ "$stderr" = "MaaSAuthPolicy $WAIT_NS/p-wait is Active" ]
}

@test "authpolicy completion of names" {
	maasctl ap create p-comp --group g --model llm/granite >/dev/null
	run -0 --separate-stderr maasctl __complete ap revoke p-com
	[ "${lines[0]}" = p-comp ]
	run -0 --separate-stderr maasctl __complete ap grant p-comp --model llm/m
	[ "${lines[0]}" = llm/mistral ]
}

@test "modelref create, list, get; mr is the same group" {
	run -0 maasctl -n llm modelref create m-basic --llmisvc granite --no-backend-check \
	    --display-name "Granite 3.1" --description "small model" --use-case chat \
	    --context-window 131072 --capability chat --capability tools \
	    --endpoint-override https://granite.example/v1
	[ "$output" = "maasmodelref.maas.opendatahub.io/m-basic created" ]
	run -0 maasctl -n llm mr get m-basic -o json
	[ "$(jq -r '.spec.modelRef.kind + "/" + .spec.modelRef.name + " " + .spec.endpointOverride' <<<"$output")" = "LLMInferenceService/granite https://granite.example/v1" ]
	[ "$(jq -r '.metadata.annotations["opendatahub.io/model-capabilities"]' <<<"$output")" = '["chat","tools"]' ]
	[ "$(jq -r '.metadata.annotations["opendatahub.io/context-window"]' <<<"$output")" = 131072 ]
	[ "$(jq -r '.metadata.annotations["opendatahub.io/genai-use-case"]' <<<"$output")" = chat ]
	run -0 maasctl -n llm mr list
	[[ ${lines[0]} =~ ^NAME\ +PHASE\ +BACKEND\ +ENDPOINT\ +AGE$ ]]
	run -0 maasctl mr list -A -o wide
	[[ $output =~ llm\ +m-basic\ +[^\ ]+\ +LLMInferenceService/granite\ +[^\ ]+\ +[0-9][0-9smhd]*\ +Granite\ 3.1 ]]
}

@test "modelref update switches the backend and removes the override" {
	maasctl -n llm mr create m-upd --llmisvc granite --no-backend-check --endpoint-override http://x.example >/dev/null
	run -0 maasctl -n llm mr update m-upd --external gpt --no-backend-check --endpoint-override ''
	[ "$output" = "maasmodelref.maas.opendatahub.io/m-upd configured" ]
	run -0 maasctl -n llm mr get m-upd -o 'jsonpath={.spec.modelRef.kind}/{.spec.modelRef.name} [{.spec.endpointOverride}]'
	[ "$output" = "ExternalModel/gpt []" ]
}

@test "modelref create finds an existing backend" {
	maasctl apply -f - >/dev/null <<-EOF2
	apiVersion: serving.kserve.io/v1alpha1
	kind: LLMInferenceService
	metadata: {name: sim, namespace: llm}
	spec:
	  model: {name: facebook/opt-125m, uri: "hf://placeholder/no-model"}
	EOF2
	run -0 maasctl -n llm mr create m-sim --llmisvc sim
	[ "$output" = "maasmodelref.maas.opendatahub.io/m-sim created" ]
}

@test "modelref --wait times out while not Ready; delete --wait returns once gone" {
	# Ungoverned (no subscription, no policy) and without a backend, a
	# model ref is never Ready, with a controller (Pending) or without.
	run -7 --separate-stderr maasctl -n llm mr create m-wait --llmisvc granite --no-backend-check --wait=1s
	[ "$output" = "maasmodelref.maas.opendatahub.io/m-wait created" ]
	[[ $stderr == "maasctl: timed out after 1s waiting for MaaSModelRef llm/m-wait to become Ready"* ]]
	run -0 maasctl -n llm mr delete m-wait --wait=20s
	[ "$output" = 'maasmodelref.maas.opendatahub.io "m-wait" deleted' ]
	run -4 maasctl -n llm mr get m-wait
}

@test "modelref completion of names in the context's namespace" {
	maasctl -n default mr create m-comp --llmisvc x --no-backend-check >/dev/null
	run -0 --separate-stderr maasctl __complete mr get m-co
	[ "${lines[0]}" = m-comp ]
	[ "${lines[1]}" = ":4" ]
}
