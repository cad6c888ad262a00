/* cp_signal.h -- asking a run to stop cleanly.
 *
 * SIGTERM and SIGUSR1 (what Slurm sends before a time limit, with
 * `--signal`) only set a flag; the run checks it at the end of each round
 * (at most four chunks a rank), where all ranks agree to stop, write a
 * checkpoint and exit with CP_EXIT_STOPPED.  The flag is the one piece of global mutable state in
 * chokepoint: a signal handler can reach nothing else.
 */
#ifndef CP_SIGNAL_H
#define CP_SIGNAL_H

/* The exit code of a run stopped by a signal after writing its checkpoint
 * (EX_TEMPFAIL of sysexits.h: "try again later"). */
#define CP_EXIT_STOPPED 75

/* Installs the handlers for SIGTERM and SIGUSR1. */
void cp_signal_install(void);

/* The signal received since installation, or 0. */
int cp_signal_received(void);

#endif
