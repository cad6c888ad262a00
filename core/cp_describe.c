/* cp_describe.c -- what `validate` prints: a scenario's overview (horizon,
 * inputs, shocks, events, warnings) and the scenario with its bases applied
 * as one INI file (--print-resolved), which must load to the same scenario
 * (tests/e2e/library.sh round-trips every file of scenarios/). */
#include "cp_describe.h"
#include "cp_dist.h"
#include "cp_period.h"

#include <math.h>
#include <stdio.h>

static void print_targets(const cp_target *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%s%s%s%s", i ? ", " : "", t[i].node, t[i].param[0] ? "." : "", t[i].param);
}

void cp_describe_overview(const cp_scenario *sc, const cp_graph *g)
{
    char a[16], b[16], spec[256];
    cp_period_format(sc->start, a, sizeof a);
    cp_period_format(sc->end, b, sizeof b);
    printf("scenario %s (%s)\n", sc->name, sc->path);
    for (size_t i = 1; i < sc->n_files; i++)
        printf("  base     %s\n", sc->files[i]);
    if (sc->n_overrides) {
        size_t count[4] = {0};
        for (size_t i = 0; i < sc->n_overrides; i++)
            count[sc->overrides[i].kind]++;
        printf("  inputs   changed by the scenario: %zu parameter(s), %zu series change(s), %zu "
               "node(s) and %zu edge(s) added\n",
               count[CP_OVERRIDE_PARAM], count[CP_OVERRIDE_SERIES], count[CP_OVERRIDE_NODE],
               count[CP_OVERRIDE_EDGE]);
    }
    if (!isnan(sc->cost_usd))
        printf("  option   cost %.4g USD\n", sc->cost_usd);
    printf("  horizon  %s to %s, %d quarters\n", a, b, g->n_periods);
    printf("  inputs   %s: %zu nodes, %zu edges, %zu metric series (%zu cells per sample)\n",
           g->dir, g->n_nodes, g->n_edges, g->n_metrics, g->n_metrics * (size_t)g->n_periods);
    for (size_t i = 0; i < sc->n_shocks; i++) {
        const cp_shock *s = &sc->shocks[i];
        cp_dist_format(&s->dist, spec, sizeof spec);
        printf("  shock    %s: %s, %s", s->name, spec, cp_scenario_time_name(s->time));
        if (s->time == CP_TIME_AR1)
            printf(" (rho %g)", s->rho);
        printf(" -> ");
        print_targets(s->targets, s->n_targets);
        printf("\n");
    }
    for (size_t i = 0; i < sc->n_events; i++) {
        const cp_event *e = &sc->events[i];
        if (e->start >= 0) {
            char d[16];
            cp_period_format(e->start, d, sizeof d);
            printf("  event    %s: p = %g in %s only -> ", e->name, e->probability, d);
        } else {
            printf("  event    %s: p = %g per quarter%s -> ", e->name, e->probability,
                   e->once ? ", at most once" : "");
        }
        print_targets(e->targets, e->n_targets);
        printf("\n");
    }
    for (size_t i = 0; i < sc->n_warnings; i++)
        printf("warning: %s\n", sc->warnings[i]);
    for (size_t i = 0; i < g->n_warnings; i++)
        printf("warning: %s\n", g->warnings[i]);
}

/* The scenario after inheritance, as an INI file that loads to the same
 * scenario (with inputs and empirical files as resolved paths). */
void cp_describe_resolved(const cp_scenario *sc)
{
    char a[16], b[16], spec[256];
    /* One file a line: the INI reader's lines are short. */
    printf("; %s resolved\n", sc->path);
    for (size_t i = 1; i < sc->n_files; i++)
        printf(";   base %s\n", sc->files[i]);
    printf("[scenario]\nname = %s\n", sc->name);
    if (sc->description[0])
        printf("description = %s\n", sc->description);
    cp_period_format(sc->start, a, sizeof a);
    cp_period_format(sc->end, b, sizeof b);
    /* The inputs path is as resolved, i.e. relative to the working directory. */
    printf("inputs = %s ; relative to the working directory\nstart = %s\nend = %s\n", sc->inputs, a,
           b);
    if (!isnan(sc->cost_usd))
        printf("\n[option]\ncost_usd = %.15g\n", sc->cost_usd);
    for (size_t i = 0; i < sc->n_shocks; i++) {
        const cp_shock *s = &sc->shocks[i];
        cp_dist_format(&s->dist, spec, sizeof spec);
        printf("\n[shock %s]\ndistribution = %s\ntime = %s\n", s->name, spec,
               cp_scenario_time_name(s->time));
        if (s->time == CP_TIME_AR1)
            printf("rho = %.15g\n", s->rho);
        printf("targets = ");
        print_targets(s->targets, s->n_targets);
        printf("\n");
    }
    for (size_t i = 0; i < sc->n_events; i++) {
        const cp_event *e = &sc->events[i];
        printf("\n[event %s]\nprobability = %.15g\n", e->name, e->probability);
        cp_dist_format(&e->duration, spec, sizeof spec);
        printf("duration = %s\n", spec);
        cp_dist_format(&e->severity, spec, sizeof spec);
        printf("severity = %s\n", spec);
        if (e->start >= 0) {
            cp_period_format(e->start, a, sizeof a);
            printf("start = %s\n", a);
        } else if (e->once) {
            printf("once = true\n");
        }
        if (e->has_recovery) {
            cp_dist_format(&e->recovery, spec, sizeof spec);
            printf("recovery = %s\n", spec);
        }
        for (size_t k = 0, said = 0; k < e->n_targets; k++)
            if (e->exposure[k] != 1.0) {
                const cp_target *t = &e->targets[k];
                printf("%s%s%s%s:%.15g", said++ ? ", " : "exposure = ", t->node,
                       t->param[0] ? "." : "", t->param, e->exposure[k]);
            }
        for (size_t k = 0; k < e->n_targets; k++)
            if (e->exposure[k] != 1.0) {
                printf("\n");
                break;
            }
        if (e->has_lasting) {
            cp_dist_format(&e->lasting, spec, sizeof spec);
            printf("lasting = %s\nlasting_probability = %.15g\n", spec, e->lasting_probability);
        }
        printf("targets = ");
        print_targets(e->targets, e->n_targets);
        printf("\n");
    }
    for (size_t i = 0; i < sc->n_overrides; i++) {
        const cp_graph_override *o = &sc->overrides[i];
        if (o->kind == CP_OVERRIDE_PARAM) {
            printf("\n[param %s]\n%s = %.15g\n", o->node, o->param, o->value);
            continue;
        }
        if (o->kind == CP_OVERRIDE_NODE) {
            printf("\n[node %s]\nkind = %s\nregion = %s\nunit = %s\n", o->node,
                   cp_graph_kind_name(o->node_kind), o->region, o->unit);
            continue;
        }
        if (o->kind == CP_OVERRIDE_EDGE) {
            printf("\n[edge %s -> %s]\nrole = %s\nweight = %.15g\n", o->node, o->to,
                   cp_graph_role_name(o->role), o->weight);
            continue;
        }
        cp_period_format(o->period, a, sizeof a);
        cp_period_format(o->period_end, b, sizeof b);
        if (o->period == o->period_end)
            printf("\n[series %s]\n%s = %.15g\n", o->node, a, o->value);
        else
            printf("\n[series %s]\nramp = %s:%.15g, %s:%.15g\n", o->node, a, o->value, b,
                   o->value_end);
    }
    size_t n = sc->n_shocks;
    int header = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (sc->corr[i * n + j] != 0.0) {
                if (!header++)
                    printf("\n[correlation]\n");
                printf("%s, %s = %.15g\n", sc->shocks[i].name, sc->shocks[j].name,
                       sc->corr[i * n + j]);
            }
}
