/*
 * dialplan.h - a fax number, as a sender wrote it, to E.164 and a dial string, and whether faxes
 * may go there.
 *
 * Numbers are interpreted from this server's point of view (dial_country_code, dial_area_code,
 * dial_international_prefix, dial_national_prefix): "+49 30 1234100", "0049 30 1234100",
 * "030 1234100" and "1234100" (in area 30) are all +49301234100. Validity and the kind of number
 * (premium rate, shared cost, mobile...) come from libphonenumber's per-country metadata.
 * The dial string is what the line dials: the outside prefix, then the number in the shortest form
 * that reaches it from here (local, national or international). With O the outside prefix, I and N
 * the international and national prefixes, NSN the national significant number:
 *   another country                                   O I CC NSN
 *   this country                                      O N NSN
 *   this area, with dial_local_without_area           O NSN-without-area-code
 * Berlin (49, area 30, I 00, N 0) behind a PBX with O 0 and local numbers without area code:
 *   +49 30 1234100 -> 01234100, +49 89 1234567 -> 00891234567, +44 20 7946 0123 -> 000442079460123
 * New York (1, area 212, I 011, N 1), direct, area code always dialled:
 *   +1 212 555 0100 -> 12125550100, +44 20 7946 0123 -> 011442079460123
 * Policy, first match wins: dial_deny_prefixes, dial_allow_prefixes (which also skip the check for
 * a known number range), unknown range, international, premium (premium rate, shared cost and
 * personal numbers). docs/dialplan.md has the details and more examples.
 */
#ifndef FAXGATE_FAX_DIALPLAN_H
#define FAXGATE_FAX_DIALPLAN_H

#include "conf/conf.h"
#include "util/buf.h"

enum dialplan_rc {
	DIALPLAN_OK = 0,
	DIALPLAN_MALFORMED,     /* not a number at all, or cannot be read from here: 550 5.1.3 */
	DIALPLAN_IMPOSSIBLE,    /* too short, too long, or no such number range: 550 5.1.3 */
	DIALPLAN_INTERNATIONAL, /* another country, and dial_allow_international is off: 550 5.7.1 */
	DIALPLAN_PREMIUM,       /* premium rate or similar, and dial_allow_premium is off: 550 5.7.1 */
	DIALPLAN_DENIED,        /* matches dial_deny_prefixes: 550 5.7.1 */
	DIALPLAN_TEMPFAIL,      /* could not be checked (libphonenumber failed): 451 4.3.0 */
};

struct dialplan_number {
	char *e164; /* "+49301234100" */
	char *dial; /* "0301234100", "00441234567890", "9011..." */
};

/*
 * Normalise and check a number (digits with an optional leading '+', as faxaddr_parse returns it).
 * On failure err holds the reason in plain words, e.g. "international faxes are not allowed".
 */
enum dialplan_rc dialplan_resolve(const struct conf *conf, const char *number, struct dialplan_number *out,
                                  struct buf *err);
void dialplan_number_free(struct dialplan_number *n);
/* "5.1.3" or "5.7.1" ("4.3.0" for DIALPLAN_TEMPFAIL, "2.1.5" for DIALPLAN_OK) */
const char *dialplan_smtp_code(enum dialplan_rc rc);
/* Check the dial_* keys (digits where digits belong, a country code that exists): 0, or -1 and why. */
int dialplan_check_conf(const struct conf *conf, struct buf *err);

#endif
