/*
 * line_sip_pacer.c - the SIP lines' sender: a thread of its own that sends every call's datagrams
 * on a steady 20 ms clock.
 *
 * faxd's thread does the heavy work of a tick (hundreds of calls' modems, spandsp writing a page
 * image in one 10 ms call, commits to the queue) and may overrun a tick now and then; the far end
 * must not notice. So faxd's thread only queues what it made, and this thread, which does nothing
 * else, sends it: per audio call one RTP packet each tick, with a cushion of LSIP_CUSHION packets
 * queued when the call's audio starts, so that faxd's thread may fall 60 to 80 ms behind
 * (depending on how the two clocks' ticks fall) before a tick goes without a packet; per T.38 call whatever UDPTL datagrams are queued. How late each datagram
 * leaves after its tick was due is measured here.
 *
 * Each line's queue, socket and destination are under the line's own mutex, taken by this thread
 * for one send at a time: faxd's thread closes a socket only after detaching it under that mutex,
 * so a send never goes to a closed (or reused) descriptor.
 */
#include "line/line_sip_int.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/xalloc.h"

#define LSIP_PACER_NS 20000000LL

static void pacer_send(struct lsip_pacer *p, struct lsip_out *o, int64_t due)
{
	int k = o->head;
	int64_t late;
	long b;

	if (sendto(o->sock, o->data[k], o->len[k], 0, (struct sockaddr *)&o->remote, sizeof(o->remote)) < 0 &&
	    errno != EAGAIN && errno != ECONNREFUSED)
		p->send_errors++;
	o->head = (o->head + 1) % LSIP_OUTQ;
	o->count--;
	late = lsip_mono_ns() - due;
	if (late < 0)
		late = 0;
	if (late > p->late_max_ns)
		p->late_max_ns = late;
	b = (long)(late / 250000);
	p->late_hist[b < 63 ? b : 63]++;
	p->sends++;
}

static void *pacer_run(void *arg)
{
	struct lsip_pacer *p = arg;
	uint64_t expiries;

	while (!atomic_load(&p->stop)) {
		struct itimerspec cur;
		int64_t due;

		if (read(p->tfd, &expiries, sizeof(expiries)) != sizeof(expiries))
			continue;
		/* the tick was due one period before the next expiry */
		due = lsip_mono_ns() - LSIP_PACER_NS;
		if (timerfd_gettime(p->tfd, &cur) == 0)
			due += (int64_t)cur.it_value.tv_sec * 1000000000LL + cur.it_value.tv_nsec;
		if (expiries > 1)
			p->ticks_missed += expiries - 1;
		for (int i = 0; i < p->n; i++) {
			struct lsip_out *o = &p->out[i];
			pthread_mutex_lock(&o->mu);
			if (o->sock >= 0) {
				if (o->count == 0 && !o->t38)
					p->underruns++;
				/* audio: one packet a tick (two after a missed tick); T.38: all there is */
				for (uint64_t k = 0; o->count > 0 && (o->t38 || k < (expiries > 1 ? 2 : 1)); k++)
					pacer_send(p, o, due);
			}
			pthread_mutex_unlock(&o->mu);
		}
	}
	return NULL;
}

int lsip_pacer_start(struct lsip_pacer *p, int nlines, struct buf *err)
{
	struct itimerspec its = {.it_interval = {0, LSIP_PACER_NS}, .it_value = {0, LSIP_PACER_NS}};
	struct sched_param sp = {.sched_priority = 10};
	pthread_attr_t attr;
	int rc;

	p->n = nlines;
	p->out = xcalloc((size_t)nlines, sizeof(*p->out));
	for (int i = 0; i < nlines; i++) {
		pthread_mutex_init(&p->out[i].mu, NULL);
		p->out[i].sock = -1;
	}
	atomic_store(&p->stop, false);
	p->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (p->tfd < 0 || timerfd_settime(p->tfd, 0, &its, NULL) < 0) {
		buf_printf(err, "timerfd: %s", strerror(errno));
		return -1;
	}
	/* real-time priority when we may have it (it keeps other processes from delaying the sends);
	 * without the privilege the thread runs at normal priority */
	pthread_attr_init(&attr);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
	pthread_attr_setschedparam(&attr, &sp);
	/* signals are faxd's thread's business (its signalfd): the sender starts with all blocked */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&p->th, &attr, pacer_run, p);
	pthread_attr_destroy(&attr);
	if (rc == EPERM) {
		rc = pthread_create(&p->th, NULL, pacer_run, p);
		p->fifo = false;
	} else {
		p->fifo = rc == 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		buf_printf(err, "cannot start the media sender: %s", strerror(rc));
		return -1;
	}
	p->running = true;
	return 0;
}

void lsip_pacer_stop(struct lsip_pacer *p)
{
	if (p->running) {
		atomic_store(&p->stop, true);
		pthread_join(p->th, NULL); /* it wakes at the next tick */
		p->running = false;
	}
	if (p->tfd >= 0)
		close(p->tfd);
	p->tfd = -1;
	for (int i = 0; p->out && i < p->n; i++)
		pthread_mutex_destroy(&p->out[i].mu);
	free(p->out);
	p->out = NULL;
}

void lsip_pacer_attach(struct lsip_pacer *p, int line, int sock, const struct sockaddr_in *remote, bool t38)
{
	struct lsip_out *o = &p->out[line];

	pthread_mutex_lock(&o->mu);
	if (o->t38 != t38 || o->sock != sock)
		o->count = o->head = 0; /* audio left over from before T.38 is not sent */
	o->sock = sock;
	o->remote = *remote;
	o->t38 = t38;
	pthread_mutex_unlock(&o->mu);
}

void lsip_pacer_detach(struct lsip_pacer *p, int line)
{
	struct lsip_out *o = &p->out[line];

	pthread_mutex_lock(&o->mu);
	o->sock = -1;
	o->count = o->head = 0;
	pthread_mutex_unlock(&o->mu);
}

void lsip_pacer_push(struct lsip_pacer *p, int line, const uint8_t *data, size_t len)
{
	struct lsip_out *o = &p->out[line];
	int k;

	if (len > LSIP_TXMAX)
		return;
	pthread_mutex_lock(&o->mu);
	if (o->count == LSIP_OUTQ) { /* far ahead of the clock: the oldest goes */
		o->head = (o->head + 1) % LSIP_OUTQ;
		o->count--;
		p->overruns++;
	}
	k = (o->head + o->count) % LSIP_OUTQ;
	memcpy(o->data[k], data, len);
	o->len[k] = (uint16_t)len;
	o->count++;
	pthread_mutex_unlock(&o->mu);
}

double lsip_pacer_late_ms(const struct lsip_pacer *p, double q)
{
	unsigned long want = (unsigned long)(q * (double)p->sends), seen = 0;

	for (int b = 0; b < 64; b++) {
		seen += p->late_hist[b];
		if (seen >= want && seen > 0)
			return (b + 1) * 0.25;
	}
	return 0;
}
