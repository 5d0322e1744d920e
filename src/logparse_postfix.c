/* logparse_postfix — Postfix syslog lines into LogEvents.
 *
 * What it does. One line at a time: the syslog prefix is read by
 * logline_syslog() (classic, RFC 3339 and journalctl short-iso stamps);
 * lines of programs that are not Postfix are skipped (but heartbeats and
 * the syslog daemons' notices of lost lines: logline_syslog_notice()),
 * so a central syslog holding everything (and many servers: the host field
 * names the server unless --server is given) can be imported as it is. A
 * Postfix program is
 * "postfix*" with at least one '/', and the daemon is its last path
 * component, so instances and per-service names all work: "postfix/smtpd",
 * "postfix-out/smtp", "postfix/submission/smtpd". Then, after "QID: ":
 *
 *   smtpd, qmqpd  client=HOST[IP][, sasl_username=U][, orig_client=H[IP]]
 *                 -> ENTER: origin AUTH with sasl_username, else UNKNOWN
 *                    with client_ip for the importer to judge against
 *                    [local] networks; orig_client (a post-queue content
 *                    filter re-injecting) names the real client
 *   pickup        uid=N from=<s>            -> ENTER, origin LOCAL
 *                 ... orig_id=Q (postsuper -r requeue) -> ENTER, UNKNOWN
 *   cleanup       message-id=VALUE          -> MESSAGE_ID, as written
 *   qmgr          from=<s>, ...             -> SENDER ("" for <>)
 *                 to=<r>, ..., status=W     -> RECIPIENT (qmgr defers and
 *                                              bounces some itself)
 *                 removed                   -> DONE
 *   smtp lmtp local virtual pipe error retry discard
 *                 to=<r>, ..., status=W     -> RECIPIENT, status W
 *   bounce        sender|postmaster ... notification: NEWQID
 *                 -> ENTER of NEWQID, origin LOCAL: our server wrote it
 *   postsuper     removed                   -> DONE
 *
 * Everything else (postscreen, anvil, NOQUEUE rejects, connect and
 * disconnect, warnings, milter and header-check actions, resent ids, ...)
 * carries nothing: TRUE, no event.
 *
 * Malformed: a line that is not a syslog line is FALSE with an error; so
 * is a line of a daemon above whose fields cannot be read (a to=< or
 * from=< without its '>', client= without [address], status= without a
 * word, a notification naming no queue ID) — typically a cut line. A cut
 * line that lost everything after the queue ID cannot be told from a line
 * with nothing to say and is skipped. A trailing CR and blanks are
 * dropped (CRLF files); empty lines are skipped. Cleanup's reject and
 * milter-reject lines give no DONE (the message never reaches qmgr, so it
 * has no recipient status either).
 *
 * Limits: lines longer than NS_MAX_LOG_LINE are malformed (logparse_line
 * checks it too; this file relies on it for its scratch buffer). A
 * message forwarded by local(8) ("forwarded as NEWQID") gets no ENTER:
 * it inherits the origin of the message it forwards, which a LogEvent
 * cannot say, so the importer sees NEWQID without an origin. A message
 * re-injected by a post-queue filter is entered from orig_client; its
 * sasl_username is logged only for the pre-filter queue ID, which carries
 * the same Message-ID.
 *
 * Speed: nothing is allocated per line (about 0.1-0.15 us a line on the
 * 2026 dev box, syslog prefix included). The strings an event points to
 * are copied, NUL-terminated, into one scratch buffer per parser (the
 * line is const and not NUL-terminated), and the server name into the
 * GString that logline_server() fills.
 *
 * Ownership: the state (scratch, server buffer) belongs to the LogParser
 * and is freed with it; events and their strings are (transfer none),
 * valid during the emit call only. */
#include <string.h>

#include "logparse-private.h" /* the parser's layout; calls go to logline.h */
#include "ndrsift/limits.h"

typedef enum {
	PF_OTHER,     /* a Postfix daemon that logs nothing we need */
	PF_SMTPD,
	PF_PICKUP,
	PF_CLEANUP,
	PF_QMGR,
	PF_DELIVERY,  /* the delivery agents: to= ..., status= */
	PF_BOUNCE,
	PF_POSTSUPER,
} PfDaemon;

typedef struct {
	GString *server;  /* logline_server()'s buffer */
	char *scratch;    /* the event strings of the current line */
	gsize used;
	gsize size;
} PfState;

/* Everything one line's events share. */
typedef struct {
	LogParser *p;
	PfState *s;
	const LogSyslogLine *sl;
	LogEmitFunc emit;
	gpointer user_data;
	const char *qid;  /* the line's queue ID, in scratch */
} PfLine;

/* Queue ID characters, looked up per byte: the test runs on the first
 * token of every Postfix line. */
enum { QID_SHORT = 1, QID_LONG = 2 };

#define QS QID_SHORT
#define QL QID_LONG
/* (GNU range designators; gnu11 is the project's dialect.) */
static const guint8 qid_class[256] = {
	['0' ... '9'] = QS | QL,
	['A'] = QS, ['B' ... 'D'] = QS | QL, ['E'] = QS, ['F'] = QS | QL,
	['G' ... 'H'] = QL, ['J' ... 'N'] = QL, ['P' ... 'T'] = QL, ['V' ... 'Z'] = QL,
	['b' ... 'd'] = QL, ['f' ... 'h'] = QL, ['j' ... 'n'] = QL, ['p' ... 't'] = QL, ['v' ... 'z'] = QL,
};
#undef QS
#undef QL

/* Short IDs are uppercase hex (microseconds and inode); long IDs
 * (enable_long_queue_ids) are base-52 time and inode digits, letters and
 * digits without vowels. "NOQUEUE", "warning" and "connect" are neither. */
static gboolean
is_queue_id (const char *t, gsize n)
{
	if (n < 5)
		return FALSE;
	guint8 k = QID_SHORT | QID_LONG;
	for (gsize i = 0; i < n; i++)
		k &= qid_class[(guchar) t[i]];
	return (k & QID_SHORT) || ((k & QID_LONG) && n >= 10);
}

static void
pf_state_free (gpointer data)
{
	PfState *s = data;
	g_string_free (s->server, TRUE);
	g_free (s->scratch);
	g_free (s);
}

static PfState *
pf_state (LogParser *p)
{
	if (p->state == NULL) {
		/* logparse_new() has no per-format hook: set up on first use. */
		PfState *s = g_new0 (PfState, 1);
		s->server = g_string_sized_new (64);
		/* The kept strings are disjoint pieces of one line, each plus a
		 * NUL, and there are at most four of them. */
		s->size = NS_MAX_LOG_LINE + 16;
		s->scratch = g_malloc (s->size);
		p->state = s;
		p->state_free = pf_state_free;
	}
	return p->state;
}

/* Copies n bytes at text into scratch, NUL-terminated. */
static const char *
keep (PfState *s, const char *text, gsize n)
{
	g_assert (s->used + n + 1 <= s->size);
	char *out = s->scratch + s->used;
	memcpy (out, text, n);
	out[n] = '\0';
	s->used += n + 1;
	return out;
}

/* The first occurrence of needle in [text, end), or NULL. memmem() is a
 * GNU extension; lines are short, so memchr on the first byte will do. */
static const char *
find (const char *text, const char *end, const char *needle, gsize nlen)
{
	while (text + nlen <= end) {
		const char *c = memchr (text, needle[0], end - text - nlen + 1);
		if (c == NULL)
			return NULL;
		if (memcmp (c, needle, nlen) == 0)
			return c;
		text = c + 1;
	}
	return NULL;
}

#define FIND(text, end, lit) find ((text), (end), "" lit, sizeof (lit) - 1)
#define STARTS(text, len, lit) ((len) >= sizeof (lit) - 1 && memcmp ((text), "" lit, sizeof (lit) - 1) == 0)

static gboolean
is_postfix_program (const char *prog, gsize n)
{
	/* "postfix/..." and instance names "postfix-out/...": the syslog_name
	 * starts with "postfix" and mail_task() appends "/daemon". The slash
	 * keeps out other programs that merely start with the word. */
	return n > 8 && memcmp (prog, "postfix", 7) == 0 && memchr (prog + 7, '/', n - 7) != NULL;
}

static PfDaemon
daemon_of (const char *prog, gsize n)
{
	static const struct {
		const char *name;
		gsize len;
		PfDaemon daemon;
	} daemons[] = {
#define D(name, daemon) { name, sizeof (name) - 1, daemon }
		D ("smtp", PF_DELIVERY), D ("smtpd", PF_SMTPD), D ("cleanup", PF_CLEANUP),
		D ("qmgr", PF_QMGR), D ("local", PF_DELIVERY), D ("lmtp", PF_DELIVERY),
		D ("virtual", PF_DELIVERY), D ("bounce", PF_BOUNCE), D ("pickup", PF_PICKUP),
		D ("pipe", PF_DELIVERY), D ("error", PF_DELIVERY), D ("retry", PF_DELIVERY),
		D ("discard", PF_DELIVERY), D ("postsuper", PF_POSTSUPER), D ("qmqpd", PF_SMTPD),
		/* Old and alternative queue managers. */
		D ("nqmgr", PF_QMGR), D ("oqmgr", PF_QMGR),
#undef D
	};
	const char *d = prog + n;
	while (d > prog && d[-1] != '/')
		d--;
	gsize dn = prog + n - d;
	for (guint i = 0; i < G_N_ELEMENTS (daemons); i++)
		if (daemons[i].len == dn && memcmp (daemons[i].name, d, dn) == 0)
			return daemons[i].daemon;
	return PF_OTHER;
}

static gboolean
malformed (const PfLine *l, GError **error, const char *why)
{
	g_set_error (error, LOGPARSE_ERROR, LOGPARSE_ERROR_MALFORMED, "%.*s: %s", (int) l->sl->program_len, l->sl->program,
	             why);
	return FALSE;
}

static void
emit (const PfLine *l, LogEvent *e)
{
	e->time = l->sl->time;
	e->server = logline_server (&l->p->line, l->sl, l->s->server);
	if (e->queue_id == NULL)
		e->queue_id = l->qid;
	if (l->emit)
		l->emit (e, l->user_data);
}

/* "<addr>" at v (just past "from=" or "to="): the address runs to the
 * first '>' that ends the field (followed by ',', a blank or the end of
 * the line), so a '>' inside a quoted local part does not cut it. Returns the end of
 * the address (at its '>'), or NULL when it is not closed. */
static const char *
bracketed_end (const char *v, const char *end)
{
	if (v >= end || *v != '<')
		return NULL;
	for (const char *q = v + 1; q < end; q++) {
		q = memchr (q, '>', end - q);
		if (q == NULL)
			return NULL;
		if (q + 1 == end || q[1] == ',' || q[1] == ' ')
			return q;
	}
	return NULL;
}

/* The address of "HOST[ADDR]" in [v, end). FALSE when there is no
 * bracketed part; *ip is NULL when the part is not an IP address
 * ("unknown[unknown]"). */
static gboolean
client_address (const PfLine *l, const char *v, const char *end, const char **ip)
{
	*ip = NULL;
	const char *lb = memchr (v, '[', end - v);
	if (lb == NULL)
		return FALSE;
	const char *rb = memchr (lb, ']', end - lb);
	if (rb == NULL)
		return FALSE;
	const char *a = lb + 1;
	if (STARTS (a, (gsize) (rb - a), "IPv6:"))
		a += 5;
	gsize n = rb - a;
	/* g_hostname_is_ip_address() wants a NUL-terminated string. */
	char tmp[64];
	if (n == 0 || n >= sizeof tmp)
		return TRUE;
	memcpy (tmp, a, n);
	tmp[n] = '\0';
	if (g_hostname_is_ip_address (tmp))
		*ip = keep (l->s, a, n);
	return TRUE;
}

static gboolean
smtpd_client (PfLine *l, const char *body, const char *end, GError **error)
{
	/* "client=HOST[IP][:PORT], sasl_method=M, sasl_username=U,
	 * sasl_sender=S, orig_queue_id=Q, orig_client=HOST[IP]": every field
	 * but the first is optional, always in this order, ", "-separated. */
	const char *v = body + 7;
	const char *vend = memchr (v, ',', end - v);
	if (vend == NULL)
		vend = end;
	LogEvent e = { .type = LOG_EVENT_ENTER, .origin = LOG_ORIGIN_UNKNOWN };
	if (!client_address (l, v, vend, &e.client_ip))
		return malformed (l, error, "client= without [address]");

	const char *oc = FIND (vend, end, ", orig_client=");
	if (oc != NULL) {
		/* A content filter re-injected the message: the connecting
		 * client is the filter (often 127.0.0.1, likely in [local]
		 * networks); where it really came from is orig_client. */
		const char *ov = oc + 14, *oend = memchr (ov, ',', end - ov);
		if (oend == NULL)
			oend = end;
		if (!client_address (l, ov, oend, &e.client_ip))
			return malformed (l, error, "orig_client= without [address]");
	}

	const char *su = FIND (vend, end, ", sasl_username=");
	if (su != NULL) {
		su += 16;
		if (su < end && *su != ',')
			e.origin = LOG_ORIGIN_AUTH;
	}
	emit (l, &e);
	return TRUE;
}

static gboolean
sender (PfLine *l, const char *body, const char *end, GError **error)
{
	const char *v = body + 5;
	const char *close = bracketed_end (v, end);
	if (close == NULL)
		return malformed (l, error, "from= without a closed <address>");
	LogEvent e = { .type = LOG_EVENT_SENDER };
	e.sender = keep (l->s, v + 1, close - v - 1);
	emit (l, &e);
	return TRUE;
}

static gboolean
recipient (PfLine *l, const char *body, const char *end, GError **error)
{
	const char *v = body + 3;
	const char *close = bracketed_end (v, end);
	if (close == NULL)
		return malformed (l, error, "to= without a closed <address>");
	if (close == v + 1)
		return malformed (l, error, "empty to=<>");
	const char *st = FIND (close, end, ", status=");
	if (st == NULL)
		return TRUE; /* not a delivery result */
	st += 9;
	const char *se = st;
	while (se < end && *se != ' ' && *se != ',' && *se != '(')
		se++;
	if (se == st)
		return malformed (l, error, "status= without a word");
	LogEvent e = { .type = LOG_EVENT_RECIPIENT };
	e.recipient = keep (l->s, v + 1, close - v - 1);
	e.status = keep (l->s, st, se - st);
	emit (l, &e);
	return TRUE;
}

static gboolean
notification (PfLine *l, const char *body, const char *end, GError **error)
{
	/* "sender non-delivery notification: Q", "sender delivery status
	 * notification: Q", "sender delay notification: Q", and the
	 * "postmaster ..." copies of notify_classes: each is a new message
	 * that our server wrote itself. */
	const char *n = FIND (body, end, " notification:");
	if (n == NULL)
		return TRUE;
	const char *q = n + 14, *qe = end;
	while (q < end && *q == ' ')
		q++;
	while (qe > q && g_ascii_isspace (qe[-1]))
		qe--;
	if (!is_queue_id (q, qe - q))
		return malformed (l, error, "notification without a valid new queue ID");
	LogEvent e = { .type = LOG_EVENT_ENTER, .origin = LOG_ORIGIN_LOCAL };
	e.queue_id = keep (l->s, q, qe - q);
	emit (l, &e);
	return TRUE;
}

static gboolean
is_removed (const char *body, const char *end)
{
	if (!STARTS (body, (gsize) (end - body), "removed"))
		return FALSE;
	for (const char *c = body + 7; c < end; c++)
		if (!g_ascii_isspace (*c))
			return FALSE;
	return TRUE;
}

static gboolean
postfix_line (LogParser *p, const char *line, gsize len, LogEmitFunc emit_func,
                       gpointer user_data, GError **error)
{
	if (len > NS_MAX_LOG_LINE) {
		g_set_error (error, LOGPARSE_ERROR, LOGPARSE_ERROR_TOO_LONG, "line longer than %d bytes", NS_MAX_LOG_LINE);
		return FALSE;
	}
	/* A CRLF file read line by line leaves the CR. */
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len == 0)
		return TRUE;

	LogSyslogLine sl;
	if (!logline_syslog (line, len, p->line.now, &p->line.last_classic, &sl)) {
		g_set_error (error, LOGPARSE_ERROR, LOGPARSE_ERROR_MALFORMED,
		             "not a syslog line (expected a time stamp, host and \"program[pid]:\")");
		return FALSE;
	}
	if (!is_postfix_program (sl.program, sl.program_len)) {
		/* another program's line in a shared log: a heartbeat or a
		 * syslog daemon's notice of lost lines, else nothing */
		logline_syslog_notice (&p->line, &sl, emit_func, user_data);
		return TRUE;
	}
	logline_seen (&p->line, sl.time, &sl, NULL);
	PfDaemon d = daemon_of (sl.program, sl.program_len);
	if (d == PF_OTHER)
		return TRUE;

	PfState *s = pf_state (p);
	s->used = 0;

	/* "QID: rest": the first token, then ": ". */
	const char *m = sl.message, *end = sl.message + sl.message_len;
	const char *t = m;
	while (t < end && g_ascii_isalnum (*t))
		t++;
	if (t >= end || *t != ':' || !is_queue_id (m, t - m))
		return TRUE; /* NOQUEUE, warning:, connect from, statistics, ... */
	const char *body = t + 1;
	if (body < end && *body == ' ')
		body++;
	gsize blen = end - body;

	PfLine l = { .p = p, .s = s, .sl = &sl, .emit = emit_func, .user_data = user_data };
	l.qid = keep (s, m, t - m);

	switch (d) {
	case PF_SMTPD:
		if (STARTS (body, blen, "client="))
			return smtpd_client (&l, body, end, error);
		return TRUE;
	case PF_PICKUP:
		if (STARTS (body, blen, "uid=")) {
			/* A message requeued with postsuper -r comes back through
			 * pickup as uid=0 with orig_id=: it was not submitted
			 * here, so it must not become LOCAL. */
			LogEvent e = { .type = LOG_EVENT_ENTER, .origin = LOG_ORIGIN_LOCAL };
			if (FIND (body, end, " orig_id=") != NULL)
				e.origin = LOG_ORIGIN_UNKNOWN;
			emit (&l, &e);
		}
		return TRUE;
	case PF_CLEANUP:
		/* Only "message-id=": "resent-message-id=" starts otherwise. */
		if (STARTS (body, blen, "message-id=")) {
			/* The rest of the line is the header value as written;
			 * cleanup logs an empty one for a message without. */
			const char *v = body + 11;
			while (v < end && *v == ' ')
				v++;
			if (v < end) {
				LogEvent e = { .type = LOG_EVENT_MESSAGE_ID };
				e.message_id = keep (s, v, end - v);
				emit (&l, &e);
			}
		}
		return TRUE;
	case PF_QMGR:
		if (STARTS (body, blen, "from="))
			return sender (&l, body, end, error);
		if (STARTS (body, blen, "to="))
			return recipient (&l, body, end, error);
		if (is_removed (body, end)) {
			LogEvent e = { .type = LOG_EVENT_DONE };
			emit (&l, &e);
		}
		return TRUE;
	case PF_DELIVERY:
		if (STARTS (body, blen, "to="))
			return recipient (&l, body, end, error);
		return TRUE;
	case PF_BOUNCE:
		if (STARTS (body, blen, "sender ") || STARTS (body, blen, "postmaster "))
			return notification (&l, body, end, error);
		return TRUE;
	case PF_POSTSUPER:
		if (is_removed (body, end)) {
			LogEvent e = { .type = LOG_EVENT_DONE };
			emit (&l, &e);
		}
		return TRUE;
	case PF_OTHER:
	default:
		return TRUE;
	}
}

static gboolean
postfix_detect (const char *head)
{
	/* Any of the first lines from a Postfix program will do: in a central
	 * syslog the first lines may well be the kernel's or cron's. */
	gint64 now = g_get_real_time () / G_USEC_PER_SEC;
	const char *l = head;
	for (int i = 0; i < 200 && *l; i++) {
		const char *nl = strchr (l, '\n');
		gsize n = nl ? (gsize) (nl - l) : strlen (l);
		LogSyslogLine sl;
		if (n <= NS_MAX_LOG_LINE && logline_syslog (l, n, now, NULL, &sl) &&
		    is_postfix_program (sl.program, sl.program_len))
			return TRUE;
		if (nl == NULL)
			break;
		l = nl + 1;
	}
	return FALSE;
}

const LogFormatOps logparse_postfix_ops = {
	.name = "postfix",
	.line = postfix_line,
	.detect = postfix_detect,
	.skipped = NULL,
};
