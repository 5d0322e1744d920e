/* logparse-private.h — what the per-format files of logparse share.
 * Not installed; see include/ndrsift/logparse.h for the contract. */
#ifndef NDRSIFT_LOGPARSE_PRIVATE_H
#define NDRSIFT_LOGPARSE_PRIVATE_H

#include "ndrsift/logparse.h"

struct _LogParser {
	LogFormat format;
	char *server;           /* --server, or NULL: the line's host field */
	char *local_host;       /* this host's name, for formats without a host field */
	gint64 now;             /* see logparse_set_now */
	gint64 last_classic;    /* the time of the last classic syslog stamp, or G_MININT64 */
	gpointer state;         /* the format's own, freed with state_free */
	GDestroyNotify state_free;
	/* Set by a format for each line of its MTA (logparse_seen): a line
	 * that yields no event still extends the server's coverage. */
	gboolean seen;
	gint64 seen_time;
	char seen_server[256];
};

/* Records that the MTA of server wrote a line at time (a syslog line:
 * pass sl; else server may be given directly). */
void logparse_seen (LogParser *p, gint64 time, const LogSyslogLine *sl, const char *server);

/* The server a syslog line belongs to: --server, else its host field.
 * Returns: (transfer none) valid until the next call with this buffer. */
const char *logparse_server (LogParser *p, const LogSyslogLine *sl, GString *buffer);

/* One function per format, in logparse_FORMAT.c. */
gboolean logparse_postfix_line (LogParser *p, const char *line, gsize len,
                                LogEmitFunc emit, gpointer user_data, GError **error);
gboolean logparse_exim_line (LogParser *p, const char *line, gsize len,
                             LogEmitFunc emit, gpointer user_data, GError **error);
gboolean logparse_sendmail_line (LogParser *p, const char *line, gsize len,
                                 LogEmitFunc emit, gpointer user_data, GError **error);
gboolean logparse_exchange_line (LogParser *p, const char *line, gsize len,
                                 LogEmitFunc emit, gpointer user_data, GError **error);
gboolean logparse_jsonl_line (LogParser *p, const char *line, gsize len,
                              LogEmitFunc emit, gpointer user_data, GError **error);

/* Whether the first lines look like this format (for auto detection). */
gboolean logparse_postfix_detect (const char *head);
gboolean logparse_exim_detect (const char *head);
gboolean logparse_sendmail_detect (const char *head);
gboolean logparse_exchange_detect (const char *head);
gboolean logparse_jsonl_detect (const char *head);

#endif
