-- SIGHUP while a session is open: the session ends with the configuration it began with, and is
-- queued; a session opened after the reload has the new one. HUP (from milter_proto.sh) changes
-- the area code from 30 to 40, signals the milter and waits for the reload.
dofile(LIB)
local a = session()
mailfrom(a, "<alice@example.test>", nil, "HUP1")
check(rcpt(a, "<1235008@fax.example.test>") == SMFIR_CONTINUE, "fax recipient before the reload")
check(os.execute(HUP), "the reload failed")
check(rcpt(a, "<1235018@fax.example.test>") == SMFIR_CONTINUE, "fax recipient after the reload")
local r = fax_message(a, "across a reload", "hup-1", "Sent while the milter reloaded.\r\n")
check(r == SMFIR_DISCARD, "the session across the reload not queued: " .. tostring(r))
mt.disconnect(a)

local b = session()
mailfrom(b, "<alice@example.test>", nil, "HUP2")
check(rcpt(b, "<1235009@fax.example.test>") == SMFIR_CONTINUE, "fax recipient after the reload")
r = fax_message(b, "after the reload", "hup-2", "Sent after the reload.\r\n")
check(r == SMFIR_DISCARD, "the session after the reload not queued: " .. tostring(r))
mt.disconnect(b)
