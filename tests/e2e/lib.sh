# shellcheck shell=bash disable=SC2034
# lib.sh - shared by the rendering end-to-end scripts (render*.sh): where things are, a scratch
# folder removed on exit, and assertions that say what failed. Sourced, never run by itself.
#
# FAXGATE_BUILD names the build tree under test (build-san in `make check`); default: build/.
# Every assertion prints "FAIL: ..." with the evidence and exits non-zero, so a script stops at its
# first failure.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${FAXGATE_BUILD:-$top/build}
faxctl=$build/bin/faxctl
pagecmp=$build/tools/pagecmp
fax_b2b=$build/tools/fax_b2b
fixtures=$top/tests/fixtures
golden=$top/tests/golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Page heights of a full page, in rows: 297 mm (A4) or 279.4 mm (Letter) at 3.85, 7.7, 15.4 rows/mm.
declare -A full_height=([a4-standard]=1143 [a4-fine]=2287 [a4-superfine]=4574
	[letter-standard]=1076 [letter-fine]=2151 [letter-superfine]=4303)
declare -A yres_of=([standard]=98 [fine]=196 [superfine]=391)

for f in "$faxctl" "$pagecmp" "$fax_b2b"; do
	[ -x "$f" ] || { echo "FAIL: $f is not built" >&2; exit 1; }
done

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

note() {
	echo "-- $*"
}

# The configuration every test starts from: the build tree is not installed, so the cover template
# comes from the source tree.
base_conf=("render_cover_template = $top/conf/cover.tmpl" "run_user = ")
printf '%s\n' "${base_conf[@]}" >"$tmp/base.conf"

# conf NAME LINES...: write a configuration file (the base one plus LINES; a key in LINES replaces
# the base's) and print its path.
conf() {
	local f=$tmp/$1.conf line
	shift
	: >"$f"
	for line in "${base_conf[@]}"; do
		printf '%s\n' "$@" | grep -q "^${line%% =*} =" || printf '%s\n' "$line" >>"$f"
	done
	printf '%s\n' "$@" >>"$f"
	echo "$f"
}

# render OUT.tif ARGS...: run faxctl render with $FAXCTL_CONF (default: the base configuration);
# sets $rc and leaves stdout and stderr in $tmp/stdout and $tmp/stderr.
render() {
	local out=$1
	shift
	rm -f "$out"
	rc=0
	"$faxctl" -c "${FAXCTL_CONF:-$tmp/base.conf}" render -o "$out" "$@" >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
}

# render_ok OUT.tif ARGS...: render and require success and a file.
render_ok() {
	local out=$1
	render "$@"
	[ "$rc" -eq 0 ] || fail "faxctl render ${*:2} exited $rc: $(cat "$tmp/stderr")"
	[ -s "$out" ] || fail "faxctl render ${*:2} wrote no $out"
}

# render_refused REASON_REGEX INPUT [ARGS...]: exit 3, and stderr names the input and the reason.
render_refused() {
	local why=$1 input=$2 name
	shift 2
	name=$(basename "$input")
	render "$tmp/refused.tif" "$@" "$input"
	[ "$rc" -eq 3 ] || fail "$name: exit $rc instead of 3 (refused); stderr: $(cat "$tmp/stderr")"
	grep -qF "\"$name\"" "$tmp/stderr" || fail "$name: message does not name the attachment: $(cat "$tmp/stderr")"
	grep -qEi "$why" "$tmp/stderr" || fail "$name: message lacks /$why/: $(cat "$tmp/stderr")"
	[ ! -e "$tmp/refused.tif" ] || [ ! -s "$tmp/refused.tif" ] || fail "$name: refused, yet a fax was written"
	note "$name refused: $(head -c 300 "$tmp/stderr")"
}

# info TIFF: pagecmp --info, cached in $tmp for the field helpers
info() {
	"$pagecmp" --info "$1" >"$tmp/info" || fail "pagecmp --info $1 failed"
}

pages_of() {
	info "$1"
	awk '$1 == "pages" { print $2 }' "$tmp/info"
}

# field TIFF PAGE NAME: one value of one page (width height xres yres compression black)
field() {
	info "$1"
	awk -v p="$2" -v k="$3" '$1 == "page" && $2 == p { for (i = 3; i < NF; i += 2) if ($i == k) print $(i + 1) }' \
		"$tmp/info"
}

assert_eq() { # ACTUAL EXPECTED WHAT
	[ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

assert_le() { # ACTUAL MAX WHAT
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }' || fail "$3: $1 is above $2"
}

assert_ge() { # ACTUAL MIN WHAT
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }' || fail "$3: $1 is below $2"
}

# assert_fax TIFF PAGES RESOLUTION PAPER: page count and, on every page, the fax geometry: 1728
# wide, 204 dpi across, the resolution's lines down, T.6 (compression 4), no taller than the paper
# and not empty.
assert_fax() {
	local f=$1 want=$2 res=$3 paper=$4 n p
	n=$(pages_of "$f")
	assert_eq "$n" "$want" "$(basename "$f"): pages"
	for ((p = 1; p <= n; p++)); do
		assert_eq "$(field "$f" $p width)" 1728 "$(basename "$f") page $p width"
		assert_eq "$(field "$f" $p xres)" 204 "$(basename "$f") page $p horizontal resolution"
		assert_eq "$(field "$f" $p yres)" "${yres_of[$res]}" "$(basename "$f") page $p vertical resolution"
		assert_eq "$(field "$f" $p compression)" 4 "$(basename "$f") page $p compression (4 = T.6)"
		assert_le "$(field "$f" $p height)" "${full_height[$paper-$res]}" "$(basename "$f") page $p height"
		assert_ge "$(field "$f" $p black)" 0.0005 "$(basename "$f") page $p ink"
	done
}

# assert_golden TIFF NAME: compare with tests/golden/NAME.tif within pagecmp's default tolerance.
assert_golden() {
	local g=$golden/$2.tif
	[ -s "$g" ] || fail "no golden $g: review the output and run tests/golden/update $2"
	"$pagecmp" "$g" "$1" >"$tmp/cmp" || fail "$2 differs from its golden:
$(cat "$tmp/cmp")
(if the change is intended, review it and run tests/golden/update $2)"
}

# assert_b2b TIFF: a spandsp terminal sends it to another one, which receives it unchanged.
assert_b2b() {
	"$fax_b2b" "$1" "$tmp/b2b-rx.tif" >"$tmp/b2b" 2>&1 || fail "$(basename "$1") not accepted by spandsp:
$(cat "$tmp/b2b")"
	rm -f "$tmp/b2b-rx.tif"
}

# parse_case LINE: one line of tests/golden/list into case_name, case_pages, case_golden,
# case_args (array), case_res and case_paper.
parse_case() {
	local rest i
	read -r case_name case_pages case_golden rest <<<"$1"
	case_args=()
	eval "case_args=($rest)"
	case_res=fine
	case_paper=a4
	for ((i = 0; i + 1 < ${#case_args[@]}; i++)); do
		case ${case_args[i]} in
		--resolution) case_res=${case_args[i + 1]} ;;
		--paper) case_paper=${case_args[i + 1]} ;;
		esac
	done
}

# ocr TIFF PAGE OUT.txt: tesseract on one page at the fax's horizontal resolution.
ocr() {
	tiffcp "$1,$(($2 - 1))" "$tmp/ocr-page.tif" || fail "cannot extract page $2 of $1"
	OMP_THREAD_LIMIT=1 tesseract "$tmp/ocr-page.tif" "${3%.txt}" --dpi 204 >/dev/null 2>&1 ||
		fail "tesseract failed on $1 page $2"
}
