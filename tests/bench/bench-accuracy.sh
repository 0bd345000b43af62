#!/usr/bin/env bash
# bench-accuracy.sh: how close `maasctl bench` reports TTFT and TPOT to what
# the model simulator is configured to do (issue 7, Done-when 1).
#
#   tests/bench/bench-accuracy.sh [STREAMS...]	(default: 1 100 1000)
#
# The simulator runs alone (modelsim-serve) with ttft 50ms, itl 10ms, no
# jitter, no slowdown under load, slots for every stream.  For each level C:
# `maasctl bench -c C` with C warm-up requests (connections pooled), then
# 3*C measured requests (50 at C=1) of 20 output tokens (ignore_eos).
# Prints reported TTFT and TPOT p50/p99 minus configured, in ms, and whether
# the output token count is exact.  The simulator's own timer slack and the
# machine's load are inside the error: the reference is the configuration,
# not an independent clock (tests/bench/modelsim.sh measures the simulator
# with curl).
set -eu
cd "$(dirname "$0")/../.."
. tests/bench/bench-lib.bash
levels=${*:-1 100 1000}
out=tests/bench/results/bench-accuracy-$(date -u +%Y%m%dT%H%M%SZ).md
sim_start '{"models":{"m":{"ttft":"50ms","itl":"10ms","max-num-seqs":100000,"max-waiting":100000}}}'
{
echo "# maasctl bench accuracy against the model simulator"
echo
echo "Command: \`make && make tests-build && tests/bench/bench-accuracy.sh $levels\`"
echo
echo '```'
host_line
echo "# configured: ttft 50 ms, itl 10 ms (tpot = itl); errors = reported - configured, ms"
printf '%-7s %-6s %-9s %-22s %-22s %-8s %s\n' streams ok tokens "ttft err p50/p99" "tpot err p50/p99" valid client
for c in $levels; do
	n=$(( c == 1 ? 50 : 3 * c ))
	"$MAASCTL" bench --endpoint "$SIM_URL" -m m -c "$c" -n "$n" --warmup "$c" \
	    --output-tokens 20 --no-progress --save "$BTMP/r$c.json" >/dev/null 2>"$BTMP/e$c" || true
	r=$BTMP/r$c.json
	tok=$(fig "$r" .tokens.output_total)
	exact=$([ "$tok" = $((n * 20)) ] && echo exact || echo "OFF($tok)")
	printf '%-7s %-6s %-9s %-22s %-22s %-8s %s\n' "$c" "$(fig "$r" .requests.ok)" "$exact" \
	    "$(fig "$r" '"\(.metrics.ttft.p50 - 50 | .*1000|round/1000)/\(.metrics.ttft.p99 - 50 | .*1000|round/1000)"')" \
	    "$(fig "$r" '"\(.metrics.tpot.p50 - 10 | .*1000|round/1000)/\(.metrics.tpot.p99 - 10 | .*1000|round/1000)"')" \
	    "$(fig "$r" .verdict.valid)" \
	    "$(fig "$r" '"cpu \(.client.cpu_share*100|round)% rss \(.client.max_rss_kib) KiB"')"
done
echo '```'
} | tee "$out"
echo "wrote $out" >&2
