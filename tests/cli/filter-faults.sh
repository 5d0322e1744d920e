# filter-faults.sh — what tests/cli/filter-faults.test and
# tests/stress/filter-memory.test share (sourced after lib.sh, POSIX sh):
# the bounce $T/msg, a sent log of 20,000 messages ($T/sent.db) that makes
# it legit, its 12 MB and 40 MB versions ($T/m12, $T/m40), run_filter,
# intact and expect, and loading_floor.

case ${NDRSIFT_SANITIZED:-} in
1|yes|true) sanitized=1 ;;
0|no|false) sanitized=0 ;;
*) if grep -aq __asan_init "$NDRSIFT" 2>/dev/null; then sanitized=1; else sanitized=0; fi ;;
esac
if [ "$sanitized" = 1 ]; then slow=3; else slow=1; fi

T=$tmpdir
R=$top_srcdir/rules
holder=
cleanup () {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	rm -rf "$tmpdir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---- inputs, the log ----------------------------------------------------
# A bounce of <sent1@example.com>, which the log has (a readable log makes
# it legit), received from a host that is not ours (without the log it
# is not legit).
cat >"$T/msg" <<'EOF'
Return-Path: <>
Received: from mx.remote.example (mx.remote.example [198.51.100.7])
	by mx1.example.com (Postfix) with ESMTP id 4Zq1
	for <alice@example.com>; Fri, 27 Nov 2026 10:05:09 +0000 (UTC)
From: MAILER-DAEMON@mx.remote.example (Mail Delivery System)
To: alice@example.com
Date: Fri, 27 Nov 2026 10:05:08 +0000
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain

<dave@remote.example>: host store.remote.example said: 550 5.1.1 User unknown
--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.remote.example

Final-Recipient: rfc822; dave@remote.example
Action: failed
Status: 5.1.1
--B1
Content-Type: message/rfc822

Received: from out.example.com (unknown [203.0.113.5])
	by mx.remote.example (Postfix) with ESMTP id 9Q2
	for <dave@remote.example>; Fri, 27 Nov 2026 10:00:01 +0000
Message-ID: <sent1@example.com>
From: Alice <alice@example.com>
To: dave@remote.example
Subject: Agenda

Hello.
--B1--
EOF
# 20,000 messages (many pages, so that a cut or a scribble lands in data),
# <sent1@example.com> among them.
python3 - "$T/log.jsonl" <<'EOF'
import json, sys
with open(sys.argv[1], 'w') as f:
    for i in range(20000):
        f.write(json.dumps({"time": "2026-11-27T%02d:%02d:%02dZ" % (8 + i // 3600, i // 60 % 60, i % 60),
                            "server": "out", "queue_id": "Q%d" % i,
                            "message_id": "<sent%d@example.com>" % i, "sender": "alice@example.com",
                            "recipients": ["r%d@remote.example" % i], "origin": "auth"}) + "\n")
EOF
"$NDRSIFT" --config /dev/null --db "$T/sent.db" log import --format jsonl "$T/log.jsonl" >/dev/null 2>&1
printf '[local]\ndomains=example.com\nnetworks=192.0.2.0/24\n' >"$T/conf"

# run_filter DB DEADLINE_MS [AS...]: filter of $T/msg with that log (as
# AS when given); sets rc, ms (elapsed), and leaves $T/out, $T/err.
run_filter () {
	db=$1 dl=$2
	shift 2
	{ cat "$T/conf"; printf '[filter]\ndeadline_ms=%s\n' "$dl"; } >"$T/run.conf"
	chmod 644 "$T/run.conf"
	t0=$(date +%s%N)
	timeout -k 5 $((20 * slow)) "$@" "$BIN" --config "$T/run.conf" --db "$db" --rules "$R" filter \
		<"$T/msg" >"$T/out" 2>"$T/err"
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
}

# intact IN OUT: OUT is one verdict header line (folds allowed) then IN
# byte for byte; prints the header (unfolded) or what is wrong (one python
# process for all: serve in lib.sh).
cat >"$T/intact.py" <<'EOF'
import re, sys
def answer(i, o):
    i, o = open(i, 'rb').read(), open(o, 'rb').read()
    if len(o) <= len(i) or not o.endswith(i):
        sys.exit('%d bytes in, %d out: not the input plus a header' % (len(i), len(o)))
    h = o[:len(o) - len(i)]
    if not re.fullmatch(rb'X-NDR-Verdict: [a-z]+; [ -~]*(\n\t[ -~]+)*\n', h):
        sys.exit('not one verdict header: %r' % h[:200])
    print(h.replace(b'\n\t', b'').strip().decode())
    return True
EOF
serve "$T/intact.py" || exit 1
intact () { ask "$1" "$2"; }

# expect DESC VERDICT_RE MAX_MS: the last run exited 0 within MAX_MS (x
# slow), the message intact, the header matching VERDICT_RE.
in_n=0 out_n=0
expect () {
	in_n=$((in_n + 1))
	why=""
	hdr=$(intact "$T/msg" "$T/out" 2>&1) && out_n=$((out_n + 1)) || why="$hdr;"
	[ "$rc" = 0 ] || why="$why exit $rc;"
	[ "$ms" -le $(($3 * slow)) ] || why="$why took $ms ms, more than $(($3 * slow));"
	printf '%s\n' "$hdr" | grep -Eq "^X-NDR-Verdict: ($2)" || why="$why header '$hdr' is not $2;"
	if [ -z "$why" ]; then ok "$1 ($ms ms; ${hdr%%; score*})"; else not_ok "$1" "$why" "stderr: $(head -c 300 "$T/err")"; fi
}

# The same bounce with 12 MB and 40 MB of text: $T/m12 and $T/m40.
python3 - "$T/msg" "$T/m12" "$T/m40" <<'EOF'
import sys
m = open(sys.argv[1], 'rb').read()
head, rest = m.split(b'\n--B1\nContent-Type: text/plain\n\n', 1)
line = b'The quick brown fox jumps over the lazy dog 0123456789 lorem ipsum dolor.\n'
for path, mb in ((sys.argv[2], 12), (sys.argv[3], 40)):
    with open(path, 'wb') as f:
        f.write(head + b'\n--B1\nContent-Type: text/plain\n\n')
        f.write(line * (mb * 1024 * 1024 // len(line)))
        f.write(rest)
EOF

# loading_floor: sets floor to the smallest ulimit -v (kB, in steps of
# 512) under which ndrsift --version runs at all; empty when none up to
# 256 MB does.
loading_floor () {
	floor=
	v=4096
	while [ $v -le 262144 ]; do
		if sh -c "ulimit -v $v && exec \"\$0\" --version" "$NDRSIFT" >/dev/null 2>&1; then floor=$v; break; fi
		v=$((v + 512))
	done
}
BIN=$NDRSIFT
