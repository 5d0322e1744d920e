/* logreader — one log source read line by line for `log import`.
 *
 * A source is a file (plain, or gzip-compressed when its name ends in
 * ".gz") or standard input ("-"). Offsets count the bytes of the stream
 * as read (decompressed for .gz). The reader:
 *
 *  - hands on whole lines only, without "\n" or "\r\n"; a last line
 *    without its line end is left for later (the MTA is still writing
 *    it);
 *  - never hands on a part of a line: a line longer than NS_MAX_LOG_LINE
 *    is dropped up to its line end and handed on as one overlong line
 *    (for the caller to count as malformed), so no tail of it can pass
 *    for a line of its own;
 *  - keeps what a source is recognised by (sentlog.h, "Checkpoints"):
 *    its first bytes and the bytes before the offset reached, up to
 *    NS_SOURCE_ID_BYTES each;
 *  - says when its lines were read, for the year of classic syslog
 *    stamps (logparse_set_now): the clock at each read, but for a
 *    one-shot read of a regular file (or of standard input redirected
 *    from one) its modification time when that is earlier: the lines of
 *    an old rotated file are not from today;
 *  - for --follow, tells whether the path now names another file
 *    (rotation by rename) or the same file cut and written again
 *    (copytruncate), by the file's inode and by its first bytes and the
 *    bytes before the offset, not by its size alone.
 *
 * Limits: a 256 KiB buffer; NS_SOURCE_ID_BYTES of head and of tail.
 *
 * Ownership: logreader_open() returns (transfer full); lines and byte
 * views are (transfer none), valid until the next call on the reader. */
#ifndef NDRSIFT_LOGREADER_H
#define NDRSIFT_LOGREADER_H

#include <glib.h>

typedef struct _LogReader LogReader;

/* path: a file or "-". follow: the lines are read as they are written
 * (their time is the clock's). Returns: (transfer full) or NULL with
 * error. */
LogReader *logreader_open (const char *path, gboolean follow, GError **error);
void logreader_free (LogReader *r);

/* Reads until the first line is complete, with the first
 * NS_SOURCE_ID_BYTES bytes (or all there are). *ready: FALSE when the
 * source holds no complete line yet. Returns: FALSE with error when
 * reading failed. */
gboolean logreader_start (LogReader *r, gboolean *ready, GError **error);

/* The bytes read from the stream and not handed on yet, NUL-terminated
 * (for format detection). Returns: (transfer none). */
const char *logreader_buffered (LogReader *r);

/* The source's first bytes (up to NS_SOURCE_ID_BYTES, as many as read so
 * far) and the bytes just before logreader_offset() (as many). Returns:
 * (transfer none). */
const guint8 *logreader_head (LogReader *r, gsize *len);
const guint8 *logreader_tail (LogReader *r, gsize *len);

/* The next whole line, or NULL: at the end (*error unset; a line without
 * its line end stays unread) or on a read error. *overlong: the line was
 * longer than NS_MAX_LOG_LINE and dropped (the line returned is empty). */
const char *logreader_line (LogReader *r, gsize *len, gboolean *overlong, GError **error);

/* Where the line after the last one handed on starts. */
gint64 logreader_offset (LogReader *r);

/* When the lines handed on were read (see above), Unix seconds. */
gint64 logreader_now (LogReader *r);

/* A plain regular file: its bytes can be read at any offset (resuming
 * skips to the checkpoint without reading what lies before). */
gboolean logreader_seekable (LogReader *r);

/* Seekable readers: the len bytes at offset, into buf, without moving on.
 * Returns: FALSE when the file does not hold them all. */
gboolean logreader_read_at (LogReader *r, gint64 offset, guint8 *buf, gsize len);

/* Seekable readers: goes on from offset, a line start. Returns: FALSE
 * with error. */
gboolean logreader_seek (LogReader *r, gint64 offset, GError **error);

/* After the end: read again what was written since (--follow). */
void logreader_again (LogReader *r);

typedef enum {
	LOGREADER_SAME,       /* the same file, grown or not */
	LOGREADER_ROTATED,    /* the path names another file now */
	LOGREADER_TRUNCATED,  /* the same file, but shorter than the offset or
	                         no longer holding what was read: cut and
	                         written again */
} LogReaderChange;

/* --follow: what became of the file at the path (a path that names no
 * file for the moment is LOGREADER_SAME: the old one is read on). */
LogReaderChange logreader_changed (LogReader *r);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LogReader, logreader_free)

#endif
