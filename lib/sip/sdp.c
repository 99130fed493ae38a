/*
 * sdp.c - session descriptions: the offers and answers faxgate writes, and the far end's, read
 * with sofia-sip's SDP parser and reduced to the one stream a fax call uses.
 *
 * What we write is plain and conventional: G.711 with rtpmap lines and a=ptime:20, or T.38 over
 * UDPTL with every T38Fax* attribute spelled as T.38 annex D and RFC 4612 do. What we read comes
 * from many products, so attribute names are compared without case (T38MaxBitRate and
 * T38maxBitRate both occur), T38MaxDatagram is taken for T38FaxMaxDatagram, and the boolean
 * T38FaxFillBitRemoval is read both as a bare flag and with a value (":0" from Cisco means no).
 *
 * The far end's description is hostile: its size and m-line count are bounded, numbers are
 * checked digit by digit and clamped, and nothing it says is echoed into a reason phrase except
 * as printable ASCII, truncated.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/sdp.h>

#include "sip/sdp.h"
#include "util/buf.h"

#define SDP_MAX_TEXT       16384 /* bytes of a description we read */
#define SDP_T38_RATE       14400 /* V.17, spandsp's fastest */
#define SDP_T38_DATAGRAM   400   /* our T38FaxMaxDatagram when the caller gave none */
#define SDP_T38_MAX_BUFFER 2000  /* our T38FaxMaxBuffer: octets we hold before overflow */

/* ---- writing ---- */

static void sdp_head(const struct sdp_local *l, struct buf *out)
{
	buf_printf(out,
	           "v=0\r\n"
	           "o=faxgate %llu %llu IN IP4 %s\r\n"
	           "s=faxgate\r\n"
	           "c=IN IP4 %s\r\n"
	           "t=0 0\r\n",
	           (unsigned long long)l->sess_id, (unsigned long long)l->sess_version, l->addr, l->addr);
}

static int our_version(const struct sdp_local *l)
{
	return l->t38_version < 0 ? 0 : l->t38_version > 3 ? 3 : l->t38_version;
}

static int our_datagram(const struct sdp_local *l)
{
	return l->t38_max_datagram > 0 ? l->t38_max_datagram : SDP_T38_DATAGRAM;
}

static void put_rtpmap(struct buf *out, int pt)
{
	buf_printf(out, "a=rtpmap:%d %s/8000\r\n", pt, pt == 0 ? "PCMU" : "PCMA");
}

void sdp_offer(const struct sdp_local *l, enum sdp_kind kind, struct buf *out)
{
	sdp_head(l, out);
	if (kind == SDP_T38) {
		buf_printf(out,
		           "m=image %d udptl t38\r\n"
		           "a=T38FaxVersion:%d\r\n"
		           "a=T38MaxBitRate:%d\r\n"
		           "a=T38FaxRateManagement:transferredTCF\r\n"
		           "a=T38FaxMaxBuffer:%d\r\n"
		           "a=T38FaxMaxDatagram:%d\r\n"
		           "a=T38FaxUdpEC:t38UDPRedundancy\r\n",
		           l->port, our_version(l), SDP_T38_RATE, SDP_T38_MAX_BUFFER, our_datagram(l));
		return;
	}
	/* G.711 only: a trunk that allows neither law is a mistake; offer both rather than nothing */
	int codecs = l->codecs & (SDP_CODEC_PCMA | SDP_CODEC_PCMU);
	int pts[2], n = 0;

	if (!codecs)
		codecs = SDP_CODEC_PCMA | SDP_CODEC_PCMU;
	if (l->alaw_first && (codecs & SDP_CODEC_PCMA))
		pts[n++] = 8;
	if (codecs & SDP_CODEC_PCMU)
		pts[n++] = 0;
	if (!l->alaw_first && (codecs & SDP_CODEC_PCMA))
		pts[n++] = 8;
	buf_printf(out, "m=audio %d RTP/AVP", l->port);
	for (int i = 0; i < n; i++)
		buf_printf(out, " %d", pts[i]);
	buf_puts(out, "\r\n");
	for (int i = 0; i < n; i++)
		put_rtpmap(out, pts[i]);
	buf_puts(out, "a=ptime:20\r\na=sendrecv\r\n");
}

/* Our side of the far end's direction: what it sends we receive. */
static const char *mirror_mode(int mode)
{
	switch (mode & (SDP_SEND | SDP_RECV)) {
	case SDP_SEND:
		return "recvonly";
	case SDP_RECV:
		return "sendonly";
	case 0:
		return "inactive";
	default:
		return "sendrecv";
	}
}

static void answer_stream(const struct sdp_local *l, const struct sdp_media *m, struct buf *out)
{
	if (m->kind == SDP_T38) {
		buf_printf(out,
		           "m=image %d udptl t38\r\n"
		           "a=T38FaxVersion:%d\r\n"
		           "a=T38MaxBitRate:%d\r\n"
		           "a=T38FaxRateManagement:%s\r\n"
		           "a=T38FaxMaxBuffer:%d\r\n"
		           "a=T38FaxMaxDatagram:%d\r\n",
		           l->port, m->t38_version < our_version(l) ? m->t38_version : our_version(l),
		           m->t38_max_bitrate > 0 && m->t38_max_bitrate < SDP_T38_RATE ? m->t38_max_bitrate
		                                                                       : SDP_T38_RATE,
		           m->t38_transferred_tcf ? "transferredTCF" : "localTCF", SDP_T38_MAX_BUFFER,
		           our_datagram(l));
		if (m->t38_redundancy)
			buf_puts(out, "a=T38FaxUdpEC:t38UDPRedundancy\r\n");
		if ((m->mode & (SDP_SEND | SDP_RECV)) != (SDP_SEND | SDP_RECV))
			buf_printf(out, "a=%s\r\n", mirror_mode(m->mode));
		return;
	}
	int pt = m->pt == 0 ? 0 : 8;

	buf_printf(out, "m=audio %d RTP/AVP %d\r\n", l->port, pt);
	put_rtpmap(out, pt);
	buf_printf(out, "a=ptime:%d\r\na=%s\r\n", m->ptime >= 10 && m->ptime <= 60 ? m->ptime : 20,
	           mirror_mode(m->mode));
}

void sdp_answer(const struct sdp_local *l, const struct sdp_media *m, struct buf *out)
{
	sdp_head(l, out);
	if (m->nstreams <= 0 || m->nstreams > SDP_MAX_STREAMS) {
		answer_stream(l, m, out);
		return;
	}
	for (int i = 0; i < m->nstreams; i++) {
		const struct sdp_stream *s = &m->streams[i];

		if (i == m->chosen)
			answer_stream(l, m, out);
		else
			buf_printf(out, "m=%s 0 %s %s\r\n", s->type, s->proto, s->fmt);
	}
}

/* ---- reading ---- */

/* Hostile text into a reason or an m-line: printable ASCII only (spaces if allowed), at most max. */
static void put_safe(struct buf *b, const char *s, size_t max, bool spaces)
{
	size_t i;

	for (i = 0; s && s[i] && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		buf_putc(b, (c > ' ' && c < 0x7f) || (spaces && c == ' ') ? (char)c : '?');
	}
	if (s && s[i])
		buf_puts(b, "...");
}

static void copy_token(char *dst, size_t size, const char *s)
{
	size_t i = 0;

	for (; s && s[i] && i + 1 < size; i++)
		dst[i] = s[i] > ' ' && s[i] < 0x7f ? s[i] : '?';
	dst[i] = '\0';
	if (i == 0 && size > 1)
		strcpy(dst, size > 2 ? "0" : "");
}

/* A whole unsigned number (blanks around allowed), clamped to max; false when not a number. */
static bool parse_number(const char *s, long max, long *out)
{
	long v = 0;
	bool digits = false;

	if (!s)
		return false;
	s += strspn(s, " \t");
	for (; *s >= '0' && *s <= '9'; s++) {
		digits = true;
		v = v > max ? v : v * 10 + (*s - '0');
	}
	s += strspn(s, " \t");
	if (!digits || *s)
		return false;
	*out = v > max ? max : v;
	return true;
}

/* An attribute of the stream, else of the session: found, with its value (NULL for a flag). */
static bool attr_find(const sdp_media_t *mm, const char *name, const char **value)
{
	const sdp_attribute_t *lists[2] = {mm->m_attributes,
	                                   mm->m_session ? mm->m_session->sdp_attributes : NULL};

	for (int i = 0; i < 2; i++)
		for (const sdp_attribute_t *a = lists[i]; a; a = a->a_next)
			if (a->a_name && strcasecmp(a->a_name, name) == 0) {
				*value = a->a_value;
				return true;
			}
	return false;
}

static long attr_number(const sdp_media_t *mm, const char *name, long max, long missing)
{
	const char *v;
	long n;

	if (!attr_find(mm, name, &v) || !parse_number(v, max, &n))
		return missing;
	return n;
}

/* The connection address of a stream (its own c= or the session's) into m, or -1 with why. */
static int stream_address(const sdp_session_t *s, const sdp_media_t *mm, struct sdp_media *m, struct buf *why)
{
	const sdp_connection_t *c = mm->m_connections ? mm->m_connections : s->sdp_connection;
	struct in_addr a;

	if (!c || !c->c_address) {
		buf_puts(why, "no connection address (c=)");
		return -1;
	}
	if (c->c_nettype != sdp_net_in) {
		buf_puts(why, "not an Internet connection address");
		return -1;
	}
	if (c->c_addrtype == sdp_addr_ip6) {
		buf_puts(why, "IPv6 media is not supported");
		return -1;
	}
	if (c->c_mcast || c->c_groups > 1) {
		buf_puts(why, "multicast media is not supported");
		return -1;
	}
	if (c->c_addrtype != sdp_addr_ip4 || inet_pton(AF_INET, c->c_address, &a) != 1) {
		buf_puts(why, "connection address ");
		put_safe(why, c->c_address, 40, false);
		buf_puts(why, " is not an IPv4 address");
		return -1;
	}
	inet_ntop(AF_INET, &a, m->addr, sizeof(m->addr));
	return 0;
}

/* The first G.711 format of an RTP stream that allowed lets through, or -1 and what was offered. */
static int choose_g711(const sdp_media_t *mm, int allowed, struct sdp_media *m, struct buf *offered)
{
	int chosen = -1, listed = 0;

	m->dtmf_pt = -1;
	for (const sdp_rtpmap_t *rm = mm->m_rtpmaps; rm; rm = rm->rm_next) {
		const char *enc = rm->rm_encoding ? rm->rm_encoding : "";
		bool mono = !rm->rm_params || strcmp(rm->rm_params, "1") == 0;
		int law = -1;

		if (strcasecmp(enc, "telephone-event") == 0) {
			if (m->dtmf_pt < 0 && rm->rm_rate == 8000)
				m->dtmf_pt = rm->rm_pt;
			continue;
		}
		/* only the static numbers: our RTP sender and receiver know G.711 by them */
		if (rm->rm_pt == 0 && (!*enc || strcasecmp(enc, "PCMU") == 0))
			law = SDP_CODEC_PCMU;
		else if (rm->rm_pt == 8 && (!*enc || strcasecmp(enc, "PCMA") == 0))
			law = SDP_CODEC_PCMA;
		if (law > 0 && (allowed & law) && rm->rm_rate == 8000 && mono) {
			if (chosen < 0)
				chosen = rm->rm_pt;
			continue;
		}
		if (listed++ < 6) {
			buf_putc(offered, listed > 1 ? ' ' : '(');
			if (*enc)
				put_safe(offered, enc, 24, false);
			else
				buf_printf(offered, "%u", (unsigned)rm->rm_pt);
		}
	}
	if (listed > 6)
		buf_puts(offered, " ...");
	if (listed)
		buf_putc(offered, ')');
	return chosen;
}

static int eval_audio(const sdp_media_t *mm, int allowed, struct sdp_media *m, struct buf *why)
{
	struct buf offered = BUF_INIT;
	long ptime;

	m->kind = SDP_AUDIO;
	if (mm->m_proto == sdp_proto_srtp) {
		buf_puts(why, "encrypted RTP (RTP/SAVP) is not supported");
		return -1;
	}
	if (mm->m_proto != sdp_proto_rtp) {
		buf_puts(why, "transport ");
		put_safe(why, mm->m_proto_name, 24, false);
		buf_puts(why, " is not supported for audio");
		return -1;
	}
	m->pt = choose_g711(mm, allowed, m, &offered);
	if (m->pt < 0) {
		buf_puts(why, "no common codec");
		if (offered.len) {
			buf_puts(why, " ");
			buf_append(why, offered.data, offered.len);
		}
		buf_printf(why, "; we take %s%s%s", allowed & SDP_CODEC_PCMA ? "PCMA" : "",
		           (allowed & SDP_CODEC_PCMA) && (allowed & SDP_CODEC_PCMU) ? " " : "",
		           allowed & SDP_CODEC_PCMU ? "PCMU" : "");
		buf_free(&offered);
		return -1;
	}
	buf_free(&offered);
	ptime = attr_number(mm, "ptime", 1000, 20);
	m->ptime = ptime >= 10 && ptime <= 60 ? (int)ptime : 20;
	return 0;
}

static bool is_t38_format(const sdp_media_t *mm)
{
	for (const sdp_list_t *f = mm->m_format; f; f = f->l_next)
		if (f->l_text && strcasecmp(f->l_text, "t38") == 0)
			return true;
	return false;
}

/* A boolean T.38 attribute: the bare name is true; a value of 0, false or no says otherwise. */
static bool attr_flag(const sdp_media_t *mm, const char *name)
{
	const char *v;

	if (!attr_find(mm, name, &v))
		return false;
	if (!v)
		return true;
	v += strspn(v, " \t");
	return !(strncmp(v, "0", 1) == 0 || strncasecmp(v, "false", 5) == 0 || strncasecmp(v, "no", 2) == 0);
}

static int eval_t38(const sdp_media_t *mm, int allowed, int version, struct sdp_media *m, struct buf *why)
{
	static const int rates[] = {14400, 12000, 9600, 7200, 4800, 2400};
	const char *v;
	long n;

	m->kind = SDP_T38;
	if (!(allowed & SDP_CODEC_T38)) {
		buf_puts(why, "T.38 is not allowed on this trunk");
		return -1;
	}
	if (mm->m_proto == sdp_proto_tcp || mm->m_proto == sdp_proto_tls ||
	    (mm->m_proto_name && strncasecmp(mm->m_proto_name, "TCP", 3) == 0)) {
		buf_puts(why, "T.38 over TCP is not supported");
		return -1;
	}
	if (mm->m_proto != sdp_proto_udptl) {
		buf_puts(why, "transport ");
		put_safe(why, mm->m_proto_name, 24, false);
		buf_puts(why, " is not supported for T.38");
		return -1;
	}
	if (!is_t38_format(mm)) {
		buf_puts(why, "image stream without the t38 format");
		return -1;
	}
	n = attr_number(mm, "T38FaxVersion", 255, 0);
	m->t38_version = n < version ? (int)n : version;
	/* the fastest standard rate not above theirs (an odd number is rounded down) */
	n = attr_number(mm, "T38MaxBitRate", 1000000, SDP_T38_RATE);
	m->t38_max_bitrate = rates[sizeof(rates) / sizeof(rates[0]) - 1];
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		if (rates[i] <= n) {
			m->t38_max_bitrate = rates[i];
			break;
		}
	/* over UDP the TCF must be transferred (T.38 annex D); assume so when not said */
	m->t38_transferred_tcf = !(attr_find(mm, "T38FaxRateManagement", &v) && v &&
	                           strcasecmp(v + strspn(v, " \t"), "localTCF") == 0);
	m->t38_max_buffer = (int)attr_number(mm, "T38FaxMaxBuffer", 65535, 0);
	n = attr_number(mm, "T38FaxMaxDatagram", 65535, -1);
	if (n < 0)
		n = attr_number(mm, "T38MaxDatagram", 65535, 0);
	m->t38_max_datagram = (int)n;
	m->t38_fec = false;
	m->t38_redundancy = false;
	if (attr_find(mm, "T38FaxUdpEC", &v) && v) {
		v += strspn(v, " \t");
		m->t38_fec = strcasecmp(v, "t38UDPFEC") == 0;
		m->t38_redundancy = m->t38_fec || strcasecmp(v, "t38UDPRedundancy") == 0;
	}
	/* what they asked for; we never remove fill bits, so the answer leaves it out */
	m->t38_fill_bit_removal = attr_flag(mm, "T38FaxFillBitRemoval");
	return 0;
}

/*
 * Whether one m-line is usable (allowed: the SDP_CODEC_* we take): 0 with *m filled, -1 with the
 * reason in why.
 */
static int stream_eval(const sdp_session_t *s, const sdp_media_t *mm, int allowed, int version,
                       struct sdp_media *m, struct buf *why)
{
	memset(m, 0, sizeof(*m));
	m->dtmf_pt = -1;
	m->ptime = 20;
	if (mm->m_type != sdp_media_audio && mm->m_type != sdp_media_image) {
		put_safe(why, mm->m_type_name, 24, false);
		buf_puts(why, " is not supported");
		return -1;
	}
	if (mm->m_port == 0 || mm->m_rejected) {
		buf_puts(why, "declined (port 0)");
		return -1;
	}
	if (mm->m_port > 65535) {
		buf_puts(why, "port out of range");
		return -1;
	}
	if (mm->m_number_of_ports > 1) {
		buf_puts(why, "several ports are not supported");
		return -1;
	}
	m->port = (int)mm->m_port;
	if (mm->m_type == sdp_media_audio ? eval_audio(mm, allowed, m, why) < 0
	                                  : eval_t38(mm, allowed, version, m, why) < 0)
		return -1;
	if (stream_address(s, mm, m, why) < 0)
		return -1;
	m->mode = (int)mm->m_mode & (SDP_SEND | SDP_RECV);
	m->active = m->mode == (SDP_SEND | SDP_RECV) && strcmp(m->addr, "0.0.0.0") != 0;
	return 0;
}

static void stream_record(const sdp_media_t *mm, struct sdp_stream *st)
{
	const char *fmt = NULL;
	char num[8];

	copy_token(st->type, sizeof(st->type), mm->m_type_name);
	copy_token(st->proto, sizeof(st->proto), mm->m_proto_name);
	if (mm->m_rtpmaps) {
		snprintf(num, sizeof(num), "%u", (unsigned)mm->m_rtpmaps->rm_pt);
		fmt = num;
	} else if (mm->m_format) {
		fmt = mm->m_format->l_text;
	}
	copy_token(st->fmt, sizeof(st->fmt), fmt);
}

#define SDP_TOKEN "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-!#$%&'*+.^_`{|}~"

/* A word of an m-line: n characters, all of chars (and at least one). */
static bool word_of(const char *w, size_t n, const char *chars)
{
	return n > 0 && strspn(w, chars) >= n;
}

/* "media port[/count] proto fmt...": each word of the characters sofia's parser expects. */
static bool m_line_ok(const char *v, size_t len)
{
	const char *end = v + len;
	int word = 0;

	while (v < end) {
		size_t n;

		v += strspn(v, " \t");
		if (v >= end)
			break;
		n = strcspn(v, " \t\r\n");
		if (v + n > end)
			n = (size_t)(end - v);
		switch (word++) {
		case 0:
			if (!word_of(v, n, SDP_TOKEN))
				return false;
			break;
		case 1: {
			size_t d = strspn(v, "0123456789");

			if (d == 0 ||
			    (d < n && (v[d] != '/' || !word_of(v + d + 1, n - d - 1, "0123456789"))))
				return false;
			break;
		}
		case 2:
			if (!word_of(v, n, SDP_TOKEN "/"))
				return false;
			break;
		default:
			if (!word_of(v, n, SDP_TOKEN))
				return false;
			break;
		}
		v += n;
	}
	return word >= 3;
}

/*
 * Lines sofia-sip 1.12.11 (Debian 12) must not see: a line of one character (it reads past
 * the end of its copy of the text) and an m-line whose format list holds a character outside
 * the token set (it loops forever, allocating). Both fixed upstream in 2022, not in Debian.
 */
static bool sdp_lines_ok(const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		size_t n;

		p += strspn(p, " \t");
		n = strcspn(p, "\r\n");
		if (p + n > end)
			n = (size_t)(end - p);
		if (n > 0 && (n < 2 || p[1] != '='))
			return false;
		if (n > 0 && p[0] == 'm' && !m_line_ok(p + 2, n - 2))
			return false;
		p += n;
		p += strspn(p, "\r\n");
	}
	return true;
}

/* Parse text: the session, or NULL with why (the parser freed by the caller in any case). */
static sdp_session_t *sdp_read(const char *text, sdp_parser_t **parser, struct buf *err)
{
	size_t len = text ? strnlen(text, SDP_MAX_TEXT + 1) : 0;
	sdp_session_t *s;
	int count = 0;

	*parser = NULL;
	if (len == 0) {
		buf_puts(err, "no session description");
		return NULL;
	}
	if (len > SDP_MAX_TEXT) {
		buf_printf(err, "session description longer than %d bytes", SDP_MAX_TEXT);
		return NULL;
	}
	if (!sdp_lines_ok(text, len)) {
		buf_puts(err, "the session description cannot be read: a malformed line");
		return NULL;
	}
	/* c= is checked per stream here: a stream we decline anyway may lack it */
	*parser = sdp_parse(NULL, text, (issize_t)len, sdp_f_c_missing);
	s = sdp_session(*parser);
	if (!s) {
		const char *e = sdp_parsing_error(*parser);

		buf_puts(err, "the session description cannot be read: ");
		put_safe(err, e ? e : "out of memory", 80, true);
		return NULL;
	}
	for (const sdp_media_t *mm = s->sdp_media; mm; mm = mm->m_next)
		count++;
	if (count == 0) {
		buf_puts(err, "no media stream in the session description");
		return NULL;
	}
	if (count > SDP_MAX_STREAMS) {
		buf_printf(err, "too many media streams (%d, at most %d)", count, SDP_MAX_STREAMS);
		return NULL;
	}
	return s;
}

int sdp_parse_offer(const char *text, const struct sdp_local *l, bool want_t38, struct sdp_media *m,
                    struct buf *err)
{
	struct buf why = BUF_INIT;
	sdp_parser_t *parser;
	sdp_session_t *s = sdp_read(text, &parser, err);
	struct sdp_media cand;
	int want = want_t38 && (l->codecs & SDP_CODEC_T38) ? sdp_media_image : sdp_media_audio;
	int pick = -1, first_other = -1, i, rc = -1;

	if (!s)
		goto out;
	/* the first usable stream of the wanted kind, else the first usable one of the other */
	i = 0;
	for (const sdp_media_t *mm = s->sdp_media; mm; mm = mm->m_next, i++) {
		size_t before = why.len;

		buf_printf(&why, "%s%d (", why.len ? "; " : "", i + 1);
		put_safe(&why, mm->m_type_name, 24, false);
		buf_puts(&why, "): ");
		if (stream_eval(s, mm, l->codecs, our_version(l), &cand, &why) == 0) {
			why.len = before;
			why.data[before] = '\0';
			if ((int)mm->m_type == want) {
				pick = i;
				*m = cand;
				break;
			}
			if (first_other < 0) {
				first_other = i;
				*m = cand;
			}
		}
	}
	if (pick < 0)
		pick = first_other;
	if (pick < 0) {
		buf_puts(err, "no usable media stream: ");
		buf_append(err, why.data, why.len);
		goto out;
	}
	m->nstreams = 0;
	for (const sdp_media_t *mm = s->sdp_media; mm; mm = mm->m_next)
		stream_record(mm, &m->streams[m->nstreams++]);
	m->chosen = pick;
	rc = 0;
out:
	buf_free(&why);
	sdp_parser_free(parser);
	return rc;
}

int sdp_parse_answer(const char *text, enum sdp_kind kind, const struct sdp_local *l, struct sdp_media *m,
                     struct buf *err)
{
	sdp_parser_t *parser;
	sdp_session_t *s = sdp_read(text, &parser, err);
	sdp_media_e type = kind == SDP_T38 ? sdp_media_image : sdp_media_audio;
	const char *what = kind == SDP_T38 ? "T.38" : "audio";
	const sdp_media_t *mm;
	struct buf why = BUF_INIT;
	int i = 0, offered, rc = -1;

	if (!s)
		goto out;
	for (mm = s->sdp_media; mm && mm->m_type != type; mm = mm->m_next)
		i++;
	if (!mm) {
		buf_printf(err, "the answer has no %s stream", what);
		goto out;
	}
	if (mm->m_port == 0 || mm->m_rejected) {
		buf_printf(err, "the far end declined %s", what);
		goto out;
	}
	/* what we offered: the G.711 laws of the trunk (both when it named none), or T.38 */
	offered = kind == SDP_T38 ? SDP_CODEC_T38 : l->codecs & (SDP_CODEC_PCMA | SDP_CODEC_PCMU);
	if (!offered)
		offered = SDP_CODEC_PCMA | SDP_CODEC_PCMU;
	if (stream_eval(s, mm, offered, our_version(l), m, &why) < 0) {
		buf_printf(err, "unusable %s answer: ", what);
		buf_append(err, why.data, why.len);
		goto out;
	}
	m->nstreams = 0;
	for (const sdp_media_t *x = s->sdp_media; x; x = x->m_next)
		stream_record(x, &m->streams[m->nstreams++]);
	m->chosen = i;
	rc = 0;
out:
	buf_free(&why);
	sdp_parser_free(parser);
	return rc;
}
