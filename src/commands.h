/* commands — one function per command, one file each (src/cmd_*.c).
 *
 * main.c parses the global options, loads the config and calls one of
 * these with it (transfer full: a judging command hands it to its Engine)
 * and the command's own arguments (argv[0] is the command name).
 * Each returns the process exit status of doc/design.md: 0 success, 1 only
 * from `check --exit-status`, 2 usage error, 3 any other error. */
#ifndef NDRSIFT_COMMANDS_H
#define NDRSIFT_COMMANDS_H

#include "ndrsift/config.h"
#include "msg.h"

enum {
	EXIT_OK = 0,
	EXIT_FORGED = 1,
	EXIT_USAGE = 2,
	EXIT_ERROR = 3,
};

int cmd_explain (Config *config, int argc, char **argv);
int cmd_scan (Config *config, int argc, char **argv);
int cmd_log (Config *config, int argc, char **argv);
int cmd_filter (Config *config, int argc, char **argv);
int cmd_check (Config *config, int argc, char **argv);
int cmd_rules (Config *config, int argc, char **argv);
int cmd_serve (Config *config, int argc, char **argv);
/* Only in a build with libmilter (NS_MILTER, configure --enable-milter). */
int cmd_milter (Config *config, int argc, char **argv);

/* filter's start, before the config is loaded: its options, all of
 * stdin, and the deadline's timer (NS_MAX_DEADLINE_MS until
 * cmd_filter sets [filter] deadline_ms). Returns: -1 to go on (load the
 * config, then cmd_filter), else the exit status (the output is written
 * or the options were wrong). cmd_filter needs it first. */
int cmd_filter_begin (int argc, char **argv);

/* Arms filter's fail-safe as early as possible (main, before anything
 * allocates much): on a fatal signal (a failed g_malloc, a crash) the
 * input is written back with an error verdict and the exit status is 0;
 * msg_failsafe() (msg.h) writes it back with "error; reason=REASON". */
void cmd_filter_arm (void);

#endif
