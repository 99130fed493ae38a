-- a sender's options in the subject and in headers; a malformed option refused
dofile(LIB)
local conn = session()
mailfrom(conn, "<alice@example.test>")
check(rcpt(conn, "<+49301236001@fax.example.test>") == SMFIR_CONTINUE, "fax recipient")
local r = message(conn, {
	{ "From", "alice@example.test" },
	{ "Subject", "[standard] [nocover] Offer" },
	{ "Message-ID", "<options-1@example.test>" },
}, "Our offer, on a page of its own.\r\n")
check(r == SMFIR_DISCARD, "mail with subject options not queued: " .. tostring(r))

mailfrom(conn, "<alice@example.test>")
check(rcpt(conn, "<+49301236002@fax.example.test>") == SMFIR_CONTINUE, "fax recipient")
r = message(conn, {
	{ "From", "alice@example.test" },
	{ "Subject", "Later" },
	{ "X-Fax-Resolution", "superfine" },
	{ "X-Fax-Send-After", AFTER },
	{ "Message-ID", "<options-2@example.test>" },
}, "Send this later.\r\n")
check(r == SMFIR_DISCARD, "mail with header options not queued: " .. tostring(r))

mailfrom(conn, "<alice@example.test>")
check(rcpt(conn, "<+49301236003@fax.example.test>") == SMFIR_CONTINUE, "fax recipient")
r = message(conn, {
	{ "From", "alice@example.test" },
	{ "Subject", "Bad" },
	{ "X-Fax-Resolution", "ultra" },
	{ "Message-ID", "<options-3@example.test>" },
}, "x\r\n")
check(r == SMFIR_REPLYCODE, "malformed option not refused: " .. tostring(r))
mt.disconnect(conn)
