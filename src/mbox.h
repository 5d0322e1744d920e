/* mbox — one stream (a file, a pipe, standard input, a gunzip stream)
 * split into messages, read through a fixed 64 KiB buffer, never whole.
 *
 * A stream that starts with "From " is an mbox: a message starts at a
 * "From " line at the start of the stream or after an empty line; that
 * line is not data, and the empty line before it belongs to it, not to
 * the previous message (one final empty line is dropped, so an mboxrd
 * writer's output gives back the messages it was given). Content-Length
 * is not trusted. Lines matching ^>+"From " lose one '>'. LF and CRLF
 * streams work; one whose first line ends in a lone CR is split at CRs
 * (old Mac files). A stream that does not start with "From " is one
 * message; an empty one is one empty message, or none (empty_is_none:
 * standard input).
 *
 * Limits: a message's data is cut at NS_MAX_MESSAGE_BYTES (`truncated`),
 * the rest of it read past. A line longer than the buffer is judged by
 * its first 64 KiB: always enough for "From "; only an escape whose run
 * of '>' is longer than that (hostile input) keeps all its '>'.
 *
 * Errors: a read or gzip error drops the message being read (its offset
 * is the error's offset: G_IO_ERROR, the text starting with the source)
 * and ends the stream.
 *
 * Ownership: mbox_new() takes the stream; messages' data and error are
 * (transfer full) to the caller. One thread at a time. */
#ifndef NDRSIFT_MBOX_H
#define NDRSIFT_MBOX_H

#include <gio/gio.h>

typedef struct _Mbox Mbox;

typedef struct {
	gint64 offset;      /* of the "From " line in the stream; -1 for a stream that is one message */
	GBytes *data;       /* the message, "From " line removed, >From unescaped; NULL on error */
	gboolean truncated; /* cut at NS_MAX_MESSAGE_BYTES */
	GError *error;      /* why the stream could not be read on, or NULL */
} MboxMessage;

/* Bytes read (for progress): called after each read. */
typedef void (*MboxCountFunc) (guint64 bytes, gpointer data);

/* source: the name in errors. stream: (transfer full). pos_fd >= 0:
 * progress counts that fd's position (the compressed bytes of a .gz
 * file) instead of the bytes read. */
Mbox *mbox_new (const char *source, GInputStream *stream, int pos_fd, gboolean empty_is_none,
                MboxCountFunc count, gpointer count_data);

/* Returns: FALSE at the end of the stream; else TRUE with *out set. */
gboolean mbox_next (Mbox *mbox, MboxMessage *out);

/* Returns: (transfer none) the source as given to mbox_new. */
const char *mbox_source (const Mbox *mbox);

/* Where the "From " line at the start of buf ends (the index after its
 * terminator: LF, CRLF or a lone CR), or 0 when it does not end within
 * buf[0, len). complete: len is all there is (a final CR ends the line). */
gsize mbox_from_line_end (const guint8 *buf, gsize len, gboolean complete);

void mbox_free (Mbox *mbox);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Mbox, mbox_free)

#endif
