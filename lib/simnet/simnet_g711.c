/*
 * simnet_g711.c - G.711 companding for the simulated network's audio, with spandsp's converters.
 */
#include "simnet/simnet_proto.h"

#include <spandsp.h>

void simnet_g711_encode(int law, const int16_t *in, uint8_t *out, int n)
{
	if (law == SIMNET_ALAW)
		for (int i = 0; i < n; i++)
			out[i] = linear_to_alaw(in[i]);
	else
		for (int i = 0; i < n; i++)
			out[i] = linear_to_ulaw(in[i]);
}

void simnet_g711_decode(int law, const uint8_t *in, int16_t *out, int n)
{
	if (law == SIMNET_ALAW)
		for (int i = 0; i < n; i++)
			out[i] = alaw_to_linear(in[i]);
	else
		for (int i = 0; i < n; i++)
			out[i] = ulaw_to_linear(in[i]);
}
