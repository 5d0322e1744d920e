#!/usr/bin/env bash
# import.sh — how fast, and in how much memory, `ndrsift log import`
# reads a big log of each format.
#
#   bench/import.sh [LINES [FORMAT...]]   (default 10,000,000 lines of each
#                                          of postfix exim sendmail exchange
#                                          jsonl; run from the build dir)
#
# For each format: writes a synthetic log of about LINES lines
# (bench/import-logs.py: two servers, four messages in five from our
# users, one to three recipients, Message-IDs at random places in their
# index, the MTA's lines that carry no message), imports it once into a
# fresh database under /usr/bin/time -v, and prints lines/s by the wall
# clock and by CPU time (user + system: the figure to read on a shared
# machine, where the wall clock waits for a core), the peak resident set
# size, the open messages set aside (sentlog.h "Joining"), the messages
# and bytes per logged message. Each format's log and database are
# removed before the next (a 10M-line Exchange log is 4 GB). Figures go
# to bench/out/import.txt, one line per format.
#
# Environment: NDRSIFT (./ndrsift), BENCH_TMPDIR ($TMPDIR or /tmp),
# BENCH_OUT (bench/out), BENCH_KEEP (1: keep the work directory).
# A benchmark, not a test: non-zero exit only when a command fails.
# Needs bash, python3 and /usr/bin/time (package `time`).
set -euo pipefail
lines=${1:-10000000}
shift || true
formats=${*:-postfix exim sendmail exchange jsonl}
ndrsift=${NDRSIFT:-./ndrsift}
src=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
out=${BENCH_OUT:-bench/out}
mkdir -p "$out"
work=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/ndrsift-import.XXXXXX")
[ "${BENCH_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
: >"$out/import.txt"

for fmt in $formats; do
	log=$work/$fmt.log db=$work/sent.db
	rm -f "$db" "$db-wal" "$db-shm"
	python3 "$src/bench/import-logs.py" "$fmt" "$lines" "$log"
	n=$(wc -l <"$log")
	size=$(du -m "$log" | cut -f1)
	# Exim's mainlog and Exchange's logs name no server.
	/usr/bin/time -v "$ndrsift" --config /dev/null --db "$db" log import --format "$fmt" --server mx1 "$log" \
		2>"$work/time.txt"
	summary=$(grep '^ndrsift: log import:' "$work/time.txt")
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.txt" |
		awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
	user=$(sed -n 's/.*User time (seconds): //p' "$work/time.txt")
	sys=$(sed -n 's/.*System time (seconds): //p' "$work/time.txt")
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
	aside=$(echo "$summary" | sed -n 's/.*, \([0-9]*\) open messages set aside.*/\1/p')
	stats=$("$ndrsift" --config /dev/null --db "$db" log stats)
	msgs=$(echo "$stats" | sed -n 's/^messages *//p')
	bytes=$(echo "$stats" | sed -n 's/^size *\([0-9]*\) bytes.*/\1/p')
	line=$(awk -v f="$fmt" -v n="$n" -v mb="$size" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" \
		-v a="${aside:-0}" -v m="$msgs" -v b="$bytes" 'BEGIN {
		printf "format=%s lines=%d log_mb=%d wall_s=%.1f cpu_s=%.1f lines_per_s_wall=%d lines_per_s_cpu=%d" \
		       " max_rss_mb=%.1f set_aside=%d messages=%d bytes_per_message=%d",
		       f, n, mb, w, u + s, n / w, n / (u + s), r / 1024, a, m, m ? b / m : 0 }')
	echo "$line"
	echo "$line" >>"$out/import.txt"
	rm -f "$log" "$db" "$db-wal" "$db-shm"
done
