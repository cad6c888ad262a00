/* main.c -- the `chokepoint` program: command-line parsing and reporting.
 * The work is done by the library; this file turns options into calls and
 * errors into messages and exit codes. */
#include "cp_dist.h"
#include "cp_error.h"
#include "cp_graph.h"
#include "cp_model.h"
#include "cp_par.h"
#include "cp_period.h"
#include "cp_run.h"
#include "cp_scenario.h"
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
    EXIT_MODEL = 5
};

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
    "  chokepoint COMMAND --help                options of a command\n"
    "  chokepoint --help | --version\n"
    "\n"
    "Run under MPI for more cores: mpirun -n 4 chokepoint run scenarios/baseline.ini\n"
    "Results are identical at any rank count for the same scenario, seed and samples.\n"
    "\n"
    "Exit codes: 0 success, 2 usage error, 3 bad input (scenario or inputs),\n"
    "4 file I/O error, 5 model produced a non-finite number, 1 other failure.\n";

static const char run_usage[] =
    "Usage: chokepoint run SCENARIO.ini [options]\n"
    "\n"
    "Simulates the scenario's sample paths (split over MPI ranks) and writes\n"
    "summary.csv, manifest.json and, with --keep-samples, samples.csv.\n"
    "\n"
    "Options:\n"
    "  -n, --samples N        number of sample paths (default 100000)\n"
    "  -s, --seed S           random seed, 0 to 2^64-1 (default 1)\n"
    "  -o, --out DIR          output directory (default outputs/SCENARIO-NAME)\n"
    "  -k, --keep-samples K   write the first K sample paths to samples.csv (default 0)\n"
    "  -f, --force            replace the files of a previous run in DIR\n"
    "      --progress SEC     a progress line on stderr every SEC seconds (default 10; 0: off)\n"
    "  -q, --quiet            no progress and no final report\n"
    "  -h, --help             this help\n";

static const char validate_usage[] =
    "Usage: chokepoint validate SCENARIO.ini\n"
    "\n"
    "Reads the scenario and the inputs it names, checks everything a run would\n"
    "check, prints what it found and any warnings, and runs nothing.\n"
    "Exit code 0 if valid, 3 if not, 4 if a file cannot be read.\n"
    "\n"
    "Options:\n"
    "  -h, --help             this help\n";

/* A count: digits, or a number like 1e6 that is a whole number. */
static int parse_count(const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    if (text[0] >= '0' && text[0] <= '9') {
        unsigned long long v = strtoull(text, &end, 10);
        if (!*end && errno == 0) {
            *out = v;
            return 1;
        }
    }
    errno = 0;
    double d = strtod(text, &end);
    if (end == text || *end || errno || !(d >= 0) || d > 9007199254740992.0 || d != floor(d))
        return 0;
    *out = (uint64_t)d;
    return 1;
}

typedef struct loaded {
    cp_scenario sc;
    cp_graph g;
    cp_model *m;
} loaded;

static int load_all(const char *path, loaded *l, cp_err *err)
{
    memset(l, 0, sizeof *l);
    int rc = cp_scenario_load(path, &l->sc, err);
    if (rc)
        return rc;
    rc = cp_graph_load(l->sc.inputs, l->sc.start, l->sc.end - l->sc.start + 1, &l->g, err);
    if (rc) {
        cp_err_wrap(err, "inputs of %s", path);
        cp_scenario_free(&l->sc);
        return rc;
    }
    rc = cp_model_build(&l->sc, &l->g, &l->m, err);
    if (rc) {
        cp_graph_free(&l->g);
        cp_scenario_free(&l->sc);
    }
    return rc;
}

static void free_all(loaded *l)
{
    cp_model_free(l->m);
    cp_graph_free(&l->g);
    cp_scenario_free(&l->sc);
}

static void print_targets(const cp_target *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%s%s%s%s", i ? ", " : "", t[i].node, t[i].param[0] ? "." : "", t[i].param);
}

static void print_overview(const loaded *l)
{
    const cp_scenario *sc = &l->sc;
    const cp_graph *g = &l->g;
    char a[16], b[16], spec[256];
    cp_period_format(sc->start, a, sizeof a);
    cp_period_format(sc->end, b, sizeof b);
    printf("scenario %s (%s)\n", sc->name, sc->path);
    printf("  horizon  %s to %s, %d quarters\n", a, b, g->n_periods);
    printf("  inputs   %s: %zu nodes, %zu edges, %zu metric series (%zu cells per sample)\n",
           g->dir, g->n_nodes, g->n_edges, g->n_metrics, g->n_metrics * (size_t)g->n_periods);
    for (size_t i = 0; i < sc->n_shocks; i++) {
        const cp_shock *s = &sc->shocks[i];
        cp_dist_format(&s->dist, spec, sizeof spec);
        printf("  shock    %s: %s, %s", s->name, spec, cp_scenario_time_name(s->time));
        if (s->time == CP_TIME_AR1)
            printf(" (rho %g)", s->rho);
        printf(" -> ");
        print_targets(s->targets, s->n_targets);
        printf("\n");
    }
    for (size_t i = 0; i < sc->n_events; i++) {
        const cp_event *e = &sc->events[i];
        printf("  event    %s: p = %g per quarter -> ", e->name, e->probability);
        print_targets(e->targets, e->n_targets);
        printf("\n");
    }
    for (size_t i = 0; i < sc->n_warnings; i++)
        printf("warning: %s\n", sc->warnings[i]);
    for (size_t i = 0; i < g->n_warnings; i++)
        printf("warning: %s\n", g->warnings[i]);
}

static int cmd_validate(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(validate_usage, stdout);
            return EXIT_OK;
        }
        fputs(validate_usage, stderr);
        return EXIT_USAGE;
    }
    if (argc - optind != 1) {
        fprintf(stderr, "chokepoint validate: expected one scenario file\n\n%s", validate_usage);
        return EXIT_USAGE;
    }
    loaded l;
    cp_err err;
    cp_err_clear(&err);
    int rc = load_all(argv[optind], &l, &err);
    if (rc) {
        fprintf(stderr, "chokepoint: error: %s\n", err.msg);
        return exit_code_for(rc);
    }
    print_overview(&l);
    printf("valid\n");
    free_all(&l);
    return EXIT_OK;
}

typedef struct run_args {
    cp_run_options opt;
    const char *scenario;
    char out_default[4096];
    int quiet;
} run_args;

static int parse_run_args(int argc, char **argv, run_args *a)
{
    static const struct option opts[] = {{"samples", required_argument, NULL, 'n'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"keep-samples", required_argument, NULL, 'k'},
                                         {"force", no_argument, NULL, 'f'},
                                         {"progress", required_argument, NULL, 'P'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    a->opt.samples = 100000;
    a->opt.seed = 1;
    a->opt.progress_seconds = 10;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:s:o:k:fqh", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'n':
            if (!parse_count(optarg, &a->opt.samples) || a->opt.samples == 0) {
                fprintf(stderr,
                        "chokepoint run: --samples: '%s' is not a positive whole "
                        "number\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case 's':
            if (!parse_count(optarg, &a->opt.seed)) {
                fprintf(stderr, "chokepoint run: --seed: '%s' is not a whole number >= 0\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case 'o':
            a->opt.out_dir = optarg;
            break;
        case 'k':
            if (!parse_count(optarg, &a->opt.keep_samples)) {
                fprintf(stderr, "chokepoint run: --keep-samples: '%s' is not a whole number\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case 'f':
            a->opt.force = 1;
            break;
        case 'P':
            errno = 0;
            a->opt.progress_seconds = strtod(optarg, &end);
            if (end == optarg || *end || errno || !(a->opt.progress_seconds >= 0)) {
                fprintf(stderr, "chokepoint run: --progress: '%s' is not a number of seconds\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case 'q':
            a->quiet = 1;
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
        a->opt.progress_seconds = 0;
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

static int cmd_run(int argc, char **argv, int full_argc, char **full_argv)
{
    run_args a = {0};
    int rc = parse_run_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    char command[8192];
    join_args(full_argc, full_argv, command, sizeof command);
    a.opt.command_line = command;

    cp_par *par;
    if (cp_par_init(&full_argc, &full_argv, &par)) {
        fprintf(stderr, "chokepoint: error: MPI could not be initialized\n");
        return EXIT_FAILURE_OTHER;
    }
    const int root = cp_par_rank(par) == 0;
    loaded l;
    cp_err err;
    cp_err_clear(&err);
    rc = load_all(a.scenario, &l, &err);
    if (!rc) {
        if (!a.opt.out_dir) {
            snprintf(a.out_default, sizeof a.out_default, "outputs/%s", l.sc.name);
            a.opt.out_dir = a.out_default;
        }
        if (root && !a.quiet)
            for (size_t i = 0; i < l.sc.n_warnings + l.g.n_warnings; i++)
                fprintf(stderr, "warning: %s\n",
                        i < l.sc.n_warnings ? l.sc.warnings[i] : l.g.warnings[i - l.sc.n_warnings]);
        double t0 = cp_par_time();
        rc = cp_run_execute(par, l.m, &a.opt, &err);
        double wall = cp_par_time() - t0;
        if (!rc && root && !a.quiet)
            fprintf(stderr,
                    "done: %llu samples of %s on %d rank(s) in %.2f s (%.0f samples/s); "
                    "wrote %s\n",
                    (unsigned long long)a.opt.samples, l.sc.name, cp_par_size(par), wall,
                    (double)a.opt.samples / (wall > 0 ? wall : 1e-9), a.opt.out_dir);
        free_all(&l);
    }
    if (rc && root)
        fprintf(stderr, "chokepoint: error: %s\n", err.msg);
    cp_par_finalize(par);
    return exit_code_for(rc);
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
    fprintf(stderr, "chokepoint: unknown command '%s'\n\n", cmd);
    fprintf(stderr, main_usage, cp_version());
    return EXIT_USAGE;
}
