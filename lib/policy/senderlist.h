/*
 * senderlist.h - the policy_allow_senders list: "user@domain", "@domain" or a login, compared
 * without regard to case.
 */
#ifndef FAXGATE_POLICY_SENDERLIST_H
#define FAXGATE_POLICY_SENDERLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

struct senderlist {
	char **v; /* lower case; "@domain" entries keep their '@' */
	size_t n;
};

/* -1 with err naming the bad word (an empty local part or domain, more than one '@'). */
int senderlist_parse(const char *list, struct senderlist *sl, struct buf *err);
void senderlist_free(struct senderlist *sl);
/* Does the identity (an address or a login) match an entry? */
bool senderlist_match(const struct senderlist *sl, const char *identity);

#endif
