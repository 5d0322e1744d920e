/* fuzz-bounce — one whole message in, every fact and the verdict out.
 *
 * The per-message path that filter, check, scan and explain share:
 * engine_judge() (bounce_parse: the GMime walk, the delivery-status
 * report, originals in MIME parts or quoted inline via the shipped
 * *.formats, Received hops; then the evidence, the shipped *.rules and the
 * class), then every printer of a verdict (printer.h: check, scan's text,
 * CSV and jsonl, explain's text and JSON, with the UTF-8 repair) and the
 * verdict header value.
 *
 * The parse is also held to GMime's: bounce_parse_reference (every MIME
 * structure through GMime's tree) must give the same facts as the faster
 * reader bounce_parse uses for common shapes (mimesplit), or the
 * harness aborts with what differs (bounce_diff).
 *
 * Start-up, once: samples/ndrsift.conf with rules/, and a sent log in a
 * temporary directory filled from samples/logs/postfix.log through the
 * real importer, so the Message-ID and recipient lookups and the coverage
 * check run against rows (an empty log would stop at "not found").
 *
 * Limits that apply (limits.h): NS_MAX_CONTENT_TYPES, NS_MAX_MIME_DEPTH,
 * NS_MAX_MIME_PARTS, NS_MAX_HEADERS, NS_MAX_HEADER_VALUE,
 * NS_MAX_RECEIVED_HOPS, NS_MAX_DSN_RECIPIENTS, NS_MAX_DSN_BYTES,
 * NS_MAX_TEXT_BYTES, NS_MAX_FORMAT_BODY_BYTES, NS_MAX_INLINE_HEADER_LINES,
 * NS_MAX_MARKER_MATCHES and the PCRE2 limits. Inputs are cut at
 * NS_MAX_MESSAGE_BYTES as the mailbox reader cuts them (run.sh keeps
 * -max_len far below, so that is rarely reached). */
#include <glib/gstdio.h>
#include <gmime/gmime.h>

#include "fuzz-common.h"
#include "ndrsift/bounce.h"
#include "ndrsift/engine.h"
#include "ndrsift/limits.h"
#include "logparse.h"
#include "printer.h"
#include "ndrsift/sentlog.h"
#include "textbounce.h"

static Config *config;          /* owned for the whole run */
static Engine *engine;          /* shared, read-only, like scan's workers' */
static char *tmpdir;            /* holds the sent log; removed at exit */
static TextbounceFormats *formats; /* the shipped formats, for the two parses */

static void
remove_tmpdir (void)
{
	static const char *const files[] = { "sent.db", "sent.db-wal", "sent.db-shm" };
	for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
		g_autofree char *p = g_build_filename (tmpdir, files[i], NULL);
		g_unlink (p);
	}
	g_rmdir (tmpdir);
}

/* samples/logs/postfix.log into a new sent log at db, as `log import`
 * does it: one source, one checkpoint at the end. */
static void
fill_sent_log (const char *db)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *path = fuzz_source_path ("samples/logs/postfix.log");
	g_autofree char *text = NULL;
	g_autoptr (SentLog) log = sentlog_open (db, TRUE, &error);
	if (log == NULL || !g_file_get_contents (path, &text, NULL, &error)) {
		fprintf (stderr, "fuzz-bounce: %s\n", error->message);
		abort ();
	}
	g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
	SentLogSource source;
	if (!sentlog_new_source (log, (const guint8 *) text, MIN (strlen (text), (gsize) 4096), &source, &error)) {
		fprintf (stderr, "fuzz-bounce: %s\n", error->message);
		abort ();
	}
	g_autoptr (SentLogImport) im = sentlog_import_begin (log, config, path, &source, &error);
	g_autoptr (LogParser) parser = logparse_new (LOG_FORMAT_POSTFIX, NULL, FUZZ_NOW);
	for (guint i = 0; im && lines[i]; i++)
		logparse_line (parser, lines[i], strlen (lines[i]), sentlog_import_event, im, NULL);
	SentLogPosition at = { (gint64) strlen (text), g_strv_length (lines), (const guint8 *) text,
		               MIN (strlen (text), (gsize) 4096), NULL, 0 };
	if (im == NULL || !sentlog_import_checkpoint (im, &at, &error)) {
		fprintf (stderr, "fuzz-bounce: %s\n", error->message);
		abort ();
	}
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
	bounce_init ();
	g_autoptr (GError) error = NULL;
	tmpdir = g_dir_make_tmp ("ndrsift-fuzz-XXXXXX", &error);
	if (tmpdir == NULL) {
		fprintf (stderr, "fuzz-bounce: %s\n", error->message);
		abort ();
	}
	atexit (remove_tmpdir);
	g_autofree char *db = g_build_filename (tmpdir, "sent.db", NULL);
	config = fuzz_sample_config (db);
	fill_sent_log (db);
	/* The facts too: explain's output is fuzzed. */
	engine = engine_new (fuzz_sample_config (db), TRUE, &error);
	if (engine == NULL) {
		fprintf (stderr, "fuzz-bounce: %s\n", error->message);
		abort ();
	}
	g_autofree char *rules = fuzz_source_path ("rules");
	const char *dirs[] = { rules, NULL };
	formats = textbounce_formats_load (dirs, &error);
	if (formats == NULL) {
		fprintf (stderr, "fuzz-bounce: %s\n", error->message);
		abort ();
	}
	return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	gboolean truncated = size > NS_MAX_MESSAGE_BYTES;
	if (truncated)
		size = NS_MAX_MESSAGE_BYTES;
	/* Exactly size bytes (no NUL after them), so ASan sees any read past
	 * the end; engine_judge takes the only reference, as scan's does. */
	g_autoptr (Verdict) v = engine_judge (engine, g_bytes_new (data, size), truncated, NULL);

	/* Every printer prints it; explain --json's record is checked below. */
	static const char *const printers[] = { "check", "text", "csv", "jsonl", "explain" };
	for (guint i = 0; i < G_N_ELEMENTS (printers); i++) {
		g_autofree char *out = printer_message (printer_find (printers[i]), "fuzz", -1, v);
		(void) out;
	}
	g_autofree char *json = printer_message (printer_find ("explain-json"), "fuzz", -1, v);
	g_autofree char *header = engine_header_value (engine, v);
	/* The header value goes into mail: no CR or control character may
	 * come from the message (doc/design.md), only the "\n\t" of folding. */
	for (const char *p = header; *p; p++)
		if ((guchar) *p < 0x20 && !(p[0] == '\n' && p[1] == '\t') && *p != '\t')
			abort ();
	/* Every string of the record must be valid UTF-8 (doc/design.md). */
	if (!g_utf8_validate (json, -1, NULL))
		abort ();

	g_autoptr (Bounce) fast = bounce_parse (formats, (const char *) data, size);
	g_autoptr (Bounce) ref = bounce_parse_reference (formats, (const char *) data, size);
	g_autofree char *diff = bounce_diff (fast, ref);
	if (diff) {
		fprintf (stderr, "fuzz-bounce: the two parses differ: %s\n", diff);
		abort ();
	}
	return 0;
}
