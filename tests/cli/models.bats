#!/usr/bin/env bats
# models.bats: `maasctl models` against a scripted maas-api /v1/models.
load ../helpers/common
load ../helpers/responder

setup() {
	common_setup
	printf 'sk-oai-MODELSKEY_secretpart\n' >"$TEST_HOME/key"
}
teardown() {
	responder_stop
	common_teardown
}

LIST='{"object":"list","data":[{"id":"publishers/llm/models/granite","object":"model","created":1700000000,"owned_by":"llm/granite","kind":"LLMInferenceService","url":"https://gw.example/llm/granite","ready":true,"subscriptions":[{"name":"free"},{"name":"premium"}]},{"id":"gpt-ext","object":"model","created":1700000001,"owned_by":"llm/gpt-ext","kind":"ExternalModel","url":"https://gw.example/llm/gpt-ext","ready":true,"subscriptions":[{"name":"premium"}]}]}'

@test "models prints a table of the caller's models" {
	responder_start "body $LIST"
	MAAS_URL="http://127.0.0.1:$RESPONDER_PORT" run -0 --separate-stderr maasctl models --api-key "@$TEST_HOME/key"
	[ "${lines[0]}" = "ID                              READY   KIND                  OWNER         SUBSCRIPTIONS" ]
	[ "${lines[1]}" = "publishers/llm/models/granite   True    LLMInferenceService   llm/granite   free,premium" ]
	[ "${lines[2]}" = "gpt-ext                         True    ExternalModel         llm/gpt-ext   premium" ]
	req=$(responder_request 1)
	[[ $req == *"GET /v1/models HTTP/1.1"* ]]
	[[ $req == *"Authorization: Bearer sk-oai-MODELSKEY_secretpart"* ]]
}

@test "models list -o wide adds the URL column" {
	responder_start "body $LIST"
	MAAS_URL="http://127.0.0.1:$RESPONDER_PORT" run -0 maasctl models list -o wide --api-key "@$TEST_HOME/key"
	[[ ${lines[0]} == *"SUBSCRIPTIONS   URL" ]]
	[[ ${lines[1]} == *"https://gw.example/llm/granite" ]]
}

@test "models -o json, -o name and -o jsonpath" {
	responder_start "body $LIST
times 3"
	export MAAS_URL="http://127.0.0.1:$RESPONDER_PORT"
	run -0 maasctl models -o json --api-key "@$TEST_HOME/key"
	[[ $output == *'"id": "gpt-ext"'* ]]
	run -0 maasctl models -o name --api-key "@$TEST_HOME/key"
	[ "$output" = $'publishers/llm/models/granite\ngpt-ext' ]
	run -0 maasctl models -o 'jsonpath={.data[*].kind}' --api-key "@$TEST_HOME/key"
	[ "$output" = "LLMInferenceService ExternalModel" ]
}

@test "--subscription sends X-MaaS-Subscription" {
	responder_start "body $LIST"
	MAAS_URL="http://127.0.0.1:$RESPONDER_PORT" run -0 maasctl models --subscription premium --api-key "@$TEST_HOME/key"
	[[ $(responder_request 1) == *"X-MaaS-Subscription: premium"* ]]
}

@test "an empty list says so on stderr" {
	responder_start 'body {"object":"list","data":[]}'
	MAAS_URL="http://127.0.0.1:$RESPONDER_PORT" run -0 --separate-stderr maasctl models --api-key "@$TEST_HOME/key"
	[ -z "$output" ]
	[ "$stderr" = "No models found" ]
}

@test "403 with maas-api's message: exit 3 and a hint" {
	responder_start 'status 403
body {"error":{"message":"access denied to requested subscription","type":"permission_error"}}'
	MAAS_URL="http://127.0.0.1:$RESPONDER_PORT" run -3 --separate-stderr maasctl models --subscription nope --api-key "@$TEST_HOME/key"
	[ "${stderr_lines[0]}" = "maasctl: models: 403 Forbidden: access denied to requested subscription" ]
	[[ ${stderr_lines[1]} == "hint: "* ]]
}

@test "401 without a key: exit 3 and how to pass one" {
	responder_start 'status 401
body {"error":{"message":"Authorization required","type":"authentication_error"}}'
	MAAS_URL="http://127.0.0.1:$RESPONDER_PORT" run -3 --separate-stderr maasctl models
	[ "${stderr_lines[0]}" = "maasctl: models: 401 Unauthorized: Authorization required" ]
	[[ ${stderr_lines[1]} == "hint: no API key was sent: use --api-key @FILE or set MAAS_API_KEY" ]]
}

@test "500 from maas-api: exit 6 after retries" {
	responder_start 'status 500
body {"error":{"message":"Failed to list models","type":"server_error"}}
times 5'
	MAAS_URL="http://127.0.0.1:$RESPONDER_PORT" run -6 --separate-stderr maasctl models --api-key "@$TEST_HOME/key"
	[ "${stderr_lines[0]}" = "maasctl: models: HTTP 500: Failed to list models" ]
}

@test "an answer that is not a model list is an error" {
	responder_start 'body {"unexpected":true}'
	MAAS_URL="http://127.0.0.1:$RESPONDER_PORT" run -1 --separate-stderr maasctl models --api-key "@$TEST_HOME/key"
	[[ $stderr == "maasctl: models: the answer from http://127.0.0.1:$RESPONDER_PORT/v1/models has no \"data\" list" ]]
}

@test "unreachable gateway: exit 6" {
	MAAS_URL="http://127.0.0.1:1" run -6 --separate-stderr maasctl models --api-key "@$TEST_HOME/key"
	[[ $stderr == *"127.0.0.1:1"* ]]
}

@test "bad flags and bad -o are usage errors" {
	run -2 --separate-stderr maasctl models --bogus
	[ "${stderr_lines[0]}" = "maasctl: unknown flag: --bogus" ]
	MAAS_URL=http://127.0.0.1:1 run -2 --separate-stderr maasctl models -o xml
	[[ ${stderr_lines[0]} == *'unable to match a printer suitable for the output format "xml"'* ]]
	run -2 --separate-stderr maasctl models extra
	[ "${stderr_lines[0]}" = 'error: unknown command "extra" for "maasctl models"' ]
}
