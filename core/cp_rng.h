/* cp_rng.h -- counter-based random numbers (Philox4x32-10 from Random123)
 * exposed as a gsl_rng_type, so every GSL sampler can draw from it.
 *
 * Reproducibility rests here.  The 128-bit counter is (sample, stream,
 * substream); the key is derived from the run seed and the block number
 * within the substream (layout in cp_rng.c).  A draw is therefore a pure
 * function of (seed, sample, stream, substream, draw number): it does not
 * depend on which
 * rank computes the sample or in which order samples are computed.  A stream
 * is identified by a 32-bit hash of a name ("shock:euv_supply"), so adding a
 * shock or an event to a scenario leaves every other stream unchanged; the
 * substream is usually the quarter.
 */
#ifndef CP_RNG_H
#define CP_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

/* The GSL generator type ("cp-philox4x32"), 32 bits per draw. */
const gsl_rng_type *cp_rng_type(void);

/* A generator keyed by seed and positioned at (sample 0, stream 0,
 * substream 0); NULL if allocation fails.  Free with gsl_rng_free(). */
gsl_rng *cp_rng_alloc(uint64_t seed);

/* Positions r at the first draw of (sample, stream, substream), keeping its
 * seed.  A generator of another type is left unchanged. */
void cp_rng_seek(gsl_rng *r, uint64_t sample, uint32_t stream, uint32_t substream);

/* The stream id of a name: 32-bit FNV-1a of its bytes, the same on every
 * platform.  Callers check that the names they use do not collide. */
uint32_t cp_rng_stream_id(const char *name);

#endif
