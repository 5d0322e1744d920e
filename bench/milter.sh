#!/bin/bash
# milter.sh -- what `ndrsift milter` costs: the verdict time per message,
# what it takes from Postfix's throughput, and its memory.
#
# usage: bench/milter.sh        (from the build directory, where ./ndrsift is)
#
# What it does:
#   1. the sent log of bench/filter.sh: BENCH_LOG_MESSAGES (1,000,000)
#      synthetic records plus every other Message-ID the bounces quote, and
#      heartbeats that cover every corpus date (bench/sentlog-gen.py);
#      reused when BENCH_DB names an existing one;
#   2. verdict time: one daemon, one connection (bench/milter-bench.py
#      speaks the milter protocol as Postfix does); every bounce once,
#      after a warm-up of 20: the time from sending the end of message to
#      the milter's final reply, median, p90, p99 and max; target p99 < 1 ms;
#   3. memory: a fresh daemon's peak resident set (VmHWM) while 100
#      connections send ordinary-size bounces at once (target < 64 MB), and
#      another's while 10 connections each send a 16 MiB message and end
#      them together (target < 400 MB);
#   4. throughput (as root, with Debian's postfix): one Postfix instance on
#      127.0.0.1:10055 (smtpd_milters = the daemon) and 10056 (no milter),
#      delivering to discard:; the same messages (the bounces, repeated up
#      to BENCH_MESSAGES, 1,000) sent with a null sender over 10 SMTP
#      connections (tests/e2e/milter-client.py), timed until Postfix has
#      discarded the last; BENCH_RUNS (5) pairs, milter on and off in
#      alternating order; prints messages/s, on/off as the ratio of the
#      medians and the median of the pairs' ratios; target: >= 0.90; and
#      the CPU time per message (median of the runs) of the daemon, of
#      Postfix's processes (its master, its children and the children they
#      waited for) and of the client with this script's polling of the log
#      (it shares the two cores: with it, the host is CPU-bound);
#   5. writes one line of figures to bench/out/milter.txt.
# It is a benchmark, not a test: it exits non-zero only when a command fails.
#
# Environment:
#   NDRSIFT             the binary (default ./ndrsift, else $top_srcdir/ndrsift)
#   NDRSIFT_CORPUS      a copy of sisimai's set-of-emails: its maildir/bsd, dos
#                       and mac bounces (default: none, samples/bounces)
#   NDRSIFT_RULES       rule directory (default $top_srcdir/rules)
#   BENCH_LOG_MESSAGES  synthetic messages in the log (default 1000000)
#   BENCH_MESSAGES      messages per throughput run (default 1000)
#   BENCH_RUNS          throughput pairs (default 5)
#   BENCH_PARTS         which steps: any of "verdict memory throughput" (all)
#   BENCH_DB            use (and keep) this sent log; built there when missing
#   BENCH_TMPDIR, BENCH_OUT (bench/out), BENCH_KEEP: as bench/filter.sh
# Needs bash, python3, ~300 MB for the log; step 4 root, postfix and free
# ports 10055-10056 (tests/e2e/milter.test uses them too: not at once).

set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/.." && pwd)
corpus=${NDRSIFT_CORPUS:-}
rules=${NDRSIFT_RULES:-$top_srcdir/rules}
nlog=${BENCH_LOG_MESSAGES:-1000000}
nmsg=${BENCH_MESSAGES:-1000}
runs=${BENCH_RUNS:-5}
parts=" ${BENCH_PARTS:-verdict memory throughput} "
out=${BENCH_OUT:-$here/out}
port_on=10055 port_off=10056
bench=$here/milter-bench.py
client=$top_srcdir/tests/e2e/milter-client.py

die() { echo "milter.sh: $*" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || die "python3 not found"
for v in "$nlog" "$nmsg" "$runs"; do
	case $v in '' | *[!0-9]* | 0) die "BENCH_LOG_MESSAGES, BENCH_MESSAGES and BENCH_RUNS must be positive numbers" ;; esac
done
if [ -n "${NDRSIFT:-}" ]; then ndrsift=$NDRSIFT
elif [ -x ./ndrsift ]; then ndrsift=./ndrsift
else ndrsift=$top_srcdir/ndrsift; fi
[ -x "$ndrsift" ] || die "ndrsift binary not found: $ndrsift (set NDRSIFT)"
ndrsift=$(cd "$(dirname "$ndrsift")" && pwd)/$(basename "$ndrsift")
"$ndrsift" --help 2>&1 | grep -q '^  milter ' || die "$ndrsift was built without the milter"
rules=$(cd "$rules" && pwd)
mkdir -p "$out"

work=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/ndrsift-milter-bench.XXXXXX")
chmod 711 "$work"
pids=
cleanup() {
	[ -f "$work/pf/started" ] && postfix -c "$work/pf/etc" stop >/dev/null 2>&1
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ -n "${BENCH_KEEP:-}" ]; then echo "milter.sh: keeping $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
db=${BENCH_DB:-$work/sent.db}

# The bounces: the corpus's, else the samples.
if [ -n "$corpus" ]; then
	[ -d "$corpus/maildir/bsd" ] || die "corpus not found at $corpus"
	find "$corpus/maildir/bsd" "$corpus/maildir/dos" "$corpus/maildir/mac" -type f ! -name '.*' | sort >"$work/files"
	source_name="the corpus (maildir/bsd, dos, mac)"
else
	ls "$top_srcdir"/samples/bounces/*.eml >"$work/files"
	source_name="samples/bounces (NDRSIFT_CORPUS unset)"
fi
mapfile -t files <"$work/files"
echo "bounces: ${#files[@]} from $source_name"

cat >"$work/milter.conf" <<EOF
# bench/milter.sh: nothing is ours; every server of the log must cover
[local]
domains=
relays=
networks=
[sentlog]
path=$db
window_days=14
[rules]
dirs=$rules
[milter]
socket_group=$(getent group postfix >/dev/null && [ "$(id -u)" = 0 ] && echo postfix)
EOF

# 1. The sent log.
if [ -e "$db" ]; then
	echo "sent log: reusing $db"
else
	"$ndrsift" --config "$work/milter.conf" --db "$work/none.db" scan --format jsonl --jobs 1 --no-progress \
		"${files[@]}" >"$work/sample.jsonl" 2>/dev/null || die "scan of the bounces failed"
	python3 "$here/sentlog-gen.py" records "$nlog" "$work/sample.jsonl" >"$work/log.jsonl"
	python3 "$here/sentlog-gen.py" heartbeats >"$work/heartbeat.log"
	"$ndrsift" --config "$work/milter.conf" log import --format jsonl "$work/log.jsonl" 2>"$work/import.err" ||
		die "log import failed: $(tail -3 "$work/import.err")"
	"$ndrsift" --config "$work/milter.conf" log import --format postfix "$work/heartbeat.log" 2>>"$work/import.err" ||
		die "log import of the heartbeats failed: $(tail -3 "$work/import.err")"
	rm -f "$work/log.jsonl" "$work/heartbeat.log"
	echo "sent log: $(grep -c . "$work/import.err") imports, $(du -h "$db" | cut -f1)"
fi

# start_daemon NAME: a daemon on $work/NAME.sock; its PID in $daemon.
start_daemon() {
	"$ndrsift" --config "$work/milter.conf" milter --socket "unix:$work/$1.sock" 2>"$work/$1.log" &
	daemon=$!
	pids="$pids $daemon"
	for _ in $(seq 100); do grep -qs 'listening on' "$work/$1.log" && return 0; sleep 0.1; done
	die "the daemon did not start: $(cat "$work/$1.log")"
}
stop_daemon() { kill "$daemon"; wait "$daemon" || true; }

# 2. Verdict time.
v_median=- v_p90=- v_p99=- v_max=- rss_mb=- big_mb=-
if [[ $parts == *" verdict "* ]]; then
start_daemon verdict
python3 "$bench" verdict "unix:$work/verdict.sock" "$work/warm.txt" "${files[@]:0:20}"
python3 "$bench" verdict "unix:$work/verdict.sock" "$work/verdict.txt" "${files[@]}"
stop_daemon
verdicts=$(grep -o ': \(forged\|legit\|unknown\|none\|error\); ' "$work/verdict.log" | sort | uniq -c | tr -s ' \n' ' ')
read -r v_median v_p90 v_p99 v_max v_replies < <(python3 - "$work/verdict.txt" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
us = sorted(int(r[0]) for r in rows)
def pct(p):
    k = (len(us) - 1) * p / 100.0
    lo = int(k); hi = min(lo + 1, len(us) - 1)
    return (us[lo] + (us[hi] - us[lo]) * (k - lo)) / 1000.0
replies = {}
for r in rows:
    replies[r[1]] = replies.get(r[1], 0) + 1
print("%.3f %.3f %.3f %.3f %s" % (pct(50), pct(90), pct(99), us[-1] / 1000.0,
      ",".join("%s:%d" % kv for kv in sorted(replies.items()))))
PY
)
p99_met=$(awk "BEGIN { print ($v_p99 < 1.0) ? \"met\" : \"NOT met\" }")
echo "verdict time, end of message to reply, ${#files[@]} bounces, one connection (ms):"
echo "  median $v_median  p90 $v_p90  p99 $v_p99  max $v_max   target p99 < 1 ms: $p99_met"
echo "  replies $v_replies; verdicts:$verdicts"
fi

# 3. Memory.
if [[ $parts == *" memory "* ]]; then
mapfile -t ordinary < <(python3 - "${files[@]}" <<'PY'
import os, sys
small = [f for f in sys.argv[1:] if os.path.getsize(f) < 64 * 1024]
for i in range(20):
    print(small[i * len(small) // 20])
PY
)
start_daemon rss
rss_line=$(python3 "$bench" rss "unix:$work/rss.sock" "$daemon" 100 3 "${ordinary[@]}")
stop_daemon
start_daemon big
big_line=$(python3 "$bench" big "unix:$work/big.sock" "$daemon" 10 16)
stop_daemon
rss_mb=$(echo "$rss_line" | sed -n 's/.*vmhwm_kb=\([0-9]*\).*/\1/p' | awk '{ printf "%.1f", $1 / 1024 }')
big_mb=$(echo "$big_line" | sed -n 's/.*vmhwm_kb=\([0-9]*\).*/\1/p' | awk '{ printf "%.1f", $1 / 1024 }')
echo "memory (peak RSS of the daemon):"
echo "  100 connections, 20 ordinary-size bounces 3 times each: $rss_mb MB (target < 64 MB: $(awk "BEGIN { print ($rss_mb < 64) ? \"met\" : \"NOT met\" }"))   [$rss_line]"
echo "  10 connections, a 16 MiB message each, ended together: $big_mb MB (target < 400 MB: $(awk "BEGIN { print ($big_mb < 400) ? \"met\" : \"NOT met\" }"))   [$big_line]"
fi

# 4. Throughput through Postfix.
tp_line="throughput=skipped"
if [[ $parts != *" throughput "* ]]; then
	:
elif [ "$(id -u)" != 0 ] || ! command -v postfix >/dev/null 2>&1; then
	echo "throughput: skipped (needs root and the Debian package postfix)"
else
	start_daemon tp
	pf=$work/pf
	mkdir -p "$pf/etc" "$pf/queue" "$pf/data" "$pf/log"
	chown postfix: "$pf/data"
	cat >"$pf/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $pf/queue
data_directory = $pf/data
maillog_file = $pf/log/maillog
maillog_file_prefixes = $pf/log
syslog_name = postfix-bench
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtp_dns_support_level = disabled
alias_database =
alias_maps =
biff = no
myhostname = mx.example.com
mydestination = example.com
local_recipient_maps =
local_transport = discard:
mynetworks = 127.0.0.1/32
in_flow_delay = 0
message_size_limit = 40000000
milter_bench = { unix:$work/tp.sock, default_action=accept }
EOF
	cat >"$pf/etc/master.cf" <<EOF
127.0.0.1:$port_on inet n - n - - smtpd -o smtpd_milters=\$milter_bench
127.0.0.1:$port_off inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
proxymap  unix  - - n -  - proxymap
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
	postfix -c "$pf/etc" start >/dev/null 2>&1 || die "postfix did not start: $(postfix -c "$pf/etc" check 2>&1)"
	: >"$pf/started"
	for _ in $(seq 100); do [ -s "$pf/log/maillog" ] && ss -Hltn "sport = :$port_off" | grep -q . && break; sleep 0.1; done
	# The messages: the bounces, repeated up to BENCH_MESSAGES.
	mkdir "$work/msgs"
	for ((i = 0; i < nmsg; i++)); do ln -s "${files[i % ${#files[@]}]}" "$work/msgs/$(printf %06d $i).eml"; done
	# ticks PID...: the CPU clock ticks (user and system) of each PID, and
	# of its children that have ended and been waited for.
	ticks() {
		local p t=0 stat f
		for p in "$@"; do
			stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
			# after "(comm) ": utime, stime, cutime and cstime are f[11..14]
			read -ra f <<<"${stat##*) }"
			t=$((t + f[11] + f[12] + f[13] + f[14]))
		done
		echo "$t"
	}
	# Postfix's processes: its master and the master's children.
	postfix_ticks() {
		local master
		master=$(tr -dc 0-9 <"$pf/queue/pid/master.pid")
		ticks "$master" $(ps -o pid= --ppid "$master")
	}
	# run PORT: seconds from the first message sent to the last discarded,
	# then the CPU ticks the run cost the daemon, Postfix and this script
	# with its client; the log is read only from where it stood.
	run() {
		local start now t0 t1 d0 p0 s0 d1 p1 s1 me=$BASHPID
		start=$(stat -c %s "$pf/log/maillog")
		d0=$(ticks "$daemon") p0=$(postfix_ticks) s0=$(ticks "$me")
		t0=$EPOCHREALTIME
		python3 "$client" send "$1" "$work/tp.out" --conns 10 --source 127.0.0.1 --to alice@example.com "$work/msgs"
		now=0
		while [ "$now" -lt "$nmsg" ]; do
			sleep 0.02
			now=$(tail -c +$((start + 1)) "$pf/log/maillog" | grep -c 'status=sent' || true)
		done
		t1=$EPOCHREALTIME
		d1=$(ticks "$daemon") p1=$(postfix_ticks) s1=$(ticks "$me")
		grep -vc '"code": 250' "$work/tp.out" >"$work/tp.bad" || true
		[ "$(cat "$work/tp.bad")" = 0 ] || die "a message was not accepted on port $1: $(grep -v '"code": 250' "$work/tp.out" | head -2)"
		awk "BEGIN { printf \"%.3f %d %d %d\", ${t1/[.,]/.} - ${t0/[.,]/.}, $d1 - $d0, $p1 - $p0, $s1 - $s0 }"
	}
	run $port_off >/dev/null # warm-up: the page cache, Postfix's processes
	run $port_on >/dev/null
	: >"$work/pairs"
	for ((r = 0; r < runs; r++)); do
		if ((r % 2 == 0)); then on=$(run $port_on); off=$(run $port_off)
		else off=$(run $port_off); on=$(run $port_on); fi
		echo "$on $off" >>"$work/pairs"
	done
	tp_line=$(python3 - "$work/pairs" "$nmsg" "$(getconf CLK_TCK)" <<'PY'
import statistics, sys
pairs = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
n, hz = int(sys.argv[2]), float(sys.argv[3])
on = [n / p[0] for p in pairs]
off = [n / p[4] for p in pairs]
def ms(i):  # median CPU ms per message of column i
    return statistics.median(p[i] for p in pairs) * 1000.0 / hz / n
print("tp_on=%.0f tp_off=%.0f tp_ratio=%.3f tp_ratio_paired=%.3f" % (
    statistics.median(on), statistics.median(off), statistics.median(on) / statistics.median(off),
    statistics.median(a / b for a, b in zip(on, off))),
    "cpu_ms_per_msg_on=daemon:%.2f,postfix:%.2f,client:%.2f cpu_ms_per_msg_off=daemon:%.2f,postfix:%.2f,client:%.2f" % (
    ms(1), ms(2), ms(3), ms(5), ms(6), ms(7)))
PY
)
	stop_daemon
	judged=$(grep -c ': tagged$' "$work/tp.log" || true)
	echo "throughput, $nmsg bounces over 10 SMTP connections into discard:, $runs pairs (messages/s):"
	echo "  $tp_line   (the daemon judged $judged messages)"
	ratio=$(echo "$tp_line" | sed 's/.*tp_ratio=\([0-9.]*\).*/\1/')
	echo "  target: the milter costs Postfix <= 10 % (ratio >= 0.90): $(awk "BEGIN { print ($ratio >= 0.90) ? \"met\" : \"NOT met\" }")"
fi

line="date=$(date -u +%Y-%m-%dT%H:%M:%SZ) bounces=${#files[@]} log_messages=$nlog verdict_median_ms=$v_median verdict_p90_ms=$v_p90 verdict_p99_ms=$v_p99 verdict_max_ms=$v_max rss_100conn_mb=$rss_mb rss_10x16mib_mb=$big_mb $tp_line nproc=$(nproc)"
echo "$line" >"$out/milter.txt"
echo "written to $out/milter.txt"
