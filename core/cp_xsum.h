/* cp_xsum.h -- exact summation of doubles.
 *
 * The sum is kept as a fixed-point integer wide enough for every finite
 * double, so adding the same numbers in any order or grouping gives the same
 * bits.  This is what makes means and standard deviations byte-identical at
 * any rank count.  A cp_xsum is a plain array of int64 limbs, so partial sums
 * from several ranks can also be combined with an integer MPI_SUM after
 * cp_xsum_normalize.
 */
#ifndef CP_XSUM_H
#define CP_XSUM_H

#include <stdint.h>

/* 2098 bits of finite double range plus headroom, in 32-bit digits held in
 * int64 limbs so carries can be deferred. */
#define CP_XSUM_LIMBS 68

/* cp_xsum_add and cp_xsum_merge normalize once this many additions are
 * pending.  Far below the 2^31 that could overflow a limb, so that a sum can
 * always be merged with another one, and low enough that tests cross it. */
#define CP_XSUM_PENDING_MAX (UINT32_C(1) << 16)

typedef struct cp_xsum {
    int64_t limb[CP_XSUM_LIMBS];
    uint32_t pending;   /* additions since the last normalization */
    uint32_t nonfinite; /* 1 if a NaN or infinity was added */
} cp_xsum;

void cp_xsum_init(cp_xsum *s);

/* Adds x exactly.  Adding a NaN or infinity marks the sum non-finite. */
void cp_xsum_add(cp_xsum *s, double x);

/* Asks the CPU to bring into cache the parts of s that cp_xsum_add(s, x)
 * will touch, so that a caller with other work before the add does not
 * wait for them then.  Changes nothing. */
void cp_xsum_prefetch(const cp_xsum *s, double x);

/* Adds all of src into dst exactly. */
void cp_xsum_merge(cp_xsum *dst, const cp_xsum *src);

/* Propagates carries so every limb but the last is in [0, 2^32).  After
 * this, limb-wise integer addition of up to 2^30 sums cannot overflow. */
void cp_xsum_normalize(cp_xsum *s);

/* The exact sum rounded to the nearest double (ties to even); NaN if a
 * non-finite value was added; +-inf if the sum overflows. */
double cp_xsum_value(const cp_xsum *s);

#endif
