/*
 * udptl.c - UDPTL datagrams (ITU-T T.38 clause 9.1): building them with redundancy, reading them
 * back in order.
 *
 * The datagram is the ASN.1 UDPTLPacket in aligned PER, octet-aligned as every implementation in
 * the field writes it:
 *
 *   seq-number           2 octets, big-endian
 *   primary-ifp-packet   open type: length determinant, then the IFP octets
 *   error-recovery       1 octet: top bit 0 = secondary-ifp-packets, 1 = fec-info
 *     secondary          length determinant (entries), then per entry a length determinant and
 *                        the octets; the newest (seq - 1) comes first
 *     fec-info           fec-npackets (an unconstrained INTEGER: length determinant + octets),
 *                        then a count of fec-data entries, each a length determinant + octets
 *
 * A length determinant is one octet below 128, two octets (10xxxxxx xxxxxxxx) below 16384; the
 * fragmented form (11xxxxxx) is never needed at these sizes and is refused. The datagram is
 * hostile input: every length is checked against the octets left before it is used, and nothing
 * read is kept beyond what fits the fixed buffers of struct udptl_rx.
 */
#include "t38/udptl.h"

#include <string.h>

/*
 * A sequence number this far behind the next one expected cannot be a late or repeated packet
 * (T.38 sends at most a few dozen packets a second): the far end started its numbering over.
 * The same distance ahead is a jump, not a loss worth counting packet by packet.
 */
#define UDPTL_RX_RESYNC 1000

/* ---- length determinants ---- */

static size_t udptl_len_size(int n)
{
	return n < 0x80 ? 1 : 2;
}

static size_t udptl_put_len(uint8_t *p, int n)
{
	if (n < 0x80) {
		p[0] = (uint8_t)n;
		return 1;
	}
	p[0] = (uint8_t)(0x80 | (n >> 8));
	p[1] = (uint8_t)n;
	return 2;
}

/* A length determinant at *pos; -1 when it is truncated or fragmented. */
static int udptl_get_len(const uint8_t *d, size_t len, size_t *pos, size_t *out)
{
	if (*pos >= len)
		return -1;
	if ((d[*pos] & 0x80) == 0) {
		*out = d[(*pos)++];
		return 0;
	}
	if ((d[*pos] & 0x40) != 0 || *pos + 1 >= len)
		return -1;
	*out = ((size_t)(d[*pos] & 0x3f) << 8) | d[*pos + 1];
	*pos += 2;
	return 0;
}

/* A length determinant and that many octets after it, all within the datagram. */
static int udptl_get_field(const uint8_t *d, size_t len, size_t *pos, const uint8_t **field, size_t *flen)
{
	if (udptl_get_len(d, len, pos, flen) < 0 || *flen > len - *pos)
		return -1;
	*field = d + *pos;
	*pos += *flen;
	return 0;
}

/* ---- sending ---- */

void udptl_tx_init(struct udptl_tx *t, int depth, int max_datagram)
{
	memset(t, 0, sizeof(*t));
	t->depth = depth < 0 ? 0 : depth > UDPTL_MAX_DEPTH ? UDPTL_MAX_DEPTH : depth;
	t->max_datagram = max_datagram;
}

int udptl_tx_build(struct udptl_tx *t, const uint8_t *ifp, int ifp_len, uint8_t *out, size_t outsize)
{
	size_t limit = UDPTL_MAX_DATAGRAM, size, pos = 0;
	int n = 0, slot;

	if (t->max_datagram > 0 && (size_t)t->max_datagram < limit)
		limit = (size_t)t->max_datagram;
	if (outsize < limit)
		limit = outsize;
	if (ifp == NULL || ifp_len < 1 || ifp_len > UDPTL_MAX_IFP)
		return -1;
	/* the earlier packets there are: none before the first datagram */
	while (n < t->depth && t->hist_len[(uint16_t)(t->seq - 1 - n) % UDPTL_MAX_DEPTH] > 0)
		n++;
	for (;; n--) {
		size = 2 + udptl_len_size(ifp_len) + (size_t)ifp_len + 1 + udptl_len_size(n);
		for (int i = 0; i < n; i++) {
			int hl = t->hist_len[(uint16_t)(t->seq - 1 - i) % UDPTL_MAX_DEPTH];
			size += udptl_len_size(hl) + (size_t)hl;
		}
		if (size <= limit)
			break;
		if (n == 0)
			return -1;
	}
	out[pos++] = (uint8_t)(t->seq >> 8);
	out[pos++] = (uint8_t)t->seq;
	pos += udptl_put_len(out + pos, ifp_len);
	memcpy(out + pos, ifp, (size_t)ifp_len);
	pos += (size_t)ifp_len;
	out[pos++] = 0x00; /* error-recovery: secondary-ifp-packets */
	pos += udptl_put_len(out + pos, n);
	for (int i = 0; i < n; i++) {
		slot = (uint16_t)(t->seq - 1 - i) % UDPTL_MAX_DEPTH;
		pos += udptl_put_len(out + pos, t->hist_len[slot]);
		memcpy(out + pos, t->hist[slot], (size_t)t->hist_len[slot]);
		pos += (size_t)t->hist_len[slot];
	}
	slot = t->seq % UDPTL_MAX_DEPTH;
	memcpy(t->hist[slot], ifp, (size_t)ifp_len);
	t->hist_len[slot] = ifp_len;
	t->seq++;
	return (int)pos;
}

/* ---- reading ---- */

/* One datagram taken apart; the secondary packets that could matter, newest first. */
struct udptl_parsed {
	uint16_t seq;
	const uint8_t *primary;
	size_t primary_len;
	int nsec;
	const uint8_t *sec[UDPTL_RX_WINDOW - 1];
	size_t sec_len[UDPTL_RX_WINDOW - 1];
};

static int udptl_parse_fec(const uint8_t *d, size_t len, size_t *pos)
{
	const uint8_t *f;
	size_t flen, count;

	/* fec-npackets: a small integer in a few octets */
	if (udptl_get_field(d, len, pos, &f, &flen) < 0 || flen < 1 || flen > 4)
		return -1;
	if (udptl_get_len(d, len, pos, &count) < 0)
		return -1;
	/* parity we do not use; each entry costs at least its length octet, so count is bounded */
	for (size_t i = 0; i < count; i++)
		if (udptl_get_field(d, len, pos, &f, &flen) < 0)
			return -1;
	return 0;
}

static int udptl_parse(const uint8_t *d, size_t len, struct udptl_parsed *p)
{
	size_t pos = 2, count;

	if (len < 5 || len > UDPTL_MAX_DATAGRAM)
		return -1;
	p->seq = (uint16_t)(d[0] << 8 | d[1]);
	if (udptl_get_field(d, len, &pos, &p->primary, &p->primary_len) < 0)
		return -1;
	if (p->primary_len < 1 || p->primary_len > UDPTL_MAX_IFP || pos >= len)
		return -1;
	p->nsec = 0;
	if (d[pos++] & 0x80)
		return udptl_parse_fec(d, len, &pos);
	if (udptl_get_len(d, len, &pos, &count) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		const uint8_t *f;
		size_t flen;

		if (udptl_get_field(d, len, &pos, &f, &flen) < 0)
			return -1;
		if (i < UDPTL_RX_WINDOW - 1) {
			p->sec[i] = f;
			p->sec_len[i] = flen;
			p->nsec++;
		}
	}
	/* Octets after the last field are tolerated: nothing reads them. */
	return 0;
}

void udptl_rx_init(struct udptl_rx *r)
{
	memset(r, 0, sizeof(*r));
}

static bool udptl_usable(size_t len)
{
	return len >= 1 && len <= UDPTL_MAX_IFP;
}

/*
 * Start (or start over) at a datagram: its redundancy reaches back to packets before it, which
 * may be the start of the stream we missed, so the window opens at the oldest one it carries.
 */
static void udptl_rx_restart(struct udptl_rx *r, const struct udptl_parsed *p)
{
	int back = 0;

	r->lost += (unsigned long)r->held;
	memset(r->have, 0, sizeof(r->have));
	r->held = 0;
	while (back < p->nsec && udptl_usable(p->sec_len[back]))
		back++;
	r->next = (uint16_t)(p->seq - back);
	r->started = true;
}

/*
 * Move the window on to start at target, giving up the packets missing on the way; a packet held
 * on the way stops it (it comes out first, and the window moves on with the next datagram).
 */
static void udptl_rx_advance(struct udptl_rx *r, uint16_t target)
{
	while (r->next != target && !r->have[r->next % UDPTL_RX_WINDOW]) {
		r->next++;
		r->lost++;
	}
}

static void udptl_rx_store(struct udptl_rx *r, uint16_t seq, const uint8_t *ifp, size_t len, bool secondary)
{
	uint16_t ahead = (uint16_t)(seq - r->next);
	int slot = seq % UDPTL_RX_WINDOW;

	if (ahead >= UDPTL_RX_WINDOW) {
		/* behind: handed out or given up already; beyond: no room (redundancy may bring it back) */
		if (!secondary && ahead >= 0x8000)
			r->duplicates++;
		return;
	}
	if (r->have[slot]) {
		if (!secondary)
			r->duplicates++;
		return;
	}
	if (!udptl_usable(len))
		return;
	memcpy(r->buf[slot], ifp, len);
	r->len[slot] = (int)len;
	r->have[slot] = true;
	r->have_seq[slot] = seq;
	r->held++;
	if (secondary)
		r->recovered++;
}

int udptl_rx_put(struct udptl_rx *r, const uint8_t *dgram, size_t len)
{
	struct udptl_parsed p;
	uint16_t ahead;

	if (dgram == NULL || udptl_parse(dgram, len, &p) < 0) {
		r->bad++;
		return -1;
	}
	r->datagrams++;
	if (!r->started)
		udptl_rx_restart(r, &p);
	ahead = (uint16_t)(p.seq - r->next);
	if (ahead >= 0x8000 && 0x10000 - ahead > UDPTL_RX_RESYNC) {
		udptl_rx_restart(r, &p);
	} else if (ahead >= 0x8000) {
		r->duplicates++; /* late, or a copy of one handed out already */
		return 0;
	} else if (ahead > UDPTL_RX_RESYNC) {
		udptl_rx_restart(r, &p);
	} else if (ahead >= UDPTL_RX_WINDOW) {
		/* the window is full past a gap no redundancy filled: give the gap up */
		udptl_rx_advance(r, (uint16_t)(p.seq - UDPTL_RX_WINDOW + 1));
	}
	udptl_rx_store(r, p.seq, p.primary, p.primary_len, false);
	for (int i = 0; i < p.nsec; i++)
		udptl_rx_store(r, (uint16_t)(p.seq - 1 - i), p.sec[i], p.sec_len[i], true);
	return 0;
}

int udptl_rx_get(struct udptl_rx *r, uint8_t *ifp, size_t ifpsize, int *len, uint16_t *seq)
{
	while (r->started && r->held > 0) {
		int slot = r->next % UDPTL_RX_WINDOW;

		if (!r->have[slot])
			return 0;
		r->have[slot] = false;
		r->held--;
		if (ifp == NULL || ifpsize < (size_t)r->len[slot]) {
			/* the caller's buffer is smaller than promised: the packet cannot be handed out */
			r->next++;
			r->lost++;
			continue;
		}
		memcpy(ifp, r->buf[slot], (size_t)r->len[slot]);
		*len = r->len[slot];
		*seq = r->next++;
		return 1;
	}
	return 0;
}

int udptl_rx_held(const struct udptl_rx *r)
{
	return r->held;
}

int udptl_rx_give_up(struct udptl_rx *r)
{
	unsigned long before = r->lost;

	if (r->held > 0)
		udptl_rx_advance(r, (uint16_t)(r->next + UDPTL_RX_WINDOW));
	return (int)(r->lost - before);
}
