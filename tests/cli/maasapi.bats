#!/usr/bin/env bats
# maasapi.bats: the sandbox's maas-api against the behaviours the upstream
# e2e suite asserts (MAAS-ADMIN-TASKS.md §5 items 1, 4-6, 10, 11, 13, 15,
# 21, 22): subscription binding at mint, bulk revoke, tenant expiry
# limits, /v1/models scoping, /v1/subscriptions, with maasctl where a
# command exists and curl for what is the server's.
load ../helpers/common
load ../helpers/sandbox
load ../helpers/maas

setup_file() {
	sandbox_start --plain
	local d=$SANDBOX_DIR
	maas_model llm free-m Ready '{"openshift.io/display-name":"Free model","opendatahub.io/model-capabilities":"[\"chat\"]"}'
	maas_model llm prem-m
	maas_model llm noauth-m
	maas_model llm pend-m Pending
	maas_policy free-access devs,premium-user,phasers llm/free-m,llm/pend-m,llm/missing
	maas_policy prem-access premium-user llm/prem-m
	maas_subscription free 10 devs,premium-user llm/free-m=100/1m,llm/pend-m=100/1m,llm/noauth-m=100/1m Active
	maas_subscription premium 20 premium-user llm/prem-m=1000/1m,llm/free-m=1000/1m Active
	maas_subscription noauth-only 5 devs llm/noauth-m=5/1m Active
	maas_subscription tie-a 30 user:carol llm/free-m=50/1m
	maas_subscription tie-c 30 user:carol llm/free-m=500/1m
	maas_subscription tie-b 30 user:carol llm/free-m=500/1m
	# Phases as a controller derives them: every model missing -> Failed,
	# some -> Degraded (Pending and no phase: nocontroller.bats).
	maas_subscription ph-failed 0 phasers llm/missing=10/1m Failed
	maas_subscription ph-degraded 0 phasers llm/free-m=10/1m,llm/missing=10/1m Degraded
	maas_wait_phase maasmodelrefs llm free-m Ready
	maas_wait_phase maasmodelrefs llm prem-m Ready
	maas_wait_phase maassubscriptions models-as-a-service ph-failed Failed
	maas_wait_phase maassubscriptions models-as-a-service ph-degraded Degraded
	sandbox_token alice devs >"$d/alice.token"
	sandbox_token bob devs premium-user >"$d/bob.token"
	sandbox_token carol >"$d/carol.token"
	sandbox_token dana >"$d/dana.token"
	sandbox_token frank phasers >"$d/frank.token"
	sandbox_token gina devs >"$d/gina.token"
	sandbox_token root system:masters >"$d/root.token"
}
teardown_file() { sandbox_stop; }
setup() {
	common_setup
	sandbox_use
	for u in alice bob carol dana frank gina root; do
		eval "${u^^}=$SANDBOX_DIR/$u.token"
	done
}
teardown() { common_teardown; }

# api TOKENFILE METHOD PATH [CURL ARGS...]: body, a space, the status.
api() {
	local t=$1 m=$2 p=$3
	shift 3
	sandbox_curl -s -w ' %{http_code}' -X "$m" -H "Authorization: Bearer $(cat "$t")" "$@" "$MAAS_URL/maas-api$p"
}
# mint TOKENFILE JSON: the 201 answer of POST /v1/api-keys (or fail).
mint() {
	local out
	out=$(api "$1" POST /v1/api-keys -d "$2") || return 1
	[[ $out == *' 201' ]] || { echo "mint: $out" >&2; return 1; }
	printf '%s' "${out% 201}"
}
# keyapi KEY METHOD PATH [CURL ARGS...]: as api, with an API key.
keyapi() {
	local k=$1 m=$2 p=$3
	shift 3
	sandbox_curl -s -w ' %{http_code}' -X "$m" -H "Authorization: Bearer $k" "$@" "$MAAS_URL/maas-api$p"
}
jf() { printf '%s' "$1" | jq -r "$2"; }

@test "mint without subscription binds the highest priority owned one (§7.2)" {
	out=$(mint "$ALICE" '{"name":"a1"}')
	[ "$(jf "$out" .subscription)" = free ]
	[[ $(jf "$out" .key) =~ ^sk-oai-[0-9A-Za-z]+_[0-9A-Za-z]+$ ]]
	out=$(mint "$BOB" '{"name":"b1"}')
	[ "$(jf "$out" .subscription)" = premium ]
	# Equal priority: the larger single token limit, then the name.
	out=$(mint "$CAROL" '{"name":"c1"}')
	[ "$(jf "$out" .subscription)" = tie-b ]
	# maasctl prints it too.
	run -0 --separate-stderr maasctl key create b2 --token "@$BOB"
	[[ $stderr == *"for subscription premium"* ]]
}

@test "explicit subscription binds it; unknown or not owned is invalid_subscription (§7.3)" {
	out=$(mint "$BOB" '{"name":"b-free","subscription":"free"}')
	[ "$(jf "$out" .subscription)" = free ]
	out=$(mint "$BOB" '{"name":"b-ns","subscription":"models-as-a-service/free"}')
	[ "$(jf "$out" .subscription)" = free ]
	out=$(mint "$BOB" '{"name":"b-trim","subscription":"  free "}')
	[ "$(jf "$out" .subscription)" = free ]
	run -0 api "$ALICE" POST /v1/api-keys -d '{"name":"x","subscription":"premium"}'
	[ "$output" = '{"error":"Unable to resolve a subscription for this API key","code":"invalid_subscription"} 400' ]
	run -0 api "$ALICE" POST /v1/api-keys -d '{"name":"x","subscription":"nope"}'
	[ "$output" = '{"error":"Unable to resolve a subscription for this API key","code":"invalid_subscription"} 400' ]
	run -0 api "$ALICE" POST /v1/api-keys -d '{"name":"x","subscription":"other-ns/free"}'
	[[ $output == *'"invalid_subscription"} 400' ]]
	# A user who owns no subscription cannot mint at all.
	run -0 api "$DANA" POST /v1/api-keys -d '{"name":"x"}'
	[[ $output == *'"code":"invalid_subscription"} 400' ]]
	run -2 maasctl key create x --subscription premium --token "@$ALICE"
	[ "$output" = "maasctl: key create: 400 Bad Request: Unable to resolve a subscription for this API key" ]
	run -0 --separate-stderr maasctl key create b3 --subscription free -o json --token "@$BOB"
	[ "$(jf "$output" .subscription)" = free ]
}

@test "mint against subscription phases: Active/Degraded ok, Failed 403 (§5.10)" {
	out=$(mint "$FRANK" '{"name":"f-deg","subscription":"ph-degraded"}')
	[ "$(jf "$out" .subscription)" = ph-degraded ]
	out=$(mint "$BOB" '{"name":"b-act","subscription":"premium"}')
	[ "$(jf "$out" .subscription)" = premium ]
	run -0 api "$FRANK" POST /v1/api-keys -d '{"name":"x","subscription":"ph-failed"}'
	[ "$output" = '{"error":"subscription is in Failed phase (cannot create API keys)","code":"subscription_not_ready"} 403' ]
	run -3 maasctl key create x --subscription ph-failed --token "@$FRANK"
	[[ $output == *"403 Forbidden: subscription is in Failed phase (cannot create API keys)" ]]
}

@test "groups are captured at mint; IDOR 404 for others, admins see and revoke every key (§5.1, §5.4)" {
	out=$(mint "$ALICE" '{"name":"idor"}')
	id=$(jf "$out" .id) key=$(jf "$out" .key)
	run -0 api "$ALICE" GET "/v1/api-keys/$id"
	[[ $output != *sk-oai-* && $output != *'"key"'* ]]
	run -0 api "$BOB" GET "/v1/api-keys/$id"
	[ "$output" = '{"error":"API key not found"} 404' ]
	run -0 api "$BOB" DELETE "/v1/api-keys/$id"
	[ "$output" = '{"error":"API key not found"} 404' ]
	# The key acts as its owner with the groups of the mint.
	run -0 keyapi "$key" GET /v1/subscriptions
	[[ $output == *'"subscription_id_header":"free"'* && $output != *premium* ]]
	# The admin (system:masters may create maasauthpolicies).
	run -0 api "$ROOT" GET "/v1/api-keys/$id"
	[[ $output == *'"username":"alice"'*' 200' ]]
	run -0 maasctl key list --user alice -o name --token "@$ROOT"
	[[ $output == *"$id"* ]]
	run -0 maasctl key revoke "$id" --token "@$ROOT"
	[ "$output" = "$id revoked" ]
}

@test "bulk revoke: own keys, admin by user and subscription, dryRun, rules (§5.5)" {
	g1=$(jf "$(mint "$GINA" '{"name":"g1"}')" .id)
	g2=$(jf "$(mint "$GINA" '{"name":"g2"}')" .id)
	run -0 api "$GINA" POST /v1/api-keys/bulk-revoke -d '{}'
	[ "$output" = '{"error":"at least one of username or subscription is required"} 400' ]
	run -0 api "$GINA" POST /v1/api-keys/bulk-revoke -d '{"username":"alice"}'
	[ "$output" = '{"error":"Access denied: admin privileges required for this bulk revoke operation"} 403' ]
	run -0 api "$GINA" POST /v1/api-keys/bulk-revoke -d '{"subscription":"free"}'
	[[ $output == *' 403' ]]
	run -0 api "$GINA" POST /v1/api-keys/bulk-revoke -d '{"username":"gina","dryRun":true}'
	[ "$output" = '{"revokedCount":2,"message":"Dry run: 2 active key(s) would be revoked for user gina","dryRun":true} 200' ]
	run -0 api "$GINA" GET "/v1/api-keys/$g1"
	[[ $output == *'"status":"active"'* ]]
	run -0 api "$GINA" POST /v1/api-keys/bulk-revoke -d '{"username":" gina "}'
	[ "$output" = '{"revokedCount":2,"message":"Successfully revoked 2 active API key(s) for user gina"} 200' ]
	run -0 api "$GINA" GET "/v1/api-keys/$g2"
	[[ $output == *'"status":"revoked"'* ]]
	# Admin: one user's keys in one subscription only.
	bf=$(jf "$(mint "$BOB" '{"name":"bf","subscription":"free"}')" .id)
	bp=$(jf "$(mint "$BOB" '{"name":"bp","subscription":"premium"}')" .id)
	run -0 api "$ROOT" POST /v1/api-keys/bulk-revoke -d '{"username":"bob","subscription":"premium","dryRun":false}'
	[[ $output == '{"revokedCount":'*',"message":"Successfully revoked '*' active API key(s) for user bob in subscription premium"} 200' ]]
	run -0 api "$BOB" GET "/v1/api-keys/$bf"
	[[ $output == *'"status":"active"'* ]]
	run -0 api "$BOB" GET "/v1/api-keys/$bp"
	[[ $output == *'"status":"revoked"'* ]]
}

@test "search by subscription and labels; label limits name 50 and 128 (§5.11)" {
	mint "$BOB" '{"name":"s-free","subscription":"free","labels":{"app":"x","env":"dev"}}' >/dev/null
	mint "$BOB" '{"name":"s-prem","subscription":"premium","labels":{"app":"x"}}' >/dev/null
	run -0 maasctl key list --subscription free --status active -o jsonpath='{.data[*].subscription}' --token "@$BOB"
	[[ $output == free* && $output != *premium* ]]
	run -0 maasctl key list -l app=x -l env=dev -o jsonpath='{.data[*].name}' --token "@$BOB"
	[ "$output" = s-free ]
	# No subscription filter: keys of every subscription.
	run -0 maasctl key list -l app=x --sort name --asc -o jsonpath='{.data[*].subscription}' --token "@$BOB"
	[ "$output" = "free premium" ]
	labels=$(for i in $(seq 51); do printf '"k%d":"v",' "$i"; done)
	run -0 api "$BOB" POST /v1/api-keys -d "{\"name\":\"l\",\"labels\":{${labels%,}}}"
	[ "$output" = '{"error":"labels cannot exceed 50 key-value pairs"} 400' ]
	long=$(printf 'k%.0s' $(seq 129))
	run -0 api "$BOB" POST /v1/api-keys -d "{\"name\":\"l\",\"labels\":{\"$long\":\"v\"}}"
	[[ $output == *"exceeds 128 characters\"} 400" ]]
}

@test "tenant config: MaasTenantConfig maxExpirationDays sets the limit (§5.6)" {
	run -0 api "$ALICE" GET /v1/api-keys/config
	[ "$output" = '{"max_expiration_days":90,"ephemeral_max_expiration":"1h0m0s"} 200' ]
	maas_patch maastenantconfigs models-as-a-service default-tenant '{"spec":{"apiKeys":{"maxExpirationDays":30}}}'
	run -0 api "$ALICE" GET /v1/api-keys/config
	[ "$output" = '{"max_expiration_days":30,"ephemeral_max_expiration":"1h0m0s"} 200' ]
	out=$(mint "$ALICE" '{"name":"t30","expiresIn":"30d"}')
	[ $(( $(date -d "$(jf "$out" .expiresAt)" +%s) - $(date -d "$(jf "$out" .createdAt)" +%s) )) -eq $((30 * 86400)) ]
	out=$(mint "$ALICE" '{"name":"tdef"}')
	[ $(( $(date -d "$(jf "$out" .expiresAt)" +%s) - $(date -d "$(jf "$out" .createdAt)" +%s) )) -eq $((30 * 86400)) ]
	run -0 api "$ALICE" POST /v1/api-keys -d '{"name":"t31","expiresIn":"31d"}'
	[ "$output" = '{"error":"requested expiration (744h0m0s) exceeds maximum allowed (30 days): expiration exceeds maximum allowed"} 400' ]
	maas_patch maastenantconfigs models-as-a-service default-tenant '{"spec":{"apiKeys":null}}'
	run -0 api "$ALICE" GET /v1/api-keys/config
	[[ $output == '{"max_expiration_days":90,'* ]]
}

@test "forged identity headers on mint are refused by the gateway (§5.13)" {
	run -0 api "$ALICE" POST /v1/api-keys -H 'X-MaaS-Username: bob' -d '{"name":"forged"}'
	[ "$output" = 'Access denied 403' ]
	run -0 api "$ALICE" POST /v1/api-keys -H 'X-MaaS-Group: ["premium-user"]' -d '{"name":"forged"}'
	[[ $output == *' 403' ]]
}

@test "/v1/models: user token lists every active subscription's ready, granted models (§5.21)" {
	run -0 api "$BOB" GET /v1/models
	[[ $output == *' 200' ]]
	body=${output% 200}
	[ "$(jf "$body" '[.data[].id] | join(",")')" = "publishers/llm/models/free-m,publishers/llm/models/prem-m" ]
	[ "$(jf "$body" '.data[0] | [.object, .owned_by, .kind, (.ready|tostring)] | join(" ")')" = "model llm/free-m LLMInferenceService true" ]
	[ "$(jf "$body" '[.data[0].subscriptions[].name] | join(",")')" = "free,premium" ]
	[ "$(jf "$body" '.data[0].modelDetails.displayName')" = "Free model" ]
	[ "$(jf "$body" '.data[0].modelDetails.modelCapabilities[0]')" = chat ]
	[ "$(jf "$body" '.data[1].modelDetails')" = null ]
	[ "$(jf "$body" '.data[0].url')" = "$MAAS_URL/llm/free-m" ]
	[[ $(jf "$body" '.data[0].created') =~ ^[0-9]{10}$ ]]
	# The header filters; an empty one is ignored; an unowned one is 403.
	run -0 api "$BOB" GET /v1/models -H 'X-MaaS-Subscription: free'
	[ "$(jf "${output% 200}" '[.data[].id] | join(",")')" = "publishers/llm/models/free-m" ]
	run -0 api "$BOB" GET /v1/models -H 'X-MaaS-Subscription;'
	[ "$(jf "${output% 200}" '.data | length')" = 2 ]
	run -0 api "$ALICE" GET /v1/models -H 'X-MaaS-Subscription: premium'
	[ "$output" = '{"error":{"message":"access denied to requested subscription","type":"permission_error"}} 403' ]
	run -0 api "$ALICE" GET /v1/models -H 'X-MaaS-Subscription: <script>"'
	[ "$output" = '{"error":{"message":"access denied to requested subscription","type":"permission_error"}} 403' ]
	# No subscription: an empty list, not null.
	run -0 api "$DANA" GET /v1/models
	[ "$output" = '{"object":"list","data":[]} 200' ]
	run -0 sandbox_curl -s -D - -o /dev/null -H "Authorization: Bearer $(cat "$BOB")" "$MAAS_URL/maas-api/v1/models"
	[[ $output == *"Cache-Control: no-store"* && $output == *"X-Access-Checked-At: "* ]]
	# Unauthenticated, through the gateway: 401 on both paths.
	for p in /maas-api/v1/models /v1/models; do
		run -0 sandbox_curl -s -o /dev/null -w '%{http_code}' "$MAAS_URL$p"
		[ "$output" = 401 ]
	done
}

@test "/v1/models: two model refs serving one id are two entries; a key whose owner lost the subscription is 403 (§5.21)" {
	# Model refs twin and twin2 front one LLMInferenceService: both serve
	# the id publishers/tw/models/twin.
	maas_model tw twin Ready
	maas_apply_json '{"apiVersion":"maas.opendatahub.io/v1alpha1","kind":"MaaSModelRef","metadata":{"name":"twin2","namespace":"tw"},"spec":{"modelRef":{"kind":"LLMInferenceService","name":"twin"}}}'
	maas_policy twin-access twins tw/twin,tw/twin2
	maas_subscription twin-sub 0 twins tw/twin=100/1m,tw/twin2=100/1m Active
	maas_wait_phase maasmodelrefs tw twin Ready
	maas_wait_phase maasmodelrefs tw twin2 Ready
	sandbox_token holly twins >"$TEST_HOME/holly"
	run -0 api "$TEST_HOME/holly" GET /v1/models
	[[ $output == *' 200' ]]
	[ "$(jf "${output% 200}" '[.data[] | .id + " " + .owned_by] | join(",")')" = "publishers/tw/models/twin tw/twin,publishers/tw/models/twin tw/twin2" ]
	# A key keeps the groups of its mint, but the subscription no longer
	# lists its owner's group: its models are refused.
	kh=$(jf "$(mint "$TEST_HOME/holly" '{"name":"h"}')" .key)
	run -0 keyapi "$kh" GET /v1/models
	[[ $output == *' 200' ]]
	maas_subscription twin-sub 0 user:nobody tw/twin=100/1m,tw/twin2=100/1m Active
	run -0 keyapi "$kh" GET /v1/models
	[ "$output" = '{"error":{"message":"access denied to requested subscription","type":"permission_error"}} 403' ]
}

@test "/v1/models with an API key lists its bound subscription only; the header cannot change it (§5.21)" {
	kp=$(jf "$(mint "$BOB" '{"name":"mp","subscription":"premium"}')" .key)
	kf=$(jf "$(mint "$BOB" '{"name":"mf","subscription":"free"}')" .key)
	run -0 keyapi "$kf" GET /v1/models
	[ "$(jf "${output% 200}" '[.data[].id] | join(",")')" = "publishers/llm/models/free-m" ]
	[ "$(jf "${output% 200}" '[.data[0].subscriptions[].name] | join(",")')" = "free" ]
	run -0 keyapi "$kp" GET /v1/models -H 'X-MaaS-Subscription: free'
	[ "$(jf "${output% 200}" '[.data[].id] | join(",")')" = "publishers/llm/models/free-m,publishers/llm/models/prem-m" ]
	# A key whose subscription is gone: 403 permission_error.
	maas_subscription gone 0 user:erin llm/free-m=1/1m Active
	ke=$(jf "$(mint "$(sandbox_token erin >"$TEST_HOME/erin"; echo "$TEST_HOME/erin")" '{"name":"e"}')" .key)
	run -0 keyapi "$ke" GET /v1/models
	[[ $output == *' 200' ]]
	KUBECONFIG=$SANDBOX_KUBECONFIG maasctl delete maassubscription gone -n models-as-a-service >/dev/null
	run -0 keyapi "$ke" GET /v1/models
	[ "$output" = '{"error":{"message":"access denied to requested subscription","type":"permission_error"}} 403' ]
}

@test "/v1/subscriptions and /v1/model/{id}/subscriptions (§5.22)" {
	run -0 api "$BOB" GET /v1/subscriptions
	body=${output% 200}
	[ "$(jf "$body" '[.[].subscription_id_header] | join(",")')" = "free,premium" ]
	[ "$(jf "$body" '[.[0].model_refs[].name] | join(",")')" = "free-m,pend-m" ]
	[ "$(jf "$body" '[.[1].model_refs[].name] | join(",")')" = "prem-m,free-m" ]
	[ "$(jf "$body" '.[0].model_refs[0] | [.model_name, .display_name, .source, (.token_rate_limits[0].limit|tostring), .token_rate_limits[0].window] | join(" ")')" = "publishers/llm/models/free-m Free model internal 100 1m" ]
	[ "$(jf "$body" '.[1].priority')" = 20 ]
	# Only Active/Degraded subscriptions here; every phase per model.
	run -0 api "$FRANK" GET /v1/subscriptions
	[ "$(jf "${output% 200}" '[.[].subscription_id_header] | join(",")')" = "ph-degraded" ]
	run -0 api "$FRANK" GET /v1/model/missing/subscriptions
	[ "$(jf "${output% 200}" '[.[].subscription_id_header] | join(",")')" = "ph-degraded,ph-failed" ]
	run -0 api "$BOB" GET /v1/model/prem-m/subscriptions
	[ "$(jf "${output% 200}" '[.[].subscription_id_header] | join(",")')" = "premium" ]
	run -0 api "$BOB" GET /v1/model/unknown/subscriptions
	[ "$output" = '[] 200' ]
	run -0 api "$DANA" GET /v1/subscriptions
	[ "$output" = '[] 200' ]
	run -0 sandbox_curl -s -o /dev/null -w '%{http_code}' "$MAAS_URL/maas-api/v1/subscriptions"
	[ "$output" = 401 ]
}
