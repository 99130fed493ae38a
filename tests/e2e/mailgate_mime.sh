#!/bin/bash
# mailgate_mime.sh - the mails faxgate writes, read by an independent MIME parser (Python's email
# package, policy=default) and their PDFs by independent PDF tools: for each resolution (standard,
# fine, superfine) a received fax and the three notices are made from real fax pages
# (tests/tools/mailout_make), then
#   - every mail parses without defects, is 7-bit with lines under 998, has From, To, Date,
#     Subject and a Message-ID of its own (no two alike);
#   - a received fax is multipart/mixed: text, PDF, TIFF (the same pages as the source), preview;
#   - notices are multipart/report; report-type=delivery-status with the human part, a
#     message/delivery-status whose fields (RFC 3464) say what happened, and text/rfc822-headers;
#     they answer the original mail (In-Reply-To);
#   - alerts are plain text with X-Faxgate-Alert;
#   - every PDF passes `qpdf --check`, draws (pdftoppm at 204 x 98/196/391 dpi) exactly the source
#     pages pixel for pixel (ImageMagick `compare -metric AE`), and is at most 1.05 times the TIFF;
#   - an admin's translated template is used, its non-ASCII subject RFC 2047 encoded.
set -eu
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
make_mail=$build/tools/mailout_make
[ -x "$make_mail" ] || fail "$make_mail is not built"
for t in qpdf pdftoppm compare convert python3; do
	command -v "$t" >/dev/null || fail "$t is not installed"
done

mkdir -p "$tmp/templates" "$tmp/mails"
mconf=$(conf mail "mail_from = fax@example.com" "mail_template_dir = $tmp/templates" \
	"inbound_attach_tiff = yes" "inbound_preview = yes" "inbound_preview_width = 300" \
	"notify_attach_pdf = yes" "render_tmpdir = $tmp")

# The source pages: a two-page document rendered at each resolution (MMR, one strip a page).
for res in standard fine superfine; do
	FAXCTL_CONF=$mconf render_ok "$tmp/$res.tif" --resolution "$res" "$fixtures/text-2p.pdf"
done

# draws_as PDF TIFF YRES NAME: every page of the PDF drawn at the fax's resolution is the TIFF's page.
draws_as() {
	local pdf=$1 tif=$2 yres=$3 name=$4 n i ae
	n=$("$pagecmp" --info "$tif" | awk '$1 == "pages" { print $2 }')
	qpdf --check "$pdf" >"$tmp/qpdf.log" 2>&1 || fail "$name: qpdf --check: $(cat "$tmp/qpdf.log")"
	rm -f "$tmp"/pp-*.pbm
	pdftoppm -rx 204 -ry "$yres" -mono "$pdf" "$tmp/pp" || fail "$name: pdftoppm failed"
	[ "$(find "$tmp" -maxdepth 1 -name 'pp-*.pbm' | wc -l)" = "$n" ] || fail "$name: the PDF does not have $n pages"
	i=0
	for p in $(find "$tmp" -maxdepth 1 -name 'pp-*.pbm' | sort); do
		convert "${tif}[$i]" "$tmp/tp.pbm" || fail "$name: convert failed"
		ae=$(compare -metric AE "$p" "$tmp/tp.pbm" null: 2>&1) ||
			fail "$name: page $((i + 1)) of the PDF differs from the TIFF's: $ae pixels"
		[ "$ae" = 0 ] || fail "$name: page $((i + 1)): $ae pixels differ"
		i=$((i + 1))
	done
}

# size_ok PDF TIFF NAME [SLACK]: the lossless PDF is hardly larger than the fax TIFF: 1.05 times,
# plus SLACK bytes for the PDF's fixed overhead (catalogue, cross-reference, metadata) on tiny faxes.
size_ok() {
	local p t
	p=$(stat -c %s "$1")
	t=$(stat -c %s "$2")
	note "$3: PDF $p bytes, TIFF $t"
	[ $((p * 100)) -le $((t * 105 + ${4:-0} * 100)) ] ||
		fail "$3: the PDF has $p bytes, the TIFF $t (more than 1.05 times${4:+ + $4})"
}

for res in standard fine superfine; do
	note "$res"
	for kind in fax success failure delay; do
		"$make_mail" -c "$mconf" -k "$kind" -f "$tmp/$res.tif" -o "$tmp/mails/$kind-$res.eml" \
			2>>"$tmp/ids" || fail "mailout_make -k $kind ($res)"
	done
	# Take every mail apart; attachments go to files beside it.
	h1=$("$pagecmp" --info "$tmp/$res.tif" | awk '$1 == "page" && $2 == 1 { print $6 }')
	python3 - "$tmp/mails" "$res" "$h1" "${yres_of[$res]}" <<-'PY' || fail "$res: the mails are not as they should be"
		import email, email.policy, email.utils, struct, sys
		d, res, h1, yres = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

		def load(kind):
		    raw = open(f"{d}/{kind}-{res}.eml", "rb").read()
		    for n, line in enumerate(raw.split(b"\n")):
		        assert len(line) <= 998, f"{kind}: line {n + 1} is {len(line)} bytes"
		        assert max(line, default=0) < 0x80, f"{kind}: 8-bit byte on line {n + 1}"
		        assert b"\x1b" not in line, f"{kind}: raw escape on line {n + 1}"
		    m = email.message_from_bytes(raw, policy=email.policy.default)
		    for part in m.walk():
		        assert not part.defects, f"{kind}: {part.get_content_type()}: {part.defects}"
		    for h in ("From", "To", "Date", "Subject", "Message-ID", "MIME-Version"):
		        assert m[h], f"{kind}: no {h}"
		    assert m["From"].addresses[0].addr_spec == "fax@example.com", m["From"]
		    email.utils.parsedate_to_datetime(m["Date"])
		    return m

		def save(part, name):
		    open(f"{d}/{name}", "wb").write(part.get_content())

		def dsn_fields(m, kind, action, status):
		    assert m.get_content_type() == "multipart/report", m.get_content_type()
		    assert m.get_param("report-type") == "delivery-status"
		    parts = m.get_payload()
		    assert len(parts) == 3, f"{kind}: {len(parts)} parts"
		    assert parts[1].get_content_type() == "message/delivery-status"
		    assert parts[2].get_content_type() == "text/rfc822-headers"
		    blocks = parts[1].get_payload()
		    assert len(blocks) == 2, f"{kind}: {len(blocks)} groups of delivery-status fields"
		    per_msg, rcpt = blocks
		    assert per_msg["Reporting-MTA"].startswith("dns; "), per_msg["Reporting-MTA"]
		    email.utils.parsedate_to_datetime(per_msg["Arrival-Date"])
		    assert rcpt["Original-Recipient"] == "rfc822;+4930123456@fax.example.com", rcpt["Original-Recipient"]
		    assert rcpt["Final-Recipient"] == "rfc822; +4930123456@fax.example.com", rcpt["Final-Recipient"]
		    assert rcpt["Action"] == action, rcpt["Action"]
		    assert rcpt["Status"] == status, rcpt["Status"]
		    assert rcpt["Remote-MTA"] == "X-Fax; +49 30 123456", rcpt["Remote-MTA"]
		    assert rcpt["Diagnostic-Code"].startswith("X-Fax; "), rcpt["Diagnostic-Code"]
		    # folded where a space was: unfolded, the words keep single spaces
		    assert "  " not in rcpt["Diagnostic-Code"], rcpt["Diagnostic-Code"]
		    email.utils.parsedate_to_datetime(rcpt["Last-Attempt-Date"])
		    assert (rcpt["Will-Retry-Until"] is not None) == (action == "delayed")
		    hdrs = parts[2].get_payload(decode=True).decode()
		    assert "Message-ID: <orig.1234@client.example.com>" in hdrs, hdrs
		    assert m["In-Reply-To"] == "<orig.1234@client.example.com>"
		    assert m["References"] == "<orig.1234@client.example.com>"
		    assert m["Auto-Submitted"] == "auto-replied"
		    assert [a.addr_spec for a in m["To"].addresses] == ["bob@example.com"]
		    assert "Quarterly report \u2013 Q3" in str(m["Subject"]), m["Subject"]
		    return parts[0]

		# A received fax.
		m = load("fax")
		assert m.get_content_type() == "multipart/mixed"
		assert str(m["Subject"]) == "Fax from +4940555123 (incomplete)", m["Subject"]
		assert m["From"].addresses[0].display_name == "+4940555123"
		assert [a.addr_spec for a in m["To"].addresses] == ["alice@example.com", "fax-archive@example.com"]
		assert m["X-Faxgate-Fax"] == "4711"
		assert m["Auto-Submitted"] == "auto-generated"
		kinds = [p.get_content_type() for p in m.iter_parts()]
		assert kinds == ["text/plain", "application/pdf", "image/tiff", "image/png"], kinds
		text, pdf, tif, png = m.iter_parts()
		body = text.get_content()
		for want in ("+4940555123", "REMOTE FAX  [2J", "+4930123456", "damaged rows on page 2"):
		    assert want in body, f"fax text lacks {want!r}"
		assert pdf.get_filename().startswith("fax-+4940555123-") and pdf.get_filename().endswith(".pdf")
		assert pdf.get_content_disposition() == "attachment"
		assert tif.get_filename().endswith(".tif")
		assert png.get_content_disposition() == "inline"
		data = png.get_content()
		assert data[:8] == b"\x89PNG\r\n\x1a\n"
		w, h = struct.unpack(">II", data[16:24])
		# the page's shape whatever the resolution: 1728 / 204 inches across, h1 / yres down
		assert w == 300 and abs(h - 300 * (h1 / yres) / (1728 / 204)) <= 1, (w, h, h1, yres)
		save(pdf, f"fax-{res}.pdf")
		save(tif, f"fax-{res}.tif")

		# Notices.
		first = dsn_fields(load("failure"), "failure", "failed", "5.4.1")
		assert [p.get_content_type() for p in first.iter_parts()] == ["text/plain", "application/pdf"]
		text, pdf = first.iter_parts()
		assert "the line was busy on both attempts" in text.get_content()
		assert "J\u00fcrgen M\u00fcller" in text.get_content()
		save(pdf, f"failure-{res}.pdf")

		first = dsn_fields(load("success"), "success", "delivered", "2.0.0")
		kinds = [p.get_content_type() for p in first.iter_parts()]
		assert kinds == ["text/plain", "text/plain", "image/png"], kinds
		report = list(first.iter_parts())[1]
		assert report.get_filename() == "transmission-report.txt"
		rep = report.get_content()
		for want in ("TRANSMISSION REPORT", "+4930123456", "+49 30 123456", "14400 bit/s", "ECM:             on",
		             "Result:          OK", "Attempts:        2"):
		    assert want in rep, f"report lacks {want!r}:\n{rep}"
		data = list(first.iter_parts())[2].get_content()
		assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">I", data[16:20])[0] == 400

		first = dsn_fields(load("delay"), "delay", "delayed", "4.4.1")
		assert first.get_content_type() == "text/plain"
		assert "you do not\nneed to send your mail again" in first.get_content()
	PY
	for f in fax failure; do
		draws_as "$tmp/mails/$f-$res.pdf" "$tmp/$res.tif" "${yres_of[$res]}" "$f ($res)"
		size_ok "$tmp/mails/$f-$res.pdf" "$tmp/$res.tif" "$f ($res)"
	done
	"$pagecmp" --tolerance 0 "$tmp/$res.tif" "$tmp/mails/fax-$res.tif" >"$tmp/cmp.log" 2>&1 ||
		fail "$res: the attached TIFF is not the fax: $(cat "$tmp/cmp.log")"
done

note "the fixture fax TIFF (G4 from elsewhere, fine)"
"$make_mail" -c "$mconf" -k fax -f "$fixtures/fax-fine.tif" -o "$tmp/mails/fixture.eml" 2>>"$tmp/ids" ||
	fail "mailout_make -k fax (fixture)"
python3 - "$tmp/mails" <<-'PY' || fail "fixture: cannot take the PDF out"
	import email, email.policy, sys
	m = email.message_from_bytes(open(sys.argv[1] + "/fixture.eml", "rb").read(), policy=email.policy.default)
	pdf = [p for p in m.iter_parts() if p.get_content_type() == "application/pdf"][0]
	open(sys.argv[1] + "/fixture.pdf", "wb").write(pdf.get_content())
PY
draws_as "$tmp/mails/fixture.pdf" "$fixtures/fax-fine.tif" 196 "fixture"
# Its pages are nearly blank (1.5 KB each): the PDF's own 1 KB counts here.
size_ok "$tmp/mails/fixture.pdf" "$fixtures/fax-fine.tif" "fixture" 1024

note "alerts"
for kind in down up summary; do
	"$make_mail" -c "$mconf" -k "$kind" -o "$tmp/mails/$kind.eml" 2>>"$tmp/ids" || fail "mailout_make -k $kind"
done
python3 - "$tmp/mails" <<-'PY' || fail "the alerts are not as they should be"
	import email, email.policy, sys
	d = sys.argv[1]
	for kind, prefix, key in (("down", "[faxgate] PROBLEM: ", "line_down:sim0"),
	                          ("up", "[faxgate] RECOVERED: ", "line_down:sim0"),
	                          ("summary", "[faxgate] Daily summary: ", "summary")):
	    m = email.message_from_bytes(open(f"{d}/{kind}.eml", "rb").read(), policy=email.policy.default)
	    assert not m.defects, m.defects
	    assert m.get_content_type() == "text/plain", m.get_content_type()
	    assert str(m["Subject"]).startswith(prefix), m["Subject"]
	    assert m["X-Faxgate-Alert"] == key, m["X-Faxgate-Alert"]
	    assert [a.addr_spec for a in m["To"].addresses] == ["admin@example.com"]
	    assert m["Auto-Submitted"] == "auto-generated"
	    assert "hourly limit): 2" in m.get_content()
PY

note "a translated template"
printf 'Subject: Fax von ${sender}${partial} \xe2\x80\x93 Gr\xc3\xbc\xc3\x9fe\n\nSie haben ein Fax erhalten (${pages} Seiten).\n' \
	>"$tmp/templates/fax.txt"
"$make_mail" -c "$mconf" -k fax -f "$tmp/fine.tif" -o "$tmp/mails/de.eml" 2>>"$tmp/ids" || fail "mailout_make (de)"
grep -q '^Subject: Fax von +4940555123 (incomplete) =?' "$tmp/mails/de.eml" ||
	fail "the subject is not RFC 2047 encoded: $(grep '^Subject' "$tmp/mails/de.eml")"
python3 - "$tmp/mails/de.eml" <<-'PY' || fail "the translated template was not used"
	import email, email.policy, sys
	m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
	assert str(m["Subject"]) == "Fax von +4940555123 (incomplete) \u2013 Gr\u00fc\u00dfe", m["Subject"]
	assert next(m.iter_parts()).get_content() == "Sie haben ein Fax erhalten (2 Seiten).\n"
PY

note "Message-IDs"
n=$(wc -l <"$tmp/ids")
[ "$n" -ge 17 ] || fail "only $n Message-IDs: $(cat "$tmp/ids")"
[ "$(sort -u "$tmp/ids" | wc -l)" = "$n" ] || fail "Message-IDs repeat: $(sort "$tmp/ids" | uniq -d)"
grep -Evq '^<fax-(in|notice|alert|summary)\.[^ <>@]+@[A-Za-z0-9.-]+>$' "$tmp/ids" &&
	fail "malformed Message-IDs: $(grep -Ev '^<fax-(in|notice|alert|summary)\.[^ <>@]+@[A-Za-z0-9.-]+>$' "$tmp/ids")"
echo "mailgate_mime: ok"
