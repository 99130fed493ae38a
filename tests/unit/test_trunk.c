/*
 * test_trunk.c - sip_trunks parsed into trunks: lists of several trunks (also continued over lines
 * in a configuration file), every key with its default, codec orders, every mistake refused with
 * the trunk and the problem named, the password files (first line, too long, too big, missing,
 * unreadable, not a file) with the password never in a message or a log line; and the SIP checks
 * conf_load makes for every program (sip_listen, sip_media_address, the RTP range, sip_trunks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "sip/sdp.h"
#include "sip/trunk.h"
#include "testdir.h"
#include "util/log.h"

#define SECRET "Pw-7f3e!x"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	return testdir_make(dir, sizeof(dir), "test_trunk");
}

static int teardown(void **state)
{
	(void)state;
	return testdir_remove(dir);
}

/* A file in the scratch folder with these bytes and mode; its path in path. */
static void write_file(char *path, size_t size, const char *name, const void *data, size_t len, mode_t mode)
{
	FILE *f;

	snprintf(path, size, "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* A list that must parse; the trunks in *l. */
static void parse_ok(const char *value, const char *caller_id, struct trunk_list *l)
{
	struct buf err = BUF_INIT;

	if (trunk_parse(value, caller_id, l, &err) != 0)
		fail_msg("'%s' refused: %s", value, buf_cstr(&err));
	buf_reset(&err);
	if (trunk_check(value, &err) != 0)
		fail_msg("'%s' refused by trunk_check: %s", value, buf_cstr(&err));
	buf_free(&err);
}

/* A list that must be refused by both, with needle in the message. */
static void parse_bad(const char *value, const char *needle)
{
	struct trunk_list *l = malloc(sizeof(*l));
	struct buf err = BUF_INIT;

	assert_non_null(l);
	if (trunk_parse(value, "+4930123456", l, &err) != -1)
		fail_msg("'%.80s' accepted", value);
	if (!strstr(buf_cstr(&err), needle))
		fail_msg("'%.80s': error '%s' lacks '%s'", value, buf_cstr(&err), needle);
	assert_int_equal(l->count, 0);
	buf_reset(&err);
	if (trunk_check(value, &err) != -1)
		fail_msg("'%.80s' accepted by trunk_check", value);
	if (!strstr(buf_cstr(&err), needle))
		fail_msg("'%.80s': trunk_check's error '%s' lacks '%s'", value, buf_cstr(&err), needle);
	buf_free(&err);
	free(l);
}

static void test_defaults(void **state)
{
	struct trunk_list l;

	(void)state;
	parse_ok("carrier:host=sip.example.net", "+4930123456", &l);
	assert_int_equal(l.count, 1);
	const struct trunk *t = &l.t[0];
	assert_string_equal(t->name, "carrier");
	assert_string_equal(t->host, "sip.example.net");
	assert_int_equal(t->port, 5060);
	assert_string_equal(t->registrar, "");
	assert_string_equal(t->user, "");
	assert_string_equal(t->auth_user, "");
	assert_string_equal(t->password, "");
	assert_string_equal(t->domain, "sip.example.net");
	assert_int_equal(t->channels, 30);
	assert_string_equal(t->caller_id, "+4930123456");
	assert_string_equal(t->prefix, "");
	assert_int_equal(t->codecs, SDP_CODEC_T38 | SDP_CODEC_PCMA | SDP_CODEC_PCMU);
	assert_true(t->t38_first);
	assert_true(t->alaw_first);
	assert_int_equal(t->expires, 600);

	/* no default caller id: none */
	parse_ok("pbx:host=10.0.0.2", NULL, &l);
	assert_string_equal(l.t[0].caller_id, "");
	assert_string_equal(l.t[0].domain, "10.0.0.2");
	parse_ok("pbx:host=10.0.0.2", "", &l);
	assert_string_equal(l.t[0].caller_id, "");
	/* one given wins over the default */
	parse_ok("pbx:host=10.0.0.2;caller_id=4930999", "+4930123456", &l);
	assert_string_equal(l.t[0].caller_id, "4930999");
}

static void test_every_key(void **state)
{
	struct trunk_list l;
	char pw[256];

	(void)state;
	write_file(pw, sizeof(pw), "pw", SECRET "\n", strlen(SECRET) + 1, 0600);
	char *value = NULL;
	assert_true(
	    asprintf(&value,
	             "Carrier_1:host=sip.example.net:5080;registrar=reg.example.net:5061;user=4930123;"
	             "auth_user=acct-77@example.net;password_file=%s;domain=example.net;channels=2000;"
	             "caller_id=+4930123;prefix=0#*9;codecs=pcmu/t38/pcma;expires=86400",
	             pw) > 0);
	parse_ok(value, "+4930999", &l);
	free(value);
	const struct trunk *t = &l.t[0];
	assert_string_equal(t->name, "Carrier_1");
	assert_string_equal(t->host, "sip.example.net");
	assert_int_equal(t->port, 5080);
	assert_string_equal(t->registrar, "reg.example.net");
	assert_int_equal(t->registrar_port, 5061);
	assert_string_equal(t->user, "4930123");
	assert_string_equal(t->auth_user, "acct-77@example.net");
	assert_string_equal(t->password, SECRET);
	assert_string_equal(t->domain, "example.net");
	assert_int_equal(t->channels, 2000);
	assert_string_equal(t->caller_id, "+4930123");
	assert_string_equal(t->prefix, "0#*9");
	assert_int_equal(t->codecs, SDP_CODEC_T38 | SDP_CODEC_PCMA | SDP_CODEC_PCMU);
	assert_false(t->t38_first);
	assert_false(t->alaw_first);
	assert_int_equal(t->expires, 86400);

	parse_bad("r:host=x;registrar=;registrar=r;user=u", "trunk r: registrar is given twice");
}

static void test_registrar_defaults(void **state)
{
	struct trunk_list l;

	(void)state;
	/* the registrar's port defaults too; auth_user defaults to user; the smallest values */
	parse_ok("r:host=1.2.3.4:1;registrar=reg.example.net;user=a.b-c_(x)+1;channels=1;expires=60", NULL,
	         &l);
	const struct trunk *t = &l.t[0];
	assert_int_equal(t->port, 1);
	assert_int_equal(t->registrar_port, 5060);
	assert_string_equal(t->auth_user, "a.b-c_(x)+1");
	assert_int_equal(t->channels, 1);
	assert_int_equal(t->expires, 60);
	/* registrar= written out empty: a static peer; an empty item (a trailing ';') is nothing */
	parse_ok("s:host=gw;registrar=;prefix=;", NULL, &l);
	assert_string_equal(l.t[0].registrar, "");
	assert_int_equal(l.t[0].registrar_port, 0);
	assert_string_equal(l.t[0].prefix, "");
	/* the largest port, a name of 31 characters */
	parse_ok("abcdefghijklmnopqrstuvwxyz-_012:host=gw:65535", NULL, &l);
	assert_string_equal(l.t[0].name, "abcdefghijklmnopqrstuvwxyz-_012");
	assert_int_equal(l.t[0].port, 65535);
}

static void test_several(void **state)
{
	struct trunk_list l;
	char value[4096];

	(void)state;
	/* blanks, tabs, newlines and commas separate trunks; the order is kept */
	parse_ok("first:host=a.example\n\t second:host=b.example;channels=4 ,third:host=192.0.2.7", "+491",
	         &l);
	assert_int_equal(l.count, 3);
	assert_string_equal(l.t[0].name, "first");
	assert_string_equal(l.t[1].name, "second");
	assert_int_equal(l.t[1].channels, 4);
	assert_string_equal(l.t[2].host, "192.0.2.7");
	for (int i = 0; i < 3; i++)
		assert_string_equal(l.t[i].caller_id, "+491");

	/* TRUNK_MAX of them */
	value[0] = '\0';
	for (int i = 0; i < TRUNK_MAX; i++)
		snprintf(value + strlen(value), sizeof(value) - strlen(value), "t%d:host=h%d ", i, i);
	parse_ok(value, NULL, &l);
	assert_int_equal(l.count, TRUNK_MAX);
	assert_string_equal(l.t[TRUNK_MAX - 1].name, "t31");
	assert_string_equal(l.t[TRUNK_MAX - 1].host, "h31");
	/* one more is too many */
	strcat(value, "t32:host=h32");
	parse_bad(value, "more than 32 trunks");
}

static void test_codecs(void **state)
{
	static const struct {
		const char *codecs;
		int bits;
		bool t38_first, alaw_first;
	} cases[] = {
	    {"t38/pcma/pcmu", SDP_CODEC_T38 | SDP_CODEC_PCMA | SDP_CODEC_PCMU, true, true},
	    {"t38/pcmu/pcma", SDP_CODEC_T38 | SDP_CODEC_PCMA | SDP_CODEC_PCMU, true, false},
	    {"pcma/t38/pcmu", SDP_CODEC_T38 | SDP_CODEC_PCMA | SDP_CODEC_PCMU, false, true},
	    {"pcmu/pcma/t38", SDP_CODEC_T38 | SDP_CODEC_PCMA | SDP_CODEC_PCMU, false, false},
	    {"pcma/pcmu", SDP_CODEC_PCMA | SDP_CODEC_PCMU, false, true},
	    {"pcmu/pcma", SDP_CODEC_PCMA | SDP_CODEC_PCMU, false, false},
	    {"pcma", SDP_CODEC_PCMA, false, true},
	    {"pcmu", SDP_CODEC_PCMU, false, false},
	    {"t38/pcmu", SDP_CODEC_T38 | SDP_CODEC_PCMU, true, false},
	    {"t38/pcma", SDP_CODEC_T38 | SDP_CODEC_PCMA, true, true},
	    {"pcmu/t38", SDP_CODEC_T38 | SDP_CODEC_PCMU, false, false},
	};
	struct trunk_list l;
	char value[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(value, sizeof(value), "c:host=gw;codecs=%s", cases[i].codecs);
		parse_ok(value, NULL, &l);
		if (l.t[0].codecs != cases[i].bits || l.t[0].t38_first != cases[i].t38_first ||
		    l.t[0].alaw_first != cases[i].alaw_first)
			fail_msg("codecs=%s: bits %d t38_first %d alaw_first %d", cases[i].codecs,
			         l.t[0].codecs, l.t[0].t38_first, l.t[0].alaw_first);
	}
}

static void test_errors(void **state)
{
	static const struct {
		const char *value, *needle;
	} cases[] = {
	    /* the list and the names */
	    {"", "no trunk given"},
	    {" ,\t\n ", "no trunk given"},
	    {"nocolon", "trunk #1: 'nocolon' is not NAME:key=value"},
	    {"a:host=x nocolon", "trunk #2: 'nocolon' is not NAME:key=value"},
	    {":host=x", "trunk #1: no name before the ':'"},
	    {"a.b:host=x", "trunk #1: the name 'a.b' may hold only letters, digits, '-' and '_'"},
	    {"a\xc3\xa4:host=x", "trunk #1: the name 'a?"
	                         "?' may hold only"},
	    {"abcdefghijklmnopqrstuvwxyz-_0123:host=x",
	     "trunk #1: the name 'abcdefghijklmnopqrstuvwxyz-_0123' is "
	     "longer than 31 characters"},
	    {"a:host=x b:host=y a:host=z", "trunk a: the name is used twice"},
	    /* keys */
	    {"a:channels=2", "trunk a: host= is missing"},
	    {"a:", "trunk a: host= is missing"},
	    {"a:host=x;host=y", "trunk a: host is given twice"},
	    {"a:host=x;bogus=1", "trunk a: unknown key 'bogus'"},
	    {"a:host=x;Host=y", "trunk a: unknown key 'Host'"},
	    {"a:host=x;=y", "trunk a: unknown key ''"},
	    {"a:host=x;junk", "trunk a: 'junk' is not key=value"},
	    {"a:host=x b:host=y;channels=0", "trunk b: channels '0' must be 1..2000"},
	    /* host and registrar */
	    {"a:host=", "trunk a: host '' is empty"},
	    {"a:host=[2001:db8::1]:5060", "trunk a: host '[2001:db8::1]:5060' is an IPv6 address"},
	    {"a:host=2001:db8::1", "is an IPv6 address: give a host name or an IPv4 address"},
	    {"a:host=::1", "is an IPv6 address"},
	    {"a:host=x:0", "trunk a: host 'x:0': the port must be 1..65535"},
	    {"a:host=x:65536", "the port must be 1..65535"},
	    {"a:host=x:", "the port must be 1..65535"},
	    {"a:host=x:50a", "the port must be 1..65535"},
	    {"a:host=x:-1", "the port must be 1..65535"},
	    {"a:host=x:0000000005060", "the port must be 1..65535"},
	    {"a:host=:5060", "trunk a: host '' is empty"},
	    {"a:host=bad_host", "trunk a: host 'bad_host' is not a host name or an IPv4 address"},
	    {"a:host=-x.example", "is not a host name"},
	    {"a:host=x-.example", "is not a host name"},
	    {"a:host=x..example", "is not a host name"},
	    {"a:host=x.example.", "is not a host name"},
	    {"a:host=.x", "is not a host name"},
	    {"a:host=x\x01y", "trunk a: host 'x?y' is not a host name"},
	    {"a:host=1.2.3", "trunk a: host '1.2.3' is not an IPv4 address"},
	    {"a:host=256.1.1.1", "is not an IPv4 address"},
	    {"a:host=1.2.3.4.5", "is not an IPv4 address"},
	    {"a:host=1111111111111111.2", "is not an IPv4 address"},
	    {"a:host=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
	     "is not a host name"},
	    {"a:host=x;registrar=[::1]", "trunk a: registrar '[::1]' is an IPv6 address"},
	    {"a:host=x;registrar=r:99999", "trunk a: registrar 'r:99999': the port must be 1..65535"},
	    {"a:host=x;registrar=r.example", "trunk a: registrar= needs user="},
	    {"a:host=x;domain=bad_dom", "trunk a: domain 'bad_dom' is not a host name"},
	    {"a:host=x;domain=", "trunk a: domain '' is empty"},
	    {"a:host=x;domain=d:5060", "trunk a: domain 'd:5060' holds a ':' (no port here)"},
	    {"a:host=x;domain=fe80::1", "trunk a: domain 'fe80::1' is an IPv6 address"},
	    /* users and the password file */
	    {"a:host=x;user=", "trunk a: user '': letters, digits and"},
	    {"a:host=x;user=a@b", "trunk a: user 'a@b': letters, digits and"},
	    {"a:host=x;user=<sip:x>", "user '<sip:x>'"},
	    {"a:host=x;user=a\"b", "user 'a\"b'"},
	    {"a:host=x;user=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	     "trunk a: user is longer than 63 characters"},
	    {"a:host=x;auth_user=", "trunk a: auth_user is empty"},
	    {"a:host=x;auth_user=a\"b", "trunk a: auth_user 'a\"b': printable characters only"},
	    {"a:host=x;auth_user=a\\b", "trunk a: auth_user 'a\\b': printable characters only"},
	    {"a:host=x;auth_user=a\x7f", "auth_user 'a?': printable characters only"},
	    {"a:host=x;auth_user=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	     "trunk a: auth_user is longer than 63 characters"},
	    {"a:host=x;user=u;password_file=relative/pw",
	     "trunk a: password_file 'relative/pw' must be an absolute"},
	    {"a:host=x;user=u;password_file=", "trunk a: password_file '' must be an absolute path"},
	    {"a:host=x;user=u;password_file=/a\x01", "trunk a: password_file holds a control character"},
	    {"a:host=x;password_file=/etc/pw", "trunk a: password_file= needs user= or auth_user="},
	    /* numbers */
	    {"a:host=x;channels=0", "trunk a: channels '0' must be 1..2000"},
	    {"a:host=x;channels=2001", "channels '2001' must be 1..2000"},
	    {"a:host=x;channels=", "channels '' must be 1..2000"},
	    {"a:host=x;channels=-1", "channels '-1' must be 1..2000"},
	    {"a:host=x;channels=3x", "channels '3x' must be 1..2000"},
	    {"a:host=x;channels=99999999999999999999", "channels '99999999999999999999' must be 1..2000"},
	    {"a:host=x;expires=59", "trunk a: expires '59' must be 60..86400 seconds"},
	    {"a:host=x;expires=86401", "expires '86401' must be 60..86400"},
	    {"a:host=x;expires=10m", "expires '10m' must be 60..86400"},
	    {"a:host=x;caller_id=", "trunk a: caller_id '' must be digits, optionally after a '+'"},
	    {"a:host=x;caller_id=+", "caller_id '+' must be digits"},
	    {"a:host=x;caller_id=++49", "caller_id '++49' must be digits"},
	    {"a:host=x;caller_id=49+1", "caller_id '49+1' must be digits"},
	    {"a:host=x;caller_id=030 123", "trunk #2: '123' is not NAME:key=value"}, /* two words */
	    {"a:host=x;caller_id=0301a", "caller_id '0301a' must be digits"},
	    {"a:host=x;caller_id=+12345678901234567890123456789012",
	     "caller_id '+1234567890123456789012345678901"},
	    {"a:host=x;prefix=9a", "trunk a: prefix '9a' may hold only digits, '#' and '*'"},
	    {"a:host=x;prefix=+0", "prefix '+0' may hold only digits"},
	    {"a:host=x;prefix=0123456789012345", "trunk a: prefix is longer than 15 characters"},
	    /* codecs */
	    {"a:host=x;codecs=", "trunk a: codecs: '' is not t38, pcma or pcmu"},
	    {"a:host=x;codecs=t38", "trunk a: codecs: pcma or pcmu is needed (every call starts in G.711)"},
	    {"a:host=x;codecs=g729/pcma", "codecs: 'g729' is not t38, pcma or pcmu"},
	    {"a:host=x;codecs=PCMA", "codecs: 'PCMA' is not t38, pcma or pcmu"},
	    {"a:host=x;codecs=pcma/pcma", "trunk a: codecs: pcma is listed twice"},
	    {"a:host=x;codecs=t38/pcmu/t38", "codecs: t38 is listed twice"},
	    {"a:host=x;codecs=pcma//pcmu", "codecs: '' is not t38"},
	    {"a:host=x;codecs=pcma/", "codecs: '' is not t38"},
	    {"a:host=x;codecs=/pcma", "codecs: '' is not t38"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		parse_bad(cases[i].value, cases[i].needle);
}

static void test_errors_long(void **state)
{
	char value[3000];

	(void)state;
	/* a host of 128 characters (labels of 63 at most) is one too many */
	snprintf(value, sizeof(value), "a:host=%.63s.%.63s",
	         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	         "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	strcat(value, ".c");
	parse_bad(value, "is too long");
	/* a whole word beyond its bound */
	memset(value, 0, sizeof(value));
	strcpy(value, "a:host=x");
	for (size_t n = strlen(value); n < 2100; n = strlen(value))
		strcat(value, ";");
	parse_bad(value, "trunk #1: longer than 2048 characters");
	/* the default caller id must be one too */
	struct trunk_list l;
	struct buf err = BUF_INIT;
	assert_int_equal(trunk_parse("a:host=x", "sip:me", &l, &err), -1);
	assert_non_null(
	    strstr(buf_cstr(&err), "trunk a: no caller_id=, and 'sip:me' (the first of line_numbers)"));
	buf_reset(&err);
	assert_int_equal(trunk_parse("a:host=x;caller_id=123", "sip:me", &l, &err), 0);
	assert_string_equal(l.t[0].caller_id, "123");
	buf_free(&err);
}

/* trunk_parse with stderr (the log) caught: rc, the error, and what was logged. */
static int parse_logged(const char *value, struct trunk_list *l, struct buf *err, struct buf *logged)
{
	char path[256];
	int saved, fd, rc;

	snprintf(path, sizeof(path), "%s/stderr", dir);
	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	rc = trunk_parse(value, NULL, l, err);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	buf_reset(logged);
	assert_int_equal(buf_read_file(logged, path, 1 << 20), 0);
	return rc;
}

/* The password file named in a trunk: rc, and the message (never with the password). */
static int parse_password(const char *path, struct trunk_list *l, struct buf *err)
{
	struct buf logged = BUF_INIT;
	char value[512];
	int rc;

	snprintf(value, sizeof(value), "pw:host=x;user=u;password_file=%s", path);
	buf_reset(err);
	rc = parse_logged(value, l, err, &logged);
	assert_null(strstr(buf_cstr(err), SECRET));
	assert_null(strstr(buf_cstr(&logged), SECRET));
	buf_free(&logged);
	/* the syntax check reads no file */
	struct buf e2 = BUF_INIT;
	assert_int_equal(trunk_check(value, &e2), 0);
	buf_free(&e2);
	return rc;
}

static void expect_password_error(const char *path, const char *needle)
{
	struct trunk_list l;
	struct buf err = BUF_INIT;

	assert_int_equal(parse_password(path, &l, &err), -1);
	if (!strstr(buf_cstr(&err), needle))
		fail_msg("%s: error '%s' lacks '%s'", path, buf_cstr(&err), needle);
	assert_int_equal(l.count, 0);
	assert_string_equal(l.t[0].password, "");
	buf_free(&err);
}

static void test_password_file(void **state)
{
	struct trunk_list l;
	struct buf err = BUF_INIT, logged = BUF_INIT;
	char path[256], big[5000], value[600];

	(void)state;
	log_set_level(LOG_LVL_DEBUG);
	/* the first line, without its CR LF */
	write_file(path, sizeof(path), "crlf", SECRET "\r\nsecond line\n", strlen(SECRET) + 14, 0600);
	assert_int_equal(parse_password(path, &l, &err), 0);
	assert_string_equal(l.t[0].password, SECRET);
	/* no line end at all */
	write_file(path, sizeof(path), "bare", SECRET, strlen(SECRET), 0400);
	assert_int_equal(parse_password(path, &l, &err), 0);
	assert_string_equal(l.t[0].password, SECRET);
	/* blanks belong to the password */
	write_file(path, sizeof(path), "blanks", " " SECRET " \n", strlen(SECRET) + 3, 0600);
	assert_int_equal(parse_password(path, &l, &err), 0);
	assert_string_equal(l.t[0].password, " " SECRET " ");
	/* readable by every user: taken, with a warning naming the file only */
	write_file(path, sizeof(path), "open", SECRET "\n", strlen(SECRET) + 1, 0644);
	snprintf(value, sizeof(value), "pw:host=x;user=u;password_file=%s", path);
	assert_int_equal(parse_logged(value, &l, &err, &logged), 0);
	assert_non_null(strstr(buf_cstr(&logged), "trunk pw: password_file"));
	assert_non_null(strstr(buf_cstr(&logged), "is readable by every user"));
	assert_null(strstr(buf_cstr(&logged), SECRET));
	assert_string_equal(l.t[0].password, SECRET);
	/* the longest password, and one byte more */
	memset(big, 'p', 127);
	memcpy(big, SECRET, strlen(SECRET));
	big[127] = '\n';
	write_file(path, sizeof(path), "max", big, 128, 0600);
	assert_int_equal(parse_password(path, &l, &err), 0);
	assert_int_equal(strlen(l.t[0].password), 127);
	big[127] = 'p';
	write_file(path, sizeof(path), "long", big, 128, 0600);
	expect_password_error(path, "trunk pw: password_file");
	expect_password_error(path, "the password is longer than 127 bytes");
	/* a file too big to be a password file, even with a short first line */
	memset(big, 'x', sizeof(big));
	memcpy(big, SECRET "\n", strlen(SECRET) + 1);
	write_file(path, sizeof(path), "big", big, sizeof(big), 0600);
	expect_password_error(path, "is larger than 4096 bytes");
	write_file(path, sizeof(path), "4096", big, 4096, 0600);
	assert_int_equal(parse_password(path, &l, &err), 0);
	assert_string_equal(l.t[0].password, SECRET);
	/* empty: no password */
	write_file(path, sizeof(path), "empty", "", 0, 0600);
	expect_password_error(path, "the first line (the password) is empty");
	write_file(path, sizeof(path), "emptyline", "\n" SECRET "\n", strlen(SECRET) + 2, 0600);
	expect_password_error(path, "the first line (the password) is empty");
	/* a NUL byte cannot be in a C string */
	write_file(path, sizeof(path), "nul", "ab\0" SECRET "\n", strlen(SECRET) + 4, 0600);
	expect_password_error(path, "the password holds a NUL byte");
	/* missing, a folder, a FIFO (which must not hang) */
	snprintf(path, sizeof(path), "%s/missing", dir);
	expect_password_error(path, "No such file or directory");
	expect_password_error(dir, "is not a regular file");
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	expect_password_error(path, "is not a regular file");
	/* an error after a good trunk read its password leaves nothing behind */
	write_file(path, sizeof(path), "good", SECRET "\n", strlen(SECRET) + 1, 0600);
	snprintf(value, sizeof(value), "pw:host=x;user=u;password_file=%s b:host=y;channels=0", path);
	assert_int_equal(trunk_parse(value, NULL, &l, &err), -1);
	assert_int_equal(l.count, 0);
	assert_string_equal(l.t[0].password, "");
	log_set_level(LOG_LVL_ERROR);
	buf_free(&logged);
	buf_free(&err);
}

/* A file only root may read, read by another user: refused with the system's words. */
static void test_password_unreadable(void **state)
{
	char path[256];
	pid_t pid;
	int status;

	(void)state;
	write_file(path, sizeof(path), "secret", SECRET "\n", strlen(SECRET) + 1, 0000);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct trunk_list l;
		struct buf err = BUF_INIT;
		char value[512];

		/* root reads anything: become nobody, for whom the scratch folder (0700) is closed */
		if (geteuid() == 0 && setuid(65534) != 0)
			_exit(2);
		snprintf(value, sizeof(value), "pw:host=x;user=u;password_file=%s", path);
		if (trunk_parse(value, NULL, &l, &err) != -1)
			_exit(3);
		if (!strstr(buf_cstr(&err), "Permission denied") || strstr(buf_cstr(&err), SECRET))
			_exit(4);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* conf_load on a file with these lines: its rc, and the error. */
static int load(const char *text, struct conf *c, struct buf *err)
{
	char path[256];
	int rc;

	write_file(path, sizeof(path), "faxgate.conf", text, strlen(text), 0600);
	buf_reset(err);
	rc = conf_load(c, path, err);
	return rc;
}

static void expect_conf_error(const char *text, const char *needle)
{
	struct conf c;
	struct buf err = BUF_INIT;

	if (load(text, &c, &err) != -1)
		fail_msg("'%s' accepted", text);
	if (!strstr(buf_cstr(&err), needle) || !strstr(buf_cstr(&err), "/faxgate.conf: "))
		fail_msg("'%s': error '%s' lacks '%s'", text, buf_cstr(&err), needle);
	conf_free(&c);
	buf_free(&err);
}

static void test_conf(void **state)
{
	struct conf c;
	struct buf err = BUF_INIT;
	struct trunk_list l;

	(void)state;
	/* a list over several lines, as admins write it */
	assert_int_equal(
	    load("line_driver = sip\nline_numbers = +4930123456 +4930123457\n"
	         "sip_listen = 192.0.2.1:5070\nsip_media_address = 192.0.2.2\n"
	         "sip_rtp_port_min = 20000\nsip_rtp_port_max = 20001\n"
	         "sip_trunks = carrier:host=sip.example.net;user=u;registrar=sip.example.net \\\n"
	         "             backup:host=192.0.2.9:5080;codecs=pcmu \\\n"
	         "             pbx:host=pbx.local;prefix=0\n",
	         &c, &err),
	    0);
	assert_int_equal(c.line_driver, CONF_LINE_SIP);
	parse_ok(c.sip_trunks, "+4930123456", &l);
	assert_int_equal(l.count, 3);
	assert_string_equal(l.t[0].name, "carrier");
	assert_string_equal(l.t[0].registrar, "sip.example.net");
	assert_string_equal(l.t[1].name, "backup");
	assert_int_equal(l.t[1].port, 5080);
	assert_int_equal(l.t[1].codecs, SDP_CODEC_PCMU);
	assert_string_equal(l.t[2].name, "pbx");
	assert_string_equal(l.t[2].prefix, "0");
	conf_free(&c);
	/* the password file is not read by conf_load (faxd reads it as root) */
	assert_int_equal(load("sip_trunks = a:host=x;user=u;password_file=/nonexistent/pw\n", &c, &err), 0);
	conf_free(&c);
	/* defaults alone, and sim lines without trunks */
	assert_int_equal(conf_load(&c, NULL, &err), 0);
	conf_free(&c);
	assert_int_equal(load("line_driver = sim\n", &c, &err), 0);
	conf_free(&c);

	expect_conf_error("line_driver = sip\n", "faxgate.conf: line_driver = sip needs sip_trunks");
	expect_conf_error("line_driver = sip\nsip_trunks = ,\n", "line_driver = sip needs sip_trunks");
	expect_conf_error("sip_trunks = a:host=x;channels=0\n",
	                  "faxgate.conf: sip_trunks: trunk a: channels '0' must be 1..2000");
	expect_conf_error("line_driver = sip\nsip_trunks = a:host=x \\\n  b:host=[::1]\n",
	                  "faxgate.conf: sip_trunks: trunk b: host '[::1]' is an IPv6 address");
	expect_conf_error("sip_listen = 192.0.2.1\n",
	                  "faxgate.conf: sip_listen: '192.0.2.1' is not IPV4ADDRESS:PORT");
	expect_conf_error("sip_listen = [::]:5060\n", "sip_listen: '[::]:5060' is not IPV4ADDRESS:PORT");
	expect_conf_error("sip_listen = localhost:5060\n", "is not IPV4ADDRESS:PORT");
	expect_conf_error("sip_listen = 0.0.0.0:0\n", "is not IPV4ADDRESS:PORT");
	expect_conf_error("sip_listen = 0.0.0.0:65536\n", "is not IPV4ADDRESS:PORT");
	expect_conf_error("sip_listen = 0.0.0.0:+50\n", "is not IPV4ADDRESS:PORT");
	expect_conf_error("sip_listen = :5060\n", "is not IPV4ADDRESS:PORT");
	expect_conf_error("sip_listen = \n", "sip_listen: '' is not IPV4ADDRESS:PORT");
	expect_conf_error("sip_media_address = media.example\n",
	                  "faxgate.conf: sip_media_address: 'media.example' is not an IPv4 address");
	expect_conf_error("sip_media_address = 192.0.2.1:5060\n", "is not an IPv4 address");
	expect_conf_error(
	    "sip_rtp_port_min = 20000\nsip_rtp_port_max = 20000\n",
	    "faxgate.conf: sip_rtp_port_min 20000 and sip_rtp_port_max 20000 leave fewer than 2 ports");
	expect_conf_error("sip_rtp_port_min = 30000\nsip_rtp_port_max = 20000\n", "leave fewer than 2 ports");
	buf_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_registrar_defaults),
	    cmocka_unit_test(test_several),
	    cmocka_unit_test(test_codecs),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_errors_long),
	    cmocka_unit_test(test_every_key),
	    cmocka_unit_test(test_password_file),
	    cmocka_unit_test(test_password_unreadable),
	    cmocka_unit_test(test_conf),
	};

	log_open("test_trunk", LOG_TO_STDERR, NULL);
	log_set_level(LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, setup, teardown);
}
