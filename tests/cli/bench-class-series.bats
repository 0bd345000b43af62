#!/usr/bin/env bats
# bench-class-series.bats: the per-class per-second series of `maasctl
# bench --class ... --timeseries FILE`: rows per class per second after
# each overall row (CSV with a trailing class column, NDJSON with a
# "class" member), the same rows under classes[].timeseries in the JSON
# report and as charts in the HTML report; class rows add up to the
# overall ones; both transports count the same; `bench merge` adds the
# series second by second and `bench compare` compares each class; runs
# without classes keep the old columns; failure paths.
bats_require_minimum_version 1.5.0
load ../helpers/bench

CONFIG='{"models": {
  "m": {"ttft": "20ms", "itl": "5ms", "max-num-seqs": 1000}
}}'

setup() { bench_setup "$CONFIG"; }
teardown() { bench_teardown; }

# csv2json FILE: the CSV series as a JSON array of objects (numbers as
# numbers, empty cells as null).
csv2json() {
	jq -R -s 'split("\n") | map(select(length > 0) | split(",")) |
	    .[0] as $h | .[1:] | map([$h, .] | transpose |
	    map({(.[0]): (if .[1] == "" then null else (.[1] | tonumber? // .) end)}) | add)' "$1"
}

@test "CSV: a row per class per second after the overall row; classes add up to the run" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -c 4 -d 2.5s --seed 5 \
	    --output-tokens 10 --class name=s,model=m,weight=3 --class name=w,model=m,stream=false \
	    --timeseries "$OUT/ts.csv" --save "$OUT/r.json" "${LOOSE[@]}"
	head -1 "$OUT/ts.csv" | grep -q ',good,quota_remaining_requests,.*,quota_reset_tokens_s,class$'
	csv2json "$OUT/ts.csv" >"$OUT/ts.json"
	n=$(jq '[.[] | select(.class == null)] | length' "$OUT/ts.json")
	[ "$n" -ge 3 ]
	[ "$(jq '[.[] | select(.class == "s")] | length' "$OUT/ts.json")" = "$n" ]
	[ "$(jq '[.[] | select(.class == "w")] | length' "$OUT/ts.json")" = "$n" ]
	# Each second: the overall row, then one row per class in order.
	[ "$(jq -r 'map(.class // "-") | .[0:6] | join(" ")' "$OUT/ts.json")" = "- s w - s w" ]
	# Per second, the classes' counts add up to the run's.
	for k in dispatched completed output_tokens errors admitted good; do
		[ "$(jq --arg k "$k" '[.[] | select(.class == null) | .[$k]] | add' "$OUT/ts.json")" = \
		  "$(jq --arg k "$k" '[.[] | select(.class != null) | .[$k]] | add' "$OUT/ts.json")" ]
	done
	# Whole answers (w) take the whole 65 ms to their first token; the
	# streamed class about 20 ms (a bound loose enough for a loaded
	# machine: below the whole answers').
	[ "$(jq '[.[] | select(.class == "w" and .completed > 0) | .ttft_p50_ms >= 60] | all' "$OUT/ts.json")" = true ]
	[ "$(jq '[.[] | select(.class == "s") | .ttft_p50_ms] | min' "$OUT/ts.json")" != null ]
	[ "$(jq '(.classes[] | select(.name == "s") | .metrics.ttft.p50) < (.classes[] | select(.name == "w") | .metrics.ttft.p50)' "$OUT/r.json")" = true ]
	# Run-wide columns stay empty in class rows.
	[ "$(jq '[.[] | select(.class != null) | .offered, .waiting, .quota_remaining] | all(. == null)' "$OUT/ts.json")" = true ]
	# The report carries the same rows per class, and the series' totals
	# are the class's completed requests.
	[ "$(jq '.classes[] | select(.name == "s") | .timeseries | length' "$OUT/r.json")" = "$n" ]
	[ "$(jq '.classes[] | select(.name == "s") | ([.timeseries[].completed] | add) == .requests.sent' "$OUT/r.json")" = true ]
	[ "$(jq '.classes[] | select(.name == "w") | ([.timeseries[].output_tokens] | add) == .tokens.output_total' "$OUT/r.json")" = true ]
	[ "$(jq -c '[.classes[] | select(.name == "w") | .timeseries[] | .dispatched]' "$OUT/r.json")" = \
	  "$(jq -c '[.[] | select(.class == "w") | .dispatched]' "$OUT/ts.json")" ]
}

@test "NDJSON: class rows carry \"class\"; overall rows do not; the HTML report charts each class" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -c 2 -d 1.5s --seed 6 \
	    --output-tokens 5 --class name=a,model=m --class name=b,model=m \
	    --timeseries "$OUT/ts.ndjson" --html "$OUT/r.html" --format json "${LOOSE[@]}"
	echo "$output" >"$OUT/r.json"
	n=$(jq -s '[.[] | select(has("class") | not)] | length' "$OUT/ts.ndjson")
	[ "$n" -ge 2 ]
	[ "$(jq -s '[.[] | select(.class == "a")] | length' "$OUT/ts.ndjson")" = "$n" ]
	[ "$(jq -s '[.[] | select(.class == "b")] | length' "$OUT/ts.ndjson")" = "$n" ]
	[ "$(jq -s -c '[.[] | select(.class == "b")]' "$OUT/ts.ndjson")" = "$(jq -c '.classes[1].timeseries' "$OUT/r.json")" ]
	[ "$(jq -s '[.[] | select(.class != null) | .output_tokens] | add' "$OUT/ts.ndjson")" = "$(jq .tokens.output_total "$OUT/r.json")" ]
	grep -q 'id="class-throughput-time"' "$OUT/r.html"
	grep -q 'id="class-ttft-time"' "$OUT/r.html"
}

@test "without classes the series keeps its columns and the report has no class series" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 2 -n 10 \
	    --timeseries "$OUT/ts.csv" --format json "${LOOSE[@]}"
	[ "$(head -1 "$OUT/ts.csv")" = "t,offered,dispatched,completed,in_flight,waiting,output_tokens,output_tokens_per_s,ttft_p50_ms,ttft_p99_ms,errors,rate_limited,admitted,good,quota_remaining_requests,quota_remaining_tokens,quota_remaining,quota_reset_s,quota_reset_requests_s,quota_reset_tokens_s" ]
	[ "$(jq '.classes' <<<"$output")" = null ]
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -c 2 -n 10 --class name=only,model=m \
	    --timeseries "$OUT/ts2.csv" --format json "${LOOSE[@]}"
	[ "$(head -1 "$OUT/ts2.csv")" = "$(head -1 "$OUT/ts.csv")" ]
}

@test "both transports: the same per-class totals in the series" {
	for tr in native curl; do
		run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -c 3 -n 30 --seed 8 \
		    --output-tokens 4 --transport $tr --class name=s,model=m --class name=w,model=m,stream=false \
		    --timeseries "$OUT/ts-$tr.ndjson" --format json "${LOOSE[@]}"
		jq -s -c 'map(select(.class != null)) | group_by(.class) |
		    map({class: .[0].class, dispatched: (map(.dispatched) | add),
		    completed: (map(.completed) | add), tokens: (map(.output_tokens) | add)})' \
		    "$OUT/ts-$tr.ndjson" >"$OUT/tot-$tr"
		[ "$(jq '[.[].completed] | add' "$OUT/tot-$tr")" = 30 ]
		[ "$(jq '[.[].tokens] | add' "$OUT/tot-$tr")" = 120 ]
	done
	diff "$OUT/tot-native" "$OUT/tot-curl"
}

@test "bench merge adds the class series second by second; compare compares each class" {
	for i in 1 2; do
		run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -c 2 -d 1.5s --seed $i \
		    --output-tokens 4 --class name=s,model=m --class name=w,model=m,stream=false \
		    --save "$OUT/r$i.json" "${LOOSE[@]}"
	done
	run -0 --separate-stderr maasctl bench merge --format json "$OUT/r1.json" "$OUT/r2.json"
	echo "$output" >"$OUT/m.json"
	for c in s w; do
		for k in dispatched completed output_tokens good; do
			[ "$(jq --arg c $c --arg k $k '[.classes[] | select(.name == $c) | .timeseries[][$k]] | add' "$OUT/m.json")" = \
			  "$(jq -s --arg c $c --arg k $k '[.[].classes[] | select(.name == $c) | .timeseries[][$k]] | add' "$OUT/r1.json" "$OUT/r2.json")" ]
		done
		# TTFT percentiles per second: the highest input's (an upper bound).
		[ "$(jq --arg c $c '.classes[] | select(.name == $c) | .timeseries[0].ttft_p99_ms' "$OUT/m.json")" = \
		  "$(jq -s --arg c $c '[.[].classes[] | select(.name == $c) | .timeseries[0].ttft_p99_ms] | max' "$OUT/r1.json" "$OUT/r2.json")" ]
	done
	[ "$(jq '[.timeseries[].completed] | add' "$OUT/m.json")" = "$(jq -s '[.[].timeseries[].completed] | add' "$OUT/r1.json" "$OUT/r2.json")" ]
	[ "$(jq '.timeseries | length' "$OUT/m.json")" -ge 2 ]
	run -0 --separate-stderr maasctl bench compare "$OUT/r1.json" "$OUT/r2.json"
	[[ $output == *"class s: request throughput"* ]]
	[[ $output == *"class w: ttft p50"* ]]
	[[ $output == *"class w: peak output tokens/s (1 s)"* ]]
	[[ $output != *"class w: tpot"* ]]
	# An input saved without class series (an older maasctl) merges: the
	# merged series is the other input's.
	jq 'del(.classes[].timeseries)' "$OUT/r2.json" >"$OUT/old.json"
	run -0 --separate-stderr maasctl bench merge --format json "$OUT/r1.json" "$OUT/old.json"
	[ "$(jq -c '[.classes[0].timeseries[].completed]' <<<"$output")" = "$(jq -c '[.classes[0].timeseries[].completed]' "$OUT/r1.json")" ]
}

@test "compare: a class only one report has gets no rows; merge refuses other classes (exit 2)" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -c 1 -n 6 --seed 1 \
	    --class name=s,model=m --class name=x,model=m --save "$OUT/a.json" "${LOOSE[@]}"
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -c 1 -n 6 --seed 1 \
	    --class name=s,model=m --class name=y,model=m --save "$OUT/b.json" "${LOOSE[@]}"
	run -0 --separate-stderr maasctl bench compare "$OUT/a.json" "$OUT/b.json"
	[[ $output == *"class s: requests ok"* ]]
	[[ $output != *"class x:"* && $output != *"class y:"* ]]
	run -2 --separate-stderr maasctl bench merge "$OUT/a.json" "$OUT/b.json"
	[ "$stderr" = "maasctl: bench merge: $OUT/b.json has other classes than the first report" ]
}

@test "--timeseries into a folder that does not exist: exit 2 before any request" {
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -c 1 -n 2 \
	    --class name=a,model=m --class name=b,model=m --timeseries "$OUT/no/such/ts.csv" "${LOOSE[@]}"
	[[ $stderr == "maasctl: "*"$OUT/no/such/ts.csv"* ]]
	[ "${#stderr_lines[@]}" = 1 ]
}
