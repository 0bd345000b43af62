#!/usr/bin/env bash
# bench-accuracy.sh: how close `maasctl bench` reports TTFT and TPOT to what
# the model simulator is configured to do (issue 7, Done-when 1).
#
#   tests/bench/bench-accuracy.sh [-S POLL] [-W batched|writev] [STREAMS...]
#	(default levels: 1 100 1000)
#
# For each level C a fresh simulator (modelsim-serve, alone, pinned to CPU
# 0) serves one model with ttft 50ms, itl 10ms, no jitter, no slowdown
# under load, slots for every stream; `maasctl bench -c C` (pinned to CPU
# 1) sends C warm-up requests (connections pooled), then 3*C measured
# requests (50 at C=1) of 20 output tokens (ignore_eos).  As root the whole
# run has the session priority nice -20 (bench-lib.bash).
#
# Printed per level: reported TTFT and TPOT p50/p99 minus configured (ms),
# whether the output token count is exact, and, to tell the client's error
# from the server's, the simulator's own lateness: how late its token
# timers fired (p50/p99/max, ms, from its --stats-file).  A server timer
# that fires late delays the token for every client alike; what the
# benchmark reports beyond that lateness is the client's own error.
#
# A line before the table gives the machine's own floor on the
# simulator's CPU (tests/helpers/clock-floor): how late a process doing
# nothing else sees deadlines, sleeping and busy-polling; the next what one
# token write costs that CPU (tests/helpers/send-floor: CPU time per
# 158-byte chunk over loopback TCP, one writev() each and in io_uring
# batches), so 1e6 / that is the most tokens per second one core can send.
#
# -S POLL runs the simulator in precision mode (modelsim-serve --busy-poll
# POLL: true never sleeps, a margin such as 3ms polls from that long before
# each deadline), so its timers do not pay the machine's wake-up latency.
# The client needs no polling: bench takes response times from the
# kernel's receive timestamps (SO_TIMESTAMPNS), not from its own wake-ups;
# on the simulator's plain http:// URL it runs its native HTTP/1.1 client
# (the client column names the transport; BENCH_ARGS="--transport curl"
# runs libcurl instead, for comparison).
#
# -W HOW says how the simulator writes token chunks (modelsim-serve
# --send): batched (the default) the tokens due in one wake-up in one
# io_uring submission, writev one writev() per token (the behaviour
# before 2026-11-23); the header says which.
set -eu
cd "$(dirname "$0")/../.."
args=("$@") spoll= send=batched
while getopts S:W: o; do
	case $o in
	S) spoll=$OPTARG ;;
	W) send=$OPTARG ;;
	*) echo "usage: $0 [-S POLL] [-W batched|writev] [STREAMS...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
case $send in batched|writev) ;; *) echo "bench-accuracy.sh: -W: want batched or writev, not $send" >&2; exit 2 ;; esac
SIM_ARGS=(--send "$send")
[ -z "$spoll" ] || SIM_ARGS+=(--busy-poll "$spoll")
. tests/bench/bench-lib.bash "${args[@]}"	# (re-runs itself as root)
levels=${*:-1 100 1000}
out=tests/bench/results/bench-accuracy-$(date -u +%Y%m%dT%H%M%SZ).md
cfg='{"models":{"m":{"ttft":"50ms","itl":"10ms","max-num-seqs":100000,"max-waiting":100000}}}'
ms() { awk -v v="${1:-0}" 'BEGIN { printf "%.3f", v / 1000 }'; }
{
echo "# maasctl bench accuracy against the model simulator"
echo
echo "Command: \`make && make tests-build && ${BENCH_ARGS:+BENCH_ARGS=\"$BENCH_ARGS\" }flock /work/bench.lock tests/bench/bench-accuracy.sh ${spoll:+-S $spoll }-W $send $levels\`"
echo
echo '```'
host_line
echo "# configured: ttft 50 ms, itl 10 ms (tpot = itl); errors = reported - configured, ms;"
echo "# srv late = the simulator's token timers firing late (p50/p99/max, ms)"
echo "# simulator busy-poll: ${spoll:-off (sleeps until deadlines)}; client: sleeps (kernel receive timestamps)"
echo "# simulator writes tokens: $([ "$send" = batched ] && echo "batched, one io_uring submission per wake-up" || echo "one writev() each")"
fl=$BUILD/tests/helpers/clock-floor
[ ! -x "$fl" ] || echo "# floor on the simulator's CPU (clock-floor, 5 ms x 1000): $("${SIM_PIN[@]}" "$fl" --period-ms 5 --count 1000); $("${SIM_PIN[@]}" "$fl" --poll --period-ms 5 --count 1000)"
sf=$BUILD/tests/helpers/send-floor
[ ! -x "$sf" ] || echo "# send floor, simulator CPU -> client CPU (send-floor, 1000 loopback sockets, 158-byte chunks): $("$sf"); $("$sf" --batched)"
printf '%-7s %-6s %-9s %-20s %-18s %-22s %-6s %s\n' streams ok tokens "ttft err p50/p99" \
    "tpot err p50/p99" "srv late p50/p99/max" valid client
for c in $levels; do
	n=$(( c == 1 ? 50 : 3 * c ))
	sim_start "$cfg"
	"${CLI_PIN[@]}" "$MAASCTL" bench --endpoint "$SIM_URL" -m m -c "$c" -n "$n" --warmup "$c" ${BENCH_ARGS:-} \
	    --output-tokens 20 --no-progress --save "$BTMP/r$c.json" >/dev/null 2>"$BTMP/e$c" || true
	sim_stop
	r=$BTMP/r$c.json
	tok=$(fig "$r" .tokens.output_total)
	exact=$([ "$tok" = $((n * 20)) ] && echo exact || echo "OFF($tok)")
	printf '%-7s %-6s %-9s %-20s %-18s %-22s %-6s %s\n' "$c" "$(fig "$r" .requests.ok)" "$exact" \
	    "$(fig "$r" '"\(.metrics.ttft.p50 - 50 | .*1000|round/1000)/\(.metrics.ttft.p99 - 50 | .*1000|round/1000)"')" \
	    "$(fig "$r" '"\(.metrics.tpot.p50 - 10 | .*1000|round/1000)/\(.metrics.tpot.p99 - 10 | .*1000|round/1000)"')" \
	    "$(ms "$(sim_stat late_p50_us)")/$(ms "$(sim_stat late_p99_us)")/$(ms "$(sim_stat late_max_us)")" \
	    "$(fig "$r" .verdict.valid)" \
	    "$(fig "$r" '"cpu \(.client.cpu_share*100|round)% rss \(.client.max_rss_kib/1024|round) MiB \(.client.transport // "")"')"
done
echo '```'
} | tee "$out"
echo "wrote $out" >&2
