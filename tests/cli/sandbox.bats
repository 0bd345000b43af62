#!/usr/bin/env bats
# sandbox.bats: `maasctl sandbox` lifecycle: up, down, status, env, reset,
# serve, token; their failures; loopback-only listening; auth with minted
# tokens.  One shared sandbox (setup_file) for the read-only checks, and
# throw-away sandboxes in per-test state dirs for the lifecycle ones.
bats_require_minimum_version 1.5.0
load ../helpers/common
load ../helpers/sandbox

setup_file() { sandbox_start; }
teardown_file() { sandbox_stop; }

setup() {
	common_setup
	sandbox_use
	D=$(mktemp -d "$BATS_TEST_TMPDIR/state.XXXXXX")
	STARTED=()
}

teardown() {
	local d
	for d in "${STARTED[@]}"; do
		sandbox_down "$d" || true
	done
	common_teardown
}

# up_in DIR [ARGS]: start a throw-away sandbox, stopped in teardown.
up_in() {
	STARTED+=("$1")
	MAASCTL_CONFIG=$1.config.yaml sandbox_up "$@"
}

# listen_addrs PID: the local address:port (hex, /proc/net form) of every
# listening TCP socket the process has, one per line; tcp6 ones prefixed 6:.
listen_addrs() {
	local pid=$1 inodes fd link
	inodes=" "
	for fd in /proc/"$pid"/fd/*; do
		link=$(readlink "$fd" 2>/dev/null) || continue
		[[ $link == socket:\[*\] ]] && inodes+="${link//[^0-9]/} "
	done
	awk -v inodes="$inodes" '$4 == "0A" && index(inodes, " " $10 " ") { print $2 }' /proc/net/tcp
	awk -v inodes="$inodes" '$4 == "0A" && index(inodes, " " $10 " ") { print "6:" $2 }' /proc/net/tcp6
}

# --- flags and usage ------------------------------------------------------

@test "sandbox --help lists every verb" {
	run -0 --separate-stderr maasctl sandbox --help
	for v in up down status env reset serve token; do
		[[ $output == *"  $v "* ]] || { echo "no $v in: $output"; return 1; }
	done
}

@test "sandbox with an unknown verb is a usage error" {
	run -2 --separate-stderr maasctl sandbox frobnicate
	[ "$stderr" = 'error: unknown command "frobnicate" for "maasctl sandbox"'$'\n'"hint: run 'maasctl sandbox --help' for the list of commands" ]
}

@test "sandbox up rejects bad flags with exit 2" {
	run -2 --separate-stderr maasctl sandbox up --bogus --state-dir "$D"
	[[ $stderr == "maasctl: unknown flag: --bogus"* ]]
	run -2 --separate-stderr maasctl sandbox up --port 70000 --state-dir "$D"
	[[ $stderr == "maasctl: invalid value 70000 for --port: must be from 0 to 65535"* ]]
	run -2 --separate-stderr maasctl sandbox up --gateway-port x --state-dir "$D"
	[[ $stderr == 'maasctl: invalid value "x" for --gateway-port: not an integer'* ]]
	run -2 --separate-stderr maasctl sandbox up extra --state-dir "$D"
	[[ $stderr == 'maasctl: sandbox up: unexpected argument "extra"'* ]]
	[ -z "$(ls -A "$D")" ]
}

@test "sandbox up refuses the same port for both listeners" {
	run -2 --separate-stderr maasctl sandbox up --port 41000 --gateway-port 41000 --state-dir "$D"
	[ "$stderr" = "maasctl: --port and --gateway-port are both 41000: the two listeners need different ports" ]
}

# --- token ----------------------------------------------------------------

@test "sandbox token needs --user" {
	run -2 --separate-stderr maasctl sandbox token --state-dir "$D"
	[ "${lines[*]}" = "" ]
	[[ $stderr == "maasctl: sandbox token: --user is required"* ]]
}

@test "sandbox token rejects a bad --ttl and an empty user" {
	run -2 --separate-stderr maasctl sandbox token --user a --ttl soon --state-dir "$D"
	[[ $stderr == *"--ttl"* ]]
	run -2 --separate-stderr maasctl sandbox token --user "" --state-dir "$D"
	[[ $stderr == "maasctl: invalid sandbox user name"* ]]
}

@test "sandbox token prints a JWT and creates token.secret 0600" {
	run -0 --separate-stderr maasctl sandbox token --user alice --group premium-users --ttl 1h --state-dir "$D"
	[[ $output =~ ^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$ ]]
	[ -z "$stderr" ]
	[ "$(stat -c %a "$D/token.secret")" = 600 ]
	[ "$(stat -c %s "$D/token.secret")" = 32 ]
	# The claims carry the user and groups.
	claims=$(cut -d. -f2 <<<"$output" | tr '_-' '/+')
	while [ $((${#claims} % 4)) -ne 0 ]; do claims+="="; done
	json=$(base64 -d <<<"$claims")
	[[ $json == *'"sub":"alice"'* ]]
	[[ $json == *'"groups":["premium-users"]'* ]]
}

@test "the default state dir follows MAASCTL_SANDBOX_DIR, then XDG_STATE_HOME, then HOME" {
	unset MAASCTL_SANDBOX_DIR
	run -0 maasctl sandbox token --user a
	[ -f "$XDG_STATE_HOME/maasctl/sandbox/token.secret" ]
	unset XDG_STATE_HOME
	run -0 maasctl sandbox token --user a
	[ -f "$HOME/.local/state/maasctl/sandbox/token.secret" ]
	MAASCTL_SANDBOX_DIR=$D/env run -0 maasctl sandbox token --user a
	[ -f "$D/env/token.secret" ]
	MAASCTL_SANDBOX_DIR=$D/env run -0 maasctl sandbox token --user a --state-dir "$D/flag"
	[ -f "$D/flag/token.secret" ]
}

# --- not running ----------------------------------------------------------

@test "sandbox status when not running: exit 1" {
	run -1 --separate-stderr maasctl sandbox status --state-dir "$D"
	[ "${lines[0]}" = "sandbox:         not running" ]
	[ "${lines[1]}" = "state dir:       $D" ]
	[ -z "$stderr" ]
	run -1 --separate-stderr maasctl sandbox status -o json --state-dir "$D"
	[[ $output == *'"running": false'* ]]
	[[ $output == *"\"stateDir\": \"$D\""* ]]
}

@test "sandbox status -o yaml is a usage error" {
	run -2 --separate-stderr maasctl sandbox status -o yaml --state-dir "$D"
	[ "$stderr" = 'maasctl: sandbox status: unsupported output format "yaml" (want json)' ]
}

@test "sandbox down when not running: exit 0 and says so" {
	run -0 --separate-stderr maasctl sandbox down --state-dir "$D"
	[ -z "$output" ]
	[ "$stderr" = "maasctl: no sandbox is running in $D" ]
}

@test "sandbox env before any up: exit 1" {
	run -1 --separate-stderr maasctl sandbox env --state-dir "$D"
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "maasctl: no sandbox has run in $D" ]
}

# --- reset ------------------------------------------------------------------

@test "sandbox reset refuses without --yes when stdin is not a terminal" {
	maasctl sandbox token --user a --state-dir "$D" >/dev/null
	run -2 --separate-stderr maasctl sandbox reset --state-dir "$D" </dev/null
	[ "$stderr" = "maasctl: sandbox reset: refusing to delete $D without --yes (stdin is not a terminal)" ]
	[ -f "$D/token.secret" ]
}

@test "sandbox reset --yes deletes the state dir" {
	maasctl sandbox token --user a --state-dir "$D" >/dev/null
	run -0 --separate-stderr maasctl sandbox reset --yes --state-dir "$D"
	[ "$output" = "sandbox state deleted: $D" ]
	[ ! -e "$D" ]
	run -0 --separate-stderr maasctl sandbox reset --yes --state-dir "$D"
	[ "$output" = "nothing to reset: $D does not exist" ]
}

@test "sandbox reset on a terminal asks first: n keeps, y deletes" {
	command -v script >/dev/null || skip "script(1) not installed"
	maasctl sandbox token --user a --state-dir "$D" >/dev/null
	run -1 script -qec "'$MAASCTL' sandbox reset --state-dir '$D'" /dev/null <<<n
	[[ $output == *"Delete the sandbox in $D (objects, keys, certificates, kubeconfig)? [y/N] "* ]]
	[[ $output == *"maasctl: reset cancelled"* ]]
	[ -f "$D/token.secret" ]
	run -0 script -qec "'$MAASCTL' sandbox reset --state-dir '$D'" /dev/null <<<y
	[[ $output == *"sandbox state deleted: $D"* ]]
	[ ! -e "$D" ]
}

@test "sandbox reset refuses a directory that is not a sandbox's" {
	touch "$D/precious"
	run -1 --separate-stderr maasctl sandbox reset --yes --state-dir "$D"
	[ "$stderr" = "maasctl: refusing to reset $D: it is not a sandbox state directory" ]
	[ -f "$D/precious" ]
}

# --- the shared sandbox -------------------------------------------------------

@test "up wrote a kubeconfig (0600) with the CA and an admin token" {
	[ "$(stat -c %a "$SANDBOX_KUBECONFIG")" = 600 ]
	[ "$(stat -c %a "$SANDBOX_DIR/ca.key")" = 600 ]
	[ "$(stat -c %a "$SANDBOX_DIR/server.key")" = 600 ]
	[ "$(stat -c %a "$SANDBOX_DIR/admin.token")" = 600 ]
	grep -q "server: $SANDBOX_API_URL\$" "$SANDBOX_KUBECONFIG"
	grep -q "certificate-authority-data: $(base64 -w0 <"$SANDBOX_DIR/ca.crt")\$" "$SANDBOX_KUBECONFIG"
	grep -q "token: $SANDBOX_ADMIN_TOKEN\$" "$SANDBOX_KUBECONFIG"
	grep -q "current-context: maasctl-sandbox" "$SANDBOX_KUBECONFIG"
}

@test "up wrote the maasctl profile sandbox (gateway URL, context, CA file; 0600)" {
	[ "$(stat -c %a "$SANDBOX_CONFIG")" = 600 ]
	run -0 cat "$SANDBOX_CONFIG"
	[[ $output == *"  sandbox:"* ]]
	[[ $output == *"    maas-url: $SANDBOX_MAAS_URL"* ]]
	[[ $output == *"    context: maasctl-sandbox"* ]]
	[[ $output == *"    ca-file: $SANDBOX_DIR/ca.crt"* ]]
}

@test "up keeps other profiles and fields; a broken config is a warning, not a failure" {
	cfg=$D.config.yaml
	printf 'current-profile: prod\nprofiles:\n  prod:\n    maas-url: https://maas.example.com\n  sandbox:\n    default-model: granite\n' >"$cfg"
	run -0 --separate-stderr env MAASCTL_CONFIG="$cfg" "$MAASCTL" sandbox up --port 0 --gateway-port 0 --state-dir "$D"
	STARTED+=("$D")
	[[ $output == *"  maasctl profile: sandbox (in $cfg)"* ]]
	run -0 cat "$cfg"
	[[ $output == *"current-profile: prod"* ]]
	[[ $output == *"maas-url: https://maas.example.com"* ]]
	[[ $output == *"default-model: granite"* ]]
	[[ $output == *"context: maasctl-sandbox"* ]]
	maasctl sandbox down --state-dir "$D" >/dev/null
	printf 'profiles: [unclosed\n' >"$cfg"
	run -0 --separate-stderr env MAASCTL_CONFIG="$cfg" "$MAASCTL" sandbox up --port 0 --gateway-port 0 --state-dir "$D"
	[[ $stderr == 'maasctl: warning: cannot write the maasctl profile "sandbox": '*"$cfg"* ]]
	[[ $output != *"maasctl profile:"* ]]
	[ "${lines[0]}" = "sandbox running (pid $(cat "$D/sandbox.pid"))" ]
}

@test "the daemon listens on 127.0.0.1 only" {
	run -0 listen_addrs "$SANDBOX_PID"
	[ "${#lines[@]}" -ge 2 ]
	for a in "${lines[@]}"; do
		[[ $a == 0100007F:* ]] || { echo "listening on $a"; return 1; }
	done
}

@test "the server certificate verifies with the sandbox CA for 127.0.0.1 and localhost" {
	run -0 --separate-stderr sandbox_curl "$SANDBOX_API_URL/healthz"
	[ "$output" = ok ]
	port=${SANDBOX_API_URL##*:}
	run -0 --separate-stderr sandbox_curl "https://localhost:$port/healthz"
	[ "$output" = ok ]
	# Without the CA, TLS verification fails.
	run -60 --separate-stderr curl -sS --noproxy '*' "$SANDBOX_API_URL/healthz"
}

@test "sandbox status reports the running sandbox" {
	run -0 --separate-stderr maasctl sandbox status
	[ "${lines[0]}" = "sandbox:         running" ]
	[ "${lines[1]}" = "pid:             $SANDBOX_PID" ]
	[[ $output == *"Kubernetes API:  $SANDBOX_API_URL"* ]]
	[[ $output == *"gateway:         $SANDBOX_MAAS_URL"* ]]
	[[ $output == *"state dir:       $SANDBOX_DIR"* ]]
	run -0 --separate-stderr maasctl sandbox status -o json
	[[ $output == *'"running": true'* ]]
	[[ $output == *'"healthy": true'* ]]
	[[ $output == *"\"pid\": $SANDBOX_PID,"* ]]
	[[ $output == *"\"apiURL\": \"$SANDBOX_API_URL\""* ]]
	[[ $output == *"\"gatewayURL\": \"$SANDBOX_MAAS_URL\""* ]]
	[[ $output == *"\"apiPort\": ${SANDBOX_API_URL##*:},"* ]]
	[[ $output == *'"uptimeSeconds": '* ]]
}

@test "sandbox env prints shell exports that work with eval" {
	run -0 --separate-stderr maasctl sandbox env
	[ "${lines[0]}" = "export KUBECONFIG='$SANDBOX_KUBECONFIG'" ]
	[ "${lines[1]}" = "export MAAS_URL='$SANDBOX_MAAS_URL'" ]
	[ "${lines[2]}" = "export MAASCTL_PROFILE=sandbox" ]
	unset KUBECONFIG MAAS_URL
	eval "$output"
	[ "$KUBECONFIG" = "$SANDBOX_KUBECONFIG" ]
	[ "$MAAS_URL" = "$SANDBOX_MAAS_URL" ]
}

@test "up twice: the second reports the running sandbox, exit 0" {
	run -0 --separate-stderr maasctl sandbox up --state-dir "$SANDBOX_DIR"
	[ "${lines[0]}" = "sandbox already running (pid $SANDBOX_PID)" ]
	[[ $output == *"Kubernetes API:  $SANDBOX_API_URL"* ]]
	sandbox_pid_alive "$SANDBOX_PID"
}

@test "a port in use is a clear error naming the port, exit 6" {
	port=${SANDBOX_API_URL##*:}
	run -6 --separate-stderr maasctl sandbox up --port "$port" --gateway-port 0 --state-dir "$D"
	[ "${stderr_lines[0]}" = "maasctl: cannot listen on 127.0.0.1:$port for the Kubernetes API: port already in use" ]
	[ "${stderr_lines[1]}" = "hint: choose another with --port N, or --port 0 for a free one" ]
	gport=${SANDBOX_MAAS_URL##*:}
	run -6 --separate-stderr maasctl sandbox up --port 0 --gateway-port "$gport" --state-dir "$D"
	[ "${stderr_lines[0]}" = "maasctl: cannot listen on 127.0.0.1:$gport for the gateway: port already in use" ]
	[ ! -e "$D/sandbox.pid" ] || ! sandbox_pid_alive "$(cat "$D/sandbox.pid")"
}

@test "sandbox serve refuses while the sandbox runs, exit 5" {
	run -5 --separate-stderr maasctl sandbox serve --port 0 --gateway-port 0
	[ "${stderr_lines[0]}" = "maasctl: a sandbox is already running in $SANDBOX_DIR (pid $SANDBOX_PID)" ]
}

@test "a minted user token authenticates; a forged or unknown one gets 401" {
	tok=$(sandbox_token alice premium-users)
	run -0 --separate-stderr sandbox_curl -o /dev/null -w '%{http_code}' \
	    -H "Authorization: Bearer $tok" "$SANDBOX_API_URL/api"
	[ "$output" = 200 ]
	# Same claims, signature from another sandbox's secret.
	other=$(maasctl sandbox token --user alice --group premium-users --state-dir "$D")
	run -0 --separate-stderr sandbox_curl -o /dev/null -w '%{http_code}' \
	    -H "Authorization: Bearer $other" "$SANDBOX_API_URL/api"
	[ "$output" = 401 ]
	# Claims changed to admin, signature kept.
	forged="$(cut -d. -f1 <<<"$tok").$(printf '{"sub":"admin","groups":["system:masters"],"exp":9999999999}' | base64 -w0 | tr '+/' '-_' | tr -d =).$(cut -d. -f3 <<<"$tok")"
	run -0 --separate-stderr sandbox_curl -o /dev/null -w '%{http_code}' \
	    -H "Authorization: Bearer $forged" "$SANDBOX_API_URL/api"
	[ "$output" = 401 ]
	run -0 --separate-stderr sandbox_curl -o /dev/null -w '%{http_code}' \
	    -H "Authorization: Bearer not-a-token" "$SANDBOX_API_URL/api"
	[ "$output" = 401 ]
	run -0 --separate-stderr sandbox_curl -o /dev/null -w '%{http_code}' \
	    "$SANDBOX_API_URL/api"
	[ "$output" = 401 ]
}

@test "an expired token gets 401" {
	tok=$(maasctl sandbox token --user alice --ttl 1s --state-dir "$SANDBOX_DIR")
	sleep 2.2
	run -0 --separate-stderr sandbox_curl -o /dev/null -w '%{http_code}' \
	    -H "Authorization: Bearer $tok" "$SANDBOX_API_URL/api"
	[ "$output" = 401 ]
}

@test "a non-admin user may read but not write: 403 with the apiserver's message" {
	tok=$(sandbox_token alice premium-users)
	run -0 --separate-stderr sandbox_curl -o /dev/null -w '%{http_code}' \
	    -H "Authorization: Bearer $tok" "$SANDBOX_API_URL/api/v1/namespaces"
	[ "$output" = 200 ]
	run -0 --separate-stderr sandbox_curl -w '\n%{http_code}' -X POST \
	    -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
	    -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"alice-ns"}}' \
	    "$SANDBOX_API_URL/api/v1/namespaces"
	[ "${lines[-1]}" = 403 ]
	[[ $output == *'namespaces is forbidden: User \"alice\" cannot create resource \"namespaces\" in API group \"\" at the cluster scope'* ]]
	# The admin of the kubeconfig may.
	run -0 --separate-stderr sandbox_curl -o /dev/null -w '%{http_code}' -X POST \
	    -H "Authorization: Bearer $SANDBOX_ADMIN_TOKEN" -H 'Content-Type: application/json' \
	    -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"alice-ns"}}' \
	    "$SANDBOX_API_URL/api/v1/namespaces"
	[ "$output" = 201 ]
}

# --- lifecycle in throw-away state dirs -------------------------------------

@test "down stops the daemon and leaves no process; status then exits 1" {
	up_in "$D"
	pid=$SANDBOX_PID
	sandbox_pid_alive "$pid"
	run -0 --separate-stderr maasctl sandbox down --state-dir "$D"
	[ "$output" = "sandbox stopped (pid $pid)" ]
	! sandbox_pid_alive "$pid"
	[ ! -e "$D/sandbox.pid" ]
	run -1 maasctl sandbox status --state-dir "$D"
	# The ports are free again.
	run -0 --separate-stderr maasctl sandbox up --port "${SANDBOX_API_URL##*:}" \
	    --gateway-port "${SANDBOX_MAAS_URL##*:}" --state-dir "$D"
	[ "${lines[0]}" = "sandbox running (pid $(cat "$D/sandbox.pid"))" ]
}

@test "up again after down keeps the CA and the admin token" {
	up_in "$D"
	ca=$(cat "$D/ca.crt")
	tok=$(cat "$D/admin.token")
	maasctl sandbox down --state-dir "$D" >/dev/null
	up_in "$D"
	[ "$(cat "$D/ca.crt")" = "$ca" ]
	[ "$(cat "$D/admin.token")" = "$tok" ]
}

@test "up --plain serves HTTP" {
	up_in "$D" --plain
	[[ $SANDBOX_API_URL == http://127.0.0.1:* ]]
	run -0 --separate-stderr curl -sS --noproxy '*' "$SANDBOX_API_URL/healthz"
	[ "$output" = ok ]
	! grep -q certificate-authority-data "$D/kubeconfig"
	grep -q "server: http://127.0.0.1:" "$D/kubeconfig"
	run -0 --separate-stderr maasctl sandbox env --state-dir "$D"
	[ "${lines[1]}" = "export MAAS_URL='$SANDBOX_MAAS_URL'" ]
	[[ $SANDBOX_MAAS_URL == http://* ]]
}

@test "up fails cleanly and shows the log when the daemon cannot start" {
	mkdir -p "$D/server.crt/blocked"
	STARTED+=("$D")
	run -1 --separate-stderr maasctl sandbox up --port 0 --gateway-port 0 --state-dir "$D"
	[ -z "$output" ]
	[[ $stderr == *"last lines of $D/sandbox.log:"* ]]
	[[ $stderr == *"  | maasctl: cannot write $D/server.crt: "* ]]
	[ "${stderr_lines[-1]}" = "maasctl: the sandbox daemon exited with status 1 before it answered" ]
	run -1 maasctl sandbox status --state-dir "$D"
}

@test "reset --yes stops a running sandbox first" {
	up_in "$D"
	pid=$SANDBOX_PID
	run -0 --separate-stderr maasctl sandbox reset --yes --state-dir "$D"
	[ "${lines[0]}" = "sandbox stopped (pid $pid)" ]
	[ "${lines[1]}" = "sandbox state deleted: $D" ]
	! sandbox_pid_alive "$pid"
	[ ! -e "$D" ]
}

@test "serve runs in the foreground, logs to stderr and stops on SIGTERM" {
	"$MAASCTL" sandbox serve --port 0 --gateway-port 0 --state-dir "$D" \
	    >"$BATS_TEST_TMPDIR/serve.out" 2>"$BATS_TEST_TMPDIR/serve.err" &
	pid=$!
	for _ in $(seq 100); do
		[ -s "$D/sandbox.json" ] && break
		sleep 0.1
	done
	[ "$(sandbox_json_field "$D/sandbox.json" pid)" = "$pid" ]
	run -0 maasctl sandbox status --state-dir "$D"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" = 0 ]
	[ -s "$BATS_TEST_TMPDIR/serve.err" ]
	[ ! -e "$D/sandbox.pid" ]
}
