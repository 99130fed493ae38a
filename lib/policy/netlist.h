/*
 * netlist.h - lists of client networks in CIDR form, IPv4 and IPv6 alike.
 *
 * IPv4 is kept as IPv4-mapped IPv6 (::ffff:a.b.c.d), so "192.0.2.0/24" matches a client that
 * arrives as "::ffff:192.0.2.7" on a dual-stack socket, and the reverse. Addresses may be written
 * as MTAs hand them over: "IPv6:2001:db8::1", "[2001:db8::1]", "[IPv6:2001:db8::1]".
 */
#ifndef FAXGATE_POLICY_NETLIST_H
#define FAXGATE_POLICY_NETLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

struct netlist_entry {
	unsigned char addr[16];
	unsigned prefix; /* in IPv6 bits: an IPv4 /24 is 120 */
};

struct netlist {
	struct netlist_entry *v;
	size_t n;
};

/* Parse a list of "ADDR[/LEN]" words (commas or blanks between); -1 with err naming the bad word. */
int netlist_parse(const char *list, struct netlist *nl, struct buf *err);
void netlist_free(struct netlist *nl);
/* Parse one address, as text from an MTA; -1 when it is no IP address. */
int netlist_addr_parse(const char *text, size_t len, unsigned char addr[16]);
/* The address in its usual text form: IPv4-mapped addresses as plain IPv4. */
void netlist_addr_format(const unsigned char addr[16], struct buf *out);
/* Is the address (text as the MTA gave it) in one of the networks? Unparsable: no. */
bool netlist_match(const struct netlist *nl, const char *addr);

#endif
