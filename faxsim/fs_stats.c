/*
 * fs_stats.c - faxsim's timing statistics: latency histograms and the report that the STATS
 * request, SIGUSR1 and the exit print.
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "faxsim.h"

static int fs_hist_bucket(int64_t us)
{
	if (us < 0)
		us = 0;
	if (us < 10000)
		return (int)(us / 10);
	if (us < 1000000)
		return 1000 + (int)((us - 10000) / 1000);
	return FS_HIST_BUCKETS - 1;
}

/* The upper end of a bucket, in microseconds. */
static int64_t fs_hist_top(int b)
{
	if (b < 1000)
		return (b + 1) * 10LL;
	return 10000 + (b - 1000 + 1) * 1000LL;
}

void fs_hist_add(struct fs_hist *h, int64_t us)
{
	h->bucket[fs_hist_bucket(us)]++;
	h->n++;
	if (us > h->max_us)
		h->max_us = us;
}

int64_t fs_hist_quantile(const struct fs_hist *h, double q)
{
	uint64_t want, seen = 0;

	if (h->n == 0)
		return 0;
	want = (uint64_t)(q * (double)h->n + 0.999999);
	if (want < 1)
		want = 1;
	for (int b = 0; b < FS_HIST_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen >= want) {
			int64_t top = b == FS_HIST_BUCKETS - 1 ? h->max_us : fs_hist_top(b);
			return top < h->max_us ? top : h->max_us;
		}
	}
	return h->max_us;
}

static void fs_hist_text(struct buf *out, const char *name, const struct fs_hist *h)
{
	buf_printf(out, "%s_count %llu\n%s_p50_us %lld\n%s_p99_us %lld\n%s_max_us %lld\n", name,
	           (unsigned long long)h->n, name, (long long)fs_hist_quantile(h, 0.5), name,
	           (long long)fs_hist_quantile(h, 0.99), name, (long long)h->max_us);
}

static double fs_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

void fs_stats_reset(struct fs *fs)
{
	memset(&fs->stats, 0, sizeof(fs->stats));
	fs->stats.started_ns = fs_now();
	fs->stats.cpu_start_s = fs_cpu_s();
}

void fs_stats_text(const struct fs *fs, struct buf *out)
{
	const struct fs_stats *s = &fs->stats;
	int trunks = 0, lines = 0;

	for (const struct fs_conn *c = fs->conns; c; c = c->next)
		if (c->kind == FS_TRUNK && !c->dead) {
			trunks++;
			lines += c->nlines;
		}
	buf_printf(out, "timing %s\nlaw %s\n", fs->timing == SIMNET_REALTIME ? "realtime" : "unpaced",
	           fs->law == SIMNET_ALAW ? "alaw" : "ulaw");
	buf_printf(out, "uptime_s %.1f\ncpu_s %.3f\n", (double)(fs_now() - s->started_ns) / 1e9,
	           fs_cpu_s() - s->cpu_start_s);
	buf_printf(out, "trunks %d\nlines %d\ncalls_active %d\ncalls_total %llu\n", trunks, lines, fs->ncalls,
	           (unsigned long long)s->calls_total);
	buf_printf(out, "audio_s %.1f\n", (double)s->audio_blocks * FS_BLOCK / 8000.0);
	buf_printf(out, "ticks %llu\nticks_skipped %llu\nanswers_late %llu\n", (unsigned long long)s->ticks,
	           (unsigned long long)s->ticks_skipped, (unsigned long long)s->answers_late);
	fs_hist_text(out, "tick_late", &s->tick_late);
	fs_hist_text(out, "tick_work", &s->tick_work);
	fs_hist_text(out, "answer", &s->answer);
}
