/* Unit tests for src/logparse_postfix.c: every kind of Postfix line with
 * each field of its events checked; the three time stamp styles and the
 * year rule of classic stamps; instance names; a central log of two
 * servers and --server; malformed lines and other programs' lines; whole
 * transactions (the backscatter one included); detection; the sample log.
 *
 * Classic stamps are local time: main() sets TZ=UTC before anything reads
 * the zone, and every parser gets a fixed `now`. */
#include <string.h>

#include "logparse-private.h"
#include "ndrsift/limits.h"

#define NOW G_GINT64_CONSTANT (1795824000)  /* 2026-11-28T00:00:00Z */
#define T0 G_GINT64_CONSTANT (1795773601)   /* 2026-11-27T10:00:01Z, the default line time */

#define STAMP "2026-11-27T10:00:01.000000+00:00 "
#define LINE(host, prog, msg) STAMP host " " prog "[4242]: " msg
#define MX(prog, msg) LINE ("mx1.example.com", prog, msg)

/* ---- collecting events --------------------------------------------- */

typedef struct {
	LogEventType type;
	gint64 time;
	char *server, *queue_id, *message_id, *sender, *recipient, *status, *client_ip;
	LogOrigin origin;
} Ev;

static void
ev_free (gpointer data)
{
	Ev *e = data;
	g_free (e->server);
	g_free (e->queue_id);
	g_free (e->message_id);
	g_free (e->sender);
	g_free (e->recipient);
	g_free (e->status);
	g_free (e->client_ip);
	g_free (e);
}

/* The event's strings are transfer none: copy them. */
static void
collect (const LogEvent *event, gpointer user_data)
{
	/* Coverage-only events have a test of their own ("seen"). */
	if (event->type == LOG_EVENT_SEEN)
		return;
	GPtrArray *events = user_data;
	g_assert_null (event->recipients);
	Ev *e = g_new0 (Ev, 1);
	e->type = event->type;
	e->time = event->time;
	e->server = g_strdup (event->server);
	e->queue_id = g_strdup (event->queue_id);
	e->message_id = g_strdup (event->message_id);
	e->sender = g_strdup (event->sender);
	e->recipient = g_strdup (event->recipient);
	e->status = g_strdup (event->status);
	e->client_ip = g_strdup (event->client_ip);
	e->origin = event->origin;
	g_ptr_array_add (events, e);
}

static GPtrArray *
new_events (void)
{
	return g_ptr_array_new_with_free_func (ev_free);
}

/* Every line must parse; returns all their events. */
static GPtrArray *
run (LogParser *p, const char *const *lines)
{
	GPtrArray *events = new_events ();
	for (guint i = 0; lines[i]; i++) {
		g_autoptr (GError) error = NULL;
		gboolean ok = logparse_line (p, lines[i], strlen (lines[i]), collect, events, &error);
		if (!ok)
			g_error ("line %u failed: %s\n  %s", i + 1, error->message, lines[i]);
		g_assert_no_error (error);
	}
	return events;
}

typedef struct {
	LogEventType type;
	gint64 time;         /* 0: T0 */
	const char *server;  /* NULL: mx1.example.com */
	const char *queue_id, *message_id, *sender, *recipient, *status, *client_ip;
	LogOrigin origin;
} Want;

static void
check_ev (const Ev *e, const Want *w)
{
	g_assert_cmpint (e->type, ==, w->type);
	g_assert_cmpint (e->time, ==, w->time ? w->time : T0);
	g_assert_cmpstr (e->server, ==, w->server ? w->server : "mx1.example.com");
	g_assert_cmpstr (e->queue_id, ==, w->queue_id);
	g_assert_cmpstr (e->message_id, ==, w->message_id);
	g_assert_cmpstr (e->sender, ==, w->sender);
	g_assert_cmpstr (e->recipient, ==, w->recipient);
	g_assert_cmpstr (e->status, ==, w->status);
	g_assert_cmpstr (e->client_ip, ==, w->client_ip);
	g_assert_cmpint (e->origin, ==, w->origin);
}

static void
check_all (GPtrArray *events, const Want *want, guint n)
{
	for (guint i = 0; i < MIN (events->len, n); i++) {
		if (g_test_verbose ())
			g_test_message ("event %u", i);
		check_ev (events->pdata[i], &want[i]);
	}
	g_assert_cmpuint (events->len, ==, n);
}

/* One line under a parser with `server` and `now`: exactly one event. */
static void
expect1_with (const char *server, gint64 now, const char *line, const Want *w)
{
	g_autoptr (LogParser) p = logparse_new (LOG_FORMAT_POSTFIX, server, now);
	const char *lines[] = { line, NULL };
	g_autoptr (GPtrArray) events = run (p, lines);
	if (g_test_verbose ())
		g_test_message ("%.120s", line);
	check_all (events, w, 1);
}

static void
expect1 (const char *line, const Want *w)
{
	expect1_with (NULL, NOW, line, w);
}

/* A line that parses and carries nothing. */
static void
expect0 (const char *line)
{
	g_autoptr (LogParser) p = logparse_new (LOG_FORMAT_POSTFIX, NULL, NOW);
	g_autoptr (GPtrArray) events = new_events ();
	g_autoptr (GError) error = NULL;
	if (g_test_verbose ())
		g_test_message ("%.120s", line);
	g_assert_true (logparse_line (p, line, strlen (line), collect, events, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (events->len, ==, 0);
}

/* A malformed line: FALSE, an error in LOGPARSE_ERROR saying why, no event. */
static void
expect_bad_len (const char *line, gsize len)
{
	g_autoptr (LogParser) p = logparse_new (LOG_FORMAT_POSTFIX, NULL, NOW);
	g_autoptr (GPtrArray) events = new_events ();
	g_autoptr (GError) error = NULL;
	g_assert_false (logparse_line (p, line, len, collect, events, &error));
	g_assert_nonnull (error);
	g_assert_true (error->domain == LOGPARSE_ERROR);
	g_assert_cmpuint (strlen (error->message), >, 10);
	if (g_test_verbose ())
		g_test_message ("%.80s -> %s", line, error->message);
	g_assert_cmpuint (events->len, ==, 0);
}

static void
expect_bad (const char *line)
{
	expect_bad_len (line, strlen (line));
}

/* ---- smtpd: how a message entered ---------------------------------- */

static void
test_smtpd (void)
{
	/* Foreign or not is the importer's call: origin UNKNOWN plus the IP. */
	expect1 (MX ("postfix/smtpd", "4F2A91C0D3: client=mail.remote.example[203.0.113.7]"),
	         &(Want) { LOG_EVENT_ENTER, .queue_id = "4F2A91C0D3", .client_ip = "203.0.113.7" });
	expect1 (MX ("postfix/smtpd", "4F2A91C0D3: client=unknown[203.0.113.7]"),
	         &(Want) { LOG_EVENT_ENTER, .queue_id = "4F2A91C0D3", .client_ip = "203.0.113.7" });
	expect1 (MX ("postfix/smtpd", "4F2A91C0D3: client=unknown[203.0.113.7]:54321"),
	         &(Want) { LOG_EVENT_ENTER, .queue_id = "4F2A91C0D3", .client_ip = "203.0.113.7" });
	expect1 (MX ("postfix/smtpd", "4Xb2Qr1KzTz9vq: client=host.example.net[2001:db8::5]"),
	         &(Want) { LOG_EVENT_ENTER, .queue_id = "4Xb2Qr1KzTz9vq", .client_ip = "2001:db8::5" });
	/* localhost is just an address: [local] networks decide. */
	expect1 (MX ("postfix/smtpd", "4F2A91C0D3: client=localhost[127.0.0.1]"),
	         &(Want) { LOG_EVENT_ENTER, .queue_id = "4F2A91C0D3", .client_ip = "127.0.0.1" });
	/* A client address Postfix could not tell: entered, no address. */
	expect1 (MX ("postfix/smtpd", "4F2A91C0D3: client=unknown[unknown]"),
	         &(Want) { LOG_EVENT_ENTER, .queue_id = "4F2A91C0D3" });
	/* Authenticated: AUTH whatever the address. */
	expect1 (MX ("postfix/smtpd",
	             "4F2A91C0D3: client=unknown[198.51.100.61], sasl_method=PLAIN, sasl_username=alice"),
	         &(Want) { LOG_EVENT_ENTER, .queue_id = "4F2A91C0D3", .client_ip = "198.51.100.61",
	                   .origin = LOG_ORIGIN_AUTH });
	expect1 (MX ("postfix/submission/smtpd",
	             "4LF6tJ0mWpz2Rb: client=laptop.example.com[192.0.2.55], sasl_method=LOGIN, "
	             "sasl_username=bob@example.com, sasl_sender=bob@example.com"),
	         &(Want) { LOG_EVENT_ENTER, .queue_id = "4LF6tJ0mWpz2Rb", .client_ip = "192.0.2.55",
	                   .origin = LOG_ORIGIN_AUTH });
	/* An empty sasl_username is no authentication. */
	expect1 (MX ("postfix/smtpd",
	             "4F2A91C0D3: client=unknown[203.0.113.7], sasl_method=PLAIN, sasl_username="),
	         &(Want) { LOG_EVENT_ENTER, .queue_id = "4F2A91C0D3", .client_ip = "203.0.113.7" });
	/* Re-injected by a post-queue filter: the real client is orig_client,
	 * not the filter's 127.0.0.1. */
	expect1 (MX ("postfix/smtpd",
	             "5B3C7D9E1F: client=localhost[127.0.0.1], orig_queue_id=4F2A91C0D3, "
	             "orig_client=unknown[203.0.113.7]"),
	         &(Want) { LOG_EVENT_ENTER, .queue_id = "5B3C7D9E1F", .client_ip = "203.0.113.7" });
	/* QMQP enters messages the same way. */
	expect1 (MX ("postfix/qmqpd", "4F2A91C0D3: client=relay.example.net[198.51.100.9]"),
	         &(Want) { LOG_EVENT_ENTER, .queue_id = "4F2A91C0D3", .client_ip = "198.51.100.9" });

	/* smtpd lines with a queue ID that carry nothing. */
	expect0 (MX ("postfix/smtpd",
	             "4F2A91C0D3: reject: RCPT from unknown[203.0.113.7]: 550 5.1.1 <x@example.com>: "
	             "Recipient address rejected: User unknown; from=<a@example.net> "
	             "to=<x@example.com> proto=ESMTP helo=<h>"));
	expect0 (MX ("postfix/smtpd",
	             "4F2A91C0D3: filter: RCPT from unknown[203.0.113.7]: <x@example.com>: "
	             "Recipient address triggers FILTER smtp-amavis:[127.0.0.1]:10024"));
}

/* ---- pickup, cleanup, qmgr ----------------------------------------- */

static void
test_pickup (void)
{
	expect1 (MX ("postfix/pickup", "4Xb2Qr1KzTz9vq: uid=1000 from=<alice>"),
	         &(Want) { LOG_EVENT_ENTER, .queue_id = "4Xb2Qr1KzTz9vq", .origin = LOG_ORIGIN_LOCAL });
	expect1 (MX ("postfix/pickup", "4F2A91C0D3: uid=0 from=<root>"),
	         &(Want) { LOG_EVENT_ENTER, .queue_id = "4F2A91C0D3", .origin = LOG_ORIGIN_LOCAL });
	/* postsuper -r: back through pickup, but not submitted here. */
	expect1 (MX ("postfix/pickup", "5B3C7D9E1F: uid=0 from=<bob@example.com> orig_id=4F2A91C0D3"),
	         &(Want) { LOG_EVENT_ENTER, .queue_id = "5B3C7D9E1F" });
	expect0 (MX ("postfix/pickup", "warning: maildrop/4F2A91C0D3: error writing 5B3C7D9E1F: "
	                               "message file too big"));
}

static void
test_cleanup (void)
{
	expect1 (MX ("postfix/cleanup", "4F2A91C0D3: message-id=<20261127100001.4F2A91C0D3@mx1.example.com>"),
	         &(Want) { LOG_EVENT_MESSAGE_ID, .queue_id = "4F2A91C0D3",
	                   .message_id = "<20261127100001.4F2A91C0D3@mx1.example.com>" });
	/* As written: unbracketed, or odd, ids are kept whole. */
	expect1 (MX ("postfix/cleanup", "4F2A91C0D3: message-id=a1b2c3@laptop"),
	         &(Want) { LOG_EVENT_MESSAGE_ID, .queue_id = "4F2A91C0D3", .message_id = "a1b2c3@laptop" });
	expect1 (MX ("postfix/cleanup", "4F2A91C0D3: message-id=<odd id, with=comma@x>"),
	         &(Want) { LOG_EVENT_MESSAGE_ID, .queue_id = "4F2A91C0D3",
	                   .message_id = "<odd id, with=comma@x>" });
	expect0 (MX ("postfix/cleanup", "4F2A91C0D3: message-id="));
	expect0 (MX ("postfix/cleanup", "4F2A91C0D3: message-id= "));
	expect0 (MX ("postfix/cleanup", "4F2A91C0D3: resent-message-id=<r1@example.net>"));
	expect0 (MX ("postfix/cleanup",
	             "4F2A91C0D3: milter-reject: END-OF-MESSAGE from unknown[203.0.113.7]: 5.7.1 "
	             "Spam message rejected; from=<a@example.net> to=<bob@example.com> proto=ESMTP helo=<h>"));
	expect0 (MX ("postfix/cleanup", "4F2A91C0D3: milter-header-add: X-Spam-Score: 2.1"));
	expect0 (MX ("postfix/cleanup",
	             "4F2A91C0D3: warning: header Subject: Invoice from unknown[203.0.113.7]; "
	             "from=<a@example.net> to=<bob@example.com> proto=ESMTP helo=<h>"));
	expect0 (MX ("postfix/cleanup", "warning: milter inet:127.0.0.1:8891: can't read SMFIC_BODYEOB reply"));
}

static void
test_qmgr (void)
{
	expect1 (MX ("postfix/qmgr", "4F2A91C0D3: from=<alice@example.com>, size=1234, nrcpt=1 (queue active)"),
	         &(Want) { LOG_EVENT_SENDER, .queue_id = "4F2A91C0D3", .sender = "alice@example.com" });
	expect1 (MX ("postfix/qmgr", "4F2A91C0D3: from=<>, size=5512, nrcpt=1 (queue active)"),
	         &(Want) { LOG_EVENT_SENDER, .queue_id = "4F2A91C0D3", .sender = "" });
	/* Expired: the sender, and nothing else (bounce writes the notice). */
	expect1 (MX ("postfix/qmgr", "4F2A91C0D3: from=<bob@example.com>, status=expired, returned to sender"),
	         &(Want) { LOG_EVENT_SENDER, .queue_id = "4F2A91C0D3", .sender = "bob@example.com" });
	expect1 (MX ("postfix/qmgr", "4F2A91C0D3: removed"),
	         &(Want) { LOG_EVENT_DONE, .queue_id = "4F2A91C0D3" });
	/* qmgr itself defers and bounces some recipients. */
	expect1 (MX ("postfix/qmgr",
	             "4F2A91C0D3: to=<dave@remote.example>, relay=none, delay=0.01, delays=0.01/0/0/0, "
	             "dsn=4.3.0, status=deferred (delivery temporarily suspended: connect to "
	             "mx.remote.example[198.51.100.20]:25: Connection refused)"),
	         &(Want) { LOG_EVENT_RECIPIENT, .queue_id = "4F2A91C0D3", .recipient = "dave@remote.example",
	                   .status = "deferred" });
	expect1 (MX ("postfix/nqmgr", "4F2A91C0D3: removed"),
	         &(Want) { LOG_EVENT_DONE, .queue_id = "4F2A91C0D3" });
	expect0 (MX ("postfix/qmgr", "4F2A91C0D3: skipped, still being delivered"));
	expect0 (MX ("postfix/qmgr", "warning: mail for [198.51.100.20]:25 is using up 4000 of 4000 active queue entries"));
	/* postsuper -d removes too. */
	expect1 (MX ("postfix/postsuper", "4F2A91C0D3: removed"),
	         &(Want) { LOG_EVENT_DONE, .queue_id = "4F2A91C0D3" });
	expect0 (MX ("postfix/postsuper", "Deleted: 1 message"));
	expect0 (MX ("postfix/postsuper", "4F2A91C0D3: placed on hold"));
}

/* ---- delivery agents ------------------------------------------------ */

static void
test_delivery (void)
{
	static const struct {
		const char *line, *rcpt, *status;
	} cases[] = {
		{ MX ("postfix/smtp", "4F2A91C0D3: to=<dave@remote.example>, relay=mx.remote.example[198.51.100.20]:25, "
		                      "delay=1.2, delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4ZZ)"),
		  "dave@remote.example", "sent" },
		{ MX ("postfix/smtp", "4F2A91C0D3: to=<dave@remote.example>, orig_to=<dave@remote.example>, "
		                      "relay=none, delay=30, delays=0.1/0/30/0, dsn=4.4.1, status=deferred "
		                      "(connect to mx.remote.example[198.51.100.20]:25: Connection timed out)"),
		  "dave@remote.example", "deferred" },
		{ MX ("postfix/smtp", "4F2A91C0D3: to=<sales@example.net>, relay=mx.example.net[198.51.100.25]:25, "
		                      "delay=0.73, delays=0.17/0.01/0.3/0.25, dsn=5.1.1, status=bounced (host "
		                      "mx.example.net[198.51.100.25] said: 550 5.1.1 <sales@example.net>: User unknown "
		                      "(in reply to RCPT TO command))"),
		  "sales@example.net", "bounced" },
		{ MX ("postfix/smtp", "4F2A91C0D3: to=<erin@example.net>, relay=none, delay=432000, "
		                      "delays=432000/0/0/0, dsn=4.4.1, status=expired (connect to mx.example.net"
		                      "[198.51.100.25]:25: Connection timed out)"),
		  "erin@example.net", "expired" },
		{ MX ("postfix/lmtp", "4F2A91C0D3: to=<alice@example.com>, relay=mailstore.example.com[private/dovecot-lmtp], "
		                      "delay=0.05, delays=0.01/0/0.01/0.03, dsn=2.0.0, status=sent (250 2.0.0 "
		                      "<alice@example.com> kM1pFZbfR2lhDQAA3xS1gQ Saved)"),
		  "alice@example.com", "sent" },
		{ MX ("postfix/local", "4F2A91C0D3: to=<bob@example.com>, orig_to=<postmaster>, relay=local, delay=0.08, "
		                       "delays=0.01/0.01/0/0.06, dsn=2.0.0, status=sent (delivered to mailbox)"),
		  "bob@example.com", "sent" },
		{ MX ("postfix/virtual", "4F2A91C0D3: to=<carol@example.com>, relay=virtual, delay=0.02, "
		                         "delays=0.01/0/0/0.01, dsn=2.0.0, status=sent (delivered to maildir)"),
		  "carol@example.com", "sent" },
		{ MX ("postfix/pipe", "4F2A91C0D3: to=<list@example.com>, relay=mailman, delay=0.4, "
		                      "delays=0.01/0/0/0.39, dsn=2.0.0, status=sent (delivered via mailman service)"),
		  "list@example.com", "sent" },
		{ MX ("postfix/error", "4F2A91C0D3: to=<gone@example.com>, relay=none, delay=0.01, delays=0.01/0/0/0, "
		                       "dsn=5.0.0, status=bounced (User has moved)"),
		  "gone@example.com", "bounced" },
		{ MX ("postfix/retry", "4F2A91C0D3: to=<dave@remote.example>, relay=none, delay=600, "
		                       "delays=600/0/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended)"),
		  "dave@remote.example", "deferred" },
		{ MX ("postfix/discard", "4F2A91C0D3: to=<trap@example.com>, relay=none, delay=0.01, "
		                         "delays=0.01/0/0/0, dsn=2.0.0, status=sent (discarded)"),
		  "trap@example.com", "sent" },
		/* Address verification probes. */
		{ MX ("postfix/smtp", "4F2A91C0D3: to=<dave@remote.example>, relay=mx.remote.example[198.51.100.20]:25, "
		                      "delay=0.3, delays=0/0/0.2/0.1, dsn=2.1.5, status=deliverable (250 2.1.5 Ok)"),
		  "dave@remote.example", "deliverable" },
		{ MX ("postfix/smtp", "4F2A91C0D3: to=<nobody@remote.example>, relay=mx.remote.example[198.51.100.20]:25, "
		                      "delay=0.3, delays=0/0/0.2/0.1, dsn=5.1.1, status=undeliverable (host "
		                      "mx.remote.example[198.51.100.20] said: 550 5.1.1 No such user)"),
		  "nobody@remote.example", "undeliverable" },
		/* A quoted local part with '>' in it. */
		{ MX ("postfix/smtp", "4F2A91C0D3: to=<\"a>b\"@remote.example>, relay=mx.remote.example[198.51.100.20]:25, "
		                      "delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 Ok)"),
		  "\"a>b\"@remote.example", "sent" },
	};
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
		expect1 (cases[i].line, &(Want) { LOG_EVENT_RECIPIENT, .queue_id = "4F2A91C0D3",
		                                  .recipient = cases[i].rcpt, .status = cases[i].status });

	/* Lines of delivery agents that are not delivery results. */
	expect0 (MX ("postfix/smtp", "4F2A91C0D3: host mx.remote.example[198.51.100.20] said: 451 4.7.1 "
	                             "Greylisted, try again later (in reply to RCPT TO command)"));
	expect0 (MX ("postfix/smtp", "4F2A91C0D3: conversation with mx.remote.example[198.51.100.20] timed out "
	                             "while receiving the initial server greeting"));
	expect0 (MX ("postfix/smtp", "4F2A91C0D3: enabling PIX workarounds: disable_esmtp delay_dotcrlf "
	                             "for mx.remote.example[198.51.100.20]:25"));
	expect0 (MX ("postfix/smtp", "4F2A91C0D3: to=<dave@remote.example>, relay=mx.remote.example[198.51.100.20]:25, "
	                             "conn_use=2"));
	expect0 (MX ("postfix/smtp", "warning: TLS library problem: error:0A000126:SSL routines::unexpected eof"));
	expect0 (MX ("postfix/local", "warning: dict_nis_init: NIS domain name not set - NIS lookups disabled"));
	/* A forward: the new message is the forwarded one's, no ENTER here. */
	expect1 (MX ("postfix/local", "4F2A91C0D3: to=<bob@example.com>, relay=local, delay=0.1, "
	                              "delays=0.05/0/0/0.05, dsn=2.0.0, status=sent (forwarded as 5B3C7D9E1F)"),
	         &(Want) { LOG_EVENT_RECIPIENT, .queue_id = "4F2A91C0D3", .recipient = "bob@example.com",
	                   .status = "sent" });
}

/* ---- bounce: messages our server wrote ------------------------------ */

static void
test_bounce (void)
{
	static const char *const lines[] = {
		MX ("postfix/bounce", "4F2A91C0D3: sender non-delivery notification: 5B3C7D9E1F"),
		MX ("postfix/bounce", "4F2A91C0D3: sender delivery status notification: 5B3C7D9E1F"),
		MX ("postfix/bounce", "4F2A91C0D3: sender delay notification: 5B3C7D9E1F"),
		MX ("postfix/bounce", "4F2A91C0D3: postmaster non-delivery notification: 5B3C7D9E1F"),
	};
	for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
		expect1 (lines[i], &(Want) { LOG_EVENT_ENTER, .queue_id = "5B3C7D9E1F",
		                             .origin = LOG_ORIGIN_LOCAL });
	expect1 (MX ("postfix/bounce", "4LF6yS1xWcz4Tm: sender non-delivery notification: 4LF6yT0Bvkz4Tp"),
	         &(Want) { LOG_EVENT_ENTER, .queue_id = "4LF6yT0Bvkz4Tp", .origin = LOG_ORIGIN_LOCAL });
	expect0 (MX ("postfix/bounce", "warning: 4F2A91C0D3: undeliverable postmaster notification discarded"));
}

/* ---- lines with nothing in them ------------------------------------ */

static void
test_nothing (void)
{
	static const char *const lines[] = {
		MX ("postfix/postscreen", "CONNECT from [203.0.113.45]:50314 to [192.0.2.10]:25"),
		MX ("postfix/postscreen", "PASS NEW [203.0.113.45]:50314"),
		MX ("postfix/postscreen", "DNSBL rank 3 for [203.0.113.45]:50314"),
		MX ("postfix/dnsblog", "addr 203.0.113.45 listed by domain zen.example.org as 127.0.0.2"),
		MX ("postfix/anvil", "statistics: max connection rate 1/60s for (smtp:203.0.113.45) at Nov 27 10:10:27"),
		MX ("postfix/tlsproxy", "CONNECT from [203.0.113.45]:50314"),
		MX ("postfix/scache", "statistics: start interval Nov 27 10:00:01"),
		MX ("postfix/master", "daemon started -- version 3.7.11, configuration /etc/postfix"),
		MX ("postfix/postfix-script", "starting the Postfix mail system"),
		MX ("postfix/smtpd", "connect from unknown[203.0.113.45]"),
		MX ("postfix/smtpd", "disconnect from unknown[203.0.113.45] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5"),
		MX ("postfix/smtpd", "lost connection after DATA from unknown[203.0.113.45]"),
		MX ("postfix/smtpd", "NOQUEUE: reject: RCPT from unknown[203.0.113.45]: 550 5.1.1 <info@example.com>: "
		                     "Recipient address rejected: User unknown; from=<bob@example.com> "
		                     "to=<info@example.com> proto=ESMTP helo=<out.example.com>"),
		MX ("postfix/smtpd", "warning: hostname mail.remote.example does not resolve to address 203.0.113.7"),
		MX ("postfix/smtpd", "NOQUEUE: client=unknown[203.0.113.45]"),
		MX ("postfix/trivial-rewrite", "warning: do not list domain example.com in BOTH mydestination and "
		                               "virtual_mailbox_domains"),
		MX ("postfix/verify", "cache btree:/var/lib/postfix/verify_cache full cleanup: retained=12 dropped=0 entries"),
		MX ("postfix/smtpd", ""),
		"2026-11-27T10:00:01+00:00 mx1.example.com postfix/smtpd: 4F2A91C0D3",
		"",
	};
	for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
		expect0 (lines[i]);
}

/* Other programs of a central syslog: skipped, even with queue IDs. */
static void
test_other_programs (void)
{
	static const char *const lines[] = {
		MX ("sm-mta", "4ARA01xY012345: from=<alice@example.com>, size=1234, class=0, nrcpts=1"),
		MX ("opendkim", "4F2A91C0D3: DKIM-Signature field added (s=s2026, d=example.com)"),
		MX ("amavis", "(12345-01) Passed CLEAN {RelayedOutbound}, <alice@example.com> -> <dave@remote.example>"),
		MX ("dovecot", "lmtp(alice@example.com)<12345><kM1pFZbfR2lhDQAA3xS1gQ>: msgid=<x@y>: saved mail to INBOX"),
		MX ("CRON", "(root) CMD (cd / && run-parts --report /etc/cron.hourly)"),
		MX ("postfixadmin", "4F2A91C0D3: removed"),
		MX ("postfix", "4F2A91C0D3: removed"),
		MX ("exim", "4F2A91C0D3: removed"),
		STAMP "mx1.example.com kernel: [12345.678] eth0: link up",
	};
	for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
		expect0 (lines[i]);
}

/* ---- queue IDs ------------------------------------------------------ */

static void
test_queue_ids (void)
{
	/* Short: uppercase hex, 5 or more; long: no vowels, 10 or more. */
	expect1 (MX ("postfix/qmgr", "4F2A9: removed"), &(Want) { LOG_EVENT_DONE, .queue_id = "4F2A9" });
	expect1 (MX ("postfix/qmgr", "ABCDEF0123456: removed"),
	         &(Want) { LOG_EVENT_DONE, .queue_id = "ABCDEF0123456" });
	expect1 (MX ("postfix/qmgr", "4Xb2Qr1KzT: removed"), &(Want) { LOG_EVENT_DONE, .queue_id = "4Xb2Qr1KzT" });
	expect1 (MX ("postfix/qmgr", "4Xb2Qr1KzTz9vq: removed"),
	         &(Want) { LOG_EVENT_DONE, .queue_id = "4Xb2Qr1KzTz9vq" });
	expect0 (MX ("postfix/qmgr", "4F2A: removed"));           /* too short */
	expect0 (MX ("postfix/qmgr", "4f2a91c0d3: removed"));     /* lowercase hex has vowels */
	expect0 (MX ("postfix/qmgr", "4Xb2Qa1KzTz9vq: removed")); /* a vowel */
	expect0 (MX ("postfix/qmgr", "4Xb2Qr1Kz: removed"));      /* 9 chars, not hex */
	expect0 (MX ("postfix/qmgr", "4F2A-91C0D3: removed"));
	expect0 (MX ("postfix/qmgr", "4F2A91C0D3 removed"));
}

/* ---- time stamps ---------------------------------------------------- */

static void
test_time (void)
{
	const Want done = { LOG_EVENT_DONE, .queue_id = "4F2A91C0D3" };
	static const char *const same[] = {
		"2026-11-27T10:00:01.123456+00:00 mx1.example.com postfix/qmgr[1022]: 4F2A91C0D3: removed",
		"2026-11-27T11:00:01.5+01:00 mx1.example.com postfix/qmgr[1022]: 4F2A91C0D3: removed",
		"2026-11-27T10:00:01Z mx1.example.com postfix/qmgr[1022]: 4F2A91C0D3: removed",
		/* journalctl -o short-iso, and short-iso-precise */
		"2026-11-27T10:00:01+0000 mx1.example.com postfix/qmgr[1022]: 4F2A91C0D3: removed",
		"2026-11-27T05:00:01-0500 mx1.example.com postfix/qmgr[1022]: 4F2A91C0D3: removed",
		"2026-11-27T10:00:01.000042+0000 mx1.example.com postfix/qmgr[1022]: 4F2A91C0D3: removed",
		/* classic, local time (TZ=UTC here) in the year of now */
		"Nov 27 10:00:01 mx1.example.com postfix/qmgr[1022]: 4F2A91C0D3: removed",
	};
	for (guint i = 0; i < G_N_ELEMENTS (same); i++)
		expect1 (same[i], &done);

	/* Classic, the day space-padded. */
	expect1 ("Nov  2 09:15:12 mx1.example.com postfix/qmgr[1022]: 4F2A91C0D3: removed",
	         &(Want) { LOG_EVENT_DONE, .queue_id = "4F2A91C0D3", .time = 1793610912 });
	/* The year rule: read on Jan 2, a Dec 31 line is last year's. */
	expect1_with (NULL, 1798848000 /* 2027-01-02T00:00:00Z */,
	              "Dec 31 23:59:59 mx1.example.com postfix/qmgr[1022]: 4F2A91C0D3: removed",
	              &(Want) { LOG_EVENT_DONE, .queue_id = "4F2A91C0D3", .time = 1798761599 });
	expect1_with (NULL, 1798876800 /* 2027-01-02T08:00:00Z */,
	              "Jan  2 07:00:00 mx1.example.com postfix/qmgr[1022]: 4F2A91C0D3: removed",
	              &(Want) { LOG_EVENT_DONE, .queue_id = "4F2A91C0D3", .time = 1798873200 });
	/* Less than a day ahead of now is clock skew: this year. */
	expect1 ("Nov 28 10:00:00 mx1.example.com postfix/qmgr[1022]: 4F2A91C0D3: removed",
	         &(Want) { LOG_EVENT_DONE, .queue_id = "4F2A91C0D3", .time = 1795860000 });
	/* More than a day ahead: last year. */
	expect1 ("Nov 29 10:00:00 mx1.example.com postfix/qmgr[1022]: 4F2A91C0D3: removed",
	         &(Want) { LOG_EVENT_DONE, .queue_id = "4F2A91C0D3", .time = 1764410400 });
	/* A syslog line without a pid. */
	expect1 ("Nov 27 10:00:01 mx1.example.com postfix/qmgr: 4F2A91C0D3: removed", &done);
	/* Read at 23:59:50 on 31 December: a line of 1 January from a clock
	 * a little ahead is next year's. */
	expect1_with (NULL, 1798761590 /* 2026-12-31T23:59:50Z */,
	              "Jan  1 00:00:20 mx1.example.com postfix/qmgr[1022]: 4F2A91C0D3: removed",
	              &(Want) { LOG_EVENT_DONE, .queue_id = "4F2A91C0D3", .time = 1798761620 });
	/* 29 February: the latest leap year not after now. */
	expect1_with (NULL, 1796558400 /* 2026-12-06T12:00:00Z */,
	              "Feb 29 10:00:00 mx1.example.com postfix/qmgr[1022]: 4F2A91C0D3: removed",
	              &(Want) { LOG_EVENT_DONE, .queue_id = "4F2A91C0D3", .time = 1709200800 });
	/* No such day: not a time stamp. */
	expect_bad ("Feb 30 10:00:00 mx1.example.com postfix/qmgr[1022]: 4F2A91C0D3: removed");
}

/* The year of a classic stamp moves on with the parser's now, and with
 * the file's own order when now is older than the file's last lines. */
static void
test_year (void)
{
	static const char rm[] = " mx1.example.com postfix/qmgr[1]: 4F2A91C0D3: removed";
	struct {
		gint64 now;           /* logparse_set_now before the line, 0: none */
		const char *stamp;
		gint64 want;
	} steps[] = {
		/* a follower started on 6 December, three days on */
		{ 0, "Dec  6 13:59:00", 1796565540 },              /* 2026-12-06T13:59:00Z */
		{ 1796810400, "Dec  9 09:59:50", 1796810390 },     /* now 2026-12-09T10:00:00Z */
		/* across New Year */
		{ 1798761590, "Dec 31 23:59:45", 1798761585 },
		{ 1798761610, "Jan  1 00:00:05", 1798761605 },
	};
	g_autoptr (LogParser) p = logparse_new (LOG_FORMAT_POSTFIX, NULL, 1796558400 /* 2026-12-06T12:00:00Z */);
	for (guint i = 0; i < G_N_ELEMENTS (steps); i++) {
		if (steps[i].now)
			logparse_set_now (p, steps[i].now);
		g_autofree char *line = g_strconcat (steps[i].stamp, rm, NULL);
		const char *lines[] = { line, NULL };
		g_autoptr (GPtrArray) events = run (p, lines);
		check_all (events, &(Want) { LOG_EVENT_DONE, .queue_id = "4F2A91C0D3", .time = steps[i].want }, 1);
	}

	/* An old file whose modification time (now) is 31 December 2025 but
	 * whose lines run into January: its order puts them in 2026. */
	g_autoptr (LogParser) old = logparse_new (LOG_FORMAT_POSTFIX, NULL, 1767139200 /* 2025-12-31T00:00:00Z */);
	const char *order[] = { "Dec 30 10:00:00", "Jan  2 10:00:00", "Jan  3 10:00:00" };
	const gint64 order_want[] = { 1767088800, 1767348000, 1767434400 };
	for (guint i = 0; i < G_N_ELEMENTS (order); i++) {
		g_autofree char *line = g_strconcat (order[i], rm, NULL);
		const char *lines[] = { line, NULL };
		g_autoptr (GPtrArray) events = run (old, lines);
		check_all (events, &(Want) { LOG_EVENT_DONE, .queue_id = "4F2A91C0D3", .time = order_want[i] }, 1);
	}
	/* A central log's clocks a week apart do not make a year. */
	g_autoptr (LogParser) skew = logparse_new (LOG_FORMAT_POSTFIX, NULL, 1799020800 /* 2027-01-04T00:00:00Z */);
	const char *skewed[] = { "Jan  3 10:00:00", "Dec 27 10:00:00" };
	const gint64 skew_want[] = { 1798970400, 1798365600 };
	for (guint i = 0; i < G_N_ELEMENTS (skewed); i++) {
		g_autofree char *line = g_strconcat (skewed[i], rm, NULL);
		const char *lines[] = { line, NULL };
		g_autoptr (GPtrArray) events = run (skew, lines);
		check_all (events, &(Want) { LOG_EVENT_DONE, .queue_id = "4F2A91C0D3", .time = skew_want[i] }, 1);
	}
}

/* ---- instances, servers --------------------------------------------- */

static void
test_instances (void)
{
	expect1 (MX ("postfix-out/smtp", "4F2A91C0D3: to=<dave@remote.example>, relay=mx.remote.example"
	                                 "[198.51.100.20]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 Ok)"),
	         &(Want) { LOG_EVENT_RECIPIENT, .queue_id = "4F2A91C0D3", .recipient = "dave@remote.example",
	                   .status = "sent" });
	expect1 (MX ("postfix/submission/smtpd", "4F2A91C0D3: client=laptop.example.com[192.0.2.55], "
	                                         "sasl_method=PLAIN, sasl_username=alice"),
	         &(Want) { LOG_EVENT_ENTER, .queue_id = "4F2A91C0D3", .client_ip = "192.0.2.55",
	                   .origin = LOG_ORIGIN_AUTH });
	expect1 (MX ("postfix-in/smtps/smtpd", "4F2A91C0D3: client=laptop.example.com[192.0.2.55]"),
	         &(Want) { LOG_EVENT_ENTER, .queue_id = "4F2A91C0D3", .client_ip = "192.0.2.55" });
	expect1 (MX ("postfix-out/qmgr", "4F2A91C0D3: from=<alice@example.com>, size=1, nrcpt=1 (queue active)"),
	         &(Want) { LOG_EVENT_SENDER, .queue_id = "4F2A91C0D3", .sender = "alice@example.com" });
	expect1 (MX ("postfix-out/cleanup", "4F2A91C0D3: message-id=<m@example.com>"),
	         &(Want) { LOG_EVENT_MESSAGE_ID, .queue_id = "4F2A91C0D3", .message_id = "<m@example.com>" });
	expect1 (MX ("postfix/relay/smtp", "4F2A91C0D3: to=<dave@remote.example>, relay=relayhost.example.com"
	                                   "[192.0.2.1]:587, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 Ok)"),
	         &(Want) { LOG_EVENT_RECIPIENT, .queue_id = "4F2A91C0D3", .recipient = "dave@remote.example",
	                   .status = "sent" });
	/* The daemon is the last component: "submission" alone is not one. */
	expect0 (MX ("postfix/submission", "4F2A91C0D3: client=laptop.example.com[192.0.2.55]"));
}

static void
test_central_log (void)
{
	static const char *const lines[] = {
		LINE ("mx1", "postfix/qmgr", "4F2A91C0D3: removed"),
		LINE ("out", "postfix/qmgr", "4F2A91C0D3: removed"),
		"Nov 27 10:00:01 mx1 postfix/pickup[1]: 5B3C7D9E1F: uid=1000 from=<alice>",
		NULL,
	};
	g_autoptr (LogParser) p = logparse_new (LOG_FORMAT_POSTFIX, NULL, NOW);
	g_autoptr (GPtrArray) events = run (p, lines);
	check_all (events, (const Want[]) {
		{ LOG_EVENT_DONE, .server = "mx1", .queue_id = "4F2A91C0D3" },
		{ LOG_EVENT_DONE, .server = "out", .queue_id = "4F2A91C0D3" },
		{ LOG_EVENT_ENTER, .server = "mx1", .queue_id = "5B3C7D9E1F", .origin = LOG_ORIGIN_LOCAL },
	}, 3);

	/* --server wins over the host field. */
	g_autoptr (LogParser) q = logparse_new (LOG_FORMAT_POSTFIX, "mx2", NOW);
	g_autoptr (GPtrArray) again = run (q, lines);
	check_all (again, (const Want[]) {
		{ LOG_EVENT_DONE, .server = "mx2", .queue_id = "4F2A91C0D3" },
		{ LOG_EVENT_DONE, .server = "mx2", .queue_id = "4F2A91C0D3" },
		{ LOG_EVENT_ENTER, .server = "mx2", .queue_id = "5B3C7D9E1F", .origin = LOG_ORIGIN_LOCAL },
	}, 3);
}

/* ---- malformed ------------------------------------------------------ */

static void
test_malformed (void)
{
	static const char *const not_syslog[] = {
		"garbage",
		"this is not a log line at all, but it is long enough",
		"Nov 27 10:00:01",
		"Nov 27 10:00:01 mx1.example.com",
		"Nov 27 10:00:01 mx1.example.com postf",
		"Foo 27 10:00:01 mx1.example.com postfix/qmgr[1]: 4F2A91C0D3: removed",
		"Nov 32 10:00:01 mx1.example.com postfix/qmgr[1]: 4F2A91C0D3: removed",
		"Nov 27 25:00:01 mx1.example.com postfix/qmgr[1]: 4F2A91C0D3: removed",
		"2026-11-27T10:00:01+00:00",
		"2026-11-27T10:00:01+00:00 mx1.example.com postfix/qmgr[1022",
		"2026-13-27T10:00:01+00:00 mx1.example.com postfix/qmgr[1]: 4F2A91C0D3: removed",
		"\x01\x02\x03 binary junk \xff\xfe",
	};
	for (guint i = 0; i < G_N_ELEMENTS (not_syslog); i++)
		expect_bad (not_syslog[i]);

	/* Postfix lines of known daemons whose fields are broken: mostly cut. */
	static const char *const broken[] = {
		MX ("postfix/smtp", "4F2A91C0D3: to=<dave@remote.exa"),
		MX ("postfix/smtp", "4F2A91C0D3: to=<>, relay=none, status=bounced (x)"),
		MX ("postfix/smtp", "4F2A91C0D3: to=dave@remote.example, relay=none, status=sent (x)"),
		MX ("postfix/smtp", "4F2A91C0D3: to=<dave@remote.example>, relay=none, delay=1, status="),
		MX ("postfix/smtp", "4F2A91C0D3: to=<dave@remote.example>, relay=none, delay=1, status= (x)"),
		MX ("postfix/qmgr", "4F2A91C0D3: from=<alice@exa"),
		MX ("postfix/qmgr", "4F2A91C0D3: from=alice@example.com, size=1, nrcpt=1"),
		MX ("postfix/qmgr", "4F2A91C0D3: to=<dave@remote"),
		MX ("postfix/smtpd", "4F2A91C0D3: client=mail.remote.example"),
		MX ("postfix/smtpd", "4F2A91C0D3: client=mail.remote.example[203.0.113.7"),
		MX ("postfix/smtpd", "4F2A91C0D3: client=localhost[127.0.0.1], orig_queue_id=5B3C7D9E1F, orig_client=unk"),
		MX ("postfix/bounce", "4F2A91C0D3: sender non-delivery notification: "),
		MX ("postfix/bounce", "4F2A91C0D3: sender non-delivery notification: 5B3"),
		MX ("postfix/bounce", "4F2A91C0D3: sender non-delivery notification: no-such-id!"),
	};
	for (guint i = 0; i < G_N_ELEMENTS (broken); i++)
		expect_bad (broken[i]);

	/* Too long, even when otherwise fine. */
	g_autoptr (GString) longline = g_string_new (MX ("postfix/cleanup", "4F2A91C0D3: message-id=<"));
	while (longline->len <= NS_MAX_LOG_LINE)
		g_string_append (longline, "xxxxxxxxxxxxxxxx");
	g_string_append (longline, "@example.com>");
	expect_bad_len (longline->str, longline->len);

	/* Up to the limit is fine; the value is kept whole. */
	g_autoptr (GString) atlimit = g_string_new (MX ("postfix/cleanup", "4F2A91C0D3: message-id=<"));
	g_string_append_c (atlimit, 'a');
	while (atlimit->len < NS_MAX_LOG_LINE - 1)
		g_string_append_c (atlimit, 'y');
	g_string_append_c (atlimit, '>');
	g_assert_cmpuint (atlimit->len, ==, NS_MAX_LOG_LINE);
	const char *mid = strstr (atlimit->str, "message-id=") + 11;
	expect1 (atlimit->str, &(Want) { LOG_EVENT_MESSAGE_ID, .queue_id = "4F2A91C0D3", .message_id = mid });

	/* The line is given with its length and need not end in NUL: a cut
	 * inside a buffer must not read on. */
	const char *whole = MX ("postfix/smtp", "4F2A91C0D3: to=<dave@remote.example>, relay=none, status=sent (x)");
	const char *cut = strstr (whole, "remote.example>");
	expect_bad_len (whole, cut - whole);
}

/* CRLF files, blank and trailing-space lines. */
static void
test_line_ends (void)
{
	expect1 (MX ("postfix/cleanup", "4F2A91C0D3: message-id=<m@example.com>\r"),
	         &(Want) { LOG_EVENT_MESSAGE_ID, .queue_id = "4F2A91C0D3", .message_id = "<m@example.com>" });
	expect1 (MX ("postfix/qmgr", "4F2A91C0D3: removed \r"), &(Want) { LOG_EVENT_DONE, .queue_id = "4F2A91C0D3" });
	expect1 (MX ("postfix/pickup", "4F2A91C0D3: uid=1000 from=<alice>\r"),
	         &(Want) { LOG_EVENT_ENTER, .queue_id = "4F2A91C0D3", .origin = LOG_ORIGIN_LOCAL });
	expect0 ("\r");
	expect0 ("   ");
}

/* ---- whole transactions --------------------------------------------- */

static void
test_transactions (void)
{
#define C(time, prog, msg) "Nov 27 " time " out.example.com " prog "[77]: " msg
#define M(time, prog, msg) "Nov 27 " time " mx1.example.com " prog "[88]: " msg
	static const char *const lines[] = {
		/* 1. Local submission on out. */
		C ("10:00:01", "postfix/pickup", "4Xb2Qr1KzTz9vq: uid=1000 from=<alice>"),
		C ("10:00:01", "postfix/cleanup", "4Xb2Qr1KzTz9vq: message-id=<20261127100001.4Xb2Qr1KzTz9vq@out.example.com>"),
		C ("10:00:01", "postfix/qmgr", "4Xb2Qr1KzTz9vq: from=<alice@example.com>, size=1873, nrcpt=1 (queue active)"),
		C ("10:00:02", "postfix/smtp", "4Xb2Qr1KzTz9vq: to=<dave@remote.example>, relay=mx.remote.example[198.51.100.20]:25, "
		                               "delay=1.7, delays=0.02/0.01/0.91/0.78, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9D1E2F3A4B)"),
		C ("10:00:02", "postfix/qmgr", "4Xb2Qr1KzTz9vq: removed"),
		/* 2. Authenticated submission on out. */
		C ("10:05:12", "postfix/submission/smtpd", "connect from unknown[198.51.100.61]"),
		C ("10:05:12", "postfix/submission/smtpd", "4LF6tJ0mWpz2Rb: client=unknown[198.51.100.61], sasl_method=PLAIN, sasl_username=bob"),
		C ("10:05:12", "postfix/cleanup", "4LF6tJ0mWpz2Rb: message-id=<8c1f0e6a@example.com>"),
		C ("10:05:12", "postfix/qmgr", "4LF6tJ0mWpz2Rb: from=<bob@example.com>, size=4127, nrcpt=1 (queue active)"),
		C ("10:05:12", "postfix/submission/smtpd", "disconnect from unknown[198.51.100.61] ehlo=2 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=7"),
		C ("10:05:13", "postfix/smtp", "4LF6tJ0mWpz2Rb: to=<erin@example.net>, relay=mx.example.net[198.51.100.25]:25, delay=0.9, "
		                               "delays=0.06/0/0.41/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4LF6tK2sQvz7Wd)"),
		C ("10:05:13", "postfix/qmgr", "4LF6tJ0mWpz2Rb: removed"),
		/* 3. Relay for a client in our network on out. */
		C ("10:07:30", "postfix/smtpd", "4LF6wB2cKfz2Vq: client=desk-carol.example.com[192.0.2.88]"),
		C ("10:07:30", "postfix/cleanup", "4LF6wB2cKfz2Vq: message-id=<2c4e6a8b@example.com>"),
		C ("10:07:30", "postfix/qmgr", "4LF6wB2cKfz2Vq: from=<carol@example.com>, size=2874, nrcpt=1 (queue active)"),
		C ("10:07:31", "postfix/smtp", "4LF6wB2cKfz2Vq: to=<tomas@example.net>, relay=mx.example.net[198.51.100.25]:25, delay=0.8, "
		                               "delays=0.04/0.01/0.32/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok)"),
		C ("10:07:31", "postfix/qmgr", "4LF6wB2cKfz2Vq: removed"),
		/* 4. Backscatter made here: a foreign client, a forged sender of
		 * ours, a relay recipient that the next hop refuses, and our
		 * own bounce to the forged sender, delivered locally. */
		M ("10:10:27", "postfix/postscreen", "PASS NEW [203.0.113.45]:50314"),
		M ("10:10:28", "postfix/smtpd", "4F2A91C0D3: client=unknown[203.0.113.45]"),
		M ("10:10:28", "postfix/cleanup", "4F2A91C0D3: message-id=<20261127111028.5D1E3A9F@example.com>"),
		M ("10:10:28", "postfix/qmgr", "4F2A91C0D3: from=<forged-user@example.com>, size=3391, nrcpt=1 (queue active)"),
		M ("10:10:29", "postfix/smtp", "4F2A91C0D3: to=<sales@example.net>, relay=mx.example.net[198.51.100.25]:25, delay=0.73, "
		                               "delays=0.17/0.01/0.3/0.25, dsn=5.1.1, status=bounced (host mx.example.net[198.51.100.25] "
		                               "said: 550 5.1.1 <sales@example.net>: User unknown (in reply to RCPT TO command))"),
		M ("10:10:29", "postfix/cleanup", "5B3C7D9E1F: message-id=<5B3C7D9E1F@mx1.example.com>"),
		M ("10:10:29", "postfix/bounce", "4F2A91C0D3: sender non-delivery notification: 5B3C7D9E1F"),
		M ("10:10:29", "postfix/qmgr", "5B3C7D9E1F: from=<>, size=5512, nrcpt=1 (queue active)"),
		M ("10:10:29", "postfix/qmgr", "4F2A91C0D3: removed"),
		M ("10:10:30", "postfix/local", "5B3C7D9E1F: to=<forged-user@example.com>, relay=local, delay=0.08, "
		                                "delays=0.01/0.01/0/0.06, dsn=2.0.0, status=sent (delivered to mailbox)"),
		M ("10:10:30", "postfix/qmgr", "5B3C7D9E1F: removed"),
		NULL,
	};
#undef C
#undef M
	const gint64 t = T0 - 1; /* 10:00:00 */
	const char *out = "out.example.com";
	const Want want[] = {
		{ LOG_EVENT_ENTER, t + 1, out, "4Xb2Qr1KzTz9vq", .origin = LOG_ORIGIN_LOCAL },
		{ LOG_EVENT_MESSAGE_ID, t + 1, out, "4Xb2Qr1KzTz9vq",
		  .message_id = "<20261127100001.4Xb2Qr1KzTz9vq@out.example.com>" },
		{ LOG_EVENT_SENDER, t + 1, out, "4Xb2Qr1KzTz9vq", .sender = "alice@example.com" },
		{ LOG_EVENT_RECIPIENT, t + 2, out, "4Xb2Qr1KzTz9vq", .recipient = "dave@remote.example", .status = "sent" },
		{ LOG_EVENT_DONE, t + 2, out, .queue_id = "4Xb2Qr1KzTz9vq" },

		{ LOG_EVENT_ENTER, t + 312, out, "4LF6tJ0mWpz2Rb", .client_ip = "198.51.100.61", .origin = LOG_ORIGIN_AUTH },
		{ LOG_EVENT_MESSAGE_ID, t + 312, out, "4LF6tJ0mWpz2Rb", .message_id = "<8c1f0e6a@example.com>" },
		{ LOG_EVENT_SENDER, t + 312, out, "4LF6tJ0mWpz2Rb", .sender = "bob@example.com" },
		{ LOG_EVENT_RECIPIENT, t + 313, out, "4LF6tJ0mWpz2Rb", .recipient = "erin@example.net", .status = "sent" },
		{ LOG_EVENT_DONE, t + 313, out, .queue_id = "4LF6tJ0mWpz2Rb" },

		{ LOG_EVENT_ENTER, t + 450, out, "4LF6wB2cKfz2Vq", .client_ip = "192.0.2.88" },
		{ LOG_EVENT_MESSAGE_ID, t + 450, out, "4LF6wB2cKfz2Vq", .message_id = "<2c4e6a8b@example.com>" },
		{ LOG_EVENT_SENDER, t + 450, out, "4LF6wB2cKfz2Vq", .sender = "carol@example.com" },
		{ LOG_EVENT_RECIPIENT, t + 451, out, "4LF6wB2cKfz2Vq", .recipient = "tomas@example.net", .status = "sent" },
		{ LOG_EVENT_DONE, t + 451, out, .queue_id = "4LF6wB2cKfz2Vq" },

		{ LOG_EVENT_ENTER, t + 628, NULL, "4F2A91C0D3", .client_ip = "203.0.113.45" },
		{ LOG_EVENT_MESSAGE_ID, t + 628, NULL, "4F2A91C0D3", .message_id = "<20261127111028.5D1E3A9F@example.com>" },
		{ LOG_EVENT_SENDER, t + 628, NULL, "4F2A91C0D3", .sender = "forged-user@example.com" },
		{ LOG_EVENT_RECIPIENT, t + 629, NULL, "4F2A91C0D3", .recipient = "sales@example.net", .status = "bounced" },
		{ LOG_EVENT_MESSAGE_ID, t + 629, NULL, "5B3C7D9E1F", .message_id = "<5B3C7D9E1F@mx1.example.com>" },
		{ LOG_EVENT_ENTER, t + 629, NULL, "5B3C7D9E1F", .origin = LOG_ORIGIN_LOCAL },
		{ LOG_EVENT_SENDER, t + 629, NULL, "5B3C7D9E1F", .sender = "" },
		{ LOG_EVENT_DONE, t + 629, NULL, .queue_id = "4F2A91C0D3" },
		{ LOG_EVENT_RECIPIENT, t + 630, NULL, "5B3C7D9E1F", .recipient = "forged-user@example.com", .status = "sent" },
		{ LOG_EVENT_DONE, t + 630, NULL, .queue_id = "5B3C7D9E1F" },
	};
	g_autoptr (LogParser) p = logparse_new (LOG_FORMAT_POSTFIX, NULL, NOW);
	g_autoptr (GPtrArray) events = run (p, lines);
	check_all (events, want, G_N_ELEMENTS (want));
}

/* ---- detection ------------------------------------------------------ */

static void
test_detect (void)
{
	g_assert_true (logparse_postfix_ops.detect (
		"Nov 27 10:00:01 mx1 postfix/smtpd[123]: connect from unknown[203.0.113.7]\n"));
	g_assert_true (logparse_postfix_ops.detect (
		"2026-11-27T10:00:01.123456+00:00 mx1 postfix-out/qmgr[1]: 4F2A91C0D3: removed"));
	/* A central log: the Postfix line comes after others'. */
	g_assert_true (logparse_postfix_ops.detect (
		"Nov 27 10:00:00 mx1 kernel: [1.0] eth0: link up\n"
		"Nov 27 10:00:00 mx1 CRON[99]: (root) CMD (true)\n"
		"Nov 27 10:00:00 mx1 dovecot: imap-login: Login: user=<alice>\n"
		"Nov 27 10:00:01 mx1 postfix/submission/smtpd[123]: connect from unknown[203.0.113.7]\n"
		"Nov 27 10:00:01 mx1 CRON[99]: (root) CMD (true)\n"));
	g_assert_false (logparse_postfix_ops.detect (""));
	g_assert_false (logparse_postfix_ops.detect ("garbage\nmore garbage\n"));
	g_assert_false (logparse_postfix_ops.detect (
		"Nov 27 10:00:01 mx1 sm-mta[123]: 4ARA01xY012345: from=<alice@example.com>, size=1\n"
		"Nov 27 10:00:01 mx1 postfixadmin: login alice\n"));
	g_assert_false (logparse_postfix_ops.detect (
		"2026-11-27 10:00:01 1vOjeS-0001Ab-2c <= alice@example.com H=(laptop) [192.0.2.55] P=esmtpsa\n"));
	g_assert_false (logparse_postfix_ops.detect ("{\"time\":\"2026-11-27T10:00:01Z\",\"server\":\"mx1\"}\n"));
}

/* ---- the sample log ------------------------------------------------- */

static char *
sample_path (void)
{
	const char *top = g_getenv ("top_srcdir");
	if (top)
		return g_build_filename (top, "samples", "logs", "postfix.log", NULL);
	/* Built by hand from the top of the tree: __FILE__ is relative to it. */
	g_autofree char *unit = g_path_get_dirname (__FILE__);
	return g_build_filename (unit, "..", "..", "samples", "logs", "postfix.log", NULL);
}

static void
test_sample (void)
{
	g_autofree char *path = sample_path ();
	g_autofree char *text = NULL;
	gsize size;
	if (!g_file_get_contents (path, &text, &size, NULL)) {
		g_test_skip ("samples/logs/postfix.log not found (set top_srcdir)");
		return;
	}
	g_assert_true (logparse_postfix_ops.detect (text));
	g_assert_cmpint (logparse_detect (text), ==, LOG_FORMAT_POSTFIX);

	g_autoptr (LogParser) p = logparse_new (LOG_FORMAT_POSTFIX, NULL, NOW);
	g_autoptr (GPtrArray) events = new_events ();
	guint nlines = 0;
	for (const char *l = text; *l;) {
		const char *nl = strchr (l, '\n');
		g_assert_nonnull (nl); /* every line ends in a newline */
		g_autoptr (GError) error = NULL;
		nlines++;
		if (!logparse_line (p, l, nl - l, collect, events, &error))
			g_error ("%s:%u: %s", path, nlines, error->message);
		l = nl + 1;
	}
	g_assert_cmpuint (nlines, >=, 35);

	guint count[LOG_EVENT_RECORD + 1] = { 0 };
	gboolean mx1 = FALSE, out = FALSE, spam = FALSE, ndr = FALSE, vacation = FALSE;
	for (guint i = 0; i < events->len; i++) {
		const Ev *e = events->pdata[i];
		count[e->type]++;
		mx1 |= g_strcmp0 (e->server, "mx1.example.com") == 0;
		out |= g_strcmp0 (e->server, "out.example.com") == 0;
		g_assert_true (g_strcmp0 (e->server, "mx1.example.com") == 0 ||
		               g_strcmp0 (e->server, "out.example.com") == 0);
		g_assert_cmpint (e->time, >=, 1795773600);  /* 2026-11-27 10:00 */
		g_assert_cmpint (e->time, <, 1795795200);   /* 16:00 */
		if (e->type == LOG_EVENT_ENTER && g_strcmp0 (e->queue_id, "4LF6yS1xWcz4Tm") == 0) {
			check_ev (e, &(Want) { LOG_EVENT_ENTER, 1795774228, "mx1.example.com", "4LF6yS1xWcz4Tm",
			                       .client_ip = "203.0.113.45" });
			spam = TRUE;
		}
		if (e->type == LOG_EVENT_ENTER && g_strcmp0 (e->queue_id, "4LF6yT0Bvkz4Tp") == 0) {
			check_ev (e, &(Want) { LOG_EVENT_ENTER, 1795774229, "mx1.example.com", "4LF6yT0Bvkz4Tp",
			                       .origin = LOG_ORIGIN_LOCAL });
			ndr = TRUE;
		}
		/* The message that samples/bounces/autoreply-01.eml answers. */
		if (e->type == LOG_EVENT_MESSAGE_ID &&
		    g_strcmp0 (e->message_id, "<20261127100001.4Xb2Qr1KzTz9vq@out.example.com>") == 0)
			vacation = g_strcmp0 (e->queue_id, "4Xb2Qr1KzTz9vq") == 0;
	}
	g_assert_true (mx1 && out && spam && ndr && vacation);
	g_assert_cmpuint (count[LOG_EVENT_ENTER], ==, 7);
	g_assert_cmpuint (count[LOG_EVENT_MESSAGE_ID], ==, 7);
	g_assert_cmpuint (count[LOG_EVENT_SENDER], ==, 8);
	g_assert_cmpuint (count[LOG_EVENT_RECIPIENT], ==, 9);
	g_assert_cmpuint (count[LOG_EVENT_DONE], ==, 7);
	g_assert_cmpuint (count[LOG_EVENT_RECORD], ==, 0);
}

static void
seen_one (const LogEvent *event, gpointer user_data)
{
	GPtrArray *seen = user_data;
	g_ptr_array_add (seen, g_strdup_printf ("%d %s %" G_GINT64_FORMAT, event->type,
	                                        event->server ? event->server : "-", event->time));
}

/* A Postfix line that carries no message event still says the server was
 * logging then (coverage); another program's line says nothing. */
static void
test_seen (void)
{
	g_autoptr (LogParser) p = logparse_new (LOG_FORMAT_POSTFIX, NULL, 1795800000);
	g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
	static const char quiet[] = "2026-11-27T10:00:01+00:00 mx1 postfix/smtpd[1]: connect from a.example[192.0.2.9]";
	static const char cron[] = "2026-11-27T10:00:02+00:00 mx1 CRON[7]: (root) CMD (true)";
	g_assert_true (logparse_line (p, quiet, strlen (quiet), seen_one, seen, NULL));
	g_assert_true (logparse_line (p, cron, strlen (cron), seen_one, seen, NULL));
	g_assert_cmpuint (seen->len, ==, 1);
	g_autofree char *want = g_strdup_printf ("%d mx1 1795773601", LOG_EVENT_SEEN);
	g_assert_cmpstr (g_ptr_array_index (seen, 0), ==, want);
}

static void
notice_one (const LogEvent *event, gpointer user_data)
{
	GPtrArray *seen = user_data;
	g_ptr_array_add (seen, g_strdup_printf ("%s %s %" G_GINT64_FORMAT,
	                                        event->type == LOG_EVENT_SEEN ? "seen"
	                                        : event->type != LOG_EVENT_LOSS ? "other"
	                                        : event->loss == LOG_LOSS_BEGIN ? "begin" : "end",
	                                        event->server ? event->server : "*", event->time));
}

/* Heartbeats and the syslog daemons' notices of lost lines, in the
 * wordings rsyslog (imuxsock before and after 8.x, its generic rate
 * limiter, imjournal, omfwd over TCP) and systemd-journald write. */
static void
test_notices (void)
{
	static const struct {
		const char *line, *want; /* want NULL: nothing */
	} cases[] = {
		/* heartbeats */
		{ "Nov 27 10:00:01 mx1 rsyslogd: -- MARK --", "seen mx1 1795773601" },
		{ "2026-11-27T10:00:01+00:00 mx2 rsyslogd: -- MARK --", "seen mx2 1795773601" },
		{ "Nov 27 10:00:01 mx1 -- MARK --", "seen mx1 1795773601" },
		{ "Nov 27 10:00:01 mx1 ndrsift-heartbeat: heartbeat", "seen mx1 1795773601" },
		{ "Nov 27 10:00:01 mx1 ndrsift-heartbeat[4242]: heartbeat", "seen mx1 1795773601" },
		{ "Nov 27 10:00:01 mx1 other: -- MARK --", NULL },
		{ "Nov 27 10:00:01 mx1 rsyslogd: -- MARK -- again", NULL },
		/* rsyslog's imuxsock: the host's own lines */
		{ "Nov 27 10:00:01 mx1 rsyslogd-2177: imuxsock begins to drop messages from pid 55082 due to rate-limiting",
		  "begin mx1 1795773601" },
		{ "Nov 27 10:00:01 mx1 rsyslogd-2177: imuxsock lost 141 messages from pid 55082 due to rate-limiting",
		  "end mx1 1795773601" },
		{ "Nov 27 10:00:01 mx1 rsyslogd: imuxsock[pid: 51, name: /usr/lib/postfix/sbin/qmgr] from"
		  " <mx1:postfix/qmgr>: begin to drop messages due to rate-limiting", "begin mx1 1795773601" },
		{ "Nov 27 10:00:01 mx1 rsyslogd: imuxsock[pid: 51, name: /usr/lib/postfix/sbin/qmgr]: 48814 messages"
		  " lost due to rate-limiting (20000 allowed within 300 seconds)", "end mx1 1795773601" },
		{ "Nov 27 10:00:01 mx1 rsyslogd: imjournal: begin to drop messages due to rate-limiting", "begin mx1 1795773601" },
		{ "Nov 27 10:00:01 mx1 rsyslogd: imjournal: 236 messages lost due to rate-limiting", "end mx1 1795773601" },
		/* another input (a central host's imtcp): any server's lines */
		{ "Nov 27 10:00:01 loghost rsyslogd: imtcp: begin to drop messages due to rate-limiting", "begin * 1795773601" },
		{ "Nov 27 10:00:01 loghost rsyslogd: imtcp: 12 messages lost due to rate-limiting", "end * 1795773601" },
		/* journald says it only afterwards */
		{ "Nov 27 10:00:01 mx1 systemd-journald[312]: Suppressed 917 messages from postfix@-.service",
		  "end mx1 1795773601" },
		{ "Nov 27 10:00:01 mx1 systemd-journal[1864]: Suppressed 917 messages from /system.slice/postfix.service",
		  "end mx1 1795773601" },
		/* a forwarder over plain TCP lost its connection (rsyslog 8.2302):
		 * its own lines, up to the notice (sentlog takes in its second); over RELP
		 * nothing is lost */
		{ "2026-11-27T10:00:01.576935+00:00 mx2 rsyslogd-2007: action 'action-2-builtin:omfwd' suspended"
		  " (module 'builtin:omfwd'), retry 0. There should be messages before this one giving the reason"
		  " for suspension. [v8.2302.0 try https://www.rsyslog.com/e/2007 ]", "end mx2 1795773601" },
		{ "2026-11-27T10:00:01.658527+00:00 mx1 rsyslogd-2007: action 'action-2-omrelp' suspended"
		  " (module 'omrelp'), retry 0. There should be messages before this one giving the reason"
		  " for suspension. [v8.2302.0 try https://www.rsyslog.com/e/2007 ]", NULL },
		{ "2026-11-27T10:00:02.578889+00:00 mx2 rsyslogd-2359: action 'action-2-builtin:omfwd' resumed"
		  " (module 'builtin:omfwd') [v8.2302.0 try https://www.rsyslog.com/e/2359 ]", NULL },
		/* not notices */
		{ "Nov 27 10:00:01 mx1 rsyslogd: [origin software=\"rsyslogd\" swVersion=\"8.2302.0\"] start", NULL },
		{ "Nov 27 10:00:01 mx1 systemd-journald[312]: Journal started", NULL },
		{ "Nov 27 10:00:01 mx1 app: imuxsock begins to drop messages from pid 1 due to rate-limiting", NULL },
	};
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr (LogParser) p = logparse_new (LOG_FORMAT_POSTFIX, NULL, 1795800000);
		g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
		g_autoptr (GError) error = NULL;
		if (!logparse_line (p, cases[i].line, strlen (cases[i].line), notice_one, seen, &error)) {
			g_test_fail_printf ("%s: malformed: %s", cases[i].line, error->message);
			continue;
		}
		const char *got = seen->len ? g_ptr_array_index (seen, 0) : NULL;
		if (g_strcmp0 (got, cases[i].want) != 0 || seen->len > 1)
			g_test_fail_printf ("%s: want %s, got %s (%u events)", cases[i].line, cases[i].want ? cases[i].want : "nothing",
			                    got ? got : "nothing", seen->len);
	}
	/* --server names the server of every line, notices too */
	g_autoptr (LogParser) p = logparse_new (LOG_FORMAT_POSTFIX, "out1", 1795800000);
	g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
	static const char central[] = "Nov 27 10:00:01 loghost rsyslogd: imtcp: 12 messages lost due to rate-limiting";
	g_assert_true (logparse_line (p, central, strlen (central), notice_one, seen, NULL));
	g_assert_cmpuint (seen->len, ==, 1);
	if (seen->len)
		g_assert_cmpstr (g_ptr_array_index (seen, 0), ==, "end out1 1795773601");
}

int
main (int argc, char **argv)
{
	/* Before anything reads the local zone: classic stamps are local. */
	g_setenv ("TZ", "UTC", TRUE);
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/logparse/postfix/smtpd", test_smtpd);
	g_test_add_func ("/logparse/postfix/pickup", test_pickup);
	g_test_add_func ("/logparse/postfix/cleanup", test_cleanup);
	g_test_add_func ("/logparse/postfix/qmgr", test_qmgr);
	g_test_add_func ("/logparse/postfix/delivery", test_delivery);
	g_test_add_func ("/logparse/postfix/bounce", test_bounce);
	g_test_add_func ("/logparse/postfix/nothing", test_nothing);
	g_test_add_func ("/logparse/postfix/other-programs", test_other_programs);
	g_test_add_func ("/logparse/postfix/queue-ids", test_queue_ids);
	g_test_add_func ("/logparse/postfix/time", test_time);
	g_test_add_func ("/logparse/postfix/year", test_year);
	g_test_add_func ("/logparse/postfix/instances", test_instances);
	g_test_add_func ("/logparse/postfix/central-log", test_central_log);
	g_test_add_func ("/logparse/postfix/malformed", test_malformed);
	g_test_add_func ("/logparse/postfix/line-ends", test_line_ends);
	g_test_add_func ("/logparse/postfix/transactions", test_transactions);
	g_test_add_func ("/logparse/postfix/detect", test_detect);
	g_test_add_func ("/logparse/postfix/sample", test_sample);
	g_test_add_func ("/logparse-postfix/seen", test_seen);
	g_test_add_func ("/logparse-postfix/notices", test_notices);
	return g_test_run ();
}
