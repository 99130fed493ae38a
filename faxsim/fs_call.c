/*
 * fs_call.c - calls through the simulated exchange: routing by the numbering plan, call progress,
 * and pacing the audio.
 *
 * A call is faxd's (a DIAL on one of its trunk lines, routed through the plan to a remote) or a
 * control client's (faxctl sim call: a remote fax machine calls the trunk that announced the
 * number). Unpaced, audio goes in lock step: a block to faxd, its answer to the remote, the next
 * block at once. In real time the tick (fs_call_tick) sends one block per connected call every
 * 20 ms and answers are taken whenever they come; an answer that is not in by the next tick counts
 * as late. Ringing and answering take the plan's seconds in real time and no time unpaced.
 */
#include <spandsp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faxsim.h"
#include "fs_remote.h"
#include "render/faxtiff.h"
#include "util/log.h"
#include "util/xalloc.h"

enum fs_call_state { FSC_SETUP, FSC_RINGING, FSC_OFFERED, FSC_CONNECTED };
enum fs_timer { FST_NONE, FST_BUSY, FST_NO_ANSWER, FST_ANSWER, FST_OFFER, FST_STALL };

#define FS_SENT_RING 16

struct fs_call {
	struct fs_conn *trunk;
	int line;
	uint32_t ref;
	struct fs_conn *ctl; /* inbound: the control client waiting for the result */
	bool inbound;
	struct simplan_entry entry; /* outbound: what was dialled */
	char dial[SIMNET_MAX_NUMBER + 1], caller[SIMNET_MAX_NUMBER + 1];
	enum fs_call_state state;
	enum fs_timer timer;
	int64_t deadline;
	struct fs_remote *remote;
	int owed;                       /* blocks sent to faxd and not answered yet */
	uint64_t sent, answered;        /* blocks */
	int64_t sent_at[FS_SENT_RING];  /* real time: when recent blocks went out */
	char path[SIMNET_MAX_PATH + 1]; /* inbound: the TIFF to send */
	char station[SIMNET_MAX_IDENT + 1], sub[SIMNET_MAX_SUB + 1];
	int file_pages;
	int hangup_after_page; /* inbound: the caller hangs up in the middle of the page after it */
	int idx;               /* in fs->calls */
};

static void fs_call_add(struct fs *fs, struct fs_call *c)
{
	if (fs->ncalls == fs->calls_cap) {
		fs->calls_cap = fs->calls_cap ? fs->calls_cap * 2 : 64;
		fs->calls = xreallocarray(fs->calls, (size_t)fs->calls_cap, sizeof(*fs->calls));
	}
	c->idx = fs->ncalls;
	fs->calls[fs->ncalls++] = c;
	c->trunk->lines[c->line] = c;
	fs->stats.calls_total++;
}

static void fs_call_timer(struct fs_call *c, enum fs_timer t, int64_t after_ns)
{
	c->timer = t;
	c->deadline = fs_now() + after_ns;
}

/* Seconds of the plan, in real time only. */
static int64_t fs_delay(const struct fs *fs, int seconds)
{
	return fs->timing == SIMNET_REALTIME ? seconds * 1000000000LL : 0;
}

static void fs_result(struct fs_conn *ctl, const char *outcome, int code, int pages, const char *words)
{
	char scode[16], spages[16], text[SIMNET_MAX_TEXT + 1];
	const char *f[4] = {outcome, scode, spages, text};

	if (!ctl || ctl->dead)
		return;
	snprintf(text, sizeof(text), "%s", words ? words : "");
	snprintf(scode, sizeof(scode), "%d", code);
	snprintf(spages, sizeof(spages), "%d", pages);
	simnet_put_strings(&ctl->io.out, SIMNET_RESULT, 0, 0, 4, f);
	ctl->close_flushed = true;
}

/*
 * End a call. tell_trunk: send HANGUP (the network or the remote ends it, not faxd). For an
 * inbound call the control client gets the result.
 */
static void fs_call_end(struct fs *fs, struct fs_call *c, bool tell_trunk, const char *outcome,
                        const char *words)
{
	struct fs_remote_result res = {0};
	char text[200];

	if (c->remote) {
		if (!tell_trunk)
			fs_remote_line_gone(c->remote);
		fs_remote_finish(c->remote, &res);
		c->remote = NULL;
	}
	if (tell_trunk && c->trunk && c->state != FSC_SETUP)
		fs_conn_put(c->trunk, SIMNET_HANGUP, c->line, c->ref, NULL, 0);
	if (c->inbound) {
		if (!outcome) {
			bool ok = res.code == 0 && res.pages == c->file_pages;

			outcome = ok ? "sent" : "failed";
			snprintf(text, sizeof(text), "%d of %d pages sent to %s, T.30: %s", res.pages,
			         c->file_pages, res.remote_id[0] ? res.remote_id : "?",
			         t30_completion_code_to_str(res.code));
			words = text;
		}
		fs_result(c->ctl, outcome, res.code, res.pages, words);
		if (c->ctl)
			c->ctl->call = NULL;
		log_notice("line %d: call from %s to %s ended: %s (%s)", c->line, c->caller, c->dial, outcome,
		           words);
	} else {
		log_info("line %d: call to %s ended (%s)", c->line, c->dial, words ? words : "");
	}
	if (c->trunk)
		c->trunk->lines[c->line] = NULL;
	fs->calls[c->idx] = fs->calls[fs->ncalls - 1];
	fs->calls[c->idx]->idx = c->idx;
	fs->ncalls--;
	free(c);
}

static void fs_call_block(struct fs *fs, struct fs_call *c)
{
	int16_t pcm[FS_BLOCK];
	uint8_t g[FS_BLOCK];

	fs_remote_tx(c->remote, pcm, FS_BLOCK);
	simnet_g711_encode(fs->law, pcm, g, FS_BLOCK);
	fs_conn_put(c->trunk, SIMNET_AUDIO, c->line, c->ref, g, FS_BLOCK);
	if (fs->timing == SIMNET_REALTIME)
		c->sent_at[c->sent % FS_SENT_RING] = fs_now();
	else
		fs_call_timer(c, FST_STALL, FS_STALL * 1000000000LL);
	c->sent++;
	c->owed++;
	fs->stats.audio_blocks++;
}

static void fs_call_connect(struct fs *fs, struct fs_call *c)
{
	c->state = FSC_CONNECTED;
	c->timer = FST_NONE;
	if (fs->timing == SIMNET_UNPACED)
		fs_call_block(fs, c);
}

int fs_call_dial(struct fs *fs, struct fs_conn *trunk, const struct simnet_msg *m, const char *dial,
                 const char *caller)
{
	struct fs_call *old = trunk->lines[m->line], *c;
	char e164[SIMNET_MAX_NUMBER + 2];
	const struct simplan_entry *e;

	if (old) {
		if (!old->inbound || old->state != FSC_OFFERED)
			return -1;
		/* glare: faxd seized the line we were offering a call on; its call wins */
		fs_call_end(fs, old, false, "busy", "the line was seized for an outgoing call");
	}
	if (simplan_e164(&fs->conf, dial, e164, sizeof(e164)) < 0)
		e164[0] = 0;
	e = simplan_lookup(&fs->plan, dial, e164);
	log_info("line %d: %s dials %s (%s): %s", m->line, caller[0] ? caller : "?", dial,
	         e164[0] ? e164 : "-", simplan_kind_name(e->kind));
	if (e->kind == SIMPLAN_UNASSIGNED || e->kind == SIMPLAN_CONGESTION ||
	    (e->kind == SIMPLAN_BUSY && fs->timing == SIMNET_UNPACED)) {
		fs_conn_put(trunk,
		            e->kind == SIMPLAN_UNASSIGNED ? SIMNET_UNASSIGNED
		            : e->kind == SIMPLAN_BUSY     ? SIMNET_BUSY
		                                          : SIMNET_CONGESTION,
		            m->line, m->call, NULL, 0);
		fs->stats.calls_total++;
		return 0;
	}
	c = xcalloc(1, sizeof(*c));
	c->trunk = trunk;
	c->line = m->line;
	c->ref = m->call;
	c->entry = *e;
	snprintf(c->dial, sizeof(c->dial), "%s", dial);
	snprintf(c->caller, sizeof(c->caller), "%s", caller);
	fs_call_add(fs, c);
	if (e->kind == SIMPLAN_BUSY) {
		fs_call_timer(c, FST_BUSY, 500000000LL);
		return 0;
	}
	c->state = FSC_RINGING;
	fs_conn_put(trunk, SIMNET_RINGING, c->line, c->ref, NULL, 0);
	if (e->kind == SIMPLAN_NO_ANSWER)
		fs_call_timer(c, FST_NO_ANSWER, fs_delay(fs, e->ring));
	else
		fs_call_timer(c, FST_ANSWER, fs_delay(fs, e->answer_after));
	return 0;
}

/* The remote picks up an outbound call. */
static void fs_call_pickup(struct fs *fs, struct fs_call *c)
{
	struct buf err = BUF_INIT;

	if (c->entry.kind == SIMPLAN_VOICE)
		c->remote = fs_remote_voice(c->entry.talk, (unsigned)fs->rx_seq++);
	else
		c->remote = fs_remote_fax_rx(&c->entry, c->caller, c->dial, ++fs->rx_seq, &err);
	if (!c->remote) {
		log_error("line %d: %s", c->line, buf_cstr(&err));
		buf_free(&err);
		fs_conn_put(c->trunk, SIMNET_CONGESTION, c->line, c->ref, NULL, 0);
		c->state = FSC_SETUP;
		fs_call_end(fs, c, false, NULL, "the simulated fax machine is broken");
		return;
	}
	fs_conn_put(c->trunk, SIMNET_ANSWERED, c->line, c->ref, NULL, 0);
	fs_call_connect(fs, c);
}

static void fs_call_fire(struct fs *fs, struct fs_call *c)
{
	enum fs_timer t = c->timer;

	c->timer = FST_NONE;
	switch (t) {
	case FST_BUSY:
		fs_conn_put(c->trunk, SIMNET_BUSY, c->line, c->ref, NULL, 0);
		c->state = FSC_SETUP;
		fs_call_end(fs, c, false, NULL, "busy");
		break;
	case FST_NO_ANSWER:
		fs_conn_put(c->trunk, SIMNET_NO_ANSWER, c->line, c->ref, NULL, 0);
		c->state = FSC_SETUP;
		fs_call_end(fs, c, false, NULL, "no answer");
		break;
	case FST_ANSWER:
		fs_call_pickup(fs, c);
		break;
	case FST_OFFER:
		fs_call_end(fs, c, true, "no-answer", "faxd did not answer");
		break;
	case FST_STALL:
		log_warning("line %d: faxd did not answer the audio for %d seconds", c->line, FS_STALL);
		fs_call_end(fs, c, true, "failed", "faxd stopped answering the audio");
		break;
	case FST_NONE:
		break;
	}
}

int fs_call_timers(struct fs *fs, int64_t now)
{
	int64_t next = -1;

	/* backwards: ending a call moves the last one into its place */
	for (int i = fs->ncalls - 1; i >= 0; i--) {
		struct fs_call *c = fs->calls[i];

		if (c->timer == FST_NONE)
			continue;
		if (c->deadline <= now)
			fs_call_fire(fs, c);
		else if (next < 0 || c->deadline < next)
			next = c->deadline;
	}
	for (int i = 0; i < fs->ncalls && next != 0; i++)
		if (fs->calls[i]->timer != FST_NONE && fs->calls[i]->deadline <= now)
			next = now; /* a timer set while firing another */
	return next < 0 ? -1 : (int)((next - now + 999999) / 1000000);
}

void fs_call_tick(struct fs *fs, int64_t now)
{
	(void)now;
	for (int i = fs->ncalls - 1; i >= 0; i--) {
		struct fs_call *c = fs->calls[i];

		if (c->state != FSC_CONNECTED)
			continue;
		if (c->owed > 0) {
			fs->stats.answers_late++;
			if (c->owed >= FS_MAX_OWED) {
				log_warning("line %d: faxd is %d blocks behind", c->line, c->owed);
				fs_call_end(fs, c, true, "failed", "faxd stopped answering the audio");
				continue;
			}
		}
		fs_call_block(fs, c);
		if (fs_remote_hangs_up(c->remote))
			fs_call_end(fs, c, true, NULL, "the remote hung up");
	}
}

static int fs_call_audio(struct fs *fs, struct fs_call *c, const struct simnet_msg *m)
{
	int16_t pcm[SIMNET_MAX_BLOCK];

	if (c->state != FSC_CONNECTED || c->owed <= 0)
		return -1;
	c->owed--;
	if (fs->timing == SIMNET_REALTIME && c->sent - c->answered <= FS_SENT_RING)
		fs_hist_add(&fs->stats.answer, (fs_now() - c->sent_at[c->answered % FS_SENT_RING]) / 1000);
	c->answered++;
	simnet_g711_decode(fs->law, m->data, pcm, (int)m->len);
	fs_remote_rx(c->remote, pcm, (int)m->len);
	if (fs_remote_hangs_up(c->remote)) {
		fs_call_end(fs, c, true, NULL, "the remote hung up");
		return 0;
	}
	if (fs->timing == SIMNET_UNPACED) {
		fs_call_block(fs, c);
		if (fs_remote_hangs_up(c->remote))
			fs_call_end(fs, c, true, NULL, "the remote hung up");
	}
	return 0;
}

int fs_call_frame(struct fs *fs, struct fs_call *c, const struct simnet_msg *m)
{
	struct buf err = BUF_INIT;

	/* the rest of a call that has ended here, or a refusal that crossed our cancel */
	if (!c || c->ref != m->call)
		return 0;
	switch (m->type) {
	case SIMNET_AUDIO:
		return fs_call_audio(fs, c, m);
	case SIMNET_HANGUP:
		fs_call_end(fs, c, false, c->state == FSC_OFFERED ? "refused" : NULL,
		            c->state == FSC_OFFERED ? "faxd refused the call" : "faxd hung up");
		return 0;
	case SIMNET_ANSWER:
		if (!c->inbound || c->state != FSC_OFFERED)
			return -1;
		c->remote = fs_remote_fax_tx(c->path, c->station, c->sub, c->hangup_after_page, &err);
		if (!c->remote) {
			log_error("%s", buf_cstr(&err));
			buf_free(&err);
			fs_call_end(fs, c, true, "failed", "the simulated fax machine cannot send the file");
			return 0;
		}
		log_info("line %d: faxd answered the call from %s", c->line, c->caller);
		fs_call_connect(fs, c);
		return 0;
	default:
		return -1;
	}
}

void fs_call_lost(struct fs *fs, struct fs_call *c, const char *why)
{
	if (c->ctl && c->ctl->dead) {
		c->ctl = NULL;
		fs_call_end(fs, c, true, NULL, why);
	} else {
		c->trunk->lines[c->line] = NULL;
		c->trunk = NULL;
		fs_call_end(fs, c, false, "failed", why);
	}
}

/* The pages of the file, if it is a fax spandsp can send; -1 with the reason. */
static int fs_file_pages(const char *path, struct buf *err)
{
	struct page_list pages = {0};
	char why[300];
	int yres = 0, n;

	if (path[0] != '/') {
		buf_printf(err, "the file must be given with an absolute path: %s", path);
		return -1;
	}
	if (faxtiff_read(path, &pages, &yres, why, sizeof(why)) < 0) {
		buf_printf(err, "%s: %s", path, why);
		return -1;
	}
	n = (int)pages.count;
	for (size_t i = 0; i < pages.count; i++) {
		int w = pages.pages[i].width;
		if (w != 1728 && w != 2048 && w != 2432 && w != 3456) {
			buf_printf(err,
			           "%s: page %zu is %d pixels wide, not a fax width (1728, 2048, 2432, 3456)",
			           path, i + 1, w);
			n = -1;
			break;
		}
	}
	if (n == 0)
		buf_printf(err, "%s: no pages", path);
	page_list_free(&pages);
	return n > 0 ? n : -1;
}

/* The trunk for a number: one that announced it with a free line, else a catch-all one. */
static struct fs_conn *fs_route(struct fs *fs, const char *called, int *line, bool *busy)
{
	*busy = false;
	for (int pass = 0; pass < 2; pass++)
		for (struct fs_conn *t = fs->conns; t; t = t->next) {
			bool match = false;

			if (t->kind != FS_TRUNK || t->dead)
				continue;
			if (pass == 0)
				for (int i = 0; i < t->nnumbers && !match; i++)
					match = strcmp(t->numbers[i], called) == 0;
			else
				match = t->nnumbers == 0;
			if (!match)
				continue;
			/* from the top: faxd takes low lines for its own calls */
			for (int l = t->nlines - 1; l >= 0; l--)
				if (!t->lines[l]) {
					*line = l;
					return t;
				}
			*busy = true;
		}
	return NULL;
}

void fs_call_inbound(struct fs *fs, struct fs_conn *ctl, const struct simnet_call_req *req)
{
	const char *path = req->path, *caller = req->caller, *called = req->called, *sub = req->sub;
	struct buf err = BUF_INIT;
	struct fs_conn *trunk;
	struct fs_call *c;
	int pages, line = 0;
	char text[120];
	bool busy;

	if (!simnet_number_ok(called) || (caller[0] && !simnet_number_ok(caller)) ||
	    !simnet_digits_ok(sub, SIMNET_MAX_SUB)) {
		fs_result(ctl, "error", -1, 0, "the numbers must be digits with an optional leading +");
		return;
	}
	pages = fs_file_pages(path, &err);
	if (pages < 0) {
		fs_result(ctl, "error", -1, 0, buf_cstr(&err));
		buf_free(&err);
		return;
	}
	if (req->hangup_after_page >= pages) {
		snprintf(text, sizeof(text),
		         "the caller cannot hang up in the middle of page %d of a fax of %d pages",
		         req->hangup_after_page + 1, pages);
		fs_result(ctl, "error", -1, 0, text);
		return;
	}
	trunk = fs_route(fs, called, &line, &busy);
	if (!trunk) {
		fs_result(ctl, busy ? "busy" : "unassigned", -1, 0,
		          busy ? "every line of the trunk is in use" : "no trunk answers that number");
		fs->stats.calls_total++;
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->trunk = trunk;
	c->line = line;
	c->inbound = true;
	c->ctl = ctl;
	c->ref = SIMNET_CALL_IN | (++fs->next_in_ref & ~SIMNET_CALL_IN);
	c->state = FSC_OFFERED;
	c->file_pages = pages;
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(c->caller, sizeof(c->caller), "%s", caller);
	snprintf(c->dial, sizeof(c->dial), "%s", called);
	snprintf(c->station, sizeof(c->station), "%s", req->station);
	snprintf(c->sub, sizeof(c->sub), "%s", sub);
	c->hangup_after_page = req->hangup_after_page;
	ctl->call = c;
	fs_call_add(fs, c);
	const char *f[3] = {caller, called, sub};
	simnet_put_strings(&trunk->io.out, SIMNET_INCOMING, line, c->ref, 3, f);
	fs_call_timer(c, FST_OFFER, FS_RING_TIMEOUT * 1000000000LL);
	log_info("line %d: call from %s to %s (%d pages of %s)", line, caller[0] ? caller : "?", called,
	         pages, path);
	if (c->hangup_after_page > 0)
		log_info("line %d: the caller will hang up in the middle of page %d", line,
		         c->hangup_after_page + 1);
}
