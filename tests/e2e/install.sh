#!/bin/bash
# install.sh - `make install` honours PREFIX and DESTDIR and installs a working faxctl: it finds its
# helper and the cover template beside itself (bin/../lib/faxgate, bin/../share/faxgate) and renders.
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
# The installed faxctl renders a document with a cover page, with nothing from the build tree.
"$tmp/root/opt/fg/bin/faxctl" -c "$tmp/root/opt/fg/etc/faxgate/faxgate.conf" render -o "$tmp/out.tif" \
	--cover to_name=Installed "$top/tests/fixtures/text-2p.pdf" >"$tmp/render.log" 2>&1 ||
	fail "installed faxctl cannot render: $(cat "$tmp/render.log")"
pages=$("$build/tools/pagecmp" --info "$tmp/out.tif" | awk '$1 == "pages" { print $2 }')
[ "$pages" = 3 ] || fail "installed faxctl rendered $pages pages instead of 3 (cover + 2)"
# Nothing may land outside DESTDIR.
[ ! -e /opt/fg ] || fail "installed outside DESTDIR"
# An existing configuration is never overwritten.
echo "render_paper = letter" >"$tmp/root/opt/fg/etc/faxgate/faxgate.conf"
make -s -C "$top" B="$build" install DESTDIR="$tmp/root" PREFIX=/opt/fg >/dev/null 2>&1 || fail "second install"
grep -q letter "$tmp/root/opt/fg/etc/faxgate/faxgate.conf" || fail "configuration overwritten"
echo "install: ok"
