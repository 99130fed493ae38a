/*
 * conf.c - load faxgate's configuration file over the table's defaults.
 */
#include "conf/conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

const char *conf_default_path(void)
{
	const char *env = getenv("FAXGATE_CONF");

	return env && *env ? env : FAXGATE_SYSCONFDIR "/faxgate.conf";
}

int conf_load(struct conf *c, const char *path, struct buf *err)
{
	memset(c, 0, sizeof(*c));
	if (cfg_defaults(conf_keys, c, err) < 0)
		return -1;
	if (path && cfg_load(conf_keys, c, path, err) < 0)
		return -1;
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
