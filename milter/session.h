/*
 * session.h - the state of one SMTP session as the milter sees it, and of the message in it.
 *
 * libmilter runs the steps of one connection one after the other, though not always on the same
 * thread; a session is only ever touched by one thread at a time.
 * The message is kept only when it has fax recipients, and only up to milter_max_message bytes.
 */
#ifndef FAXGATE_MILTER_SESSION_H
#define FAXGATE_MILTER_SESSION_H

#include <libmilter/mfapi.h>
#include <stdbool.h>

#include "runtime.h"
#include "util/buf.h"

/* One fax recipient accepted at RCPT time. */
struct fax_rcpt {
	char *rcpt;       /* as the client wrote it in RCPT TO, for smfi_delrcpt */
	char *number;     /* E.164 */
	char *dial;       /* dial string */
	char *subaddress; /* or NULL */
	char *notify;     /* RFC 3461 NOTIFY value, or NULL */
	char *orcpt;      /* RFC 3461 ORCPT value, or NULL */
};

struct session {
	struct runtime *rt;
	char client_addr[64]; /* "" when the MTA did not say (local submission) */

	/* the message */
	char *sender;
	char *auth_user;
	char *queue_id;
	int policy_done; /* 0 not asked, 1 allowed, -1 refused or failed */
	char *identity;  /* who the pages count against, when allowed */
	struct fax_rcpt *rcpts;
	size_t nrcpts;
	size_t nother;     /* recipients that are not faxes */
	struct buf msg;    /* headers and body, only when there are fax recipients */
	size_t header_len; /* msg's first header_len bytes are the header section (0 until its end) */
	bool too_big;
};

void session_message_reset(struct session *s);
/*
 * Set the SMTP reply for the next SMFIS_REJECT or SMFIS_TEMPFAIL. The text may carry names from
 * the mail (attachment names): anything but printable ASCII becomes '?', '%' is escaped for
 * libmilter, and it is cut to what one reply line can hold.
 */
void session_reply(SMFICTX *ctx, const char *code, const char *xcode, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Deciding each recipient at RCPT time (rcpt.c). */
sfsistat rcpt_check(SMFICTX *ctx, struct session *s, char **argv);
/* Turning the message into jobs at its end (eom.c). */
sfsistat eom_queue(SMFICTX *ctx, struct session *s);

#endif
