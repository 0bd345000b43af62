#!/usr/bin/env bats
# bench-replay.bats: `maasctl bench --replay FILE`: an earlier run's --raw
# NDJSON sent again on its realised schedule: the same intended times,
# request numbers (so the same lengths, prefixes and turns from the seed)
# and classes; the seed taken from the file; a check that prompt lengths
# match; and the failures (bad files, flags that also set a schedule, a
# class that is not there, an unreachable server) with exit 2 or 6.
bats_require_minimum_version 1.5.0
load ../helpers/bench

CONFIG='{"models": {
  "m": {"ttft": "2ms", "itl": "1ms", "max-num-seqs": 10000, "max-waiting": 10000},
  "f": {"ttft": "1ms", "itl": "1ms", "max-num-seqs": 10000, "max-waiting": 10000}
}}'

CLASSES=(--class name=a,weight=2 --class name=b,weight=1,model=f,output=4)

setup() { bench_setup "$CONFIG"; }
teardown() { bench_teardown; }

# key FILE: seq, class, intended time and prompt tokens per request.
key() { jq -s -c 'sort_by(.seq) | map([.seq, .class, .intended_ms, .prompt_tokens])' "$1"; }

@test "a replay sends the same requests at the same times, classes and lengths" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -r 40 -n 30 \
	    --seed 7 "${CLASSES[@]}" --input-tokens uniform:10:50 --raw "$OUT/r1.ndjson" \
	    --format json "${LOOSE[@]}"
	[ "$(jq -s 'map(.seed) | unique | .[0]' "$OUT/r1.ndjson")" = 7 ]
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m \
	    --replay "$OUT/r1.ndjson" "${CLASSES[@]}" --input-tokens uniform:10:50 \
	    --raw "$OUT/r2.ndjson" --format json "${LOOSE[@]}"
	echo "$output" >"$OUT/r2.json"
	[ "$(jq -r .replay.requests "$OUT/r2.json")" = 30 ]
	[ "$(jq -r .replay.compared "$OUT/r2.json")" = 30 ]
	[ "$(jq -r .replay.prompt_tokens_differ "$OUT/r2.json")" = 0 ]
	[ "$(jq -r .load.seed "$OUT/r2.json")" = 7 ]
	[ "$(jq -r .load.mode "$OUT/r2.json")" = open ]
	[ "$(jq -r .load.arrival "$OUT/r2.json")" = replay ]
	# Intended times from the first, exactly.
	first=$(jq -s 'map(.intended_ms) | min' "$OUT/r1.ndjson")
	[ "$(jq -s -c "sort_by(.seq) | map([.seq, .class, (.intended_ms - $first | . * 1000 | round), .prompt_tokens])" "$OUT/r1.ndjson")" = \
	    "$(jq -s -c 'sort_by(.seq) | map([.seq, .class, (.intended_ms * 1000 | round), .prompt_tokens])' "$OUT/r2.ndjson")" ]
	# A replay of the replay is the same again.
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m \
	    --replay "$OUT/r2.ndjson" "${CLASSES[@]}" --input-tokens uniform:10:50 \
	    --raw "$OUT/r3.ndjson" --format json "${LOOSE[@]}"
	[ "$(key "$OUT/r2.ndjson")" = "$(key "$OUT/r3.ndjson")" ]
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m \
	    --replay "$OUT/r1.ndjson" "${CLASSES[@]}" --input-tokens uniform:10:50 "${LOOSE[@]}"
	[[ $output == *"replay: $OUT/r1.ndjson, 30 requests over "*" s; prompt lengths differ from the original in 0 of 30"* ]]
}

@test "another seed or other workload flags show as differing prompt lengths" {
	maasctl bench --endpoint "$MODELSIM_URL" -m m -c 2 -n 20 --input-tokens uniform:10:200 \
	    --raw "$OUT/r1.ndjson" "${LOOSE[@]}" >/dev/null
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m \
	    --replay "$OUT/r1.ndjson" --seed 99 --input-tokens uniform:10:200 --format json "${LOOSE[@]}"
	[ "$(jq -r .load.seed <<<"$output")" = 99 ]
	[ "$(jq -r '.replay.prompt_tokens_differ > 10' <<<"$output")" = true ]
	# A closed-loop run replays as open loop at its realised send times.
	[ "$(jq -r .load.mode <<<"$output")" = open ]
	[ "$(jq -r .requests.sent <<<"$output")" = 20 ]
	# -n takes the first N of the schedule.
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m \
	    --replay "$OUT/r1.ndjson" -n 5 --input-tokens uniform:10:200 --format json "${LOOSE[@]}"
	[ "$(jq -r .requests.sent <<<"$output")" = 5 ]
	[ "$(jq -r .replay.prompt_tokens_differ <<<"$output")" = 0 ]
}

@test "multi-turn runs replay turn by turn; warm-up requests are left out" {
	maasctl bench --endpoint "$MODELSIM_URL" -m m -c 2 -n 8 --warmup 2 --turns 2 \
	    --raw "$OUT/r1.ndjson" "${LOOSE[@]}" >/dev/null
	[ "$(jq -s 'map(select(.warmup)) | length' "$OUT/r1.ndjson")" = 2 ]
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m \
	    --replay "$OUT/r1.ndjson" --turns 2 --raw "$OUT/r2.ndjson" --format json "${LOOSE[@]}"
	[ "$(jq -r .replay.requests <<<"$output")" = 8 ]
	[ "$(jq -r .replay.prompt_tokens_differ <<<"$output")" = 0 ]
	[ "$(jq -s -c 'map(select(.warmup | not)) | sort_by(.seq) | map([.seq, .session, .turn])' "$OUT/r1.ndjson")" = \
	    "$(jq -s -c 'sort_by(.seq) | map([.seq, .session, .turn])' "$OUT/r2.ndjson")" ]
}

@test "bad replay files and flags: exit 2 with one clear line" {
	maasctl bench --endpoint "$MODELSIM_URL" -m m -n 3 "${CLASSES[@]}" \
	    --raw "$OUT/r1.ndjson" "${LOOSE[@]}" >/dev/null
	bad() {
		run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m "$@"
		[ "$output" = "" ]
		[ "$(printf '%s\n' "$stderr" | wc -l)" = 1 ]
	}
	bad --replay "$OUT/missing.ndjson"
	[ "$stderr" = "maasctl: bench: cannot read replay $OUT/missing.ndjson: No such file or directory" ]
	: >"$OUT/empty.ndjson"
	bad --replay "$OUT/empty.ndjson"
	[ "$stderr" = "maasctl: bench: replay $OUT/empty.ndjson has no measured request (a file written by bench --raw)" ]
	printf '{"seq":0,"warmup":true,"intended_ms":0}\n' >"$OUT/warm.ndjson"
	bad --replay "$OUT/warm.ndjson"
	[[ $stderr == *"has no measured request"* ]]
	printf '{"seq":0,"intended_ms":0}\nnot json\n' >"$OUT/bad.ndjson"
	bad --replay "$OUT/bad.ndjson"
	[[ $stderr == "maasctl: bench: replay $OUT/bad.ndjson line 2: "* ]]
	printf '{"timestamp":0,"input_length":5}\n' >"$OUT/trace.jsonl"
	bad --replay "$OUT/trace.jsonl"
	[ "$stderr" = "maasctl: bench: replay $OUT/trace.jsonl line 1: not a bench --raw record (want seq and intended_ms)" ]
	bad --replay "$OUT/r1.ndjson"
	[[ $stderr == "maasctl: bench: replay $OUT/r1.ndjson: class \""?"\" is not one of this run's classes (give the same --class options)" ]]
	bad --replay "$OUT/r1.ndjson" --rate 5
	[ "$stderr" = "maasctl: bench: --replay sets the schedule; it does not combine with --rate" ]
	bad --replay "$OUT/r1.ndjson" --stages "c=1@1s"
	[[ $stderr == *"it does not combine with --stages" ]]
	bad --replay "$OUT/r1.ndjson" --trace "$OUT/trace.jsonl"
	[[ $stderr == *"it does not combine with --trace" ]]
	bad --replay "$OUT/r1.ndjson" --warmup 1
	[[ $stderr == *"it does not combine with --warmup" ]]
	bad --replay "$OUT/r1.ndjson" --worker 0/2
	[[ $stderr == *"it does not combine with --worker" ]]
}

@test "a replay against an unreachable server or a 5xx: exit 6, the report still printed" {
	maasctl bench --endpoint "$MODELSIM_URL" -m m -n 3 --raw "$OUT/r1.ndjson" "${LOOSE[@]}" >/dev/null
	run -6 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:1/v1" -m m \
	    --replay "$OUT/r1.ndjson" --format json "${LOOSE[@]}"
	[ "$(jq -r .replay.compared <<<"$output")" = 0 ]
	[[ $stderr == "maasctl: bench: all 3 requests failed (transport):"* ]]
	run -6 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m \
	    --replay "$OUT/r1.ndjson" -H "X-Return-Error: 500" --format json "${LOOSE[@]}"
	[[ $stderr == *"HTTP 500"* ]]
}

@test "completion offers --replay and completes files" {
	run -0 --separate-stderr maasctl __complete bench --repl
	[[ $output == *$'--replay\t'* ]]
	run -0 --separate-stderr maasctl __complete bench --replay ''
	[ "${lines[-1]}" = ":0" ]
}
