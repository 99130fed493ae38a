-- example.lua - how a miltertest script drives faxmilter with no MTA (see docs/testing-milter.md).
-- Run: miltertest -D sock=inet:PORT@127.0.0.1 -s tests/e2e/miltertest/example.lua
-- The milter must already listen on sock. One connection, two messages:
--   1. alice, authenticated, faxes 4930123456@fax.example.test and mails bob: the fax recipient is
--      removed at end of message (bob keeps the mail) and a header says the fax was queued;
--   2. an unauthenticated sender from outside is refused at RCPT.
-- miltertest prints nothing for error() or a failing assert() (exit status 1 only), nor for an
-- error raised by an mt.* call: the script runs inside pcall() and prints the message itself.

local function check(ok, what)
	if not ok then
		error(what, 2)
	end
end

-- mt.getreply() returns the reply as a character code: SMFIR_CONTINUE is 'c', SMFIR_ACCEPT 'a',
-- SMFIR_REJECT 'r', SMFIR_TEMPFAIL 't', SMFIR_REPLYCODE 'y' (a reply set with smfi_setreply()).
local function reply_is(conn, want, what)
	local got = mt.getreply(conn)
	check(got == want, what .. ": reply '" .. string.char(got) .. "', expected '" .. string.char(want) .. "'")
end

-- A step the milter opted out of at negotiation (SMFIP_NO*) must not be sent: mt.* raises an error.
local function step(conn, noflag, what, fn, ...)
	if noflag ~= nil and mt.test_option(conn, noflag) then
		return false
	end
	local err = fn(conn, ...)
	check(err == nil, what .. ": " .. tostring(err))
	return true
end

local function main()
	check(sock ~= nil, "run with -D sock=inet:PORT@127.0.0.1 (or unix:/path)")
	mt.set_timeout(30)
	-- 10 tries 0.2 s apart, for a milter that is still starting
	local conn = mt.connect(sock, 10, 0.2)
	check(conn ~= nil, "cannot connect to " .. sock)

	-- Macros go before the step they belong to and replace earlier macros of that step; a step
	-- discards the macros of later steps.
	mt.macro(conn, SMFIC_CONNECT, "j", "mx.example.test", "{daemon_name}", "MTA", "{client_addr}", "192.0.2.10")
	if step(conn, SMFIP_NOCONNECT, "conninfo", mt.conninfo, "client.example.test", "192.0.2.10") then
		reply_is(conn, SMFIR_CONTINUE, "connect")
	end
	step(conn, SMFIP_NOHELO, "helo", mt.helo, "client.example.test")

	-- Message 1: the MAIL macros carry SMTP AUTH, as Postfix and Sendmail send them.
	mt.macro(conn, SMFIC_MAIL, "i", "4ABC123", "{auth_type}", "PLAIN", "{auth_authen}", "alice",
		"{client_addr}", "192.0.2.10")
	step(conn, nil, "mailfrom", mt.mailfrom, "<alice@example.test>")
	reply_is(conn, SMFIR_CONTINUE, "mail from")
	mt.macro(conn, SMFIC_RCPT, "{rcpt_addr}", "4930123456@fax.example.test", "{rcpt_mailer}", "relay")
	step(conn, nil, "rcpt fax", mt.rcptto, "<4930123456@fax.example.test>")
	reply_is(conn, SMFIR_CONTINUE, "rcpt fax")
	mt.macro(conn, SMFIC_RCPT, "{rcpt_addr}", "bob@example.test", "{rcpt_mailer}", "virtual")
	step(conn, nil, "rcpt bob", mt.rcptto, "<bob@example.test>")
	reply_is(conn, SMFIR_CONTINUE, "rcpt bob")

	local headers = {
		{ "From", "Alice <alice@example.test>" }, { "To", "4930123456@fax.example.test, bob@example.test" },
		{ "Subject", "Test fax" }, { "Message-ID", "<t1@example.test>" }, { "MIME-Version", "1.0" },
		{ "Content-Type", "text/plain; charset=us-ascii" },
	}
	for _, h in ipairs(headers) do
		step(conn, SMFIP_NOHDRS, "header " .. h[1], mt.header, h[1], h[2])
	end
	step(conn, SMFIP_NOEOH, "eoh", mt.eoh)
	-- Body lines end in CRLF, as the MTA sends them; mt.bodyfile() sends a file.
	step(conn, SMFIP_NOBODY, "body", mt.bodystring, "Please fax this.\r\n")
	step(conn, nil, "eom", mt.eom)
	-- After eom: continue or accept when the mail goes on; the changes asked for are collected.
	local r = mt.getreply(conn)
	check(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "eom reply '" .. string.char(r) .. "'")
	-- The address is compared as the milter passed it to smfi_delrcpt(), brackets included.
	check(mt.eom_check(conn, MT_RCPTDELETE, "<4930123456@fax.example.test>"), "fax recipient not removed")
	check(not mt.eom_check(conn, MT_RCPTDELETE, "<bob@example.test>"), "bob removed")
	check(mt.eom_check(conn, MT_HDRADD, "X-Faxgate-Queued"), "no X-Faxgate-Queued header")
	mt.echo("queued: " .. tostring(mt.getheader(conn, "X-Faxgate-Queued", 0)))

	-- Message 2: no AUTH, an outside client. smfi_setreply() + SMFIS_REJECT arrives as
	-- SMFIR_REPLYCODE; its text is checked through a real MTA (tests/e2e/mta.sh), not here.
	mt.macro(conn, SMFIC_MAIL, "i", "4ABC124", "{client_addr}", "192.0.2.10")
	step(conn, nil, "mailfrom 2", mt.mailfrom, "<mallory@example.net>")
	reply_is(conn, SMFIR_CONTINUE, "mail from 2")
	step(conn, nil, "rcpt 2", mt.rcptto, "<4930123456@fax.example.test>")
	r = mt.getreply(conn)
	check(r == SMFIR_REPLYCODE or r == SMFIR_REJECT, "unauthenticated fax: reply '" .. string.char(r) .. "'")
	step(conn, nil, "abort", mt.abort)

	mt.disconnect(conn)
end

local ok, err = pcall(main)
if not ok then
	mt.echo("FAIL: " .. tostring(err))
	error(err)
end
mt.echo("example.lua: ok")
