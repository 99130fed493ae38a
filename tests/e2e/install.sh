#!/bin/bash
# install.sh - `make install` honours PREFIX and DESTDIR and installs a working faxctl.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${FAXGATE_BUILD:-$top/build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

make -s -C "$top" B="$build" install DESTDIR="$tmp/root" PREFIX=/opt/fg >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "make install"; }
for f in opt/fg/bin/faxctl opt/fg/sbin/faxmilter opt/fg/sbin/faxd opt/fg/sbin/faxmailgate \
	opt/fg/lib/faxgate/faxrender opt/fg/share/faxgate/cover.tmpl opt/fg/etc/faxgate/faxgate.conf; do
	[ -f "$tmp/root/$f" ] || fail "missing $f"
done
[ -x "$tmp/root/opt/fg/bin/faxctl" ] || fail "faxctl not executable"
"$tmp/root/opt/fg/bin/faxctl" config check "$tmp/root/opt/fg/etc/faxgate/faxgate.conf" >/dev/null || fail "installed config"
# Nothing may land outside DESTDIR.
[ ! -e /opt/fg ] || fail "installed outside DESTDIR"
# An existing configuration is never overwritten.
echo "render_paper = letter" >"$tmp/root/opt/fg/etc/faxgate/faxgate.conf"
make -s -C "$top" B="$build" install DESTDIR="$tmp/root" PREFIX=/opt/fg >/dev/null 2>&1 || fail "second install"
grep -q letter "$tmp/root/opt/fg/etc/faxgate/faxgate.conf" || fail "configuration overwritten"
echo "install: ok"
