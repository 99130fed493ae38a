#!/bin/bash
# render_isolation.sh - what a converter can reach on the server. A hostile RTF asks LibreOffice to
# embed a picture by its path (INCLUDEPICTURE): with render_isolate_files (the default) the picture
# planted outside the scratch folder must not reach the fax, while the same document with isolation
# off shows it (so the trick is real and the OCR sees it). A stand-in for Ghostscript then reports
# from inside the sandbox: the user (render_user when run by root), no_new_privs, whether the
# planted file is visible, and faxrender's own address-space limits (soft render_memory + 256M,
# hard render_office_memory). A bad render_user is a temporary failure with a clear error.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# The picture lives in a place converters must not see (/var/tmp), readable by anyone, as files in
# home folders often are: only the isolation keeps it out.
plant=$(mktemp -d /var/tmp/fg-plant-XXXXXX)
trap 'rm -rf "$tmp" "$plant"' EXIT
chmod 755 "$plant"
convert -size 1600x420 xc:white -font DejaVu-Sans-Bold -pointsize 230 -fill black \
	-annotate +40+300 ZEBRA -units PixelsPerInch -density 300 "$plant/secret.png" || fail "cannot draw the planted picture"
chmod 644 "$plant/secret.png"
sed "s|@PICTURE@|$plant/secret.png|" "$fixtures/isolation/include-picture.rtf.in" >"$tmp/include-picture.rtf"

# Control: isolation off, the field pulls the picture in.
FAXCTL_CONF=$(conf open "render_isolate_files = no") render_ok "$tmp/open.tif" "$tmp/include-picture.rtf"
ocr "$tmp/open.tif" 1 "$tmp/open.txt"
grep -q ZEBRA "$tmp/open.txt" ||
	fail "control: without isolation the planted picture should show; OCR read: $(cat "$tmp/open.txt")"
open_ink=$(field "$tmp/open.tif" 1 black)

# Default: isolated, the picture is gone, the text is still there.
render_ok "$tmp/closed.tif" "$tmp/include-picture.rtf"
ocr "$tmp/closed.tif" 1 "$tmp/closed.txt"
grep -qi 'converter' "$tmp/closed.txt" || fail "the document's own text is missing: $(cat "$tmp/closed.txt")"
if grep -q ZEBRA "$tmp/closed.txt"; then
	fail "the planted picture outside the scratch folder reached the fax"
fi
closed_ink=$(field "$tmp/closed.tif" 1 black)
awk -v a="$closed_ink" -v b="$open_ink" 'BEGIN { exit !(a + 0 < b + 0) }' ||
	fail "ink with isolation ($closed_ink) is not below ink without ($open_ink)"
note "INCLUDEPICTURE: picture shown without isolation (ink $open_ink), hidden with it (ink $closed_ink)"

# What a converter sees from inside: a stand-in for Ghostscript reports, its output goes to the
# debug log. It lives in our scratch folder, which converters see only because it is configured.
chmod 755 "$tmp"
cat >"$tmp/fake-gs" <<SH
#!/bin/sh
echo "fg-uid=\$(id -u)"
echo "fg-nnp=\$(awk '/^NoNewPrivs/ { print \$2 }' /proc/self/status)"
if cat "$plant/secret.png" >/dev/null 2>&1; then echo fg-plant=visible; else echo fg-plant=hidden; fi
echo "fg-as=\$(awk '/^Max address space/ { print \$4 "/" \$5 }' /proc/\$PPID/limits)"
exit 1
SH
chmod 755 "$tmp/fake-gs"
FAXCTL_CONF=$(conf probe "render_ghostscript = $tmp/fake-gs" "log_level = debug" "render_memory = 512M" \
	"render_office_memory = 2048M") render "$tmp/probe.tif" "$fixtures/doc.ps"
grep -q 'fg-uid=' "$tmp/stderr" || fail "the stand-in for Ghostscript did not run: $(tail -n 20 "$tmp/stderr")"
if [ "$(id -u)" = 0 ]; then
	grep -q "fg-uid=$(id -u nobody)\b" "$tmp/stderr" || fail "converter not run as render_user nobody: $(grep fg-uid "$tmp/stderr")"
else
	grep -q "fg-uid=$(id -u)\b" "$tmp/stderr" || fail "converter uid: $(grep fg-uid "$tmp/stderr")"
fi
grep -q 'fg-nnp=1' "$tmp/stderr" || fail "no_new_privs not set: $(grep fg-nnp "$tmp/stderr")"
grep -q 'fg-plant=hidden' "$tmp/stderr" || fail "the planted file is visible to converters"
# The limits are faxrender's own; sanitizer builds put none on it (see sandbox_can_limit_memory).
if grep -q __asan_init "$build/libexec/faxrender"; then
	note "AddressSanitizer build: faxrender's address-space limits not checked"
else
	grep -q "fg-as=$((512 * 1048576 + 256 * 1048576))/$((2048 * 1048576))\b" "$tmp/stderr" ||
		fail "faxrender's address-space limits: $(grep fg-as "$tmp/stderr")"
fi

# render_user must exist and must not be root; either mistake is the server's (exit 4, logged).
if [ "$(id -u)" = 0 ]; then
	for u in fg-no-such-user root; do
		FAXCTL_CONF=$(conf user "render_user = $u") render "$tmp/x.tif" "$fixtures/text-2p.pdf"
		[ "$rc" -eq 4 ] || fail "render_user = $u: exit $rc instead of 4; $(cat "$tmp/stderr")"
		grep -q "render_user \"$u\"" "$tmp/stderr" || fail "render_user = $u: not named: $(cat "$tmp/stderr")"
	done
fi

echo "render_isolation: ok"
