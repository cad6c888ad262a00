/* cp_rng.c -- see cp_rng.h.
 *
 * Layout of the Philox4x32-10 inputs.  One Philox call turns a 128-bit
 * counter and a 64-bit key into a block of four 32-bit words:
 *
 *   ctr = { sample_lo, sample_hi, stream, substream }
 *   key = mix64(seed + block * G)   (low word first)
 *
 * where block is the number of blocks already drawn at this position (draw
 * number d lives in block d / 4, word d % 4), G = 0x9e3779b97f49036f and
 * mix64 is the SplitMix64 finaliser.  All arithmetic is mod 2^64.
 *
 * Why the block goes into the key: the counter has exactly the 128 bits that
 * (sample, stream, substream) need, so there is no room left in it for a
 * block index without narrowing one of them.  The key holds it instead.
 *
 * Injectivity.  For a fixed seed, block -> seed + block * G is injective for
 * every block < 2^64 (G is odd) and mix64 is a bijection, so
 * (sample, stream, substream, draw number) maps injectively onto
 * (ctr, key, word) -- no two draws of one run share a Philox input, however
 * far a substream is read.  Across seeds, (s, b) and (s', b') share a key only
 * if s - s' = (b' - b) * G mod 2^64.  G was chosen (an odd neighbour of
 * 2^64 / golden ratio, checked exhaustively) so that |d * G mod 2^64|, taken
 * centred, is at least 4291044903 for every 0 < |d| < 2^32: two seeds closer
 * than that never share a key within the first 2^32 blocks (2^34 draws) of
 * any position.
 *
 * mix64 keeps consecutive blocks' keys unrelated: Philox's own key schedule
 * adds a constant per round, and an arithmetic progression of keys would
 * resemble it.  mix64(0) = 0, so seed 0 at position (0, 0, 0) yields Random123's
 * all-zero known-answer block as its first four words.
 */
#include "cp_rng.h"

#include <Random123/philox.h>
#include <math.h>
#include <string.h>

#include "cp_math.h"

/* Per-block key step; see the layout comment. */
#define CP_RNG_KEY_STEP UINT64_C(0x9e3779b97f49036f)

typedef struct cp_rng_state {
    uint32_t key[2];  /* the seed, low word first */
    uint32_t ctr[4];  /* sample_lo, sample_hi, stream, substream */
    uint64_t block;   /* blocks already drawn at this position */
    uint32_t buf[4];  /* the current block */
    unsigned int pos; /* next word of buf; 4 = empty */
} cp_rng_state;

static uint64_t cp_rng_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* The Philox key of block number block of every position. */
static philox4x32_key_t cp_rng_key(uint64_t seed, uint64_t block)
{
    const uint64_t k = cp_rng_mix64(seed + block * CP_RNG_KEY_STEP);
    return (philox4x32_key_t){{(uint32_t)k, (uint32_t)(k >> 32)}};
}

static void cp_rng_refill(cp_rng_state *s)
{
    const uint64_t seed = (uint64_t)s->key[0] | ((uint64_t)s->key[1] << 32);
    const philox4x32_key_t key = cp_rng_key(seed, s->block);
    const philox4x32_ctr_t ctr = {{s->ctr[0], s->ctr[1], s->ctr[2], s->ctr[3]}};
    const philox4x32_ctr_t out = philox4x32_R(10, ctr, key);
    for (int i = 0; i < 4; i++)
        s->buf[i] = out.v[i];
    s->block++;
    s->pos = 0;
}

static void cp_rng_position(cp_rng_state *s, uint64_t sample, uint32_t stream, uint32_t substream)
{
    s->ctr[0] = (uint32_t)sample;
    s->ctr[1] = (uint32_t)(sample >> 32);
    s->ctr[2] = stream;
    s->ctr[3] = substream;
    s->block = 0;
    s->pos = 4;
}

static void cp_rng_seed(cp_rng_state *s, uint64_t seed)
{
    s->key[0] = (uint32_t)seed;
    s->key[1] = (uint32_t)(seed >> 32);
    cp_rng_position(s, 0, 0, 0);
}

static void cp_rng_set(void *vstate, unsigned long int seed)
{
    cp_rng_seed(vstate, (uint64_t)seed);
}

static unsigned long int cp_rng_get(void *vstate)
{
    cp_rng_state *s = vstate;
    if (s->pos == 4)
        cp_rng_refill(s);
    return s->buf[s->pos++];
}

static double cp_rng_get_double(void *vstate)
{
    return cp_rng_word_uniform((uint32_t)cp_rng_get(vstate));
}

static const gsl_rng_type cp_rng_philox_type = {
    .name = "cp-philox4x32",
    .max = 0xffffffffUL,
    .min = 0,
    .size = sizeof(cp_rng_state),
    .set = cp_rng_set,
    .get = cp_rng_get,
    .get_double = cp_rng_get_double,
};

const gsl_rng_type *cp_rng_type(void)
{
    return &cp_rng_philox_type;
}

gsl_rng *cp_rng_alloc(uint64_t seed)
{
    gsl_rng *r = gsl_rng_alloc(&cp_rng_philox_type);
    if (!r)
        return NULL;
    /* Not gsl_rng_set: its unsigned long seed may be narrower than 64 bits. */
    cp_rng_seed(r->state, seed);
    return r;
}

void cp_rng_seek(gsl_rng *r, uint64_t sample, uint32_t stream, uint32_t substream)
{
    /* Another generator type has no position to seek to; its state is left
     * alone rather than reinterpreted. */
    if (r->type != &cp_rng_philox_type)
        return;
    cp_rng_position(r->state, sample, stream, substream);
}

/* Philox4x32-10 over lanes.  One key serves every position's first block
 * and the positions differ only in the sample, so this is the same
 * arithmetic in every lane, written out (rather than through Random123's
 * philox4x32_R, which the compiler vectorizes poorly) so that each 32-bit
 * word sits in a 64-bit lane: the multiplies are then plain 32 x 32 -> 64
 * bit vector multiplies with no shuffling.  The round keys and constants
 * are Random123's (tests/unit/test_rng.c checks the words against the
 * generator's).  Integer arithmetic is exact, so the clones that the
 * attribute makes for wider vector units give the same words on every
 * machine; it only picks the fastest one present. */
#define CP_RNG_ROUNDS 10

CP_LANE_CLONES void cp_rng_first_blocks(uint64_t seed, uint64_t first, size_t n, uint32_t stream,
                                        uint32_t substream, cp_rng_block *restrict out)
{
    const philox4x32_key_t key = cp_rng_key(seed, 0);
    uint64_t k0[CP_RNG_ROUNDS], k1[CP_RNG_ROUNDS];
    for (int r = 0; r < CP_RNG_ROUNDS; r++) {
        k0[r] = (uint32_t)(key.v[0] + (uint32_t)r * PHILOX_W32_0);
        k1[r] = (uint32_t)(key.v[1] + (uint32_t)r * PHILOX_W32_1);
    }
    const uint64_t lo32 = UINT64_C(0xffffffff);
    for (size_t l = 0; l < n; l++) {
        const uint64_t sample = first + l;
        uint64_t c0 = sample & lo32, c1 = sample >> 32, c2 = stream, c3 = substream;
        for (int r = 0; r < CP_RNG_ROUNDS; r++) {
            const uint64_t p0 = (c0 & lo32) * PHILOX_M4x32_0, p1 = (c2 & lo32) * PHILOX_M4x32_1;
            c0 = (p1 >> 32) ^ c1 ^ k0[r];
            c1 = p1 & lo32;
            c2 = (p0 >> 32) ^ c3 ^ k1[r];
            c3 = p0 & lo32;
        }
        out[l].w[0] = (uint32_t)c0;
        out[l].w[1] = (uint32_t)c1;
        out[l].w[2] = (uint32_t)c2;
        out[l].w[3] = (uint32_t)c3;
    }
}

/* ---- normals from blocks ----
 *
 * Box-Muller: z = sqrt(-2 ln u) cos(2 pi v) is exactly N(0, 1) for
 * independent uniform u and v.  u and v take 52 bits each (words 0-1 and
 * 2-3), u = (i + 1/2) 2^-52 so that it is never 0 or 1 (|z| reaches 8.6,
 * beyond which lies a probability of 1e-17).  Every step is IEEE double
 * arithmetic over lanes (cp_math's log, sqrt, the polynomials below), so
 * it vectorizes and gives the same bits on every machine, like the
 * integer Philox: unlike a ziggurat it has no rejection and no table, and
 * it draws no word beyond the position's first block. */

static inline double cp_rng_bits_double(uint64_t b)
{
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* An integer below 2^52 as a double, exactly, by its bits (a conversion
 * from 64-bit integers does not vectorize before AVX-512). */
static inline double cp_rng_small_int(uint64_t i)
{
    return cp_rng_bits_double(UINT64_C(0x4330000000000000) | i) - 0x1p52;
}

#define CP_RNG_MASK52 ((UINT64_C(1) << 52) - 1)
#define CP_RNG_MASK50 ((UINT64_C(1) << 50) - 1)

/* cos(2 pi v) and sin(2 pi v) for v = m 2^-52, m < 2^52: the quarter turn
 * k and the rest f of 4v are exact; f is moved to [-1/2, 1/2] so that
 * x = f pi/2 is within pi/4, where Taylor series of sin and cos to x^17 and
 * x^16 are exact to below 2^-60; cos(k pi/2 + x) and sin(k pi/2 + x) are
 * then +-cos x or +-sin x. */
static inline void cp_rng_turn(uint64_t m, double *cos_out, double *sin_out)
{
    static const double c[] = {
        1.0 / 20922789888000.0, -1.0 / 87178291200.0, 1.0 / 479001600.0, -1.0 / 3628800.0,
        1.0 / 40320.0,          -1.0 / 720.0,         1.0 / 24.0,        -0.5};
    static const double sn[] = {
        1.0 / 355687428096000.0, -1.0 / 1307674368000.0, 1.0 / 6227020800.0, -1.0 / 39916800.0,
        1.0 / 362880.0,          -1.0 / 5040.0,          1.0 / 120.0,        -1.0 / 6.0};
    const uint64_t up = (m & CP_RNG_MASK50) >> 49; /* the rest is at least 1/2 */
    const uint64_t k = ((m >> 50) + up) & 3;
    const double f = cp_rng_small_int(m & CP_RNG_MASK50) * 0x1p-50 - (double)up;
    const double x = f * 1.5707963267948966;
    const double x2 = x * x;
    double pc = c[0], ps = sn[0];
    for (int j = 1; j < 8; j++) {
        pc = pc * x2 + c[j];
        ps = ps * x2 + sn[j];
    }
    const double cosx = 1.0 + x2 * pc, sinx = x + x * x2 * ps;
    const double cv = k & 1 ? sinx : cosx, sv = k & 1 ? cosx : sinx;
    *cos_out = k == 1 || k == 2 ? -cv : cv;
    *sin_out = k >= 2 ? -sv : sv;
}

CP_LANE_CLONES void cp_rng_gaussians(const cp_rng_block *restrict blocks, size_t n,
                                     double *restrict z, double *restrict z2)
{
    double *restrict scratch = z2;
    for (size_t l = 0; l < n; l++) {
        const uint64_t i = ((uint64_t)blocks[l].w[0] << 20 | blocks[l].w[1] >> 12) & CP_RNG_MASK52;
        scratch[l] = (cp_rng_small_int(i) + 0.5) * 0x1p-52;
    }
    cp_math_log_n(scratch, z, n);
    for (size_t l = 0; l < n; l++) {
        const uint64_t m = ((uint64_t)blocks[l].w[2] << 20 | blocks[l].w[3] >> 12) & CP_RNG_MASK52;
        double c, sn;
        cp_rng_turn(m, &c, &sn);
        const double r = sqrt(-2.0 * z[l]);
        z[l] = r * c;
        z2[l] = r * sn;
    }
}

void cp_rng_seek_filled(gsl_rng *r, uint64_t sample, uint32_t stream, uint32_t substream,
                        const cp_rng_block *first)
{
    if (r->type != &cp_rng_philox_type)
        return;
    cp_rng_state *s = r->state;
    cp_rng_position(s, sample, stream, substream);
    for (int i = 0; i < 4; i++)
        s->buf[i] = first->w[i];
    s->block = 1;
    s->pos = 0;
}

uint32_t cp_rng_stream_id(const char *name)
{
    uint32_t h = UINT32_C(2166136261);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= UINT32_C(16777619);
    }
    return h;
}
