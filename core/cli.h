/* cli.h -- what the commands of the chokepoint program share: exit codes,
 * the options that several commands take, and running a scenario, a
 * comparison or a sensitivity analysis with its one-line report on rank 0.
 * The program's, not the library's: these print to stderr. */
#ifndef CLI_H
#define CLI_H

#include "cp_compare.h"
#include "cp_drive.h"
#include "cp_error.h"
#include "cp_loaded.h"
#include "cp_model.h"
#include "cp_par.h"
#include "cp_precision.h"
#include "cp_run.h"
#include "cp_sensitivity.h"
#include "cp_signal.h"

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

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
#define CLI_OUT_MAX 4096

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

/* What run and compare both take: --samples, --seed, --out, --force,
 * --progress, --checkpoint-every, --resume, --quiet. */
typedef struct shared_args {
    uint64_t *samples, *seed;
    const char **out_dir;
    cp_drive_settings *drive;
    int *quiet, *report;
} shared_args;

/* shared_args' long options and --help, for the option table of run,
 * compare and sensitivity (their own follow, then {NULL, 0, NULL, 0});
 * their short forms are CLI_SHARED_SHORT. */
/* clang-format off */
#define CLI_SHARED_OPTIONS                                  \
    {"samples", required_argument, NULL, 'n'},              \
    {"seed", required_argument, NULL, 's'},                 \
    {"out", required_argument, NULL, 'o'},                  \
    {"force", no_argument, NULL, 'f'},                      \
    {"progress", required_argument, NULL, 'P'},             \
    {"checkpoint-every", required_argument, NULL, 'C'},     \
    {"resume", no_argument, NULL, 'R'},                     \
    {"quiet", no_argument, NULL, 'q'},                      \
    {"report", no_argument, NULL, 'W'},                     \
    {"help", no_argument, NULL, 'h'}
/* clang-format on */
#define CLI_SHARED_SHORT "n:s:o:fqh"

#define SENSITIVITY_GROUPS_MAX 64

/* The sensitivity command's settings (also a batch entry's). */
typedef struct sensitivity_args {
    cp_sensitivity_options opt;
    const char *scenario;
    const char *groups[SENSITIVITY_GROUPS_MAX];
    int quiet, report;
} sensitivity_args;

/* The exit code of a cp_ error code (EXIT_*). */
int cli_exit_code(int code);

/* A count option's value, or -1 after saying what is wrong with it. */
int cli_count_option(const char *cmd, const char *option, const char *arg, uint64_t max,
                     uint64_t min, uint64_t *out);

/* Handles option c of command cmd if it is one of shared_args'.  Returns 1
 * if it was, 0 if it is not shared, or -1 after saying what is wrong. */
int cli_shared_option(int c, const char *arg, const char *cmd, const shared_args *a);

/* The stopping rule's settings in opt: spec (NULL: none) parsed into
 * *precision, the cap samples_max (0: not given) into opt->samples and the
 * first look (samples, or 0 when not given: the default) into
 * opt->first_look.  Returns CP_OK or CP_EINVAL with the reason in err. */
int cli_stopping_rule(cp_run_options *opt, const char *spec, uint64_t samples, uint64_t samples_max,
                      cp_precision *precision, cp_err *err);

/* argv joined by blanks into buf (cap bytes), for the manifest. */
void cli_join_args(int argc, char **argv, char *buf, size_t cap);

/* Runs one scenario (collective) and reports on rank 0.  A default output
 * directory, outputs/SCENARIO-NAME, is used when opt->out_dir is NULL: it is
 * written into out_default (CLI_OUT_MAX bytes), which the caller keeps
 * for as long as it uses opt->out_dir (--report). */
int cli_run_scenario(const cp_par *par, const char *scenario, cp_run_options *opt, int quiet,
                     char *out_default, cp_run_result *res, cp_err *err);

/* On rank 0, err's message when rc is an error (a stop is not one). */
void cli_report_error(const cp_par *par, int rc, const cp_err *err);

/* --report: the page of a finished run, comparison or batch, drawn after MPI
 * is finalized, on rank 0 (wanted).  A failed report leaves the results as
 * they are and gives its own exit code. */
int cli_with_report(int code, int wanted, const char *target, const char *summary);

/* MPI started and the stop signals' handlers installed; NULL after saying
 * why not. */
cp_par *cli_start_parallel(int *argc, char ***argv);

/* Closes the first n of l and frees l and models (as cli_load_many made them). */
void cli_free_many(cp_loaded *l, const cp_model **models, size_t n);

/* Scenarios paths[0..n), loaded: *out (calloc'd, n of them) and their
 * models.  On failure, those loaded are freed. */
int cli_load_many(const char *const *paths, size_t n, cp_loaded **out, const cp_model ***models,
                  cp_err *err);

/* Compares scenarios paths[0..n) (collective) and reports on rank 0.  A
 * default output directory, outputs/compare-BASE, is used when
 * opt->out_dir is NULL (in out_default, as for cli_run_scenario). */
int cli_compare_scenarios(const cp_par *par, const char *const *paths, size_t n,
                          cp_compare_options *opt, int quiet, char *out_default,
                          cp_drive_result *res, cp_err *err);

/* The design options (--metric, --region, --periods, --group) of option c;
 * 1 if it was one, 0 if not, -1 after saying what is wrong. */
int cli_design_option(int c, const char *arg, const char *cmd, sensitivity_args *a);

/* A sensitivity analysis (collective), reported on rank 0; its default
 * output directory, outputs/sensitivity-SCENARIO, in out_default as for
 * cli_run_scenario. */
int cli_sensitivity_scenario(const cp_par *par, const char *scenario, cp_sensitivity_options *opt,
                             int quiet, char *out_default, cp_drive_result *res, cp_err *err);

/* Before MPI and any sample: the scenario loads and the design fits it. */
int cli_check_sensitivity(const char *scenario, const cp_sensitivity_options *opt, cp_err *err);

/* `chokepoint batch` (cli_batch.c): argv without the program name, and the
 * whole command line for MPI and the manifest; returns the exit code. */
int cli_batch_main(int argc, char **argv, int full_argc, char **full_argv);

#endif
