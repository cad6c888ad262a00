/* test_precision.c -- the stopping rule's pure parts: the specification's
 * syntax (and each mistake named), the looks, and the confidence intervals
 * of a mean and of a quantile against values whose order statistics are
 * known. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "cp_precision.h"
#include "cp_stats.h"

static void parse_ok(const char *spec, cp_precision *p)
{
    cp_err err;
    cp_err_clear(&err);
    const int rc = cp_precision_parse(spec, p, &err);
    cr_assert_eq(rc, CP_OK, "%s: %s", spec, err.msg);
}

static void parse_bad(const char *spec, const char *says)
{
    cp_precision p;
    cp_err err;
    cp_err_clear(&err);
    cr_assert_eq(cp_precision_parse(spec, &p, &err), CP_EINVAL, "%s accepted", spec);
    cr_assert(strstr(err.msg, says), "%s: message '%s' lacks '%s'", spec, err.msg, says);
}

Test(precision, parses_targets)
{
    cp_precision p;
    parse_ok("p05:frontier_compute_h100e:World:2030Q4=0.5%", &p);
    cr_assert_eq(p.n, 1);
    cr_assert_eq(p.t[0].is_mean, 0);
    cr_assert_float_eq(p.t[0].prob, 0.05, 1e-15);
    cr_assert_str_eq(p.t[0].metric, "frontier_compute_h100e");
    cr_assert_str_eq(p.t[0].region, "World");
    cr_assert_str_eq(p.t[0].period, "2030Q4");
    cr_assert_float_eq(p.t[0].tolerance, 0.005, 1e-15);
    cr_assert(p.t[0].relative);
    parse_ok("mean:m:US:2028Q4=2e6;p2.5:m:World:2035Q4=1%", &p);
    cr_assert_eq(p.n, 2);
    cr_assert(p.t[0].is_mean);
    cr_assert_not(p.t[0].relative);
    cr_assert_float_eq(p.t[0].tolerance, 2e6, 1e-9);
    cr_assert_float_eq(p.t[1].prob, 0.025, 1e-15);
    cr_assert_str_eq(p.t[1].stat, "p2.5");
}

Test(precision, refuses_mistakes_by_name)
{
    parse_bad("", "empty");
    parse_bad("p05:m:World:2030Q4", "no '=TOLERANCE'");
    parse_bad("p05:m:World=1%", "four fields");
    parse_bad("p05:m:World:2030Q4:x=1%", "four fields");
    parse_bad("q05:m:World:2030Q4=1%", "statistic 'q05'");
    parse_bad("p0:m:World:2030Q4=1%", "strictly between 0 and 100");
    parse_bad("p100:m:World:2030Q4=1%", "strictly between 0 and 100");
    parse_bad("p5x:m:World:2030Q4=1%", "quantile 'p5x'");
    parse_bad("p05::World:2030Q4=1%", "metric is empty");
    parse_bad("p05:m:World:2030Q5=1%", "period '2030Q5'");
    parse_bad("p05:m:World:2030Q4=0%", "tolerance '0%'");
    parse_bad("p05:m:World:2030Q4=-1", "tolerance '-1'");
    parse_bad("p05:m:World:2030Q4=abc%", "tolerance 'abc%'");
    parse_bad("p05:m:World:2030Q4=1%;", "empty target");
}

Test(precision, looks_double_from_the_first_to_the_cap)
{
    uint64_t looks[CP_PRECISION_LOOKS_MAX];
    size_t n = cp_precision_looks(1024, 10000, looks, CP_PRECISION_LOOKS_MAX);
    const uint64_t want[] = {1024, 2048, 4096, 8192, 10000};
    cr_assert_eq(n, 5);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(looks[i], want[i]);
    n = cp_precision_looks(1024, 8192, looks, CP_PRECISION_LOOKS_MAX);
    cr_assert_eq(n, 4, "the cap is a look of its own, not twice");
    cr_assert_eq(looks[3], 8192);
    cr_assert_eq(cp_precision_looks(1024, 1024, looks, CP_PRECISION_LOOKS_MAX), 1);
    cr_assert_eq(cp_precision_looks(1000, 8192, looks, CP_PRECISION_LOOKS_MAX), 0, "not a chunk");
    cr_assert_eq(cp_precision_looks(2048, 1024, looks, CP_PRECISION_LOOKS_MAX), 0, "cap too low");
    n = cp_precision_looks(256, UINT64_C(1) << 53, looks, CP_PRECISION_LOOKS_MAX);
    cr_assert_eq(looks[n - 1], UINT64_C(1) << 53);
    cr_assert_eq(n, 46); /* 2^8 .. 2^52 and the cap */
}

/* A one-cell accumulator holding the values 1, 2, ..., n (in one block). */
static cp_stats *ramp(size_t n)
{
    cp_stats *st = cp_stats_alloc(1);
    double *v = malloc(n * sizeof *v);
    cr_assert(st && v);
    for (size_t i = 0; i < n; i++)
        v[i] = (double)(i + 1);
    cp_err err;
    cr_assert_eq(cp_stats_add_block(st, v, n, &err), CP_OK);
    free(v);
    return st;
}

Test(precision, quantile_interval_from_order_statistics)
{
    /* n = 10000, p = 0.05: h = 1.96 sqrt(475) = 42.72, so the interval is
     * [x_(457), x_(543)] = [457, 543], half-width 43, around the value
     * summary.csv reports as p05: x_(ceil(p n)) with the double 0.05 (a hair
     * above 1/20) times n exactly, so x_(501). */
    cp_stats *st = ramp(10000);
    cp_precision p;
    parse_ok("p05:m:R:2030Q4=8.6%", &p);
    p.t[0].cell = 0;
    cp_precision_status s;
    const int met = cp_precision_check(&p, st, &s);
    cr_assert(met, "%g [%g, %g]", s.value, s.lo, s.hi);
    cr_assert_float_eq(s.value, 501, 501 / 2049.0, "%.17g", s.value);
    cr_assert_float_eq(s.lo, 457, 457 / 2049.0);
    cr_assert_float_eq(s.hi, 543, 543 / 2049.0);
    cr_assert_float_eq(s.relative_half, 43.0 / 501, 1e-3);
    parse_ok("p05:m:R:2030Q4=8.5%", &p);
    p.t[0].cell = 0;
    cr_assert_not(cp_precision_check(&p, st, &s), "8.6%% is not within 8.5%%");
    cp_stats_free(st);
}

Test(precision, too_few_samples_for_an_interval_is_not_met)
{
    /* n = 20, p = 0.05: n p - h = 1 - 1.91 < 1, so no lower order statistic. */
    cp_stats *st = ramp(20);
    cp_precision p;
    parse_ok("p05:m:R:2030Q4=1000%", &p);
    p.t[0].cell = 0;
    cp_precision_status s;
    cr_assert_not(cp_precision_check(&p, st, &s));
    cr_assert(isinf(s.half_width));
    cp_stats_free(st);
}

Test(precision, mean_interval)
{
    /* 1..n: mean (n + 1) / 2, sd sqrt(n (n + 1) / 12). */
    const double n = 1000, sd = sqrt(n * (n + 1) / 12);
    cp_stats *st = ramp(1000);
    cp_precision p;
    parse_ok("mean:m:R:2030Q4=20", &p);
    p.t[0].cell = 0;
    cp_precision_status s;
    const int met = cp_precision_check(&p, st, &s);
    cr_assert_float_eq(s.value, 500.5, 1e-9);
    cr_assert_float_eq(s.half_width, CP_PRECISION_Z * sd / sqrt(n), 1e-9);
    cr_assert_eq(met, s.half_width <= 20);
    cr_assert(met); /* 17.9 */
    cp_stats_free(st);
}
