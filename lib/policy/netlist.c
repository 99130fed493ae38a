/*
 * netlist.c - CIDR network lists for the client address rules.
 *
 * Client addresses come from the MTA and the list from the administrator: both are parsed
 * strictly (inet_pton, decimal prefix lengths, no host bits), and a client address that does not
 * parse is in no network.
 */
#include "policy/netlist.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "policy/words.h"
#include "util/xalloc.h"

/* Long enough for any textual IPv6 address with its "[IPv6:" wrapping. */
#define NETLIST_MAX_TEXT 80

static const unsigned char netlist_v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Sets *v4 when the text was an IPv4 address. */
static int netlist_addr_parse_v(const char *text, size_t len, unsigned char addr[16], bool *v4)
{
	char s[NETLIST_MAX_TEXT];

	if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
		text++;
		len -= 2;
	}
	if (len >= 5 && strncasecmp(text, "IPv6:", 5) == 0) {
		text += 5;
		len -= 5;
	}
	if (len == 0 || len >= sizeof(s))
		return -1;
	memcpy(s, text, len);
	s[len] = '\0';
	*v4 = strchr(s, ':') == NULL;
	if (*v4) {
		memcpy(addr, netlist_v4_mapped, 12);
		return inet_pton(AF_INET, s, addr + 12) == 1 ? 0 : -1;
	}
	return inet_pton(AF_INET6, s, addr) == 1 ? 0 : -1;
}

int netlist_addr_parse(const char *text, size_t len, unsigned char addr[16])
{
	bool v4;

	return netlist_addr_parse_v(text, len, addr, &v4);
}

static bool netlist_in(const unsigned char *addr, const struct netlist_entry *e)
{
	unsigned full = e->prefix / 8, rest = e->prefix % 8;

	if (memcmp(addr, e->addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (addr[full] & mask) == (e->addr[full] & mask);
}

/* "ADDR" or "ADDR/LEN"; the prefix length counts IPv4 bits for an IPv4 address. */
static int netlist_entry_parse(const char *w, size_t n, struct netlist_entry *e)
{
	const char *slash = memchr(w, '/', n);
	size_t alen = slash ? (size_t)(slash - w) : n;
	unsigned prefix = 0;
	bool v4;

	if (netlist_addr_parse_v(w, alen, e->addr, &v4) < 0)
		return -1;
	if (slash) {
		size_t dlen = n - alen - 1;
		if (dlen == 0 || dlen > 3)
			return -1;
		for (size_t i = 0; i < dlen; i++) {
			if (!isdigit((unsigned char)slash[1 + i]))
				return -1;
			prefix = prefix * 10 + (unsigned)(slash[1 + i] - '0');
		}
		if (prefix > (v4 ? 32u : 128u))
			return -1;
		e->prefix = v4 ? prefix + 96 : prefix;
	} else
		e->prefix = 128;
	/* Host bits set usually mean a mistyped network: say so instead of guessing. */
	struct netlist_entry masked = *e;
	for (unsigned bit = e->prefix; bit < 128; bit++)
		masked.addr[bit / 8] &= (unsigned char)~(0x80 >> (bit % 8));
	return memcmp(masked.addr, e->addr, 16) == 0 ? 0 : -2;
}

int netlist_parse(const char *list, struct netlist *nl, struct buf *err)
{
	const char *cursor = list, *w;
	size_t n;

	nl->v = NULL;
	nl->n = 0;
	while (words_next(&cursor, &w, &n)) {
		struct netlist_entry e;
		int rc = netlist_entry_parse(w, n, &e);

		if (rc < 0) {
			buf_printf(err,
			           rc == -2
			               ? "'%.*s' has bits set after the prefix length"
			               : "'%.*s' is not a network in CIDR form (address or address/length)",
			           (int)(n > 100 ? 100 : n), w);
			netlist_free(nl);
			return -1;
		}
		nl->v = xreallocarray(nl->v, nl->n + 1, sizeof(*nl->v));
		nl->v[nl->n++] = e;
	}
	return 0;
}

void netlist_free(struct netlist *nl)
{
	free(nl->v);
	nl->v = NULL;
	nl->n = 0;
}

bool netlist_match(const struct netlist *nl, const char *addr)
{
	unsigned char a[16];

	if (!addr || netlist_addr_parse(addr, strlen(addr), a) < 0)
		return false;
	for (size_t i = 0; i < nl->n; i++)
		if (netlist_in(a, &nl->v[i]))
			return true;
	return false;
}

void netlist_addr_format(const unsigned char addr[16], struct buf *out)
{
	char s[INET6_ADDRSTRLEN];

	if (memcmp(addr, netlist_v4_mapped, 12) == 0)
		inet_ntop(AF_INET, addr + 12, s, sizeof(s));
	else
		inet_ntop(AF_INET6, addr, s, sizeof(s));
	buf_puts(out, s);
}
