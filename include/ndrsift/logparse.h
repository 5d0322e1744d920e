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
 * yield LOG_EVENT_LOSS (logparse_syslog_notice):
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
 * logparse_sendmail.c, logparse_exchange.c, logparse_jsonl.c; the syslog
 * prefix shared by the first three (classic "Nov 27 10:00:01 host prog[pid]:",
 * RFC 3339 and `journalctl -o short-iso` time stamps) is read here, in
 * logparse.c, with the year of a classic stamp inferred and a new year
 * handled.
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

typedef enum {
	LOG_FORMAT_AUTO,
	LOG_FORMAT_POSTFIX,
	LOG_FORMAT_EXIM,
	LOG_FORMAT_SENDMAIL,
	LOG_FORMAT_EXCHANGE,
	LOG_FORMAT_JSONL,
} LogFormat;

/* How a message entered our server; doc/design.md "The sent log". */
typedef enum {
	LOG_ORIGIN_UNKNOWN,  /* not said by this event */
	LOG_ORIGIN_LOCAL,    /* submitted on the server (pickup uid=, Exim P=local, ...) */
	LOG_ORIGIN_AUTH,     /* authenticated submission (sasl_username=, A=, authid=) */
	LOG_ORIGIN_NETWORK,  /* from a client in [local] networks */
	LOG_ORIGIN_FOREIGN,  /* from anyone else */
} LogOrigin;

typedef enum {
	LOG_EVENT_ENTER,      /* queue_id entered: origin (or client_ip to judge), time */
	LOG_EVENT_MESSAGE_ID, /* message_id of queue_id */
	LOG_EVENT_SENDER,     /* envelope sender of queue_id ("" for <>) */
	LOG_EVENT_RECIPIENT,  /* recipient of queue_id and its status */
	LOG_EVENT_DONE,       /* queue_id left the queue; a later use is another message */
	LOG_EVENT_RECORD,     /* everything at once: jsonl, log record */
	LOG_EVENT_SEEN,       /* a line of server at time that says nothing else: the
	                         server's log covers that moment (doc/design.md "Verdict policy") */
	LOG_EVENT_LOSS,       /* lines of server (NULL: of any server of the source) were
	                         or are being lost around time: see `loss` */
} LogEventType;

typedef enum {
	LOG_LOSS_BEGIN,       /* dropping starts at time (rsyslog's "begin to drop") */
	LOG_LOSS_END,         /* lines were dropped before time ("N messages lost",
	                         journald's "Suppressed N messages") */
} LogLoss;

typedef struct {
	LogEventType type;
	gint64 time;              /* Unix seconds */
	const char *server;       /* the host name of the log line, or the --server name */
	const char *queue_id;     /* may be NULL for LOG_EVENT_RECORD */
	const char *message_id;   /* as written; sentlog normalises */
	const char *sender;
	const char *recipient;    /* LOG_EVENT_RECIPIENT */
	const char *status;       /* sent, deferred, bounced, expired, delivered, failed, ... */
	LogOrigin origin;         /* ENTER, RECORD: what the line says, or UNKNOWN */
	const char *client_ip;    /* ENTER: the client's address, to match [local] networks */
	const char *const *recipients; /* RECORD: NULL-terminated, may be empty */
	LogLoss loss;             /* LOSS */
} LogEvent;

typedef void (*LogEmitFunc) (const LogEvent *event, gpointer user_data);

typedef struct _LogParser LogParser;

#define LOGPARSE_ERROR (logparse_error_quark ())
GQuark logparse_error_quark (void);

/* format: not LOG_FORMAT_AUTO (see logparse_detect). server: the --server
 * name, or NULL to take it from each line's host field (syslog formats; a
 * central log with many servers works) — formats without a host field
 * (Exim mainlog, Exchange) need it, else the local host name is used.
 * now: Unix seconds, for the year of classic syslog stamps (see
 * logparse_syslog); logparse_set_now() moves it on.
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
const char *logparse_origin_name (LogOrigin origin);

void logparse_free (LogParser *parser);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LogParser, logparse_free)

/* ---- shared by the syslog formats (logparse.c) ---- */

typedef struct {
	gint64 time;
	const char *host;     /* start of the host field, host_len bytes */
	gsize host_len;
	const char *program;  /* "postfix/smtpd", "postfix-out/smtp", "sendmail", ... */
	gsize program_len;
	const char *message;  /* the text after "prog[pid]: " */
	gsize message_len;
} LogSyslogLine;

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
gboolean logparse_syslog (const char *line, gsize len, gint64 now, gint64 *last, LogSyslogLine *out);

/* A line of another program than the MTA's in a syslog log: a heartbeat
 * (logparse_seen) or a notice of lost lines (LOG_EVENT_LOSS, emitted), as
 * listed above. Returns whether it was one. */
gboolean logparse_syslog_notice (LogParser *parser, const LogSyslogLine *sl, LogEmitFunc emit,
                                 gpointer user_data);

#endif
