/*
 * conf.c - load faxgate's configuration file over the table's defaults, then check what the
 * table's types cannot: values that only make sense together, and the SIP addresses and trunks,
 * so every program and `faxctl config check` refuse the same mistakes.
 */
#include "conf/conf.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/words.h"
#include "sip/trunk.h"
#include "util/log.h"

const char *conf_default_path(void)
{
	const char *env = getenv("FAXGATE_CONF");

	return env && *env ? env : FAXGATE_SYSCONFDIR "/faxgate.conf";
}

static bool conf_ipv4(const char *s)
{
	struct in_addr in;

	return inet_pton(AF_INET, s, &in) == 1;
}

/* ADDRESS:PORT, the address dotted IPv4, the port 1..65535. */
static bool conf_ipv4_port(const char *s)
{
	const char *colon = strrchr(s, ':');
	char addr[16];
	size_t al, pl;
	long port = 0;

	if (!colon)
		return false;
	al = (size_t)(colon - s);
	pl = strlen(colon + 1);
	if (al == 0 || al >= sizeof(addr) || pl == 0 || pl > 5 || strspn(colon + 1, "0123456789") != pl)
		return false;
	memcpy(addr, s, al);
	addr[al] = '\0';
	port = strtol(colon + 1, NULL, 10);
	return conf_ipv4(addr) && port >= 1 && port <= 65535;
}

/* The SIP keys: their syntax is beyond the table's types. Only the syntax: no file is read. */
static int conf_check_sip(const struct conf *c, const char *path, struct buf *err)
{
	const char *cur = c->sip_trunks, *w;
	size_t len;
	bool trunks = words_next(&cur, &w, &len);
	struct buf why = BUF_INIT;

	if (!conf_ipv4_port(c->sip_listen ? c->sip_listen : "")) {
		buf_printf(err,
		           "%s: sip_listen: '%.64s' is not IPV4ADDRESS:PORT (0.0.0.0:5060: every address)",
		           path, c->sip_listen ? c->sip_listen : "");
		return -1;
	}
	if (c->sip_media_address && c->sip_media_address[0] && !conf_ipv4(c->sip_media_address)) {
		buf_printf(err, "%s: sip_media_address: '%.64s' is not an IPv4 address", path,
		           c->sip_media_address);
		return -1;
	}
	/* RTP (an even port) and its RTCP neighbour at the least */
	if (c->sip_rtp_port_max - c->sip_rtp_port_min + 1 < 2) {
		buf_printf(err, "%s: sip_rtp_port_min %ld and sip_rtp_port_max %ld leave fewer than 2 ports",
		           path, c->sip_rtp_port_min, c->sip_rtp_port_max);
		return -1;
	}
	if (c->line_driver == CONF_LINE_SIP && !trunks) {
		buf_printf(err, "%s: line_driver = sip needs sip_trunks (where calls go)", path);
		return -1;
	}
	if (trunks && trunk_check(c->sip_trunks, &why) < 0) {
		buf_printf(err, "%s: sip_trunks: %s", path, buf_cstr(&why));
		buf_free(&why);
		return -1;
	}
	buf_free(&why);
	return 0;
}

int conf_load(struct conf *c, const char *path, struct buf *err)
{
	memset(c, 0, sizeof(*c));
	if (cfg_defaults(conf_keys, c, err) < 0)
		return -1;
	if (path && (cfg_load(conf_keys, c, path, err) < 0 || conf_check_sip(c, path, err) < 0)) {
		cfg_free(conf_keys, c); /* a failed reload keeps nothing */
		return -1;
	}
	return 0;
}

void conf_free(struct conf *c)
{
	cfg_free(conf_keys, c);
}

void conf_log_open(const struct conf *c, const char *ident, bool to_stderr)
{
	static const char *const facilities[] = {"mail",   "daemon", "user",   "local0", "local1", "local2",
	                                         "local3", "local4", "local5", "local6", "local7"};

	log_open(ident, to_stderr || c->log_target == CONF_LOG_STDERR ? LOG_TO_STDERR : LOG_TO_SYSLOG,
	         facilities[c->log_facility]);
	log_set_level((enum log_level)c->log_level);
}
