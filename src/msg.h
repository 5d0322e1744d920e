/* msg — the one place diagnostics reach standard error (after Postfix's
 * msg(3)), and the fail-safe hook.
 *
 * Every line is "ndrsift: COMMAND: TEXT" ("ndrsift: TEXT" without a
 * command), escaped (output_escape): a path or an error from a hostile
 * input never reaches the terminal raw. The severity picks no prefix on
 * standard error (the lines read as they always have); a handler set with
 * msg_set_handler() (the milter's log) sees it.
 *
 * The fail-safe: a command that must answer even when it cannot run
 * (filter: the mail goes on with "error; reason=...") sets a hook before
 * anything can fail; a caller that gives up (main, when the config does
 * not load) calls msg_failsafe() and returns what it returns. So main
 * needs no knowledge of filter, and filter none of main.
 *
 * Threads: msg_error(), msg_warning() and msg_notice() may be called from
 * any thread; set the handler and the fail-safe before threads start. */
#ifndef NDRSIFT_MSG_H
#define NDRSIFT_MSG_H

#include <glib.h>

typedef enum {
	MSG_ERROR,   /* what failed: the command's exit status says so too */
	MSG_WARNING, /* something ignored or missing: the command goes on */
	MSG_NOTICE,  /* what the user should know once (a setting not made) */
} MsgLevel;

/* command: (nullable) "filter", "log import", ...; NULL for none. */
void msg_error (const char *command, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
void msg_warning (const char *command, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
void msg_notice (const char *command, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

/* text: unescaped, without the program name or the command. */
typedef void (*MsgHandler) (MsgLevel level, const char *command, const char *text);

/* handler: NULL restores standard error. */
void msg_set_handler (MsgHandler handler);

/* reason: a word for "error; reason=WORD". Returns the exit status. */
typedef int (*MsgFailsafe) (const char *reason);

void msg_set_failsafe (MsgFailsafe failsafe);

/* Runs the fail-safe, if one is set, and returns its exit status; else
 * returns status. */
int msg_failsafe (const char *reason, int status);

/* Keeps standard output for what a command writes (filter's mail, check's
 * lines, scan's report): GLib's g_print, which GLib calls on its own (its
 * g_strerror() prints why it could not convert a system error's text, as
 * when memory runs short), becomes a warning here, and the info and debug
 * messages of GLib's log (G_MESSAGES_DEBUG) go to standard error. Call
 * first in main. */
void msg_keep_stdout (void);

/* g_option_context_parse() with GLib's g_print on standard output while
 * it runs: --help prints the usage there (and exits). */
gboolean msg_options_parse (GOptionContext *context, int *argc, char ***argv, GError **error);

#endif
