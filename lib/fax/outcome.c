/*
 * outcome.c - the one table of call outcomes, and how a T.30 completion code becomes one.
 *
 * The words are what a sender reads in a failure notice, so they describe what happened at the
 * other end of the line in everyday terms, never in T.30 jargon. docs/fax-calls.md explains the
 * choices made in the mapping of spandsp's completion codes.
 */
#include "fax/outcome.h"

#include <string.h>

#include <spandsp.h>

#define RETRY(key) FAX_NEXT_RETRY, offsetof(struct conf, key)

static const struct fax_outcome_info outcomes[FAX_OUTCOME_COUNT] = {
    [FAX_OK] = {"ok", "every page was sent and confirmed by the receiving fax machine", FAX_NEXT_DONE, 0,
                false},
    [FAX_BUSY] = {"busy", "the line was busy", RETRY(retry_busy), false},
    [FAX_NO_ANSWER] = {"no_answer", "nobody answered the call", RETRY(retry_no_answer), false},
    [FAX_VOICE] = {"voice", "a person or an answering machine answered instead of a fax machine",
                   RETRY(retry_voice), false},
    [FAX_DROPPED] = {"dropped", "the call was cut off before the fax was complete", RETRY(retry_dropped),
                     false},
    [FAX_PROTOCOL] = {"protocol",
                      "the fax machines could not understand each other, usually because of a poor "
                      "telephone line",
                      RETRY(retry_protocol), false},
    [FAX_UNASSIGNED] = {"unassigned", "the number does not exist (the telephone network said so)",
                        FAX_NEXT_FAIL, 0, false},
    [FAX_REFUSED] = {"refused", "the receiving fax machine refused the fax: it cannot take what we send",
                     FAX_NEXT_FAIL, 0, false},
    [FAX_NEEDS_STANDARD] = {"needs_standard", "the receiving fax machine cannot take fine resolution",
                            FAX_NEXT_RERENDER, 0, false},
    [FAX_NEEDS_A4] = {"needs_a4", "the receiving fax machine cannot take this paper size", FAX_NEXT_RERENDER,
                      0, false},
    [FAX_LINE] = {"line", "our own telephone line could not place the call", RETRY(retry_line), true},
    [FAX_CANCELLED] = {"cancelled", "the fax was cancelled", FAX_NEXT_FAIL, 0, false},
    [FAX_HELD] = {"held", "the fax was put on hold", FAX_NEXT_FAIL, 0, false},
    /* A stall is most often a line so noisy that the fax machines never finish: like a protocol error. */
    [FAX_WATCHDOG] = {"watchdog", "the call took far too long or stopped making progress, and was ended",
                      RETRY(retry_protocol), false},
    /* Pages that cannot be read now will not be readable later: retrying only repeats the failure. */
    [FAX_INTERNAL] = {"internal", "the fax gateway itself failed to handle the fax", FAX_NEXT_FAIL, 0, false},
    /* A carrier's 403: the number is barred for us (premium, abroad, no credit); calling again won't help. */
    [FAX_FORBIDDEN] = {"forbidden", "the telephone network refused to place the call (not allowed)",
                       FAX_NEXT_FAIL, 0, false},
};

const struct fax_outcome_info *fax_outcome_info(enum fax_outcome o)
{
	if ((unsigned)o >= FAX_OUTCOME_COUNT)
		o = FAX_INTERNAL;
	return &outcomes[o];
}

int fax_outcome_parse(const char *name)
{
	if (name == NULL)
		return -1;
	for (int i = 0; i < FAX_OUTCOME_COUNT; i++)
		if (strcmp(outcomes[i].name, name) == 0)
			return i;
	return -1;
}

long fax_outcome_retry_delay(const struct conf *conf, enum fax_outcome o)
{
	const struct fax_outcome_info *info = fax_outcome_info(o);
	long delay;

	if (info->next != FAX_NEXT_RETRY)
		return 0;
	memcpy(&delay, (const char *)conf + info->retry_key, sizeof(delay));
	return delay > 0 ? delay : 0;
}

/* Codes that only say "no fax conversation happened": without a fax signal, somebody else answered. */
static bool t30_no_conversation(int code)
{
	switch (code) {
	case T30_ERR_T0_EXPIRED:
	case T30_ERR_T1_EXPIRED:
	case T30_ERR_HDLC_CARRIER:
	case T30_ERR_CANNOT_TRAIN:
	case T30_ERR_UNEXPECTED:
	case T30_ERR_RETRYDCN:
	case T30_ERR_CALLDROPPED:
		return true;
	default:
		return false;
	}
}

enum fax_outcome fax_outcome_from_t30(int code, bool fax_answered, int pages_confirmed)
{
	if (code == T30_ERR_OK)
		return FAX_OK;
	/*
	 * A fax machine answers with CED and DIS within seconds. When nothing of T.30 was ever heard
	 * and no page went through, whatever answered was not a fax machine (a person who hung up, an
	 * answering machine, a silent line).
	 */
	if (!fax_answered && pages_confirmed <= 0 && t30_no_conversation(code))
		return FAX_VOICE;
	switch (code) {
	case T30_ERR_NORESSUPPORT:
		return FAX_NEEDS_STANDARD;
	case T30_ERR_NOSIZESUPPORT:
		return FAX_NEEDS_A4;
	case T30_ERR_INCOMPATIBLE:
	case T30_ERR_RX_INCAPABLE:
	case T30_ERR_TX_INCAPABLE:
		return FAX_REFUSED;
	/* The far end stopped answering in the middle, or hung up (DCN) where it should not have. */
	case T30_ERR_TX_PHDDEAD:
	case T30_ERR_RX_NOCARRIER:
	case T30_ERR_RX_DCNWHY:
	case T30_ERR_RX_DCNDATA:
	case T30_ERR_RX_DCNFAX:
	case T30_ERR_RX_DCNPHD:
	case T30_ERR_RX_DCNRRD:
	case T30_ERR_RX_DCNNORTN:
	case T30_ERR_RETRYDCN:
	case T30_ERR_CALLDROPPED:
		return FAX_DROPPED;
	default:
		break;
	}
	if (code >= T30_ERR_FILEERROR && code <= T30_ERR_NOMEM)
		return FAX_INTERNAL;
	if (code >= T30_ERR_NOPOLL && code <= T30_ERR_CSA_UNACCEPTABLE)
		return FAX_REFUSED;
	/* Every other link, transmitter and receiver error, and codes newer than this table. */
	return FAX_PROTOCOL;
}

enum fax_outcome fax_outcome_after_rerender(enum fax_outcome o, bool standard, bool a4)
{
	if ((o == FAX_NEEDS_STANDARD && standard) || (o == FAX_NEEDS_A4 && a4))
		return FAX_REFUSED;
	return o;
}
