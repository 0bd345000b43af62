#!/usr/bin/env bash
# bench-capacity.sh: the client's own ceiling (issue 7, Done-when 3).
#
#   tests/bench/bench-capacity.sh [SECONDS]	(default 5)
#
# 1. Requests/s against a 1-token no-op model (non-streaming), wrk and
#    `maasctl bench --no-stream` on the same simulator endpoint in the same
#    run, same connection count (64), same request body.
# 2. Memory: 10,000 concurrent streams (ttft 2s, itl 200ms, 10 tokens) and
#    the client's peak RSS as the report gives it (getrusage).
# The simulator is single-threaded and shares the 2 cores with the client
# (and with the other engineers' jobs), so both clients hit its ceiling
# as much as their own; the ratio is what compares.
set -eu
cd "$(dirname "$0")/../.."
. tests/bench/bench-lib.bash
secs=${1:-5}
command -v wrk >/dev/null || { echo "$0: wrk is not installed" >&2; exit 1; }
out=tests/bench/results/bench-capacity-$(date -u +%Y%m%dT%H%M%SZ).md
sim_start '{"models":{"noop":{"ttft":"0s","itl":"0s","max-num-seqs":100000,"max-waiting":100000},
  "hold":{"ttft":"2s","itl":"200ms","max-num-seqs":100000,"max-waiting":100000}}}'
body='{"model":"noop","messages":[{"role":"user","content":"time"}],"max_tokens":1,"ignore_eos":true}'
cat >"$BTMP/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
LUA
{
echo "# maasctl bench capacity and memory"
echo
echo "Command: \`make && make tests-build && tests/bench/bench-capacity.sh $secs\`"
echo
echo '```'
host_line
echo "# 1-token no-op model, non-streaming, 64 connections, ${secs}s per round; rounds alternate"
echo "# wrk and maasctl bench so that the machine's changing load hits both alike"
for round in 1 2 3; do
	wrk -t1 -c64 -d"${secs}s" -s "$BTMP/post.lua" "${SIM_URL}/chat/completions" >"$BTMP/wrk.out" 2>&1 || true
	wrk_rps=$(awk '/^Requests\/sec:/ { print $2 }' "$BTMP/wrk.out")
	"$MAASCTL" bench --endpoint "$SIM_URL" -m noop --no-stream -c 64 -d "${secs}s" --input-tokens 1 \
	    --output-tokens 1 --shared-prompt --no-progress --save "$BTMP/cap.json" >/dev/null 2>"$BTMP/cap.err" || true
	b_rps=$(fig "$BTMP/cap.json" .throughput.requests)
	echo "round $round: wrk -t1 -c64 ${wrk_rps} req/s; maasctl bench -c 64 ${b_rps} req/s ($(fig "$BTMP/cap.json" .requests.failed) failed, client CPU $(fig "$BTMP/cap.json" '.client.cpu_share*100|round')%, e2e p50 $(fig "$BTMP/cap.json" .metrics.e2e.p50) ms)"
	echo "$wrk_rps $b_rps" >>"$BTMP/rounds"
done
wm=$(awk '{ print $1 }' "$BTMP/rounds" | sort -n | sed -n 2p)
bm=$(awk '{ print $2 }' "$BTMP/rounds" | sort -n | sed -n 2p)
echo "medians: wrk ${wm} req/s, maasctl bench ${bm} req/s"
awk -v a="$bm" -v b="$wm" 'BEGIN { if (b > 0) printf "ratio of medians bench/wrk: %.1f%% (target >= 80%%)\n", 100 * a / b }'
echo
echo "# 10,000 concurrent streams (ttft 2s, itl 200ms, 10 tokens)"
"$MAASCTL" bench --endpoint "$SIM_URL" -m hold -c 10000 -n 10000 --output-tokens 10 \
    --shared-prompt --no-progress --save "$BTMP/mem.json" >/dev/null 2>"$BTMP/mem.err" || true
echo "requests ok:              $(fig "$BTMP/mem.json" .requests.ok) of $(fig "$BTMP/mem.json" .requests.sent)"
echo "peak in flight:           $(fig "$BTMP/mem.json" .requests.peak_in_flight)"
echo "client max RSS:           $(fig "$BTMP/mem.json" '.client.max_rss_kib/1024|.*10|round/10') MiB (target < 200 MiB)"
echo "ttft p50/p99:             $(fig "$BTMP/mem.json" '"\(.metrics.ttft.p50)/\(.metrics.ttft.p99)"') ms"
echo '```'
} | tee "$out"
echo "wrote $out" >&2
