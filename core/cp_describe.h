/* cp_describe.h -- `validate`'s output: a loaded scenario's overview, and
 * the scenario with its bases applied as one INI file. */
#ifndef CP_DESCRIBE_H
#define CP_DESCRIBE_H

#include "cp_graph.h"
#include "cp_scenario.h"

/* Prints the scenario, its bases, horizon, inputs, shocks, events and
 * warnings to stdout. */
void cp_describe_overview(const cp_scenario *sc, const cp_graph *g);

/* Prints the scenario with its bases applied, as an INI file that loads to
 * the same scenario. */
void cp_describe_resolved(const cp_scenario *sc);

#endif
