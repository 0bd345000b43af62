# sandbox.bash: a sandbox per bats file, on ports the OS picks, in a temp
# state dir, torn down with no process left.  Load after common.bash:
#
#	load ../helpers/common
#	load ../helpers/sandbox
#	setup_file()    { sandbox_start; }          # or: sandbox_start --plain
#	teardown_file() { sandbox_stop; }
#	setup()         { common_setup; sandbox_use; }
#	teardown()      { common_teardown; }
#
# sandbox_start exports SANDBOX_DIR (state dir), SANDBOX_PID, SANDBOX_API_URL,
# SANDBOX_MAAS_URL (the gateway), SANDBOX_CA (CA file, empty with --plain),
# SANDBOX_KUBECONFIG, SANDBOX_ADMIN_TOKEN and SANDBOX_CONFIG (a maasctl
# config file of the suite's own, holding the profile "sandbox" that up
# writes).  sandbox_use (per test, after common_setup, which clears the
# environment) exports KUBECONFIG, MAAS_URL, MAASCTL_SANDBOX_DIR,
# MAASCTL_CONFIG and MAASCTL_PROFILE=sandbox for it.  sandbox_token USER
# [GROUP...] prints a bearer token for a sandbox identity.
# sandbox_models_ready NS waits until NS's LLMInferenceServices are Ready.

# sandbox_json_field FILE KEY: a string or number field of a flat JSON file.
sandbox_json_field() {
	sed -n 's/.*"'"$2"'"[[:space:]]*:[[:space:]]*"\{0,1\}\([^",}]*\)"\{0,1\}.*/\1/p' "$1" | head -1
}

# sandbox_pid_alive PID: is PID a live process (gone and zombie count as dead)?
sandbox_pid_alive() {
	local st
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# sandbox_up DIR [ARGS...]: start a sandbox in DIR on free ports; on success
# set the SANDBOX_* variables for it (not exported).  Prints up's output on
# failure and returns its status.
sandbox_up() {
	local dir=$1 out rc=0
	shift
	out=$("$MAASCTL" sandbox up --port 0 --gateway-port 0 --state-dir "$dir" "$@" 2>&1) || rc=$?
	if [ $rc -ne 0 ]; then
		printf 'sandbox up failed (exit %d):\n%s\n' "$rc" "$out" >&2
		return $rc
	fi
	SANDBOX_DIR=$dir
	SANDBOX_PID=$(sandbox_json_field "$dir/sandbox.json" pid)
	SANDBOX_API_URL=$(sandbox_json_field "$dir/sandbox.json" api_url)
	SANDBOX_MAAS_URL=$(sandbox_json_field "$dir/sandbox.json" gateway_url)
	SANDBOX_KUBECONFIG=$dir/kubeconfig
	SANDBOX_CA=
	[[ $SANDBOX_API_URL == https:* ]] && SANDBOX_CA=$dir/ca.crt
	SANDBOX_ADMIN_TOKEN=$(cat "$dir/admin.token")
}

# sandbox_start [ARGS...]: start this file's sandbox (call from setup_file).
sandbox_start() {
	local dir
	dir=$(mktemp -d "${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}/sandbox.XXXXXX")
	# Never the user's own config: the profile goes to the suite's file.
	SANDBOX_CONFIG=$dir.config.yaml
	MAASCTL_CONFIG=$SANDBOX_CONFIG sandbox_up "$dir" "$@" || return 1
	export SANDBOX_DIR SANDBOX_PID SANDBOX_API_URL SANDBOX_MAAS_URL \
	    SANDBOX_KUBECONFIG SANDBOX_CA SANDBOX_ADMIN_TOKEN SANDBOX_CONFIG
	sandbox_use
}

# sandbox_use: point this test's environment at the file's sandbox.
sandbox_use() {
	[ -n "${SANDBOX_DIR:-}" ] || return 0
	export KUBECONFIG=$SANDBOX_KUBECONFIG MAAS_URL=$SANDBOX_MAAS_URL \
	    MAASCTL_SANDBOX_DIR=$SANDBOX_DIR MAASCTL_CONFIG=$SANDBOX_CONFIG \
	    MAASCTL_PROFILE=sandbox
}

# sandbox_down DIR: stop the sandbox in DIR and make sure no process is
# left (SIGKILL as a last resort, which is then reported as a failure).
sandbox_down() {
	local dir=$1 pid
	pid=$(sandbox_json_field "$dir/sandbox.json" pid 2>/dev/null)
	"$MAASCTL" sandbox down --state-dir "$dir" >/dev/null 2>&1
	if [ -n "$pid" ] && sandbox_pid_alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		echo "sandbox (pid $pid) was still running after sandbox down" >&2
		return 1
	fi
	return 0
}

# sandbox_stop: stop this file's sandbox (call from teardown_file).
sandbox_stop() {
	[ -n "${SANDBOX_DIR:-}" ] || return 0
	sandbox_down "$SANDBOX_DIR"
}

# sandbox_token USER [GROUP...]: a bearer token for USER in GROUPs.
sandbox_token() {
	local user=$1 g args=()
	shift
	for g in "$@"; do
		args+=(--group "$g")
	done
	"$MAASCTL" sandbox token --state-dir "${SANDBOX_DIR:?no sandbox}" \
	    --user "$user" "${args[@]}"
}

# sandbox_models_ready NS: wait (up to 30 s) until every LLMInferenceService
# in NS is Ready.  The controller starts a model after a delay (annotation
# maas.sandbox/start-delay, default 0.2 s); until then the gateway answers
# 503 "no healthy upstream", so a suite that applies models and calls them
# at once waits here first.
sandbox_models_ready() {
	local names
	names=$("$MAASCTL" get llminferenceservices -n "$1" -o name) || return 1
	[ -z "$names" ] && return 0
	# shellcheck disable=SC2086 # one argument per object
	"$MAASCTL" -n "$1" wait $names --timeout 30s >/dev/null
}

# sandbox_curl [CURL ARGS...]: curl with the sandbox's CA and no proxy.
sandbox_curl() {
	local ca=()
	[ -n "${SANDBOX_CA:-}" ] && ca=(--cacert "$SANDBOX_CA")
	curl -sS --noproxy '*' "${ca[@]}" "$@"
}
