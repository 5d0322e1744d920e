/* logparse_exim — Exim's mainlog. See src/logparse.h.
 *
 *   2026-11-27 10:00:01[.123][ +0100][ [pid]] ID FLAG ADDRESS fields...
 *
 * ID is 6-6-2 (Exim before 4.97) or 6-11-4 base-62 characters. FLAG:
 *   <= (= arrival        ENTER, SENDER, MESSAGE_ID
 *   => -> >> *>          RECIPIENT sent
 *   **                   RECIPIENT bounced
 *   ==                   RECIPIENT deferred
 *   Completed            DONE
 * Lines without an ID (connections, rejections, queue runs) and ID lines
 * of other kinds (SMTP errors, frozen, ...) carry nothing for the sent log.
 *
 * The mainlog has no host field: every event gets the --server name, else
 * this host's name. Time stamps are local time unless log_timezone added
 * an offset.
 *
 * Nothing is allocated per line: the strings of an event are copied,
 * NUL-terminated, into a scratch buffer kept with the parser. */
#include <string.h>

#include "logparse-private.h" /* the parser's layout; calls go to logline.h */
#include "datetime.h"
#include "ndrsift/limits.h"

typedef struct {
	gsize used;
	char buf[2 * NS_MAX_LOG_LINE + 256];
} EximState;

/* Copies n bytes of s into the scratch buffer. The strings copied from one
 * line are disjoint pieces of it, so the buffer (twice the longest line)
 * cannot run out. */
static const char *
scratch (EximState *st, const char *s, gsize n)
{
	g_assert (st->used + n + 1 <= sizeof st->buf);
	char *d = st->buf + st->used;
	memcpy (d, s, n);
	d[n] = '\0';
	st->used += n + 1;
	return d;
}

static EximState *
state (LogParser *p)
{
	if (p->state == NULL) {
		p->state = g_new (EximState, 1);
		p->state_free = g_free;
	}
	EximState *st = p->state;
	st->used = 0;
	return st;
}

static gboolean
malformed (GError **error, const char *why)
{
	g_set_error (error, LOGPARSE_ERROR, LOGPARSE_ERROR_MALFORMED, "not an Exim log line: %s", why);
	return FALSE;
}

static int
digits (const char *s, const char *end, int n)
{
	if (end - s < n)
		return -1;
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!g_ascii_isdigit (s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Reads "YYYY-MM-DD HH:MM:SS[.fff][ +hhmm][ [pid]]" at s. Returns the bytes
 * read (0 when s does not start with a stamp); when `out` is set, the Unix
 * time goes there. */
static gsize
exim_stamp (const char *s, const char *end, gint64 *out)
{
	if (end - s < 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':')
		return 0;
	int y = digits (s, end, 4), mo = digits (s + 5, end, 2), d = digits (s + 8, end, 2);
	int h = digits (s + 11, end, 2), mi = digits (s + 14, end, 2), sec = digits (s + 17, end, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    sec < 0 || sec > 60)
		return 0;
	const char *q = s + 19;
	if (q < end && *q == '.') { /* log_selector +millisec */
		q++;
		while (q < end && g_ascii_isdigit (*q))
			q++;
	}
	gboolean zoned = FALSE;
	int offset = 0;
	if (end - q >= 6 && q[0] == ' ' && (q[1] == '+' || q[1] == '-')) { /* log_timezone */
		const char *z = q + 2;
		int oh = digits (z, end, 2);
		z += 2;
		if (z < end && *z == ':')
			z++;
		int om = digits (z, end, 2);
		z += 2;
		if (oh >= 0 && om >= 0 && (z == end || *z == ' ')) {
			zoned = TRUE;
			offset = (q[1] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
			q = z;
		}
	}
	if (end - q >= 3 && q[0] == ' ' && q[1] == '[' && g_ascii_isdigit (q[2])) { /* +pid */
		const char *z = q + 2;
		while (z < end && g_ascii_isdigit (*z))
			z++;
		if (z < end && *z == ']')
			q = z + 1;
	}
	if (out)
		*out = zoned ? datetime_from_civil (y, mo, d, h, mi, sec) - offset
		             : datetime_from_local (y, mo, d, h, mi, sec);
	return q - s;
}

static gboolean
base62_run (const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!g_ascii_isalnum (s[i]))
			return FALSE;
	return TRUE;
}

/* The length of the Exim message ID at s (followed by a blank or the end),
 * or 0: 6-6-2 before Exim 4.97, 6-11-4 since. */
static gsize
exim_id (const char *s, const char *end)
{
	static const int shapes[][2] = { { 6, 2 }, { 11, 4 } };
	for (guint i = 0; i < G_N_ELEMENTS (shapes); i++) {
		int mid = shapes[i][0], tail = shapes[i][1];
		gsize n = 6 + 1 + mid + 1 + tail;
		if ((gsize) (end - s) < n || (s + n < end && s[n] != ' '))
			continue;
		if (base62_run (s, 6) && s[6] == '-' && base62_run (s + 7, mid) && s[7 + mid] == '-' &&
		    base62_run (s + 8 + mid, tail))
			return n;
	}
	return 0;
}

static gboolean
has_prefix (const char *s, const char *end, const char *prefix)
{
	gsize n = strlen (prefix);
	return (gsize) (end - s) >= n && memcmp (s, prefix, n) == 0;
}

static const char *
token_end (const char *s, const char *end)
{
	while (s < end && *s != ' ')
		s++;
	return s;
}

/* An address token: "<>" is the null sender; a quoted local part may hold
 * blanks. Sets *tend past the token. */
static const char *
address_token (const char *s, const char *end, const char **tend, gsize *len)
{
	const char *e = s;
	if (e < end && *e == '"') {
		e++;
		while (e < end && *e != '"') {
			if (*e == '\\' && e + 1 < end)
				e++;
			e++;
		}
	}
	e = token_end (e, end);
	*tend = e;
	if (e - s == 2 && s[0] == '<' && s[1] == '>') {
		*len = 0;
		return s;
	}
	*len = e - s;
	return s;
}

typedef struct {
	const char *ip;        /* of H=, into the line */
	gsize ip_len;
	const char *msgid;     /* id= */
	gsize msgid_len;
	gboolean auth;         /* A= */
	gboolean local_proto;  /* P=local... */
	gboolean reference;    /* R=: a message Exim made itself (bounce, warning) */
} Arrival;

/* The fields after the sender of a "<=" line. Only the host part may hold
 * a HELO name, in parentheses; the subject (T="...") and the optional
 * "from <...> for ..." tail end the fields we need. Returns FALSE when a
 * bracketed address is cut. */
static gboolean
arrival_fields (const char *q, const char *end, Arrival *a)
{
	gboolean in_host = FALSE, in_paren = FALSE;
	while (q < end) {
		while (q < end && *q == ' ')
			q++;
		if (q >= end)
			break;
		const char *tok = q, *tend = token_end (q, end);
		if (in_paren) { /* "(helo with blanks)": never read as fields */
			if (tend[-1] == ')')
				in_paren = FALSE;
			q = tend;
			continue;
		}
		const char *k = tok;
		while (k < tend && (g_ascii_isalnum (*k) || *k == '_'))
			k++;
		if (k > tok && k < tend && *k == '=') {
			gsize klen = k - tok;
			const char *v = k + 1;
			in_host = FALSE;
			if (v < end && *v == '"') {
				if (klen == 1 && tok[0] == 'T')
					break; /* the subject: nothing we need follows */
				/* A quoted value (DN="...") may hold blanks. */
				v++;
				while (v < end && !(*v == '"' && (v + 1 == end || v[1] == ' '))) {
					if (*v == '\\' && v + 1 < end)
						v++;
					v++;
				}
				q = v < end ? v + 1 : end;
				continue;
			}
			if (klen == 1 && tok[0] == 'H') {
				in_host = TRUE;
				tok = v; /* the host part goes on below */
				if (tok >= tend) {
					q = tend;
					continue;
				}
			} else {
				if (klen == 1 && tok[0] == 'A')
					a->auth = TRUE;
				else if (klen == 1 && tok[0] == 'R')
					a->reference = TRUE;
				else if (klen == 1 && tok[0] == 'P')
					a->local_proto = has_prefix (v, tend, "local");
				else if (klen == 2 && tok[0] == 'i' && tok[1] == 'd') {
					a->msgid = v;
					a->msgid_len = tend - v;
				}
				q = tend;
				continue;
			}
		}
		if (in_host) {
			if (tok[0] == '(') {
				in_paren = tend[-1] != ')' || tend - tok == 1;
			} else if (tok[0] == '[') {
				/* "[192.0.2.55]" or "[192.0.2.55]:41234" */
				const char *close = memchr (tok, ']', tend - tok);
				if (close == NULL)
					return FALSE;
				if (a->ip == NULL) {
					a->ip = tok + 1;
					a->ip_len = close - tok - 1;
				}
				in_host = FALSE;
			}
			q = tend;
			continue;
		}
		/* "from <sender> for rcpt ..." (received_sender/recipients):
		 * addresses follow, which could look like fields. */
		if ((tend - tok == 4 && memcmp (tok, "from", 4) == 0) ||
		    (tend - tok == 3 && memcmp (tok, "for", 3) == 0))
			break;
		q = tend;
	}
	return TRUE;
}

static void
emit_simple (LogEmitFunc emit, gpointer user_data, LogEventType type, gint64 time,
             const char *server, const char *queue_id)
{
	LogEvent ev = { .type = type, .time = time, .server = server, .queue_id = queue_id };
	emit (&ev, user_data);
}

static gboolean
exim_line (LogParser *p, const char *line, gsize len, LogEmitFunc emit, gpointer user_data,
                    GError **error)
{
	const char *end = line + len;

	if (len > NS_MAX_LOG_LINE) {
		g_set_error (error, LOGPARSE_ERROR, LOGPARSE_ERROR_TOO_LONG, "line longer than %d bytes", NS_MAX_LOG_LINE);
		return FALSE;
	}
	/* A blank line, or the continuation of a multi-line entry. */
	if (len == 0 || line[0] == ' ' || line[0] == '\t')
		return TRUE;

	gint64 time;
	gsize n = exim_stamp (line, end, &time);
	if (n == 0)
		return malformed (error, "no time stamp");
	const char *q = line + n;
	if (q >= end || *q != ' ' || q + 1 >= end)
		return malformed (error, "nothing after the time stamp");
	q++;
	logline_seen (&p->line, time, NULL, p->line.local_host);

	gsize idlen = exim_id (q, end);
	if (idlen == 0)
		return TRUE; /* connections, rejections, queue runs, ... */
	const char *id = q;
	q += idlen;
	if (q >= end || q + 1 >= end)
		return malformed (error, "nothing after the message ID");
	q++;

	const char *status = NULL;
	gboolean arrival = FALSE;
	if (end - q >= 2 && (end - q == 2 || q[2] == ' ')) {
		if ((q[0] == '<' || q[0] == '(') && q[1] == '=')
			arrival = TRUE;
		else if ((q[0] == '=' || q[0] == '-' || q[0] == '>' || q[0] == '*') && q[1] == '>')
			status = "sent";
		else if (q[0] == '*' && q[1] == '*')
			status = "bounced";
		else if (q[0] == '=' && q[1] == '=')
			status = "deferred";
	}
	if (!arrival && status == NULL) {
		if (has_prefix (q, end, "Completed") && (end - q == 9 || q[9] == ' ')) {
			EximState *st = state (p);
			const char *server = p->line.server ? p->line.server : p->line.local_host;
			emit_simple (emit, user_data, LOG_EVENT_DONE, time, server, scratch (st, id, idlen));
		}
		return TRUE; /* SMTP errors, frozen, spam notes, ... */
	}
	q += 2;
	if (q >= end || *q != ' ' || q + 1 >= end || q[1] == ' ')
		return malformed (error, "no address after the flag");
	q++;

	const char *tend;
	gsize alen;
	const char *addr = address_token (q, end, &tend, &alen);
	EximState *st = state (p);
	const char *server = p->line.server ? p->line.server : p->line.local_host;
	const char *queue_id = scratch (st, id, idlen);

	if (status) {
		/* "** bob@remote.example: Unrouteable address": the colon is not
		 * the address's. */
		if (alen > 1 && addr[alen - 1] == ':')
			alen--;
		LogEvent ev = { .type = LOG_EVENT_RECIPIENT, .time = time, .server = server,
			        .queue_id = queue_id, .recipient = scratch (st, addr, alen), .status = status };
		emit (&ev, user_data);
		return TRUE;
	}

	Arrival a = { 0 };
	if (!arrival_fields (tend, end, &a))
		return malformed (error, "cut host address");
	LogEvent ev = { .type = LOG_EVENT_ENTER, .time = time, .server = server, .queue_id = queue_id };
	if (a.auth)
		ev.origin = LOG_ORIGIN_AUTH;
	else if (a.reference || a.local_proto)
		ev.origin = LOG_ORIGIN_LOCAL;
	if (a.ip)
		ev.client_ip = scratch (st, a.ip, a.ip_len);
	emit (&ev, user_data);

	LogEvent sender = { .type = LOG_EVENT_SENDER, .time = time, .server = server,
		            .queue_id = queue_id, .sender = scratch (st, addr, alen) };
	emit (&sender, user_data);

	if (a.msgid && a.msgid_len > 0) {
		LogEvent mid = { .type = LOG_EVENT_MESSAGE_ID, .time = time, .server = server,
			         .queue_id = queue_id, .message_id = scratch (st, a.msgid, a.msgid_len) };
		emit (&mid, user_data);
	}
	return TRUE;
}

/* Texts that open ID-less mainlog lines. */
static const char *const mainlog_texts[] = {
	"SMTP connection from ", "no host name found ", "H=", "Start queue run:", "End queue run:",
	"exim ", "TLS error on connection ", "SMTP command timeout ", "SMTP protocol ",
	"unexpected disconnection ", "SMTP call from ", "SMTP syntax error ", "Connection from ",
	"daemon ", "cwd=", "rejected ", "U=",
};

static gboolean
exim_detect (const char *head)
{
	const char *s = head;
	for (int lines = 0; s && *s && lines < 20; lines++) {
		const char *nl = strchr (s, '\n');
		const char *end = nl ? nl : s + strlen (s);
		gsize n = exim_stamp (s, end, NULL);
		if (n > 0 && s + n < end && s[n] == ' ') {
			const char *q = s + n + 1;
			if (exim_id (q, end) > 0)
				return TRUE;
			for (guint i = 0; i < G_N_ELEMENTS (mainlog_texts); i++)
				if (has_prefix (q, end, mainlog_texts[i]))
					return TRUE;
		}
		s = nl ? nl + 1 : NULL;
	}
	return FALSE;
}

const LogFormatOps logparse_exim_ops = {
	.name = "exim",
	.line = exim_line,
	.detect = exim_detect,
	.skipped = NULL,
};
