/* cp_report.c -- finding and running jobs/report.py (see cp_report.h). */
#include "cp_report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CP_REPORT_SCRIPT
#define CP_REPORT_SCRIPT "jobs/report.py"
#endif

enum { EXIT_OTHER = 1, EXIT_USAGE = 2 };

static const char report_usage[] =
    "Usage: chokepoint report DIR [options]\n"
    "       chokepoint report BATCH.csv [--summary SUMMARY.csv] [--out DIR]\n"
    "\n"
    "Draws the results of a run, comparison or sensitivity analysis in DIR into\n"
    "DIR/report.html, with its charts as PNG files in DIR/report/: fan charts by\n"
    "region with the calibration anchors, exceedance curves with CaR05, what binds\n"
    "(where DIR has binding.csv), Sobol indices (where it has sensitivity.csv),\n"
    "and for a comparison each option's paired difference, P(option better) and\n"
    "CaR05 change per billion dollars.  For a batch file: each finished entry's\n"
    "report and an index page in the entries' common parent directory.\n"
    "The page is static: no scripts, nothing fetched from the network.\n"
    "\n"
    "Options:\n"
    "      --metric M         metric to draw (default frontier_compute_h100e)\n"
    "      --region R         region of the option and Sobol charts (default World)\n"
    "      --quarters Q,...   quarters of the exceedance curves (default 2028Q4,\n"
    "                         2030Q4 and the last); the last is that of the\n"
    "                         CaR05-per-dollar chart\n"
    "      --calibration CSV  calibration anchors (default inputs/calibration.csv)\n"
    "      --summary CSV      a batch's --summary file, for the entries' statuses\n"
    "      --out DIR          for a batch: where the index page goes\n"
    "  -h, --help             this help\n"
    "\n"
    "Runs jobs/report.py with Debian's python3-matplotlib and python3-pandas\n"
    "(CHOKEPOINT_PYTHON, default /usr/bin/python3; CHOKEPOINT_REPORT_SCRIPT to use\n"
    "another script).  Exit codes: 0 written, 2 usage, 3 not an output directory,\n"
    "an incomplete run (no manifest.json) or a missing metric, 4 a file cannot be\n"
    "read or written, 1 other failure (such as matplotlib missing).\n";

static int readable(const char *path)
{
    return access(path, R_OK) == 0;
}

/* The script's path into buf (see cp_report.h for the order). */
static const char *find_script(char *buf, size_t cap)
{
    const char *env = getenv("CHOKEPOINT_REPORT_SCRIPT");
    if (env && *env)
        return env;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(buf, cap, "%s/../jobs/report.py", exe);
            if (readable(buf))
                return buf;
        }
    }
    return CP_REPORT_SCRIPT;
}

static const char *python(void)
{
    const char *env = getenv("CHOKEPOINT_PYTHON");
    return env && *env ? env : "/usr/bin/python3";
}

/* Replaces the process with `python script args...`; returns on failure. */
static int exec_script(char *const *args, size_t n_args)
{
    char buf[4200];
    const char *script = find_script(buf, sizeof buf);
    char **argv = calloc(n_args + 3, sizeof *argv);
    if (!argv)
        return EXIT_OTHER;
    argv[0] = (char *)python();
    argv[1] = (char *)script;
    for (size_t i = 0; i < n_args; i++)
        argv[2 + i] = args[i];
    fflush(NULL);
    execv(argv[0], argv);
    fprintf(stderr,
            "chokepoint report: error: cannot run %s %s: %s (install Debian's python3-matplotlib "
            "and python3-pandas, e.g. with jobs/setup.sh, or set CHOKEPOINT_PYTHON)\n",
            argv[0], script, strerror(errno));
    free(argv);
    return EXIT_OTHER;
}

int cp_report_main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "chokepoint report: expected an output directory or a batch file\n\n%s",
                report_usage);
        return EXIT_USAGE;
    }
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(report_usage, stdout);
            return 0;
        }
    return exec_script(argv + 1, (size_t)argc - 1);
}

int cp_report_write(const char *target, const char *summary)
{
    char *args[] = {(char *)target, summary ? "--summary" : NULL, (char *)summary, NULL};
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(exec_script(args, summary ? 3 : 1));
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0) {
        fprintf(stderr, "chokepoint: warning: the report of %s was not written: %s\n", target,
                strerror(errno));
        return EXIT_OTHER;
    }
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_OTHER;
    if (code)
        fprintf(stderr,
                "chokepoint: warning: the report of %s failed (exit %d, see above); the results "
                "themselves are complete\n",
                target, code);
    return code;
}
