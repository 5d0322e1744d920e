/* log — fill and look after the sent log:
 *
 *   log import [--format F] [--server NAME] [--follow] [FILE...|-]
 *   log record [--server NAME]        one outgoing message on stdin
 *   log stats [--all]
 *   log prune --before DATE
 *   log retire [--since DATE | --undo] SERVER
 *   log backup DEST                   a copy for readers elsewhere
 *   log grep --message-id ID | --recipient ADDR   did we send it?
 *
 * import reads whole lines only (logreader: a final line without its
 * newline is left for the next run, the MTA is still writing it; an
 * overlong one is dropped whole), in batches committed with the source's
 * checkpoint (sentlog). A source goes on from the checkpoint of one that
 * begins as it does only when it holds what was read before it (see
 * sentlog.h). A malformed line is reported with file:line on stderr and
 * counted, never fatal. .gz files are read through GZlibDecompressor;
 * offsets count decompressed bytes. --follow keeps reading one growing
 * file across rotation and copytruncate until SIGINT/SIGTERM.
 *
 * grep hashes its query as the log stores it (sentlog.h "Privacy") and
 * prints the rows that match: what the log keeps of each in plain.
 *
 * Run as root, import, record, prune and retire first become the owner
 * of the log's directory (become_log_owner). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "address.h"
#include "ndrsift/bounce.h"
#include "ndrsift/headers.h"
#include "commands.h"
#include "datetime.h"
#include "ndrsift/limits.h"
#include "logparse.h"
#include "logreader.h"
#include "msgid.h"
#include "output.h"
#include "ndrsift/sentlog.h"

/* Lines per transaction at most (fewer when the batch holds
 * NS_SENTLOG_BATCH_ENTRIES index entries): a batch writes its index
 * entries in key order, and the more of them, the fewer pages of a big
 * index each one reads and writes (bench/README, import.sh: 3,000,000
 * jsonl records, 56.5 CPU s with 50,000-line batches, 39-40 s with some
 * 450,000); a killed import redoes at most one batch, never twice. */
#define BATCH_LINES 1000000

static volatile gint stop_requested;

static gboolean
on_stop_signal (gpointer unused)
{
	g_atomic_int_set (&stop_requested, 1);
	return G_SOURCE_CONTINUE;
}

typedef struct {
	const Config *config;
	SentLog *log;
	LogFormat format;
	const char *server;
	guint64 lines, bad, changes;
	guint64 set_aside;     /* open messages written out early (sentlog_import_set_aside) */
} Import;

static void
report_bad (const char *name, gint64 line, const char *why)
{
	msg_warning ("log import", "%s:%" G_GINT64_FORMAT ": %s", name, line, why);
}

/* One source being imported. */
typedef struct {
	const char *path;
	LogFormat format;
	LogReader *r;
	LogParser *parser;
	GArray *found;                 /* SentLogSource: checkpoints it may go on from */
	const SentLogSource *resumed;  /* the one it goes on from, or NULL */
	gint64 line_no;                /* of the last line read */
} Source;

static void
source_clear (Source *s)
{
	g_clear_pointer (&s->r, logreader_free);
	g_clear_pointer (&s->parser, logparse_free);
	g_clear_pointer (&s->found, g_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Source, source_clear)

/* One line into the import: a malformed one, or one too long to be read
 * (dropped whole by the reader), is reported and counted. */
static void
import_line (Import *im, Source *s, SentLogImport *si, const char *line, gsize len, gboolean overlong)
{
	g_autoptr (GError) bad = NULL;
	s->line_no++;
	if (overlong)
		g_set_error (&bad, LOGPARSE_ERROR, LOGPARSE_ERROR_TOO_LONG, "line longer than %d bytes, skipped", NS_MAX_LOG_LINE);
	if (overlong || !logparse_line (s->parser, line, len, sentlog_import_event, si, &bad)) {
		report_bad (s->path, s->line_no, bad->message);
		sentlog_import_bad_line (si);
		im->bad++;
	}
	im->lines++;
}

static gboolean
checkpoint (SentLogImport *si, Source *s, GError **error)
{
	SentLogPosition at = { .offset = logreader_offset (s->r), .lines = s->line_no };
	at.head = logreader_head (s->r, &at.head_len);
	at.tail = logreader_tail (s->r, &at.tail_len);
	return sentlog_import_checkpoint (si, &at, error);
}

/* Imports the lines the source holds now, with a checkpoint every
 * BATCH_LINES and at the end. */
static gboolean
import_lines (Import *im, Source *s, SentLogImport *si, GError **error)
{
	g_autoptr (GError) local = NULL;
	const char *line;
	gsize len;
	gboolean overlong;
	gint64 batch = 0;
	while ((line = logreader_line (s->r, &len, &overlong, &local))) {
		/* The year of a classic stamp: when this line was read. */
		logparse_set_now (s->parser, logreader_now (s->r));
		import_line (im, s, si, line, len, overlong);
		if (++batch >= BATCH_LINES || sentlog_import_full (si)) {
			if (!checkpoint (si, s, error))
				return FALSE;
			batch = 0;
		}
		if (g_atomic_int_get (&stop_requested))
			break;
	}
	if (local) {
		g_propagate_error (error, g_steal_pointer (&local));
		return FALSE;
	}
	return checkpoint (si, s, error);
}

/* Sleeps one poll of --follow, running the SIGTERM handler. */
static void
follow_pause (void)
{
	g_main_context_iteration (NULL, FALSE);
	g_usleep (G_USEC_PER_SEC / 2);
	g_main_context_iteration (NULL, FALSE);
}

/* Opens the source, waits (following) for its first line and tells its
 * format. s->r stays NULL, error unset, when there is nothing to import. */
static gboolean
open_source (Import *im, Source *s, gboolean follow, GError **error)
{
	g_autoptr (LogReader) r = logreader_open (s->path, follow, error);
	gboolean ready = FALSE;
	if (r == NULL || !logreader_start (r, &ready, error))
		return FALSE;
	while (!ready && follow && !g_atomic_int_get (&stop_requested)) {
		follow_pause ();
		logreader_again (r);
		if (!logreader_start (r, &ready, error))
			return FALSE;
	}
	if (!ready)
		return TRUE;
	s->format = im->format;
	if (s->format == LOG_FORMAT_AUTO)
		s->format = logparse_detect (logreader_buffered (r));
	if (s->format == LOG_FORMAT_AUTO) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		             "%s: cannot tell the log format; give --format", s->path);
		return FALSE;
	}
	s->parser = logparse_new (s->format, im->server, logreader_now (r));
	s->r = g_steal_pointer (&r);
	return TRUE;
}

/* Whether the regular file holds, before src's offset, the bytes read
 * before that checkpoint (read there, nothing else). */
static gboolean
tail_holds (LogReader *r, const SentLogSource *src)
{
	guint8 bytes[NS_SOURCE_ID_BYTES], digest[SENTLOG_DIGEST_LEN];
	if (src->head_len == 0 || (gint64) src->tail_len != MIN (src->offset, (gint64) NS_SOURCE_ID_BYTES) ||
	    !logreader_read_at (r, src->offset - src->tail_len, bytes, src->tail_len))
		return FALSE;
	sentlog_digest (bytes, src->tail_len, digest);
	return memcmp (digest, src->tail, SENTLOG_DIGEST_LEN) == 0;
}

/* Reads the source up to src's offset without importing (the parser sees
 * the lines it wants, logparse_skipped_line). Returns whether it holds
 * what was read before that checkpoint: the offset falls on a line end,
 * and the bytes before it are the same (schema 1: as many lines). */
static gboolean
read_up_to (Source *s, const SentLogSource *src, GError **error)
{
	s->line_no = 0;
	while (logreader_offset (s->r) < src->offset) {
		gsize len;
		gboolean overlong;
		const char *line = logreader_line (s->r, &len, &overlong, error);
		if (line == NULL)
			return FALSE;
		logparse_skipped_line (s->parser, line, len);
		s->line_no++;
	}
	if (logreader_offset (s->r) != src->offset)
		return FALSE;
	if (src->head_len == 0)
		return s->line_no == src->lines;
	gsize tail_len;
	const guint8 *tail = logreader_tail (s->r, &tail_len);
	guint8 digest[SENTLOG_DIGEST_LEN];
	if (tail_len != src->tail_len)
		return FALSE;
	sentlog_digest (tail, tail_len, digest);
	return memcmp (digest, src->tail, SENTLOG_DIGEST_LEN) == 0;
}

/* Goes to where the source was read up to: the checkpoint of a source that
 * begins as this one does (sentlog_find_sources) and holds what was read
 * before it. A regular file is checked where each checkpoint is; a stream
 * is read up to the most likely one and checked there, and when it does
 * not hold, a file is read from its start (a new source) and standard
 * input is refused: what it held is gone. */
static gboolean
find_checkpoint (Import *im, Source *s, gboolean follow, GError **error)
{
	gsize head_len;
	const guint8 *head = logreader_head (s->r, &head_len);
	/* Schema 1 knew a source by its first line (without its line end). */
	const char *text = logreader_buffered (s->r);
	gsize n = strcspn (text, "\n");
	g_autofree char *first_line = g_strndup (text, n > 0 && text[n - 1] == '\r' ? n - 1 : n);
	if ((s->found = sentlog_find_sources (im->log, head, head_len, first_line, error)) == NULL)
		return FALSE;
	gboolean seekable = logreader_seekable (s->r);
	const SentLogSource *likely = NULL;
	for (guint i = 0; i < s->found->len && s->resumed == NULL; i++) {
		const SentLogSource *src = &g_array_index (s->found, SentLogSource, i);
		if (seekable && tail_holds (s->r, src))
			s->resumed = src;
		else if (likely == NULL && (src->head_len == 0 || !seekable))
			likely = src;
	}
	if (s->resumed && !logparse_reads_skipped (s->parser)) {
		s->line_no = s->resumed->lines;
		return logreader_seek (s->r, s->resumed->offset, error);
	}
	const SentLogSource *src = s->resumed ? s->resumed : likely;
	g_autoptr (GError) local = NULL;
	if (src == NULL || read_up_to (s, src, &local)) {
		s->resumed = src;
		return TRUE;
	}
	if (local) {
		g_propagate_error (error, g_steal_pointer (&local));
		return FALSE;
	}
	if (!seekable && strcmp (s->path, "-") == 0) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		             "%s: begins like a source imported before, but does not hold what was read of it "
		             "(%" G_GINT64_FORMAT " lines read, none imported): import it from a file",
		             s->path, s->line_no);
		return FALSE;
	}
	/* Not that source after all: from the start, as a new one. */
	s->resumed = NULL;
	s->line_no = 0;
	if (seekable) {
		g_clear_pointer (&s->parser, logparse_free);
		s->parser = logparse_new (s->format, im->server, logreader_now (s->r));
		return logreader_seek (s->r, 0, error);
	}
	source_clear (s);
	if (!open_source (im, s, follow, error))
		return FALSE;
	if (s->r == NULL)
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: changed while it was read", s->path);
	return s->r != NULL;
}

/* Imports one source from its checkpoint to its last complete line.
 * follow: then keep reading it as it grows; *again is set when the path
 * names another file now, or the file was cut and written again (the
 * caller starts over with what the path holds). */
static gboolean
import_source (Import *im, const char *path, gboolean follow, gboolean *again, GError **error)
{
	*again = FALSE;
	g_auto (Source) s = { .path = path };
	if (!open_source (im, &s, follow, error))
		return FALSE;
	if (s.r == NULL)
		return TRUE; /* no complete line yet: nothing to import */
	if (!find_checkpoint (im, &s, follow, error))
		return FALSE;
	SentLogSource fresh;
	if (s.resumed == NULL) {
		gsize head_len;
		const guint8 *head = logreader_head (s.r, &head_len);
		if (!sentlog_new_source (im->log, head, head_len, &fresh, error))
			return FALSE;
	}
	g_autoptr (SentLogImport) si = sentlog_import_begin (im->log, im->config, path,
	                                                     s.resumed ? s.resumed : &fresh, error);
	if (si == NULL || !import_lines (im, &s, si, error))
		return FALSE;
	while (follow && !g_atomic_int_get (&stop_requested)) {
		/* Following: wait for more, and see what became of the file. */
		follow_pause ();
		LogReaderChange change = logreader_changed (s.r);
		logreader_again (s.r);
		/* Renamed away, what the old file still holds comes first; cut
		 * and written again (copytruncate), what it holds now is not
		 * this source's. */
		if (change != LOGREADER_TRUNCATED && !import_lines (im, &s, si, error))
			return FALSE;
		if (change != LOGREADER_SAME) {
			/* A new source at the path, read from its start. */
			*again = TRUE;
			break;
		}
	}
	im->changes += sentlog_import_messages (si);
	im->set_aside += sentlog_import_set_aside (si);
	return TRUE;
}

/* The importer creates the log's directory; readers (other users) must be
 * able to pass through it whatever the importer's umask: a directory made
 * here may be searched by whom [sentlog] mode lets read the log (0755 for
 * 0644, 0750 for 0640). */
static gboolean
make_log_dir (const char *db_path, guint mode)
{
	g_autofree char *dir = g_path_get_dirname (db_path);
	if (g_file_test (dir, G_FILE_TEST_IS_DIR))
		return TRUE;
	guint dir_mode = 0700 | (mode & 0040 ? 0050 : 0) | (mode & 0004 ? 0005 : 0);
	/* Each missing component, from the top down, made and then chmod-ed
	 * (mkdir's mode is cut by the umask), never through a link. */
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
		if (mkdir (d, dir_mode) != 0 && errno != EEXIST)
			return FALSE;
		int fd = open (d, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		gboolean ok = fd >= 0 && fchmod (fd, dir_mode) == 0;
		if (fd >= 0)
			close (fd);
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

/* A root importer first becomes the owner of the first directory on the
 * way to the log (its own directory included) that root does not own, a
 * link or what it points to, with that user's groups, for good: whatever
 * that user can put there (a link named sent.db, a link in place of a
 * directory), root never writes through it, and the files made are that
 * user's. A way that is root's all along leaves it root. */
static gboolean
become_log_owner (const char *db_path, GError **error)
{
	if (geteuid () != 0)
		return TRUE;
	g_autofree char *cwd = g_get_current_dir ();
	g_autofree char *path = g_path_is_absolute (db_path) ? g_strdup (db_path) : g_build_filename (cwd, db_path, NULL);
	g_autofree char *dir = g_path_get_dirname (path);
	g_auto (GStrv) parts = g_strsplit (dir, "/", -1);
	g_autoptr (GString) way = g_string_new (NULL);
	struct stat st = { 0 };
	for (guint i = 0; parts[i] && st.st_uid == 0; i++) {
		if (parts[i][0] == '\0')
			continue;
		g_string_append_printf (way, "/%s", parts[i]);
		struct stat target;
		if (lstat (way->str, &st) != 0)
			return TRUE; /* missing: made below as root, in root's directory */
		if (st.st_uid == 0 && S_ISLNK (st.st_mode) && stat (way->str, &target) == 0)
			st = target;
	}
	if (st.st_uid == 0)
		return TRUE;
	struct passwd *pw = getpwuid (st.st_uid);
	gid_t gid = pw ? pw->pw_gid : st.st_gid;
	if ((pw ? initgroups (pw->pw_name, gid) : setgroups (0, NULL)) != 0 || setgid (gid) != 0 ||
	    setuid (st.st_uid) != 0) {
		int e = errno;
		g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s: cannot become its owner (uid %u): %s",
		             way->str, (unsigned) st.st_uid, g_strerror (e));
		return FALSE;
	}
	if (setuid (0) == 0) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "%s: root could not be left", way->str);
		return FALSE;
	}
	return TRUE;
}

/* The log for a command that writes it: as the owner of its directory,
 * the directory made if need be. Returns: (transfer full) or NULL, the
 * error said. */
static SentLog *
open_writer (const Config *config, const char *command)
{
	g_autoptr (GError) error = NULL;
	if (!become_log_owner (config->sentlog_path, &error)) {
		msg_error (command, "%s", error->message);
		return NULL;
	}
	if (!make_log_dir (config->sentlog_path, config->sentlog_mode)) {
		msg_error (command, "%s: %s", config->sentlog_path, g_strerror (errno));
		return NULL;
	}
	SentLog *log = sentlog_open_mode (config->sentlog_path, TRUE, config->sentlog_mode, &error);
	if (log == NULL)
		msg_error (command, "%s", error->message);
	return log;
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
	if (!msg_options_parse (oc, &argc, &argv, &error)) {
		msg_error ("log import", "%s", error->message);
		return EXIT_USAGE;
	}
	int format = logparse_format_from_name (format_name ? format_name : "auto");
	if (format < 0) {
		msg_error ("log import", "unknown --format '%s'", format_name);
		return EXIT_USAGE;
	}
	if (follow && (argc != 2 || strcmp (argv[1], "-") == 0)) {
		msg_error ("log import", "--follow reads exactly one FILE");
		return EXIT_USAGE;
	}

	g_autoptr (SentLog) log = open_writer (config, "log import");
	if (log == NULL)
		return EXIT_ERROR;
	/* Only a follower stops on a signal at a line boundary; a one-off
	 * import killed midway resumes from its last checkpoint anyway. */
	if (follow) {
		g_unix_signal_add (SIGINT, on_stop_signal, NULL);
		g_unix_signal_add (SIGTERM, on_stop_signal, NULL);
	}

	Import im = { config, log, format, server, 0, 0, 0, 0 };
	const char *stdin_only[] = { "-", NULL };
	const char *const *files = argc > 1 ? (const char *const *) argv + 1 : stdin_only;
	int status = EXIT_OK;
	for (guint i = 0; files[i]; i++) {
		g_autoptr (GError) e = NULL;
		gboolean again;
		do {
			g_clear_error (&e);
			if (!import_source (&im, files[i], follow, &again, &e)) {
				msg_error ("log import", "%s", e->message);
				status = EXIT_ERROR;
			}
		} while (again && !g_atomic_int_get (&stop_requested));
	}
	/* Readers are short-lived processes (one per delivery) that would
	 * each replay what the WAL holds: fold it into the database now. The
	 * WAL file itself stays, empty (persistent WAL). */
	sentlog_checkpoint (log);
	fprintf (stderr, "ndrsift: log import: %" G_GUINT64_FORMAT " lines read, %" G_GUINT64_FORMAT
	         " malformed, %" G_GUINT64_FORMAT " rows changed", im.lines, im.bad, im.changes);
	/* Only when it happened: a log whose messages are never said to
	 * leave the queue (Sendmail, Exchange), or a big queue. */
	if (im.set_aside)
		fprintf (stderr, ", %" G_GUINT64_FORMAT " open messages set aside (over %d open at once;"
		         " their later lines still join them)", im.set_aside, NS_SENTLOG_MAX_OPEN);
	fputc ('\n', stderr);
	return status;
}

/* The first mailbox of the fields called name, as written (a field
 * with none gives way to the next, as GMime's address lists do). */
static char *
first_address (GMimeHeaderList *list, const char *name)
{
	for (int i = 0; i < g_mime_header_list_get_count (list); i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at (list, i);
		if (g_ascii_strcasecmp (g_mime_header_get_name (h), name) != 0)
			continue;
		char *a = headers_first_address (g_mime_header_get_raw_value (h));
		if (a)
			return a;
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
	if (!msg_options_parse (oc, &argc, &argv, &error) || argc != 1) {
		msg_error ("log record", "%s", error ? error->message : "reads standard input only");
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
			msg_error ("log record", "reading standard input: %s", g_strerror (errno));
			return EXIT_ERROR;
		}
		g_byte_array_append (bytes, buf, n);
	}
	/* GMime as the bounce parser starts it (message/rfc822 a leaf part). */
	bounce_init ();
	g_autoptr (GMimeStream) in = g_mime_stream_mem_new_with_byte_array (bytes);
	g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (in), FALSE);
	g_autoptr (GMimeParser) parser = g_mime_parser_new_with_stream (in);
	g_autoptr (GMimeMessage) msg = g_mime_parser_construct_message (parser, NULL);
	if (msg == NULL) {
		msg_error ("log record", "standard input is not a message");
		return EXIT_ERROR;
	}
	/* The header as written, not decoded: the sent log reads it with
	 * msgid_normalise, as the lookup reads the id a bounce quotes (GMime's
	 * own reading of an odd value may differ from it). */
	GMimeHeaderList *fields = g_mime_object_get_header_list (GMIME_OBJECT (msg));
	GMimeHeader *mid = g_mime_header_list_get_header (fields, "Message-ID");
	const char *message_id = mid ? g_mime_header_get_raw_value (mid) : NULL;
	g_autofree char *normal = msgid_normalise (message_id);
	g_autofree char *sender = first_address (fields, "Sender");
	if (sender == NULL)
		sender = first_address (fields, "From");
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
		msg_error ("log record", "the message has no Message-ID: nothing a bounce could quote");
		return EXIT_ERROR;
	}

	g_autoptr (SentLog) log = open_writer (config, "log record");
	if (log == NULL)
		return EXIT_ERROR;
	g_autoptr (SentLogImport) si = sentlog_import_begin (log, config, "log record", NULL, &error);
	if (si == NULL) {
		msg_error ("log record", "%s", error->message);
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
	if (!sentlog_import_checkpoint (si, &(SentLogPosition) { 0 }, &error)) {
		msg_error ("log record", "%s", error->message);
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
	if (!msg_options_parse (oc, &argc, &argv, &error) || argc != 1) {
		msg_error ("log stats", "%s", error ? error->message : "takes no arguments");
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
		msg_error ("log stats", "%s", error->message);
		return EXIT_ERROR;
	}
	if (sentlog_notice (log))
		msg_error ("log stats", "%s", sentlog_notice (log));
	g_autoptr (SentLogStats) st = sentlog_stats (log, config->max_gap, &error);
	if (st == NULL) {
		msg_error ("log stats", "%s", error->message);
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
	/* sentlog.h "Privacy": digests of other normal forms prove no miss. */
	if (st->other_norm > 0)
		g_ptr_array_add (warnings, g_strdup_printf ("%" G_GINT64_FORMAT " spans were read by an ndrsift with other"
		                                            " normal forms: not counted as coverage (a miss there is"
		                                            " unknown); what is read from now on counts",
		                                            st->other_norm));
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
	if (!msg_options_parse (oc, &argc, &argv, &error) || argc != 1 || before == NULL ||
	    !parse_when (before, &when)) {
		msg_error ("log prune", "%s", error ? error->message : "give --before DATE (YYYY-MM-DD)");
		return EXIT_USAGE;
	}
	g_autoptr (SentLog) log = open_writer (config, "log prune");
	if (log == NULL)
		return EXIT_ERROR;
	gint64 deleted = 0;
	if (!sentlog_prune (log, when, &deleted, &error)) {
		msg_error ("log prune", "%s", error->message);
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
	if (!msg_options_parse (oc, &argc, &argv, &error) || argc != 2 || argv[1][0] == '\0' ||
	    (since && (undo || !parse_when (since, &when)))) {
		msg_error ("log retire", "%s", error ? error->message
		               : since && undo ? "--since and --undo do not go together"
		               : since ? "--since: give a date (YYYY-MM-DD or RFC 3339)" : "give one SERVER");
		return EXIT_USAGE;
	}
	g_autoptr (SentLog) log = open_writer (config, "log retire");
	if (log == NULL)
		return EXIT_ERROR;
	/* A name the log does not know is a typo, unless it is listed (a
	 * server that never logged). */
	if (!sentlog_retire (log, argv[1], when, undo, listed (config, argv[1]), &when, &error)) {
		msg_error ("log retire", "%s", error->message);
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

static int
log_backup (const Config *config, int argc, char **argv)
{
	g_autoptr (GOptionContext) oc = g_option_context_new (
		"DEST - write a copy of the sent log for readers elsewhere\n\n"
		"A consistent copy while an importer writes, in rollback mode (its readers\n"
		"need no -wal or -shm file), with the database's mode; written beside DEST\n"
		"and renamed over it when whole.");
	g_autoptr (GError) error = NULL;
	if (!msg_options_parse (oc, &argc, &argv, &error) || argc != 2) {
		msg_error ("log backup", "%s", error ? error->message : "give the copy's file name");
		return EXIT_USAGE;
	}
	g_autoptr (SentLog) log = sentlog_open (config->sentlog_path, FALSE, &error);
	if (log == NULL) {
		msg_error ("log backup", "%s", error->message);
		return EXIT_ERROR;
	}
	if (sentlog_notice (log))
		msg_error ("log backup", "%s", sentlog_notice (log));
	if (!sentlog_backup (log, argv[1], &error)) {
		msg_error ("log backup", "%s", error->message);
		return EXIT_ERROR;
	}
	return EXIT_OK;
	return EXIT_OK;
}

static void
print_row (const SentLogMatch *m, gpointer unused)
{
	g_autofree char *time = datetime_format_utc (m->time);
	g_autofree char *server = output_escape (m->server);
	g_autofree char *queue = output_escape (m->queue_id ? m->queue_id : "-");
	g_autofree char *sender = output_escape (m->sender ? (m->sender[0] ? m->sender : "<>") : "-");
	printf ("%s  %s  queue %s  from %s  origin %s\n", time, server, queue, sender, sentlog_origin_name (m->origin));
}

static int
log_grep (const Config *config, int argc, char **argv)
{
	g_autofree char *message_id = NULL, *recipient = NULL;
	GOptionEntry entries[] = {
		{ "message-id", 'm', 0, G_OPTION_ARG_STRING, &message_id, "The messages with this Message-ID", "ID" },
		{ "recipient", 'r', 0, G_OPTION_ARG_STRING, &recipient, "The messages to this address", "ADDR" },
		{ NULL }
	};
	g_autoptr (GOptionContext) oc = g_option_context_new (
		"- did we send it?\n\n"
		"The log keeps digests of Message-IDs and recipients, not the text: the\n"
		"query is hashed the same way, and each row it matches is printed with\n"
		"what the log keeps in plain (time, server, queue ID, sender, origin),\n"
		"oldest first; none: nothing on stdout (and a note on stderr).");
	g_option_context_add_main_entries (oc, entries, NULL);
	g_autoptr (GError) error = NULL;
	if (!msg_options_parse (oc, &argc, &argv, &error) || argc != 1 || (message_id == NULL) == (recipient == NULL)) {
		msg_error ("log grep", "%s", error ? error->message : "give --message-id ID or --recipient ADDR");
		return EXIT_USAGE;
	}
	g_autofree char *normal = NULL;
	if (message_id && (normal = msgid_normalise (message_id)) == NULL) {
		msg_error ("log grep", "not a Message-ID: nothing could match it");
		return EXIT_USAGE;
	}
	if (recipient && ((normal = address_normalise (recipient, config->recipient_delimiter)) == NULL || !normal[0])) {
		msg_error ("log grep", "not an address: nothing could match it");
		return EXIT_USAGE;
	}
	g_autoptr (SentLog) log = sentlog_open (config->sentlog_path, FALSE, &error);
	if (log == NULL && g_error_matches (error, SENTLOG_ERROR, SENTLOG_ERROR_MISSING)) {
		msg_error ("log grep", "%s", error->message); /* an empty log: no match */
		return EXIT_OK;
	}
	if (log == NULL) {
		msg_error ("log grep", "%s", error->message);
		return EXIT_ERROR;
	}
	if (sentlog_notice (log))
		msg_error ("log grep", "%s", sentlog_notice (log));
	guint64 rows = 0;
	if (!sentlog_grep (log, message_id ? normal : NULL, recipient ? normal : NULL, print_row, NULL, &rows, &error)) {
		msg_error ("log grep", "%s", error->message);
		return EXIT_ERROR;
	}
	if (rows == 0)
		msg_error ("log grep", "no message in the log matches");
	return fflush (stdout) == 0 ? EXIT_OK : EXIT_ERROR;
}

int
cmd_log (Config *owned, int argc, char **argv)
{
	g_autoptr (Config) config = owned;
	static const struct {
		const char *name;
		int (*run) (const Config *, int, char **);
	} subs[] = {
		{ "import", log_import }, { "record", log_record }, { "stats", log_stats }, { "prune", log_prune },
		{ "retire", log_retire },
		{ "backup", log_backup }, { "grep", log_grep },
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
		        "  ndrsift log backup DEST\n"
		        "  ndrsift log grep --message-id ID | --recipient ADDR\n"
		        "\nFill and look after the sent log. Run 'ndrsift log SUBCOMMAND --help'\n"
		        "for the options of one.\n");
		return fflush (stdout) == 0 ? EXIT_OK : EXIT_ERROR;
	}
	msg_error ("log", "give import, record, stats, prune, retire, backup or grep (see ndrsift log --help)");
	return EXIT_USAGE;
}
