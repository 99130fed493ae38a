-- recipients refused one by one: malformed number, unauthorised sender from outside
dofile(LIB)
local conn = session()
mailfrom(conn, "<alice@example.test>")
check(rcpt(conn, "<not-a-number@fax.example.test>") == SMFIR_REPLYCODE, "malformed number not refused")
check(rcpt(conn, "<bob@example.test>") == SMFIR_CONTINUE, "ordinary recipient affected by a bad one")
check(message(conn, { { "Subject", "x" } }, "x\r\n") == SMFIR_ACCEPT, "mail left with no fax recipient not accepted")
mt.disconnect(conn)

-- a forged sender from an outside client may never fax
conn = session("192.0.2.7")
mailfrom(conn, "<alice@example.test>")
check(rcpt(conn, "<+49301234100@fax.example.test>") == SMFIR_REPLYCODE, "forged sender from outside not refused")
mt.disconnect(conn)

-- an outsider, authenticated but not allowed
conn = session("192.0.2.7")
mailfrom(conn, "<mallory@elsewhere.test>", "mallory")
check(rcpt(conn, "<+49301234100@fax.example.test>") == SMFIR_REPLYCODE, "unlisted authenticated user not refused")
mt.disconnect(conn)
