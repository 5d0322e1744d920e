/* test-verdict — evidence, classes and the header value
 * (include/ndrsift/verdict.h, doc/design.md "Verdict policy",
 * "Hand-off hop", "The verdict header"):
 *
 *   - Engines built from config files written here ([local]
 *     domains, relays, networks; [sentlog] path, servers; [rules] dirs =
 *     $NDRSIFT_RULES, the shipped rules; [batv] keys), and a sent log
 *     filled through the import API with hand-built LogEvents;
 *   - engine_judge() on hand-written bounces: legit by Message-ID (also
 *     when the heuristics add up past forged_at), foreign origin, missing
 *     from a covering log (forged) or from one that does not cover the
 *     moment (unknown), [sentlog] servers naming a server without a log,
 *     legit by recipient and time window; the hand-off hop (private and
 *     same-site hops skipped, HELO never trusted, networks, relays,
 *     authenticated hops); SPF/DKIM/DMARC failures for our domain; BATV;
 *     a non-bounce; no sent log;
 *   - verdict_header_value(): format, "tests=none", folding at 78 columns
 *     without splitting a rule name, no CR/LF but the fold.
 *
 * Times are fixed (Fri, 27 Nov 2026 10:00:00 UTC): the sent log is filled
 * with complete records, which the importer never closes by the wall
 * clock. BATV tags are computed from the current day, as the code does.
 *
 * Assertions are non-fatal: a failing check is reported and the others
 * still run. */
#include <gmime/gmime.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "ndrsift/bounce.h"
#include "ndrsift/config.h"
#include "ndrsift/engine.h"
#include "logparse.h"
#include "ndrsift/rules.h"
#include "ndrsift/sentlog.h"
#include "ndrsift/verdict.h"

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

#define T0 G_GINT64_CONSTANT (1795773600) /* Fri, 27 Nov 2026 10:00:00 +0000 */
#define DAY 86400

static char *tmpdir;
static char *rules_dir;

/* The contexts; all live until the end (each thread's sent-log connection
 * is kept per context). */
static Config *cfg_main, *cfg_override, *cfg_servers_missing, *cfg_servers_ok, *cfg_batv, *cfg_nolog,
	*cfg_badlog, *cfg_header;
static Engine *ctx_main, *ctx_override, *ctx_servers_missing, *ctx_servers_ok, *ctx_batv,
	*ctx_nolog, *ctx_badlog, *ctx_header;

/* ---- set-up ------------------------------------------------------------- */

static char *
write_tmp (const char *name, const char *text)
{
	char *path = g_build_filename (tmpdir, name, NULL);
	g_autoptr (GError) error = NULL;
	g_file_set_contents (path, text, -1, &error);
	g_assert_no_error (error);
	return path;
}

static const char local_section[] = "[local]\n"
                                    "domains=example.com\n"
                                    "relays=out.example.com;mx1.example.com\n"
                                    "networks=192.0.2.0/24\n";

/* A config file: local_section; [sentlog] path=db and the sentlog lines;
 * [rules] dirs=the shipped rules (then extra_dir); then more sections. */
static Config *
make_config (const char *name, const char *db, const char *extra_dir, const char *sentlog, const char *more)
{
	g_autofree char *text = g_strdup_printf ("%s[sentlog]\npath=%s\n%s[rules]\ndirs=%s%s%s\n%s", local_section, db,
	                                         sentlog ? sentlog : "", rules_dir, extra_dir ? ";" : "",
	                                         extra_dir ? extra_dir : "", more ? more : "");
	g_autofree char *path = write_tmp (name, text);
	g_autoptr (GError) error = NULL;
	Config *c = config_load (path, NULL, NULL, &error);
	g_assert_no_error (error);
	g_assert_nonnull (c);
	return c;
}

static Engine *
make_context (const Config *c)
{
	g_autoptr (GError) error = NULL;
	/* An Engine owns its config: a copy read from the same file. */
	Config *own = config_reload (c, &error);
	g_assert_no_error (error);
	Engine *ctx = engine_new (own, TRUE, &error);
	g_assert_no_error (error);
	g_assert_nonnull (ctx);
	return ctx;
}

static void
ev_record (SentLogImport *im, gint64 t, const char *server, const char *qid, const char *msgid,
           const char *sender, const char *rcpt, LogOrigin origin)
{
	const char *rcpts[] = { rcpt, NULL };
	LogEvent ev = { .type = LOG_EVENT_RECORD, .time = t, .server = server, .queue_id = qid,
	                .message_id = msgid, .sender = sender, .status = "sent", .origin = origin,
	                .recipients = rcpts };
	sentlog_import_event (&ev, im);
}

static void
ev_seen (SentLogImport *im, gint64 t, const char *server)
{
	LogEvent ev = { .type = LOG_EVENT_SEEN, .time = t, .server = server };
	sentlog_import_event (&ev, im);
}

/* The sent log: server "out" covers [T0 - 12 days, T0 + 1 hour]: a line
 * every half hour (max_gap is an hour). A miss is judged over the five
 * days (queue_lifetime) and 15 minutes (clock_skew) before its moment. */
static void
fill_sentlog (const char *db, const Config *c)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (SentLog) log = sentlog_open (db, TRUE, &error);
	g_assert_no_error (error);
	g_assert_nonnull (log);
	static const char head[] = "first line of the test log\n";
	SentLogSource source;
	g_assert_true (sentlog_new_source (log, (const guint8 *) head, sizeof head - 1, &source, &error));
	g_autoptr (SentLogImport) im = sentlog_import_begin (log, c, "test-verdict", &source, &error);
	g_assert_no_error (error);
	g_assert_nonnull (im);
	for (gint64 t = T0 - 12 * DAY; t < T0 + 3600; t += 1800)
		ev_seen (im, t, "out");
	ev_record (im, T0 - 3 * DAY, "out", "Q0", "<old1@example.com>", "bob@example.com", "carol@remote.example",
	           LOG_ORIGIN_LOCAL);
	ev_record (im, T0 - 60, "out", "Q1", "<sent1@example.com>", "alice@example.com", "dave@remote.example",
	           LOG_ORIGIN_AUTH);
	ev_record (im, T0 - 50, "out", "Q2", "<relayed1@example.com>", "alice@example.com", "dave@remote.example",
	           LOG_ORIGIN_FOREIGN);
	ev_record (im, T0 - 40, "out", "Q3", "<net1@example.com>", "alice@example.com", "dave@remote.example",
	           LOG_ORIGIN_NETWORK);
	ev_record (im, T0 - 30, "out", "Q4", "<local1@example.com>", "alice@example.com", "dave@remote.example",
	           LOG_ORIGIN_LOCAL);
	/* relayed for an outside client, from the sender and to the recipient of a no-Message-ID case */
	ev_record (im, T0 - 2 * DAY, "out", "Q5", "<relay2@elsewhere.example>", "frank@example.com",
	           "grace@remote.example", LOG_ORIGIN_FOREIGN);
	ev_seen (im, T0 + 3600, "out");
	SentLogPosition at = { 1000, 10, (const guint8 *) head, sizeof head - 1, NULL, 0 };
	g_assert_true (sentlog_import_checkpoint (im, &at, &error));
	g_assert_no_error (error);
}

/* ---- messages ----------------------------------------------------------- */

/* A DSN to rcpt (X-Original-To) with one recipient final_rcpt; arrival:
 * the report's Arrival-Date or NULL; original: the quoted message's header
 * (without the blank line) or NULL for none. */
static char *
dsn_at (const char *received, const char *rcpt, const char *final_rcpt, const char *arrival, const char *original)
{
	GString *s = g_string_new (NULL);
	g_string_append_printf (s,
		"Return-Path: <>\n"
		"X-Original-To: %s\n"
		"Received: from mx.remote.example (mx.remote.example [198.51.100.7])\n"
		"\tby mx1.example.com (Postfix) with ESMTP id 4Zq1\n"
		"\tfor <%s>; %s\n"
		"From: MAILER-DAEMON@mx.remote.example (Mail Delivery System)\n"
		"To: %s\n"
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
		"Reporting-MTA: dns; mx.remote.example\n",
		rcpt, rcpt, received, rcpt);
	if (arrival)
		g_string_append_printf (s, "Arrival-Date: %s\n", arrival);
	g_string_append_printf (s,
		"\n"
		"Final-Recipient: rfc822; %s\n"
		"Action: failed\n"
		"Status: 5.1.1\n",
		final_rcpt);
	if (original)
		g_string_append_printf (s,
			"--B1\n"
			"Content-Type: message/rfc822\n"
			"\n"
			"%s"
			"\n"
			"Hello.\n",
			original);
	g_string_append (s, "--B1--\n");
	return g_string_free (s, FALSE);
}

/* The same, arriving (our MTA's Received line) at 10:05:09, 309 s past T0. */
static char *
dsn (const char *rcpt, const char *final_rcpt, const char *arrival, const char *original)
{
	return dsn_at ("Fri, 27 Nov 2026 10:05:09 +0000 (UTC)", rcpt, final_rcpt, arrival, original);
}

/* The original's header: Received lines, then Message-ID (if msgid) and
 * the rest. */
static char *
original (const char *received, const char *msgid, const char *extra)
{
	return g_strdup_printf ("%s%s%s%s"
	                        "From: Alice <alice@example.com>\n"
	                        "To: dave@remote.example\n"
	                        "Date: Fri, 27 Nov 2026 09:59:00 +0000\n"
	                        "Subject: Agenda\n"
	                        "%s",
	                        received ? received : "", msgid ? "Message-ID: " : "", msgid ? msgid : "",
	                        msgid ? "\n" : "", extra ? extra : "");
}

/* Received lines. */
#define HOP_OURS                                                                     \
	"Received: from out.example.com (out.example.com [192.0.2.11])\n"                \
	"\tby mx.remote.example (Postfix) with ESMTPS id 9Q1\n"                          \
	"\tfor <dave@remote.example>; Fri, 27 Nov 2026 09:59:02 +0000 (UTC)\n"          \
	"Received: from laptop (unknown [203.0.113.77]) (Authenticated sender: alice)\n" \
	"\tby out.example.com (Postfix) with ESMTPSA id 4Xb2;\n"                         \
	"\tFri, 27 Nov 2026 09:59:00 +0000 (UTC)\n"
/* A spammer's: HELO is our relay's name, the address is not ours. */
#define HOP_SPAM(date)                                                  \
	"Received: from out.example.com (unknown [203.0.113.5])\n"          \
	"\tby mx.remote.example (Postfix) with ESMTP id 9Q2\n"              \
	"\tfor <dave@remote.example>; " date "\n"

static Verdict *
judge (const Engine *ctx, const char *text)
{
	return engine_judge (ctx, g_bytes_new (text, strlen (text)), FALSE, NULL);
}

static gboolean
has_test (const Verdict *v, const char *name)
{
	for (guint i = 0; i < v->tests->len; i++)
		if (strcmp (g_ptr_array_index (v->tests, i), name) == 0)
			return TRUE;
	return FALSE;
}

static char *
describe (const Verdict *v)
{
	GString *s = g_string_new (verdict_name (v->verdict));
	g_autofree char *tests = verdict_tests_join (v, "");
	g_string_append_printf (s, " score=%.1f tests=%s", v->score, tests);
	for (int i = 0; i < EVAL_COUNT; i++)
		if (v->evals.fact[i])
			g_string_append_printf (s, "\n  %s%s: %s", rules_builtin_name (i), v->evals.fired[i] ? "*" : "",
			                        v->evals.fact[i]);
	return g_string_free (s, FALSE);
}

#define EXPECT(v, cls) expect_class (v, cls, __LINE__)
static void
expect_class (const Verdict *v, VerdictClass cls, int line)
{
	if (v->verdict != cls) {
		g_autofree char *d = describe (v);
		FAIL ("line %d: expected %s, got %s", line, verdict_name (cls), d);
	}
}

#define EXPECT_TEST(v, name, want) expect_test (v, name, want, __LINE__)
static void
expect_test (const Verdict *v, const char *name, gboolean want, int line)
{
	if (!has_test (v, name) != !want) {
		g_autofree char *d = describe (v);
		FAIL ("line %d: %s %s: %s", line, name, want ? "did not fire" : "fired", d);
	}
}

#define EXPECT_EVAL(v, which, want) expect_eval (v, which, want, __LINE__)
static void
expect_eval (const Verdict *v, EvalBuiltin which, gboolean want, int line)
{
	if (!v->evals.fired[which] != !want) {
		g_autofree char *d = describe (v);
		FAIL ("line %d: %s() %s: %s", line, rules_builtin_name (which),
		                    want ? "did not fire" : "fired", d);
	}
}

/* ---- the sent log --------------------------------------------------------- */

static void
test_msgid_logged_legit (void)
{
	static const char *const ids[] = { "<sent1@example.com>", "<net1@example.com>", "<local1@example.com>",
	                                   /* normalised as at import (msgid_normalise) */
	                                   "<sent1@EXAMPLE.COM>", "  <sent1@example.com>  ",
	                                   "<sent1@example.com> (sent by out.example.com)",
	                                   "<sent1@example.com>\n (folded comment)", "< sent1 @ example.com >" };
	for (guint i = 0; i < G_N_ELEMENTS (ids); i++) {
		g_autofree char *o = original (HOP_OURS, ids[i], NULL);
		g_autofree char *m = dsn ("alice@example.com", "dave@remote.example", NULL, o);
		g_autoptr (Verdict) v = judge (ctx_main, m);
		EXPECT (v, VERDICT_LEGIT);
		EXPECT_TEST (v, "MSGID_SENT", TRUE);
		EXPECT_TEST (v, "MSGID_NOT_SENT", FALSE);
		EXPECT_TEST (v, "HANDOFF_LOCAL", TRUE);
		g_assert_true (v->sentlog_read);
		g_assert_true (v->match.found);
		g_assert_cmpstr (v->match_by, ==, "message_id");
		g_assert_cmpstr (v->match.server, ==, "out");
		g_assert_cmpint (v->handoff, ==, 0);
	}
}

/* Heuristics past forged_at never outweigh the sent log. */
static void
test_msgid_logged_beats_heuristics (void)
{
	g_autofree char *o = original (HOP_SPAM ("Fri, 27 Nov 2026 09:59:02 +0000"), "<sent1@example.com>",
	                               "Authentication-Results: mx.remote.example; spf=fail smtp.mailfrom=alice@example.com;\n"
	                               "\tdkim=fail header.d=example.com; dmarc=fail header.from=example.com\n");
	g_autofree char *m = dsn ("alice@example.com", "dave@remote.example", NULL, o);

	/* With MSGID_SENT scored 0 (a local file), the rest adds up past forged_at. */
	g_autoptr (Verdict) v = judge (ctx_override, m);
	EXPECT (v, VERDICT_LEGIT);
	EXPECT_TEST (v, "MSGID_SENT", TRUE);
	EXPECT_TEST (v, "HANDOFF_NOT_LOCAL", TRUE);
	EXPECT_TEST (v, "AUTH_FAIL_LOCAL", TRUE);
	g_assert_cmpfloat (v->score, >=, cfg_override->forged_at);

	/* With the shipped scores. */
	g_autoptr (Verdict) v2 = judge (ctx_main, m);
	EXPECT (v2, VERDICT_LEGIT);
	EXPECT_TEST (v2, "HANDOFF_NOT_LOCAL", TRUE);
}

static void
test_msgid_logged_foreign (void)
{
	g_autofree char *o = original (HOP_SPAM ("Fri, 27 Nov 2026 09:59:52 +0000"), "<relayed1@example.com>", NULL);
	g_autofree char *m = dsn ("alice@example.com", "dave@remote.example", NULL, o);
	g_autoptr (Verdict) v = judge (ctx_main, m);
	g_assert_cmpint (v->verdict, !=, VERDICT_LEGIT);
	EXPECT (v, VERDICT_FORGED);
	EXPECT_TEST (v, "MSGID_RELAYED_FOREIGN", TRUE);
	EXPECT_TEST (v, "MSGID_SENT", FALSE);
	EXPECT_TEST (v, "MSGID_NOT_SENT", FALSE);

	/* Even with a hand-off of ours, a foreign row is no evidence of ours. */
	g_autofree char *o2 = original (HOP_OURS, "<relayed1@example.com>", NULL);
	g_autofree char *m2 = dsn ("alice@example.com", "dave@remote.example", NULL, o2);
	g_autoptr (Verdict) v2 = judge (ctx_main, m2);
	g_assert_cmpint (v2->verdict, !=, VERDICT_LEGIT);
	EXPECT_TEST (v2, "MSGID_RELAYED_FOREIGN", TRUE);
}

static void
test_msgid_missing_covered (void)
{
	g_autofree char *o = original (HOP_SPAM ("Fri, 27 Nov 2026 10:00:01 +0000"), "<forged1@example.com>", NULL);
	g_autofree char *m = dsn ("alice@example.com", "dave@remote.example", NULL, o);
	g_autoptr (Verdict) v = judge (ctx_main, m);
	EXPECT (v, VERDICT_FORGED);
	EXPECT_TEST (v, "MSGID_NOT_SENT", TRUE);
	EXPECT_TEST (v, "LOG_NOT_COVERING", FALSE);
	EXPECT_TEST (v, "HANDOFF_NOT_LOCAL", TRUE);
	g_assert_cmpint (v->moment, ==, T0 + 1);
	g_assert_false (v->match.found);

	/* The coverage edges are inside. */
	g_autofree char *o2 = original (HOP_SPAM ("Fri, 27 Nov 2026 11:00:00 +0000"), "<forged1@example.com>", NULL);
	g_autofree char *m2 = dsn ("alice@example.com", "dave@remote.example", NULL, o2);
	g_autoptr (Verdict) v2 = judge (ctx_main, m2);
	EXPECT_TEST (v2, "MSGID_NOT_SENT", TRUE);

	/* [sentlog] servers=out: the same. */
	g_autoptr (Verdict) v3 = judge (ctx_servers_ok, m);
	EXPECT (v3, VERDICT_FORGED);
	EXPECT_TEST (v3, "MSGID_NOT_SENT", TRUE);
}

static void
test_msgid_missing_uncovered (void)
{
	/* The interval reaches past the log's last line (11:00; the
	 * importer has not caught up), or before its first (12 days back,
	 * the hand-off less 5 days). */
	static const struct {
		const char *handoff, *arrival;
	} cases[] = {
		{ "Fri, 27 Nov 2026 11:00:01 +0000", "Fri, 27 Nov 2026 11:05:00 +0000" },
		{ "Fri, 27 Nov 2026 10:50:00 +0000", "Fri, 27 Nov 2026 11:00:01 +0000" },
		{ "Sun, 29 Nov 2026 10:00:00 +0000", "Sun, 29 Nov 2026 10:05:00 +0000" },
		{ "Mon, 16 Nov 2026 10:00:00 +0000", "Mon, 16 Nov 2026 10:05:00 +0000" },
		{ "Mon, 20 Nov 2026 10:00:00 +0000", "Fri, 27 Nov 2026 10:05:09 +0000" },
	};
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree char *rcv = g_strdup_printf (HOP_SPAM ("%s"), cases[i].handoff);
		g_autofree char *o = original (rcv, "<forged1@example.com>", NULL);
		g_autofree char *m = dsn_at (cases[i].arrival, "alice@example.com", "dave@remote.example", NULL, o);
		g_autoptr (Verdict) v = judge (ctx_main, m);
		EXPECT (v, VERDICT_UNKNOWN);
		EXPECT_TEST (v, "LOG_NOT_COVERING", TRUE);
		EXPECT_TEST (v, "MSGID_NOT_SENT", FALSE);
		EXPECT_TEST (v, "HANDOFF_NOT_LOCAL", TRUE);
	}
	/* The hand-off hop's date wins over the report's Arrival-Date and the
	 * bounce's own date... */
	g_autofree char *o = original (HOP_SPAM ("Sun, 29 Nov 2026 10:00:00 +0000"), "<forged1@example.com>", NULL);
	g_autofree char *m = dsn ("alice@example.com", "dave@remote.example", "Fri, 27 Nov 2026 10:00:05 +0000", o);
	g_autoptr (Verdict) v = judge (ctx_main, m);
	g_assert_cmpint (v->moment, ==, T0 + 2 * DAY);
	/* ... but a bouncer's clock two days ahead of ours says nothing: the
	 * original left us before the bounce arrived (10:05:09), perhaps the
	 * bouncer's queue lifetime before, so the interval reaches back ten
	 * days and 15 minutes from then, which the log (from 12 days back)
	 * covers. */
	EXPECT_TEST (v, "MSGID_NOT_SENT", TRUE);
	g_assert_cmpint (v->coverage.from, ==, T0 + 309 - 10 * DAY - 900);
	g_assert_cmpint (v->coverage.to, ==, T0 + 309);
}

/* The bouncer's clock a few minutes off ours, and the bounce's arrival
 * by our clock: the interval is [hand-off - 5 days - 15 min, min (hand-off
 * + 15 min, arrival)]. */
static void
test_skewed_bounce_date (void)
{
	/* The remote clock 10 minutes ahead: the hop says 11:04, the bounce
	 * arrived at 10:58 by ours. Judged up to 10:58, which the log holds. */
	g_autofree char *o = original (HOP_SPAM ("Fri, 27 Nov 2026 11:04:00 +0000"), "<forged1@example.com>", NULL);
	g_autofree char *m = dsn_at ("Fri, 27 Nov 2026 10:58:00 +0000", "alice@example.com", "dave@remote.example",
	                             NULL, o);
	g_autoptr (Verdict) v = judge (ctx_main, m);
	EXPECT (v, VERDICT_FORGED);
	EXPECT_TEST (v, "MSGID_NOT_SENT", TRUE);
	g_assert_cmpint (v->coverage.to, ==, T0 + 3480);
	g_assert_cmpint (v->coverage.from, ==, T0 + 3480 - 5 * DAY - 900);
	/* The remote clock 10 minutes behind: the hop says 10:50, the bounce
	 * arrived at 11:20 by ours; the interval ends at 11:05, past the
	 * log's last line: not judged. */
	g_autofree char *o2 = original (HOP_SPAM ("Fri, 27 Nov 2026 10:50:00 +0000"), "<forged1@example.com>", NULL);
	g_autofree char *m2 = dsn_at ("Fri, 27 Nov 2026 11:20:00 +0000", "alice@example.com", "dave@remote.example",
	                              NULL, o2);
	g_autoptr (Verdict) v2 = judge (ctx_main, m2);
	EXPECT (v2, VERDICT_UNKNOWN);
	EXPECT_TEST (v2, "LOG_NOT_COVERING", TRUE);
	g_assert_cmpint (v2->coverage.to, ==, T0 + 3000 + 900);
	/* The bounce came quickly: arrival 10:00:30 caps the interval, whose
	 * end the log holds. */
	g_autofree char *o3 = original (HOP_SPAM ("Fri, 27 Nov 2026 10:00:20 +0000"), "<forged1@example.com>", NULL);
	g_autofree char *m3 = dsn_at ("Fri, 27 Nov 2026 10:00:30 +0000", "alice@example.com", "dave@remote.example",
	                              NULL, o3);
	g_autoptr (Verdict) v3 = judge (ctx_main, m3);
	EXPECT_TEST (v3, "MSGID_NOT_SENT", TRUE);
	g_assert_cmpint (v3->coverage.to, ==, T0 + 30);
	/* Without our Received line the bounce's Date (10:00:00) is the
	 * bouncer's clock, 20 s behind its own hop date: the skew is allowed
	 * on it too. */
	g_autofree char *m4 = dsn_at ("Fri, 27 Nov 2026 10:00:30 +0000", "alice@example.com", "dave@remote.example",
	                              NULL, o3);
	char *rcv = strstr (m4, "Received: ");
	char *from = strstr (m4, "From: MAILER-DAEMON");
	char *date = strstr (m4, "Date: Fri, 27 Nov 2026 10:05:08");
	REQUIRE (rcv && from && date);
	memcpy (date + 6, "Fri, 27 Nov 2026 10:00:00", 25);
	memmove (rcv, from, strlen (from) + 1);
	g_autoptr (Verdict) v4 = judge (ctx_main, m4);
	g_assert_cmpint (v4->coverage.to, ==, T0 + 900);
}

/* A quoted value that is no single Message-ID is no Message-ID at all: it
 * is never looked up, so it never counts as one the log lacks. */
static void
test_msgid_garbage_not_missing (void)
{
	static const char *const ids[] = { "<forged1@example.com> <other@example.com>", "<<forged1@example.com>>",
	                                   "<forged1@example.com", "(only a comment)" };
	for (guint i = 0; i < G_N_ELEMENTS (ids); i++) {
		g_autofree char *o = original (HOP_SPAM ("Fri, 27 Nov 2026 10:00:01 +0000"), ids[i], NULL);
		g_autofree char *m = dsn ("alice@example.com", "dave@remote.example", NULL, o);
		g_autoptr (Verdict) v = judge (ctx_main, m);
		EXPECT_TEST (v, "MSGID_NOT_SENT", FALSE);
		EXPECT_TEST (v, "LOG_NOT_COVERING", FALSE);
		EXPECT_EVAL (v, EVAL_MSGID_DOMAIN_LOCAL, FALSE);
		g_assert_cmpstr (v->match_by, !=, "message_id"); /* the recipient may match */
	}
}

/* No hand-off date: the report's Arrival-Date, else the bounce's arrival. */
static void
test_moment_fallbacks (void)
{
	const char *rcv = "Received: from out.example.com (unknown [203.0.113.5]) by mx.remote.example with ESMTP id 1\n";
	g_autofree char *o = original (rcv, "<forged1@example.com>", NULL);
	g_autofree char *m1 = dsn_at ("Sat, 28 Nov 2026 10:05:00 +0000", "alice@example.com", "dave@remote.example",
	                              "Sat, 28 Nov 2026 10:00:00 +0000", o);
	g_autoptr (Verdict) v1 = judge (ctx_main, m1);
	g_assert_cmpint (v1->moment, ==, T0 + DAY);
	EXPECT_TEST (v1, "LOG_NOT_COVERING", TRUE);

	g_autofree char *m2 = dsn ("alice@example.com", "dave@remote.example", NULL, o);
	g_autoptr (Verdict) v2 = judge (ctx_main, m2);
	g_assert_cmpint (v2->moment, ==, T0 + 309); /* the bounce's Received: 10:05:09, covered */
	EXPECT_TEST (v2, "MSGID_NOT_SENT", TRUE);
	EXPECT_TEST (v2, "LOG_NOT_COVERING", FALSE);
	/* the moment is the arrival: the bouncer's queue lifetime too */
	g_assert_cmpint (v2->coverage.from, ==, T0 + 309 - 10 * DAY - 900);
	g_assert_cmpint (v2->coverage.to, ==, T0 + 309);
}

static void
test_servers_without_log (void)
{
	g_autofree char *o = original (HOP_SPAM ("Fri, 27 Nov 2026 10:00:01 +0000"), "<forged1@example.com>", NULL);
	g_autofree char *m = dsn ("alice@example.com", "dave@remote.example", NULL, o);
	g_autoptr (Verdict) v = judge (ctx_servers_missing, m);
	EXPECT (v, VERDICT_UNKNOWN);
	EXPECT_TEST (v, "LOG_NOT_COVERING", TRUE);
	EXPECT_TEST (v, "MSGID_NOT_SENT", FALSE);
}

static void
test_recipient_window (void)
{
	/* Nothing quoted; bob sent to carol 3 days before. */
	static const char *const rcpts[] = { "bob@example.com", "bob+lists@example.com", "bob@EXAMPLE.COM",
	                                     "prvs=0123abcdef=bob@example.com", "<bob@example.com>" };
	for (guint i = 0; i < G_N_ELEMENTS (rcpts); i++) {
		g_autofree char *m = dsn (rcpts[i], "carol@remote.example", "Fri, 27 Nov 2026 10:00:00 +0000", NULL);
		g_autoptr (Verdict) v = judge (ctx_main, m);
		EXPECT (v, VERDICT_LEGIT);
		EXPECT_TEST (v, "RCPT_SENT", TRUE);
		EXPECT_TEST (v, "NOTHING_QUOTED", TRUE);
		if (g_strcmp0 (v->match_by, "recipient") != 0)
			FAIL ("X-Original-To: %s: not matched by recipient", rcpts[i]);
	}
	/* Quoted, but without a Message-ID. */
	g_autofree char *o = original (HOP_OURS, NULL, NULL);
	g_autofree char *m2 = dsn ("bob@example.com", "carol@remote.example", "Fri, 27 Nov 2026 10:00:00 +0000", o);
	g_autoptr (Verdict) v2 = judge (ctx_main, m2);
	EXPECT (v2, VERDICT_LEGIT);
	EXPECT_TEST (v2, "RCPT_SENT", TRUE);

	/* Outside window_days (14): 20 days later; or before it was sent. */
	static const char *const late[] = { "Thu, 17 Dec 2026 10:00:00 +0000", "Sat, 21 Nov 2026 10:00:00 +0000" };
	for (guint i = 0; i < G_N_ELEMENTS (late); i++) {
		g_autofree char *m = dsn ("bob@example.com", "carol@remote.example", late[i], NULL);
		g_autoptr (Verdict) v = judge (ctx_main, m);
		g_assert_cmpint (v->verdict, !=, VERDICT_LEGIT);
		EXPECT_TEST (v, "RCPT_SENT", FALSE);
	}
	/* Another sender, another recipient: nothing. */
	g_autofree char *m3 = dsn ("alice@example.com", "carol@remote.example", "Fri, 27 Nov 2026 10:00:00 +0000", NULL);
	g_autoptr (Verdict) v3 = judge (ctx_main, m3);
	g_assert_cmpint (v3->verdict, !=, VERDICT_LEGIT);
	g_autofree char *m4 = dsn ("bob@example.com", "dave@remote.example", "Fri, 27 Nov 2026 10:00:00 +0000", NULL);
	g_autoptr (Verdict) v4 = judge (ctx_main, m4);
	g_assert_cmpint (v4->verdict, !=, VERDICT_LEGIT);
	/* Mail relayed for an outside client is no evidence. */
	g_autofree char *m5 = dsn ("frank@example.com", "grace@remote.example", "Fri, 27 Nov 2026 10:00:00 +0000", NULL);
	g_autoptr (Verdict) v5 = judge (ctx_main, m5);
	g_assert_cmpint (v5->verdict, !=, VERDICT_LEGIT);
	EXPECT_TEST (v5, "RCPT_SENT", FALSE);
}

/* ---- the hand-off hop ---------------------------------------------------- */

typedef struct {
	const char *what;
	const char *received;
	int handoff;           /* expected index, -1 none */
	gboolean ours;
} HopCase;

static void
check_hop_cases (const Engine *ctx, const HopCase *cases, guint n);

static void
test_handoff (void)
{
	static const HopCase cases[] = {
		{ "loopback and private hops of the bouncer are skipped",
		  "Received: from localhost (localhost [127.0.0.1]) by mx.remote.example (Postfix) with ESMTP id 1;"
		  " Fri, 27 Nov 2026 10:00:03 +0000\n"
		  "Received: from filter.remote.example (filter.remote.example [10.1.2.3]) by localhost with ESMTP id 2;"
		  " Fri, 27 Nov 2026 10:00:02 +0000\n"
		  "Received: from ipv6 (ipv6 [IPv6:::1]) by filter.remote.example with ESMTP id 3;"
		  " Fri, 27 Nov 2026 10:00:02 +0000\n"
		  "Received: from ula (ula [IPv6:fd00::25]) by filter.remote.example with ESMTP id 3;"
		  " Fri, 27 Nov 2026 10:00:02 +0000\n"
		  "Received: from out.example.com (out.example.com [192.0.2.11]) by mx-in.remote.example with ESMTPS id 4;"
		  " Fri, 27 Nov 2026 10:00:01 +0000\n",
		  4, TRUE },
		{ "hops inside one organisation are skipped",
		  "Received: from mx-in.remote.example (mx-in.remote.example [198.51.100.20]) by store.remote.example"
		  " with ESMTP id 1; Fri, 27 Nov 2026 10:00:03 +0000\n"
		  "Received: from spam.invalid (dyn-5.isp.example [203.0.113.5]) by mx-in.remote.example with ESMTP id 2;"
		  " Fri, 27 Nov 2026 10:00:01 +0000\n",
		  1, FALSE },
		{ "HELO is never trusted (Postfix shape)",
		  "Received: from out.example.com (unknown [203.0.113.5]) by mx.remote.example (Postfix) with ESMTP id 1;"
		  " Fri, 27 Nov 2026 10:00:01 +0000\n",
		  0, FALSE },
		{ "HELO is never trusted (Exim shape)",
		  "Received: from [203.0.113.5] (helo=mx1.example.com) by mx.remote.example with esmtp (Exim 4.96)"
		  " id 1abc; Fri, 27 Nov 2026 10:00:01 +0000\n",
		  0, FALSE },
		{ "HELO is never trusted (address literal only)",
		  "Received: from out.example.com ([203.0.113.5]) by mx.remote.example with ESMTP id 1;"
		  " Fri, 27 Nov 2026 10:00:01 +0000\n",
		  0, FALSE },
		{ "a client in [local] networks is ours, whatever its names",
		  "Received: from whatever.invalid (unknown [192.0.2.77]) by mx.remote.example with ESMTP id 1;"
		  " Fri, 27 Nov 2026 10:00:01 +0000\n",
		  0, TRUE },
		{ "an rDNS name in [local] relays is ours",
		  "Received: from helo.invalid (mx1.example.com [198.51.100.99]) by mx.remote.example with ESMTP id 1;"
		  " Fri, 27 Nov 2026 10:00:01 +0000\n",
		  0, TRUE },
		{ "an authenticated hop to our relay is ours (we bounced it ourselves)",
		  "Received: from laptop (unknown [203.0.113.77]) (Authenticated sender: alice)"
		  " by out.example.com (Postfix) with ESMTPSA id 1; Fri, 27 Nov 2026 10:00:01 +0000\n",
		  0, TRUE },
		{ "an authenticated hop to someone else's server is not ours",
		  "Received: from laptop (unknown [203.0.113.77]) (Authenticated sender: alice)"
		  " by mx.remote.example (Postfix) with ESMTPSA id 1; Fri, 27 Nov 2026 10:00:01 +0000\n",
		  0, FALSE },
		{ "an unauthenticated hop into our relay from outside is not ours",
		  "Received: from laptop (unknown [203.0.113.77]) by out.example.com (Postfix) with ESMTP id 1;"
		  " Fri, 27 Nov 2026 10:00:01 +0000\n",
		  0, FALSE },
		{ "lines below the hand-off are claims",
		  "Received: from spam.invalid (unknown [203.0.113.5]) by mx.remote.example with ESMTP id 1;"
		  " Fri, 27 Nov 2026 10:00:01 +0000\n"
		  "Received: from out.example.com (out.example.com [192.0.2.11]) by out.example.com with ESMTPSA id 2;"
		  " Fri, 27 Nov 2026 10:00:00 +0000\n",
		  0, FALSE },
		{ "hosts under one public suffix are not one organisation (co.uk)",
		  "Received: from mx.spammer.co.uk (mx.spammer.co.uk [203.0.113.5]) by mx.bouncer.co.uk with ESMTP id 1;"
		  " Fri, 27 Nov 2026 10:00:01 +0000\n"
		  "Received: from out.example.com (out.example.com [192.0.2.11]) by mx.spammer.co.uk with ESMTPSA id 2;"
		  " Fri, 27 Nov 2026 10:00:00 +0000\n",
		  0, FALSE },
		{ "no Received lines: no hand-off", "", -1, FALSE },
	};
	check_hop_cases (ctx_main, cases, G_N_ELEMENTS (cases));
}

/* Postfix's default mynetworks has 127.0.0.0/8 and admins copy it into
 * [local] networks. A content filter (amavis) re-injecting on loopback
 * adds a hop from 127.0.0.1 above where the message really came in: it
 * must not make spam that our own server bounced look handed off by us.
 * Loopback hops are skipped; only a chain of nothing else (mail
 * submitted on the server itself) has one as its hand-off. */
static void
test_handoff_loopback_networks (void)
{
	static const HopCase cases[] = {
		{ "re-injected on loopback: the hop below it is the hand-off (spam)",
		  "Received: from localhost (localhost [127.0.0.1]) by out.example.com (Postfix) with ESMTP id 2;"
		  " Fri, 27 Nov 2026 10:00:02 +0000\n"
		  "Received: from spam.invalid (unknown [203.0.113.5]) by out.example.com (Postfix) with ESMTP id 1;"
		  " Fri, 27 Nov 2026 10:00:01 +0000\n",
		  1, FALSE },
		{ "re-injected on loopback: the hop below it is the hand-off (our user)",
		  "Received: from localhost (localhost [IPv6:::1]) by out.example.com (Postfix) with ESMTP id 2;"
		  " Fri, 27 Nov 2026 10:00:02 +0000\n"
		  "Received: from laptop (unknown [192.0.2.50]) by out.example.com (Postfix) with ESMTP id 1;"
		  " Fri, 27 Nov 2026 10:00:01 +0000\n",
		  1, TRUE },
		{ "submitted on the server itself: loopback is the hand-off, ours",
		  "Received: from localhost (localhost [127.0.0.1]) by out.example.com (Postfix) with ESMTP id 1;"
		  " Fri, 27 Nov 2026 10:00:01 +0000\n",
		  0, TRUE },
	};
	g_autofree char *text = g_strdup_printf ("[local]\ndomains=example.com\nrelays=out.example.com\n"
	                                         "networks=192.0.2.0/24;127.0.0.0/8;::1/128\n"
	                                         "[sentlog]\npath=%s/no-such.db\n[rules]\ndirs=%s\n",
	                                         tmpdir, rules_dir);
	g_autofree char *path = write_tmp ("loopback-networks.conf", text);
	g_autoptr (GError) error = NULL;
	g_autoptr (Config) c = config_load (path, NULL, NULL, &error);
	g_assert_no_error (error);
	g_autoptr (Engine) ctx = make_context (c);
	check_hop_cases (ctx, cases, G_N_ELEMENTS (cases));
}

static void
check_hop_cases (const Engine *ctx, const HopCase *cases, guint n)
{
	for (guint i = 0; i < n; i++) {
		const HopCase *c = &cases[i];
		g_autofree char *o = original (c->received, "<hop@example.com>", NULL);
		g_autofree char *m = dsn ("alice@example.com", "dave@remote.example", NULL, o);
		g_autoptr (Verdict) v = judge (ctx, m);
		if (v->bounce->original == NULL) {
			FAIL ("%s: no original found", c->what);
			continue;
		}
		gboolean local = v->evals.fired[EVAL_HANDOFF_LOCAL], foreign = v->evals.fired[EVAL_HANDOFF_FOREIGN];
		gboolean ok = v->handoff == c->handoff &&
		              (c->handoff < 0 ? !local && !foreign : local == c->ours && foreign == !c->ours);
		if (!ok) {
			g_autofree char *d = describe (v);
			FAIL ("%s: expected hop %d %s, got hop %d local=%d foreign=%d\n%s", c->what, c->handoff + 1,
			      c->ours ? "ours" : "foreign", v->handoff + 1, local, foreign, d);
		} else if (c->handoff >= 0) {
			EXPECT_TEST (v, c->ours ? "HANDOFF_LOCAL" : "HANDOFF_NOT_LOCAL", TRUE);
			EXPECT_TEST (v, c->ours ? "HANDOFF_NOT_LOCAL" : "HANDOFF_LOCAL", FALSE);
		}
	}
}

/* ---- authentication results -------------------------------------------------- */

static void
test_auth_fail_local (void)
{
	static const struct {
		const char *header;
		gboolean fires;
	} cases[] = {
		{ "Authentication-Results: mx.remote.example; spf=fail smtp.mailfrom=alice@example.com\n", TRUE },
		{ "Authentication-Results: mx.remote.example; SPF=SoftFail smtp.mailfrom=example.com\n", TRUE },
		{ "Authentication-Results: mx.remote.example;\n\tdkim=fail (bad signature) header.d=example.com header.i=@example.com\n", TRUE },
		{ "Authentication-Results: mx.remote.example; dkim=pass header.d=remote.example;\n\tdmarc=fail (p=reject) header.from=example.com\n", TRUE },
		{ "Authentication-Results: mx.remote.example; spf=fail smtp.mailfrom=alice@sub.example.com\n", TRUE },
		{ "Received-SPF: Fail (mailfrom) identity=mailfrom; client-ip=203.0.113.5; helo=out.example.com;"
		  " envelope-from=alice@example.com; receiver=<UNKNOWN>\n", TRUE },
		{ "Received-SPF: fail (remote.example: domain of alice@example.com does not designate 203.0.113.5"
		  " as permitted sender)\n", TRUE },
		{ "Received-SPF: softfail (remote.example: domain of transitioning alice@example.com does not"
		  " designate 203.0.113.5 as permitted sender)\n", TRUE },
		/* not failures, or not of our domain */
		{ "Authentication-Results: mx.remote.example; spf=pass smtp.mailfrom=alice@example.com;\n"
		  "\tdkim=pass header.d=example.com; dmarc=pass header.from=example.com\n", FALSE },
		{ "Authentication-Results: mx.remote.example; spf=fail smtp.mailfrom=alice@notexample.com\n", FALSE },
		{ "Authentication-Results: mx.remote.example; dkim=fail header.d=example.com.evil.example\n", FALSE },
		{ "Authentication-Results: mx.remote.example; spf=neutral smtp.mailfrom=alice@example.com\n", FALSE },
		{ "Received-SPF: Pass (mailfrom) identity=mailfrom; client-ip=192.0.2.11;"
		  " envelope-from=alice@example.com\n", FALSE },
		{ "Received-SPF: fail (remote.example: domain of alice@example.net does not designate 203.0.113.5"
		  " as permitted sender)\n", FALSE },
	};
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree char *o = original (HOP_OURS, "<sent1@example.com>", cases[i].header);
		g_autofree char *m = dsn ("alice@example.com", "dave@remote.example", NULL, o);
		g_autoptr (Verdict) v = judge (ctx_main, m);
		if (!v->evals.fired[EVAL_AUTH_FAIL_LOCAL] != !cases[i].fires) {
			g_autofree char *d = describe (v);
			FAIL ("%s: auth_fail_local() %s\n%s", cases[i].header,
			                    cases[i].fires ? "did not fire" : "fired", d);
		}
		EXPECT_TEST (v, "AUTH_FAIL_LOCAL", cases[i].fires);
		/* The log says we sent it: legit all the same. */
		EXPECT (v, VERDICT_LEGIT);
	}

	/* With an unlogged Message-ID it adds to the score. */
	g_autofree char *o = original (HOP_OURS, "<unlogged@example.com>", cases[0].header);
	g_autofree char *m = dsn ("alice@example.com", "dave@remote.example", NULL, o);
	g_autoptr (Verdict) v = judge (ctx_main, m);
	EXPECT_TEST (v, "AUTH_FAIL_LOCAL", TRUE);
	EXPECT (v, VERDICT_FORGED);
}

/* ---- BATV ------------------------------------------------------------------ */

/* prvs=KDDDHHHHHH=mailbox: HMAC-SHA1 (secret, K DDD mailbox), first 3 bytes. */
static char *
prvs (const char *secret, char key, int day, const char *mailbox)
{
	g_autofree char *kddd = g_strdup_printf ("%c%03d", key, day);
	g_autoptr (GHmac) h = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *) secret, strlen (secret));
	g_hmac_update (h, (const guchar *) kddd, 4);
	g_hmac_update (h, (const guchar *) mailbox, strlen (mailbox));
	guint8 d[20];
	gsize n = sizeof d;
	g_hmac_get_digest (h, d, &n);
	return g_strdup_printf ("prvs=%s%02x%02x%02x=%s", kddd, d[0], d[1], d[2], mailbox);
}

static void
test_batv (void)
{
	gint64 now = g_get_real_time () / G_USEC_PER_SEC;
	int today = (int) ((now / DAY) % 1000);
	int expiry = (int) ((now / DAY + 2) % 1000);
	const char *mbox = "alice@example.com";
	g_autofree char *valid = prvs ("secret", '0', expiry, mbox);
	/* the last day of max_age_days (7): still valid (and a day later,
	 * should the date roll over during the test) */
	g_autofree char *valid_last = prvs ("secret", '0', (today + 7) % 1000, mbox);
	g_autofree char *expired = prvs ("secret", '0', (today + 999) % 1000, mbox);
	g_autofree char *wrong_secret = prvs ("guess", '0', expiry, mbox);
	g_autofree char *wrong_key = prvs ("secret", '1', expiry, mbox);
	g_autofree char *other_mbox = prvs ("secret", '0', expiry, "bob@example.com");
	/* the tag of bob's address on alice's */
	g_autofree char *moved = g_strdup_printf ("%.15s=%s", other_mbox, mbox);
	g_autofree char *tampered = g_strdup (valid);
	tampered[9] = tampered[9] == '0' ? '1' : '0';
	g_autofree char *upper = g_ascii_strup (valid, 15);
	g_autofree char *upper_tag = g_strconcat (upper, valid + 15, NULL);

	static const char *const names[] = { "valid", "valid, expiring in max_age_days", "upper-case hex", "tampered", "expired",
	                                     "wrong secret", "no such key", "moved to another mailbox", "missing" };
	const char *addrs[] = { valid, valid_last, upper_tag, tampered, expired, wrong_secret, wrong_key, moved, mbox };
	const gboolean ok[] = { TRUE, TRUE, TRUE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE };
	for (guint i = 0; i < G_N_ELEMENTS (addrs); i++) {
		g_autofree char *o = original (HOP_SPAM ("Fri, 27 Nov 2026 10:00:01 +0000"), "<batv@example.com>", NULL);
		g_autofree char *m = dsn (addrs[i], "dave@remote.example", NULL, o);
		g_autoptr (Verdict) v = judge (ctx_batv, m);
		if (v->evals.fired[EVAL_BATV_VALID] != ok[i] || v->evals.fired[EVAL_BATV_INVALID] != !ok[i]) {
			g_autofree char *d = describe (v);
			FAIL ("BATV %s (%s): expected %s\n%s", names[i], addrs[i], ok[i] ? "valid" : "invalid", d);
		}
		EXPECT_TEST (v, "BATV_VALID", ok[i]);
		EXPECT_TEST (v, "BATV_INVALID", !ok[i]);
	}

	/* Without [batv] keys neither fires. */
	g_autofree char *o = original (HOP_SPAM ("Fri, 27 Nov 2026 10:00:01 +0000"), "<batv@example.com>", NULL);
	g_autofree char *m = dsn (mbox, "dave@remote.example", NULL, o);
	g_autoptr (Verdict) v = judge (ctx_main, m);
	EXPECT_EVAL (v, EVAL_BATV_VALID, FALSE);
	EXPECT_EVAL (v, EVAL_BATV_INVALID, FALSE);
}

/* ---- other classes ------------------------------------------------------- */

static void
test_not_a_bounce (void)
{
	static const char msg[] = "Received: from mx.remote.example (mx.remote.example [198.51.100.7])\n"
	                          "\tby mx1.example.com with ESMTP id 1; Fri, 27 Nov 2026 10:05:09 +0000\n"
	                          "From: Dave <dave@remote.example>\n"
	                          "To: alice@example.com\n"
	                          "Subject: Re: Agenda\n"
	                          "Message-ID: <reply1@remote.example>\n"
	                          "In-Reply-To: <sent1@example.com>\n"
	                          "Date: Fri, 27 Nov 2026 10:05:00 +0000\n"
	                          "\n"
	                          "Sounds good.\n";
	g_autoptr (Verdict) v = judge (ctx_main, msg);
	EXPECT (v, VERDICT_NONE);
	g_assert_cmpuint (v->tests->len, ==, 0);
	g_assert_cmpfloat (v->score, ==, 0.0);
	g_autofree char *h = verdict_header_value (v, "X-NDR-Verdict");
	g_assert_cmpstr (h, ==, "none; kind=none; score=0.0; tests=none");

	g_autoptr (Verdict) e = judge (ctx_main, "");
	EXPECT (e, VERDICT_NONE);
}

static void
test_no_sentlog (void)
{
	g_autofree char *o = original (HOP_OURS, "<sent1@example.com>", NULL);
	g_autofree char *m = dsn ("alice@example.com", "dave@remote.example", NULL, o);
	g_autofree char *o2 = original (HOP_SPAM ("Fri, 27 Nov 2026 10:00:01 +0000"), "<forged1@example.com>", NULL);
	g_autofree char *m2 = dsn ("alice@example.com", "dave@remote.example", NULL, o2);
	g_autofree char *m3 = dsn ("bob@example.com", "carol@remote.example", "Fri, 27 Nov 2026 10:00:00 +0000", NULL);
	Engine *ctxs[] = { ctx_nolog, ctx_badlog };
	for (guint i = 0; i < G_N_ELEMENTS (ctxs); i++) {
		g_autoptr (Verdict) v = judge (ctxs[i], m);
		EXPECT (v, VERDICT_UNKNOWN);
		EXPECT_TEST (v, "NO_SENTLOG", TRUE);
		EXPECT_TEST (v, "MSGID_SENT", FALSE);
		g_assert_false (v->sentlog_read);
		g_assert_null (v->match_by);

		g_autoptr (Verdict) v2 = judge (ctxs[i], m2);
		g_assert_cmpint (v2->verdict, !=, VERDICT_LEGIT);
		EXPECT_TEST (v2, "NO_SENTLOG", TRUE);
		EXPECT_TEST (v2, "MSGID_NOT_SENT", FALSE);
		EXPECT_TEST (v2, "LOG_NOT_COVERING", FALSE);

		g_autoptr (Verdict) v3 = judge (ctxs[i], m3);
		EXPECT (v3, VERDICT_UNKNOWN);
		EXPECT_TEST (v3, "RCPT_SENT", FALSE);
	}
}

/* Many threads judging at once, each with its own connection. */
typedef struct {
	const Engine *ctx;
	const char *msg;
	VerdictClass want;
	gint bad;
} ThreadJob;

static gpointer
thread_judge (gpointer data)
{
	ThreadJob *j = data;
	for (int i = 0; i < 20; i++) {
		g_autoptr (Verdict) v = judge (j->ctx, j->msg);
		if (v->verdict != j->want)
			g_atomic_int_inc (&j->bad);
	}
	return NULL;
}

static void
test_threads (void)
{
	g_autofree char *o = original (HOP_OURS, "<sent1@example.com>", NULL);
	g_autofree char *m = dsn ("alice@example.com", "dave@remote.example", NULL, o);
	g_autofree char *o2 = original (HOP_SPAM ("Fri, 27 Nov 2026 10:00:01 +0000"), "<forged1@example.com>", NULL);
	g_autofree char *m2 = dsn ("alice@example.com", "dave@remote.example", NULL, o2);
	ThreadJob jobs[2] = { { ctx_main, m, VERDICT_LEGIT, 0 }, { ctx_main, m2, VERDICT_FORGED, 0 } };
	GThread *t[4];
	for (int i = 0; i < 4; i++)
		t[i] = g_thread_new ("judge", thread_judge, &jobs[i % 2]);
	for (int i = 0; i < 4; i++)
		g_thread_join (t[i]);
	g_assert_cmpint (jobs[0].bad, ==, 0);
	g_assert_cmpint (jobs[1].bad, ==, 0);
}

/* A context made after another was freed reads its own sent log. */
static void
test_context_after_free (void)
{
	g_autofree char *o = original (HOP_OURS, "<sent1@example.com>", NULL);
	g_autofree char *m = dsn ("alice@example.com", "dave@remote.example", NULL, o);
	for (int round = 0; round < 3; round++) {
		Engine *a = make_context (cfg_main);
		g_autoptr (Verdict) va = judge (a, m);
		EXPECT (va, VERDICT_LEGIT);
		engine_unref (a);
		Engine *b = make_context (cfg_nolog);
		g_autoptr (Verdict) vb = judge (b, m);
		if (vb->verdict != VERDICT_UNKNOWN || !vb->evals.fired[EVAL_SENTLOG_ABSENT]) {
			g_autofree char *d = describe (vb);
			FAIL ("round %d: a context without a sent log (%s) used the freed context's log%s: %s",
			                    round, cfg_nolog->sentlog_path, a == b ? " (same address)" : "", d);
		}
		engine_unref (b);
	}
}

/* ---- the header value ------------------------------------------------------ */

static Verdict *
fake_verdict (VerdictClass cls, double score, const char *const *tests)
{
	static const char msg[] = "From: MAILER-DAEMON@mx.remote.example\n"
	                          "To: alice@example.com\n"
	                          "Subject: Undelivered\n"
	                          "MIME-Version: 1.0\n"
	                          "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n"
	                          "\n--B\nContent-Type: message/delivery-status\n\n"
	                          "Reporting-MTA: dns; mx.remote.example\n\n"
	                          "Final-Recipient: rfc822; dave@remote.example\nAction: failed\nStatus: 5.1.1\n"
	                          "--B--\n";
	Verdict *v = g_new0 (Verdict, 1);
	v->verdict = cls;
	v->score = score;
	v->handoff = -1;
	v->tests = g_ptr_array_new_with_free_func (g_free);
	for (guint i = 0; tests && tests[i]; i++)
		g_ptr_array_add (v->tests, g_strdup (tests[i]));
	v->bounce = bounce_parse (NULL, msg, strlen (msg));
	return v;
}

/* verdict_tests_join: in order, comma-separated, `none` when empty. */
static void
test_tests_join (void)
{
	const char *three[] = { "A", "B_2", "C", NULL }, *one[] = { "ONLY", NULL };
	g_autoptr (Verdict) a = fake_verdict (VERDICT_FORGED, 9.0, three);
	g_autoptr (Verdict) b = fake_verdict (VERDICT_FORGED, 9.0, one);
	g_autoptr (Verdict) c = fake_verdict (VERDICT_UNKNOWN, 0.0, NULL);
	g_autofree char *ja = verdict_tests_join (a, "none");
	g_autofree char *jb = verdict_tests_join (b, "none");
	g_autofree char *jc = verdict_tests_join (c, "none");
	g_autofree char *jc_empty = verdict_tests_join (c, "");
	g_assert_cmpstr (ja, ==, "A,B_2,C");
	g_assert_cmpstr (jb, ==, "ONLY");
	g_assert_cmpstr (jc, ==, "none");
	g_assert_cmpstr (jc_empty, ==, "");
}

static void
test_header_format (void)
{
	{
		const char *tests[] = { "A", "B", NULL };
		g_autoptr (Verdict) v = fake_verdict (VERDICT_FORGED, 11.0, tests);
		g_assert_cmpint (v->bounce->kind, ==, BOUNCE_KIND_DSN);
		g_autofree char *h = verdict_header_value (v, "X-NDR-Verdict");
		g_assert_cmpstr (h, ==, "forged; kind=dsn; score=11.0; tests=A,B");
	}
	{
		g_autoptr (Verdict) v = fake_verdict (VERDICT_UNKNOWN, 0.0, NULL);
		g_autofree char *h = verdict_header_value (v, "X-NDR-Verdict");
		g_assert_cmpstr (h, ==, "unknown; kind=dsn; score=0.0; tests=none");
	}
	{
		const char *tests[] = { "MSGID_SENT", NULL };
		g_autoptr (Verdict) v = fake_verdict (VERDICT_LEGIT, -12.0, tests);
		g_autofree char *h = verdict_header_value (v, "X-NDR-Verdict");
		g_assert_cmpstr (h, ==, "legit; kind=dsn; score=-12.0; tests=MSGID_SENT");
	}
	{
		const char *tests[] = { "X", NULL };
		g_autoptr (Verdict) v = fake_verdict (VERDICT_FORGED, 6.25 + 0.5, tests);
		g_autofree char *h = verdict_header_value (v, "X-NDR-Verdict");
		g_assert_true (g_str_has_prefix (h, "forged; kind=dsn; score=6."));
	}

	/* Judged for real: the tests in order, the score with one decimal. */
	g_autofree char *o = original (HOP_SPAM ("Fri, 27 Nov 2026 10:00:01 +0000"), "<forged1@example.com>", NULL);
	g_autofree char *m = dsn ("alice@example.com", "dave@remote.example", NULL, o);
	g_autoptr (Verdict) v = judge (ctx_main, m);
	g_autofree char *folded = verdict_header_value (v, "X-NDR-Verdict");
	g_auto (GStrv) parts = g_strsplit (folded, "\n\t", -1);
	g_autofree char *h = g_strjoinv ("", parts);
	GString *want = g_string_new (NULL);
	g_string_printf (want, "forged; kind=dsn; score=%.1f; tests=", v->score);
	for (guint i = 0; i < v->tests->len; i++)
		g_string_append_printf (want, "%s%s", i ? "," : "", (char *) g_ptr_array_index (v->tests, i));
	g_autofree char *w = g_string_free (want, FALSE);
	g_assert_cmpstr (h, ==, w);
	g_assert_nonnull (strstr (h, "MSGID_NOT_SENT"));
}

/* Checks a folded value: every line of "name: value" within 78 characters
 * (a line may only be longer when one rule name alone does not fit: then
 * there is no fold between names that would help), a fold is "\n\t" and nothing else, no CR, no other control character, no
 * rule name split; returns the unfolded value. */
static char *
check_folding (const char *name, const char *value, const Verdict *v)
{
	g_autofree char *full = g_strdup_printf ("%s: %s", name, value);
	g_auto (GStrv) lines = g_strsplit (full, "\n", -1);
	for (guint i = 0; lines[i]; i++) {
		gsize len = strlen (lines[i]);
		/* Without its trailing comma: still two names, or short enough? */
		g_autofree char *bare = g_strndup (lines[i], len && lines[i][len - 1] == ',' ? len - 1 : len);
		if (len > 78 && (strlen (bare) <= 78 || strchr (bare, ',') != NULL))
			FAIL ("line %u of the header has %zu characters (> 78):\n%s", i + 1, len, full);
		/* A tab, then text, or the single space that separates a field
		 * ("\t tests=..."): removing the fold gives the one-line form. */
		const char *rest = lines[i] + 1;
		if (*rest == ' ')
			rest++;
		if (i > 0 && (lines[i][0] != '\t' || *rest == ' ' || *rest == '\t' || *rest == '\0'))
			FAIL ("continuation line %u is not a tab then text: \"%s\"", i + 1, lines[i]);
	}
	for (const char *p = value; *p; p++) {
		if (*p == '\r' || (*p == '\n' && p[1] != '\t') || ((guchar) *p < 0x20 && *p != '\n' && *p != '\t') ||
		    *p == 0x7f)
			FAIL ("control character 0x%02x at offset %zu of \"%s\"", (guchar) *p, (gsize) (p - value),
			                    value);
		if (*p == '\t' && (p == value || p[-1] != '\n'))
			FAIL ("a tab outside a fold in \"%s\"", value);
	}
	/* Unfolded, the tests are the names, whole and in order. */
	g_auto (GStrv) parts = g_strsplit (value, "\n\t", -1);
	g_autofree char *unfolded = g_strjoinv ("", parts);
	const char *t = strstr (unfolded, "tests=");
	if (t == NULL) {
		FAIL ("no tests= in \"%s\"", unfolded);
		return g_steal_pointer (&unfolded);
	}
	g_auto (GStrv) names = g_strsplit (t + 6, ",", -1);
	g_assert_cmpuint (g_strv_length (names), ==, v->tests->len);
	for (guint i = 0; names[i] && i < v->tests->len; i++)
		g_assert_cmpstr (names[i], ==, g_ptr_array_index (v->tests, i));
	/* A fold comes after a comma between names, or after the ';' that
	 * ends a field (before "kind=", "score=", "tests="): never inside a
	 * name or a value. */
	for (const char *p = strchr (value, '\n'); p; p = strchr (p + 1, '\n'))
		if (p == value || (p[-1] != ',' && p[-1] != ';'))
			FAIL ("a fold inside a name or value in \"%s\"", value);
	return g_steal_pointer (&unfolded);
}

static void
test_header_folding (void)
{
	/* Names of every length, many of them. */
	GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
	for (int i = 1; i <= 40; i++) {
		GString *n = g_string_new ("R");
		for (int k = 1; k < i; k++)
			g_string_append_c (n, 'A' + (k + i) % 26);
		g_ptr_array_add (names, g_string_free (n, FALSE));
	}
	g_ptr_array_add (names, NULL);
	static const char *const headers[] = { "X-NDR-Verdict", "X", "X-A-Rather-Long-Custom-Verdict-Header-Name" };
	for (guint h = 0; h < G_N_ELEMENTS (headers); h++) {
		for (guint start = 0; start < 40; start += 3) {
			for (guint count = 1; start + count <= 40; count += 4) {
				g_autoptr (GPtrArray) sel = g_ptr_array_new ();
				for (guint k = 0; k < count; k++)
					g_ptr_array_add (sel, g_ptr_array_index (names, start + k));
				g_ptr_array_add (sel, NULL);
				g_autoptr (Verdict) v = fake_verdict (VERDICT_FORGED, 11.0, (const char *const *) sel->pdata);
				g_autofree char *value = verdict_header_value (v, headers[h]);
				g_autofree char *unfolded = check_folding (headers[h], value, v);
				g_assert_true (g_str_has_prefix (unfolded, "forged; kind=dsn; score=11.0; tests="));
			}
		}
	}
	g_ptr_array_unref (names);

	/* The edge: the first line reaches exactly 78 characters with a name;
	 * the comma before the next name must not make it 79. "X-NDR-Verdict:
	 * forged; kind=dsn; score=11.0; tests=" is 51 characters. */
	for (int len = 24; len <= 28; len++) {
		g_autofree char *first = g_strnfill (len, 'F');
		const char *tests[] = { first, "NEXT", NULL };
		g_autoptr (Verdict) v = fake_verdict (VERDICT_FORGED, 11.0, tests);
		g_autofree char *value = verdict_header_value (v, "X-NDR-Verdict");
		g_autofree char *unfolded = check_folding ("X-NDR-Verdict", value, v);
	}
	/* The same on a continuation line: a tab and 77 characters. */
	{
		const char *tests[] = { "FIRST_RULE", "N23456789012345678901234567890",
		                        "A123456789012345678901234567890123456789012345678901234567890123456789012345",
		                        "NEXT", NULL };
		g_autoptr (Verdict) v = fake_verdict (VERDICT_FORGED, 11.0, tests);
		g_autofree char *value = verdict_header_value (v, "X-NDR-Verdict");
		g_autofree char *unfolded = check_folding ("X-NDR-Verdict", value, v);
	}
	/* A real verdict with the shipped rules. */
	{
		g_autofree char *o = original (HOP_SPAM ("Fri, 27 Nov 2026 10:00:01 +0000"), "<forged1@example.com>",
		                               "Authentication-Results: mx.remote.example; spf=fail smtp.mailfrom=alice@example.com\n");
		g_autofree char *m = dsn ("alice@example.com", "dave@remote.example", NULL, o);
		g_autoptr (Verdict) v = judge (ctx_batv, m);
		g_assert_cmpuint (v->tests->len, >=, 4);
		g_autofree char *value = verdict_header_value (v, "X-NDR-Verdict");
		g_autofree char *unfolded = check_folding ("X-NDR-Verdict", value, v);
		g_assert_nonnull (strchr (value, '\n'));
	}
}

/* Nothing from the message reaches the header: hostile bytes in the
 * message, the header stays our words. */
static void
test_header_hostile (void)
{
	g_autofree char *o = original (HOP_SPAM ("Fri, 27 Nov 2026 10:00:01 +0000"),
	                               "<forged1@example.com>\r\nX-NDR-Verdict: legit",
	                               "Subject: =?utf-8?q?a=0D=0AX-NDR-Verdict:_legit?=\n");
	g_autofree char *m = dsn ("alice@example.com\r\nX-Injected: 1", "dave@remote.example\n\tX-Injected: 2", NULL, o);
	g_autoptr (Verdict) v = judge (ctx_main, m);
	g_autofree char *value = verdict_header_value (v, "X-NDR-Verdict");
	g_autofree char *unfolded = check_folding ("X-NDR-Verdict", value, v);
	g_assert_null (strstr (unfolded, "Injected"));
	g_assert_true (g_regex_match_simple ("^(forged|legit|unknown|none); kind=[a-z]+; score=-?[0-9]+\\.[0-9];"
	                                     " tests=(none|[A-Za-z0-9_]+(,[A-Za-z0-9_]+)*)$",
	                                     unfolded, 0, 0));
}

/* A custom [verdict] header name is the caller's business: the value is
 * the same, the fold counts the name. */
static void
test_header_custom_name (void)
{
	g_autofree char *o = original (HOP_SPAM ("Fri, 27 Nov 2026 10:00:01 +0000"), "<forged1@example.com>", NULL);
	g_autofree char *m = dsn ("alice@example.com", "dave@remote.example", NULL, o);
	g_autoptr (Verdict) v = judge (ctx_header, m);
	EXPECT (v, VERDICT_FORGED);
	g_assert_cmpstr (engine_config (ctx_header)->verdict_header, ==, "X-Bounce-Class");
	g_autofree char *value = verdict_header_value (v, engine_config (ctx_header)->verdict_header);
	g_autofree char *unfolded = check_folding ("X-Bounce-Class", value, v);
	g_assert_true (g_str_has_prefix (unfolded, "forged; kind=dsn; score="));
}

static void
test_error_value (void)
{
	g_autoptr (Verdict) v = fake_verdict (VERDICT_ERROR, 0.0, NULL);
	v->error = g_strdup ("deadline");
	g_autofree char *h = verdict_header_value (v, "X-NDR-Verdict");
	g_assert_cmpstr (h, ==, "error; reason=deadline");
	g_assert_cmpstr (verdict_name (VERDICT_ERROR), ==, "error");
	g_assert_cmpstr (verdict_name (VERDICT_FORGED), ==, "forged");
	g_assert_cmpstr (verdict_name (VERDICT_LEGIT), ==, "legit");
	g_assert_cmpstr (verdict_name (VERDICT_UNKNOWN), ==, "unknown");
	g_assert_cmpstr (verdict_name (VERDICT_NONE), ==, "none");
}

/* ---- main ------------------------------------------------------------- */

static void
rm_rf (const char *path)
{
	if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK)) {
		g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
		const char *e;
		while (d && (e = g_dir_read_name (d))) {
			g_autofree char *p = g_build_filename (path, e, NULL);
			rm_rf (p);
		}
		g_rmdir (path);
	} else
		g_unlink (path);
}


/* A context for a config file of text (and the shipped rules, unless
 * rules is given). */
static Engine *
context_for (const char *name, const char *text, const char *rules, Config **config)
{
	g_autofree char *full = g_strdup_printf ("%s[sentlog]\npath=%s/sent.db\n[rules]\ndirs=%s\n", text, tmpdir,
	                                         rules ? rules : rules_dir);
	g_autofree char *path = write_tmp (name, full);
	g_autoptr (GError) error = NULL;
	*config = config_load (path, NULL, NULL, &error);
	g_assert_no_error (error);
	return make_context (*config);
}

/* Without [local] domains, or networks and relays, what needs them is not
 * judged: it does not fire (a spammer's hand-off is not "not ours" when
 * nothing is ours), and the verdict says why. */
static void
test_local_unset (void)
{
	g_autofree char *o = original (HOP_SPAM ("Fri, 27 Nov 2026 10:00:01 +0000"), "<forged1@example.com>", NULL);
	g_autofree char *m = dsn ("alice@example.com", "dave@remote.example", NULL, o);
	static const EvalBuiltin hosts[] = { EVAL_HANDOFF_LOCAL, EVAL_HANDOFF_FOREIGN };
	static const EvalBuiltin domains[] = { EVAL_MSGID_DOMAIN_LOCAL, EVAL_MSGID_DOMAIN_FOREIGN, EVAL_AUTH_FAIL_LOCAL,
	                                       EVAL_DKIM_LOCAL_PRESENT, EVAL_DKIM_LOCAL_ABSENT };

	Config *c_none, *c_nets, *c_doms;
	g_autoptr (Engine) none = context_for ("local-none.conf", "[local]\ndomains=\nrelays=\n", NULL, &c_none);
	g_autoptr (Engine) nets = context_for ("local-nets.conf", "[local]\nnetworks=192.0.2.0/24\n", NULL, &c_nets);
	g_autoptr (Engine) doms = context_for ("local-doms.conf", "[local]\ndomains=example.com\n", NULL, &c_doms);

	g_autoptr (Verdict) v = judge (none, m);
	EXPECT_TEST (v, "HANDOFF_NOT_LOCAL", FALSE);
	EXPECT_TEST (v, "MSGID_DOMAIN_FOREIGN", FALSE);
	EXPECT_TEST (v, "MSGID_DOMAIN_LOCAL", FALSE);
	EXPECT_TEST (v, "MSGID_NOT_SENT", TRUE); /* the sent log still counts */
	for (guint i = 0; i < G_N_ELEMENTS (hosts); i++) {
		EXPECT_EVAL (v, hosts[i], FALSE);
		g_assert_nonnull (strstr (v->evals.unjudged[hosts[i]] ? v->evals.unjudged[hosts[i]] : "", "networks and relays"));
		g_assert_true (g_str_has_prefix (v->evals.fact[hosts[i]], "not judged: "));
	}
	for (guint i = 0; i < G_N_ELEMENTS (domains); i++) {
		EXPECT_EVAL (v, domains[i], FALSE);
		g_assert_nonnull (strstr (v->evals.unjudged[domains[i]] ? v->evals.unjudged[domains[i]] : "", "domains"));
	}
	guint unjudged = 0;
	for (guint i = 0; i < v->results->len; i++)
		unjudged += g_array_index (v->results, RuleResult, i).unjudged != NULL;
	g_assert_cmpuint (unjudged, ==, 7);
	/* The hand-off hop is still found: its date is the moment. */
	g_assert_cmpint (v->handoff, ==, 0);

	/* networks alone: the hand-off is judged (not ours), the domains not. */
	g_autoptr (Verdict) w = judge (nets, m);
	EXPECT_TEST (w, "HANDOFF_NOT_LOCAL", TRUE);
	g_assert_null (w->evals.unjudged[EVAL_HANDOFF_FOREIGN]);
	g_assert_nonnull (w->evals.unjudged[EVAL_MSGID_DOMAIN_FOREIGN]);

	/* domains alone: the other way round. */
	g_autoptr (Verdict) x = judge (doms, m);
	EXPECT_TEST (x, "HANDOFF_NOT_LOCAL", FALSE);
	g_assert_nonnull (x->evals.unjudged[EVAL_HANDOFF_FOREIGN]);
	EXPECT_EVAL (x, EVAL_MSGID_DOMAIN_LOCAL, TRUE);
	g_assert_null (x->evals.unjudged[EVAL_MSGID_DOMAIN_LOCAL]);

	/* Everything set: nothing unjudged. */
	g_autoptr (Verdict) y = judge (ctx_main, m);
	for (int i = 0; i < EVAL_COUNT; i++)
		g_assert_null (y->evals.unjudged[i]);
	config_free (c_none);
	config_free (c_nets);
	config_free (c_doms);
}

/* No rules at all: every message, bounce or not, is error; reason=no-rules
 * (the engine decides it, so every front end says the same). */
static void
test_no_rules (void)
{
	g_autofree char *empty = g_build_filename (tmpdir, "empty-rules", NULL);
	g_mkdir (empty, 0700);
	Config *c;
	g_autoptr (Engine) ctx = context_for ("norules.conf", local_section, empty, &c);
	g_autofree char *o = original (HOP_SPAM ("Fri, 27 Nov 2026 10:00:01 +0000"), "<forged1@example.com>", NULL);
	g_autofree char *m = dsn ("alice@example.com", "dave@remote.example", NULL, o);
	g_autoptr (Verdict) v = judge (ctx, m);
	EXPECT (v, VERDICT_ERROR);
	g_assert_cmpstr (v->error, ==, "no-rules");
	g_assert_cmpint (v->bounce->kind, ==, BOUNCE_KIND_DSN);
	g_autofree char *h = verdict_header_value (v, "X-NDR-Verdict");
	g_assert_cmpstr (h, ==, "error; reason=no-rules");
	g_autoptr (Verdict) n = judge (ctx, "From: a@b.example\nSubject: hello\n\nhi\n");
	EXPECT (n, VERDICT_ERROR);
	g_assert_cmpuint (n->tests->len, ==, 0);
	config_free (c);
	g_rmdir (empty);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_set_nonfatal_assertions ();
	bounce_init ();

	const char *env = g_getenv ("NDRSIFT_RULES");
	rules_dir = g_canonicalize_filename (env && *env ? env : "rules", NULL);
	tmpdir = g_dir_make_tmp ("ndrsift-verdict-XXXXXX", NULL);
	g_assert_nonnull (tmpdir);

	g_autofree char *db = g_build_filename (tmpdir, "sent.db", NULL);
	g_autofree char *nodb = g_build_filename (tmpdir, "nowhere", "sent.db", NULL);
	g_autofree char *baddb = write_tmp ("garbage.db", "this is not an SQLite database, just some garbage bytes\n"
	                                                  "and more of them, to fill a page or so ...........\n");
	g_autofree char *override = g_build_filename (tmpdir, "override", NULL);
	g_mkdir (override, 0700);
	g_autofree char *ovf = g_build_filename (override, "60-local.rules", NULL);
	g_file_set_contents (ovf, "# a local file: the sent log counts for nothing here\nscore MSGID_SENT 0.0\n", -1,
	                     NULL);

	cfg_main = make_config ("main.conf", db, NULL, NULL, NULL);
	fill_sentlog (db, cfg_main);
	cfg_override = make_config ("override.conf", db, override, NULL, NULL);
	cfg_servers_missing = make_config ("servers-missing.conf", db, NULL, "servers=out;mx2\n", NULL);
	cfg_servers_ok = make_config ("servers-ok.conf", db, NULL, "servers=out\n", NULL);
	cfg_batv = make_config ("batv.conf", db, NULL, NULL, "[batv]\nkeys=0:secret\n");
	cfg_nolog = make_config ("nolog.conf", nodb, NULL, NULL, NULL);
	cfg_badlog = make_config ("badlog.conf", baddb, NULL, NULL, NULL);
	cfg_header = make_config ("header.conf", db, NULL, NULL, "[verdict]\nheader=X-Bounce-Class\n");
	ctx_main = make_context (cfg_main);
	ctx_override = make_context (cfg_override);
	ctx_servers_missing = make_context (cfg_servers_missing);
	ctx_servers_ok = make_context (cfg_servers_ok);
	ctx_batv = make_context (cfg_batv);
	ctx_nolog = make_context (cfg_nolog);
	ctx_badlog = make_context (cfg_badlog);
	ctx_header = make_context (cfg_header);

	g_test_add_func ("/verdict/sentlog/msgid-logged-legit", test_msgid_logged_legit);
	g_test_add_func ("/verdict/sentlog/msgid-logged-beats-heuristics", test_msgid_logged_beats_heuristics);
	g_test_add_func ("/verdict/sentlog/msgid-logged-foreign-origin", test_msgid_logged_foreign);
	g_test_add_func ("/verdict/sentlog/msgid-missing-covered-forged", test_msgid_missing_covered);
	g_test_add_func ("/verdict/sentlog/msgid-missing-uncovered-unknown", test_msgid_missing_uncovered);
	g_test_add_func ("/verdict/sentlog/skewed-bounce-date", test_skewed_bounce_date);
	g_test_add_func ("/verdict/sentlog/msgid-garbage-is-none", test_msgid_garbage_not_missing);
	g_test_add_func ("/verdict/sentlog/moment-fallbacks", test_moment_fallbacks);
	g_test_add_func ("/verdict/sentlog/listed-server-without-log", test_servers_without_log);
	g_test_add_func ("/verdict/sentlog/recipient-window", test_recipient_window);
	g_test_add_func ("/verdict/sentlog/missing-or-corrupt-log", test_no_sentlog);
	g_test_add_func ("/verdict/sentlog/threads", test_threads);
	g_test_add_func ("/verdict/sentlog/context-after-free", test_context_after_free);
	g_test_add_func ("/verdict/handoff/hops", test_handoff);
	g_test_add_func ("/verdict/handoff/loopback-in-networks", test_handoff_loopback_networks);
	g_test_add_func ("/verdict/auth/fail-for-our-domain", test_auth_fail_local);
	g_test_add_func ("/verdict/batv/tags", test_batv);
	g_test_add_func ("/verdict/class/not-a-bounce", test_not_a_bounce);
	g_test_add_func ("/verdict/class/no-rules", test_no_rules);
	g_test_add_func ("/verdict/config/local-unset", test_local_unset);
	g_test_add_func ("/verdict/header/format", test_header_format);
	g_test_add_func ("/verdict/header/folding", test_header_folding);
	g_test_add_func ("/verdict/header/hostile-input", test_header_hostile);
	g_test_add_func ("/verdict/header/custom-name", test_header_custom_name);
	g_test_add_func ("/verdict/header/error", test_error_value);
	g_test_add_func ("/verdict/tests-join", test_tests_join);

	int rc = g_test_run ();

	engine_unref (ctx_main);
	engine_unref (ctx_override);
	engine_unref (ctx_servers_missing);
	engine_unref (ctx_servers_ok);
	engine_unref (ctx_batv);
	engine_unref (ctx_nolog);
	engine_unref (ctx_badlog);
	engine_unref (ctx_header);
	config_free (cfg_main);
	config_free (cfg_override);
	config_free (cfg_servers_missing);
	config_free (cfg_servers_ok);
	config_free (cfg_batv);
	config_free (cfg_nolog);
	config_free (cfg_badlog);
	config_free (cfg_header);
	rm_rf (tmpdir);
	g_free (tmpdir);
	g_free (rules_dir);
	g_mime_shutdown ();
	return rc;
}
