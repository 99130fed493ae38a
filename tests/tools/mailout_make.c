/*
 * mailout_make.c - write one of faxgate's mails to a file from synthetic data, for the MIME tests
 * (tests/e2e/mailgate_mime.sh) and for looking at the mails by hand.
 *
 * usage: mailout_make [-c CONF] -k KIND [-f FAX.tif] [-o OUT.eml]
 *   KIND: fax (a received fax), success, failure, delay (notices), down, up, summary (alerts).
 *   -f   the pages: each page's MMR strip of a fax TIFF (one strip a page, as faxctl render writes
 *        them), taken as they are; the resolution from the first page's YResolution. Without -f:
 *        two small pages drawn here.
 *   -o   where the mail goes (default: stdout). The Message-ID is printed on stderr.
 * The synthetic data is deliberately awkward: a station id with a terminal escape, a subject and a
 * recipient name outside ASCII, an xtext ORCPT, an original header section with an encoded word.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "mailout/mailout.h"
#include "render/faxtiff.h"
#include "render/geometry.h"
#include "render/mmr.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xalloc.h"

static void usage(void)
{
	fprintf(stderr, "usage: mailout_make [-c CONF] -k fax|success|failure|delay|down|up|summary "
	                "[-f FAX.tif] [-o OUT.eml]\n");
	exit(2);
}

/* The pages of a fax TIFF, each page's one MMR strip as it is; *res gets the fax resolution. */
static int read_pages(const char *path, struct fax_page_list *l, int *res)
{
	char err[300];

	if (faxtiff_read_mmr(path, l, res, err, sizeof(err)) < 0) {
		fprintf(stderr, "mailout_make: %s: %s\n", path, err);
		return -1;
	}
	return 0;
}

/* Two pages with a bar each, at heights of their own. */
static void make_pages(struct fax_page_list *l)
{
	for (int i = 0; i < 2; i++) {
		struct bitmap b;
		struct fax_page p;
		bitmap_alloc(&b, FAX_WIDTH, 1143);
		for (int y = 100 + 200 * i; y < 140 + 200 * i; y++)
			for (int x = 100; x < 1600; x++)
				b.bits[(size_t)y * b.stride + (size_t)x / 8] |= (uint8_t)(0x80 >> (x % 8));
		if (mmr_encode(&b, &p) < 0)
			exit(1);
		bitmap_free(&b);
		fax_page_list_push(l, &p);
	}
}

int main(int argc, char **argv)
{
	const char *conf_path = NULL, *kind = NULL, *tiff = NULL, *outpath = NULL;
	struct conf conf;
	struct buf err = BUF_INIT;
	struct fax_page_list pages = {0};
	struct mailout_mail mail = {BUF_INIT, NULL};
	int res = FAX_RES_FINE, opt, rc;
	int64_t now = (int64_t)time(NULL);

	log_open("mailout_make", LOG_TO_STDERR, NULL);
	while ((opt = getopt(argc, argv, "c:k:f:o:")) != -1) {
		switch (opt) {
		case 'c':
			conf_path = optarg;
			break;
		case 'k':
			kind = optarg;
			break;
		case 'f':
			tiff = optarg;
			break;
		case 'o':
			outpath = optarg;
			break;
		default:
			usage();
		}
	}
	if (kind == NULL || optind != argc)
		usage();
	if (conf_load(&conf, conf_path, &err) < 0) {
		fprintf(stderr, "mailout_make: %s\n", buf_cstr(&err));
		return 1;
	}
	if (tiff ? read_pages(tiff, &pages, &res) < 0 : (make_pages(&pages), 0)) {
		fprintf(stderr, "mailout_make: cannot read the pages of %s\n", tiff);
		return 1;
	}

	if (strcmp(kind, "fax") == 0) {
		int *bad = xcalloc(pages.count, sizeof(*bad));
		const char *to[] = {"alice@example.com", "fax-archive@example.com"};
		struct inbound in = {.id = 4711,
		                     .received = now,
		                     .started = now - 95,
		                     .line = "sim0",
		                     .caller = "+4940555123",
		                     .called = "+4930123456",
		                     .subaddress = "7",
		                     .remote_id = "REMOTE FAX \x1b[2J",
		                     .pages = (int)pages.count,
		                     .resolution = res,
		                     .partial = pages.count > 1};
		if (pages.count > 1)
			bad[1] = 3;
		struct mailout_fax f = {&in, &pages, bad,
		                        to,  2,      "ldap: facsimileTelephoneNumber +4930123456"};
		rc = mailout_fax(&conf, &f, &mail, &err);
		free(bad);
	} else if (!strcmp(kind, "success") || !strcmp(kind, "failure") || !strcmp(kind, "delay")) {
		struct job j = {.id = 42,
		                .created = now - 3600,
		                .sender = "bob@example.com",
		                .number = "+4930123456",
		                .rcpt_addr = "<+4930123456@fax.example.com>", /* as the MTA gives it */
		                .rcpt_name = "J\xc3\xbcrgen M\xc3\xbcller",
		                .rcpt_company = "M\xc3\xbcller & S\xc3\xb6hne GmbH",
		                .subject = "Quarterly report \xe2\x80\x93 Q3",
		                .pages = (int)pages.count,
		                .resolution = res,
		                .attempts = 2,
		                .reason_code = "busy",
		                .reason = "the line was busy on both attempts, and the receiving fax machine "
		                          "was never reached at all",
		                .orcpt = "rfc822;+2B4930123456@fax.example.com",
		                .message_id = "<orig.1234@client.example.com>",
		                .headers = "Return-Path: <bob@example.com>\r\n"
		                           "From: Bob <bob@example.com>\r\n"
		                           "To: +4930123456@fax.example.com\r\n"
		                           "Subject: =?utf-8?q?Quarterly_report_=E2=80=93_Q3?=\r\n"
		                           "Message-ID: <orig.1234@client.example.com>\r\n"
		                           "Date: Mon, 1 Jul 2024 10:00:00 +0200\r\n"};
		struct attempt at[2] = {{.id = 1,
		                         .job_id = 42,
		                         .start = now - 1800,
		                         .end = now - 1790,
		                         .line = "sim0",
		                         .outcome = "busy",
		                         .reason = "the line was busy"},
		                        {.id = 2,
		                         .job_id = 42,
		                         .start = now - 120,
		                         .end = now - 30,
		                         .line = "sim1",
		                         .remote_id = "+49 30 123456",
		                         .bit_rate = 14400,
		                         .ecm = true,
		                         .pages_confirmed = (int)pages.count,
		                         .outcome = "busy",
		                         .reason = "the line was busy"}};
		struct mailout_notice n = {.job = &j, .attempts = at, .nattempts = 2, .pages = &pages};
		if (!strcmp(kind, "success")) {
			n.kind = MAILOUT_SUCCESS;
			at[1].outcome = "ok";
			j.reason_code = "ok";
			j.reason = "sent 2 pages to +49 30 123456";
			j.pages_done = j.pages;
		} else if (!strcmp(kind, "failure")) {
			n.kind = MAILOUT_FAILURE;
		} else {
			n.kind = MAILOUT_DELAY;
		}
		n.outcome = j.reason_code;
		n.reason = j.reason;
		rc = mailout_notice(&conf, &n, &mail, &err);
	} else if (!strcmp(kind, "down") || !strcmp(kind, "up") || !strcmp(kind, "summary")) {
		const char *to[] = {"admin@example.com"};
		struct mailout_alert a = {.key = "line_down:sim0",
		                          .title = "line sim0 out of service",
		                          .text = "3 calls in a row failed on line sim0:\n"
		                                  "  our own telephone line could not place the call",
		                          .since = now - 600,
		                          .suppressed = 2,
		                          .to = to,
		                          .nto = 1};
		if (!strcmp(kind, "down")) {
			a.kind = MAILOUT_ALERT_DOWN;
		} else if (!strcmp(kind, "up")) {
			a.kind = MAILOUT_ALERT_UP;
		} else {
			a.kind = MAILOUT_ALERT_SUMMARY;
			a.key = "summary";
			a.title = "12 sent, 1 failed, 3 received";
			a.text = "Faxes sent: 12\nFaxes failed: 1\nFaxes received: 3\nWaiting: 0\n";
		}
		rc = mailout_alert(&conf, &a, &mail, &err);
	} else {
		usage();
		return 2;
	}
	if (rc < 0) {
		fprintf(stderr, "mailout_make: %s\n", buf_cstr(&err));
		return 1;
	}
	FILE *out = outpath ? fopen(outpath, "w") : stdout;
	if (out == NULL || fwrite(mail.message.data, 1, mail.message.len, out) != mail.message.len ||
	    (outpath && fclose(out) != 0)) {
		perror("mailout_make: cannot write the mail");
		return 1;
	}
	fprintf(stderr, "%s\n", mail.message_id);
	mailout_mail_free(&mail);
	fax_page_list_free(&pages);
	conf_free(&conf);
	buf_free(&err);
	return 0;
}
