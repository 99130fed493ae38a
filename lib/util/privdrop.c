/*
 * privdrop.c - leave root for a service user (see privdrop.h).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "util/privdrop.h"

int privdrop_switch(const char *user, struct buf *err)
{
	struct passwd *pw;
	uid_t ruid, euid, suid;

	if (!user || !*user || geteuid() != 0)
		return 0;
	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		buf_printf(
		    err,
		    "run_user %s: no such user; create it (useradd --system --home-dir /var/lib/faxgate "
		    "--shell /usr/sbin/nologin %s) or name another one",
		    user, user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		buf_printf(err, "run_user %s: is root; name an unprivileged user", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
		buf_printf(err, "cannot become %s: %s", user, strerror(errno));
		return -1;
	}
	/* Belt and braces: make sure there is no way back. */
	if (getresuid(&ruid, &euid, &suid) < 0 || ruid == 0 || euid == 0 || suid == 0 || setuid(0) == 0) {
		buf_printf(err, "cannot become %s: root could be regained", user);
		return -1;
	}
	/* The kernel made the process non-dumpable at the switch: no core dumps or ptrace of a former root.
	 */
	return 0;
}
