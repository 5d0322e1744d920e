/* logparse_exchange — Microsoft Exchange message tracking logs (MSGTRK*.LOG).
 * See src/logparse.h for the contract.
 *
 * The file. Header lines start with '#' ("#Software: Microsoft Exchange
 * Server", "#Version:", "#Log-type: Message Tracking Log", "#Date:",
 * "#Fields: date-time,client-ip,..."); every other line is one event in
 * RFC 4180 CSV: fields separated by ',', a field that holds a ',' or '"' is
 * quoted, with '"' doubled inside. The column order is the one of the last
 * #Fields line read (Exchange 2007/2010 write fewer columns than 2013+; a
 * service restart writes a new header in the middle of a file), so nothing
 * here depends on a column's position. Multi-valued fields
 * (recipient-address) separate their values with ';'. date-time is UTC,
 * "2026-11-27T10:00:01.123Z". A trailing CR (Windows line ends) and a
 * leading UTF-8 byte order mark are ignored.
 *
 * Events, by event-id (queue_id is internal-message-id, the message's
 * number on the server that wrote the line; lines without one carry no
 * event):
 *  - RECEIVE, source STOREDRIVER (a mailbox user's submission) or PICKUP
 *    (a file dropped in the server's Pickup directory, which only local
 *    administrators and applications can write): ENTER with origin LOCAL;
 *    source SMTP: ENTER with origin UNKNOWN and client_ip from client-ip,
 *    for the importer to judge against [local] networks (the log does not
 *    say whether the session was authenticated). Then MESSAGE_ID (the
 *    message-id field as written) and SENDER. A RECEIVE of any other source
 *    carries no event: source AGENT is also written when an agent adds a
 *    recipient to a message already received, and an ENTER there would
 *    restate the origin of that message.
 *  - SEND: a RECIPIENT "sent" per recipient; DELIVER: "delivered"; FAIL:
 *    "bounced"; DEFER: "deferred".
 *  - DSN: Exchange writes this line for the DSN it generated, which is a
 *    new message: internal-message-id and message-id are the DSN's own, and
 *    reference holds the Message-ID of the original (Exchange's
 *    MessageTrackingLog.TrackDSN fills the row from the DSN mail item). So
 *    the line gives ENTER origin LOCAL (the server wrote the DSN itself),
 *    MESSAGE_ID and SENDER ("" for its null return path) for the DSN's
 *    internal-message-id; the DSN's SEND or DELIVER lines follow under the
 *    same number. As a guard, a DSN line whose message-id equals its
 *    reference (it would then name the original, which may be foreign) or
 *    that has no internal-message-id gives no event.
 *  - TRANSFER: recipients were moved to a forked copy (content conversion,
 *    recipient limits, agents). internal-message-id is the fork's new
 *    number, reference the number of the message it was forked from. The
 *    fork gets ENTER (plus MESSAGE_ID and SENDER) with the origin and
 *    client_ip of that message when this parser saw its RECEIVE, DSN or
 *    TRANSFER line recently (a small fixed table of recent entries, no
 *    allocation per line); otherwise with origin UNKNOWN and no client_ip,
 *    which never counts as ours. A fork whose parent was read in an earlier
 *    import is the case that loses: its recipients stay out of the
 *    recipient lookup, while its Message-ID still resolves to the parent's
 *    (earlier) row.
 *  - Everything else (SUBMIT, EXPAND, REDIRECT, RESOLVE, HAREDIRECT,
 *    HARECEIVE, AGENTINFO, NOTIFYMAPI, DROP, ...): no event. Exchange writes
 *    no "left the queue" line, so there is no DONE.
 *
 * SENDER is the envelope sender: the return-path column (MAIL FROM; "<>"
 * gives ""), not sender-address, which Exchange fills from the Sender: or
 * From: header. A log without a return-path column (none known) falls back
 * to sender-address; an empty value gives no SENDER.
 *
 * The server. --server when given (advised: every line of a file comes from
 * one server). Otherwise the field that names the server that wrote the
 * line, which depends on the event: Exchange writes its own host name in
 * server-hostname for RECEIVE, DSN, TRANSFER and most FAIL lines, but in
 * client-hostname for SEND, DEFER and SMTP FAIL lines, whose
 * server-hostname is the remote host the message went to. So: SEND, DEFER
 * and FAIL take client-hostname, else server-hostname; DELIVER takes
 * server-hostname (the mailbox server, which writes it in Exchange 2013+)
 * in a log whose #Fields has network-message-id, else client-hostname (an
 * Exchange 2007/2010 hub writes DELIVER with the mailbox server as
 * server-hostname); everything else server-hostname. When that field is
 * empty, the local host name.
 *
 * Malformed (FALSE with a LOGPARSE_ERROR): a data line before any usable
 * #Fields line, an unterminated quoted field, text after a closing quote, a
 * column count other than the #Fields line's, a bad date-time; a #Fields
 * line without date-time, event-id or internal-message-id (the data lines
 * after it are then malformed too, until a good #Fields line). Other '#'
 * lines and empty lines: TRUE, no event.
 *
 * Limits. client-ip is the previous hop: behind an Edge server or a
 * Front End Transport proxy it is an Exchange server, and the outside
 * client is only in original-client-ip, which this parser does not pass on
 * (LogEvent has one address). In Exchange 2013+ a mailbox submission shows
 * as RECEIVE STOREDRIVER in MSGTRKMS*.LOG but as RECEIVE SMTP from the
 * mailbox server in MSGTRK*.LOG, each log numbering messages on its own:
 * logs of different services imported under one server name may share
 * internal-message-ids.
 *
 * State (p->state, allocated on the first line): the column map, a scratch
 * buffer that receives the fields used, unquoted and NUL-terminated (the
 * event strings point into it), and the table of recent entries. */
#include <string.h>

#include "logparse-private.h" /* the parser's layout; calls go to logline.h */
#include "datetime.h"
#include "ndrsift/limits.h"

/* The columns this parser reads. */
typedef enum {
	F_DATE_TIME,
	F_CLIENT_IP,
	F_CLIENT_HOSTNAME,
	F_SERVER_HOSTNAME,
	F_SOURCE,
	F_EVENT_ID,
	F_INTERNAL_ID,
	F_MESSAGE_ID,
	F_RECIPIENT_ADDRESS,
	F_REFERENCE,
	F_SENDER_ADDRESS,
	F_RETURN_PATH,
	F_COUNT
} ExField;

static const char *const field_names[F_COUNT] = {
	[F_DATE_TIME] = "date-time",
	[F_CLIENT_IP] = "client-ip",
	[F_CLIENT_HOSTNAME] = "client-hostname",
	[F_SERVER_HOSTNAME] = "server-hostname",
	[F_SOURCE] = "source",
	[F_EVENT_ID] = "event-id",
	[F_INTERNAL_ID] = "internal-message-id",
	[F_MESSAGE_ID] = "message-id",
	[F_RECIPIENT_ADDRESS] = "recipient-address",
	[F_REFERENCE] = "reference",
	[F_SENDER_ADDRESS] = "sender-address",
	[F_RETURN_PATH] = "return-path",
};

typedef enum {
	EV_OTHER,
	EV_RECEIVE,
	EV_SEND,
	EV_DELIVER,
	EV_FAIL,
	EV_DEFER,
	EV_DSN,
	EV_TRANSFER,
} ExEvent;

#define EX_MAX_COLUMNS 128   /* Exchange 2019 writes 30 */
#define EX_NO_FIELD 0xff
#define EX_RECENT_SLOTS 1024 /* forks follow their parent within seconds */

#define EX_IP_MAX 48         /* an IPv6 address with a zone fits */

/* A recent entry, for TRANSFER forks to inherit its origin. */
typedef struct {
	char queue_id[24];          /* internal-message-id: a 64-bit number, at most 20 digits */
	char client_ip[EX_IP_MAX];  /* "" when none */
	guint8 origin;              /* LogOrigin */
} ExRecent;

typedef struct {
	gboolean have_fields;  /* a usable #Fields line was read */
	gboolean modern;       /* it lists network-message-id: Exchange 2013+ */
	guint ncols;
	guint8 col_field[EX_MAX_COLUMNS]; /* column -> ExField, or EX_NO_FIELD */
	gboolean has[F_COUNT];            /* whether #Fields lists the field */
	char scratch[NS_MAX_LOG_LINE + F_COUNT + 1];
	ExRecent recent[EX_RECENT_SLOTS];
} ExState;

static ExState *
get_state (LogParser *p)
{
	if (p->state == NULL) {
		p->state = g_new0 (ExState, 1);
		p->state_free = g_free;
	}
	return p->state;
}

static gboolean
fail (GError **error, const char *what)
{
	g_set_error_literal (error, LOGPARSE_ERROR, LOGPARSE_ERROR_MALFORMED, what);
	return FALSE;
}

static gboolean
has_prefix_ci (const char *p, const char *end, const char *prefix)
{
	gsize n = strlen (prefix);
	return (gsize) (end - p) >= n && g_ascii_strncasecmp (p, prefix, n) == 0;
}

/* ---- the #Fields line ------------------------------------------------- */

static gboolean
read_fields (ExState *st, const char *p, const char *end, GError **error)
{
	st->have_fields = FALSE;
	st->modern = FALSE;
	st->ncols = 0;
	memset (st->has, 0, sizeof st->has);

	guint col = 0;
	for (;;) {
		const char *comma = memchr (p, ',', end - p);
		const char *e = comma ? comma : end;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		const char *name_end = e;
		while (name_end > p && (name_end[-1] == ' ' || name_end[-1] == '\t'))
			name_end--;
		gsize n = name_end - p;
		if (col >= EX_MAX_COLUMNS)
			return fail (error, "#Fields line with more than 128 fields");
		st->col_field[col] = EX_NO_FIELD;
		for (guint f = 0; f < F_COUNT; f++) {
			if (!st->has[f] && strlen (field_names[f]) == n &&
			    g_ascii_strncasecmp (p, field_names[f], n) == 0) {
				st->col_field[col] = (guint8) f;
				st->has[f] = TRUE;
				break;
			}
		}
		if (n == strlen ("network-message-id") &&
		    g_ascii_strncasecmp (p, "network-message-id", n) == 0)
			st->modern = TRUE;
		col++;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	if (!st->has[F_DATE_TIME] || !st->has[F_EVENT_ID] || !st->has[F_INTERNAL_ID])
		return fail (error, "#Fields line without date-time, event-id or internal-message-id");
	st->ncols = col;
	st->have_fields = TRUE;
	return TRUE;
}

/* ---- CSV ---------------------------------------------------------------- */

/* Splits a data line into columns (RFC 4180). The columns the map wants
 * are copied into st->scratch, unquoted and NUL-terminated, and val[] set
 * to them; the others are only skipped. *ncols gets the column count.
 * Returns FALSE with *why on an unterminated quote or text after a closing
 * quote. The scratch never overflows: each field copied is at most its
 * bytes in the line, plus one NUL, and a field is wanted by one column. */
static gboolean
split_csv (ExState *st, const char *p, const char *end, char **val, guint *ncols,
           const char **why)
{
	char *out = st->scratch;
	guint col = 0;

	for (;;) {
		guint f = col < st->ncols ? st->col_field[col] : EX_NO_FIELD;
		char *start = out;
		if (p < end && *p == '"') {
			p++;
			for (;;) {
				const char *q = memchr (p, '"', end - p);
				if (q == NULL) {
					*why = "unterminated quoted field";
					return FALSE;
				}
				if (f != EX_NO_FIELD) {
					memcpy (out, p, q - p);
					out += q - p;
				}
				p = q + 1;
				if (p < end && *p == '"') { /* "" inside quotes */
					if (f != EX_NO_FIELD)
						*out++ = '"';
					p++;
					continue;
				}
				break;
			}
			if (p < end && *p != ',') {
				*why = "text after the closing quote of a field";
				return FALSE;
			}
		} else {
			const char *q = memchr (p, ',', end - p);
			if (q == NULL)
				q = end;
			if (f != EX_NO_FIELD) {
				memcpy (out, p, q - p);
				out += q - p;
			}
			p = q;
		}
		if (f != EX_NO_FIELD) {
			*out++ = '\0';
			val[f] = start;
		}
		col++;
		if (p >= end)
			break;
		p++; /* the ',' */
	}
	*ncols = col;
	return TRUE;
}

/* ---- helpers ------------------------------------------------------------ */

static ExEvent
event_kind (const char *id)
{
	static const struct {
		const char *name;
		ExEvent ev;
	} events[] = {
		{ "RECEIVE", EV_RECEIVE }, { "SEND", EV_SEND },   { "DELIVER", EV_DELIVER },
		{ "FAIL", EV_FAIL },       { "DEFER", EV_DEFER }, { "DSN", EV_DSN },
		{ "TRANSFER", EV_TRANSFER },
	};
	for (guint i = 0; i < G_N_ELEMENTS (events); i++)
		if (g_ascii_strcasecmp (id, events[i].name) == 0)
			return events[i].ev;
	return EV_OTHER;
}

/* The server that wrote the line; see the top of this file. */
static const char *
line_server (LogParser *p, const ExState *st, ExEvent ev, char *const *val)
{
	if (p->line.server)
		return p->line.server;
	const char *h;
	switch (ev) {
	case EV_SEND:
	case EV_DEFER:
	case EV_FAIL:
		h = *val[F_CLIENT_HOSTNAME] ? val[F_CLIENT_HOSTNAME] : val[F_SERVER_HOSTNAME];
		break;
	case EV_DELIVER:
		h = st->modern ? val[F_SERVER_HOSTNAME] : val[F_CLIENT_HOSTNAME];
		break;
	default:
		h = val[F_SERVER_HOSTNAME];
		break;
	}
	return *h ? h : p->line.local_host;
}

/* The envelope sender, or NULL when the line does not give it. */
static const char *
envelope_sender (const ExState *st, char *const *val)
{
	char *s = st->has[F_RETURN_PATH] ? val[F_RETURN_PATH] : val[F_SENDER_ADDRESS];
	gsize n = strlen (s);
	if (n == 0)
		return NULL;
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s[n - 1] = '\0';
		s++;
	}
	return s;
}

static guint
recent_slot (const char *queue_id)
{
	guint32 h = 2166136261u; /* FNV-1a */
	for (const char *c = queue_id; *c; c++)
		h = (h ^ (guint8) *c) * 16777619u;
	return h % EX_RECENT_SLOTS;
}

static void
recent_put (ExState *st, const char *queue_id, LogOrigin origin, const char *client_ip)
{
	ExRecent *r = &st->recent[recent_slot (queue_id)];
	gsize n = strlen (queue_id), m = client_ip ? strlen (client_ip) : 0;
	if (n >= sizeof r->queue_id || m >= sizeof r->client_ip) {
		r->queue_id[0] = '\0'; /* too long to keep: forget the slot's old one */
		return;
	}
	memcpy (r->queue_id, queue_id, n + 1);
	memcpy (r->client_ip, client_ip ? client_ip : "", m + 1);
	r->origin = (guint8) origin;
}

static const ExRecent *
recent_get (const ExState *st, const char *queue_id)
{
	if (*queue_id == '\0')
		return NULL;
	const ExRecent *r = &st->recent[recent_slot (queue_id)];
	return strcmp (r->queue_id, queue_id) == 0 ? r : NULL;
}

/* ENTER, then MESSAGE_ID and SENDER when the line has them. */
static void
emit_entry (LogEvent *ev, char *const *val, const ExState *st, LogOrigin origin,
            const char *client_ip, LogEmitFunc emit, gpointer user_data)
{
	ev->type = LOG_EVENT_ENTER;
	ev->origin = origin;
	ev->client_ip = client_ip;
	emit (ev, user_data);
	ev->origin = LOG_ORIGIN_UNKNOWN;
	ev->client_ip = NULL;

	if (*val[F_MESSAGE_ID]) {
		ev->type = LOG_EVENT_MESSAGE_ID;
		ev->message_id = val[F_MESSAGE_ID];
		emit (ev, user_data);
		ev->message_id = NULL;
	}
	const char *sender = envelope_sender (st, val);
	if (sender) {
		ev->type = LOG_EVENT_SENDER;
		ev->sender = sender;
		emit (ev, user_data);
		ev->sender = NULL;
	}
}

/* A RECIPIENT per address of recipient-address (';'-separated). */
static void
emit_recipients (LogEvent *ev, char *list, const char *status, LogEmitFunc emit,
                 gpointer user_data)
{
	ev->type = LOG_EVENT_RECIPIENT;
	ev->status = status;
	while (*list) {
		char *e = strchr (list, ';');
		char *next = e ? e + 1 : list + strlen (list);
		if (e)
			*e = '\0';
		while (*list == ' ')
			list++;
		char *t = list + strlen (list);
		while (t > list && t[-1] == ' ')
			*--t = '\0';
		if (*list) {
			ev->recipient = list;
			emit (ev, user_data);
		}
		list = next;
	}
	ev->recipient = NULL;
	ev->status = NULL;
}

/* ---- the line ------------------------------------------------------------ */

static gboolean
exchange_line (LogParser *p, const char *line, gsize len, LogEmitFunc emit,
                        gpointer user_data, GError **error)
{
	const char *end = line + len;

	if (len > NS_MAX_LOG_LINE)
		return fail (error, "line too long");
	if (len >= 3 && memcmp (line, "\xEF\xBB\xBF", 3) == 0)
		line += 3;
	if (end > line && end[-1] == '\r')
		end--;
	if (line == end)
		return TRUE;

	ExState *st = get_state (p);

	if (*line == '#') {
		if (has_prefix_ci (line, end, "#Fields:"))
			return read_fields (st, line + strlen ("#Fields:"), end, error);
		return TRUE;
	}
	if (!st->have_fields)
		return fail (error, "data line before any usable #Fields line");

	char *val[F_COUNT];
	for (guint f = 0; f < F_COUNT; f++)
		val[f] = (char *) ""; /* absent columns read as empty; never written */
	guint ncols;
	const char *why;
	if (!split_csv (st, line, end, val, &ncols, &why))
		return fail (error, why);
	if (ncols != st->ncols) {
		g_set_error (error, LOGPARSE_ERROR, LOGPARSE_ERROR_MALFORMED,
		             "%u columns where the #Fields line names %u", ncols, st->ncols);
		return FALSE;
	}

	gint64 time;
	gsize tlen = strlen (val[F_DATE_TIME]);
	if (tlen == 0 || datetime_parse_rfc3339 (val[F_DATE_TIME], tlen, &time) != tlen) {
		g_autofree char *shown = g_strescape (val[F_DATE_TIME], NULL);
		g_set_error (error, LOGPARSE_ERROR, LOGPARSE_ERROR_MALFORMED, "bad date-time \"%.40s\"",
		             shown);
		return FALSE;
	}

	ExEvent kind = event_kind (val[F_EVENT_ID]);
	const char *queue_id = val[F_INTERNAL_ID];
	if (kind == EV_OTHER || *queue_id == '\0')
		return TRUE;

	LogEvent ev = {
		.time = time,
		.server = line_server (p, st, kind, val),
		.queue_id = queue_id,
	};
	const char *source = val[F_SOURCE];

	switch (kind) {
	case EV_RECEIVE:
		if (g_ascii_strcasecmp (source, "STOREDRIVER") == 0 ||
		    g_ascii_strcasecmp (source, "PICKUP") == 0) {
			recent_put (st, queue_id, LOG_ORIGIN_LOCAL, NULL);
			emit_entry (&ev, val, st, LOG_ORIGIN_LOCAL, NULL, emit, user_data);
		} else if (g_ascii_strcasecmp (source, "SMTP") == 0) {
			const char *ip = *val[F_CLIENT_IP] ? val[F_CLIENT_IP] : NULL;
			recent_put (st, queue_id, LOG_ORIGIN_UNKNOWN, ip);
			emit_entry (&ev, val, st, LOG_ORIGIN_UNKNOWN, ip, emit, user_data);
		}
		break;
	case EV_SEND:
		emit_recipients (&ev, val[F_RECIPIENT_ADDRESS], "sent", emit, user_data);
		break;
	case EV_DELIVER:
		emit_recipients (&ev, val[F_RECIPIENT_ADDRESS], "delivered", emit, user_data);
		break;
	case EV_FAIL:
		emit_recipients (&ev, val[F_RECIPIENT_ADDRESS], "bounced", emit, user_data);
		break;
	case EV_DEFER:
		emit_recipients (&ev, val[F_RECIPIENT_ADDRESS], "deferred", emit, user_data);
		break;
	case EV_DSN:
		if (*val[F_MESSAGE_ID] && strcmp (val[F_MESSAGE_ID], val[F_REFERENCE]) == 0)
			break; /* names the original, not the DSN: see the top of this file */
		recent_put (st, queue_id, LOG_ORIGIN_LOCAL, NULL);
		emit_entry (&ev, val, st, LOG_ORIGIN_LOCAL, NULL, emit, user_data);
		break;
	case EV_TRANSFER: {
		const ExRecent *parent = recent_get (st, val[F_REFERENCE]);
		LogOrigin origin = parent ? (LogOrigin) parent->origin : LOG_ORIGIN_UNKNOWN;
		char ip[EX_IP_MAX] = "";
		if (parent) /* copied: recent_put() may reuse the parent's slot */
			memcpy (ip, parent->client_ip, sizeof ip);
		recent_put (st, queue_id, origin, *ip ? ip : NULL);
		emit_entry (&ev, val, st, origin, *ip ? ip : NULL, emit, user_data);
		break;
	}
	case EV_OTHER:
		break;
	}
	return TRUE;
}

/* ---- detection --------------------------------------------------------- */

static gboolean
exchange_detect (const char *head)
{
	/* Other Exchange logs (SMTP protocol, connectivity, agent logs) share
	 * the header and a "#Fields: date-time," line, so a #Log-type naming
	 * another log says no, and a #Fields line counts only when it lists
	 * event-id and internal-message-id. */
	for (const char *p = head; p && *p;) {
		const char *nl = strchr (p, '\n');
		const char *end = nl ? nl : p + strlen (p);
		if (end - p >= 3 && memcmp (p, "\xEF\xBB\xBF", 3) == 0)
			p += 3;
		if (has_prefix_ci (p, end, "#Log-type:")) {
			const char *v = p + strlen ("#Log-type:");
			while (v < end && *v == ' ')
				v++;
			return has_prefix_ci (v, end, "Message Tracking Log");
		}
		if (has_prefix_ci (p, end, "#Fields: date-time,")) {
			/* Within this line only: copy it bounded, the head may be large. */
			gsize n = MIN ((gsize) (end - p), (gsize) 4096);
			char buf[4097];
			memcpy (buf, p, n);
			buf[n] = '\0';
			if (strstr (buf, ",event-id") && strstr (buf, ",internal-message-id"))
				return TRUE;
		}
		p = nl ? nl + 1 : NULL;
	}
	return FALSE;
}

static void
ignore_event (const LogEvent *event, gpointer unused)
{
}

/* A line before the checkpoint: its header lines only (the column order
 * of the data lines after it); the data lines' events were imported
 * before. */
static void
exchange_skipped (LogParser *p, const char *line, gsize len)
{
	gsize bom = len >= 3 && memcmp (line, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	if (len > bom && line[bom] == '#') {
		p->line.seen = FALSE;
		(void) exchange_line (p, line, len, ignore_event, NULL, NULL);
	}
}

const LogFormatOps logparse_exchange_ops = {
	.name = "exchange",
	.line = exchange_line,
	.detect = exchange_detect,
	.skipped = exchange_skipped,
};
