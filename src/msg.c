/* msg — see src/msg.h. */
#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "output.h"

static MsgHandler handler;
static MsgFailsafe failsafe;

static void
say (MsgLevel level, const char *command, const char *fmt, va_list ap)
{
	g_autofree char *text = g_strdup_vprintf (fmt, ap);
	if (handler) {
		handler (level, command, text);
		return;
	}
	g_autofree char *safe = output_escape (text);
	fprintf (stderr, "ndrsift: %s%s%s\n", command ? command : "", command ? ": " : "", safe);
}

void
msg_error (const char *command, const char *fmt, ...)
{
	va_list ap;
	va_start (ap, fmt);
	say (MSG_ERROR, command, fmt, ap);
	va_end (ap);
}

void
msg_warning (const char *command, const char *fmt, ...)
{
	va_list ap;
	va_start (ap, fmt);
	say (MSG_WARNING, command, fmt, ap);
	va_end (ap);
}

void
msg_notice (const char *command, const char *fmt, ...)
{
	va_list ap;
	va_start (ap, fmt);
	say (MSG_NOTICE, command, fmt, ap);
	va_end (ap);
}

void
msg_set_handler (MsgHandler h)
{
	handler = h;
}

void
msg_set_failsafe (MsgFailsafe f)
{
	failsafe = f;
}

int
msg_failsafe (const char *reason, int status)
{
	return failsafe ? failsafe (reason) : status;
}

static void
print_as_warning (const char *text)
{
	gsize n = strlen (text);
	while (n > 0 && text[n - 1] == '\n')
		n--;
	msg_warning (NULL, "%.*s", (int) n, text);
}

void
msg_keep_stdout (void)
{
	g_set_print_handler (print_as_warning);
#if GLIB_CHECK_VERSION(2, 68, 0)
	/* GLib's info and debug messages (G_MESSAGES_DEBUG) go to stdout. */
	g_log_writer_default_set_use_stderr (TRUE);
#endif
}

gboolean
msg_options_parse (GOptionContext *context, int *argc, char ***argv, GError **error)
{
	GPrintFunc kept = g_set_print_handler (NULL);
	gboolean ok = g_option_context_parse (context, argc, argv, error);
	g_set_print_handler (kept);
	return ok;
}
