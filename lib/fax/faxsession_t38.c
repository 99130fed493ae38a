/*
 * faxsession_t38.c - the fax call going on in T.38: spandsp's T.38 terminal in place of its audio
 * modems, IFP packets in place of samples.
 *
 * A call starts in audio; when the line switches it to T.38, the audio terminal stops for good and
 * a T.38 terminal takes over with a new T.30, set up exactly as the audio one was. T.30 begins
 * again from phase A, as a fax machine behind a switching gateway does. Pages confirmed in audio
 * stay counted and the new T.30 sends from the page after them; pages received in audio are kept
 * (faxsession.c reads them before the new T.30 writes its own file).
 *
 * Packets go out through the caller's function (sequence numbers and redundancy are UDPTL's, not
 * ours); packets in come with their UDPTL sequence number, so spandsp tells a gap from a repeat.
 * Time is the caller's too: spandsp paces its packets by the samples faxsession_t38_tick reports,
 * so the same code runs in real time on a line or unpaced in the tests. Paced sending is what a
 * UDP transport needs (spandsp's NO_PACING option is for TCP). Received IFP packets are hostile
 * input; spandsp's parser checks them against their length, and UDPTL bounds that length.
 */
#include "fax/faxsession.h"

#include <spandsp.h>

#include "fax/faxsession_int.h"
#include "util/log.h"

/* Every packet spandsp sends: counted for the watchdog, handed to the transport. */
static int session_t38_tx(t38_core_state_t *t, void *user_data, const uint8_t *buf, int len, int count)
{
	struct faxsession *s = user_data;

	(void)t;
	s->tx_packets++;
	if (s->ifp_fn == NULL || len <= 0)
		return -1;
	return s->ifp_fn(s->ifp_user, buf, len, count) < 0 ? -1 : 0;
}

/* The T.38 options the far end agreed to (SDP), applied to spandsp's T.38 layer. */
static void session_t38_options(struct faxsession *s, const struct faxsession_t38 *p, int speed)
{
	t38_core_state_t *core = t38_terminal_get_t38_core_state(s->t38);

	t38_set_t38_version(core, p->version);
	t38_set_fastest_image_data_rate(core, speed);
	/*
	 * spandsp's comment on this function has the two methods the wrong way round; its enum is
	 * right (LOCAL_TCF = 1, TRANSFERRED_TCF = 2), so the enum names are used.
	 */
	t38_set_data_rate_management_method(core, p->transferred_tcf
	                                              ? T38_DATA_RATE_MANAGEMENT_TRANSFERRED_TCF
	                                              : T38_DATA_RATE_MANAGEMENT_LOCAL_TCF);
	t38_terminal_set_fill_bit_removal(s->t38, p->fill_bit_removal);
}

int faxsession_t38_start(struct faxsession *s, const struct faxsession_t38 *p, faxsession_ifp_fn fn,
                         void *user, struct buf *err)
{
	int speed = s->max_speed;

	if (s->t38_mode) {
		buf_puts(err, "the call is in T.38 already");
		return -1;
	}
	if (fn == NULL || p == NULL) {
		buf_puts(err, "T.38 needs a transport");
		return -1;
	}
	if (p->version < 0 || p->version > 3) {
		buf_printf(err, "T.38 version %d is not one spandsp speaks (0 to 3)", p->version);
		return -1;
	}
	s->t38_mode = true;
	s->ifp_fn = fn;
	s->ifp_user = user;
	if (s->ended || s->terminated)
		return 0; /* T.30 is over already: nothing goes on in T.38 */
	faxsession_audio_stop(s);
	if (s->calling && s->pages_before >= s->pages_to_send) {
		/* every page was confirmed in audio; only the goodbye was still to come */
		s->ended = true;
		s->code = T30_ERR_OK;
		s->progress++;
		return 0;
	}
	s->t38 = t38_terminal_init(NULL, s->calling, session_t38_tx, s);
	if (s->t38 == NULL) {
		buf_puts(err, "spandsp cannot create a T.38 terminal");
		s->ended = true;
		s->code = T30_ERR_CALLDROPPED;
		return -1;
	}
	s->t30 = t38_terminal_get_t30_state(s->t38);
	faxsession_route_log(t38_terminal_get_logging_state(s->t38));
	faxsession_route_log(t38_core_get_logging_state(t38_terminal_get_t38_core_state(s->t38)));
	t38_terminal_set_config(s->t38, 0);
	/* T38MaxBitRate caps the modems T.30 offers, as max_speed does (0: not said) */
	if (p->max_bitrate >= 2400 && p->max_bitrate < speed)
		speed = p->max_bitrate;
	faxsession_setup_t30(s, speed);
	session_t38_options(s, p, speed > 14400 ? 14400 : speed);
	s->samples = 0;
	s->tx_packets = 0;
	s->last_image_size = s->last_length = 0;
	s->progress++;
	log_debug("fax call goes on in T.38 (version %d, %d bit/s, %s TCF%s)", p->version, speed,
	          p->transferred_tcf ? "transferred" : "local",
	          p->fill_bit_removal ? ", fill bits removed" : "");
	return 0;
}

bool faxsession_is_t38(const struct faxsession *s)
{
	return s->t38_mode;
}

void faxsession_t38_rx(struct faxsession *s, const uint8_t *ifp, int len, uint16_t seq)
{
	if (s->t38 == NULL || s->ended || ifp == NULL || len < 1)
		return;
	t38_core_rx_ifp_packet(t38_terminal_get_t38_core_state(s->t38), ifp, len, seq);
}

bool faxsession_t38_tick(struct faxsession *s, int n)
{
	if (n > 0 && s->t38 && !s->ended) {
		t38_terminal_send_timeout(s->t38, n);
		if (!s->ended)
			faxsession_watch(s, n);
	}
	return !s->ended;
}

void faxsession_t38_release(struct faxsession *s)
{
	if (s->t38 == NULL)
		return;
	t38_terminal_free(s->t38);
	s->t38 = NULL;
}
