/*
 * cmd_sim.c - faxctl sim: drive the simulated telephone network (faxsim).
 *
 *	faxctl sim call --file FAX.tif --to DID [--from CALLER] [--station ID] [--subaddress S]
 *		[--hangup-after-page N]
 *		A simulated fax machine calls the faxd trunk that answers DID and sends FAX.tif; with
 *		--hangup-after-page it hangs up in the middle of page N+1 (the call drops mid-page).
 *		Prints the outcome; exit 0 when every page was sent, 1 otherwise.
 *	faxctl sim stats
 *		faxsim's timing statistics ("key value" lines).
 *
 * faxsim's answers are checked like any peer's (simnet_proto.h).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "faxctl.h"
#include "simnet/simnet_io.h"
#include "util/buf.h"

static int sim_usage(void)
{
	fprintf(stderr, "usage: faxctl sim call --file FAX.tif --to DID [--from CALLER] [--station ID] "
	                "[--subaddress S]\n"
	                "                      [--hangup-after-page N]\n"
	                "       faxctl sim stats\n");
	return FAXCTL_USAGE;
}

static int sim_connect(const struct conf *conf, struct simnet_io *io)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (!conf->sim_socket || strlen(conf->sim_socket) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "faxctl: sim_socket is not usable\n");
		return -1;
	}
	strcpy(sa.sun_path, conf->sim_socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "faxctl: cannot connect to faxsim at %s: %s\n", conf->sim_socket,
		        strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	simnet_io_init(io, fd);
	return 0;
}

/* Send the request, wait (as long as it takes) for the one answer of type want. */
static int sim_exchange(struct simnet_io *io, int want, struct simnet_msg *m)
{
	struct buf err = BUF_INIT;
	int rc;

	if (simnet_io_flush_wait(io, 10000) < 0) {
		fprintf(stderr, "faxctl: cannot send to faxsim: %s\n", strerror(errno));
		return -1;
	}
	for (;;) {
		rc = simnet_io_next(io, m, &err);
		if (rc < 0) {
			fprintf(stderr, "faxctl: faxsim answered with a malformed frame: %s\n",
			        buf_cstr(&err));
			break;
		}
		if (rc > 0) {
			if (m->type == want) {
				buf_free(&err);
				return 0;
			}
			if (m->type == SIMNET_ERROR)
				fprintf(stderr, "faxctl: faxsim: %.*s\n", (int)m->len - 1,
				        (const char *)m->data);
			else
				fprintf(stderr, "faxctl: faxsim answered with %s\n",
				        simnet_type_name(m->type));
			break;
		}
		struct pollfd p = {.fd = io->fd, .events = POLLIN};
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		if (simnet_io_fill(io) < 0) {
			fprintf(stderr, "faxctl: faxsim closed the connection without an answer\n");
			break;
		}
	}
	buf_free(&err);
	return -1;
}

static int sim_stats(struct faxctl *ctl)
{
	struct simnet_io io;
	struct simnet_msg m;
	int rc = FAXCTL_FAIL;

	if (sim_connect(&ctl->conf, &io) < 0)
		return FAXCTL_FAIL;
	simnet_put(&io.out, SIMNET_STATS_REQ, 0, 0, NULL, 0);
	if (sim_exchange(&io, SIMNET_STATS, &m) == 0) {
		fwrite(m.data, 1, strnlen((const char *)m.data, m.len), stdout);
		rc = FAXCTL_OK;
	}
	simnet_io_free(&io);
	return rc;
}

static int sim_call(struct faxctl *ctl, const char *file, struct simnet_call_req *req)
{
	const char *to = req->called, *from = req->caller, *station = req->station, *sub = req->sub;
	static const size_t max[4] = {32, 16, 16, SIMNET_MAX_TEXT};
	char path[PATH_MAX];
	struct buf err = BUF_INIT;
	struct simnet_io io;
	struct simnet_msg m;
	const char *r[4];
	int rc = FAXCTL_FAIL;

	/* faxsim opens the file itself, from wherever it was started */
	if (!realpath(file, path)) {
		fprintf(stderr, "faxctl: %s: %s\n", file, strerror(errno));
		return FAXCTL_FAIL;
	}
	if (strlen(path) > SIMNET_MAX_PATH || !simnet_number_ok(to) || (*from && !simnet_number_ok(from)) ||
	    strlen(station) > SIMNET_MAX_IDENT || !simnet_digits_ok(sub, SIMNET_MAX_SUB)) {
		fprintf(stderr,
		        "faxctl: sim call: numbers are digits with an optional leading +, the station id "
		        "has at most 20 characters, the sub-address at most 20 digits, the path at most "
		        "255 characters\n");
		return FAXCTL_USAGE;
	}
	for (const char *s = station; *s; s++)
		if (*s < 0x20 || *s > 0x7e) {
			fprintf(stderr, "faxctl: sim call: the station id must be printable ASCII\n");
			return FAXCTL_USAGE;
		}
	if (sim_connect(&ctl->conf, &io) < 0)
		return FAXCTL_FAIL;
	req->path = path;
	simnet_call_put(&io.out, req);
	if (sim_exchange(&io, SIMNET_RESULT, &m) == 0) {
		if (simnet_get_strings(&m, 4, r, max, &err) < 0)
			fprintf(stderr, "faxctl: faxsim's result is malformed: %s\n", buf_cstr(&err));
		else {
			printf("outcome %s\ncode %s\npages %s\n%s\n", r[0], r[1], r[2], r[3]);
			rc = strcmp(r[0], "sent") == 0 ? FAXCTL_OK : FAXCTL_FAIL;
		}
	}
	buf_free(&err);
	simnet_io_free(&io);
	return rc;
}

int faxctl_sim(struct faxctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"file", required_argument, NULL, 'f'},
	    {"to", required_argument, NULL, 't'},
	    {"from", required_argument, NULL, 'F'},
	    {"station", required_argument, NULL, 's'},
	    {"subaddress", required_argument, NULL, 'S'},
	    {"hangup-after-page", required_argument, NULL, 'H'},
	    {NULL, 0, NULL, 0},
	};
	struct simnet_call_req req = {.caller = "", .station = "", .sub = ""};
	const char *file = NULL;
	char *end;
	long cut;
	int c;

	if (argc < 2)
		return sim_usage();
	if (strcmp(argv[1], "stats") == 0) {
		if (argc != 2)
			return sim_usage();
		return faxctl_load_conf(ctl) < 0 ? FAXCTL_FAIL : sim_stats(ctl);
	}
	if (strcmp(argv[1], "call") != 0)
		return sim_usage();
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			file = optarg;
			break;
		case 't':
			req.called = optarg;
			break;
		case 'F':
			req.caller = optarg;
			break;
		case 's':
			req.station = optarg;
			break;
		case 'S':
			req.sub = optarg;
			break;
		case 'H':
			cut = strtol(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || cut < 1 || cut > SIMNET_MAX_CUT) {
				fprintf(stderr, "faxctl: --hangup-after-page takes 1 to %d\n",
				        SIMNET_MAX_CUT);
				return FAXCTL_USAGE;
			}
			req.hangup_after_page = (int)cut;
			break;
		default:
			return sim_usage();
		}
	}
	if (optind != argc || !file || !req.called)
		return sim_usage();
	if (faxctl_load_conf(ctl) < 0)
		return FAXCTL_FAIL;
	return sim_call(ctl, file, &req);
}
