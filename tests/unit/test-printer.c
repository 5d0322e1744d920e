/* Unit tests of the printers (printer.h):
 *   - the JSON record: each thread refills one record tree, so a record
 *     must not keep anything of the one before it (a member that was an
 *     object and is now null, a longer list of hops followed by a shorter
 *     one), and the same message gives the same text whatever came before
 *     it; records are compared with JSON written straight from the facts;
 *   - the score is one number everywhere (the header's);
 *   - which printers there are, which are scan's formats, what follows a
 *     batch and where; check's and scan's lines; every record ends with
 *     its line end. */
#include <gmime/gmime.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <glib/gstdio.h>

#include "ndrsift/config.h"
#include "ndrsift/engine.h"
#include "number.h"
#include "printer.h"
#include "ndrsift/verdict.h"

static Engine *engine;

static const char dsn[] =
	"From: MAILER-DAEMON@mx.remote.example\n"
	"Subject: Undelivered Mail Returned to Sender\n"
	"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n"
	"--B\nContent-Type: message/delivery-status\n\n"
	"Reporting-MTA: dns; mx.remote.example\n\n"
	"Final-Recipient: rfc822; dave@remote.example\nAction: failed\nStatus: 5.1.1\n\n"
	"Final-Recipient: rfc822; erin@remote.example\nAction: failed\nStatus: 5.1.1\n"
	"--B\nContent-Type: message/rfc822\n\n"
	"Received: from a (a [192.0.2.1]) by mx1.example.com; Fri, 27 Nov 2026 10:00:02 +0000\n"
	"Received: from b (b [192.0.2.2]) by a; Fri, 27 Nov 2026 10:00:01 +0000\n"
	"Message-ID: <one@example.com>\nSubject: hi\n\nbody\n--B--\n";

static const char plain[] = "From: alice@example.com\nSubject: not a bounce\n\nhello\n";

static char *
record (const char *message, gboolean extended)
{
	g_autoptr (Verdict) v = engine_judge (engine, g_bytes_new (message, strlen (message)), FALSE, NULL);
	return printer_message (printer_find (extended ? "explain-json" : "jsonl"), "m", -1, v);
}

static JsonObject *
parse_object (const char *text, JsonParser **keep)
{
	*keep = json_parser_new ();
	g_assert_true (json_parser_load_from_data (*keep, text, -1, NULL));
	return json_node_get_object (json_parser_get_root (*keep));
}

static void
test_refill (void)
{
	for (int extended = 0; extended <= 1; extended++) {
		g_autofree char *first = record (dsn, extended);
		g_autofree char *between = record (plain, extended);
		g_autofree char *again = record (dsn, extended);
		g_assert_cmpstr (first, ==, again);

		g_autoptr (JsonParser) p1 = NULL, p2 = NULL;
		JsonObject *a = parse_object (first, &p1), *b = parse_object (between, &p2);
		g_assert_cmpstr (json_object_get_string_member (a, "kind"), ==, "dsn");
		JsonObject *o = json_object_get_object_member (a, "original");
		g_assert_cmpstr (json_object_get_string_member (o, "message_id"), ==, "<one@example.com>");
		g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "received")), ==, 2);
		JsonObject *d = json_object_get_object_member (a, "dsn");
		g_assert_cmpuint (json_array_get_length (json_object_get_array_member (d, "recipients")), ==, 2);

		/* nothing of the DSN is left in the record after it */
		g_assert_cmpstr (json_object_get_string_member (b, "kind"), ==, "none");
		g_assert_true (json_object_get_null_member (b, "original"));
		g_assert_true (json_object_get_null_member (b, "dsn"));
		g_assert_null (strstr (between, "one@example.com"));
		g_assert_null (strstr (between, "remote.example"));

		/* the members, in the contract's order */
		GList *names = json_object_get_members (b);
		static const char *const order[] = { "source", "offset", "kind", "verdict", "score", "tests",
		                                     "original", "dsn", "sentlog" };
		GList *l = names;
		for (guint i = 0; i < G_N_ELEMENTS (order); i++, l = l->next) {
			g_assert_nonnull (l);
			g_assert_cmpstr (l->data, ==, order[i]);
		}
		g_list_free (names);
	}
}

/* A shorter chain after a longer one, and a value that was a string and
 * is now null. */
static void
test_shrinking (void)
{
	g_autofree char *shorter = g_strdup (dsn);
	char *second = strstr (shorter, "Received: from b");
	memcpy (second, "X-Gone", 6); /* the second hop is now an X- field */
	char *subject = strstr (shorter, "Subject: hi");
	memcpy (subject, "X-Subje", 7); /* and the original has no Subject */
	g_autofree char *longer_json = record (dsn, FALSE);
	g_autofree char *shorter_json = record (shorter, FALSE);
	g_autoptr (JsonParser) p = NULL;
	JsonObject *o = json_object_get_object_member (parse_object (shorter_json, &p), "original");
	g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "received")), ==, 1);
	g_assert_true (json_object_get_null_member (o, "subject"));
	g_assert_null (strstr (shorter_json, "192.0.2.2"));
}

/* A score is the same number in the record as in the header: one
 * decimal, rounded as printf rounds (0.25 is "0.2" there, not round()'s
 * 0.3). (json-glib writes a double with 17 digits: 2.3 reads
 * 2.2999999999999998, the same double.) */
static void
test_score_one_way (void)
{
	static const struct {
		double score;
		const char *text;
	} cases[] = { { 0.25, "0.2" }, { 0.75, "0.8" }, { 1.25, "1.2" }, { -0.25, "-0.2" },
	              { 6.5, "6.5" }, { 11.0, "11.0" }, { 2.3, "2.3" } };
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr (Verdict) v = engine_judge (engine, g_bytes_new (dsn, strlen (dsn)), FALSE, NULL);
		v->score = cases[i].score;
		g_autofree char *json = printer_message (printer_find ("jsonl"), "m", -1, v);
		g_autoptr (JsonParser) p = NULL;
		double in_json = json_object_get_double_member (parse_object (json, &p), "score");
		g_assert_true (in_json == g_ascii_strtod (cases[i].text, NULL));
		g_autofree char *header = verdict_header_value (v, "X-NDR-Verdict");
		g_autofree char *field = g_strdup_printf ("score=%s;", cases[i].text);
		g_assert_nonnull (strstr (header, field));
	}
}

/* The printers by name: scan takes text, csv, jsonl and html only; the
 * summary goes to stdout after text and html, to stderr after csv and
 * jsonl (stdout holds records only). */
static void
test_printers (void)
{
	static const struct {
		const char *name;
		gboolean scan, record, to_stderr;
	} cases[] = {
		{ "text", TRUE, TRUE, FALSE },     { "csv", TRUE, TRUE, TRUE },
		{ "jsonl", TRUE, TRUE, TRUE },     { "html", TRUE, FALSE, FALSE },
		{ "check", FALSE, TRUE, FALSE },   { "explain", FALSE, TRUE, FALSE },
		{ "explain-json", FALSE, TRUE, FALSE },
	};
	g_autoptr (Summary) s = summary_new ();
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		const Printer *p = printer_find (cases[i].name);
		g_assert_nonnull (p);
		g_assert_cmpstr (p->name, ==, cases[i].name);
		g_assert_cmpint (p->scan, ==, cases[i].scan);
		g_assert_cmpint (p->record != NULL, ==, cases[i].record);
		g_assert_cmpint (p->summary != NULL, ==, cases[i].scan);
		if (p->summary) {
			gboolean to_stderr = !cases[i].to_stderr;
			g_autofree char *after = p->summary (s, &to_stderr);
			g_assert_cmpint (to_stderr, ==, cases[i].to_stderr);
			g_assert_nonnull (after);
		}
	}
	g_assert_null (printer_find ("xml"));
	g_assert_null (printer_find (""));
	g_assert_null (printer_find (NULL));
	g_assert_nonnull (printer_find ("csv")->head);
	g_assert_null (printer_find ("text")->head);
}

/* check's and scan's lines: the place (FILE@OFFSET in an mbox, escaped),
 * the verdict, the score, the kind and the tests; every record of every
 * printer ends with its line end. */
static void
test_lines (void)
{
	g_autoptr (Verdict) v = engine_judge (engine, g_bytes_new (dsn, strlen (dsn)), FALSE, NULL);
	g_autofree char *tests = verdict_tests_join (v, "none");
	g_autofree char *want = g_strdup_printf ("box\\x1b.mbox@42: %s score=%s kind=dsn tests=%s\n",
	                                         verdict_name (v->verdict), SCORE (v->score), tests);
	g_autofree char *check = printer_message (printer_find ("check"), "box\x1b.mbox", 42, v);
	g_assert_cmpstr (check, ==, want);
	g_autofree char *file = printer_message (printer_find ("check"), "a.eml", -1, v);
	g_assert_true (g_str_has_prefix (file, "a.eml: "));

	g_autofree char *text = printer_message (printer_find ("text"), "a.eml", -1, v);
	g_autofree char *text_want = g_strdup_printf ("%-40s %-8s score=%-5s kind=%-9s tests=%s\n", "a.eml",
	                                              verdict_name (v->verdict), SCORE (v->score), "dsn", tests);
	g_assert_cmpstr (text, ==, text_want);

	static const char *const names[] = { "check", "text", "jsonl", "explain", "explain-json" };
	for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
		g_autofree char *out = printer_message (printer_find (names[i]), "a.eml", -1, v);
		g_assert_true (g_str_has_suffix (out, "\n"));
		g_assert_false (g_str_has_suffix (out, "\n\n"));
	}
	g_autofree char *row = printer_message (printer_find ("csv"), "a.eml", -1, v);
	g_assert_true (g_str_has_suffix (row, "\r\n"));
	g_autofree char *html = printer_message (printer_find ("html"), "a.eml", -1, v);
	g_assert_cmpstr (html, ==, "");
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	bounce_init (); /* g_mime_init, and the leaf types scan uses */
	g_autofree char *dir = g_dir_make_tmp ("test-printer-XXXXXX", NULL);
	g_autofree char *conf = g_build_filename (dir, "ndrsift.conf", NULL);
	g_autofree char *db = g_build_filename (dir, "none.db", NULL);
	g_assert_true (g_file_set_contents (conf, "# defaults\n", -1, NULL));
	g_autoptr (GError) error = NULL;
	Config *config = config_load (conf, db, g_getenv ("NDRSIFT_RULES"), &error);
	g_assert_no_error (error);
	engine = engine_new (config, TRUE, &error);
	g_assert_no_error (error);

	g_test_add_func ("/printer/json/refilled-record-keeps-nothing", test_refill);
	g_test_add_func ("/printer/json/shorter-after-longer", test_shrinking);
	g_test_add_func ("/printer/json/score-as-in-the-header", test_score_one_way);
	g_test_add_func ("/printer/by-name", test_printers);
	g_test_add_func ("/printer/lines", test_lines);
	int rc = g_test_run ();
	engine_unref (engine);
	g_unlink (conf);
	g_rmdir (dir);
	g_mime_shutdown ();
	return rc;
}
