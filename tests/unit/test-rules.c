/* test-rules — the *.rules language (include/ndrsift/rules.h):
 *
 *   - rules_parse() errors, each naming file:line: unknown directive, bad
 *     rule name, header without =~/!~, bad target space, bad regex, unknown
 *     eval builtin (the message lists the known ones), meta naming an
 *     undefined or a later rule, meta syntax errors, nesting deeper than
 *     NS_MAX_META_DEPTH, bad scores, score/describe of a rule no file
 *     defines, a duplicate rule;
 *   - score and describe: the last line read wins, also before the
 *     definition; the default score; "__" sub-rules score 0, not listed;
 *   - evaluation over Bounces parsed from small hand-written messages
 *     (bounce_parse, no *.formats: multipart/report only): header rules on
 *     the bounce, original: and dsn: targets (per-recipient fields match
 *     any recipient), !~, absent targets never fire, body rules with ^/$
 *     as line anchors, eval rules reading EvalResults, metas with
 *     precedence (! over && over ||) and parentheses;
 *   - a pathological regex stops at the PCRE2 match limit, promptly, and
 *     does not fire.
 *
 * Assertions are non-fatal: a failing check is reported and the others
 * still run. */
#include <gmime/gmime.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "ndrsift/bounce.h"
#include "ndrsift/config.h"
#include "ndrsift/limits.h"
#include "pattern.h"
#include "rulefiles.h"
#include "ndrsift/rules.h"
#include "textbounce.h"

/* A failed check: reported in the log (every one of them, as TAP
 * comments) and marking the test failed (on one line: the reason of its
 * "not ok"), without stopping it. */
#define FAIL(...)                                                                       \
	do {                                                                                \
		char *fail_msg_ = g_strdup_printf (__VA_ARGS__);                                \
		g_test_message ("FAIL: %s", fail_msg_);                                         \
		g_test_fail_printf ("%s", g_strdelimit (fail_msg_, "\n", ' '));                \
		g_free (fail_msg_);                                                             \
	} while (0)

#define REQUIRE(cond)                                                                   \
	do {                                                                                \
		if (!(cond)) {                                                                  \
			g_test_fail_printf ("%s:%d: required: %s", __FILE__, __LINE__, #cond);      \
			return;                                                                     \
		}                                                                               \
	} while (0)

/* ---- helpers ------------------------------------------------------------ */

/* Parses text as file "t.rules"; asserts it fails with a message that
 * starts with "t.rules:LINE: " and contains every NULL-terminated word. */
static void
expect_error_at (const char *text, guint line, ...)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (Rules) rules = rules_parse ("t.rules", text, &error);
	if (rules != NULL || error == NULL) {
		FAIL ("parsed without error: %s", text);
		return;
	}
	g_autofree char *prefix = g_strdup_printf ("t.rules:%u: ", line);
	if (!g_str_has_prefix (error->message, prefix))
		FAIL ("%s\n  error \"%s\" does not start with \"%s\"", text, error->message, prefix);
	va_list ap;
	va_start (ap, line);
	for (const char *w; (w = va_arg (ap, const char *));)
		if (strstr (error->message, w) == NULL)
			FAIL ("%s\n  error \"%s\" does not mention \"%s\"", text, error->message, w);
	va_end (ap);
}

static Rules *
parse_ok (const char *text)
{
	g_autoptr (GError) error = NULL;
	Rules *rules = rules_parse ("t.rules", text, &error);
	if (error)
		FAIL ("%s\n  unexpected error: %s", text, error->message);
	return rules;
}

/* Index of the rule called name, or -1. */
static int
find_rule (const Rules *rules, const char *name)
{
	for (guint i = 0; i < rules_count (rules); i++) {
		RuleInfo r;
		rules_get (rules, i, &r);
		if (strcmp (r.name, name) == 0)
			return (int) i;
	}
	return -1;
}

static double
score_of (const Rules *rules, const char *name)
{
	int i = find_rule (rules, name);
	if (i < 0) {
		FAIL ("no rule %s", name);
		return -9999;
	}
	RuleInfo r;
	rules_get (rules, i, &r);
	return r.score;
}

static const char *
describe_of (const Rules *rules, const char *name)
{
	int i = find_rule (rules, name);
	if (i < 0)
		return NULL;
	RuleInfo r;
	rules_get (rules, i, &r);
	return r.describe;
}

static const RuleResult *
result_of (GArray *results, const char *name)
{
	for (guint i = 0; results && i < results->len; i++) {
		const RuleResult *r = &g_array_index (results, RuleResult, i);
		if (strcmp (r->name, name) == 0)
			return r;
	}
	return NULL;
}

/* Asserts that rule name fired (or not) in results. */
#define FIRED(results, name, want) check_fired (results, name, want, __LINE__)
static void
check_fired (GArray *results, const char *name, gboolean want, int line)
{
	const RuleResult *r = result_of (results, name);
	if (r == NULL) {
		FAIL ("line %d: no result for %s", line, name);
		return;
	}
	if (!r->fired != !want)
		FAIL ("line %d: %s %s, expected it %s (fact: %s)", line, name,
		                    r->fired ? "fired" : "did not fire", want ? "to fire" : "not to",
		                    r->fact ? r->fact : "-");
}

static Bounce *
parse_message (const char *text)
{
	return bounce_parse (NULL, text, strlen (text));
}

/* A delivery-status bounce with two recipients and a quoted original. */
static const char dsn[] =
	"Received: from mx.remote.example (mx.remote.example [198.51.100.7])\n"
	"\tby mx1.example.com (Postfix) with ESMTP id 4Zq1\n"
	"\tfor <alice@example.com>; Fri, 27 Nov 2026 10:00:09 +0000 (UTC)\n"
	"From: MAILER-DAEMON@mx.remote.example (Mail Delivery System)\n"
	"To: alice@example.com\n"
	"Date: Fri, 27 Nov 2026 10:00:08 +0000\n"
	"Subject: Undelivered Mail Returned to Sender\n"
	"X-Loop: =?utf-8?q?caf=C3=A9?=\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B1\"\n"
	"\n"
	"--B1\n"
	"Content-Type: text/plain\n"
	"\n"
	"This is the mail system at host mx.remote.example.\n"
	"\n"
	"<dave@remote.example>: host store.remote.example said: 550 5.1.1 User unknown\n"
	"<erin@remote.example>: host store.remote.example said: 552 5.2.2 Mailbox full\n"
	"--B1\n"
	"Content-Type: message/delivery-status\n"
	"\n"
	"Reporting-MTA: dns; mx.remote.example\n"
	"Arrival-Date: Fri, 27 Nov 2026 10:00:02 +0000 (UTC)\n"
	"\n"
	"Final-Recipient: rfc822; dave@remote.example\n"
	"Action: failed\n"
	"Status: 5.1.1\n"
	"Diagnostic-Code: smtp; 550 5.1.1 User unknown\n"
	"\n"
	"Final-Recipient: rfc822; erin@remote.example\n"
	"Action: failed\n"
	"Status: 5.2.2\n"
	"Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\n"
	"--B1\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"Received: from laptop.example.com (laptop.example.com [192.0.2.55])\n"
	"\tby out.example.com (Postfix) with ESMTPSA id 4Xb2\n"
	"\tfor <dave@remote.example>; Fri, 27 Nov 2026 10:00:01 +0000 (UTC)\n"
	"Message-ID: <20261127100001.4Xb2@example.com>\n"
	"From: Alice <alice@example.com>\n"
	"To: dave@remote.example, erin@remote.example\n"
	"Subject: Agenda for Thursday\n"
	"\n"
	"Agenda: the storage migration plan.\n"
	"--B1--\n";

/* The same report without an original. */
static const char dsn_bare[] =
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
	"Delivery failed.\n"
	"--B1\n"
	"Content-Type: message/delivery-status\n"
	"\n"
	"Reporting-MTA: dns; mx.remote.example\n"
	"\n"
	"Final-Recipient: rfc822; dave@remote.example\n"
	"Action: failed\n"
	"Status: 5.1.1\n"
	"--B1--\n";

/* ---- parse errors ---------------------------------------------------------- */

static void
test_error_unknown_directive (void)
{
	expect_error_at ("# a comment\n\nfrobnicate FOO bar\n", 3, "frobnicate", NULL);
	expect_error_at ("header A Subject =~ /x/\nheaders B Subject =~ /x/\n", 2, "headers", NULL);
}

static void
test_error_bad_name (void)
{
	expect_error_at ("header BAD-NAME Subject =~ /x/\n", 1, NULL);
	expect_error_at ("\n\nbody\n", 3, NULL);
	expect_error_at ("eval A.B no_original()\n", 1, NULL);
	expect_error_at ("score BAD!NAME 1.0\n", 1, NULL);
}

static void
test_error_header_syntax (void)
{
	expect_error_at ("header A Subject /x/\n", 1, "A", "=~", NULL);
	expect_error_at ("# c\nheader A Subject\n", 2, "=~", NULL);
	expect_error_at ("header A Subject == /x/\n", 1, NULL);
	expect_error_at ("header A\n", 1, NULL);
	/* The pattern itself must be /re/flags. */
	expect_error_at ("header A Subject =~ x\n", 1, NULL);
	expect_error_at ("header A Subject =~\n", 1, NULL);
	expect_error_at ("header A Subject =~ /x/q\n", 1, NULL);
}

static void
test_error_target_space (void)
{
	expect_error_at ("header A orig:Message-ID =~ /x/\n", 1, "orig:Message-ID", NULL);
	expect_error_at ("header A bounce:Subject =~ /x/\n", 1, NULL);
	expect_error_at ("\nheader A original: =~ /x/\n", 2, NULL);
	expect_error_at ("header A dsn: =~ /x/\n", 1, NULL);
}

static void
test_error_bad_regex (void)
{
	expect_error_at ("header OK Subject =~ /fine/i\nheader A Subject =~ /(unclosed/\n", 2, NULL);
	expect_error_at ("body A /[a-/\n", 1, NULL);
	expect_error_at ("header A original:Subject !~ /a{2,1}/\n", 1, NULL);
}

static void
test_error_unknown_eval (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (Rules) rules = rules_parse ("t.rules", "\neval A no_such_test()\n", &error);
	g_assert_null (rules);
	REQUIRE (error != NULL);
	g_assert_true (g_str_has_prefix (error->message, "t.rules:2: "));
	g_assert_nonnull (strstr (error->message, "no_such_test"));
	/* It lists every known builtin. */
	for (int i = 0; i < EVAL_COUNT; i++) {
		const char *name = rules_builtin_name (i);
		g_assert_nonnull (name);
		if (name && !strstr (error->message, name))
			FAIL ("the message does not list %s: %s", name, error->message);
	}
	g_assert_null (rules_builtin_name (EVAL_COUNT));
	/* A known name needs its "()". */
	expect_error_at ("eval A sentlog_msgid_ours\n", 1, NULL);
	expect_error_at ("eval A sentlog_msgid_ours(1)\n", 1, NULL);
	expect_error_at ("eval A\n", 1, NULL);
}

static void
test_error_meta_names (void)
{
	/* Undefined. */
	expect_error_at ("header A Subject =~ /x/\nmeta M A && NOPE\n", 2, "NOPE", NULL);
	/* Defined later: no forward references, so no cycles. */
	expect_error_at ("meta M A\nheader A Subject =~ /x/\n", 1, "A", NULL);
	/* Itself. */
	expect_error_at ("meta M M\n", 1, NULL);
}

static void
test_error_meta_syntax (void)
{
	static const char *const bad[] = {
		"A &&", "(A", "A B", ")", "A )", "()", "", "!", "&& A", "A || || B", "A & B", "A | B",
		"A && (B", "A) || (B", "A !B", "(A))", "A &&& B",
	};
	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autofree char *text =
			g_strdup_printf ("header A Subject =~ /x/\nheader B Subject =~ /y/\n\nmeta M %s\n", bad[i]);
		expect_error_at (text, 4, "meta", NULL);
	}
	/* The same shapes, well formed. */
	static const char *const good[] = {
		"A && B", "(A)", "!A", "!(A || B)", "((A)) && !!B", "A||B&&!A", "  A  ",
	};
	for (guint i = 0; i < G_N_ELEMENTS (good); i++) {
		g_autofree char *text =
			g_strdup_printf ("header A Subject =~ /x/\nheader B Subject =~ /y/\nmeta M %s\n", good[i]);
		g_autoptr (Rules) r = parse_ok (text);
		g_assert_nonnull (r);
	}
}

static void
test_error_meta_depth (void)
{
	/* NS_MAX_META_DEPTH levels of parentheses load; one more does not. */
	for (int extra = 0; extra <= 1; extra++) {
		int depth = NS_MAX_META_DEPTH + extra;
		g_autoptr (GString) text = g_string_new ("header A Subject =~ /x/\nmeta M ");
		for (int i = 0; i < depth; i++)
			g_string_append_c (text, '(');
		g_string_append (text, "A");
		for (int i = 0; i < depth; i++)
			g_string_append_c (text, ')');
		g_string_append_c (text, '\n');
		if (extra) {
			g_autofree char *n = g_strdup_printf ("%d", NS_MAX_META_DEPTH);
			expect_error_at (text->str, 2, "deeper", n, NULL);
		} else {
			g_autoptr (Rules) r = parse_ok (text->str);
			g_assert_nonnull (r);
		}
	}
	/* Far deeper, in every shape: an error, never a crash. */
	g_autoptr (GString) deep = g_string_new ("header A Subject =~ /x/\nmeta M ");
	for (int i = 0; i < 1000; i++)
		g_string_append (deep, "!(A || ");
	g_string_append (deep, "A");
	for (int i = 0; i < 1000; i++)
		g_string_append_c (deep, ')');
	expect_error_at (deep->str, 2, NULL);
	g_autoptr (GString) nots = g_string_new ("header A Subject =~ /x/\nmeta M ");
	for (int i = 0; i < 1000; i++)
		g_string_append_c (nots, '!');
	g_string_append (nots, "A\n");
	g_autoptr (GError) error = NULL;
	g_autoptr (Rules) r = rules_parse ("t.rules", nots->str, &error);
	g_assert_true (r != NULL || error != NULL);
}

static void
test_error_score (void)
{
	static const char *const bad[] = {
		"abc", "", "NaN", "nan", "inf", "-inf", "1e9", "1001", "-1000.5", "5x", "5 6", "0x", "--1",
	};
	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autofree char *text = g_strdup_printf ("header A Subject =~ /x/\nscore A %s\n", bad[i]);
		expect_error_at (text, 2, "A", NULL);
	}
	/* The bounds themselves are numbers. */
	g_autoptr (Rules) r = parse_ok ("header A Subject =~ /x/\nheader B Subject =~ /x/\n"
	                                "score A -1000\nscore B 1000.0\n");
	REQUIRE (r != NULL);
	g_assert_cmpfloat (score_of (r, "A"), ==, -1000.0);
	g_assert_cmpfloat (score_of (r, "B"), ==, 1000.0);
}

static void
test_error_undefined_score_describe (void)
{
	expect_error_at ("header A Subject =~ /x/\n\nscore NOPE 1.0\n", 3, "NOPE", NULL);
	expect_error_at ("header A Subject =~ /x/\ndescribe NOPE Something\n", 2, "NOPE", NULL);
}

static void
test_error_duplicate (void)
{
	expect_error_at ("header A Subject =~ /x/\nbody B /y/\n# c\nbody A /z/\n", 4, "A", "t.rules:1", NULL);
	expect_error_at ("eval A no_original()\nmeta A A\n", 2, NULL);
}

static void
test_error_long_line (void)
{
	g_autoptr (GString) text = g_string_new ("header A Subject =~ /x/\nheader B Subject =~ /");
	for (int i = 0; i < NS_MAX_RULE_LINE; i++)
		g_string_append_c (text, 'x');
	g_string_append (text, "/\n");
	expect_error_at (text->str, 2, NULL);
	/* A bound, not a wrong rule: its own code, from the shared line reader. */
	g_autoptr (GError) error = NULL;
	g_assert_null (rules_parse ("t.rules", text->str, &error));
	g_assert_error (error, RULES_ERROR, RULES_ERROR_LIMIT);
	g_clear_error (&error);
	g_assert_null (rules_parse ("t.rules", "header A Subject =~ /x/\nfrobnicate B\n", &error));
	g_assert_error (error, RULES_ERROR, RULES_ERROR_INVALID);
}

/* ---- score and describe ------------------------------------------------- */

static void
test_score_describe_override (void)
{
	g_autoptr (Rules) r = parse_ok (
		"score    A 2.5\n"                 /* before the definition */
		"describe A first words\n"
		"header   A Subject =~ /x/\n"
		"score    A 3.5\n"
		"describe A the last words\n"
		"body     B /y/\n"                 /* no score: 1.0 */
		"eval     C no_original()\n"
		"score    C -1.5\r\n"              /* CRLF rule files */
		"header   __SUB Subject =~ /z/\n"
		"meta     D __SUB && A\n"
		"describe D a meta\n"
		"score    A 4.0   \n");            /* the last wins, trailing blanks */
	REQUIRE (r != NULL);
	g_assert_cmpuint (rules_count (r), ==, 5);
	g_assert_cmpfloat (score_of (r, "A"), ==, 4.0);
	g_assert_cmpstr (describe_of (r, "A"), ==, "the last words");
	g_assert_cmpfloat (score_of (r, "B"), ==, 1.0);
	g_assert_null (describe_of (r, "B"));
	g_assert_cmpfloat (score_of (r, "C"), ==, -1.5);
	g_assert_cmpfloat (score_of (r, "__SUB"), ==, 0.0);
	g_assert_cmpfloat (score_of (r, "D"), ==, 1.0);
	g_assert_cmpstr (describe_of (r, "D"), ==, "a meta");

	/* Reading order is kept; the definition is the line as written. */
	RuleInfo info;
	rules_get (r, 0, &info);
	g_assert_cmpstr (info.name, ==, "A");
	g_assert_nonnull (strstr (info.definition, "Subject =~ /x/"));
	rules_get (r, 4, &info);
	g_assert_cmpstr (info.name, ==, "D");
}

static void
test_subrules_not_listed (void)
{
	g_autoptr (Rules) r = parse_ok ("header __SUB Subject =~ /^Undelivered/\n"
	                                "eval __EV no_original()\n"
	                                "meta HIT __SUB && !__EV\n"
	                                "score HIT 2.0\n");
	REQUIRE (r != NULL);
	g_autoptr (Bounce) b = parse_message (dsn);
	GArray *res = rules_evaluate (r, b, NULL, TRUE);
	const RuleResult *sub = result_of (res, "__SUB");
	const RuleResult *hit = result_of (res, "HIT");
	g_assert_nonnull (sub);
	g_assert_nonnull (hit);
	if (sub && hit) {
		g_assert_true (sub->fired);
		g_assert_false (sub->listed);
		g_assert_cmpfloat (sub->score, ==, 0.0);
		g_assert_true (hit->fired);
		g_assert_true (hit->listed);
		g_assert_cmpfloat (hit->score, ==, 2.0);
		g_assert_false (result_of (res, "__EV")->listed);
	}
	rules_results_free (res);
}

/* ---- evaluation ------------------------------------------------------- */

static const char eval_rules[] =
	/* the bounce's own header */
	"header SUBJ           Subject =~ /^Undelivered Mail/\n"
	"header SUBJ_CASE      subject =~ /returned to sender$/i\n"
	"header SUBJ_NOMATCH   Subject =~ /^Hello/\n"
	"header SUBJ_NEG       Subject !~ /^Hello/\n"
	"header SUBJ_NEG_MATCH Subject !~ /^Undelivered/\n"
	"header DECODED        X-Loop =~ /^café$/\n"
	"header ABSENT         X-Nowhere =~ /.*/\n"
	"header ABSENT_NEG     X-Nowhere !~ /x/\n"
	/* the original */
	"header ORIG_ID        original:Message-ID =~ /4Xb2@example\\.com>/\n"
	"header ORIG_SUBJ      original:Subject =~ /^Agenda/\n"
	"header ORIG_NOT_BOUNCE original:Subject =~ /^Undelivered/\n"
	"header BOUNCE_NOT_ORIG Subject =~ /^Agenda/\n"
	"header ORIG_ABSENT_NEG original:X-Nowhere !~ /x/\n"
	"header ORIG_NEG       original:From !~ /example\\.com/\n"
	/* the report */
	"header DSN_STATUS1    dsn:Status =~ /^5\\.1\\.1$/\n"
	"header DSN_STATUS2    dsn:Status =~ /^5\\.2\\.2$/\n"
	"header DSN_STATUS4    dsn:Status =~ /^4\\./\n"
	"header DSN_NEG_ANY    dsn:Status !~ /^5\\.1\\.1$/\n"
	"header DSN_NEG_NONE   dsn:Status !~ /^4\\./\n"
	"header DSN_RCPT       dsn:Final-Recipient =~ /erin@remote\\.example/\n"
	"header DSN_DIAG       dsn:Diagnostic-Code =~ /Mailbox full/\n"
	"header DSN_ACTION     dsn:action =~ /^failed$/\n"
	"header DSN_MTA        dsn:Reporting-MTA =~ /mx\\.remote\\.example/\n"
	"header DSN_ARRIVAL    dsn:Arrival-Date =~ /27 Nov 2026/\n"
	"header DSN_ABSENT     dsn:Remote-MTA =~ /.*/\n"
	"header DSN_ABSENT_NEG dsn:Remote-MTA !~ /x/\n"
	"header DSN_MSG_ABSENT dsn:Received-From-MTA !~ /x/\n"
	/* the bounce's text */
	"body   BODY_LINE_START /^<erin@remote\\.example>:/\n"
	"body   BODY_LINE_END   /User unknown$/\n"
	"body   BODY_MID_START  /^host store/\n"
	"body   BODY_MID_END    /said:$/\n"
	"body   BODY_CASE       /MAIL SYSTEM/i\n"
	"body   BODY_ORIGINAL   /storage migration/\n"
	"body   BODY_REPORT     /^Reporting-MTA/\n";

static void
check_eval_results (GArray *res, gboolean with_original)
{
	FIRED (res, "SUBJ", TRUE);
	FIRED (res, "SUBJ_CASE", TRUE);
	FIRED (res, "SUBJ_NOMATCH", FALSE);
	FIRED (res, "SUBJ_NEG", TRUE);
	FIRED (res, "SUBJ_NEG_MATCH", FALSE);
	FIRED (res, "ABSENT", FALSE);
	FIRED (res, "ABSENT_NEG", FALSE);
	FIRED (res, "BOUNCE_NOT_ORIG", FALSE);
	FIRED (res, "ORIG_NOT_BOUNCE", FALSE);
	FIRED (res, "ORIG_ABSENT_NEG", FALSE);
	FIRED (res, "ORIG_NEG", FALSE);
	FIRED (res, "ORIG_ID", with_original);
	FIRED (res, "ORIG_SUBJ", with_original);
	FIRED (res, "DSN_STATUS1", TRUE);
	FIRED (res, "DSN_STATUS2", TRUE);
	FIRED (res, "DSN_STATUS4", FALSE);
	FIRED (res, "DSN_NEG_ANY", FALSE);
	FIRED (res, "DSN_NEG_NONE", TRUE);
	FIRED (res, "DSN_RCPT", TRUE);
	FIRED (res, "DSN_DIAG", TRUE);
	FIRED (res, "DSN_ACTION", TRUE);
	FIRED (res, "DSN_MTA", TRUE);
	FIRED (res, "DSN_ARRIVAL", TRUE);
	FIRED (res, "DSN_ABSENT", FALSE);
	FIRED (res, "DSN_ABSENT_NEG", FALSE);
	FIRED (res, "DSN_MSG_ABSENT", FALSE);
	FIRED (res, "BODY_LINE_START", TRUE);
	FIRED (res, "BODY_LINE_END", TRUE);
	FIRED (res, "BODY_MID_START", FALSE);
	FIRED (res, "BODY_MID_END", FALSE);
	FIRED (res, "BODY_CASE", TRUE);
	FIRED (res, "BODY_ORIGINAL", FALSE);
	FIRED (res, "BODY_REPORT", FALSE);
}

static void
test_eval_header_and_body (void)
{
	g_autoptr (Rules) r = parse_ok (eval_rules);
	REQUIRE (r != NULL);
	g_autoptr (Bounce) b = parse_message (dsn);
	REQUIRE (b->kind == BOUNCE_KIND_DSN && b->original && b->report);
	GArray *res = rules_evaluate (r, b, NULL, TRUE);
	g_assert_cmpuint (res->len, ==, rules_count (r));
	FIRED (res, "DECODED", TRUE);
	check_eval_results (res, TRUE);
	/* Every result says what it looked at; an absent target says so. */
	for (guint i = 0; i < res->len; i++)
		g_assert_nonnull (g_array_index (res, RuleResult, i).fact);
	const RuleResult *absent = result_of (res, "ABSENT");
	g_assert_nonnull (absent && absent->fact ? strstr (absent->fact, "absent") : NULL);

	/* Without facts (scan, filter): the same rules fire, no fact is made. */
	GArray *bare = rules_evaluate (r, b, NULL, FALSE);
	g_assert_cmpuint (bare->len, ==, res->len);
	for (guint i = 0; i < bare->len; i++) {
		g_assert_cmpint (g_array_index (bare, RuleResult, i).fired, ==, g_array_index (res, RuleResult, i).fired);
		g_assert_null (g_array_index (bare, RuleResult, i).fact);
	}
	rules_results_free (bare);
	rules_results_free (res);
}

/* CRLF input: the bounce's text has LF line ends, so ^ and $ still work. */
static void
test_eval_crlf (void)
{
	g_autoptr (Rules) r = parse_ok (eval_rules);
	REQUIRE (r != NULL);
	g_auto (GStrv) lines = g_strsplit (dsn, "\n", -1);
	g_autofree char *crlf = g_strjoinv ("\r\n", lines);
	g_autoptr (Bounce) b = parse_message (crlf);
	REQUIRE (b->kind == BOUNCE_KIND_DSN && b->original && b->report);
	GArray *res = rules_evaluate (r, b, NULL, TRUE);
	check_eval_results (res, TRUE);
	rules_results_free (res);
}

/* No original: original: targets are absent and never fire, !~ included. */
static void
test_eval_no_original (void)
{
	g_autoptr (Rules) r = parse_ok ("header ORIG_ANY original:Message-ID =~ /.*/\n"
	                                "header ORIG_NEG original:Message-ID !~ /x/\n"
	                                "header DSN_STATUS dsn:Status =~ /^5/\n"
	                                "body   TEXT /^Delivery failed\\.$/\n");
	REQUIRE (r != NULL);
	g_autoptr (Bounce) b = parse_message (dsn_bare);
	REQUIRE (b->kind == BOUNCE_KIND_DSN && b->original == NULL);
	GArray *res = rules_evaluate (r, b, NULL, TRUE);
	FIRED (res, "ORIG_ANY", FALSE);
	FIRED (res, "ORIG_NEG", FALSE);
	FIRED (res, "DSN_STATUS", TRUE);
	FIRED (res, "TEXT", TRUE);
	rules_results_free (res);

	/* Not a bounce at all: no report, dsn: targets absent. */
	g_autoptr (Rules) r2 = parse_ok ("header DSN_NEG dsn:Status !~ /x/\n"
	                                 "header DSN_MTA_NEG dsn:Reporting-MTA !~ /x/\n"
	                                 "header SUBJ Subject =~ /lunch/\n");
	REQUIRE (r2 != NULL);
	g_autoptr (Bounce) plain = parse_message ("From: a@example.net\nTo: b@example.com\nSubject: lunch\n\nHi.\n");
	res = rules_evaluate (r2, plain, NULL, TRUE);
	FIRED (res, "DSN_NEG", FALSE);
	FIRED (res, "DSN_MTA_NEG", FALSE);
	FIRED (res, "SUBJ", TRUE);
	rules_results_free (res);
}

static void
test_eval_builtins (void)
{
	g_autoptr (GString) text = g_string_new (NULL);
	for (int i = 0; i < EVAL_COUNT; i++)
		g_string_append_printf (text, "eval E%d %s()\n", i, rules_builtin_name (i));
	g_autoptr (Rules) r = parse_ok (text->str);
	REQUIRE (r != NULL);
	g_autoptr (Bounce) b = parse_message (dsn);

	/* Without EvalResults nothing fires. */
	GArray *res = rules_evaluate (r, b, NULL, TRUE);
	for (guint i = 0; i < res->len; i++)
		g_assert_false (g_array_index (res, RuleResult, i).fired);
	rules_results_free (res);

	/* Each builtin reads its own slot, and shows its fact. */
	for (int k = 0; k < EVAL_COUNT; k++) {
		EvalResults ev = { 0 };
		ev.fired[k] = TRUE;
		ev.fact[k] = g_strdup_printf ("fact number %d", k);
		res = rules_evaluate (r, b, &ev, TRUE);
		for (int i = 0; i < EVAL_COUNT; i++) {
			g_autofree char *name = g_strdup_printf ("E%d", i);
			const RuleResult *rr = result_of (res, name);
			g_assert_nonnull (rr);
			if (rr == NULL)
				continue;
			if (!rr->fired != !(i == k))
				FAIL ("with %s set, E%d (%s) fired=%d", rules_builtin_name (k), i,
				                    rules_builtin_name (i), rr->fired);
			if (i == k)
				g_assert_cmpstr (rr->fact, ==, ev.fact[k]);
		}
		rules_results_free (res);
		eval_results_clear (&ev);
	}
}

/* T1, T2 fire; F1, F2 do not; then metas over them. */
static const char meta_rules[] =
	"header T1 Subject =~ /Undelivered/\n"
	"eval   T2 batv_valid()\n"
	"header F1 Subject =~ /Hello/\n"
	"eval   F2 batv_invalid()\n"
	"meta   NOT_F1_AND_T1    !F1 && T1\n"            /* (!F1) && T1 = 1 */
	"meta   OR_AND           T1 || T2 && F1\n"       /* T1 || (T2 && F1) = 1; left to right: 0 */
	"meta   AND_OR           F1 && T1 || T2\n"       /* (F1 && T1) || T2 = 1; right first: 0 */
	"meta   NOT_OR           !T1 || T2\n"            /* (!T1) || T2 = 1; !(T1 || T2) = 0 */
	"meta   NOT_AND          !T1 && T2\n"            /* (!T1) && T2 = 0 */
	"meta   NOT_AND_OR       !T1 && F1 || T1\n"      /* 1 */
	"meta   OR_CHAIN         F1 || F2 || T2\n"       /* 1 */
	"meta   AND_CHAIN        T1 && T2 && F1\n"       /* 0 */
	"meta   PAREN_OR_AND     (T1 || F1) && F2\n"     /* 0; without the parentheses 1 */
	"meta   PAREN_NOT        !(T1 || F1)\n"          /* 0 */
	"meta   PAREN_NOT2       !(F1) && T1\n"          /* 1 */
	"meta   NOTNOT           !!T1\n"                 /* 1 */
	"meta   NESTED           ((F1 || (T2 && !F2)) && (T1))\n"  /* 1 */
	"meta   OF_META          NOT_OR && !PAREN_NOT\n" /* 1 */
	"meta   OF_META2         OR_AND && NOT_AND\n"    /* 0 */
	"meta   MIXED            F1 || T1 && !T2 || F2 && T1 || T2 && T1\n" /* 0||0||0||1 = 1 */
	"meta   MIXED2           T1 && F1 || F2 && T2 || !T1\n";           /* 0 */

static void
test_eval_meta (void)
{
	g_autoptr (Rules) r = parse_ok (meta_rules);
	REQUIRE (r != NULL);
	g_autoptr (Bounce) b = parse_message (dsn);
	EvalResults ev = { 0 };
	ev.fired[EVAL_BATV_VALID] = TRUE;
	GArray *res = rules_evaluate (r, b, &ev, TRUE);
	FIRED (res, "T1", TRUE);
	FIRED (res, "T2", TRUE);
	FIRED (res, "F1", FALSE);
	FIRED (res, "F2", FALSE);
	FIRED (res, "NOT_F1_AND_T1", TRUE);
	FIRED (res, "OR_AND", TRUE);
	FIRED (res, "AND_OR", TRUE);
	FIRED (res, "NOT_OR", TRUE);
	FIRED (res, "NOT_AND", FALSE);
	FIRED (res, "NOT_AND_OR", TRUE);
	FIRED (res, "OR_CHAIN", TRUE);
	FIRED (res, "AND_CHAIN", FALSE);
	FIRED (res, "PAREN_OR_AND", FALSE);
	FIRED (res, "PAREN_NOT", FALSE);
	FIRED (res, "PAREN_NOT2", TRUE);
	FIRED (res, "NOTNOT", TRUE);
	FIRED (res, "NESTED", TRUE);
	FIRED (res, "OF_META", TRUE);
	FIRED (res, "OF_META2", FALSE);
	FIRED (res, "MIXED", TRUE);
	FIRED (res, "MIXED2", FALSE);
	rules_results_free (res);
	eval_results_clear (&ev);
}

/* Metas at the depth bound and long flat chains evaluate correctly. */
static void
test_eval_meta_deep (void)
{
	g_autoptr (GString) text = g_string_new ("header T Subject =~ /Undelivered/\n"
	                                         "header F Subject =~ /Hello/\n");
	/* F || (F || (... (T) ...)) at the depth bound: fires. */
	g_string_append (text, "meta DEEP_OR ");
	for (int i = 0; i < NS_MAX_META_DEPTH; i++)
		g_string_append (text, "F || (");
	g_string_append (text, "T");
	for (int i = 0; i < NS_MAX_META_DEPTH; i++)
		g_string_append_c (text, ')');
	/* T && (T && (... (F) ...)): does not fire. */
	g_string_append (text, "\nmeta DEEP_AND ");
	for (int i = 0; i < NS_MAX_META_DEPTH; i++)
		g_string_append (text, "T && !F && (");
	g_string_append (text, "F");
	for (int i = 0; i < NS_MAX_META_DEPTH; i++)
		g_string_append_c (text, ')');
	/* F || F && F || ... || T, 300 operands, flat. */
	g_string_append (text, "\nmeta FLAT F");
	for (int i = 0; i < 300; i++)
		g_string_append (text, i % 2 ? " || F" : " && F");
	g_string_append (text, " || T\n");
	g_autoptr (Rules) r = parse_ok (text->str);
	REQUIRE (r != NULL);
	g_autoptr (Bounce) b = parse_message (dsn);
	GArray *res = rules_evaluate (r, b, NULL, TRUE);
	FIRED (res, "DEEP_OR", TRUE);
	FIRED (res, "DEEP_AND", FALSE);
	FIRED (res, "FLAT", TRUE);
	rules_results_free (res);
}

/* /(a+)+$/ on 10,000 'a's and a 'b': exponential backtracking, cut by the
 * match limit; the rule does not fire and the call returns promptly. */
static void
test_eval_pathological_regex (void)
{
	g_autoptr (Rules) r = parse_ok ("body   EVIL_BODY /(a+)+$/\n"
	                                "header EVIL_HDR  Subject =~ /^(a|aa)+$/\n"
	                                "header EVIL_ORIG original:Subject =~ /(a*)*b$/\n"
	                                "body   SANE      /^b$/\n");
	REQUIRE (r != NULL);
	g_autoptr (GString) msg = g_string_new (
		"From: MAILER-DAEMON@mx.remote.example\n"
		"To: alice@example.com\n"
		"Subject: ");
	for (int i = 0; i < 4000; i++)
		g_string_append_c (msg, 'a');
	g_string_append (msg, "c\n"
	                      "MIME-Version: 1.0\n"
	                      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B1\"\n"
	                      "\n--B1\nContent-Type: text/plain\n\n");
	for (int i = 0; i < 10000; i++)
		g_string_append_c (msg, 'a');
	g_string_append (msg, "b\n"
	                      "--B1\nContent-Type: message/delivery-status\n\n"
	                      "Reporting-MTA: dns; mx.remote.example\n\n"
	                      "Final-Recipient: rfc822; dave@remote.example\nAction: failed\nStatus: 5.1.1\n"
	                      "--B1\nContent-Type: message/rfc822\n\n"
	                      "Message-ID: <x@example.com>\nSubject: ");
	for (int i = 0; i < 4000; i++)
		g_string_append_c (msg, 'a');
	g_string_append (msg, "c\n\nbody\n--B1--\n");
	g_autoptr (Bounce) b = parse_message (msg->str);
	REQUIRE (b->kind == BOUNCE_KIND_DSN);
	REQUIRE (b->text->len > 10000);
	guint hits = pattern_limit_hits_this_thread ();
	gint64 t0 = g_get_monotonic_time ();
	GArray *res = rules_evaluate (r, b, NULL, TRUE);
	gint64 ms = (g_get_monotonic_time () - t0) / 1000;
	g_test_message ("evaluation took %" G_GINT64_FORMAT " ms", ms);
	if (ms > 5000)
		FAIL ("evaluation took %" G_GINT64_FORMAT " ms", ms);
	FIRED (res, "EVIL_BODY", FALSE);
	FIRED (res, "EVIL_HDR", FALSE);
	FIRED (res, "EVIL_ORIG", FALSE);
	FIRED (res, "SANE", FALSE);
	g_assert_cmpuint (pattern_limit_hits_this_thread (), >, hits);
	rules_results_free (res);
}

/* rules_load: layered directories, a later file of the same name replaces
 * the earlier, score lines across files, errors name the file. */
static void
test_load_layered (void)
{
	g_autofree char *base = g_dir_make_tmp ("ndrsift-rules-XXXXXX", NULL);
	REQUIRE (base != NULL);
	g_autofree char *d1 = g_build_filename (base, "shipped", NULL);
	g_autofree char *d2 = g_build_filename (base, "local", NULL);
	g_autofree char *missing = g_build_filename (base, "missing", NULL);
	g_mkdir (d1, 0700);
	g_mkdir (d2, 0700);
	g_autofree char *f1 = g_build_filename (d1, "10-a.rules", NULL);
	g_autofree char *f2 = g_build_filename (d1, "20-b.rules", NULL);
	g_autofree char *f3 = g_build_filename (d2, "20-b.rules", NULL);
	g_autofree char *f4 = g_build_filename (d2, "30-c.rules", NULL);
	g_autofree char *f5 = g_build_filename (d1, "15-ignored.formats", NULL);
	g_file_set_contents (f1, "header A Subject =~ /x/\nscore A 1.5\n", -1, NULL);
	g_file_set_contents (f2, "header B_SHIPPED Subject =~ /x/\n", -1, NULL);
	g_file_set_contents (f3, "header B_LOCAL Subject =~ /x/\n", -1, NULL);
	g_file_set_contents (f4, "# local scores\nscore A 7.0\nmeta C A && B_LOCAL\n", -1, NULL);
	g_file_set_contents (f5, "this is not a rules file\n", -1, NULL);

	const char *dirs[] = { d1, missing, d2, NULL };
	g_autoptr (GError) error = NULL;
	g_autoptr (Rules) r = rules_load (dirs, &error);
	g_assert_no_error (error);
	if (r) {
		g_assert_cmpuint (rules_count (r), ==, 3);
		g_assert_cmpint (find_rule (r, "B_SHIPPED"), ==, -1);
		g_assert_cmpint (find_rule (r, "B_LOCAL"), >=, 0);
		g_assert_cmpfloat (score_of (r, "A"), ==, 7.0);
	}

	/* A broken file: the error names its path and line. */
	g_file_set_contents (f4, "# local scores\nscore A 7.0\nmeta C A &&\n", -1, NULL);
	g_autoptr (GError) e2 = NULL;
	g_autoptr (Rules) r2 = rules_load (dirs, &e2);
	g_assert_null (r2);
	g_autofree char *where = g_strdup_printf ("%s:3:", f4);
	g_assert_nonnull (e2 ? strstr (e2->message, where) : NULL);

	const char *none[] = { missing, NULL };
	g_autoptr (GError) e3 = NULL;
	g_autoptr (Rules) r3 = rules_load (none, &e3);
	g_assert_no_error (e3);
	g_assert_cmpuint (rules_count (r3), ==, 0);

	for (const char *const *f = (const char *const[]) { f1, f2, f3, f4, f5, NULL }; *f; f++)
		g_unlink (*f);
	g_rmdir (d1);
	g_rmdir (d2);
	g_rmdir (base);
}


/* A lazy pattern (the built-in rules') matches as a compiled one, from the
 * first match through the JIT-compiled copy it gets after a few, in
 * several threads at once; one that does not compile says so and never
 * matches. */
typedef struct {
	Pattern *lazy, *eager;
	guint wrong;
} PatternRun;

static gpointer
match_many (gpointer data)
{
	PatternRun *run = data;
	static const char *const subjects[] = { "Returned mail: User unknown", "returned MAIL: x", "Re: Returned mail",
	                                        "", "Undelivered Mail Returned to Sender" };
	for (guint i = 0; i < 200; i++) {
		const char *s = subjects[i % G_N_ELEMENTS (subjects)];
		gsize a0 = 0, a1 = 0, b0 = 0, b1 = 0;
		gboolean a = pattern_search (run->lazy, s, strlen (s), 0, &a0, &a1);
		gboolean b = pattern_search (run->eager, s, strlen (s), 0, &b0, &b1);
		if (a != b || a0 != b0 || a1 != b1)
			g_atomic_int_inc (&run->wrong);
	}
	return NULL;
}

/* Many lazy patterns met for the first time by four threads at once:
 * each first use publishes its literal and code with a compare-and-swap,
 * and a thread that loses frees its own (under ASan: no double free, no
 * leak); every thread gets the eager patterns' answers, a pattern that
 * does not compile never matches, and says so once. */
#define RACE_PATTERNS 48
typedef struct {
	Pattern *lazy[RACE_PATTERNS], *eager[RACE_PATTERNS];
	gint ready, wrong;
} PatternRace;

static gpointer
race_many (gpointer data)
{
	PatternRace *race = data;
	static const char *const subjects[] = { "Returned mail: see transcript for details (code 17)",
	                                        "MAIL DELIVERY FAILED: returning message to sender", "x" };
	g_atomic_int_inc (&race->ready);
	while (g_atomic_int_get (&race->ready) < 4)
		; /* all four start together */
	for (guint round = 0; round < 3; round++)
		for (guint i = 0; i < RACE_PATTERNS; i++)
			for (guint j = 0; j < G_N_ELEMENTS (subjects); j++) {
				const char *s = subjects[j];
				gsize a0 = 0, a1 = 0, b0 = 0, b1 = 0;
				gboolean a = pattern_search (race->lazy[i], s, strlen (s), 0, &a0, &a1);
				gboolean b = race->eager[i] && pattern_search (race->eager[i], s, strlen (s), 0, &b0, &b1);
				if (a != b || a0 != b0 || a1 != b1)
					g_atomic_int_inc (&race->wrong);
			}
	return NULL;
}

static void
test_pattern_lazy_race (void)
{
	PatternRace race = { { NULL }, { NULL }, 0, 0 };
	char *specs[RACE_PATTERNS] = { NULL };
	for (guint i = 0; i < RACE_PATTERNS; i++) {
		/* Literals of every kind: caseless, exact, none (alternation),
		 * and one that does not compile. */
		specs[i] = i == RACE_PATTERNS - 1 ? g_strdup ("/(code [0-9]+/")
		           : i % 3 == 0           ? g_strdup_printf ("/returned mail: see (transcript|x%u)/i", i)
		           : i % 3 == 1           ? g_strdup_printf ("/delivery failed|y%u/i", i)
		                                  : g_strdup_printf ("/code %u\\)|code 17/", i);
		g_autoptr (GError) error = NULL;
		race.lazy[i] = pattern_new_lazy (specs[i], 0, &error);
		g_assert_no_error (error);
		race.eager[i] = pattern_compile (specs[i], NULL);
	}
	g_assert_null (race.eager[RACE_PATTERNS - 1]);
	g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "*(code*does not compile*");
	GThread *t[4];
	for (guint i = 0; i < G_N_ELEMENTS (t); i++)
		t[i] = g_thread_new ("race", race_many, &race);
	for (guint i = 0; i < G_N_ELEMENTS (t); i++)
		g_thread_join (t[i]);
	g_test_assert_expected_messages ();
	g_assert_cmpint (race.wrong, ==, 0);
	for (guint i = 0; i < RACE_PATTERNS; i++) {
		pattern_free (race.lazy[i]);
		pattern_free (race.eager[i]);
		g_free (specs[i]);
	}
}

static void
test_pattern_lazy (void)
{
	g_autoptr (GError) error = NULL;
	PatternRun run = { pattern_new_lazy ("/^returned mail: /i", 0, &error), NULL, 0 };
	g_assert_no_error (error);
	run.eager = pattern_compile ("/^returned mail: /i", &error);
	g_assert_no_error (error);
	GThread *t[4];
	for (guint i = 0; i < G_N_ELEMENTS (t); i++)
		t[i] = g_thread_new ("match", match_many, &run);
	for (guint i = 0; i < G_N_ELEMENTS (t); i++)
		g_thread_join (t[i]);
	g_assert_cmpuint (run.wrong, ==, 0);
	pattern_free (run.lazy);
	pattern_free (run.eager);

	/* The /re/flags form is checked at once, the regex only when used. */
	g_assert_null (pattern_new_lazy ("no slashes", 0, &error));
	g_assert_error (error, PATTERN_ERROR, PATTERN_ERROR_SYNTAX);
	g_clear_error (&error);
	Pattern *bad = pattern_new_lazy ("/(unclosed/", 0, &error);
	g_assert_no_error (error);
	g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "*(unclosed*does not compile*");
	g_assert_false (pattern_matches (bad, "(unclosed", 9));
	g_assert_false (pattern_matches (bad, "(unclosed", 9));
	g_test_assert_expected_messages ();
	pattern_free (bad);
	/* Compiled at once, the regex's own fault has a code of its own. */
	g_assert_null (pattern_compile ("/(unclosed/", &error));
	g_assert_error (error, PATTERN_ERROR, PATTERN_ERROR_REGEX);
	g_clear_error (&error);
}

/* The literal a lazy pattern's prefilter looks for: only where every
 * match plainly holds it. */
static void
test_pattern_literal (void)
{
	static const struct { const char *spec, *literal; } cases[] = {
		{ "/abc/", "abc" },
		{ "/ABC/i", "abc" },                 /* lowercase when caseless */
		{ "/a\\.b\\/c/", "a.b/c" },          /* escaped punctuation is itself */
		{ "/ab?cd/", "cd" },                 /* an optional byte ends the run before it */
		{ "/xab*cd/", "xa" },
		{ "/ab{0}cd/", "cd" },
		{ "/ab{0,3}cd/", "cd" },
		{ "/ab+cd/", "ab" },                 /* a repeated one after it */
		{ "/abc{2}de/", "abc" },
		{ "/abc{2,}de/", "abc" },
		{ "/ab+?cd/", "ab" },                /* lazy and possessive marks */
		{ "/ab++cd/", "ab" },
		{ "/(foo|bar)bazz/", "bazz" },       /* groups end a run, */
		{ "/(?:x|y)?bazz/", "bazz" },
		{ "/(?<!no )virus found/", "virus found" }, /* lookarounds too */
		{ "/abc(?=d)ef/", "abc" },
		{ "/(?<name>x)yz1/", "yz1" },
		{ "/[]ab]xyz/", "xyz" },             /* classes, ']' first a member */
		{ "/[^]a]xyz/", "xyz" },
		{ "/[a\\]b]xyz/", "xyz" },
		{ "/[[:alpha:]]xyz/", "xyz" },
		{ "/[(|)]xyz/", "xyz" },
		{ "/\\dabc\\b/", "abc" },            /* class escapes and anchors */
		{ "/^abc$/m", "abc" },
		{ "/a.bc/", "bc" },
		{ "/a\\nbc/", "bc" },
		{ "/a\\Kbc/", "bc" },
		{ "/]}x/", "]}x" },                  /* a lone ']' or '}' is itself */
		{ "/mask/i", "ma" },                 /* caseless k and s fold to non-ASCII */
		{ "/Kelvin/i", "elvin" },
		{ "/\xc3\xa9t\xc3\xa9/", "\xc3\xa9t\xc3\xa9" },
		{ "/\xc3\xa9tat/i", "tat" },         /* caseless bytes >= 0x80 end it */
		/* No literal: */
		{ "/foo|barbaz/", NULL },            /* top-level alternation */
		{ "/(a)|bcd/", NULL },
		{ "/abc/x", NULL },                  /* extended */
		{ "/(?i)abc/", NULL },               /* option settings */
		{ "/x(?i:abc)def/", NULL },
		{ "/(?#c)abc/", NULL },
		{ "/(*UTF)abc/", NULL },             /* verbs */
		{ "/\\Qa|b\\E/", NULL },             /* quoting */
		{ "/[\\Q]\\E]abc/", NULL },
		{ "/\\x41bc/", NULL },               /* escapes with arguments */
		{ "/(a)\\1bcd/", NULL },
		{ "/\\p{L}bcd/", NULL },
		{ "/\\N{U+41}bcd/", NULL },
		{ "/\\g1bcd/", NULL },
		{ "/abc{,3}/", NULL },               /* braces that are not plainly a quantifier */
		{ "/abc{x}/", NULL },
		{ "/abc{ 2}/", NULL },
		{ "/{abc/", NULL },
		{ "/*abc/", NULL },
		{ "/abc)/", NULL },                  /* unbalanced */
		{ "/(abc/", NULL },
		{ "/[abc/", NULL },
		{ "/abc\\/", NULL },
		{ "/.*/", NULL },
	};
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree char *lit = pattern_required_literal (cases[i].spec, 0);
		if (g_strcmp0 (lit, cases[i].literal) != 0)
			g_error ("%s: literal '%s', expected '%s'", cases[i].spec, lit ? lit : "(none)",
			         cases[i].literal ? cases[i].literal : "(none)");
	}
}

/* With and without the prefilter, a lazy pattern finds the same match. */
static void
test_pattern_prefilter (void)
{
	static const char *const specs[] = {
		"/^This is the mail system at host /", "/mail SYSTEM at/i", "/\\bBoxbe\\b.{0,20}\\bwait-?list/is",
		"/ab+cd/", "/xab*cd/", "/[]ab]xyz/i", "/Kelvin/i", "/mask/i", "/q-z/", "/Q-Z/i", "/a\\.b/",
	};
	static const char subjects[] =
		"Hello.\nthis is the MAIL system at host x\nThis is the mail system at host mx\n"
		"BOXBE guest wait-list; boxbe waitlist abbbcd xacd xabcd\x00 ]xyz Q-z q-z a.b a-b "
		"\xe2\x84\xaa" "elvin kelvin MASK ma\xc5\xbf" "k\n";
	gsize n = sizeof subjects - 1;
	for (guint i = 0; i < G_N_ELEMENTS (specs); i++) {
		g_autoptr (GError) error = NULL;
		for (gsize from = 0; from <= n; from += 7) {
			for (gsize len = from; len <= n; len += 13) {
				g_autoptr (Pattern) with = pattern_new_lazy (specs[i], PATTERN_MULTILINE, &error);
				g_autoptr (Pattern) without = pattern_new_lazy (specs[i], PATTERN_MULTILINE, &error);
				g_assert_no_error (error);
				gsize a0 = 0, a1 = 0, b0 = 0, b1 = 0;
				gboolean a = pattern_search (with, subjects, len, from, &a0, &a1);
				pattern_set_prefilter (FALSE);
				gboolean b = pattern_search (without, subjects, len, from, &b0, &b1);
				pattern_set_prefilter (TRUE);
				if (a != b || a0 != b0 || a1 != b1)
					g_error ("%s in [%zu, %zu): %d %zu-%zu with the prefilter, %d %zu-%zu without", specs[i],
					         (size_t) from, (size_t) len, a, (size_t) a0, (size_t) a1, b, (size_t) b0,
					         (size_t) b1);
			}
		}
	}
}

/* Every pattern of the built-in rule files compiles (they are compiled
 * only when used at run time), and they hold what the files hold. */
static void
test_builtin_compile (void)
{
	const char *dirs[] = { rulefiles_builtin, NULL };
	g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
	guint rules = 0;
	g_autoptr (TextbounceFormats) formats = textbounce_formats_check (dirs, errors);
	g_assert_nonnull (formats);
	guint families = textbounce_formats_count (formats);
	g_assert_true (rules_check (dirs, errors, &rules));
	for (guint i = 0; i < errors->len; i++)
		g_test_message ("%s", (const char *) g_ptr_array_index (errors, i));
	g_assert_cmpuint (errors->len, ==, 0);
	g_assert_cmpuint (families, >, 10);
	g_assert_cmpuint (rules, >, 10);
	g_autoptr (GError) error = NULL;
	g_autoptr (Rules) r = rules_load (dirs, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (rules_count (r), ==, rules);
	int i = find_rule (r, "MSGID_NOT_SENT");
	g_assert_cmpint (i, >=, 0);
	RuleInfo info;
	rules_get (r, (guint) i, &info);
	g_assert_true (g_str_has_prefix (info.where, "built-in:50-evidence.rules:"));
}

/* rulefiles_dirs: the built-in files stand in for a missing first
 * directory (or none), and a missing directory of the config is named. */
static void
test_rule_dirs (void)
{
	g_autofree char *base = g_dir_make_tmp ("ndrsift-dirs-XXXXXX", NULL);
	REQUIRE (base != NULL);
	g_autofree char *missing = g_build_filename (base, "missing", NULL);
	g_autofree char *spec = g_strdup_printf ("%s:%s", missing, base);
	g_autoptr (GError) error = NULL;
	g_autoptr (Config) c = config_load ("/dev/null", NULL, spec, &error);
	g_assert_no_error (error);
	g_autoptr (GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
	g_autofree const char **dirs = rulefiles_dirs (c, notices);
	g_assert_true (dirs[0] == rulefiles_builtin);
	g_assert_cmpstr (dirs[1], ==, base);
	g_assert_null (dirs[2]);
	g_assert_cmpuint (notices->len, ==, 1);
	g_assert_nonnull (strstr (g_ptr_array_index (notices, 0), missing));

	/* The same directories as the built-in default: not named. */
	c->rules_dirs_set = FALSE;
	g_ptr_array_set_size (notices, 0);
	g_autofree const char **again = rulefiles_dirs (c, notices);
	g_assert_true (again[0] == rulefiles_builtin);
	g_assert_cmpuint (notices->len, ==, 0);

	/* An existing first directory is read as it is. */
	g_autofree char *spec2 = g_strdup_printf ("%s:%s", base, missing);
	g_autoptr (Config) c2 = config_load ("/dev/null", NULL, spec2, &error);
	g_autofree const char **dirs2 = rulefiles_dirs (c2, NULL);
	g_assert_cmpstr (dirs2[0], ==, base);
	g_assert_cmpstr (dirs2[1], ==, missing);
	g_rmdir (base);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_set_nonfatal_assertions ();
	bounce_init ();

	g_test_add_func ("/rules/error/unknown-directive", test_error_unknown_directive);
	g_test_add_func ("/rules/error/bad-name", test_error_bad_name);
	g_test_add_func ("/rules/error/header-syntax", test_error_header_syntax);
	g_test_add_func ("/rules/error/target-space", test_error_target_space);
	g_test_add_func ("/rules/error/bad-regex", test_error_bad_regex);
	g_test_add_func ("/rules/error/unknown-eval-lists-known", test_error_unknown_eval);
	g_test_add_func ("/rules/error/meta-undefined-or-later", test_error_meta_names);
	g_test_add_func ("/rules/error/meta-syntax", test_error_meta_syntax);
	g_test_add_func ("/rules/error/meta-depth", test_error_meta_depth);
	g_test_add_func ("/rules/error/score-not-a-number", test_error_score);
	g_test_add_func ("/rules/error/score-describe-undefined", test_error_undefined_score_describe);
	g_test_add_func ("/rules/error/duplicate", test_error_duplicate);
	g_test_add_func ("/rules/error/line-too-long", test_error_long_line);
	g_test_add_func ("/rules/score/later-line-overrides", test_score_describe_override);
	g_test_add_func ("/rules/score/subrules-not-listed", test_subrules_not_listed);
	g_test_add_func ("/rules/eval/header-dsn-original-body", test_eval_header_and_body);
	g_test_add_func ("/rules/eval/crlf-input", test_eval_crlf);
	g_test_add_func ("/rules/eval/absent-targets", test_eval_no_original);
	g_test_add_func ("/rules/eval/builtins", test_eval_builtins);
	g_test_add_func ("/rules/eval/meta-precedence", test_eval_meta);
	g_test_add_func ("/rules/eval/meta-deep", test_eval_meta_deep);
	g_test_add_func ("/rules/eval/pathological-regex", test_eval_pathological_regex);
	g_test_add_func ("/rules/load/layered-dirs", test_load_layered);
	g_test_add_func ("/rules/load/rule-dirs", test_rule_dirs);
	g_test_add_func ("/rules/builtin/compile", test_builtin_compile);
	g_test_add_func ("/pattern/lazy-and-jit", test_pattern_lazy);
	g_test_add_func ("/pattern/lazy-first-use-race", test_pattern_lazy_race);
	g_test_add_func ("/pattern/required-literal", test_pattern_literal);
	g_test_add_func ("/pattern/prefilter-same-matches", test_pattern_prefilter);

	int rc = g_test_run ();
	g_mime_shutdown ();
	return rc;
}
