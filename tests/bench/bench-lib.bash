# bench-lib.bash: shared by tests/bench/bench-*.sh (sourced after the
# script's cd to the top of the tree): start the model simulator alone on a
# free port, stop it, and pull figures from reports.
#   sim_start CONFIG_JSON	sets SIM_URL (…/v1), SIM_PID and SIM_STATS (the
#			simulator's counters, written when it stops); the
#			array SIM_ARGS holds more modelsim-serve options
#			(e.g. --busy-poll true)
#   sim_stop
#   sim_stat NAME	one counter of the stopped simulator (late_p99_us, ...)
#   fig FILE JQ		one figure of a saved report
#   CLI_PIN		prefix for client commands: on 2+ cores the simulator
#			runs on CPU 0 and the clients (maasctl, wrk) on CPU 1,
#			so neither takes the other's core
# As root, sourcing it re-runs the script in a session of its own whose
# autogroup is nice -20 (with autogroup scheduling a process's nice counts
# only inside its session), so that the machine's other work waits, not
# the benchmark; BENCH_PRIO says which priority the run had.
if [ -z "${BENCH_PRIO:-}" ] && [ "$(id -u)" = 0 ] && [ -w /proc/self/autogroup ]; then
	BENCH_PRIO=session exec setsid -w bash "$PWD/tests/bench/$(basename "$0")" "$@"
fi
if [ "${BENCH_PRIO:-}" = session ]; then
	if echo -20 2>/dev/null >/proc/self/autogroup; then
		BENCH_PRIO="session autogroup nice -20"
	else
		BENCH_PRIO="normal priority (cannot renice the session)"
	fi
fi
: "${BENCH_PRIO:=normal priority (not root)}"
BUILD=${BUILD:-build}
SERVE=$BUILD/tests/helpers/modelsim-serve
MAASCTL=${MAASCTL:-$PWD/$BUILD/maasctl}
[ -x "$SERVE" ] || { echo "$0: build $SERVE first (make tests-build)" >&2; exit 1; }
[ -x "$MAASCTL" ] || { echo "$0: build $MAASCTL first (make)" >&2; exit 1; }
BTMP=$(mktemp -d "${TMPDIR:-/tmp}/maasctl-bench.XXXXXX")
SIM_PID=
SIM_PIN=() CLI_PIN=()
[ -n "${SIM_ARGS+set}" ] || SIM_ARGS=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	SIM_PIN=(taskset -c 0) CLI_PIN=(taskset -c 1)
fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
sim_start() {
	printf '%s\n' "$1" >"$BTMP/sim.json"
	rm -f "$BTMP/port" "$BTMP/sim.stats"
	SIM_STATS=$BTMP/sim.stats
	"${SIM_PIN[@]}" "$SERVE" --config "$BTMP/sim.json" --port-file "$BTMP/port" --lifetime 1800 \
	    --stats-file "$SIM_STATS" "${SIM_ARGS[@]}" 2>"$BTMP/sim.err" &
	SIM_PID=$!
	for _ in $(seq 1 250); do [ -s "$BTMP/port" ] && break; sleep 0.02; done
	SIM_URL=http://127.0.0.1:$(cat "$BTMP/port")/v1
}
sim_stop() {
	[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
	SIM_PID=
	return 0
}
sim_stat() { awk -v k="$1" '$1 == k { print $2 }' "$SIM_STATS" 2>/dev/null; }
bench_cleanup() { sim_stop; rm -rf "$BTMP"; }
trap bench_cleanup EXIT
fig() { jq -r "$2" "$1"; }
host_line() {
	echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -srm), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# $("$MAASCTL" version 2>/dev/null | head -1); the machine is shared with other engineers' builds and tests: figures are noisy"
	echo "# simulator ${SIM_PIN[*]:-unpinned}, clients ${CLI_PIN[*]:-unpinned}, ${BENCH_PRIO:-normal priority}"
}
