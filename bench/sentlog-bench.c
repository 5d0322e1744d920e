/* sentlog-bench — size and lookup cost of the sent log at scale.
 *
 *   sentlog-bench DB MESSAGES [LOOKUPS]
 *
 * Fills DB (created afresh) with MESSAGES messages as Postfix would log
 * them: a long queue ID, a 40-character Message-ID, one sender, one
 * recipient, spread over 30 days on two servers, through the importer's
 * own code path (sentlog_import_event, in checkpointed batches). Then
 * looks up LOOKUPS Message-IDs (half present, half absent) through a
 * read-only connection, as a filter would, and prints bytes per message
 * and the lookup latency percentiles. */
#include <stdio.h>
#include <stdlib.h>
#include <glib/gstdio.h>

#include "ndrsift/limits.h"
#include "ndrsift/sentlog.h"

static int
compare_gint64 (const void *a, const void *b)
{
	gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
	return x < y ? -1 : x > y;
}

/* A 40-character Message-ID for message i: "<" + 26 + "@" + 11 + ">". */
static void
message_id (char *out, gsize size, guint64 i, gboolean present)
{
	g_snprintf (out, size, "<%016" G_GINT64_MODIFIER "x%c%09" G_GINT64_MODIFIER "u@example.com>",
	            (guint64) (i * 0x9E3779B97F4A7C15ull), present ? 'p' : 'a', i % 1000000000);
}

int
main (int argc, char **argv)
{
	if (argc < 3) {
		fprintf (stderr, "usage: sentlog-bench DB MESSAGES [LOOKUPS]\n");
		return 2;
	}
	const char *path = argv[1];
	guint64 n = g_ascii_strtoull (argv[2], NULL, 10);
	guint64 lookups = argc > 3 ? g_ascii_strtoull (argv[3], NULL, 10) : 100000;

	static const char *const suffixes[] = { "", "-wal", "-shm" };
	for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++) {
		g_autofree char *p = g_strconcat (path, suffixes[i], NULL);
		g_unlink (p);
	}
	g_autoptr (GError) error = NULL;
	g_autoptr (Config) config = config_load ("/dev/null", path, NULL, &error);
	g_autoptr (SentLog) log = sentlog_open (path, TRUE, &error);
	if (log == NULL) {
		fprintf (stderr, "%s\n", error->message);
		return 1;
	}
	static const char head[] = "bench first line\n";
	SentLogSource source;
	if (!sentlog_new_source (log, (const guint8 *) head, sizeof head - 1, &source, &error)) {
		fprintf (stderr, "%s\n", error->message);
		return 1;
	}
	g_autoptr (SentLogImport) im = sentlog_import_begin (log, config, "bench", &source, &error);
	const gint64 start = 1793491200; /* 2026-11-01 */
	gint64 t0 = g_get_monotonic_time ();
	char id[64], queue[32], rcpt[64];
	for (guint64 i = 0; i < n; i++) {
		message_id (id, sizeof id, i, TRUE);
		g_snprintf (queue, sizeof queue, "4X%012" G_GINT64_MODIFIER "X", i); /* 14 chars, like Postfix's long IDs */
		g_snprintf (rcpt, sizeof rcpt, "user%" G_GINT64_MODIFIER "u@remote%u.example", i % 100000, (guint) (i % 97));
		const char *rcpts[] = { rcpt, NULL };
		LogEvent ev = {
			.type = LOG_EVENT_RECORD,
			.time = start + (gint64) (i * (30 * 86400.0 / MAX (n, 1))),
			.server = i % 2 ? "mx1.example.com" : "mx2.example.com",
			.queue_id = queue,
			.message_id = id,
			.sender = i % 3 ? "alice@example.com" : "bob@example.com",
			.status = "sent",
			.origin = LOG_ORIGIN_AUTH,
			.recipients = rcpts,
		};
		sentlog_import_event (&ev, im);
		SentLogPosition at = { (gint64) i, (gint64) i, (const guint8 *) head, sizeof head - 1, NULL, 0 };
		if ((i + 1) % 200000 == 0 && !sentlog_import_checkpoint (im, &at, &error)) {
			fprintf (stderr, "%s\n", error->message);
			return 1;
		}
	}
	SentLogPosition end = { (gint64) n, (gint64) n, (const guint8 *) head, sizeof head - 1, NULL, 0 };
	if (!sentlog_import_checkpoint (im, &end, &error)) {
		fprintf (stderr, "%s\n", error->message);
		return 1;
	}
	g_clear_pointer (&im, sentlog_import_free);
	double fill_s = (g_get_monotonic_time () - t0) / 1e6;
	g_clear_pointer (&log, sentlog_close);

	g_autoptr (SentLog) reader = sentlog_open (path, FALSE, &error);
	if (reader == NULL) {
		fprintf (stderr, "%s\n", error->message);
		return 1;
	}
	g_autoptr (SentLogStats) st = sentlog_stats (reader, NS_SENTLOG_MAX_GAP, &error);
	g_autofree gint64 *lat = g_new (gint64, lookups);
	guint64 found = 0;
	GRand *rand = g_rand_new_with_seed (42);
	for (guint64 k = 0; k < lookups; k++) {
		guint64 i = g_rand_int_range (rand, 0, (gint32) MIN (n, G_MAXINT32));
		message_id (id, sizeof id, i, k % 2 == 0);
		SentLogMatch m = { 0 };
		gint64 a = g_get_monotonic_time ();
		if (!sentlog_lookup_message_id (reader, id, &m, &error)) {
			fprintf (stderr, "%s\n", error->message);
			return 1;
		}
		lat[k] = g_get_monotonic_time () - a;
		found += m.found;
		sentlog_match_clear (&m);
	}
	g_rand_free (rand);
	qsort (lat, lookups, sizeof *lat, compare_gint64);
	printf ("messages=%" G_GUINT64_FORMAT " fill_s=%.1f fill_per_s=%.0f bytes=%" G_GINT64_FORMAT
	        " bytes_per_message=%.0f lookups=%" G_GUINT64_FORMAT " found=%" G_GUINT64_FORMAT
	        " p50_us=%" G_GINT64_FORMAT " p99_us=%" G_GINT64_FORMAT " max_us=%" G_GINT64_FORMAT "\n",
	        n, fill_s, n / fill_s, st->bytes, (double) st->bytes / MAX (n, 1), lookups, found,
	        lat[lookups / 2], lat[lookups * 99 / 100], lat[lookups - 1]);
	return 0;
}
