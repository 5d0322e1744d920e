/* mailbox — iterate the messages under the paths `scan` is given.
 *
 * doc/design.md "Commands": an entry of a Maildir (cur/ and new/), an MH
 * folder or a plain directory is one message (a leading "From " line
 * skipped); a file named on the command line is an mbox when it starts with
 * a "From " line and one message otherwise; a ".gz" file is decompressed
 * first (GZlibDecompressor); "-" is an mbox on standard input.
 *
 * mbox is streamed, never loaded whole: messages are split at "From " lines
 * that start the file or follow an empty line; Content-Length is not
 * trusted; ">From " (any number of '>') loses one '>'. A message longer
 * than NS_MAX_MESSAGE_BYTES is cut there (the rest is skipped up to the
 * next separator) and flagged `truncated`.
 *
 * "-" that does not start with "From " is one message; empty standard
 * input holds no message (an empty file is one empty message).
 *
 * Errors do not stop the iteration: an unreadable file or directory comes
 * back as a MailboxMessage whose `error` is set and whose `data` is NULL,
 * and the iteration goes on with the next one.
 *
 * Ownership: mailbox_iter_new() copies the paths. mailbox_iter_next()
 * returns (transfer full) messages; free them with mailbox_message_free()
 * or g_autoptr. */
#ifndef NDRSIFT_MAILBOX_H
#define NDRSIFT_MAILBOX_H

#include <glib.h>
#include <gio/gio.h>

typedef struct {
	char *source;      /* the path as given, or as found under a directory argument;
	                      "-" for standard input */
	gint64 offset;     /* byte offset of the message's "From " line in an mbox (in the
	                      decompressed stream for .gz); -1 for a single-message file;
	                      on an error, -1 or the offset of the message being read */
	GBytes *data;      /* the message, "From " line removed, >From unescaped; NULL on error */
	gboolean truncated;/* cut at NS_MAX_MESSAGE_BYTES */
	GError *error;     /* why this source could not be read, or NULL */
} MailboxMessage;

typedef struct _MailboxIter MailboxIter;

/* paths: NULL-terminated; recursive: descend into Maildir++ subfolders
 * (".Name" directories of a Maildir) and subdirectories of plain ones. */
MailboxIter *mailbox_iter_new (const char *const *paths, gboolean recursive);

/* Returns: (transfer full) the next message, or NULL at the end. */
MailboxMessage *mailbox_iter_next (MailboxIter *iter);

/* Bytes read so far from the underlying files (for progress): compressed
 * bytes (the file position) for a .gz file. Safe to call from another
 * thread while one thread iterates. */
guint64 mailbox_iter_bytes_read (MailboxIter *iter);

void mailbox_iter_free (MailboxIter *iter);
void mailbox_message_free (MailboxMessage *msg);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailboxIter, mailbox_iter_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailboxMessage, mailbox_message_free)

#endif
