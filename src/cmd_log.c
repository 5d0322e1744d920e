/* log — fill and look after the sent log:
 *
 *   log import [--format F] [--server NAME] [--follow] [FILE...|-]
 *   log record [--server NAME]        one outgoing message on stdin
 *   log stats [--all]
 *   log prune --before DATE
 *   log retire [--since DATE | --undo] SERVER
 *
 * import reads whole lines only (a final line without its newline is left
 * for the next run: the MTA is still writing it), in batches committed
 * with the source's checkpoint (sentlog). A malformed line is reported
 * with file:line on stderr and counted, never fatal. .gz files are read
 * through GZlibDecompressor; offsets count decompressed bytes. --follow
 * keeps reading one growing file across rotation until SIGINT/SIGTERM. */
#include <errno.h>
#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ndrsift/address.h"
#include "ndrsift/headers.h"
#include "ndrsift/commands.h"
#include "ndrsift/datetime.h"
#include "ndrsift/limits.h"
#include "ndrsift/logparse.h"
#include "ndrsift/msgid.h"
#include "ndrsift/output.h"
#include "ndrsift/sentlog.h"

/* Lines per transaction: big enough to amortise the commit, small enough
 * that a killed import loses little work (it redoes it, never twice). */
#define BATCH_LINES 50000

static volatile gint stop_requested;

static gboolean
on_stop_signal (gpointer unused)
{
	g_atomic_int_set (&stop_requested, 1);
	return G_SOURCE_CONTINUE;
}

/* A buffered line reader over a GInputStream. */
typedef struct {
	GInputStream *in;
	char *buf;
	gsize start, end, size;
	gint64 offset;       /* of buf[start] in the stream */
	gboolean eof;
} Reader;

static void
reader_init (Reader *r, GInputStream *in)
{
	memset (r, 0, sizeof *r);
	r->in = in;
	r->size = 256 * 1024;
	r->buf = g_malloc (r->size);
}

static void
reader_clear (Reader *r)
{
	g_free (r->buf);
	g_clear_object (&r->in);
}

/* The next complete line (without "\n" or "\r\n"), or NULL at the end or
 * when only an incomplete line is left. *line_offset: where it starts. */
static const char *
reader_line (Reader *r, gsize *len, gint64 *line_offset, GError **error)
{
	for (;;) {
		char *nl = memchr (r->buf + r->start, '\n', r->end - r->start);
		if (nl) {
			const char *line = r->buf + r->start;
			*len = nl - line;
			if (*len > 0 && line[*len - 1] == '\r')
				(*len)--;
			*line_offset = r->offset;
			gsize used = nl + 1 - (r->buf + r->start);
			r->start += used;
			r->offset += used;
			return line;
		}
		if (r->eof)
			return NULL;
		/* Make room: move the partial line to the front, grow when one
		 * line fills the buffer (bounded by NS_MAX_LOG_LINE + 1). */
		if (r->start > 0) {
			memmove (r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		if (r->end == r->size) {
			if (r->size > NS_MAX_LOG_LINE * 2) {
				/* Hostile or broken input: hand the overlong chunk on as
				 * a "line"; the parser rejects it as too long. */
				*len = r->end;
				*line_offset = r->offset;
				r->offset += r->end;
				r->start = r->end;
				return r->buf;
			}
			r->size *= 2;
			r->buf = g_realloc (r->buf, r->size);
		}
		gssize n = g_input_stream_read (r->in, r->buf + r->end, r->size - r->end, NULL, error);
		if (n < 0)
			return NULL;
		if (n == 0)
			r->eof = TRUE;
		r->end += n;
	}
}

/* Discards bytes up to offset (a resumed source that cannot seek). */
static gboolean
reader_skip_to (Reader *r, gint64 offset, GError **error)
{
	if (G_IS_SEEKABLE (r->in) && g_seekable_can_seek (G_SEEKABLE (r->in))) {
		if (!g_seekable_seek (G_SEEKABLE (r->in), offset, G_SEEK_SET, NULL, error))
			return FALSE;
		r->start = r->end = 0;
		r->offset = offset;
		r->eof = FALSE;
		return TRUE;
	}
	while (r->offset < offset) {
		gsize avail = r->end - r->start;
		if (avail == 0) {
			if (r->eof)
				return TRUE;
			r->start = r->end = 0;
			gssize n = g_input_stream_read (r->in, r->buf, r->size, NULL, error);
			if (n < 0)
				return FALSE;
			r->eof = n == 0;
			r->end = n;
			continue;
		}
		gsize take = MIN (avail, (gsize) (offset - r->offset));
		r->start += take;
		r->offset += take;
	}
	return TRUE;
}

static GInputStream *
open_source (const char *path, GError **error)
{
	GInputStream *in;
	if (strcmp (path, "-") == 0)
		in = g_unix_input_stream_new (STDIN_FILENO, FALSE);
	else {
		g_autoptr (GFile) file = g_file_new_for_commandline_arg (path);
		in = G_INPUT_STREAM (g_file_read (file, NULL, error));
		if (in == NULL)
			return NULL;
	}
	if (g_str_has_suffix (path, ".gz")) {
		g_autoptr (GZlibDecompressor) z = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
		GInputStream *conv = g_converter_input_stream_new (in, G_CONVERTER (z));
		g_object_unref (in);
		in = conv;
	}
	return in;
}

typedef struct {
	const Config *config;
	SentLog *log;
	LogFormat format;
	const char *server;
	gint64 now;
	guint64 lines, bad, changes;
} Import;

static void
report_bad (const char *name, gint64 line, const char *why)
{
	g_autofree char *safe_name = output_escape (name);
	g_autofree char *safe_why = output_escape (why);
	fprintf (stderr, "ndrsift: log import: %s:%" G_GINT64_FORMAT ": %s\n", safe_name, line, safe_why);
}

/* One line into the import: a malformed one is reported and counted. */
static void
import_line (Import *im, LogParser *parser, SentLogImport *si, const char *path, gint64 line_no,
             const char *line, gsize len)
{
	g_autoptr (GError) bad = NULL;
	if (!logparse_line (parser, line, len, sentlog_import_event, si, &bad)) {
		report_bad (path, line_no, bad->message);
		sentlog_import_bad_line (si);
		im->bad++;
	}
	im->lines++;
}

/* Imports one source from its checkpoint to its last complete line.
 * follow: then keep reading it as it grows; *rotated is set when the file
 * was replaced (the caller starts over with the new one). */
static gboolean
import_source (Import *im, const char *path, gboolean follow, gboolean *rotated, GError **error)
{
	*rotated = FALSE;
	Reader r;
	GInputStream *in = open_source (path, error);
	if (in == NULL)
		return FALSE;
	reader_init (&r, in);

	/* The first line is the source's fingerprint; a source with no
	 * complete line yet has nothing to import. */
	gsize len;
	gint64 at;
	g_autoptr (GError) local = NULL;
	const char *first = reader_line (&r, &len, &at, &local);
	while (first == NULL && follow && !local && !g_atomic_int_get (&stop_requested)) {
		g_main_context_iteration (NULL, FALSE); /* runs the SIGTERM handler */
		g_usleep (G_USEC_PER_SEC / 2);
		g_main_context_iteration (NULL, FALSE);
		r.eof = FALSE;
		first = reader_line (&r, &len, &at, &local);
	}
	if (first == NULL) {
		reader_clear (&r);
		if (local) {
			g_propagate_error (error, g_steal_pointer (&local));
			return FALSE;
		}
		return TRUE;
	}
	g_autofree char *fingerprint = g_strndup (first, len);
	g_autofree char *head = g_strndup (r.buf, r.end); /* the first lines, for --format auto */

	LogFormat format = im->format;
	if (format == LOG_FORMAT_AUTO)
		format = logparse_detect (head);
	if (format == LOG_FORMAT_AUTO) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		             "%s: cannot tell the log format; give --format", path);
		reader_clear (&r);
		return FALSE;
	}

	gint64 offset, line_no;
	g_autoptr (SentLogImport) si = sentlog_import_begin (im->log, im->config, path, fingerprint,
	                                                     &offset, &line_no, error);
	if (si == NULL) {
		reader_clear (&r);
		return FALSE;
	}
	/* Resume: back to the start, then on to the checkpoint. */
	r.start = 0;
	r.offset = 0;
	if (offset > 0 && !reader_skip_to (&r, offset, error)) {
		reader_clear (&r);
		return FALSE;
	}
	g_autoptr (LogParser) parser = logparse_new (format, im->server, im->now);
	gint64 batch = 0, done_offset = offset;
	struct stat st0 = { 0 };
	gboolean plain_file = strcmp (path, "-") != 0 && stat (path, &st0) == 0 && S_ISREG (st0.st_mode);

	for (;;) {
		const char *line;
		while ((line = reader_line (&r, &len, &at, &local))) {
			import_line (im, parser, si, path, ++line_no, line, len);
			done_offset = r.offset;
			if (++batch >= BATCH_LINES) {
				if (!sentlog_import_checkpoint (si, done_offset, line_no, error)) {
					reader_clear (&r);
					return FALSE;
				}
				batch = 0;
			}
			if (g_atomic_int_get (&stop_requested))
				break;
		}
		if (local) {
			g_propagate_error (error, g_steal_pointer (&local));
			reader_clear (&r);
			return FALSE;
		}
		if (!sentlog_import_checkpoint (si, done_offset, line_no, error)) {
			reader_clear (&r);
			return FALSE;
		}
		batch = 0;
		if (!follow || g_atomic_int_get (&stop_requested))
			break;

		/* Following: wait for more, or for the file to be rotated (a
		 * new inode at the path, or the file cut shorter). */
		g_main_context_iteration (NULL, FALSE);
		g_usleep (G_USEC_PER_SEC / 2);
		g_main_context_iteration (NULL, FALSE);
		struct stat st;
		if (plain_file && stat (path, &st) == 0 &&
		    (st.st_ino != st0.st_ino || st.st_dev != st0.st_dev || st.st_size < done_offset)) {
			/* Drain what the old file still holds, then start over
			 * with the new one, which has its own fingerprint. */
			r.eof = FALSE;
			while ((line = reader_line (&r, &len, &at, &local))) {
				import_line (im, parser, si, path, ++line_no, line, len);
				done_offset = r.offset;
			}
			if (!sentlog_import_checkpoint (si, done_offset, line_no, error)) {
				reader_clear (&r);
				return FALSE;
			}
			im->changes += sentlog_import_messages (si);
			reader_clear (&r);
			*rotated = TRUE;
			return TRUE;
		}
		r.eof = FALSE;
	}
	im->changes += sentlog_import_messages (si);
	reader_clear (&r);
	return TRUE;
}

/* The importer creates the log's directory; readers (other users) must be
 * able to pass through it whatever the importer's umask, so a directory
 * made here is 0755. */
static gboolean
make_log_dir (const char *db_path)
{
	g_autofree char *dir = g_path_get_dirname (db_path);
	if (g_file_test (dir, G_FILE_TEST_IS_DIR))
		return TRUE;
	/* Each missing component, from the top down, made and then chmod-ed:
	 * mkdir's mode is cut by the umask. */
	g_autoptr (GPtrArray) missing = g_ptr_array_new_with_free_func (g_free);
	for (char *d = g_strdup (dir); ; ) {
		if (g_file_test (d, G_FILE_TEST_IS_DIR) || strcmp (d, ".") == 0 || strcmp (d, "/") == 0) {
			g_free (d);
			break;
		}
		g_ptr_array_add (missing, d);
		if (missing->len > 64)
			return FALSE;
		d = g_path_get_dirname (d);
	}
	for (guint i = missing->len; i > 0; i--) {
		const char *d = g_ptr_array_index (missing, i - 1);
		if ((mkdir (d, 0755) != 0 && errno != EEXIST) || chmod (d, 0755) != 0)
			return FALSE;
	}
	return TRUE;
}

static int
log_import (const Config *config, int argc, char **argv)
{
	g_autofree char *format_name = NULL, *server = NULL;
	gboolean follow = FALSE;
	GOptionEntry entries[] = {
		{ "format", 'f', 0, G_OPTION_ARG_STRING, &format_name,
		  "auto (default), postfix, exim, sendmail, exchange or jsonl", "FORMAT" },
		{ "server", 's', 0, G_OPTION_ARG_STRING, &server,
		  "The server the lines come from (default: each line's host, else this host)", "NAME" },
		{ "follow", 0, 0, G_OPTION_ARG_NONE, &follow,
		  "Keep reading FILE as it grows, across rotation, until SIGTERM", NULL },
		{ NULL }
	};
	g_autoptr (GOptionContext) oc = g_option_context_new ("[FILE...|-] - import MTA logs into the sent log");
	g_option_context_add_main_entries (oc, entries, NULL);
	g_autoptr (GError) error = NULL;
	if (!g_option_context_parse (oc, &argc, &argv, &error)) {
		command_error ("log import", "%s", error->message);
		return EXIT_USAGE;
	}
	int format = logparse_format_from_name (format_name ? format_name : "auto");
	if (format < 0) {
		command_error ("log import", "unknown --format '%s'", format_name);
		return EXIT_USAGE;
	}
	if (follow && (argc != 2 || strcmp (argv[1], "-") == 0)) {
		command_error ("log import", "--follow reads exactly one FILE");
		return EXIT_USAGE;
	}

	if (!make_log_dir (config->sentlog_path)) {
		command_error ("log import", "%s: %s", config->sentlog_path, g_strerror (errno));
		return EXIT_ERROR;
	}
	g_autoptr (SentLog) log = sentlog_open (config->sentlog_path, TRUE, &error);
	if (log == NULL) {
		command_error ("log import", "%s", error->message);
		return EXIT_ERROR;
	}
	/* Only a follower stops on a signal at a line boundary; a one-off
	 * import killed midway resumes from its last checkpoint anyway. */
	if (follow) {
		g_unix_signal_add (SIGINT, on_stop_signal, NULL);
		g_unix_signal_add (SIGTERM, on_stop_signal, NULL);
	}

	Import im = { config, log, format, server, g_get_real_time () / G_USEC_PER_SEC, 0, 0, 0 };
	const char *stdin_only[] = { "-", NULL };
	const char *const *files = argc > 1 ? (const char *const *) argv + 1 : stdin_only;
	int status = EXIT_OK;
	for (guint i = 0; files[i]; i++) {
		g_autoptr (GError) e = NULL;
		gboolean rotated;
		do {
			g_clear_error (&e);
			if (!import_source (&im, files[i], follow, &rotated, &e)) {
				command_error ("log import", "%s", e->message);
				status = EXIT_ERROR;
			}
		} while (rotated && !g_atomic_int_get (&stop_requested));
	}
	/* Readers are short-lived processes (one per delivery) that would
	 * each replay what the WAL holds: fold it into the database now. The
	 * WAL file itself stays, empty (persistent WAL). */
	sentlog_checkpoint (log);
	fprintf (stderr, "ndrsift: log import: %" G_GUINT64_FORMAT " lines read, %" G_GUINT64_FORMAT
	         " malformed, %" G_GUINT64_FORMAT " rows changed\n", im.lines, im.bad, im.changes);
	return status;
}

/* The address part of a header value, normalised, or NULL. */
static char *
first_address (GMimeMessage *msg, GMimeAddressType type)
{
	InternetAddressList *list = g_mime_message_get_addresses (msg, type);
	for (int i = 0; list && i < internet_address_list_length (list); i++) {
		InternetAddress *a = internet_address_list_get_address (list, i);
		if (INTERNET_ADDRESS_IS_MAILBOX (a))
			return g_strdup (internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (a)));
	}
	return NULL;
}

static int
log_record (const Config *config, int argc, char **argv)
{
	g_autofree char *server = NULL;
	GOptionEntry entries[] = {
		{ "server", 's', 0, G_OPTION_ARG_STRING, &server, "The server name (default: this host)", "NAME" },
		{ NULL }
	};
	g_autoptr (GOptionContext) oc = g_option_context_new (
		"- record one outgoing message read on standard input\n\n"
		"Only for a hook that sees our users' own submissions (a submission-only\n"
		"service, an authenticated-submission ACL): a hook on all mail would record\n"
		"forged mail as ours too.");
	g_option_context_add_main_entries (oc, entries, NULL);
	g_autoptr (GError) error = NULL;
	if (!g_option_context_parse (oc, &argc, &argv, &error) || argc != 1) {
		command_error ("log record", "%s", error ? error->message : "reads standard input only");
		return EXIT_USAGE;
	}
	/* Read whole first: stdin may be a pipe, which GMime's file stream
	 * cannot seek. */
	g_autoptr (GByteArray) bytes = g_byte_array_new ();
	guint8 buf[65536];
	gssize n;
	while ((n = read (STDIN_FILENO, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			command_error ("log record", "reading standard input: %s", g_strerror (errno));
			return EXIT_ERROR;
		}
		g_byte_array_append (bytes, buf, n);
	}
	g_autoptr (GMimeStream) in = g_mime_stream_mem_new_with_byte_array (bytes);
	g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (in), FALSE);
	g_autoptr (GMimeParser) parser = g_mime_parser_new_with_stream (in);
	g_autoptr (GMimeMessage) msg = g_mime_parser_construct_message (parser, NULL);
	if (msg == NULL) {
		command_error ("log record", "standard input is not a message");
		return EXIT_ERROR;
	}
	/* The header as written, not decoded: the sent log reads it with
	 * msgid_normalise, as the lookup reads the id a bounce quotes (GMime's
	 * own reading of an odd value may differ from it). */
	GMimeHeader *mid = g_mime_header_list_get_header (g_mime_object_get_header_list (GMIME_OBJECT (msg)),
	                                                  "Message-ID");
	const char *message_id = mid ? g_mime_header_get_raw_value (mid) : NULL;
	g_autofree char *normal = msgid_normalise (message_id);
	g_autofree char *sender = first_address (msg, GMIME_ADDRESS_TYPE_SENDER);
	if (sender == NULL)
		sender = first_address (msg, GMIME_ADDRESS_TYPE_FROM);
	g_autoptr (GPtrArray) rcpts = g_ptr_array_new_with_free_func (g_free);
	static const GMimeAddressType types[] = { GMIME_ADDRESS_TYPE_TO, GMIME_ADDRESS_TYPE_CC,
	                                          GMIME_ADDRESS_TYPE_BCC };
	for (guint t = 0; t < G_N_ELEMENTS (types); t++) {
		InternetAddressList *list = g_mime_message_get_addresses (msg, types[t]);
		for (int i = 0; list && i < internet_address_list_length (list); i++) {
			InternetAddress *a = internet_address_list_get_address (list, i);
			if (INTERNET_ADDRESS_IS_MAILBOX (a))
				g_ptr_array_add (rcpts, g_strdup (internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (a))));
		}
	}
	g_ptr_array_add (rcpts, NULL);
	if (normal == NULL) {
		command_error ("log record", "the message has no Message-ID: nothing a bounce could quote");
		return EXIT_ERROR;
	}

	make_log_dir (config->sentlog_path);
	g_autoptr (SentLog) log = sentlog_open (config->sentlog_path, TRUE, &error);
	if (log == NULL) {
		command_error ("log record", "%s", error->message);
		return EXIT_ERROR;
	}
	gint64 offset, line;
	g_autoptr (SentLogImport) si = sentlog_import_begin (log, config, "log record", NULL, &offset, &line, &error);
	if (si == NULL) {
		command_error ("log record", "%s", error->message);
		return EXIT_ERROR;
	}
	LogEvent ev = {
		.type = LOG_EVENT_RECORD,
		.time = g_get_real_time () / G_USEC_PER_SEC,
		.server = server ? server : g_get_host_name (),
		.message_id = message_id,
		.sender = sender,
		.status = "sent",
		.origin = LOG_ORIGIN_LOCAL,
		.recipients = (const char *const *) rcpts->pdata,
	};
	sentlog_import_event (&ev, si);
	if (!sentlog_import_checkpoint (si, 0, 0, &error)) {
		command_error ("log record", "%s", error->message);
		return EXIT_ERROR;
	}
	g_clear_pointer (&si, sentlog_import_free);
	sentlog_checkpoint (log);
	return EXIT_OK;
}


/* "3d 4h", "2h 5m", "40m", "12s": the two largest units. */
static char *
format_duration (gint64 s)
{
	static const struct {
		const char *unit;
		gint64 seconds;
	} units[] = { { "d", 86400 }, { "h", 3600 }, { "m", 60 }, { "s", 1 } };
	for (guint i = 0; i < G_N_ELEMENTS (units); i++)
		if (s >= units[i].seconds || i + 1 == G_N_ELEMENTS (units)) {
			gint64 big = s / units[i].seconds, rest = s % units[i].seconds;
			if (i + 1 < G_N_ELEMENTS (units) && rest >= units[i + 1].seconds)
				return g_strdup_printf ("%" G_GINT64_FORMAT "%s %" G_GINT64_FORMAT "%s", big, units[i].unit,
				                        rest / units[i + 1].seconds, units[i + 1].unit);
			return g_strdup_printf ("%" G_GINT64_FORMAT "%s", big, units[i].unit);
		}
	return g_strdup ("?");
}

static gboolean
listed (const Config *config, const char *name)
{
	for (guint i = 0; config->sentlog_servers && config->sentlog_servers[i]; i++)
		if (strcmp (config->sentlog_servers[i], name) == 0)
			return TRUE;
	return FALSE;
}

/* A server's joined spans and the gaps between them, the latest `shown`. */
static void
print_spans (const SentLogServer *sv, guint shown)
{
	guint start = sv->spans->len > shown ? sv->spans->len - shown : 0;
	if (start > 0)
		printf ("  ...       %u earlier spans (log stats --all shows them)\n", start);
	for (guint k = start; k < sv->spans->len; k++) {
		const SentLogSpan *sp = &g_array_index (sv->spans, SentLogSpan, k);
		if (k > start) {
			const SentLogSpan *prev = &g_array_index (sv->spans, SentLogSpan, k - 1);
			g_autofree char *a = datetime_format_utc (prev->last), *b = datetime_format_utc (sp->first);
			g_autofree char *d = format_duration (sp->first - prev->last);
			printf ("  gap       %s .. %s  (%s not covered)\n", a, b, d);
		}
		g_autofree char *a = datetime_format_utc (sp->first), *b = datetime_format_utc (sp->last);
		printf ("  span      %s .. %s\n", a, b);
	}
	guint hstart = sv->holes->len > shown ? sv->holes->len - shown : 0;
	for (guint k = hstart; k < sv->holes->len; k++) {
		const SentLogSpan *h = &g_array_index (sv->holes, SentLogSpan, k);
		g_autofree char *a = datetime_format_utc (h->first), *b = datetime_format_utc (h->last);
		printf ("  lost      %s .. %s  (a syslog daemon dropped lines: not covered)\n", a, b);
	}
}

static int
log_stats (const Config *config, int argc, char **argv)
{
	gboolean all = FALSE;
	GOptionEntry entries[] = {
		{ "all", 'a', 0, G_OPTION_ARG_NONE, &all, "Show every span of every server, not only the latest", NULL },
		{ NULL }
	};
	g_autoptr (GOptionContext) oc = g_option_context_new ("- what the sent log holds");
	g_option_context_add_main_entries (oc, entries, NULL);
	g_autoptr (GError) error = NULL;
	if (!g_option_context_parse (oc, &argc, &argv, &error) || argc != 1) {
		command_error ("log stats", "%s", error ? error->message : "takes no arguments");
		return EXIT_USAGE;
	}
	g_autoptr (SentLog) log = sentlog_open (config->sentlog_path, FALSE, &error);
	if (log == NULL && g_error_matches (error, SENTLOG_ERROR, SENTLOG_ERROR_MISSING)) {
		/* A missing log is an empty one (doc/design.md), not a failure. */
		g_autofree char *path = output_escape (config->sentlog_path);
		printf ("database    %s (none yet: `ndrsift log import` creates it)\nmessages    0\n", path);
		return EXIT_OK;
	}
	if (log == NULL) {
		command_error ("log stats", "%s", error->message);
		return EXIT_ERROR;
	}
	g_autoptr (SentLogStats) st = sentlog_stats (log, config->max_gap, &error);
	if (st == NULL) {
		command_error ("log stats", "%s", error->message);
		return EXIT_ERROR;
	}
	g_autofree char *path = output_escape (config->sentlog_path);
	printf ("database    %s\n", path);
	printf ("size        %" G_GINT64_FORMAT " bytes", st->bytes);
	if (st->messages > 0)
		printf (" (%" G_GINT64_FORMAT " per message)", st->bytes / st->messages);
	printf ("\nmessages    %" G_GINT64_FORMAT "\nrecipients  %" G_GINT64_FORMAT "\n", st->messages, st->recipients);
	printf ("sources     %" G_GINT64_FORMAT " (%" G_GINT64_FORMAT " malformed lines, %" G_GINT64_FORMAT
	        " cuts in coverage)\n", st->sources, st->bad_lines, st->cuts);

	/* Each server, its spans and the gaps between them; then what makes
	 * misses unjudged: a listed server never seen, or one silent longer
	 * than max_gap (gone, or its log no longer arrives). */
	g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
	gint64 now = g_get_real_time () / G_USEC_PER_SEC;
	gboolean any_listed = config->sentlog_servers && config->sentlog_servers[0];
	for (guint i = 0; i < st->servers->len; i++) {
		SentLogServer *sv = g_ptr_array_index (st->servers, i);
		g_autofree char *name = output_escape (sv->name);
		printf ("server      %-24s %8" G_GINT64_FORMAT " messages, %u span%s", name, sv->messages,
		        sv->spans->len, sv->spans->len == 1 ? "" : "s");
		if (sv->retired) {
			g_autofree char *when = datetime_format_utc (sv->retired);
			printf (", retired since %s", when);
		}
		printf ("\n");
		print_spans (sv, all ? G_MAXUINT : NS_STATS_SPANS);
		gboolean required = (!any_listed || listed (config, sv->name)) && !sv->retired;
		if (required && sv->spans->len == 0)
			g_ptr_array_add (warnings, g_strdup_printf ("%s has no span: no miss is judged"
			                                            " (log retire %s, if it is gone)", name, name));
		else if (required && now - sv->last > config->max_gap) {
			g_autofree char *when = datetime_format_utc (sv->last);
			g_autofree char *d = format_duration (now - sv->last);
			g_ptr_array_add (warnings, g_strdup_printf ("%s silent since %s (%s, longer than max_gap):"
			                                            " no later miss is judged (log retire %s, if it is gone)",
			                                            name, when, d, name));
		}
	}
	for (guint i = 0; any_listed && config->sentlog_servers[i]; i++) {
		const char *want = config->sentlog_servers[i];
		gboolean seen = FALSE;
		for (guint k = 0; k < st->servers->len && !seen; k++)
			seen = strcmp (((SentLogServer *) g_ptr_array_index (st->servers, k))->name, want) == 0;
		if (!seen) {
			g_autofree char *name = output_escape (want);
			g_ptr_array_add (warnings, g_strdup_printf ("%s is in [sentlog] servers but has never been seen"
			                                            " in the log: no miss is judged", name));
		}
	}
	for (guint i = 0; i < warnings->len; i++)
		printf ("warning     %s\n", (char *) g_ptr_array_index (warnings, i));
	return fflush (stdout) == 0 ? EXIT_OK : EXIT_ERROR;
}

/* "2026-11-01", "2026-11-01T00:00:00Z" or a Unix time. */
static gboolean
parse_when (const char *text, gint64 *out)
{
	gsize n = strlen (text);
	if (n == 10 && text[4] == '-' && text[7] == '-') {
		g_autofree char *full = g_strconcat (text, "T00:00:00Z", NULL);
		return datetime_parse_rfc3339 (full, strlen (full), out) == strlen (full);
	}
	if (datetime_parse_rfc3339 (text, n, out) == n)
		return TRUE;
	char *end;
	*out = g_ascii_strtoll (text, &end, 10);
	return end != text && *end == '\0';
}

static int
log_prune (const Config *config, int argc, char **argv)
{
	g_autofree char *before = NULL;
	GOptionEntry entries[] = {
		{ "before", 'b', 0, G_OPTION_ARG_STRING, &before, "Delete messages older than DATE (YYYY-MM-DD, RFC 3339)", "DATE" },
		{ NULL }
	};
	g_autoptr (GOptionContext) oc = g_option_context_new ("- delete old messages from the sent log");
	g_option_context_add_main_entries (oc, entries, NULL);
	g_autoptr (GError) error = NULL;
	gint64 when;
	if (!g_option_context_parse (oc, &argc, &argv, &error) || argc != 1 || before == NULL ||
	    !parse_when (before, &when)) {
		command_error ("log prune", "%s", error ? error->message : "give --before DATE (YYYY-MM-DD)");
		return EXIT_USAGE;
	}
	g_autoptr (SentLog) log = sentlog_open (config->sentlog_path, TRUE, &error);
	gint64 deleted = 0;
	if (log == NULL || !sentlog_prune (log, when, &deleted, &error)) {
		command_error ("log prune", "%s", error->message);
		return EXIT_ERROR;
	}
	printf ("%" G_GINT64_FORMAT " messages deleted\n", deleted);
	return EXIT_OK;
}

static int
log_retire (const Config *config, int argc, char **argv)
{
	g_autofree char *since = NULL;
	gboolean undo = FALSE;
	GOptionEntry entries[] = {
		{ "since", 0, 0, G_OPTION_ARG_STRING, &since,
		  "Out of service from DATE (YYYY-MM-DD, RFC 3339; default: its last line read)", "DATE" },
		{ "undo", 0, 0, G_OPTION_ARG_NONE, &undo, "Put the server back in service", NULL },
		{ NULL }
	};
	g_autoptr (GOptionContext) oc = g_option_context_new (
		"SERVER - take a server that is gone out of coverage\n\n"
		"A miss counts only when every server's log covers the moment (ndrsift(1)):\n"
		"a server that is gone would leave every later miss unknown.\n"
		"Retired, it is still needed for earlier moments.");
	g_option_context_add_main_entries (oc, entries, NULL);
	g_autoptr (GError) error = NULL;
	gint64 when = 0;
	if (!g_option_context_parse (oc, &argc, &argv, &error) || argc != 2 || argv[1][0] == '\0' ||
	    (since && (undo || !parse_when (since, &when)))) {
		command_error ("log retire", "%s", error ? error->message
		               : since && undo ? "--since and --undo do not go together"
		               : since ? "--since: give a date (YYYY-MM-DD or RFC 3339)" : "give one SERVER");
		return EXIT_USAGE;
	}
	make_log_dir (config->sentlog_path);
	g_autoptr (SentLog) log = sentlog_open (config->sentlog_path, TRUE, &error);
	/* A name the log does not know is a typo, unless it is listed (a
	 * server that never logged). */
	if (log == NULL || !sentlog_retire (log, argv[1], when, undo, listed (config, argv[1]), &when, &error)) {
		command_error ("log retire", "%s", error->message);
		return EXIT_ERROR;
	}
	sentlog_checkpoint (log);
	g_autofree char *name = output_escape (argv[1]);
	if (undo)
		printf ("%s is in service: coverage needs its log again\n", name);
	else {
		g_autofree char *t = datetime_format_utc (when);
		printf ("%s retired since %s: coverage needs its log only before that\n", name, t);
	}
	return fflush (stdout) == 0 ? EXIT_OK : EXIT_ERROR;
}

int
cmd_log (const Config *config, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run) (const Config *, int, char **);
	} subs[] = {
		{ "import", log_import }, { "record", log_record }, { "stats", log_stats }, { "prune", log_prune },
		{ "retire", log_retire },
	};
	if (argc >= 2)
		for (guint i = 0; i < G_N_ELEMENTS (subs); i++)
			if (strcmp (argv[1], subs[i].name) == 0) {
				g_autofree char *prgname = g_strconcat ("ndrsift log ", subs[i].name, NULL);
				g_set_prgname (prgname);
				return subs[i].run (config, argc - 1, argv + 1);
			}
	if (argc == 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)) {
		printf ("Usage:\n"
		        "  ndrsift log import [--format FORMAT] [--server NAME] [--follow] [FILE...|-]\n"
		        "  ndrsift log record [--server NAME]\n"
		        "  ndrsift log stats [--all]\n"
		        "  ndrsift log prune --before DATE\n"
		        "  ndrsift log retire [--since DATE | --undo] SERVER\n"
		        "\nFill and look after the sent log. Run 'ndrsift log SUBCOMMAND --help'\n"
		        "for the options of one.\n");
		return fflush (stdout) == 0 ? EXIT_OK : EXIT_ERROR;
	}
	command_error ("log", "give import, record, stats, prune or retire (see ndrsift log --help)");
	return EXIT_USAGE;
}
