/*
 * queue_add - put test jobs into the queue, with made-up pages, in one transaction.
 *
 * usage: queue_add -c CONF [-n JOBS] [-p PAGES | -f FAX.tif] [-k KEY_PREFIX] [-s SENDER]
 *                  [-u AUTH_USER] [-t SUBJECT] [NUMBER]
 * Prints the id of each job. Job i gets dedupe key KEY_PREFIX-i (default: none, so no dedupe).
 * -f stores the MMR strips of a fax TIFF (one strip a page, as faxctl render writes them) as the
 * pages, with the TIFF's resolution, so a job holds real pages that can be sent.
 * Exit status: 0 all stored, 1 failure (nothing stored), 3 a duplicate (nothing stored), 2 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tiffio.h>

#include "conf/conf.h"
#include "queue/queue.h"
#include "util/log.h"
#include "util/xalloc.h"

static void usage(void)
{
	fprintf(stderr,
	        "usage: queue_add -c CONF [-n JOBS] [-p PAGES | -f FAX.tif] [-k KEY_PREFIX] [-s SENDER]\n"
	        "                 [-u AUTH_USER] [-t SUBJECT] [NUMBER]\n");
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
	TIFF *tif = TIFFOpen(path, "r");
	float yres = 0;

	if (!tif)
		return -1;
	do {
		uint32_t w = 0, h = 0;
		uint16_t comp = 0;
		TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w);
		TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
		TIFFGetField(tif, TIFFTAG_COMPRESSION, &comp);
		if (l->count == 0)
			TIFFGetField(tif, TIFFTAG_YRESOLUTION, &yres);
		tmsize_t len = TIFFRawStripSize(tif, 0);
		if (comp != COMPRESSION_CCITTFAX4 || TIFFNumberOfStrips(tif) != 1 || len <= 0 || h == 0) {
			fprintf(stderr, "queue_add: %s: page %zu is not one MMR strip\n", path, l->count + 1);
			TIFFClose(tif);
			return -1;
		}
		struct fax_page p = {.width = (int)w, .height = (int)h, .len = (size_t)len};
		p.data = xmalloc(p.len);
		if (TIFFReadRawStrip(tif, 0, p.data, len) != len) {
			free(p.data);
			TIFFClose(tif);
			return -1;
		}
		fax_page_list_push(l, &p);
	} while (TIFFReadDirectory(tif));
	TIFFClose(tif);
	*res = yres < 150 ? 0 : yres < 300 ? 1 : 2; /* enum fax_resolution */
	return 0;
}

int main(int argc, char **argv)
{
	const char *conf_path = NULL, *key = NULL, *sender = "sender@example.com", *auth = NULL;
	const char *subject = "test fax", *number = "+4930123456", *tiff = NULL;
	int jobs = 1, pages = 1, c, status = 0, res = 0;
	struct buf err = BUF_INIT;
	struct conf conf = {0};
	struct queue *q;

	log_open("queue_add", LOG_TO_STDERR, NULL);
	while ((c = getopt(argc, argv, "c:n:p:f:k:s:u:t:")) != -1) {
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
		    .dial = (char *)number,
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
	queue_close(q);
	free(ids);
	conf_free(&conf);
	buf_free(&err);
	return status;
}
