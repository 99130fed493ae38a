/*
 * smtp_relay.c - the relay's address: "host", "host:port", "[IPv6]:port" (port 25 by default).
 *
 * libesmtp 1.1's smtp_set_server() splits "host:port" at the first colon, so it cannot be handed
 * an IPv6 address literal. For those we give it a placeholder name and, for the duration of the
 * session only (smtp_relay_literal), resolve that name to the literal in our own getaddrinfo(),
 * which otherwise passes every call through unchanged to the C library's. It is defined here, in
 * the object that smtp.c needs, so only programs that send mail carry it.
 */
#include "smtp/smtp_int.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static __thread const char *smtp_literal;

void smtp_relay_literal(const char *literal)
{
	smtp_literal = literal;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res)
{
	typedef int (*gai_fn)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
	static gai_fn next;

	if (!next)
		next = (gai_fn)dlsym(RTLD_NEXT, "getaddrinfo");
	if (!next)
		return EAI_SYSTEM;
	if (smtp_literal && node && strcmp(node, SMTP_V6_PLACEHOLDER) == 0)
		node = smtp_literal;
	return next(node, service, hints, res);
}

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

static int smtp_v6_ok(const char *a)
{
	struct in6_addr in;
	char copy[64];
	const char *pct = strchr(a, '%');
	size_t n = pct ? (size_t)(pct - a) : strlen(a);

	if (n >= sizeof copy || (pct && !smtp_host_ok(pct + 1)))
		return 0;
	memcpy(copy, a, n);
	copy[n] = '\0';
	return inet_pton(AF_INET6, copy, &in) == 1;
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
		if (!smtp_v6_ok(host) || strlen(host) >= sizeof r->literal)
			goto bad;
		strcpy(r->literal, host);
		snprintf(r->hostport, sizeof r->hostport, "%s:%s", SMTP_V6_PLACEHOLDER, port);
		snprintf(r->name, sizeof r->name, "[%s]:%s", host, port);
		return 0;
	}
	if (!smtp_host_ok(host))
		goto bad;
	snprintf(r->hostport, sizeof r->hostport, "%s:%s", host, port);
	snprintf(r->name, sizeof r->name, "%s:%s", host, port);
	return 0;
bad:
	buf_printf(err, "smtp_relay '%s' is not host, host:port or [IPv6 address]:port", relay);
	return -1;
}
