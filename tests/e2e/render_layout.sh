#!/bin/bash
# render_layout.sh - how rendered pages are laid out: row counts per resolution and paper, blank
# ends chopped and blank pages dropped (and kept when configured so), a fax-compatible TIFF passed
# through untouched, inputs kept in order, a cover page put first, and text that stays readable
# (OCR) while photos are halftoned rather than thresholded.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$fixtures"

# --- full-length page at every resolution and paper: exactly the paper's rows ---
for paper in a4 letter; do
	for res in standard fine superfine; do
		render_ok "$tmp/f.tif" --resolution "$res" --paper "$paper" footer.pdf
		assert_fax "$tmp/f.tif" 1 "$res" "$paper"
		assert_eq "$(field "$tmp/f.tif" 1 height)" "${full_height[$paper-$res]}" "footer.pdf $paper $res rows"
	done
done
note "full pages: a4 1143/2287/4574 and letter 1076/2151/4303 rows"

# --- the same text at three resolutions: rows scale 1:2:4 (within 1 %) ---
declare -A h
for res in standard fine superfine; do
	render_ok "$tmp/r.tif" --resolution "$res" half-page.pdf
	h[$res]=$(field "$tmp/r.tif" 1 height)
done
assert_le "$(awk -v a="${h[standard]}" -v b="${h[fine]}" 'BEGIN { d = 2 * a / b - 1; print d < 0 ? -d : d }')" 0.01 \
	"standard/fine rows ${h[standard]}/${h[fine]}"
assert_le "$(awk -v a="${h[superfine]}" -v b="${h[fine]}" 'BEGIN { d = a / (2 * b) - 1; print d < 0 ? -d : d }')" 0.01 \
	"superfine/fine rows ${h[superfine]}/${h[fine]}"
note "half page rows: ${h[standard]} / ${h[fine]} / ${h[superfine]}"

# --- chopping: a third of a page of text comes out short; not when chopping is off ---
render_ok "$tmp/c.tif" half-page.pdf
assert_le "$(field "$tmp/c.tif" 1 height)" $((2287 * 6 / 10)) "half-page.pdf chopped rows"
FAXCTL_CONF=$(conf nochop "render_chop_blank_end = no") render_ok "$tmp/c.tif" half-page.pdf
assert_eq "$(field "$tmp/c.tif" 1 height)" 2287 "half-page.pdf rows with chopping off"
note "chopping: ok"

# --- blank pages: the blank middle page is dropped; kept when dropping is off ---
render_ok "$tmp/b.tif" blank-middle.pdf
assert_eq "$(pages_of "$tmp/b.tif")" 2 "blank-middle.pdf pages"
FAXCTL_CONF=$(conf keepblank "render_drop_blank_pages = no") render_ok "$tmp/b.tif" blank-middle.pdf
assert_eq "$(pages_of "$tmp/b.tif")" 3 "blank-middle.pdf pages with dropping off"
assert_le "$(field "$tmp/b.tif" 2 black)" 0.0001 "the kept blank page's ink"
note "blank pages: ok"

# --- a fax-compatible TIFF passes through pixel for pixel ---
render_ok "$tmp/p.tif" fax-fine.tif
"$pagecmp" --tolerance 0 fax-fine.tif "$tmp/p.tif" >"$tmp/cmp" || fail "fax-fine.tif changed: $(cat "$tmp/cmp")"
note "pass-through: identical"

# --- several inputs: in order, each rendered as on its own ---
render_ok "$tmp/one.tif" text-2p.pdf
render_ok "$tmp/img.tif" image.png
render_ok "$tmp/all.tif" half-page.pdf image.png text-2p.pdf
assert_eq "$(pages_of "$tmp/all.tif")" 4 "pages of half-page.pdf + image.png + text-2p.pdf"
assert_eq "$(field "$tmp/all.tif" 2 black)" "$(field "$tmp/img.tif" 1 black)" "page 2 is image.png"
assert_eq "$(field "$tmp/all.tif" 3 black)" "$(field "$tmp/one.tif" 1 black)" "page 3 is text-2p.pdf page 1"
assert_eq "$(field "$tmp/all.tif" 4 black)" "$(field "$tmp/one.tif" 2 black)" "page 4 is text-2p.pdf page 2"
note "order: ok"

# --- cover page: first, inked, and carrying the fields ---
render_ok "$tmp/cov.tif" --cover "to_name=Anna Lindqvist" --cover "to_company=Acme Widgets" \
	--cover "subject=Quarterly invoice" --cover "from_name=Jurgen Miller" --cover "date=2024-03-15" \
	--cover "comment=Delivery schedule attached" text-2p.pdf
assert_fax "$tmp/cov.tif" 3 fine a4
assert_ge "$(field "$tmp/cov.tif" 1 black)" 0.002 "cover page ink"
assert_eq "$(field "$tmp/cov.tif" 2 black)" "$(field "$tmp/one.tif" 1 black)" "page after the cover is text-2p.pdf page 1"
ocr "$tmp/cov.tif" 1 "$tmp/cover.txt"
found=0
for w in Lindqvist Acme Widgets Quarterly invoice Delivery schedule 2024; do
	grep -qiF "$w" "$tmp/cover.txt" && found=$((found + 1))
done
assert_ge "$found" 6 "cover words read back by OCR (of 8; OCR text: $(tr '\n' ' ' <"$tmp/cover.txt"))"
note "cover: ok ($found of 8 words read back)"

# --- text stays crisp: OCR reads the fine rendering of text-2p.pdf almost perfectly ---
pdftotext -f 1 -l 1 text-2p.pdf "$tmp/ref.txt"
ocr "$tmp/one.tif" 1 "$tmp/got.txt"
acc=$("$top/tests/tools/ocr-accuracy" "$tmp/ref.txt" "$tmp/got.txt")
assert_ge "$(echo "$acc" | awk '{ print $2 }')" 0.97 "OCR word accuracy of text-2p.pdf page 1 at fine ($acc)"
note "text OCR: $acc"

# --- photos are halftoned: a mid-grey photo is neither almost white nor almost black ---
render_ok "$tmp/ph.tif" photo.jpg
black=$(field "$tmp/ph.tif" 1 black)
assert_ge "$black" 0.05 "photo.jpg ink (all white means thresholded away)"
assert_le "$black" 0.6 "photo.jpg ink (too dark)"
note "photo: black fraction $black"

# --- grey is halftoned all the way down: grey.tif's white-to-black ramp (its top 600 of 1169
# rows, printed at full page length) may end in solid black only in its last few per cent. Bands
# of 16 rows are averaged, so that rows through the dots of a dark halftone do not count ---
render_ok "$tmp/g.tif" grey.tif
bands=$((600 * 2287 / 1169 / 16))
solid=$(convert "$tmp/g.tif[0]" -crop "1600x$((bands * 16))+64+0" +repage -scale "1x$bands!" -depth 8 gray:- |
	od -An -v -tu1 | tr -s ' ' '\n' | awk '$1 != "" && $1 < 8 { n++ } END { print n + 0 }')
assert_le "$solid" $((bands / 10)) "bands of the grey ramp in grey.tif printed solid black (of $bands)"
note "grey ramp: $solid of $bands bands solid black"

echo "render_layout: ok"
