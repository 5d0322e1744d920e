/* test-summary — scan's summary and its renderings
 * (src/summary.h, htmlreport.h, output.h and printer.h CSV):
 *
 *   - items from hand-built Verdicts over hand-written bounces (parsed by
 *     bounce_parse without formats: structured DSNs): what a forged, a
 *     legit and a non-bounce give (impersonated address: the verdict's
 *     recipient, bounce_envelope_recipient(): X-Original-To, else
 *     Delivered-To, else Envelope-To, else To; the hand-off hop's address; the
 *     reporting MTA from the report, else the topmost Received line);
 *   - counts by verdict and kind, per UTC day (midnight boundaries, unknown
 *     arrival), top lists by count with ties broken by name, the 10-entry
 *     cut, the MTA addresses;
 *   - the legit list capped at NS_MAX_SUMMARY_LEGIT with the rest counted;
 *   - RFC 4180 quoting of commas, quotes, CR/LF; a whole row parsed back;
 *   - HTML: "<script>" from a message escaped, invalid UTF-8 made valid,
 *     nothing fetched from the network; the text summary's sections. */
#include <string.h>

#include <glib.h>

#include "ndrsift/bounce.h"
#include "ndrsift/limits.h"
#include "htmlreport.h"
#include "output.h"
#include "printer.h"
#include "summary.h"
#include "ndrsift/verdict.h"

/* Fri, 27 Nov 2026 10:05:09 +0000 */
#define T0 G_GINT64_CONSTANT (1795773909)

/* A DSN to rcpt_header (a whole header line, e.g. "X-Original-To: a@b")
 * from reporting_mta (NULL: no Reporting-MTA field), its topmost Received
 * from mx.remote.example [ip]; the original has two Received lines, the
 * top one the hand-off from origin_ip. */
static char *
dsn (const char *rcpt_header, const char *reporting_mta, const char *ip, const char *origin_ip,
     const char *final_rcpt, const char *status, const char *diag)
{
	GString *s = g_string_new (NULL);
	g_string_append_printf (s,
		"Return-Path: <>\n"
		"%s\n"
		"Received: from mx.remote.example (mx.remote.example [%s])\n"
		"\tby mx1.example.com (Postfix) with ESMTP id 4Zq1; Fri, 27 Nov 2026 10:05:09 +0000 (UTC)\n"
		"From: MAILER-DAEMON@mx.remote.example\n"
		"Date: Fri, 27 Nov 2026 10:05:08 +0000\n"
		"Subject: Undelivered Mail Returned to Sender\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B1\"\n"
		"\n"
		"--B1\n"
		"Content-Type: text/plain\n"
		"\n"
		"Sorry.\n"
		"--B1\n"
		"Content-Type: message/delivery-status\n"
		"\n",
		rcpt_header, ip);
	if (reporting_mta)
		g_string_append_printf (s, "Reporting-MTA: dns; %s\n", reporting_mta);
	g_string_append_printf (s,
		"Arrival-Date: Fri, 27 Nov 2026 10:00:00 +0000\n"
		"\n"
		"Final-Recipient: rfc822; %s\n"
		"Action: failed\n"
		"Status: %s\n"
		"Diagnostic-Code: smtp; %s\n"
		"\n"
		"--B1\n"
		"Content-Type: text/rfc822-headers\n"
		"\n"
		"Received: from spam.example.net (spam.example.net [%s])\n"
		"\tby mx.remote.example with ESMTP id X1; Fri, 27 Nov 2026 10:00:00 +0000\n"
		"Received: from out.example.com (out.example.com [192.0.2.11])\n"
		"\tby spam.example.net with ESMTP id X0; Fri, 27 Nov 2026 09:59:59 +0000\n"
		"Message-ID: <m1@example.com>\n"
		"From: alice@example.com\n"
		"To: %s\n"
		"Subject: hello\n"
		"\n"
		"--B1--\n",
		final_rcpt, status, diag, origin_ip, final_rcpt);
	return g_string_free (s, FALSE);
}

static Verdict *
verdict_of (const char *text, VerdictClass cls, int handoff)
{
	Verdict *v = g_new0 (Verdict, 1);
	v->bounce = bounce_parse (NULL, text, strlen (text));
	v->verdict = cls;
	v->score = cls == VERDICT_FORGED ? 11.0 : 0.0;
	v->tests = g_ptr_array_new_with_free_func (g_free);
	if (cls == VERDICT_FORGED) {
		g_ptr_array_add (v->tests, g_strdup ("MSGID_NOT_SENT"));
		g_ptr_array_add (v->tests, g_strdup ("HANDOFF_NOT_LOCAL"));
	}
	v->handoff = handoff;
	v->recipient = g_strdup (bounce_envelope_recipient (v->bounce)); /* as verdict.c sets it */
	return v;
}

static void
verdict_of_free (Verdict *v)
{
	bounce_free (v->bounce);
	g_ptr_array_unref (v->tests);
	g_free (v->recipient);
	g_free (v);
}

static SummaryItem *
item_of (const char *rcpt_header, const char *mta, const char *ip, const char *origin, VerdictClass cls,
         const char *source)
{
	g_autofree char *text = dsn (rcpt_header, mta, ip, origin, "dave@remote.example", "5.1.1",
	                             "550 5.1.1 <dave@remote.example>: user unknown");
	Verdict *v = verdict_of (text, cls, 0);
	g_assert_cmpint (v->bounce->kind, ==, BOUNCE_KIND_DSN);
	SummaryItem *item = summary_item_new (v, source, -1);
	verdict_of_free (v);
	return item;
}

static void
test_item (void)
{
	g_autoptr (SummaryItem) f = item_of ("X-Original-To: Alice@EXAMPLE.COM", "MX.Remote.Example", "198.51.100.7",
	                                     "203.0.113.9", VERDICT_FORGED, "box/1");
	g_assert_cmpstr (f->impersonated, ==, "Alice@example.com");
	g_assert_cmpstr (f->origin, ==, "203.0.113.9");
	g_assert_cmpstr (f->reporting_mta, ==, "mx.remote.example");
	g_assert_cmpstr (f->reporting_addr, ==, "198.51.100.7");
	g_assert_cmpint (f->arrival_time, ==, T0);
	g_assert_null (f->source); /* only legit items keep where they are */

	/* No X-Original-To: Delivered-To; no Reporting-MTA: the topmost Received. */
	g_autoptr (SummaryItem) d = item_of ("Delivered-To: bob@example.com", NULL, "198.51.100.8", "203.0.113.10",
	                                     VERDICT_FORGED, "box/2");
	g_assert_cmpstr (d->impersonated, ==, "bob@example.com");
	g_assert_cmpstr (d->reporting_mta, ==, "mx.remote.example");
	/* To with a display name */
	g_autoptr (SummaryItem) t = item_of ("To: \"Carol C.\" <carol@example.com>", "mx.b.example", "198.51.100.9",
	                                     "203.0.113.11", VERDICT_FORGED, "box/3");
	g_assert_cmpstr (t->impersonated, ==, "carol@example.com");
	/* Envelope-To (Exim's), as the verdict reads it: one definition. */
	g_autoptr (SummaryItem) e = item_of ("Envelope-To: erin@example.com", "mx.b.example", "198.51.100.9",
	                                     "203.0.113.12", VERDICT_FORGED, "box/6");
	g_assert_cmpstr (e->impersonated, ==, "erin@example.com");

	g_autoptr (SummaryItem) l = item_of ("X-Original-To: alice@example.com", "mx.remote.example", "198.51.100.7",
	                                     "192.0.2.11", VERDICT_LEGIT, "box/4");
	g_assert_null (l->impersonated);
	g_assert_null (l->origin);
	g_assert_cmpstr (l->source, ==, "box/4");
	g_assert_cmpstr (l->final_recipients, ==, "dave@remote.example");
	g_assert_cmpstr (l->status, ==, "5.1.1");
	g_assert_cmpstr (l->diagnostic, ==, "550 5.1.1 <dave@remote.example>: user unknown");

	/* Not a bounce: counted, nothing else. */
	const char plain[] = "From: a@example.net\nTo: b@example.com\nSubject: hi\n\nhello\n";
	Verdict *v = verdict_of (plain, VERDICT_NONE, -1);
	g_autoptr (SummaryItem) n = summary_item_new (v, "box/5", -1);
	verdict_of_free (v);
	g_assert_cmpint (n->kind, ==, BOUNCE_KIND_NONE);
	g_assert_null (n->reporting_mta);
	g_assert_null (n->impersonated);
}

/* A bare item (the main thread's side needs no Verdict). */
static SummaryItem *
bare (VerdictClass cls, BounceKind kind, gint64 t, const char *mta, const char *addr, const char *imp,
      const char *origin)
{
	SummaryItem *it = g_new0 (SummaryItem, 1);
	it->verdict = cls;
	it->kind = kind;
	it->arrival_time = t;
	it->reporting_mta = g_strdup (mta);
	it->reporting_addr = g_strdup (addr);
	it->impersonated = g_strdup (imp);
	it->origin = g_strdup (origin);
	it->offset = -1;
	if (cls == VERDICT_LEGIT)
		it->source = g_strdup ("box");
	return it;
}

static void
check_top (const Summary *s, SummaryTable t, const char *want)
{
	g_autoptr (GPtrArray) top = summary_top (s, t, SUMMARY_TOP);
	g_autoptr (GString) got = g_string_new (NULL);
	for (guint i = 0; i < top->len; i++) {
		const SummaryEntry *e = g_ptr_array_index (top, i);
		g_string_append_printf (got, "%s%s=%" G_GUINT64_FORMAT, i ? " " : "", e->name, e->count);
	}
	g_assert_cmpstr (got->str, ==, want);
}

static void
test_counts (void)
{
	g_autoptr (Summary) s = summary_new ();
	gint64 midnight = G_GINT64_CONSTANT (1795824000); /* Sat, 28 Nov 2026 00:00:00 UTC */
	summary_add (s, bare (VERDICT_FORGED, BOUNCE_KIND_DSN, midnight - 1, "mx.b", "198.51.100.2", "bob@x", "203.0.113.2"));
	summary_add (s, bare (VERDICT_FORGED, BOUNCE_KIND_NDR, midnight, "mx.a", "198.51.100.1", "carol@x", "203.0.113.1"));
	summary_add (s, bare (VERDICT_FORGED, BOUNCE_KIND_DSN, midnight + 5, "mx.b", "198.51.100.3", "carol@x", "203.0.113.2"));
	summary_add (s, bare (VERDICT_FORGED, BOUNCE_KIND_DSN, midnight + 6, "mx.b", "198.51.100.2", "alice@x", NULL));
	summary_add (s, bare (VERDICT_LEGIT, BOUNCE_KIND_DSN, midnight + 7, "mx.c", NULL, NULL, NULL));
	summary_add (s, bare (VERDICT_UNKNOWN, BOUNCE_KIND_AUTOREPLY, 0, "mx.a", NULL, NULL, NULL));
	summary_add (s, bare (VERDICT_NONE, BOUNCE_KIND_NONE, midnight - 86400 - 1, NULL, NULL, NULL, NULL));
	summary_add_error (s);

	g_assert_cmpuint (summary_messages (s), ==, 7);
	g_assert_cmpuint (summary_count_verdict (s, VERDICT_FORGED), ==, 4);
	g_assert_cmpuint (summary_count_verdict (s, VERDICT_LEGIT), ==, 1);
	g_assert_cmpuint (summary_count_verdict (s, VERDICT_UNKNOWN), ==, 1);
	g_assert_cmpuint (summary_count_verdict (s, VERDICT_NONE), ==, 1);
	g_assert_cmpuint (summary_count_kind (s, BOUNCE_KIND_DSN), ==, 4);
	g_assert_cmpuint (summary_count_kind (s, BOUNCE_KIND_NDR), ==, 1);
	g_assert_cmpuint (summary_count_kind (s, BOUNCE_KIND_AUTOREPLY), ==, 1);

	g_assert_cmpuint (summary_count_day (s, "2026-11-27", VERDICT_FORGED), ==, 1);
	g_assert_cmpuint (summary_count_day (s, "2026-11-28", VERDICT_FORGED), ==, 3);
	g_assert_cmpuint (summary_count_day (s, "2026-11-28", VERDICT_LEGIT), ==, 1);
	g_assert_cmpuint (summary_count_day (s, "2026-11-26", VERDICT_NONE), ==, 1);
	g_assert_cmpuint (summary_count_day (s, "unknown", VERDICT_UNKNOWN), ==, 1);

	/* by count, then name */
	check_top (s, SUMMARY_IMPERSONATED, "carol@x=2 alice@x=1 bob@x=1");
	check_top (s, SUMMARY_ORIGINS, "203.0.113.2=2 203.0.113.1=1");
	check_top (s, SUMMARY_MTAS, "mx.b=3 mx.a=2 mx.c=1");
	g_autoptr (GPtrArray) mtas = summary_top (s, SUMMARY_MTAS, 1);
	const SummaryEntry *b = g_ptr_array_index (mtas, 0);
	g_assert_cmpuint (b->addresses->len, ==, 2); /* distinct addresses */
	g_assert_cmpstr (g_ptr_array_index (b->addresses, 0), ==, "198.51.100.2");
	g_assert_cmpstr (g_ptr_array_index (b->addresses, 1), ==, "198.51.100.3");

	g_autofree char *text = summary_text (s);
	g_assert_true (g_str_has_prefix (text, "7 messages, none 1, unknown 1, legit 1, forged 4; kinds:"));
	g_assert_nonnull (strstr (text, "1 unreadable"));
	g_assert_nonnull (strstr (text, "Legit bounces"));
	g_assert_nonnull (strstr (text, "Top reporting MTAs:\n         3  mx.b (198.51.100.2, 198.51.100.3)\n"));
	g_assert_nonnull (strstr (text, "Top impersonated local senders"));
	g_assert_nonnull (strstr (text, "Top origins of forged originals"));
	g_assert_nonnull (strstr (text, "  2026-11-28        4  legit 1  forged 3\n"));
	/* days in order, unknown last */
	const char *d26 = strstr (text, "2026-11-26"), *d28 = strstr (text, "2026-11-28"), *unk = strstr (text, "  unknown ");
	g_assert_true (d26 && d28 && unk && d26 < d28 && d28 < unk);
}

static void
test_top_ten (void)
{
	g_autoptr (Summary) s = summary_new ();
	/* 15 origins, origin k seen k times (k = 1..15); ties among equal
	 * counts cannot arise, the ten largest are 15..6 */
	for (int k = 1; k <= 15; k++)
		for (int i = 0; i < k; i++) {
			g_autofree char *o = g_strdup_printf ("203.0.113.%d", k);
			summary_add (s, bare (VERDICT_FORGED, BOUNCE_KIND_DSN, T0, "mx", NULL, "a@x", o));
		}
	g_autoptr (GPtrArray) top = summary_top (s, SUMMARY_ORIGINS, SUMMARY_TOP);
	g_assert_cmpuint (top->len, ==, 10);
	g_assert_cmpstr (((SummaryEntry *) g_ptr_array_index (top, 0))->name, ==, "203.0.113.15");
	g_assert_cmpstr (((SummaryEntry *) g_ptr_array_index (top, 9))->name, ==, "203.0.113.6");
	/* 12 ties: the first ten by name */
	g_autoptr (Summary) t = summary_new ();
	for (int k = 12; k >= 1; k--) {
		g_autofree char *a = g_strdup_printf ("user%02d@example.com", k);
		summary_add (t, bare (VERDICT_FORGED, BOUNCE_KIND_DSN, T0, "mx", NULL, a, NULL));
	}
	g_autoptr (GPtrArray) ties = summary_top (t, SUMMARY_IMPERSONATED, SUMMARY_TOP);
	g_assert_cmpuint (ties->len, ==, 10);
	g_assert_cmpstr (((SummaryEntry *) g_ptr_array_index (ties, 0))->name, ==, "user01@example.com");
	g_assert_cmpstr (((SummaryEntry *) g_ptr_array_index (ties, 9))->name, ==, "user10@example.com");
}

static void
test_legit_cap (void)
{
	g_autoptr (Summary) s = summary_new ();
	for (guint i = 0; i < NS_MAX_SUMMARY_LEGIT + 5; i++)
		summary_add (s, bare (VERDICT_LEGIT, BOUNCE_KIND_DSN, T0, "mx", NULL, NULL, NULL));
	guint64 more = 0;
	const GPtrArray *legit = summary_legit (s, &more);
	g_assert_cmpuint (legit->len, ==, NS_MAX_SUMMARY_LEGIT);
	g_assert_cmpuint (more, ==, 5);
	g_assert_cmpuint (summary_count_verdict (s, VERDICT_LEGIT), ==, NS_MAX_SUMMARY_LEGIT + 5);
	g_autofree char *text = summary_text (s);
	g_assert_nonnull (strstr (text, "... and 5 more\n"));
}

static char *
csv (const char *value)
{
	GString *out = g_string_new (NULL);
	output_csv_field (out, value);
	return g_string_free (out, FALSE);
}

static void
test_csv_quoting (void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain@example.com", "plain@example.com" },
		{ "a,b", "\"a,b\"" },
		{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ "line1\nline2", "\"line1\nline2\"" },
		{ "cr\r\nlf", "\"cr\r\nlf\"" },
		{ " padded", "\" padded\"" },
		{ "", "" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "bad\xff", "bad\xef\xbf\xbd" },
		{ "esc\x1b[31m\x07\x7f", "esc\\x1b[31m\\x07\\x7f" },
	};
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree char *got = csv (cases[i].in);
		g_assert_cmpstr (got, ==, cases[i].out);
	}
	g_autofree char *null = csv (NULL);
	g_assert_cmpstr (null, ==, "");
	const char *head = printer_find ("csv")->head;
	g_assert_true (g_str_has_suffix (head, "origin_ip\r\n"));
	g_assert_true (g_str_has_prefix (head, "source,offset,kind,verdict,score,tests,"));
}

static void
test_csv_row (void)
{
	g_autofree char *text = dsn ("X-Original-To: alice@example.com", "mx.remote.example", "198.51.100.7",
	                             "203.0.113.9", "d,\"q\"@remote.example", "5.1.1", "550 no");
	Verdict *v = verdict_of (text, VERDICT_FORGED, 0);
	g_autofree char *row = printer_message (printer_find ("csv"), "dir/a,b.eml", 1234, v);
	verdict_of_free (v);
	g_assert_true (g_str_has_suffix (row, "\r\n"));
	g_assert_cmpstr (row, ==,
	                 "\"dir/a,b.eml\",1234,dsn,forged,11.0,\"MSGID_NOT_SENT,HANDOFF_NOT_LOCAL\",<m1@example.com>,"
	                 "mx.remote.example,\"d,\"\"q\"\"@remote.example\",5.1.1,203.0.113.9\r\n");
}

static void
test_html_escaping (void)
{
	g_autoptr (Summary) s = summary_new ();
	SummaryItem *l = bare (VERDICT_LEGIT, BOUNCE_KIND_DSN, T0, "<script>alert('mta')</script>", "1.2.3.4", NULL, NULL);
	g_free (l->source);
	l->source = g_strdup ("box/<b>bold</b>&\xff.eml");
	l->final_recipients = g_strdup ("\"<script>\"@example.net");
	l->diagnostic = g_strdup ("550 <script>alert(1)</script>\x01");
	summary_add (s, l);
	summary_add (s, bare (VERDICT_FORGED, BOUNCE_KIND_DSN, T0, "mx", NULL, "<script>x</script>@example.com",
	                      "<img src=x>"));
	g_autofree char *html = htmlreport_render (s);
	g_assert_true (g_utf8_validate (html, -1, NULL));
	g_assert_true (g_str_has_prefix (html, "<!DOCTYPE html>"));
	g_assert_null (strstr (html, "<script"));
	g_assert_null (strstr (html, "<img"));
	g_assert_null (strstr (html, "<b>bold"));
	g_assert_null (strstr (html, "http://"));
	g_assert_null (strstr (html, "https://"));
	g_assert_null (strstr (html, "\x01"));
	g_assert_nonnull (strstr (html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	g_assert_nonnull (strstr (html, "box/&lt;b&gt;bold&lt;/b&gt;&amp;\xef\xbf\xbd.eml"));
	g_assert_nonnull (strstr (html, "<svg"));
	g_assert_nonnull (strstr (html, "</html>\n"));
}

static void
test_html_empty (void)
{
	g_autoptr (Summary) s = summary_new ();
	g_autofree char *html = htmlreport_render (s);
	g_assert_nonnull (strstr (html, "No messages."));
	g_autofree char *text = summary_text (s);
	g_assert_true (g_str_has_prefix (text, "0 messages; kinds:\n"));
}

int
main (int argc, char **argv)
{
	bounce_init ();
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/summary/item", test_item);
	g_test_add_func ("/summary/counts", test_counts);
	g_test_add_func ("/summary/top-ten", test_top_ten);
	g_test_add_func ("/summary/legit-cap", test_legit_cap);
	g_test_add_func ("/summary/csv-quoting", test_csv_quoting);
	g_test_add_func ("/summary/csv-row", test_csv_row);
	g_test_add_func ("/summary/html-escaping", test_html_escaping);
	g_test_add_func ("/summary/html-empty", test_html_empty);
	return g_test_run ();
}
