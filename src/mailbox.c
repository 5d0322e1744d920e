/* mailbox — iterate the messages under the paths `scan` is given.
 * See src/mailbox.h and doc/design.md "Commands".
 *
 * Paths, in the order given:
 * - "-": standard input, an mbox (a stream that does not start with "From "
 *   is one message; an empty one holds no message).
 * - a directory: a Maildir, an MH folder or a plain directory, its entries
 *   listed by dirwalk (src/dirwalk.h: the order, what is
 *   skipped, subfolders with `recursive`). Each file is one message whose
 *   leading "From " line, if any, is dropped.
 * - any other path: decompressed first when it ends in ".gz" (all of its
 *   gzip members, as gzip -d does); then an mbox when it starts with
 *   "From ", else one message (offset -1). FIFOs and devices (e.g.
 *   <(zcat ...)) work: they are read as streams.
 *
 * A stream (standard input, an mbox, a FIFO, a .gz file) is split by
 * mbox (src/mbox.h: separators, escapes, line ends, limits).
 *
 * Limits: a message's data is cut at NS_MAX_MESSAGE_BYTES (`truncated`);
 * the rest of a single-message file is not read at all.
 *
 * Errors: an unreadable path, directory or entry, or a read or gzip error,
 * comes back as a message with `error` set (G_FILE_ERROR from errno, or
 * G_IO_ERROR from GIO; the text starts with the path) and `data` NULL, and
 * the iteration goes on. A read error inside an mbox drops the message
 * being read (its offset is the error's offset) and ends that mbox.
 *
 * mailbox_iter_bytes_read() counts bytes read from files and stdin; for a
 * regular ".gz" file that is the compressed bytes consumed (the file
 * position, so it compares with file sizes); for a ".gz" pipe, the
 * decompressed bytes. It may be called from any thread while one thread
 * iterates; everything else wants one thread at a time.
 *
 * Ownership: the iterator copies the paths; messages are (transfer full). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1       /* pread() */
#endif
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>

#include "dirwalk.h"
#include "gunzip.h"
#include "ndrsift/limits.h"
#include "mailbox.h"
#include "mbox.h"

struct _MailboxIter {
	GQueue args;           /* char *: the paths as given, not yet read */
	GQueue entries;        /* DirwalkEntry *: read before the next argument; a
	                          directory's entries go to the head: depth first */
	gboolean recursive;
	Mbox *mbox;            /* the stream being split, or NULL */
	GMutex lock;           /* guards bytes_read, which a progress thread may read */
	guint64 bytes_read;
};

void
mailbox_message_free (MailboxMessage *msg)
{
	if (msg == NULL)
		return;
	g_free (msg->source);
	if (msg->data != NULL)
		g_bytes_unref (msg->data);
	g_clear_error (&msg->error);
	g_free (msg);
}

/* Called once per read() of up to 64 KiB or per file, so the lock costs
 * nothing; a mutex rather than a 64-bit atomic, which some 32-bit targets
 * only have through libatomic. */
static void
count_bytes (MailboxIter *it, guint64 n)
{
	g_mutex_lock (&it->lock);
	it->bytes_read += n;
	g_mutex_unlock (&it->lock);
}

guint64
mailbox_iter_bytes_read (MailboxIter *iter)
{
	g_return_val_if_fail (iter != NULL, 0);
	g_mutex_lock (&iter->lock);
	guint64 n = iter->bytes_read;
	g_mutex_unlock (&iter->lock);
	return n;
}

static MailboxMessage *
message_new (const char *source, gint64 offset)
{
	MailboxMessage *msg = g_new0 (MailboxMessage, 1);
	msg->source = g_strdup (source);
	msg->offset = offset;
	return msg;
}

static MailboxMessage *
error_message (const char *source, gint64 offset, GError *error /* taken */)
{
	MailboxMessage *msg = message_new (source, offset);
	msg->error = error;
	return msg;
}

static GError *
errno_error (const char *path, int errsv)
{
	return g_error_new (G_FILE_ERROR, g_file_error_from_errno (errsv),
	                    "%s: %s", path, g_strerror (errsv));
}

/* ---- single-message files ---------------------------------------------- */

/* One message from a regular file, the way g_file_get_contents() reads
 * (fstat, then a read of that size: no per-byte work) but capped at
 * NS_MAX_MESSAGE_BYTES; past the cap the file is not read. */
static MailboxMessage *
read_single_fd (MailboxIter *it, const char *source, int fd, gboolean skip_from)
{
	struct stat st;
	if (fstat (fd, &st) < 0)
		return error_message (source, -1, errno_error (source, errno));
	if (!S_ISREG (st.st_mode))
		return error_message (source, -1,
		                      g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
		                                   "%s: not a regular file", source));

	const gsize cap = NS_MAX_MESSAGE_BYTES;
	gsize limit = cap + 1;   /* one byte more tells a cut message from one of exactly cap */
	gsize size = (gsize) st.st_size;
	gsize skip = 0;
	gboolean skip_known = !skip_from;
	/* size 0: empty, or a file whose size stat does not know: read to EOF */
	gsize alloc = size > 0 ? MIN (size, limit) : 4096;
	g_autofree guint8 *buf = g_malloc (alloc);
	gsize len = 0;

	for (;;) {
		gsize target = size > 0 ? MIN (size, limit) : limit;
		if (len >= target)
			break;
		if (len == alloc) {
			alloc = MIN (MAX (alloc * 2, len + 4096), target);
			buf = g_realloc (buf, alloc);
		}
		ssize_t n = read (fd, buf + len, MIN (alloc, target) - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return error_message (source, -1, errno_error (source, errno));
		}
		if (n == 0)
			break;
		len += (gsize) n;
		count_bytes (it, (guint64) n);
		if (!skip_known && len >= 5) {
			if (memcmp (buf, "From ", 5) != 0) {
				skip_known = TRUE;
			} else if ((skip = mbox_from_line_end (buf, len, FALSE)) > 0) {
				skip_known = TRUE;
				limit = skip + cap + 1;
			}
		}
	}

	gboolean truncated = FALSE;
	if (!skip_known && len >= 5 && memcmp (buf, "From ", 5) == 0) {
		/* the file is nothing but a "From " line, or one longer than the cap */
		skip = mbox_from_line_end (buf, len, TRUE);
		if (skip == 0) {
			skip = len;
			truncated = len >= limit;
		}
	}
	gsize n = len - skip;
	if (n > cap) {
		n = cap;
		truncated = TRUE;
	}

	MailboxMessage *msg = message_new (source, -1);
	msg->truncated = truncated;
	if (skip == 0 && n == len) {
		msg->data = g_bytes_new_take (g_steal_pointer (&buf), len);
	} else {
		g_autoptr(GBytes) whole = g_bytes_new_take (g_steal_pointer (&buf), len);
		msg->data = g_bytes_new_from_bytes (whole, skip, n);
	}
	return msg;
}

/* ---- streams --------------------------------------------------------- */

static void
count_read (guint64 n, gpointer it)
{
	count_bytes (it, n);
}

/* The next message of it->mbox, or NULL at its end (then it is freed). */
static MailboxMessage *
from_mbox (MailboxIter *it)
{
	MboxMessage m;
	if (!mbox_next (it->mbox, &m)) {
		g_clear_pointer (&it->mbox, mbox_free);
		return NULL;
	}
	MailboxMessage *msg = message_new (mbox_source (it->mbox), m.offset);
	msg->data = m.data;
	msg->truncated = m.truncated;
	msg->error = m.error;
	return msg;
}

/* Takes `stream`: an mbox, or one message; its first message, or NULL
 * when it holds none. */
static MailboxMessage *
start_stream (MailboxIter *it, const char *source, GInputStream *stream,
              int pos_fd, gboolean is_stdin)
{
	it->mbox = mbox_new (source, stream, pos_fd, is_stdin, count_read, it);
	return from_mbox (it);
}

/* ---- paths ------------------------------------------------------------- */

/* Queues what is under the directory at path ahead of everything else. */
static void
expand_dir (MailboxIter *it, const char *path)
{
	g_autoptr(GPtrArray) entries = dirwalk_list (path, it->recursive);
	for (guint i = entries->len; i > 0; i--)
		g_queue_push_head (&it->entries, g_ptr_array_steal_index (entries, i - 1));
}

static MailboxMessage *
visit_arg (MailboxIter *it, const char *path)
{
	if (strcmp (path, "-") == 0)
		return start_stream (it, "-", g_unix_input_stream_new (0, FALSE), -1, TRUE);

	struct stat st;
	if (stat (path, &st) < 0)
		return error_message (path, -1, errno_error (path, errno));
	if (S_ISDIR (st.st_mode)) {
		expand_dir (it, path);
		return NULL;
	}
	int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return error_message (path, -1, errno_error (path, errno));

	if (g_str_has_suffix (path, ".gz")) {
		g_autoptr(GInputStream) raw = g_unix_input_stream_new (fd, TRUE);
		g_autoptr(GConverter) gunzip = gunzip_new ();
		GInputStream *stream = g_converter_input_stream_new (raw, gunzip);
		return start_stream (it, path, stream, S_ISREG (st.st_mode) ? fd : -1, FALSE);
	}
	if (S_ISREG (st.st_mode)) {
		/* peek, so that a plain message is read the fast way */
		char head[5];
		ssize_t n;
		do
			n = pread (fd, head, sizeof head, 0);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			int errsv = errno;
			close (fd);
			return error_message (path, -1, errno_error (path, errsv));
		}
		if (n < 5 || memcmp (head, "From ", 5) != 0) {
			MailboxMessage *msg = read_single_fd (it, path, fd, FALSE);
			close (fd);
			return msg;
		}
	}
	/* an mbox, or a FIFO or device that can only be read as a stream */
	return start_stream (it, path, g_unix_input_stream_new (fd, TRUE), -1, FALSE);
}

static MailboxMessage *
visit_entry (MailboxIter *it, const char *path)
{
	/* O_NONBLOCK: if the entry became a FIFO since it was listed, fail
	 * instead of waiting forever (it changes nothing for regular files) */
	int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return error_message (path, -1, errno_error (path, errno));
	MailboxMessage *msg = read_single_fd (it, path, fd, TRUE);
	close (fd);
	return msg;
}

static MailboxMessage *
visit (MailboxIter *it, DirwalkEntry *entry)
{
	switch (entry->kind) {
	case DIRWALK_FILE:
		return visit_entry (it, entry->path);
	case DIRWALK_DIR:
		expand_dir (it, entry->path);
		return NULL;
	case DIRWALK_MAILDIR:
		/* a dot directory that is not a Maildir is not a folder */
		if (dirwalk_is_maildir (entry->path))
			expand_dir (it, entry->path);
		return NULL;
	case DIRWALK_ERROR:
		return error_message (entry->path, -1, g_steal_pointer (&entry->error));
	}
	g_return_val_if_reached (NULL);
}

/* ---- the iterator ------------------------------------------------------ */

MailboxIter *
mailbox_iter_new (const char *const *paths, gboolean recursive)
{
	MailboxIter *it = g_new0 (MailboxIter, 1);
	g_queue_init (&it->args);
	g_queue_init (&it->entries);
	it->recursive = recursive;
	g_mutex_init (&it->lock);
	for (gsize i = 0; paths != NULL && paths[i] != NULL; i++)
		g_queue_push_tail (&it->args, g_strdup (paths[i]));
	return it;
}

MailboxMessage *
mailbox_iter_next (MailboxIter *iter)
{
	g_return_val_if_fail (iter != NULL, NULL);

	for (;;) {
		if (iter->mbox != NULL) {
			MailboxMessage *msg = from_mbox (iter);
			if (msg != NULL)
				return msg;
		}
		MailboxMessage *msg;
		g_autoptr (DirwalkEntry) entry = g_queue_pop_head (&iter->entries);
		if (entry != NULL)
			msg = visit (iter, entry);
		else {
			g_autofree char *arg = g_queue_pop_head (&iter->args);
			if (arg == NULL)
				return NULL;
			msg = visit_arg (iter, arg);
		}
		if (msg != NULL)
			return msg;
	}
}

void
mailbox_iter_free (MailboxIter *iter)
{
	if (iter == NULL)
		return;
	mbox_free (iter->mbox);
	g_queue_clear_full (&iter->args, g_free);
	g_queue_clear_full (&iter->entries, (GDestroyNotify) dirwalk_entry_free);
	g_mutex_clear (&iter->lock);
	g_free (iter);
}
