#!/bin/bash
# same-output.sh -- do two ndrsift binaries say the same thing, byte for
# byte, about the same bounces? For a refactor: build the binary before it
# (git worktree at the old commit) and the one after, and compare them in
# the same run, never against goldens regenerated on the way.
#
# usage: bench/same-output.sh OLD NEW     (from the top of a source tree)
#
# For each message of samples/bounces, tests/collection/*/ and, when
# NDRSIFT_CORPUS is set, the corpus's maildir/{bsd,dos,mac,not}, it runs
# with both binaries and compares stdout, stderr and exit status of:
#   filter <MSG,   check MSG,   explain MSG,   explain --json MSG
# and for each of those directories `scan --jobs 1 --no-progress` in the
# formats text, csv, jsonl and html. Each binary judges with the same
# config (samples/ndrsift.conf), rules (<srcdir>/rules) and a sent log it
# imported itself from samples/logs (so a schema change does not stop the
# comparison), named by the same relative path: each binary runs in a
# directory of its own, so that every path in the output is the same.
#
# Prints one line per difference (the first SAME_SHOW shown as a diff) and
# a summary; exits 1 on any difference, 2 on a usage error.
#
# Environment: NDRSIFT_CORPUS, SAME_SHOW (5), SAME_TMPDIR, SAME_KEEP.
set -u

[ $# -eq 2 ] || { echo "usage: $0 OLD NEW" >&2; exit 2; }
old=$(realpath "$1") new=$(realpath "$2")
for b in "$old" "$new"; do
	[ -x "$b" ] || { echo "$0: not an executable: $b" >&2; exit 2; }
done
src=$(cd "$(dirname "$0")/.." && pwd)
show=${SAME_SHOW:-5}
tmp=$(mktemp -d "${SAME_TMPDIR:-${TMPDIR:-/tmp}}/same-output.XXXXXX")
[ -n "${SAME_KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT

dirs=("$src/samples/bounces")
for d in "$src"/tests/collection/*/; do dirs+=("${d%/}"); done
if [ -n "${NDRSIFT_CORPUS:-}" ]; then
	for d in bsd dos mac not; do
		[ -d "$NDRSIFT_CORPUS/maildir/$d" ] && dirs+=("$NDRSIFT_CORPUS/maildir/$d")
	done
fi

# The same config for both; each its own sent log from the same logs.
for who in old new; do
	bin=${!who}
	mkdir -p "$tmp/$who"
	(cd "$tmp/$who" && "$bin" --config "$src/samples/ndrsift.conf" --db sent.db \
		log import "$src"/samples/logs/*.log >/dev/null 2>"$tmp/$who.import") ||
		{ echo "$0: $who: log import failed:" >&2; cat "$tmp/$who.import" >&2; exit 2; }
done

runs=0 diffs=0
# run NAME ARGS... -- runs both binaries in $tmp/run, compares.
run() {
	local name=$1; shift
	local who bin
	for who in old new; do
		bin=${!who}
		(cd "$tmp/$who" && "$bin" --config "$src/samples/ndrsift.conf" \
			--db sent.db --rules "$src/rules" "$@" \
			<"${stdin:-/dev/null}" >"$tmp/$who.out" 2>"$tmp/$who.err"
		 echo "exit $?" >>"$tmp/$who.err")
	done
	runs=$((runs + 1))
	if ! cmp -s "$tmp/old.out" "$tmp/new.out" || ! cmp -s "$tmp/old.err" "$tmp/new.err"; then
		diffs=$((diffs + 1))
		echo "DIFF $name"
		if [ "$diffs" -le "$show" ]; then
			diff -u "$tmp/old.out" "$tmp/new.out" | head -20
			diff -u "$tmp/old.err" "$tmp/new.err" | head -10
		fi
	fi
}

for d in "${dirs[@]}"; do
	for f in "$d"/*; do
		[ -f "$f" ] || continue
		stdin=$f run "filter $f" filter
		stdin= run "check $f" check "$f"
		run "explain $f" explain "$f"
		run "explain --json $f" explain --json "$f"
	done
	for fmt in text csv jsonl html; do
		run "scan --format $fmt $d" scan --jobs 1 --no-progress --format "$fmt" "$d"
	done
done

echo "$runs runs, $diffs differ (old $old, new $new)"
[ "$diffs" -eq 0 ]
