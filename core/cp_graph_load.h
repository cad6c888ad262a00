/* cp_graph_load.h -- what the graph loader's files share (cp_graph.c and
 * cp_graph_metrics.c); not for other modules, which use cp_graph.h. */
#ifndef CP_GRAPH_LOAD_H
#define CP_GRAPH_LOAD_H

#include "cp_csv.h"
#include "cp_graph.h"

/* Reads dir/file as a table. */
int cp_graph_open_table(const char *dir, const char *file, cp_table *t, cp_err *err);
/* The node named in a cell, or an error naming the file, line and field. */
int cp_graph_find_cell(const cp_graph *g, const cp_table *t, size_t row, int col, int *node,
                       cp_err *err);
/* A warning for each row of t without a source (see cp_graph.h). */
int cp_graph_warn_unsourced(cp_graph *g, const cp_table *t, cp_err *err);
/* 1 if a metric can read the field of a node of this kind. */
int cp_graph_has_field(cp_node_kind kind, cp_field field);
/* metrics.csv, after the nodes: g->metrics and g->terms. */
int cp_graph_load_metrics(cp_graph *g, cp_err *err);

#endif
