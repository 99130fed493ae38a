/*
 * cmd_route.c - `faxctl route NUMBER [SUBADDRESS]`: where a fax called to NUMBER (with that
 * sub-address) would be mailed, and why, through the same routing faxmailgate uses: inbound_routes,
 * the directory (asked now, nothing cached between runs), the catch-all.
 *
 * Exit status: 0 a mailbox was found (by a route, the directory or the catch-all), 1 none (or the
 * configuration is wrong), 2 bad command line, 4 the directory cannot be asked now (faxmailgate
 * would keep the fax and try again).
 */
#include <stdio.h>
#include <string.h>

#include "faxctl.h"
#include "jobshow.h"
#include "route/route.h"

#define ROUTE_USAGE "usage: faxctl route NUMBER [SUBADDRESS]\n"

int faxctl_route(struct faxctl *ctl, int argc, char **argv)
{
	struct buf err = BUF_INIT;
	struct router *r = NULL;
	struct route_result res;
	enum route_rc rc;
	int status;

	if (argc < 2 || argc > 3 || argv[1][0] == '-') {
		fputs(ROUTE_USAGE, stderr);
		return FAXCTL_USAGE;
	}
	if (faxctl_load_conf(ctl) < 0)
		return FAXCTL_FAIL;
	if (route_open(&ctl->conf, &r, &err) < 0) {
		fprintf(stderr, "faxctl: %s\n", buf_cstr(&err));
		buf_free(&err);
		return FAXCTL_FAIL;
	}
	rc = route_find(r, argv[1], argc == 3 ? argv[2] : NULL, &res, &err);
	if (rc == ROUTE_TEMP) {
		fprintf(stderr, "faxctl: route %s: %s; faxmailgate keeps such a fax and tries again\n",
		        argv[1], buf_cstr(&err));
		status = FAXCTL_TEMPFAIL;
	} else {
		printf("route: %s\n", route_source_name(res.source));
		for (size_t i = 0; i < res.n; i++)
			printf("to: %s\n", res.addrs[i]);
		/* the note holds names from the directory: defused for the terminal */
		fputs("note: ", stdout);
		jobshow_text(stdout, res.note ? res.note : "", 0);
		putchar('\n');
		status = res.source == ROUTE_NONE ? FAXCTL_FAIL : FAXCTL_OK;
		route_result_free(&res);
	}
	route_close(r);
	buf_free(&err);
	return status;
}
