# modelsim.bash: start and stop the model simulator alone from bats tests.
#
#   modelsim_start CONFIG_JSON [OPTION...]	starts
#	build/tests/helpers/modelsim-serve on 127.0.0.1 with a port the OS
#	picks, the given {"models": {...}} settings and any more options
#	(e.g. --busy-poll true); sets MODELSIM_PORT, MODELSIM_URL (…/v1),
#	MODELSIM_DIR.
#   modelsim_stop		stop it (call from teardown); its counters are
#	then in $MODELSIM_DIR/stats ("completed 3", "cancelled 1", ...).
#   modelsim_stat NAME		one counter, after modelsim_stop.

: "${BUILD:=build}"
MODELSIM_BIN=${MODELSIM_BIN:-$MAASCTL_TEST_ROOT/$BUILD/tests/helpers/modelsim-serve}

modelsim_start() {
	local i
	MODELSIM_DIR=$(mktemp -d "${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/modelsim.XXXXXX")
	printf '%s\n' "$1" >"$MODELSIM_DIR/config.json"
	shift
	"$MODELSIM_BIN" --config "$MODELSIM_DIR/config.json" \
		--port-file "$MODELSIM_DIR/port" --stats-file "$MODELSIM_DIR/stats" \
		--lifetime 60 "$@" >"$MODELSIM_DIR/stdout" 2>"$MODELSIM_DIR/stderr" 3>&- &
	MODELSIM_PID=$!
	for i in $(seq 1 250); do
		[ -s "$MODELSIM_DIR/port" ] && break
		if ! kill -0 "$MODELSIM_PID" 2>/dev/null; then
			echo "modelsim-serve failed to start: $(cat "$MODELSIM_DIR/stderr")" >&2
			MODELSIM_PID=
			return 1
		fi
		sleep 0.02
	done
	MODELSIM_PORT=$(cat "$MODELSIM_DIR/port")
	MODELSIM_URL=http://127.0.0.1:$MODELSIM_PORT/v1
	[ -n "$MODELSIM_PORT" ]
}

modelsim_stop() {
	if [ -n "${MODELSIM_PID:-}" ]; then
		kill "$MODELSIM_PID" 2>/dev/null || true
		wait "$MODELSIM_PID" 2>/dev/null || true
		MODELSIM_PID=
	fi
	return 0
}

modelsim_stat() {
	awk -v k="$1" '$1 == k { print $2 }' "$MODELSIM_DIR/stats"
}
