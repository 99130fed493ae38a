-- several mails on one connection: a fax, a mail from someone who may not fax, then a fax to a
-- number and a person; each is decided on its own, nothing of one mail leaks into the next
dofile(LIB)
local conn = session()
mailfrom(conn, "<alice@example.test>", nil, "MULTI1")
check(rcpt(conn, "<+49301235001@fax.example.test>") == SMFIR_CONTINUE, "first fax recipient")
local r = fax_message(conn, "first of several", "multi-1", "The first mail.\r\n")
check(r == SMFIR_DISCARD, "first fax mail not discarded after queueing: " .. tostring(r))

-- another sender on the same connection is asked again: mallory may not fax
mailfrom(conn, "<mallory@elsewhere.test>", nil, "MULTI2")
check(rcpt(conn, "<+49301235001@fax.example.test>") == SMFIR_REPLYCODE, "the first sender's permission kept for the next")
check(rcpt(conn, "<bob@example.test>") == SMFIR_CONTINUE, "ordinary recipient")
r = message(conn, { { "Subject", "not a fax" } }, "x\r\n")
check(r == SMFIR_ACCEPT, "the ordinary mail after a fax is not let go: " .. tostring(r))

mailfrom(conn, "<alice@example.test>", nil, "MULTI3")
check(rcpt(conn, "<+49301235002@fax.example.test>") == SMFIR_CONTINUE, "second fax recipient")
check(rcpt(conn, "<bob@example.test>") == SMFIR_CONTINUE, "person with the second fax")
r = fax_message(conn, "third of several", "multi-3", "The third mail.\r\n")
check(r == SMFIR_CONTINUE, "third mail not let on to bob: " .. tostring(r))
check(mt.eom_check(conn, MT_RCPTDELETE, "<+49301235002@fax.example.test>"), "fax recipient of the third mail kept")
check(not mt.eom_check(conn, MT_RCPTDELETE, "<+49301235001@fax.example.test>"), "the first mail's recipient removed again")
mt.disconnect(conn)
