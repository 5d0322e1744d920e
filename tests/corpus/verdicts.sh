#!/bin/sh
# verdicts.sh -- does the sent log decide the verdict of real bounces?
#
# usage: tests/corpus/verdicts.sh [--tap]
#
# Over the sisimai corpus (maildir/bsd, dos, mac: the same bounces with LF,
# CRLF and CR-only line endings):
#
#   1. scan once with no sent log (a path that does not exist) and take every
#      bounce for which ndrsift ITSELF reports original.message_id -- the
#      population is ndrsift's own extraction, not the oracle
#      quoted-msgids.py: this measures the verdict logic on what ndrsift
#      looks up; measure.sh (corpus.test) measures the extraction;
#   2. normalise those ids as the sent log does (msgid_normalise: comments
#      and blanks around the id and one pair of <> dropped, the domain part
#      lower-cased; the corpus needs no more of it), sort the distinct
#      ones (Python string order) and split them by alternation: index 0, 2,
#      4, ... "logged", 1, 3, 5, ... "not logged". Deterministic, and every
#      bounce of one id falls into the same half;
#   3. import the logged half into a fresh sent log as jsonl records: server
#      "mx1", origin "auth", status "sent", a unique queue_id, the raw id as
#      ndrsift printed it, sender/recipient from the original's From/To when
#      they hold an address, and one fixed time (2010-01-01T00:00:00Z) for
#      every record: the scan rows carry no bounce date, and a Message-ID
#      lookup does not depend on the record's time. Coverage is what was
#      really read: a Postfix-format file of mx1's heartbeat lines
#      (ndrsift-heartbeat, as contrib's timer writes them) every 50 minutes
#      from 1990-01-01 to 2030-01-01, inside the default max_gap of an
#      hour, makes mx1's log cover every plausible date of the corpus;
#   4. scan again with that log (verdicts.conf: nothing of [local] is ours,
#      [sentlog] servers=mx1) and count
#        logged      bounces of a logged id: none may be "forged" (the bound
#                    is 0; anything but "legit" is listed for review),
#        not logged  bounces of an id that was not imported: the share that
#                    is "forged" must be >= NDRSIFT_MIN_FORGED (99%); every
#                    other one is listed with file, verdict, score, tests.
#      Bounces without a Message-ID are only counted, per verdict. For the
#      not-logged half, `explain --json` tells where the moment a miss is
#      judged at came from (counted), and for every exception the moment and
#      the fired rules with their facts are listed (the "why").
#
# Environment:
#   NDRSIFT            the binary (default ./ndrsift, else $top_srcdir/ndrsift)
#   NDRSIFT_CORPUS     the corpus: a copy of sisimai's set-of-emails (required)
#   NDRSIFT_RULES      rule directory (default $top_srcdir/rules when it exists)
#   NDRSIFT_MIN_FORGED pass mark in percent for the not-logged half (default 99)
#   NDRSIFT_TIMEOUT    seconds each scan may take (default 600)
#   NDRSIFT_KEEP       if set, keep the work directory (config, log, scans)
#
# Exit status (with --tap: TAP on stdout and exit 0): 0 when both bounds
# hold and both scans exit 0 with one valid JSON object per file and the
# import reports no bad line; 1 otherwise; 77 (or a TAP skip) when the
# corpus or python3 is missing; 99 on a harness error.

set -u

here=$(cd "$(dirname "$0")" && pwd) || exit 99
name=verdicts.sh
. "$here/setup.sh"
min_forged=${NDRSIFT_MIN_FORGED:-99}
[ -f "$here/verdicts.conf" ] || fail_setup "verdicts.conf not found next to $0"

# the config: verdicts.conf with the work directory filled in
sed "s|@WORK@|$work|g" "$here/verdicts.conf" >"$work/verdicts.conf" || fail_setup "cannot write the config"
rules=${NDRSIFT_RULES:-$top_srcdir/rules}
args="--config $work/verdicts.conf"
[ -d "$rules" ] && args="$args --rules $rules"

tmo=
command -v timeout >/dev/null 2>&1 && tmo="timeout ${NDRSIFT_TIMEOUT:-600}"
set -- "$corpus/maildir/bsd" "$corpus/maildir/dos" "$corpus/maildir/mac"

# 1. the population: ndrsift's own original.message_id, no sent log yet
# shellcheck disable=SC2086
$tmo "$ndrsift" $args scan --format jsonl --jobs 2 --no-progress "$@" \
	>"$work/scan1.jsonl" 2>"$work/scan1.err"
scan1_rc=$?
[ -e "$work/sent.db" ] && fail_setup "scan created the sent log $work/sent.db (readers must open it read-only)"

# 2-3. the split and the records to import
python3 - "$work/scan1.jsonl" "$work/split.json" "$work/import.jsonl" <<'PY' || fail_setup "cannot split the Message-IDs (scan exit $scan1_rc: $(head -c 300 "$work/scan1.err"))"
import json, re, sys

scan_path, split_path, import_path = sys.argv[1:4]
WS = " \t\n\r\f\v"


def norm(mid):
    """msgid_normalise(), for the forms the corpus holds"""
    s = re.sub(r"\([^()]*\)", " ", mid).strip(WS)
    if len(s) >= 2 and s[0] == "<" and s[-1] == ">":
        s = s[1:-1].strip(WS)
    if not s:
        return None
    if "@" in s:
        local, dom = s.rsplit("@", 1)
        s = local + "@" + dom.lower()
    return s


def address(text):
    if not isinstance(text, str):
        return None
    m = re.search(r"<([^<>\s]+@[^<>\s]+)>", text) or re.search(r"([^<>\s\"]+@[^<>\s\"]+)", text)
    return m.group(1) if m else None


rows = {}
for line in open(scan_path, "rb"):
    try:
        r = json.loads(line.decode("utf-8"))
        rows[r["source"]] = r
    except (ValueError, KeyError, UnicodeDecodeError):
        continue
by_id = {}
for src, r in rows.items():
    o = r.get("original")
    mid = o.get("message_id") if isinstance(o, dict) else None
    n = norm(mid) if isinstance(mid, str) else None
    if n:
        by_id.setdefault(n, []).append((src, mid, o))
ids = sorted(by_id)
split = {"files": {}, "ids": len(ids)}
records = []
for i, n in enumerate(ids):
    logged = i % 2 == 0
    for src, mid, o in by_id[n]:
        split["files"][src] = {"id": mid, "norm": n, "logged": logged}
    if logged:
        src, mid, o = sorted(by_id[n])[0]
        to = address(o.get("to"))
        records.append({"time": "2010-01-01T00:00:00Z", "server": "mx1", "queue_id": "V%06d" % i,
                        "message_id": mid, "sender": address(o.get("from")) or "sender@coverage.invalid",
                        "recipients": [to] if to else [], "status": "sent", "origin": "auth"})
split["records"] = len(records)
json.dump(split, open(split_path, "w"))
with open(import_path, "w", encoding="utf-8") as fh:
    for rec in records:
        fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
PY
# mx1's heartbeats, 1990-01-01 to 2030-01-01 every 50 minutes
python3 - >"$work/heartbeat.log" <<'PY' || fail_setup "cannot write the heartbeats"
import sys, time
for t in range(631152000, 1893456000 + 1, 3000):
    sys.stdout.write(time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(t)) + " mx1 ndrsift-heartbeat: heartbeat\n")
PY

# shellcheck disable=SC2086
"$ndrsift" $args log import --format jsonl "$work/import.jsonl" >"$work/import.out" 2>"$work/import.err" &&
	"$ndrsift" $args log import --format postfix "$work/heartbeat.log" >>"$work/import.out" 2>>"$work/import.err"
import_rc=$?
# shellcheck disable=SC2086
"$ndrsift" $args log stats >"$work/stats.out" 2>&1

# 4. the verdicts with the log
# shellcheck disable=SC2086
$tmo "$ndrsift" $args scan --format jsonl --jobs 2 --no-progress "$@" \
	>"$work/scan2.jsonl" 2>"$work/scan2.err"
scan2_rc=$?

# shellcheck disable=SC2086
python3 - "$tap" "$min_forged" "$corpus" "$work" "$scan1_rc" "$import_rc" "$scan2_rc" "$ndrsift" $args <<'PY'
import json, os, re, subprocess, sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

tap, min_forged, corpus, work = sys.argv[1:5]
scan1_rc, import_rc, scan2_rc = (int(x) for x in sys.argv[5:8])
explain_cmd = sys.argv[8:9] + sys.argv[9:] + ["explain", "--json"]
tap = tap == "yes"
min_forged = float(min_forged)
out = []
say = out.append


def short(path):
    return os.path.relpath(os.path.abspath(path), os.path.join(corpus, "maildir"))


def load(path):
    rows, bad = {}, []
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            try:
                r = json.loads(raw.decode("utf-8"))
                if not isinstance(r, dict) or "source" not in r:
                    raise ValueError("not an object with a source")
            except (ValueError, UnicodeDecodeError) as e:
                bad.append("line %d: %s" % (n, e))
                continue
            rows[r["source"]] = r
    return rows, bad


def text(path, limit=10):
    try:
        return open(path, encoding="utf-8", errors="replace").read().splitlines()[:limit]
    except OSError:
        return []


files = sorted(os.path.join(corpus, "maildir", d, f) for d in ("bsd", "dos", "mac")
               for f in os.listdir(os.path.join(corpus, "maildir", d)) if not f.startswith("."))
rows1, bad1 = load(os.path.join(work, "scan1.jsonl"))
rows2, bad2 = load(os.path.join(work, "scan2.jsonl"))
split = json.load(open(os.path.join(work, "split.json")))
sfiles = split["files"]
want = {os.path.abspath(f) for f in files}
missing1 = sorted(want - {os.path.abspath(s) for s in rows1})
missing2 = sorted(want - {os.path.abspath(s) for s in rows2})


def row_desc(src, r):
    return "%s: %s score=%s tests=%s id=%s" % (
        short(src), r.get("verdict"), r.get("score"), ",".join(r.get("tests") or []) or "none",
        sfiles[src]["id"] if src in sfiles else "-")


logged, notlogged, noid = Counter(), Counter(), Counter()
logged_exc, logged_forged, notlogged_exc, id_changed = [], [], [], []
for src, r in sorted(rows2.items()):
    v = r.get("verdict")
    if src not in sfiles:
        noid[v] += 1
        continue
    o = r.get("original")
    mid = o.get("message_id") if isinstance(o, dict) else None
    if mid != sfiles[src]["id"]:
        id_changed.append("%s: %r in the first scan, %r in the second" % (short(src), sfiles[src]["id"], mid))
    if sfiles[src]["logged"]:
        logged[v] += 1
        if v == "forged":
            logged_forged.append(row_desc(src, r))
        elif v != "legit":
            logged_exc.append(row_desc(src, r))
    else:
        notlogged[v] += 1
        if v != "forged":
            notlogged_exc.append(row_desc(src, r))



def explain(src):
    """Why: the moment a miss is judged at, and the facts of the sent-log rules."""
    try:
        p = subprocess.run(explain_cmd + [src], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=60)
        d = json.loads(p.stdout.decode("utf-8"))
        facts = d.get("facts") or {}
        why = {"moment": facts.get("handoff_moment_where") or "no moment known", "rules": []}
        for r in d.get("rules") or []:
            if r.get("fired"):
                why["rules"].append("%s(%s): %s" % (r.get("name"), r.get("score"), r.get("fact")))
        return why
    except (OSError, ValueError, subprocess.TimeoutExpired) as e:
        return {"moment": "?", "rules": ["explain failed: %s" % e]}


# how the coverage moment was found, over the not-logged half; the fired
# rules of every exception
notlogged_files = sorted(s for s in rows2 if s in sfiles and not sfiles[s]["logged"])
exc_files = sorted(s for s in rows2 if s in sfiles and
                   (rows2[s].get("verdict") == "forged") == sfiles[s]["logged"])
with ThreadPoolExecutor(max_workers=2) as pool:
    whys = dict(zip(notlogged_files + exc_files, pool.map(explain, notlogged_files + exc_files)))
moments = Counter(re.sub(r"[0-9]+", "N", whys[s]["moment"]) for s in notlogged_files)


def with_why(lines, srcs):
    out_lines = []
    for line, src in zip(lines, srcs):
        out_lines.append(line)
        w = whys.get(src)
        if w:
            out_lines.append("    moment: %s; fired: %s" % (w["moment"], "; ".join(w["rules"]) or "none"))
    return out_lines


logged_forged = with_why(logged_forged, [s for s in exc_files if sfiles[s]["logged"]])
notlogged_exc = with_why(notlogged_exc, [s for s in exc_files if not sfiles[s]["logged"]])
nl_total = sum(notlogged.values())
pct = 100.0 * notlogged["forged"] / nl_total if nl_total else 0.0
ids_logged = sum(1 for i in range(split["ids"]) if i % 2 == 0)


def dist(c):
    return ", ".join("%s %d" % (k, n) for k, n in sorted(c.items(), key=lambda kv: (-kv[1], str(kv[0])))) or "-"


say("corpus:        %s (maildir/bsd, dos, mac: %d files)" % (corpus, len(files)))
say("population:    ndrsift's own original.message_id from a scan without a sent log")
say("scans:         exit %d (%d rows, %d bad lines), exit %d (%d rows, %d bad lines)" % (
    scan1_rc, len(rows1), len(bad1), scan2_rc, len(rows2), len(bad2)))
say("ids:           %d bounces quote %d distinct Message-IDs; %d logged, %d not" % (
    len(sfiles), split["ids"], ids_logged, split["ids"] - ids_logged))
say("import:        exit %d, %d records, then mx1's heartbeats 1990-2030: %s" % (
    import_rc, split["records"], " | ".join(text(os.path.join(work, "import.err"), 3)) or "-"))
for line in text(os.path.join(work, "stats.out"), 12):
    say("  log stats:   " + line)
say("")
say("logged         %4d bounces: %s" % (sum(logged.values()), dist(logged)))
say("not logged     %4d bounces: %s" % (nl_total, dist(notlogged)))
say("               forged %.2f%% (%d/%d; pass mark %.1f%%)" % (pct, notlogged["forged"], nl_total, min_forged))
say("no Message-ID  %4d bounces: %s" % (sum(noid.values()), dist(noid)))
say("moment of a miss (not-logged half, from explain --json): %s" % dist(moments))
for title, items in (("LOGGED BUT FORGED", logged_forged), ("LOGGED, NOT LEGIT (review)", logged_exc),
                     ("NOT LOGGED, NOT FORGED", notlogged_exc),
                     ("original.message_id changed between the scans", id_changed),
                     ("no row in the first scan", [short(f) for f in missing1]),
                     ("no row in the second scan", [short(f) for f in missing2]),
                     ("bad output lines", bad1 + bad2)):
    if items:
        say("")
        say("%s (%d):" % (title, sum(1 for i in items if not i.startswith("    "))))
        for item in items:
            say("  " + item)
for name, rc in (("scan1", scan1_rc), ("import", import_rc), ("scan2", scan2_rc)):
    if rc != 0:
        say("")
        say("%s exit %d, stderr (head):" % (name, rc))
        for line in text(os.path.join(work, name + ".err"), 20):
            say("  " + line)

checks = [
    (scan1_rc == 0 and scan2_rc == 0 and not bad1 and not bad2 and not missing1 and not missing2,
     "both scans exit 0 with one JSON object per file (exit %d/%d, %d/%d rows of %d)"
     % (scan1_rc, scan2_rc, len(rows1), len(rows2), len(files))),
    (import_rc == 0, "log import of %d jsonl records exits 0 (exit %d)" % (split["records"], import_rc)),
    (len(sfiles) > 0, "some bounces quote a Message-ID (%d)" % len(sfiles)),
    (not logged_forged, "no bounce of a logged message is forged (%d of %d)" % (len(logged_forged), sum(logged.values()))),
    (nl_total > 0 and pct >= min_forged,
     "bounces of messages not in the log are forged: %.2f%% >= %.1f%% (%d/%d)"
     % (pct, min_forged, notlogged["forged"], nl_total)),
]
ok = all(c for c, _ in checks)
if tap:
    print("1..%d" % len(checks))
    for i, (c, t) in enumerate(checks, 1):
        print("%s %d - %s" % ("ok" if c else "not ok", i, t))
    for line in out:
        print("# " + line if line else "#")
else:
    print("\n".join(out))
    print()
    for c, t in checks:
        print("%s  %s" % ("PASS" if c else "FAIL", t))
    print("RESULT: %s" % ("PASS" if ok else "FAIL"))
sys.exit(0 if ok or tap else 1)
PY
