/*
 * rtp.h - G.711 audio over RTP (RFC 3550, RFC 3551 payload types 0 PCMU and 8 PCMA): one call's
 * sender and its receiver with a jitter buffer.
 *
 * The line driver owns the socket and the clock: every 20 ms it takes one block of audio out of
 * the jitter buffer (rtp_rx_get) and sends one block (rtp_tx_build). Packets arrive whenever the
 * network brings them (rtp_rx_put). The jitter buffer plays out at a fixed delay behind the
 * newest packet's timestamp; a packet that has not come when its turn is due is filled in by
 * spandsp's packet loss concealment, so the modems hear a plausible signal rather than a click.
 * Every packet is hostile: wrong version, payload type or SSRC, out-of-range timestamps and
 * sizes are dropped and counted.
 */
#ifndef FAXGATE_RTP_RTP_H
#define FAXGATE_RTP_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_PT_PCMU 0
#define RTP_PT_PCMA 8
#define RTP_HEADER 12
#define RTP_MAX_SAMPLES 480 /* most samples in one packet (60 ms) */
#define RTP_MAX_PACKET (RTP_HEADER + 60 + RTP_MAX_SAMPLES) /* header, CSRCs/extension room, payload */

struct rtp_tx {
	int pt;          /* RTP_PT_PCMU or RTP_PT_PCMA */
	uint32_t ssrc;   /* random */
	uint16_t seq;    /* random start */
	uint32_t ts;     /* random start */
	bool marker;     /* set on the first packet */
	unsigned long packets;
};

void rtp_tx_init(struct rtp_tx *t, int pt);
/* Encode n samples (1..RTP_MAX_SAMPLES) of linear audio into one packet in out; its length. */
int rtp_tx_build(struct rtp_tx *t, const int16_t *samples, int n, uint8_t *out, size_t outsize);

#define RTP_JB_SLOTS 64 /* 20 ms slots held: 1.28 s */

struct plc_state_s;

struct rtp_rx {
	int pt;           /* the payload type agreed (the other one is refused) */
	int delay;        /* playout delay in samples (jitter buffer depth) */
	bool started;     /* first packet seen: ssrc, timestamp base known */
	uint32_t ssrc;
	uint32_t play_ts; /* timestamp of the next sample to play out */
	/* samples by timestamp: a ring of RTP_JB_SLOTS * 160 samples with a "present" flag per sample block */
	int16_t ring[RTP_JB_SLOTS * 160];
	bool present[RTP_JB_SLOTS * 160 / 80]; /* per 10 ms block of 80 samples */
	struct plc_state_s *plc;
	/* counters */
	unsigned long packets, bad, late, duplicates, concealed_blocks;
};

/* delay_ms: 20..500, the fixed playout delay. */
void rtp_rx_init(struct rtp_rx *r, int pt, int delay_ms);
void rtp_rx_free(struct rtp_rx *r);
/* Take one received datagram; -1 when it was dropped (not ours, damaged, far too late or early). */
int rtp_rx_put(struct rtp_rx *r, const uint8_t *pkt, size_t len);
/*
 * The next n samples to play (n <= RTP_MAX_SAMPLES): what arrived, with losses filled in; silence
 * before the first packet and while the buffer fills to the playout delay.
 */
void rtp_rx_get(struct rtp_rx *r, int16_t *out, int n);
/* A new SSRC or a timestamp jump (the far end re-INVITEd or restarted its stream): resync. */
void rtp_rx_reset(struct rtp_rx *r);

#endif
