/*
 * convert_workers.c - one document's pages drawn on several cores.
 *
 * Drawing, thresholding and encoding a page is nearly all of a conversion's work, and pages do not
 * depend on each other. So for a document of several pages the helper forks page workers once the
 * document is open: worker k of n draws pages k, k + n, k + 2n ... and sends each one, made
 * (blank, or MMR encoded) but not yet counted, or its failure, over a private pipe in the page
 * stream format; this process draws the pages left to it and emits all of them strictly in
 * document order through the sink. Blank dropping, the page limit and which failure counts are
 * therefore exactly those of drawing the pages one by one.
 *
 * A worker is as exposed to the hostile document as this process: what it sends is checked as
 * the parent checks the helper, and a worker that fails, dies or stops early fails the document.
 * Workers stay in the sandbox's process group under its limits, never touch the page stream to the
 * parent, die with this process, and are killed and reaped on every way out of convert_pages().
 */
#include "render/convert.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "render/pagestream.h"
#include "util/log.h"

#define CONVERT_MAX_WORKERS 8
/* Lets a worker run a dozen text pages ahead instead of waiting for each page to be taken. */
#define CONVERT_PIPE_BYTES (1 << 20)

struct convert_worker {
	pid_t pid; /* 0 once reaped */
	int fd;    /* read end of its pipe */
};

/* Draw and make one page in whichever process runs it. */
static int convert_draw_page(struct convert_ctx *c, convert_draw_fn draw, void *arg, int number,
                             struct convert_page *p)
{
	struct greymap g = {0, 0, 0, NULL};
	int ret;

	memset(p, 0, sizeof(*p));
	ret = draw(arg, number, &g);
	if (ret == 0)
		ret = convert_make_page(c, &g, p);
	greymap_free(&g);
	return ret;
}

/* The worker's life: its pages into its pipe, then out without running any exit handler. */
static void __attribute__((noreturn)) convert_worker_run(struct convert_ctx *c, int first, int step,
                                                         int npages, convert_draw_fn draw, void *arg, int fd)
{
	for (int i = first; i < npages; i += step) {
		struct convert_page p;
		int ret;

		if (convert_draw_page(c, draw, arg, i, &p) < 0) {
			enum render_status st = c->status != RENDER_OK ? c->status : RENDER_INTERNAL;
			_exit(pagestream_put_error(fd, st, c->detail) < 0 ? 1 : 0);
		}
		ret = p.blank ? pagestream_put_blank(fd) : pagestream_put_page(fd, &p.fax);
		fax_page_free(&p.fax);
		/* The main process has stopped reading: it no longer wants the pages. */
		if (ret < 0)
			_exit(1);
	}
	_exit(0);
}

/* Start worker k; workers[0..k-1] are running already. Returns 0 or -1. */
static int convert_worker_start(struct convert_ctx *c, struct convert_worker *workers, int k, int n,
                                int npages, convert_draw_fn draw, void *arg)
{
	pid_t parent = getpid(), pid;
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	/* Larger pipes are a nicety: without one a worker only waits sooner. */
	(void)fcntl(fds[1], F_SETPIPE_SZ, CONVERT_PIPE_BYTES);
	/* Nothing buffered may be written twice, by both processes. */
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		/* Whatever ends the main process ends the worker; also if that happened already. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		close(fds[0]);
		close(c->out_fd);
		c->out_fd = -1;
		for (int j = 0; j < k; j++)
			close(workers[j].fd);
		convert_worker_run(c, k + 1, n, npages, draw, arg, fds[1]);
	}
	close(fds[1]);
	workers[k].pid = pid;
	workers[k].fd = fds[0];
	return 0;
}

static void convert_workers_stop(struct convert_worker *workers, int count)
{
	for (int k = 0; k < count; k++) {
		if (workers[k].pid > 0) {
			kill(workers[k].pid, SIGKILL);
			while (waitpid(workers[k].pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
		close(workers[k].fd);
		workers[k].pid = 0;
	}
}

/* A worker's pipe ended before the page came: reap it to say how it ended. */
static int convert_worker_lost(struct convert_ctx *c, struct convert_worker *w, int number)
{
	int status = 0;
	pid_t got;

	do
		got = waitpid(w->pid, &status, 0);
	while (got < 0 && errno == EINTR);
	w->pid = 0;
	if (got > 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU)
		return convert_fail(c, RENDER_TIMEOUT, "page %d: CPU time limit reached", number + 1);
	if (got > 0 && WIFSIGNALED(status))
		return convert_fail(c, RENDER_CONVERT_FAILED, "page %d: the page worker died of signal %d",
		                    number + 1, WTERMSIG(status));
	return convert_fail(c, RENDER_CONVERT_FAILED, "page %d: the page worker exited with status %d",
	                    number + 1, got > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* The next record of worker w, which must be page number. */
static int convert_worker_page(struct convert_ctx *c, struct convert_worker *w, int number,
                               struct convert_page *p)
{
	struct pagestream_record rec;
	int ret = 0;

	memset(p, 0, sizeof(*p));
	if (pagestream_read_record(w->fd, c->geom.height, &rec) < 0) {
		if (errno == ENODATA)
			return convert_worker_lost(c, w, number);
		return convert_fail(c, RENDER_CONVERT_FAILED, "page %d: bad record from the page worker: %m",
		                    number + 1);
	}
	switch (rec.kind) {
	case 'P':
		p->fax = rec.page;
		memset(&rec.page, 0, sizeof(rec.page));
		break;
	case 'B':
		p->blank = true;
		break;
	case 'E':
		ret = convert_fail(c, rec.status, "%s", rec.text);
		break;
	default:
		ret = convert_fail(c, RENDER_CONVERT_FAILED, "page %d: the page worker stopped early",
		                   number + 1);
		break;
	}
	pagestream_record_free(&rec);
	return ret;
}

static int convert_pages_serial(struct convert_ctx *c, int npages, convert_draw_fn draw, void *arg)
{
	for (int i = 0; i < npages; i++) {
		struct convert_page p;

		if (convert_draw_page(c, draw, arg, i, &p) < 0 || convert_emit_page(c, &p) < 0)
			return -1;
	}
	return 0;
}

int convert_pages(struct convert_ctx *c, int npages, convert_draw_fn draw, void *arg)
{
	struct convert_worker workers[CONVERT_MAX_WORKERS - 1];
	int n = c->workers < CONVERT_MAX_WORKERS ? c->workers : CONVERT_MAX_WORKERS;
	int started = 0, ret = 0;

	if (n > npages)
		n = npages;
	if (n < 2 || c->status != RENDER_OK)
		return convert_pages_serial(c, npages, draw, arg);
	while (started < n - 1 && convert_worker_start(c, workers, started, n, npages, draw, arg) == 0)
		started++;
	if (started < n - 1) {
		/* Page assignment depends on the count: without all workers, without any. */
		log_debug("cannot start page workers (%m): drawing the pages one by one");
		convert_workers_stop(workers, started);
		return convert_pages_serial(c, npages, draw, arg);
	}
	log_debug("%d pages drawn by %d processes", npages, n);
	for (int i = 0; i < npages && ret == 0; i++) {
		struct convert_page p;
		int k = i % n;

		if (k == 0)
			ret = convert_draw_page(c, draw, arg, i, &p);
		else
			ret = convert_worker_page(c, &workers[k - 1], i, &p);
		if (ret == 0)
			ret = convert_emit_page(c, &p);
	}
	/* Done or failed, workers have nothing more to give: also one still drawing pages past a limit. */
	convert_workers_stop(workers, started);
	return ret;
}
