/* cp_par.c -- see cp_par.h. */
#include "cp_par.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

struct cp_par {
    MPI_Comm comm;
    int rank, size;
};

int cp_par_init(int *argc, char ***argv, cp_par **out)
{
    *out = NULL;
    if (MPI_Init(argc, argv) != MPI_SUCCESS)
        return CP_EMPI;
    cp_par *par = calloc(1, sizeof *par);
    if (!par) {
        MPI_Finalize();
        return CP_ENOMEM;
    }
    /* Errors come back as codes so they can be reported with context. */
    MPI_Comm_dup(MPI_COMM_WORLD, &par->comm);
    MPI_Comm_set_errhandler(par->comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(par->comm, &par->rank);
    MPI_Comm_size(par->comm, &par->size);
    *out = par;
    return CP_OK;
}

void cp_par_finalize(cp_par *par)
{
    if (!par)
        return;
    MPI_Comm_free(&par->comm);
    free(par);
    MPI_Finalize();
}

int cp_par_rank(const cp_par *par)
{
    return par->rank;
}

int cp_par_size(const cp_par *par)
{
    return par->size;
}

double cp_par_time(void)
{
    return MPI_Wtime();
}

int cp_par_agree(const cp_par *par, int code)
{
    int all = code;
    if (MPI_Allreduce(&code, &all, 1, MPI_INT, MPI_MAX, par->comm) != MPI_SUCCESS)
        return CP_EMPI;
    return all;
}

int cp_par_or_flags(const cp_par *par, int flags)
{
    int all = flags;
    MPI_Allreduce(&flags, &all, 1, MPI_INT, MPI_BOR, par->comm);
    return all;
}

uint64_t cp_par_bcast_u64(const cp_par *par, uint64_t value)
{
    MPI_Bcast(&value, 1, MPI_UINT64_T, 0, par->comm);
    return value;
}

uint64_t cp_par_sum_u64(const cp_par *par, uint64_t value)
{
    uint64_t all = value;
    MPI_Allreduce(&value, &all, 1, MPI_UINT64_T, MPI_SUM, par->comm);
    return all;
}

uint64_t cp_par_max_u64(const cp_par *par, uint64_t value)
{
    uint64_t all = value;
    MPI_Allreduce(&value, &all, 1, MPI_UINT64_T, MPI_MAX, par->comm);
    return all;
}

/* Messages larger than INT_MAX bytes are sent in pieces. */
static int send_bytes(const cp_par *par, const unsigned char *buf, size_t n, int to)
{
    uint64_t len = n;
    if (MPI_Send(&len, 1, MPI_UINT64_T, to, 0, par->comm) != MPI_SUCCESS)
        return CP_EMPI;
    for (size_t off = 0; off < n;) {
        int piece = n - off > INT_MAX ? INT_MAX : (int)(n - off);
        if (MPI_Send(buf + off, piece, MPI_BYTE, to, 1, par->comm) != MPI_SUCCESS)
            return CP_EMPI;
        off += (size_t)piece;
    }
    return CP_OK;
}

/* A sender that cannot build its message sends this length instead, so the
 * receiver fails rather than waits forever. */
#define FAILED_MESSAGE UINT64_MAX

static void send_failure(const cp_par *par, int to)
{
    uint64_t len = FAILED_MESSAGE;
    MPI_Send(&len, 1, MPI_UINT64_T, to, 0, par->comm);
}

/* Receives the len bytes of a message whose length has been received. */
static int recv_into(const cp_par *par, unsigned char *buf, size_t len, int from)
{
    for (size_t off = 0; off < len;) {
        int piece = len - off > INT_MAX ? INT_MAX : (int)(len - off);
        if (MPI_Recv(buf + off, piece, MPI_BYTE, from, 1, par->comm, MPI_STATUS_IGNORE) !=
            MPI_SUCCESS)
            return CP_EMPI;
        off += (size_t)piece;
    }
    return CP_OK;
}

static int recv_bytes(const cp_par *par, unsigned char **buf, size_t *n, int from)
{
    uint64_t len;
    *buf = NULL;
    if (MPI_Recv(&len, 1, MPI_UINT64_T, from, 0, par->comm, MPI_STATUS_IGNORE) != MPI_SUCCESS ||
        len == FAILED_MESSAGE)
        return CP_EMPI;
    *buf = malloc(len ? len : 1);
    if (!*buf)
        return CP_ENOMEM;
    *n = len;
    return recv_into(par, *buf, len, from);
}

/* Statistics travel in parts of about this many bytes (cp_stats_pack_part),
 * so that a rank holds one part, not the whole packed form, which grows
 * with the samples (15 MB for the baseline at 10,000 samples a rank, 22 MB
 * at 1,000,000). */
#define PART_BYTES ((size_t)1 << 20)

/* The length that ends a stream of parts (a part may be empty). */
#define END_OF_PARTS (UINT64_MAX - 1)

/* Sends st to rank to, part by part, then the end; if no part can be
 * built, the failure instead, so the receiver stops. */
static int send_stats(const cp_par *par, const cp_stats *st, int to, cp_err *err)
{
    const size_t bound = cp_stats_part_bound(st, PART_BYTES);
    unsigned char *buf = malloc(bound);
    if (!buf) {
        send_failure(par, to);
        return cp_err_set(err, CP_ENOMEM, "out of memory packing statistics");
    }
    cp_stats_parts pt;
    cp_stats_parts_init(&pt);
    int rc = CP_OK;
    while (!rc && !cp_stats_parts_done(&pt))
        if (send_bytes(par, buf, cp_stats_pack_part(st, &pt, PART_BYTES, buf), to))
            rc = cp_err_set(err, CP_EMPI, "rank %d: sending statistics failed", par->rank);
    free(buf);
    const uint64_t end = END_OF_PARTS;
    if (!rc && MPI_Send(&end, 1, MPI_UINT64_T, to, 0, par->comm) != MPI_SUCCESS)
        rc = cp_err_set(err, CP_EMPI, "rank %d: sending statistics failed", par->rank);
    return rc;
}

/* Stops every rank after a failure to make room for a message that has
 * been announced: the sender waits to send it, and Open MPI cannot take a
 * message into less room than it has (a shorter receive can crash it), so
 * no error can be shared; the message goes to stderr first. */
static void abort_for_room(const cp_par *par, size_t len, cp_err *err)
{
    cp_err_set(err, CP_ENOMEM, "rank %d: out of memory receiving %zu bytes of statistics",
               par->rank, len);
    fprintf(stderr, "chokepoint: %s\n", err->msg);
    MPI_Abort(par->comm, 1);
}

/* Receives rank from's parts and merges each into st as it arrives.  After
 * a part fails to merge, the rest are received and dropped, so that the
 * sender, which cannot know, is not left waiting. */
static int recv_stats(const cp_par *par, cp_stats *st, int from, cp_err *err)
{
    cp_stats_parts pt;
    cp_stats_parts_init(&pt);
    size_t cap = cp_stats_part_bound(st, PART_BYTES);
    unsigned char *buf = malloc(cap);
    if (!buf)
        abort_for_room(par, cap, err);
    int rc = CP_OK;
    for (;;) {
        uint64_t len;
        if (MPI_Recv(&len, 1, MPI_UINT64_T, from, 0, par->comm, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
            rc = rc ? rc
                    : cp_err_set(err, CP_EMPI, "rank %d: receiving statistics failed", par->rank);
            break;
        }
        if (len == FAILED_MESSAGE) {
            /* The sender, or a rank below it in the tree, failed and holds
             * the error, which cp_par_share_err passes on: err stays as
             * it is, so that every rank reports the cause, not a relay. */
            rc = rc ? rc : CP_EMPI;
            break;
        }
        if (len == END_OF_PARTS)
            break;
        if (len > cap) { /* only from statistics of another shape */
            unsigned char *more = realloc(buf, len);
            if (!more)
                abort_for_room(par, len, err);
            buf = more;
            cap = len;
        }
        if (recv_into(par, buf, len, from)) {
            rc = cp_err_set(err, CP_EMPI, "rank %d: receiving statistics failed", par->rank);
            break;
        }
        if (!rc)
            rc = cp_stats_merge_part(st, &pt, buf, len, err);
    }
    free(buf);
    if (!rc && !cp_stats_parts_done(&pt))
        rc = cp_err_set(err, CP_EINVAL, "rank %d: the statistics from rank %d ended early",
                        par->rank, from);
    return rc;
}

int cp_par_reduce_stats(const cp_par *par, cp_stats *st, cp_err *err)
{
    /* Binomial tree: in round k, ranks with bit k set send to rank - 2^k and
     * drop out.  The merge is exact integer arithmetic, so the tree's shape
     * cannot change the result.  A rank that failed to receive still takes
     * its turn to send, a failure, so that no rank waits on it. */
    int failed = 0;
    for (int step = 1; step < par->size; step <<= 1) {
        if (par->rank & step) {
            if (failed)
                send_failure(par, par->rank - step);
            else
                send_stats(par, st, par->rank - step, err);
            break;
        }
        if (par->rank + step < par->size && recv_stats(par, st, par->rank + step, err))
            failed = 1;
    }
    return cp_par_share_err(par, err);
}

int cp_par_gather_rows(const cp_par *par, const double *rows, size_t n, size_t row_len,
                       double **all, size_t *n_all, cp_err *err)
{
    *all = NULL;
    *n_all = 0;
    /* Rows are few (--keep-samples), so point-to-point in rank order is
     * simple and has no int-count limits of MPI_Gatherv to worry about. */
    if (par->rank != 0) {
        if (send_bytes(par, (const unsigned char *)rows, n * row_len * sizeof(double), 0))
            return cp_err_set(err, CP_EMPI, "rank %d: sending kept samples failed", par->rank);
        return CP_OK;
    }
    size_t cap = n;
    double *out = malloc((cap ? cap : 1) * row_len * sizeof(double));
    if (!out)
        return cp_err_set(err, CP_ENOMEM, "out of memory gathering kept samples");
    if (n) /* rows may be NULL when a rank kept nothing */
        memcpy(out, rows, n * row_len * sizeof(double));
    size_t count = n;
    for (int r = 1; r < par->size; r++) {
        unsigned char *buf = NULL;
        size_t bytes = 0;
        if (recv_bytes(par, &buf, &bytes, r)) {
            free(buf);
            free(out);
            return cp_err_set(err, CP_EMPI, "receiving kept samples from rank %d failed", r);
        }
        size_t k = row_len ? bytes / (row_len * sizeof(double)) : 0;
        double *grown = realloc(out, (count + k + 1) * row_len * sizeof(double));
        if (!grown) {
            free(buf);
            free(out);
            return cp_err_set(err, CP_ENOMEM, "out of memory gathering kept samples");
        }
        out = grown;
        if (k) /* whole rows only; a ragged tail would be a sender's bug */
            memcpy(out + count * row_len, buf, k * row_len * sizeof(double));
        count += k;
        free(buf);
    }
    *all = out;
    *n_all = count;
    return CP_OK;
}

int cp_par_share_err(const cp_par *par, cp_err *err)
{
    int mine = err->code != CP_OK ? par->rank : par->size;
    int first = mine;
    if (MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, par->comm) != MPI_SUCCESS)
        return cp_err_set(err, CP_EMPI, "MPI_Allreduce failed while sharing an error");
    if (first == par->size)
        return CP_OK;
    MPI_Bcast(&err->code, 1, MPI_INT, first, par->comm);
    MPI_Bcast(err->msg, CP_ERR_MSG_MAX, MPI_CHAR, first, par->comm);
    return err->code;
}
