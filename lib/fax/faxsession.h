/*
 * faxsession.h - one fax call's T.30 over audio, with spandsp: pages out, or pages in.
 *
 * The caller feeds 8 kHz linear audio received from the line and gets the audio to send back, in
 * blocks (normally 160 samples, 20 ms); the session knows nothing of lines or timing, so the same
 * code runs over the simulated network unpaced or in real time, or over RTP. Pages come from and go
 * to struct fax_page_list (MMR pages, as the queue stores them). spandsp reads pages from a TIFF
 * file: the session writes the pages to a private temporary TIFF before the call, and reads the
 * received TIFF back at the end; both are removed by faxsession_free.
 */
#ifndef FAXGATE_FAX_FAXSESSION_H
#define FAXGATE_FAX_FAXSESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "render/mmr.h"
#include "util/buf.h"

struct faxsession_params {
	bool calling;           /* true: we send (pages); false: we answer and receive */
	const char *station_id; /* local TSI/CSI, at most 20 characters; "" none */
	/*
	 * Text of the header line on each sent page ("" none), printable ASCII, at most 50 characters
	 * (more is cut). spandsp draws the line as "DD-Mon-YYYY  HH:MM  <header>  <station_id>  p.N"
	 * (local time; N is the job's page number, counting pages before first_page) in 16 extra
	 * rows at standard resolution (32 at fine) above the page: put neither date nor station id
	 * in the text.
	 */
	const char *header;
	bool ecm;
	/* 14400/12000 (V.17), 9600/7200 (V.29), 4800/2400 (V.27ter): spandsp caps by modem, not rate */
	int max_speed;
	/* sending */
	const struct fax_page_list *pages; /* all of the job's pages */
	int first_page;                    /* 0-based: pages before it were confirmed by an earlier call */
	int resolution;                    /* enum fax_resolution of the pages */
	const char *tmpdir;                /* where the temporary TIFF files go */
};

struct faxsession_result {
	int t30_code;        /* spandsp completion code (T30_ERR_OK = 0) */
	bool fax_answered;   /* the remote spoke T.30 at all */
	int pages_confirmed; /* sending: pages the remote confirmed in this call */
	int pages_received;  /* receiving: pages received */
	char remote_id[21];  /* remote TSI/CSI, printable ASCII */
	int bit_rate;
	bool ecm;
	int resolution;                /* receiving: enum fax_resolution of the pages (-1 unknown) */
	struct fax_page_list rx_pages; /* receiving: the pages, MMR; owned by the result */
	int *rx_bad_rows;              /* receiving: bad rows of each page (rx_pages.count entries) */
};

struct faxsession;

/*
 * T.38: the far end switched the call to T.38 (the line says so). IFP packets the session sends
 * go to this function, with how many times spandsp wants each sent (indicators are repeated);
 * the transport (UDPTL) adds sequence numbers and redundancy. Return 0, or -1 when it was lost.
 */
typedef int (*faxsession_ifp_fn)(void *user, const uint8_t *ifp, int len, int count);

struct faxsession_t38 {
	int version;          /* T38FaxVersion agreed (0..3) */
	int max_bitrate;      /* T38MaxBitRate (bit/s), 0 unknown */
	bool transferred_tcf; /* T38FaxRateManagement: transferredTCF (else localTCF) */
	bool fill_bit_removal;
};

/* NULL with the reason in err (e.g. no pages, cannot write the temporary TIFF). */
struct faxsession *faxsession_new(const struct faxsession_params *p, struct buf *err);
/*
 * n samples in from the line, n samples out to send. Returns true while the call goes on, false
 * once T.30 has finished (then hang up and read the result).
 */
bool faxsession_audio(struct faxsession *s, const int16_t *in, int16_t *out, int n);
/*
 * Go on in T.38: the audio modems stop and T.30 continues (or starts again, when the switch came
 * after T.30 had begun) over IFP packets. Pages confirmed before the switch stay counted and are
 * not sent again. 0, or -1 with the reason in err; afterwards faxsession_audio must not be called.
 */
int faxsession_t38_start(struct faxsession *s, const struct faxsession_t38 *p, faxsession_ifp_fn fn,
                         void *user, struct buf *err);
bool faxsession_is_t38(const struct faxsession *s);
/* An IFP packet received, in order, with its UDPTL sequence number (a gap means packets lost). */
void faxsession_t38_rx(struct faxsession *s, const uint8_t *ifp, int len, uint16_t seq);
/*
 * Time passes in T.38: n samples (8 kHz) since the last call, normally 160 every 20 ms; spandsp
 * sends its packets from here. Returns true while the call goes on, false once T.30 has finished.
 */
bool faxsession_t38_tick(struct faxsession *s, int n);
/*
 * A counter that grows whenever the call makes progress (a T.30 frame, phase change, page done, and
 * once a second while a page's image is in flight): for the watchdog. A call spandsp cannot end
 * (loud noise) leaves it still.
 */
unsigned long faxsession_progress(const struct faxsession *s);
/* End the call now (cancel, watchdog, hang-up by the line): T.30 stops, result says so. */
void faxsession_terminate(struct faxsession *s);
/*
 * The result; call once, after faxsession_audio (or faxsession_t38_tick) returned false or after
 * faxsession_terminate (a call still going on is terminated). It stops spandsp for good and hands
 * the received pages to r (free them with faxsession_result_free); after a switch to T.38 it counts
 * the pages of both parts. A terminated call that had not finished reports T30_ERR_CALLDROPPED.
 */
void faxsession_result(struct faxsession *s, struct faxsession_result *r);
void faxsession_result_free(struct faxsession_result *r);
void faxsession_free(struct faxsession *s);

#endif
