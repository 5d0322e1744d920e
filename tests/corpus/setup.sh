# setup.sh — the start both corpus measurements share (measure.sh,
# verdicts.sh), sourced after they set `here` (their directory) and `name`
# (theirs, for messages) and pass on their arguments: reads --tap; sets
# tap, top_srcdir, corpus (absolute), ndrsift and work (a temporary
# directory, removed at exit unless NDRSIFT_KEEP is set); defines skip and
# fail_setup. Skips when the corpus (NDRSIFT_CORPUS: a copy of sisimai's
# set-of-emails, its maildir/ and mailbox/) or python3 is missing; under
# NDRSIFT_REQUIRE_ALL=1 (CI) with --tap a skip is a failure.

tap=no
case "${1:-}" in
--tap) tap=yes ;;
"") ;;
*) echo "usage: $name [--tap]" >&2; exit 99 ;;
esac

top_srcdir=$(cd "$here/../.." && pwd) || exit 99
corpus=${NDRSIFT_CORPUS:-}

skip() {
	if [ "$tap" = yes ] && [ "${NDRSIFT_REQUIRE_ALL:-0}" = 1 ]; then
		echo "1..1"; echo "not ok 1 - $name can run here"; echo "# cannot run: $1"
		echo "# NDRSIFT_REQUIRE_ALL=1 (CI) makes a skip a failure"; exit 0
	fi
	if [ "$tap" = yes ]; then echo "1..0 # SKIP $1"; exit 0; fi
	echo "$name: SKIP: $1" >&2
	exit 77
}
fail_setup() {
	if [ "$tap" = yes ]; then echo "1..1"; echo "not ok 1 - $1"; exit 1; fi
	echo "$name: $1" >&2
	exit 99
}

[ -n "$corpus" ] || skip "no corpus: set NDRSIFT_CORPUS to a copy of sisimai's set-of-emails"
[ -d "$corpus/maildir/bsd" ] || skip "no corpus at NDRSIFT_CORPUS=$corpus (no maildir/bsd)"
command -v python3 >/dev/null 2>&1 || skip "python3 not installed (Debian package python3)"
corpus=$(cd "$corpus" && pwd)

if [ -n "${NDRSIFT:-}" ]; then
	ndrsift=$NDRSIFT
elif [ -x ./ndrsift ] || [ "$tap" = yes ]; then
	ndrsift=./ndrsift	# under automake: the build directory's binary, never a stale one
else
	ndrsift=$top_srcdir/ndrsift
fi
[ -x "$ndrsift" ] || fail_setup "ndrsift binary not found or not executable: $ndrsift (set NDRSIFT)"

work=$(mktemp -d "${TMPDIR:-/tmp}/ndrsift-${name%.sh}.XXXXXX") || exit 99
if [ -n "${NDRSIFT_KEEP:-}" ]; then
	echo "$name: keeping $work" >&2
else
	trap 'rm -rf "$work"' EXIT
	trap 'exit 99' HUP INT TERM
fi
