/*
 * test_udptl.c - UDPTL datagrams: the octets on the wire, redundancy both ways, a receiver that
 * puts packets back in order, and datagrams built to break it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "t38/udptl.h"

static uint32_t rng = 1;

static uint32_t rnd(void)
{
	rng = rng * 1664525u + 1013904223u;
	return rng >> 8;
}

/* The IFP packet number i of a test stream: its length and contents tell it apart. */
static int make_ifp(int i, uint8_t *ifp)
{
	int len = 1 + (i * 7) % 40;

	for (int k = 0; k < len; k++)
		ifp[k] = (uint8_t)(i * 31 + k);
	return len;
}

struct wire {
	uint8_t d[64][UDPTL_MAX_DATAGRAM];
	int len[64];
};

/* n datagrams of the test stream, built with the given depth. */
static void build_stream(struct wire *w, int n, int depth)
{
	struct udptl_tx tx;
	uint8_t ifp[UDPTL_MAX_IFP];

	udptl_tx_init(&tx, depth, 0);
	for (int i = 0; i < n; i++) {
		int len = make_ifp(i, ifp);
		w->len[i] = udptl_tx_build(&tx, ifp, len, w->d[i], sizeof(w->d[i]));
		assert_true(w->len[i] > 0);
	}
}

/* Everything the receiver hands out now must be the stream's packets *next, *next + 1, ... */
static int drain(struct udptl_rx *rx, int *next)
{
	uint8_t got[UDPTL_MAX_IFP], want[UDPTL_MAX_IFP];
	int len, n = 0;
	uint16_t seq;

	while (udptl_rx_get(rx, got, sizeof(got), &len, &seq) == 1) {
		int wl = make_ifp(*next, want);
		assert_int_equal(seq, (uint16_t)*next);
		assert_int_equal(len, wl);
		assert_memory_equal(got, want, (size_t)wl);
		(*next)++;
		n++;
	}
	return n;
}

static void test_wire_format(void **state)
{
	struct udptl_tx tx;
	uint8_t out[UDPTL_MAX_DATAGRAM], big[200];
	const uint8_t a[] = {0x00, 0x11}, b[] = {0xc0, 0x01, 0x02};

	(void)state;
	udptl_tx_init(&tx, 2, 0);
	tx.seq = 0x0102;
	/* seq, primary (length 2), redundancy with no entries yet */
	const uint8_t first[] = {0x01, 0x02, 0x02, 0x00, 0x11, 0x00, 0x00};
	assert_int_equal(udptl_tx_build(&tx, a, sizeof(a), out, sizeof(out)), sizeof(first));
	assert_memory_equal(out, first, sizeof(first));
	/* then the previous packet rides along */
	const uint8_t second[] = {0x01, 0x03, 0x03, 0xc0, 0x01, 0x02, 0x00, 0x01, 0x02, 0x00, 0x11};
	assert_int_equal(udptl_tx_build(&tx, b, sizeof(b), out, sizeof(out)), sizeof(second));
	assert_memory_equal(out, second, sizeof(second));
	/* newest first: b, then a */
	const uint8_t third[] = {0x01, 0x04, 0x02, 0x00, 0x11, 0x00, 0x02,
	                         0x03, 0xc0, 0x01, 0x02, 0x02, 0x00, 0x11};
	assert_int_equal(udptl_tx_build(&tx, a, sizeof(a), out, sizeof(out)), sizeof(third));
	assert_memory_equal(out, third, sizeof(third));
	/* 128 octets and more take a two-octet length */
	memset(big, 0x5a, sizeof(big));
	udptl_tx_init(&tx, 0, 0);
	assert_int_equal(udptl_tx_build(&tx, big, sizeof(big), out, sizeof(out)), 2 + 2 + 200 + 2);
	assert_int_equal(out[2], 0x80);
	assert_int_equal(out[3], 200);
	assert_int_equal(out[204], 0x00);
	assert_int_equal(out[205], 0x00);
}

static void test_round_trip(void **state)
{
	struct wire w;
	struct udptl_rx rx;
	int next = 0;

	(void)state;
	for (int depth = 0; depth <= UDPTL_MAX_DEPTH; depth++) {
		build_stream(&w, 64, depth);
		udptl_rx_init(&rx);
		next = 0;
		for (int i = 0; i < 64; i++) {
			assert_int_equal(udptl_rx_put(&rx, w.d[i], (size_t)w.len[i]), 0);
			assert_int_equal(drain(&rx, &next), 1);
		}
		assert_int_equal(next, 64);
		assert_int_equal(rx.datagrams, 64);
		assert_int_equal(rx.recovered + rx.lost + rx.duplicates + rx.bad, 0);
	}
}

/* A datagram written by someone else: FEC instead of redundancy, parsed and its parity skipped. */
static void test_fec_skipped(void **state)
{
	struct udptl_rx rx;
	uint8_t got[UDPTL_MAX_IFP];
	int len;
	uint16_t seq;
	/* seq 7, primary 3 octets, fec-info: npackets = 3 (1 octet), two fec-data entries */
	const uint8_t d[] = {0x00, 0x07, 0x03, 0xaa, 0xbb, 0xcc, 0x80, 0x01,
	                     0x03, 0x02, 0x02, 0x11, 0x22, 0x01, 0x33};

	(void)state;
	udptl_rx_init(&rx);
	assert_int_equal(udptl_rx_put(&rx, d, sizeof(d)), 0);
	assert_int_equal(udptl_rx_get(&rx, got, sizeof(got), &len, &seq), 1);
	assert_int_equal(seq, 7);
	assert_int_equal(len, 3);
	assert_int_equal(got[2], 0xcc);
	/* the fec-data count claims an entry that is not there */
	uint8_t t[sizeof(d)];
	memcpy(t, d, sizeof(d));
	t[1] = 8;
	t[9] = 0x03;
	assert_int_equal(udptl_rx_put(&rx, t, sizeof(t)), -1);
	/* fec-npackets of no octets, or far too many */
	t[9] = 0x02;
	t[7] = 0x00;
	assert_int_equal(udptl_rx_put(&rx, t, sizeof(t)), -1);
	t[7] = 0x05;
	assert_int_equal(udptl_rx_put(&rx, t, sizeof(t)), -1);
	assert_int_equal(rx.bad, 3);
}

static void test_single_loss(void **state)
{
	struct wire w;
	struct udptl_rx rx;
	int next = 0;

	(void)state;
	build_stream(&w, 20, 3);
	udptl_rx_init(&rx);
	for (int i = 0; i < 20; i++) {
		if (i == 5)
			continue;
		udptl_rx_put(&rx, w.d[i], (size_t)w.len[i]);
		/* the datagram after the lost one brings it back: both come out at once */
		assert_int_equal(drain(&rx, &next), i == 6 ? 2 : 1);
	}
	assert_int_equal(next, 20);
	assert_int_equal(rx.recovered, 1);
	assert_int_equal(rx.lost, 0);
}

static void test_burst_loss(void **state)
{
	struct wire w;
	struct udptl_rx rx;
	int next = 0;

	(void)state;
	/* three lost in a row, depth three: the fourth datagram carries them all */
	build_stream(&w, 30, 3);
	udptl_rx_init(&rx);
	for (int i = 0; i < 30; i++) {
		if (i >= 10 && i < 13)
			continue;
		udptl_rx_put(&rx, w.d[i], (size_t)w.len[i]);
		assert_int_equal(drain(&rx, &next), i == 13 ? 4 : 1);
	}
	assert_int_equal(next, 30);
	assert_int_equal(rx.recovered, 3);
	assert_int_equal(rx.lost, 0);

	/* four in a row with depth three: packet 10 is gone for good, the rest are recovered */
	build_stream(&w, 40, 3);
	udptl_rx_init(&rx);
	next = 0;
	for (int i = 0; i < 10; i++) {
		udptl_rx_put(&rx, w.d[i], (size_t)w.len[i]);
		drain(&rx, &next);
	}
	int held = 0;
	for (int i = 14; i < 40; i++) {
		udptl_rx_put(&rx, w.d[i], (size_t)w.len[i]);
		if (i < 10 + UDPTL_RX_WINDOW) {
			/* packets wait behind the gap until the window is full */
			assert_int_equal(drain(&rx, &next), 0);
			held = udptl_rx_held(&rx);
			assert_int_equal(held, i - 10);
			continue;
		}
		/* the window filled: the gap is given up, what waited comes out */
		assert_int_equal(rx.lost, 1);
		next = 11;
		assert_int_equal(drain(&rx, &next), UDPTL_RX_WINDOW);
		break;
	}
	assert_int_equal(held, UDPTL_RX_WINDOW - 1);
	assert_int_equal(rx.recovered, 3);
}

/* A caller with a clock need not wait for the window to fill. */
static void test_give_up(void **state)
{
	struct wire w;
	struct udptl_rx rx;
	int next = 0;

	(void)state;
	build_stream(&w, 10, 0);
	udptl_rx_init(&rx);
	udptl_rx_put(&rx, w.d[0], (size_t)w.len[0]);
	assert_int_equal(udptl_rx_give_up(&rx), 0); /* nothing waits */
	drain(&rx, &next);
	assert_int_equal(udptl_rx_give_up(&rx), 0);
	udptl_rx_put(&rx, w.d[3], (size_t)w.len[3]);
	udptl_rx_put(&rx, w.d[4], (size_t)w.len[4]);
	assert_int_equal(drain(&rx, &next), 0);
	assert_int_equal(udptl_rx_held(&rx), 2);
	assert_int_equal(udptl_rx_give_up(&rx), 2);
	next = 3;
	assert_int_equal(drain(&rx, &next), 2);
	assert_int_equal(udptl_rx_held(&rx), 0);
	/* the lost ones arriving late are stale */
	udptl_rx_put(&rx, w.d[1], (size_t)w.len[1]);
	assert_int_equal(drain(&rx, &next), 0);
	assert_int_equal(rx.lost, 2);
	assert_int_equal(rx.duplicates, 1);
}

static void test_reorder(void **state)
{
	struct wire w;
	struct udptl_rx rx;
	int next = 0;
	const int order[] = {0, 2, 1, 3, 6, 5, 4, 7, 9, 8};

	(void)state;
	build_stream(&w, 10, 0);
	udptl_rx_init(&rx);
	for (int k = 0; k < 10; k++)
		udptl_rx_put(&rx, w.d[order[k]], (size_t)w.len[order[k]]);
	assert_int_equal(drain(&rx, &next), 10);
	assert_int_equal(rx.lost + rx.duplicates + rx.recovered, 0);

	/* with redundancy the late primary is a copy of what redundancy already gave */
	build_stream(&w, 10, 2);
	udptl_rx_init(&rx);
	next = 0;
	for (int k = 0; k < 10; k++) {
		udptl_rx_put(&rx, w.d[order[k]], (size_t)w.len[order[k]]);
		drain(&rx, &next);
	}
	assert_int_equal(next, 10);
	assert_int_equal(rx.lost, 0);
	assert_true(rx.duplicates > 0);
}

static void test_duplicates(void **state)
{
	struct wire w;
	struct udptl_rx rx;
	int next = 0;

	(void)state;
	build_stream(&w, 5, 1);
	udptl_rx_init(&rx);
	udptl_rx_put(&rx, w.d[0], (size_t)w.len[0]);
	udptl_rx_put(&rx, w.d[0], (size_t)w.len[0]); /* held, not out yet */
	assert_int_equal(drain(&rx, &next), 1);
	udptl_rx_put(&rx, w.d[0], (size_t)w.len[0]); /* out already */
	assert_int_equal(drain(&rx, &next), 0);
	udptl_rx_put(&rx, w.d[2], (size_t)w.len[2]);
	udptl_rx_put(&rx, w.d[2], (size_t)w.len[2]);
	udptl_rx_put(&rx, w.d[1], (size_t)w.len[1]); /* recovered from 2 already */
	assert_int_equal(drain(&rx, &next), 2);
	assert_int_equal(next, 3);
	assert_int_equal(rx.duplicates, 4);
	assert_int_equal(rx.recovered, 1);
}

/* The first datagrams never came: the first one that does brings them along. */
static void test_late_start(void **state)
{
	struct wire w;
	struct udptl_rx rx;
	int next = 0;

	(void)state;
	build_stream(&w, 6, 2);
	udptl_rx_init(&rx);
	udptl_rx_put(&rx, w.d[2], (size_t)w.len[2]);
	assert_int_equal(drain(&rx, &next), 3);
	udptl_rx_put(&rx, w.d[3], (size_t)w.len[3]);
	assert_int_equal(drain(&rx, &next), 1);
	assert_int_equal(rx.recovered, 2);
}

/* Sequence numbers wrap; a far end that starts counting again is followed. */
static void test_seq_wrap_and_restart(void **state)
{
	struct udptl_tx tx;
	struct udptl_rx rx;
	uint8_t ifp[UDPTL_MAX_IFP], d[UDPTL_MAX_DATAGRAM], got[UDPTL_MAX_IFP];
	int len, glen, outs = 0;
	uint16_t seq, want = 65530;

	(void)state;
	udptl_tx_init(&tx, 3, 0);
	tx.seq = 65530;
	udptl_rx_init(&rx);
	for (int i = 0; i < 20; i++) {
		len = make_ifp(i, ifp);
		int dl = udptl_tx_build(&tx, ifp, len, d, sizeof(d));
		if (i == 7) /* lost right across the wrap (seq 1) */
			continue;
		udptl_rx_put(&rx, d, (size_t)dl);
		while (udptl_rx_get(&rx, got, sizeof(got), &glen, &seq) == 1) {
			assert_int_equal(seq, want);
			assert_int_equal(glen, make_ifp(outs, ifp));
			assert_memory_equal(got, ifp, (size_t)glen);
			want++;
			outs++;
		}
	}
	assert_int_equal(outs, 20);
	assert_int_equal(rx.recovered, 1);
	/* the far end restarts at 0 (a new stream after a re-INVITE) */
	udptl_tx_init(&tx, 3, 0);
	tx.seq = 30000;
	struct udptl_tx tx2;
	udptl_tx_init(&tx2, 3, 0);
	udptl_rx_init(&rx);
	for (int i = 0; i < 5; i++) {
		len = make_ifp(i, ifp);
		int dl = udptl_tx_build(&tx, ifp, len, d, sizeof(d));
		udptl_rx_put(&rx, d, (size_t)dl);
		assert_int_equal(udptl_rx_get(&rx, got, sizeof(got), &glen, &seq), 1);
	}
	for (int i = 0; i < 5; i++) {
		len = make_ifp(100 + i, ifp);
		int dl = udptl_tx_build(&tx2, ifp, len, d, sizeof(d));
		udptl_rx_put(&rx, d, (size_t)dl);
		assert_int_equal(udptl_rx_get(&rx, got, sizeof(got), &glen, &seq), 1);
		assert_int_equal(seq, i);
		assert_int_equal(glen, len);
	}
	/* and forward jumps far beyond the window likewise */
	tx2.seq = 9000;
	len = make_ifp(7, ifp);
	int dl = udptl_tx_build(&tx2, ifp, len, d, sizeof(d));
	udptl_rx_put(&rx, d, (size_t)dl);
	assert_int_equal(udptl_rx_get(&rx, got, sizeof(got), &glen, &seq), 1);
	assert_int_equal(seq, 9000);
	assert_int_equal(rx.lost, 0);
}

static void test_max_datagram(void **state)
{
	struct udptl_tx tx;
	uint8_t ifp[UDPTL_MAX_IFP], out[UDPTL_MAX_DATAGRAM];
	struct udptl_rx rx;
	int n;

	(void)state;
	memset(ifp, 0x33, sizeof(ifp));
	/* 20-octet packets: 25 octets of frame and primary, 21 for each earlier packet */
	udptl_tx_init(&tx, 8, 60);
	for (int i = 0; i < 10; i++) {
		n = udptl_tx_build(&tx, ifp, 20, out, sizeof(out));
		assert_true(n > 0 && n <= 60);
		assert_int_equal(out[2 + 1 + 20 + 1], i == 0 ? 0 : 1);
	}
	udptl_tx_init(&tx, 8, 200);
	for (int i = 0; i < 10; i++) {
		n = udptl_tx_build(&tx, ifp, 20, out, sizeof(out));
		assert_true(n <= 200);
		assert_int_equal(out[2 + 1 + 20 + 1], i < 8 ? i : 8);
	}
	/* the earlier packets left out are the oldest: a short packet fits where a long one did not */
	udptl_tx_init(&tx, 3, 80);
	udptl_tx_build(&tx, ifp, 40, out, sizeof(out));
	udptl_tx_build(&tx, ifp, 5, out, sizeof(out));
	n = udptl_tx_build(&tx, ifp, 30, out, sizeof(out));
	assert_int_equal(out[2 + 1 + 30 + 1], 1);
	assert_int_equal(out[2 + 1 + 30 + 2], 5);
	assert_int_equal(n, 2 + 1 + 30 + 1 + 1 + 1 + 5);
	/* a packet that cannot fit at all */
	udptl_tx_init(&tx, 3, 30);
	assert_int_equal(udptl_tx_build(&tx, ifp, 30, out, sizeof(out)), -1);
	assert_int_equal(tx.seq, 0);
	assert_int_equal(udptl_tx_build(&tx, ifp, 10, out, sizeof(out)), 2 + 1 + 10 + 2);
	udptl_tx_init(&tx, 3, 0);
	assert_int_equal(udptl_tx_build(&tx, ifp, UDPTL_MAX_IFP + 1, out, sizeof(out)), -1);
	assert_int_equal(udptl_tx_build(&tx, ifp, 0, out, sizeof(out)), -1);
	/* the largest packet with the deepest redundancy fits the largest datagram */
	udptl_tx_init(&tx, UDPTL_MAX_DEPTH, 0);
	udptl_rx_init(&rx);
	for (int i = 0; i < 12; i++) {
		n = udptl_tx_build(&tx, ifp, UDPTL_MAX_IFP, out, sizeof(out));
		assert_true(n > 0 && n <= UDPTL_MAX_DATAGRAM);
		assert_int_equal(udptl_rx_put(&rx, out, (size_t)n), 0);
	}
}

static void expect_bad(const uint8_t *d, size_t len)
{
	struct udptl_rx rx;
	uint8_t got[UDPTL_MAX_IFP];
	int glen;
	uint16_t seq;

	udptl_rx_init(&rx);
	assert_int_equal(udptl_rx_put(&rx, d, len), -1);
	assert_int_equal(rx.bad, 1);
	assert_int_equal(udptl_rx_get(&rx, got, sizeof(got), &glen, &seq), 0);
}

static void test_hostile(void **state)
{
	struct wire w;

	(void)state;
	/* every truncation of a valid datagram is refused */
	build_stream(&w, 8, 4);
	for (int i = 0; i < w.len[7]; i++) {
		uint8_t *cut = malloc(i > 0 ? (size_t)i : 1); /* exactly i octets readable under ASan */
		memcpy(cut, w.d[7], (size_t)i);
		expect_bad(cut, (size_t)i);
		free(cut);
	}
	expect_bad(NULL, 10);
	/* primary length past the end, one and two octet forms */
	const uint8_t p1[] = {0, 1, 0x7f, 1, 2, 3, 0, 0};
	expect_bad(p1, sizeof(p1));
	const uint8_t p2[] = {0, 1, 0x81, 0xff, 1, 2, 0, 0};
	expect_bad(p2, sizeof(p2));
	/* two-octet length cut after its first octet */
	const uint8_t p3[] = {0, 1, 0x01, 0xaa, 0x00, 0x81};
	expect_bad(p3, sizeof(p3));
	/* fragmented length determinant */
	const uint8_t p4[] = {0, 1, 0xc1, 1, 2, 3, 0, 0};
	expect_bad(p4, sizeof(p4));
	/* empty primary */
	const uint8_t p5[] = {0, 1, 0x00, 0x00, 0x00};
	expect_bad(p5, sizeof(p5));
	/* no error-recovery octet */
	const uint8_t p6[] = {0, 1, 0x02, 0xaa, 0xbb};
	expect_bad(p6, sizeof(p6));
	/* a huge count of secondary packets */
	const uint8_t p7[] = {0, 1, 0x01, 0xaa, 0x00, 0xbf, 0xff, 0x01, 0xbb};
	expect_bad(p7, sizeof(p7));
	/* a secondary length past the end */
	const uint8_t p8[] = {0, 1, 0x01, 0xaa, 0x00, 0x01, 0x05, 0xbb};
	expect_bad(p8, sizeof(p8));
	/* a primary longer than any IFP we carry */
	uint8_t big[2 + 2 + UDPTL_MAX_IFP + 1 + 2];
	memset(big, 0, sizeof(big));
	big[2] = 0x80 | ((UDPTL_MAX_IFP + 1) >> 8);
	big[3] = (UDPTL_MAX_IFP + 1) & 0xff;
	expect_bad(big, sizeof(big));
	/* a datagram longer than any we read */
	uint8_t *huge = calloc(1, UDPTL_MAX_DATAGRAM + 1);
	huge[2] = 1;
	expect_bad(huge, UDPTL_MAX_DATAGRAM + 1);
	free(huge);

	/* an oversized secondary is skipped, the datagram still counts */
	uint8_t s[2 + 2 + 1 + 1 + 2 + UDPTL_MAX_IFP + 1];
	struct udptl_rx rx;
	memset(s, 0, sizeof(s));
	s[1] = 5;
	s[2] = 1;
	s[3] = 0x42;
	s[4] = 0x00;
	s[5] = 1;
	s[6] = 0x80 | ((UDPTL_MAX_IFP + 1) >> 8);
	s[7] = (UDPTL_MAX_IFP + 1) & 0xff;
	udptl_rx_init(&rx);
	assert_int_equal(udptl_rx_put(&rx, s, sizeof(s)), 0);
	assert_int_equal(rx.bad, 0);
	uint8_t got[UDPTL_MAX_IFP];
	int glen;
	uint16_t seq;
	assert_int_equal(udptl_rx_get(&rx, got, sizeof(got), &glen, &seq), 1);
	assert_int_equal(seq, 5);
	assert_int_equal(glen, 1);
	assert_int_equal(udptl_rx_get(&rx, got, sizeof(got), &glen, &seq), 0);
}

/* Random and mutated datagrams: nothing crashes, what comes out is within bounds. */
static void test_fuzz(void **state)
{
	struct wire w;
	struct udptl_rx rx;
	uint8_t d[UDPTL_MAX_DATAGRAM + 8], got[UDPTL_MAX_IFP];
	int glen, outs = 0;
	uint16_t seq;

	(void)state;
	rng = 12345;
	build_stream(&w, 64, 5);
	udptl_rx_init(&rx);
	for (int round = 0; round < 200000; round++) {
		size_t len;
		if (round % 2) {
			int k = (int)(rnd() % 64);
			len = (size_t)w.len[k];
			memcpy(d, w.d[k], len);
			for (int m = (int)(rnd() % 4); m >= 0; m--)
				d[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
			if (rnd() % 4 == 0)
				len = rnd() % (len + 1);
		} else {
			len = rnd() % 40;
			for (size_t i = 0; i < len; i++)
				d[i] = (uint8_t)rnd();
		}
		udptl_rx_put(&rx, d, len);
		while (udptl_rx_get(&rx, got, sizeof(got), &glen, &seq) == 1) {
			assert_true(glen >= 1 && glen <= UDPTL_MAX_IFP);
			outs++;
		}
		assert_true(rx.held >= 0 && rx.held <= UDPTL_RX_WINDOW);
	}
	assert_true(outs > 0);
	assert_true(rx.bad > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wire_format),  cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_fec_skipped),  cmocka_unit_test(test_single_loss),
	    cmocka_unit_test(test_burst_loss),   cmocka_unit_test(test_give_up),
	    cmocka_unit_test(test_reorder),      cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_late_start),   cmocka_unit_test(test_seq_wrap_and_restart),
	    cmocka_unit_test(test_max_datagram), cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
