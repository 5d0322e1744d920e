/* Unit tests of the bounce module: kinds, where originals are found, line
 * endings, and the bounds of limits.h. Messages are built in the tests. */
#include <gmime/gmime.h>
#include <string.h>

#include "ndrsift/bounce.h"
#include "ndrsift/limits.h"
#include "ndrsift/received.h"
#include "textbounce.h"

static TextbounceFormats *formats;

static Bounce *
parse (const char *text)
{
	return bounce_parse (formats, text, strlen (text));
}

/* Both parses (mimesplit's and GMime's tree) give the same facts. */
static Bounce *
parse_both (const char *text)
{
	Bounce *b = parse (text);
	g_autoptr (Bounce) ref = bounce_parse_reference (formats, text, strlen (text));
	g_autofree char *diff = bounce_diff (b, ref);
	g_assert_null (diff);
	return b;
}

/* Replaces every "\n" by eol. */
static char *
with_eol (const char *text, const char *eol)
{
	g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
	return g_strjoinv (eol, lines);
}

static gboolean
notes_mention (const Bounce *b, const char *word)
{
	for (guint i = 0; i < b->notes->len; i++)
		if (strstr (g_ptr_array_index (b->notes, i), word))
			return TRUE;
	return FALSE;
}

static const char dsn[] =
	"Received: from mx.remote.example (mx.remote.example [198.51.100.7])\n"
	"\tby mx1.example.com (Postfix) with ESMTP id 4Zq1\n"
	"\tfor <alice@example.com>; Fri, 27 Nov 2026 10:00:09 +0000 (UTC)\n"
	"From: MAILER-DAEMON@mx.remote.example (Mail Delivery System)\n"
	"To: alice@example.com\n"
	"Date: Fri, 27 Nov 2026 10:00:08 +0000\n"
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
	"Arrival-Date: Fri, 27 Nov 2026 10:00:02 +0000 (UTC)\n"
	"\n"
	"Final-Recipient: rfc822; dave@remote.example\n"
	"Action: failed\n"
	"Status: 5.1.1\n"
	"Diagnostic-Code: smtp; 550 5.1.1 <dave@remote.example>: Recipient address\n"
	"    rejected: User unknown\n"
	"--B1\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"Received: from laptop.example.com (laptop.example.com [192.0.2.55])\n"
	"\tby out.example.com (Postfix) with ESMTPSA id 4Xb2\n"
	"\tfor <dave@remote.example>; Fri, 27 Nov 2026 10:00:01 +0000 (UTC)\n"
	"Message-ID: <20261127100001.4Xb2@example.com>\n"
	"From: Alice <alice@example.com>\n"
	"To: dave@remote.example\n"
	"Subject: =?utf-8?q?caf=C3=A9?=\n"
	"DKIM-Signature: v=1; a=rsa-sha256; d=Example.COM; s=s1; b=abc\n"
	"\n"
	"Hello.\n"
	"--B1--\n";

static void
check_dsn (const Bounce *b)
{
	g_assert_cmpint (b->kind, ==, BOUNCE_KIND_DSN);
	g_assert_nonnull (b->report);
	g_assert_cmpstr (b->report->reporting_mta, ==, "mx.remote.example");
	g_assert_cmpuint (b->report->recipients->len, ==, 1);
	ReportRecipient *r = g_ptr_array_index (b->report->recipients, 0);
	g_assert_cmpstr (r->final_recipient, ==, "dave@remote.example");
	g_assert_cmpstr (r->diagnostic, ==, "550 5.1.1 <dave@remote.example>: Recipient address rejected: User unknown");
	g_assert_nonnull (b->original);
	g_assert_false (b->original->inline_quote);
	g_assert_cmpstr (b->original->message_id, ==, "<20261127100001.4Xb2@example.com>");
	g_assert_cmpstr (b->original->subject, ==, "café");
	g_assert_cmpuint (b->original->received->len, ==, 1);
	ReceivedHop *hop = g_ptr_array_index (b->original->received, 0);
	g_assert_cmpstr (hop->from_ip, ==, "192.0.2.55");
	g_assert_cmpuint (b->original->dkim_domains->len, ==, 1);
	g_assert_cmpstr (g_ptr_array_index (b->original->dkim_domains, 0), ==, "example.com");
	g_assert_cmpstr (b->arrival_date, ==, "Fri, 27 Nov 2026 10:00:09 +0000 (UTC)");
	g_assert_cmpint (b->arrival_time, ==, 1795773609);
}

static void
test_dsn_structured (void)
{
	g_autoptr (Bounce) b = parse (dsn);
	check_dsn (b);
	g_assert_cmpstr (b->original->where, ==, "MIME part 3 (message/rfc822)");
	g_assert_cmpuint (b->notes->len, ==, 0);
}

/* The reporting MTA, set by the parser: the report's Reporting-MTA
 * (lower-cased), else the sending host of the topmost Received line;
 * none for a message that is no bounce. */
static void
test_reporting_mta (void)
{
	/* (g_string_replace needs GLib 2.68) */
	g_auto (GStrv) parts = g_strsplit (dsn, "Reporting-MTA: dns; mx.remote.example\n", 2);
	g_assert_nonnull (parts[1]);
	g_autofree char *upper = g_strjoin ("Reporting-MTA: dns; MX.Report.EXAMPLE\n", parts[0], parts[1], NULL);
	g_autoptr (Bounce) a = parse (upper);
	g_assert_cmpstr (a->reporting_mta, ==, "mx.report.example");

	g_autofree char *none = g_strconcat (parts[0], parts[1], NULL);
	g_autoptr (Bounce) b = parse (none);
	g_assert_cmpint (b->kind, ==, BOUNCE_KIND_DSN);
	g_assert_cmpstr (b->reporting_mta, ==, "mx.remote.example"); /* the Received line's rDNS */

	g_autoptr (Bounce) c = parse ("Received: from mx.remote.example (mx.remote.example [198.51.100.7])\n"
	                              "\tby mx1.example.com; Fri, 27 Nov 2026 10:00:09 +0000\n"
	                              "From: bob@remote.example\nSubject: lunch?\n\nTomorrow?\n");
	g_assert_cmpint (c->kind, ==, BOUNCE_KIND_NONE);
	g_assert_null (c->reporting_mta);
}

static void
test_line_endings (void)
{
	g_autofree char *crlf = with_eol (dsn, "\r\n");
	g_autofree char *cr = with_eol (dsn, "\r");
	g_autoptr (Bounce) a = parse (crlf);
	g_autoptr (Bounce) b = parse (cr);
	check_dsn (a);
	check_dsn (b);
}

static void
test_mbox_from_line (void)
{
	g_autofree char *text = g_strconcat ("From MAILER-DAEMON Fri Nov 27 10:00:09 2026\n", dsn, NULL);
	g_autoptr (Bounce) b = parse (text);
	check_dsn (b);
	g_assert_null (headers_get (b->headers, "From "));
}

static void
test_base64_message_part (void)
{
	const char *inner = "Message-ID: <b64@example.com>\nFrom: alice@example.com\n\nbody\n";
	g_autofree char *b64 = g_base64_encode ((const guchar *) inner, strlen (inner));
	g_autofree char *text = g_strdup_printf (
		"From: postmaster@remote.example\nSubject: x\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=Z\n\n"
		"--Z\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; r.example\n\n"
		"Final-Recipient: rfc822; x@r.example\nAction: failed\nStatus: 5.0.0\n"
		"--Z\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n%s\n--Z--\n", b64);
	g_autoptr (Bounce) b = parse (text);
	g_assert_nonnull (b->original);
	g_assert_cmpstr (b->original->message_id, ==, "<b64@example.com>");
}

static void
test_headers_parts (void)
{
	/* RFC 6522's and RFC 6532's types, and the spellings bouncers use
	 * instead (MAILsweeper's message/rfc822-headers, ...). */
	static const char *const types[] = { "text/rfc822-headers", "message/global-headers",
	                                     "text/rfc822-header", "message/rfc822-headers",
	                                     "Message/RFC822-Headers", "message/rfc822-header",
	                                     "text/rfc822", "message/rfc2822", NULL };
	for (guint i = 0; types[i]; i++) {
		g_autofree char *text = g_strdup_printf (
			"From: postmaster@remote.example\n"
			"Content-Type: multipart/report; report-type=delivery-status; boundary=Z\n\n"
			"--Z\nContent-Type: text/plain\n\nfailed\n"
			"--Z\nContent-Type: %s\n\nReceived: from a (a [192.0.2.1]) by b; Fri, 27 Nov 2026 10:00:00 +0000\n"
			"Message-ID: <hdr%u@example.com>\n--Z--\n", types[i], i);
		g_autoptr (Bounce) b = parse_both (text);
		g_autofree char *want = g_strdup_printf ("<hdr%u@example.com>", i);
		g_test_message ("%s", types[i]);
		g_assert_nonnull (b->original);
		g_assert_cmpstr (b->original->message_id, ==, want);
	}

	/* A text/rfc822 part whose every line is indented by one space; a
	 * first line alone indented is read as before. */
	g_autoptr (Bounce) ind = parse_both (
		"From: MAILER-DAEMON@gw.example\nSubject: Delivery failure\n"
		"Content-Type: multipart/mixed; boundary=Z\n\n"
		"--Z\nContent-Type: text/plain\n\n550 5.1.1 User unknown\n"
		"--Z\nContent-Type: text/rfc822\n\n"
		" Received: from out.example.com by gw.example;\n  \tFri, 27 Nov 2026 10:00:01 +0000\n"
		" Message-ID: <indented@example.com>\n From: alice@example.com\n \n Hello\n--Z--\n");
	g_assert_cmpstr (ind->original->message_id, ==, "<indented@example.com>");
	g_assert_cmpstr (ind->original->from, ==, "alice@example.com");
	g_assert_cmpuint (ind->original->received->len, ==, 1);
	g_autoptr (Bounce) first = parse_both (
		"From: MAILER-DAEMON@gw.example\nSubject: Delivery failure\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=Z\n\n"
		"--Z\nContent-Type: text/rfc822-headers\n\n"
		"   Message-ID: <first-indented@example.com>\nFrom: alice@example.com\n--Z--\n");
	g_assert_cmpstr (first->original->message_id, ==, "<first-indented@example.com>");
}

/* A bounce cut before its header (no From, no Subject, no header at all):
 * its text is the body, recognised by its wording, with the original
 * after the separator. */
static void
test_truncated_bounce (void)
{
	static const char body[] =
		"This is the mail system at host mx.remote.example.\n\n"
		"<dave@remote.example>: host mx.remote.example said: 550 5.1.1 User unknown\n\n"
		"--- Original message headers ---\n"
		"Received: from out.example.com by mx.remote.example; Fri, 27 Nov 2026 10:00:01 +0000\n"
		"Message-ID: <truncated@example.com>\nFrom: alice@example.com\n";
	static const char *const heads[] = {
		"", /* no header at all */
		"Received: by mx.remote.example (Postfix) id 4Zq1; Fri, 27 Nov 2026 10:00:09 +0000\n"
		"To: alice@example.com\n\n", /* no From, no Subject */
		"\tfor <alice@example.com>; Fri, 27 Nov 2026 10:00:09 +0000 (UTC)\nTo: alice@example.com\n\n",
	};
	for (guint i = 0; i < G_N_ELEMENTS (heads); i++) {
		g_autofree char *text = g_strconcat (heads[i], body, NULL);
		g_autoptr (Bounce) b = parse_both (text);
		g_assert_cmpint (b->kind, ==, BOUNCE_KIND_NDR);
		g_assert_cmpstr (b->original->message_id, ==, "<truncated@example.com>");
	}
}

/* A message/rfc822 part whose own header has an unterminated parameter
 * (subject=" and a line break): its header ends there, and the rest of it
 * comes first in the content, before the original's header. */
static void
test_part_header_ended_early (void)
{
	static const char *const encodings[] = { "", "Content-Transfer-Encoding: 7bit\n" };
	for (guint i = 0; i < G_N_ELEMENTS (encodings); i++) {
		g_autofree char *text = g_strdup_printf (
			"From: MAILER-DAEMON@gw.example\nSubject: Delivery failure\n"
			"Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n"
			"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; gw.example\n\n"
			"Final-Recipient: rfc822; dave@remote.example\nAction: failed\nStatus: 5.1.1\n"
			"--B\nContent-Type: message/rfc822; subject=\"\n%s\n"
			"Content-Transfer-Encoding: 7bit\nContent-Disposition: attachment; filename=\"x.eml\"\n\n"
			"Received: from out.example.com by gw.example; Fri, 27 Nov 2026 10:00:01 +0000\n"
			"Message-ID: <unterminated@example.com>\nFrom: alice@example.com\n\nHello\n--B--\n",
			encodings[i]);
		g_autoptr (Bounce) b = parse_both (text);
		g_assert_cmpstr (b->original->message_id, ==, "<unterminated@example.com>");
		g_assert_cmpuint (b->original->received->len, ==, 1);
	}
}

static void
test_global_report (void)
{
	g_autoptr (Bounce) b = parse (
		"From: postmaster@remote.example\n"
		"Content-Type: multipart/report; report-type=global-delivery-status; boundary=Z\n\n"
		"--Z\nContent-Type: message/global-delivery-status\n\nReporting-MTA: dns; r.example\n\n"
		"Final-Recipient: utf-8; dörte@r.example\nAction: failed\nStatus: 5.1.1\n"
		"--Z\nContent-Type: message/global\n\nMessage-ID: <g@example.com>\nSubject: grüße\n\nx\n--Z--\n");
	g_assert_cmpint (b->kind, ==, BOUNCE_KIND_DSN);
	ReportRecipient *r = g_ptr_array_index (b->report->recipients, 0);
	g_assert_cmpstr (r->final_recipient, ==, "dörte@r.example");
	g_assert_cmpstr (b->original->message_id, ==, "<g@example.com>");
	g_assert_cmpstr (b->original->subject, ==, "grüße");
}

static void
test_eml_attachment (void)
{
	const char *inner = "Message-ID: <eml@example.com>\nFrom: alice@example.com\n\nbody\n";
	g_autofree char *b64 = g_base64_encode ((const guchar *) inner, strlen (inner));
	g_autofree char *text = g_strdup_printf (
		"From: MDaemon@remote.example\nSubject: Permanent Delivery Failure\n"
		"Content-Type: multipart/mixed; boundary=Z\n\n"
		"--Z\nContent-Type: text/plain\n\nThe attached message had PERMANENT fatal delivery errors!\n"
		"--Z\nContent-Type: application/octet-stream; name=\"original.eml\"\n"
		"Content-Disposition: attachment; filename=\"original.eml\"\n"
		"Content-Transfer-Encoding: base64\n\n%s\n--Z--\n", b64);
	g_autoptr (Bounce) b = parse (text);
	g_assert_cmpint (b->kind, ==, BOUNCE_KIND_NDR);
	g_assert_cmpstr (b->original->message_id, ==, "<eml@example.com>");
}

/* A report quoted in a report: the original is the message that failed.
 * A report that was only passed on is not it, the message it quotes is;
 * in a bounce of a bounce (the outer report's recipient is the quoted
 * report's recipient) the quoted report is. */
#define INNER_REPORT(to)                                                                      \
	"Message-ID: <inner-bounce@b.example>\nFrom: MAILER-DAEMON@b.example\n" to                \
	"Content-Type: multipart/report; report-type=delivery-status; boundary=I\n\n"            \
	"--I\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; b.example\n\n"        \
	"Final-Recipient: rfc822; y@b.example\nAction: failed\nStatus: 5.1.1\n"                   \
	"--I\nContent-Type: message/rfc822\n\nMessage-ID: <first@example.com>\nTo: y@b.example\n\nx\n--I--\n"

static void
test_bounce_of_bounce (void)
{
	/* A gateway's report that wraps the report it could not pass on. */
	g_autoptr (Bounce) b = parse_both (
		"From: MAILER-DAEMON@a.example\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=O\n\n"
		"--O\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; a.example\n\n"
		"Final-Recipient: rfc822; x@a.example\nAction: failed\nStatus: 5.0.0\n"
		"--O\nContent-Type: message/rfc822\n\n" INNER_REPORT ("To: alice@example.com\n")
		"--O--\n");
	g_assert_cmpstr (b->original->message_id, ==, "<first@example.com>");
	g_assert_cmpstr (b->original->where, ==,
	                 "MIME part 2 (message/rfc822), a quoted dsn report; in it: MIME part 2 (message/rfc822)");
	g_assert_cmpstr (b->report->reporting_mta, ==, "a.example");

	/* A virus scanner's notice that attaches the whole DSN it stopped. */
	g_autoptr (Bounce) v = parse_both (
		"From: scanner@gw.example\nTo: alice@example.com\nSubject: VIRUS (Eicar-Test) IN MAIL TO YOU\n"
		"Content-Type: multipart/mixed; boundary=O\n\n"
		"--O\nContent-Type: text/plain\n\nA virus was found in the message below.\n"
		"--O\nContent-Type: message/rfc822\n\n" INNER_REPORT ("To: alice@example.com\n")
		"--O--\n");
	g_assert_cmpint (v->kind, ==, BOUNCE_KIND_VIRUS);
	g_assert_cmpstr (v->original->message_id, ==, "<first@example.com>");

	/* A double bounce: the quoted report itself failed, to x@a.example. */
	g_autoptr (Bounce) d = parse_both (
		"From: MAILER-DAEMON@a.example\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=O\n\n"
		"--O\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; a.example\n\n"
		"Final-Recipient: rfc822; X@A.example\nAction: failed\nStatus: 5.0.0\n"
		"--O\nContent-Type: message/rfc822\n\n" INNER_REPORT ("To: Someone <x@a.example>\n")
		"--O--\n");
	g_assert_cmpstr (d->original->message_id, ==, "<inner-bounce@b.example>");
	/* Sendmail's "To: postmaster": the local part is compared. */
	g_autoptr (Bounce) e = parse_both (
		"From: MAILER-DAEMON@a.example\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=O\n\n"
		"--O\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; a.example\n\n"
		"Final-Recipient: rfc822; postmaster@a.example\nAction: failed\nStatus: 5.0.0\n"
		"--O\nContent-Type: message/rfc822\n\n" INNER_REPORT ("To: postmaster\n")
		"--O--\n");
	g_assert_cmpstr (e->original->message_id, ==, "<inner-bounce@b.example>");

	/* A report passed on that quotes nothing: no original, never the
	 * report's own id. */
	g_autoptr (Bounce) n = parse_both (
		"From: virus-scanner@gw.example\nSubject: Returned mail: scanner could not deliver\n"
		"Content-Type: multipart/mixed; boundary=O\n\n"
		"--O\nContent-Type: text/plain\n\nThe attached message was not delivered.\n"
		"--O\nContent-Type: message/rfc822\n\n"
		"Message-ID: <inner-bounce@b.example>\nFrom: MAILER-DAEMON@b.example\nTo: alice@example.com\n"
		"Subject: Undelivered Mail Returned to Sender\n\n"
		"This is the mail system at host b.example.\n\nI could not deliver your message.\n"
		"--O--\n");
	g_assert_cmpint (n->kind, ==, BOUNCE_KIND_NDR);
	g_assert_null (n->original);
	g_assert_true (notes_mention (n, "quotes no original"));

	/* Only the header of a quoted report: it is the message that failed
	 * (a bouncer quotes the header of what it bounced). */
	g_autoptr (Bounce) h = parse_both (
		"From: MAILER-DAEMON@a.example\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=O\n\n"
		"--O\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; a.example\n\n"
		"Final-Recipient: rfc822; x@a.example\nAction: failed\nStatus: 5.0.0\n"
		"--O\nContent-Type: text/rfc822-headers\n\n"
		"Message-ID: <inner-bounce@b.example>\nFrom: MAILER-DAEMON@b.example\nTo: y@b.example\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=I\n\n"
		"--O--\n");
	g_assert_cmpstr (h->original->message_id, ==, "<inner-bounce@b.example>");

	/* An original from postmaster with no failure wording is an original. */
	g_autoptr (Bounce) p = parse_both (
		"From: MAILER-DAEMON@a.example\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=O\n\n"
		"--O\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; a.example\n\n"
		"Final-Recipient: rfc822; x@a.example\nAction: failed\nStatus: 5.0.0\n"
		"--O\nContent-Type: message/rfc822\n\n"
		"Message-ID: <test@example.com>\nFrom: postmaster@example.com\nTo: x@a.example\nSubject: test\n\n"
		"This message was created automatically by a person testing.\n--O--\n");
	g_assert_cmpstr (p->original->message_id, ==, "<test@example.com>");
}

/* A bounce re-sent as plain text below a "-----" line (the report whole,
 * MIME structure and all), and a bounce forwarded with "> " quoting: the
 * original is the one the quoted report quotes. */
static void
test_bounce_passed_on_as_text (void)
{
	g_autoptr (Bounce) a = parse_both (
		"From: MAILER-DAEMON@isp.example\nTo: alice@example.com\n"
		"Subject: Undelivered Mail Returned to Sender\nContent-Type: text/plain\n\n"
		"I'm sorry to have to inform you that the message returned\n"
		"below could not be delivered to one or more destinations.\n\n"
		"---------------------------------\n"
		"From MAILER-DAEMON  Fri Nov 27 10:00:09 2026\n"
		"Return-Path: <>\n"
		"Received: by relay.isp.example (Postfix) id 3A; Fri, 27 Nov 2026 10:00:09 +0000\n"
		"From: MAILER-DAEMON@relay.isp.example (Mail Delivery System)\n"
		"Subject: Undelivered Mail Returned to Sender\nTo: admin@isp.example\n"
		"Content-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"R1/relay\"\n"
		"Message-Id: <relay-report@relay.isp.example>\n\n"
		"--R1/relay\nContent-Type: text/plain\n\nThis is the mail system at host relay.isp.example.\n\n"
		"--R1/relay\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.isp.example\n\n"
		"Final-Recipient: rfc822; dave@remote.example\nAction: failed\nStatus: 4.0.0\n\n"
		"--R1/relay\nContent-Type: message/rfc822\n\n"
		"Received: from out.example.com by relay.isp.example; Fri, 27 Nov 2026 10:00:01 +0000\n"
		"From: alice@example.com\nTo: dave@remote.example\n"
		"Message-ID: <failed-1@example.com>\nSubject: hello\n\nHello\n\n"
		"--R1/relay--\n");
	g_assert_cmpstr (a->original->message_id, ==, "<failed-1@example.com>");
	g_assert_true (a->original->inline_quote == FALSE); /* a part of the quoted report */
	g_assert_nonnull (strstr (a->original->where, "a quoted dsn report; in it: MIME part 3 (message/rfc822)"));

	g_autoptr (Bounce) f = parse_both (
		"From: Alice <alice@example.com>\nTo: bob@example.com\n"
		"Subject: Fwd: Returned mail: see transcript for details\n\n"
		"Forwarding this.\n\nBegin forwarded message:\n\n"
		"> From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.com>\n"
		"> Date: Fri, 27 Nov 2026 10:00:09 +0000\n"
		"> To: <alice@example.com>\n"
		"> Subject: Returned mail: see transcript for details\n"
		"> Message-Id: <202611271000.fwd@mx.example.com>\n"
		">\n"
		"> The original message was received at Fri, 27 Nov 2026 10:00:01 +0000\n"
		">\n"
		">    ----- Transcript of session follows -----\n"
		">>>> DATA\n"
		"> <<< 550 5.1.1 <dave@remote.example>... User unknown\n"
		">\n"
		">    ----- Original message follows -----\n"
		">\n"
		"> Return-Path: <alice@example.com>\n"
		"> Received: from laptop by mx.example.com; Fri, 27 Nov 2026 10:00:01 +0000\n"
		"> Message-Id: <failed-2@example.com>\n"
		"> From: Alice <alice@example.com>\n"
		"> To: dave@remote.example\n"
		">\n"
		"> Hi Dave\n");
	g_assert_cmpint (f->kind, ==, BOUNCE_KIND_NDR);
	g_assert_cmpstr (f->original->message_id, ==, "<failed-2@example.com>");
	g_assert_true (f->original->inline_quote);
}

/* The last resort: an unknown MTA's bounce, known to be one by its
 * wording or an SMTP failure reply, quotes the original's header with no
 * separator and no first-header pattern of any family: it is found all
 * the same; not when only the sender's name made it a bounce, not inside
 * forwarded mail, and not when two blocks disagree. */
static void
test_last_resort (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TextbounceFormats) f = textbounce_formats_parse ("t.formats",
		"family unknown ndr\n"
		"body   unknown /^Sorry, your mail could not be delivered/\n"
		"from   unknown /mailer@/\n", &error);
	g_assert_no_error (error);
	static const char quote[] =
		"> Received: from out.example.com by mx.odd.example; Fri, 27 Nov 2026 10:00:01 +0000\n"
		"> Message-ID: <lastresort@example.com>\n> From: alice@example.com\n>\n> Hello\n";
	static const struct { const char *from, *body; gboolean found; } cases[] = {
		{ "postmaster@odd.example", "Sorry, your mail could not be delivered.\n\n", TRUE },
		{ "mailer@odd.example", "Your mail to dave: 550 5.1.1 no such user\n\n", TRUE },
		{ "mailer@odd.example", "Please see below.\n\n", FALSE },
		{ "mailer@odd.example", "Sorry, your mail could not be delivered.\n\n"
		                        "---------- Forwarded message ---------\n", FALSE },
		{ "mailer@odd.example", "Sorry, your mail could not be delivered.\n\n"
		                        "> Message-ID: <other@example.com>\n> Subject: x\n\n", FALSE },
	};
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree char *text = g_strdup_printf ("From: %s\nTo: alice@example.com\nSubject: Notice\n\n%s%s",
		                                         cases[i].from, cases[i].body, quote);
		g_autoptr (Bounce) b = bounce_parse (f, text, strlen (text));
		g_autoptr (Bounce) ref = bounce_parse_reference (f, text, strlen (text));
		g_autofree char *diff = bounce_diff (b, ref);
		g_assert_null (diff);
		g_test_message ("case %u", i);
		if (i == 0)
			g_assert_cmpint (b->kind, ==, BOUNCE_KIND_NDR);
		if (!cases[i].found) {
			g_assert_null (b->original);
			continue;
		}
		g_assert_cmpstr (b->original->message_id, ==, "<lastresort@example.com>");
		g_assert_nonnull (strstr (b->original->where, "a header block found without a pattern"));
	}
}

/* Reports nested past NS_MAX_NESTED_REPORTS, each passed on by the one
 * around it: no original, and a note. */
static void
test_nested_reports_bound (void)
{
	char *m = g_strdup ("Message-ID: <deepest@example.com>\nTo: r@example.org\n\nhello\n");
	for (int i = 0; i <= NS_MAX_NESTED_REPORTS; i++) {
		char *outer = g_strdup_printf (
			"Message-ID: <l%d@example.com>\nFrom: MAILER-DAEMON@l%d.example\nTo: t%d@example.org\n"
			"Content-Type: multipart/report; report-type=delivery-status; boundary=L%d\n\n"
			"--L%d\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; l%d.example\n\n"
			"Final-Recipient: rfc822; r%d@example.net\nAction: failed\nStatus: 5.0.0\n"
			"--L%d\nContent-Type: message/rfc822\n\n%s\n--L%d--\n",
			i, i, i, i, i, i, i, i, m, i);
		g_free (m);
		m = outer;
	}
	g_autoptr (Bounce) b = parse_both (m);
	g_free (m);
	g_assert_null (b->original);
	g_assert_true (notes_mention (b, "NS_MAX_NESTED_REPORTS"));
}

/* A quoted report with a huge To list, under a report of many
 * recipients: the double-bounce check compares a bounded number of
 * addresses (NS_MAX_DSN_RECIPIENTS), so it stays fast. */
static void
test_double_bounce_check_bound (void)
{
	GString *m = g_string_new ("From: MAILER-DAEMON@a.example\n"
	                           "Content-Type: multipart/report; report-type=delivery-status; boundary=O\n\n"
	                           "--O\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; a.example\n");
	for (int i = 0; i < NS_MAX_DSN_RECIPIENTS; i++)
		g_string_append_printf (m, "\nFinal-Recipient: rfc822; r%d@a.example\nAction: failed\nStatus: 5.0.0\n", i);
	g_string_append (m, "--O\nContent-Type: message/rfc822\n\nMessage-ID: <inner@b.example>\n"
	                    "From: MAILER-DAEMON@b.example\n");
	for (int h = 0; h < 100; h++) {
		g_string_append (m, "To: ");
		for (int i = 0; i < 300; i++)
			g_string_append_printf (m, "%sx%d@b.example", i ? ", " : "", i);
		g_string_append_c (m, '\n');
	}
	g_string_append (m, "\nThis is the mail system at host b.example.\n--O--\n");
	g_autoptr (GTimer) t = g_timer_new ();
	g_autoptr (Bounce) b = parse (m->str);
	g_assert_cmpfloat (g_timer_elapsed (t, NULL), <, 5.0);
	g_assert_cmpint (b->kind, ==, BOUNCE_KIND_DSN);
	g_string_free (m, TRUE);
}

/* A double bounce without a report: the text before the quote names the
 * quoted report's recipient as failed, so that report is the message that
 * failed (qmail gives it no Message-ID), not the mail it quotes in turn.
 * Naming another address, the quoted report was only passed on. */
static void
test_double_bounce_in_text (void)
{
	static const char fmt[] =
		"From: MAILER-DAEMON@mx.example.org\nTo: postmaster@mx.example.org\nSubject: failure notice\n\n"
		"Hi. This is the qmail-send program at mx.example.org.\n"
		"I tried to deliver a bounce message to this address, but the bounce bounced!\n\n"
		"<%s>:\n192.0.2.9 does not like recipient.\n\n"
		"--- Below this line is the original bounce.\n\n"
		"Return-Path: <>\nDate: 14 Oct 2025 08:12:00 -0000\nFrom: MAILER-DAEMON@relay.example.net\n"
		"To: mallory@forged.example\nSubject: failure notice\n\n"
		"Hi. This is the qmail-send program at relay.example.net.\n"
		"I'm afraid I wasn't able to deliver your message to the following addresses.\n\n"
		"<frank@relay.example.net>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"
		"--- Below this line is a copy of the message.\n\n"
		"Return-Path: <d.ortiz@example.org>\nMessage-ID: <inner@mail.example.org>\n"
		"From: d.ortiz@example.org\nTo: frank@relay.example.net\nSubject: quote\n\nHello\n";
	g_autofree char *d = g_strdup_printf (fmt, "mallory@forged.example");
	g_autoptr (Bounce) b = parse_both (d);
	g_assert_nonnull (b->original);
	g_assert_null (b->original->message_id);
	g_assert_cmpstr (headers_get (b->original->headers, "To"), ==, "mallory@forged.example");
	g_autofree char *p = g_strdup_printf (fmt, "someone.else@forged.example");
	g_autoptr (Bounce) q = parse_both (p);
	g_assert_cmpstr (q->original->message_id, ==, "<inner@mail.example.org>");
}

/* Blank or white-space-only lines before the header: skipped, so the
 * bounce's own header is never read as its text, nor returned as the
 * quoted original. */
static void
test_leading_blank_lines (void)
{
	static const char head[] =
		"Received: from mx.remote.example (mx.remote.example [198.51.100.7])\n"
		"\tby mx1.example.com (Postfix) with ESMTP id 4Zq1; Fri, 27 Nov 2026 10:00:09 +0000\n"
		"From: MAILER-DAEMON@mx.remote.example (Mail Delivery System)\n"
		"To: alice@example.com\nMessage-ID: <own-1@mx.remote.example>\n"
		"Subject: Undelivered Mail Returned to Sender\n\n"
		"This is the mail system at host mx.remote.example.\n\n"
		"<dave@remote.example>: host mx.remote.example said: 550 5.1.1 User unknown\n";
	static const char *const leads[] = { "\n", "\n\n", " \n\t\n", "\r\n" };
	for (guint i = 0; i < G_N_ELEMENTS (leads); i++) {
		g_autofree char *text = g_strconcat (leads[i], head, NULL);
		g_autoptr (Bounce) b = parse_both (text);
		g_assert_cmpint (b->kind, ==, BOUNCE_KIND_NDR);
		g_assert_cmpstr (headers_get (b->headers, "Message-ID"), ==, "<own-1@mx.remote.example>");
		g_assert_null (b->original);
		g_assert_true (notes_mention (b, "before the header skipped"));
		g_assert_cmpint (b->arrival_time, ==, 1795773609);
	}
	/* What follows the blank lines is no field: the message has no header. */
	g_autoptr (Bounce) c = parse_both ("\nThis is the mail system at host x.\n");
	g_assert_cmpuint (c->headers->fields->len, ==, 0);
	g_assert_false (notes_mention (c, "before the header skipped"));
}

/* The guard where the original is chosen: a candidate that is the
 * bounce's own header block (its Message-ID, From, To, Date and Subject)
 * is never the original; a real quote that shares the Message-ID (as
 * anonymised samples do) is. */
static void
test_own_header_never_original (void)
{
	g_autoptr (Bounce) own = parse_both (
		"From: MAILER-DAEMON@r.example\nTo: alice@example.com\nSubject: failure notice\n"
		"Message-ID: <same@r.example>\nDate: Fri, 27 Nov 2026 10:00:00 +0000\n\n"
		"Hi. This is the qmail-send program at r.example.\n\n"
		"--- Below this line is a copy of the message.\n\n"
		"From: MAILER-DAEMON@r.example\nTo: alice@example.com\nSubject: failure notice\n"
		"Message-ID: <same@r.example>\nDate: Fri, 27 Nov 2026 10:00:00 +0000\n\nx\n");
	g_assert_null (own->original);
	g_assert_true (notes_mention (own, "the bounce's own header"));

	/* A stray line and a blank one before the header: the message has
	 * none of its own, and the block at the top of its text is it. */
	g_autoptr (Bounce) stray = parse_both (
		"stray line\n\nFrom: MAILER-DAEMON@r.example\nTo: alice@example.com\n"
		"Subject: Undelivered Mail Returned to Sender\nMessage-ID: <own-2@r.example>\n\n"
		"This is the mail system at host r.example.\n\n<dave@remote.example>: 550 5.1.1 User unknown\n");
	g_assert_cmpint (stray->kind, ==, BOUNCE_KIND_NDR);
	g_assert_null (stray->original);

	g_autoptr (Bounce) real = parse_both (
		"From: MAILER-DAEMON@r.example\nTo: alice@example.com\nSubject: failure notice\n"
		"Message-ID: <same@r.example>\nDate: Fri, 27 Nov 2026 10:00:00 +0000\n\n"
		"Hi. This is the qmail-send program at r.example.\n\n"
		"--- Below this line is a copy of the message.\n\n"
		"From: alice@example.com\nTo: dave@remote.example\nSubject: hello\n"
		"Message-ID: <same@r.example>\nDate: Fri, 27 Nov 2026 10:00:00 +0000\n\nx\n");
	g_assert_cmpstr (real->original->message_id, ==, "<same@r.example>");
}

static void
test_not_a_bounce (void)
{
	g_autoptr (Bounce) b = parse (
		"From: carol@example.com\nSubject: the mail I told you about\n"
		"Content-Type: multipart/mixed; boundary=Z\n\n"
		"--Z\nContent-Type: text/plain\n\nSee attached.\n"
		"--Z\nContent-Type: message/rfc822\n\nMessage-ID: <fwd@example.org>\n\nx\n--Z--\n");
	g_assert_cmpint (b->kind, ==, BOUNCE_KIND_NONE);
	g_assert_null (b->original); /* a forwarded mail is not an original */
}

static void
test_inline_qmail (void)
{
	g_autoptr (Bounce) b = parse (
		"From: MAILER-DAEMON@mx.remote.example\nSubject: failure notice\n\n"
		"Hi. This is the qmail-send program at mx.remote.example.\n"
		"I'm afraid I wasn't able to deliver your message to the following addresses.\n\n"
		"<dave@remote.example>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"
		"--- Below this line is a copy of the message.\n\n"
		"Return-Path: <alice@example.com>\n"
		"Received: (qmail 1234 invoked from network); 27 Nov 2026 10:00:02 -0000\n"
		"Message-ID: <q1@example.com>\nFrom: alice@example.com\n\nHi Dave\n");
	g_assert_cmpint (b->kind, ==, BOUNCE_KIND_NDR);
	g_assert_cmpstr (b->family, ==, "qmail");
	g_assert_true (b->original->inline_quote);
	g_assert_cmpstr (b->original->message_id, ==, "<q1@example.com>");
	g_assert_cmpstr (b->original->return_path, ==, "<alice@example.com>");
}

/* GMime's encoder, for building test messages. */
static char *
encode (GMimeContentEncoding encoding, const char *text)
{
	GMimeEncoding state;
	g_mime_encoding_init_encode (&state, encoding);
	gsize len = strlen (text);
	char *out = g_malloc (g_mime_encoding_outlen (&state, len) + 1);
	gsize n = g_mime_encoding_flush (&state, text, len, out);
	out[n] = '\0';
	return out;
}

/* A bounce that is one text/plain part is read without GMime's tree
 * (mimesplit); bounce_parse_reference reads the same message through
 * GMime. Both must give the same text and the same facts, in every
 * transfer encoding. */
static void
test_plain_text_paths (void)
{
	static const char body[] =
		"Hi. This is the qmail-send program at mx.remote.example.\r\n"
		"<dave@remote.example>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
		"--- Below this line is a copy of the message.\r\n\r\n"
		"Received: from a (a [192.0.2.1]) by mx1.example.com; 27 Nov 2026 10:00:02 -0000\r\n"
		"Message-ID: <plain@example.com>\r\nSubject: caf\xc3\xa9 = 100%\r\n\r\nHi Dave\r\n";
	static const struct {
		const char *name;
		GMimeContentEncoding encoding;
	} encodings[] = {
		{ NULL, GMIME_CONTENT_ENCODING_DEFAULT },
		{ "8bit", GMIME_CONTENT_ENCODING_8BIT },
		{ "base64", GMIME_CONTENT_ENCODING_BASE64 },
		{ "Quoted-Printable", GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE },
	};
	for (guint i = 0; i < G_N_ELEMENTS (encodings); i++) {
		g_autofree char *encoded = encodings[i].name ? encode (encodings[i].encoding, body) : g_strdup (body);
		g_autofree char *cte = encodings[i].name
			? g_strdup_printf ("Content-Transfer-Encoding: %s\n", encodings[i].name) : g_strdup ("");
		g_autofree char *direct = g_strdup_printf (
			"From: MAILER-DAEMON@mx.remote.example\nSubject: failure notice\n"
			"Content-Type: text/plain; charset=utf-8\n%s\n%s", cte, encoded);
		g_autoptr (Bounce) a = parse (direct);
		g_autoptr (Bounce) b = bounce_parse_reference (formats, direct, strlen (direct));
		g_test_message ("encoding %s", encodings[i].name ? encodings[i].name : "(none)");
		g_assert_cmpstr (a->text->str, ==, b->text->str);
		g_assert_null (strchr (a->text->str, '\r'));
		g_assert_cmpint (a->kind, ==, BOUNCE_KIND_NDR);
		g_assert_cmpint (b->kind, ==, BOUNCE_KIND_NDR);
		g_assert_cmpstr (a->original->message_id, ==, "<plain@example.com>");
		g_assert_cmpstr (b->original->message_id, ==, "<plain@example.com>");
		g_assert_cmpstr (a->original->where, ==, b->original->where);
	}
}

/* Broken bouncers: the original's header as a part's own header; a blank
 * line before it in a message/rfc822 part; a boundary that never occurs;
 * the header appended to the delivery-status part. */
static void
test_broken_bouncers (void)
{
	g_autoptr (Bounce) a = parse (
		"From: MAILER-DAEMON@r.example\nSubject: Returned mail: User unknown\n"
		"Content-Type: multipart/mixed; boundary=Z\n\n"
		"--Z\nContent-Type: text/plain\n\nUser unknown\n"
		"--Z\nReceived: from x (x [192.0.2.9]) by r.example; Fri, 27 Nov 2026 10:00:00 +0000\n"
		"Message-ID: <parthdr@example.com>\n\nbody\n--Z--\n");
	g_assert_cmpstr (a->original->message_id, ==, "<parthdr@example.com>");

	g_autoptr (Bounce) b = parse (
		"From: MAILER-DAEMON@r.example\nSubject: Undelivered Mail Returned to Sender\n"
		"Content-Type: multipart/report; boundary=Z\n\n"
		"--Z\nContent-Type: message/rfc822\n\n\n"
		"Message-ID: <blank@example.com>\nFrom: alice@example.com\n\n--Z--\n");
	g_assert_cmpstr (b->original->message_id, ==, "<blank@example.com>");

	g_autoptr (Bounce) c = parse (
		"From: MAILER-DAEMON@r.example\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"declared\"\n\n"
		"--used\nContent-Type: text/plain\n\nfailed\n"
		"--used\nContent-Type: message/rfc822\n\nMessage-ID: <sniffed@example.com>\n\nx\n--used--\n");
	g_assert_cmpstr (c->original->message_id, ==, "<sniffed@example.com>");
	g_assert_true (notes_mention (c, "boundary"));

	g_autoptr (Bounce) d = parse (
		"From: MAILER-DAEMON@r.example\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=Z\n\n"
		"--Z\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; r.example\n\n"
		"Final-Recipient: rfc822; x@r.example\nAction: failed\nStatus: 5.0.0\n\n"
		"Return-Path: <alice@example.com>\nMessage-ID: <indsn@example.com>\nFrom: alice@example.com\n"
		"--Z--\n");
	g_assert_cmpstr (d->original->message_id, ==, "<indsn@example.com>");
	g_assert_nonnull (strstr (d->original->where, "delivery-status"));
}

static void
test_kinds_from_report_type (void)
{
	static const struct { const char *rt, *part; BounceKind kind; } cases[] = {
		{ "disposition-notification", "message/disposition-notification", BOUNCE_KIND_MDN },
		{ "feedback-report", "message/feedback-report", BOUNCE_KIND_FEEDBACK },
		{ "delivery-status", "message/delivery-status", BOUNCE_KIND_DSN },
	};
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree char *text = g_strdup_printf (
			"From: someone@r.example\nContent-Type: multipart/report; report-type=%s; boundary=Z\n\n"
			"--Z\nContent-Type: %s\n\nX: y\n--Z--\n", cases[i].rt, cases[i].part);
		g_autoptr (Bounce) b = parse (text);
		g_assert_cmpint (b->kind, ==, cases[i].kind);
	}
}

/* A disposition notification that reports a rejection (RFC 5429's Sieve
 * reject, Dovecot's mailbox-full rejection: automatic-action and deleted;
 * RFC 3798's denied and failed, its error modifier and Failure field) is a
 * failure, kind ndr; a read receipt, or a deletion by the reader, is mdn. */
static void
test_mdn_rejection (void)
{
	static const struct { const char *fields; BounceKind kind; } cases[] = {
		{ "Disposition: automatic-action/MDN-sent-automatically; deleted\n", BOUNCE_KIND_NDR },
		{ "Disposition: Automatic-Action/MDN-Sent-Automatically;deleted\n", BOUNCE_KIND_NDR },
		{ "Disposition: automatic-action/MDN-sent-automatically; processed/error\n", BOUNCE_KIND_NDR },
		{ "Disposition: automatic-action/MDN-sent-automatically; failed\nFailure: mailbox full\n", BOUNCE_KIND_NDR },
		{ "Disposition: manual-action/MDN-sent-manually; denied\n", BOUNCE_KIND_NDR },
		{ "Disposition: manual-action/MDN-sent-manually; displayed\n", BOUNCE_KIND_MDN },
		{ "Disposition: manual-action/MDN-sent-manually; deleted\n", BOUNCE_KIND_MDN },
		{ "Disposition: automatic-action/MDN-sent-automatically; displayed\n", BOUNCE_KIND_MDN },
	};
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree char *text = g_strdup_printf (
			"From: Mail Delivery Subsystem <MAILER-DAEMON@imap.remote.example>\n"
			"To: alice@example.com\nSubject: Rejected: hello\n"
			"Content-Type: multipart/report; report-type=disposition-notification; boundary=Z\n\n"
			"--Z\nContent-Type: text/plain\n\nYour message to <dave@remote.example> was automatically rejected:\n"
			"Quota exceeded (mailbox for user is full)\n"
			"--Z\nContent-Type: message/disposition-notification\n\n"
			"Reporting-UA: imap.remote.example; Dovecot Mail Delivery Agent\n"
			"Final-Recipient: rfc822; dave@remote.example\n"
			"Original-Message-ID: <rejected@example.com>\n%s"
			"--Z\nContent-Type: message/rfc822\n\nMessage-ID: <rejected@example.com>\nFrom: alice@example.com\n\n"
			"--Z--\n", cases[i].fields);
		g_autoptr (Bounce) b = parse_both (text);
		g_test_message ("%s", cases[i].fields);
		g_assert_cmpint (b->kind, ==, cases[i].kind);
		g_assert_cmpstr (b->original->message_id, ==, "<rejected@example.com>");
		if (cases[i].kind == BOUNCE_KIND_NDR)
			g_assert_nonnull (strstr (b->kind_why, "a rejection"));
	}
}

/* A provider's canned bounce that carries auto-reply headers (and no
 * wording of a known family) is a bounce when its text holds a mail
 * server's failure reply; an auto-reply stays one. */
static void
test_canned_bounce_with_autoreply_headers (void)
{
	g_autoptr (Bounce) b = parse_both (
		"From: Mail Service <noreply@mail.provider.example>\nTo: alice@example.com\n"
		"Subject: Address not found\nAuto-Submitted: auto-replied\nX-Autoreply: yes\n\n"
		"Your message to dave@provider.example could not be sent: the address was not found.\n\n"
		"The response was:\n550 5.1.1 The email account that you tried to reach does not exist.\n\n"
		"----- Original message -----\n\n"
		"Message-ID: <canned@example.com>\nFrom: alice@example.com\nTo: dave@provider.example\n");
	g_assert_cmpint (b->kind, ==, BOUNCE_KIND_NDR);
	g_assert_nonnull (strstr (b->kind_why, "SMTP failure reply"));
	g_assert_cmpstr (b->original->message_id, ==, "<canned@example.com>");

	g_autoptr (Bounce) a = parse_both (
		"From: Dave <dave@provider.example>\nTo: alice@example.com\n"
		"Subject: Out of office\nAuto-Submitted: auto-replied\n\n"
		"I am away until 5.12. Call 555 1234 in urgent cases, or room 550 5.1.\n");
	g_assert_cmpint (a->kind, ==, BOUNCE_KIND_AUTOREPLY);
}

static void
test_arrival_from_date (void)
{
	g_autoptr (Bounce) b = parse ("From: a@b.example\nDate: Fri, 27 Nov 2026 10:00:00 +0000\n\nx\n");
	g_assert_cmpstr (b->arrival_date, ==, "Fri, 27 Nov 2026 10:00:00 +0000");
	g_assert_cmpstr (b->arrival_where, ==, "the bounce's Date header");
	g_assert_cmpint (b->arrival_time, ==, 1795773600);
}

static void
test_empty_and_tiny (void)
{
	static const char *const inputs[] = { "", "\n", "\r", "From ", ":", "\0", NULL };
	for (guint i = 0; inputs[i]; i++) {
		g_autoptr (Bounce) b = parse (inputs[i]);
		g_assert_cmpint (b->kind, ==, BOUNCE_KIND_NONE);
		g_assert_null (b->original);
	}
	g_autoptr (Bounce) n = bounce_parse (formats, NULL, 0);
	g_assert_cmpint (n->kind, ==, BOUNCE_KIND_NONE);
}

/* More Content-Type lines than NS_MAX_CONTENT_TYPES: cut, noted, no crash. */
static void
test_content_type_bound (void)
{
	GString *s = g_string_new ("From: MAILER-DAEMON@r.example\n"
	                           "Content-Type: multipart/report; report-type=delivery-status; boundary=Z\n\n"
	                           "--Z\nContent-Type: message/rfc822\n\nMessage-ID: <deep@example.com>\n");
	for (int i = 0; i < 2000; i++)
		g_string_append (s, "Content-Type: message/rfc822\n\n");
	g_autoptr (Bounce) b = bounce_parse (formats, s->str, s->len);
	g_string_free (s, TRUE);
	g_assert_cmpint (b->kind, ==, BOUNCE_KIND_DSN);
	g_assert_true (notes_mention (b, "NS_MAX_CONTENT_TYPES"));
}

/* headers_parse_message: the fields, and where the body starts. */
static void
test_message_header_end (void)
{
	static const struct {
		const char *text;
		guint fields;
		gsize body;
	} cases[] = {
		{ "A: 1\nB: 2\n\nbody\n", 2, 11 },
		{ "A: 1\n folded\nB: 2\r\n\r\nbody", 2, 21 },
		{ "A: 1\nB: 2\n", 2, 10 },    /* no body: all of it is the header */
		{ "\nbody\n", 0, 1 },          /* no header */
		{ "not a field\nA: 1\n\nb", 1, 18 }, /* the stray line is skipped */
		{ "cut before the header.\nmore text\n\nA: 1\n", 0, 0 }, /* no field: no header */
		{ "text only", 0, 0 },
		{ "", 0, 0 },
	};
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		gsize body = 99;
		g_autoptr (HeaderBlock) h = headers_parse_message (cases[i].text, strlen (cases[i].text), &body);
		g_assert_cmpuint (h->fields->len, ==, cases[i].fields);
		g_assert_cmpuint (body, ==, cases[i].body);
	}
}

/* headers_field_name_len: the one field-name test, strict (the quote
 * finders) and with blanks before the colon (the header reader). */
static void
test_field_name_len (void)
{
	static const struct {
		const char *line;
		gsize strict, blanks;
	} cases[] = {
		{ "Subject: x", 7, 7 },
		{ "Subject:", 7, 7 },
		{ "Subject :x", 0, 7 },
		{ "Subject \t: x", 0, 7 },
		{ "From me@example.com Mon", 0, 0 },   /* an mbox From line */
		{ "prose with: a colon", 0, 0 },
		{ ": no name", 0, 0 },
		{ " Folded: no", 0, 0 },
		{ "X-\x01: control", 0, 0 },
		{ "X-\xc3\xa9: eight bit", 0, 0 },
		{ "Subject", 0, 0 },
		{ "Subject  ", 0, 0 },
		{ "", 0, 0 },
	};
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		gsize n = strlen (cases[i].line);
		g_assert_cmpuint (headers_field_name_len (cases[i].line, n, FALSE), ==, cases[i].strict);
		g_assert_cmpuint (headers_field_name_len (cases[i].line, n, TRUE), ==, cases[i].blanks);
	}
	/* n bounds the look: a colon past it does not count. */
	g_assert_cmpuint (headers_field_name_len ("Subject: x", 7, FALSE), ==, 0);
	g_assert_cmpuint (headers_field_name_len ("Subject : x", 8, TRUE), ==, 0);
}

/* Whether the process has glibc's ISO-2022-JP converter mapped. */
static gboolean
iso2022jp_loaded (void)
{
	g_autofree char *maps = NULL;
	g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
	return strstr (maps, "ISO-2022-JP.so") != NULL;
}

/* An encoded word in a charset that glibc converts with a loadable module
 * keeps that module loaded: GMime opens and closes a converter per word,
 * and glibc unloads a module a few conversions after its last user closed
 * it, so without the pin each such word could cost a dlopen and a
 * dlclose. Here words of other module charsets follow the Japanese one. */
static void
test_charset_stays_loaded (void)
{
	if (!g_file_test ("/proc/self/maps", G_FILE_TEST_EXISTS)) {
		g_test_skip ("no /proc/self/maps");
		return;
	}
	g_autoptr (HeaderBlock) jp = headers_parse_block ("Subject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=\n", 44);
	g_assert_cmpstr (headers_get (jp, "Subject"), ==, "\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88");
	static const char *const others[] = { "ISO-8859-15", "KOI8-R", "ISO-8859-2", "CP1251", "ISO-8859-7" };
	for (guint i = 0; i < 4 * G_N_ELEMENTS (others); i++) {
		g_autofree char *text = g_strdup_printf ("Subject: =?%s?Q?abc?=\n", others[i % G_N_ELEMENTS (others)]);
		g_autoptr (HeaderBlock) h = headers_parse_block (text, strlen (text));
		g_assert_cmpstr (headers_get (h, "Subject"), ==, "abc");
	}
	g_assert_true (iso2022jp_loaded ());
}

/* An encoded word cut off after its charset, at the very end of a value:
 * the charset scan stops at the end (ASan sees any read past it). Values
 * of every length, so that one ends exactly where its buffer does. */
static void
test_charset_at_end (void)
{
	for (guint n = 1; n < 300; n++) {
		g_autofree char *pad = g_strnfill (n, 'x');
		g_autofree char *text = g_strdup_printf ("Subject: %s =?utf-8\n", pad);
		g_autoptr (HeaderBlock) h = headers_parse_block (text, strlen (text));
		const char *subject = headers_get (h, "Subject");
		g_assert_nonnull (subject);
		g_assert_true (g_str_has_suffix (subject, "=?utf-8"));
	}
}

/* GMime reads only the Content-* fields of the bounce's own header: those
 * past NS_MAX_HEADERS fields still shape the MIME tree, and a first line
 * that is not a field does not make the message unreadable. */
static void
test_mime_fields_of_top_header (void)
{
	static const char report[] =
		"Content-Type: multipart/report; report-type=delivery-status;\n"
		"\tboundary=\"Z\"\n"
		"Subject: failure\n\n"
		"--Z\nContent-Type: message/delivery-status\n\n"
		"Reporting-MTA: dns; r.example\n\nFinal-Recipient: rfc822; x@r.example\nAction: failed\nStatus: 5.1.1\n"
		"--Z\nContent-Type: message/rfc822\n\nMessage-ID: <o@example.com>\n\nbody\n--Z--\n";
	GString *s = g_string_new (NULL);
	for (int i = 0; i < NS_MAX_HEADERS + 10; i++)
		g_string_append_printf (s, "X-Filler-%d: %d\n", i, i);
	g_string_append (s, report);
	g_autoptr (Bounce) past = bounce_parse (formats, s->str, s->len);
	g_string_free (s, TRUE);
	g_assert_cmpint (past->kind, ==, BOUNCE_KIND_DSN);
	g_assert_nonnull (past->original);
	g_assert_cmpstr (past->original->message_id, ==, "<o@example.com>");
	g_assert_true (notes_mention (past, "not kept"));
	g_assert_null (headers_get (past->headers, "Subject")); /* past the bound */

	g_autofree char *stray = g_strconcat ("this line is no field\n", report, NULL);
	g_autoptr (Bounce) b = parse (stray);
	g_assert_cmpint (b->kind, ==, BOUNCE_KIND_DSN);
	g_assert_cmpstr (headers_get (b->headers, "Subject"), ==, "failure");
	g_assert_cmpstr (b->original->message_id, ==, "<o@example.com>");
}

static void
test_depth_bound (void)
{
	GString *s = g_string_new ("From: MAILER-DAEMON@r.example\n");
	for (int i = 0; i < NS_MAX_MIME_DEPTH + 10; i++)
		g_string_append_printf (s, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i);
	g_string_append (s, "Content-Type: message/rfc822\n\nMessage-ID: <bottom@example.com>\n\nx\n");
	g_autoptr (Bounce) b = bounce_parse (formats, s->str, s->len);
	g_string_free (s, TRUE);
	g_assert_true (notes_mention (b, "deeper"));
	g_assert_null (b->original); /* it lies below the bound */
}

static void
test_received_bound (void)
{
	GString *s = g_string_new ("From: MAILER-DAEMON@r.example\n"
	                           "Content-Type: multipart/report; report-type=delivery-status; boundary=Z\n\n"
	                           "--Z\nContent-Type: message/rfc822\n\n");
	for (int i = 0; i < 1000; i++)
		g_string_append_printf (s, "Received: from h%d (h%d [192.0.2.%d]) by x; Fri, 27 Nov 2026 10:00:00 +0000\n",
		                        i, i, i % 250);
	g_string_append (s, "Message-ID: <many@example.com>\n\nx\n--Z--\n");
	g_autoptr (Bounce) b = bounce_parse (formats, s->str, s->len);
	g_string_free (s, TRUE);
	/* NS_MAX_HEADERS keeps the first 256 fields; of those, 64 hops are parsed. */
	g_assert_cmpuint (b->original->received->len, ==, NS_MAX_RECEIVED_HOPS);
	g_assert_true (notes_mention (b, "Received"));
}

/* More "--" lines than NS_MAX_BOUNDARY_LINES, more header field lines
 * than NS_MAX_FIELD_LINES: the message is cut before the line past the
 * bound (GMime would build every part and field), noted, and what came
 * before is still read. */
static void
test_part_and_field_bounds (void)
{
	static const char head[] =
		"From: MAILER-DAEMON@mx.remote.example\nSubject: failure\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n";
	g_autoptr (GString) parts = g_string_new (head);
	for (guint i = 0; i < NS_MAX_BOUNDARY_LINES + 10; i++)
		g_string_append (parts, "--b\n\nx\n");
	g_autoptr (Bounce) a = bounce_parse (formats, parts->str, parts->len);
	g_assert_cmpint (a->kind, ==, BOUNCE_KIND_DSN);
	g_assert_true (notes_mention (a, "NS_MAX_BOUNDARY_LINES"));
	g_assert_true (notes_mention (a, "line 2049"));

	g_autoptr (GString) fields = g_string_new (head);
	g_string_append (fields, "--b\n");
	for (guint i = 0; i < NS_MAX_FIELD_LINES + 10; i++)
		g_string_append (fields, "X-Filler: x\n");
	g_string_append (fields, "\nx\n--b--\n");
	g_autoptr (Bounce) f = bounce_parse (formats, fields->str, fields->len);
	g_assert_cmpint (f->kind, ==, BOUNCE_KIND_DSN);
	g_assert_true (notes_mention (f, "NS_MAX_FIELD_LINES"));
	/* The bounce's own two fields and Content-Type count too. */
	g_assert_true (notes_mention (f, "line 20001"));
}

/* The failed recipient of a text bounce comes from the bounce's own text,
 * never from the original it quotes: an address line in the quoted
 * message's body neither names the recipient nor vetoes the real one. */
static const char daemon_head[] =
	"From: MAILER-DAEMON@mx.remote.example\n"
	"To: alice@example.com\n"
	"Subject: Notification\n"
	"\n";
static const char daemon_quote[] =
	"----- Original message -----\n"
	"Message-ID: <q1@example.com>\n"
	"From: Alice <alice@example.com>\n"
	"To: dave@remote.example\n"
	"Subject: Agenda\n"
	"\n"
	"Forwarding what the shop wrote:\n"
	"<carol@else.example>: see below\n";

static void
test_recipient_not_quoted (void)
{
	g_autofree char *only_quoted = g_strconcat (daemon_head, "Your message was not delivered.\n\n",
	                                             daemon_quote, NULL);
	g_autoptr (Bounce) a = parse (only_quoted);
	g_assert_cmpstr (a->family, ==, "daemon");
	g_assert_cmpstr (a->original->message_id, ==, "<q1@example.com>");
	g_assert_null (a->failed_recipient);

	g_autofree char *both = g_strconcat (daemon_head, "Your message was not delivered.\n\n"
	                                     "<dave@remote.example>: unknown user\n\n", daemon_quote, NULL);
	g_autoptr (Bounce) b = parse (both);
	g_assert_cmpstr (b->failed_recipient, ==, "dave@remote.example");
}

/* One of the bounce's own addresses is never the failed recipient, also
 * when the field lists several. */
static void
test_recipient_not_own (void)
{
	g_autoptr (Bounce) b = parse ("From: MAILER-DAEMON@mx.remote.example\n"
	                              "To: alice@example.com, Dave <dave@remote.example>\n"
	                              "Subject: Notification\n\n"
	                              "Your message was not delivered.\n\n<dave@remote.example>: unknown user\n");
	g_assert_cmpstr (b->family, ==, "daemon");
	g_assert_null (b->failed_recipient);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	bounce_init ();
	const char *dir = g_getenv ("NDRSIFT_RULES");
	const char *dirs[] = { dir ? dir : "rules", NULL };
	g_autoptr (GError) error = NULL;
	formats = textbounce_formats_load (dirs, &error);
	g_assert_no_error (error);

	g_test_add_func ("/bounce/dsn/structured-original-and-report", test_dsn_structured);
	g_test_add_func ("/bounce/dsn/crlf-and-cr-only-same-facts", test_line_endings);
	g_test_add_func ("/bounce/dsn/reporting-mta", test_reporting_mta);
	g_test_add_func ("/bounce/dsn/mbox-from-line-skipped", test_mbox_from_line);
	g_test_add_func ("/bounce/original/base64-message-rfc822", test_base64_message_part);
	g_test_add_func ("/bounce/original/headers-only-parts", test_headers_parts);
	g_test_add_func ("/bounce/original/global-report-utf8", test_global_report);
	g_test_add_func ("/bounce/original/attached-eml", test_eml_attachment);
	g_test_add_func ("/bounce/original/part-header-ended-early", test_part_header_ended_early);
	g_test_add_func ("/bounce/original/truncated-bounce", test_truncated_bounce);
	g_test_add_func ("/bounce/original/bounce-of-bounce-the-failed-message", test_bounce_of_bounce);
	g_test_add_func ("/bounce/original/bounce-passed-on-as-text", test_bounce_passed_on_as_text);
	g_test_add_func ("/bounce/original/own-header-never-original", test_own_header_never_original);
	g_test_add_func ("/bounce/original/last-resort-without-pattern", test_last_resort);
	g_test_add_func ("/bounce/headers/leading-blank-lines", test_leading_blank_lines);
	g_test_add_func ("/bounce/hostile/nested-reports-bound", test_nested_reports_bound);
	g_test_add_func ("/bounce/hostile/double-bounce-check-bound", test_double_bounce_check_bound);
	g_test_add_func ("/bounce/original/double-bounce-in-text", test_double_bounce_in_text);
	g_test_add_func ("/bounce/original/inline-qmail", test_inline_qmail);
	g_test_add_func ("/bounce/original/plain-text-without-tree", test_plain_text_paths);
	g_test_add_func ("/bounce/original/broken-bouncers", test_broken_bouncers);
	g_test_add_func ("/bounce/kind/not-a-bounce-with-attachment", test_not_a_bounce);
	g_test_add_func ("/bounce/kind/from-report-type", test_kinds_from_report_type);
	g_test_add_func ("/bounce/kind/mdn-rejection-is-ndr", test_mdn_rejection);
	g_test_add_func ("/bounce/kind/canned-bounce-with-autoreply-headers", test_canned_bounce_with_autoreply_headers);
	g_test_add_func ("/bounce/arrival/date-header-fallback", test_arrival_from_date);
	g_test_add_func ("/bounce/hostile/empty-and-tiny", test_empty_and_tiny);
	g_test_add_func ("/bounce/hostile/content-type-bound", test_content_type_bound);
	g_test_add_func ("/bounce/hostile/depth-bound", test_depth_bound);
	g_test_add_func ("/bounce/hostile/part-and-field-bounds", test_part_and_field_bounds);
	g_test_add_func ("/bounce/headers/message-header-end", test_message_header_end);
	g_test_add_func ("/bounce/headers/field-name-len", test_field_name_len);
	g_test_add_func ("/bounce/headers/charset-module-stays-loaded", test_charset_stays_loaded);
	g_test_add_func ("/bounce/hostile/charset-at-end-of-value", test_charset_at_end);
	g_test_add_func ("/bounce/headers/mime-fields-of-top-header", test_mime_fields_of_top_header);
	g_test_add_func ("/bounce/hostile/received-bound", test_received_bound);
	g_test_add_func ("/bounce/recipient/not-from-the-quoted-original", test_recipient_not_quoted);
	g_test_add_func ("/bounce/recipient/never-one-of-the-bounce-s-own", test_recipient_not_own);
	int rc = g_test_run ();
	textbounce_formats_free (formats);
	g_mime_shutdown ();
	return rc;
}
