#!/usr/bin/env bats
# bench-routing.bats: `maasctl bench --record-header` as per-backend
# measurements: every metric per value of a recorded response header (e.g.
# x-inference-pod), the spread of requests over the values (routing
# balance), in JSON, text and HTML; requests without the header or that
# failed.  Latency assertions only compare a delayed backend with a prompt
# one, never with the clock.
bats_require_minimum_version 1.5.0
load ../helpers/bench

setup() {
	common_setup
	OUT=$TEST_HOME/out
	mkdir -p "$OUT"
}
teardown() {
	responder_stop 2>/dev/null || true
	common_teardown
}

# reply N HEADER [DELAY] [STATUS]: a non-streamed chat answer, N times.
reply() {
	printf 'status %s\n' "${4:-200}"
	printf 'header Content-Type: application/json\n'
	[ -n "$2" ] && printf 'header %s\n' "$2"
	[ -n "${3:-}" ] && printf 'delay %s\n' "$3"
	printf 'body {"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4,"prompt_tokens_details":{"cached_tokens":%s}}}\n' "${5:-0}"
	printf 'times %s\n' "$1"
}

@test "per-backend metrics and routing balance from x-inference-pod" {
	responder_start "$(reply 3 'x-inference-pod: pod-a' '' 200 2)
---
$(reply 1 'x-inference-pod: pod-b' 0.3)
---
$(reply 1 '')"
	run -0 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 \
	    --no-stream -c 1 -n 5 --record-header x-inference-pod --format json \
	    --html "$OUT/r.html" "${LOOSE[@]}"
	echo "$output" >"$OUT/r.json"
	h='.response_headers["x-inference-pod"]'
	[ "$(jq -r "$h.by_value[\"pod-a\"].requests.sent" "$OUT/r.json")" = 3 ]
	[ "$(jq -r "$h.by_value[\"pod-b\"].requests.sent" "$OUT/r.json")" = 1 ]
	[ "$(jq -r "$h.by_value[\"pod-a\"].metrics.e2e.count" "$OUT/r.json")" = 3 ]
	# pod-b answers 300 ms late; pod-a at once.
	[ "$(jq -r "$h.by_value[\"pod-b\"].metrics.e2e.p50 > 250" "$OUT/r.json")" = true ]
	[ "$(jq -r "$h.by_value[\"pod-b\"].metrics.e2e.p50 > $h.by_value[\"pod-a\"].metrics.e2e.p50 + 200" "$OUT/r.json")" = true ]
	# Prefix-cache figures per backend: pod-a reported 2 cached of 3.
	[ "$(jq -r "$h.by_value[\"pod-a\"].tokens.prefix_cache.cached_tokens" "$OUT/r.json")" = 6 ]
	# 3 of 4 requests with the header on pod-a: shares 0.75 and 0.25.
	[ "$(jq -r "$h.balance.max_share" "$OUT/r.json")" = 0.75 ]
	[ "$(jq -r "$h.balance.min_share" "$OUT/r.json")" = 0.25 ]
	[ "$(jq -r "$h.balance.max_over_mean" "$OUT/r.json")" = 1.5 ]
	[ "$(jq -r "$h.missing" "$OUT/r.json")" = 1 ]
	grep -q 'pod-b' "$OUT/r.html"
}

@test "the text report lists each backend and the balance" {
	responder_start "$(reply 2 'x-inference-pod: pod-a')
---
$(reply 2 'x-inference-pod: pod-b')"
	run -0 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 \
	    --no-stream -c 1 -n 4 --record-header x-inference-pod "${LOOSE[@]}"
	[[ $output == *$'\nheader x-inference-pod: pod-a 2, pod-b 2, missing 0\n'* ]]
	[[ $output == *$'\n  pod-a: 2 ok of 2, ttft p50 '*' ms p99 '*' ms, e2e p50 '*$' ms, prefix cache 0.00%\n'* ]]
	[[ $output == *$'\n  balance: shares 50.00% to 50.00%, busiest/mean 1.00'* ]]
}

@test "failed requests count under their backend; a header nobody sends has no balance" {
	responder_start "$(reply 2 'x-inference-pod: pod-a')
---
$(reply 2 'x-inference-pod: pod-b' '' 500)"
	run -0 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 \
	    --no-stream -c 1 -n 4 --record-header x-inference-pod --record-header x-none \
	    --format json --max-token-mismatch 1 "${LOOSE[@]}"
	h='.response_headers["x-inference-pod"]'
	[ "$(jq -r "$h.by_value[\"pod-b\"].requests.failed" <<<"$output")" = 2 ]
	[ "$(jq -r "$h.by_value[\"pod-b\"].requests.by_outcome.http_5xx" <<<"$output")" = 2 ]
	[ "$(jq -r "$h.by_value[\"pod-a\"].requests.ok" <<<"$output")" = 2 ]
	[ "$(jq -r '.response_headers["x-none"].balance.max_share' <<<"$output")" = null ]
	[ "$(jq -r '.response_headers["x-none"].by_value | length' <<<"$output")" = 0 ]
}

@test "bad --record-header and an unreachable server: exit 2 and 6" {
	run -2 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:1/v1" -m m1 \
	    --record-header 'x bad' "${LOOSE[@]}"
	[ "$stderr" = 'maasctl: bench: invalid --record-header "x bad": want a header name such as x-inference-pod' ]
	run -6 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:1/v1" -m m1 -n 2 \
	    --record-header x-inference-pod --format json "${LOOSE[@]}"
	[ "$(jq -r '.response_headers["x-inference-pod"].missing' <<<"$output")" = 2 ]
}
