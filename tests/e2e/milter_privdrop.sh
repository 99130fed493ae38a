#!/bin/bash
# milter_privdrop.sh - started as root, faxmilter, faxmailgate and faxctl's queue commands run as
# run_user: the processes' ids, the database's owner, and a fax still rendered (in the converter
# sandbox, which then works without root) and queued. A missing user or root as run_user stops
# the start of faxmilter and of faxmailgate.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 0; }
user=faxgate-test
id "$user" >/dev/null 2>&1 ||
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
uid=$(id -u "$user")
chmod 0755 "$tmp"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sock="inet:$port@127.0.0.1"
install -d -o "$user" -m 0750 "$tmp/db"
cfg=$(conf privdrop "run_user = $user" "log_target = stderr" "db_path = $tmp/db/queue.db" \
	"milter_socket = $sock" "fax_domains = fax.example.test" "dial_country_code = 49" \
	"dial_area_code = 30" "policy_allow_senders = @example.test" "policy_trusted_networks = 127.0.0.1" \
	"render_workers = 1")
chmod 0644 "$cfg"

"$faxctl" -c "$cfg" db upgrade >"$tmp/up.log" 2>&1 || fail "faxctl db upgrade as $user failed: $(cat "$tmp/up.log")"
assert_eq "$(stat -c %U "$tmp/db/queue.db")" "$user" "owner of the database made by faxctl run as root"

"$build/bin/faxmilter" -c "$cfg" 2>"$tmp/milter.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$tmp/milter.log" && break; sleep 0.1; done
grep -q "listening on" "$tmp/milter.log" || fail "faxmilter did not start: $(cat "$tmp/milter.log")"
ids() { awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$1/status"; }
assert_eq "$(ids $pid)" "$uid $uid $uid $uid" "master's user ids (real, effective, saved, fs)"
worker=$(pgrep -P $pid | head -n 1)
assert_eq "$(ids "$worker")" "$uid $uid $uid $uid" "worker's user ids"
grep -q '^Groups:.*\b0\b' "/proc/$pid/status" && fail "master kept group root"

miltertest -D SOCK="$sock" -D LIB="$top/tests/e2e/milter/lib.lua" -s "$top/tests/e2e/milter/faxonly.lua" \
	>"$tmp/mt.out" 2>&1 || fail "fax mail as $user: $(cat "$tmp/mt.out") $(tail "$tmp/milter.log")"
n=$("$faxctl" -c "$cfg" jobs --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
assert_eq "$n" 1 "jobs queued by the unprivileged milter"
note "rendered and queued as $user"

# faxmailgate too: it runs its rounds on the same queue as run_user
"$build/bin/faxmailgate" -c "$cfg" 2>"$tmp/mg.log" &
mgpid=$!
for _ in $(seq 50); do grep -q "started" "$tmp/mg.log" && break; sleep 0.1; done
sleep 1 # a round or two on the queue
assert_eq "$(awk '/^Uid:/ { print $2 " " $3 " " $4 }' "/proc/$mgpid/status")" "$uid $uid $uid" "faxmailgate's uids"
kill "$mgpid"
wait "$mgpid" || fail "faxmailgate as $user ended badly: $(cat "$tmp/mg.log")"
grep -q "error" "$tmp/mg.log" && fail "faxmailgate as $user: $(cat "$tmp/mg.log")"
note "faxmailgate ran as $user"

for bad in "run_user = no-such-user-here" "run_user = root"; do
	c=$(conf bad "$bad" "db_path = $tmp/db/queue.db" "milter_socket = inet:1@127.0.0.1")
	rc=0
	"$build/bin/faxmilter" -c "$c" 2>"$tmp/bad.log" || rc=$?
	assert_eq "$rc" 1 "faxmilter exit status with '$bad'"
	grep -q "run_user" "$tmp/bad.log" || fail "'$bad': no clear message: $(cat "$tmp/bad.log")"
	rc=0
	"$build/bin/faxmailgate" -1 -c "$c" 2>"$tmp/bad.log" || rc=$?
	assert_eq "$rc" 1 "faxmailgate exit status with '$bad'"
	grep -q "run_user" "$tmp/bad.log" || fail "'$bad': faxmailgate gives no clear message: $(cat "$tmp/bad.log")"
done
echo "milter_privdrop: ok"
