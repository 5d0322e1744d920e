/* Unit tests of mimesplit: the parts it reads (types, paths, where each
 * content starts and ends), what it refuses, and, for every message here
 * and every sample bounce, that bounce_parse (which uses it) and
 * bounce_parse_reference (GMime's tree only) give the same facts. */
#include <string.h>

#include "ndrsift/bounce.h"
#include "ndrsift/headers.h"
#include "ndrsift/limits.h"
#include "mimesplit.h"
#include "textbounce.h"

static TextbounceFormats *formats;

/* The split of an LF-only message, or NULL when refused. */
static MimeSplit *
split_of (const char *msg)
{
	gsize body;
	g_autoptr (HeaderBlock) h = headers_parse_message (msg, strlen (msg), &body);
	return mimesplit_parse (msg, strlen (msg), body);
}

static const MimeSplitPart *
part (const MimeSplit *s, guint i)
{
	g_assert_cmpuint (i, <, s->parts->len);
	return &g_array_index (s->parts, MimeSplitPart, i);
}

static char *
content (const char *msg, const MimeSplitPart *p)
{
	return g_strndup (msg + p->start, p->len);
}

/* Both parses of msg have the same facts. */
static void
assert_same_facts (const char *msg, gsize len)
{
	g_autoptr (Bounce) fast = bounce_parse (formats, msg, len);
	g_autoptr (Bounce) ref = bounce_parse_reference (formats, msg, len);
	g_autofree char *diff = bounce_diff (fast, ref);
	if (diff)
		g_test_message ("differs on:\n%.*s", (int) MIN (len, 2000), msg);
	g_assert_null (diff);
}

#define HEAD "From: MAILER-DAEMON@mx.remote.example\nTo: alice@example.com\n" \
             "Subject: Undelivered Mail\nMIME-Version: 1.0\n"

static const char report[] =
	HEAD
	"Content-Type: multipart/report; report-type=delivery-status;\n"
	"\tboundary=\"=_B1.x\"\n"
	"\n"
	"prologue\n"
	"--=_B1.x\n"
	"Content-Type: text/plain; charset=us-ascii\n"
	"Content-Description: Notification\n"
	"\n"
	"The mail system could not deliver it.\n"
	"\n"
	"--=_B1.x\n"
	"Content-Type: message/delivery-status\n"
	"\n"
	"Reporting-MTA: dns; mx.remote.example\n"
	"\n"
	"Final-Recipient: rfc822; dave@remote.example\n"
	"Action: failed\n"
	"Status: 5.1.1\n"
	"--=_B1.x  \n"
	"Content-Type: message/rfc822\n"
	"Content-Disposition: inline\n"
	"\n"
	"Received: from [203.0.113.9] by mx1.example.com; Fri, 27 Nov 2026 10:00:00 +0000\n"
	"Message-ID: <forged@example.com>\n"
	"From: alice@example.com\n"
	"\n"
	"spam\n"
	"--=_B1.x--\n"
	"epilogue\n";

static void
test_report_parts (void)
{
	g_autoptr (MimeSplit) s = split_of (report);
	g_assert_nonnull (s);
	g_assert_cmpuint (s->parts->len, ==, 4);
	const MimeSplitPart *top = part (s, 0);
	g_assert_true (top->multipart);
	g_assert_null (top->path);
	g_assert_cmpstr (top->report_type, ==, "delivery-status");
	g_assert_cmpstr (part (s, 1)->path, ==, "1");
	g_assert_cmpstr (part (s, 1)->subtype, ==, "plain");
	g_autofree char *text = content (report, part (s, 1));
	/* The line end before the boundary line belongs to the boundary. */
	g_assert_cmpstr (text, ==, "The mail system could not deliver it.\n");
	g_assert_cmpstr (part (s, 2)->subtype, ==, "delivery-status");
	g_autofree char *dsn = content (report, part (s, 2));
	g_assert_true (g_str_has_suffix (dsn, "Status: 5.1.1"));
	/* Blanks after a boundary are allowed. */
	const MimeSplitPart *orig = part (s, 3);
	g_assert_cmpstr (orig->path, ==, "3");
	g_assert_cmpuint (orig->depth, ==, 1);
	g_autofree char *quoted = content (report, orig);
	g_assert_true (g_str_has_prefix (quoted, "Received: from [203.0.113.9]"));
	g_assert_true (g_str_has_suffix (quoted, "\nspam"));
	assert_same_facts (report, strlen (report));
}

static const char nested[] =
	HEAD
	"Content-Type: Multipart/Mixed; boundary=outer\n"
	"\n"
	"--outer\n"
	"Content-Type: multipart/alternative; boundary=\"inner\"\n"
	"\n"
	"--inner\n"
	"Content-Type: text/plain\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"RGVsaXZlcnkgZmFpbGVkLgo=\n"
	"--inner\n"
	"Content-Type: text/html\n"
	"\n"
	"<p>Delivery failed.</p>\n"
	"--inner--\n"
	"inner epilogue\n"
	"--outer\n"
	"Content-Type: text/rfc822-headers\n"
	"\n"
	"Message-ID: <m1@example.com>\n"
	"--outer--\n";

static void
test_nested (void)
{
	g_autoptr (MimeSplit) s = split_of (nested);
	g_assert_nonnull (s);
	g_assert_cmpuint (s->parts->len, ==, 5);
	g_assert_cmpstr (part (s, 0)->type, ==, "Multipart"); /* as written */
	g_assert_cmpstr (part (s, 1)->path, ==, "1");
	g_assert_true (part (s, 1)->multipart);
	g_assert_cmpstr (part (s, 2)->path, ==, "1.1");
	g_assert_cmpuint (part (s, 2)->depth, ==, 2);
	g_assert_cmpint (part (s, 2)->encoding, ==, GMIME_CONTENT_ENCODING_BASE64);
	g_assert_cmpstr (part (s, 3)->path, ==, "1.2");
	g_assert_cmpstr (part (s, 4)->path, ==, "2");
	g_autofree char *h = content (nested, part (s, 4));
	g_assert_cmpstr (h, ==, "Message-ID: <m1@example.com>");
	assert_same_facts (nested, strlen (nested));
}

/* The inner multipart never closes: the outer boundary ends it, and the
 * part it was in. */
static void
test_unclosed_inner (void)
{
	static const char msg[] =
		HEAD
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"o\"\n"
		"\n"
		"--o\n"
		"Content-Type: multipart/alternative; boundary=\"i\"\n"
		"\n"
		"--i\n"
		"Content-Type: text/plain\n"
		"\n"
		"Your message could not be delivered.\n"
		"--o\n"
		"Content-Type: message/delivery-status\n"
		"\n"
		"Final-Recipient: rfc822; bob@remote.example\n"
		"Status: 5.1.1\n"
		"--o--\n";
	g_autoptr (MimeSplit) s = split_of (msg);
	g_assert_nonnull (s);
	g_assert_cmpuint (s->parts->len, ==, 4);
	g_autofree char *text = content (msg, part (s, 2));
	g_assert_cmpstr (text, ==, "Your message could not be delivered.");
	g_assert_cmpstr (part (s, 3)->path, ==, "2");
	assert_same_facts (msg, strlen (msg));
}

static void
test_digest_and_eof (void)
{
	/* A part of a digest without Content-Type is message/rfc822; the
	 * last part runs to the end when no boundary closes it. */
	static const char msg[] =
		HEAD
		"Content-Type: multipart/digest; boundary=d\n"
		"\n"
		"--d\n"
		"\n"
		"Message-ID: <d1@example.com>\n"
		"From: alice@example.com\n"
		"\n"
		"body\n"
		"--d\n"
		"Content-Type: text/plain\n"
		"\n"
		"cut short";
	g_autoptr (MimeSplit) s = split_of (msg);
	g_assert_nonnull (s);
	g_assert_cmpuint (s->parts->len, ==, 3);
	g_assert_cmpstr (part (s, 1)->type, ==, "message");
	g_assert_cmpstr (part (s, 1)->subtype, ==, "rfc822");
	g_autofree char *last = content (msg, part (s, 2));
	g_assert_cmpstr (last, ==, "cut short");
	assert_same_facts (msg, strlen (msg));
}

/* A message of one part: its body is the content. */
static void
test_single_part (void)
{
	static const char *const cases[] = {
		HEAD "\nno Content-Type at all\n",
		HEAD "Content-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: base64\n\n"
		     "VGhpcyBpcyB0aGUgbWFpbCBzeXN0ZW0uCg==\n",
		HEAD "Content-Type: TEXT/HTML\n\n<p>Undeliverable</p>\n",
		HEAD "Content-Type: message/rfc822\n\nMessage-ID: <whole@example.com>\n\nbody\n",
		HEAD "Content-Type: application/octet-stream; name=\"returned.eml\"\n\n"
		     "Message-ID: <att@example.com>\n\nbody\n",
		HEAD "Content-Type: text/plain\n\n", /* no body */
	};
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr (MimeSplit) s = split_of (cases[i]);
		g_assert_nonnull (s);
		g_assert_cmpuint (s->parts->len, ==, 1);
		const MimeSplitPart *p = part (s, 0);
		g_assert_false (p->multipart);
		g_assert_cmpuint (p->start + p->len, ==, strlen (cases[i]));
		g_assert_true (g_str_has_prefix (cases[i] + p->start - 1, "\n"));
		assert_same_facts (cases[i], strlen (cases[i]));
	}
}

/* A broken bouncer's part whose own header quotes the original. */
static void
test_header_quote (void)
{
	static const char msg[] =
		HEAD
		"Content-Type: multipart/mixed; boundary=q\n"
		"\n"
		"--q\n"
		"Content-Type: text/plain\n"
		"\n"
		"Delivery has failed to these recipients: bob@remote.example\n"
		"--q\n"
		"Received: from [203.0.113.9] by mx.example.com; Fri, 27 Nov 2026 10:00:00 +0000\n"
		"Message-ID: <quoted@example.com>\n"
		"From: alice@example.com\n"
		"Content-Type: text/plain\n"
		"\n"
		"spam\n"
		"--q--\n";
	g_autoptr (MimeSplit) s = split_of (msg);
	g_assert_nonnull (s);
	g_assert_true (part (s, 2)->header_is_original);
	assert_same_facts (msg, strlen (msg));
	g_autoptr (Bounce) b = bounce_parse (formats, msg, strlen (msg));
	g_assert_nonnull (b->original);
	g_assert_cmpstr (b->original->message_id, ==, "<quoted@example.com>");
}

/* What is left to GMime, each for its reason; the facts are the same. */
static void
test_refused (void)
{
	static const char *const cases[] = {
		/* a comment, RFC 2231, an encoded word, a backslash */
		HEAD "Content-Type: text/plain; charset=us-ascii (plain)\n\nhello\n",
		HEAD "Content-Type: multipart/mixed (x); boundary=b\n\n--b\n\nt\n--b--\n",
		HEAD "Content-Type: multipart/mixed; boundary*=us-ascii''b\n\n--b\n\nt\n--b--\n",
		HEAD "Content-Type: multipart/mixed; boundary=\"=?utf-8?q?b?=\"\n\n--b\n\nt\n--b--\n",
		HEAD "Content-Type: multipart/mixed; boundary=\"b\\\"\"\n\n--b\"\n\nt\n--b\"--\n",
		/* no boundary, an empty one, one with a space, a second Content-Type */
		HEAD "Content-Type: multipart/mixed\n\n--b\n\nt\n--b--\n",
		HEAD "Content-Type: multipart/mixed; boundary=\"\"\n\n--\n\nt\n----\n",
		HEAD "Content-Type: multipart/mixed; boundary=\"From b\"\n\n--From b\n\nt\n--From b--\n",
		HEAD "Content-Type: multipart/mixed; boundary=b\nContent-Type: text/plain\n\n--b\n\nt\n--b--\n",
		/* the boundary never comes (the walk looks for the real one) */
		HEAD "Content-Type: multipart/mixed; boundary=b\n\n--c\n\nt\n--c--\n",
		/* a part header line that is no field, one folded first */
		HEAD "Content-Type: multipart/mixed; boundary=b\n\n--b\nno field here\n\nt\n--b--\n",
		HEAD "Content-Type: multipart/mixed; boundary=b\n\n--b\n folded\n\nt\n--b--\n",
		/* uuencode, an unknown message/ type, an empty content */
		HEAD "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Transfer-Encoding: x-uuencode\n\nt\n--b--\n",
		HEAD "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/external-body\n\nt\n--b--\n",
		HEAD "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n--b--\n",
		/* a vertical tab after the boundary */
		HEAD "Content-Type: multipart/mixed; boundary=b\n\n--b\v\n\nt\n--b--\n",
		/* an outer boundary in an inner prologue */
		HEAD "Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/mixed; boundary=i\n\n--o\n\nt\n--o--\n",
	};
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr (MimeSplit) s = split_of (cases[i]);
		if (s)
			g_test_message ("case %u not refused", i);
		g_assert_null (s);
		assert_same_facts (cases[i], strlen (cases[i]));
	}
}

/* The depth the walk visits and the parts it counts are GMime's to note. */
static void
test_bounds_left_to_gmime (void)
{
	g_autoptr (GString) deep = g_string_new (HEAD);
	for (int i = 0; i < NS_MAX_MIME_DEPTH + 2; i++)
		g_string_append_printf (deep, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i);
	g_string_append (deep, "Content-Type: text/plain\n\ndeep\n");
	g_autoptr (MimeSplit) s = split_of (deep->str);
	g_assert_null (s);
	assert_same_facts (deep->str, deep->len);

	g_autoptr (GString) many = g_string_new (HEAD "Content-Type: multipart/mixed; boundary=b\n\n");
	for (int i = 0; i < NS_MAX_MIME_PARTS + 2; i++)
		g_string_append (many, "--b\nContent-Type: text/plain\n\nx\n");
	g_string_append (many, "--b--\n");
	g_autoptr (MimeSplit) m = split_of (many->str);
	g_assert_null (m);
	assert_same_facts (many->str, many->len);
}

/* Boundary-like lines in every place, long lines around them, CRLF and
 * CR-only forms: both parses agree on all. */
static void
test_variations (void)
{
	static const char *const lines[] = {
		"--b", "--b ", "--b\t", "--b--", "--b-- ", "--bx", "--b--x", "-- b", "--B",
		"--b\f", "---b", "--", "--b--\t--", "--o", "--o--", "--o ",
	};
	static const char *const eols[] = { "\n", "\r\n", "\r" };
	guint n = 0;
	for (guint l = 0; l < G_N_ELEMENTS (lines); l++)
		for (guint where = 0; where < 5; where++)
			for (guint e = 0; e < G_N_ELEMENTS (eols); e++) {
				g_autoptr (GString) m = g_string_new (HEAD);
				g_string_append (m, "Content-Type: multipart/mixed; boundary=o\n\n");
				if (where == 0)
					g_string_append_printf (m, "%s\n", lines[l]);
				g_string_append (m, "--o\nContent-Type: multipart/alternative; boundary=b\n\n");
				if (where == 1)
					g_string_append_printf (m, "%s\n", lines[l]);
				g_string_append (m, "--b\nContent-Type: text/plain\n\nline one\n");
				if (where == 2)
					g_string_append_printf (m, "%s\n", lines[l]);
				g_string_append (m, "line two\n--b--\n");
				if (where == 3)
					g_string_append_printf (m, "%s\n", lines[l]);
				g_string_append (m, "--o\nContent-Type: text/plain\n\nsecond\n");
				if (where == 4)
					g_string_append_printf (m, "%s", lines[l]); /* at the end, no line end */
				else
					g_string_append (m, "--o--\n");
				g_auto (GStrv) split = g_strsplit (m->str, "\n", -1);
				g_autofree char *text = g_strjoinv (eols[e], split);
				assert_same_facts (text, strlen (text));
				n++;
			}
	/* Lines longer than GMime's read buffer, with boundary text in them. */
	for (gsize len = 4000; len < 9000; len += 509) {
		g_autoptr (GString) m = g_string_new (HEAD "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
		                                      "Content-Type: text/plain\n\n");
		for (gsize i = 0; i < len; i++)
			g_string_append_c (m, i % 97 == 96 ? '\n' : 'a' + i % 26);
		g_string_append (m, "--b\nxx");
		for (gsize i = 0; i < len; i++)
			g_string_append_c (m, 'z');
		g_string_append (m, "--b\n\n--b\nContent-Type: text/plain\n\nafter\n--b--\n");
		assert_same_facts (m->str, m->len);
		n++;
	}
	g_assert_cmpuint (n, >, 200);
}

/* Every sample bounce: the same facts both ways, and most of the
 * multiparts among them really are read by mimesplit. */
static void
test_samples (void)
{
	const char *top = g_getenv ("top_srcdir");
	g_autofree char *root = g_build_filename (top ? top : ".", "samples", "bounces", NULL);
	static const char *const subdirs[] = { "", "crlf", "cr" };
	guint files = 0, split = 0;
	for (guint d = 0; d < G_N_ELEMENTS (subdirs); d++) {
		g_autofree char *dirname = g_build_filename (root, subdirs[d], NULL);
		g_autoptr (GDir) dir = g_dir_open (dirname, 0, NULL);
		g_assert_nonnull (dir);
		const char *name;
		while ((name = g_dir_read_name (dir))) {
			if (!g_str_has_suffix (name, ".eml"))
				continue;
			g_autofree char *path = g_build_filename (dirname, name, NULL);
			g_autofree char *data = NULL;
			gsize len;
			g_assert_true (g_file_get_contents (path, &data, &len, NULL));
			assert_same_facts (data, len);
			files++;
			if (d == 0) {
				g_autoptr (MimeSplit) s = split_of (data);
				split += s != NULL;
			}
		}
	}
	g_test_message ("%u sample files, %u read by mimesplit", files, split);
	g_assert_cmpuint (files, >=, 25);
	g_assert_cmpuint (split, >=, 12);
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

	g_test_add_func ("/mimesplit/report-parts-and-windows", test_report_parts);
	g_test_add_func ("/mimesplit/nested-paths", test_nested);
	g_test_add_func ("/mimesplit/outer-boundary-closes-inner", test_unclosed_inner);
	g_test_add_func ("/mimesplit/digest-default-and-cut-short", test_digest_and_eof);
	g_test_add_func ("/mimesplit/single-part", test_single_part);
	g_test_add_func ("/mimesplit/part-header-quotes-original", test_header_quote);
	g_test_add_func ("/mimesplit/refused-left-to-gmime", test_refused);
	g_test_add_func ("/mimesplit/bounds-left-to-gmime", test_bounds_left_to_gmime);
	g_test_add_func ("/mimesplit/same-facts/boundary-variations", test_variations);
	g_test_add_func ("/mimesplit/same-facts/samples", test_samples);
	int rc = g_test_run ();
	textbounce_formats_free (formats);
	g_mime_shutdown ();
	return rc;
}
