/*
 * smtp_relay.c - the relay's address: "host" or "host:port" (port 25 by default).
 *
 * libesmtp 1.1's smtp_set_server() splits "host:port" at the first colon, so it cannot be handed
 * an IPv6 address literal; a relay reached over IPv6 is given by a host name that resolves to its
 * address (/etc/hosts or DNS). A literal is refused with words that say so.
 */
#include "smtp/smtp_int.h"

#include <stdio.h>
#include <string.h>

/* A port number 1..65535, digits only. */
static int smtp_port_ok(const char *p)
{
	long v = 0;

	if (!*p || strlen(p) > 5)
		return 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		v = v * 10 + (*p - '0');
	}
	return v >= 1 && v <= 65535;
}

/* Letters, digits, '-', '.', '_': a host name or an IPv4 address. */
static int smtp_host_ok(const char *h)
{
	if (!*h || strlen(h) > 253)
		return 0;
	for (; *h; h++)
		if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') || (*h >= '0' && *h <= '9') ||
		      *h == '-' || *h == '.' || *h == '_'))
			return 0;
	return 1;
}

int smtp_relay_parse(const char *relay, struct smtp_relay *r, struct buf *err)
{
	char host[256] = "", port[16] = "25";
	const char *colon;

	memset(r, 0, sizeof *r);
	if (!relay || !*relay) {
		buf_puts(err, "smtp_relay is empty");
		return -1;
	}
	if (strlen(relay) >= sizeof host) {
		buf_puts(err, "smtp_relay is too long");
		return -1;
	}
	if (relay[0] == '[') {
		const char *end = strchr(relay, ']');

		if (!end || (end[1] && end[1] != ':') || (size_t)(end - relay - 1) >= sizeof host)
			goto bad;
		memcpy(host, relay + 1, (size_t)(end - relay - 1));
		if (end[1] == ':') {
			if (strlen(end + 2) >= sizeof port)
				goto bad;
			strcpy(port, end + 2);
		}
	} else if ((colon = strchr(relay, ':')) && strchr(colon + 1, ':')) {
		strcpy(host, relay); /* a bare IPv6 address: no port can follow it */
	} else if (colon) {
		memcpy(host, relay, (size_t)(colon - relay));
		if (strlen(colon + 1) >= sizeof port)
			goto bad;
		strcpy(port, colon + 1);
	} else {
		strcpy(host, relay);
	}
	if (!smtp_port_ok(port))
		goto bad;
	if (strchr(host, ':')) {
		buf_printf(err,
		           "smtp_relay '%s': an IPv6 address cannot be given as it is (libesmtp takes none); "
		           "give the relay a host name that resolves to it",
		           relay);
		return -1;
	}
	if (!smtp_host_ok(host))
		goto bad;
	snprintf(r->hostport, sizeof r->hostport, "%s:%s", host, port);
	snprintf(r->name, sizeof r->name, "%s:%s", host, port);
	return 0;
bad:
	buf_printf(err, "smtp_relay '%s' is not host or host:port", relay);
	return -1;
}
