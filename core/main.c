/* main.c -- the `chokepoint` program: command-line parsing and reporting.
 * The work is done by the library; this file turns options into calls and
 * errors into messages and exit codes. */
#include "cp_args.h"
#include "cp_batch.h"
#include "cp_describe.h"
#include "cp_dist.h"
#include "cp_error.h"
#include "cp_graph.h"
#include "cp_loaded.h"
#include "cp_model.h"
#include "cp_output.h"
#include "cp_par.h"
#include "cp_period.h"
#include "cp_precision.h"
#include "cp_compare.h"
#include "cp_report.h"
#include "cp_run.h"
#include "cp_scenario.h"
#include "cp_sensitivity.h"
#include "cp_signal.h"
#include "cp_version.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

/* Exit codes, documented in README.md. */
enum {
    EXIT_OK = 0,
    EXIT_FAILURE_OTHER = 1,
    EXIT_USAGE = 2,
    EXIT_BAD_INPUT = 3,
    EXIT_IO = 4,
    EXIT_MODEL = 5,
    EXIT_STOPPED = CP_EXIT_STOPPED
};

/* The buffer of a command's default output directory (outputs/NAME). */
#define OUT_DEFAULT_MAX 4096

static int exit_code_for(int code)
{
    switch (code) {
    case CP_OK:
        return EXIT_OK;
    case CP_EINVAL:
        return EXIT_BAD_INPUT;
    case CP_EIO:
        return EXIT_IO;
    case CP_EMODEL:
        return EXIT_MODEL;
    case CP_ESTOPPED:
        return EXIT_STOPPED;
    default:
        return EXIT_FAILURE_OTHER;
    }
}

static const char main_usage[] =
    "chokepoint %s -- a Monte Carlo risk model of the AI compute supply chain\n"
    "\n"
    "Usage:\n"
    "  chokepoint run SCENARIO.ini [options]    simulate and write distributions\n"
    "  chokepoint validate SCENARIO.ini         check a scenario and its inputs, run nothing\n"
    "  chokepoint compare BASE.ini OPTION.ini   paired comparison on common random numbers\n"
    "  chokepoint sensitivity SCENARIO.ini      Sobol indices: which inputs drive the spread\n"
    "  chokepoint batch BATCH.csv [options]     run a batch of scenarios, skipping finished ones\n"
    "  chokepoint report DIR|BATCH.csv          charts of the results on one HTML page\n"
    "  chokepoint COMMAND --help                options of a command\n"
    "  chokepoint --help | --version\n"
    "\n"
    "Run under MPI for more cores: mpirun -n 4 chokepoint run scenarios/baseline.ini\n"
    "Results are identical at any rank count for the same scenario, seed and samples.\n"
    "\n"
    "Exit codes: 0 success, 2 usage error, 3 bad input (scenario or inputs),\n"
    "4 file I/O error, 5 model produced a non-finite number, 75 stopped by\n"
    "SIGTERM or SIGUSR1 after writing a checkpoint (rerun with --resume),\n"
    "1 other failure.\n";

/* The options of run and compare that checkpoint, resume and report
 * progress (batch has all but --resume, which it always does). */
#define CHECKPOINT_OPTIONS_HELP                                                                    \
    "      --checkpoint-every N|Ns  write DIR/checkpoint.bin every N samples, or every\n"          \
    "                         N seconds with a trailing s (default: only when stopped)\n"
#define RESUME_OPTION_HELP(what)                                                                   \
    "      --resume           continue from DIR/checkpoint.bin if there is one (a\n"               \
    "                         finished " what " with the same settings is left as it is)\n"
#define PROGRESS_OPTION_HELP                                                                       \
    "      --progress SEC     a progress line on stderr every SEC seconds (default 10; 0: off)\n"
#define REPORT_OPTION_HELP                                                                         \
    "      --report           at the end, write DIR/report.html (see chokepoint report --help)\n"

/* One option a line, as printed. */
/* clang-format off */
static const char run_usage[] =
    "Usage: chokepoint run SCENARIO.ini [options]\n"
    "\n"
    "Simulates the scenario's sample paths (split over MPI ranks) and writes\n"
    "summary.csv, manifest.json and, with --keep-samples, samples.csv.\n"
    "On SIGTERM or SIGUSR1 all ranks stop at the next chunk, write a checkpoint\n"
    "and exit with code 75; --resume then finishes with identical results.\n"
    "\n"
    "Options:\n"
    "  -n, --samples N        number of sample paths (default 100000)\n"
    "  -s, --seed S           random seed, 0 to 2^64-1 (default 1)\n"
    "  -o, --out DIR          output directory (default outputs/SCENARIO-NAME)\n"
    "  -k, --keep-samples K   write the first K sample paths to samples.csv (default 0)\n"
    "  -f, --force            replace the files of a previous run in DIR\n"
    CHECKPOINT_OPTIONS_HELP
    RESUME_OPTION_HELP("run")
    PROGRESS_OPTION_HELP
    REPORT_OPTION_HELP
    "      --precision SPEC   stop once the 95% confidence interval of every target\n"
    "                         in SPEC is within its tolerance: STAT:METRIC:REGION:\n"
    "                         PERIOD=TOL, STAT mean or pXX (p05, p50), TOL relative\n"
    "                         (0.5%) or absolute (2e6), targets separated by ';',\n"
    "                         e.g. 'p05:frontier_compute_h100e:World:2030Q4=0.5%'.\n"
    "                         Looked at only at --samples (here the first look, a\n"
    "                         multiple of 256; default 16384), twice that, 4 times,\n"
    "                         ... and --samples-max, where it ends in any case: the\n"
    "                         outputs equal a fixed run of the count it stopped at\n"
    "      --samples-max N    the most samples a run with --precision takes (required\n"
    "                         with it)\n"
    "      --tornado          also write DIR/tornado.csv: per input (shock, event) and\n"
    "                         output cell, the output's median and mean among samples\n"
    "                         with the input in its bottom and in its top decile (a\n"
    "                         shock's latent normal below -1.2816 / above 1.2816; an\n"
    "                         event: not under way / under way), from the run's own\n"
    "                         samples; the cells are chosen with:\n"
    "      --tornado-metrics LIST   metrics, comma-separated (default\n"
    "                         frontier_compute_h100e)\n"
    "      --tornado-regions LIST   regions (default: every region of the metrics)\n"
    "      --tornado-periods LIST   quarters (default 2028Q4,2030Q4,2035Q4, those in the\n"
    "                         horizon; else its last); each of these implies --tornado\n"
    "  -q, --quiet            no progress and no final report\n"
    "  -h, --help             this help\n";
/* clang-format on */

static const char validate_usage[] =
    "Usage: chokepoint validate SCENARIO.ini [--print-resolved]\n"
    "\n"
    "Reads the scenario (and its base scenarios) and the inputs it names, checks\n"
    "everything a run would check, prints what it found and any warnings, and\n"
    "runs nothing.  Exit code 0 if valid, 3 if not, 4 if a file cannot be read.\n"
    "\n"
    "Options:\n"
    "      --print-resolved   print the scenario with its bases applied, as one INI\n"
    "                         file (comments say which files it came from)\n"
    "  -h, --help             this help\n";

/* A count option's value, or -1 after saying what is wrong with it. */
static int count_option(const char *cmd, const char *option, const char *arg, uint64_t max,
                        uint64_t min, uint64_t *out)
{
    const cp_count_status st = cp_args_count(arg, max, out);
    if (st == CP_COUNT_OK && *out >= min)
        return 1;
    if (st == CP_COUNT_TOO_LARGE)
        fprintf(stderr, "chokepoint %s: %s: '%s' is too large (at most %s)\n", cmd, option, arg,
                max == CP_SAMPLES_MAX ? CP_SAMPLES_MAX_TEXT : "18446744073709551615 (2^64-1)");
    else
        fprintf(stderr, "chokepoint %s: %s: '%s' is not a %s whole number\n", cmd, option, arg,
                min ? "positive" : "non-negative");
    return -1;
}

/* What run and compare both take: --samples, --seed, --out, --force,
 * --progress, --checkpoint-every, --resume, --quiet. */
typedef struct shared_args {
    uint64_t *samples, *seed;
    const char **out_dir;
    cp_drive_settings *drive;
    int *quiet, *report;
} shared_args;

/* Handles option c of command cmd if it is one of shared_args'.  Returns 1
 * if it was, 0 if it is not shared, or -1 after saying what is wrong. */
static int parse_shared_option(int c, const char *arg, const char *cmd, const shared_args *a)
{
    switch (c) {
    case 'n':
        return count_option(cmd, "--samples", arg, CP_SAMPLES_MAX, 1, a->samples);
    case 's':
        return count_option(cmd, "--seed", arg, UINT64_MAX, 0, a->seed);
    case 'o':
        if (!*arg) {
            fprintf(stderr, "chokepoint %s: --out: the directory name is empty\n", cmd);
            return -1;
        }
        *a->out_dir = arg;
        return 1;
    case 'f':
        a->drive->force = 1;
        return 1;
    case 'R':
        a->drive->resume = 1;
        return 1;
    case 'q':
        *a->quiet = 1;
        return 1;
    case 'W':
        *a->report = 1;
        return 1;
    case 'C':
        if (cp_args_interval(arg, &a->drive->checkpoint_samples, &a->drive->checkpoint_seconds))
            return 1;
        fprintf(stderr,
                "chokepoint %s: --checkpoint-every: '%s' is neither a number of samples nor of "
                "seconds (e.g. 1000000 or 300s)\n",
                cmd, arg);
        return -1;
    case 'P': {
        char *end;
        errno = 0;
        a->drive->progress_seconds = strtod(arg, &end);
        if (end != arg && !*end && !errno && a->drive->progress_seconds >= 0)
            return 1;
        fprintf(stderr, "chokepoint %s: --progress: '%s' is not a number of seconds\n", cmd, arg);
        return -1;
    }
    default:
        return 0;
    }
}

static int cmd_validate(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                         {"print-resolved", no_argument, NULL, 'r'},
                                         {NULL, 0, NULL, 0}};
    int c, resolved = 0;
    optind = 1;
    while ((c = cp_args_getopt(argc, argv, "h", opts, "validate")) != -1) {
        if (c == 'h') {
            fputs(validate_usage, stdout);
            return EXIT_OK;
        }
        if (c == 'r') {
            resolved = 1;
            continue;
        }
        fputs(validate_usage, stderr);
        return EXIT_USAGE;
    }
    if (argc - optind != 1) {
        fprintf(stderr, "chokepoint validate: expected one scenario file\n\n%s", validate_usage);
        return EXIT_USAGE;
    }
    cp_loaded l;
    cp_err err;
    cp_err_clear(&err);
    int rc = cp_loaded_open(argv[optind], &l, &err);
    if (rc) {
        fprintf(stderr, "chokepoint: error: %s\n", err.msg);
        return exit_code_for(rc);
    }
    if (resolved)
        cp_describe_resolved(&l.sc);
    else {
        cp_describe_overview(&l.sc, &l.g);
        printf("valid\n");
    }
    cp_loaded_close(&l);
    return EXIT_OK;
}

typedef struct run_args {
    cp_run_options opt;
    const char *scenario;
    char out_default[4096];
    int quiet, report;
    cp_precision precision;
    uint64_t samples_max; /* 0: not given */
} run_args;

/* The stopping rule's settings in opt: spec (NULL: none) parsed into
 * *precision, the cap samples_max (0: not given) into opt->samples and the
 * first look (samples, or 0 when not given: the default) into
 * opt->first_look.  Returns CP_OK or CP_EINVAL with the reason in err. */
static int set_stopping_rule(cp_run_options *opt, const char *spec, uint64_t samples,
                             uint64_t samples_max, cp_precision *precision, cp_err *err)
{
    if (!spec) {
        if (samples_max)
            return cp_err_set(err, CP_EINVAL, "--samples-max is only for a run with --precision");
        return CP_OK;
    }
    int rc = cp_precision_parse(spec, precision, err);
    if (rc)
        return rc;
    if (!samples_max)
        return cp_err_set(err, CP_EINVAL,
                          "--precision needs --samples-max N, the most samples to take");
    const uint64_t first = samples ? samples : CP_PRECISION_FIRST_DEFAULT;
    if (first % CP_PAR_CHUNK)
        return cp_err_set(err, CP_EINVAL,
                          "with --precision, --samples is the first look and must be a multiple of "
                          "%d (the chunk), e.g. %llu",
                          CP_PAR_CHUNK,
                          (unsigned long long)((first / CP_PAR_CHUNK + 1) * CP_PAR_CHUNK));
    if (first > samples_max)
        return cp_err_set(err, CP_EINVAL,
                          "--samples-max %llu is below the first look, %llu samples%s",
                          (unsigned long long)samples_max, (unsigned long long)first,
                          samples ? "" : " (the default; set it with --samples)");
    opt->precision = precision;
    opt->precision_text = spec;
    opt->first_look = first;
    opt->samples = samples_max;
    return CP_OK;
}

static int parse_run_args(int argc, char **argv, run_args *a)
{
    static const struct option opts[] = {{"samples", required_argument, NULL, 'n'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"keep-samples", required_argument, NULL, 'k'},
                                         {"force", no_argument, NULL, 'f'},
                                         {"progress", required_argument, NULL, 'P'},
                                         {"checkpoint-every", required_argument, NULL, 'C'},
                                         {"resume", no_argument, NULL, 'R'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"report", no_argument, NULL, 'W'},
                                         {"precision", required_argument, NULL, 'X'},
                                         {"samples-max", required_argument, NULL, 'M'},
                                         {"tornado", no_argument, NULL, 'T'},
                                         {"tornado-metrics", required_argument, NULL, 'A'},
                                         {"tornado-regions", required_argument, NULL, 'G'},
                                         {"tornado-periods", required_argument, NULL, 'D'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *precision = NULL;
    int samples_given = 0;
    a->opt.samples = 100000;
    a->opt.seed = 1;
    a->opt.drive.progress_seconds = 10;
    const shared_args shared = {&a->opt.samples, &a->opt.seed, &a->opt.out_dir,
                                &a->opt.drive,   &a->quiet,    &a->report};
    int c;
    optind = 1;
    while ((c = cp_args_getopt(argc, argv, "n:s:o:k:fqh", opts, "run")) != -1) {
        samples_given |= c == 'n';
        const int done = parse_shared_option(c, optarg, "run", &shared);
        if (done < 0)
            return EXIT_USAGE;
        if (done)
            continue;
        switch (c) {
        case 'X':
            precision = optarg;
            break;
        case 'T':
        case 'A':
        case 'G':
        case 'D':
            a->opt.tornado = 1;
            if (c != 'T' && !*optarg) {
                fprintf(stderr, "chokepoint run: --tornado-%s: the list is empty\n",
                        c == 'A'   ? "metrics"
                        : c == 'G' ? "regions"
                                   : "periods");
                return EXIT_USAGE;
            }
            if (c == 'A')
                a->opt.tornado_metrics = optarg;
            else if (c == 'G')
                a->opt.tornado_regions = optarg;
            else if (c == 'D')
                a->opt.tornado_periods = optarg;
            break;
        case 'M':
            if (count_option("run", "--samples-max", optarg, CP_SAMPLES_MAX, 1, &a->samples_max) <
                0)
                return EXIT_USAGE;
            break;
        case 'k':
            if (count_option("run", "--keep-samples", optarg, CP_SAMPLES_MAX, 0,
                             &a->opt.keep_samples) < 0)
                return EXIT_USAGE;
            break;
        case 'h':
            fputs(run_usage, stdout);
            return -1;
        default:
            fputs(run_usage, stderr);
            return EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "chokepoint run: expected one scenario file\n\n%s", run_usage);
        return EXIT_USAGE;
    }
    a->scenario = argv[optind];
    if (a->quiet)
        a->opt.drive.progress_seconds = 0;
    cp_err err;
    cp_err_clear(&err);
    if (set_stopping_rule(&a->opt, precision, samples_given ? a->opt.samples : 0, a->samples_max,
                          &a->precision, &err)) {
        fprintf(stderr, "chokepoint run: %s\n", err.msg);
        return EXIT_USAGE;
    }
    if (a->opt.keep_samples > a->opt.samples)
        a->opt.keep_samples = a->opt.samples;
    return EXIT_OK;
}

static void join_args(int argc, char **argv, char *buf, size_t cap)
{
    buf[0] = '\0';
    for (int i = 0; i < argc; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, cap - used, "%s%s", i ? " " : "", argv[i]);
    }
}

/* Runs one scenario (collective) and reports on rank 0.  A default output
 * directory, outputs/SCENARIO-NAME, is used when opt->out_dir is NULL: it is
 * written into out_default (OUT_DEFAULT_MAX bytes), which the caller keeps
 * for as long as it uses opt->out_dir (--report). */
static int run_scenario(const cp_par *par, const char *scenario, cp_run_options *opt, int quiet,
                        char *out_default, cp_run_result *res, cp_err *err)
{
    const int root = cp_par_rank(par) == 0;
    memset(res, 0, sizeof *res);
    cp_loaded l;
    int rc = cp_loaded_open(scenario, &l, err);
    if (rc)
        return rc;
    if (!opt->out_dir) {
        snprintf(out_default, OUT_DEFAULT_MAX, "outputs/%s", l.sc.name);
        opt->out_dir = out_default;
    }
    if (root && !quiet)
        for (size_t i = 0; i < l.sc.n_warnings + l.g.n_warnings; i++)
            fprintf(stderr, "warning: %s\n",
                    i < l.sc.n_warnings ? l.sc.warnings[i] : l.g.warnings[i - l.sc.n_warnings]);
    /* The stopping rule's names, found in this model before any sample. */
    const cp_precision *given = opt->precision;
    cp_precision resolved;
    if (given) {
        resolved = *given;
        opt->precision = &resolved;
        rc = cp_precision_resolve(&resolved, l.m, err);
    }
    if (!rc)
        rc = cp_run_execute(par, l.m, opt, res, err);
    opt->precision = given;
    const double run_samples = (double)(res->done - res->first_sample);
    if (!rc && root && res->already_complete && !quiet)
        fprintf(stderr, "done: %s already holds this run, complete; nothing to do\n", opt->out_dir);
    else if (!rc && root && !quiet)
        fprintf(stderr,
                "done: %llu samples of %s on %d rank(s) in %.2f s (%.0f samples/s%s); "
                "wrote %s\n",
                (unsigned long long)res->done, l.sc.name, cp_par_size(par), res->wall_seconds,
                run_samples / (res->wall_seconds > 0 ? res->wall_seconds : 1e-9),
                res->first_sample ? ", resumed from a checkpoint" : "", opt->out_dir);
    cp_loaded_close(&l);
    return rc;
}

static void report_error(const cp_par *par, int rc, const cp_err *err)
{
    if (rc && cp_par_rank(par) == 0)
        fprintf(stderr, "chokepoint: %s%s\n", rc == CP_ESTOPPED ? "" : "error: ", err->msg);
}

/* --report: the page of a finished run, comparison or batch, drawn after MPI
 * is finalized, on rank 0 (wanted).  A failed report leaves the results as
 * they are and gives its own exit code. */
static int with_report(int code, int wanted, const char *target, const char *summary)
{
    const int report_code = wanted ? cp_report_write(target, summary) : 0;
    return code ? code : report_code;
}

static cp_par *start_parallel(int *argc, char ***argv)
{
    cp_par *par;
    if (cp_par_init(argc, argv, &par)) {
        fprintf(stderr, "chokepoint: error: MPI could not be initialized\n");
        return NULL;
    }
    /* After MPI_Init, which may install handlers of its own. */
    cp_signal_install();
    return par;
}

/* One option a line, as printed. */
/* clang-format off */
static const char compare_usage[] =
    "Usage: chokepoint compare BASE.ini OPTION.ini [MORE.ini ...] [options]\n"
    "\n"
    "Runs the base and every option on common random numbers (sample i of every\n"
    "scenario sees the same draws for the shocks and events they share) and writes\n"
    "DIR/compare.csv (the distribution of the paired difference option - base for\n"
    "every metric, region and quarter, and the change in compute at risk),\n"
    "DIR/SCENARIO/summary.csv for each scenario, and DIR/manifest.json.\n"
    "On SIGTERM or SIGUSR1 all ranks stop at the next chunk, write a checkpoint\n"
    "and exit with code 75; --resume then finishes with identical results.\n"
    "\n"
    "Options:\n"
    "  -n, --samples N        sample paths per scenario (default 100000)\n"
    "  -s, --seed S           random seed (default 1)\n"
    "  -o, --out DIR          output directory (default outputs/compare-BASE)\n"
    "  -f, --force            replace the files of a previous comparison in DIR\n"
    CHECKPOINT_OPTIONS_HELP
    RESUME_OPTION_HELP("comparison")
    PROGRESS_OPTION_HELP
    REPORT_OPTION_HELP
    "  -q, --quiet            no progress and no final report\n"
    "  -h, --help             this help\n";
/* clang-format on */

/* Parses compare's options; returns EXIT_OK, -1 after --help, or a usage
 * exit code.  *first is the index of the first scenario argument. */
static int parse_compare_args(int argc, char **argv, cp_compare_options *opt, int *quiet,
                              int *report, int *first)
{
    static const struct option opts[] = {{"samples", required_argument, NULL, 'n'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"force", no_argument, NULL, 'f'},
                                         {"progress", required_argument, NULL, 'P'},
                                         {"checkpoint-every", required_argument, NULL, 'C'},
                                         {"resume", no_argument, NULL, 'R'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"report", no_argument, NULL, 'W'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const shared_args shared = {&opt->samples, &opt->seed, &opt->out_dir,
                                &opt->drive,   quiet,      report};
    int c;
    optind = 1;
    while ((c = cp_args_getopt(argc, argv, "n:s:o:fqh", opts, "compare")) != -1) {
        const int done = parse_shared_option(c, optarg, "compare", &shared);
        if (done < 0)
            return EXIT_USAGE;
        if (done)
            continue;
        switch (c) {
        case 'h':
            fputs(compare_usage, stdout);
            return -1;
        default:
            fputs(compare_usage, stderr);
            return EXIT_USAGE;
        }
    }
    if (argc - optind < 2) {
        fprintf(stderr, "chokepoint compare: expected a base and at least one option\n\n%s",
                compare_usage);
        return EXIT_USAGE;
    }
    *first = optind;
    if (*quiet)
        opt->drive.progress_seconds = 0;
    return EXIT_OK;
}

static void free_many(cp_loaded *l, const cp_model **models, size_t n)
{
    for (size_t k = 0; l && k < n; k++)
        cp_loaded_close(&l[k]);
    free(l);
    free(models);
}

/* Scenarios paths[0..n), loaded: *out (calloc'd, n of them) and their
 * models.  On failure, those loaded are freed. */
static int load_many(const char *const *paths, size_t n, cp_loaded **out, const cp_model ***models,
                     cp_err *err)
{
    *out = calloc(n, sizeof **out);
    *models = calloc(n, sizeof **models);
    int rc = *out && *models ? CP_OK : cp_err_set(err, CP_ENOMEM, "out of memory");
    size_t k = 0;
    while (!rc && k < n) {
        rc = cp_loaded_open(paths[k], &(*out)[k], err);
        if (rc)
            break;
        (*models)[k] = (*out)[k].m;
        k++;
    }
    if (rc) {
        free_many(*out, *models, k);
        *out = NULL;
        *models = NULL;
    }
    return rc;
}

/* Compares scenarios paths[0..n) (collective) and reports on rank 0.  A
 * default output directory, outputs/compare-BASE, is used when
 * opt->out_dir is NULL (in out_default, as for run_scenario). */
static int compare_scenarios(const cp_par *par, const char *const *paths, size_t n,
                             cp_compare_options *opt, int quiet, char *out_default,
                             cp_drive_result *res, cp_err *err)
{
    memset(res, 0, sizeof *res);
    cp_loaded *l;
    const cp_model **models;
    int rc = load_many(paths, n, &l, &models, err);
    if (rc)
        return rc;
    if (!opt->out_dir) {
        snprintf(out_default, OUT_DEFAULT_MAX, "outputs/compare-%s", l[0].sc.name);
        opt->out_dir = out_default;
    }
    rc = cp_compare_execute(par, models, n, opt, res, err);
    if (!rc && !quiet && cp_par_rank(par) == 0) {
        if (res->already_complete)
            fprintf(stderr, "done: %s already holds this comparison, complete; nothing to do\n",
                    opt->out_dir);
        else /* stderr, like run's: a batch's stdout is its summary */
            fprintf(stderr,
                    "done: compared %zu options with %s on %llu samples on %d rank(s) in %.2f "
                    "s%s; wrote %s/compare.csv\n",
                    n - 1, l[0].sc.name, (unsigned long long)opt->samples, cp_par_size(par),
                    res->wall_seconds, res->first_sample ? ", resumed from a checkpoint" : "",
                    opt->out_dir);
    }
    free_many(l, models, n);
    return rc;
}

static int cmd_compare(int argc, char **argv, int full_argc, char **full_argv)
{
    cp_compare_options opt = {.samples = 100000, .seed = 1, .drive.progress_seconds = 10};
    int quiet = 0, report = 0, first = 0;
    int rc = parse_compare_args(argc, argv, &opt, &quiet, &report, &first);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    char command[8192];
    join_args(full_argc, full_argv, command, sizeof command);
    opt.command_line = command;
    cp_par *par = start_parallel(&full_argc, &full_argv);
    if (!par)
        return EXIT_FAILURE_OTHER;
    cp_err err;
    cp_err_clear(&err);
    cp_drive_result res;
    char out_default[OUT_DEFAULT_MAX];
    rc = compare_scenarios(par, (const char *const *)argv + first, (size_t)(argc - first), &opt,
                           quiet, out_default, &res, &err);
    report_error(par, rc, &err);
    const int root = cp_par_rank(par) == 0;
    cp_par_finalize(par);
    return with_report(exit_code_for(rc), report && !rc && root, opt.out_dir, NULL);
}

/* ---- sensitivity ------------------------------------------------------ */

/* clang-format off */
static const char sensitivity_usage[] =
    "Usage: chokepoint sensitivity SCENARIO.ini [options]\n"
    "\n"
    "First-order and total Sobol indices of every input of the scenario (each\n"
    "shock, shock_NAME, and each event, event_NAME) and of the groups given,\n"
    "with 95% intervals, by Saltelli's pick-freeze design: N samples cost\n"
    "N (K + 2) model evaluations for K inputs and groups.  A shock's index is\n"
    "that of its own independent innovation; for shocks correlated in the\n"
    "scenario's [correlation], a --group of them gives the interpretable index.\n"
    "Writes DIR/sensitivity.csv and DIR/manifest.json.  On SIGTERM or SIGUSR1\n"
    "all ranks stop at the next chunk, write a checkpoint and exit with code 75;\n"
    "--resume then finishes with identical results.\n"
    "\n"
    "Options:\n"
    "  -n, --samples N        base samples N, at least 2 (default 10000)\n"
    "  -s, --seed S           random seed, 0 to 2^64-1 (default 1)\n"
    "  -o, --out DIR          output directory (default outputs/sensitivity-SCENARIO-NAME)\n"
    "      --metric M         the metric (default " CP_SENSITIVITY_METRIC ")\n"
    "      --region R         one region (default: every region of the metric)\n"
    "      --periods P1,P2    quarters (default " CP_SENSITIVITY_PERIODS ")\n"
    "      --group NAME=a,b   also the index of inputs a, b, ... together (repeatable;\n"
    "                         inputs as shock_NAME / event_NAME, or bare names)\n"
    "  -f, --force            replace the files of a previous analysis in DIR\n"
    CHECKPOINT_OPTIONS_HELP
    RESUME_OPTION_HELP("analysis")
    PROGRESS_OPTION_HELP
    REPORT_OPTION_HELP
    "  -q, --quiet            no progress and no final report\n"
    "  -h, --help             this help\n";
/* clang-format on */

#define SENSITIVITY_GROUPS_MAX 64

typedef struct sensitivity_args {
    cp_sensitivity_options opt;
    const char *scenario;
    const char *groups[SENSITIVITY_GROUPS_MAX];
    int quiet, report;
} sensitivity_args;

/* The design options (--metric, --region, --periods, --group) of option c;
 * 1 if it was one, 0 if not, -1 after saying what is wrong. */
static int parse_design_option(int c, const char *arg, const char *cmd, sensitivity_args *a)
{
    switch (c) {
    case 'M':
        a->opt.metric = arg;
        return 1;
    case 'G':
        a->opt.region = arg;
        return 1;
    case 'Q':
        a->opt.periods = arg;
        return 1;
    case 'g':
        if (a->opt.n_groups == SENSITIVITY_GROUPS_MAX) {
            fprintf(stderr, "chokepoint %s: more than %d --group options\n", cmd,
                    SENSITIVITY_GROUPS_MAX);
            return -1;
        }
        if (!strchr(arg, '=')) {
            fprintf(stderr, "chokepoint %s: --group: '%s' is not NAME=input,input,...\n", cmd, arg);
            return -1;
        }
        a->groups[a->opt.n_groups++] = arg;
        a->opt.groups = a->groups;
        return 1;
    default:
        return 0;
    }
}

static const struct option sensitivity_opts[] = {{"samples", required_argument, NULL, 'n'},
                                                 {"seed", required_argument, NULL, 's'},
                                                 {"out", required_argument, NULL, 'o'},
                                                 {"metric", required_argument, NULL, 'M'},
                                                 {"region", required_argument, NULL, 'G'},
                                                 {"periods", required_argument, NULL, 'Q'},
                                                 {"group", required_argument, NULL, 'g'},
                                                 {"force", no_argument, NULL, 'f'},
                                                 {"progress", required_argument, NULL, 'P'},
                                                 {"checkpoint-every", required_argument, NULL, 'C'},
                                                 {"resume", no_argument, NULL, 'R'},
                                                 {"quiet", no_argument, NULL, 'q'},
                                                 {"report", no_argument, NULL, 'W'},
                                                 {"help", no_argument, NULL, 'h'},
                                                 {NULL, 0, NULL, 0}};

static int parse_sensitivity_args(int argc, char **argv, sensitivity_args *a)
{
    a->opt.samples = 10000;
    a->opt.seed = 1;
    a->opt.drive.progress_seconds = 10;
    const shared_args shared = {&a->opt.samples, &a->opt.seed, &a->opt.out_dir,
                                &a->opt.drive,   &a->quiet,    &a->report};
    int c;
    optind = 1;
    while ((c = cp_args_getopt(argc, argv, "n:s:o:fqh", sensitivity_opts, "sensitivity")) != -1) {
        int done = parse_shared_option(c, optarg, "sensitivity", &shared);
        if (!done)
            done = parse_design_option(c, optarg, "sensitivity", a);
        if (done < 0)
            return EXIT_USAGE;
        if (done)
            continue;
        if (c == 'h') {
            fputs(sensitivity_usage, stdout);
            return -1;
        }
        fputs(sensitivity_usage, stderr);
        return EXIT_USAGE;
    }
    if (argc - optind != 1) {
        fprintf(stderr, "chokepoint sensitivity: expected one scenario file\n\n%s",
                sensitivity_usage);
        return EXIT_USAGE;
    }
    a->scenario = argv[optind];
    if (a->opt.samples < 2) {
        fprintf(stderr, "chokepoint sensitivity: --samples: at least 2\n");
        return EXIT_USAGE;
    }
    if (a->quiet)
        a->opt.drive.progress_seconds = 0;
    return EXIT_OK;
}

/* Runs one sensitivity analysis (collective) and reports on rank 0. */
/* A sensitivity analysis (collective), reported on rank 0; its default
 * output directory, outputs/sensitivity-SCENARIO, in out_default as for
 * run_scenario. */
static int sensitivity_scenario(const cp_par *par, const char *scenario,
                                cp_sensitivity_options *opt, int quiet, char *out_default,
                                cp_drive_result *res, cp_err *err)
{
    memset(res, 0, sizeof *res);
    cp_loaded l;
    int rc = cp_loaded_open(scenario, &l, err);
    if (rc)
        return rc;
    if (!opt->out_dir) {
        snprintf(out_default, OUT_DEFAULT_MAX, "outputs/sensitivity-%s", l.sc.name);
        opt->out_dir = out_default;
    }
    rc = cp_sensitivity_execute(par, l.m, opt, res, err);
    const uint64_t per = cp_sensitivity_evaluations_per_sample(l.m, opt);
    const double evals = (double)(opt->samples - res->first_sample) * (double)per;
    if (!rc && !quiet && cp_par_rank(par) == 0) {
        if (res->already_complete)
            fprintf(stderr, "done: %s already holds this analysis, complete; nothing to do\n",
                    opt->out_dir);
        else
            fprintf(stderr,
                    "done: %llu samples x %llu = %llu model evaluations of %s on %d rank(s) in "
                    "%.2f s (%.0f evaluations/s%s); wrote %s/sensitivity.csv\n",
                    (unsigned long long)opt->samples, (unsigned long long)per,
                    (unsigned long long)(opt->samples * per), l.sc.name, cp_par_size(par),
                    res->wall_seconds, evals / (res->wall_seconds > 0 ? res->wall_seconds : 1e-9),
                    res->first_sample ? ", resumed from a checkpoint" : "", opt->out_dir);
    }
    cp_loaded_close(&l);
    return rc;
}

/* Before MPI and any sample: the scenario loads and the design fits it. */
static int check_sensitivity(const char *scenario, const cp_sensitivity_options *opt, cp_err *err)
{
    cp_loaded l;
    int rc = cp_loaded_open(scenario, &l, err);
    if (rc)
        return rc;
    rc = cp_sensitivity_check(l.m, opt, err);
    cp_loaded_close(&l);
    return rc;
}

static int cmd_sensitivity(int argc, char **argv, int full_argc, char **full_argv)
{
    sensitivity_args a = {0};
    int rc = parse_sensitivity_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    cp_err err;
    cp_err_clear(&err);
    if ((rc = check_sensitivity(a.scenario, &a.opt, &err))) {
        fprintf(stderr, "chokepoint: error: %s\n", err.msg);
        return exit_code_for(rc);
    }
    char command[8192];
    join_args(full_argc, full_argv, command, sizeof command);
    a.opt.command_line = command;
    cp_par *par = start_parallel(&full_argc, &full_argv);
    if (!par)
        return EXIT_FAILURE_OTHER;
    cp_drive_result res;
    char out_default[OUT_DEFAULT_MAX];
    rc = sensitivity_scenario(par, a.scenario, &a.opt, a.quiet, out_default, &res, &err);
    report_error(par, rc, &err);
    const int root = cp_par_rank(par) == 0;
    cp_par_finalize(par);
    return with_report(exit_code_for(rc), a.report && !rc && root, a.opt.out_dir, NULL);
}

static int cmd_run(int argc, char **argv, int full_argc, char **full_argv)
{
    run_args a = {0};
    int rc = parse_run_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    char command[8192];
    join_args(full_argc, full_argv, command, sizeof command);
    a.opt.command_line = command;
    cp_par *par = start_parallel(&full_argc, &full_argv);
    if (!par)
        return EXIT_FAILURE_OTHER;
    cp_err err;
    cp_err_clear(&err);
    cp_run_result res;
    char out_default[OUT_DEFAULT_MAX];
    rc = run_scenario(par, a.scenario, &a.opt, a.quiet, out_default, &res, &err);
    report_error(par, rc, &err);
    const int root = cp_par_rank(par) == 0;
    cp_par_finalize(par);
    return with_report(exit_code_for(rc), a.report && !rc && root, a.opt.out_dir, NULL);
}

/* ---- batch ------------------------------------------------------------ */

static const char batch_usage[] =
    "Usage: chokepoint batch BATCH.csv [options]\n"
    "\n"
    "Runs the batch's entries in order (all ranks work on each in turn).  An\n"
    "entry whose output directory already holds its finished run is skipped; one\n"
    "with a checkpoint is resumed; so resubmitting a batch only does what is left.\n"
    "The batch file's columns:\n"
    "name,scenario,samples,seed,out[,keep_samples][,compare][,precision,samples_max]\n"
    "[,sensitivity][,tornado] (paths relative to the batch file); an entry whose\n"
    "compare cell names option scenarios (separated by ';') is `compare SCENARIO\n"
    "OPTION...`; one\n"
    "with a precision is `run --precision PRECISION --samples SAMPLES --samples-max\n"
    "SAMPLES_MAX` (see run --help); one with a sensitivity column is `sensitivity\n"
    "SCENARIO` with that cell's options (--metric, --region, --periods, --group,\n"
    "blank-separated; '-' for the defaults); a tornado column of yes adds\n"
    "--tornado to a run.  A summary, one\n"
    "CSV row per entry, goes to stdout:\n"
    "entry,name,status,samples_done,samples,seed,out,seconds,message.\n"
    "\n"
    "Options:\n"
    "      --only K           run entry K only (1-based; for job arrays)\n"
    "      --status           report each entry's state and run nothing\n"
    "      --summary PATH     also write the summary to PATH\n"
    "      --checkpoint-every N|Ns  as for run (default: only when stopped)\n"
    "      --progress SEC     a progress line every SEC seconds (default 10; 0: "
    "off)\n" REPORT_OPTION_HELP "  -q, --quiet            no progress and no per-run reports\n"
    "  -h, --help             this help\n"
    "\n"
    "Exit code: 0 if every entry finished or was already complete, 75 if a signal\n"
    "stopped it (rerun to continue), else the code of the first failed entry.\n";

typedef struct batch_args {
    const char *file, *summary;
    uint64_t only;
    int status_only, quiet, report;
    cp_run_options opt; /* checkpoint and progress settings for every entry */
} batch_args;

static int parse_batch_args(int argc, char **argv, batch_args *a)
{
    static const struct option opts[] = {{"only", required_argument, NULL, 'O'},
                                         {"status", no_argument, NULL, 'S'},
                                         {"summary", required_argument, NULL, 'M'},
                                         {"checkpoint-every", required_argument, NULL, 'C'},
                                         {"progress", required_argument, NULL, 'P'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"report", no_argument, NULL, 'W'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    a->opt.drive.progress_seconds = 10;
    /* Only --checkpoint-every, --progress and --quiet of these reach it:
     * each entry gives its own samples, seed and output. */
    const shared_args shared = {&a->opt.samples, &a->opt.seed, &a->opt.out_dir,
                                &a->opt.drive,   &a->quiet,    &a->report};
    int c;
    optind = 1;
    while ((c = cp_args_getopt(argc, argv, "qh", opts, "batch")) != -1) {
        const int done = parse_shared_option(c, optarg, "batch", &shared);
        if (done < 0)
            return EXIT_USAGE;
        if (done)
            continue;
        switch (c) {
        case 'O':
            if (cp_args_count(optarg, UINT64_MAX, &a->only) || a->only == 0) {
                fprintf(stderr,
                        "chokepoint batch: --only: '%s' is not an entry number (1, 2, "
                        "...)\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case 'S':
            a->status_only = 1;
            break;
        case 'M':
            a->summary = optarg;
            break;
        case 'h':
            fputs(batch_usage, stdout);
            return -1;
        default:
            fputs(batch_usage, stderr);
            return EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "chokepoint batch: expected one batch file\n\n%s", batch_usage);
        return EXIT_USAGE;
    }
    a->file = argv[optind];
    if (a->quiet)
        a->opt.drive.progress_seconds = 0;
    return EXIT_OK;
}

typedef struct entry_result {
    const char *status;
    uint64_t done;
    double seconds;
    char message[CP_ERR_MSG_MAX];
} entry_result;

/* An entry's scenarios: the scenario, then a comparison's options
 * (malloc'd; NULL when out of memory). */
static const char **entry_paths(const cp_batch_entry *e)
{
    const char **paths = malloc((1 + e->n_options) * sizeof *paths);
    if (!paths)
        return NULL;
    paths[0] = e->scenario;
    for (size_t k = 0; k < e->n_options; k++)
        paths[1 + k] = e->options[k];
    return paths;
}

/* A sensitivity entry's design: its cell's options parsed into a (whose
 * groups point into buf, which must outlive a). */
static int entry_design(const cp_batch_entry *e, sensitivity_args *a, char *buf, size_t cap,
                        cp_err *err)
{
    static const struct {
        const char *name;
        int c;
    } known[] = {{"--metric", 'M'}, {"--region", 'G'}, {"--periods", 'Q'}, {"--group", 'g'}};
    snprintf(buf, cap, "%s", e->sensitivity);
    char *save = NULL;
    for (char *tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        if (strcmp(tok, "-") == 0)
            continue;
        int c = 0;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            c = strcmp(tok, known[i].name) == 0 ? known[i].c : c;
        const char *val = c ? strtok_r(NULL, " \t", &save) : NULL;
        if (!val || parse_design_option(c, val, "batch", a) < 0)
            return cp_err_set(err, CP_EINVAL,
                              "'%s%s%s' is not one of --metric M, --region "
                              "R, --periods P1,P2, --group NAME=a,b or '-'",
                              tok, val ? " " : "", val ? val : "");
    }
    return CP_OK;
}

static int sensitivity_status(const cp_batch_entry *e, entry_result *r, cp_err *err)
{
    sensitivity_args sa = {0};
    char buf[sizeof e->sensitivity];
    cp_loaded l;
    int rc = entry_design(e, &sa, buf, sizeof buf, err);
    if (!rc && !(rc = cp_loaded_open(e->scenario, &l, err))) {
        sa.opt.samples = e->samples;
        sa.opt.seed = e->seed;
        sa.opt.out_dir = e->out;
        rc = cp_sensitivity_status(l.m, &sa.opt, &r->status, &r->done, err);
        cp_loaded_close(&l);
    }
    return rc;
}

static int compare_status(const cp_batch_entry *e, entry_result *r, cp_err *err)
{
    const char **paths = entry_paths(e);
    cp_loaded *l = NULL;
    const cp_model **models = NULL;
    int rc = paths ? load_many(paths, 1 + e->n_options, &l, &models, err)
                   : cp_err_set(err, CP_ENOMEM, "out of memory");
    const cp_compare_options opt = {.samples = e->samples, .seed = e->seed, .out_dir = e->out};
    if (!rc)
        rc = cp_compare_status(models, 1 + e->n_options, &opt, &r->status, &r->done, err);
    if (l)
        free_many(l, models, 1 + e->n_options);
    free(paths);
    return rc;
}

/* An entry's run options but for the drive settings: its samples, seed,
 * kept samples, output and stopping rule (parsed into *precision). */
static int entry_run_options(const cp_batch_entry *e, cp_run_options *opt, cp_precision *precision,
                             cp_err *err)
{
    opt->samples = e->samples;
    opt->seed = e->seed;
    opt->keep_samples = e->keep_samples;
    opt->out_dir = e->out;
    opt->tornado = e->tornado;
    return set_stopping_rule(opt, e->precision[0] ? e->precision : NULL, e->samples, e->samples_max,
                             precision, err);
}

static int run_status(const cp_batch_entry *e, entry_result *r, cp_err *err)
{
    cp_run_options opt = {0};
    cp_precision precision;
    cp_loaded l;
    int rc = entry_run_options(e, &opt, &precision, err);
    if (!rc)
        rc = cp_loaded_open(e->scenario, &l, err);
    if (!rc) {
        rc = cp_run_status(l.m, &opt, &r->status, &r->done, err);
        cp_loaded_close(&l);
    }
    return rc;
}

static int status_of(const cp_batch_entry *e, entry_result *r)
{
    cp_err err;
    cp_err_clear(&err);
    const int rc = e->is_sensitivity ? sensitivity_status(e, r, &err)
                   : e->n_options    ? compare_status(e, r, &err)
                                     : run_status(e, r, &err);
    if (rc) {
        r->status = "failed";
        snprintf(r->message, sizeof r->message, "%s", err.msg);
    }
    return rc;
}

static void put_csv_text(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', fp);
        fputc(*s == '\n' ? ' ' : *s, fp);
    }
    fputc('"', fp);
}

static void write_summary(FILE *fp, const cp_batch *b, const entry_result *r, uint64_t only)
{
    fputs("entry,name,status,samples_done,samples,seed,out,seconds,message\n", fp);
    for (size_t i = 0; i < b->n; i++) {
        if (only && i + 1 != only)
            continue;
        const cp_batch_entry *e = &b->entries[i];
        fprintf(fp, "%zu,%s,%s,%llu,%llu,%llu,", i + 1, e->name, r[i].status,
                (unsigned long long)r[i].done, (unsigned long long)e->samples,
                (unsigned long long)e->seed);
        put_csv_text(fp, e->out);
        fprintf(fp, ",%.2f,", r[i].seconds);
        put_csv_text(fp, r[i].message);
        fputc('\n', fp);
    }
}

static int save_summary(const char *path, const cp_batch *b, const entry_result *r, uint64_t only,
                        cp_err *err)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    cp_outfile f;
    int rc = cp_outfile_open(&f, dir, slash ? slash + 1 : path, err);
    if (rc)
        return rc;
    write_summary(f.fp, b, r, only);
    return cp_outfile_commit(&f, err);
}

/* An entry that is a comparison (collective). */
static int compare_entry(const cp_par *par, const batch_args *a, const cp_batch_entry *e,
                         cp_drive_result *res, cp_err *err)
{
    cp_compare_options opt = {.samples = e->samples,
                              .seed = e->seed,
                              .out_dir = e->out,
                              .drive = a->opt.drive,
                              .command_line = a->opt.command_line};
    opt.drive.resume = 1;
    const char **paths = entry_paths(e);
    memset(res, 0, sizeof *res);
    char out_default[OUT_DEFAULT_MAX]; /* unused: an entry names its output */
    int rc = paths ? compare_scenarios(par, paths, 1 + e->n_options, &opt, a->quiet, out_default,
                                       res, err)
                   : cp_err_set(err, CP_ENOMEM, "out of memory");
    free(paths);
    return rc;
}

/* An entry that is a sensitivity analysis (collective). */
static int sensitivity_entry(const cp_par *par, const batch_args *a, const cp_batch_entry *e,
                             cp_drive_result *res, cp_err *err)
{
    sensitivity_args sa = {0};
    char buf[sizeof e->sensitivity];
    memset(res, 0, sizeof *res);
    int rc = entry_design(e, &sa, buf, sizeof buf, err);
    if (rc)
        return rc;
    sa.opt.samples = e->samples;
    sa.opt.seed = e->seed;
    sa.opt.out_dir = e->out;
    sa.opt.drive = a->opt.drive;
    sa.opt.drive.resume = 1;
    sa.opt.command_line = a->opt.command_line;
    char out_default[OUT_DEFAULT_MAX]; /* unused: an entry names its output */
    return sensitivity_scenario(par, e->scenario, &sa.opt, a->quiet, out_default, res, err);
}

/* An entry that is a run (collective). */
static int run_entry(const cp_par *par, const batch_args *a, const cp_batch_entry *e,
                     cp_drive_result *res, cp_err *err)
{
    cp_run_options opt = a->opt;
    cp_precision precision;
    opt.drive.resume = 1;
    memset(res, 0, sizeof *res);
    const int rc = entry_run_options(e, &opt, &precision, err);
    char out_default[OUT_DEFAULT_MAX]; /* unused: an entry names its output */
    return rc ? rc : run_scenario(par, e->scenario, &opt, a->quiet, out_default, res, err);
}

/* Runs entry i (collective); fills its result; returns its code. */
static int do_entry(const cp_par *par, const batch_args *a, const cp_batch *b, size_t i,
                    entry_result *r)
{
    const cp_batch_entry *e = &b->entries[i];
    if (cp_par_rank(par) == 0 && !a->quiet)
        fprintf(stderr, "batch: entry %zu of %zu, %s: %s%s, %llu samples, seed %llu -> %s\n", i + 1,
                b->n, e->name,
                e->is_sensitivity ? "sensitivity "
                : e->n_options    ? "compare "
                                  : "",
                e->scenario, (unsigned long long)e->samples, (unsigned long long)e->seed, e->out);
    cp_err err;
    cp_err_clear(&err);
    cp_drive_result res;
    const int rc = e->is_sensitivity ? sensitivity_entry(par, a, e, &res, &err)
                   : e->n_options    ? compare_entry(par, a, e, &res, &err)
                                     : run_entry(par, a, e, &res, &err);
    r->seconds = res.wall_seconds;
    /* A stopped entry's checkpoint; a run with a stopping rule's count */
    r->done = rc != CP_OK ? res.done : e->n_options || !res.done ? e->samples : res.done;
    r->status = rc == CP_OK ? (res.already_complete ? "skipped" : "finished")
                            : (rc == CP_ESTOPPED ? "stopped" : "failed");
    if (rc) {
        snprintf(r->message, sizeof r->message, "%s", err.msg);
        report_error(par, rc, &err);
    }
    return rc;
}

/* Before the first sample of the first entry: every entry's scenarios
 * (with their bases and inputs) load and every output directory can be
 * written, so a mistake in entry 9 is found now, not after a night of
 * entries 1 to 8.  Errors name the batch file's line and field. */
static int check_entries(const batch_args *a, const cp_batch *b, cp_err *err)
{
    for (size_t i = 0; i < b->n; i++) {
        if (a->only && i + 1 != a->only)
            continue;
        const cp_batch_entry *e = &b->entries[i];
        const char **paths = entry_paths(e);
        cp_loaded *l = NULL;
        const cp_model **models = NULL;
        int rc = paths ? CP_OK : cp_err_set(err, CP_ENOMEM, "out of memory");
        for (size_t k = 0; !rc && k <= e->n_options; k++) {
            if ((rc = load_many(paths + k, 1, &l, &models, err))) {
                cp_err_wrap(err, "%s:%ld: field '%s'", b->path, e->line,
                            k ? "compare" : "scenario");
                break;
            }
            /* A stopping rule's metric, region and quarter, in this model. */
            cp_precision p;
            if (k == 0 && e->precision[0] && !cp_precision_parse(e->precision, &p, err) &&
                (rc = cp_precision_resolve(&p, models[0], err)))
                cp_err_wrap(err, "%s:%ld: field 'precision'", b->path, e->line);
            free_many(l, models, 1);
        }
        free(paths);
        if (!rc && e->is_sensitivity) {
            sensitivity_args sa = {0};
            char buf[sizeof e->sensitivity];
            if ((rc = entry_design(e, &sa, buf, sizeof buf, err)) ||
                (rc = check_sensitivity(e->scenario, &sa.opt, err)))
                cp_err_wrap(err, "%s:%ld: field 'sensitivity'", b->path, e->line);
        }
        if (!rc && (rc = cp_output_check_writable(e->out, err)))
            cp_err_wrap(err, "%s:%ld: field 'out'", b->path, e->line);
        if (rc)
            return rc;
    }
    return CP_OK;
}

static int cmd_batch(int argc, char **argv, int full_argc, char **full_argv)
{
    batch_args a = {0};
    int rc = parse_batch_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    cp_batch b;
    cp_err err;
    if ((rc = cp_batch_load(a.file, &b, &err))) {
        fprintf(stderr, "chokepoint: error: %s\n", err.msg);
        return exit_code_for(rc);
    }
    if (a.only > b.n) {
        fprintf(stderr, "chokepoint batch: --only %llu, but %s has %zu entries\n",
                (unsigned long long)a.only, a.file, b.n);
        cp_batch_free(&b);
        return EXIT_USAGE;
    }
    if (!a.status_only && (rc = check_entries(&a, &b, &err))) {
        fprintf(stderr, "chokepoint: error: %s\n", err.msg);
        cp_batch_free(&b);
        return exit_code_for(rc);
    }
    char command[8192];
    join_args(full_argc, full_argv, command, sizeof command);
    a.opt.command_line = command;
    cp_par *par = start_parallel(&full_argc, &full_argv);
    if (!par) {
        cp_batch_free(&b);
        return EXIT_FAILURE_OTHER;
    }
    entry_result *r = calloc(b.n, sizeof *r);
    int first_failure = CP_OK, stopped = 0;
    for (size_t i = 0; r && i < b.n; i++) {
        r[i].status = "not run";
        if (a.only && i + 1 != a.only)
            continue;
        if (a.status_only) {
            const int code = status_of(&b.entries[i], &r[i]);
            if (code && !first_failure)
                first_failure = code;
            continue;
        }
        if (stopped)
            continue;
        int code = do_entry(par, &a, &b, i, &r[i]);
        stopped = code == CP_ESTOPPED;
        if (code && !stopped && !first_failure)
            first_failure = code;
    }
    if (r && cp_par_rank(par) == 0) {
        write_summary(stdout, &b, r, a.only);
        fflush(stdout);
        if (a.summary && save_summary(a.summary, &b, r, a.only, &err)) {
            fprintf(stderr, "chokepoint: error: %s\n", err.msg);
            first_failure = first_failure ? first_failure : CP_EIO;
        }
    }
    const int root = cp_par_rank(par) == 0, report = a.report && r && root && !a.status_only;
    cp_par_finalize(par);
    rc = with_report(stopped ? EXIT_STOPPED : exit_code_for(first_failure), report && !stopped,
                     a.file, a.summary);
    free(r);
    cp_batch_free(&b);
    return rc;
}

int main(int argc, char **argv)
{
    /* GSL's default handler aborts; chokepoint checks every status. */
    gsl_set_error_handler_off();
    if (argc < 2) {
        fprintf(stderr, main_usage, cp_version());
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        printf(main_usage, cp_version());
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("chokepoint %s (git %s)\n", cp_version(), cp_git_commit());
        return EXIT_OK;
    }
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1, argc, argv);
    if (strcmp(cmd, "validate") == 0)
        return cmd_validate(argc - 1, argv + 1);
    if (strcmp(cmd, "compare") == 0)
        return cmd_compare(argc - 1, argv + 1, argc, argv);
    if (strcmp(cmd, "sensitivity") == 0)
        return cmd_sensitivity(argc - 1, argv + 1, argc, argv);
    if (strcmp(cmd, "batch") == 0)
        return cmd_batch(argc - 1, argv + 1, argc, argv);
    if (strcmp(cmd, "report") == 0)
        return cp_report_main(argc - 1, argv + 1);
    fprintf(stderr, "chokepoint: unknown command '%s'\n\n", cmd);
    fprintf(stderr, main_usage, cp_version());
    return EXIT_USAGE;
}
