/* logreader — one log source read line by line. See
 * src/logreader.h. */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ndrsift/limits.h"
#include "logreader.h"

/* Room for many lines per read, and always for one whole line. */
#define BUF_SIZE (256 * 1024)
G_STATIC_ASSERT (BUF_SIZE > NS_MAX_LOG_LINE + 1);
G_STATIC_ASSERT (NS_MAX_LOG_LINE >= NS_SOURCE_ID_BYTES);

/* The last NS_SOURCE_ID_BYTES bytes of what went by. */
typedef struct {
	guint8 data[2 * NS_SOURCE_ID_BYTES];
	gsize len;
} Tail;

static void
tail_add (Tail *t, const void *bytes, gsize n)
{
	const guint8 *b = bytes;
	if (n >= NS_SOURCE_ID_BYTES) {
		memcpy (t->data, b + n - NS_SOURCE_ID_BYTES, NS_SOURCE_ID_BYTES);
		t->len = NS_SOURCE_ID_BYTES;
		return;
	}
	if (t->len + n > sizeof t->data) {
		memmove (t->data, t->data + t->len - NS_SOURCE_ID_BYTES, NS_SOURCE_ID_BYTES);
		t->len = NS_SOURCE_ID_BYTES;
	}
	memcpy (t->data + t->len, b, n);
	t->len += n;
}

static const guint8 *
tail_get (const Tail *t, gsize *len)
{
	*len = MIN (t->len, (gsize) NS_SOURCE_ID_BYTES);
	return t->data + t->len - *len;
}

struct _LogReader {
	char *path;
	GInputStream *in;
	int fd;                 /* the file's (or standard input's) descriptor */
	gboolean seekable;      /* a regular file read as it is (not .gz) */
	gboolean follow;
	dev_t dev;
	ino_t ino;
	gint64 mtime;           /* a regular file's, at open; else 0 */
	char *buf;              /* BUF_SIZE + 1: buffered() ends it with a NUL */
	gsize start, end;
	gint64 offset;          /* of buf[start] in the stream */
	gint64 done;            /* after the last line handed on */
	gint64 pos;             /* of buf[end]: what was read */
	gboolean eof;
	gboolean dropping;      /* inside an overlong line, up to its line end */
	GByteArray *head;
	Tail tail, drop_tail;   /* before `done`; of the line being dropped */
	gint64 now;
};

void
logreader_free (LogReader *r)
{
	if (r == NULL)
		return;
	g_clear_object (&r->in);
	g_free (r->path);
	g_free (r->buf);
	g_byte_array_unref (r->head);
	g_free (r);
}

/* When the bytes just read were written at the latest: now, or the
 * modification time of a file that is not being followed (an old rotated
 * file was written long ago). */
static gint64
when_read (LogReader *r)
{
	gint64 now = g_get_real_time () / G_USEC_PER_SEC;
	return !r->follow && r->mtime > 0 && r->mtime < now ? r->mtime : now;
}

LogReader *
logreader_open (const char *path, gboolean follow, GError **error)
{
	g_autoptr (LogReader) r = g_new0 (LogReader, 1);
	r->path = g_strdup (path);
	r->follow = follow;
	r->head = g_byte_array_new ();
	gboolean is_stdin = strcmp (path, "-") == 0;
	r->fd = is_stdin ? STDIN_FILENO : open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (r->fd < 0) {
		int e = errno;
		g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s: %s", path, g_strerror (e));
		return NULL;
	}
	r->in = g_unix_input_stream_new (r->fd, !is_stdin);
	struct stat st;
	if (fstat (r->fd, &st) == 0) {
		r->dev = st.st_dev;
		r->ino = st.st_ino;
		if (S_ISREG (st.st_mode)) {
			r->mtime = st.st_mtime;
			r->seekable = TRUE;
		}
	}
	if (g_str_has_suffix (path, ".gz")) {
		g_autoptr (GZlibDecompressor) z = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
		GInputStream *conv = g_converter_input_stream_new (r->in, G_CONVERTER (z));
		g_object_unref (r->in);
		r->in = conv;
		r->seekable = FALSE;
	}
	r->buf = g_malloc (BUF_SIZE + 1);
	r->now = when_read (r);
	return g_steal_pointer (&r);
}

/* Moves what is left to the front and reads more behind it. */
static gboolean
refill (LogReader *r, GError **error)
{
	if (r->start > 0) {
		memmove (r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	gssize n = g_input_stream_read (r->in, r->buf + r->end, BUF_SIZE - r->end, NULL, error);
	if (n < 0)
		return FALSE;
	r->now = when_read (r);
	if (n == 0) {
		r->eof = TRUE;
		return TRUE;
	}
	/* The first bytes, as far as they go. */
	if (r->head->len < NS_SOURCE_ID_BYTES && r->pos <= (gint64) r->head->len && r->pos + n > (gint64) r->head->len) {
		gsize from = r->head->len - r->pos;
		g_byte_array_append (r->head, (const guint8 *) r->buf + r->end + from,
		                     MIN ((gsize) n - from, NS_SOURCE_ID_BYTES - r->head->len));
	}
	r->end += n;
	r->pos += n;
	return TRUE;
}

gboolean
logreader_start (LogReader *r, gboolean *ready, GError **error)
{
	for (;;) {
		gsize avail = r->end - r->start;
		gboolean line = memchr (r->buf + r->start, '\n', avail) != NULL;
		/* A first line too long to be one is not waited for. */
		*ready = line || avail > NS_MAX_LOG_LINE;
		if ((*ready && r->head->len >= NS_SOURCE_ID_BYTES) || r->eof || avail == BUF_SIZE)
			return TRUE;
		if (!refill (r, error))
			return FALSE;
	}
}

const char *
logreader_buffered (LogReader *r)
{
	r->buf[r->end] = '\0';
	return r->buf + r->start;
}

const guint8 *
logreader_head (LogReader *r, gsize *len)
{
	*len = r->head->len;
	return r->head->data;
}

const guint8 *
logreader_tail (LogReader *r, gsize *len)
{
	return tail_get (&r->tail, len);
}

const char *
logreader_line (LogReader *r, gsize *len, gboolean *overlong, GError **error)
{
	*overlong = FALSE;
	*len = 0;
	for (;;) {
		char *line = r->buf + r->start;
		gsize avail = r->end - r->start;
		char *nl = memchr (line, '\n', avail);
		if (r->dropping) {
			/* Nothing of an overlong line is handed on, up to its end. */
			gsize n = nl ? (gsize) (nl + 1 - line) : avail;
			tail_add (&r->drop_tail, line, n);
			r->start += n;
			r->offset += n;
			if (nl) {
				r->dropping = FALSE;
				r->tail = r->drop_tail;
				r->done = r->offset;
				*overlong = TRUE;
				return "";
			}
		} else if (nl) {
			gsize n = nl + 1 - line;
			tail_add (&r->tail, line, n);
			r->start += n;
			r->offset += n;
			r->done = r->offset;
			*len = nl - line;
			if (*len > 0 && line[*len - 1] == '\r')
				(*len)--;
			if (*len > NS_MAX_LOG_LINE) {
				*len = 0;
				*overlong = TRUE;
				return "";
			}
			return line;
		} else if (avail > NS_MAX_LOG_LINE) {
			r->dropping = TRUE;
			r->drop_tail.len = 0;
			continue;
		}
		if (r->eof || !refill (r, error))
			return NULL;
	}
}

gint64
logreader_offset (LogReader *r)
{
	return r->done;
}

gint64
logreader_now (LogReader *r)
{
	return r->now;
}

gboolean
logreader_seekable (LogReader *r)
{
	return r->seekable;
}

gboolean
logreader_read_at (LogReader *r, gint64 offset, guint8 *buf, gsize len)
{
	if (!r->seekable || offset < 0)
		return FALSE;
	for (gsize got = 0; got < len;) {
		ssize_t n = pread (r->fd, buf + got, len - got, offset + got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		got += n;
	}
	return TRUE;
}

gboolean
logreader_seek (LogReader *r, gint64 offset, GError **error)
{
	g_return_val_if_fail (r->seekable, FALSE);
	guint8 before[NS_SOURCE_ID_BYTES];
	gsize n = MIN (offset, (gint64) NS_SOURCE_ID_BYTES);
	if (!logreader_read_at (r, offset - n, before, n) || lseek (r->fd, offset, SEEK_SET) != offset) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: cannot go on from byte %" G_GINT64_FORMAT,
		             r->path, offset);
		return FALSE;
	}
	r->tail.len = 0;
	tail_add (&r->tail, before, n);
	r->start = r->end = 0;
	r->offset = r->done = r->pos = offset;
	r->eof = r->dropping = FALSE;
	return TRUE;
}

void
logreader_again (LogReader *r)
{
	r->eof = FALSE;
}

LogReaderChange
logreader_changed (LogReader *r)
{
	struct stat st;
	if (strcmp (r->path, "-") == 0 || stat (r->path, &st) != 0)
		return LOGREADER_SAME;
	if (st.st_ino != r->ino || st.st_dev != r->dev)
		return LOGREADER_ROTATED;
	if (!r->seekable || fstat (r->fd, &st) != 0)
		return LOGREADER_SAME;
	/* Files only grow: shorter than what was read is cut. Regrown past
	 * that within one poll, it no longer starts with the bytes read at
	 * its start, or no longer holds those before the offset. */
	if (st.st_size < r->pos)
		return LOGREADER_TRUNCATED;
	guint8 now[NS_SOURCE_ID_BYTES];
	gsize tail_len;
	const guint8 *tail = logreader_tail (r, &tail_len);
	if (!logreader_read_at (r, 0, now, r->head->len) || memcmp (now, r->head->data, r->head->len) != 0 ||
	    !logreader_read_at (r, r->done - tail_len, now, tail_len) || memcmp (now, tail, tail_len) != 0)
		return LOGREADER_TRUNCATED;
	return LOGREADER_SAME;
}
