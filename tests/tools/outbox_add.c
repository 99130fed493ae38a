/*
 * outbox_add - store a message file in the outbox, as faxmailgate's steps do, for delivery tests.
 *
 * usage: outbox_add -c CONF [-k KIND] [-s SENDER] -r "RCPT RCPT..." [-i REF_ID] [-m MESSAGE-ID] FILE
 * KIND is fax (default), notice or alert; SENDER "" is the null sender; the recipients are
 * separated by blanks. The Message-ID is the file's own header unless -m gives one. The message
 * is stored byte for byte (LF or CRLF line ends, as in the file). Prints the mail's id.
 * Exit status: 0 stored, 1 failure, 2 usage.
 */
#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/conf.h"
#include "queue/queue.h"
#include "util/log.h"
#include "util/xalloc.h"

static void usage(void)
{
	fprintf(stderr, "usage: outbox_add -c CONF [-k KIND] [-s SENDER] -r \"RCPT...\" [-i REF_ID] "
	                "[-m MESSAGE-ID] FILE\n");
	exit(2);
}

/* The value of the header section's Message-ID, or NULL. */
static char *message_id(const struct buf *msg)
{
	const char *p = msg->data, *end = msg->data + msg->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;

		if (eol == p || (eol == p + 1 && *p == '\r'))
			break; /* the end of the header section */
		if ((size_t)(eol - p) > 11 && strncasecmp(p, "Message-ID:", 11) == 0) {
			const char *v = p + 11;

			while (v < eol && isspace((unsigned char)*v))
				v++;
			while (eol > v && isspace((unsigned char)eol[-1]))
				eol--;
			return eol > v ? xstrndup(v, (size_t)(eol - v)) : NULL;
		}
		p = nl ? nl + 1 : end;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *conf_path = NULL, *kind = "fax", *sender = "faxgate@example.test", *rcpts = NULL;
	const char *msgid = NULL;
	int64_t ref = 0;
	struct conf conf = {0};
	struct buf err = BUF_INIT;
	struct outbox_mail m = {0};
	struct queue *q;
	int c, rc = 0;

	log_open("outbox_add", LOG_TO_STDERR, NULL);
	while ((c = getopt(argc, argv, "c:k:s:r:i:m:")) != -1) {
		switch (c) {
		case 'c':
			conf_path = optarg;
			break;
		case 'k':
			kind = optarg;
			break;
		case 's':
			sender = optarg;
			break;
		case 'r':
			rcpts = optarg;
			break;
		case 'i':
			ref = strtoll(optarg, NULL, 10);
			break;
		case 'm':
			msgid = optarg;
			break;
		default:
			usage();
		}
	}
	if (!conf_path || !rcpts || optind != argc - 1)
		usage();
	if (buf_read_file(&m.message, argv[optind], 64 << 20) < 0) {
		fprintf(stderr, "outbox_add: %s: %m\n", argv[optind]);
		return 1;
	}
	m.message_id = msgid ? xstrdup(msgid) : message_id(&m.message);
	if (!m.message_id) {
		fprintf(stderr, "outbox_add: %s has no Message-ID (give one with -m)\n", argv[optind]);
		buf_free(&m.message);
		return 1;
	}
	/* the outbox's form: single spaces */
	{
		struct buf r = BUF_INIT;
		const char *p = rcpts;

		while (*p) {
			size_t n;

			p += strspn(p, " \t,");
			n = strcspn(p, " \t,");
			if (n)
				buf_printf(&r, "%s%.*s", r.len ? " " : "", (int)n, p);
			p += n;
		}
		m.recipients = buf_steal(&r);
	}
	m.kind = xstrdup(kind);
	m.sender = xstrdup(sender);
	m.ref_id = ref;
	if (conf_load(&conf, conf_path, &err) < 0 || queue_open(&conf, &q, &err) != QUEUE_OK) {
		fprintf(stderr, "outbox_add: %s\n", buf_cstr(&err));
		rc = 1;
	} else {
		if (queue_outbox_add(q, &m, &err) != QUEUE_OK) {
			fprintf(stderr, "outbox_add: %s\n", buf_cstr(&err));
			rc = 1;
		} else {
			printf("%" PRId64 "\n", m.id);
		}
		queue_close(q);
	}
	outbox_mail_free(&m);
	conf_free(&conf);
	buf_free(&err);
	return rc;
}
