/* maildir — a message moved from one Maildir to another, never lost and
 * never replacing one. See src/maildir.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1       /* renameat2() */
#endif

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "maildir.h"

/* Moves source to target, never replacing a file at target, whoever put
 * it there and when: a check before rename() would leave a moment in which
 * a delivery, or another mover, is overwritten. renameat2 with
 * RENAME_NOREPLACE; where the kernel or the file system has no such rename
 * (EINVAL, e.g. NFS; ENOSYS), link() then unlink(): link fails on an
 * existing target too, and an interruption between the two leaves the
 * message under both names, never under none. (A copy could leave none:
 * never that.) Returns: 0, or -1 with errno (EEXIST: the target exists). */
static int
move_noreplace (const char *source, const char *target)
{
#ifdef HAVE_RENAMEAT2
	if (renameat2 (AT_FDCWD, source, AT_FDCWD, target, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
#endif
	if (link (source, target) != 0)
		return -1;
	if (unlink (source) != 0) {
		int e = errno;
		unlink (target); /* back as it was: one name */
		errno = e;
		return -1;
	}
	return 0;
}

gboolean
maildir_move (const char *source, const char *dest, gboolean dry_run, char **target, GError **error)
{
	*target = NULL;
	g_autofree char *parent = g_path_get_dirname (source);
	g_autofree char *sub = g_path_get_basename (parent);
	g_autofree char *maildir = g_path_get_dirname (parent);
	g_autofree char *cur = g_build_filename (maildir, "cur", NULL);
	g_autofree char *new_dir = g_build_filename (maildir, "new", NULL);
	if ((strcmp (sub, "cur") != 0 && strcmp (sub, "new") != 0) || !g_file_test (cur, G_FILE_TEST_IS_DIR) ||
	    !g_file_test (new_dir, G_FILE_TEST_IS_DIR)) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
		             "%s: not a message of a Maildir; only Maildir messages are moved", source);
		return FALSE;
	}
	g_autofree char *name = g_path_get_basename (source);
	*target = g_build_filename (dest, sub, name, NULL);
	if (dry_run) {
		/* only to say so: the move itself never replaces (move_noreplace) */
		if (g_file_test (*target, G_FILE_TEST_EXISTS)) {
			g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "%s: already exists; %s not moved", *target,
			             source);
			return FALSE;
		}
		return TRUE;
	}
	static const char *const subs[] = { "", "cur", "new", "tmp" };
	for (guint i = 0; i < G_N_ELEMENTS (subs); i++) {
		g_autofree char *d = g_build_filename (dest, subs[i], NULL);
		if (g_mkdir_with_parents (d, 0700) != 0) {
			g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", d, g_strerror (errno));
			return FALSE;
		}
	}
	if (move_noreplace (source, *target) != 0) {
		int e = errno;
		if (e == EEXIST)
			g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "%s: already exists; %s not moved", *target,
			             source);
		else
			g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s -> %s: %s%s", source, *target,
			             g_strerror (e), e == EXDEV ? " (another file system: nothing moved)" : "");
		return FALSE;
	}
	return TRUE;
}
