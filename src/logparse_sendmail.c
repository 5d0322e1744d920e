/* logparse_sendmail — Sendmail through syslog. See src/logparse.h.
 *
 * Programs "sendmail", "sm-mta" and "sm-msp-queue"; a message line is
 * "QUEUEID: field=value, field=value, ..." and what we read is:
 *
 *   from=<s>, size=, class=, nrcpts=, msgid=<m>, proto=, daemon=, relay=
 *       ENTER (origin from proto= and relay=), SENDER, MESSAGE_ID
 *   AUTH=server, relay=..., authid=alice, mech=PLAIN, bits=0
 *       ENTER origin AUTH (only when the line carries a queue ID)
 *   to=<a>,<b>, ..., dsn=5.1.1, stat=User unknown
 *       RECIPIENT per address; the status from dsn='s class, else stat=
 *   QUEUEID: NEWID: DSN: ...      (also "return to sender", "sender
 *   notify", "postmaster notify")
 *       NEWID is a bounce Sendmail made itself: ENTER origin LOCAL and
 *       SENDER "" (DSNs go out with the null return path)
 *
 * Sendmail logs no "removed" line, so there is no DONE. A from= line with
 * nrcpts=0 and no msgid= is a transaction whose recipients were all
 * refused: no message entered, nothing is emitted.
 *
 * Nothing is allocated per line (past the first): an event's strings are
 * copied, NUL-terminated, into a scratch buffer kept with the parser. */
#include <string.h>

#include "logparse-private.h" /* the parser's layout; calls go to logline.h */
#include "ndrsift/limits.h"

typedef struct {
	GString *server;
	gsize used;
	char buf[2 * NS_MAX_LOG_LINE + 256];
} SendmailState;

static void
state_free (gpointer data)
{
	SendmailState *st = data;
	g_string_free (st->server, TRUE);
	g_free (st);
}

static SendmailState *
state (LogParser *p)
{
	if (p->state == NULL) {
		SendmailState *st = g_new (SendmailState, 1);
		st->server = g_string_sized_new (64);
		p->state = st;
		p->state_free = state_free;
	}
	SendmailState *st = p->state;
	st->used = 0;
	return st;
}

/* Copies n bytes of s into the scratch buffer; the strings copied from one
 * line are disjoint pieces of it, so twice the longest line is enough. */
static const char *
scratch (SendmailState *st, const char *s, gsize n)
{
	g_assert (st->used + n + 1 <= sizeof st->buf);
	char *d = st->buf + st->used;
	memcpy (d, s, n);
	d[n] = '\0';
	st->used += n + 1;
	return d;
}

static gboolean
malformed (GError **error, const char *why)
{
	g_set_error (error, LOGPARSE_ERROR, LOGPARSE_ERROR_MALFORMED, "bad Sendmail line: %s", why);
	return FALSE;
}

static gboolean
is_sendmail_program (const char *prog, gsize len)
{
	return (len == 8 && memcmp (prog, "sendmail", 8) == 0) ||
	       (len == 6 && memcmp (prog, "sm-mta", 6) == 0) ||
	       (len == 12 && memcmp (prog, "sm-msp-queue", 12) == 0);
}

/* The length of a queue ID followed by ": " at s, or 0. Sendmail 8.12 and
 * later write 14 or 15 characters ("x4RA01ab012345"), older ones 8
 * ("KAA12345"); all have a digit, so "NOQUEUE" and words are not one. */
static gsize
queue_id (const char *s, const char *end)
{
	const char *q = s;
	gboolean digit = FALSE;
	while (q < end && g_ascii_isalnum (*q) && q - s <= 20) {
		digit |= g_ascii_isdigit (*q);
		q++;
	}
	gsize n = q - s;
	if (n < 8 || n > 20 || !digit || end - q < 2 || q[0] != ':' || q[1] != ' ')
		return 0;
	return n;
}

static gboolean
has_prefix (const char *s, const char *end, const char *prefix)
{
	gsize n = strlen (prefix);
	return (gsize) (end - s) >= n && memcmp (s, prefix, n) == 0;
}

typedef struct {
	const char *key;   /* NULL for a piece without "key=" ("[more]") */
	gsize key_len;
	const char *value;
	gsize value_len;
} Field;

/* The next ", "-separated field at *pos. A value runs to the next ", "
 * outside <...> and "..."; stat= (always last) runs to the end of the line.
 * Returns FALSE at the end; sets *broken for an unclosed < or ". */
static gboolean
next_field (const char **pos, const char *end, Field *f, gboolean *broken)
{
	const char *q = *pos;
	while (q < end && (*q == ' ' || *q == ','))
		q++;
	if (q >= end)
		return FALSE;
	const char *k = q;
	while (k < end && (g_ascii_isalnum (*k) || *k == '_'))
		k++;
	if (k > q && k < end && *k == '=') {
		f->key = q;
		f->key_len = k - q;
		q = k + 1;
	} else {
		f->key = NULL;
		f->key_len = 0;
	}
	f->value = q;
	if (f->key_len == 4 && memcmp (f->key, "stat", 4) == 0) {
		f->value_len = end - q;
		*pos = end;
		return TRUE;
	}
	/* Most bytes are none of , < > " \ : one table look-up each. */
	static const guint8 special[256] = { [','] = 1, ['<'] = 1, ['>'] = 1, ['"'] = 1, ['\\'] = 1 };
	int angle = 0;
	gboolean quote = FALSE;
	for (; q < end; q++) {
		if (G_LIKELY (!special[(guchar) *q]))
			continue;
		if (quote) {
			if (*q == '\\' && q + 1 < end)
				q++;
			else if (*q == '"')
				quote = FALSE;
		} else if (*q == '"')
			quote = TRUE;
		else if (*q == '<')
			angle++;
		else if (*q == '>' && angle > 0)
			angle--;
		else if (*q == ',' && angle == 0 && (q + 1 == end || q[1] == ' '))
			break;
	}
	if (angle > 0 || quote)
		*broken = TRUE;
	f->value_len = q - f->value;
	*pos = q;
	return TRUE;
}

static gboolean
key_is (const Field *f, const char *key)
{
	gsize n = strlen (key);
	return f->key_len == n && memcmp (f->key, key, n) == 0;
}

/* "<a@x>" -> "a@x"; "<>" -> "". */
static const char *
unbracket (const char *v, gsize *len)
{
	if (*len >= 2 && v[0] == '<' && v[*len - 1] == '>') {
		*len -= 2;
		return v + 1;
	}
	return v;
}

/* What relay= says about the client: "host [192.0.2.55]", "[192.0.2.55]",
 * "host [IPv6:2001:db8::5] (may be forged)", "alice@localhost" (a local
 * submission: no connection), "[RESPONSE]" (Sendmail's own DSN). The
 * loopback is a submission on the server too. */
static LogOrigin
relay_origin (const char *v, gsize len, const char **ip, gsize *ip_len)
{
	const char *end = v + len;
	*ip = NULL;
	const char *open = memchr (v, '[', len);
	if (open == NULL)
		return LOG_ORIGIN_LOCAL;
	const char *close = memchr (open, ']', end - open);
	if (close == NULL)
		return LOG_ORIGIN_UNKNOWN; /* cut by Sendmail's 100-byte limit */
	const char *a = open + 1;
	if (close - a > 5 && g_ascii_strncasecmp (a, "IPv6:", 5) == 0)
		a += 5;
	gsize n = close - a;
	if (n == 8 && memcmp (a, "RESPONSE", 8) == 0)
		return LOG_ORIGIN_LOCAL;
	if (n == 0)
		return LOG_ORIGIN_UNKNOWN;
	for (gsize i = 0; i < n; i++)
		if (!g_ascii_isxdigit (a[i]) && a[i] != '.' && a[i] != ':')
			return LOG_ORIGIN_UNKNOWN;
	*ip = a;
	*ip_len = n;
	if ((n >= 4 && memcmp (a, "127.", 4) == 0) || (n == 3 && memcmp (a, "::1", 3) == 0))
		return LOG_ORIGIN_LOCAL;
	return LOG_ORIGIN_UNKNOWN;
}

typedef struct {
	SendmailState *st;
	LogEmitFunc emit;
	gpointer user_data;
	const LogSyslogLine *sl;
	const char *queue_id;
	const char *server;
} Ctx;

static void
ctx_init (Ctx *c, LogParser *p, const LogSyslogLine *sl, const char *id, gsize idlen,
          LogEmitFunc emit, gpointer user_data)
{
	c->st = state (p);
	c->emit = emit;
	c->user_data = user_data;
	c->sl = sl;
	c->queue_id = scratch (c->st, id, idlen);
	c->server = logline_server (&p->line, sl, c->st->server);
}

static void
emit_enter (Ctx *c, const char *queue_id, LogOrigin origin, const char *ip, gsize ip_len)
{
	LogEvent ev = { .type = LOG_EVENT_ENTER, .time = c->sl->time, .server = c->server,
		        .queue_id = queue_id, .origin = origin };
	if (ip)
		ev.client_ip = scratch (c->st, ip, ip_len);
	c->emit (&ev, c->user_data);
}

static gboolean
from_line (const char *q, const char *end, const char *id, gsize idlen, LogParser *p,
           const LogSyslogLine *sl, LogEmitFunc emit, gpointer user_data, GError **error)
{
	Field f;
	gboolean broken = FALSE, have_relay = FALSE, auth = FALSE, no_rcpts = FALSE;
	const char *from = NULL, *msgid = NULL, *relay = NULL;
	gsize from_len = 0, msgid_len = 0, relay_len = 0;

	while (next_field (&q, end, &f, &broken)) {
		if (broken)
			return malformed (error, "unclosed < or \" in a field");
		if (f.key == NULL)
			continue;
		if (key_is (&f, "from")) {
			from = f.value;
			from_len = f.value_len;
		} else if (key_is (&f, "msgid")) {
			msgid = f.value;
			msgid_len = f.value_len;
		} else if (key_is (&f, "relay")) {
			relay = f.value;
			relay_len = f.value_len;
			have_relay = TRUE;
		} else if (key_is (&f, "proto")) {
			/* RFC 3848: ESMTPA, ESMTPSA, UTF8SMTPA, LMTPA, ... */
			auth = f.value_len > 1 && f.value[f.value_len - 1] == 'A';
		} else if (key_is (&f, "nrcpts")) {
			no_rcpts = f.value_len == 1 && f.value[0] == '0';
		}
	}
	if (from == NULL || from_len == 0)
		return malformed (error, "empty from=");
	if (no_rcpts && msgid == NULL)
		return TRUE; /* every recipient refused: no message */

	Ctx c;
	ctx_init (&c, p, sl, id, idlen, emit, user_data);
	LogOrigin origin = LOG_ORIGIN_UNKNOWN;
	const char *ip = NULL;
	gsize ip_len = 0;
	if (have_relay)
		origin = relay_origin (relay, relay_len, &ip, &ip_len);
	if (auth)
		origin = LOG_ORIGIN_AUTH;
	emit_enter (&c, c.queue_id, origin, ip, ip_len);

	from = unbracket (from, &from_len);
	LogEvent ev = { .type = LOG_EVENT_SENDER, .time = sl->time, .server = c.server,
		        .queue_id = c.queue_id, .sender = scratch (c.st, from, from_len) };
	emit (&ev, user_data);

	if (msgid && msgid_len > 0) {
		LogEvent m = { .type = LOG_EVENT_MESSAGE_ID, .time = sl->time, .server = c.server,
			       .queue_id = c.queue_id, .message_id = scratch (c.st, msgid, msgid_len) };
		emit (&m, user_data);
	}
	return TRUE;
}

/* dsn= class first (2 sent, 4 deferred, 5 bounced); without one, stat='s
 * first word: "Sent", "Deferred", "queued" (waiting: deferred), anything
 * else is a failure ("User unknown", "Service unavailable"). */
static const char *
delivery_status (const char *dsn, gsize dsn_len, const char *stat, gsize stat_len)
{
	if (dsn && dsn_len >= 1) {
		switch (dsn[0]) {
		case '2': return "sent";
		case '4': return "deferred";
		case '5': return "bounced";
		default: break;
		}
	}
	if (stat == NULL)
		return NULL;
	gsize n = 0;
	while (n < stat_len && stat[n] != ' ' && stat[n] != ':' && stat[n] != '(')
		n++;
	if (n == 4 && g_ascii_strncasecmp (stat, "Sent", 4) == 0)
		return "sent";
	if ((n == 8 && g_ascii_strncasecmp (stat, "Deferred", 8) == 0) ||
	    (n == 6 && g_ascii_strncasecmp (stat, "queued", 6) == 0))
		return "deferred";
	return "bounced";
}

static gboolean
to_line (const char *q, const char *end, const char *id, gsize idlen, LogParser *p,
         const LogSyslogLine *sl, LogEmitFunc emit, gpointer user_data, GError **error)
{
	Field f;
	gboolean broken = FALSE;
	const char *to = NULL, *dsn = NULL, *stat = NULL;
	gsize to_len = 0, dsn_len = 0, stat_len = 0;

	while (next_field (&q, end, &f, &broken)) {
		if (broken)
			return malformed (error, "unclosed < or \" in a field");
		if (f.key == NULL)
			continue; /* "[more]": the list goes on in the next line */
		if (key_is (&f, "to")) {
			to = f.value;
			to_len = f.value_len;
		} else if (key_is (&f, "dsn")) {
			dsn = f.value;
			dsn_len = f.value_len;
		} else if (key_is (&f, "stat")) {
			stat = f.value;
			stat_len = f.value_len;
		}
	}
	if (to == NULL || to_len == 0)
		return malformed (error, "empty to=");
	const char *status = delivery_status (dsn, dsn_len, stat, stat_len);
	if (status == NULL)
		return malformed (error, "to= without stat=");
	if (to_len == 10 && memcmp (to, "NO-TO-LIST", 10) == 0)
		return TRUE;

	Ctx c;
	ctx_init (&c, p, sl, id, idlen, emit, user_data);
	/* "<a@x>,<b@y>" or "alice,bob": split at commas outside <> and "". */
	const char *r = to, *tend = to + to_len;
	while (r < tend) {
		const char *s = r;
		int angle = 0;
		gboolean quote = FALSE;
		for (; r < tend; r++) {
			if (quote) {
				if (*r == '\\' && r + 1 < tend)
					r++;
				else if (*r == '"')
					quote = FALSE;
			} else if (*r == '"')
				quote = TRUE;
			else if (*r == '<')
				angle++;
			else if (*r == '>' && angle > 0)
				angle--;
			else if (*r == ',' && angle == 0)
				break;
		}
		const char *e = r;
		while (s < e && *s == ' ')
			s++;
		while (e > s && e[-1] == ' ')
			e--;
		gsize n = e - s;
		const char *addr = unbracket (s, &n);
		if (r < tend)
			r++;
		if (n == 0)
			continue;
		LogEvent ev = { .type = LOG_EVENT_RECIPIENT, .time = sl->time, .server = c.server,
			        .queue_id = c.queue_id, .recipient = scratch (c.st, addr, n),
			        .status = status };
		emit (&ev, user_data);
	}
	return TRUE;
}

static gboolean
sendmail_line (LogParser *p, const char *line, gsize len, LogEmitFunc emit,
                        gpointer user_data, GError **error)
{
	if (len > NS_MAX_LOG_LINE) {
		g_set_error (error, LOGPARSE_ERROR, LOGPARSE_ERROR_TOO_LONG, "line longer than %d bytes", NS_MAX_LOG_LINE);
		return FALSE;
	}
	LogSyslogLine sl;
	if (!logline_syslog (line, len, p->line.now, &p->line.last_classic, &sl)) {
		g_set_error_literal (error, LOGPARSE_ERROR, LOGPARSE_ERROR_MALFORMED, "not a syslog line");
		return FALSE;
	}
	if (!is_sendmail_program (sl.program, sl.program_len)) {
		/* a heartbeat or a syslog daemon's notice of lost lines */
		logline_syslog_notice (&p->line, &sl, emit, user_data);
		return TRUE;
	}
	logline_seen (&p->line, sl.time, &sl, NULL);

	const char *q = sl.message, *end = sl.message + sl.message_len;
	gsize idlen = queue_id (q, end);
	if (idlen == 0)
		return TRUE; /* STARTTLS=, AUTH= without an ID, NOQUEUE: ... */
	const char *id = q;
	q += idlen + 2;

	if (has_prefix (q, end, "from="))
		return from_line (q, end, id, idlen, p, &sl, emit, user_data, error);
	if (has_prefix (q, end, "to="))
		return to_line (q, end, id, idlen, p, &sl, emit, user_data, error);

	if (has_prefix (q, end, "AUTH=server,")) {
		Field f;
		gboolean broken = FALSE;
		const char *ip = NULL;
		gsize ip_len = 0;
		while (next_field (&q, end, &f, &broken))
			if (!broken && f.key && key_is (&f, "relay"))
				(void) relay_origin (f.value, f.value_len, &ip, &ip_len);
		Ctx c;
		ctx_init (&c, p, &sl, id, idlen, emit, user_data);
		emit_enter (&c, c.queue_id, LOG_ORIGIN_AUTH, ip, ip_len);
		return TRUE;
	}

	/* "x4RA01abc012345: x4RA01abc012346: DSN: User unknown" */
	gsize newlen = queue_id (q, end);
	if (newlen > 0) {
		const char *newid = q, *what = q + newlen + 2;
		if (has_prefix (what, end, "DSN:") || has_prefix (what, end, "return to sender:") ||
		    has_prefix (what, end, "sender notify:") || has_prefix (what, end, "postmaster notify:")) {
			Ctx c;
			ctx_init (&c, p, &sl, id, idlen, emit, user_data);
			const char *bounce_id = scratch (c.st, newid, newlen);
			emit_enter (&c, bounce_id, LOG_ORIGIN_LOCAL, NULL, 0);
			LogEvent ev = { .type = LOG_EVENT_SENDER, .time = sl.time, .server = c.server,
				        .queue_id = bounce_id, .sender = "" };
			emit (&ev, user_data);
		}
	}
	return TRUE; /* Milter:, ruleset=, clone:, lost input channel, ... */
}

static gboolean
sendmail_detect (const char *head)
{
	gint64 now = g_get_real_time () / G_USEC_PER_SEC;
	const char *s = head;
	for (int lines = 0; s && *s && lines < 50; lines++) {
		const char *nl = strchr (s, '\n');
		gsize len = nl ? (gsize) (nl - s) : strlen (s);
		LogSyslogLine sl;
		if (len > 0 && s[len - 1] == '\r')
			len--;
		if (logline_syslog (s, len, now, NULL, &sl) && is_sendmail_program (sl.program, sl.program_len))
			return TRUE;
		s = nl ? nl + 1 : NULL;
	}
	return FALSE;
}

const LogFormatOps logparse_sendmail_ops = {
	.name = "sendmail",
	.line = sendmail_line,
	.detect = sendmail_detect,
	.skipped = NULL,
};
