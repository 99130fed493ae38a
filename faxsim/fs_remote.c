/*
 * fs_remote.c - the far end of a simulated call: spandsp fax machines and a talking person.
 *
 * A receiving machine writes into a hidden temporary TIFF in its folder (a path spandsp takes
 * whole: under 256 characters) and, when the call is over, renames it to
 * YYYYmmdd-HHMMSS-CALLER-PID-SEQ.tif and writes a .info file beside it (written under a temporary
 * name and renamed, so whoever waits for the .info finds the TIFF complete).
 */
#include "fs_remote.h"

#include <errno.h>
#include <math.h>
#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include <spandsp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "faxsim.h"
#include "util/log.h"
#include "util/xalloc.h"

#define FS_GRACE_BLOCKS   50                /* after T.30 ends: 1 s before putting the receiver down */
#define FS_CONFIRM_BLOCKS 150               /* after its last page: 3 s to confirm it, then it hangs up */
#define FS_DRAIN_BLOCKS   25                /* after the line went: 0.5 s of silence to finish decoding */
#define FS_LIMIT          (30L * 60 * 8000) /* samples: no simulated call runs longer than 30 minutes */
#define FS_CUT_BLOCKS     100               /* a caller that cuts a page: 2 s into its high-speed carrier */

enum fs_remote_kind { FS_FAX_RX, FS_FAX_TX, FS_VOICE };

struct fs_voice {
	long talk_samples; /* 0: forever */
	uint32_t rng;
	int seg_left, seg_len; /* samples of the current syllable or pause */
	bool voiced;
	double f0, phase, level;
};

struct fs_remote {
	enum fs_remote_kind kind;
	long samples;
	/* fax */
	fax_state_t *fax;
	t30_state_t *t30;
	awgn_state_t *noise;
	int noise_dbm0;
	bool done, answered, hang_up;
	int code, pages, hangup_after, grace;
	int countdown;  /* blocks until it hangs up after its last page (0: not counting) */
	int cut_after;  /* caller: hangs up in the middle of the page after this one (0: never) */
	int cut_blocks; /* caller: blocks of that page's carrier sent so far (-1: not yet armed) */
	char tmp[300], base[300];
	char caller[SIMNET_MAX_NUMBER + 1], dialled[SIMNET_MAX_NUMBER + 1];
	char sub[SIMNET_MAX_SUB + 1]; /* receiver: the T.30 sub-address the caller sent */
	/* voice */
	struct fs_voice voice;
};

static void fs_span_log(int level, const char *text)
{
	(void)level;
	log_debug("spandsp: %s", text);
}

static void fs_quiet(logging_state_t *ls)
{
	span_log_set_message_handler(ls, fs_span_log);
	span_log_set_level(ls,
	                   log_enabled(LOG_LVL_DEBUG) ? SPAN_LOG_SHOW_TAG | SPAN_LOG_FLOW : SPAN_LOG_NONE);
}

static int fs_phase_b(t30_state_t *t, void *user_data, int result)
{
	struct fs_remote *r = user_data;

	(void)t;
	(void)result;
	r->answered = true;
	return T30_ERR_OK;
}

static int fs_phase_d(t30_state_t *t, void *user_data, int result)
{
	struct fs_remote *r = user_data;

	(void)t;
	(void)result;
	r->pages++;
	if (r->kind == FS_FAX_RX && r->hangup_after > 0 && r->pages == r->hangup_after) {
		log_info("remote fax: hanging up after page %d as the plan says", r->pages);
		r->countdown = FS_CONFIRM_BLOCKS;
	}
	if (r->kind == FS_FAX_TX && r->cut_after > 0 && r->pages == r->cut_after)
		r->cut_blocks = 0; /* counting starts with page cut_after + 1's carrier */
	return T30_ERR_OK;
}

static void fs_phase_e(t30_state_t *t, void *user_data, int code)
{
	struct fs_remote *r = user_data;

	(void)t;
	r->done = true;
	r->code = code;
}

static struct fs_remote *fs_fax_new(enum fs_remote_kind kind, const char *ident)
{
	struct fs_remote *r = xcalloc(1, sizeof(*r));
	t30_state_t *t;

	r->kind = kind;
	r->fax = fax_init(NULL, kind == FS_FAX_TX);
	if (!r->fax)
		log_fatal("spandsp cannot create a fax terminal");
	t = r->t30 = fax_get_t30_state(r->fax);
	fs_quiet(fax_get_logging_state(r->fax));
	fs_quiet(t30_get_logging_state(t));
	fax_set_transmit_on_idle(r->fax, true);
	t30_set_tx_ident(t, ident);
	t30_set_ecm_capability(t, true);
	t30_set_supported_modems(t, T30_SUPPORT_V27TER | T30_SUPPORT_V29 | T30_SUPPORT_V17);
	t30_set_supported_compressions(t, T30_SUPPORT_T4_1D_COMPRESSION | T30_SUPPORT_T4_2D_COMPRESSION |
	                                      T30_SUPPORT_T6_COMPRESSION);
	t30_set_supported_resolutions(t, T30_SUPPORT_STANDARD_RESOLUTION | T30_SUPPORT_FINE_RESOLUTION |
	                                     T30_SUPPORT_SUPERFINE_RESOLUTION | T30_SUPPORT_R8_RESOLUTION |
	                                     T30_SUPPORT_R16_RESOLUTION);
	t30_set_supported_image_sizes(t, T30_SUPPORT_215MM_WIDTH | T30_SUPPORT_255MM_WIDTH |
	                                     T30_SUPPORT_303MM_WIDTH | T30_SUPPORT_UNLIMITED_LENGTH |
	                                     T30_SUPPORT_A4_LENGTH | T30_SUPPORT_B4_LENGTH |
	                                     T30_SUPPORT_US_LETTER_LENGTH | T30_SUPPORT_US_LEGAL_LENGTH);
	/* without the DIS bit a caller's sub-address (T.33 routing) is never sent */
	t30_set_supported_t30_features(t, T30_SUPPORT_IDENTIFICATION | T30_SUPPORT_SUB_ADDRESSING);
	t30_set_phase_b_handler(t, fs_phase_b, r);
	t30_set_phase_d_handler(t, fs_phase_d, r);
	t30_set_phase_e_handler(t, fs_phase_e, r);
	return r;
}

/*
 * Modems take a signal above -43 dBm0 for a carrier, so steady noise that loud looks like a
 * carrier that never ends and no call gets past the first training. This machine's detectors are
 * set above its line's noise instead: the noise then damages bits, which is what the tests want.
 * The modems sit inside fax_state_t, reachable only through spandsp's private header.
 */
static void fs_squelch(fax_state_t *f, int noise_dbm0)
{
	float cutoff = (float)noise_dbm0 + 8.0f;

	if (cutoff < -43.0f)
		return;
	fsk_rx_signal_cutoff(&f->modems.v21_rx, cutoff);
	v17_rx_signal_cutoff(&f->modems.fast_modems.v17_rx, cutoff);
	v29_rx_signal_cutoff(&f->modems.fast_modems.v29_rx, cutoff);
	v27ter_rx_signal_cutoff(&f->modems.fast_modems.v27ter_rx, cutoff);
}

/* A caller id as part of a file name. */
static void fs_name_part(char *out, size_t len, const char *caller)
{
	size_t i = 0;

	if (!*caller)
		caller = "unknown";
	for (; caller[i] && i + 1 < len; i++)
		out[i] = (caller[i] >= '0' && caller[i] <= '9') || caller[i] == '+' ? caller[i] : '_';
	out[i] = 0;
}

struct fs_remote *fs_remote_fax_rx(const struct simplan_entry *e, const char *caller, const char *dialled,
                                   unsigned long seq, struct buf *err)
{
	struct fs_remote *r;
	char stamp[32], who[SIMNET_MAX_NUMBER + 1];
	time_t now = time(NULL);
	struct tm tm;

	if (access(e->dir, W_OK) < 0) {
		buf_printf(err, "the folder %s of %s cannot be written: %m", e->dir, e->number);
		return NULL;
	}
	r = fs_fax_new(FS_FAX_RX, e->station[0] ? e->station : e->number);
	t30_state_t *t = r->t30;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	fs_name_part(who, sizeof(who), caller);
	snprintf(r->tmp, sizeof(r->tmp), "%s/.rx-%ld-%lu.tif", e->dir, (long)getpid(), seq);
	snprintf(r->base, sizeof(r->base), "%s/%s-%s-%ld-%lu", e->dir, stamp, who, (long)getpid(), seq);
	snprintf(r->caller, sizeof(r->caller), "%s", caller);
	snprintf(r->dialled, sizeof(r->dialled), "%s", dialled);
	r->hangup_after = e->hangup_after;
	t30_set_rx_file(t, r->tmp, -1);
	t30_set_rx_encoding(t, T4_COMPRESSION_ITU_T6);
	if (e->no_ecm)
		t30_set_ecm_capability(t, false);
	if (e->standard_only)
		t30_set_supported_resolutions(t, T30_SUPPORT_STANDARD_RESOLUTION);
	if (e->a4_only)
		t30_set_supported_image_sizes(t, T30_SUPPORT_215MM_WIDTH | T30_SUPPORT_A4_LENGTH);
	if (e->noisy) {
		r->noise = awgn_init_dbm0(NULL, (int)(seq * 7919 + 1), (float)e->noise_dbm0);
		r->noise_dbm0 = e->noise_dbm0;
	}
	return r;
}

struct fs_remote *fs_remote_fax_tx(const char *path, const char *station, const char *sub, int cut_after,
                                   struct buf *err)
{
	struct fs_remote *r;

	if (strlen(path) >= 256) {
		buf_printf(err, "the path %s is too long for spandsp (255 characters at most)", path);
		return NULL;
	}
	r = fs_fax_new(FS_FAX_TX, station);
	r->cut_after = cut_after;
	r->cut_blocks = -1;
	t30_set_tx_file(r->t30, path, -1, -1);
	if (*sub)
		t30_set_tx_sub_address(r->t30, sub);
	return r;
}

struct fs_remote *fs_remote_voice(int talk, unsigned seed)
{
	struct fs_remote *r = xcalloc(1, sizeof(*r));

	r->kind = FS_VOICE;
	r->voice.talk_samples = talk * 8000L;
	r->voice.rng = seed * 2654435761u + 1;
	return r;
}

static uint32_t fs_rand(struct fs_voice *v)
{
	v->rng ^= v->rng << 13;
	v->rng ^= v->rng >> 17;
	v->rng ^= v->rng << 5;
	return v->rng;
}

/*
 * Speech-like sound: syllables of 80-300 ms, each a harmonic series over a gliding pitch of
 * 100-220 Hz with a rising and falling envelope, separated by pauses of 50-400 ms and, now and
 * then, a breath of a second. Nothing a fax modem would take for a fax signal.
 */
static void fs_voice_tx(struct fs_voice *v, int16_t *out, int n)
{
	for (int i = 0; i < n; i++) {
		if (v->seg_left <= 0) {
			v->voiced = !v->voiced;
			if (v->voiced) {
				v->seg_len = 640 + (int)(fs_rand(v) % 1760);
				v->f0 = 100 + fs_rand(v) % 120;
				v->level = 2000 + fs_rand(v) % 3000;
			} else {
				v->seg_len = fs_rand(v) % 8 == 0 ? 8000 : 400 + (int)(fs_rand(v) % 2800);
			}
			v->seg_left = v->seg_len;
		}
		double s = 0;
		if (v->voiced) {
			double pos = 1.0 - (double)v->seg_left / v->seg_len;
			double env = sin(M_PI * pos);

			v->phase += 2 * M_PI * v->f0 * (1.0 - 0.15 * pos) / 8000;
			if (v->phase > 2 * M_PI)
				v->phase -= 2 * M_PI;
			for (int k = 1; k <= 8; k++)
				s += sin(k * v->phase) / k;
			s *= v->level * env * 0.5;
		}
		out[i] = (int16_t)s;
		v->seg_left--;
	}
}

void fs_remote_rx(struct fs_remote *r, const int16_t *in, int n)
{
	int16_t noisy[SIMNET_MAX_BLOCK];

	if (r->kind == FS_VOICE || r->hang_up)
		return;
	if (r->noise && n <= SIMNET_MAX_BLOCK) {
		for (int i = 0; i < n; i++) {
			int v = in[i] + awgn(r->noise);
			noisy[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
		}
		in = noisy;
		/* spandsp sets the default again whenever it switches modems */
		fs_squelch(r->fax, r->noise_dbm0);
	}
	fax_rx(r->fax, (int16_t *)in, n);
}

/*
 * A caller that cuts the call mid-page: once the page after cut_after runs on a high-speed modem
 * (training, then image data: it follows the confirmation of page cut_after at once), it hangs up
 * after FS_CUT_BLOCKS of it. The pages of the test corpus take longer than that to send; a page
 * that ends sooner is confirmed, and the cut falls into the next one.
 */
static void fs_remote_cut(struct fs_remote *r)
{
	/* the modems' own record (fax.c keeps it in T30_MODEM_* terms); t30's copy stays 0 */
	int modem = r->fax->modems.current_tx_type;

	if (r->cut_blocks < 0 || r->hang_up || r->done)
		return;
	if (modem != T30_MODEM_V27TER && modem != T30_MODEM_V29 && modem != T30_MODEM_V17)
		return;
	if (++r->cut_blocks >= FS_CUT_BLOCKS) {
		log_info("remote fax: hanging up in the middle of page %d as asked", r->pages + 1);
		r->hang_up = true;
	}
}

void fs_remote_tx(struct fs_remote *r, int16_t *out, int n)
{
	int got = 0;

	r->samples += n;
	if (r->kind == FS_VOICE) {
		fs_voice_tx(&r->voice, out, n);
		return;
	}
	if (!r->hang_up)
		got = fax_tx(r->fax, out, n);
	if (got < 0)
		got = 0;
	if (got < n)
		memset(out + got, 0, (size_t)(n - got) * sizeof(*out));
	if (r->done)
		r->grace++;
	if (r->countdown > 0 && --r->countdown == 0)
		r->hang_up = true;
	fs_remote_cut(r);
}

bool fs_remote_hangs_up(const struct fs_remote *r)
{
	if (r->samples >= FS_LIMIT)
		return true;
	if (r->kind == FS_VOICE)
		return r->voice.talk_samples > 0 && r->samples >= r->voice.talk_samples;
	return r->hang_up || (r->done && r->grace >= FS_GRACE_BLOCKS);
}

void fs_remote_line_gone(struct fs_remote *r)
{
	int16_t silence[FS_BLOCK] = {0}, sink[FS_BLOCK];

	if (r->kind == FS_VOICE)
		return;
	for (int i = 0; i < FS_DRAIN_BLOCKS && !r->done && !r->hang_up; i++) {
		fax_rx(r->fax, silence, FS_BLOCK);
		fax_tx(r->fax, sink, FS_BLOCK);
	}
}

static void fs_printable(char *out, size_t len, const char *in)
{
	size_t i = 0;

	for (; in && in[i] && i + 1 < len; i++)
		out[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
	out[i] = 0;
}

static void fs_write_info(const struct fs_remote *r, const struct fs_remote_result *res,
                          const t30_stats_t *st)
{
	char path[320], tmp[330];
	FILE *f;

	snprintf(path, sizeof(path), "%s.info", r->base);
	snprintf(tmp, sizeof(tmp), "%s.info.tmp", r->base);
	f = fopen(tmp, "w");
	if (!f) {
		log_error("cannot write %s: %m", tmp);
		return;
	}
	fprintf(f, "caller=%s\ndialled=%s\nremote_id=%s\nsubaddress=%s\npages=%d\n", r->caller, r->dialled,
	        res->remote_id, r->sub, res->pages);
	/* spandsp counts pixels a metre */
	fprintf(f, "xres=%ld\nyres=%ld\nwidth=%d\n", lround(st->x_resolution * 0.0254),
	        lround(st->y_resolution * 0.0254), st->width);
	fprintf(f, "ecm=%s\nbit_rate=%d\nfax_answered=%s\n", st->error_correcting_mode ? "yes" : "no",
	        st->bit_rate, res->fax_answered ? "yes" : "no");
	fprintf(f, "code=%d\nresult=%s\nfile=%s\n", res->code, t30_completion_code_to_str(res->code),
	        res->file[0] ? strrchr(res->file, '/') + 1 : "");
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		log_error("cannot write %s: %m", path);
		unlink(tmp);
	}
}

void fs_remote_finish(struct fs_remote *r, struct fs_remote_result *res)
{
	struct fs_remote_result local;
	t30_stats_t st;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (r->kind == FS_VOICE) {
		free(r);
		return;
	}
	if (!r->done)
		t30_terminate(r->t30);
	t30_get_transfer_statistics(r->t30, &st);
	res->fax = true;
	res->fax_answered = r->answered;
	res->code = r->done ? r->code : T30_ERR_CALLDROPPED;
	res->pages = r->kind == FS_FAX_RX ? st.pages_rx : st.pages_tx;
	fs_printable(res->remote_id, sizeof(res->remote_id), t30_get_rx_ident(r->t30));
	fs_printable(r->sub, sizeof(r->sub), t30_get_rx_sub_address(r->t30));
	/* releasing the terminal closes the received TIFF */
	fax_free(r->fax);
	if (r->noise)
		awgn_free(r->noise);
	if (r->kind == FS_FAX_RX) {
		if (res->pages > 0) {
			snprintf(res->file, sizeof(res->file), "%s.tif", r->base);
			if (rename(r->tmp, res->file) < 0) {
				log_error("cannot rename %s to %s: %m", r->tmp, res->file);
				res->file[0] = 0;
			}
		} else if (unlink(r->tmp) < 0 && errno != ENOENT) {
			log_warning("cannot remove %s: %m", r->tmp);
		}
		fs_write_info(r, res, &st);
		log_notice("remote fax %s: received %d pages from %s, T.30 code %d (%s)", r->dialled,
		           res->pages, res->remote_id[0] ? res->remote_id : "?", res->code,
		           t30_completion_code_to_str(res->code));
	}
	free(r);
}
