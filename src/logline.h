/* logline — what every log-line format stands on, below all of them: the
 * state a parser keeps about the log it reads (the --server name, this
 * host's name, the moment of reading, the last classic stamp, the line
 * just seen for coverage), the syslog prefix of the syslog formats
 * (Postfix, Sendmail, Exim's syslog lines) and the syslog daemons'
 * notices (heartbeats, lost lines) listed in src/logparse.h.
 * It calls no format and not the dispatcher (logparse.c): the formats
 * call it.
 *
 * Not installed: private to src/logparse*.c.
 *
 * Limits: a server name is kept in NS_LOGLINE_SERVER bytes, cut beyond;
 * lines come bounded by NS_MAX_LOG_LINE (logparse_line).
 *
 * Ownership: LogLineState's strings are owned by it (logline_init,
 * logline_clear); LogSyslogLine points into the line it was read from. */
#ifndef NDRSIFT_LOGLINE_H
#define NDRSIFT_LOGLINE_H

#include "ndrsift/logevent.h"

#define NS_LOGLINE_SERVER 256

typedef struct {
	char *server;           /* --server, or NULL: the line's host field */
	char *local_host;       /* this host's name, for formats without a host field */
	gint64 now;             /* see logparse_set_now */
	gint64 last_classic;    /* the time of the last classic syslog stamp, or G_MININT64 */
	/* Set by a format for each line of its MTA (logline_seen): a line
	 * that yields no event still extends the server's coverage. */
	gboolean seen;
	gint64 seen_time;
	char seen_server[NS_LOGLINE_SERVER];
} LogLineState;

typedef struct {
	gint64 time;
	const char *host;     /* start of the host field, host_len bytes */
	gsize host_len;
	const char *program;  /* "postfix/smtpd", "postfix-out/smtp", "sendmail", ... */
	gsize program_len;
	const char *message;  /* the text after "prog[pid]: " */
	gsize message_len;
} LogSyslogLine;

void logline_init (LogLineState *ls, const char *server, gint64 now);
void logline_clear (LogLineState *ls);

/* Records that the MTA of server wrote a line at time (a syslog line:
 * pass sl; else server may be given directly). */
void logline_seen (LogLineState *ls, gint64 time, const LogSyslogLine *sl, const char *server);

/* The server a syslog line belongs to: --server, else its host field.
 * Returns: (transfer none) valid until the next call with this buffer. */
const char *logline_server (const LogLineState *ls, const LogSyslogLine *sl, GString *buffer);

/* Reads the syslog prefix of line: classic "Mmm dd hh:mm:ss host prog[pid]: ",
 * RFC 3339 "2026-11-27T10:00:01.123456+00:00 host prog[pid]: " and
 * journalctl's short-iso "2026-11-27T10:00:01+0000 host prog[pid]: ".
 * Classic stamps are local time and have no year: a line is not from
 * after `now` (the moment it was read), give or take a day for zones and
 * clock skew, so it is in the latest year that keeps it so (a log read in
 * January holds December's lines; one read on 31 December may hold a
 * line of 1 January from a clock a minute ahead). Then the file's own
 * order: `last` (in/out, G_MININT64 before a file's first line; NULL for
 * none) is the time of the line above, and a stamp more than half a year
 * before it is from the next year: an old file read with a `now` from
 * before its New Year. 29 February falls in the latest leap year.
 * Returns FALSE when it is not a syslog line. */
gboolean logline_syslog (const char *line, gsize len, gint64 now, gint64 *last, LogSyslogLine *out);

/* A line of another program than the MTA's in a syslog log: a heartbeat
 * (logline_seen) or a notice of lost lines (LOG_EVENT_LOSS, emitted), as
 * src/logparse.h lists them. Returns whether it was one. */
gboolean logline_syslog_notice (LogLineState *ls, const LogSyslogLine *sl, LogEmitFunc emit,
                                gpointer user_data);

#endif
