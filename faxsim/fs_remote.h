/*
 * fs_remote.h - the far end of a simulated call: a spandsp fax machine that receives into a
 * folder or sends a file, or a person who answers and talks.
 *
 * The call feeds what the remote hears (fs_remote_rx) and takes what it says (fs_remote_tx) one
 * block at a time; fs_remote_hangs_up tells when the remote puts the receiver down (fax done, the
 * page limit of hangup-after reached, a caller's cut mid-page, the talker finished).
 */
#ifndef FAXGATE_FAXSIM_FS_REMOTE_H
#define FAXGATE_FAXSIM_FS_REMOTE_H

#include <stdbool.h>
#include <stdint.h>

#include "simnet/simplan.h"
#include "util/buf.h"

struct fs_remote;

struct fs_remote_result {
	bool fax;          /* a fax machine at all */
	bool fax_answered; /* T.30 got past phase B */
	int code;          /* T.30 completion code */
	int pages;         /* received or sent */
	char remote_id[21];
	char file[320]; /* receiver: the TIFF kept ("" none) */
};

/* A receiving machine as the plan entry describes it; seq makes its file names unique. */
struct fs_remote *fs_remote_fax_rx(const struct simplan_entry *e, const char *caller, const char *dialled,
                                   unsigned long seq, struct buf *err);
/*
 * A calling machine that sends path; cut_after > 0: it hangs up in the middle of page cut_after + 1,
 * once pages 1..cut_after were confirmed.
 */
struct fs_remote *fs_remote_fax_tx(const char *path, const char *station, const char *sub, int cut_after,
                                   struct buf *err);
/* A person: talks for talk seconds (0: until the caller hangs up). */
struct fs_remote *fs_remote_voice(int talk, unsigned seed);

void fs_remote_rx(struct fs_remote *r, const int16_t *in, int n);
void fs_remote_tx(struct fs_remote *r, int16_t *out, int n);
bool fs_remote_hangs_up(const struct fs_remote *r);
/* The other side hung up: let the remote hear the end of the line, then stop it. */
void fs_remote_line_gone(struct fs_remote *r);
/* Stop, write the receiver's files, fill res (may be NULL) and free. */
void fs_remote_finish(struct fs_remote *r, struct fs_remote_result *res);

#endif
