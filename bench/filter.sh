#!/bin/bash
# shellcheck disable=SC2154 # t0..t4 are set by clock() with printf -v
# filter.sh -- how long does `ndrsift filter` take per message, as a whole
# process, the way a delivery agent runs it (procmail :0 fw, maildrop
# xfilter, Sieve filter): one process per message, shipped rules, a sent log
# of 1,000,000 messages?
#
# usage: bench/filter.sh        (from the build directory, where ./ndrsift is)
#
# What it does:
#   1. writes a jsonl file of BENCH_LOG_MESSAGES (1,000,000) synthetic
#      records (two servers, origin auth, one recipient each, spread over
#      2026) plus, for half of the sampled bounces, the Message-ID they quote
#      (so lookups both hit and miss); and a Postfix-format file of
#      heartbeat lines (ndrsift-heartbeat, as contrib's timer writes them)
#      of both servers every 50 minutes from 1990 to 2030, about 840,000
#      lines and no messages: real coverage of every corpus date, so that a
#      miss is judged (MSGID_NOT_SENT), not skipped as LOG_NOT_COVERING;
#   2. times `ndrsift log import` of those files into a fresh database, once
#      (skipped when BENCH_DB names an existing database);
#   3. samples BENCH_SAMPLE (100) corpus bounces, evenly spaced over the
#      sorted maildir/bsd, dos and mac files, and checks, untimed, that
#      filter writes a non-empty message with the header for each;
#   4. runs, BENCH_RUNS (500) times each, rotating over the sample and
#      interleaving the cases so that drift hits them alike:
#        log      ndrsift --config C --rules R filter <msg >/dev/null   (1M-message log)
#        nolog    the same with [sentlog] path pointing nowhere (an empty log)
#        version  ndrsift --version  (process start-up + dynamic linking only)
#        true     /bin/true          (the harness's own fork/exec + timing cost)
#      timing each run with bash's $EPOCHREALTIME (no extra fork; `date
#      +%s%N` on a bash without it, which adds a fork to every figure);
#   5. prints median, p90, mean, min and max per case in milliseconds,
#      whether the median of "log" meets the target (< 5 ms), the paired
#      ratio of each case to the /bin/true run beside it (the median of the
#      runs' own ratios; target: log <= 3), what share of the sample's
#      misses (a quoted Message-ID not in the log) were judged
#      (MSGID_NOT_SENT) rather than left unjudged by coverage
#      (LOG_NOT_COVERING), and writes one line of figures to
#      bench/out/filter.txt.
# It is a benchmark, not a test: it exits non-zero only when a command fails.
#
# Environment:
#   NDRSIFT             the binary (default ./ndrsift, else $top_srcdir/ndrsift)
#   NDRSIFT_CORPUS      the corpus: a copy of sisimai's set-of-emails (required)
#   NDRSIFT_RULES       rule directory (default $top_srcdir/rules: the shipped rules)
#   BENCH_LOG_MESSAGES  synthetic messages in the log (default 1000000)
#   BENCH_SAMPLE        corpus bounces sampled (default 100)
#   BENCH_RUNS          timed runs per case (default 500)
#   BENCH_DB            use (and keep) this sent log; built there when missing
#   BENCH_TMPDIR        where the work directory goes (default $TMPDIR or /tmp)
#   BENCH_OUT           output directory (default bench/out next to this script)
#   BENCH_KEEP          set: keep the work directory
# Needs bash, python3 and ~300 MB free in the work directory (jsonl, database, -wal).
#
# The -wal file: every filter process is the sent log's only connection, so
# SQLite rebuilds the WAL index and reads every frame of the WAL's current
# generation on open. The script prints how many there are (they are what
# the last auto-checkpoint of the import left: a matter of luck), since they
# change the "log" figure (bench/README).

set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/.." && pwd)
corpus=${NDRSIFT_CORPUS:-}
rules=${NDRSIFT_RULES:-$top_srcdir/rules}
nlog=${BENCH_LOG_MESSAGES:-1000000}
nsample=${BENCH_SAMPLE:-100}
runs=${BENCH_RUNS:-500}
out=${BENCH_OUT:-$here/out}

die() { echo "filter.sh: $*" >&2; exit 1; }
# clock VAR: microseconds since the epoch into VAR; $EPOCHREALTIME (bash >= 5)
# costs no fork, `date +%s%N` adds one (about 1 ms) to every figure
if [ -n "${EPOCHREALTIME:-}" ]; then
	clock_name=EPOCHREALTIME
	clock() { printf -v "$1" '%s' "${EPOCHREALTIME/[.,]/}"; }
else
	clock_name="date +%s%N"
	clock() { printf -v "$1" '%s' "$(($(date +%s%N) / 1000))"; }
fi

[ -d "$corpus/maildir/bsd" ] || die "corpus not found at $corpus (set NDRSIFT_CORPUS)"
[ -d "$rules" ] || die "rules not found at $rules (set NDRSIFT_RULES)"
command -v python3 >/dev/null 2>&1 || die "python3 not found"
for v in "$nlog" "$nsample" "$runs"; do
	case $v in '' | *[!0-9]* | 0) die "BENCH_LOG_MESSAGES, BENCH_SAMPLE and BENCH_RUNS must be positive numbers" ;; esac
done
if [ -n "${NDRSIFT:-}" ]; then
	ndrsift=$NDRSIFT
elif [ -x ./ndrsift ]; then
	ndrsift=./ndrsift
else
	ndrsift=$top_srcdir/ndrsift
fi
[ -x "$ndrsift" ] || die "ndrsift binary not found: $ndrsift (set NDRSIFT)"
ndrsift=$(cd "$(dirname "$ndrsift")" && pwd)/$(basename "$ndrsift")
corpus=$(cd "$corpus" && pwd)
rules=$(cd "$rules" && pwd)
mkdir -p "$out"

work=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/ndrsift-filter-bench.XXXXXX")
if [ -n "${BENCH_KEEP:-}" ]; then
	echo "filter.sh: keeping $work" >&2
else
	trap 'rm -rf "$work"' EXIT
fi
db=${BENCH_DB:-$work/sent.db}

conf() { # conf FILE DBPATH
	cat >"$1" <<EOF
# bench/filter.sh: nothing is ours; every server of the log must cover
[local]
domains=
relays=
networks=
[sentlog]
path=$2
window_days=14
[rules]
dirs=$rules
[filter]
deadline_ms=2000
EOF
}
conf "$work/log.conf" "$db"
conf "$work/nolog.conf" "$work/no-such-sent.db"

# 3 (first half). The sample, and the Message-IDs it quotes.
python3 - "$corpus" "$nsample" >"$work/sample.txt" <<'PY'
import os, sys
corpus, n = sys.argv[1], int(sys.argv[2])
files = sorted(os.path.join(corpus, "maildir", d, f) for d in ("bsd", "dos", "mac")
               for f in os.listdir(os.path.join(corpus, "maildir", d)) if not f.startswith("."))
n = min(n, len(files))
for i in range(n):
    print(files[i * len(files) // n])
PY
mapfile -t sample <"$work/sample.txt"
"$ndrsift" --config "$work/nolog.conf" scan --format jsonl --jobs 1 --no-progress "${sample[@]}" \
	>"$work/sample.jsonl" 2>/dev/null || die "scan of the sample failed"

# 1-2. The log.
if [ -e "$db" ]; then
	import_line="import=reused db=$db"
	echo "sent log: reusing $db"
else
	clock t0
	# The records, and heartbeats of both servers every 50 minutes from
	# 1990 to 2030 (bench/sentlog-gen.py says why).
	python3 "$here/sentlog-gen.py" records "$nlog" "$work/sample.jsonl" >"$work/log.jsonl"
	python3 "$here/sentlog-gen.py" heartbeats >"$work/heartbeat.log"
	clock t1
	gen_s=$(awk "BEGIN { printf \"%.1f\", ($t1 - $t0) / 1e6 }")
	records=$(wc -l <"$work/log.jsonl")
	beats=$(wc -l <"$work/heartbeat.log")
	echo "sent log: generated $records jsonl records ($(du -h "$work/log.jsonl" | cut -f1)) and $beats heartbeat lines in ${gen_s} s"
	clock t0
	"$ndrsift" --config "$work/log.conf" log import --format jsonl "$work/log.jsonl" 2>"$work/import.err" ||
		die "log import failed: $(tail -3 "$work/import.err")"
	clock t1
	"$ndrsift" --config "$work/log.conf" log import --format postfix "$work/heartbeat.log" 2>"$work/heartbeat.err" ||
		die "log import of the heartbeats failed: $(tail -3 "$work/heartbeat.err")"
	echo "sent log: heartbeats: $(tail -1 "$work/heartbeat.err")"
	import_s=$(awk "BEGIN { printf \"%.1f\", ($t1 - $t0) / 1e6 }")
	rate=$(awk "BEGIN { printf \"%d\", $records / (($t1 - $t0) / 1e6) }")
	echo "sent log: imported in ${import_s} s ($rate records/s): $(tail -1 "$work/import.err")"
	import_line="import_records=$records import_s=$import_s import_records_per_s=$rate"
	rm -f "$work/log.jsonl" "$work/heartbeat.log"
fi
"$ndrsift" --config "$work/log.conf" log stats | sed 's/^/  /'
# What share of the sample's misses the log judges: MSGID_NOT_SENT (the
# log covers the interval: judged) or LOG_NOT_COVERING (not judged).
"$ndrsift" --config "$work/log.conf" check "${sample[@]}" >"$work/check.txt" 2>/dev/null || true
misses=$(grep -cE 'tests=(.*,)?(MSGID_NOT_SENT|LOG_NOT_COVERING)(,|$)' "$work/check.txt" || true)
judged=$(grep -cE 'tests=(.*,)?MSGID_NOT_SENT(,|$)' "$work/check.txt" || true)
echo "misses: $judged of $misses sampled bounces whose Message-ID is not in the log were judged (MSGID_NOT_SENT); the rest LOG_NOT_COVERING"
dbsize=$(du -k "$db" | cut -f1)
# A reader that is the only connection (every filter process) rebuilds the
# WAL index from the -wal file, reading every frame still valid in it: its
# size changes the "log" figure (see bench/README).
walbytes=$(stat -c %s "$db-wal" 2>/dev/null || echo 0)
walframes=$(python3 - "$db-wal" <<'PY'
import struct, sys
try:
    d = open(sys.argv[1], "rb").read()
except OSError:
    d = b""
n, off = 0, 32
if len(d) >= 32:
    psz, s1, s2 = struct.unpack(">I", d[8:12])[0], d[16:20], d[20:24]
    while off + 24 + psz <= len(d) and d[off + 8:off + 12] == s1 and d[off + 12:off + 16] == s2:
        n, off = n + 1, off + 24 + psz
print(n)
PY
)
echo "sent log: -wal file $walbytes bytes, $walframes frames of the current WAL generation before the runs"

# 3 (second half). Untimed check, and warm-up of the page cache.
for f in "${sample[@]}"; do
	for c in log nolog; do
		"$ndrsift" --config "$work/$c.conf" filter <"$f" >"$work/check.out" 2>/dev/null ||
			die "filter failed on $f ($c)"
		o=$(head -c 300 "$work/check.out" | tr -d '\0')
		case $o in
		X-NDR-Verdict:* | From\ *X-NDR-Verdict:*) ;;
		*) die "filter wrote no verdict header for $f ($c): ${o:0:80}" ;;
		esac
	done
done

# 4. The timed runs.
: >"$work/times"
n=${#sample[@]}
for ((i = 0; i < runs; i++)); do
	f=${sample[i % n]}
	clock t0
	"$ndrsift" --config "$work/log.conf" filter <"$f" >/dev/null 2>&1
	clock t1
	"$ndrsift" --config "$work/nolog.conf" filter <"$f" >/dev/null 2>&1
	clock t2
	"$ndrsift" --version >/dev/null 2>&1
	clock t3
	/bin/true
	clock t4
	echo "$((t1 - t0)) $((t2 - t1)) $((t3 - t2)) $((t4 - t3))" >>"$work/times"
done

# 5. The figures.
python3 - "$work/times" "$out/filter.txt" "$runs" "$n" "$nlog" "$dbsize" "$import_line" "$clock_name" "$walbytes" "$walframes" \
	"$misses" "$judged" <<'PY'
import os, statistics, sys, time
path, outp, runs, n, nlog, dbsize, import_line, clock, walbytes, walframes, misses, judged = sys.argv[1:13]
cols = list(zip(*[[int(x) for x in line.split()] for line in open(path)]))
names = ("log", "nolog", "version", "true")
def pct(v, p):
    v = sorted(v)
    k = (len(v) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)
fig = {}
print("filter, whole process, %s runs per case over %s corpus bounces (ms; clock %s; %d CPUs):"
      % (runs, n, clock, os.cpu_count()))
print("  %-8s %8s %8s %8s %8s %8s" % ("case", "median", "p90", "mean", "min", "max"))
for name, col in zip(names, cols):
    ms = [c / 1000.0 for c in col]
    fig[name] = (statistics.median(ms), pct(ms, 90), statistics.mean(ms), min(ms), max(ms))
    print("  %-8s %8.2f %8.2f %8.2f %8.2f %8.2f" % ((name,) + fig[name]))
print("  log: a %s-message sent log (%s KB; -wal %s bytes, %s current frames); nolog: no sent log;"
      " version: ndrsift --version; true: /bin/true" % (nlog, dbsize, walbytes, walframes))
met = fig["log"][0] < 5.0
print("target: median < 5 ms with the 1M-message log: %s (%.2f ms)" % ("met" if met else "NOT met", fig["log"][0]))
print("misses judged: %s of %s (%.0f%%)" % (judged, misses, 100.0 * int(judged) / int(misses) if int(misses) else 0.0))
# The paired ratio: each run of a case against the /bin/true run next to
# it, so that the machine's drifting load cancels out.
paired = {name: statistics.median(c / t for c, t in zip(col, cols[3]) if t > 0)
          for name, col in zip(names[:3], cols[:3])}
print("paired ratio to /bin/true (median of the runs' own ratios): log %.2f, nolog %.2f, version %.2f"
      % (paired["log"], paired["nolog"], paired["version"]))
print("target: log <= 3 x /bin/true: %s" % ("met" if paired["log"] <= 3.0 else "NOT met"))
line = ("date=%s runs=%s sample=%s log_messages=%s db_kb=%s wal_bytes=%s wal_frames=%s %s "
        "log_median_ms=%.2f log_p90_ms=%.2f nolog_median_ms=%.2f nolog_p90_ms=%.2f "
        "version_median_ms=%.2f true_median_ms=%.2f target_5ms=%s misses=%s misses_judged=%s "
        "log_true_ratio=%.2f nolog_true_ratio=%.2f nproc=%d" % (
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), runs, n, nlog, dbsize, walbytes, walframes, import_line,
            fig["log"][0], fig["log"][1], fig["nolog"][0], fig["nolog"][1],
            fig["version"][0], fig["true"][0], "met" if met else "not-met", misses, judged,
            paired["log"], paired["nolog"], os.cpu_count()))
open(outp, "w").write(line + "\n")
print("written to " + outp)
PY
