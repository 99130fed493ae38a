/*
 * faxaddr.h - fax recipients in mail addresses: which addresses are faxes, and what they say.
 *
 * Accepted local parts (the domain must be one of fax_domains, compared without case):
 *   +49 30 1234-100, 0301234100, (030) 1234 100, 0049.30.1234100   digits with the usual separators
 *   FAX=+49301234100, FAX=+49301234100/T33S=123                    RFC 3192 (case-insensitive)
 * Mail clients deliver the separators as typed or quoted ("+49 30 1234-100"@fax.example.com); both
 * forms are accepted. The display name, when the milter can see it in To/Cc, gives the recipient's
 * name and company: "Jane Doe / ACME Ltd" or "Jane Doe, ACME Ltd" or "ACME Ltd (Jane Doe)".
 */
#ifndef FAXGATE_FAX_FAXADDR_H
#define FAXGATE_FAX_FAXADDR_H

#include <stdbool.h>

#include "util/buf.h"

enum faxaddr_rc {
	FAXADDR_OK = 0,
	FAXADDR_NOT_FAX,   /* not in a fax domain: leave the recipient alone */
	FAXADDR_MALFORMED, /* in a fax domain but no usable number: 550 5.1.3 */
};

struct faxaddr {
	char *number;     /* the digits as written, with a leading '+' when given; separators removed */
	char *subaddress; /* T.33 sub-address digits, or NULL */
};

/*
 * Parse an envelope recipient ("<+49 30 1234-100@fax.example.com>", angle brackets optional)
 * against the space-or-comma separated list of fax domains. On FAXADDR_MALFORMED err says why in
 * words a sender understands.
 */
enum faxaddr_rc faxaddr_parse(const char *rcpt, const char *fax_domains, struct faxaddr *out, struct buf *err);
void faxaddr_free(struct faxaddr *a);
/* Split a display name into person and company (either may come back NULL). */
void faxaddr_split_name(const char *display, char **name, char **company);
/* Same address, compared the way recipients are (domain without case, angle brackets ignored). */
bool faxaddr_same(const char *a, const char *b);

#endif
