#!/bin/bash
# shellcheck disable=SC2154 # best_* are set by best_of with printf -v
# scan-vs-floor.sh -- how close does `ndrsift scan` come to the GMime parse floor?
#
# usage: bench/scan-vs-floor.sh        (from the build directory, where ./ndrsift is)
#
# Builds $GMIME_FLOOR_SRC into bench/out/gmime-floor, fills a
# temporary directory with the corpus's maildir/bsd, dos and mac messages
# repeated until there are at least BENCH_MESSAGES of them, warms the page
# cache, then times (best of BENCH_RUNS runs each; the scans as BENCH_RUNS
# rounds of --jobs 1 then --jobs 2, see paired()):
#   floor   find DIR -type f | gmime-floor   (parse + walk every part and header)
#   jobs=1  ndrsift scan --format jsonl --jobs 1 --no-progress DIR >/dev/null
#   jobs=2  ndrsift scan --format jsonl --jobs 2 --no-progress DIR >/dev/null
#   text    ndrsift scan --format text --jobs 1 --no-progress DIR >/dev/null
#           (the default format: no JSON to build per message), and the
#           same with --jobs 2
# and prints messages/s for each, scan/floor and jobs2/jobs1 (of the best
# times, and the median of the rounds' own ratios).  The figures
# also go, as one line, to bench/out/scan-vs-floor.txt.  Every time is wall
# clock for the whole command (process start, directory walk, output).
# It is a benchmark, not a test: it exits non-zero only when a command fails.
#
# Environment:
#   NDRSIFT           the binary (default ./ndrsift, else $top_srcdir/ndrsift)
#   NDRSIFT_ARGS      global options before `scan` (default: an empty config,
#                     a sent log that does not exist, --rules $top_srcdir/rules
#                     when present; set it, even to "", to override)
#   NDRSIFT_CORPUS    the corpus: a copy of sisimai's set-of-emails (required)
#   GMIME_FLOOR_SRC   the floor's source: a minimal GMime program that parses
#                     every file named on stdin and walks every part (required)
#   BENCH_MESSAGES    at least this many messages (default 20000)
#   BENCH_RUNS        runs per command, the best counts (default 3; give 11
#                     or more for a paired median worth reading)
#   BENCH_LINK        link: hard links when the corpus is on the same file
#                     system (the default), else copies; copy: always copy
# Needs bash, gcc, pkg-config, libgmime-3.0-dev, python3 (to fill the directory).
#   BENCH_TMPDIR      where the temporary directory goes (default $TMPDIR or /tmp)
#   BENCH_OUT         output directory (default bench/out next to this script)
#   BENCH_CHECK       1 (default): one untimed scan first that must print one
#                     row per message; 0: skip it
#   BENCH_FLOOR_ONLY  1: time the floor only (no ndrsift needed)
#   BENCH_KEEP        set: keep the temporary directory

set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/.." && pwd)
corpus=${NDRSIFT_CORPUS:-}
floor_src=${GMIME_FLOOR_SRC:-}
want=${BENCH_MESSAGES:-20000}
runs=${BENCH_RUNS:-3}
link=${BENCH_LINK:-link}
out=${BENCH_OUT:-$here/out}
floor_only=${BENCH_FLOOR_ONLY:-0}
check=${BENCH_CHECK:-1}

die() { echo "scan-vs-floor: $*" >&2; exit 1; }

[ -d "$corpus/maildir/bsd" ] || die "corpus not found at $corpus (set NDRSIFT_CORPUS)"
[ -f "$floor_src" ] || die "gmime-floor.c not found at $floor_src (set GMIME_FLOOR_SRC)"
case $want in '' | *[!0-9]*) die "BENCH_MESSAGES must be a number" ;; esac
case $runs in '' | *[!0-9]* | 0) die "BENCH_RUNS must be a positive number" ;; esac

if [ "$floor_only" != 1 ]; then
	if [ -n "${NDRSIFT:-}" ]; then
		ndrsift=$NDRSIFT
	elif [ -x ./ndrsift ]; then
		ndrsift=./ndrsift
	else
		ndrsift=$top_srcdir/ndrsift
	fi
	[ -x "$ndrsift" ] || die "ndrsift not found or not executable: $ndrsift (set NDRSIFT, or BENCH_FLOOR_ONLY=1)"
	ndrsift=$(cd "$(dirname "$ndrsift")" && pwd)/$(basename "$ndrsift")
fi

mkdir -p "$out"
floor=$out/gmime-floor

# --- the floor binary --------------------------------------------------------
if [ ! -x "$floor" ] || [ "$floor_src" -nt "$floor" ]; then
	echo "building $floor" >&2
	# shellcheck disable=SC2046 # pkg-config output is meant to be split
	gcc -O2 -o "$floor" "$floor_src" $(pkg-config --cflags --libs gmime-3.0) ||
		die "building gmime-floor failed (needs gcc, pkg-config, libgmime-3.0-dev)"
fi

# --- the message directory ----------------------------------------------------
tmp=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/ndrsift-bench.XXXXXX")
if [ -n "${BENCH_KEEP:-}" ]; then
	echo "keeping $tmp" >&2
else
	trap 'rm -rf "$tmp"' EXIT
fi
msgs=$tmp/msgs
mkdir "$msgs"

srcs=()
for v in bsd dos mac; do
	[ -d "$corpus/maildir/$v" ] || continue
	for f in "$corpus/maildir/$v"/*; do
		[ -f "$f" ] && srcs+=("$f")
	done
done
nsrc=${#srcs[@]}
[ "$nsrc" -gt 0 ] || die "no messages under $corpus/maildir/{bsd,dos,mac}"
reps=$(( (want + nsrc - 1) / nsrc ))
[ "$reps" -ge 1 ] || reps=1

# one process for all the links or copies: 20,000 `ln` runs take half a minute
how=$(python3 - "$msgs" "$reps" "$link" "${srcs[@]}" <<'PY'
import os, shutil, sys
dst, reps, link, srcs = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "link", sys.argv[4:]
how = "hard links" if link else "copies"
for r in range(1, reps + 1):
    for f in srcs:
        name = os.path.join(dst, "r%d-%s-%s" % (r, os.path.basename(os.path.dirname(f)), os.path.basename(f)))
        if how == "hard links":
            try:
                os.link(f, name)
                continue
            except OSError:
                if r > 1 or f != srcs[0]:
                    raise
                how = "copies"     # another file system, or protected_hardlinks
        shutil.copyfile(f, name)
print(how)
PY
) || die "filling $msgs failed"
count=$(find "$msgs" -type f | wc -l)
bytes=$(find "$msgs" -type f -exec cat {} + | wc -c)

# warm the page cache
find "$msgs" -type f -exec cat {} + >/dev/null

# --- timing --------------------------------------------------------------------
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# best_of NAME CMD...: runs CMD $runs times, sets best_NAME (seconds)
best_of() {
	local name=$1 i t0 t1 s best=
	shift
	for ((i = 1; i <= runs; i++)); do
		t0=$EPOCHREALTIME
		"$@" || die "command failed (exit $?): $*"
		t1=$EPOCHREALTIME
		s=$(elapsed "$t0" "$t1")
		echo "  $name run $i: $s s" >&2
		if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$s; fi
	done
	printf -v "best_$name" '%s' "$best"
}
# paired A B FORMAT: runs `--jobs 1` and `--jobs 2` in turn $runs times;
# sets best_A and best_B (seconds) and paired_A (the median over the rounds
# of the --jobs 1 time over the --jobs 2 time). The host's load drifts over
# minutes and a second busy core slows --jobs 2 more than --jobs 1, so two
# best-of figures taken minutes apart can pair a quiet moment of one with a
# busy one of the other; a ratio of neighbouring runs cancels the drift.
paired() {
	local a=$1 b=$2 fmt=$3 i t0 t1 sa sb ba='' bb='' ratios=()
	for ((i = 1; i <= runs; i++)); do
		t0=$EPOCHREALTIME
		run_scan 1 "$fmt" || die "scan --jobs 1 failed (exit $?)"
		t1=$EPOCHREALTIME
		sa=$(elapsed "$t0" "$t1")
		t0=$EPOCHREALTIME
		run_scan 2 "$fmt" || die "scan --jobs 2 failed (exit $?)"
		t1=$EPOCHREALTIME
		sb=$(elapsed "$t0" "$t1")
		echo "  $a run $i: $sa s   $b run $i: $sb s" >&2
		if [ -z "$ba" ] || awk -v a="$sa" -v b="$ba" 'BEGIN { exit !(a < b) }'; then ba=$sa; fi
		if [ -z "$bb" ] || awk -v a="$sb" -v b="$bb" 'BEGIN { exit !(a < b) }'; then bb=$sb; fi
		ratios+=("$(awk -v a="$sa" -v b="$sb" 'BEGIN { printf "%.4f", (b > 0 ? a / b : 0) }')")
	done
	printf -v "best_$a" '%s' "$ba"
	printf -v "best_$b" '%s' "$bb"
	printf -v "paired_$a" '%s' "$(printf '%s\n' "${ratios[@]}" | sort -n |
		awk '{ v[NR] = $1 } END { printf "%.2f", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')"
}
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

run_floor() { find "$msgs" -type f | "$floor" >>"$tmp/floor.out"; }

if [ "${NDRSIFT_ARGS+set}" = set ]; then
	read -r -a nargs <<<"$NDRSIFT_ARGS"
else
	echo "# scan-vs-floor: built-in defaults" >"$tmp/empty.conf"
	nargs=(--config "$tmp/empty.conf" --db "$tmp/no-such-sent.db")
	[ -d "$top_srcdir/rules" ] && nargs+=(--rules "$top_srcdir/rules")
fi
run_scan() { "$ndrsift" "${nargs[@]}" scan --format "${2:-jsonl}" --jobs "$1" --no-progress "$msgs" >/dev/null 2>"$tmp/scan.err"; }

echo "messages: $count ($nsrc corpus files x $reps, $how), $((bytes / 1024)) KiB, in $tmp" >&2

best_of floor run_floor
# the floor's own report of its fastest run
floor_self=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^msg_per_s=/) { v = substr($i, 11) + 0; if (v > best) { best = v; line = $0 } } } END { print line }' "$tmp/floor.out")
case $floor_self in *" failed=0 "*) ;; *) echo "warning: the floor failed on some messages: $floor_self" >&2 ;; esac
floor_rate=$(rate "$count" "$best_floor")

result="messages=$count floor_msg_s=$floor_rate"
summary=$(printf '%-22s %8s s  %8s msg/s\n' "floor (gmime-floor)" "$best_floor" "$floor_rate")
summary+=$'\n'"  the floor's own figures (no process start, no find): ${floor_self}"

if [ "$floor_only" != 1 ]; then
	if [ "$check" = 1 ]; then
		rows=$("$ndrsift" "${nargs[@]}" scan --format jsonl --jobs 1 --no-progress "$msgs" 2>"$tmp/scan.err" | wc -l) ||
			die "ndrsift scan failed: $(head -c 300 "$tmp/scan.err")"
		[ "$rows" -eq "$count" ] || echo "warning: scan printed $rows rows for $count messages" >&2
	fi
	paired scan1 scan2 jsonl
	paired text1 text2 text
	t1=$(rate "$count" "$best_text1")
	t2=$(rate "$count" "$best_text2")
	rt=$(ratio "$t1" "$floor_rate")
	rt2=$(ratio "$t2" "$t1")
	j1=$(rate "$count" "$best_scan1")
	j2=$(rate "$count" "$best_scan2")
	r1=$(ratio "$j1" "$floor_rate")
	r2=$(ratio "$j2" "$j1")
	result+=" scan_jobs1_msg_s=$j1 ratio_scan_floor=$r1 scan_jobs2_msg_s=$j2 ratio_jobs2_jobs1=$r2"
	result+=" paired_jobs2_jobs1=$paired_scan1"
	result+=" text_jobs1_msg_s=$t1 ratio_text_floor=$rt text_jobs2_msg_s=$t2 ratio_text_jobs2_jobs1=$rt2"
	result+=" paired_text_jobs2_jobs1=$paired_text1"
	summary+=$'\n'$(printf '%-22s %8s s  %8s msg/s   scan/floor  %s\n' "scan --jobs 1" "$best_scan1" "$j1" "$r1")
	summary+=$'\n'$(printf '%-22s %8s s  %8s msg/s   jobs2/jobs1 %s best, %s paired median\n' "scan --jobs 2" "$best_scan2" "$j2" "$r2" "$paired_scan1")
	summary+=$'\n'$(printf '%-22s %8s s  %8s msg/s   scan/floor  %s\n' "  same, --format text" "$best_text1" "$t1" "$rt")
	summary+=$'\n'$(printf '%-22s %8s s  %8s msg/s   jobs2/jobs1 %s best, %s paired median\n' "  text, --jobs 2" "$best_text2" "$t2" "$rt2" "$paired_text1")
fi

result="date=$(date -u +%Y-%m-%dT%H:%M:%SZ) $result runs=$runs nproc=$(nproc 2>/dev/null || echo ?) links=$([ "$how" = copies ] && echo no || echo yes)"
echo "$summary"
echo "$result" >"$out/scan-vs-floor.txt"
echo "(written to $out/scan-vs-floor.txt)"
