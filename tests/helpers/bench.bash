# bench.bash: the setup the `maasctl bench` suites share; it loads the
# helpers they use (common.bash, modelsim.bash, responder.bash), so a suite
# needs only:
#	load ../helpers/bench
#
#   bench_setup CONFIG_JSON	common_setup, an output folder $OUT under the
#	test home, and the model simulator started with CONFIG_JSON.
#   bench_teardown		stop the simulator and any responder, then
#	common_teardown.
#   LOOSE			validity limits loose enough for tests that
#	check counts and reports, never how fast this shared machine is.

load "${BASH_SOURCE[0]%/*}/common"
load "${BASH_SOURCE[0]%/*}/modelsim"
load "${BASH_SOURCE[0]%/*}/responder"

LOOSE=(--max-lag 10s --max-loop-lag 10s --min-achieved 0.01 --max-cpu 100 --no-progress)

bench_setup() {
	common_setup
	OUT=$TEST_HOME/out
	mkdir -p "$OUT"
	modelsim_start "$1"
}

bench_teardown() {
	modelsim_stop
	responder_stop 2>/dev/null || true
	common_teardown
}
