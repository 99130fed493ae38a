/*
 * test_sdp.c - offers and answers: ours parse back; offers as Asterisk, FreeSWITCH and Cisco
 * gateways write them (T.38 attribute spellings included) are understood; an offer of several
 * m-lines is answered with one m-line each, port 0 on the declined; hostile or unusable
 * descriptions fail with a reason in words.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sip/sdp.h"
#include "util/buf.h"

static struct sdp_local local(void)
{
	struct sdp_local l = {
	    .addr = "192.0.2.10",
	    .port = 40000,
	    .sess_id = 123456789,
	    .sess_version = 2,
	    .codecs = SDP_CODEC_PCMA | SDP_CODEC_PCMU | SDP_CODEC_T38,
	    .alaw_first = true,
	    .t38_max_datagram = 272,
	    .t38_version = 0,
	};
	return l;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && strncmp(p + n, "\r\n", 2) == 0)
			return true;
	return false;
}

#define assert_line(text, line)    assert_true(has_line(text, line) || (print_message("%s", text), 0))
#define assert_no_line(text, line) assert_false(has_line(text, line))

/* The m-lines of a description in order, joined by '|'. */
static void m_lines(const char *text, struct buf *out)
{
	for (const char *p = text; (p = strstr(p, "m=")) != NULL; p += 2) {
		if (p != text && p[-1] != '\n')
			continue;
		const char *e = strstr(p, "\r\n");

		if (out->len)
			buf_putc(out, '|');
		buf_append(out, p, e ? (size_t)(e - p) : strlen(p));
	}
}

/* Offer in, answer out (with m), or fail the test with the reason. */
static void answer(const char *offer, const struct sdp_local *l, bool want_t38, struct sdp_media *m,
                   struct buf *out)
{
	struct buf err = BUF_INIT;

	if (sdp_parse_offer(offer, l, want_t38, m, &err) != 0)
		fail_msg("offer refused: %s", buf_cstr(&err));
	buf_free(&err);
	sdp_answer(l, m, out);
}

/* The offer must be refused with a reason that contains want; the reason is printable ASCII. */
static void assert_refused(const char *offer, const struct sdp_local *l, bool want_t38, const char *want)
{
	struct buf err = BUF_INIT;
	struct sdp_media m;

	if (sdp_parse_offer(offer, l, want_t38, &m, &err) == 0)
		fail_msg("offer taken, wanted \"%s\"", want);
	if (!strstr(buf_cstr(&err), want))
		fail_msg("reason \"%s\" lacks \"%s\"", buf_cstr(&err), want);
	for (size_t i = 0; i < err.len; i++)
		assert_true(err.data[i] >= ' ' && err.data[i] < 0x7f);
	buf_free(&err);
}

static void test_our_audio_offer(void **state)
{
	struct sdp_local l = local();
	struct buf o = BUF_INIT, err = BUF_INIT;
	struct sdp_media m;

	(void)state;
	sdp_offer(&l, SDP_AUDIO, &o);
	assert_line(o.data, "v=0");
	assert_line(o.data, "o=faxgate 123456789 2 IN IP4 192.0.2.10");
	assert_line(o.data, "c=IN IP4 192.0.2.10");
	assert_line(o.data, "t=0 0");
	assert_line(o.data, "m=audio 40000 RTP/AVP 8 0");
	assert_line(o.data, "a=rtpmap:8 PCMA/8000");
	assert_line(o.data, "a=rtpmap:0 PCMU/8000");
	assert_line(o.data, "a=ptime:20");
	assert_line(o.data, "a=sendrecv");
	assert_null(strstr(o.data, "telephone-event"));
	/* it parses back as an offer and as an answer */
	assert_int_equal(sdp_parse_offer(o.data, &l, false, &m, &err), 0);
	assert_int_equal(m.kind, SDP_AUDIO);
	assert_string_equal(m.addr, "192.0.2.10");
	assert_int_equal(m.port, 40000);
	assert_int_equal(m.pt, 8);
	assert_int_equal(m.ptime, 20);
	assert_int_equal(m.dtmf_pt, -1);
	assert_true(m.active);
	assert_int_equal(m.mode, SDP_SEND | SDP_RECV);
	assert_int_equal(m.nstreams, 1);
	assert_int_equal(m.chosen, 0);
	assert_int_equal(sdp_parse_answer(o.data, SDP_AUDIO, &l, &m, &err), 0);
	assert_int_equal(m.pt, 8);
	assert_int_equal(err.len, 0);

	/* mu-law first; only one law allowed */
	buf_reset(&o);
	l.alaw_first = false;
	sdp_offer(&l, SDP_AUDIO, &o);
	assert_line(o.data, "m=audio 40000 RTP/AVP 0 8");
	assert_int_equal(sdp_parse_offer(o.data, &l, false, &m, &err), 0);
	assert_int_equal(m.pt, 0);
	buf_reset(&o);
	l.codecs = SDP_CODEC_PCMA | SDP_CODEC_T38;
	sdp_offer(&l, SDP_AUDIO, &o);
	assert_line(o.data, "m=audio 40000 RTP/AVP 8");
	assert_no_line(o.data, "a=rtpmap:0 PCMU/8000");
	buf_free(&o);
	buf_free(&err);
}

static void test_our_t38_offer(void **state)
{
	struct sdp_local l = local();
	struct buf o = BUF_INIT, err = BUF_INIT;
	struct sdp_media m;

	(void)state;
	l.sess_version = 3;
	sdp_offer(&l, SDP_T38, &o);
	assert_line(o.data, "o=faxgate 123456789 3 IN IP4 192.0.2.10");
	assert_line(o.data, "m=image 40000 udptl t38");
	assert_line(o.data, "a=T38FaxVersion:0");
	assert_line(o.data, "a=T38MaxBitRate:14400");
	assert_line(o.data, "a=T38FaxRateManagement:transferredTCF");
	assert_line(o.data, "a=T38FaxMaxDatagram:272");
	assert_line(o.data, "a=T38FaxUdpEC:t38UDPRedundancy");
	assert_non_null(strstr(o.data, "a=T38FaxMaxBuffer:"));
	assert_null(strstr(o.data, "m=audio"));
	assert_int_equal(sdp_parse_offer(o.data, &l, true, &m, &err), 0);
	assert_int_equal(m.kind, SDP_T38);
	assert_int_equal(m.port, 40000);
	assert_int_equal(m.t38_version, 0);
	assert_int_equal(m.t38_max_bitrate, 14400);
	assert_int_equal(m.t38_max_datagram, 272);
	assert_true(m.t38_transferred_tcf);
	assert_true(m.t38_redundancy);
	assert_false(m.t38_fec);
	assert_false(m.t38_fill_bit_removal);
	assert_true(m.active);
	/* a T.38 offer is taken as T.38 even when audio was preferred: it is all there is */
	assert_int_equal(sdp_parse_offer(o.data, &l, false, &m, &err), 0);
	assert_int_equal(m.kind, SDP_T38);
	assert_int_equal(sdp_parse_answer(o.data, SDP_T38, &l, &m, &err), 0);
	assert_int_equal(m.kind, SDP_T38);
	/* no datagram size of our own: the default */
	buf_reset(&o);
	l.t38_max_datagram = 0;
	sdp_offer(&l, SDP_T38, &o);
	assert_line(o.data, "a=T38FaxMaxDatagram:400");
	buf_free(&o);
	buf_free(&err);
}

static const char asterisk_audio[] = "v=0\r\n"
                                     "o=root 1135356391 1135356391 IN IP4 82.200.7.184\r\n"
                                     "s=Asterisk PBX 1.8.10.1~dfsg-1ubuntu1\r\n"
                                     "c=IN IP4 82.200.7.184\r\n"
                                     "t=0 0\r\n"
                                     "m=audio 15532 RTP/AVP 8 0 101\r\n"
                                     "a=rtpmap:8 PCMA/8000\r\n"
                                     "a=rtpmap:0 PCMU/8000\r\n"
                                     "a=rtpmap:101 telephone-event/8000\r\n"
                                     "a=fmtp:101 0-16\r\n"
                                     "a=ptime:20\r\n"
                                     "a=sendrecv\r\n";

static void test_asterisk_audio(void **state)
{
	struct sdp_local l = local();
	struct buf a = BUF_INIT, err = BUF_INIT;
	struct sdp_media m;

	(void)state;
	answer(asterisk_audio, &l, false, &m, &a);
	assert_int_equal(m.kind, SDP_AUDIO);
	assert_string_equal(m.addr, "82.200.7.184");
	assert_int_equal(m.port, 15532);
	assert_int_equal(m.pt, 8);
	assert_int_equal(m.dtmf_pt, 101);
	assert_true(m.active);
	assert_line(a.data, "m=audio 40000 RTP/AVP 8");
	assert_line(a.data, "a=rtpmap:8 PCMA/8000");
	assert_line(a.data, "a=sendrecv");
	assert_line(a.data, "a=ptime:20");
	assert_null(strstr(a.data, "101"));
	/* our answer is valid SDP that names what we agreed */
	assert_int_equal(sdp_parse_answer(a.data, SDP_AUDIO, &l, &m, &err), 0);
	assert_int_equal(m.pt, 8);
	/* a mu-law only trunk takes the second codec of the offer */
	l.codecs = SDP_CODEC_PCMU;
	assert_int_equal(sdp_parse_offer(asterisk_audio, &l, false, &m, &err), 0);
	assert_int_equal(m.pt, 0);
	/* the offer's order counts, not ours */
	l.codecs = SDP_CODEC_PCMA | SDP_CODEC_PCMU;
	l.alaw_first = false;
	assert_int_equal(sdp_parse_offer(asterisk_audio, &l, false, &m, &err), 0);
	assert_int_equal(m.pt, 8);
	/* a T.38 wish does not matter when only audio is offered */
	l.codecs |= SDP_CODEC_T38;
	assert_int_equal(sdp_parse_offer(asterisk_audio, &l, true, &m, &err), 0);
	assert_int_equal(m.kind, SDP_AUDIO);
	buf_free(&a);
	buf_free(&err);
}

static const char asterisk_t38[] = "v=0\r\n"
                                   "o=root 1135356391 1135356392 IN IP4 82.200.7.184\r\n"
                                   "s=Asterisk PBX 1.8.10.1~dfsg-1ubuntu1\r\n"
                                   "c=IN IP4 82.200.7.184\r\n"
                                   "t=0 0\r\n"
                                   "m=image 4390 udptl t38\r\n"
                                   "a=T38FaxVersion:0\r\n"
                                   "a=T38MaxBitRate:14400\r\n"
                                   "a=T38FaxRateManagement:transferredTCF\r\n"
                                   "a=T38FaxMaxDatagram:400\r\n"
                                   "a=T38FaxUdpEC:t38UDPRedundancy\r\n";

static const char freeswitch_t38[] = "v=0\n" /* bare newlines: accepted too */
                                     "o=FreeSWITCH 1398843466 1398843467 IN IP4 10.0.0.5\n"
                                     "s=FreeSWITCH\n"
                                     "c=IN IP4 10.0.0.5\n"
                                     "t=0 0\n"
                                     "m=image 20518 udptl t38\n"
                                     "a=T38FaxVersion:0\n"
                                     "a=T38MaxBitRate:9600\n"
                                     "a=T38FaxFillBitRemoval\n"
                                     "a=T38FaxTranscodingMMR\n"
                                     "a=T38FaxTranscodingJBIG\n"
                                     "a=T38FaxRateManagement:transferredTCF\n"
                                     "a=T38FaxMaxBuffer:2000\n"
                                     "a=T38FaxMaxDatagram:400\n"
                                     "a=T38FaxUdpEC:t38UDPRedundancy\n";

static const char cisco_t38[] = "v=0\r\n"
                                "o=CiscoSystemsSIP-GW-UserAgent 6114 3712 IN IP4 10.1.1.1\r\n"
                                "s=SIP Call\r\n"
                                "t=0 0\r\n"
                                "m=image 16390 udptl t38\r\n"
                                "c=IN IP4 10.1.1.2\r\n"
                                "a=T38FaxVersion:0\r\n"
                                "a=T38MaxBitRate:14400\r\n"
                                "a=T38FaxFillBitRemoval:0\r\n"
                                "a=T38FaxTranscodingMMR:0\r\n"
                                "a=T38FaxTranscodingJBIG:0\r\n"
                                "a=T38FaxRateManagement:transferredTCF\r\n"
                                "a=T38FaxMaxBuffer:200\r\n"
                                "a=T38FaxMaxDatagram:320\r\n"
                                "a=T38FaxUdpEC:t38UDPRedundancy\r\n";

static void test_t38_offers(void **state)
{
	struct sdp_local l = local();
	struct buf a = BUF_INIT, err = BUF_INIT;
	struct sdp_media m;

	(void)state;
	answer(asterisk_t38, &l, true, &m, &a);
	assert_int_equal(m.kind, SDP_T38);
	assert_int_equal(m.port, 4390);
	assert_int_equal(m.t38_max_datagram, 400);
	assert_int_equal(m.t38_max_buffer, 0);
	assert_true(m.t38_redundancy);
	assert_false(m.t38_fill_bit_removal);
	assert_line(a.data, "m=image 40000 udptl t38");
	assert_line(a.data, "a=T38FaxVersion:0");
	assert_line(a.data, "a=T38MaxBitRate:14400");
	assert_line(a.data, "a=T38FaxRateManagement:transferredTCF");
	assert_line(a.data, "a=T38FaxMaxDatagram:272"); /* ours, not theirs */
	assert_line(a.data, "a=T38FaxUdpEC:t38UDPRedundancy");
	assert_null(strstr(a.data, "m=audio"));
	assert_int_equal(sdp_parse_answer(a.data, SDP_T38, &l, &m, &err), 0);

	buf_reset(&a);
	answer(freeswitch_t38, &l, true, &m, &a);
	assert_string_equal(m.addr, "10.0.0.5");
	assert_int_equal(m.t38_max_bitrate, 9600);
	assert_true(m.t38_fill_bit_removal); /* the bare flag */
	assert_int_equal(m.t38_max_buffer, 2000);
	assert_line(a.data, "a=T38MaxBitRate:9600");
	assert_null(strstr(a.data, "FillBitRemoval")); /* we do not remove fill bits */
	assert_null(strstr(a.data, "Transcoding"));

	buf_reset(&a);
	answer(cisco_t38, &l, true, &m, &a);
	assert_string_equal(m.addr, "10.1.1.2"); /* c= at media level only */
	assert_int_equal(m.port, 16390);
	assert_false(m.t38_fill_bit_removal); /* ":0" */
	assert_int_equal(m.t38_max_datagram, 320);
	assert_int_equal(m.t38_max_buffer, 200);
	assert_int_equal(m.t38_max_bitrate, 14400);
	assert_true(m.t38_transferred_tcf);
	buf_free(&a);
	buf_free(&err);
}

/* Spellings and values seen from other products: case, aliases, FEC, localTCF, versions. */
static void test_t38_variants(void **state)
{
	struct sdp_local l = local();
	struct buf a = BUF_INIT;
	struct sdp_media m;
	const char *head = "v=0\r\no=x 1 1 IN IP4 10.9.9.9\r\ns=-\r\nc=IN IP4 10.9.9.9\r\nt=0 0\r\n"
	                   "m=image 6000 UDPTL T38\r\n";
	struct buf o = BUF_INIT;

	(void)state;
	buf_puts(&o, head);
	buf_puts(&o, "a=t38faxversion:3\r\na=T38maxBitRate:33600\r\na=T38MaxDatagram:1400\r\n"
	             "a=T38FaxUdpEC:t38UDPFEC\r\na=T38FaxRateManagement:localTCF\r\n"
	             "a=T38FaxFillBitRemoval:1\r\n");
	l.t38_version = 2;
	answer(o.data, &l, true, &m, &a);
	assert_int_equal(m.t38_version, 2); /* min(ours, theirs) */
	assert_int_equal(m.t38_max_bitrate, 14400);
	assert_int_equal(m.t38_max_datagram, 1400); /* the alias */
	assert_true(m.t38_fec);
	assert_true(m.t38_redundancy);
	assert_false(m.t38_transferred_tcf);
	assert_true(m.t38_fill_bit_removal);
	assert_line(a.data, "a=T38FaxVersion:2");
	assert_line(a.data, "a=T38FaxRateManagement:localTCF");
	assert_line(a.data, "a=T38FaxUdpEC:t38UDPRedundancy"); /* we answer FEC with redundancy */
	assert_line(a.data, "a=T38MaxBitRate:14400");

	/* nothing but the m-line: version 0, 14400, transferred TCF, no error correction */
	buf_reset(&o);
	buf_reset(&a);
	buf_puts(&o, head);
	answer(o.data, &l, true, &m, &a);
	assert_int_equal(m.t38_version, 0);
	assert_int_equal(m.t38_max_bitrate, 14400);
	assert_int_equal(m.t38_max_datagram, 0);
	assert_true(m.t38_transferred_tcf);
	assert_false(m.t38_redundancy);
	assert_line(a.data, "a=T38FaxVersion:0");
	assert_null(strstr(a.data, "T38FaxUdpEC"));

	/* odd values: a rate that is no V.17/V.29/V.27 rate is rounded down, nonsense is ignored */
	buf_reset(&o);
	buf_reset(&a);
	buf_puts(&o, head);
	buf_puts(&o,
	         "a=T38MaxBitRate:10000\r\na=T38FaxVersion:-1\r\na=T38FaxMaxDatagram:99999999999999999999\r\n"
	         "a=T38FaxUdpEC:t38UDPNoEC\r\na=T38FaxFillBitRemoval:false\r\n");
	answer(o.data, &l, true, &m, &a);
	assert_int_equal(m.t38_max_bitrate, 9600);
	assert_int_equal(m.t38_version, 0);
	assert_int_equal(m.t38_max_datagram, 65535);
	assert_false(m.t38_redundancy);
	assert_false(m.t38_fill_bit_removal);
	buf_reset(&o);
	buf_puts(&o, head);
	buf_puts(&o, "a=T38MaxBitRate:300\r\n");
	assert_int_equal(sdp_parse_offer(o.data, &l, true, &m, &a), 0);
	assert_int_equal(m.t38_max_bitrate, 2400);
	buf_free(&o);
	buf_free(&a);
}

static const char audio_and_image[] = "v=0\r\n"
                                      "o=gw 5 5 IN IP4 198.51.100.7\r\n"
                                      "s=-\r\n"
                                      "c=IN IP4 198.51.100.7\r\n"
                                      "t=0 0\r\n"
                                      "m=audio 5004 RTP/AVP 0 101\r\n"
                                      "a=rtpmap:0 PCMU/8000\r\n"
                                      "a=rtpmap:101 telephone-event/8000\r\n"
                                      "m=image 5006 udptl t38\r\n"
                                      "a=T38FaxVersion:0\r\n"
                                      "a=T38FaxRateManagement:transferredTCF\r\n"
                                      "a=T38FaxUdpEC:t38UDPRedundancy\r\n";

/* RFC 3264: one m-line in the answer for each in the offer, same order, port 0 where declined. */
static void test_several_streams(void **state)
{
	struct sdp_local l = local();
	struct buf a = BUF_INIT, ms = BUF_INIT, err = BUF_INIT;
	struct sdp_media m;

	(void)state;
	answer(audio_and_image, &l, false, &m, &a);
	assert_int_equal(m.kind, SDP_AUDIO);
	assert_int_equal(m.nstreams, 2);
	assert_int_equal(m.chosen, 0);
	m_lines(a.data, &ms);
	assert_string_equal(ms.data, "m=audio 40000 RTP/AVP 0|m=image 0 udptl t38");
	/* the answer itself reads back, the image stream declined */
	assert_int_equal(sdp_parse_answer(a.data, SDP_AUDIO, &l, &m, &err), 0);
	assert_int_equal(sdp_parse_answer(a.data, SDP_T38, &l, &m, &err), -1);
	assert_non_null(strstr(err.data, "declined"));

	buf_reset(&a);
	buf_reset(&ms);
	answer(audio_and_image, &l, true, &m, &a);
	assert_int_equal(m.kind, SDP_T38);
	assert_int_equal(m.chosen, 1);
	assert_int_equal(m.port, 5006);
	m_lines(a.data, &ms);
	assert_string_equal(ms.data, "m=audio 0 RTP/AVP 0|m=image 40000 udptl t38");
	assert_line(a.data, "a=T38FaxVersion:0");

	/* T.38 not allowed on the trunk: audio, whatever was wished */
	l.codecs = SDP_CODEC_PCMU;
	buf_reset(&a);
	buf_reset(&ms);
	answer(audio_and_image, &l, true, &m, &a);
	assert_int_equal(m.kind, SDP_AUDIO);
	m_lines(a.data, &ms);
	assert_string_equal(ms.data, "m=audio 40000 RTP/AVP 0|m=image 0 udptl t38");

	/* video and an unknown kind are declined with their own first format */
	static const char with_video[] = "v=0\r\no=gw 5 5 IN IP4 198.51.100.7\r\ns=-\r\nt=0 0\r\n"
	                                 "m=video 5010 RTP/AVP 34 96\r\nc=IN IP4 198.51.100.7\r\n"
	                                 "m=audio 5004 RTP/AVP 18 0\r\nc=IN IP4 198.51.100.8\r\n"
	                                 "m=application 5012 UDP/BFCP *\r\nc=IN IP4 198.51.100.7\r\n";
	l = local();
	buf_reset(&a);
	buf_reset(&ms);
	answer(with_video, &l, false, &m, &a);
	assert_int_equal(m.chosen, 1);
	assert_string_equal(m.addr, "198.51.100.8");
	m_lines(a.data, &ms);
	assert_string_equal(ms.data,
	                    "m=video 0 RTP/AVP 34|m=audio 40000 RTP/AVP 0|m=application 0 UDP/BFCP *");
	buf_free(&a);
	buf_free(&ms);
	buf_free(&err);
}

static void test_direction(void **state)
{
	static const struct {
		const char *session, *media;
		int mode;
		bool active;
		const char *answer;
	} cases[] = {
	    {"", "a=sendonly\r\n", SDP_SEND, false, "a=recvonly"},
	    {"", "a=recvonly\r\n", SDP_RECV, false, "a=sendonly"},
	    {"", "a=inactive\r\n", 0, false, "a=inactive"},
	    {"", "", SDP_SEND | SDP_RECV, true, "a=sendrecv"},
	    {"a=sendonly\r\n", "", SDP_SEND, false, "a=recvonly"},
	    {"a=sendonly\r\n", "a=sendrecv\r\n", SDP_SEND | SDP_RECV, true, "a=sendrecv"},
	};
	struct sdp_local l = local();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf o = BUF_INIT, a = BUF_INIT;
		struct sdp_media m;

		buf_printf(&o,
		           "v=0\r\no=x 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n%s"
		           "m=audio 7000 RTP/AVP 8\r\n%s",
		           cases[i].session, cases[i].media);
		answer(o.data, &l, false, &m, &a);
		assert_int_equal(m.mode, cases[i].mode);
		assert_int_equal(m.active, cases[i].active);
		assert_line(a.data, cases[i].answer);
		buf_free(&o);
		buf_free(&a);
	}
	/* the old way to hold: c=0.0.0.0 */
	struct buf a = BUF_INIT;
	struct sdp_media m;

	answer("v=0\r\no=x 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 7000 RTP/AVP "
	       "8\r\n",
	       &l, false, &m, &a);
	assert_false(m.active);
	assert_string_equal(m.addr, "0.0.0.0");
	buf_free(&a);
}

static void test_ptime(void **state)
{
	struct sdp_local l = local();
	struct buf a = BUF_INIT;
	struct sdp_media m;
	const char *base = "v=0\r\no=x 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
	                   "m=audio 7000 RTP/AVP 0\r\n";
	struct buf o = BUF_INIT;

	(void)state;
	buf_printf(&o, "%sa=ptime:30\r\n", base);
	answer(o.data, &l, false, &m, &a);
	assert_int_equal(m.ptime, 30);
	assert_line(a.data, "a=ptime:30");
	static const char *const odd[] = {"a=ptime:1000\r\n", "a=ptime:5\r\n", "a=ptime:abc\r\n",
	                                  "a=ptime:\r\n", "a=ptime:-20\r\n"};
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		buf_reset(&o);
		buf_reset(&a);
		buf_printf(&o, "%s%s", base, odd[i]);
		answer(o.data, &l, false, &m, &a);
		assert_int_equal(m.ptime, 20);
	}
	buf_free(&o);
	buf_free(&a);
}

static void test_refused(void **state)
{
	struct sdp_local l = local();
	const char *head = "v=0\r\no=x 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n";
	struct buf o = BUF_INIT;

	(void)state;
	assert_refused(NULL, &l, false, "no session description");
	assert_refused("", &l, false, "no session description");
	assert_refused("hello world", &l, false, "cannot be read");
	assert_refused("v=0\r\nxyzzy\r\n", &l, false, "cannot be read");
	assert_refused("v=0\r\no=x 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n", &l, false,
	               "no media stream");
	/* no c= anywhere; IPv6; a host name; multicast */
	assert_refused("v=0\r\no=x 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n", &l,
	               false, "no connection address");
	assert_refused("v=0\r\no=x 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP6 2001:db8::1\r\nt=0 0\r\n"
	               "m=audio 7000 RTP/AVP 0\r\n",
	               &l, false, "IPv6");
	assert_refused("v=0\r\no=x 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 gw.example.net\r\nt=0 0\r\n"
	               "m=audio 7000 RTP/AVP 0\r\n",
	               &l, false, "gw.example.net is not an IPv4 address");
	assert_refused("v=0\r\no=x 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 224.2.1.1/127\r\nt=0 0\r\n"
	               "m=audio 7000 RTP/AVP 0\r\n",
	               &l, false, "multicast");
	/* port 0, a port out of range */
	buf_printf(&o, "%sm=audio 0 RTP/AVP 0\r\n", head);
	assert_refused(o.data, &l, false, "declined (port 0)");
	buf_reset(&o);
	buf_printf(&o, "%sm=audio 70000 RTP/AVP 0\r\n", head);
	assert_refused(o.data, &l, false, "port out of range");
	/* no common codec, with what was offered */
	buf_reset(&o);
	buf_printf(&o, "%sm=audio 7000 RTP/AVP 18 3\r\na=rtpmap:18 G729/8000\r\n", head);
	assert_refused(o.data, &l, false, "no common codec (G729 GSM); we take PCMA PCMU");
	l.codecs = SDP_CODEC_PCMA;
	buf_reset(&o);
	buf_printf(&o, "%sm=audio 7000 RTP/AVP 0\r\n", head);
	assert_refused(o.data, &l, false, "no common codec (PCMU); we take PCMA");
	/* payload type 8 that is not A-law; G.711 at another rate; stereo */
	l = local();
	buf_reset(&o);
	buf_printf(&o, "%sm=audio 7000 RTP/AVP 8\r\na=rtpmap:8 G729/8000\r\n", head);
	assert_refused(o.data, &l, false, "no common codec");
	buf_reset(&o);
	buf_printf(&o, "%sm=audio 7000 RTP/AVP 8\r\na=rtpmap:8 PCMA/16000\r\n", head);
	assert_refused(o.data, &l, false, "no common codec");
	buf_reset(&o);
	buf_printf(&o, "%sm=audio 7000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000/2\r\n", head);
	assert_refused(o.data, &l, false, "no common codec");
	/* encrypted RTP, T.38 over TCP, T.38 not allowed, image without t38 */
	buf_reset(&o);
	buf_printf(&o, "%sm=audio 7000 RTP/SAVP 0\r\n", head);
	assert_refused(o.data, &l, false, "encrypted");
	buf_reset(&o);
	buf_printf(&o, "%sm=image 7000 TCP t38\r\n", head);
	assert_refused(o.data, &l, true, "T.38 over TCP is not supported");
	buf_reset(&o);
	buf_printf(&o, "%sm=image 7000 tcptl t38\r\n", head);
	assert_refused(o.data, &l, true, "T.38 over TCP is not supported");
	l.codecs = SDP_CODEC_PCMA | SDP_CODEC_PCMU;
	buf_reset(&o);
	buf_printf(&o, "%sm=image 7000 udptl t38\r\n", head);
	assert_refused(o.data, &l, true, "T.38 is not allowed");
	l = local();
	buf_reset(&o);
	buf_printf(&o, "%sm=image 7000 udptl jpeg\r\n", head);
	assert_refused(o.data, &l, true, "without the t38 format");
	/* every stream unusable: each one said */
	buf_reset(&o);
	buf_printf(&o, "%sm=audio 7000 RTP/AVP 18\r\nm=image 0 udptl t38\r\nm=video 7002 RTP/AVP 34\r\n",
	           head);
	assert_refused(o.data, &l, false,
	               "no usable media stream: 1 (audio): no common codec (G729); we take PCMA PCMU; "
	               "2 (image): declined (port 0); 3 (video): video is not supported");
	/* too many m-lines, too long */
	buf_reset(&o);
	buf_puts(&o, head);
	for (int i = 0; i < SDP_MAX_STREAMS + 1; i++)
		buf_printf(&o, "m=audio %d RTP/AVP 0\r\n", 7000 + 2 * i);
	assert_refused(o.data, &l, false, "too many media streams");
	buf_reset(&o);
	buf_printf(&o, "%sm=audio 7000 RTP/AVP 0\r\n", head);
	while (o.len < 20000)
		buf_puts(&o, "a=x-padding:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
	assert_refused(o.data, &l, false, "longer than");
	/* hostile bytes are not echoed */
	assert_refused(
	    "v=0\r\no=x 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 \x01\x7f\xff\xfe\x1b[2J\r\nt=0 0\r\n"
	    "m=audio 7000 RTP/AVP 0\r\n",
	    &l, false, "connection address ?????[2J is not an IPv4 address");
	/*
	 * What sofia-sip 1.12.11 cannot take: a format list with a character outside the token set
	 * (it loops forever, allocating) and a line of one character (it reads past the text).
	 */
	static const char *const traps[] = {
	    "m=audio 5004 RT:/AVP 0 101\r\n",   "m=image 5000 udptl t38/x\r\n",
	    "m=image 5000 udptl t38 \"x\"\r\n", "m=audio 7000 RTP/AVP 0\r\na",
	    "m=audio 7000 RTP/AVP 0\r\n a\r\n", "m=audio 7000/x RTP/AVP 0\r\n",
	    "m=audio 7000 RTP/AVP 0\r\nb\r\n",  "m=audio 7000\r\n"};
	for (size_t i = 0; i < sizeof(traps) / sizeof(traps[0]); i++) {
		buf_reset(&o);
		buf_printf(&o, "%s%s", head, traps[i]);
		assert_refused(o.data, &l, false, "malformed line");
	}
	buf_free(&o);
}

static void test_answers(void **state)
{
	struct sdp_local l = local();
	struct buf err = BUF_INIT;
	struct sdp_media m;
	const char *head = "v=0\r\no=x 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n";
	struct buf a = BUF_INIT;

	(void)state;
	/* our T.38 offer declined; answered with audio */
	buf_printf(&a, "%sm=image 0 udptl t38\r\n", head);
	assert_int_equal(sdp_parse_answer(a.data, SDP_T38, &l, &m, &err), -1);
	assert_string_equal(err.data, "the far end declined T.38");
	buf_reset(&a);
	buf_reset(&err);
	buf_printf(&a, "%sm=audio 7000 RTP/AVP 8\r\n", head);
	assert_int_equal(sdp_parse_answer(a.data, SDP_T38, &l, &m, &err), -1);
	assert_string_equal(err.data, "the answer has no T.38 stream");
	/* an answer with a codec we did not offer */
	buf_reset(&err);
	l.codecs = SDP_CODEC_PCMA;
	buf_reset(&a);
	buf_printf(&a, "%sm=audio 7000 RTP/AVP 0\r\n", head);
	assert_int_equal(sdp_parse_answer(a.data, SDP_AUDIO, &l, &m, &err), -1);
	assert_non_null(strstr(err.data, "no common codec"));
	/* a trunk that named no G.711 law offered both: either answer is good */
	l.codecs = SDP_CODEC_T38;
	buf_reset(&err);
	assert_int_equal(sdp_parse_answer(a.data, SDP_AUDIO, &l, &m, &err), 0);
	assert_int_equal(m.pt, 0);
	/* T.38 answer: their version above ours is brought down; their limits kept */
	l = local();
	buf_reset(&a);
	buf_printf(&a,
	           "%sm=image 7002 udptl t38\r\na=T38FaxVersion:3\r\na=T38FaxMaxDatagram:200\r\n"
	           "a=T38FaxUdpEC:t38UDPRedundancy\r\n",
	           head);
	assert_int_equal(sdp_parse_answer(a.data, SDP_T38, &l, &m, &err), 0);
	assert_int_equal(m.kind, SDP_T38);
	assert_int_equal(m.port, 7002);
	assert_int_equal(m.t38_version, 0);
	assert_int_equal(m.t38_max_datagram, 200);
	assert_true(m.t38_redundancy);
	buf_free(&a);
	buf_free(&err);
}

/* Mutated descriptions: never a crash or a read outside (ASan); what is taken is sane. */
static void test_fuzz(void **state)
{
	static const char *const seeds[] = {asterisk_audio, asterisk_t38, freeswitch_t38, cisco_t38,
	                                    audio_and_image};
	struct sdp_local l = local();
	int taken = 0;

	(void)state;
	srandom(38);
	for (int i = 0; i < 4000; i++) {
		const char *seed = seeds[i % 5];
		size_t len = strlen(seed);
		char *t = malloc(len + 1);
		struct buf err = BUF_INIT, a = BUF_INIT;
		struct sdp_media m;

		memcpy(t, seed, len + 1);
		for (int k = 0; k < 1 + i % 4; k++) {
			size_t at = (size_t)random() % len;

			switch (random() % 4) {
			case 0:
				t[at] = (char)random();
				break;
			case 1:
				t[at] = "0123456789 :/\r\n=-"[random() % 17];
				break;
			case 2:
				t[at] = '\0';
				break;
			default:
				memmove(t + at, t + at + 1, len - at);
				break;
			}
		}
		if (sdp_parse_offer(t, &l, i & 1, &m, &err) == 0) {
			taken++;
			assert_true(m.port > 0 && m.port <= 65535);
			assert_true(m.nstreams >= 1 && m.nstreams <= SDP_MAX_STREAMS);
			assert_true(m.chosen >= 0 && m.chosen < m.nstreams);
			assert_true(m.kind == SDP_T38 || m.pt == 0 || m.pt == 8);
			sdp_answer(&l, &m, &a);
			/* the answer never carries a line break inside a line */
			for (size_t j = 0; j < a.len; j++)
				if (a.data[j] == '\n')
					assert_int_equal(a.data[j - 1], '\r');
				else if (a.data[j] == '\r')
					assert_int_equal(a.data[j + 1], '\n');
				else
					assert_true(a.data[j] >= ' ' && a.data[j] < 0x7f);
		} else {
			assert_true(err.len > 0);
		}
		buf_free(&err);
		buf_free(&a);
		free(t);
	}
	assert_true(taken > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_our_audio_offer),
	    cmocka_unit_test(test_our_t38_offer),
	    cmocka_unit_test(test_asterisk_audio),
	    cmocka_unit_test(test_t38_offers),
	    cmocka_unit_test(test_t38_variants),
	    cmocka_unit_test(test_several_streams),
	    cmocka_unit_test(test_direction),
	    cmocka_unit_test(test_ptime),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_answers),
	    cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
