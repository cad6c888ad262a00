/* fuzz_csv.c -- libFuzzer harness of the CSV reader (cp_csv): any bytes
 * must give a table or an error, never a crash, leak or undefined
 * behaviour; every cell of a table read back as a number or an error. */
#include "fuzz_common.h"

#include "cp_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("t.csv", data, size);
    cp_table t;
    cp_err err;
    if (cp_table_read(path, &t, &err) == CP_OK) {
        for (size_t r = 0; r < t.n_rows; r++)
            for (size_t c = 0; c < t.n_cols; c++) {
                double v;
                (void)cp_table_double(&t, r, (int)c, &v, &err);
            }
        (void)cp_table_column(&t, "node");
        cp_table_free(&t);
    }
    return 0;
}
