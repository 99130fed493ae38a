-- a fax recipient with DSN parameters (RFC 3461): NOTIFY and ORCPT are kept with the job
dofile(LIB)
local conn = session()
mailfrom(conn, "<alice@example.test>", nil, "DSN")
check(rcpt(conn, "<+49301235007@fax.example.test>", "NOTIFY=SUCCESS,FAILURE",
	"ORCPT=rfc822;+2B49301235007@fax.example.test") == SMFIR_CONTINUE, "fax recipient with DSN parameters")
local r = fax_message(conn, "with DSN", "dsn-1", "Tell me when it is through.\r\n")
check(r == SMFIR_DISCARD, "mail with DSN parameters not queued: " .. tostring(r))
mt.disconnect(conn)
