/* test_args.c -- the command line's counts and option names (issue 14):
 * one maximum for sample counts, "too large" told apart from "malformed",
 * and long options only by their full names. */
#include <criterion/criterion.h>

#include "cp_args.h"

Test(args, counts_up_to_the_maximum)
{
    uint64_t v = 0;
    cr_expect_eq(cp_args_count("9007199254740992", CP_SAMPLES_MAX, &v), CP_COUNT_OK);
    cr_expect_eq(v, CP_SAMPLES_MAX);
    cr_expect_eq(cp_args_count("1e6", CP_SAMPLES_MAX, &v), CP_COUNT_OK);
    cr_expect_eq(v, 1000000);
    cr_expect_eq(cp_args_count("0", CP_SAMPLES_MAX, &v), CP_COUNT_OK);
}

Test(args, too_large_is_not_malformed)
{
    uint64_t v = 7;
    static const char *const large[] = {"9007199254740993",
                                        "18446744073709551361",
                                        "18446744073709551615",
                                        "18446744073709551616",
                                        "99999999999999999999999",
                                        "1e30",
                                        "1e400"};
    for (size_t i = 0; i < sizeof large / sizeof large[0]; i++)
        cr_expect_eq(cp_args_count(large[i], CP_SAMPLES_MAX, &v), CP_COUNT_TOO_LARGE, "%s",
                     large[i]);
    static const char *const bad[] = {"",    "lots", "1.5",  "-3",   "1e-400",
                                      "nan", "inf",  "0x10", "12abc"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(cp_args_count(bad[i], CP_SAMPLES_MAX, &v), CP_COUNT_MALFORMED, "'%s'", bad[i]);
    cr_expect_eq(v, 7, "a refused value leaves the output alone");
    cr_expect_eq(cp_args_count("18446744073709551615", UINT64_MAX, &v), CP_COUNT_OK);
    cr_expect_eq(v, UINT64_MAX);
}

Test(args, intervals)
{
    uint64_t n = 0;
    double s = 0;
    cr_expect(cp_args_interval("300s", &n, &s) && s == 300);
    cr_expect(cp_args_interval("5000", &n, &s) && n == 5000);
    cr_expect(!cp_args_interval("0", &n, &s));
    cr_expect(!cp_args_interval("s", &n, &s));
    cr_expect(!cp_args_interval("1e30", &n, &s));
}

static int parse(int argc, char **argv)
{
    static const struct option opts[] = {{"samples", required_argument, NULL, 'n'},
                                         {"force", no_argument, NULL, 'f'},
                                         {NULL, 0, NULL, 0}};
    optind = 0; /* a full reset of GNU getopt between argument vectors */
    int c, last = 0;
    while ((c = cp_args_getopt(argc, argv, "n:f", opts, "test")) != -1) {
        if (c == '?')
            return '?';
        last = c;
    }
    return last;
}

Test(args, long_options_by_full_names_only)
{
    char *full[] = {"x", "--samples", "10", "--force", NULL};
    cr_expect_eq(parse(4, full), 'f');
    char *joined[] = {"x", "file.ini", "--samples=10", NULL};
    cr_expect_eq(parse(3, joined), 'n');
    char *shortopt[] = {"x", "-n", "10", NULL};
    cr_expect_eq(parse(3, shortopt), 'n');
    char *abbreviated[] = {"x", "--sample", "10", NULL};
    cr_expect_eq(parse(3, abbreviated), '?');
    char *abbreviated_eq[] = {"x", "file.ini", "--sam=10", NULL};
    cr_expect_eq(parse(3, abbreviated_eq), '?');
    char *flag[] = {"x", "--for", NULL};
    cr_expect_eq(parse(2, flag), '?');
}
