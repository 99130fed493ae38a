/*
 * cmd_config.c - `faxctl config`: check a configuration file, print the key reference or the
 * effective configuration.
 */
#include <stdio.h>
#include <string.h>

#include "fax/dialplan.h"
#include "faxctl.h"
#include "policy/policy.h"
#include "route/route.h"
#include "util/log.h"

/*
 * Beyond syntax: values that only make sense together (dial plan, networks, directory setup,
 * inbound routes). Opening the policy and the routes connects to nothing.
 */
static int config_check_meaning(struct faxctl *ctl)
{
	struct buf err = BUF_INIT;
	struct policy *p = NULL;
	struct router *r = NULL;
	int rc = 0;

	if (dialplan_check_conf(&ctl->conf, &err) < 0 || policy_open(&ctl->conf, &p, &err) < 0 ||
	    route_open(&ctl->conf, &r, &err) < 0) {
		fprintf(stderr, "faxctl: %s: %s\n", ctl->conf_path, buf_cstr(&err));
		rc = -1;
	}
	if (p)
		policy_close(p);
	route_close(r);
	buf_free(&err);
	return rc;
}

int faxctl_config(struct faxctl *ctl, int argc, char **argv)
{
	struct buf out = BUF_INIT;
	const char *sub = argc > 1 ? argv[1] : "";

	if (strcmp(sub, "check") == 0) {
		if (argc > 3) {
			fprintf(stderr, "usage: faxctl config check [FILE]\n");
			return FAXCTL_USAGE;
		}
		if (argc == 3)
			ctl->conf_path = argv[2];
		if (!ctl->conf_path)
			ctl->conf_path = conf_default_path();
		if (faxctl_load_conf(ctl) < 0 || config_check_meaning(ctl) < 0)
			return FAXCTL_FAIL;
		printf("%s: OK\n", ctl->conf_path);
		return FAXCTL_OK;
	}
	if (strcmp(sub, "reference") == 0 && argc == 2) {
		cfg_reference(conf_keys, &out);
		fputs(buf_cstr(&out), stdout);
		buf_free(&out);
		return FAXCTL_OK;
	}
	if (strcmp(sub, "dump") == 0 && argc == 2) {
		if (faxctl_load_conf(ctl) < 0)
			return FAXCTL_FAIL;
		cfg_dump(conf_keys, &ctl->conf, &out);
		fputs(buf_cstr(&out), stdout);
		buf_free(&out);
		return FAXCTL_OK;
	}
	fprintf(stderr, "usage: faxctl config check [FILE] | reference | dump\n");
	return FAXCTL_USAGE;
}
