/* Unit tests for src/report.c: the fields of RFC 3464 / RFC 6533
 * delivery-status reports, every field checked, then the odd shapes real
 * reporters produce, then the limits and hostile input. */
#include <string.h>

#include "ndrsift/limits.h"
#include "ndrsift/report.h"

static ReportRecipient *
recipient (const Report *r, guint i)
{
	g_assert_nonnull (r);
	g_assert_nonnull (r->recipients);
	g_assert_cmpuint (i, <, r->recipients->len);
	return g_ptr_array_index (r->recipients, i);
}

static Report *
parse (const char *text)
{
	return report_parse (text, strlen (text));
}

/* Fails when any byte of value is a control character (or DEL). */
static void
assert_clean (const char *value)
{
	if (value == NULL)
		return;
	for (const unsigned char *p = (const unsigned char *) value; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			g_error ("control byte 0x%02x at offset %td of value \"%s\"",
			         *p, (const char *) p - value, value);
	}
	g_assert_true (g_utf8_validate (value, -1, NULL));
}

static void
assert_report_clean (const Report *r)
{
	assert_clean (r->reporting_mta);
	assert_clean (r->arrival_date);
	assert_clean (r->original_envelope_id);
	assert_clean (r->received_from_mta);
	for (guint i = 0; i < r->recipients->len; i++) {
		ReportRecipient *rr = g_ptr_array_index (r->recipients, i);
		assert_clean (rr->final_recipient);
		assert_clean (rr->original_recipient);
		assert_clean (rr->action);
		assert_clean (rr->status);
		assert_clean (rr->remote_mta);
		assert_clean (rr->diagnostic);
		assert_clean (rr->last_attempt_date);
	}
}

/* Two reports parsed from different line ends must be equal field by field. */
static void
assert_same_report (const Report *a, const Report *b)
{
	g_assert_nonnull (a);
	g_assert_nonnull (b);
	g_assert_cmpstr (a->reporting_mta, ==, b->reporting_mta);
	g_assert_cmpstr (a->arrival_date, ==, b->arrival_date);
	g_assert_cmpstr (a->original_envelope_id, ==, b->original_envelope_id);
	g_assert_cmpstr (a->received_from_mta, ==, b->received_from_mta);
	g_assert_cmpuint (a->recipients_dropped, ==, b->recipients_dropped);
	g_assert_cmpuint (a->recipients->len, ==, b->recipients->len);
	for (guint i = 0; i < a->recipients->len; i++) {
		ReportRecipient *x = g_ptr_array_index (a->recipients, i);
		ReportRecipient *y = g_ptr_array_index (b->recipients, i);
		g_assert_cmpstr (x->final_recipient, ==, y->final_recipient);
		g_assert_cmpstr (x->original_recipient, ==, y->original_recipient);
		g_assert_cmpstr (x->action, ==, y->action);
		g_assert_cmpstr (x->status, ==, y->status);
		g_assert_cmpstr (x->remote_mta, ==, y->remote_mta);
		g_assert_cmpstr (x->diagnostic, ==, y->diagnostic);
		g_assert_cmpstr (x->last_attempt_date, ==, y->last_attempt_date);
	}
}

/* ---- a standard report -------------------------------------------------- */

static const char standard[] =
	"Reporting-MTA: dns; mx.example.net\n"
	"X-Postfix-Queue-ID: 4VfK1w2Abcz9sT\n"
	"X-Postfix-Sender: rfc822; alice@example.net\n"
	"Arrival-Date: Tue, 14 May 2024 09:12:44 +0200 (CEST)\n"
	"Original-Envelope-Id: ENV-0042\n"
	"Received-From-MTA: dns; client.example.org\n"
	"\n"
	"Final-Recipient: rfc822; bob@example.org\n"
	"Original-Recipient: rfc822; Bob@Example.org\n"
	"Action: failed\n"
	"Status: 5.1.1\n"
	"Remote-MTA: dns; mx1.example.org\n"
	"Diagnostic-Code: smtp; 550 5.1.1 <bob@example.org>: Recipient address rejected\n"
	"Last-Attempt-Date: Tue, 14 May 2024 09:12:45 +0200 (CEST)\n"
	"\n"
	"Final-Recipient: rfc822; carol@example.org\n"
	"Action: delayed\n"
	"Status: 4.4.1\n"
	"Remote-MTA: dns; mx2.example.org\n"
	"Diagnostic-Code: X-Postfix; connect to mx2.example.org[192.0.2.7]:25: Connection timed out\n"
	"Will-Retry-Until: Fri, 17 May 2024 09:12:44 +0200 (CEST)\n";

static void
test_standard (void)
{
	g_autoptr (Report) r = parse (standard);

	g_assert_nonnull (r);
	g_assert_cmpstr (r->reporting_mta, ==, "mx.example.net");
	g_assert_cmpstr (r->arrival_date, ==, "Tue, 14 May 2024 09:12:44 +0200 (CEST)");
	g_assert_cmpstr (r->original_envelope_id, ==, "ENV-0042");
	g_assert_cmpstr (r->received_from_mta, ==, "client.example.org");
	g_assert_cmpuint (r->recipients->len, ==, 2);
	g_assert_cmpuint (r->recipients_dropped, ==, 0);

	ReportRecipient *a = recipient (r, 0);
	g_assert_cmpstr (a->final_recipient, ==, "bob@example.org");
	g_assert_cmpstr (a->original_recipient, ==, "Bob@Example.org");
	g_assert_cmpstr (a->action, ==, "failed");
	g_assert_cmpstr (a->status, ==, "5.1.1");
	g_assert_cmpstr (a->remote_mta, ==, "mx1.example.org");
	g_assert_cmpstr (a->diagnostic, ==, "550 5.1.1 <bob@example.org>: Recipient address rejected");
	g_assert_cmpstr (a->last_attempt_date, ==, "Tue, 14 May 2024 09:12:45 +0200 (CEST)");

	ReportRecipient *b = recipient (r, 1);
	g_assert_cmpstr (b->final_recipient, ==, "carol@example.org");
	g_assert_null (b->original_recipient);
	g_assert_cmpstr (b->action, ==, "delayed");
	g_assert_cmpstr (b->status, ==, "4.4.1");
	g_assert_cmpstr (b->remote_mta, ==, "mx2.example.org");
	g_assert_cmpstr (b->diagnostic, ==,
	                 "connect to mx2.example.org[192.0.2.7]:25: Connection timed out");
	g_assert_null (b->last_attempt_date);
}

/* The "type;" prefix goes from typed fields only: Status, Action and the
 * dates keep a ';' they happen to contain, and a value without a type is
 * kept whole. */
static void
test_typed_fields_untyped (void)
{
	g_autoptr (Report) r = parse ("Reporting-MTA: dns; host\n"
	                              "Received-From-MTA: DNS;relay.example\n"
	                              "Original-Envelope-Id: abc;def\n"
	                              "\n"
	                              "Final-Recipient: rfc822; a@b\n"
	                              "Original-Recipient: a@b.example\n"
	                              "Action: failed\n"
	                              "Status: 5.0.0\n"
	                              "Remote-MTA: [192.0.2.1]\n"
	                              "Diagnostic-Code: smtp; 550 ...\n");
	g_assert_nonnull (r);
	g_assert_cmpstr (r->reporting_mta, ==, "host");
	g_assert_cmpstr (r->received_from_mta, ==, "relay.example");
	g_assert_cmpstr (r->original_envelope_id, ==, "abc;def");
	ReportRecipient *a = recipient (r, 0);
	g_assert_cmpstr (a->final_recipient, ==, "a@b");
	g_assert_cmpstr (a->original_recipient, ==, "a@b.example");
	g_assert_cmpstr (a->remote_mta, ==, "[192.0.2.1]");
	g_assert_cmpstr (a->diagnostic, ==, "550 ...");
}

/* ---- folding and line ends ---------------------------------------------- */

static void
test_folded_diagnostic (void)
{
	g_autoptr (Report) r = parse ("Reporting-MTA: dns; mx.example.net\n"
	                              "\n"
	                              "Final-Recipient: rfc822; bob@example.org\n"
	                              "Action: failed\n"
	                              "Status: 5.7.1\n"
	                              "Diagnostic-Code: smtp; 550-5.7.1 The user or domain that you are\n"
	                              "    sending to (or from) has a policy that\n"
	                              "\tprohibited the mail that you sent.\n"
	                              "Last-Attempt-Date: Tue, 14 May 2024 09:12:45 +0200\n");
	g_assert_nonnull (r);
	ReportRecipient *a = recipient (r, 0);
	g_assert_cmpstr (a->diagnostic, ==,
	                 "550-5.7.1 The user or domain that you are sending to (or from) has a "
	                 "policy that prohibited the mail that you sent.");
	/* the field after the continuation lines is still its own field */
	g_assert_cmpstr (a->last_attempt_date, ==, "Tue, 14 May 2024 09:12:45 +0200");
	g_assert_cmpstr (a->status, ==, "5.7.1");
}

static char *
with_line_ends (const char *lf_text, const char *eol)
{
	g_auto (GStrv) lines = g_strsplit (lf_text, "\n", -1);
	return g_strjoinv (eol, lines);
}

static const char folded_two_groups[] =
	"Reporting-MTA: dns; mx.example.net\n"
	"Arrival-Date: Tue, 14 May 2024 09:12:44 +0200\n"
	"\n"
	"Final-Recipient: rfc822; bob@example.org\n"
	"Action: Failed\n"
	"Status: 5.1.1\n"
	"Diagnostic-Code: smtp; 550 5.1.1 user\n"
	"  unknown\n"
	"\n"
	"Final-Recipient: rfc822; carol@example.org\n"
	"Action: delayed\n"
	"Status: 4.2.2\n";

static void
test_crlf (void)
{
	g_autofree char *crlf = with_line_ends (folded_two_groups, "\r\n");
	g_autoptr (Report) lf = parse (folded_two_groups);
	g_autoptr (Report) r = parse (crlf);

	g_assert_nonnull (strstr (crlf, "\r\n\r\n"));
	assert_same_report (lf, r);
	/* and the LF reading itself is the right one */
	g_assert_cmpuint (r->recipients->len, ==, 2);
	g_assert_cmpstr (recipient (r, 0)->diagnostic, ==, "550 5.1.1 user unknown");
	g_assert_cmpstr (recipient (r, 1)->final_recipient, ==, "carol@example.org");
	assert_report_clean (r);
}

static void
test_cr_only (void)
{
	g_autofree char *cr = with_line_ends (folded_two_groups, "\r");
	g_autoptr (Report) lf = parse (folded_two_groups);
	g_autoptr (Report) r = parse (cr);

	g_assert_null (strchr (cr, '\n'));
	assert_same_report (lf, r);
	g_assert_cmpuint (r->recipients->len, ==, 2);
	g_assert_cmpstr (r->reporting_mta, ==, "mx.example.net");
	g_assert_cmpstr (recipient (r, 0)->diagnostic, ==, "550 5.1.1 user unknown");
	g_assert_cmpstr (recipient (r, 1)->status, ==, "4.2.2");
	assert_report_clean (r);
}

static void
test_action_lowercase (void)
{
	g_autoptr (Report) r = parse ("Final-Recipient: rfc822; a@example.org\n"
	                              "Action: Failed\n"
	                              "\n"
	                              "Final-Recipient: rfc822; b@example.org\n"
	                              "Action: DELAYED\n");
	g_assert_nonnull (r);
	g_assert_cmpstr (recipient (r, 0)->action, ==, "failed");
	g_assert_cmpstr (recipient (r, 1)->action, ==, "delayed");
}

/* Field names are case-insensitive (RFC 5322). */
static void
test_field_names_caseless (void)
{
	g_autoptr (Report) r = parse ("REPORTING-MTA: dns; mx.example.net\n"
	                              "\n"
	                              "final-recipient: rfc822; a@example.org\n"
	                              "STATUS: 5.1.1\n");
	g_assert_nonnull (r);
	g_assert_cmpstr (r->reporting_mta, ==, "mx.example.net");
	g_assert_cmpstr (recipient (r, 0)->final_recipient, ==, "a@example.org");
	g_assert_cmpstr (recipient (r, 0)->status, ==, "5.1.1");
}

/* ---- group shapes ------------------------------------------------------- */

static void
test_one_group (void)
{
	g_autoptr (Report) r = parse ("Reporting-MTA: dns; mx.example.net\n"
	                              "Arrival-Date: Tue, 14 May 2024 09:12:44 +0200\n"
	                              "Final-Recipient: rfc822; bob@example.org\n"
	                              "Action: failed\n"
	                              "Status: 5.1.1\n"
	                              "Diagnostic-Code: smtp; 550 unknown user\n");
	g_assert_nonnull (r);
	g_assert_cmpstr (r->reporting_mta, ==, "mx.example.net");
	g_assert_cmpstr (r->arrival_date, ==, "Tue, 14 May 2024 09:12:44 +0200");
	g_assert_cmpuint (r->recipients->len, ==, 1);
	ReportRecipient *a = recipient (r, 0);
	g_assert_cmpstr (a->final_recipient, ==, "bob@example.org");
	g_assert_cmpstr (a->action, ==, "failed");
	g_assert_cmpstr (a->status, ==, "5.1.1");
	g_assert_cmpstr (a->diagnostic, ==, "550 unknown user");
}

static void
test_two_final_recipients_one_group (void)
{
	g_autoptr (Report) r = parse ("Reporting-MTA: dns; mx.example.net\n"
	                              "\n"
	                              "Final-Recipient: rfc822; bob@example.org\n"
	                              "Action: failed\n"
	                              "Status: 5.1.1\n"
	                              "Final-Recipient: rfc822; carol@example.org\n"
	                              "Action: failed\n"
	                              "Status: 5.2.2\n");
	g_assert_nonnull (r);
	g_assert_cmpuint (r->recipients->len, ==, 2);
	g_assert_cmpstr (recipient (r, 0)->final_recipient, ==, "bob@example.org");
	g_assert_cmpstr (recipient (r, 0)->status, ==, "5.1.1");
	g_assert_cmpstr (recipient (r, 1)->final_recipient, ==, "carol@example.org");
	g_assert_cmpstr (recipient (r, 1)->status, ==, "5.2.2");
}

static void
test_group_without_final_recipient (void)
{
	g_autoptr (Report) r = parse ("Reporting-MTA: dns; mx.example.net\n"
	                              "\n"
	                              "Original-Recipient: rfc822; bob@example.org\n"
	                              "Action: failed\n"
	                              "Status: 5.1.1\n"
	                              "\n"
	                              "Action: delayed\n"
	                              "Status: 4.4.7\n");
	g_assert_nonnull (r);
	g_assert_cmpuint (r->recipients->len, ==, 2);
	ReportRecipient *a = recipient (r, 0);
	g_assert_null (a->final_recipient);
	g_assert_cmpstr (a->original_recipient, ==, "bob@example.org");
	g_assert_cmpstr (a->status, ==, "5.1.1");
	ReportRecipient *b = recipient (r, 1);
	g_assert_null (b->final_recipient);
	g_assert_cmpstr (b->action, ==, "delayed");
	g_assert_cmpstr (b->status, ==, "4.4.7");
}

/* A recipient group without Final-Recipient, then one with it: two
 * recipients, each with its own fields. */
static void
test_missing_then_present_final_recipient (void)
{
	g_autoptr (Report) r = parse ("Action: failed\n"
	                              "Status: 5.0.0\n"
	                              "\n"
	                              "Final-Recipient: rfc822; x@example.org\n"
	                              "Status: 5.1.1\n");
	g_assert_nonnull (r);
	g_assert_cmpuint (r->recipients->len, ==, 2);
	g_assert_null (recipient (r, 0)->final_recipient);
	g_assert_cmpstr (recipient (r, 0)->status, ==, "5.0.0");
	g_assert_cmpstr (recipient (r, 1)->final_recipient, ==, "x@example.org");
	g_assert_cmpstr (recipient (r, 1)->status, ==, "5.1.1");
}

static void
test_first_occurrence_wins (void)
{
	g_autoptr (Report) r = parse ("Reporting-MTA: dns; first.example\n"
	                              "Reporting-MTA: dns; second.example\n"
	                              "Arrival-Date: first date\n"
	                              "Arrival-Date: second date\n"
	                              "\n"
	                              "Final-Recipient: rfc822; bob@example.org\n"
	                              "Action: failed\n"
	                              "Action: delivered\n"
	                              "Status: 5.1.1\n"
	                              "Status: 2.0.0\n"
	                              "Diagnostic-Code: smtp; 550 first\n"
	                              "Diagnostic-Code: smtp; 250 second\n"
	                              "Reporting-MTA: dns; third.example\n");
	g_assert_nonnull (r);
	g_assert_cmpstr (r->reporting_mta, ==, "first.example");
	g_assert_cmpstr (r->arrival_date, ==, "first date");
	g_assert_cmpuint (r->recipients->len, ==, 1);
	ReportRecipient *a = recipient (r, 0);
	g_assert_cmpstr (a->action, ==, "failed");
	g_assert_cmpstr (a->status, ==, "5.1.1");
	g_assert_cmpstr (a->diagnostic, ==, "550 first");
}

/* ---- no report ---------------------------------------------------------- */

static void
test_no_known_fields (void)
{
	g_assert_null (parse ("X-Postfix-Queue-ID: 4VfK1w2Abcz9sT\n"
	                      "Subject: hello\n"
	                      "\n"
	                      "Will-Retry-Until: tomorrow\n"
	                      "just some text: with a colon\n"));
	/* the same text with one known field is a report: the test can fail */
	g_autoptr (Report) r = parse ("X-Postfix-Queue-ID: 4VfK1w2Abcz9sT\n"
	                              "Status: 5.0.0\n");
	g_assert_nonnull (r);
}

static void
test_null_text (void)
{
	g_assert_null (report_parse (NULL, 0));
	g_assert_null (report_parse (NULL, 100));
}

static void
test_empty_text (void)
{
	g_assert_null (report_parse ("", 0));
	g_assert_null (parse ("\n\n\r\n   \n"));
	/* len 0 means nothing, whatever the buffer holds */
	g_assert_null (report_parse ("Status: 5.0.0\n", 0));
}

/* len is honoured: bytes past it are not read. */
static void
test_len_honoured (void)
{
	const char *text = "Final-Recipient: rfc822; a@example.org\nStatus: 5.1.1\n";
	g_autoptr (Report) r = report_parse (text, strlen ("Final-Recipient: rfc822; a@example.org\n"));
	g_assert_nonnull (r);
	g_assert_cmpstr (recipient (r, 0)->final_recipient, ==, "a@example.org");
	g_assert_null (recipient (r, 0)->status);
}

/* ---- limits ------------------------------------------------------------- */

static void
test_max_recipients (void)
{
	g_autoptr (GString) s = g_string_new ("Reporting-MTA: dns; mx.example.net\n");
	for (guint i = 0; i < 300; i++)
		g_string_append_printf (s, "\nFinal-Recipient: rfc822; user%u@example.org\n"
		                           "Action: failed\nStatus: 5.1.1\n", i);
	g_autoptr (Report) r = report_parse (s->str, s->len);

	g_assert_nonnull (r);
	g_assert_cmpuint (r->recipients->len, ==, NS_MAX_DSN_RECIPIENTS);
	g_assert_cmpuint (r->recipients_dropped, ==, 300 - NS_MAX_DSN_RECIPIENTS);
	/* the first ones are kept, in order, whole */
	g_assert_cmpstr (recipient (r, 0)->final_recipient, ==, "user0@example.org");
	ReportRecipient *last = recipient (r, NS_MAX_DSN_RECIPIENTS - 1);
	g_assert_cmpstr (last->final_recipient, ==, "user255@example.org");
	g_assert_cmpstr (last->status, ==, "5.1.1");
	g_assert_cmpstr (last->action, ==, "failed");
}

/* Groups past the limit are counted whether or not they carry a
 * Final-Recipient: below the limit such a group is a recipient too. */
static void
test_max_recipients_without_final_recipient (void)
{
	g_autoptr (GString) s = g_string_new ("Reporting-MTA: dns; mx.example.net\n");
	for (guint i = 0; i < 300; i++)
		g_string_append_printf (s, "\nAction: failed\nStatus: 5.1.%u\n", i % 10);
	g_autoptr (Report) r = report_parse (s->str, s->len);

	g_assert_nonnull (r);
	g_assert_cmpuint (r->recipients->len, ==, NS_MAX_DSN_RECIPIENTS);
	g_assert_cmpuint (r->recipients_dropped, ==, 300 - NS_MAX_DSN_RECIPIENTS);
}

/* At the limit, a second Final-Recipient in one group counts as dropped
 * and the fields after it do not land in the last kept recipient. */
static void
test_max_recipients_one_group (void)
{
	g_autoptr (GString) s = g_string_new (NULL);
	for (guint i = 0; i < NS_MAX_DSN_RECIPIENTS + 3; i++)
		g_string_append_printf (s, "Final-Recipient: rfc822; user%u@example.org\n"
		                           "Status: 5.1.%u\n", i, i % 10);
	g_autoptr (Report) r = report_parse (s->str, s->len);

	g_assert_nonnull (r);
	g_assert_cmpuint (r->recipients->len, ==, NS_MAX_DSN_RECIPIENTS);
	g_assert_cmpuint (r->recipients_dropped, ==, 3);
	ReportRecipient *last = recipient (r, NS_MAX_DSN_RECIPIENTS - 1);
	g_assert_cmpstr (last->final_recipient, ==, "user255@example.org");
	g_assert_cmpstr (last->status, ==, "5.1.5");
}

static void
test_long_value_cut (void)
{
	g_autoptr (GString) s = g_string_new ("Final-Recipient: rfc822; bob@example.org\n"
	                                      "Diagnostic-Code: smtp; 550 ");
	for (guint i = 0; i < 3 * NS_MAX_HEADER_VALUE; i++)
		g_string_append_c (s, 'a' + i % 26);
	/* and a folded continuation that is just as long */
	g_string_append (s, "\n ");
	for (guint i = 0; i < 2 * NS_MAX_HEADER_VALUE; i++)
		g_string_append_c (s, 'z');
	g_string_append (s, "\nStatus: 5.0.0\n");
	g_autoptr (Report) r = report_parse (s->str, s->len);

	g_assert_nonnull (r);
	ReportRecipient *a = recipient (r, 0);
	g_assert_nonnull (a->diagnostic);
	g_assert_cmpuint (strlen (a->diagnostic), <=, NS_MAX_HEADER_VALUE);
	/* cut, not dropped: it still starts as it did */
	g_assert_true (g_str_has_prefix (a->diagnostic, "550 abcdefghij"));
	g_assert_cmpuint (strlen (a->diagnostic), >=, NS_MAX_HEADER_VALUE - 16);
	/* the field after it is not swallowed */
	g_assert_cmpstr (a->status, ==, "5.0.0");
}

/* A cut that falls inside a multi-byte UTF-8 character must not yield a
 * value longer than the limit (nor invalid UTF-8). */
static void
test_long_value_cut_utf8 (void)
{
	g_autoptr (GString) s = g_string_new ("Final-Recipient: rfc822; bob@example.org\n"
	                                      "Diagnostic-Code: ");
	/* the value as stored before the cut starts with one space */
	for (guint i = 0; i < NS_MAX_HEADER_VALUE - 2; i++)
		g_string_append_c (s, 'x');
	for (guint i = 0; i < 100; i++)
		g_string_append (s, "\xc3\xbc"); /* ü */
	g_string_append_c (s, '\n');
	g_autoptr (Report) r = report_parse (s->str, s->len);

	g_assert_nonnull (r);
	const char *d = recipient (r, 0)->diagnostic;
	g_assert_nonnull (d);
	g_assert_true (g_utf8_validate (d, -1, NULL));
	g_assert_cmpuint (strlen (d), <=, NS_MAX_HEADER_VALUE);
}

static void
test_utf8_address (void)
{
	g_autoptr (Report) r = parse ("Reporting-MTA: dns; mx.example.net\n"
	                              "\n"
	                              "Original-Recipient: utf-8; \xc3\xbc@example\n"
	                              "Final-Recipient: utf-8; \xc3\xbc@example\n"
	                              "Action: failed\n"
	                              "Status: 5.1.1\n");
	g_assert_nonnull (r);
	ReportRecipient *a = recipient (r, 0);
	g_assert_cmpstr (a->final_recipient, ==, "\xc3\xbc@example");
	g_assert_cmpstr (a->original_recipient, ==, "\xc3\xbc@example");
	g_assert_true (g_utf8_validate (a->final_recipient, -1, NULL));
}

static void
test_max_bytes (void)
{
	g_autoptr (GString) s = g_string_new ("Reporting-MTA: dns; mx.example.net\n"
	                                      "\n"
	                                      "Final-Recipient: rfc822; before@example.org\n"
	                                      "Action: failed\n");
	while (s->len < NS_MAX_DSN_BYTES - 100)
		g_string_append (s, "X-Filler: 0123456789012345678901234567890123456789\n");
	/* fields wholly before the limit are read ... */
	g_string_append (s, "Status: 5.1.1\n\n");
	g_assert_cmpuint (s->len, <, NS_MAX_DSN_BYTES);
	while (s->len < NS_MAX_DSN_BYTES + 10)
		g_string_append (s, "X-Filler: 0123456789\n");
	/* ... and those after it are not */
	g_string_append (s, "Arrival-Date: too late\n"
	                    "\n"
	                    "Final-Recipient: rfc822; after@example.org\n"
	                    "Action: delayed\n");
	g_autoptr (Report) r = report_parse (s->str, s->len);

	g_assert_nonnull (r);
	g_assert_cmpstr (r->reporting_mta, ==, "mx.example.net");
	g_assert_null (r->arrival_date);
	g_assert_cmpuint (r->recipients->len, ==, 1);
	g_assert_cmpstr (recipient (r, 0)->final_recipient, ==, "before@example.org");
	g_assert_cmpstr (recipient (r, 0)->status, ==, "5.1.1");
}

/* A report that only starts past the limit is no report. */
static void
test_max_bytes_nothing_before (void)
{
	g_autoptr (GString) s = g_string_new (NULL);
	while (s->len < NS_MAX_DSN_BYTES + 1)
		g_string_append (s, "X-Filler: 0123456789\n");
	g_string_append (s, "\nFinal-Recipient: rfc822; after@example.org\nStatus: 5.1.1\n");
	g_assert_null (report_parse (s->str, s->len));
}

static void
test_control_chars (void)
{
	static const char text[] =
		"Reporting-MTA: dns; mx\x01.example\x1b[31m.net\n"
		"Arrival-Date: Tue,\x0b 14 May\x0c 2024\x7f\n"
		"Original-Envelope-Id: id\x08\x07x\n"
		"\n"
		"Final-Recipient: rfc822; bob\x1f@example.org\n"
		"Action: fail\x05" "ed\n"
		"Status: 5.\t1.1\n"
		"Remote-MTA: dns; mx\x02.example.org\n"
		"Diagnostic-Code: smtp; 550\x1b]0;pwned\x07 user unknown\n"
		"  and\x10 more\n"
		"Last-Attempt-Date: \x03today\n";
	g_autoptr (Report) r = report_parse (text, sizeof text - 1);

	g_assert_nonnull (r);
	assert_report_clean (r);
	/* the values are still there, only the bytes replaced */
	g_assert_nonnull (r->reporting_mta);
	g_assert_true (g_str_has_prefix (r->reporting_mta, "mx"));
	g_assert_nonnull (strstr (r->reporting_mta, "example"));
	ReportRecipient *a = recipient (r, 0);
	g_assert_nonnull (a->diagnostic);
	g_assert_nonnull (strstr (a->diagnostic, "user unknown"));
	g_assert_nonnull (strstr (a->diagnostic, "more"));
	g_assert_nonnull (a->last_attempt_date);
	g_assert_nonnull (strstr (a->last_attempt_date, "today"));
}

/* A NUL byte inside the text must neither end the parse early nor leave
 * a control byte in a value. */
static void
test_nul_bytes (void)
{
	static const char text[] =
		"Reporting-MTA: dns; mx.example.net\n"
		"\n"
		"Final-Recipient: rfc822; bob@example.org\n"
		"Diagnostic-Code: smtp; 550\0\x01 hidden\n"
		"Status: 5.1.1\n";
	g_autoptr (Report) r = report_parse (text, sizeof text - 1);

	g_assert_nonnull (r);
	assert_report_clean (r);
	g_assert_cmpstr (recipient (r, 0)->final_recipient, ==, "bob@example.org");
	g_assert_cmpstr (recipient (r, 0)->status, ==, "5.1.1");
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/report/standard", test_standard);
	g_test_add_func ("/report/typed-fields-untyped", test_typed_fields_untyped);
	g_test_add_func ("/report/folded-diagnostic-joined", test_folded_diagnostic);
	g_test_add_func ("/report/crlf-same-as-lf", test_crlf);
	g_test_add_func ("/report/cr-only-same-as-lf", test_cr_only);
	g_test_add_func ("/report/action-lowercased", test_action_lowercase);
	g_test_add_func ("/report/field-names-caseless", test_field_names_caseless);
	g_test_add_func ("/report/one-group-one-recipient", test_one_group);
	g_test_add_func ("/report/two-final-recipients-one-group", test_two_final_recipients_one_group);
	g_test_add_func ("/report/group-without-final-recipient", test_group_without_final_recipient);
	g_test_add_func ("/report/missing-then-present-final-recipient",
	                 test_missing_then_present_final_recipient);
	g_test_add_func ("/report/first-occurrence-wins", test_first_occurrence_wins);
	g_test_add_func ("/report/no-known-fields-null", test_no_known_fields);
	g_test_add_func ("/report/null-text-null", test_null_text);
	g_test_add_func ("/report/empty-text-null", test_empty_text);
	g_test_add_func ("/report/len-honoured", test_len_honoured);
	g_test_add_func ("/report/limit/max-recipients", test_max_recipients);
	g_test_add_func ("/report/limit/max-recipients-one-group", test_max_recipients_one_group);
	g_test_add_func ("/report/limit/max-recipients-without-final-recipient",
	                 test_max_recipients_without_final_recipient);
	g_test_add_func ("/report/limit/long-value-cut", test_long_value_cut);
	g_test_add_func ("/report/limit/long-value-cut-inside-utf8", test_long_value_cut_utf8);
	g_test_add_func ("/report/utf8-address-kept", test_utf8_address);
	g_test_add_func ("/report/limit/max-bytes-later-fields-ignored", test_max_bytes);
	g_test_add_func ("/report/limit/max-bytes-nothing-before", test_max_bytes_nothing_before);
	g_test_add_func ("/report/hostile/control-chars-replaced", test_control_chars);
	g_test_add_func ("/report/hostile/nul-bytes", test_nul_bytes);

	return g_test_run ();
}
