/* rulefiles — finding, layering and reading *.rules and *.formats files.
 * See src/rulefiles.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builtin.h"
#include "ndrsift/limits.h"
#include "rulefiles.h"

const char rulefiles_builtin[] = "built-in";

/* Missing as the layering means it: nothing there (skipped, or the
 * built-in files in place of the first directory). */
static gboolean
dir_missing (const char *dir)
{
	struct stat st;
	return stat (dir, &st) != 0 && (errno == ENOENT || errno == ENOTDIR);
}

const char **
rulefiles_dirs (const Config *c, GPtrArray *notices)
{
	guint n = c->rules_dirs ? g_strv_length (c->rules_dirs) : 0;
	const char **dirs = g_new0 (const char *, MAX (n, 1) + 1);
	for (guint i = 0; i < n; i++) {
		const char *d = c->rules_dirs[i];
		gboolean missing = dir_missing (d);
		if (missing && notices && c->rules_dirs_set)
			g_ptr_array_add (notices, g_strdup_printf ("rules directory %s does not exist; %s", d,
			                                           i == 0 ? "using the built-in rules" : "skipped"));
		dirs[i] = i == 0 && missing ? rulefiles_builtin : d;
	}
	if (n == 0)
		dirs[0] = rulefiles_builtin;
	return dirs;
}

/* A file of the layered rule directories. */
typedef struct {
	char *name;                  /* "50-mta.formats" */
	char *path;                  /* the file, or NULL: the built-in copy */
	const BuiltinFile *builtin;  /* the built-in file of that name, or NULL */
} RuleFile;

static void
rule_file_free (gpointer data)
{
	RuleFile *f = data;
	g_free (f->name);
	g_free (f->path);
	g_free (f);
}

static gint
compare_by_name (gconstpointer a, gconstpointer b)
{
	return strcmp ((*(RuleFile *const *) a)->name, (*(RuleFile *const *) b)->name);
}

static const BuiltinFile *
builtin_file (const char *name)
{
	for (const BuiltinFile *b = builtin_files; b->name; b++)
		if (strcmp (b->name, name) == 0)
			return b;
	return NULL;
}

static void
add_file (GHashTable *files, const char *name, char *path, const BuiltinFile *builtin)
{
	RuleFile *f = g_new0 (RuleFile, 1);
	f->name = g_strdup (name);
	f->path = path;
	f->builtin = builtin;
	g_hash_table_replace (files, f->name, f);
}

/* What a file that is not a regular one is, for the message. */
static const char *
file_kind (mode_t mode)
{
	return S_ISREG (mode) ? "a regular file" : S_ISDIR (mode) ? "a directory" : S_ISFIFO (mode) ? "a FIFO"
	     : S_ISSOCK (mode) ? "a socket" : S_ISCHR (mode) ? "a character device"
	     : S_ISBLK (mode) ? "a block device" : "not a regular file";
}

/* /dev/null, which reads as an empty file (the tests' config). */
static gboolean
is_dev_null (const struct stat *st)
{
	struct stat null;
	return S_ISCHR (st->st_mode) && stat ("/dev/null", &null) == 0 && st->st_rdev == null.st_rdev;
}

gboolean
rulefiles_read_file (const char *path, char **text, gsize *len, GError **error)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	int fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd < 0) {
		int e = errno;
		/* a socket cannot be opened (ENXIO): say what it is */
		if (stat (path, &st) == 0 && !S_ISREG (st.st_mode) && !S_ISDIR (st.st_mode) && !is_dev_null (&st))
			g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: %s, not a regular file", path,
			             file_kind (st.st_mode));
		else
			g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s: %s", path, g_strerror (e));
		return FALSE;
	}
	if (fstat (fd, &st) != 0 || (!S_ISREG (st.st_mode) && !is_dev_null (&st))) {
		g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: %s, not a regular file", path,
		             file_kind (st.st_mode));
		close (fd);
		return FALSE;
	}
	/* Straight into the buffer, of the file's size (and one byte, to see
	 * its end) unless it grows: loaders keep it. */
	gsize cap = S_ISREG (st.st_mode) ? (gsize) st.st_size + 2 : 2, used = 0;
	char *buf = g_malloc (cap);
	for (;;) {
		if (used + 1 >= cap) { /* full (a FIFO, a growing file) */
			cap *= 2;
			buf = g_realloc (buf, cap);
		}
		ssize_t n = read (fd, buf + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s: %s", path, g_strerror (e));
			g_free (buf);
			close (fd);
			return FALSE;
		}
		if (n == 0)
			break;
		used += n;
	}
	close (fd);
	buf[used] = '\0';
	*len = used;
	*text = buf;
	return TRUE;
}

/* The files ending in suffix of the layered dirs (rulefiles_builtin:
 * the built-in files): a file in a later directory replaces one of the
 * same name in an earlier one; missing directories are skipped, anything
 * else that is not one is an error; names starting with '.' are not read.
 * Returns: (transfer full) RuleFile* in name order; NULL when errors is
 * NULL and a directory failed (error set), else each failure is added to
 * errors. */
static GPtrArray *
layered_files (const char *const *dirs, const char *suffix, GPtrArray *errors, GError **error)
{
	/* name -> file: a later directory's file replaces the earlier. */
	g_autoptr (GHashTable) files = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, rule_file_free);
	for (guint i = 0; dirs && dirs[i]; i++) {
		if (dirs[i] == rulefiles_builtin) {
			for (const BuiltinFile *b = builtin_files; b->name; b++)
				if (g_str_has_suffix (b->name, suffix))
					add_file (files, b->name, NULL, b);
			continue;
		}
		struct stat st;
		int r = stat (dirs[i], &st);
		if (r != 0 && (errno == ENOENT || errno == ENOTDIR))
			continue;
		g_autoptr (GError) local = NULL;
		g_autoptr (GDir) dir = NULL;
		if (r == 0 && !S_ISDIR (st.st_mode))
			g_set_error (&local, G_FILE_ERROR, G_FILE_ERROR_NOTDIR, "%s: %s, not a directory", dirs[i],
			             file_kind (st.st_mode));
		else
			dir = g_dir_open (dirs[i], 0, &local);
		if (dir == NULL) {
			if (errors == NULL) {
				g_propagate_error (error, g_steal_pointer (&local));
				return NULL;
			}
			g_ptr_array_add (errors, g_strdup (local->message));
			continue;
		}
		const char *entry;
		while ((entry = g_dir_read_name (dir)))
			if (g_str_has_suffix (entry, suffix) && entry[0] != '.')
				add_file (files, entry, g_build_filename (dirs[i], entry, NULL), builtin_file (entry));
	}
	GPtrArray *out = g_ptr_array_new_with_free_func (rule_file_free);
	GHashTableIter it;
	gpointer file;
	g_hash_table_iter_init (&it, files);
	while (g_hash_table_iter_next (&it, NULL, &file)) {
		g_hash_table_iter_steal (&it);
		g_ptr_array_add (out, file);
	}
	g_ptr_array_sort (out, compare_by_name);
	return out;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
	return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static gboolean
rule_file_name (const char *name)
{
	return name[0] != '.' && (g_str_has_suffix (name, ".rules") || g_str_has_suffix (name, ".formats"));
}

void
rulefiles_builtin_differences (const char *dir, GPtrArray *out)
{
	g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
	const char *entry;
	while (d && (entry = g_dir_read_name (d)))
		if (rule_file_name (entry))
			g_ptr_array_add (names, g_strdup (entry));
	for (const BuiltinFile *b = builtin_files; b->name; b++)
		if (!g_ptr_array_find_with_equal_func (names, b->name, g_str_equal, NULL))
			g_ptr_array_add (names, g_strdup (b->name));
	g_ptr_array_sort (names, compare_strings);
	for (guint i = 0; i < names->len; i++) {
		const char *name = g_ptr_array_index (names, i);
		g_autofree char *path = g_build_filename (dir, name, NULL);
		const BuiltinFile *b = builtin_file (name);
		g_autofree char *text = NULL;
		gsize len = 0;
		if (dir_missing (path))
			g_ptr_array_add (out, g_strdup_printf ("%s is missing (a built-in file)", path));
		else if (!rulefiles_read_file (path, &text, &len, NULL))
			g_ptr_array_add (out, g_strdup_printf ("%s cannot be read", path));
		else if (b == NULL)
			g_ptr_array_add (out, g_strdup_printf ("%s is not one of the built-in files", path));
		else if (len != b->len || memcmp (text, b->text, len) != 0)
			g_ptr_array_add (out, g_strdup_printf ("%s differs from the built-in copy", path));
	}
}

/* Reports one failure: stop (errors NULL) or collect. */
static gboolean
line_failed (GQuark domain, int code, const char *where, const char *what, GPtrArray *errors,
             GError **error)
{
	if (errors == NULL) {
		g_set_error (error, domain, code, "%s: %s", where, what);
		return FALSE;
	}
	g_ptr_array_add (errors, g_strdup_printf ("%s: %s", where, what));
	return TRUE;
}

char *
rulefiles_where (const char *file, guint line)
{
	/* Without printf: cheap enough to say a rule's origin at start-up. */
	char digits[16];
	guint n = sizeof digits;
	do
		digits[--n] = (char) ('0' + line % 10);
	while ((line /= 10) && n > 1);
	digits[--n] = ':';
	gsize flen = strlen (file);
	char *where = g_malloc (flen + sizeof digits - n + 1);
	memcpy (where, file, flen);
	memcpy (where + flen, digits + n, sizeof digits - n);
	where[flen + sizeof digits - n] = '\0';
	return where;
}

gboolean
rulefiles_read_lines (const char *filename, char *text, GQuark domain, RulefilesLineFunc func, gboolean builtin,
                      gpointer data, GPtrArray *errors, GError **error)
{
	gboolean ok = TRUE;
	char *next = text;
	for (guint n = 1; next; n++) {
		char *line = next;
		next = strchr (line, '\n');
		gsize len = next ? (gsize) (next - line) : strlen (line);
		if (next)
			*next++ = '\0';
		g_autoptr (GError) local = NULL;
		if (len > NS_MAX_RULE_LINE)
			g_set_error (&local, domain, RULEFILES_LINE_TOO_LONG, "line longer than %d bytes", NS_MAX_RULE_LINE);
		else {
			while (len > 0 && g_ascii_isspace (line[len - 1]))
				line[--len] = '\0';
			const char *first = line;
			while (*first == ' ' || *first == '\t')
				first++;
			if (*first == '#' || *first == '\0')
				continue;
			func (line, filename, n, builtin, data, &local);
		}
		if (local == NULL)
			continue;
		ok = FALSE;
		g_autofree char *where = rulefiles_where (filename, n);
		if (!line_failed (domain, local->code, where, local->message, errors, error))
			return FALSE;
	}
	return ok;
}

char *
rulefiles_next_word (char **cursor)
{
	char *p = *cursor;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return NULL;
	char *word = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (*p)
		*p++ = '\0';
	*cursor = p;
	return word;
}

char *
rulefiles_rest (char *cursor)
{
	while (g_ascii_isspace (*cursor))
		cursor++;
	gsize len = strlen (cursor);
	while (len > 0 && g_ascii_isspace (cursor[len - 1]))
		cursor[--len] = '\0';
	return cursor;
}

gboolean
rulefiles_read_layered (const char *const *dirs, const char *suffix, GQuark domain, RulefilesLineFunc func,
                        gpointer data, GPtrArray *keep, GPtrArray *errors, GError **error)
{
	guint before = errors ? errors->len : 0;
	g_autoptr (GPtrArray) files = layered_files (dirs, suffix, errors, error);
	if (files == NULL)
		return FALSE;
	gboolean ok = !errors || errors->len == before;
	for (guint i = 0; i < files->len; i++) {
		const RuleFile *f = g_ptr_array_index (files, i);
		char *text = NULL, *name;
		gsize len;
		g_autoptr (GError) local = NULL;
		if (f->path == NULL) {
			name = g_strconcat (rulefiles_builtin, ":", f->name, NULL);
			text = g_strndup (f->builtin->text, f->builtin->len);
			len = f->builtin->len;
		} else if (rulefiles_read_file (f->path, &text, &len, &local)) {
			name = g_strdup (f->path);
		} else {
			ok = FALSE;
			if (errors == NULL) {
				g_propagate_error (error, g_steal_pointer (&local));
				return FALSE;
			}
			g_ptr_array_add (errors, g_strdup (local->message));
			continue;
		}
		/* What func keeps of the lines points into these two. */
		g_ptr_array_add (keep, name);
		g_ptr_array_add (keep, text);
		/* A shipped file as built: its patterns are known to compile. */
		gboolean builtin = f->builtin && len == f->builtin->len && memcmp (text, f->builtin->text, len) == 0;
		if (!rulefiles_read_lines (name, text, domain, func, builtin, data, errors, error)) {
			ok = FALSE;
			if (errors == NULL)
				return FALSE;
		}
	}
	return ok;
}
