#!/bin/bash
# milter_options.sh - faxmilter (driven by miltertest) honours a sender's options (subject keywords,
# X-Fax-* headers), refuses a malformed one, and refuses a mail that would exceed the sender's daily
# page quota.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
command -v miltertest >/dev/null || fail "miltertest is not installed (scripts/deps)"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sock="inet:$port@127.0.0.1"
cfg=$(conf options "log_target = stderr" "log_level = info" "db_path = $tmp/queue.db" "milter_socket = $sock" \
	"fax_domains = fax.example.test" "dial_country_code = 49" "dial_area_code = 30" \
	"policy_allow_senders = @example.test" "policy_trusted_networks = 127.0.0.0/8" "render_workers = 1" \
	"policy_daily_pages = 4")
"$faxctl" -c "$cfg" db upgrade >/dev/null 2>&1 || fail "faxctl db upgrade failed"
"$build/bin/faxmilter" -c "$cfg" 2>"$tmp/milter.log" &
milter_pid=$!
trap 'kill $milter_pid 2>/dev/null; wait $milter_pid 2>/dev/null; rm -rf "$tmp"' EXIT

after=$(date -d '+30 days' '+%Y-%m-%d 09:00')
mt() {
	miltertest -D SOCK="$sock" -D AFTER="$after" -D LIB="$top/tests/e2e/milter/lib.lua" -s "$top/tests/e2e/milter/$1.lua" \
		>"$tmp/mt.out" 2>&1 || fail "miltertest $1: $(cat "$tmp/mt.out")
milter log: $(tail -n 20 "$tmp/milter.log")"
	note "$1: ok"
}
# job NUMBER FIELD: a field of the job to NUMBER
job() {
	"$faxctl" -c "$cfg" jobs --json |
		python3 -c "import json,sys; print([j['$2'] for j in json.load(sys.stdin) if j['number'] == '$1'][0])"
}
count() { "$faxctl" -c "$cfg" jobs --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

mt options
assert_eq "$(count)" 2 "jobs after the option mails"
assert_eq "$(job +49301236001 resolution)" 0 "resolution asked for by [standard] (0 = standard)"
assert_eq "$(job +49301236001 subject)" "Offer" "subject without its keywords"
assert_eq "$(job +49301236001 pages)" 1 "pages with [nocover]: the text only"
assert_eq "$(job +49301236002 resolution)" 2 "resolution asked for by X-Fax-Resolution (2 = superfine)"
want=$(date -d "$after" +%s)
assert_eq "$(job +49301236002 send_after)" "$want" "send-after time from X-Fax-Send-After"
grep -q "X-Fax-Resolution" "$tmp/milter.log" || fail "the malformed option is not named in the log"

# quota: 2 pages used today, 3 more asked for (a cover page each), 4 allowed
mt quota
assert_eq "$(count)" 2 "jobs after a mail over the daily quota"
grep -q "daily quota of 4 pages reached" "$tmp/milter.log" || fail "quota refusal not logged"
echo "milter_options: ok"
