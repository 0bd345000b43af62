#!/usr/bin/env bats
# modelsim-precision.bats: the simulator's precision mode (the busy-poll
# setting, modelsim-serve --busy-poll): the loop polls instead of sleeping.
# Each test starts its own simulator, so none polls longer than it needs.
# Timing is checked only loosely (benchmarks, not tests, measure it:
# tests/bench/modelsim.sh -S, bench-accuracy.sh -S); what is checked exactly
# is that answers are whole and that the loop polled, or did not.
load ../helpers/common
load ../helpers/modelsim

teardown() {
	modelsim_stop
	common_teardown
}
setup() {
	common_setup
}

# stream MODEL N: a chat stream of N tokens (ignore_eos) with usage.
stream() {
	curl -sS -N "$MODELSIM_URL/chat/completions" -H 'Content-Type: application/json' \
	    -d '{"model":"'"$1"'","messages":[{"role":"user","content":"hi"}],"seed":4,"max_tokens":'"$2"',"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true}}'
}

# check_stream SSE N: role chunk, N one-token chunks, usage, [DONE].
check_stream() {
	local data
	data=$(sed -n 's/^data: //p' <<<"$1")
	[ "$(wc -l <<<"$data")" = $(($2 + 3)) ]
	[ "$(head -1 <<<"$data" | jq -c .choices[0].delta)" = '{"role":"assistant","content":""}' ]
	[ "$(sed -n "2,$(($2 + 1))p" <<<"$data" | jq -r '.choices[0].delta.content | length > 0' | sort -u)" = true ]
	[ "$(sed -n "$(($2 + 1))p" <<<"$data" | jq -r .choices[0].finish_reason)" = length ]
	[ "$(sed -n "$(($2 + 2))p" <<<"$data" | jq -r .usage.completion_tokens)" = "$2" ]
	[ "$(tail -1 <<<"$data")" = "[DONE]" ]
}

@test "busy-poll true: streams, whole answers and completions are intact; the loop polled" {
	modelsim_start '{"models": {"p": {"busy-poll": true, "ttft": "20ms", "itl": "2ms"}}}'
	run -0 stream p 12
	check_stream "$output" 12
	run -0 curl -sS "$MODELSIM_URL/chat/completions" -d '{"model":"p","messages":[{"role":"user","content":"hi"}],"seed":4,"max_tokens":12,"ignore_eos":true}'
	[ "$(jq -r .usage.completion_tokens <<<"$output")" = 12 ]
	[ "$(jq -r .choices[0].finish_reason <<<"$output")" = length ]
	run -0 curl -sS -N "$MODELSIM_URL/completions" -d '{"model":"p","prompt":"x","max_tokens":3,"ignore_eos":true,"stream":true}'
	[ "$(sed -n 's/^data: //p' <<<"$output" | grep -vc DONE)" = 3 ]
	[[ $output == *"data: [DONE]"* ]]
	modelsim_stop
	[ "$(modelsim_stat completed)" = 3 ]
	[ "$(modelsim_stat tokens)" = 27 ]
	[ "$(modelsim_stat polls)" -gt 0 ]
}

@test "busy-poll true: the first and the last token never come before their deadlines" {
	modelsim_start '{"models": {"p": {"busy-poll": "true", "ttft": "100ms", "itl": "20ms"}}}'
	run -0 curl -sS -N -o /dev/null -w '%{time_pretransfer} %{time_starttransfer} %{time_total}' "$MODELSIM_URL/chat/completions" \
	    -d '{"model":"p","messages":[{"role":"user","content":"x"}],"max_tokens":6,"ignore_eos":true,"stream":true}'
	read -r pre ttfb total <<<"$output"
	# The first byte 100 ms after the request, the last of 6 tokens due
	# 100 ms after the first one's deadline (a late first token shortens
	# the gap, not the schedule); generous upper bounds for a loaded
	# machine.
	echo "pretransfer $pre starttransfer $ttfb total $total"
	awk -v p="$pre" -v a="$ttfb" -v b="$total" 'BEGIN { exit !(a - p >= 0.1 && a < 1.5 && b - p >= 0.2 && b < 3) }'
}

@test "busy-poll off by default: an idle and a busy simulator never poll" {
	modelsim_start '{"models": {"m": {"ttft": "10ms", "itl": "1ms"}}}'
	run -0 stream m 5
	check_stream "$output" 5
	sleep 0.2
	modelsim_stop
	[ "$(modelsim_stat completed)" = 1 ]
	[ "$(modelsim_stat polls)" = 0 ]
}

@test "busy-poll true polls even when idle; a margin polls only near deadlines" {
	modelsim_start '{"models": {"a": {"busy-poll": true}}}'
	sleep 0.3
	modelsim_stop
	[ "$(modelsim_stat polls)" -gt 0 ]
	modelsim_start '{"models": {"g": {"busy-poll": "3ms", "ttft": "50ms", "itl": "10ms"}}}'
	sleep 0.3
	modelsim_stop
	[ "$(modelsim_stat polls)" = 0 ]
	modelsim_start '{"models": {"g": {"busy-poll": "3ms", "ttft": "50ms", "itl": "10ms"}}}'
	run -0 stream g 4
	check_stream "$output" 4
	modelsim_stop
	[ "$(modelsim_stat polls)" -gt 0 ]
}

@test "--busy-poll sets every model, over its own setting" {
	modelsim_start '{"models": {"a": {"busy-poll": false}, "b": {}}}' --busy-poll true
	run -0 stream a 3
	check_stream "$output" 3
	modelsim_stop
	[ "$(modelsim_stat polls)" -gt 0 ]
	modelsim_start '{"models": {"a": {"busy-poll": true}}}' --busy-poll false
	run -0 stream a 3
	check_stream "$output" 3
	modelsim_stop
	[ "$(modelsim_stat polls)" = 0 ]
}

@test "bad busy-poll values: one clear line and an exit status" {
	run -2 --separate-stderr "$MODELSIM_BIN" --port-file "$BATS_TEST_TMPDIR/port" --busy-poll soon
	[ "$stderr" = 'modelsim-serve: --busy-poll: setting busy-poll: want true, false or a duration such as "3ms", not soon' ]
	[ ! -e "$BATS_TEST_TMPDIR/port" ]
	run -2 --separate-stderr "$MODELSIM_BIN" --port-file "$BATS_TEST_TMPDIR/port" --busy-poll
	[ "$stderr" = "modelsim-serve: --busy-poll needs a value" ]
	run -2 --separate-stderr "$MODELSIM_BIN" --port-file "$BATS_TEST_TMPDIR/port" --busy-pol true
	[ "$stderr" = "modelsim-serve: unknown option --busy-pol" ]
	printf '{"models": {"m": {"busy-poll": "later"}}}\n' >"$BATS_TEST_TMPDIR/c.json"
	run -1 --separate-stderr "$MODELSIM_BIN" --port-file "$BATS_TEST_TMPDIR/port" --config "$BATS_TEST_TMPDIR/c.json"
	[ "$stderr" = 'modelsim-serve: model simulator: model m: setting busy-poll: want true, false or a duration such as "3ms", not later' ]
}

@test "stream-load --busy-poll: the polling client gets every stream whole" {
	modelsim_start '{"models": {"m": {"ttft": "20ms", "itl": "2ms"}}}'
	run -0 --separate-stderr "$MAASCTL_TEST_ROOT/$BUILD/tests/helpers/stream-load" --url "$MODELSIM_URL/chat/completions" \
	    --body '{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":5,"ignore_eos":true,"stream":true}' \
	    -n 20 --ramp 0.2 --busy-poll
	[ "$(wc -l <<<"$output")" = 20 ]
	[ "$(awk '$1 == 200 && $2 >= 0.02 && NF == 6' <<<"$output" | wc -l)" = 20 ]
	run -2 --separate-stderr "$MAASCTL_TEST_ROOT/$BUILD/tests/helpers/stream-load" --url "$MODELSIM_URL" -n
	[ "$stderr" = "stream-load: -n needs a value" ]
	modelsim_stop
	[ "$(modelsim_stat completed)" = 20 ]
	[ "$(modelsim_stat tokens)" = 100 ]
}

@test "stream-load --lag --cpu-file: the client's own lateness per stream and its CPU time" {
	modelsim_start '{"models": {"m": {"ttft": "20ms", "itl": "5ms"}}}'
	run -0 --separate-stderr "$MAASCTL_TEST_ROOT/$BUILD/tests/helpers/stream-load" --url "$MODELSIM_URL/chat/completions" \
	    --body '{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":6,"ignore_eos":true,"stream":true}' \
	    -n 10 --ramp 0.1 --lag --cpu-file "$BATS_TEST_TMPDIR/cpu"
	echo "$output"
	[ "$(wc -l <<<"$output")" = 10 ]
	# Eight columns; the lags (kernel receive time to the client's read)
	# are measured (> 0) and well under a second on any machine.
	[ "$(awk '$1 == 200 && NF == 8 && $7 > 0 && $7 < 1 && $8 > 0 && $8 < 1' <<<"$output" | wc -l)" = 10 ]
	[ "$(awk '$1 == "cpu" && $2 > 0 { c = 1 } $1 == "wall" && $2 >= 0.1 { w = 1 } END { print c + w }' "$BATS_TEST_TMPDIR/cpu")" = 2 ]
	modelsim_stop
	[ "$(modelsim_stat tokens)" = 60 ]
}
