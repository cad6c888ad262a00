/* cp_loaded.h -- a scenario file with everything it needs to be simulated:
 * the scenario, its graph (the scenario's inputs with its overrides) and
 * the model that binds the two.  What every command that runs a scenario
 * loads first. */
#ifndef CP_LOADED_H
#define CP_LOADED_H

#include "cp_error.h"
#include "cp_graph.h"
#include "cp_model.h"
#include "cp_scenario.h"

typedef struct cp_loaded {
    cp_scenario sc;
    cp_graph g;
    cp_model *m;
} cp_loaded;

/* Loads the scenario at path, its inputs and its model into *l.  On
 * failure nothing is left to free, and err names the file, line and field
 * (an inputs error says which scenario's inputs). */
int cp_loaded_open(const char *path, cp_loaded *l, cp_err *err);
void cp_loaded_close(cp_loaded *l);

#endif
