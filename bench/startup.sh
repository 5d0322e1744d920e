#!/bin/bash
# startup.sh -- what does one `ndrsift filter` process cost next to the
# cheapest process there is, /bin/true, on the same machine in the same
# minutes?
#
# usage: bench/startup.sh        (from the build directory, where ./ndrsift is)
#
# What it does:
#   1. samples BENCH_SAMPLE (10) corpus bounces, evenly spaced over the
#      sorted maildir/bsd, dos and mac files;
#   2. runs BENCH_ROUNDS (10) rounds; each round takes the next bounce of the
#      sample and times, with hyperfine (BENCH_RUNS runs each, after 3
#      warm-up runs; hyperfine subtracts its shell's own start-up):
#        true     /bin/true <MSG >/dev/null
#        filter   ndrsift --config C filter <MSG >/dev/null
#        version  ndrsift --version >/dev/null
#      C is samples/ndrsift.conf's [local] (example.com), [rules] dirs
#      BENCH_RULES (default <srcdir>/rules: a directory of the shipped
#      files, as on an installed system) and the sent log BENCH_DB
#      (default: none, an empty log);
#   3. prints the median of each round's filter/true and version/true ratio
#      (the paired ratio: neighbouring runs share the machine's load, which
#      drifts over minutes on a shared machine) and the medians of the
#      times, against the target filter <= 3 x /bin/true;
#   4. unless BENCH_CALLGRIND=0, counts the instructions of one filter run
#      per sampled bounce with valgrind --tool=callgrind and prints their
#      median and the share of the dynamic loader (ld.so's _dl_start and
#      _dl_init) in them;
#   5. writes one line of figures to bench/out/startup.txt.
# It is a benchmark, not a test: it exits non-zero only when a command fails.
#
# Environment:
#   NDRSIFT          the binary (default ./ndrsift, else $top_srcdir/ndrsift)
#   NDRSIFT_CORPUS   the corpus: a copy of sisimai's set-of-emails (required)
#   BENCH_RULES      [rules] dirs for the config (default $top_srcdir/rules; a
#                    directory that does not exist: the built-in rules)
#   BENCH_DB         the sent log (default: a path that does not exist)
#   BENCH_SAMPLE     corpus bounces sampled (default 10)
#   BENCH_ROUNDS     rounds (default 10)
#   BENCH_RUNS       hyperfine runs per command and round (default 30)
#   BENCH_CALLGRIND  1 (default) or 0
#   BENCH_SERVE      1: filter asks a resident judge, `ndrsift serve` started
#                    here with the same config ([filter] server), and no
#                    callgrind counts (valgrind's filter would judge itself);
#                    0 (default): each filter process judges itself
#   BENCH_OUT        output directory (default bench/out next to this script)
# Needs bash, hyperfine, python3; valgrind for the instruction counts.

set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/.." && pwd)
corpus=${NDRSIFT_CORPUS:?set NDRSIFT_CORPUS to a copy of sisimai\'s set-of-emails}
nsample=${BENCH_SAMPLE:-10}
rounds=${BENCH_ROUNDS:-10}
runs=${BENCH_RUNS:-30}
out=${BENCH_OUT:-$here/out}

die() { echo "startup.sh: $*" >&2; exit 1; }

[ -d "$corpus/maildir/bsd" ] || die "corpus not found at $corpus (set NDRSIFT_CORPUS)"
command -v hyperfine >/dev/null 2>&1 || die "hyperfine not found (Debian: apt-get install hyperfine)"
command -v python3 >/dev/null 2>&1 || die "python3 not found"
for v in "$nsample" "$rounds" "$runs"; do
	case $v in '' | *[!0-9]* | 0) die "BENCH_SAMPLE, BENCH_ROUNDS and BENCH_RUNS must be positive numbers" ;; esac
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
mkdir -p "$out"

work=$(mktemp -d "${TMPDIR:-/tmp}/ndrsift-startup-bench.XXXXXX")
server_pid=
trap '[ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT

rules=${BENCH_RULES:-$top_srcdir/rules}
{
	printf '[local]\ndomains=example.com\nrelays=mx1.example.com;out.example.com\n'
	printf 'networks=192.0.2.0/24;2001:db8:10::/48\n[sentlog]\npath=%s\n' "${BENCH_DB:-$work/no-such-sent.db}"
	printf '[rules]\ndirs=%s\n[filter]\ndeadline_ms=2000\n' "$rules"
	[ "${BENCH_SERVE:-0}" != 1 ] || printf 'server=%s\n' "$work/serve.sock"
} >"$work/conf"
if [ "${BENCH_SERVE:-0}" = 1 ]; then
	"$ndrsift" --config "$work/conf" serve 2>"$work/serve.log" &
	server_pid=$!
	for _ in $(seq 100); do [ -S "$work/serve.sock" ] && break; sleep 0.05; done
	[ -S "$work/serve.sock" ] || die "ndrsift serve did not start: $(cat "$work/serve.log")"
fi

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
for f in "${sample[@]}"; do
	"$ndrsift" --config "$work/conf" filter <"$f" 2>/dev/null | head -c 300 | grep -q 'X-NDR-Verdict:' ||
		die "filter wrote no verdict header for $f"
	if [ "${BENCH_SERVE:-0}" = 1 ] && "$ndrsift" --config "$work/conf" filter <"$f" 2>&1 >/dev/null | grep -q 'judged here'; then
		die "filter did not take the server's verdict for $f"
	fi
done

q() { printf '%q' "$1"; }
for ((r = 0; r < rounds; r++)); do
	f=${sample[r % ${#sample[@]}]}
	hyperfine --style none --warmup 3 --runs "$runs" --export-json "$work/round$r.json" \
		-n true "/bin/true <$(q "$f") >/dev/null" \
		-n filter "$(q "$ndrsift") --config $(q "$work/conf") filter <$(q "$f") >/dev/null 2>&1" \
		-n version "$(q "$ndrsift") --version >/dev/null" >"$work/hyperfine.out" 2>&1 ||
		die "hyperfine failed in round $r: $(tail -5 "$work/hyperfine.out")"
done

cg_line="callgrind=skipped"
if [ "${BENCH_CALLGRIND:-1}" = 1 ] && [ "${BENCH_SERVE:-0}" != 1 ] && command -v valgrind >/dev/null 2>&1; then
	: >"$work/cg.txt"
	# valgrind runs it some 50 times slower: a deadline it cannot meet
	# would measure the fail-safe, not the judgement.
	sed 's/^deadline_ms=.*/deadline_ms=8000/' "$work/conf" >"$work/conf.cg"
	for f in "${sample[@]}"; do
		valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
			"$ndrsift" --config "$work/conf.cg" filter <"$f" 2>/dev/null | head -c 200 >"$work/cg.head" ||
			die "callgrind run failed on $f"
		grep -q 'X-NDR-Verdict: [a-z]*; kind=' "$work/cg.head" ||
			die "callgrind run of $f: no judgement ($(head -1 "$work/cg.head"))"
		callgrind_annotate --inclusive=yes "$work/cg.out" 2>/dev/null | python3 -c '
import re, sys
total = loader = 0
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)", line)
    if not m:
        continue
    n, what = int(m.group(1).replace(",", "")), m.group(2)
    if what.startswith("PROGRAM TOTALS"):
        total = n
    elif re.search(r":(_dl_start|_dl_init) \[", what):
        loader += n
print(total, loader)' >>"$work/cg.txt"
	done
fi

python3 - "$work" "$rounds" "$runs" "${#sample[@]}" "$out/startup.txt" "$ndrsift" <<'PY'
import json, os, statistics, sys, time
work, rounds, runs, nsample, outp, binary = sys.argv[1:7]
rounds = int(rounds)
ratio = {"filter": [], "version": []}
times = {"true": [], "filter": [], "version": []}
for r in range(rounds):
    res = {x["command"]: x for x in json.load(open(os.path.join(work, "round%d.json" % r)))["results"]}
    med = {k: statistics.median(v["times"]) for k, v in res.items()}
    for k in times:
        times[k] += res[k]["times"]
    for k in ratio:
        ratio[k].append(med[k] / med["true"])
ms = {k: statistics.median(v) * 1000 for k, v in times.items()}
rf, rv = statistics.median(ratio["filter"]), statistics.median(ratio["version"])
serve = os.environ.get("BENCH_SERVE", "0") == "1"
print("%s: %d rounds x %s runs, %s bounces, %d CPUs%s" % (binary, rounds, runs, nsample, os.cpu_count(),
      ", filter asks `ndrsift serve`" if serve else ""))
print("  median times: true %.2f ms, filter %.2f ms, --version %.2f ms" % (ms["true"], ms["filter"], ms["version"]))
print("  paired ratio (median of the rounds): filter/true %.2f (rounds %.2f-%.2f), --version/true %.2f"
      % (rf, min(ratio["filter"]), max(ratio["filter"]), rv))
print("  target filter <= 3 x /bin/true: %s" % ("met" if rf <= 3.0 else "NOT met"))
line = ("date=%s rounds=%d runs=%s sample=%s true_ms=%.2f filter_ms=%.2f version_ms=%.2f "
        "filter_true_ratio=%.2f version_true_ratio=%.2f nproc=%d serve=%d" % (
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), rounds, runs, nsample,
            ms["true"], ms["filter"], ms["version"], rf, rv, os.cpu_count(), serve))
cg = os.path.join(work, "cg.txt")
if os.path.exists(cg):
    rows = [tuple(int(x) for x in l.split()) for l in open(cg) if l.strip()]
    tot = statistics.median(r[0] for r in rows)
    ld = statistics.median(r[1] for r in rows)
    print("  instructions of one filter run (callgrind, median of %d bounces): %.2f M, %.2f M (%.0f %%) in the dynamic loader"
          % (len(rows), tot / 1e6, ld / 1e6, 100.0 * ld / tot))
    print("    per bounce (M): " + " ".join("%.2f" % (r[0] / 1e6) for r in rows))
    line += " filter_instructions=%d loader_instructions=%d" % (tot, ld)
open(outp, "w").write(line + "\n")
print("written to " + outp)
PY
