/* cp_output.c -- see cp_output.h. */
#include "cp_output.h"
#include "cp_period.h"
#include "cp_version.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

const double cp_output_probs[9] = {0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99};

/* The files a run or comparison may write at the top of its directory;
 * --force removes exactly these. */
static const char *const run_files[] = {
    "summary.csv",    "binding.csv", "samples.csv", "manifest.json",
    "checkpoint.bin", "compare.csv", "tornado.csv", NULL};

/* ---- the output directory --------------------------------------------- */

static int mkdir_parents(const char *dir, cp_err *err)
{
    char path[4096];
    if (!*dir)
        return cp_err_set(err, CP_EINVAL, "the output directory is named by an empty string");
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return cp_err_set(err, CP_EINVAL, "output path too long: %s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return cp_err_set(err, CP_EIO, "%s: cannot create directory: %s", path,
                              strerror(errno));
        *p = '/';
    }
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return cp_err_set(err, CP_EIO, "%s: cannot create directory: %s", path, strerror(errno));
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return cp_err_set(err, CP_EIO, "%s: exists and is not a directory", path);
    return CP_OK;
}

/* A temporary file a killed run left: ".NAME.tmp.PID" for one of the
 * files a run writes (cp_outfile_open's name). */
static int is_leftover(const char *entry)
{
    for (int i = 0; run_files[i]; i++) {
        const size_t n = strlen(run_files[i]);
        if (entry[0] != '.' || strncmp(entry + 1, run_files[i], n) != 0 ||
            strncmp(entry + 1 + n, ".tmp.", 5) != 0)
            continue;
        const char *pid = entry + 1 + n + 5;
        if (*pid && strspn(pid, "0123456789") == strlen(pid))
            return 1;
    }
    return 0;
}

/* Empty but for a killed run's temporary files, which hold nothing a
 * user made or could want. */
static int dir_is_empty(const char *dir, int *empty, cp_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return cp_err_set(err, CP_EIO, "%s: cannot open directory: %s", dir, strerror(errno));
    *empty = 1;
    const struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
            !is_leftover(e->d_name)) {
            *empty = 0;
            break;
        }
    closedir(d);
    return CP_OK;
}

void cp_output_clear_leftovers(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    const struct dirent *e;
    while ((e = readdir(d)))
        if (is_leftover(e->d_name)) {
            char path[4400];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    closedir(d);
}

int cp_output_check_writable(const char *dir, cp_err *err)
{
    if (!*dir)
        return cp_err_set(err, CP_EINVAL, "the output directory is named by an empty string");
    /* The nearest directory that exists must take a new entry. */
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return cp_err_set(err, CP_EINVAL, "output path too long: %s", dir);
    for (;;) {
        struct stat sb;
        if (stat(path, &sb) == 0) {
            if (!S_ISDIR(sb.st_mode))
                return cp_err_set(err, CP_EIO, "%s: exists and is not a directory", path);
            /* A file made and removed, which permissions, a read-only
             * file system or a full quota all refuse as the outputs would. */
            char probe[4200];
            snprintf(probe, sizeof probe, "%s/.write-test.%ld", path, (long)getpid());
            const int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0600);
            if (fd < 0)
                return cp_err_set(err, CP_EIO, "%s: cannot write there: %s", path, strerror(errno));
            close(fd);
            unlink(probe);
            return CP_OK;
        }
        char *slash = strrchr(path, '/');
        if (!slash)
            return CP_OK; /* relative: the working directory, created below it */
        if (slash == path) {
            path[1] = '\0';
            continue;
        }
        *slash = '\0';
    }
}

int cp_output_prepare_dir(const char *dir, int force, cp_err *err)
{
    int rc = cp_output_check_writable(dir, err);
    if (!rc)
        rc = mkdir_parents(dir, err);
    if (rc)
        return rc;
    int empty = 0;
    if ((rc = dir_is_empty(dir, &empty, err)))
        return rc;
    if (empty) {
        cp_output_clear_leftovers(dir);
        return CP_OK;
    }
    if (!force)
        return cp_err_set(err, CP_EINVAL,
                          "%s: output directory is not empty (use --resume to continue a "
                          "checkpointed run, or --force to replace a previous run's files)",
                          dir);
    for (int i = 0; run_files[i]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, run_files[i]);
        if (unlink(path) != 0 && errno != ENOENT)
            return cp_err_set(err, CP_EIO, "%s: cannot remove: %s", path, strerror(errno));
    }
    cp_output_clear_leftovers(dir);
    return CP_OK;
}

/* ---- atomic files ----------------------------------------------------- */

int cp_outfile_open(cp_outfile *f, const char *dir, const char *name, cp_err *err)
{
    snprintf(f->final, sizeof f->final, "%s/%s", dir, name);
    snprintf(f->tmp, sizeof f->tmp, "%s/.%s.tmp.%ld", dir, name, (long)getpid());
    f->fp = fopen(f->tmp, "w");
    if (!f->fp)
        return cp_err_set(err, CP_EIO, "%s: cannot create: %s", f->tmp, strerror(errno));
    return CP_OK;
}

void cp_outfile_abandon(cp_outfile *f)
{
    if (f->fp)
        fclose(f->fp);
    f->fp = NULL;
    unlink(f->tmp);
}

int cp_outfile_commit(cp_outfile *f, cp_err *err)
{
    int failed = ferror(f->fp) || fflush(f->fp) != 0 || fsync(fileno(f->fp)) != 0;
    int saved = errno;
    if (fclose(f->fp) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    f->fp = NULL;
    if (!failed && rename(f->tmp, f->final) != 0) {
        failed = 1;
        saved = errno;
    }
    if (failed) {
        unlink(f->tmp);
        return cp_err_set(err, CP_EIO, "%s: cannot write: %s", f->final, strerror(saved));
    }
    return CP_OK;
}

/* ---- CSV -------------------------------------------------------------- */

/* Names in output are validated identifiers (letters, digits, _ and -), so
 * they never need quoting; units may hold '/' or spaces but never commas or
 * quotes (checked here, since pandas must read the file without surprises). */
static void put_field(FILE *fp, const char *s)
{
    if (strpbrk(s, ",\"\n\r")) {
        fputc('"', fp);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', fp);
            fputc(*s, fp);
        }
        fputc('"', fp);
    } else {
        fputs(s, fp);
    }
}

/* 10 significant digits: more than the sketch's precision (1/2049) and the
 * mean's useful digits, and the same bytes for the same double. */
static void put_number(FILE *fp, double v)
{
    fprintf(fp, ",%.10g", v);
}

int cp_output_write_summary(const char *dir, const cp_model *m, const cp_stats *st, cp_err *err)
{
    cp_outfile f;
    int rc = cp_outfile_open(&f, dir, "summary.csv", err);
    if (rc)
        return rc;
    const cp_graph *g = cp_model_graph(m);
    const cp_scenario *sc = cp_model_scenario(m);
    const size_t T = cp_model_periods(m);
    fputs("scenario,metric,region,period,unit,samples,mean,sd,p01,p05,p10,p25,p50,p75,p90,"
          "p95,p99,min,max,car05,car05_shortfall\n",
          f.fp);
    double q[9];
    for (size_t i = 0; i < g->n_metrics; i++) {
        const cp_metric *mt = &g->metrics[i];
        for (size_t t = 0; t < T; t++) {
            cp_cell_summary s;
            cp_stats_summarize(st, i * T + t, cp_output_probs, 9, &s, q);
            char period[16];
            cp_period_format(g->start + (int)t, period, sizeof period);
            fprintf(f.fp, "%s,%s,%s,%s,", sc->name, mt->metric, mt->region, period);
            put_field(f.fp, mt->unit);
            fprintf(f.fp, ",%llu", (unsigned long long)s.n);
            put_number(f.fp, s.mean);
            put_number(f.fp, s.sd);
            for (int k = 0; k < 9; k++)
                put_number(f.fp, q[k]);
            put_number(f.fp, s.min);
            put_number(f.fp, s.max);
            /* Compute at risk: the 5% quantile, and how far it falls short
             * of the same scenario's median (outputs/README.md). */
            put_number(f.fp, q[1]);
            put_number(f.fp, q[4] - q[1]);
            fputc('\n', f.fp);
        }
    }
    return cp_outfile_commit(&f, err);
}

/* One label's row.  The share is printed with 17 significant digits, so it
 * reads back as the very double count / samples: counts are exact integers
 * and their shares need no rounding of their own. */
static void put_binding_row(FILE *fp, const char *scenario, const cp_model *m, size_t row,
                            const char *period, size_t label, uint64_t samples, uint64_t count)
{
    fprintf(fp, "%s,%s,%s,%s,", scenario, cp_model_binding_node(m, row),
            cp_model_binding_region(m, row), period);
    put_field(fp, cp_model_binding_label(m, label));
    fprintf(fp, ",%llu,%llu,%.17g\n", (unsigned long long)samples, (unsigned long long)count,
            samples ? (double)count / (double)samples : NAN);
}

int cp_output_write_binding(const char *dir, const cp_model *m, const cp_stats *st, cp_err *err)
{
    const size_t T = cp_model_periods(m), R = cp_model_binding_rows(m);
    const size_t K = cp_model_binding_labels(m);
    if (cp_stats_groups(st) != R * T || cp_stats_labels(st) != K)
        return cp_err_set(err, CP_EINVAL,
                          "binding.csv: statistics count %zu groups x %zu labels, the model has "
                          "%zu rows x %zu quarters x %zu labels",
                          cp_stats_groups(st), cp_stats_labels(st), R, T, K);
    cp_outfile f;
    int rc = cp_outfile_open(&f, dir, "binding.csv", err);
    if (rc)
        return rc;
    const cp_graph *g = cp_model_graph(m);
    const char *scenario = cp_model_scenario(m)->name;
    const uint64_t n = cp_stats_samples(st);
    fputs("scenario,node,region,period,constraint,samples,count,share\n", f.fp);
    for (size_t r = 0; r < R; r++)
        for (size_t t = 0; t < T; t++) {
            char period[16];
            cp_period_format(g->start + (int)t, period, sizeof period);
            for (size_t k = 0; k < K; k++)
                put_binding_row(f.fp, scenario, m, r, period, k, n,
                                cp_stats_count(st, r * T + t, k));
        }
    return cp_outfile_commit(&f, err);
}

static void put_sample_row(FILE *fp, const char *scenario, size_t sample, const char *metric,
                           const char *region, const char *period, const char *unit, double v)
{
    fprintf(fp, "%s,%zu,%s,%s,%s,", scenario, sample, metric, region, period);
    put_field(fp, unit);
    put_number(fp, v);
    fputc('\n', fp);
}

int cp_output_write_samples(const char *dir, const cp_model *m, const double *rows, size_t n,
                            cp_err *err)
{
    cp_outfile f;
    int rc = cp_outfile_open(&f, dir, "samples.csv", err);
    if (rc)
        return rc;
    const cp_graph *g = cp_model_graph(m);
    const cp_scenario *sc = cp_model_scenario(m);
    const size_t T = cp_model_periods(m);
    const size_t width = cp_model_cells(m) + cp_model_extras(m);
    const size_t M = g->n_metrics;
    fputs("scenario,sample,metric,region,period,unit,value\n", f.fp);
    char period[16], name[2 * CP_NAME_MAX];
    for (size_t s = 0; s < n; s++) {
        const double *row = rows + s * width;
        for (size_t t = 0; t < T; t++) {
            cp_period_format(g->start + (int)t, period, sizeof period);
            for (size_t i = 0; i < M; i++)
                put_sample_row(f.fp, sc->name, s, g->metrics[i].metric, g->metrics[i].region,
                               period, g->metrics[i].unit, row[i * T + t]);
            for (size_t j = 0; j < sc->n_shocks; j++) {
                snprintf(name, sizeof name, "shock_%s", sc->shocks[j].name);
                put_sample_row(f.fp, sc->name, s, name, "All", period, "multiplier",
                               row[(M + j) * T + t]);
            }
            for (size_t e = 0; e < sc->n_events; e++) {
                snprintf(name, sizeof name, "event_%s", sc->events[e].name);
                put_sample_row(f.fp, sc->name, s, name, "All", period, "share_lost",
                               row[(M + sc->n_shocks + e) * T + t]);
            }
        }
    }
    return cp_outfile_commit(&f, err);
}

/* ---- hashing and JSON ------------------------------------------------- */

int cp_output_sha256(const char *path, char hex[65], cp_err *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return cp_err_set(err, CP_EIO, "%s: cannot open: %s", path, strerror(errno));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    unsigned char buf[65536];
    size_t n;
    while (ok && (n = fread(buf, 1, sizeof buf, fp)) > 0)
        ok = EVP_DigestUpdate(ctx, buf, n);
    ok = ok && !ferror(fp);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    ok = ok && EVP_DigestFinal_ex(ctx, md, &len) && len == 32;
    EVP_MD_CTX_free(ctx);
    fclose(fp);
    if (!ok)
        return cp_err_set(err, CP_EIO, "%s: cannot hash", path);
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return CP_OK;
}

void cp_output_sha256_text(const char *text, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

void cp_output_json_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(fp, "\\%c", ch);
        else if (ch == '\n')
            fputs("\\n", fp);
        else if (ch < 0x20)
            fprintf(fp, "\\u%04x", ch);
        else
            fputc(ch, fp);
    }
    fputc('"', fp);
}

int cp_output_hash_lookup(const char *hashes, const char *path, char hex[65])
{
    const size_t want = strlen(path);
    for (const char *f = hashes; *f;) {
        const size_t len = strcspn(f, "\n");
        if (len == 65 + want && f[64] == ' ' && strncmp(f + 65, path, want) == 0) {
            snprintf(hex, 65, "%.64s", f);
            return 1;
        }
        f += len + (f[len] == '\n');
    }
    return 0;
}

void cp_output_json_file(FILE *fp, const char *path, const char *hashes)
{
    char hex[65];
    cp_err e;
    const int known = cp_output_hash_lookup(hashes, path, hex);
    fputs("{\"path\": ", fp);
    cp_output_json_string(fp, path);
    fputs(", \"sha256\": ", fp);
    cp_output_json_string(fp, known || !cp_output_sha256(path, hex, &e) ? hex : "unreadable");
    fputc('}', fp);
}

void cp_output_json_inputs(FILE *fp, const cp_graph *g, const char *sep, const char *hashes)
{
    for (int i = 0; i < 5; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", g->dir, cp_graph_files[i]);
        fputs(i ? sep : "", fp);
        cp_output_json_file(fp, path, hashes);
    }
}

static void hash_entry(FILE *fp, const char *path, const char *hashes, int last)
{
    fputs("    ", fp);
    cp_output_json_file(fp, path, hashes);
    fputs(last ? "\n" : ",\n", fp);
}

void cp_output_manifest_provenance(FILE *fp, const char *run_id, const char *command_line,
                                   const cp_scenario *sc, const cp_graph *g, const char *hashes)
{
    fputs("  \"version\": ", fp);
    cp_output_json_string(fp, cp_version());
    fputs(",\n  \"git_commit\": ", fp);
    cp_output_json_string(fp, cp_git_commit());
    fprintf(fp, ",\n  \"run_id\": \"%s\",\n  \"command\": ", run_id);
    cp_output_json_string(fp, command_line ? command_line : "");
    fputs(",\n  \"scenario\": {\"name\": ", fp);
    cp_output_json_string(fp, sc->name);
    fputs(", \"path\": ", fp);
    cp_output_json_string(fp, sc->path);
    fputs("},\n  \"scenario_files\": [\n", fp);
    for (size_t i = 0; i < sc->n_files; i++)
        hash_entry(fp, sc->files[i], hashes, i + 1 == sc->n_files);
    fputs("  ],\n  \"data_files\": [\n", fp);
    for (size_t i = 0; i < sc->n_data_files; i++)
        hash_entry(fp, sc->data_files[i], hashes, i + 1 == sc->n_data_files);
    fputs("  ],\n  \"inputs\": [\n    ", fp);
    cp_output_json_inputs(fp, g, ",\n    ", hashes);
    fputs("\n  ],\n", fp);
}

void cp_output_manifest_cost(FILE *fp, time_t started, double wall_seconds, const char *rate_key,
                             uint64_t done, uint64_t peak_rss_kib)
{
    const double rate = wall_seconds > 0 ? (double)done / wall_seconds : 0.0;
    char from[32], to[32];
    const time_t now = time(NULL);
    struct tm tm;
    strftime(from, sizeof from, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&started, &tm));
    strftime(to, sizeof to, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    fprintf(fp,
            "  \"started_utc\": \"%s\",\n  \"finished_utc\": \"%s\",\n"
            "  \"wall_seconds\": %.3f,\n  \"%s\": %.1f,\n  \"peak_rss_kib_per_rank\": %llu,\n",
            from, to, wall_seconds, rate_key, rate, (unsigned long long)peak_rss_kib);
}
