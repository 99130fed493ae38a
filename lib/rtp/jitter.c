/*
 * jitter.c - the receiving side of a G.711 RTP stream: a jitter buffer with a fixed playout delay
 * and spandsp's packet loss concealment.
 *
 * Samples are kept by timestamp in a ring that spans RTP_JB_SAMPLES from the play position, with
 * one bit per sample saying whether it came. Bits per sample rather than per packet, so packets
 * of any size and alignment (10, 20, 30 ms, a sender that changes its packet size) need no
 * special case. The play position is anchored when a stream is locked (delay samples before
 * its first packet) and then moves only as rtp_rx_get takes samples, so the modems hear the far
 * end's signal at a constant delay; only when the timing is plainly broken (a jump, a restart,
 * a clock running away) is it re-anchored at the newest packet.
 *
 * Memory is fixed: nothing a packet says makes the receiver hold more.
 *
 * Two faults of spandsp 0.0.6's plc_fillin at the start of a loss are kept away from:
 * - it rotates its history with a memcpy whose source and destination overlap (undefined
 *   behaviour, caught by ASan) unless the history ends exactly at the end of its buffer. So
 *   before each loss plc_rx is handed the last PLC_HISTORY_LEN samples played in one piece,
 *   which leaves the history in that shape and the same in content;
 * - it writes a quarter pitch period (up to PLC_PITCH_OVERLAP_MAX samples) whatever the length
 *   it was given, so a short first block is filled into a scratch buffer of that size.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

#include "rtp/rtp.h"
#include "rtp/rtp_int.h"
#include "util/xalloc.h"

#define RTP_PT_CN_OLD  19 /* comfort noise before RFC 3389 took 13 */
#define RTP_PT_CN      13
#define RTP_PT_DYNAMIC 96   /* telephone-event and friends live from here */
#define RTP_SSRC_GAP   800  /* 100 ms of silence after which another SSRC may take over */
#define RTP_MAX_EXCESS 1600 /* 200 ms beyond the delay: skip forward */
#define RTP_STRAYS     2    /* packets in a row far outside the buffer: the timestamps jumped */
#define RTP_LATE_RUN   4    /* late packets in a row: the timestamps went back */

_Static_assert(RTP_PLC_HISTORY == PLC_HISTORY_LEN, "rtp.h must know spandsp's PLC history length");

static bool have_test(const struct rtp_rx *r, int i)
{
	return (r->have[i >> 3] >> (i & 7)) & 1;
}

static void have_set(struct rtp_rx *r, int i)
{
	r->have[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static void have_clear(struct rtp_rx *r, int i)
{
	r->have[i >> 3] &= (uint8_t) ~(1u << (i & 7));
}

void rtp_rx_init(struct rtp_rx *r, int pt, int delay_ms)
{
	memset(r, 0, sizeof(*r));
	r->pt = pt == RTP_PT_PCMU ? RTP_PT_PCMU : RTP_PT_PCMA;
	if (delay_ms < 20)
		delay_ms = 20;
	if (delay_ms > 500)
		delay_ms = 500;
	r->delay = delay_ms * 8;
	r->plc = xmalloc(sizeof(plc_state_t));
	plc_init(r->plc);
}

void rtp_rx_free(struct rtp_rx *r)
{
	free(r->plc);
	r->plc = NULL;
}

void rtp_rx_reset(struct rtp_rx *r)
{
	memset(r->have, 0, sizeof(r->have));
	r->started = false;
	r->primed = false;
	r->concealing = false;
	r->strays = r->late_run = 0;
	r->idle = 0;
	if (r->plc)
		plc_init(r->plc);
}

/* Lock onto p's stream and play it from delay samples before p: everything held is dropped. */
static void rx_anchor(struct rtp_rx *r, const struct rtp_packet *p)
{
	memset(r->have, 0, sizeof(r->have));
	r->started = true;
	r->ssrc = p->ssrc;
	r->play_ts = p->ts - (uint32_t)r->delay;
	r->play_idx = 0;
	r->newest = p->ts;
	r->max_seq = p->seq;
	r->seq_seen = 0;
	r->strays = r->late_run = 0;
}

static bool seq_seen(const struct rtp_rx *r, uint16_t seq)
{
	int d = (int16_t)(uint16_t)(seq - r->max_seq);

	return d <= 0 && d > -64 && ((r->seq_seen >> -d) & 1);
}

static void seq_mark(struct rtp_rx *r, uint16_t seq)
{
	int d = (int16_t)(uint16_t)(seq - r->max_seq);

	if (d > 0) {
		r->seq_seen = d >= 64 ? 0 : r->seq_seen << d;
		r->seq_seen |= 1;
		r->max_seq = seq;
	} else if (d > -64) {
		r->seq_seen |= 1ull << -d;
	}
}

static int16_t rx_decode(const struct rtp_rx *r, uint8_t code)
{
	return r->pt == RTP_PT_PCMU ? ulaw_to_linear(code) : alaw_to_linear(code);
}

int rtp_rx_put(struct rtp_rx *r, const uint8_t *pkt, size_t len)
{
	struct rtp_packet p;
	int n, d, from;

	if (rtp_packet_parse(pkt, len, &p) < 0) {
		r->bad++;
		return -1;
	}
	if (p.pt != r->pt) {
		/* comfort noise and DTMF events are legitimate, just of no use to a modem */
		if (p.pt == RTP_PT_CN || p.pt == RTP_PT_CN_OLD || p.pt >= RTP_PT_DYNAMIC) {
			r->ignored++;
			return 0;
		}
		r->bad++;
		return -1;
	}
	if (p.payload_len == 0 || p.payload_len > RTP_MAX_SAMPLES) {
		r->bad++;
		return -1;
	}
	n = (int)p.payload_len;

	if (!r->started) {
		rx_anchor(r, &p);
	} else if (p.ssrc != r->ssrc) {
		/* a second source talking over the first is dropped; one that follows it is taken */
		if (r->idle < RTP_SSRC_GAP) {
			r->bad++;
			return -1;
		}
		r->resyncs++;
		rx_anchor(r, &p);
	} else if (seq_seen(r, p.seq)) {
		r->duplicates++;
		return -1;
	}

	d = (int)(int32_t)(p.ts - r->play_ts);
	if (d < -RTP_JB_SAMPLES || d > RTP_JB_SAMPLES - n) {
		/* far outside the buffer: a jump if it goes on or the stream had stopped, else noise */
		if (r->idle < RTP_SSRC_GAP && ++r->strays < RTP_STRAYS) {
			r->bad++;
			return -1;
		}
		r->resyncs++;
		rx_anchor(r, &p);
		d = r->delay;
	} else if (d + n <= 0) {
		/* late; many in a row mean the timestamps went back (or a long stall) */
		if (r->idle < RTP_SSRC_GAP && ++r->late_run < RTP_LATE_RUN) {
			seq_mark(r, p.seq);
			r->late++;
			return -1;
		}
		r->resyncs++;
		rx_anchor(r, &p);
		d = r->delay;
	}

	/* a packet partly late: the samples whose turn has passed are dropped */
	from = d < 0 ? -d : 0;
	for (int i = from; i < n; i++) {
		int at = (r->play_idx + d + i) % RTP_JB_SAMPLES;

		r->ring[at] = rx_decode(r, p.payload[i]);
		have_set(r, at);
	}
	if ((int32_t)(p.ts + (uint32_t)n - r->newest) > 0)
		r->newest = p.ts + (uint32_t)n;
	seq_mark(r, p.seq);
	r->packets++;
	r->idle = 0;
	r->strays = r->late_run = 0;
	return 0;
}

/* Drop count samples at the play position (their bits cleared: the ring slots are free again). */
static void rx_advance(struct rtp_rx *r, int count)
{
	for (int i = 0; i < count; i++)
		have_clear(r, (r->play_idx + i) % RTP_JB_SAMPLES);
	r->play_idx = (r->play_idx + count) % RTP_JB_SAMPLES;
	r->play_ts += (uint32_t)count;
}

/* Keep hist: the last RTP_PLC_HISTORY samples played, given out[0..n) was just played. */
static void hist_push(int16_t *hist, const int16_t *out, int n)
{
	int take = n < RTP_PLC_HISTORY ? n : RTP_PLC_HISTORY;

	memmove(hist, hist + take, (size_t)(RTP_PLC_HISTORY - take) * sizeof(*hist));
	memcpy(hist + RTP_PLC_HISTORY - take, out + n - take, (size_t)take * sizeof(*hist));
}

/* A loss begins at out[i]: give the concealer its whole history in one piece (see above). */
static void plc_prepare(struct rtp_rx *r, const int16_t *out, int i)
{
	int16_t h[RTP_PLC_HISTORY];

	memcpy(h, r->hist, sizeof(h));
	hist_push(h, out, i);
	plc_rx(r->plc, h, RTP_PLC_HISTORY);
}

void rtp_rx_get(struct rtp_rx *r, int16_t *out, int n)
{
	int ahead, i = 0;

	if (n <= 0)
		return;
	if (!r->started) {
		memset(out, 0, (size_t)n * sizeof(*out));
		return;
	}
	ahead = (int)(int32_t)(r->newest - r->play_ts);
	if (ahead > RTP_JB_SAMPLES) {
		/* only after days without a packet: newest is from another era */
		r->newest = r->play_ts;
	} else if (ahead > r->delay + RTP_MAX_EXCESS) {
		/* the far end's clock runs fast, or a burst came after a stall: back to the delay */
		rx_advance(r, ahead - r->delay);
		r->resyncs++;
	}
	while (i < n) {
		bool present = have_test(r, r->play_idx);
		int max = n - i, run = 1;

		if (max > RTP_JB_SAMPLES - r->play_idx)
			max = RTP_JB_SAMPLES - r->play_idx;
		while (run < max && have_test(r, r->play_idx + run) == present)
			run++;
		if (present) {
			memcpy(out + i, r->ring + r->play_idx, (size_t)run * sizeof(*out));
			plc_rx(r->plc, out + i, run);
			r->primed = true;
			r->concealing = false;
		} else if (r->primed) {
			if (!r->concealing && run < PLC_PITCH_OVERLAP_MAX) {
				int16_t scratch[PLC_PITCH_OVERLAP_MAX];

				plc_prepare(r, out, i);
				plc_fillin(r->plc, scratch, run);
				memcpy(out + i, scratch, (size_t)run * sizeof(*out));
			} else {
				if (!r->concealing)
					plc_prepare(r, out, i);
				plc_fillin(r->plc, out + i, run);
			}
			r->concealed += (unsigned long)run;
			r->concealing = true;
		} else {
			memset(out + i, 0, (size_t)run * sizeof(*out));
		}
		rx_advance(r, run);
		i += run;
	}
	hist_push(r->hist, out, n);
	r->idle = r->idle > UINT32_MAX - (uint32_t)n ? UINT32_MAX : r->idle + (uint32_t)n;
	/* nothing can be left once the stream has been silent longer than the buffer: it stopped */
	if (r->idle > RTP_JB_SAMPLES)
		r->primed = false;
	r->concealed_blocks = r->concealed / 80;
}
