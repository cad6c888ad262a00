/* cp_loaded.c -- see cp_loaded.h. */
#include "cp_loaded.h"

#include <string.h>

int cp_loaded_open(const char *path, cp_loaded *l, cp_err *err)
{
    memset(l, 0, sizeof *l);
    int rc = cp_scenario_load(path, &l->sc, err);
    if (rc)
        return rc;
    rc = cp_graph_load_with(l->sc.inputs, l->sc.start, l->sc.end - l->sc.start + 1, l->sc.overrides,
                            l->sc.n_overrides, &l->g, err);
    if (rc) {
        cp_err_wrap(err, "inputs of %s", path);
        cp_scenario_free(&l->sc);
        return rc;
    }
    rc = cp_model_build(&l->sc, &l->g, &l->m, err);
    if (rc) {
        cp_graph_free(&l->g);
        cp_scenario_free(&l->sc);
    }
    return rc;
}

void cp_loaded_close(cp_loaded *l)
{
    cp_model_free(l->m);
    cp_graph_free(&l->g);
    cp_scenario_free(&l->sc);
}
