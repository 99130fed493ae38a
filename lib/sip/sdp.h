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

struct sdp_media {
	enum sdp_kind kind;
	char addr[64]; /* IPv4 address, dotted */
	int port;
	/* audio */
	int pt;        /* the G.711 payload type chosen: 0 PCMU or 8 PCMA */
	int ptime;     /* ms, 20 when not given */
	int dtmf_pt;   /* telephone-event payload type offered, -1 none (we never send it) */
	/* T.38 */
	int t38_version;
	int t38_max_bitrate;
	int t38_max_datagram;  /* T38FaxMaxDatagram, 0 not given */
	int t38_max_buffer;    /* T38FaxMaxBuffer, 0 not given */
	bool t38_transferred_tcf; /* T38FaxRateManagement:transferredTCF */
	bool t38_fill_bit_removal;
	bool t38_redundancy;   /* T38FaxUdpEC: t38UDPRedundancy (else FEC or none) */
	bool t38_fec;
	/* direction: false when a=inactive / sendonly / recvonly asked us to hold */
	bool active;
};

/* What we offer or answer with. */
struct sdp_local {
	const char *addr;  /* our media address (IPv4) */
	int port;
	uint64_t sess_id, sess_version; /* o= line; the version grows with every new offer */
	int codecs;        /* SDP_CODEC_* allowed */
	bool alaw_first;   /* PCMA before PCMU in an offer */
	int t38_max_datagram; /* what we can take */
	int t38_version;      /* highest we speak (0) */
};

/* An offer: audio (codecs in order) or T.38 (a re-INVITE). */
void sdp_offer(const struct sdp_local *l, enum sdp_kind kind, struct buf *out);
/*
 * Parse an offer and choose: the first usable stream of a kind we allow (l->codecs), audio
 * preferred unless want_t38. 0 and *m filled, or -1 with the reason in err.
 */
int sdp_parse_offer(const char *text, const struct sdp_local *l, bool want_t38, struct sdp_media *m,
                    struct buf *err);
/* The answer to an offer we accepted (m as chosen by sdp_parse_offer). */
void sdp_answer(const struct sdp_local *l, const struct sdp_media *m, struct buf *out);
/* Parse the answer to our offer of kind: 0 and *m, or -1 with the reason in err. */
int sdp_parse_answer(const char *text, enum sdp_kind kind, const struct sdp_local *l, struct sdp_media *m,
                     struct buf *err);

#endif
