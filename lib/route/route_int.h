/*
 * route_int.h - what routing's files share: the fixed routes of inbound_routes, parsed and checked
 * (route_table.c), and mail address checks.
 */
#ifndef FAXGATE_ROUTE_ROUTE_INT_H
#define FAXGATE_ROUTE_ROUTE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"
#include "route/route_number.h"
#include "util/buf.h"

/* Longest address accepted (RFC 5321: a path holds 256 octets with its brackets). */
#define ROUTE_ADDR_MAX 254
/* Longest sub-address (T.33 allows 20 digits). */
#define ROUTE_SUBADDRESS_MAX 20

struct route_entry {
	bool sub;                     /* sub:SUBADDRESS=address */
	char key[ROUTE_NUMBER_SIZE];  /* the sub-address digits, or the number cleaned */
	char e164[ROUTE_NUMBER_SIZE]; /* the number in E.164; "" when it cannot be read so (a routing code) */
	bool local; /* written without prefix: may also be the called number's last digits */
	char *addr;
	char *word; /* the entry as written, for notes and errors */
};

struct route_table {
	struct route_entry *v;
	size_t n;
};

/*
 * Parse inbound_routes (words NUMBER=address, sub:SUBADDRESS=address). match_digits > 0 requires
 * every NUMBER to have that many digits. -1 with err naming the bad entry.
 */
int route_table_parse(const struct conf *conf, const char *list, long match_digits, struct route_table *t,
                      struct buf *err);
void route_table_free(struct route_table *t);
/* Whether s is a plain mail address local@domain (no display name, no brackets, no blanks). */
bool route_addr_ok(const char *s, size_t len);
/*
 * A list of addresses (words), each checked; key names the setting in err. -1 on a bad one.
 * *out is a new array of n strings (NULL when the list is empty).
 */
int route_addr_list(const char *key, const char *list, char ***out, size_t *n, struct buf *err);
void route_addr_list_free(char **v, size_t n);
/* A sub-address as the line gives it, blanks removed: digits only, at most ROUTE_SUBADDRESS_MAX. */
bool route_subaddress_clean(const char *s, size_t len, char out[ROUTE_NUMBER_SIZE]);

#endif
