#!/usr/bin/env bats
# chat.bats: `maasctl chat` against a scripted OpenAI-compatible server:
# streaming and not, model choice, parameters, errors, retries, secrets.
load ../helpers/common
load ../helpers/responder

setup() {
	common_setup
	KEYFILE=$TEST_HOME/key
	printf 'sk-oai-TESTKEYabc_SECRETxyz\n' >"$KEYFILE"
}
teardown() {
	responder_stop
	common_teardown
}

WHOLE='{"id":"c1","object":"chat.completion","created":17,"model":"m1","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}'

stream_script() {
	cat <<EOS
header Content-Type: text/event-stream
chunk data: {"id":"c1","object":"chat.completion.chunk","created":17,"model":"m1","choices":[{"index":0,"delta":{"role":"assistant"}}]}
chunk
chunk data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hello"}}]}
chunk
chunk data: {"id":"c1","choices":[{"index":0,"delta":{"content":" there"},"finish_reason":"stop"}]}
chunk
chunk data: {"id":"c1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}
chunk
chunk data: [DONE]
chunk
EOS
}

@test "non-streaming answer goes to stdout with a final newline" {
	responder_start "header Content-Type: application/json
body $WHOLE"
	run -0 --separate-stderr maasctl chat --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 --no-stream hi there
	[ "$output" = "Hello there" ]
	[ -z "$stderr" ]
	req=$(responder_request 1)
	[[ $req == *"POST /v1/chat/completions HTTP/1.1"* ]]
	[[ $req == *'"messages":[{"role":"user","content":"hi there"}]'* ]]
	[[ $req == *'"model":"m1"'* ]]
	[[ $req != *'"stream"'* ]]
}

@test "streaming answer is assembled, with usage and timing on stderr" {
	responder_start "$(stream_script)"
	run -0 --separate-stderr maasctl chat --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 --stream --usage hi
	[ "$output" = "Hello there" ]
	[[ $stderr == "usage: prompt 3, completion 2, total 5 tokens; TTFT "*" ms; "*"tokens/s; "*" ms total" ]]
	req=$(responder_request 1)
	[[ $req == *'"stream":true,"stream_options":{"include_usage":true}'* ]]
}

@test "streamed and non-streamed -o json answers are identical" {
	responder_start "$(stream_script)"
	run -0 --separate-stderr maasctl chat --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 --stream -o json hi
	streamed=$output
	responder_stop
	responder_start "header Content-Type: application/json
body $WHOLE"
	run -0 --separate-stderr maasctl chat --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 -o json hi
	[ "$output" = "$streamed" ]
	[[ $output == *'"total_tokens": 5'* ]]
}

@test "sampling options and -p extras reach the request body" {
	responder_start "body $WHOLE"
	run -0 maasctl chat --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 \
	    --system "be brief" --temperature 0.5 --top-p 0.9 --max-tokens 7 --seed 42 \
	    --stop END --stop STOP -p top_k=5 -p user=alice hi
	req=$(responder_request 1)
	[[ $req == *'{"role":"system","content":"be brief"},{"role":"user","content":"hi"}'* ]]
	[[ $req == *'"temperature":0.5,"top_p":0.9,"max_tokens":7,"seed":42,"stop":["END","STOP"]'* ]]
	[[ $req == *'"top_k":5,"user":"alice"'* ]]
}

@test "piped standard input is appended to the prompt; -f reads a file" {
	responder_start "body $WHOLE
times 2"
	echo "piped text" | maasctl chat --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 summarize
	[[ $(responder_request 1) == *'"content":"summarize\npiped text\n"'* ]]
	printf 'from file' >"$TEST_HOME/p.txt"
	maasctl chat --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 -f "$TEST_HOME/p.txt" </dev/null
	[[ $(responder_request 2) == *'"content":"from file"'* ]]
}

@test "--completions uses /v1/completions with a bare prompt" {
	responder_start 'body {"id":"x","object":"text_completion","choices":[{"text":"42","finish_reason":"length"}]}'
	run -0 maasctl chat --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 --completions "the answer is"
	[ "$output" = "42" ]
	[[ $(responder_request 1) == *"POST /v1/completions "* ]]
	[[ $(responder_request 1) == *'"prompt":"the answer is"'* ]]
}

@test "the only ready model is used when -m is not given" {
	responder_start "body {\"object\":\"list\",\"data\":[{\"id\":\"gone\",\"ready\":false},{\"id\":\"only\",\"ready\":true}]}
---
body $WHOLE"
	run -0 maasctl chat --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" hi
	[[ $(responder_request 1) == *"GET /v1/models "* ]]
	[[ $(responder_request 2) == *'"model":"only"'* ]]
}

@test "several models and no -m: a usage error listing them" {
	responder_start 'body {"object":"list","data":[{"id":"a"},{"id":"b"}]}'
	run -2 --separate-stderr maasctl chat --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" hi
	[ "${stderr_lines[0]}" = "maasctl: chat: 2 models are available (a, b); choose one with -m" ]
}

@test "no prompt is a usage error" {
	run -2 --separate-stderr maasctl chat --endpoint http://127.0.0.1:1/v1 -m m </dev/null
	[ "$stderr" = "maasctl: chat: no prompt: give it as arguments, with -f FILE, or on standard input" ]
}

@test "no MaaS URL and no endpoint: says what to set, exit 2" {
	run -2 --separate-stderr maasctl chat -m m hi
	[[ ${stderr_lines[0]} == "maasctl: no MaaS URL: give --maas-url, set MAAS_URL, or use --endpoint URL"* ]]
}

@test "the API key is sent from @FILE but never accepted on the command line" {
	responder_start "body $WHOLE"
	run -0 maasctl chat --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 --api-key "@$KEYFILE" hi
	[[ $(responder_request 1) == *"Authorization: Bearer sk-oai-TESTKEYabc_SECRETxyz"* ]]
	run -2 --separate-stderr maasctl chat --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 --api-key sk-oai-LITERAL_x hi
	[ "${stderr_lines[0]}" = "maasctl: --api-key: refusing a secret on the command line (it would show in ps and shell history)" ]
	[[ $stderr != *LITERAL* ]]
}

@test "MAAS_URL and MAAS_API_KEY route through the gateway with the key" {
	responder_start "body $WHOLE"
	MAAS_URL="http://127.0.0.1:$RESPONDER_PORT" MAAS_API_KEY=sk-oai-ENVKEY_s run -0 maasctl chat -m m1 hi
	[[ $(responder_request 1) == *"POST /v1/chat/completions "* ]]
	[[ $(responder_request 1) == *"Authorization: Bearer sk-oai-ENVKEY_s"* ]]
}

@test "-v 9 traces the request without the key" {
	responder_start "body $WHOLE"
	run -0 --separate-stderr maasctl chat -v 9 --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 --api-key "@$KEYFILE" hi
	[[ $stderr == *"POST http://127.0.0.1:$RESPONDER_PORT/v1/chat/completions"* ]]
	[[ $stderr != *SECRETxyz* ]]
	[[ $stderr != *TESTKEYabc* ]]
}

@test "401 from the gateway: reason shown, exit 3" {
	responder_start 'status 401
header x-ext-auth-reason: credential not found
body {"error":{"message":"Unauthorized"}}'
	run -3 --separate-stderr maasctl chat --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 hi
	[ "${stderr_lines[0]}" = "maasctl: chat: 401 Unauthorized: credential not found" ]
	[[ ${stderr_lines[1]} == "hint: no API key was sent"* ]]
}

@test "403 and 404 map to exits 3 and 4" {
	responder_start 'status 403
body {"error":{"message":"access denied to requested subscription","type":"permission_error"}}'
	run -3 --separate-stderr maasctl chat --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 hi
	[ "${stderr_lines[0]}" = "maasctl: chat: 403 Forbidden: access denied to requested subscription" ]
	responder_stop
	responder_start 'status 404
body {"error":{"message":"model nope not found"}}'
	run -4 --separate-stderr maasctl chat --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m nope hi
	[ "${stderr_lines[0]}" = "maasctl: chat: 404 Not Found: model nope not found" ]
}

@test "429 is retried honouring Retry-After, then succeeds" {
	responder_start "status 429
header Retry-After: 1
body {\"error\":{\"message\":\"Too Many Requests\"}}
---
body $WHOLE"
	run -0 maasctl chat --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 hi
	[ "$output" = "Hello there" ]
	[ "$(responder_count)" -eq 2 ]
}

@test "429 that persists: exit 8 after the retries" {
	responder_start 'status 429
header Retry-After: 0
body {"error":{"message":"Too Many Requests"}}
times 10'
	run -8 --separate-stderr maasctl chat --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 hi
	[[ ${stderr_lines[0]} == "maasctl: chat: 429 Too Many Requests after 4 attempts: Too Many Requests" ]]
}

@test "5xx after retries: exit 6" {
	responder_start 'status 503
header Retry-After: 0
body upstream connect error
times 10'
	run -6 --separate-stderr maasctl chat --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 hi
	[ "${stderr_lines[0]}" = "maasctl: chat: HTTP 503: upstream connect error" ]
}

@test "a stream that breaks mid-answer keeps the partial answer and exits 6" {
	responder_start 'header Content-Type: text/event-stream
chunk data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hel"}}]}
chunk
hangup'
	run -6 --separate-stderr maasctl chat --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 --stream hi
	[ "$output" = "Hel" ]
	[[ $stderr == *"incomplete"* ]]
}

@test "a stream that ends without finish_reason or [DONE] is reported" {
	responder_start 'header Content-Type: text/event-stream
chunk data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hel"}}]}
chunk'
	run -6 --separate-stderr maasctl chat --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 --stream hi
	[ "$output" = "Hel" ]
	[ "${stderr_lines[0]}" = "maasctl: chat: the stream ended before the answer was complete (1 chunks, no finish_reason, no [DONE])" ]
}

@test "an error frame inside a 200 stream is reported, exit 6" {
	responder_start 'header Content-Type: text/event-stream
chunk data: {"error":{"message":"engine overloaded","type":"server_error"}}
chunk'
	run -6 --separate-stderr maasctl chat --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 --stream hi
	[ "$stderr" = "maasctl: chat: the server sent an error in the stream: engine overloaded" ]
}

@test "unreachable endpoint: exit 6 naming host and port" {
	run -6 --separate-stderr maasctl chat --endpoint http://127.0.0.1:1/v1 -m m1 hi
	[[ $stderr == *"127.0.0.1:1"* ]]
}

@test "bad flags: unknown option, bad number, bad -o, bad -p" {
	run -2 --separate-stderr maasctl chat --nope hi
	[ "${stderr_lines[0]}" = "maasctl: unknown flag: --nope" ]
	run -2 --separate-stderr maasctl chat --max-tokens 0 hi
	[ "${stderr_lines[0]}" = "maasctl: invalid value 0 for --max-tokens: must be from 1 to 100000000" ]
	run -2 --separate-stderr maasctl chat -o yaml hi
	[ "$stderr" = 'maasctl: chat: unsupported output format "yaml" (want json)' ]
	run -2 --separate-stderr maasctl chat -p novalue hi
	[ "$stderr" = 'maasctl: invalid parameter "novalue": want key=value' ]
}

@test "Ctrl-C mid-stream stops cleanly: exit 130, partial answer kept" {
	responder_start 'header Content-Type: text/event-stream
chunk data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hel"}}]}
chunk
sleep 1
chunk data: {"id":"c1","choices":[{"index":0,"delta":{"content":"lo"}}]}
chunk
sleep 5
chunk data: [DONE]
chunk'
	"$MAASCTL" chat --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 --stream hi \
	    >"$TEST_HOME/out" 2>"$TEST_HOME/err" &
	pid=$!
	for _ in $(seq 1 100); do
		grep -q Hel "$TEST_HOME/out" && break
		sleep 0.05
	done
	kill -INT "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 130 ]
	[[ $(cat "$TEST_HOME/out") == Hel* ]]
	grep -q "interrupted" "$TEST_HOME/err"
}
