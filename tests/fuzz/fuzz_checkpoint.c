/* fuzz_checkpoint.c -- libFuzzer harness of the checkpoint reader
 * (cp_checkpoint).  A mutated file nearly always fails its SHA-256, so
 * when the first byte is odd the harness re-signs the rest: the header
 * and the binary state behind the checksum get fuzzed too.  With
 * CP_FUZZ_SEED=DIR the harness first writes a valid checkpoint (with the
 * marker byte) to DIR/valid as the seed. */
static void seed_if_asked(void);
#define FUZZ_INIT_HOOK() seed_if_asked()
#include "fuzz_common.h"

#include "cp_checkpoint.h"
#include "cp_stats.h"

#include <openssl/evp.h>

enum { CELLS = 3, WIDTH = 3 };

static cp_run_identity identity(void)
{
    cp_run_identity id = {.seed = 42, .samples = 1000, .keep_samples = 2};
    strcpy(id.kind, "run");
    strcpy(id.version, "0.1.0");
    strcpy(id.commit, "abc123");
    strcpy(id.scenario, "fuzz");
    memset(id.scenario_sha256, 'a', 64);
    memset(id.inputs_sha256, 'b', 64);
    return id;
}

static void write_seed(const char *dir)
{
    cp_stats *st = cp_stats_alloc(CELLS);
    double v[CELLS * 4] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    cp_err err;
    double kept[2 * WIDTH] = {0, 1.5, -2, 1, 4, 5};
    const cp_run_identity id = identity();
    const cp_checkpoint ck = {
        .next_chunk = 2, .stats = st, .kept = kept, .n_kept = 2, .kept_width = WIDTH};
    if (!st || cp_stats_add_columns(st, v, 4, 4, &err) ||
        cp_checkpoint_write(fuzz_dir, &id, &ck, &err))
        abort();
    char from[128], to[4200];
    snprintf(from, sizeof from, "%s/%s", fuzz_dir, CP_CHECKPOINT_FILE);
    snprintf(to, sizeof to, "%s/valid", dir);
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    if (!in || !out)
        abort();
    fputc(1, out); /* re-sign */
    int c;
    while ((c = fgetc(in)) != EOF)
        fputc(c, out);
    fclose(in);
    fclose(out);
    cp_stats_free(st);
}

static void seed_if_asked(void)
{
    const char *seed = getenv("CP_FUZZ_SEED");
    if (seed)
        write_seed(seed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const int resign = data[0] & 1;
    data++;
    size--;
    uint8_t *bytes = malloc(size + 32);
    if (!bytes)
        return 0;
    memcpy(bytes, data, size);
    size_t n = size;
    if (resign && size >= 32) {
        unsigned int len = 0;
        EVP_Digest(bytes, size - 32, bytes + size - 32, &len, EVP_sha256(), NULL);
    }
    fuzz_write(CP_CHECKPOINT_FILE, bytes, n);
    free(bytes);
    const cp_run_identity id = identity();
    cp_run_identity seen;
    uint64_t next;
    cp_err err;
    (void)cp_checkpoint_peek(fuzz_dir, &seen, &next, &err);
    cp_stats *st = cp_stats_alloc(CELLS);
    cp_checkpoint ck = {.stats = st, .kept_width = WIDTH};
    if (st && cp_checkpoint_read(fuzz_dir, &id, &ck, &err) == CP_OK)
        free(ck.kept);
    cp_stats_free(st);
    return 0;
}
