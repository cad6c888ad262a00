/* fuzz_graph.c -- libFuzzer harness of the graph loader (cp_graph): the
 * input is the five files of an inputs directory, nodes, edges, params,
 * series and metrics, separated by lines "%%" (a seed: the files of inputs/
 * joined so, by jobs/test.sh).  Any bytes: a graph or an error. */
#include "fuzz_common.h"

#include "cp_graph.h"
#include "cp_period.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const files[5] = {"nodes.csv", "edges.csv", "params.csv", "series.csv",
                                         "metrics.csv"};
    size_t at = 0;
    for (int f = 0; f < 5; f++) {
        size_t end = at;
        while (end < size && !(end + 3 <= size && memcmp(data + end, "%%\n", 3) == 0 &&
                               (end == 0 || data[end - 1] == '\n')))
            end++;
        fuzz_write(files[f], data + at, end - at);
        at = end + 3 <= size ? end + 3 : size;
    }
    int start;
    cp_period_parse("2026Q1", &start, NULL);
    cp_graph g;
    cp_err err;
    if (cp_graph_load(fuzz_dir, start, 8, &g, &err) == CP_OK)
        cp_graph_free(&g);
    return 0;
}
