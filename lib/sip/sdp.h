/*
 * sdp.h - the session descriptions faxgate offers and answers (RFC 4566, RFC 3264 offer/answer):
 * one media stream, either G.711 audio over RTP or T.38 over UDPTL (ITU-T T.38 annex D).
 *
 * Remote SDP is hostile input: it is parsed with sofia-sip's SDP parser and reduced to struct
 * sdp_media; anything we cannot use (no IPv4 connection address, port 0, no common codec, TCP
 * transport for T.38) makes the parse say so in words, which become the 488 reason.
 */
#ifndef FAXGATE_SIP_SDP_H
#define FAXGATE_SIP_SDP_H

#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"

enum sdp_kind { SDP_AUDIO, SDP_T38 };

/* Codec preference bits (a trunk's codecs=...): */
#define SDP_CODEC_PCMA 1
#define SDP_CODEC_PCMU 2
#define SDP_CODEC_T38  4

#define SDP_MAX_STREAMS 8 /* m-lines taken in one description; more is refused */

/* One m-line of an offer as it was, enough to decline it in the answer (RFC 3264 6). */
struct sdp_stream {
	char type[24];  /* "audio", "image", "video", ... */
	char proto[24]; /* "RTP/AVP", "udptl", ... */
	char fmt[24];   /* its first format */
};

/* Direction bits, as the far end sees it: */
#define SDP_SEND 1 /* it sends to us */
#define SDP_RECV 2 /* it takes what we send */

/*
 * The stream chosen. After sdp_parse_offer or sdp_parse_answer the codec and T.38 fields hold
 * what was agreed (what our answer says, or what the far end answered), except t38_max_datagram
 * and t38_max_buffer, which are the far end's limits (what our UDPTL sender must keep to).
 */
struct sdp_media {
	enum sdp_kind kind;
	char addr[64]; /* IPv4 address, dotted */
	int port;
	/* audio */
	int pt;      /* the G.711 payload type chosen: 0 PCMU or 8 PCMA */
	int ptime;   /* ms (10..60) the far end wants to receive, 20 when not given */
	int dtmf_pt; /* telephone-event payload type offered, -1 none (we never send it) */
	/* T.38 */
	int t38_version;           /* min(ours, theirs) */
	int t38_max_bitrate;       /* fastest of 2400..14400 not above theirs; 14400 when not given */
	int t38_max_datagram;      /* their T38FaxMaxDatagram, 0 not given */
	int t38_max_buffer;        /* their T38FaxMaxBuffer, 0 not given */
	bool t38_transferred_tcf;  /* T38FaxRateManagement:transferredTCF (else localTCF) */
	bool t38_fill_bit_removal; /* the far end asked for it (never agreed: we do not remove fill bits) */
	bool t38_redundancy; /* error correction agreed: we send redundancy (asked for: redundancy or FEC) */
	bool t38_fec;        /* the far end asked for FEC (we read it, send redundancy) */
	/* direction: false when a=inactive / sendonly / recvonly (or c=0.0.0.0) asked us to hold */
	bool active;
	int mode; /* SDP_SEND | SDP_RECV as the far end declared; the answer mirrors it */
	/* the offer's m-lines in order (sdp_parse_offer): the answer declines all but chosen */
	int nstreams; /* 0: answer with the chosen stream alone */
	int chosen;
	struct sdp_stream streams[SDP_MAX_STREAMS];
};

/* What we offer or answer with. */
struct sdp_local {
	const char *addr; /* our media address (IPv4) */
	int port;
	uint64_t sess_id, sess_version; /* o= line; the version grows with every new offer */
	int codecs;                     /* SDP_CODEC_* allowed */
	bool alaw_first;                /* PCMA before PCMU in an offer */
	int t38_max_datagram;           /* what we can take (T38FaxMaxDatagram), 0: 400 */
	int t38_version;                /* highest we speak (0..3) */
};

/*
 * An offer, appended to out: audio (the G.711 laws of l->codecs, PCMA first if alaw_first; both
 * when it names neither) or T.38 (a re-INVITE). Reasons below are appended to err too.
 */
void sdp_offer(const struct sdp_local *l, enum sdp_kind kind, struct buf *out);
/*
 * Parse an offer and choose: the first usable stream of a kind we allow (l->codecs), audio
 * preferred unless want_t38; the other kind when the preferred one is not there. Of the G.711
 * codecs the first in the offer's order that we allow. 0 and *m filled, or -1 with the reason in
 * err (words for a 488, e.g. "no usable media stream: audio: no common codec (offered G729)").
 */
int sdp_parse_offer(const char *text, const struct sdp_local *l, bool want_t38, struct sdp_media *m,
                    struct buf *err);
/*
 * The answer to an offer we accepted (m as chosen by sdp_parse_offer), appended to out: one
 * m-line for each of the offer's, in its order, port 0 on those declined. The chosen one names
 * the one codec agreed (never telephone-event) and mirrors the offer's direction and ptime; for
 * T.38 it echoes min(our, their) version and bit rate, their rate management, our
 * T38FaxMaxDatagram, and t38UDPRedundancy when they asked for redundancy or FEC.
 */
void sdp_answer(const struct sdp_local *l, const struct sdp_media *m, struct buf *out);
/*
 * Parse the answer to our offer of kind (its m-line of that kind; port 0 there means declined):
 * 0 and *m, or -1 with the reason in err.
 */
int sdp_parse_answer(const char *text, enum sdp_kind kind, const struct sdp_local *l, struct sdp_media *m,
                     struct buf *err);

#endif
