# shellcheck shell=bash
# mta.sh - private Postfix and Sendmail instances for the end-to-end tests (the milter's, and
# faxmailgate's delivery). Sourced, never run by itself (it has no execute bit, so tests/run-all
# passes it by). Checked by mta_harness.sh.
#
# Every instance lives in a scratch folder DIR given by the test (under /tmp: the MTAs' users must
# be able to enter it), listens on 127.0.0.1 on a free port and is stopped by its PID; nothing is
# installed and nothing outside DIR is written, except Sendmail's unpacked packages, kept in a
# cache for the next run. Nothing leaves an instance: mail to other domains is refused or bounced.
#
# Mail domains (the same in both MTAs):
#   example.test      users alice, bob, postmaster, sender: mail to USER@example.test lands in the
#                     Maildir DIR/mail/USER/. Other users: Postfix refuses them at RCPT (550 5.1.1),
#                     Sendmail bounces them to the sender.
#   $MTA_MAILBOXES    (Postfix only) extra mailboxes by full address in any domain, e.g.
#                     MTA_MAILBOXES="anna.berg@example.com fax@example.test": mail to one lands in
#                     the Maildir DIR/mail/ADDRESS/ (mta_count anna.berg@example.com); their domains
#                     become mailbox domains too, whose other users are refused (550 5.1.1).
#   fax.example.test  the fax domain ($MTA_FAX_DOMAIN): accepted at RCPT time from every client, so
#                     that recipients reach the milter, which normally removes them. A fax
#                     recipient that slips through is delivered to the Maildir DIR/mail/fax/
#                     (Postfix: its Delivered-To header names it; Sendmail: X-Sink-Rcpt), so a test
#                     sees leftovers with `mta_count fax`.
# SMTP AUTH (PLAIN, LOGIN) for alice/alice-pw and bob/bob-pw from a private sasldb, when saslpasswd2
# (package sasl2-bin) is installed: then MTA_SASL=1. The milter's {auth_authen} is "alice".
#
# Functions (each fails with a message on stderr and a non-zero status):
#   postfix_start DIR MILTER
#       A private Postfix in DIR (config DIR/etc, queue DIR/queue, log DIR/log/maillog). MILTER is in
#       Postfix form (inet:127.0.0.1:PORT or unix:/path) and becomes smtpd_milters and
#       non_smtpd_milters, with milter_default_action = tempfail, protocol 6 and the macros of
#       docs/mta.md; "" means no milter. Starting again on the same DIR keeps the queue.
#       Environment read: MTA_MYNETWORKS (default "127.0.0.0/8"; e.g. 192.0.2.0/24 makes 127.0.0.1
#       an untrusted client: no relaying to other domains without AUTH), MTA_POSTFIX_EXTRA (lines
#       appended to main.cf; a later setting wins, e.g. "milter_default_action = reject"),
#       MTA_MAILBOXES (extra mailboxes, see above).
#   sendmail_start DIR MILTER
#       A private Sendmail in DIR/sm, in its own UTS namespace (hostname mx.example.test) and mount
#       namespace (its SASL configuration). MILTER is a port (the milter on inet:PORT@127.0.0.1), a
#       Sendmail socket (inet:PORT@HOST or unix:/path) or "" for no milter; the filter has F=T
#       (tempfail when the milter is down). Returns 2 when Sendmail cannot be had (see next).
#   sendmail_prepare
#       Download Sendmail's packages (apt-get download) and unpack them into $MTA_SENDMAIL_CACHE
#       (default /var/cache/faxgate-tests/sendmail), once; returns 2 when that is impossible, so a
#       test can skip. sendmail_start calls it.
#   postfix_stop / sendmail_stop / mta_stop
#       Stop the running instance by its PID and wait until every process of it is gone (KILL
#       after 10 s). mta_stop stops whichever kind runs; safe to call twice (use it in a trap).
#   mta_send [-a USER:PASSWORD] [-f FROM] [-e EHLO] MESSAGE-FILE RCPT...
#       One SMTP transaction with the instance (tests/e2e/mta_send.py), no pipelining. Prints one
#       line per reply, "STEP CODE TEXT" (STEP: connect ehlo auth mail rcpt:ADDRESS data eom quit;
#       a multi-line reply joined with " | "), then "final CODE TEXT", the reply that decided it
#       (end of data, or the refusal that ended the transaction; a refused RCPT does not end it
#       while another was accepted). Returns 0 for a final 2xx, 4 for 4xx, 5 for 5xx, 1 when the
#       server did not answer. FROM defaults to sender@example.test; -f '' sends MAIL FROM:<>.
#           out=$(mta_send -a alice:alice-pw msg.eml 4930123@fax.example.test) || rc=$?
#           grep -q '^final 550 5.7.1 ' <<<"$out"
#           grep '^rcpt:4930123@fax.example.test ' <<<"$out"     # the RCPT-time reply
#   mta_submit_local FROM RCPT... <MESSAGE
#       Submit a message as a local program would, with the instance's sendmail(1) (Postfix: through
#       non_smtpd_milters; Sendmail: no milter, Sendmail filters SMTP only).
#   mta_message FILE [SUBJECT [BODY]]
#       Write a small text message (From, To, Subject, Message-ID, Date, MIME headers) to FILE.
#   mta_count USER          number of messages delivered to DIR/mail/USER (Maildir new/ and cur/);
#                           USER is a name of example.test, "fax", or an address of MTA_MAILBOXES
#   mta_messages USER       paths of USER's delivered messages, oldest first
#   mta_wait_delivered USER N TIMEOUT
#       Wait up to TIMEOUT seconds (may be fractional) until USER's Maildir holds N messages; fails
#       with the count and the log's tail otherwise.
#   mta_queue_count         messages waiting in the instance's queue (Postfix: postqueue -j)
#   mta_flush               retry the queue now (Postfix: postqueue -f; Sendmail: a queue run)
#   mta_log                 the instance's log (Postfix: DIR/log/maillog; Sendmail logs nowhere)
#   mta_pids                the instance's processes (master or daemon first)
#   mta_alive PID           the process runs (a zombie does not count)
#   mta_free_port           a TCP port free on 127.0.0.1, e.g. for the milter
#
# Variables set by the start functions: MTA_KIND (postfix|sendmail), MTA_DIR, MTA_PORT (SMTP port),
# MTA_PID (master or daemon PID), MTA_SASL. Constants: MTA_DOMAIN, MTA_FAX_DOMAIN, MTA_HOSTNAME.
# One instance at a time per shell.

MTA_DOMAIN=example.test
MTA_FAX_DOMAIN=${MTA_FAX_DOMAIN:-fax.example.test}
MTA_HOSTNAME=mx.example.test
MTA_KIND=
MTA_DIR=
MTA_PORT=
MTA_PID=
MTA_SASL=0
_mta_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

_mta_err() {
	echo "mta.sh: $*" >&2
	return 1
}

# A TCP port free on 127.0.0.1 right now (the kernel picks one from its ephemeral range).
mta_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# mta_alive PID: the process exists and is not a zombie (orphans linger as zombies here).
mta_alive() {
	local state
	state=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# _mta_wait_port PORT SECONDS: until something accepts connections on 127.0.0.1:PORT.
_mta_wait_port() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# _mta_traversable DIR: the unprivileged users the MTAs switch to (postfix, nobody) must reach DIR.
# mktemp -d makes folders only root may enter: under the temporary folder, open them for traversal
# (o+x, not reading); elsewhere, refuse rather than open up someone's folder.
_mta_traversable() {
	local d=$1 tmp=${TMPDIR:-/tmp}
	while [ "$d" != / ] && [ -n "$d" ]; do
		if [ "$(stat -c %A "$d" | cut -c10)" != x ] && [ "$(stat -c %A "$d" | cut -c10)" != t ]; then
			case $d/ in
			"${tmp%/}"/* | /tmp/* | /var/tmp/*) chmod o+x "$d" || return 1 ;;
			*) _mta_err "$d is closed to other users (postfix, nobody): use a folder under /tmp" || return 1 ;;
			esac
		fi
		d=$(dirname "$d")
	done
}

# _mta_sasldb DIR APP: a Cyrus SASL configuration DIR/APP.conf for PLAIN and LOGIN against the
# private database DIR/sasldb2 holding alice/alice-pw and bob/bob-pw. The realm is the server's
# hostname, which both MTAs use by default, so {auth_authen} is the bare user name ("alice").
# Fails when saslpasswd2 (package sasl2-bin) is missing.
_mta_sasldb() {
	local dir=$1 app=$2 u
	command -v saslpasswd2 >/dev/null || return 1
	mkdir -p "$dir" || return 1
	printf '%s\n' "pwcheck_method: auxprop" "auxprop_plugin: sasldb" "sasldb_path: $dir/sasldb2" \
		"mech_list: PLAIN LOGIN" >"$dir/$app.conf"
	for u in alice bob; do
		echo "$u-pw" | saslpasswd2 -p -c -f "$dir/sasldb2" -u "$MTA_HOSTNAME" "$u" ||
			_mta_err "saslpasswd2 failed" || return 1
	done
}

# ---------------------------------------------------------------------------------------------------
# Postfix

postfix_start() {
	local dir=$1 milter=$2 etc port sasl_conf=
	[ -n "$dir" ] || _mta_err "postfix_start: no folder" || return 1
	command -v postfix >/dev/null || _mta_err "postfix is not installed" || return 1
	mkdir -p "$dir" && dir=$(cd "$dir" && pwd) || return 1
	etc=$dir/etc
	_mta_traversable "$dir" || return 1
	mkdir -p "$etc" "$dir/queue" "$dir/data" "$dir/log" "$dir/mail"
	# virtual(8) delivers as nobody (it wants a uid >= 100); the Maildirs must be writable by it.
	chown nobody:nogroup "$dir/mail"
	chown postfix "$dir/data"
	port=$(mta_free_port) || return 1

	# Local users and the fax leftovers sink: virtual(8) with texthash maps (no postmap needed).
	printf '%s\n' "alice@$MTA_DOMAIN alice/" "bob@$MTA_DOMAIN bob/" "postmaster@$MTA_DOMAIN postmaster/" \
		"sender@$MTA_DOMAIN sender/" "@$MTA_FAX_DOMAIN fax/" >"$etc/vmailbox"
	# Extra mailboxes by full address, in any domain: Maildir DIR/mail/ADDRESS/.
	local box domains=$MTA_DOMAIN
	for box in ${MTA_MAILBOXES:-}; do
		case $box in
		*/* | @* | *@ | *@*@* | [!a-zA-Z0-9]* | *[!a-zA-Z0-9@._+-]*)
			_mta_err "MTA_MAILBOXES: '$box' is not a plain address" || return 1 ;;
		*@*) ;;
		*) _mta_err "MTA_MAILBOXES: '$box' has no domain" || return 1 ;;
		esac
		printf '%s %s/\n' "$box" "$box" >>"$etc/vmailbox"
		case " $domains $MTA_FAX_DOMAIN " in
		*" ${box#*@} "*) ;;
		*) domains="$domains ${box#*@}" ;;
		esac
	done
	# The fax domain is relayed via transport, as on a real gateway; here the transport is a sink.
	printf '%s virtual:\n' "$MTA_FAX_DOMAIN" >"$etc/transport"

	MTA_SASL=0
	if _mta_sasldb "$etc/sasl" smtpd; then
		# smtpd runs as postfix and opens the database itself.
		chgrp postfix "$etc/sasl/sasldb2" && chmod 640 "$etc/sasl/sasldb2"
		sasl_conf="smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $etc/sasl
smtpd_sasl_security_options = noanonymous"
		MTA_SASL=1
	fi

	cat >"$etc/main.cf" <<EOF
# A private Postfix for faxgate's end-to-end tests (tests/e2e/mta.sh).
compatibility_level = 3.6
config_directory = $etc
queue_directory = $dir/queue
data_directory = $dir/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = $dir/log/maillog
maillog_file_prefixes = $dir/log
myhostname = $MTA_HOSTNAME
mydomain = $MTA_DOMAIN
myorigin = \$mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = ${MTA_MYNETWORKS-127.0.0.0/8}
alias_maps =
alias_database =
biff = no
smtputf8_enable = no
smtpd_banner = \$myhostname ESMTP faxgate-test
relay_domains = $MTA_FAX_DOMAIN
transport_maps = texthash:$etc/transport
virtual_mailbox_domains = $domains
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = texthash:$etc/vmailbox
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
# Nothing leaves this instance: smtpd refuses other domains at RCPT time (error transport).
default_transport = error:5.7.1 this test instance sends no mail out
relay_transport = error:5.7.1 this test instance sends no mail out
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions =
# Fast retries for "tempfail now, delivered later" tests.
queue_run_delay = 10s
minimal_backoff_time = 10s
maximal_backoff_time = 60s
$sasl_conf
EOF
	if [ -n "$milter" ]; then
		cat >>"$etc/main.cf" <<EOF
smtpd_milters = $milter
non_smtpd_milters = $milter
milter_default_action = tempfail
milter_protocol = 6
milter_connect_macros = j {daemon_name} {daemon_addr} {daemon_port} v _ {client_addr} {client_name} {client_port}
milter_mail_macros = i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer} {client_addr}
milter_rcpt_macros = i {rcpt_addr} {rcpt_host} {rcpt_mailer}
milter_end_of_data_macros = i
EOF
	fi
	[ -z "${MTA_POSTFIX_EXTRA:-}" ] || printf '%s\n' "$MTA_POSTFIX_EXTRA" >>"$etc/main.cf"

	# No chroot: the jail would lack the private maps, sasldb and Maildirs.
	cat >"$etc/master.cf" <<EOF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       -       0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
EOF
	# A main.cf or map younger than ~2 s makes postfix and each daemon wait ~2 s for it to settle.
	find "$etc" -type f -exec touch -d "-10 seconds" {} +
	MTA_KIND=postfix MTA_DIR=$dir MTA_PORT=$port MTA_PID=''
	if ! postfix -c "$etc" start >"$dir/log/start.out" 2>&1; then
		_mta_err "postfix start failed: $(cat "$dir/log/start.out" "$dir/log/maillog" 2>/dev/null | tail -n 20)"
		return 1
	fi
	local i
	for ((i = 0; i < 100; i++)); do
		MTA_PID=$(awk '{ print $1; exit }' "$dir/queue/pid/master.pid" 2>/dev/null)
		[ -n "$MTA_PID" ] && break
		sleep 0.05
	done
	[ -n "$MTA_PID" ] || _mta_err "postfix wrote no master.pid" || return 1
	_mta_wait_port "$port" 10 || _mta_err "postfix does not listen on $port: $(tail -n 20 "$dir/log/maillog")" || return 1
	export MTA_KIND MTA_DIR MTA_PORT MTA_PID MTA_SASL
}

postfix_stop() {
	[ "$MTA_KIND" = postfix ] && [ -n "$MTA_PID" ] || return 0
	local pids
	# The master's children (smtpd, qmgr ...) end with it; collect them first to wait for them.
	pids=$(mta_pids)
	kill -TERM "$MTA_PID" 2>/dev/null
	# shellcheck disable=SC2086
	_mta_wait_gone 10 $pids || _mta_err "postfix processes still running: $pids"
	MTA_PID=
}

# ---------------------------------------------------------------------------------------------------
# Sendmail

# sendmail_prepare: Sendmail's packages unpacked once into the cache (sendmail-bin conflicts with
# postfix, so it is never installed). Returns 2 when they cannot be had (no network, no apt).
sendmail_prepare() {
	local cache=${MTA_SENDMAIL_CACHE:-/var/cache/faxgate-tests/sendmail} rc=0
	MTA_SENDMAIL_ROOT=$cache/root
	command -v m4 >/dev/null || _mta_err "m4 is not installed" || return 2
	if [ ! -f "$cache/unpacked" ]; then
		mkdir -p "$cache" || return 2
		# Tests running side by side unpack once.
		(
			flock 9
			[ -f "$cache/unpacked" ] && exit 0
			tmpd=$(mktemp -d "$cache/dl.XXXXXX") || exit 2
			# apt-get download runs as _apt where it can.
			chmod 755 "$tmpd"
			if ! (cd "$tmpd" && apt-get download -q sendmail-bin sendmail-base sendmail-cf) >"$tmpd/log" 2>&1; then
				_mta_err "apt-get download sendmail failed: $(tail -n 3 "$tmpd/log")"
				rm -rf "$tmpd"
				exit 2
			fi
			rm -rf "$cache/root"
			for deb in "$tmpd"/*.deb; do
				dpkg-deb -x "$deb" "$cache/root" || exit 2
			done
			rm -rf "$tmpd"
			touch "$cache/unpacked"
		) 9>"$cache/lock" || rc=$?
		[ "$rc" -eq 0 ] || return 2
	fi
	[ -x "$MTA_SENDMAIL_ROOT/usr/libexec/sendmail/sendmail" ] || _mta_err "no sendmail binary in $cache" || return 2
}

# _sendmail_run ARGS...: the private Sendmail with its .cf, in a UTS namespace of its own whose
# hostname is fully qualified (with a bare hostname and no DNS it waits 60 s at start).
_sendmail_run() {
	# shellcheck disable=SC2016
	unshare -u sh -c 'hostname "$0" && exec "$@"' "$MTA_HOSTNAME" \
		"$MTA_SENDMAIL_ROOT/usr/libexec/sendmail/sendmail" -C "$MTA_DIR/sm/sendmail.cf" "$@"
}

# _sendmail_files SM: the delivery program and the maps.
_sendmail_files() {
	local sm=$1
	# Both domains go to this program through the mailertable: one Maildir file a recipient, in the
	# box named by the mailertable's host part (local: the user of example.test; fax: leftovers).
	cat >"$sm/deliver" <<'EOF'
#!/bin/sh
# deliver MAILDIR-ROOT BOX RECIPIENT: Sendmail's mailer in the faxgate tests (tests/e2e/mta.sh).
root=$1 box=$2 rcpt=$3
if [ "$box" = local ]; then
	box=${rcpt%@*}
	case $box in alice | bob | postmaster | sender) ;; *) echo "no such user: $rcpt" >&2; exit 67 ;; esac
fi
mkdir -p "$root/$box/tmp" "$root/$box/new" "$root/$box/cur" || exit 75
f=$(date +%s.%N).$$.mx
{ printf 'X-Sink-Rcpt: %s\n' "$rcpt"; cat; } >"$root/$box/tmp/$f" || exit 75
mv "$root/$box/tmp/$f" "$root/$box/new/$f" || exit 75
EOF
	chmod 755 "$sm/deliver"
	# Nothing leaves the instance: other domains are refused at RCPT time (error mailer).
	printf '%s\n' "$MTA_DOMAIN filesink:local" "$MTA_FAX_DOMAIN filesink:fax" \
		'. error:5.7.1:550 this test instance sends no mail out' >"$sm/mailertable"
	printf 'hosts files\naliases files\n' >"$sm/service.switch"
	printf '%s\n' "postmaster: postmaster@$MTA_DOMAIN" "mailer-daemon: postmaster" >"$sm/aliases"
}

# _sendmail_mc SM PORT FILTER SASL: the .mc of the private instance.
_sendmail_mc() {
	local sm=$1 port=$2 filter=$3 auth=''
	[ "$4" != 1 ] || auth="define(\`confAUTH_MECHANISMS', \`PLAIN LOGIN')dnl
TRUST_AUTH_MECH(\`PLAIN LOGIN')dnl"
	cat <<EOF
divert(-1)
A private Sendmail for faxgate's end-to-end tests (tests/e2e/mta.sh).
divert(0)dnl
include(\`$MTA_SENDMAIL_ROOT/usr/share/sendmail/cf/m4/cf.m4')dnl
VERSIONID(\`faxgate tests')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`$MTA_HOSTNAME')dnl
define(\`QUEUE_DIR', \`$sm/mqueue')dnl
define(\`STATUS_FILE', \`$sm/statistics')dnl
define(\`confPID_FILE', \`$sm/sendmail.pid')dnl
define(\`ALIAS_FILE', \`$sm/aliases')dnl
define(\`confCW_FILE', \`-o $sm/local-host-names')dnl
define(\`confSERVICE_SWITCH_FILE', \`$sm/service.switch')dnl
define(\`confHOST_STATUS_DIRECTORY', \`')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confTO_IDENT', \`0s')dnl
dnl Scratch folders live under the world-writable /tmp, which Sendmail distrusts.
define(\`confDONT_BLAME_SENDMAIL', \`MapInUnsafeDirPath, TrustStickyBit')dnl
define(\`confMILTER_MACROS_CONNECT', \`j, _, {daemon_name}, {if_name}, {if_addr}, {client_addr}, {client_name}, {client_port}')dnl
define(\`confMILTER_MACROS_ENVFROM', \`i, {auth_type}, {auth_authen}, {auth_ssf}, {auth_author}, {mail_mailer}, {mail_host}, {mail_addr}, {client_addr}')dnl
define(\`confMILTER_MACROS_ENVRCPT', \`{rcpt_mailer}, {rcpt_host}, {rcpt_addr}')dnl
FEATURE(\`no_default_msa')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`mailertable', \`hash -o $sm/mailertable')dnl
DAEMON_OPTIONS(\`Port=$port, Addr=127.0.0.1, Name=MTA')dnl
RELAY_DOMAIN(\`$MTA_DOMAIN')dnl
RELAY_DOMAIN(\`$MTA_FAX_DOMAIN')dnl
$auth
$filter
MAILER(\`local')dnl
MAILER(\`smtp')dnl
MAILER_DEFINITIONS
Mfilesink, P=$sm/deliver, F=DFMPSn, S=EnvFromSMTP/HdrFromSMTP, R=EnvToSMTP, T=DNS/RFC822/X-Unix, A=deliver $MTA_DIR/mail \$h \$u
EOF
}

sendmail_start() {
	local dir=$1 milter=$2 sm port socket='' filter='' sasl_dir=''
	[ -n "$dir" ] || _mta_err "sendmail_start: no folder" || return 1
	sendmail_prepare || return $?
	mkdir -p "$dir" && dir=$(cd "$dir" && pwd) || return 1
	sm=$dir/sm
	mkdir -p "$sm/mqueue" "$dir/mail" && chmod 700 "$sm/mqueue" || return 1
	port=$(mta_free_port) || return 1
	case $milter in
	"") ;;
	*[!0-9]*) socket=$milter ;;
	*) socket=inet:$milter@127.0.0.1 ;;
	esac
	[ -z "$socket" ] ||
		filter="INPUT_MAIL_FILTER(\`faxgate', \`S=$socket, F=T, T=C:10s;S:60s;R:60s;E:5m')dnl"
	MTA_KIND=sendmail MTA_DIR=$dir MTA_PORT=$port MTA_PID='' MTA_SASL=0
	_sendmail_files "$sm" || return 1
	if [ -d /usr/lib/sasl2 ] && _mta_sasldb "$sm/sasl" Sendmail; then
		sasl_dir=$sm/sasl
		MTA_SASL=1
	fi
	_sendmail_mc "$sm" "$port" "$filter" "$MTA_SASL" >"$sm/sendmail.mc"
	m4 "$sm/sendmail.mc" >"$sm/sendmail.cf" 2>"$sm/m4.err" || _mta_err "m4: $(cat "$sm/m4.err")" || return 1
	# shellcheck disable=SC2094 # makemap reads the text and writes mailertable.db
	"$MTA_SENDMAIL_ROOT/usr/libexec/sendmail/makemap" -C "$sm/sendmail.cf" hash "$sm/mailertable" \
		<"$sm/mailertable" 2>"$sm/makemap.err" || _mta_err "makemap: $(cat "$sm/makemap.err")" || return 1
	# -bD: the daemon stays in the foreground, so $! is its PID (unshare and sh exec into it; a
	# function here would leave a subshell in between). Sendmail reads its SASL configuration only
	# from Cyrus's fixed search path: in a private mount namespace, the private one is mounted over
	# /usr/lib/sasl2 (which holds no plugins on Debian), seen by this process alone.
	# shellcheck disable=SC2016
	unshare -u -m sh -c 'hostname "$0" || exit 1
		[ -z "$1" ] || mount --bind "$1" /usr/lib/sasl2 || exit 1
		shift
		exec "$@"' "$MTA_HOSTNAME" "$sasl_dir" \
		"$MTA_SENDMAIL_ROOT/usr/libexec/sendmail/sendmail" -C "$sm/sendmail.cf" -bD -q10s >"$sm/daemon.out" 2>&1 &
	MTA_PID=$!
	if ! _mta_wait_port "$port" 15; then
		_mta_err "sendmail does not listen on $port: $(cat "$sm/daemon.out")"
		sendmail_stop
		return 1
	fi
	export MTA_KIND MTA_DIR MTA_PORT MTA_PID MTA_SASL
}

sendmail_stop() {
	[ "$MTA_KIND" = sendmail ] && [ -n "$MTA_PID" ] || return 0
	local pids
	pids=$(mta_pids)
	kill -TERM "$MTA_PID" 2>/dev/null
	# shellcheck disable=SC2086
	_mta_wait_gone 10 $pids || _mta_err "sendmail processes still running: $pids"
	wait "$MTA_PID" 2>/dev/null
	MTA_PID=
}

# ---------------------------------------------------------------------------------------------------
# Process helpers

# mta_pids: the instance's processes, the master (or daemon) first, then its descendants. Sendmail's
# delivery processes outlive the SMTP child that forked them and are reparented away from the
# daemon: there, every process in the daemon's private UTS namespace counts.
mta_pids() {
	local ns p
	[ -n "$MTA_PID" ] || return 0
	echo "$MTA_PID"
	if [ "$MTA_KIND" = sendmail ] && ns=$(readlink "/proc/$MTA_PID/ns/uts" 2>/dev/null); then
		for p in /proc/[0-9]*; do
			[ "${p#/proc/}" != "$MTA_PID" ] && [ "$(readlink "$p/ns/uts" 2>/dev/null)" = "$ns" ] &&
				echo "${p#/proc/}"
		done
		return 0
	fi
	_mta_children "$MTA_PID"
}

# _mta_children PID: every descendant of PID.
_mta_children() {
	local c
	# shellcheck disable=SC2013 # the file is a list of words
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		echo "$c"
		_mta_children "$c"
	done
}

# _mta_wait_gone SECONDS PID...: until none of the PIDs lives; TERM, then KILL stragglers at the end.
_mta_wait_gone() {
	local secs=$1 i p left
	shift
	for ((i = 0; i < secs * 20; i++)); do
		left=
		for p in "$@"; do mta_alive "$p" && left="$left $p"; done
		[ -z "$left" ] && return 0
		sleep 0.05
	done
	# shellcheck disable=SC2086
	kill -KILL $left 2>/dev/null
	return 1
}

# ---------------------------------------------------------------------------------------------------
# Common to both

mta_stop() {
	case $MTA_KIND in
	postfix) postfix_stop ;;
	sendmail) sendmail_stop ;;
	esac
}

mta_send() {
	[ -n "$MTA_PORT" ] || _mta_err "mta_send: no MTA started" || return 1
	python3 "$_mta_lib/mta_send.py" -p "$MTA_PORT" "$@"
}

mta_message() {
	local file=$1 subject=${2:-faxgate test} body=${3:-Hello from the faxgate tests.}
	{
		printf 'From: Sender <sender@%s>\n' "$MTA_DOMAIN"
		printf 'To: <alice@%s>\n' "$MTA_DOMAIN"
		printf 'Subject: %s\n' "$subject"
		printf 'Message-ID: <%s.%s@client.example.test>\n' "$(date +%s%N)" "$RANDOM"
		printf 'Date: %s\n' "$(date -R)"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n%s\n' "$body"
	} >"$file"
}

mta_submit_local() {
	local from=$1
	shift
	case $MTA_KIND in
	postfix) sendmail -C "$MTA_DIR/etc" -f "$from" -- "$@" ;;
	sendmail) _sendmail_run -f "$from" -- "$@" ;;
	*) _mta_err "mta_submit_local: no MTA started" ;;
	esac
}

mta_messages() {
	local d=$MTA_DIR/mail/$1
	[ -d "$d" ] || return 0
	find "$d/new" "$d/cur" -type f -printf '%T@ %p\n' 2>/dev/null | sort -n | cut -d' ' -f2-
}

mta_count() {
	# grep -c prints 0 and fails when there is nothing: callers under set -e want the 0
	mta_messages "$1" | grep -c . || true
}

mta_wait_delivered() {
	local user=$1 want=$2 timeout=$3 n i steps
	steps=$(awk -v t="$timeout" 'BEGIN { printf "%d", t * 20 }')
	for ((i = 0; i <= steps; i++)); do
		n=$(mta_count "$user")
		[ "$n" -ge "$want" ] && return 0
		sleep 0.05
	done
	_mta_err "$user has $n message(s), not $want, after ${timeout}s; log: $(mta_log | tail -n 15)"
}

mta_queue_count() {
	case $MTA_KIND in
	postfix) postqueue -c "$MTA_DIR/etc" -j 2>/dev/null | grep -c . || true ;;
	sendmail) find "$MTA_DIR/sm/mqueue" -name 'qf*' 2>/dev/null | grep -c . || true ;;
	*) _mta_err "mta_queue_count: no MTA started" ;;
	esac
}

mta_flush() {
	case $MTA_KIND in
	postfix) postqueue -c "$MTA_DIR/etc" -f ;;
	sendmail) _sendmail_run -q >/dev/null 2>&1 ;;
	*) _mta_err "mta_flush: no MTA started" ;;
	esac
}

mta_log() {
	case $MTA_KIND in
	postfix) cat "$MTA_DIR/log/maillog" 2>/dev/null ;;
	sendmail) echo "(sendmail logs to syslog only; none here)" ;;
	esac
}
