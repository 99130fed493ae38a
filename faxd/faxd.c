/*
 * faxd - the fax daemon (sending and receiving).
 *
 * SYNOPSIS
 *	faxd [-c CONF]
 *
 * This release only loads and validates the configuration: the service itself is built by a later
 * issue (#4 in the tracker). It exits with status 1 so nobody mistakes it for a running service.
 */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "conf/conf.h"
#include "util/log.h"

int main(int argc, char **argv)
{
	const char *path = NULL;
	struct conf conf;
	struct buf err = BUF_INIT;
	int c;

	while ((c = getopt(argc, argv, "c:")) != -1) {
		if (c != 'c') {
			fprintf(stderr, "usage: faxd [-c CONF]\n");
			return 2;
		}
		path = optarg;
	}
	if (conf_load(&conf, path ? path : conf_default_path(), &err) < 0) {
		fprintf(stderr, "faxd: %s\n", buf_cstr(&err));
		buf_free(&err);
		return 1;
	}
	conf_log_open(&conf, "faxd", isatty(2));
	log_error("the fax daemon (sending and receiving) is not part of this release yet (issue #4)");
	conf_free(&conf);
	return 1;
}
