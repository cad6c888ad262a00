/* test_scenario.c -- reading scenario files: what is accepted, and every
 * mistake a user can make, each with the file and line in the message. */
#include "cp_test_files.h"

#include "cp_scenario.h"

#include <math.h>

#include <gsl/gsl_errno.h>

static char *dir;
static char path[4096];

static void setup(void)
{
    gsl_set_error_handler_off();
    dir = tf_mkdtemp();
    snprintf(path, sizeof path, "%s/s.ini", dir);
}

static void teardown(void)
{
    tf_rm_rf(dir);
}

TestSuite(scenario, .init = setup, .fini = teardown);

static const char good[] = "; a comment\n"
                           "[scenario]\n"
                           "name = test\n"
                           "description = a test scenario ; with an inline comment\n"
                           "inputs = data\n"
                           "start = 2026Q1\n"
                           "end = 2027Q4\n"
                           "\n"
                           "[shock a]\n"
                           "distribution = lognormal(mu=0, sigma=0.2)\n"
                           "time = ar1\n"
                           "rho = 0.5\n"
                           "targets = x, y.lead\n"
                           "\n"
                           "[shock b]\n"
                           "distribution = uniform(min=0.5, max=1.5)\n"
                           "time = once\n"
                           "targets = z\n"
                           "\n"
                           "[event e]\n"
                           "probability = 0.1\n"
                           "duration = constant(value=2)\n"
                           "severity = beta(a=2, b=2)\n"
                           "targets = x\n"
                           "\n"
                           "[correlation]\n"
                           "a, b = 0.25\n";

static const char *load_fails(const char *text, cp_err *err)
{
    tf_write(dir, "s.ini", text);
    cp_scenario sc;
    int rc = cp_scenario_load(path, &sc, err);
    cr_assert_neq(rc, CP_OK, "expected failure for:\n%s", text);
    cr_assert_eq(sc.n_shocks, 0, "a failed load leaves the scenario empty");
    return err->msg;
}

/* good with one line replaced (1-based), or a line appended with n = 0. */
static const char *with_line(int n, const char *replacement)
{
    static char buf[8192];
    buf[0] = '\0';
    const char *p = good;
    for (int line = 1; *p; line++) {
        const char *nl = strchr(p, '\n');
        size_t len = (size_t)(nl - p) + 1;
        if (line == n)
            strcat(buf, replacement);
        else
            strncat(buf, p, len);
        p += len;
    }
    if (n == 0)
        strcat(buf, replacement);
    return buf;
}

Test(scenario, loads_a_good_file)
{
    tf_write(dir, "s.ini", good);
    cp_scenario sc;
    cp_err err;
    cr_assert_eq(cp_scenario_load(path, &sc, &err), CP_OK, "%s", err.msg);
    cr_assert_str_eq(sc.name, "test");
    cr_assert_str_eq(sc.description, "a test scenario");
    cr_assert_eq(sc.end - sc.start + 1, 8);
    cr_assert_eq(sc.n_shocks, 2);
    cr_assert_eq(sc.n_events, 1);
    cr_assert_eq(sc.shocks[0].time, CP_TIME_AR1);
    cr_assert_float_eq(sc.shocks[0].rho, 0.5, 0);
    cr_assert_eq(sc.shocks[0].n_targets, 2);
    cr_assert_str_eq(sc.shocks[0].targets[1].node, "y");
    cr_assert_str_eq(sc.shocks[0].targets[1].param, "lead");
    cr_assert_eq(sc.shocks[0].targets_line, 13);
    cr_assert_eq(sc.shocks[1].time, CP_TIME_ONCE);
    cr_assert_float_eq(sc.events[0].probability, 0.1, 0);
    cr_assert_float_eq(sc.corr[1], 0.25, 0);
    cr_assert_float_eq(sc.corr[2], 0.25, 0);
    /* L L^T = C */
    cr_assert_float_eq(sc.chol[0], 1.0, 1e-15);
    cr_assert_float_eq(sc.chol[2], 0.25, 1e-15);
    cr_assert_float_eq(sc.chol[3], sqrt(1 - 0.0625), 1e-15);
    char want[4200];
    snprintf(want, sizeof want, "%s/data", dir);
    cr_assert_str_eq(sc.inputs, want, "inputs resolve relative to the scenario file");
    cp_scenario_free(&sc);
}

Test(scenario, defaults)
{
    tf_write(dir, "s.ini",
             "[shock a]\ndistribution = constant(value=1)\ntime = once\n"
             "targets = x\n");
    cp_scenario sc;
    cp_err err;
    cr_assert_eq(cp_scenario_load(path, &sc, &err), CP_OK, "%s", err.msg);
    cr_assert_str_eq(sc.name, "s", "the name defaults to the file name");
    cr_assert_eq(sc.end - sc.start + 1, 40, "2026Q1 to 2035Q4 by default");
    char want[4200];
    snprintf(want, sizeof want, "%.*s/inputs", (int)(strrchr(dir, '/') - dir), dir);
    cr_assert_str_eq(sc.inputs, want, "../inputs, with the scenario's directory and its .. folded");
    cp_scenario_free(&sc);
}

/* Paths are tidied where that names the same file: "." dropped, DIR/..
 * folded when DIR is a real directory, kept when it is a symbolic link
 * (whose .. is the parent of its target, elsewhere). */
Test(scenario, paths_are_tidied_but_not_through_links)
{
    char sub[4200], far[4200], elsewhere[4200], link[4200];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(far, sizeof far, "%s/far", dir);
    snprintf(elsewhere, sizeof elsewhere, "%s/far/away", dir);
    snprintf(link, sizeof link, "%s/link", dir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    cr_assert_eq(mkdir(far, 0700), 0);
    cr_assert_eq(mkdir(elsewhere, 0700), 0);
    cr_assert_eq(symlink(elsewhere, link), 0);
    static const struct {
        const char *inputs, *want;
    } cases[] = {{"./sub/../data", "data"},
                 {"sub/./../sub/../x", "x"},
                 {"link/../data", "link/../data"},
                 {"sub/link-free/../data", "sub/link-free/../data"}, /* no such directory */
                 {"sub/..", "."}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "[scenario]\ninputs = %s\n", cases[i].inputs);
        tf_write(dir, "s.ini", text);
        cp_scenario sc;
        cp_err err;
        cr_assert_eq(cp_scenario_load(path, &sc, &err), CP_OK, "%s", err.msg);
        char want[4200];
        snprintf(want, sizeof want, "%s/%s", dir, cases[i].want);
        if (strcmp(cases[i].want, ".") == 0)
            snprintf(want, sizeof want, "%s", dir);
        cr_assert_str_eq(sc.inputs, want, "inputs = %s", cases[i].inputs);
        cp_scenario_free(&sc);
    }
}

Test(scenario, missing_file)
{
    cp_scenario sc;
    cp_err err;
    cr_assert_eq(cp_scenario_load("/nonexistent/x.ini", &sc, &err), CP_EIO);
    TF_CONTAINS(err.msg, "/nonexistent/x.ini");
}

Test(scenario, unknown_section)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(9, "[shok a]\n"), &err), "s.ini:9",
                "unknown section [shok a]");
}

Test(scenario, unknown_key)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(11, "tme = ar1\n"), &err), "s.ini:11", "[shock a]",
                "unknown key 'tme'", "known: distribution");
}

Test(scenario, unknown_scenario_key)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(3, "nmae = x\n"), &err), "s.ini:3", "unknown key 'nmae'");
}

Test(scenario, duplicate_key)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(12, "rho = 0.5\nrho = 0.6\n"), &err), "s.ini:13",
                "key 'rho' given twice", "line 12");
}

Test(scenario, duplicate_section)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(0, "[shock a]\ntime = once\n"), &err), "s.ini:28",
                "[shock a] appears twice", "line 9");
}

Test(scenario, key_before_any_section)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(1, "name = x\n"), &err), "s.ini:1", "before any [section]");
}

Test(scenario, syntax_error)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(12, "rho 0.5\n"), &err), "s.ini:12", "syntax error");
}

Test(scenario, indented_continuation_is_refused)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(4, "description = a\n  continued\n"), &err), "s.ini:5",
                "indented line");
}

Test(scenario, overlong_line)
{
    char line[400];
    memset(line, 'x', sizeof line);
    memcpy(line, "description = ", 14);
    line[300] = '\n';
    line[301] = '\0';
    cp_err err;
    TF_CONTAINS(load_fails(with_line(4, line), &err), "s.ini:4", "longer than 199");
}

Test(scenario, bad_period)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(6, "start = 2026-1\n"), &err), "s.ini:6", "key 'start'",
                "'2026-1'");
}

Test(scenario, end_before_start)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(7, "end = 2025Q4\n"), &err), "s.ini:7",
                "end comes before start");
}

Test(scenario, unknown_distribution)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(10, "distribution = lognormale(mu=0, sigma=1)\n"), &err),
                "s.ini:10", "key 'distribution'", "lognormale");
}

Test(scenario, distribution_parameter_out_of_range)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(10, "distribution = lognormal(mu=0, sigma=-1)\n"), &err),
                "s.ini:10", "sigma");
}

Test(scenario, distribution_parameter_nan)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(10, "distribution = lognormal(mu=nan, sigma=1)\n"), &err),
                "s.ini:10", "mu");
}

Test(scenario, missing_distribution)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(10, "\n"), &err), "s.ini:9", "key 'distribution' is required");
}

Test(scenario, missing_time)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(17, "\n"), &err), "s.ini:15", "key 'time' is required");
}

Test(scenario, unknown_time_structure)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(17, "time = yearly\n"), &err), "s.ini:17", "'yearly'",
                "once, quarterly, ar1");
}

Test(scenario, ar1_needs_rho)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(12, "\n"), &err), "s.ini:9", "ar1", "'rho'");
}

Test(scenario, rho_only_for_ar1)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(17, "time = once\nrho = 0.3\n"), &err), "s.ini:15",
                "'rho' only applies to time = ar1");
}

Test(scenario, rho_out_of_range)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(12, "rho = 1\n"), &err), "s.ini:12", "(-1, 1)");
}

Test(scenario, missing_targets)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(18, "\n"), &err), "s.ini:15", "'targets' is required");
}

Test(scenario, malformed_target)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(13, "targets = x, y..lead\n"), &err), "s.ini:13",
                "not a node or node.parameter");
}

Test(scenario, probability_above_one)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(21, "probability = 1.5\n"), &err), "s.ini:21", "'probability'",
                "[0, 1]");
}

Test(scenario, probability_not_a_number)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(21, "probability = often\n"), &err), "s.ini:21",
                "'often' is not a number");
}

Test(scenario, event_needs_severity)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(23, "\n"), &err), "s.ini:20", "'severity' is required");
}

Test(scenario, correlation_with_unknown_shock)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(27, "a, c = 0.25\n"), &err), "s.ini:27", "'c' is not a shock");
}

Test(scenario, correlation_out_of_range)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(27, "a, b = 1.2\n"), &err), "s.ini:27", "[-1, 1]");
}

Test(scenario, correlation_not_symmetric)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(27, "a, b = 0.25\nb, a = 0.5\n"), &err), "s.ini:28",
                "given twice", "not be symmetric");
}

Test(scenario, correlation_with_itself)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(27, "a, a = 1\n"), &err), "s.ini:27", "with itself");
}

Test(scenario, correlation_not_positive_definite)
{
    cp_err err;
    const char *text = "[shock a]\ndistribution = constant(value=1)\ntime = once\ntargets = x\n"
                       "[shock b]\ndistribution = constant(value=1)\ntime = once\ntargets = x\n"
                       "[shock c]\ndistribution = constant(value=1)\ntime = once\ntargets = x\n"
                       "[shock d]\ndistribution = constant(value=1)\ntime = once\ntargets = x\n"
                       "[correlation]\na, d = 0.1\na, b = 0.9\nb, c = 0.9\na, c = -0.9\n";
    const char *msg = load_fails(text, &err);
    TF_CONTAINS(msg, "s.ini", "not positive definite", "eigenvalue");
    /* Issue 14: the pairs that contradict each other, at the last one's
     * line, not the first correlation line. */
    TF_CONTAINS(msg, "s.ini:21:", "a, b = 0.9 (", "s.ini:19)", "b, c = 0.9 (", "a, c = -0.9 (");
    cr_expect_null(strstr(msg, "a, d"), "a, d is not part of it: %s", msg);
}

Test(scenario, perfect_correlation_is_not_positive_definite)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(27, "a, b = 1\n"), &err), "not positive definite",
                "s.ini:27:", "a, b = 1 (", "makes two shocks one");
}

Test(scenario, correlation_key_without_comma)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(27, "a b = 0.2\n"), &err), "s.ini:27", "'a, b = r'");
}

Test(scenario, normal_multiplier_warns)
{
    tf_write(dir, "s.ini", with_line(10, "distribution = normal(mean=1, sd=0.5)\n"));
    cp_scenario sc;
    cp_err err;
    cr_assert_eq(cp_scenario_load(path, &sc, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(sc.n_warnings, 1);
    TF_CONTAINS(sc.warnings[0], "s.ini:9", "clamped to 0");
    cp_scenario_free(&sc);
}

Test(scenario, empirical_distribution_reads_its_csv)
{
    tf_write(dir, "growth.csv", "year,ratio,source\n2021,0.9,x\n2022,1.1,x\n2023,1.3,x\n");
    tf_write(dir, "s.ini",
             with_line(10, "distribution = empirical(file=growth.csv, column=ratio)\n"));
    cp_scenario sc;
    cp_err err;
    cr_assert_eq(cp_scenario_load(path, &sc, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(sc.shocks[0].dist.n_values, 3);
    cr_assert_float_eq(cp_dist_mean(&sc.shocks[0].dist), 1.1, 1e-12);
    cp_scenario_free(&sc);
}

Test(scenario, empirical_distribution_with_bad_value)
{
    tf_write(dir, "growth.csv", "year,ratio,source\n2021,0.9,x\n2022,n/a,x\n");
    cp_err err;
    TF_CONTAINS(load_fails(with_line(10, "distribution = empirical(file=growth.csv, "
                                         "column=ratio)\n"),
                           &err),
                "s.ini:10", "growth.csv:3", "field 'ratio'", "'n/a'");
}

Test(scenario, empirical_distribution_missing_column)
{
    tf_write(dir, "growth.csv", "year,ratio,source\n2021,0.9,x\n");
    cp_err err;
    TF_CONTAINS(load_fails(with_line(10, "distribution = empirical(file=growth.csv, "
                                         "column=rate)\n"),
                           &err),
                "s.ini:10", "growth.csv", "'rate'");
}

Test(scenario, crlf_and_bom)
{
    tf_write(dir, "s.ini",
             "\xEF\xBB\xBF[shock a]\r\ndistribution = constant(value=1)\r\n"
             "time = once\r\ntargets = x\r\n");
    cp_scenario sc;
    cp_err err;
    cr_assert_eq(cp_scenario_load(path, &sc, &err), CP_OK, "%s", err.msg);
    cr_assert_str_eq(sc.shocks[0].targets[0].node, "x");
    cp_scenario_free(&sc);
}

/* ---- an event's timing: once, start, recovery, lasting ------------------ */

Test(scenario, event_timing_keys_load)
{
    tf_write(dir, "s.ini",
             with_line(24, "targets = x\nonce = true\nrecovery = constant(value=2)\n"
                           "lasting = beta(a=1, b=4)\nlasting_probability = 0.2\n"));
    cp_scenario sc;
    cp_err err;
    cr_assert_eq(cp_scenario_load(path, &sc, &err), CP_OK, "%s", err.msg);
    const cp_event *e = &sc.events[0];
    cr_assert_eq(e->once, 1);
    cr_assert_eq(e->start, -1, "no date: any quarter");
    cr_assert(e->has_recovery && e->has_lasting);
    cr_assert_float_eq(e->lasting_probability, 0.2, 0);
    cp_scenario_free(&sc);
}

Test(scenario, event_without_timing_keys_recurs)
{
    tf_write(dir, "s.ini", good);
    cp_scenario sc;
    cp_err err;
    cr_assert_eq(cp_scenario_load(path, &sc, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(sc.events[0].once, 0);
    cr_assert_eq(sc.events[0].start, -1);
    cr_assert(!sc.events[0].has_recovery && !sc.events[0].has_lasting);
    cr_assert_float_eq(sc.events[0].lasting_probability, 1, 0);
    cp_scenario_free(&sc);
}

Test(scenario, once_not_a_boolean)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(24, "targets = x\nonce = maybe\n"), &err), "s.ini:25",
                "'once'", "'maybe' is not true or false");
}

Test(scenario, malformed_start)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(24, "targets = x\nstart = 2027Q5\n"), &err), "s.ini:25",
                "'start'", "2027Q5");
    TF_CONTAINS(load_fails(with_line(24, "targets = x\nstart = next year\n"), &err), "s.ini:25",
                "'start'", "next year");
}

Test(scenario, start_outside_the_horizon)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(24, "targets = x\nstart = 2028Q1\n"), &err), "s.ini:20",
                "[event e]", "start 2028Q1 is outside the horizon 2026Q1 to 2027Q4");
}

Test(scenario, dated_event_probability_is_checked)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(21, "probability = 2\nstart = 2026Q3\n"), &err), "s.ini:21",
                "'probability'", "[0, 1]");
}

Test(scenario, dated_event_may_leave_out_its_probability)
{
    tf_write(dir, "s.ini", with_line(21, "start = 2026Q3\n"));
    cp_scenario sc;
    cp_err err;
    cr_assert_eq(cp_scenario_load(path, &sc, &err), CP_OK, "%s", err.msg);
    cr_assert_float_eq(sc.events[0].probability, 1, 0);
    cr_assert_eq(sc.events[0].once, 1);
    cr_assert_eq(sc.events[0].start, 2026 * 4 + 2);
    cp_scenario_free(&sc);
}

Test(scenario, undated_event_needs_its_probability)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(21, "\n"), &err), "s.ini:20", "'probability' is required");
}

Test(scenario, once_false_contradicts_a_date)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(24, "targets = x\nonce = false\nstart = 2026Q2\n"), &err),
                "s.ini:20", "once = false contradicts start");
}

Test(scenario, lasting_probability_needs_lasting)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(24, "targets = x\nlasting_probability = 0.5\n"), &err),
                "s.ini:20", "'lasting_probability' needs a key 'lasting'");
    TF_CONTAINS(load_fails(with_line(24, "targets = x\nlasting = constant(value=0.5)\n"
                                         "lasting_probability = 1.5\n"),
                           &err),
                "s.ini:26", "'lasting_probability'", "not a number in [0, 1]");
}

Test(scenario, bad_recovery_distribution)
{
    cp_err err;
    TF_CONTAINS(
        load_fails(with_line(24, "targets = x\nrecovery = gamma(shape=-1, scale=1)\n"), &err),
        "s.ini:25", "'recovery'", "shape");
}

Test(scenario, trend_needs_a_lognormal)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(17, "time = trend\n"), &err), "s.ini:15",
                "time = trend needs a lognormal");
    tf_write(dir, "s.ini", with_line(11, "time = trend\n"));
    cp_scenario sc;
    /* with rho still given for ar1: refused for trend too */
    cr_assert_neq(cp_scenario_load(path, &sc, &err), CP_OK);
    TF_CONTAINS(err.msg, "'rho' only applies to time = ar1");
}

Test(scenario, exposure_must_name_a_target_and_a_share)
{
    cp_err err;
    TF_CONTAINS(load_fails(with_line(24, "targets = x\nexposure = y:0.5\n"), &err), "s.ini:20",
                "'exposure'", "'y' is not one of its targets");
    TF_CONTAINS(load_fails(with_line(24, "targets = x\nexposure = x:1.5\n"), &err), "s.ini:25",
                "'exposure'", "'1.5' is not a share in [0, 1]");
    TF_CONTAINS(load_fails(with_line(24, "targets = x\nexposure = x\n"), &err), "s.ini:25",
                "'x' should be TARGET:SHARE");
}
