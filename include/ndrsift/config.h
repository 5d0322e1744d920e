/* config — the settings of doc/design.md "Config", from a GKeyFile.
 *
 * The file is --config, else $NDRSIFT_CONFIG, else the default path; a
 * missing default file means built-in defaults, a missing named file is an
 * error. Command-line overrides (--db, --rules) are applied on top.
 *
 * Ownership: config_load() returns (transfer full) a Config that owns its
 * strings; free it with config_free() or g_autoptr. */
#ifndef NDRSIFT_CONFIG_H
#define NDRSIFT_CONFIG_H

#include <glib.h>

/* [milter] action: what the milter does with a forged bounce. */
typedef enum {
	CONFIG_MILTER_TAG,         /* insert the verdict header only */
	CONFIG_MILTER_REJECT,      /* 550 5.7.1 (never for kinds feedback and mdn) */
	CONFIG_MILTER_QUARANTINE,  /* the MTA's hold queue */
} ConfigMilterAction;

typedef struct {
	char *path;                /* the file read, or NULL for built-in defaults */
	char *load_path, *load_db, *load_rules; /* config_load's arguments, for config_reload */
	char **local_domains;      /* [local] domains */
	char **local_relays;       /* [local] relays */
	char **local_networks;     /* [local] networks (CIDR), as written */
	GArray *networks;          /* the same, parsed: ConfigNetwork */
	char *recipient_delimiter; /* [local] recipient_delimiter, "" for none */
	char *sentlog_path;        /* [sentlog] path */
	char **sentlog_servers;    /* [sentlog] servers */
	int window_days;           /* [sentlog] window_days */
	gint64 max_gap;            /* [sentlog] max_gap, seconds: lines of a server this close
	                              (and spans) join into one covered span */
	gint64 queue_lifetime;     /* [sentlog] queue_lifetime, seconds: how long our MTA may
	                              hold a message before it leaves (coverage interval) */
	gint64 clock_skew;         /* [sentlog] clock_skew, seconds: how far a remote clock
	                              may be off (coverage interval) */
	guint sentlog_mode;        /* [sentlog] mode: of sent.db, -wal and -shm (0644) */
	char **rules_dirs;         /* [rules] dirs, in layering order */
	gboolean rules_dirs_set;   /* ...from the file or --rules, not the built-in default */
	char *verdict_header;      /* [verdict] header */
	double forged_at;          /* [verdict] forged_at */
	int deadline_ms;           /* [filter] deadline_ms, at most NS_MAX_DEADLINE_MS: Dovecot gives a
	                              filter program 10 s and fails the delivery after */
	GPtrArray *batv_keys;      /* [batv] keys: char* secret by key number 0..9, NULL if unset */
	int batv_max_age_days;     /* [batv] max_age_days */
	/* [milter] (ndrsift milter): */
	char *milter_socket;       /* socket: unix:PATH, local:PATH, inet:PORT@HOST, inet6:PORT@HOST */
	char *milter_socket_owner; /* socket_owner, socket_group: of a unix socket, "" keeps */
	char *milter_socket_group; /*   the daemon's own */
	int milter_socket_mode;    /* socket_mode, of a unix socket */
	ConfigMilterAction milter_action; /* action */
	int milter_deadline_ms;    /* deadline_ms, at most NS_MAX_DEADLINE_MS */
	char **milter_submission_ports;   /* submission_ports: {daemon_port} values of our own */
	char **milter_submission_daemons; /* submission_daemons: {daemon_name} values of our own */
	GPtrArray *unknown;        /* char*: "file:line: unknown ..." for each group
	                              and key of the file that nothing reads (a
	                              misspelt key leaves its default in force),
	                              in file order; for the caller to say */
} Config;

typedef struct {
	guint8 bytes[16];          /* IPv4 as ::ffff:a.b.c.d */
	guint prefix;              /* bits, of the 128 */
} ConfigNetwork;

#define CONFIG_ERROR (config_error_quark ())
GQuark config_error_quark (void);

typedef enum {
	CONFIG_ERROR_INVALID,    /* a setting's value, or a line, that is not valid */
	CONFIG_ERROR_LIMIT,      /* a line longer than NS_MAX_RULE_LINE */
	CONFIG_ERROR_FILE,       /* the file could not be read, or is no key file */
} ConfigError;

/* The code, in the domain config_read_lines() is given, of a line longer
 * than NS_MAX_RULE_LINE: every such domain's _LIMIT. */
#define CONFIG_LINE_TOO_LONG 1
G_STATIC_ASSERT (CONFIG_ERROR_LIMIT == CONFIG_LINE_TOO_LONG);

/* path: --config, or NULL for $NDRSIFT_CONFIG / the default.
 * db, rules: (nullable) --db and --rules overrides.
 * Returns: (transfer full) or NULL with error set. */
Config *config_load (const char *path, const char *db, const char *rules, GError **error);

/* The whole of a config or rules file into *text (transfer full,
 * NUL-terminated) and *len. Only a regular file or /dev/null (empty) is
 * read: a FIFO, socket, directory or device is refused at once (opened
 * with O_NONBLOCK, then fstat), with a message that names the file and
 * says what it is. Errors are in G_FILE_ERROR (NOENT when missing). */
gboolean config_read_file (const char *path, char **text, gsize *len, GError **error);

/* Stands for the built-in rule files (builtin.h) in a list of rule
 * directories; recognised by its address, so no path can be taken for it. */
extern const char config_builtin_rules[];

/* The rule directories to read, in layering order: config->rules_dirs with
 * config_builtin_rules in place of the first one (the shipped layer) when
 * that directory does not exist (an uninstalled build, an install without
 * it) or when none is given; later directories that do not exist are
 * skipped when read. notices: (nullable) gets a message (char*) for each
 * directory named by the config file or --rules that does not exist.
 * Returns: (transfer container) a NULL-terminated array; the strings are
 * the config's (or config_builtin_rules). */
const char **config_rule_dirs (const Config *config, GPtrArray *notices);

/* How the *.formats and *.rules files of dir (the shipped layer) differ
 * from the built-in ones: one message (char*) a file that differs, is
 * missing, or is not one of them, added to out in name order. */
void config_builtin_differences (const char *dir, GPtrArray *out);

/* One line of a rule or format file: chomped, never blank or a comment.
 * where: "file:line" ("built-in:NAME:line" for a built-in file). builtin:
 * the line is from a built-in file, or from a file with the very bytes of
 * one; its patterns were compiled when ndrsift was built (`make check`).
 * Returns: FALSE with error (without the location). */
typedef gboolean (*ConfigLineFunc) (char *line, const char *where, gboolean builtin, gpointer data,
                                    GError **error);

/* Feeds each line of text (the file `filename`) to func, skipping blank
 * lines and lines whose first non-blank is '#' (only there: patterns may
 * hold it); a line longer than NS_MAX_RULE_LINE is an error. Errors get
 * the location and the domain `domain`. errors NULL: the first error stops
 * it (into error); otherwise each is added to errors ("file:line: what")
 * and reading goes on. builtin: passed on to func. Returns: TRUE when no
 * line failed. */
gboolean config_read_lines (const char *filename, const char *text, GQuark domain, ConfigLineFunc func,
                            gboolean builtin, gpointer data, GPtrArray *errors, GError **error);

/* config_read_lines over every file ending in suffix (".rules",
 * ".formats") of the layered rule directories, in name order: a file in a
 * later directory replaces one of the same name in an earlier one; a
 * missing directory is skipped, one that is not a directory is an error,
 * as is a file that is not a regular one (config_read_file); names
 * starting with '.' are not read. config_builtin_rules among dirs stands
 * for the built-in files. */
gboolean config_read_layered (const char *const *dirs, const char *suffix, GQuark domain,
                              ConfigLineFunc func, gpointer data, GPtrArray *errors, GError **error);

/* The next blank-separated word of a line a ConfigLineFunc is given
 * ("DIRECTIVE NAME rest": what is left after the words keeps its inner
 * blanks, as a pattern may). Cuts the line in place and moves *cursor
 * past the word. Returns: (transfer none) the word, or NULL at the end. */
char *config_next_word (char **cursor);

/* Whether ip (IPv4 or IPv6 text) lies in [local] networks. */
gboolean config_is_local_address (const Config *config, const char *ip);

/* Loads the config again as config_load() loaded config (the same
 * arguments: a changed file or $NDRSIFT_CONFIG is read anew).
 * Returns: (transfer full) or NULL with error. */
Config *config_reload (const Config *config, GError **error);

void config_free (Config *config);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Config, config_free)

#endif
