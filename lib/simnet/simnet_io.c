/*
 * simnet_io.c - buffered non-blocking frame I/O for the simulated network (simnet_io.h).
 */
#include "simnet/simnet_io.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SIMNET_READ 65536 /* bytes asked for by one read */

void simnet_io_init(struct simnet_io *io, int fd)
{
	memset(io, 0, sizeof(*io));
	io->fd = fd;
}

void simnet_io_free(struct simnet_io *io)
{
	if (io->fd >= 0)
		close(io->fd);
	io->fd = -1;
	buf_free(&io->in);
	buf_free(&io->out);
}

int simnet_io_next(struct simnet_io *io, struct simnet_msg *m, struct buf *err)
{
	int n;

	if (io->in.len == io->in_off)
		return 0;
	n = simnet_take(io->in.data + io->in_off, io->in.len - io->in_off, m, err);
	if (n > 0)
		io->in_off += (size_t)n;
	return n > 0 ? 1 : n;
}

bool simnet_io_ready(const struct simnet_io *io)
{
	struct simnet_msg m;
	struct buf err = BUF_INIT;
	int n;

	if (io->in.len - io->in_off < SIMNET_HEADER)
		return false;
	/* a malformed frame counts as ready: the owner must see the error */
	n = simnet_take(io->in.data + io->in_off, io->in.len - io->in_off, &m, &err);
	buf_free(&err);
	return n != 0;
}

int simnet_io_fill(struct simnet_io *io)
{
	ssize_t n;

	/* keep the unread tail only: frames already handed out are done with */
	if (io->in_off > 0) {
		memmove(io->in.data, io->in.data + io->in_off, io->in.len - io->in_off);
		io->in.len -= io->in_off;
		io->in_off = 0;
	}
	buf_reserve(&io->in, SIMNET_READ);
	do
		n = read(io->fd, io->in.data + io->in.len, SIMNET_READ);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	if (n == 0) {
		errno = 0;
		return -1;
	}
	io->in.len += (size_t)n;
	io->in.data[io->in.len] = 0;
	return 1;
}

int simnet_io_flush(struct simnet_io *io)
{
	while (io->out_off < io->out.len) {
		ssize_t n = send(io->fd, io->out.data + io->out_off, io->out.len - io->out_off,
		                 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		io->out_off += (size_t)n;
	}
	if (io->out_off == io->out.len) {
		buf_reset(&io->out);
		io->out_off = 0;
		return 0;
	}
	/* drop what was written once it is the larger part, so the buffer does not creep */
	if (io->out_off > io->out.len / 2) {
		memmove(io->out.data, io->out.data + io->out_off, io->out.len - io->out_off);
		io->out.len -= io->out_off;
		io->out_off = 0;
	}
	return 1;
}

int simnet_io_flush_wait(struct simnet_io *io, int timeout_ms)
{
	struct timespec t0, t;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((rc = simnet_io_flush(io)) == 1) {
		struct pollfd p = {.fd = io->fd, .events = POLLOUT};
		long spent;

		clock_gettime(CLOCK_MONOTONIC, &t);
		spent = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (spent >= timeout_ms) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (poll(&p, 1, (int)(timeout_ms - spent)) < 0 && errno != EINTR)
			return -1;
	}
	return rc;
}

size_t simnet_io_pending(const struct simnet_io *io)
{
	return io->out.len - io->out_off;
}
