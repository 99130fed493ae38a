/*
 * simdial.c - a minimal fax server on the line interface (line.h), to test the simulated network
 * without faxd.
 *
 *   simdial -c CONF [-v] send [--calls N] [--caller ID] [--timeout S] NUMBER FAX.tif
 *	Dials NUMBER on N lines at once (default 1) and sends FAX.tif with a spandsp fax terminal
 *	on each. Prints, for every call, "key value" lines prefixed by "call I ": the last call
 *	progress signal (ringing, answered, busy, no_answer, unassigned, congestion), fax_answered
 *	(the far end spoke T.30), the T.30 completion code (-1 when T.30 never ran) and its text,
 *	pages sent, who hung up (local: we, after T.30 ended; remote: the far end), and seconds of
 *	audio; then the wall-clock seconds of the whole run.
 *   simdial -c CONF [-v] answer [--timeout S] OUT.tif
 *	Waits for one incoming call, answers it and receives into OUT.tif; prints caller, called,
 *	subaddress (from the network), t30_subaddress and remote_id (from T.30), code, pages.
 *
 * Exit 0 when the calls ran to an end (the test judges the outcome from the output), 1 when the
 * network failed or the time ran out, 2 on usage.
 */
#include <getopt.h>
#include <poll.h>
#include <spandsp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "line/line.h"
#include "util/log.h"
#include "util/xalloc.h"

struct sd_call {
	fax_state_t *fax;
	t30_state_t *t30;
	const char *signal;
	bool over, t30_done, answered_fax;
	const char *hangup;
	int code, pages;
	long samples;
	char caller[32], called[32], sub[21], t30_sub[21];
};

static const char *sd_tx_file; /* send: the TIFF */

static void sd_span_log(int level, const char *text)
{
	(void)level;
	log_debug("spandsp: %s", text);
}

static int sd_phase_b(t30_state_t *t, void *user_data, int result)
{
	(void)t;
	(void)result;
	((struct sd_call *)user_data)->answered_fax = true;
	return T30_ERR_OK;
}

static void sd_phase_e(t30_state_t *t, void *user_data, int code)
{
	struct sd_call *c = user_data;

	(void)t;
	c->t30_done = true;
	c->code = code;
}

static void sd_fax(struct sd_call *c, bool calling, const char *file)
{
	t30_state_t *t;

	c->fax = fax_init(NULL, calling);
	if (!c->fax)
		log_fatal("cannot create a fax terminal");
	t = c->t30 = fax_get_t30_state(c->fax);
	span_log_set_message_handler(fax_get_logging_state(c->fax), sd_span_log);
	span_log_set_message_handler(t30_get_logging_state(t), sd_span_log);
	span_log_set_level(t30_get_logging_state(t),
	                   log_enabled(LOG_LVL_DEBUG) ? SPAN_LOG_SHOW_TAG | SPAN_LOG_FLOW : SPAN_LOG_NONE);
	fax_set_transmit_on_idle(c->fax, true);
	t30_set_tx_ident(t, calling ? "SIMDIAL TX" : "SIMDIAL RX");
	t30_set_ecm_capability(t, true);
	t30_set_supported_modems(t, T30_SUPPORT_V27TER | T30_SUPPORT_V29 | T30_SUPPORT_V17);
	t30_set_supported_compressions(t, T30_SUPPORT_T4_1D_COMPRESSION | T30_SUPPORT_T4_2D_COMPRESSION |
	                                      T30_SUPPORT_T6_COMPRESSION);
	t30_set_supported_resolutions(t, T30_SUPPORT_STANDARD_RESOLUTION | T30_SUPPORT_FINE_RESOLUTION |
	                                     T30_SUPPORT_SUPERFINE_RESOLUTION);
	t30_set_supported_image_sizes(t, T30_SUPPORT_215MM_WIDTH | T30_SUPPORT_255MM_WIDTH |
	                                     T30_SUPPORT_303MM_WIDTH | T30_SUPPORT_UNLIMITED_LENGTH |
	                                     T30_SUPPORT_A4_LENGTH | T30_SUPPORT_B4_LENGTH |
	                                     T30_SUPPORT_US_LETTER_LENGTH | T30_SUPPORT_US_LEGAL_LENGTH);
	/* without the DIS bit a caller's sub-address (T.33 routing) is never sent */
	t30_set_supported_t30_features(t, T30_SUPPORT_IDENTIFICATION | T30_SUPPORT_SUB_ADDRESSING);
	t30_set_phase_b_handler(t, sd_phase_b, c);
	t30_set_phase_e_handler(t, sd_phase_e, c);
	if (calling)
		t30_set_tx_file(t, file, -1, -1);
	else {
		t30_set_rx_file(t, file, -1);
		t30_set_rx_encoding(t, T4_COMPRESSION_ITU_T6);
	}
}

/* The call is over: collect what T.30 says and release the terminal (closing a received file). */
static void sd_end(struct sd_call *c, const char *who)
{
	t30_stats_t st;

	c->over = true;
	c->hangup = who;
	if (!c->fax)
		return;
	if (!c->t30_done)
		t30_terminate(c->t30);
	t30_get_transfer_statistics(c->t30, &st);
	c->pages = st.pages_tx > st.pages_rx ? st.pages_tx : st.pages_rx;
	if (t30_get_rx_sub_address(c->t30))
		snprintf(c->t30_sub, sizeof(c->t30_sub), "%s", t30_get_rx_sub_address(c->t30));
}

static void sd_event(struct line_driver *d, struct sd_call *calls, int ncalls, const struct line_event *ev,
                     const char *rx_file)
{
	struct sd_call *c;
	int16_t out[LINE_MAX_BLOCK];

	if (ev->line < 0 || ev->line >= ncalls)
		return;
	c = &calls[ev->line];
	switch (ev->type) {
	case LINE_EV_RINGING:
		c->signal = "ringing";
		break;
	case LINE_EV_ANSWERED:
		c->signal = "answered";
		sd_fax(c, true, sd_tx_file);
		break;
	case LINE_EV_BUSY:
	case LINE_EV_NO_ANSWER:
	case LINE_EV_UNASSIGNED:
	case LINE_EV_CONGESTION:
		c->signal = ev->type == LINE_EV_BUSY         ? "busy"
		            : ev->type == LINE_EV_NO_ANSWER  ? "no_answer"
		            : ev->type == LINE_EV_UNASSIGNED ? "unassigned"
		                                             : "congestion";
		sd_end(c, "network");
		break;
	case LINE_EV_INCOMING:
		snprintf(c->caller, sizeof(c->caller), "%s", ev->caller);
		snprintf(c->called, sizeof(c->called), "%s", ev->called);
		snprintf(c->sub, sizeof(c->sub), "%s", ev->subaddress);
		c->signal = "incoming";
		sd_fax(c, false, rx_file);
		if (line_answer(d, ev->line) < 0)
			log_fatal("cannot answer line %d", ev->line);
		break;
	case LINE_EV_AUDIO: {
		if (!c->fax)
			log_fatal("line %d: audio before the call was answered", ev->line);
		fax_rx(c->fax, (int16_t *)ev->samples, ev->nsamples);
		int n = fax_tx(c->fax, out, ev->nsamples);
		if (n < ev->nsamples)
			memset(out + (n > 0 ? n : 0), 0,
			       (size_t)(ev->nsamples - (n > 0 ? n : 0)) * sizeof(*out));
		if (line_send_audio(d, ev->line, out, ev->nsamples) < 0)
			log_fatal("line %d: audio not accepted", ev->line);
		c->samples += ev->nsamples;
		if (c->t30_done) {
			line_hangup(d, ev->line);
			sd_end(c, "local");
		}
		break;
	}
	case LINE_EV_HANGUP:
		sd_end(c, "remote");
		break;
	default:
		break;
	}
}

static void sd_print(const struct sd_call *c, int i, bool answer)
{
	if (answer)
		printf("caller %s\ncalled %s\nsubaddress %s\nt30_subaddress %s\n", c->caller, c->called,
		       c->sub, c->t30_sub);
	printf("call %d signal %s\ncall %d fax_answered %s\ncall %d code %d\ncall %d result %s\n", i,
	       c->signal ? c->signal : "none", i, c->answered_fax ? "yes" : "no", i, c->fax ? c->code : -1, i,
	       c->fax ? t30_completion_code_to_str(c->code) : "-");
	printf("call %d pages %d\ncall %d hangup %s\ncall %d audio_s %.1f\n", i, c->pages, i,
	       c->hangup ? c->hangup : "none", i, c->samples / 8000.0);
	if (c->fax)
		printf("call %d remote_id %s\n", i, t30_get_rx_ident(c->t30) ? t30_get_rx_ident(c->t30) : "");
}

static int sd_usage(void)
{
	fprintf(stderr,
	        "usage: simdial -c CONF [-v] send [--calls N] [--caller ID] [--timeout S] NUMBER FAX.tif\n"
	        "       simdial -c CONF [-v] answer [--timeout S] OUT.tif\n");
	return 2;
}

static double sd_secs(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"calls", required_argument, NULL, 'n'},
	                                     {"caller", required_argument, NULL, 'C'},
	                                     {"timeout", required_argument, NULL, 't'},
	                                     {NULL, 0, NULL, 0}};
	const char *conf_path = NULL, *caller = "+4930999", *mode;
	struct buf err = BUF_INIT;
	struct line_driver *d;
	struct sd_call *calls;
	struct timespec t0, t1;
	struct conf conf;
	int c, ncalls = 1, timeout = 120, rc = 0;
	bool answer;

	log_open("simdial", LOG_TO_STDERR, NULL);
	while ((c = getopt(argc, argv, "+c:v")) != -1) {
		if (c == 'c')
			conf_path = optarg;
		else if (c == 'v')
			log_set_level(LOG_LVL_DEBUG);
		else
			return sd_usage();
	}
	if (!conf_path || optind >= argc)
		return sd_usage();
	mode = argv[optind];
	answer = strcmp(mode, "answer") == 0;
	if (!answer && strcmp(mode, "send") != 0)
		return sd_usage();
	argc -= optind;
	argv += optind;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'n')
			ncalls = atoi(optarg);
		else if (c == 'C')
			caller = optarg;
		else if (c == 't')
			timeout = atoi(optarg);
		else
			return sd_usage();
	}
	if (argc - optind != (answer ? 1 : 2) || ncalls < 1 || timeout < 1)
		return sd_usage();
	enum log_level lvl = log_get_level();
	if (conf_load(&conf, conf_path, &err) < 0) {
		fprintf(stderr, "simdial: %s\n", buf_cstr(&err));
		return 1;
	}
	log_set_level(lvl > (enum log_level)conf.log_level ? lvl : (enum log_level)conf.log_level);
	d = line_open(&conf, &err);
	if (!d) {
		fprintf(stderr, "simdial: %s\n", buf_cstr(&err));
		conf_free(&conf);
		buf_free(&err);
		return 1;
	}
	if (answer)
		ncalls = line_count(d);
	if (ncalls > line_count(d)) {
		fprintf(stderr, "simdial: %d calls, but only %d lines\n", ncalls, line_count(d));
		return 1;
	}
	calls = xcalloc((size_t)ncalls, sizeof(*calls));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sd_tx_file = answer ? NULL : argv[optind + 1];
	if (!answer)
		for (int i = 0; i < ncalls; i++) {
			if (line_dial(d, i, argv[optind], caller, LINE_MEDIA_TRY) < 0)
				log_fatal("cannot dial on line %d", i);
		}
	for (;;) {
		struct line_event ev;
		int open = 0, ended = 0, got;

		while ((got = line_next_event(d, &ev)) > 0)
			sd_event(d, calls, ncalls, &ev, answer ? argv[optind] : NULL);
		if (got < 0) {
			fprintf(stderr, "simdial: the network went away\n");
			rc = 1;
			break;
		}
		for (int i = 0; i < ncalls; i++) {
			open += (answer ? calls[i].signal != NULL : true) && !calls[i].over;
			ended += calls[i].over;
		}
		if (open == 0 && (!answer || ended > 0))
			break;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (sd_secs(&t0, &t1) > timeout) {
			fprintf(stderr, "simdial: no end after %d seconds\n", timeout);
			rc = 1;
			break;
		}
		struct pollfd p = {.fd = line_fd(d), .events = POLLIN};
		poll(&p, 1, 200);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (int i = 0; i < ncalls; i++) {
		if (answer && !calls[i].signal)
			continue;
		if (!calls[i].over)
			sd_end(&calls[i], "none");
		sd_print(&calls[i], i, answer);
		if (calls[i].fax)
			fax_free(calls[i].fax);
	}
	printf("wall_s %.2f\n", sd_secs(&t0, &t1));
	line_close(d);
	free(calls);
	conf_free(&conf);
	buf_free(&err);
	return rc;
}
