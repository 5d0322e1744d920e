/* Unit tests for src/textbounce.c: the *.formats syntax and its errors,
 * family recognition, the inline original's header block, and the shipped
 * formats of rules/ on real bounce texts. */
#include <stdarg.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gmime/gmime.h>

#include "ndrsift/bounce.h"
#include "ndrsift/headers.h"
#include "ndrsift/limits.h"
#include "ndrsift/rules.h"
#include "pattern.h"
#include "prebuilt.h"
#include "textbounce.h"

/* ---- helpers ------------------------------------------------------------ */

static TextbounceFormats *
parse_ok (const char *text)
{
	g_autoptr (GError) error = NULL;
	TextbounceFormats *f = textbounce_formats_parse ("test.formats", text, &error);
	g_assert_no_error (error);
	g_assert_nonnull (f);
	return f;
}

/* The text must be refused, with an error that starts "test.formats:LINE: "
 * and contains each of the words (a NULL-terminated list): what a useful
 * message has to name, whatever its exact wording. */
static void assert_parse_error (const char *text, guint line, ...) G_GNUC_NULL_TERMINATED;

static void
assert_parse_error (const char *text, guint line, ...)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TextbounceFormats) f = textbounce_formats_parse ("test.formats", text, &error);
	g_assert_null (f);
	g_assert_error (error, TEXTBOUNCE_ERROR, TEXTBOUNCE_ERROR_INVALID);
	g_autofree char *where = g_strdup_printf ("test.formats:%u: ", line);
	if (!g_str_has_prefix (error->message, where))
		g_error ("error \"%s\" does not start with \"%s\"", error->message, where);
	va_list ap;
	va_start (ap, line);
	for (const char *word; (word = va_arg (ap, const char *));)
		if (strstr (error->message, word) == NULL)
			g_error ("error \"%s\" does not say \"%s\"", error->message, word);
	va_end (ap);
}

/* A HeaderBlock the way the program builds one: GMime parses the message. */
static HeaderBlock *
headers_of (const char *raw)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer (raw, strlen (raw));
	GMimeParser *parser = g_mime_parser_new_with_stream (stream);
	GMimeMessage *msg = g_mime_parser_construct_message (parser, NULL);
	g_assert_nonnull (msg);
	HeaderBlock *h = headers_from_gmime (g_mime_object_get_header_list (GMIME_OBJECT (msg)));
	g_object_unref (msg);
	g_object_unref (parser);
	g_object_unref (stream);
	return h;
}

static int
identify (const TextbounceFormats *f, const char *header_text, const char *body)
{
	g_autoptr (HeaderBlock) h = headers_of (header_text);
	return textbounce_identify (f, h, body, body ? strlen (body) : 0);
}

static int
family_index (const TextbounceFormats *f, const char *name)
{
	for (guint i = 0; i < textbounce_formats_count (f); i++)
		if (strcmp (textbounce_family_name (f, (int) i), name) == 0)
			return (int) i;
	g_error ("no family %s", name);
	return -1;
}

static TextbounceQuote *
find (const TextbounceFormats *f, int family, const char *text)
{
	return textbounce_find_original (f, family, text, strlen (text));
}

static guint
count_lines (const char *s)
{
	guint n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- parse errors ------------------------------------------------------- */

static void
test_error_unknown_directive (void)
{
	assert_parse_error ("family a ndr\n"
	                    "bodyy a /x/\n", 2, "directive", "bodyy", NULL);
}

static void
test_error_undeclared_family (void)
{
	assert_parse_error ("family a ndr\n"
	                    "subject a /x/\n"
	                    "subject b /y/\n", 3, "family b", "not declared", NULL);
	/* declared later is too late: a line only sees what is above it */
	assert_parse_error ("subject a /x/\n"
	                    "family a ndr\n", 1, "family a", "not declared", NULL);
}

static void
test_error_bad_kind (void)
{
	assert_parse_error ("family a spam\n", 1, "family a", "kind", "ndr", NULL);
	assert_parse_error ("family a\n", 1, "family a", "kind", NULL);
	assert_parse_error ("family a ndr virus\n", 1, "family a", "kind", NULL);
	/* every documented kind is accepted */
	g_autoptr (TextbounceFormats) f = parse_ok ("family a ndr\nfamily b autoreply\nfamily c challenge\n"
	                                            "family d virus\nfamily e dsn\nfamily f mdn\n"
	                                            "family g feedback\n");
	g_assert_cmpuint (textbounce_formats_count (f), ==, 7);
	g_assert_cmpstr (textbounce_family_kind (f, 6), ==, "feedback");
}

static void
test_error_duplicate_family (void)
{
	assert_parse_error ("family a ndr\n"
	                    "\n"
	                    "family b ndr\n"
	                    "family a autoreply\n", 4, "family a", "already declared", "test.formats:1", NULL);
}

static void
test_error_bad_regex (void)
{
	assert_parse_error ("family a ndr\n"
	                    "body a /(unbalanced/\n", 2, "missing closing parenthesis", NULL);
	assert_parse_error ("family a ndr\n"
	                    "subject a /(unbalanced/\n", 2, "missing closing parenthesis", NULL);
	assert_parse_error ("family a ndr\n"
	                    "separator a /^-- (copy --$/\n", 2, "missing closing parenthesis", NULL);
	/* a stray ')' must not escape into the alternation either */
	assert_parse_error ("family a ndr\n"
	                    "first-header a /x)|(y/\n", 2, "regular expression", NULL);
}

static void
test_error_unknown_flag (void)
{
	assert_parse_error ("family a ndr\n"
	                    "subject a /x/iq\n", 2, "flag", "'q'", NULL);
	assert_parse_error ("family a ndr\n"
	                    "body a /x/g\n", 2, "flag", "'g'", NULL);
}

static void
test_error_missing_pattern (void)
{
	assert_parse_error ("family a ndr\n"
	                    "subject a\n", 2, "pattern", NULL);
	assert_parse_error ("family a ndr\n"
	                    "body a    \n", 2, "pattern", NULL);
	assert_parse_error ("family a ndr\n"
	                    "header a X-Foo\n", 2, "pattern", NULL);
	assert_parse_error ("family a ndr\n"
	                    "header a\n", 2, "header a", "field name", NULL);
	assert_parse_error ("family a ndr\n"
	                    "separator\n", 2, "separator", "family name", NULL);
	/* unterminated pattern */
	assert_parse_error ("family a ndr\n"
	                    "subject a /x\n", 2, "closing '/'", NULL);
}

/* Line numbers count comment and blank lines too. */
static void
test_error_line_after_comments (void)
{
	assert_parse_error ("# comment\n"
	                    "\n"
	                    "family a ndr\n"
	                    "   # indented comment\n"
	                    "\t\n"
	                    "frobnicate a /x/\n", 6, "directive", "frobnicate", NULL);
}

static void
test_comments_and_blank_lines (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok ("# a comment line\n"
	                                            "\n"
	                                            "   \t  \n"
	                                            "  # an indented comment\n"
	                                            "family a ndr\n"
	                                            "# family b ndr\n"
	                                            "#subject a /never/\n"
	                                            "subject a /^issue #\\d+$/\n"
	                                            "\r\n"
	                                            "family c autoreply\r\n");
	g_assert_cmpuint (textbounce_formats_count (f), ==, 2);
	g_assert_cmpstr (textbounce_family_name (f, 0), ==, "a");
	g_assert_cmpstr (textbounce_family_name (f, 1), ==, "c");
	g_assert_cmpstr (textbounce_family_kind (f, 1), ==, "autoreply");
	/* '#' inside a pattern is part of it */
	g_assert_cmpint (identify (f, "Subject: issue #42\n", NULL), ==, 0);
	/* the commented-out pattern is not there */
	g_assert_cmpint (identify (f, "Subject: never\n", NULL), ==, -1);
}

/* ---- identification ----------------------------------------------------- */

static const char id_formats[] =
	"family   alpha ndr\n"
	"subject  alpha /^Alpha failure\\b/\n"
	"family   beta autoreply\n"
	"from     beta /beta-daemon@example\\.com/i\n"
	"family   gamma virus\n"
	"header   gamma X-Gamma-Alert /\\binfected\\b/i\n"
	"family   delta ndr\n"
	"body     delta /^Delta could not deliver\\b/\n"
	"body     delta /^DELTA-CODE \\d+$/\n";

static void
test_identify_subject (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (id_formats);
	g_assert_cmpint (identify (f, "From: x@example.org\nSubject: Alpha failure notice\n", "hello\n"),
	                 ==, 0);
	g_assert_cmpstr (textbounce_family_name (f, 0), ==, "alpha");
	g_assert_cmpstr (textbounce_family_kind (f, 0), ==, "ndr");
	/* the subject pattern is anchored: elsewhere in the subject is no match */
	g_assert_cmpint (identify (f, "Subject: Re: Alpha failure\n", NULL), ==, -1);
	/* and it is the Subject that is looked at, not the body */
	g_assert_cmpint (identify (f, "Subject: hello\n", "Alpha failure\n"), ==, -1);
}

/* RFC 2047 subjects are matched decoded. */
static void
test_identify_subject_decoded (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (id_formats);
	g_assert_cmpint (identify (f, "Subject: =?UTF-8?Q?Alpha_failure?= for you\n", NULL), ==, 0);
}

static void
test_identify_from (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (id_formats);
	g_assert_cmpint (identify (f, "From: Beta <Beta-Daemon@Example.com>\nSubject: hi\n", NULL), ==, 1);
	g_assert_cmpstr (textbounce_family_kind (f, 1), ==, "autoreply");
	g_assert_cmpint (identify (f, "From: Beta <beta-daemon@example.org>\nSubject: hi\n", NULL), ==, -1);
	/* a Reply-To is not the From */
	g_assert_cmpint (identify (f, "From: a@example.org\nReply-To: beta-daemon@example.com\n", NULL),
	                 ==, -1);
}

static void
test_identify_header (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (id_formats);
	g_assert_cmpint (identify (f, "From: a@example.org\nX-Gamma-Alert: INFECTED (Eicar)\n", NULL), ==, 2);
	/* field names are case-insensitive */
	g_assert_cmpint (identify (f, "From: a@example.org\nx-gamma-alert: infected\n", NULL), ==, 2);
	/* every occurrence of the field is looked at, not just the first */
	g_assert_cmpint (identify (f, "From: a@example.org\nX-Gamma-Alert: clean\n"
	                              "X-Gamma-Alert: infected\n", NULL), ==, 2);
	/* the value must match; another field with that value does not count */
	g_assert_cmpint (identify (f, "From: a@example.org\nX-Gamma-Alert: clean\n", NULL), ==, -1);
	g_assert_cmpint (identify (f, "From: a@example.org\nX-Other-Alert: infected\n", NULL), ==, -1);
}

static void
test_identify_body (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (id_formats);
	g_assert_cmpint (identify (f, "From: a@example.org\n",
	                           "Hello.\nDelta could not deliver your mail.\n"), ==, 3);
	/* "^" is a line start */
	g_assert_cmpint (identify (f, "From: a@example.org\n",
	                           "Hello. Delta could not deliver your mail.\n"), ==, -1);
	/* "$" is a line end; the second body pattern of the family works too */
	g_assert_cmpint (identify (f, "From: a@example.org\n", "x\nDELTA-CODE 42\ny\n"), ==, 3);
	g_assert_cmpint (identify (f, "From: a@example.org\n", "x\nDELTA-CODE 42 and more\n"), ==, -1);
	/* no text, no body match */
	g_autoptr (HeaderBlock) h = headers_of ("From: a@example.org\n");
	g_assert_cmpint (textbounce_identify (f, h, NULL, 0), ==, -1);
}

static void
test_identify_no_headers (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (id_formats);
	const char *body = "Delta could not deliver\n";
	g_assert_cmpint (textbounce_identify (f, NULL, body, strlen (body)), ==, 3);
	g_assert_cmpint (textbounce_identify (f, NULL, "nothing\n", 8), ==, -1);
}

/* Two families match: the one declared first wins, whatever kind of
 * pattern matched for each. */
static void
test_identify_first_in_file_order (void)
{
	const char *headers = "From: Beta <beta-daemon@example.com>\nSubject: Alpha failure\n";
	const char *body = "Delta could not deliver\n";
	g_autoptr (TextbounceFormats) f = parse_ok (id_formats);
	g_assert_cmpint (identify (f, headers, body), ==, 0);

	/* declare delta (a body pattern) before alpha (a subject pattern) */
	g_autoptr (TextbounceFormats) g = parse_ok ("family   delta ndr\n"
	                                            "body     delta /^Delta could not deliver\\b/\n"
	                                            "family   beta autoreply\n"
	                                            "from     beta /beta-daemon@example\\.com/i\n"
	                                            "family   alpha ndr\n"
	                                            "subject  alpha /^Alpha failure\\b/\n");
	g_assert_cmpint (identify (g, headers, body), ==, 0);
	g_assert_cmpstr (textbounce_family_name (g, 0), ==, "delta");
	/* without delta's body text, beta (declared second) wins over alpha */
	g_assert_cmpint (identify (g, headers, "nothing\n"), ==, 1);
}

/* Several body patterns of different families, the later-declared one
 * matching earlier in the text: still file order. */
static void
test_identify_body_file_order (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok ("family one ndr\n"
	                                            "body one /^second line/\n"
	                                            "family two ndr\n"
	                                            "body two /^first line/\n");
	g_assert_cmpint (textbounce_identify (f, NULL, "first line\nsecond line\n", 23), ==, 0);
	g_assert_cmpint (textbounce_identify (f, NULL, "first line\n", 11), ==, 1);
}

static void
test_identify_body_limit (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok ("family late ndr\n"
	                                            "body late /LATE-MARKER/\n");
	const char *marker = "LATE-MARKER";
	gsize mlen = strlen (marker);
	g_autoptr (GString) s = g_string_new (NULL);

	/* the marker just inside the limit is seen ... */
	g_string_append_c_inline (s, 'x');
	while (s->len < NS_MAX_FORMAT_BODY_BYTES - mlen)
		g_string_append_c (s, (s->len % 64) == 63 ? '\n' : 'x');
	g_string_append (s, marker);
	g_string_append (s, "\nmore text\n");
	g_assert_cmpint (textbounce_identify (f, NULL, s->str, s->len), ==, 0);

	/* ... one byte later it is not */
	g_string_insert_c (s, 0, 'y');
	g_assert_cmpint (textbounce_identify (f, NULL, s->str, s->len), ==, -1);

	/* nor after 8 KiB and more */
	g_string_truncate (s, 0);
	for (guint i = 0; i < 160; i++)
		g_string_append (s, "a line of filler text that is not a bounce marker at all, 64 b\n");
	g_assert_cmpuint (s->len, >, NS_MAX_FORMAT_BODY_BYTES);
	g_string_append (s, "LATE-MARKER\n");
	g_assert_cmpint (textbounce_identify (f, NULL, s->str, s->len), ==, -1);
}

static void
test_identify_no_families (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok ("# nothing\n");
	g_assert_cmpuint (textbounce_formats_count (f), ==, 0);
	g_assert_cmpint (identify (f, "Subject: Alpha failure\n", "Delta could not deliver\n"), ==, -1);
	g_assert_cmpint (textbounce_identify (NULL, NULL, "x", 1), ==, -1);
}

/* A body pattern written with the documented x flag may carry a comment;
 * it must work like it does alone (alone it compiles, so the file is
 * accepted). */
static void
test_identify_body_extended_comment (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TextbounceFormats) f =
		textbounce_formats_parse ("test.formats",
		                          "family one ndr\n"
		                          "body one /^Delta \\s could \\s not  # Delta's wording/x\n"
		                          "family two ndr\n"
		                          "body two /^Omega$/\n", &error);
	g_assert_no_error (error);
	g_assert_nonnull (f);
	g_assert_cmpint (textbounce_identify (f, NULL, "Delta could not\n", 16), ==, 0);
	g_assert_cmpint (textbounce_identify (f, NULL, "Omega\n", 6), ==, 1);
}

/* ---- finding the original's header block -------------------------------- */

static const char ex_formats[] =
	"family    alpha ndr\n"
	"body      alpha /^Alpha could not deliver/\n"
	"separator alpha /^--- copy of the message follows ---$/\n"
	"family    beta ndr\n"
	"separator beta /^=== original ===$/\n"
	"first-header beta /^[>| \\t]*(Received|Message-ID|Date|Subject|From|To)\\s*:/i\n";

static void
test_extract_separator (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (ex_formats);
	g_autoptr (TextbounceQuote) q = find (f, 0,
		"Alpha could not deliver your message.\n"
		"\n"
		"--- copy of the message follows ---\n"
		"\n"
		"Received: from a.example by b.example\n"
		"Message-ID: <1@example.org>\n"
		"From: alice@example.net\n"
		"Subject: hi\n"
		"\n"
		"X-Not-Header: this is the body\n"
		"Date: neither is this\n");
	g_assert_nonnull (q);
	g_assert_cmpstr (q->headers, ==,
	                 "Received: from a.example by b.example\n"
	                 "Message-ID: <1@example.org>\n"
	                 "From: alice@example.net\n"
	                 "Subject: hi\n");
	g_assert_cmpuint (q->line, ==, 5);
	g_assert_cmpstr (q->family, ==, "alpha");
	g_assert_cmpstr (q->marker, ==, "/^--- copy of the message follows ---$/");
}

static void
test_extract_quoted (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (ex_formats);
	g_autoptr (TextbounceQuote) q = find (f, 0,
		"--- copy of the message follows ---\n"
		"> Received: from a.example\n"
		">   by b.example with SMTP\n"
		"> Message-ID: <2@example.org>\n"
		"> Subject: quoted\n"
		">\n"
		"> body\n");
	g_assert_nonnull (q);
	g_assert_cmpstr (q->headers, ==,
	                 "Received: from a.example\n"
	                 "  by b.example with SMTP\n"
	                 "Message-ID: <2@example.org>\n"
	                 "Subject: quoted\n");
	g_assert_cmpuint (q->line, ==, 2);

	/* a quoted blank line with blanks after the mark ends it as well */
	const char *enders[] = { "> \n", ">   \n", ">\t\n" };
	for (guint i = 0; i < G_N_ELEMENTS (enders); i++) {
		g_autofree char *text = g_strconcat ("--- copy of the message follows ---\n"
		                                     "> Message-ID: <2@example.org>\n"
		                                     "> Subject: quoted\n",
		                                     enders[i],
		                                     "> X-Looks-Like: a header, but is body\n"
		                                     "> more body\n", NULL);
		g_autoptr (TextbounceQuote) b = find (f, 0, text);
		g_assert_nonnull (b);
		g_assert_cmpstr (b->headers, ==, "Message-ID: <2@example.org>\nSubject: quoted\n");
	}
}

static void
test_extract_indented (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (ex_formats);
	g_autoptr (TextbounceQuote) q = find (f, 0,
		"--- copy of the message follows ---\n"
		"\n"
		"    Received: from a.example\n"
		"        by b.example\n"
		"    Message-ID: <3@example.org>\n"
		"    Subject: indented\n"
		"\n"
		"    body text\n");
	g_assert_nonnull (q);
	g_assert_cmpstr (q->headers, ==,
	                 "Received: from a.example\n"
	                 "    by b.example\n"
	                 "Message-ID: <3@example.org>\n"
	                 "Subject: indented\n");
	g_assert_cmpuint (q->line, ==, 3);
}

static void
test_extract_folded (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (ex_formats);
	g_autoptr (TextbounceQuote) q = find (f, 0,
		"--- copy of the message follows ---\n"
		"Received: from a.example (a.example [192.0.2.1])\n"
		"\tby b.example with ESMTP id 123\n"
		"\tfor <bob@example.org>; Tue, 14 May 2024 09:12:44 +0200\n"
		"To: bob@example.org,\n"
		"    carol@example.org\n"
		"Subject: folded\n"
		"\n");
	g_assert_nonnull (q);
	g_assert_cmpstr (q->headers, ==,
	                 "Received: from a.example (a.example [192.0.2.1])\n"
	                 "\tby b.example with ESMTP id 123\n"
	                 "\tfor <bob@example.org>; Tue, 14 May 2024 09:12:44 +0200\n"
	                 "To: bob@example.org,\n"
	                 "    carol@example.org\n"
	                 "Subject: folded\n");
}

/* A line of blanks only is a blank line: it ends the block. */
static void
test_extract_blank_line_with_spaces (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (ex_formats);
	g_autoptr (TextbounceQuote) q = find (f, 0,
		"--- copy of the message follows ---\n"
		"Message-ID: <10@example.org>\n"
		"Subject: x\n"
		"   \n"
		"X-Looks-Like: a header, but is body\n");
	g_assert_nonnull (q);
	g_assert_cmpstr (q->headers, ==, "Message-ID: <10@example.org>\nSubject: x\n");
}

static void
test_extract_mbox_from_line (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (ex_formats);
	g_autoptr (TextbounceQuote) q = find (f, 0,
		"--- copy of the message follows ---\n"
		"From alice@example.net Tue May 14 09:12:44 2024\n"
		"Return-Path: <alice@example.net>\n"
		"Message-ID: <4@example.org>\n"
		"\n");
	g_assert_nonnull (q);
	g_assert_cmpstr (q->headers, ==,
	                 "Return-Path: <alice@example.net>\n"
	                 "Message-ID: <4@example.org>\n");
	g_assert_cmpuint (q->line, ==, 3);
}

static void
test_extract_no_known_field (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (ex_formats);
	g_autoptr (TextbounceQuote) none = find (f, 0,
		"--- copy of the message follows ---\n"
		"X-Queue-Id: 4VfK1w2Abcz9sT\n"
		"X-Spam-Score: 0.1\n"
		"Content-Length: 42\n"
		"\n");
	g_assert_null (none);
	/* one known field among them makes it a header block */
	g_autoptr (TextbounceQuote) q = find (f, 0,
		"--- copy of the message follows ---\n"
		"X-Queue-Id: 4VfK1w2Abcz9sT\n"
		"Return-Path: <alice@example.net>\n"
		"\n");
	g_assert_nonnull (q);
	g_assert_cmpstr (q->headers, ==, "X-Queue-Id: 4VfK1w2Abcz9sT\nReturn-Path: <alice@example.net>\n");
}

static void
test_extract_message_id_only (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (ex_formats);
	g_autoptr (TextbounceQuote) q = find (f, 0,
		"--- copy of the message follows ---\n"
		"Message-ID: <only@example.org>\n"
		"\n"
		"From: someone else\n"
		"Subject: body text\n");
	g_assert_nonnull (q);
	g_assert_cmpstr (q->headers, ==, "Message-ID: <only@example.org>\n");
	g_assert_cmpuint (q->line, ==, 2);
	/* a one-field block of another known field is not enough */
	g_autoptr (TextbounceQuote) none = find (f, 0,
		"--- copy of the message follows ---\n"
		"Return-Path: <alice@example.net>\n"
		"\n"
		"just text\n");
	g_assert_null (none);
}

/* No separator: the first-header lines are a guess, and a later block with
 * a Message-ID beats the bounce's own "Subject: / Date:" summary. */
static void
test_extract_first_header_fallback (void)
{
	static const char text[] =
		"Your message could not be delivered.\n"
		"\n"
		"Subject: Lunch\n"
		"Date: Tue, 14 May 2024 09:12:44 +0200\n"
		"\n"
		"The headers of your message were:\n"
		"\n"
		"Received: from a.example by b.example\n"
		"Message-ID: <5@example.org>\n"
		"From: alice@example.net\n"
		"Subject: Lunch\n"
		"\n"
		"body\n";
	g_autoptr (TextbounceFormats) f = parse_ok (ex_formats);
	for (int family = -1; family <= 1; family++) {
		g_autoptr (TextbounceQuote) q = find (f, family, text);
		g_assert_nonnull (q);
		g_assert_cmpstr (q->headers, ==,
		                 "Received: from a.example by b.example\n"
		                 "Message-ID: <5@example.org>\n"
		                 "From: alice@example.net\n"
		                 "Subject: Lunch\n");
		g_assert_cmpuint (q->line, ==, 8);
		g_assert_cmpstr (q->family, ==, "beta");
	}
	/* without the later block, the summary is what there is */
	g_autoptr (TextbounceQuote) q = find (f, -1,
		"Your message could not be delivered.\n"
		"\n"
		"Subject: Lunch\n"
		"Date: Tue, 14 May 2024 09:12:44 +0200\n"
		"\n"
		"Sorry.\n");
	g_assert_nonnull (q);
	g_assert_cmpuint (q->line, ==, 3);
	g_assert_cmpstr (q->headers, ==, "Subject: Lunch\nDate: Tue, 14 May 2024 09:12:44 +0200\n");
}

/* A first-header block on line 1 is reported as line 1. */
static void
test_extract_line_one (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (ex_formats);
	g_autoptr (TextbounceQuote) q = find (f, -1,
		"Received: from a.example by b.example\n"
		"Message-ID: <6@example.org>\n"
		"\n"
		"text\n");
	g_assert_nonnull (q);
	g_assert_cmpuint (q->line, ==, 1);
	g_assert_cmpstr (q->headers, ==,
	                 "Received: from a.example by b.example\nMessage-ID: <6@example.org>\n");
}

/* The built-in scan, for a text known to be a failure report: a header
 * block is found without any pattern, with a quote prefix or not. */
static void
test_extract_without_pattern (void)
{
	static const char text[] =
		"Delivery to the following recipient failed permanently: dave@remote.example\n"
		"550 5.1.1 No such user\n\n"
		"  Received: from out.example.com by mx.remote.example\n"
		"  Message-ID: <nopattern@example.org>\n"
		"  From: alice@example.org\n\nHello\n";
	g_autoptr (TextbounceQuote) q = textbounce_find_quote (NULL, -1, text, strlen (text), TRUE);
	g_assert_nonnull (q);
	g_assert_null (q->family);
	g_assert_null (q->marker);
	g_assert_false (q->forwarded);
	g_assert_cmpuint (q->line, ==, 4);
	g_assert_cmpstr (q->prefix, ==, "  ");
	g_assert_cmpstr (q->headers, ==, "Received: from out.example.com by mx.remote.example\n"
	                                 "Message-ID: <nopattern@example.org>\nFrom: alice@example.org\n");
	/* not without the caller knowing the text is a failure report's */
	g_autoptr (TextbounceQuote) none = textbounce_find_quote (NULL, -1, text, strlen (text), FALSE);
	g_assert_null (none);
}

/* Blocks found without a separator that quote different Message-IDs:
 * there is no telling which is the original, so none; the same id twice
 * (a summary and the quote) is one original. A separator still names its
 * quote whatever follows. */
static void
test_extract_unnamed_disagree (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (ex_formats);
	g_autoptr (TextbounceQuote) q = find (f, -1,
		"Delivery failed.\n\n"
		"Received: from a.example by b.example\nMessage-ID: <one@example.org>\n\n"
		"text\n\n"
		"Received: from c.example by d.example\nMessage-ID: <two@example.org>\n\n");
	g_assert_null (q);
	g_autoptr (TextbounceQuote) same = find (f, -1,
		"Delivery failed.\n\nMessage-ID: <one@example.org>\n\n"
		"Received: from a.example by b.example\nMessage-ID: <one@EXAMPLE.org>\nFrom: a@example.org\n\n");
	g_assert_nonnull (same);
	g_assert_cmpuint (same->line, ==, 3);
	g_autoptr (TextbounceQuote) named = find (f, -1,
		"Delivery failed.\n\n--- copy of the message follows ---\n"
		"Received: from a.example by b.example\nMessage-ID: <one@example.org>\n\n"
		"Received: from c.example by d.example\nMessage-ID: <two@example.org>\n\n");
	g_assert_nonnull (named);
	g_assert_nonnull (strstr (named->headers, "<one@example.org>"));
}

/* A header block after a forwarding client's introduction is the
 * forwarded message's: one before it wins; alone, it is returned flagged
 * (the caller takes it only as a forwarded report to look into). */
static void
test_extract_forwarded (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (ex_formats);
	static const char *const intros[] = { "---------- Forwarded message ---------",
	                                      "Begin forwarded message:", "> -------- Weitergeleitete Nachricht --------" };
	for (guint i = 0; i < G_N_ELEMENTS (intros); i++) {
		g_autofree char *text = g_strdup_printf (
			"Delivery failed.\n\nReceived: from a.example by b.example\nFrom: a@example.org\n\n"
			"%s\nFrom: c@example.org\nMessage-ID: <fwd@example.org>\nSubject: x\n\n", intros[i]);
		g_autoptr (TextbounceQuote) q = find (f, -1, text);
		g_assert_nonnull (q);
		g_assert_false (q->forwarded);
		g_assert_cmpuint (q->line, ==, 3);
	}
	g_autoptr (TextbounceQuote) alone = find (f, -1,
		"Forwarding this.\n\nBegin forwarded message:\n\n"
		"> From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>\n"
		"> Message-Id: <report@mx.example.org>\n>\n> text\n");
	g_assert_nonnull (alone);
	g_assert_true (alone->forwarded);
}

/* A long header-like block early in the text (more lines than the search
 * keeps markers) must not hide a separator after it. */
static void
test_extract_separator_after_long_block (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (ex_formats);
	g_autoptr (GString) s = g_string_new ("Delivery failed.\n\n");
	for (guint i = 0; i < 100; i++)
		g_string_append_printf (s, "Received: from hop%u.example by hop%u.example\n", i + 1, i);
	g_string_append (s, "\n--- copy of the message follows ---\n"
	                    "Message-ID: <11@example.org>\n"
	                    "Subject: the real one\n"
	                    "\n");
	g_autoptr (TextbounceQuote) q = find (f, -1, s->str);
	g_assert_nonnull (q);
	g_assert_cmpstr (q->headers, ==, "Message-ID: <11@example.org>\nSubject: the real one\n");
	g_assert_cmpuint (q->line, ==, 105);
	g_assert_cmpstr (q->family, ==, "alpha");
}

/* Same with many short header-like paragraphs (a bounce listing each
 * failed recipient as "To: / Status:"): separators still come first. */
static void
test_extract_separator_after_many_paragraphs (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (ex_formats);
	g_autoptr (GString) s = g_string_new ("Delivery to these recipients failed:\n\n");
	for (guint i = 0; i < 80; i++)
		g_string_append_printf (s, "To: user%u@example.org\nStatus: 5.1.1 unknown user\n\n", i);
	guint sep_line = 3 + 80 * 3;
	g_string_append (s, "--- copy of the message follows ---\n"
	                    "Message-ID: <12@example.org>\n"
	                    "Subject: the real one\n"
	                    "\n");
	g_autoptr (TextbounceQuote) q = find (f, -1, s->str);
	g_assert_nonnull (q);
	g_assert_cmpstr (q->headers, ==, "Message-ID: <12@example.org>\nSubject: the real one\n");
	g_assert_cmpuint (q->line, ==, sep_line + 1);
	g_assert_cmpstr (q->family, ==, "alpha");
}

/* Separator patterns are combined into one regular expression; each must
 * still mean what it means alone. An x-flag comment ... */
static void
test_extract_separator_extended_comment (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TextbounceFormats) f =
		textbounce_formats_parse ("test.formats",
		                          "family a ndr\n"
		                          "separator a /^-{3} \\s copy \\s -{3}$   # a's separator/x\n"
		                          "family b ndr\n"
		                          "separator b /^=== original ===$/\n", &error);
	g_assert_no_error (error);
	g_assert_nonnull (f);
	g_autoptr (TextbounceQuote) q = find (f, -1, "--- copy ---\nMessage-ID: <13@example.org>\n\n");
	g_assert_nonnull (q);
	g_assert_cmpstr (q->family, ==, "a");
	g_autoptr (TextbounceQuote) r = find (f, -1, "=== original ===\nMessage-ID: <14@example.org>\n\n");
	g_assert_nonnull (r);
	g_assert_cmpstr (r->family, ==, "b");
}

/* ... and a backreference, whose group number must not shift. */
static void
test_extract_separator_backreference (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok ("family a ndr\n"
	                                            "separator a /^(=+) original \\1$/\n"
	                                            "family b ndr\n"
	                                            "separator b /^(-+) copy \\1$/\n");
	g_autoptr (TextbounceQuote) q = find (f, 1, "--- copy ---\nMessage-ID: <15@example.org>\n\n");
	g_assert_nonnull (q);
	g_assert_cmpstr (q->family, ==, "b");
	/* and the pattern is not loosened: unequal runs are no separator */
	g_autoptr (TextbounceQuote) none = find (f, 1, "--- copy --\nMessage-ID: <15@example.org>\n\n");
	g_assert_null (none);
}

/* A separator comes before any first-header line, even an earlier one. */
static void
test_extract_separator_before_first_header (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (ex_formats);
	g_autoptr (TextbounceQuote) q = find (f, -1,
		"Received: from early.example by b.example\n"
		"Message-ID: <early@example.org>\n"
		"\n"
		"--- copy of the message follows ---\n"
		"Received: from late.example by b.example\n"
		"Message-ID: <late@example.org>\n"
		"\n");
	g_assert_nonnull (q);
	g_assert_cmpuint (q->line, ==, 5);
	g_assert_nonnull (strstr (q->headers, "<late@example.org>"));
	g_assert_cmpstr (q->family, ==, "alpha");
}

static const char two_separators[] =
	"Something failed.\n"
	"\n"
	"=== original ===\n"                       /* beta's, first in the text */
	"Received: from forwarded.example by b.example\n"
	"Message-ID: <beta@example.org>\n"
	"\n"
	"--- copy of the message follows ---\n"    /* alpha's, later */
	"Received: from original.example by b.example\n"
	"Message-ID: <alpha@example.org>\n"
	"\n";

static void
test_extract_recognised_family_first (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (ex_formats);

	g_autoptr (TextbounceQuote) qa = find (f, 0, two_separators);
	g_assert_nonnull (qa);
	g_assert_cmpstr (qa->family, ==, "alpha");
	g_assert_nonnull (strstr (qa->headers, "<alpha@example.org>"));
	g_assert_cmpuint (qa->line, ==, 8);

	/* the other way round, and with no family: text order */
	g_autoptr (TextbounceQuote) qb = find (f, 1, two_separators);
	g_assert_nonnull (qb);
	g_assert_cmpstr (qb->family, ==, "beta");
	g_assert_nonnull (strstr (qb->headers, "<beta@example.org>"));
	g_assert_cmpuint (qb->line, ==, 4);

	g_autoptr (TextbounceQuote) qn = find (f, -1, two_separators);
	g_assert_nonnull (qn);
	g_assert_cmpuint (qn->line, ==, 4);
}

/* The recognised family's separator wins even when its line also matches
 * the separator of a family declared before it. */
static void
test_extract_recognised_family_first_shared_line (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok ("family    general ndr\n"
	                                            "separator general /^-+ ?Original message -*$/i\n"
	                                            "family    special ndr\n"
	                                            "separator special /^-{5} Original message -{5}$/\n");
	static const char text[] =
		"Forwarded by the helpdesk:\n"
		"-- Original message --\n"                  /* general's only */
		"Received: from helpdesk.example by b.example\n"
		"Message-ID: <helpdesk@example.org>\n"
		"\n"
		"----- Original message -----\n"            /* special's, and general's too */
		"Received: from original.example by b.example\n"
		"Message-ID: <original@example.org>\n"
		"\n";
	g_autoptr (TextbounceQuote) q = find (f, 1, text);
	g_assert_nonnull (q);
	g_assert_nonnull (strstr (q->headers, "<original@example.org>"));
	g_assert_cmpuint (q->line, ==, 7);
	g_assert_cmpstr (q->family, ==, "special");
}

/* A re-wrapped header line (no leading blank) after a line of 60 or more
 * bytes continues it; after a short line, such a line ends the block. */
static void
test_extract_wrapped_line (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (ex_formats);
	const char *long_line = "Subject: This is a rather long subject that the bouncer re-wrapped at";
	g_assert_cmpuint (strlen (long_line), >=, 60);
	g_autofree char *text = g_strconcat ("--- copy of the message follows ---\n"
	                                     "Received: from a.example by b.example\n",
	                                     long_line, "\n"
	                                     "seventy-two columns without a blank\n"
	                                     "Message-ID: <7@example.org>\n"
	                                     "\n", NULL);
	g_autoptr (TextbounceQuote) q = find (f, 0, text);
	g_assert_nonnull (q);
	g_assert_nonnull (strstr (q->headers, "Message-ID: <7@example.org>\n"));
	/* every line of the block is a field or a continuation */
	g_auto (GStrv) lines = g_strsplit (q->headers, "\n", -1);
	for (guint i = 0; lines[i] && *lines[i]; i++)
		g_assert_true (lines[i][0] == ' ' || lines[i][0] == '\t' || strchr (lines[i], ':'));
	/* read as a header, the subject is whole again */
	g_autofree char *as_message = g_strconcat (q->headers, "\n", NULL);
	g_autoptr (HeaderBlock) h = headers_of (as_message);
	g_assert_cmpstr (headers_get (h, "Subject"), ==,
	                 "This is a rather long subject that the bouncer re-wrapped at "
	                 "seventy-two columns without a blank");
	g_assert_cmpstr (headers_get (h, "Message-ID"), ==, "<7@example.org>");

	/* after a short line, the same non-field line ends the block */
	g_autoptr (TextbounceQuote) s = find (f, 0,
		"--- copy of the message follows ---\n"
		"Received: from a.example by b.example\n"
		"Subject: short\n"
		"seventy-two columns without a blank\n"
		"Message-ID: <7@example.org>\n"
		"\n");
	g_assert_nonnull (s);
	g_assert_cmpstr (s->headers, ==, "Received: from a.example by b.example\nSubject: short\n");
}

static void
test_extract_line_number (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (ex_formats);
	g_autoptr (GString) s = g_string_new (NULL);
	for (guint i = 1; i <= 20; i++)
		g_string_append_printf (s, "line %u of the explanation\n", i);
	g_string_append (s, "--- copy of the message follows ---\n"   /* line 21 */
	                    "\n"                                      /* 22 */
	                    "\n"                                      /* 23 */
	                    "Message-ID: <8@example.org>\n"           /* 24 */
	                    "Subject: x\n");
	g_autoptr (TextbounceQuote) q = find (f, 0, s->str);
	g_assert_nonnull (q);
	g_assert_cmpuint (q->line, ==, 24);
	g_assert_cmpstr (q->headers, ==, "Message-ID: <8@example.org>\nSubject: x\n");
}

static void
test_extract_max_lines (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (ex_formats);
	g_autoptr (GString) s = g_string_new ("--- copy of the message follows ---\n"
	                                      "Message-ID: <9@example.org>\n");
	for (guint i = 0; i < NS_MAX_INLINE_HEADER_LINES + 100; i++)
		g_string_append_printf (s, "X-Line-%u: value %u\n", i, i);
	g_string_append (s, "\nbody\n");
	g_autoptr (TextbounceQuote) q = find (f, 0, s->str);
	g_assert_nonnull (q);
	g_assert_cmpuint (count_lines (q->headers), ==, NS_MAX_INLINE_HEADER_LINES);
	g_assert_true (g_str_has_prefix (q->headers, "Message-ID: <9@example.org>\nX-Line-0: value 0\n"));
	g_autofree char *last = g_strdup_printf ("X-Line-%u: value %u\n", NS_MAX_INLINE_HEADER_LINES - 2,
	                                         NS_MAX_INLINE_HEADER_LINES - 2);
	g_assert_true (g_str_has_suffix (q->headers, last));
}

static void
test_extract_null_empty (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (ex_formats);
	g_assert_null (textbounce_find_original (f, 0, NULL, 0));
	g_assert_null (textbounce_find_original (f, 0, NULL, 10));
	g_assert_null (textbounce_find_original (f, 0, "", 0));
	g_assert_null (textbounce_find_original (f, -1, "", 0));
	/* len 0 means nothing, whatever the buffer holds */
	g_assert_null (textbounce_find_original (f, 0, "Message-ID: <x@y>\nSubject: z\n", 0));
	/* no separator and no first-header line */
	g_autoptr (TextbounceQuote) q = find (f, 0, "Nothing to see.\nX-Foo: bar\n");
	g_assert_null (q);
	/* formats without separators find nothing */
	g_autoptr (TextbounceFormats) g = parse_ok ("family a ndr\nbody a /x/\n");
	g_autoptr (TextbounceQuote) r = find (g, 0, "--- copy of the message follows ---\n"
	                                           "Message-ID: <x@example.org>\n");
	g_assert_null (r);
}

/* ---- the shipped formats ------------------------------------------------ */

static gint
compare_file_names (gconstpointer a, gconstpointer b)
{
	return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static const char *
rules_dir (void)
{
	const char *dir = g_getenv ("NDRSIFT_RULES");
	return dir ? dir : "rules";
}

static TextbounceFormats *
load_shipped (void)
{
	const char *dir = rules_dir ();
	if (!g_file_test (dir, G_FILE_TEST_IS_DIR)) {
		g_autofree char *msg = g_strdup_printf ("no rules directory %s (set NDRSIFT_RULES)", dir);
		g_test_skip (msg);
		return NULL;
	}
	const char *dirs[] = { dir, NULL };
	g_autoptr (GError) error = NULL;
	TextbounceFormats *f = textbounce_formats_load (dirs, &error);
	g_assert_no_error (error);
	g_assert_nonnull (f);
	g_assert_cmpuint (textbounce_formats_count (f), >, 0);
	return f;
}

/* Families load in the order of their "family" lines, files taken in name
 * order (10-virus.formats before 50-mta.formats before 90-...). The
 * expected order is read from the directory itself, so the test follows
 * edits of the shipped files. */
static void
test_shipped_file_order (void)
{
	g_autoptr (TextbounceFormats) f = load_shipped ();
	if (f == NULL)
		return;

	g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GDir) dir = g_dir_open (rules_dir (), 0, NULL);
	g_assert_nonnull (dir);
	const char *entry;
	while ((entry = g_dir_read_name (dir)))
		if (g_str_has_suffix (entry, ".formats") && entry[0] != '.')
			g_ptr_array_add (files, g_strdup (entry));
	g_ptr_array_sort (files, compare_file_names);
	g_assert_cmpuint (files->len, >=, 2);

	guint n = 0;
	for (guint i = 0; i < files->len; i++) {
		g_autofree char *path = g_build_filename (rules_dir (), g_ptr_array_index (files, i), NULL);
		g_autofree char *text = NULL;
		g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
		g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
		for (guint k = 0; lines[k]; k++) {
			g_auto (GStrv) words = g_strsplit_set (g_strstrip (lines[k]), " \t", -1);
			guint w = 1;
			if (g_strcmp0 (words[0], "family") != 0)
				continue;
			while (words[w] && *words[w] == '\0')
				w++;
			g_assert_nonnull (words[w]);
			g_assert_cmpuint (n, <, textbounce_formats_count (f));
			g_assert_cmpstr (textbounce_family_name (f, (int) n), ==, words[w]);
			n++;
		}
	}
	g_assert_cmpuint (n, ==, textbounce_formats_count (f));
	/* and the order the comments of the shipped files rely on */
	g_assert_cmpstr (textbounce_family_name (f, 0), ==, "virus");
	g_assert_cmpint (family_index (f, "virus"), <, family_index (f, "qmail"));
	g_assert_cmpint (family_index (f, "qmail"), <, family_index (f, "generic"));
	g_assert_cmpint (family_index (f, "generic"), <, family_index (f, "autoreply"));
}

static const char qmail_headers[] =
	"Return-Path: <>\n"
	"From: MAILER-DAEMON@mx.example.org\n"
	"To: alice@example.net\n"
	"Subject: failure notice\n"
	"Date: 14 May 2024 07:12:45 -0000\n";

static const char qmail_text[] =
	"Hi. This is the qmail-send program at mx.example.org.\n"
	"I'm afraid I wasn't able to deliver your message to the following addresses.\n"
	"This is a permanent error; I've given up. Sorry it didn't work out.\n"
	"\n"
	"<nobody@example.org>:\n"
	"Sorry, no mailbox here by that name. (#5.1.1)\n"
	"\n"
	"--- Below this line is a copy of the message.\n"
	"\n"
	"Return-Path: <alice@example.net>\n"
	"Received: (qmail 12345 invoked from network); 14 May 2024 07:12:44 -0000\n"
	"Received: from client.example.net (HELO client) (198.51.100.23)\n"
	"  by mx.example.org with SMTP; 14 May 2024 07:12:44 -0000\n"
	"Message-ID: <20240514071244.12345@example.net>\n"
	"Date: Tue, 14 May 2024 09:12:44 +0200\n"
	"From: Alice <alice@example.net>\n"
	"To: nobody@example.org\n"
	"Subject: Lunch\n"
	"\n"
	"See you at noon.\n";

static void
test_shipped_qmail (void)
{
	g_autoptr (TextbounceFormats) f = load_shipped ();
	if (f == NULL)
		return;
	int family = identify (f, qmail_headers, qmail_text);
	g_assert_cmpint (family, >=, 0);
	g_assert_cmpstr (textbounce_family_name (f, family), ==, "qmail");
	g_assert_cmpstr (textbounce_family_kind (f, family), ==, "ndr");

	g_autoptr (TextbounceQuote) q = find (f, family, qmail_text);
	g_assert_nonnull (q);
	g_assert_cmpstr (q->family, ==, "qmail");
	g_assert_cmpuint (q->line, ==, 10);
	g_assert_cmpstr (q->headers, ==,
	                 "Return-Path: <alice@example.net>\n"
	                 "Received: (qmail 12345 invoked from network); 14 May 2024 07:12:44 -0000\n"
	                 "Received: from client.example.net (HELO client) (198.51.100.23)\n"
	                 "  by mx.example.org with SMTP; 14 May 2024 07:12:44 -0000\n"
	                 "Message-ID: <20240514071244.12345@example.net>\n"
	                 "Date: Tue, 14 May 2024 09:12:44 +0200\n"
	                 "From: Alice <alice@example.net>\n"
	                 "To: nobody@example.org\n"
	                 "Subject: Lunch\n");
}

static const char exim_headers[] =
	"Return-path: <>\n"
	"From: Mail Delivery System <Mailer-Daemon@smtp.example.net>\n"
	"To: alice@example.net\n"
	"Subject: Mail delivery failed: returning message to sender\n"
	"X-Failed-Recipients: nobody@example.org\n"
	"Auto-Submitted: auto-replied\n";

static const char exim_text[] =
	"This message was created automatically by mail delivery software.\n"
	"\n"
	"A message that you sent could not be delivered to one or more of its\n"
	"recipients. This is a permanent error. The following address(es) failed:\n"
	"\n"
	"  nobody@example.org\n"
	"    host mx.example.org [192.0.2.25]\n"
	"    SMTP error from remote mail server after RCPT TO:<nobody@example.org>:\n"
	"    550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown\n"
	"\n"
	"------ This is a copy of the message, including all the headers. ------\n"
	"\n"
	"Return-path: <alice@example.net>\n"
	"Received: from [198.51.100.23] (helo=client.example.net)\n"
	"\tby smtp.example.net with esmtpa (Exim 4.96)\n"
	"\t(envelope-from <alice@example.net>)\n"
	"\tid 1s6pQx-0003Kd-2V\n"
	"\tfor nobody@example.org; Tue, 14 May 2024 09:12:44 +0200\n"
	"Message-ID: <abc123@example.net>\n"
	"Date: Tue, 14 May 2024 09:12:44 +0200\n"
	"From: Alice <alice@example.net>\n"
	"To: nobody@example.org\n"
	"Subject: Lunch\n"
	"\n"
	"See you at noon.\n";

static void
test_shipped_exim (void)
{
	g_autoptr (TextbounceFormats) f = load_shipped ();
	if (f == NULL)
		return;
	int family = identify (f, exim_headers, exim_text);
	g_assert_cmpint (family, >=, 0);
	g_assert_cmpstr (textbounce_family_name (f, family), ==, "exim");
	/* recognised by its wording alone, and by its header alone */
	g_assert_cmpint (identify (f, "From: someone@example.net\n", exim_text), ==, family);
	g_assert_cmpint (identify (f, "From: someone@example.net\nX-Failed-Recipients: x@example.org\n",
	                           "text\n"), ==, family);

	g_autoptr (TextbounceQuote) q = find (f, family, exim_text);
	g_assert_nonnull (q);
	g_assert_cmpstr (q->family, ==, "exim");
	g_assert_cmpuint (q->line, ==, 13);
	g_assert_true (g_str_has_prefix (q->headers, "Return-path: <alice@example.net>\n"
	                                             "Received: from [198.51.100.23] (helo=client.example.net)\n"
	                                             "\tby smtp.example.net with esmtpa (Exim 4.96)\n"));
	g_assert_true (g_str_has_suffix (q->headers, "Message-ID: <abc123@example.net>\n"
	                                             "Date: Tue, 14 May 2024 09:12:44 +0200\n"
	                                             "From: Alice <alice@example.net>\n"
	                                             "To: nobody@example.org\n"
	                                             "Subject: Lunch\n"));
}

static void
test_shipped_newsletter (void)
{
	g_autoptr (TextbounceFormats) f = load_shipped ();
	if (f == NULL)
		return;
	g_assert_cmpint (identify (f,
	                           "From: Shop News <news@shop.example>\n"
	                           "To: alice@example.net\n"
	                           "Subject: Spring offers inside\n"
	                           "Date: Tue, 14 May 2024 09:12:44 +0200\n",
	                           "Your delivery failed? Read our tips\n"
	                           "\n"
	                           "Parcels get lost. Here is how to track yours, and what to do\n"
	                           "when the courier leaves a note instead of your order.\n"
	                           "\n"
	                           "Unsubscribe: https://shop.example/u/123\n"), ==, -1);
}

static const char gmail_headers[] =
	"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
	"To: alice@example.net\n"
	"Subject: Delivery Status Notification (Failure)\n";

static const char gmail_text[] =
	"Delivery to the following recipient failed permanently:\n"
	"\n"
	"     nobody@example.org\n"
	"\n"
	"Technical details of permanent failure:\n"
	"The email account that you tried to reach does not exist.\n"
	"\n"
	"----- Original message -----\n"
	"\n"
	"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.net; s=s1;\n"
	"        h=from:to:subject; bh=abc=; b=def=\n"
	"Message-ID: <CAF0123@mail.gmail.com>\n"
	"Date: Tue, 14 May 2024 09:12:44 +0200\n"
	"From: Alice <alice@example.net>\n"
	"To: nobody@example.org\n"
	"Subject: Lunch\n"
	"\n"
	"See you at noon.\n";

/* Gmail's separator line is also matched by the separators of families
 * declared before it (virus, challenge): the quote must still be credited
 * to the recognised family, as textbounce.h's search order says. */
static void
test_shipped_gmail (void)
{
	g_autoptr (TextbounceFormats) f = load_shipped ();
	if (f == NULL)
		return;
	int family = identify (f, gmail_headers, gmail_text);
	g_assert_cmpint (family, >=, 0);
	g_assert_cmpstr (textbounce_family_name (f, family), ==, "gmail");

	g_autoptr (TextbounceQuote) q = find (f, family, gmail_text);
	g_assert_nonnull (q);
	g_assert_cmpuint (q->line, ==, 10);
	g_assert_true (g_str_has_prefix (q->headers, "DKIM-Signature: v=1;"));
	g_assert_nonnull (strstr (q->headers, "Message-ID: <CAF0123@mail.gmail.com>\n"));
	g_assert_cmpstr (q->family, ==, "gmail");
}

/* ---- loading ------------------------------------------------------------ */

static char *
make_dir (const char *const *names_and_texts)
{
	g_autoptr (GError) error = NULL;
	char *dir = g_dir_make_tmp ("test-textbounce-XXXXXX", &error);
	g_assert_no_error (error);
	for (guint i = 0; names_and_texts[i]; i += 2) {
		g_autofree char *path = g_build_filename (dir, names_and_texts[i], NULL);
		g_file_set_contents (path, names_and_texts[i + 1], -1, &error);
		g_assert_no_error (error);
	}
	return dir;
}

static void
remove_dir (const char *dir)
{
	g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
	const char *entry;
	while (d && (entry = g_dir_read_name (d))) {
		g_autofree char *path = g_build_filename (dir, entry, NULL);
		g_unlink (path);
	}
	g_rmdir (dir);
}

/* Files are read in name order, whatever order the directory lists them. */
static void
test_load_name_order (void)
{
	const char *files[] = {
		"50-e.formats", "family e ndr\n",
		"20-b.formats", "family b ndr\n",
		"40-d.formats", "family d ndr\n",
		"10-a.formats", "family a ndr\n",
		"30-c.formats", "family c ndr\n",
		"60-f.formats", "family f ndr\n",
		"notes.txt", "family z ndr\n",
		".hidden.formats", "family h ndr\n",
		NULL
	};
	g_autofree char *dir = make_dir (files);
	const char *dirs[] = { dir, NULL };
	g_autoptr (GError) error = NULL;
	g_autoptr (TextbounceFormats) f = textbounce_formats_load (dirs, &error);
	remove_dir (dir);

	g_assert_no_error (error);
	g_assert_nonnull (f);
	g_assert_cmpuint (textbounce_formats_count (f), ==, 6);
	GString *order = g_string_new (NULL);
	for (guint i = 0; i < 6; i++)
		g_string_append (order, textbounce_family_name (f, (int) i));
	g_autofree char *got = g_string_free (order, FALSE);
	g_assert_cmpstr (got, ==, "abcdef");
}

/* A file of a later directory replaces the file of the same name; missing
 * directories are skipped; errors name the file and line. */
static void
test_load_override_and_errors (void)
{
	const char *first[] = { "10-a.formats", "family old ndr\n", "20-b.formats", "family b ndr\n", NULL };
	const char *second[] = { "10-a.formats", "family new autoreply\n", NULL };
	g_autofree char *d1 = make_dir (first);
	g_autofree char *d2 = make_dir (second);
	const char *dirs[] = { d1, "/nonexistent/ndrsift-rules", d2, NULL };
	g_autoptr (GError) error = NULL;
	g_autoptr (TextbounceFormats) f = textbounce_formats_load (dirs, &error);
	g_assert_no_error (error);
	g_assert_nonnull (f);
	g_assert_cmpuint (textbounce_formats_count (f), ==, 2);
	g_assert_cmpstr (textbounce_family_name (f, 0), ==, "new");
	g_assert_cmpstr (textbounce_family_kind (f, 0), ==, "autoreply");
	g_assert_cmpstr (textbounce_family_name (f, 1), ==, "b");

	/* a family declared in two files */
	const char *dup[] = { "30-c.formats", "\nfamily b ndr\n", NULL };
	g_autofree char *d3 = make_dir (dup);
	const char *dirs2[] = { d1, d3, NULL };
	g_autoptr (TextbounceFormats) g = textbounce_formats_load (dirs2, &error);
	g_assert_null (g);
	g_assert_error (error, TEXTBOUNCE_ERROR, TEXTBOUNCE_ERROR_INVALID);
	g_autofree char *where = g_build_filename (d3, "30-c.formats:2: ", NULL);
	g_assert_true (g_str_has_prefix (error->message, where));
	g_assert_nonnull (strstr (error->message, "already declared"));

	remove_dir (d1);
	remove_dir (d2);
	remove_dir (d3);
}

/* The failed recipient: the one address a recipient pattern matches; none
 * when two matches disagree, when the match is no single address, or when
 * it is the bounce's own To; priority, not reading order, picks the family. */
static void
test_recipient (void)
{
	g_autoptr (TextbounceFormats) f = parse_ok (
		"family late ndr\npriority late 600\nbody late /^Hi/\n"
		"family q ndr\npriority q 100\nbody q /^Hi/\nrecipient q /^<[^<>\\s]+>:$/\n"
		"recipient q X-Failed /.+/\n");
	g_autoptr (HeaderBlock) h = headers_of ("To: alice@example.org\nX-Failed: bob@remote.example\n\n");
	const char *one = "Hi.\n<bob@remote.example>:\nno mailbox\n";
	g_assert_cmpint (textbounce_identify (f, h, one, strlen (one)), ==, 1);
	char *where = NULL;
	g_autofree char *r = textbounce_find_recipient (f, 1, h, one, strlen (one), &where);
	g_assert_cmpstr (r, ==, "bob@remote.example");
	g_assert_nonnull (where);
	g_free (where);
	const char *two = "Hi.\n<bob@remote.example>:\n<carol@remote.example>:\n";
	g_assert_null (textbounce_find_recipient (f, 1, h, two, strlen (two), &where));
	g_assert_null (where);
	const char *own = "Hi.\n<alice@example.org>:\n";
	g_autoptr (HeaderBlock) h2 = headers_of ("To: alice@example.org\n\n");
	g_assert_null (textbounce_find_recipient (f, 1, h2, own, strlen (own), &where));
	const char *bad = "Hi.\n<bob@localhost>:\n";
	g_assert_null (textbounce_find_recipient (f, 1, h2, bad, strlen (bad), &where));
	g_assert_null (textbounce_find_recipient (f, 0, h, one, strlen (one), &where));
}

/* ---- the shipped patterns, compiled at build time (src/prebuilt.h) ---- */

static gboolean
has_entry (const PrebuiltTable *t, const char *regex, gsize len, guint32 options)
{
	for (guint j = 0; j < t->n_entries; j++)
		if (t->entries[j].options == options && t->entries[j].regex_len == len &&
		    memcmp (t->blob + t->entries[j].regex_at, regex, len) == 0)
			return TRUE;
	return FALSE;
}

/* Every entry is what PCRE2 makes of its regex now, byte for byte, and
 * is found by its regex and options only; the table is in hash order. */
static void
test_prebuilt_entries (void)
{
	const PrebuiltTable *t = prebuilt_get ();
	g_assert_nonnull (t);
	g_assert_cmpuint (t->n_entries, >, 100);
	for (guint i = 0; i < t->n_entries; i++) {
		const PrebuiltEntry *e = &t->entries[i];
		const char *regex = (const char *) t->blob + e->regex_at;
		g_assert_cmpuint (e->hash, ==, prebuilt_hash (regex, e->regex_len, e->options));
		if (i > 0)
			g_assert_cmpuint (t->entries[i - 1].hash, <=, e->hash);
		int errcode;
		PCRE2_SIZE erroff;
		pcre2_code *fresh = pcre2_compile ((PCRE2_SPTR) regex, e->regex_len, e->options, &errcode, &erroff, NULL);
		g_assert_nonnull (fresh);
		const pcre2_code *codes[1] = { fresh };
		uint8_t *bytes;
		PCRE2_SIZE size;
		g_assert_cmpint (pcre2_serialize_encode (codes, 1, &bytes, &size, NULL), ==, 1);
		g_assert_cmpmem (bytes, size, t->blob + e->code_at, e->code_len);
		pcre2_serialize_free (bytes);
		pcre2_code_free (fresh);

		pcre2_code *found = prebuilt_code (regex, e->regex_len, e->options);
		g_assert_nonnull (found);
		pcre2_code_free (found);
		/* Another option bit, or a byte less: another entry or none. */
		guint32 flipped = e->options ^ PCRE2_DOTALL;
		pcre2_code *other = prebuilt_code (regex, e->regex_len, flipped);
		g_assert_true ((other != NULL) == has_entry (t, regex, e->regex_len, flipped));
		pcre2_code_free (other);
		other = prebuilt_code (regex, e->regex_len - 1, e->options);
		g_assert_true ((other != NULL) == has_entry (t, regex, e->regex_len - 1, e->options));
		pcre2_code_free (other);
	}
	g_assert_null (prebuilt_code ("no such (regex)", 15, 0));
}

static void
note_compile (const char *regex, gsize len, guint32 options, const void *code, gpointer data)
{
	g_ptr_array_add (data, g_strdup_printf ("/%.*s/ options %#x", (int) len, regex, options));
}

/* Loading the shipped files as `rules check` does compiles every pattern
 * of them: each comes from the table, none from PCRE2. */
static void
test_prebuilt_covers_shipped (void)
{
	const char *dir = g_getenv ("NDRSIFT_RULES");
	const char *dirs[] = { dir ? dir : "rules", NULL };
	g_autoptr (GPtrArray) compiled = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
	pattern_record_compiles (note_compile, compiled);
	g_autoptr (TextbounceFormats) formats = textbounce_formats_check (dirs, errors);
	guint count = 0;
	gboolean rules_ok = rules_check (dirs, errors, &count);
	pattern_record_compiles (NULL, NULL);
	g_assert_nonnull (formats);
	g_assert_true (rules_ok);
	g_assert_cmpuint (errors->len, ==, 0);
	g_assert_cmpuint (count, >, 0);
	for (guint i = 0; i < compiled->len; i++)
		g_test_message ("compiled, not prebuilt: %s", (const char *) g_ptr_array_index (compiled, i));
	g_assert_cmpuint (compiled->len, ==, 0);

	/* A regex of no shipped file is compiled, and said. */
	g_autoptr (GError) error = NULL;
	pattern_record_compiles (note_compile, compiled);
	Pattern *p = pattern_compile ("/not a shipped (pattern)/i", &error);
	pattern_record_compiles (NULL, NULL);
	g_assert_no_error (error);
	g_assert_cmpuint (compiled->len, ==, 1);
	g_assert_true (pattern_matches (p, "NOT A SHIPPED PATTERN", 21));
	pattern_free (p);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	bounce_init ();

	g_test_add_func ("/prebuilt/entries", test_prebuilt_entries);
	g_test_add_func ("/prebuilt/covers-shipped", test_prebuilt_covers_shipped);

	g_test_add_func ("/textbounce/parse/error-unknown-directive", test_error_unknown_directive);
	g_test_add_func ("/textbounce/parse/error-undeclared-family", test_error_undeclared_family);
	g_test_add_func ("/textbounce/parse/error-bad-kind", test_error_bad_kind);
	g_test_add_func ("/textbounce/parse/error-duplicate-family", test_error_duplicate_family);
	g_test_add_func ("/textbounce/parse/error-bad-regex", test_error_bad_regex);
	g_test_add_func ("/textbounce/parse/error-unknown-flag", test_error_unknown_flag);
	g_test_add_func ("/textbounce/parse/error-missing-pattern", test_error_missing_pattern);
	g_test_add_func ("/textbounce/parse/error-line-counts-comments", test_error_line_after_comments);
	g_test_add_func ("/textbounce/parse/comments-and-blank-lines-ignored", test_comments_and_blank_lines);

	g_test_add_func ("/textbounce/identify/subject", test_identify_subject);
	g_test_add_func ("/textbounce/identify/subject-decoded", test_identify_subject_decoded);
	g_test_add_func ("/textbounce/identify/from", test_identify_from);
	g_test_add_func ("/textbounce/identify/header-field", test_identify_header);
	g_test_add_func ("/textbounce/identify/body", test_identify_body);
	g_test_add_func ("/textbounce/identify/no-headers", test_identify_no_headers);
	g_test_add_func ("/textbounce/identify/first-family-in-file-order-wins",
	                 test_identify_first_in_file_order);
	g_test_add_func ("/textbounce/identify/body-file-order-not-text-order", test_identify_body_file_order);
	g_test_add_func ("/textbounce/identify/body-only-first-8k", test_identify_body_limit);
	g_test_add_func ("/textbounce/identify/no-families", test_identify_no_families);
	g_test_add_func ("/textbounce/identify/body-extended-comment", test_identify_body_extended_comment);

	g_test_add_func ("/textbounce/extract/separator-then-headers", test_extract_separator);
	g_test_add_func ("/textbounce/extract/quoted-prefix-removed", test_extract_quoted);
	g_test_add_func ("/textbounce/extract/indented", test_extract_indented);
	g_test_add_func ("/textbounce/extract/folded-continuations", test_extract_folded);
	g_test_add_func ("/textbounce/extract/blank-line-with-spaces-ends-block",
	                 test_extract_blank_line_with_spaces);
	g_test_add_func ("/textbounce/extract/mbox-from-line-skipped", test_extract_mbox_from_line);
	g_test_add_func ("/textbounce/extract/no-known-field-rejected", test_extract_no_known_field);
	g_test_add_func ("/textbounce/extract/message-id-only-accepted", test_extract_message_id_only);
	g_test_add_func ("/textbounce/extract/first-header-prefers-message-id",
	                 test_extract_first_header_fallback);
	g_test_add_func ("/textbounce/extract/first-header-line-one", test_extract_line_one);
	g_test_add_func ("/textbounce/extract/without-pattern-when-failure-known", test_extract_without_pattern);
	g_test_add_func ("/textbounce/extract/unnamed-blocks-that-disagree", test_extract_unnamed_disagree);
	g_test_add_func ("/textbounce/extract/never-inside-forwarded-mail", test_extract_forwarded);
	g_test_add_func ("/textbounce/extract/separator-before-first-header",
	                 test_extract_separator_before_first_header);
	g_test_add_func ("/textbounce/extract/separator-after-long-header-block",
	                 test_extract_separator_after_long_block);
	g_test_add_func ("/textbounce/extract/separator-after-many-header-paragraphs",
	                 test_extract_separator_after_many_paragraphs);
	g_test_add_func ("/textbounce/extract/separator-extended-comment",
	                 test_extract_separator_extended_comment);
	g_test_add_func ("/textbounce/extract/separator-backreference", test_extract_separator_backreference);
	g_test_add_func ("/textbounce/extract/recognised-family-separator-first",
	                 test_extract_recognised_family_first);
	g_test_add_func ("/textbounce/extract/recognised-family-separator-first-shared-line",
	                 test_extract_recognised_family_first_shared_line);
	g_test_add_func ("/textbounce/extract/wrapped-line-joined", test_extract_wrapped_line);
	g_test_add_func ("/textbounce/extract/line-number", test_extract_line_number);
	g_test_add_func ("/textbounce/extract/max-lines", test_extract_max_lines);
	g_test_add_func ("/textbounce/extract/null-or-empty-text", test_extract_null_empty);
	g_test_add_func ("/textbounce/recipient/one-or-none", test_recipient);

	g_test_add_func ("/textbounce/shipped/file-order", test_shipped_file_order);
	g_test_add_func ("/textbounce/shipped/qmail", test_shipped_qmail);
	g_test_add_func ("/textbounce/shipped/exim", test_shipped_exim);
	g_test_add_func ("/textbounce/shipped/gmail-separator-credited", test_shipped_gmail);
	g_test_add_func ("/textbounce/shipped/newsletter-no-family", test_shipped_newsletter);

	g_test_add_func ("/textbounce/load/name-order", test_load_name_order);
	g_test_add_func ("/textbounce/load/override-missing-dir-errors", test_load_override_and_errors);

	return g_test_run ();
}
