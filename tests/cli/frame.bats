#!/usr/bin/env bats
# frame.bats: the command frame: help, version, dispatch, flags, exit codes.
load ../helpers/common

setup() { common_setup; }
teardown() { common_teardown; }

@test "no arguments prints help and exits 0" {
	run -0 maasctl
	[[ $output == *"Usage: maasctl [global options] <command>"* ]]
	[[ $output == *"Commands:"* ]]
	[[ $output == *"Global options:"* ]]
}

@test "--help and help agree" {
	run -0 maasctl --help
	a=$output
	run -0 maasctl help
	[ "$output" = "$a" ]
}

@test "help COMMAND prints the command's help" {
	run -0 maasctl help version
	[ "${lines[0]}" = "Usage: maasctl version [-o json|yaml]" ]
	run -0 maasctl version --help
	[ "${lines[0]}" = "Usage: maasctl version [-o json|yaml]" ]
}

@test "help of an unknown command fails with exit 2" {
	run -2 --separate-stderr maasctl help nosuch
	[ "$stderr" = $'error: unknown command "nosuch" for "maasctl"\nhint: run \'maasctl --help\' for the list of commands' ]
}

@test "unknown command: kubectl's message, exit 2, nothing on stdout" {
	run -2 --separate-stderr maasctl frobnicate
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = 'error: unknown command "frobnicate" for "maasctl"' ]
}

@test "commands are never matched by prefix" {
	run -2 --separate-stderr maasctl vers
	[ "${stderr_lines[0]}" = 'error: unknown command "vers" for "maasctl"' ]
}

@test "unknown flag names the flag and the help to read, exit 2" {
	run -2 --separate-stderr maasctl version --bogus
	[ "${stderr_lines[0]}" = "maasctl: unknown flag: --bogus" ]
	[ "${stderr_lines[1]}" = "hint: see 'maasctl version --help'" ]
}

@test "unknown shorthand flag, exit 2" {
	run -2 --separate-stderr maasctl version -Z
	[ "${stderr_lines[0]}" = "maasctl: unknown shorthand flag: 'Z' in -Z" ]
}

@test "flag missing its value, exit 2" {
	run -2 --separate-stderr maasctl version --output
	[ "${stderr_lines[0]}" = "maasctl: flag needs an argument: --output" ]
}

@test "bad typed values are usage errors" {
	run -2 --separate-stderr maasctl version -v x
	[ "${stderr_lines[0]}" = 'maasctl: invalid value "x" for --verbose: not an integer' ]
	run -2 --separate-stderr maasctl version --timeout 5q
	[[ ${stderr_lines[0]} == 'maasctl: invalid value for --timeout: invalid duration "5q": unknown unit'* ]]
	run -2 --separate-stderr maasctl version -v 11
	[ "${stderr_lines[0]}" = 'maasctl: invalid value 11 for --verbose: must be from 0 to 10' ]
}

@test "too many arguments, exit 2" {
	run -2 --separate-stderr maasctl version extra
	[ "${stderr_lines[0]}" = 'maasctl: version: unexpected argument "extra"' ]
	[ "${stderr_lines[1]}" = 'hint: usage: maasctl version [-o json|yaml]' ]
}

@test "version prints maasctl and library versions" {
	run -0 maasctl version
	[[ ${lines[0]} =~ ^maasctl\ [0-9]+\.[0-9]+\.[0-9]+.*\(commit\ ([0-9a-f]+|unknown)\)$ ]]
	[[ $output == *libcurl* && $output == *openssl* && $output == *libyaml* && $output == *cjson* ]]
}

@test "version -o json is a complete JSON object" {
	run -0 --separate-stderr maasctl version -o json
	[ -z "$stderr" ]
	[[ $output == *'"version": "'* ]]
	[[ $output == *'"gitCommit": "'* ]]
	for lib in libcurl openssl libyaml cjson; do
		[[ $output == *"\"$lib\": \""* ]]
	done
	if command -v python3 >/dev/null; then
		python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["libraries"]["libcurl"]' <<<"$output"
	fi
}

@test "version -o yaml prints the same fields as YAML" {
	run -0 --separate-stderr maasctl version -o yaml
	[[ ${lines[0]} == "gitCommit: "* ]]
	[[ $output == *$'\nlibraries:\n  cjson: '* ]]
	[[ $output == *$'\nversion: '* ]]
}

@test "global flags are accepted before and after the verb" {
	run -0 maasctl -o json version
	[[ $output == "{"* ]]
	run -0 maasctl version --output=json
	[[ $output == "{"* ]]
	run -0 maasctl -ojson version
	[[ $output == "{"* ]]
}

@test "an unsupported -o for version is a usage error" {
	run -2 --separate-stderr maasctl version -o xml
	[ "$stderr" = 'maasctl: version: unsupported output format "xml" (want json or yaml)' ]
}

@test "-- ends the options" {
	run -2 --separate-stderr maasctl version -- --bogus
	[ "${stderr_lines[0]}" = 'maasctl: version: unexpected argument "--bogus"' ]
}

@test "a command missing its argument says so, exit 2" {
	run -2 --separate-stderr maasctl completion
	[ "${stderr_lines[0]}" = "maasctl: completion: missing argument" ]
	[ "${stderr_lines[1]}" = "hint: usage: maasctl completion bash|zsh|fish" ]
}

@test "writing to a closed pipe does not crash" {
	run -0 bash -c '"$MAASCTL" help | head -c 1 >/dev/null'
}
