/* logparse — dispatch to the per-format files, auto detection, and the
 * syslog prefix they share. See include/ndrsift/logparse.h. */
#include <string.h>

#include "logparse-private.h"
#include "ndrsift/datetime.h"
#include "ndrsift/limits.h"

G_DEFINE_QUARK (ndrsift-logparse-error-quark, logparse_error)

static const char *const format_names[] = {
	[LOG_FORMAT_AUTO] = "auto",
	[LOG_FORMAT_POSTFIX] = "postfix",
	[LOG_FORMAT_EXIM] = "exim",
	[LOG_FORMAT_SENDMAIL] = "sendmail",
	[LOG_FORMAT_EXCHANGE] = "exchange",
	[LOG_FORMAT_JSONL] = "jsonl",
};

int
logparse_format_from_name (const char *name)
{
	for (guint i = 0; i < G_N_ELEMENTS (format_names); i++)
		if (g_strcmp0 (name, format_names[i]) == 0)
			return (int) i;
	return -1;
}

const char *
logparse_origin_name (LogOrigin origin)
{
	static const char *const names[] = {
		[LOG_ORIGIN_UNKNOWN] = "unknown", [LOG_ORIGIN_LOCAL] = "local", [LOG_ORIGIN_AUTH] = "auth",
		[LOG_ORIGIN_NETWORK] = "network", [LOG_ORIGIN_FOREIGN] = "foreign",
	};
	return origin < G_N_ELEMENTS (names) ? names[origin] : "unknown";
}

LogParser *
logparse_new (LogFormat format, const char *server, gint64 now)
{
	g_return_val_if_fail (format != LOG_FORMAT_AUTO, NULL);
	LogParser *p = g_new0 (LogParser, 1);
	p->format = format;
	p->server = g_strdup (server);
	p->local_host = g_strdup (g_get_host_name ());
	p->now = now;
	p->last_classic = G_MININT64;
	return p;
}

void
logparse_set_now (LogParser *p, gint64 now)
{
	p->now = now;
}

void
logparse_free (LogParser *p)
{
	if (p == NULL)
		return;
	if (p->state_free)
		p->state_free (p->state);
	g_free (p->server);
	g_free (p->local_host);
	g_free (p);
}

void
logparse_seen (LogParser *p, gint64 time, const LogSyslogLine *sl, const char *server)
{
	p->seen = TRUE;
	p->seen_time = time;
	if (p->server)
		server = p->server;
	if (server)
		g_strlcpy (p->seen_server, server, sizeof p->seen_server);
	else {
		gsize n = MIN (sl->host_len, sizeof p->seen_server - 1);
		memcpy (p->seen_server, sl->host, n);
		p->seen_server[n] = '\0';
	}
}

typedef struct {
	LogEmitFunc emit;
	gpointer user_data;
	guint events;
} Counter;

static void
count_emit (const LogEvent *event, gpointer data)
{
	Counter *c = data;
	c->events++;
	c->emit (event, c->user_data);
}

gboolean
logparse_line (LogParser *p, const char *line, gsize len, LogEmitFunc emit, gpointer user_data,
               GError **error)
{
	if (len > NS_MAX_LOG_LINE) {
		g_set_error (error, LOGPARSE_ERROR, 1, "line longer than %d bytes", NS_MAX_LOG_LINE);
		return FALSE;
	}
	Counter c = { emit, user_data, 0 };
	gboolean ok;
	p->seen = FALSE;
	switch (p->format) {
	case LOG_FORMAT_POSTFIX: ok = logparse_postfix_line (p, line, len, count_emit, &c, error); break;
	case LOG_FORMAT_EXIM: ok = logparse_exim_line (p, line, len, count_emit, &c, error); break;
	case LOG_FORMAT_SENDMAIL: ok = logparse_sendmail_line (p, line, len, count_emit, &c, error); break;
	case LOG_FORMAT_EXCHANGE: ok = logparse_exchange_line (p, line, len, count_emit, &c, error); break;
	case LOG_FORMAT_JSONL: ok = logparse_jsonl_line (p, line, len, count_emit, &c, error); break;
	default: g_assert_not_reached ();
	}
	if (ok && c.events == 0 && p->seen) {
		LogEvent ev = { .type = LOG_EVENT_SEEN, .time = p->seen_time, .server = p->seen_server };
		emit (&ev, user_data);
	}
	return ok;
}

gboolean
logparse_reads_skipped (LogParser *p)
{
	return p->format == LOG_FORMAT_EXCHANGE;
}

static void
ignore_event (const LogEvent *event, gpointer unused)
{
}

void
logparse_skipped_line (LogParser *p, const char *line, gsize len)
{
	/* Header lines only: the data lines' events were imported before. */
	gsize bom = len >= 3 && memcmp (line, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	if (p->format == LOG_FORMAT_EXCHANGE && len > bom && line[bom] == '#')
		(void) logparse_line (p, line, len, ignore_event, NULL, NULL);
}

LogFormat
logparse_detect (const char *head)
{
	/* The most specific first: Exchange's #Fields header and jsonl's
	 * braces cannot be mistaken; syslog formats by their programs. */
	if (logparse_exchange_detect (head))
		return LOG_FORMAT_EXCHANGE;
	if (logparse_jsonl_detect (head))
		return LOG_FORMAT_JSONL;
	if (logparse_exim_detect (head))
		return LOG_FORMAT_EXIM;
	if (logparse_postfix_detect (head))
		return LOG_FORMAT_POSTFIX;
	if (logparse_sendmail_detect (head))
		return LOG_FORMAT_SENDMAIL;
	return LOG_FORMAT_AUTO;
}

static int
month_number (const char *p)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	for (int i = 0; i < 12; i++)
		if (memcmp (p, months + i * 3, 3) == 0)
			return i + 1;
	return 0;
}

typedef struct {
	gint64 now;
	int year;
} YearCache;

static GPrivate year_cache = G_PRIVATE_INIT (g_free);

/* The local year of now, remembered per thread: it is asked per line. */
static int
local_year (gint64 now)
{
	YearCache *c = g_private_get (&year_cache);
	if (c == NULL) {
		c = g_new0 (YearCache, 1);
		c->now = G_MININT64;
		g_private_set (&year_cache, c);
	}
	if (c->now != now) {
		g_autoptr (GDateTime) ref = g_date_time_new_from_unix_local (now);
		c->year = ref ? g_date_time_get_year (ref) : 1970;
		c->now = now;
	}
	return c->year;
}

/* Half a year: a stamp that far before the line above it in the same file
 * is in the next year. */
#define YEAR_TURN (183 * 86400)

/* The Unix time of a classic stamp, which has no year (see logparse.h):
 * the latest year that does not put it more than a day after now (a day
 * of slack for time zones and clock skew; a log read just before New Year
 * may already hold lines from after it), then the file's own order. */
/* A classic stamp in year y, or G_MININT64 when y has no such day (29
 * February). */
static gint64
stamp_in (int y, int month, int day, int h, int mi, int s)
{
	if (!g_date_valid_dmy ((GDateDay) day, (GDateMonth) month, (GDateYear) y))
		return G_MININT64;
	return datetime_from_local (y, month, day, h, mi, s);
}

static gint64
classic_time (int month, int day, int h, int mi, int s, gint64 now, gint64 *last)
{
	int y = local_year (now);
	gint64 t = stamp_in (y, month, day, h, mi, s);
	/* Next year only when this year's is almost a year ago (read just
	 * before New Year, a line from just after it): asked first, it would
	 * empty the hour cache of datetime_from_local on every line. */
	gint64 next = t != G_MININT64 && t < now - 360 * 86400 ? stamp_in (y + 1, month, day, h, mi, s) : G_MININT64;
	if (next != G_MININT64 && next <= now + 86400)
		t = next, y++;
	/* Else this year, or the latest year before (at most four back: 29
	 * February needs a leap year). */
	for (int oldest = y - 4; (t == G_MININT64 || t > now + 86400) && y > oldest;)
		t = stamp_in (--y, month, day, h, mi, s);
	if (t == G_MININT64 || t > now + 86400)
		return G_MININT64;
	/* The file ran past New Year while now says otherwise (an old file
	 * whose modification time is older than its last lines): the first
	 * later year that is not far before the line above. */
	for (int later = y + 1; last && *last != G_MININT64 && t < *last - YEAR_TURN && later <= y + 5; later++) {
		gint64 lt = stamp_in (later, month, day, h, mi, s);
		if (lt != G_MININT64 && lt >= *last - YEAR_TURN) {
			if (lt <= *last + YEAR_TURN)
				t = lt;
			break;
		}
	}
	if (last)
		*last = t;
	return t;
}

gboolean
logparse_syslog (const char *line, gsize len, gint64 now, gint64 *last, LogSyslogLine *out)
{
	const char *p = line, *end = line + len;

	gsize n = datetime_parse_rfc3339 (line, len, &out->time);
	if (n > 0) {
		p += n;
	} else {
		/* "Nov 27 10:00:01": the day may be space-padded. */
		if (len < 16 || line[3] != ' ' || line[6] != ' ' || line[9] != ':' || line[12] != ':')
			return FALSE;
		/* Every digit position is a digit (the day's first may be a blank). */
		static const int digit_at[] = { 5, 7, 8, 10, 11, 13, 14 };
		for (guint i = 0; i < G_N_ELEMENTS (digit_at); i++)
			if (!g_ascii_isdigit (line[digit_at[i]]))
				return FALSE;
		if (line[4] != ' ' && !g_ascii_isdigit (line[4]))
			return FALSE;
		int month = month_number (line);
		int day = (line[4] == ' ' ? 0 : line[4] - '0') * 10 + (line[5] - '0');
		int h = (line[7] - '0') * 10 + (line[8] - '0');
		int mi = (line[10] - '0') * 10 + (line[11] - '0');
		int s = (line[13] - '0') * 10 + (line[14] - '0');
		if (!month || day < 1 || day > 31 || h > 23 || mi > 59 || s > 60)
			return FALSE;
		out->time = classic_time (month, day, h, mi, s, now, last);
		if (out->time == G_MININT64)
			return FALSE;
		p += 15;
	}
	if (p >= end || *p != ' ')
		return FALSE;
	p++;
	out->host = p;
	while (p < end && *p != ' ')
		p++;
	out->host_len = p - out->host;
	if (p >= end || out->host_len == 0)
		return FALSE;
	p++;
	/* sysklogd's mark line has no program: "host -- MARK --". */
	if (end - p == 10 && memcmp (p, "-- MARK --", 10) == 0) {
		out->program = out->message = p;
		out->program_len = 0;
		out->message_len = 10;
		return TRUE;
	}
	out->program = p;
	while (p < end && *p != '[' && *p != ':' && *p != ' ')
		p++;
	out->program_len = p - out->program;
	if (p < end && *p == '[') {
		const char *close = memchr (p, ']', end - p);
		if (close == NULL)
			return FALSE;
		p = close + 1;
	}
	if (p >= end || *p != ':')
		return FALSE;
	p++;
	if (p < end && *p == ' ')
		p++;
	out->message = p;
	out->message_len = end - p;
	return TRUE;
}

static gboolean
program_is (const LogSyslogLine *sl, const char *name)
{
	gsize n = strlen (name);
	return sl->program_len == n && memcmp (sl->program, name, n) == 0;
}

static gboolean
message_has (const LogSyslogLine *sl, const char *text)
{
	return g_strstr_len (sl->message, sl->message_len, text) != NULL;
}

gboolean
logparse_syslog_notice (LogParser *p, const LogSyslogLine *sl, LogEmitFunc emit, gpointer user_data)
{
	gboolean mark = sl->message_len == 10 && memcmp (sl->message, "-- MARK --", 10) == 0;
	/* rsyslogd, or "rsyslogd-2177" (older versions add the error code) */
	gboolean rsyslogd = sl->program_len >= 8 && memcmp (sl->program, "rsyslogd", 8) == 0 &&
	                    (sl->program_len == 8 || sl->program[8] == '-');
	if (program_is (sl, "ndrsift-heartbeat") || (mark && (rsyslogd || sl->program_len == 0))) {
		logparse_seen (p, sl->time, sl, NULL);
		return TRUE;
	}
	LogEvent ev = { .type = LOG_EVENT_LOSS, .time = sl->time };
	gboolean local; /* about the host's own lines */
	if (rsyslogd && message_has (sl, "due to rate-limiting")) {
		if (message_has (sl, "begin to drop messages") || message_has (sl, "begins to drop messages"))
			ev.loss = LOG_LOSS_BEGIN;
		else if (message_has (sl, "messages lost") || message_has (sl, " lost "))
			ev.loss = LOG_LOSS_END;
		else
			return FALSE;
		local = (sl->message_len >= 8 && memcmp (sl->message, "imuxsock", 8) == 0) ||
		        (sl->message_len >= 9 && memcmp (sl->message, "imjournal", 9) == 0);
	} else if (rsyslogd && message_has (sl, "suspended (module 'builtin:omfwd')")) {
		/* A forwarder over plain TCP lost its connection: what it sent
		 * since the last of its lines that arrived may be lost, and
		 * neither end knows which lines (README, "Scale"). They were
		 * sent milliseconds before it noticed, mostly in the notice's
		 * own second, which the hole takes in as every hole does. */
		ev.loss = LOG_LOSS_END;
		local = TRUE;
	} else if ((program_is (sl, "systemd-journald") || program_is (sl, "systemd-journal")) &&
	           sl->message_len > 11 && memcmp (sl->message, "Suppressed ", 11) == 0 &&
	           message_has (sl, " messages from ")) {
		ev.loss = LOG_LOSS_END;
		local = TRUE;
	} else
		return FALSE;
	char server[256];
	if (local || p->server) {
		gsize n = MIN (sl->host_len, sizeof server - 1);
		memcpy (server, sl->host, n);
		server[n] = '\0';
		ev.server = p->server ? p->server : server;
	}
	emit (&ev, user_data);
	return TRUE;
}

const char *
logparse_server (LogParser *p, const LogSyslogLine *sl, GString *buffer)
{
	if (p->server)
		return p->server;
	g_string_truncate (buffer, 0);
	g_string_append_len (buffer, sl->host, sl->host_len);
	return buffer->str;
}

