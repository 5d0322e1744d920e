# log-schemas.sh — what tests/cli/log-sources.test and
# tests/stress/log-migrate.test share (sourced after lib.sh, POSIX sh, in
# $tmpdir): q, ids, count, imp and jsonl; databases as schemas 2, 3 and 4
# left them (v2, v3, v4) and what a test reads of them (state, state4);
# the migrations of schemas 3 and 4 to 5 (migrate3, migrate4, the check
# of a whole run, on a small database in log-sources.test and a big one in
# log-migrate.test) and the runs killed with -9 during them (kill2,
# kill3, kill4: tests/stress/log-migrate.test).

# q DB SQL: rows, columns joined by '|'.
q () {
	python3 -c '
import sqlite3, sys
sys.path.insert (0, sys.argv[3])
import sentlog_plain
for r in sentlog_plain.connect(sys.argv[1], sys.argv[4]).execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in r))' "$1" "$2" "$top_srcdir/tests/cli" "$tmpdir"
}
ids () { q "$1" "SELECT message_id FROM messages ORDER BY message_id" | tr '\n' ' '; }
count () { q "$1" "SELECT count(*) FROM messages"; }
# imp DB ARGS...: log import into DB, stderr in err.
imp () { db=$1; shift; "$NDRSIFT" --db "$db" log import "$@" 2>err; }

# jsonl PREFIX FIRST COUNT: records <PREFIX-i@example.com>, one second apart.
# (awk: some forty calls, where a python start costs ten times as much)
jsonl () {
	LC_ALL=C awk -v p="$1" -v first="$2" -v n="$3" 'BEGIN {
		for (i = first; i < first + n; i++)
			printf "{\"time\":\"2026-11-27T10:%02d:%02dZ\",\"server\":\"mx1\",\"queue_id\":\"Q%s%d\",\"message_id\":\"<%s-%d@example.com>\",\"sender\":\"alice@example.com\",\"recipients\":[\"bob@remote.example\"],\"origin\":\"auth\"}\n", int(i / 60) % 60, i % 60, p, i, p, i
	}'
}

# ---- schema 2 ----------------------------------------------------------------
# A database as schema 2 left it: the same tables, sources keyed by the
# SHA-256 of their first line.
cat >v2.py <<'EOF'
import hashlib, sqlite3, sys
db, name, first, offset, lines, extra = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
c = sqlite3.connect(db)
c.executescript("""
PRAGMA journal_mode = WAL;
CREATE TABLE servers (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, retired INTEGER);
CREATE TABLE messages (id INTEGER PRIMARY KEY, time INTEGER NOT NULL, server INTEGER NOT NULL REFERENCES servers (id),
  queue_id TEXT, message_id TEXT, sender TEXT, origin INTEGER NOT NULL DEFAULT 0, open INTEGER NOT NULL DEFAULT 1);
CREATE INDEX messages_by_message_id ON messages (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX messages_open ON messages (server, queue_id) WHERE open = 1;
CREATE INDEX messages_by_sender ON messages (sender, time);
CREATE TABLE recipients (message INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE, address TEXT NOT NULL,
  status TEXT, PRIMARY KEY (message, address)) WITHOUT ROWID;
CREATE TABLE sources (fingerprint TEXT PRIMARY KEY, name TEXT NOT NULL, offset INTEGER NOT NULL, lines INTEGER NOT NULL,
  bad_lines INTEGER NOT NULL, updated INTEGER NOT NULL, cuts INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE spans (id INTEGER PRIMARY KEY, server INTEGER NOT NULL REFERENCES servers (id), source TEXT,
  first INTEGER NOT NULL, last INTEGER NOT NULL, cut_before INTEGER NOT NULL DEFAULT 0, cut_after INTEGER NOT NULL DEFAULT 0);
CREATE INDEX spans_by_server ON spans (server, last);
CREATE INDEX spans_by_source ON spans (source, server, last);
CREATE TABLE holes (server INTEGER REFERENCES servers (id), first INTEGER NOT NULL, last INTEGER NOT NULL);
CREATE INDEX holes_by_server ON holes (server, last);
PRAGMA user_version = 2;
""")
c.execute("INSERT INTO sources VALUES (?, ?, ?, ?, 0, 0, 0)", (hashlib.sha256(first.encode()).hexdigest(), name, offset, lines))
c.execute("""WITH RECURSIVE s (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < ?)
INSERT INTO sources SELECT 'x' || i, 'old', 1, 1, 0, 0, 0 FROM s WHERE ? > 0""", (extra, extra))
c.commit()
EOF
v2 () { python3 v2.py "$@"; }

# ---- schema 3 ----------------------------------------------------------------
# A database as schema 3 left it: N messages m-i, two recipients each, in
# plain text.
cat >v3.py <<'EOF'
import sqlite3, sys
db, n = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db)
c.executescript("""
PRAGMA journal_mode = WAL;
CREATE TABLE servers (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, retired INTEGER);
CREATE TABLE messages (id INTEGER PRIMARY KEY, time INTEGER NOT NULL, server INTEGER NOT NULL REFERENCES servers (id),
  queue_id TEXT, message_id TEXT, sender TEXT, origin INTEGER NOT NULL DEFAULT 0, open INTEGER NOT NULL DEFAULT 1);
CREATE INDEX messages_by_message_id ON messages (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX messages_open ON messages (server, queue_id) WHERE open = 1;
CREATE INDEX messages_by_sender ON messages (sender, time);
CREATE TABLE recipients (message INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE, address TEXT NOT NULL,
  status TEXT, PRIMARY KEY (message, address)) WITHOUT ROWID;
CREATE TABLE sources (id INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL UNIQUE,
  head_len INTEGER NOT NULL DEFAULT 0, head BLOB, tail_len INTEGER NOT NULL DEFAULT 0, tail BLOB,
  name TEXT NOT NULL, offset INTEGER NOT NULL, lines INTEGER NOT NULL, bad_lines INTEGER NOT NULL,
  updated INTEGER NOT NULL, cuts INTEGER NOT NULL DEFAULT 0);
CREATE INDEX sources_by_head ON sources (head_len, head);
CREATE TABLE spans (id INTEGER PRIMARY KEY, server INTEGER NOT NULL REFERENCES servers (id), source TEXT,
  first INTEGER NOT NULL, last INTEGER NOT NULL, cut_before INTEGER NOT NULL DEFAULT 0, cut_after INTEGER NOT NULL DEFAULT 0);
CREATE INDEX spans_by_server ON spans (server, last);
CREATE INDEX spans_by_source ON spans (source, server, last);
CREATE TABLE holes (server INTEGER REFERENCES servers (id), first INTEGER NOT NULL, last INTEGER NOT NULL);
CREATE INDEX holes_by_server ON holes (server, last);
INSERT INTO servers (name) VALUES ('mx1');
PRAGMA user_version = 3;
""")
t0 = 1795773600
# (the rows made by SQLite itself: a python loop over them costs twice as much)
c.execute("""WITH RECURSIVE s (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?)
INSERT INTO messages SELECT i, ? + i, 1, 'Q' || i, 'm-' || i || '@example.com', 'user' || (i % 50) || '@example.com', 2, 0
FROM s""", (n, t0))
c.execute("""WITH RECURSIVE s (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?)
INSERT INTO recipients SELECT i, w || i || '@remote.example', 'sent' FROM s, (SELECT 'r' AS w UNION ALL SELECT 's')""", (n,))
c.execute("INSERT INTO spans (server, source, first, last) VALUES (1, NULL, ?, ?)", (t0, t0 + n))
c.commit()
EOF
v3 () { python3 v3.py "$@"; }
# state DB: the schema, its rows and the answers of two lookups (a
# Message-ID, a recipient), or what is wrong. One python process reads
# the schema, the rows (in schema 3 the lookups too) and the integrity
# check; in schema 5 ndrsift answers the lookups.
cat >state.py <<'EOF'
import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=30)
v = c.execute("PRAGMA user_version").fetchone()[0]
row = lambda sql: "|".join("" if x is None else str(x) for x in c.execute(sql).fetchone())
if v == 3:
    print("3 " + row("""SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM recipients),
          (SELECT queue_id FROM messages WHERE message_id = 'm-123@example.com'),
          (SELECT m.queue_id FROM recipients r JOIN messages m ON m.id = r.message WHERE r.address = 's4567@remote.example')"""))
elif v == 5:
    print("5 " + row("SELECT (SELECT count(*) FROM main.messages), (SELECT count(*) FROM main.recipients)"))
else:
    print("schema %d" % v)
ic = [r[0] for r in c.execute("PRAGMA integrity_check")]
if ic != ["ok"]:
    print("not intact: " + "\n".join(ic[:3]))
EOF
state () {
	st=$(python3 state.py "$1" 2>&1)
	first=$(printf '%s\n' "$st" | head -1)
	case $first in
	"5 "*) first="$first|$("$NDRSIFT" --db "$1" log grep --message-id '<m-123@Example.COM>' 2>&1 | awk '{ print $4 }')|$(
	          "$NDRSIFT" --db "$1" log grep --recipient s4567@remote.example 2>&1 | awk '{ print $4 }')" ;;
	esac
	printf '%s\n' "$first"
	printf '%s\n' "$st" | sed 1d
}
echo '{"time":"2026-11-27T12:00:00Z","server":"mx1","queue_id":"QX","message_id":"<x@example.com>","sender":"alice@example.com","recipients":["bob@remote.example"],"origin":"auth"}' >x.jsonl

# ---- schema 4 ----------------------------------------------------------------
# A database as schema 4 left it: N messages m-i, two recipients each, as
# digests, and the index on messages.message_id.
cat >v4.py <<'EOF'
import hashlib, sqlite3, sys
db, n = sys.argv[1], int(sys.argv[2])
key = lambda text, n=8: hashlib.sha256(text.encode()).digest()[:n]
c = sqlite3.connect(db)
c.executescript("""
PRAGMA journal_mode = WAL;
CREATE TABLE servers (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, retired INTEGER);
CREATE TABLE spans (id INTEGER PRIMARY KEY, server INTEGER NOT NULL REFERENCES servers (id), source TEXT,
  first INTEGER NOT NULL, last INTEGER NOT NULL, cut_before INTEGER NOT NULL DEFAULT 0,
  cut_after INTEGER NOT NULL DEFAULT 0, norm INTEGER NOT NULL DEFAULT 0);
CREATE INDEX spans_by_server ON spans (server, last);
CREATE INDEX spans_by_source ON spans (source, server, last);
CREATE TABLE holes (server INTEGER REFERENCES servers (id), first INTEGER NOT NULL, last INTEGER NOT NULL);
CREATE INDEX holes_by_server ON holes (server, last);
CREATE TABLE sources (id INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL UNIQUE,
  head_len INTEGER NOT NULL DEFAULT 0, head BLOB, tail_len INTEGER NOT NULL DEFAULT 0, tail BLOB,
  name TEXT NOT NULL, offset INTEGER NOT NULL, lines INTEGER NOT NULL, bad_lines INTEGER NOT NULL,
  updated INTEGER NOT NULL, cuts INTEGER NOT NULL DEFAULT 0);
CREATE INDEX sources_by_head ON sources (head_len, head);
CREATE TABLE senders (id INTEGER PRIMARY KEY, address TEXT NOT NULL UNIQUE);
CREATE TABLE messages (id INTEGER PRIMARY KEY, time INTEGER NOT NULL, server INTEGER NOT NULL REFERENCES servers (id),
  queue_id TEXT, message_id BLOB, sender INTEGER REFERENCES senders (id), origin INTEGER NOT NULL DEFAULT 0,
  open INTEGER NOT NULL DEFAULT 1);
CREATE TABLE recipients (pair BLOB NOT NULL, message INTEGER NOT NULL, PRIMARY KEY (pair, message)) WITHOUT ROWID;
CREATE INDEX messages_by_message_id ON messages (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX messages_open ON messages (server, queue_id) WHERE open = 1;
INSERT INTO servers (name) VALUES ('mx1');
PRAGMA user_version = 4;
""")
t0 = 1795773600
c.executemany("INSERT INTO senders VALUES (?, ?)", ((i + 1, "user%d@example.com" % i) for i in range(50)))
c.executemany("INSERT INTO messages VALUES (?, ?, 1, ?, ?, ?, 2, 0)",
              ((i, t0 + i, "Q%d" % i, key("m-%d@example.com" % i), i % 50 + 1) for i in range(1, n + 1)))
c.executemany("INSERT INTO recipients VALUES (?, ?)",
              ((key("user%d@example.com\0%s%d@remote.example" % (i % 50, w, i), 6), i)
               for i in range(1, n + 1) for w in ("r", "s")))
c.execute("INSERT INTO spans (server, source, first, last, norm) VALUES (1, NULL, ?, ?, 1)", (t0, t0 + n))
c.commit()
EOF
v4 () { python3 v4.py "$@"; }
m123=$(python3 -c 'import hashlib; print(hashlib.sha256(b"m-123@example.com").hexdigest()[:16])')
# state4 DB: the schema, its rows and the answers of two lookups, or what
# is wrong (schema 4 is read by SQL here: ndrsift reads 5 only)
state4 () {
	v=$(q "$1" 'PRAGMA user_version')
	case $v in
	4) echo "4 $(q "$1" "SELECT (SELECT count(*) FROM main.messages), (SELECT count(*) FROM main.recipients),
	          (SELECT count(*) FROM sqlite_schema WHERE name = 'messages_by_message_id'),
	          (SELECT queue_id FROM main.messages WHERE message_id = x'$m123')")" ;;
	5) echo "5 $(q "$1" "SELECT (SELECT count(*) FROM main.messages), (SELECT count(*) FROM main.message_ids),
	          (SELECT count(*) FROM sqlite_schema WHERE name = 'messages_by_message_id')")|$(
	          "$NDRSIFT" --db "$1" log grep --message-id '<m-123@Example.COM>' 2>&1 | awk '{ print $4 }')|$(
	          "$NDRSIFT" --db "$1" log grep --recipient s4567@remote.example 2>&1 | awk '{ print $4 }')" ;;
	*) echo "schema $v" ;;
	esac
	[ "$(q "$1" 'PRAGMA integrity_check')" = ok ] || echo "not intact: $(q "$1" 'PRAGMA integrity_check' | head -3)"
}

# ---- the migrations ------------------------------------------------------------
# timed_import DB FILE: a jsonl import, its wall time in $full (the kills
# below are fractions of it).
timed_import () {
	t0=$(date +%s.%N)
	imp "$1" --format jsonl "$2"
	full=$(LC_ALL=C awk "BEGIN { printf \"%.3f\", $(date +%s.%N) - $t0 }")
}

# kill2 N: a schema 2 database of the checkpoint of v.jsonl (its first
# line, 6 lines) and N more, migrated once whole, then killed with -9
# during the migration at a fifth, two, three and four fifths of that
# run: each time the database is schema 2 as it was, or schema 5 whole.
# Needs v.jsonl and $off (log-migrate.test).
kill2 () {
	v2 big.db v.jsonl "$(head -1 v.jsonl)" "$off" 6 "$1"
	cp big.db big-copy.db
	timed_import big-copy.db v.jsonl
	bad=
	kills=0
	for f in 0.2 0.4 0.6 0.8; do
		[ "$(q big.db 'PRAGMA user_version')" = 5 ] && break
		d=$(LC_ALL=C awk "BEGIN { printf \"%.3f\", $f * $full }")
		timeout -s KILL "$d" "$NDRSIFT" --db big.db log import --format jsonl v.jsonl 2>/dev/null
		[ $? = 137 ] && kills=$((kills + 1))
		state=$(q big.db "SELECT (SELECT user_version FROM pragma_user_version), count(*) FROM sources" 2>&1)
		case $state in "2|$(($1 + 1))"|"5|$(($1 + 1))") ;; *) bad="$bad after ${d}s: $state;" ;; esac
	done
	imp big.db --format jsonl v.jsonl
	[ -z "$bad" ] && [ "$(q big.db "SELECT (SELECT user_version FROM pragma_user_version), count(*) FROM sources")" = "5|$(($1 + 1))" ] &&
		[ "$(ids big.db)" = "v-6@example.com v-7@example.com v-8@example.com v-9@example.com " ] \
		&& ok "a migration killed with -9 ($kills kills in a ${full}s run) leaves schema 2 or 5 whole; then it completes" \
		|| not_ok "a migration killed with -9 leaves schema 2 or 5 whole" "$bad" "$(ids big.db)" "$(cat err)"
}

# migrate3 N: a schema 3 database of N messages (N > 4567: the lookups),
# v3.db, and a copy of it migrated by an import of x.jsonl: the text is
# gone, the digests answer. Sets want_old, want5, migrated and full for kill3.
migrate3 () {
	v3 v3.db "$1"
	cp v3.db v3-copy.db
	timed_import v3-copy.db x.jsonl
	want_old="3 $1|$((2 * $1))|Q123|Q4567"
	want5="5 $(($1 + 1))|$((2 * $1 + 1))|Q123|Q4567"
	# killed after the migration's commit, before the import's: migrated, the
	# new line not yet read
	migrated="5 $1|$((2 * $1))|Q123|Q4567"
	[ "$(state v3-copy.db)" = "$want5" ] && ! grep -q 'm-123@\|s4567@' v3-copy.db v3-copy.db-wal &&
		[ "$(wc -c <v3-copy.db)" -lt "$(wc -c <v3.db)" ] \
		&& ok "schema 3 migrates: the text is gone from the file and its WAL, its digests answer lookups ($1 messages)" \
		|| not_ok "schema 3 migrates ($1 messages)" "$(state v3-copy.db)" "$(grep -c 'm-123@' v3-copy.db v3-copy.db-wal)" "$(cat err)"
}
# migrate4 N: the same from schema 4 (message_ids replaces the
# index on messages), v4.db.
migrate4 () {
	v4 v4.db "$1"
	cp v4.db v4-copy.db
	timed_import v4-copy.db x.jsonl
	want_old="4 $1|$((2 * $1))|1|Q123"
	want5="5 $(($1 + 1))|$(($1 + 1))|0|Q123|Q4567"
	migrated="5 $1|$1|0|Q123|Q4567"
	[ "$(state4 v4-copy.db)" = "$want5" ] \
		&& ok "schema 4 migrates: message_ids replaces the index on messages and answers lookups ($1 messages)" \
		|| not_ok "schema 4 migrates ($1 messages)" "$(state4 v4-copy.db)" "$(cat err)"
}
# kill_migration OLD DB STATE: DB (migrate3 or migrate4) killed with -9
# during its migration to schema 5 at seven fractions of the whole run:
# each time, by STATE (state or state4), schema OLD ($want_old) or 5
# ($migrated, $want5) whole, answering lookups; then it completes.
kill_migration () {
	bad=
	kills=0
	for f in 0.1 0.25 0.4 0.55 0.7 0.85 0.95; do
		[ "$(q "$2" 'PRAGMA user_version')" = 5 ] && break
		d=$(LC_ALL=C awk "BEGIN { printf \"%.3f\", $f * $full }")
		timeout -s KILL "$d" "$NDRSIFT" --db "$2" log import --format jsonl x.jsonl 2>/dev/null
		[ $? = 137 ] && kills=$((kills + 1))
		s=$($3 "$2")
		[ "$s" = "$want_old" ] || [ "$s" = "$migrated" ] || [ "$s" = "$want5" ] || bad="$bad after ${d}s: $s;"
	done
	imp "$2" --format jsonl x.jsonl
	[ -z "$bad" ] && [ "$kills" -gt 0 ] && [ "$($3 "$2")" = "$want5" ] \
		&& ok "a migration from schema $1 to 5 killed with -9 ($kills kills in a ${full}s run) leaves schema $1 or 5 whole, answering lookups; then it completes" \
		|| not_ok "a migration from schema $1 to 5 killed with -9 leaves schema $1 or 5 whole" "kills: $kills;$bad" "$($3 "$2")" "$(cat err)"
}
kill3 () { kill_migration 3 v3.db state; }
kill4 () { kill_migration 4 v4.db state4; }
