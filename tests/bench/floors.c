/* floors.c -- how close a run is to what it cannot go below (jobs/bench.sh).
 *
 *   chokepoint-floors SCENARIO SAMPLES
 *
 * Times (the thread's CPU time, so that other work on the machine does
 * not count), on one thread, the four parts of a run's chunk as `chokepoint run`
 * does them (a quarter at a time, blocks of CP_MODEL_LANES samples):
 *   - the variates alone: the shocks' and events' draws and multipliers,
 *     without evaluating the graph (cp_model_draw);
 *   - the model alone: draws, graph and metrics (cp_model_step), nothing
 *     reduced;
 *   - the reduction alone: a quarter's cells into the sketches and exact
 *     sums, and the binding labels counted, on cells simulated beforehand
 *     and brought into cache before the clock starts, as a run has them;
 *   - the whole: model and reduction, as a run's chunk.
 * The variates and the reduction are floors: a faster model still draws
 * and still reduces.  Figures, not a test: it asserts nothing.
 */
#include "cp_drive.h"
#include "cp_loaded.h"
#include "cp_stats.h"
#include "cp_version.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Chunks simulated beforehand for the reduction's floor, used in turn. */
#define STORED_CHUNKS 8

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct bench {
    const cp_model *m;
    cp_workspace *w;
    cp_stats *st;
    size_t T, M, cells_per_quarter;
    double *rows;   /* one quarter's cells: M rows of CP_MODEL_LANES */
    double *stored; /* STORED_CHUNKS x T quarters of rows */
} bench;

static size_t lanes_of(uint64_t first, uint64_t samples)
{
    return (size_t)(samples - first < CP_MODEL_LANES ? samples - first : CP_MODEL_LANES);
}

static double time_draws(bench *b, uint64_t samples)
{
    const double t0 = now();
    for (uint64_t first = 0; first < samples; first += CP_MODEL_LANES) {
        cp_model_begin(b->m, b->w, first, lanes_of(first, samples));
        for (size_t t = 0; t < b->T; t++)
            cp_model_draw(b->m, b->w, NULL);
    }
    return now() - t0;
}

static double time_model(bench *b, uint64_t samples)
{
    const double t0 = now();
    for (uint64_t first = 0; first < samples; first += CP_MODEL_LANES) {
        cp_model_begin(b->m, b->w, first, lanes_of(first, samples));
        for (size_t t = 0; t < b->T; t++)
            cp_model_step(b->m, b->w, b->rows, CP_MODEL_LANES, NULL);
    }
    return now() - t0;
}

/* A quarter's cells and labels into the statistics, as cp_run does. */
static int reduce_quarter(bench *b, const double *rows, size_t n, size_t t, cp_err *err)
{
    const int rc = cp_stats_add_cells(b->st, rows, n, CP_MODEL_LANES, t, b->T, b->M, err);
    return rc ? rc : cp_drive_count_binding(b->st, b->m, b->w, n, t, 1, err);
}

static int time_whole(bench *b, uint64_t samples, double *seconds, cp_err *err)
{
    const double t0 = now();
    for (uint64_t first = 0; first < samples; first += CP_MODEL_LANES) {
        const size_t n = lanes_of(first, samples);
        cp_model_begin(b->m, b->w, first, n);
        for (size_t t = 0; t < b->T; t++) {
            cp_model_step(b->m, b->w, b->rows, CP_MODEL_LANES, NULL);
            const int rc = reduce_quarter(b, b->rows, n, t, err);
            if (rc)
                return rc;
        }
        cp_stats_count_samples(b->st, n);
    }
    *seconds = now() - t0;
    return CP_OK;
}

/* Simulates STORED_CHUNKS chunks after the first `samples` (so not the
 * values just reduced), keeping every quarter's cells. */
static void store_chunks(bench *b, uint64_t samples)
{
    for (size_t k = 0; k < STORED_CHUNKS; k++) {
        cp_model_begin(b->m, b->w, samples + k * CP_MODEL_LANES, CP_MODEL_LANES);
        for (size_t t = 0; t < b->T; t++)
            cp_model_step(b->m, b->w, b->stored + (k * b->T + t) * b->cells_per_quarter,
                          CP_MODEL_LANES, NULL);
    }
}

/* The reduction alone: each quarter's stored cells are copied into the
 * hot buffer before the clock starts, so that only the adds are timed.
 * The workspace's labels are the last stored chunk's; the counting costs
 * the same whichever labels it counts. */
static int time_reduction(bench *b, uint64_t samples, double *seconds, cp_err *err)
{
    double total = 0;
    size_t k = 0;
    for (uint64_t first = 0; first < samples;
         first += CP_MODEL_LANES, k = (k + 1) % STORED_CHUNKS) {
        const size_t n = lanes_of(first, samples);
        for (size_t t = 0; t < b->T; t++) {
            memcpy(b->rows, b->stored + (k * b->T + t) * b->cells_per_quarter,
                   b->cells_per_quarter * sizeof *b->rows);
            const double t0 = now();
            const int rc = reduce_quarter(b, b->rows, n, t, err);
            total += now() - t0;
            if (rc)
                return rc;
        }
        cp_stats_count_samples(b->st, n);
    }
    *seconds = total;
    return CP_OK;
}

static void print_line(const char *what, double seconds, uint64_t samples)
{
    const double us = 1e6 * seconds / (double)samples;
    printf("  %-42s %8.2f us a sample (%9.0f samples/s)\n", what, us, (double)samples / seconds);
}

static int run_all(bench *b, const char *path, uint64_t samples, cp_err *err)
{
    double draws = time_draws(b, samples), model = time_model(b, samples), whole = 0, reduction = 0;
    int rc = time_whole(b, samples, &whole, err);
    if (rc)
        return rc;
    cp_stats_free(b->st);
    if (!(b->st = cp_drive_stats_alloc(b->m)))
        return cp_err_set(err, CP_ENOMEM, "out of memory");
    store_chunks(b, samples);
    if ((rc = time_reduction(b, samples, &reduction, err)))
        return rc;
    printf("floors of %s, %llu samples, one thread (chokepoint %s, git %s):\n", path,
           (unsigned long long)samples, cp_version(), cp_git_commit());
    print_line("the variates alone (shocks, events):", draws, samples);
    char what[80];
    snprintf(what, sizeof what, "the reduction alone (%zu cells, binding):", b->T * b->M);
    print_line(what, reduction, samples);
    print_line("the model alone (nothing reduced):", model, samples);
    print_line("the whole (model and reduction):", whole, samples);
    return CP_OK;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fputs("usage: chokepoint-floors SCENARIO SAMPLES\n", stderr);
        return 2;
    }
    char *end;
    errno = 0;
    const unsigned long long samples = strtoull(argv[2], &end, 10);
    if (errno || *end || end == argv[2] || samples == 0 || samples > UINT32_MAX) {
        fprintf(stderr, "chokepoint-floors: SAMPLES '%s' is not a whole number from 1 to %u\n",
                argv[2], UINT32_MAX);
        return 2;
    }
    cp_err err;
    cp_err_clear(&err);
    cp_loaded l;
    if (cp_loaded_open(argv[1], &l, &err)) {
        fprintf(stderr, "chokepoint-floors: error: %s\n", err.msg);
        return 1;
    }
    bench b = {.m = l.m, .T = cp_model_periods(l.m), .M = cp_model_graph(l.m)->n_metrics};
    b.cells_per_quarter = b.M * CP_MODEL_LANES;
    b.w = cp_workspace_alloc(l.m, 1);
    b.st = cp_drive_stats_alloc(l.m);
    b.rows = malloc(b.cells_per_quarter * sizeof *b.rows);
    b.stored = malloc(STORED_CHUNKS * b.T * b.cells_per_quarter * sizeof *b.stored);
    int rc = b.w && b.st && b.rows && b.stored ? run_all(&b, argv[1], samples, &err)
                                               : cp_err_set(&err, CP_ENOMEM, "out of memory");
    if (rc)
        fprintf(stderr, "chokepoint-floors: error: %s\n", err.msg);
    free(b.stored);
    free(b.rows);
    cp_stats_free(b.st);
    cp_workspace_free(b.w);
    cp_loaded_close(&l);
    return rc ? 1 : 0;
}
