#!/usr/bin/env bats
# modelsim-send.bats: the simulator's batched token writes (io_uring,
# modelsim-serve --send batched, the default) against one writev() per
# token (--send writev): the same bytes in the same order, also when a
# client reads slowly and its socket fills (the rest of a chunk queues in
# the connection's buffer, ahead of later chunks).
bats_require_minimum_version 1.5.0
load ../helpers/common
load ../helpers/modelsim

teardown() {
	modelsim_stop
	common_teardown
}
setup() {
	common_setup
	# The kernel may refuse io_uring (kernel.io_uring_disabled, seccomp):
	# the simulator then writes each token with writev(), and these tests
	# have nothing to compare.
	modelsim_start '{"models": {"m": {}}}'
	modelsim_stop
	[ "$(modelsim_stat batched_sends)" = 1 ] || skip "io_uring is not available here"
}

# stream N [SEED]: a chat stream of N tokens (ignore_eos) with usage.
stream() {
	curl -sS -N "$MODELSIM_URL/chat/completions" -H 'Content-Type: application/json' \
	    -d '{"model":"m","messages":[{"role":"user","content":"hi"}],"seed":'"${2:-4}"',"max_tokens":'"$1"',"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true}}'
}

# answer SSE: every chunk with its id and created time taken out.
answer() {
	sed -n 's/^data: //p' <<<"$1" | grep -v '^\[DONE\]$' | jq -c 'del(.id, .created)'
}

@test "send batched: a stream is the same as with one writev() per token, and went in batches" {
	modelsim_start '{"models": {"m": {"ttft": "5ms", "itl": "1ms"}}}' --send batched
	run -0 stream 40
	batched=$output
	modelsim_stop
	[ "$(modelsim_stat batched_sends)" = 1 ]
	[ "$(modelsim_stat ring_sends)" -ge 38 ]
	[ "$(modelsim_stat ring_flushes)" -ge 1 ]
	[ "$(modelsim_stat completed)" = 1 ]
	modelsim_start '{"models": {"m": {"ttft": "5ms", "itl": "1ms"}}}' --send writev
	run -0 stream 40
	modelsim_stop
	[ "$(modelsim_stat batched_sends)" = 0 ]
	[ "$(modelsim_stat ring_sends)" = 0 ]
	[ "$(answer "$batched")" = "$(answer "$output")" ]
	[ "$(answer "$output" | wc -l)" = 42 ]	# role, 40 tokens, usage
	[[ $batched == *"data: [DONE]"* ]]
}

# raw_stream N SEED PAUSE: the stream over a plain socket that reads nothing
# for PAUSE seconds after sending the request, then everything (raw HTTP:
# the chunked framing lines stay, every event is one chunk).
raw_stream() {
	local body='{"model":"m","messages":[{"role":"user","content":"hi"}],"seed":'"$2"',"max_tokens":'"$1"',"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true}}'
	exec 3<>"/dev/tcp/127.0.0.1/$MODELSIM_PORT"
	printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
	    "${#body}" "$body" >&3
	sleep "$3"
	tr -d '\r' <&3
	exec 3<&-
}

@test "send batched: a reader that stops reading gets every chunk whole and in order" {
	# All 20000 tokens (~3 MB) due at once while the client reads nothing:
	# the socket fills, sends come back short, and the rest of a chunk
	# waits in the connection's buffer ahead of the later chunks.
	modelsim_start '{"models": {"m": {"ttft": "0ms", "itl": "0ms"}}}'
	run -0 raw_stream 20000 7 1
	slow=$output
	modelsim_stop
	[ "$(modelsim_stat ring_short)" -ge 1 ]
	[ "$(modelsim_stat completed)" = 1 ]
	[[ $slow == "HTTP/1.1 200 OK"* ]]
	run -0 answer "$slow"
	[ "${#lines[@]}" = 20002 ]
	[ "$(sed -n '2,20001p' <<<"$output" | jq -r '.choices[0].delta.content | length > 0' | sort -u)" = true ]
	[ "$(sed -n 20002p <<<"$output" | jq -r .usage.completion_tokens)" = 20000 ]
	[[ $slow == *"data: [DONE]"* ]]
	# The same answer as a reader that keeps up, one writev() per token.
	modelsim_start '{"models": {"m": {"ttft": "0ms", "itl": "0ms"}}}' --send writev
	run -0 curl -sS -N "$MODELSIM_URL/chat/completions" \
	    -d '{"model":"m","messages":[{"role":"user","content":"hi"}],"seed":7,"max_tokens":20000,"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true}}'
	[ "$(answer "$slow" | md5sum)" = "$(answer "$output" | md5sum)" ]
}

@test "send: an unknown way of writing is a usage error" {
	run -2 --separate-stderr "$MODELSIM_BIN" --port-file "$BATS_TEST_TMPDIR/p" --send fast
	[ "$stderr" = "modelsim-serve: --send: want batched or writev, not fast" ]
	[ ! -e "$BATS_TEST_TMPDIR/p" ]
}

@test "send-floor: the cost of one token write, one writev() each and in io_uring batches" {
	run -0 --separate-stderr "$MAASCTL_TEST_ROOT/$BUILD/tests/helpers/send-floor" --sockets 20 --seconds 0.2
	[[ $output =~ ^writev\ sockets\ 20\ chunks\ [1-9][0-9]*\ in\ 0\.[0-9]+\ s:\ [0-9.]+\ us\ cpu/chunk,\ [0-9]+k\ chunks/s/core$ ]]
	run -0 --separate-stderr "$MAASCTL_TEST_ROOT/$BUILD/tests/helpers/send-floor" --sockets 20 --seconds 0.2 --batched
	[[ $output =~ ^io_uring\ batch\ sockets\ 20\ chunks\ [1-9][0-9]*\ in ]]
	run -2 --separate-stderr "$MAASCTL_TEST_ROOT/$BUILD/tests/helpers/send-floor" --sockets 0
	[ "$stderr" = "send-floor: want 1-4096 sockets and a positive number of seconds" ]
}
