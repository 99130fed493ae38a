#!/bin/bash
# sip.sh - two faxd faxing each other through SIP on loopback, in real time: G.711, T.38 by
# re-INVITE, T.38 refused (the fax goes on in G.711 and the next call does not ask again), T.38
# with 5 % of the datagrams dropped in a private network namespace (recovered by UDPTL
# redundancy), re-INVITEs (session refreshes) in the middle of the pages of a T.38 fax, and a
# BYE in the middle of a page (the sender's admin cancels). The pages must arrive pixel-identical. The cases run side by side, each pair on ports of its own.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
set -E
trap 'echo "FAIL: ${BASH_SOURCE[0]}:$LINENO: $BASH_COMMAND exited $?" >&2' ERR
. "$here/sip_lib.sh"
fixture=$fixtures/fax-fine.tif # 2 pages, A4 fine
chmod 0755 "$tmp"

# pair CASE RTPBASE SENDER_EXTRA RECEIVER_EXTRA [PREFIX...]: start a sender (CASE-a, number
# +4930111xxxx) and a receiver (CASE-b) that trust each other as trunks; sets a_cfg and b_cfg
pair() {
	local c=$1 rtp=$2 ax=$3 bx=$4 pa pb
	shift 4
	pa=$(free_port)
	pb=$(free_port)
	a_cfg=$(sip_conf "$c-a" "$pa" "$rtp" +493011100 "b:host=127.0.0.1:$pb;channels=4" $ax)
	b_cfg=$(sip_conf "$c-b" "$pb" $((rtp + 200)) +493022200 "a:host=127.0.0.1:$pa;channels=4" $bx)
	start "$c-a" "$a_cfg" "$@"
	start "$c-b" "$b_cfg" "$@"
}

# fax CASE: queue the fixture at the sender for the receiver's number, wait, check it arrived
# pixel-identical; prints nothing, fails loudly
fax() {
	local c=$1 id st
	id=$("$queue_add" -c "$a_cfg" -f "$fixture" -d +493022200 +493022200)
	st=$(wait_done "$a_cfg" "$id" 180)
	[ "$st" = sent ] || fail "$c: the fax is $st ($(jfield "$a_cfg" "$id" reason)):
sender: $(tail -n 30 "$tmp/$c-a.log")
receiver: $(tail -n 30 "$tmp/$c-b.log")"
	inbound_export "$b_cfg" "$tmp/$c-in.tif"
	"$pagecmp" --tolerance 0 "$fixture" "$tmp/$c-in.tif" >/dev/null || fail "$c: received pages differ from those sent"
}

case_g711() {
	pair g711 20000 "sip_t38=no" "sip_t38=no"
	fax g711
	! grep -q "T.38" "$tmp/g711-a.log" || fail "g711: T.38 was asked for with sip_t38 = no"
	grep -q "INVITE +493022200 through b" "$tmp/g711-a.log" || fail "g711: no INVITE through the trunk logged"
	stop g711-a
	stop g711-b
	grep -q "SIP media: .* packets sent" "$tmp/g711-a.log" || fail "g711: no media sent"
}

case_t38() {
	pair t38 21000 "" ""
	fax t38
	grep -q "the call goes on in T.38" "$tmp/t38-a.log" || fail "t38: the sender did not switch to T.38"
	grep -q "the call goes on in T.38" "$tmp/t38-b.log" || fail "t38: the receiver did not switch to T.38"
	# the second call asks for T.38 as soon as it is answered: the sender remembers it worked
	sqlite3 "$tmp/t38-a.db" "SELECT memory FROM media WHERE number = '+493022200'" | grep -qx 1 ||
		fail "t38: the sender does not remember that T.38 worked"
	stop t38-a
	stop t38-b
}

case_refused() {
	pair refused 22000 "" "sip_t38=no"
	fax refused
	grep -q "refused T.38: the call goes on in G.711" "$tmp/refused-a.log" ||
		fail "refused: the sender did not see T.38 refused"
	sqlite3 "$tmp/refused-a.db" "SELECT memory FROM media WHERE number = '+493022200'" | grep -qx 2 ||
		fail "refused: the sender does not remember G.711 only"
	local before
	before=$(grep -c "asking for T.38" "$tmp/refused-a.log")
	fax refused
	assert_eq "$(grep -c "asking for T.38" "$tmp/refused-a.log")" "$before" \
		"refused: T.38 offers after the destination refused it once"
	stop refused-a
	stop refused-b
}

case_loss() {
	ns=fgsip$$
	ip netns add "$ns"
	ip netns exec "$ns" ip link set lo up
	# 5 % of the media datagrams (RTP and UDPTL; not SIP) are dropped on the way in
	ip netns exec "$ns" iptables -A INPUT -p udp --dport 23000:23399 -m statistic --mode random \
		--probability 0.05 -j DROP
	pair loss 23000 "" "" ip netns exec "$ns"
	fax loss
	grep -q "the call goes on in T.38" "$tmp/loss-a.log" || fail "loss: the call did not switch to T.38"
	local dropped
	dropped=$(ip netns exec "$ns" iptables -L INPUT -v -n -x | awk '/statistic/ { print $1 }')
	note "loss: $dropped datagrams dropped"
	assert_ge "$dropped" 5 "loss: datagrams dropped by the 5 % rule"
	# and UDPTL's redundancy brought the lost packets back
	local recovered
	recovered=$(sed -n 's/.*UDPTL: .* \([0-9]*\) packets recovered from redundancy.*/\1/p' "$tmp/loss-a.log" "$tmp/loss-b.log" |
		awk '{ s += $1 } END { print s + 0 }')
	note "loss: $recovered packets recovered from redundancy"
	assert_ge "$recovered" 1 "loss: packets recovered from UDPTL redundancy"
	stop loss-a
	stop loss-b
}

case_refresh() {
	# the session refreshed by re-INVITE every 30 s (a third of the shortest RFC 4028 allows)
	# during a fax of 12 pages at 7200 bit/s in T.38 (about 75 s), so the refreshes come while
	# pages are on their way; the UDPTL stream must go on through them
	tiffcp "$fixture" "$fixture" "$fixture" "$fixture" "$fixture" "$fixture" "$tmp/twelve.tif"
	pair refresh 24000 "sip_session_expires=90s sip_refresh=invite fax_max_speed=7200" \
		"sip_session_expires=90s sip_refresh=invite"
	fixture=$tmp/twelve.tif fax refresh
	grep -q "the call goes on in T.38" "$tmp/refresh-a.log" || fail "refresh: the call did not switch to T.38"
	grep -q "re-INVITE during the fax (in T.38)" "$tmp/refresh-a.log" "$tmp/refresh-b.log" ||
		fail "refresh: no re-INVITE during the T.38 fax"
	stop refresh-a
	stop refresh-b
}

case_bye() {
	# the sender's admin cancels a 12-page fax in the middle: the sender hangs up (BYE) during a
	# page; the receiver keeps the pages it had and its line is free again
	tiffcp "$fixture" "$fixture" "$fixture" "$fixture" "$fixture" "$fixture" "$tmp/bye12.tif"
	pair bye 26000 "sip_t38=no faxd_lease=6s" "sip_t38=no"
	local id n t0
	t0=$(date +%s)
	id=$("$queue_add" -c "$a_cfg" -f "$tmp/bye12.tif" -d +493022200 +493022200)
	sleep 25 # handshake and the first pages
	[ "$(jfield "$a_cfg" "$id" status)" = sending ] || fail "bye: the fax is not being sent after 25 s"
	"$faxctl" -c "$a_cfg" cancel "$id" >/dev/null
	for _ in $(seq 100); do
		grep -q "received fax 1 " "$tmp/bye-b.log" && break
		sleep 0.2
	done
	n=$(sed -n 's/.*received fax 1 .*: \([0-9]*\) pages.*/\1/p' "$tmp/bye-b.log")
	[ -n "$n" ] || fail "bye: the receiver stored nothing: $(tail "$tmp/bye-b.log")"
	note "bye: the receiver kept $n of 12 pages after $(($(date +%s) - t0)) s"
	assert_ge "$n" 1 "bye: pages kept by the receiver"
	[ "$n" -lt 12 ] || fail "bye: the fax was not cut in the middle ($n pages)"
	assert_eq "$(jfield "$a_cfg" "$id" status)" cancelled "bye: the cancelled job"
	# the receiver's line is free: the next fax goes through
	"$queue_add" -c "$a_cfg" -f "$fixture" -d +493022200 +493022200 >/dev/null
	for _ in $(seq 300); do
		grep -q "received fax 2 " "$tmp/bye-b.log" && break
		sleep 0.2
	done
	grep -q "received fax 2 .*: 2 pages" "$tmp/bye-b.log" || fail "bye: the next fax did not arrive whole"
	stop bye-a
	stop bye-b
}

# each case in its own subshell, side by side, stopping its own faxd (and network namespace) however
# it ends; their output is collected in order
ns=''
case_end() {
	stop_all
	[ -z "$ns" ] || ip netns del "$ns" 2>/dev/null || true
}
cases=(g711 t38 refused loss refresh bye)
declare -A cpid=()
for c in "${cases[@]}"; do
	(
		trap case_end EXIT
		case_"$c"
	) >"$tmp/case-$c.out" 2>&1 &
	cpid[$c]=$!
done
rc=0
for c in "${cases[@]}"; do
	if wait "${cpid[$c]}"; then
		echo "-- $c: ok"
	else
		rc=1
		echo "-- $c: FAILED"
		cat "$tmp/case-$c.out"
	fi
done
[ "$rc" -eq 0 ] || fail "SIP cases failed"
echo "sip: ok"
