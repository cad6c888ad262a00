/* fuzz_scenario.c -- libFuzzer harness of the scenario reader
 * (cp_scenario): any bytes as a scenario file give a scenario or an
 * error (seeds: the files of scenarios/).  Bases and inputs it names are not
 * there, which the reader must say, not trip over. */
#include "fuzz_common.h"

#include "cp_scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("s.ini", data, size);
    cp_scenario sc;
    cp_err err;
    if (cp_scenario_load(path, &sc, &err) == CP_OK)
        cp_scenario_free(&sc);
    return 0;
}
