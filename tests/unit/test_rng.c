/* test_rng.c -- the counter-based generator: known answers, the layout of
 * its Philox inputs, determinism independent of the order of use,
 * uniqueness across positions, uniformity, and use by GSL samplers.
 *
 * Statistical checks use fixed seeds, so they are deterministic; their
 * thresholds are set so that a correct generator would fail them for a
 * random seed with probability about 1e-6 each. */
#include <criterion/criterion.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <Random123/philox.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>

#include "cp_rng.h"

static void setup(void)
{
    gsl_set_error_handler_off();
}

TestSuite(rng, .init = setup);

/* ------------------------------------------------------------------------ */
/* Known answers                                                            */

/* Random123 1.14 tests/kat_vectors, rows "philox4x32 10":
 * counter[4], key[2], expected[4]. */
static const uint32_t kat[3][10] = {
    {0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x6627e8d5, 0xe169c58d,
     0xbc57ac4c, 0x9b00dbd8},
    {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d, 0x41c83b0e,
     0xa20bc7c6, 0x6d5451fd},
    {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09, 0x94fdcceb,
     0x5001e420, 0x24126ea1},
};

Test(rng, philox_core_matches_random123_kat)
{
    for (int i = 0; i < 3; i++) {
        const philox4x32_ctr_t ctr = {{kat[i][0], kat[i][1], kat[i][2], kat[i][3]}};
        const philox4x32_key_t key = {{kat[i][4], kat[i][5]}};
        const philox4x32_ctr_t out = philox4x32_R(10, ctr, key);
        for (int j = 0; j < 4; j++)
            cr_assert_eq(out.v[j], kat[i][6 + j], "KAT %d word %d: %08x != %08x", i, j, out.v[j],
                         kat[i][6 + j]);
    }
}

Test(rng, seed0_first_block_is_the_all_zero_kat)
{
    gsl_rng *r = cp_rng_alloc(0);
    cr_assert_not_null(r);
    for (int j = 0; j < 4; j++)
        cr_assert_eq(gsl_rng_get(r), kat[0][6 + j]);
    gsl_rng_free(r);
}

/* The layout documented in cp_rng.c, rebuilt here from its description:
 * ctr = {sample_lo, sample_hi, stream, substream},
 * key = splitmix64_finaliser(seed + block * 0x9e3779b97f49036f). */
static uint64_t layout_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static philox4x32_ctr_t layout_block(uint64_t seed, uint64_t sample, uint32_t stream,
                                     uint32_t substream, uint64_t block)
{
    const uint64_t k = layout_mix64(seed + block * UINT64_C(0x9e3779b97f49036f));
    const philox4x32_key_t key = {{(uint32_t)k, (uint32_t)(k >> 32)}};
    const philox4x32_ctr_t ctr = {{(uint32_t)sample, (uint32_t)(sample >> 32), stream, substream}};
    return philox4x32_R(10, ctr, key);
}

Test(rng, draws_follow_the_documented_layout)
{
    const uint64_t seeds[] = {0, 1, 42, UINT64_C(0x123456789abcdef0), UINT64_MAX};
    const uint64_t samples[] = {0, 7, UINT64_C(1) << 32, UINT64_C(0xfedcba9876543210)};
    const uint32_t streams[] = {0, 3, 0xffffffffu};
    const uint32_t substreams[] = {0, 11, 0x80000000u};
    for (size_t a = 0; a < 5; a++) {
        gsl_rng *r = cp_rng_alloc(seeds[a]);
        for (size_t b = 0; b < 4; b++)
            for (size_t c = 0; c < 3; c++)
                for (size_t d = 0; d < 3; d++) {
                    cp_rng_seek(r, samples[b], streams[c], substreams[d]);
                    for (uint64_t blk = 0; blk < 5; blk++) {
                        const philox4x32_ctr_t want =
                            layout_block(seeds[a], samples[b], streams[c], substreams[d], blk);
                        for (int w = 0; w < 4; w++)
                            cr_assert_eq(gsl_rng_get(r), want.v[w],
                                         "seed %zu sample %zu stream %zu substream %zu block %d", a,
                                         b, c, d, (int)blk);
                    }
                }
        gsl_rng_free(r);
    }
}

/* The property the key step was chosen for: for 0 < d < 2^32, d * G mod 2^64
 * stays at least 4291044903 away from 0, so seeds closer than that never
 * share a Philox key within the first 2^32 blocks of a position.  Exhaustive
 * (a few seconds). */
Test(rng, key_step_separates_nearby_seeds, .timeout = 120)
{
    const uint64_t g = UINT64_C(0x9e3779b97f49036f);
    uint64_t x = 0, least = UINT64_MAX;
    for (uint64_t d = 1; d < (UINT64_C(1) << 32); d++) {
        x += g;
        const uint64_t dist = x < -x ? x : -x;
        if (dist < least)
            least = dist;
    }
    cr_assert_geq(least, UINT64_C(4291044903));
}

/* The price of that guarantee, pinned so nobody mistakes it for more: seeds
 * exactly d key steps apart do share keys, d blocks shifted. */
Test(rng, seeds_a_key_step_apart_alias_by_one_block)
{
    gsl_rng *a = cp_rng_alloc(0), *b = cp_rng_alloc(UINT64_C(0x9e3779b97f49036f));
    for (int i = 0; i < 4; i++)
        gsl_rng_get(a);
    for (int i = 0; i < 8; i++)
        cr_assert_eq(gsl_rng_get(a), gsl_rng_get(b));
    gsl_rng_free(a);
    gsl_rng_free(b);
}

/* ------------------------------------------------------------------------ */
/* The GSL face                                                             */

Test(rng, gsl_type_properties)
{
    const gsl_rng_type *t = cp_rng_type();
    cr_assert_str_eq(t->name, "cp-philox4x32");
    cr_assert_eq(t->max, 0xffffffffUL);
    cr_assert_eq(t->min, 0UL);
    gsl_rng *r = cp_rng_alloc(5);
    cr_assert_str_eq(gsl_rng_name(r), "cp-philox4x32");
    cr_assert_eq(gsl_rng_max(r), 0xffffffffUL);
    cr_assert_eq(gsl_rng_min(r), 0UL);
    gsl_rng_free(r);
}

Test(rng, get_double_is_word_over_2_32)
{
    gsl_rng *a = cp_rng_alloc(77), *b = cp_rng_alloc(77);
    double lo = 1, hi = 0;
    for (int i = 0; i < 100000; i++) {
        const double u = gsl_rng_uniform(a);
        const unsigned long w = gsl_rng_get(b);
        cr_assert_eq(u, (double)w / 4294967296.0);
        cr_assert(u >= 0 && u < 1);
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
    }
    cr_assert_lt(lo, 1e-4);
    cr_assert_gt(hi, 1 - 1e-4);
    gsl_rng_free(a);
    gsl_rng_free(b);
}

Test(rng, gsl_rng_set_rekeys_and_rewinds)
{
    gsl_rng *fresh = cp_rng_alloc(123), *r = cp_rng_alloc(9);
    for (int i = 0; i < 7; i++)
        gsl_rng_get(r);
    cp_rng_seek(r, 55, 66, 77);
    gsl_rng_get(r);
    gsl_rng_set(r, 123);
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(gsl_rng_get(r), gsl_rng_get(fresh), "draw %d", i);
    gsl_rng_free(fresh);
    gsl_rng_free(r);
}

Test(rng, gsl_alloc_then_set_equals_cp_alloc)
{
    gsl_rng *a = gsl_rng_alloc(cp_rng_type()), *b = cp_rng_alloc(31337);
    cr_assert_not_null(a);
    gsl_rng_set(a, 31337);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(gsl_rng_get(a), gsl_rng_get(b));
    gsl_rng_free(a);
    gsl_rng_free(b);
}

Test(rng, clone_continues_identically)
{
    gsl_rng *r = cp_rng_alloc(4);
    cp_rng_seek(r, 3, 2, 1);
    gsl_rng_get(r);
    gsl_rng *c = gsl_rng_clone(r);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(gsl_rng_get(r), gsl_rng_get(c));
    gsl_rng_free(r);
    gsl_rng_free(c);
}

Test(rng, seed_uses_all_64_bits)
{
    gsl_rng *a = cp_rng_alloc(1), *b = cp_rng_alloc(1 + (UINT64_C(1) << 32)),
            *c = cp_rng_alloc(UINT64_C(1) << 63 | 1);
    const unsigned long wa = gsl_rng_get(a), wb = gsl_rng_get(b), wc = gsl_rng_get(c);
    cr_assert(wa != wb && wa != wc && wb != wc);
    gsl_rng_free(a);
    gsl_rng_free(b);
    gsl_rng_free(c);
}

Test(rng, seek_ignores_other_generator_types)
{
    gsl_rng *mt = gsl_rng_alloc(gsl_rng_mt19937), *ref = gsl_rng_alloc(gsl_rng_mt19937);
    cp_rng_seek(mt, 1, 2, 3);
    for (int i = 0; i < 10; i++)
        cr_assert_eq(gsl_rng_get(mt), gsl_rng_get(ref));
    gsl_rng_free(mt);
    gsl_rng_free(ref);
}

/* The batched first blocks are the words a seeked generator returns first,
 * for odd batch sizes, samples across the 2^32 boundary (the counter's
 * high word changes inside a batch) and the extremes of stream and
 * substream; a generator seeked with a block continues as cp_rng_seek's. */
Test(rng, first_blocks_equal_seek_then_get)
{
    const uint64_t seeds[] = {0, 42, UINT64_C(0xfedcba9876543210)};
    const uint64_t firsts[] = {0, 1000, (UINT64_C(1) << 32) - 5, UINT64_MAX - 70};
    const uint32_t streams[] = {0, 0x9abcdef0u, UINT32_MAX};
    const size_t sizes[] = {1, 7, 64, 71};
    cp_rng_block out[71];
    for (size_t a = 0; a < 3; a++) {
        gsl_rng *r = cp_rng_alloc(seeds[a]), *f = cp_rng_alloc(seeds[a]);
        for (size_t b = 0; b < 4; b++)
            for (size_t c = 0; c < 3; c++)
                for (size_t d = 0; d < 4; d++) {
                    const uint32_t sub = streams[(c + d) % 3];
                    cp_rng_first_blocks(seeds[a], firsts[b], sizes[d], streams[c], sub, out);
                    for (size_t l = 0; l < sizes[d]; l++) {
                        cp_rng_seek(r, firsts[b] + l, streams[c], sub);
                        cp_rng_seek_filled(f, firsts[b] + l, streams[c], sub, &out[l]);
                        for (int i = 0; i < 4; i++)
                            cr_assert_eq(out[l].w[i], gsl_rng_get(r), "word %d", i);
                        cp_rng_seek(r, firsts[b] + l, streams[c], sub);
                        for (int i = 0; i < 9; i++)
                            cr_assert_eq(gsl_rng_get(f), gsl_rng_get(r), "draw %d", i);
                    }
                }
        gsl_rng_free(r);
        gsl_rng_free(f);
    }
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Box-Muller from a block: each normal of the pair against the formula in
 * long double (u and v from the documented bits), within a few ulp of
 * its size. */
Test(rng, gaussians_follow_box_muller)
{
    enum { N = 4096 };
    static cp_rng_block blocks[N];
    static double z[N], z2[N];
    cp_rng_first_blocks(99, 0, N, 7, 3, blocks);
    /* Corners: the least and largest u and v, and quarter turns. */
    const uint32_t corner[][4] = {{0, 0, 0, 0},
                                  {UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX},
                                  {0, 0, 0x40000000u, 0},
                                  {0x80000000u, 0, 0x80000000u, 0},
                                  {0x12345678u, 0x9abcdef0u, 0xc0000000u, 0},
                                  {0x12345678u, 0x9abcdef0u, 0x1fffffffu, 0xfffff000u},
                                  {0x12345678u, 0x9abcdef0u, 0x20000000u, 0}};
    for (size_t i = 0; i < sizeof corner / sizeof *corner; i++)
        memcpy(blocks[i].w, corner[i], sizeof blocks[i].w);
    cp_rng_gaussians(blocks, N, z, z2);
    for (size_t l = 0; l < N; l++) {
        const uint32_t *w = blocks[l].w;
        const uint64_t i = (uint64_t)w[0] << 20 | w[1] >> 12, m = (uint64_t)w[2] << 20 | w[3] >> 12;
        const long double u = ((long double)i + 0.5L) * 0x1p-52L, v = (long double)m * 0x1p-52L;
        const long double r = sqrtl(-2.0L * logl(u)), t = 2.0L * 3.14159265358979323846264L * v;
        const long double want = r * cosl(t), want2 = r * sinl(t);
        const double tol = 8 * DBL_EPSILON * (sqrt(-2.0 * log((double)u)) + 1e-300);
        cr_assert(fabsl(z[l] - want) <= tol, "block %zu: %.17g vs %.17Lg", l, z[l], want);
        cr_assert(fabsl(z2[l] - want2) <= tol, "block %zu: %.17g vs %.17Lg", l, z2[l], want2);
        double one, one2;
        cp_rng_gaussians(&blocks[l], 1, &one, &one2);
        cr_assert(one == z[l] && one2 == z2[l], "block %zu alone differs", l);
    }
}

/* The normals are N(0, 1): mean, variance, the share beyond 2 and 3 sd and
 * the Kolmogorov-Smirnov distance of 2^20 of them (half cos, half sin),
 * and the two of a pair uncorrelated, with bounds of about 5 standard
 * errors (the KS bound is the 1e-9 critical value). */
Test(rng, gaussians_are_standard_normal)
{
    enum { N = 1 << 20, B = 1024 };
    static cp_rng_block blocks[B];
    static double z[N];
    double cross = 0;
    for (size_t k = 0; k < N / B; k += 2) {
        cp_rng_first_blocks(2024, k * B, B, cp_rng_stream_id("shock:test"), 5, blocks);
        cp_rng_gaussians(blocks, B, z + k * B, z + (k + 1) * B);
        for (size_t l = 0; l < B; l++)
            cross += z[k * B + l] * z[(k + 1) * B + l];
    }
    cr_assert_lt(fabs(cross / (N / 2)), 5 / sqrt(N / 2), "pair correlation %g", cross / (N / 2));
    double s1 = 0, s2 = 0;
    size_t beyond2 = 0, beyond3 = 0;
    for (size_t i = 0; i < N; i++) {
        s1 += z[i];
        s2 += z[i] * z[i];
        beyond2 += fabs(z[i]) > 2;
        beyond3 += fabs(z[i]) > 3;
    }
    const double n = N, mean = s1 / n, var = s2 / n - mean * mean;
    cr_assert_lt(fabs(mean), 5 / sqrt(n), "mean %g", mean);
    cr_assert_lt(fabs(var - 1), 5 * sqrt(2 / n), "variance %g", var);
    const double p2 = 2 * gsl_cdf_ugaussian_Q(2), p3 = 2 * gsl_cdf_ugaussian_Q(3);
    cr_assert_lt(fabs(beyond2 / n - p2), 5 * sqrt(p2 * (1 - p2) / n), "beyond 2: %zu", beyond2);
    cr_assert_lt(fabs(beyond3 / n - p3), 5 * sqrt(p3 * (1 - p3) / n), "beyond 3: %zu", beyond3);
    qsort(z, N, sizeof *z, cmp_double);
    double d = 0;
    for (size_t i = 0; i < N; i++) {
        const double f = gsl_cdf_ugaussian_P(z[i]);
        const double lo = f - (double)i / n, hi = (double)(i + 1) / n - f;
        d = fmax(d, fmax(lo, hi));
    }
    cr_assert_lt(d, sqrt(-0.5 * log(1e-9 / 2)) / sqrt(n), "KS distance %g", d);
}

Test(rng, word_uniform_is_gsl_rng_uniform)
{
    gsl_rng *a = cp_rng_alloc(8), *b = cp_rng_alloc(8);
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(gsl_rng_uniform(a), cp_rng_word_uniform((uint32_t)gsl_rng_get(b)));
    gsl_rng_free(a);
    gsl_rng_free(b);
}

Test(rng, stream_id_is_fnv1a_32)
{
    /* Published FNV-1a 32-bit test vectors. */
    cr_assert_eq(cp_rng_stream_id(""), 0x811c9dc5u);
    cr_assert_eq(cp_rng_stream_id("a"), 0xe40c292cu);
    cr_assert_eq(cp_rng_stream_id("foobar"), 0xbf9cf968u);
    /* Bytes above 0x7f are hashed unsigned. */
    cr_assert_neq(cp_rng_stream_id("\xff"), cp_rng_stream_id("\x7f"));
    cr_assert_neq(cp_rng_stream_id("shock:euv_supply"), cp_rng_stream_id("shock:euv_supplz"));
}

/* ------------------------------------------------------------------------ */
/* Determinism                                                              */

#define DET_SAMPLES 1000
#define DET_STREAMS 3
#define DET_SUBSTREAMS 4
/* Draw counts that end mid-block, on a block boundary and past it. */
static const int det_counts[DET_STREAMS] = {1, 4, 9};
#define DET_PER_SAMPLE (DET_SUBSTREAMS * (1 + 4 + 9))

static void draw_sample(gsl_rng *r, uint64_t sample, uint32_t *out)
{
    static const char *const names[DET_STREAMS] = {"shock:euv", "shock:hbm", "event:quake"};
    size_t k = 0;
    for (int s = 0; s < DET_STREAMS; s++)
        for (uint32_t q = 0; q < DET_SUBSTREAMS; q++) {
            cp_rng_seek(r, sample, cp_rng_stream_id(names[s]), q);
            for (int i = 0; i < det_counts[s]; i++)
                out[k++] = (uint32_t)gsl_rng_get(r);
        }
}

/* Unrelated use of the generator between samples: other positions, partial
 * blocks, a stray gsl_rng_uniform. */
static void disturb(gsl_rng *r, unsigned i)
{
    cp_rng_seek(r, i * 7919u + 13, i, i % 5);
    for (unsigned j = 0; j < i % 7; j++)
        gsl_rng_get(r);
    gsl_rng_uniform(r);
}

typedef uint32_t det_row[DET_PER_SAMPLE];

static det_row *det_alloc(void)
{
    det_row *a = calloc(DET_SAMPLES, sizeof *a);
    cr_assert_not_null(a);
    return a;
}

static void det_reference(det_row *ref)
{
    gsl_rng *r = cp_rng_alloc(2026);
    for (unsigned i = 0; i < DET_SAMPLES; i++)
        draw_sample(r, i, ref[i]);
    gsl_rng_free(r);
}

Test(rng, shuffled_order_gives_identical_draws)
{
    det_row *ref = det_alloc(), *got = det_alloc();
    det_reference(ref);
    unsigned order[DET_SAMPLES];
    for (unsigned i = 0; i < DET_SAMPLES; i++)
        order[i] = i;
    /* A fixed pseudo-random permutation (Fisher-Yates on an LCG). */
    uint64_t lcg = 88172645463325252u;
    for (unsigned i = DET_SAMPLES - 1; i > 0; i--) {
        lcg = lcg * 6364136223846793005u + 1442695040888963407u;
        const unsigned j = (unsigned)((lcg >> 33) % (i + 1));
        const unsigned t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    gsl_rng *r = cp_rng_alloc(2026);
    for (unsigned k = 0; k < DET_SAMPLES; k++) {
        disturb(r, k);
        draw_sample(r, order[k], got[order[k]]);
    }
    cr_assert_eq(memcmp(ref, got, DET_SAMPLES * sizeof *ref), 0);
    /* Backwards, too. */
    memset(got, 0, DET_SAMPLES * sizeof *got);
    for (unsigned k = DET_SAMPLES; k-- > 0;)
        draw_sample(r, k, got[k]);
    cr_assert_eq(memcmp(ref, got, DET_SAMPLES * sizeof *ref), 0);
    gsl_rng_free(r);
    free(ref);
    free(got);
}

/* Samples split over 1..4 "ranks" (one generator each, as on separate MPI
 * ranks), both round-robin and in contiguous blocks, the ranks taking turns
 * so their work interleaves. */
Test(rng, rank_split_gives_identical_draws)
{
    det_row *ref = det_alloc(), *got = det_alloc();
    det_reference(ref);
    for (unsigned ranks = 1; ranks <= 4; ranks++)
        for (int contiguous = 0; contiguous < 2; contiguous++) {
            memset(got, 0, DET_SAMPLES * sizeof *got);
            gsl_rng *r[4];
            for (unsigned k = 0; k < ranks; k++) {
                r[k] = cp_rng_alloc(2026);
                disturb(r[k], k + 100);
            }
            const unsigned chunk = (DET_SAMPLES + ranks - 1) / ranks;
            for (unsigned step = 0; step < chunk; step++)
                for (unsigned k = 0; k < ranks; k++) {
                    const unsigned i = contiguous ? k * chunk + step : step * ranks + k;
                    if (i < DET_SAMPLES)
                        draw_sample(r[k], i, got[i]);
                }
            for (unsigned k = 0; k < ranks; k++)
                gsl_rng_free(r[k]);
            cr_assert_eq(memcmp(ref, got, DET_SAMPLES * sizeof *ref), 0, "%u ranks, contiguous=%d",
                         ranks, contiguous);
        }
    free(ref);
    free(got);
}

Test(rng, seek_back_mid_block_restarts_the_position)
{
    gsl_rng *r = cp_rng_alloc(8);
    uint32_t first[10], again[10];
    cp_rng_seek(r, 5, 6, 7);
    for (int i = 0; i < 10; i++)
        first[i] = (uint32_t)gsl_rng_get(r);
    for (int stop = 0; stop < 10; stop++) {
        cp_rng_seek(r, 5, 6, 7);
        for (int i = 0; i < stop; i++)
            gsl_rng_get(r);
        cp_rng_seek(r, 5, 6, 8);
        gsl_rng_get(r);
        cp_rng_seek(r, 5, 6, 7);
        for (int i = 0; i < 10; i++)
            again[i] = (uint32_t)gsl_rng_get(r);
        cr_assert_eq(memcmp(first, again, sizeof first), 0, "interrupted after %d", stop);
    }
    gsl_rng_free(r);
}

/* ------------------------------------------------------------------------ */
/* Uniqueness                                                               */

typedef struct block128 {
    uint32_t w[4];
} block128;

static int cmp_block(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(block128));
}

/* Whole 128-bit blocks, so that a repeat means a repeated Philox input
 * rather than a chance collision (32-bit words collide by the birthday
 * bound: ~30 expected among 10^6).  Positions differ in one coordinate at a
 * time by 1, and in the high halves, where a careless layout would alias
 * (sample 2^32 vs stream 1, seed 2^32 vs seed 1, block vs sample). */
Test(rng, distinct_positions_give_distinct_blocks)
{
    /* The last seed is 2^64 / golden ratio, near the key step but no
     * multiple of it. */
    const uint64_t seeds[] = {0,
                              1,
                              2,
                              3,
                              4,
                              5,
                              6,
                              7,
                              42,
                              UINT64_C(1) << 32,
                              (UINT64_C(1) << 32) + 1,
                              UINT64_MAX,
                              UINT64_C(0x9e3779b97f4a7c15)};
    const uint64_t samples[] = {
        0, 1, 2, 3, 4, 5, 6, 7, 8, UINT64_C(1) << 32, (UINT64_C(1) << 32) + 1, UINT64_MAX};
    const uint32_t streams[] = {0, 1, 2, 3, 4, 0xffffffffu, 0x80000000u};
    const uint32_t substreams[] = {0, 1, 2, 3, 4, 5, 0xffffffffu};
    const size_t nblk = 16; /* blocks per position, i.e. 64 draws */
    const size_t n = 13 * 12 * 7 * 7 * nblk;
    block128 *all = malloc(n * sizeof *all);
    cr_assert_not_null(all);
    size_t k = 0;
    for (size_t a = 0; a < 13; a++) {
        gsl_rng *r = cp_rng_alloc(seeds[a]);
        for (size_t b = 0; b < 12; b++)
            for (size_t c = 0; c < 7; c++)
                for (size_t d = 0; d < 7; d++) {
                    cp_rng_seek(r, samples[b], streams[c], substreams[d]);
                    for (size_t i = 0; i < nblk; i++, k++)
                        for (int w = 0; w < 4; w++)
                            all[k].w[w] = (uint32_t)gsl_rng_get(r);
                }
        gsl_rng_free(r);
    }
    cr_assert_eq(k, n);
    qsort(all, n, sizeof *all, cmp_block);
    for (size_t i = 1; i < n; i++)
        cr_assert_neq(memcmp(&all[i - 1], &all[i], sizeof *all), 0, "repeated block");
    free(all);
}

Test(rng, long_run_at_one_position_never_repeats_a_block)
{
    const size_t n = 1u << 20;
    block128 *all = malloc(n * sizeof *all);
    cr_assert_not_null(all);
    gsl_rng *r = cp_rng_alloc(99);
    cp_rng_seek(r, 1, 1, 1);
    for (size_t k = 0; k < n; k++)
        for (int w = 0; w < 4; w++)
            all[k].w[w] = (uint32_t)gsl_rng_get(r);
    gsl_rng_free(r);
    qsort(all, n, sizeof *all, cmp_block);
    for (size_t i = 1; i < n; i++)
        cr_assert_neq(memcmp(&all[i - 1], &all[i], sizeof *all), 0, "repeated block");
    free(all);
}

/* ------------------------------------------------------------------------ */
/* Uniformity                                                               */

#define CHI_BINS 64
#define CHI_DRAWS 1000000
/* Chi-square rejection level: a uniform source fails with probability 1e-6. */
#define CHI_ALPHA 1e-6

static double chi_square(const unsigned long *count, double expected)
{
    double x2 = 0;
    for (int i = 0; i < CHI_BINS; i++)
        x2 += (count[i] - expected) * (count[i] - expected) / expected;
    return x2;
}

static void check_uniform_bins(const unsigned long *count, const char *what)
{
    const double x2 = chi_square(count, (double)CHI_DRAWS / CHI_BINS);
    const double limit = gsl_cdf_chisq_Qinv(CHI_ALPHA, CHI_BINS - 1);
    cr_assert_lt(x2, limit, "%s: chi-square %.2f >= %.2f (df %d, alpha %g)", what, x2, limit,
                 CHI_BINS - 1, CHI_ALPHA);
}

Test(rng, words_are_uniform_chi_square)
{
    unsigned long top[CHI_BINS] = {0}, low[CHI_BINS] = {0}, mid[CHI_BINS] = {0};
    gsl_rng *r = cp_rng_alloc(20260101);
    cp_rng_seek(r, 12, cp_rng_stream_id("shock:euv_supply"), 3);
    for (long i = 0; i < CHI_DRAWS; i++) {
        const unsigned long w = gsl_rng_get(r);
        top[w >> 26]++;
        mid[(w >> 13) & 63]++;
        low[w & 63]++;
    }
    gsl_rng_free(r);
    check_uniform_bins(top, "top 6 bits");
    check_uniform_bins(mid, "bits 13..18");
    check_uniform_bins(low, "low 6 bits");
}

/* The way the model uses the generator: a few draws at each of very many
 * positions.  The first word of each of 10^6 consecutive samples. */
Test(rng, first_words_across_samples_are_uniform)
{
    unsigned long top[CHI_BINS] = {0}, low[CHI_BINS] = {0};
    gsl_rng *r = cp_rng_alloc(7);
    for (uint64_t s = 0; s < CHI_DRAWS; s++) {
        cp_rng_seek(r, s, 1, 0);
        const unsigned long w = gsl_rng_get(r);
        top[w >> 26]++;
        low[w & 63]++;
    }
    gsl_rng_free(r);
    check_uniform_bins(top, "first words, top 6 bits");
    check_uniform_bins(low, "first words, low 6 bits");
}

/* Pairs of consecutive words, 8 x 8 bins: catches dependence between words of
 * a block that a one-dimensional test cannot see. */
Test(rng, consecutive_pairs_are_uniform_chi_square)
{
    unsigned long pair[CHI_BINS] = {0};
    gsl_rng *r = cp_rng_alloc(11);
    for (long i = 0; i < CHI_DRAWS; i++) {
        const unsigned long a = gsl_rng_get(r), b = gsl_rng_get(r);
        pair[(a >> 29) * 8 + (b >> 29)]++;
    }
    gsl_rng_free(r);
    check_uniform_bins(pair, "consecutive pairs");
}

/* ------------------------------------------------------------------------ */
/* GSL samplers                                                             */

Test(rng, gsl_gaussian_sampler_runs_on_it)
{
    const long n = 1000000;
    /* |z| bound a correct sampler exceeds with probability 1e-6. */
    const double z = gsl_cdf_ugaussian_Qinv(1e-6 / 2);
    gsl_rng *r = cp_rng_alloc(314159);
    double sum = 0, sum2 = 0;
    for (long i = 0; i < n; i++) {
        const double x = gsl_ran_gaussian(r, 2.0);
        sum += x;
        sum2 += x * x;
    }
    gsl_rng_free(r);
    const double mean = sum / n, var = sum2 / n - mean * mean;
    cr_assert_lt(fabs(mean), z * 2.0 / sqrt((double)n), "mean %g", mean);
    /* Var of the sample variance of a normal: 2 sigma^4 / n. */
    cr_assert_lt(fabs(var - 4.0), z * sqrt(2.0 * 16.0 / n), "variance %g", var);
}

Test(rng, gsl_uniform_int_and_flat_run_on_it)
{
    gsl_rng *r = cp_rng_alloc(1);
    unsigned long count[CHI_BINS] = {0};
    for (long i = 0; i < CHI_DRAWS; i++)
        count[gsl_rng_uniform_int(r, CHI_BINS)]++;
    check_uniform_bins(count, "gsl_rng_uniform_int");
    for (int i = 0; i < 1000; i++) {
        const double x = gsl_ran_flat(r, -3, 5);
        cr_assert(x >= -3 && x < 5);
    }
    gsl_rng_free(r);
}
