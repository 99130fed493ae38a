-- a corrupt PDF: the mail is refused with 554 and the attachment's name
dofile(LIB)
local conn = session()
mailfrom(conn, "<alice@example.test>")
check(rcpt(conn, "<+49301234100@fax.example.test>") == SMFIR_CONTINUE, "fax recipient")
local body = "--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" ..
	"--b\r\nContent-Type: application/pdf; name=\"broken.pdf\"\r\n" ..
	"Content-Disposition: attachment; filename=\"broken.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" ..
	"JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K\r\n--b--\r\n"
local r = message(conn, {
	{ "From", "alice@example.test" },
	{ "Subject", "broken" },
	{ "Message-ID", "<bad-1@example.test>" },
	{ "MIME-Version", "1.0" },
	{ "Content-Type", "multipart/mixed; boundary=\"b\"" },
}, body)
check(r == SMFIR_REPLYCODE, "corrupt attachment not refused: " .. tostring(r))
mt.disconnect(conn)
