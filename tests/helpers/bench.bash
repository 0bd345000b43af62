# bench.bash: the setup the `maasctl bench` suites share (needs common.bash,
# modelsim.bash and, for bench_teardown, responder.bash).
#
#   bench_setup CONFIG_JSON	common_setup, an output folder $OUT under the
#	test home, and the model simulator started with CONFIG_JSON.
#   bench_teardown		stop the simulator and any responder, then
#	common_teardown.
#   LOOSE			validity limits loose enough for tests that
#	check counts and reports, never how fast this shared machine is.

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
