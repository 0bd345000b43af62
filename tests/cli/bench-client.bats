#!/usr/bin/env bats
# bench-client.bats: `maasctl bench` measuring the client itself -- the
# event loop's lag (timer callbacks against their deadlines, socket reads
# against the kernel's receive timestamps) and the bytes parsed per second
# of run and of client CPU -- with both transports, in the JSON, text and
# HTML reports, in the validity verdict (--max-loop-lag) and across
# `bench merge`.
bats_require_minimum_version 1.5.0
load ../helpers/bench

CONFIG='{"models": {
  "m": {"ttft": "5ms", "itl": "2ms", "max-num-seqs": 10000, "max-waiting": 10000}
}}'

setup() { bench_setup "$CONFIG"; }
teardown() { bench_teardown; }

# check_client FILE: the client object's loop lag and parse figures are
# whole and consistent.
check_client() {
	local f=$1 k
	for k in timer read; do
		# Coarse buckets add up to the count; percentiles are ordered.
		[ "$(jq -r ".client.loop_lag.$k | (.buckets | map(.count) | add) == .count" "$f")" = true ]
		[ "$(jq -r ".client.loop_lag.$k | .count == .histogram.count" "$f")" = true ]
		[ "$(jq -r ".client.loop_lag.$k | .count == 0 or (.p50_ms <= .p99_ms and .p99_ms <= .max_ms)" "$f")" = true ]
		[ "$(jq -r ".client.loop_lag.$k.buckets | length" "$f")" = 7 ]
	done
	# Every read of an answer is timed by the kernel on loopback.
	[ "$(jq -r '.client.loop_lag.read.count > 0' "$f")" = true ]
	# At least the answers' bodies went through the parsers.
	[ "$(jq -r '.client.bytes_parsed > 0' "$f")" = true ]
	[ "$(jq -r '.client | (.bytes_parsed / .wall_s - .bytes_parsed_per_s | fabs) < (.bytes_parsed_per_s * 0.02 + 1)' "$f")" = true ]
	[ "$(jq -r '.client.bytes_parsed_per_cpu_s >= .client.bytes_parsed_per_s' "$f")" = true ]
}

@test "native transport: read lag and bytes parsed in JSON, text and HTML" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m \
	    -c 4 -n 40 --output-tokens 5 --transport native --format json \
	    --html "$OUT/r.html" --save "$OUT/r.json" "${LOOSE[@]}"
	[ "$(jq -r .client.transport "$OUT/r.json")" = native ]
	check_client "$OUT/r.json"
	# 40 answers of 5 tokens each: a role chunk, 5 tokens, a finish chunk,
	# usage and [DONE] are over 40 * 9 SSE lines of 20 bytes at least.
	[ "$(jq -r '.client.bytes_parsed > 40 * 9 * 20' "$OUT/r.json")" = true ]
	grep -q 'id="client-loop-lag"' "$OUT/r.html"
	grep -q '<td>read</td>' "$OUT/r.html"
	grep -q 'bytes parsed: ' "$OUT/r.html"
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m \
	    -c 2 -n 10 --output-tokens 3 --transport native "${LOOSE[@]}"
	[[ $output == *$'\nclient loop lag (read): p50 '*' ms, p99 '*' ms, max '*' ms over '*'; histogram <0.01ms:'*' more:'* ]]
	[[ $output == *$'\nclient parsing: '*' bytes, '*' MB/s of run, '*' MB/s of client CPU'* ]]
}

@test "libcurl transport: read lag from the peeked timestamps, libcurl's timers, bytes parsed" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m \
	    -c 4 -n 40 --output-tokens 5 --transport curl --format json "${LOOSE[@]}"
	echo "$output" >"$OUT/r.json"
	[ "$(jq -r .client.transport "$OUT/r.json")" = libcurl ]
	check_client "$OUT/r.json"
	# libcurl arms its own timers on the loop; each run is counted.
	[ "$(jq -r '.client.loop_lag.timer.count > 0' "$OUT/r.json")" = true ]
	[ "$(jq -r '.client.bytes_parsed > 40 * 9 * 20' "$OUT/r.json")" = true ]
}

@test "open loop: the schedule timer's lateness is counted, both transports" {
	for tr in native curl; do
		run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m \
		    -r 100 -n 50 --arrival constant --output-tokens 2 --transport "$tr" \
		    --format json "${LOOSE[@]}"
		echo "$output" >"$OUT/$tr.json"
		check_client "$OUT/$tr.json"
		# 50 arrivals 10 ms apart: the schedule timer wakes for most.
		[ "$(jq -r '.client.loop_lag.timer.count >= 10' "$OUT/$tr.json")" = true ]
		[ "$(jq -r '.verdict.limits.max_loop_lag_p99_ms' "$OUT/$tr.json")" = 10000 ]
	done
}

@test "--max-loop-lag: a loop later than the limit makes the run INVALID (exit 1, reason named)" {
	run -1 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m \
	    -r 100 -n 30 --arrival constant --output-tokens 2 --max-lag 10s \
	    --min-achieved 0.01 --max-cpu 100 --no-progress --max-loop-lag 1ns \
	    --format json
	[ "$(jq -r .verdict.valid <<<"$output")" = false ]
	[ "$(jq -r '.verdict.reasons | map(select(startswith("the client'"'"'s event loop ran its timers"))) | length' <<<"$output")" = 1 ]
	[[ $stderr == *"bench: the run is INVALID: the client's event loop ran its timers "*" ms late at p99 (limit 0.000 ms): its own timings are suspect"* ]]
	# The default (50 ms) passes the same run on an idle loop; a limit
	# loose enough certainly does.
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m \
	    -r 100 -n 30 --arrival constant --output-tokens 2 --max-lag 10s \
	    --min-achieved 0.01 --max-cpu 100 --no-progress --max-loop-lag 5s \
	    --format json
	[ "$(jq -r .verdict.valid <<<"$output")" = true ]
}

@test "--max-loop-lag must be a positive duration (exit 2 before any traffic)" {
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -n 1 --max-loop-lag 0s
	[[ $stderr == *"bench: invalid validity limit: "*"--max-loop-lag a positive value"* ]]
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -n 1 --max-loop-lag soon
	[[ $stderr == *"--max-loop-lag"* ]]
	run -0 --separate-stderr maasctl bench --help
	[[ $output == *"--max-loop-lag DURATION"* ]]
	# Unset, the limit is 50 ms, or --max-lag when that is larger.
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -n 2 \
	    --max-lag 2s --min-achieved 0.01 --max-cpu 100 --no-progress --format json
	[ "$(jq -r .verdict.limits.max_loop_lag_p99_ms <<<"$output")" = 2000 ]
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -n 2 \
	    --max-lag 10ms --min-achieved 0.01 --max-cpu 100 --no-progress --format json
	[ "$(jq -r .verdict.limits.max_loop_lag_p99_ms <<<"$output")" = 50 ]
}

@test "bench merge adds loop-lag histograms and parsed bytes exactly" {
	for k in 0 1; do
		maasctl bench --endpoint "$MODELSIM_URL" -m m -r 50 -n 20 --worker "$k/2" \
		    --arrival constant --output-tokens 3 --save "$OUT/w$k.json" \
		    "${LOOSE[@]}" >/dev/null
	done
	run -0 --separate-stderr maasctl bench merge --format json "$OUT/w0.json" "$OUT/w1.json"
	echo "$output" >"$OUT/m.json"
	sum() { jq -s "map($1) | add" "$OUT/w0.json" "$OUT/w1.json"; }
	for k in timer read; do
		[ "$(jq -r ".client.loop_lag.$k.count" "$OUT/m.json")" = "$(sum ".client.loop_lag.$k.count")" ]
		[ "$(jq -r ".client.loop_lag.$k.max_ms" "$OUT/m.json")" = "$(jq -s "map(.client.loop_lag.$k.max_ms) | max" "$OUT/w0.json" "$OUT/w1.json")" ]
		[ "$(jq -c ".client.loop_lag.$k.buckets | map(.count)" "$OUT/m.json")" = "$(jq -s -c "map(.client.loop_lag.$k.buckets | map(.count)) | transpose | map(add)" "$OUT/w0.json" "$OUT/w1.json")" ]
	done
	[ "$(jq -r .client.bytes_parsed "$OUT/m.json")" = "$(sum .client.bytes_parsed)" ]
	# A report from before loop lags were measured merges (it adds none).
	jq 'del(.client.loop_lag)' "$OUT/w1.json" >"$OUT/old.json"
	run -0 --separate-stderr maasctl bench merge --format json "$OUT/w0.json" "$OUT/old.json"
	[ "$(jq -r .client.loop_lag.read.count <<<"$output")" = "$(jq -r .client.loop_lag.read.count "$OUT/w0.json")" ]
	# A damaged histogram is refused, naming the file and the member.
	jq '.client.loop_lag.timer.histogram.sigbits = 99' "$OUT/w1.json" >"$OUT/bad.json"
	run -2 --separate-stderr maasctl bench merge "$OUT/w0.json" "$OUT/bad.json"
	[[ $stderr == "maasctl: bench merge: $OUT/bad.json: client.loop_lag.timer.histogram: "* ]]
	[ "${#lines[@]}" = 0 ]
}

@test "bench calibrate records the client's parse rate and read lag beside its ceiling" {
	run -0 --separate-stderr maasctl bench calibrate -d 300ms -c 4 --save "$OUT/cal.json"
	[[ ${lines[3]} == "  parsing:            "*" MB per CPU second, loop read lag p99 "*" ms" ]]
	[ "$(jq -r '.stream_bytes_parsed_per_cpu_s > 0' "$OUT/cal.json")" = true ]
	[ "$(jq -r '.stream_loop_read_lag_p99_ms >= 0' "$OUT/cal.json")" = true ]
}
