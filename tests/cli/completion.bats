#!/usr/bin/env bats
# completion.bats: `completion bash|zsh|fish` and the __complete protocol.
load ../helpers/common

setup() { common_setup; }
teardown() { common_teardown; }

@test "__complete lists root commands with descriptions and directive 4" {
	run -0 --separate-stderr maasctl __complete ''
	[[ $output == *$'version\tShow the version of maasctl and its libraries'* ]]
	[[ $output == *$'completion\t'* ]]
	[[ $output != *__complete* ]]
	[ "${lines[-1]}" = ":4" ]
	[ "$stderr" = "Completion ended with directive: ShellCompDirectiveNoFileComp" ]
}

@test "__complete filters by the typed prefix" {
	run -0 --separate-stderr maasctl __complete ver
	[ "${lines[0]}" = $'version\tShow the version of maasctl and its libraries' ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "__completeNoDesc drops descriptions" {
	run -0 --separate-stderr maasctl __completeNoDesc ver
	[ "${lines[0]}" = "version" ]
	MAASCTL_COMPLETION_DESCRIPTIONS=false run -0 --separate-stderr maasctl __complete ver
	[ "${lines[0]}" = "version" ]
}

@test "__complete lists flags of the command and the global ones" {
	run -0 --separate-stderr maasctl __complete version --
	[[ $output == *$'--output\t'* ]]
	[[ $output == *$'--kubeconfig\t'* ]]
	[[ $output == *$'--help\t'* ]]
	[[ $output != *--insecure-skip-tls-verify* ]]
	[ "${lines[-1]}" = ":4" ]
}

@test "__complete completes flag values, with and without '='" {
	run -0 --separate-stderr maasctl __complete version -o js
	[ "${lines[0]}" = "json" ]
	[ "${lines[1]}" = "jsonpath=" ]
	[ "${lines[-1]}" = ":4" ]
	run -0 --separate-stderr maasctl __complete version --output=ya
	[ "${lines[0]}" = "--output=yaml" ]
	run -0 --separate-stderr maasctl __complete version -o jsonp
	[ "${lines[0]}" = "jsonpath=" ]
	[ "${lines[-1]}" = ":6" ]
}

@test "__complete leaves file values to the shell (directive 0)" {
	run -0 --separate-stderr maasctl __complete --kubeconfig ''
	[ "${lines[-1]}" = ":0" ]
	[ "${#lines[@]}" -eq 1 ]
}

@test "__complete completes positional arguments from the command" {
	run -0 --separate-stderr maasctl __complete completion ''
	[ "${lines[0]}" = "bash" ] && [ "${lines[1]}" = "zsh" ] && [ "${lines[2]}" = "fish" ]
	run -0 --separate-stderr maasctl __complete help ve
	[ "${lines[0]}" = "version" ]
}

@test "__complete on an unknown command returns the error directive" {
	run -0 --separate-stderr maasctl __complete nosuch ''
	[ "$output" = ":1" ]
}

@test "completion with an unknown shell fails with exit 2" {
	run -2 --separate-stderr maasctl completion tcsh
	[ "$stderr" = 'maasctl: completion: unsupported shell "tcsh" (want bash, zsh or fish)' ]
}

# Source the bash shim and run its completion function as bash would.
bash_complete() {
	PATH=$(dirname "$MAASCTL"):$PATH bash --norc --noprofile -c '
		source <(maasctl completion bash)
		COMP_LINE=$1 COMP_POINT=${#1}
		read -r -a COMP_WORDS <<<"$COMP_LINE"
		[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
		_maasctl_complete
		printf "%s\n" "${COMPREPLY[@]}"
	' _ "$1"
}

@test "bash shim registers and completes commands" {
	run -0 bash --norc --noprofile -c 'source <("$MAASCTL" completion bash); complete -p maasctl'
	[ "$output" = "complete -o default -F _maasctl_complete maasctl" ]
	run -0 bash_complete "maasctl ver"
	[ "$output" = "version" ]
}

@test "bash shim completes flags and flag values" {
	run -0 bash_complete "maasctl version --out"
	[ "$output" = "--output" ]
	run -0 bash_complete "maasctl version -o y"
	[ "$output" = "yaml" ]
	run -0 bash_complete "maasctl version --output=js"
	[ "${lines[0]}" = "json" ]
}

@test "zsh and fish shims call __complete" {
	run -0 maasctl completion zsh
	[ "${lines[0]}" = "#compdef maasctl" ]
	[[ $output == *"maasctl __complete"* && $output == *"compdef _maasctl maasctl"* ]]
	run -0 maasctl completion fish
	[[ $output == *"maasctl __complete"* && $output == *"complete -c maasctl"* ]]
}

@test "zsh shim parses (zsh -n); scripts/install-deps installs zsh" {
	maasctl completion zsh >"$TEST_HOME/_maasctl"
	run -0 zsh -n "$TEST_HOME/_maasctl"
}

@test "fish shim parses (fish -n); scripts/install-deps installs fish" {
	maasctl completion fish >"$TEST_HOME/maasctl.fish"
	run -0 fish -n "$TEST_HOME/maasctl.fish"
}

@test "zsh shim registers _maasctl for maasctl in a real zsh" {
	maasctl completion zsh >"$TEST_HOME/_maasctl"
	cat >"$TEST_HOME/drive.zsh" <<ZEOF
autoload -Uz compinit && compinit -u -d "$TEST_HOME/zcompdump"
source "$TEST_HOME/_maasctl"
print -r -- \$+functions[_maasctl]
print -r -- \${_comps[maasctl]}
ZEOF
	run -0 zsh -f "$TEST_HOME/drive.zsh"
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = _maasctl ]
}
