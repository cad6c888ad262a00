/* test_batch.c -- batch files: what is accepted, and each mistake named by
 * file, line and field. */
#include "cp_test_files.h"

#include "cp_batch.h"

static char *dir;
static char path[4096];

static void setup(void)
{
    dir = tf_mkdtemp();
    snprintf(path, sizeof path, "%s/b.csv", dir);
}

static void teardown(void)
{
    tf_rm_rf(dir);
}

TestSuite(batch, .init = setup, .fini = teardown);

static const char *fails(const char *text, cp_err *err)
{
    tf_write(dir, "b.csv", text);
    cp_batch b;
    cr_assert_neq(cp_batch_load(path, &b, err), CP_OK, "accepted:\n%s", text);
    cr_assert_eq(b.n, 0);
    return err->msg;
}

Test(batch, loads_entries_with_paths_relative_to_the_file)
{
    tf_write(dir, "b.csv",
             "name,scenario,samples,seed,out,keep_samples\n"
             "a,s/base.ini,1000,42,out/a,10\n"
             "b,/abs/x.ini,5,0,/abs/out,\n");
    cp_batch b;
    cp_err err;
    cr_assert_eq(cp_batch_load(path, &b, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(b.n, 2);
    char want[4200];
    snprintf(want, sizeof want, "%s/s/base.ini", dir);
    cr_assert_str_eq(b.entries[0].scenario, want);
    snprintf(want, sizeof want, "%s/out/a", dir);
    cr_assert_str_eq(b.entries[0].out, want);
    cr_assert_eq(b.entries[0].samples, 1000);
    cr_assert_eq(b.entries[0].seed, 42);
    cr_assert_eq(b.entries[0].keep_samples, 10);
    cr_assert_str_eq(b.entries[1].scenario, "/abs/x.ini");
    cr_assert_eq(b.entries[1].keep_samples, 0, "an empty keep_samples is 0");
    cp_batch_free(&b);
}

Test(batch, keep_samples_column_is_optional)
{
    tf_write(dir, "b.csv", "name,scenario,samples,seed,out\na,s.ini,1,1,o\n");
    cp_batch b;
    cp_err err;
    cr_assert_eq(cp_batch_load(path, &b, &err), CP_OK, "%s", err.msg);
    cp_batch_free(&b);
}

Test(batch, mistakes)
{
    cp_err err;
    TF_CONTAINS(fails("name,scenario,samples,seed\na,s.ini,1,1\n", &err), "b.csv", "'out'");
    TF_CONTAINS(fails("name,scenario,samples,seed,out\n", &err), "no runs");
    TF_CONTAINS(fails("name,scenario,samples,seed,out\na,s.ini,1e6,1,o\n", &err), "b.csv:2",
                "field 'samples'", "'1e6' is not a whole number");
    TF_CONTAINS(fails("name,scenario,samples,seed,out\na,s.ini,0,1,o\n", &err), "b.csv:2",
                "at least 1");
    TF_CONTAINS(fails("name,scenario,samples,seed,out\na,s.ini,5,-1,o\n", &err), "b.csv:2",
                "field 'seed'");
    TF_CONTAINS(fails("name,scenario,samples,seed,out\na b,s.ini,5,1,o\n", &err), "b.csv:2",
                "field 'name'");
    TF_CONTAINS(fails("name,scenario,samples,seed,out\na,,5,1,o\n", &err), "b.csv:2",
                "field 'scenario'", "path is required");
    TF_CONTAINS(fails("name,scenario,samples,seed,out\na,s.ini,5,1,o\nb,s.ini,5,2,o\n", &err),
                "b.csv:3", "field 'out'", "used twice (first on line 2)");
    TF_CONTAINS(fails("name,scenario,samples,seed,out\na,s.ini,5,1,o\na,s.ini,5,2,p\n", &err),
                "b.csv:3", "name 'a' is used twice");
    TF_CONTAINS(fails("name,scenario,samples,seed,out\na,s.ini,5,1\n", &err), "b.csv:2",
                "expected 5 fields");
}

/* ---- comparisons ------------------------------------------------------ */

Test(batch, compare_column_names_options_relative_to_the_file)
{
    tf_write(dir, "o1.ini", "");
    tf_write(dir, "o2.ini", "");
    tf_write(dir, "b.csv",
             "name,scenario,samples,seed,out,compare\n"
             "plain,s.ini,10,1,out/p,\n"
             "cmp,s.ini,10,1,out/c, o1.ini ;o2.ini\n");
    cp_batch b;
    cp_err err;
    cr_assert_eq(cp_batch_load(path, &b, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(b.n, 2);
    cr_assert_eq(b.entries[0].n_options, 0, "an empty compare cell is a plain run");
    cr_assert_null(b.entries[0].options);
    cr_assert_eq(b.entries[1].n_options, 2);
    char want[4200];
    snprintf(want, sizeof want, "%s/o1.ini", dir);
    cr_assert_str_eq(b.entries[1].options[0], want, "blanks around a path are trimmed");
    snprintf(want, sizeof want, "%s/o2.ini", dir);
    cr_assert_str_eq(b.entries[1].options[1], want);
    cp_batch_free(&b);
}

Test(batch, compare_column_mistakes)
{
    cp_err err;
    tf_write(dir, "o1.ini", "");
    const char *head = "name,scenario,samples,seed,out,keep_samples,compare\n";
    char text[512];
    snprintf(text, sizeof text, "%sa,s.ini,5,1,o,,o1.ini\nb,s.ini,5,1,p,,o1.ini;nowhere.ini\n",
             head);
    TF_CONTAINS(fails(text, &err), "b.csv:3", "field 'compare'", "option 'nowhere.ini'",
                "nowhere.ini): cannot read");
    snprintf(text, sizeof text, "%sa,s.ini,5,1,o,,o1.ini;;o1.ini\n", head);
    TF_CONTAINS(fails(text, &err), "b.csv:2", "field 'compare'", "an empty option path");
    snprintf(text, sizeof text, "%sa,s.ini,5,1,o,,o1.ini;\n", head);
    TF_CONTAINS(fails(text, &err), "b.csv:2", "field 'compare'", "an empty option path");
    snprintf(text, sizeof text, "%sa,s.ini,5,1,o,3,o1.ini\n", head);
    TF_CONTAINS(fails(text, &err), "b.csv:2", "field 'keep_samples'", "keeps no samples");
    /* The first option read fine and was allocated before the second failed:
     * nothing may leak (the sanitizer build checks). */
    snprintf(text, sizeof text, "%sa,s.ini,5,1,o,,o1.ini;o1.ini;gone.ini\n", head);
    TF_CONTAINS(fails(text, &err), "b.csv:2", "option 'gone.ini'");
}
