/* cli_batch.c -- `chokepoint batch`: a CSV of runs, comparisons and
 * sensitivity analyses, each checked before the first sample, run in turn
 * by every rank, skipped when finished and resumed when stopped. */
#include "cli.h"

#include "cp_args.h"
#include "cp_batch.h"
#include "cp_output.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        const int done = cli_shared_option(c, optarg, "batch", &shared);
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
        if (!val || cli_design_option(c, val, "batch", a) < 0)
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
    int rc = paths ? cli_load_many(paths, 1 + e->n_options, &l, &models, err)
                   : cp_err_set(err, CP_ENOMEM, "out of memory");
    const cp_compare_options opt = {.samples = e->samples, .seed = e->seed, .out_dir = e->out};
    if (!rc)
        rc = cp_compare_status(models, 1 + e->n_options, &opt, &r->status, &r->done, err);
    if (l)
        cli_free_many(l, models, 1 + e->n_options);
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
    return cli_stopping_rule(opt, e->precision[0] ? e->precision : NULL, e->samples, e->samples_max,
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
    char out_default[CLI_OUT_MAX]; /* unused: an entry names its output */
    int rc = paths ? cli_compare_scenarios(par, paths, 1 + e->n_options, &opt, a->quiet,
                                           out_default, res, err)
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
    char out_default[CLI_OUT_MAX]; /* unused: an entry names its output */
    return cli_sensitivity_scenario(par, e->scenario, &sa.opt, a->quiet, out_default, res, err);
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
    char out_default[CLI_OUT_MAX]; /* unused: an entry names its output */
    return rc ? rc : cli_run_scenario(par, e->scenario, &opt, a->quiet, out_default, res, err);
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
        cli_report_error(par, rc, &err);
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
            if ((rc = cli_load_many(paths + k, 1, &l, &models, err))) {
                cp_err_wrap(err, "%s:%ld: field '%s'", b->path, e->line,
                            k ? "compare" : "scenario");
                break;
            }
            /* A stopping rule's metric, region and quarter, in this model. */
            cp_precision p;
            if (k == 0 && e->precision[0] && !cp_precision_parse(e->precision, &p, err) &&
                (rc = cp_precision_resolve(&p, models[0], err)))
                cp_err_wrap(err, "%s:%ld: field 'precision'", b->path, e->line);
            cli_free_many(l, models, 1);
        }
        free(paths);
        if (!rc && e->is_sensitivity) {
            sensitivity_args sa = {0};
            char buf[sizeof e->sensitivity];
            if ((rc = entry_design(e, &sa, buf, sizeof buf, err)) ||
                (rc = cli_check_sensitivity(e->scenario, &sa.opt, err)))
                cp_err_wrap(err, "%s:%ld: field 'sensitivity'", b->path, e->line);
        }
        if (!rc && (rc = cp_output_check_writable(e->out, err)))
            cp_err_wrap(err, "%s:%ld: field 'out'", b->path, e->line);
        if (rc)
            return rc;
    }
    return CP_OK;
}

int cli_batch_main(int argc, char **argv, int full_argc, char **full_argv)
{
    batch_args a = {0};
    int rc = parse_batch_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    cp_batch b;
    cp_err err;
    if ((rc = cp_batch_load(a.file, &b, &err))) {
        fprintf(stderr, "chokepoint: error: %s\n", err.msg);
        return cli_exit_code(rc);
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
        return cli_exit_code(rc);
    }
    char command[8192];
    cli_join_args(full_argc, full_argv, command, sizeof command);
    a.opt.command_line = command;
    cp_par *par = cli_start_parallel(&full_argc, &full_argv);
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
    rc = cli_with_report(stopped ? EXIT_STOPPED : cli_exit_code(first_failure), report && !stopped,
                         a.file, a.summary);
    free(r);
    cp_batch_free(&b);
    return rc;
}
