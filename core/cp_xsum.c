/* cp_xsum.c -- see cp_xsum.h.
 *
 * The sum is the integer N = sum_i limb[i] * 2^(32 i) in units of 2^-1074,
 * the quantum of subnormal doubles, so every finite double is an integer
 * multiple of the unit and adds exactly.  The largest double has its top bit
 * at position 2097 (digit 65); digits 66 and 67 take carries.
 */
#include "cp_xsum.h"

#include <math.h>
#include <string.h>

#define DIGIT_BITS 32
#define DIGIT_MASK 0xffffffffu
#define MANT_BITS 52
#define EXP_MASK 0x7ffu
/* Units of 2^-1074 below the fixed point's bit 0: value = N * 2^-UNIT_EXP. */
#define UNIT_EXP 1074
/* Digits 66 and 67 are only reached by carries; a nonzero value there means
 * a magnitude of at least 2^1038, far beyond the largest double. */
#define FIRST_OVERFLOW_LIMB 66

void cp_xsum_init(cp_xsum *s)
{
    memset(s, 0, sizeof *s);
}

static uint64_t double_bits(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

/* The bit offset from 2^-1074 of the lowest bit of a double's significand
 * with biased exponent bexp: a normal number is (2^52 + f) * 2^(bexp -
 * 1075), offset bexp - 1; a subnormal is f * 2^-1074, offset 0. */
static uint32_t bit_offset(uint32_t bexp)
{
    return bexp ? bexp - 1 : 0;
}

void cp_xsum_add(cp_xsum *s, double x)
{
    const uint64_t bits = double_bits(x);
    const uint32_t bexp = (uint32_t)(bits >> MANT_BITS) & EXP_MASK;
    if (bexp == EXP_MASK) {
        s->nonfinite = 1;
        return;
    }
    uint64_t mant = bits & ((UINT64_C(1) << MANT_BITS) - 1);
    if (bexp != 0)
        mant |= UINT64_C(1) << MANT_BITS;
    const uint32_t offset = bit_offset(bexp);
    const uint32_t i = offset / DIGIT_BITS;
    const uint32_t sh = offset % DIGIT_BITS;
    /* mant << sh spans at most 53 + 31 = 84 bits: three digits. */
    const int64_t d0 = (int64_t)((mant << sh) & DIGIT_MASK);
    const uint64_t rest = mant >> (DIGIT_BITS - sh);
    const int64_t d1 = (int64_t)(rest & DIGIT_MASK);
    const int64_t d2 = (int64_t)(rest >> DIGIT_BITS);
    if (bits >> 63) {
        s->limb[i] -= d0;
        s->limb[i + 1] -= d1;
        s->limb[i + 2] -= d2;
    } else {
        s->limb[i] += d0;
        s->limb[i + 1] += d1;
        s->limb[i + 2] += d2;
    }
    if (++s->pending >= CP_XSUM_PENDING_MAX)
        cp_xsum_normalize(s);
}

void cp_xsum_prefetch(const cp_xsum *s, double x)
{
    const uint32_t bexp = (uint32_t)(double_bits(x) >> MANT_BITS) & EXP_MASK;
    /* the three limbs cp_xsum_add touches (at most 65, even for NaN) */
    const uint32_t i = bit_offset(bexp) / DIGIT_BITS;
    __builtin_prefetch(&s->limb[i], 1);
    __builtin_prefetch(&s->limb[i + 2], 1);
    __builtin_prefetch(&s->pending, 1);
}

void cp_xsum_merge(cp_xsum *dst, const cp_xsum *src)
{
    for (int i = 0; i < CP_XSUM_LIMBS; i++)
        dst->limb[i] += src->limb[i];
    /* Each side's limbs are bounded by (pending + 1) digits' worth, so the
     * merged bound is that of pending_dst + pending_src + 1 additions. */
    dst->pending += src->pending + 1;
    dst->nonfinite |= src->nonfinite != 0;
    if (dst->pending >= CP_XSUM_PENDING_MAX)
        cp_xsum_normalize(dst);
}

void cp_xsum_normalize(cp_xsum *s)
{
    for (int i = 0; i < CP_XSUM_LIMBS - 1; i++) {
        const int64_t low = s->limb[i] & (int64_t)DIGIT_MASK;
        /* Exact floor division: limb - low is a multiple of 2^32, and this
         * avoids relying on the implementation-defined >> of negatives. */
        const int64_t carry = (s->limb[i] - low) / ((int64_t)1 << DIGIT_BITS);
        s->limb[i] = low;
        s->limb[i + 1] += carry;
    }
    s->pending = 0;
}

/* 64 bits of the normalized nonnegative number d starting at bit pos. */
static uint64_t bits_at(const int64_t *d, uint32_t pos)
{
    const uint32_t i = pos / DIGIT_BITS;
    const uint32_t sh = pos % DIGIT_BITS;
    const uint64_t d0 = (uint64_t)d[i];
    const uint64_t d1 = i + 1 < CP_XSUM_LIMBS ? (uint64_t)d[i + 1] : 0;
    const uint64_t d2 = i + 2 < CP_XSUM_LIMBS ? (uint64_t)d[i + 2] : 0;
    const uint64_t lo = (d0 | d1 << DIGIT_BITS) >> sh;
    return sh ? lo | d2 << (2 * DIGIT_BITS - sh) : lo;
}

/* Whether any bit of d below bit pos is set. */
static int any_below(const int64_t *d, uint32_t pos)
{
    const uint32_t i = pos / DIGIT_BITS;
    const uint32_t sh = pos % DIGIT_BITS;
    for (uint32_t j = 0; j < i; j++)
        if (d[j])
            return 1;
    return ((uint64_t)d[i] & ((UINT64_C(1) << sh) - 1)) != 0;
}

static int bit_length32(uint64_t digit)
{
    int n = 0;
    while (digit) {
        digit >>= 1;
        n++;
    }
    return n;
}

/* The normalized nonnegative number d (top limb zero) rounded to a double. */
static double magnitude_value(const int64_t *d)
{
    int top = FIRST_OVERFLOW_LIMB - 1;
    while (top >= 0 && d[top] == 0)
        top--;
    if (top < 0)
        return 0.0;
    const uint32_t len = (uint32_t)(top * DIGIT_BITS + bit_length32((uint64_t)d[top]));
    if (len <= MANT_BITS + 1)
        return ldexp((double)bits_at(d, 0), -UNIT_EXP);
    /* Keep the top 53 bits; round to nearest, ties to even, on the bit
     * below them and whether anything lower is set. */
    uint32_t pos = len - (MANT_BITS + 1);
    uint64_t mant = bits_at(d, pos) & ((UINT64_C(1) << (MANT_BITS + 1)) - 1);
    const int round = (int)(bits_at(d, pos - 1) & 1);
    if (round && ((mant & 1) || any_below(d, pos - 1)))
        mant++;
    if (mant >> (MANT_BITS + 1)) {
        mant >>= 1;
        pos++;
    }
    /* The result is at least 2^-1021, so ldexp is exact or overflows. */
    return ldexp((double)mant, (int)pos - UNIT_EXP);
}

double cp_xsum_value(const cp_xsum *s)
{
    if (s->nonfinite)
        return NAN;
    cp_xsum t = *s;
    cp_xsum_normalize(&t);
    const int negative = t.limb[CP_XSUM_LIMBS - 1] < 0;
    if (negative) {
        for (int i = 0; i < CP_XSUM_LIMBS; i++)
            t.limb[i] = -t.limb[i];
        cp_xsum_normalize(&t);
    }
    double v = HUGE_VAL;
    if (t.limb[FIRST_OVERFLOW_LIMB] == 0 && t.limb[FIRST_OVERFLOW_LIMB + 1] == 0)
        v = magnitude_value(t.limb);
    return negative ? -v : v;
}
