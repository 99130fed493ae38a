/*
 * faxsession_rx.c - the pages spandsp received, from its TIFF file into MMR pages.
 *
 * spandsp writes a page into the file only once the page is complete, so a call that dropped in
 * the middle leaves the pages before the drop; they are kept. The file is read with the defensive
 * TIFF reader (sizes bounded) and every page is encoded again, so what is stored is exactly what
 * mmr_decode accepts whatever spandsp's encoder made of it.
 */
#include <sys/stat.h>

#include "fax/faxsession_int.h"
#include "render/faxtiff.h"
#include "util/log.h"

int faxsession_read_rx(const char *path, struct fax_page_list *pages, int *ydpi)
{
	struct page_list got = {NULL, 0, 0};
	struct stat st;
	char err[256];
	int added = 0;

	*ydpi = 0;
	/* spandsp creates nothing before the first page: our own empty placeholder means no pages. */
	if (stat(path, &st) < 0 || st.st_size == 0)
		return 0;
	if (faxtiff_read(path, &got, ydpi, err, sizeof(err)) < 0) {
		log_warning("received pages unreadable: %s", err);
		return 0;
	}
	for (size_t i = 0; i < got.count && i < FAXSESSION_MAX_RX_PAGES; i++) {
		struct fax_page p;

		if (mmr_encode(&got.pages[i], &p) < 0) {
			log_warning("received page %zu cannot be encoded", i + 1);
			break;
		}
		fax_page_list_push(pages, &p);
		added++;
	}
	page_list_free(&got);
	return added;
}
