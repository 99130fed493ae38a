/*
 * queue_add - put test jobs into the queue, with made-up pages, in one transaction.
 *
 * usage: queue_add -c CONF [-n JOBS] [-p PAGES | -f FAX.tif] [-k KEY_PREFIX] [-s SENDER]
 *                  [-u AUTH_USER] [-t SUBJECT] [-a] [-C OWNER] [-d DIAL] [NUMBER]
 *        queue_add -c CONF -i [-p PAGES | -f FAX.tif] [-o REF.tif] [NUMBER]
 *        queue_add -c CONF -l | -e KIND
 * Prints the id of each job. Job i gets dedupe key KEY_PREFIX-i (default: none, so no dedupe).
 * -f stores the MMR strips of a fax TIFF (one strip a page, as faxctl render writes them) as the
 * pages, with the TIFF's resolution, so a job holds real pages that can be sent.
 * -a records two attempts for each job (busy, then a partial success); -C claims one due job as
 * OWNER afterwards and prints "claimed ID". -i stores a received fax instead (PAGES real MMR pages,
 * NUMBER as the number called, bad rows 0, 1, 2... a page) and prints its id; -o writes the same
 * pages as a fax TIFF; with -f the received fax is that TIFF's pages, whole, at its resolution, with no
 * damaged rows. -l writes two lines' state, -e records an event.
 * Exit status: 0 all stored, 1 failure (nothing stored), 3 a duplicate (nothing stored), 2 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "queue/queue.h"
#include "render/bitmap.h"
#include "render/faxtiff.h"
#include "render/geometry.h"
#include "util/log.h"
#include "util/xalloc.h"

static void usage(void)
{
	fprintf(stderr,
	        "usage: queue_add -c CONF [-n JOBS] [-p PAGES | -f FAX.tif] [-k KEY_PREFIX] [-s SENDER]\n"
	        "                 [-u AUTH_USER] [-t SUBJECT] [-a] [-C OWNER] [-d DIAL] [NUMBER]\n"
	        "       queue_add -c CONF -i [-p PAGES | -f FAX.tif] [-o REF.tif] [NUMBER]\n"
	        "       queue_add -c CONF -l | -e KIND\n");
	exit(2);
}

/* Page i of a job: a few hundred bytes that tell the page apart (not a decodable MMR strip). */
static void make_pages(struct fax_page_list *l, int n, int job)
{
	for (int i = 0; i < n; i++) {
		struct fax_page p = {.width = 1728, .height = 2287, .len = 300 + (size_t)i};
		p.data = xmalloc(p.len);
		for (size_t k = 0; k < p.len; k++)
			p.data[k] = (uint8_t)(k * 31 + (size_t)i * 7 + (size_t)job);
		fax_page_list_push(l, &p);
	}
}

/* The pages of a fax TIFF, each page's one MMR strip as it is; *res gets the fax resolution. */
static int read_pages(const char *path, struct fax_page_list *l, int *res)
{
	char err[300];

	if (faxtiff_read_mmr(path, l, res, err, sizeof(err)) < 0) {
		fprintf(stderr, "queue_add: %s: %s\n", path, err);
		return -1;
	}
	return 0;
}

/* Received pages: real MMR, each with a bar at a height of its own so pages differ. */
static void make_mmr_pages(struct fax_page_list *l, int n)
{
	for (int i = 0; i < n; i++) {
		struct bitmap b;
		struct fax_page p;
		bitmap_alloc(&b, FAX_WIDTH, 400);
		for (int y = 20 + 30 * i; y < 40 + 30 * i && y < b.height; y++)
			for (int x = 100; x < 1500; x++)
				b.bits[(size_t)y * b.stride + (size_t)x / 8] |= (uint8_t)(0x80 >> (x % 8));
		if (mmr_encode(&b, &p) < 0)
			exit(1);
		bitmap_free(&b);
		fax_page_list_push(l, &p);
	}
}

static int add_inbound(struct queue *q, int pages, const char *tiff, const char *called, const char *ref,
                       struct buf *err)
{
	struct fax_page_list l = {0};
	int res = FAX_RES_FINE;
	int *bad;
	int64_t now = (int64_t)time(NULL);
	struct inbound in = {.received = now,
	                     .started = now - 60,
	                     .line = "1",
	                     .caller = "+4940555123",
	                     .called = (char *)called,
	                     .subaddress = "7",
	                     .remote_id = "REMOTE FAX \x1b[2J",
	                     .resolution = FAX_RES_FINE,
	                     .t30_code = 0,
	                     .partial = true};

	if (tiff) {
		/* a whole fax received in good order: the TIFF's pages, at its resolution */
		if (read_pages(tiff, &l, &res) < 0) {
			buf_printf(err, "%s: not a fax TIFF", tiff);
			return 1;
		}
		pages = (int)l.count;
		in.resolution = res;
		in.partial = false;
		in.remote_id = "+49 40 555123";
	} else {
		make_mmr_pages(&l, pages);
	}
	bad = xcalloc((size_t)pages + 1, sizeof(*bad));
	for (int i = 0; i < pages && !tiff; i++)
		bad[i] = i;
	if (queue_inbound_add(q, &in, &l, bad, err) != QUEUE_OK)
		return 1;
	if (ref) {
		struct fax_geometry g;
		char msg[200];
		geometry_init(&g, (enum fax_resolution)res, FAX_PAPER_A4);
		if (faxtiff_write(ref, &l, &g, "faxgate", msg, sizeof(msg)) < 0) {
			buf_puts(err, msg);
			return 1;
		}
	}
	printf("%lld\n", (long long)in.id);
	fax_page_list_free(&l);
	free(bad);
	return 0;
}

static int add_lines(struct queue *q, int64_t job, struct buf *err)
{
	int64_t now = (int64_t)time(NULL);
	struct line_status a = {.line = "1",
	                        .state = "sending",
	                        .since = now - 30,
	                        .job_id = job,
	                        .call_info = "to +4930123456, page 2 of 3 \x07",
	                        .calls = 12,
	                        .failures_in_row = 0,
	                        .pages_sent = 40,
	                        .pages_received = 5};
	struct line_status b = {
	    .line = "2", .state = "down", .since = now - 300, .calls = 3, .failures_in_row = 3};

	return queue_line_update(q, &a, err) == QUEUE_OK && queue_line_update(q, &b, err) == QUEUE_OK ? 0 : 1;
}

static int add_attempts(struct queue *q, int64_t job, struct buf *err)
{
	int64_t now = (int64_t)time(NULL);
	struct attempt a = {.job_id = job,
	                    .start = now - 600,
	                    .end = now - 590,
	                    .line = "1",
	                    .t30_code = 0,
	                    .outcome = "busy",
	                    .reason = "the line was busy"};
	struct attempt b = {.job_id = job,
	                    .start = now - 100,
	                    .end = now - 10,
	                    .line = "2",
	                    .remote_id = "+49 30 123456",
	                    .bit_rate = 14400,
	                    .ecm = true,
	                    .pages_confirmed = 1,
	                    .t30_code = 49,
	                    .outcome = "dropped",
	                    .reason = "the call was cut off"};

	return queue_attempt_add(q, &a, err) == QUEUE_OK && queue_attempt_add(q, &b, err) == QUEUE_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *conf_path = NULL, *key = NULL, *sender = "sender@example.com", *auth = NULL;
	const char *subject = "test fax", *number = "+4930123456", *owner = NULL, *ref = NULL, *event = NULL;
	const char *tiff = NULL, *dial = NULL;
	int jobs = 1, pages = 1, c, status = 0, res = 0;
	bool attempts = false, inbound = false, lines = false;
	struct buf err = BUF_INIT;
	struct conf conf = {0};
	struct queue *q;

	log_open("queue_add", LOG_TO_STDERR, NULL);
	while ((c = getopt(argc, argv, "c:n:p:f:k:s:u:t:aC:io:le:d:")) != -1) {
		switch (c) {
		case 'c':
			conf_path = optarg;
			break;
		case 'n':
			jobs = atoi(optarg);
			break;
		case 'p':
			pages = atoi(optarg);
			break;
		case 'f':
			tiff = optarg;
			break;
		case 'd':
			dial = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 's':
			sender = optarg;
			break;
		case 'u':
			auth = optarg;
			break;
		case 't':
			subject = optarg;
			break;
		case 'a':
			attempts = true;
			break;
		case 'C':
			owner = optarg;
			break;
		case 'i':
			inbound = true;
			break;
		case 'o':
			ref = optarg;
			break;
		case 'l':
			lines = true;
			break;
		case 'e':
			event = optarg;
			break;
		default:
			usage();
		}
	}
	if (!conf_path || jobs < 1 || pages < 0 || optind < argc - 1)
		usage();
	if (optind < argc)
		number = argv[optind];
	if (conf_load(&conf, conf_path, &err) < 0 || queue_open(&conf, &q, &err) != QUEUE_OK) {
		fprintf(stderr, "queue_add: %s\n", buf_cstr(&err));
		return 1;
	}
	if (inbound || lines || event) {
		if (inbound)
			status = add_inbound(q, pages, tiff, number, ref, &err);
		else if (lines)
			status = add_lines(q, 0, &err);
		else if (queue_event_add(q, event, "1", "line 1 failed 3 calls in a row", &err) != QUEUE_OK)
			status = 1;
		if (status)
			fprintf(stderr, "queue_add: %s\n", buf_cstr(&err));
		queue_close(q);
		conf_free(&conf);
		buf_free(&err);
		return status;
	}
	if (queue_begin(q, &err) != QUEUE_OK)
		status = 1;
	int64_t *ids = xcalloc((size_t)jobs, sizeof(*ids));
	for (int i = 0; i < jobs && status == 0; i++) {
		struct fax_page_list l = {0};
		char *dedupe = key ? xasprintf("%s-%d", key, i + 1) : NULL;
		struct job j = {
		    .sender = (char *)sender,
		    .auth_user = (char *)auth,
		    .client_addr = "192.0.2.1",
		    .number = (char *)number,
		    .dial = (char *)(dial ? dial : number),
		    .rcpt_addr = "fax@fax.example.com",
		    .rcpt_name = "Test Recipient",
		    .subject = (char *)subject,
		    .priority = 50,
		    .send_after = (int64_t)time(NULL),
		    .dedupe_key = dedupe,
		};
		if (tiff && read_pages(tiff, &l, &res) < 0) {
			fprintf(stderr, "queue_add: cannot read the pages of %s\n", tiff);
			status = 1;
		} else {
			if (!tiff)
				make_pages(&l, pages, i);
			j.resolution = res;
			enum queue_rc rc = queue_job_add(q, &j, &l, &err);
			if (rc == QUEUE_DUPLICATE) {
				fprintf(stderr, "queue_add: duplicate of job %lld\n", (long long)j.id);
				status = 3;
			} else if (rc != QUEUE_OK) {
				fprintf(stderr, "queue_add: %s\n", buf_cstr(&err));
				status = 1;
			}
		}
		ids[i] = j.id;
		if (status == 0 && attempts && add_attempts(q, j.id, &err) != 0) {
			fprintf(stderr, "queue_add: %s\n", buf_cstr(&err));
			status = 1;
		}
		fax_page_list_free(&l);
		free(dedupe);
	}
	if (status == 0 && queue_commit(q, &err) != QUEUE_OK) {
		fprintf(stderr, "queue_add: %s\n", buf_cstr(&err));
		status = 1;
	}
	if (status == 0)
		for (int i = 0; i < jobs; i++)
			printf("%lld\n", (long long)ids[i]);
	if (status == 0 && owner) {
		struct job j;
		if (queue_claim(q, owner, (int64_t)time(NULL), 300, 0, &j, &err) != QUEUE_OK) {
			fprintf(stderr, "queue_add: claim: %s\n", buf_cstr(&err));
			status = 1;
		} else {
			printf("claimed %lld\n", (long long)j.id);
			job_free(&j);
		}
	}
	queue_close(q);
	free(ids);
	conf_free(&conf);
	buf_free(&err);
	return status;
}
