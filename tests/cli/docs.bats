#!/usr/bin/env bats
# docs.bats: every command's --help agrees with its man page synopsis, and
# the man pages are well-formed mdoc.
load ../helpers/common

setup() { common_setup; }
teardown() { common_teardown; }

MAN_DIR="$BATS_TEST_DIRNAME/../../man"

# The SYNOPSIS of a man page as plain text, whitespace folded.
synopsis() {
	mandoc -T ascii -O width=1000 "$1" | sed 's/.\x08//g' |
	    sed -n '/^SYNOPSIS/,/^[A-Z]/p' | tr -s ' \n' '  '
}

@test "every command's --help first line is its usage line" {
	run -0 maasctl __commands
	[ -n "$output" ]
	while IFS=$'\t' read -r path usage; do
		want="Usage: $path${usage:+ $usage}"
		# shellcheck disable=SC2086
		got=$("$MAASCTL" ${path#maasctl } --help)
		got=${got%%$'\n'*}
		[ "$got" = "$want" ] || { echo "help: '$got' != '$want'"; return 1; }
	done <<<"$output"
}

@test "every command's usage line is in its man page SYNOPSIS" {
	command -v mandoc >/dev/null || skip "mandoc not installed"
	run -0 maasctl __commands
	# One rendering per page, not one per command of its group.
	declare -A syns=()
	while IFS=$'\t' read -r path usage; do
		set -- $path
		page="$MAN_DIR/maasctl-$2.1"
		[ -f "$page" ] || page="$MAN_DIR/maasctl.1"
		read -ra words <<<"$path $usage"
		want=${words[*]}
		[ -n "${syns[$page]+set}" ] || syns[$page]=$(synopsis "$page")
		syn=${syns[$page]}
		[[ $syn == *"$want"* ]] || { echo "'$want' not in SYNOPSIS of $page: $syn"; return 1; }
	done <<<"$output"
}

@test "every man page passes mandoc -T lint at warning level" {
	command -v mandoc >/dev/null || skip "mandoc not installed"
	for page in "$MAN_DIR"/*.1; do
		run mandoc -T lint -W warning "$page"
		[ -z "$output" ] || { echo "$output"; return 1; }
	done
}

@test "maasctl(1) documents every exit status of err.h" {
	for code in 0 1 2 3 4 5 6 7 8 130; do
		grep -q "^\.It $code\$" "$MAN_DIR/maasctl.1" || { echo "exit $code undocumented"; return 1; }
	done
}
