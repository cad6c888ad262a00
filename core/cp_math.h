/* cp_math.h -- exp and log over arrays, the same bits on every machine.
 *
 * The model takes an exp or a log for every lane of some nodes each
 * quarter (price response, lognormal multipliers), and libm's scalar calls
 * were a sixth of a run.  These are plain IEEE double arithmetic in loops
 * over lanes that the compiler vectorizes: no table, no fused multiply-add
 * (the build passes -ffp-contract=off), round to nearest throughout,
 * so every clone (SSE2, AVX2, AVX-512) and every machine gives the same
 * bits.  Accuracy: within 2 ulp of the exact result where the fast path
 * applies (tests/unit/test_math.c); arguments outside it (exp beyond
 * |x| <= 700; log of zero, negatives, subnormals, infinity, NaN) go to
 * libm's exp and log, so special values behave as libm's. */
#ifndef CP_MATH_H
#define CP_MATH_H

#include <stddef.h>

/* Loops over lanes are compiled for SSE2, AVX2 and AVX-512 and the widest
 * the CPU has is chosen at load time (GCC's target_clones, x86-64 only).
 * Elsewhere (aarch64 clusters) they are compiled once, for the baseline
 * instruction set; the arithmetic, and so the bits, are the same. */
#if defined(CP_LANE_TARGET_AVX2)
/* One path only, whatever the CPU (cmake -DCP_LANE_TARGET=avx2): so that
 * jobs/test.sh can check that the AVX2 path writes the same bytes as the
 * widest one, on a machine that would choose AVX-512. */
#define CP_LANE_CLONES __attribute__((target("avx2")))
#elif defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CP_LANE_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define CP_LANE_CLONES
#endif

/* y[i] = exp(x[i]) for i < n; x and y must not overlap. */
void cp_math_exp_n(const double *restrict x, double *restrict y, size_t n);

/* y[i] = log(x[i]) for i < n; x and y must not overlap. */
void cp_math_log_n(const double *restrict x, double *restrict y, size_t n);

#endif
