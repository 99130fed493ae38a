-- lib.lua - helpers shared by the faxmilter protocol scripts run by milter_proto.sh.
-- SOCK (the milter's socket) comes from miltertest -D.

function check(cond, msg)
	if not cond then
		-- miltertest prints nothing for a failed assert(): say what failed first
		mt.echo("FAIL: " .. msg)
		error(msg)
	end
end

function ok(r, what)
	check(r == nil, what .. ": " .. tostring(r))
end

-- a connection from ip (nil: 127.0.0.1) with optional SMTP AUTH login
function session(ip, auth)
	local conn = mt.connect(SOCK, 20, 0.25)
	check(conn ~= nil, "cannot connect to the milter at " .. SOCK)
	ok(mt.conninfo(conn, "client.example.test", ip or "127.0.0.1"), "conninfo")
	return conn
end

function mailfrom(conn, sender, auth, qid)
	local macros = { "i", qid or "QID" }
	if auth then
		table.insert(macros, "{auth_authen}")
		table.insert(macros, auth)
	end
	ok(mt.macro(conn, SMFIC_MAIL, table.unpack(macros)), "macro")
	ok(mt.mailfrom(conn, sender), "mailfrom")
	check(mt.getreply(conn) == SMFIR_CONTINUE, "MAIL FROM " .. sender .. " not continued")
end

-- RCPT; returns the reply character
function rcpt(conn, addr, ...)
	ok(mt.rcptto(conn, addr, ...), "rcptto " .. addr)
	return mt.getreply(conn)
end

-- DATA, headers then body; returns the reply that ended it (ACCEPT when the milter lets it go)
function message(conn, headers, body)
	ok(mt.data(conn), "data")
	if mt.getreply(conn) == SMFIR_ACCEPT then
		return SMFIR_ACCEPT
	end
	for _, h in ipairs(headers) do
		ok(mt.header(conn, h[1], h[2]), "header " .. h[1])
		local r = mt.getreply(conn)
		if r == SMFIR_ACCEPT then
			return r
		end
	end
	ok(mt.eoh(conn), "eoh")
	if mt.getreply(conn) == SMFIR_ACCEPT then
		return SMFIR_ACCEPT
	end
	ok(mt.bodystring(conn, body), "body")
	ok(mt.eom(conn), "eom")
	return mt.getreply(conn)
end

-- a plain text mail from alice with its own Message-ID; returns the reply to the end of message
function fax_message(conn, subject, mid, body)
	return message(conn, {
		{ "From", "Alice <alice@example.test>" },
		{ "Subject", subject },
		{ "Message-ID", "<" .. mid .. "@example.test>" },
		{ "MIME-Version", "1.0" },
		{ "Content-Type", "text/plain; charset=us-ascii" },
	}, body)
end
