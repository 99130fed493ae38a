/*
 * faxd - the fax daemon (sending and receiving).
 *
 * SYNOPSIS
 *	faxd [-c CONF]
 *
 * This release only loads and validates the configuration: the service itself is built by a later
 * issue (#4 in the tracker). It exits with status 1 so nobody mistakes it for a running service.
 */
#include "conf/conf.h"
#include "util/log.h"

int main(int argc, char **argv)
{
	struct conf conf;
	int rc = conf_daemon_start(argc, argv, "faxd", &conf);

	if (rc != 0)
		return rc;
	log_error("the fax daemon (sending and receiving) is not part of this release yet (issue #4)");
	conf_free(&conf);
	return 1;
}
