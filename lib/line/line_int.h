/*
 * line_int.h - what a line driver provides behind line.h: one table of functions per kind of
 * network. A driver's own struct begins with struct line_driver.
 */
#ifndef FAXGATE_LINE_LINE_INT_H
#define FAXGATE_LINE_LINE_INT_H

#include "line/line.h"

struct line_ops {
	void (*close)(struct line_driver *d);
	int (*fd)(const struct line_driver *d);
	int (*next_event)(struct line_driver *d, struct line_event *ev);
	int (*dial)(struct line_driver *d, int line, const char *dial, const char *caller_id,
	            enum line_media media);
	int (*answer)(struct line_driver *d, int line);
	int (*hangup)(struct line_driver *d, int line);
	int (*send_audio)(struct line_driver *d, int line, const int16_t *samples, int n);
	int (*send_ifp)(struct line_driver *d, int line, const uint8_t *ifp, int len, int count); /* NULL: no T.38 */
};

struct line_driver {
	const struct line_ops *ops;
	int count; /* lines */
};

/* The simulated network (line_sim.c). */
struct line_driver *line_sim_open(const struct conf *conf, struct buf *err);
/* SIP trunks (line_sip*.c). */
struct line_driver *line_sip_open(const struct conf *conf, struct buf *err);
int line_sip_preload(const struct conf *conf, struct buf *err);

#endif
