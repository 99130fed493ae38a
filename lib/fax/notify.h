/*
 * notify.h - notices to the sender of a fax: which notice a job wants (RFC 3461 NOTIFY), the
 * reason in plain words from its calls, and whether its envelope sender can be written to at all.
 *
 * Pure functions on a job and its attempts, so the decisions are tested without a database or a
 * relay; mailgate's notices.c does the storing and mailing.
 */
#ifndef FAXGATE_FAX_NOTIFY_H
#define FAXGATE_FAX_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "queue/queue.h"
#include "util/buf.h"

enum notify_flags {
	NOTIFY_SUCCESS = 1,
	NOTIFY_FAILURE = 2,
	NOTIFY_DELAY = 4,
	NOTIFY_NEVER = 8,
};

/*
 * RFC 3461 NOTIFY words (SUCCESS, FAILURE, DELAY or NEVER, separated by commas or blanks, any case)
 * as flags. -1 when there is no word, a word is unknown, or NEVER comes with another word (the RFC
 * forbids it): the caller then uses its default.
 */
int notify_parse(const char *words);
/* What a job asked for: its NOTIFY when valid, else notify_default when valid, else FAILURE. */
unsigned notify_wanted(const char *job_notify, const char *notify_default);

enum notify_kind { NOTIFY_NONE, NOTIFY_SEND_SUCCESS, NOTIFY_SEND_FAILURE, NOTIFY_SEND_DELAY };

/*
 * What to do about a job now: the notice to send (NOTIFY_NONE: none is wanted) and the notice
 * state to move it to, from its current one (enum job_notice). A finished job (sent, failed,
 * cancelled) moves to JOB_NOTICE_FINAL; an unfinished job created at or before delay_before
 * (delay_before > 0) with no notice yet moves to JOB_NOTICE_DELAY. false: nothing is due.
 */
struct notify_decision {
	enum notify_kind kind;
	int from, to;
};
bool notify_decide(const struct job *j, int64_t delay_before, unsigned wanted, struct notify_decision *d);

/*
 * The reason for the sender in plain words (appended to out), from the job's attempts (oldest
 * first), its status, reason_code and reason: "the line was busy on all 5 attempts", "nobody
 * answered the call on 3 attempts, then the line was busy twice", "cancelled by the
 * administrator". now dates the next try of a delayed job. Control characters never come out.
 */
void notify_reason(const struct job *j, const struct attempt *a, size_t n, enum notify_kind kind, int64_t now,
                   struct buf *out);
/*
 * The stable outcome name the notice names (Diagnostic-Code): the job's reason_code when it is an
 * outcome (a finished job), else the last attempt's outcome, else the reason_code or the status.
 */
const char *notify_outcome(const struct job *j, const struct attempt *a, size_t n, enum notify_kind kind);

/*
 * Whether an envelope sender looks like an address a notice can go to: local@domain, printable
 * ASCII, a dot-atom or quoted local part of at most 64 characters, a domain of letters, digits
 * and hyphens (or an address literal), 254 characters at most. The envelope sender is whatever
 * the client said, so anything else (the null sender included) gets no notice.
 */
bool notify_address_ok(const char *addr);

#endif
