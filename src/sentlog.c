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
#include <malloc.h>
#include <stdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "address.h"
#include "ndrsift/limits.h"
#include "msgid.h"
#include "ndrsift/sentlog.h"

#define SCHEMA_VERSION 5
/* The oldest schema readers still read. Schema 4 stores digests where 3
 * stored text, and 5 looks Message-IDs up in message_ids: a filter that
 * runs before the importer has migrated the file judges without the log
 * (unknown), as it would without a log. */
#define SCHEMA_READABLE 5

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

/* Version 2: coverage is what was really read (doc/design.md "Coverage"): the
 * spans of each server's lines per source, cut where lines were lost;
 * holes where a syslog daemon said it dropped a server's lines (server
 * NULL: any server's), which no span of any source covers; servers can
 * be retired; a source counts its cuts. The old single span per server is
 * rebuilt from the messages by migrate_spans(). */
static const char schema_v2[] =
	"ALTER TABLE servers ADD COLUMN retired INTEGER;"
	"ALTER TABLE sources ADD COLUMN cuts INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE spans (id INTEGER PRIMARY KEY,"
	"  server INTEGER NOT NULL REFERENCES servers (id),"
	"  source TEXT,"
	"  first INTEGER NOT NULL, last INTEGER NOT NULL,"
	"  cut_before INTEGER NOT NULL DEFAULT 0, cut_after INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX spans_by_server ON spans (server, last);"
	"CREATE INDEX spans_by_source ON spans (source, server, last);"
	"CREATE TABLE holes (server INTEGER REFERENCES servers (id),"
	"  first INTEGER NOT NULL, last INTEGER NOT NULL);"
	"CREATE INDEX holes_by_server ON holes (server, last);";

/* Version 3: a source is recognised by the digest of its first bytes
 * (head_len of them) and of the bytes before its checkpoint (tail_len),
 * no longer by its first line alone. The fingerprint stays the source's
 * name in the spans; that of a checkpoint of schema 2 is the digest of
 * its first line (head_len 0) until the source is read again. */
static const char schema_v3[] =
	"CREATE TABLE sources_v3 (id INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL UNIQUE,"
	"  head_len INTEGER NOT NULL DEFAULT 0, head BLOB, tail_len INTEGER NOT NULL DEFAULT 0, tail BLOB,"
	"  name TEXT NOT NULL, offset INTEGER NOT NULL, lines INTEGER NOT NULL, bad_lines INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL, cuts INTEGER NOT NULL DEFAULT 0);"
	"INSERT INTO sources_v3 (fingerprint, name, offset, lines, bad_lines, updated, cuts)"
	"  SELECT fingerprint, name, offset, lines, bad_lines, updated, cuts FROM sources ORDER BY updated;"
	"DROP TABLE sources;"
	"ALTER TABLE sources_v3 RENAME TO sources;"
	"CREATE INDEX sources_by_head ON sources (head_len, head);";

/* Version 4: private by design (sentlog.h "Privacy"). Message-IDs and
 * recipients become digests of their normal forms (the functions
 * ndrsift_message_id_key and ndrsift_pair_key, registered for the
 * migration: the stored text is normalised again, as text of an older
 * normalisation may differ); senders, our users, are kept once each; the
 * recipient's status, which no lookup read, goes. recipients has no
 * foreign key: its key starts with the digest, and a check of every
 * deleted message would scan it (prune deletes recipients first). Spans
 * record the normalisation they were read with (norm; the migrated rows
 * are normalised now). */
static const char schema_v4[] =
	"CREATE TABLE senders (id INTEGER PRIMARY KEY, address TEXT NOT NULL UNIQUE);"
	"INSERT INTO senders (address) SELECT DISTINCT sender FROM messages WHERE sender IS NOT NULL ORDER BY sender;"
	"CREATE TABLE messages_v4 ("
	"  id INTEGER PRIMARY KEY,"
	"  time INTEGER NOT NULL,"
	"  server INTEGER NOT NULL REFERENCES servers (id),"
	"  queue_id TEXT,"
	"  message_id BLOB,"
	"  sender INTEGER REFERENCES senders (id),"
	"  origin INTEGER NOT NULL DEFAULT 0,"
	"  open INTEGER NOT NULL DEFAULT 1);"
	"INSERT INTO messages_v4 (id, time, server, queue_id, message_id, sender, origin, open)"
	"  SELECT m.id, m.time, m.server, m.queue_id, ndrsift_message_id_key (m.message_id), p.id, m.origin, m.open"
	"  FROM messages m LEFT JOIN senders p ON p.address = m.sender ORDER BY m.id;"
	"CREATE TABLE recipients_v4 (pair BLOB NOT NULL, message INTEGER NOT NULL,"
	"  PRIMARY KEY (pair, message)) WITHOUT ROWID;"
	"INSERT OR IGNORE INTO recipients_v4 (pair, message)"
	"  SELECT ndrsift_pair_key (m.sender, r.address), r.message FROM recipients r JOIN messages m ON m.id = r.message;"
	"DROP TABLE recipients;"
	"DROP TABLE messages;"
	"ALTER TABLE messages_v4 RENAME TO messages;"
	"ALTER TABLE recipients_v4 RENAME TO recipients;"
	"CREATE INDEX messages_by_message_id ON messages (message_id) WHERE message_id IS NOT NULL;"
	"CREATE INDEX messages_open ON messages (server, queue_id) WHERE open = 1;"
	"ALTER TABLE spans ADD COLUMN norm INTEGER NOT NULL DEFAULT 0;"
	"UPDATE spans SET norm = " G_STRINGIFY (SENTLOG_NORMALISATION) ";";

/* Version 5: the Message-ID index becomes a table keyed by the digest
 * (message_ids), which the importer fills at each checkpoint in key
 * order, with no row of messages to touch again: an index on
 * messages.message_id was written when the row was, at a random place,
 * or (schema 4's importer) set from a placeholder by an update of the
 * row at the checkpoint, which at 10^6 rows a batch read the batch's
 * rows at random. messages.message_id stays what the row holds (a line
 * delivered twice is recognised by it); message_ids is its index,
 * kept by this module. */
static const char schema_v5[] =
	"CREATE TABLE message_ids (key BLOB NOT NULL, message INTEGER NOT NULL,"
	"  PRIMARY KEY (key, message)) WITHOUT ROWID;"
	"INSERT INTO message_ids (key, message)"
	"  SELECT message_id, id FROM messages WHERE message_id IS NOT NULL ORDER BY message_id, id;"
	"DROP INDEX messages_by_message_id;";

/* The source of the spans migrate_spans() rebuilt. */
#define SOURCE_SCHEMA_1 "(schema 1)"

typedef enum {
	ST_SERVER_FIND,
	ST_SERVER_ADD,
	ST_SERVER_UNRETIRE,
	ST_SENDER_FIND,
	ST_SENDER_ADD,
	ST_MSG_INSERT,
	ST_MSG_FIND_OPEN,
	ST_MSG_UPDATE,
	ST_RCPT_INSERT,
	ST_SPAN_LATEST,
	ST_SPAN_INSERT,
	ST_SPAN_UPDATE,
	ST_SPAN_CUT_SOURCE,
	ST_SPAN_LAST_LINE,
	ST_HOLE_INSERT,
	ST_SOURCE_LENGTHS,
	ST_SOURCE_FIND,
	ST_SOURCE_LEGACY,
	ST_SOURCE_TAKEN,
	ST_SOURCE_INSERT,
	ST_SOURCE_UPDATE,
	ST_DONE_RECENT,
	ST_RCPT_HAS,
	ST_MSGID_INSERT,
	ST_MSGID_DELETE,
	/* readers run these and ST_SERVER_FIND only */
	ST_LOOKUP_ID,
	ST_LOOKUP_RCPT,
	ST_SERVERS_ALL,
	ST_SPANS_NEAR,
	ST_HOLE_FIND,
	ST_GREP_ID,
	ST_GREP_RCPT,
	ST_SENDERS_ALL,
	ST_COUNT
} Stmt;

/* Lookups and grep: the columns fill_match() reads. */
#define MATCH_COLUMNS "SELECT m.time, s.name, m.queue_id, p.address, m.origin FROM "

static const char *const stmt_sql[ST_COUNT] = {
	[ST_SERVER_FIND] = "SELECT id, retired FROM servers WHERE name = ?1",
	[ST_SERVER_ADD] = "INSERT INTO servers (name) VALUES (?1)",
	[ST_SERVER_UNRETIRE] = "UPDATE servers SET retired = NULL WHERE id = ?1",
	[ST_MSG_INSERT] = "INSERT INTO messages (time, server, queue_id, message_id, sender, origin, open)"
	                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_SENDER_FIND] = "SELECT id FROM senders WHERE address = ?1",
	[ST_SENDER_ADD] = "INSERT INTO senders (address) VALUES (?1)",
	[ST_MSG_FIND_OPEN] = "SELECT m.id, m.origin, m.time, p.address, m.message_id FROM messages m"
	                     " LEFT JOIN senders p ON p.id = m.sender"
	                     " WHERE m.server = ?1 AND m.queue_id = ?2 AND m.open = 1 ORDER BY m.id DESC LIMIT 1",
	/* NULL and 0 mean "not known here": a row begun by an earlier import
	 * keeps what that import wrote. */
	[ST_MSG_UPDATE] = "UPDATE messages SET message_id = coalesce (?2, message_id),"
	                  " sender = coalesce (?3, sender),"
	                  " origin = CASE WHEN ?4 != 0 THEN ?4 ELSE origin END, open = ?5 WHERE id = ?1",
	[ST_RCPT_INSERT] = "INSERT OR IGNORE INTO recipients (pair, message) VALUES (?1, ?2)",
	/* A span read with other normal forms is never extended. */
	[ST_SPAN_LATEST] = "SELECT id, first, last, cut_after FROM spans WHERE source IS ?1 AND server = ?2"
	                   " AND norm = " G_STRINGIFY (SENTLOG_NORMALISATION) " ORDER BY last DESC LIMIT 1",
	[ST_SPAN_INSERT] = "INSERT INTO spans (server, source, first, last, cut_before, cut_after, norm)"
	                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, " G_STRINGIFY (SENTLOG_NORMALISATION) ")",
	[ST_SPAN_UPDATE] = "UPDATE spans SET first = ?2, last = ?3, cut_after = ?4 WHERE id = ?1",
	[ST_SPAN_CUT_SOURCE] = "UPDATE spans SET cut_after = 1 WHERE source IS ?1 AND cut_after = 0",
	[ST_SPAN_LAST_LINE] = "SELECT max (last) FROM spans WHERE (?1 IS NULL OR server = ?1) AND last <= ?2",
	[ST_HOLE_INSERT] = "INSERT INTO holes (server, first, last) VALUES (?1, ?2, ?3)",
	[ST_SOURCE_LENGTHS] = "SELECT DISTINCT head_len FROM sources WHERE head_len BETWEEN 1 AND ?1"
	                      " ORDER BY head_len DESC",
	[ST_SOURCE_FIND] = "SELECT id, fingerprint, offset, lines, cuts, tail_len, tail FROM sources"
	                   " WHERE head_len = ?1 AND head = ?2 ORDER BY offset DESC, id",
	[ST_SOURCE_LEGACY] = "SELECT id, fingerprint, offset, lines, cuts FROM sources"
	                     " WHERE fingerprint = ?1 AND head_len = 0",
	[ST_SOURCE_TAKEN] = "SELECT count(*) FROM sources WHERE fingerprint = ?1",
	[ST_SOURCE_INSERT] = "INSERT INTO sources (head_len, head, tail_len, tail, name, offset, lines,"
	                     " bad_lines, cuts, fingerprint, updated)"
	                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, strftime ('%s', 'now'))",
	[ST_SOURCE_UPDATE] = "UPDATE sources SET head_len = ?1, head = ?2, tail_len = ?3, tail = ?4,"
	                     " name = ?5, offset = ?6, lines = ?7, bad_lines = bad_lines + ?8, cuts = cuts + ?9,"
	                     " updated = strftime ('%s', 'now') WHERE id = ?10",
	/* The messages done lately, for lines delivered twice (RELP). */
	[ST_DONE_RECENT] = "SELECT * FROM (SELECT m.id, m.server, m.queue_id, m.time, m.message_id, p.address"
	                   " FROM messages m LEFT JOIN senders p ON p.id = m.sender"
	                   " WHERE m.open = 0 AND m.queue_id IS NOT NULL ORDER BY m.id DESC LIMIT ?1) ORDER BY id",
	[ST_RCPT_HAS] = "SELECT 1 FROM recipients WHERE pair = ?2 AND message = ?1",
	/* message_ids: a row's Message-ID written (write_pending), or
	 * replaced by another. */
	[ST_MSGID_INSERT] = "INSERT OR IGNORE INTO message_ids (key, message) VALUES (?1, ?2)",
	[ST_MSGID_DELETE] = "DELETE FROM message_ids WHERE key = ?1 AND message = ?2",
	/* The earliest by min() (its row gives the other columns; of rows
	 * of one time the first in the index, the lowest id), not ORDER BY:
	 * a sorter costs a filter process more than the lookup. */
	[ST_LOOKUP_ID] = "SELECT min (m.time), s.name, m.queue_id, p.address, m.origin FROM"
	                 " message_ids k CROSS JOIN messages m ON m.id = k.message"
	                 " JOIN servers s ON s.id = m.server LEFT JOIN senders p ON p.id = m.sender"
	                 " WHERE k.key = ?1",
	/* From the recipient's digest, which holds the sender: the messages
	 * of that pair only (CROSS JOIN keeps that order). The sender is
	 * compared too, in plain. The latest by max(), whose row gives the
	 * other columns: no sorter to set up for a handful of rows (a time
	 * of NULL: none). */
	[ST_LOOKUP_RCPT] = "SELECT max (m.time), s.name, m.queue_id, p.address, m.origin FROM"
	                   " recipients r CROSS JOIN messages m ON m.id = r.message"
	                   " JOIN servers s ON s.id = m.server JOIN senders p ON p.id = m.sender"
	                   " WHERE r.pair = ?1 AND p.address = ?2 AND m.time BETWEEN ?3 AND ?4"
	                   " AND m.origin IN (1, 2, 3)",
	[ST_GREP_ID] = MATCH_COLUMNS "message_ids k CROSS JOIN messages m ON m.id = k.message"
	               " JOIN servers s ON s.id = m.server LEFT JOIN senders p ON p.id = m.sender"
	               " WHERE k.key = ?1 ORDER BY m.time, m.id",
	[ST_GREP_RCPT] = MATCH_COLUMNS "recipients r CROSS JOIN messages m ON m.id = r.message"
	                 " JOIN servers s ON s.id = m.server LEFT JOIN senders p ON p.id = m.sender"
	                 " WHERE r.pair = ?1 AND m.sender IS ?2 ORDER BY m.time, m.id",
	[ST_SENDERS_ALL] = "SELECT id, address FROM senders UNION ALL SELECT NULL, NULL",
	[ST_SERVERS_ALL] = "SELECT id, name, retired FROM servers ORDER BY name",
	/* Only spans read with the reader's normal forms cover: a miss
	 * elsewhere may be a digest of other forms (sentlog.h "Privacy"). */
	[ST_SPANS_NEAR] = "SELECT first, last, cut_before, cut_after FROM spans"
	                  " WHERE server = ?1 AND last >= ?2 AND first <= ?3"
	                  " AND norm = " G_STRINGIFY (SENTLOG_NORMALISATION) " ORDER BY first",
	/* The first hole of server ?1 (or of every server) that reaches into
	 * [?2, ?3]: a hole is open, its ends were read. */
	[ST_HOLE_FIND] = "SELECT first, last FROM holes WHERE (server = ?1 OR server IS NULL)"
	                 " AND last > ?2 AND first < ?3 ORDER BY first LIMIT 1",
};

struct _SentLog {
	sqlite3 *db;
	char *path;
	gboolean writable;
	int fd;                /* writers: the database file as opened here, or -1 */
	gboolean alone;        /* a reader of the database file without its WAL */
	struct stat seen;      /* ... and what the file was like then */
	char *notice;          /* how it was opened, for the caller to say */
	sqlite3_stmt *stmt[ST_COUNT];
};

/* A message whose queue ID is still open, kept in memory and written in
 * one statement when it is done or at a checkpoint: a Postfix message
 * has five lines that say something, and one write is cheaper than five.
 * At most max_open of them are kept (NS_SENTLOG_MAX_OPEN): past that, the
 * one whose last line is the oldest is written as it is and set aside
 * (set_aside_oldest); its row stays open in the database, where a later
 * line of it finds it again (find_open), as a line of the next import
 * would. */
typedef struct {
	GList link;            /* in SentLogImport.lru (data: the row) */
	gint64 id;             /* its row, or -1 before the first write */
	gint64 time, server;
	char *queue_id;
	char *message_id;      /* normalised; NULL when not (yet) known */
	char *sender;          /* normalised; NULL when not (yet) known */
	gboolean has_stored_id;  /* the database row holds a Message-ID ... */
	guint8 stored_id[SENTLOG_KEY_LEN];  /* ... this one (in message_ids) */
	LogOrigin origin;
	gboolean dirty;        /* changed since the last write */
	GPtrArray *rcpts;      /* normalised addresses, not written yet */
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
	row->link.data = row;
	row->id = id;
	row->time = time;
	row->server = server;
	row->queue_id = g_strdup (queue_id);
	row->origin = origin;
	row->dirty = id < 0;
	row->rcpts = g_ptr_array_new_with_free_func (g_free);
	return row;
}

/* The index entries of a batch (message_ids, recipients), written at its
 * checkpoint sorted by their keys (write_pending): a B-tree grown at
 * random places reads and writes a page per entry once it outgrows the
 * page cache; grown in order, a page per run of entries that fall on it.
 * They are written before the batch commits: a reader sees a row with
 * every entry, or not at all. */
typedef struct {
	guint8 key[SENTLOG_KEY_LEN];
	gint64 id;
} PendingId;

typedef struct {
	guint8 pair[SENTLOG_PAIR_KEY_LEN];
	gint64 message;
} PendingRcpt;

/* sort_by_digest's buckets: the first two bytes of the key. */
G_STATIC_ASSERT (G_STRUCT_OFFSET (PendingId, key) == 0 && SENTLOG_KEY_LEN >= 2);
G_STATIC_ASSERT (G_STRUCT_OFFSET (PendingRcpt, pair) == 0 && SENTLOG_PAIR_KEY_LEN >= 2);

/* A message done lately: a line that repeats what it holds is one
 * delivered twice (RELP delivers at least once), not a new message.
 * Entries of a ring, reused with their strings: a jsonl record makes one. */
typedef struct {
	gint64 id, time;
	gint64 done;           /* its DONE line's time; G_MAXINT64 when not known */
	gboolean has_message_id;
	guint8 message_id[SENTLOG_KEY_LEN];  /* as stored (sentlog.h "Privacy") */
	gboolean has_sender;
	GString *sender;
	GString *key;          /* "server-id\tqueue-id"; "" while unused */
} DoneRow;

/* Rate limiting seen to begin (logevent.h, LOG_LOSS_BEGIN): lines from
 * `from` to `until` do not count; `until` 0 when none. */
typedef struct {
	gint64 from, until;
} Dropping;

/* What this import has read of one server (doc/design.md "Coverage"): the
 * span being extended, kept in memory and written at each checkpoint.
 * A line extends it when it lies within max_gap of it and no line was
 * lost since its last one; otherwise the span is closed (cut_after says
 * whether lines were lost after it) and a new one starts (cut_before
 * likewise). Spans of different sources are joined by readers. */
typedef struct {
	gint64 server;          /* its id */
	gint64 retired;         /* servers.retired, 0 when in service */
	gboolean looked_up;     /* the source's last span of it, from an earlier import, was taken up */
	gboolean open;          /* a span is being extended */
	gint64 row;             /* the span's row, or -1 before its first write */
	gint64 first, last;
	gboolean cut_before;
	gboolean dirty;         /* changed since written */
	gboolean cut;           /* lines of this server were lost since its last line */
	guint epoch;            /* the import's epoch at its last line */
	Dropping dropping;      /* rate limiting of its lines */
} Cover;

struct _SentLogImport {
	SentLog *log;
	const Config *config;
	char *fingerprint;     /* the source's name in spans; NULL: no source (log record) */
	gint64 source;         /* its checkpoint's row, or -1 before the first */
	char *name;
	GHashTable *servers;   /* name -> Cover */
	GHashTable *open;      /* "server-id\tqueue-id" -> OpenRow */
	/* The last NS_SENTLOG_RECENT_DONE messages done, from the database
	 * and this import, in a ring (the oldest is replaced): key -> its
	 * latest DoneRow (keys and values in done_ring). */
	GHashTable *done;
	DoneRow *done_ring;
	guint done_next;
	GHashTable *senders;   /* normalised address -> its row id (gint64 *) */
	GQueue lru;            /* the rows of `open`, the least recently used first */
	guint max_open;        /* rows kept in `open` (NS_SENTLOG_MAX_OPEN) */
	guint64 set_aside;     /* rows written out early to keep within max_open */
	guint64 changes;
	guint64 bad_lines;     /* since the last checkpoint */
	/* Coverage: a loss of every server's lines (a bad line, a central
	 * rate-limit notice) moves the epoch on; each server's span notices it
	 * at its next line (or the next checkpoint). */
	gint64 max_gap;
	guint epoch;
	gint64 cuts_before;    /* the source's cuts in earlier imports */
	gint64 cuts;           /* cuts since the last checkpoint */
	gboolean cut_pending;  /* the epoch moved since the last checkpoint */
	Dropping dropping;     /* a central input's rate limiting: every server's lines */
	/* Index entries written at the checkpoint, in index order
	 * (write_pending): PendingId, PendingRcpt. */
	GArray *pending_ids;
	GArray *pending_rcpts;
	GString *key;          /* scratch */
	GChecksum *sum;        /* scratch, for the digests (key_of) */
	gboolean failed;       /* a statement failed: the batch is rolled back */
	GError *error;         /* the first failure */
};

G_DEFINE_QUARK (ndrsift-sentlog-error-quark, sentlog_error)

const char *
sentlog_origin_name (LogOrigin origin)
{
	static const char *const names[] = {
		[LOG_ORIGIN_UNKNOWN] = "unknown", [LOG_ORIGIN_LOCAL] = "local", [LOG_ORIGIN_AUTH] = "auth",
		[LOG_ORIGIN_NETWORK] = "network", [LOG_ORIGIN_FOREIGN] = "foreign",
	};
	return origin < G_N_ELEMENTS (names) ? names[origin] : "unknown";
}

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

/* A statement, reset. A writer's are all prepared at open; a reader (a
 * filter process) prepares each when it first needs it, as a lookup
 * needs a few of them and preparing one costs as much as the lookup.
 * Returns: NULL with error when it cannot be prepared (readers only). */
static sqlite3_stmt *
stmt (SentLog *log, Stmt which, GError **error)
{
	if (log->stmt[which] == NULL &&
	    sqlite3_prepare_v3 (log->db, stmt_sql[which], -1, SQLITE_PREPARE_PERSISTENT, &log->stmt[which],
	                        NULL) != SQLITE_OK) {
		db_error (log, error, "preparing statements");
		return NULL;
	}
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

static char *
column_text (sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text (s, i);
	return t ? g_strdup ((const char *) t) : NULL;
}

void
sentlog_close (SentLog *log)
{
	if (log == NULL)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize (log->stmt[i]);
	sqlite3_close (log->db);
	/* Only now: closing another descriptor of the file would have
	 * dropped SQLite's POSIX locks on it. */
	if (log->fd >= 0)
		close (log->fd);
	g_free (log->path);
	g_free (log->notice);
	g_free (log);
}

const char *
sentlog_notice (SentLog *log)
{
	return log->notice;
}

static int
schema_version (SentLog *log)
{
	sqlite3_stmt *s = NULL;
	int version = -1;
	if (sqlite3_prepare_v2 (log->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step (s) == SQLITE_ROW)
		version = sqlite3_column_int (s, 0);
	sqlite3_finalize (s);
	return version;
}

/* Version 1 kept one span per server, from its first to its last line: a
 * month between two imports counted as read. Its messages are lines that
 * were read, so the spans are rebuilt from their times (and the old
 * span's ends, which were lines too), joined where they lie within the
 * default max_gap of each other: never more than was read, often less
 * (lines without a message left no trace). Losses inside were not
 * recorded then and cannot be now. */
static gboolean
migrate_spans (SentLog *log, GError **error)
{
	sqlite3_stmt *servers = NULL, *times = NULL, *insert = NULL;
	gboolean ok = sqlite3_prepare_v2 (log->db, "SELECT server, first, last FROM coverage", -1, &servers,
	                                  NULL) == SQLITE_OK &&
	              sqlite3_prepare_v2 (log->db, "SELECT time FROM messages WHERE server = ?1"
	                                  " AND time BETWEEN ?2 AND ?3 ORDER BY time", -1, &times, NULL) == SQLITE_OK &&
	              sqlite3_prepare_v2 (log->db, "INSERT INTO spans (server, source, first, last)"
	                                  " VALUES (?1, '" SOURCE_SCHEMA_1 "', ?2, ?3)", -1, &insert, NULL) == SQLITE_OK;
	int rc = SQLITE_DONE;
	while (ok && (rc = sqlite3_step (servers)) == SQLITE_ROW) {
		gint64 server = sqlite3_column_int64 (servers, 0);
		gint64 first = sqlite3_column_int64 (servers, 1), last = sqlite3_column_int64 (servers, 2);
		sqlite3_reset (times);
		sqlite3_bind_int64 (times, 1, server);
		sqlite3_bind_int64 (times, 2, first);
		sqlite3_bind_int64 (times, 3, last);
		gint64 start = first, end = first;
		gboolean more = TRUE;
		while (ok && more) {
			/* The old span's last line closes the sequence. */
			gint64 t = last;
			rc = sqlite3_step (times);
			if (rc == SQLITE_ROW)
				t = sqlite3_column_int64 (times, 0);
			else if (rc == SQLITE_DONE)
				more = FALSE;
			else
				ok = FALSE;
			if (ok && t - end > NS_SENTLOG_MAX_GAP) {
				sqlite3_reset (insert);
				sqlite3_bind_int64 (insert, 1, server);
				sqlite3_bind_int64 (insert, 2, start);
				sqlite3_bind_int64 (insert, 3, end);
				ok = sqlite3_step (insert) == SQLITE_DONE;
				start = t;
			}
			end = MAX (end, t);
		}
		if (ok) {
			sqlite3_reset (insert);
			sqlite3_bind_int64 (insert, 1, server);
			sqlite3_bind_int64 (insert, 2, start);
			sqlite3_bind_int64 (insert, 3, end);
			ok = sqlite3_step (insert) == SQLITE_DONE;
		}
	}
	if (rc != SQLITE_DONE)
		ok = FALSE;
	if (!ok)
		db_error (log, error, "rebuilding the coverage spans");
	sqlite3_finalize (servers);
	sqlite3_finalize (times);
	sqlite3_finalize (insert);
	return ok && exec (log, "DROP TABLE coverage", error);
}

/* SQL functions for the migration to schema 4: the stored forms of a
 * Message-ID and of a recipient, from the text schema 3 kept. The text
 * was normalised by the ndrsift of its time: it is normalised again (an
 * older form, "<id@x> (comment)" kept whole, becomes today's; the normal
 * form of a normal form is itself). */
static void
sql_message_id_key (sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *text = (const char *) sqlite3_value_text (argv[0]);
	if (text == NULL) {
		sqlite3_result_null (ctx);
		return;
	}
	g_autofree char *normal = msgid_normalise (text);
	guint8 key[SENTLOG_KEY_LEN];
	sentlog_message_id_key (normal ? normal : text, key);
	sqlite3_result_blob (ctx, key, sizeof key, SQLITE_TRANSIENT);
}

static void
sql_pair_key (sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	guint8 key[SENTLOG_KEY_LEN];
	sentlog_pair_key ((const char *) sqlite3_value_text (argv[0]), (const char *) sqlite3_value_text (argv[1]), key);
	sqlite3_result_blob (ctx, key, SENTLOG_PAIR_KEY_LEN, SQLITE_TRANSIENT);
}

/* Brings the schema to SCHEMA_VERSION, each step with its version bump in
 * the one transaction of the whole: a migration killed midway leaves the
 * file as it was, and the next writer starts it again. Version 0 is an
 * empty file. */
static gboolean
migrate (SentLog *log, GError **error)
{
	int version = schema_version (log);
	if (version < 0)
		return db_error (log, error, "reading the schema version");
	if (version == SCHEMA_VERSION)
		return TRUE;
	/* The text that schema 4 replaces by digests must not stay behind in
	 * the pages it frees: they are zeroed as they are freed. */
	if (!exec (log, "PRAGMA secure_delete = ON", error) || !exec (log, "BEGIN IMMEDIATE", error))
		return FALSE;
	/* Read again under the write lock: another writer may have just
	 * migrated it. */
	version = schema_version (log);
	gboolean ok = TRUE;
	if (version > SCHEMA_VERSION) {
		g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_FAILED,
		             "%s: schema version %d is newer than this ndrsift (%d)", log->path, version,
		             SCHEMA_VERSION);
		ok = FALSE;
	} else if (version < 0)
		ok = db_error (log, error, "reading the schema version");
	if (ok && version == 0)
		ok = exec (log, schema_v1, error);
	if (ok && version < 2)
		ok = exec (log, schema_v2, error) && migrate_spans (log, error);
	if (ok && version < 3)
		ok = exec (log, schema_v3, error);
	if (ok && version < 4)
		ok = (sqlite3_create_function (log->db, "ndrsift_message_id_key", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
		                               NULL, sql_message_id_key, NULL, NULL) == SQLITE_OK &&
		      sqlite3_create_function (log->db, "ndrsift_pair_key", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
		                               sql_pair_key, NULL, NULL) == SQLITE_OK) ||
		     db_error (log, error, "migrating");
	if (ok && version < 4)
		ok = exec (log, schema_v4, error);
	if (ok && version < 5)
		ok = exec (log, schema_v5, error);
	g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %d", SCHEMA_VERSION);
	if (!ok || !exec (log, bump, error) || !exec (log, "COMMIT", error)) {
		exec (log, "ROLLBACK", NULL);
		return FALSE;
	}
	/* The freed pages back to the file system, and the WAL that held
	 * the old pages emptied (best effort: the migration is done). */
	if (version > 0 && version < 4) {
		(void) exec (log, "VACUUM", NULL);
		(void) sqlite3_wal_checkpoint_v2 (log->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	}
	return exec (log, "PRAGMA secure_delete = OFF", error);
}

/* A writer's database file, created or opened here before SQLite opens
 * it: never through a symbolic link (a root importer must not write a
 * database wherever a link in the directory points), a regular file with
 * no other name, given `mode` when it is the importer's. The descriptor
 * is kept until the log is closed (see sentlog_close). */
static gboolean
open_db_file (SentLog *log, guint mode, struct stat *st, GError **error)
{
	log->fd = open (log->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, mode);
	if (log->fd < 0) {
		int e = errno;
		g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_FAILED, "%s: %s", log->path,
		             e == ELOOP ? "a symbolic link: refused (the sent log must be a file of its own)"
		                        : g_strerror (e));
		return FALSE;
	}
	if (fstat (log->fd, st) != 0 || !S_ISREG (st->st_mode) || st->st_nlink != 1) {
		g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_FAILED,
		             "%s: not a regular file of its own (a device, a FIFO, or a file with other hard links): refused",
		             log->path);
		return FALSE;
	}
	/* The mode is the setting's, whatever the umask or a chmod did. */
	if (st->st_uid == geteuid () && (st->st_mode & 07777) != mode && fchmod (log->fd, mode) != 0) {
		int e = errno;
		g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_FAILED, "%s: chmod: %s", log->path, g_strerror (e));
		return FALSE;
	}
	return TRUE;
}

/* -wal and -shm like the database: its mode, and its group where the
 * importer may give it (SQLite gives them the database's owner and group
 * only when it runs as root), so that readers of a group-readable log
 * read them too. SQLite refuses them as symbolic links, and they are not
 * followed here either. */
static void
wal_files_like_db (SentLog *log, guint mode, const struct stat *db)
{
	static const char *const suffixes[] = { "-wal", "-shm" };
	for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++) {
		g_autofree char *p = g_strconcat (log->path, suffixes[i], NULL);
		struct stat st;
		if (lstat (p, &st) != 0 || !S_ISREG (st.st_mode) || st.st_uid != geteuid ())
			continue;
		if ((st.st_mode & 07777) != mode && fchmodat (AT_FDCWD, p, mode, AT_SYMLINK_NOFOLLOW) != 0 &&
		    (errno == ENOTSUP || errno == EOPNOTSUPP))
			(void) chmod (p, mode); /* no /proc for glibc's AT_SYMLINK_NOFOLLOW: lstat said a file */
		if (st.st_gid != db->st_gid)
			(void) fchownat (AT_FDCWD, p, (uid_t) -1, db->st_gid, AT_SYMLINK_NOFOLLOW);
	}
}

/* Whether path is a WAL-mode database: bytes 18 and 19 of its header
 * are 2. */
static gboolean
header_says_wal (const char *path)
{
	guint8 header[20];
	int fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return FALSE;
	gboolean wal = pread (fd, header, sizeof header, 0) == (ssize_t) sizeof header && header[18] == 2 &&
	               header[19] == 2;
	close (fd);
	return wal;
}

/* Whether path is a WAL-mode database whose -wal or -shm file is
 * missing. */
static gboolean
wal_files_gone (const char *path)
{
	if (!header_says_wal (path))
		return FALSE;
	g_autofree char *w = g_strconcat (path, "-wal", NULL);
	g_autofree char *m = g_strconcat (path, "-shm", NULL);
	return !g_file_test (w, G_FILE_TEST_EXISTS) || !g_file_test (m, G_FILE_TEST_EXISTS);
}

/* A reader of the database file alone: what it was like when opened, and
 * no -wal or -shm since (a writer makes them before it writes anything). */
static void
remember_file (const char *path, struct stat *st)
{
	if (stat (path, st) != 0)
		memset (st, 0, sizeof *st);
	g_autofree char *w = g_strconcat (path, "-wal", NULL);
	g_autofree char *m = g_strconcat (path, "-shm", NULL);
	/* st_nlink is unused for this: it holds which WAL files exist. */
	st->st_nlink = g_file_test (w, G_FILE_TEST_EXISTS) + 2 * g_file_test (m, G_FILE_TEST_EXISTS);
}

/* For a reader of the file alone, after each read: the file is as it was
 * when opened (no writer came, no checkpoint wrote it while it was read).
 * Otherwise what was read may be torn, and is not trusted. */
static gboolean
still_alone (SentLog *log, GError **error)
{
	if (!log->alone)
		return TRUE;
	struct stat now;
	remember_file (log->path, &now);
	if (now.st_dev == log->seen.st_dev && now.st_ino == log->seen.st_ino && now.st_size == log->seen.st_size &&
	    now.st_nlink == log->seen.st_nlink && now.st_mtim.tv_sec == log->seen.st_mtim.tv_sec &&
	    now.st_mtim.tv_nsec == log->seen.st_mtim.tv_nsec && now.st_ctim.tv_sec == log->seen.st_ctim.tv_sec &&
	    now.st_ctim.tv_nsec == log->seen.st_ctim.tv_nsec)
		return TRUE;
	g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_FAILED,
	             "%s: changed while read without its -wal (an importer is writing): not trusted", log->path);
	return FALSE;
}

/* Opens the database file alone, read-only, without locks or WAL
 * (SQLite's immutable=1), for a reader that can neither find nor make the
 * -wal and -shm of a WAL database. What the last connection to close left
 * there is whole: it checkpointed the WAL before removing it. */
static gboolean
open_alone (SentLog *log, GError **error)
{
	sqlite3_close (log->db);
	log->db = NULL;
	g_autofree char *escaped = g_uri_escape_string (log->path, "/", FALSE);
	g_autofree char *uri = g_strconcat ("file:", escaped, "?immutable=1", NULL);
	if (sqlite3_open_v2 (uri, &log->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		return db_error (log, error, "opening without its -wal");
	sqlite3_extended_result_codes (log->db, 1);
	log->alone = TRUE;
	remember_file (log->path, &log->seen);
	log->notice = g_strdup_printf (
		"%s: its -wal or -shm file is gone (removed by a clean-up, or by a `sqlite3` session that closed "
		"last), and this user cannot make them: reading the database file alone until `ndrsift log "
		"import` (as the importer) makes them again",
		log->path);
	return TRUE;
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

/* The schema version as a reader sees it, or FALSE with SQLite's reason. */
static gboolean
reader_version (SentLog *log, int *version, int *rc)
{
	sqlite3_stmt *s = NULL;
	*rc = sqlite3_prepare_v2 (log->db, "PRAGMA user_version", -1, &s, NULL);
	if (*rc == SQLITE_OK && (*rc = sqlite3_step (s)) == SQLITE_ROW)
		*version = sqlite3_column_int (s, 0);
	sqlite3_finalize (s);
	return *rc == SQLITE_ROW;
}

SentLog *
sentlog_open_mode (const char *path, gboolean writable, guint mode, GError **error)
{
	static gsize configured = 0;
	if (g_once_init_enter (&configured)) {
		/* SQLite's memory statistics (unused here) take a mutex and
		 * count every allocation. Before any other call. */
		sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
		/* No bulk allocation of 20 cache pages at each connection's
		 * first read, touched at once: 16 of a filter run's page
		 * faults; pages come one at a time as they are read. */
		sqlite3_config (SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
		g_once_init_leave (&configured, 1);
	}
	g_autoptr (SentLog) log = g_new0 (SentLog, 1);
	log->path = g_strdup (path);
	log->writable = writable;
	log->fd = -1;

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
	struct stat db;
	if (writable && !open_db_file (log, mode, &db, error))
		return NULL;
	int flags = writable ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW : SQLITE_OPEN_READONLY;
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
#ifdef M_MXFAST
		/* No fast bins: a B-tree split asks malloc for a page, which
		 * first merges every fast-bin chunk (json-glib's and the
		 * normal forms' strings of each line), and the small
		 * allocations that follow then split chunks scattered over a
		 * heap the page cache made big. 1M jsonl records: 27.5 -> 18.7
		 * CPU s (bench/README, import.sh). */
		mallopt (M_MXFAST, 0);
#endif
		/* The importer's indexes outgrow the default 2 MB page cache
		 * within an hour of a busy log; a bigger one is faster, and
		 * costs resident memory, which an import keeps bounded. */
		g_autofree char *pragmas = g_strdup_printf ("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
		                                            "PRAGMA foreign_keys = ON; PRAGMA cache_size = -%d;",
		                                            NS_SENTLOG_CACHE_KIB);
		if (!exec (log, pragmas, error))
			return NULL;
		/* The file SQLite opened is the one checked above (no name
		 * swapped in between). */
		struct stat now;
		if (lstat (path, &now) != 0 || now.st_dev != db.st_dev || now.st_ino != db.st_ino) {
			g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_FAILED, "%s: replaced while it was opened: refused", path);
			return NULL;
		}
		if (!migrate (log, error))
			return NULL;
		wal_files_like_db (log, mode, &db);
	} else {
		/* A file that is not a sent log, or one from the future, is an
		 * error a reader reports (and then works without it). */
		int version = -1, rc;
		if (!reader_version (log, &version, &rc) && (rc & 0xff) != SQLITE_CORRUPT && (rc & 0xff) != SQLITE_NOTADB &&
		    wal_files_gone (path)) {
			if (!open_alone (log, error))
				return NULL;
			reader_version (log, &version, &rc);
		}
		if (rc != SQLITE_ROW) {
			/* SQLite's own reason (not a database, malformed, ...). */
			g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_FAILED, "%s: %s", path, sqlite3_errstr (rc));
			return NULL;
		}
		if (version > 0 && version < SCHEMA_READABLE) {
			g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_FAILED,
			             "%s: a sent log of an older ndrsift (schema %d); the next `ndrsift log import`"
			             " migrates it", path, version);
			return NULL;
		}
		if (version < SCHEMA_READABLE || version > SCHEMA_VERSION) {
			g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_FAILED,
			             "%s: not a sent log of this version (schema %d)", path, version);
			return NULL;
		}
		/* A reader maps the importer's log into memory: a page it needs
		 * is read without a copy or a system call, a third off a
		 * lookup at 10 M messages (bench/README, sentlog-bench). Only
		 * a WAL log, which SQLite alone writes and never shrinks: a
		 * copy in rollback mode (`log backup`) may be overwritten in
		 * place by scp, and a mapped file cut short under a reader
		 * kills it (SIGBUS) where a read() would fail. */
		if (!log->alone && header_says_wal (path))
			exec (log, "PRAGMA mmap_size = " G_STRINGIFY (NS_SENTLOG_MMAP_BYTES), NULL);
	}
	/* A reader prepares its first lookup now, which reads the schema: a
	 * log that cannot be read is said at open; the rest on first use. */
	for (int i = 0; i < ST_COUNT; i++)
		if ((writable || i == ST_LOOKUP_ID) && stmt (log, i, error) == NULL)
			return NULL;
	return g_steal_pointer (&log);
}

SentLog *
sentlog_open (const char *path, gboolean writable, GError **error)
{
	return sentlog_open_mode (path, writable, 0644, error);
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

/* The coverage state of server `name` in this import, its row added to
 * servers when new and `create`. Returns: (transfer none) or NULL when
 * that failed, or the server is new and not to be created. */
static Cover *
server_cover (SentLogImport *im, const char *name, gboolean create)
{
	Cover *cv = g_hash_table_lookup (im->servers, name);
	if (cv)
		return cv;
	sqlite3_stmt *s = stmt (im->log, ST_SERVER_FIND, NULL);
	bind_text (s, 1, name);
	gint64 id = -1, retired = 0;
	int rc = sqlite3_step (s);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64 (s, 0);
		retired = sqlite3_column_int64 (s, 1);
	}
	sqlite3_reset (s);
	if (rc != SQLITE_ROW && !create)
		return NULL;
	if (rc != SQLITE_ROW) {
		s = stmt (im->log, ST_SERVER_ADD, NULL);
		bind_text (s, 1, name);
		if (sqlite3_step (s) != SQLITE_DONE) {
			import_failed (im, "adding a server");
			return NULL;
		}
		id = sqlite3_last_insert_rowid (im->log->db);
	}
	cv = g_new0 (Cover, 1);
	cv->server = id;
	cv->retired = retired;
	cv->row = -1;
	g_hash_table_insert (im->servers, g_strdup (name), cv);
	return cv;
}

/* Writes the span; cut_after: lines were lost after its last line. */
static void
write_span (SentLogImport *im, Cover *cv, gboolean cut_after)
{
	sqlite3_stmt *s;
	if (cv->row < 0) {
		s = stmt (im->log, ST_SPAN_INSERT, NULL);
		sqlite3_bind_int64 (s, 1, cv->server);
		bind_text (s, 2, im->fingerprint);
		sqlite3_bind_int64 (s, 3, cv->first);
		sqlite3_bind_int64 (s, 4, cv->last);
		sqlite3_bind_int (s, 5, cv->cut_before);
		sqlite3_bind_int (s, 6, cut_after);
	} else {
		s = stmt (im->log, ST_SPAN_UPDATE, NULL);
		sqlite3_bind_int64 (s, 1, cv->row);
		sqlite3_bind_int64 (s, 2, cv->first);
		sqlite3_bind_int64 (s, 3, cv->last);
		sqlite3_bind_int (s, 4, cut_after);
	}
	if (sqlite3_step (s) != SQLITE_DONE) {
		import_failed (im, "recording coverage");
		return;
	}
	if (cv->row < 0)
		cv->row = sqlite3_last_insert_rowid (im->log->db);
	cv->dirty = FALSE;
}

static void
close_span (SentLogImport *im, Cover *cv, gboolean cut_after)
{
	if (cv->dirty || cut_after)
		write_span (im, cv, cut_after);
	cv->open = FALSE;
}

/* Lines of this server were lost since its last line. */
static gboolean
cut_since (SentLogImport *im, const Cover *cv)
{
	return cv->cut || cv->epoch != im->epoch;
}

/* The server's first event in this import: its span in this source where
 * an earlier import left it goes on, unless lines were lost since. */
static void
take_up (SentLogImport *im, Cover *cv)
{
	cv->looked_up = TRUE;
	cv->epoch = im->epoch;
	sqlite3_stmt *s = stmt (im->log, ST_SPAN_LATEST, NULL);
	bind_text (s, 1, im->fingerprint);
	sqlite3_bind_int64 (s, 2, cv->server);
	int rc = sqlite3_step (s);
	if (rc == SQLITE_ROW) {
		cv->row = sqlite3_column_int64 (s, 0);
		cv->first = sqlite3_column_int64 (s, 1);
		cv->last = sqlite3_column_int64 (s, 2);
		cv->open = sqlite3_column_int (s, 3) == 0;
		cv->cut = !cv->open || im->epoch > 0;
	} else {
		/* None: a line lost anywhere in the source so far may have
		 * been this server's. */
		cv->cut = im->cuts_before > 0 || im->cuts > 0 || im->epoch > 0;
	}
	sqlite3_reset (s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		import_failed (im, "reading coverage");
}

/* A line of the server at time t was read. */
static void
cover (SentLogImport *im, Cover *cv, gint64 t)
{
	if (!cv->looked_up)
		take_up (im, cv);
	/* A retired server that logs again is in service again. */
	if (cv->retired && t > cv->retired) {
		sqlite3_stmt *s = stmt (im->log, ST_SERVER_UNRETIRE, NULL);
		sqlite3_bind_int64 (s, 1, cv->server);
		if (sqlite3_step (s) != SQLITE_DONE)
			import_failed (im, "un-retiring a server");
		cv->retired = 0;
	}
	/* Rate limiting is dropping lines: what comes through is no proof
	 * that nothing else was written. */
	if (t < cv->dropping.until || t < im->dropping.until)
		return;
	gboolean cut = cut_since (im, cv);
	if (cv->open && !cut && t >= cv->first - im->max_gap && t <= cv->last + im->max_gap) {
		/* Lines of one server may come a little out of order. */
		cv->first = MIN (cv->first, t);
		cv->last = MAX (cv->last, t);
		cv->dirty = TRUE;
	} else {
		if (cv->open)
			close_span (im, cv, cut);
		cv->row = -1;
		cv->first = cv->last = t;
		cv->cut_before = cut;
		cv->open = cv->dirty = TRUE;
	}
	cv->cut = FALSE;
	cv->epoch = im->epoch;
}

/* Lines of every server of this source may have been lost here. */
static void
cut_all (SentLogImport *im)
{
	im->epoch++;
	im->cuts++;
	im->cut_pending = TRUE;
}

/* Takes the stretch between `from` and `to` out of the coverage of the
 * server (NULL: every server), whatever source holds it, now or later:
 * lines were lost there where they came in, before any copy was made. */
static void
punch (SentLogImport *im, Cover *only, gint64 from, gint64 to)
{
	/* The spans in memory are written first, and end where they are. */
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init (&it, im->servers);
	while (g_hash_table_iter_next (&it, NULL, &value)) {
		Cover *cv = value;
		if (only && cv != only)
			continue;
		if (cv->open)
			close_span (im, cv, TRUE);
		cv->cut = TRUE;
	}
	sqlite3_stmt *s = stmt (im->log, ST_HOLE_INSERT, NULL);
	if (only)
		sqlite3_bind_int64 (s, 1, only->server);
	sqlite3_bind_int64 (s, 2, from);
	sqlite3_bind_int64 (s, 3, to);
	if (sqlite3_step (s) != SQLITE_DONE)
		import_failed (im, "recording lost lines");
}

/* The latest line of the server (NULL: any) at or before t that
 * coverage holds, or t. */
static gint64
last_line (SentLogImport *im, Cover *only, gint64 t)
{
	sqlite3_stmt *s = stmt (im->log, ST_SPAN_LAST_LINE, NULL);
	if (only)
		sqlite3_bind_int64 (s, 1, only->server);
	sqlite3_bind_int64 (s, 2, t);
	gint64 last = t;
	if (sqlite3_step (s) == SQLITE_ROW && sqlite3_column_type (s, 0) != SQLITE_NULL)
		last = sqlite3_column_int64 (s, 0);
	sqlite3_reset (s);
	return last;
}

/* A syslog daemon's notice that lines of the server (NULL: of any server)
 * were or are being lost (logevent.h). */
static void
lose (SentLogImport *im, Cover *cv, const LogEvent *ev)
{
	/* A hole is open at both ends (ST_HOLE_FIND) and a log's clock
	 * counts whole seconds: lines dropped in the notice's own second
	 * carry its time, so every hole reaches one second past the notice
	 * that ends it, and one before the notice that begins it. */
	gint64 t = ev->time;
	Dropping *dropping = cv ? &cv->dropping : &im->dropping;
	if (cv) {
		if (!cv->looked_up)
			take_up (im, cv);
		/* Its last span in this source ends here, also for the import
		 * that takes it up after this one. */
		if (cv->open)
			close_span (im, cv, TRUE);
		else if (cv->row >= 0)
			write_span (im, cv, TRUE);
		else
			im->cuts++; /* none to mark: the source remembers */
		cv->cut = TRUE;
	} else
		cut_all (im);
	if (ev->loss == LOG_LOSS_BEGIN) {
		/* Its lines count again after max_gap, or at the notice of
		 * the end: rate-limit windows are seconds to minutes. */
		dropping->from = t - 1;
		dropping->until = t + im->max_gap;
	} else if (dropping->until) {
		/* The end of a dropping seen to begin: no source holds what
		 * was written then (the loss was where the lines came in). */
		punch (im, cv, dropping->from, t + 1);
		dropping->until = 0;
	} else {
		/* Only the end was logged (journald says nothing before): the
		 * loss lies in the rate-limit window before the server's last
		 * line before the notice, assumed shorter than max_gap. */
		gint64 from = MIN (t, last_line (im, cv, t)) - im->max_gap;
		punch (im, cv, from, t + 1);
	}
}

/* The row of sender (normalised) in senders, added when new; 0 for NULL
 * (unknown), -1 when that failed. */
static gint64
sender_id (SentLogImport *im, const char *sender)
{
	if (sender == NULL)
		return 0;
	gint64 *known = g_hash_table_lookup (im->senders, sender);
	if (known)
		return *known;
	sqlite3_stmt *s = stmt (im->log, ST_SENDER_FIND, NULL);
	bind_text (s, 1, sender);
	gint64 id = -1;
	if (sqlite3_step (s) == SQLITE_ROW)
		id = sqlite3_column_int64 (s, 0);
	sqlite3_reset (s);
	if (id < 0) {
		s = stmt (im->log, ST_SENDER_ADD, NULL);
		bind_text (s, 1, sender);
		if (sqlite3_step (s) != SQLITE_DONE) {
			import_failed (im, "adding a sender");
			return -1;
		}
		id = sqlite3_last_insert_rowid (im->log->db);
	}
	/* Rows added here are rolled back with a failed batch: the cache
	 * goes with it (sentlog_import_checkpoint). */
	g_hash_table_insert (im->senders, g_strdup (sender), g_memdup2 (&id, sizeof id));
	return id;
}

static void
bind_sender (SentLogImport *im, sqlite3_stmt *s, int i, const char *sender)
{
	gint64 id = sender_id (im, sender);
	if (id > 0)
		sqlite3_bind_int64 (s, i, id);
	else
		sqlite3_bind_null (s, i);
}

static void key_of (GChecksum *reuse, const char *a, const char *b, guint8 out[SENTLOG_KEY_LEN]);

/* sentlog_message_id_key and sentlog_pair_key with the import's checksum
 * (one allocation fewer a digest, two or more digests a message). */
static void
import_id_key (SentLogImport *im, const char *normal, guint8 out[SENTLOG_KEY_LEN])
{
	key_of (im->sum, normal, NULL, out);
}

static void
import_pair_key (SentLogImport *im, const char *sender, const char *recipient, guint8 out[SENTLOG_KEY_LEN])
{
	key_of (im->sum, sender ? sender : "", recipient, out);
}

static gint64
insert_message (SentLogImport *im, gint64 time, gint64 server, const char *queue_id,
                const guint8 *message_id, const char *sender, LogOrigin origin, gboolean open)
{
	sqlite3_stmt *s = stmt (im->log, ST_MSG_INSERT, NULL);
	sqlite3_bind_int64 (s, 1, time);
	sqlite3_bind_int64 (s, 2, server);
	bind_text (s, 3, queue_id);
	PendingId p = { .id = -1 };
	if (message_id) {
		memcpy (p.key, message_id, sizeof p.key);
		sqlite3_bind_blob (s, 4, p.key, sizeof p.key, SQLITE_STATIC);
	} else
		sqlite3_bind_null (s, 4);
	bind_sender (im, s, 5, sender);
	sqlite3_bind_int (s, 6, origin);
	sqlite3_bind_int (s, 7, open);
	if (sqlite3_step (s) != SQLITE_DONE) {
		import_failed (im, "adding a message");
		return -1;
	}
	im->changes++;
	p.id = sqlite3_last_insert_rowid (im->log->db);
	if (message_id)
		g_array_append_val (im->pending_ids, p);
	return p.id;
}

/* The open row of (server, queue_id) in the database (left by an earlier
 * import), or NULL. within: only one from at most that many seconds
 * before time. */
static OpenRow *
find_open (SentLogImport *im, gint64 server, const char *queue_id, gint64 time, gint64 within)
{
	sqlite3_stmt *s = stmt (im->log, ST_MSG_FIND_OPEN, NULL);
	sqlite3_bind_int64 (s, 1, server);
	bind_text (s, 2, queue_id);
	OpenRow *row = NULL;
	if (sqlite3_step (s) == SQLITE_ROW && time - sqlite3_column_int64 (s, 2) <= within) {
		row = open_row_new (sqlite3_column_int64 (s, 0), sqlite3_column_int64 (s, 2), server,
		                    queue_id, sqlite3_column_int (s, 1));
		/* Its recipients' digests hold the sender. */
		row->sender = column_text (s, 3);
		row->has_stored_id = sqlite3_column_bytes (s, 4) == SENTLOG_KEY_LEN;
		if (row->has_stored_id)
			memcpy (row->stored_id, sqlite3_column_blob (s, 4), SENTLOG_KEY_LEN);
	}
	sqlite3_reset (s);
	return row;
}

/* ---- the open rows kept in memory ---- */

/* The key of (server, queue_id) in `open` and `done`, "server-id\tqueue-id"
 * (without printf: a jsonl record makes one). Returns: (transfer none)
 * im->key's. */
static const char *
open_key (SentLogImport *im, gint64 server, const char *queue_id)
{
	char digits[24], *d = digits + sizeof digits;
	guint64 v = server < 0 ? 0 - (guint64) server : (guint64) server;
	do
		*--d = '0' + v % 10;
	while (v /= 10);
	if (server < 0)
		*--d = '-';
	g_string_truncate (im->key, 0);
	g_string_append_len (im->key, d, digits + sizeof digits - d);
	g_string_append_c (im->key, '\t');
	g_string_append (im->key, queue_id);
	return im->key->str;
}

/* The row of (server, queue_id) kept in memory, now the most recently
 * used, or NULL. */
static OpenRow *
open_lookup (SentLogImport *im, gint64 server, const char *queue_id)
{
	OpenRow *row = g_hash_table_lookup (im->open, open_key (im, server, queue_id));
	if (row) {
		g_queue_unlink (&im->lru, &row->link);
		g_queue_push_tail_link (&im->lru, &row->link);
	}
	return row;
}

/* Frees a row kept in memory. */
static void
open_remove (SentLogImport *im, OpenRow *row)
{
	g_queue_unlink (&im->lru, &row->link);
	g_hash_table_remove (im->open, open_key (im, row->server, row->queue_id));
}

static void flush_row (SentLogImport *im, OpenRow *row, gboolean open);

/* Writes the least recently used row as it is, still open (a later line
 * of it finds it in the database), and forgets it. */
static void
set_aside_oldest (SentLogImport *im)
{
	OpenRow *row = g_queue_peek_head (&im->lru);
	flush_row (im, row, TRUE);
	open_remove (im, row);
	im->set_aside++;
}

/* Keeps row in memory as the most recently used, within max_open.
 * Returns: (transfer none) row, now owned by the import. */
static OpenRow *
open_add (SentLogImport *im, OpenRow *row)
{
	while (g_hash_table_size (im->open) >= im->max_open)
		set_aside_oldest (im);
	g_hash_table_insert (im->open, g_strdup (open_key (im, row->server, row->queue_id)), row);
	g_queue_push_tail_link (&im->lru, &row->link);
	return row;
}

/* The open row of (server, queue_id): the one in memory, else one left
 * open in the database (by an earlier import, or set aside), else NULL
 * (im->key is then its key, as open_lookup left it). */
static OpenRow *
existing_row (SentLogImport *im, gint64 server, const char *queue_id, gint64 time)
{
	OpenRow *row = open_lookup (im, server, queue_id);
	if (row)
		return row;
	row = find_open (im, server, queue_id, time, (gint64) NS_SENTLOG_OPEN_DAYS * 86400);
	return row ? open_add (im, row) : NULL;
}

/* Remembers a message done (the key is im->key's "server\tqueue-id"),
 * in place of the oldest one remembered. */
static void
remember_done (SentLogImport *im, const char *key, gint64 id, gint64 time, gint64 done,
               const guint8 *message_id, const char *sender)
{
	DoneRow *d = &im->done_ring[im->done_next];
	im->done_next = (im->done_next + 1) % NS_SENTLOG_RECENT_DONE;
	/* Its key stays when a later message of that queue ID took it over. */
	if (d->key->len && g_hash_table_lookup (im->done, d->key->str) == d)
		g_hash_table_remove (im->done, d->key->str);
	g_string_assign (d->key, key);
	d->id = id;
	d->time = time;
	d->done = done;
	d->has_message_id = message_id != NULL;
	if (message_id)
		memcpy (d->message_id, message_id, SENTLOG_KEY_LEN);
	d->has_sender = sender != NULL;
	g_string_assign (d->sender, sender ? sender : "");
	g_hash_table_replace (im->done, d->key->str, d);
}

/* The messages done lately in the database, oldest first: the lines an
 * earlier import (or importer, before a restart) read are known again. */
static void
recall_done (SentLogImport *im)
{
	sqlite3_stmt *s = stmt (im->log, ST_DONE_RECENT, NULL);
	sqlite3_bind_int (s, 1, NS_SENTLOG_RECENT_DONE);
	while (sqlite3_step (s) == SQLITE_ROW) {
		guint8 message_id[SENTLOG_KEY_LEN];
		gboolean has_message_id = sqlite3_column_bytes (s, 4) == SENTLOG_KEY_LEN;
		if (has_message_id)
			memcpy (message_id, sqlite3_column_blob (s, 4), SENTLOG_KEY_LEN);
		const char *key = open_key (im, sqlite3_column_int64 (s, 1), (const char *) sqlite3_column_text (s, 2));
		remember_done (im, key, sqlite3_column_int64 (s, 0), sqlite3_column_int64 (s, 3), G_MAXINT64,
		               has_message_id ? message_id : NULL, (const char *) sqlite3_column_text (s, 5));
	}
	sqlite3_reset (s);
}

/* The sender of a message done lately: NULL when not known. */
static const char *
done_sender (const DoneRow *d)
{
	return d->has_sender ? d->sender->str : NULL;
}

static gboolean rcpt_pending (SentLogImport *im, gint64 message, const guint8 *pair);

/* Whether ev (of a queue ID with no open row; its key in im->key) only
 * repeats what a message done lately holds: its first line, a line no
 * later than its last, and nothing it does not have already. A queue ID
 * used again is a new message: its lines come later and say other
 * things. */
static gboolean
repeats_done (SentLogImport *im, const LogEvent *ev)
{
	const DoneRow *d = g_hash_table_lookup (im->done, im->key->str);
	if (d == NULL)
		return FALSE;
	if (ev->type == LOG_EVENT_ENTER)
		return ev->time == d->time;
	if (ev->time < d->time || ev->time > d->done)
		return FALSE;
	const char *delimiters = im->config->recipient_delimiter;
	switch (ev->type) {
	case LOG_EVENT_MESSAGE_ID: {
		g_autofree char *id = msgid_normalise (ev->message_id);
		guint8 key[SENTLOG_KEY_LEN];
		if (id == NULL || !d->has_message_id)
			return FALSE;
		import_id_key (im, id, key);
		return memcmp (key, d->message_id, sizeof key) == 0;
	}
	case LOG_EVENT_SENDER: {
		g_autofree char *sender = address_normalise (ev->sender, delimiters);
		return g_strcmp0 (sender ? sender : "", done_sender (d)) == 0;
	}
	case LOG_EVENT_RECIPIENT: {
		g_autofree char *norm = address_normalise (ev->recipient, delimiters);
		if (norm == NULL || norm[0] == '\0')
			return FALSE;
		guint8 key[SENTLOG_KEY_LEN];
		import_pair_key (im, done_sender (d), norm, key);
		sqlite3_stmt *s = stmt (im->log, ST_RCPT_HAS, NULL);
		sqlite3_bind_int64 (s, 1, d->id);
		sqlite3_bind_blob (s, 2, key, SENTLOG_PAIR_KEY_LEN, SQLITE_TRANSIENT);
		gboolean has = sqlite3_step (s) == SQLITE_ROW;
		sqlite3_reset (s);
		return has || rcpt_pending (im, d->id, key);
	}
	case LOG_EVENT_DONE:
		return TRUE;
	default:
		return FALSE;
	}
}

/* A recipient of the message from sender (normalised, NULL: unknown). */
static void
add_recipient (SentLogImport *im, gint64 message, const char *sender, const char *norm)
{
	guint8 key[SENTLOG_KEY_LEN];
	import_pair_key (im, sender, norm, key);
	PendingRcpt p = { .message = message };
	memcpy (p.pair, key, sizeof p.pair);
	g_array_append_val (im->pending_rcpts, p);
	im->changes++;
}

/* Whether this batch will add recipient pair (SENTLOG_PAIR_KEY_LEN bytes)
 * of message: the latest first (a line delivered twice is of a message
 * done lately). */
static gboolean
rcpt_pending (SentLogImport *im, gint64 message, const guint8 *pair)
{
	for (guint i = im->pending_rcpts->len; i > 0; i--) {
		const PendingRcpt *p = &g_array_index (im->pending_rcpts, PendingRcpt, i - 1);
		if (p->message == message && memcmp (p->pair, pair, sizeof p->pair) == 0)
			return TRUE;
	}
	return FALSE;
}

/* A key of up to 8 bytes as a number of the same order as memcmp's:
 * a batch sorts a million of them, and memcmp is a call each. */
static inline guint64
key_order (const guint8 *key, gsize len)
{
	guint8 bytes[8] = { 0 };
	memcpy (bytes, key, len);
	guint64 v;
	memcpy (&v, bytes, sizeof v);
	return GUINT64_FROM_BE (v);
}

#define CMP(a, b) (((a) > (b)) - ((a) < (b)))

static int
pending_id_cmp (gconstpointer a, gconstpointer b, gpointer unused)
{
	const PendingId *x = a, *y = b;
	G_STATIC_ASSERT (sizeof x->key <= 8);
	int c = CMP (key_order (x->key, sizeof x->key), key_order (y->key, sizeof y->key));
	return c ? c : CMP (x->id, y->id);
}

static int
pending_rcpt_cmp (gconstpointer a, gconstpointer b, gpointer unused)
{
	const PendingRcpt *x = a, *y = b;
	G_STATIC_ASSERT (sizeof x->pair <= 8);
	int c = CMP (key_order (x->pair, sizeof x->pair), key_order (y->pair, sizeof y->pair));
	return c ? c : CMP (x->message, y->message);
}

/* The bucket of an entry that starts with a digest: its first 16 bits. */
static inline guint
digest_bucket (const guint8 *entry)
{
	return (guint) entry[0] << 8 | entry[1];
}

/* Sorts entries that start with a digest by cmp, in place (no copy of a
 * batch's entries: room for more of them): each entry is moved to its
 * bucket of the digest's first 16 bits (American flag sort), then each
 * bucket is sorted on its own (some 15 entries each in a batch of 10^6:
 * digests are uniform). Several times faster than g_array_sort's merge
 * sort, which also copies the array. */
static void
sort_by_digest (GArray *a, GCompareDataFunc cmp)
{
	gsize size = g_array_get_element_size (a);
	guint8 held[32], swap[32];
	g_assert (size <= sizeof held);
	if (a->len < 2)
		return;
	guint8 *base = (guint8 *) a->data;
	g_autofree guint *start = g_new0 (guint, 65536 + 1);
	for (guint i = 0; i < a->len; i++)
		start[digest_bucket (base + i * size) + 1]++;
	for (guint b = 0; b < 65536; b++)
		start[b + 1] += start[b];
	/* [start[b], next[b]) holds bucket b's entries already placed. */
	g_autofree guint *next = g_memdup2 (start, 65536 * sizeof *start);
	for (guint b = 0; b < 65536; b++) {
		while (next[b] < start[b + 1]) {
			guint8 *slot = base + next[b] * size;
			guint d = digest_bucket (slot);
			if (d != b) {
				/* Carry the entry to its bucket, and the one it displaces
				 * to its own, until one of bucket b comes back. */
				memcpy (held, slot, size);
				while (d != b) {
					guint8 *to = base + next[d]++ * size;
					memcpy (swap, to, size);
					memcpy (to, held, size);
					memcpy (held, swap, size);
					d = digest_bucket (held);
				}
				memcpy (slot, held, size);
			}
			next[b]++;
		}
	}
	for (guint b = 0; b < 65536; b++)
		if (start[b + 1] - start[b] > 1)
			g_qsort_with_data (base + start[b] * size, (gint) (start[b + 1] - start[b]), size, cmp, NULL);
}

/* Writes the batch's index entries in index order. */
static void
write_pending (SentLogImport *im)
{
	GArray *ids = im->pending_ids, *rcpts = im->pending_rcpts;
	sort_by_digest (ids, pending_id_cmp);
	sqlite3_stmt *s = stmt (im->log, ST_MSGID_INSERT, NULL);
	for (guint i = 0; i < ids->len && !im->failed; i++) {
		const PendingId *p = &g_array_index (ids, PendingId, i);
		sqlite3_bind_blob (s, 1, p->key, sizeof p->key, SQLITE_STATIC);
		sqlite3_bind_int64 (s, 2, p->id);
		if (sqlite3_step (s) != SQLITE_DONE)
			import_failed (im, "adding a Message-ID");
		sqlite3_reset (s);
	}
	sort_by_digest (rcpts, pending_rcpt_cmp);
	s = stmt (im->log, ST_RCPT_INSERT, NULL);
	for (guint i = 0; i < rcpts->len && !im->failed; i++) {
		const PendingRcpt *p = &g_array_index (rcpts, PendingRcpt, i);
		sqlite3_bind_blob (s, 1, p->pair, sizeof p->pair, SQLITE_STATIC);
		sqlite3_bind_int64 (s, 2, p->message);
		if (sqlite3_step (s) != SQLITE_DONE)
			import_failed (im, "adding a recipient");
		sqlite3_reset (s);
	}
	g_array_set_size (ids, 0);
	g_array_set_size (rcpts, 0);
}

/* A row written before learnt its Message-ID, or another (the update of
 * the row sets it): its entry in message_ids follows, the old one goes,
 * also from the batch's pending entries. */
static void
replace_message_id (SentLogImport *im, OpenRow *row)
{
	guint8 key[SENTLOG_KEY_LEN];
	import_id_key (im, row->message_id, key);
	if (row->has_stored_id && memcmp (key, row->stored_id, sizeof key) == 0)
		return;
	if (row->has_stored_id) {
		GArray *ids = im->pending_ids;
		for (guint i = ids->len; i > 0; i--) {
			const PendingId *p = &g_array_index (ids, PendingId, i - 1);
			if (p->id == row->id && memcmp (p->key, row->stored_id, sizeof p->key) == 0)
				g_array_remove_index_fast (ids, i - 1);
		}
		sqlite3_stmt *s = stmt (im->log, ST_MSGID_DELETE, NULL);
		sqlite3_bind_blob (s, 1, row->stored_id, sizeof row->stored_id, SQLITE_STATIC);
		sqlite3_bind_int64 (s, 2, row->id);
		if (sqlite3_step (s) != SQLITE_DONE)
			import_failed (im, "replacing a Message-ID");
		sqlite3_reset (s);
	}
	PendingId p = { .id = row->id };
	memcpy (p.key, key, sizeof key);
	g_array_append_val (im->pending_ids, p);
	memcpy (row->stored_id, key, sizeof key);
	row->has_stored_id = TRUE;
}

/* Writes what the row learnt since its last write; open: whether its
 * queue ID is still in use. */
static void
flush_row (SentLogImport *im, OpenRow *row, gboolean open)
{
	if (row->id < 0) {
		if (row->message_id)
			import_id_key (im, row->message_id, row->stored_id);
		row->id = insert_message (im, row->time, row->server, row->queue_id,
		                          row->message_id ? row->stored_id : NULL, row->sender, row->origin, open);
		if (row->id < 0)
			return;
		row->has_stored_id = row->message_id != NULL;
	} else if (row->dirty || !open) {
		if (row->message_id)
			replace_message_id (im, row);
		sqlite3_stmt *s = stmt (im->log, ST_MSG_UPDATE, NULL);
		sqlite3_bind_int64 (s, 1, row->id);
		if (row->message_id)
			sqlite3_bind_blob (s, 2, row->stored_id, sizeof row->stored_id, SQLITE_STATIC);
		else
			sqlite3_bind_null (s, 2);
		bind_sender (im, s, 3, row->sender);
		sqlite3_bind_int (s, 4, row->origin);
		sqlite3_bind_int (s, 5, open);
		if (sqlite3_step (s) != SQLITE_DONE)
			import_failed (im, "updating a message");
		im->changes++;
	}
	row->dirty = FALSE;
	/* A recipient is written with the sender known by then: logs name
	 * the sender first (from= before to=, <= before =>). */
	for (guint i = 0; i < row->rcpts->len; i++)
		add_recipient (im, row->id, row->sender, g_ptr_array_index (row->rcpts, i));
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
	if (im->failed || (ev->server == NULL && ev->type != LOG_EVENT_LOSS) || !in_transaction (im))
		return;
	/* A notice of lost lines of a host the log does not know (a central
	 * log host's own, a host that is no MTA) concerns no server of ours:
	 * it must not add one, which every later interval would need. */
	gboolean loss = ev->type == LOG_EVENT_LOSS;
	Cover *cv = ev->server ? server_cover (im, ev->server, !loss) : NULL;
	if (ev->server && cv == NULL)
		return;
	if (loss) {
		lose (im, cv, ev);
		return;
	}
	cover (im, cv, ev->time);
	gint64 server = cv->server;
	const char *delimiters = im->config->recipient_delimiter;

	if (ev->type == LOG_EVENT_RECORD) {
		g_autofree char *id = msgid_normalise (ev->message_id);
		g_autofree char *sender = address_normalise (ev->sender, delimiters);
		/* A record delivered twice: the same queue ID, time and
		 * Message-ID as one lately. */
		guint8 key[SENTLOG_KEY_LEN];
		if (id)
			import_id_key (im, id, key);
		if (ev->queue_id) {
			const DoneRow *d = g_hash_table_lookup (im->done, open_key (im, server, ev->queue_id));
			if (d && d->time == ev->time && d->has_message_id == (id != NULL) &&
			    (id == NULL || memcmp (d->message_id, key, sizeof key) == 0))
				return;
		}
		gint64 row = insert_message (im, ev->time, server, ev->queue_id, id ? key : NULL, sender, ev->origin, FALSE);
		if (row >= 0 && ev->queue_id)
			remember_done (im, im->key->str, row, ev->time, ev->time, id ? key : NULL, sender);
		for (guint i = 0; row >= 0 && ev->recipients && ev->recipients[i]; i++) {
			g_autofree char *norm = address_normalise (ev->recipients[i], delimiters);
			if (norm && norm[0])
				add_recipient (im, row, sender, norm);
		}
		return;
	}
	if (ev->queue_id == NULL)
		return;

	if (ev->type == LOG_EVENT_ENTER) {
		LogOrigin origin = judge_origin (im, ev);
		OpenRow *row = open_lookup (im, server, ev->queue_id);
		/* A second ENTER line of one message (Sendmail's AUTH line, a
		 * message split across two imports or set aside) names its
		 * origin again; otherwise a queue ID entering is a new message,
		 * even if an old row with that ID was never closed: queue IDs
		 * are reused. */
		if (row == NULL && (row = find_open (im, server, ev->queue_id, ev->time, 3600)))
			open_add (im, row);
		if (row == NULL && repeats_done (im, ev))
			return;
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
		open_add (im, open_row_new (-1, ev->time, server, ev->queue_id, origin));
		return;
	}

	/* A queue ID not open: a line delivered twice of a message done
	 * lately, or a log that starts mid-message. */
	OpenRow *row = existing_row (im, server, ev->queue_id, ev->time);
	if (row == NULL) {
		if (repeats_done (im, ev))
			return;
		row = open_add (im, open_row_new (-1, ev->time, server, ev->queue_id, LOG_ORIGIN_UNKNOWN));
	}
	switch (ev->type) {
	case LOG_EVENT_MESSAGE_ID:
		set_text (&row->message_id, msgid_normalise (ev->message_id), &row->dirty);
		break;
	case LOG_EVENT_SENDER: {
		char *sender = address_normalise (ev->sender, delimiters);
		set_text (&row->sender, sender ? sender : g_strdup (""), &row->dirty);
		break;
	}
	case LOG_EVENT_RECIPIENT: {
		char *norm = address_normalise (ev->recipient, delimiters);
		if (norm && norm[0])
			g_ptr_array_add (row->rcpts, norm);
		else
			g_free (norm);
		break;
	}
	case LOG_EVENT_DONE:
		flush_row (im, row, FALSE);
		/* flush_row left the row's digest in stored_id */
		if (row->id >= 0)
			remember_done (im, open_key (im, server, ev->queue_id), row->id, row->time, ev->time,
			               row->message_id ? row->stored_id : NULL, row->sender);
		open_remove (im, row);
		break;
	default:
		break;
	}
}

void
sentlog_import_bad_line (SentLogImport *im)
{
	im->bad_lines++;
	/* Whatever server the line was of, its span is cut here. */
	cut_all (im);
}

void
sentlog_digest (const void *data, gsize len, guint8 out[SENTLOG_DIGEST_LEN])
{
	g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
	g_checksum_update (sum, data, len);
	gsize n = SENTLOG_DIGEST_LEN;
	g_checksum_get_digest (sum, out, &n);
}

/* One row of ST_SOURCE_FIND or ST_SOURCE_LEGACY (with_tail: the first). */
static SentLogSource
source_row (sqlite3_stmt *s, gboolean with_tail)
{
	SentLogSource src = { .id = sqlite3_column_int64 (s, 0), .offset = sqlite3_column_int64 (s, 2),
		              .lines = sqlite3_column_int64 (s, 3), .cuts = sqlite3_column_int64 (s, 4) };
	g_strlcpy (src.fingerprint, (const char *) sqlite3_column_text (s, 1), sizeof src.fingerprint);
	if (with_tail) {
		src.tail_len = (gsize) sqlite3_column_int64 (s, 5);
		if (sqlite3_column_bytes (s, 6) == SENTLOG_DIGEST_LEN)
			memcpy (src.tail, sqlite3_column_blob (s, 6), SENTLOG_DIGEST_LEN);
	}
	return src;
}

GArray *
sentlog_find_sources (SentLog *log, const guint8 *head, gsize head_len, const char *first_line,
                      GError **error)
{
	g_return_val_if_fail (log->writable, NULL);
	g_autoptr (GArray) found = g_array_new (FALSE, TRUE, sizeof (SentLogSource));
	g_autoptr (GArray) lengths = g_array_new (FALSE, FALSE, sizeof (gint64));
	sqlite3_stmt *s = stmt (log, ST_SOURCE_LENGTHS, NULL);
	sqlite3_bind_int64 (s, 1, (gint64) MIN (head_len, (gsize) NS_SOURCE_ID_BYTES));
	int rc;
	while ((rc = sqlite3_step (s)) == SQLITE_ROW) {
		gint64 n = sqlite3_column_int64 (s, 0);
		g_array_append_val (lengths, n);
	}
	sqlite3_reset (s);
	/* Each length of first bytes known: the sources that begin as this
	 * one does, the longest match first. */
	for (guint i = 0; rc == SQLITE_DONE && i < lengths->len; i++) {
		gint64 n = g_array_index (lengths, gint64, i);
		guint8 digest[SENTLOG_DIGEST_LEN];
		sentlog_digest (head, n, digest);
		s = stmt (log, ST_SOURCE_FIND, NULL);
		sqlite3_bind_int64 (s, 1, n);
		sqlite3_bind_blob (s, 2, digest, sizeof digest, SQLITE_TRANSIENT);
		while ((rc = sqlite3_step (s)) == SQLITE_ROW) {
			SentLogSource src = source_row (s, TRUE);
			src.head_len = n;
			g_array_append_val (found, src);
		}
		sqlite3_reset (s);
	}
	/* Checkpoints of schema 2 or older know the first line only. */
	if (rc == SQLITE_DONE && first_line) {
		g_autofree char *legacy = g_compute_checksum_for_string (G_CHECKSUM_SHA256, first_line, -1);
		s = stmt (log, ST_SOURCE_LEGACY, NULL);
		bind_text (s, 1, legacy);
		while ((rc = sqlite3_step (s)) == SQLITE_ROW) {
			SentLogSource src = source_row (s, FALSE);
			g_array_append_val (found, src);
		}
		sqlite3_reset (s);
	}
	if (rc != SQLITE_DONE) {
		db_error (log, error, "reading the checkpoints");
		return NULL;
	}
	return g_steal_pointer (&found);
}

gboolean
sentlog_new_source (SentLog *log, const guint8 *head, gsize head_len, SentLogSource *out, GError **error)
{
	g_return_val_if_fail (log->writable, FALSE);
	memset (out, 0, sizeof *out);
	out->id = -1;
	guint8 digest[SENTLOG_DIGEST_LEN];
	sentlog_digest (head, MIN (head_len, (gsize) NS_SOURCE_ID_BYTES), digest);
	g_autofree char *hex = g_strnfill (2 * SENTLOG_DIGEST_LEN, '0');
	for (guint i = 0; i < SENTLOG_DIGEST_LEN; i++)
		g_snprintf (hex + 2 * i, 3, "%02x", digest[i]);
	/* Two sources may begin alike (one read only up to where the other
	 * differs): the first free name. */
	for (guint n = 1; n < 10000; n++) {
		if (n == 1)
			g_strlcpy (out->fingerprint, hex, sizeof out->fingerprint);
		else
			g_snprintf (out->fingerprint, sizeof out->fingerprint, "%s-%u", hex, n);
		sqlite3_stmt *s = stmt (log, ST_SOURCE_TAKEN, NULL);
		bind_text (s, 1, out->fingerprint);
		int rc = sqlite3_step (s);
		gboolean taken = rc == SQLITE_ROW && sqlite3_column_int64 (s, 0) > 0;
		sqlite3_reset (s);
		if (rc != SQLITE_ROW) {
			db_error (log, error, "reading the checkpoints");
			return FALSE;
		}
		if (!taken)
			return TRUE;
	}
	g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_FAILED, "%s: too many sources begin alike", log->path);
	return FALSE;
}

SentLogImport *
sentlog_import_begin (SentLog *log, const Config *config, const char *name, const SentLogSource *source,
                      GError **error)
{
	g_return_val_if_fail (log->writable, NULL);
	g_autoptr (SentLogImport) im = g_new0 (SentLogImport, 1);
	im->log = log;
	im->config = config;
	im->name = g_strdup (name);
	im->fingerprint = source ? g_strdup (source->fingerprint) : NULL;
	im->source = source ? source->id : -1;
	im->cuts_before = source ? source->cuts : 0;
	im->servers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
	im->open = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, open_row_free);
	im->done = g_hash_table_new (g_str_hash, g_str_equal);
	im->done_ring = g_new0 (DoneRow, NS_SENTLOG_RECENT_DONE);
	for (guint i = 0; i < NS_SENTLOG_RECENT_DONE; i++) {
		im->done_ring[i].key = g_string_new (NULL);
		im->done_ring[i].sender = g_string_new (NULL);
	}
	im->senders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
	g_queue_init (&im->lru);
	im->max_open = NS_SENTLOG_MAX_OPEN;
	im->max_gap = config->max_gap;
	im->key = g_string_new (NULL);
	im->pending_ids = g_array_new (FALSE, FALSE, sizeof (PendingId));
	im->sum = g_checksum_new (G_CHECKSUM_SHA256);
	im->pending_rcpts = g_array_new (FALSE, FALSE, sizeof (PendingRcpt));
	recall_done (im);
	return g_steal_pointer (&im);
}

/* Writes the checkpoint row of the source (a new one at the first). */
static gboolean
write_source (SentLogImport *im, const SentLogPosition *at)
{
	guint8 head[SENTLOG_DIGEST_LEN], tail[SENTLOG_DIGEST_LEN];
	gsize head_len = MIN (at->head_len, (gsize) NS_SOURCE_ID_BYTES);
	gsize tail_len = MIN (at->tail_len, (gsize) NS_SOURCE_ID_BYTES);
	sentlog_digest (at->head, head_len, head);
	sentlog_digest (at->tail, tail_len, tail);
	sqlite3_stmt *s = stmt (im->log, im->source < 0 ? ST_SOURCE_INSERT : ST_SOURCE_UPDATE, NULL);
	sqlite3_bind_int64 (s, 1, (gint64) head_len);
	sqlite3_bind_blob (s, 2, head, sizeof head, SQLITE_TRANSIENT);
	sqlite3_bind_int64 (s, 3, (gint64) tail_len);
	sqlite3_bind_blob (s, 4, tail, sizeof tail, SQLITE_TRANSIENT);
	bind_text (s, 5, im->name);
	sqlite3_bind_int64 (s, 6, at->offset);
	sqlite3_bind_int64 (s, 7, at->lines);
	sqlite3_bind_int64 (s, 8, (gint64) im->bad_lines);
	sqlite3_bind_int64 (s, 9, im->cuts);
	if (im->source < 0)
		bind_text (s, 10, im->fingerprint);
	else
		sqlite3_bind_int64 (s, 10, im->source);
	if (sqlite3_step (s) != SQLITE_DONE)
		return FALSE;
	if (im->source < 0)
		im->source = sqlite3_last_insert_rowid (im->log->db);
	return TRUE;
}

/* Drops the batch, and what was cached of rows it added. */
static void
roll_back (SentLogImport *im)
{
	exec (im->log, "ROLLBACK", NULL);
	g_hash_table_remove_all (im->senders);
	g_array_set_size (im->pending_ids, 0);
	g_array_set_size (im->pending_rcpts, 0);
}

gboolean
sentlog_import_checkpoint (SentLogImport *im, const SentLogPosition *at, GError **error)
{
	SentLog *log = im->log;
	if (!in_transaction (im)) {
		g_propagate_error (error, g_steal_pointer (&im->error));
		return FALSE;
	}
	if (im->failed) {
		roll_back (im);
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
	write_pending (im);
	if (im->failed) {
		roll_back (im);
		g_propagate_error (error, g_steal_pointer (&im->error));
		return FALSE;
	}
	/* Coverage: a loss since the last checkpoint ends every span of the
	 * source that this import has not taken up since (it goes on at the
	 * next line, if any, in a new span). */
	if (im->cut_pending) {
		sqlite3_stmt *s = stmt (log, ST_SPAN_CUT_SOURCE, NULL);
		bind_text (s, 1, im->fingerprint);
		if (sqlite3_step (s) != SQLITE_DONE)
			import_failed (im, "recording coverage");
	}
	g_hash_table_iter_init (&it, im->servers);
	while (g_hash_table_iter_next (&it, &key, &value)) {
		Cover *cv = value;
		if (!cv->open)
			continue;
		if (cut_since (im, cv))
			close_span (im, cv, TRUE);
		else if (cv->dirty || im->cut_pending)
			write_span (im, cv, FALSE);
	}
	if (im->failed) {
		roll_back (im);
		g_propagate_error (error, g_steal_pointer (&im->error));
		return FALSE;
	}
	/* log record has no source to remember. */
	gint64 source = im->source;
	if (im->fingerprint && !write_source (im, at)) {
		db_error (log, error, "recording the checkpoint");
		roll_back (im);
		im->source = source;
		return FALSE;
	}
	reset_all (log);
	/* The rows and the checkpoint, together or not at all. The next
	 * transaction starts with the next write, so a follower waiting for
	 * lines holds no lock. */
	if (!exec (log, "COMMIT", error)) {
		g_hash_table_remove_all (im->senders);
		im->source = source;
		return FALSE;
	}
	im->bad_lines = 0;
	im->cuts_before += im->cuts;
	im->cuts = 0;
	im->cut_pending = FALSE;
	return TRUE;
}

gboolean
sentlog_import_full (SentLogImport *im)
{
	return im->pending_ids->len + im->pending_rcpts->len >= NS_SENTLOG_BATCH_ENTRIES;
}

guint64
sentlog_import_messages (SentLogImport *im)
{
	return im->changes;
}

guint64
sentlog_import_set_aside (SentLogImport *im)
{
	return im->set_aside;
}

void
sentlog_import_set_max_open (SentLogImport *im, guint max_open)
{
	g_return_if_fail (g_hash_table_size (im->open) == 0);
	im->max_open = MAX (max_open, 1u);
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
	g_clear_pointer (&im->done, g_hash_table_unref);
	for (guint i = 0; im->done_ring && i < NS_SENTLOG_RECENT_DONE; i++) {
		g_string_free (im->done_ring[i].key, TRUE);
		g_string_free (im->done_ring[i].sender, TRUE);
	}
	g_free (im->done_ring);
	g_clear_pointer (&im->senders, g_hash_table_unref);
	g_clear_pointer (&im->pending_ids, g_array_unref);
	g_clear_pointer (&im->sum, g_checksum_free);
	g_clear_pointer (&im->pending_rcpts, g_array_unref);
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
	g_clear_pointer (&m->sender, g_free);
	m->found = FALSE;
}

/* The first SENTLOG_KEY_LEN bytes of the SHA-256 digest of a, a NUL
 * byte and b (b NULL: of a alone); callers keep as many as they store. */
static void
key_of (GChecksum *reuse, const char *a, const char *b, guint8 out[SENTLOG_KEY_LEN])
{
	g_autoptr (GChecksum) own = reuse ? NULL : g_checksum_new (G_CHECKSUM_SHA256);
	GChecksum *sum = reuse ? reuse : own;
	g_checksum_update (sum, (const guchar *) a, (gssize) strlen (a));
	if (b) {
		g_checksum_update (sum, (const guchar *) "", 1);
		g_checksum_update (sum, (const guchar *) b, (gssize) strlen (b));
	}
	guint8 digest[SENTLOG_DIGEST_LEN];
	gsize n = sizeof digest;
	g_checksum_get_digest (sum, digest, &n);
	memcpy (out, digest, SENTLOG_KEY_LEN);
	if (reuse)
		g_checksum_reset (reuse);
}

void
sentlog_message_id_key (const char *normal, guint8 out[SENTLOG_KEY_LEN])
{
	key_of (NULL, normal, NULL, out);
}

void
sentlog_pair_key (const char *sender, const char *recipient, guint8 out[SENTLOG_KEY_LEN])
{
	key_of (NULL, sender ? sender : "", recipient, out);
}

static gboolean
fill_match (SentLog *log, sqlite3_stmt *s, SentLogMatch *out, GError **error)
{
	sentlog_match_clear (out);
	int rc = sqlite3_step (s);
	if (rc == SQLITE_ROW && sqlite3_column_type (s, 0) != SQLITE_NULL) {
		out->found = TRUE;
		out->time = sqlite3_column_int64 (s, 0);
		out->server = column_text (s, 1);
		out->queue_id = column_text (s, 2);
		out->sender = column_text (s, 3);
		out->origin = sqlite3_column_int (s, 4);
	}
	sqlite3_reset (s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error (log, error, "looking up");
	if (!still_alone (log, error)) {
		sentlog_match_clear (out);
		return FALSE;
	}
	return TRUE;
}

gboolean
sentlog_lookup_message_id (SentLog *log, const char *message_id, SentLogMatch *out, GError **error)
{
	g_autofree char *id = msgid_normalise (message_id);
	sentlog_match_clear (out);
	if (id == NULL)
		return TRUE;
	sqlite3_stmt *s = stmt (log, ST_LOOKUP_ID, error);
	if (s == NULL)
		return FALSE;
	guint8 key[SENTLOG_KEY_LEN];
	sentlog_message_id_key (id, key);
	sqlite3_bind_blob (s, 1, key, sizeof key, SQLITE_TRANSIENT);
	if (!fill_match (log, s, out, error))
		return FALSE;
	memcpy (out->key, key, sizeof key);
	out->key_len = SENTLOG_KEY_LEN;
	return TRUE;
}

gboolean
sentlog_lookup_recipient (SentLog *log, const char *sender, const char *recipient, gint64 from,
                          gint64 to, SentLogMatch *out, GError **error)
{
	sentlog_match_clear (out);
	sqlite3_stmt *s = stmt (log, ST_LOOKUP_RCPT, error);
	if (s == NULL)
		return FALSE;
	guint8 key[SENTLOG_KEY_LEN];
	sentlog_pair_key (sender, recipient, key);
	sqlite3_bind_blob (s, 1, key, SENTLOG_PAIR_KEY_LEN, SQLITE_TRANSIENT);
	bind_text (s, 2, sender);
	sqlite3_bind_int64 (s, 3, from);
	sqlite3_bind_int64 (s, 4, to);
	if (!fill_match (log, s, out, error))
		return FALSE;
	memcpy (out->key, key, sizeof key);
	out->key_len = SENTLOG_PAIR_KEY_LEN;
	return TRUE;
}

static gint
match_by_time (gconstpointer a, gconstpointer b)
{
	const SentLogMatch *x = a, *y = b;
	return (x->time > y->time) - (x->time < y->time);
}

/* Appends every row of the stepped statement s to rows. */
static gboolean
grep_rows (SentLog *log, sqlite3_stmt *s, const guint8 *key, guint key_len, GArray *rows, GError **error)
{
	int rc;
	while ((rc = sqlite3_step (s)) == SQLITE_ROW) {
		SentLogMatch m = { .found = TRUE, .time = sqlite3_column_int64 (s, 0), .server = column_text (s, 1),
			           .queue_id = column_text (s, 2), .sender = column_text (s, 3),
			           .origin = sqlite3_column_int (s, 4) };
		memcpy (m.key, key, key_len);
		m.key_len = key_len;
		g_array_append_val (rows, m);
	}
	sqlite3_reset (s);
	return rc == SQLITE_DONE || db_error (log, error, "searching");
}

gboolean
sentlog_grep (SentLog *log, const char *message_id, const char *recipient, SentLogGrepFunc each,
              gpointer user_data, guint64 *count, GError **error)
{
	g_autoptr (GArray) rows = g_array_new (FALSE, FALSE, sizeof (SentLogMatch));
	g_array_set_clear_func (rows, (GDestroyNotify) sentlog_match_clear);
	guint8 key[SENTLOG_KEY_LEN];
	sqlite3_stmt *s;
	*count = 0;
	if (message_id) {
		g_autofree char *id = msgid_normalise (message_id);
		if (id == NULL)
			return TRUE;
		if ((s = stmt (log, ST_GREP_ID, error)) == NULL)
			return FALSE;
		sentlog_message_id_key (id, key);
		sqlite3_bind_blob (s, 1, key, sizeof key, SQLITE_TRANSIENT);
		if (!grep_rows (log, s, key, SENTLOG_KEY_LEN, rows, error))
			return FALSE;
	} else {
		/* The digest holds the sender: each sender's, and that of an
		 * unknown one (senders are our users: few). */
		g_autoptr (GArray) senders = g_array_new (FALSE, FALSE, sizeof (gint64));
		g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
		if ((s = stmt (log, ST_SENDERS_ALL, error)) == NULL)
			return FALSE;
		int rc;
		while ((rc = sqlite3_step (s)) == SQLITE_ROW) {
			gint64 id = sqlite3_column_int64 (s, 0);
			g_array_append_val (senders, id);
			g_ptr_array_add (names, column_text (s, 1));
		}
		sqlite3_reset (s);
		if (rc != SQLITE_DONE)
			return db_error (log, error, "searching");
		for (guint i = 0; i < senders->len; i++) {
			if ((s = stmt (log, ST_GREP_RCPT, error)) == NULL)
				return FALSE;
			sentlog_pair_key (g_ptr_array_index (names, i), recipient, key);
			sqlite3_bind_blob (s, 1, key, SENTLOG_PAIR_KEY_LEN, SQLITE_TRANSIENT);
			if (g_ptr_array_index (names, i))
				sqlite3_bind_int64 (s, 2, g_array_index (senders, gint64, i));
			if (!grep_rows (log, s, key, SENTLOG_PAIR_KEY_LEN, rows, error))
				return FALSE;
		}
		g_array_sort (rows, match_by_time);
	}
	if (!still_alone (log, error))
		return FALSE;
	for (guint i = 0; i < rows->len; i++)
		each (&g_array_index (rows, SentLogMatch, i), user_data);
	*count = rows->len;
	return TRUE;
}

/* Joins spans given in order of their first line into the spans a reader
 * counts as covered: overlapping ones always, ones within max_gap of each
 * other unless lines were lost between them (doc/design.md "Coverage"). */
typedef struct {
	gint64 max_gap;
	gboolean have;
	SentLogSpan span;       /* the joined span so far */
	gboolean cut_after;     /* lines were lost after its last line */
} Joiner;

/* Adds one span. Returns TRUE when it does not join the span so far,
 * which is then complete: *done receives it, and the new one starts. */
static gboolean
joiner_add (Joiner *j, gint64 first, gint64 last, gboolean cut_before, gboolean cut_after,
            SentLogSpan *done)
{
	if (j->have && (first <= j->span.last ||
	                (first - j->span.last <= j->max_gap && !j->cut_after && !cut_before))) {
		if (last > j->span.last) {
			j->span.last = last;
			j->cut_after = cut_after;
		} else if (last == j->span.last)
			j->cut_after |= cut_after;
		return FALSE;
	}
	gboolean complete = j->have;
	if (complete)
		*done = j->span;
	j->have = TRUE;
	j->span.first = first;
	j->span.last = last;
	j->cut_after = cut_after;
	return complete;
}

static void
server_coverage_free (gpointer data)
{
	SentLogServerCoverage *sc = data;
	g_free (sc->server);
	g_free (sc);
}

void
sentlog_coverage_clear (SentLogCoverage *c)
{
	g_clear_pointer (&c->servers, g_ptr_array_unref);
	c->covered = FALSE;
}

/* One server's coverage of [from, to]: the joined spans near it, then
 * the one that holds `from` and how far it goes. */
static gboolean
server_coverage (SentLog *log, gint64 id, gint64 from, gint64 to, gint64 max_gap,
                 SentLogServerCoverage *sc, GError **error)
{
	sqlite3_stmt *s = stmt (log, ST_SPANS_NEAR, error);
	if (s == NULL)
		return FALSE;
	sqlite3_bind_int64 (s, 1, id);
	sqlite3_bind_int64 (s, 2, from - max_gap);
	sqlite3_bind_int64 (s, 3, to + max_gap);
	g_autoptr (GArray) joined = g_array_new (FALSE, FALSE, sizeof (SentLogSpan));
	Joiner j = { .max_gap = max_gap };
	SentLogSpan done;
	int rc;
	while ((rc = sqlite3_step (s)) == SQLITE_ROW)
		if (joiner_add (&j, sqlite3_column_int64 (s, 0), sqlite3_column_int64 (s, 1),
		                sqlite3_column_int (s, 2), sqlite3_column_int (s, 3), &done))
			g_array_append_val (joined, done);
	sqlite3_reset (s);
	if (rc != SQLITE_DONE)
		return db_error (log, error, "reading coverage");
	if (j.have)
		g_array_append_val (joined, j.span);

	const SentLogSpan *holder = NULL;
	for (guint i = 0; i < joined->len && !holder; i++) {
		const SentLogSpan *js = &g_array_index (joined, SentLogSpan, i);
		if (js->first <= from && from <= js->last)
			holder = js;
	}
	if (holder) {
		sc->span = *holder;
		sc->covered = holder->last >= to;
	}
	if (sc->covered) {
		/* Lines a syslog daemon said it dropped, in any source. */
		if ((s = stmt (log, ST_HOLE_FIND, error)) == NULL)
			return FALSE;
		sqlite3_bind_int64 (s, 1, id);
		sqlite3_bind_int64 (s, 2, from);
		sqlite3_bind_int64 (s, 3, to);
		rc = sqlite3_step (s);
		if (rc == SQLITE_ROW) {
			sc->covered = FALSE;
			sc->gap.first = MAX (from, sqlite3_column_int64 (s, 0));
			sc->gap.last = MIN (to, sqlite3_column_int64 (s, 1));
		}
		sqlite3_reset (s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return db_error (log, error, "reading coverage");
		return TRUE;
	}
	/* The first stretch the log lacks: from the end of the holder (or
	 * the start) to the next joined span (or the end). */
	sc->gap.first = holder ? holder->last : from;
	sc->gap.last = to;
	for (guint i = 0; i < joined->len; i++) {
		const SentLogSpan *js = &g_array_index (joined, SentLogSpan, i);
		if (js->first > sc->gap.first) {
			sc->gap.last = MIN (to, js->first);
			break;
		}
	}
	return TRUE;
}

gboolean
sentlog_coverage (SentLog *log, gint64 from, gint64 to, const char *const *servers, gint64 max_gap,
                  SentLogCoverage *out, GError **error)
{
	sentlog_coverage_clear (out);
	out->from = from;
	out->to = to;
	out->servers = g_ptr_array_new_with_free_func (server_coverage_free);
	/* The servers judged: the listed ones, else every one in the log. */
	g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
	int rc;
	if (servers && servers[0]) {
		for (guint i = 0; servers[i]; i++) {
			SentLogServerCoverage *sc = g_new0 (SentLogServerCoverage, 1);
			sc->server = g_strdup (servers[i]);
			g_ptr_array_add (out->servers, sc);
			sqlite3_stmt *s = stmt (log, ST_SERVER_FIND, error);
			if (s == NULL)
				return FALSE;
			bind_text (s, 1, servers[i]);
			gint64 id = -1;
			if ((rc = sqlite3_step (s)) == SQLITE_ROW) {
				id = sqlite3_column_int64 (s, 0);
				sc->retired = sqlite3_column_int64 (s, 1);
			}
			sqlite3_reset (s);
			if (rc != SQLITE_ROW && rc != SQLITE_DONE)
				return db_error (log, error, "reading coverage");
			g_array_append_val (ids, id);
		}
	} else {
		sqlite3_stmt *s = stmt (log, ST_SERVERS_ALL, error);
		if (s == NULL)
			return FALSE;
		while ((rc = sqlite3_step (s)) == SQLITE_ROW) {
			SentLogServerCoverage *sc = g_new0 (SentLogServerCoverage, 1);
			gint64 id = sqlite3_column_int64 (s, 0);
			sc->server = column_text (s, 1);
			sc->retired = sqlite3_column_int64 (s, 2);
			g_ptr_array_add (out->servers, sc);
			g_array_append_val (ids, id);
		}
		sqlite3_reset (s);
		if (rc != SQLITE_DONE)
			return db_error (log, error, "reading coverage");
	}
	gboolean any = FALSE, all = TRUE;
	for (guint i = 0; i < out->servers->len; i++) {
		SentLogServerCoverage *sc = g_ptr_array_index (out->servers, i);
		gint64 id = g_array_index (ids, gint64, i);
		sc->required = !(sc->retired && sc->retired <= from);
		if (id >= 0 && !server_coverage (log, id, from, to, max_gap, sc, error))
			return FALSE;
		if (id < 0) {
			sc->gap.first = from; /* a listed server with no log */
			sc->gap.last = to;
		}
		if (sc->required) {
			any = TRUE;
			all &= sc->covered;
		}
	}
	if (!still_alone (log, error))
		return FALSE;
	out->covered = any && all;
	return TRUE;
}

/* ---- maintenance ---- */

/* Removes a copy being made and what SQLite may have left beside it. */
static void
remove_copy (const char *tmp)
{
	static const char *const suffixes[] = { "", "-journal", "-wal", "-shm" };
	for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++) {
		g_autofree char *p = g_strconcat (tmp, suffixes[i], NULL);
		(void) unlink (p);
	}
}

gboolean
sentlog_backup (SentLog *log, const char *dest, GError **error)
{
	struct stat db, st;
	if (stat (log->path, &db) != 0) {
		int e = errno;
		g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_FAILED, "%s: %s", log->path, g_strerror (e));
		return FALSE;
	}
	if (stat (dest, &st) == 0 && (S_ISDIR (st.st_mode) || (st.st_dev == db.st_dev && st.st_ino == db.st_ino))) {
		g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_FAILED, "%s: %s", dest,
		             S_ISDIR (st.st_mode) ? "a directory: give the copy's file name" : "the sent log itself");
		return FALSE;
	}
	/* A new file beside dest (never an existing one, never through a
	 * link), renamed over it when whole. */
	g_autofree char *tmp = g_strconcat (dest, ".XXXXXX", NULL);
	int fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, db.st_mode & 0666);
	if (fd < 0) {
		int e = errno;
		g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_FAILED, "%s: %s", dest, g_strerror (e));
		return FALSE;
	}
	sqlite3 *copy = NULL;
	const char *failed = NULL;
	int rc = fchmod (fd, db.st_mode & 0666) == 0 ? SQLITE_OK : SQLITE_CANTOPEN;
	if (rc != SQLITE_OK)
		failed = g_strerror (errno);
	else if ((rc = sqlite3_open_v2 (tmp, &copy, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL)) == SQLITE_OK) {
		/* One step: every page in one read transaction of the log, a
		 * consistent snapshot while an importer writes. */
		sqlite3_backup *b = sqlite3_backup_init (copy, "main", log->db, "main");
		for (int tries = 0; b && tries < 100; tries++) {
			rc = sqlite3_backup_step (b, -1);
			if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
				break;
			g_usleep (G_USEC_PER_SEC / 10);
		}
		if (b == NULL || sqlite3_backup_finish (b) != SQLITE_OK || rc != SQLITE_DONE)
			failed = sqlite3_errmsg (copy);
	}
	if (failed == NULL && copy) {
		/* Readers of a copy need no -wal or -shm: rollback mode. */
		sqlite3_stmt *s = NULL;
		if (sqlite3_prepare_v2 (copy, "PRAGMA journal_mode = DELETE", -1, &s, NULL) != SQLITE_OK ||
		    sqlite3_step (s) != SQLITE_ROW || g_ascii_strcasecmp ((const char *) sqlite3_column_text (s, 0), "delete") != 0)
			failed = "cannot leave WAL mode";
		sqlite3_finalize (s);
	}
	g_autofree char *why = g_strdup (failed ? failed : copy ? NULL : sqlite3_errstr (rc));
	if (copy && sqlite3_close (copy) != SQLITE_OK && why == NULL)
		why = g_strdup ("closing the copy");
	if (why == NULL && fsync (fd) != 0)
		why = g_strdup (g_strerror (errno));
	close (fd);
	if (why == NULL) {
		/* Stale WAL or journal files of an older copy would be read
		 * into this one by the next reader. */
		static const char *const stale[] = { "-wal", "-shm", "-journal" };
		for (guint i = 0; i < G_N_ELEMENTS (stale); i++) {
			g_autofree char *p = g_strconcat (dest, stale[i], NULL);
			if (unlink (p) != 0 && errno != ENOENT && why == NULL)
				why = g_strdup_printf ("%s: %s", p, g_strerror (errno));
		}
	}
	if (why == NULL && rename (tmp, dest) != 0)
		why = g_strdup (g_strerror (errno));
	if (why) {
		remove_copy (tmp);
		g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_FAILED, "%s: backup: %s", dest, why);
		return FALSE;
	}
	g_autofree char *dir = g_path_get_dirname (dest);
	int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void) fsync (dfd);
		close (dfd);
	}
	return TRUE;
}

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
	if (s->spans)
		g_array_unref (s->spans);
	if (s->holes)
		g_array_unref (s->holes);
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
sentlog_stats (SentLog *log, gint64 max_gap, GError **error)
{
	g_autoptr (SentLogStats) st = g_new0 (SentLogStats, 1);
	st->servers = g_ptr_array_new_with_free_func (server_free);
	g_autofree char *failure = NULL;
	st->messages = count (log, "SELECT count(*) FROM messages", &failure);
	st->recipients = count (log, "SELECT count(*) FROM recipients", &failure);
	st->sources = count (log, "SELECT count(*) FROM sources", &failure);
	st->bad_lines = count (log, "SELECT coalesce (sum (bad_lines), 0) FROM sources", &failure);
	st->cuts = count (log, "SELECT coalesce (sum (cuts), 0) FROM sources", &failure);
	st->other_norm = count (log, "SELECT count(*) FROM spans WHERE norm != " G_STRINGIFY (SENTLOG_NORMALISATION),
	                        &failure);
	st->bytes = count (log, "SELECT page_count * page_size FROM pragma_page_count (), pragma_page_size ()", &failure);
	if (failure) {
		g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_FAILED, "%s: reading statistics: %s", log->path, failure);
		return NULL;
	}
	sqlite3_stmt *s = NULL, *sp = NULL, *ho = NULL;
	if (sqlite3_prepare_v2 (log->db,
	                        "SELECT s.id, s.name, s.retired,"
	                        " (SELECT count(*) FROM messages m WHERE m.server = s.id)"
	                        " FROM servers s ORDER BY s.name",
	                        -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2 (log->db,
	                        "SELECT first, last, cut_before, cut_after FROM spans WHERE server = ?1"
	                        " AND norm = " G_STRINGIFY (SENTLOG_NORMALISATION) " ORDER BY first",
	                        -1, &sp, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2 (log->db,
	                        "SELECT first, last FROM holes WHERE server = ?1 OR server IS NULL ORDER BY first",
	                        -1, &ho, NULL) != SQLITE_OK) {
		sqlite3_finalize (s);
		sqlite3_finalize (sp);
		db_error (log, error, "reading servers");
		return NULL;
	}
	int rc;
	while ((rc = sqlite3_step (s)) == SQLITE_ROW) {
		SentLogServer *sv = g_new0 (SentLogServer, 1);
		sv->name = column_text (s, 1);
		sv->retired = sqlite3_column_int64 (s, 2);
		sv->messages = sqlite3_column_int64 (s, 3);
		sv->spans = g_array_new (FALSE, FALSE, sizeof (SentLogSpan));
		g_ptr_array_add (st->servers, sv);
		sqlite3_reset (sp);
		sqlite3_bind_int64 (sp, 1, sqlite3_column_int64 (s, 0));
		Joiner j = { .max_gap = max_gap };
		SentLogSpan done;
		while ((rc = sqlite3_step (sp)) == SQLITE_ROW) {
			gint64 first = sqlite3_column_int64 (sp, 0), last = sqlite3_column_int64 (sp, 1);
			if (!j.have)
				sv->first = first; /* in order of first */
			sv->last = MAX (sv->last, last);
			if (joiner_add (&j, first, last, sqlite3_column_int (sp, 2), sqlite3_column_int (sp, 3), &done))
				g_array_append_val (sv->spans, done);
		}
		if (j.have)
			g_array_append_val (sv->spans, j.span);
		if (rc != SQLITE_DONE)
			break;
		sv->holes = g_array_new (FALSE, FALSE, sizeof (SentLogSpan));
		sqlite3_reset (ho);
		sqlite3_bind_int64 (ho, 1, sqlite3_column_int64 (s, 0));
		while ((rc = sqlite3_step (ho)) == SQLITE_ROW) {
			SentLogSpan hole = { sqlite3_column_int64 (ho, 0), sqlite3_column_int64 (ho, 1) };
			g_array_append_val (sv->holes, hole);
		}
		if (rc != SQLITE_DONE)
			break;
	}
	sqlite3_finalize (s);
	sqlite3_finalize (sp);
	sqlite3_finalize (ho);
	if (rc != SQLITE_DONE) {
		db_error (log, error, "reading servers");
		return NULL;
	}
	if (!still_alone (log, error))
		return NULL;
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
		"DELETE FROM message_ids WHERE (key, message) IN"
		" (SELECT message_id, id FROM messages WHERE time < ?1 AND message_id IS NOT NULL)",
		"DELETE FROM messages WHERE time < ?1",
		/* What is left covers from `before` on. */
		"UPDATE spans SET first = ?1 WHERE first < ?1 AND last >= ?1",
		"DELETE FROM spans WHERE last < ?1",
		"DELETE FROM holes WHERE last < ?1",
	};
	for (guint i = 0; i < G_N_ELEMENTS (sql); i++) {
		if (sqlite3_prepare_v2 (log->db, sql[i], -1, &s, NULL) != SQLITE_OK) {
			db_error (log, error, "pruning");
			exec (log, "ROLLBACK", NULL);
			return FALSE;
		}
		sqlite3_bind_int64 (s, 1, before);
		int rc = sqlite3_step (s);
		if (i == 2)
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

gboolean
sentlog_retire (SentLog *log, const char *server, gint64 since, gboolean undo, gboolean create,
                gint64 *when, GError **error)
{
	g_return_val_if_fail (log->writable, FALSE);
	*when = 0;
	if (!exec (log, "BEGIN IMMEDIATE", error))
		return FALSE;
	sqlite3_stmt *s = NULL;
	gboolean ok = sqlite3_prepare_v2 (log->db, create ? "INSERT INTO servers (name) VALUES (?1)"
	                                                    " ON CONFLICT (name) DO NOTHING"
	                                                  : "SELECT 1 FROM servers WHERE name = ?1",
	                                  -1, &s, NULL) == SQLITE_OK;
	gboolean known = TRUE;
	if (ok) {
		bind_text (s, 1, server);
		int rc = sqlite3_step (s);
		ok = rc == SQLITE_DONE || rc == SQLITE_ROW;
		known = create || rc == SQLITE_ROW;
	}
	sqlite3_finalize (s);
	if (ok && !known) {
		exec (log, "ROLLBACK", NULL);
		g_set_error (error, SENTLOG_ERROR, SENTLOG_ERROR_MISSING, "no server %s in the log", server);
		return FALSE;
	}
	if (ok && !undo && since == 0) {
		/* Its last line read, else now. */
		ok = sqlite3_prepare_v2 (log->db, "SELECT coalesce (max (p.last), strftime ('%s', 'now'))"
		                         " FROM servers s LEFT JOIN spans p ON p.server = s.id WHERE s.name = ?1",
		                         -1, &s, NULL) == SQLITE_OK;
		if (ok) {
			bind_text (s, 1, server);
			ok = sqlite3_step (s) == SQLITE_ROW;
			since = ok ? sqlite3_column_int64 (s, 0) : 0;
		}
		sqlite3_finalize (s);
	}
	/* Back in service; a server that only retiring put in the log (no
	 * line, no message) leaves it again. */
	static const char *const sql[] = {
		"UPDATE servers SET retired = ?2 WHERE name = ?1",
		"DELETE FROM servers WHERE name = ?1 AND ?2 IS NULL"
		" AND NOT EXISTS (SELECT 1 FROM spans p WHERE p.server = servers.id)"
		" AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.server = servers.id)",
	};
	for (guint i = 0; ok && i < G_N_ELEMENTS (sql); i++) {
		ok = sqlite3_prepare_v2 (log->db, sql[i], -1, &s, NULL) == SQLITE_OK;
		if (ok) {
			bind_text (s, 1, server);
			if (undo)
				sqlite3_bind_null (s, 2);
			else
				sqlite3_bind_int64 (s, 2, since);
			ok = sqlite3_step (s) == SQLITE_DONE;
		}
		sqlite3_finalize (s);
	}
	if (!ok) {
		db_error (log, error, "retiring a server");
		exec (log, "ROLLBACK", NULL);
		return FALSE;
	}
	*when = undo ? 0 : since;
	return exec (log, "COMMIT", error);
}
