/*
 * fs_conn.c - faxsim's peers: trunks (faxd's sim line driver) and control clients (faxctl sim).
 *
 * A connection's first message says what it is: NUMBER or HELLO make a trunk, CALL or STATS_REQ a
 * control client. Peers are local processes, yet everything they send is checked: a malformed
 * frame, a message of the wrong kind, a line out of range or a call reference that is not the
 * line's get an ERROR and the connection is dropped (its calls end). A peer that stops reading is
 * dropped when FS_MAX_OUT bytes are waiting for it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "faxsim.h"
#include "util/log.h"
#include "util/xalloc.h"

void fs_conn_put(struct fs_conn *c, int type, int line, uint32_t call, const void *data, size_t len)
{
	if (c && !c->dead)
		simnet_put(&c->io.out, type, line, call, data, len);
}

static void fs_conn_error(struct fs *fs, struct fs_conn *c, const char *why)
{
	if (!c->dead) {
		log_warning("connection %d: %s: dropped", c->id, why);
		simnet_put(&c->io.out, SIMNET_ERROR, 0, 0, why, strlen(why) + 1);
		simnet_io_flush(&c->io);
	}
	fs_conn_drop(fs, c, why);
}

void fs_conn_accept(struct fs *fs)
{
	for (;;) {
		int fd = accept4(fs->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct fs_conn *c;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warning("accept: %m");
			return;
		}
		if (fs->nconns >= FS_MAX_CONNS) {
			log_warning("more than %d connections: refusing one", FS_MAX_CONNS);
			close(fd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		simnet_io_init(&c->io, fd);
		c->id = ++fs->next_conn_id;
		c->next = fs->conns;
		fs->conns = c;
		fs->nconns++;
		log_debug("connection %d accepted", c->id);
	}
}

void fs_conn_drop(struct fs *fs, struct fs_conn *c, const char *why)
{
	if (c->dead)
		return;
	c->dead = true;
	if (c->kind == FS_TRUNK)
		log_notice("trunk %d (%d lines) disconnected: %s", c->id, c->nlines, why);
	else
		log_debug("connection %d closed: %s", c->id, why);
	for (int l = 0; l < c->nlines; l++)
		if (c->lines[l])
			fs_call_lost(fs, c->lines[l], "faxd's trunk disconnected");
	if (c->call)
		fs_call_lost(fs, c->call, "the caller went away");
	c->call = NULL;
}

void fs_conn_reap(struct fs *fs)
{
	struct fs_conn **pp = &fs->conns;

	while (*pp) {
		struct fs_conn *c = *pp;

		if (!c->dead) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		simnet_io_free(&c->io);
		for (int i = 0; i < c->nnumbers; i++)
			free(c->numbers[i]);
		free(c->numbers);
		free(c->lines);
		free(c);
		fs->nconns--;
	}
}

static void fs_conn_hello(struct fs *fs, struct fs_conn *c, const struct simnet_msg *m)
{
	unsigned version = simnet_get16(m->data), lines = simnet_get16(m->data + 4);
	uint8_t welcome[6];
	char why[160];

	if (version != SIMNET_VERSION) {
		snprintf(why, sizeof(why), "protocol version %u is not spoken here (%d is)", version,
		         SIMNET_VERSION);
		fs_conn_error(fs, c, why);
		return;
	}
	if (m->data[2] != fs->law || m->data[3] != 0) {
		snprintf(why, sizeof(why), "this network uses %s: set sim_law = %s",
		         fs->law == SIMNET_ALAW ? "A-law" : "mu-law",
		         fs->law == SIMNET_ALAW ? "alaw" : "ulaw");
		fs_conn_error(fs, c, why);
		return;
	}
	if (lines < 1 || lines > SIMNET_MAX_LINES) {
		snprintf(why, sizeof(why), "a trunk has 1 to %d lines, not %u", SIMNET_MAX_LINES, lines);
		fs_conn_error(fs, c, why);
		return;
	}
	c->kind = FS_TRUNK;
	c->nlines = (int)lines;
	c->lines = xcalloc(lines, sizeof(*c->lines));
	simnet_set16(welcome, SIMNET_VERSION);
	welcome[2] = (uint8_t)fs->law;
	welcome[3] = (uint8_t)fs->timing;
	simnet_set16(welcome + 4, FS_BLOCK);
	simnet_put(&c->io.out, SIMNET_WELCOME, 0, 0, welcome, sizeof(welcome));
	log_notice("trunk %d: %u lines, %d numbers%s", c->id, lines, c->nnumbers,
	           c->nnumbers ? "" : " (takes every incoming call)");
}

static void fs_conn_number(struct fs *fs, struct fs_conn *c, const struct simnet_msg *m)
{
	static const size_t max[1] = {SIMNET_MAX_NUMBER};
	struct buf err = BUF_INIT;
	const char *n;

	if (simnet_get_strings(m, 1, &n, max, &err) < 0 || n[0] != '+' || !simnet_number_ok(n) ||
	    !simnet_digits_ok(n + 1, SIMNET_MAX_NUMBER)) {
		fs_conn_error(fs, c, err.len ? buf_cstr(&err) : "NUMBER: not an E.164 number");
		buf_free(&err);
		return;
	}
	if (c->nnumbers >= FS_MAX_NUMBERS) {
		fs_conn_error(fs, c, "too many numbers for one trunk");
		return;
	}
	c->numbers = xreallocarray(c->numbers, (size_t)c->nnumbers + 1, sizeof(*c->numbers));
	c->numbers[c->nnumbers++] = xstrdup(n);
}

static void fs_conn_control(struct fs *fs, struct fs_conn *c, const struct simnet_msg *m)
{
	struct buf err = BUF_INIT;
	struct simnet_call_req req;

	c->kind = FS_CTL;
	if (m->type == SIMNET_STATS_REQ) {
		struct buf text = BUF_INIT;

		fs_stats_text(fs, &text);
		simnet_put(&c->io.out, SIMNET_STATS, 0, 0, text.data, text.len + 1);
		buf_free(&text);
		c->close_flushed = true;
		return;
	}
	if (simnet_call_get(m, &req, &err) < 0) {
		fs_conn_error(fs, c, buf_cstr(&err));
		buf_free(&err);
		return;
	}
	fs_call_inbound(fs, c, &req);
}

/* A frame on a trunk after HELLO. */
static void fs_conn_trunk(struct fs *fs, struct fs_conn *c, const struct simnet_msg *m)
{
	static const size_t max[2] = {SIMNET_MAX_NUMBER, SIMNET_MAX_NUMBER};
	struct buf err = BUF_INIT;
	struct fs_call *call;
	char why[200];

	if (m->line >= c->nlines) {
		snprintf(why, sizeof(why), "%s for line %d of %d", simnet_type_name(m->type), m->line,
		         c->nlines);
		fs_conn_error(fs, c, why);
		return;
	}
	call = c->lines[m->line];
	switch (m->type) {
	case SIMNET_DIAL: {
		const char *f[2];

		if (simnet_get_strings(m, 2, f, max, &err) < 0 || !simnet_number_ok(f[0]) ||
		    (f[1][0] && !simnet_number_ok(f[1])) || (m->call & SIMNET_CALL_IN) || m->call == 0) {
			snprintf(why, sizeof(why), "line %d: bad DIAL%s%s", m->line, err.len ? ": " : "",
			         buf_cstr(&err));
			buf_free(&err);
			fs_conn_error(fs, c, why);
			return;
		}
		if (fs_call_dial(fs, c, m, f[0], f[1]) < 0) {
			snprintf(why, sizeof(why), "line %d: DIAL while the line is in a call", m->line);
			fs_conn_error(fs, c, why);
		}
		return;
	}
	case SIMNET_ANSWER:
	case SIMNET_HANGUP:
	case SIMNET_AUDIO:
		if (fs_call_frame(fs, call, m) < 0) {
			snprintf(why, sizeof(why), "line %d: %s out of turn", m->line,
			         simnet_type_name(m->type));
			fs_conn_error(fs, c, why);
		}
		return;
	default:
		snprintf(why, sizeof(why), "%s is not a trunk's message", simnet_type_name(m->type));
		fs_conn_error(fs, c, why);
	}
}

static void fs_conn_frame(struct fs *fs, struct fs_conn *c, const struct simnet_msg *m)
{
	char why[120];

	switch (c->kind) {
	case FS_NEW:
		if (m->type == SIMNET_NUMBER)
			fs_conn_number(fs, c, m);
		else if (m->type == SIMNET_HELLO)
			fs_conn_hello(fs, c, m);
		else if ((m->type == SIMNET_CALL || m->type == SIMNET_STATS_REQ) && c->nnumbers == 0)
			fs_conn_control(fs, c, m);
		else {
			snprintf(why, sizeof(why), "%s cannot start a connection", simnet_type_name(m->type));
			fs_conn_error(fs, c, why);
		}
		break;
	case FS_TRUNK:
		fs_conn_trunk(fs, c, m);
		break;
	case FS_CTL:
		snprintf(why, sizeof(why), "%s: a control connection makes one request",
		         simnet_type_name(m->type));
		fs_conn_error(fs, c, why);
		break;
	}
}

void fs_conn_input(struct fs *fs, struct fs_conn *c)
{
	struct buf err = BUF_INIT;
	struct simnet_msg m;
	int rc;

	while (!c->dead) {
		rc = simnet_io_next(&c->io, &m, &err);
		if (rc < 0) {
			fs_conn_error(fs, c, buf_cstr(&err));
			break;
		}
		if (rc > 0) {
			fs_conn_frame(fs, c, &m);
			continue;
		}
		rc = simnet_io_fill(&c->io);
		if (rc == 0)
			break;
		if (rc < 0) {
			fs_conn_drop(fs, c, errno ? strerror(errno) : "closed by the peer");
			break;
		}
	}
	buf_free(&err);
}
