/*
 * trunk.c - sip_trunks as written, turned into struct trunk and checked value by value.
 *
 * Every value ends up in a SIP message faxd builds (request URI, From, Contact, Authorization),
 * so a value is taken only when it cannot change the shape of a header: host names and IPv4
 * addresses, user parts of RFC 3261's unreserved characters, numbers of digits. The password
 * comes from a file read here, before faxd drops its privileges; the scratch copy is wiped and a
 * message names the file, never what it holds.
 */
#include "sip/trunk.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/words.h"
#include "sip/sdp.h"
#include "util/fdio.h"
#include "util/log.h"
#include "util/xalloc.h"

#define TRUNK_DEFAULT_PORT     5060
#define TRUNK_DEFAULT_CHANNELS 30
#define TRUNK_DEFAULT_EXPIRES  600
/* One trunk as written: every key at its longest fits well within. */
#define TRUNK_WORD_MAX 2048
/* A password file holds one password, not a document. */
#define TRUNK_PASSWORD_FILE_MAX 4096
#define TRUNK_PATH_MAX          1024
/* How much of a bad value a message repeats. */
#define TRUNK_SHOW_MAX 40

/* Beyond letters and digits: RFC 3261's unreserved and user-unreserved, less our separators. */
#define TRUNK_USER_CHARS "-_.!~*'()&=+$?/"

enum trunk_key {
	TK_HOST,
	TK_REGISTRAR,
	TK_USER,
	TK_AUTH_USER,
	TK_PASSWORD_FILE,
	TK_DOMAIN,
	TK_CHANNELS,
	TK_CALLER_ID,
	TK_PREFIX,
	TK_CODECS,
	TK_EXPIRES,
	TK_COUNT
};

static const char *const trunk_key_names[TK_COUNT] = {
    [TK_HOST] = "host",
    [TK_REGISTRAR] = "registrar",
    [TK_USER] = "user",
    [TK_AUTH_USER] = "auth_user",
    [TK_PASSWORD_FILE] = "password_file",
    [TK_DOMAIN] = "domain",
    [TK_CHANNELS] = "channels",
    [TK_CALLER_ID] = "caller_id",
    [TK_PREFIX] = "prefix",
    [TK_CODECS] = "codecs",
    [TK_EXPIRES] = "expires",
};

/* One word being parsed: what struct trunk has no room for. */
struct trunk_word {
	char label[40]; /* the name once known, "#N" before */
	char password_file[TRUNK_PATH_MAX];
	bool seen[TK_COUNT];
};

static int trunk_fail(struct buf *err, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int trunk_fail(struct buf *err, const char *label, const char *fmt, ...)
{
	va_list ap;

	buf_printf(err, "trunk %s: ", label);
	va_start(ap, fmt);
	buf_vprintf(err, fmt, ap);
	va_end(ap);
	return -1;
}

/* A value as written, short and printable, for a message. */
static const char *trunk_show(const char *s, size_t len, char out[TRUNK_SHOW_MAX + 4])
{
	size_t n = len > TRUNK_SHOW_MAX ? TRUNK_SHOW_MAX : len;

	for (size_t i = 0; i < n; i++)
		out[i] = s[i] > ' ' && s[i] < 0x7f ? s[i] : '?';
	strcpy(out + n, len > n ? "..." : "");
	return out;
}

static bool trunk_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Every character a letter, a digit or one of extra. */
static bool trunk_chars(const char *s, size_t len, const char *extra)
{
	for (size_t i = 0; i < len; i++)
		if (!trunk_alnum(s[i]) && (s[i] == '\0' || !strchr(extra, s[i])))
			return false;
	return true;
}

/* Every character one of set. */
static bool trunk_in(const char *s, size_t len, const char *set)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\0' || !strchr(set, s[i]))
			return false;
	return true;
}

/* A decimal number of at most 9 digits within [min, max]. */
static bool trunk_number(const char *s, size_t len, long min, long max, long *out)
{
	long v = 0;

	if (len == 0 || len > 9)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* A caller id: digits, optionally after a '+'. */
static bool trunk_caller_id_ok(const char *s, size_t len, size_t size)
{
	size_t plus = len && s[0] == '+';

	return len > plus && len < size && trunk_in(s + plus, len - plus, "0123456789");
}

/* NULL when s is a host name or a dotted IPv4 address, else what is wrong with it. */
static const char *trunk_host_problem(const char *s, size_t len, size_t size)
{
	const char *colon = memchr(s, ':', len);

	if (len == 0)
		return "is empty";
	if (memchr(s, '[', len) || (colon && memchr(colon + 1, ':', len - (size_t)(colon + 1 - s))))
		return "is an IPv6 address: give a host name or an IPv4 address";
	if (colon)
		return "holds a ':' (no port here)";
	if (len >= size)
		return "is too long";
	if (trunk_in(s, len, "0123456789.")) {
		char a[16];
		struct in_addr in;

		if (len >= sizeof(a))
			return "is not an IPv4 address";
		memcpy(a, s, len);
		a[len] = '\0';
		return inet_pton(AF_INET, a, &in) == 1 ? NULL : "is not an IPv4 address";
	}
	/* host names (RFC 1123): labels of letters, digits and '-', not at either end */
	for (size_t i = 0; i < len;) {
		const char *dot = memchr(s + i, '.', len - i);
		size_t l = dot ? (size_t)(dot - (s + i)) : len - i;

		if (l == 0 || l > 63 || !trunk_chars(s + i, l, "-") || s[i] == '-' || s[i + l - 1] == '-')
			return "is not a host name or an IPv4 address";
		i += l + (dot ? 1 : 0);
		if (dot && i == len)
			return "is not a host name or an IPv4 address";
	}
	return NULL;
}

/* H[:PORT] into host and port (5060 when not given). */
static int trunk_hostport(const char *v, size_t len, char *host, size_t size, int *port, const char *key,
                          const char *label, struct buf *err)
{
	const char *colon = memchr(v, ':', len);
	char shown[TRUNK_SHOW_MAX + 4];
	const char *problem;
	size_t hl = len;
	long p = TRUNK_DEFAULT_PORT;

	/* [v6]:port, or more than one ':' */
	if ((len && v[0] == '[') || (colon && memchr(colon + 1, ':', len - (size_t)(colon + 1 - v))))
		return trunk_fail(err, label,
		                  "%s '%s' is an IPv6 address: give a host name or an IPv4 address", key,
		                  trunk_show(v, len, shown));
	if (colon) {
		hl = (size_t)(colon - v);
		if (!trunk_number(colon + 1, len - hl - 1, 1, 65535, &p))
			return trunk_fail(err, label, "%s '%s': the port must be 1..65535", key,
			                  trunk_show(v, len, shown));
	}
	problem = trunk_host_problem(v, hl, size);
	if (problem)
		return trunk_fail(err, label, "%s '%s' %s", key, trunk_show(v, hl, shown), problem);
	memcpy(host, v, hl);
	host[hl] = '\0';
	*port = (int)p;
	return 0;
}

/* Copy a checked value into a field of its struct. */
static int trunk_copy(char *dst, size_t size, const char *v, size_t len, const char *key, const char *label,
                      struct buf *err)
{
	if (len >= size)
		return trunk_fail(err, label, "%s is longer than %zu characters", key, size - 1);
	memcpy(dst, v, len);
	dst[len] = '\0';
	return 0;
}

/* codecs=t38/pcma/pcmu: the bits, and which come first. */
static int trunk_codecs(const char *v, size_t len, struct trunk *t, const char *label, struct buf *err)
{
	static const struct {
		const char *name;
		int bit;
	} known[] = {{"t38", SDP_CODEC_T38}, {"pcma", SDP_CODEC_PCMA}, {"pcmu", SDP_CODEC_PCMU}};
	char shown[TRUNK_SHOW_MAX + 4];
	int bits = 0, pos = 0, t38_at = -1, pcma_at = -1, pcmu_at = -1;

	for (size_t i = 0; i <= len; pos++) {
		const char *slash = memchr(v + i, '/', len - i);
		size_t l = slash ? (size_t)(slash - (v + i)) : len - i;
		int bit = 0;

		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (strlen(known[k].name) == l && memcmp(known[k].name, v + i, l) == 0)
				bit = known[k].bit;
		if (!bit)
			return trunk_fail(err, label, "codecs: '%s' is not t38, pcma or pcmu",
			                  trunk_show(v + i, l, shown));
		if (bits & bit)
			return trunk_fail(err, label, "codecs: %.*s is listed twice", (int)l, v + i);
		bits |= bit;
		*(bit == SDP_CODEC_T38 ? &t38_at : bit == SDP_CODEC_PCMA ? &pcma_at : &pcmu_at) = pos;
		i += l + 1;
	}
	if (!(bits & (SDP_CODEC_PCMA | SDP_CODEC_PCMU)))
		return trunk_fail(err, label, "codecs: pcma or pcmu is needed (every call starts in G.711)");
	t->codecs = bits;
	t->t38_first = t38_at >= 0 && (pcma_at < 0 || t38_at < pcma_at) && (pcmu_at < 0 || t38_at < pcmu_at);
	t->alaw_first = pcma_at >= 0 && (pcmu_at < 0 || pcma_at < pcmu_at);
	return 0;
}

/* One key=value into t (or w). */
static int trunk_value(enum trunk_key k, const char *v, size_t len, struct trunk *t, struct trunk_word *w,
                       struct buf *err)
{
	const char *key = trunk_key_names[k], *label = w->label;
	char shown[TRUNK_SHOW_MAX + 4];
	const char *problem;
	long n;

	switch (k) {
	case TK_HOST:
		return trunk_hostport(v, len, t->host, sizeof(t->host), &t->port, key, label, err);
	case TK_REGISTRAR:
		if (len == 0) /* written out empty: a static peer, as when not given */
			return 0;
		return trunk_hostport(v, len, t->registrar, sizeof(t->registrar), &t->registrar_port, key,
		                      label, err);
	case TK_USER:
		if (len == 0 || !trunk_chars(v, len, TRUNK_USER_CHARS))
			return trunk_fail(err, label, "user '%s': letters, digits and %s only",
			                  trunk_show(v, len, shown), TRUNK_USER_CHARS);
		return trunk_copy(t->user, sizeof(t->user), v, len, key, label, err);
	case TK_AUTH_USER:
		/* a quoted-string in Authorization: anything printable but the quote and the escape */
		for (size_t i = 0; i < len; i++)
			if (v[i] <= ' ' || v[i] >= 0x7f || v[i] == '"' || v[i] == '\\')
				return trunk_fail(
				    err, label, "auth_user '%s': printable characters only, no '\"' or '\\'",
				    trunk_show(v, len, shown));
		if (len == 0)
			return trunk_fail(err, label, "auth_user is empty");
		return trunk_copy(t->auth_user, sizeof(t->auth_user), v, len, key, label, err);
	case TK_PASSWORD_FILE:
		if (len == 0 || v[0] != '/')
			return trunk_fail(err, label, "password_file '%s' must be an absolute path",
			                  trunk_show(v, len, shown));
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)v[i] < ' ' || v[i] == 0x7f)
				return trunk_fail(err, label, "password_file holds a control character");
		return trunk_copy(w->password_file, sizeof(w->password_file), v, len, key, label, err);
	case TK_DOMAIN:
		problem = trunk_host_problem(v, len, sizeof(t->domain));
		if (problem)
			return trunk_fail(err, label, "domain '%s' %s", trunk_show(v, len, shown), problem);
		return trunk_copy(t->domain, sizeof(t->domain), v, len, key, label, err);
	case TK_CHANNELS:
		if (!trunk_number(v, len, 1, 2000, &n))
			return trunk_fail(err, label, "channels '%s' must be 1..2000",
			                  trunk_show(v, len, shown));
		t->channels = (int)n;
		return 0;
	case TK_CALLER_ID:
		if (!trunk_caller_id_ok(v, len, sizeof(t->caller_id)))
			return trunk_fail(
			    err, label, "caller_id '%s' must be digits, optionally after a '+' (at most %zu)",
			    trunk_show(v, len, shown), sizeof(t->caller_id) - 2);
		return trunk_copy(t->caller_id, sizeof(t->caller_id), v, len, key, label, err);
	case TK_PREFIX:
		if (!trunk_in(v, len, "0123456789#*"))
			return trunk_fail(err, label, "prefix '%s' may hold only digits, '#' and '*'",
			                  trunk_show(v, len, shown));
		return trunk_copy(t->prefix, sizeof(t->prefix), v, len, key, label, err);
	case TK_CODECS:
		return trunk_codecs(v, len, t, label, err);
	case TK_EXPIRES:
		if (!trunk_number(v, len, 60, 86400, &n))
			return trunk_fail(err, label, "expires '%s' must be 60..86400 seconds",
			                  trunk_show(v, len, shown));
		t->expires = (int)n;
		return 0;
	case TK_COUNT:
		break;
	}
	return -1;
}

/* The first line of the password file, at most size - 1 bytes, into out. */
static int trunk_read_password(const char *label, const char *path, char *out, size_t size, struct buf *err)
{
	char text[TRUNK_PASSWORD_FILE_MAX + 1];
	size_t len = 0, n;
	ssize_t got = 0;
	struct stat st;
	int fd, rc = -1;

	/* O_NONBLOCK: a FIFO named by mistake must not hang faxd's start */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return trunk_fail(err, label, "password_file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		trunk_fail(err, label, "password_file %s is not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & S_IROTH)
		log_warning("trunk %s: password_file %s is readable by every user: chmod o-r it", label,
		            path);
	while (len < sizeof(text) && (got = fdio_read(fd, text + len, sizeof(text) - len)) > 0)
		len += (size_t)got;
	if (got < 0) {
		trunk_fail(err, label, "password_file %s: %s", path, strerror(errno));
		goto out;
	}
	if (len > TRUNK_PASSWORD_FILE_MAX) {
		trunk_fail(err, label, "password_file %s is larger than %d bytes: not a password file", path,
		           TRUNK_PASSWORD_FILE_MAX);
		goto out;
	}
	for (n = 0; n < len && text[n] != '\n' && text[n] != '\r'; n++)
		;
	if (n == 0)
		trunk_fail(err, label, "password_file %s: the first line (the password) is empty", path);
	else if (memchr(text, '\0', n))
		trunk_fail(err, label, "password_file %s: the password holds a NUL byte", path);
	else if (n >= size)
		trunk_fail(err, label, "password_file %s: the password is longer than %zu bytes", path,
		           size - 1);
	else {
		memcpy(out, text, n);
		out[n] = '\0';
		rc = 0;
	}
out:
	explicit_bzero(text, sizeof(text));
	close(fd);
	return rc;
}

/* One word NAME:key=value;... into t; pos (from 1) names it in messages until its name is known. */
static int trunk_parse_word(const char *s, size_t len, int pos, bool read_password,
                            const char *default_caller_id, struct trunk *t, struct buf *err)
{
	struct trunk_word w;
	char shown[TRUNK_SHOW_MAX + 4];
	const char *colon = memchr(s, ':', len), *p, *end = s + len;
	size_t nl;

	memset(&w, 0, sizeof(w));
	memset(t, 0, sizeof(*t));
	snprintf(w.label, sizeof(w.label), "#%d", pos);
	if (len > TRUNK_WORD_MAX)
		return trunk_fail(err, w.label, "longer than %d characters", TRUNK_WORD_MAX);
	if (!colon)
		return trunk_fail(err, w.label, "'%s' is not NAME:key=value;key=value...",
		                  trunk_show(s, len, shown));
	nl = (size_t)(colon - s);
	if (nl == 0)
		return trunk_fail(err, w.label, "no name before the ':'");
	if (!trunk_chars(s, nl, "-_"))
		return trunk_fail(err, w.label, "the name '%s' may hold only letters, digits, '-' and '_'",
		                  trunk_show(s, nl, shown));
	if (nl >= sizeof(t->name))
		return trunk_fail(err, w.label, "the name '%s' is longer than %zu characters",
		                  trunk_show(s, nl, shown), sizeof(t->name) - 1);
	memcpy(t->name, s, nl);
	memcpy(w.label, s, nl);
	w.label[nl] = '\0';

	t->channels = TRUNK_DEFAULT_CHANNELS;
	t->expires = TRUNK_DEFAULT_EXPIRES;
	t->codecs = SDP_CODEC_T38 | SDP_CODEC_PCMA | SDP_CODEC_PCMU;
	t->t38_first = true;
	t->alaw_first = true;

	for (p = colon + 1; p < end;) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		size_t il = semi ? (size_t)(semi - p) : (size_t)(end - p);
		const char *eq = memchr(p, '=', il);
		int k;

		if (il > 0) {
			if (!eq)
				return trunk_fail(err, w.label, "'%s' is not key=value",
				                  trunk_show(p, il, shown));
			size_t kl = (size_t)(eq - p);
			for (k = 0; k < TK_COUNT; k++)
				if (strlen(trunk_key_names[k]) == kl &&
				    memcmp(trunk_key_names[k], p, kl) == 0)
					break;
			/* never the value: password= would repeat a password */
			if (k == TK_COUNT)
				return trunk_fail(err, w.label, "unknown key '%s'", trunk_show(p, kl, shown));
			if (w.seen[k])
				return trunk_fail(err, w.label, "%s is given twice", trunk_key_names[k]);
			w.seen[k] = true;
			if (trunk_value((enum trunk_key)k, eq + 1, il - kl - 1, t, &w, err) < 0)
				return -1;
		}
		p += il + 1;
	}

	if (!t->host[0])
		return trunk_fail(err, w.label, "host= is missing (where calls go)");
	if (t->registrar[0] && !t->user[0])
		return trunk_fail(err, w.label, "registrar= needs user= (the address registered)");
	if (w.password_file[0] && !t->user[0] && !t->auth_user[0])
		return trunk_fail(err, w.label, "password_file= needs user= or auth_user=");
	if (!t->auth_user[0])
		strcpy(t->auth_user, t->user);
	if (!t->domain[0])
		strcpy(t->domain, t->host);
	if (!w.seen[TK_CALLER_ID] && default_caller_id && default_caller_id[0]) {
		size_t dl = strlen(default_caller_id);

		if (!trunk_caller_id_ok(default_caller_id, dl, sizeof(t->caller_id)))
			return trunk_fail(
			    err, w.label,
			    "no caller_id=, and '%s' (the first of line_numbers) is no number to send",
			    trunk_show(default_caller_id, dl, shown));
		memcpy(t->caller_id, default_caller_id, dl + 1);
	}
	if (read_password && w.password_file[0])
		return trunk_read_password(w.label, w.password_file, t->password, sizeof(t->password), err);
	return 0;
}

static int trunk_parse_list(const char *value, bool read_password, const char *default_caller_id,
                            struct trunk_list *out, struct buf *err)
{
	const char *cur = value, *word;
	size_t len;

	memset(out, 0, sizeof(*out));
	while (words_next(&cur, &word, &len)) {
		struct trunk *t;

		if (out->count == TRUNK_MAX) {
			buf_printf(err, "more than %d trunks", TRUNK_MAX);
			goto fail;
		}
		t = &out->t[out->count];
		if (trunk_parse_word(word, len, out->count + 1, read_password, default_caller_id, t, err) < 0)
			goto fail;
		for (int i = 0; i < out->count; i++)
			if (strcmp(out->t[i].name, t->name) == 0) {
				trunk_fail(err, t->name, "the name is used twice");
				goto fail;
			}
		out->count++;
	}
	if (out->count == 0) {
		buf_puts(err, "no trunk given");
		goto fail;
	}
	return 0;
fail:
	explicit_bzero(out, sizeof(*out)); /* passwords read so far */
	return -1;
}

int trunk_parse(const char *value, const char *default_caller_id, struct trunk_list *out, struct buf *err)
{
	return trunk_parse_list(value, true, default_caller_id, out, err);
}

int trunk_check(const char *value, struct buf *err)
{
	struct trunk_list *l = xmalloc(sizeof(*l));
	int rc = trunk_parse_list(value, false, NULL, l, err);

	free(l);
	return rc;
}
