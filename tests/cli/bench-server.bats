#!/usr/bin/env bats
# bench-server.bats: `maasctl bench --server-metrics`: the server's
# Prometheus /metrics (vLLM names, which the sandbox simulator exposes)
# scraped before, during and after a run and placed on the run's time
# axis (per-second rows, the JSON, text and HTML reports); a server that
# cannot be scraped fails the run before any load is sent.  Also the
# simulator reconfigured mid-run (POST /admin/config, BENCH-ANCHORS 4.9)
# and the per-second series showing it.
# The simulator's phase times are its schedule's own, so prefill and
# decode are exact; client timings are only compared loosely.
bats_require_minimum_version 1.5.0
load ../helpers/bench

# m: ttft 20ms, itl 5ms, two slots (a third request waits), prefix cache.
CONFIG='{"models": {
  "m": {"ttft": "20ms", "itl": "5ms", "max-num-seqs": 2, "max-waiting": 100,
        "enable-kvcache": true, "block-size": 16, "kv-cache-size": 1024},
  "r": {"ttft": "10ms", "itl": "1ms", "max-num-seqs": 100}
}}'

setup() { bench_setup "$CONFIG"; }
teardown() { bench_teardown; }

@test "the simulator's /metrics carries vLLM's metric names" {
	run -0 curl -fsS "http://127.0.0.1:$MODELSIM_PORT/metrics"
	for name in vllm:num_requests_running vllm:num_requests_waiting \
	    vllm:kv_cache_usage_perc vllm:prefix_cache_queries_total \
	    vllm:prefix_cache_hits_total vllm:generation_tokens_total \
	    vllm:request_queue_time_seconds_sum vllm:request_prefill_time_seconds_count \
	    vllm:request_decode_time_seconds_sum; do
		[[ $output == *"# TYPE $name"* || $output == *"$name "* ]] || { echo "no $name"; return 1; }
	done
	[[ $output == *"vllm:num_requests_running 0"* ]]
}

@test "scraped before, during and after: run figures, per-second columns, text and HTML" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 3 -d 2.5s \
	    --shared-prompt --input-tokens 64 --output-tokens 16 \
	    --server-metrics /metrics --timeseries "$OUT/ts.csv" --save "$OUT/r.json" \
	    --html "$OUT/r.html" "${LOOSE[@]}"
	[[ $output == *"server (http://127.0.0.1:$MODELSIM_PORT/metrics, "*" scrapes, 0 failed): queue "*" ms, prefill 20.000 ms, decode 75.000 ms, prefix cache hits "* ]]
	r=$OUT/r.json
	[ "$(jq -r .server_metrics.url "$r")" = "http://127.0.0.1:$MODELSIM_PORT/metrics" ]
	[ "$(jq -r '.server_metrics.scrapes >= 5' "$r")" = true ]
	[ "$(jq -r .server_metrics.scrape_errors "$r")" = 0 ]
	[ "$(jq -r '.server_metrics.before["vllm:generation_tokens_total"]' "$r")" = 0 ]
	# Every ok request's 16 tokens, counted by the server.
	ok=$(jq -r .requests.ok "$r")
	[ "$(jq -r '.server_metrics.after["vllm:generation_tokens_total"]' "$r")" = $((ok * 16)) ]
	[ "$(jq -r '.server_metrics.after["vllm:request_success_total"]' "$r")" = "$ok" ]
	# Prefill = TTFT, decode = 15 gaps of 5 ms, on the simulator's schedule.
	[ "$(jq -r .server_metrics.run.server_prefill_time_ms "$r")" = 20 ]
	[ "$(jq -r .server_metrics.run.server_decode_time_ms "$r")" = 75 ]
	# Three clients on two slots: requests queue, and the client's TTFT
	# is the server's queue time plus its prefill.
	q=$(jq -r .server_metrics.run.server_queue_time_ms "$r")
	[ "$(jq -r "($q > 20)" "$r")" = true ]
	t50=$(jq -r .metrics.ttft.mean "$r")
	[ "$(jq -r "(($t50 - ($q + 20)) | fabs) < 15" "$r")" = true ]
	# A shared prompt: after the first, every block hits.
	[ "$(jq -r '.server_metrics.run.server_prefix_cache_hit_rate > 0.9' "$r")" = true ]
	# The time axis: every full second has the scraped gauges.
	head -1 "$OUT/ts.csv" | grep -q ',server_running,server_waiting,server_kv_cache_usage,server_prefix_cache_hit_rate,server_queue_time_ms,server_prefill_time_ms,server_decode_time_ms,server_ttft_ms,server_generation_tokens_per_s$'
	[ "$(jq -r '.timeseries | length' "$r")" -ge 3 ]
	[ "$(jq -r '[.timeseries[0:2][] | .server_running] | all(. == 1 or . == 2)' "$r")" = true ]
	[ "$(jq -r '[.timeseries[0:2][] | .server_waiting] | any(. == 1)' "$r")" = true ]
	[ "$(jq -r '[.timeseries[] | select(.server_prefill_time_ms != null) | .server_prefill_time_ms] | all(. == 20)' "$r")" = true ]
	[ "$(jq -r '.timeseries[0].server_generation_tokens_per_s > 100' "$r")" = true ]
	grep -q 'id="server-requests-time"' "$OUT/r.html"
	grep -q 'id="server-phases-time"' "$OUT/r.html"
	grep -q '<h2>Server (scraped /metrics)</h2>' "$OUT/r.html"
}

@test "without --server-metrics no server figures appear" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m r -n 3 \
	    --format json "${LOOSE[@]}"
	[ "$(jq -r 'has("server_metrics")' <<<"$output")" = false ]
	[ "$(jq -r '.timeseries[0] | has("server_running")' <<<"$output")" = false ]
}

@test "the simulator reconfigured mid-run: the per-second series shows the slowdown" {
	(sleep 1.2; curl -fsS -X POST --data '{"models": {"r": {"ttft": "150ms", "itl": "1ms", "max-num-seqs": 100}}}' \
	    "http://127.0.0.1:$MODELSIM_PORT/admin/config" >/dev/null) 3>&- &
	poster=$!
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m r -c 2 -d 4s \
	    --output-tokens 4 --server-metrics /metrics --format json "${LOOSE[@]}"
	wait "$poster"
	echo "$output" >"$OUT/r.json"
	r=$OUT/r.json
	# Second 1 (before the change at 1.2 s): TTFT ~10 ms; second 4
	# (the last full one, after it): ~150 ms, on the client's clock and
	# the server's.
	[ "$(jq -r '.timeseries[0].ttft_p50_ms < 60' "$r")" = true ]
	[ "$(jq -r '[.timeseries[] | select(.t > 3.5 and .t < 4.5)][0].ttft_p50_ms > 120' "$r")" = true ]
	[ "$(jq -r '.timeseries[0].server_prefill_time_ms' "$r")" = 10 ]
	[ "$(jq -r '[.timeseries[] | select(.t > 3.5 and .t < 4.5)][0].server_prefill_time_ms' "$r")" = 150 ]
	# The whole run mixes both.
	p=$(jq -r .server_metrics.run.server_prefill_time_ms "$r")
	[ "$(jq -r "($p > 10 and $p < 150)" "$r")" = true ]
}

@test "POST /admin/config with a bad setting: 400 naming it, the model unchanged" {
	run -22 curl -fsS -X POST --data '{"models": {"r": {"ttft": "soon"}}}' \
	    "http://127.0.0.1:$MODELSIM_PORT/admin/config"
	run -0 curl -sS -X POST --data '{"models": {"r": {"ttft": "soon"}}}' \
	    "http://127.0.0.1:$MODELSIM_PORT/admin/config"
	[[ $output == *ttft* ]]
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m r -n 2 \
	    --format json "${LOOSE[@]}"
	[ "$(jq -r '.metrics.ttft.p50 < 60' <<<"$output")" = true ]
}

@test "--server-metrics: an invalid value or interval is a usage error (exit 2)" {
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m r -n 1 \
	    --server-metrics ftp://host/metrics
	[ "$stderr" = 'maasctl: bench: invalid --server-metrics "ftp://host/metrics": want an http(s):// URL or a path such as /metrics' ]
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m r -n 1 \
	    --server-metrics /metrics --server-metrics-interval 1ms
	[ "$stderr" = 'maasctl: bench: invalid --server-metrics-interval 0.001 s: want 50ms to 1h' ]
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m r -n 1 \
	    --server-metrics-interval soon
	[[ $stderr == *"--server-metrics-interval"* ]]
}

@test "--server-metrics on an unreachable server: exit 6 before any load" {
	run -6 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m r -n 1 \
	    --server-metrics http://127.0.0.1:1/metrics
	[[ ${lines[0]:-} == "" ]]
	[[ $stderr == "maasctl: bench: --server-metrics: scraping http://127.0.0.1:1/metrics: cannot connect to 127.0.0.1:1: connection refused"* ]]
	modelsim_stop
	[ "$(modelsim_stat requests)" = 0 ]
}

@test "--server-metrics answered 401, 403, 404, 429, 503 or without vLLM series: its exit code" {
	responder_start "$(printf 'status 401\n---\nstatus 403\n---\nstatus 404\nbody no such page\n---\nstatus 429\n---\nstatus 503\n---\nbody process_cpu_seconds_total 1\n')"
	u=http://127.0.0.1:$RESPONDER_PORT/metrics
	for want in "3 HTTP 401" "3 HTTP 403" "4 HTTP 404" "8 HTTP 429" "6 HTTP 503"; do
		run -"${want%% *}" --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m r -n 1 \
		    --server-metrics "$u"
		[ "$stderr" = "maasctl: bench: --server-metrics: scraping $u: ${want#* }" ]
	done
	run -1 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m r -n 1 \
	    --server-metrics "$u"
	[ "$stderr" = "maasctl: bench: --server-metrics: scraping $u: no vLLM metric in the answer (want vllm:num_requests_running and the like)" ]
	modelsim_stop
	[ "$(modelsim_stat requests)" = 0 ]
}

@test "scrapes that fail during the run are counted, the run still reports" {
	# The first scrape succeeds, every later one gets a 500.
	responder_start "$(printf 'body vllm:num_requests_running 0\n---\nstatus 500\ntimes 100\n')"
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m r -c 1 -d 1.2s \
	    --server-metrics "http://127.0.0.1:$RESPONDER_PORT/metrics" --format json "${LOOSE[@]}"
	[ "$(jq -r '.server_metrics.scrape_errors >= 2' <<<"$output")" = true ]
	[ "$(jq -r .server_metrics.scrapes <<<"$output")" = 1 ]
	[ "$(jq -r .server_metrics.first_error <<<"$output")" = "scraping http://127.0.0.1:$RESPONDER_PORT/metrics: HTTP 500" ]
	[ "$(jq -r '[.timeseries[].server_running] | all(. == null)' <<<"$output")" = true ]
}

@test "completion offers --server-metrics and --server-metrics-interval" {
	run -0 maasctl __complete bench --server-me
	[[ $output == *"--server-metrics"* ]]
	[[ $output == *"--server-metrics-interval"* ]]
}
