/*
 * cmd_outbox.c - the mails faxmailgate sends (received faxes, notices to senders, alerts):
 * `faxctl outbox [--status S] [--limit N] [--json]` lists them, `faxctl outbox [--json] ID` shows
 * one, `faxctl outbox ID --message` writes its stored message, byte for byte, to stdout (as the
 * relay gets it: pipe it to a pager or a file).
 *
 * Envelope and relay answers come from outside: shown defused as for jobs (control characters as
 * \xHH on a terminal, escaped in JSON). Only --message writes the mail as it is, because it was
 * asked for.
 *
 * Exit status: 0 done, 1 failed (no such mail, the database cannot be used), 2 bad command line.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "faxctl.h"
#include "jobshow.h"
#include "queue/queue.h"

/* Listed unless --limit says otherwise, as for jobs. */
#define OUTBOX_DEFAULT_LIMIT 1000

#define OUTBOX_USAGE                                                                                         \
	"usage: faxctl outbox [--status pending|sent|failed] [--limit N] [--json]\n"                         \
	"       faxctl outbox [--json] ID\n"                                                                 \
	"       faxctl outbox ID --message\n"

struct outbox_field {
	const char *name;
	enum { OF_INT64, OF_TIME, OF_INT, OF_TEXT } type;
	size_t offset;
};

#define OF(t, f)                                                                                             \
	{                                                                                                    \
#f, OF_##t, offsetof(struct outbox_mail, f)                                                  \
	}
static const struct outbox_field outbox_fields[] = {
    OF(INT64, id),         OF(TIME, created),      OF(TEXT, kind),       OF(INT64, ref_id),
    OF(TEXT, sender),      OF(TEXT, recipients),   OF(TEXT, message_id), OF(TEXT, status),
    OF(INT, attempts),     OF(TIME, next_attempt), OF(TEXT, last_error), OF(TIME, sent),
    OF(TEXT, lease_owner), OF(TIME, lease_expiry), {NULL, 0, 0},
};

static void outbox_json(FILE *f, const struct outbox_mail *m)
{
	fputc('{', f);
	for (const struct outbox_field *fd = outbox_fields; fd->name; fd++) {
		const void *v = (const char *)m + fd->offset;

		fprintf(f, "%s\"%s\": ", fd == outbox_fields ? "" : ", ", fd->name);
		switch (fd->type) {
		case OF_INT64:
		case OF_TIME:
			fprintf(f, "%" PRId64, *(const int64_t *)v);
			break;
		case OF_INT:
			fprintf(f, "%d", *(const int *)v);
			break;
		case OF_TEXT:
			jobshow_json_string(f, *(char *const *)v);
			break;
		}
	}
	if (m->message.len)
		fprintf(f, ", \"message_bytes\": %zu", m->message.len);
	fputc('}', f);
}

static void outbox_json_one(FILE *f, const void *item)
{
	outbox_json(f, item);
}

static void outbox_show(FILE *f, const struct outbox_mail *m)
{
	for (const struct outbox_field *fd = outbox_fields; fd->name; fd++) {
		const void *v = (const char *)m + fd->offset;

		fprintf(f, "%-13s ", fd->name);
		switch (fd->type) {
		case OF_INT64:
			fprintf(f, "%" PRId64, *(const int64_t *)v);
			break;
		case OF_TIME:
			if (*(const int64_t *)v)
				jobshow_time(f, *(const int64_t *)v);
			else
				fputc('-', f);
			break;
		case OF_INT:
			fprintf(f, "%d", *(const int *)v);
			break;
		case OF_TEXT:
			jobshow_text(f, *(char *const *)v, 0);
			break;
		}
		fputc('\n', f);
	}
	fprintf(f, "%-13s %zu bytes\n", "message", m->message.len);
}

static void outbox_table(FILE *f, const struct outbox_mail *m, size_t n)
{
	fprintf(f, "%8s  %-19s  %-6s  %-7s  %3s  %-19s  %-30s  %s\n", "ID", "CREATED", "KIND", "STATUS",
	        "TRY", "NEXT ATTEMPT", "RECIPIENTS", "LAST ERROR");
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%8" PRId64 "  ", m[i].id);
		jobshow_time(f, m[i].created);
		fputs("  ", f);
		jobshow_cell(f, m[i].kind, 6);
		jobshow_cell(f, m[i].status, 7);
		fprintf(f, "%3d  ", m[i].attempts);
		if (m[i].status && strcmp(m[i].status, "pending") == 0)
			jobshow_time(f, m[i].next_attempt);
		else
			fprintf(f, "%-19s", "-");
		fputs("  ", f);
		jobshow_cell(f, m[i].recipients, 30);
		jobshow_text(f, m[i].last_error, 60);
		fputc('\n', f);
	}
}

static int outbox_list(struct faxctl *ctl, const char *status, long limit, bool limit_given, bool json)
{
	struct buf err = BUF_INIT;
	struct outbox_mail *m;
	struct queue *q;
	size_t n;

	if (faxctl_queue_open(ctl, &q) < 0)
		return FAXCTL_FAIL;
	enum queue_rc rc = queue_outbox_list(q, status, (size_t)limit, &m, &n, &err);
	queue_close(q);
	if (rc != QUEUE_OK) {
		fprintf(stderr, "faxctl: cannot list the outbox: %s\n", buf_cstr(&err));
		buf_free(&err);
		return FAXCTL_FAIL;
	}
	if (json)
		jobshow_json_list(stdout, m, n, sizeof(*m), outbox_json_one);
	else if (n == 0)
		printf("no mails in the outbox\n");
	else
		outbox_table(stdout, m, n);
	if (!limit_given && n == (size_t)limit)
		fprintf(stderr, "faxctl: the newest %ld are shown; --limit N shows N, --limit 0 all\n",
		        limit);
	outbox_list_free(m, n);
	buf_free(&err);
	return FAXCTL_OK;
}

static int outbox_one(struct faxctl *ctl, int64_t id, bool json, bool message)
{
	struct buf err = BUF_INIT;
	struct outbox_mail m;
	struct queue *q;
	int status = FAXCTL_OK;

	if (faxctl_queue_open(ctl, &q) < 0)
		return FAXCTL_FAIL;
	enum queue_rc rc = queue_outbox_get(q, id, &m, &err);
	queue_close(q);
	if (rc != QUEUE_OK) {
		fprintf(stderr, "faxctl: %s\n", buf_cstr(&err));
		buf_free(&err);
		return FAXCTL_FAIL;
	}
	if (message) {
		if (fwrite(m.message.data, 1, m.message.len, stdout) != m.message.len ||
		    fflush(stdout) != 0) {
			perror("faxctl: writing the message");
			status = FAXCTL_FAIL;
		}
	} else if (json) {
		outbox_json(stdout, &m);
		fputc('\n', stdout);
	} else {
		outbox_show(stdout, &m);
	}
	outbox_mail_free(&m);
	buf_free(&err);
	return status;
}

int faxctl_outbox(struct faxctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"status", required_argument, NULL, 's'},
	    {"limit", required_argument, NULL, 'n'},
	    {"json", no_argument, NULL, 'j'},
	    {"message", no_argument, NULL, 'm'},
	    {NULL, 0, NULL, 0},
	};
	const char *status = NULL;
	long limit = OUTBOX_DEFAULT_LIMIT;
	bool json = false, message = false, limit_given = false;
	int64_t id;
	int c;

	while ((c = getopt_long(argc, argv, "s:n:jm", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (strcmp(optarg, "pending") != 0 && strcmp(optarg, "sent") != 0 &&
			    strcmp(optarg, "failed") != 0) {
				fprintf(stderr, "faxctl: unknown status '%s' (pending, sent, failed)\n",
				        optarg);
				return FAXCTL_USAGE;
			}
			status = optarg;
			break;
		case 'n':
			if (faxctl_parse_limit(optarg, &limit) < 0)
				return FAXCTL_USAGE;
			limit_given = true;
			break;
		case 'j':
			json = true;
			break;
		case 'm':
			message = true;
			break;
		default:
			fputs(OUTBOX_USAGE, stderr);
			return FAXCTL_USAGE;
		}
	}
	if (optind == argc) {
		if (message) {
			fputs(OUTBOX_USAGE, stderr);
			return FAXCTL_USAGE;
		}
		return outbox_list(ctl, status, limit, limit_given, json);
	}
	if (optind != argc - 1 || status || limit_given || (message && json)) {
		fputs(OUTBOX_USAGE, stderr);
		return FAXCTL_USAGE;
	}
	if (faxctl_parse_id(argv[optind], "a mail's id", &id) < 0)
		return FAXCTL_USAGE;
	return outbox_one(ctl, id, json, message);
}
