-- a fax mail with headers and no body at all: the cover page carries its subject
dofile(LIB)
local conn = session()
mailfrom(conn, "<alice@example.test>", nil, "EMPTY")
check(rcpt(conn, "<+49301235010@fax.example.test>") == SMFIR_CONTINUE, "fax recipient")
for _, h in ipairs({ { "From", "alice@example.test" }, { "Subject", "Please call me back" },
	{ "Message-ID", "<empty-1@example.test>" } }) do
	ok(mt.header(conn, h[1], h[2]), "header " .. h[1])
end
ok(mt.eoh(conn), "eoh")
ok(mt.eom(conn), "eom")
local r = mt.getreply(conn)
check(r == SMFIR_DISCARD, "mail with an empty body not queued: " .. tostring(r))
mt.disconnect(conn)
