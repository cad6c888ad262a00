/* par_reduce.c -- cp_par_reduce_stats under mpirun (tests/e2e/par.sh).
 *
 *   par_reduce same   every rank's statistics, several MiB of parts in all,
 *                     reduce to rank 0 exactly as merging them one by one
 *                     (rank 0 builds every rank's and compares the packed
 *                     bytes); prints "same" there
 *   par_reduce bad    the last rank's statistics have another shape: every
 *                     rank returns the receiver's error (not a relay's), and
 *                     none waits forever (the tree's other messages drain)
 *
 * Exit 0 when rank 0 saw what was expected, 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "cp_par.h"
#include "cp_stats.h"

enum { CELLS = 600, SAMPLES = 4096, GROUPS = 8, LABELS = 5 };

/* Rank r's statistics: lognormal cells of widths that grow with the cell,
 * so that many sketches span octaves (about 4 MB packed in all), and
 * labels; a pure function of r. */
static cp_stats *rank_stats(int r, size_t cells)
{
    cp_stats *st = cp_stats_alloc_counts(cells, GROUPS, LABELS);
    double *block = malloc(cells * 256 * sizeof *block);
    uint8_t labels[GROUPS * 256];
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    if (!st || !block || !g)
        abort();
    gsl_rng_set(g, 1000u + (unsigned long)r);
    cp_err err;
    for (int b = 0; b < SAMPLES / 256; b++) {
        for (size_t i = 0; i < cells * 256; i++) /* block[s * cells + c] */
            block[i] = gsl_ran_lognormal(g, 0.0, 0.1 + 3.0 * (double)(i % cells) / (double)cells);
        for (size_t i = 0; i < GROUPS * 256; i++)
            labels[i] = (uint8_t)gsl_rng_uniform_int(g, LABELS);
        if (cp_stats_add_block(st, block, 256, &err) ||
            cp_stats_add_labels(st, labels, 256, 256, 0, 1, GROUPS, &err)) {
            fprintf(stderr, "building statistics: %s\n", err.msg);
            abort();
        }
    }
    gsl_rng_free(g);
    free(block);
    return st;
}

static unsigned char *packed(const cp_stats *st, size_t *n)
{
    *n = cp_stats_packed_size(st);
    unsigned char *buf = malloc(*n);
    if (!buf || cp_stats_pack(st, buf) != *n)
        abort();
    return buf;
}

static int check_same(const cp_par *par, cp_stats *mine)
{
    cp_err err;
    cp_err_clear(&err);
    if (cp_par_reduce_stats(par, mine, &err)) {
        fprintf(stderr, "rank %d: reduce failed: %s\n", cp_par_rank(par), err.msg);
        return 1;
    }
    if (cp_par_rank(par) != 0)
        return 0;
    cp_stats *want = rank_stats(0, CELLS);
    for (int r = 1; r < cp_par_size(par); r++) {
        cp_stats *other = rank_stats(r, CELLS);
        if (cp_stats_merge(want, other, &err))
            abort();
        cp_stats_free(other);
    }
    size_t na, nb;
    unsigned char *a = packed(mine, &na), *b = packed(want, &nb);
    const int same = na == nb && memcmp(a, b, na) == 0;
    printf("%s: %zu bytes packed, %llu samples, %d ranks\n", same ? "same" : "DIFFERENT", na,
           (unsigned long long)cp_stats_samples(mine), cp_par_size(par));
    free(a);
    free(b);
    cp_stats_free(want);
    return !same;
}

static int check_bad(const cp_par *par, cp_stats *mine)
{
    cp_err err;
    cp_err_clear(&err);
    const int rc = cp_par_reduce_stats(par, mine, &err);
    /* Every rank learns the error; rank 0 prints it. */
    if (rc == CP_OK) {
        fprintf(stderr, "rank %d: a foreign shape was merged\n", cp_par_rank(par));
        return 1;
    }
    if (cp_par_rank(par) == 0)
        printf("refused: %s\n", err.msg);
    return 0;
}

int main(int argc, char **argv)
{
    cp_par *par;
    if (cp_par_init(&argc, &argv, &par))
        return 1;
    const int bad = argc > 1 && strcmp(argv[1], "bad") == 0;
    const int rank = cp_par_rank(par), last = cp_par_size(par) - 1;
    cp_stats *mine = rank_stats(rank, bad && rank == last && last > 0 ? CELLS + 1 : CELLS);
    const int rc = bad ? check_bad(par, mine) : check_same(par, mine);
    cp_stats_free(mine);
    cp_par_finalize(par);
    return rc;
}
