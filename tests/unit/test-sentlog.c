/* test-sentlog — the sent log (include/ndrsift/sentlog.h) and address
 * normalisation (src/address.h):
 *
 *   - address_normalise (Message-IDs: test-msgid);
 *   - import through sentlog_import_event with hand-built LogEvents (a
 *     Postfix-like ENTER, MESSAGE_ID, SENDER, RECIPIENT, DONE sequence), the
 *     rows checked with a separate sqlite3 connection;
 *   - lookups (earliest row wins, the recipient window, foreign ignored),
 *     coverage with and without a server list;
 *   - coverage as what was really read (doc/design.md "Coverage"): a gap
 *     between two imports, rotated files out of order, skipped and late,
 *     overlapping re-imports, resumed sources, a server gone silent and
 *     retired, malformed lines and rate-limit notices cutting spans (also
 *     across imports), the migration of a schema-1 database (and one that
 *     fails midway and changes nothing);
 *   - at most max_open open messages in memory: the least recently used
 *     set aside and counted, a later line of it (a recipient, a second
 *     ENTER, a DONE) joining its row, found by both lookups;
 *   - joining across imports, queue IDs reused, checkpoint atomicity and
 *     resume offsets by the source's first bytes (the tail is checked by
 *     the importer, tests/cli/log-sources.test);
 *   - the candidates of a source (longest head first), a head that grows;
 *   - prune, stats, opening (missing, not a database, persistent WAL files,
 *     file modes under umask 077 and as set, links and hard links refused).
 *
 * Times are relative to now (yesterday 10:00 UTC): the importer closes open
 * rows older than NS_SENTLOG_OPEN_DAYS by the wall clock, so fixed dates
 * would make the joining tests depend on the day they run.
 *
 * Assertions are non-fatal: a failing test is reported ("not ok") and the
 * others still run. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "address.h"
#include "ndrsift/config.h"
#include "ndrsift/limits.h"
#include "logparse.h"
#include "msgid.h"
#include "ndrsift/sentlog.h"

static char *tmpdir;
static char *conf_path;
static gint64 T0; /* yesterday 10:00:00 UTC */

/* Stops the current test function (after a failed non-fatal assertion)
 * when a pointer it goes on with is NULL. */
#define REQUIRE(cond)                     \
	do {                                  \
		if (!(cond)) {                    \
			g_test_fail_printf ("%s:%d: required: %s", __FILE__, __LINE__, #cond); \
			return;                       \
		}                                 \
	} while (0)

/* ---- helpers ------------------------------------------------------------ */

/* The log keeps digests (sentlog.h "Privacy"): what the tests imported is
 * remembered here, so that queries can show a digest as the text it was
 * made of, with the SQL function plain(). Recipients are known under each
 * recipient_delimiter the tests use. */
static GHashTable *plain_of; /* GBytes key -> normal form */

static void
know (const guint8 *key, gsize len, const char *text)
{
	g_hash_table_replace (plain_of, g_bytes_new (key, len), g_strdup (text));
}

static gboolean
same_text (gconstpointer a, gconstpointer b)
{
	return g_strcmp0 (a, b) == 0;
}

static void
know_event (const LogEvent *ev)
{
	static GPtrArray *senders; /* every sender seen, normalised: recipients come after theirs */
	static const char *const delimiters[] = { "", "+", "+-" };
	guint8 key[SENTLOG_KEY_LEN];
	g_autofree char *id = msgid_normalise (ev->message_id);
	if (id) {
		sentlog_message_id_key (id, key);
		know (key, SENTLOG_KEY_LEN, id);
	}
	if (senders == NULL) {
		senders = g_ptr_array_new ();
		g_ptr_array_add (senders, NULL); /* unknown */
		g_ptr_array_add (senders, "");
	}
	for (guint d = 0; ev->sender && d < G_N_ELEMENTS (delimiters); d++) {
		char *from = address_normalise (ev->sender, delimiters[d]);
		if (from && !g_ptr_array_find_with_equal_func (senders, from, same_text, NULL))
			g_ptr_array_add (senders, from);
		else
			g_free (from);
	}
	const char *one[] = { ev->recipient, NULL };
	const char *const *rcpts = ev->recipients ? ev->recipients : one;
	for (guint i = 0; rcpts[i]; i++)
		for (guint d = 0; d < G_N_ELEMENTS (delimiters); d++) {
			g_autofree char *norm = address_normalise (rcpts[i], delimiters[d]);
			for (guint k = 0; norm && k < senders->len; k++) {
				sentlog_pair_key (g_ptr_array_index (senders, k), norm, key);
				know (key, SENTLOG_PAIR_KEY_LEN, norm);
			}
		}
}

static void
test_import_event (const LogEvent *ev, gpointer im)
{
	know_event (ev);
	sentlog_import_event (ev, im);
}
#define sentlog_import_event test_import_event

static void
sql_plain (sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (sqlite3_value_type (argv[0]) != SQLITE_BLOB) {
		sqlite3_result_null (ctx);
		return;
	}
	g_autoptr (GBytes) key = g_bytes_new (sqlite3_value_blob (argv[0]), sqlite3_value_bytes (argv[0]));
	const char *text = g_hash_table_lookup (plain_of, key);
	sqlite3_result_text (ctx, text ? text : "(unknown digest)", -1, SQLITE_TRANSIENT);
}

static gint64
q_int_raw (sqlite3 *h, const char *sql)
{
	sqlite3_stmt *s = NULL;
	gint64 v = -1;
	if (sqlite3_prepare_v2 (h, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step (s) == SQLITE_ROW)
		v = sqlite3_column_int64 (s, 0);
	sqlite3_finalize (s);
	return v;
}

static sqlite3 *
q_open (const char *db)
{
	sqlite3 *h = NULL;
	g_assert_cmpint (sqlite3_open_v2 (db, &h, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
	sqlite3_create_function (h, "plain", 1, SQLITE_UTF8, NULL, sql_plain, NULL, NULL);
	/* Views with the tables' names (temp comes first) show the text; a
	 * recipient's status is no longer kept. */
	if (q_int_raw (h, "SELECT count(*) FROM sqlite_schema WHERE name = 'senders'") == 1)
		g_assert_cmpint (sqlite3_exec (h,
			"CREATE TEMP VIEW messages AS SELECT m.id, m.time, m.server, m.queue_id,"
			"  plain (m.message_id) AS message_id, p.address AS sender, m.origin, m.open"
			"  FROM main.messages m LEFT JOIN main.senders p ON p.id = m.sender;"
			"CREATE TEMP VIEW recipients AS SELECT message, plain (pair) AS address FROM main.recipients;",
			NULL, NULL, NULL), ==, SQLITE_OK);
	return h;
}

static char *
new_db_path (const char *name)
{
	char *p = g_build_filename (tmpdir, name, NULL);
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++) {
		g_autofree char *f = g_strconcat (p, suffixes[i], NULL);
		g_unlink (f);
	}
	return p;
}

static Config *
test_config (const char *db)
{
	g_autoptr (GError) error = NULL;
	Config *c = config_load (conf_path, db, NULL, &error);
	g_assert_no_error (error);
	return c;
}

static SentLog *
open_writer (const char *db)
{
	g_autoptr (GError) error = NULL;
	SentLog *log = sentlog_open (db, TRUE, &error);
	g_assert_no_error (error);
	return log;
}

/* The first column of the first row of sql, as an integer (-1: no row). */
static gint64
q_int (const char *db, const char *sql)
{
	sqlite3 *h = q_open (db);
	sqlite3_stmt *s = NULL;
	gint64 v = -1;
	int rc = sqlite3_prepare_v2 (h, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		g_test_fail_printf ("%s: %s", sql, sqlite3_errmsg (h));
	else if (sqlite3_step (s) == SQLITE_ROW)
		v = sqlite3_column_int64 (s, 0);
	sqlite3_finalize (s);
	sqlite3_close (h);
	return v;
}

/* Every row of sql, columns joined by '|', rows by '\n' (NULL as "NULL"). */
static char *
q_rows (const char *db, const char *sql)
{
	sqlite3 *h = q_open (db);
	sqlite3_stmt *s = NULL;
	GString *out = g_string_new (NULL);
	if (sqlite3_prepare_v2 (h, sql, -1, &s, NULL) != SQLITE_OK) {
		g_test_fail_printf ("%s: %s", sql, sqlite3_errmsg (h));
	} else {
		while (sqlite3_step (s) == SQLITE_ROW) {
			if (out->len)
				g_string_append_c (out, '\n');
			for (int i = 0; i < sqlite3_column_count (s); i++) {
				const unsigned char *t = sqlite3_column_text (s, i);
				g_string_append_printf (out, "%s%s", i ? "|" : "", t ? (const char *) t : "NULL");
			}
		}
	}
	sqlite3_finalize (s);
	sqlite3_close (h);
	return g_string_free (out, FALSE);
}

/* Event builders. */
static void
ev_enter (SentLogImport *im, gint64 t, const char *server, const char *qid, LogOrigin origin,
          const char *client_ip)
{
	LogEvent ev = { .type = LOG_EVENT_ENTER, .time = t, .server = server, .queue_id = qid,
	                .origin = origin, .client_ip = client_ip };
	sentlog_import_event (&ev, im);
}

static void
ev_msgid (SentLogImport *im, gint64 t, const char *server, const char *qid, const char *id)
{
	LogEvent ev = { .type = LOG_EVENT_MESSAGE_ID, .time = t, .server = server, .queue_id = qid,
	                .message_id = id };
	sentlog_import_event (&ev, im);
}

static void
ev_sender (SentLogImport *im, gint64 t, const char *server, const char *qid, const char *sender)
{
	LogEvent ev = { .type = LOG_EVENT_SENDER, .time = t, .server = server, .queue_id = qid,
	                .sender = sender };
	sentlog_import_event (&ev, im);
}

static void
ev_rcpt (SentLogImport *im, gint64 t, const char *server, const char *qid, const char *rcpt,
         const char *status)
{
	LogEvent ev = { .type = LOG_EVENT_RECIPIENT, .time = t, .server = server, .queue_id = qid,
	                .recipient = rcpt, .status = status };
	sentlog_import_event (&ev, im);
}

static void
ev_done (SentLogImport *im, gint64 t, const char *server, const char *qid)
{
	LogEvent ev = { .type = LOG_EVENT_DONE, .time = t, .server = server, .queue_id = qid };
	sentlog_import_event (&ev, im);
}

/* A line of server at t that says nothing else (coverage only). */
static void
ev_seen (SentLogImport *im, gint64 t, const char *server)
{
	LogEvent ev = { .type = LOG_EVENT_SEEN, .time = t, .server = server };
	sentlog_import_event (&ev, im);
}

/* A syslog daemon's notice that lines of server (NULL: every server)
 * were lost. */
static void
ev_loss (SentLogImport *im, gint64 t, const char *server, LogLoss loss)
{
	LogEvent ev = { .type = LOG_EVENT_LOSS, .time = t, .server = server, .loss = loss };
	sentlog_import_event (&ev, im);
}

/* A whole Postfix-like message: smtpd/pickup ENTER, cleanup MESSAGE_ID,
 * qmgr SENDER, smtp RECIPIENT(s), qmgr DONE. */
static void
postfix_message (SentLogImport *im, gint64 t, const char *server, const char *qid, LogOrigin origin,
                 const char *client_ip, const char *msgid, const char *sender, const char *rcpt)
{
	ev_enter (im, t, server, qid, origin, client_ip);
	ev_msgid (im, t, server, qid, msgid);
	ev_sender (im, t + 1, server, qid, sender);
	ev_rcpt (im, t + 2, server, qid, rcpt, "sent");
	ev_done (im, t + 2, server, qid);
}

/* The first bytes the current test import is known by (its "first
 * line"): imports in these tests run one at a time. */
static char *test_head;

/* Starts an import of a source whose first bytes are first_line (NULL: no
 * source), resumed from the most specific checkpoint that begins so; the
 * tail is not checked here (cmd_log.c does). */
static SentLogImport *
begin (SentLog *log, const Config *c, const char *first_line, gint64 *off, gint64 *line)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GArray) found = NULL;
	const SentLogSource *resumed = NULL;
	SentLogSource fresh;
	if (first_line) {
		found = sentlog_find_sources (log, (const guint8 *) first_line, strlen (first_line), NULL, &error);
		g_assert_no_error (error);
		if (found && found->len > 0)
			resumed = &g_array_index (found, SentLogSource, 0);
		else
			g_assert_true (sentlog_new_source (log, (const guint8 *) first_line, strlen (first_line), &fresh, &error));
	}
	SentLogImport *im = sentlog_import_begin (log, c, "test", first_line ? resumed ? resumed : &fresh : NULL, &error);
	g_assert_no_error (error);
	g_free (test_head);
	test_head = g_strdup (first_line);
	if (off)
		*off = resumed ? resumed->offset : 0;
	if (line)
		*line = resumed ? resumed->lines : 0;
	return im;
}

static void
checkpoint (SentLogImport *im, gint64 offset, gint64 lines)
{
	g_autoptr (GError) error = NULL;
	SentLogPosition at = { .offset = offset, .lines = lines, .head = (const guint8 *) test_head,
		               .head_len = test_head ? strlen (test_head) : 0 };
	gboolean ok = sentlog_import_checkpoint (im, &at, &error);
	g_assert_no_error (error);
	g_assert_true (ok);
}

/* ---- normalisation -------------------------------------------------------- */

static void
check_addr (const char *in, const char *delims, const char *want)
{
	g_autofree char *got = address_normalise (in, delims);
	if (g_strcmp0 (got, want) != 0)
		g_test_fail_printf ("address_normalise (\"%s\", \"%s\"): want \"%s\", got \"%s\"", in,
		                    delims ? delims : "(null)", want ? want : "(NULL)", got ? got : "(NULL)");
}

static void
test_normalise_address (void)
{
	/* brackets, blanks, domain case (the local part is kept) */
	check_addr ("alice@example.com", "+", "alice@example.com");
	check_addr ("<Alice@Example.COM>", "+", "Alice@example.com");
	check_addr ("  < alice@EXAMPLE.com >  ", "+", "alice@example.com");
	/* +extension */
	check_addr ("alice+news@example.com", "+", "alice@example.com");
	check_addr ("alice+a+b@example.com", "+", "alice@example.com");
	check_addr ("alice-news@example.com", "+", "alice-news@example.com");
	check_addr ("alice+news@example.com", "+-", "alice@example.com");
	check_addr ("alice-news@example.com", "+-", "alice@example.com");
	check_addr ("alice-x+y@example.com", "+-", "alice@example.com");
	check_addr ("alice+news@example.com", NULL, "alice+news@example.com");
	check_addr ("alice+news@example.com", "", "alice+news@example.com");
	/* nothing before the delimiter: the name is kept */
	check_addr ("+foo@example.com", "+", "+foo@example.com");
	/* VERP return path of a list: the extension goes */
	check_addr ("list+bob=remote.example@lists.example.com", "+", "list@lists.example.com");
	/* SRS0 and SRS1 undone */
	check_addr ("SRS0=HHH=TT=Example.ORG=bob@forwarder.example", "+", "bob@example.org");
	check_addr ("srs0=HHH=TT=example.org=bob@forwarder.example", "+", "bob@example.org");
	check_addr ("SRS0+HHH=TT=example.org=bob@forwarder.example", "+", "bob@example.org");
	check_addr ("<SRS0=x1Yz=AB=example.org=bob+tag@fwd.example>", "+", "bob@example.org");
	check_addr ("SRS1=HHH=fwd1.example==HHH=TT=Orig.Example=bob@fwd2.example", "+", "bob@orig.example");
	/* not SRS after all: left alone */
	check_addr ("SRS0=broken@fwd.example", "+", "SRS0=broken@fwd.example");
	/* BATV */
	check_addr ("prvs=1234567890=bob@Example.com", "+", "bob@example.com");
	check_addr ("<prvs=0123abcdef=bob+x@example.com>", "+", "bob@example.com");
	check_addr ("PRVS=1234567890=bob@example.com", "+", "bob@example.com");
	/* the null sender */
	check_addr ("<>", "+", "");
	check_addr ("", "+", "");
	check_addr (" < > ", "+", "");
	/* no domain */
	check_addr ("postmaster", "+", "postmaster");
	check_addr ("bob+x", "+", "bob");
	check_addr ("<MAILER-DAEMON>", "+", "MAILER-DAEMON");
	check_addr (NULL, "+", NULL);
}

/* ---- import ----------------------------------------------------------------- */

static void
test_import_postfix_sequence (void)
{
	g_autofree char *db = new_db_path ("seq.db");
	g_autoptr (Config) c = test_config (db);
	g_autoptr (SentLog) log = open_writer (db);
	REQUIRE (log);
	SentLogImport *im = begin (log, c, "first line of maillog", NULL, NULL);
	REQUIRE (im);

	/* network: a client inside [local] networks */
	ev_enter (im, T0, "mx1", "4Xb2", LOG_ORIGIN_UNKNOWN, "192.0.2.7");
	ev_msgid (im, T0, "mx1", "4Xb2", " <Q1.abc@Example.COM> ");
	ev_sender (im, T0 + 1, "mx1", "4Xb2", "<alice+news@Example.com>");
	ev_rcpt (im, T0 + 2, "mx1", "4Xb2", "bob@remote.example", "deferred");
	ev_rcpt (im, T0 + 3, "mx1", "4Xb2", "<Carol@Remote.Example>", "sent");
	ev_rcpt (im, T0 + 60, "mx1", "4Xb2", "bob@remote.example", "sent");
	ev_done (im, T0 + 60, "mx1", "4Xb2");
	/* foreign: a client outside */
	postfix_message (im, T0 + 100, "mx1", "5Ac3", LOG_ORIGIN_UNKNOWN, "203.0.113.9",
	                 "<q2@example.com>", "alice@example.com", "dave@remote.example");
	/* auth: sasl_username from an outside address */
	postfix_message (im, T0 + 200, "mx1", "6Bd4", LOG_ORIGIN_AUTH, "203.0.113.10",
	                 "<q3@example.com>", "alice@example.com", "erin@remote.example");
	/* local: pickup, no client */
	postfix_message (im, T0 + 300, "mx1", "7Ce5", LOG_ORIGIN_LOCAL, NULL, "<q4@example.com>",
	                 "root@example.com", "frank@remote.example");
	/* IPv6 in and out of 2001:db8::/32 */
	postfix_message (im, T0 + 400, "mx1", "8Df6", LOG_ORIGIN_UNKNOWN, "2001:db8:1::25",
	                 "<q5@example.com>", "alice@example.com", "gina@remote.example");
	postfix_message (im, T0 + 500, "mx1", "9Eg7", LOG_ORIGIN_UNKNOWN, "2001:db9::25",
	                 "<q6@example.com>", "alice@example.com", "hank@remote.example");
	/* the null sender, and a bounce we generated (origin local) */
	postfix_message (im, T0 + 600, "mx1", "AFh8", LOG_ORIGIN_LOCAL, NULL, "<q7@mx1.example.com>",
	                 "<>", "ivan@remote.example");
	/* an ENTER with neither origin nor client: unknown */
	postfix_message (im, T0 + 700, "mx1", "BGi9", LOG_ORIGIN_UNKNOWN, NULL, "<q8@example.com>",
	                 "alice@example.com", "judy@remote.example");
	g_assert_cmpuint (sentlog_import_messages (im), >, 0);
	checkpoint (im, 1000, 40);
	sentlog_import_free (im);

	g_autofree char *rows = q_rows (db,
		"SELECT m.time - (SELECT min (time) FROM messages), s.name, m.queue_id, m.message_id, m.sender,"
		" m.origin, m.open FROM messages m JOIN servers s ON s.id = m.server ORDER BY m.time");
	g_autofree char *want = g_strdup_printf (
		"0|mx1|4Xb2|Q1.abc@example.com|alice@example.com|%d|0\n"
		"100|mx1|5Ac3|q2@example.com|alice@example.com|%d|0\n"
		"200|mx1|6Bd4|q3@example.com|alice@example.com|%d|0\n"
		"300|mx1|7Ce5|q4@example.com|root@example.com|%d|0\n"
		"400|mx1|8Df6|q5@example.com|alice@example.com|%d|0\n"
		"500|mx1|9Eg7|q6@example.com|alice@example.com|%d|0\n"
		"600|mx1|AFh8|q7@mx1.example.com||%d|0\n"
		"700|mx1|BGi9|q8@example.com|alice@example.com|%d|0",
		LOG_ORIGIN_NETWORK, LOG_ORIGIN_FOREIGN, LOG_ORIGIN_AUTH, LOG_ORIGIN_LOCAL,
		LOG_ORIGIN_NETWORK, LOG_ORIGIN_FOREIGN, LOG_ORIGIN_LOCAL, LOG_ORIGIN_UNKNOWN);
	g_assert_cmpstr (rows, ==, want);
	g_assert_cmpint (q_int (db, "SELECT min (time) FROM messages"), ==, T0);

	/* one row per recipient, the last status wins */
	g_autofree char *rcpts = q_rows (db,
		"SELECT r.address FROM recipients r JOIN messages m ON m.id = r.message"
		" WHERE m.queue_id = '4Xb2' ORDER BY r.address");
	g_assert_cmpstr (rcpts, ==, "Carol@remote.example\nbob@remote.example");
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM recipients"), ==, 9);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM servers"), ==, 1);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM sources"), ==, 1);
	g_autofree char *src = q_rows (db, "SELECT name, offset, lines, bad_lines FROM sources");
	g_assert_cmpstr (src, ==, "test|1000|40|0");
	g_autofree char *cov = g_strdup_printf ("%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT, T0, T0 + 702);
	g_autofree char *cov_got = q_rows (db, "SELECT first, last FROM spans");
	g_assert_cmpstr (cov_got, ==, cov);
}

/* A second ENTER of one message (Sendmail's AUTH line) names its origin
 * again: authentication outranks the client address, nothing else
 * replaces a known origin. */
static void
test_import_second_enter (void)
{
	g_autofree char *db = new_db_path ("enter2.db");
	g_autoptr (Config) c = test_config (db);
	g_autoptr (SentLog) log = open_writer (db);
	REQUIRE (log);
	SentLogImport *im = begin (log, c, "x", NULL, NULL);
	REQUIRE (im);
	ev_enter (im, T0, "mx1", "S1", LOG_ORIGIN_UNKNOWN, "203.0.113.5");
	ev_enter (im, T0, "mx1", "S1", LOG_ORIGIN_AUTH, NULL);
	ev_msgid (im, T0, "mx1", "S1", "<s1@example.com>");
	ev_done (im, T0 + 1, "mx1", "S1");
	ev_enter (im, T0 + 10, "mx1", "S2", LOG_ORIGIN_AUTH, NULL);
	ev_enter (im, T0 + 10, "mx1", "S2", LOG_ORIGIN_UNKNOWN, "203.0.113.5");
	ev_msgid (im, T0 + 10, "mx1", "S2", "<s2@example.com>");
	ev_done (im, T0 + 11, "mx1", "S2");
	ev_enter (im, T0 + 20, "mx1", "S3", LOG_ORIGIN_UNKNOWN, NULL);
	ev_enter (im, T0 + 20, "mx1", "S3", LOG_ORIGIN_UNKNOWN, "192.0.2.1");
	ev_msgid (im, T0 + 20, "mx1", "S3", "<s3@example.com>");
	ev_done (im, T0 + 21, "mx1", "S3");
	checkpoint (im, 1, 1);
	sentlog_import_free (im);
	g_autofree char *rows = q_rows (db, "SELECT queue_id, message_id, origin FROM messages ORDER BY time");
	g_autofree char *want = g_strdup_printf ("S1|s1@example.com|%d\nS2|s2@example.com|%d\nS3|s3@example.com|%d",
	                                         LOG_ORIGIN_AUTH, LOG_ORIGIN_AUTH, LOG_ORIGIN_NETWORK);
	g_assert_cmpstr (rows, ==, want);
}

/* jsonl, log record and Exchange give whole records. */
static void
test_import_record (void)
{
	g_autofree char *db = new_db_path ("record.db");
	g_autoptr (Config) c = test_config (db);
	g_autoptr (SentLog) log = open_writer (db);
	REQUIRE (log);
	SentLogImport *im = begin (log, c, "{\"time\":...}", NULL, NULL);
	REQUIRE (im);
	const char *rcpts[] = { "<Bob@Remote.Example>", "carol+x@remote.example", "<>", NULL };
	LogEvent ev = { .type = LOG_EVENT_RECORD, .time = T0, .server = "mx2", .queue_id = "R1",
	                .message_id = "<R1@Example.COM>", .sender = "Alice+tag@EXAMPLE.com",
	                .status = "sent", .origin = LOG_ORIGIN_AUTH, .recipients = rcpts };
	sentlog_import_event (&ev, im);
	const char *none[] = { NULL };
	LogEvent ev2 = { .type = LOG_EVENT_RECORD, .time = T0 + 5, .server = "mx2",
	                 .message_id = "<R2@example.com>", .sender = "alice@example.com",
	                 .status = "sent", .origin = LOG_ORIGIN_FOREIGN, .recipients = none };
	sentlog_import_event (&ev2, im);
	checkpoint (im, 10, 2);
	sentlog_import_free (im);
	g_autofree char *rows = q_rows (db,
		"SELECT queue_id, message_id, sender, origin, open FROM messages ORDER BY time");
	g_autofree char *want = g_strdup_printf ("R1|R1@example.com|Alice@example.com|%d|0\n"
	                                         "NULL|R2@example.com|alice@example.com|%d|0",
	                                         LOG_ORIGIN_AUTH, LOG_ORIGIN_FOREIGN);
	g_assert_cmpstr (rows, ==, want);
	g_autofree char *r = q_rows (db, "SELECT address FROM recipients ORDER BY address");
	g_assert_cmpstr (r, ==, "Bob@remote.example\ncarol@remote.example");
}

/* ---- lookups ----------------------------------------------------------------- */

static void
test_lookup_message_id_earliest (void)
{
	g_autofree char *db = new_db_path ("earliest.db");
	g_autoptr (Config) c = test_config (db);
	{
		g_autoptr (SentLog) log = open_writer (db);
		REQUIRE (log);
		SentLogImport *im = begin (log, c, "a", NULL, NULL);
		REQUIRE (im);
		/* A forged message arrives from outside at 10:00 and is
		 * re-injected by a content filter from a local network at 10:01. */
		postfix_message (im, T0, "mx1", "F1", LOG_ORIGIN_UNKNOWN, "203.0.113.9",
		                 "<forged@example.com>", "alice@example.com", "x@nowhere.example");
		postfix_message (im, T0 + 60, "mx1", "F2", LOG_ORIGIN_UNKNOWN, "192.0.2.25",
		                 "<forged@example.com>", "alice@example.com", "x@nowhere.example");
		/* The reverse order of import: the later (network) row first,
		 * the earlier (foreign) one in a second import. */
		postfix_message (im, T0 + 160, "mx2", "G2", LOG_ORIGIN_UNKNOWN, "192.0.2.25",
		                 "<forged2@example.com>", "alice@example.com", "y@nowhere.example");
		checkpoint (im, 1, 1);
		sentlog_import_free (im);
		im = begin (log, c, "b", NULL, NULL);
		REQUIRE (im);
		postfix_message (im, T0 + 100, "mx1", "G1", LOG_ORIGIN_UNKNOWN, "203.0.113.9",
		                 "<forged2@example.com>", "alice@example.com", "y@nowhere.example");
		/* Ours, for contrast. */
		postfix_message (im, T0 + 200, "mx1", "H1", LOG_ORIGIN_AUTH, "203.0.113.20",
		                 "<real@example.com>", "alice@example.com", "z@remote.example");
		checkpoint (im, 1, 1);
		sentlog_import_free (im);
	}
	g_autoptr (GError) error = NULL;
	g_autoptr (SentLog) r = sentlog_open (db, FALSE, &error);
	g_assert_no_error (error);
	REQUIRE (r);
	g_auto (SentLogMatch) m = { 0 };
	g_assert_true (sentlog_lookup_message_id (r, "<forged@example.com>", &m, &error));
	g_assert_no_error (error);
	g_assert_true (m.found);
	g_assert_cmpint (m.origin, ==, LOG_ORIGIN_FOREIGN);
	g_assert_cmpstr (m.queue_id, ==, "F1");
	g_assert_cmpint (m.time, ==, T0);
	g_assert_cmpstr (m.server, ==, "mx1");
	g_assert_cmpstr (m.sender, ==, "alice@example.com");

	g_assert_true (sentlog_lookup_message_id (r, "forged2@EXAMPLE.COM", &m, &error));
	g_assert_true (m.found);
	g_assert_cmpint (m.origin, ==, LOG_ORIGIN_FOREIGN);
	g_assert_cmpstr (m.queue_id, ==, "G1");
	g_assert_cmpint (m.time, ==, T0 + 100);

	/* normalised the same way at lookup */
	g_assert_true (sentlog_lookup_message_id (r, "  <real@Example.Com>\t", &m, &error));
	g_assert_true (m.found);
	g_assert_cmpint (m.origin, ==, LOG_ORIGIN_AUTH);
	g_assert_cmpstr (m.queue_id, ==, "H1");
	/* a comment and folding white space around the id (msgid_normalise) */
	g_assert_true (sentlog_lookup_message_id (r, "<real@EXAMPLE.com> (sent by mx1)", &m, &error));
	g_assert_true (m.found);
	g_assert_cmpstr (m.queue_id, ==, "H1");

	/* absent, empty */
	g_assert_true (sentlog_lookup_message_id (r, "<nothing@example.com>", &m, &error));
	g_assert_false (m.found);
	g_assert_true (sentlog_lookup_message_id (r, "<>", &m, &error));
	g_assert_false (m.found);
	g_assert_true (sentlog_lookup_message_id (r, "", &m, &error));
	g_assert_false (m.found);
	g_assert_no_error (error);
}

static void
test_lookup_recipient (void)
{
	g_autofree char *db = new_db_path ("rcpt.db");
	g_autoptr (Config) c = test_config (db);
	{
		g_autoptr (SentLog) log = open_writer (db);
		REQUIRE (log);
		SentLogImport *im = begin (log, c, "a", NULL, NULL);
		REQUIRE (im);
		postfix_message (im, T0, "mx1", "A1", LOG_ORIGIN_AUTH, NULL, "<a1@example.com>",
		                 "<alice+x@Example.com>", "<Bob@Remote.Example>");
		postfix_message (im, T0 + 1000, "mx1", "A2", LOG_ORIGIN_LOCAL, NULL, "<a2@example.com>",
		                 "alice@example.com", "Bob@remote.example");
		postfix_message (im, T0 + 2000, "mx1", "A3", LOG_ORIGIN_NETWORK, NULL, "<a3@example.com>",
		                 "alice@example.com", "dave@remote.example");
		/* foreign: the forged sender of backscatter */
		postfix_message (im, T0 + 500, "mx1", "A4", LOG_ORIGIN_UNKNOWN, "203.0.113.66",
		                 "<a4@spam.example>", "alice@example.com", "carol@remote.example");
		/* unknown origin (a log that starts mid-message): not evidence */
		ev_msgid (im, T0 + 600, "mx1", "A5", "<a5@example.com>");
		ev_sender (im, T0 + 600, "mx1", "A5", "alice@example.com");
		ev_rcpt (im, T0 + 600, "mx1", "A5", "erin@remote.example", "sent");
		ev_done (im, T0 + 600, "mx1", "A5");
		checkpoint (im, 1, 1);
		sentlog_import_free (im);
	}
	g_autoptr (GError) error = NULL;
	g_autoptr (SentLog) r = sentlog_open (db, FALSE, &error);
	g_assert_no_error (error);
	REQUIRE (r);
	g_auto (SentLogMatch) m = { 0 };

	/* inside the window */
	g_assert_true (sentlog_lookup_recipient (r, "alice@example.com", "Bob@remote.example", T0 - 10,
	                                         T0 + 10, &m, &error));
	g_assert_true (m.found);
	g_assert_cmpstr (m.queue_id, ==, "A1");
	g_assert_cmpint (m.origin, ==, LOG_ORIGIN_AUTH);
	/* the window's ends are included */
	g_assert_true (sentlog_lookup_recipient (r, "alice@example.com", "Bob@remote.example", T0, T0, &m, &error));
	g_assert_true (m.found);
	/* two in the window: the latest */
	g_assert_true (sentlog_lookup_recipient (r, "alice@example.com", "Bob@remote.example", T0 - 10,
	                                         T0 + 5000, &m, &error));
	g_assert_true (m.found);
	g_assert_cmpstr (m.queue_id, ==, "A2");
	g_assert_cmpint (m.time, ==, T0 + 1000);
	/* between the two */
	g_assert_true (sentlog_lookup_recipient (r, "alice@example.com", "Bob@remote.example", T0 + 1,
	                                         T0 + 999, &m, &error));
	g_assert_false (m.found);
	/* after both, before both */
	g_assert_true (sentlog_lookup_recipient (r, "alice@example.com", "Bob@remote.example", T0 + 1001,
	                                         T0 + 99999, &m, &error));
	g_assert_false (m.found);
	g_assert_true (sentlog_lookup_recipient (r, "alice@example.com", "Bob@remote.example", 0, T0 - 1,
	                                         &m, &error));
	g_assert_false (m.found);
	/* network counts */
	g_assert_true (sentlog_lookup_recipient (r, "alice@example.com", "dave@remote.example", T0,
	                                         T0 + 5000, &m, &error));
	g_assert_true (m.found);
	g_assert_cmpstr (m.queue_id, ==, "A3");
	/* foreign never counts, even inside the window */
	g_assert_true (sentlog_lookup_recipient (r, "alice@example.com", "carol@remote.example", 0,
	                                         G_MAXINT64, &m, &error));
	g_assert_false (m.found);
	/* unknown origin does not either */
	g_assert_true (sentlog_lookup_recipient (r, "alice@example.com", "erin@remote.example", 0,
	                                         G_MAXINT64, &m, &error));
	g_assert_false (m.found);
	/* another sender */
	g_assert_true (sentlog_lookup_recipient (r, "mallory@example.com", "Bob@remote.example", 0,
	                                         G_MAXINT64, &m, &error));
	g_assert_false (m.found);
	g_assert_no_error (error);
}

static void
grep_collect (const SentLogMatch *m, gpointer rows)
{
	g_string_append_printf (rows, "%s|%s;", m->queue_id, m->sender ? m->sender : "NULL");
}

/* log grep: the query hashed as stored; a recipient under every sender,
 * the unknown one too; no text of either in the file. */
static void
test_grep (void)
{
	g_autofree char *db = new_db_path ("grep.db");
	g_autoptr (Config) c = test_config (db);
	{
		g_autoptr (SentLog) log = open_writer (db);
		REQUIRE (log);
		SentLogImport *im = begin (log, c, "a", NULL, NULL);
		REQUIRE (im);
		postfix_message (im, T0, "mx1", "A1", LOG_ORIGIN_AUTH, NULL, "<same@example.com>", "alice@example.com",
		                 "bob@remote.example");
		postfix_message (im, T0 + 10, "mx2", "B1", LOG_ORIGIN_AUTH, NULL, "<other@example.com>",
		                 "carol@example.com", "bob@remote.example");
		/* re-injected by a content filter: the same Message-ID again */
		postfix_message (im, T0 + 5, "mx1", "A2", LOG_ORIGIN_LOCAL, NULL, "<same@example.com>", "alice@example.com",
		                 "dave@remote.example");
		/* no sender seen (the log starts mid-message) */
		ev_rcpt (im, T0 + 20, "mx1", "C1", "bob@remote.example", "sent");
		ev_done (im, T0 + 20, "mx1", "C1");
		checkpoint (im, 1, 1);
		sentlog_import_free (im);
	}
	g_autoptr (GError) error = NULL;
	g_autoptr (SentLog) r = sentlog_open (db, FALSE, &error);
	REQUIRE (r);
	g_autoptr (GString) rows = g_string_new (NULL);
	guint64 n = 0;
	g_assert_true (sentlog_grep (r, "<same@EXAMPLE.com>", NULL, grep_collect, rows, &n, &error));
	g_assert_no_error (error);
	g_assert_cmpstr (rows->str, ==, "A1|alice@example.com;A2|alice@example.com;");
	g_assert_cmpuint (n, ==, 2);
	g_string_truncate (rows, 0);
	g_assert_true (sentlog_grep (r, NULL, "bob@remote.example", grep_collect, rows, &n, &error));
	g_assert_cmpstr (rows->str, ==, "A1|alice@example.com;B1|carol@example.com;C1|NULL;");
	g_string_truncate (rows, 0);
	g_assert_true (sentlog_grep (r, NULL, "erin@remote.example", grep_collect, rows, &n, &error));
	g_assert_cmpstr (rows->str, ==, "");
	g_assert_cmpuint (n, ==, 0);
	g_assert_true (sentlog_grep (r, "not an id <", NULL, grep_collect, rows, &n, &error));
	g_assert_cmpuint (n, ==, 0);
	g_assert_no_error (error);
	/* neither the Message-IDs nor the recipients are in the file */
	g_autofree char *bytes = NULL;
	gsize len = 0;
	sentlog_close (g_steal_pointer (&r));
	g_assert_true (g_file_get_contents (db, &bytes, &len, NULL));
	g_autofree char *wal = g_strconcat (db, "-wal", NULL);
	g_autofree char *wal_bytes = NULL;
	gsize wal_len = 0;
	g_file_get_contents (wal, &wal_bytes, &wal_len, NULL);
	static const char *const secret[] = { "same@", "other@", "bob@", "dave@", "remote.example" };
	for (guint i = 0; i < G_N_ELEMENTS (secret); i++) {
		g_assert_null (g_strstr_len (bytes, (gssize) len, secret[i]) ? secret[i] : NULL);
		g_assert_null (wal_bytes && g_strstr_len (wal_bytes, (gssize) wal_len, secret[i]) ? secret[i] : NULL);
	}
}

/* Whether [from, to] is covered by the servers in list (NULL: all), with
 * the config's max_gap. */
static gboolean
covered (SentLog *log, gint64 from, gint64 to, const char *const *list)
{
	g_autoptr (GError) error = NULL;
	g_auto (SentLogCoverage) c = { 0 };
	gboolean ok = sentlog_coverage (log, from, to, list, NS_SENTLOG_MAX_GAP, &c, &error);
	g_assert_no_error (error);
	g_assert_true (ok);
	return c.covered;
}

static void
test_covers (void)
{
	g_autofree char *db = new_db_path ("covers.db");
	g_autoptr (Config) c = test_config (db);
	g_autoptr (GError) error = NULL;
	{
		/* An empty log covers nothing. */
		g_autoptr (SentLog) log = open_writer (db);
		REQUIRE (log);
		g_assert_false (covered (log, T0, T0, NULL));
		SentLogImport *im = begin (log, c, "a", NULL, NULL);
		REQUIRE (im);
		/* mx1: [T0, T0+1000]; mx2: [T0+500, T0+2000] */
		ev_enter (im, T0, "mx1", "C1", LOG_ORIGIN_LOCAL, NULL);
		ev_done (im, T0 + 1000, "mx1", "C1");
		ev_enter (im, T0 + 500, "mx2", "C2", LOG_ORIGIN_LOCAL, NULL);
		ev_done (im, T0 + 2000, "mx2", "C2");
		checkpoint (im, 1, 1);
		sentlog_import_free (im);
	}
	g_autoptr (SentLog) r = sentlog_open (db, FALSE, &error);
	g_assert_no_error (error);
	REQUIRE (r);
	const char *const mx1[] = { "mx1", NULL };
	const char *const mx2[] = { "mx2", NULL };
	const char *const both[] = { "mx1", "mx2", NULL };
	const char *const with_missing[] = { "mx1", "mx3", NULL };
	const char *const missing_first[] = { "mx3", "mx1", NULL };
	const char *const empty[] = { NULL };
	static const struct {
		gint64 from, to;
		int which; /* 0 NULL, 1 mx1, 2 mx2, 3 both, 4 mx1+mx3, 5 mx3+mx1, 6 empty */
		gboolean want;
	} cases[] = {
		{ 700, 700, 0, TRUE },   { 100, 100, 0, FALSE }, { 1500, 1500, 0, FALSE }, { 500, 500, 0, TRUE },
		{ 1000, 1000, 0, TRUE }, { -1, -1, 0, FALSE },   { 2001, 2001, 0, FALSE },
		{ 100, 100, 1, TRUE },   { 0, 0, 1, TRUE },      { 1000, 1000, 1, TRUE },  { 1001, 1001, 1, FALSE },
		{ -1, -1, 1, FALSE },    { 1500, 1500, 2, TRUE }, { 100, 100, 2, FALSE },  { 2000, 2000, 2, TRUE },
		{ 700, 700, 3, TRUE },   { 100, 100, 3, FALSE }, { 1500, 1500, 3, FALSE },
		{ 700, 700, 4, FALSE },  { 100, 100, 4, FALSE }, { 700, 700, 5, FALSE },
		{ 700, 700, 6, TRUE },   { 100, 100, 6, FALSE },
		/* intervals: the whole of one must lie in every span */
		{ 0, 1000, 1, TRUE },    { 0, 1001, 1, FALSE },  { -1, 1000, 1, FALSE },
		{ 500, 1000, 0, TRUE },  { 499, 1000, 0, FALSE }, { 500, 1001, 0, FALSE },
		{ 600, 1900, 2, TRUE },
	};
	const char *const *lists[] = { NULL, mx1, mx2, both, with_missing, missing_first, empty };
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		gboolean got = covered (r, T0 + cases[i].from, T0 + cases[i].to, lists[cases[i].which]);
		if (got != cases[i].want)
			g_test_fail_printf ("covers ([T0%+" G_GINT64_FORMAT ", T0%+" G_GINT64_FORMAT "], list %d):"
			                    " want %d, got %d", cases[i].from, cases[i].to, cases[i].which,
			                    cases[i].want, got);
	}
	/* What each server lacks, for explain. */
	g_auto (SentLogCoverage) cov = { 0 };
	g_assert_true (sentlog_coverage (r, T0 + 200, T0 + 1800, NULL, NS_SENTLOG_MAX_GAP, &cov, &error));
	g_assert_no_error (error);
	REQUIRE (cov.servers && cov.servers->len == 2);
	SentLogServerCoverage *c1 = g_ptr_array_index (cov.servers, 0), *c2 = g_ptr_array_index (cov.servers, 1);
	g_assert_cmpstr (c1->server, ==, "mx1");
	g_assert_false (c1->covered);
	g_assert_cmpint (c1->span.first, ==, T0);
	g_assert_cmpint (c1->span.last, ==, T0 + 1000);
	g_assert_cmpint (c1->gap.first, ==, T0 + 1000);
	g_assert_cmpint (c1->gap.last, ==, T0 + 1800);
	g_assert_cmpstr (c2->server, ==, "mx2");
	g_assert_cmpint (c2->span.first, ==, 0);
	g_assert_cmpint (c2->gap.first, ==, T0 + 200);
	g_assert_cmpint (c2->gap.last, ==, T0 + 500);
	g_assert_false (cov.covered);
}

/* ---- coverage: what was really read (doc/design.md "Coverage") ----------------- */

/* A stretch of log: lines of server every `step` seconds from `from` to
 * `to`, then a checkpoint. */
static void
read_lines (SentLog *log, const Config *c, const char *source, const char *server, gint64 from,
            gint64 to, gint64 step)
{
	SentLogImport *im = begin (log, c, source, NULL, NULL);
	REQUIRE (im);
	for (gint64 t = from; t <= to; t += step)
		ev_seen (im, t, server);
	checkpoint (im, 1, 1);
	sentlog_import_free (im);
}

/* The issue's reproduction at the log's level: a day's log, then a log of
 * four weeks later. The month between was never read. */
static void
test_coverage_gap_between_imports (void)
{
	g_autofree char *db = new_db_path ("gap.db");
	g_autoptr (Config) c = test_config (db);
	g_autoptr (SentLog) log = open_writer (db);
	REQUIRE (log);
	gint64 D1 = T0 - 29 * 86400, D2 = T0 - 86400;
	read_lines (log, c, "mail.log of day 1", "mx1", D1, D1 + 86399, 600);
	read_lines (log, c, "mail.log of 4 weeks later", "mx1", D2, D2 + 86399, 600);
	g_assert_true (covered (log, D1 + 3600, D1 + 7200, NULL));
	g_assert_true (covered (log, D2 + 3600, D2 + 7200, NULL));
	/* the month between is not covered, nor anything reaching into it */
	g_assert_false (covered (log, D1 + 10 * 86400, D1 + 10 * 86400, NULL));
	g_assert_false (covered (log, D1 + 80000, D1 + 90000, NULL));
	g_assert_false (covered (log, D2 - 600, D2 + 600, NULL));
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM spans"), ==, 2);
}

/* Spans read with other normal forms (an older ndrsift's, whose digests
 * may not be what a lookup makes now) cover nothing: a miss there is
 * unknown, never forged; the next import starts a span of its own
 * rather than extending theirs; log stats counts them. */
static void
test_coverage_other_normalisation (void)
{
	g_autofree char *db = new_db_path ("norm.db");
	g_autoptr (Config) c = test_config (db);
	g_autoptr (SentLog) log = open_writer (db);
	REQUIRE (log);
	gint64 D = T0 - 2 * 86400;
	read_lines (log, c, "day 1", "mx1", D, D + 86399, 600);
	g_assert_true (covered (log, D + 3600, D + 7200, NULL));
	sqlite3 *h = NULL;
	g_assert_cmpint (sqlite3_open (db, &h), ==, SQLITE_OK);
	g_assert_cmpint (sqlite3_exec (h, "UPDATE spans SET norm = norm - 1", NULL, NULL, NULL), ==, SQLITE_OK);
	sqlite3_close (h);
	g_assert_false (covered (log, D + 3600, D + 7200, NULL));
	g_autoptr (GError) error = NULL;
	g_autoptr (SentLogStats) st = sentlog_stats (log, NS_SENTLOG_MAX_GAP, &error);
	g_assert_no_error (error);
	REQUIRE (st);
	g_assert_cmpint (st->other_norm, ==, 1);
	/* the same source goes on (its checkpoint is kept) in a new span */
	read_lines (log, c, "day 1", "mx1", D + 86400, D + 2 * 86399, 600);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM spans"), ==, 2);
	g_assert_false (covered (log, D + 3600, D + 7200, NULL));
	g_assert_true (covered (log, D + 86400 + 3600, D + 86400 + 7200, NULL));
}

/* Rotated files imported out of order, one skipped and imported late: a
 * file that starts where the last one ended (within max_gap) joins it;
 * the skipped day is a gap until its file arrives. */
static void
test_coverage_rotation (void)
{
	g_autofree char *db = new_db_path ("rotation.db");
	g_autoptr (Config) c = test_config (db);
	g_autoptr (SentLog) log = open_writer (db);
	REQUIRE (log);
	gint64 D = T0 - 10 * 86400;
	/* mail.log.3, .2, .1 each hold a day, rotated at D + n days; read
	 * .1 first, then .3; .2 is skipped */
	read_lines (log, c, "day 3", "mx1", D + 2 * 86400 + 5, D + 3 * 86400 - 1, 300);
	read_lines (log, c, "day 1", "mx1", D + 5, D + 86400 - 1, 300);
	const char *const mx1[] = { "mx1", NULL };
	g_assert_true (covered (log, D + 600, D + 80000, mx1));
	g_assert_false (covered (log, D + 86400 + 600, D + 86400 + 600, mx1));
	g_assert_false (covered (log, D + 600, D + 2 * 86400 + 600, mx1));
	/* the late file fills the gap: three days in one joined span */
	read_lines (log, c, "day 2", "mx1", D + 86400 + 5, D + 2 * 86400 - 1, 300);
	g_assert_true (covered (log, D + 600, D + 2 * 86400 + 600, mx1));
	g_autoptr (GError) error = NULL;
	g_autoptr (SentLogStats) st = sentlog_stats (log, NS_SENTLOG_MAX_GAP, &error);
	g_assert_no_error (error);
	REQUIRE (st && st->servers->len == 1);
	SentLogServer *sv = g_ptr_array_index (st->servers, 0);
	g_assert_cmpuint (sv->spans->len, ==, 1);
	/* a smaller max_gap (readers join) keeps the quiet hour apart */
	read_lines (log, c, "day 4", "mx1", D + 3 * 86400 + 3000, D + 3 * 86400 + 6000, 300);
	g_auto (SentLogCoverage) cov = { 0 };
	g_assert_true (sentlog_coverage (log, D + 600, D + 3 * 86400 + 4000, mx1, 3600, &cov, &error));
	g_assert_true (cov.covered);
	sentlog_coverage_clear (&cov);
	g_assert_true (sentlog_coverage (log, D + 600, D + 3 * 86400 + 4000, mx1, 1800, &cov, &error));
	g_assert_false (cov.covered);
}

/* The same lines read twice (a copy of a file under another identity):
 * the spans overlap and cover what one would. */
static void
test_coverage_overlapping_reimport (void)
{
	g_autofree char *db = new_db_path ("overlap.db");
	g_autoptr (Config) c = test_config (db);
	g_autoptr (SentLog) log = open_writer (db);
	REQUIRE (log);
	read_lines (log, c, "mail.log", "mx1", T0, T0 + 7200, 60);
	read_lines (log, c, "a copy of mail.log, first line changed", "mx1", T0 + 3600, T0 + 10800, 60);
	read_lines (log, c, "mail.log", "mx1", T0, T0 + 7200, 60); /* resumed: the same span */
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM spans"), ==, 2);
	g_assert_true (covered (log, T0, T0 + 10800, NULL));
	g_assert_false (covered (log, T0 - 1, T0 + 10800, NULL));
}

/* One source read in two imports (a cron job every few minutes): the
 * second goes on with the first one's span. */
static void
test_coverage_resume (void)
{
	g_autofree char *db = new_db_path ("resume.db");
	g_autoptr (Config) c = test_config (db);
	g_autoptr (SentLog) log = open_writer (db);
	REQUIRE (log);
	read_lines (log, c, "mail.log", "mx1", T0, T0 + 600, 60);
	read_lines (log, c, "mail.log", "mx1", T0 + 900, T0 + 1500, 60);
	g_autofree char *rows = q_rows (db, "SELECT first - (SELECT min (first) FROM spans), last - first,"
	                                    " cut_before, cut_after FROM spans");
	g_assert_cmpstr (rows, ==, "0|1500|0|0");
	/* log record's messages (no source) join the same way */
	for (int i = 0; i < 3; i++) {
		SentLogImport *im = begin (log, c, NULL, NULL, NULL);
		REQUIRE (im);
		LogEvent ev = { .type = LOG_EVENT_RECORD, .time = T0 + i * 600, .server = "rec",
		                .message_id = "<r@example.com>", .status = "sent", .origin = LOG_ORIGIN_LOCAL };
		sentlog_import_event (&ev, im);
		checkpoint (im, 0, 0);
		sentlog_import_free (im);
	}
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM spans WHERE source IS NULL"), ==, 1);
	g_assert_cmpint (q_int (db, "SELECT last - first FROM spans WHERE source IS NULL"), ==, 1200);
}

/* A server that goes silent: later intervals are not covered while it
 * is needed; retired, it is needed only before; a line of it later puts
 * it back in service. */
static void
test_coverage_silent_server (void)
{
	g_autofree char *db = new_db_path ("silent.db");
	g_autoptr (Config) c = test_config (db);
	g_autoptr (SentLog) log = open_writer (db);
	REQUIRE (log);
	gint64 D = T0 - 5 * 86400;
	SentLogImport *im = begin (log, c, "central", NULL, NULL);
	REQUIRE (im);
	for (gint64 t = D; t <= D + 4 * 86400; t += 600) {
		ev_seen (im, t, "mx1");
		if (t <= D + 86400)
			ev_seen (im, t, "mx2"); /* mx2 stops after a day */
	}
	checkpoint (im, 1, 1);
	sentlog_import_free (im);
	const char *const mx1[] = { "mx1", NULL };
	g_assert_true (covered (log, D + 600, D + 3600, NULL));
	g_assert_false (covered (log, D + 2 * 86400, D + 2 * 86400 + 60, NULL));
	g_assert_true (covered (log, D + 2 * 86400, D + 2 * 86400 + 60, mx1));

	g_autoptr (GError) error = NULL;
	gint64 when = 0;
	g_assert_true (sentlog_retire (log, "mx2", 0, FALSE, FALSE, &when, &error));
	g_assert_no_error (error);
	g_assert_cmpint (when, ==, D + 86400); /* its last line */
	g_assert_true (covered (log, D + 2 * 86400, D + 2 * 86400 + 60, NULL));
	/* still needed before: an interval that starts before it retired */
	g_assert_false (covered (log, D + 86400 - 600, D + 86400 + 3600, NULL));
	g_assert_true (covered (log, D + 600, D + 3600, NULL));
	g_auto (SentLogCoverage) cov = { 0 };
	g_assert_true (sentlog_coverage (log, D + 3 * 86400, D + 3 * 86400, NULL, NS_SENTLOG_MAX_GAP, &cov, &error));
	REQUIRE (cov.servers && cov.servers->len == 2);
	SentLogServerCoverage *c2 = g_ptr_array_index (cov.servers, 1);
	g_assert_false (c2->required);
	g_assert_cmpint (c2->retired, ==, D + 86400);
	/* retiring a listed server the log never saw */
	g_assert_false (sentlog_retire (log, "mx9", D, FALSE, FALSE, &when, &error));
	g_assert_error (error, SENTLOG_ERROR, SENTLOG_ERROR_MISSING);
	g_clear_error (&error);
	g_assert_true (sentlog_retire (log, "mx9", D, FALSE, TRUE, &when, &error));
	g_assert_no_error (error);
	g_assert_cmpint (when, ==, D);
	const char *const with_mx9[] = { "mx1", "mx9", NULL };
	g_assert_true (covered (log, D + 600, D + 3600, with_mx9));
	g_assert_true (sentlog_retire (log, "mx9", 0, TRUE, FALSE, &when, &error));
	g_assert_false (covered (log, D + 600, D + 3600, with_mx9));
	/* undone, the server that only retiring added is gone again */
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM servers WHERE name = 'mx9'"), ==, 0);
	/* mx2 logs again: in service from then on */
	read_lines (log, c, "mx2 back", "mx2", D + 4 * 86400 - 600, D + 4 * 86400, 60);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM servers WHERE name = 'mx2' AND retired IS NULL"), ==, 1);
	g_assert_false (covered (log, D + 2 * 86400, D + 2 * 86400 + 60, NULL));
	g_assert_true (covered (log, D + 4 * 86400 - 300, D + 4 * 86400, NULL));
}

/* A lost line (a malformed one, whatever server it was of) cuts every
 * server's span of the source where it was: the stretch between the last
 * line before and the next after is not covered, and spans on either
 * side do not join, not even across imports. */
static void
test_coverage_bad_line (void)
{
	g_autofree char *db = new_db_path ("badline.db");
	g_autoptr (Config) c = test_config (db);
	g_autoptr (SentLog) log = open_writer (db);
	REQUIRE (log);
	read_lines (log, c, "mail.log.1", "mx2", T0 - 3600, T0, 60);
	SentLogImport *im = begin (log, c, "mail.log", NULL, NULL);
	REQUIRE (im);
	ev_seen (im, T0 + 10, "mx1");
	ev_seen (im, T0 + 20, "mx1");
	sentlog_import_bad_line (im);
	ev_seen (im, T0 + 30, "mx1");
	ev_seen (im, T0 + 40, "mx1");
	/* mx2's first line here comes after the loss: it does not join
	 * mail.log.1's span */
	ev_seen (im, T0 + 50, "mx2");
	checkpoint (im, 10, 5);
	sentlog_import_free (im);
	const char *const mx1[] = { "mx1", NULL }, *const mx2[] = { "mx2", NULL };
	g_assert_true (covered (log, T0 + 10, T0 + 20, mx1));
	g_assert_true (covered (log, T0 + 30, T0 + 40, mx1));
	g_assert_false (covered (log, T0 + 15, T0 + 35, mx1));
	g_assert_false (covered (log, T0 + 25, T0 + 25, mx1));
	g_assert_false (covered (log, T0 - 60, T0 + 50, mx2));

	/* Across imports: the loss is the last thing read, then the import
	 * stops; the next one must not join its first line to the span
	 * before the loss. */
	im = begin (log, c, "mail.log", NULL, NULL);
	REQUIRE (im);
	ev_seen (im, T0 + 60, "mx1");
	sentlog_import_bad_line (im);
	checkpoint (im, 20, 7);
	sentlog_import_free (im);
	im = begin (log, c, "mail.log", NULL, NULL);
	REQUIRE (im);
	ev_seen (im, T0 + 70, "mx1");
	ev_seen (im, T0 + 80, "mx1");
	checkpoint (im, 30, 9);
	sentlog_import_free (im);
	g_assert_true (covered (log, T0 + 30, T0 + 60, mx1));
	g_assert_false (covered (log, T0 + 30, T0 + 70, mx1));
	g_assert_true (covered (log, T0 + 70, T0 + 80, mx1));
	/* a server first seen after a restart of a source with a loss in it
	 * does not join its older span either */
	read_lines (log, c, "mail.log.1", "mx3", T0 - 600, T0, 60);
	im = begin (log, c, "mail.log", NULL, NULL);
	REQUIRE (im);
	ev_seen (im, T0 + 100, "mx3");
	checkpoint (im, 40, 10);
	sentlog_import_free (im);
	const char *const mx3[] = { "mx3", NULL };
	g_assert_false (covered (log, T0 - 60, T0 + 100, mx3));
	g_assert_cmpint (q_int (db, "SELECT cuts FROM sources WHERE name = 'test' AND offset = 40"), ==, 2);
}

/* rsyslog's and journald's notices of lines dropped by rate limiting. */
static void
test_coverage_rate_limit (void)
{
	g_autofree char *db = new_db_path ("ratelimit.db");
	g_autoptr (Config) c = test_config (db);
	g_autoptr (SentLog) log = open_writer (db);
	REQUIRE (log);
	const char *const mx1[] = { "mx1", NULL }, *const mx2[] = { "mx2", NULL };
	SentLogImport *im = begin (log, c, "central", NULL, NULL);
	REQUIRE (im);
	for (gint64 t = T0; t < T0 + 600; t += 10) {
		ev_seen (im, t, "mx1");
		ev_seen (im, t, "mx2");
	}
	/* imuxsock on mx1 begins to drop at +600 and says how many it lost
	 * at +700: what mx1 wrote in between is not proof of coverage */
	ev_loss (im, T0 + 600, "mx1", LOG_LOSS_BEGIN);
	for (gint64 t = T0 + 600; t < T0 + 1200; t += 10) {
		ev_seen (im, t, "mx2");
		if (t < T0 + 700 || t > T0 + 720)
			ev_seen (im, t, "mx1");
		if (t == T0 + 700)
			ev_loss (im, t, "mx1", LOG_LOSS_END);
	}
	checkpoint (im, 1, 1);
	sentlog_import_free (im);
	g_assert_true (covered (log, T0, T0 + 590, mx1));
	g_assert_false (covered (log, T0 + 590, T0 + 600, mx1));
	g_assert_false (covered (log, T0 + 650, T0 + 650, mx1));
	g_assert_true (covered (log, T0 + 730, T0 + 1190, mx1));
	g_assert_false (covered (log, T0 + 500, T0 + 800, mx1));
	/* mx2's lines were not lost */
	g_assert_true (covered (log, T0, T0 + 1190, mx2));

	/* journald says only afterwards: "Suppressed N messages". The loss
	 * lies somewhere before the notice (within max_gap of mx2's last
	 * line): that stretch is taken out, in every source. */
	im = begin (log, c, "journal", NULL, NULL);
	REQUIRE (im);
	for (gint64 t = T0 + 1200; t < T0 + 9000; t += 10)
		ev_seen (im, t, "mx2");
	ev_loss (im, T0 + 9000, "mx2", LOG_LOSS_END);
	for (gint64 t = T0 + 9010; t < T0 + 12000; t += 10)
		ev_seen (im, t, "mx2");
	checkpoint (im, 1, 1);
	sentlog_import_free (im);
	g_assert_true (covered (log, T0, T0 + 9000 - 10 - NS_SENTLOG_MAX_GAP, mx2));
	g_assert_false (covered (log, T0 + 9000 - NS_SENTLOG_MAX_GAP, T0 + 9000 - NS_SENTLOG_MAX_GAP + 10, mx2));
	g_assert_false (covered (log, T0 + 8990, T0 + 9000, mx2));
	g_assert_true (covered (log, T0 + 9010, T0 + 11990, mx2));

	/* a central input's notice (no server): every server's span is cut */
	im = begin (log, c, "central 2", NULL, NULL);
	REQUIRE (im);
	for (gint64 t = T0 + 20000; t < T0 + 20100; t += 10) {
		ev_seen (im, t, "mx1");
		ev_seen (im, t, "mx2");
	}
	ev_loss (im, T0 + 20100, NULL, LOG_LOSS_BEGIN);
	ev_loss (im, T0 + 20105, NULL, LOG_LOSS_END);
	for (gint64 t = T0 + 20110; t < T0 + 20200; t += 10) {
		ev_seen (im, t, "mx1");
		ev_seen (im, t, "mx2");
	}
	checkpoint (im, 1, 1);
	sentlog_import_free (im);
	g_assert_false (covered (log, T0 + 20050, T0 + 20150, mx1));
	g_assert_false (covered (log, T0 + 20050, T0 + 20150, mx2));
	g_assert_true (covered (log, T0 + 20110, T0 + 20190, NULL));

	/* Another copy of mx1's lines (its local mail.log), read after the
	 * notices, does not fill what was dropped before any copy was made:
	 * the order of imports does not matter. */
	read_lines (log, c, "mx1 local copy", "mx1", T0, T0 + 1200, 10);
	g_assert_false (covered (log, T0 + 650, T0 + 650, mx1));
	g_assert_false (covered (log, T0 + 500, T0 + 800, mx1));
	/* the notices' own seconds are in the hole: a line dropped in them
	 * carries their time */
	g_assert_true (covered (log, T0, T0 + 599, mx1));
	g_assert_false (covered (log, T0 + 600, T0 + 600, mx1));
	g_assert_false (covered (log, T0 + 700, T0 + 700, mx1));
	g_assert_true (covered (log, T0 + 701, T0 + 1200, mx1));
	/* a notice about a host that is not in the log (the central log
	 * host's own lines) adds no server that intervals would then need */
	im = begin (log, c, "central 3", NULL, NULL);
	REQUIRE (im);
	ev_loss (im, T0 + 30000, "loghost", LOG_LOSS_BEGIN);
	ev_loss (im, T0 + 30005, "loghost", LOG_LOSS_END);
	checkpoint (im, 1, 1);
	sentlog_import_free (im);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM servers WHERE name = 'loghost'"), ==, 0);
	/* log stats shows the holes; prune drops those it passes */
	g_autoptr (GError) error = NULL;
	g_autoptr (SentLogStats) st = sentlog_stats (log, NS_SENTLOG_MAX_GAP, &error);
	REQUIRE (st && st->servers->len == 2);
	SentLogServer *s1 = g_ptr_array_index (st->servers, 0);
	g_assert_cmpuint (s1->holes->len, ==, 2); /* its own, and every server's */
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM holes"), ==, 3);
	gint64 deleted;
	g_assert_true (sentlog_prune (log, T0 + 10000, &deleted, &error));
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM holes"), ==, 1);
	g_assert_cmpint (q_int (db, "SELECT min (first) FROM spans"), ==, T0 + 10000);
	g_assert_true (covered (log, T0 + 10000, T0 + 11990, mx2));
}

/* A database of schema 1 (one span per server) is migrated in place by
 * the first writer: its spans are rebuilt from the messages, and a month
 * without a message is no longer covered. */
static void
test_migrate_schema_1 (void)
{
	g_autofree char *db = new_db_path ("schema1.db");
	sqlite3 *h = NULL;
	g_assert_cmpint (sqlite3_open (db, &h), ==, SQLITE_OK);
	gint64 D1 = T0 - 40 * 86400, D2 = T0 - 10 * 86400;
	g_autofree char *sql = g_strdup_printf (
		"PRAGMA journal_mode = WAL;"
		"CREATE TABLE servers (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
		"CREATE TABLE messages (id INTEGER PRIMARY KEY, time INTEGER NOT NULL,"
		"  server INTEGER NOT NULL REFERENCES servers (id), queue_id TEXT, message_id TEXT, sender TEXT,"
		"  origin INTEGER NOT NULL DEFAULT 0, open INTEGER NOT NULL DEFAULT 1);"
		"CREATE INDEX messages_by_message_id ON messages (message_id) WHERE message_id IS NOT NULL;"
		"CREATE INDEX messages_open ON messages (server, queue_id) WHERE open = 1;"
		"CREATE INDEX messages_by_sender ON messages (sender, time);"
		"CREATE TABLE recipients (message INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,"
		"  address TEXT NOT NULL, status TEXT, PRIMARY KEY (message, address)) WITHOUT ROWID;"
		"CREATE TABLE coverage (server INTEGER PRIMARY KEY REFERENCES servers (id),"
		"  first INTEGER NOT NULL, last INTEGER NOT NULL);"
		"CREATE TABLE sources (fingerprint TEXT PRIMARY KEY, name TEXT NOT NULL,"
		"  offset INTEGER NOT NULL, lines INTEGER NOT NULL, bad_lines INTEGER NOT NULL,"
		"  updated INTEGER NOT NULL) WITHOUT ROWID;"
		"INSERT INTO servers VALUES (1, 'mx1'), (2, 'mx2');"
		"INSERT INTO messages (time, server, queue_id, message_id, sender, origin, open) VALUES"
		" (%" G_GINT64_FORMAT ", 1, 'A', 'a@example.com', 'alice@example.com', 2, 0),"
		" (%" G_GINT64_FORMAT ", 1, 'B', 'b@example.com', 'alice@example.com', 2, 0),"
		" (%" G_GINT64_FORMAT ", 1, 'C', 'c@example.com', 'alice@example.com', 2, 0),"
		" (%" G_GINT64_FORMAT ", 2, 'D', 'd@example.com', 'alice@example.com', 2, 0);"
		"INSERT INTO coverage VALUES (1, %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "),"
		" (2, %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ");"
		"INSERT INTO recipients VALUES (1, 'bob@remote.example', 'sent');"
		"INSERT INTO sources VALUES ('f', 'mail.log', 100, 10, 0, 0);"
		"PRAGMA user_version = 1;",
		D1 + 600, D1 + 1800, D2 + 60, D2 + 30,
		D1, D2 + 120, D2, D2 + 3000);
	g_assert_cmpint (sqlite3_exec (h, sql, NULL, NULL, NULL), ==, SQLITE_OK);
	sqlite3_close (h);

	/* a reader refuses it and says how to migrate; nothing changes */
	g_autoptr (GError) error = NULL;
	SentLog *r = sentlog_open (db, FALSE, &error);
	g_assert_null (r);
	g_assert_nonnull (error);
	if (error)
		g_assert_nonnull (strstr (error->message, "log import"));
	g_clear_error (&error);
	g_assert_cmpint (q_int (db, "PRAGMA user_version"), ==, 1);

	g_autoptr (SentLog) log = open_writer (db);
	REQUIRE (log);
	g_assert_cmpint (q_int (db, "PRAGMA user_version"), ==, 5); /* the current schema */
	/* the text is gone, its digests answer the lookups */
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM main.messages WHERE typeof (message_id) = 'blob'"
	                            " AND length (message_id) = 8"), ==, 4);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM main.recipients WHERE typeof (pair) = 'blob' AND length (pair) = 6"), ==, 1);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM pragma_table_info ('recipients', 'main') WHERE name = 'address'"), ==, 0);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM spans WHERE norm = " G_STRINGIFY (SENTLOG_NORMALISATION)), ==, 3);
	{
		g_auto (SentLogMatch) m = { 0 };
		g_assert_true (sentlog_lookup_message_id (log, "<a@Example.COM>", &m, &error));
		g_assert_true (m.found);
		g_assert_cmpstr (m.queue_id, ==, "A");
		g_assert_cmpstr (m.sender, ==, "alice@example.com");
		g_assert_true (sentlog_lookup_recipient (log, "alice@example.com", "bob@remote.example", D1, D1 + 3600, &m,
		                                         &error));
		g_assert_true (m.found);
		g_assert_cmpstr (m.queue_id, ==, "A");
		g_assert_true (sentlog_lookup_recipient (log, "bob@example.com", "bob@remote.example", D1, D1 + 3600, &m,
		                                         &error));
		g_assert_false (m.found);
	}
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM sqlite_master WHERE name = 'coverage'"), ==, 0);
	/* mx1: [D1, D1+1800] (D1 is the old span's first line), then
	 * [D2+60, D2+120]; mx2: [D2, D2+30], [D2+3000, D2+3000] are one
	 * hour apart: joined at reading time */
	g_autofree char *rows = q_rows (db, "SELECT s.name, p.source, p.first, p.last FROM spans p"
	                                    " JOIN servers s ON s.id = p.server ORDER BY s.name, p.first");
	g_autofree char *want = g_strdup_printf (
		"mx1|(schema 1)|%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT "\n"
		"mx1|(schema 1)|%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT "\n"
		"mx2|(schema 1)|%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT,
		D1, D1 + 1800, D2 + 60, D2 + 120, D2, D2 + 3000);
	g_assert_cmpstr (rows, ==, want);
	const char *const mx1[] = { "mx1", NULL };
	g_assert_true (covered (log, D1 + 600, D1 + 1800, mx1));
	g_assert_false (covered (log, D1 + 86400, D1 + 86400, mx1));
	g_assert_false (covered (log, D1 + 600, D2 + 60, mx1));
	/* the messages are untouched; the source resumes */
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM messages"), ==, 4);
	g_autoptr (Config) c = test_config (db);
	SentLogImport *im = sentlog_import_begin (log, c, "mail.log", NULL, &error);
	sentlog_import_free (im);
	g_assert_cmpint (q_int (db, "SELECT cuts FROM sources"), ==, 0);
	/* and a reader opens it */
	r = sentlog_open (db, FALSE, &error);
	g_assert_no_error (error);
	sentlog_close (r);
	/* opening again changes nothing */
	sentlog_close (g_steal_pointer (&log));
	log = open_writer (db);
	g_autofree char *again = q_rows (db, "SELECT s.name, p.source, p.first, p.last FROM spans p"
	                                     " JOIN servers s ON s.id = p.server ORDER BY s.name, p.first");
	g_assert_cmpstr (again, ==, want);

	/* A migration that fails midway (here: a table in the way of the
	 * new schema) leaves the file as it was: one transaction. */
	g_autofree char *db2 = new_db_path ("schema1-blocked.db");
	g_assert_cmpint (sqlite3_open (db2, &h), ==, SQLITE_OK);
	g_autofree char *blocked = g_strconcat (sql, "CREATE TABLE holes (x);", NULL);
	g_assert_cmpint (sqlite3_exec (h, blocked, NULL, NULL, NULL), ==, SQLITE_OK);
	sqlite3_close (h);
	SentLog *w = sentlog_open (db2, TRUE, &error);
	g_assert_null (w);
	g_assert_nonnull (error);
	g_clear_error (&error);
	sentlog_close (w);
	g_assert_cmpint (q_int (db2, "PRAGMA user_version"), ==, 1);
	g_assert_cmpint (q_int (db2, "SELECT count(*) FROM coverage"), ==, 2);
	g_assert_cmpint (q_int (db2, "SELECT count(*) FROM sqlite_master WHERE name = 'spans'"), ==, 0);
	g_assert_cmpint (q_int (db2, "SELECT count(*) FROM pragma_table_info ('servers') WHERE name = 'retired'"), ==, 0);
}

/* ---- joining ---------------------------------------------------------------- */

static void
test_join_two_imports (void)
{
	g_autofree char *db = new_db_path ("join.db");
	g_autoptr (Config) c = test_config (db);
	g_autoptr (SentLog) log = open_writer (db);
	REQUIRE (log);
	gint64 off = -1, line = -1;
	SentLogImport *im = begin (log, c, "maillog first line", &off, &line);
	REQUIRE (im);
	g_assert_cmpint (off, ==, 0);
	ev_enter (im, T0, "mx1", "J1", LOG_ORIGIN_UNKNOWN, "192.0.2.9");
	ev_msgid (im, T0, "mx1", "J1", "<j1@example.com>");
	ev_sender (im, T0 + 1, "mx1", "J1", "alice@example.com");
	checkpoint (im, 500, 3);
	sentlog_import_free (im);
	/* Deferred: visible before it leaves the queue. */
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM messages WHERE open = 1"), ==, 1);

	im = begin (log, c, "maillog first line", &off, &line);
	REQUIRE (im);
	g_assert_cmpint (off, ==, 500);
	g_assert_cmpint (line, ==, 3);
	ev_rcpt (im, T0 + 300, "mx1", "J1", "bob@remote.example", "deferred");
	checkpoint (im, 600, 4);
	sentlog_import_free (im);

	im = begin (log, c, "maillog first line", &off, &line);
	REQUIRE (im);
	g_assert_cmpint (off, ==, 600);
	ev_rcpt (im, T0 + 3600, "mx1", "J1", "bob@remote.example", "sent");
	ev_done (im, T0 + 3600, "mx1", "J1");
	checkpoint (im, 700, 6);
	sentlog_import_free (im);

	g_autofree char *rows = q_rows (db, "SELECT queue_id, message_id, sender, origin, open FROM messages");
	g_autofree char *want = g_strdup_printf ("J1|j1@example.com|alice@example.com|%d|0", LOG_ORIGIN_NETWORK);
	g_assert_cmpstr (rows, ==, want);
	g_autofree char *r = q_rows (db, "SELECT address FROM recipients");
	g_assert_cmpstr (r, ==, "bob@remote.example");
}

/* message_ids is the index of messages.message_id (schema 5), kept by the
 * importer: a row written without its Message-ID (an earlier import, a
 * row set aside) gets its entry when it learns it, and one that learns
 * another loses the old entry, whether that was committed or still
 * pending in the batch. Each lookup finds the row by its current id. */
static void
test_join_message_id_index (void)
{
	g_autofree char *db = new_db_path ("join-ids.db");
	g_autoptr (Config) c = test_config (db);
	g_autoptr (SentLog) log = open_writer (db);
	REQUIRE (log);
	gint64 off = -1, line = -1;
	SentLogImport *im = begin (log, c, "ids first line", &off, &line);
	REQUIRE (im);
	ev_enter (im, T0, "mx1", "K1", LOG_ORIGIN_AUTH, NULL);
	ev_enter (im, T0, "mx1", "K2", LOG_ORIGIN_AUTH, NULL);
	ev_msgid (im, T0, "mx1", "K2", "<k2-old@example.com>");
	checkpoint (im, 100, 3);
	sentlog_import_free (im);
	/* both open, K2 with an entry, K1 without */
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM main.message_ids"), ==, 1);

	im = begin (log, c, "ids first line", &off, &line);
	REQUIRE (im);
	sentlog_import_set_max_open (im, 1);
	ev_msgid (im, T0 + 1, "mx1", "K1", "<k1@example.com>");
	ev_msgid (im, T0 + 1, "mx1", "K2", "<k2-new@example.com>"); /* K1 set aside, written */
	ev_enter (im, T0 + 2, "mx1", "K3", LOG_ORIGIN_AUTH, NULL);  /* K2 set aside, written */
	ev_msgid (im, T0 + 2, "mx1", "K3", "<k3-old@example.com>");
	ev_enter (im, T0 + 3, "mx1", "K4", LOG_ORIGIN_AUTH, NULL);  /* K3 set aside: k3-old pending */
	ev_msgid (im, T0 + 4, "mx1", "K3", "<k3-new@example.com>");
	ev_done (im, T0 + 5, "mx1", "K3");
	ev_done (im, T0 + 5, "mx1", "K1");
	ev_done (im, T0 + 5, "mx1", "K2");
	checkpoint (im, 200, 12);
	sentlog_import_free (im);

	g_assert_cmpint (q_int (db, "SELECT count(*) FROM main.message_ids"), ==, 3);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM main.message_ids k JOIN main.messages m"
	                            " ON m.id = k.message AND m.message_id = k.key"), ==, 3);
	g_autoptr (SentLog) r = sentlog_open (db, FALSE, NULL);
	REQUIRE (r);
	static const struct { const char *id, *queue_id; } want[] = {
		{ "<k1@example.com>", "K1" }, { "<k2-new@example.com>", "K2" }, { "<k3-new@example.com>", "K3" },
		{ "<k2-old@example.com>", NULL }, { "<k3-old@example.com>", NULL },
	};
	for (guint i = 0; i < G_N_ELEMENTS (want); i++) {
		g_auto (SentLogMatch) m = { 0 };
		g_autoptr (GError) error = NULL;
		g_assert_true (sentlog_lookup_message_id (r, want[i].id, &m, &error));
		g_assert_cmpint (m.found, ==, want[i].queue_id != NULL);
		g_assert_cmpstr (m.queue_id, ==, want[i].queue_id);
	}
}

/* Archived logs imported late (a first import of the last two months of
 * rotated logs): a message whose lines span two files still joins. The
 * header says a message spanning two imports joins "all the same"; open
 * rows are closed after NS_SENTLOG_OPEN_DAYS because queue IDs are reused,
 * which is a matter of log time, not of when the import runs. */
static void
test_join_two_imports_old_logs (void)
{
	g_autofree char *db = new_db_path ("join-old.db");
	g_autoptr (Config) c = test_config (db);
	g_autoptr (SentLog) log = open_writer (db);
	REQUIRE (log);
	gint64 old = T0 - (gint64) (NS_SENTLOG_OPEN_DAYS + 30) * 86400;
	SentLogImport *im = begin (log, c, "maillog.9 first line", NULL, NULL);
	REQUIRE (im);
	ev_enter (im, old, "mx1", "O1", LOG_ORIGIN_AUTH, NULL);
	ev_msgid (im, old, "mx1", "O1", "<o1@example.com>");
	ev_sender (im, old, "mx1", "O1", "alice@example.com");
	checkpoint (im, 100, 3);
	sentlog_import_free (im);
	/* the next (rotated) file continues the same message a second later */
	im = begin (log, c, "maillog.8 first line", NULL, NULL);
	REQUIRE (im);
	ev_rcpt (im, old + 1, "mx1", "O1", "bob@remote.example", "sent");
	ev_done (im, old + 1, "mx1", "O1");
	checkpoint (im, 100, 2);
	sentlog_import_free (im);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM messages"), ==, 1);
	g_autofree char *rows = q_rows (db,
		"SELECT m.message_id, r.address FROM messages m LEFT JOIN recipients r ON r.message = m.id");
	g_assert_cmpstr (rows, ==, "o1@example.com|bob@remote.example");
}

static void
test_join_queue_id_reused (void)
{
	g_autofree char *db = new_db_path ("reuse.db");
	g_autoptr (Config) c = test_config (db);
	g_autoptr (SentLog) log = open_writer (db);
	REQUIRE (log);
	SentLogImport *im = begin (log, c, "a", NULL, NULL);
	REQUIRE (im);
	/* in one import */
	postfix_message (im, T0, "mx1", "R1", LOG_ORIGIN_AUTH, NULL, "<r1a@example.com>",
	                 "alice@example.com", "bob@remote.example");
	postfix_message (im, T0 + 10, "mx1", "R1", LOG_ORIGIN_UNKNOWN, "203.0.113.1", "<r1b@example.com>",
	                 "mallory@example.com", "carol@remote.example");
	/* the same queue ID on another server is another message */
	postfix_message (im, T0 + 5, "mx2", "R1", LOG_ORIGIN_LOCAL, NULL, "<r1c@example.com>",
	                 "root@example.com", "dave@remote.example");
	/* done at the end of this import, reused in the next */
	postfix_message (im, T0 + 20, "mx1", "R2", LOG_ORIGIN_AUTH, NULL, "<r2a@example.com>",
	                 "alice@example.com", "erin@remote.example");
	/* done here, reused by a message whose first line in the next import
	 * is not its ENTER (a log that starts mid-message) */
	postfix_message (im, T0 + 30, "mx1", "R3", LOG_ORIGIN_AUTH, NULL, "<r3a@example.com>",
	                 "alice@example.com", "frank@remote.example");
	checkpoint (im, 1, 1);
	sentlog_import_free (im);
	im = begin (log, c, "a", NULL, NULL);
	REQUIRE (im);
	postfix_message (im, T0 + 40, "mx1", "R2", LOG_ORIGIN_LOCAL, NULL, "<r2b@example.com>",
	                 "root@example.com", "gina@remote.example");
	ev_msgid (im, T0 + 50, "mx1", "R3", "<r3b@example.com>");
	ev_rcpt (im, T0 + 50, "mx1", "R3", "hank@remote.example", "sent");
	ev_done (im, T0 + 50, "mx1", "R3");
	checkpoint (im, 2, 2);
	sentlog_import_free (im);

	g_autofree char *rows = q_rows (db,
		"SELECT s.name, m.queue_id, m.message_id, m.open, group_concat (r.address)"
		" FROM messages m JOIN servers s ON s.id = m.server LEFT JOIN recipients r ON r.message = m.id"
		" GROUP BY m.id ORDER BY m.time");
	g_assert_cmpstr (rows, ==,
		"mx1|R1|r1a@example.com|0|bob@remote.example\n"
		"mx2|R1|r1c@example.com|0|dave@remote.example\n"
		"mx1|R1|r1b@example.com|0|carol@remote.example\n"
		"mx1|R2|r2a@example.com|0|erin@remote.example\n"
		"mx1|R3|r3a@example.com|0|frank@remote.example\n"
		"mx1|R2|r2b@example.com|0|gina@remote.example\n"
		"mx1|R3|r3b@example.com|0|hank@remote.example");
	g_autofree char *origins = q_rows (db, "SELECT message_id, origin FROM messages WHERE queue_id = 'R1' ORDER BY time");
	g_autofree char *want = g_strdup_printf ("r1a@example.com|%d\nr1c@example.com|%d\nr1b@example.com|%d",
	                                         LOG_ORIGIN_AUTH, LOG_ORIGIN_LOCAL, LOG_ORIGIN_FOREIGN);
	g_assert_cmpstr (origins, ==, want);
}

/* Lines delivered twice (RELP delivers at least once: after a restart of
 * the central rsyslogd, the lines whose acknowledgement was lost come
 * again, after the message is done), in the same import and in the next
 * one (the importer restarted too): no new row, nothing changed. A queue
 * ID used again by a new message still makes a new row. */
static void
test_join_repeated_lines (void)
{
	g_autofree char *db = new_db_path ("repeat.db");
	g_autoptr (Config) c = test_config (db);
	g_autoptr (SentLog) log = open_writer (db);
	REQUIRE (log);
	SentLogImport *im = begin (log, c, "central first line", NULL, NULL);
	REQUIRE (im);
	/* D1 deferred, then sent: the deferred line comes again after. */
	ev_enter (im, T0, "mx1", "D1", LOG_ORIGIN_LOCAL, NULL);
	ev_msgid (im, T0, "mx1", "D1", "<d1@example.com>");
	ev_sender (im, T0 + 1, "mx1", "D1", "alice@example.com");
	ev_rcpt (im, T0 + 2, "mx1", "D1", "bob@remote.example", "deferred");
	ev_rcpt (im, T0 + 60, "mx1", "D1", "bob@remote.example", "sent");
	ev_done (im, T0 + 60, "mx1", "D1");
	postfix_message (im, T0 + 70, "mx2", "D2", LOG_ORIGIN_AUTH, NULL, "<d2@example.com>",
	                 "alice@example.com", "carol@remote.example");
	/* the same lines again, in this import */
	ev_rcpt (im, T0 + 2, "mx1", "D1", "bob@remote.example", "deferred");
	ev_done (im, T0 + 60, "mx1", "D1");
	postfix_message (im, T0 + 70, "mx2", "D2", LOG_ORIGIN_AUTH, NULL, "<d2@example.com>",
	                 "alice@example.com", "carol@remote.example");
	const char *rcpts[] = { "dave@remote.example", NULL };
	LogEvent rec = { .type = LOG_EVENT_RECORD, .time = T0 + 80, .server = "mx2", .queue_id = "J1",
	                 .message_id = "<j1@example.com>", .sender = "alice@example.com",
	                 .status = "sent", .origin = LOG_ORIGIN_AUTH, .recipients = rcpts };
	sentlog_import_event (&rec, im);
	sentlog_import_event (&rec, im);
	checkpoint (im, 100, 20);
	sentlog_import_free (im);

	g_autofree char *want_rows = g_strdup_printf (
		"mx1|D1|d1@example.com|alice@example.com|%d|0|bob@remote.example\n"
		"mx2|D2|d2@example.com|alice@example.com|%d|0|carol@remote.example\n"
		"mx2|J1|j1@example.com|alice@example.com|%d|0|dave@remote.example",
		LOG_ORIGIN_LOCAL, LOG_ORIGIN_AUTH, LOG_ORIGIN_AUTH);
	static const char rows_sql[] =
		"SELECT s.name, m.queue_id, m.message_id, m.sender, m.origin, m.open,"
		" group_concat (r.address)" /* a recipient's status is no longer kept */
		" FROM messages m JOIN servers s ON s.id = m.server LEFT JOIN recipients r ON r.message = m.id"
		" GROUP BY m.id ORDER BY m.time";
	g_autofree char *rows = q_rows (db, rows_sql);
	g_assert_cmpstr (rows, ==, want_rows);

	/* The next import (another source, another importer process): the
	 * whole of D1 and the record again, then D1 used again by a new
	 * message, and a line of it after its done line (a message done
	 * later than the lines say cannot be a repeat). */
	im = begin (log, c, "central first line after the restart", NULL, NULL);
	REQUIRE (im);
	ev_enter (im, T0, "mx1", "D1", LOG_ORIGIN_LOCAL, NULL);
	ev_msgid (im, T0, "mx1", "D1", "<d1@example.com>");
	ev_sender (im, T0 + 1, "mx1", "D1", "alice@example.com");
	ev_rcpt (im, T0 + 2, "mx1", "D1", "bob@remote.example", "deferred");
	ev_rcpt (im, T0 + 60, "mx1", "D1", "bob@remote.example", "sent");
	ev_done (im, T0 + 60, "mx1", "D1");
	sentlog_import_event (&rec, im);
	checkpoint (im, 100, 7);
	g_free (rows);
	rows = q_rows (db, rows_sql);
	g_assert_cmpstr (rows, ==, want_rows);

	postfix_message (im, T0 + 200, "mx1", "D1", LOG_ORIGIN_LOCAL, NULL, "<d1b@example.com>",
	                 "alice@example.com", "bob@remote.example");
	ev_sender (im, T0 + 300, "mx1", "D1", "alice@example.com");
	ev_done (im, T0 + 300, "mx1", "D1");
	checkpoint (im, 200, 14);
	sentlog_import_free (im);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM messages WHERE queue_id = 'D1'"), ==, 3);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM messages WHERE message_id = 'd1b@example.com'"), ==, 1);
}

/* ---- the open messages kept in memory, bounded ------------------------------------ */

/* A message as Sendmail logs it, never said to be done: ENTER, SENDER,
 * MESSAGE_ID, one RECIPIENT. */
static void
sendmail_message (SentLogImport *im, gint64 t, const char *qid, const char *msgid, const char *rcpt)
{
	ev_enter (im, t, "mx1", qid, LOG_ORIGIN_AUTH, NULL);
	ev_sender (im, t, "mx1", qid, "alice@example.com");
	ev_msgid (im, t, "mx1", qid, msgid);
	ev_rcpt (im, t + 1, "mx1", qid, rcpt, "sent");
}

/* What a bounce of alice's message to rcpt is judged by: the row of its
 * Message-ID and the row of alice's mail to rcpt are the one of qid. */
static void
check_found (SentLog *r, const char *msgid, const char *rcpt, const char *qid)
{
	g_autoptr (GError) error = NULL;
	g_auto (SentLogMatch) m = { 0 };
	g_assert_true (sentlog_lookup_message_id (r, msgid, &m, &error));
	g_assert_no_error (error);
	if (!m.found || g_strcmp0 (m.queue_id, qid) != 0 || g_strcmp0 (m.sender, "alice@example.com") != 0)
		g_test_fail_printf ("%s: want the row of %s from alice, got %s (%s)", msgid, qid,
		                    m.found ? m.queue_id : "none", m.sender ? m.sender : "no sender");
	g_assert_true (sentlog_lookup_recipient (r, "alice@example.com", rcpt, T0 - 3600, T0 + 86400, &m, &error));
	g_assert_no_error (error);
	if (!m.found || g_strcmp0 (m.queue_id, qid) != 0)
		g_test_fail_printf ("alice to %s: want the row of %s, got %s", rcpt, qid, m.found ? m.queue_id : "none");
}

/* At most max_open open messages are kept in memory; past that the least
 * recently used one is written as it is and set aside (counted), and a
 * later line of it (a deferred recipient delivered, its DONE) goes to its
 * row in the database: no second row, no recipient lost. */
static void
test_import_bounded_open (void)
{
	g_autofree char *db = new_db_path ("bounded.db");
	g_autoptr (Config) c = test_config (db);
	g_autoptr (SentLog) log = open_writer (db);
	REQUIRE (log);
	SentLogImport *im = begin (log, c, "maillog first line", NULL, NULL);
	REQUIRE (im);
	sentlog_import_set_max_open (im, 2);
	sendmail_message (im, T0, "S1", "<s1@example.com>", "bob@remote.example");
	sendmail_message (im, T0 + 10, "S2", "<s2@example.com>", "carol@remote.example");
	/* S1 is used again: S2 is now the least recently used */
	ev_rcpt (im, T0 + 15, "mx1", "S1", "dave@remote.example", "deferred");
	g_assert_cmpuint (sentlog_import_set_aside (im), ==, 0);
	/* a third: S2 is set aside, not S1 (the first to come) */
	sendmail_message (im, T0 + 20, "S3", "<s3@example.com>", "erin@remote.example");
	g_assert_cmpuint (sentlog_import_set_aside (im), ==, 1);
	ev_rcpt (im, T0 + 25, "mx1", "S1", "frank@remote.example", "sent");
	g_assert_cmpuint (sentlog_import_set_aside (im), ==, 1);
	/* a late line of S2 joins its row in the database (S3 goes) */
	ev_rcpt (im, T0 + 1800, "mx1", "S2", "gina@remote.example", "sent");
	g_assert_cmpuint (sentlog_import_set_aside (im), ==, 2);
	/* S1's deferred recipient delivered, in memory */
	ev_rcpt (im, T0 + 1801, "mx1", "S1", "dave@remote.example", "sent");
	/* S3 set aside and then done (a Postfix DONE): its row is closed */
	ev_rcpt (im, T0 + 1802, "mx1", "S3", "hank@remote.example", "sent");
	ev_done (im, T0 + 1802, "mx1", "S3");
	g_assert_cmpuint (sentlog_import_set_aside (im), ==, 3);
	checkpoint (im, 100, 10);
	/* after the checkpoint, a line of S2 (set aside again above) */
	ev_rcpt (im, T0 + 3600, "mx1", "S2", "ivan@remote.example", "bounced");
	checkpoint (im, 200, 11);
	sentlog_import_free (im);

	g_assert_cmpint (q_int (db, "SELECT count(*) FROM messages"), ==, 3);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM recipients"), ==, 8);
	/* S3 is done; Sendmail's S1 and S2 never are */
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM messages WHERE open = 1"), ==, 2);
	g_autoptr (GError) error = NULL;
	g_autoptr (SentLog) r = sentlog_open (db, FALSE, &error);
	g_assert_no_error (error);
	REQUIRE (r);
	check_found (r, "<s1@example.com>", "bob@remote.example", "S1");
	check_found (r, "<s1@example.com>", "dave@remote.example", "S1");
	check_found (r, "<s1@example.com>", "frank@remote.example", "S1");
	check_found (r, "<s2@example.com>", "carol@remote.example", "S2");
	check_found (r, "<s2@example.com>", "gina@remote.example", "S2");
	check_found (r, "<s2@example.com>", "ivan@remote.example", "S2");
	check_found (r, "<s3@example.com>", "erin@remote.example", "S3");
	check_found (r, "<s3@example.com>", "hank@remote.example", "S3");
}

/* Sendmail's AUTH line and its from= line are two ENTERs of one message:
 * the first set aside in between, the second still joins it, and the
 * authenticated origin stays. */
static void
test_import_bounded_second_enter (void)
{
	g_autofree char *db = new_db_path ("bounded-enter.db");
	g_autoptr (Config) c = test_config (db);
	g_autoptr (SentLog) log = open_writer (db);
	REQUIRE (log);
	SentLogImport *im = begin (log, c, "maillog first line", NULL, NULL);
	REQUIRE (im);
	sentlog_import_set_max_open (im, 1);
	ev_enter (im, T0, "mx1", "A1", LOG_ORIGIN_AUTH, NULL);
	sendmail_message (im, T0, "B1", "<b1@example.com>", "bob@remote.example");
	g_assert_cmpuint (sentlog_import_set_aside (im), ==, 1);
	ev_enter (im, T0 + 1, "mx1", "A1", LOG_ORIGIN_UNKNOWN, "203.0.113.7");
	ev_sender (im, T0 + 1, "mx1", "A1", "alice@example.com");
	ev_msgid (im, T0 + 1, "mx1", "A1", "<a1@example.com>");
	ev_rcpt (im, T0 + 2, "mx1", "A1", "carol@remote.example", "sent");
	g_assert_cmpuint (sentlog_import_set_aside (im), ==, 2);
	checkpoint (im, 100, 5);
	sentlog_import_free (im);

	g_assert_cmpint (q_int (db, "SELECT count(*) FROM messages"), ==, 2);
	g_autoptr (GError) error = NULL;
	g_autoptr (SentLog) r = sentlog_open (db, FALSE, &error);
	g_assert_no_error (error);
	REQUIRE (r);
	check_found (r, "<a1@example.com>", "carol@remote.example", "A1");
	check_found (r, "<b1@example.com>", "bob@remote.example", "B1");
	g_auto (SentLogMatch) m = { 0 };
	g_assert_true (sentlog_lookup_message_id (r, "<a1@example.com>", &m, &error));
	g_assert_cmpint (m.origin, ==, LOG_ORIGIN_AUTH);
}

/* ---- checkpoints -------------------------------------------------------------- */

static void
test_checkpoint_atomic (void)
{
	g_autofree char *db = new_db_path ("atomic.db");
	g_autoptr (Config) c = test_config (db);
	g_autoptr (SentLog) log = open_writer (db);
	REQUIRE (log);
	gint64 off = -1, line = -1;

	/* Applied, never checkpointed: nothing kept, not even the server,
	 * the coverage or the source. */
	SentLogImport *im = begin (log, c, "line A", &off, &line);
	REQUIRE (im);
	g_assert_cmpint (off, ==, 0);
	g_assert_cmpint (line, ==, 0);
	postfix_message (im, T0, "mx1", "K1", LOG_ORIGIN_AUTH, NULL, "<k1@example.com>",
	                 "alice@example.com", "bob@remote.example");
	sentlog_import_bad_line (im);
	/* another connection sees nothing yet */
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM messages"), ==, 0);
	sentlog_import_free (im);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM messages"), ==, 0);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM recipients"), ==, 0);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM servers"), ==, 0);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM spans"), ==, 0);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM sources"), ==, 0);

	/* Checkpointed: kept, with the offset; what follows without a
	 * checkpoint is not. */
	im = begin (log, c, "line A", &off, &line);
	REQUIRE (im);
	g_assert_cmpint (off, ==, 0);
	postfix_message (im, T0, "mx1", "K1", LOG_ORIGIN_AUTH, NULL, "<k1@example.com>",
	                 "alice@example.com", "bob@remote.example");
	sentlog_import_bad_line (im);
	checkpoint (im, 123, 5);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM messages"), ==, 1);
	postfix_message (im, T0 + 10, "mx1", "K2", LOG_ORIGIN_AUTH, NULL, "<k2@example.com>",
	                 "alice@example.com", "carol@remote.example");
	postfix_message (im, T0 + 10, "mx9", "K3", LOG_ORIGIN_AUTH, NULL, "<k3@example.com>",
	                 "alice@example.com", "carol@remote.example");
	sentlog_import_bad_line (im);
	sentlog_import_free (im);
	g_autofree char *rows = q_rows (db, "SELECT message_id FROM messages");
	g_assert_cmpstr (rows, ==, "k1@example.com");
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM recipients"), ==, 1);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM servers"), ==, 1);
	/* the bad line after the message ends its span */
	g_autofree char *cov = q_rows (db, "SELECT last - first, cut_before, cut_after FROM spans");
	g_assert_cmpstr (cov, ==, "2|0|1");
	g_autofree char *src = q_rows (db, "SELECT offset, lines, bad_lines FROM sources");
	g_assert_cmpstr (src, ==, "123|5|1");

	/* The same first line resumes; another starts at 0. */
	im = begin (log, c, "line A", &off, &line);
	REQUIRE (im);
	g_assert_cmpint (off, ==, 123);
	g_assert_cmpint (line, ==, 5);
	sentlog_import_free (im);
	im = begin (log, c, "line B", &off, &line);
	REQUIRE (im);
	g_assert_cmpint (off, ==, 0);
	g_assert_cmpint (line, ==, 0);
	checkpoint (im, 50, 1);
	sentlog_import_free (im);
	im = begin (log, c, "line A", &off, &line);
	REQUIRE (im);
	g_assert_cmpint (off, ==, 123);
	sentlog_import_free (im);
	im = begin (log, c, "line B", &off, &line);
	REQUIRE (im);
	g_assert_cmpint (off, ==, 50);
	sentlog_import_free (im);
	/* A source known by fewer bytes than this one holds, all of them
	 * the same, is a candidate (the tail decides, in cmd_log.c); one
	 * that differs within them is not. */
	im = begin (log, c, "line A and more", &off, &line);
	REQUIRE (im);
	g_assert_cmpint (off, ==, 123);
	sentlog_import_free (im);
	im = begin (log, c, "line ", &off, &line);
	REQUIRE (im);
	g_assert_cmpint (off, ==, 0);
	sentlog_import_free (im);

	/* No source (log record): no checkpoint row. */
	im = begin (log, c, NULL, &off, &line);
	REQUIRE (im);
	g_assert_cmpint (off, ==, 0);
	postfix_message (im, T0 + 20, "mx1", "K4", LOG_ORIGIN_LOCAL, NULL, "<k4@example.com>",
	                 "alice@example.com", "dave@remote.example");
	checkpoint (im, 0, 0);
	sentlog_import_free (im);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM sources"), ==, 2);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM messages"), ==, 2);

	/* Several checkpoints in one import, then a rollback of the rest. */
	im = begin (log, c, "line C", &off, &line);
	REQUIRE (im);
	for (int i = 0; i < 5; i++) {
		g_autofree char *qid = g_strdup_printf ("M%d", i);
		g_autofree char *mid = g_strdup_printf ("<m%d@example.com>", i);
		postfix_message (im, T0 + 100 + i, "mx1", qid, LOG_ORIGIN_AUTH, NULL, mid, "alice@example.com",
		                 "bob@remote.example");
		if (i < 3)
			checkpoint (im, 10 * (i + 1), i + 1);
	}
	sentlog_import_free (im);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM messages WHERE message_id LIKE 'm%'"), ==, 3);
	im = begin (log, c, "line C", &off, &line);
	REQUIRE (im);
	g_assert_cmpint (off, ==, 30);
	g_assert_cmpint (line, ==, 3);
	sentlog_import_free (im);
}

/* ---- maintenance -------------------------------------------------------------- */

static void
test_prune (void)
{
	g_autofree char *db = new_db_path ("prune.db");
	g_autoptr (Config) c = test_config (db);
	g_autoptr (SentLog) log = open_writer (db);
	REQUIRE (log);
	gint64 D = T0;
	SentLogImport *im = begin (log, c, "a", NULL, NULL);
	REQUIRE (im);
	postfix_message (im, D - 2 * 86400, "mx1", "P1", LOG_ORIGIN_AUTH, NULL, "<p1@example.com>",
	                 "alice@example.com", "bob@remote.example");
	ev_enter (im, D - 86400, "mx1", "P2", LOG_ORIGIN_AUTH, NULL);
	ev_msgid (im, D - 86400, "mx1", "P2", "<p2@example.com>");
	ev_rcpt (im, D - 86400, "mx1", "P2", "carol@remote.example", "sent");
	ev_rcpt (im, D - 86400, "mx1", "P2", "dave@remote.example", "sent");
	ev_done (im, D - 86400, "mx1", "P2");
	postfix_message (im, D + 3600, "mx1", "P3", LOG_ORIGIN_AUTH, NULL, "<p3@example.com>",
	                 "alice@example.com", "erin@remote.example");
	/* mx2's whole span is before D */
	postfix_message (im, D - 3 * 86400, "mx2", "P4", LOG_ORIGIN_AUTH, NULL, "<p4@example.com>",
	                 "alice@example.com", "frank@remote.example");
	/* a message exactly at D stays */
	postfix_message (im, D, "mx3", "P5", LOG_ORIGIN_AUTH, NULL, "<p5@example.com>",
	                 "alice@example.com", "gina@remote.example");
	/* mx4's one span runs across D: it is cut there */
	ev_seen (im, D - 600, "mx4");
	ev_seen (im, D + 600, "mx4");
	checkpoint (im, 1, 1);
	sentlog_import_free (im);

	gint64 deleted = -1;
	g_autoptr (GError) error = NULL;
	g_assert_true (sentlog_prune (log, D, &deleted, &error));
	g_assert_no_error (error);
	g_assert_cmpint (deleted, ==, 3);
	g_autofree char *rows = q_rows (db, "SELECT message_id FROM messages ORDER BY time");
	g_assert_cmpstr (rows, ==, "p5@example.com\np3@example.com");
	g_autofree char *r = q_rows (db, "SELECT address FROM recipients ORDER BY address");
	g_assert_cmpstr (r, ==, "erin@remote.example\ngina@remote.example");
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM recipients WHERE message NOT IN (SELECT id FROM messages)"), ==, 0);
	/* coverage: mx1 now starts at D; mx2 covers nothing. mx1's lines a
	 * day apart were two spans; the older one is gone. */
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM spans c JOIN servers s ON s.id = c.server"
	                            " WHERE s.name = 'mx2'"), ==, 0);
	g_autofree char *mx1_spans = q_rows (db, "SELECT c.first, c.last FROM spans c"
	                                     " JOIN servers s ON s.id = c.server WHERE s.name = 'mx1' ORDER BY c.first");
	g_autofree char *want_spans = g_strdup_printf ("%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT, D + 3600, D + 3602);
	g_assert_cmpstr (mx1_spans, ==, want_spans);
	g_assert_cmpint (q_int (db, "SELECT c.first FROM spans c JOIN servers s ON s.id = c.server"
	                            " WHERE s.name = 'mx3'"), ==, D);
	g_autofree char *mx4_spans = q_rows (db, "SELECT c.first, c.last FROM spans c"
	                                     " JOIN servers s ON s.id = c.server WHERE s.name = 'mx4'");
	g_autofree char *want4 = g_strdup_printf ("%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT, D, D + 600);
	g_assert_cmpstr (mx4_spans, ==, want4);
	const char *const mx1[] = { "mx1", NULL }, *const mx2[] = { "mx2", NULL }, *const mx4[] = { "mx4", NULL };
	g_assert_false (covered (log, D - 2 * 86400, D - 2 * 86400, mx1));
	g_assert_true (covered (log, D + 3600, D + 3602, mx1));
	g_assert_false (covered (log, D - 1, D + 10, mx4));
	g_assert_true (covered (log, D, D + 10, mx4));
	g_assert_false (covered (log, D - 3 * 86400, D - 3 * 86400, mx2));
	/* pruning again deletes nothing */
	g_assert_true (sentlog_prune (log, D, &deleted, &error));
	g_assert_cmpint (deleted, ==, 0);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM messages"), ==, 2);
}

static void
test_stats (void)
{
	g_autofree char *db = new_db_path ("stats.db");
	g_autoptr (Config) c = test_config (db);
	{
		g_autoptr (SentLog) log = open_writer (db);
		REQUIRE (log);
		SentLogImport *im = begin (log, c, "source one", NULL, NULL);
		REQUIRE (im);
		postfix_message (im, T0, "mx2", "S1", LOG_ORIGIN_AUTH, NULL, "<s1@example.com>",
		                 "alice@example.com", "bob@remote.example");
		ev_enter (im, T0 + 10, "mx1", "S2", LOG_ORIGIN_AUTH, NULL);
		ev_msgid (im, T0 + 10, "mx1", "S2", "<s2@example.com>");
		ev_rcpt (im, T0 + 11, "mx1", "S2", "carol@remote.example", "sent");
		ev_rcpt (im, T0 + 12, "mx1", "S2", "dave@remote.example", "bounced");
		ev_done (im, T0 + 20, "mx1", "S2");
		sentlog_import_bad_line (im);
		sentlog_import_bad_line (im);
		checkpoint (im, 100, 10);
		sentlog_import_bad_line (im);
		checkpoint (im, 120, 11);
		sentlog_import_free (im);
		im = begin (log, c, "source two", NULL, NULL);
		REQUIRE (im);
		postfix_message (im, T0 + 30, "mx1", "S3", LOG_ORIGIN_AUTH, NULL, "<s3@example.com>",
		                 "alice@example.com", "erin@remote.example");
		sentlog_import_bad_line (im);
		checkpoint (im, 100, 10);
		/* not checkpointed: not counted */
		sentlog_import_bad_line (im);
		sentlog_import_free (im);
		/* a resumed source adds its new bad lines */
		im = begin (log, c, "source one", NULL, NULL);
		REQUIRE (im);
		sentlog_import_bad_line (im);
		checkpoint (im, 130, 12);
		sentlog_import_free (im);
	}
	g_autoptr (GError) error = NULL;
	g_autoptr (SentLog) r = sentlog_open (db, FALSE, &error);
	g_assert_no_error (error);
	REQUIRE (r);
	g_autoptr (SentLogStats) st = sentlog_stats (r, NS_SENTLOG_MAX_GAP, &error);
	g_assert_no_error (error);
	REQUIRE (st);
	g_assert_cmpint (st->messages, ==, 3);
	g_assert_cmpint (st->recipients, ==, 4);
	g_assert_cmpint (st->sources, ==, 2);
	g_assert_cmpint (st->bad_lines, ==, 5);
	g_assert_cmpint (st->bytes, >, 0);
	REQUIRE (st->servers);
	g_assert_cmpuint (st->servers->len, ==, 2);
	REQUIRE (st->servers->len == 2);
	SentLogServer *a = g_ptr_array_index (st->servers, 0), *b = g_ptr_array_index (st->servers, 1);
	g_assert_cmpstr (a->name, ==, "mx1");
	g_assert_cmpint (a->messages, ==, 2);
	g_assert_cmpint (a->first, ==, T0 + 10);
	g_assert_cmpint (a->last, ==, T0 + 32);
	g_assert_cmpstr (b->name, ==, "mx2");
	g_assert_cmpint (b->messages, ==, 1);
	g_assert_cmpint (b->first, ==, T0);
	g_assert_cmpint (b->last, ==, T0 + 2);
}

/* ---- opening ------------------------------------------------------------------ */

static void
test_open_missing (void)
{
	g_autofree char *db = new_db_path ("missing.db");
	g_autoptr (GError) error = NULL;
	SentLog *log = sentlog_open (db, FALSE, &error);
	g_assert_null (log);
	g_assert_error (error, SENTLOG_ERROR, SENTLOG_ERROR_MISSING);
	sentlog_close (log);
	/* a reader creates nothing */
	g_assert_false (g_file_test (db, G_FILE_TEST_EXISTS));
	g_autofree char *wal = g_strconcat (db, "-wal", NULL);
	g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
	/* neither in a directory that does not exist */
	g_autofree char *deep = g_build_filename (tmpdir, "no", "such", "dir", "sent.db", NULL);
	g_clear_error (&error);
	log = sentlog_open (deep, FALSE, &error);
	g_assert_null (log);
	g_assert_error (error, SENTLOG_ERROR, SENTLOG_ERROR_MISSING);
	sentlog_close (log);
}

static void
test_open_not_sqlite (void)
{
	g_autofree char *db = new_db_path ("garbage.db");
	GString *junk = g_string_new (NULL);
	for (int i = 0; i < 200; i++)
		g_string_append (junk, "this is not a database, only text\n");
	g_assert_true (g_file_set_contents (db, junk->str, junk->len, NULL));

	g_autoptr (GError) error = NULL;
	SentLog *log = sentlog_open (db, FALSE, &error);
	g_assert_null (log);
	g_assert_nonnull (error);
	if (error) {
		g_assert_true (error->domain == SENTLOG_ERROR);
		g_assert_cmpint (error->code, !=, SENTLOG_ERROR_MISSING);
	}
	sentlog_close (log);
	/* a writer refuses it too, and leaves it as it was */
	g_clear_error (&error);
	log = sentlog_open (db, TRUE, &error);
	g_assert_null (log);
	g_assert_nonnull (error);
	sentlog_close (log);
	g_autofree char *after = NULL;
	gsize len = 0;
	g_assert_true (g_file_get_contents (db, &after, &len, NULL));
	g_assert_cmpmem (after, len, junk->str, junk->len);
	g_string_free (junk, TRUE);

	/* an SQLite database that is not a sent log */
	g_autofree char *other = new_db_path ("other.db");
	sqlite3 *h = NULL;
	g_assert_cmpint (sqlite3_open (other, &h), ==, SQLITE_OK);
	g_assert_cmpint (sqlite3_exec (h, "CREATE TABLE t (x); INSERT INTO t VALUES (1);", NULL, NULL, NULL), ==, SQLITE_OK);
	sqlite3_close (h);
	g_clear_error (&error);
	log = sentlog_open (other, FALSE, &error);
	g_assert_null (log);
	g_assert_nonnull (error);
	sentlog_close (log);
}

/* Whether this process maps the file at path (a line of /proc/self/maps
 * ends with it). */
static gboolean
mapped (const char *path)
{
	g_autofree char *maps = NULL;
	g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
	g_autofree char *tail = g_strconcat (" ", path, "\n", NULL);
	return strstr (maps, tail) != NULL;
}

/* A reader maps the importer's WAL log, and reads a `log backup` copy
 * (rollback mode, which scp may overwrite in place) with read(). */
static void
test_open_mapped (void)
{
	g_autofree char *db = new_db_path ("mapped.db");
	g_autofree char *copy = new_db_path ("mapped-copy.db");
	g_autoptr (Config) c = test_config (db);
	{
		g_autoptr (SentLog) log = open_writer (db);
		REQUIRE (log);
		SentLogImport *im = begin (log, c, "a", NULL, NULL);
		REQUIRE (im);
		postfix_message (im, T0, "mx1", "M1", LOG_ORIGIN_AUTH, NULL, "<m1@example.com>",
		                 "alice@example.com", "bob@remote.example");
		checkpoint (im, 1, 1);
		sentlog_import_free (im);
		g_autoptr (GError) error = NULL;
		g_assert_true (sentlog_backup (log, copy, &error));
		g_assert_no_error (error);
	}
	/* The pages in the database file, where a map can reach them. */
	sqlite3 *h = NULL;
	g_assert_cmpint (sqlite3_open_v2 (db, &h, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
	int persist = 1;
	sqlite3_file_control (h, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	g_assert_cmpint (sqlite3_exec (h, "PRAGMA wal_checkpoint (TRUNCATE)", NULL, NULL, NULL), ==, SQLITE_OK);
	sqlite3_close (h);
	g_autofree char *mode = q_rows (copy, "PRAGMA journal_mode");
	g_assert_cmpstr (mode, ==, "delete");
	const char *paths[] = { db, copy };
	for (guint i = 0; i < G_N_ELEMENTS (paths); i++) {
		g_autoptr (GError) error = NULL;
		g_autoptr (SentLog) r = sentlog_open (paths[i], FALSE, &error);
		g_assert_no_error (error);
		REQUIRE (r);
		g_auto (SentLogMatch) m = { 0 };
		g_assert_true (sentlog_lookup_message_id (r, "<m1@example.com>", &m, &error));
		g_assert_true (m.found);
		g_assert_cmpint (mapped (paths[i]), ==, i == 0);
	}
}

static void
test_open_persist_wal (void)
{
	g_autofree char *db = new_db_path ("wal.db");
	g_autofree char *wal = g_strconcat (db, "-wal", NULL);
	g_autofree char *shm = g_strconcat (db, "-shm", NULL);
	g_autoptr (Config) c = test_config (db);
	{
		g_autoptr (SentLog) log = open_writer (db);
		REQUIRE (log);
		g_assert_true (g_file_test (wal, G_FILE_TEST_EXISTS));
		g_assert_true (g_file_test (shm, G_FILE_TEST_EXISTS));
		SentLogImport *im = begin (log, c, "a", NULL, NULL);
		REQUIRE (im);
		postfix_message (im, T0, "mx1", "W1", LOG_ORIGIN_AUTH, NULL, "<w1@example.com>",
		                 "alice@example.com", "bob@remote.example");
		checkpoint (im, 1, 1);
		sentlog_import_free (im);
	}
	/* the last connection closed: the files stay */
	g_assert_true (g_file_test (db, G_FILE_TEST_EXISTS));
	g_assert_true (g_file_test (wal, G_FILE_TEST_EXISTS));
	g_assert_true (g_file_test (shm, G_FILE_TEST_EXISTS));
	g_autofree char *mode = q_rows (db, "PRAGMA journal_mode");
	g_assert_cmpstr (mode, ==, "wal");
	{
		g_autoptr (GError) error = NULL;
		g_autoptr (SentLog) r = sentlog_open (db, FALSE, &error);
		g_assert_no_error (error);
		REQUIRE (r);
		g_auto (SentLogMatch) m = { 0 };
		g_assert_true (sentlog_lookup_message_id (r, "<w1@example.com>", &m, &error));
		g_assert_true (m.found);
	}
	g_assert_true (g_file_test (wal, G_FILE_TEST_EXISTS));
	g_assert_true (g_file_test (shm, G_FILE_TEST_EXISTS));
	/* and again when the writer closes last, after a reader */
	{
		g_autoptr (GError) error = NULL;
		g_autoptr (SentLog) w = open_writer (db);
		REQUIRE (w);
		g_autoptr (SentLog) r = sentlog_open (db, FALSE, &error);
		g_assert_no_error (error);
		sentlog_close (g_steal_pointer (&r));
	}
	g_assert_true (g_file_test (wal, G_FILE_TEST_EXISTS));
	g_assert_true (g_file_test (shm, G_FILE_TEST_EXISTS));
}

static void
test_open_modes (void)
{
	g_autofree char *db = new_db_path ("modes.db");
	g_autoptr (Config) c = test_config (db);
	mode_t old = umask (077);
	{
		g_autoptr (SentLog) log = open_writer (db);
		if (log) {
			SentLogImport *im = begin (log, c, "a", NULL, NULL);
			if (im) {
				postfix_message (im, T0, "mx1", "U1", LOG_ORIGIN_AUTH, NULL, "<u1@example.com>",
				                 "alice@example.com", "bob@remote.example");
				checkpoint (im, 1, 1);
				sentlog_import_free (im);
			}
		}
	}
	umask (old);
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++) {
		g_autofree char *p = g_strconcat (db, suffixes[i], NULL);
		struct stat st;
		if (stat (p, &st) != 0) {
			g_test_fail_printf ("%s: %s", p, g_strerror (errno));
			continue;
		}
		if ((st.st_mode & 07777) != 0644)
			g_test_fail_printf ("%s: mode %04o, want 0644", p, (unsigned) (st.st_mode & 07777));
	}
	/* a -wal recreated later (deleted by an admin) is readable too */
	g_autofree char *wal = g_strconcat (db, "-wal", NULL);
	g_autofree char *shm = g_strconcat (db, "-shm", NULL);
	g_unlink (wal);
	g_unlink (shm);
	old = umask (077);
	{
		g_autoptr (SentLog) log = open_writer (db);
		if (log) {
			SentLogImport *im = begin (log, c, "b", NULL, NULL);
			if (im) {
				postfix_message (im, T0 + 5, "mx1", "U2", LOG_ORIGIN_AUTH, NULL, "<u2@example.com>",
				                 "alice@example.com", "bob@remote.example");
				checkpoint (im, 1, 1);
				sentlog_import_free (im);
			}
		}
	}
	umask (old);
	for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++) {
		g_autofree char *p = g_strconcat (db, suffixes[i], NULL);
		struct stat st;
		if (stat (p, &st) != 0) {
			g_test_fail_printf ("%s (recreated): %s", p, g_strerror (errno));
			continue;
		}
		if ((st.st_mode & 07777) != 0644)
			g_test_fail_printf ("%s (recreated): mode %04o, want 0644", p, (unsigned) (st.st_mode & 07777));
	}
}

/* ---- main ----------------------------------------------------------------------- */

static void
remove_tree (const char *dir)
{
	GDir *d = g_dir_open (dir, 0, NULL);
	if (d == NULL)
		return;
	const char *name;
	while ((name = g_dir_read_name (d))) {
		g_autofree char *p = g_build_filename (dir, name, NULL);
		if (g_file_test (p, G_FILE_TEST_IS_DIR) && !g_file_test (p, G_FILE_TEST_IS_SYMLINK))
			remove_tree (p);
		else
			g_unlink (p);
	}
	g_dir_close (d);
	g_rmdir (dir);
}

/* [sentlog] mode: the mode of the three files, set again at each open. */
static void
test_open_mode_set (void)
{
	g_autofree char *db = new_db_path ("mode.db");
	for (guint round = 0; round < 2; round++) {
		guint mode = round ? 0644 : 0640;
		g_autoptr (GError) error = NULL;
		g_autoptr (SentLog) log = sentlog_open_mode (db, TRUE, mode, &error);
		g_assert_no_error (error);
		static const char *const suffixes[] = { "", "-wal", "-shm" };
		for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++) {
			g_autofree char *p = g_strconcat (db, suffixes[i], NULL);
			struct stat st;
			g_assert_cmpint (stat (p, &st), ==, 0);
			g_assert_cmpuint (st.st_mode & 07777, ==, mode);
		}
	}
}

/* A writer never opens the database through a symbolic link, nor a file
 * with another name. */
static void
test_open_links (void)
{
	g_autofree char *target = new_db_path ("target.db");
	g_autofree char *sym = new_db_path ("link.db");
	g_assert_cmpint (symlink (target, sym), ==, 0);
	g_autoptr (GError) error = NULL;
	g_autoptr (SentLog) log = sentlog_open (sym, TRUE, &error);
	g_assert_null (log);
	g_assert_error (error, SENTLOG_ERROR, SENTLOG_ERROR_FAILED);
	g_assert_nonnull (strstr (error->message, "symbolic link"));
	g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
	g_clear_error (&error);

	g_assert_true (g_file_set_contents (target, "", 0, NULL));
	g_autofree char *hard = new_db_path ("hard.db");
	g_assert_cmpint (link (target, hard), ==, 0);
	g_autoptr (SentLog) log2 = sentlog_open (hard, TRUE, &error);
	g_assert_null (log2);
	g_assert_nonnull (error);
	g_assert_nonnull (strstr (error->message, "hard links"));
	struct stat st;
	g_assert_cmpint (stat (target, &st), ==, 0);
	g_assert_cmpint (st.st_size, ==, 0);
}

/* The checkpoints a source may go on from: those whose first bytes are
 * its own, the longest such head first; a head that grows is kept in its
 * row, not a new one. */
static void
test_sources_candidates (void)
{
	g_autofree char *db = new_db_path ("sources.db");
	g_autoptr (Config) c = test_config (db);
	g_autoptr (SentLog) log = open_writer (db);
	REQUIRE (log);
	SentLogImport *im = begin (log, c, "abc", NULL, NULL);
	checkpoint (im, 4, 1);
	sentlog_import_free (im);
	im = begin (log, c, "abcdef", NULL, NULL);    /* the same file, grown: resumed from "abc" */
	checkpoint (im, 7, 2);
	sentlog_import_free (im);
	g_assert_cmpint (q_int (db, "SELECT count(*) FROM sources"), ==, 1);
	g_assert_cmpint (q_int (db, "SELECT head_len FROM sources"), ==, 6);
	im = begin (log, c, "abX", NULL, NULL);       /* another */
	checkpoint (im, 3, 1);
	sentlog_import_free (im);
	im = begin (log, c, "ab", NULL, NULL);        /* shorter than both: a third */
	checkpoint (im, 2, 1);
	sentlog_import_free (im);

	g_autoptr (GError) error = NULL;
	static const guint8 head[] = "abcdefgh";
	g_autoptr (GArray) found = sentlog_find_sources (log, head, 8, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (found->len, ==, 2);
	g_assert_cmpuint (g_array_index (found, SentLogSource, 0).head_len, ==, 6);
	g_assert_cmpint (g_array_index (found, SentLogSource, 0).offset, ==, 7);
	g_assert_cmpuint (g_array_index (found, SentLogSource, 1).head_len, ==, 2);
	g_autoptr (GArray) none = sentlog_find_sources (log, (const guint8 *) "b", 1, NULL, &error);
	g_assert_cmpuint (none->len, ==, 0);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_set_nonfatal_assertions ();
	plain_of = g_hash_table_new_full (g_bytes_hash, g_bytes_equal, (GDestroyNotify) g_bytes_unref, g_free);

	g_autoptr (GError) error = NULL;
	tmpdir = g_dir_make_tmp ("test-sentlog-XXXXXX", &error);
	g_assert_no_error (error);
	conf_path = g_build_filename (tmpdir, "ndrsift.conf", NULL);
	g_assert_true (g_file_set_contents (conf_path, "[local]\nnetworks=192.0.2.0/24;2001:db8::/32\n", -1, NULL));
	/* The brief's base config: /dev/null works as a config too. */
	{
		g_autoptr (Config) dn = config_load ("/dev/null", "/nonexistent/x.db", NULL, &error);
		g_assert_no_error (error);
		g_assert_nonnull (dn);
	}
	T0 = (g_get_real_time () / G_USEC_PER_SEC / 86400 - 1) * 86400 + 10 * 3600;

	g_test_add_func ("/address/normalise", test_normalise_address);
	g_test_add_func ("/sentlog/import/postfix-sequence", test_import_postfix_sequence);
	g_test_add_func ("/sentlog/import/second-enter", test_import_second_enter);
	g_test_add_func ("/sentlog/import/record", test_import_record);
	g_test_add_func ("/sentlog/lookup/message-id-earliest", test_lookup_message_id_earliest);
	g_test_add_func ("/sentlog/lookup/recipient", test_lookup_recipient);
	g_test_add_func ("/sentlog/lookup/grep", test_grep);
	g_test_add_func ("/sentlog/covers", test_covers);
	g_test_add_func ("/sentlog/coverage/gap-between-imports", test_coverage_gap_between_imports);
	g_test_add_func ("/sentlog/coverage/other-normalisation", test_coverage_other_normalisation);
	g_test_add_func ("/sentlog/coverage/rotation-out-of-order-late-file", test_coverage_rotation);
	g_test_add_func ("/sentlog/coverage/overlapping-reimport", test_coverage_overlapping_reimport);
	g_test_add_func ("/sentlog/coverage/resume", test_coverage_resume);
	g_test_add_func ("/sentlog/coverage/silent-server-retire", test_coverage_silent_server);
	g_test_add_func ("/sentlog/coverage/bad-line", test_coverage_bad_line);
	g_test_add_func ("/sentlog/coverage/rate-limit", test_coverage_rate_limit);
	g_test_add_func ("/sentlog/migrate/schema-1", test_migrate_schema_1);
	g_test_add_func ("/sentlog/join/two-imports", test_join_two_imports);
	g_test_add_func ("/sentlog/join/message-id-index", test_join_message_id_index);
	g_test_add_func ("/sentlog/join/two-imports-old-logs", test_join_two_imports_old_logs);
	g_test_add_func ("/sentlog/join/queue-id-reused", test_join_queue_id_reused);
	g_test_add_func ("/sentlog/join/repeated-lines", test_join_repeated_lines);
	g_test_add_func ("/sentlog/import/bounded-open", test_import_bounded_open);
	g_test_add_func ("/sentlog/import/bounded-second-enter", test_import_bounded_second_enter);
	g_test_add_func ("/sentlog/checkpoint/atomic", test_checkpoint_atomic);
	g_test_add_func ("/sentlog/prune", test_prune);
	g_test_add_func ("/sentlog/stats", test_stats);
	g_test_add_func ("/sentlog/open/missing", test_open_missing);
	g_test_add_func ("/sentlog/open/not-sqlite", test_open_not_sqlite);
	g_test_add_func ("/sentlog/open/persist-wal", test_open_persist_wal);
	g_test_add_func ("/sentlog/open/mapped", test_open_mapped);
	g_test_add_func ("/sentlog/open/modes", test_open_modes);
	g_test_add_func ("/sentlog/open/mode-set", test_open_mode_set);
	g_test_add_func ("/sentlog/open/links", test_open_links);
	g_test_add_func ("/sentlog/sources/candidates", test_sources_candidates);

	int rc = g_test_run ();
	remove_tree (tmpdir);
	g_free (conf_path);
	g_free (tmpdir);
	return rc;
}
