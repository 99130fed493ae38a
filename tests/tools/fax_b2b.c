/*
 * fax_b2b.c - send a fax TIFF through two spandsp audio fax terminals wired back to back.
 *
 *   fax_b2b [-v] IN.tif RX.tif
 *
 * Proves that a rendered fax is accepted by a real T.30 implementation: the caller sends IN.tif
 * (V.17 and slower, ECM, T.4 1D/2D and T.6 offered, every fax resolution and length), the answerer
 * writes what it receives to RX.tif. The audio of each side is fed to the other 160 samples
 * (20 ms) at a time as fast as the CPU allows, so a call of minutes takes seconds. Success needs
 * completion code T30_ERR_OK on both sides, every page of IN.tif transferred, and each received
 * page equal to the sent one pixel for pixel. Exit 0 on success, 1 on any failure, 2 on usage.
 *
 * IN.tif is output of the code under test: it is page-counted and read with the defensive reader
 * of tiffpages.h before spandsp sees it, and a call that never ends is cut off after 30 minutes
 * of simulated audio.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <spandsp.h>

#include "tiffpages.h"
#include "util/log.h"

#define B2B_BLOCK         160               /* samples a step: 20 ms at 8000 samples a second */
#define B2B_LIMIT_SAMPLES (30L * 60 * 8000) /* 30 minutes of audio */

struct b2b_side {
	const char *name;
	fax_state_t *fax;
	t30_state_t *t30;
	bool done;
	int code;
};

static void b2b_span_log(int level, const char *text)
{
	(void)level;
	log_debug("spandsp: %s", text);
}

static void b2b_phase_e(t30_state_t *t30, void *user_data, int completion_code)
{
	struct b2b_side *side = user_data;

	(void)t30;
	side->done = true;
	side->code = completion_code;
}

static void b2b_quiet(logging_state_t *ls)
{
	/* spandsp's own messages are developer detail: shown only with -v, through the project log */
	span_log_set_message_handler(ls, b2b_span_log);
	span_log_set_level(ls,
	                   log_enabled(LOG_LVL_DEBUG) ? SPAN_LOG_SHOW_TAG | SPAN_LOG_FLOW : SPAN_LOG_NONE);
}

static void b2b_setup(struct b2b_side *side, const char *name, bool caller)
{
	t30_state_t *t;

	memset(side, 0, sizeof(*side));
	side->name = name;
	side->fax = fax_init(NULL, caller);
	if (side->fax == NULL)
		log_fatal("cannot create the %s fax terminal", name);
	t = side->t30 = fax_get_t30_state(side->fax);
	b2b_quiet(fax_get_logging_state(side->fax));
	b2b_quiet(t30_get_logging_state(t));
	fax_set_transmit_on_idle(side->fax, true);
	t30_set_tx_ident(t, caller ? "faxgate b2b tx" : "faxgate b2b rx");
	t30_set_ecm_capability(t, true);
	t30_set_supported_modems(t, T30_SUPPORT_V27TER | T30_SUPPORT_V29 | T30_SUPPORT_V17);
	t30_set_supported_compressions(t, T30_SUPPORT_T4_1D_COMPRESSION | T30_SUPPORT_T4_2D_COMPRESSION |
	                                      T30_SUPPORT_T6_COMPRESSION);
	t30_set_supported_resolutions(t, T30_SUPPORT_STANDARD_RESOLUTION | T30_SUPPORT_FINE_RESOLUTION |
	                                     T30_SUPPORT_SUPERFINE_RESOLUTION | T30_SUPPORT_R8_RESOLUTION |
	                                     T30_SUPPORT_R16_RESOLUTION);
	t30_set_supported_image_sizes(t, T30_SUPPORT_215MM_WIDTH | T30_SUPPORT_255MM_WIDTH |
	                                     T30_SUPPORT_303MM_WIDTH | T30_SUPPORT_UNLIMITED_LENGTH |
	                                     T30_SUPPORT_A4_LENGTH | T30_SUPPORT_B4_LENGTH |
	                                     T30_SUPPORT_US_LETTER_LENGTH | T30_SUPPORT_US_LEGAL_LENGTH);
	t30_set_phase_e_handler(t, b2b_phase_e, side);
}

/* One step of the wire: what from says for 20 ms is heard by to. */
static void b2b_pass(struct b2b_side *from, struct b2b_side *to)
{
	int16_t amp[B2B_BLOCK];
	int n = fax_tx(from->fax, amp, B2B_BLOCK);

	/* transmit-on-idle fills the block; anything short is silence on the line */
	if (n < 0)
		n = 0;
	if (n < B2B_BLOCK)
		memset(amp + n, 0, (size_t)(B2B_BLOCK - n) * sizeof(amp[0]));
	fax_rx(to->fax, amp, B2B_BLOCK);
}

/* Run the call; returns the simulated seconds it took, or -1 when it hit the limit. */
static double b2b_call(struct b2b_side *tx, struct b2b_side *rx)
{
	long samples = 0;

	while (!(tx->done && rx->done)) {
		if (samples >= B2B_LIMIT_SAMPLES)
			return -1;
		b2b_pass(tx, rx);
		b2b_pass(rx, tx);
		samples += B2B_BLOCK;
	}
	return samples / 8000.0;
}

static int b2b_compare(const struct tp_doc *sent, const char *rx_path)
{
	char err[300];
	struct tp_doc got;
	int bad = 0;

	if (tp_read(rx_path, &got, err, sizeof(err)) < 0) {
		fprintf(stderr, "fax_b2b: received file: %s\n", err);
		return 1;
	}
	if (got.count != sent->count) {
		fprintf(stderr, "fax_b2b: %d pages received, %d sent\n", got.count, sent->count);
		bad = 1;
	}
	for (int i = 0; i < got.count && i < sent->count; i++) {
		const struct tp_page *a = &sent->pages[i], *b = &got.pages[i];

		if (a->width != b->width || a->height != b->height) {
			fprintf(stderr, "fax_b2b: page %d sent %dx%d, received %dx%d\n", i + 1, a->width,
			        a->height, b->width, b->height);
			bad = 1;
		} else if (tp_diff(a, b) != 0) {
			fprintf(stderr, "fax_b2b: page %d: %llu pixels differ after transmission\n", i + 1,
			        (unsigned long long)tp_diff(a, b));
			bad = 1;
		} else if ((long)(a->yres + 0.5) / 10 != (long)(b->yres + 0.5) / 10) {
			/* spandsp writes metric resolutions (77 lines/cm), so compare to within 10 dpi */
			fprintf(stderr, "fax_b2b: page %d sent at %.0f lpi, received at %.0f lpi\n", i + 1,
			        a->yres, b->yres);
			bad = 1;
		}
	}
	tp_free(&got);
	return bad;
}

int main(int argc, char **argv)
{
	struct b2b_side tx, rx;
	struct timespec t0, t1;
	t30_stats_t st_tx, st_rx;
	struct tp_doc sent;
	char err[300];
	double secs, cpu;
	int argi = 1, bad = 0;

	log_open("fax_b2b", LOG_TO_STDERR, NULL);
	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		log_set_level(LOG_LVL_DEBUG);
		argi++;
	}
	if (argc - argi != 2) {
		fprintf(stderr, "usage: fax_b2b [-v] IN.tif RX.tif\n");
		return 2;
	}
	/* spandsp trusts its input file: check it is a readable bilevel TIFF first */
	if (tp_read(argv[argi], &sent, err, sizeof(err)) < 0) {
		fprintf(stderr, "fax_b2b: %s\n", err);
		return 1;
	}
	remove(argv[argi + 1]);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	b2b_setup(&tx, "caller", true);
	b2b_setup(&rx, "answerer", false);
	t30_set_tx_file(tx.t30, argv[argi], -1, -1);
	t30_set_rx_file(rx.t30, argv[argi + 1], -1);
	t30_set_rx_encoding(rx.t30, T4_COMPRESSION_ITU_T6);
	secs = b2b_call(&tx, &rx);
	t30_get_transfer_statistics(tx.t30, &st_tx);
	t30_get_transfer_statistics(rx.t30, &st_rx);
	/* releasing the answerer closes the received TIFF */
	fax_free(tx.fax);
	fax_free(rx.fax);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cpu = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

	if (secs < 0) {
		fprintf(stderr, "fax_b2b: no end of call after %ld s of audio\n", B2B_LIMIT_SAMPLES / 8000);
		bad = 1;
	} else {
		printf("call: %.1f s of audio in %.2f s, %d bit/s, ECM %s, pages sent %d received %d of %d\n",
		       secs, cpu, st_tx.bit_rate, st_tx.error_correcting_mode ? "on" : "off", st_tx.pages_tx,
		       st_rx.pages_rx, sent.count);
		printf("sender: %s\nreceiver: %s\n", t30_completion_code_to_str(tx.code),
		       t30_completion_code_to_str(rx.code));
		if (tx.code != T30_ERR_OK || rx.code != T30_ERR_OK) {
			fprintf(stderr, "fax_b2b: call failed: sender %d (%s), receiver %d (%s)\n", tx.code,
			        t30_completion_code_to_str(tx.code), rx.code,
			        t30_completion_code_to_str(rx.code));
			bad = 1;
		}
		if (st_tx.pages_tx != sent.count || st_rx.pages_rx != sent.count) {
			fprintf(stderr, "fax_b2b: %d pages in the file, %d sent, %d received\n", sent.count,
			        st_tx.pages_tx, st_rx.pages_rx);
			bad = 1;
		}
	}
	if (!bad)
		bad = b2b_compare(&sent, argv[argi + 1]);
	tp_free(&sent);
	if (!bad)
		printf("fax_b2b: OK\n");
	return bad;
}
