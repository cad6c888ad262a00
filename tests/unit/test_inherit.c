/* test_inherit.c -- scenarios that build on a base: overrides, additions,
 * merged correlations, and each mistake (missing base, a loop, an unknown
 * key in the child) named with the file and line that made it. */
#include "cp_test_files.h"

#include "cp_scenario.h"

#include <math.h>

#include <gsl/gsl_errno.h>

static char *dir;

static void setup(void)
{
    gsl_set_error_handler_off();
    dir = tf_mkdtemp();
}

static void teardown(void)
{
    tf_rm_rf(dir);
}

TestSuite(inherit, .init = setup, .fini = teardown);

static const char base[] = "[scenario]\n"                                /* 1 */
                           "name = base\n"                               /* 2 */
                           "description = the base\n"                    /* 3 */
                           "inputs = data\n"                             /* 4 */
                           "start = 2026Q1\n"                            /* 5 */
                           "end = 2027Q4\n"                              /* 6 */
                           "\n"                                          /* 7 */
                           "[shock a]\n"                                 /* 8 */
                           "distribution = lognormal(mu=0, sigma=0.2)\n" /* 9 */
                           "time = ar1\n"                                /* 10 */
                           "rho = 0.5\n"                                 /* 11 */
                           "targets = x\n"                               /* 12 */
                           "\n"                                          /* 13 */
                           "[shock b]\n"                                 /* 14 */
                           "distribution = uniform(min=0.5, max=1.5)\n"  /* 15 */
                           "time = once\n"                               /* 16 */
                           "targets = z\n"                               /* 17 */
                           "\n"                                          /* 18 */
                           "[event e]\n"                                 /* 19 */
                           "probability = 0.1\n"                         /* 20 */
                           "duration = constant(value=2)\n"              /* 21 */
                           "severity = beta(a=2, b=2)\n"                 /* 22 */
                           "targets = x\n"                               /* 23 */
                           "\n"                                          /* 24 */
                           "[correlation]\n"                             /* 25 */
                           "a, b = 0.25\n";                              /* 26 */

static int load(const char *name, cp_scenario *sc, cp_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return cp_scenario_load(path, sc, err);
}

static const char *load_fails(const char *name, cp_err *err)
{
    cp_scenario sc;
    int rc = load(name, &sc, err);
    cr_assert_neq(rc, CP_OK, "expected %s to fail", name);
    cr_assert_eq(sc.n_shocks, 0, "a failed load leaves the scenario empty");
    return err->msg;
}

static void expect_in(const char *msg, const char *what)
{
    const char *const needles[] = {what, NULL};
    tf_assert_contains(msg, needles);
}

Test(inherit, child_overrides_and_adds)
{
    tf_write(dir, "base.ini", base);
    tf_write(dir, "child.ini",
             "[scenario]\n"
             "base = base.ini\n"
             "description = the child\n"
             "[shock a]\n"
             "distribution = constant(value=0.5)\n"
             "[event e]\n"
             "probability = 0.5\n"
             "[event only_child]\n"
             "probability = 0.01\n"
             "duration = constant(value=1)\n"
             "severity = constant(value=1)\n"
             "targets = y\n"
             "[correlation]\n"
             "a, b = -0.5\n");
    cp_scenario sc;
    cp_err err;
    cr_assert_eq(load("child.ini", &sc, &err), CP_OK, "%s", err.msg);
    /* Named by its own file, not its base. */
    cr_assert_str_eq(sc.name, "child");
    cr_assert_str_eq(sc.description, "the child");
    cr_assert_eq(sc.end - sc.start + 1, 8);
    cr_assert_eq(sc.n_shocks, 2);
    cr_assert_eq(sc.shocks[0].dist.kind, CP_DIST_CONSTANT);
    cr_assert_eq(sc.shocks[0].time, CP_TIME_AR1, "keys the child does not give stay");
    cr_assert_float_eq(sc.shocks[0].rho, 0.5, 0);
    cr_assert_eq(sc.n_events, 2);
    cr_assert_float_eq(sc.events[0].probability, 0.5, 0);
    cr_assert_str_eq(sc.events[1].name, "only_child");
    cr_assert_float_eq(sc.corr[1], -0.5, 0, "the child's correlation replaces the base's");
    cr_assert_eq(sc.n_files, 2);
    /* The inputs are relative to the base, which said where they are. */
    char want[4096];
    snprintf(want, sizeof want, "%s/data", dir);
    cr_assert_str_eq(sc.inputs, want);
    /* Targets remember the file that gave them, for later errors. */
    cr_assert_eq(sc.shocks[0].targets_file, 1);
    cr_assert_eq(sc.shocks[0].targets_line, 12);
    cr_assert_eq(sc.events[1].targets_file, 0);
    cp_scenario_free(&sc);
}

Test(inherit, chain_of_three_in_subdirectory)
{
    tf_write(dir, "base.ini", base);
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    tf_write(dir, "mid.ini", "[scenario]\nbase = base.ini\n[shock b]\ntime = quarterly\n");
    tf_write(dir, "sub/top.ini",
             "[scenario]\nbase = ../mid.ini\nname = top\n"
             "[shock b]\ndistribution = constant(value=1)\n");
    cp_scenario sc;
    cp_err err;
    cr_assert_eq(load("sub/top.ini", &sc, &err), CP_OK, "%s", err.msg);
    cr_assert_str_eq(sc.name, "top");
    cr_assert_eq(sc.shocks[1].time, CP_TIME_QUARTERLY);
    cr_assert_eq(sc.shocks[1].dist.kind, CP_DIST_CONSTANT);
    cr_assert_eq(sc.n_files, 3);
    cp_scenario_free(&sc);
}

Test(inherit, missing_base)
{
    tf_write(dir, "child.ini", "[scenario]\nbase = nowhere.ini\n");
    cp_err err;
    const char *msg = load_fails("child.ini", &err);
    expect_in(msg, "child.ini:2: [scenario]: key 'base': cannot read");
    expect_in(msg, "nowhere.ini");
}

Test(inherit, loop_of_bases)
{
    tf_write(dir, "a.ini", "[scenario]\nbase = b.ini\n");
    tf_write(dir, "b.ini", "; b\n[scenario]\nbase = a.ini\n");
    cp_err err;
    const char *msg = load_fails("a.ini", &err);
    expect_in(msg, "b.ini:3: [scenario]: key 'base': a loop of base scenarios");
    expect_in(msg, "a.ini -> ");
    tf_write(dir, "self.ini", "[scenario]\nbase = ./self.ini\n");
    msg = load_fails("self.ini", &err);
    expect_in(msg, "self.ini:2: [scenario]: key 'base': a loop");
}

Test(inherit, unknown_key_in_child_names_the_child)
{
    tf_write(dir, "base.ini", base);
    tf_write(dir, "child.ini", "[scenario]\nbase = base.ini\n\n[shock a]\nsigma = 2\n");
    cp_err err;
    const char *msg = load_fails("child.ini", &err);
    expect_in(msg, "child.ini:5: [shock a]: unknown key 'sigma'");
}

Test(inherit, error_in_base_names_the_base)
{
    char bad[sizeof base + 64];
    snprintf(bad, sizeof bad, "%s", base);
    char *p = strstr(bad, "rho = 0.5");
    memcpy(p, "rho = 1.5", 9);
    tf_write(dir, "base.ini", bad);
    tf_write(dir, "child.ini", "[scenario]\nbase = base.ini\n");
    cp_err err;
    const char *msg = load_fails("child.ini", &err);
    expect_in(msg, "base.ini:11: [shock a]: key 'rho'");
    cr_assert_null(strstr(msg, "child.ini"), "%s", msg);
}

Test(inherit, base_must_come_first)
{
    tf_write(dir, "base.ini", base);
    tf_write(dir, "child.ini", "[scenario]\nname = c\nbase = base.ini\n");
    cp_err err;
    const char *msg = load_fails("child.ini", &err);
    expect_in(msg, "child.ini:3: [scenario]: key 'base' must be the first key");
}

Test(inherit, key_twice_in_child_but_once_each_is_fine)
{
    tf_write(dir, "base.ini", base);
    tf_write(dir, "child.ini", "[scenario]\nbase = base.ini\n[shock a]\nrho = 0.2\nrho = 0.3\n");
    cp_err err;
    const char *msg = load_fails("child.ini", &err);
    expect_in(msg, "child.ini:5: [shock a]: key 'rho' given twice (first on line 4)");
    tf_write(dir, "twice.ini",
             "[scenario]\nbase = base.ini\n[shock a]\nrho = 0.2\n[shock a]\ntime = ar1\n");
    msg = load_fails("twice.ini", &err);
    expect_in(msg, "twice.ini:5: [shock a] appears twice (first on line 3)");
}

Test(inherit, override_that_breaks_a_rule_points_at_the_child)
{
    tf_write(dir, "base.ini", base);
    /* b becomes ar1 without a rho: the error is at the child's section. */
    tf_write(dir, "child.ini", "[scenario]\nbase = base.ini\n\n[shock b]\ntime = ar1\n");
    cp_err err;
    const char *msg = load_fails("child.ini", &err);
    expect_in(msg, "child.ini:4: [shock b]: time = ar1 needs a key 'rho'");
    tf_write(dir, "corr.ini", "[scenario]\nbase = base.ini\n[correlation]\na, nope = 0.1\n");
    msg = load_fails("corr.ini", &err);
    expect_in(msg, "corr.ini:4: [correlation]: 'nope' is not a shock");
}

Test(inherit, option_cost_and_its_errors)
{
    tf_write(dir, "base.ini", base);
    tf_write(dir, "opt.ini",
             "[scenario]\nbase = base.ini\n[option]\ncost_usd = 2e9\n"
             "note = a plant\n");
    cp_scenario sc;
    cp_err err;
    cr_assert_eq(load("opt.ini", &sc, &err), CP_OK, "%s", err.msg);
    cr_assert_float_eq(sc.cost_usd, 2e9, 0);
    cp_scenario_free(&sc);
    cr_assert_eq(load("base.ini", &sc, &err), CP_OK, "%s", err.msg);
    cr_assert(isnan(sc.cost_usd), "no [option]: no cost");
    cp_scenario_free(&sc);
    tf_write(dir, "bad.ini", "[scenario]\nbase = base.ini\n[option]\ncost_usd = -1\n");
    expect_in(load_fails("bad.ini", &err), "bad.ini:4: [option]: key 'cost_usd'");
    tf_write(dir, "bad2.ini", "[scenario]\nbase = base.ini\n[option]\ncapex = 1\n");
    expect_in(load_fails("bad2.ini", &err), "bad2.ini:4: [option]: unknown key 'capex'");
}

Test(inherit, graph_overrides_keep_their_file)
{
    char b[sizeof base + 64];
    snprintf(b, sizeof b, "%s[param x]\nlead = 4\n", base); /* line 27-28 */
    tf_write(dir, "base.ini", b);
    tf_write(dir, "child.ini",
             "[scenario]\nbase = base.ini\n[series y]\n"
             "ramp = 2026Q1:0, 2026Q3:10, 2027Q1:10\n2027Q4 = 3\n");
    cp_scenario sc;
    cp_err err;
    cr_assert_eq(load("child.ini", &sc, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(sc.n_overrides, 4);
    cr_assert_eq(sc.overrides[0].kind, CP_OVERRIDE_PARAM);
    cr_assert_str_eq(sc.overrides[0].param, "lead");
    cr_assert_eq(sc.overrides[0].line, 28);
    cr_assert_not_null(strstr(sc.overrides[0].file, "base.ini"));
    cr_assert_not_null(strstr(sc.overrides[1].file, "child.ini"));
    cr_assert_eq(sc.overrides[1].period_end - sc.overrides[1].period, 2);
    cr_assert_float_eq(sc.overrides[2].value, 10, 0);
    cr_assert_eq(sc.overrides[3].period, sc.overrides[3].period_end);
    cp_scenario_free(&sc);
    tf_write(dir, "bad.ini", "[scenario]\nbase = base.ini\n[series y]\nramp = 2026Q1:0\n");
    expect_in(load_fails("bad.ini", &err), "bad.ini:4: [series y]: key 'ramp' needs at least two");
    tf_write(dir, "bad2.ini", "[scenario]\nbase = base.ini\n[series y]\n2026Q5 = 1\n");
    expect_in(load_fails("bad2.ini", &err), "bad2.ini:4: [series y]: key '2026Q5'");
    tf_write(dir, "bad3.ini", "[scenario]\nbase = base.ini\n[param y]\nlead = soon\n");
    expect_in(load_fails("bad3.ini", &err), "bad3.ini:4: [param y]: key 'lead': 'soon'");
    tf_write(dir, "twice.ini",
             "[scenario]\nbase = base.ini\n[param x]\nlead = 2\n[param x]\nlead = 3\n");
    expect_in(load_fails("twice.ini", &err),
              "twice.ini:6: [param x]: key 'lead' given twice (first on line 4)");
    /* A [series] key, a quarter or 'ramp', is once per section too; another
     * quarter, or a ramp beside a quarter, is not the same key; the section
     * may come again (--print-resolved writes a ramp's segments so), its
     * changes applied in order. */
    tf_write(dir, "twice2.ini",
             "[scenario]\nbase = base.ini\n[series y]\n2027Q1 = 2\n2027Q2 = 2\n2027Q1 = 3\n");
    expect_in(load_fails("twice2.ini", &err),
              "twice2.ini:6: [series y]: key '2027Q1' given twice (first on line 4)");
    tf_write(dir, "twice3.ini",
             "[scenario]\nbase = base.ini\n[series y]\nramp = 2026Q1:0, 2026Q3:1\n"
             "2026Q2 = 5\nramp = 2027Q1:0, 2027Q3:1\n");
    expect_in(load_fails("twice3.ini", &err),
              "twice3.ini:6: [series y]: key 'ramp' given twice (first on line 4)");
    tf_write(dir, "again.ini",
             "[scenario]\nbase = base.ini\n[series y]\nramp = 2026Q1:0, 2026Q3:1\n2027Q1 = 2\n"
             "[series y]\nramp = 2026Q3:1, 2027Q1:4\n2027Q1 = 3\n");
    cr_assert_eq(load("again.ini", &sc, &err), CP_OK, "%s", err.msg);
    cr_assert_float_eq(sc.overrides[sc.n_overrides - 1].value, 3, 0);
    cp_scenario_free(&sc);
    tf_write(dir, "child2.ini",
             "[scenario]\nbase = child.ini\n[series y]\nramp = 2026Q1:0, 2026Q2:1\n2027Q4 = 5\n");
    cr_assert_eq(load("child2.ini", &sc, &err), CP_OK, "%s", err.msg);
    cr_assert_float_eq(sc.overrides[sc.n_overrides - 1].value, 5, 0);
    cp_scenario_free(&sc);
    /* ... but a child may override its base's value. */
    tf_write(dir, "over.ini", "[scenario]\nbase = base.ini\n[param x]\nlead = 2\n");
    cr_assert_eq(load("over.ini", &sc, &err), CP_OK, "%s", err.msg);
    cr_assert_float_eq(sc.overrides[sc.n_overrides - 1].value, 2, 0);
    cp_scenario_free(&sc);
}

/* A stress and an option that both build on the same base, combined: the
 * shared base is read once, so it does not undo the stress's changes. */
Test(inherit, two_bases_with_a_common_base)
{
    tf_write(dir, "base.ini", base);
    tf_write(dir, "stress.ini",
             "[scenario]\nbase = base.ini\n[shock a]\ndistribution = constant(value=0.5)\n"
             "[event e]\nprobability = 0.9\n");
    tf_write(dir, "option.ini",
             "[scenario]\nbase = base.ini\ndescription = the option\n[option]\ncost_usd = 7\n"
             "[shock c]\ndistribution = constant(value=2)\ntime = once\ntargets = y\n");
    tf_write(dir, "both.ini",
             "[scenario]\nbase = stress.ini, option.ini\n[event e]\n"
             "probability = 0.2\n");
    cp_scenario sc;
    cp_err err;
    cr_assert_eq(load("both.ini", &sc, &err), CP_OK, "%s", err.msg);
    cr_assert_str_eq(sc.name, "both");
    cr_assert_eq(sc.n_files, 4, "both, stress, base, option: the base once");
    cr_assert_eq(sc.n_shocks, 3);
    cr_assert_eq(sc.shocks[0].dist.kind, CP_DIST_CONSTANT, "the stress's change survives");
    cr_assert_str_eq(sc.shocks[2].name, "c");
    cr_assert_float_eq(sc.cost_usd, 7, 0);
    cr_assert_str_eq(sc.description, "the option");
    cr_assert_float_eq(sc.events[0].probability, 0.2, 0, "the file's own keys come last");
    cp_scenario_free(&sc);
    /* Later bases win over earlier ones. */
    tf_write(dir, "both2.ini", "[scenario]\nbase = option.ini, stress.ini\n");
    cr_assert_eq(load("both2.ini", &sc, &err), CP_OK, "%s", err.msg);
    cr_assert_float_eq(sc.events[0].probability, 0.9, 0);
    cp_scenario_free(&sc);
    tf_write(dir, "bad.ini", "[scenario]\nbase = stress.ini, nowhere.ini\n");
    expect_in(load_fails("bad.ini", &err), "bad.ini:2: [scenario]: key 'base': cannot read");
    tf_write(dir, "bad2.ini", "[scenario]\nbase = stress.ini,\n");
    expect_in(load_fails("bad2.ini", &err),
              "bad2.ini:2: [scenario]: key 'base': 'stress.ini,' is not a list");
    tf_write(dir, "loop.ini", "[scenario]\nbase = stress.ini, loop.ini\n");
    expect_in(load_fails("loop.ini", &err), "a loop of base scenarios");
}

/* An option's cost prices its difference from a base only when that
 * difference is the option's alone: built on the base, reading nothing
 * beyond it but its own file and the file that gave the cost. */
Test(inherit, a_cost_prices_only_the_options_own_difference)
{
    tf_write(dir, "base.ini", base);
    tf_write(dir, "stress.ini", "[scenario]\nbase = base.ini\n[event e]\nprobability = 0.9\n");
    tf_write(dir, "option.ini", "[scenario]\nbase = base.ini\n[option]\ncost_usd = 7\n");
    tf_write(dir, "stress-with-option.ini", "[scenario]\nbase = stress.ini, option.ini\n");
    tf_write(dir, "stress-with-own.ini", "[scenario]\nbase = stress.ini\n[option]\ncost_usd = 3\n");
    tf_write(dir, "option-more.ini",
             "[scenario]\nbase = option.ini\n[event e]\n"
             "probability = 0.5\n");
    const char *names[] = {"base.ini",
                           "stress.ini",
                           "option.ini",
                           "stress-with-option.ini",
                           "stress-with-own.ini",
                           "option-more.ini"};
    enum { BASE, STRESS, OPTION, STRESS_OPTION, STRESS_OWN, OPTION_MORE, N };
    cp_scenario sc[N];
    cp_err err;
    for (int i = 0; i < N; i++)
        cr_assert_eq(load(names[i], &sc[i], &err), CP_OK, "%s", err.msg);
    cr_assert_eq(sc[STRESS_OPTION].cost_file, 3, "the cost comes from option.ini, read fourth");
    static const struct {
        int option, base, priced;
        const char *why;
    } cases[] = {
        {OPTION, BASE, 1, ""},
        {STRESS_OPTION, STRESS, 1, ""},
        {STRESS_OWN, STRESS, 1, ""},
        {STRESS_OPTION, BASE, 0, "also built on"}, /* carries the stress */
        {STRESS_OWN, BASE, 0, "also built on"},
        {OPTION, STRESS, 0, "is not built on"}, /* the stress is not under it */
        {STRESS_OPTION, OPTION, 0, "already has its cost"},
        {OPTION_MORE, OPTION, 0, "already has its cost"},
        {STRESS, BASE, 0, "no [option] cost_usd"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char why[9000];
        const int got =
            cp_scenario_priced_against(&sc[cases[i].option], &sc[cases[i].base], why, sizeof why);
        cr_assert_eq(got, cases[i].priced, "%s against %s", names[cases[i].option],
                     names[cases[i].base]);
        cr_assert(strstr(why, cases[i].why), "%s against %s: '%s' lacks '%s'",
                  names[cases[i].option], names[cases[i].base], why, cases[i].why);
    }
    for (int i = 0; i < N; i++)
        cp_scenario_free(&sc[i]);
}
