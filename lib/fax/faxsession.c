/*
 * faxsession.c - one fax call's T.30 over audio with spandsp's fax terminal (fax_state_t).
 *
 * The session only turns audio into pages and pages into audio; timing, lines and retries are
 * faxd's. spandsp works on TIFF files: a sending session writes all of the job's MMR pages to a
 * private temporary TIFF and starts at first_page, so the page number spandsp prints in the header
 * line counts from the job's first page even when earlier pages went through in an earlier call; a
 * receiving session lets spandsp write a temporary TIFF and turns it back into MMR pages at the
 * end (faxsession_rx.c). What the remote says (station id) is hostile text: it is reduced to
 * printable ASCII before anyone sees it. spandsp's own messages go to the log at debug level.
 * When the line switches the call to T.38, faxsession_t38.c takes over with spandsp's T.38
 * terminal; this file stops the audio terminal and keeps what it achieved (pages confirmed or
 * received), and the result adds up both parts.
 */
#include "fax/faxsession.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <spandsp.h>

#include "fax/faxsession_int.h"
#include "render/faxtiff.h"
#include "render/geometry.h"
#include "util/log.h"
#include "util/xalloc.h"

/* spandsp keeps at most this much of a file name (it truncates silently beyond). */
#define SPANDSP_PATH_MAX 255
#define SAMPLES_A_SECOND 8000

static void session_span_log(int level, const char *text)
{
	size_t n = strlen(text);

	(void)level;
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		n--;
	log_debug("spandsp: %.*s", (int)n, text);
}

void faxsession_route_log(logging_state_t *ls)
{
	/* spandsp prints to stdout unless told otherwise; its detail is only worth the CPU when debugging. */
	span_log_set_message_handler(ls, session_span_log);
	span_log_set_level(ls,
	                   log_enabled(LOG_LVL_DEBUG) ? SPAN_LOG_SHOW_TAG | SPAN_LOG_FLOW : SPAN_LOG_NONE);
}

/* Printable ASCII only, without the spaces T.30 pads identities with. */
static void session_clean_id(char *dst, size_t dstlen, const char *src)
{
	size_t n = 0;

	while (src && *src == ' ')
		src++;
	for (; src && *src && n + 1 < dstlen; src++)
		dst[n++] = (*src >= 0x20 && *src < 0x7f) ? *src : '?';
	while (n > 0 && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
}

static void session_note_remote(struct faxsession *s)
{
	const char *id = t30_get_rx_ident(s->t30);

	if (id && *id && s->remote_id[0] == '\0')
		session_clean_id(s->remote_id, sizeof(s->remote_id), id);
}

static int session_phase_b(t30_state_t *t, void *user_data, int result)
{
	struct faxsession *s = user_data;

	(void)t;
	(void)result;
	s->progress++;
	s->fax_answered = true;
	session_note_remote(s);
	return T30_ERR_OK;
}

static int session_phase_d(t30_state_t *t, void *user_data, int result)
{
	struct faxsession *s = user_data;
	t30_stats_t st;
	int page;

	(void)result;
	s->progress++;
	s->fax_answered = true;
	if (s->calling)
		return T30_ERR_OK;
	/*
	 * One call per received page, after it is complete: its bad rows are the most recent page's.
	 * After a switch to T.38 spandsp counts again from 0, after the pages received in audio.
	 */
	t30_get_transfer_statistics(t, &st);
	page = (int)s->rx_before.count + st.pages_rx;
	if (st.pages_rx > 0 && page > s->bad_rows_count && page <= FAXSESSION_MAX_RX_PAGES) {
		s->bad_rows = xreallocarray(s->bad_rows, (size_t)page, sizeof(*s->bad_rows));
		for (int i = s->bad_rows_count; i < page; i++)
			s->bad_rows[i] = 0;
		s->bad_rows_count = page;
		s->bad_rows[page - 1] = st.bad_rows;
	}
	return T30_ERR_OK;
}

static void session_phase_e(t30_state_t *t, void *user_data, int completion_code)
{
	struct faxsession *s = user_data;

	if (s->switching) {
		/* the audio T.30 stopped for T.38: the call goes on, only its statistics matter */
		t30_get_transfer_statistics(t, &s->stats);
		return;
	}
	if (s->ended)
		return;
	s->ended = true;
	s->progress++;
	s->code = completion_code;
	t30_get_transfer_statistics(t, &s->stats);
	session_note_remote(s);
}

/* Every T.30 frame the remote sends shows a fax machine is there and the call is alive. */
static void session_frame(t30_state_t *t, void *user_data, int direction, const uint8_t msg[], int len)
{
	struct faxsession *s = user_data;

	(void)t;
	s->progress++;
	/* direction true: a frame the remote sent (false: ours); the remote speaks T.30 */
	if (direction && msg && len > 0)
		s->fax_answered = true;
}

static int session_modems(int max_speed)
{
	if (max_speed >= 12000)
		return T30_SUPPORT_V17 | T30_SUPPORT_V29 | T30_SUPPORT_V27TER;
	if (max_speed >= 7200)
		return T30_SUPPORT_V29 | T30_SUPPORT_V27TER;
	return T30_SUPPORT_V27TER;
}

void faxsession_setup_t30(struct faxsession *s, int max_speed)
{
	t30_state_t *t = s->t30;

	faxsession_route_log(t30_get_logging_state(t));
	t30_set_tx_ident(t, s->station_id);
	t30_set_ecm_capability(t, s->ecm);
	t30_set_supported_modems(t, session_modems(max_speed));
	/* T.6 needs ECM; without it spandsp falls back to T.4 by itself. */
	t30_set_supported_compressions(t, T30_SUPPORT_T4_1D_COMPRESSION | T30_SUPPORT_T4_2D_COMPRESSION |
	                                      T30_SUPPORT_T6_COMPRESSION);
	/* The 204-dpi family only: received pages must fit enum fax_resolution and 1728-pixel rows. */
	t30_set_supported_resolutions(t, T30_SUPPORT_STANDARD_RESOLUTION | T30_SUPPORT_FINE_RESOLUTION |
	                                     T30_SUPPORT_SUPERFINE_RESOLUTION | T30_SUPPORT_R8_RESOLUTION);
	t30_set_supported_image_sizes(t, T30_SUPPORT_215MM_WIDTH | T30_SUPPORT_A4_LENGTH |
	                                     T30_SUPPORT_B4_LENGTH | T30_SUPPORT_US_LETTER_LENGTH |
	                                     T30_SUPPORT_US_LEGAL_LENGTH | T30_SUPPORT_UNLIMITED_LENGTH);
	if (s->header[0])
		t30_set_tx_page_header_info(t, s->header);
	t30_set_phase_b_handler(t, session_phase_b, s);
	t30_set_phase_d_handler(t, session_phase_d, s);
	t30_set_phase_e_handler(t, session_phase_e, s);
	t30_set_real_time_frame_handler(t, session_frame, s);
	if (s->calling) {
		/*
		 * All pages are in the file, so spandsp's "p.N" in the header is the job's page number;
		 * after a switch to T.38 the pages confirmed in audio are not sent again.
		 */
		t30_set_tx_file(t, s->tx_path, s->first_page + s->pages_before, -1);
	} else {
		t30_set_rx_file(t, s->rx_path, FAXSESSION_MAX_RX_PAGES);
		/* MMR in the file: small, and the encoding the pages are stored in anyway. */
		t30_set_rx_encoding(t, T4_COMPRESSION_ITU_T6);
	}
}

/* A new empty file of a unique name in dir, for spandsp's TIFF; NULL with the reason in err. */
static char *session_tmpfile(const char *dir, const char *what, struct buf *err)
{
	char *path = xasprintf("%s/faxsession-%s-XXXXXX.tif", dir && *dir ? dir : "/tmp", what);
	int fd;

	if (strlen(path) > SPANDSP_PATH_MAX) {
		buf_printf(err, "temporary file name too long for spandsp: %s", path);
		free(path);
		return NULL;
	}
	fd = mkostemps(path, 4, O_CLOEXEC);
	if (fd < 0) {
		buf_printf(err, "cannot create %s: %s", path, strerror(errno));
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

static int session_prepare_tx(struct faxsession *s, const struct faxsession_params *p, struct buf *err)
{
	struct fax_geometry g;
	char msg[256];

	if (p->pages == NULL || p->pages->count == 0) {
		buf_puts(err, "no pages to send");
		return -1;
	}
	if (p->first_page < 0 || (size_t)p->first_page >= p->pages->count) {
		buf_printf(err, "first page %d is beyond the %zu pages of the job", p->first_page + 1,
		           p->pages->count);
		return -1;
	}
	if (p->resolution < FAX_RES_STANDARD || p->resolution > FAX_RES_SUPERFINE) {
		buf_printf(err, "unknown resolution %d", p->resolution);
		return -1;
	}
	s->tx_path = session_tmpfile(p->tmpdir, "tx", err);
	if (s->tx_path == NULL)
		return -1;
	/* The paper is only used for the length of full pages; the pages bring their own. */
	geometry_init(&g, (enum fax_resolution)p->resolution, FAX_PAPER_A4);
	if (faxtiff_write(s->tx_path, p->pages, &g, "faxgate", msg, sizeof(msg)) < 0) {
		buf_printf(err, "cannot write the pages for spandsp: %s", msg);
		return -1;
	}
	s->pages_to_send = (int)p->pages->count - p->first_page;
	return 0;
}

static int session_prepare_rx(struct faxsession *s, const struct faxsession_params *p, struct buf *err)
{
	s->rx_path = session_tmpfile(p->tmpdir, "rx", err);
	return s->rx_path ? 0 : -1;
}

struct faxsession *faxsession_new(const struct faxsession_params *p, struct buf *err)
{
	struct faxsession *s = xcalloc(1, sizeof(*s));
	int rc;

	s->calling = p->calling;
	session_clean_id(s->station_id, sizeof(s->station_id), p->station_id);
	if (p->calling && p->header)
		session_clean_id(s->header, sizeof(s->header), p->header);
	s->ecm = p->ecm;
	s->max_speed = p->max_speed;
	s->first_page = p->first_page;
	s->fax = fax_init(NULL, p->calling);
	if (s->fax == NULL) {
		buf_puts(err, "spandsp cannot create a fax terminal");
		free(s);
		return NULL;
	}
	s->t30 = fax_get_t30_state(s->fax);
	fax_set_transmit_on_idle(s->fax, true);
	faxsession_route_log(fax_get_logging_state(s->fax));
	rc = p->calling ? session_prepare_tx(s, p, err) : session_prepare_rx(s, p, err);
	if (rc < 0) {
		faxsession_free(s);
		return NULL;
	}
	faxsession_setup_t30(s, s->max_speed);
	return s;
}

/*
 * Without ECM a page is one long carrier with no T.30 event for minutes; the watchdog must not
 * take that for a stall. The receiver sees the image grow in spandsp's statistics; the sender
 * sees only that it transmits without a break (audio: no silence; T.38: packets go out).
 */
void faxsession_watch(struct faxsession *s, int n)
{
	t30_stats_t st;
	bool sending = s->t38 ? s->tx_packets > 0 : !s->tx_quiet;

	s->samples += n;
	if (s->samples < SAMPLES_A_SECOND)
		return;
	s->samples = 0;
	t30_get_transfer_statistics(s->t30, &st);
	if (st.image_size != s->last_image_size || st.length != s->last_length || (s->calling && sending))
		s->progress++;
	s->last_image_size = st.image_size;
	s->last_length = st.length;
	s->tx_quiet = false;
	s->tx_packets = 0;
}

bool faxsession_audio(struct faxsession *s, const int16_t *in, int16_t *out, int n)
{
	int got = 0;

	if (n <= 0)
		return !s->ended;
	if (s->fax && !s->ended) {
		/* fax_rx does not write to the samples; its prototype only lacks the const. */
		fax_rx(s->fax, (int16_t *)in, n);
		got = fax_tx(s->fax, out, n);
		if (got < 0)
			got = 0;
	}
	if (got < n)
		memset(out + got, 0, (size_t)(n - got) * sizeof(*out));
	if (s->fax && !s->ended) {
		for (int i = 0; i < n && !s->tx_quiet; i++)
			s->tx_quiet = out[i] == 0;
		faxsession_watch(s, n);
	}
	return !s->ended;
}

unsigned long faxsession_progress(const struct faxsession *s)
{
	return s->progress;
}

/* Sending: pages the remote confirmed in this call, in audio and in T.38 after a switch. */
static int session_confirmed(const struct faxsession *s)
{
	int n = s->pages_before + s->stats.pages_tx;

	return n < 0 ? 0 : n > s->pages_to_send ? s->pages_to_send : n;
}

void faxsession_terminate(struct faxsession *s)
{
	if (s->ended || s->t30 == NULL)
		return;
	s->terminated = true;
	t30_terminate(s->t30);
	/* spandsp reports the status it had so far; an unfinished call ended from outside is a drop. */
	if (!s->ended)
		session_phase_e(s->t30, s, T30_ERR_CALLDROPPED);
	else if (s->code == T30_ERR_OK && s->calling && session_confirmed(s) < s->pages_to_send)
		s->code = T30_ERR_CALLDROPPED;
}

/* Stop spandsp for good: the received TIFF is complete only once spandsp has closed it. */
static void session_release(struct faxsession *s)
{
	if (!s->ended)
		faxsession_terminate(s);
	if (s->fax)
		fax_free(s->fax);
	s->fax = NULL;
	faxsession_t38_release(s);
	s->t30 = NULL;
}

void faxsession_audio_stop(struct faxsession *s)
{
	if (s->fax == NULL)
		return;
	t30_get_transfer_statistics(s->t30, &s->stats);
	/* T.30 may finish a page it was ending; its phase E then only updates the statistics */
	s->switching = true;
	t30_terminate(s->t30);
	s->switching = false;
	fax_free(s->fax);
	s->fax = NULL;
	s->t30 = NULL;
	s->audio_stats = s->stats;
	memset(&s->stats, 0, sizeof(s->stats));
	if (s->calling) {
		s->pages_before = s->audio_stats.pages_tx < 0 ? 0 : s->audio_stats.pages_tx;
		if (s->pages_before > s->pages_to_send)
			s->pages_before = s->pages_to_send;
		return;
	}
	/*
	 * The T.38 T.30 writes its own TIFF over the same file: the pages so far are read now (they
	 * are complete: spandsp writes a page only once it has all of it), and the file emptied, as
	 * spandsp would leave it if no page came.
	 */
	faxsession_read_rx(s->rx_path, &s->rx_before, &s->rx_before_ydpi);
	if (truncate(s->rx_path, 0) < 0 && errno != ENOENT)
		log_warning("cannot empty %s: %s", s->rx_path, strerror(errno));
	if (s->bad_rows_count > (int)s->rx_before.count)
		s->bad_rows_count = (int)s->rx_before.count;
}

/* 98, 196 or 391 dots an inch; spandsp writes them in dots a centimetre, hence the wide bands. */
static int session_resolution(int ydpi)
{
	if (ydpi <= 0)
		return -1;
	if (ydpi < 150)
		return FAX_RES_STANDARD;
	if (ydpi < 300)
		return FAX_RES_FINE;
	return FAX_RES_SUPERFINE;
}

void faxsession_result(struct faxsession *s, struct faxsession_result *r)
{
	const t30_stats_t *st;

	memset(r, 0, sizeof(*r));
	session_release(s);
	r->t30_code = s->code;
	r->fax_answered = s->fax_answered;
	snprintf(r->remote_id, sizeof(r->remote_id), "%s", s->remote_id);
	/* after a switch to T.38 that never got as far as a page, the audio part says how it went */
	st = s->stats.bit_rate == 0 && s->audio_stats.bit_rate != 0 ? &s->audio_stats : &s->stats;
	r->bit_rate = s->fax_answered ? st->bit_rate : 0;
	r->ecm = s->fax_answered && st->error_correcting_mode;
	r->resolution = -1;
	if (s->calling) {
		r->pages_confirmed = session_confirmed(s);
		return;
	}
	/* the pages received in audio before a switch to T.38 come first */
	for (size_t i = 0; i < s->rx_before.count; i++)
		fax_page_list_push(&r->rx_pages, &s->rx_before.pages[i]);
	fax_page_list_free(&s->rx_before);
	if (s->rx_path) {
		int yres = 0;

		faxsession_read_rx(s->rx_path, &r->rx_pages, &yres);
		r->resolution = session_resolution(yres ? yres : s->rx_before_ydpi);
		unlink(s->rx_path);
		free(s->rx_path);
		s->rx_path = NULL;
	}
	r->pages_received = (int)r->rx_pages.count;
	r->rx_bad_rows = xcalloc(r->rx_pages.count ? r->rx_pages.count : 1, sizeof(int));
	for (int i = 0; i < r->pages_received && i < s->bad_rows_count; i++)
		r->rx_bad_rows[i] = s->bad_rows[i];
}

void faxsession_result_free(struct faxsession_result *r)
{
	fax_page_list_free(&r->rx_pages);
	free(r->rx_bad_rows);
	r->rx_bad_rows = NULL;
}

void faxsession_free(struct faxsession *s)
{
	if (s == NULL)
		return;
	if (s->fax)
		fax_free(s->fax);
	faxsession_t38_release(s);
	fax_page_list_free(&s->rx_before);
	if (s->tx_path) {
		unlink(s->tx_path);
		free(s->tx_path);
	}
	if (s->rx_path) {
		unlink(s->rx_path);
		free(s->rx_path);
	}
	free(s->bad_rows);
	free(s);
}
