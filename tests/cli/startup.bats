#!/usr/bin/env bats
# startup.bats: what a command loads.  maasctl links neither libcurl,
# SQLite nor libedit (common/lazylib.h): a kube command against the
# sandbox maps none of them, `version` loads them only for -o json|yaml,
# the sandbox opens SQLite and a proxied request libcurl when they run.
bats_require_minimum_version 1.5.0

load ../helpers/common
load ../helpers/sandbox

setup_file() { sandbox_start; }
teardown_file() { sandbox_stop; }
setup() { common_setup; sandbox_use; }
teardown() { common_teardown; }

@test "maasctl is not linked with libcurl, SQLite or libedit" {
	run -0 ldd "$MAASCTL"
	[[ "$output" != *libcurl* ]]
	[[ "$output" != *libsqlite3* ]]
	[[ "$output" != *libedit* ]]
	[[ "$output" == *libssl* ]]
}

@test "a kube command loads none of the lazily loaded libraries" {
	run -0 maasctl subscription list -A
	LD_DEBUG=files run -0 --separate-stderr "$MAASCTL" subscription list -A
	[[ "$stderr" == *"file=libssl.so.3"* ]]
	[[ "$stderr" != *libcurl* ]]
	[[ "$stderr" != *libsqlite3* ]]
	[[ "$stderr" != *libedit* ]]
}

@test "a command's requests to one server share one connection" {
	run -0 --separate-stderr "$MAASCTL" -v 9 status
	# -v 9 traces each TCP connection opened ("* Connected to").
	[ "$(grep -c '^GET .* 200 in ' <<<"$stderr")" -ge 2 ]
	[ "$(grep -c '^\* Connected to ' <<<"$stderr")" -eq 1 ]
}

@test "version: the text form loads nothing more; -o json reports every library" {
	LD_DEBUG=files run -0 --separate-stderr "$MAASCTL" version
	[[ "$stderr" != *libcurl* && "$stderr" != *libsqlite3* ]]
	[[ "$output" == *"libcurl   not loaded (libcurl.so.4, loaded when needed)"* ]]
	[[ "$output" == *"sqlite    not loaded (libsqlite3.so.0, loaded when needed)"* ]]
	run -0 --separate-stderr "$MAASCTL" version -o json
	[[ "$output" =~ \"libcurl\":\ \"[0-9]+\.[0-9]+ ]]
	[[ "$output" =~ \"sqlite\":\ \"3\.[0-9]+ ]]
}

@test "SQLite that cannot be loaded: the sandbox fails with one error naming it" {
	mkdir -p "$BATS_TEST_TMPDIR/lib"
	: >"$BATS_TEST_TMPDIR/lib/libsqlite3.so.0"
	LD_LIBRARY_PATH="$BATS_TEST_TMPDIR/lib" run -1 --separate-stderr timeout 60 "$MAASCTL" \
		sandbox up --port 0 --gateway-port 0 --state-dir "$BATS_TEST_TMPDIR/sbx" --foreground
	[[ "$stderr" == *"maasctl: cannot load libsqlite3.so.0: "* ]]
	[[ "$stderr" == *"hint: install the libsqlite3-0 package (SQLite, for the sandbox)"* ]]
}
