/* scan — batch audit of mailboxes, directories and files.
 *
 * Messages are read in order by this thread and judged by a GThreadPool of
 * --jobs workers; each result goes into its slot of an in-order queue, and
 * slots are printed from the head as soon as they are done, so the output
 * order is the input order whatever the number of jobs. At most
 * jobs * NS_SCAN_QUEUE_PER_JOB messages are in memory at once. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ndrsift/commands.h"
#include "ndrsift/limits.h"
#include "ndrsift/mailbox.h"
#include "ndrsift/output.h"

typedef enum { FORMAT_TEXT, FORMAT_JSONL } Format;

typedef struct {
	MailboxMessage *msg;
	char *line;           /* the printed record, set by the worker */
	VerdictClass verdict;
	BounceKind kind;
	gboolean done;
} Slot;

typedef struct {
	const VerdictContext *ctx;
	Format format;
	GMutex lock;
	GCond cond;           /* a slot became done */
} Scan;

static char *
render (const Scan *scan, const MailboxMessage *msg, const Verdict *v)
{
	if (scan->format == FORMAT_JSONL) {
		g_autoptr (JsonNode) node = output_record (msg->source, msg->offset, v, FALSE);
		return output_json_text (node, FALSE);
	}
	g_autofree char *source = output_escape (msg->source);
	g_autoptr (GString) tests = g_string_new (v->tests->len ? NULL : "none");
	for (guint i = 0; i < v->tests->len; i++)
		g_string_append_printf (tests, "%s%s", i ? "," : "", (char *) g_ptr_array_index (v->tests, i));
	g_autofree char *where = msg->offset >= 0
		? g_strdup_printf ("%s@%" G_GINT64_FORMAT, source, msg->offset) : g_strdup (source);
	return g_strdup_printf ("%-40s %-8s score=%-5.1f kind=%-9s tests=%s", where,
	                        verdict_name (v->verdict), v->score,
	                        bounce_kind_name (v->bounce->kind), tests->str);
}

static void
work (gpointer data, gpointer user_data)
{
	Slot *slot = data;
	Scan *scan = user_data;
	/* The message's bytes are handed over: parsed in place, not copied. */
	g_autoptr (Verdict) v = verdict_judge (scan->ctx, g_steal_pointer (&slot->msg->data), slot->msg->truncated);
	char *line = render (scan, slot->msg, v);

	g_mutex_lock (&scan->lock);
	slot->line = line;
	slot->verdict = v->verdict;
	slot->kind = v->bounce->kind;
	slot->done = TRUE;
	g_cond_broadcast (&scan->cond);
	g_mutex_unlock (&scan->lock);
}

typedef struct {
	guint64 messages, errors;
	guint64 by_verdict[VERDICT_ERROR + 1];
	guint64 by_kind[BOUNCE_KIND_FEEDBACK + 1];
} Totals;

static void
print_summary (FILE *to, const Totals *t)
{
	fprintf (to, "%" G_GUINT64_FORMAT " messages", t->messages);
	for (int v = 0; v <= VERDICT_ERROR; v++)
		if (t->by_verdict[v])
			fprintf (to, ", %s %" G_GUINT64_FORMAT, verdict_name (v), t->by_verdict[v]);
	fprintf (to, "; kinds:");
	for (int k = 0; k <= BOUNCE_KIND_FEEDBACK; k++)
		if (t->by_kind[k])
			fprintf (to, " %s %" G_GUINT64_FORMAT, bounce_kind_name (k), t->by_kind[k]);
	if (t->errors)
		fprintf (to, "; %" G_GUINT64_FORMAT " unreadable", t->errors);
	fputc ('\n', to);
}

/* Prints and frees the done slots at the head of the queue. */
static void
drain (Scan *scan, GQueue *pending, Totals *t, gboolean wait_all)
{
	for (;;) {
		g_mutex_lock (&scan->lock);
		Slot *head = g_queue_peek_head (pending);
		while (head && !head->done && wait_all)
			g_cond_wait (&scan->cond, &scan->lock);
		gboolean ready = head && head->done;
		g_mutex_unlock (&scan->lock);
		if (!ready)
			return;
		g_queue_pop_head (pending);
		puts (head->line);
		t->messages++;
		t->by_verdict[head->verdict]++;
		t->by_kind[head->kind]++;
		g_free (head->line);
		mailbox_message_free (head->msg);
		g_free (head);
	}
}

/* Blocks until the head slot is done (room in the window). */
static void
wait_head (Scan *scan, GQueue *pending)
{
	g_mutex_lock (&scan->lock);
	Slot *head = g_queue_peek_head (pending);
	while (head && !head->done)
		g_cond_wait (&scan->cond, &scan->lock);
	g_mutex_unlock (&scan->lock);
}

static void
progress (guint64 done, guint64 bytes, gint64 start)
{
	double secs = (g_get_monotonic_time () - start) / 1e6;
	fprintf (stderr, "\r\033[K%" G_GUINT64_FORMAT " messages, %.0f/s, %.1f MB",
	         done, secs > 0 ? done / secs : 0.0, bytes / 1e6);
}

int
cmd_scan (const Config *config, int argc, char **argv)
{
	g_autofree char *format_name = NULL; /* GOption allocates it */
	int jobs = (int) g_get_num_processors ();
	gboolean want_progress = FALSE, no_progress = FALSE, recursive = FALSE;
	GOptionEntry entries[] = {
		{ "format", 0, 0, G_OPTION_ARG_STRING, &format_name, "Output format: text or jsonl", "FORMAT" },
		{ "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "Worker threads (default: the number of cores)", "N" },
		{ "progress", 0, 0, G_OPTION_ARG_NONE, &want_progress, "Show progress on stderr even if not a terminal", NULL },
		{ "no-progress", 0, 0, G_OPTION_ARG_NONE, &no_progress, "Never show progress", NULL },
		{ "recursive", 'r', 0, G_OPTION_ARG_NONE, &recursive, "Descend into subdirectories and Maildir++ folders", NULL },
		{ NULL }
	};
	g_autoptr (GOptionContext) oc = g_option_context_new ("PATH... - audit mailboxes of bounces");
	g_option_context_add_main_entries (oc, entries, NULL);
	g_autoptr (GError) error = NULL;
	if (!g_option_context_parse (oc, &argc, &argv, &error)) {
		command_error ("scan", "%s", error->message);
		return EXIT_USAGE;
	}
	Scan scan = { 0 };
	if (g_strcmp0 (format_name, "jsonl") == 0)
		scan.format = FORMAT_JSONL;
	else if (format_name == NULL || strcmp (format_name, "text") == 0)
		scan.format = FORMAT_TEXT;
	else {
		command_error ("scan", "unknown --format '%s' (text, jsonl)", format_name);
		return EXIT_USAGE;
	}
	if (argc < 2) {
		command_error ("scan", "give at least one PATH (or - for an mbox on standard input)");
		return EXIT_USAGE;
	}
	if (jobs < 1 || jobs > 256) {
		command_error ("scan", "--jobs takes 1 to 256");
		return EXIT_USAGE;
	}
	gboolean show_progress = !no_progress && (want_progress || isatty (STDERR_FILENO));

	g_autoptr (VerdictContext) ctx = verdict_context_new (config, &error);
	if (ctx == NULL) {
		command_error ("scan", "%s", error->message);
		return EXIT_ERROR;
	}
	scan.ctx = ctx;
	g_mutex_init (&scan.lock);
	g_cond_init (&scan.cond);

	GThreadPool *pool = g_thread_pool_new (work, &scan, jobs, TRUE, NULL);
	GQueue pending = G_QUEUE_INIT;
	Totals totals = { 0 };
	g_autoptr (MailboxIter) it = mailbox_iter_new ((const char *const *) argv + 1, recursive);
	guint window = (guint) jobs * NS_SCAN_QUEUE_PER_JOB;
	gint64 start = g_get_monotonic_time (), last_draw = 0;
	MailboxMessage *msg;

	while ((msg = mailbox_iter_next (it))) {
		if (msg->error) {
			/* In order: what came before it is printed first. */
			drain (&scan, &pending, &totals, TRUE);
			g_autofree char *m = output_escape (msg->error->message);
			fprintf (stderr, "%sndrsift: scan: %s\n", show_progress ? "\r\033[K" : "", m);
			totals.errors++;
			mailbox_message_free (msg);
			continue;
		}
		Slot *slot = g_new0 (Slot, 1);
		slot->msg = msg;
		g_queue_push_tail (&pending, slot);
		g_thread_pool_push (pool, slot, NULL);
		if (pending.length >= window)
			wait_head (&scan, &pending);
		drain (&scan, &pending, &totals, FALSE);
		if (show_progress && g_get_monotonic_time () - last_draw > 250000) {
			last_draw = g_get_monotonic_time ();
			progress (totals.messages, mailbox_iter_bytes_read (it), start);
		}
	}
	drain (&scan, &pending, &totals, TRUE);
	g_thread_pool_free (pool, FALSE, TRUE);
	if (show_progress)
		fputs ("\r\033[K", stderr);

	FILE *summary_to = scan.format == FORMAT_JSONL ? stderr : stdout;
	if (scan.format == FORMAT_TEXT)
		putchar ('\n');
	print_summary (summary_to, &totals);
	g_mutex_clear (&scan.lock);
	g_cond_clear (&scan.cond);
	if (fflush (stdout) != 0)
		return EXIT_ERROR;
	return totals.errors ? EXIT_ERROR : EXIT_OK;
}
