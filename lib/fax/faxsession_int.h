/*
 * faxsession_int.h - what the parts of the fax session share (not for other modules).
 */
#ifndef FAXGATE_FAX_FAXSESSION_INT_H
#define FAXGATE_FAX_FAXSESSION_INT_H

#include "render/mmr.h"

/* Most pages one call may bring in: a bound on the memory a hostile sender can make us hold. */
#define FAXSESSION_MAX_RX_PAGES 500

/*
 * Append the pages of the TIFF spandsp received to pages, as MMR; *ydpi gets the first page's rows
 * an inch (0 unknown). Pages that cannot be read are left out (logged). Returns the number added.
 */
int faxsession_read_rx(const char *path, struct fax_page_list *pages, int *ydpi);

#endif
