-- two fax recipients (two addressing forms) and a person: jobs for both, the fax recipients removed
dofile(LIB)
local conn = session()
mailfrom(conn, "<alice@example.test>")
check(rcpt(conn, "<FAX=+49301234200/T33S=77@fax.example.test>") == SMFIR_CONTINUE, "RFC 3192 recipient")
check(rcpt(conn, "<0301234300@fax2.example.test>") == SMFIR_CONTINUE, "national number recipient")
check(rcpt(conn, "<bob@example.test>") == SMFIR_CONTINUE, "person")
local r = message(conn, {
	{ "From", "alice@example.test" },
	{ "Subject", "Two faxes" },
	{ "Message-ID", "<mixed-1@example.test>" },
}, "Short note.\r\n")
check(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "mixed mail not accepted: " .. tostring(r))
check(mt.eom_check(conn, MT_RCPTDELETE, "<FAX=+49301234200/T33S=77@fax.example.test>"), "first fax recipient not removed")
check(mt.eom_check(conn, MT_RCPTDELETE, "<0301234300@fax2.example.test>"), "second fax recipient not removed")
check(not mt.eom_check(conn, MT_RCPTDELETE, "<bob@example.test>"), "the person was removed")
mt.disconnect(conn)
