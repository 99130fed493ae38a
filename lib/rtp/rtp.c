/*
 * rtp.c - RTP packets (RFC 3550) carrying G.711: the sender's side, and the reader that checks a
 * received datagram before the jitter buffer (jitter.c) looks at it.
 *
 * The sender starts its SSRC, sequence number and timestamp at random values (RFC 3550 5.1:
 * so that a restarted call is not mistaken for the old one, and known-plaintext is harder).
 * The reader trusts nothing in the datagram: the CSRC count, the extension length and the
 * padding count are each checked against the bytes actually there.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <spandsp.h>

#include "rtp/rtp.h"
#include "rtp/rtp_int.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void rtp_random(void *out, size_t len)
{
	ssize_t got;

	do
		got = getrandom(out, len, GRND_NONBLOCK);
	while (got < 0 && errno == EINTR);
	if (got != (ssize_t)len) {
		/* Only before the kernel's pool is ready: unpredictable enough to tell calls apart. */
		static unsigned counter;
		struct timespec now;
		uint64_t v;

		clock_gettime(CLOCK_MONOTONIC, &now);
		v = (uint64_t)now.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)now.tv_sec << 32 ^
		    (uint64_t)getpid() << 16 ^ __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
		memcpy(out, &v, len < sizeof(v) ? len : sizeof(v));
	}
}

void rtp_tx_init(struct rtp_tx *t, int pt)
{
	uint8_t r[10];

	memset(t, 0, sizeof(*t));
	t->pt = pt == RTP_PT_PCMU ? RTP_PT_PCMU : RTP_PT_PCMA;
	rtp_random(r, sizeof(r));
	t->ssrc = get32(r);
	t->seq = get16(r + 4);
	t->ts = get32(r + 6);
	t->marker = true;
}

int rtp_tx_build(struct rtp_tx *t, const int16_t *samples, int n, uint8_t *out, size_t outsize)
{
	if (n < 1 || n > RTP_MAX_SAMPLES || outsize < (size_t)(RTP_HEADER + n))
		return -1;
	out[0] = 0x80; /* version 2, no padding, no extension, no CSRCs */
	out[1] = (uint8_t)((t->marker ? 0x80 : 0) | t->pt);
	put16(out + 2, t->seq);
	put32(out + 4, t->ts);
	put32(out + 8, t->ssrc);
	for (int i = 0; i < n; i++)
		out[RTP_HEADER + i] =
		    t->pt == RTP_PT_PCMU ? linear_to_ulaw(samples[i]) : linear_to_alaw(samples[i]);
	t->seq++;
	t->ts += (uint32_t)n;
	t->marker = false;
	t->packets++;
	return RTP_HEADER + n;
}

int rtp_packet_parse(const uint8_t *pkt, size_t len, struct rtp_packet *p)
{
	size_t head, end;

	if (len < RTP_HEADER || (pkt[0] >> 6) != 2)
		return -1;
	head = RTP_HEADER + 4 * (size_t)(pkt[0] & 0x0f);
	if (head > len)
		return -1;
	if (pkt[0] & 0x10) {
		/* extension: 16 bits profile, 16 bits length in 32-bit words, then the words */
		if (head + 4 > len)
			return -1;
		head += 4 + 4 * (size_t)get16(pkt + head + 2);
		if (head > len)
			return -1;
	}
	end = len;
	if (pkt[0] & 0x20) {
		/* padding: the last octet counts the padding octets, itself included */
		size_t pad = pkt[len - 1];

		if (pad == 0 || pad > len - head)
			return -1;
		end -= pad;
	}
	p->pt = pkt[1] & 0x7f;
	p->seq = get16(pkt + 2);
	p->ts = get32(pkt + 4);
	p->ssrc = get32(pkt + 8);
	p->payload = pkt + head;
	p->payload_len = end - head;
	return 0;
}
