/*
 * rtp.h - G.711 audio over RTP (RFC 3550, RFC 3551 payload types 0 PCMU and 8 PCMA): one call's
 * sender and its receiver with a jitter buffer.
 *
 * The line driver owns the socket and the clock: every 20 ms it takes one block of audio out of
 * the jitter buffer (rtp_rx_get) and sends one block (rtp_tx_build). Packets arrive whenever the
 * network brings them (rtp_rx_put). The jitter buffer plays out at a fixed delay behind the
 * stream's timestamps; a packet that has not come when its turn is due is filled in by
 * spandsp's packet loss concealment, so the modems hear a plausible signal rather than a click.
 * Every packet is hostile: wrong version, payload type or SSRC, out-of-range timestamps and
 * sizes are dropped and counted.
 */
#ifndef FAXGATE_RTP_RTP_H
#define FAXGATE_RTP_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_PT_PCMU     0
#define RTP_PT_PCMA     8
#define RTP_HEADER      12
#define RTP_MAX_SAMPLES 480                                 /* most samples in one packet (60 ms) */
#define RTP_MAX_PACKET  (RTP_HEADER + 60 + RTP_MAX_SAMPLES) /* header, CSRCs/extension room, payload */

struct rtp_tx {
	int pt;        /* RTP_PT_PCMU or RTP_PT_PCMA */
	uint32_t ssrc; /* random */
	uint16_t seq;  /* random start */
	uint32_t ts;   /* random start */
	bool marker;   /* set on the first packet */
	unsigned long packets;
};

void rtp_tx_init(struct rtp_tx *t, int pt);
/*
 * Encode n samples (1..RTP_MAX_SAMPLES) of linear audio into one packet in out: its length, or -1
 * when n is out of range or out is shorter than RTP_HEADER + n.
 */
int rtp_tx_build(struct rtp_tx *t, const int16_t *samples, int n, uint8_t *out, size_t outsize);

#define RTP_JB_SLOTS    64                   /* 20 ms slots held: 1.28 s */
#define RTP_JB_SAMPLES  (RTP_JB_SLOTS * 160) /* the buffer's span in samples */
#define RTP_PLC_HISTORY 280                  /* spandsp's PLC_HISTORY_LEN */

/*
 * The receiver of one call, owned by its line driver: rtp_rx_init, then rtp_rx_put for every
 * datagram and rtp_rx_get every tick, rtp_rx_free at the end. About 23 KB; embed it in the call.
 *
 * Timing: the first packet of a stream is played delay samples after it came (silence until
 * then); from there the play position advances exactly by what rtp_rx_get takes. A packet whose
 * turn has passed is late and dropped; one that has not come in time is concealed. The stream is
 * locked to the first SSRC; another SSRC is taken only when the locked one has been silent for
 * 100 ms. A timestamp jump (two packets in a row far outside the buffer, four late in a row, or any
 * misplaced packet after 100 ms of silence) restarts the timing at the newest packet. When the
 * newest packet runs more than 200 ms beyond the playout delay (the far end's clock is faster,
 * or a burst came after a stall) the play position skips forward to the delay again.
 */
struct rtp_rx {
	int pt;       /* the payload type agreed (the other one is refused) */
	int delay;    /* playout delay in samples (jitter buffer depth) */
	bool started; /* a stream is locked: ssrc and play position known */
	bool primed;  /* a real sample was played since: a gap now is a loss, not the start */
	uint32_t ssrc;
	uint32_t play_ts;  /* timestamp of the next sample to play out */
	int play_idx;      /* where play_ts lies in ring */
	uint32_t newest;   /* timestamp just after the newest sample taken */
	uint16_t max_seq;  /* highest sequence number taken */
	uint64_t seq_seen; /* bit i set: max_seq - i was taken (duplicates) */
	uint32_t idle;     /* samples played since the last packet of the locked stream */
	int strays;        /* packets in a row far outside the buffer */
	int late_run;      /* packets in a row that came too late */
	/* samples by timestamp, and which of them have come */
	int16_t ring[RTP_JB_SAMPLES];
	uint8_t have[RTP_JB_SAMPLES / 8];
	void *plc;                     /* spandsp's plc_state_t */
	bool concealing;               /* the last sample played was filled in */
	int16_t hist[RTP_PLC_HISTORY]; /* the last samples played, oldest first */
	/* counters */
	unsigned long packets; /* audio packets taken */
	unsigned long bad;     /* damaged, another codec or SSRC */
	unsigned long ignored; /* comfort noise and telephone-event packets (not used) */
	unsigned long late, duplicates;
	unsigned long resyncs;          /* timing restarted: new SSRC, timestamp jump, skip forward */
	unsigned long concealed;        /* samples filled in by loss concealment */
	unsigned long concealed_blocks; /* the same in 10 ms blocks (concealed / 80) */
};

/* pt: RTP_PT_PCMU or RTP_PT_PCMA; delay_ms: the fixed playout delay, 20..500 (clamped). */
void rtp_rx_init(struct rtp_rx *r, int pt, int delay_ms);
void rtp_rx_free(struct rtp_rx *r);
/*
 * Take one received datagram: 0 when it was taken (or is a comfort noise / telephone-event
 * packet, ignored and counted), -1 when it was dropped (damaged, not ours, a duplicate, late).
 */
int rtp_rx_put(struct rtp_rx *r, const uint8_t *pkt, size_t len);
/*
 * Exactly the next n samples to play (any n >= 0): what arrived, with losses filled in; silence
 * before the first packet, while the buffer fills to the playout delay, and once the stream has
 * been silent for more than RTP_JB_SAMPLES.
 */
void rtp_rx_get(struct rtp_rx *r, int16_t *out, int n);
/* The far end re-INVITEd or restarted its stream: forget it; the next packet starts afresh. */
void rtp_rx_reset(struct rtp_rx *r);

#endif
