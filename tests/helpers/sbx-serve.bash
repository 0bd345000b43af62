# sbx-serve.bash: start and stop a sandbox API server for bats tests through
# the sandbox-serve helper, on a port the OS picks, and point kubectl at it.
#
#   sbx_start [--plain]	start (HTTPS with a bearer token unless --plain);
#			sets SBX_DIR SBX_PID SBX_PORT SBX_URL SBX_TOKEN and
#			exports KUBECONFIG and KUBECACHEDIR
#   sbx_restart		stop (SIGTERM) and start again on the same state
#   sbx_stop		SIGTERM and wait
#   sbx_curl ARGS...	curl the API as the admin (-s, CA or plain)

: "${BUILD:=build}"
: "${MAASCTL_TEST_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
SBX_HELPER="$MAASCTL_TEST_ROOT/$BUILD/tests/helpers/sandbox-serve"
: "${KUBECTL:=kubectl}"

sbx_start() {
	SBX_MODE=("$@")
	: "${SBX_DIR:=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/sbx.XXXXXX")}"
	if [ ! -f "$SBX_DIR/admin.token" ]; then
		(umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' \
		    >"$SBX_DIR/admin.token")
	fi
	SBX_TOKEN=$(cat "$SBX_DIR/admin.token")
	rm -f "$SBX_DIR/sandbox.json"
	"$SBX_HELPER" --state-dir "$SBX_DIR" --port "${SBX_PORT:-0}" \
	    --token-file "$SBX_DIR/admin.token" "$@" \
	    >>"$SBX_DIR/serve.log" 2>&1 3>&- &
	SBX_PID=$!
	local i
	for i in $(seq 1 100); do
		[ -s "$SBX_DIR/sandbox.json" ] && break
		kill -0 "$SBX_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ ! -s "$SBX_DIR/sandbox.json" ]; then
		echo "sandbox did not start:" >&2
		cat "$SBX_DIR/serve.log" >&2
		return 1
	fi
	SBX_PORT=$(sed -n 's/.*"api_port":\([0-9]*\).*/\1/p' "$SBX_DIR/sandbox.json")
	SBX_SCHEME=$(sed -n 's/.*"scheme":"\([a-z]*\)".*/\1/p' "$SBX_DIR/sandbox.json")
	SBX_URL="$SBX_SCHEME://127.0.0.1:$SBX_PORT"
	export KUBECONFIG="$SBX_DIR/kubeconfig"
	export KUBECACHEDIR="$SBX_DIR/kcache"
	if [ "$SBX_SCHEME" = https ]; then
		cat >"$KUBECONFIG" <<EOK
apiVersion: v1
kind: Config
clusters:
- name: sandbox
  cluster:
    server: $SBX_URL
    certificate-authority-data: $(base64 -w0 <"$SBX_DIR/ca.crt")
users:
- name: admin
  user:
    token: $SBX_TOKEN
contexts:
- name: sandbox
  context: {cluster: sandbox, user: admin, namespace: default}
current-context: sandbox
EOK
	else
		cat >"$KUBECONFIG" <<EOK
apiVersion: v1
kind: Config
clusters:
- name: sandbox
  cluster:
    server: $SBX_URL
users:
- name: admin
  user: {}
contexts:
- name: sandbox
  context: {cluster: sandbox, user: admin, namespace: default}
current-context: sandbox
EOK
	fi
	chmod 600 "$KUBECONFIG"
}

sbx_stop() {
	local pid i
	# the pid in sandbox.json also covers servers started by a test
	pid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$SBX_DIR/sandbox.json" 2>/dev/null)
	pid=${pid:-${SBX_PID:-}}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	wait "$pid" 2>/dev/null || true
	SBX_PID=
}

sbx_restart() {
	sbx_stop
	sbx_start "${SBX_MODE[@]}"
}

# A kubeconfig for another user's token: sbx_user_kubeconfig FILE TOKEN
sbx_user_kubeconfig() {
	sed "s/token: .*/token: $2/" "$KUBECONFIG" >"$1"
	chmod 600 "$1"
}

sbx_curl() {
	if [ "$SBX_SCHEME" = https ]; then
		curl -s --cacert "$SBX_DIR/ca.crt" \
		    -H "Authorization: Bearer $SBX_TOKEN" "$@"
	else
		curl -s "$@"
	fi
}
