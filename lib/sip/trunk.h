/*
 * trunk.h - the SIP trunks of sip_trunks, parsed and checked.
 *
 * A trunk is a carrier, a PBX or a gateway faxd places calls through and takes calls from. In
 * the configuration each trunk is one word of sip_trunks (words are separated by blanks; a long
 * list continues on the next line with '\'):
 *
 *     NAME:key=value;key=value;...
 *
 *   host=H[:PORT]       where INVITEs go (and REGISTER unless registrar=); required
 *   registrar=H[:PORT]  register there (digest authentication); empty: a static peer, calls from
 *                       its address are taken without registering
 *   user=U              user part of our address at the trunk (From, REGISTER, Contact)
 *   auth_user=U         user for digest authentication (default user)
 *   password_file=PATH  file holding the digest password (first line); never in the config itself
 *   domain=D            domain of our address (default the host)
 *   channels=N          calls at once through this trunk (default 30, 1..2000)
 *   caller_id=NUMBER    caller id sent (default the first of line_numbers)
 *   prefix=DIGITS       put before every dial string (an outside line on a PBX)
 *   codecs=LIST         '/'-separated, in order of preference: t38 pcma pcmu (default t38/pcma/pcmu);
 *                       leaving t38 out means G.711 only
 *   expires=SECONDS     registration period asked for (default 600, 60..86400)
 *
 * Calls go out through the first trunk with a free channel, in the order listed. Incoming INVITEs
 * are taken only from a trunk's host or registrar address (resolved at start); any other source
 * is refused with 403.
 */
#ifndef FAXGATE_SIP_TRUNK_H
#define FAXGATE_SIP_TRUNK_H

#include <stdbool.h>

#include "util/buf.h"

#define TRUNK_MAX 32

struct trunk {
	char name[32];
	char host[128];      /* host or IPv4 address */
	int port;            /* 5060 when not given */
	char registrar[128]; /* "" static peer */
	int registrar_port;
	char user[64];
	char auth_user[64];
	char password[128]; /* read from password_file; "" none */
	char domain[128];
	int channels;
	char caller_id[32];
	char prefix[16];
	int codecs;        /* SDP_CODEC_* bits */
	bool t38_first;    /* t38 listed before the G.711 codecs (a T.38 re-INVITE is wanted) */
	bool alaw_first;   /* pcma before pcmu */
	int expires;
};

struct trunk_list {
	struct trunk t[TRUNK_MAX];
	int count;
};

/*
 * Parse sip_trunks (the value as written); the password files are read here (before faxd drops
 * privileges, so they may be readable by root only). default_caller_id fills caller_id when not
 * given. 0, or -1 with "trunk NAME: problem" in err. An empty list is an error.
 */
int trunk_parse(const char *value, const char *default_caller_id, struct trunk_list *out, struct buf *err);
/* Only the syntax (faxctl config check, without reading password files): 0 or -1 with err. */
int trunk_check(const char *value, struct buf *err);

#endif
