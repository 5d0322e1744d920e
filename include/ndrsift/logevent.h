/* logevent — what a log-line format emits: the events of one MTA log
 * line (see src/logparse.h for who emits them and
 * include/ndrsift/sentlog.h for who joins them), and the error domain of
 * a malformed line. Types only, so that the formats, the parser's
 * dispatcher and the sent log share them and none needs the others.
 *
 * Ownership: events and their strings are (transfer none), valid only
 * during the emit call. */
#ifndef NDRSIFT_LOGEVENT_H
#define NDRSIFT_LOGEVENT_H

#include <glib.h>

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

/* A line that belongs to a format but cannot be read (src/logline.c). */
#define LOGPARSE_ERROR (logparse_error_quark ())
GQuark logparse_error_quark (void);

typedef enum {
	LOGPARSE_ERROR_MALFORMED,  /* a line of the format that cannot be read */
	LOGPARSE_ERROR_TOO_LONG,   /* a line longer than NS_MAX_LOG_LINE */
} LogparseError;

#endif
