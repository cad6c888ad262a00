/* cp_test_files.h -- temporary directories and files for tests.  Header-only
 * (static functions) so each test executable carries its own copy. */
#ifndef CP_TEST_FILES_H
#define CP_TEST_FILES_H

#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

static char *tf_mkdtemp(void)
{
    char tmpl[] = "/tmp/cp-test-XXXXXX";
    char *dir = mkdtemp(tmpl);
    cr_assert_not_null(dir, "mkdtemp failed");
    return strdup(dir);
}

static void tf_write(const char *dir, const char *name, const char *content)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    cr_assert_not_null(fp, "cannot write %s", path);
    fputs(content, fp);
    fclose(fp);
}

static int tf_remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void tf_rm_rf(char *dir)
{
    if (dir)
        nftw(dir, tf_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

/* Asserts that msg contains every one of the NULL-terminated needles. */
static inline void tf_assert_contains(const char *msg, const char *const *needles)
{
    for (; *needles; needles++)
        cr_assert(strstr(msg, *needles), "message lacks '%s': %s", *needles, msg);
}

#define TF_CONTAINS(msg, ...)                                                                      \
    do {                                                                                           \
        const char *const tf_needles_[] = {__VA_ARGS__, NULL};                                     \
        tf_assert_contains((msg), tf_needles_);                                                    \
    } while (0)

#endif
