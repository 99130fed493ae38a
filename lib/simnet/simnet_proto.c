/*
 * simnet_proto.c - framing and validation of the simulated network's messages (simnet_proto.h).
 */
#include "simnet/simnet_proto.h"

#include <stdio.h>
#include <string.h>

#include "util/log.h"

struct simnet_type_info {
	const char *name;
	size_t min, max; /* payload bounds */
};

static const struct simnet_type_info simnet_types[SIMNET_TYPE_MAX + 1] = {
    [SIMNET_NUMBER] = {"NUMBER", 2, SIMNET_MAX_NUMBER + 1},
    [SIMNET_HELLO] = {"HELLO", 6, 6},
    [SIMNET_DIAL] = {"DIAL", 3, 2 * (SIMNET_MAX_NUMBER + 1)},
    [SIMNET_ANSWER] = {"ANSWER", 0, 0},
    [SIMNET_HANGUP] = {"HANGUP", 0, 0},
    [SIMNET_AUDIO] = {"AUDIO", 1, SIMNET_MAX_BLOCK},
    [SIMNET_WELCOME] = {"WELCOME", 6, 6},
    [SIMNET_ERROR] = {"ERROR", 1, SIMNET_MAX_TEXT + 1},
    [SIMNET_RINGING] = {"RINGING", 0, 0},
    [SIMNET_ANSWERED] = {"ANSWERED", 0, 0},
    [SIMNET_BUSY] = {"BUSY", 0, 0},
    [SIMNET_NO_ANSWER] = {"NO_ANSWER", 0, 0},
    [SIMNET_UNASSIGNED] = {"UNASSIGNED", 0, 0},
    [SIMNET_CONGESTION] = {"CONGESTION", 0, 0},
    [SIMNET_INCOMING] = {"INCOMING", 3, 2 * (SIMNET_MAX_NUMBER + 1) + SIMNET_MAX_SUB + 1},
    [SIMNET_CALL] = {"CALL", 6,
                     SIMNET_MAX_PATH + 1 + 2 * (SIMNET_MAX_NUMBER + 1) + SIMNET_MAX_IDENT + 1 +
                         SIMNET_MAX_SUB + 1 + 3 + 1},
    [SIMNET_RESULT] = {"RESULT", 4, SIMNET_MAX_PAYLOAD},
    [SIMNET_STATS_REQ] = {"STATS_REQ", 0, 0},
    [SIMNET_STATS] = {"STATS", 1, SIMNET_MAX_PAYLOAD},
};

const char *simnet_type_name(int type)
{
	if (type <= 0 || type > SIMNET_TYPE_MAX || !simnet_types[type].name)
		return "?";
	return simnet_types[type].name;
}

unsigned simnet_get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

void simnet_set16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int simnet_take(const void *data, size_t avail, struct simnet_msg *m, struct buf *err)
{
	const uint8_t *p = data;
	size_t len;
	int type;

	/* the type is checked as soon as it is there, so garbage is refused without waiting for more */
	if (avail < 1)
		return 0;
	type = p[0];
	if (type == 0 || type > SIMNET_TYPE_MAX || !simnet_types[type].name) {
		buf_printf(err, "unknown message type %d", type);
		return -1;
	}
	if (avail < SIMNET_HEADER)
		return 0;
	if (p[1] != 0) {
		buf_printf(err, "%s: flags 0x%02x, expected 0", simnet_types[type].name, p[1]);
		return -1;
	}
	len = simnet_get16(p + 8);
	if (len < simnet_types[type].min || len > simnet_types[type].max) {
		buf_printf(err, "%s: payload of %zu bytes, expected %zu to %zu", simnet_types[type].name, len,
		           simnet_types[type].min, simnet_types[type].max);
		return -1;
	}
	if (avail < SIMNET_HEADER + len)
		return 0;
	m->type = type;
	m->line = (int)simnet_get16(p + 2);
	m->call = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	m->len = len;
	m->data = p + SIMNET_HEADER;
	return (int)(SIMNET_HEADER + len);
}

void simnet_put(struct buf *out, int type, int line, uint32_t call, const void *payload, size_t len)
{
	uint8_t h[SIMNET_HEADER];

	if (type <= 0 || type > SIMNET_TYPE_MAX || len < simnet_types[type].min ||
	    len > simnet_types[type].max || line < 0 || line > 0xffff)
		log_fatal("simnet: cannot frame %s line %d with %zu bytes", simnet_type_name(type), line,
		          len);
	h[0] = (uint8_t)type;
	h[1] = 0;
	simnet_set16(h + 2, (unsigned)line);
	h[4] = (uint8_t)(call >> 24);
	h[5] = (uint8_t)(call >> 16);
	h[6] = (uint8_t)(call >> 8);
	h[7] = (uint8_t)call;
	simnet_set16(h + 8, (unsigned)len);
	buf_append(out, h, sizeof(h));
	if (len)
		buf_append(out, payload, len);
}

void simnet_put_strings(struct buf *out, int type, int line, uint32_t call, int n, const char *const *s)
{
	char tmp[SIMNET_MAX_PAYLOAD];
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		const char *v = s[i] ? s[i] : "";
		size_t l = strlen(v) + 1;

		if (len + l > sizeof(tmp))
			log_fatal("simnet: %s payload too long", simnet_type_name(type));
		memcpy(tmp + len, v, l);
		len += l;
	}
	simnet_put(out, type, line, call, tmp, len);
}

int simnet_get_strings(const struct simnet_msg *m, int n, const char **s, const size_t *max, struct buf *err)
{
	size_t off = 0;

	for (int i = 0; i < n; i++) {
		const uint8_t *start = m->data + off;
		size_t l = 0;

		while (off + l < m->len && start[l] != 0) {
			if (start[l] < 0x20 || start[l] > 0x7e) {
				buf_printf(err, "%s: field %d holds a non-printable byte 0x%02x",
				           simnet_type_name(m->type), i + 1, start[l]);
				return -1;
			}
			l++;
		}
		if (off + l >= m->len) {
			buf_printf(err, "%s: field %d is not terminated (%d fields expected)",
			           simnet_type_name(m->type), i + 1, n);
			return -1;
		}
		if (l > max[i]) {
			buf_printf(err, "%s: field %d has %zu bytes, at most %zu allowed",
			           simnet_type_name(m->type), i + 1, l, max[i]);
			return -1;
		}
		s[i] = (const char *)start;
		off += l + 1;
	}
	if (off != m->len) {
		buf_printf(err, "%s: %zu bytes after the %d fields", simnet_type_name(m->type), m->len - off,
		           n);
		return -1;
	}
	return 0;
}

void simnet_call_put(struct buf *out, const struct simnet_call_req *r)
{
	char cut[16] = "";
	const char *f[6] = {r->path, r->caller, r->station, r->called, r->sub, cut};

	if (r->hangup_after_page < 0 || r->hangup_after_page > SIMNET_MAX_CUT)
		log_fatal("simnet: CALL with hang-up page %d", r->hangup_after_page);
	if (r->hangup_after_page > 0)
		snprintf(cut, sizeof(cut), "%d", r->hangup_after_page);
	simnet_put_strings(out, SIMNET_CALL, 0, 0, 6, f);
}

int simnet_call_get(const struct simnet_msg *m, struct simnet_call_req *r, struct buf *err)
{
	static const size_t max[6] = {SIMNET_MAX_PATH,   SIMNET_MAX_NUMBER, SIMNET_MAX_IDENT,
	                              SIMNET_MAX_NUMBER, SIMNET_MAX_SUB,    3};
	const char *f[6];
	int cut = 0;

	if (m->type != SIMNET_CALL) {
		buf_printf(err, "%s is not a CALL", simnet_type_name(m->type));
		return -1;
	}
	if (simnet_get_strings(m, 6, f, max, err) < 0)
		return -1;
	for (const char *p = f[5]; *p; p++) {
		if (*p < '0' || *p > '9' || (p == f[5] && *p == '0')) {
			buf_printf(err, "CALL: the hang-up page \"%s\" is not a number from 1 to %d", f[5],
			           SIMNET_MAX_CUT);
			return -1;
		}
		cut = cut * 10 + (*p - '0');
	}
	r->path = f[0];
	r->caller = f[1];
	r->station = f[2];
	r->called = f[3];
	r->sub = f[4];
	r->hangup_after_page = cut;
	return 0;
}

bool simnet_number_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > SIMNET_MAX_NUMBER || (s[0] == '+' && n == 1))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '*' || s[i] == '#' || (i == 0 && s[i] == '+')))
			return false;
	return true;
}

bool simnet_digits_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}
