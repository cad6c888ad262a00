/* fuzz_common.h -- what the libFuzzer harnesses share: a private
 * temporary directory, and writing the fuzzer's bytes into files there
 * (the readers under test take paths, as the program does). */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir[64];

static void fuzz_cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", fuzz_dir);
}

static void fuzz_make_dir(void)
{
    snprintf(fuzz_dir, sizeof fuzz_dir, "/tmp/cp-fuzz-XXXXXX");
    if (!mkdtemp(fuzz_dir))
        abort();
    atexit(fuzz_cleanup);
}

/* Writes n bytes to fuzz_dir/name; returns the path (static). */
static const char *fuzz_write(const char *name, const uint8_t *data, size_t n)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", fuzz_dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp || (n && fwrite(data, 1, n, fp) != n) || fclose(fp) != 0)
        abort();
    return path;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A harness that needs more at start defines FUZZ_INIT_HOOK() first. */
#ifndef FUZZ_INIT_HOOK
#define FUZZ_INIT_HOOK()
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_make_dir();
    FUZZ_INIT_HOOK();
    return 0;
}

#endif
