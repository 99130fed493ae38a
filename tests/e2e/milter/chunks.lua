-- a fax mail whose body (a base64 PDF) comes in over a thousand chunks of 1 to 7 bytes, splitting
-- line ends and base64 groups: the milter must put it together exactly
dofile(LIB)
local f = io.open(BODY, "rb")
check(f ~= nil, "cannot read " .. tostring(BODY))
local body = f:read("a")
f:close()
local conn = session()
mailfrom(conn, "<alice@example.test>", nil, "CHUNKS")
check(rcpt(conn, "<+49301235006@fax.example.test>") == SMFIR_CONTINUE, "fax recipient")
for _, h in ipairs({
	{ "From", "alice@example.test" }, { "Subject", "in small chunks" },
	{ "Message-ID", "<chunks-1@example.test>" }, { "MIME-Version", "1.0" },
	{ "Content-Type", "multipart/mixed; boundary=\"chunkb\"" } }) do
	ok(mt.header(conn, h[1], h[2]), "header " .. h[1])
	check(mt.getreply(conn) == SMFIR_CONTINUE, "header " .. h[1] .. " not continued")
end
ok(mt.eoh(conn), "eoh")
local pos, n, size = 1, 0, 1
while pos <= #body do
	ok(mt.bodystring(conn, body:sub(pos, pos + size - 1)), "body chunk " .. n)
	check(mt.getreply(conn) == SMFIR_CONTINUE, "body chunk " .. n .. " not continued")
	pos = pos + size
	n = n + 1
	size = size % 7 + 1
end
check(n > 1000, "only " .. n .. " chunks")
ok(mt.eom(conn), "eom")
local r = mt.getreply(conn)
check(r == SMFIR_DISCARD, "chunked mail not queued: " .. tostring(r))
mt.disconnect(conn)
