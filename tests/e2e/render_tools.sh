#!/bin/bash
# render_tools.sh - the rendering tests' own tools can fail: pagecmp sees a one-pixel change and a
# missing page, fax_b2b refuses what a fax machine refuses (wrong width, 300 dpi, grey) and
# delivers a valid fax unchanged. Uses hand-made TIFFs only, so it runs without the engine.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

fax_page() { # OUT WIDTH YRES [convert drawing options...]
	local out=$1 w=$2 yres=$3
	shift 3
	convert -size "${w}x2287" xc:white +antialias -fill black "$@" -type bilevel -units PixelsPerInch \
		-density "204x$yres" -compress group4 "$out"
}

fax_page "$tmp/a.tif" 1728 196 -draw "rectangle 100,100 900,300" -draw "rectangle 100,2000 1600,2100"
fax_page "$tmp/b.tif" 1728 196 -draw "rectangle 100,100 900,300" -draw "rectangle 100,2000 1600,2100" \
	-draw "point 1000,1000"
convert "$tmp/a.tif" "$tmp/b.tif" -compress group4 "$tmp/ab.tif"

# pagecmp --info
info "$tmp/ab.tif"
assert_eq "$(pages_of "$tmp/ab.tif")" 2 "pages of a two-page TIFF"
assert_eq "$(field "$tmp/ab.tif" 1 width)" 1728 "width"
assert_eq "$(field "$tmp/ab.tif" 2 yres)" 196 "yres"
assert_eq "$(field "$tmp/ab.tif" 1 compression)" 4 "compression"
black=$(field "$tmp/a.tif" 1 black)
want=$(awk 'BEGIN { printf "%.6f", (801 * 201 + 1501 * 101) / (1728 * 2287) }')
assert_eq "$black" "$want" "black fraction of two rectangles"

# pagecmp compare: identical, one pixel within and beyond tolerance, page count
"$pagecmp" --tolerance 0 "$tmp/a.tif" "$tmp/a.tif" >/dev/null || fail "pagecmp: a file differs from itself"
"$pagecmp" "$tmp/a.tif" "$tmp/b.tif" >/dev/null || fail "pagecmp: one pixel beyond the default tolerance"
if "$pagecmp" --tolerance 0 "$tmp/a.tif" "$tmp/b.tif" >"$tmp/out"; then fail "pagecmp: missed a one-pixel change"; fi
grep -q "page 1: 1 of 3951936 pixels differ" "$tmp/out" || fail "pagecmp report: $(cat "$tmp/out")"
if "$pagecmp" "$tmp/a.tif" "$tmp/ab.tif" >/dev/null; then fail "pagecmp: missed a missing page"; fi
fax_page "$tmp/s.tif" 1728 98 -draw "rectangle 100,100 900,300" -draw "rectangle 100,2000 1600,2100"
if "$pagecmp" "$tmp/a.tif" "$tmp/s.tif" >/dev/null; then fail "pagecmp: missed a resolution change"; fi
convert -size 100x100 gradient: "$tmp/grey.tif"
if "$pagecmp" --info "$tmp/grey.tif" 2>/dev/null; then fail "pagecmp read a grey TIFF as bilevel"; fi
note "pagecmp: ok"

# fax_b2b: delivers a valid fax unchanged, refuses what T.30 refuses
assert_b2b "$tmp/ab.tif"
grep -q "pages sent 2 received 2 of 2" "$tmp/b2b" || fail "fax_b2b: $(cat "$tmp/b2b")"
fax_page "$tmp/w.tif" 1700 196 -draw "rectangle 100,100 900,300"
if "$fax_b2b" "$tmp/w.tif" "$tmp/rx.tif" >"$tmp/out" 2>&1; then fail "fax_b2b sent a 1700-pixel-wide page"; fi
grep -q "size of image" "$tmp/out" || fail "fax_b2b on 1700 wide: $(cat "$tmp/out")"
fax_page "$tmp/r.tif" 1728 300 -draw "rectangle 100,100 900,300"
if "$fax_b2b" "$tmp/r.tif" "$tmp/rx.tif" >"$tmp/out" 2>&1; then fail "fax_b2b sent a 300 dpi page"; fi
if "$fax_b2b" "$tmp/grey.tif" "$tmp/rx.tif" >"$tmp/out" 2>&1; then fail "fax_b2b sent a grey TIFF"; fi
note "fax_b2b: ok"

echo "render_tools: ok"
