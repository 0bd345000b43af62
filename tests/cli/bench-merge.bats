#!/usr/bin/env bats
# bench-merge.bats: `maasctl bench merge` carrying what a run measures
# beside the whole: classes, stages (with their offered requests), turns
# and recorded headers (per value) add up across workers exactly; inputs
# that do not match are refused with exit 2; and every stage gets its own
# validity verdict (in a run and after a merge).
bats_require_minimum_version 1.5.0
load ../helpers/bench

CONFIG='{"models": {
  "m": {"ttft": "2ms", "itl": "1ms", "max-num-seqs": 10000, "max-waiting": 10000},
  "f": {"ttft": "1ms", "itl": "1ms", "max-num-seqs": 10000, "max-waiting": 10000},
  "slow": {"ttft": "300ms", "itl": "1ms", "max-num-seqs": 10000, "max-waiting": 10000}
}}'

setup() { bench_setup "$CONFIG"; }
teardown() { bench_teardown; }

@test "two workers' stages, classes and recorded headers merge exactly" {
	for k in 0 1; do
		run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m \
		    --stages "rate=20@1s,rate=40@1s" --arrival constant --worker "$k/2" \
		    --class name=a --class name=b,model=f --record-header content-type \
		    --save "$OUT/w$k.json" --format json "${LOOSE[@]}"
	done
	run -0 --separate-stderr maasctl bench merge --format json "$OUT/w0.json" "$OUT/w1.json"
	echo "$output" >"$OUT/m.json"
	sum() { jq -s "map($1) | add" "$OUT/w0.json" "$OUT/w1.json"; }
	[ "$(jq -c '[.stages[].spec]' "$OUT/m.json")" = '["20@1s","40@1s"]' ]
	[ "$(jq -r '.stages[0].requests.sent' "$OUT/m.json")" = "$(sum '.stages[0].requests.sent')" ]
	[ "$(jq -r '.stages[1].requests.sent' "$OUT/m.json")" = "$(sum '.stages[1].requests.sent')" ]
	[ "$(jq -r '.stages[1].offered_requests' "$OUT/m.json")" = 40 ]
	[ "$(jq -r '.stages[1].metrics.ttft.count' "$OUT/m.json")" = "$(sum '.stages[1].metrics.ttft.count')" ]
	[ "$(jq -r '.stages[1].metrics.ttft.max' "$OUT/m.json")" = "$(jq -s 'map(.stages[1].metrics.ttft.max) | max' "$OUT/w0.json" "$OUT/w1.json")" ]
	[ "$(jq -c '[.classes[].name]' "$OUT/m.json")" = '["a","b"]' ]
	[ "$(jq -r '.classes[1].requests.sent' "$OUT/m.json")" = "$(sum '.classes[1].requests.sent')" ]
	h='.response_headers["content-type"]'
	[ "$(jq -r "$h.values | add" "$OUT/m.json")" = 60 ]
	[ "$(jq -r "$h.by_value | to_entries[0].value.metrics.e2e.count" "$OUT/m.json")" = 60 ]
	[ "$(jq -r '.stages | map(.verdict.valid) | all' "$OUT/m.json")" = true ]
	run -0 --separate-stderr maasctl bench merge "$OUT/w0.json" "$OUT/w1.json"
	[[ $output == *$'\n20@1s            rate 20 '* ]]
	[[ $output == *$'\nheader content-type: '* ]]
}

@test "multi-turn runs merge turn by turn" {
	for k in 0 1; do
		maasctl bench --endpoint "$MODELSIM_URL" -m m -c 2 -n 8 --turns 2 \
		    --save "$OUT/t$k.json" "${LOOSE[@]}" >/dev/null
	done
	run -0 --separate-stderr maasctl bench merge --format json "$OUT/t0.json" "$OUT/t1.json"
	[ "$(jq -c '[.turns[].requests.sent]' <<<"$output")" = "[8,8]" ]
	[ "$(jq -c '[.turns[].turn]' <<<"$output")" = "[1,2]" ]
}

@test "reports that do not match are refused with one clear line" {
	maasctl bench --endpoint "$MODELSIM_URL" -m m --stages "c=1@1s" --save "$OUT/s1.json" "${LOOSE[@]}" >/dev/null
	maasctl bench --endpoint "$MODELSIM_URL" -m m --stages "c=2@1s" --save "$OUT/s2.json" "${LOOSE[@]}" >/dev/null
	maasctl bench --endpoint "$MODELSIM_URL" -m m -n 2 --class name=a --class name=b,model=f \
	    --save "$OUT/c1.json" "${LOOSE[@]}" >/dev/null
	maasctl bench --endpoint "$MODELSIM_URL" -m m -n 2 --class name=a --class name=c,model=f \
	    --save "$OUT/c2.json" "${LOOSE[@]}" >/dev/null
	maasctl bench --endpoint "$MODELSIM_URL" -m m -n 2 --turns 2 --save "$OUT/t2.json" "${LOOSE[@]}" >/dev/null
	maasctl bench --endpoint "$MODELSIM_URL" -m m -n 2 --save "$OUT/p.json" "${LOOSE[@]}" >/dev/null
	run -2 --separate-stderr maasctl bench merge "$OUT/s1.json" "$OUT/s2.json"
	[ "$stderr" = "maasctl: bench merge: $OUT/s2.json has other stages than the first report" ]
	run -2 --separate-stderr maasctl bench merge "$OUT/c1.json" "$OUT/c2.json"
	[ "$stderr" = "maasctl: bench merge: $OUT/c2.json has other classes than the first report" ]
	run -2 --separate-stderr maasctl bench merge "$OUT/p.json" "$OUT/t2.json"
	[ "$stderr" = "maasctl: bench merge: $OUT/t2.json has other turns than the first report" ]
	jq 'del(.state.stages)' "$OUT/s1.json" >"$OUT/old.json"
	run -2 --separate-stderr maasctl bench merge "$OUT/old.json" "$OUT/s1.json"
	[ "$stderr" = "maasctl: bench merge: $OUT/old.json has stages but no per-stage state (saved by an older maasctl)" ]
	run -2 --separate-stderr maasctl bench merge "$OUT/p.json" "$OUT/nosuch.json"
	[ "$stderr" = "maasctl: bench: cannot read $OUT/nosuch.json: No such file or directory" ]
}

@test "every stage has its own verdict: one the client kept up with, one it did not" {
	# One request in flight at most against a 300 ms TTFT: 1/s is kept,
	# 20/s makes requests wait for the cap.
	run -1 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m slow \
	    --stages "rate=1@1s,rate=20@1s" --arrival constant -c 1 --max-lag 10s \
	    --max-cpu 100 --no-progress --format json
	echo "$output" >"$OUT/r.json"
	[ "$(jq -r '.stages[0].verdict.valid' "$OUT/r.json")" = true ]
	[ "$(jq -r '.stages[1].verdict.valid' "$OUT/r.json")" = false ]
	[[ "$(jq -r '.stages[1].verdict.reasons | join(";")' "$OUT/r.json")" == *"requests waited for the in-flight cap"* ]]
	[[ $stderr == "maasctl: bench: the run is INVALID: "* ]]
	run -1 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m slow \
	    --stages "rate=1@1s,rate=20@1s" --arrival constant -c 1 --max-lag 10s \
	    --max-cpu 100 --no-progress --html "$OUT/r.html"
	[[ $output == *$'\nstage 20@1s INVALID: '*"waited for the in-flight cap"* ]]
	[[ $output != *"stage 1@1s INVALID"* ]]
	grep -q '(INVALID)' "$OUT/r.html"
}

@test "a stage of an unreachable server: every request failed" {
	run -6 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:1/v1" -m m \
	    --stages "c=1@1s" --format json "${LOOSE[@]}"
	[ "$(jq -r '.stages[0].verdict.valid' <<<"$output")" = false ]
	[ "$(jq -r '.stages[0].verdict.reasons[0]' <<<"$output")" = "every request failed" ]
}
