/* cp_graph_load.h -- what the graph loader's files share (cp_graph.c,
 * cp_graph_metrics.c and cp_graph_order.c); not for other modules, which use cp_graph.h. */
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
/* Where edge e was given (edges.csv's line, or a scenario's), for messages. */
void cp_graph_edge_origin(const cp_graph *g, const cp_graph_override *ov, const cp_edge *e,
                          char *buf, size_t cap);
/* g->order: every node after its inputs, a market after its buyers' other
 * inputs; an error naming a cycle or a loop through a market. */
int cp_graph_sort(cp_graph *g, const cp_graph_override *ov, cp_err *err);

#endif
