/*
 * milter.h - faxmilter's registration with libmilter.
 */
#ifndef FAXGATE_MILTER_MILTER_H
#define FAXGATE_MILTER_MILTER_H

#include <libmilter/mfapi.h>

extern struct smfiDesc milter_callbacks;

#endif
