/*
 * simnet_io.h - one simulated-network connection's buffered, non-blocking reading and writing.
 *
 * Frames are taken from an input buffer that is refilled with one read at a time, so a peer that
 * floods the socket costs at most one read's worth of memory beyond a frame; output is collected
 * and written when the owner flushes, so many audio frames go out in one write.
 */
#ifndef FAXGATE_SIMNET_SIMNET_IO_H
#define FAXGATE_SIMNET_SIMNET_IO_H

#include <stdbool.h>

#include "simnet/simnet_proto.h"
#include "util/buf.h"

struct simnet_io {
	int fd;
	struct buf in;
	size_t in_off;
	struct buf out;
	size_t out_off;
};

void simnet_io_init(struct simnet_io *io, int fd);
/* Frees the buffers and closes the descriptor. */
void simnet_io_free(struct simnet_io *io);
/*
 * Next complete frame from what was read: 1 and m (valid until the next simnet_io_fill), 0 when
 * more must be read first, -1 when the peer sent a malformed frame (reason in err).
 */
int simnet_io_next(struct simnet_io *io, struct simnet_msg *m, struct buf *err);
/* One read: 1 bytes came, 0 nothing now (EAGAIN), -1 closed by the peer (errno 0) or an error. */
int simnet_io_fill(struct simnet_io *io);
/* Does the input hold a complete frame? */
bool simnet_io_ready(const struct simnet_io *io);
/* Write what is pending without blocking: 0 all written, 1 some left, -1 error. */
int simnet_io_flush(struct simnet_io *io);
/* Write everything, waiting at most timeout_ms for the peer to take it: 0, or -1. */
int simnet_io_flush_wait(struct simnet_io *io, int timeout_ms);
/* Bytes waiting to be written. */
size_t simnet_io_pending(const struct simnet_io *io);

#endif
