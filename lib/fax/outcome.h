/*
 * outcome.h - how a fax call ended, and the one table from outcome to what happens next.
 *
 * Every call ends in exactly one outcome. The table gives its stable name (stored with attempts and
 * jobs), the reason in words a sender understands, whether faxd tries again (after which retry_*
 * delay), gives up, or renders the pages again in a format the remote takes, and whether the
 * outcome points at our own line rather than the destination (line health). Outcomes are stored by
 * name, never by number, so new ones go at the end without touching stored rows.
 */
#ifndef FAXGATE_FAX_OUTCOME_H
#define FAXGATE_FAX_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"

enum fax_outcome {
	FAX_OK = 0,         /* every page confirmed */
	FAX_BUSY,           /* busy signal (or SIP 486/600) */
	FAX_NO_ANSWER,      /* rang out (or SIP 480/408) */
	FAX_VOICE,          /* answered, but no fax machine spoke (T.30 T0 expired) */
	FAX_DROPPED,        /* the call ended in the middle (remote hung up, line dropped) */
	FAX_PROTOCOL,       /* T.30 error in the middle of the call (a page not confirmed, retrain failed) */
	FAX_UNASSIGNED,     /* no such number (SIP 404/484/604, network announcement) */
	FAX_REFUSED,        /* the remote refuses what we can offer, even at standard and A4 */
	FAX_NEEDS_STANDARD, /* the remote cannot take the resolution (T.30 code 11): re-render */
	FAX_NEEDS_A4,       /* the remote cannot take the page size (T.30 code 12): re-render */
	FAX_LINE,           /* our line or trunk failed (no dial tone, congestion, SIP 503; not 403) */
	FAX_CANCELLED,      /* an admin or the sender cancelled it */
	FAX_HELD,           /* an admin put it on hold during the call */
	FAX_WATCHDOG,       /* the call ran too long or stalled and was ended */
	FAX_INTERNAL,       /* faxgate's own problem (unreadable pages, out of memory) */
	FAX_FORBIDDEN,      /* the network will not place this call (SIP 403): not allowed, never retried */
	FAX_OUTCOME_COUNT
};

enum fax_next {
	FAX_NEXT_DONE,     /* sent */
	FAX_NEXT_RETRY,    /* call again after the delay */
	FAX_NEXT_RERENDER, /* render again (standard resolution or A4) and call again at once */
	FAX_NEXT_FAIL,     /* final failure */
};

struct fax_outcome_info {
	const char *name;  /* stable: "busy", "no_answer", ... */
	const char *words; /* "the line was busy" */
	enum fax_next next;
	size_t retry_key; /* offsetof(struct conf, retry_...) for FAX_NEXT_RETRY */
	bool blames_line; /* counts towards taking the line out of service */
};

const struct fax_outcome_info *fax_outcome_info(enum fax_outcome o);
/* -1 when unknown */
int fax_outcome_parse(const char *name);
/* Seconds to wait before the next call for this outcome (from conf); 0 when it is not retried. */
long fax_outcome_retry_delay(const struct conf *conf, enum fax_outcome o);
/*
 * The outcome of a T.30 completion code (spandsp's T30_ERR_*), given whether the remote ever
 * answered with fax signals and how many pages it confirmed.
 */
enum fax_outcome fax_outcome_from_t30(int code, bool fax_answered, int pages_confirmed);
/*
 * After a re-render: FAX_NEEDS_STANDARD for pages already at standard resolution, or FAX_NEEDS_A4
 * for pages already A4, means the remote refuses even the most modest format: FAX_REFUSED.
 * Any other outcome is returned unchanged.
 */
enum fax_outcome fax_outcome_after_rerender(enum fax_outcome o, bool standard, bool a4);

#endif
