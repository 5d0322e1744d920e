/* config — GKeyFile settings. See include/ndrsift/config.h.
 *
 * Each key is checked where it is read and a bad one is reported with the
 * file, the group and the key (GKeyFile keeps no line numbers of its own).
 * The file is read by rulefiles_read_file: only a regular file (or
 * /dev/null). The rule directories it names are read by rulefiles. */
#include <arpa/inet.h>
#include <string.h>

#include "ndrsift/config.h"
#include "ndrsift/limits.h"
#include "rulefiles.h"

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
	g_free (c->filter_server);
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
	c->filter_server = g_strdup ("");
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

/* [filter] server: an absolute path (a unix socket), or empty. */
static gboolean
read_server (GKeyFile *kf, char **out, GError **error)
{
	if (!read_string (kf, "filter", "server", out, error))
		return FALSE;
	if (**out && (**out != '/' || strlen (*out) >= NS_MAX_SOCKET_PATH)) {
		g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_INVALID,
		             "[filter] server: '%s' is not an absolute path of at most %d bytes", *out,
		             NS_MAX_SOCKET_PATH - 1);
		return FALSE;
	}
	return TRUE;
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
	{ "verdict", "forged_at" }, { "filter", "deadline_ms" }, { "filter", "server" }, { "batv", "keys" },
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
	       read_server (kf, &c->filter_server, error) &&
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
	gboolean read = rulefiles_read_file (path, &text, &len, &local);
	gsize dlen = sizeof c->file_digest;
	g_autoptr (GChecksum) digest = g_checksum_new (G_CHECKSUM_SHA256);
	if (read)
		g_checksum_update (digest, (const guchar *) text, len);
	g_checksum_get_digest (digest, c->file_digest, &dlen);
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
		/* rulefiles_read_file's messages name the file */
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
