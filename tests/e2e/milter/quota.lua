-- three fax recipients with cover pages: more pages than the daily quota has left
dofile(LIB)
local conn = session()
mailfrom(conn, "<alice@example.test>")
for i = 1, 3 do
	check(rcpt(conn, "<+4930123610" .. i .. "@fax.example.test>") == SMFIR_CONTINUE, "fax recipient " .. i)
end
local r = message(conn, {
	{ "From", "alice@example.test" },
	{ "Subject", "Too much" },
	{ "Message-ID", "<quota-1@example.test>" },
}, "Short.\r\n")
check(r == SMFIR_REPLYCODE, "mail over the quota not refused: " .. tostring(r))
mt.disconnect(conn)
