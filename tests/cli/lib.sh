# lib.sh — TAP helpers for the CLI tests (sourced, POSIX sh).
#
# Each test script: `. "$top_srcdir/tests/cli/lib.sh"`, then `plan N`,
# then checks, each printing "ok N - what" or "not ok N - what" with the
# reason as "# ..." lines. $NDRSIFT is the binary, $top_srcdir the sources.

: "${NDRSIFT:=./ndrsift}"
: "${top_srcdir:=.}"
tap_n=0
tap_failed=0

plan () { echo "1..$1"; }

ok () {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1"
}

not_ok () {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $1"
	shift
	for line in "$@"; do printf '%s\n' "$line" | sed 's/^/# /'; done
}

# ---- skips -------------------------------------------------------------
# A test that cannot run here says SKIP and names what would make it run:
# the Debian package (`./install-deps --tests` installs every one), or
# root. It never fails for a missing package, except under
# NDRSIFT_REQUIRE_ALL=1 (CI, .ci/run): there every skip is a failure, as
# CI has every package. A check that means nothing in this build (a
# memory limit under ASan, a peak RSS under valgrind) is no skip: the test
# leaves it out of its plan (see na) and the plain build runs it.
#
# skip DESCRIPTION WHY: one planned test cannot run.
# skip_all WHY: the whole script cannot run (plan 1..0); exits.
# na DESCRIPTION WHY: a "# not here:" note instead of a test point; the
#   script plans with `plan` at its end (late_plan), not at its start.
require_all=${NDRSIFT_REQUIRE_ALL:-0}
skip () {
	if [ "$require_all" = 1 ]; then
		not_ok "$1" "cannot run: $2" "NDRSIFT_REQUIRE_ALL=1 (CI) makes a skip a failure"
	else
		tap_n=$((tap_n + 1))
		echo "ok $tap_n - $1 # SKIP $2"
	fi
}
skip_all () {
	if [ "$require_all" = 1 ]; then
		echo "1..1"
		echo "not ok 1 - ${0##*/} can run here"
		echo "# cannot run: $1"
		echo "# NDRSIFT_REQUIRE_ALL=1 (CI) makes a skip a failure"
	else
		echo "1..0 # SKIP $1"
	fi
	exit 0
}
na () { echo "# not here: $1: $2"; }
# late_plan: prints the plan once every test has run (for scripts whose
# count depends on na); a script that dies early prints none, which the
# TAP driver reports as an error.
late_plan () { echo "1..$tap_n"; }

# need_python3: the script needs python3 (it generates or checks data).
need_python3 () {
	command -v python3 >/dev/null 2>&1 || skip_all "python3 not installed (Debian package python3)"
}

# check DESCRIPTION COMMAND...: ok when the command exits 0.
check () {
	desc=$1; shift
	if out=$("$@" 2>&1); then ok "$desc"; else not_ok "$desc" "$out"; fi
}

# same DESCRIPTION EXPECTED_FILE ACTUAL_FILE: ok when the files are equal
# and not empty (two empty outputs prove nothing).
same () {
	if [ ! -s "$2" ]; then not_ok "$1" "$2 is empty"; return; fi
	if diff -u "$2" "$3" >"$tmpdir/diff" 2>&1; then ok "$1"; else not_ok "$1" "$(head -40 "$tmpdir/diff")"; fi
}

# The config ndr passes: none, unless $NDRSIFT_TEST_CONFIG names one
# (`make check-valgrind` gives tests/valgrind/slow.conf: a longer filter
# deadline, as memcheck runs ndrsift some 20 times slower). A test that
# writes a config of its own appends this file's text to it.
test_conf=${NDRSIFT_TEST_CONFIG:-/dev/null}

# ndr ARGS...: runs ndrsift with the test's config and rules.
ndr () { "$NDRSIFT" --config "$test_conf" --db "$tmpdir/none.db" --rules "$top_srcdir/rules" "$@"; }

# heartbeats SERVER FROM TO [STEP]: a log that covers SERVER from FROM to
# TO (anything `date -d` reads, UTC): a syslog line of the program
# ndrsift-heartbeat every STEP seconds (default 1800, inside the default
# [sentlog] max_gap), as contrib/systemd/ndrsift-heartbeat.timer writes.
# Import it with `log import --format postfix`.
heartbeats () {
	hb_from=$(date -u -d "$2" +%s) && hb_to=$(date -u -d "$3" +%s) || return 1
	seq "$hb_from" "${4:-1800}" "$hb_to" | sed 's/^/@/' |
		date -u -f - "+%Y-%m-%dT%H:%M:%S+00:00 $1 ndrsift-heartbeat: heartbeat"
}

tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/ndrsift-test.XXXXXX")
trap 'rm -rf "$tmpdir"' EXIT

# python3 where it is a version manager's shim, not the interpreter
# (pyenv's is a bash script costing some 0.4 s of CPU at each start, six
# times the interpreter's): the interpreter it runs is linked first in
# PATH, so the suite's thousands of python3 starts pay the shim once a
# script. The same interpreter either way.
if ns_py=$(command -v python3 2>/dev/null) && [ "$(head -c 4 "$ns_py" 2>/dev/null)" != "$(printf '\177ELF')" ] &&
	ns_py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) && [ -x "$ns_py" ] &&
	mkdir "$tmpdir/.python" && ln -s "$ns_py" "$tmpdir/.python/python3"; then
	PATH=$tmpdir/.python:$PATH
fi

# hostile_inputs: the messages of tests/cli/hostile-inputs.py (some
# 160 MB), generated once and shared by hostile.test and frontends.test,
# which only read them: sets HOSTILE_IN and HOSTILE_SLOW. They live in
# $top_builddir/tests/cli/hostile-cache/SUM (SUM: the generator's
# checksum, so an edited generator writes new ones; `make clean` removes
# them), or in the test's $tmpdir without a build tree we may write to. Two tests
# that find none each write their own and rename it in place: one wins,
# the other's is dropped.
hostile_inputs () {
	hi_gen=$top_srcdir/tests/cli/hostile-inputs.py
	hi_base= hi_dir=$tmpdir/hostile-inputs
	if [ -n "${top_builddir:-}" ] && mkdir -p "$top_builddir/tests/cli/hostile-cache" 2>/dev/null &&
		[ -w "$top_builddir/tests/cli/hostile-cache" ] && hi_sum=$(cksum <"$hi_gen" | cut -d' ' -f1); then
		hi_base=$top_builddir/tests/cli/hostile-cache/
		hi_dir=$hi_base$hi_sum
	fi
	if [ ! -d "$hi_dir" ]; then
		hi_new=$hi_dir.$$
		rm -rf "$hi_new" && mkdir "$hi_new" "$hi_new/in" "$hi_new/slow" &&
			python3 "$hi_gen" "$hi_new/in" "$hi_new/slow" || { rm -rf "$hi_new"; return 1; }
		mv -T "$hi_new" "$hi_dir" 2>/dev/null || rm -rf "$hi_new"
		# those of an older generator go (not another test's $hi_new)
		[ -z "$hi_base" ] || for hi_old in "$hi_base"*; do
			case ${hi_old#"$hi_base"} in *[!0-9]*|"$hi_sum") ;; *) rm -rf "$hi_old" ;; esac
		done
	fi
	HOSTILE_IN=$hi_dir/in HOSTILE_SLOW=$hi_dir/slow
}

# serve SCRIPT: starts one python3 process for the checks of a test (a
# python start costs some 50 ms of CPU; a test checks dozens of outputs).
# SCRIPT defines answer(ARG...), which prints why a check fails and
# returns true when it passes (or ends with sys.exit(WHY)). Then
# ask ARG...: runs answer(ARG...) in that process, prints what it printed,
# and returns 0 when it passed. An ARG holds no tab and no line end.
serve () {
	cat >"$tmpdir/.serve.py" <<'PY'
import contextlib, io, runpy, sys
answer = runpy.run_path(sys.argv[1])['answer']
for line in sys.stdin:
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            good = answer(*line.rstrip('\n').split('\t'))
    except SystemExit as e:
        good = e.code in (None, 0)
        if not isinstance(e.code, (int, type(None))):
            out.write('%s\n' % e.code)
    except Exception as e:
        good = False
        out.write('%s: %s\n' % (type(e).__name__, e))
    text = out.getvalue()
    # one line of its own ends each answer: U+001F (never printed by
    # answer, which shows what it read through repr or ascii), then 0 or 1
    sys.stdout.write(text + ('\n' if text and not text.endswith('\n') else '') + '\037%d\n' % (not good))
    sys.stdout.flush()
PY
	mkfifo "$tmpdir/.serve.in" "$tmpdir/.serve.out" || return 1
	python3 "$tmpdir/.serve.py" "$1" <"$tmpdir/.serve.in" >"$tmpdir/.serve.out" 2>&1 &
	exec 8>"$tmpdir/.serve.in" 9<"$tmpdir/.serve.out"
	serve_end=$(printf '\037')
}
ask () {
	ask_line=$1; shift
	for ask_arg; do ask_line="$ask_line	$ask_arg"; done
	printf '%s\n' "$ask_line" >&8
	while IFS= read -r ask_out <&9; do
		case $ask_out in "$serve_end"*) return "${ask_out#"$serve_end"}" ;; esac
		printf '%s\n' "$ask_out"
	done
	echo "the checking process ended without an answer"
	return 1
}
