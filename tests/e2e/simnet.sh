#!/bin/bash
# simnet.sh - the simulated telephone network: faxsim with a numbering plan, dialled through the sim
# line driver (line.h) by simdial, a minimal fax server with a spandsp terminal (not faxd). Every
# kind of number behaves as its plan line says; received faxes are compared pixel for pixel with
# what was sent; `faxctl sim call` delivers into the line that announces the number; both G.711
# laws; unpaced calls are fast; the real-time tick reports its lateness; bad plans and garbage on
# the socket are refused without harm.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${FAXGATE_BUILD:-$top/build}
faxsim=$build/bin/faxsim
faxctl=$build/bin/faxctl
simdial=$build/tools/simdial
pagecmp=$build/tools/pagecmp
fixture=$top/tests/fixtures/fax-fine.tif # 2 pages, A4 fine
standard=$top/tests/golden/text-2p-standard.tif
tmp=$(mktemp -d)
sim_pid=
ans_pid=
stop_sim() {
	if [ -n "$sim_pid" ]; then
		kill "$sim_pid" 2>/dev/null || true
		wait "$sim_pid" 2>/dev/null || true
	fi
	sim_pid=
}
trap 'stop_sim; [ -z "$ans_pid" ] || kill "$ans_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: $*" >&2
	[ ! -s "$tmp/faxsim.log" ] || { echo "--- faxsim log (tail)"; tail -n 20 "$tmp/faxsim.log"; } >&2
	exit 1
}
note() { echo "-- $*"; }
for f in "$faxsim" "$faxctl" "$simdial" "$pagecmp"; do
	[ -x "$f" ] || fail "$f is not built"
done

mkdir -p "$tmp/in" "$tmp/std" "$tmp/cut" "$tmp/noisy" "$tmp/plain"
cat >"$tmp/plan" <<EOF
# the test network: Berlin numbers
+49301234100 fax dir=$tmp/in station="REMOTE 1"
+49301234101 fax dir=$tmp/std standard-only
+49301234102 fax dir=$tmp/cut hangup-after=1
+49301234103 fax dir=$tmp/noisy noise=-40
+49301234104 fax dir=$tmp/plain no-ecm a4-only
+4930555 busy
+4930556 no-answer
+4930557 voice talk=20
+4930558 unassigned
+4930559 congestion
+4930600* fax dir=$tmp/in
EOF

# conf NAME TIMING LAW: a configuration for faxsim and the simulated lines
conf() {
	cat >"$tmp/$1.conf" <<EOF
run_user =
log_target = stderr
log_level = notice
sim_socket = $tmp/sim.sock
sim_plan = $tmp/plan
sim_timing = $2
sim_law = $3
dial_country_code = 49
dial_area_code = 30
dial_international_prefix = 00
dial_national_prefix = 0
line_count = 4
line_numbers = ${4:-}
EOF
}

start_sim() { # CONF
	stop_sim
	"$faxsim" -c "$1" >>"$tmp/faxsim.log" 2>&1 &
	sim_pid=$!
	for _ in $(seq 50); do
		[ -S "$tmp/sim.sock" ] && return 0
		kill -0 "$sim_pid" 2>/dev/null || fail "faxsim exited at start"
		sleep 0.1
	done
	fail "faxsim does not listen on $tmp/sim.sock"
}

# dial CONF NUMBER FILE [ARGS...]: simdial send; output in $tmp/out
dial() {
	local conf=$1 number=$2 file=$3
	shift 3
	"$simdial" -c "$conf" send "$@" "$number" "$file" >"$tmp/out" 2>"$tmp/err" ||
		fail "simdial $number: $(cat "$tmp/err")"
}
val() { # KEY [CALL]: a value of the last dial
	awk -v k="$1" -v c="${2:-0}" '$1 == "call" && $2 == c && $3 == k { $1 = $2 = $3 = ""; sub(/^ +/, ""); print }' "$tmp/out"
}
expect() { # KEY WANT WHAT
	local got
	got=$(val "$1")
	[ "$got" = "$2" ] || fail "$3: $1 is '$got', expected '$2'; output: $(tr '\n' ' ' <"$tmp/out")"
}
info() { # FOLDER KEY: a value of the one .info file in FOLDER
	local f
	f=$(find "$1" -maxdepth 1 -name '*.info' | sort | tail -n 1)
	[ -n "$f" ] || fail "no .info in $1"
	sed -n "s/^$2=//p" "$f"
}
count() { # FOLDER: TIFF files in it
	find "$1" -maxdepth 1 -name '*.tif' | wc -l
}
received() { # FOLDER: the one TIFF received there
	local n
	n=$(count "$1")
	[ "$n" = 1 ] || fail "$1 holds $n TIFF files, expected 1"
	find "$1" -maxdepth 1 -name '*.tif'
}
same() { # A B WHAT
	"$pagecmp" --tolerance 0 "$1" "$2" >"$tmp/cmp" 2>&1 || fail "$3: received pages differ: $(cat "$tmp/cmp")"
}

conf alaw unpaced alaw
start_sim "$tmp/alaw.conf"

note "a fax machine receives a 2-page fax, pixel for pixel, unpaced in well under 5 s"
dial "$tmp/alaw.conf" 0301234100 "$fixture" --caller +4989555
expect signal answered "fax"
expect code 0 "fax"
expect pages 2 "fax"
expect hangup remote "fax (the receiver puts down the line after T.30 ended)"
expect remote_id "REMOTE 1" "fax: the receiver's CSI from the plan"
wall=$(awk '$1 == "wall_s" { print $2 }' "$tmp/out")
awk -v w="$wall" 'BEGIN { exit !(w < 5) }' || fail "a 2-page fax took $wall s unpaced"
[ "$(info "$tmp/in" pages)" = 2 ] || fail ".info pages: $(info "$tmp/in" pages)"
[ "$(info "$tmp/in" code)" = 0 ] || fail ".info code"
[ "$(info "$tmp/in" caller)" = +4989555 ] || fail ".info caller: $(info "$tmp/in" caller)"
[ "$(info "$tmp/in" remote_id)" = "SIMDIAL TX" ] || fail ".info remote_id: $(info "$tmp/in" remote_id)"
[ "$(info "$tmp/in" yres)" = 196 ] || fail ".info yres: $(info "$tmp/in" yres)"
rx=$(received "$tmp/in")
case $(basename "$rx") in [0-9]*-+4989555-*.tif) ;; *) fail "received file name $(basename "$rx")" ;; esac
same "$fixture" "$rx" "fax"
note "sent in $wall s wall clock ($(val audio_s) s of line time)"

note "busy, no answer, unassigned (listed and unknown), congestion"
dial "$tmp/alaw.conf" 030555 "$fixture"
expect signal busy busy
expect code -1 busy
dial "$tmp/alaw.conf" 030556 "$fixture"
expect signal no_answer "no answer"
dial "$tmp/alaw.conf" 030558 "$fixture"
expect signal unassigned unassigned
dial "$tmp/alaw.conf" 0309999999 "$fixture"
expect signal unassigned "a number not in the plan"
dial "$tmp/alaw.conf" 030559 "$fixture"
expect signal congestion congestion

note "a voice answers: no T.30 from the far end, the sender fails, the person hangs up"
dial "$tmp/alaw.conf" 030557 "$fixture"
expect signal answered voice
expect fax_answered no voice
expect pages 0 voice
expect hangup remote voice
[ "$(val code)" != 0 ] || fail "voice: T.30 reported success"
note "voice: T.30 code $(val code) ($(val result)) after $(val audio_s) s"

note "a standard-only receiver refuses fine pages (T.30 code 11), and takes standard ones"
dial "$tmp/alaw.conf" 0301234101 "$fixture"
expect code 11 "standard-only"
expect pages 0 "standard-only"
[ "$(info "$tmp/std" pages)" = 0 ] || fail "standard-only kept pages"
[ "$(count "$tmp/std")" = 0 ] || fail "standard-only left a TIFF"
rm -f "$tmp/std"/*
dial "$tmp/alaw.conf" 0301234101 "$standard"
expect code 0 "standard-only, standard pages"
same "$standard" "$(received "$tmp/std")" "standard-only, standard pages"

note "hang up after page 1: page 1 confirmed and kept, the call dropped"
dial "$tmp/alaw.conf" 0301234102 "$fixture"
expect pages 1 "hangup-after=1 (pages the sender got confirmed)"
expect hangup remote "hangup-after=1"
[ "$(val code)" != 0 ] || fail "hangup-after: T.30 reported success"
[ "$(info "$tmp/cut" pages)" = 1 ] || fail "hangup-after: receiver kept $(info "$tmp/cut" pages) pages"
tiffcp "$fixture,0" "$tmp/page1.tif"
same "$tmp/page1.tif" "$(received "$tmp/cut")" "hangup-after=1"

note "a line with noise at -40 dBm0"
dial "$tmp/alaw.conf" 0301234103 "$fixture"
expect code 0 "noise -40"
expect pages 2 "noise -40"
same "$fixture" "$(received "$tmp/noisy")" "noise -40"
note "noise -40: $(val audio_s) s of line time"

note "no ECM, A4 only"
dial "$tmp/alaw.conf" 0301234104 "$fixture"
expect code 0 "no-ecm"
[ "$(info "$tmp/plain" ecm)" = no ] || fail "no-ecm: the receiver used ECM"
same "$fixture" "$(received "$tmp/plain")" "no-ecm"

note "three calls at once, to a number of a prefix entry"
rm -f "$tmp/in"/*
dial "$tmp/alaw.conf" 030600123 "$fixture" --calls 3
for c in 0 1 2; do
	[ "$(val code $c)" = 0 ] || fail "parallel call $c: code $(val code $c)"
done
[ "$(count "$tmp/in")" = 3 ] || fail "3 parallel calls left $(count "$tmp/in") files"
for f in "$tmp/in"/*.tif; do same "$fixture" "$f" "parallel call"; done

note "faxctl sim call: a simulated fax machine calls the line that announces the number"
rm -f "$tmp/in"/*
conf answer unpaced alaw "+49301234999 +49301234998"
"$simdial" -c "$tmp/answer.conf" answer --timeout 60 "$tmp/answered.tif" >"$tmp/ans.out" 2>"$tmp/ans.err" &
ans_pid=$!
for _ in $(seq 50); do grep -q "trunk .* 2 numbers" "$tmp/faxsim.log" && break; sleep 0.1; done
rc=0
"$faxctl" -c "$tmp/alaw.conf" sim call --file "$fixture" --from +4989123 --station "SIM SENDER" \
	--to +49301234998 --subaddress 77 >"$tmp/call.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "faxctl sim call exited $rc: $(cat "$tmp/call.out")"
grep -qx "outcome sent" "$tmp/call.out" || fail "sim call: $(cat "$tmp/call.out")"
grep -qx "pages 2" "$tmp/call.out" || fail "sim call pages: $(cat "$tmp/call.out")"
wait "$ans_pid" || fail "simdial answer failed: $(cat "$tmp/ans.err")"
ans_pid=
for kv in "caller +4989123" "called +49301234998" "subaddress 77" "t30_subaddress 77"; do
	grep -qx "$kv" "$tmp/ans.out" || fail "answering side lacks '$kv': $(tr '\n' ' ' <"$tmp/ans.out")"
done
grep -q "remote_id SIM SENDER" "$tmp/ans.out" || fail "answering side: TSI $(cat "$tmp/ans.out")"
same "$fixture" "$tmp/answered.tif" "inbound fax"

note "faxctl sim call with no line for the number, and with a file that is no fax"
rc=0
"$faxctl" -c "$tmp/alaw.conf" sim call --file "$fixture" --to +49301234998 >"$tmp/call.out" 2>&1 || rc=$?
{ [ "$rc" = 1 ] && grep -qx "outcome unassigned" "$tmp/call.out"; } || fail "no trunk: exit $rc, $(cat "$tmp/call.out")"
rc=0
"$faxctl" -c "$tmp/alaw.conf" sim call --file "$tmp/plan" --to +49301234998 >"$tmp/call.out" 2>&1 || rc=$?
{ [ "$rc" = 1 ] && grep -qx "outcome error" "$tmp/call.out"; } || fail "not a TIFF: exit $rc, $(cat "$tmp/call.out")"

note "garbage on the socket is refused; faxsim goes on"
python3 - "$tmp/sim.sock" <<'EOF'
import socket, sys
for junk in (b"\xff" * 64, b"\x06\x00\x00\x00\x00\x00\x00\x01\xff\xff", b"\x02\x00\x00\x00\x00\x00\x00\x00\x00\x06\x00\x01\x09\x00\x00\x01",
             b"\x03\x00\x00\x00\x00\x00\x00\x01\x00\x04ab\x00\x00"):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.sendall(junk)
    s.settimeout(5)
    try:
        s.recv(4096)
    except Exception:
        pass
    s.close()
EOF
grep -q "unknown message type 255" "$tmp/faxsim.log" || fail "faxsim did not report the garbage"
kill -0 "$sim_pid" || fail "faxsim died of garbage"
dial "$tmp/alaw.conf" 030555 "$fixture"
expect signal busy "after garbage"

note "the law must match: an mu-law line on an A-law network is refused"
conf ulaw unpaced ulaw
rc=0
"$simdial" -c "$tmp/ulaw.conf" send 030555 "$fixture" >"$tmp/out" 2>"$tmp/err" || rc=$?
{ [ "$rc" = 1 ] && grep -q "sim_law = alaw" "$tmp/err"; } || fail "law mismatch: exit $rc, $(cat "$tmp/err")"

note "mu-law network"
rm -f "$tmp/in"/*
start_sim "$tmp/ulaw.conf"
dial "$tmp/ulaw.conf" 0301234100 "$fixture"
expect code 0 "mu-law"
same "$fixture" "$(received "$tmp/in")" "mu-law"

note "real time: 20 ms ticks, lateness measured"
conf rt realtime alaw
sed -i 's/^+4930557 voice talk=20$/+4930557 voice talk=3 answer-after=0/' "$tmp/plan"
start_sim "$tmp/rt.conf"
start=$SECONDS
dial "$tmp/rt.conf" 030557 "$fixture"
expect hangup remote "real-time voice"
audio=$(val audio_s)
awk -v a="$audio" 'BEGIN { exit !(a >= 2.9 && a <= 3.2) }' || fail "real-time voice: $audio s of audio"
[ $((SECONDS - start)) -ge 2 ] || fail "real time ran faster than the clock"
"$faxctl" -c "$tmp/rt.conf" sim stats >"$tmp/stats" || fail "sim stats"
grep -qx "timing realtime" "$tmp/stats" || fail "stats: $(cat "$tmp/stats")"
ticks=$(awk '$1 == "ticks" { print $2 }' "$tmp/stats")
[ "$ticks" -ge 100 ] || fail "only $ticks ticks"
p99=$(awk '$1 == "tick_late_p99_us" { print $2 }' "$tmp/stats")
max=$(awk '$1 == "tick_late_max_us" { print $2 }' "$tmp/stats")
{ [ -n "$p99" ] && [ -n "$max" ]; } || fail "stats lack tick lateness"
note "real time: $ticks ticks, lateness p99 $p99 us, max $max us"
kill -USR1 "$sim_pid"
sleep 0.3
grep -q "stats: tick_late_p99_us" "$tmp/faxsim.log" || fail "SIGUSR1 printed no statistics"

note "a bad plan stops faxsim with file:line"
stop_sim
printf '+491 busy\n+492 fax\n' >"$tmp/plan"
rc=0
"$faxsim" -c "$tmp/rt.conf" >"$tmp/bad.log" 2>&1 || rc=$?
{ [ "$rc" = 1 ] && grep -q "$tmp/plan:2: a fax machine needs dir=FOLDER" "$tmp/bad.log"; } ||
	fail "bad plan: exit $rc, $(cat "$tmp/bad.log")"

grep -E "Sanitizer|runtime error" "$tmp/faxsim.log" "$tmp/bad.log" && fail "faxsim: sanitizer report"
echo "simnet: all checks passed"
