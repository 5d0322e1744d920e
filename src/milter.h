/* milter — the part of `ndrsift milter` that speaks to the MTA: libmilter's
 * callbacks, the message each connection collects, and its judging by the
 * engine in a bounded pool of worker threads with a deadline.
 *
 * Which messages: every message of a connection that is not our own
 * outbound mail (an authenticated client, {auth_authen}; a submission
 * service, {daemon_port} or {daemon_name} in [milter] submission_ports
 * and submission_daemons) is judged, while fewer than
 * NS_MILTER_MAX_CONNECTIONS connections are. A judged message with a null
 * envelope sender always gets the verdict header; any other one only when
 * the engine reads it as a bounce kind. Every message, judged or not,
 * loses the verdict headers the sender set.
 *
 * Several recipients: the verdict may depend on the envelope recipient
 * (RCPT_SENT, BATV), so the message is judged for each distinct one (up to
 * NS_MILTER_MAX_RECIPIENTS) and the most trusting verdict is the one
 * written (legit, none, unknown, error, forged in that order); it is
 * rejected or held only when it is forged for every recipient.
 *
 * It never loses or delays mail it cannot judge: a failure, a full queue,
 * no memory left in NS_MILTER_MAX_HELD_BYTES, the deadline: the message
 * goes on (with "error; reason=..." when its sender is null), never
 * tempfailed or rejected. A judgement still running at the deadline ends
 * in the background and its result is dropped.
 *
 * Threads: libmilter runs each connection in a thread of its own; judging
 * happens in the pool's workers (each with its own sent-log connection,
 * engine.h); the Engine in force is swapped by a reload and each message
 * keeps the one it started with (a reference).
 *
 * Log: milter_log() is the one place that writes it (stderr, one line per
 * event, a severity on every line; see milter.c). */
#ifndef NDRSIFT_MILTER_H
#define NDRSIFT_MILTER_H

#include <glib.h>
#include <libmilter/mfapi.h>

#include "ndrsift/engine.h"

/* sd-daemon(3)'s priorities. */
typedef enum {
	MILTER_ERR = 3,
	MILTER_WARNING = 4,
	MILTER_NOTICE = 5,
	MILTER_INFO = 6,
} MilterLevel;

/* Decides how lines look: "<N>" prefixes when stderr is the journal;
 * from then on msg.h's diagnostics are lines of this log. */
void milter_log_init (void);

/* One line: who (nullable) is the message or connection it is about.
 * Everything is escaped (output_escape) before it is written. */
void milter_log (MilterLevel level, const char *who, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

/* The callbacks, for smfi_register (transfer none). */
const struct smfiDesc *milter_description (void);

/* engine: (transfer full) the first Engine in force. Starts the workers. */
void milter_start (Engine *engine);

/* Puts engine (transfer full) in force for the messages that start from
 * now on. FALSE (and engine dropped) once milter_stop() has begun. */
gboolean milter_swap_engine (Engine *engine);

/* Returns: (transfer full) the Engine in force, or NULL once stopping. */
Engine *milter_engine (void);

/* After smfi_main() returns: lets the messages being judged finish (at
 * most the deadline), stops the workers and drops the Engine. Callbacks
 * that still come accept their messages unjudged. */
void milter_stop (void);

#endif
