#!/usr/bin/env bash
# bench-openloop.sh: open-loop fidelity of `maasctl bench` (issue 7,
# Done-when 2): at 100 and 1,000 requests/s, and then doubling until the run
# is INVALID, the achieved rate against the offered one and the p99 dispatch
# lag, with the verdict the run gave itself.
#
#   tests/bench/bench-openloop.sh [SECONDS]	(default 10 per rate)
#
# Target: the model simulator alone, ttft 5ms, itl 1ms, 4 output tokens
# (short streams, so the client does real SSE work at every rate).  Poisson
# arrivals, seed 1, default limits (achieved >= 98% of offered, p99 lag
# <= 1 ms, client CPU <= 90% of a core).
set -eu
cd "$(dirname "$0")/../.."
. tests/bench/bench-lib.bash
secs=${1:-10}
out=tests/bench/results/bench-openloop-$(date -u +%Y%m%dT%H%M%SZ).md
sim_start '{"models":{"f":{"ttft":"5ms","itl":"1ms","max-num-seqs":100000,"max-waiting":100000}}}'
row() {
	local rate=$1 r=$BTMP/o$1.json
	"$MAASCTL" bench --endpoint "$SIM_URL" -m f -r "$rate" -d "${secs}s" --output-tokens 4 \
	    --no-progress --save "$r" >/dev/null 2>"$BTMP/e$rate" || true
	printf '%-7s %-8s %-10s %-10s %-8s %-10s %-8s %-6s %s\n' "$rate" "$(fig "$r" .requests.ok)" \
	    "$(fig "$r" .offered_vs_achieved.offered_rate)" "$(fig "$r" .offered_vs_achieved.achieved_rate)" \
	    "$(fig "$r" '.offered_vs_achieved.achieved_ratio*100|.*100|round/100')%" \
	    "$(fig "$r" .offered_vs_achieved.dispatch_lag_p99_ms)" \
	    "$(fig "$r" '.client.cpu_share*100|round')%" "$(fig "$r" .verdict.valid)" \
	    "$(fig "$r" '.verdict.reasons | join("; ")')"
	[ "$(fig "$r" .verdict.valid)" = true ]
}
{
echo "# maasctl bench open-loop fidelity"
echo
echo "Command: \`make && make tests-build && tests/bench/bench-openloop.sh $secs\`"
echo
echo '```'
host_line
printf '%-7s %-8s %-10s %-10s %-8s %-10s %-8s %-6s %s\n' rate ok offered achieved ratio "lag p99" cpu valid reasons
row 100 || true
row 1000 || true
rate=2000
while [ $rate -le 64000 ]; do
	row $rate || break
	rate=$((rate * 2))
done
echo '```'
} | tee "$out"
echo "wrote $out" >&2
