/* config — GKeyFile settings. See include/ndrsift/config.h.
 *
 * Each key is checked where it is read and a bad one is reported with the
 * file, the group and the key (GKeyFile keeps no line numbers of its own).
 * The config and the rule files are read only when they are regular files
 * (or /dev/null): a FIFO would block the reader, a device never end. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ndrsift/builtin.h"
#include "ndrsift/config.h"
#include "ndrsift/limits.h"

G_DEFINE_QUARK (ndrsift-config-error-quark, config_error)

void
config_free (Config *c)
{
	if (c == NULL)
		return;
	g_free (c->path);
	g_free (c->load_path);
	g_free (c->load_db);
	g_free (c->load_rules);
	g_strfreev (c->local_domains);
	g_strfreev (c->local_relays);
	g_strfreev (c->local_networks);
	if (c->networks)
		g_array_unref (c->networks);
	g_free (c->recipient_delimiter);
	g_free (c->sentlog_path);
	g_strfreev (c->sentlog_servers);
	g_strfreev (c->rules_dirs);
	g_free (c->verdict_header);
	if (c->batv_keys)
		g_ptr_array_unref (c->batv_keys);
	if (c->unknown)
		g_ptr_array_unref (c->unknown);
	g_free (c->milter_socket);
	g_free (c->milter_socket_owner);
	g_free (c->milter_socket_group);
	g_strfreev (c->milter_submission_ports);
	g_strfreev (c->milter_submission_daemons);
	g_free (c);
}

/* Reads a string list; absent keeps *out. */
static gboolean
read_list (GKeyFile *kf, const char *group, const char *key, char ***out, GError **error)
{
	if (!g_key_file_has_key (kf, group, key, NULL))
		return TRUE;
	g_autoptr (GError) local = NULL;
	char **v = g_key_file_get_string_list (kf, group, key, NULL, &local);
	if (v == NULL) {
		g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_INVALID, "[%s] %s: %s", group, key, local->message);
		return FALSE;
	}
	for (guint i = 0; v[i]; i++)
		g_strstrip (v[i]);
	g_strfreev (*out);
	*out = v;
	return TRUE;
}

static gboolean
read_string (GKeyFile *kf, const char *group, const char *key, char **out, GError **error)
{
	if (!g_key_file_has_key (kf, group, key, NULL))
		return TRUE;
	g_autoptr (GError) local = NULL;
	char *v = g_key_file_get_string (kf, group, key, &local);
	if (v == NULL) {
		g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_INVALID, "[%s] %s: %s", group, key, local->message);
		return FALSE;
	}
	g_free (*out);
	*out = g_strstrip (v);
	return TRUE;
}

static gboolean
read_int (GKeyFile *kf, const char *group, const char *key, int min, int max, int *out,
          GError **error)
{
	if (!g_key_file_has_key (kf, group, key, NULL))
		return TRUE;
	g_autoptr (GError) local = NULL;
	int v = g_key_file_get_integer (kf, group, key, &local);
	if (local || v < min || v > max) {
		g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_INVALID, "[%s] %s: give a whole number from %d to %d",
		             group, key, min, max);
		return FALSE;
	}
	*out = v;
	return TRUE;
}

/* "90", "15m", "1h", "5d", "2w": a whole number of seconds, minutes,
 * hours, days or weeks (Postfix's time units; no unit is seconds). */
static gboolean
parse_duration (const char *text, gint64 *out)
{
	char *end = NULL;
	if (!g_ascii_isdigit (text[0]))
		return FALSE;
	guint64 n = g_ascii_strtoull (text, &end, 10);
	static const struct {
		char unit;
		gint64 seconds;
	} units[] = { { '\0', 1 }, { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 7 * 86400 } };
	for (guint i = 0; i < G_N_ELEMENTS (units); i++)
		if (end[0] == units[i].unit && (end[0] == '\0' || end[1] == '\0')) {
			if (n > 1000000000) /* no overflow below */
				return FALSE;
			*out = (gint64) n * units[i].seconds;
			return TRUE;
		}
	return FALSE;
}

static gboolean
read_duration (GKeyFile *kf, const char *group, const char *key, gint64 min, gint64 max, gint64 *out,
               GError **error)
{
	if (!g_key_file_has_key (kf, group, key, NULL))
		return TRUE;
	g_autofree char *v = g_key_file_get_string (kf, group, key, NULL);
	gint64 seconds;
	if (v == NULL || !parse_duration (g_strstrip (v), &seconds) || seconds < min || seconds > max) {
		g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_INVALID,
		             "[%s] %s: give a duration from %" G_GINT64_FORMAT "s to %" G_GINT64_FORMAT
		             "s, a whole number with s, m, h, d or w (e.g. 1h)", group, key, min, max);
		return FALSE;
	}
	*out = seconds;
	return TRUE;
}

/* [sentlog] mode: octal; the importer reads and writes, others may read
 * (0600, 0640, 0604, 0644): a log others could write could be made to
 * vouch for forged bounces. */
static gboolean
read_mode (GKeyFile *kf, const char *group, const char *key, guint *out, GError **error)
{
	if (!g_key_file_has_key (kf, group, key, NULL))
		return TRUE;
	g_autofree char *text = g_key_file_get_string (kf, group, key, NULL);
	char *end = NULL;
	guint64 v = text ? g_ascii_strtoull (g_strstrip (text), &end, 8) : 0;
	if (text == NULL || end == text || *end != '\0' || (v & ~(guint64) 0644) != 0 || (v & 0600) != 0600) {
		g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_INVALID,
		             "[%s] %s: give an octal mode: 0644, 0640, 0604 or 0600 (the importer reads and "
		             "writes, others may only read)", group, key);
		return FALSE;
	}
	*out = (guint) v;
	return TRUE;
}

static gboolean
read_double (GKeyFile *kf, const char *group, const char *key, double *out, GError **error)
{
	if (!g_key_file_has_key (kf, group, key, NULL))
		return TRUE;
	g_autoptr (GError) local = NULL;
	double v = g_key_file_get_double (kf, group, key, &local);
	if (local) {
		g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_INVALID, "[%s] %s: give a number", group, key);
		return FALSE;
	}
	*out = v;
	return TRUE;
}

/* A header name is printable ASCII without ':' or space (RFC 5322). */
static gboolean
valid_header_name (const char *name)
{
	if (name == NULL || *name == '\0')
		return FALSE;
	for (const char *p = name; *p; p++)
		if (*p <= ' ' || *p >= 127 || *p == ':')
			return FALSE;
	return TRUE;
}

/* Text to 16 bytes, IPv4 mapped into IPv6 so one comparison serves both.
 * *v4 says which it was. */
static gboolean
address_bytes (const char *text, guint8 out[16], gboolean *v4)
{
	guint8 b4[4];
	if (inet_pton (AF_INET, text, b4) == 1) {
		memset (out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy (out + 12, b4, 4);
		*v4 = TRUE;
		return TRUE;
	}
	*v4 = FALSE;
	return inet_pton (AF_INET6, text, out) == 1;
}

/* "192.0.2.0/24", "2001:db8::/32", or one address. */
static gboolean
parse_network (const char *text, ConfigNetwork *net)
{
	g_autofree char *addr = g_strdup (text);
	char *slash = strchr (addr, '/');
	guint64 bits = 0;
	if (slash) {
		*slash = '\0';
		char *end;
		bits = g_ascii_strtoull (slash + 1, &end, 10);
		if (end == slash + 1 || *end)
			return FALSE;
	}
	gboolean v4;
	if (!address_bytes (addr, net->bytes, &v4))
		return FALSE;
	guint max = v4 ? 32 : 128;
	if (slash && bits > max)
		return FALSE;
	net->prefix = (slash ? (guint) bits : max) + (v4 ? 96 : 0);
	return TRUE;
}

static gboolean
in_network (const ConfigNetwork *net, const guint8 a[16])
{
	guint full = net->prefix / 8, rest = net->prefix % 8;
	if (memcmp (net->bytes, a, full) != 0)
		return FALSE;
	if (rest == 0)
		return TRUE;
	guint8 mask = (guint8) (0xff << (8 - rest));
	return (net->bytes[full] & mask) == (a[full] & mask);
}

const char config_builtin_rules[] = "built-in";

/* Missing as the layering means it: nothing there (skipped, or the
 * built-in files in place of the first directory). */
static gboolean
dir_missing (const char *dir)
{
	struct stat st;
	return stat (dir, &st) != 0 && (errno == ENOENT || errno == ENOTDIR);
}

const char **
config_rule_dirs (const Config *c, GPtrArray *notices)
{
	guint n = c->rules_dirs ? g_strv_length (c->rules_dirs) : 0;
	const char **dirs = g_new0 (const char *, MAX (n, 1) + 1);
	for (guint i = 0; i < n; i++) {
		const char *d = c->rules_dirs[i];
		gboolean missing = dir_missing (d);
		if (missing && notices && c->rules_dirs_set)
			g_ptr_array_add (notices, g_strdup_printf ("rules directory %s does not exist; %s", d,
			                                           i == 0 ? "using the built-in rules" : "skipped"));
		dirs[i] = i == 0 && missing ? config_builtin_rules : d;
	}
	if (n == 0)
		dirs[0] = config_builtin_rules;
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
config_read_file (const char *path, char **text, gsize *len, GError **error)
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
	/* Straight into the buffer: its size is the file's unless it grows. */
	GString *buf = g_string_sized_new (S_ISREG (st.st_mode) ? (gsize) st.st_size + 1 : 1);
	for (;;) {
		if (buf->len + 1 >= buf->allocated_len) { /* full (a FIFO, a growing file) */
			gsize used = buf->len;
			g_string_truncate (g_string_set_size (buf, buf->allocated_len * 2), used);
		}
		gsize room = buf->allocated_len - buf->len - 1;
		ssize_t n = read (fd, buf->str + buf->len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s: %s", path, g_strerror (e));
			g_string_free (buf, TRUE);
			close (fd);
			return FALSE;
		}
		if (n == 0)
			break;
		buf->len += n;
		buf->str[buf->len] = '\0';
	}
	close (fd);
	*len = buf->len;
	*text = g_string_free (buf, FALSE);
	return TRUE;
}

/* The files ending in suffix of the layered dirs (config_builtin_rules:
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
		if (dirs[i] == config_builtin_rules) {
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
config_builtin_differences (const char *dir, GPtrArray *out)
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
		else if (!config_read_file (path, &text, &len, NULL))
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

/* "file:line" into where (its first stem bytes are the file and ':'),
 * without printf: a filter process reads some 200 rule lines at start. */
static void
set_line (GString *where, gsize stem, guint line)
{
	char digits[16];
	guint n = 0;
	do
		digits[n++] = (char) ('0' + line % 10);
	while ((line /= 10) && n < sizeof digits);
	g_string_truncate (where, stem);
	while (n > 0)
		g_string_append_c (where, digits[--n]);
}

gboolean
config_read_lines (const char *filename, const char *text, GQuark domain, ConfigLineFunc func,
                   gboolean builtin, gpointer data, GPtrArray *errors, GError **error)
{
	/* One copy, cut into lines in place. */
	g_autofree char *copy = g_strdup (text);
	g_autoptr (GString) where = g_string_new (filename);
	g_string_append_c (where, ':');
	gsize stem = where->len;
	gboolean ok = TRUE;
	char *next = copy;
	for (guint n = 1; next; n++) {
		char *line = next;
		next = strchr (line, '\n');
		if (next)
			*next++ = '\0';
		g_autoptr (GError) local = NULL;
		if (strlen (line) > NS_MAX_RULE_LINE)
			g_set_error (&local, domain, CONFIG_LINE_TOO_LONG, "line longer than %d bytes", NS_MAX_RULE_LINE);
		else {
			g_strchomp (line);
			const char *first = line + strspn (line, " \t");
			if (*first == '#' || *first == '\0')
				continue;
			set_line (where, stem, n);
			func (line, where->str, builtin, data, &local);
		}
		if (local == NULL)
			continue;
		set_line (where, stem, n);
		ok = FALSE;
		if (!line_failed (domain, local->code, where->str, local->message, errors, error))
			return FALSE;
	}
	return ok;
}

char *
config_next_word (char **cursor)
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

gboolean
config_read_layered (const char *const *dirs, const char *suffix, GQuark domain, ConfigLineFunc func,
                     gpointer data, GPtrArray *errors, GError **error)
{
	guint before = errors ? errors->len : 0;
	g_autoptr (GPtrArray) files = layered_files (dirs, suffix, errors, error);
	if (files == NULL)
		return FALSE;
	gboolean ok = !errors || errors->len == before;
	for (guint i = 0; i < files->len; i++) {
		const RuleFile *f = g_ptr_array_index (files, i);
		g_autofree char *text = NULL, *name = NULL;
		gsize len;
		g_autoptr (GError) local = NULL;
		if (f->path == NULL) {
			name = g_strconcat (config_builtin_rules, ":", f->name, NULL);
			text = g_strndup (f->builtin->text, f->builtin->len);
			len = f->builtin->len;
		} else if (!config_read_file (f->path, &text, &len, &local)) {
			ok = FALSE;
			if (errors == NULL) {
				g_propagate_error (error, g_steal_pointer (&local));
				return FALSE;
			}
			g_ptr_array_add (errors, g_strdup (local->message));
			continue;
		}
		/* A shipped file as built: its patterns are known to compile. */
		gboolean builtin = f->builtin && len == f->builtin->len && memcmp (text, f->builtin->text, len) == 0;
		if (!config_read_lines (f->path ? f->path : name, text, domain, func, builtin, data, errors, error)) {
			ok = FALSE;
			if (errors == NULL)
				return FALSE;
		}
	}
	return ok;
}

gboolean
config_is_local_address (const Config *c, const char *ip)
{
	guint8 a[16];
	gboolean v4;
	if (ip == NULL || c->networks == NULL || !address_bytes (ip, a, &v4))
		return FALSE;
	for (guint i = 0; i < c->networks->len; i++)
		if (in_network (&g_array_index (c->networks, ConfigNetwork, i), a))
			return TRUE;
	return FALSE;
}

static gboolean
parse_networks (Config *c, GError **error)
{
	c->networks = g_array_new (FALSE, FALSE, sizeof (ConfigNetwork));
	for (guint i = 0; c->local_networks[i]; i++) {
		ConfigNetwork net;
		if (c->local_networks[i][0] == '\0')
			continue;
		if (!parse_network (c->local_networks[i], &net)) {
			g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_INVALID,
			             "[local] networks: '%s' is not an address or address/prefix",
			             c->local_networks[i]);
			return FALSE;
		}
		g_array_append_val (c->networks, net);
	}
	return TRUE;
}

/* The line of "key =" inside "[group]" in a key file's text, or 0: GKeyFile
 * keeps no line numbers, and an admin wants file:line. */
static guint
locate (const char *text, const char *group, const char *key)
{
	g_auto (GStrv) lines = g_strsplit (text ? text : "", "\n", -1);
	gboolean in_group = FALSE;
	gsize klen = key ? strlen (key) : 0;
	for (guint i = 0; lines[i]; i++) {
		const char *l = lines[i] + strspn (lines[i], " \t");
		if (*l == '[') {
			g_autofree char *name = g_strndup (l + 1, strcspn (l + 1, "]"));
			in_group = g_strcmp0 (name, group) == 0;
			if (in_group && key == NULL)
				return i + 1;
		} else if (in_group && key && strncmp (l, key, klen) == 0 &&
		           (l[klen] == '=' || l[klen] == ' ' || l[klen] == '\t'))
			return i + 1;
	}
	return 0;
}

/* "[group] key: ..." messages get the file and the line of that key. */
static char *
with_location (const char *path, const char *text, const char *message)
{
	g_autofree char *group = NULL, *key = NULL;
	if (message[0] == '[') {
		const char *close = strchr (message, ']');
		if (close) {
			group = g_strndup (message + 1, close - message - 1);
			const char *k = close + 1 + strspn (close + 1, " ");
			key = g_strndup (k, strcspn (k, ": "));
		}
	}
	guint line = group ? locate (text, group, key) : 0;
	if (line == 0 && group)
		line = locate (text, group, NULL);
	return line ? g_strdup_printf ("%s:%u: %s", path, line, message) : g_strdup_printf ("%s: %s", path, message);
}

static Config *
defaults (void)
{
	Config *c = g_new0 (Config, 1);
	c->local_domains = g_new0 (char *, 1);
	c->local_relays = g_new0 (char *, 1);
	c->local_networks = g_new0 (char *, 1);
	c->recipient_delimiter = g_strdup ("+");
	c->sentlog_path = g_strdup (NS_DEFAULT_DB);
	c->sentlog_servers = g_new0 (char *, 1);
	c->window_days = 14;
	c->max_gap = NS_SENTLOG_MAX_GAP;
	c->queue_lifetime = 5 * 86400;
	c->clock_skew = 15 * 60;
	c->sentlog_mode = 0644;
	c->rules_dirs = g_strsplit (NS_DEFAULT_RULES_DIRS, ";", -1);
	c->verdict_header = g_strdup ("X-NDR-Verdict");
	c->forged_at = 5.0;
	c->deadline_ms = 2000;
	c->batv_max_age_days = 7;
	c->milter_socket = g_strdup ("unix:/run/ndrsift-milter/milter.sock");
	c->milter_socket_owner = g_strdup ("");
	c->milter_socket_group = g_strdup ("");
	c->milter_socket_mode = 0660;
	c->milter_action = CONFIG_MILTER_TAG;
	c->milter_deadline_ms = 2000;
	/* Submission and submissions (RFC 8314); ORIGINATING is what Postfix
	 * recipes set as milter_macro_daemon_name on their submission
	 * services, MSA the name Sendmail's submission daemon has. */
	c->milter_submission_ports = g_strsplit ("587;465", ";", -1);
	c->milter_submission_daemons = g_strsplit ("ORIGINATING;MSA", ";", -1);
	return c;
}

/* [batv] keys=0:secret;1:other — key number 0..9 and its secret. */
static gboolean
read_batv_keys (Config *c, GKeyFile *kf, GError **error)
{
	g_auto (GStrv) keys = NULL;
	if (!read_list (kf, "batv", "keys", &keys, error))
		return FALSE;
	if (keys == NULL || keys[0] == NULL)
		return TRUE;
	c->batv_keys = g_ptr_array_new_full (10, g_free);
	g_ptr_array_set_size (c->batv_keys, 10);
	for (guint i = 0; keys[i]; i++) {
		if (keys[i][0] == '\0')
			continue;
		if (!g_ascii_isdigit (keys[i][0]) || keys[i][1] != ':' || keys[i][2] == '\0') {
			g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_INVALID, "[batv] keys: '%s' is not NUMBER:SECRET (number 0-9)",
			             keys[i]);
			return FALSE;
		}
		g_free (g_ptr_array_index (c->batv_keys, keys[i][0] - '0'));
		g_ptr_array_index (c->batv_keys, keys[i][0] - '0') = g_strdup (keys[i] + 2);
	}
	return TRUE;
}

/* [milter]: the socket, its mode in octal, and the action by name. */
static gboolean
read_milter (Config *c, GKeyFile *kf, GError **error)
{
	g_autofree char *mode = NULL, *action = NULL;
	if (!read_string (kf, "milter", "socket", &c->milter_socket, error) ||
	    !read_string (kf, "milter", "socket_owner", &c->milter_socket_owner, error) ||
	    !read_string (kf, "milter", "socket_group", &c->milter_socket_group, error) ||
	    !read_string (kf, "milter", "socket_mode", &mode, error) ||
	    !read_string (kf, "milter", "action", &action, error) ||
	    !read_int (kf, "milter", "deadline_ms", 10, NS_MAX_DEADLINE_MS, &c->milter_deadline_ms, error) ||
	    !read_list (kf, "milter", "submission_ports", &c->milter_submission_ports, error) ||
	    !read_list (kf, "milter", "submission_daemons", &c->milter_submission_daemons, error))
		return FALSE;
	if (mode) {
		char *end = NULL;
		guint64 m = g_ascii_strtoull (mode, &end, 8);
		if (*mode == '\0' || *end != '\0' || m > 0777) {
			g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_INVALID, "[milter] socket_mode: '%s' is not an octal mode (e.g. 0660)",
			             mode);
			return FALSE;
		}
		c->milter_socket_mode = (int) m;
	}
	if (action) {
		static const char *const names[] = { "tag", "reject", "quarantine" };
		guint i = 0;
		while (i < G_N_ELEMENTS (names) && strcmp (action, names[i]) != 0)
			i++;
		if (i == G_N_ELEMENTS (names)) {
			g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_INVALID, "[milter] action: '%s' is not tag, reject or quarantine",
			             action);
			return FALSE;
		}
		c->milter_action = (ConfigMilterAction) i;
	}
	return TRUE;
}

/* Every key read_file reads. */
static const struct {
	const char *group, *key;
} known_keys[] = {
	{ "local", "domains" }, { "local", "relays" }, { "local", "networks" },
	{ "local", "recipient_delimiter" }, { "sentlog", "path" }, { "sentlog", "servers" },
	{ "sentlog", "window_days" }, { "sentlog", "max_gap" }, { "sentlog", "queue_lifetime" },
	{ "sentlog", "clock_skew" }, { "sentlog", "mode" }, { "rules", "dirs" }, { "verdict", "header" },
	{ "verdict", "forged_at" }, { "filter", "deadline_ms" }, { "batv", "keys" },
	{ "batv", "max_age_days" },
	{ "milter", "socket" }, { "milter", "socket_owner" }, { "milter", "socket_group" },
	{ "milter", "socket_mode" }, { "milter", "action" }, { "milter", "deadline_ms" },
	{ "milter", "submission_ports" }, { "milter", "submission_daemons" },
};

/* The groups and keys of kf that read_file does not read, each with the
 * file and line where it is. */
static GPtrArray *
unknown_settings (GKeyFile *kf, const char *path, const char *text)
{
	GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
	g_auto (GStrv) groups = g_key_file_get_groups (kf, NULL);
	for (guint g = 0; groups[g]; g++) {
		gboolean group_known = FALSE;
		for (guint i = 0; i < G_N_ELEMENTS (known_keys) && !group_known; i++)
			group_known = strcmp (known_keys[i].group, groups[g]) == 0;
		if (!group_known) {
			g_ptr_array_add (out, g_strdup_printf ("%s:%u: unknown group [%s], ignored", path,
			                                       locate (text, groups[g], NULL), groups[g]));
			continue;
		}
		g_auto (GStrv) keys = g_key_file_get_keys (kf, groups[g], NULL, NULL);
		for (guint k = 0; keys && keys[k]; k++) {
			gboolean key_known = FALSE;
			for (guint i = 0; i < G_N_ELEMENTS (known_keys) && !key_known; i++)
				key_known = strcmp (known_keys[i].group, groups[g]) == 0 &&
				            strcmp (known_keys[i].key, keys[k]) == 0;
			if (!key_known)
				g_ptr_array_add (out, g_strdup_printf ("%s:%u: unknown key [%s] %s, ignored", path,
				                                       locate (text, groups[g], keys[k]), groups[g],
				                                       keys[k]));
		}
	}
	return out;
}

static gboolean
read_file (Config *c, GKeyFile *kf, GError **error)
{
	return read_list (kf, "local", "domains", &c->local_domains, error) &&
	       read_list (kf, "local", "relays", &c->local_relays, error) &&
	       read_list (kf, "local", "networks", &c->local_networks, error) &&
	       read_string (kf, "local", "recipient_delimiter", &c->recipient_delimiter, error) &&
	       read_string (kf, "sentlog", "path", &c->sentlog_path, error) &&
	       read_list (kf, "sentlog", "servers", &c->sentlog_servers, error) &&
	       read_int (kf, "sentlog", "window_days", 1, 3650, &c->window_days, error) &&
	       read_duration (kf, "sentlog", "max_gap", 60, 30 * 86400, &c->max_gap, error) &&
	       read_duration (kf, "sentlog", "queue_lifetime", 0, 100 * 86400, &c->queue_lifetime, error) &&
	       read_duration (kf, "sentlog", "clock_skew", 0, 7 * 86400, &c->clock_skew, error) &&
	       read_mode (kf, "sentlog", "mode", &c->sentlog_mode, error) &&
	       read_list (kf, "rules", "dirs", &c->rules_dirs, error) &&
	       read_string (kf, "verdict", "header", &c->verdict_header, error) &&
	       read_double (kf, "verdict", "forged_at", &c->forged_at, error) &&
	       read_int (kf, "filter", "deadline_ms", 10, NS_MAX_DEADLINE_MS, &c->deadline_ms, error) &&
	       read_int (kf, "batv", "max_age_days", 1, 999, &c->batv_max_age_days, error) &&
	       read_batv_keys (c, kf, error) &&
	       read_milter (c, kf, error);
}

Config *
config_load (const char *path, const char *db, const char *rules, GError **error)
{
	g_autoptr (Config) c = defaults ();
	c->load_path = g_strdup (path);
	c->load_db = g_strdup (db);
	c->load_rules = g_strdup (rules);
	gboolean named = path != NULL;

	if (path == NULL)
		path = g_getenv ("NDRSIFT_CONFIG");
	named |= path != NULL;
	if (path == NULL)
		path = NS_DEFAULT_CONFIG;

	g_autoptr (GKeyFile) kf = g_key_file_new ();
	g_autoptr (GError) local = NULL;
	g_autofree char *text = NULL;
	gsize len = 0;
	/* Read first, then parse: /dev/null is no settings. */
	gboolean read = config_read_file (path, &text, &len, &local);
	if (read && g_key_file_load_from_data (kf, text, len, G_KEY_FILE_NONE, &local)) {
		c->path = g_strdup (path);
		if (!read_file (c, kf, &local)) {
			/* GKeyFile's own messages name group and key otherwise. */
			g_autofree char *m = local->domain == CONFIG_ERROR
				? with_location (path, text, local->message) : g_strdup_printf ("%s: %s", path, local->message);
			g_set_error_literal (error, CONFIG_ERROR, CONFIG_ERROR_INVALID, m);
			return NULL;
		}
		c->unknown = unknown_settings (kf, path, text);
	} else if (named || !g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
		/* config_read_file's messages name the file */
		if (read)
			g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_FILE, "%s: %s", path, local->message);
		else
			g_set_error_literal (error, CONFIG_ERROR, CONFIG_ERROR_FILE, local->message);
		return NULL;
	}
	g_autoptr (GError) net_error = NULL;
	if (!parse_networks (c, &net_error)) {
		g_autofree char *m = with_location (c->path ? c->path : "defaults", text, net_error->message);
		g_set_error_literal (error, CONFIG_ERROR, CONFIG_ERROR_INVALID, m);
		return NULL;
	}
	if (!valid_header_name (c->verdict_header)) {
		g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_INVALID, "%s: [verdict] header: '%s' is not a header name",
		             c->path ? c->path : "defaults", c->verdict_header);
		return NULL;
	}

	if (db) {
		g_free (c->sentlog_path);
		c->sentlog_path = g_strdup (db);
	}
	if (rules) {
		g_strfreev (c->rules_dirs);
		c->rules_dirs = g_strsplit (rules, ":", -1);
	}
	c->rules_dirs_set = rules || g_key_file_has_key (kf, "rules", "dirs", NULL);
	return g_steal_pointer (&c);
}

Config *
config_reload (const Config *config, GError **error)
{
	return config_load (config->load_path, config->load_db, config->load_rules, error);
}
