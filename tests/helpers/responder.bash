# responder.bash: start and stop the scripted responder from bats tests.
#
#   responder_start SCRIPT [responder flags...]
#	starts build/tests/helpers/responder in the background on 127.0.0.1
#	with a port the OS picks; sets RESPONDER_PORT, RESPONDER_LOG,
#	RESPONDER_PID.  The script is a file path or, if it does not exist as
#	a file, the script text itself.
#   responder_stop            kill it (call from teardown)
#   responder_count           number of requests it received
#   responder_request N       the Nth logged request (request line, headers, body)

: "${BUILD:=build}"
RESPONDER_BIN=${RESPONDER_BIN:-$MAASCTL_TEST_ROOT/$BUILD/tests/helpers/responder}

responder_start() {
	local script=$1 i
	shift
	local dir
	dir=$(mktemp -d "${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/responder.XXXXXX")
	if [ ! -f "$script" ]; then
		printf '%s\n' "$script" >"$dir/script"
		script=$dir/script
	fi
	RESPONDER_LOG=$dir/requests.log
	"$RESPONDER_BIN" --script "$script" --port-file "$dir/port" \
		--log "$RESPONDER_LOG" --lifetime 60 "$@" \
		>"$dir/stdout" 2>"$dir/stderr" 3>&- &
	RESPONDER_PID=$!
	for i in $(seq 1 200); do
		[ -s "$dir/port" ] && break
		if ! kill -0 "$RESPONDER_PID" 2>/dev/null; then
			echo "responder failed to start: $(cat "$dir/stderr")" >&2
			return 1
		fi
		sleep 0.02
	done
	RESPONDER_PORT=$(cat "$dir/port")
	[ -n "$RESPONDER_PORT" ]
}

responder_stop() {
	if [ -n "${RESPONDER_PID:-}" ]; then
		kill "$RESPONDER_PID" 2>/dev/null || true
		wait "$RESPONDER_PID" 2>/dev/null || true
		RESPONDER_PID=
	fi
	return 0
}

responder_count() {
	grep -c '^=== ' "$RESPONDER_LOG"
}

responder_request() {
	awk -v n="$1" '/^=== /{k++} k==n' "$RESPONDER_LOG"
}
