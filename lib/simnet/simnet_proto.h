/*
 * simnet_proto.h - the wire protocol of the simulated telephone network (faxsim and its clients).
 *
 * Every message is a frame: a 10-byte header {type u8, flags u8 (0), line u16, call u32, length u16},
 * big-endian, then length bytes of payload (at most SIMNET_MAX_PAYLOAD). `line` numbers a line of
 * a trunk; `call` is the call reference that every frame of one call carries, so frames of a call
 * that has already ended on one side are recognised and dropped on the other. Text payloads are
 * NUL-terminated printable ASCII strings, one after the other. Audio payloads are G.711 bytes in
 * the network's law. The peer is another process, but every frame is validated as hostile input:
 * unknown types, non-zero flags, lengths outside the type's bounds and malformed strings are
 * rejected with a reason. docs/simnet.md describes the messages and the call flows.
 */
#ifndef FAXGATE_SIMNET_SIMNET_PROTO_H
#define FAXGATE_SIMNET_SIMNET_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define SIMNET_VERSION     1
#define SIMNET_HEADER      10
#define SIMNET_MAX_PAYLOAD 1024
#define SIMNET_MAX_BLOCK   480         /* audio bytes (= samples) in one frame: 60 ms */
#define SIMNET_MAX_LINES   4096        /* lines of one trunk */
#define SIMNET_MAX_NUMBER  31          /* digits and '+' of a number or dial string */
#define SIMNET_MAX_SUB     20          /* T.33 sub-address digits */
#define SIMNET_MAX_IDENT   20          /* T.30 station identifier */
#define SIMNET_MAX_PATH    255         /* spandsp cuts longer paths silently */
#define SIMNET_MAX_TEXT    900         /* free text (errors, results, statistics) */
#define SIMNET_MAX_CUT     999         /* CALL: the highest page a caller may hang up after */
#define SIMNET_CALL_IN     0x80000000u /* call references chosen by the network have this bit set */

enum simnet_type {
	/* trunk (faxd's sim line driver) -> network */
	SIMNET_NUMBER = 1, /* a number the trunk answers (E.164), before HELLO */
	SIMNET_HELLO = 2,  /* u16 version, u8 law, u8 0, u16 lines: the trunk is ready */
	SIMNET_DIAL = 3,   /* strings: dial string, caller id */
	SIMNET_ANSWER = 4, /* answer the INCOMING call */
	/* both ways */
	SIMNET_HANGUP = 5, /* end (or refuse) the call */
	SIMNET_AUDIO = 6,  /* G.711 bytes, 1..SIMNET_MAX_BLOCK */
	/* network -> trunk */
	SIMNET_WELCOME = 7,     /* u16 version, u8 law, u8 timing, u16 block samples */
	SIMNET_ERROR = 8,       /* string: why the network closes the connection */
	SIMNET_RINGING = 9,     /* the dialled number rings */
	SIMNET_ANSWERED = 10,   /* ... and answered */
	SIMNET_BUSY = 11,       /* busy: the call is over */
	SIMNET_NO_ANSWER = 12,  /* rang out: the call is over */
	SIMNET_UNASSIGNED = 13, /* no such number: the call is over */
	SIMNET_CONGESTION = 14, /* the network cannot place the call: the call is over */
	SIMNET_INCOMING = 15,   /* strings: caller, called, sub-address */
	/* control connection (faxctl sim) <-> network */
	SIMNET_CALL = 16,      /* strings: TIFF path, caller id, station id, called number, sub-address,
	                          hang-up page (simnet_call_req) */
	SIMNET_RESULT = 17,    /* strings: outcome, T.30 code, pages, words */
	SIMNET_STATS_REQ = 18, /* no payload */
	SIMNET_STATS = 19,     /* string: "key value" lines */
	SIMNET_TYPE_MAX = 19,
};

enum simnet_law { SIMNET_ULAW = 0, SIMNET_ALAW = 1 };
enum simnet_timing { SIMNET_UNPACED = 0, SIMNET_REALTIME = 1 };

struct simnet_msg {
	int type;
	int line;
	uint32_t call;
	size_t len;
	const uint8_t *data; /* points into the reader's buffer */
};

/* Name of a type for messages ("DIAL"), "?" when unknown. */
const char *simnet_type_name(int type);
/*
 * Take one frame from the start of data: the bytes it used (> 0), 0 when data holds no complete
 * frame yet, -1 with the reason in err when it is malformed (the connection must be dropped).
 */
int simnet_take(const void *data, size_t avail, struct simnet_msg *m, struct buf *err);
/* Append a frame; the payload must respect the type's bounds (a bug otherwise: aborts). */
void simnet_put(struct buf *out, int type, int line, uint32_t call, const void *payload, size_t len);
/* Append a frame whose payload is the n strings of s (NULL counts as ""). */
void simnet_put_strings(struct buf *out, int type, int line, uint32_t call, int n, const char *const *s);
/*
 * Split a text payload into exactly n strings, the i-th at most max[i] bytes of printable ASCII;
 * the pointers point into m->data. 0, or -1 with the reason.
 */
int simnet_get_strings(const struct simnet_msg *m, int n, const char **s, const size_t *max, struct buf *err);
/* Big-endian fields of fixed payloads (HELLO, WELCOME). */
unsigned simnet_get16(const uint8_t *p);
void simnet_set16(uint8_t *p, unsigned v);

/*
 * A CALL request: a simulated fax machine calls `called` and sends the TIFF at `path` (absolute).
 * hangup_after_page N > 0 makes it hang up in the middle of page N+1, once pages 1..N were
 * confirmed (a call dropped mid-page); 0 sends every page. On the wire the sixth string is empty
 * or N in decimal (1..SIMNET_MAX_CUT, no leading zero).
 */
struct simnet_call_req {
	const char *path, *caller, *station, *called, *sub;
	int hangup_after_page;
};
/* Append a CALL frame; the strings must respect the bounds (a bug otherwise: aborts). */
void simnet_call_put(struct buf *out, const struct simnet_call_req *r);
/*
 * Read a CALL frame's fields (the strings point into m->data): 0, or -1 with the reason. The
 * numbers are not checked here: faxsim answers a bad number with a RESULT, not a dropped
 * connection.
 */
int simnet_call_get(const struct simnet_msg *m, struct simnet_call_req *r, struct buf *err);

/* Is s a number as the network takes it: 1..SIMNET_MAX_NUMBER of digits, '*', '#', an optional leading '+'?
 */
bool simnet_number_ok(const char *s);
/* Is s at most max bytes of digits (empty allowed)? */
bool simnet_digits_ok(const char *s, size_t max);

/* G.711 companding of n samples in the given law. */
void simnet_g711_encode(int law, const int16_t *in, uint8_t *out, int n);
void simnet_g711_decode(int law, const uint8_t *in, int16_t *out, int n);

#endif
