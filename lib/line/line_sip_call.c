/*
 * line_sip_call.c - the SIP side of the SIP line driver, with sofia-sip's nua: registrations,
 * outgoing and incoming INVITEs, T.38 re-INVITEs both ways, BYE and CANCEL.
 *
 * nua runs in faxd's thread (threading off) and only inside su_root_step at the 20 ms tick, so
 * its callbacks never race the media code. nua's own SDP engine is off: offers and answers are
 * ours (lib/sip/sdp.c), because it has no notion of T.38. Session timers (RFC 4028) are nua's,
 * refreshed with UPDATE, which carries no SDP and so never disturbs the media.
 *
 * Everything a peer sends is hostile: the source of an INVITE must be a trunk, numbers taken
 * from headers are reduced to dialable characters, and SDP we cannot use is refused with 488.
 */
#include "line/line_sip_int.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_tag_io.h>

#include "util/log.h"
#include "util/xalloc.h"

#define LSIP_AUTH_ROUNDS 2           /* challenges answered before the credentials count as wrong */
#define LSIP_REG_RETRY_MS (60 * 1000) /* a refused registration is tried again after this */

/* ---- small helpers ---- */

/* Copy the dialable characters of a number taken from a header ("+", digits, "*", "#"). */
static void lsip_clean_number(char *dst, size_t dstlen, const char *src)
{
	size_t n = 0;

	for (; src && *src && n + 1 < dstlen; src++)
		if ((*src >= '0' && *src <= '9') || *src == '+' || *src == '*' || *src == '#')
			dst[n++] = *src;
	dst[n] = 0;
}

static struct lsip_call *lsip_call_new(struct line_sip *s, int line, int trunk, bool outgoing)
{
	struct lsip_call *c = xcalloc(1, sizeof(*c));

	c->line = line;
	c->trunk = trunk;
	c->outgoing = outgoing;
	c->next = s->calls;
	s->calls = c;
	if (line >= 0) {
		s->lines[line].call = c;
		s->trunk_busy[trunk]++;
	}
	return c;
}

static void lsip_call_free(struct line_sip *s, struct lsip_call *c)
{
	for (struct lsip_call **p = &s->calls; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	if (c->nh) {
		nua_handle_bind(c->nh, NULL);
		nua_handle_destroy(c->nh);
	}
	free(c);
}

/* The line forgets the call (which may go on ending in sofia); the line is idle. */
static void lsip_detach(struct line_sip *s, struct lsip_call *c)
{
	struct lsip_line *l;

	if (c->line < 0)
		return;
	l = &s->lines[c->line];
	lsip_media_stop(s, c->line);
	l->state = LSIP_IDLE;
	l->call = NULL;
	l->t38_tried = l->tone_heard = false;
	if (s->trunk_busy[c->trunk] > 0)
		s->trunk_busy[c->trunk]--;
	c->line = -1;
}

/* Tell faxd the call on c's line ended this way, and free the line. */
static void lsip_end(struct line_sip *s, struct lsip_call *c, enum line_event_type type)
{
	if (c->line < 0)
		return;
	lsip_push(s, type, c->line);
	lsip_detach(s, c);
}

/* Answer a digest challenge (401/407) with the trunk's credentials; false when we should not. */
static bool lsip_authenticate(struct line_sip *s, nua_handle_t *nh, int trunk, const sip_t *sip, int *rounds)
{
	const struct trunk *t = &s->trunks.t[trunk];
	const msg_auth_t *au = sip ? (sip->sip_www_authenticate ? sip->sip_www_authenticate
	                                                         : sip->sip_proxy_authenticate)
	                           : NULL;
	const char *realm = au ? msg_params_find(au->au_params, "realm=") : NULL;
	char cred[512];

	if (!au || !realm || !t->password[0] || *rounds >= LSIP_AUTH_ROUNDS)
		return false;
	if (strchr(realm, '\n') || strlen(realm) > 200)
		return false;
	(*rounds)++;
	snprintf(cred, sizeof(cred), "%s:%s%s%s:%s:%s", au->au_scheme, realm[0] == '"' ? "" : "\"", realm,
	         realm[0] == '"' ? "" : "\"", t->auth_user[0] ? t->auth_user : t->user, t->password);
	nua_authenticate(nh, NUTAG_AUTH(cred), TAG_END());
	explicit_bzero(cred, sizeof(cred));
	return true;
}

/* ---- registrations ---- */

static int lsip_reg_trunk(const struct line_sip *s, const nua_handle_t *nh)
{
	for (int i = 0; i < s->trunks.count; i++)
		if (s->reg[i] && s->reg[i] == nh)
			return i;
	return -1;
}

static void lsip_register(struct line_sip *s, int i)
{
	const struct trunk *t = &s->trunks.t[i];
	char aor[300], registrar[200], expires[16];

	snprintf(aor, sizeof(aor), "sip:%s@%s", t->user, t->domain);
	snprintf(registrar, sizeof(registrar), "sip:%s:%d", t->registrar, t->registrar_port);
	snprintf(expires, sizeof(expires), "%d", t->expires);
	if (!s->reg[i])
		s->reg[i] = nua_handle(s->nua, NULL, SIPTAG_TO_STR(aor), SIPTAG_FROM_STR(aor), TAG_END());
	s->reg_auth_rounds[i] = 0;
	nua_register(s->reg[i], NUTAG_REGISTRAR(registrar), NUTAG_M_USERNAME(t->user), SIPTAG_EXPIRES_STR(expires),
	             TAG_END());
}

static void lsip_on_register(struct line_sip *s, int i, int status, const char *phrase, const sip_t *sip)
{
	const struct trunk *t = &s->trunks.t[i];

	if (status < 200)
		return;
	if ((status == 401 || status == 407) && lsip_authenticate(s, s->reg[i], i, sip, &s->reg_auth_rounds[i]))
		return;
	if (status < 300) {
		if (!s->registered[i])
			log_notice("SIP trunk %s: registered at %s", t->name, t->registrar);
		s->registered[i] = true;
		s->reg_retry_ms[i] = 0;
		s->reg_auth_rounds[i] = 0;
		return;
	}
	log_error("SIP trunk %s: registration refused: %d %s", t->name, status, phrase ? phrase : "");
	s->registered[i] = false;
	s->reg_retry_ms[i] = lsip_now_ms() + LSIP_REG_RETRY_MS;
}

/* ---- outgoing calls ---- */

static int lsip_pick_trunk(const struct line_sip *s)
{
	for (int i = 0; i < s->trunks.count; i++)
		if (s->trunk_busy[i] < s->trunks.t[i].channels)
			return i;
	return -1;
}

int lsip_call_dial(struct line_sip *s, int line, const char *dial, const char *caller_id, enum line_media media)
{
	struct lsip_line *l = &s->lines[line];
	struct buf err = BUF_INIT, sdp = BUF_INIT;
	char number[64], caller[32], to[400], from[400], pai[400];
	struct sdp_local loc;
	int ti;

	if (l->state != LSIP_IDLE || s->closing)
		return -1;
	ti = lsip_pick_trunk(s);
	lsip_clean_number(number, sizeof(number), dial);
	if (ti < 0 || !number[0]) {
		/* no channel free (or nothing to dial): the network says congestion / no such number */
		lsip_push(s, ti < 0 ? LINE_EV_CONGESTION : LINE_EV_UNASSIGNED, line);
		return 0;
	}
	const struct trunk *t = &s->trunks.t[ti];
	struct lsip_call *c = lsip_call_new(s, line, ti, true);
	l->state = LSIP_DIALING;
	l->hint = media;
	l->dialed_at_ms = lsip_now_ms();
	if (lsip_media_open(s, line, &err) < 0) {
		log_error("SIP: %s", buf_cstr(&err));
		buf_free(&err);
		lsip_end(s, c, LINE_EV_CONGESTION);
		lsip_call_free(s, c);
		return 0;
	}
	lsip_clean_number(caller, sizeof(caller), caller_id[0] ? caller_id : t->caller_id);
	snprintf(to, sizeof(to), "<sip:%s%s@%s:%d>", t->prefix, number, t->host, t->port);
	snprintf(from, sizeof(from), "<sip:%s@%s>", t->user[0] ? t->user : (caller[0] ? caller : "fax"),
	         t->domain);
	snprintf(pai, sizeof(pai), "P-Asserted-Identity: <sip:%s@%s>", caller, t->domain);
	lsip_sdp_local(s, line, &loc);
	loc.codecs &= ~SDP_CODEC_T38; /* the call starts in audio; T.38 comes by re-INVITE */
	sdp_offer(&loc, SDP_AUDIO, &sdp);
	c->nh = nua_handle(s->nua, c, SIPTAG_TO_STR(to), SIPTAG_FROM_STR(from), TAG_END());
	nua_invite(c->nh, TAG_IF(caller[0], SIPTAG_HEADER_STR(pai)),
	           TAG_IF(t->user[0], NUTAG_M_USERNAME(t->user)), SIPTAG_CONTENT_TYPE_STR("application/sdp"),
	           SIPTAG_PAYLOAD_STR(buf_cstr(&sdp)), TAG_END());
	log_info("SIP: line %d: INVITE %s%s through %s", line, t->prefix, number, t->name);
	buf_free(&sdp);
	buf_free(&err);
	return 0;
}

static enum line_event_type lsip_status_event(int status)
{
	switch (status) {
	case 486:
	case 600:
		return LINE_EV_BUSY;
	case 480:
	case 408:
		return LINE_EV_NO_ANSWER;
	case 603: /* declined: like busy, the callee may take a call later */
		return LINE_EV_BUSY;
	case 404:
	case 410:
	case 484:
	case 485:
	case 604:
		return LINE_EV_UNASSIGNED;
	case 403:
		return LINE_EV_FORBIDDEN;
	default:
		return LINE_EV_CONGESTION; /* 503 and the rest: the trunk could not place the call */
	}
}

/* T.38 refused: faxd is told once; final when the far end said no (then it is remembered). */
static void lsip_t38_refused(struct line_sip *s, struct lsip_call *c, bool final)
{
	if (c->refused_told || c->line < 0 || s->lines[c->line].media != LSIP_MEDIA_AUDIO)
		return;
	c->refused_told = true;
	lsip_push(s, LINE_EV_T38_REFUSED, c->line)->t38.final = final;
}

/*
 * The answer to a re-INVITE of an answered call: ours for T.38 (reinvite_out), ours to refresh
 * the session (refresh_out), or one sofia sent on its own, whose SDP says nothing new.
 */
static void lsip_on_reinvite_answer(struct line_sip *s, struct lsip_call *c, int status, const sip_t *sip)
{
	struct lsip_line *l = &s->lines[c->line];
	struct buf err = BUF_INIT;
	struct sdp_local loc;
	struct sdp_media m;
	bool t38 = c->reinvite_out, refresh = c->refresh_out;

	if (status < 200)
		return;
	c->reinvite_out = c->refresh_out = false;
	if (status == 481 || status == 408) {
		/* the far end no longer knows the call (RFC 3261 14.1): it is over */
		log_notice("SIP: line %d: the far end lost the call (%d)", c->line, status);
		nua_bye(c->nh, TAG_END());
		lsip_end(s, c, LINE_EV_HANGUP);
		return;
	}
	if (!t38 && !refresh)
		return;
	if (status < 300) {
		enum sdp_kind kind = t38 || l->media == LSIP_MEDIA_T38 ? SDP_T38 : SDP_AUDIO;
		lsip_sdp_local(s, c->line, &loc);
		if (sip && sip->sip_payload && sdp_parse_answer(sip->sip_payload->pl_data, kind, &loc, &m, &err) == 0) {
			if (t38)
				log_notice("SIP: line %d: T.38 accepted", c->line);
			lsip_media_start(s, c->line, &m);
		} else if (t38) {
			log_warning("SIP: line %d: unusable answer to our T.38 offer (%s): staying in G.711", c->line,
			            buf_cstr(&err));
			lsip_t38_refused(s, c, true);
		}
		buf_free(&err);
		return;
	}
	if (!t38)
		return; /* a refused refresh changes nothing: the session timer decides */
	if (status == 491 || status == 500) {
		/* glare (491), or the far end still busy with an earlier INVITE of this call (500,
		 * RFC 3261 14.2): ask again after the pause RFC 3261 14.1 gives each side */
		c->retry_t38_ms = lsip_now_ms() + (c->outgoing ? 2100 + random() % 1900 : random() % 2000);
		l->t38_tried = false;
		return;
	}
	log_notice("SIP: line %d: T.38 refused (%d): going on in G.711", c->line, status);
	lsip_t38_refused(s, c, status != 487); /* 487: we gave up waiting (our CANCEL) */
}

static void lsip_on_invite_answer(struct line_sip *s, struct lsip_call *c, nua_handle_t *nh, int status,
                                  const char *phrase, const sip_t *sip)
{
	struct lsip_line *l;
	struct buf err = BUF_INIT;
	struct sdp_local loc;
	struct sdp_media m;

	if (c->line < 0) {
		if (status >= 200 && status < 300)
			nua_bye(nh, TAG_END()); /* answered after we gave up: end it */
		return;
	}
	if (c->answered) {
		lsip_on_reinvite_answer(s, c, status, sip);
		return;
	}
	l = &s->lines[c->line];
	if (status == 401 || status == 407) {
		if (lsip_authenticate(s, nh, c->trunk, sip, &c->auth_rounds))
			return;
		/* our credentials are wrong or missing: no retry will do better */
		log_error("SIP trunk %s: the call was refused: authentication (%d)", s->trunks.t[c->trunk].name,
		          status);
		lsip_end(s, c, LINE_EV_FORBIDDEN);
		return;
	}
	if (status == 180 || status == 183) {
		if (l->state == LSIP_DIALING) {
			l->state = LSIP_RINGING;
			lsip_push(s, LINE_EV_RINGING, c->line);
		}
		return;
	}
	if (status < 200)
		return;
	if (status >= 300) {
		log_notice("SIP: line %d: call refused: %d %s", c->line, status, phrase ? phrase : "");
		lsip_end(s, c, lsip_status_event(status));
		return;
	}
	lsip_sdp_local(s, c->line, &loc);
	if (!sip || !sip->sip_payload ||
	    sdp_parse_answer(sip->sip_payload->pl_data, SDP_AUDIO, &loc, &m, &err) < 0) {
		log_error("SIP: line %d: the answer's SDP is unusable: %s", c->line,
		          sip && sip->sip_payload ? buf_cstr(&err) : "no SDP");
		buf_free(&err);
		nua_bye(nh, TAG_END());
		lsip_end(s, c, LINE_EV_CONGESTION);
		return;
	}
	c->answered = true;
	c->refreshed_ms = lsip_now_ms();
	l->state = LSIP_CONNECTED;
	lsip_media_start(s, c->line, &m);
	lsip_push(s, LINE_EV_ANSWERED, c->line);
	if (l->hint == LINE_MEDIA_T38_AT_ONCE)
		lsip_call_want_t38(s, c->line);
}

void lsip_call_want_t38(struct line_sip *s, int line)
{
	struct lsip_line *l = &s->lines[line];
	struct lsip_call *c = l->call;
	struct sdp_local loc;
	struct buf sdp = BUF_INIT;

	if (c && !c->confirmed)
		return; /* no re-INVITE before the INVITE's ACK (RFC 3261 14.1): asked again next tick */
	l->t38_tried = true;
	if (!c || c->reinvite_out || c->refresh_out || l->state != LSIP_CONNECTED || l->media != LSIP_MEDIA_AUDIO || !s->t38 ||
	    !(s->trunks.t[c->trunk].codecs & SDP_CODEC_T38) || l->hint == LINE_MEDIA_G711)
		return;
	lsip_sdp_local(s, line, &loc);
	sdp_offer(&loc, SDP_T38, &sdp);
	nua_invite(c->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(buf_cstr(&sdp)), TAG_END());
	c->reinvite_out = true;
	c->retry_t38_ms = 0;
	c->reinvite_at_ms = lsip_now_ms();
	log_info("SIP: line %d: asking for T.38", line);
	buf_free(&sdp);
}

/* ---- incoming calls ---- */

static int lsip_source_trunk(const struct line_sip *s, nua_t *nua)
{
	msg_t *m = nua_current_request(nua);
	su_addrinfo_t *ai = m ? msg_addrinfo(m) : NULL;
	const struct sockaddr_in *sin;

	if (!ai || !ai->ai_addr || ai->ai_addr->sa_family != AF_INET)
		return -1;
	sin = (const struct sockaddr_in *)ai->ai_addr;
	for (int i = 0; i < s->trunks.count; i++)
		for (int k = 0; k < LSIP_TRUNK_ADDRS; k++)
			if (s->trunk_addr[i][k].s_addr && s->trunk_addr[i][k].s_addr == sin->sin_addr.s_addr)
				return i;
	return -1;
}

/* The caller: P-Asserted-Identity when the trunk gives one, else From. */
static void lsip_caller(const sip_t *sip, char *out, size_t outlen)
{
	out[0] = 0;
	for (const sip_unknown_t *u = sip->sip_unknown; u; u = u->un_next) {
		if (u->un_name && u->un_value && strcasecmp(u->un_name, "P-Asserted-Identity") == 0) {
			const char *v = strstr(u->un_value, "sip:");
			const char *tel = strstr(u->un_value, "tel:");
			const char *p = v ? v + 4 : tel ? tel + 4 : NULL;
			char tmp[64];
			size_t n = 0;
			while (p && *p && *p != '@' && *p != ';' && *p != '>' && n + 1 < sizeof(tmp))
				tmp[n++] = *p++;
			tmp[n] = 0;
			lsip_clean_number(out, outlen, tmp);
			if (out[0])
				return;
		}
	}
	if (sip->sip_from && sip->sip_from->a_url->url_user)
		lsip_clean_number(out, outlen, sip->sip_from->a_url->url_user);
}

static void lsip_on_invite(struct line_sip *s, nua_t *nua, nua_handle_t *nh, const sip_t *sip)
{
	struct buf err = BUF_INIT;
	struct sdp_local loc;
	struct sdp_media m;
	int trunk = lsip_source_trunk(s, nua), line = -1;

	if (trunk < 0) {
		if (lsip_now_ms() - s->foreign_logged_ms > 60000) {
			s->foreign_logged_ms = lsip_now_ms();
			log_warning("SIP: INVITE from an address that is no trunk refused (logged once a minute)");
		}
		nua_respond(nh, SIP_403_FORBIDDEN, TAG_END());
		return;
	}
	for (int i = 0; i < s->base.count && line < 0; i++)
		if (s->lines[i].state == LSIP_IDLE)
			line = i;
	if (line < 0 || s->trunk_busy[trunk] >= s->trunks.t[trunk].channels || s->closing) {
		nua_respond(nh, SIP_486_BUSY_HERE, TAG_END());
		return;
	}
	struct lsip_call *c = lsip_call_new(s, line, trunk, false);
	struct lsip_line *l = &s->lines[line];
	c->nh = nh;
	nua_handle_bind(nh, c);
	l->state = LSIP_OFFERED;
	l->hint = LINE_MEDIA_TRY;
	if (lsip_media_open(s, line, &err) < 0) {
		log_error("SIP: %s", buf_cstr(&err));
		nua_respond(nh, SIP_503_SERVICE_UNAVAILABLE, TAG_END());
		lsip_detach(s, c);
		buf_free(&err);
		return;
	}
	lsip_sdp_local(s, line, &loc);
	if (!sip->sip_payload || sdp_parse_offer(sip->sip_payload->pl_data, &loc, false, &m, &err) < 0) {
		log_notice("SIP: incoming call refused: %s", sip->sip_payload ? buf_cstr(&err) : "no SDP offer");
		nua_respond(nh, SIP_488_NOT_ACCEPTABLE, TAG_END());
		lsip_detach(s, c);
		buf_free(&err);
		return;
	}
	l->sdp = m;
	s->offered++;
	struct lsip_pending *ev = lsip_push(s, LINE_EV_INCOMING, line);
	lsip_caller(sip, ev->caller, sizeof(ev->caller));
	const char *called = sip->sip_request && sip->sip_request->rq_url->url_user
	                         ? sip->sip_request->rq_url->url_user
	                         : sip->sip_to ? sip->sip_to->a_url->url_user : NULL;
	lsip_clean_number(ev->called, sizeof(ev->called), called);
	nua_respond(nh, SIP_180_RINGING, TAG_END());
	buf_free(&err);
}

int lsip_call_answer(struct line_sip *s, int line)
{
	struct lsip_line *l = &s->lines[line];
	struct sdp_local loc;
	struct buf sdp = BUF_INIT;

	if (l->state != LSIP_OFFERED || !l->call)
		return -1;
	lsip_sdp_local(s, line, &loc);
	sdp_answer(&loc, &l->sdp, &sdp);
	nua_respond(l->call->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
	            SIPTAG_PAYLOAD_STR(buf_cstr(&sdp)), TAG_END());
	buf_free(&sdp);
	l->call->answered = true;
	l->call->refreshed_ms = lsip_now_ms();
	l->state = LSIP_CONNECTED;
	lsip_media_start(s, line, &l->sdp);
	return 0;
}

/* A re-INVITE from the far end: T.38, a refresh, a move of the media, or back to audio. */
static void lsip_on_reinvite(struct line_sip *s, struct lsip_call *c, const sip_t *sip)
{
	struct lsip_line *l = c->line >= 0 ? &s->lines[c->line] : NULL;
	struct buf err = BUF_INIT, sdp = BUF_INIT;
	struct sdp_local loc;
	struct sdp_media m;
	bool t38_ok;

	if (!l || l->state != LSIP_CONNECTED) {
		nua_respond(c->nh, SIP_488_NOT_ACCEPTABLE, TAG_END());
		return;
	}
	if (c->reinvite_out || c->refresh_out) {
		nua_respond(c->nh, SIP_491_REQUEST_PENDING, TAG_END());
		return;
	}
	c->refreshed_ms = lsip_now_ms(); /* the far end refreshed the session */
	log_notice("SIP: line %d: re-INVITE during the fax (%s)", c->line,
	           !sip->sip_payload ? "no offer" : l->media == LSIP_MEDIA_T38 ? "in T.38" : "in audio");
	lsip_sdp_local(s, c->line, &loc);
	if (!sip->sip_payload) {
		/* no offer: ours goes in the 200, the answer comes in the ACK (kept as it is) */
		loc.codecs = l->media == LSIP_MEDIA_T38 ? SDP_CODEC_T38 : loc.codecs & ~SDP_CODEC_T38;
		sdp_offer(&loc, l->media == LSIP_MEDIA_T38 ? SDP_T38 : SDP_AUDIO, &sdp);
		nua_respond(c->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		            SIPTAG_PAYLOAD_STR(buf_cstr(&sdp)), TAG_END());
		buf_free(&sdp);
		return;
	}
	t38_ok = l->media == LSIP_MEDIA_T38 ||
	         (s->t38 && (s->trunks.t[c->trunk].codecs & SDP_CODEC_T38) && l->hint != LINE_MEDIA_G711);
	if (!t38_ok)
		loc.codecs &= ~SDP_CODEC_T38;
	if (sdp_parse_offer(sip->sip_payload->pl_data, &loc, t38_ok, &m, &err) < 0) {
		log_notice("SIP: line %d: re-INVITE refused: %s", c->line, buf_cstr(&err));
		nua_respond(c->nh, SIP_488_NOT_ACCEPTABLE, TAG_END());
		buf_free(&err);
		return;
	}
	if (!m.active || (l->media == LSIP_MEDIA_T38 && m.kind != SDP_T38)) {
		/* a fax cannot be put on hold, and T.30 cannot go back from T.38 to audio */
		log_notice("SIP: line %d: re-INVITE refused: %s", c->line,
		           !m.active ? "on hold during a fax" : "back to audio during a T.38 fax");
		nua_respond(c->nh, SIP_488_NOT_ACCEPTABLE, TAG_END());
		buf_free(&err);
		return;
	}
	sdp_answer(&loc, &m, &sdp);
	nua_respond(c->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(buf_cstr(&sdp)),
	            TAG_END());
	if (m.kind == SDP_T38 && l->media != LSIP_MEDIA_T38)
		log_notice("SIP: line %d: the far end switched to T.38", c->line);
	l->t38_tried = true;
	lsip_media_start(s, c->line, &m);
	buf_free(&sdp);
	buf_free(&err);
}

int lsip_call_hangup(struct line_sip *s, int line)
{
	struct lsip_line *l = &s->lines[line];
	struct lsip_call *c = l->call;

	if (l->state == LSIP_IDLE || !c)
		return 0;
	switch (l->state) {
	case LSIP_DIALING:
	case LSIP_RINGING:
		nua_cancel(c->nh, TAG_END());
		break;
	case LSIP_OFFERED:
		nua_respond(c->nh, SIP_480_TEMPORARILY_UNAVAILABLE, TAG_END());
		break;
	default:
		nua_bye(c->nh, TAG_END());
	}
	lsip_detach(s, c);
	return 0;
}

/*
 * sip_refresh = invite: the session is refreshed by our own re-INVITE with the stream as it is
 * (sofia would resend the call's first offer), at a third of the session's time, before sofia's
 * own refresh would come.
 */
static void lsip_refresh(struct line_sip *s, struct lsip_call *c)
{
	struct lsip_line *l = &s->lines[c->line];
	struct sdp_local loc;
	struct buf sdp = BUF_INIT;

	lsip_sdp_local(s, c->line, &loc);
	loc.codecs = l->media == LSIP_MEDIA_T38 ? SDP_CODEC_T38 : loc.codecs & ~SDP_CODEC_T38;
	sdp_offer(&loc, l->media == LSIP_MEDIA_T38 ? SDP_T38 : SDP_AUDIO, &sdp);
	nua_invite(c->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(buf_cstr(&sdp)), TAG_END());
	c->refresh_out = true;
	c->refreshed_ms = lsip_now_ms();
	log_info("SIP: line %d: refreshing the session by re-INVITE", c->line);
	buf_free(&sdp);
}

void lsip_calls_second(struct line_sip *s)
{
	int64_t now = lsip_now_ms();

	for (int i = 0; i < s->base.count; i++) {
		struct lsip_line *l = &s->lines[i];
		struct lsip_call *c = l->call;
		if (!c)
			continue;
		if ((l->state == LSIP_DIALING || l->state == LSIP_RINGING) &&
		    now - l->dialed_at_ms > (int64_t)s->ring_timeout_s * 1000) {
			log_notice("SIP: line %d: no answer in %d s", i, s->ring_timeout_s);
			nua_cancel(c->nh, TAG_END());
			lsip_end(s, c, LINE_EV_NO_ANSWER);
			continue;
		}
		if (c->reinvite_out && !c->refused_told && now - c->reinvite_at_ms > (int64_t)s->t38_timeout_s * 1000) {
			log_notice("SIP: line %d: no answer to the T.38 offer in %d s: going on in G.711", i,
			           s->t38_timeout_s);
			nua_cancel(c->nh, TAG_END());
			lsip_t38_refused(s, c, false);
		}
		if (c->retry_t38_ms && now >= c->retry_t38_ms && l->state == LSIP_CONNECTED)
			lsip_call_want_t38(s, i);
		if (s->refresh_invite && l->state == LSIP_CONNECTED && !c->reinvite_out && !c->refresh_out &&
		    now - c->refreshed_ms > (int64_t)s->session_expires_s * 1000 / 3)
			lsip_refresh(s, c);
	}
	for (int i = 0; i < s->trunks.count; i++)
		if (s->reg_retry_ms[i] && now >= s->reg_retry_ms[i]) {
			s->reg_retry_ms[i] = 0;
			lsip_register(s, i);
		}
}

/* The answer in an ACK, to the offer we made in a 200 (the far end re-INVITEd without SDP). */
static void lsip_on_ack(struct line_sip *s, struct lsip_call *c, const sip_t *sip)
{
	struct lsip_line *l = c->line >= 0 ? &s->lines[c->line] : NULL;
	struct buf err = BUF_INIT;
	struct sdp_local loc;
	struct sdp_media m;

	if (!l || l->state != LSIP_CONNECTED)
		return;
	lsip_sdp_local(s, c->line, &loc);
	if (sdp_parse_answer(sip->sip_payload->pl_data, l->media == LSIP_MEDIA_T38 ? SDP_T38 : SDP_AUDIO, &loc, &m,
	                     &err) == 0 &&
	    m.active)
		lsip_media_start(s, c->line, &m);
	else
		log_notice("SIP: line %d: the answer in the ACK is unusable (%s): the stream stays", c->line,
		           buf_cstr(&err));
	buf_free(&err);
}

/* ---- sofia's callback ---- */

static void lsip_callback(nua_event_t event, int status, char const *phrase, nua_t *nua, nua_magic_t *magic,
                          nua_handle_t *nh, nua_hmagic_t *hmagic, sip_t const *sip, tagi_t tags[])
{
	struct line_sip *s = (struct line_sip *)magic;
	struct lsip_call *c = (struct lsip_call *)hmagic;
	int callstate = -1, reg;

	if (event == nua_r_shutdown) {
		if (status >= 200)
			s->shutdown_done = true;
		return;
	}
	if ((reg = lsip_reg_trunk(s, nh)) >= 0) {
		if (event == nua_r_register)
			lsip_on_register(s, reg, status, phrase, sip);
		return;
	}
	switch (event) {
	case nua_i_invite:
		if (c)
			lsip_on_reinvite(s, c, sip);
		else if (sip)
			lsip_on_invite(s, nua, nh, sip);
		break;
	case nua_r_invite:
		if (c)
			lsip_on_invite_answer(s, c, nh, status, phrase, sip);
		break;
	case nua_i_bye:
	case nua_i_cancel:
		if (c)
			lsip_end(s, c, LINE_EV_HANGUP);
		break;
	case nua_i_ack:
		if (c && sip && sip->sip_payload)
			lsip_on_ack(s, c, sip);
		break;
	case nua_i_state:
		tl_gets(tags, NUTAG_CALLSTATE_REF(callstate), TAG_END());
		if (c && callstate == nua_callstate_ready)
			c->confirmed = true; /* ACK sent or received */
		if (callstate != nua_callstate_terminated)
			break;
		if (c) {
			/* an outgoing call that ends without a final answer we saw (transport error) */
			lsip_end(s, c, c->answered ? LINE_EV_HANGUP : lsip_status_event(status));
			lsip_call_free(s, c);
		} else if (nh) {
			nua_handle_destroy(nh); /* a call we refused */
		}
		break;
	default:
		/* a request sofia answered itself (OPTIONS...) on a handle made for it: ours to free */
		if (!c && nh && nua_event_is_incoming_request(event))
			nua_handle_destroy(nh);
		break;
	}
}

/* The trunks' addresses (every one a name has): where INVITEs may come from. */
static int lsip_resolve(const char *host, struct in_addr *out, int max, struct buf *err)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *res = NULL;
	int rc, n = 0;

	if (!host[0])
		return 0;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0 || !res) {
		buf_printf(err, "cannot resolve %s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (const struct addrinfo *ai = res; ai && n < max; ai = ai->ai_next)
		out[n++] = ((const struct sockaddr_in *)ai->ai_addr)->sin_addr;
	freeaddrinfo(res);
	return n;
}

int lsip_sip_start(struct line_sip *s, struct buf *err)
{
	char url[128], expires[16];

	for (int i = 0; i < s->trunks.count; i++) {
		int n = lsip_resolve(s->trunks.t[i].host, s->trunk_addr[i], LSIP_TRUNK_ADDRS / 2, err);
		if (n < 0 || lsip_resolve(s->trunks.t[i].registrar, s->trunk_addr[i] + n, LSIP_TRUNK_ADDRS - n, err) < 0) {
			buf_printf(err, " (trunk %s)", s->trunks.t[i].name);
			return -1;
		}
	}
	su_init();
	su_log_set_level(NULL, 0); /* sofia's own chatter (to stderr, not our log) stays off */
	su_home_init(s->home);
	s->root = su_root_create(s);
	if (!s->root) {
		buf_puts(err, "sofia-sip: cannot create its event loop");
		return -1;
	}
	su_root_threading(s->root, 0);
	snprintf(url, sizeof(url), "sip:%s:%d;transport=udp", s->listen_addr, s->listen_port);
	snprintf(expires, sizeof(expires), "%d", s->session_expires_s);
	s->nua = nua_create(s->root, lsip_callback, s, NUTAG_URL(url), TAG_END());
	if (!s->nua) {
		buf_printf(err, "cannot take SIP on %s:%d (address in use?)", s->listen_addr, s->listen_port);
		return -1;
	}
	nua_set_params(s->nua, NUTAG_MEDIA_ENABLE(0), NUTAG_AUTOANSWER(0), NUTAG_AUTOALERT(0), NUTAG_AUTOACK(1),
	               NUTAG_SESSION_TIMER((unsigned)s->session_expires_s), NUTAG_MIN_SE(90),
	               NUTAG_SESSION_REFRESHER(nua_any_refresher), NUTAG_UPDATE_REFRESH(1),
	               NUTAG_ALLOW("INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE"), NUTAG_ENABLEMESSAGE(0),
	               SIPTAG_USER_AGENT_STR("faxgate"),
	               /* registrations as configured: no re-REGISTER with a contact guessed from NAT,
	                  no OPTIONS of its own to check them */
	               NUTAG_OUTBOUND("no-natify no-options-keepalive no-validate"), TAG_END());
	for (int i = 0; i < s->trunks.count; i++)
		if (s->trunks.t[i].registrar[0])
			lsip_register(s, i);
	return 0;
}

void lsip_sip_stop(struct line_sip *s)
{
	if (s->nua) {
		s->closing = true;
		for (int i = 0; i < s->base.count; i++)
			lsip_call_hangup(s, i);
		nua_shutdown(s->nua);
		/* BYEs and un-REGISTERs answered, or 3 s */
		for (int64_t end = lsip_now_ms() + 3000; !s->shutdown_done && lsip_now_ms() < end;)
			su_root_step(s->root, 50);
		if (!s->shutdown_done) {
			/* sofia refuses to be destroyed with transactions still open (a registrar or peer
			 * that does not answer): it is left as it is, faxd is ending or connecting afresh */
			log_warning("SIP: the far ends did not answer our goodbyes in time");
			s->nua = NULL;
			s->root = NULL;
			return;
		}
		while (s->calls)
			lsip_call_free(s, s->calls);
		for (int i = 0; i < s->trunks.count; i++)
			if (s->reg[i])
				nua_handle_destroy(s->reg[i]);
		nua_destroy(s->nua);
		s->nua = NULL;
	}
	if (s->root) {
		su_root_destroy(s->root);
		s->root = NULL;
		su_home_deinit(s->home);
		su_deinit();
	}
}
