#!/usr/bin/env bats
# bench-quota.bats: `maasctl bench` behind a rate-limiting gateway: the
# answers' x-ratelimit-* (OpenAI: -requests/-tokens; Kuadrant and the IETF
# draft: unit unspecified) headers as quota state per request (--raw),
# per second (quota_* columns) and over the run (quota), and the offered,
# admitted and good load apart (load_accounting, overall and per class;
# admitted and good per second), in JSON, text and HTML.  Also the
# definitions table (BENCH-ANCHORS 2.6) and the per-token weighted
# metrics every report carries.
bats_require_minimum_version 1.5.0
load ../helpers/bench

CONFIG='{"models": {
  "limited": {"rate-limit-first": 3, "retry-after": "1s", "ttft": "1ms", "itl": "1ms"},
  "m": {"ttft": "2ms", "itl": "1ms", "max-num-seqs": 100}
}}'

setup() { bench_setup "$CONFIG"; }
teardown() { bench_teardown; }

# reply N HEADERS...: a non-streamed chat answer with these headers, N times.
reply() {
	local n=$1 h
	shift
	printf 'header Content-Type: application/json\n'
	for h in "$@"; do printf 'header %s\n' "$h"; done
	printf 'body {"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}\n'
	printf 'times %s\n' "$n"
}

@test "x-ratelimit-* headers: quota per request, per second and over the run" {
	responder_start "$(reply 2 'x-ratelimit-limit-requests: 100' 'x-ratelimit-remaining-requests: 98' \
	    'x-ratelimit-reset-requests: 6m0s' 'x-ratelimit-limit-tokens: 1000' 'x-ratelimit-remaining-tokens: 900' \
	    'x-ratelimit-reset-tokens: 250ms')
---
$(reply 1 'X-RateLimit-Limit: 50' 'X-RateLimit-Remaining: 7' 'X-RateLimit-Reset: 30')
---
$(reply 1 'RateLimit-Remaining: 5, 5;w=60' 'ratelimit-reset: bogus')
---
$(reply 1)"
	run -0 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 \
	    --no-stream -c 1 -n 5 --raw "$OUT/raw.ndjson" --timeseries "$OUT/ts.csv" \
	    --save "$OUT/r.json" --html "$OUT/r.html" "${LOOSE[@]}"
	[[ $output == *"quota (rate-limit headers on 4 answers): least limit_requests 100, remaining_requests 98, reset_requests_s 360, limit_tokens 1000, remaining_tokens 900, reset_tokens_s 0.25, limit 50, remaining 5, reset_s 30"* ]]
	r=$OUT/r.json
	[ "$(jq -r .quota.responses "$r")" = 4 ]
	[ "$(jq -r .quota.least.remaining_requests "$r")" = 98 ]
	[ "$(jq -r .quota.least.reset_requests_s "$r")" = 360 ]
	[ "$(jq -r .quota.least.reset_tokens_s "$r")" = 0.25 ]
	[ "$(jq -r .quota.least.limit "$r")" = 50 ]
	[ "$(jq -r .quota.least.remaining "$r")" = 5 ]
	[ "$(jq -r .quota.last.remaining "$r")" = 5 ]
	[ "$(jq -r .quota.least.reset_s "$r")" = 30 ]
	[ "$(jq -r '.quota.least | has("limit_tokens")' "$r")" = true ]
	# Per request: the last answer had none; the first two carried six.
	[ "$(jq -s '.[0].ratelimit.remaining_tokens' "$OUT/raw.ndjson")" = 900 ]
	[ "$(jq -s '.[2].ratelimit.reset_s' "$OUT/raw.ndjson")" = 30 ]
	[ "$(jq -s '.[3].ratelimit | keys | join(",")' "$OUT/raw.ndjson")" = '"remaining"' ]
	[ "$(jq -s '.[4] | has("ratelimit")' "$OUT/raw.ndjson")" = false ]
	# Per second: the least remaining in the row.
	[ "$(jq -r '[.timeseries[].quota_remaining_requests | select(. != null)] | min' "$r")" = 98 ]
	[ "$(jq -r '[.timeseries[].quota_remaining | select(. != null)] | min' "$r")" = 5 ]
	head -1 "$OUT/ts.csv" | grep -q ',rate_limited,admitted,good,quota_remaining_requests,quota_remaining_tokens,quota_remaining,quota_reset_s,quota_reset_requests_s,quota_reset_tokens_s$'
	grep -q 'id="quota-time"' "$OUT/r.html"
}

@test "no rate-limit headers: no quota section, empty quota columns" {
	responder_start "$(reply 2)"
	run -0 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 \
	    --no-stream -c 1 -n 2 --format json "${LOOSE[@]}"
	[ "$(jq -r 'has("quota")' <<<"$output")" = false ]
	[ "$(jq -r '.timeseries[0].quota_remaining' <<<"$output")" = null ]
	[ "$(jq -r .load_accounting.admitted_requests <<<"$output")" = 2 ]
}

@test "offered, admitted and good load apart: 429s are offered, not admitted" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m limited -c 1 -n 10 \
	    --output-tokens 4 --slo e2e=5s,attainment=0.5 --save "$OUT/r.json" --html "$OUT/r.html" "${LOOSE[@]}"
	[[ $output == *"load accounting: offered 10 ("*"/s), admitted 7 ("*"/s, 70.00%), good 7 ("*"/s); 429/503 answers 3 in 10 attempts"* ]]
	r=$OUT/r.json
	[ "$(jq -r .load_accounting.offered_requests "$r")" = 10 ]
	[ "$(jq -r .load_accounting.admitted_requests "$r")" = 7 ]
	[ "$(jq -r .load_accounting.admitted_share "$r")" = 0.7 ]
	[ "$(jq -r .load_accounting.good_requests "$r")" = 7 ]
	[ "$(jq -r .load_accounting.throttled_answers "$r")" = 3 ]
	[ "$(jq -r .load_accounting.attempts "$r")" = 10 ]
	[ "$(jq -r '[.timeseries[].admitted] | add' "$r")" = 7 ]
	[ "$(jq -r '[.timeseries[].good] | add' "$r")" = 7 ]
	[ "$(jq -r '[.timeseries[].completed] | add' "$r")" = 10 ]
	grep -q 'load accounting' "$OUT/r.html"
	grep -q 'id="load-time"' "$OUT/r.html"
}

@test "retried 429s are admitted in the end; throttled answers counted apart" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m limited -c 1 -n 2 \
	    --retry backoff --retry-cap 20ms --max-retries 5 --format json "${LOOSE[@]}"
	[ "$(jq -r .load_accounting.offered_requests <<<"$output")" = 2 ]
	[ "$(jq -r .load_accounting.admitted_requests <<<"$output")" = 2 ]
	[ "$(jq -r .load_accounting.throttled_answers <<<"$output")" = 3 ]
	[ "$(jq -r .load_accounting.attempts <<<"$output")" = 5 ]
}

@test "load accounting per class" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -c 1 -n 30 --seed 3 \
	    --class name=a,model=limited --class name=b,model=m --output-tokens 2 --format json "${LOOSE[@]}"
	a=$(jq -r '.classes[] | select(.name == "a") | .load_accounting' <<<"$output")
	[ "$(jq -r '.offered_requests - .admitted_requests' <<<"$a")" = 3 ]
	b=$(jq -r '.classes[] | select(.name == "b") | .load_accounting' <<<"$output")
	[ "$(jq -r '.offered_requests == .admitted_requests' <<<"$b")" = true ]
}

@test "definitions: every weighting under its own name, the 2.6 mapping and the headlines" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 2 -n 6 \
	    --output-tokens 5 --save "$OUT/r.json" --html "$OUT/r.html" "${LOOSE[@]}"
	[[ $output == *"definitions: headline ttft = ttft (per request), tpot = tpot (per request), itl = itl_chunk (per chunk gap), e2e = e2e (per request)"* ]]
	[[ $output == *"(last token - first token) / (tokens - 1): maasctl tpot (per request), tpot_token_weighted (per token); vLLM TPOT; GuideLLM ITL (per token); inference-perf TPOT; AIPerf ITL; LLMPerf -"* ]]
	[[ $output == *"every gap between content chunks: maasctl itl_chunk (per chunk), itl_chunk_request_mean (per request); vLLM ITL;"* ]]
	r=$OUT/r.json
	[ "$(jq -r '.definitions.mapping | length' "$r")" = 6 ]
	[ "$(jq -r '.definitions.mapping[0].vllm' "$r")" = TPOT ]
	[ "$(jq -r '.definitions.mapping[0].aiperf' "$r")" = ITL ]
	[ "$(jq -r '.definitions.mapping[2].aiperf' "$r")" = ICL ]
	[ "$(jq -r '.definitions.headline.itl' "$r")" = itl_chunk ]
	[ "$(jq -r '.definitions.weighting.tpot_token_weighted' "$r")" = "per token (output tokens - 1 per request)" ]
	# Every request has 5 tokens: token weighting counts each 4 (tpot)
	# or 5 (ntpot) times; the per-request mean chunk gap once each.
	[ "$(jq -r .metrics.tpot_token_weighted.count "$r")" = 24 ]
	[ "$(jq -r .metrics.ntpot_token_weighted.count "$r")" = 30 ]
	[ "$(jq -r .metrics.itl_chunk_request_mean.count "$r")" = 6 ]
	[ "$(jq -r '.metrics.tpot_token_weighted.p50 - .metrics.tpot.p50 | fabs < 0.01' "$r")" = true ]
	grep -q '<table id="mapping">' "$OUT/r.html"
	grep -q '<td>ICL</td>' "$OUT/r.html"
}

@test "saved reports without the new histograms still merge" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 1 -n 3 \
	    --output-tokens 3 --save "$OUT/a.json" --format json "${LOOSE[@]}"
	jq 'del(.state.all.histograms.tpot_token_weighted, .state.all.histograms.ntpot_token_weighted, .state.all.histograms.itl_chunk_request_mean)' \
	    "$OUT/a.json" >"$OUT/old.json"
	run -0 --separate-stderr maasctl bench merge --format json "$OUT/old.json" "$OUT/a.json"
	[ "$(jq -r .requests.sent <<<"$output")" = 6 ]
	[ "$(jq -r .metrics.tpot_token_weighted.count <<<"$output")" = 6 ]
}
