/* dirwalk — one level of a mail directory, in the order scan reads it.
 * See src/dirwalk.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1       /* d_type, dirfd(), fstatat() */
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "dirwalk.h"

void
dirwalk_entry_free (DirwalkEntry *entry)
{
	if (entry == NULL)
		return;
	g_free (entry->path);
	g_clear_error (&entry->error);
	g_free (entry);
}

static DirwalkEntry *
entry_new (DirwalkKind kind, char *path /* taken */, GError *error /* taken */)
{
	DirwalkEntry *entry = g_new0 (DirwalkEntry, 1);
	entry->kind = kind;
	entry->path = path;
	entry->error = error;
	return entry;
}

static GError *
errno_error (const char *path, int errsv)
{
	return g_error_new (G_FILE_ERROR, g_file_error_from_errno (errsv),
	                    "%s: %s", path, g_strerror (errsv));
}

static gboolean
is_dir_at (const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename (dir, name, NULL);
	struct stat st;
	return stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

gboolean
dirwalk_is_maildir (const char *path)
{
	return is_dir_at (path, "cur") && is_dir_at (path, "new");
}

static gboolean
all_digits (const char *s)
{
	if (*s == '\0')
		return FALSE;
	for (; *s; s++)
		if (!g_ascii_isdigit (*s))
			return FALSE;
	return TRUE;
}

static int
cmp_names (gconstpointer a, gconstpointer b)
{
	return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* MH message numbers: by value (no overflow: compared as digit strings
 * without leading zeros), then by text, so "01" and "1" still get an order. */
static int
cmp_numbers (gconstpointer a, gconstpointer b)
{
	const char *x = *(const char *const *) a, *y = *(const char *const *) b;
	const char *xs = x, *ys = y;
	while (xs[0] == '0' && xs[1] != '\0')
		xs++;
	while (ys[0] == '0' && ys[1] != '\0')
		ys++;
	size_t lx = strlen (xs), ly = strlen (ys);
	if (lx != ly)
		return lx < ly ? -1 : 1;
	int c = strcmp (xs, ys);
	return c != 0 ? c : strcmp (x, y);
}

/* Lists the directory at path: into `files`, its message files (regular
 * files and symlinks to them, names not starting with '.'); into `dirs`
 * when not NULL, its real subdirectories (never symlinks) whose names start
 * with '.' when dot_dirs (Maildir++ folders), else those that do not. */
static gboolean
list_dir (const char *path, GPtrArray *files, GPtrArray *dirs, gboolean dot_dirs,
          GError **error)
{
	DIR *d = opendir (path);
	if (d == NULL) {
		g_propagate_error (error, errno_error (path, errno));
		return FALSE;
	}
	int dfd = dirfd (d);
	gboolean ok = TRUE;
	for (;;) {
		errno = 0;
		struct dirent *e = readdir (d);
		if (e == NULL) {
			if (errno != 0) {
				g_propagate_error (error, errno_error (path, errno));
				ok = FALSE;
			}
			break;
		}
		const char *name = e->d_name;
		if (strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
			continue;
		gboolean dot = name[0] == '.';
		if (dot && !(dirs != NULL && dot_dirs))
			continue;

		struct stat st;
		gboolean is_file = FALSE, is_dir = FALSE;
		switch (e->d_type) {
		case DT_REG:
			is_file = TRUE;
			break;
		case DT_DIR:
			is_dir = TRUE;
			break;
		case DT_LNK:
			/* read a symlinked file, never enter a symlinked directory; a
			 * dangling link is listed so that its error is reported */
			is_file = fstatat (dfd, name, &st, 0) != 0 || S_ISREG (st.st_mode);
			break;
		case DT_UNKNOWN: /* file systems that do not fill d_type */
			if (fstatat (dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
				break;
			if (S_ISLNK (st.st_mode))
				is_file = fstatat (dfd, name, &st, 0) != 0 || S_ISREG (st.st_mode);
			else {
				is_file = S_ISREG (st.st_mode);
				is_dir = S_ISDIR (st.st_mode);
			}
			break;
		default:         /* FIFOs, sockets, devices: opening a FIFO would block */
			break;
		}
		if (is_file && !dot)
			g_ptr_array_add (files, g_strdup (name));
		else if (is_dir && dirs != NULL && dot == dot_dirs)
			g_ptr_array_add (dirs, g_strdup (name));
	}
	closedir (d);
	return ok;
}

/* Adds one entry per name of `names`, under dir, to `out`. */
static void
add_entries (GPtrArray *out, DirwalkKind kind, const char *dir, GPtrArray *names)
{
	for (guint i = 0; i < names->len; i++)
		g_ptr_array_add (out, entry_new (kind, g_build_filename (dir, names->pdata[i], NULL), NULL));
}

GPtrArray *
dirwalk_list (const char *path, gboolean recursive)
{
	GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify) dirwalk_entry_free);
	GError *error = NULL;

	if (dirwalk_is_maildir (path)) {
		static const char *const subs[] = { "cur", "new" };
		for (guint s = 0; s < G_N_ELEMENTS (subs); s++) {
			g_autofree char *sub = g_build_filename (path, subs[s], NULL);
			g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
			gboolean ok = list_dir (sub, files, NULL, FALSE, &error);
			g_ptr_array_sort (files, cmp_names);
			add_entries (items, DIRWALK_FILE, sub, files);
			if (!ok)
				g_ptr_array_add (items, entry_new (DIRWALK_ERROR, g_strdup (sub), g_steal_pointer (&error)));
		}
		if (recursive) {
			g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
			g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func (g_free);
			gboolean ok = list_dir (path, files, dirs, TRUE, &error);
			g_ptr_array_sort (dirs, cmp_names);
			add_entries (items, DIRWALK_MAILDIR, path, dirs);
			if (!ok)
				g_ptr_array_add (items, entry_new (DIRWALK_ERROR, g_strdup (path), g_steal_pointer (&error)));
		}
	} else {
		g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
		g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func (g_free);
		gboolean ok = list_dir (path, files, recursive ? dirs : NULL, FALSE, &error);
		gboolean numeric = TRUE;
		for (guint i = 0; i < files->len && numeric; i++)
			numeric = all_digits (files->pdata[i]);
		g_ptr_array_sort (files, numeric ? cmp_numbers : cmp_names);
		g_ptr_array_sort (dirs, cmp_names);
		/* a directory's own messages first, then its subdirectories */
		add_entries (items, DIRWALK_FILE, path, files);
		add_entries (items, DIRWALK_DIR, path, dirs);
		if (!ok)
			g_ptr_array_add (items, entry_new (DIRWALK_ERROR, g_strdup (path), g_steal_pointer (&error)));
	}
	return items;
}
