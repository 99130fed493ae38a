/*
 * line_sip.c - faxd's lines over SIP trunks: the driver's entry points, the 20 ms clock and the
 * media (G.711 over RTP, T.38 over UDPTL). Signalling is in line_sip_call.c.
 *
 * The clock is a timerfd: faxd polls it as the driver's descriptor. Each expiry is one tick: sofia
 * runs without waiting, every call's socket is read, and then, call by call, faxd gets its media
 * events. An audio call gets one AUDIO block (from the jitter buffer) per 20 ms that passed, each
 * answered by faxd at once; a T.38 call gets the IFP packets that arrived, in order, then a TICK.
 *
 * What faxd answers is not sent from here: it is queued for the sender thread
 * (line_sip_pacer.c), which sends on its own steady 20 ms clock. faxd's thread may then overrun a
 * tick (a page image written by spandsp, a commit to the queue) without a packet leaving late;
 * the audio is 80 ms later for it.
 */
#include "line/line_sip_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <spandsp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/xalloc.h"

#define LSIP_TICK_NS    20000000LL
#define LSIP_BLOCK      160
#define LSIP_MAX_LATE   LSIP_OUTQ /* ticks made up in one go when faxd fell behind: the sender's queue */
#define LSIP_SIP_STEPS  200 /* most turns of sofia's loop a tick */
#define LSIP_IDLE_TURN_NS 8000 /* a turn this short found nothing to do */
#define LSIP_NEW_PER_TICK 8    /* incoming calls offered to faxd in one tick (400 a second) */
#define LSIP_GAP_MS     200 /* a UDPTL gap is given up after this */
#define LSIP_RX_BATCH   16 /* datagrams read per call and tick */

int64_t lsip_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t lsip_now_ms(void)
{
	return lsip_mono_ns() / 1000000;
}

struct lsip_pending *lsip_push(struct line_sip *s, enum line_event_type type, int line)
{
	static struct lsip_pending lost;
	struct lsip_pending *p;

	if (s->pend_count == s->pend_cap) {
		/* faxd takes every event each time round its loop: this never fills unless it is stuck */
		log_error("SIP: %d events not taken by faxd: one dropped", s->pend_count);
		p = &lost;
	} else {
		p = &s->pend[(s->pend_head + s->pend_count++) % s->pend_cap];
	}
	memset(p, 0, sizeof(*p));
	p->type = type;
	p->line = line;
	return p;
}

static bool lsip_pop(struct line_sip *s, struct line_event *out)
{
	const struct lsip_pending *p;

	if (s->pend_count == 0)
		return false;
	p = &s->pend[s->pend_head];
	out->type = p->type;
	out->line = p->line;
	memcpy(out->caller, p->caller, sizeof(out->caller));
	memcpy(out->called, p->called, sizeof(out->called));
	out->subaddress[0] = 0;
	out->nsamples = 0;
	out->t38 = p->t38;
	s->pend_head = (s->pend_head + 1) % s->pend_cap;
	s->pend_count--;
	return true;
}

/* ---- media ---- */

int lsip_media_open(struct line_sip *s, int line, struct buf *err)
{
	struct lsip_line *l = &s->lines[line];
	int span = (s->port_max - s->port_min + 1) / 2;

	if (l->sock >= 0)
		return 0;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		buf_printf(err, "socket: %s", strerror(errno));
		return -1;
	}
	/* bound to the address SIP listens on (all when 0.0.0.0): sip_media_address is only what SDP
	 * announces, which behind NAT is not ours */
	for (int tries = 0; tries < span; tries++) {
		int port = s->port_min + ((s->next_port++ % span) * 2);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
		inet_pton(AF_INET, s->listen_addr, &a.sin_addr);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			l->sock = fd;
			l->port = port;
			return 0;
		}
		if (errno != EADDRINUSE)
			break;
	}
	buf_printf(err, "no UDP port for the media between %d and %d: %s", s->port_min, s->port_max,
	           strerror(errno));
	close(fd);
	return -1;
}

/* Tone detector callback: a fax tone (CNG, CED or the V.21 preamble) on a line. */
static void lsip_tone_heard(void *user, int tone, int level, int delay)
{
	struct lsip_line *l = user;

	(void)level;
	(void)delay;
	if (tone == MODEM_CONNECT_TONES_FAX_CNG || tone == MODEM_CONNECT_TONES_FAX_CED ||
	    tone == MODEM_CONNECT_TONES_FAX_PREAMBLE || tone == MODEM_CONNECT_TONES_FAX_CED_OR_PREAMBLE)
		l->tone_heard = true;
}

void lsip_media_start(struct line_sip *s, int line, const struct sdp_media *m)
{
	struct lsip_line *l = &s->lines[line];

	l->sdp = *m;
	memset(&l->remote, 0, sizeof(l->remote));
	l->remote.sin_family = AF_INET;
	l->remote.sin_port = htons((uint16_t)m->port);
	inet_pton(AF_INET, m->addr, &l->remote.sin_addr);
	if (m->kind == SDP_T38) {
		if (l->rrx_on)
			rtp_rx_free(&l->rrx);
		l->rrx_on = false;
		if (l->media == LSIP_MEDIA_T38) {
			/* a refresh or a moved stream: the packets' numbering goes on, or the far end would
			 * drop ours as old and we theirs */
			l->utx.max_datagram = m->t38_max_datagram;
		} else {
			udptl_tx_init(&l->utx, s->t38_redundancy, m->t38_max_datagram);
			udptl_rx_init(&l->urx);
			l->held_since_ms = 0;
			l->t38_announce = true;
		}
		l->media = LSIP_MEDIA_T38;
		if (l->tones)
			modem_connect_tones_rx_free(l->tones);
		l->tones = NULL;
		lsip_pacer_attach(&s->pacer, line, l->sock, &l->remote, true);
		return;
	}
	lsip_pacer_attach(&s->pacer, line, l->sock, &l->remote, false);
	if (l->media == LSIP_MEDIA_AUDIO && l->rrx_on && l->rrx.pt == m->pt)
		return; /* the same stream (a refresh, or moved): keep the buffer */
	if (l->rrx_on)
		rtp_rx_free(&l->rrx);
	rtp_tx_init(&l->rtx, m->pt);
	rtp_rx_init(&l->rrx, m->pt, s->jitter_ms);
	l->rrx_on = true;
	l->media = LSIP_MEDIA_AUDIO;
	/* the sender's cushion: faxd's thread may fall behind this much before a tick goes empty */
	for (int k = 0; k < LSIP_CUSHION; k++) {
		static const int16_t silence[LSIP_BLOCK];
		uint8_t pkt[RTP_MAX_PACKET];
		int n = rtp_tx_build(&l->rtx, silence, LSIP_BLOCK, pkt, sizeof(pkt));
		if (n > 0)
			lsip_pacer_push(&s->pacer, line, pkt, (size_t)n);
	}
	/* Listen for the other side's fax tone: the caller hears CED or the answerer's preamble,
	 * the answerer hears the caller's CNG. */
	if (s->t38 && (s->trunks.t[l->call ? l->call->trunk : 0].codecs & SDP_CODEC_T38) &&
	    l->hint != LINE_MEDIA_G711 && !l->tones && l->call)
		l->tones = modem_connect_tones_rx_init(NULL,
		                                       l->call->outgoing ? MODEM_CONNECT_TONES_FAX_CED_OR_PREAMBLE
		                                                         : MODEM_CONNECT_TONES_FAX_CNG,
		                                       lsip_tone_heard, l);
}

void lsip_media_stop(struct line_sip *s, int line)
{
	struct lsip_line *l = &s->lines[line];

	if (l->media == LSIP_MEDIA_T38)
		log_info("SIP: line %d: UDPTL: %lu datagrams in, %lu damaged, %lu packets recovered from redundancy, "
		         "%lu lost",
		         line, l->urx.datagrams, l->urx.bad, l->urx.recovered, l->urx.lost);
	else if (l->rrx_on)
		log_info("SIP: line %d: RTP: %lu packets in, %lu damaged, %lu late, %lu ms filled in", line,
		         l->rrx.packets, l->rrx.bad, l->rrx.late, l->rrx.concealed / 8);
	if (l->rrx_on)
		rtp_rx_free(&l->rrx);
	l->rrx_on = false;
	if (l->tones)
		modem_connect_tones_rx_free(l->tones);
	l->tones = NULL;
	if (l->sock >= 0) {
		lsip_pacer_detach(&s->pacer, line);
		close(l->sock);
	}
	l->sock = -1;
	l->port = 0;
	l->media = LSIP_MEDIA_NONE;
	l->owed = 0;
	l->blocks_left = 0;
	l->t38_announce = false;
}

void lsip_sdp_local(struct line_sip *s, int line, struct sdp_local *out)
{
	struct lsip_line *l = &s->lines[line];
	const struct trunk *t = &s->trunks.t[l->call ? l->call->trunk : 0];

	memset(out, 0, sizeof(*out));
	out->addr = s->media_addr;
	out->port = l->port;
	out->sess_id = (uint64_t)(line + 1) * 1000003u + (uint64_t)l->port;
	out->sess_version = ++l->sdp_version;
	out->codecs = t->codecs & (s->t38 ? ~0 : ~SDP_CODEC_T38);
	out->alaw_first = t->alaw_first;
	out->t38_max_datagram = s->t38_max_datagram;
	out->t38_version = 0;
}

/*
 * Read what arrived on every call's socket: one recvmmsg a call and tick (a flood cannot starve the
 * other calls). Datagrams from any address but the far end's media address are dropped.
 */
static void lsip_media_read(struct line_sip *s)
{
	static uint8_t pkt[LSIP_RX_BATCH][UDPTL_MAX_DATAGRAM + 64];
	struct mmsghdr msg[LSIP_RX_BATCH];
	struct iovec iov[LSIP_RX_BATCH];
	struct sockaddr_in from[LSIP_RX_BATCH];

	for (int i = 0; i < s->base.count; i++) {
		struct lsip_line *l = &s->lines[i];
		int n;
		if (l->sock < 0)
			continue;
		memset(msg, 0, sizeof(msg));
		for (int k = 0; k < LSIP_RX_BATCH; k++) {
			iov[k].iov_base = pkt[k];
			iov[k].iov_len = sizeof(pkt[k]);
			msg[k].msg_hdr.msg_iov = &iov[k];
			msg[k].msg_hdr.msg_iovlen = 1;
			msg[k].msg_hdr.msg_name = &from[k];
			msg[k].msg_hdr.msg_namelen = sizeof(from[k]);
		}
		n = recvmmsg(l->sock, msg, LSIP_RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0 || l->state != LSIP_CONNECTED)
			continue;
		for (int k = 0; k < n; k++) {
			if (from[k].sin_addr.s_addr != l->remote.sin_addr.s_addr)
				continue;
			if (l->media == LSIP_MEDIA_AUDIO)
				rtp_rx_put(&l->rrx, pkt[k], msg[k].msg_len);
			else if (l->media == LSIP_MEDIA_T38)
				udptl_rx_put(&l->urx, pkt[k], msg[k].msg_len);
		}
	}
}

/* ---- the tick ---- */

/* A timer expiry: run sofia, read the sockets, and get ready to hand out media events. */
static void lsip_tick(struct line_sip *s, uint64_t expiries)
{
	int64_t now = lsip_now_ms();

	if (expiries > LSIP_CUSHION)
		log_info("SIP: faxd's thread fell %d ms behind the media clock", (int)(expiries - 1) * 20);
	s->tick_blocks = (int)(expiries > LSIP_MAX_LATE ? LSIP_MAX_LATE : expiries);
	s->tick_samples = LSIP_BLOCK * s->tick_blocks;
	/*
	 * sofia handles about one datagram a turn of its loop: turn it until two turns in a row found
	 * nothing to do (a turn with nothing costs one epoll_wait), so a burst of calls is taken
	 * within the tick, never more than LSIP_SIP_STEPS turns. New calls are taken at most
	 * LSIP_NEW_PER_TICK a tick: answering one costs faxd a few milliseconds (a fax session, a
	 * write to the queue), and a burst of them in one tick would hold up every call's audio.
	 */
	s->offered = 0;
	for (int k = 0, idle = 0; k < LSIP_SIP_STEPS && idle < 2 && s->offered < LSIP_NEW_PER_TICK; k++) {
		int64_t t0 = lsip_mono_ns();
		su_root_step(s->root, 0);
		idle = lsip_mono_ns() - t0 < LSIP_IDLE_TURN_NS ? idle + 1 : 0;
	}
	if (now / 1000 != s->last_second) {
		s->last_second = now / 1000;
		lsip_calls_second(s);
	}
	lsip_media_read(s);
	for (int i = 0; i < s->base.count; i++)
		s->lines[i].blocks_left = s->tick_blocks;
	s->tick_cursor = 0;
}

/* Media events of the tick being served, line after line: 1 with an event, 0 when done. */
static int lsip_media_event(struct line_sip *s, struct line_event *ev)
{
	while (s->tick_cursor < s->base.count) {
		int i = s->tick_cursor;
		struct lsip_line *l = &s->lines[i];

		if (l->state != LSIP_CONNECTED || l->media == LSIP_MEDIA_NONE) {
			s->tick_cursor++;
			continue;
		}
		if (l->media == LSIP_MEDIA_T38) {
			int len;
			uint16_t seq;
			if (l->t38_announce) {
				l->t38_announce = false;
				ev->type = LINE_EV_T38;
				ev->line = i;
				ev->t38.version = l->sdp.t38_version;
				ev->t38.max_bitrate = l->sdp.t38_max_bitrate;
				ev->t38.transferred_tcf = l->sdp.t38_transferred_tcf;
				ev->t38.fill_bit_removal = l->sdp.t38_fill_bit_removal;
				return 1;
			}
			if (udptl_rx_held(&l->urx) > 0) {
				/* T.38 goes quiet while one side waits: a gap the window never fills is given
				 * up after a while, so the packets behind it are not held for ever */
				int64_t now = lsip_now_ms();
				if (!l->held_since_ms)
					l->held_since_ms = now;
				else if (now - l->held_since_ms > LSIP_GAP_MS)
					udptl_rx_give_up(&l->urx);
			} else {
				l->held_since_ms = 0;
			}
			if (udptl_rx_get(&l->urx, ev->ifp, sizeof(ev->ifp), &len, &seq) == 1) {
				ev->type = LINE_EV_IFP;
				ev->line = i;
				ev->ifp_len = len;
				ev->seq = seq;
				return 1;
			}
			s->tick_cursor++;
			ev->type = LINE_EV_TICK;
			ev->line = i;
			ev->nsamples = s->tick_samples;
			return 1;
		}
		if (l->blocks_left <= 0 || l->owed > LSIP_MAX_LATE) {
			/* done, or faxd is not answering this line: do not pile up blocks */
			s->tick_cursor++;
			continue;
		}
		l->blocks_left--;
		ev->type = LINE_EV_AUDIO;
		ev->line = i;
		ev->nsamples = LSIP_BLOCK;
		rtp_rx_get(&l->rrx, ev->samples, ev->nsamples);
		if (l->tones)
			modem_connect_tones_rx(l->tones, ev->samples, ev->nsamples);
		if ((l->tone_heard || l->hint == LINE_MEDIA_T38_AT_ONCE) && !l->t38_tried)
			lsip_call_want_t38(s, i);
		l->owed++;
		return 1;
	}
	return 0;
}

/* ---- the driver's entry points ---- */

static int lsip_next_event(struct line_driver *d, struct line_event *ev)
{
	struct line_sip *s = (struct line_sip *)d;
	uint64_t expiries;

	ev->type = LINE_EV_NONE;
	ev->line = -1;
	for (;;) {
		if (lsip_pop(s, ev))
			return 1;
		if (lsip_media_event(s, ev) == 1)
			return 1;
		if (read(s->tfd, &expiries, sizeof(expiries)) != sizeof(expiries))
			break;
		lsip_tick(s, expiries);
	}
	ev->type = LINE_EV_NONE;
	return 0;
}

static int lsip_fd(const struct line_driver *d)
{
	return ((const struct line_sip *)d)->tfd;
}

static int lsip_send_audio(struct line_driver *d, int line, const int16_t *samples, int n)
{
	struct line_sip *s = (struct line_sip *)d;
	struct lsip_line *l = &s->lines[line];
	uint8_t pkt[RTP_MAX_PACKET];
	int len;

	if (l->owed <= 0)
		return -1;
	l->owed--;
	if (l->media != LSIP_MEDIA_AUDIO || l->state != LSIP_CONNECTED)
		return 0;
	len = rtp_tx_build(&l->rtx, samples, n, pkt, sizeof(pkt));
	if (len > 0)
		lsip_pacer_push(&s->pacer, line, pkt, (size_t)len);
	return 0;
}

static int lsip_send_ifp(struct line_driver *d, int line, const uint8_t *ifp, int len, int count)
{
	struct line_sip *s = (struct line_sip *)d;
	struct lsip_line *l = &s->lines[line];
	uint8_t pkt[UDPTL_MAX_DATAGRAM];

	if (l->media != LSIP_MEDIA_T38 || l->state != LSIP_CONNECTED)
		return -1;
	/* With redundancy a packet rides along in the next datagrams anyway: once is enough. */
	if (s->t38_redundancy > 0)
		count = 1;
	for (int k = 0; k < count && k < 3; k++) {
		int n = udptl_tx_build(&l->utx, ifp, len, pkt, sizeof(pkt));
		if (n < 0)
			return -1;
		lsip_pacer_push(&s->pacer, line, pkt, (size_t)n);
	}
	return 0;
}

static int lsip_dial(struct line_driver *d, int line, const char *dial, const char *caller_id,
                     enum line_media media)
{
	return lsip_call_dial((struct line_sip *)d, line, dial, caller_id, media);
}

static int lsip_answer(struct line_driver *d, int line)
{
	return lsip_call_answer((struct line_sip *)d, line);
}

static int lsip_hangup(struct line_driver *d, int line)
{
	return lsip_call_hangup((struct line_sip *)d, line);
}

static void lsip_close(struct line_driver *d)
{
	struct line_sip *s = (struct line_sip *)d;

	lsip_sip_stop(s);
	for (int i = 0; s->lines && i < s->base.count; i++)
		lsip_media_stop(s, i);
	lsip_pacer_stop(&s->pacer);
	if (s->pacer.sends)
		log_notice("SIP media: %lu packets sent, lateness behind the 20 ms tick p99 <= %.2f ms, max "
		           "%.2f ms; %lu ticks a call had nothing to send, %lu packets dropped ahead of the "
		           "clock, %lu ticks of the sender missed, %lu sends failed",
		           s->pacer.sends, lsip_pacer_late_ms(&s->pacer, 0.99), (double)s->pacer.late_max_ns / 1e6,
		           s->pacer.underruns, s->pacer.overruns, s->pacer.ticks_missed, s->pacer.send_errors);
	if (s->tfd >= 0)
		close(s->tfd);
	explicit_bzero(&s->trunks, sizeof(s->trunks)); /* passwords */
	free(s->lines);
	free(s->pend);
	free(s);
}

static const struct line_ops lsip_ops = {
    .close = lsip_close,
    .fd = lsip_fd,
    .next_event = lsip_next_event,
    .dial = lsip_dial,
    .answer = lsip_answer,
    .hangup = lsip_hangup,
    .send_audio = lsip_send_audio,
    .send_ifp = lsip_send_ifp,
};

/* "ADDR:PORT" of sip_listen (IPv4; checked when the configuration was loaded). */
static int lsip_parse_listen(struct line_sip *s, const char *v, struct buf *err)
{
	const char *colon = strrchr(v, ':');
	struct in_addr a;

	if (!colon || (size_t)(colon - v) >= sizeof(s->listen_addr)) {
		buf_printf(err, "sip_listen: not ADDRESS:PORT: %s", v);
		return -1;
	}
	memcpy(s->listen_addr, v, (size_t)(colon - v));
	s->listen_addr[colon - v] = 0;
	s->listen_port = atoi(colon + 1);
	if (inet_pton(AF_INET, s->listen_addr, &a) != 1 || s->listen_port < 1 || s->listen_port > 65535) {
		buf_printf(err, "sip_listen: not an IPv4 ADDRESS:PORT: %s", v);
		return -1;
	}
	return 0;
}

/* The address our media leaves from toward the first trunk, when we listen on every address. */
static void lsip_route_addr(struct line_sip *s)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)}, me;
	socklen_t ml = sizeof(me);
	int fd;

	to.sin_addr = s->trunk_addr[0][0];
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&to, sizeof(to)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&me, &ml) == 0)
		inet_ntop(AF_INET, &me.sin_addr, s->media_addr, sizeof(s->media_addr));
	else
		snprintf(s->media_addr, sizeof(s->media_addr), "127.0.0.1");
	if (fd >= 0)
		close(fd);
}

/* The trunks as read before faxd dropped privileges (their passwords with them), and from what. */
static struct trunk_list lsip_preloaded;
static char *lsip_preloaded_from;

int line_sip_preload(const struct conf *conf, struct buf *err)
{
	char num[32];

	line_first_number(conf, num, sizeof(num));
	if (trunk_parse(conf->sip_trunks, num, &lsip_preloaded, err) < 0)
		return -1;
	free(lsip_preloaded_from);
	lsip_preloaded_from = xstrdup(conf->sip_trunks);
	return 0;
}

struct line_driver *line_sip_open(const struct conf *conf, struct buf *err)
{
	struct line_sip *s = xcalloc(1, sizeof(*s));
	char num[32];
	struct itimerspec its = {.it_interval = {0, LSIP_TICK_NS}, .it_value = {0, LSIP_TICK_NS}};

	s->base.ops = &lsip_ops;
	s->base.count = (int)conf->line_count;
	s->tfd = -1;
	s->pacer.tfd = -1;
	s->pend_cap = 8 * s->base.count + 64; /* a call makes a handful of events */
	s->pend = xcalloc((size_t)s->pend_cap, sizeof(*s->pend));
	if (lsip_parse_listen(s, conf->sip_listen, err) < 0)
		goto fail;
	/* the trunks read while faxd was root, unless the configuration names others now */
	if (lsip_preloaded_from && strcmp(lsip_preloaded_from, conf->sip_trunks) == 0) {
		s->trunks = lsip_preloaded;
	} else {
		line_first_number(conf, num, sizeof(num));
		if (trunk_parse(conf->sip_trunks, num, &s->trunks, err) < 0)
			goto fail;
	}
	s->port_min = (int)conf->sip_rtp_port_min & ~1;
	s->port_max = (int)conf->sip_rtp_port_max;
	s->jitter_ms = (int)conf->sip_jitter_ms;
	s->ring_timeout_s = (int)conf->sip_ring_timeout;
	s->session_expires_s = (int)conf->sip_session_expires;
	s->refresh_invite = conf->sip_refresh == CONF_REFRESH_INVITE;
	s->t38 = conf->sip_t38;
	s->t38_timeout_s = (int)conf->sip_t38_timeout;
	s->t38_redundancy = (int)conf->sip_t38_redundancy;
	s->t38_max_datagram = (int)conf->sip_t38_max_datagram;
	s->lines = xcalloc((size_t)s->base.count, sizeof(*s->lines));
	for (int i = 0; i < s->base.count; i++)
		s->lines[i].sock = -1;
	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->tfd < 0 || timerfd_settime(s->tfd, 0, &its, NULL) < 0) {
		buf_printf(err, "timerfd: %s", strerror(errno));
		goto fail;
	}
	if (lsip_pacer_start(&s->pacer, s->base.count, err) < 0)
		goto fail;
	if (lsip_sip_start(s, err) < 0)
		goto fail;
	if (conf->sip_media_address[0])
		snprintf(s->media_addr, sizeof(s->media_addr), "%s", conf->sip_media_address);
	else if (strcmp(s->listen_addr, "0.0.0.0") != 0)
		snprintf(s->media_addr, sizeof(s->media_addr), "%s", s->listen_addr);
	else
		lsip_route_addr(s);
	s->tick_cursor = s->base.count;
	log_notice("SIP: %d lines on %s:%d, %d trunks, media on %s ports %d-%d, sent %s", s->base.count,
	           s->listen_addr, s->listen_port, s->trunks.count, s->media_addr, s->port_min, s->port_max,
	           s->pacer.fifo ? "at real-time priority" : "at normal priority");
	return &s->base;
fail:
	lsip_close(&s->base);
	return NULL;
}
