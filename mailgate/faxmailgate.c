/*
 * faxmailgate - the mail gateway (faxes to mail, notices, alerts).
 *
 * SYNOPSIS
 *	faxmailgate [-c CONF]
 *
 * This release only loads and validates the configuration: the service itself is built by a later
 * issue (#5 in the tracker). It exits with status 1 so nobody mistakes it for a running service.
 */
#include "conf/conf.h"
#include "util/log.h"

int main(int argc, char **argv)
{
	struct conf conf;
	int rc = conf_daemon_start(argc, argv, "faxmailgate", &conf);

	if (rc != 0)
		return rc;
	log_error(
	    "the mail gateway (faxes to mail, notices, alerts) is not part of this release yet (issue #5)");
	conf_free(&conf);
	return 1;
}
