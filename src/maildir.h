/* maildir — the move of a message between Maildirs (scan --move-forged,
 * --move-legit).
 *
 * Limits: one rename (or link and unlink) per message; never a copy.
 *
 * Ownership: *target is (transfer full). */
#ifndef NDRSIFT_MAILDIR_H
#define NDRSIFT_MAILDIR_H

#include <glib.h>

/* Moves a message found in a Maildir (SOURCE is DIR/cur/NAME or
 * DIR/new/NAME) into the Maildir dest, keeping its subdirectory and name,
 * with renameat2(RENAME_NOREPLACE), or link(2) then unlink(2) where the
 * file system has no such rename (NFS): never a copy and a delete that
 * could lose mail, and never replacing an existing target, not even one
 * that appears at the last moment (G_IO_ERROR_EXISTS, "already exists").
 * A dest on another file system is an error, nothing moves. dest and its
 * cur/, new/, tmp/ are made (0700) if missing. dry_run: check and say,
 * move nothing. *target: (transfer full) where it goes. Returns: FALSE
 * with error. */
gboolean maildir_move (const char *source, const char *dest, gboolean dry_run, char **target,
                       GError **error);

#endif
