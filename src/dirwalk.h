/* dirwalk — one level of a directory of messages, listed in the order
 * `scan` reads it (doc/design.md "Commands"):
 *
 * - a Maildir (it has cur/ and new/): the files of cur/, then new/ (tmp/
 *   is never read); with `recursive`, then its Maildir++ ".Name"
 *   subfolders (DIRWALK_MAILDIR: walked only if they are Maildirs);
 * - otherwise an MH folder or a plain directory: its files, then, with
 *   `recursive`, its subdirectories (DIRWALK_DIR).
 *
 * Names starting with '.' are skipped (MH's .mh_sequences, editors'
 * temporaries) except Maildir++ folders. Entries are sorted (strcmp;
 * numerically when every file name of a directory is a number, as in
 * MH) so that two runs agree. Symlinked files are listed; symlinked
 * directories never (a link to an ancestor would loop). FIFOs, sockets
 * and devices are skipped: opening a FIFO would block. A directory that
 * cannot be read (wholly or in part) adds a DIRWALK_ERROR entry after
 * what could be listed.
 *
 * Limits: one level per call, no recursion: the caller walks a
 * subdirectory when it reaches its entry (mailbox keeps the queue).
 *
 * Ownership: dirwalk_list() returns (transfer full) an array that owns
 * its entries and their strings. */
#ifndef NDRSIFT_DIRWALK_H
#define NDRSIFT_DIRWALK_H

#include <glib.h>

typedef enum {
	DIRWALK_FILE,     /* a file: one message */
	DIRWALK_DIR,      /* a subdirectory of a plain directory (recursive) */
	DIRWALK_MAILDIR,  /* a Maildir++ ".Name" subfolder (recursive) */
	DIRWALK_ERROR,    /* a directory that could not be listed: see error */
} DirwalkKind;

typedef struct {
	DirwalkKind kind;
	char *path;       /* the directory's path and the name */
	GError *error;    /* DIRWALK_ERROR: G_FILE_ERROR, the text starting with the path */
} DirwalkEntry;

/* Returns: (transfer full) the entries (DirwalkEntry *) of the directory
 * at path, in reading order. */
GPtrArray *dirwalk_list (const char *path, gboolean recursive);

/* Whether path is a Maildir: it has the directories cur/ and new/. */
gboolean dirwalk_is_maildir (const char *path);

void dirwalk_entry_free (DirwalkEntry *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DirwalkEntry, dirwalk_entry_free)

#endif
