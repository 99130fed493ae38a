/*
 * u8x16.h - sixteen grey pixels at a time in a GCC vector type (SSE2 on x86-64, NEON on ARM), for
 * the pixel loops of bilevel.c and tonemap.c. Comparisons give -1 in each true lane.
 */
#ifndef FAXGATE_RENDER_U8X16_H
#define FAXGATE_RENDER_U8X16_H

#include <stdint.h>
#include <string.h>

typedef uint8_t u8x16 __attribute__((vector_size(16)));

/* Sixteen pixels from anywhere: no alignment needed. */
static inline u8x16 u8x16_load(const uint8_t *p)
{
	u8x16 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline u8x16 u8x16_splat(int v)
{
	u8x16 r;

	memset(&r, v, sizeof(r));
	return r;
}

#endif
