/*
 * line.c - line.h's entry points: pick the driver the configuration names and forward to it.
 */
#include "line/line_int.h"

#include <stddef.h>
#include <string.h>

#include "policy/words.h"

struct line_driver *line_open(const struct conf *conf, struct buf *err)
{
	switch (conf->line_driver) {
	case CONF_LINE_SIM:
		return line_sim_open(conf, err);
	case CONF_LINE_SIP:
		return line_sip_open(conf, err);
	default:
		buf_printf(err, "unknown line_driver %d", conf->line_driver);
		return NULL;
	}
}

int line_preload(const struct conf *conf, struct buf *err)
{
	return conf->line_driver == CONF_LINE_SIP ? line_sip_preload(conf, err) : 0;
}

void line_close(struct line_driver *d)
{
	if (d)
		d->ops->close(d);
}

int line_fd(const struct line_driver *d)
{
	return d->ops->fd(d);
}

int line_next_event(struct line_driver *d, struct line_event *ev)
{
	return d->ops->next_event(d, ev);
}

static bool line_valid(const struct line_driver *d, int line)
{
	return line >= 0 && line < d->count;
}

int line_dial(struct line_driver *d, int line, const char *dial, const char *caller_id, enum line_media media)
{
	return line_valid(d, line) ? d->ops->dial(d, line, dial, caller_id ? caller_id : "", media) : -1;
}

int line_answer(struct line_driver *d, int line)
{
	return line_valid(d, line) ? d->ops->answer(d, line) : -1;
}

int line_hangup(struct line_driver *d, int line)
{
	return line_valid(d, line) ? d->ops->hangup(d, line) : -1;
}

int line_send_audio(struct line_driver *d, int line, const int16_t *samples, int n)
{
	if (!line_valid(d, line) || n < 1 || n > LINE_MAX_BLOCK)
		return -1;
	return d->ops->send_audio(d, line, samples, n);
}

int line_send_ifp(struct line_driver *d, int line, const uint8_t *ifp, int len, int count)
{
	if (!line_valid(d, line) || !d->ops->send_ifp || len < 1 || len > LINE_MAX_IFP)
		return -1;
	return d->ops->send_ifp(d, line, ifp, len, count < 1 ? 1 : count);
}

void line_first_number(const struct conf *conf, char *out, size_t outlen)
{
	const char *cur = conf->line_numbers, *w;
	size_t len;

	out[0] = 0;
	if (words_next(&cur, &w, &len) && len < outlen) {
		memcpy(out, w, len);
		out[len] = 0;
	}
}

int line_count(const struct line_driver *d)
{
	return d->count;
}
