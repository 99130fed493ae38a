-- one number written two ways in one mail: one job, and both recipients taken out of the mail;
-- then a mail with one fax recipient more than milter_max_recipients (20): the 21st is put off
dofile(LIB)
local conn = session()
mailfrom(conn, "<alice@example.test>", nil, "DUP1")
check(rcpt(conn, "<0301235020@fax.example.test>") == SMFIR_CONTINUE, "national form")
check(rcpt(conn, "<+49301235020@fax2.example.test>") == SMFIR_CONTINUE, "international form")
check(rcpt(conn, "<bob@example.test>") == SMFIR_CONTINUE, "person")
local r = fax_message(conn, "one number twice", "dup-1", "Only one fax, please.\r\n")
check(r == SMFIR_CONTINUE, "mail with a number twice not let on to bob: " .. tostring(r))
check(mt.eom_check(conn, MT_RCPTDELETE, "<0301235020@fax.example.test>"), "national form not removed")
check(mt.eom_check(conn, MT_RCPTDELETE, "<+49301235020@fax2.example.test>"), "international form not removed")
check(not mt.eom_check(conn, MT_RCPTDELETE, "<bob@example.test>"), "the person was removed")

mailfrom(conn, "<alice@example.test>", nil, "DUP2")
for i = 1, 20 do
	check(rcpt(conn, string.format("<+4930123510%02d@fax.example.test>", i)) == SMFIR_CONTINUE, "fax recipient " .. i)
end
check(rcpt(conn, "<+49301235121@fax.example.test>") == SMFIR_REPLYCODE, "21st fax recipient accepted")
check(rcpt(conn, "<bob@example.test>") == SMFIR_CONTINUE, "person after too many fax recipients")
ok(mt.abort(conn), "abort")
mt.disconnect(conn)
