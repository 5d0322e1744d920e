# log-permissions.sh — what tests/cli/log-permissions.test and
# tests/stress/log-permissions-load.test share (sourced after lib.sh, POSIX
# sh): the reader user $READER (created when missing; the caller must be
# root), as_reader, the log $DB in $D, writer and reader, gen, append.py,
# count_rows, state, reader_loop and judge_loop. Skips the script (naming
# why) when it cannot switch users.

if [ "$(id -u)" != 0 ]; then
	skip_all "needs root to switch users (run make check as root)"
fi
READER=ndrsift-test
if ! id -u "$READER" >/dev/null 2>&1; then
	useradd --system --no-create-home --shell /usr/sbin/nologin "$READER" >/dev/null 2>&1 ||
		useradd --system --no-create-home "$READER" >/dev/null 2>&1 || {
		skip_all "cannot create the user $READER (useradd failed; Debian package passwd)"
	}
fi
ruid=$(id -u "$READER")
rgid=$(id -g "$READER")
if command -v setpriv >/dev/null 2>&1; then
	as_reader () { setpriv --reuid="$ruid" --regid="$rgid" --clear-groups -- "$@"; }
elif command -v runuser >/dev/null 2>&1; then
	as_reader () { runuser -u "$READER" -- "$@"; }
else
	skip_all "neither setpriv nor runuser (Debian package util-linux)"
fi

export NDRSIFT_CONFIG=/dev/null
chmod 755 "$tmpdir"
if ! as_reader test -x "$tmpdir"; then
	skip_all "$tmpdir is not reachable by $READER (set TMPDIR)"
fi
# The reader must be able to run the binary (a build tree under /root is
# not reachable): use a copy when it cannot.
READ_BIN=$NDRSIFT
if ! as_reader test -x "$NDRSIFT"; then
	mkdir -p "$tmpdir/bin" && cp "$NDRSIFT" "$tmpdir/bin/ndrsift" && chmod 755 "$tmpdir/bin" "$tmpdir/bin/ndrsift"
	READ_BIN=$tmpdir/bin/ndrsift
fi


D=$tmpdir/lib
mkdir -m 755 "$D"
DB=$D/sent.db
bgpids=
cleanup () {
	for p in $bgpids; do kill -ALRM "$p" 2>/dev/null; done
	rm -rf "$tmpdir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

writer () { "$NDRSIFT" --config /dev/null --db "$DB" "$@"; }
reader () { as_reader "$READ_BIN" --config /dev/null --db "$DB" "$@"; }

cat >"$tmpdir/gen.py" <<'EOF'
import json, sys, datetime
prefix, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t0 = datetime.datetime(2026, 11, 27, tzinfo=datetime.timezone.utc)
w = sys.stdout.write
for i in range(first, first + count):
    t = (t0 + datetime.timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
    w(json.dumps({"time": t, "server": "mx1", "queue_id": "Q%s%d" % (prefix, i),
                  "message_id": "<%s-%d@example.com>" % (prefix, i), "sender": "alice@example.com",
                  "recipients": ["r%d@remote.example" % i], "origin": "auth"}, separators=(",", ":")) + "\n")
EOF
gen () { python3 "$tmpdir/gen.py" "$@"; }
# append FILE PREFIX FIRST BATCHES SIZE: BATCHES batches of SIZE lines, 0.1 s apart.
cat >"$tmpdir/append.py" <<'EOF'
import subprocess, sys, time
path, prefix, first, batches, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
gen = sys.argv[0].replace("append.py", "gen.py")
for b in range(batches):
    out = subprocess.run([sys.executable, gen, prefix, str(first + b * size), str(size)],
                         check=True, capture_output=True).stdout
    with open(path, "ab") as f:
        f.write(out)
    time.sleep(0.1)
EOF
count_rows () {
	python3 -c '
import sqlite3, sys
print(sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=30).execute("SELECT count(*) FROM messages").fetchone()[0])' "$DB"
}
# state: checksums of the database and its -wal, and the directory listing.
state () { (cd "$D" && md5sum sent.db sent.db-wal 2>&1; ls -A "$D"); }

# reader_loop OUT PIDFILE: runs `log stats` as the reader until PIDFILE's
# process ends (or 120 s), one line per run in OUT: "exit STATUS" and any
# stderr.
reader_loop () {
	end=$(($(date +%s) + 120))
	while kill -0 "$2" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do
		if reader log stats >"$tmpdir/r.out" 2>"$tmpdir/r.err"; then rc=0; else rc=$?; fi
		echo "exit $rc $(tr '\n' ' ' <"$tmpdir/r.err")" >>"$1"
	done
}
# judge_loop DESC OUT: ok when there were runs and every one exited 0 with
# nothing on stderr.
judge_loop () {
	runs=$(wc -l <"$2" | tr -d ' ')
	bad=$(grep -cv '^exit 0 $' "$2")
	locked=$(grep -ci 'locked\|unable to open\|readonly\|read-only' "$2")
	if [ "$runs" -gt 0 ] && [ "$bad" = 0 ]; then ok "$1 ($runs reader runs)"
	else not_ok "$1" "$runs runs, $bad failed, $locked locked/unable to open" "$(grep -v '^exit 0 $' "$2" | sort | uniq -c | sort -rn | head -5)"; fi
}

