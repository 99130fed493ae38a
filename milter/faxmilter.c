/*
 * faxmilter - the mail filter (email to fax at the MTA).
 *
 * SYNOPSIS
 *	faxmilter [-c CONF]
 *
 * This release only loads and validates the configuration: the service itself is built by a later
 * issue (#3 in the tracker). It exits with status 1 so nobody mistakes it for a running service.
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
			fprintf(stderr, "usage: faxmilter [-c CONF]\n");
			return 2;
		}
		path = optarg;
	}
	if (conf_load(&conf, path ? path : conf_default_path(), &err) < 0) {
		fprintf(stderr, "faxmilter: %s\n", buf_cstr(&err));
		buf_free(&err);
		return 1;
	}
	conf_log_open(&conf, "faxmilter", isatty(2));
	log_error("the mail filter (email to fax at the MTA) is not part of this release yet (issue #3)");
	conf_free(&conf);
	return 1;
}
