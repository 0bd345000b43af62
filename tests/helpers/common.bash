# common.bash: shared set-up for every bats suite.
# Load with: load ../helpers/common
bats_require_minimum_version 1.5.0

: "${MAASCTL:?MAASCTL must point at the maasctl binary (tests/run sets it)}"
export NO_COLOR=1

# maasctl: run the binary under test.
maasctl() { "$MAASCTL" "$@"; }

# Give every test its own HOME and XDG dirs, so no user state leaks in or out.
common_setup() {
	TEST_HOME=$(mktemp -d "${BATS_TMPDIR:-/tmp}/maasctl-home.XXXXXX")
	export HOME=$TEST_HOME XDG_CONFIG_HOME=$TEST_HOME/.config \
	    XDG_STATE_HOME=$TEST_HOME/.local/state XDG_CACHE_HOME=$TEST_HOME/.cache
	unset KUBECONFIG MAASCTL_PROFILE MAAS_URL MAAS_TOKEN OPENAI_API_KEY OPENAI_BASE_URL
}

common_teardown() {
	[ -n "${TEST_HOME:-}" ] && rm -rf "$TEST_HOME"
}
