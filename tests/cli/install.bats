#!/usr/bin/env bats
# install.bats: `make install` with DESTDIR puts every file where it belongs.
load ../helpers/common

setup() { common_setup; }
teardown() { common_teardown; }

@test "make install DESTDIR=... installs binary, man pages and completions" {
	root="$BATS_TEST_DIRNAME/../.."
	dest="$TEST_HOME/dest"
	run -0 make -s -C "$root" install DESTDIR="$dest" PREFIX=/usr BUILD="${BUILD:-build}" \
	    SANITIZE="${SANITIZE:-0}"
	[ -x "$dest/usr/bin/maasctl" ]
	[ -L "$dest/usr/bin/kubectl-maas" ]
	[ -x "$dest/usr/bin/kubectl_complete-maas" ]
	[ -f "$dest/usr/share/man/man1/maasctl.1" ]
	grep -q '_maasctl_complete' "$dest/usr/share/bash-completion/completions/maasctl"
	grep -q '#compdef maasctl' "$dest/usr/share/zsh/vendor-completions/_maasctl"
	grep -q 'complete -c maasctl' "$dest/usr/share/fish/vendor_completions.d/maasctl.fish"
	run -0 make -s -C "$root" uninstall DESTDIR="$dest" PREFIX=/usr BUILD="${BUILD:-build}"
	[ ! -e "$dest/usr/bin/maasctl" ]
	[ ! -e "$dest/usr/share/man/man1/maasctl.1" ]
}
