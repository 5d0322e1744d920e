/* milter — see milter.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "milter.h"
#include "ndrsift/limits.h"
#include "msg.h"
#include "output.h"

/* ---- the log --------------------------------------------------------------
 *
 * One write(2) a line, so that the lines of threads never mix. Under
 * systemd (stderr is the journal's stream: $JOURNAL_STREAM names its device
 * and inode) a line starts with sd-daemon(3)'s "<N>", which becomes the
 * entry's priority; the word follows in any case ("warning: ..."), for grep
 * and for a terminal. */
static gboolean log_journal;

/* msg.h's handler: the engine's notices (a missing sent log, unset
 * [local] keys) are lines of this log too, with their severity. */
static void
from_msg (MsgLevel level, const char *command, const char *text)
{
	milter_log (level == MSG_ERROR ? MILTER_ERR : level == MSG_WARNING ? MILTER_WARNING : MILTER_NOTICE, command,
	            "%s", text);
}

void
milter_log_init (void)
{
	msg_set_handler (from_msg);
	const char *stream = g_getenv ("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	log_journal = stream && sscanf (stream, "%llu:%llu", &dev, &ino) == 2 &&
	              fstat (STDERR_FILENO, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

void
milter_log (MilterLevel level, const char *who, const char *fmt, ...)
{
	va_list ap;
	va_start (ap, fmt);
	g_autofree char *text = g_strdup_vprintf (fmt, ap);
	va_end (ap);
	g_autofree char *safe = output_escape (text);
	g_autoptr (GString) line = g_string_new (NULL);
	if (log_journal)
		g_string_append_printf (line, "<%d>", level);
	else
		g_string_append (line, "ndrsift: milter: ");
	g_string_append (line, level <= MILTER_ERR ? "error: " : level == MILTER_WARNING ? "warning: "
	                       : level == MILTER_NOTICE ? "notice: " : "info: ");
	if (who) {
		g_autofree char *safe_who = output_escape (who);
		g_string_append_printf (line, "%s: ", safe_who);
	}
	g_string_append (line, safe);
	g_string_append_c (line, '\n');
	for (gsize done = 0; done < line->len;) {
		ssize_t n = write (STDERR_FILENO, line->str + done, line->len - done);
		if (n <= 0)
			break; /* nowhere to say it */
		done += n;
	}
}

/* ---- what the callbacks share ------------------------------------------- */

/* Message bytes are counted against NS_MILTER_MAX_HELD_BYTES in chunks. */
#define HELD_CHUNK (64u * 1024)
#define HELD_CHUNKS ((gint) (NS_MILTER_MAX_HELD_BYTES / HELD_CHUNK))

static struct {
	GMutex lock;          /* engine, stopping */
	Engine *engine;       /* in force */
	gint stopping;
	GThreadPool *pool;
	gint in_eom;          /* end-of-message callbacks under way */
	gint connections;     /* connections being judged */
	gint numbers;         /* connections numbered since start */
	gint held;            /* HELD_CHUNKs held by messages */
} m;

Engine *
milter_engine (void)
{
	g_mutex_lock (&m.lock);
	Engine *e = m.engine ? engine_ref (m.engine) : NULL;
	g_mutex_unlock (&m.lock);
	return e;
}

gboolean
milter_swap_engine (Engine *engine)
{
	g_mutex_lock (&m.lock);
	if (m.stopping) {
		g_mutex_unlock (&m.lock);
		engine_unref (engine);
		return FALSE;
	}
	Engine *old = m.engine;
	m.engine = engine;
	g_mutex_unlock (&m.lock);
	engine_unref (old);
	return TRUE;
}

static gboolean
stopping (void)
{
	return g_atomic_int_get (&m.stopping) != 0;
}

static void
release (gint *chunks)
{
	if (*chunks)
		g_atomic_int_add (&m.held, -*chunks);
	*chunks = 0;
}

/* ---- a judgement: the message handed to a worker --------------------------
 *
 * Reference-counted: the connection's thread waits for it until the
 * deadline; past it, it lets go and the worker finishes alone (or skips
 * the work if it had not begun) and drops the result. */
typedef struct {
	gint refs;
	GMutex lock;
	GCond cond;
	gboolean done;
	gint abandoned;        /* the waiter let go: drop the result */
	Engine *engine;
	GBytes *bytes;
	gint chunks;           /* HELD_CHUNKs of the bytes */
	gboolean truncated;
	GPtrArray *rcpts;      /* char*: distinct envelope recipients */
	gboolean rcpts_cut;    /* more than NS_MILTER_MAX_RECIPIENTS */
	gint64 arrival;        /* now, by our clock */
	/* The outcome, written before done: */
	gboolean judged;
	VerdictClass verdict;
	BounceKind kind;
	char *header;          /* the verdict header's value */
	char *tests;           /* "A,B" */
	gboolean act;          /* forged for every recipient: reject or hold */
} Job;

static Job *
job_ref (Job *job)
{
	g_atomic_int_inc (&job->refs);
	return job;
}

static void
job_unref (Job *job)
{
	if (job == NULL || !g_atomic_int_dec_and_test (&job->refs))
		return;
	if (job->bytes)
		g_bytes_unref (job->bytes);
	release (&job->chunks);
	engine_unref (job->engine);
	g_ptr_array_unref (job->rcpts);
	g_free (job->header);
	g_free (job->tests);
	g_mutex_clear (&job->lock);
	g_cond_clear (&job->cond);
	g_free (job);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Job, job_unref)

/* How far a verdict trusts the bounce: the lowest wins among recipients. */
static int
distrust (VerdictClass v)
{
	switch (v) {
	case VERDICT_LEGIT: return 0;
	case VERDICT_NONE: return 1;
	case VERDICT_UNKNOWN: return 2;
	case VERDICT_ERROR: return 3;
	case VERDICT_FORGED: return 4;
	}
	return 3;
}

static void
judge (Job *job)
{
	guint n = MAX (job->rcpts->len, 1);
	g_autoptr (Verdict) best = NULL;
	gboolean every_forged = TRUE;
	guint i;
	for (i = 0; i < n && !g_atomic_int_get (&job->abandoned); i++) {
		VerdictEnvelope env = {
			.recipient = job->rcpts->len ? g_ptr_array_index (job->rcpts, i) : NULL,
			.arrival = job->arrival,
		};
		/* The last judgement parses the bytes in place (no copy). */
		GBytes *bytes = i + 1 == n ? g_steal_pointer (&job->bytes) : g_bytes_ref (job->bytes);
		Verdict *v = engine_judge (job->engine, bytes, job->truncated, &env);
		every_forged &= v->verdict == VERDICT_FORGED;
		if (best == NULL || distrust (v->verdict) < distrust (best->verdict)) {
			verdict_free (g_steal_pointer (&best));
			best = v;
		} else {
			verdict_free (v);
		}
		if (distrust (best->verdict) <= distrust (VERDICT_NONE))
			break; /* none is more trusting */
	}
	if (best == NULL)
		return;
	job->judged = TRUE;
	job->verdict = best->verdict;
	job->kind = best->bounce ? best->bounce->kind : BOUNCE_KIND_NONE;
	job->header = engine_header_value (job->engine, best);
	job->tests = verdict_tests_join (best, "");
	job->act = every_forged && i == n && !job->rcpts_cut;
}

/* A worker's task. */
static void
job_work (gpointer data, gpointer unused)
{
	Job *job = data;
	(void) unused;
	if (!g_atomic_int_get (&job->abandoned))
		judge (job);
	/* The bytes are freed by the thread that parsed them. */
	if (job->bytes)
		g_bytes_unref (g_steal_pointer (&job->bytes));
	release (&job->chunks);
	g_mutex_lock (&job->lock);
	job->done = TRUE;
	g_cond_signal (&job->cond);
	g_mutex_unlock (&job->lock);
	job_unref (job);
}

/* Hands job to a worker and waits for it until deadline_ms from now.
 * Returns: NULL when it was judged, else why not. */
static const char *
judge_in_time (Job *job, int deadline_ms)
{
	gint64 until = g_get_monotonic_time () + (gint64) deadline_ms * 1000;
	if (g_thread_pool_unprocessed (m.pool) >= NS_MILTER_MAX_QUEUE)
		return "busy";
	if (!g_thread_pool_push (m.pool, job_ref (job), NULL)) {
		job_unref (job);
		return "thread";
	}
	g_mutex_lock (&job->lock);
	while (!job->done && g_cond_wait_until (&job->cond, &job->lock, until))
		;
	gboolean done = job->done;
	if (!done)
		g_atomic_int_set (&job->abandoned, 1);
	g_mutex_unlock (&job->lock);
	if (!done)
		return "deadline";
	return job->judged ? NULL : "internal";
}

/* ---- a connection, and the message it carries ---------------------------- */

typedef struct {
	guint number;
	char *client;          /* "[192.0.2.7]" */
	char *label;           /* "#12 [192.0.2.7]": who, until there is a queue ID */
	gboolean counted;      /* one of m.connections */
	const char *unjudged_conn; /* why no message of it is judged: "ours"
	                              (submission), "busy" (past the limit) */
	unsigned long no_reply; /* SMFIP_NR_* negotiated */
	/* The message; engine NULL: the milter lets it through untouched. */
	Engine *engine;
	gboolean judge;        /* else only the sender's verdict headers go */
	char *queue_id;
	gboolean null_sender;
	GPtrArray *rcpts;
	gboolean rcpts_cut;
	GByteArray *bytes;     /* as received, CRLF; NULL once dropped */
	gint chunks;
	gboolean truncated;    /* more than NS_MAX_MESSAGE_BYTES came */
	const char *unjudged;  /* why it cannot be judged */
	guint preset;          /* verdict headers the sender set */
} Connection;

static const char *
who (const Connection *c)
{
	return c->queue_id ? c->queue_id : c->label;
}

static void
message_clear (Connection *c)
{
	g_clear_pointer (&c->engine, engine_unref);
	g_clear_pointer (&c->queue_id, g_free);
	g_clear_pointer (&c->rcpts, g_ptr_array_unref);
	if (c->bytes)
		g_byte_array_unref (g_steal_pointer (&c->bytes));
	release (&c->chunks);
	c->judge = c->null_sender = c->rcpts_cut = c->truncated = FALSE;
	c->unjudged = NULL;
	c->preset = 0;
}

static void
note_queue_id (SMFICTX *ctx, Connection *c)
{
	const char *id = c->queue_id ? NULL : smfi_getsymval (ctx, (char *) "i");
	if (id && *id)
		c->queue_id = g_strdup (id);
}

/* The bytes of the message: at most NS_MAX_MESSAGE_BYTES are kept and
 * judged (filter cuts it there too), while the shared budget lasts. */
static void
keep (Connection *c, const void *data, gsize len)
{
	if (c->bytes == NULL)
		return;
	gsize room = NS_MAX_MESSAGE_BYTES - c->bytes->len;
	if (len > room) {
		len = room;
		c->truncated = TRUE;
	}
	while ((gsize) c->chunks * HELD_CHUNK < c->bytes->len + len) {
		if (g_atomic_int_add (&m.held, 1) >= HELD_CHUNKS) {
			g_atomic_int_add (&m.held, -1);
			g_byte_array_unref (g_steal_pointer (&c->bytes));
			release (&c->chunks);
			c->unjudged = "memory";
			return;
		}
		c->chunks++;
	}
	g_byte_array_append (c->bytes, data, len);
}

/* A header field as it was on the wire: "Name: value", lines ending in
 * CRLF like the body's (libmilter gives folds as bare LF or CRLF). */
static void
keep_header (Connection *c, const char *name, const char *value)
{
	g_autoptr (GString) s = g_string_sized_new (strlen (name) + strlen (value) + 8);
	g_string_append (s, name);
	g_string_append (s, ": ");
	for (const char *p = value; *p; p++) {
		if (*p == '\n' && (p == value || p[-1] != '\r'))
			g_string_append_c (s, '\r');
		g_string_append_c (s, *p);
	}
	g_string_append (s, "\r\n");
	keep (c, s->str, s->len);
}

static gboolean
listed (char **values, const char *value)
{
	return value && *value && values && g_strv_contains ((const char *const *) values, value);
}

/* "<>", "", "< >": the null sender. */
static gboolean
null_address (const char *arg)
{
	if (arg == NULL)
		return TRUE;
	g_autofree char *a = g_strstrip (g_strdup (arg));
	gsize n = strlen (a);
	if (n >= 2 && a[0] == '<' && a[n - 1] == '>')
		return strspn (a + 1, " \t") == n - 2;
	return n == 0;
}

static char *
bare_address (const char *arg)
{
	g_autofree char *a = g_strstrip (g_strdup (arg ? arg : ""));
	gsize n = strlen (a);
	if (n >= 2 && a[0] == '<' && a[n - 1] == '>')
		return g_strndup (a + 1, n - 2);
	return g_steal_pointer (&a);
}

static char *
client_text (const char *hostname, const struct sockaddr *addr)
{
	char text[INET6_ADDRSTRLEN] = "";
	if (addr && addr->sa_family == AF_INET)
		inet_ntop (AF_INET, &((const struct sockaddr_in *) addr)->sin_addr, text, sizeof text);
	else if (addr && addr->sa_family == AF_INET6)
		inet_ntop (AF_INET6, &((const struct sockaddr_in6 *) addr)->sin6_addr, text, sizeof text);
	return g_strdup_printf ("[%s]", *text ? text : hostname && *hostname ? hostname : "unknown");
}

static sfsistat
reply (const Connection *c, unsigned long no_reply_bit)
{
	return c && (c->no_reply & no_reply_bit) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* A macro name that no MTA defines. */
#define NO_MACRO "{ndrsift_none}"

/* ---- the callbacks --------------------------------------------------------
 *
 * Every one is registered: the MTA (and miltertest) only goes on through
 * the protocol with a filter that has them all; the steps not needed are
 * turned off in on_negotiate. */

static sfsistat
on_negotiate (SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2, unsigned long f3,
              unsigned long *pf0, unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void) f2;
	(void) f3;
	Connection *c = g_new0 (Connection, 1);
	smfi_setpriv (ctx, c);
	/* Counted here, not at connect: the MTA waits for this reply but not
	 * for connect's (SMFIP_NR_CONN), and libmilter may run a later
	 * connection's connect before an earlier one's, so a count taken
	 * there could let one past the limit. */
	if (g_atomic_int_add (&m.connections, 1) >= NS_MILTER_MAX_CONNECTIONS)
		g_atomic_int_add (&m.connections, -1);
	else
		c->counted = TRUE;
	/* Only what it does: add and remove the verdict header, hold a message;
	 * and ask for the macros it reads. */
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST);
	/* No HELO, no DATA, no unknown commands. No reply but to the end of
	 * the message: before it, the answer is never anything but "continue",
	 * and each reply is a round trip the MTA waits for (libmilter answers
	 * for us to an MTA that needs one). So no "skip" to a body chunk
	 * either: the bytes past NS_MAX_MESSAGE_BYTES still come, and go. */
	const unsigned long no_reply = SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR |
	                               SMFIP_NR_EOH | SMFIP_NR_BODY;
	*pf1 = f1 & (SMFIP_NOHELO | SMFIP_NODATA | SMFIP_NOUNKNOWN | no_reply);
	*pf2 = *pf3 = 0;
	c->no_reply = *pf1 & no_reply;
	if (*pf0 & SMFIF_SETSYMLIST) {
		/* Postfix sends {daemon_port} only when asked; the queue ID is
		 * read at the end of the message, the only step that logs it.
		 * The other steps get a macro no MTA defines (an empty list
		 * would mean the MTA's defaults): Postfix sends the end of
		 * header's macros before every header field, and those of HELO
		 * and DATA though the steps are off, so each would carry the
		 * queue ID or the TLS details for nothing. */
		smfi_setsymlist (ctx, SMFIM_CONNECT, (char *) "{daemon_name} {daemon_port}");
		smfi_setsymlist (ctx, SMFIM_HELO, (char *) NO_MACRO);
		smfi_setsymlist (ctx, SMFIM_ENVFROM, (char *) "{auth_authen}");
		smfi_setsymlist (ctx, SMFIM_ENVRCPT, (char *) "{rcpt_addr}");
		smfi_setsymlist (ctx, SMFIM_DATA, (char *) NO_MACRO);
		smfi_setsymlist (ctx, SMFIM_EOH, (char *) NO_MACRO);
		smfi_setsymlist (ctx, SMFIM_EOM, (char *) "i");
	}
	return SMFIS_CONTINUE;
}

static sfsistat
on_connect (SMFICTX *ctx, char *hostname, _SOCK_ADDR *addr)
{
	Connection *c = smfi_getpriv (ctx);
	if (c == NULL) { /* an MTA that does not negotiate: counted here */
		c = g_new0 (Connection, 1);
		smfi_setpriv (ctx, c);
		if (g_atomic_int_add (&m.connections, 1) >= NS_MILTER_MAX_CONNECTIONS)
			g_atomic_int_add (&m.connections, -1);
		else
			c->counted = TRUE;
	}
	c->number = (guint) g_atomic_int_add (&m.numbers, 1) + 1;
	c->client = client_text (hostname, addr);
	c->label = g_strdup_printf ("#%u %s", c->number, c->client);
	g_autoptr (Engine) engine = milter_engine ();
	if (engine == NULL)
		return reply (c, SMFIP_NR_CONN); /* stopping: nothing is judged */
	/* Our users' submission service: their own outbound mail. Its
	 * messages, like those past the limit, are not judged; they still
	 * lose the sender's verdict headers (a header costs no memory). */
	const Config *config = engine_config (engine);
	if (listed (config->milter_submission_ports, smfi_getsymval (ctx, (char *) "{daemon_port}")) ||
	    listed (config->milter_submission_daemons, smfi_getsymval (ctx, (char *) "{daemon_name}"))) {
		c->unjudged_conn = "ours";
		if (c->counted)
			g_atomic_int_add (&m.connections, -1);
		c->counted = FALSE;
	} else if (!c->counted) {
		c->unjudged_conn = "busy";
		milter_log (MILTER_WARNING, c->label,
		            "%d connections are being judged already: this one goes on unjudged",
		            NS_MILTER_MAX_CONNECTIONS);
	}
	return reply (c, SMFIP_NR_CONN);
}

static sfsistat
on_helo (SMFICTX *ctx, char *name)
{
	(void) ctx;
	(void) name;
	return SMFIS_CONTINUE;
}

static sfsistat
on_envfrom (SMFICTX *ctx, char **argv)
{
	Connection *c = smfi_getpriv (ctx);
	if (c == NULL)
		return SMFIS_CONTINUE;
	message_clear (c);
	c->engine = milter_engine ();
	if (c->engine == NULL)
		return reply (c, SMFIP_NR_MAIL); /* stopping: let it through untouched */
	/* An authenticated client: our own user's outbound mail. */
	const char *auth = smfi_getsymval (ctx, (char *) "{auth_authen}");
	if (c->unjudged_conn || (auth && *auth))
		return reply (c, SMFIP_NR_MAIL);
	c->judge = TRUE;
	c->null_sender = null_address (argv ? argv[0] : NULL);
	c->rcpts = g_ptr_array_new_with_free_func (g_free);
	c->bytes = g_byte_array_new ();
	note_queue_id (ctx, c);
	return reply (c, SMFIP_NR_MAIL);
}

static sfsistat
on_envrcpt (SMFICTX *ctx, char **argv)
{
	Connection *c = smfi_getpriv (ctx);
	if (c && c->judge) {
		const char *macro = smfi_getsymval (ctx, (char *) "{rcpt_addr}");
		g_autofree char *addr = macro && *macro ? g_strdup (macro) : bare_address (argv ? argv[0] : NULL);
		if (*addr && !g_ptr_array_find_with_equal_func (c->rcpts, addr, g_str_equal, NULL)) {
			if (c->rcpts->len < NS_MILTER_MAX_RECIPIENTS)
				g_ptr_array_add (c->rcpts, g_steal_pointer (&addr));
			else
				c->rcpts_cut = TRUE;
		}
	}
	return reply (c, SMFIP_NR_RCPT);
}

static sfsistat
on_data (SMFICTX *ctx)
{
	Connection *c = smfi_getpriv (ctx);
	if (c && c->engine)
		note_queue_id (ctx, c);
	return reply (c, SMFIP_NR_DATA);
}

static sfsistat
on_header (SMFICTX *ctx, char *name, char *value)
{
	Connection *c = smfi_getpriv (ctx);
	if (c && c->engine) {
		/* Judged as it came, the sender's verdict too (as filter does). */
		if (g_ascii_strcasecmp (name, engine_config (c->engine)->verdict_header) == 0)
			c->preset++;
		if (c->judge)
			keep_header (c, name, value);
	}
	return reply (c, SMFIP_NR_HDR);
}

static sfsistat
on_eoh (SMFICTX *ctx)
{
	Connection *c = smfi_getpriv (ctx);
	if (c && c->engine) {
		note_queue_id (ctx, c);
		if (c->judge)
			keep (c, "\r\n", 2);
	}
	return reply (c, SMFIP_NR_EOH);
}

static sfsistat
on_body (SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	Connection *c = smfi_getpriv (ctx);
	if (c && c->engine && c->judge)
		keep (c, chunk, len);
	return reply (c, SMFIP_NR_BODY);
}

/* The header value on one line, for the log. */
static char *
unfold (const char *value)
{
	g_auto (GStrv) lines = g_strsplit (value, "\n\t", -1);
	return g_strjoinv (" ", lines);
}

/* The rule names of a verdict for an SMTP reply: names only, cut short. */
static char *
reply_tests (const char *tests)
{
	g_autoptr (GString) s = g_string_new (NULL);
	for (const char *p = tests; *p && s->len < 200; p++)
		if (g_ascii_isalnum (*p) || *p == '_' || *p == ',')
			g_string_append_c (s, *p);
	if (s->len >= 200)
		g_string_append (s, ",...");
	return g_string_free (g_steal_pointer (&s), FALSE);
}

/* The sender's verdict headers go. libmilter counts fields of one name
 * from 1, in header order (any case): removed from the last, the numbers
 * of the others stay. */
static void
remove_preset (SMFICTX *ctx, const Connection *c, const char *name)
{
	for (guint i = c->preset; i > 0; i--)
		if (smfi_chgheader (ctx, (char *) name, (int) i, NULL) != MI_SUCCESS)
			milter_log (MILTER_WARNING, who (c), "could not remove the sender's %s field %u", name, i);
}

/* The end of the message: judge, then do what [milter] action says. */
static sfsistat
finish (SMFICTX *ctx, Connection *c)
{
	note_queue_id (ctx, c);
	const Config *config = engine_config (c->engine);
	const char *name = config->verdict_header;
	if (!c->judge) {
		remove_preset (ctx, c, name);
		return SMFIS_CONTINUE;
	}
	g_autoptr (Job) job = NULL;
	const char *why = c->unjudged;
	if (why == NULL && stopping ())
		why = "stopping";
	if (why == NULL) {
		job = g_new0 (Job, 1);
		job->refs = 1;
		g_mutex_init (&job->lock);
		g_cond_init (&job->cond);
		job->engine = engine_ref (c->engine);
		job->bytes = g_byte_array_free_to_bytes (g_steal_pointer (&c->bytes));
		job->chunks = c->chunks;
		c->chunks = 0;
		job->truncated = c->truncated;
		job->rcpts = g_steal_pointer (&c->rcpts);
		job->rcpts_cut = c->rcpts_cut;
		job->arrival = g_get_real_time () / G_USEC_PER_SEC;
		why = judge_in_time (job, config->milter_deadline_ms);
	}

	/* Whatever happens next, the sender's verdict headers go. */
	remove_preset (ctx, c, name);

	const char *rcpt = job && job->rcpts->len ? g_ptr_array_index (job->rcpts, 0) : "";
	if (why) {
		g_autofree char *value = g_strdup_printf ("error; reason=%s", why);
		g_autofree char *what = strcmp (why, "deadline") == 0
			? g_strdup_printf ("not judged in %d ms", config->milter_deadline_ms)
			: g_strdup_printf ("not judged (%s)", why);
		milter_log (MILTER_WARNING, who (c), "%s: goes on%s%s", what, c->null_sender ? " with " : "",
		            c->null_sender ? value : "");
		if (c->null_sender && smfi_insheader (ctx, 0, (char *) name, value) != MI_SUCCESS)
			milter_log (MILTER_WARNING, who (c), "could not insert the %s field", name);
		return SMFIS_CONTINUE;
	}
	if (!c->null_sender && job->kind == BOUNCE_KIND_NONE)
		return SMFIS_CONTINUE; /* ordinary mail: no header */

	g_autofree char *line = unfold (job->header);
	const char *more = job->rcpts->len > 1 ? " (and others)" : "";
	if (job->act && config->milter_action == CONFIG_MILTER_REJECT && job->kind != BOUNCE_KIND_FEEDBACK &&
	    job->kind != BOUNCE_KIND_MDN) {
		/* Feedback reports and read receipts are never rejected: a
		 * feedback loop unsubscribes an address that rejects. */
		g_autofree char *tests = reply_tests (job->tests);
		g_autofree char *text = g_strdup_printf ("Backscatter: this bounce is of mail not sent from here (%s)", tests);
		smfi_setreply (ctx, (char *) "550", (char *) "5.7.1", text);
		milter_log (MILTER_INFO, who (c), "to=<%s>%s client=%s: %s: rejected", rcpt, more, c->client, line);
		return SMFIS_REJECT;
	}
	const char *done = "tagged";
	if (job->act && config->milter_action == CONFIG_MILTER_QUARANTINE) {
		g_autofree char *reason = g_strdup_printf ("ndrsift: %s", line);
		if (smfi_quarantine (ctx, reason) == MI_SUCCESS)
			done = "held";
		else
			milter_log (MILTER_WARNING, who (c), "the MTA would not hold the message: tagged only");
	}
	if (smfi_insheader (ctx, 0, (char *) name, job->header) != MI_SUCCESS)
		milter_log (MILTER_WARNING, who (c), "could not insert the %s field", name);
	milter_log (MILTER_INFO, who (c), "to=<%s>%s client=%s: %s: %s", rcpt, more, c->client, line, done);
	return SMFIS_CONTINUE;
}

static sfsistat
on_eom (SMFICTX *ctx)
{
	Connection *c = smfi_getpriv (ctx);
	if (c == NULL || c->engine == NULL)
		return SMFIS_CONTINUE;
	/* milter_stop waits for this count to drop: it goes up before the
	 * check of stopping, which it sets before it reads the count. */
	g_atomic_int_inc (&m.in_eom);
	sfsistat r = finish (ctx, c);
	message_clear (c);
	g_atomic_int_add (&m.in_eom, -1);
	return r;
}

static sfsistat
on_abort (SMFICTX *ctx)
{
	Connection *c = smfi_getpriv (ctx);
	if (c)
		message_clear (c);
	return SMFIS_CONTINUE;
}

static sfsistat
on_close (SMFICTX *ctx)
{
	Connection *c = smfi_getpriv (ctx);
	if (c == NULL)
		return SMFIS_CONTINUE;
	message_clear (c);
	if (c->counted)
		g_atomic_int_add (&m.connections, -1);
	g_free (c->client);
	g_free (c->label);
	g_free (c);
	smfi_setpriv (ctx, NULL);
	return SMFIS_CONTINUE;
}

static sfsistat
on_unknown (SMFICTX *ctx, const char *command)
{
	(void) ctx;
	(void) command;
	return SMFIS_CONTINUE;
}

static struct smfiDesc description = {
	.xxfi_name = (char *) "ndrsift",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST,
	.xxfi_connect = on_connect,
	.xxfi_helo = on_helo,
	.xxfi_envfrom = on_envfrom,
	.xxfi_envrcpt = on_envrcpt,
	.xxfi_header = on_header,
	.xxfi_eoh = on_eoh,
	.xxfi_body = on_body,
	.xxfi_eom = on_eom,
	.xxfi_abort = on_abort,
	.xxfi_close = on_close,
	.xxfi_unknown = on_unknown,
	.xxfi_data = on_data,
	.xxfi_negotiate = on_negotiate,
};

const struct smfiDesc *
milter_description (void)
{
	return &description;
}

/* ---- start and stop ------------------------------------------------------- */

void
milter_start (Engine *engine)
{
	m.engine = engine;
	int workers = CLAMP ((int) g_get_num_processors (), 2, NS_MILTER_MAX_WORKERS);
	/* Exclusive: the workers live as long as the pool, and with them each
	 * one's sent-log connection. */
	m.pool = g_thread_pool_new (job_work, NULL, workers, TRUE, NULL);
}

void
milter_stop (void)
{
	g_mutex_lock (&m.lock);
	g_atomic_int_set (&m.stopping, 1);
	g_mutex_unlock (&m.lock);
	/* Each message being judged is answered by its deadline. */
	gint64 until = g_get_monotonic_time () + (gint64) (NS_MAX_DEADLINE_MS + 1000) * 1000;
	while (g_atomic_int_get (&m.in_eom) > 0 && g_get_monotonic_time () < until)
		g_usleep (10 * 1000);
	if (m.pool)
		g_thread_pool_free (g_steal_pointer (&m.pool), FALSE, TRUE);
	g_mutex_lock (&m.lock);
	Engine *e = g_steal_pointer (&m.engine);
	g_mutex_unlock (&m.lock);
	engine_unref (e);
}
