/* cp_par.h -- the one module that knows about MPI: the communicator, which
 * rank works on which samples, and the reductions.  Everything else in
 * chokepoint is a pure function of its arguments.
 *
 * Work is split in chunks of CP_PAR_CHUNK consecutive samples, identified by
 * their global index; rank r takes chunks r, r + P, r + 2P, ...  Statistics
 * are formed per chunk (see cp_stats), so results do not depend on P.
 */
#ifndef CP_PAR_H
#define CP_PAR_H

#include <stddef.h>
#include <stdint.h>

#include "cp_error.h"
#include "cp_stats.h"

#define CP_PAR_CHUNK 256

typedef struct cp_par cp_par;

/* Initializes MPI (a single process without mpirun works too). */
int cp_par_init(int *argc, char ***argv, cp_par **out);
void cp_par_finalize(cp_par *par);

int cp_par_rank(const cp_par *par);
int cp_par_size(const cp_par *par);

/* Seconds since an arbitrary point (MPI_Wtime). */
double cp_par_time(void);

/* Collective: every rank passes its status; all get the largest. */
int cp_par_agree(const cp_par *par, int code);

/* Collective: the bitwise OR of every rank's flags, on every rank. */
int cp_par_or_flags(const cp_par *par, int flags);

/* Collective: rank 0's value, on every rank. */
uint64_t cp_par_bcast_u64(const cp_par *par, uint64_t value);

/* Collective: the sum, or the largest, of a count over ranks, on every rank. */
uint64_t cp_par_sum_u64(const cp_par *par, uint64_t value);
uint64_t cp_par_max_u64(const cp_par *par, uint64_t value);

/* Collective: merges every rank's stats into rank 0's over a binomial tree
 * (so memory per rank does not grow with the rank count), sent in parts of
 * about 1 MiB (cp_stats_pack_part) and merged as they arrive (so a rank
 * holds one part, not the whole packed form, which grows with the
 * samples).  Other ranks' stats are left in an unspecified state; after a
 * failure, which every rank returns, so are rank 0's. */
int cp_par_reduce_stats(const cp_par *par, cp_stats *st, cp_err *err);

/* Collective: gathers rows of row_len doubles, n from each rank, to rank 0,
 * which receives them in rank order in *all (malloc'd; NULL elsewhere) and
 * their count in *n_all. */
int cp_par_gather_rows(const cp_par *par, const double *rows, size_t n, size_t row_len,
                       double **all, size_t *n_all, cp_err *err);

/* Collective: if any rank's err holds an error, the error of the lowest
 * such rank is copied to every rank's err; returns its code (CP_OK if no
 * rank failed). */
int cp_par_share_err(const cp_par *par, cp_err *err);

#endif
