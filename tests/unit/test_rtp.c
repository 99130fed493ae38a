/*
 * test_rtp.c - G.711 over RTP: packets built by the sender read back exactly through the jitter
 * buffer; reordering within the delay changes nothing; losses are concealed (not silence) and
 * counted; duplicates, late packets, a second SSRC, timestamp jumps and damaged datagrams are
 * each dropped or resynced as rtp.h says, and rtp_rx_get always gives exactly what it is asked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>
#include <spandsp.h>

#include "rtp/rtp.h"

#define N      160 /* samples per packet */
#define DELAY  60  /* ms */
#define DSAMP  (DELAY * 8)
#define PKTS   64
#define SIGLEN (PKTS * N)

static int16_t sig[SIGLEN];   /* what the far end says */
static int16_t heard[SIGLEN]; /* the same through G.711 A-law */

static void make_signal(void)
{
	for (int i = 0; i < SIGLEN; i++) {
		sig[i] = (int16_t)(6000 * sin(2 * M_PI * 1000 * i / 8000.0) +
		                   2000 * sin(2 * M_PI * 1700 * i / 8000.0));
		heard[i] = alaw_to_linear(linear_to_alaw(sig[i]));
	}
}

/* One packet by hand: every header field under the test's control. */
static size_t build(uint8_t *out, int pt, uint16_t seq, uint32_t ts, uint32_t ssrc, const int16_t *s, int n)
{
	out[0] = 0x80;
	out[1] = (uint8_t)pt;
	out[2] = (uint8_t)(seq >> 8);
	out[3] = (uint8_t)seq;
	out[4] = (uint8_t)(ts >> 24);
	out[5] = (uint8_t)(ts >> 16);
	out[6] = (uint8_t)(ts >> 8);
	out[7] = (uint8_t)ts;
	out[8] = (uint8_t)(ssrc >> 24);
	out[9] = (uint8_t)(ssrc >> 16);
	out[10] = (uint8_t)(ssrc >> 8);
	out[11] = (uint8_t)ssrc;
	for (int i = 0; i < n; i++)
		out[12 + i] = pt == RTP_PT_PCMU ? linear_to_ulaw(s[i]) : linear_to_alaw(s[i]);
	return 12 + (size_t)n;
}

#define SEQ0  65500u      /* wraps during the tests */
#define TS0   4294966000u /* so does the timestamp */
#define SSRC0 0x12345678u

/* Packet k of the test stream (A-law, 160 samples of sig from k * 160). */
static int put_k(struct rtp_rx *r, int k)
{
	uint8_t p[RTP_MAX_PACKET];
	size_t len =
	    build(p, RTP_PT_PCMA, (uint16_t)(SEQ0 + k), TS0 + (uint32_t)(k * N), SSRC0, sig + k * N, N);

	return rtp_rx_put(r, p, len);
}

static double rms(const int16_t *s, int n)
{
	double sum = 0;

	for (int i = 0; i < n; i++)
		sum += (double)s[i] * s[i];
	return sqrt(sum / n);
}

static bool all_zero(const int16_t *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i])
			return false;
	return true;
}

static int setup(void **state)
{
	(void)state;
	make_signal();
	return 0;
}

static void test_tx_header(void **state)
{
	struct rtp_tx t, t2;
	uint8_t p[RTP_MAX_PACKET];
	int16_t s[N];

	(void)state;
	memcpy(s, sig, sizeof(s));
	rtp_tx_init(&t, RTP_PT_PCMU);
	rtp_tx_init(&t2, RTP_PT_PCMU);
	assert_int_not_equal(t.ssrc, t2.ssrc); /* random: equal once in 2^32 */
	uint16_t seq = t.seq;
	uint32_t ts = t.ts;

	for (int k = 0; k < 3; k++) {
		assert_int_equal(rtp_tx_build(&t, s, N, p, sizeof(p)), RTP_HEADER + N);
		assert_int_equal(p[0], 0x80);
		assert_int_equal(p[1] & 0x7f, RTP_PT_PCMU);
		assert_int_equal(!!(p[1] & 0x80), k == 0); /* marker on the first only */
		assert_int_equal((p[2] << 8 | p[3]), (uint16_t)(seq + k));
		assert_int_equal((uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7],
		                 ts + (uint32_t)(k * N));
		assert_int_equal((uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11],
		                 t.ssrc);
		for (int i = 0; i < N; i++)
			assert_int_equal(p[12 + i], linear_to_ulaw(s[i]));
	}
	assert_int_equal(t.packets, 3);
	assert_int_equal(rtp_tx_build(&t, s, 0, p, sizeof(p)), -1);
	assert_int_equal(rtp_tx_build(&t, s, RTP_MAX_SAMPLES + 1, p, sizeof(p) + RTP_MAX_SAMPLES), -1);
	assert_int_equal(rtp_tx_build(&t, s, N, p, RTP_HEADER + N - 1), -1);
	assert_int_equal(t.packets, 3);
	rtp_tx_init(&t, RTP_PT_PCMA);
	assert_int_equal(rtp_tx_build(&t, s, 1, p, RTP_HEADER + 1), RTP_HEADER + 1);
	assert_int_equal(p[1], 0x80 | RTP_PT_PCMA);
	assert_int_equal(p[12], linear_to_alaw(s[0]));
}

/* Sender to receiver, one packet per tick: silence for the delay, then exactly what was sent. */
static void test_round_trip(void **state)
{
	struct rtp_tx t;
	struct rtp_rx r;
	uint8_t p[RTP_MAX_PACKET];
	static int16_t out[SIGLEN];

	(void)state;
	for (int law = 0; law < 2; law++) {
		int pt = law ? RTP_PT_PCMU : RTP_PT_PCMA;

		rtp_tx_init(&t, pt);
		rtp_rx_init(&r, pt, DELAY);
		int16_t first[N];

		rtp_rx_get(&r, first, N); /* before any packet: silence, nothing started */
		assert_true(all_zero(first, N));
		assert_false(r.started);
		for (int k = 0; k < PKTS; k++) {
			int len = rtp_tx_build(&t, sig + k * N, N, p, sizeof(p));

			assert_int_equal(rtp_rx_put(&r, p, (size_t)len), 0);
			rtp_rx_get(&r, out + k * N, N);
		}
		assert_true(all_zero(out, DSAMP));
		for (int i = DSAMP; i < SIGLEN; i++) {
			int16_t want = law ? ulaw_to_linear(linear_to_ulaw(sig[i - DSAMP]))
			                   : alaw_to_linear(linear_to_alaw(sig[i - DSAMP]));

			assert_int_equal(out[i], want);
		}
		assert_int_equal(r.packets, PKTS);
		assert_int_equal(r.bad + r.late + r.duplicates + r.concealed + r.resyncs, 0);
		rtp_rx_free(&r);
	}
}

/* Reference: the test stream in order, one packet per tick. */
static void expect_in_order(int16_t *out, int offset)
{
	for (int i = 0; i < SIGLEN; i++)
		out[i] = i >= offset ? heard[i - offset] : 0;
}

static void test_reorder(void **state)
{
	struct rtp_rx r;
	static int16_t out[SIGLEN], want[SIGLEN];

	(void)state;
	rtp_rx_init(&r, RTP_PT_PCMA, DELAY);
	/* pairs swapped: 1 0 3 2 5 4 ... the timing anchors on packet 1 */
	for (int k = 0; k < PKTS; k++) {
		assert_int_equal(put_k(&r, k ^ 1), 0);
		rtp_rx_get(&r, out + k * N, N);
	}
	expect_in_order(want, DSAMP - N);
	assert_memory_equal(out, want, sizeof(out));
	assert_int_equal(r.packets, PKTS);
	assert_int_equal(r.late + r.concealed + r.bad, 0);
	rtp_rx_free(&r);

	/* a packet two ticks behind its neighbours, still within the 60 ms delay */
	rtp_rx_init(&r, RTP_PT_PCMA, DELAY);
	for (int k = 0; k < PKTS; k++) {
		if (k != 20)
			assert_int_equal(put_k(&r, k), 0);
		if (k == 21)
			assert_int_equal(put_k(&r, 20), 0);
		rtp_rx_get(&r, out + k * N, N);
	}
	expect_in_order(want, DSAMP);
	assert_memory_equal(out, want, sizeof(out));
	assert_int_equal(r.late + r.concealed, 0);
	rtp_rx_free(&r);
}

static void test_loss_concealed(void **state)
{
	struct rtp_rx r;
	static int16_t out[SIGLEN], want[SIGLEN];
	int gap;

	(void)state;
	rtp_rx_init(&r, RTP_PT_PCMA, DELAY);
	for (int k = 0; k < PKTS; k++) {
		if (k != 30)
			assert_int_equal(put_k(&r, k), 0);
		rtp_rx_get(&r, out + k * N, N);
	}
	expect_in_order(want, DSAMP);
	gap = DSAMP + 30 * N;
	/* everything before the loss exact */
	assert_memory_equal(out, want, (size_t)gap * sizeof(out[0]));
	/* the loss filled with something like the signal, not silence */
	assert_true(rms(out + gap, N) > 0.3 * rms(heard + 30 * N, N));
	assert_int_equal(r.concealed, N);
	assert_int_equal(r.concealed_blocks, 2);
	assert_int_equal(r.packets, PKTS - 1);
	/* after a short overlap the real signal again */
	assert_memory_equal(out + gap + N + 40, want + gap + N + 40,
	                    (size_t)(SIGLEN - gap - N - 40) * sizeof(out[0]));
	rtp_rx_free(&r);
}

/*
 * A loss that begins in the last few samples asked for: spandsp's concealer writes a quarter
 * pitch period at the start of a loss whatever length it is given; nothing past n may change.
 */
static void test_loss_short_block(void **state)
{
	struct rtp_rx r;
	int16_t out[N + 5 + 64];

	(void)state;
	rtp_rx_init(&r, RTP_PT_PCMA, 20);
	for (int k = 0; k < 8; k++) {
		put_k(&r, k);
		rtp_rx_get(&r, out, N);
	}
	/* packet 8 lost: take the rest of packet 7 and the first 5 samples of the loss */
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++)
		out[i] = 0x2222;
	rtp_rx_get(&r, out, N + 5);
	assert_memory_equal(out, heard + 7 * N, N * sizeof(out[0]));
	for (size_t i = N + 5; i < sizeof(out) / sizeof(out[0]); i++)
		assert_int_equal(out[i], 0x2222);
	assert_int_equal(r.concealed, 5);
	/* and the loss goes on from there */
	rtp_rx_get(&r, out, N);
	assert_int_equal(r.concealed, 5 + N);
	assert_true(rms(out, N / 2) > 1000);
	rtp_rx_free(&r);
}

static void test_duplicates(void **state)
{
	struct rtp_rx r;
	static int16_t out[SIGLEN], want[SIGLEN];

	(void)state;
	rtp_rx_init(&r, RTP_PT_PCMA, DELAY);
	for (int k = 0; k < PKTS; k++) {
		assert_int_equal(put_k(&r, k), 0);
		assert_int_equal(put_k(&r, k), -1);
		if (k >= 2)
			assert_int_equal(put_k(&r, k - 2), -1); /* an older one again */
		rtp_rx_get(&r, out + k * N, N);
	}
	expect_in_order(want, DSAMP);
	assert_memory_equal(out, want, sizeof(out));
	assert_int_equal(r.packets, PKTS);
	assert_int_equal(r.duplicates, PKTS + PKTS - 2);
	assert_int_equal(r.late + r.concealed, 0);
	rtp_rx_free(&r);
}

static void test_late(void **state)
{
	struct rtp_rx r;
	static int16_t out[SIGLEN];

	(void)state;
	rtp_rx_init(&r, RTP_PT_PCMA, DELAY);
	for (int k = 0; k < PKTS; k++) {
		if (k != 10)
			assert_int_equal(put_k(&r, k), 0);
		if (k == 10 + DELAY / 20 + 1)
			assert_int_equal(put_k(&r, 10), -1); /* its turn has passed */
		rtp_rx_get(&r, out + k * N, N);
	}
	assert_int_equal(r.late, 1);
	assert_int_equal(r.concealed, N);
	assert_int_equal(r.resyncs, 0);
	assert_int_equal(r.packets, PKTS - 1);
	/* the packets after it still exact */
	assert_memory_equal(out + DSAMP + 20 * N, heard + 20 * N,
	                    (size_t)(SIGLEN - DSAMP - 20 * N) * sizeof(out[0]));
	rtp_rx_free(&r);
}

static void test_ssrc_change(void **state)
{
	struct rtp_rx r;
	uint8_t p[RTP_MAX_PACKET];
	static int16_t out[SIGLEN];
	const uint32_t tsb = 777777;
	size_t len;
	int k, tick = 0;

	(void)state;
	rtp_rx_init(&r, RTP_PT_PCMA, DELAY);
	for (k = 0; k < 20; k++, tick++) {
		assert_int_equal(put_k(&r, k), 0);
		if (k == 10) {
			/* another source talking over the locked one: dropped */
			len = build(p, RTP_PT_PCMA, 5, tsb, 0xabcdef, sig, N);
			assert_int_equal(rtp_rx_put(&r, p, len), -1);
			assert_int_equal(r.bad, 1);
		}
		rtp_rx_get(&r, out + tick * N, N);
	}
	/* the first stream stops; 100 ms later the new one is taken */
	for (int i = 0; i < 5; i++, tick++)
		rtp_rx_get(&r, out + tick * N, N);
	for (k = 0; k < 30; k++, tick++) {
		len = build(p, RTP_PT_PCMA, (uint16_t)(9 + k), tsb + (uint32_t)(k * N), 0xabcdef, sig + k * N,
		            N);
		assert_int_equal(rtp_rx_put(&r, p, len), 0);
		rtp_rx_get(&r, out + tick * N, N);
	}
	assert_int_equal(r.resyncs, 1);
	assert_int_equal(r.ssrc, 0xabcdef);
	assert_int_equal(r.packets, 50);
	/* the new stream heard from its first packet, delay samples after it came (after a short overlap) */
	int start = 25 * N + DSAMP;

	assert_memory_equal(out + start + 40, heard + 40, (size_t)(tick * N - start - 40) * sizeof(out[0]));
	rtp_rx_free(&r);
}

static void test_timestamp_jump(void **state)
{
	struct rtp_rx r;
	uint8_t p[RTP_MAX_PACKET];
	static int16_t out[SIGLEN];
	size_t len;

	(void)state;
	for (int back = 0; back < 2; back++) {
		/* forward a long way, or back by less than the buffer (looks late) */
		uint32_t jump = back ? (uint32_t)-3000 : 1000000u;
		int dropped = back ? 3 : 1, after;

		rtp_rx_init(&r, RTP_PT_PCMA, DELAY);
		for (int k = 0; k < PKTS; k++) {
			uint32_t ts = TS0 + (uint32_t)(k * N) + (k >= 20 ? jump : 0);

			len = build(p, RTP_PT_PCMA, (uint16_t)(SEQ0 + k), ts, SSRC0, sig + k * N, N);
			assert_int_equal(rtp_rx_put(&r, p, len), k >= 20 && k < 20 + dropped ? -1 : 0);
			rtp_rx_get(&r, out + k * N, N);
		}
		assert_int_equal(r.resyncs, 1);
		assert_int_equal(r.packets, PKTS - dropped);
		assert_int_equal(back ? r.late : r.bad, dropped);
		/* from the packet that resynced on, the signal again, at the delay */
		after = (20 + dropped) * N + DSAMP;
		assert_memory_equal(out + after + 40, heard + (20 + dropped) * N + 40,
		                    (size_t)(SIGLEN - after - 40) * sizeof(out[0]));
		rtp_rx_free(&r);
	}
}

static void test_exact_sizes(void **state)
{
	struct rtp_rx a, b;
	static int16_t oa[SIGLEN], ob[SIGLEN], want[SIGLEN];
	static const int sizes[] = {1, 7, 333, 13, 1000, 2, 159, 161};
	const int total = 10 * N + DSAMP;
	int at = 0;

	(void)state;
	rtp_rx_init(&a, RTP_PT_PCMA, DELAY);
	rtp_rx_init(&b, RTP_PT_PCMA, DELAY);
	for (int k = 0; k < 10; k++) {
		assert_int_equal(put_k(&a, k), 0);
		assert_int_equal(put_k(&b, k), 0);
	}
	rtp_rx_get(&a, oa, total); /* more than RTP_MAX_SAMPLES at once */
	for (int i = 0; at < total; i++) {
		int n = sizes[i % 8] < total - at ? sizes[i % 8] : total - at;

		rtp_rx_get(&b, ob + at, n);
		at += n;
	}
	rtp_rx_get(&b, ob, 0);
	expect_in_order(want, DSAMP);
	assert_memory_equal(oa, want, (size_t)total * sizeof(oa[0]));
	assert_memory_equal(ob, want, (size_t)total * sizeof(ob[0]));
	assert_int_equal(a.concealed + b.concealed, 0);
	rtp_rx_free(&a);
	rtp_rx_free(&b);
}

/* A burst far beyond the delay (after a stall) is trimmed back to the delay; memory stays bounded. */
static void test_burst_skip(void **state)
{
	struct rtp_rx r;
	int16_t out[N];
	int k, extra = 0;

	(void)state;
	rtp_rx_init(&r, RTP_PT_PCMA, DELAY);
	for (k = 0; k < 30; k++)
		if (put_k(&r, k) < 0)
			extra++;
	assert_int_equal(extra, 0);
	rtp_rx_get(&r, out, N);
	assert_int_equal(r.resyncs, 1);
	/* now playing DSAMP behind the newest sample */
	assert_memory_equal(out, heard + 30 * N - DSAMP, sizeof(out));
	/* a packet past the buffer's span is not stored */
	uint8_t p[RTP_MAX_PACKET];
	size_t len =
	    build(p, RTP_PT_PCMA, (uint16_t)(SEQ0 + 31), TS0 + (31 + RTP_JB_SLOTS + 10) * N, SSRC0, sig, N);

	assert_int_equal(rtp_rx_put(&r, p, len), -1);
	assert_int_equal(r.bad, 1);
	rtp_rx_free(&r);
}

static void test_stream_stops(void **state)
{
	struct rtp_rx r;
	static int16_t out[4 * SIGLEN];
	int ticks = 0;

	(void)state;
	rtp_rx_init(&r, RTP_PT_PCMA, 20);
	for (int k = 0; k < 10; k++, ticks++) {
		put_k(&r, k);
		rtp_rx_get(&r, out + ticks * N, N);
	}
	for (int i = 0; i < 150; i++, ticks++)
		rtp_rx_get(&r, out + ticks * N, N);
	/* concealed until the buffer's span passed, then plain silence, no longer counted */
	assert_true(r.concealed <= RTP_JB_SAMPLES + N);
	assert_false(r.primed);
	assert_true(all_zero(out + (ticks - 50) * N, 50 * N));
	unsigned long c = r.concealed;

	rtp_rx_get(&r, out, N);
	assert_int_equal(r.concealed, c);
	/* reset: the next packet starts afresh behind the delay */
	rtp_rx_reset(&r);
	assert_false(r.started);
	put_k(&r, 40);
	rtp_rx_get(&r, out, N);
	assert_true(all_zero(out, N));
	rtp_rx_get(&r, out, N);
	assert_memory_equal(out, heard + 40 * N, N * sizeof(out[0]));
	rtp_rx_free(&r);
}

static void test_hostile(void **state)
{
	struct rtp_rx r;
	uint8_t p[2048];
	size_t len;
	unsigned long bad = 0;
	int16_t out[N];

	(void)state;
	rtp_rx_init(&r, RTP_PT_PCMA, DELAY);
	len = build(p, RTP_PT_PCMA, 1, 1000, 42, sig, N);
	/* short */
	for (size_t l = 0; l < RTP_HEADER; l++) {
		assert_int_equal(rtp_rx_put(&r, p, l), -1);
		assert_int_equal(r.bad, ++bad);
	}
	/* header only: no payload */
	assert_int_equal(rtp_rx_put(&r, p, RTP_HEADER), -1);
	assert_int_equal(r.bad, ++bad);
	/* wrong versions */
	for (int v = 0; v < 4; v++) {
		if (v == 2)
			continue;
		p[0] = (uint8_t)(v << 6);
		assert_int_equal(rtp_rx_put(&r, p, len), -1);
		assert_int_equal(r.bad, ++bad);
	}
	/* CSRC count beyond the datagram: 15 CSRCs need 60 bytes */
	p[0] = 0x8f;
	assert_int_equal(rtp_rx_put(&r, p, RTP_HEADER + 59), -1);
	assert_int_equal(r.bad, ++bad);
	/* extension header cut off, and extension length beyond the datagram */
	p[0] = 0x90;
	assert_int_equal(rtp_rx_put(&r, p, RTP_HEADER + 3), -1);
	assert_int_equal(r.bad, ++bad);
	p[12] = 0xbe, p[13] = 0xde, p[14] = 0xff, p[15] = 0xff;
	assert_int_equal(rtp_rx_put(&r, p, len), -1);
	assert_int_equal(r.bad, ++bad);
	p[14] = 0, p[15] = (uint8_t)((len - RTP_HEADER - 4) / 4 + 1);
	assert_int_equal(rtp_rx_put(&r, p, len), -1);
	assert_int_equal(r.bad, ++bad);
	/* padding: zero count, count beyond the payload, count eating all of it */
	len = build(p, RTP_PT_PCMA, 1, 1000, 42, sig, N);
	p[0] = 0xa0;
	p[len - 1] = 0;
	assert_int_equal(rtp_rx_put(&r, p, len), -1);
	p[len - 1] = N + 1;
	assert_int_equal(rtp_rx_put(&r, p, len), -1);
	p[len - 1] = N;
	assert_int_equal(rtp_rx_put(&r, p, len), -1);
	bad += 3;
	assert_int_equal(r.bad, bad);
	/* too big a payload */
	len = build(p, RTP_PT_PCMA, 1, 1000, 42, sig, RTP_MAX_SAMPLES + 1);
	assert_int_equal(rtp_rx_put(&r, p, len), -1);
	assert_int_equal(r.bad, ++bad);
	/* the other law: refused; telephone-event and comfort noise: ignored quietly */
	len = build(p, RTP_PT_PCMU, 1, 1000, 42, sig, N);
	assert_int_equal(rtp_rx_put(&r, p, len), -1);
	assert_int_equal(r.bad, ++bad);
	p[1] = 101;
	assert_int_equal(rtp_rx_put(&r, p, 16), 0);
	p[1] = 13;
	assert_int_equal(rtp_rx_put(&r, p, 13), 0);
	assert_int_equal(r.ignored, 2);
	assert_int_equal(r.bad, bad);
	assert_false(r.started);
	assert_int_equal(r.packets, 0);

	/* a valid packet with 2 CSRCs, a 1-word extension and 3 octets of padding is read right */
	uint8_t q[RTP_MAX_PACKET];
	size_t plain = build(q, RTP_PT_PCMA, 1, 1000, 42, sig, N);

	memcpy(p, q, RTP_HEADER);
	p[0] = 0x80 | 0x20 | 0x10 | 2;
	memset(p + 12, 0x11, 8);                               /* CSRCs */
	memcpy(p + 20, "\xbe\xde\x00\x01\x01\x02\x03\x04", 8); /* extension */
	memcpy(p + 28, q + RTP_HEADER, plain - RTP_HEADER);
	len = 28 + plain - RTP_HEADER;
	memcpy(p + len, "\x00\x00\x03", 3);
	len += 3;
	assert_int_equal(rtp_rx_put(&r, p, len), 0);
	assert_int_equal(r.packets, 1);
	for (int i = 0; i < DSAMP / N; i++)
		rtp_rx_get(&r, out, N);
	rtp_rx_get(&r, out, N);
	assert_memory_equal(out, heard, sizeof(out));
	rtp_rx_free(&r);
}

/* Random datagrams: no crash, no read outside them (ASan), and a good stream still works after. */
static void test_fuzz(void **state)
{
	struct rtp_rx r;
	uint8_t p[700];
	int16_t out[N + 1];
	static int16_t all[SIGLEN], want[SIGLEN];

	(void)state;
	srandom(6);
	rtp_rx_init(&r, RTP_PT_PCMA, DELAY);
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)(random() % (long)sizeof(p));
		uint8_t *d = malloc(len ? len : 1); /* exact size: ASan sees any overread */

		for (size_t j = 0; j < len; j++)
			d[j] = (uint8_t)random();
		if (len && (i & 1))
			d[0] = (uint8_t)((d[0] & 0x3f) | 0x80);
		if (len > 1 && (i & 2))
			d[1] = RTP_PT_PCMA;
		rtp_rx_put(&r, d, len);
		free(d);
		if (i % 7 == 0) {
			/* odd sizes: losses and packets of any alignment start anywhere in a block */
			int n = 1 + (int)(random() % N);

			out[n] = 0x5555;
			rtp_rx_get(&r, out, n);
			assert_int_equal(out[n], 0x5555);
		}
		/* nothing written outside the ring (the settings sit before it) */
		assert_int_equal(r.pt, RTP_PT_PCMA);
		assert_int_equal(r.delay, DSAMP);
	}
	assert_true(r.bad > 1000);
	rtp_rx_reset(&r);
	for (int k = 0; k < PKTS; k++) {
		assert_int_equal(put_k(&r, k), 0);
		rtp_rx_get(&r, all + k * N, N);
	}
	expect_in_order(want, DSAMP);
	/* after a reset the PLC has no history: exact from the first packet on */
	assert_memory_equal(all, want, sizeof(all));
	rtp_rx_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tx_header),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_reorder),
	    cmocka_unit_test(test_loss_concealed),
	    cmocka_unit_test(test_loss_short_block),
	    cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_late),
	    cmocka_unit_test(test_ssrc_change),
	    cmocka_unit_test(test_timestamp_jump),
	    cmocka_unit_test(test_exact_sizes),
	    cmocka_unit_test(test_burst_skip),
	    cmocka_unit_test(test_stream_stops),
	    cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
