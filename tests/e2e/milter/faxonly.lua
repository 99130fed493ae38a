-- a mail only to a fax number: queued, and the mail itself discarded
dofile(LIB)
local conn = session()
mailfrom(conn, "<alice@example.test>")
check(rcpt(conn, "<\"+49 30 1234-100\"@fax.example.test>", "NOTIFY=FAILURE") == SMFIR_CONTINUE, "fax recipient not continued")
local r = message(conn, {
	{ "From", "Alice <alice@example.test>" },
	{ "To", "\"Jane Doe / ACME\" <\"+49 30 1234-100\"@fax.example.test>" },
	{ "Subject", "Offer" },
	{ "Message-ID", "<faxonly-1@example.test>" },
	{ "MIME-Version", "1.0" },
	{ "Content-Type", "text/plain; charset=utf-8" },
}, "Dear Jane,\r\nplease find our offer.\r\n")
check(r == SMFIR_DISCARD, "fax-only mail not discarded after queueing: " .. tostring(r))
mt.disconnect(conn)
