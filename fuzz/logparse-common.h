/* logparse-common.h — the body of the five log-line harnesses
 * (fuzz-logparse-FORMAT.c), which differ only in the format.
 *
 * The input is a log file: it is cut into lines as `log import` cuts them
 * (at "\n", one "\r" before it dropped), and each line goes through the
 * public logparse API, logparse_line(), into the real importer
 * (sentlog_import_event) on an in-memory sent log opened once, with the
 * sample config's networks; the import is never checkpointed, so it is
 * rolled back and each input starts from an empty log. The input's head
 * also goes through logparse_detect(), as --format auto does.
 *
 * Each line is copied into a buffer of exactly its length: the parsers
 * get (line, len) without a NUL, so ASan sees any read past the end.
 *
 * Limits that apply: NS_MAX_LOG_LINE (longer lines are malformed), and
 * NS_SENTLOG_OPEN_DAYS in the join. */
#ifndef NDRSIFT_FUZZ_LOGPARSE_COMMON_H
#define NDRSIFT_FUZZ_LOGPARSE_COMMON_H

#include "fuzz-common.h"
#include "logparse.h"
#include "ndrsift/sentlog.h"

static Config *config; /* owned for the whole run */
static SentLog *log_db; /* ":memory:", writable, owned for the whole run */

/* Reads every field of an event, so a dangling or unterminated string
 * shows up here rather than later in SQLite, then imports it. */
static void
fuzz_log_event (const LogEvent *e, gpointer import)
{
	const char *strings[] = { e->server, e->queue_id, e->message_id, e->sender,
	                          e->recipient, e->status, e->client_ip };
	size_t n = 0;
	for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
		n += strings[i] ? strlen (strings[i]) : 0;
	for (const char *const *r = e->recipients; r && *r; r++)
		n += strlen (*r);
	(void) n;
	sentlog_import_event (e, import);
}

static void
fuzz_logparse_init (void)
{
	g_autoptr (GError) error = NULL;
	config = fuzz_sample_config (NULL);
	log_db = sentlog_open (":memory:", TRUE, &error);
	if (log_db == NULL) {
		fprintf (stderr, "fuzz: %s\n", error->message);
		abort ();
	}
}

/* server: as --server would give it (NULL: from each line's host field). */
static int
fuzz_logparse (LogFormat format, const char *server, const uint8_t *data, size_t size)
{
	g_autofree char *head = fuzz_string (data, size);
	(void) logparse_detect (head);

	g_autoptr (GError) error = NULL;
	g_autoptr (SentLogImport) im = sentlog_import_begin (log_db, config, NULL, NULL, &error);
	if (im == NULL)
		abort ();
	g_autoptr (LogParser) parser = logparse_new (format, server, FUZZ_NOW);
	const uint8_t *p = data, *end = data + size;
	while (p < end) {
		const uint8_t *nl = memchr (p, '\n', end - p);
		/* A last line without "\n" is still parsed: --follow reads it
		 * once it is complete, and a parser must not care either way. */
		size_t len = (nl ? nl : end) - p;
		if (len > 0 && p[len - 1] == '\r')
			len--;
		g_autofree char *line = g_malloc (len ? len : 1);
		memcpy (line, p, len);
		g_autoptr (GError) bad = NULL;
		if (!logparse_line (parser, line, len, fuzz_log_event, im, &bad)) {
			/* A malformed line must say why: the importer prints it. */
			if (bad == NULL || bad->message == NULL)
				abort ();
			sentlog_import_bad_line (im);
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

/* The two libFuzzer entry points of a log-format harness: each
 * fuzz-logparse-FORMAT.c is its format, the server name (NULL when the
 * lines name it) and this. */
#define FUZZ_LOGPARSE_HARNESS(format, server)                             \
	int LLVMFuzzerInitialize (int *argc, char ***argv)                \
	{                                                                 \
		fuzz_logparse_init ();                                    \
		return 0;                                                 \
	}                                                                 \
	int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)     \
	{                                                                 \
		return fuzz_logparse ((format), (server), data, size);    \
	}

#endif
