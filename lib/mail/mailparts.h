/*
 * mailparts.h - a fax mail taken apart with gmime: what goes on the fax, and the sender's options.
 *
 * Walks the MIME tree: multipart/mixed; multipart/alternative (text/plain preferred, text/html
 * only when there is no plain text); multipart/related (the HTML part, its inline images not
 * faxed separately); nested message/rfc822 (its body and attachments, in order); RFC 2231 and
 * RFC 2047 file names; Outlook TNEF (winmail.dat, application/ms-tnef) unpacked with libytnef into
 * its attachments and body. Every part's content is decoded (base64, quoted-printable, uuencode).
 * Bounds: at most MAILPARTS_MAX_DOCS documents, nesting depth MAILPARTS_MAX_DEPTH; anything beyond
 * is an error, never silently dropped.
 *
 * Options a sender may give, in headers or in the subject (keywords removed from the subject):
 *   X-Fax-Resolution: standard|fine|superfine     subject: [standard] [fine] [superfine]
 *   X-Fax-Cover: yes|no                           subject: [cover] [nocover]
 *   X-Fax-Send-After: 2026-11-26 18:00 | RFC 5322 date | 18:00 (today, or tomorrow when past)
 *                                                 subject: [after 18:00] [after 2026-11-26 18:00]
 * A malformed option is an error for the sender (554 5.6.0 naming the option), not ignored.
 */
#ifndef FAXGATE_MAIL_MAILPARTS_H
#define FAXGATE_MAIL_MAILPARTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define MAILPARTS_MAX_DOCS  50
#define MAILPARTS_MAX_DEPTH 10

enum mailparts_rc {
	MAILPARTS_OK = 0,
	MAILPARTS_BAD_MESSAGE, /* unparsable MIME, too deep, too many parts: 554 5.6.0 */
	MAILPARTS_BAD_OPTION,  /* a fax option the sender gave is malformed: 554 5.6.0 */
	MAILPARTS_INTERNAL,    /* out of resources: 451 4.3.0 */
};

struct mailparts_doc {
	char *name;   /* file name as the sender gave it, or "message text" for the body */
	uint8_t *data;
	size_t len;
	bool is_body; /* the mail's own text (plain or HTML) */
};

struct mailparts {
	char *subject;    /* decoded (RFC 2047), option keywords removed; "" when none */
	char *from;       /* decoded From: display name and address, for the cover */
	char *message_id; /* without angle brackets, or NULL */
	char *to_header;  /* decoded To and Cc, for recipient display names */
	/* the mail's text as plain UTF-8 (HTML converted to text), for the cover's comment; "" if none */
	char *body_text;
	size_t body_lines;
	/*
	 * Attachments in order, plus the HTML body (is_body) when the mail has no plain text. A plain
	 * text body is only in body_text: the milter decides (fax_body) whether it goes on the cover
	 * or on pages of its own.
	 */
	struct mailparts_doc *docs;
	size_t ndocs;
	/* options: -1 / unset when the sender gave none */
	int resolution; /* enum fax_resolution or -1 */
	int cover;      /* 1, 0 or -1 */
	int64_t send_after; /* unix seconds, 0 when not given */
};

/*
 * Parse a whole message (headers and body, CRLF or LF line ends). now is the time "18:00" is
 * relative to. On failure err says what is wrong in words a sender understands.
 */
enum mailparts_rc mailparts_parse(const void *msg, size_t len, int64_t now, struct mailparts *out,
                                  struct buf *err);
void mailparts_free(struct mailparts *m);
/*
 * The display name the To or Cc header gives this recipient address, or NULL (malloc'd).
 * Matching is by address, domain without case.
 */
char *mailparts_display_name(const struct mailparts *m, const char *rcpt);

#endif
