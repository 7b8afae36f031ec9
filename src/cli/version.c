/* version.c — parm's version: `git describe --always --dirty --tags` of the
 * checkout it was built from, passed in by the Makefile as PARM_VERSION
 * (this file is recompiled whenever that string changes). */
#include "cli.h"

#ifndef PARM_VERSION
#define PARM_VERSION "unknown"
#endif

const char *cli_version(void) { return PARM_VERSION; }
