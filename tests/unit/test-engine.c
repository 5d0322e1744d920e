/* test-engine — the front ends' one door (include/ndrsift/engine.h):
 *
 *   - engine_judge() and engine_header_value() on a legit bounce;
 *   - the envelope: a recipient the header does not name (a milter's
 *     {rcpt_addr}) makes RCPT_SENT match, an arrival by our clock is the
 *     bounce's arrival;
 *   - engine_reload() reads a changed config anew and leaves the old
 *     Engine as it was; a broken rules file makes it fail and the old
 *     Engine still judges;
 *   - four threads judging with one Engine get the same verdicts as one;
 *   - a thread that judged without a sent log sees one that appears later,
 *     and one that replaces it by a rename (a restored backup): its
 *     read-only connection follows the file at the path.
 *
 * The sent log is filled through the import API; its times are fixed
 * (Fri, 27 Nov 2026 10:00:00 UTC). */
#include <errno.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "ndrsift/engine.h"
#include "logparse.h"
#include "ndrsift/sentlog.h"

#define T0 G_GINT64_CONSTANT (1795773600) /* Fri, 27 Nov 2026 10:00:00 +0000 */

static char *tmpdir, *db, *rules_dir;

/* A DSN to alice (or to nobody the header names, when to is NULL) for
 * a message to bob that quotes no Message-ID: only the recipient and
 * time can make it legit. */
static GBytes *
dsn (const char *to)
{
	g_autofree char *text = g_strdup_printf (
		"Received: from mx.remote.example (mx.remote.example [198.51.100.7])\n"
		"\tby mx1.example.com (Postfix) with ESMTP id 4Zq1; Fri, 27 Nov 2026 10:05:09 +0000\n"
		"From: MAILER-DAEMON@mx.remote.example (Mail Delivery System)\n"
		"%s%s%s"
		"Date: Fri, 27 Nov 2026 10:05:08 +0000\n"
		"Subject: Undelivered Mail Returned to Sender\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B1\"\n"
		"\n"
		"--B1\n"
		"Content-Type: text/plain\n"
		"\n"
		"This is the mail system at host mx.remote.example.\n"
		"--B1\n"
		"Content-Type: message/delivery-status\n"
		"\n"
		"Reporting-MTA: dns; mx.remote.example\n"
		"\n"
		"Final-Recipient: rfc822; bob@remote.example\n"
		"Action: failed\n"
		"Status: 5.1.1\n"
		"--B1--\n",
		to ? "To: " : "", to ? to : "", to ? "\n" : "");
	return g_bytes_new_take (g_steal_pointer (&text), strlen (text));
}

static char *
write_config (const char *name, const char *forged_at, const char *dirs)
{
	g_autofree char *text = g_strdup_printf ("[local]\ndomains=example.com\nrelays=mx1.example.com\n"
	                                         "networks=192.0.2.0/24\n[sentlog]\npath=%s\n"
	                                         "[rules]\ndirs=%s\n[verdict]\nforged_at=%s\n",
	                                         db, dirs, forged_at);
	char *path = g_build_filename (tmpdir, name, NULL);
	g_assert_true (g_file_set_contents (path, text, -1, NULL));
	return path;
}

static Engine *
engine_from (const char *path)
{
	g_autoptr (GError) error = NULL;
	Config *config = config_load (path, NULL, NULL, &error);
	g_assert_no_error (error);
	Engine *e = engine_new (config, FALSE, &error);
	g_assert_no_error (error);
	return e;
}

static gboolean
fired (const Verdict *v, const char *test)
{
	for (guint i = 0; i < v->tests->len; i++)
		if (strcmp (g_ptr_array_index (v->tests, i), test) == 0)
			return TRUE;
	return FALSE;
}

/* The header value names the class, kind, score and tests. */
static void
test_header (void)
{
	g_autofree char *conf = write_config ("same.conf", "5.0", rules_dir);
	g_autoptr (Engine) e = engine_from (conf);
	g_autoptr (Verdict) a = engine_judge (e, dsn ("alice@example.com"), FALSE, NULL);
	g_autofree char *ha = engine_header_value (e, a);
	g_assert_cmpstr (ha, ==, "legit; kind=dsn; score=-10.0; tests=RCPT_SENT,NOTHING_QUOTED");
}

static void
test_envelope (void)
{
	g_autofree char *conf = write_config ("envelope.conf", "5.0", rules_dir);
	g_autoptr (Engine) e = engine_from (conf);

	/* No header names alice: nothing to match the log with. */
	g_autoptr (Verdict) bare = engine_judge (e, dsn (NULL), FALSE, NULL);
	g_assert_false (fired (bare, "RCPT_SENT"));
	g_assert_cmpint (bare->verdict, !=, VERDICT_LEGIT);
	g_assert_null (bare->recipient);

	/* The envelope names her, with her extension: legit. */
	VerdictEnvelope env = { .recipient = "<alice+lists@example.com>" };
	g_autoptr (Verdict) v = engine_judge (e, dsn (NULL), FALSE, &env);
	g_assert_cmpstr (v->recipient, ==, "<alice+lists@example.com>");
	g_assert_true (fired (v, "RCPT_SENT"));
	g_assert_cmpint (v->verdict, ==, VERDICT_LEGIT);

	/* The envelope's recipient wins over the header's. */
	VerdictEnvelope other = { .recipient = "carol@example.com" };
	g_autoptr (Verdict) w = engine_judge (e, dsn ("alice@example.com"), FALSE, &other);
	g_assert_false (fired (w, "RCPT_SENT"));

	/* An arrival by our clock replaces the topmost Received line's. */
	VerdictEnvelope now = { .arrival = T0 + 600 };
	g_autoptr (Verdict) x = engine_judge (e, dsn ("alice@example.com"), FALSE, &now);
	g_assert_cmpint (x->bounce->arrival_time, ==, T0 + 600);
	g_assert_true (x->arrival_ours);
	g_autoptr (Verdict) y = engine_judge (e, dsn ("alice@example.com"), FALSE, NULL);
	g_assert_cmpint (y->bounce->arrival_time, ==, T0 + 309);
	g_assert_true (y->arrival_ours); /* mx1.example.com's line, the top one */
}

static void
test_reload (void)
{
	g_autofree char *conf = write_config ("reload.conf", "5.0", rules_dir);
	g_autoptr (Engine) old = engine_from (conf);
	g_autofree char *again = write_config ("reload.conf", "42.5", rules_dir);
	g_autoptr (GError) error = NULL;
	g_autoptr (Engine) fresh = engine_reload (old, &error);
	g_assert_no_error (error);
	g_assert_cmpfloat (engine_config (old)->forged_at, ==, 5.0);
	g_assert_cmpfloat (engine_config (fresh)->forged_at, ==, 42.5);

	/* A rules directory with a broken file: no new Engine, the old one
	 * still judges. */
	g_autofree char *broken = g_build_filename (tmpdir, "broken-rules", NULL);
	g_assert_cmpint (g_mkdir (broken, 0755), ==, 0);
	g_autofree char *file = g_build_filename (broken, "99-local.rules", NULL);
	g_assert_true (g_file_set_contents (file, "score NO_SUCH_RULE_EVER oops\n", -1, NULL));
	g_autofree char *dirs = g_strconcat (rules_dir, ";", broken, NULL);
	g_autofree char *bad = write_config ("reload.conf", "5.0", dirs);
	g_autoptr (Engine) none = engine_reload (old, &error);
	g_assert_null (none);
	g_assert_nonnull (error);
	g_assert_nonnull (strstr (error->message, "99-local.rules:1"));
	g_autoptr (Verdict) v = engine_judge (old, dsn ("alice@example.com"), FALSE, NULL);
	g_assert_cmpint (v->verdict, ==, VERDICT_LEGIT);
}

typedef struct {
	Engine *engine;
	char *headers[64];
} ThreadWork;

static gpointer
judge_many (gpointer data)
{
	ThreadWork *w = data;
	for (guint i = 0; i < G_N_ELEMENTS (w->headers); i++) {
		g_autoptr (Verdict) v = engine_judge (w->engine, dsn (i % 2 ? "alice@example.com" : NULL), FALSE, NULL);
		w->headers[i] = engine_header_value (w->engine, v);
	}
	return NULL;
}

static void
test_threads (void)
{
	g_autofree char *conf = write_config ("threads.conf", "5.0", rules_dir);
	g_autoptr (Engine) e = engine_from (conf);
	ThreadWork one = { .engine = e }, many[4];
	judge_many (&one);
	GThread *threads[4];
	for (guint t = 0; t < 4; t++) {
		many[t] = (ThreadWork) { .engine = e };
		threads[t] = g_thread_new ("judge", judge_many, &many[t]);
	}
	for (guint t = 0; t < 4; t++) {
		g_thread_join (threads[t]);
		for (guint i = 0; i < G_N_ELEMENTS (one.headers); i++) {
			g_assert_cmpstr (many[t].headers[i], ==, one.headers[i]);
			g_free (many[t].headers[i]);
		}
	}
	for (guint i = 0; i < G_N_ELEMENTS (one.headers); i++)
		g_free (one.headers[i]);
}

/* A sent log at path where alice@example.com wrote to bob@remote.example
 * at 09:59:00, by auth; with alice FALSE, an empty one. */
static void
fill_log_at (const char *path, gboolean alice)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (Config) config = config_load ("/dev/null", path, NULL, &error);
	g_assert_no_error (error);
	g_autoptr (SentLog) log = sentlog_open (path, TRUE, &error);
	g_assert_no_error (error);
	if (!alice)
		return;
	g_autoptr (SentLogImport) im = sentlog_import_begin (log, config, "test", NULL, &error);
	g_assert_no_error (error);
	const char *rcpts[] = { "bob@remote.example", NULL };
	LogEvent ev = { .type = LOG_EVENT_RECORD, .time = T0 - 60, .server = "mx1", .queue_id = "Q1",
	                .sender = "alice@example.com", .status = "sent", .origin = LOG_ORIGIN_AUTH,
	                .recipients = rcpts };
	sentlog_import_event (&ev, im);
	g_assert_true (sentlog_import_checkpoint (im, &(SentLogPosition) { 0 }, &error));
	g_assert_no_error (error);
}

static void
fill_log (void)
{
	fill_log_at (db, TRUE);
}

/* Moves a new log (and its -wal and -shm) over path, as a restore by
 * rename does. */
static void
replace_log (const char *path, gboolean alice)
{
	g_autofree char *fresh = g_strconcat (path, ".new", NULL);
	fill_log_at (fresh, alice);
	const char *suffixes[] = { "-wal", "-shm", "" };
	for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++) {
		g_autofree char *from = g_strconcat (fresh, suffixes[i], NULL);
		g_autofree char *to = g_strconcat (path, suffixes[i], NULL);
		if (*suffixes[i] && !g_file_test (from, G_FILE_TEST_EXISTS))
			g_assert_true (g_unlink (to) == 0 || errno == ENOENT);
		else
			g_assert_cmpint (g_rename (from, to), ==, 0);
	}
}

static void
test_log_replaced (void)
{
	g_autofree char *path = g_build_filename (tmpdir, "replaced.db", NULL);
	g_autofree char *text = g_strdup_printf ("[local]\ndomains=example.com\n[sentlog]\npath=%s\n"
	                                         "[rules]\ndirs=%s\n", path, rules_dir);
	g_autofree char *conf = g_build_filename (tmpdir, "replaced.conf", NULL);
	g_assert_true (g_file_set_contents (conf, text, -1, NULL));
	g_autoptr (Engine) e = engine_from (conf);

	/* No log yet: nothing is known of alice's mail. */
	g_autoptr (Verdict) before = engine_judge (e, dsn ("alice@example.com"), FALSE, NULL);
	g_assert_false (before->sentlog_read);
	g_assert_false (fired (before, "RCPT_SENT"));

	/* The log appears: the same thread reads it. */
	replace_log (path, TRUE);
	g_autoptr (Verdict) found = engine_judge (e, dsn ("alice@example.com"), FALSE, NULL);
	g_assert_true (found->sentlog_read);
	g_assert_true (fired (found, "RCPT_SENT"));

	/* An empty log renamed over it: the thread's connection follows. */
	replace_log (path, FALSE);
	g_autoptr (Verdict) gone = engine_judge (e, dsn ("alice@example.com"), FALSE, NULL);
	g_assert_true (gone->sentlog_read);
	g_assert_false (fired (gone, "RCPT_SENT"));

	/* And back. */
	replace_log (path, TRUE);
	g_autoptr (Verdict) again = engine_judge (e, dsn ("alice@example.com"), FALSE, NULL);
	g_assert_true (fired (again, "RCPT_SENT"));
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp ("test-engine-XXXXXX", NULL);
	db = g_build_filename (tmpdir, "sent.db", NULL);
	const char *rules = g_getenv ("NDRSIFT_RULES");
	rules_dir = g_strdup (rules ? rules : "rules");
	fill_log ();
	g_test_add_func ("/engine/header", test_header);
	g_test_add_func ("/engine/envelope", test_envelope);
	g_test_add_func ("/engine/reload", test_reload);
	g_test_add_func ("/engine/threads", test_threads);
	g_test_add_func ("/engine/log-replaced", test_log_replaced);
	int status = g_test_run ();
	g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", tmpdir);
	if (system (rm) != 0)
		status = 1;
	return status;
}
