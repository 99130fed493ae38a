#!/bin/bash
# job_tiff.sh - `faxctl job ID --tiff OUT.tif`: a queued job's pages come out of the database as a
# fax TIFF whose strips are the stored MMR pages byte for byte, with the job's resolution, and a
# spandsp terminal accepts the file. Real pages: a fax rendered by faxctl, stored by queue_add -f.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
queue_add=$build/tools/queue_add
[ -x "$queue_add" ] || fail "$queue_add is not built"

# strips TIFF: one line a page, "N HEX" with the page's one strip as it is in the file
strips() {
	python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
e = {b'II': '<', b'MM': '>'}[d[:2]]
off, n = struct.unpack(e + 'I', d[4:8])[0], 0
while off:
    cnt = struct.unpack(e + 'H', d[off:off + 2])[0]
    tags = {}
    for i in range(cnt):
        tag, typ, num, val = struct.unpack(e + 'HHI4s', d[off + 2 + 12 * i:off + 14 + 12 * i])
        if tag in (273, 279):  # StripOffsets, StripByteCounts: one strip, SHORT or LONG
            assert num == 1 and typ in (3, 4), 'page %d has %d strips' % (n + 1, num)
            tags[tag] = struct.unpack(e + ('H' if typ == 3 else 'I'), val[:2 if typ == 3 else 4])[0]
    n += 1
    s, ln = tags[273], tags[279]
    print(n, d[s:s + ln].hex().upper())
    off = struct.unpack(e + 'I', d[off + 2 + 12 * cnt:off + 6 + 12 * cnt])[0]
PY
}

cfg=$(conf job "db_path = $tmp/queue.db")
"$faxctl" -c "$cfg" db upgrade >/dev/null || fail "faxctl db upgrade"

render_ok "$tmp/src.tif" --resolution fine --paper a4 --cover to_name="Jane Doe" --cover to_fax=+49301234100 \
	"$fixtures/text-2p.pdf" "$fixtures/photo.jpg"
n=$(pages_of "$tmp/src.tif")
id=$("$queue_add" -c "$cfg" -f "$tmp/src.tif" +49301234100) || fail "queue_add -f failed"
note "job $id holds the $n pages of a rendered fax"

out=$("$faxctl" -c "$cfg" job --tiff "$tmp/out.tif" "$id") || fail "faxctl job --tiff exited $?"
assert_eq "$out" "$tmp/out.tif: $n pages, fine, a4 (job $id)" "faxctl job --tiff says"
assert_fax "$tmp/out.tif" "$n" fine a4

# The strips are the stored pages, byte for byte, in order.
sqlite3 "$tmp/queue.db" "SELECT seq, hex(data) FROM pages WHERE job_id = $id ORDER BY seq" | tr '|' ' ' >"$tmp/stored"
[ "$(wc -l <"$tmp/stored")" = "$n" ] || fail "the database holds $(wc -l <"$tmp/stored") pages of job $id, not $n"
strips "$tmp/out.tif" >"$tmp/written" || fail "cannot read the strips of out.tif"
cmp -s "$tmp/stored" "$tmp/written" || fail "the TIFF's strips differ from the stored pages"
strips "$tmp/src.tif" >"$tmp/rendered" || fail "cannot read the strips of src.tif"
cmp -s "$tmp/rendered" "$tmp/written" || fail "the TIFF's strips differ from the rendered fax"
"$pagecmp" --tolerance 0 "$tmp/src.tif" "$tmp/out.tif" >/dev/null || fail "pages differ from the rendered fax"
tiffinfo "$tmp/out.tif" >"$tmp/tiffinfo" 2>&1 || fail "tiffinfo: $(cat "$tmp/tiffinfo")"
[ "$(grep -c 'Compression Scheme: CCITT Group 4' "$tmp/tiffinfo")" = "$n" ] || fail "tiffinfo: $(cat "$tmp/tiffinfo")"
grep -qi 'warning\|error' "$tmp/tiffinfo" && fail "tiffinfo complains: $(cat "$tmp/tiffinfo")"
note "strips identical to the stored pages; tiffinfo: $n pages, CCITT Group 4"
assert_b2b "$tmp/out.tif"
note "fax_b2b: sent and received unchanged"

# A standard-resolution job keeps its resolution.
render_ok "$tmp/std.tif" --resolution standard "$fixtures/text-2p.pdf"
id2=$("$queue_add" -c "$cfg" -f "$tmp/std.tif") || fail "queue_add -f standard failed"
"$faxctl" -c "$cfg" job --tiff "$tmp/std-out.tif" "$id2" >/dev/null || fail "faxctl job --tiff (standard)"
assert_fax "$tmp/std-out.tif" "$(pages_of "$tmp/std.tif")" standard a4

# Failures: a clear message, exit 1 (2 for the command line), and no file.
rc=0
"$faxctl" -c "$cfg" job --tiff "$tmp/none.tif" 999999 >/dev/null 2>"$tmp/err" || rc=$?
assert_eq "$rc" 1 "job --tiff of a missing job: exit"
grep -q 'no job 999999' "$tmp/err" || fail "missing job message: $(cat "$tmp/err")"
[ ! -e "$tmp/none.tif" ] || fail "a file was written for a missing job"
rc=0
"$faxctl" -c "$cfg" job --tiff "$tmp/no/such/dir/x.tif" "$id" >/dev/null 2>"$tmp/err" || rc=$?
assert_eq "$rc" 1 "job --tiff into a missing folder: exit"
grep -q "$tmp/no/such/dir/x.tif" "$tmp/err" || fail "unwritable path message: $(cat "$tmp/err")"
rc=0
"$faxctl" -c "$cfg" job "$id" --tiff >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 2 "job --tiff without a file: exit"
ls "$tmp" | grep -q '\.tif\.' && fail "temporary files left behind: $(ls "$tmp")"
echo "job_tiff: ok"
