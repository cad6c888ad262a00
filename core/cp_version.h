/* cp_version.h -- the program version and the git commit it was built from. */
#ifndef CP_VERSION_H
#define CP_VERSION_H

const char *cp_version(void);    /* "0.1.0" */
const char *cp_git_commit(void); /* short commit, "-dirty" if modified, or "unknown" */

#endif
