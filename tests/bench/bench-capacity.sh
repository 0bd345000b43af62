#!/usr/bin/env bash
# bench-capacity.sh: the client's own ceiling (issue 7, Done-when 3).
#
#   tests/bench/bench-capacity.sh [SECONDS]	(default 5)
#
# 1. Requests/s against a 1-token no-op model (non-streaming): wrk and
#    `maasctl bench --no-stream` on the same simulator endpoint in the same
#    run, like with like: one thread and 64 connections each (bench -c 64),
#    both pinned to CPU 1 with the simulator on CPU 0 (bench-lib.bash), and
#    the same request (body and headers: wrk sends bench's Accept,
#    User-Agent and an X-Request-Id).  Three rounds alternate wrk and
#    bench, so the machine's changing load hits both alike; the ratio of
#    the medians is the figure.  Each client's CPU time per request (user +
#    system) is printed too: when the single-threaded simulator is the
#    bottleneck both clients get its rate, and CPU per request is what
#    tells the clients apart.
# 2. Memory: 10,000 concurrent streams (ttft 2s, itl 200ms, 10 tokens) and
#    the client's peak RSS as the report gives it (getrusage).
set -eu
cd "$(dirname "$0")/../.."
. tests/bench/bench-lib.bash
secs=${1:-5}
command -v wrk >/dev/null || { echo "$0: wrk is not installed" >&2; exit 1; }
out=tests/bench/results/bench-capacity-$(date -u +%Y%m%dT%H%M%SZ).md
sim_start '{"models":{"noop":{"ttft":"0s","itl":"0s","max-num-seqs":100000,"max-waiting":100000},
  "hold":{"ttft":"2s","itl":"200ms","max-num-seqs":100000,"max-waiting":100000}}}'
body='{"messages":[{"role":"user","content":"time"}],"model":"noop","max_tokens":1,"ignore_eos":true}'
ua=$("$MAASCTL" version 2>/dev/null | awk 'NR == 1 { print $2 }')
cat >"$BTMP/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["User-Agent"] = "maasctl-bench/$ua"
wrk.headers["X-Request-Id"] = "bench-1000"
LUA
TIMEFORMAT='%U %S'
{
echo "# maasctl bench capacity and memory"
echo
echo "Command: \`make && make tests-build && flock /work/bench.lock tests/bench/bench-capacity.sh $secs\`"
echo
echo '```'
host_line
echo "# 1-token no-op model, non-streaming, 1 thread and 64 connections each, ${secs}s per round;"
echo "# rounds alternate wrk and maasctl bench so that the machine's changing load hits both alike"
for round in 1 2 3; do
	{ time "${CLI_PIN[@]}" wrk -t1 -c64 -d"${secs}s" -s "$BTMP/post.lua" "${SIM_URL}/chat/completions" \
	    >"$BTMP/wrk.out" 2>&1; } 2>"$BTMP/wrk.time" || true
	wrk_rps=$(awk '/^Requests\/sec:/ { print $2 }' "$BTMP/wrk.out")
	wrk_n=$(awk '/requests in/ { print $1 }' "$BTMP/wrk.out")
	wrk_us=$(awk -v n="$wrk_n" '{ if (n > 0) printf "%.1f", ($1 + $2) * 1e6 / n }' "$BTMP/wrk.time")
	"${CLI_PIN[@]}" "$MAASCTL" bench --endpoint "$SIM_URL" -m noop --no-stream -c 64 -d "${secs}s" \
	    --input-tokens 1 --output-tokens 1 --shared-prompt --no-progress --save "$BTMP/cap.json" \
	    >/dev/null 2>"$BTMP/cap.err" || true
	b_rps=$(fig "$BTMP/cap.json" .throughput.requests)
	b_us=$(fig "$BTMP/cap.json" '(.client.cpu_user_s + .client.cpu_sys_s) * 1e6 / (.requests.sent + .requests.warmup) | .*10 | round / 10')
	echo "round $round: wrk ${wrk_rps} req/s (${wrk_us} us CPU/req); maasctl bench ${b_rps} req/s (${b_us} us CPU/req, $(fig "$BTMP/cap.json" .requests.failed) failed, e2e p50 $(fig "$BTMP/cap.json" .metrics.e2e.p50) ms)"
	echo "$wrk_rps $b_rps $wrk_us $b_us" >>"$BTMP/rounds"
done
med() { awk -v k="$1" '{ print $k }' "$BTMP/rounds" | sort -n | sed -n 2p; }
wm=$(med 1) bm=$(med 2)
echo "medians: wrk ${wm} req/s ($(med 3) us CPU/req), maasctl bench ${bm} req/s ($(med 4) us CPU/req)"
awk -v a="$bm" -v b="$wm" 'BEGIN { if (b > 0) printf "ratio of medians bench/wrk: %.1f%% (target >= 80%%)\n", 100 * a / b }'
echo
echo "# 10,000 concurrent streams (ttft 2s, itl 200ms, 10 tokens)"
"${CLI_PIN[@]}" "$MAASCTL" bench --endpoint "$SIM_URL" -m hold -c 10000 -n 10000 --output-tokens 10 \
    --shared-prompt --no-progress --save "$BTMP/mem.json" >/dev/null 2>"$BTMP/mem.err" || true
echo "requests ok:              $(fig "$BTMP/mem.json" .requests.ok) of $(fig "$BTMP/mem.json" .requests.sent)"
echo "peak in flight:           $(fig "$BTMP/mem.json" .requests.peak_in_flight)"
echo "client max RSS:           $(fig "$BTMP/mem.json" '.client.max_rss_kib/1024|.*10|round/10') MiB (target < 200 MiB)"
echo "ttft p50/p99:             $(fig "$BTMP/mem.json" '"\(.metrics.ttft.p50)/\(.metrics.ttft.p99)"') ms"
echo '```'
} | tee "$out"
echo "wrote $out" >&2
