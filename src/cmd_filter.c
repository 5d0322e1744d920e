/* filter — one message on stdin, the same message plus the verdict header
 * on stdout, for procmail (:0 fw), maildrop (xfilter) and Sieve (filter).
 *
 * It never loses mail: whatever fails (config, rules, sent log, parse, the
 * deadline), the input is written back unchanged but for the header
 * (`error; reason=...`), and the exit status is 0, because all three
 * delivery agents treat a non-zero exit as a failed filter. Output is
 * never empty. The judgement runs in a worker thread; past [filter]
 * deadline_ms the main thread writes the input back and exits without
 * waiting for it.
 *
 * The output is the input byte for byte, with the header inserted as the
 * first header field (after a leading mbox "From " line) in the input's
 * own line ending, and every field of the header's name removed from the
 * input's top-level header so that a sender cannot pre-set the verdict. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ndrsift/commands.h"
#include "ndrsift/limits.h"
#include "ndrsift/verdict.h"

typedef struct {
	GMutex lock;
	GCond done_cond;
	gboolean done;
	const VerdictContext *ctx;
	GBytes *input;
	char *value;          /* the header value, set by the worker */
} Job;

/* The first line end of the input: "\r\n", "\n" or "\r" (default "\n"). */
static const char *
line_end_of (const guint8 *p, gsize n)
{
	for (gsize i = 0; i < n; i++) {
		if (p[i] == '\n')
			return "\n";
		if (p[i] == '\r')
			return i + 1 < n && p[i + 1] == '\n' ? "\r\n" : "\r";
	}
	return "\n";
}

/* Offset of the next line start after pos, or n: LF, CRLF and a lone CR
 * each end one line. */
static gsize
next_line (const guint8 *p, gsize n, gsize pos)
{
	while (pos < n && p[pos] != '\n' && p[pos] != '\r')
		pos++;
	if (pos < n && p[pos] == '\r') {
		pos++;
		if (pos < n && p[pos] == '\n')
			pos++;
	} else if (pos < n)
		pos++;
	return pos;
}

static gboolean
write_all (const void *data, gsize n)
{
	return n == 0 || fwrite (data, 1, n, stdout) == n;
}

/* Writes input with the header "name: value" inserted (value's "\n"
 * become the input's line end). */
static void
write_output (GBytes *input, const char *name, const char *value)
{
	gsize n = 0;
	const guint8 *p = input ? g_bytes_get_data (input, &n) : NULL;
	const char *eol = line_end_of (p, n);
	gsize pos = 0;

	if (n >= 5 && memcmp (p, "From ", 5) == 0) {
		pos = next_line (p, n, 0);
		write_all (p, pos);
	}
	g_auto (GStrv) lines = g_strsplit (value, "\n", -1);
	g_autofree char *joined = g_strjoinv (eol, lines);
	fprintf (stdout, "%s: %s%s", name, joined, eol);

	/* The top-level header, without fields of our name. */
	gsize name_len = strlen (name);
	gboolean dropping = FALSE;
	while (pos < n) {
		gsize end = next_line (p, n, pos);
		gboolean blank = p[pos] == '\n' || p[pos] == '\r';
		if (blank)
			break;
		gboolean continuation = p[pos] == ' ' || p[pos] == '\t';
		if (!continuation) {
			gsize k = name_len;
			dropping = end - pos > name_len && g_ascii_strncasecmp ((const char *) p + pos, name, name_len) == 0;
			while (dropping && pos + k < end && (p[pos + k] == ' ' || p[pos + k] == '\t'))
				k++;
			dropping = dropping && pos + k < end && p[pos + k] == ':';
		}
		if (!dropping)
			write_all (p + pos, end - pos);
		pos = end;
	}
	write_all (p + pos, n - pos);
	fflush (stdout);
}

static gpointer
judge (gpointer data)
{
	Job *job = data;
	/* The parser reads at most NS_MAX_MESSAGE_BYTES and copies what it is
	 * given (the input stays ours to write back): give it only that. */
	gsize n = g_bytes_get_size (job->input);
	gboolean cut = n > NS_MAX_MESSAGE_BYTES;
	GBytes *head = cut ? g_bytes_new_from_bytes (job->input, 0, NS_MAX_MESSAGE_BYTES) : g_bytes_ref (job->input);
	g_autoptr (Verdict) v = verdict_judge (job->ctx, head, cut);
	if (rules_count (verdict_context_rules (job->ctx)) == 0) {
		v->verdict = VERDICT_ERROR;
		v->error = g_strdup ("no-rules");
	}
	char *value = verdict_header_value (v, verdict_context_config (job->ctx)->verdict_header);
	g_mutex_lock (&job->lock);
	job->value = value;
	job->done = TRUE;
	g_cond_signal (&job->done_cond);
	g_mutex_unlock (&job->lock);
	return NULL;
}

static GBytes *
read_stdin (void)
{
	GByteArray *a = g_byte_array_new ();
	guint8 buf[65536];
	ssize_t n;
	while ((n = read (STDIN_FILENO, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break; /* what was read is still written back */
		}
		g_byte_array_append (a, buf, n);
	}
	return g_byte_array_free_to_bytes (a);
}

int
cmd_filter_failsafe (const char *header, const char *reason)
{
	signal (SIGPIPE, SIG_IGN);
	g_autoptr (GBytes) input = read_stdin ();
	g_autofree char *value = g_strdup_printf ("error; reason=%s", reason);
	write_output (input, header ? header : "X-NDR-Verdict", value);
	return EXIT_OK;
}

int
cmd_filter (const Config *config, int argc, char **argv)
{
	g_autoptr (GOptionContext) oc = g_option_context_new (
		"- read one message on stdin, write it with the verdict header to stdout");
	g_autoptr (GError) error = NULL;
	if (!g_option_context_parse (oc, &argc, &argv, &error) || argc != 1) {
		command_error ("filter", "%s", error ? error->message : "reads standard input only");
		return EXIT_USAGE;
	}
	/* A reader that went away must not kill us mid-write with SIGPIPE. */
	signal (SIGPIPE, SIG_IGN);
	gint64 deadline = g_get_monotonic_time () + (gint64) config->deadline_ms * 1000;

	g_autoptr (GBytes) input = read_stdin ();
	g_autoptr (VerdictContext) ctx = verdict_context_new (config, &error);
	if (ctx == NULL) {
		g_autofree char *m = g_strdup (error->message);
		command_error ("filter", "%s", m);
		write_output (input, config->verdict_header, "error; reason=rules");
		return EXIT_OK;
	}

	Job *job = g_new0 (Job, 1);
	g_mutex_init (&job->lock);
	g_cond_init (&job->done_cond);
	job->ctx = ctx;
	job->input = g_bytes_ref (input);
	GThread *worker = g_thread_try_new ("judge", judge, job, &error);
	if (worker == NULL) {
		write_output (input, config->verdict_header, "error; reason=thread");
		return EXIT_OK;
	}

	g_mutex_lock (&job->lock);
	while (!job->done && g_cond_wait_until (&job->done_cond, &job->lock, deadline))
		;
	gboolean done = job->done;
	g_mutex_unlock (&job->lock);

	if (!done) {
		/* Past the deadline: the mail goes on now; the worker is left
		 * to the process exit. */
		write_output (input, config->verdict_header, "error; reason=deadline");
		fflush (stdout);
		_exit (EXIT_OK);
	}
	g_thread_join (worker);
	write_output (input, config->verdict_header, job->value);
	g_free (job->value);
	g_bytes_unref (job->input);
	g_mutex_clear (&job->lock);
	g_cond_clear (&job->done_cond);
	g_free (job);
	return EXIT_OK;
}
