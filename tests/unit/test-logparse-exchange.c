/* Unit tests for src/logparse_exchange.c: the CSV reader, the #Fields
 * column map, each event kind with its exact events, the server name,
 * malformed lines, detection and the sample log. */
#include <string.h>

#include "logparse-private.h" /* logparse_exchange_ops */
#include "ndrsift/limits.h"
#include "logparse.h"
#include "ndrsift/sentlog.h" /* sentlog_origin_name */

/* 2026-11-27T00:00:00Z: event times print as the time of that day. */
#define DAY0 G_GINT64_CONSTANT (1795737600)

static const char *const FIELDS_2013 =
	"#Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,"
	"connector-id,source,event-id,internal-message-id,message-id,network-message-id,"
	"recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,"
	"reference,message-subject,sender-address,return-path,message-info,directionality,"
	"tenant-id,original-client-ip,original-server-ip,custom-data,transport-traffic-type,"
	"log-id,schema-version";

static const char *const COLS_2013[] = {
	"date-time", "client-ip", "client-hostname", "server-ip", "server-hostname",
	"source-context", "connector-id", "source", "event-id", "internal-message-id",
	"message-id", "network-message-id", "recipient-address", "recipient-status",
	"total-bytes", "recipient-count", "related-recipient-address", "reference",
	"message-subject", "sender-address", "return-path", "message-info", "directionality",
	"tenant-id", "original-client-ip", "original-server-ip", "custom-data",
	"transport-traffic-type", "log-id", "schema-version", NULL,
};

/* Exchange 2010 SP1: no network-message-id, transport-traffic-type,
 * log-id, schema-version. */
static const char *const FIELDS_2010 =
	"#Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,"
	"connector-id,source,event-id,internal-message-id,message-id,recipient-address,"
	"recipient-status,total-bytes,recipient-count,related-recipient-address,reference,"
	"message-subject,sender-address,return-path,message-info,directionality,tenant-id,"
	"original-client-ip,original-server-ip,custom-data";

static const char *const COLS_2010[] = {
	"date-time", "client-ip", "client-hostname", "server-ip", "server-hostname",
	"source-context", "connector-id", "source", "event-id", "internal-message-id",
	"message-id", "recipient-address", "recipient-status", "total-bytes", "recipient-count",
	"related-recipient-address", "reference", "message-subject", "sender-address",
	"return-path", "message-info", "directionality", "tenant-id", "original-client-ip",
	"original-server-ip", "custom-data", NULL,
};

/* ---- helpers ------------------------------------------------------------ */

static void
append_time (GString *s, gint64 t)
{
	gint64 d = t - DAY0;
	if (d >= 0 && d < 86400)
		g_string_append_printf (s, "%02d:%02d:%02d", (int) (d / 3600), (int) (d / 60 % 60),
		                        (int) (d % 60));
	else
		g_string_append_printf (s, "%" G_GINT64_FORMAT, t);
}

/* One line per event: TYPE time server queue_id details. */
static void
collect (const LogEvent *e, gpointer data)
{
	/* Coverage-only events have a test of their own ("seen"). */
	if (e->type == LOG_EVENT_SEEN)
		return;
	GString *s = data;
	static const char *const names[] = {
		[LOG_EVENT_ENTER] = "ENTER",         [LOG_EVENT_MESSAGE_ID] = "MESSAGE_ID",
		[LOG_EVENT_SENDER] = "SENDER",       [LOG_EVENT_RECIPIENT] = "RECIPIENT",
		[LOG_EVENT_DONE] = "DONE",           [LOG_EVENT_RECORD] = "RECORD",
	};
	g_assert_nonnull (e->server);
	g_assert_nonnull (e->queue_id);
	g_string_append_printf (s, "%s ", names[e->type]);
	append_time (s, e->time);
	g_string_append_printf (s, " %s %s", e->server, e->queue_id);
	switch (e->type) {
	case LOG_EVENT_ENTER:
		g_string_append_printf (s, " %s %s", sentlog_origin_name (e->origin),
		                        e->client_ip ? e->client_ip : "-");
		break;
	case LOG_EVENT_MESSAGE_ID:
		g_string_append_printf (s, " %s", e->message_id);
		break;
	case LOG_EVENT_SENDER:
		g_string_append_printf (s, " <%s>", e->sender);
		break;
	case LOG_EVENT_RECIPIENT:
		g_string_append_printf (s, " %s %s", e->recipient, e->status);
		break;
	default:
		g_assert_not_reached ();
	}
	g_string_append_c (s, '\n');
}

/* Feeds text line by line (no newline passed) and returns the events;
 * every line must parse. */
static char *
run_with (LogParser *p, const char *text)
{
	GString *out = g_string_new (NULL);
	const char *line = text;
	while (*line) {
		const char *nl = strchr (line, '\n');
		gsize len = nl ? (gsize) (nl - line) : strlen (line);
		g_autoptr (GError) error = NULL;
		gboolean ok = logparse_line (p, line, len, collect, out, &error);
		if (!ok)
			g_error ("line \"%.*s\": %s", (int) len, line, error->message);
		g_assert_no_error (error);
		line += len + (nl != NULL);
	}
	return g_string_free (out, FALSE);
}

static char *
run (const char *text)
{
	g_autoptr (LogParser) p = logparse_new (LOG_FORMAT_EXCHANGE, NULL, DAY0);
	return run_with (p, text);
}

/* Appends one value as RFC 4180 wants it. */
static void
append_csv (GString *s, const char *v)
{
	if (strpbrk (v, ",\"") == NULL) {
		g_string_append (s, v);
		return;
	}
	g_string_append_c (s, '"');
	for (const char *c = v; *c; c++) {
		if (*c == '"')
			g_string_append_c (s, '"');
		g_string_append_c (s, *c);
	}
	g_string_append_c (s, '"');
}

/* A data line for the columns cols: name/value pairs, NULL-terminated;
 * columns not named are empty. */
static char *
row (const char *const *cols, ...)
{
	GHashTable *values = g_hash_table_new (g_str_hash, g_str_equal);
	va_list ap;
	va_start (ap, cols);
	for (const char *name; (name = va_arg (ap, const char *)) != NULL;) {
		const char *value = va_arg (ap, const char *);
		g_assert_true (g_strv_contains (cols, name));
		g_hash_table_insert (values, (gpointer) name, (gpointer) value);
	}
	va_end (ap);
	GString *s = g_string_new (NULL);
	for (guint i = 0; cols[i]; i++) {
		if (i)
			g_string_append_c (s, ',');
		const char *v = g_hash_table_lookup (values, cols[i]);
		append_csv (s, v ? v : "");
	}
	g_hash_table_unref (values);
	return g_string_free (s, FALSE);
}

#define ROW(...) row (COLS_2013, __VA_ARGS__, NULL)

/* Header + lines, newline-separated. */
static char *
file_2013 (const char *first, ...)
{
	GString *s = g_string_new ("#Software: Microsoft Exchange Server\n#Version: 15.0.0.0\n"
	                           "#Log-type: Message Tracking Log\n"
	                           "#Date: 2026-11-27T00:00:00.000Z\n");
	g_string_append (s, FIELDS_2013);
	g_string_append_c (s, '\n');
	va_list ap;
	va_start (ap, first);
	for (const char *l = first; l; l = va_arg (ap, const char *)) {
		g_string_append (s, l);
		g_string_append_c (s, '\n');
	}
	va_end (ap);
	return g_string_free (s, FALSE);
}

/* The error a line gives after the given header text. */
static GError *
line_error (const char *header, const char *line)
{
	g_autoptr (LogParser) p = logparse_new (LOG_FORMAT_EXCHANGE, NULL, DAY0);
	if (header)
		g_free (run_with (p, header));
	GString *out = g_string_new (NULL);
	GError *error = NULL;
	gboolean ok = logparse_line (p, line, strlen (line), collect, out, &error);
	g_assert_false (ok);
	gint want = strlen (line) > NS_MAX_LOG_LINE ? LOGPARSE_ERROR_TOO_LONG : LOGPARSE_ERROR_MALFORMED;
	g_assert_error (error, LOGPARSE_ERROR, want);
	g_assert_cmpstr (out->str, ==, ""); /* nothing emitted */
	g_string_free (out, TRUE);
	return error;
}

/* Alice's mailbox submission, used by several tests. */
#define RECEIVE_ALICE                                                                         \
	ROW ("date-time", "2026-11-27T10:00:01.123Z", "client-ip", "192.0.2.10",                   \
	     "client-hostname", "EXCH1.corp.example.com", "server-ip", "192.0.2.10",               \
	     "server-hostname", "EXCH1.corp.example.com", "source", "STOREDRIVER", "event-id",     \
	     "RECEIVE", "internal-message-id", "10001", "message-id",                              \
	     "<a1@EXCH1.corp.example.com>", "recipient-address", "bob@remote.example",             \
	     "recipient-status", "To", "message-subject", "Figures, draft \"v2\"",                 \
	     "sender-address", "alice@example.com", "return-path", "alice@example.com",           \
	     "directionality", "Originating")

/* ---- CSV ---------------------------------------------------------------- */

/* Hand-written lines: quotes, "" inside quotes, commas inside quotes,
 * empty fields, a quoted empty field, and the last field empty. */
static void
test_csv_quoting (void)
{
	g_autofree char *text = g_strconcat (
		FIELDS_2013, "\n",
		/* date, client-ip (empty), client-hostname, server-ip (quoted, empty),
		 * server-hostname, source-context (commas in quotes), connector-id (empty),
		 * source, event-id, internal-message-id, message-id (quoted: comma and ""),
		 * network-message-id, recipient-address, recipient-status, total-bytes,
		 * recipient-count, related-recipient-address, reference, message-subject
		 * (only quotes), sender-address, return-path (quoted), then 9 columns,
		 * the last one empty. */
		"2026-11-27T10:00:01.123Z,,mail.example.net,\"\",EXCH1,\"08DD,2026-11-27,x\",,SMTP,"
		"RECEIVE,77,\"<odd,\"\"id\"\"@example.net>\",abc,bob@example.com,To,100,1,,,"
		"\"\"\"\"\"\",x@example.net,\"carol,c@example.net\",,Incoming,,,,,Email,,",
		NULL);
	g_autofree char *events = run (text);
	g_assert_cmpstr (events, ==,
	                 "ENTER 10:00:01 EXCH1 77 unknown -\n"
	                 "MESSAGE_ID 10:00:01 EXCH1 77 <odd,\"id\"@example.net>\n"
	                 "SENDER 10:00:01 EXCH1 77 <carol,c@example.net>\n");
}

/* Whatever a field holds comes back as written, and the columns after it
 * stay in place. */
static void
test_csv_roundtrip (void)
{
	static const char *const values[] = {
		"<plain@example.net>", "<a,b@example.net>", "<\"q\"@example.net>", "\"", "\"\"",
		",", ",,", "<x\"\",\"@example.net>", " spaced , out ", "<trailing\"@example.net>",
		"\"<leading@example.net>",
	};
	for (guint i = 0; i < G_N_ELEMENTS (values); i++) {
		g_autofree char *line = ROW ("date-time", "2026-11-27T10:00:01Z", "client-ip",
		                             "203.0.113.7", "server-hostname", "EXCH1", "source",
		                             "SMTP", "event-id", "RECEIVE", "internal-message-id",
		                             "5", "message-id", values[i], "message-subject",
		                             values[i], "return-path", "s@example.net",
		                             "schema-version", values[i]);
		g_autofree char *text = g_strconcat (FIELDS_2013, "\n", line, NULL);
		g_autofree char *events = run (text);
		g_autofree char *expect = g_strdup_printf (
			"ENTER 10:00:01 EXCH1 5 unknown 203.0.113.7\n"
			"MESSAGE_ID 10:00:01 EXCH1 5 %s\n"
			"SENDER 10:00:01 EXCH1 5 <s@example.net>\n",
			values[i]);
		g_assert_cmpstr (events, ==, expect);
	}
}

/* ---- #Fields ------------------------------------------------------------- */

/* The real Exchange 2010 column list: fewer columns, other positions. */
static void
test_fields_2010 (void)
{
	g_autofree char *receive = row (
		COLS_2010, "date-time", "2026-11-27T10:00:01.123Z", "client-ip", "192.0.2.30",
		"client-hostname", "MBX1", "server-hostname", "HUB1", "source", "STOREDRIVER",
		"event-id", "RECEIVE", "internal-message-id", "4242", "message-id",
		"<x@HUB1.corp.example.com>", "sender-address", "alice@example.com", "return-path",
		"alice@example.com", NULL);
	g_autofree char *send = row (
		COLS_2010, "date-time", "2026-11-27T10:00:02.000Z", "client-ip", "192.0.2.20",
		"client-hostname", "HUB1", "server-ip", "198.51.100.25", "server-hostname",
		"mx.remote.example", "source", "SMTP", "event-id", "SEND", "internal-message-id",
		"4242", "recipient-address", "bob@remote.example", NULL);
	/* A 2010 hub writes DELIVER with the mailbox server as server-hostname. */
	g_autofree char *deliver = row (
		COLS_2010, "date-time", "2026-11-27T10:00:03.000Z", "client-hostname", "HUB1",
		"server-hostname", "MBX1", "source", "STOREDRIVER", "event-id", "DELIVER",
		"internal-message-id", "4242", "recipient-address", "carol@example.com", NULL);
	g_autofree char *text = g_strjoin ("\n", FIELDS_2010, receive, send, deliver, NULL);
	g_autofree char *events = run (text);
	g_assert_cmpstr (events, ==,
	                 "ENTER 10:00:01 HUB1 4242 local -\n"
	                 "MESSAGE_ID 10:00:01 HUB1 4242 <x@HUB1.corp.example.com>\n"
	                 "SENDER 10:00:01 HUB1 4242 <alice@example.com>\n"
	                 "RECIPIENT 10:00:02 HUB1 4242 bob@remote.example sent\n"
	                 "RECIPIENT 10:00:03 HUB1 4242 carol@example.com delivered\n");
}

/* A shuffled, short column list: positions come from the file alone. No
 * return-path column: SENDER falls back to sender-address. */
static void
test_fields_reordered (void)
{
	g_autofree char *events = run (
		"#Fields: event-id , internal-message-id,sender-address,date-time,source,"
		"message-id,server-hostname,client-ip\n"
		"RECEIVE,9,<bob@example.com>,2026-11-27T10:00:01Z,SMTP,<m9@example.com>,EXCH2,"
		"192.0.2.77\n"
		"#Fields: date-time,EVENT-ID,internal-message-id,recipient-address,client-hostname\n"
		"2026-11-27T10:00:02Z,SEND,9,x@remote.example;y@example.net,EXCH2\n");
	g_assert_cmpstr (events, ==,
	                 "ENTER 10:00:01 EXCH2 9 unknown 192.0.2.77\n"
	                 "MESSAGE_ID 10:00:01 EXCH2 9 <m9@example.com>\n"
	                 "SENDER 10:00:01 EXCH2 9 <bob@example.com>\n"
	                 "RECIPIENT 10:00:02 EXCH2 9 x@remote.example sent\n"
	                 "RECIPIENT 10:00:02 EXCH2 9 y@example.net sent\n");
}

/* A restart writes a new header mid-file; its #Fields replaces the map. */
static void
test_fields_replaced (void)
{
	g_autofree char *first = ROW ("date-time", "2026-11-27T10:00:01Z", "server-hostname",
	                              "EXCH1", "source", "STOREDRIVER", "event-id", "RECEIVE",
	                              "internal-message-id", "1");
	g_autofree char *second = row (COLS_2010, "date-time", "2026-11-27T11:00:00Z",
	                               "server-hostname", "EXCH1", "source", "STOREDRIVER",
	                               "event-id", "RECEIVE", "internal-message-id", "2", NULL);
	g_autofree char *text = g_strjoin ("\n", FIELDS_2013, first, "#Software: Microsoft Exchange Server",
	                                   "#Version: 14.3.123.4", "#Log-type: Message Tracking Log",
	                                   "#Date: 2026-11-27T10:30:00.000Z", FIELDS_2010, second, NULL);
	g_autofree char *events = run (text);
	g_assert_cmpstr (events, ==,
	                 "ENTER 10:00:01 EXCH1 1 local -\n"
	                 "ENTER 11:00:00 EXCH1 2 local -\n");
	/* A 2013 line after the 2010 header has the wrong column count. */
	g_autofree char *header = g_strjoin ("\n", FIELDS_2013, FIELDS_2010, NULL);
	g_autoptr (GError) error = line_error (header, first);
	g_assert_nonnull (strstr (error->message, "30 columns where the #Fields line names 26"));
}

/* ---- RECEIVE --------------------------------------------------------------- */

static void
test_receive_storedriver (void)
{
	g_autofree char *line = RECEIVE_ALICE;
	g_autofree char *text = file_2013 (line, NULL);
	g_autofree char *events = run (text);
	g_assert_cmpstr (events, ==,
	                 "ENTER 10:00:01 EXCH1.corp.example.com 10001 local -\n"
	                 "MESSAGE_ID 10:00:01 EXCH1.corp.example.com 10001 <a1@EXCH1.corp.example.com>\n"
	                 "SENDER 10:00:01 EXCH1.corp.example.com 10001 <alice@example.com>\n");
}

/* SMTP from an outside address: origin unknown with the client address
 * (the importer makes it foreign); the envelope sender comes from
 * return-path, not from the header sender in sender-address. */
static void
test_receive_smtp_foreign (void)
{
	g_autofree char *line = ROW (
		"date-time", "2026-11-27T10:05:00.500Z", "client-ip", "203.0.113.45",
		"client-hostname", "mail.example.net", "server-ip", "192.0.2.10", "server-hostname",
		"EXCH1.corp.example.com", "source-context", "08DD0A1B2C3D4E5F;2026-11-27T10:04:59.900Z;0",
		"connector-id", "EXCH1\\Default Frontend EXCH1", "source", "SMTP", "event-id",
		"RECEIVE", "internal-message-id", "10002", "message-id", "<7f3e@mail.example.net>",
		"recipient-address", "bob@example.com", "message-subject", "Hello", "sender-address",
		"news@example.net", "return-path", "bounces+x@example.net", "directionality",
		"Incoming");
	g_autofree char *text = file_2013 (line, NULL);
	g_autofree char *events = run (text);
	g_assert_cmpstr (events, ==,
	                 "ENTER 10:05:00 EXCH1.corp.example.com 10002 unknown 203.0.113.45\n"
	                 "MESSAGE_ID 10:05:00 EXCH1.corp.example.com 10002 <7f3e@mail.example.net>\n"
	                 "SENDER 10:05:00 EXCH1.corp.example.com 10002 <bounces+x@example.net>\n");
}

/* SMTP from an inside address: the same events; the importer finds the
 * address in [local] networks. No client-ip: no address, no crash. */
static void
test_receive_smtp_internal (void)
{
	g_autofree char *a = ROW ("date-time", "2026-11-27T10:06:00Z", "client-ip", "192.0.2.50",
	                          "server-hostname", "EXCH1", "source", "SMTP", "event-id",
	                          "RECEIVE", "internal-message-id", "10003", "return-path", "<>");
	g_autofree char *b = ROW ("date-time", "2026-11-27T10:06:01Z", "server-hostname", "EXCH1",
	                          "source", "SMTP", "event-id", "RECEIVE", "internal-message-id",
	                          "10004");
	g_autofree char *text = file_2013 (a, b, NULL);
	g_autofree char *events = run (text);
	g_assert_cmpstr (events, ==,
	                 "ENTER 10:06:00 EXCH1 10003 unknown 192.0.2.50\n"
	                 "SENDER 10:06:00 EXCH1 10003 <>\n"
	                 "ENTER 10:06:01 EXCH1 10004 unknown -\n");
}

/* PICKUP is local; AGENT (an agent adding a recipient to a message already
 * received, or making one) and other sources give nothing; so do lines
 * without an internal-message-id. */
static void
test_receive_sources (void)
{
	g_autofree char *pickup = ROW ("date-time", "2026-11-27T10:00:00Z", "server-hostname",
	                               "EXCH1", "source", "PICKUP", "event-id", "RECEIVE",
	                               "internal-message-id", "20");
	g_autofree char *agent = ROW ("date-time", "2026-11-27T10:00:01Z", "client-hostname",
	                              "EXCH1", "source", "AGENT", "event-id", "RECEIVE",
	                              "internal-message-id", "20", "recipient-address",
	                              "journal@example.com");
	g_autofree char *noid = ROW ("date-time", "2026-11-27T10:00:02Z", "server-hostname",
	                             "EXCH1", "source", "SMTP", "event-id", "RECEIVE",
	                             "client-ip", "203.0.113.9");
	g_autofree char *text = file_2013 (pickup, agent, noid, NULL);
	g_autofree char *events = run (text);
	g_assert_cmpstr (events, ==, "ENTER 10:00:00 EXCH1 20 local -\n");
}

/* ---- recipients ------------------------------------------------------------ */

/* SEND, DELIVER, FAIL, DEFER with several recipients; the server of SEND,
 * DEFER and SMTP FAIL lines is client-hostname (server-hostname there is
 * the remote host). */
static void
test_recipients (void)
{
	g_autofree char *send = ROW (
		"date-time", "2026-11-27T10:00:02Z", "client-ip", "192.0.2.10", "client-hostname",
		"EXCH1", "server-ip", "198.51.100.25", "server-hostname", "mx.remote.example",
		"source", "SMTP", "event-id", "SEND", "internal-message-id", "10001",
		"recipient-address", "a@remote.example;b@remote.example", "recipient-status",
		"250 2.0.0 OK;250 2.0.0 OK");
	g_autofree char *deliver = ROW (
		"date-time", "2026-11-27T10:00:03Z", "client-hostname", "EXCH1", "server-hostname",
		"EXCH1", "source", "STOREDRIVER", "event-id", "DELIVER", "internal-message-id",
		"10002", "recipient-address", " bob@example.com ; alice@example.com;");
	g_autofree char *fail_smtp = ROW (
		"date-time", "2026-11-27T10:00:04Z", "client-hostname", "EXCH1", "server-ip",
		"198.51.100.25", "server-hostname", "mx.remote.example", "source", "SMTP",
		"event-id", "FAIL", "internal-message-id", "10005", "recipient-address",
		"dave@remote.example", "recipient-status", "550 5.1.1 User unknown");
	g_autofree char *fail_routing = ROW (
		"date-time", "2026-11-27T10:00:05Z", "server-hostname", "EXCH1", "source", "ROUTING",
		"event-id", "FAIL", "internal-message-id", "10002", "recipient-address",
		"nobody@example.com", "recipient-status", "550 5.1.1 RESOLVER.ADR.RecipNotFound");
	g_autofree char *defer = ROW (
		"date-time", "2026-11-27T10:00:06Z", "client-hostname", "EXCH1", "server-hostname",
		"mx.example.net", "source", "SMTP", "event-id", "DEFER", "internal-message-id",
		"10005", "recipient-address", "erin@example.net");
	g_autofree char *text = file_2013 (send, deliver, fail_smtp, fail_routing, defer, NULL);
	g_autofree char *events = run (text);
	g_assert_cmpstr (events, ==,
	                 "RECIPIENT 10:00:02 EXCH1 10001 a@remote.example sent\n"
	                 "RECIPIENT 10:00:02 EXCH1 10001 b@remote.example sent\n"
	                 "RECIPIENT 10:00:03 EXCH1 10002 bob@example.com delivered\n"
	                 "RECIPIENT 10:00:03 EXCH1 10002 alice@example.com delivered\n"
	                 "RECIPIENT 10:00:04 EXCH1 10005 dave@remote.example bounced\n"
	                 "RECIPIENT 10:00:05 EXCH1 10002 nobody@example.com bounced\n"
	                 "RECIPIENT 10:00:06 EXCH1 10005 erin@example.net deferred\n");
}

/* Lines of no interest give nothing, whatever they hold. */
static void
test_ignored_events (void)
{
	static const char *const ids[] = { "SUBMIT",     "EXPAND",    "REDIRECT", "RESOLVE",
		                           "HAREDIRECT", "AGENTINFO", "HARECEIVE", "NOTIFYMAPI",
		                           "DROP",       "BADMAIL",   "" };
	for (guint i = 0; i < G_N_ELEMENTS (ids); i++) {
		g_autofree char *line = ROW ("date-time", "2026-11-27T10:00:00Z", "server-hostname",
		                             "EXCH1", "source", "SMTP", "event-id", ids[i],
		                             "internal-message-id", "1", "recipient-address",
		                             "x@example.com", "message-id", "<m@example.com>");
		g_autofree char *text = file_2013 (line, NULL);
		g_autofree char *events = run (text);
		g_assert_cmpstr (events, ==, "");
	}
}

/* ---- DSN and TRANSFER -------------------------------------------------------- */

/* A failed send, the DSN Exchange made (a new message, its own number and
 * Message-ID; reference names the original), and the DSN's delivery. */
static void
test_dsn (void)
{
	g_autofree char *fail = ROW (
		"date-time", "2026-11-27T10:10:00Z", "client-hostname", "EXCH1", "server-hostname",
		"mx.remote.example", "source", "SMTP", "event-id", "FAIL", "internal-message-id",
		"10005", "message-id", "<orig@EXCH1.corp.example.com>", "recipient-address",
		"dave@remote.example", "reference", "<dsn1@EXCH1.corp.example.com>");
	g_autofree char *dsn = ROW (
		"date-time", "2026-11-27T10:10:00.200Z", "server-hostname", "EXCH1", "source-context",
		"NDR", "source", "DSN", "event-id", "DSN", "internal-message-id", "10006",
		"message-id", "<dsn1@EXCH1.corp.example.com>", "recipient-address", "bob@example.com",
		"reference", "<orig@EXCH1.corp.example.com>", "sender-address",
		"MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@example.com", "return-path", "<>");
	g_autofree char *deliver = ROW (
		"date-time", "2026-11-27T10:10:01Z", "client-hostname", "EXCH1", "server-hostname",
		"EXCH1", "source", "STOREDRIVER", "event-id", "DELIVER", "internal-message-id",
		"10006", "recipient-address", "bob@example.com");
	g_autofree char *text = file_2013 (fail, dsn, deliver, NULL);
	g_autofree char *events = run (text);
	g_assert_cmpstr (events, ==,
	                 "RECIPIENT 10:10:00 EXCH1 10005 dave@remote.example bounced\n"
	                 "ENTER 10:10:00 EXCH1 10006 local -\n"
	                 "MESSAGE_ID 10:10:00 EXCH1 10006 <dsn1@EXCH1.corp.example.com>\n"
	                 "SENDER 10:10:00 EXCH1 10006 <>\n"
	                 "RECIPIENT 10:10:01 EXCH1 10006 bob@example.com delivered\n");
}

/* A DSN line that names the original (message-id equal to reference) or
 * has no number gives nothing: the original may be foreign. */
static void
test_dsn_guard (void)
{
	g_autofree char *same = ROW ("date-time", "2026-11-27T10:10:00Z", "server-hostname", "EXCH1",
	                             "source", "DSN", "event-id", "DSN", "internal-message-id",
	                             "10002", "message-id", "<7f3e@mail.example.net>",
	                             "reference", "<7f3e@mail.example.net>");
	g_autofree char *noid = ROW ("date-time", "2026-11-27T10:10:00Z", "server-hostname", "EXCH1",
	                             "source", "DSN", "event-id", "DSN", "message-id",
	                             "<dsn2@EXCH1>", "reference", "<7f3e@mail.example.net>");
	g_autofree char *text = file_2013 (same, noid, NULL);
	g_autofree char *events = run (text);
	g_assert_cmpstr (events, ==, "");
}

/* A fork inherits the origin of the message it was forked from (reference
 * holds that message's number); a fork of an unseen message is unknown. */
static void
test_transfer (void)
{
	g_autofree char *receive = ROW (
		"date-time", "2026-11-27T10:20:00Z", "client-ip", "203.0.113.45", "server-hostname",
		"EXCH1", "source", "SMTP", "event-id", "RECEIVE", "internal-message-id", "300",
		"message-id", "<big@example.net>", "return-path", "carol@example.net");
	g_autofree char *transfer = ROW (
		"date-time", "2026-11-27T10:20:01Z", "server-hostname", "EXCH1", "source-context",
		"ContentConversion", "source", "ROUTING", "event-id", "TRANSFER",
		"internal-message-id", "301", "message-id", "<big@example.net>", "recipient-address",
		"x@example.com;y@example.com", "reference", "300", "return-path", "carol@example.net");
	g_autofree char *local = RECEIVE_ALICE;
	g_autofree char *transfer_local = ROW (
		"date-time", "2026-11-27T10:20:02Z", "server-hostname", "EXCH1", "source", "QUEUE",
		"event-id", "TRANSFER", "internal-message-id", "10010", "message-id",
		"<a1@EXCH1.corp.example.com>", "reference", "10001", "return-path",
		"alice@example.com");
	/* A fork of a fork. */
	g_autofree char *transfer2 = ROW (
		"date-time", "2026-11-27T10:20:03Z", "server-hostname", "EXCH1", "source", "ROUTING",
		"event-id", "TRANSFER", "internal-message-id", "10011", "reference", "10010");
	g_autofree char *orphan = ROW (
		"date-time", "2026-11-27T10:20:04Z", "server-hostname", "EXCH1", "source", "ROUTING",
		"event-id", "TRANSFER", "internal-message-id", "999", "reference", "998");
	g_autofree char *text = file_2013 (receive, transfer, local, transfer_local, transfer2,
	                                   orphan, NULL);
	g_autofree char *events = run (text);
	g_assert_cmpstr (events, ==,
	                 "ENTER 10:20:00 EXCH1 300 unknown 203.0.113.45\n"
	                 "MESSAGE_ID 10:20:00 EXCH1 300 <big@example.net>\n"
	                 "SENDER 10:20:00 EXCH1 300 <carol@example.net>\n"
	                 "ENTER 10:20:01 EXCH1 301 unknown 203.0.113.45\n"
	                 "MESSAGE_ID 10:20:01 EXCH1 301 <big@example.net>\n"
	                 "SENDER 10:20:01 EXCH1 301 <carol@example.net>\n"
	                 "ENTER 10:00:01 EXCH1.corp.example.com 10001 local -\n"
	                 "MESSAGE_ID 10:00:01 EXCH1.corp.example.com 10001 <a1@EXCH1.corp.example.com>\n"
	                 "SENDER 10:00:01 EXCH1.corp.example.com 10001 <alice@example.com>\n"
	                 "ENTER 10:20:02 EXCH1 10010 local -\n"
	                 "MESSAGE_ID 10:20:02 EXCH1 10010 <a1@EXCH1.corp.example.com>\n"
	                 "SENDER 10:20:02 EXCH1 10010 <alice@example.com>\n"
	                 "ENTER 10:20:03 EXCH1 10011 local -\n"
	                 "ENTER 10:20:04 EXCH1 999 unknown -\n");
}

/* The table of recent entries is per parser: a new parser (a new import)
 * does not know the parent. */
static void
test_transfer_per_parser (void)
{
	g_autofree char *local = RECEIVE_ALICE;
	g_autofree char *transfer = ROW ("date-time", "2026-11-27T10:20:02Z", "server-hostname",
	                                 "EXCH1", "source", "QUEUE", "event-id", "TRANSFER",
	                                 "internal-message-id", "10010", "reference", "10001");
	g_autofree char *a = file_2013 (local, NULL);
	g_autofree char *b = file_2013 (transfer, NULL);
	g_free (run (a));
	g_autofree char *events = run (b);
	g_assert_cmpstr (events, ==, "ENTER 10:20:02 EXCH1 10010 unknown -\n");
}

/* ---- the server -------------------------------------------------------------- */

static void
test_server_override (void)
{
	g_autofree char *receive = RECEIVE_ALICE;
	g_autofree char *send = ROW ("date-time", "2026-11-27T10:00:02Z", "client-hostname", "EXCH1",
	                             "server-hostname", "mx.remote.example", "source", "SMTP",
	                             "event-id", "SEND", "internal-message-id", "10001",
	                             "recipient-address", "bob@remote.example");
	g_autofree char *text = file_2013 (receive, send, NULL);
	g_autoptr (LogParser) p = logparse_new (LOG_FORMAT_EXCHANGE, "mx-out", DAY0);
	g_autofree char *events = run_with (p, text);
	g_assert_cmpstr (events, ==,
	                 "ENTER 10:00:01 mx-out 10001 local -\n"
	                 "MESSAGE_ID 10:00:01 mx-out 10001 <a1@EXCH1.corp.example.com>\n"
	                 "SENDER 10:00:01 mx-out 10001 <alice@example.com>\n"
	                 "RECIPIENT 10:00:02 mx-out 10001 bob@remote.example sent\n");
}

/* No host field on the line: the local host name. */
static void
test_server_fallback (void)
{
	g_autofree char *line = ROW ("date-time", "2026-11-27T10:00:00Z", "source", "STOREDRIVER",
	                             "event-id", "RECEIVE", "internal-message-id", "7");
	g_autofree char *text = file_2013 (line, NULL);
	g_autofree char *events = run (text);
	g_autofree char *expect = g_strdup_printf ("ENTER 10:00:00 %s 7 local -\n", g_get_host_name ());
	g_assert_cmpstr (events, ==, expect);
}

/* ---- file-level lines -------------------------------------------------------- */

/* '#' lines other than #Fields, empty lines, CRLF line ends, a byte order
 * mark; the date-time may carry an offset or none. */
static void
test_header_and_line_ends (void)
{
	g_autofree char *line = ROW ("date-time", "2026-11-27T10:00:01.1234567Z", "server-hostname",
	                             "EXCH1", "source", "STOREDRIVER", "event-id", "RECEIVE",
	                             "internal-message-id", "1", "return-path", "a@example.com");
	g_autofree char *text = g_strconcat (
		"\xEF\xBB\xBF#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n",
		"#Log-type: Message Tracking Log\r\n#Date: 2026-11-27T00:00:00.000Z\r\n",
		"# a comment\r\n\r\n\n", FIELDS_2013, "\r\n", line, "\r\n#Other: x,y\n",
		"2026-11-27T12:00:01+02:00,,,,EXCH1,,,STOREDRIVER,RECEIVE,2,,,,,,,,,,,,,,,,,,,,\n",
		NULL);
	g_autofree char *events = run (text);
	g_assert_cmpstr (events, ==,
	                 "ENTER 10:00:01 EXCH1 1 local -\n"
	                 "SENDER 10:00:01 EXCH1 1 <a@example.com>\n"
	                 "ENTER 10:00:01 EXCH1 2 local -\n");
}

/* ---- malformed ---------------------------------------------------------------- */

static void
check_error (const char *header, const char *line, const char *why)
{
	g_autoptr (GError) error = line_error (header, line);
	if (strstr (error->message, why) == NULL)
		g_error ("\"%s\": error \"%s\", expected \"%s\"", line, error->message, why);
}

static void
test_malformed (void)
{
	g_autofree char *good = RECEIVE_ALICE;

	/* Data before any #Fields line (only other header lines). */
	check_error ("#Software: Microsoft Exchange Server\n#Log-type: Message Tracking Log", good,
	             "before any usable #Fields");
	check_error (NULL, good, "before any usable #Fields");

	/* Unterminated quote: at the start, in the middle, the last field. */
	check_error (FIELDS_2013, "2026-11-27T10:00:01Z,\"192.0.2.1,x,y", "unterminated");
	g_autofree char *cut = g_strndup (good, strstr (good, "\"\"v2") - good);
	check_error (FIELDS_2013, cut, "unterminated");
	check_error (FIELDS_2013,
	             "2026-11-27T10:00:01Z,,,,EXCH1,,,STOREDRIVER,RECEIVE,3,,,,,,,,,,,,,,,,,,,,\"15.0",
	             "unterminated");
	/* Text after a closing quote. */
	check_error (FIELDS_2013,
	             "2026-11-27T10:00:01Z,\"a\"b,,,EXCH1,,,STOREDRIVER,RECEIVE,3,,,,,,,,,,,,,,,,,,,,",
	             "after the closing quote");

	/* Bad date-time: not one, junk after it, impossible, quoted junk, empty. */
	static const char *const dates[] = { "27/11/2026 10:00:01", "2026-11-27T10:00:01.123Zjunk",
		                             "2026-13-27T10:00:01Z", "2026-11-27T25:00:01Z",
		                             "\"2026-11-27T10:00:01Z \"", "" };
	for (guint i = 0; i < G_N_ELEMENTS (dates); i++) {
		g_autofree char *line = g_strconcat (
			dates[i], ",,,,EXCH1,,,STOREDRIVER,RECEIVE,3,,,,,,,,,,,,,,,,,,,,", NULL);
		check_error (FIELDS_2013, line, "bad date-time");
	}

	/* Too few and too many columns (a line cut short by a crash). */
	check_error (FIELDS_2013, "2026-11-27T10:00:01Z,,,,EXCH1,,,STOREDRIVER,RECEIVE,3",
	             "10 columns where the #Fields line names 30");
	g_autofree char *longer = g_strconcat (good, ",extra", NULL);
	check_error (FIELDS_2013, longer, "31 columns");

	/* A #Fields line without the columns every event needs is itself
	 * malformed, and so are the data lines after it. */
	check_error (NULL, "#Fields: client-ip,source,message-id", "#Fields line without");
	check_error (FIELDS_2013, "#Fields: date-time,event-id,source",
	             "#Fields line without");
	{
		g_autoptr (LogParser) p = logparse_new (LOG_FORMAT_EXCHANGE, NULL, DAY0);
		g_free (run_with (p, FIELDS_2013));
		g_autoptr (GError) error = NULL;
		const char *bad = "#Fields: date-time,source";
		g_assert_false (logparse_line (p, bad, strlen (bad), collect, NULL, &error));
		g_clear_error (&error);
		g_assert_false (logparse_line (p, good, strlen (good), collect, NULL, &error));
		g_assert_error (error, LOGPARSE_ERROR, LOGPARSE_ERROR_MALFORMED);
	}

	/* Too many #Fields columns. */
	GString *many = g_string_new ("#Fields: date-time,event-id,internal-message-id");
	for (int i = 0; i < 130; i++)
		g_string_append_printf (many, ",x%d", i);
	check_error (NULL, many->str, "more than 128");
	g_string_free (many, TRUE);

	/* A line longer than the limit, through logparse_line. */
	g_autofree char *huge = g_strnfill (20000, 'a');
	check_error (FIELDS_2013, huge, "longer than");
}

/* A malformed line does not disturb the next one. */
static void
test_recovers (void)
{
	g_autoptr (LogParser) p = logparse_new (LOG_FORMAT_EXCHANGE, NULL, DAY0);
	g_free (run_with (p, FIELDS_2013));
	g_autoptr (GError) error = NULL;
	const char *bad = "2026-11-27T10:00:01Z,\"unterminated";
	g_assert_false (logparse_line (p, bad, strlen (bad), collect, NULL, &error));
	g_autofree char *good = RECEIVE_ALICE;
	g_autofree char *events = run_with (p, good);
	g_assert_nonnull (strstr (events, "ENTER 10:00:01 EXCH1.corp.example.com 10001 local -\n"));
}

/* ---- detection ------------------------------------------------------------------ */

static void
test_detect (void)
{
	g_autofree char *full = file_2013 (NULL);
	g_assert_true (logparse_exchange_ops.detect (full));
	g_assert_cmpint (logparse_detect (full), ==, LOG_FORMAT_EXCHANGE);
	/* The #Log-type line alone, in any case, after a byte order mark. */
	g_assert_true (logparse_exchange_ops.detect ("#Log-type: Message Tracking Log\n"));
	g_assert_true (logparse_exchange_ops.detect ("\xEF\xBB\xBF#Software: Microsoft Exchange Server\n"
	                                         "#LOG-TYPE: message tracking log\r\n"));
	/* The #Fields line alone, 2013 and 2010, and a head cut inside it. */
	g_assert_true (logparse_exchange_ops.detect (FIELDS_2013));
	g_autofree char *fields = g_strconcat ("junk\n", FIELDS_2010, "\n2026-11-27T...", NULL);
	g_assert_true (logparse_exchange_ops.detect (fields));

	/* Other Exchange logs share the header shape: not these. */
	g_assert_false (logparse_exchange_ops.detect (
		"#Software: Microsoft Exchange Server\n#Version: 15.0.0.0\n"
		"#Log-type: SMTP Receive Protocol Log\n#Date: 2026-11-27T00:00:00.000Z\n"
		"#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,"
		"remote-endpoint,event,data,context\n"));
	g_assert_false (logparse_exchange_ops.detect (
		"#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint\n"));
	/* IIS W3C, syslog, jsonl, empty. */
	g_assert_false (logparse_exchange_ops.detect ("#Software: Microsoft Internet Information Services 10.0\n"
	                                          "#Fields: date time s-ip cs-method cs-uri-stem\n"));
	g_assert_false (logparse_exchange_ops.detect (
		"Nov 27 10:00:01 mx1 postfix/smtp[123]: 4Xb2: to=<bob@remote.example>, status=sent\n"));
	g_assert_false (logparse_exchange_ops.detect ("{\"time\":\"2026-11-27T10:00:01Z\"}\n"));
	g_assert_false (logparse_exchange_ops.detect (""));
	/* The words elsewhere than at the start of a line do not count. */
	g_assert_false (logparse_exchange_ops.detect ("Nov 27 x: #Log-type: Message Tracking Log\n"));
}

/* ---- the sample -------------------------------------------------------------------- */

static void
test_sample (void)
{
	const char *top = g_getenv ("top_srcdir");
	g_autofree char *path = g_build_filename (top ? top : ".", "samples", "logs", "exchange.log",
	                                          NULL);
	g_autofree char *text = NULL;
	if (!g_file_get_contents (path, &text, NULL, NULL)) {
		g_test_skip ("samples/logs/exchange.log not found (run from the source tree)");
		return;
	}
	g_assert_true (logparse_exchange_ops.detect (text));
	g_assert_cmpint (logparse_detect (text), ==, LOG_FORMAT_EXCHANGE);
	g_autofree char *events = run (text);
#define S " EXCH1.corp.example.com "
	g_assert_cmpstr (events, ==,
	                 /* Alice's submission, sent out (the HAREDIRECT and AGENTINFO
	                  * lines give nothing). */
	                 "ENTER 10:00:01" S "10001 local -\n"
	                 "MESSAGE_ID 10:00:01" S "10001 <3f9c1a2e8b474d0e9a612c5e7b1d04a3@EXCH1.corp.example.com>\n"
	                 "SENDER 10:00:01" S "10001 <alice@example.com>\n"
	                 "RECIPIENT 10:00:03" S "10001 bob@remote.example sent\n"
	                 /* A foreign message, delivered to Bob (RESOLVE: nothing). */
	                 "ENTER 10:05:00" S "10002 unknown 203.0.113.45\n"
	                 "MESSAGE_ID 10:05:00" S "10002 <20261127100459.7F3E2A1C@mail.example.net>\n"
	                 "SENDER 10:05:00" S "10002 <bounces+1187@example.net>\n"
	                 "RECIPIENT 10:05:02" S "10002 bob@example.com delivered\n"
	                 /* Bob's message: one recipient rejected, one deferred, then
	                  * sent; the DSN to Bob is a local message of its own. */
	                 "ENTER 10:10:00" S "10003 local -\n"
	                 "MESSAGE_ID 10:10:00" S "10003 <b3e1d9a0c47f2e8d5a6b1c0f9e8d7a61@EXCH1.corp.example.com>\n"
	                 "SENDER 10:10:00" S "10003 <bob@example.com>\n"
	                 "RECIPIENT 10:10:02" S "10003 dave@remote.example bounced\n"
	                 "RECIPIENT 10:10:04" S "10003 erin@example.net deferred\n"
	                 "ENTER 10:10:05" S "10004 local -\n"
	                 "MESSAGE_ID 10:10:05" S "10004 <6f1c2b3a4d5e4f60a7b8c9d0e1f2a3b4@EXCH1.corp.example.com>\n"
	                 "SENDER 10:10:05" S "10004 <>\n"
	                 "RECIPIENT 10:10:05" S "10004 bob@example.com delivered\n"
	                 "RECIPIENT 10:25:06" S "10003 erin@example.net sent\n"
	                 /* A scanner on the inside submits over SMTP; the copy for the
	                  * outside recipient is forked (TRANSFER) and inherits. */
	                 "ENTER 10:30:00" S "10005 unknown 192.0.2.50\n"
	                 "MESSAGE_ID 10:30:00" S "10005 <scan.20261127103000.0042@scanner.corp.example.com>\n"
	                 "SENDER 10:30:00" S "10005 <scanner@example.com>\n"
	                 "ENTER 10:30:00" S "10006 unknown 192.0.2.50\n"
	                 "MESSAGE_ID 10:30:00" S "10006 <scan.20261127103000.0042@scanner.corp.example.com>\n"
	                 "SENDER 10:30:00" S "10006 <scanner@example.com>\n"
	                 "RECIPIENT 10:30:01" S "10005 alice@example.com delivered\n"
	                 "RECIPIENT 10:30:02" S "10006 orders@remote.example sent\n");
#undef S
}

/* ---- dispatch and speed --------------------------------------------------------------- */

static void
noop (const LogEvent *e, gpointer data)
{
	(*(guint64 *) data)++;
}

/* 1M synthetic lines of a realistic mix, no-op emit: only with -m perf
 * (tests/stress/exchange-perf.test, `make check-stress`). */
static void
test_perf (void)
{
	g_autofree char *receive = RECEIVE_ALICE;
	g_autofree char *agentinfo = ROW (
		"date-time", "2026-11-27T10:00:01.500Z", "client-hostname", "EXCH1", "source", "AGENT",
		"event-id", "AGENTINFO", "internal-message-id", "10001", "message-id",
		"<a1@EXCH1.corp.example.com>", "recipient-address", "bob@remote.example",
		"custom-data", "S:AMA=SUM|v=0|action=|error=|atch=0;S:CompCost=|ETR=0;S:DeliveryPriority=Normal");
	g_autofree char *send = ROW (
		"date-time", "2026-11-27T10:00:02Z", "client-ip", "192.0.2.10", "client-hostname",
		"EXCH1", "server-ip", "198.51.100.25", "server-hostname", "mx.remote.example",
		"source-context", "250 2.0.0 OK;ClientSubmitTime:2026-11-27T10:00:00.900Z",
		"connector-id", "Internet", "source", "SMTP", "event-id", "SEND", "internal-message-id",
		"10001", "message-id", "<a1@EXCH1.corp.example.com>", "network-message-id",
		"5f0c9a2e-1b7d-4c3e-9a61-08dd0a1b2c3d", "recipient-address",
		"bob@remote.example;carol@remote.example", "recipient-status",
		"250 2.0.0 OK queued;250 2.0.0 OK queued", "message-subject", "Figures, draft \"v2\"",
		"schema-version", "15.02.1118.007");
	const char *lines[] = { receive, agentinfo, send, agentinfo };
	gsize lens[G_N_ELEMENTS (lines)], bytes = 0;
	for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
		bytes += lens[i] = strlen (lines[i]);

	g_autoptr (LogParser) p = logparse_new (LOG_FORMAT_EXCHANGE, NULL, DAY0);
	g_free (run_with (p, FIELDS_2013));
	guint64 n_events = 0;
	const guint n = 1000000;
	gint64 t0 = g_get_monotonic_time ();
	for (guint i = 0; i < n; i++) {
		guint k = i % G_N_ELEMENTS (lines);
		if (!logparse_line (p, lines[k], lens[k], noop, &n_events, NULL))
			g_error ("line %u failed", i);
	}
	gint64 t1 = g_get_monotonic_time ();
	double ns = (double) (t1 - t0) * 1000.0 / n;
	g_test_minimized_result (ns, "%.0f ns per line (%u lines of %" G_GSIZE_FORMAT
	                         " bytes on average, %" G_GUINT64_FORMAT " events)",
	                         ns, n, bytes / G_N_ELEMENTS (lines), n_events);
	g_assert_cmpuint (n_events, ==, (guint64) n / 4 * 5);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/logparse-exchange/csv/quoting", test_csv_quoting);
	g_test_add_func ("/logparse-exchange/csv/roundtrip", test_csv_roundtrip);
	g_test_add_func ("/logparse-exchange/fields/exchange-2010", test_fields_2010);
	g_test_add_func ("/logparse-exchange/fields/reordered", test_fields_reordered);
	g_test_add_func ("/logparse-exchange/fields/replaced", test_fields_replaced);
	g_test_add_func ("/logparse-exchange/receive/storedriver", test_receive_storedriver);
	g_test_add_func ("/logparse-exchange/receive/smtp-foreign", test_receive_smtp_foreign);
	g_test_add_func ("/logparse-exchange/receive/smtp-internal", test_receive_smtp_internal);
	g_test_add_func ("/logparse-exchange/receive/sources", test_receive_sources);
	g_test_add_func ("/logparse-exchange/recipients", test_recipients);
	g_test_add_func ("/logparse-exchange/ignored-events", test_ignored_events);
	g_test_add_func ("/logparse-exchange/dsn", test_dsn);
	g_test_add_func ("/logparse-exchange/dsn-guard", test_dsn_guard);
	g_test_add_func ("/logparse-exchange/transfer", test_transfer);
	g_test_add_func ("/logparse-exchange/transfer-per-parser", test_transfer_per_parser);
	g_test_add_func ("/logparse-exchange/server/override", test_server_override);
	g_test_add_func ("/logparse-exchange/server/fallback", test_server_fallback);
	g_test_add_func ("/logparse-exchange/header-and-line-ends", test_header_and_line_ends);
	g_test_add_func ("/logparse-exchange/malformed", test_malformed);
	g_test_add_func ("/logparse-exchange/recovers", test_recovers);
	g_test_add_func ("/logparse-exchange/detect", test_detect);
	g_test_add_func ("/logparse-exchange/sample", test_sample);
	if (g_test_perf ())
		g_test_add_func ("/logparse-exchange/perf", test_perf);

	return g_test_run ();
}
