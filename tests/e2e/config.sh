#!/bin/bash
# config.sh - the configuration file as admins meet it: `faxctl config check` accepts the sample,
# names file and line for mistakes, and the key reference in docs/ matches the key table.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
faxctl=${FAXGATE_BUILD:-$top/build}/bin/faxctl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$faxctl" config check "$top/conf/faxgate.conf" | grep -q ': OK$' || fail "sample config rejected"

# Every key of the table is in the sample and in the reference document, and the reference is current.
"$faxctl" config reference >"$tmp/ref.md"
keys=$(sed -n 's/^| `\([a-z_0-9]*\)` |.*/\1/p' "$tmp/ref.md")
[ "$(echo "$keys" | wc -l)" -ge 20 ] || fail "reference lists too few keys"
for k in $keys; do
	grep -Eq "^#?$k = " "$top/conf/faxgate.conf" || fail "key $k missing from conf/faxgate.conf"
done
sed -n '/<!-- BEGIN KEYS -->/,/<!-- END KEYS -->/p' "$top/docs/configuration.md" | sed '1d;$d' >"$tmp/doc.md"
diff -u "$tmp/ref.md" "$tmp/doc.md" || fail "docs/configuration.md is out of date: run faxctl config reference"

# Mistakes are errors naming file and line, with a non-zero exit.
printf 'log_level = info\n\nrender_bogus = 1\n' >"$tmp/a.conf"
if "$faxctl" config check "$tmp/a.conf" 2>"$tmp/err"; then fail "unknown key accepted"; fi
grep -q "$tmp/a.conf:3: unknown key 'render_bogus'" "$tmp/err" || fail "unknown key: $(cat "$tmp/err")"

printf 'render_max_pages = 0\n' >"$tmp/b.conf"
if "$faxctl" config check "$tmp/b.conf" 2>"$tmp/err"; then fail "out-of-range value accepted"; fi
grep -q "b.conf:1: render_max_pages: 0 is out of range" "$tmp/err" || fail "range: $(cat "$tmp/err")"

printf 'render_resolution = ultra\n' >"$tmp/c.conf"
if "$faxctl" config check "$tmp/c.conf" 2>"$tmp/err"; then fail "bad choice accepted"; fi
grep -q "c.conf:1: render_resolution: 'ultra' is not one of standard|fine|superfine" "$tmp/err" || fail "choice"

if "$faxctl" config check "$tmp/missing.conf" 2>"$tmp/err"; then fail "missing file accepted"; fi
grep -q "cannot read" "$tmp/err" || fail "missing file message"

# SIP: the trunks and addresses are checked by every program, so by config check too, naming the
# trunk and the problem; a list over several lines is one value.
printf 'line_driver = sip\nsip_trunks = carrier:host=sip.example.net;user=u;registrar=sip.example.net \\\n  pbx:host=192.0.2.5:5080;codecs=pcma\n' >"$tmp/sip.conf"
"$faxctl" config check "$tmp/sip.conf" 2>"$tmp/err" | grep -q ': OK$' || fail "good SIP trunks refused: $(cat "$tmp/err")"
printf 'line_driver = sip\nsip_trunks = a:host=x \\\n  b:host=y;channels=0\n' >"$tmp/sip1.conf"
if "$faxctl" config check "$tmp/sip1.conf" 2>"$tmp/err"; then fail "bad trunk accepted"; fi
grep -q "sip1.conf: sip_trunks: trunk b: channels '0' must be 1..2000" "$tmp/err" || fail "bad trunk: $(cat "$tmp/err")"
printf 'line_driver = sip\n' >"$tmp/sip2.conf"
if "$faxctl" config check "$tmp/sip2.conf" 2>"$tmp/err"; then fail "sip without trunks accepted"; fi
grep -q "sip2.conf: line_driver = sip needs sip_trunks" "$tmp/err" || fail "sip without trunks: $(cat "$tmp/err")"
printf 'sip_listen = [::]:5060\n' >"$tmp/sip3.conf"
if "$faxctl" config check "$tmp/sip3.conf" 2>"$tmp/err"; then fail "IPv6 sip_listen accepted"; fi
grep -q "sip3.conf: sip_listen: '\[::\]:5060' is not IPV4ADDRESS:PORT" "$tmp/err" || fail "sip_listen: $(cat "$tmp/err")"

# A valid file changes the effective configuration.
printf 'render_paper = letter\nrender_timeout = 2m\n' >"$tmp/d.conf"
"$faxctl" -c "$tmp/d.conf" config dump >"$tmp/dump"
grep -qx 'render_paper = letter' "$tmp/dump" || fail "dump paper"
grep -qx 'render_timeout = 120s' "$tmp/dump" || fail "dump timeout"
echo "config: ok"
