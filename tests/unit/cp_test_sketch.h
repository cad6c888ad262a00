/* cp_test_sketch.h -- what the sketch tests share.  Header-only (static
 * functions) so each test executable carries its own copy. */
#ifndef CP_TEST_SKETCH_H
#define CP_TEST_SKETCH_H

#include "cp_sketch.h"

/* The sum of every bucket's count and the zeros: s->total if the counts
 * add up. */
static inline uint64_t ts_counts_sum(const cp_sketch *s)
{
    uint64_t sum = s->zeros;
    for (uint32_t i = 0; i < s->pos.n; i++)
        sum += cp_sketch_bucket(&s->pos, i);
    for (uint32_t i = 0; i < s->neg.n; i++)
        sum += cp_sketch_bucket(&s->neg, i);
    return sum;
}

#endif
