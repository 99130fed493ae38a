/*
 * rtp_int.h - the RTP packet reader (rtp.c) used by the jitter buffer (jitter.c): one
 * received datagram checked against RFC 3550 section 5.1 and reduced to what the receiver uses.
 */
#ifndef FAXGATE_RTP_RTP_INT_H
#define FAXGATE_RTP_RTP_INT_H

#include <stddef.h>
#include <stdint.h>

struct rtp_packet {
	int pt;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	const uint8_t *payload; /* inside the datagram; CSRCs, extension and padding left out */
	size_t payload_len;
};

/* 0 and *p, or -1 when the datagram is not a well-formed RTP version 2 packet. */
int rtp_packet_parse(const uint8_t *pkt, size_t len, struct rtp_packet *p);

#endif
