# scripted.bash: what the suites against the scripted API server (the
# responder) alone share; they load this instead of common and responder
# and writing the same setup and teardown:
#	load ../helpers/scripted
#
#   setup / teardown	a test home per test; the responder stopped after
#	each test (a suite may define its own after loading this).
#   J			a script line: a JSON reply's Content-Type header.
#   scripted_ctl ARGS...	maasctl against the responder, token "t".

load "${BASH_SOURCE[0]%/*}/common"
load "${BASH_SOURCE[0]%/*}/responder"

# shellcheck disable=SC2034 # used by the suites' scripts
J='header Content-Type: application/json'

setup() { common_setup; }
teardown() {
	responder_stop
	common_teardown
}

scripted_ctl() {
	maasctl --server "http://127.0.0.1:$RESPONDER_PORT" --token t "$@"
}
