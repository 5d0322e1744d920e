/* scan — batch audit of mailboxes, directories and files.
 *
 * Formats: the printers text, csv, jsonl and html (printer.h). Each
 * worker prints its message's record (none for html) and extracts its
 * SummaryItem while it still has the Verdict; this thread adds the items
 * to the Summary in input order, and the printer says what follows.
 *
 * Memory crosses threads one way only: each thread frees what it
 * allocated. glibc frees a block into the arena it came from, under that
 * arena's lock, so a reader freeing workers' strings (or workers freeing
 * the reader's buffers) made the threads queue on each other's locks.
 * The reader allocates each slot's line and keeps the message; a worker
 * writes into the line and parses its own copy of the message.
 *
 * Messages are read in order by this thread and judged by a GThreadPool of
 * --jobs workers, handed over NS_SCAN_BATCH at a time (with --jobs 1, by
 * this thread as it reads); each result goes into its slot of an in-order
 * queue, and slots are printed from the head as soon as they are done, so
 * the output order is the input order whatever the number of jobs. At
 * most jobs * NS_SCAN_QUEUE_PER_JOB messages, and NS_SCAN_WINDOW_BYTES of
 * them plus one, are in memory at once. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "ndrsift/engine.h"
#include "ndrsift/limits.h"
#include "number.h"
#include "mailbox.h"
#include "maildir.h"
#include "output.h"
#include "printer.h"
#include "summary.h"

typedef struct {
	MailboxMessage *msg;
	gsize size;           /* the message's bytes, counted in the window */
	GString *line;        /* the printed record (NULL for html): allocated
	                         by the reading thread, written by the worker */
	SummaryItem *item;    /* set by the worker */
	VerdictClass verdict; /* set by the worker, for the actions */
	gint done;            /* atomic: set once the worker is done with it */
} Slot;

typedef struct {
	const Engine *engine;
	const Printer *printer;
	const char *move_forged;  /* Maildir to move forged bounces to, or NULL */
	const char *move_legit;
	gboolean dry_run;
	gboolean copy;        /* workers parse a copy of each message (see above) */
	guint64 moved, move_errors;
	/* Slots done but not yet printed: atomic, so that the reading
	 * thread checks its slots without a lock. It sleeps only on a full
	 * window, until the slot it waits for is done and at least
	 * `want_done` slots are: woken once per half window, not per message.
	 * want and want_done are atomic and set under lock; the worker that
	 * sees their condition come true takes the lock to wake it. */
	gint done;
	GMutex lock;
	GCond cond;           /* what the reading thread waits for came true */
	Slot *want;           /* NULL: not waiting */
	gint want_done;
} Scan;

/* Judges one message and prints its record; touches nothing shared. */
static void
judge (Scan *scan, Slot *slot)
{
	/* In this thread the bytes are handed over and parsed in place; a
	 * worker's reference makes bounce_parse_bytes copy them. */
	GBytes *data = scan->copy ? g_bytes_ref (slot->msg->data) : g_steal_pointer (&slot->msg->data);
	g_autoptr (Verdict) v = engine_judge (scan->engine, data, slot->msg->truncated, NULL);
	if (slot->line) {
		PrinterMessage m = { slot->msg->source, slot->msg->offset, v };
		scan->printer->record (slot->line, &m);
	}
	slot->item = summary_item_new (v, slot->msg->source, slot->msg->offset);
	slot->verdict = v->verdict;
}

/* Whether what the sleeping reading thread waits for came true. The
 * slot `want` is read under the lock only: the reading thread clears
 * `want` under it before it frees that slot. */
static gboolean
wanted (Scan *scan)
{
	const Slot *want = g_atomic_pointer_get (&scan->want);
	return want && g_atomic_int_get (&want->done) &&
	       g_atomic_int_get (&scan->done) >= g_atomic_int_get (&scan->want_done);
}

/* Marks n judged slots done and wakes the reading thread if it waits
 * for them. The atomics are sequentially consistent: either this sees
 * `want` set, or the reading thread, setting it, sees these slots done
 * and does not sleep. The lock is taken only once enough slots are done
 * (a count, no slot read), to look at the head slot and wake the
 * reader: about once per wait. */
static void
finish (Scan *scan, Slot **slots, guint n)
{
	for (guint i = 0; i < n; i++)
		g_atomic_int_set (&slots[i]->done, TRUE);
	g_atomic_int_add (&scan->done, (gint) n);
	if (g_atomic_pointer_get (&scan->want) == NULL ||
	    g_atomic_int_get (&scan->done) < g_atomic_int_get (&scan->want_done))
		return;
	g_mutex_lock (&scan->lock);
	if (wanted (scan))
		g_cond_signal (&scan->cond);
	g_mutex_unlock (&scan->lock);
}

/* A pool task: up to NS_SCAN_BATCH slots in input order. Handing messages
 * over in batches takes the pool's queue lock and ours once per batch,
 * not once per message, and wakes a sleeping worker less often. */
typedef struct {
	guint n;
	Slot *slots[NS_SCAN_BATCH];
} Batch;

static void
work (gpointer data, gpointer user_data)
{
	Batch *batch = data;
	Scan *scan = user_data;
	for (guint i = 0; i < batch->n; i++)
		judge (scan, batch->slots[i]);
	finish (scan, batch->slots, batch->n);
	g_free (batch);
}

/* Hands the batch being filled to the pool. None is filled without a
 * pool (--jobs 1), so then there is nothing to do. */
static void
push (GThreadPool *pool, Batch **batch)
{
	if (*batch)
		g_thread_pool_push (pool, g_steal_pointer (batch), NULL);
}

/* Blocks until the head slot is done and at least `batch` slots are done
 * (fewer when fewer are pending). */
static void
wait_done (Scan *scan, GQueue *pending, guint batch)
{
	g_mutex_lock (&scan->lock);
	Slot *head = g_queue_peek_head (pending);
	g_atomic_int_set (&scan->want_done, (gint) MIN (batch, pending->length));
	g_atomic_pointer_set (&scan->want, head);
	while (head && !wanted (scan))
		g_cond_wait (&scan->cond, &scan->lock);
	g_atomic_pointer_set (&scan->want, NULL);
	g_mutex_unlock (&scan->lock);
}

/* --move-forged / --move-legit: applied in input order, after the
 * message's line is printed, by this (main) thread only. */
static void
act (Scan *scan, const Slot *slot)
{
	const char *dest = slot->verdict == VERDICT_FORGED ? scan->move_forged
	                 : slot->verdict == VERDICT_LEGIT ? scan->move_legit : NULL;
	if (dest == NULL)
		return;
	/* Already there (a --recursive scan reaching the folder it fills). */
	g_autofree char *prefix = g_strconcat (dest, G_DIR_SEPARATOR_S, NULL);
	if (g_str_has_prefix (slot->msg->source, prefix))
		return;
	g_autofree char *target = NULL;
	g_autoptr (GError) error = NULL;
	if (!maildir_move (slot->msg->source, dest, scan->dry_run, &target, &error)) {
		msg_error ("scan", "%s", error->message);
		scan->move_errors++;
		return;
	}
	msg_notice ("scan", "%s %s -> %s", scan->dry_run ? "would move" : "moved", slot->msg->source, target);
	scan->moved++;
}

/* Prints and frees the done slots at the head of the queue. */
static void
drain (Scan *scan, GQueue *pending, gsize *pending_bytes, Summary *sum, gboolean wait_all)
{
	for (;;) {
		if (wait_all)
			wait_done (scan, pending, 1);
		Slot *head = g_queue_peek_head (pending);
		if (head == NULL || !g_atomic_int_get (&head->done))
			return;
		g_atomic_int_add (&scan->done, -1);
		g_queue_pop_head (pending);
		*pending_bytes -= head->size;
		if (head->line)
			fputs (head->line->str, stdout);
		summary_add (sum, g_steal_pointer (&head->item));
		act (scan, head);
		if (head->line)
			g_string_free (head->line, TRUE);
		mailbox_message_free (head->msg);
		g_free (head);
	}
}

/* The bytes the paths hold, when that is known before reading: plain
 * files only (a directory or standard input makes it unknown: 0).
 * mailbox_iter_bytes_read() counts file bytes (compressed ones for .gz),
 * so the two compare. */
static guint64
total_bytes (char **paths)
{
	guint64 total = 0;
	for (guint i = 0; paths[i]; i++) {
		struct stat st;
		if (strcmp (paths[i], "-") == 0 || stat (paths[i], &st) != 0 || !S_ISREG (st.st_mode))
			return 0;
		total += st.st_size;
	}
	return total;
}

/* One line on stderr, redrawn in place: messages, rate, bytes and, when
 * the total is known, the share done and the time left. */
static void
progress (guint64 done, guint64 bytes, guint64 total, gint64 start)
{
	double secs = (g_get_monotonic_time () - start) / 1e6;
	fprintf (stderr, "\r\033[K%" G_GUINT64_FORMAT " messages, %s/s, %s MB", done,
	         NUMBER (secs > 0 ? done / secs : 0.0, 0), NUMBER (bytes / 1e6, 1));
	if (total > 0 && bytes > 0 && bytes <= total) {
		double left = secs * (double) (total - bytes) / (double) bytes;
		fprintf (stderr, " of %s MB (%s%%), ETA %d:%02d", NUMBER (total / 1e6, 1), NUMBER (100.0 * bytes / total, 0),
		         (int) (left / 60), (int) left % 60);
	}
	fflush (stderr);
}

int
cmd_scan (Config *config, int argc, char **argv)
{
	g_autoptr (Config) owned = config;
	g_autofree char *format_name = NULL; /* GOption allocates it */
	int jobs = (int) g_get_num_processors ();
	gboolean want_progress = FALSE, no_progress = FALSE, recursive = FALSE, dry_run = FALSE;
	g_autofree char *move_forged = NULL, *move_legit = NULL;
	GOptionEntry entries[] = {
		{ "format", 0, 0, G_OPTION_ARG_STRING, &format_name, "Output format: text, csv, jsonl or html", "FORMAT" },
		{ "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "Worker threads (default: the number of cores)", "N" },
		{ "progress", 0, 0, G_OPTION_ARG_NONE, &want_progress, "Show progress on stderr even if not a terminal", NULL },
		{ "no-progress", 0, 0, G_OPTION_ARG_NONE, &no_progress, "Never show progress", NULL },
		{ "recursive", 'r', 0, G_OPTION_ARG_NONE, &recursive, "Descend into subdirectories and Maildir++ folders", NULL },
		{ "move-forged", 0, 0, G_OPTION_ARG_FILENAME, &move_forged, "Move forged bounces of Maildir sources into the Maildir DIR", "DIR" },
		{ "move-legit", 0, 0, G_OPTION_ARG_FILENAME, &move_legit, "Move legit bounces of Maildir sources into the Maildir DIR", "DIR" },
		{ "dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run, "Say what --move-* would move; move nothing", NULL },
		{ NULL }
	};
	g_autoptr (GOptionContext) oc = g_option_context_new ("PATH... - audit mailboxes of bounces");
	g_option_context_add_main_entries (oc, entries, NULL);
	g_autoptr (GError) error = NULL;
	if (!msg_options_parse (oc, &argc, &argv, &error)) {
		msg_error ("scan", "%s", error->message);
		return EXIT_USAGE;
	}
	Scan scan = { 0 };
	scan.move_forged = move_forged;
	scan.move_legit = move_legit;
	scan.dry_run = dry_run;
	scan.printer = printer_find (format_name ? format_name : "text");
	if (scan.printer == NULL || !scan.printer->scan) {
		msg_error ("scan", "unknown --format '%s' (text, csv, jsonl, html)", format_name);
		return EXIT_USAGE;
	}
	if (argc < 2) {
		msg_error ("scan", "give at least one PATH (or - for an mbox on standard input)");
		return EXIT_USAGE;
	}
	if (jobs < 1 || jobs > 256) {
		msg_error ("scan", "--jobs takes 1 to 256");
		return EXIT_USAGE;
	}
	gboolean show_progress = !no_progress && (want_progress || isatty (STDERR_FILENO));
	guint64 total = show_progress ? total_bytes (argv + 1) : 0;

	g_autoptr (Engine) engine = engine_new (g_steal_pointer (&owned), FALSE, &error);
	if (engine == NULL) {
		msg_error ("scan", "%s", error->message);
		return EXIT_ERROR;
	}
	scan.engine = engine;
	g_mutex_init (&scan.lock);
	g_cond_init (&scan.cond);

	/* --jobs 1 judges in this thread: no hand-offs, and a process with
	 * one thread keeps glibc's malloc and GLib's locks on their cheap,
	 * uncontended paths. */
	GThreadPool *pool = jobs > 1 ? g_thread_pool_new (work, &scan, jobs, TRUE, NULL) : NULL;
	scan.copy = pool != NULL;
	GQueue pending = G_QUEUE_INIT;
	gsize pending_bytes = 0;
	Batch *batch = NULL;   /* being filled, not yet handed to the pool */
	g_autoptr (Summary) summary = summary_new ();
	guint64 errors = 0;
	g_autoptr (MailboxIter) it = mailbox_iter_new ((const char *const *) argv + 1, recursive);
	guint window = (guint) jobs * NS_SCAN_QUEUE_PER_JOB;
	gint64 start = g_get_monotonic_time (), last_draw = 0;
	MailboxMessage *msg;

	if (scan.printer->head)
		fputs (scan.printer->head, stdout);
	while ((msg = mailbox_iter_next (it))) {
		if (msg->error) {
			/* In order: what came before it is printed first. */
			push (pool, &batch);
			drain (&scan, &pending, &pending_bytes, summary, TRUE);
			if (show_progress)
				fputs ("\r\033[K", stderr); /* the progress line goes */
			msg_error ("scan", "%s", msg->error->message);
			summary_add_error (summary);
			errors++;
			mailbox_message_free (msg);
			continue;
		}
		Slot *slot = g_new0 (Slot, 1);
		slot->msg = msg;
		if (scan.printer->record)
			slot->line = g_string_sized_new (scan.printer->room);
		slot->size = msg->data ? g_bytes_get_size (msg->data) : 0;
		pending_bytes += slot->size;
		g_queue_push_tail (&pending, slot);
		if (pool) {
			if (batch == NULL)
				batch = g_new0 (Batch, 1);
			batch->slots[batch->n++] = slot;
			if (batch->n == NS_SCAN_BATCH)
				push (pool, &batch);
		} else {
			judge (&scan, slot);
			finish (&scan, &slot, 1);
		}
		/* A full window: sleep until half of it is done. */
		if (pending.length >= window || pending_bytes >= NS_SCAN_WINDOW_BYTES) {
			push (pool, &batch);
			wait_done (&scan, &pending, MAX (pending.length / 2, 1));
		}
		drain (&scan, &pending, &pending_bytes, summary, FALSE);
		if (show_progress && g_get_monotonic_time () - last_draw > 250000) {
			last_draw = g_get_monotonic_time ();
			progress (summary_messages (summary), mailbox_iter_bytes_read (it), total, start);
		}
	}
	push (pool, &batch);
	drain (&scan, &pending, &pending_bytes, summary, TRUE);
	if (pool)
		g_thread_pool_free (pool, FALSE, TRUE);
	if (show_progress)
		fputs ("\r\033[K", stderr);

	gboolean to_stderr = FALSE;
	g_autofree char *after = scan.printer->summary (summary, &to_stderr);
	if (to_stderr)
		fflush (stdout);
	fputs (after, to_stderr ? stderr : stdout);
	g_mutex_clear (&scan.lock);
	g_cond_clear (&scan.cond);
	if (fflush (stdout) != 0)
		return EXIT_ERROR;
	return errors || scan.move_errors ? EXIT_ERROR : EXIT_OK;
}
