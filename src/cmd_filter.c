/* filter — one message on stdin, the same message plus the verdict header
 * on stdout, for procmail (:0 fw), maildrop (xfilter) and Sieve (filter).
 *
 * It never loses mail: whatever fails (config, rules, sent log, parse, the
 * deadline), the input is written back unchanged but for the header
 * (`error; reason=...`), and the exit status is 0, because all three
 * delivery agents treat a non-zero exit as a failed filter. Output is
 * never empty. What is written is filterout.h's.
 *
 * The order (main.c): the fail-safe is armed before anything else; then
 * filter's options; then stdin is read to its end (cmd_filter_begin); then
 * the clock starts and a timer runs: past the deadline its signal writes
 * the input back with reason=deadline and exits, whatever the main thread
 * is doing. Until the config is read the deadline is the largest one
 * allowed (NS_MAX_DEADLINE_MS), then [filter] deadline_ms from the same
 * start. With [filter] server set, the message then goes to the resident
 * judge (serve.h), which gets half of the deadline; whatever it cannot do
 * is done here in the rest. So opening and reading the config, the rules
 * and the sent log are bounded as much as the judgement, and time spent waiting for a slow
 * writer on stdin is not counted. A writer that never finishes is not ours
 * to bound: the writer is the delivery agent, whose own timeout ends us
 * (procmail's TIMEOUT, 960 s by default; maildrop's watchdog, usually
 * 5 minutes; Dovecot's sieve_filter_exec_timeout, 10 s); it then keeps the
 * message as it was. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "ndrsift/engine.h"
#include "filterout.h"
#include "ndrsift/limits.h"
#include "serve.h"

/* ---- the fail-safe ------------------------------------------------------
 *
 * g_malloc aborts (GLib raises SIGTRAP or SIGABRT) when memory runs out,
 * e.g. under `ulimit -v`, and a crash anywhere would kill the process with
 * the mail unwritten. So the input is read into a buffer the fatal-signal
 * handler knows (fs_buf, fs_len); the handler writes it, streams whatever
 * stdin still holds, adds "error; reason=abort" (or crash) and exits 0.
 * Everything the handler and the writer use is static and async-signal-
 * safe (read, write, _exit): no allocation, no stdio. fs_state makes sure
 * exactly one thread writes the output. The floor is the address space
 * needed to map the binary and its libraries: below it the dynamic loader
 * fails before any of our code runs. */
static guint8 *fs_buf;              /* the input read so far */
static volatile gsize fs_len;
static volatile gint fs_eof;        /* stdin is fully in fs_buf */
static gboolean fs_short;           /* the buffer could not grow: the rest is in stdin */
static gint fs_state;               /* 0 nothing written, 1 writing, 2 written */
static char fs_name_buf[256];
static const char *fs_name = "X-NDR-Verdict"; /* read and set atomically */
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
	write_output (g_atomic_pointer_get (&fs_name),
	              sig == SIGABRT || sig == SIGTRAP ? "error; reason=abort" : "error; reason=crash");
	_exit (EXIT_OK);
}

/* A stack for the handler, so that a stack overflow can be handled. */
static void
use_alt_stack (guint8 *mem, gsize size)
{
#ifndef __SANITIZE_ADDRESS__
	stack_t ss = { .ss_sp = mem, .ss_size = size, .ss_flags = 0 };
	sigaltstack (&ss, NULL);
#endif
}

static int failsafe (const char *reason);

void
cmd_filter_arm (void)
{
	msg_set_failsafe (failsafe);
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

/* The buffer to read stdin into first: a file's size and one byte (to
 * see its end without growing), else FILTEROUT_CHUNK. A process judges
 * one message: heap it does not need is start-up it pays for. */
static gsize
first_size (void)
{
	struct stat st;
	off_t at;
	if (fstat (STDIN_FILENO, &st) != 0 || !S_ISREG (st.st_mode) ||
	    (at = lseek (STDIN_FILENO, 0, SEEK_CUR)) < 0 || at > st.st_size ||
	    (guint64) (st.st_size - at) >= G_MAXSIZE / 4)
		return FILTEROUT_CHUNK;
	return (gsize) (st.st_size - at) + 1;
}

/* Reads stdin into fs_buf, once. FALSE when the buffer could not grow:
 * the rest is still in stdin, for write_output. */
static gboolean
read_input (void)
{
	static gboolean done;
	if (done)
		return !fs_short;
	done = TRUE;
	gsize cap = 0, first = first_size ();
	for (;;) {
		if (fs_len == cap) {
			gsize ncap = cap ? cap * 2 : first;
			/* realloc keeps the old block when it fails: fs_buf stays valid */
			guint8 *nb = ncap > cap ? realloc (fs_buf, ncap) : NULL;
			if (nb == NULL) {
				fs_short = TRUE;
				return FALSE;
			}
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
			pause (); /* the deadline or a fatal-signal handler writes it and exits */
	}
	write_output (name, value);
	g_atomic_int_set (&fs_state, 2);
}

/* ---- the deadline ----------------------------------------------------------
 *
 * An interval timer (ITIMER_REAL, counted from wd_start) whose SIGALRM
 * handler writes the input back with reason=deadline and exits, whatever
 * the main thread is doing; the handler uses only what fatal_signal
 * does. Not a watchdog thread: its clone, stack and malloc arena cost a
 * tenth of a typical run's start-up (bench/startup.sh). */

static gint64 wd_start; /* monotonic, µs */

static void
deadline_passed (int sig)
{
	(void) sig;
	if (!claim_output ())
		return; /* the output is being written: the writer exits after it */
	write_output (g_atomic_pointer_get (&fs_name), "error; reason=deadline");
	_exit (EXIT_OK);
}

/* (Re)arms the timer for ms after wd_start; FALSE if it cannot be. */
static gboolean
set_deadline (int ms)
{
	gint64 left = MAX (wd_start + (gint64) ms * 1000 - g_get_monotonic_time (), 1);
	struct itimerval it = { .it_value = { .tv_sec = left / G_USEC_PER_SEC, .tv_usec = left % G_USEC_PER_SEC } };
	return setitimer (ITIMER_REAL, &it, NULL) == 0;
}

static void
finish_and_stop (const char *name, const char *value)
{
	finish (name, value);
	struct itimerval off = { 0 };
	setitimer (ITIMER_REAL, &off, NULL);
}

/* msg_failsafe(): filter cannot run (no config); the input is written
 * back with "error; reason=REASON" under the default header name. */
static int
failsafe (const char *reason)
{
	char value[128];
	g_snprintf (value, sizeof value, "error; reason=%s", reason);
	read_input ();
	finish_and_stop (g_atomic_pointer_get (&fs_name), value);
	return EXIT_OK;
}

int
cmd_filter_begin (int argc, char **argv)
{
	g_autoptr (GOptionContext) oc = g_option_context_new (
		"- read one message on stdin, write it with the verdict header to stdout");
	g_autoptr (GError) error = NULL;
	if (!msg_options_parse (oc, &argc, &argv, &error) || argc != 1) {
		msg_error ("filter", "%s", error ? error->message : "reads standard input only");
		return EXIT_USAGE;
	}
	/* From here on, a config that does not load still writes the mail back. */
	msg_set_failsafe (failsafe);
	/* All of it before the clock starts: a slow writer is not ours to time. */
	read_input ();
	wd_start = g_get_monotonic_time ();
	struct sigaction sa = { 0 };
	sa.sa_handler = deadline_passed;
	sa.sa_flags = SA_RESTART;
	sigemptyset (&sa.sa_mask);
	if (sigaction (SIGALRM, &sa, NULL) != 0 || !set_deadline (NS_MAX_DEADLINE_MS)) {
		/* No deadline could be kept: the mail goes on unjudged. */
		finish (fs_name, "error; reason=timer");
		return EXIT_OK;
	}
	return -1;
}


int
cmd_filter (Config *owned, int argc, char **argv)
{
	(void) argc;
	(void) argv; /* parsed by cmd_filter_begin */
	/* The Engine takes the config; until it exists this is it. */
	g_autoptr (Config) config = owned;
	if (strlen (config->verdict_header) < sizeof fs_name_buf) {
		g_strlcpy (fs_name_buf, config->verdict_header, sizeof fs_name_buf);
		g_atomic_pointer_set (&fs_name, fs_name_buf);
	}
	set_deadline (config->deadline_ms);
	if (fs_short) {
		/* No memory for the whole message: it goes on unjudged. */
		finish_and_stop (config->verdict_header, "error; reason=memory");
		return EXIT_OK;
	}

	/* The parser reads at most NS_MAX_MESSAGE_BYTES and copies what it is
	 * given (the input stays ours to write back, and fs_buf is never
	 * freed: the fail-safe may need it until the exit). */
	gboolean cut = fs_len > NS_MAX_MESSAGE_BYTES;
	gsize len = cut ? NS_MAX_MESSAGE_BYTES : fs_len;

	/* A resident judge (serve.h) gives the same verdict without this
	 * process reading the rules and the sent log; when it cannot, within
	 * its share of the deadline, the judgement is made here. */
	if (config->filter_server[0]) {
		g_autoptr (GError) serr = NULL;
		g_autofree char *value =
			serve_ask (config, fs_buf, len, cut, config->deadline_ms / NS_SERVE_CLIENT_SHARE, &serr);
		if (value) {
			finish_and_stop (config->verdict_header, value);
			return EXIT_OK;
		}
		msg_notice ("filter", "server %s: %s; judged here", config->filter_server, serr->message);
	}

	g_autoptr (GError) error = NULL;
	g_autofree char *header = g_strdup (config->verdict_header);
	/* The header names rules, not facts. */
	g_autoptr (Engine) engine = engine_new (g_steal_pointer (&config), FALSE, &error);
	if (engine == NULL) {
		msg_error ("filter", "%s", error->message);
		finish_and_stop (header, "error; reason=rules");
		return EXIT_OK;
	}

	GBytes *head = g_bytes_new_static (fs_buf, len);
	g_autoptr (Verdict) v = engine_judge (engine, head, cut, NULL); /* takes head */
	g_autofree char *value = engine_header_value (engine, v);
	finish_and_stop (header, value);
#ifndef __SANITIZE_ADDRESS__
	/* The mail is written; freeing the engine and GMime now would be
	 * 6 % of the run for memory the exit returns anyway. Held here until
	 * then, so that valgrind's memcheck counts it reachable, not lost;
	 * sanitizer builds free it, so leaks still show. */
	static gpointer volatile kept[3] G_GNUC_UNUSED; /* volatile: stores never read stay */
	kept[0] = g_steal_pointer (&engine);
	kept[1] = g_steal_pointer (&v);
	kept[2] = g_steal_pointer (&value);
	_exit (EXIT_OK);
#endif
	return EXIT_OK;
}
