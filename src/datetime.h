/* datetime — calendar arithmetic and RFC 3339 time stamps, without
 * allocating: both are on per-line and per-hop paths (log import,
 * Received parsing). RFC 5322 dates are read by received_parse_date(). */
#ifndef NDRSIFT_DATETIME_H
#define NDRSIFT_DATETIME_H

#include <glib.h>

/* Unix seconds of y-m-d h:mi:s UTC (proleptic Gregorian). */
gint64 datetime_from_civil (int year, int month, int day, int hour, int min, int sec);

/* Reads "YYYY-MM-DD[T ]HH:MM:SS[.frac][Z|+HH:MM|+HHMM]" at text (a missing
 * zone is UTC). Returns: the number of bytes read, 0 when text does not
 * start with one; *out gets Unix seconds. */
gsize datetime_parse_rfc3339 (const char *text, gsize len, gint64 *out);

/* Unix seconds of a local wall-clock time (syslog's classic stamps),
 * through a one-hour cache per thread: consecutive log lines share it. */
gint64 datetime_from_local (int year, int month, int day, int hour, int min, int sec);

/* Returns: (transfer full) "YYYY-MM-DDTHH:MM:SSZ" of Unix seconds t, or
 * "?" out of GDateTime's range. For output, not per-line paths. */
char *datetime_format_utc (gint64 t);

#endif
