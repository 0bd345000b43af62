#!/usr/bin/env bats
# gateway-tls.bats: streams through the sandbox's HTTPS listeners arrive
# whole.  A model with no inter-token latency sends its stream as one
# burst; before the fix (cli/sandbox/chunked.c) the end of such a stream
# stayed queued behind a write callback bufferevent_openssl had deferred,
# and curl waited for it until the idle timeout (exit 18).  Plain HTTP
# never showed it.  Covers the model simulator's streams, a proxied
# ExternalModel stream and the API server's watch.
bats_require_minimum_version 1.5.0
load ../helpers/common
load ../helpers/sandbox
load ../helpers/modelsim
load ../helpers/external

setup_file() {
	sandbox_start
	maasctl apply -f "$MAASCTL_TEST_ROOT/tests/fixtures/gateway/burst.yaml" >/dev/null
	sandbox_models_ready llm
	sandbox_token alice >"$SANDBOX_DIR/alice.token"
	maasctl key create burst-key --token "@$SANDBOX_DIR/alice.token" >"$SANDBOX_DIR/key"
}
teardown_file() { sandbox_stop; }
setup() { common_setup; sandbox_use; }
teardown() { modelsim_stop; common_teardown; }

# stream [CURL ARGS...]: POST streamed chats to the gateway with the key;
# a cut stream fails within 30 s (exit 124) instead of waiting for the
# sandbox's 60 s idle timeout.
stream() {
	timeout 30 curl -sS --noproxy '*' --cacert "$SANDBOX_CA" -N \
	    -H "Authorization: Bearer $(cat "$SANDBOX_DIR/key")" \
	    -H 'Content-Type: application/json' "$@"
}

# body MODEL N: a streamed chat of exactly N tokens with usage.
body() {
	printf '{"model":"%s","messages":[{"role":"user","content":"hi"}],"max_tokens":%d,"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true}}' "$1" "$2"
}

# check_stream FILE N: FILE holds one whole stream of N content tokens.
check_stream() {
	local n
	n=$(grep -c '^data: {.*"delta":{"content":' "$1")
	[ "$n" = "$2" ] || { echo "$n token chunks, want $2" >&2; return 1; }
	grep -q "\"completion_tokens\":$2}" "$1" || { echo "no usage of $2 tokens" >&2; return 1; }
	[ "$(grep -v '^$' "$1" | tail -1)" = "data: [DONE]" ] || { echo "no [DONE] at the end" >&2; return 1; }
}

@test "a burst of 4000 tokens (ITL 0) streams whole through the HTTPS gateway" {
	[[ $MAAS_URL == https://* ]]
	run -0 --separate-stderr stream -d "$(body burst 4000)" "$MAAS_URL/v1/chat/completions"
	[ -z "$stderr" ]
	printf '%s\n' "$output" >"$TEST_HOME/out"
	check_stream "$TEST_HOME/out" 4000
}

@test "short bursts end whole, one after another on one kept-alive HTTPS connection" {
	# 40 tokens (about 9 KB) was the size cut short most often.
	urls=()
	for _ in $(seq 20); do urls+=("$MAAS_URL/v1/chat/completions"); done
	run -0 --separate-stderr stream -w '%{num_connects}\n' -d "$(body burst 40)" "${urls[@]}"
	[ -z "$stderr" ]
	[ "$(grep -c '^data: \[DONE\]$' <<<"$output")" = 20 ]
	[ "$(grep -c '"completion_tokens":40}' <<<"$output")" = 20 ]
	# One connection: each reply ended cleanly before the next request.
	[ "$(grep -cx 1 <<<"$output")" = 1 ]
	[ "$(grep -cx 0 <<<"$output")" = 19 ]
}

@test "maasctl chat --stream prints the whole burst over HTTPS" {
	run -0 --separate-stderr maasctl chat -m burst --stream --usage --max-tokens 3000 \
	    -p ignore_eos=true --api-key "@$SANDBOX_DIR/key" hello
	[ "$(wc -w <<<"$output")" -ge 2000 ]
	[[ $stderr == *"3000"* ]]
	[[ $output$stderr != *sk-oai-* ]]
}

@test "a proxied ExternalModel stream (ITL 0) passes whole through the HTTPS gateway" {
	modelsim_start '{"models":{"gpt-4o-mini":{"ttft":"0ms","itl":"0ms"}}}'
	sandbox_external fast-ext "$MODELSIM_PORT" 100000000
	t=$(sandbox_token bob)
	run -0 --separate-stderr timeout 30 curl -sS --noproxy '*' --cacert "$SANDBOX_CA" -N -H "Authorization: Bearer $t" \
	    -d "$(body x 2000)" "$MAAS_URL/ext/fast-ext/v1/chat/completions"
	[ -z "$stderr" ]
	printf '%s\n' "$output" >"$TEST_HOME/out"
	check_stream "$TEST_HOME/out" 2000
	[[ $output == *'"model":"gpt-4o-mini"'* ]]
}

@test "a watch over HTTPS ends with its timeout, the chunked reply terminated" {
	run -0 --separate-stderr sandbox_curl -N --max-time 10 -H "Authorization: Bearer $SANDBOX_ADMIN_TOKEN" \
	    "$SANDBOX_API_URL/api/v1/namespaces?watch=true&timeoutSeconds=1"
	[ -z "$stderr" ]
	[ "$(grep -c '"type":"ADDED"' <<<"$output")" -ge 4 ]
}
