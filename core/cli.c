/* cli.c -- see cli.h. */
#include "cli.h"

#include "cp_args.h"
#include "cp_report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_exit_code(int code)
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

int cli_count_option(const char *cmd, const char *option, const char *arg, uint64_t max,
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

int cli_shared_option(int c, const char *arg, const char *cmd, const shared_args *a)
{
    switch (c) {
    case 'n':
        return cli_count_option(cmd, "--samples", arg, CP_SAMPLES_MAX, 1, a->samples);
    case 's':
        return cli_count_option(cmd, "--seed", arg, UINT64_MAX, 0, a->seed);
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

int cli_stopping_rule(cp_run_options *opt, const char *spec, uint64_t samples, uint64_t samples_max,
                      cp_precision *precision, cp_err *err)
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

void cli_join_args(int argc, char **argv, char *buf, size_t cap)
{
    buf[0] = '\0';
    for (int i = 0; i < argc; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, cap - used, "%s%s", i ? " " : "", argv[i]);
    }
}

/* Without --out, a command writes to outputs/PREFIXNAME, kept in the
 * caller's buffer buf (CLI_OUT_MAX bytes). */
static void default_out(const char **out_dir, char *buf, const char *prefix, const char *name)
{
    if (*out_dir)
        return;
    snprintf(buf, CLI_OUT_MAX, "outputs/%s%s", prefix, name);
    *out_dir = buf;
}

int cli_run_scenario(const cp_par *par, const char *scenario, cp_run_options *opt, int quiet,
                     char *out_default, cp_run_result *res, cp_err *err)
{
    const int root = cp_par_rank(par) == 0;
    memset(res, 0, sizeof *res);
    cp_loaded l;
    int rc = cp_loaded_open(scenario, &l, err);
    if (rc)
        return rc;
    default_out(&opt->out_dir, out_default, "", l.sc.name);
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

void cli_report_error(const cp_par *par, int rc, const cp_err *err)
{
    if (rc && cp_par_rank(par) == 0)
        fprintf(stderr, "chokepoint: %s%s\n", rc == CP_ESTOPPED ? "" : "error: ", err->msg);
}

int cli_with_report(int code, int wanted, const char *target, const char *summary)
{
    const int report_code = wanted ? cp_report_write(target, summary) : 0;
    return code ? code : report_code;
}

cp_par *cli_start_parallel(int *argc, char ***argv)
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

void cli_free_many(cp_loaded *l, const cp_model **models, size_t n)
{
    for (size_t k = 0; l && k < n; k++)
        cp_loaded_close(&l[k]);
    free(l);
    free(models);
}

int cli_load_many(const char *const *paths, size_t n, cp_loaded **out, const cp_model ***models,
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
        cli_free_many(*out, *models, k);
        *out = NULL;
        *models = NULL;
    }
    return rc;
}

int cli_compare_scenarios(const cp_par *par, const char *const *paths, size_t n,
                          cp_compare_options *opt, int quiet, char *out_default,
                          cp_drive_result *res, cp_err *err)
{
    memset(res, 0, sizeof *res);
    cp_loaded *l;
    const cp_model **models;
    int rc = cli_load_many(paths, n, &l, &models, err);
    if (rc)
        return rc;
    default_out(&opt->out_dir, out_default, "compare-", l[0].sc.name);
    for (size_t k = 1; !quiet && cp_par_rank(par) == 0 && k < n; k++) {
        char why[9000];
        if (!isnan(l[k].sc.cost_usd) &&
            !cp_scenario_priced_against(&l[k].sc, &l[0].sc, why, sizeof why))
            fprintf(stderr,
                    "warning: %s: its cost does not price its CaR05 change against %s "
                    "(compare.csv leaves car05_change_per_busd empty): %s\n",
                    l[k].sc.name, l[0].sc.name, why);
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
    cli_free_many(l, models, n);
    return rc;
}

int cli_design_option(int c, const char *arg, const char *cmd, sensitivity_args *a)
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

int cli_sensitivity_scenario(const cp_par *par, const char *scenario, cp_sensitivity_options *opt,
                             int quiet, char *out_default, cp_drive_result *res, cp_err *err)
{
    memset(res, 0, sizeof *res);
    cp_loaded l;
    int rc = cp_loaded_open(scenario, &l, err);
    if (rc)
        return rc;
    default_out(&opt->out_dir, out_default, "sensitivity-", l.sc.name);
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

int cli_check_sensitivity(const char *scenario, const cp_sensitivity_options *opt, cp_err *err)
{
    cp_loaded l;
    int rc = cp_loaded_open(scenario, &l, err);
    if (rc)
        return rc;
    rc = cp_sensitivity_check(l.m, opt, err);
    cp_loaded_close(&l);
    return rc;
}
