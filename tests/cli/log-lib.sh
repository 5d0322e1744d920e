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
# <PREFIX-i@example.com>, 0 to 2 recipients each, one second apart from
# DAY 00:00:00 UTC (default 2026-11-27) plus FIRST seconds. (seq, date
# and awk: a fifth of the CPU of a python loop, and no python start.)
gen () {
	[ "$3" -gt 0 ] || return 0
	gen_t0=$(date -u -d "${4:-2026-11-27} 00:00:00" +%s) || return 1
	seq "$((gen_t0 + $2))" "$((gen_t0 + $2 + $3 - 1))" | sed 's/^/@/' | date -u -f - +%Y-%m-%dT%H:%M:%SZ |
	LC_ALL=C awk -v p="$1" -v i="$2" '{
		r = "r" i "." p "@remote.example"; s = "s" i "." p "@remote.example"
		rc = i % 3 == 0 ? "" : i % 3 == 1 ? "\"" r "\"" : "\"" r "\",\"" s "\""
		printf "{\"time\":\"%s\",\"server\":\"mx1\",\"queue_id\":\"Q%s%d\",\"message_id\":\"<%s-%d@example.com>\",\"sender\":\"alice@example.com\",\"recipients\":[%s],\"status\":\"sent\",\"origin\":\"auth\"}\n", $0, p, i, p, i, rc
		i++
	}'
}

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

