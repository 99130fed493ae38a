-- ordinary mail: the milter lets it go at the first header
dofile(LIB)
local conn = session()
mailfrom(conn, "<alice@example.test>")
check(rcpt(conn, "<bob@example.test>") == SMFIR_CONTINUE, "ordinary recipient not continued")
check(message(conn, { { "Subject", "hello" } }, "hi\r\n") == SMFIR_ACCEPT, "ordinary mail not accepted at once")
mt.disconnect(conn)
