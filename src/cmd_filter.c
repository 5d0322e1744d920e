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
 * What is written is filterout.h's: the input byte for byte with the
 * header inserted, and every field of its name that procmail, maildrop
 * or Dovecot would read in the top-level header removed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ndrsift/commands.h"
#include "ndrsift/filterout.h"
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

/* ---- the fail-safe ------------------------------------------------------
 *
 * g_malloc aborts (GLib raises SIGTRAP or SIGABRT) when memory runs out,
 * e.g. under `ulimit -v`, and a crash anywhere would kill the process with
 * the mail unwritten. So the input is read into a buffer the fatal-signal
 * handler knows (fs_buf, fs_len); the handler writes it, streams whatever
 * stdin still holds, adds "error; reason=abort" (or crash) and exits 0.
 * Everything the handler and the writer use is static and
 * async-signal-safe (read, write, _exit): no allocation, no stdio.
 * fs_state makes sure exactly one thread writes the output. The floor is
 * the address space needed to map the binary and its libraries: below it
 * the dynamic loader fails before any of our code runs. */
static guint8 *fs_buf;              /* the input read so far */
static volatile gsize fs_len;
static volatile gint fs_eof;        /* stdin is fully in fs_buf */
static gint fs_state;               /* 0 nothing written, 1 writing, 2 written */
static char fs_name[256] = "X-NDR-Verdict";

static FilterOut fs_out;            /* large: static, for the handler */

/* Writes the input with "NAME: VALUE" inserted (filterout.h): fs_buf,
 * then what stdin still holds unless fs_eof. Async-signal-safe. */
static void
write_output (const char *name, const char *value)
{
	filterout_write (&fs_out, STDOUT_FILENO, STDIN_FILENO, fs_buf, fs_len, !g_atomic_int_get (&fs_eof), name,
	                 value);
}

/* Claims the output for this thread; FALSE when another has it. */
static gboolean
claim_output (void)
{
	return g_atomic_int_compare_and_exchange (&fs_state, 0, 1);
}

static void
fatal_signal (int sig)
{
	if (!claim_output ()) {
		/* Another thread writes the output and then exits the
		 * process (or it is written): let it finish. */
		struct timespec tick = { 0, 100 * 1000 * 1000 };
		for (int i = 0; i < 100 && g_atomic_int_get (&fs_state) == 1; i++)
			nanosleep (&tick, NULL);
		_exit (EXIT_OK);
	}
	static const char msg[] = "ndrsift: filter: fatal signal (out of memory?); the message is written back unjudged\n";
	ssize_t ignored = write (STDERR_FILENO, msg, sizeof msg - 1);
	(void) ignored;
	write_output (fs_name, sig == SIGABRT || sig == SIGTRAP ? "error; reason=abort" : "error; reason=crash");
	_exit (EXIT_OK);
}

/* A stack for the handler, so that a stack overflow can be handled; one
 * per thread that runs filter code. */
static void
use_alt_stack (guint8 *mem, gsize size)
{
#ifndef __SANITIZE_ADDRESS__
	stack_t ss = { .ss_sp = mem, .ss_size = size, .ss_flags = 0 };
	sigaltstack (&ss, NULL);
#endif
}

void
cmd_filter_arm (void)
{
	static guint8 stack[64 * 1024];
	use_alt_stack (stack, sizeof stack);
	struct sigaction sa = { 0 };
	sa.sa_handler = fatal_signal;
	sa.sa_flags = SA_ONSTACK;
	sigemptyset (&sa.sa_mask);
	/* SIGTRAP: g_error (failed allocations) ends in G_BREAKPOINT. */
	int sigs[] = { SIGABRT, SIGTRAP,
#ifndef __SANITIZE_ADDRESS__
		/* The sanitizers report these themselves. */
		SIGSEGV, SIGBUS, SIGFPE, SIGILL,
#endif
	};
	for (guint i = 0; i < G_N_ELEMENTS (sigs); i++)
		sigaction (sigs[i], &sa, NULL);
	/* A reader that went away must not kill us mid-write with SIGPIPE. */
	signal (SIGPIPE, SIG_IGN);
}

/* Reads stdin into fs_buf. FALSE when the buffer could not grow: the rest
 * is still in stdin, for write_output. */
static gboolean
read_input (void)
{
	gsize cap = 0;
	for (;;) {
		if (fs_len == cap) {
			gsize ncap = cap ? cap * 2 : FILTEROUT_CHUNK;
			/* realloc keeps the old block when it fails: fs_buf stays valid */
			guint8 *nb = ncap > cap ? realloc (fs_buf, ncap) : NULL;
			if (nb == NULL)
				return FALSE;
			fs_buf = nb;
			cap = ncap;
		}
		ssize_t n = read (STDIN_FILENO, fs_buf + fs_len, cap - fs_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* end, or an error: what was read is still written back */
		fs_len += n;
	}
	g_atomic_int_set (&fs_eof, 1);
	return TRUE;
}

/* The one normal write of the output. */
static void
finish (const char *name, const char *value)
{
	if (!claim_output ()) {
		for (;;)
			pause (); /* a fatal-signal handler writes it and exits */
	}
	write_output (name, value);
	g_atomic_int_set (&fs_state, 2);
}

static gpointer
judge (gpointer data)
{
	Job *job = data;
	static guint8 stack[64 * 1024];
	use_alt_stack (stack, sizeof stack);
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

int
cmd_filter_failsafe (const char *header, const char *reason)
{
	cmd_filter_arm ();
	char value[128];
	g_snprintf (value, sizeof value, "error; reason=%s", reason);
	read_input ();
	finish (header ? header : fs_name, value);
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
	gint64 deadline = g_get_monotonic_time () + (gint64) config->deadline_ms * 1000;
	if (strlen (config->verdict_header) < sizeof fs_name)
		g_strlcpy (fs_name, config->verdict_header, sizeof fs_name);

	if (!read_input ()) {
		/* No memory for the whole message: it goes on unjudged. */
		finish (config->verdict_header, "error; reason=memory");
		return EXIT_OK;
	}
	/* fs_buf is never freed: the fail-safe may need it until the exit. */
	g_autoptr (GBytes) input = g_bytes_new_static (fs_buf, fs_len);
	g_autoptr (VerdictContext) ctx = verdict_context_new (config, &error);
	if (ctx == NULL) {
		g_autofree char *m = g_strdup (error->message);
		command_error ("filter", "%s", m);
		finish (config->verdict_header, "error; reason=rules");
		return EXIT_OK;
	}
	verdict_context_set_facts (ctx, FALSE); /* the header names rules, not facts */

	Job *job = g_new0 (Job, 1);
	g_mutex_init (&job->lock);
	g_cond_init (&job->done_cond);
	job->ctx = ctx;
	job->input = g_bytes_ref (input);
	GThread *worker = g_thread_try_new ("judge", judge, job, &error);
	if (worker == NULL) {
		finish (config->verdict_header, "error; reason=thread");
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
		finish (config->verdict_header, "error; reason=deadline");
		_exit (EXIT_OK);
	}
	g_thread_join (worker);
	finish (config->verdict_header, job->value);
	g_free (job->value);
	g_bytes_unref (job->input);
	g_mutex_clear (&job->lock);
	g_cond_clear (&job->done_cond);
	g_free (job);
	return EXIT_OK;
}
