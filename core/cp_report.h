/* cp_report.h -- the report of a run, comparison or batch: one static HTML
 * page of charts, drawn by jobs/report.py (matplotlib), which this module
 * finds and runs.
 *
 * The script is CHOKEPOINT_REPORT_SCRIPT if set, else jobs/report.py beside
 * the program's directory (build/../jobs), else the source tree's, whose path
 * is compiled in.  The interpreter is CHOKEPOINT_PYTHON if set, else
 * /usr/bin/python3 (Debian's, which has python3-matplotlib). */
#ifndef CP_REPORT_H
#define CP_REPORT_H

/* `chokepoint report TARGET [options]`: argv[0] is "report".  Replaces the
 * process with the script; returns an exit code only if it cannot. */
int cp_report_main(int argc, char **argv);

/* Writes the report of target (an output directory or a batch file; with
 * summary, a batch's summary file, else NULL) in a child process and waits
 * for it.  Returns the script's exit code, 0 on success; on failure says
 * so on stderr.  For --report at the end of run, compare and batch: call
 * it after MPI is finalized, on one process. */
int cp_report_write(const char *target, const char *summary);

#endif
