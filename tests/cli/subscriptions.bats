#!/usr/bin/env bats
# subscriptions.bats: `maasctl subscriptions` against a scripted maas-api.
load ../helpers/common
load ../helpers/responder

setup() {
	common_setup
	printf 'sk-oai-SUBSKEY_secretpart\n' >"$TEST_HOME/key"
}
teardown() {
	responder_stop
	common_teardown
}

SUBS='[{"subscription_id_header":"free","subscription_description":"","priority":10,"model_refs":[{"name":"granite","token_rate_limits":[{"limit":100,"window":"1m"}]}]},{"subscription_id_header":"premium","subscription_description":"Paid","display_name":"Premium","priority":20,"organization_id":"acme","cost_center":"cc-42","model_refs":[{"name":"granite","token_rate_limits":[{"limit":50000,"window":"1h"},{"limit":1000000,"window":"24h"}]},{"name":"gpt-ext"}]}]'

@test "subscriptions prints the caller's subscriptions with limits" {
	responder_start "body $SUBS"
	MAAS_URL="http://127.0.0.1:$RESPONDER_PORT" run -0 maasctl subscriptions --api-key "@$TEST_HOME/key"
	[ "${lines[0]}" = "NAME      PRIORITY   MODELS" ]
	[ "${lines[1]}" = "free      10         granite(100/1m)" ]
	[ "${lines[2]}" = "premium   20         granite(50000/1h 1000000/24h),gpt-ext" ]
	[[ $(responder_request 1) == *"GET /v1/subscriptions HTTP/1.1"* ]]
}

@test "subscriptions list -o wide adds organization, cost center, display name" {
	responder_start "body $SUBS"
	MAAS_URL="http://127.0.0.1:$RESPONDER_PORT" run -0 maasctl subscriptions list -o wide --api-key "@$TEST_HOME/key"
	[[ ${lines[0]} == *"ORGANIZATION   COST CENTER   DISPLAY NAME" ]]
	[[ ${lines[2]} == *"acme           cc-42         Premium" ]]
	[[ ${lines[1]} == *"<none>         <none>        <none>" ]]
}

@test "subscriptions -o json keeps maas-api's array; -o name lists names" {
	responder_start "body $SUBS
times 2"
	export MAAS_URL="http://127.0.0.1:$RESPONDER_PORT"
	run -0 maasctl subscriptions -o json --api-key "@$TEST_HOME/key"
	[[ ${lines[0]} == "[" ]]
	[[ $output == *'"cost_center": "cc-42"'* ]]
	run -0 maasctl subscriptions -o name --api-key "@$TEST_HOME/key"
	[ "$output" = $'free\npremium' ]
}

@test "no subscriptions: said on stderr" {
	responder_start 'body []'
	MAAS_URL="http://127.0.0.1:$RESPONDER_PORT" run -0 --separate-stderr maasctl subscriptions --api-key "@$TEST_HOME/key"
	[ -z "$output" ]
	[ "$stderr" = "No subscriptions found" ]
}

@test "errors: 401 exit 3, 500 exit 6, not a list exit 1, unreachable exit 6, bad flag exit 2" {
	responder_start 'status 401
body {"error":{"message":"Authorization required","type":"authentication_error"}}'
	MAAS_URL="http://127.0.0.1:$RESPONDER_PORT" run -3 --separate-stderr maasctl subscriptions
	[ "${stderr_lines[0]}" = "maasctl: subscriptions: 401 Unauthorized: Authorization required" ]
	responder_stop
	responder_start 'status 500
body {"error":{"message":"Failed to list subscriptions","type":"server_error"}}
times 5'
	MAAS_URL="http://127.0.0.1:$RESPONDER_PORT" run -6 --separate-stderr maasctl subscriptions --api-key "@$TEST_HOME/key"
	[ "${stderr_lines[0]}" = "maasctl: subscriptions: HTTP 500: Failed to list subscriptions" ]
	responder_stop
	responder_start 'body {"object":"list"}'
	MAAS_URL="http://127.0.0.1:$RESPONDER_PORT" run -1 --separate-stderr maasctl subscriptions --api-key "@$TEST_HOME/key"
	[ "$stderr" = "maasctl: subscriptions: the answer from http://127.0.0.1:$RESPONDER_PORT/v1/subscriptions is not a list" ]
	MAAS_URL=http://127.0.0.1:1 run -6 --separate-stderr maasctl subscriptions --api-key "@$TEST_HOME/key"
	run -2 --separate-stderr maasctl subscriptions --bogus
	[ "${stderr_lines[0]}" = "maasctl: unknown flag: --bogus" ]
}
