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
	char *filter_server;       /* [filter] server: the unix socket of `ndrsift serve`, "" for none */
	guint8 file_digest[32];    /* SHA-256 of the file's bytes (of nothing: built-in defaults),
	                              for serve.h's identity */
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
	CONFIG_ERROR_FILE,       /* the file could not be read, or is no key file */
} ConfigError;

/* path: --config, or NULL for $NDRSIFT_CONFIG / the default.
 * db, rules: (nullable) --db and --rules overrides.
 * Returns: (transfer full) or NULL with error set. */
Config *config_load (const char *path, const char *db, const char *rules, GError **error);

/* Whether ip (IPv4 or IPv6 text) lies in [local] networks. */
gboolean config_is_local_address (const Config *config, const char *ip);

/* Loads the config again as config_load() loaded config (the same
 * arguments: a changed file or $NDRSIFT_CONFIG is read anew).
 * Returns: (transfer full) or NULL with error. */
Config *config_reload (const Config *config, GError **error);

void config_free (Config *config);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Config, config_free)

#endif
