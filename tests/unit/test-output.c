/* Unit tests of the output module's JSON: each thread refills one record
 * tree, so a record must not keep anything of the one before it (a
 * member that was an object and is now null, a longer list of hops
 * followed by a shorter one), and the same message gives the same text
 * whatever came before it. Records are compared with JSON written
 * straight from the facts here. */
#include <gmime/gmime.h>
#include <string.h>
#include <glib/gstdio.h>

#include "ndrsift/config.h"
#include "ndrsift/output.h"
#include "ndrsift/verdict.h"

static VerdictContext *ctx;

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
	g_autoptr (Verdict) v = verdict_judge (ctx, g_bytes_new (message, strlen (message)), FALSE);
	return output_record_json ("m", -1, v, extended);
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
		g_autoptr (Verdict) v = verdict_judge (ctx, g_bytes_new (dsn, strlen (dsn)), FALSE);
		v->score = cases[i].score;
		g_autofree char *json = output_record_json ("m", -1, v, FALSE);
		g_autoptr (JsonParser) p = NULL;
		double in_json = json_object_get_double_member (parse_object (json, &p), "score");
		g_assert_true (in_json == g_ascii_strtod (cases[i].text, NULL));
		g_autofree char *header = verdict_header_value (v, "X-NDR-Verdict");
		g_autofree char *field = g_strdup_printf ("score=%s;", cases[i].text);
		g_assert_nonnull (strstr (header, field));
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	bounce_init (); /* g_mime_init, and the leaf types scan uses */
	g_autofree char *dir = g_dir_make_tmp ("test-output-XXXXXX", NULL);
	g_autofree char *conf = g_build_filename (dir, "ndrsift.conf", NULL);
	g_autofree char *db = g_build_filename (dir, "none.db", NULL);
	g_assert_true (g_file_set_contents (conf, "# defaults\n", -1, NULL));
	g_autoptr (GError) error = NULL;
	Config *config = config_load (conf, db, g_getenv ("NDRSIFT_RULES"), &error);
	g_assert_no_error (error);
	ctx = verdict_context_new (config, &error);
	g_assert_no_error (error);

	g_test_add_func ("/output/json/refilled-record-keeps-nothing", test_refill);
	g_test_add_func ("/output/json/shorter-after-longer", test_shrinking);
	g_test_add_func ("/output/json/score-as-in-the-header", test_score_one_way);
	int rc = g_test_run ();
	verdict_context_free (ctx);
	config_free (config);
	g_unlink (conf);
	g_rmdir (dir);
	g_mime_shutdown ();
	return rc;
}
