/* msg — see src/msg.h. */
#include <stdio.h>

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
