/* logparse — MTA log lines into delivery events, one file per format.
 *
 * A LogParser reads one line at a time (without its newline) and calls
 * `emit` for each event the line carries: a message entering a server
 * (with how it entered: the origin facts), its Message-ID, its envelope
 * sender, a recipient's delivery status, the queue ID finished, or a whole
 * record at once (jsonl, Exchange). Joining events of one message (by
 * server and queue ID) is the importer's job (sentlog), so a message whose
 * lines span two imports is joined all the same.
 *
 * A line of the MTA that carries nothing else (a connection, a rejection,
 * a queue run) still yields LOG_EVENT_SEEN: coverage is the span of all
 * of a server's lines, not only of its messages' lines. In the syslog
 * formats (Postfix, Sendmail) so do heartbeats: rsyslog's immark line
 * ("rsyslogd: -- MARK --", or sysklogd's bare "-- MARK --") and any line
 * of the program ndrsift-heartbeat (`logger -p mail.info -t
 * ndrsift-heartbeat`, contrib/systemd/ndrsift-heartbeat.timer), each
 * for its host. The syslog daemons' own notices that lines were lost
 * yield LOG_EVENT_LOSS (logline_syslog_notice):
 *
 *   rsyslogd  "imuxsock begins to drop messages from pid N due to rate-limiting"
 *             "NAME: begin to drop messages due to rate-limiting"      -> BEGIN
 *             "imuxsock lost N messages from pid N due to rate-limiting"
 *             "NAME: N messages lost due to rate-limiting[ (...)]"     -> END
 *             "action 'NAME' suspended (module 'builtin:omfwd'), ..."  -> END
 *   systemd-journald  "Suppressed N messages from UNIT"                -> END
 *
 * imuxsock's and imjournal's notices (and journald's) are about the
 * host's own lines: that server; any other input's (imtcp, imudp, ...
 * on a central host) may have lost any server's lines: every server.
 * omfwd's is the forwarding host's (a TCP connection to a log host
 * broke): its own lines, lost up to and with the notice's own second,
 * so the event's time is the second after it.
 *
 * Formats, each in its own file: logparse_postfix.c, logparse_exim.c,
 * logparse_sendmail.c, logparse_exchange.c, logparse_jsonl.c, each behind
 * an operations table (src/logparse-private.h) that logparse.c dispatches
 * through. The syslog prefix shared by the first three (classic "Nov 27
 * 10:00:01 host prog[pid]:", RFC 3339 and `journalctl -o short-iso` time
 * stamps) is read below them, in src/logline.c, with the year of a
 * classic stamp inferred and a new year handled; the formats never call
 * back into logparse.c.
 *
 * A line that belongs to the format but cannot be read is malformed:
 * logparse_line() returns FALSE with an error saying why (the caller
 * reports it with file:line and counts it). Lines of other programs and
 * lines that carry nothing of interest return TRUE with no event.
 *
 * Limits: lines longer than NS_MAX_LOG_LINE are malformed.
 *
 * Ownership: events and their strings are (transfer none), valid only
 * during the emit call. */
#ifndef NDRSIFT_LOGPARSE_H
#define NDRSIFT_LOGPARSE_H

#include <glib.h>

#include "ndrsift/logevent.h"

typedef enum {
	LOG_FORMAT_AUTO,
	LOG_FORMAT_POSTFIX,
	LOG_FORMAT_EXIM,
	LOG_FORMAT_SENDMAIL,
	LOG_FORMAT_EXCHANGE,
	LOG_FORMAT_JSONL,
} LogFormat;

typedef struct _LogParser LogParser;

/* format: not LOG_FORMAT_AUTO (see logparse_detect). server: the --server
 * name, or NULL to take it from each line's host field (syslog formats; a
 * central log with many servers works) — formats without a host field
 * (Exim mainlog, Exchange) need it, else the local host name is used.
 * now: Unix seconds, for the year of classic syslog stamps (see
 * logline_syslog in src/logline.h); logparse_set_now() moves it on.
 * Returns: (transfer full). */
LogParser *logparse_new (LogFormat format, const char *server, gint64 now);

/* The moment the next lines were read (or the modification time of an
 * old file, when that is earlier): no line of the file is later than
 * that, give or take a day. A parser kept for days (log import --follow)
 * is told each time it reads, else a year-less stamp would be put in the
 * year it started. */
void logparse_set_now (LogParser *parser, gint64 now);

/* Returns: FALSE with error set when the line is malformed. */
gboolean logparse_line (LogParser *parser, const char *line, gsize len,
                        LogEmitFunc emit, gpointer user_data, GError **error);

/* A line before the checkpoint of a resumed source, not imported again.
 * A format whose lines depend on an earlier one (Exchange: the column
 * order of the last #Fields header) reads what it needs; the others do
 * not want these lines (logparse_reads_skipped: FALSE), and a resumed
 * regular file is not even read up to its checkpoint. */
gboolean logparse_reads_skipped (LogParser *parser);
void logparse_skipped_line (LogParser *parser, const char *line, gsize len);

/* Guesses the format from the first lines of a file (NUL-terminated
 * text, several lines). Returns LOG_FORMAT_AUTO when it cannot tell. */
LogFormat logparse_detect (const char *head);

/* "postfix" -> LOG_FORMAT_POSTFIX, ...; "auto" -> LOG_FORMAT_AUTO; -1 if unknown. */
int logparse_format_from_name (const char *name);

void logparse_free (LogParser *parser);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LogParser, logparse_free)

#endif
