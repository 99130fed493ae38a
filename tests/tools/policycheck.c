/*
 * policycheck.c - ask the fax policy one question, as the milter would; used by the policy tests.
 *
 *   policycheck -c CONF --client ADDR [--auth USER] --sender ADDR [--between COMMAND]
 *	Prints "ALLOW identity", "DENY reason" or "TEMPFAIL reason" and exits 0, 1 or 75
 *	(EX_TEMPFAIL); 2 on usage, 3 when the configuration is refused. --between asks twice with
 *	one policy object, running the shell COMMAND in between (e.g. stopping the directory, to
 *	see the cache at work), prints both answers and exits by the second.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "conf/conf.h"
#include "policy/policy.h"

static int policycheck_usage(void)
{
	fprintf(stderr, "usage: policycheck -c CONF --client ADDR [--auth USER] --sender ADDR "
	                "[--between COMMAND]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"client", required_argument, NULL, 'a'},
	    {"auth", required_argument, NULL, 'u'},
	    {"sender", required_argument, NULL, 's'},
	    {"between", required_argument, NULL, 'b'},
	    {NULL, 0, NULL, 0},
	};
	struct policy_client c = {NULL, NULL, NULL};
	const char *conf_path = NULL;
	struct conf conf;
	struct policy *p;
	struct buf err = BUF_INIT;
	enum policy_rc rc = POLICY_DENY;
	const char *between = NULL;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			conf_path = optarg;
			break;
		case 'a':
			c.addr = optarg;
			break;
		case 'u':
			c.auth_user = optarg;
			break;
		case 's':
			c.sender = optarg;
			break;
		case 'b':
			between = optarg;
			break;
		default:
			return policycheck_usage();
		}
	}
	if (!conf_path || !c.sender || optind != argc)
		return policycheck_usage();
	if (conf_load(&conf, conf_path, &err) < 0) {
		fprintf(stderr, "policycheck: %s\n", buf_cstr(&err));
		buf_free(&err);
		conf_free(&conf);
		return 3;
	}
	conf_log_open(&conf, "policycheck", true);
	if (policy_open(&conf, &p, &err) < 0) {
		fprintf(stderr, "policycheck: %s\n", buf_cstr(&err));
		buf_free(&err);
		conf_free(&conf);
		return 3;
	}
	for (int i = 0; i < (between ? 2 : 1); i++) {
		char *identity = NULL;

		if (i == 1) {
			fflush(stdout);
			if (system(between) != 0)
				fprintf(stderr, "policycheck: '%s' failed\n", between);
		}
		buf_reset(&err);
		rc = policy_check(p, &c, &identity, &err);
		if (rc == POLICY_ALLOW)
			printf("ALLOW %s\n", identity);
		else
			printf("%s %s\n", rc == POLICY_DENY ? "DENY" : "TEMPFAIL", buf_cstr(&err));
		free(identity);
	}
	policy_close(p);
	conf_free(&conf);
	buf_free(&err);
	return rc == POLICY_ALLOW ? 0 : rc == POLICY_DENY ? 1 : EX_TEMPFAIL;
}
