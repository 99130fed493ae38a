/*
 * media.c - T.38 on SIP lines: the call's fax session follows the line into T.38, and what worked
 * with a destination (T.38, or G.711 only because T.38 was refused) is remembered in the queue, so
 * the next call to that number asks for T.38 at once or does not ask at all. The memory is in the
 * queue rather than in this process because every server of the queue calls the same numbers.
 */
#include "faxd.h"
#include "util/log.h"

enum line_media media_hint(struct faxd *fd, const struct faxd_line *l)
{
	struct buf err = BUF_INIT;
	enum media_memory m = MEDIA_UNKNOWN;

	if (fd->conf.line_driver != CONF_LINE_SIP || !l->job.number)
		return LINE_MEDIA_TRY;
	if (queue_media_get(fd->q, l->job.number, time(NULL), fd->conf.sip_media_memory, &m, &err) != QUEUE_OK)
		log_warning("cannot read what worked with %s before: %s", l->job.number, buf_cstr(&err));
	buf_free(&err);
	return m == MEDIA_T38_WORKS ? LINE_MEDIA_T38_AT_ONCE : m == MEDIA_G711_ONLY ? LINE_MEDIA_G711 : LINE_MEDIA_TRY;
}

/* Only what our own calls learnt counts: an incoming call's caller id is no destination. */
static void media_remember(struct faxd *fd, const struct faxd_line *l, enum media_memory m)
{
	struct buf err = BUF_INIT;

	if (l->state != CALL_SENDING || !l->job.number)
		return;
	if (queue_media_put(fd->q, l->job.number, m, time(NULL), &err) != QUEUE_OK)
		log_warning("cannot remember what worked with %s: %s", l->job.number, buf_cstr(&err));
	buf_free(&err);
}

static int media_send_ifp(void *user, const uint8_t *ifp, int len, int count)
{
	struct faxd_line *l = user;

	if (!l->daemon->lines_drv)
		return -1;
	return line_send_ifp(l->daemon->lines_drv, l->index, ifp, len, count);
}

void media_event(struct faxd *fd, struct faxd_line *l, const struct line_event *ev)
{
	bool in_call = (l->state == CALL_SENDING || l->state == CALL_RECEIVING) && l->fs;
	struct buf err = BUF_INIT;

	switch (ev->type) {
	case LINE_EV_T38: {
		struct faxsession_t38 p = {
		    .version = ev->t38.version,
		    .max_bitrate = ev->t38.max_bitrate,
		    .transferred_tcf = ev->t38.transferred_tcf,
		    .fill_bit_removal = ev->t38.fill_bit_removal,
		};
		if (!in_call || faxsession_is_t38(l->fs))
			break;
		if (faxsession_t38_start(l->fs, &p, media_send_ifp, l, &err) < 0) {
			log_error("cannot go on in T.38: %s", buf_cstr(&err));
			call_abort(fd, l, FAX_INTERNAL);
			break;
		}
		l->t38 = true;
		log_notice("the call goes on in T.38 (version %d)", p.version);
		media_remember(fd, l, MEDIA_T38_WORKS);
		break;
	}
	case LINE_EV_T38_REFUSED:
		/* only a refusal is remembered: no answer in time may have been a passing problem */
		log_notice("the far end %s T.38: the call goes on in G.711", ev->t38.final ? "refused" : "did not take");
		if (ev->t38.final)
			media_remember(fd, l, MEDIA_G711_ONLY);
		break;
	case LINE_EV_IFP:
		if (in_call && !l->t30_over && faxsession_is_t38(l->fs))
			faxsession_t38_rx(l->fs, ev->ifp, ev->ifp_len, ev->seq);
		break;
	case LINE_EV_TICK:
		if (in_call && l->t30_over)
			call_t30_over(fd, l); /* its turn may have come */
		else if (in_call && faxsession_is_t38(l->fs) && !faxsession_t38_tick(l->fs, ev->nsamples))
			call_t30_over(fd, l);
		break;
	default:
		break;
	}
	buf_free(&err);
}
