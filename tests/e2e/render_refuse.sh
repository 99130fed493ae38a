#!/bin/bash
# render_refuse.sh - documents that must be refused, and limits: each is exit 3 (the sender must
# change something) with a message naming the attachment and saying why in plain words; a
# problem of the server itself is exit 4 (try again later); bad usage is exit 2. Nothing here may
# crash, hang or write a fax.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$fixtures"

render_refused 'password' encrypted.pdf
render_refused 'damaged|incomplete' corrupt.pdf
render_refused 'damaged|incomplete' truncated.pdf
render_refused 'empty' empty.pdf
render_refused 'too large|too big' huge-dims.png
render_refused 'cannot be faxed' random.bin

# a zipped office document that unpacks to 48 MiB, against a limit of 8 MiB
FAXCTL_CONF=$(conf unpacked "render_max_unpacked = 8M") render_refused 'unpacks' bomb.docx

# one document too many pages; then the same limit counting the pages of all documents together
FAXCTL_CONF=$(conf pages "render_max_pages = 10") render_refused 'more pages' text-12p.pdf
FAXCTL_CONF=$(conf pages3 "render_max_pages = 3") render "$tmp/x.tif" text-2p.pdf half-page.pdf image.png
[ "$rc" -eq 3 ] || fail "4 pages against render_max_pages = 3: exit $rc"
grep -qi 'more pages' "$tmp/stderr" || fail "4 pages against a limit of 3: $(cat "$tmp/stderr")"
render_ok "$tmp/x.tif" text-12p.pdf
assert_eq "$(pages_of "$tmp/x.tif")" 12 "text-12p.pdf pages under the default limit"

# a file larger than render_max_input
FAXCTL_CONF=$(conf input "render_max_input = 1024") render_refused 'larger|too large|too big' text-2p.pdf

# PostScript that loops forever, against a one-second limit: refused, and promptly
start=$(date +%s)
FAXCTL_CONF=$(conf timeout "render_timeout = 1s") render_refused 'too long' loop.ps
took=$(($(date +%s) - start))
assert_le "$took" 15 "seconds to stop a looping conversion with render_timeout = 1s"

# a document refused among good ones: the whole job is refused and the bad one is named
render "$tmp/x.tif" text-2p.pdf encrypted.pdf image.png
[ "$rc" -eq 3 ] || fail "good + encrypted + good: exit $rc"
grep -qF '"encrypted.pdf"' "$tmp/stderr" || fail "good + encrypted + good: $(cat "$tmp/stderr")"

# the server's own problem (its helper program is missing) is temporary: exit 4, not 3
FAXCTL_CONF=$(conf helper "render_helper = /nonexistent/faxrender") render "$tmp/x.tif" text-2p.pdf
[ "$rc" -eq 4 ] || fail "missing helper: exit $rc instead of 4 (temporary); $(cat "$tmp/stderr")"

# a document of endless blank pages is stopped by the page limit too, not by the clock
gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pdfwrite -sOutputFile="$tmp/blank40.pdf" -c '40 {showpage} repeat'
FAXCTL_CONF=$(conf blank "render_max_pages = 2") render_refused 'more pages' "$tmp/blank40.pdf"
grep -q 'most of them blank' "$tmp/stderr" || fail "blank pages: $(cat "$tmp/stderr")"

# options after the input are options too
"$faxctl" render text-2p.pdf -o "$tmp/late.tif" >/dev/null || fail "render IN -o OUT refused"
[ -s "$tmp/late.tif" ] || fail "render IN -o OUT wrote nothing"

# usage errors
render "$tmp/x.tif" --resolution ultra text-2p.pdf
[ "$rc" -eq 2 ] || fail "--resolution ultra: exit $rc instead of 2"
rc=0
"$faxctl" render text-2p.pdf 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "render without -o: exit $rc instead of 2"
render "$tmp/x.tif" "$tmp/does-not-exist.pdf"
[ "$rc" -ne 0 ] || fail "a missing input file was rendered"

echo "render_refuse: ok"
