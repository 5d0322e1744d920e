/* mailbox — iterate the messages under the paths `scan` is given.
 * See include/ndrsift/mailbox.h and doc/design.md "Commands".
 *
 * Paths, in the order given:
 * - "-": standard input, an mbox (a stream that does not start with "From "
 *   is one message; an empty one holds no message).
 * - a directory: a Maildir, an MH folder or a plain directory, its entries
 *   listed by dirwalk (include/ndrsift/dirwalk.h: the order, what is
 *   skipped, subfolders with `recursive`). Each file is one message whose
 *   leading "From " line, if any, is dropped.
 * - any other path: decompressed first when it ends in ".gz" (all of its
 *   gzip members, as gzip -d does); then an mbox when it starts with
 *   "From ", else one message (offset -1). FIFOs and devices (e.g.
 *   <(zcat ...)) work: they are read as streams.
 *
 * mbox is read through a fixed READ_BUF_SIZE buffer, never whole. A
 * message starts at a "From " line at the start of the stream or after an
 * empty line; that line is not data, and the empty line before it belongs
 * to it, not to the previous message (one final empty line is dropped, so
 * an mboxrd writer's output gives back the messages it was given). Lines
 * matching ^>+"From " lose one '>'. LF and CRLF files work; a file whose
 * first line ends in a lone CR is split at CRs (old Mac files).
 *
 * Limits: a message's data is cut at NS_MAX_MESSAGE_BYTES (`truncated`);
 * the rest of it is read past (mbox) or not read at all (files). A line
 * longer than the buffer is judged by its first READ_BUF_SIZE bytes: that
 * is always enough for "From "; only an escape whose run of '>' is longer
 * than that (hostile input) keeps all its '>'.
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

#include "ndrsift/dirwalk.h"
#include "ndrsift/gunzip.h"
#include "ndrsift/limits.h"
#include "ndrsift/mailbox.h"

#define READ_BUF_SIZE (64u * 1024)

/* An mbox message is collected up to two bytes past the cap: the empty
 * line before the next separator ("\r\n" at most) is only dropped when the
 * message ends, and a message of exactly the cap must not look cut. */
#define MSG_LIMIT ((gsize) NS_MAX_MESSAGE_BYTES + 2)

/* One stream being read: an mbox being split, or a stream sniffed for
 * "From " on its way to becoming one message. */
typedef struct {
	char *source;
	GInputStream *stream;
	int pos_fd;        /* >= 0: count progress by this fd's position (.gz files) */
	guint64 counted;   /* progress already counted from pos_fd */

	guint8 *buf;       /* READ_BUF_SIZE */
	gsize pos, end;    /* unread bytes are buf[pos, end) */
	gsize span;        /* buf[span, pos) is message data not yet copied out */
	gint64 base;       /* stream offset of buf[0] */
	gboolean eof, done;

	char eol;              /* '\n', or '\r' for CR-only files */
	gboolean prev_empty;   /* the last line was empty (or nothing was read yet) */
	gboolean mid_line;     /* inside a line longer than the buffer ... */
	gboolean mid_skip;     /* ... which is a "From " line, not data */

	gboolean in_msg;       /* a message is being collected */
	gint64 msg_offset;
	guint8 *data;
	gsize len, alloc;
	gboolean overflow;     /* data past MSG_LIMIT was dropped */
} Reader;

struct _MailboxIter {
	GQueue args;           /* char *: the paths as given, not yet read */
	GQueue entries;        /* DirwalkEntry *: read before the next argument; a
	                          directory's entries go to the head: depth first */
	gboolean recursive;
	Reader *mbox;          /* the mbox being split, or NULL */
	GMutex lock;           /* guards bytes_read, which a progress thread may read */
	guint64 bytes_read;
};

static void
reader_free (Reader *r)
{
	if (r == NULL)
		return;
	g_free (r->source);
	g_clear_object (&r->stream);
	g_free (r->buf);
	g_free (r->data);
	g_free (r);
}

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

/* Where the "From " line at the start of buf ends (the index after its
 * terminator: LF, CRLF or a lone CR), or 0 when it does not end within
 * buf[0, len). A CR at the very end of an incomplete read could be the
 * start of a CRLF, so it only counts when `complete`. */
static gsize
from_line_end (const guint8 *buf, gsize len, gboolean complete)
{
	const guint8 *nl = memchr (buf, '\n', len);
	const guint8 *cr = memchr (buf, '\r', nl ? (gsize) (nl - buf) : len);
	if (cr != NULL && cr + 1 != nl) {
		if (cr + 1 == buf + len && !complete)
			return 0;
		return (gsize) (cr - buf) + 1;
	}
	return nl ? (gsize) (nl - buf) + 1 : 0;
}

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
			} else if ((skip = from_line_end (buf, len, FALSE)) > 0) {
				skip_known = TRUE;
				limit = skip + cap + 1;
			}
		}
	}

	gboolean truncated = FALSE;
	if (!skip_known && len >= 5 && memcmp (buf, "From ", 5) == 0) {
		/* the file is nothing but a "From " line, or one longer than the cap */
		skip = from_line_end (buf, len, TRUE);
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

/* ---- streams and mbox ---------------------------------------------------- */

static void
msg_append (Reader *r, const guint8 *p, gsize n)
{
	if (!r->in_msg || n == 0 || r->overflow)
		return;
	gsize room = MSG_LIMIT - r->len;
	if (n > room) {
		n = room;
		r->overflow = TRUE;
	}
	if (r->len + n > r->alloc) {
		/* grow geometrically, but never past the limit: a 16 MiB message
		 * must not hold 32 MiB */
		gsize want = MAX (MAX (r->alloc * 2, r->len + n), 4096);
		r->alloc = MIN (want, MSG_LIMIT);
		r->data = g_realloc (r->data, r->alloc);
	}
	memcpy (r->data + r->len, p, n);
	r->len += n;
}

/* Copies the pending verbatim data, buf[span, upto), to the message: lines
 * are copied in runs, not one by one. */
static void
flush_to (Reader *r, gsize upto)
{
	if (upto > r->span)
		msg_append (r, r->buf + r->span, upto - r->span);
	r->span = upto;
}

/* Reads more into the buffer, first moving the unread tail to its start.
 * Sets eof on end of stream. */
static gboolean
reader_fill (MailboxIter *it, Reader *r, GError **error)
{
	flush_to (r, r->pos);
	if (r->pos > 0) {
		memmove (r->buf, r->buf + r->pos, r->end - r->pos);
		r->base += (gint64) r->pos;
		r->end -= r->pos;
		r->pos = 0;
	}
	r->span = 0;

	GError *err = NULL;
	gssize n = g_input_stream_read (r->stream, r->buf + r->end, READ_BUF_SIZE - r->end,
	                                NULL, &err);
	if (n < 0) {
		/* zlib's words for a cut file */
		if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT)) {
			g_clear_error (&err);
			g_set_error_literal (&err, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
			                     "unexpected end of compressed data");
		}
		g_prefix_error (&err, "%s: ", r->source);
		g_propagate_error (error, err);
		return FALSE;
	}
	if (n == 0)
		r->eof = TRUE;
	r->end += (gsize) n;

	if (r->pos_fd >= 0) {
		off_t at = lseek (r->pos_fd, 0, SEEK_CUR);
		if (at >= 0 && (guint64) at > r->counted) {
			count_bytes (it, (guint64) at - r->counted);
			r->counted = (guint64) at;
		}
	} else {
		count_bytes (it, (guint64) n);
	}
	return TRUE;
}

/* How many bytes at the end of data[0, len) are an empty line. */
static gsize
trailing_empty_line (const guint8 *d, gsize len, char eol)
{
	if (len == 0 || d[len - 1] != (guint8) eol)
		return 0;
	if (len == 1 || d[len - 2] == (guint8) eol)
		return 1;
	if (eol == '\n' && d[len - 2] == '\r' && (len == 2 || d[len - 3] == '\n'))
		return 2;
	return 0;
}

static MailboxMessage *
finish_message (Reader *r, gboolean drop_empty_line)
{
	gsize len = r->len;
	if (drop_empty_line && !r->overflow)
		len -= trailing_empty_line (r->data, len, r->eol);
	gboolean truncated = r->overflow || len > NS_MAX_MESSAGE_BYTES;
	if (truncated)
		len = NS_MAX_MESSAGE_BYTES;

	MailboxMessage *msg = message_new (r->source, r->msg_offset);
	msg->truncated = truncated;
	guint8 *data = g_steal_pointer (&r->data);
	if (data == NULL || r->alloc - len > 4096)
		data = g_realloc (data, MAX (len, 1));   /* an empty message is an empty buffer, not NULL */
	msg->data = g_bytes_new_take (data, len);

	r->in_msg = FALSE;
	r->len = r->alloc = 0;
	r->overflow = FALSE;
	return msg;
}

static void
begin_message (Reader *r, gint64 offset)
{
	r->in_msg = TRUE;
	r->msg_offset = offset;
	r->len = 0;
	r->overflow = FALSE;
}

static MailboxMessage *
reader_error (Reader *r, GError *error /* taken */)
{
	/* the message being read is lost; the error carries its offset */
	MailboxMessage *msg = error_message (r->source, r->in_msg ? r->msg_offset : -1, error);
	g_clear_pointer (&r->data, g_free);
	r->in_msg = FALSE;
	r->len = r->alloc = 0;
	r->done = TRUE;
	return msg;
}

static gboolean
is_empty_line (const guint8 *line, gsize len, char eol)
{
	return len == 1 || (len == 2 && eol == '\n' && line[0] == '\r');
}

/* The next message of an mbox, or NULL at its end. */
static MailboxMessage *
mbox_next (MailboxIter *it, Reader *r)
{
	while (!r->done) {
		if (r->pos == r->end) {
			if (r->eof) {
				flush_to (r, r->pos);
				r->done = TRUE;
				return r->in_msg ? finish_message (r, TRUE) : NULL;
			}
			GError *error = NULL;
			if (!reader_fill (it, r, &error))
				return reader_error (r, error);
			continue;
		}

		const guint8 *line = r->buf + r->pos;
		gsize avail = r->end - r->pos;
		const guint8 *eol = memchr (line, r->eol, avail);
		gsize len;
		gboolean whole = eol != NULL;
		if (whole) {
			len = (gsize) (eol - line) + 1;
		} else if (!r->eof && (r->pos > 0 || r->end < READ_BUF_SIZE)) {
			/* decide on whole lines: read the rest of this one first */
			GError *error = NULL;
			if (!reader_fill (it, r, &error))
				return reader_error (r, error);
			continue;
		} else {
			len = avail;   /* longer than the buffer, or the last line lacks its newline */
		}

		gsize start = r->pos;
		r->pos += len;

		if (r->mid_line) {
			/* more of a long line: its first part decided what it is */
			if (r->mid_skip)
				r->span = r->pos;
			if (whole)
				r->mid_line = FALSE;
			continue;
		}

		if (r->prev_empty && len >= 5 && memcmp (line, "From ", 5) == 0) {
			flush_to (r, start);
			MailboxMessage *done = r->in_msg ? finish_message (r, TRUE) : NULL;
			begin_message (r, r->base + (gint64) start);
			r->span = r->pos;   /* the "From " line is not data */
			r->prev_empty = FALSE;
			if (!whole) {
				r->mid_line = TRUE;
				r->mid_skip = TRUE;
			}
			if (done != NULL)
				return done;
			continue;
		}

		r->prev_empty = whole && is_empty_line (line, len, r->eol);
		if (line[0] == '>') {
			gsize i = 1;
			while (i < len && line[i] == '>')
				i++;
			if (len - i >= 5 && memcmp (line + i, "From ", 5) == 0) {
				flush_to (r, start);
				r->span = start + 1;   /* drop one '>' */
			}
		}
		if (!whole) {
			r->mid_line = TRUE;
			r->mid_skip = FALSE;
		}
	}
	return NULL;
}

/* A stream that is not an mbox: all of it (to the cap) is one message. */
static MailboxMessage *
stream_single (MailboxIter *it, Reader *r)
{
	begin_message (r, -1);
	r->span = 0;
	while (!r->eof && r->len <= NS_MAX_MESSAGE_BYTES) {
		r->pos = r->end;
		GError *error = NULL;
		if (!reader_fill (it, r, &error))
			return reader_error (r, error);
	}
	r->pos = r->end;
	flush_to (r, r->pos);
	return finish_message (r, FALSE);
}

/* Takes `stream`. Reads its first line: an mbox becomes it->mbox and its
 * first message is returned; anything else is one message. */
static MailboxMessage *
start_stream (MailboxIter *it, const char *source, GInputStream *stream,
              int pos_fd, gboolean is_stdin)
{
	Reader *r = g_new0 (Reader, 1);
	r->source = g_strdup (source);
	r->stream = stream;
	r->pos_fd = pos_fd;
	r->buf = g_malloc (READ_BUF_SIZE);
	r->eol = '\n';
	r->prev_empty = TRUE;

	gsize scanned = 0;
	while (!r->eof && r->end < READ_BUF_SIZE && !memchr (r->buf + scanned, '\n', r->end - scanned)) {
		scanned = r->end;
		GError *error = NULL;
		if (!reader_fill (it, r, &error)) {
			MailboxMessage *msg = reader_error (r, error);
			reader_free (r);
			return msg;
		}
	}

	MailboxMessage *msg;
	if (r->end >= 5 && memcmp (r->buf, "From ", 5) == 0) {
		gsize first = from_line_end (r->buf, r->end, r->eof);
		if (first > 0 && r->buf[first - 1] == '\r')
			r->eol = '\r';
		it->mbox = r;
		return mbox_next (it, r);
	}
	if (is_stdin && r->end == 0)
		msg = NULL;   /* an empty mbox */
	else
		msg = stream_single (it, r);
	reader_free (r);
	return msg;
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
			MailboxMessage *msg = mbox_next (iter, iter->mbox);
			if (msg != NULL)
				return msg;
			g_clear_pointer (&iter->mbox, reader_free);
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
	reader_free (iter->mbox);
	g_queue_clear_full (&iter->args, g_free);
	g_queue_clear_full (&iter->entries, (GDestroyNotify) dirwalk_entry_free);
	g_mutex_clear (&iter->lock);
	g_free (iter);
}
