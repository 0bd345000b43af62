#!/usr/bin/env bats
# bench-raw.bats: `maasctl bench --raw` kept for exact figures: rotation
# (--raw-rotate SIZE, --raw-keep N: FILE, FILE.1, FILE.2 ...) with every
# request in exactly one part, and `maasctl bench exact RAW...`: exact
# percentiles (sorted values, numpy's linear interpolation) overall and
# per class, against the histograms of the same run; failure paths.
bats_require_minimum_version 1.5.0
load ../helpers/bench

CONFIG='{"models": {
  "m": {"ttft": "2ms", "itl": "1ms", "max-num-seqs": 100},
  "slow": {"ttft": "30ms", "itl": "1ms", "max-num-seqs": 100}
}}'

setup() { bench_setup "$CONFIG"; }
teardown() { bench_teardown; }

@test "--raw-rotate: parts of at most the size, every request once, the report says so" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 4 -n 60 \
	    --output-tokens 2 --raw "$OUT/raw.ndjson" --raw-rotate 8k --format json "${LOOSE[@]}"
	echo "$output" >"$OUT/r.json"
	n=$(jq -r .raw.rotations "$OUT/r.json")
	[ "$n" -ge 2 ]
	[ -f "$OUT/raw.ndjson.$n" ]
	[ ! -e "$OUT/raw.ndjson.$((n + 1))" ]
	[ "$(cat "$OUT"/raw.ndjson* | wc -l)" = 60 ]
	[ "$(cat "$OUT"/raw.ndjson* | jq -s 'map(.seq) | unique | length')" = 60 ]
	# A part is rotated once it reaches 8 KiB: one line past it at most.
	for f in "$OUT"/raw.ndjson.*; do
		[ "$(stat -c %s "$f")" -lt $((8192 + 4096)) ]
	done
	[ "$(jq -r .raw.rotate_bytes "$OUT/r.json")" = 8192 ]
	[ "$(jq -r 'has("error") | not' <<<"$(jq .raw "$OUT/r.json")")" = true ]
}

@test "--raw-keep: only the newest parts stay" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 4 -n 80 \
	    --output-tokens 2 --raw "$OUT/raw.ndjson" --raw-rotate 4k --raw-keep 2 --format json "${LOOSE[@]}"
	[ -f "$OUT/raw.ndjson" ] && [ -f "$OUT/raw.ndjson.1" ] && [ -f "$OUT/raw.ndjson.2" ]
	[ ! -e "$OUT/raw.ndjson.3" ]
	[ "$(jq -r '.raw.parts_removed > 0' <<<"$output")" = true ]
	# The newest requests are kept: the last one finished is in FILE.
	[ "$(cat "$OUT"/raw.ndjson* | wc -l)" -lt 80 ]
}

@test "bench exact: exact percentiles from the parts, close to the histograms, per class" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -c 4 -n 80 --seed 5 \
	    --class name=fast,model=m --class name=slow,model=slow --output-tokens 3 --warmup 2 \
	    --raw "$OUT/raw.ndjson" --raw-rotate 8k --save "$OUT/r.json" --format json "${LOOSE[@]}"
	run -0 --separate-stderr maasctl bench exact --format json --percentiles 50,99 "$OUT"/raw.ndjson*
	echo "$output" >"$OUT/x.json"
	x=$OUT/x.json
	[ "$(jq -r .schema "$x")" = maasctl.bench-exact/v1 ]
	[ "$(jq -r .sent "$x")" = 80 ]
	[ "$(jq -r .warmup_skipped "$x")" = 2 ]
	[ "$(jq -r .metrics.ttft.count "$x")" = "$(jq -r .metrics.ttft.count "$OUT/r.json")" ]
	[ "$(jq -r .metrics.output_tokens.p50 "$x")" = 3 ]
	# The histogram is within 0.2%; the raw file keeps microseconds.
	for m in ttft e2e tpot; do
		h=$(jq -r ".metrics.$m.p50" "$OUT/r.json")
		[ "$(jq -r "(.metrics.$m.p50 - $h | fabs) <= ($h * 0.005 + 0.002)" "$x")" = true ] || { echo "$m"; return 1; }
	done
	[ "$(jq -r '.classes | length' "$x")" = 2 ]
	[ "$(jq -r '(.classes[] | select(.name == "slow") | .metrics.ttft.p50) > 25' "$x")" = true ]
	[ "$(jq -r '(.classes[] | select(.name == "fast") | .metrics.ttft.p50) < 25' "$x")" = true ]
	run -0 --separate-stderr maasctl bench exact "$OUT"/raw.ndjson*
	[[ ${lines[0]} == "maasctl bench exact: 80 requests (80 ok) from "*" files; exact percentiles" ]]
	[[ $output == *"p99.99"* ]]
	[[ $output == *"class slow: "* ]]
}

@test "bench exact: known values, linear interpolation" {
	for v in 10 20 30 40; do
		printf '{"seq":%d,"warmup":false,"class":"default","outcome":"ok","intended_ms":0,"dispatched_ms":0,"sent_ms":0,"first_token_ms":%d,"end_ms":%d,"tpot_ms":1,"usage_tokens":2,"prompt_tokens":5}\n' "$v" "$v" "$((v * 2))"
	done >"$OUT/raw.ndjson"
	printf '{"seq":99,"warmup":false,"class":"default","outcome":"rate_limited","intended_ms":0,"dispatched_ms":1.5,"sent_ms":2}\n' >>"$OUT/raw.ndjson"
	run -0 --separate-stderr maasctl bench exact -o json --percentiles 50,90 "$OUT/raw.ndjson"
	[ "$(jq -r .metrics.ttft.p50 <<<"$output")" = 25 ]
	[ "$(jq -r .metrics.ttft.p90 <<<"$output")" = 37 ]
	[ "$(jq -r .metrics.ttft.count <<<"$output")" = 4 ]
	[ "$(jq -r .metrics.dispatch_lag.count <<<"$output")" = 5 ]
	[ "$(jq -r .metrics.dispatch_lag.max <<<"$output")" = 1.5 ]
	[ "$(jq -r .metrics.e2e.mean <<<"$output")" = 50 ]
	[ "$(jq -r .ok <<<"$output")" = 4 ]
}

@test "bench exact: failure paths (missing file, not a raw file, nothing measured, bad flags)" {
	run -2 --separate-stderr maasctl bench exact "$OUT/none.ndjson"
	[[ $stderr == "maasctl: bench exact: cannot read $OUT/none.ndjson: No such file or directory" ]]
	printf '{"schema":"maasctl.bench/v1"}\n' >"$OUT/report.json"
	run -2 --separate-stderr maasctl bench exact "$OUT/report.json"
	[ "$stderr" = "maasctl: bench exact: $OUT/report.json line 1 is not a --raw request record" ]
	printf '{"seq":0,"warmup":true,"outcome":"ok"}\n' >"$OUT/warm.ndjson"
	run -2 --separate-stderr maasctl bench exact "$OUT/warm.ndjson"
	[ "$stderr" = "maasctl: bench exact: no measured request in $OUT/warm.ndjson" ]
	run -2 --separate-stderr maasctl bench exact --percentiles 0 "$OUT/warm.ndjson"
	[[ $stderr == "maasctl: bench exact: invalid --percentiles \"0\""* ]]
	run -2 --separate-stderr maasctl bench exact --format yaml "$OUT/warm.ndjson"
	[ "$stderr" = 'maasctl: bench exact: unknown format "yaml" (want text or json)' ]
	run -2 --separate-stderr maasctl bench exact
	[[ $stderr == *"exact"* ]]
}

@test "--raw-rotate and --raw-keep: usage errors" {
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -n 1 --raw-rotate 1M
	[ "$stderr" = "maasctl: bench: --raw-rotate needs --raw FILE" ]
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -n 1 --raw "$OUT/r" --raw-keep 2
	[ "$stderr" = "maasctl: bench: --raw-keep needs --raw-rotate" ]
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -n 1 --raw "$OUT/r" --raw-rotate 12q
	[ "$stderr" = 'maasctl: bench: invalid --raw-rotate "12q": want a size of at least 4096 bytes, such as 64M' ]
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -n 1 --raw "$OUT/r" --raw-rotate 100
	[[ $stderr == *"at least 4096 bytes"* ]]
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -n 1 --raw "$OUT/r" --raw-rotate 1M --raw-keep 0
	[[ $stderr == *"--raw-keep"* ]]
}

@test "completion offers bench exact and the raw flags" {
	run -0 maasctl __complete bench ex
	[[ $output == *exact* ]]
	run -0 maasctl __complete bench --raw-
	[[ $output == *"--raw-rotate"* ]] && [[ $output == *"--raw-keep"* ]]
}
