#!/bin/sh
# run.sh SECONDS [HARNESS...] — runs each libFuzzer harness (default: all
# that `make fuzz` built) for SECONDS, one after the other, and prints per
# harness the CPU seconds used, executions, corpus size and crashes.
#
# Run it in the build's fuzz/ directory (or the build's top directory):
#   make fuzz && fuzz/run.sh 60
#   fuzz/run.sh 600 bounce received
# Each harness reads its generated seeds (seed-corpus/NAME, from `make
# fuzz`) and grows its own corpus (corpus/NAME, kept between runs), with
# its dictionary (fuzz/dict/). A crash, leak, timeout, out-of-memory or
# sanitizer report stops that harness, leaves the input in
# artifacts/NAME/ and the report in logs/NAME.log, and makes run.sh exit
# 1 after the others have run, naming the harnesses that failed.
#
# Environment: FUZZ_RSS_MB (default 2048), FUZZ_TIMEOUT (seconds per
# input, default 10), FUZZ_ARGS (more libFuzzer options, e.g. -jobs=2).
set -u
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 SECONDS [HARNESS...]" >&2; exit 2; }
seconds=$1; shift
case $seconds in *[!0-9]*|'') echo "$0: SECONDS must be a number" >&2; exit 2 ;; esac

# The build's fuzz/ directory: the current one, or fuzz/ below it.
if ls ./fuzz-* >/dev/null 2>&1; then :
elif ls fuzz/fuzz-* >/dev/null 2>&1; then cd fuzz
else echo "$0: no harnesses here; run 'make fuzz' first (in the build directory)" >&2; exit 2
fi

if [ $# -eq 0 ]; then
	set --
	for b in ./fuzz-*; do
		case $b in *.c|*.h|*.o) continue ;; esac
		[ -x "$b" ] && set -- "$@" "${b#./fuzz-}"
	done
fi

# NAME -> dictionary and longest input: each a little past the bound that
# applies (NS_MAX_LOG_LINE 16384, NS_MAX_HEADER_VALUE 8192,
# NS_MAX_RULE_LINE 4096), so the fuzzer can cross it.
dict_of () {
	case $1 in
	bounce) echo bounce ;; received) echo received ;; rules|formats) echo rules ;;
	config) echo config ;; logparse-*) echo log ;; *) echo "" ;;
	esac
}
max_len_of () {
	case $1 in
	bounce) echo 65536 ;; received) echo 10000 ;; rules|formats) echo 6000 ;;
	config) echo 4096 ;; logparse-*) echo 20000 ;; *) echo 4096 ;;
	esac
}

export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1"
failed=
printf '%-20s %8s %11s %8s %7s %8s  %s\n' harness cpu_s execs exec/s corpus crashes status
for name in "$@"; do
	bin=./fuzz-$name
	if [ ! -x "$bin" ]; then echo "$0: no harness $bin" >&2; failed="$failed $name"; continue; fi
	mkdir -p "corpus/$name" "artifacts/$name" logs seed-corpus/"$name"
	before=$(ls "artifacts/$name" | wc -l)
	dict=$(dict_of "$name")
	set -- -max_total_time="$seconds" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" \
		-timeout="${FUZZ_TIMEOUT:-10}" -max_len="$(max_len_of "$name")" \
		-print_final_stats=1 -artifact_prefix="artifacts/$name/"
	[ -n "$dict" ] && set -- "$@" -dict="$here/dict/$dict.dict"
	# shellcheck disable=SC2086 # FUZZ_ARGS is a list of options
	/usr/bin/env time -f '%U %S' -o "logs/$name.time" \
		"$bin" "$@" ${FUZZ_ARGS:-} "corpus/$name" "seed-corpus/$name" >"logs/$name.log" 2>&1
	rc=$?
	cpu=$(awk '{ printf "%.0f", $1 + $2 }' "logs/$name.time" 2>/dev/null)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$name.log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "logs/$name.log" | tail -1)
	corpus=$(ls "corpus/$name" | wc -l)
	crashes=$(( $(ls "artifacts/$name" | wc -l) - before ))
	status=ok
	if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ] ||
	   grep -q -e '^==[0-9]*==ERROR' -e 'runtime error:' -e '^SUMMARY: ' "logs/$name.log"; then
		status="FAILED (exit $rc; see logs/$name.log)"
		failed="$failed $name"
	fi
	printf '%-20s %8s %11s %8s %7s %8s  %s\n' "$name" "${cpu:-?}" "${execs:-?}" "${rate:-?}" \
		"$corpus" "$crashes" "$status"
done
if [ -n "$failed" ]; then
	echo "FAILED:$failed" >&2
	exit 1
fi
