#!/usr/bin/env bash
# import.sh — how fast `ndrsift log import` reads a Postfix log.
#
#   bench/import.sh [LINES]        (default 5,000,000; run from the build dir)
#
# Generates a realistic synthetic Postfix log (two servers in one central
# syslog; per message: smtpd connect, client= (with SASL for our users, a
# foreign client for some), cleanup message-id, qmgr from=, smtp to=
# status=, qmgr removed, disconnect; plus postscreen/anvil noise), then
# times one import into a fresh database, best of 3, and prints lines/s,
# messages, and bytes per logged message. Figures go to bench/out/import.txt.
set -euo pipefail
lines=${1:-5000000}
ndrsift=${NDRSIFT:-./ndrsift}
out=bench/out
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/ndrsift-import.XXXXXX")
trap 'rm -rf "$work"' EXIT

python3 - "$lines" "$work/mail.log" <<'PY'
import sys, random
n, path = int(sys.argv[1]), sys.argv[2]
random.seed(7)
alpha = "BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789"
months = "Nov"
out = open(path, "w")
written = 0
i = 0
t = 0
while written < n:
    i += 1
    t += random.randint(0, 2)
    day = 1 + (t // 86400) % 28
    hh, mm, ss = (t // 3600) % 24, (t // 60) % 60, t % 60
    stamp = "%s %2d %02d:%02d:%02d" % (months, day, hh, mm, ss)
    host = "mx1" if i % 2 else "mx2"
    qid = "4X" + "".join(random.choice(alpha) for _ in range(12))
    pid = 1000 + i % 5000
    ours = i % 5 != 0
    ip = "192.0.2.%d" % (i % 250 + 1) if ours else "203.0.113.%d" % (i % 250 + 1)
    user = "user%d" % (i % 5000)
    lines = [
        "%s %s postfix/smtpd[%d]: connect from client%d.example.com[%s]" % (stamp, host, pid, i % 999, ip),
        "%s %s postfix/smtpd[%d]: %s: client=client%d.example.com[%s]%s" % (stamp, host, pid, qid, i % 999, ip,
            ", sasl_method=PLAIN, sasl_username=%s" % user if ours else ""),
        "%s %s postfix/cleanup[%d]: %s: message-id=<%s.%d@example.com>" % (stamp, host, pid + 1, qid, qid, i),
        "%s %s postfix/qmgr[900]: %s: from=<%s@example.com>, size=%d, nrcpt=1 (queue active)" % (stamp, host, qid, user, 2000 + i % 50000),
        "%s %s postfix/smtp[%d]: %s: to=<dest%d@remote%d.example>, relay=mx.remote%d.example[198.51.100.%d]:25, delay=0.5, delays=0.1/0/0.2/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as %X)" % (stamp, host, pid + 2, qid, i % 10000, i % 97, i % 97, i % 250 + 1, i),
        "%s %s postfix/qmgr[900]: %s: removed" % (stamp, host, qid),
        "%s %s postfix/smtpd[%d]: disconnect from client%d.example.com[%s] ehlo=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=6" % (stamp, host, pid, i % 999, ip),
    ]
    if i % 10 == 0:
        lines.append("%s %s postfix/anvil[77]: statistics: max connection rate 2/60s for (smtp:%s) at %s" % (stamp, host, ip, stamp))
    out.write("\n".join(lines) + "\n")
    written += len(lines)
out.close()
PY
wc -l <"$work/mail.log" | xargs printf 'log: %s lines, '
du -h "$work/mail.log" | cut -f1

best=
for run in 1 2 3; do
	rm -f "$work/sent.db" "$work/sent.db-wal" "$work/sent.db-shm"
	start=$(date +%s.%N)
	"$ndrsift" --config /dev/null --db "$work/sent.db" log import --format postfix "$work/mail.log" 2>"$work/err"
	end=$(date +%s.%N)
	secs=$(awk "BEGIN { print $end - $start }")
	echo "  run $run: ${secs} s ($(tail -1 "$work/err"))"
	if [ -z "$best" ] || awk "BEGIN { exit !($secs < $best) }"; then best=$secs; fi
done
n=$(wc -l <"$work/mail.log")
stats=$("$ndrsift" --config /dev/null --db "$work/sent.db" log stats)
msgs=$(echo "$stats" | sed -n 's/^messages *//p')
size=$(echo "$stats" | sed -n 's/^size *\([0-9]*\) bytes.*/\1/p')
rate=$(awk "BEGIN { printf \"%d\", $n / $best }")
line="lines=$n seconds=$best lines_per_s=$rate messages=$msgs bytes=$size bytes_per_message=$((size / msgs))"
echo "$line"
echo "$line" >"$out/import.txt"
