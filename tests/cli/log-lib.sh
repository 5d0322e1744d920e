# log-lib.sh — what tests/cli/log.test and tests/stress/log-kill.test
# share (sourced after lib.sh, POSIX sh): the database $DB, nd, q, gen,
# wait_rows, count_rows and dup_rows.
export NDRSIFT_CONFIG=/dev/null
DB=$tmpdir/sent.db
# Background jobs run under `timeout -s KILL`: a SIGTERM sent to timeout
# is passed on to ndrsift; a SIGALRM makes timeout kill ndrsift at once.
bgpids=
cleanup () {
	for p in $bgpids; do kill -ALRM "$p" 2>/dev/null; done
	rm -rf "$tmpdir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

nd () { "$NDRSIFT" --config /dev/null --db "$DB" "$@"; }

# q SQL [DB]: the rows of a query, columns joined by '|'.
# Digests show as the text the test wrote (sentlog_plain.py).
q () {
	python3 -c '
import sqlite3, sys
sys.path.insert (0, sys.argv[3])
import sentlog_plain
c = sentlog_plain.connect(sys.argv[1], sys.argv[4])
for r in c.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in r))' "${2:-$DB}" "$1" "$top_srcdir/tests/cli" "$tmpdir"
}

# gen PREFIX FIRST COUNT [DAY]: COUNT jsonl records, message IDs
# <PREFIX-i@example.com>, 0 to 2 recipients each, one second apart.
cat >"$tmpdir/gen.py" <<'EOF'
import json, sys, datetime
prefix, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
day = sys.argv[4] if len(sys.argv) > 4 else "2026-11-27"
t0 = datetime.datetime.fromisoformat(day + "T00:00:00+00:00")
out = sys.stdout
for i in range(first, first + count):
    t = (t0 + datetime.timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rcpts = ["r%d.%s@remote.example" % (i, prefix), "s%d.%s@remote.example" % (i, prefix)][: i % 3]
    out.write(json.dumps({"time": t, "server": "mx1", "queue_id": "Q%s%d" % (prefix, i),
                          "message_id": "<%s-%d@example.com>" % (prefix, i),
                          "sender": "alice@example.com", "recipients": rcpts,
                          "status": "sent", "origin": "auth"}, separators=(",", ":")) + "\n")
EOF
gen () { python3 "$tmpdir/gen.py" "$@"; }

# wait_rows SQL WANT SECONDS: polls until the query gives WANT (as q
# prints it), within SECONDS; one process polling every 50 ms.
wait_rows () {
	python3 -c '
import sqlite3, sys, time
end = time.monotonic() + float(sys.argv[4])
while True:
    try:
        c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=30)
        got = "\n".join("|".join("" if v is None else str(v) for v in r) for r in c.execute(sys.argv[2]))
        c.close()
    except sqlite3.Error:
        got = None
    if got == sys.argv[3]:
        sys.exit(0)
    if time.monotonic() > end:
        sys.exit(1)
    time.sleep(0.05)' "$DB" "$1" "$2" "$3"
}

# count_rows: messages; dup_rows: Message-IDs found more than once.
count_rows () { q "SELECT count(*) FROM messages" "${1:-$DB}"; }
dup_rows () { q "SELECT count(*) FROM (SELECT message_id FROM messages GROUP BY message_id HAVING count(*) > 1)" "${1:-$DB}"; }

