/*
 * line_sip.c - faxd's lines over SIP trunks (being written: see docs/sip.md).
 */
#include "line/line_int.h"

struct line_driver *line_sip_open(const struct conf *conf, struct buf *err)
{
	(void)conf;
	buf_puts(err, "line_driver = sip: not built yet");
	return NULL;
}
