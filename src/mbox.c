/* mbox — one stream split into messages at "From " lines, never held
 * whole. See src/mbox.h. */
#include <string.h>
#include <unistd.h>

#include "ndrsift/limits.h"
#include "mbox.h"

#define READ_BUF_SIZE (64u * 1024)

/* An mbox message is collected up to two bytes past the cap: the empty
 * line before the next separator ("\r\n" at most) is only dropped when the
 * message ends, and a message of exactly the cap must not look cut. */
#define MSG_LIMIT ((gsize) NS_MAX_MESSAGE_BYTES + 2)

/* One stream being read: an mbox being split, or a stream sniffed for
 * "From " on its way to becoming one message. */
struct _Mbox {
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
	gboolean started;      /* the first line was read */
	gboolean empty_is_none; /* an empty stream holds no message (stdin) */
	MboxCountFunc count;
	gpointer count_data;
};

void
mbox_free (Mbox *r)
{
	if (r == NULL)
		return;
	g_free (r->source);
	g_clear_object (&r->stream);
	g_free (r->buf);
	g_free (r->data);
	g_free (r);
}

/* Where the "From " line at the start of buf ends (the index after its
 * terminator: LF, CRLF or a lone CR), or 0 when it does not end within
 * buf[0, len). A CR at the very end of an incomplete read could be the
 * start of a CRLF, so it only counts when `complete`. */
gsize
mbox_from_line_end (const guint8 *buf, gsize len, gboolean complete)
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

static void
msg_append (Mbox *r, const guint8 *p, gsize n)
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
flush_to (Mbox *r, gsize upto)
{
	if (upto > r->span)
		msg_append (r, r->buf + r->span, upto - r->span);
	r->span = upto;
}

/* Reads more into the buffer, first moving the unread tail to its start.
 * Sets eof on end of stream. */
static gboolean
reader_fill (Mbox *r, GError **error)
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
			r->count ((guint64) at - r->counted, r->count_data);
			r->counted = (guint64) at;
		}
	} else {
		r->count ((guint64) n, r->count_data);
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

static gboolean
finish_message (Mbox *r, gboolean drop_empty_line, MboxMessage *out)
{
	gsize len = r->len;
	if (drop_empty_line && !r->overflow)
		len -= trailing_empty_line (r->data, len, r->eol);
	gboolean truncated = r->overflow || len > NS_MAX_MESSAGE_BYTES;
	if (truncated)
		len = NS_MAX_MESSAGE_BYTES;

	*out = (MboxMessage) { .offset = r->msg_offset, .truncated = truncated };
	guint8 *data = g_steal_pointer (&r->data);
	if (data == NULL || r->alloc - len > 4096)
		data = g_realloc (data, MAX (len, 1));   /* an empty message is an empty buffer, not NULL */
	out->data = g_bytes_new_take (data, len);

	r->in_msg = FALSE;
	r->len = r->alloc = 0;
	r->overflow = FALSE;
	return TRUE;
}

static void
begin_message (Mbox *r, gint64 offset)
{
	r->in_msg = TRUE;
	r->msg_offset = offset;
	r->len = 0;
	r->overflow = FALSE;
}

static gboolean
reader_error (Mbox *r, GError *error /* taken */, MboxMessage *out)
{
	/* the message being read is lost; the error carries its offset */
	*out = (MboxMessage) { .offset = r->in_msg ? r->msg_offset : -1, .error = error };
	g_clear_pointer (&r->data, g_free);
	r->in_msg = FALSE;
	r->len = r->alloc = 0;
	r->done = TRUE;
	return TRUE;
}

static gboolean
is_empty_line (const guint8 *line, gsize len, char eol)
{
	return len == 1 || (len == 2 && eol == '\n' && line[0] == '\r');
}

/* The next message of an mbox: FALSE at its end. */
static gboolean
split_next (Mbox *r, MboxMessage *out)
{
	while (!r->done) {
		if (r->pos == r->end) {
			if (r->eof) {
				flush_to (r, r->pos);
				r->done = TRUE;
				return r->in_msg && finish_message (r, TRUE, out);
			}
			GError *error = NULL;
			if (!reader_fill (r, &error))
				return reader_error (r, error, out);
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
			if (!reader_fill (r, &error))
				return reader_error (r, error, out);
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
			gboolean done = r->in_msg && finish_message (r, TRUE, out);
			begin_message (r, r->base + (gint64) start);
			r->span = r->pos;   /* the "From " line is not data */
			r->prev_empty = FALSE;
			if (!whole) {
				r->mid_line = TRUE;
				r->mid_skip = TRUE;
			}
			if (done)
				return TRUE;
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
	return FALSE;
}

/* A stream that is not an mbox: all of it (to the cap) is one message. */
static gboolean
stream_single (Mbox *r, MboxMessage *out)
{
	begin_message (r, -1);
	r->span = 0;
	while (!r->eof && r->len <= NS_MAX_MESSAGE_BYTES) {
		r->pos = r->end;
		GError *error = NULL;
		if (!reader_fill (r, &error))
			return reader_error (r, error, out);
	}
	r->pos = r->end;
	flush_to (r, r->pos);
	r->done = TRUE;
	return finish_message (r, FALSE, out);
}

/* Reads the first line: an mbox is split from then on; anything else is
 * one message. */
static gboolean
start (Mbox *r, MboxMessage *out)
{
	r->started = TRUE;
	gsize scanned = 0;
	while (!r->eof && r->end < READ_BUF_SIZE && !memchr (r->buf + scanned, '\n', r->end - scanned)) {
		scanned = r->end;
		GError *error = NULL;
		if (!reader_fill (r, &error))
			return reader_error (r, error, out);
	}
	if (r->end >= 5 && memcmp (r->buf, "From ", 5) == 0) {
		gsize first = mbox_from_line_end (r->buf, r->end, r->eof);
		if (first > 0 && r->buf[first - 1] == '\r')
			r->eol = '\r';
		return split_next (r, out);
	}
	if (r->empty_is_none && r->end == 0) {
		r->done = TRUE;   /* an empty mbox */
		return FALSE;
	}
	return stream_single (r, out);
}

Mbox *
mbox_new (const char *source, GInputStream *stream, int pos_fd, gboolean empty_is_none,
          MboxCountFunc count, gpointer count_data)
{
	Mbox *r = g_new0 (Mbox, 1);
	r->source = g_strdup (source);
	r->stream = stream;
	r->pos_fd = pos_fd;
	r->buf = g_malloc (READ_BUF_SIZE);
	r->eol = '\n';
	r->prev_empty = TRUE;
	r->empty_is_none = empty_is_none;
	r->count = count;
	r->count_data = count_data;
	return r;
}

gboolean
mbox_next (Mbox *r, MboxMessage *out)
{
	if (!r->started)
		return start (r, out);
	return split_next (r, out);
}

const char *
mbox_source (const Mbox *r)
{
	return r->source;
}
