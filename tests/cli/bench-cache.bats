#!/usr/bin/env bats
# bench-cache.bats: `maasctl bench` prefix-cache reporting against the
# simulator's prefix cache (enable-kvcache, block-size, kv-cache-size):
# usage.prompt_tokens_details.cached_tokens per request (--raw), cached
# tokens and hit rates overall, per class and per stage in every format,
# TTFT of hits and misses apart, merge, and a server that reports nothing;
# multi-turn conversations (--turns, --sessions) whose prefix reuse grows
# turn by turn, with metrics per turn.
# Counts are exact (the cache is deterministic); timings are only compared
# with each other.
bats_require_minimum_version 1.5.0
load ../helpers/bench

# m: cache of 16-token blocks; slow prefill so misses show in TTFT.
# plain: no cache (usage carries prompt_tokens_details: null).
CONFIG='{"models": {
  "m": {"ttft": "2ms", "itl": "1ms", "prefill-per-token": "0.5ms",
        "enable-kvcache": true, "block-size": 16, "kv-cache-size": 4096,
        "max-num-seqs": 1000, "max-waiting": 1000},
  "tiny": {"ttft": "1ms", "itl": "1ms", "enable-kvcache": true,
        "block-size": 16, "kv-cache-size": 2},
  "plain": {"ttft": "1ms", "itl": "1ms"},
  "limited": {"ttft": "1ms", "itl": "1ms", "enable-kvcache": true,
        "block-size": 16, "rate-limit-first": 3}
}}'

setup() { bench_setup "$CONFIG"; }
teardown() { bench_teardown; }

@test "a shared prompt: the first request misses, every later one hits its whole blocks" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 1 -n 10 \
	    --shared-prompt --input-tokens 64 --output-tokens 2 --format json \
	    --raw "$OUT/raw.ndjson" "${LOOSE[@]}"
	echo "$output" >"$OUT/r.json"
	# 64 words + the role marker = 65 tokens; the last is never cached:
	# 4 blocks of 16 = 64 cached tokens per hit.
	[ "$(jq -r .tokens.prefix_cache.reported "$OUT/r.json")" = true ]
	[ "$(jq -r .tokens.prefix_cache.reporting_requests "$OUT/r.json")" = 10 ]
	[ "$(jq -r .tokens.prefix_cache.hit_requests "$OUT/r.json")" = 9 ]
	[ "$(jq -r .tokens.prefix_cache.cached_tokens "$OUT/r.json")" = 576 ]
	pt=$(jq -r .tokens.prefix_cache.prompt_tokens "$OUT/r.json")
	[ "$pt" = "$(jq -r .tokens.input_total "$OUT/r.json")" ]
	[ "$(jq -r ".tokens.prefix_cache.hit_rate == ((576 / $pt * 10000 | round) / 10000)" "$OUT/r.json")" = true ]
	[ "$(jq -r .tokens.prefix_cache.request_hit_rate "$OUT/r.json")" = 0.9 ]
	[ "$(jq -r .metrics.cached_tokens.count "$OUT/r.json")" = 10 ]
	[ "$(jq -r .metrics.cached_tokens.max "$OUT/r.json")" = 64 ]
	[ "$(jq -r .metrics.ttft_cache_hit.count "$OUT/r.json")" = 9 ]
	[ "$(jq -r .metrics.ttft_cache_miss.count "$OUT/r.json")" = 1 ]
	# Per request in --raw, in the order sent (-c 1).
	[ "$(jq -s -c 'map(.cached_tokens)' "$OUT/raw.ndjson")" = "[0,64,64,64,64,64,64,64,64,64]" ]
}

@test "cached and busted runs tell apart: hit rate and TTFT of hits vs misses" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 1 -n 6 \
	    --cache-bust --input-tokens 200 --output-tokens 2 --format json "${LOOSE[@]}"
	[ "$(jq -r .tokens.prefix_cache.hit_requests <<<"$output")" = 0 ]
	[ "$(jq -r .tokens.prefix_cache.hit_rate <<<"$output")" = 0 ]
	[ "$(jq -r .metrics.ttft_cache_hit <<<"$output")" = null ]
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 1 -n 6 \
	    --shared-prompt --input-tokens 200 --output-tokens 2 --format json "${LOOSE[@]}"
	echo "$output" >"$OUT/r.json"
	[ "$(jq -r .tokens.prefix_cache.hit_requests "$OUT/r.json")" = 5 ]
	[ "$(jq -r '.tokens.prefix_cache.hit_rate > 0.7' "$OUT/r.json")" = true ]
	# A miss prefills ~206 tokens at 0.5 ms, a hit ~14: misses are slower.
	[ "$(jq -r '.metrics.ttft_cache_miss.p50 > .metrics.ttft_cache_hit.p50 + 40' "$OUT/r.json")" = true ]
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 1 -n 4 \
	    --shared-prompt --input-tokens 200 --output-tokens 2 "${LOOSE[@]}"
	[[ $output == *"prefix cache: "*" prompt tokens cached ("*"%), 4 of 4 requests hit; ttft p50 "*" ms on hits"* ]]
	[[ $output == *$'\ncached_tokens '* ]]
}

@test "prefix groups: a group's first request misses, later ones hit the prefix only" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 1 -n 8 \
	    --completions --prefix-groups 2 --prefix-tokens 32 --input-tokens 40 \
	    --output-tokens 2 --format json --raw "$OUT/raw.ndjson" "${LOOSE[@]}"
	# Requests 0 and 1 open groups 0 and 1; the 6 others hit the 32-token
	# prefix (2 blocks), never their own distinct words.
	[ "$(jq -s -c 'map(.cached_tokens)' "$OUT/raw.ndjson")" = "[0,0,32,32,32,32,32,32]" ]
	[ "$(jq -r .tokens.prefix_cache.hit_requests <<<"$output")" = 6 ]
}

@test "per class and per stage: the same figures, adding up to the whole" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m \
	    --shared-prompt --input-tokens 32 --output-tokens 2 -n 20 \
	    --class name=a,weight=1 --class name=b,weight=1 --format json "${LOOSE[@]}"
	echo "$output" >"$OUT/r.json"
	[ "$(jq -r '[.classes[].tokens.prefix_cache.cached_tokens] | add' "$OUT/r.json")" = \
	    "$(jq -r .tokens.prefix_cache.cached_tokens "$OUT/r.json")" ]
	[ "$(jq -r '[.classes[].tokens.prefix_cache.reporting_requests] | add' "$OUT/r.json")" = 20 ]
	[ "$(jq -r '.classes | map(.tokens.prefix_cache.reported) | all' "$OUT/r.json")" = true ]
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m \
	    --shared-prompt --input-tokens 32 --output-tokens 2 --stages "c=1@1s,2@1s" \
	    --format json "${LOOSE[@]}"
	echo "$output" >"$OUT/s.json"
	[ "$(jq -r '[.stages[].tokens.prefix_cache.hit_requests] | add' "$OUT/s.json")" = \
	    "$(jq -r .tokens.prefix_cache.hit_requests "$OUT/s.json")" ]
	# The second stage only ever sees a warm cache.
	[ "$(jq -r '.stages[1].tokens.prefix_cache.request_hit_rate' "$OUT/s.json")" = 1 ]
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m \
	    --shared-prompt --input-tokens 32 --output-tokens 2 --stages "c=1@1s,2@1s" "${LOOSE[@]}"
	[[ $output == *"tpot p50    cached"* ]]
	grep -Eq '^2@1s +c 2 .* [0-9]+\.[0-9]{2}%$' <<<"$output"
}

@test "vllm, csv and html views carry the cache figures; merge adds them up" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 1 -n 5 \
	    --shared-prompt --input-tokens 32 --output-tokens 2 --format vllm \
	    --save "$OUT/a.json" --html "$OUT/a.html" "${LOOSE[@]}"
	[ "$(jq -r .total_cached_input_tokens <<<"$output")" = 128 ]
	[ "$(jq -r '.prefix_cache_hit_rate > 0' <<<"$output")" = true ]
	grep -q '<th>prefix cache</th>' "$OUT/a.html"
	grep -q '128 of ' "$OUT/a.html"
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 1 -n 5 \
	    --shared-prompt --input-tokens 32 --output-tokens 2 --format csv \
	    --save "$OUT/b.json" "${LOOSE[@]}"
	[[ $output == *$'\ncached_input_tokens,tokens,,160,'* ]]
	[[ $output == *$'\nprefix_cache_request_hit_rate,fraction,,1,'* ]]
	[[ $output == *$'\nttft_cache_hit,ms,5,'* ]]
	run -0 --separate-stderr maasctl bench merge --format json "$OUT/a.json" "$OUT/b.json"
	[ "$(jq -r .tokens.prefix_cache.cached_tokens <<<"$output")" = 288 ]
	[ "$(jq -r .tokens.prefix_cache.hit_requests <<<"$output")" = 9 ]
	[ "$(jq -r .metrics.ttft_cache_hit.count <<<"$output")" = 9 ]
	# A report saved before prefix-cache counters existed still merges.
	jq 'del(.state.all.cache_reqs, .state.all.cache_hit_reqs, .state.all.cached_tokens, .state.all.cache_in_tokens)' \
	    "$OUT/a.json" >"$OUT/old.json"
	run -0 --separate-stderr maasctl bench merge --format json "$OUT/old.json" "$OUT/b.json"
	[ "$(jq -r .tokens.prefix_cache.cached_tokens <<<"$output")" = 160 ]
}

@test "a server without cached_tokens: reported false, no cache metrics or keys" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m plain -c 1 -n 3 \
	    --shared-prompt --format json --raw "$OUT/raw.ndjson" "${LOOSE[@]}"
	[ "$(jq -r .tokens.prefix_cache.reported <<<"$output")" = false ]
	[ "$(jq -r .tokens.prefix_cache.hit_rate <<<"$output")" = null ]
	[ "$(jq -r '.metrics | has("cached_tokens")' <<<"$output")" = false ]
	[ "$(jq -s -c 'map(.cached_tokens) | unique' "$OUT/raw.ndjson")" = "[null]" ]
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m plain -c 1 -n 3 \
	    --shared-prompt --format vllm "${LOOSE[@]}"
	[ "$(jq -r 'has("total_cached_input_tokens")' <<<"$output")" = false ]
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m plain -c 1 -n 3 "${LOOSE[@]}"
	[[ $output != *"prefix cache"* ]]
}

@test "a tiny cache evicts: alternating prompts never hit; 429s never enter the cache" {
	# Two blocks of room, two prompts of two blocks each: LRU evicts
	# each before it comes back.
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m tiny -c 1 -n 6 \
	    --completions --prefix-groups 2 --prefix-tokens 33 --input-tokens 33 \
	    --output-tokens 1 --format json "${LOOSE[@]}"
	[ "$(jq -r .tokens.prefix_cache.reporting_requests <<<"$output")" = 6 ]
	[ "$(jq -r .tokens.prefix_cache.hit_requests <<<"$output")" = 0 ]
	# The first 3 answers are 429: only the 3 admitted requests report,
	# and the first admitted one is a miss.
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m limited -c 1 -n 6 \
	    --shared-prompt --input-tokens 32 --output-tokens 1 --format json "${LOOSE[@]}"
	[ "$(jq -r .requests.by_outcome.rate_limited <<<"$output")" = 3 ]
	[ "$(jq -r .tokens.prefix_cache.reporting_requests <<<"$output")" = 3 ]
	[ "$(jq -r .tokens.prefix_cache.hit_requests <<<"$output")" = 2 ]
}

@test "bad cache settings: the simulator refuses them with one clear line" {
	modelsim_stop
	run ! modelsim_start '{"models": {"x": {"enable-kvcache": "maybe"}}}'
	[[ $output == *"setting enable-kvcache: want true or false"* ]]
	run ! modelsim_start '{"models": {"x": {"block-size": 0}}}'
	[[ $output == *"setting block-size: 0 is out of range"* ]]
	run ! modelsim_start '{"models": {"x": {"kv-cache-size": "lots"}}}'
	[[ $output == *"setting kv-cache-size: want a number, not lots"* ]]
}

@test "unreachable server and 5xx: no cache figures invented" {
	run -6 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:1/v1" -m m -n 2 \
	    --format json "${LOOSE[@]}"
	[ "$(jq -r .tokens.prefix_cache.reported <<<"$output")" = false ]
	[[ $stderr == "maasctl: bench: all 2 requests failed (transport):"* ]]
	run -6 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -n 2 \
	    -H "X-Return-Error: 503" --format json "${LOOSE[@]}"
	[ "$(jq -r .tokens.prefix_cache.reporting_requests <<<"$output")" = 0 ]
}

@test "--turns: each turn carries the conversation so far; reuse grows, metrics per turn" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 2 -n 12 \
	    --turns 3 --input-tokens 40 --output-tokens 8 --format json \
	    --raw "$OUT/raw.ndjson" --save "$OUT/r.json" --html "$OUT/r.html" "${LOOSE[@]}"
	[ "$(jq -r .workload.turns "$OUT/r.json")" = 3 ]
	[ "$(jq -r .workload.sessions "$OUT/r.json")" = 2 ]
	[ "$(jq -r '.turns | length' "$OUT/r.json")" = 3 ]
	[ "$(jq -c '[.turns[].requests.sent]' "$OUT/r.json")" = "[4,4,4]" ]
	# Turn k: role + 40 words, then per earlier turn role + 8 + role + 40.
	[ "$(jq -c '[.turns[].metrics.input_tokens.max]' "$OUT/r.json")" = "[46,102,158]" ]
	# Cached: turn 1 nothing; turn 2 the 2 whole blocks of turn 1's 41
	# hashed tokens; turn 3 the 5 whole blocks of turn 2's 91.
	[ "$(jq -c '[.turns[].tokens.prefix_cache.cached_tokens]' "$OUT/r.json")" = "[0,128,320]" ]
	# Two conversations at a time, turns interleaved: seq k is conversation
	# (k / 6) * 2 + k % 2, turn (k % 6) / 2 + 1.
	[ "$(jq -s -c 'sort_by(.seq) | map([.session, .turn])' "$OUT/raw.ndjson")" = \
	    "[[0,1],[1,1],[0,2],[1,2],[0,3],[1,3],[2,1],[3,1],[2,2],[3,2],[2,3],[3,3]]" ]
	grep -q '<h2>Turns</h2>' "$OUT/r.html"
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 1 -n 4 \
	    --turns 2 --input-tokens 40 --output-tokens 8 "${LOOSE[@]}"
	[[ $output == *$'\nturn      sent      ok  input tok'*"cached"* ]]
	grep -Eq '^2 +2 +2 +102\.0 ' <<<"$output"
}

@test "--turns bodies: user and assistant alternate, history repeated word for word" {
	responder_start "$(printf 'header Content-Type: application/json\nbody {"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}\ntimes 6\n')"
	run -0 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 \
	    --no-stream -c 1 -n 6 --turns 3 --sessions 1 --input-tokens 5 --output-tokens 4 \
	    --cache-bust --format json "${LOOSE[@]}"
	body() { responder_request "$1" | tail -n 1; }
	[ "$(body 1 | jq -c '[.messages[].role]')" = '["user"]' ]
	[ "$(body 3 | jq -c '[.messages[].role]')" = '["user","assistant","user","assistant","user"]' ]
	[ "$(body 3 | jq -r .max_tokens)" = 4 ]
	# Answers in the history have the turn's output length.
	[ "$(body 3 | jq -r '.messages[1].content' | wc -w)" = 4 ]
	[ "$(body 3 | jq -r '.messages[0].content' | wc -w)" = 5 ]
	# Turn 3 repeats turn 2's messages exactly, turn 2 turn 1's.
	[ "$(body 3 | jq -c '.messages[:3]')" = "$(body 2 | jq -c .messages)" ]
	[ "$(body 2 | jq -c '.messages[:1]')" = "$(body 1 | jq -c .messages)" ]
	# --cache-bust: each conversation opens with its own word.
	[ "$(body 4 | jq -r '.messages[0].content' | cut -d' ' -f1)" != \
	    "$(body 1 | jq -r '.messages[0].content' | cut -d' ' -f1)" ]
	[[ "$(body 4 | jq -r '.messages[0].content' | cut -d' ' -f1)" =~ ^[0-9a-f]{16}$ ]]
}

@test "--turns with prefix groups: conversations of a group share the opening" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 1 -n 4 \
	    --turns 2 --sessions 1 --prefix-groups 1 --prefix-tokens 32 --input-tokens 8 \
	    --output-tokens 2 --format json --raw "$OUT/raw.ndjson" "${LOOSE[@]}"
	# Conversation 1's first turn already hits the group's 32 tokens
	# (role + 32 words: 2 whole blocks).
	[ "$(jq -s -c 'sort_by(.seq) | map(.cached_tokens)' "$OUT/raw.ndjson")" = "[0,32,32,32]" ]
}

@test "bad --turns and --sessions: exit 2 with one clear line" {
	bad() {
		run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m "$@"
		[ "$output" = "" ]
		[[ "$stderr" == "maasctl: "* ]]
	}
	bad --turns 0
	[[ "${stderr_lines[0]}" == "maasctl: invalid value 0 for --turns: must be from 1 to 10000" ]]
	bad --turns two
	[[ "${stderr_lines[0]}" == *"--turns"* ]]
	bad --sessions 3
	[ "$stderr" = "maasctl: bench: --sessions needs --turns" ]
	bad --turns 2 --completions
	[ "$stderr" = "maasctl: bench: --turns builds chat conversations from synthetic prompts; it does not combine with --completions" ]
	bad --turns 2 --shared-prompt
	[[ "$stderr" == *"does not combine with --shared-prompt" ]]
	bad --turns 2 --class name=a
	[[ "$stderr" == *"does not combine with --class" ]]
	printf '{"prompt":"hi"}\n' >"$OUT/d.jsonl"
	bad --turns 2 --dataset "$OUT/d.jsonl"
	[[ "$stderr" == *"does not combine with --dataset" ]]
}

@test "--turns against an unreachable server and 4xx: the failure, per turn too" {
	run -6 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:1/v1" -m m -n 4 \
	    --turns 2 --format json "${LOOSE[@]}"
	[ "$(jq -c '[.turns[].requests.failed]' <<<"$output")" = "[2,2]" ]
	[[ $stderr == "maasctl: bench: all 4 requests failed (transport):"* ]]
	run -4 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m nosuch -n 2 \
	    --turns 2 --format json "${LOOSE[@]}"
	[[ $stderr == *"The model \`nosuch\` does not exist."* ]]
}

@test "completion offers --turns and --sessions" {
	run -0 --separate-stderr maasctl __complete bench --tu
	[[ $output == *"--turns"* ]]
	run -0 --separate-stderr maasctl __complete bench --sess
	[[ $output == *"--sessions"* ]]
}
