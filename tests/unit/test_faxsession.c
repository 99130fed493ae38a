/*
 * test_faxsession.c - two fax sessions wired back to back in-process: a real T.30 conversation in
 * spandsp, 160 samples at a time, as fast as the CPU goes (a minute of call in about a second).
 *
 * Checked: pages arrive pixel for pixel below the header line spandsp adds, the header's page
 * number counts from the job's first page, station ids both ways, ECM on and off, the speed cap,
 * a standard-only receiver (driven through spandsp directly) giving code 11, a line that goes
 * silent in the middle of a page, terminate(), line noise both soft and deafening, and a call
 * answered by silence (a person or an answering machine). Every call is bounded by simulated time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <spandsp.h>

#include "fax/faxsession.h"
#include "fax/outcome.h"
#include "render/geometry.h"
#include "render/mmr.h"
#include "t38/udptl.h"
#include "testdir.h"
#include "util/log.h"

#define BLOCK      160
#define RATE       8000
#define LIMIT_SECS (20 * 60)

static char dir[64];

static int setup(void **state)
{
	(void)state;
	log_open("test_faxsession", LOG_TO_STDERR, NULL);
	log_set_level(getenv("FAXSESSION_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_ERROR);
	return testdir_make(dir, sizeof(dir), "test_faxsession");
}

static int teardown(void **state)
{
	(void)state;
	return testdir_remove(dir);
}

/* ---- pages ---- */

static uint32_t rng = 1;

static uint32_t rnd(void)
{
	rng = rng * 1664525u + 1013904223u;
	return rng >> 8;
}

/* Word-like black blocks on lines, different for every seed. */
static void make_page(struct fax_page *p, int height, uint32_t seed)
{
	struct bitmap b;

	rng = seed;
	bitmap_alloc(&b, FAX_WIDTH, height);
	for (int top = 60; top + 30 < height; top += 40)
		for (int x = 100; x < FAX_WIDTH - 120;) {
			int w = 8 + (int)(rnd() % 60);
			for (int y = top + (int)(rnd() % 4); y < top + 20; y++)
				for (int dx = 0; dx < w; dx++)
					if ((dx + y) % 5 != 0)
						b.bits[(size_t)y * b.stride + (size_t)(x + dx) / 8] |=
						    (uint8_t)(0x80 >> ((x + dx) % 8));
			x += w + 10 + (int)(rnd() % 30);
		}
	assert_int_equal(mmr_encode(&b, p), 0);
	bitmap_free(&b);
}

static void make_doc(struct fax_page_list *l, int n, int height, uint32_t seed)
{
	memset(l, 0, sizeof(*l));
	for (int i = 0; i < n; i++) {
		struct fax_page p;
		make_page(&p, height, seed + (uint32_t)i * 7919);
		fax_page_list_push(l, &p);
	}
}

static bool row_blank(const struct bitmap *b, int y)
{
	for (size_t i = 0; i < b->stride; i++)
		if (b->bits[(size_t)y * b->stride + i])
			return false;
	return true;
}

/*
 * The received page is the sent page below the header spandsp drew: returns the rows of header
 * (extra rows on top, some of them inked; 0 without header), -1 when the pages differ.
 */
static int page_header_rows(const struct fax_page *sent, const struct fax_page *got)
{
	struct bitmap a, b;
	int extra = got->height - sent->height, rc = -1;

	assert_int_equal(mmr_decode(sent, &a), 0);
	assert_int_equal(mmr_decode(got, &b), 0);
	if (a.width == b.width && extra >= 0) {
		rc = extra;
		for (int y = 0; y < a.height && rc >= 0; y++)
			if (memcmp(a.bits + (size_t)y * a.stride, b.bits + (size_t)(y + extra) * b.stride,
			           a.stride) != 0)
				rc = -1;
	}
	if (rc > 0) {
		bool ink = false;
		for (int y = 0; y < extra; y++)
			ink = ink || !row_blank(&b, y);
		if (!ink)
			rc = -1;
	}
	bitmap_free(&a);
	bitmap_free(&b);
	return rc;
}

/* Temporary files the sessions left in the scratch folder. */
static int leftovers(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strncmp(e->d_name, "faxsession-", 11) == 0;
	closedir(d);
	return n;
}

/* ---- the wire ---- */

/* One end: a fax session, or a bare spandsp terminal for cases a session cannot be made to be. */
struct end {
	struct faxsession *fs;
	fax_state_t *raw;
	bool raw_done;
	int raw_code;
};

struct wire {
	double noise_dbm0; /* 0: none */
	int noise_seed;
	long mute_after;          /* samples after which the answerer hears nothing (0: never) */
	long burst_at, burst_len; /* a crackle the answerer hears: loud noise for a moment */
	long terminate_at;        /* samples after which the caller is terminated (0: never) */
	bool answerer_mute;       /* the answerer is silence throughout (voice case) */
	long limit;               /* samples; 0: LIMIT_SECS */
	long samples;             /* out: samples the call took */
	bool hit_limit;           /* out */
	long max_still;           /* out: longest run of samples in which neither session's progress moved */
};

static void raw_phase_e(t30_state_t *t, void *user_data, int code)
{
	struct end *e = user_data;

	(void)t;
	e->raw_done = true;
	e->raw_code = code;
}

static bool end_audio(struct end *e, const int16_t *in, int16_t *out)
{
	if (e->fs)
		return faxsession_audio(e->fs, in, out, BLOCK);
	fax_rx(e->raw, (int16_t *)in, BLOCK);
	int n = fax_tx(e->raw, out, BLOCK);
	if (n < 0)
		n = 0;
	memset(out + n, 0, (size_t)(BLOCK - n) * sizeof(*out));
	return !e->raw_done;
}

static void add_noise(awgn_state_t *n, int16_t *x)
{
	for (int i = 0; i < BLOCK; i++) {
		int v = x[i] + awgn(n);
		x[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
	}
}

static void run_call(struct end *caller, struct end *answerer, struct wire *w)
{
	int16_t to_ans[BLOCK] = {0}, to_call[BLOCK] = {0}, heard[BLOCK];
	awgn_state_t *n1 = NULL, *n2 = NULL;
	awgn_state_t *crackle = awgn_init_dbm0(NULL, 99, -10);
	bool c_on = true, a_on = true;
	long limit = w->limit ? w->limit : (long)LIMIT_SECS * RATE;

	if (w->noise_dbm0 != 0) {
		n1 = awgn_init_dbm0(NULL, w->noise_seed, (float)w->noise_dbm0);
		n2 = awgn_init_dbm0(NULL, w->noise_seed * 7 + 1, (float)w->noise_dbm0);
	}
	unsigned long last_c = 0, last_a = 0;
	long still_since = 0;

	w->max_still = 0;
	for (w->samples = 0; c_on || a_on; w->samples += BLOCK) {
		if (caller->fs && answerer->fs) {
			unsigned long pc = faxsession_progress(caller->fs),
			              pa = faxsession_progress(answerer->fs);
			if (pc != last_c || pa != last_a)
				still_since = w->samples;
			if (w->samples - still_since > w->max_still)
				w->max_still = w->samples - still_since;
			last_c = pc;
			last_a = pa;
		}
		if (w->samples >= limit) {
			w->hit_limit = true;
			break;
		}
		if (w->terminate_at && w->samples == w->terminate_at && caller->fs)
			faxsession_terminate(caller->fs);
		memcpy(heard, to_call, sizeof(heard));
		if (n1)
			add_noise(n1, heard);
		if (c_on)
			c_on = end_audio(caller, heard, to_ans);
		else
			memset(to_ans, 0, sizeof(to_ans));
		memcpy(heard, to_ans, sizeof(heard));
		if (w->mute_after && w->samples >= w->mute_after)
			memset(heard, 0, sizeof(heard));
		if (n2)
			add_noise(n2, heard);
		if (w->burst_len && w->samples >= w->burst_at && w->samples < w->burst_at + w->burst_len)
			add_noise(crackle, heard);
		if (a_on)
			a_on = end_audio(answerer, heard, to_call);
		else
			memset(to_call, 0, sizeof(to_call));
		if (w->answerer_mute)
			memset(to_call, 0, sizeof(to_call));
	}
	awgn_free(crackle);
	if (n1) {
		awgn_free(n1);
		awgn_free(n2);
	}
}

static struct faxsession_params sender_params(const struct fax_page_list *pages, int res)
{
	struct faxsession_params p = {
	    .calling = true,
	    .station_id = "+49 30 1234567",
	    .header = "ACME Sales, Jane Doe",
	    .ecm = true,
	    .max_speed = 14400,
	    .pages = pages,
	    .first_page = 0,
	    .resolution = res,
	    .tmpdir = dir,
	};
	return p;
}

static struct faxsession_params receiver_params(void)
{
	struct faxsession_params p = {
	    .calling = false,
	    .station_id = "+1 212 5551212",
	    .header = "",
	    .ecm = true,
	    .max_speed = 14400,
	    .resolution = -1,
	    .tmpdir = dir,
	};
	return p;
}

static struct faxsession *session(const struct faxsession_params *p)
{
	struct buf err = BUF_INIT;
	struct faxsession *s = faxsession_new(p, &err);

	if (s == NULL)
		fail_msg("faxsession_new: %s", buf_cstr(&err));
	buf_free(&err);
	return s;
}

/* A whole call between two sessions; results in rt and rr. */
static void call(const struct faxsession_params *ps, const struct faxsession_params *pr, struct wire *w,
                 struct faxsession_result *rt, struct faxsession_result *rr)
{
	struct end c = {session(ps), NULL, false, 0}, a = {session(pr), NULL, false, 0};

	run_call(&c, &a, w);
	if (w->hit_limit) {
		faxsession_terminate(c.fs);
		faxsession_terminate(a.fs);
	}
	faxsession_result(c.fs, rt);
	faxsession_result(a.fs, rr);
	faxsession_free(c.fs);
	faxsession_free(a.fs);
}

/* A call that must succeed, only to learn how long it takes (w->samples). */
static void call_ok(const struct faxsession_params *ps, const struct faxsession_params *pr, struct wire *w)
{
	struct faxsession_result rt, rr;

	call(ps, pr, w, &rt, &rr);
	assert_int_equal(rt.t30_code, T30_ERR_OK);
	assert_int_equal(rr.t30_code, T30_ERR_OK);
	faxsession_result_free(&rt);
	faxsession_result_free(&rr);
}

static void expect_pages(const struct fax_page_list *sent, int first, const struct faxsession_result *rr)
{
	assert_int_equal(rr->pages_received, (int)sent->count - first);
	assert_int_equal((int)rr->rx_pages.count, rr->pages_received);
	for (int i = 0; i < rr->pages_received; i++)
		assert_true(page_header_rows(&sent->pages[first + i], &rr->rx_pages.pages[i]) > 0);
}

/* ---- cases ---- */

static void test_fine_ecm(void **state)
{
	struct fax_page_list doc;
	struct faxsession_params ps, pr = receiver_params();
	struct faxsession_result rt, rr;
	struct wire w = {0};

	(void)state;
	make_doc(&doc, 3, 700, 11);
	ps = sender_params(&doc, FAX_RES_FINE);
	call(&ps, &pr, &w, &rt, &rr);
	assert_false(w.hit_limit);
	assert_int_equal(rt.t30_code, T30_ERR_OK);
	assert_int_equal(rr.t30_code, T30_ERR_OK);
	assert_int_equal(fax_outcome_from_t30(rt.t30_code, rt.fax_answered, rt.pages_confirmed), FAX_OK);
	assert_true(rt.fax_answered);
	assert_true(rr.fax_answered);
	assert_int_equal(rt.pages_confirmed, 3);
	assert_string_equal(rt.remote_id, "+1 212 5551212");
	assert_string_equal(rr.remote_id, "+49 30 1234567");
	assert_int_equal(rt.bit_rate, 14400);
	assert_true(rt.ecm);
	assert_true(rr.ecm);
	assert_int_equal(rr.resolution, FAX_RES_FINE);
	expect_pages(&doc, 0, &rr);
	/* spandsp draws its header 16 rows high at standard resolution, twice that at fine */
	assert_int_equal(rr.rx_pages.pages[0].height - doc.pages[0].height, 32);
	for (int i = 0; i < rr.pages_received; i++)
		assert_int_equal(rr.rx_bad_rows[i], 0);
	assert_int_equal(leftovers(), 0);
	faxsession_result_free(&rt);
	faxsession_result_free(&rr);
	fax_page_list_free(&doc);
}

static void test_standard_no_ecm(void **state)
{
	struct fax_page_list doc;
	struct faxsession_params ps, pr = receiver_params();
	struct faxsession_result rt, rr;
	struct wire w = {0};

	(void)state;
	make_doc(&doc, 2, 400, 23);
	ps = sender_params(&doc, FAX_RES_STANDARD);
	ps.ecm = false;
	call(&ps, &pr, &w, &rt, &rr);
	assert_int_equal(rt.t30_code, T30_ERR_OK);
	assert_int_equal(rr.t30_code, T30_ERR_OK);
	assert_false(rt.ecm);
	assert_false(rr.ecm);
	assert_int_equal(rr.rx_pages.pages[0].height - doc.pages[0].height, 16);
	/* a page without ECM is one long carrier: the session still shows progress for the watchdog */
	assert_true(w.max_still < 10L * RATE);
	assert_int_equal(rr.resolution, FAX_RES_STANDARD);
	expect_pages(&doc, 0, &rr);
	faxsession_result_free(&rt);
	faxsession_result_free(&rr);
	fax_page_list_free(&doc);
}

/* Only the pages from first_page go, and the header's page number is the job's. */
static void test_first_page(void **state)
{
	struct fax_page_list doc;
	struct faxsession_params ps, pr = receiver_params();
	struct faxsession_result rt, rr, rt0, rr0;
	struct wire w = {0}, w0 = {0};

	(void)state;
	make_doc(&doc, 3, 300, 31);
	ps = sender_params(&doc, FAX_RES_STANDARD);
	ps.first_page = 2;
	call(&ps, &pr, &w, &rt, &rr);
	assert_int_equal(rt.t30_code, T30_ERR_OK);
	assert_int_equal(rt.pages_confirmed, 1);
	expect_pages(&doc, 2, &rr);

	/* the same page sent as the job's first page carries a different header ("p.1", not "p.3") */
	struct fax_page_list one = {0};
	struct fax_page copy = doc.pages[2];
	copy.data = malloc(copy.len);
	memcpy(copy.data, doc.pages[2].data, copy.len);
	fax_page_list_push(&one, &copy);
	ps = sender_params(&one, FAX_RES_STANDARD);
	call(&ps, &pr, &w0, &rt0, &rr0);
	assert_int_equal(rr0.pages_received, 1);
	struct bitmap a, b;
	assert_int_equal(mmr_decode(&rr.rx_pages.pages[0], &a), 0);
	assert_int_equal(mmr_decode(&rr0.rx_pages.pages[0], &b), 0);
	assert_int_equal(a.height, b.height);
	/*
	 * spandsp ends the line with the page number, right of x = 1500 (the date and time on the left
	 * may differ between the calls too): there "p.3" and "p.1" differ, the station id left of it
	 * does not.
	 */
	int header = rr.rx_pages.pages[0].height - doc.pages[2].height, number = 0, ident = 0;
	for (int y = 0; y < header; y++) {
		const uint8_t *ra = a.bits + (size_t)y * a.stride, *rb = b.bits + (size_t)y * b.stride;
		number += memcmp(ra + 1500 / 8, rb + 1500 / 8, a.stride - 1500 / 8) != 0;
		ident += memcmp(ra + 1100 / 8, rb + 1100 / 8, 400 / 8) != 0;
	}
	assert_true(number > 0);
	assert_int_equal(ident, 0);
	bitmap_free(&a);
	bitmap_free(&b);
	faxsession_result_free(&rt0);
	faxsession_result_free(&rr0);
	fax_page_list_free(&one);
	faxsession_result_free(&rt);
	faxsession_result_free(&rr);
	fax_page_list_free(&doc);
}

static void test_speed_cap(void **state)
{
	struct fax_page_list doc;
	struct faxsession_params ps, pr = receiver_params();
	struct faxsession_result rt, rr;
	struct wire w = {0};

	(void)state;
	make_doc(&doc, 1, 300, 41);
	ps = sender_params(&doc, FAX_RES_STANDARD);
	ps.max_speed = 4800;
	call(&ps, &pr, &w, &rt, &rr);
	assert_int_equal(rt.t30_code, T30_ERR_OK);
	assert_int_equal(rt.bit_rate, 4800);
	assert_int_equal(rr.bit_rate, 4800);
	expect_pages(&doc, 0, &rr);

	faxsession_result_free(&rt);
	faxsession_result_free(&rr);
	ps.max_speed = 9600;
	pr.ecm = false;
	call(&ps, &pr, &w, &rt, &rr);
	assert_int_equal(rt.t30_code, T30_ERR_OK);
	assert_int_equal(rt.bit_rate, 9600);
	assert_false(rt.ecm);
	faxsession_result_free(&rt);
	faxsession_result_free(&rr);
	fax_page_list_free(&doc);
}

/* A receiver that takes standard resolution only: fine pages fail with code 11. */
static void test_needs_standard(void **state)
{
	struct fax_page_list doc;
	struct faxsession_params ps;
	struct faxsession_result rt;
	struct wire w = {0};
	char rxpath[128];

	(void)state;
	make_doc(&doc, 1, 600, 53);
	ps = sender_params(&doc, FAX_RES_FINE);
	struct end c = {session(&ps), NULL, false, 0}, a = {NULL, fax_init(NULL, false), false, 0};
	t30_state_t *t = fax_get_t30_state(a.raw);
	snprintf(rxpath, sizeof(rxpath), "%s/std-only.tif", dir);
	fax_set_transmit_on_idle(a.raw, true);
	t30_set_supported_modems(t, T30_SUPPORT_V27TER | T30_SUPPORT_V29 | T30_SUPPORT_V17);
	t30_set_supported_compressions(t, T30_SUPPORT_T4_1D_COMPRESSION | T30_SUPPORT_T4_2D_COMPRESSION);
	t30_set_supported_resolutions(t, T30_SUPPORT_STANDARD_RESOLUTION);
	t30_set_supported_image_sizes(t, T30_SUPPORT_215MM_WIDTH | T30_SUPPORT_UNLIMITED_LENGTH |
	                                     T30_SUPPORT_A4_LENGTH);
	t30_set_rx_file(t, rxpath, -1);
	t30_set_phase_e_handler(t, raw_phase_e, &a);
	run_call(&c, &a, &w);
	assert_false(w.hit_limit);
	faxsession_result(c.fs, &rt);
	assert_int_equal(rt.t30_code, T30_ERR_NORESSUPPORT);
	assert_true(rt.fax_answered);
	assert_int_equal(rt.pages_confirmed, 0);
	enum fax_outcome o = fax_outcome_from_t30(rt.t30_code, rt.fax_answered, rt.pages_confirmed);
	assert_int_equal(o, FAX_NEEDS_STANDARD);
	assert_int_equal(fax_outcome_info(o)->next, FAX_NEXT_RERENDER);
	faxsession_result_free(&rt);
	faxsession_free(c.fs);
	fax_free(a.raw);

	/* the same pages re-rendered at standard go through */
	struct fax_page_list std;
	struct faxsession_params pr = receiver_params();
	make_doc(&std, 1, 300, 53);
	ps = sender_params(&std, FAX_RES_STANDARD);
	call_ok(&ps, &pr, &w);
	fax_page_list_free(&std);
	fax_page_list_free(&doc);
}

/* The line goes silent for the answerer in the middle of a page. */
static void test_line_silent(void **state)
{
	struct fax_page_list doc;
	struct faxsession_params ps, pr = receiver_params();
	struct faxsession_result rt, rr;
	struct wire whole = {0}, w = {0};

	(void)state;
	make_doc(&doc, 4, 800, 61);
	ps = sender_params(&doc, FAX_RES_FINE);
	ps.ecm = false;
	pr.ecm = false;
	call_ok(&ps, &pr, &whole);

	/* setup, then four pages of equal length: 60 % of the way is within a page */
	w.mute_after = whole.samples * 6 / 10 / BLOCK * BLOCK;
	call(&ps, &pr, &w, &rt, &rr);
	assert_false(w.hit_limit);
	assert_int_not_equal(rt.t30_code, T30_ERR_OK);
	assert_true(rt.pages_confirmed >= 1 && rt.pages_confirmed < 4);
	enum fax_outcome o = fax_outcome_from_t30(rt.t30_code, rt.fax_answered, rt.pages_confirmed);
	assert_true(o == FAX_DROPPED || o == FAX_PROTOCOL);
	assert_int_equal(fax_outcome_info(o)->next, FAX_NEXT_RETRY);
	/* the receiver keeps the pages it had */
	assert_int_not_equal(rr.t30_code, T30_ERR_OK);
	assert_int_equal(rr.pages_received, rt.pages_confirmed);
	for (int i = 0; i < rr.pages_received; i++)
		assert_true(page_header_rows(&doc.pages[i], &rr.rx_pages.pages[i]) > 0);
	faxsession_result_free(&rt);
	faxsession_result_free(&rr);
	fax_page_list_free(&doc);
}

/* Without ECM a crackle on the line damages rows; the page still arrives and says how many. */
static void test_bad_rows(void **state)
{
	struct fax_page_list doc;
	struct faxsession_params ps, pr = receiver_params();
	struct faxsession_result rt, rr;
	struct wire whole = {0}, w = {0};

	(void)state;
	make_doc(&doc, 2, 1200, 67);
	ps = sender_params(&doc, FAX_RES_FINE);
	ps.ecm = false;
	/* no header line: its clock time would move the timing, and the crackle with it */
	ps.header = "";
	call_ok(&ps, &pr, &whole);
	/* the second of two pages of equal length ends with the call, less the post-page exchange */
	w.burst_at = whole.samples * 8 / 10 / BLOCK * BLOCK;
	w.burst_len = RATE / 5;
	call(&ps, &pr, &w, &rt, &rr);
	assert_int_equal(rt.t30_code, T30_ERR_OK);
	assert_int_equal(rr.pages_received, 2);
	assert_int_equal(rr.rx_bad_rows[0], 0);
	assert_int_equal(page_header_rows(&doc.pages[0], &rr.rx_pages.pages[0]), 0);
	assert_true(rr.rx_bad_rows[1] > 0);
	assert_true(page_header_rows(&doc.pages[1], &rr.rx_pages.pages[1]) < 0);
	faxsession_result_free(&rt);
	faxsession_result_free(&rr);
	fax_page_list_free(&doc);
}

static void test_terminate(void **state)
{
	struct fax_page_list doc;
	struct faxsession_params ps, pr = receiver_params();
	struct faxsession_result rt, rr;
	struct wire w = {0};

	(void)state;
	make_doc(&doc, 2, 800, 71);
	ps = sender_params(&doc, FAX_RES_FINE);
	w.terminate_at = 12L * RATE;
	w.limit = 120L * RATE;
	call(&ps, &pr, &w, &rt, &rr);
	assert_int_equal(rt.t30_code, T30_ERR_CALLDROPPED);
	assert_int_equal(rt.pages_confirmed, 0);
	assert_int_equal(fax_outcome_from_t30(rt.t30_code, rt.fax_answered, rt.pages_confirmed), FAX_DROPPED);
	assert_int_not_equal(rr.t30_code, T30_ERR_OK);
	assert_int_equal(rr.pages_received, 0);
	faxsession_result_free(&rt);
	faxsession_result_free(&rr);
	fax_page_list_free(&doc);
}

static void test_noise(void **state)
{
	struct fax_page_list doc;
	struct faxsession_params ps, pr = receiver_params();
	struct faxsession_result rt, rr;
	struct wire soft = {.noise_dbm0 = -50, .noise_seed = 1};
	struct wire loud = {.noise_dbm0 = -30, .noise_seed = 2, .limit = 5L * 60 * RATE};

	(void)state;
	make_doc(&doc, 2, 500, 83);
	ps = sender_params(&doc, FAX_RES_FINE);
	call(&ps, &pr, &soft, &rt, &rr);
	assert_int_equal(rt.t30_code, T30_ERR_OK);
	expect_pages(&doc, 0, &rr);
	faxsession_result_free(&rt);
	faxsession_result_free(&rr);

	/* the watchdog's job is played by the limit: the call must end one way or another */
	call(&ps, &pr, &loud, &rt, &rr);
	assert_int_not_equal(rt.t30_code, T30_ERR_OK);
	assert_int_not_equal(fax_outcome_from_t30(rt.t30_code, rt.fax_answered, rt.pages_confirmed), FAX_OK);
	assert_true(rt.pages_confirmed < 2);
	/* where spandsp never ends the call, progress stops, so faxd's stall watchdog ends it */
	if (loud.hit_limit)
		assert_true(loud.max_still > 120L * RATE);
	faxsession_result_free(&rt);
	faxsession_result_free(&rr);
	fax_page_list_free(&doc);
}

/* Answered by something that never speaks fax: T0 expires after a minute of silence. */
static void test_voice(void **state)
{
	struct fax_page_list doc;
	struct faxsession_params ps, pr = receiver_params();
	struct faxsession_result rt, rr;
	/* the answerer runs, but what it says never reaches the caller */
	struct wire w = {.answerer_mute = true, .limit = 3L * 60 * RATE};

	(void)state;
	make_doc(&doc, 1, 300, 97);
	ps = sender_params(&doc, FAX_RES_STANDARD);
	call(&ps, &pr, &w, &rt, &rr);
	assert_false(w.hit_limit);
	assert_true(w.samples < 90L * RATE);
	assert_int_equal(rt.t30_code, T30_ERR_T0_EXPIRED);
	assert_false(rt.fax_answered);
	assert_int_equal(rt.pages_confirmed, 0);
	assert_int_equal(rt.bit_rate, 0);
	assert_string_equal(rt.remote_id, "");
	assert_int_equal(fax_outcome_from_t30(rt.t30_code, rt.fax_answered, rt.pages_confirmed), FAX_VOICE);
	faxsession_result_free(&rt);
	faxsession_result_free(&rr);
	fax_page_list_free(&doc);
}

static void test_bad_params(void **state)
{
	struct fax_page_list doc = {0};
	struct faxsession_params ps = sender_params(&doc, FAX_RES_FINE);
	struct buf err = BUF_INIT;

	(void)state;
	assert_null(faxsession_new(&ps, &err));
	assert_true(err.len > 0);
	buf_reset(&err);
	make_doc(&doc, 1, 100, 5);
	ps.first_page = 1;
	assert_null(faxsession_new(&ps, &err));
	buf_reset(&err);
	ps.first_page = 0;
	ps.resolution = 7;
	assert_null(faxsession_new(&ps, &err));
	buf_reset(&err);
	ps.resolution = FAX_RES_FINE;
	ps.tmpdir = "/nonexistent/dir";
	assert_null(faxsession_new(&ps, &err));
	buf_free(&err);
	fax_page_list_free(&doc);
	assert_int_equal(leftovers(), 0);
}

/* ---- T.38: two sessions over UDPTL, both ways through a network that loses datagrams ---- */

#define T38_QUEUE     64  /* datagrams one side sends in one block of time, at most */
#define T38_GIVE_UP   10  /* blocks (200 ms) a gap may hold packets back before it is given up */
#define T38_MAX_DGRAM 400 /* the far end's T38FaxMaxDatagram */

/* One direction: the sender's UDPTL, the network, the receiver's UDPTL. */
struct t38_path {
	struct udptl_tx tx;
	struct udptl_rx rx;
	int loss_permille;
	uint32_t rng; /* the network's own generator: runs repeat exactly */
	uint8_t q[T38_QUEUE][UDPTL_MAX_DATAGRAM];
	int qlen[T38_QUEUE];
	int n;
	int held_blocks; /* blocks the receiver has held packets behind a gap */
	unsigned long sent, dropped;
};

struct t38_wire {
	int depth;         /* redundancy */
	int loss_permille; /* each datagram lost with this chance, both ways */
	uint32_t seed;
	long audio_samples; /* audio before both switch to T.38 (0: T.38 from the start) */
	struct faxsession_t38 opt;
	long limit;                                   /* samples; 0: LIMIT_SECS */
	long samples;                                 /* out: samples the call took, audio and T.38 */
	bool hit_limit;                               /* out */
	unsigned long sent, dropped, recovered, lost; /* out: datagrams, both ways */
	double cpu;                                   /* out: seconds of CPU the call took */
	long max_still; /* out: longest run of T.38 samples in which neither session's progress moved */
};

static uint32_t path_rnd(struct t38_path *p)
{
	p->rng = p->rng * 1664525u + 1013904223u;
	return p->rng >> 8;
}

/* The session's faxsession_ifp_fn: each copy spandsp asks for is a datagram of its own. */
static int t38_send(void *user, const uint8_t *ifp, int len, int count)
{
	struct t38_path *p = user;

	for (int i = 0; i < count; i++) {
		assert_true(p->n < T38_QUEUE);
		int n = udptl_tx_build(&p->tx, ifp, len, p->q[p->n], sizeof(p->q[p->n]));
		assert_true(n > 0 && n <= T38_MAX_DGRAM);
		p->sent++;
		if ((int)(path_rnd(p) % 1000) < p->loss_permille) {
			p->dropped++;
			continue;
		}
		p->qlen[p->n++] = n;
	}
	return 0;
}

/* What went out in this block arrives; a gap holding packets back too long is given up. */
static void t38_deliver(struct t38_path *p, struct faxsession *to)
{
	uint8_t ifp[UDPTL_MAX_IFP];
	int len;
	uint16_t seq;

	for (int i = 0; i < p->n; i++)
		assert_int_equal(udptl_rx_put(&p->rx, p->q[i], (size_t)p->qlen[i]), 0);
	p->n = 0;
	p->held_blocks = udptl_rx_held(&p->rx) ? p->held_blocks + 1 : 0;
	if (p->held_blocks > T38_GIVE_UP)
		udptl_rx_give_up(&p->rx);
	while (udptl_rx_get(&p->rx, ifp, sizeof(ifp), &len, &seq) == 1)
		faxsession_t38_rx(to, ifp, len, seq);
}

static struct t38_path *t38_path_new(const struct t38_wire *w, uint32_t seed)
{
	struct t38_path *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	udptl_tx_init(&p->tx, w->depth, T38_MAX_DGRAM);
	udptl_rx_init(&p->rx);
	p->loss_permille = w->loss_permille;
	p->rng = seed;
	return p;
}

static void t38_switch(struct faxsession *s, const struct t38_wire *w, struct t38_path *out)
{
	struct buf err = BUF_INIT;

	assert_false(faxsession_is_t38(s));
	if (faxsession_t38_start(s, &w->opt, t38_send, out, &err) < 0)
		fail_msg("faxsession_t38_start: %s", buf_cstr(&err));
	assert_true(faxsession_is_t38(s));
	/* once is enough */
	assert_int_equal(faxsession_t38_start(s, &w->opt, t38_send, out, &err), -1);
	buf_free(&err);
}

/* A whole call between two sessions that switch to T.38 together; results in rt and rr. */
static void t38_call(const struct faxsession_params *ps, const struct faxsession_params *pr,
                     struct t38_wire *w, struct faxsession_result *rt, struct faxsession_result *rr)
{
	struct faxsession *c = session(ps), *a = session(pr);
	struct t38_path *to_ans = t38_path_new(w, w->seed), *to_call = t38_path_new(w, w->seed * 7 + 3);
	int16_t heard_by_ans[BLOCK] = {0}, heard_by_call[BLOCK] = {0};
	long limit = w->limit ? w->limit : (long)LIMIT_SECS * RATE;
	bool c_on = true, a_on = true;
	unsigned long last_c = 0, last_a = 0;
	long still_since;
	clock_t t0 = clock();

	for (w->samples = 0; w->samples < w->audio_samples; w->samples += BLOCK) {
		faxsession_audio(c, heard_by_call, heard_by_ans, BLOCK);
		faxsession_audio(a, heard_by_ans, heard_by_call, BLOCK);
	}
	t38_switch(c, w, to_ans);
	t38_switch(a, w, to_call);
	still_since = w->samples;
	for (; c_on || a_on; w->samples += BLOCK) {
		if (faxsession_progress(c) != last_c || faxsession_progress(a) != last_a)
			still_since = w->samples;
		if (w->samples - still_since > w->max_still)
			w->max_still = w->samples - still_since;
		last_c = faxsession_progress(c);
		last_a = faxsession_progress(a);
		if (w->samples >= limit) {
			w->hit_limit = true;
			faxsession_terminate(c);
			faxsession_terminate(a);
			break;
		}
		if (c_on)
			c_on = faxsession_t38_tick(c, BLOCK);
		if (a_on)
			a_on = faxsession_t38_tick(a, BLOCK);
		t38_deliver(to_ans, a);
		t38_deliver(to_call, c);
	}
	faxsession_result(c, rt);
	faxsession_result(a, rr);
	w->cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
	faxsession_free(c);
	faxsession_free(a);
	w->sent = to_ans->sent + to_call->sent;
	w->dropped = to_ans->dropped + to_call->dropped;
	w->recovered = to_ans->rx.recovered + to_call->rx.recovered;
	w->lost = to_ans->rx.lost + to_call->rx.lost;
	assert_int_equal(to_ans->rx.bad + to_call->rx.bad, 0);
	free(to_ans);
	free(to_call);
	print_message("T.38 call: %.0f s of call in %.3f s CPU, %lu datagrams, %lu lost on the way, %lu "
	              "recovered, %lu given up\n",
	              (double)w->samples / RATE, w->cpu, w->sent, w->dropped, w->recovered, w->lost);
}

static struct t38_wire t38_wire_default(void)
{
	struct t38_wire w = {
	    .depth = 3,
	    .seed = 1,
	    .opt = {.version = 0, .max_bitrate = 14400, .transferred_tcf = false, .fill_bit_removal = false},
	};
	return w;
}

/* Everything a clean call must show: the pages pixel for pixel, both ids, the modem, ECM. */
static void expect_t38_ok(const struct fax_page_list *doc, const struct t38_wire *w,
                          const struct faxsession_result *rt, const struct faxsession_result *rr)
{
	assert_false(w->hit_limit);
	assert_int_equal(rt->t30_code, T30_ERR_OK);
	assert_int_equal(rr->t30_code, T30_ERR_OK);
	assert_true(rt->fax_answered);
	assert_int_equal(rt->pages_confirmed, (int)doc->count);
	assert_string_equal(rt->remote_id, "+1 212 5551212");
	assert_string_equal(rr->remote_id, "+49 30 1234567");
	expect_pages(doc, 0, rr);
	for (int i = 0; i < rr->pages_received; i++)
		assert_int_equal(rr->rx_bad_rows[i], 0);
}

static void test_t38(void **state)
{
	struct fax_page_list doc;
	struct faxsession_params ps, pr = receiver_params();
	struct faxsession_result rt, rr;
	struct t38_wire w = t38_wire_default();

	(void)state;
	make_doc(&doc, 3, 700, 101);
	ps = sender_params(&doc, FAX_RES_FINE);
	t38_call(&ps, &pr, &w, &rt, &rr);
	expect_t38_ok(&doc, &w, &rt, &rr);
	assert_int_equal(rt.bit_rate, 14400);
	assert_true(rt.ecm);
	assert_true(rr.ecm);
	assert_int_equal(rr.resolution, FAX_RES_FINE);
	assert_int_equal(rr.rx_pages.pages[0].height - doc.pages[0].height, 32);
	assert_int_equal(w.dropped + w.lost + w.recovered, 0);
	/* unpaced: a call of about a minute takes a fraction of a second */
	assert_true(w.samples > 20L * RATE);
	assert_int_equal(leftovers(), 0);
	faxsession_result_free(&rt);
	faxsession_result_free(&rr);

	/* the far end's T38MaxBitRate caps the modem; no ECM, fill bits removed, version 3 */
	w = t38_wire_default();
	w.opt = (struct faxsession_t38){
	    .version = 3, .max_bitrate = 9600, .transferred_tcf = true, .fill_bit_removal = true};
	ps.ecm = false;
	t38_call(&ps, &pr, &w, &rt, &rr);
	expect_t38_ok(&doc, &w, &rt, &rr);
	assert_int_equal(rt.bit_rate, 9600);
	assert_false(rt.ecm);
	/* a page without ECM is a long stream of packets: the watchdog still sees progress */
	assert_true(w.max_still < 10L * RATE);
	faxsession_result_free(&rt);
	faxsession_result_free(&rr);
	fax_page_list_free(&doc);
}

/* The usual case on a SIP line: a moment of audio (CNG, CED) before the re-INVITE to T.38. */
static void test_t38_after_audio(void **state)
{
	struct fax_page_list doc;
	struct faxsession_params ps, pr = receiver_params();
	struct faxsession_result rt, rr;
	struct t38_wire w = t38_wire_default();

	(void)state;
	make_doc(&doc, 2, 700, 103);
	ps = sender_params(&doc, FAX_RES_FINE);
	w.audio_samples = RATE * 4 / 10;
	t38_call(&ps, &pr, &w, &rt, &rr);
	expect_t38_ok(&doc, &w, &rt, &rr);
	assert_int_equal(rt.bit_rate, 14400);
	assert_true(rt.ecm);
	assert_int_equal(leftovers(), 0);
	faxsession_result_free(&rt);
	faxsession_result_free(&rr);
	fax_page_list_free(&doc);
}

/* Datagrams lost at random both ways: redundancy brings them back and the call goes through. */
static void test_t38_loss(void **state)
{
	struct fax_page_list doc;
	struct faxsession_params ps, pr = receiver_params();
	struct faxsession_result rt, rr;

	(void)state;
	make_doc(&doc, 2, 700, 107);
	ps = sender_params(&doc, FAX_RES_FINE);
	for (uint32_t seed = 1; seed <= 3; seed++) {
		struct t38_wire w = t38_wire_default();
		w.loss_permille = 50;
		w.seed = seed;
		t38_call(&ps, &pr, &w, &rt, &rr);
		expect_t38_ok(&doc, &w, &rt, &rr);
		assert_true(rt.ecm);
		assert_true(w.dropped > w.sent / 40);
		assert_true(w.recovered > 0);
		faxsession_result_free(&rt);
		faxsession_result_free(&rr);
	}
	fax_page_list_free(&doc);
}

/*
 * Heavy loss and no redundancy: the call may well fail, which is why lines send redundancy. It
 * must end all the same, and what it says must hold together.
 */
static void test_t38_heavy_loss(void **state)
{
	struct fax_page_list doc;
	struct faxsession_params ps, pr = receiver_params();
	struct faxsession_result rt, rr;
	struct t38_wire w = t38_wire_default();

	(void)state;
	make_doc(&doc, 2, 700, 109);
	ps = sender_params(&doc, FAX_RES_FINE);
	w.depth = 0;
	w.loss_permille = 150;
	w.limit = 10L * 60 * RATE;
	t38_call(&ps, &pr, &w, &rt, &rr);
	assert_int_equal(w.recovered, 0);
	assert_true(w.lost > 0);
	assert_true(rt.pages_confirmed <= rr.pages_received);
	for (int i = 0; i < rr.pages_received && i < (int)doc.count; i++)
		assert_true(page_header_rows(&doc.pages[i], &rr.rx_pages.pages[i]) > 0);
	if (rt.t30_code != T30_ERR_OK)
		assert_int_not_equal(fax_outcome_from_t30(rt.t30_code, rt.fax_answered, rt.pages_confirmed),
		                     FAX_OK);
	faxsession_result_free(&rt);
	faxsession_result_free(&rr);
	assert_int_equal(leftovers(), 0);
	fax_page_list_free(&doc);
}

/*
 * A switch in the middle of the document: the pages confirmed in audio stay counted and are not
 * sent again; the receiver keeps what it had and gets the rest in T.38.
 */
static void test_t38_mid_document(void **state)
{
	struct fax_page_list doc;
	struct faxsession_params ps, pr = receiver_params();
	struct faxsession_result rt, rr;
	struct wire whole = {0};
	struct t38_wire w = t38_wire_default();

	(void)state;
	make_doc(&doc, 3, 800, 113);
	ps = sender_params(&doc, FAX_RES_FINE);
	call_ok(&ps, &pr, &whole);
	w.audio_samples = whole.samples * 7 / 10 / BLOCK * BLOCK;
	t38_call(&ps, &pr, &w, &rt, &rr);
	assert_false(w.hit_limit);
	assert_int_equal(rt.t30_code, T30_ERR_OK);
	assert_int_equal(rr.t30_code, T30_ERR_OK);
	assert_int_equal(rt.pages_confirmed, 3);
	/*
	 * Pages 1 and 2 went in audio (with the third maybe half way) and page 3 in T.38; a page the
	 * receiver had but the sender had no confirmation of comes again, so the receiver holds every
	 * page in order, one of them perhaps twice.
	 */
	assert_true(rr.pages_received == 3 || rr.pages_received == 4);
	int next = 0;
	for (int i = 0; i < rr.pages_received; i++) {
		if (next < 3 && page_header_rows(&doc.pages[next], &rr.rx_pages.pages[i]) > 0)
			next++;
		else
			assert_true(next > 0 &&
			            page_header_rows(&doc.pages[next - 1], &rr.rx_pages.pages[i]) > 0);
	}
	assert_int_equal(next, 3);
	assert_true(w.samples > whole.samples);
	assert_int_equal(leftovers(), 0);
	faxsession_result_free(&rt);
	faxsession_result_free(&rr);
	fax_page_list_free(&doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fine_ecm),        cmocka_unit_test(test_standard_no_ecm),
	    cmocka_unit_test(test_first_page),      cmocka_unit_test(test_speed_cap),
	    cmocka_unit_test(test_needs_standard),  cmocka_unit_test(test_line_silent),
	    cmocka_unit_test(test_bad_rows),        cmocka_unit_test(test_terminate),
	    cmocka_unit_test(test_noise),           cmocka_unit_test(test_voice),
	    cmocka_unit_test(test_bad_params),      cmocka_unit_test(test_t38),
	    cmocka_unit_test(test_t38_after_audio), cmocka_unit_test(test_t38_loss),
	    cmocka_unit_test(test_t38_heavy_loss),  cmocka_unit_test(test_t38_mid_document),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
