/* main.c -- the `chokepoint` program: command-line parsing and reporting
 * of run, validate, compare and sensitivity (batch: cli_batch.c; what the
 * commands share: cli.c).
 * The work is done by the library; this file turns options into calls and
 * errors into messages and exit codes. */
#include "cli.h"
#include "cp_args.h"
#include "cp_describe.h"
#include "cp_report.h"
#include "cp_version.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

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
        return cli_exit_code(rc);
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
    int quiet, report;
    cp_precision precision;
    uint64_t samples_max; /* 0: not given */
} run_args;

static int parse_run_args(int argc, char **argv, run_args *a)
{
    static const struct option opts[] = {CLI_SHARED_OPTIONS,
                                         {"keep-samples", required_argument, NULL, 'k'},
                                         {"precision", required_argument, NULL, 'X'},
                                         {"samples-max", required_argument, NULL, 'M'},
                                         {"tornado", no_argument, NULL, 'T'},
                                         {"tornado-metrics", required_argument, NULL, 'A'},
                                         {"tornado-regions", required_argument, NULL, 'G'},
                                         {"tornado-periods", required_argument, NULL, 'D'},
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
    while ((c = cp_args_getopt(argc, argv, CLI_SHARED_SHORT "k:", opts, "run")) != -1) {
        samples_given |= c == 'n';
        const int done = cli_shared_option(c, optarg, "run", &shared);
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
            if (cli_count_option("run", "--samples-max", optarg, CP_SAMPLES_MAX, 1,
                                 &a->samples_max) < 0)
                return EXIT_USAGE;
            break;
        case 'k':
            if (cli_count_option("run", "--keep-samples", optarg, CP_SAMPLES_MAX, 0,
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
    if (cli_stopping_rule(&a->opt, precision, samples_given ? a->opt.samples : 0, a->samples_max,
                          &a->precision, &err)) {
        fprintf(stderr, "chokepoint run: %s\n", err.msg);
        return EXIT_USAGE;
    }
    if (a->opt.keep_samples > a->opt.samples)
        a->opt.keep_samples = a->opt.samples;
    return EXIT_OK;
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
    static const struct option opts[] = {CLI_SHARED_OPTIONS, {NULL, 0, NULL, 0}};
    const shared_args shared = {&opt->samples, &opt->seed, &opt->out_dir,
                                &opt->drive,   quiet,      report};
    int c;
    optind = 1;
    while ((c = cp_args_getopt(argc, argv, CLI_SHARED_SHORT, opts, "compare")) != -1) {
        const int done = cli_shared_option(c, optarg, "compare", &shared);
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

static int cmd_compare(int argc, char **argv, int full_argc, char **full_argv)
{
    cp_compare_options opt = {.samples = 100000, .seed = 1, .drive.progress_seconds = 10};
    int quiet = 0, report = 0, first = 0;
    int rc = parse_compare_args(argc, argv, &opt, &quiet, &report, &first);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    char command[8192];
    cli_join_args(full_argc, full_argv, command, sizeof command);
    opt.command_line = command;
    cp_par *par = cli_start_parallel(&full_argc, &full_argv);
    if (!par)
        return EXIT_FAILURE_OTHER;
    cp_err err;
    cp_err_clear(&err);
    cp_drive_result res;
    char out_default[CLI_OUT_MAX];
    rc = cli_compare_scenarios(par, (const char *const *)argv + first, (size_t)(argc - first), &opt,
                               quiet, out_default, &res, &err);
    cli_report_error(par, rc, &err);
    const int root = cp_par_rank(par) == 0;
    cp_par_finalize(par);
    return cli_with_report(cli_exit_code(rc), report && !rc && root, opt.out_dir, NULL);
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

static const struct option sensitivity_opts[] = {CLI_SHARED_OPTIONS,
                                                 {"metric", required_argument, NULL, 'M'},
                                                 {"region", required_argument, NULL, 'G'},
                                                 {"periods", required_argument, NULL, 'Q'},
                                                 {"group", required_argument, NULL, 'g'},
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
    while ((c = cp_args_getopt(argc, argv, CLI_SHARED_SHORT, sensitivity_opts, "sensitivity")) !=
           -1) {
        int done = cli_shared_option(c, optarg, "sensitivity", &shared);
        if (!done)
            done = cli_design_option(c, optarg, "sensitivity", a);
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

static int cmd_sensitivity(int argc, char **argv, int full_argc, char **full_argv)
{
    sensitivity_args a = {0};
    int rc = parse_sensitivity_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    cp_err err;
    cp_err_clear(&err);
    if ((rc = cli_check_sensitivity(a.scenario, &a.opt, &err))) {
        fprintf(stderr, "chokepoint: error: %s\n", err.msg);
        return cli_exit_code(rc);
    }
    char command[8192];
    cli_join_args(full_argc, full_argv, command, sizeof command);
    a.opt.command_line = command;
    cp_par *par = cli_start_parallel(&full_argc, &full_argv);
    if (!par)
        return EXIT_FAILURE_OTHER;
    cp_drive_result res;
    char out_default[CLI_OUT_MAX];
    rc = cli_sensitivity_scenario(par, a.scenario, &a.opt, a.quiet, out_default, &res, &err);
    cli_report_error(par, rc, &err);
    const int root = cp_par_rank(par) == 0;
    cp_par_finalize(par);
    return cli_with_report(cli_exit_code(rc), a.report && !rc && root, a.opt.out_dir, NULL);
}

static int cmd_run(int argc, char **argv, int full_argc, char **full_argv)
{
    run_args a = {0};
    int rc = parse_run_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    char command[8192];
    cli_join_args(full_argc, full_argv, command, sizeof command);
    a.opt.command_line = command;
    cp_par *par = cli_start_parallel(&full_argc, &full_argv);
    if (!par)
        return EXIT_FAILURE_OTHER;
    cp_err err;
    cp_err_clear(&err);
    cp_run_result res;
    char out_default[CLI_OUT_MAX];
    rc = cli_run_scenario(par, a.scenario, &a.opt, a.quiet, out_default, &res, &err);
    cli_report_error(par, rc, &err);
    const int root = cp_par_rank(par) == 0;
    cp_par_finalize(par);
    return cli_with_report(cli_exit_code(rc), a.report && !rc && root, a.opt.out_dir, NULL);
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
        return cli_batch_main(argc - 1, argv + 1, argc, argv);
    if (strcmp(cmd, "report") == 0)
        return cp_report_main(argc - 1, argv + 1);
    fprintf(stderr, "chokepoint: unknown command '%s'\n\n", cmd);
    fprintf(stderr, main_usage, cp_version());
    return EXIT_USAGE;
}
