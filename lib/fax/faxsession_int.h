/*
 * faxsession_int.h - what the parts of the fax session share (not for other modules).
 */
#ifndef FAXGATE_FAX_FAXSESSION_INT_H
#define FAXGATE_FAX_FAXSESSION_INT_H

#include <spandsp.h>

#include "fax/faxsession.h"
#include "render/mmr.h"

/* Most pages one call may bring in: a bound on the memory a hostile sender can make us hold. */
#define FAXSESSION_MAX_RX_PAGES 500

struct faxsession {
	fax_state_t *fax;          /* audio, until a switch to T.38 */
	t38_terminal_state_t *t38; /* T.38, after it */
	bool t38_mode;             /* faxsession_t38_start was called */
	t30_state_t *t30;          /* the T.30 of whichever of the two runs */
	bool calling;
	bool ended;      /* phase E seen */
	bool terminated; /* faxsession_terminate called */
	bool switching;  /* the audio T.30 is being stopped for T.38: its phase E is not the call's */
	bool fax_answered;
	int code;
	t30_stats_t stats; /* of the running T.30, as they were at phase E */
	char remote_id[21];
	unsigned long progress;
	/* the image in flight, looked at once a second (spandsp has no event during a page) */
	long samples;
	bool tx_quiet;  /* audio: some of our output this second was silence */
	int tx_packets; /* T.38: IFP packets sent this second */
	int last_image_size, last_length;
	int pages_to_send; /* pages from first_page to the end */
	char *tx_path, *rx_path;
	int *bad_rows; /* receiving: bad rows of each page so far (all of the call's pages) */
	int bad_rows_count;
	/* what T.30 is set up with, again when it starts over in T.38 */
	char station_id[T30_MAX_IDENT_LEN + 1];
	char header[T30_MAX_PAGE_HEADER_INFO + 1];
	bool ecm;
	int max_speed;
	int first_page;
	/* what the audio T.30 achieved before a switch to T.38 */
	t30_stats_t audio_stats;
	int pages_before;               /* sending: pages confirmed */
	struct fax_page_list rx_before; /* receiving: pages received */
	int rx_before_ydpi;
	/* T.38 */
	faxsession_ifp_fn ifp_fn;
	void *ifp_user;
};

/*
 * Append the pages of the TIFF spandsp received to pages, as MMR; *ydpi gets the first page's rows
 * an inch (0 unknown). Pages that cannot be read are left out (logged). Returns the number added.
 */
int faxsession_read_rx(const char *path, struct fax_page_list *pages, int *ydpi);

/* spandsp's messages into our log. */
void faxsession_route_log(logging_state_t *ls);
/* Set up s->t30 (fresh) for the call: identities, capabilities (modems up to max_speed), handlers, files. */
void faxsession_setup_t30(struct faxsession *s, int max_speed);
/* Stop the audio T.30 for good, keeping what it achieved (pages_before, rx_before). */
void faxsession_audio_stop(struct faxsession *s);
/* Once a second of call time: progress for the watchdog while a page's image is in flight. */
void faxsession_watch(struct faxsession *s, int n);
/* T.38 part: free the terminal. */
void faxsession_t38_release(struct faxsession *s);

#endif
