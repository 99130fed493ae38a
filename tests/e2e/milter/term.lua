-- SIGTERM while a session is open. libmilter stops serving and does not wait for the session, so
-- it is cut at some step (the MTA then tempfails the mail) or, if the milter answers every step,
-- completes. OUT receives "queued" or "cut"; milter_proto.sh checks the queue agrees: a cut mail
-- left no job behind. TERM (from milter_proto.sh) signals the milter.
dofile(LIB)
local conn = session()
mailfrom(conn, "<alice@example.test>", nil, "TERM1")
check(rcpt(conn, "<+49301235012@fax.example.test>") == SMFIR_CONTINUE, "fax recipient")
check(os.execute(TERM), "cannot signal the milter")
mt.sleep(0.3)
local outcome = "cut"
local steps = {
	function() return mt.header(conn, "From", "alice@example.test") end,
	function() return mt.header(conn, "Subject", "while stopping") end,
	function() return mt.header(conn, "Message-ID", "<term-1@example.test>") end,
	function() return mt.eoh(conn) end,
	function() return mt.bodystring(conn, "Sent while the milter stops.\r\n") end,
	function() return mt.eom(conn) end,
}
for i, step in ipairs(steps) do
	local ok_, err = pcall(step)
	if not ok_ or err ~= nil then
		break
	end
	local r = mt.getreply(conn)
	if i == #steps then
		check(r == SMFIR_DISCARD, "the mail completed at SIGTERM not queued: " .. tostring(r))
		outcome = "queued"
	else
		check(r == SMFIR_CONTINUE, "step " .. i .. " at SIGTERM: " .. tostring(r))
	end
end
local f = io.open(OUT, "w")
f:write(outcome)
f:close()
mt.disconnect(conn, false)
