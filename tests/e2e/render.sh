#!/bin/bash
# render.sh - every input type through `faxctl render`, one case a line of tests/golden/list:
# exit 0, the expected page count, fax geometry on every page (1728 wide, 204 dpi across, the
# resolution's rows down, T.6, within the paper, some ink), the same pages as the reviewed golden
# TIFF when the case has one, and a spandsp back-to-back call that delivers the pages unchanged.
#
#   tests/e2e/render.sh [CASE...]     (no CASE: all of them)
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

cd "$fixtures"
ran=0
exec 3<"$golden/list"
while IFS= read -r line <&3; do
	case $line in '' | '#'*) continue ;; esac
	parse_case "$line"
	if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qxF "$case_name"; then
		continue
	fi
	start=$SECONDS
	out=$tmp/$case_name.tif
	render_ok "$out" "${case_args[@]}"
	assert_fax "$out" "$case_pages" "$case_res" "$case_paper"
	if [ "$case_golden" = yes ]; then
		assert_golden "$out" "$case_name"
	fi
	assert_b2b "$out"
	note "$case_name: $case_pages pages ok, $(grep -m1 '^call' "$tmp/b2b" | cut -d, -f1) ($((SECONDS - start)) s)"
	rm -f "$out"
	ran=$((ran + 1))
done
[ "$ran" -gt 0 ] || fail "no case ran"
echo "render: $ran cases ok"
