-- a bounce (null sender) to a fax number from a trusted client: no identity, so no fax; the
-- bounce still reaches its other recipients
dofile(LIB)
local conn = session()
mailfrom(conn, "<>", nil, "NULLSENDER")
check(rcpt(conn, "<+49301235011@fax.example.test>") == SMFIR_REPLYCODE, "null sender may fax")
check(rcpt(conn, "<bob@example.test>") == SMFIR_CONTINUE, "bounce to a person not continued")
local r = message(conn, { { "Subject", "Undelivered Mail Returned to Sender" } }, "x\r\n")
check(r == SMFIR_ACCEPT, "bounce left with no fax recipient not let go: " .. tostring(r))
mt.disconnect(conn)
