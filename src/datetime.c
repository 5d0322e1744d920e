/* datetime — see src/datetime.h. */
#include "datetime.h"

gint64
datetime_from_civil (int y, int m, int d, int hour, int min, int sec)
{
	/* Days from 1970-01-01 (Howard Hinnant's days_from_civil). */
	y -= m <= 2;
	gint64 era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;
	int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	gint64 days = era * 146097 + doe - 719468;
	return days * 86400 + hour * 3600 + min * 60 + sec;
}

static int
digits (const char *p, const char *end, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (p + i >= end || !g_ascii_isdigit (p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

gsize
datetime_parse_rfc3339 (const char *text, gsize len, gint64 *out)
{
	const char *p = text, *end = text + len;
	int y = digits (p, end, 4);
	if (y < 0 || p + 19 > end || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != ' ') ||
	    p[13] != ':' || p[16] != ':')
		return 0;
	int mo = digits (p + 5, end, 2), d = digits (p + 8, end, 2);
	int h = digits (p + 11, end, 2), mi = digits (p + 14, end, 2), s = digits (p + 17, end, 2);
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
		return 0;
	p += 19;
	if (p < end && (*p == '.' || *p == ',')) {
		p++;
		while (p < end && g_ascii_isdigit (*p))
			p++;
	}
	int offset = 0;
	if (p < end && (*p == 'Z' || *p == 'z'))
		p++;
	else if (p < end && (*p == '+' || *p == '-')) {
		int sign = *p == '-' ? -1 : 1;
		int oh = digits (p + 1, end, 2);
		const char *q = p + 3;
		if (q < end && *q == ':')
			q++;
		int om = digits (q, end, 2);
		if (oh < 0 || om < 0)
			return 0;
		offset = sign * (oh * 3600 + om * 60);
		p = q + 2;
	}
	*out = datetime_from_civil (y, mo, d, h, mi, s) - offset;
	return p - text;
}

typedef struct {
	gint64 key;    /* y, m, d, h packed */
	gint64 start;  /* Unix seconds of that local hour */
} HourCache;

static GPrivate hour_cache = G_PRIVATE_INIT (g_free);

gint64
datetime_from_local (int y, int m, int d, int hour, int min, int sec)
{
	HourCache *c = g_private_get (&hour_cache);
	if (c == NULL) {
		c = g_new0 (HourCache, 1);
		c->key = -1;
		g_private_set (&hour_cache, c);
	}
	gint64 key = ((gint64) y * 100 + m) * 10000 + d * 100 + hour;
	if (key != c->key) {
		/* GDateTime knows the zone rules; once an hour of log is enough. */
		g_autoptr (GDateTime) dt = g_date_time_new_local (y, m, d, hour, 0, 0);
		c->start = dt ? g_date_time_to_unix (dt) : datetime_from_civil (y, m, d, hour, 0, 0);
		c->key = key;
	}
	return c->start + min * 60 + sec;
}

char *
datetime_format_utc (gint64 t)
{
	g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (t);
	return dt ? g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("?");
}
