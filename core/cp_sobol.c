/* cp_sobol.c -- see cp_sobol.h. */
#include "cp_sobol.h"
#include "cp_xsum.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Per cell: sums of g1, g2, g1^2, g2^2, g1 g2; then per input, for y1 and
 * then y2: y, y^2, y g1, y g2. */
enum { G1, G2, G1G1, G2G2, G1G2, CELL_SUMS };
enum { Y, YY, YG1, YG2, Y_SUMS };
#define INPUT_SUMS (2 * Y_SUMS)

/* A packed accumulator: n_cells, n_inputs, samples, then each sum as its
 * limbs and its nonfinite flag. */
#define PACK_HEADER 3
#define XSUM_DOUBLES (CP_XSUM_LIMBS + 1)
#define EXACT_MAX 9007199254740992.0 /* 2^53 */

struct cp_sobol {
    size_t n_cells, n_inputs, n_sums;
    uint64_t samples;
    cp_xsum *sum;
    double *block; /* one block's double sums, before they are added exactly */
};

static size_t per_cell(size_t n_inputs)
{
    return CELL_SUMS + INPUT_SUMS * n_inputs;
}

cp_sobol *cp_sobol_alloc(size_t n_cells, size_t n_inputs)
{
    if (n_inputs > (SIZE_MAX / sizeof(cp_xsum) - CELL_SUMS) / INPUT_SUMS ||
        (n_cells && per_cell(n_inputs) > SIZE_MAX / sizeof(cp_xsum) / n_cells))
        return NULL;
    cp_sobol *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->n_cells = n_cells;
    s->n_inputs = n_inputs;
    s->n_sums = n_cells * per_cell(n_inputs);
    s->sum = malloc((s->n_sums ? s->n_sums : 1) * sizeof *s->sum);
    s->block = malloc((s->n_sums ? s->n_sums : 1) * sizeof *s->block);
    if (!s->sum || !s->block) {
        cp_sobol_free(s);
        return NULL;
    }
    cp_sobol_reset(s);
    return s;
}

void cp_sobol_free(cp_sobol *s)
{
    if (!s)
        return;
    free(s->sum);
    free(s->block);
    free(s);
}

size_t cp_sobol_cells(const cp_sobol *s)
{
    return s->n_cells;
}

size_t cp_sobol_inputs(const cp_sobol *s)
{
    return s->n_inputs;
}

uint64_t cp_sobol_samples(const cp_sobol *s)
{
    return s->samples;
}

void cp_sobol_reset(cp_sobol *s)
{
    s->samples = 0;
    for (size_t i = 0; i < s->n_sums; i++)
        cp_xsum_init(&s->sum[i]);
}

/* ---- adding a block --------------------------------------------------- */

/* The block sums of one cell: out[CELL_SUMS + ...] as laid out above. */
static void cell_sums(const double *restrict a, const double *restrict b, const double *fab,
                      size_t n, size_t k_stride, size_t n_inputs, double c, double *out)
{
    double s_g1 = 0, s_g2 = 0, s_g11 = 0, s_g22 = 0, s_g12 = 0;
    for (size_t i = 0; i < n; i++) {
        const double x = a[i] - c, z = b[i] - c;
        const double g1 = x + z, g2 = x * x + z * z;
        s_g1 += g1;
        s_g2 += g2;
        s_g11 += g1 * g1;
        s_g22 += g2 * g2;
        s_g12 += g1 * g2;
    }
    out[G1] = s_g1;
    out[G2] = s_g2;
    out[G1G1] = s_g11;
    out[G2G2] = s_g22;
    out[G1G2] = s_g12;
    for (size_t k = 0; k < n_inputs; k++) {
        const double *restrict d = fab + k * k_stride;
        double t[INPUT_SUMS] = {0};
        for (size_t i = 0; i < n; i++) {
            const double x = a[i] - c, z = b[i] - c, dk = d[i] - c;
            const double g1 = x + z, g2 = x * x + z * z;
            const double y1 = z * (dk - x), e = x - dk, y2 = e * e;
            t[Y] += y1;
            t[YY] += y1 * y1;
            t[YG1] += y1 * g1;
            t[YG2] += y1 * g2;
            t[Y_SUMS + Y] += y2;
            t[Y_SUMS + YY] += y2 * y2;
            t[Y_SUMS + YG1] += y2 * g1;
            t[Y_SUMS + YG2] += y2 * g2;
        }
        memcpy(out + CELL_SUMS + k * INPUT_SUMS, t, sizeof t);
    }
}

int cp_sobol_add(cp_sobol *s, const double *fa, const double *fb, const double *fab, size_t n,
                 size_t stride, const double *shift, cp_err *err)
{
    if (n == 0)
        return CP_OK;
    if (stride < n)
        return cp_err_set(err, CP_EINVAL, "Sobol block: stride %zu below its %zu samples", stride,
                          n);
    const size_t pc = per_cell(s->n_inputs);
    for (size_t c = 0; c < s->n_cells; c++)
        cell_sums(fa + c * stride, fb + c * stride, fab + c * stride, n, s->n_cells * stride,
                  s->n_inputs, shift[c], s->block + c * pc);
    for (size_t i = 0; i < s->n_sums; i++)
        if (!isfinite(s->block[i])) {
            const size_t c = i / pc, j = i % pc;
            if (j < CELL_SUMS)
                return cp_err_set(err, CP_EMODEL,
                                  "cell %zu: a non-finite value (or a square too large for a "
                                  "double) under matrix A or B",
                                  c);
            return cp_err_set(err, CP_EMODEL,
                              "cell %zu, input %zu: a non-finite value (or a product too large "
                              "for a double) in the pick-freeze design",
                              c, (j - CELL_SUMS) / INPUT_SUMS);
        }
    for (size_t i = 0; i < s->n_sums; i++)
        cp_xsum_add(&s->sum[i], s->block[i]);
    s->samples += n;
    return CP_OK;
}

int cp_sobol_merge(cp_sobol *dst, const cp_sobol *src, cp_err *err)
{
    if (dst->n_cells != src->n_cells || dst->n_inputs != src->n_inputs)
        return cp_err_set(err, CP_EINVAL, "Sobol sums of another shape (%zu x %zu, not %zu x %zu)",
                          src->n_cells, src->n_inputs, dst->n_cells, dst->n_inputs);
    for (size_t i = 0; i < dst->n_sums; i++)
        cp_xsum_merge(&dst->sum[i], &src->sum[i]);
    dst->samples += src->samples;
    return CP_OK;
}

/* ---- packing ---------------------------------------------------------- */

size_t cp_sobol_packed_len(const cp_sobol *s)
{
    return PACK_HEADER + s->n_sums * XSUM_DOUBLES;
}

int cp_sobol_pack(const cp_sobol *s, double *out, cp_err *err)
{
    out[0] = (double)s->n_cells;
    out[1] = (double)s->n_inputs;
    out[2] = (double)s->samples;
    double *p = out + PACK_HEADER;
    for (size_t i = 0; i < s->n_sums; i++, p += XSUM_DOUBLES) {
        cp_xsum x = s->sum[i];
        cp_xsum_normalize(&x);
        for (int l = 0; l < CP_XSUM_LIMBS; l++) {
            const double v = (double)x.limb[l];
            if (!(fabs(v) < EXACT_MAX))
                return cp_err_set(err, CP_EINVAL, "a Sobol sum too large to pack (sum %zu)", i);
            p[l] = v;
        }
        p[CP_XSUM_LIMBS] = x.nonfinite ? 1.0 : 0.0;
    }
    return CP_OK;
}

static int limb_ok(double v, int last)
{
    return v == floor(v) && (last ? fabs(v) < EXACT_MAX : v >= 0 && v < 4294967296.0);
}

int cp_sobol_unpack_merge(cp_sobol *dst, const double *in, size_t n, cp_err *err)
{
    if (n != cp_sobol_packed_len(dst) || in[0] != (double)dst->n_cells ||
        in[1] != (double)dst->n_inputs || !(in[2] >= 0 && in[2] <= EXACT_MAX) ||
        in[2] != floor(in[2]))
        return cp_err_set(err, CP_EINVAL,
                          "Sobol sums of another shape or damaged (expected %zu cells x %zu "
                          "inputs)",
                          dst->n_cells, dst->n_inputs);
    const double *p = in + PACK_HEADER;
    for (size_t i = 0; i < dst->n_sums; i++, p += XSUM_DOUBLES) {
        for (int l = 0; l < CP_XSUM_LIMBS; l++)
            if (!limb_ok(p[l], l == CP_XSUM_LIMBS - 1))
                return cp_err_set(err, CP_EINVAL, "Sobol sums damaged (sum %zu, limb %d)", i, l);
        if (p[CP_XSUM_LIMBS] != 0.0 && p[CP_XSUM_LIMBS] != 1.0)
            return cp_err_set(err, CP_EINVAL, "Sobol sums damaged (sum %zu)", i);
    }
    p = in + PACK_HEADER;
    for (size_t i = 0; i < dst->n_sums; i++, p += XSUM_DOUBLES) {
        cp_xsum x;
        cp_xsum_init(&x);
        for (int l = 0; l < CP_XSUM_LIMBS; l++)
            x.limb[l] = (int64_t)p[l];
        x.nonfinite = p[CP_XSUM_LIMBS] != 0.0;
        cp_xsum_merge(&dst->sum[i], &x);
    }
    dst->samples += (uint64_t)in[2];
    return CP_OK;
}

/* ---- estimates -------------------------------------------------------- */

/* The sample covariance matrix of (y, g1, g2) and their means, from sums. */
typedef struct moments {
    double m[3];
    double cov[3][3];
} moments;

static void moments_of(const cp_xsum *cell, const cp_xsum *ys, double N, moments *mo)
{
    const double sy = cp_xsum_value(&ys[Y]), s1 = cp_xsum_value(&cell[G1]),
                 s2 = cp_xsum_value(&cell[G2]);
    mo->m[0] = sy / N;
    mo->m[1] = s1 / N;
    mo->m[2] = s2 / N;
    const double raw[3][3] = {
        {cp_xsum_value(&ys[YY]), cp_xsum_value(&ys[YG1]), cp_xsum_value(&ys[YG2])},
        {0, cp_xsum_value(&cell[G1G1]), cp_xsum_value(&cell[G1G2])},
        {0, 0, cp_xsum_value(&cell[G2G2])}};
    for (int i = 0; i < 3; i++)
        for (int j = i; j < 3; j++) {
            const double c = (raw[i][j] / N - mo->m[i] * mo->m[j]) * (N / (N - 1));
            mo->cov[i][j] = mo->cov[j][i] = c;
        }
}

/* sqrt(grad' cov grad / N). */
static double delta_sd(const moments *mo, const double grad[3], double N)
{
    double v = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            v += grad[i] * mo->cov[i][j] * grad[j];
    return v > 0 ? sqrt(v / N) : 0.0;
}

void cp_sobol_estimate(const cp_sobol *s, size_t cell, size_t k, double z, cp_sobol_index *out)
{
    const cp_xsum *cs = &s->sum[cell * per_cell(s->n_inputs)];
    const cp_xsum *ks = cs + CELL_SUMS + k * INPUT_SUMS;
    const double N = (double)s->samples;
    out->n = s->samples;
    out->var = out->first = out->first_lo = out->first_hi = NAN;
    out->total = out->total_lo = out->total_hi = NAN;
    if (s->samples < 2)
        return;
    moments m1, m2;
    moments_of(cs, ks, N, &m1);
    moments_of(cs, ks + Y_SUMS, N, &m2);
    const double half2 = m1.m[2] / 2, half1 = m1.m[1] / 2;
    const double V = half2 - half1 * half1;
    out->var = V;
    if (!(V > 0) || V <= 1e-24 * half2)
        return;
    const double S = m1.m[0] / V, T = m2.m[0] / (2 * V);
    const double gs[3] = {1 / V, S * m1.m[1] / (2 * V), -S / (2 * V)};
    const double gt[3] = {1 / (2 * V), T * m2.m[1] / (2 * V), -T / (2 * V)};
    const double ss = delta_sd(&m1, gs, N), st = delta_sd(&m2, gt, N);
    out->first = S;
    out->first_lo = S - z * ss;
    out->first_hi = S + z * ss;
    out->total = T;
    out->total_lo = T - z * st;
    out->total_hi = T + z * st;
}
