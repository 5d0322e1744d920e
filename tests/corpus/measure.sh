#!/bin/sh
# measure.sh -- how often does ndrsift pull the right Message-ID out of a
# real bounce?  Compares `ndrsift scan --format jsonl` with the independent
# oracle quoted-msgids.py over the sisimai corpus (maildir/bsd, dos, mac:
# the same bounces with LF, CRLF and CR-only line endings).
#
# usage: tests/corpus/measure.sh [--tap]
#
# Environment:
#   NDRSIFT               the binary (default ./ndrsift; by hand, when there is
#                         none in the current directory, $top_srcdir/ndrsift)
#   NDRSIFT_CORPUS        the corpus: a copy of sisimai's set-of-emails (required)
#   NDRSIFT_ARGS          global options put before `scan`; default: an empty
#                         config file, a sent-log path that does not exist (an
#                         empty log) and --rules $top_srcdir/rules when that
#                         directory exists, so that neither /etc nor /usr/share
#                         matters; set it (even to "") to override
#   NDRSIFT_MIN_ACCURACY  pass mark in percent (default 99.5)
#   NDRSIFT_TIMEOUT       seconds the scan may take (default 600)
#   NDRSIFT_KEEP          if set, keep the work directory (scan and oracle output)
#
# For each file: "quoting" when the oracle finds a Message-ID anywhere in the
# bounce's body; then ndrsift's original.message_id is
#   correct       the oracle's expected id (the directly quoted original),
#   wrong         set, but not any id the body quotes at all (the critical
#                 failure: a verdict would rest on an invented original),
#   other-quoted  set, quoted in the body, but not the expected one (review),
#   missing       null while the body quotes one,
#   no row        ndrsift printed no object for the file.
# "Expected" is the oracle's choice (quoted-msgids.py): the first id of a
# structured part (an inner message's header block, text/rfc822-headers) in
# MIME order, else the first inline one -- doc/design.md: a structured part wins
# over inline text; the header of a failure report that was only passed on
# (forwarded, wrapped by a gateway, re-sent as text) comes after the ids it
# quotes: the original is the message that failed. A file whose only ids
# are such a report's has no expected id and does not count as quoting.
# Ids are compared after removing whitespace, taking what is inside <...>
# and lower-casing the part after the last '@'.
#
# Exit status (with --tap: the TAP results, and exit 0): 0 when accuracy = correct /
# quoting >= NDRSIFT_MIN_ACCURACY, wrong == 0, maildir/not/is-not-bounce-*.eml
# are kind "none", and the scan itself exited 0 with one valid JSON object per
# line and a row for every file; 1 otherwise; 77 (or a TAP skip) when the
# corpus or python3 is missing; 99 on a harness error.

set -u

here=$(cd "$(dirname "$0")" && pwd) || exit 99
name=measure.sh
. "$here/setup.sh"
min_accuracy=${NDRSIFT_MIN_ACCURACY:-99.5}

if [ "${NDRSIFT_ARGS+set}" = set ]; then
	args=$NDRSIFT_ARGS
else
	echo "# measure.sh: built-in defaults" >"$work/empty.conf"
	args="--config $work/empty.conf --db $work/no-such-sent.db"
	[ -d "$top_srcdir/rules" ] && args="$args --rules $top_srcdir/rules"
fi

set -- "$corpus/maildir/bsd" "$corpus/maildir/dos" "$corpus/maildir/mac"
notbounces=
for f in "$corpus"/maildir/not/is-not-bounce-*.eml; do
	[ -f "$f" ] && notbounces="$notbounces $f"
done

python3 "$here/quoted-msgids.py" "$@" >"$work/oracle.jsonl" 2>"$work/oracle.err" ||
	fail_setup "the oracle failed: $(head -c 500 "$work/oracle.err")"

tmo=
command -v timeout >/dev/null 2>&1 && tmo="timeout ${NDRSIFT_TIMEOUT:-600}"
# $args, $tmo and $notbounces are split on purpose (no spaces in the corpus paths)
# shellcheck disable=SC2086
$tmo "$ndrsift" $args scan --format jsonl --jobs 1 --no-progress "$@" $notbounces \
	>"$work/scan.jsonl" 2>"$work/scan.err"
scan_rc=$?

python3 - "$tap" "$min_accuracy" "$scan_rc" "$ndrsift" "$corpus" \
	"$work/oracle.jsonl" "$work/scan.jsonl" "$work/scan.err" "$@" <<'PY'
import json, os, re, sys

tap, min_acc, scan_rc, ndrsift, corpus, oracle_path, scan_path, err_path = sys.argv[1:9]
dirs = sys.argv[9:]
tap = tap == "yes"
min_acc = float(min_acc)
scan_rc = int(scan_rc)
out = []          # report lines


def say(line=""):
    out.append(line)


def key(path):
    return os.path.normpath(os.path.abspath(path))


def short(path):
    return os.path.relpath(path, os.path.join(corpus, "maildir"))


def norm(v):
    if v is None:
        return None
    v = re.sub(r"\s+", "", str(v))
    m = re.search(r"<([^<>]*)>", v)
    if m:
        v = m.group(1)
    v = v.strip("<>")
    if "@" in v:
        local, dom = v.rsplit("@", 1)
        v = local + "@" + dom.lower()
    return v


oracle = {}
oracle_errors = []
for line in open(oracle_path, encoding="utf-8"):
    r = json.loads(line)
    oracle[key(r["file"])] = r
    if "error" in r:
        oracle_errors.append("%s: %s" % (short(r["file"]), r["error"]))

rows = {}
dup_rows = []
bad_lines = []
with open(scan_path, "rb") as fh:
    for n, raw in enumerate(fh, 1):
        try:
            obj = json.loads(raw.decode("utf-8"))
            if not isinstance(obj, dict) or "source" not in obj:
                raise ValueError("not an object with a source")
        except (ValueError, UnicodeDecodeError) as e:
            bad_lines.append("line %d: %s: %.120r" % (n, e, raw))
            continue
        k = key(str(obj["source"]))
        if k in rows:
            dup_rows.append(short(k))
            continue
        rows[k] = obj

stats = {"files": 0, "quoting": 0, "correct": 0, "wrong": 0, "other": 0, "missing": 0, "norow": 0}
per_dir = {}
lists = {"wrong": [], "other": [], "missing": [], "norow": []}
got_by_file = {}

for k, r in sorted(oracle.items()):
    stats["files"] += 1
    d = os.path.basename(os.path.dirname(k))
    pd = per_dir.setdefault(d, [0, 0])
    quoted = r["quoted"]
    qn = {norm(q) for q in quoted}
    exp = r["expected"]
    # the body may quote ids and still no original: a failure report that
    # was passed on and quotes nothing further (the oracle's "relayed")
    if quoted and exp is not None:
        stats["quoting"] += 1
        pd[1] += 1
    row = rows.get(k)
    if row is None:
        stats["norow"] += 1
        lists["norow"].append("%s: expected %s" % (short(k), exp))
        continue
    orig = row.get("original")
    got = orig.get("message_id") if isinstance(orig, dict) else None
    got_by_file[k] = got
    desc = "%s: expected %s got %s" % (short(k), exp, json.dumps(got))
    if got is not None and norm(got) not in qn:
        stats["wrong"] += 1
        lists["wrong"].append(desc + (" (quoted: %s)" % ", ".join(quoted) if quoted else " (the body quotes no Message-ID)"))
    elif not quoted:
        pass
    elif exp is None:
        if got is not None:
            stats["other"] += 1
            lists["other"].append(desc + " (a report passed on that quotes no original: none expected)")
    elif got is None:
        stats["missing"] += 1
        lists["missing"].append(desc + " [%s]" % r["where"][0])
    elif norm(got) == norm(exp):
        stats["correct"] += 1
        pd[0] += 1
    else:
        stats["other"] += 1
        note = " (the first in document order)" if norm(got) == norm(r["first"]) else ""
        lists["other"].append(desc + note + " quoted: " + ", ".join(
            "%s [%s, %s]" % (q, w, rk) for q, w, rk in zip(quoted, r["where"], r["rank"])))

# line-ending twins: the dos/mac copy should get what its bsd twin gets
twins = []
for k, got in sorted(got_by_file.items()):
    d = os.path.basename(os.path.dirname(k))
    if d in ("dos", "mac"):
        bk = os.path.join(os.path.dirname(os.path.dirname(k)), "bsd", os.path.basename(k))
        if bk in got_by_file and norm(got_by_file[bk]) != norm(got):
            twins.append("%s: %s, bsd twin: %s" % (short(k), json.dumps(got), json.dumps(got_by_file[bk])))

notb = []
for k, row in sorted(rows.items()):
    if os.path.basename(k).startswith("is-not-bounce-") and os.path.basename(os.path.dirname(k)) == "not":
        notb.append((os.path.basename(k), row.get("kind")))
notdir = os.path.join(corpus, "maildir", "not")
notb_expected = sorted(f for f in (os.listdir(notdir) if os.path.isdir(notdir) else [])
                       if f.startswith("is-not-bounce-") and f.endswith(".eml"))
notb_kind = dict(notb)

acc = 100.0 * stats["correct"] / stats["quoting"] if stats["quoting"] else 100.0

say("corpus:        %s (%s)" % (corpus, ", ".join(os.path.basename(d) for d in dirs)))
say("ndrsift:       %s  scan exit status %d, %d rows, %d bad lines, %d duplicate rows" % (
    ndrsift, scan_rc, len(rows), len(bad_lines), len(dup_rows)))
say("files          %5d" % stats["files"])
say("quoting        %5d   (the body quotes at least one Message-ID)" % stats["quoting"])
say("correct        %5d" % stats["correct"])
say("wrong          %5d   (set to an id the body does not quote)" % stats["wrong"])
say("other-quoted   %5d   (quoted, but not the directly quoted original)" % stats["other"])
say("missing        %5d   (null while the body quotes one)" % stats["missing"])
say("no row         %5d" % stats["norow"])
say("accuracy       %.2f%%  (%d/%d; pass mark %.1f%%)" % (acc, stats["correct"], stats["quoting"], min_acc))
say("per variant    " + "  ".join("%s %d/%d" % (d, c, q) for d, (c, q) in sorted(per_dir.items())))
say("not-bounces    " + (", ".join("%s: %s" % (f, notb_kind.get(f, "(no row)")) for f in notb_expected) or "(none found)"))
for title, name in (("WRONG", "wrong"), ("MISSING", "missing"), ("OTHER-QUOTED", "other"), ("NO ROW", "norow")):
    if lists[name]:
        say("")
        say("%s (%d):" % (title, len(lists[name])))
        for item in lists[name]:
            say("  " + item)
if twins:
    say("")
    say("line-ending twins that disagree (%d):" % len(twins))
    for t in twins:
        say("  " + t)
for title, items in (("bad output lines", bad_lines), ("duplicate rows", dup_rows), ("oracle errors", oracle_errors)):
    if items:
        say("")
        say("%s (%d):" % (title, len(items)))
        for item in items[:20]:
            say("  " + item)
if scan_rc != 0:
    say("")
    say("ndrsift stderr (head):")
    try:
        for line in open(err_path, encoding="utf-8", errors="replace").read().splitlines()[:20]:
            say("  " + line)
    except OSError:
        pass

checks = [
    (scan_rc == 0 and not bad_lines and not dup_rows,
     "ndrsift scan exits 0 and prints one JSON object per line (exit %d, %d bad lines, %d duplicates)"
     % (scan_rc, len(bad_lines), len(dup_rows))),
    (stats["norow"] == 0 and not oracle_errors,
     "every corpus file has a row (%d without)" % stats["norow"]),
    (stats["wrong"] == 0,
     "no original.message_id that the bounce does not quote (%d wrong)" % stats["wrong"]),
    (acc >= min_acc,
     "Message-ID accuracy %.2f%% >= %.1f%% (%d/%d)" % (acc, min_acc, stats["correct"], stats["quoting"])),
]
if not notb_expected:
    checks.append((False, "maildir/not/is-not-bounce-*.eml present"))
for f in notb_expected:
    checks.append((notb_kind.get(f) == "none", "%s is kind none (got %s)" % (f, notb_kind.get(f, "no row"))))

ok = all(c for c, _ in checks)
if tap:
    print("1..%d" % len(checks))
    for i, (c, text) in enumerate(checks, 1):
        print("%s %d - %s" % ("ok" if c else "not ok", i, text))
    for line in out:
        print("# " + line if line else "#")
else:
    print("\n".join(out))
    print()
    for c, text in checks:
        print("%s  %s" % ("PASS" if c else "FAIL", text))
    print("RESULT: %s" % ("PASS" if ok else "FAIL"))
# under TAP the "not ok" lines carry the failure; a non-zero exit would only
# add an ERROR result
sys.exit(0 if ok or tap else 1)
PY
