/*
 * mailout.h - the mails faxgate writes (gmime): a received fax for its recipients, notices to
 * senders (RFC 3464 delivery status reports), alerts to admins. Texts come from templates
 * (template.h) an admin can edit and translate. Each function makes a complete message with a
 * new Message-ID; the caller stores it in the outbox, so every try sends the same bytes.
 */
#ifndef FAXGATE_MAILOUT_MAILOUT_H
#define FAXGATE_MAILOUT_MAILOUT_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "queue/queue.h"
#include "render/mmr.h"
#include "util/buf.h"

struct mailout_mail {
	struct buf message; /* the whole message, LF line ends */
	char *message_id;   /* "<...>" as in the Message-ID header */
};
void mailout_mail_free(struct mailout_mail *m);

/* The address mail comes from: mail_from, else "faxgate@" and the host's name. */
void mailout_from_address(const struct conf *conf, struct buf *out);

/*
 * A received fax, for its recipients (To: the addresses routing found). From: mail_from with the
 * caller's number or station id as display name; Subject and text body from the "fax" template
 * (caller id, station id, number called, pages, time, duration, quality; a partial fax says so in
 * the subject); the pages as a PDF with the images embedded losslessly (faxpdf); the TIFF too when
 * inbound_attach_tiff; a preview of the first page when inbound_preview. route_note (may be NULL)
 * says how the recipients were found, for the X-Faxgate-Route header.
 */
struct mailout_fax {
	const struct inbound *in;
	const struct fax_page_list *pages;
	const int *bad_rows; /* per page, rows received damaged; NULL: none */
	const char *const *to;
	size_t nto;
	const char *route_note;
};
int mailout_fax(const struct conf *conf, const struct mailout_fax *f, struct mailout_mail *out,
                struct buf *err);

/*
 * A notice to the sender of a job: multipart/report; report-type=delivery-status with
 *   1. the human-readable part from the notice-success / notice-failure / notice-delay template;
 *      a failure carries the fax as a PDF (notify_attach_pdf), a success a transmission report
 *      with a reduced image of the first page (multipart/mixed inside the first part);
 *   2. message/delivery-status: Reporting-MTA, Arrival-Date, then per recipient
 *      Final-Recipient, Original-Recipient (ORCPT), Action (delivered, failed, delayed), Status,
 *      Diagnostic-Code naming the fax outcome, Last-Attempt-Date, Remote-MTA (the station id);
 *   3. text/rfc822-headers: the original mail's headers (job->headers, or those faxgate knows).
 * To: the job's sender; From: mail_from; the envelope sender of a notice is <>.
 */
enum mailout_notice_kind { MAILOUT_SUCCESS, MAILOUT_FAILURE, MAILOUT_DELAY };
struct mailout_notice {
	enum mailout_notice_kind kind;
	const struct job *job;
	const struct attempt *attempts; /* oldest first */
	size_t nattempts;
	const struct fax_page_list *pages; /* the job's pages; NULL: no PDF, no preview */
	const char *outcome; /* stable outcome name of the last attempt ("busy"), or the job's reason_code */
	const char *reason;  /* in plain words: "the line was busy on all 5 attempts" */
};
int mailout_notice(const struct conf *conf, const struct mailout_notice *n, struct mailout_mail *out,
                   struct buf *err);

/*
 * An alert to the admins (alert_to): "alert-down", "alert-up", "summary" or "alert-event" (a single
 * event with no recovery to follow: a mail refused, a fax nobody takes) template. suppressed counts
 * alerts only logged since the last mail because of alert_max_per_hour.
 */
enum mailout_alert_kind { MAILOUT_ALERT_DOWN, MAILOUT_ALERT_UP, MAILOUT_ALERT_SUMMARY, MAILOUT_ALERT_EVENT };
struct mailout_alert {
	enum mailout_alert_kind kind;
	const char *key;   /* "line_down:sim0" */
	const char *title; /* short words for the subject: "line sim0 out of service" */
	const char *text;  /* the details */
	int64_t since;     /* when the problem began (down) or ended (up) */
	long suppressed;
	const char *const *to;
	size_t nto;
};
int mailout_alert(const struct conf *conf, const struct mailout_alert *a, struct mailout_mail *out,
                  struct buf *err);

#endif
