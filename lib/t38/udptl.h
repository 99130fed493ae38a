/*
 * udptl.h - UDPTL (ITU-T T.38 annex: the UDP transport of T.38 IFP packets), with redundancy.
 *
 * spandsp's T.38 terminal speaks IFP packets only; carrying them over UDP is ours. Each UDPTL
 * datagram holds a 16-bit sequence number, the primary IFP packet, and as error recovery either
 * the previous IFP packets again (redundancy) or FEC parity. We send redundancy; we read both
 * kinds, recovering lost packets from redundancy (FEC is parsed and its parity ignored).
 *
 * The sender side turns one IFP packet into one datagram, carrying as many earlier packets as
 * fit in the far end's T38FaxMaxDatagram (and at most the configured depth). The receiver side
 * takes datagrams in any order, drops duplicates and stale ones, and hands back IFP packets in
 * sequence order, each once, recovering a gap from the redundancy of a later datagram; a gap that
 * cannot be recovered is skipped (spandsp is told through the sequence number it is given).
 *
 * Every datagram is hostile input: lengths are checked against the datagram, nothing is trusted.
 */
#ifndef FAXGATE_T38_UDPTL_H
#define FAXGATE_T38_UDPTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UDPTL_MAX_IFP      512  /* largest IFP packet carried (spandsp's are far smaller) */
#define UDPTL_MAX_DATAGRAM 1400 /* largest datagram built or read */
#define UDPTL_MAX_DEPTH    8    /* most earlier packets carried as redundancy */

struct udptl_tx {
	uint16_t seq;     /* sequence number of the next datagram */
	int depth;        /* redundancy depth: earlier packets carried (0..UDPTL_MAX_DEPTH) */
	int max_datagram; /* the far end's T38FaxMaxDatagram (bytes of UDP payload), 0: UDPTL_MAX_DATAGRAM */
	/* the last UDPTL_MAX_DEPTH IFP packets sent, newest at hist[(seq - 1) % UDPTL_MAX_DEPTH] */
	uint8_t hist[UDPTL_MAX_DEPTH][UDPTL_MAX_IFP];
	int hist_len[UDPTL_MAX_DEPTH];
};

void udptl_tx_init(struct udptl_tx *t, int depth, int max_datagram);
/*
 * Build the datagram for one IFP packet into out (outsize >= UDPTL_MAX_DATAGRAM): the length, or -1
 * when the packet itself does not fit (ifp_len > UDPTL_MAX_IFP or above max_datagram). Redundant
 * packets are left out, oldest first, until the datagram fits max_datagram.
 */
int udptl_tx_build(struct udptl_tx *t, const uint8_t *ifp, int ifp_len, uint8_t *out, size_t outsize);

#define UDPTL_RX_WINDOW 16 /* packets held while waiting for a gap to be filled */

struct udptl_rx {
	bool started;
	uint16_t next; /* sequence number of the next packet to hand out */
	/* packets received ahead of next, by seq % UDPTL_RX_WINDOW */
	bool have[UDPTL_RX_WINDOW];
	uint16_t have_seq[UDPTL_RX_WINDOW];
	uint8_t buf[UDPTL_RX_WINDOW][UDPTL_MAX_IFP];
	int len[UDPTL_RX_WINDOW];
	int held; /* packets in buf */
	/* counters */
	unsigned long datagrams, bad, recovered, lost, duplicates;
};

void udptl_rx_init(struct udptl_rx *r);
/* Take one received datagram; -1 (counted in bad) when it is not valid UDPTL. */
int udptl_rx_put(struct udptl_rx *r, const uint8_t *dgram, size_t len);
/*
 * The next IFP packet in order: 1 with the packet copied to ifp (ifpsize >= UDPTL_MAX_IFP), its
 * length in *len and its sequence number in *seq; 0 when the next one has not come yet. When the
 * window is full of packets after a gap that no redundancy filled, the gap is given up (counted
 * in lost) and the packets after it come out.
 */
int udptl_rx_get(struct udptl_rx *r, uint8_t *ifp, size_t ifpsize, int *len, uint16_t *seq);
/*
 * Packets held behind a gap (0: nothing waits). T.38 goes quiet while one side waits for the other,
 * so a gap near the end of a burst may never see the window fill: a caller with a clock gives the
 * gap up after a while with udptl_rx_give_up (counted in lost); the packets after it then come out.
 */
int udptl_rx_held(const struct udptl_rx *r);
/* Give up the gap before the held packets now; returns the packets given up (0: no gap). */
int udptl_rx_give_up(struct udptl_rx *r);

#endif
