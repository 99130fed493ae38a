/*
 * line_sim.c - faxd's lines on the simulated telephone network: one connection to faxsim is a
 * trunk of line_count lines.
 *
 * The connection is made once (line_open): the numbers this server answers (line_numbers), then
 * HELLO with the law and the number of lines; faxsim answers WELCOME or ERROR. After that the
 * socket is non-blocking: frames are read into a buffer and turned into events in the order they
 * came. Every frame is checked against the line's state and call reference; frames of a call that
 * already ended here are dropped, anything else unexpected is a protocol violation that ends the
 * connection like a network failure: HANGUP for every busy line, DOWN, then -1.
 *
 * Audio answers are collected and written in one go when no further complete frame is waiting, so
 * a burst of blocks for many lines costs one write. faxsim is a local process: a write that cannot
 * complete within 2 seconds counts as a lost network.
 */
#include "line/line_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "simnet/simnet_io.h"
#include "util/log.h"
#include "util/xalloc.h"

#define LSIM_WRITE_WAIT_MS 2000
#define LSIM_HELLO_WAIT_MS 5000
#define LSIM_MAX_OWED      1000 /* audio blocks received and not answered: faxd is not driving the line */

enum lsim_state { LSIM_IDLE, LSIM_DIALING, LSIM_RINGING, LSIM_CONNECTED, LSIM_OFFERED };

struct lsim_line {
	enum lsim_state state;
	uint32_t call;
	int owed; /* audio blocks to answer */
};

struct line_sim {
	struct line_driver base;
	struct simnet_io io;
	struct lsim_line *lines;
	uint32_t next_call;
	int law;
	bool gone;
	int dying; /* next line to report hung up once gone */
	bool down_sent;
};

static void lsim_fail(struct line_sim *s, const char *why)
{
	if (!s->gone) {
		log_error("simulated network: %s", why);
		s->gone = true;
		/* wakes up whoever polls line_fd, so the failure is seen */
		shutdown(s->io.fd, SHUT_RDWR);
	}
}

static void lsim_flush(struct line_sim *s, bool wait)
{
	int rc;

	if (s->gone)
		return;
	rc = simnet_io_flush(&s->io);
	if (rc == 1 && wait)
		rc = simnet_io_flush_wait(&s->io, LSIM_WRITE_WAIT_MS);
	if (rc < 0)
		lsim_fail(s,
		          errno == ETIMEDOUT ? "faxsim does not read its socket" : "cannot write to faxsim");
}

static void lsim_send(struct line_sim *s, int type, int line, uint32_t call)
{
	simnet_put(&s->io.out, type, line, call, NULL, 0);
	lsim_flush(s, true);
}

static void lsim_close(struct line_driver *d)
{
	struct line_sim *s = (struct line_sim *)d;

	if (!s->gone)
		simnet_io_flush_wait(&s->io, 200);
	simnet_io_free(&s->io);
	free(s->lines);
	free(s);
}

static int lsim_fd(const struct line_driver *d)
{
	return ((const struct line_sim *)d)->io.fd;
}

static void lsim_event(struct line_event *ev, enum line_event_type type, int line)
{
	ev->type = type;
	ev->line = line;
	ev->caller[0] = ev->called[0] = ev->subaddress[0] = 0;
	ev->nsamples = 0;
}

/* After the network is gone: a HANGUP for every line in a call, then DOWN, then -1. */
static int lsim_dying(struct line_sim *s, struct line_event *ev)
{
	while (s->dying < s->base.count) {
		struct lsim_line *l = &s->lines[s->dying++];
		if (l->state != LSIM_IDLE) {
			l->state = LSIM_IDLE;
			lsim_event(ev, LINE_EV_HANGUP, s->dying - 1);
			return 1;
		}
	}
	if (!s->down_sent) {
		s->down_sent = true;
		lsim_event(ev, LINE_EV_DOWN, -1);
		return 1;
	}
	return -1;
}

static int lsim_incoming(struct line_sim *s, const struct simnet_msg *m, struct line_event *ev,
                         struct buf *why)
{
	static const size_t max[3] = {SIMNET_MAX_NUMBER, SIMNET_MAX_NUMBER, SIMNET_MAX_SUB};
	struct lsim_line *l = &s->lines[m->line];
	const char *f[3];

	if (!(m->call & SIMNET_CALL_IN)) {
		buf_printf(why, "INCOMING with a call reference of ours (%u)", m->call);
		return -1;
	}
	if (simnet_get_strings(m, 3, f, max, why) < 0)
		return -1;
	if ((f[0][0] && !simnet_number_ok(f[0])) || !simnet_number_ok(f[1]) ||
	    !simnet_digits_ok(f[2], SIMNET_MAX_SUB)) {
		buf_printf(why,
		           "INCOMING with a malformed number (caller '%s', called '%s', sub-address '%s')",
		           f[0], f[1], f[2]);
		return -1;
	}
	if (l->state != LSIM_IDLE) {
		/* our DIAL crossed it: the network gives the line to the outgoing call; refuse to be sure */
		simnet_put(&s->io.out, SIMNET_HANGUP, m->line, m->call, NULL, 0);
		return 0;
	}
	l->state = LSIM_OFFERED;
	l->call = m->call;
	l->owed = 0;
	lsim_event(ev, LINE_EV_INCOMING, m->line);
	strcpy(ev->caller, f[0]);
	strcpy(ev->called, f[1]);
	strcpy(ev->subaddress, f[2]);
	return 1;
}

/* A frame from faxsim: 1 with an event, 0 dropped, -1 with the violation in why. */
static int lsim_frame(struct line_sim *s, const struct simnet_msg *m, struct line_event *ev, struct buf *why)
{
	struct lsim_line *l;

	if (m->type == SIMNET_ERROR) {
		buf_printf(why, "faxsim: %.*s", (int)m->len - 1, (const char *)m->data);
		return -1;
	}
	if (m->line >= s->base.count) {
		buf_printf(why, "%s for line %d of %d", simnet_type_name(m->type), m->line, s->base.count);
		return -1;
	}
	l = &s->lines[m->line];
	if (m->type == SIMNET_INCOMING)
		return lsim_incoming(s, m, ev, why);
	switch (m->type) {
	case SIMNET_RINGING:
	case SIMNET_ANSWERED:
	case SIMNET_BUSY:
	case SIMNET_NO_ANSWER:
	case SIMNET_UNASSIGNED:
	case SIMNET_CONGESTION:
	case SIMNET_HANGUP:
	case SIMNET_AUDIO:
		break;
	default:
		buf_printf(why, "unexpected %s", simnet_type_name(m->type));
		return -1;
	}
	if (l->state == LSIM_IDLE || m->call != l->call)
		return 0; /* the rest of a call that ended on our side */
	switch (m->type) {
	case SIMNET_RINGING:
		if (l->state != LSIM_DIALING)
			break;
		l->state = LSIM_RINGING;
		lsim_event(ev, LINE_EV_RINGING, m->line);
		return 1;
	case SIMNET_ANSWERED:
		if (l->state != LSIM_DIALING && l->state != LSIM_RINGING)
			break;
		l->state = LSIM_CONNECTED;
		lsim_event(ev, LINE_EV_ANSWERED, m->line);
		return 1;
	case SIMNET_HANGUP:
		l->state = LSIM_IDLE;
		lsim_event(ev, LINE_EV_HANGUP, m->line);
		return 1;
	case SIMNET_AUDIO:
		if (l->state != LSIM_CONNECTED)
			break;
		if (++l->owed > LSIM_MAX_OWED) {
			buf_printf(why, "line %d: %d audio blocks not answered", m->line, LSIM_MAX_OWED);
			return -1;
		}
		lsim_event(ev, LINE_EV_AUDIO, m->line);
		ev->nsamples = (int)m->len;
		simnet_g711_decode(s->law, m->data, ev->samples, (int)m->len);
		return 1;
	default: /* the call failed: BUSY, NO_ANSWER, UNASSIGNED, CONGESTION */
		if (l->state != LSIM_DIALING && l->state != LSIM_RINGING)
			break;
		l->state = LSIM_IDLE;
		lsim_event(ev,
		           m->type == SIMNET_BUSY         ? LINE_EV_BUSY
		           : m->type == SIMNET_NO_ANSWER  ? LINE_EV_NO_ANSWER
		           : m->type == SIMNET_UNASSIGNED ? LINE_EV_UNASSIGNED
		                                          : LINE_EV_CONGESTION,
		           m->line);
		return 1;
	}
	buf_printf(why, "%s on line %d in the wrong state (%d)", simnet_type_name(m->type), m->line,
	           l->state);
	return -1;
}

static int lsim_next_event(struct line_driver *d, struct line_event *ev)
{
	struct line_sim *s = (struct line_sim *)d;
	struct buf why = BUF_INIT;
	struct simnet_msg m;

	lsim_event(ev, LINE_EV_NONE, -1);
	while (!s->gone) {
		int rc = simnet_io_next(&s->io, &m, &why);

		if (rc < 0) {
			buf_printf(&why, " (malformed frame from faxsim)");
			lsim_fail(s, buf_cstr(&why));
			break;
		}
		if (rc == 0) {
			/* everything received is handled: the answers go out together */
			lsim_flush(s, true);
			if (s->gone)
				break;
			rc = simnet_io_fill(&s->io);
			if (rc == 0) {
				buf_free(&why);
				return 0;
			}
			if (rc < 0) {
				lsim_fail(s, errno ? "connection to faxsim lost"
				                   : "faxsim closed the connection");
				break;
			}
			continue;
		}
		rc = lsim_frame(s, &m, ev, &why);
		if (rc < 0) {
			lsim_fail(s, buf_cstr(&why));
			break;
		}
		if (rc > 0) {
			buf_free(&why);
			return 1;
		}
	}
	buf_free(&why);
	return lsim_dying(s, ev);
}

static int lsim_dial(struct line_driver *d, int line, const char *dial, const char *caller_id,
                     enum line_media media)
{
	struct line_sim *s = (struct line_sim *)d;
	struct lsim_line *l = &s->lines[line];
	const char *f[2] = {dial, caller_id};
	(void)media; /* the simulated network carries audio only */

	if (s->gone || l->state != LSIM_IDLE)
		return -1;
	if (!simnet_number_ok(dial) || (caller_id[0] && !simnet_number_ok(caller_id))) {
		log_warning("line %d: cannot dial '%.40s' with caller id '%.40s': not a number", line, dial,
		            caller_id);
		return -1;
	}
	s->next_call = (s->next_call + 1) & ~SIMNET_CALL_IN;
	if (s->next_call == 0)
		s->next_call = 1;
	l->state = LSIM_DIALING;
	l->call = s->next_call;
	l->owed = 0;
	simnet_put_strings(&s->io.out, SIMNET_DIAL, line, l->call, 2, f);
	lsim_flush(s, true);
	return 0;
}

static int lsim_answer(struct line_driver *d, int line)
{
	struct line_sim *s = (struct line_sim *)d;
	struct lsim_line *l = &s->lines[line];

	if (s->gone || l->state != LSIM_OFFERED)
		return -1;
	l->state = LSIM_CONNECTED;
	lsim_send(s, SIMNET_ANSWER, line, l->call);
	return 0;
}

static int lsim_hangup(struct line_driver *d, int line)
{
	struct line_sim *s = (struct line_sim *)d;
	struct lsim_line *l = &s->lines[line];

	if (l->state == LSIM_IDLE)
		return 0;
	l->state = LSIM_IDLE;
	lsim_send(s, SIMNET_HANGUP, line, l->call);
	return 0;
}

static int lsim_send_audio(struct line_driver *d, int line, const int16_t *samples, int n)
{
	struct line_sim *s = (struct line_sim *)d;
	struct lsim_line *l = &s->lines[line];
	uint8_t g[LINE_MAX_BLOCK];

	if (s->gone || l->state != LSIM_CONNECTED || l->owed <= 0)
		return -1;
	l->owed--;
	simnet_g711_encode(s->law, samples, g, n);
	simnet_put(&s->io.out, SIMNET_AUDIO, line, l->call, g, (size_t)n);
	/* more frames waiting means more answers to come: write them together */
	if (!simnet_io_ready(&s->io))
		lsim_flush(s, true);
	return 0;
}

static const struct line_ops lsim_ops = {
    .close = lsim_close,
    .fd = lsim_fd,
    .next_event = lsim_next_event,
    .dial = lsim_dial,
    .answer = lsim_answer,
    .hangup = lsim_hangup,
    .send_audio = lsim_send_audio,
};

/* The numbers this server answers, each checked; 0 or -1 with why. */
static int lsim_announce(struct line_sim *s, const char *list, struct buf *err)
{
	char *copy = xstrdup(list ? list : ""), *save = NULL;
	int rc = 0;

	for (char *w = strtok_r(copy, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save)) {
		if (w[0] != '+' || !simnet_digits_ok(w + 1, SIMNET_MAX_NUMBER - 1) || !w[1]) {
			buf_printf(err, "line_numbers: '%.40s' is not an E.164 number (+ and digits)", w);
			rc = -1;
			break;
		}
		simnet_put(&s->io.out, SIMNET_NUMBER, 0, 0, w, strlen(w) + 1);
	}
	free(copy);
	return rc;
}

/* Wait for WELCOME (or ERROR) after HELLO. */
static int lsim_welcome(struct line_sim *s, int law, struct buf *err)
{
	struct buf why = BUF_INIT;
	struct simnet_msg m;
	int rc;

	for (;;) {
		rc = simnet_io_next(&s->io, &m, &why);
		if (rc < 0) {
			buf_printf(err, "faxsim: %s", buf_cstr(&why));
			break;
		}
		if (rc > 0) {
			if (m.type == SIMNET_ERROR)
				buf_printf(err, "faxsim refused the trunk: %.*s", (int)m.len - 1,
				           (const char *)m.data);
			else if (m.type != SIMNET_WELCOME)
				buf_printf(err, "faxsim answered HELLO with %s", simnet_type_name(m.type));
			else if (simnet_get16(m.data) != SIMNET_VERSION)
				buf_printf(err, "faxsim speaks protocol version %u, not %d",
				           simnet_get16(m.data), SIMNET_VERSION);
			else if (m.data[2] != law)
				buf_printf(err, "faxsim's network uses %s, sim_law says %s",
				           m.data[2] == SIMNET_ALAW ? "A-law" : "mu-law",
				           law == SIMNET_ALAW ? "alaw" : "ulaw");
			else {
				log_info("simulated network: %d lines, %s, %s timing", s->base.count,
				         law == SIMNET_ALAW ? "A-law" : "mu-law",
				         m.data[3] == SIMNET_REALTIME ? "real-time" : "unpaced");
				buf_free(&why);
				return 0;
			}
			break;
		}
		struct pollfd p = {.fd = s->io.fd, .events = POLLIN};
		rc = poll(&p, 1, LSIM_HELLO_WAIT_MS);
		if (rc == 0) {
			buf_puts(err, "faxsim did not answer HELLO within 5 seconds");
			break;
		}
		if ((rc < 0 && errno != EINTR) || simnet_io_fill(&s->io) < 0) {
			buf_puts(err, "faxsim closed the connection during HELLO");
			break;
		}
	}
	buf_free(&why);
	return -1;
}

struct line_driver *line_sim_open(const struct conf *conf, struct buf *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int law = conf->sim_law == CONF_LAW_ALAW ? SIMNET_ALAW : SIMNET_ULAW;
	struct line_sim *s;
	uint8_t hello[6];
	int fd;

	if (!conf->sim_socket || !*conf->sim_socket || strlen(conf->sim_socket) >= sizeof(sa.sun_path)) {
		buf_printf(err, "sim_socket must be a path of 1 to %zu characters", sizeof(sa.sun_path) - 1);
		return NULL;
	}
	if (conf->line_count < 1 || conf->line_count > SIMNET_MAX_LINES) {
		buf_printf(err, "line_count must be from 1 to %d for the simulated network",
		           SIMNET_MAX_LINES);
		return NULL;
	}
	strcpy(sa.sun_path, conf->sim_socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		buf_printf(err, "cannot connect to faxsim at %s: %m", conf->sim_socket);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->base.ops = &lsim_ops;
	s->base.count = (int)conf->line_count;
	s->lines = xcalloc((size_t)s->base.count, sizeof(*s->lines));
	s->law = law;
	simnet_io_init(&s->io, fd);
	if (lsim_announce(s, conf->line_numbers, err) < 0)
		goto fail;
	simnet_set16(hello, SIMNET_VERSION);
	hello[2] = (uint8_t)law;
	hello[3] = 0;
	simnet_set16(hello + 4, (unsigned)s->base.count);
	simnet_put(&s->io.out, SIMNET_HELLO, 0, 0, hello, sizeof(hello));
	if (simnet_io_flush_wait(&s->io, LSIM_HELLO_WAIT_MS) < 0) {
		buf_printf(err, "cannot write to faxsim at %s: %m", conf->sim_socket);
		goto fail;
	}
	if (lsim_welcome(s, law, err) < 0)
		goto fail;
	/* from now on nothing may block faxd's event loop */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		buf_printf(err, "cannot make the faxsim socket non-blocking: %m");
		goto fail;
	}
	return &s->base;
fail:
	lsim_close(&s->base);
	return NULL;
}
