/* log-events.h — what the Exim and Sendmail parser tests share: the
 * fixed times, a sink that records every event as one string, and checks
 * of a line's or a message's event sequence. Included by each test file
 * (static functions: one copy per test program). Coverage-only SEEN
 * events are left out; they have a test of their own. */
#ifndef NDRSIFT_TEST_LOG_EVENTS_H
#define NDRSIFT_TEST_LOG_EVENTS_H

#include <string.h>

#include "logparse-private.h"
#include "datetime.h"
#include "ndrsift/limits.h"
#include "ndrsift/sentlog.h" /* sentlog_origin_name */

/* 2026-11-28 00:00:00 UTC: when the log is read. */
#define NOW G_GINT64_CONSTANT (1795824000)
/* 2026-11-27 10:00:01 UTC */
#define T0 G_GINT64_CONSTANT (1795773601)

/* ---- recording events ---------------------------------------------------- */

typedef struct {
	GPtrArray *got;    /* one string per event */
	GArray *times;
	GPtrArray *servers;
} Sink;

static void
sink_init (Sink *s)
{
	s->got = g_ptr_array_new_with_free_func (g_free);
	s->times = g_array_new (FALSE, FALSE, sizeof (gint64));
	s->servers = g_ptr_array_new_with_free_func (g_free);
}

static void
sink_clear (Sink *s)
{
	g_ptr_array_unref (s->got);
	g_array_unref (s->times);
	g_ptr_array_unref (s->servers);
}

/* Each event as one string; the fields an event type does not use must be
 * unset. */
static void
record (const LogEvent *e, gpointer data)
{
	/* Coverage-only events have a test of their own ("seen"). */
	if (e->type == LOG_EVENT_SEEN)
		return;
	Sink *s = data;
	char *str = NULL;
	g_assert_nonnull (e->server);
	g_assert_nonnull (e->queue_id);
	g_assert_null (e->recipients);
	switch (e->type) {
	case LOG_EVENT_ENTER:
		g_assert_null (e->message_id);
		g_assert_null (e->sender);
		g_assert_null (e->recipient);
		g_assert_null (e->status);
		str = g_strdup_printf ("ENTER %s %s %s", e->queue_id, sentlog_origin_name (e->origin),
		                       e->client_ip ? e->client_ip : "-");
		break;
	case LOG_EVENT_SENDER:
		g_assert_nonnull (e->sender);
		g_assert_null (e->message_id);
		g_assert_null (e->recipient);
		g_assert_null (e->client_ip);
		str = g_strdup_printf ("SENDER %s <%s>", e->queue_id, e->sender);
		break;
	case LOG_EVENT_MESSAGE_ID:
		g_assert_nonnull (e->message_id);
		g_assert_null (e->sender);
		g_assert_null (e->recipient);
		str = g_strdup_printf ("MSGID %s %s", e->queue_id, e->message_id);
		break;
	case LOG_EVENT_RECIPIENT:
		g_assert_nonnull (e->recipient);
		g_assert_nonnull (e->status);
		g_assert_null (e->sender);
		g_assert_null (e->message_id);
		g_assert_null (e->client_ip);
		str = g_strdup_printf ("RCPT %s %s %s", e->queue_id, e->recipient, e->status);
		break;
	case LOG_EVENT_DONE:
		g_assert_null (e->recipient);
		g_assert_null (e->sender);
		str = g_strdup_printf ("DONE %s", e->queue_id);
		break;
	default:
		g_assert_not_reached ();
	}
	if (e->type != LOG_EVENT_ENTER)
		g_assert_cmpint (e->origin, ==, LOG_ORIGIN_UNKNOWN);
	g_ptr_array_add (s->got, str);
	g_array_append_val (s->times, e->time);
	g_ptr_array_add (s->servers, g_strdup (e->server));
}

static void
assert_events (Sink *s, const char *const *want)
{
	guint n = 0;
	for (; want[n]; n++) {
		if (n >= s->got->len)
			g_error ("event %u missing: want \"%s\"", n, want[n]);
		g_assert_cmpstr (g_ptr_array_index (s->got, n), ==, want[n]);
	}
	for (guint i = n; i < s->got->len; i++)
		g_test_message ("unexpected event: %s", (char *) g_ptr_array_index (s->got, i));
	g_assert_cmpuint (s->got->len, ==, n);
}

/* One line: it parses, and gives exactly `want`, each event at `time` (when
 * not -1) and on `server` (when not NULL). */
static void
check_line (LogParser *p, const char *line, const char *server, gint64 time, const char *const *want)
{
	Sink s;
	sink_init (&s);
	g_autoptr (GError) error = NULL;
	gboolean ok = logparse_line (p, line, strlen (line), record, &s, &error);
	if (!ok)
		g_error ("line refused: %s\n  %s", error->message, line);
	g_assert_no_error (error);
	assert_events (&s, want);
	for (guint i = 0; i < s.got->len; i++) {
		if (time != -1)
			g_assert_cmpint (g_array_index (s.times, gint64, i), ==, time);
		if (server)
			g_assert_cmpstr (g_ptr_array_index (s.servers, i), ==, server);
	}
	sink_clear (&s);
}

#define CHECK(p, line, ...) check_line (p, line, NULL, -1, (const char *const[]) { __VA_ARGS__, NULL })
#define NONE(p, line) check_line (p, line, NULL, -1, (const char *const[]) { NULL })

/* A line that fails with code (LOGPARSE_ERROR_MALFORMED, _TOO_LONG)
 * and emits nothing. */
static void
check_bad_code (LogParser *p, const char *line, LogparseError code)
{
	Sink s;
	sink_init (&s);
	g_autoptr (GError) error = NULL;
	g_assert_false (logparse_line (p, line, strlen (line), record, &s, &error));
	g_assert_error (error, LOGPARSE_ERROR, (gint) code);
	g_assert_nonnull (error->message);
	g_assert_cmpuint (s.got->len, ==, 0);
	sink_clear (&s);
}

static void
check_bad (LogParser *p, const char *line)
{
	check_bad_code (p, line, LOGPARSE_ERROR_MALFORMED);
}

/* Several lines into one sink: the event sequence of a whole message. */
static void
check_sequence (LogParser *p, const char *const *lines, const char *const *want)
{
	Sink s;
	sink_init (&s);
	for (guint i = 0; lines[i]; i++) {
		g_autoptr (GError) error = NULL;
		if (!logparse_line (p, lines[i], strlen (lines[i]), record, &s, &error))
			g_error ("line refused: %s\n  %s", error->message, lines[i]);
	}
	assert_events (&s, want);
	sink_clear (&s);
}

#endif
