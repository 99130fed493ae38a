/*
 * faxpdf_file.c - a fax PDF written to a file, which appears under its name only when complete.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faxdoc/faxdoc.h"
#include "faxdoc/faxpdf.h"
#include "util/xalloc.h"

int faxpdf_save(const char *path, const struct fax_page_list *pages, int res, const struct faxpdf_info *info,
                struct buf *err)
{
	struct buf pdf = BUF_INIT;
	char *tmp;
	int fd, rc = -1;

	if (faxpdf_write(pages, res, info, &pdf, err) < 0)
		return -1;
	/* A unique name made with O_EXCL: nobody can plant a link for us to write through. */
	tmp = xasprintf("%s.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		faxdoc_error(err, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0640) < 0 || buf_write_fd(&pdf, fd) < 0 || fsync(fd) < 0) {
		faxdoc_error(err, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		faxdoc_error(err, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	buf_free(&pdf);
	return rc;
}
