/* sentlog-bench — size and lookup cost of the sent log at scale.
 *
 *   sentlog-bench DB MESSAGES [LOOKUPS] [RECIPIENTS]
 *
 * Fills DB (created afresh) with MESSAGES messages as Postfix would log
 * them: a long queue ID, a 40-character Message-ID, one of 2,000
 * senders, RECIPIENTS recipients each ("1", the default; "1-5": 1 to 5,
 * evenly, 3 on average) out of 1,000,000 addresses, spread over 30 days
 * on two servers, through the importer's own code path
 * (sentlog_import_event, in checkpointed batches), and checkpoints the
 * WAL into the database as the importer does when it ends. Then, through
 * a read-only connection as a filter would, looks up LOOKUPS Message-IDs
 * (half present, half absent) and LOOKUPS recipients (half sent by the
 * sender asked about, half not) within a 14-day window, and prints bytes
 * per message (the database and its -wal file) and the latency
 * percentiles of each, by the wall clock and by the thread's CPU time
 * (what the lookup itself costs, without the waits of a busy machine). With SENTLOG_BENCH_REUSE=1 in the environment an
 * existing DB filled by the same arguments is only looked up in (the
 * latencies again, on a quieter machine). With SENTLOG_BENCH_RESIDENT=1
 * the database file is locked in memory (mlock) while it is looked up
 * in: the lookup's own cost, apart from a page cache that a VM's
 * proactive reclaim empties of pages idle a few seconds. Each kind of
 * lookup starts with SENTLOG_BENCH_WARMUP (default LOOKUPS / 10)
 * untimed ones, as a long-running reader has done before. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>
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

#define SENDERS 2000
#define ADDRESSES 1000000

/* Message i's sender and its k-th recipient. */
static void
sender_of (char *out, gsize size, guint64 i)
{
	g_snprintf (out, size, "user%u@example.com", (guint) ((i * 7919) % SENDERS));
}

static void
recipient_of (char *out, gsize size, guint64 i, guint k)
{
	guint64 a = ((i * 5 + k) * 0x9E3779B97F4A7C15ull >> 20) % ADDRESSES;
	g_snprintf (out, size, "person%" G_GINT64_MODIFIER "u@remote%u.example", a, (guint) (a % 97));
}

/* How many recipients message i has: 1, or 1 to 5 evenly. */
static guint
recipients_of (guint64 i, gboolean mix)
{
	return mix ? 1 + (guint) ((i * 0x2545F4914F6CDD1Dull >> 32) % 5) : 1;
}

/* This thread's CPU time in microseconds: on a busy machine the wall
 * clock also counts the waits for a core. */
static gint64
cpu_us (void)
{
	struct timespec ts;
	clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
	return (gint64) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static gint64
file_size (const char *path, const char *suffix)
{
	g_autofree char *p = g_strconcat (path, suffix, NULL);
	struct stat st;
	return stat (p, &st) == 0 ? (gint64) st.st_size : 0;
}

/* Locks the file at path in memory until the process ends: its pages
 * are read in and stay. FALSE (with the reason on stderr) if it cannot. */
static gboolean
pin (const char *path)
{
	int fd = open (path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat (fd, &st) != 0) {
		perror (path);
		return FALSE;
	}
	void *map = mmap (NULL, (size_t) st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close (fd);
	if (map == MAP_FAILED || mlock (map, (size_t) st.st_size) != 0) {
		perror ("SENTLOG_BENCH_RESIDENT: mmap or mlock (RLIMIT_MEMLOCK?)");
		return FALSE;
	}
	return TRUE;
}

static void
percentiles (const char *name, gint64 *lat, guint64 n)
{
	qsort (lat, n, sizeof *lat, compare_gint64);
	printf (" %s_p50_us=%" G_GINT64_FORMAT " %s_p99_us=%" G_GINT64_FORMAT " %s_max_us=%" G_GINT64_FORMAT, name,
	        lat[n / 2], name, lat[n * 99 / 100], name, lat[n - 1]);
}

/* Fills path with n messages (see above). */
static gboolean
fill (const char *path, const Config *config, guint64 n, gboolean mix, guint64 *rcpts_total, double *fill_s)
{
	const gint64 span = 30 * 86400;
	g_autoptr (GError) error = NULL;
	g_autoptr (SentLog) log = sentlog_open (path, TRUE, &error);
	if (log == NULL) {
		fprintf (stderr, "%s\n", error->message);
		return FALSE;
	}
	static const char head[] = "bench first line\n";
	SentLogSource source;
	if (!sentlog_new_source (log, (const guint8 *) head, sizeof head - 1, &source, &error)) {
		fprintf (stderr, "%s\n", error->message);
		return FALSE;
	}
	g_autoptr (SentLogImport) im = sentlog_import_begin (log, config, "bench", &source, &error);
	const gint64 start = 1793491200; /* 2026-11-01 */
	gint64 t0 = g_get_monotonic_time ();
	char id[64], queue[32], sender[64], rcpt[5][64];
	for (guint64 i = 0; i < n; i++) {
		message_id (id, sizeof id, i, TRUE);
		g_snprintf (queue, sizeof queue, "4X%012" G_GINT64_MODIFIER "X", i); /* 14 chars, like Postfix's long IDs */
		sender_of (sender, sizeof sender, i);
		guint k = recipients_of (i, mix);
		const char *rcpts[6] = { NULL };
		for (guint j = 0; j < k; j++) {
			recipient_of (rcpt[j], sizeof rcpt[j], i, j);
			rcpts[j] = rcpt[j];
		}
		*rcpts_total += k;
		LogEvent ev = {
			.type = LOG_EVENT_RECORD,
			.time = start + (gint64) (i * ((double) span / MAX (n, 1))),
			.server = i % 2 ? "mx1.example.com" : "mx2.example.com",
			.queue_id = queue,
			.message_id = id,
			.sender = sender,
			.status = "sent",
			.origin = LOG_ORIGIN_AUTH,
			.recipients = rcpts,
		};
		sentlog_import_event (&ev, im);
		SentLogPosition at = { (gint64) i, (gint64) i, (const guint8 *) head, sizeof head - 1, NULL, 0 };
		if ((i + 1) % 200000 == 0 && !sentlog_import_checkpoint (im, &at, &error)) {
			fprintf (stderr, "%s\n", error->message);
			return FALSE;
		}
	}
	SentLogPosition end = { (gint64) n, (gint64) n, (const guint8 *) head, sizeof head - 1, NULL, 0 };
	if (!sentlog_import_checkpoint (im, &end, &error)) {
		fprintf (stderr, "%s\n", error->message);
		return FALSE;
	}
	g_clear_pointer (&im, sentlog_import_free);
	sentlog_checkpoint (log);
	*fill_s = (g_get_monotonic_time () - t0) / 1e6;
	g_clear_pointer (&log, sentlog_close);
	return TRUE;
}

int
main (int argc, char **argv)
{
	if (argc < 3) {
		fprintf (stderr, "usage: sentlog-bench DB MESSAGES [LOOKUPS] [1|1-5]\n");
		return 2;
	}
	const char *path = argv[1];
	guint64 n = g_ascii_strtoull (argv[2], NULL, 10);
	guint64 lookups = argc > 3 ? g_ascii_strtoull (argv[3], NULL, 10) : 100000;
	gboolean mix = argc > 4 && strcmp (argv[4], "1-5") == 0;
	const gint64 span = 30 * 86400;

	gboolean reuse = g_strcmp0 (g_getenv ("SENTLOG_BENCH_REUSE"), "1") == 0;
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	for (guint i = 0; !reuse && i < G_N_ELEMENTS (suffixes); i++) {
		g_autofree char *p = g_strconcat (path, suffixes[i], NULL);
		g_unlink (p);
	}
	g_autoptr (GError) error = NULL;
	g_autoptr (Config) config = config_load ("/dev/null", path, NULL, &error);
	guint64 rcpts_total = 0;
	double fill_s = 0;
	if (!reuse && !fill (path, config, n, mix, &rcpts_total, &fill_s))
		return 1;
	const gint64 start = 1793491200; /* 2026-11-01 */
	char id[64], sender[64], rcpt[5][64];
	gint64 bytes = file_size (path, "") + file_size (path, "-wal");

	gboolean resident = g_strcmp0 (g_getenv ("SENTLOG_BENCH_RESIDENT"), "1") == 0;
	if (resident && !pin (path))
		return 1;
	g_autoptr (SentLog) reader = sentlog_open (path, FALSE, &error);
	if (reader == NULL) {
		fprintf (stderr, "%s\n", error->message);
		return 1;
	}
	g_autofree gint64 *lat = g_new (gint64, lookups);
	g_autofree gint64 *rlat = g_new (gint64, lookups);
	g_autofree gint64 *cpu = g_new (gint64, lookups);
	g_autofree gint64 *rcpu = g_new (gint64, lookups);
	guint64 found = 0, rfound = 0;
	/* A reader that runs for long (the milter, scan) has its pages
	 * mapped after its first lookups; the untimed first tenth of each
	 * kind maps them here, where they cost a page fault each. */
	const char *w = g_getenv ("SENTLOG_BENCH_WARMUP");
	guint64 warm = w ? g_ascii_strtoull (w, NULL, 10) : lookups / 10;
	GRand *rand = g_rand_new_with_seed (42);
	for (guint64 k = 0; k < warm + lookups; k++) {
		guint64 i = g_rand_int_range (rand, 0, (gint32) MIN (n, G_MAXINT32));
		message_id (id, sizeof id, i, k % 2 == 0);
		SentLogMatch m = { 0 };
		gint64 c = cpu_us (), a = g_get_monotonic_time ();
		if (!sentlog_lookup_message_id (reader, id, &m, &error)) {
			fprintf (stderr, "%s\n", error->message);
			return 1;
		}
		gint64 wall = g_get_monotonic_time () - a, used = cpu_us () - c;
		if (k >= warm) {
			lat[k - warm] = wall;
			cpu[k - warm] = used;
			found += m.found;
		}
		sentlog_match_clear (&m);
	}
	/* Recipients, as a bounce without a Message-ID is judged: its
	 * recipient (our sender) and Final-Recipient, 14 days before the
	 * bounce to a day after. Half ask the message's own sender, half
	 * another one. */
	for (guint64 k = 0; k < warm + lookups; k++) {
		guint64 i = g_rand_int_range (rand, 0, (gint32) MIN (n, G_MAXINT32));
		gint64 t = start + (gint64) (i * ((double) span / MAX (n, 1)));
		sender_of (sender, sizeof sender, k % 2 == 0 ? i : i + 1);
		recipient_of (rcpt[0], sizeof rcpt[0], i, 0);
		SentLogMatch m = { 0 };
		gint64 c = cpu_us (), a = g_get_monotonic_time ();
		if (!sentlog_lookup_recipient (reader, sender, rcpt[0], t - 14 * 86400, t + 86400, &m, &error)) {
			fprintf (stderr, "%s\n", error->message);
			return 1;
		}
		gint64 wall = g_get_monotonic_time () - a, used = cpu_us () - c;
		if (k >= warm) {
			rlat[k - warm] = wall;
			rcpu[k - warm] = used;
			rfound += m.found;
		}
		sentlog_match_clear (&m);
	}
	g_rand_free (rand);
	printf ("messages=%" G_GUINT64_FORMAT " recipients=%" G_GUINT64_FORMAT " fill_s=%.1f fill_per_s=%.0f"
	        " bytes=%" G_GINT64_FORMAT " bytes_per_message=%.0f lookups=%" G_GUINT64_FORMAT " found=%" G_GUINT64_FORMAT
	        " rcpt_found=%" G_GUINT64_FORMAT " warmup=%" G_GUINT64_FORMAT " resident=%d",
	        n, rcpts_total, fill_s, n / fill_s, bytes, (double) bytes / MAX (n, 1), lookups, found, rfound,
	        warm, resident);
	percentiles ("id", lat, lookups);
	percentiles ("rcpt", rlat, lookups);
	percentiles ("id_cpu", cpu, lookups);
	percentiles ("rcpt_cpu", rcpu, lookups);
	printf ("\n");
	return 0;
}
