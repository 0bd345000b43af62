#!/usr/bin/env bats
# tier.bats: `maasctl tier` against a sandbox: the legacy ConfigMap
# tier-to-group-mapping (the reference sample), limits in the legacy gateway
# policies, the tiers annotation on models, resolution, and migration to
# MaaSSubscription + MaaSAuthPolicy pairs.
load ../helpers/common
load ../helpers/sandbox

REF=$BATS_TEST_DIRNAME/../../../shared/reference

setup_file() {
	sandbox_start --plain
	KUBECONFIG=$SANDBOX_KUBECONFIG kubectl create namespace maas-api >/dev/null
	KUBECONFIG=$SANDBOX_KUBECONFIG kubectl create namespace llm >/dev/null
	for m in qwen-small llama-8b granite; do
		KUBECONFIG=$SANDBOX_KUBECONFIG kubectl apply -f - >/dev/null <<-EOF
		apiVersion: serving.kserve.io/v1alpha1
		kind: LLMInferenceService
		metadata: {name: $m, namespace: llm}
		spec: {model: {uri: "hf://example/$m", name: "example/$m"}}
		EOF
	done
}
teardown_file() { sandbox_stop; }
setup() {
	common_setup
	sandbox_use
	[ -f "$REF/samples/legacy-tier/tier-mapping-configmap.yaml" ] || skip "reference samples not found"
}
teardown() { common_teardown; }

# reset_tiers: the reference ConfigMap, no limit policies, no annotations.
reset_tiers() {
	kubectl -n maas-api delete configmap tier-to-group-mapping --ignore-not-found >/dev/null
	kubectl -n openshift-ingress delete tokenratelimitpolicy gateway-token-rate-limits --ignore-not-found >/dev/null
	kubectl -n openshift-ingress delete ratelimitpolicy gateway-rate-limits --ignore-not-found >/dev/null
	kubectl -n llm annotate llminferenceservice --all alpha.maas.opendatahub.io/tiers- >/dev/null
	kubectl -n models-as-a-service delete maassubscriptions,maasauthpolicies -l migration.maas.opendatahub.io/generated=true >/dev/null
	kubectl -n llm delete maasmodelrefs --all >/dev/null
	kubectl -n maas-api apply -f "$REF/samples/legacy-tier/tier-mapping-configmap.yaml" >/dev/null
}

@test "tier list and get read the reference tier-to-group-mapping" {
	reset_tiers
	run -0 maasctl tier list
	[ "${lines[0]}" = "NAME         DISPLAY NAME      LEVEL   GROUPS                                               TOKEN LIMIT   MODELS" ]
	[[ ${lines[2]} == "premium      Premium Tier      1       tier-premium-users,premium-group"*"<none>"*"0" ]]
	[ "${#lines[@]}" -eq 4 ]
	run -0 maasctl tier list -o json
	[ "$(jq -r '[.tiers[].name] | join(",")' <<<"$output")" = free,premium,enterprise ]
	[ "$(jq -r '.tiers[2].groups | join(",")' <<<"$output")" = tier-enterprise-users,enterprise-group,admin-group ]
	run -0 maasctl tier get premium -o json
	[ "$(jq -r '.name + " " + .displayName + " " + (.level|tostring)' <<<"$output")" = "premium Premium Tier 1" ]
	run -0 maasctl tier get free premium -o name
	[ "$output" = $'tier/free\ntier/premium' ]
	run -0 maasctl tier list --no-headers -o 'jsonpath={.tiers[*].level}'
	[ "$output" = "0 1 2" ]
	run -4 maasctl tier get gold
	[ "${lines[0]}" = 'maasctl: tier "gold" not found in maas-api/tier-to-group-mapping' ]
}

@test "tier resolve: the highest level holding a group wins, as /v1/tiers/lookup did" {
	reset_tiers
	run -0 maasctl tier resolve --group system:authenticated --group premium-group
	[ "${lines[1]}" = "premium   1       premium-group" ]
	run -0 maasctl tier resolve --group admin-group --group premium-group -o name
	[ "$output" = tier/enterprise ]
	run -0 maasctl tier lookup --group system:serviceaccounts:maas-default-gateway-tier-premium -o json
	[ "$(jq -r '.name + " " + .matchedGroup' <<<"$output")" = "premium system:serviceaccounts:maas-default-gateway-tier-premium" ]
	# Equal levels: ConfigMap order decides.
	run -0 maasctl tier create alpha --group shared --level 1
	run -0 maasctl tier create beta --group shared --level 1
	run -0 maasctl tier resolve --group shared -o name
	[ "$output" = tier/alpha ]
	run -4 maasctl tier resolve --group nobody --group none
	[ "${lines[0]}" = "maasctl: group groups [nobody none] not found in any tier" ]
	run -2 maasctl tier resolve
	[ "$output" = "maasctl: give the caller's groups with --group G (repeatable)" ]
}

@test "tier create stores the tier and its limits in the legacy gateway policies" {
	reset_tiers
	run -0 maasctl tier create gold --group gold-users --group vip --display-name "Gold" \
	    --description "paying customers" --level 5 --token-limit 100000/1m --token-limit 1000000/1h \
	    --request-limit 50/2m
	[ "$output" = "tier/gold created" ]
	run -0 kubectl -n maas-api get cm tier-to-group-mapping -o 'jsonpath={.data.tiers}'
	[[ $output == *"- name: gold"$'\n'"  displayName: Gold"* ]]
	run -0 kubectl -n openshift-ingress get tokenratelimitpolicy gateway-token-rate-limits -o json
	[ "$(jq -c '.spec.limits.gold.rates' <<<"$output")" = '[{"limit":100000,"window":"1m"},{"limit":1000000,"window":"1h"}]' ]
	[ "$(jq -r '.spec.limits.gold.when[0].predicate' <<<"$output")" = 'auth.identity.tier == "gold"' ]
	[ "$(jq -r '.spec.limits.gold.counters[0].expression' <<<"$output")" = auth.identity.userid ]
	[ "$(jq -r '.spec.targetRef.name' <<<"$output")" = maas-default-gateway ]
	run -0 kubectl -n openshift-ingress get ratelimitpolicy gateway-rate-limits -o 'jsonpath={.spec.limits.gold.rates[0].limit}/{.spec.limits.gold.rates[0].window}'
	[ "$output" = 50/2m ]
	run -0 maasctl tier get gold -o wide --no-headers
	[ "$(tr -s ' ' <<<"$output")" = "gold Gold 5 gold-users,vip 100000/1m,1000000/1h 50/2m 0" ]
	# The ConfigMap is created with the labels the platform gave it.
	kubectl -n maas-api delete configmap tier-to-group-mapping >/dev/null
	run -0 maasctl tier create solo --group g
	run -0 kubectl -n maas-api get cm tier-to-group-mapping -o json
	[ "$(jq -r '.metadata.labels.app + "/" + .metadata.labels.component + "/" + .metadata.annotations["opendatahub.io/managed"]' <<<"$output")" = maas-api/tier-mapping/false ]
}

@test "tier create refuses bad input with one line and changes nothing" {
	reset_tiers
	before=$(kubectl -n maas-api get cm tier-to-group-mapping -o 'jsonpath={.metadata.resourceVersion}')
	run -5 maasctl tier create premium --group x
	[ "${lines[0]}" = 'maasctl: tier "premium" already exists in maas-api/tier-to-group-mapping' ]
	run -2 maasctl tier create gold
	[ "$output" = 'maasctl: tier "gold" needs at least one --group' ]
	run -2 maasctl tier create Gold_1 --group x
	[[ ${lines[0]} == 'maasctl: invalid tier name "Gold_1": '* ]]
	run -2 maasctl tier create gold --group x --token-limit 0/1m
	[ "$output" = 'maasctl: invalid --token-limit "0/1m": the limit must be an integer from 1 to 1000000000' ]
	run -2 maasctl tier create gold --group x --token-limit 100/1d
	[[ $output == 'maasctl: invalid --token-limit "100/1d": '* ]]
	run -2 maasctl tier create gold --group x --request-limit 100
	[ "$output" = 'maasctl: invalid --request-limit "100": want LIMIT/WINDOW, e.g. 50000/1m' ]
	run -2 maasctl tier create gold --group x --level high
	[[ $output == 'maasctl: invalid --level "high"'* ]]
	run -2 maasctl tier create gold --group x --display-name "  "
	[ "$output" = "maasctl: --display-name must not be blank" ]
	run -2 maasctl tier create gold --group x --bogus
	[[ $output == *"--bogus"* ]]
	[ "$(kubectl -n maas-api get cm tier-to-group-mapping -o 'jsonpath={.metadata.resourceVersion}')" = "$before" ]
	run -1 kubectl -n openshift-ingress get tokenratelimitpolicy gateway-token-rate-limits
}

@test "tier update changes groups, fields and limits; none removes a limit" {
	reset_tiers
	run -0 maasctl tier update free --add-group students --remove-group system:authenticated --level 3 --token-limit 100/1m
	[ "$output" = "tier/free updated" ]
	run -0 maasctl tier get free -o json
	[ "$(jq -c '[.groups, .level, .tokenLimits]' <<<"$output")" = '[["tier-free-users","students"],3,[{"limit":100,"window":"1m"}]]' ]
	run -0 maasctl tier update free --group only-these --display-name "Free"
	run -0 maasctl tier get free -o 'jsonpath={.groups[*]} {.displayName}'
	[ "$output" = "only-these Free" ]
	# Removing the last limit removes the policy.
	run -0 maasctl tier update free --token-limit none
	run -1 kubectl -n openshift-ingress get tokenratelimitpolicy gateway-token-rate-limits
	run -4 maasctl tier update gold --level 1
	[ "$output" = 'maasctl: tier "gold" not found in maas-api/tier-to-group-mapping' ]
	run -2 maasctl tier update free --remove-group nope
	[ "$output" = 'maasctl: tier "free" has no group "nope"' ]
	run -2 maasctl tier update free --remove-group only-these
	[ "$output" = 'maasctl: tier "free" would have no groups left' ]
	run -2 maasctl tier update free
	[[ $output == "maasctl: nothing to update: "* ]]
	# --dry-run validates on the server and stores nothing.
	run -0 maasctl tier update free --level 9 --dry-run
	[ "$output" = "tier/free updated (server dry run)" ]
	run -0 maasctl tier get free -o 'jsonpath={.level}'
	[ "$output" = 3 ]
}

@test "tier delete removes tiers and their limits" {
	reset_tiers
	run -0 maasctl tier update premium --token-limit 50000/1m
	run -0 maasctl tier update enterprise --token-limit 100000/1m
	run -0 maasctl tier delete premium
	[ "$output" = "tier/premium deleted" ]
	run -0 maasctl tier list -o 'jsonpath={.tiers[*].name}'
	[ "$output" = "free enterprise" ]
	run -0 kubectl -n openshift-ingress get tokenratelimitpolicy gateway-token-rate-limits -o 'jsonpath={.spec.limits}'
	[ "$(jq -r 'keys | join(",")' <<<"$output")" = enterprise ]
	run -4 maasctl tier delete premium enterprise
	[ "$output" = 'maasctl: tier "premium" not found in maas-api/tier-to-group-mapping' ]
	run -0 maasctl tier get enterprise -o name
}

@test "tier allow writes the tiers annotation on the model" {
	reset_tiers
	run -0 maasctl -n llm tier allow qwen-small free premium
	[ "$output" = 'llminferenceservice/qwen-small: tiers ["free","premium"]' ]
	run -0 kubectl -n llm get llminferenceservice qwen-small -o 'jsonpath={.metadata.annotations.alpha\.maas\.opendatahub\.io/tiers}'
	[ "$output" = '["free","premium"]' ]
	run -0 maasctl -n llm tier allow llama-8b --all-tiers
	run -0 kubectl -n llm get llminferenceservice llama-8b -o 'jsonpath={.metadata.annotations.alpha\.maas\.opendatahub\.io/tiers}'
	[ "$output" = '[]' ]
	run -0 maasctl tier list -o 'jsonpath={range .tiers[*]}{.name}={.models[*]};{end}'
	[ "$output" = "free=llm/llama-8b llm/qwen-small;premium=llm/llama-8b llm/qwen-small;enterprise=llm/llama-8b;" ]
	run -0 maasctl -n llm tier allow llama-8b --none
	run -0 kubectl -n llm get llminferenceservice llama-8b -o json
	[ "$(jq -r '.metadata.annotations["alpha.maas.opendatahub.io/tiers"] // "absent"' <<<"$output")" = absent ]
	run -4 maasctl -n llm tier allow qwen-small gold
	[ "$output" = 'maasctl: tier "gold" not found in maas-api/tier-to-group-mapping' ]
	run -4 maasctl -n llm tier allow nope free
	[ "$output" = 'Error from server (NotFound): llminferenceservices.serving.kserve.io "nope" not found' ]
	run -2 maasctl -n llm tier allow qwen-small free --all-tiers
	[ "$output" = "maasctl: give tier names or --all-tiers, not both" ]
	run -2 maasctl -n llm tier allow qwen-small
	[[ $output == "maasctl: name the tiers that may use qwen-small, or give --all-tiers or --none" ]]
}

@test "tier migrate turns the reference tiers into subscriptions and policies with the same groups and limits" {
	reset_tiers
	maasctl tier update free --token-limit 100/1m
	maasctl tier update premium --token-limit 50000/1m
	maasctl tier update enterprise --token-limit 100000/1m --token-limit 5000000/24h
	maasctl -n llm tier allow qwen-small free premium
	maasctl -n llm tier allow llama-8b --all-tiers
	maasctl -n llm tier allow granite enterprise
	run -0 maasctl tier migrate
	[[ $output == *"maassubscription.maas.opendatahub.io/premium-models-subscription created"* ]]
	[[ $output == *"maasauthpolicy.maas.opendatahub.io/enterprise-models-access created"* ]]
	# The groups of each tier in samples/legacy-tier/tier-mapping-configmap.yaml.
	declare -A groups=([free]=tier-free-users,system:authenticated
	    [premium]=tier-premium-users,premium-group
	    [enterprise]=tier-enterprise-users,enterprise-group,admin-group)
	for t in free premium enterprise; do
		want_groups=${groups[$t]}
		sub=$(kubectl -n models-as-a-service get maassubscription "$t-models-subscription" -o json)
		ap=$(kubectl -n models-as-a-service get maasauthpolicy "$t-models-access" -o json)
		[ "$(jq -r '[.spec.owner.groups[].name] | join(",")' <<<"$sub")" = "$want_groups" ]
		[ "$(jq -r '[.spec.subjects.groups[].name] | join(",")' <<<"$ap")" = "$want_groups" ]
		want_limits=$(kubectl -n openshift-ingress get tokenratelimitpolicy gateway-token-rate-limits -o json | jq -c ".spec.limits[\"$t\"].rates")
		[ "$(jq -c '[.spec.modelRefs[].tokenRateLimits] | unique | .[0]' <<<"$sub")" = "$want_limits" ]
		[ "$(jq -r '.metadata.labels["migration.maas.opendatahub.io/from-tier"]' <<<"$sub")" = "$t" ]
		[ "$(jq -r '.metadata.labels["migration.maas.opendatahub.io/generated"]' <<<"$ap")" = true ]
		[ "$(jq -r '.metadata.annotations["migration.maas.opendatahub.io/original-tier"]' <<<"$ap")" = "$t" ]
		[ "$(jq -c '[.spec.modelRefs[] | .namespace + "/" + .name]' <<<"$sub")" = "$(jq -c '[.spec.modelRefs[] | .namespace + "/" + .name]' <<<"$ap")" ]
	done
	run -0 kubectl -n models-as-a-service get maassubscription enterprise-models-subscription -o json
	[ "$(jq -c '[.spec.modelRefs[] | .name] | sort' <<<"$output")" = '["granite","llama-8b"]' ]
	[ "$(jq -r '.spec.priority' <<<"$output")" = 2 ]
	run -0 kubectl -n models-as-a-service get maassubscription free-models-subscription -o json
	[ "$(jq -c '[.spec.modelRefs[] | .name] | sort' <<<"$output")" = '["llama-8b","qwen-small"]' ]
	run -0 kubectl -n llm get maasmodelrefs -o name
	[ "${#lines[@]}" -eq 3 ]
	# Running it again updates in place.
	run -0 maasctl tier migrate --tier free
	[[ $output == *"maassubscription.maas.opendatahub.io/free-models-subscription configured"* ]]
	[[ $output == *"maasmodelref.maas.opendatahub.io/qwen-small unchanged (already registered)"* ]]
}

@test "tier migrate: -o yaml prints without writing; a tier without limit writes nothing" {
	reset_tiers
	maasctl -n llm tier allow qwen-small free premium
	maasctl tier update premium --token-limit 50000/1m
	run -0 maasctl tier migrate --tier premium -o yaml
	[[ $output == *"kind: List"* && $output == *"name: premium-models-subscription"* ]]
	[[ $output == *"limit: 50000"* ]]
	run -1 kubectl -n models-as-a-service get maassubscription premium-models-subscription
	# free has models but no limit: nothing at all is written.
	run -2 maasctl tier migrate
	[ "${lines[0]}" = "maasctl: tier free has no token limit in openshift-ingress/gateway-token-rate-limits" ]
	[[ ${lines[1]} == "hint: give the limit for the subscription with --limit LIMIT/WINDOW"* ]]
	run -1 kubectl -n models-as-a-service get maassubscription premium-models-subscription
	run -0 kubectl -n llm get maasmodelrefs -o name
	[ -z "$output" ]
	run -0 maasctl tier migrate --limit 10/1m --tier free
	run -0 kubectl -n models-as-a-service get maassubscription free-models-subscription -o 'jsonpath={.spec.modelRefs[0].tokenRateLimits[0].limit}'
	[ "$output" = 10 ]
	run -2 maasctl tier migrate -o wide
	[ "$output" = "maasctl: tier migrate prints manifests with -o yaml or -o json only" ]
	run -4 maasctl tier migrate --tier gold
	[ "$output" = 'maasctl: tier "gold" not found in maas-api/tier-to-group-mapping' ]
}

@test "tier: no ConfigMap, other namespaces, completion" {
	reset_tiers
	run -4 maasctl tier list --tiers-namespace default
	[ "${lines[0]}" = "maasctl: tier mapping not found, provide configuration in tier-to-group-mapping (namespace default)" ]
	[[ ${lines[1]} == "hint: create a tier with"* ]]
	run -0 maasctl __complete tier get ''
	[[ $output == *free*premium*enterprise* ]]
	run -0 maasctl __complete -n llm tier allow ''
	[[ $output == *qwen-small* ]]
	run -0 maasctl __complete -n llm tier allow qwen-small ''
	[[ $output == *premium* ]]
}

@test "tier: 401, 403 and an unreachable server" {
	reset_tiers
	run -3 maasctl --token not-a-token tier list
	[ "$output" = "error: You must be logged in to the server (Unauthorized)" ]
	tok=$(sandbox_token alice)
	run -3 maasctl --token "$tok" tier create gold --group g
	[[ $output == 'Error from server (Forbidden): configmaps "tier-to-group-mapping" is forbidden: '* ]]
	run -6 maasctl --server http://127.0.0.1:1 tier list
	[[ $output == "The connection to the server 127.0.0.1:1 was refused"* ]]
}
