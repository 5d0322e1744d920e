/* logline — the parser state, the syslog prefix and the syslog daemons'
 * notices that the log-line formats share. See src/logline.h. */
#include <string.h>

#include "logline.h"
#include "datetime.h"

G_DEFINE_QUARK (ndrsift-logparse-error-quark, logparse_error)

void
logline_init (LogLineState *ls, const char *server, gint64 now)
{
	ls->server = g_strdup (server);
	ls->local_host = g_strdup (g_get_host_name ());
	ls->now = now;
	ls->last_classic = G_MININT64;
}

void
logline_clear (LogLineState *ls)
{
	g_clear_pointer (&ls->server, g_free);
	g_clear_pointer (&ls->local_host, g_free);
}

void
logline_seen (LogLineState *p, gint64 time, const LogSyslogLine *sl, const char *server)
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
logline_syslog (const char *line, gsize len, gint64 now, gint64 *last, LogSyslogLine *out)
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
logline_syslog_notice (LogLineState *p, const LogSyslogLine *sl, LogEmitFunc emit, gpointer user_data)
{
	gboolean mark = sl->message_len == 10 && memcmp (sl->message, "-- MARK --", 10) == 0;
	/* rsyslogd, or "rsyslogd-2177" (older versions add the error code) */
	gboolean rsyslogd = sl->program_len >= 8 && memcmp (sl->program, "rsyslogd", 8) == 0 &&
	                    (sl->program_len == 8 || sl->program[8] == '-');
	if (program_is (sl, "ndrsift-heartbeat") || (mark && (rsyslogd || sl->program_len == 0))) {
		logline_seen (p, sl->time, sl, NULL);
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
logline_server (const LogLineState *p, const LogSyslogLine *sl, GString *buffer)
{
	if (p->server)
		return p->server;
	g_string_truncate (buffer, 0);
	g_string_append_len (buffer, sl->host, sl->host_len);
	return buffer->str;
}

