/* sentlog — the SQLite log of mail our servers really sent.
 *
 * One file, WAL mode with persistent WAL files (readers that cannot write
 * the directory still open it), PRAGMA user_version for the schema
 * version (migrated on open by a writer), a busy timeout, prepared
 * statements only. Schema (doc/design.md "The sent log"):
 *
 *   servers    (id, name, retired)
 *   senders    (id, address)       our users, normalised, in plain
 *   messages   (id, time, server, queue_id, message_id, sender, origin, open)
 *   message_ids (key, message)     the index of messages.message_id
 *   recipients (pair, message)
 *   spans      (server, source, first, last, cut_before, cut_after, norm)
 *   holes      (server, first, last)
 *   sources    (id, fingerprint, head_len, head, tail_len, tail, name, offset,
 *               lines, bad_lines, updated, cuts)  import checkpoints
 *
 * Coverage (doc/design.md "Coverage") is what was really read. A span is a
 * stretch of one server's lines in one source (the source's fingerprint,
 * its name here; NULL for log record) with no two lines farther apart than [sentlog]
 * max_gap and no line lost between: a malformed line (whatever server it
 * was of) or a rate-limit notice ends every affected span at the last
 * line before it (cut_after) and the next one starts at the next line
 * (cut_before), also across imports (sources.cuts). Readers join spans
 * that overlap, or lie within max_gap of each other with no cut between.
 * A hole is a stretch where a syslog daemon said it dropped a server's
 * lines (NULL: any server's): no span of any source covers it. A retired
 * server is not needed for an interval that starts after it retired.
 * Schema 1's single span per server is rebuilt from its messages' times
 * when a writer opens the file (in the one migration transaction).
 *
 * Joining: the rows themselves hold the join state. A message row stays
 * `open` until its queue ID is done (Postfix "removed", Exim "Completed"),
 * and the importer finds open rows by (server, queue ID), so a message
 * whose lines span two imports joins all the same, and a deferred message
 * is visible before it leaves the queue. An open row more than
 * NS_SENTLOG_OPEN_DAYS older (in log time) than a line naming its queue ID
 * is not joined: queue IDs are reused, and old archives imported late
 * still join. Sendmail and Exchange never say that a message is done, so
 * an import keeps at most NS_SENTLOG_MAX_OPEN open messages in memory:
 * past that, the one whose last line is the oldest is written as it is
 * and set aside, its row still open, and a later line of it joins that
 * row in the database as a line of the next import would.
 *
 * Checkpoints: a source is known by what it holds, not by its name or
 * inode, so a file renamed by rotation, or compressed, resumes where it
 * was and is never read twice: by the SHA-256 digest of its first bytes
 * (head: up to NS_SOURCE_ID_BYTES, as many as it had) and of the bytes
 * just before its checkpoint (tail: as many). A first line alone does not
 * tell files apart (every Exchange log starts "#Software: Microsoft
 * Exchange Server", a jsonl file may repeat a record, a file may start
 * with an empty line); two files that differ anywhere in their first 4
 * KiB, or in the 4 KiB before the checkpoint, are different sources. A
 * source still shorter than 4 KiB is known by all of it: a file that
 * begins with every byte of it is taken as that source grown, and what
 * is skipped is byte for byte what was imported. The importer
 * (logreader, cmd_log) checks the tail before it resumes. A source's
 * fingerprint is its name in the spans: the hex digest of its first
 * bytes when it was first read ("-2", "-3", ... when taken); a checkpoint
 * of schema 2 or older (head_len 0, the fingerprint the digest of its
 * first line) is used when the file holds exactly `lines` line ends
 * before `offset`, and then rewritten, its fingerprint kept. Rows and the
 * checkpoint are committed in one transaction: an import killed at any
 * point resumes with no duplicate and no gap.
 *
 * Origin: only `local`, `auth` and `network` messages are ours. A
 * Message-ID's origin is that of its earliest row: a message that came in
 * from outside and was re-injected from localhost by a content filter is
 * still foreign.
 *
 * Normalisation: Message-IDs go through msgid_normalise(), the same at
 * import, `log record` and lookup; addresses through address_normalise().
 *
 * Privacy (schema 4): the file is readable by every local user, so it
 * holds no Message-ID and no recipient address, only digests of their
 * normal forms, the first bytes of their SHA-256: message_id of the
 * Message-ID (SENTLOG_KEY_LEN), recipients.pair of the sender and the
 * recipient together (SENTLOG_PAIR_KEY_LEN)
 * (sentlog_pair_key; the sender known when the recipient is written:
 * logs name it first, and one written before is kept under the unknown
 * sender, which `log grep` also tries). A digest answers "was this one
 * sent?" for a value one already has, and nothing else. Time, server, queue ID, sender and
 * origin stay plain (explain and `log grep` point at the MTA's log line
 * by them); what a reader can learn from them is in ndrsift.conf(5),
 * "SENT LOG PRIVACY". The digests freeze the normal forms: a span
 * records the normalisation it was read with (norm, SENTLOG_NORMALISATION)
 * and coverage counts only spans of the reader's own, so a change of the
 * normal forms makes older stretches uncovered (unknown), never misses.
 *
 * Ownership: SentLog, SentLogImport and SentLogMatch strings belong to the
 * caller as documented per function. A SentLog is used by one thread. */
#ifndef NDRSIFT_SENTLOG_H
#define NDRSIFT_SENTLOG_H

#include <glib.h>

#include "ndrsift/config.h"
#include "ndrsift/logevent.h"

typedef struct _SentLog SentLog;
typedef struct _SentLogImport SentLogImport;

#define SENTLOG_ERROR (sentlog_error_quark ())
GQuark sentlog_error_quark (void);

typedef enum {
	SENTLOG_ERROR_MISSING,   /* no database at the path (an empty log to readers) */
	SENTLOG_ERROR_FAILED,
} SentLogError;

/* Opens the log. A writer creates it (its directory is the caller's
 * business), enables WAL and migrates the schema. It opens the file
 * itself first, never through a symbolic link, refuses anything but a
 * regular file with one name, and gives it `mode` (the importer's file:
 * whatever the umask or a chmod did), then gives -wal and -shm the mode
 * and the group of the database. A reader opens read-only and fails with
 * SENTLOG_ERROR_MISSING when there is no file. A reader of a WAL database
 * whose -wal or -shm is gone, and that cannot make them, reads the
 * database file alone (what the last connection to close left there is
 * whole), says so in sentlog_notice(), and fails any read during which
 * the file changed (a writer came back: what was read may be torn).
 * sentlog_open: mode 0644. Returns: (transfer full) or NULL with error. */
SentLog *sentlog_open_mode (const char *path, gboolean writable, guint mode, GError **error);
SentLog *sentlog_open (const char *path, gboolean writable, GError **error);
void sentlog_close (SentLog *log);

/* Something the caller should tell the admin about how the log was
 * opened (read without its WAL), or NULL. Returns: (transfer none). */
const char *sentlog_notice (SentLog *log);

/* ---- import (writers) ---- */

#define SENTLOG_DIGEST_LEN 32

/* The SHA-256 digest of len bytes of data, as sources are recognised by. */
void sentlog_digest (const void *data, gsize len, guint8 out[SENTLOG_DIGEST_LEN]);

/* A source's checkpoint: read up to offset (the start of a line), lines
 * lines, cuts losses of lines counted (coverage). head_len first bytes
 * had the digest kept; tail is the digest of the tail_len bytes before
 * offset. head_len 0: a checkpoint of schema 2 or older, of which only
 * the first line is known. id -1: a new source, nothing read yet. */
typedef struct {
	gint64 id;
	char fingerprint[2 * SENTLOG_DIGEST_LEN + 16];
	gint64 offset, lines, cuts;
	gsize head_len;
	gsize tail_len;
	guint8 tail[SENTLOG_DIGEST_LEN];
} SentLogSource;

/* The checkpoints a source whose first bytes are head may go on from:
 * those whose first bytes are head's, the longest such head first, then
 * the largest offset; last, those of schema 2 or older with this first
 * line (without its line end; NULL: none). Whether the source really
 * holds what was read before the checkpoint (the tail) is for the caller
 * to check. Returns: (transfer full) an array of SentLogSource, or NULL
 * with error. */
GArray *sentlog_find_sources (SentLog *log, const guint8 *head, gsize head_len, const char *first_line,
                              GError **error);

/* A new source whose first bytes are head (id -1, offset 0, its own
 * fingerprint), for sentlog_import_begin. Returns: FALSE with error. */
gboolean sentlog_new_source (SentLog *log, const guint8 *head, gsize head_len, SentLogSource *out,
                             GError **error);

/* Starts importing. source: the checkpoint the source goes on from (its
 * row is moved on), or a new source (sentlog_new_source), or NULL for
 * events of no source (log record: no checkpoint kept); name: the
 * source's, for messages and stats. config: for [local] networks, the
 * address normalisation and max_gap. Returns: (transfer full) or NULL
 * with error. */
SentLogImport *sentlog_import_begin (SentLog *log, const Config *config, const char *name,
                                     const SentLogSource *source, GError **error);

/* Applies one event (a LogEmitFunc: pass the import as user_data). */
void sentlog_import_event (const LogEvent *event, gpointer import);

/* Counts a malformed line of the source. */
void sentlog_import_bad_line (SentLogImport *import);

/* Where an import has got to: read up to offset (the start of the next
 * line), lines lines; the source's first bytes and those before offset
 * (up to NS_SOURCE_ID_BYTES of each are kept, as digests). */
typedef struct {
	gint64 offset, lines;
	const guint8 *head;
	gsize head_len;
	const guint8 *tail;
	gsize tail_len;
} SentLogPosition;

/* Commits everything applied so far together with the checkpoint `at`
 * (ignored for no source). Returns: FALSE with error when the commit
 * failed (nothing of this batch is kept then). */
gboolean sentlog_import_checkpoint (SentLogImport *import, const SentLogPosition *at, GError **error);

/* Whether the batch holds NS_SENTLOG_BATCH_ENTRIES index entries, the
 * most it keeps in memory until its checkpoint: time for one. */
gboolean sentlog_import_full (SentLogImport *import);

/* Messages and recipients added or changed since begin. */
guint64 sentlog_import_messages (SentLogImport *import);

/* Open messages written out early since begin, to keep at most max_open
 * in memory (see "Joining"). */
guint64 sentlog_import_set_aside (SentLogImport *import);

/* How many open messages the import keeps in memory: NS_SENTLOG_MAX_OPEN
 * unless a test sets fewer (at least 1) before the first event. */
void sentlog_import_set_max_open (SentLogImport *import, guint max_open);

/* Ends the import; what was not checkpointed is rolled back. */
void sentlog_import_free (SentLogImport *import);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SentLogImport, sentlog_import_free)

/* ---- lookups (readers) ---- */

/* The version of the normal forms the digests are made of (msgid_normalise,
 * address_normalise): bump it with any change of their output. */
#define SENTLOG_NORMALISATION 1

/* Bytes of SHA-256 kept of a Message-ID: 64 bits, so that a false match
 * in a log of 10^7 messages has odds of 10^-12 per lookup (a match only
 * ever makes a bounce legit), at 8 bytes a row and an index entry
 * instead of 16. A recipient's 48 bits are only ever compared among the
 * rows of one sender, whose plain address is compared too, in a time
 * window: a sender with 10^6 recipient rows has odds of 10^-8 of a false
 * match; 2 bytes less for each recipient of each message (the size
 * target of issue 17 with 1-5 recipients). */
#define SENTLOG_KEY_LEN 8
#define SENTLOG_PAIR_KEY_LEN 6

/* The stored form of a normalised Message-ID: SENTLOG_KEY_LEN bytes. */
void sentlog_message_id_key (const char *normal, guint8 out[SENTLOG_KEY_LEN]);

/* The stored form of a recipient of a message from sender (both
 * normalised; NULL sender: unknown, hashed as ""): the first
 * SENTLOG_PAIR_KEY_LEN bytes (of out's SENTLOG_KEY_LEN) of the digest of
 * sender, a NUL byte and recipient. */
void sentlog_pair_key (const char *sender, const char *recipient, guint8 out[SENTLOG_KEY_LEN]);

typedef struct {
	gboolean found;
	gint64 time;
	char *server;
	char *queue_id;
	char *sender;
	LogOrigin origin;
	guint8 key[SENTLOG_KEY_LEN];   /* the digest matched: key_len bytes */
	guint key_len;
} SentLogMatch;

void sentlog_match_clear (SentLogMatch *match);

/* "local", "auth", "network", "foreign", "unknown": how a logged message
 * entered our server, as `log grep` and explain name it. Returns:
 * (transfer none) a static string. */
const char *sentlog_origin_name (LogOrigin origin);

/* The earliest row with this Message-ID (any origin: the caller decides
 * what a foreign one means). Returns: FALSE with error on a database
 * error; found says whether there is one. */
gboolean sentlog_lookup_message_id (SentLog *log, const char *message_id, SentLogMatch *out,
                                    GError **error);

/* A non-foreign message from sender to recipient (both normalised by the
 * caller) with time in [from, to]; the latest one. */
gboolean sentlog_lookup_recipient (SentLog *log, const char *sender, const char *recipient,
                                   gint64 from, gint64 to, SentLogMatch *out, GError **error);

/* Called with each row `log grep` finds (match: found, borrowed). */
typedef void (*SentLogGrepFunc) (const SentLogMatch *match, gpointer user_data);

/* Every row whose Message-ID is message_id (a header value or logged id,
 * normalised here), or, when message_id is NULL, every message to
 * recipient (normalised by the caller) from any sender, oldest first.
 * Returns: FALSE with error on a database error; *rows: how many. */
gboolean sentlog_grep (SentLog *log, const char *message_id, const char *recipient, SentLogGrepFunc each,
                       gpointer user_data, guint64 *rows, GError **error);

/* ---- coverage (readers) ---- */

typedef struct {
	gint64 first, last;
} SentLogSpan;

/* One server's part in a coverage judgement. */
typedef struct {
	char *server;
	gint64 retired;            /* when it was retired (log retire), or 0 */
	gboolean required;         /* in service at the interval's start */
	gboolean covered;          /* its spans hold the whole interval */
	SentLogSpan span;          /* the joined span that holds the interval's start,
	                              as far as the interval needs it; 0, 0 when none */
	SentLogSpan gap;           /* not covered: the first stretch of the interval
	                              its log lacks */
} SentLogServerCoverage;

typedef struct {
	gint64 from, to;           /* the interval judged */
	gboolean covered;          /* some server is required and all required cover it */
	GPtrArray *servers;        /* SentLogServerCoverage*, in the order judged */
} SentLogCoverage;

void sentlog_coverage_clear (SentLogCoverage *coverage);

/* Whether the log covers the interval [from, to] (doc/design.md "Coverage"):
 * for every server named in servers (NULL or empty: every server in the
 * log) that was not retired at `from`, its spans, joined where they
 * overlap or lie within max_gap seconds of each other (unless lines
 * were lost between them), hold the whole interval. A listed server that
 * is not in the log covers nothing. out: (out caller-allocates) cleared
 * first; free its contents with sentlog_coverage_clear(). Returns FALSE
 * with error on a database error. */
gboolean sentlog_coverage (SentLog *log, gint64 from, gint64 to, const char *const *servers,
                           gint64 max_gap, SentLogCoverage *out, GError **error);

/* ---- maintenance ---- */

/* Folds the WAL into the database and empties it (the file stays):
 * readers then have no WAL frames to replay. Best effort. */
void sentlog_checkpoint (SentLog *log);

typedef struct {
	gint64 messages, recipients, sources, bad_lines;
	gint64 cuts;           /* losses that cut coverage (bad lines, rate-limit notices) */
	gint64 other_norm;     /* spans read with other normal forms (not counted) */
	gint64 bytes;          /* database size (pages * page size) */
	GPtrArray *servers;    /* SentLogServer*, by name */
} SentLogStats;

typedef struct {
	char *name;
	gint64 first, last;    /* its first and last line read (0, 0: none) */
	gint64 messages;
	gint64 retired;        /* when it was retired, or 0 */
	GArray *spans;         /* SentLogSpan: its spans joined as sentlog_coverage()
	                          joins them, oldest first */
	GArray *holes;         /* SentLogSpan: where lines of it were dropped (rate
	                          limiting), which no span covers; oldest first */
} SentLogServer;

/* max_gap: as for sentlog_coverage(). Returns: (transfer full) or NULL
 * with error. */
SentLogStats *sentlog_stats (SentLog *log, gint64 max_gap, GError **error);
void sentlog_stats_free (SentLogStats *stats);

/* Writes a copy of the log to dest, for readers elsewhere: made with
 * SQLite's backup API (a consistent snapshot while an importer writes),
 * in rollback mode (journal_mode=DELETE: its readers need no -wal or
 * -shm), with the database's mode, in a new file beside dest that is
 * renamed over it when whole; stale -wal, -shm and -journal files of dest
 * are removed first. dest must not be the log itself or a directory.
 * Returns: FALSE with error (dest is then as it was). */
gboolean sentlog_backup (SentLog *log, const char *dest, GError **error);

/* Deletes messages older than before (and their recipients); coverage
 * then starts at before. *deleted receives the number of messages. */
gboolean sentlog_prune (SentLog *log, gint64 before, gint64 *deleted, GError **error);

/* Takes server out of service from `since` on (0: from its last line
 * read, or now when it has none): coverage no longer needs it for an
 * interval that starts then or later. A line of it later than `since`
 * that is imported puts it back in service. undo: put it back now (a
 * server that only retiring added leaves the log again). create: add the
 * server when the log does not know it (a listed server that never
 * logged); otherwise that fails with SENTLOG_ERROR_MISSING. *when
 * receives the time set (0 for undo). */
gboolean sentlog_retire (SentLog *log, const char *server, gint64 since, gboolean undo, gboolean create,
                         gint64 *when, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SentLog, sentlog_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SentLogStats, sentlog_stats_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SentLogMatch, sentlog_match_clear)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SentLogCoverage, sentlog_coverage_clear)

#endif
