/*
 * simplan.h - the numbering plan of the simulated telephone network: what each number does.
 *
 * A plan file has one number a line (docs/simnet.md):
 *
 *	# number       kind        options
 *	+49301234100   fax         dir=/srv/sim/in station="REMOTE 1" standard-only hangup-after=2
 *	+4930555       busy
 *	+4930556       no-answer   ring=30
 *	+4930557       voice       talk=20
 *	+4930123*      fax         dir=/srv/sim/bulk
 *	110            unassigned
 *	default        unassigned
 *
 * A number with '+' is E.164 and matches what a dial string means from the network's place
 * (simplan_e164); a number without '+' matches the dial string as dialled. A trailing '*' makes a
 * prefix. An exact number beats a prefix, a longer prefix a shorter one; `default` takes the rest
 * (unassigned unless given). The file is hostile input: sizes are bounded and every error names
 * file:line.
 */
#ifndef FAXGATE_SIMNET_SIMPLAN_H
#define FAXGATE_SIMNET_SIMPLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"
#include "simnet/simnet_proto.h"
#include "util/buf.h"

#define SIMPLAN_MAX_DIR     200 /* received files are named inside it: keep paths under 256 */
#define SIMPLAN_MAX_LINE    1000
#define SIMPLAN_MAX_FILE    (4 << 20)
#define SIMPLAN_MAX_ENTRIES 100000

enum simplan_kind {
	SIMPLAN_UNASSIGNED = 0,
	SIMPLAN_FAX, /* a fax machine that receives into dir */
	SIMPLAN_BUSY,
	SIMPLAN_NO_ANSWER,  /* rings until the caller or the network (ring seconds) gives up */
	SIMPLAN_VOICE,      /* a person answers, talks, and hangs up after talk seconds */
	SIMPLAN_CONGESTION, /* the network cannot reach it */
};

struct simplan_entry {
	char number[SIMNET_MAX_NUMBER + 1]; /* without the trailing '*'; "" for default */
	bool prefix;
	enum simplan_kind kind;
	/* fax */
	char dir[SIMPLAN_MAX_DIR + 1];
	char station[SIMNET_MAX_IDENT + 1]; /* its CSI; "" none */
	bool standard_only, a4_only, no_ecm;
	int hangup_after; /* pages, then it hangs up; 0 never */
	bool noisy;
	int noise_dbm0; /* white noise added to what it hears */
	/* fax and voice */
	int answer_after; /* seconds of ringing (real time only) */
	/* voice */
	int talk; /* seconds before hanging up; 0 never */
	/* no-answer */
	int ring; /* seconds before the network gives up (real time only) */
	int lineno;
};

struct simplan {
	struct simplan_entry *entries; /* sorted by number, exact before prefix */
	size_t count;
	struct simplan_entry def;
};

/* Parse plan text; name is used in messages. 0, or -1 with "name:line: problem" in err. */
int simplan_parse(struct simplan *p, const char *name, const char *text, size_t len, struct buf *err);
int simplan_load(struct simplan *p, const char *path, struct buf *err);
void simplan_free(struct simplan *p);
const char *simplan_kind_name(enum simplan_kind k);
/*
 * What a dial string means from the network's place, with the dial_* keys of conf: the outside
 * prefix is taken off, then an international prefix gives +REST, a national prefix +CC REST,
 * otherwise a local number +CC AREA REST. 0 with the number in out, or -1 when it cannot be read
 * (no country code configured, not digits).
 */
int simplan_e164(const struct conf *conf, const char *dial, char *out, size_t outlen);
/* The entry for a dial string (the default entry when nothing matches); e164 may be NULL. */
const struct simplan_entry *simplan_lookup(const struct simplan *p, const char *dial, const char *e164);

#endif
