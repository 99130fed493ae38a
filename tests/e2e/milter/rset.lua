-- RSET in the middle of a fax mail's body, then a new mail: the first is forgotten
dofile(LIB)
local conn = session()
mailfrom(conn, "<alice@example.test>", nil, "RSET1")
check(rcpt(conn, "<+49301235003@fax.example.test>") == SMFIR_CONTINUE, "fax recipient")
ok(mt.header(conn, "Subject", "never finished"), "header")
ok(mt.header(conn, "Message-ID", "<rset-1@example.test>"), "header")
ok(mt.eoh(conn), "eoh")
ok(mt.bodystring(conn, "the first half of a mail that the client gives up on\r\n"), "body")
ok(mt.abort(conn), "abort")

-- an ordinary mail now: nothing of the aborted fax mail is left to hold it
mailfrom(conn, "<alice@example.test>", nil, "RSET2")
check(rcpt(conn, "<bob@example.test>") == SMFIR_CONTINUE, "ordinary recipient")
local r = message(conn, { { "Subject", "after RSET" } }, "x\r\n")
check(r == SMFIR_ACCEPT, "ordinary mail after an aborted fax mail not let go: " .. tostring(r))

-- RSET after RCPT, before DATA
mailfrom(conn, "<alice@example.test>", nil, "RSET3")
check(rcpt(conn, "<+49301235003@fax.example.test>") == SMFIR_CONTINUE, "fax recipient again")
ok(mt.abort(conn), "abort before DATA")

mailfrom(conn, "<alice@example.test>", nil, "RSET4")
check(rcpt(conn, "<+49301235004@fax.example.test>") == SMFIR_CONTINUE, "fax recipient of the new mail")
r = fax_message(conn, "after RSET", "rset-4", "The mail that counts.\r\n")
check(r == SMFIR_DISCARD, "the mail after RSET not queued: " .. tostring(r))
mt.disconnect(conn)
