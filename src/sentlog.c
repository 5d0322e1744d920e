/* sentlog — the SQLite sent log. See include/ndrsift/sentlog.h for the
 * schema, the joining, the checkpoints and the origin rule.
 *
 * Every statement is prepared once per connection and reset after use.
 * A writer holds one transaction open between checkpoints: rows and the
 * source's offset are committed together. Per-import state (the open
 * queue IDs seen, coverage spans) lives in memory and is written at each
 * checkpoint. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ndrsift/address.h"
#include "ndrsift/limits.h"
#include "ndrsift/sentlog.h"

#define SCHEMA_VERSION 1

static const char schema_v1[] =
	"CREATE TABLE servers (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  time INTEGER NOT NULL,"
	"  server INTEGER NOT NULL REFERENCES servers (id),"
	"  queue_id TEXT,"
	"  message_id TEXT,"
	"  sender TEXT,"
	"  origin INTEGER NOT NULL DEFAULT 0,"
	"  open INTEGER NOT NULL DEFAULT 1);"
	"CREATE INDEX messages_by_message_id ON messages (message_id) WHERE message_id IS NOT NULL;"
	"CREATE INDEX messages_open ON messages (server, queue_id) WHERE open = 1;"
	"CREATE INDEX messages_by_sender ON messages (sender, time);"
	"CREATE TABLE recipients ("
	"  message INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,"
	"  address TEXT NOT NULL,"
	"  status TEXT,"
	"  PRIMARY KEY (message, address)) WITHOUT ROWID;"
	"CREATE TABLE coverage (server INTEGER PRIMARY KEY REFERENCES servers (id),"
	"  first INTEGER NOT NULL, last INTEGER NOT NULL);"
	"CREATE TABLE sources (fingerprint TEXT PRIMARY KEY, name TEXT NOT NULL,"
	"  offset INTEGER NOT NULL, lines INTEGER NOT NULL, bad_lines INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL) WITHOUT ROWID;";

typedef enum {
	ST_SERVER_FIND,
	ST_SERVER_ADD,
	ST_MSG_INSERT,
	ST_MSG_FIND_OPEN,
	ST_MSG_UPDATE,
	ST_RCPT_UPSERT,
	ST_COVERAGE_UPSERT,
	ST_SOURCE_FIND,
	ST_SOURCE_UPSERT,
	ST_LOOKUP_ID,
	ST_LOOKUP_RCPT,
	ST_COVERAGE_ONE,
	ST_COVERAGE_ALL,
	ST_COUNT
} Stmt;

static const char *const stmt_sql[ST_COUNT] = {
	[ST_SERVER_FIND] = "SELECT id FROM servers WHERE name = ?1",
	[ST_SERVER_ADD] = "INSERT INTO servers (name) VALUES (?1)",
	[ST_MSG_INSERT] = "INSERT INTO messages (time, server, queue_id, message_id, sender, origin, open)"
	                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_MSG_FIND_OPEN] = "SELECT id, origin, time FROM messages WHERE server = ?1 AND queue_id = ?2"
	                     " AND open = 1 ORDER BY id DESC LIMIT 1",
	/* NULL and 0 mean "not known here": a row begun by an earlier import
	 * keeps what that import wrote. */
	[ST_MSG_UPDATE] = "UPDATE messages SET message_id = coalesce (?2, message_id),"
	                  " sender = coalesce (?3, sender),"
	                  " origin = CASE WHEN ?4 != 0 THEN ?4 ELSE origin END, open = ?5 WHERE id = ?1",
	[ST_RCPT_UPSERT] = "INSERT INTO recipients (message, address, status) VALUES (?1, ?2, ?3)"
	                   " ON CONFLICT (message, address) DO UPDATE SET status = excluded.status",
	[ST_COVERAGE_UPSERT] = "INSERT INTO coverage (server, first, last) VALUES (?1, ?2, ?3)"
	                       " ON CONFLICT (server) DO UPDATE SET first = min (first, excluded.first),"
	                       " last = max (last, excluded.last)",
	[ST_SOURCE_FIND] = "SELECT offset, lines FROM sources WHERE fingerprint = ?1",
	[ST_SOURCE_UPSERT] = "INSERT INTO sources (fingerprint, name, offset, lines, bad_lines, updated)"
	                     " VALUES (?1, ?2, ?3, ?4, ?5, strftime ('%s', 'now'))"
	                     " ON CONFLICT (fingerprint) DO UPDATE SET name = excluded.name,"
	                     " offset = excluded.offset, lines = excluded.lines,"
	                     " bad_lines = bad_lines + excluded.bad_lines, updated = excluded.updated",
	[ST_LOOKUP_ID] = "SELECT m.time, s.name, m.queue_id, m.message_id, m.sender, m.origin"
	                 " FROM messages m JOIN servers s ON s.id = m.server"
	                 " WHERE m.message_id = ?1 ORDER BY m.time, m.id LIMIT 1",
	[ST_LOOKUP_RCPT] = "SELECT m.time, s.name, m.queue_id, m.message_id, m.sender, m.origin"
	                   " FROM messages m JOIN servers s ON s.id = m.server"
	                   " JOIN recipients r ON r.message = m.id"
	                   " WHERE m.sender = ?1 AND m.time BETWEEN ?3 AND ?4 AND r.address = ?2"
	                   " AND m.origin IN (1, 2, 3) ORDER BY m.time DESC LIMIT 1",
	[ST_COVERAGE_ONE] = "SELECT c.first, c.last FROM coverage c JOIN servers s ON s.id = c.server"
	                    " WHERE s.name = ?1",
	[ST_COVERAGE_ALL] = "SELECT first, last FROM coverage",
};

struct _SentLog {
	sqlite3 *db;
	char *path;
	gboolean writable;
	sqlite3_stmt *stmt[ST_COUNT];
};

/* A message whose queue ID is still open, kept in memory and written in
 * one statement when it is done or at a checkpoint: a Postfix message
 * has five lines that say something, and one write is cheaper than five. */
typedef struct {
	gint64 id;             /* its row, or -1 before the first write */
	gint64 time, server;
	char *queue_id;
	char *message_id;      /* normalised; NULL when not (yet) known */
	char *sender;
	LogOrigin origin;
	gboolean dirty;        /* changed since the last write */
	GPtrArray *rcpts;      /* pairs: normalised address, status; not written yet */
} OpenRow;

static void
open_row_free (gpointer data)
{
	OpenRow *row = data;
	g_free (row->queue_id);
	g_free (row->message_id);
	g_free (row->sender);
	g_ptr_array_unref (row->rcpts);
	g_free (row);
}

static OpenRow *
open_row_new (gint64 id, gint64 time, gint64 server, const char *queue_id, LogOrigin origin)
{
	OpenRow *row = g_new0 (OpenRow, 1);
	row->id = id;
	row->time = time;
	row->server = server;
	row->queue_id = g_strdup (queue_id);
	row->origin = origin;
	row->dirty = id < 0;
	row->rcpts = g_ptr_array_new_with_free_func (g_free);
	return row;
}

typedef struct {
	gint64 first, last;
} Span;

struct _SentLogImport {
	SentLog *log;
	const Config *config;
	char *fingerprint;
	char *name;
	GHashTable *servers;   /* name -> server id (GINT64 in a pointer-sized box) */
	GHashTable *open;      /* "server-id\tqueue-id" -> OpenRow */
	GHashTable *spans;     /* server id -> Span */
	guint64 changes;
	guint64 bad_lines;     /* since the last checkpoint */
	GString *key;          /* scratch */
	gboolean failed;       /* a statement failed: the batch is rolled back */
	GError *error;         /* the first failure */
};

G_DEFINE_QUARK (ndrsift-sentlog-error-quark, sentlog_error)

static gboolean
db_error (SentLog *log, GError **error, const char *what)
{
	g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_FAILED, "%s: %s: %s", log->path, what,
	             sqlite3_errmsg (log->db));
	return FALSE;
}

static gboolean
exec (SentLog *log, const char *sql, GError **error)
{
	char *msg = NULL;
	if (sqlite3_exec (log->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_FAILED, "%s: %s", log->path,
		             msg ? msg : "error");
		sqlite3_free (msg);
		return FALSE;
	}
	return TRUE;
}

static sqlite3_stmt *
stmt (SentLog *log, Stmt which)
{
	sqlite3_stmt *s = log->stmt[which];
	sqlite3_reset (s);
	sqlite3_clear_bindings (s);
	return s;
}

static void
bind_text (sqlite3_stmt *s, int i, const char *text)
{
	if (text)
		sqlite3_bind_text (s, i, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null (s, i);
}

void
sentlog_close (SentLog *log)
{
	if (log == NULL)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize (log->stmt[i]);
	sqlite3_close (log->db);
	g_free (log->path);
	g_free (log);
}

static gboolean
migrate (SentLog *log, GError **error)
{
	sqlite3_stmt *s = NULL;
	int version = 0;
	if (sqlite3_prepare_v2 (log->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return db_error (log, error, "reading the schema version");
	if (sqlite3_step (s) == SQLITE_ROW)
		version = sqlite3_column_int (s, 0);
	sqlite3_finalize (s);

	if (version > SCHEMA_VERSION) {
		g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_FAILED,
		             "%s: schema version %d is newer than this ndrsift (%d)", log->path, version,
		             SCHEMA_VERSION);
		return FALSE;
	}
	if (version == SCHEMA_VERSION)
		return TRUE;
	/* Each step from version n to n+1 runs in one transaction with the
	 * version bump; version 0 is an empty file. */
	if (!exec (log, "BEGIN IMMEDIATE", error))
		return FALSE;
	if (version == 0 && !exec (log, schema_v1, error)) {
		exec (log, "ROLLBACK", NULL);
		return FALSE;
	}
	g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %d", SCHEMA_VERSION);
	if (!exec (log, bump, error) || !exec (log, "COMMIT", error)) {
		exec (log, "ROLLBACK", NULL);
		return FALSE;
	}
	return TRUE;
}

/* The importer owns the files; filters run as other users and read them:
 * the database and its WAL files are made readable by all. */
static void
make_readable (const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++) {
		g_autofree char *p = g_strconcat (path, suffixes[i], NULL);
		struct stat st;
		if (stat (p, &st) == 0 && (st.st_mode & 0044) != 0044)
			(void) chmod (p, (st.st_mode | 0644) & 07777);
	}
}

/* An empty or absent WAL, or one that starts with the WAL magic number
 * (0x377f0682 or 0x377f0683, big-endian). */
static gboolean
wal_looks_valid (const char *path)
{
	g_autofree char *wal = g_strconcat (path, "-wal", NULL);
	int fd = open (wal, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return TRUE;
	guint8 head[4];
	ssize_t n = read (fd, head, sizeof head);
	close (fd);
	if (n <= 0)
		return TRUE;
	return n == 4 && head[0] == 0x37 && head[1] == 0x7f && head[2] == 0x06 && (head[3] & 0xfe) == 0x82;
}

SentLog *
sentlog_open (const char *path, gboolean writable, GError **error)
{
	g_autoptr (SentLog) log = g_new0 (SentLog, 1);
	log->path = g_strdup (path);
	log->writable = writable;

	if (!writable && !g_file_test (path, G_FILE_TEST_EXISTS)) {
		g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_MISSING, "%s: no sent log yet", path);
		return NULL;
	}
	/* A reader that cannot repair a garbage WAL would spin in SQLite's
	 * retry loop for 10 s (SQLITE_PROTOCOL), past any filter deadline:
	 * a WAL that does not start with its magic number is refused. */
	if (!writable && !wal_looks_valid (path)) {
		g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_FAILED, "%s-wal: not a SQLite WAL file (corrupt)", path);
		return NULL;
	}
	int flags = writable ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
	if (sqlite3_open_v2 (path, &log->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		db_error (log, error, "opening");
		return NULL;
	}
	sqlite3_extended_result_codes (log->db, 1);
	/* Readers wait briefly for a writer's checkpoint; the filter's own
	 * deadline bounds the rest. */
	sqlite3_busy_timeout (log->db, writable ? 10000 : 1000);

	/* Keep the -wal and -shm files after the last connection closes, so
	 * readers that cannot create them can still open the log; readers set
	 * it too, in case one of them is the last to close. */
	int persist = 1;
	sqlite3_file_control (log->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	if (writable) {
		/* The importer's indexes outgrow the default 2 MB page cache
		 * within an hour of a busy log. */
		if (!exec (log, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
		                "PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536;", error))
			return NULL;
		if (!migrate (log, error))
			return NULL;
		make_readable (path);
	} else {
		/* A file that is not a sent log, or one from the future, is an
		 * error a reader reports (and then works without it). */
		sqlite3_stmt *s = NULL;
		int version = -1;
		int rc = sqlite3_prepare_v2 (log->db, "PRAGMA user_version", -1, &s, NULL);
		if (rc == SQLITE_OK && (rc = sqlite3_step (s)) == SQLITE_ROW)
			version = sqlite3_column_int (s, 0);
		sqlite3_finalize (s);
		if (rc != SQLITE_ROW) {
			/* SQLite's own reason (not a database, malformed, ...). */
			g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_FAILED, "%s: %s", path, sqlite3_errstr (rc));
			return NULL;
		}
		if (version != SCHEMA_VERSION) {
			g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_FAILED,
			             "%s: not a sent log of this version (schema %d)", path, version);
			return NULL;
		}
	}
	for (int i = 0; i < ST_COUNT; i++) {
		/* Readers prepare only what they can run. */
		if (!writable && i < ST_LOOKUP_ID && i != ST_SERVER_FIND)
			continue;
		if (sqlite3_prepare_v3 (log->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		                        &log->stmt[i], NULL) != SQLITE_OK) {
			db_error (log, error, "preparing statements");
			return NULL;
		}
	}
	return g_steal_pointer (&log);
}

char *
sentlog_normalise_message_id (const char *id)
{
	if (id == NULL)
		return NULL;
	g_autofree char *s = g_strstrip (g_strdup (id));
	gsize n = strlen (s);
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s[n - 1] = '\0';
		memmove (s, s + 1, n - 1);
		g_strstrip (s);
	}
	if (s[0] == '\0')
		return NULL;
	char *at = strrchr (s, '@');
	if (at)
		for (char *p = at + 1; *p; p++)
			*p = g_ascii_tolower (*p);
	return g_steal_pointer (&s);
}

/* ---- import ---- */

static gboolean
import_failed (SentLogImport *im, const char *what)
{
	if (!im->failed)
		db_error (im->log, &im->error, what);
	im->failed = TRUE;
	return FALSE;
}

static gint64
server_id (SentLogImport *im, const char *name)
{
	gpointer found;
	if (g_hash_table_lookup_extended (im->servers, name, NULL, &found))
		return GPOINTER_TO_SIZE (found);

	sqlite3_stmt *s = stmt (im->log, ST_SERVER_FIND);
	bind_text (s, 1, name);
	gint64 id = -1;
	int rc = sqlite3_step (s);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64 (s, 0);
	sqlite3_reset (s);
	if (rc != SQLITE_ROW) {
		s = stmt (im->log, ST_SERVER_ADD);
		bind_text (s, 1, name);
		if (sqlite3_step (s) != SQLITE_DONE) {
			import_failed (im, "adding a server");
			return -1;
		}
		id = sqlite3_last_insert_rowid (im->log->db);
	}
	g_hash_table_insert (im->servers, g_strdup (name), GSIZE_TO_POINTER ((gsize) id));
	return id;
}

static void
cover (SentLogImport *im, gint64 server, gint64 time)
{
	Span *span = g_hash_table_lookup (im->spans, GSIZE_TO_POINTER ((gsize) server));
	if (span == NULL) {
		span = g_new (Span, 1);
		span->first = span->last = time;
		g_hash_table_insert (im->spans, GSIZE_TO_POINTER ((gsize) server), span);
	}
	span->first = MIN (span->first, time);
	span->last = MAX (span->last, time);
}

static gint64
insert_message (SentLogImport *im, gint64 time, gint64 server, const char *queue_id,
                const char *message_id, const char *sender, LogOrigin origin, gboolean open)
{
	sqlite3_stmt *s = stmt (im->log, ST_MSG_INSERT);
	sqlite3_bind_int64 (s, 1, time);
	sqlite3_bind_int64 (s, 2, server);
	bind_text (s, 3, queue_id);
	bind_text (s, 4, message_id);
	bind_text (s, 5, sender);
	sqlite3_bind_int (s, 6, origin);
	sqlite3_bind_int (s, 7, open);
	if (sqlite3_step (s) != SQLITE_DONE) {
		import_failed (im, "adding a message");
		return -1;
	}
	im->changes++;
	return sqlite3_last_insert_rowid (im->log->db);
}

/* The open row of (server, queue_id) in the database (left by an earlier
 * import), or NULL. within: only one from at most that many seconds
 * before time. */
static OpenRow *
find_open (SentLogImport *im, gint64 server, const char *queue_id, gint64 time, gint64 within)
{
	sqlite3_stmt *s = stmt (im->log, ST_MSG_FIND_OPEN);
	sqlite3_bind_int64 (s, 1, server);
	bind_text (s, 2, queue_id);
	OpenRow *row = NULL;
	if (sqlite3_step (s) == SQLITE_ROW && time - sqlite3_column_int64 (s, 2) <= within)
		row = open_row_new (sqlite3_column_int64 (s, 0), sqlite3_column_int64 (s, 2), server,
		                    queue_id, sqlite3_column_int (s, 1));
	sqlite3_reset (s);
	return row;
}

/* The open row of (server, queue_id): this import's, else one left open
 * by an earlier import, else a new one (a log that starts mid-message). */
static OpenRow *
open_row (SentLogImport *im, gint64 server, const char *queue_id, gint64 time)
{
	g_string_printf (im->key, "%" G_GINT64_FORMAT "\t%s", server, queue_id);
	OpenRow *row = g_hash_table_lookup (im->open, im->key->str);
	if (row)
		return row;
	row = find_open (im, server, queue_id, time, (gint64) NS_SENTLOG_OPEN_DAYS * 86400);
	if (row == NULL)
		row = open_row_new (-1, time, server, queue_id, LOG_ORIGIN_UNKNOWN);
	g_hash_table_insert (im->open, g_strdup (im->key->str), row);
	return row;
}

static void
add_recipient (SentLogImport *im, gint64 message, const char *norm, const char *status)
{
	sqlite3_stmt *s = stmt (im->log, ST_RCPT_UPSERT);
	sqlite3_bind_int64 (s, 1, message);
	bind_text (s, 2, norm);
	bind_text (s, 3, status);
	if (sqlite3_step (s) != SQLITE_DONE)
		import_failed (im, "adding a recipient");
	im->changes++;
}

/* Writes what the row learnt since its last write; open: whether its
 * queue ID is still in use. */
static void
flush_row (SentLogImport *im, OpenRow *row, gboolean open)
{
	if (row->id < 0) {
		row->id = insert_message (im, row->time, row->server, row->queue_id, row->message_id,
		                          row->sender, row->origin, open);
		if (row->id < 0)
			return;
	} else if (row->dirty || !open) {
		sqlite3_stmt *s = stmt (im->log, ST_MSG_UPDATE);
		sqlite3_bind_int64 (s, 1, row->id);
		bind_text (s, 2, row->message_id);
		bind_text (s, 3, row->sender);
		sqlite3_bind_int (s, 4, row->origin);
		sqlite3_bind_int (s, 5, open);
		if (sqlite3_step (s) != SQLITE_DONE)
			import_failed (im, "updating a message");
		im->changes++;
	}
	row->dirty = FALSE;
	for (guint i = 0; i + 1 < row->rcpts->len; i += 2)
		add_recipient (im, row->id, g_ptr_array_index (row->rcpts, i), g_ptr_array_index (row->rcpts, i + 1));
	g_ptr_array_set_size (row->rcpts, 0);
}

static void
set_text (char **slot, char *value, gboolean *dirty)
{
	if (value == NULL || g_strcmp0 (*slot, value) == 0) {
		g_free (value);
		return;
	}
	g_free (*slot);
	*slot = value;
	*dirty = TRUE;
}

/* The origin an ENTER event gives: what the line says, else the client's
 * address against [local] networks. */
static LogOrigin
judge_origin (SentLogImport *im, const LogEvent *ev)
{
	if (ev->origin != LOG_ORIGIN_UNKNOWN)
		return ev->origin;
	if (ev->client_ip)
		return config_is_local_address (im->config, ev->client_ip) ? LOG_ORIGIN_NETWORK
		                                                            : LOG_ORIGIN_FOREIGN;
	return LOG_ORIGIN_UNKNOWN;
}

/* Opens the write transaction of the current batch if none is open.
 * Returns FALSE (the import failed) when it cannot. */
/* Ends every statement: one left stepped keeps a read snapshot, and the
 * next BEGIN IMMEDIATE after another writer's commit would fail at once
 * (SQLITE_BUSY_SNAPSHOT) instead of waiting its turn. */
static void
reset_all (SentLog *log)
{
	for (int i = 0; i < ST_COUNT; i++)
		if (log->stmt[i])
			sqlite3_reset (log->stmt[i]);
}

static gboolean
in_transaction (SentLogImport *im)
{
	if (sqlite3_get_autocommit (im->log->db) == 0)
		return TRUE;
	reset_all (im->log);
	if (!exec (im->log, "BEGIN IMMEDIATE", im->failed ? NULL : &im->error)) {
		im->failed = TRUE;
		return FALSE;
	}
	return TRUE;
}

void
sentlog_import_event (const LogEvent *ev, gpointer user_data)
{
	SentLogImport *im = user_data;
	if (im->failed || ev->server == NULL || !in_transaction (im))
		return;
	gint64 server = server_id (im, ev->server);
	if (server < 0)
		return;
	cover (im, server, ev->time);
	const char *delimiters = im->config->recipient_delimiter;

	if (ev->type == LOG_EVENT_RECORD) {
		g_autofree char *id = sentlog_normalise_message_id (ev->message_id);
		g_autofree char *sender = address_normalise (ev->sender, delimiters);
		gint64 row = insert_message (im, ev->time, server, ev->queue_id, id, sender, ev->origin, FALSE);
		for (guint i = 0; row >= 0 && ev->recipients && ev->recipients[i]; i++) {
			g_autofree char *norm = address_normalise (ev->recipients[i], delimiters);
			if (norm && norm[0])
				add_recipient (im, row, norm, ev->status);
		}
		return;
	}
	if (ev->queue_id == NULL)
		return;

	if (ev->type == LOG_EVENT_ENTER) {
		LogOrigin origin = judge_origin (im, ev);
		g_string_printf (im->key, "%" G_GINT64_FORMAT "\t%s", server, ev->queue_id);
		OpenRow *row = g_hash_table_lookup (im->open, im->key->str);
		/* A second ENTER line of one message (Sendmail's AUTH line, a
		 * message split across two imports) names its origin again;
		 * otherwise a queue ID entering is a new message, even if an old
		 * row with that ID was never closed: queue IDs are reused. */
		if (row == NULL && (row = find_open (im, server, ev->queue_id, ev->time, 3600)))
			g_hash_table_insert (im->open, g_strdup (im->key->str), row);
		if (row) {
			/* An unknown origin is filled in; authentication outranks
			 * what the client's address said. */
			if (row->origin == LOG_ORIGIN_UNKNOWN ||
			    (origin == LOG_ORIGIN_AUTH && row->origin != LOG_ORIGIN_AUTH)) {
				row->dirty |= row->origin != origin;
				row->origin = origin;
			}
			return;
		}
		g_hash_table_insert (im->open, g_strdup (im->key->str),
		                     open_row_new (-1, ev->time, server, ev->queue_id, origin));
		return;
	}

	OpenRow *row = open_row (im, server, ev->queue_id, ev->time);
	switch (ev->type) {
	case LOG_EVENT_MESSAGE_ID:
		set_text (&row->message_id, sentlog_normalise_message_id (ev->message_id), &row->dirty);
		break;
	case LOG_EVENT_SENDER: {
		char *sender = address_normalise (ev->sender, delimiters);
		set_text (&row->sender, sender ? sender : g_strdup (""), &row->dirty);
		break;
	}
	case LOG_EVENT_RECIPIENT: {
		char *norm = address_normalise (ev->recipient, delimiters);
		if (norm && norm[0]) {
			g_ptr_array_add (row->rcpts, norm);
			g_ptr_array_add (row->rcpts, g_strdup (ev->status));
		} else
			g_free (norm);
		break;
	}
	case LOG_EVENT_DONE:
		flush_row (im, row, FALSE);
		g_string_printf (im->key, "%" G_GINT64_FORMAT "\t%s", server, ev->queue_id);
		g_hash_table_remove (im->open, im->key->str);
		break;
	default:
		break;
	}
}

void
sentlog_import_bad_line (SentLogImport *im)
{
	im->bad_lines++;
}

SentLogImport *
sentlog_import_begin (SentLog *log, const Config *config, const char *name, const char *first_line,
                      gint64 *resume_offset, gint64 *resume_line, GError **error)
{
	g_return_val_if_fail (log->writable, NULL);
	g_autoptr (SentLogImport) im = g_new0 (SentLogImport, 1);
	im->log = log;
	im->config = config;
	im->name = g_strdup (name);
	im->fingerprint = first_line ? g_compute_checksum_for_string (G_CHECKSUM_SHA256, first_line, -1) : NULL;
	im->servers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
	im->open = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, open_row_free);
	im->spans = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
	im->key = g_string_new (NULL);

	*resume_offset = 0;
	*resume_line = 0;
	if (im->fingerprint == NULL)
		return g_steal_pointer (&im);
	sqlite3_stmt *s = stmt (log, ST_SOURCE_FIND);
	bind_text (s, 1, im->fingerprint);
	if (sqlite3_step (s) == SQLITE_ROW) {
		*resume_offset = sqlite3_column_int64 (s, 0);
		*resume_line = sqlite3_column_int64 (s, 1);
	}
	sqlite3_reset (s);
	return g_steal_pointer (&im);
}

gboolean
sentlog_import_checkpoint (SentLogImport *im, gint64 offset, gint64 lines, GError **error)
{
	SentLog *log = im->log;
	if (!in_transaction (im)) {
		g_propagate_error (error, g_steal_pointer (&im->error));
		return FALSE;
	}
	if (im->failed) {
		exec (log, "ROLLBACK", NULL);
		g_propagate_error (error, g_steal_pointer (&im->error));
		return FALSE;
	}
	/* Messages still in the queue are written as open rows: visible to
	 * lookups now, joined again by the next import. */
	GHashTableIter it;
	gpointer key, value;
	g_hash_table_iter_init (&it, im->open);
	while (g_hash_table_iter_next (&it, &key, &value))
		flush_row (im, value, TRUE);
	if (im->failed) {
		exec (log, "ROLLBACK", NULL);
		g_propagate_error (error, g_steal_pointer (&im->error));
		return FALSE;
	}
	g_hash_table_iter_init (&it, im->spans);
	while (g_hash_table_iter_next (&it, &key, &value)) {
		Span *span = value;
		sqlite3_stmt *s = stmt (log, ST_COVERAGE_UPSERT);
		sqlite3_bind_int64 (s, 1, GPOINTER_TO_SIZE (key));
		sqlite3_bind_int64 (s, 2, span->first);
		sqlite3_bind_int64 (s, 3, span->last);
		if (sqlite3_step (s) != SQLITE_DONE) {
			db_error (log, error, "recording coverage");
			exec (log, "ROLLBACK", NULL);
			return FALSE;
		}
	}
	sqlite3_stmt *s = stmt (log, ST_SOURCE_UPSERT);
	if (im->fingerprint == NULL)
		goto commit; /* log record: no source to remember */
	bind_text (s, 1, im->fingerprint);
	bind_text (s, 2, im->name);
	sqlite3_bind_int64 (s, 3, offset);
	sqlite3_bind_int64 (s, 4, lines);
	sqlite3_bind_int64 (s, 5, (gint64) im->bad_lines);
	if (sqlite3_step (s) != SQLITE_DONE) {
		db_error (log, error, "recording the checkpoint");
		exec (log, "ROLLBACK", NULL);
		return FALSE;
	}
commit:
	reset_all (log);
	/* The rows and the checkpoint, together or not at all. The next
	 * transaction starts with the next write, so a follower waiting for
	 * lines holds no lock. */
	if (!exec (log, "COMMIT", error))
		return FALSE;
	g_hash_table_remove_all (im->spans);
	im->bad_lines = 0;
	return TRUE;
}

guint64
sentlog_import_messages (SentLogImport *im)
{
	return im->changes;
}

void
sentlog_import_free (SentLogImport *im)
{
	if (im == NULL)
		return;
	if (im->log && sqlite3_get_autocommit (im->log->db) == 0)
		exec (im->log, "ROLLBACK", NULL);
	g_free (im->fingerprint);
	g_free (im->name);
	g_clear_pointer (&im->servers, g_hash_table_unref);
	g_clear_pointer (&im->open, g_hash_table_unref);
	g_clear_pointer (&im->spans, g_hash_table_unref);
	if (im->key)
		g_string_free (im->key, TRUE);
	g_clear_error (&im->error);
	g_free (im);
}

/* ---- lookups ---- */

void
sentlog_match_clear (SentLogMatch *m)
{
	g_clear_pointer (&m->server, g_free);
	g_clear_pointer (&m->queue_id, g_free);
	g_clear_pointer (&m->message_id, g_free);
	g_clear_pointer (&m->sender, g_free);
	m->found = FALSE;
}

static char *
column_text (sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text (s, i);
	return t ? g_strdup ((const char *) t) : NULL;
}

static gboolean
fill_match (SentLog *log, sqlite3_stmt *s, SentLogMatch *out, GError **error)
{
	sentlog_match_clear (out);
	int rc = sqlite3_step (s);
	if (rc == SQLITE_ROW) {
		out->found = TRUE;
		out->time = sqlite3_column_int64 (s, 0);
		out->server = column_text (s, 1);
		out->queue_id = column_text (s, 2);
		out->message_id = column_text (s, 3);
		out->sender = column_text (s, 4);
		out->origin = sqlite3_column_int (s, 5);
	}
	sqlite3_reset (s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error (log, error, "looking up");
	return TRUE;
}

gboolean
sentlog_lookup_message_id (SentLog *log, const char *message_id, SentLogMatch *out, GError **error)
{
	g_autofree char *id = sentlog_normalise_message_id (message_id);
	sentlog_match_clear (out);
	if (id == NULL)
		return TRUE;
	sqlite3_stmt *s = stmt (log, ST_LOOKUP_ID);
	bind_text (s, 1, id);
	return fill_match (log, s, out, error);
}

gboolean
sentlog_lookup_recipient (SentLog *log, const char *sender, const char *recipient, gint64 from,
                          gint64 to, SentLogMatch *out, GError **error)
{
	sqlite3_stmt *s = stmt (log, ST_LOOKUP_RCPT);
	bind_text (s, 1, sender);
	bind_text (s, 2, recipient);
	sqlite3_bind_int64 (s, 3, from);
	sqlite3_bind_int64 (s, 4, to);
	return fill_match (log, s, out, error);
}

gboolean
sentlog_covers (SentLog *log, gint64 time, const char *const *servers, gboolean *covered,
                GError **error)
{
	*covered = FALSE;
	gboolean any = FALSE, all = TRUE;
	int rc;
	if (servers && servers[0]) {
		for (guint i = 0; servers[i] && all; i++) {
			sqlite3_stmt *s = stmt (log, ST_COVERAGE_ONE);
			bind_text (s, 1, servers[i]);
			rc = sqlite3_step (s);
			/* A listed server with no log covers nothing. */
			all = rc == SQLITE_ROW && sqlite3_column_int64 (s, 0) <= time &&
			      time <= sqlite3_column_int64 (s, 1);
			any = TRUE;
			sqlite3_reset (s);
			if (rc != SQLITE_ROW && rc != SQLITE_DONE)
				return db_error (log, error, "reading coverage");
		}
	} else {
		sqlite3_stmt *s = stmt (log, ST_COVERAGE_ALL);
		while ((rc = sqlite3_step (s)) == SQLITE_ROW) {
			any = TRUE;
			all &= sqlite3_column_int64 (s, 0) <= time && time <= sqlite3_column_int64 (s, 1);
		}
		sqlite3_reset (s);
		if (rc != SQLITE_DONE)
			return db_error (log, error, "reading coverage");
	}
	*covered = any && all;
	return TRUE;
}

/* ---- maintenance ---- */

void
sentlog_checkpoint (SentLog *log)
{
	if (log->writable)
		(void) sqlite3_wal_checkpoint_v2 (log->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

static void
server_free (gpointer data)
{
	SentLogServer *s = data;
	g_free (s->name);
	g_free (s);
}

void
sentlog_stats_free (SentLogStats *stats)
{
	if (stats == NULL)
		return;
	g_ptr_array_unref (stats->servers);
	g_free (stats);
}

/* One number from sql, or -1 with *failure set to SQLite's reason (kept
 * from the first failure: later queries would clear the error). */
static gint64
count (SentLog *log, const char *sql, char **failure)
{
	sqlite3_stmt *s = NULL;
	gint64 n = -1;
	int rc = sqlite3_prepare_v2 (log->db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step (s)) == SQLITE_ROW)
		n = sqlite3_column_int64 (s, 0);
	else if (*failure == NULL)
		*failure = g_strdup (sqlite3_errmsg (log->db));
	sqlite3_finalize (s);
	return n;
}

SentLogStats *
sentlog_stats (SentLog *log, GError **error)
{
	g_autoptr (SentLogStats) st = g_new0 (SentLogStats, 1);
	st->servers = g_ptr_array_new_with_free_func (server_free);
	g_autofree char *failure = NULL;
	st->messages = count (log, "SELECT count(*) FROM messages", &failure);
	st->recipients = count (log, "SELECT count(*) FROM recipients", &failure);
	st->sources = count (log, "SELECT count(*) FROM sources", &failure);
	st->bad_lines = count (log, "SELECT coalesce (sum (bad_lines), 0) FROM sources", &failure);
	st->bytes = count (log, "SELECT page_count * page_size FROM pragma_page_count (), pragma_page_size ()", &failure);
	if (failure) {
		g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_FAILED, "%s: reading statistics: %s", log->path, failure);
		return NULL;
	}
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2 (log->db,
	                        "SELECT s.name, c.first, c.last,"
	                        " (SELECT count(*) FROM messages m WHERE m.server = s.id)"
	                        " FROM servers s LEFT JOIN coverage c ON c.server = s.id ORDER BY s.name",
	                        -1, &s, NULL) != SQLITE_OK) {
		db_error (log, error, "reading servers");
		return NULL;
	}
	while (sqlite3_step (s) == SQLITE_ROW) {
		SentLogServer *sv = g_new0 (SentLogServer, 1);
		sv->name = column_text (s, 0);
		sv->first = sqlite3_column_int64 (s, 1);
		sv->last = sqlite3_column_int64 (s, 2);
		sv->messages = sqlite3_column_int64 (s, 3);
		g_ptr_array_add (st->servers, sv);
	}
	sqlite3_finalize (s);
	return g_steal_pointer (&st);
}

gboolean
sentlog_prune (SentLog *log, gint64 before, gint64 *deleted, GError **error)
{
	g_return_val_if_fail (log->writable, FALSE);
	*deleted = 0;
	if (!exec (log, "BEGIN IMMEDIATE", error))
		return FALSE;
	sqlite3_stmt *s = NULL;
	static const char *const sql[] = {
		"DELETE FROM recipients WHERE message IN (SELECT id FROM messages WHERE time < ?1)",
		"DELETE FROM messages WHERE time < ?1",
		/* What is left covers from `before` on. */
		"UPDATE coverage SET first = ?1 WHERE first < ?1 AND last >= ?1",
		"DELETE FROM coverage WHERE last < ?1",
	};
	for (guint i = 0; i < G_N_ELEMENTS (sql); i++) {
		if (sqlite3_prepare_v2 (log->db, sql[i], -1, &s, NULL) != SQLITE_OK) {
			db_error (log, error, "pruning");
			exec (log, "ROLLBACK", NULL);
			return FALSE;
		}
		sqlite3_bind_int64 (s, 1, before);
		int rc = sqlite3_step (s);
		if (i == 1)
			*deleted = sqlite3_changes (log->db);
		sqlite3_finalize (s);
		if (rc != SQLITE_DONE) {
			db_error (log, error, "pruning");
			exec (log, "ROLLBACK", NULL);
			return FALSE;
		}
	}
	return exec (log, "COMMIT", error);
}
