#!/bin/bash
# sip_sipp.sh - faxd's SIP lines against sipp, an independent SIP peer: every final answer of a
# trunk leads to the job's right outcome (busy, no answer, unassigned, forbidden, line); a digest
# challenge is answered (and wrong credentials end as forbidden); a call that rings is cancelled
# at the ring timeout and by an admin; a caller hanging up (BYE) leaves the line free; a T.38
# re-INVITE from the far end is taken; faxd registers at a registrar that challenges it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
set -E
trap 'echo "FAIL: ${BASH_SOURCE[0]}:$LINENO: $BASH_COMMAND exited $?" >&2' ERR
. "$here/sip_lib.sh"
fixture=$fixtures/fax-fine.tif
scen=$here/sipp
chmod 0755 "$tmp"
command -v sipp >/dev/null || fail "sipp is not installed (Debian package sip-tester)"

ps=$(free_port) # sipp
pf=$(free_port) # faxd
printf 's3cret-pw\n' >"$tmp/pw"
chmod 600 "$tmp/pw"
trunk="s:host=127.0.0.1:$ps;channels=4;user=faxuser;password_file=$tmp/pw"
cfg=$(sip_conf fx "$pf" 25000 +493033300 "$trunk" "sip_ring_timeout = 10s" "retry_line = 1s" "faxd_lease = 6s")

sipp_pid=''
# sipp_run NAME SCENARIO [ARGS...]: sipp in the background, one call, at most 60 s
sipp_run() {
	local name=$1 sf=$2
	shift 2
	sipp -sf "$sf" -i 127.0.0.1 "$@" -m 1 -timeout 60s -timeout_error -nostdin \
		-trace_err -error_file "$tmp/sipp-$name.err" >"$tmp/sipp-$name.out" 2>&1 &
	sipp_pid=$!
	sleep 0.3
}
# sipp_ok NAME: sipp ended and counted its one call successful
sipp_ok() {
	local rc=0
	wait "$sipp_pid" || rc=$?
	sipp_pid=''
	[ "$rc" -eq 0 ] || fail "sipp $1 ended with $rc: $(tail -n 5 "$tmp/sipp-$1.err" 2>/dev/null) $(grep -i -m3 'fail\|error' "$tmp/sipp-$1.out")
faxd: $(tail -n 15 "$tmp/fx.log")"
}
trap 'stop_pid "$sipp_pid"; stop_all; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT

# job_outcome CODE PHRASE WANT: the trunk answers CODE; the job fails with reason WANT
job_outcome() {
	local code=$1 phrase=$2 want=$3 id st
	sed "s/@CODE@/$code/; s/@PHRASE@/$phrase/" "$scen/uas_reject.xml" >"$tmp/reject-$code.xml"
	sipp_run "reject-$code" "$tmp/reject-$code.xml" -p "$ps"
	id=$("$queue_add" -c "$cfg" -f "$fixture" -d 0301234 +49301234)
	st=$(wait_done "$cfg" "$id" 30)
	sipp_ok "reject-$code"
	assert_eq "$st" failed "status after $code"
	assert_eq "$(jfield "$cfg" "$id" reason_code)" "$want" "outcome of a $code answer"
}

start fx "$cfg"

note "final answers of the trunk"
job_outcome 486 Busy busy
job_outcome 600 Busy busy
job_outcome 480 Unavailable no_answer
job_outcome 408 Timeout no_answer
job_outcome 404 Not-Found unassigned
job_outcome 484 Incomplete unassigned
job_outcome 604 Nowhere unassigned
job_outcome 403 Forbidden forbidden
job_outcome 503 Unavailable line

note "digest challenge answered with the trunk's credentials"
sipp_run auth "$scen/uas_auth.xml" -p "$ps"
id=$("$queue_add" -c "$cfg" -f "$fixture" -d 0301234 +49301234)
assert_eq "$(wait_done "$cfg" "$id" 30)" failed "status after the challenge"
sipp_ok auth
assert_eq "$(jfield "$cfg" "$id" reason_code)" busy "outcome with the right password (sipp answers 486)"
! grep -q "s3cret-pw" "$tmp/fx.log" || fail "the trunk's password is in faxd's log"

note "ringing without answer: CANCEL at the ring timeout"
sipp_run ring "$scen/uas_ring_cancel.xml" -p "$ps"
id=$("$queue_add" -c "$cfg" -f "$fixture" -d 0301234 +49301234)
assert_eq "$(wait_done "$cfg" "$id" 30)" failed "status after ringing out"
sipp_ok ring
assert_eq "$(jfield "$cfg" "$id" reason_code)" no_answer "outcome of a call nobody answers"

note "ringing: an admin cancels the job, faxd sends CANCEL"
sipp_run ring2 "$scen/uas_ring_cancel.xml" -p "$ps"
id=$("$queue_add" -c "$cfg" -f "$fixture" -d 0301234 +49301234)
for _ in $(seq 50); do
	[ "$(jfield "$cfg" "$id" status)" = sending ] && break
	sleep 0.1
done
sleep 1
"$faxctl" -c "$cfg" cancel "$id" >/dev/null
sipp_ok ring2
assert_eq "$(jfield "$cfg" "$id" status)" cancelled "status after the admin's cancel"
grep -q "the job is cancelled now: hanging up" "$tmp/fx.log" || fail "the CANCEL was not the admin's"

note "the caller hangs up (BYE) during the fax handshake; the line is free again"
sipp_run bye "$scen/uac_bye.xml" -p "$ps" -s +493033300 "127.0.0.1:$pf"
sipp_ok bye
grep -q "answering a call from +4940555000 to +493033300" "$tmp/fx.log" || fail "faxd did not answer sipp's call"

note "the far end offers T.38 by re-INVITE"
sipp_run t38 "$scen/uac_t38.xml" -p "$ps" -s +493033300 "127.0.0.1:$pf"
sipp_ok t38
grep -q "the far end switched to T.38" "$tmp/fx.log" || fail "faxd did not take the T.38 re-INVITE"
grep -q "the call goes on in T.38" "$tmp/fx.log" || fail "the fax session did not follow into T.38"
grep -q "answering a call from +4940555777" "$tmp/fx.log" || fail "the caller id from P-Asserted-Identity"

note "registration with digest authentication"
stop fx
sipp_run register "$scen/uas_register.xml" -p "$ps"
rcfg=$(sip_conf fxr "$pf" 25000 +493033300 "$trunk;registrar=127.0.0.1:$ps")
start fxr "$rcfg"
for _ in $(seq 50); do
	grep -q "SIP trunk s: registered at 127.0.0.1" "$tmp/fxr.log" && break
	sleep 0.1
done
grep -q "SIP trunk s: registered at 127.0.0.1" "$tmp/fxr.log" || fail "faxd did not register: $(tail "$tmp/fxr.log")"
! grep -q "s3cret-pw" "$tmp/fxr.log" || fail "the trunk's password is in faxd's log"
stop fxr
sipp_ok register

note "wrong credentials: forbidden"
printf 'wrong\n' >"$tmp/pw"
start fx "$cfg"
sipp_run auth2 "$scen/uas_auth.xml" -p "$ps"
id=$("$queue_add" -c "$cfg" -f "$fixture" -d 0301234 +49301234)
assert_eq "$(wait_done "$cfg" "$id" 30)" failed "status with a wrong password"
sipp_ok auth2
assert_eq "$(jfield "$cfg" "$id" reason_code)" forbidden "outcome with a wrong password (sipp answers 403)"
stop fx
echo "sip_sipp: ok"
