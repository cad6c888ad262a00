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
 * substream is usually the quarter (for shocks, half of it: cp_model.c).
 */
#ifndef CP_RNG_H
#define CP_RNG_H

#include <stddef.h>
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

/* The first four 32-bit draws of a position: what a generator seeked there
 * returns first, in order. */
typedef struct cp_rng_block {
    uint32_t w[4];
} cp_rng_block;

/* The uniform in [0, 1) that gsl_rng_uniform makes of a 32-bit word. */
static inline double cp_rng_word_uniform(uint32_t word)
{
    return (double)word * 0x1p-32;
}

/* out[l] = the first block of position (first + l, stream, substream) under
 * seed, for l < n: the same words as cp_rng_seek and four gsl_rng_get calls,
 * computed for many samples at once. */
void cp_rng_first_blocks(uint64_t seed, uint64_t first, size_t n, uint32_t stream,
                         uint32_t substream, cp_rng_block *out);

/* Positions r as cp_rng_seek does, given the position's first block from
 * cp_rng_first_blocks (so that it is not computed again); the draws are the
 * same.  r must have been allocated with the seed that block was made with.
 * A generator of another type is left unchanged. */
void cp_rng_seek_filled(gsl_rng *r, uint64_t sample, uint32_t stream, uint32_t substream,
                        const cp_rng_block *first);

/* z[l] and z2[l] = the two independent standard normals that Box-Muller
 * makes of blocks[l] (all four words): r cos t and r sin t, for l < n.
 * The same bits on every machine (cp_rng.c says how). */
void cp_rng_gaussians(const cp_rng_block *restrict blocks, size_t n, double *restrict z,
                      double *restrict z2);

/* The stream id of a name: 32-bit FNV-1a of its bytes, the same on every
 * platform.  Callers check that the names they use do not collide. */
uint32_t cp_rng_stream_id(const char *name);

#endif
