/* cp_par.c -- placeholder until the MPI layer lands. */
#include "cp_error.h"
