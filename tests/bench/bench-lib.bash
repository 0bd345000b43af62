# bench-lib.bash: shared by tests/bench/bench-*.sh: start the model
# simulator alone on a free port, stop it, and pull figures from reports.
#   sim_start CONFIG_JSON	sets SIM_URL (…/v1) and SIM_PID
#   sim_stop
#   fig FILE JQ		one figure of a saved report
BUILD=${BUILD:-build}
SERVE=$BUILD/tests/helpers/modelsim-serve
MAASCTL=${MAASCTL:-$PWD/$BUILD/maasctl}
[ -x "$SERVE" ] || { echo "$0: build $SERVE first (make tests-build)" >&2; exit 1; }
[ -x "$MAASCTL" ] || { echo "$0: build $MAASCTL first (make)" >&2; exit 1; }
BTMP=$(mktemp -d "${TMPDIR:-/tmp}/maasctl-bench.XXXXXX")
SIM_PID=
sim_start() {
	printf '%s\n' "$1" >"$BTMP/sim.json"
	rm -f "$BTMP/port"
	"$SERVE" --config "$BTMP/sim.json" --port-file "$BTMP/port" --lifetime 1800 \
	    2>"$BTMP/sim.err" &
	SIM_PID=$!
	for _ in $(seq 1 250); do [ -s "$BTMP/port" ] && break; sleep 0.02; done
	SIM_URL=http://127.0.0.1:$(cat "$BTMP/port")/v1
}
sim_stop() {
	[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
	SIM_PID=
	return 0
}
bench_cleanup() { sim_stop; rm -rf "$BTMP"; }
trap bench_cleanup EXIT
fig() { jq -r "$2" "$1"; }
host_line() {
	echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -srm), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# $("$MAASCTL" version 2>/dev/null | head -1); the machine is shared with 7 other engineers' builds and tests: figures are noisy"
}
